// Pipe log (/admin/utilities/pipe_log): every message `atrium pipe`
// received, newest first, with its result and why (GET /api/v1/pipe-log),
// on the list component: search, result filter, paging. The spec's daily
// check: messages that did not become tickets.
import { h, pageTitle, timeEl } from '../dom.js';
import { listView } from '../listview.js';
import { t } from '../i18n.js';

/** [result, label] in the member's language. */
const RESULTS = () => ['ticket_created', 'reply_added', 'ignored', 'rejected', 'no_recipient']
  .map((r) => [r, t(`pipe.result.${r}`)]);
const truncated = (text) => h('span', { class: 'truncate', title: text || '' }, text || '—');

const COLUMNS = () => [
  { label: t('pipe.received'), sort: 'received_at', desc: true, class: 'when', cell: (e) => timeEl(e.received_at) },
  { label: t('pipe.from'), cell: (e) => truncated(e.from) },
  { label: t('mail.to'), cell: (e) => truncated(e.to) },
  { label: t('mail.subject'), cell: (e) => truncated(e.subject) },
  { label: t('pipe.result'), class: 'nowrap',
    cell(e) {
      const r = RESULTS().find(([k]) => k === e.result);
      const bad = e.result === 'rejected' || e.result === 'no_recipient';
      return h('span', { class: ['badge', bad ? 'badge-off' : 'badge-on'] }, r ? r[1] : String(e.result));
    } },
  { label: t('pipe.why'), cell: (e) => (e.ticket_id
    ? h('a', { href: `/admin/tickets/${e.ticket_id}` }, e.detail || `#${e.ticket_id}`) : truncated(e.detail)) },
];

export async function pipeLogPage(ctx, root) {
  ctx.setTitle(t('nav.pipe_log'));
  const view = listView(ctx, {
    api: '/api/v1/pipe-log',
    name: t('pipe.emails'),
    id: 'pipe',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    search: { label: t('pipe.search'), placeholder: t('pipe.search_placeholder') },
    filterLabel: t('pipe.filter'),
    filters: [{ param: 'result', id: 'pipe-result', label: t('pipe.result'), options: RESULTS() }],
    columns: COLUMNS(),
    tableClass: 'table-log',
    empty: (v) => (v.filtered() ? [t('pipe.no_match'), t('staff.try_another')] : [t('pipe.none'), t('pipe.none_detail')]),
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.pipe_log'))),
    h('p', { class: 'muted page-lead' }, t('pipe.lead')),
    view.root);
  await view.load();
}

export const routes = [['/admin/utilities/pipe_log', pipeLogPage]];
export const nav = [
  { path: '/admin/utilities/pipe_log', key: 'nav.pipe_log', label: 'Pipe log', module: 'pipe_log',
    group: 'Utilities', order: 15, icon: ['M4 4h16v6H4z', 'M4 14h16v6H4z', 'M8 10v4', 'M16 10v4'] },
];
