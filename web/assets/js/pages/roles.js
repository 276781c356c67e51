// Roles & permissions (/admin/roles): the list, a new role from blank or
// from one of the spec's templates, and the permission matrix editor.
import { h, icon, nextId, pageTitle, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { navigate } from '../router.js';
import { can, me } from '../session.js';
import { alertBox, confirmDialog, emptyState, problemBox, serverText, toast } from '../ui.js';
import { checkboxGroup, clearErrors, control, radioGroup, showFieldErrors, staleNotice } from '../forms.js';
import { trackForm } from '../dirty.js';
import { CAPS, moduleLabel } from './staff.js';
import { t } from '../i18n.js';

/* Whether the signed-in member holds module.cap themselves (a non-admin
 * can grant nothing else; the server refuses it). */
function holds(module, cap) {
  const m = me();
  if (!m) return false;
  if (m.admin) return true;
  const caps = m.permissions && m.permissions[module];
  return Array.isArray(caps) && caps.includes(cap);
}

const PLUS = ['M12 5v14', 'M5 12h14'];
const BACK = ['M15 18l-6-6 6-6'];

async function loadModules(signal) {
  const { data } = await api('GET', '/api/v1/permissions/modules', { signal });
  // A module with no capability is for administrators only (log archives):
  // no role can be granted it, so it is no row of the matrix.
  return Array.isArray(data.data) ? data.data.filter((m) => (m.capabilities || []).length) : [];
}

/* ---- list ------------------------------------------------------------------ */

export async function rolesListPage(ctx, root) {
  ctx.setTitle(t('nav.roles'));
  const { data } = await api('GET', '/api/v1/roles', { signal: ctx.signal });
  const roles = Array.isArray(data.data) ? data.data : [];
  const table = h('table', { class: 'table' },
    h('caption', { class: 'visually-hidden' }, t('nav.roles')),
    h('thead', null, h('tr', null, [t('staff.col.role'), t('field.description'), t('roles.col.modules'), t('nav.staff'), t('field.updated_at')].map((c, i) =>
      h('th', { scope: 'col', class: i === 3 ? 'num' : null }, c)))),
    h('tbody', null, roles.map((r) => {
      const modules = Object.keys(r.permissions || {}).filter((m) => (r.permissions[m] || []).length).length;
      const href = `/admin/roles/${r.id}`;
      const tr = h('tr', { class: 'clickable' },
        h('td', null, h('a', { href, class: 'row-link' }, r.name),
          r.require_2fa ? h('span', { class: 'badge badge-admin badge-inline', title: t('roles.2fa_title') }, t('roles.2fa_required')) : null),
        h('td', null, r.description ? h('span', { class: 'truncate truncate-wide', title: r.description }, r.description)
          : h('span', { class: 'muted' }, '—')),
        h('td', null, modules ? t('roles.modules', { count: modules }) : h('span', { class: 'muted' }, t('roles.grants_nothing'))),
        h('td', { class: 'num' }, r.staff_count
          ? h('a', { href: `/admin/staff?role_id=${r.id}`, 'aria-label': t('roles.staff_with', { count: r.staff_count, name: r.name }) }, String(r.staff_count))
          : '0'),
        h('td', { class: 'nowrap' }, timeEl(r.updated_at, { dateOnly: true })));
      tr.addEventListener('click', (ev) => { if (!ev.target.closest('a, button')) navigate(href); });
      return tr;
    })));
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.roles')),
      can('roles', 'create') ? h('a', { href: '/admin/roles/new', class: 'btn btn-primary' }, icon(PLUS), t('roles.new')) : null),
    h('p', { class: 'muted page-lead' }, t('roles.lead')),
    h('div', { class: 'card' }, roles.length ? h('div', { class: 'table-wrap' }, table)
      : emptyState(t('roles.none'), t('roles.none_detail'))));
}

/* ---- the matrix editor ------------------------------------------------------- */

/**
 * A module × capability grid of checkboxes. modules: GET /permissions/modules
 * rows; permissions: {module: [caps]}. Returns {root, get(), set(perms),
 * controls} where controls maps "permissions.<module>" to a row control for
 * showFieldErrors.
 */
