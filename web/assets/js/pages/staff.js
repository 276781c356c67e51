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
import {
  alertBox, clearStaffCache, confirmDialog, modal, problemBox, sentence, toast,
} from '../ui.js';
import {
  checkboxGroup, clearErrors, control, errorMessage, radioGroup, showFieldErrors, staleNotice, tabs,
} from '../forms.js';

const PLUS = ['M12 5v14', 'M5 12h14'];
const BACK = ['M15 18l-6-6 6-6'];
export { CAPS } from './staff_access.js';
const INACTIVE_DAYS = [['30', '30 days'], ['90', '90 days'], ['180', '180 days']];

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
  if (s.active && s.invited) return h('span', { class: 'badge badge-warn', title: 'The password link was not used yet' }, 'Invited');
  return h('span', { class: ['badge', s.active ? 'badge-on' : 'badge-off'] }, s.active ? 'Active' : 'Inactive');
}

function lastLogin(iso) {
  return iso ? timeEl(iso, { dateOnly: true }) : h('span', { class: 'muted' }, 'Never');
}

/* ---- list ---------------------------------------------------------------- */

export async function staffListPage(ctx, root) {
  ctx.setTitle('Staff');
  const lookups = await loadLookups(ctx.signal);
  const opts = (list) => (list || []).map((r) => [String(r.id), r.name]);
  const unknown = (v) => `#${v}`;
  const filters = [
    { param: 'active', label: 'Status', all: 'Everyone', options: [['true', 'Active'], ['false', 'Inactive']] },
    lookups.roles ? { param: 'role_id', label: 'Role', all: 'Any role', options: opts(lookups.roles), unknown } : null,
    lookups.departments ? { param: 'department_id', label: 'Department', all: 'Any department',
      options: opts(lookups.departments), unknown } : null,
    lookups.teams ? { param: 'team_id', label: 'Team', all: 'Any team', options: opts(lookups.teams), unknown } : null,
    { param: 'admin', label: 'Admin', all: 'Anyone', options: [['true', 'Administrators'], ['false', 'Not administrators']] },
    { param: 'inactive_days', label: 'No sign-in for', all: 'Any time', options: INACTIVE_DAYS },
  ].filter(Boolean);
  const none = (label) => h('span', { class: 'muted', 'aria-label': label }, '—');
  const view = listView(ctx, {
    api: '/api/v1/staff',
    name: 'Staff members',
    id: 'staff',
    sort: 'name',
    limit: 25,
    search: { label: 'Search staff', placeholder: 'Name or email…' },
    filterLabel: 'Filter staff',
    filters,
    columns: [
      { label: 'Name', sort: 'name', cell: (s) => s.name || s.email },
      { label: 'Email', sort: 'email', cell: (s) => h('span', { class: 'truncate', title: s.email }, s.email) },
      { label: 'Role', cell: (s) => s.role_name || h('span', { class: 'muted' }, 'No role') },
      { label: 'Departments',
        cell: (s) => (s.department_ids || []).map((id) => nameOf(lookups.departments, id)).join(', ') || none('none') },
      { label: 'Status', cell: statusBadge },
      { label: 'Admin', cell: (s) => (s.admin ? h('span', { class: 'badge badge-admin' }, 'Admin') : none('no')) },
      { label: 'Last sign-in', sort: 'last_login', desc: true, class: 'nowrap', cell: (s) => lastLogin(s.last_login) },
    ],
    rowHref: (s) => `/admin/staff/${s.id}`,
    rowProps: (s) => ({ class: s.active ? null : 'row-muted' }),
    empty: {
      none: ['No staff members yet.'],
      filtered: ['No staff members match.', 'Try another search or reset the filters.'],
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Staff'),
      can('staff', 'create') ? h('a', { href: '/admin/staff/new', class: 'btn btn-primary' }, icon(PLUS), 'Add staff') : null),
    h('p', { class: 'muted page-lead' },
      'Everyone who can sign in. Deactivate departing employees the same day; never delete them.'),
    view.root);
  await view.load();
}

/* ---- the staff form (add and details) ------------------------------------- */

function roleOptions(lookups, record) {
  const opts = [['', 'No role (grants nothing)']];
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
  c.email = control({ name: 'email', label: 'Email', type: 'email', required: true, max: 254,
    hint: isNew ? 'Their username. Unique; letter case does not matter.'
      : self ? 'Your own email changes under Account security, confirmed from both addresses.' : 'Their username.' });
  if (self) c.email.input.disabled = true;
  c.name = control({ name: 'name', label: 'Full name', required: true, max: 200 });
  c.role_id = control({ name: 'role_id', label: 'Role', type: 'select', options: roleOptions(lookups, record),
    hint: me().admin ? 'What they may do comes from the role; individual overrides are on the Permissions tab.'
      : 'The roles you may give: those within your own rights, and those an administrator delegated to your role.' });
  c.role_id.get = () => (c.role_id.input.value === '' ? null : Number(c.role_id.input.value));
  if (self && !viewer.admin) c.role_id.input.disabled = true;
  if (lookups.departments) {
    c.department_ids = checkboxGroup({ name: 'department_ids', label: 'Departments',
      items: lookups.departments.map((d) => [d.id, d.name]), hint: 'A member can be in several departments.',
      empty: 'No departments yet. Create them under Departments.' });
  }
  if (lookups.teams) {
    c.team_ids = checkboxGroup({ name: 'team_ids', label: 'Teams', items: lookups.teams.map((t) => [t.id, t.name]),
      empty: 'No teams yet. Create them under Teams.' });
  }
  if (viewer.admin) {
    c.admin = control({ name: 'admin', label: 'Administrator (admin = 1): full access, permissions are not checked',
      type: 'checkbox', wide: true,
      hint: 'Only for people who run the platform. Never for service or integration accounts.' });
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
    ? h('a', { href: '/admin/settings?tab=seats', class: 'btn btn-sm' }, 'Seat settings') : null;
  return alertBox('error', 'Seat limit reached', sentence(err.detail) || 'All seats are in use.', settingsLink);
}

const isSeatLimit = (err) => err instanceof ApiError && err.status === 409 && /seat/i.test(err.detail);

export async function staffNewPage(ctx, root) {
  ctx.setTitle('Add staff');
  const back = h('a', { href: '/admin/staff', class: 'back-link' }, icon(BACK), 'Staff');
  if (!can('staff', 'create')) {
    root.replaceChildren(back, pageTitle('Add staff'), alertBox('info', 'Your role does not allow adding staff.'));
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
  const password = control({ name: 'temporary_password', label: 'Temporary password', type: 'password',
    autocomplete: 'new-password', max: 1024,
    hint: 'It must meet the password policy. Give it to them in person; they must change it at first sign-in.' });
  password.wrap.hidden = !noEmail;
  const emailWarning = noEmail ? h('div', { class: 'field-wide', 'data-testid': 'smtp-warning' }, alertBox('warning',
    'Outgoing email is not set up',
    'A welcome email would wait in the queue until SMTP is configured, so they could not sign in meanwhile. '
      + 'Set a temporary password and give it to them, or set up email first.',
    canView('settings') ? h('a', { href: '/admin/settings?tab=email', class: 'btn btn-sm' }, 'Email settings') : null)) : null;
  const access = radioGroup({ name: 'send_welcome', label: 'How they sign in the first time', value: noEmail ? 'temporary' : 'welcome',
    items: [
      ['welcome', 'Send welcome email with a password link',
        'They get an email with a single-use link (valid 72 hours) to choose their password.'],
      ['temporary', 'Set a temporary password', 'They must change it at first sign-in.'],
    ],
    onChange: (v) => { password.wrap.hidden = v !== 'temporary'; if (v === 'temporary') password.focus(); } });
  const controls = { ...c, send_welcome: access, temporary_password: password };

  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add staff member');
  const form = h('form', { class: 'card form', novalidate: true, 'aria-labelledby': 'staff-new-title' },
    messages,
    h('div', { class: 'form-grid' }, c.email.wrap, c.name.wrap, c.role_id.wrap, h('div', { class: 'field' }),
      c.department_ids && c.department_ids.wrap, c.team_ids && c.team_ids.wrap, c.admin && c.admin.wrap,
      emailWarning, access.wrap, password.wrap),
    h('div', { class: 'form-actions' }, save, h('a', { href: '/admin/staff', class: 'btn' }, 'Cancel')));
  const title = pageTitle('Add staff');
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
        password.setError('Enter a temporary password, or choose the welcome email.');
        messages.replaceChildren(alertBox('error', 'Please correct this field'));
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
        ? `${data.name || data.email} was added. The welcome email is on its way.`
        : `${data.name || data.email} was added. They must change the temporary password at first sign-in.`);
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
  const back = h('a', { href: '/admin/staff', class: 'back-link' }, icon(BACK), 'Staff');
  if (!/^[1-9]\d*$/.test(id)) {
    ctx.setTitle('Not found');
    root.replaceChildren(back, pageTitle('Staff member not found'));
    return;
  }
  const [loaded, lookups] = await Promise.all([
    api('GET', `/api/v1/staff/${id}`, { signal: ctx.signal }).catch((err) => err),
    loadLookups(ctx.signal),
  ]);
  if (loaded instanceof Error) {
    if (loaded instanceof ApiError && loaded.status === 404) {
      ctx.setTitle('Not found');
      root.replaceChildren(back, pageTitle('Staff member not found'),
        alertBox('info', `There is no staff member #${id}.`, 'They may have been deleted.'));
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
    record.admin ? h('span', { class: 'badge badge-admin' }, 'Administrator') : null,
    !record.has_password ? h('span', { class: 'badge badge-warn' }, 'Password not set yet') : null,
    record.must_change_password ? h('span', { class: 'badge badge-warn' }, 'Must change password') : null];
  const pageMessages = h('div', { class: 'form-messages page-messages', tabindex: '-1' });
  const actions = h('div', { class: 'header-actions' });
  const title = pageTitle(record.name || record.email);
  root.replaceChildren(back,
    h('div', { class: 'page-header' }, h('div', { class: 'title-block' }, title, h('div', { class: 'badges' }, badges)), actions),
    h('p', { class: 'meta muted' }, record.email, ' · ', record.role_name ? `Role: ${record.role_name}` : 'No role',
      ' · last sign-in ', record.last_login ? timeEl(record.last_login) : 'never',
      ' · added ', timeEl(record.created_at, { dateOnly: true })),
    pageMessages);
  if (!record.active) {
    root.appendChild(alertBox('warning', 'This account is deactivated',
      'They cannot sign in and do not take a seat. Their records stay assigned to them.'));
  }
  if (protectedAdmin && (can('staff', 'edit') || can('staff', 'delete'))) {
    root.appendChild(h('div', { 'data-testid': 'cannot-manage' }, alertBox('info',
      record.admin ? 'Administrator account' : 'You may not change this account',
      record.admin ? 'Only an administrator may change an administrator.'
        : `${sentence(record.can_manage_detail || 'they hold permissions you do not have')}. Ask an administrator.`)));
  }

  const showActionError = (err) => {
    pageMessages.replaceChildren(isSeatLimit(err) ? seatProblem(err) : problemBox(err));
    pageMessages.focus();
  };

  if (editable && !self) {
    if (record.active) {
      const deactivate = h('button', { type: 'button', class: 'btn' }, 'Deactivate');
      deactivate.addEventListener('click', async () => {
        const ok = await confirmDialog({
          title: `Deactivate ${record.name || record.email}?`,
          message: 'Every session they have ends now and they cannot sign in again until someone activates them. '
            + 'Their records stay as they are, and their seat is freed.',
          confirmLabel: 'Deactivate now', danger: true,
        });
        if (!ok) { deactivate.focus(); return; }
        deactivate.disabled = true;
        try {
          await api('POST', `/api/v1/staff/${record.id}/deactivate`);
          clearStaffCache();
          toast(`${record.name || record.email} is deactivated and signed out everywhere.`);
          reload();
        } catch (err) { deactivate.disabled = false; showActionError(err); }
      });
      actions.appendChild(deactivate);
    } else {
      const activate = h('button', { type: 'button', class: 'btn btn-primary' }, 'Activate');
      activate.addEventListener('click', async () => {
        const ok = await confirmDialog({
          title: `Activate ${record.name || record.email}?`,
          message: 'They can sign in again with their password, and take a seat of the licence.',
          confirmLabel: 'Activate',
        });
        if (!ok) { activate.focus(); return; }
        activate.disabled = true;
        try {
          await api('POST', `/api/v1/staff/${record.id}/activate`);
          clearStaffCache();
          toast(`${record.name || record.email} is active again.`);
          reload();
        } catch (err) { activate.disabled = false; showActionError(err); }
      });
      actions.appendChild(activate);
    }
  }
  if (editable && record.active) {
    const invite = h('button', { type: 'button', class: 'btn' }, record.has_password ? 'Send password link' : 'Resend invitation');
    invite.title = 'Emails a new single-use link to set a password; earlier links stop working.';
    invite.addEventListener('click', async () => {
      invite.disabled = true;
      try {
        await api('POST', `/api/v1/staff/${record.id}/invite`);
        pageMessages.replaceChildren(alertBox('success', 'Invitation sent',
          `A new password link is on its way to ${record.email}. It is valid for 72 hours; earlier links no longer work.`));
      } catch (err) { showActionError(err); } finally { invite.disabled = false; }
    });
    actions.appendChild(invite);
  }
  if (can('staff', 'delete') && !self && !protectedAdmin) {
    const del = h('button', { type: 'button', class: 'btn btn-danger-outline' }, 'Delete');
    del.addEventListener('click', () => deleteFlow(record, del, reload, showActionError));
    actions.appendChild(del);
  }

  // Tabs.
  const want = ctx.query.get('tab');
  let accessPanel = null;
  const t = tabs({
    label: 'Staff record',
    selected: TAB_KEYS.includes(want) ? want : 'details',
    onChange: (key) => {
      replaceQuery({ tab: key === 'details' ? '' : key });
      if (key === 'access' && accessPanel) accessPanel.refresh();
    },
    items: [
      { key: 'details', label: 'Details',
        render: (panel) => detailsTab(panel, { record, etag, lookups, editable, self, reload }) },
      { key: 'permissions', label: 'Permissions',
        render: (panel) => permissionsTab(panel, { record, editable: editable && !(self && !viewer.admin), signal: ctx.signal,
          onSaved: () => { if (accessPanel) accessPanel.stale = true; } }) },
      { key: 'access', label: 'Access',
        render: (panel) => { accessPanel = accessTab(panel, record, ctx.signal); } },
      { key: 'security', label: 'Security',
        render: (panel) => securityTab(panel, { record, etag, editable, self, signal: ctx.signal, reload }) },
      ...(canView('activity') ? [{ key: 'history', label: 'History',
        render: (panel) => panel.replaceChildren(historySection('staff', record.id, ctx.signal)) }] : []),
    ],
  });
  root.appendChild(t.root);
}

function detailsTab(panel, { record, etag, lookups, editable, self, reload }) {
  const c = staffControls(lookups, record, { isNew: false, self });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = editable ? h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save changes') : null;
  if (!editable) {
    for (const x of Object.values(c)) {
      if (x.wrap.tagName === 'FIELDSET') x.wrap.disabled = true; else x.input.disabled = true;
    }
  }
  const form = h('form', { class: 'form form-flat', novalidate: true, 'aria-label': 'Staff details' },
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
    if (!Object.keys(body).length) { toast('No changes to save.', 'info'); return; }
    // One's own admin flag or role: one click could lock oneself out.
    if (self && ('admin' in body || 'role_id' in body)) {
      const losing = body.admin === false;
      const ok = await confirmDialog({
        title: losing ? 'Remove your own administrator rights?' : 'Change your own access?',
        message: losing
          ? 'You will keep only what your role grants, at once. Only another administrator can make you an administrator again.'
          : 'What you may do changes at once with your own role and administrator flag. Make sure you keep what you need.',
        confirmLabel: losing ? 'Remove my administrator rights' : 'Change my access', danger: true,
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
  const first = modal({ title: `Delete ${who}?`, returnFocus: button });
  first.body.append(
    h('p', { class: 'dialog-body' }, 'Deactivate instead? The spec: never delete an employee — deactivate.'),
    h('p', { class: 'dialog-body' },
      'Deactivating signs them out now and keeps every record and the history as they are. ',
      'Deleting removes the account and forces you to hand all their records to someone else.'));
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  const deactivate = record.active ? h('button', { type: 'button', class: 'btn btn-primary' }, 'Deactivate instead') : null;
  const onward = h('button', { type: 'button', class: 'btn btn-danger-outline' }, 'Delete anyway…');
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
      toast(`${who} is deactivated and signed out everywhere.`);
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

  const dlg = modal({ title: `Delete ${who} and reassign their records`, returnFocus: button });
  const selId = nextId('reassign');
  const errId = `${selId}-error`;
  const select = h('select', { id: selId, class: 'input', required: true },
    h('option', { value: '' }, 'Choose a staff member…'),
    others.map((s) => h('option', { value: String(s.id) }, `${s.name || s.email} (${s.email})`)));
  const error = h('p', { id: errId, class: 'field-error', hidden: true });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const confirmBtn = h('button', { type: 'submit', class: 'btn btn-danger' }, 'Delete and reassign');
  const cancel2 = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  const form = h('form', { novalidate: true, class: 'dialog-form' },
    h('p', { class: 'dialog-body' },
      'Every record they own or are assigned (leads, clients and every other module) moves to the member you choose, ',
      'in one step. This cannot be undone.'),
    messages,
    h('div', { class: 'field' }, h('label', { for: selId, class: 'label' }, 'Reassign their records to',
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
    if (!select.value) { setError('Choose who takes over their records.'); select.focus(); return; }
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
  const done = h('button', { type: 'button', class: 'btn btn-primary' }, 'Done');
  done.addEventListener('click', () => dlg.close('done'));
  const fieldLabel = { owner_id: 'as owner', assigned_to: 'as assignee' };
  replace(dlg.body,
    alertBox('success', `${who} was deleted`, `${total} record${total === 1 ? '' : 's'} moved to ${targetName}.`),
    rows.length ? h('table', { class: 'table table-compact', 'aria-label': 'Reassigned records per module' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Module'), h('th', { scope: 'col' }, 'Field'),
        h('th', { scope: 'col', class: 'num' }, 'Records'))),
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
