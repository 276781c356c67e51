// Events and the API request log (/admin/utilities/events,
// /admin/utilities/api_log): CRM.COM's "Events and Logs". Filters, paging
// (events by cursor, as pull integrations read them), and the exports:
// events as NDJSON in MongoDB Extended JSON, requests as CSV.
// Built on the list pattern of jobs.js / email_queue.js.
import { h, pageTitle, timeEl } from '../dom.js';
import { api, isAbort, withQuery } from '../api.js';
import { replaceQuery } from '../router.js';
import { emptyState, problemBox } from '../ui.js';

const LIMIT = 25;

/** A filter bar: text inputs named by keys; onApply(values). */
function filterBar(prefix, specs, values, onApply) {
  const inputs = specs.map(([key, label, type]) => {
    const input = h('input', { id: `${prefix}-${key}`, name: key, class: 'input input-short', type: type || 'text',
      value: values[key] || '' });
    return { key, input, wrap: h('div', { class: 'toolbar-field' },
      h('label', { for: `${prefix}-${key}`, class: 'label label-inline' }, label), input) };
  });
  const apply = h('button', { type: 'submit', class: 'btn' }, 'Filter');
  const form = h('form', { class: 'toolbar', role: 'search' }, inputs.map((i) => i.wrap), h('div', { class: 'toolbar-buttons' }, apply));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = {};
    for (const i of inputs) if (i.input.value.trim()) v[i.key] = i.input.value.trim();
    onApply(v);
  });
  return form;
}

