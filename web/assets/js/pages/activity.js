// Activity log (/admin/utilities/activity_log): filters, table, paging.
import { h, pageTitle, timeEl } from '../dom.js';
import { api, isAbort, withQuery } from '../api.js';
import { replaceQuery } from '../router.js';
import { ENTITIES, entityByLogName } from '../entities.js';
import { emptyState, loadStaff, modal, pager, problemBox } from '../ui.js';

const LIMIT = 25;
export const ACTIONS = ['create', 'update', 'delete', 'login', 'login_failed', 'logout', 'setup', 'password_set',
  'password_change', 'activate', 'deactivate', 'invite', 'permissions', 'smtp_test', 'retry',
  // Authentication events: the password step, 2FA, password resets, sessions.
  'login_password', 'login_2fa_failed', 'login_recovery_code', '2fa_enrol_started', '2fa_enabled', '2fa_disabled',
  '2fa_recovery_codes', '2fa_reset', 'password_reset_requested', 'password_reset', 'password_reset_forced',
  'session_revoked', 'sessions_ended', 'reauth', 'reauth_failed', 'email_change_requested', 'email_changed'];
const entitySuggestions = () => [...ENTITIES.map((e) => e.logEntity), 'staff', 'role', 'settings', 'email_queue'];
// Where a log entry's record lives, for entities outside ENTITIES.
const RECORD_PATHS = { staff: '/admin/staff', role: '/admin/roles' };
const FILTERS = ['actor_id', 'entity', 'entity_id', 'action', 'ip', 'from', 'to'];
/** The browser's time zone, which every time on the page is shown in. */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';

