// API Management (/admin/api/api_management): the tokens of integrations.
// The spec's steps: Add Token ("[System] - [Purpose]", a dedicated
// integration user), copy it at once (shown once), and the weekly check
// (tokens unused for 6 months, unusual volume). Creating asks for the
// password again (the server answers reauth-required; api() asks).
// Built on the list pattern of jobs.js / email_queue.js.
import { h, pageTitle, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { replaceQuery } from '../router.js';
import { can } from '../session.js';
import { alertBox, confirmDialog, copyText, emptyState, loadStaff, pager, problemBox, toast } from '../ui.js';
import { clearErrors, control, showFieldErrors } from '../forms.js';

const LIMIT = 25;
const BASE = '/admin/api/api_management';
const STATUS = { active: 'sent', revoked: 'blocked', expired: 'queued', owner_inactive: 'queued' };
const STATUS_LABEL = { active: 'Active', revoked: 'Revoked', expired: 'Expired', owner_inactive: 'Owner inactive' };

function statusBadge(t) {
  return h('span', { class: ['badge', `badge-mail-${STATUS[t.status] || 'queued'}`] }, STATUS_LABEL[t.status] || t.status);
}

async function listPage(ctx, root) {
  ctx.setTitle('API Management');
  const state = {
    filter: ['active', 'revoked', 'expired', 'stale'].includes(ctx.query.get('filter')) ? ctx.query.get('filter') : '',
    offset: Math.max(0, Number(ctx.query.get('offset')) || 0),
  };
  const filterSel = h('select', { id: 'tok-filter', class: 'input' },
    h('option', { value: '' }, 'All'), h('option', { value: 'active' }, 'Active'),
    h('option', { value: 'stale' }, 'Unused for 6 months'), h('option', { value: 'revoked' }, 'Revoked'),
    h('option', { value: 'expired' }, 'Expired'));
  filterSel.value = state.filter;
  const add = can('api_tokens', 'create') ? h('a', { href: `${BASE}/new`, class: 'btn btn-primary' }, 'Add token') : null;
  const table = h('table', { class: 'table' });
  const status = h('div', { class: 'list-status' });
  const notice = h('div');
  const footer = h('div', { class: 'list-footer' });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('API Management'), add),
    h('p', { class: 'muted page-lead' },
      'One token per integration, named “[System] - [Purpose]”, owned by a dedicated integration user with a limited role. '
      + 'Weekly: tokens with unusually high usage? Tokens unused for 6 months → revoke them.'),
    notice,
    h('div', { class: 'card' },
      h('div', { class: 'toolbar' },
        h('div', { class: 'toolbar-field' }, h('label', { for: 'tok-filter', class: 'label label-inline' }, 'Show'), filterSel)),
      status, h('div', { class: 'table-wrap' }, table), footer));
  filterSel.addEventListener('change', () => { state.filter = filterSel.value; state.offset = 0; load(); });

  async function load() {
    replaceQuery({ filter: state.filter, offset: state.offset || '' });
    status.replaceChildren();
    const query = { limit: LIMIT, offset: state.offset };
    if (state.filter === 'stale') query.stale = 'true';
    else if (state.filter) query.status = state.filter;
    try {
      const { data } = await api('GET', '/api/v1/api-tokens', { query, signal: ctx.signal });
      const rows = data.data || [];
      table.replaceChildren(h('caption', { class: 'visually-hidden' }, 'API tokens'),
        h('thead', null, h('tr', null, ['Name', 'Owner', 'Token', 'Last used', 'Requests today', 'Status']
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows.map((t) => h('tr', { dataset: { token: t.id } },
          h('td', null, h('a', { href: `${BASE}/${t.id}` }, t.name),
            t.unused_6_months ? h('span', { class: 'badge badge-mail-queued' }, 'unused 6 months') : null,
            t.unusual_volume ? h('span', { class: 'badge badge-mail-blocked' }, 'unusual volume') : null),
          h('td', null, t.staff_name),
          h('td', { class: 'mono' }, `${t.prefix}…`),
          h('td', { class: 'when' }, t.last_used_at ? timeEl(t.last_used_at) : h('span', { class: 'muted' }, 'never')),
          h('td', null, String(t.requests_today)),
          h('td', null, statusBadge(t))))));
      if (!rows.length) status.replaceChildren(emptyState(state.filter ? 'No tokens match.' : 'No API tokens yet.'));
      const flagged = rows.filter((t) => t.unused_6_months || t.unusual_volume).length;
      notice.replaceChildren(flagged ? alertBox('warning', `${flagged} token${flagged === 1 ? '' : 's'} to check`,
        'Unused for more than 6 months, or a day far above the usual volume.') : '');
      footer.replaceChildren(pager({ offset: state.offset, limit: LIMIT, total: Number(data.total) || 0, count: rows.length,
        label: 'Token pages', onPage: (o) => { state.offset = o; load(); } }));
    } catch (err) {
      if (!isAbort(err)) status.replaceChildren(problemBox(err));
    }
  }
  await load();
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

async function newPage(ctx, root) {
  ctx.setTitle('Add API token');
  const staff = await loadStaff(ctx.signal).catch(() => []);
  const fields = {
    name: control({ name: 'name', label: 'Name', required: true, max: 100, hint: '“[System] - [Purpose]”, e.g. “Make.com - Leads Sync”.' }),
    staff_id: control({ name: 'staff_id', label: 'Integration user', type: 'select', required: true,
      options: [['', 'Choose…'], ...(staff || []).filter((s) => s.active !== false).map((s) => [String(s.id), s.name])],
      hint: 'A dedicated member with a limited role, not a personal account or an administrator.' }),
    description: control({ name: 'description', label: 'Description', type: 'textarea', max: 500 }),
    expires_at: control({ name: 'expires_at', label: 'Expires on', type: 'date', hint: 'Empty: one year from today.' }),
    never_expires: control({ name: 'never_expires', label: 'Never expires', type: 'checkbox' }),
    permissions: control({ name: 'permissions', label: 'Key role (optional)', type: 'textarea', rows: 3,
      placeholder: '{"leads": ["view", "create"]}',
      hint: 'Narrows what the token may do: at most what this and its owner both allow. Empty: the owner’s permissions.' }),
    allowed_networks: control({ name: 'allowed_networks', label: 'Allowed networks (optional)', type: 'textarea', rows: 2,
      hint: 'Addresses or CIDR blocks, one per line. Empty: any.' }),
    rate_limit: control({ name: 'rate_limit', label: 'Rate limit (requests a minute)', type: 'number', min: 1 }),
  };
  fields.rate_limit.set(600);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create token');
  const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'token-form' }, messages,
    h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
    h('div', { class: 'form-actions' }, save, h('a', { href: BASE, class: 'btn' }, 'Cancel')));
  root.replaceChildren(h('div', { class: 'page-header' }, pageTitle('Add API token')), form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(fields, messages);
    const body = { name: fields.name.get(), staff_id: fields.staff_id.get() ? Number(fields.staff_id.get()) : null };
    if (fields.description.get()) body.description = fields.description.get();
    if (fields.expires_at.get()) body.expires_at = `${fields.expires_at.get()}T23:59:59Z`;
    if (fields.never_expires.get()) body.never_expires = true;
    const perms = fields.permissions.get();
    if (perms) {
      try { body.permissions = JSON.parse(perms); } catch {
        fields.permissions.setError('Write the key role as JSON: {"module": ["view", ...]}.');
        return;
      }
    }
    const nets = fields.allowed_networks.get();
    if (nets) body.allowed_networks = nets.split(/\s+/).filter(Boolean);
    if (fields.rate_limit.get() !== null) body.rate_limit = fields.rate_limit.get();
    if (body.staff_id === null) delete body.staff_id;
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

async function detailPage(ctx, root) {
  const id = ctx.params.id;
  ctx.setTitle('API token');
  const box = h('div');
  root.replaceChildren(box);
  async function load() {
    try {
      const { data: t } = await api('GET', `/api/v1/api-tokens/${id}`, { signal: ctx.signal });
      ctx.setTitle(t.name);
      const revoke = can('api_tokens', 'edit') && t.status !== 'revoked'
        ? h('button', { type: 'button', class: 'btn btn-danger' }, 'Revoke') : null;
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
      const dl = (rows) => h('dl', { class: 'details' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
      box.replaceChildren(
        h('div', { class: 'page-header' }, pageTitle(t.name), statusBadge(t), revoke),
        h('p', null, h('a', { href: BASE }, '← All tokens')),
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
        h('section', { class: 'card' }, h('h2', { class: 'section-title' }, 'Requests per day (30 days)'),
          (t.usage || []).length ? h('table', { class: 'table', 'aria-label': 'Requests per day' },
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col' }, 'Requests'))),
            h('tbody', null, t.usage.map((u) => h('tr', null, h('td', null, u.day), h('td', null, String(u.requests))))))
            : emptyState('No requests yet.')));
    } catch (err) {
      if (!isAbort(err)) box.replaceChildren(problemBox(err, h('a', { href: BASE, class: 'btn' }, 'All tokens')));
    }
  }
  await load();
}

export const routes = [
  [BASE, listPage],
  [`${BASE}/new`, newPage],
  [`${BASE}/:id`, detailPage],
];
export const nav = [
  { path: BASE, label: 'API Management', module: 'api_tokens', adminOnly: true, group: 'Administration', order: 30,
    icon: ['M15 7a4 4 0 1 1-4 4', 'M11 11l-8 8', 'M6 16l2 2', 'M9 13l2 2'] },
];