async function eventsPage(ctx, root) {
  ctx.setTitle('Events');
  const keys = ['entity', 'entity_id', 'action'];
  const filters = Object.fromEntries(keys.filter((k) => ctx.query.get(k)).map((k) => [k, ctx.query.get(k)]));
  const cursors = [];
  const table = h('table', { class: 'table table-log' });
  const status = h('div', { class: 'list-status' });
  const footer = h('div', { class: 'list-footer' });
  const exportLink = h('a', { class: 'btn', download: 'events.ndjson' }, 'Export NDJSON (MongoDB)');
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Events'), exportLink),
    h('p', { class: 'muted page-lead' },
      'Business-level actions (a record created, changed, deleted), the stream webhooks are sent from. '
      + 'The export is MongoDB Extended JSON, one document a line: load it with mongoimport.'),
    h('div', { class: 'card' },
      filterBar('ev', [['entity', 'Entity'], ['entity_id', 'Record id', 'number'], ['action', 'Action']], filters, (v) => {
        for (const k of keys) delete filters[k];
        Object.assign(filters, v);
        cursors.length = 0;
        load(null);
      }),
      status, h('div', { class: 'table-wrap' }, table), footer));

  async function load(cursor) {
    replaceQuery(filters);
    exportLink.href = withQuery('/api/v1/events/export', filters);
    status.replaceChildren();
    try {
      const { data } = await api('GET', '/api/v1/events', { query: { ...filters, limit: LIMIT, cursor: cursor || '' },
        signal: ctx.signal });
      const rows = data.data || [];
      table.replaceChildren(h('caption', { class: 'visually-hidden' }, 'Events, newest first'),
        h('thead', null, h('tr', null, ['#', 'When', 'Entity', 'Record', 'Action', 'Event id'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows.map((e) => h('tr', { dataset: { event: e.id } },
          h('td', { class: 'mono' }, String(e.id)), h('td', { class: 'when' }, timeEl(e.created_at)),
          h('td', null, e.entity), h('td', null, e.entity_id === null ? '—' : String(e.entity_id)),
          h('td', null, e.action), h('td', { class: 'mono muted' }, e.uuid)))));
      if (!rows.length) status.replaceChildren(emptyState('No events match.'));
      const prev = h('button', { type: 'button', class: 'btn btn-sm', disabled: !cursors.length }, 'Newer');
      const next = h('button', { type: 'button', class: 'btn btn-sm', disabled: !data.next_cursor }, 'Older');
      prev.addEventListener('click', () => { cursors.pop(); load(cursors[cursors.length - 1] || null); });
      next.addEventListener('click', () => { cursors.push(data.next_cursor); load(data.next_cursor); });
      footer.replaceChildren(h('nav', { class: 'pager', 'aria-label': 'Event pages' }, h('div', { class: 'pager-buttons' }, prev, next)));
    } catch (err) {
      if (!isAbort(err)) status.replaceChildren(problemBox(err));
    }
  }
  await load(null);
}

async function apiLogPage(ctx, root) {
  ctx.setTitle('API request log');
  const keys = ['token_id', 'staff_id', 'status', 'method'];
  const filters = Object.fromEntries(keys.filter((k) => ctx.query.get(k)).map((k) => [k, ctx.query.get(k)]));
  const state = { offset: 0 };
  const table = h('table', { class: 'table table-log' });
  const status = h('div', { class: 'list-status' });
  const footer = h('div', { class: 'list-footer' });
  const exportLink = h('a', { class: 'btn', download: 'api-requests.csv' }, 'Export CSV');
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('API request log'), exportLink),
    h('p', { class: 'muted page-lead' },
      'Every API request of a member or an API token: method, path, status, duration, who, from where. No bodies, no secrets. '
      + 'A healthy integration stays under 1% errors.'),
    h('div', { class: 'card' },
      filterBar('rl', [['token_id', 'Token id', 'number'], ['staff_id', 'Staff id', 'number'], ['status', 'Status', 'number'],
        ['method', 'Method']], filters, (v) => {
        for (const k of keys) delete filters[k];
        Object.assign(filters, v);
        state.offset = 0;
        load();
      }),
      status, h('div', { class: 'table-wrap' }, table), footer));

  async function load() {
    replaceQuery(filters);
    exportLink.href = withQuery('/api/v1/api-requests/export', filters);
    status.replaceChildren();
    try {
      const { data } = await api('GET', '/api/v1/api-requests', { query: { ...filters, limit: LIMIT, offset: state.offset },
        signal: ctx.signal });
      const rows = data.data || [];
      table.replaceChildren(h('caption', { class: 'visually-hidden' }, 'API requests, newest first'),
        h('thead', null, h('tr', null, ['When', 'Request', 'Status', 'Duration', 'Via', 'Address', 'Request id']
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows.map((x) => h('tr', { dataset: { request: x.id } },
          h('td', { class: 'when' }, timeEl(x.at)), h('td', { class: 'mono' }, `${x.method} ${x.path}`),
          h('td', { class: x.status >= 400 ? 'error-text' : null }, String(x.status)), h('td', null, `${x.duration_ms} ms`),
          h('td', null, x.via === 'token' ? `token #${x.token_id}` : `session (staff #${x.staff_id})`),
          h('td', { class: 'mono' }, x.ip), h('td', { class: 'mono muted' }, x.request_id)))));
      if (!rows.length) status.replaceChildren(emptyState('No requests match.'));
      const prev = h('button', { type: 'button', class: 'btn btn-sm', disabled: state.offset <= 0 }, 'Newer');
      const next = h('button', { type: 'button', class: 'btn btn-sm', disabled: !data.has_more }, 'Older');
      prev.addEventListener('click', () => { state.offset = Math.max(0, state.offset - LIMIT); load(); });
      next.addEventListener('click', () => { state.offset += LIMIT; load(); });
      footer.replaceChildren(h('nav', { class: 'pager', 'aria-label': 'Request pages' }, h('div', { class: 'pager-buttons' }, prev, next)));
    } catch (err) {
      if (!isAbort(err)) status.replaceChildren(problemBox(err));
    }
  }
  await load();
}

export const routes = [
  ['/admin/utilities/events', eventsPage],
  ['/admin/utilities/api_log', apiLogPage],
];
export const nav = [
  { path: '/admin/utilities/events', label: 'Events', module: 'events', adminOnly: true, group: 'Utilities', order: 30,
    icon: ['M4 12h4l2-6 4 12 2-6h4'] },
  { path: '/admin/utilities/api_log', label: 'API request log', module: 'api_logs', adminOnly: true, group: 'Utilities',
    order: 35, icon: ['M4 6h16', 'M4 12h16', 'M4 18h10'] },
];