function show(v) {
  if (v === null || v === undefined || v === '') return '∅';
  const s = Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** "field: from → to" pieces for a diff (create has only `to`, delete only `from`). */
export function diffParts(diff) {
  if (!diff || typeof diff !== 'object') return [];
  return Object.entries(diff).map(([field, change]) => {
    const c = change && typeof change === 'object' && !Array.isArray(change) ? change : { to: change };
    const hasFrom = 'from' in c;
    const hasTo = 'to' in c;
    const text = hasFrom && hasTo ? `${show(c.from)} → ${show(c.to)}` : show(hasTo ? c.to : c.from);
    return { field, text };
  });
}

function diffCell(diff) {
  const parts = diffParts(diff);
  if (!parts.length) return h('span', { class: 'muted' }, '—');
  const shown = parts.slice(0, 3);
  const full = parts.map((p) => `${p.field}: ${p.text}`).join('\n');
  return h('span', { class: 'diff', title: full },
    shown.map((p, i) => [i ? '; ' : '', h('span', { class: 'diff-field' }, p.field), ': ', p.text]),
    parts.length > 3 ? h('span', { class: 'muted' }, ` +${parts.length - 3} more`) : null);
}

/** The whole entry, with staff names for ids, in a dialog. */
export async function showEntry(id, returnFocus) {
  const dlg = modal({ title: `Activity entry #${id}`, wide: true, returnFocus });
  const close = h('button', { type: 'button', class: 'btn' }, 'Close');
  close.addEventListener('click', () => dlg.close());
  dlg.actions.replaceChildren(close);
  dlg.body.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  try {
    const { data: e } = await api('GET', `/api/v1/activity/${id}`);
    const names = (e.names && e.names.staff) || {};
    const who = (v) => (v != null && names[String(v)] ? `${names[String(v)]} (#${v})` : v);
    const ent = entityByLogName(e.entity);
    const staffField = (f) => f === 'actor_id' || f === 'reassigned_to'
      || (ent && ent.fields.some((x) => x.name === f && x.type === 'staff'));
    const value = (f, v) => {
      if (v === null || v === undefined || v === '') return '∅';
      if (staffField(f)) return String(who(v));
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    };
    const rows = Object.entries(e.diff || {}).map(([f, c]) => {
      const ch = c && typeof c === 'object' && !Array.isArray(c) ? c : { to: c };
      return h('tr', null, h('th', { scope: 'row' }, f),
        h('td', { class: 'pre' }, 'from' in ch ? value(f, ch.from) : ''),
        h('td', { class: 'pre' }, 'to' in ch ? value(f, ch.to) : ''));
    });
    const meta = [
      ['Time', [timeEl(e.at), ` (${TIME_ZONE})`]],
      ['Actor', e.actor_name || (e.actor_id != null ? `#${e.actor_id}` : 'system')],
      ['Action', e.action],
      ['Record', e.entity ? `${e.entity}${e.entity_id != null ? ` #${e.entity_id}` : ''}${
        e.entity === 'staff' && names[String(e.entity_id)] ? ` (${names[String(e.entity_id)]})` : ''}` : '—'],
      ['IP address', e.ip || '—'],
      ['Request id', e.request_id || '—'],
    ];
    dlg.body.replaceChildren(
      h('dl', { class: 'details' }, meta.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
      rows.length ? h('table', { class: 'table' },
        h('thead', null, h('tr', null, ['Field', 'Before', 'After'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows)) : h('p', { class: 'muted' }, 'No field changes recorded.'));
  } catch (err) {
    dlg.body.replaceChildren(problemBox(err));
  }
  return dlg.result;
}

export function activityRow(e, { compact = false } = {}) {
  const ent = entityByLogName(e.entity);
  const base = ent ? ent.path : RECORD_PATHS[e.entity];
  const idCell = e.entity_id == null || ((e.entity === 'settings' || e.entity === 'email_queue') && !e.entity_id) ? '' : base && e.action !== 'delete'
    ? h('a', { href: `${base}/${e.entity_id}` }, String(e.entity_id)) : String(e.entity_id);
  const actor = e.actor_name || (e.actor_id != null ? `#${e.actor_id}` : 'system');
  const open = h('button', { type: 'button', class: 'btn btn-link', title: 'Show the whole entry' }, timeEl(e.at));
  open.addEventListener('click', () => showEntry(e.id, open));
  const cells = [
    h('td', { class: 'nowrap' }, open),
    h('td', { class: 'nowrap' }, actor),
    h('td', null, h('span', { class: ['badge', ACTIONS.includes(e.action) ? `badge-action-${e.action}` : null] }, e.action)),
    h('td', null, e.entity || ''),
    h('td', null, idCell),
    h('td', { class: 'diff-cell' }, diffCell(e.diff)),
  ];
  if (!compact) cells.push(h('td', { class: 'nowrap mono' }, e.ip || ''));
  return h('tr', null, cells);
}

/**
 * The History card of a record page: its activity entries, newest first
 * (GET /api/v1/activity?entity=&entity_id=), each opening the whole entry.
 */
export function historySection(logEntity, id, signal) {
  const titleId = `history-${logEntity}-${id}`;
  const body = h('div', { class: 'table-wrap' }, h('p', { class: 'loading' }, 'Loading history…'));
  const all = h('a', { href: `/admin/utilities/activity_log?entity=${encodeURIComponent(logEntity)}&entity_id=${id}` },
    'Open in the activity log');
  const section = h('section', { class: 'card section form-width', 'aria-labelledby': titleId },
    h('div', { class: 'section-header' }, h('h2', { id: titleId, class: 'section-title' }, 'History'), all),
    body);
  api('GET', '/api/v1/activity', { query: { entity: logEntity, entity_id: id, limit: 20 }, signal })
    .then(({ data }) => {
      const rows = Array.isArray(data.data) ? data.data : [];
      body.replaceChildren(rows.length
        ? h('table', { class: 'table table-log' }, activityHead({ compact: true }),
          h('tbody', null, rows.map((e) => activityRow(e, { compact: true }))))
        : emptyState('No recorded changes.'));
    })
    .catch((err) => { if (!isAbort(err)) body.replaceChildren(problemBox(err)); });
  return section;
}

export function activityHead({ compact = false } = {}) {
  const cols = [`Time (${TIME_ZONE})`, 'Actor', 'Action', 'Entity', 'Entity id', 'Changes'];
  if (!compact) cols.push('IP address');
  return h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c))));
}

