// The system log (/admin/utilities/system_log): server errors — every 5xx
// answer and every error line the server logged — with their request ids,
// on the list component (listview.js): search over the message and route,
// filters, sort by time or status, keyset paging. The rows come from
// GET /api/v1/system-log (src/admin/system_log.c); a request id found here
// is the one the failed request's problem answer and X-Request-Id carried.
import { h, pageTitle, timeEl } from '../dom.js';
import { listView } from '../listview.js';
import { t } from '../i18n.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => [m, m]);
const muted = (text) => h('span', { class: 'muted' }, text);

export async function systemLogPage(ctx, root) {
  ctx.setTitle(t('nav.system_log'));
  const view = listView(ctx, {
    api: '/api/v1/system-log',
    name: t('syslog.entries'),
    id: 'sl',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 50,
    maxLimit: 200,
    search: { label: t('syslog.search'), placeholder: t('syslog.search_placeholder') },
    // The server's CSV and Excel exports of the whole selection.
    exportable: true,
    filterLabel: t('syslog.filter'),
    filters: [
      { type: 'preset', id: 'sl-kind', label: t('syslog.kind'), options: [
        ['', t('common.all'), {}],
        ['answers', t('syslog.kind_answers'), { 'status[gte]': '500' }],
        ['lines', t('syslog.kind_lines'), { 'status[empty]': 'true' }],
      ] },
      { param: 'status', id: 'sl-status', label: t('apilog.status_code'), type: 'number', placeholder: t('activity.any') },
      { param: 'method', id: 'sl-method', label: t('apilog.method'), all: t('activity.any'), options: METHODS },
      { param: 'route', id: 'sl-route', label: t('syslog.route'), type: 'text', placeholder: '/api/v1/leads' },
      { param: 'request_id', id: 'sl-request-id', label: t('activity.request_id'), type: 'text', placeholder: t('activity.any') },
      { type: 'dates', field: 'at', params: ['from', 'to'], labels: [t('activity.from'), t('activity.to')] },
    ],
    columns: [
      { label: t('events.when'), sort: 'at', desc: true, class: 'when', cell: (x) => timeEl(x.at) },
      { label: t('field.status'), sort: 'status', desc: true, class: 'nowrap error-text',
        cell: (x) => (x.status == null ? muted(t('syslog.logged')) : String(x.status)) },
      { label: t('apilog.request'), class: 'mono', cell: (x) => (x.route ? `${x.method} ${x.route}` : muted('—')) },
      { label: t('syslog.message'), class: 'pre', cell: (x) => x.message },
      { label: t('activity.request_id'), class: 'mono muted', cell: (x) => x.request_id || '' },
      { label: t('syslog.node'), class: 'mono muted', cell: (x) => x.node },
    ],
    rowProps: (x) => ({ dataset: { entry: x.id } }),
    tableClass: 'table-log',
    empty: {
      none: [t('syslog.none'), t('syslog.none_detail')],
      filtered: [t('syslog.no_match'), t('events.try_other')],
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.system_log'))),
    h('p', { class: 'muted page-lead' }, t('syslog.lead')),
    view.root);
  await view.load();
}

export const routes = [['/admin/utilities/system_log', systemLogPage]];
export const nav = [
  { path: '/admin/utilities/system_log', key: 'nav.system_log', label: 'System log', module: 'system_log', adminOnly: true,
    group: 'Utilities', order: 40, icon: ['M12 9v4', 'M12 17h.01', 'M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z'] },
];
