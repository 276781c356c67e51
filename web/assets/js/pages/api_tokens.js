// API Management (/admin/api/api_management): the tokens of integrations.
// The spec's steps: Add Token ("[System] - [Purpose]", a dedicated
// integration user), copy it at once (shown once), and the weekly check
// (tokens unused for 6 months, unusual volume). Creating asks for the
// password again (the server answers reauth-required; api() asks).
// The list is the list component (listview.js); its toolbar offers what
// GET /api/v1/api-tokens declares (src/admin/api_tokens.c). The add and
// edit forms ask before they are left with unsaved changes (dirty.js).
import { h, pageTitle, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { navigate } from '../router.js';
import { can, canView } from '../session.js';
import { trackForm } from '../dirty.js';
import { lastListQuery, listView } from '../listview.js';
import { alertBox, confirmDialog, copyText, emptyState, loadStaff, problemBox, staffName, toast } from '../ui.js';
import { clearErrors, control, showFieldErrors, staleNotice } from '../forms.js';

const BASE = '/admin/api/api_management';
// The list as it was last left (its filters, sort and page), for the links back to it.
const listHref = () => BASE + lastListQuery(BASE);
const STATUS = { active: 'sent', revoked: 'blocked', expired: 'queued', owner_inactive: 'queued' };
const STATUS_LABEL = { active: 'Active', revoked: 'Revoked', expired: 'Expired', owner_inactive: 'Owner inactive' };
// The "Show" filter: the route's status=… and the weekly check's stale=true.
const SHOW = [
  ['', 'All', {}],
  ['active', 'Active', { status: 'active' }],
  ['stale', 'Unused for 6 months', { stale: 'true' }],
  ['revoked', 'Revoked', { status: 'revoked' }],
  ['expired', 'Expired', { status: 'expired' }],
];

function statusBadge(t) {
  return h('span', { class: ['badge', `badge-mail-${STATUS[t.status] || 'queued'}`] }, STATUS_LABEL[t.status] || t.status);
}

const never = (text = 'never') => h('span', { class: 'muted' }, text);

async function listPage(ctx, root) {
  ctx.setTitle('API Management');
  const staff = await loadStaff(ctx.signal);
  const add = can('api_tokens', 'create') ? h('a', { href: `${BASE}/new`, class: 'btn btn-primary' }, 'Add token') : null;
  const notice = h('div');
  const view = listView(ctx, {
    api: '/api/v1/api-tokens',
    name: 'API tokens',
    id: 'tok',
    sort: '-id',
    sortText: 'newest first',
    limit: 25,
    search: { label: 'Search tokens', placeholder: 'Name or description…' },
    filterLabel: 'Filter API tokens',
    filters: [
      { type: 'preset', id: 'tok-filter', label: 'Show', options: SHOW },
      { param: 'staff_id', id: 'tok-owner', label: 'Owner', all: 'Anyone',
        options: staff.map((s) => [String(s.id), s.name || s.email]), unknown: (v) => staffName(staff, v) },
    ],
    columns: [
      { label: 'Name', sort: 'name', linked: true,
        cell: (t, { link }) => [link(t.name),
          t.unused_6_months ? h('span', { class: 'badge badge-mail-queued' }, 'unused 6 months') : null,
          t.unusual_volume ? h('span', { class: 'badge badge-mail-blocked' }, 'unusual volume') : null] },
      { label: 'Owner', cell: (t) => t.staff_name },
      { label: 'Token', class: 'mono', cell: (t) => `${t.prefix}…` },
      { label: 'Created', sort: 'created_at', desc: true, class: 'when', cell: (t) => timeEl(t.created_at) },
      { label: 'Last used', sort: 'last_used_at', desc: true, class: 'when',
        cell: (t) => (t.last_used_at ? timeEl(t.last_used_at) : never()) },
      { label: 'Expires', sort: 'expires_at', class: 'when', cell: (t) => (t.expires_at ? timeEl(t.expires_at) : never()) },
      { label: 'Requests today', headClass: 'num', class: 'num', cell: (t) => String(t.requests_today) },
      { label: 'Status', cell: statusBadge },
    ],
    rowHref: (t) => `${BASE}/${t.id}`,
    rowProps: (t) => ({ dataset: { token: t.id } }),
    empty: {
      none: ['No API tokens yet.', add ? 'Add one per integration with “Add token”.' : null],
      filtered: ['No tokens match.', 'Try another search or reset the filters.'],
    },
    onData(data) {
      const flagged = (data.data || []).filter((t) => t.unused_6_months || t.unusual_volume).length;
      notice.replaceChildren(flagged ? alertBox('warning', `${flagged} token${flagged === 1 ? '' : 's'} to check`,
        'Unused for more than 6 months, or a day far above the usual volume.') : '');
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('API Management'), add),
    h('p', { class: 'muted page-lead' },
      'One token per integration, named “[System] - [Purpose]”, owned by a dedicated integration user with a limited role. '
      + 'Weekly: tokens with unusually high usage? Tokens unused for 6 months → revoke them.'),
    notice,
    view.root);
  await view.load();
}

/** The shown-once panel after creation. */
function shownOnce(root, rec) {
  const input = h('input', { class: 'input mono', readOnly: true, value: rec.token, 'aria-label': 'The new API token',
    'data-testid': 'new-token' });
  const copy = h('button', { type: 'button', class: 'btn btn-primary' }, 'Copy token');
  copy.addEventListener('click', async () => {
    toast(await copyText(rec.token) ? 'Copied. Send it to the integration securely.' : 'Select the token and copy it.',
      'success');
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(`Token “${rec.name}” created`)),
    alertBox('warning', 'Copy the token now', 'It is shown this once. Only a hash is stored; if it is lost, revoke it and create another.'),
    h('div', { class: 'card' }, h('div', { class: 'field field-wide' }, input), h('div', { class: 'form-actions' }, copy,
      h('a', { href: `${BASE}/${rec.id}`, class: 'btn' }, 'Done'))));
  input.focus();
  input.select();
}

/**
 * The token's settings as controls, filled from t (null: a new token's
 * defaults): {fields, read()}. read() gives the values as the API takes
 * them, or null after setting a field error the server cannot name (the
 * key role is not JSON, an expiry is missing).
 */
function tokenFields(t) {
  const fields = {
    name: control({ name: 'name', label: 'Name', required: true, max: 100, hint: '“[System] - [Purpose]”, e.g. “Make.com - Leads Sync”.' }),
    description: control({ name: 'description', label: 'Description', type: 'textarea', max: 500 }),
    expires_at: control({ name: 'expires_at', label: 'Expires on', type: 'date',
      hint: t ? 'The token stops working at the end of this day (UTC).' : 'Empty: one year from today.' }),
    never_expires: control({ name: 'never_expires', label: 'Never expires', type: 'checkbox' }),
    permissions: control({ name: 'permissions', label: 'Key role (optional)', type: 'textarea', rows: 3,
      placeholder: '{"leads": ["view", "create"]}',
      hint: 'Narrows what the token may do: at most what this and its owner both allow. Empty: the owner’s permissions.' }),
    allowed_networks: control({ name: 'allowed_networks', label: 'Allowed networks (optional)', type: 'textarea', rows: 2,
      hint: 'Addresses or CIDR blocks, one per line. Empty: any.' }),
    rate_limit: control({ name: 'rate_limit', label: 'Rate limit (requests a minute)', type: 'number', min: 1 }),
  };
  fields.name.set(t ? t.name : '');
  fields.description.set(t ? t.description : '');
  fields.expires_at.set(t && t.expires_at ? t.expires_at.slice(0, 10) : '');
  fields.never_expires.set(Boolean(t && !t.expires_at));
  fields.permissions.set(t && t.permissions ? JSON.stringify(t.permissions) : '');
  fields.allowed_networks.set(t ? (t.allowed_networks || []).join('\n') : '');
  fields.rate_limit.set(t ? t.rate_limit : 600);

  function read() {
    const v = {
      name: fields.name.get() ?? '',
      description: fields.description.get(),
      expires_at: fields.expires_at.get() ? `${fields.expires_at.get()}T23:59:59Z` : null,
      never_expires: fields.never_expires.get(),
      permissions: null,
      allowed_networks: (fields.allowed_networks.get() || '').split(/\s+/).filter(Boolean),
      rate_limit: fields.rate_limit.get(),
    };
    const perms = fields.permissions.get();
    if (perms) {
      try { v.permissions = JSON.parse(perms); } catch {
        fields.permissions.setError('Write the key role as JSON: {"module": ["view", ...]}.');
        fields.permissions.focus();
        return null;
      }
    }
    return v;
  }
  return { fields, read };
}

async function newPage(ctx, root) {
  ctx.setTitle('Add API token');
  const staff = await loadStaff(ctx.signal).catch(() => []);
  const owner = control({ name: 'staff_id', label: 'Integration user', type: 'select', required: true,
    options: [['', 'Choose…'], ...(staff || []).filter((s) => s.active !== false).map((s) => [String(s.id), s.name])],
    hint: 'A dedicated member with a limited role, not a personal account or an administrator.' });
  const { fields: own, read } = tokenFields(null);
  const fields = { name: own.name, staff_id: owner, ...own };
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create token');
  const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'token-form' }, messages,
    h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
    h('div', { class: 'form-actions' }, save, h('a', { href: listHref(), class: 'btn' }, 'Cancel')));
  root.replaceChildren(h('div', { class: 'page-header' }, pageTitle('Add API token')), form);
  // Leaving with what was typed asks first (dirty.js); the created token
  // replaces the form, which is then forgotten.
  trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(fields, messages);
    const v = read();
    if (!v) return;
    const body = { name: v.name };
    if (owner.get()) body.staff_id = Number(owner.get());
    if (v.description) body.description = v.description;
    if (v.expires_at) body.expires_at = v.expires_at;
    if (v.never_expires) body.never_expires = true;
    if (v.permissions) body.permissions = v.permissions;
    if (v.allowed_networks.length) body.allowed_networks = v.allowed_networks;
    if (v.rate_limit !== null) body.rate_limit = v.rate_limit;
    save.disabled = true;
    try {
      const { data } = await api('POST', '/api/v1/api-tokens', { body });
      shownOnce(root, data);
    } catch (err) {
      if (!isAbort(err)) showFieldErrors(err, fields, messages);
    } finally {
      save.disabled = false;
    }
  });
  fields.name.focus();
}