export async function activityPage(ctx, root) {
  ctx.setTitle('Activity log');
  const state = { offset: Math.max(0, Number(ctx.query.get('offset')) || 0), filters: {} };
  for (const k of FILTERS) state.filters[k] = ctx.query.get(k) || '';
  const staff = await loadStaff(ctx.signal);

  const field = (id, label, input) => h('div', { class: 'filter-field' },
    h('label', { for: id, class: 'label label-small' }, label), input);
  const inputs = {
    actor_id: h('select', { id: 'act-actor', class: 'input', value: state.filters.actor_id },
      h('option', { value: '' }, 'Anyone'),
      staff.map((s) => h('option', { value: String(s.id) }, s.name || s.email)),
      state.filters.actor_id && !staff.some((s) => String(s.id) === state.filters.actor_id)
        ? h('option', { value: state.filters.actor_id }, `#${state.filters.actor_id}`) : null),
    entity: h('input', { id: 'act-entity', class: 'input', list: 'act-entities', autocomplete: 'off',
      value: state.filters.entity, placeholder: 'Any' }),
    entity_id: h('input', { id: 'act-entity-id', class: 'input input-num', type: 'number', min: '1',
      value: state.filters.entity_id, placeholder: 'Any' }),
    ip: h('input', { id: 'act-ip', class: 'input', autocomplete: 'off', value: state.filters.ip,
      placeholder: 'e.g. 203.0.113.7' }),
    action: h('select', { id: 'act-action', class: 'input', value: state.filters.action },
      h('option', { value: '' }, 'Any'), ACTIONS.map((a) => h('option', { value: a }, a))),
    from: h('input', { id: 'act-from', class: 'input', type: 'date', value: state.filters.from }),
    to: h('input', { id: 'act-to', class: 'input', type: 'date', value: state.filters.to }),
  };
  const reset = h('button', { type: 'button', class: 'btn btn-ghost' }, 'Reset');
  const filters = h('form', { class: 'toolbar filters', role: 'search', 'aria-label': 'Filter the activity log' },
    field('act-actor', 'Actor', inputs.actor_id),
    field('act-entity', 'Entity', inputs.entity),
    h('datalist', { id: 'act-entities' }, entitySuggestions().map((v) => h('option', { value: v }))),
    field('act-entity-id', 'Record id', inputs.entity_id),
    field('act-action', 'Action', inputs.action),
    field('act-ip', 'IP address', inputs.ip),
    field('act-from', 'From', inputs.from),
    field('act-to', 'To', inputs.to),
    h('div', { class: 'toolbar-buttons' }, h('button', { type: 'submit', class: 'btn' }, 'Apply'), reset));

  const exportLink = h('a', { class: 'btn', download: 'activity.csv' }, 'Export CSV');
  const table = h('table', { class: 'table table-log' });
  const status = h('div', { class: 'list-status' });
  const footer = h('div', { class: 'list-footer' });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Activity log'), exportLink),
    h('p', { class: 'muted page-lead' }, 'Every change, sign-in and administrative action, append-only and tamper-evident. ',
      `Times are shown in ${TIME_ZONE}.`),
    h('div', { class: 'card' }, filters, status, h('div', { class: 'table-wrap' }, table), footer));

  let request = null;
  ctx.signal.addEventListener('abort', () => request && request.abort());

  const apply = () => {
    for (const k of FILTERS) state.filters[k] = inputs[k].value.trim();
    state.offset = 0;
    load();
  };
  filters.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  for (const k of FILTERS) inputs[k].addEventListener('change', apply);
  reset.addEventListener('click', () => { for (const k of FILTERS) inputs[k].value = ''; apply(); });

  async function load() {
    replaceQuery({ ...state.filters, offset: state.offset || '' });
    exportLink.href = withQuery('/api/v1/activity/export', state.filters);
    if (request) request.abort();
    request = new AbortController();
    const { signal } = request;
    table.setAttribute('aria-busy', 'true');
    status.replaceChildren();
    try {
      const { data } = await api('GET', '/api/v1/activity', {
        query: { limit: LIMIT, offset: state.offset, count: 'true', ...state.filters }, signal,
      });
      const rows = Array.isArray(data.data) ? data.data : [];
      const total = Number(data.total) || 0;
      table.replaceChildren(h('caption', { class: 'visually-hidden' }, 'Activity log entries, newest first'),
        activityHead(), h('tbody', null, rows.map((e) => activityRow(e))));
      if (!rows.length) status.replaceChildren(emptyState('No activity matches these filters.'));
      footer.replaceChildren(pager({ offset: Number(data.offset) || state.offset, limit: Number(data.limit) || LIMIT,
        total, count: rows.length, label: 'Activity log pages', onPage: (o) => { state.offset = o; load(); } }));
    } catch (err) {
      if (isAbort(err)) return;
      status.replaceChildren(problemBox(err));
    } finally {
      if (!signal.aborted) table.removeAttribute('aria-busy');
    }
  }
  await load();
}

export const routes = [['/admin/utilities/activity_log', activityPage]];
export const nav = [
  { path: '/admin/utilities/activity_log', label: 'Activity log', module: 'activity', adminOnly: true,
    group: 'Utilities', order: 20, icon: ['M12 7v5l3 2', 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z'] },
];