export function matrixEditor(modules, permissions, { readOnly = false } = {}) {
  const controls = {};
  const boxes = {};
  let withheld = 0; // boxes this member may not tick: not theirs to grant
  const rows = modules.map((m) => {
    const errId = nextId(`mx-err-${m.module}`);
    const rowError = h('p', { id: errId, class: 'field-error', hidden: true });
    const caps = new Set(m.capabilities || []);
    boxes[m.module] = {};
    const cells = CAPS().map(([cap, capLabel]) => {
      if (!caps.has(cap)) {
        return h('td', { class: 'matrix-na' }, h('span', { 'aria-hidden': 'true' }, '—'),
          h('span', { class: 'visually-hidden' }, t('access.na')));
      }
      const given = Array.isArray(permissions && permissions[m.module]) && permissions[m.module].includes(cap);
      // Not held by this member: they may remove it, never give it.
      const mine = holds(m.module, cap);
      const box = h('input', { type: 'checkbox', class: 'checkbox', disabled: readOnly || (!mine && !given),
        'aria-label': `${moduleLabel(m)}: ${capLabel}${mine ? '' : ` (${t('roles.cannot_grant_short')})`}`,
        title: mine ? null : t('roles.cannot_grant'),
        dataset: { module: m.module, cap, withheld: mine ? null : 'true' } });
      if (!mine && !readOnly) withheld += 1;
      boxes[m.module][cap] = box;
      return h('td', { class: 'matrix-cell' }, box);
    });
    const first = () => Object.values(boxes[m.module])[0];
    controls[`permissions.${m.module}`] = {
      label: moduleLabel(m), get input() { return first(); },
      setError(msg) {
        rowError.textContent = msg || '';
        rowError.hidden = !msg;
        for (const b of Object.values(boxes[m.module])) {
          if (msg) { b.setAttribute('aria-invalid', 'true'); b.setAttribute('aria-describedby', errId); } else {
            b.removeAttribute('aria-invalid'); b.removeAttribute('aria-describedby');
          }
        }
      },
      focus() { if (first()) first().focus(); },
    };
    return h('tr', { dataset: { module: m.module } },
      h('th', { scope: 'row' }, h('span', null, moduleLabel(m)), h('span', { class: 'muted mono small module-key' }, m.module), rowError),
      cells);
  });
  const root = h('div', { class: 'matrix-wrap' },
    h('div', { class: 'table-wrap' }, h('table', { class: 'table matrix' },
      h('caption', { class: 'visually-hidden' }, t('roles.matrix_caption')),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('staff.col.module')), CAPS().map(([, l]) => h('th', { scope: 'col' }, l)))),
      h('tbody', null, rows))),
    h('p', { class: 'hint pad' }, t('roles.matrix_hint'), withheld ? ` ${t('roles.matrix_withheld')}` : ''));
  const api_ = {
    root, controls,
    set(perms) {
      for (const [mod, caps] of Object.entries(boxes)) {
        const want = new Set((perms && perms[mod]) || []);
        for (const [cap, box] of Object.entries(caps)) {
          // A template may hold what this member cannot grant: left out.
          box.checked = want.has(cap) && (!box.disabled || readOnly);
        }
      }
    },
    get() {
      const out = {};
      for (const [mod, caps] of Object.entries(boxes)) {
        const on = Object.entries(caps).filter(([, b]) => b.checked).map(([c]) => c);
        if (on.length) out[mod] = on;
      }
      return out;
    },
  };
  api_.set(permissions);
  return api_;
}

/** The role's "Require two-factor authentication" checkbox. */
function require2faControl() {
  return control({ name: 'require_2fa', label: t('roles.require_2fa'), type: 'checkbox', wide: true,
    hint: t('roles.require_2fa_hint') });
}

const sameMatrix = (a, b) => {
  const norm = (m) => JSON.stringify(Object.keys(m || {}).sort().filter((k) => (m[k] || []).length)
    .map((k) => [k, [...m[k]].sort()]));
  return norm(a) === norm(b);
};

/* ---- new role --------------------------------------------------------------- */

