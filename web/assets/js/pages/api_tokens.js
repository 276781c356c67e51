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
import { t } from '../i18n.js';
import { formatNumber, formatPlainDate } from '../format.js';

const BASE = '/admin/api/api_management';
// The list as it was last left (its filters, sort and page), for the links back to it.
const listHref = () => BASE + lastListQuery(BASE);
const STATUS = { active: 'sent', revoked: 'blocked', expired: 'queued', owner_inactive: 'queued' };
const STATUS_LABEL = (s) => (s in STATUS ? t(`tokens.status.${s}`) : s);
// The "Show" filter: the route's status=… and the weekly check's stale=true.
const SHOW = () => [
  ['', t('common.all'), {}],
  ['active', t('tokens.status.active'), { status: 'active' }],
  ['stale', t('tokens.show.stale'), { stale: 'true' }],
  ['revoked', t('tokens.status.revoked'), { status: 'revoked' }],
  ['expired', t('tokens.status.expired'), { status: 'expired' }],
];

function statusBadge(tok) {
  return h('span', { class: ['badge', `badge-mail-${STATUS[tok.status] || 'queued'}`] }, STATUS_LABEL(tok.status));
}

const never = (text = t('staff.meta_never')) => h('span', { class: 'muted' }, text);

async function listPage(ctx, root) {
  ctx.setTitle(t('nav.api_management'));
  const staff = await loadStaff(ctx.signal);
  const add = can('api_tokens', 'create') ? h('a', { href: `${BASE}/new`, class: 'btn btn-primary' }, t('tokens.add')) : null;
  const notice = h('div');
  const view = listView(ctx, {
    api: '/api/v1/api-tokens',
    name: t('module.api_tokens'),
    id: 'tok',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    search: { label: t('tokens.search'), placeholder: t('tokens.search_placeholder') },
    filterLabel: t('tokens.filter'),
    filters: [
      { type: 'preset', id: 'tok-filter', label: t('twofa.show'), options: SHOW() },
      { param: 'staff_id', id: 'tok-owner', label: t('field.owner_id'), all: t('staff.f.anyone'),
        options: staff.map((s) => [String(s.id), s.name || s.email]), unknown: (v) => staffName(staff, v) },
    ],
    columns: [
      { label: t('field.name'), sort: 'name', linked: true,
        cell: (tok, { link }) => [link(tok.name),
          tok.unused_6_months ? h('span', { class: 'badge badge-mail-queued' }, t('tokens.unused_6')) : null,
          tok.unusual_volume ? h('span', { class: 'badge badge-mail-blocked' }, t('tokens.unusual')) : null] },
      { label: t('field.owner_id'), cell: (tok) => tok.staff_name },
      { label: t('cron.token'), class: 'mono', cell: (tok) => `${tok.prefix}…` },
      { label: t('field.created_at'), sort: 'created_at', desc: true, class: 'when', cell: (tok) => timeEl(tok.created_at) },
      { label: t('tokens.last_used'), sort: 'last_used_at', desc: true, class: 'when',
        cell: (tok) => (tok.last_used_at ? timeEl(tok.last_used_at) : never()) },
      { label: t('tokens.expires'), sort: 'expires_at', class: 'when', cell: (tok) => (tok.expires_at ? timeEl(tok.expires_at) : never()) },
      { label: t('tokens.requests_today'), headClass: 'num', class: 'num', cell: (tok) => formatNumber(tok.requests_today) },
      { label: t('field.status'), cell: statusBadge },
    ],
    rowHref: (tok) => `${BASE}/${tok.id}`,
    rowProps: (tok) => ({ dataset: { token: tok.id } }),
    empty: {
      none: [t('tokens.none'), add ? t('tokens.none_detail') : null],
      filtered: [t('tokens.no_match'), t('staff.try_another')],
    },
    onData(data) {
      const flagged = (data.data || []).filter((tok) => tok.unused_6_months || tok.unusual_volume).length;
      notice.replaceChildren(flagged ? alertBox('warning', t('tokens.to_check', { count: flagged }), t('tokens.to_check_detail')) : '');
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.api_management')), add),
    h('p', { class: 'muted page-lead' }, t('tokens.lead')),
    notice,
    view.root);
  await view.load();
}

/** The shown-once panel after creation. */
function shownOnce(root, rec) {
  const input = h('input', { class: 'input mono', readOnly: true, value: rec.token, 'aria-label': t('tokens.new_token'),
    'data-testid': 'new-token' });
  const copy = h('button', { type: 'button', class: 'btn btn-primary' }, t('tokens.copy'));
  copy.addEventListener('click', async () => {
    toast(await copyText(rec.token) ? t('tokens.copied') : t('tokens.copy_failed'),
      'success');
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('tokens.created', { name: rec.name }))),
    alertBox('warning', t('tokens.copy_now'), t('tokens.copy_now_detail')),
    h('div', { class: 'card' }, h('div', { class: 'field field-wide' }, input), h('div', { class: 'form-actions' }, copy,
      h('a', { href: `${BASE}/${rec.id}`, class: 'btn' }, t('staff.done')))));
  input.focus();
  input.select();
}

/**
 * The token's settings as controls, filled from t (null: a new token's
 * defaults): {fields, read()}. read() gives the values as the API takes
 * them, or null after setting a field error the server cannot name (the
 * key role is not JSON, an expiry is missing).
 */
function tokenFields(tok) {
  const fields = {
    name: control({ name: 'name', label: t('field.name'), required: true, max: 100, hint: t('tokens.name_hint') }),
    description: control({ name: 'description', label: t('field.description'), type: 'textarea', max: 500 }),
    expires_at: control({ name: 'expires_at', label: t('tokens.expires_on'), type: 'date',
      hint: tok ? t('tokens.expires_hint_edit') : t('tokens.expires_hint_new') }),
    never_expires: control({ name: 'never_expires', label: t('tokens.never_expires'), type: 'checkbox' }),
    permissions: control({ name: 'permissions', label: t('tokens.key_role'), type: 'textarea', rows: 3,
      placeholder: '{"leads": ["view", "create"]}',
      hint: t('tokens.key_role_hint') }),
    allowed_networks: control({ name: 'allowed_networks', label: t('tokens.networks'), type: 'textarea', rows: 2,
      hint: t('tokens.networks_hint') }),
    rate_limit: control({ name: 'rate_limit', label: t('tokens.rate_limit'), type: 'number', min: 1 }),
  };
  fields.name.set(tok ? tok.name : '');
  fields.description.set(tok ? tok.description : '');
  fields.expires_at.set(tok && tok.expires_at ? tok.expires_at.slice(0, 10) : '');
  fields.never_expires.set(Boolean(tok && !tok.expires_at));
  fields.permissions.set(tok && tok.permissions ? JSON.stringify(tok.permissions) : '');
  fields.allowed_networks.set(tok ? (tok.allowed_networks || []).join('\n') : '');
  fields.rate_limit.set(tok ? tok.rate_limit : 600);

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
        fields.permissions.setError(t('tokens.key_role_json'));
        fields.permissions.focus();
        return null;
      }
    }
    return v;
  }
  return { fields, read };
}