/** The changes of an edit as a PATCH body (only what differs from t), or null (a field error is shown). */
function changes(t, v, fields) {
  const body = {};
  if (v.name !== t.name) body.name = v.name;
  if ((v.description || '') !== (t.description || '')) body.description = v.description || '';
  if (JSON.stringify(v.permissions) !== JSON.stringify(t.permissions ?? null)) body.permissions = v.permissions;
  if (v.allowed_networks.join('\n') !== (t.allowed_networks || []).join('\n')) body.allowed_networks = v.allowed_networks;
  if (v.rate_limit !== null && v.rate_limit !== t.rate_limit) body.rate_limit = v.rate_limit;
  if (v.never_expires) {
    if (t.expires_at) body.never_expires = true;
  } else if (v.expires_at) {
    if (!t.expires_at || v.expires_at.slice(0, 10) !== t.expires_at.slice(0, 10)) body.expires_at = v.expires_at;
  } else if (!t.expires_at) {
    fields.expires_at.setError('Choose the day it expires, or tick “Never expires”.');
    fields.expires_at.focus();
    return null;
  }
  return body;
}

async function editPage(ctx, root) {
  const id = ctx.params.id;
  ctx.setTitle('Edit API token');
  let t;
  try {
    ({ data: t } = await api('GET', `/api/v1/api-tokens/${id}`, { signal: ctx.signal }));
  } catch (err) {
    if (!isAbort(err)) root.replaceChildren(problemBox(err, h('a', { href: listHref(), class: 'btn' }, 'All tokens')));
    return;
  }
  ctx.setTitle(`Edit ${t.name}`);
  const back = `${BASE}/${id}`;
  const header = h('div', { class: 'page-header' }, pageTitle(`Edit “${t.name}”`));
  if (!can('api_tokens', 'edit') || t.status === 'revoked') {
    root.replaceChildren(header, alertBox('info', t.status === 'revoked' ? 'A revoked token cannot be changed.'
      : 'Your role does not allow changing API tokens.'), h('p', null, h('a', { href: back }, '← The token')));
    return;
  }
  const { fields, read } = tokenFields(t);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save changes');
  const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'token-edit-form' }, messages,
    h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
    h('div', { class: 'form-actions' }, save, h('a', { href: back, class: 'btn' }, 'Cancel')));
  root.replaceChildren(header,
    h('p', { class: 'muted page-lead' }, `Owner: ${t.staff_name} (a token’s owner does not change).`), form);
  trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(fields, messages);
    const v = read();
    const body = v && changes(t, v, fields);
    if (!body) return;
    if (!Object.keys(body).length) { toast('No changes to save.', 'info'); return; }
    save.disabled = true;
    try {
      await api('PATCH', `/api/v1/api-tokens/${id}`, { body, ifMatch: `"${t.version}"` });
      toast('Saved.');
      navigate(back);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'token', () => navigate(location.pathname, { replace: true }));
      else showFieldErrors(err, fields, messages);
    } finally {
      save.disabled = false;
    }
  });
  fields.name.focus();
}

