// The live security checklist (/admin/security) and the role audit
// (/admin/security/role-audit): the spec's "Security — permanent checklist"
// with each row's status from the server (GET /api/v1/security/checklist),
// what it found, when it was last done and is next due, the screen that
// fixes it, marking a review done with a note, and the review history; the
// role audit lists every active member's effective access per module and
// where it comes from, with the roles that grant more than their template.
import { h, pageTitle, timeEl } from '../dom.js';
import { api, ApiError, isAbort, withQuery } from '../api.js';
import { can } from '../session.js';
import { listView } from '../listview.js';
import { alertBox, loadStaff, modal, problemBox, toast } from '../ui.js';
import { control, showFieldErrors } from '../forms.js';
import { t, tOr } from '../i18n.js';
import { CAPS, moduleLabel } from './staff_access.js';

const STATUS_BADGE = { ok: 'badge-on', attention: 'badge-warn', overdue: 'badge-danger', not_applicable: 'badge-off' };
const rowTitle = (row) => tOr(`security.row.${row.key}`, row.title);
const FINDINGS_SHOWN = 5;

function subnav(current) {
  const link = (href, key) => h('a', { href, class: ['btn', 'btn-sm', current === href ? 'btn-primary' : null],
    'aria-current': current === href ? 'page' : null }, t(key));
  return h('nav', { class: 'security-nav', 'aria-label': t('security.sections') },
    link('/admin/security', 'security.checklist'), link('/admin/security/role-audit', 'security.role_audit'));
}

/* One finding as text (and a link to it). */
function findingItem(f) {
  let text;
  if (f.kind === 'member') {
    text = f.email ? `${f.name} (${f.email})` : f.name;
  } else if (f.kind === 'api_token') {
    text = t(f.owner_deactivated ? 'security.token_of_gone' : 'security.token_of', { name: f.name, owner: f.owner });
  } else if (f.kind === 'role') {
    text = t('security.role_excess', { name: f.name, template: f.template, excess: (f.excess || []).join(', ') });
  } else {
    text = f.name || String(f.id);
  }
  let extra = [];
  if (f.kind === 'member' && f.overdue === false) {
    extra = [' · ', t('security.enrol_grace')];
  } else if (f.kind === 'member' && 'last_login_at' in f) {
    extra = f.last_login_at ? [' · ', t('security.last_signin'), ' ', timeEl(f.last_login_at, { dateOnly: true })]
      : [' · ', t('security.never_signed_in')];
  } else if (f.kind === 'api_token') {
    extra = f.last_used_at ? [' · ', t('security.last_seen'), ' ', timeEl(f.last_used_at, { dateOnly: true })]
      : [' · ', t('security.never_seen')];
  }
  return h('li', null, f.link ? h('a', { href: f.link }, text) : text, ...extra);
}

function findingsCell(row) {
  if (row.key === 'activity_review') {
    return h('span', null, t(row.last_done_at ? 'security.entries_since' : 'security.entries_so_far', { count: row.findings_count }));
  }
  if (!row.findings_count) return h('span', { class: 'muted' }, t('security.none_found'));
  const items = row.findings.slice(0, FINDINGS_SHOWN).map(findingItem);
  const more = row.findings_count - items.length;
  return h('div', null,
    h('span', { class: 'finding-count' }, t('security.found', { count: row.findings_count })),
    h('ul', { class: 'finding-list' }, items),
    more > 0 ? h('span', { class: 'muted' }, t('security.more', { count: more })) : null);
}

function lastDoneCell(row) {
  if (!row.last_done_at) return h('span', { class: 'muted' }, row.reviewable ? t('security.never') : t('security.continuous'));
  const how = row.last_done_source === 'settings' ? t('security.by_settings') : t('security.by_review');
  return h('span', null, timeEl(row.last_done_at, { dateOnly: true }),
    h('span', { class: 'cell-sub muted' }, `${how}${row.last_done_by ? ` · ${row.last_done_by}` : ''}`));
}

/* Asks for an optional note and marks the row's review done. */
async function markReview(row, button, after) {
  const dlg = modal({ title: t('security.mark_q', { name: rowTitle(row) }), returnFocus: button });
  const note = control({ name: 'note', label: t('security.note'), type: 'textarea', max: 1000, rows: 3,
    hint: t('security.note_hint') });
  const messages = h('div', { class: 'form-messages' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('security.mark_done'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'form', novalidate: true }, messages, note.wrap);
  dlg.body.append(form);
  dlg.actions.append(cancel, save);
  save.setAttribute('form', form.id = `review-${row.key}`);
  cancel.addEventListener('click', () => dlg.close());
  note.input.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    save.disabled = true;
    const body = note.get() ? { note: note.get() } : {};
    try {
      await api('POST', `/api/v1/security/checklist/${row.key}/reviews`, { body });
      dlg.close(true);
      toast(t('security.marked', { name: rowTitle(row) }));
      after();
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showFieldErrors(err, { note }, messages);
      else messages.replaceChildren(problemBox(err));
    } finally {
      save.disabled = false;
    }
  });
}