async function newPage(ctx, root) {
  ctx.setTitle(t('tokens.add_title'));
  const staff = await loadStaff(ctx.signal).catch(() => []);
  const owner = control({ name: 'staff_id', label: t('tokens.integration_user'), type: 'select', required: true,
    options: [['', t('tokens.choose')], ...(staff || []).filter((s) => s.active !== false).map((s) => [String(s.id), s.name])],
    hint: t('tokens.integration_user_hint') });
  const { fields: own, read } = tokenFields(null);
  const fields = { name: own.name, staff_id: owner, ...own };
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('tokens.create'));
  const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'token-form' }, messages,
    h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
    h('div', { class: 'form-actions' }, save, h('a', { href: listHref(), class: 'btn' }, t('common.cancel'))));
  root.replaceChildren(h('div', { class: 'page-header' }, pageTitle(t('tokens.add_title'))), form);
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

/** The changes of an edit as a PATCH body (only what differs from tok), or null (a field error is shown). */
function changes(tok, v, fields) {
  const body = {};
  if (v.name !== tok.name) body.name = v.name;
  if ((v.description || '') !== (tok.description || '')) body.description = v.description || '';
  if (JSON.stringify(v.permissions) !== JSON.stringify(tok.permissions ?? null)) body.permissions = v.permissions;
  if (v.allowed_networks.join('\n') !== (tok.allowed_networks || []).join('\n')) body.allowed_networks = v.allowed_networks;
  if (v.rate_limit !== null && v.rate_limit !== tok.rate_limit) body.rate_limit = v.rate_limit;
  if (v.never_expires) {
    if (tok.expires_at) body.never_expires = true;
  } else if (v.expires_at) {
    if (!tok.expires_at || v.expires_at.slice(0, 10) !== tok.expires_at.slice(0, 10)) body.expires_at = v.expires_at;
  } else if (!tok.expires_at) {
    fields.expires_at.setError(t('tokens.choose_day'));
    fields.expires_at.focus();
    return null;
  }
  return body;
}

