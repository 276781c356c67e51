// Events and the API request log (/admin/utilities/events,
// /admin/utilities/api_log): CRM.COM's "Events and Logs", on the list
// component (listview.js): filters, sort and the page in the address,
// keyset paging, and the exports of the same selection: events as NDJSON
// in MongoDB Extended JSON, requests as CSV.
// The toolbars offer what the routes declare (src/admin/event_log.c,
// espec and lspec; docs/openapi.yaml).
import { h, pageTitle, timeEl } from '../dom.js';
import { withQuery } from '../api.js';
import { canView } from '../session.js';
import { ENTITIES, entityByLogName } from '../entities.js';
import { listView } from '../listview.js';
import { loadStaff, staffName } from '../ui.js';
import { t } from '../i18n.js';
import { formatNumber } from '../format.js';

const ACTIONS = [['created', 'created'], ['updated', 'updated'], ['deleted', 'deleted']];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => [m, m]);
// Where an event's record lives, for entities outside ENTITIES.
const RECORD_PATHS = { staff: '/admin/staff' };
const entitySuggestions = () => [...new Set([...ENTITIES.map((e) => e.logEntity), 'staff'])];
const muted = (text) => h('span', { class: 'muted' }, text);

function recordCell(e) {
  if (e.entity_id === null || e.entity_id === undefined) return muted('—');
  const ent = entityByLogName(e.entity);
  const base = ent ? ent.path : RECORD_PATHS[e.entity];
  return base && e.action !== 'deleted' ? h('a', { href: `${base}/${e.entity_id}` }, String(e.entity_id)) : String(e.entity_id);
}

