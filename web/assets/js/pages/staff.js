// Staff (/admin/staff): the list with the spec's filters, "Add staff", and
// the staff record with its Details, Permissions (individual overrides) and
// Access (effective rights, explained) tabs — those two in staff_access.js —
// and Security (2FA status, reset 2FA, force a password reset, end all
// sessions; staff_security.js) tabs, plus the lifecycle
// actions: deactivate/activate, resend invitation, delete with reassignment.
import { h, icon, nextId, pageTitle, replace, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { navigate, replaceQuery } from '../router.js';
import { entityByLogName } from '../entities.js';
import { historySection } from './activity.js';
import { can, canView, me } from '../session.js';
import { securityTab } from './staff_security.js';
import { trackForm } from '../dirty.js';
import { accessTab, permissionsTab } from './staff_access.js';
import { listView } from '../listview.js';
import { t } from '../i18n.js';
import {
  alertBox, clearStaffCache, confirmDialog, modal, problemBox, sentence, serverText, toast,
} from '../ui.js';
import {
  checkboxGroup, clearErrors, control, errorMessage, radioGroup, showFieldErrors, staleNotice, tabs,
} from '../forms.js';

const PLUS = ['M12 5v14', 'M5 12h14'];
const BACK = ['M15 18l-6-6 6-6'];
export { CAPS, moduleLabel } from './staff_access.js';
const INACTIVE_DAYS = () => [30, 90, 180].map((n) => [String(n), t('staff.days', { count: n })]);

/* ---- lookups ------------------------------------------------------------- */

/** GET a list; null when the member may not read it (403/404). */
async function optionalList(path, query, signal) {
  try {
    const { data } = await api('GET', path, { query, signal });
    return Array.isArray(data && data.data) ? data.data : [];
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return null;
    throw err;
  }
}

/** Roles, departments and teams for selects; each null when not permitted. */
export async function loadLookups(signal) {
  const [roles, assignable, departments, teams] = await Promise.all([
    canView('roles') ? optionalList('/api/v1/roles', undefined, signal) : null,
    // The roles the member may give (theirs to give, or delegated to
    // their role by an administrator): the role picker offers only these.
    optionalList('/api/v1/roles/assignable', undefined, signal),
    canView('departments') ? optionalList('/api/v1/departments', { limit: 200, sort: 'name' }, signal) : null,
    canView('teams') ? optionalList('/api/v1/teams', { limit: 200, sort: 'name' }, signal) : null,
  ]);
  return { roles, assignable, departments, teams };
}

const nameOf = (list, id) => {
  const x = (list || []).find((r) => r.id === id);
  return x ? x.name : `#${id}`;
};

function statusBadge(s) {
  // Invited: added, the password link not used yet (never signed in).
  if (s.active && s.invited) return h('span', { class: 'badge badge-warn', title: t('staff.invited_title') }, t('staff.invited'));
  return h('span', { class: ['badge', s.active ? 'badge-on' : 'badge-off'] }, s.active ? t('staff.active') : t('staff.inactive'));
}

function lastLogin(iso) {
  return iso ? timeEl(iso, { dateOnly: true }) : h('span', { class: 'muted' }, t('staff.never'));
}

/* ---- list ---------------------------------------------------------------- */

export async function staffListPage(ctx, root) {
  ctx.setTitle(t('nav.staff'));
  const lookups = await loadLookups(ctx.signal);
  const opts = (list) => (list || []).map((r) => [String(r.id), r.name]);
  const unknown = (v) => `#${v}`;
  const filters = [
    { param: 'active', label: t('field.status'), all: t('staff.f.everyone'), options: [['true', t('staff.active')], ['false', t('staff.inactive')]] },
    lookups.roles ? { param: 'role_id', label: t('staff.col.role'), all: t('staff.f.any_role'), options: opts(lookups.roles), unknown } : null,
    lookups.departments ? { param: 'department_id', label: t('staff.f.department'), all: t('staff.f.any_department'),
      options: opts(lookups.departments), unknown } : null,
    lookups.teams ? { param: 'team_id', label: t('staff.f.team'), all: t('staff.f.any_team'), options: opts(lookups.teams), unknown } : null,
    { param: 'admin', label: t('staff.col.admin'), all: t('staff.f.anyone'), options: [['true', t('staff.f.admins')], ['false', t('staff.f.not_admins')]] },
    { param: 'inactive_days', label: t('staff.f.no_signin'), all: t('staff.f.any_time'), options: INACTIVE_DAYS() },
  ].filter(Boolean);
  const none = (label) => h('span', { class: 'muted', 'aria-label': label }, '—');
  const view = listView(ctx, {
    api: '/api/v1/staff',
    exportable: true,
    name: t('staff.members'),
    id: 'staff',
    sort: 'name',
    limit: 25,
    search: { label: t('staff.search'), placeholder: t('staff.search_placeholder') },
    filterLabel: t('staff.filter'),
    filters,
    columns: [
      { label: t('field.name'), sort: 'name', cell: (s) => s.name || s.email },
      { label: t('field.email'), sort: 'email', cell: (s) => h('span', { class: 'truncate', title: s.email }, s.email) },
      { label: t('staff.col.role'), cell: (s) => s.role_name || h('span', { class: 'muted' }, t('staff.no_role')) },
      { label: t('entity.departments'),
        cell: (s) => (s.department_ids || []).map((id) => nameOf(lookups.departments, id)).join(', ') || none('none') },
      { label: t('field.status'), cell: statusBadge },
      { label: t('staff.col.admin'), cell: (s) => (s.admin ? h('span', { class: 'badge badge-admin' }, t('staff.col.admin')) : none(t('a11y.no'))) },
      { label: t('staff.col.last_login'), sort: 'last_login', desc: true, class: 'nowrap', cell: (s) => lastLogin(s.last_login) },
    ],
    rowHref: (s) => `/admin/staff/${s.id}`,
    rowProps: (s) => ({ class: s.active ? null : 'row-muted' }),
    empty: {
      none: [t('staff.none')],
      filtered: [t('staff.no_match'), t('staff.try_another')],
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.staff')),
      can('staff', 'create') ? h('a', { href: '/admin/staff/new', class: 'btn btn-primary' }, icon(PLUS), t('staff.add')) : null),
    h('p', { class: 'muted page-lead' }, t('staff.lead')),
    view.root);
  await view.load();
}

/* ---- the staff form (add and details) ------------------------------------- */

function roleOptions(lookups, record) {
  const opts = [['', t('staff.no_role_option')]];
  for (const r of lookups.assignable || lookups.roles || []) opts.push([String(r.id), r.name]);
  if (record && record.role_id != null && !opts.some(([v]) => v === String(record.role_id))) {
    opts.push([String(record.role_id), record.role_name || `#${record.role_id}`]);
  }
  return opts;
}

/** The shared controls of add and edit; {controls, nodes}. */
function staffControls(lookups, record, { isNew, self }) {
  const viewer = me();
  const c = {};
  c.email = control({ name: 'email', label: t('field.email'), type: 'email', required: true, max: 254,
    hint: isNew ? t('staff.email_hint_new') : self ? t('staff.email_hint_self') : t('staff.email_hint') });
  if (self) c.email.input.disabled = true;
  c.name = control({ name: 'name', label: t('staff.full_name'), required: true, max: 200 });
  // A person whose account is another organisation's: their email and
  // name change there (the server answers 409 here).
  if (record && record.home_org) {
    c.email.input.disabled = true;
    c.name.input.disabled = true;
  }
  c.role_id = control({ name: 'role_id', label: t('staff.col.role'), type: 'select', options: roleOptions(lookups, record),
    hint: me().admin ? t('staff.role_hint_admin') : t('staff.role_hint') });
  c.role_id.get = () => (c.role_id.input.value === '' ? null : Number(c.role_id.input.value));
  if (self && !viewer.admin) c.role_id.input.disabled = true;
  if (lookups.departments) {
    c.department_ids = checkboxGroup({ name: 'department_ids', label: t('entity.departments'),
      items: lookups.departments.map((d) => [d.id, d.name]), hint: t('staff.departments_hint'),
      empty: t('staff.departments_empty') });
  }
  if (lookups.teams) {
    c.team_ids = checkboxGroup({ name: 'team_ids', label: t('entity.teams'), items: lookups.teams.map((x) => [x.id, x.name]),
      empty: t('staff.teams_empty') });
  }
  if (viewer.admin) {
    c.admin = control({ name: 'admin', label: t('staff.admin_label'),
      type: 'checkbox', wide: true,
      hint: t('staff.admin_hint') });
  }
  if (record) {
    c.email.set(record.email);
    c.name.set(record.name);
    c.role_id.set(record.role_id == null ? '' : String(record.role_id));
    if (c.department_ids) c.department_ids.set(record.department_ids);
    if (c.team_ids) c.team_ids.set(record.team_ids);
    if (c.admin) c.admin.set(record.admin);
  }
  return c;
}

function seatProblem(err) {
  const settingsLink = canView('settings')
    ? h('a', { href: '/admin/settings?tab=seats', class: 'btn btn-sm' }, t('staff.seat_settings')) : null;
  return alertBox('error', t('staff.seat_limit'), serverText(err.detail, 'staff.seats_in_use'), settingsLink);
}

const isSeatLimit = (err) => err instanceof ApiError && err.status === 409 && /seat/i.test(err.detail);

export async function staffNewPage(ctx, root) {
  ctx.setTitle(t('staff.add'));
  const back = h('a', { href: '/admin/staff', class: 'back-link' }, icon(BACK), t('nav.staff'));
  if (!can('staff', 'create')) {
    root.replaceChildren(back, pageTitle(t('staff.add')), alertBox('info', t('staff.cannot_add')));
    return;
  }
  const [lookups, email] = await Promise.all([
    loadLookups(ctx.signal),
    // Without SMTP a welcome email could only wait in the queue.
    api('GET', '/api/v1/email/status', { signal: ctx.signal }).then((r) => r.data, (err) => {
      if (isAbort(err)) throw err;
      return null; // unknown: no warning, the default stays
    }),
  ]);
  const noEmail = Boolean(email && email.configured === false);
  const c = staffControls(lookups, null, { isNew: true });
  const password = control({ name: 'temporary_password', label: t('staff.temp_password'), type: 'password',
    autocomplete: 'new-password', max: 1024,
    hint: t('staff.temp_password_hint') });
  password.wrap.hidden = !noEmail;
  const emailWarning = noEmail ? h('div', { class: 'field-wide', 'data-testid': 'smtp-warning' }, alertBox('warning',
    t('staff.no_smtp'), t('staff.no_smtp_detail'),
    canView('settings') ? h('a', { href: '/admin/settings?tab=email', class: 'btn btn-sm' }, t('staff.email_settings')) : null)) : null;
  const access = radioGroup({ name: 'send_welcome', label: t('staff.first_signin'), value: noEmail ? 'temporary' : 'welcome',
    items: [
      ['welcome', t('staff.welcome'), t('staff.welcome_hint')],
      ['temporary', t('staff.temporary'), t('staff.temporary_hint')],
    ],
    onChange: (v) => { password.wrap.hidden = v !== 'temporary'; if (v === 'temporary') password.focus(); } });
  const controls = { ...c, send_welcome: access, temporary_password: password };

  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('staff.add_member'));
  const form = h('form', { class: 'card form', novalidate: true, 'aria-labelledby': 'staff-new-title' },
    messages,
    h('div', { class: 'form-grid' }, c.email.wrap, c.name.wrap, c.role_id.wrap, h('div', { class: 'field' }),
      c.department_ids && c.department_ids.wrap, c.team_ids && c.team_ids.wrap, c.admin && c.admin.wrap,
      emailWarning, access.wrap, password.wrap),
    h('div', { class: 'form-actions' }, save, h('a', { href: '/admin/staff', class: 'btn' }, t('common.cancel'))));
  const title = pageTitle(t('staff.add'));
  title.id = 'staff-new-title';
  root.replaceChildren(back, h('div', { class: 'page-header' }, title), form);
  trackForm(form);
  c.email.focus();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(controls, messages);
    const body = {};
    if (c.email.get() !== null) body.email = c.email.get();
    if (c.name.get() !== null) body.name = c.name.get();
    const role = c.role_id.get();
    if (role != null) body.role_id = role;
    if (c.department_ids && c.department_ids.get().length) body.department_ids = c.department_ids.get();
    if (c.team_ids && c.team_ids.get().length) body.team_ids = c.team_ids.get();
    if (c.admin && c.admin.get()) body.admin = true;
    if (access.get() === 'temporary') {
      body.temporary_password = password.input.value;
      if (!body.temporary_password) {
        password.setError(t('staff.enter_temp'));
        messages.replaceChildren(alertBox('error', t('form.correct_fields', { count: 1 })));
        password.focus();
        return;
      }
    } else {
      body.send_welcome = true;
    }
    save.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api('POST', '/api/v1/staff', { body });
      clearStaffCache();
      toast(data.invitation_sent
        ? t('staff.added_welcome', { name: data.name || data.email })
        : t('staff.added_temp', { name: data.name || data.email }));
      navigate(`/admin/staff/${data.id}`);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showFieldErrors(err, controls, messages);
      else {
        messages.replaceChildren(isSeatLimit(err) ? seatProblem(err) : problemBox(err));
        messages.focus();
      }
    } finally {
      save.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

/* ---- the staff record ------------------------------------------------------ */

const TAB_KEYS = ['details', 'permissions', 'access', 'security', 'history'];

export async function staffRecordPage(ctx, root) {
  const id = ctx.params.id;
  const back = h('a', { href: '/admin/staff', class: 'back-link' }, icon(BACK), t('nav.staff'));
  if (!/^[1-9]\d*$/.test(id)) {
    ctx.setTitle(t('notfound.title'));
    root.replaceChildren(back, pageTitle(t('staff.not_found')));
    return;
  }
  const [loaded, lookups] = await Promise.all([
    api('GET', `/api/v1/staff/${id}`, { signal: ctx.signal }).catch((err) => err),
    loadLookups(ctx.signal),
  ]);
  if (loaded instanceof Error) {
    if (loaded instanceof ApiError && loaded.status === 404) {
      ctx.setTitle(t('notfound.title'));
      root.replaceChildren(back, pageTitle(t('staff.not_found')),
        alertBox('info', t('staff.no_such', { id }), t('staff.maybe_deleted')));
      return;
    }
    throw loaded;
  }
  const record = loaded.data;
  const etag = loaded.etag;
  const viewer = me();
  const self = record.id === viewer.id;
  // Who may manage whom: the server says whether this account is the
  // viewer's to change (can_manage), and why not.
  const protectedAdmin = record.can_manage === false || (record.can_manage === undefined && record.admin && !viewer.admin);
  const editable = can('staff', 'edit') && !protectedAdmin;
  const reload = () => navigate(location.pathname + location.search, { replace: true });
  ctx.setTitle(record.name || record.email);

  // Header: name, badges, meta line, actions.
  const badges = [statusBadge(record),
    record.admin ? h('span', { class: 'badge badge-admin' }, t('shell.role_admin')) : null,
    !record.has_password ? h('span', { class: 'badge badge-warn' }, t('staff.no_password')) : null,
    record.must_change_password ? h('span', { class: 'badge badge-warn' }, t('staff.must_change')) : null];
  const pageMessages = h('div', { class: 'form-messages page-messages', tabindex: '-1' });
  const actions = h('div', { class: 'header-actions' });
  const title = pageTitle(record.name || record.email);
  root.replaceChildren(back,
    h('div', { class: 'page-header' }, h('div', { class: 'title-block' }, title, h('div', { class: 'badges' }, badges)), actions),
    h('p', { class: 'meta muted' }, record.email, ' · ', record.role_name ? t('staff.meta_role', { role: record.role_name }) : t('staff.no_role'),
      ` · ${t('staff.meta_last_login')} `, record.last_login ? timeEl(record.last_login) : t('staff.meta_never'),
      ` · ${t('staff.meta_added')} `, timeEl(record.created_at, { dateOnly: true }),
      record.home_org ? [' · ', h('span', { 'data-testid': 'staff-home-org' }, t('staff.home_org', { name: record.home_org }))] : null),
    pageMessages);
  if (record.home_org) {
    root.appendChild(alertBox('info', t('staff.home_org', { name: record.home_org }), t('staff.home_org_note', { name: record.home_org })));
  }
  if (!record.active) {
    root.appendChild(alertBox('warning', t('staff.deactivated'), t('staff.deactivated_detail')));
  }
  // Offboarding: the team passwords this member could reach (administrators).
  if (viewer.admin && !self) {
    const slot = h('div', { 'data-testid': 'vault-offboarding' });
    root.appendChild(slot);
    api('GET', '/api/v1/vault/entries', { query: { shared_with: record.id, limit: 1 }, signal: ctx.signal }).then(({ data }) => {
      if (!data.total) return;
      const href = `/admin/team_password?shared_with=${record.id}`;
      slot.replaceChildren(alertBox(record.active ? 'info' : 'warning', t('vault.offboarding', { count: data.total }),
        t('vault.offboarding_detail'), h('a', { href, class: 'btn btn-sm' }, t('vault.offboarding_list'))));
    }).catch(() => {}); // the vault is optional here: nothing shown
  }
  if (protectedAdmin && (can('staff', 'edit') || can('staff', 'delete'))) {
    root.appendChild(h('div', { 'data-testid': 'cannot-manage' }, alertBox('info',
      record.admin ? t('staff.admin_account') : t('staff.cannot_change'),
      record.admin ? t('staff.admin_only')
        : t('staff.cannot_change_detail', { why: serverText(record.can_manage_detail || 'they hold permissions you do not have', 'staff.more_rights') }))));
  }

  const showActionError = (err) => {
    pageMessages.replaceChildren(isSeatLimit(err) ? seatProblem(err) : problemBox(err));
    pageMessages.focus();
  };

  if (editable && !self) {
    if (record.active) {
      const deactivate = h('button', { type: 'button', class: 'btn' }, t('staff.deactivate'));
      deactivate.addEventListener('click', async () => {
        const ok = await confirmDialog({
          title: t('staff.deactivate_q', { name: record.name || record.email }),
          message: t('staff.deactivate_message'),
          confirmLabel: t('staff.deactivate_now'), danger: true,
        });
        if (!ok) { deactivate.focus(); return; }
        deactivate.disabled = true;
        try {
          await api('POST', `/api/v1/staff/${record.id}/deactivate`);
          clearStaffCache();
          toast(t('staff.deactivated_toast', { name: record.name || record.email }));
          reload();
        } catch (err) { deactivate.disabled = false; showActionError(err); }
      });
      actions.appendChild(deactivate);
    } else {
      const activate = h('button', { type: 'button', class: 'btn btn-primary' }, t('staff.activate'));
      activate.addEventListener('click', async () => {
        const ok = await confirmDialog({
          title: t('staff.activate_q', { name: record.name || record.email }),
          message: t('staff.activate_message'),
          confirmLabel: t('staff.activate'),
        });
        if (!ok) { activate.focus(); return; }
        activate.disabled = true;
        try {
          await api('POST', `/api/v1/staff/${record.id}/activate`);
          clearStaffCache();
          toast(t('staff.activated_toast', { name: record.name || record.email }));
          reload();
        } catch (err) { activate.disabled = false; showActionError(err); }
      });
      actions.appendChild(activate);
    }
  }
  if (editable && record.active && !record.home_org) {
    const invite = h('button', { type: 'button', class: 'btn' }, record.has_password ? t('staff.send_link') : t('staff.resend'));
    invite.title = t('staff.invite_title');
    invite.addEventListener('click', async () => {
      invite.disabled = true;
      try {
        await api('POST', `/api/v1/staff/${record.id}/invite`);
        pageMessages.replaceChildren(alertBox('success', t('staff.invite_sent'), t('staff.invite_sent_detail', { email: record.email })));
      } catch (err) { showActionError(err); } finally { invite.disabled = false; }
    });
    actions.appendChild(invite);
  }
  if (can('staff', 'delete') && !self && !protectedAdmin) {
    const del = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('common.delete'));
    del.addEventListener('click', () => deleteFlow(record, del, reload, showActionError));
    actions.appendChild(del);
  }

  // Tabs.
  const want = ctx.query.get('tab');
  let accessPanel = null;
  const tabset = tabs({
    label: t('staff.record'),
    selected: TAB_KEYS.includes(want) ? want : 'details',
    onChange: (key) => {
      replaceQuery({ tab: key === 'details' ? '' : key });
      if (key === 'access' && accessPanel) accessPanel.refresh();
    },
    items: [
      { key: 'details', label: t('staff.tab.details'),
        render: (panel) => detailsTab(panel, { record, etag, lookups, editable, self, reload }) },
      { key: 'permissions', label: t('staff.tab.permissions'),
        render: (panel) => permissionsTab(panel, { record, editable: editable && !(self && !viewer.admin), signal: ctx.signal,
          onSaved: () => { if (accessPanel) accessPanel.stale = true; } }) },
      { key: 'access', label: t('staff.tab.access'),
        render: (panel) => { accessPanel = accessTab(panel, record, ctx.signal); } },
      { key: 'security', label: t('staff.tab.security'),
        render: (panel) => securityTab(panel, { record, etag, editable, self, signal: ctx.signal, reload }) },
      ...(canView('activity') ? [{ key: 'history', label: t('staff.tab.history'),
        render: (panel) => panel.replaceChildren(historySection('staff', record.id, ctx.signal)) }] : []),
    ],
  });
  root.appendChild(tabset.root);
}

function detailsTab(panel, { record, etag, lookups, editable, self, reload }) {
  const c = staffControls(lookups, record, { isNew: false, self });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = editable ? h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save_changes')) : null;
  if (!editable) {
    for (const x of Object.values(c)) {
      if (x.wrap.tagName === 'FIELDSET') x.wrap.disabled = true; else x.input.disabled = true;
    }
  }
  const form = h('form', { class: 'form form-flat', novalidate: true, 'aria-label': t('staff.details') },
    messages,
    h('div', { class: 'form-grid' }, c.email.wrap, c.name.wrap, c.role_id.wrap, h('div', { class: 'field' }),
      c.department_ids && c.department_ids.wrap, c.team_ids && c.team_ids.wrap, c.admin && c.admin.wrap),
    save ? h('div', { class: 'form-actions' }, save) : null);
  panel.replaceChildren(form);
  if (save) trackForm(form);

  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const sorted = (a) => [...(a || [])].sort((x, y) => x - y);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!save) return;
    clearErrors(c, messages);
    const body = {};
    if (c.email.get() !== record.email) body.email = c.email.get();
    if (c.name.get() !== record.name) body.name = c.name.get();
    if (c.role_id.get() !== (record.role_id ?? null)) body.role_id = c.role_id.get();
    if (c.department_ids && !same(sorted(c.department_ids.get()), sorted(record.department_ids))) {
      body.department_ids = c.department_ids.get();
    }
    if (c.team_ids && !same(sorted(c.team_ids.get()), sorted(record.team_ids))) body.team_ids = c.team_ids.get();
    if (c.admin && c.admin.get() !== Boolean(record.admin)) body.admin = c.admin.get();
    if (!Object.keys(body).length) { toast(t('common.no_changes'), 'info'); return; }
    // One's own admin flag or role: one click could lock oneself out.
    if (self && ('admin' in body || 'role_id' in body)) {
      const losing = body.admin === false;
      const ok = await confirmDialog({
        title: losing ? t('staff.self_remove_q') : t('staff.self_change_q'),
        message: losing
          ? t('staff.self_remove_message') : t('staff.self_change_message'),
        confirmLabel: losing ? t('staff.self_remove') : t('staff.self_change'), danger: true,
      });
      if (!ok) { save.focus(); return; }
    }
    save.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await api('PATCH', `/api/v1/staff/${record.id}`, { body, ifMatch: etag });
      clearStaffCache();
      toast(`${c.name.get() || record.name} saved.`);
      reload();
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showFieldErrors(err, c, messages);
      else if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'staff member', reload);
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