export async function roleNewPage(ctx, root) {
  ctx.setTitle(t('roles.new'));
  const back = h('a', { href: '/admin/roles', class: 'back-link' }, icon(BACK), t('nav.roles'));
  if (!can('roles', 'create')) {
    root.replaceChildren(back, pageTitle(t('roles.new')), alertBox('info', t('roles.cannot_create')));
    return;
  }
  const [modules, templates] = await Promise.all([
    loadModules(ctx.signal),
    api('GET', '/api/v1/roles/templates', { signal: ctx.signal }).then((r) => r.data.data || []).catch((err) => {
      if (isAbort(err)) throw err;
      return [];
    }),
  ]);

  const name = control({ name: 'name', label: t('field.name'), required: true, max: 100, placeholder: t('roles.name_placeholder') });
  const description = control({ name: 'description', label: t('field.description'), type: 'textarea', max: 500, wide: true, rows: 2 });
  const require2fa = require2faControl();
  const matrix = matrixEditor(modules, {});
  const templateNote = h('div', { class: 'template-note', 'aria-live': 'polite' });
  // The template the role is made from: remembered by the role, so the
  // security role audit can flag grants beyond it.
  let fromTemplate = null;
  const start = radioGroup({
    name: 'start', label: t('roles.start_from'), value: 'blank',
    items: [['blank', t('roles.blank'), t('roles.blank_hint')],
      ...templates.map((x, i) => [`t${i}`, t('roles.template', { name: x.name }), x.description])],
    onChange: (v) => {
      templateNote.replaceChildren();
      fromTemplate = null;
      if (v === 'blank') { matrix.set({}); return; }
      const tpl = templates[Number(v.slice(1))];
      fromTemplate = tpl.name;
      name.set(tpl.name);
      description.set(tpl.description || '');
      matrix.set(tpl.permissions || {});
      if (tpl.missing_modules && tpl.missing_modules.length) {
        templateNote.append(alertBox('info', t('roles.missing_modules'),
          t('roles.missing_modules_detail', { modules: tpl.missing_modules.join(', ') })));
      }
    },
  });
  const controls = { name, description, require_2fa: require2fa };
  Object.assign(controls, matrix.controls);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('roles.create'));
  const form = h('form', { class: 'card form form-wide', novalidate: true, 'aria-labelledby': 'role-new-title' },
    messages,
    h('div', { class: 'form-grid' }, start.wrap, name.wrap, h('div', { class: 'field' }), description.wrap, require2fa.wrap),
    templateNote,
    h('h2', { class: 'section-title form-section' }, t('staff.tab.permissions')),
    matrix.root,
    h('div', { class: 'form-actions' }, save, h('a', { href: '/admin/roles', class: 'btn' }, t('common.cancel'))));
  const title = pageTitle(t('roles.new'));
  title.id = 'role-new-title';
  root.replaceChildren(back, h('div', { class: 'page-header' }, title), form);
  trackForm(form);
  start.focus();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(controls, messages);
    const body = { name: name.get(), permissions: matrix.get() };
    if (description.get()) body.description = description.get();
    if (require2fa.get()) body.require_2fa = true;
    if (fromTemplate) body.template = fromTemplate;
    save.disabled = true;
    try {
      const { data } = await api('POST', '/api/v1/roles', { body });
      toast(t('roles.created', { name: data.name }));
      navigate(`/admin/roles/${data.id}`);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showFieldErrors(err, controls, messages);
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
    }
  });
}

/* ---- role record --------------------------------------------------------------- */

