// Activity log (/admin/utilities/activity_log): filters, table, paging.
import { h, pageTitle, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { replaceQuery } from '../router.js';
import { ENTITIES, entityByLogName } from '../entities.js';
import { emptyState, loadStaff, pager, problemBox } from '../ui.js';

const LIMIT = 25;
export const ACTIONS = ['create', 'update', 'delete', 'login', 'login_failed', 'logout', 'setup', 'password_set',
  'password_change', 'activate', 'deactivate', 'invite', 'permissions', 'smtp_test', 'retry',
  // Authentication events: the password step, 2FA, password resets, sessions.
  'login_password', 'login_2fa_failed', 'login_recovery_code', '2fa_enrol_started', '2fa_enabled', '2fa_disabled',
  '2fa_recovery_codes', '2fa_reset', 'password_reset_requested', 'password_reset', 'password_reset_forced',
  'session_revoked', 'sessions_ended', 'reauth', 'reauth_failed', 'email_change_requested', 'email_changed'];
const ENTITY_SUGGESTIONS = [...ENTITIES.map((e) => e.logEntity), 'staff', 'role', 'settings', 'email_queue'];
// Where a log entry's record lives, for entities outside ENTITIES.
const RECORD_PATHS = { staff: '/admin/staff', role: '/admin/roles' };
const FILTERS = ['actor_id', 'entity', 'action', 'from', 'to'];

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

export function activityRow(e, { compact = false } = {}) {
  const ent = entityByLogName(e.entity);
  const base = ent ? ent.path : RECORD_PATHS[e.entity];
  const idCell = e.entity_id == null || ((e.entity === 'settings' || e.entity === 'email_queue') && !e.entity_id) ? '' : base && e.action !== 'delete'
    ? h('a', { href: `${base}/${e.entity_id}` }, String(e.entity_id)) : String(e.entity_id);
  const actor = e.actor_name || (e.actor_id != null ? `#${e.actor_id}` : 'system');
  const cells = [
    h('td', { class: 'nowrap' }, timeEl(e.at)),
    h('td', { class: 'nowrap' }, actor),
    h('td', null, h('span', { class: ['badge', ACTIONS.includes(e.action) ? `badge-action-${e.action}` : null] }, e.action)),
    h('td', null, e.entity || ''),
    h('td', null, idCell),
    h('td', { class: 'diff-cell' }, diffCell(e.diff)),
  ];
  if (!compact) cells.push(h('td', { class: 'nowrap mono' }, e.ip || ''));
  return h('tr', null, cells);
}

export function activityHead({ compact = false } = {}) {
  const cols = ['Time', 'Actor', 'Action', 'Entity', 'Entity id', 'Changes'];
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
    action: h('select', { id: 'act-action', class: 'input', value: state.filters.action },
      h('option', { value: '' }, 'Any'), ACTIONS.map((a) => h('option', { value: a }, a))),
    from: h('input', { id: 'act-from', class: 'input', type: 'date', value: state.filters.from }),
    to: h('input', { id: 'act-to', class: 'input', type: 'date', value: state.filters.to }),
  };
  const reset = h('button', { type: 'button', class: 'btn btn-ghost' }, 'Reset');
  const filters = h('form', { class: 'toolbar filters', role: 'search', 'aria-label': 'Filter the activity log' },
    field('act-actor', 'Actor', inputs.actor_id),
    field('act-entity', 'Entity', inputs.entity),
    h('datalist', { id: 'act-entities' }, ENTITY_SUGGESTIONS.map((v) => h('option', { value: v }))),
    field('act-action', 'Action', inputs.action),
    field('act-from', 'From', inputs.from),
    field('act-to', 'To', inputs.to),
    h('div', { class: 'toolbar-buttons' }, h('button', { type: 'submit', class: 'btn' }, 'Apply'), reset));

  const table = h('table', { class: 'table table-log' });
  const status = h('div', { class: 'list-status' });
  const footer = h('div', { class: 'list-footer' });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Activity log')),
    h('p', { class: 'muted page-lead' }, 'Every change, sign-in and administrative action, append-only and tamper-evident.'),
    h('div', { class: 'card' }, filters, status, h('div', { class: 'table-wrap' }, table), footer));

  let request = null;
  ctx.signal.addEventListener('abort', () => request && request.abort());

  const apply = () => {
    for (const k of FILTERS) state.filters[k] = inputs[k].value.trim();
    state.offset = 0;
    load();
  };
  filters.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  for (const k of ['actor_id', 'action', 'from', 'to', 'entity']) inputs[k].addEventListener('change', apply);
  reset.addEventListener('click', () => { for (const k of FILTERS) inputs[k].value = ''; apply(); });

  async function load() {
    replaceQuery({ ...state.filters, offset: state.offset || '' });
    if (request) request.abort();
    request = new AbortController();
    const { signal } = request;
    table.setAttribute('aria-busy', 'true');
    status.replaceChildren();
    try {
      const { data } = await api('GET', '/api/v1/activity', {
        query: { limit: LIMIT, offset: state.offset, ...state.filters }, signal,
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