/* ---- Delete: deactivate instead, or reassign everything ---------------------- */

async function deleteFlow(record, button, reload, showActionError) {
  const who = record.name || record.email;
  // First: the spec's advice.
  const first = modal({ title: t('staff.delete_q', { name: who }), returnFocus: button });
  first.body.append(
    h('p', { class: 'dialog-body' }, t('staff.delete_advice')),
    h('p', { class: 'dialog-body' }, t('staff.delete_explain')));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const deactivate = record.active ? h('button', { type: 'button', class: 'btn btn-primary' }, t('staff.deactivate_instead')) : null;
  const onward = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('staff.delete_anyway'));
  cancel.addEventListener('click', () => first.close('cancel'));
  if (deactivate) deactivate.addEventListener('click', () => first.close('deactivate'));
  onward.addEventListener('click', () => first.close('delete'));
  first.actions.append(...[cancel, onward, deactivate].filter(Boolean));
  (deactivate || cancel).focus();
  const choice = await first.result;

  if (choice === 'deactivate') {
    try {
      await api('POST', `/api/v1/staff/${record.id}/deactivate`);
      clearStaffCache();
      toast(t('staff.deactivated_toast', { name: who }));
      reload();
    } catch (err) { showActionError(err); }
    return;
  }
  if (choice !== 'delete') return;

  // Second: choose who takes over their records.
  let others = [];
  try {
    const { data } = await api('GET', '/api/v1/staff', { query: { active: 'true', limit: 200, sort: 'name' } });
    others = (data.data || []).filter((s) => s.id !== record.id);
  } catch (err) { showActionError(err); return; }

  const dlg = modal({ title: t('staff.reassign_title', { name: who }), returnFocus: button });
  const selId = nextId('reassign');
  const errId = `${selId}-error`;
  const select = h('select', { id: selId, class: 'input', required: true },
    h('option', { value: '' }, t('staff.choose_member')),
    others.map((s) => h('option', { value: String(s.id) }, `${s.name || s.email} (${s.email})`)));
  const error = h('p', { id: errId, class: 'field-error', hidden: true });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const confirmBtn = h('button', { type: 'submit', class: 'btn btn-danger' }, t('staff.delete_reassign'));
  const cancel2 = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const form = h('form', { novalidate: true, class: 'dialog-form' },
    h('p', { class: 'dialog-body' }, t('staff.reassign_explain')),
    messages,
    h('div', { class: 'field' }, h('label', { for: selId, class: 'label' }, t('staff.reassign_to'),
      h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), select, error),
    h('div', { class: 'dialog-actions' }, cancel2, confirmBtn));
  dlg.body.append(form);
  cancel2.addEventListener('click', () => dlg.close());
  select.focus();

  const setError = (msg) => {
    error.textContent = msg || '';
    error.hidden = !msg;
    if (msg) { select.setAttribute('aria-invalid', 'true'); select.setAttribute('aria-describedby', errId); } else {
      select.removeAttribute('aria-invalid'); select.removeAttribute('aria-describedby');
    }
  };
  let deleted = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    setError('');
    messages.replaceChildren();
    if (!select.value) { setError(t('staff.reassign_choose')); select.focus(); return; }
    confirmBtn.disabled = true;
    try {
      const { data } = await api('DELETE', `/api/v1/staff/${record.id}`, { query: { reassign_to: select.value } });
      deleted = true;
      clearStaffCache();
      const target = others.find((s) => String(s.id) === String(data.reassigned_to));
      showReassigned(dlg, who, target ? (target.name || target.email) : `#${data.reassigned_to}`, data.reassigned || {});
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        const e = err.fieldErrors.find((x) => x.field === 'reassign_to');
        if (e) { setError(errorMessage(e)); select.focus(); } else { messages.replaceChildren(problemBox(err)); messages.focus(); }
      } else { messages.replaceChildren(problemBox(err)); messages.focus(); }
      confirmBtn.disabled = false;
    }
  });
  await dlg.result;
  if (deleted) navigate('/admin/staff');
}