function checklistTable(data, reload) {
  const mayMark = can('security_checklist', 'create');
  const head = h('thead', null, h('tr', null,
    [t('security.col.check'), t('security.col.status'), t('security.col.found'), t('security.col.last_done'),
      t('security.col.next_due'), t('security.col.actions')].map((x) => h('th', { scope: 'col' }, x))));
  const body = h('tbody', null, data.map((row) => {
    const fix = h('a', { href: row.link, class: 'btn btn-sm' }, t('security.open'));
    let mark = null;
    if (row.reviewable && mayMark) {
      mark = h('button', { type: 'button', class: 'btn btn-sm btn-primary', dataset: { mark: row.key } }, t('security.mark_done'));
      mark.addEventListener('click', () => markReview(row, mark, reload));
    }
    return h('tr', { dataset: { key: row.key, status: row.status } },
      h('th', { scope: 'row' }, h('span', null, rowTitle(row)),
        h('span', { class: 'cell-sub muted' }, tOr(`security.freq.${row.frequency}`, row.frequency))),
      h('td', null, h('span', { class: ['badge', STATUS_BADGE[row.status] || 'badge-off'] }, t(`security.status.${row.status}`))),
      h('td', null, findingsCell(row)),
      h('td', { class: 'nowrap' }, lastDoneCell(row)),
      h('td', { class: 'nowrap' }, row.next_due_at ? timeEl(row.next_due_at, { dateOnly: true })
        : h('span', { class: 'muted' }, t('security.continuous'))),
      h('td', { class: 'actions-cell' }, h('div', { class: 'row-actions' }, fix, mark)));
  }));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table table-security', 'aria-label': t('security.checklist') }, head, body));
}

export async function checklistPage(ctx, root) {
  ctx.setTitle(t('security.checklist'));
  const summary = h('div', { 'aria-live': 'polite' });
  const holder = h('div', { 'aria-busy': 'true' });
  const history = listView(ctx, {
    api: '/api/v1/security/reviews',
    name: t('security.reviews'),
    id: 'sec-reviews',
    sort: '-id',
    sortText: t('security.newest_first'),
    limit: 10,
    search: null,
    filterLabel: t('security.filter_reviews'),
    filters: [{ param: 'check_key', id: 'sec-check', label: t('security.col.check'), all: t('security.all_rows'),
      options: () => ['departures', 'inactive_tokens', 'activity_review', 'smtp_rotation', 'role_audit', 'inactive_members']
        .map((k) => [k, t(`security.row.${k}`)]) }],
    columns: [
      { label: t('security.col.check'), cell: (r) => tOr(`security.row.${r.check_key}`, r.check_key) },
      { label: t('security.col.done_at'), class: 'nowrap', cell: (r) => timeEl(r.done_at) },
      { label: t('security.col.by'), cell: (r) => r.actor_name },
      { label: t('security.note'), cell: (r) => (r.note ? h('span', { class: 'pre-line' }, r.note) : h('span', { class: 'muted' }, '—')) },
    ],
    empty: { none: [t('security.no_reviews')], filtered: [t('security.no_reviews')] },
  });

  async function load() {
    holder.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api('GET', '/api/v1/security/checklist', { signal: ctx.signal });
      const overdue = Number(data.overdue) || 0;
      summary.replaceChildren(overdue
        ? alertBox('warning', t('security.overdue_n', { count: overdue }), t('security.overdue_hint'))
        : alertBox('success', t('security.all_ok'), t('security.all_ok_hint')));
      holder.replaceChildren(checklistTable(data.data || [], () => { load(); history.load(); }));
    } catch (err) {
      if (isAbort(err)) return;
      holder.replaceChildren(problemBox(err));
    } finally {
      holder.setAttribute('aria-busy', 'false');
    }
  }

  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('security.checklist'))),
    subnav('/admin/security'),
    h('p', { class: 'muted page-lead' }, t('security.lead')),
    summary, holder,
    h('h2', { class: 'section-title security-history' }, t('security.history')),
    history.root);
  await Promise.all([load(), history.load()]);
}

/* ---- the role audit --------------------------------------------------------------- */

const SOURCE_MARK = { role: '', override_allow: '+', admin: '' };