async function detailPage(ctx, root) {
  const id = ctx.params.id;
  ctx.setTitle('API token');
  const box = h('div');
  root.replaceChildren(box);
  async function load() {
    try {
      const { data: t } = await api('GET', `/api/v1/api-tokens/${id}`, { signal: ctx.signal });
      ctx.setTitle(t.name);
      const live = can('api_tokens', 'edit') && t.status !== 'revoked';
      const edit = live ? h('a', { href: `${BASE}/${id}/edit`, class: 'btn' }, 'Edit') : null;
      const revoke = live ? h('button', { type: 'button', class: 'btn btn-danger' }, 'Revoke') : null;
      if (revoke) {
        revoke.addEventListener('click', async () => {
          if (!await confirmDialog({ title: `Revoke “${t.name}”?`, danger: true, confirmLabel: 'Revoke',
            message: 'The integration using it stops working at once. This cannot be undone.' })) return;
          try {
            await api('POST', `/api/v1/api-tokens/${id}/revoke`, { body: {} });
            toast('Token revoked.');
            load();
          } catch (err) { box.prepend(problemBox(err)); }
        });
      }
      const requests = canView('api_logs')
        ? h('a', { href: `/admin/utilities/api_log?token_id=${encodeURIComponent(id)}` }, 'Its requests in the API request log') : null;
      const dl = (rows) => h('dl', { class: 'details' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
      box.replaceChildren(
        h('div', { class: 'page-header' }, pageTitle(t.name), statusBadge(t), edit, revoke),
        h('p', null, h('a', { href: listHref() }, '← All tokens')),
        h('div', { class: 'card' }, dl([
          ['Owner', t.staff_name], ['Token', h('span', { class: 'mono' }, `${t.prefix}…`)],
          ['Description', t.description || '—'],
          ['Key role', t.permissions ? JSON.stringify(t.permissions) : 'the owner’s permissions'],
          ['Allowed networks', (t.allowed_networks || []).join(', ') || 'any'],
          ['Rate limit', `${t.rate_limit} requests a minute`],
          ['Expires', t.expires_at ? timeEl(t.expires_at) : 'never'],
          ['Last used', t.last_used_at ? h('span', null, timeEl(t.last_used_at), ` from ${t.last_used_ip}`) : 'never'],
          ['Created', timeEl(t.created_at)],
          ['Revoked', t.revoked_at ? h('span', null, timeEl(t.revoked_at), ` (${t.revoked_reason})`) : '—'],
        ])),
        h('section', { class: 'card' }, h('div', { class: 'section-header' },
          h('h2', { class: 'section-title' }, 'Requests per day (30 days)'), requests),
        (t.usage || []).length ? h('table', { class: 'table', 'aria-label': 'Requests per day' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col' }, 'Requests'))),
          h('tbody', null, t.usage.map((u) => h('tr', null, h('td', null, u.day), h('td', null, String(u.requests))))))
          : emptyState('No requests yet.')));
    } catch (err) {
      if (!isAbort(err)) box.replaceChildren(problemBox(err, h('a', { href: listHref(), class: 'btn' }, 'All tokens')));
    }
  }
  await load();
}

export const routes = [
  [BASE, listPage],
  [`${BASE}/new`, newPage],
  [`${BASE}/:id/edit`, editPage],
  [`${BASE}/:id`, detailPage],
];
export const nav = [
  { path: BASE, key: 'nav.api_management', label: 'API Management', module: 'api_tokens', adminOnly: true, group: 'Administration', order: 30,
    icon: ['M15 7a4 4 0 1 1-4 4', 'M11 11l-8 8', 'M6 16l2 2', 'M9 13l2 2'] },
];
