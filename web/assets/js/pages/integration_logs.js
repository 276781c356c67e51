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
  ctx.setTitle('Events');
  const exportLink = h('a', { class: 'btn', download: 'events.ndjson', href: '/api/v1/events/export' }, 'Export NDJSON (MongoDB)');
  const view = listView(ctx, {
    api: '/api/v1/events',
    name: 'Events',
    id: 'ev',
    sort: '-id',
    sortText: 'newest first',
    limit: 25,
    maxLimit: 500,
    search: null,
    filterLabel: 'Filter events',
    filters: [
      { param: 'entity', id: 'ev-entity', label: 'Entity', type: 'text', placeholder: 'Any', suggestions: entitySuggestions() },
      { param: 'entity_id', id: 'ev-entity-id', label: 'Record id', type: 'number', placeholder: 'Any' },
      { param: 'action', id: 'ev-action', label: 'Action', all: 'Any', options: ACTIONS },
      // Days of the browser's time zone, the one the times are shown in.
      { type: 'dates', field: 'created_at', params: ['from', 'to'], labels: ['From', 'To'] },
    ],
    columns: [
      { label: '#', sort: 'id', desc: true, class: 'mono', cell: (e) => String(e.id) },
      { label: 'When', sort: 'created_at', desc: true, class: 'when', cell: (e) => timeEl(e.created_at) },
      { label: 'Entity', cell: (e) => e.entity },
      { label: 'Record', cell: recordCell },
      { label: 'Action', cell: (e) => e.action },
      { label: 'Event id', class: 'mono muted', cell: (e) => e.uuid },
    ],
    rowProps: (e) => ({ dataset: { event: e.id } }),
    tableClass: 'table-log',
    empty: {
      none: ['No events yet.', 'Records created, changed or deleted appear here.'],
      filtered: ['No events match.', 'Try other filters or reset them.'],
    },
    onData: () => { exportLink.href = withQuery('/api/v1/events/export', view.filterQuery()); },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Events'), exportLink),
    h('p', { class: 'muted page-lead' },
      'Business-level actions (a record created, changed, deleted), the stream webhooks are sent from. '
      + 'The export is MongoDB Extended JSON, one document a line, oldest first: load it with mongoimport.'),
    view.root);
  await view.load();
}

/** Who made a request: the token (a link when tokens may be viewed) or the member's session. */
function viaCell(x, staff) {
  if (x.via === 'token') {
    const text = `token #${x.token_id}`;
    return canView('api_tokens') ? h('a', { href: `/admin/api/api_management/${x.token_id}` }, text) : text;
  }
  return x.staff_id === null || x.staff_id === undefined ? 'session' : `session (${staffName(staff, x.staff_id)})`;
}

async function apiLogPage(ctx, root) {
  ctx.setTitle('API request log');
  const staff = await loadStaff(ctx.signal);
  const exportLink = h('a', { class: 'btn', download: 'api-requests.csv', href: '/api/v1/api-requests/export' }, 'Export CSV');
  const view = listView(ctx, {
    api: '/api/v1/api-requests',
    name: 'API requests',
    id: 'rl',
    sort: '-id',
    sortText: 'newest first',
    limit: 25,
    maxLimit: 500,
    search: null,
    filterLabel: 'Filter API requests',
    filters: [
      { param: 'method', id: 'rl-method', label: 'Method', all: 'Any', options: METHODS },
      { param: 'path[contains]', id: 'rl-path', label: 'Path contains', type: 'text', placeholder: '/api/v1/leads' },
      // The spec's health indicator: fewer than 1 % errors.
      { type: 'preset', id: 'rl-outcome', label: 'Outcome', options: [
        ['', 'All', {}],
        ['ok', 'Successful (below 400)', { 'status[lt]': '400' }],
        ['errors', 'Errors (400 and above)', { 'status[gte]': '400' }],
        ['server', 'Server errors (500 and above)', { 'status[gte]': '500' }],
      ] },
      { param: 'status', id: 'rl-status', label: 'Status code', type: 'number', placeholder: 'Any' },
      { param: 'token_id', id: 'rl-token', label: 'Token id', type: 'number', placeholder: 'Any' },
      { param: 'staff_id', id: 'rl-staff', label: 'Member', all: 'Anyone',
        options: staff.map((s) => [String(s.id), s.name || s.email]), unknown: (v) => `#${v}` },
      { param: 'ip', id: 'rl-ip', label: 'Address', type: 'text', placeholder: 'e.g. 203.0.113.7' },
      { param: 'request_id', id: 'rl-request-id', label: 'Request id', type: 'text', placeholder: 'Any' },
      { type: 'dates', field: 'at', params: ['from', 'to'], labels: ['From', 'To'] },
    ],
    columns: [
      { label: 'When', sort: 'at', desc: true, class: 'when', cell: (x) => timeEl(x.at) },
      { label: 'Request', class: 'mono', cell: (x) => `${x.method} ${x.path}` },
      { label: 'Status', sort: 'status', desc: true, class: (x) => (x.status >= 400 ? 'error-text' : null),
        cell: (x) => String(x.status) },
      { label: 'Duration', sort: 'duration_ms', desc: true, class: 'nowrap', cell: (x) => `${x.duration_ms} ms` },
      { label: 'Via', cell: (x) => viaCell(x, staff) },
      { label: 'Address', class: 'mono', cell: (x) => x.ip },
      { label: 'Request id', class: 'mono muted', cell: (x) => x.request_id },
    ],
    rowProps: (x) => ({ dataset: { request: x.id } }),
    tableClass: 'table-log',
    empty: {
      none: ['No API requests yet.', 'Requests of signed-in members and API tokens appear here within a second.'],
      filtered: ['No requests match.', 'Try other filters or reset them.'],
    },
    onData: () => { exportLink.href = withQuery('/api/v1/api-requests/export', view.filterQuery()); },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('API request log'), exportLink),
    h('p', { class: 'muted page-lead' },
      'Every API request of a member or an API token: method, path, status, duration, who, from where. No bodies, no secrets. '
      + 'A healthy integration stays under 1% errors.'),
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