/* The capabilities a member holds on one module, or null when none. */
function accessLine(a) {
  const held = CAPS().filter(([c]) => a.capabilities[c]);
  const parts = held.flatMap(([c, label]) => {
    const v = a.capabilities[c];
    if (v.allowed) {
      return [h('span', { class: ['cap', v.source === 'override_allow' ? 'cap-override' : null],
        title: t(`security.source.${v.source}`) }, `${label}${SOURCE_MARK[v.source] || ''}`)];
    }
    if (v.source === 'override_deny') {
      return [h('span', { class: 'cap cap-denied', title: t('security.source.override_deny') }, `${label} ✕`)];
    }
    return [];
  });
  if (!parts.length) return null;
  return h('li', { dataset: { module: a.module } }, h('strong', null, moduleLabel(a)), ': ',
    parts.flatMap((p, i) => (i ? [', ', p] : [p])));
}

export async function roleAuditPage(ctx, root) {
  ctx.setTitle(t('security.role_audit'));
  const [staff, roles, modules] = await Promise.all([
    loadStaff(ctx.signal),
    api('GET', '/api/v1/roles', { signal: ctx.signal }).then((r) => r.data.data || []).catch((err) => { if (isAbort(err)) throw err; return []; }),
    api('GET', '/api/v1/permissions/modules', { signal: ctx.signal }).then((r) => r.data.data || []).catch((err) => { if (isAbort(err)) throw err; return []; }),
  ]);
  const exportLink = h('a', { class: 'btn', download: 'role-audit.csv', href: '/api/v1/security/role-audit/export' }, t('security.export_csv'));
  const flagged = h('div', { 'aria-live': 'polite' });
  const view = listView(ctx, {
    api: '/api/v1/security/role-audit',
    name: t('security.members'),
    id: 'audit',
    sort: 'staff_id',
    sortText: t('security.by_member'),
    limit: 25,
    maxLimit: 100,
    search: { label: t('staff.search'), placeholder: t('staff.search_placeholder') },
    filterLabel: t('security.filter_audit'),
    filters: [
      { param: 'staff_id', id: 'audit-member', label: t('security.member'), all: t('staff.f.everyone'),
        options: staff.filter((s) => s.active !== false).map((s) => [String(s.id), s.name || s.email]), unknown: (v) => `#${v}` },
      { param: 'role_id', id: 'audit-role', label: t('security.role'), all: t('security.any_role'),
        options: roles.map((r) => [String(r.id), r.name]), unknown: (v) => `#${v}` },
      { param: 'module', id: 'audit-module', label: t('security.module'), all: t('security.every_module'),
        options: modules.map((m) => [m.module, moduleLabel(m)]) },
    ],
    columns: [
      { label: t('security.member'), sort: 'name', linked: true,
        cell: (m, { link }) => [link(m.name), m.admin ? h('span', { class: 'badge badge-admin badge-inline' }, t('staff.col.admin')) : null,
          h('span', { class: 'cell-sub muted' }, m.email)] },
      { label: t('security.role'),
        cell: (m) => (m.role ? [h('span', null, m.role.name), m.role.template
          ? h('span', { class: 'cell-sub muted' }, t('security.from_template', { name: m.role.template })) : null]
          : h('span', { class: 'muted' }, t('security.no_role'))) },
      { label: t('security.access'),
        cell: (m) => {
          if (m.admin) return h('span', null, t('security.admin_all'));
          const lines = (m.access || []).map(accessLine).filter(Boolean);
          return lines.length ? h('ul', { class: 'access-list' }, lines) : h('span', { class: 'muted' }, t('security.no_access'));
        } },
    ],
    rowHref: (m) => `/admin/staff/${m.id}?tab=access`,
    empty: { none: [t('security.no_members')], filtered: [t('security.no_members')] },
    onData: (data) => {
      exportLink.href = withQuery('/api/v1/security/role-audit/export', view.filterQuery());
      const over = (data.roles || []).filter((r) => r.exceeds);
      flagged.replaceChildren(over.length
        ? alertBox('warning', t('security.roles_exceeding', { count: over.length }), t('security.roles_exceeding_hint'),
          h('ul', { class: 'finding-list' }, over.map((r) => h('li', { dataset: { roleId: String(r.id) } },
            h('a', { href: `/admin/roles/${r.id}` }, r.name), ` — ${t('security.beyond', { template: r.template, excess: r.excess.join(', ') })}`))))
        : alertBox('success', t('security.roles_within'), t('security.roles_within_hint')));
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('security.role_audit')), exportLink),
    subnav('/admin/security/role-audit'),
    h('p', { class: 'muted page-lead' }, t('security.audit_lead')),
    flagged,
    view.root);
  await view.load();
}

export const routes = [
  ['/admin/security', checklistPage],
  ['/admin/security/role-audit', roleAuditPage],
];
export const nav = [
  { path: '/admin/security', key: 'nav.security', label: 'Security checklist', module: 'security_checklist', adminOnly: true,
    group: 'Administration', order: 25, icon: ['M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z', 'M9 12l2 2 4-4'] },
];
