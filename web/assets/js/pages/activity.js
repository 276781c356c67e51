// Activity log (/admin/utilities/activity_log) on the list component: filters,
// a date range, sort by time, cursor paging, and the CSV export of the same
// selection. The entry columns are shared with the dashboard and History.
// The weekly check's saved filters (sign-ins from new addresses, at unusual
// hours, mass deletions: the server's `signal=`, src/admin/signals.c) are
// one-click views above the list; each entry shows its signals as badges.
import { timeZone } from '../format.js';
import { h, pageTitle, timeEl } from '../dom.js';
import { api, isAbort, withQuery } from '../api.js';
import { listView } from '../listview.js';
import { ENTITIES, entityByLogName } from '../entities.js';
import { emptyState, loadStaff, modal, problemBox } from '../ui.js';
import { t } from '../i18n.js';

export const ACTIONS = ['create', 'update', 'delete', 'export', 'login', 'login_failed', 'logout', 'setup', 'password_set',
  'password_change', 'activate', 'deactivate', 'invite', 'permissions', 'smtp_test', 'retry', 'reassign',
  // Authentication events: the password step, 2FA, password resets, sessions.
  'login_password', 'login_2fa_failed', 'login_recovery_code', '2fa_enrol_started', '2fa_enabled', '2fa_disabled',
  '2fa_recovery_codes', '2fa_reset', 'password_reset_requested', 'password_reset', 'password_reset_forced',
  'session_revoked', 'sessions_ended', 'reauth', 'reauth_failed', 'email_change_requested', 'email_changed',
  // A team password's secret read (src/admin/vault_reveal.c).
  'reveal'];
const entitySuggestions = () => [...ENTITIES.map((e) => e.logEntity), 'staff', 'role', 'settings', 'email_queue', 'vault_entry',
  'vault_category'];
// Where a log entry's record lives, for entities outside ENTITIES.
const RECORD_PATHS = { staff: '/admin/staff', role: '/admin/roles', vault_entry: '/admin/team_password' };

// The signals an entry may carry, and the weekly check's saved filters.
export const SIGNALS = ['new_address', 'unusual_hours', 'mass_delete'];
const signalText = (k) => t(`activity.signal.${k}`);

function signalBadges(e) {
  const list = Array.isArray(e.signals) ? e.signals : [];
  return list.map((k) => h('span', { class: 'badge badge-signal', dataset: { signal: k } }, signalText(k)));
}