async function eventsPage(ctx, root) {
  ctx.setTitle(t('nav.events'));
  const exportLink = h('a', { class: 'btn', download: 'events.ndjson', href: '/api/v1/events/export' }, t('events.export'));
  const view = listView(ctx, {
    api: '/api/v1/events',
    name: t('nav.events'),
    id: 'ev',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    maxLimit: 500,
    search: null,
    filterLabel: t('events.filter'),
    filters: [
      { param: 'entity', id: 'ev-entity', label: t('activity.entity'), type: 'text', placeholder: t('activity.any'), suggestions: entitySuggestions() },
      { param: 'entity_id', id: 'ev-entity-id', label: t('activity.record_id'), type: 'number', placeholder: t('activity.any') },
      { param: 'action', id: 'ev-action', label: t('activity.action'), all: t('activity.any'), options: ACTIONS },
      // Days of the browser's time zone, the one the times are shown in.
      { type: 'dates', field: 'created_at', params: ['from', 'to'], labels: [t('activity.from'), t('activity.to')] },
    ],
    columns: [
      { label: '#', sort: 'id', desc: true, class: 'mono', cell: (e) => String(e.id) },
      { label: t('events.when'), sort: 'created_at', desc: true, class: 'when', cell: (e) => timeEl(e.created_at) },
      { label: t('activity.entity'), cell: (e) => e.entity },
      { label: t('activity.record'), cell: recordCell },
      { label: t('activity.action'), cell: (e) => e.action },
      { label: t('events.id'), class: 'mono muted', cell: (e) => e.uuid },
    ],
    rowProps: (e) => ({ dataset: { event: e.id } }),
    tableClass: 'table-log',
    empty: {
      none: [t('events.none'), t('events.none_detail')],
      filtered: [t('events.no_match'), t('events.try_other')],
    },
    onData: () => { exportLink.href = withQuery('/api/v1/events/export', view.filterQuery()); },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.events')), exportLink),
    h('p', { class: 'muted page-lead' }, t('events.lead')),
    view.root);
  await view.load();
}

/** Who made a request: the token (a link when tokens may be viewed) or the member's session. */
function viaCell(x, staff) {
  if (x.via === 'token') {
    const text = t('apilog.token', { id: x.token_id });
    return canView('api_tokens') ? h('a', { href: `/admin/api/api_management/${x.token_id}` }, text) : text;
  }
  return x.staff_id === null || x.staff_id === undefined ? t('apilog.session')
    : t('apilog.session_of', { name: staffName(staff, x.staff_id) });
}

async function apiLogPage(ctx, root) {
  ctx.setTitle(t('nav.api_request_log'));
  const staff = await loadStaff(ctx.signal);
  const exportLink = h('a', { class: 'btn', download: 'api-requests.csv', href: '/api/v1/api-requests/export' }, t('activity.export'));
  const view = listView(ctx, {
    api: '/api/v1/api-requests',
    name: t('apilog.requests'),
    id: 'rl',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    maxLimit: 500,
    search: null,
    filterLabel: t('apilog.filter'),
    filters: [
      { param: 'method', id: 'rl-method', label: t('apilog.method'), all: t('activity.any'), options: METHODS },
      { param: 'path[contains]', id: 'rl-path', label: t('apilog.path'), type: 'text', placeholder: '/api/v1/leads' },
      // The spec's health indicator: fewer than 1 % errors.
      { type: 'preset', id: 'rl-outcome', label: t('apilog.outcome'), options: [
        ['', t('common.all'), {}],
        ['ok', t('apilog.ok'), { 'status[lt]': '400' }],
        ['errors', t('apilog.errors'), { 'status[gte]': '400' }],
        ['server', t('apilog.server'), { 'status[gte]': '500' }],
      ] },
      { param: 'status', id: 'rl-status', label: t('apilog.status_code'), type: 'number', placeholder: t('activity.any') },
      { param: 'token_id', id: 'rl-token', label: t('apilog.token_id'), type: 'number', placeholder: t('activity.any') },
      { param: 'staff_id', id: 'rl-staff', label: t('apilog.member'), all: t('staff.f.anyone'),
        options: staff.map((s) => [String(s.id), s.name || s.email]), unknown: (v) => `#${v}` },
      { param: 'ip', id: 'rl-ip', label: t('apilog.address'), type: 'text', placeholder: t('activity.ip_placeholder') },
      { param: 'request_id', id: 'rl-request-id', label: t('activity.request_id'), type: 'text', placeholder: t('activity.any') },
      { type: 'dates', field: 'at', params: ['from', 'to'], labels: [t('activity.from'), t('activity.to')] },
    ],
    columns: [
      { label: t('events.when'), sort: 'at', desc: true, class: 'when', cell: (x) => timeEl(x.at) },
      { label: t('apilog.request'), class: 'mono', cell: (x) => `${x.method} ${x.path}` },
      { label: t('field.status'), sort: 'status', desc: true, class: (x) => (x.status >= 400 ? 'error-text' : null),
        cell: (x) => String(x.status) },
      { label: t('apilog.duration'), sort: 'duration_ms', desc: true, class: 'nowrap', cell: (x) => `${formatNumber(x.duration_ms)} ms` },
      { label: t('apilog.via'), cell: (x) => viaCell(x, staff) },
      { label: t('apilog.address'), class: 'mono', cell: (x) => x.ip },
      { label: t('activity.request_id'), class: 'mono muted', cell: (x) => x.request_id },
    ],
    rowProps: (x) => ({ dataset: { request: x.id } }),
    tableClass: 'table-log',
    empty: {
      none: [t('apilog.none'), t('apilog.none_detail')],
      filtered: [t('apilog.no_match'), t('events.try_other')],
    },
    onData: () => { exportLink.href = withQuery('/api/v1/api-requests/export', view.filterQuery()); },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.api_request_log')), exportLink),
    h('p', { class: 'muted page-lead' }, t('apilog.lead')),
    view.root);
  await view.load();
}

export const routes = [
  ['/admin/utilities/events', eventsPage],
  ['/admin/utilities/api_log', apiLogPage],
];
export const nav = [
  { path: '/admin/utilities/events', key: 'nav.events', label: 'Events', module: 'events', adminOnly: true, group: 'Utilities', order: 30,
    icon: ['M4 12h4l2-6 4 12 2-6h4'] },
  { path: '/admin/utilities/api_log', key: 'nav.api_request_log', label: 'API request log', module: 'api_logs', adminOnly: true, group: 'Utilities',
    order: 35, icon: ['M4 6h16', 'M4 12h16', 'M4 18h10'] },
];