export async function roleRecordPage(ctx, root) {
  const id = ctx.params.id;
  const back = h('a', { href: '/admin/roles', class: 'back-link' }, icon(BACK), t('nav.roles'));
  if (!/^[1-9]\d*$/.test(id)) { root.replaceChildren(back, pageTitle(t('roles.not_found'))); return; }
  const admin = Boolean(me() && me().admin);
  const [loaded, modules, allRoles] = await Promise.all([
    api('GET', `/api/v1/roles/${id}`, { signal: ctx.signal }).catch((err) => err),
    loadModules(ctx.signal),
    admin ? api('GET', '/api/v1/roles', { signal: ctx.signal }).then((r) => r.data.data).catch(() => []) : [],
  ]);
  if (loaded instanceof Error) {
    if (loaded instanceof ApiError && loaded.status === 404) {
      ctx.setTitle(t('notfound.title'));
      root.replaceChildren(back, pageTitle(t('roles.not_found')), alertBox('info', t('roles.no_such', { id }), t('roles.maybe_deleted')));
      return;
    }
    throw loaded;
  }
  const role = loaded.data;
  const etag = loaded.etag;
  const editable = can('roles', 'edit');
  const reload = () => navigate(location.pathname, { replace: true });
  ctx.setTitle(t('roles.title', { name: role.name }));

  const name = control({ name: 'name', label: t('field.name'), required: true, max: 100 });
  const description = control({ name: 'description', label: t('field.description'), type: 'textarea', max: 500, wide: true, rows: 2 });
  name.set(role.name);
  description.set(role.description);
  const require2fa = require2faControl();
  require2fa.set(role.require_2fa);
  const matrix = matrixEditor(modules, role.permissions, { readOnly: !editable });
  if (!editable) { name.input.disabled = true; description.input.disabled = true; require2fa.input.disabled = true; }
  // Delegation: which roles this role's members may hand out (an
  // administrator's decision; shown to administrators only).
  const grantable = admin ? checkboxGroup({ name: 'grantable_role_ids', label: t('roles.grantable'),
    items: allRoles.map((r) => [r.id, r.name]),
    hint: t('roles.grantable_hint') }) : null;
  if (grantable) grantable.set(role.grantable_role_ids || []);
  const controls = { name, description, require_2fa: require2fa, ...matrix.controls,
    ...(grantable ? { grantable_role_ids: grantable } : {}) };
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = editable ? h('button', { type: 'submit', class: 'btn btn-primary' }, t('roles.save')) : null;
  // A role in use cannot be deleted (409): say so instead of offering it.
  const inUse = Number(role.staff_count) > 0;
  const del = can('roles', 'delete') ? h('button', { type: 'button', class: 'btn btn-danger-outline', disabled: inUse,
    'aria-describedby': inUse ? 'role-delete-note' : null }, t('roles.delete')) : null;
  const delNote = del && inUse ? h('p', { id: 'role-delete-note', class: 'hint action-note' },
    t('roles.in_use', { count: role.staff_count })) : null;
  const form = h('form', { class: 'card form form-wide', novalidate: true, 'aria-labelledby': 'role-title' },
    messages,
    editable ? null : alertBox('info', t('form.read_only'), t('roles.read_only')),
    h('div', { class: 'form-grid' }, name.wrap, h('div', { class: 'field' }), description.wrap, require2fa.wrap),
    h('h2', { class: 'section-title form-section' }, t('staff.tab.permissions')),
    matrix.root,
    grantable ? h('h2', { class: 'section-title form-section' }, t('roles.grantable_title')) : null,
    grantable ? grantable.wrap : null,
    h('div', { class: 'form-actions' }, save, h('a', { href: '/admin/roles', class: 'btn' }, editable ? t('common.cancel') : t('common.back')),
      h('span', { class: 'spacer' }), delNote, del));
  const title = pageTitle(t('roles.title', { name: role.name }));
  title.id = 'role-title';
  const used = role.staff_count
    ? h('a', { href: `/admin/staff?role_id=${role.id}` }, t('roles.staff_members', { count: role.staff_count }))
    : t('roles.nobody');
  root.replaceChildren(back, h('div', { class: 'page-header' }, title),
    h('p', { class: 'meta muted' }, `${t('roles.used_by')} `, used, ` · ${t('form.meta_updated')} `, timeEl(role.updated_at)), form);
  if (editable) trackForm(form);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!save) return;
    clearErrors(controls, messages);
    const body = {};
    if (name.get() !== role.name) body.name = name.get();
    if ((description.get() || null) !== (role.description || null)) body.description = description.get();
    if (require2fa.get() !== Boolean(role.require_2fa)) body.require_2fa = require2fa.get();
    const perms = matrix.get();
    if (!sameMatrix(perms, role.permissions)) body.permissions = perms;
    if (grantable) {
      const ids = grantable.get();
      const sorted = (a) => [...a].sort((x, y) => x - y).join(',');
      if (sorted(ids) !== sorted(role.grantable_role_ids || [])) body.grantable_role_ids = ids;
    }
    if (!Object.keys(body).length) { toast(t('common.no_changes'), 'info'); return; }
    // What the role grants applies to all its members at once: say how many.
    if (role.staff_count && ('permissions' in body || 'require_2fa' in body || 'grantable_role_ids' in body)) {
      const n = role.staff_count;
      const ok = await confirmDialog({ title: t('roles.affects', { count: n }),
        message: t('roles.affects_message', { count: n, name: role.name }),
        confirmLabel: t('roles.save_all') });
      if (!ok) { save.focus(); return; }
    }
    save.disabled = true;
    try {
      await api('PATCH', `/api/v1/roles/${role.id}`, { body, ifMatch: etag });
      const enforced = body.require_2fa === true && role.staff_count ? ` ${t('roles.saved_2fa')}` : '';
      toast(`${t('roles.saved', { name: body.name || role.name })}${role.staff_count ? ` ${t('roles.saved_members')}` : ''}${enforced}`);
      reload();
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showFieldErrors(err, controls, messages);
      else if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'role', reload);
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
    }
  });

  if (del) {
    del.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('roles.delete_q', { name: role.name }),
        message: t('roles.delete_message'), confirmLabel: t('common.delete'), danger: true });
      if (!ok) { del.focus(); return; }
      del.disabled = true;
      try {
        await api('DELETE', `/api/v1/roles/${role.id}`, { ifMatch: etag });
        toast(t('roles.deleted', { name: role.name }));
        navigate('/admin/roles');
      } catch (err) {
        // 409 (in use) is shown as the server says it: it names how many staff use it.
        if (err instanceof ApiError && err.status === 409) {
          messages.replaceChildren(alertBox('error', t('roles.cannot_delete'), serverText(err.detail, 'roles.cannot_delete_detail')));
        } else messages.replaceChildren(problemBox(err));
        messages.focus();
      } finally {
        del.disabled = false;
      }
    });
  }
}

export const routes = [
  ['/admin/roles', rolesListPage],
  ['/admin/roles/new', roleNewPage],
  ['/admin/roles/:id', roleRecordPage],
];
export const nav = [
  { path: '/admin/roles', key: 'nav.roles', label: 'Roles', module: 'roles', adminOnly: true, group: 'Organisation', order: 20,
    icon: ['M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z', 'M9 12l2 2 4-4'] },
];