async function editPage(ctx, root) {
  const id = ctx.params.id;
  ctx.setTitle(t('tokens.edit_title'));
  let tok;
  try {
    ({ data: tok } = await api('GET', `/api/v1/api-tokens/${id}`, { signal: ctx.signal }));
  } catch (err) {
    if (!isAbort(err)) root.replaceChildren(problemBox(err, h('a', { href: listHref(), class: 'btn' }, t('tokens.all'))));
    return;
  }
  ctx.setTitle(t('tokens.edit_name', { name: tok.name }));
  const back = `${BASE}/${id}`;
  const header = h('div', { class: 'page-header' }, pageTitle(t('tokens.edit_quoted', { name: tok.name })));
  if (!can('api_tokens', 'edit') || tok.status === 'revoked') {
    root.replaceChildren(header, alertBox('info', tok.status === 'revoked' ? t('tokens.revoked_fixed')
      : t('tokens.cannot_change')), h('p', null, h('a', { href: back }, `← ${t('tokens.the_token')}`)));
    return;
  }
  const { fields, read } = tokenFields(tok);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save_changes'));
  const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'token-edit-form' }, messages,
    h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
    h('div', { class: 'form-actions' }, save, h('a', { href: back, class: 'btn' }, 'Cancel')));
  root.replaceChildren(header,
    h('p', { class: 'muted page-lead' }, t('tokens.owner_fixed', { name: tok.staff_name })), form);
  trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(fields, messages);
    const v = read();
    const body = v && changes(tok, v, fields);
    if (!body) return;
    if (!Object.keys(body).length) { toast(t('common.no_changes'), 'info'); return; }
    save.disabled = true;
    try {
      await api('PATCH', `/api/v1/api-tokens/${id}`, { body, ifMatch: `"${tok.version}"` });
      toast(t('tokens.saved'));
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
  ctx.setTitle(t('tokens.one'));
  const box = h('div');
  root.replaceChildren(box);
  async function load() {
    try {
      const { data: tok } = await api('GET', `/api/v1/api-tokens/${id}`, { signal: ctx.signal });
      ctx.setTitle(tok.name);
      const live = can('api_tokens', 'edit') && tok.status !== 'revoked';
      const edit = live ? h('a', { href: `${BASE}/${id}/edit`, class: 'btn' }, t('common.edit')) : null;
      const revoke = live ? h('button', { type: 'button', class: 'btn btn-danger' }, t('profile.sess.revoke')) : null;
      if (revoke) {
        revoke.addEventListener('click', async () => {
          if (!await confirmDialog({ title: t('tokens.revoke_q', { name: tok.name }), danger: true, confirmLabel: t('profile.sess.revoke'),
            message: t('tokens.revoke_message') })) return;
          try {
            await api('POST', `/api/v1/api-tokens/${id}/revoke`, { body: {} });
            toast(t('tokens.revoked'));
            load();
          } catch (err) { box.prepend(problemBox(err)); }
        });
      }
      const requests = canView('api_logs')
        ? h('a', { href: `/admin/utilities/api_log?token_id=${encodeURIComponent(id)}` }, t('tokens.its_requests')) : null;
      const dl = (rows) => h('dl', { class: 'details' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
      box.replaceChildren(
        h('div', { class: 'page-header' }, pageTitle(tok.name), statusBadge(tok), edit, revoke),
        h('p', null, h('a', { href: listHref() }, `← ${t('tokens.all')}`)),
        h('div', { class: 'card' }, dl([
          [t('field.owner_id'), tok.staff_name], [t('cron.token'), h('span', { class: 'mono' }, `${tok.prefix}…`)],
          [t('field.description'), tok.description || '—'],
          [t('tokens.key_role_short'), tok.permissions ? JSON.stringify(tok.permissions) : t('tokens.owner_permissions')],
          [t('tokens.networks_short'), (tok.allowed_networks || []).join(', ') || t('tokens.any')],
          [t('tokens.rate_limit_short'), t('tokens.per_minute', { count: tok.rate_limit })],
          [t('tokens.expires'), tok.expires_at ? timeEl(tok.expires_at) : t('staff.meta_never')],
          [t('tokens.last_used'), tok.last_used_at ? h('span', null, timeEl(tok.last_used_at), ` ${t('tokens.from', { ip: tok.last_used_ip })}`) : t('staff.meta_never')],
          [t('field.created_at'), timeEl(tok.created_at)],
          [t('tokens.status.revoked'), tok.revoked_at ? h('span', null, timeEl(tok.revoked_at), ` (${tok.revoked_reason})`) : '—'],
        ])),
        h('section', { class: 'card' }, h('div', { class: 'section-header' },
          h('h2', { class: 'section-title' }, t('tokens.per_day_30')), requests),
        (tok.usage || []).length ? h('table', { class: 'table', 'aria-label': t('tokens.per_day') },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('tokens.day')), h('th', { scope: 'col' }, t('tokens.requests')))),
          h('tbody', null, tok.usage.map((u) => h('tr', null, h('td', null, formatPlainDate(u.day)), h('td', null, formatNumber(u.requests))))))
          : emptyState(t('tokens.no_requests'))));
    } catch (err) {
      if (!isAbort(err)) box.replaceChildren(problemBox(err, h('a', { href: listHref(), class: 'btn' }, t('tokens.all'))));
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