function showReassigned(dlg, who, targetName, counts) {
  const rows = [];
  for (const [entity, fields] of Object.entries(counts)) {
    for (const [field, n] of Object.entries(fields || {})) rows.push([entity, field, Number(n) || 0]);
  }
  const total = rows.reduce((a, r) => a + r[2], 0);
  const done = h('button', { type: 'button', class: 'btn btn-primary' }, t('staff.done'));
  done.addEventListener('click', () => dlg.close('done'));
  const fieldLabel = { owner_id: t('staff.as_owner'), assigned_to: t('staff.as_assignee'),
    assignees: t('staff.as_one_of_assignees'), members: t('staff.as_member') };
  replace(dlg.body,
    alertBox('success', t('staff.deleted', { name: who }), t('staff.moved', { count: total, name: targetName })),
    rows.length ? h('table', { class: 'table table-compact', 'aria-label': t('staff.reassigned_caption') },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('staff.col.module')), h('th', { scope: 'col' }, t('staff.col.field')),
        h('th', { scope: 'col', class: 'num' }, t('staff.col.records')))),
      h('tbody', null, rows.map(([e, f, n]) => h('tr', null, h('td', null, entityByLogName(e) ? entityByLogName(e).plural : e),
        h('td', null, fieldLabel[f] || f), h('td', { class: 'num' }, String(n)))))) : null,
    h('div', { class: 'dialog-actions' }, done));
  done.focus();
}

export const routes = [
  ['/admin/staff', staffListPage],
  ['/admin/staff/new', staffNewPage],
  ['/admin/staff/:id', staffRecordPage],
];
export const nav = [
  { path: '/admin/staff', key: 'nav.staff', label: 'Staff', module: 'staff', adminOnly: true, group: 'Organisation', order: 10,
    icon: ['M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z', 'M2 21v-1a6 6 0 0 1 6-6h2a6 6 0 0 1 6 6v1',
      'M16 3.5a4 4 0 0 1 0 7', 'M22 21v-1a6 6 0 0 0-4-5.6'] },
];