function show(v) {
  if (v === null || v === undefined || v === '') return '∅';
  const item = (x) => (x && typeof x === 'object' ? JSON.stringify(x) : String(x));
  const s = Array.isArray(v) ? v.map(item).join(', ') : item(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** "field: from → to" pieces for a diff (create has only `to`, delete only `from`). */
export function diffParts(diff) {
  if (!diff || typeof diff !== 'object') return [];
  return Object.entries(diff).map(([field, change]) => {
    const c = change && typeof change === 'object' && !Array.isArray(change) ? change : { to: change };
    const hasFrom = 'from' in c;
    const hasTo = 'to' in c;
    // A secret that changed says so, never what it was or is ({"changed": true}).
    if (c.changed === true && !hasFrom && !hasTo) return { field, text: t('activity.changed') };
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
    parts.length > 3 ? h('span', { class: 'muted' }, ` ${t('activity.more', { count: parts.length - 3 })}`) : null);
}

/** The whole entry, with staff names for ids, in a dialog. */
export async function showEntry(id, returnFocus) {
  const dlg = modal({ title: t('activity.entry', { id }), wide: true, returnFocus });
  const close = h('button', { type: 'button', class: 'btn' }, t('common.close'));
  close.addEventListener('click', () => dlg.close());
  dlg.actions.replaceChildren(close);
  dlg.body.replaceChildren(h('p', { class: 'loading' }, t('common.loading')));
  try {
    const { data: e } = await api('GET', `/api/v1/activity/${id}`);
    const names = (e.names && e.names.staff) || {};
    const who = (v) => (v != null && names[String(v)] ? `${names[String(v)]} (#${v})` : v);
    const ent = entityByLogName(e.entity);
    const staffField = (f) => f === 'actor_id' || f === 'reassigned_to'
      || (ent && ent.fields.some((x) => x.name === f && (x.type === 'staff' || x.type === 'staff_list')));
    const value = (f, v) => {
      if (v === null || v === undefined || v === '') return '∅';
      if (staffField(f) && Array.isArray(v)) return v.length ? v.map((x) => String(who(x))).join(', ') : '∅';
      if (staffField(f)) return String(who(v));
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    };
    const rows = Object.entries(e.diff || {}).map(([f, c]) => {
      const given = c && typeof c === 'object' && !Array.isArray(c) ? c : { to: c };
      const ch = given.changed === true && !('from' in given) && !('to' in given) ? { to: t('activity.changed') } : given;
      return h('tr', null, h('th', { scope: 'row' }, f),
        h('td', { class: 'pre' }, 'from' in ch ? value(f, ch.from) : ''),
        h('td', { class: 'pre' }, 'to' in ch ? value(f, ch.to) : ''));
    });
    const meta = [
      [t('activity.time'), [timeEl(e.at), ` (${timeZone()})`]],
      [t('activity.actor'), e.actor_name || (e.actor_id != null ? `#${e.actor_id}` : t('activity.system'))],
      [t('activity.action'), e.action],
      [t('activity.record'), e.entity ? `${e.entity}${e.entity_id != null ? ` #${e.entity_id}` : ''}${
        e.entity === 'staff' && names[String(e.entity_id)] ? ` (${names[String(e.entity_id)]})` : ''}` : '—'],
      [t('activity.ip'), e.ip || '—'],
      [t('activity.request_id'), e.request_id || '—'],
    ];
    if (Array.isArray(e.signals) && e.signals.length) meta.push([t('activity.signals'), e.signals.map(signalText).join(', ')]);
    dlg.body.replaceChildren(
      h('dl', { class: 'details' }, meta.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
      rows.length ? h('table', { class: 'table' },
        h('thead', null, h('tr', null, [t('staff.col.field'), t('activity.before'), t('activity.after')].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows)) : h('p', { class: 'muted' }, t('activity.no_changes')));
  } catch (err) {
    dlg.body.replaceChildren(problemBox(err));
  }
  return dlg.result;
}

/** The columns of an entry (the log, the dashboard, a record's History). */
export function activityColumns({ compact = false } = {}) {
  const cols = [
    { label: t('activity.time_zone', { zone: timeZone() }), sort: 'at', desc: true, class: 'nowrap',
      cell(e) {
        const open = h('button', { type: 'button', class: 'btn btn-link', title: t('activity.show_entry') }, timeEl(e.at));
        open.addEventListener('click', () => showEntry(e.id, open));
        return open;
      } },
    { label: t('activity.actor'), class: 'nowrap', cell: (e) => e.actor_name || (e.actor_id != null ? `#${e.actor_id}` : t('activity.system')) },
    { label: t('activity.action'),
      cell: (e) => [h('span', { class: ['badge', ACTIONS.includes(e.action) ? `badge-action-${e.action}` : null] }, e.action),
        ...signalBadges(e).flatMap((b) => [' ', b])] },
    { label: t('activity.entity'), cell: (e) => e.entity || '' },
    { label: t('activity.entity_id'),
      cell(e) {
        if (e.entity_id == null || ((e.entity === 'settings' || e.entity === 'email_queue') && !e.entity_id)) return '';
        const ent = entityByLogName(e.entity);
        const base = ent ? ent.path : RECORD_PATHS[e.entity];
        return base && e.action !== 'delete' ? h('a', { href: `${base}/${e.entity_id}` }, String(e.entity_id)) : String(e.entity_id);
      } },
    { label: t('activity.changes'), class: 'diff-cell', cell: (e) => diffCell(e.diff) },
  ];
  if (!compact) cols.push({ label: t('activity.ip'), class: 'nowrap mono', cell: (e) => e.ip || '' });
  return cols;
}

export function activityRow(e, { compact = false } = {}) {
  return h('tr', null, activityColumns({ compact }).map((c) => h('td', { class: c.class }, c.cell(e))));
}

export function activityHead({ compact = false } = {}) {
  return h('thead', null, h('tr', null, activityColumns({ compact }).map((c) => h('th', { scope: 'col' }, c.label))));
}

/**
 * The History card of a record page: its activity entries, newest first
 * (GET /api/v1/activity?entity=&entity_id=), each opening the whole entry.
 */
export function historySection(logEntity, id, signal) {
  const titleId = `history-${logEntity}-${id}`;
  const body = h('div', { class: 'table-wrap' }, h('p', { class: 'loading' }, t('activity.loading_history')));
  const all = h('a', { href: `/admin/utilities/activity_log?entity=${encodeURIComponent(logEntity)}&entity_id=${id}` },
    t('activity.open_log'));
  const section = h('section', { class: 'card section form-width', 'aria-labelledby': titleId },
    h('div', { class: 'section-header' }, h('h2', { id: titleId, class: 'section-title' }, t('staff.tab.history')), all),
    body);
  api('GET', '/api/v1/activity', { query: { entity: logEntity, entity_id: id, limit: 20 }, signal })
    .then(({ data }) => {
      const rows = Array.isArray(data.data) ? data.data : [];
      body.replaceChildren(rows.length
        ? h('table', { class: 'table table-log' }, activityHead({ compact: true }),
          h('tbody', null, rows.map((e) => activityRow(e, { compact: true }))))
        : emptyState(t('activity.no_recorded')));
    })
    .catch((err) => { if (!isAbort(err)) body.replaceChildren(problemBox(err)); });
  return section;
}

export async function activityPage(ctx, root) {
  ctx.setTitle(t('nav.activity_log'));
  const staff = await loadStaff(ctx.signal);
  const exportLink = h('a', { class: 'btn', download: 'activity.csv', href: '/api/v1/activity/export' }, t('activity.export'));
  // The weekly check: each saved filter is one click (the other filters
  // are cleared, so the view is the same for everyone).
  let view = null;
  const views = h('nav', { class: 'saved-filters', 'aria-label': t('activity.weekly_check') },
    h('span', { class: 'muted' }, `${t('activity.weekly_check')}:`),
    SIGNALS.map((k) => {
      const b = h('button', { type: 'button', class: 'btn btn-sm', 'aria-pressed': 'false', dataset: { view: k } },
        t(`activity.view.${k}`));
      b.addEventListener('click', () => {
        view.set({ actor_id: '', entity: '', entity_id: '', action: '', ip: '', from: '', to: '', signal: k });
      });
      return b;
    }));
  view = listView(ctx, {
    api: '/api/v1/activity',
    name: t('activity.entries'),
    id: 'act',
    // The time, on its index (org_id, at); the id breaks ties.
    sort: '-at',
    sortText: t('activity.newest_first'),
    limit: 25,
    search: null,
    filterLabel: t('activity.filter'),
    filters: [
      { param: 'actor_id', id: 'act-actor', label: t('activity.actor'), all: t('staff.f.anyone'),
        options: staff.map((s) => [String(s.id), s.name || s.email]), unknown: (v) => `#${v}` },
      { param: 'entity', id: 'act-entity', label: t('activity.entity'), type: 'text', placeholder: t('activity.any'), suggestions: entitySuggestions() },
      { param: 'entity_id', id: 'act-entity-id', label: t('activity.record_id'), type: 'number', placeholder: t('activity.any') },
      { param: 'action', id: 'act-action', label: t('activity.action'), all: t('activity.any'), options: ACTIONS.map((a) => [a, a]) },
      { param: 'ip', id: 'act-ip', label: t('activity.ip'), type: 'text', placeholder: t('activity.ip_placeholder') },
      { param: 'signal', id: 'act-signal', label: t('activity.signal'), all: t('activity.any'),
        options: SIGNALS.map((k) => [k, signalText(k)]) },
      // Days of the browser's time zone, the one the times are shown in.
      { type: 'dates', field: 'at', params: ['from', 'to'], labels: [t('activity.from'), t('activity.to')] },
    ],
    columns: activityColumns(),
    tableClass: 'table-log',
    empty: { none: [t('activity.none')], filtered: [t('activity.no_match')] },
    onData: () => {
      exportLink.href = withQuery('/api/v1/activity/export', view.filterQuery());
      // The saved filter shown, if any, is the pressed button.
      const current = view.filterQuery().signal || '';
      for (const b of views.querySelectorAll('button[data-view]')) b.setAttribute('aria-pressed', String(b.dataset.view === current));
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.activity_log')), exportLink),
    h('p', { class: 'muted page-lead' }, `${t('activity.lead')} `, t('activity.times_in', { zone: timeZone() })),
    views,
    view.root);
  await view.load();
}

export const routes = [['/admin/utilities/activity_log', activityPage]];
export const nav = [
  { path: '/admin/utilities/activity_log', key: 'nav.activity_log', label: 'Activity log', module: 'activity', adminOnly: true,
    group: 'Utilities', order: 20, icon: ['M12 7v5l3 2', 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z'] },
];
