// The staff record's Permissions tab (individual overrides: inherit,
// allow, deny per module and capability) and Access tab (every right the
// member has, and why). Part of the staff pages (staff.js).
import { h, nextId, replace } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { canView, me } from '../session.js';
import { trackForm } from '../dirty.js';
import { alertBox, loading, problemBox } from '../ui.js';
import { t, tOr } from '../i18n.js';
import { clearErrors, errorRoot, showFieldErrors } from '../forms.js';

/** The capabilities, [key, label] in the member's language (cap.<key>). */
export const CAPS = () => ['view', 'view_own', 'create', 'edit', 'delete'].map((c) => [c, t(`cap.${c}`)]);

/** A permission module's name in the member's language (the server's label otherwise). */
export const moduleLabel = (m) => tOr(`module.${m.module}`, tOr(`entity.${m.module}`, m.label || m.module));

/* ---- Permissions tab: individual overrides --------------------------------- */

export function permissionsTab(panel, { record, editable, signal, onSaved }) {
  panel.replaceChildren(loading(t('access.loading_permissions')));
  const roleReq = record.role_id != null && canView('roles')
    ? api('GET', `/api/v1/roles/${record.role_id}`, { signal }).then((r) => r.data).catch(() => null)
    : Promise.resolve(null);
  Promise.all([
    api('GET', `/api/v1/staff/${record.id}/permissions`, { signal }),
    api('GET', `/api/v1/staff/${record.id}/access`, { signal }),
    roleReq,
  ]).then(([ov, acc, role]) => {
    renderOverrides(panel, { record, editable, overrides: (ov.data && ov.data.overrides) || {},
      modules: (acc.data && acc.data.modules) || [], role, onSaved });
  }).catch((err) => { if (!isAbort(err)) panel.replaceChildren(problemBox(err)); });
}

/** Whether the viewer holds module.cap (administrators hold everything). */
function viewerHolds(module, cap) {
  const v = me();
  if (!v) return false;
  if (v.admin) return true;
  const caps = v.permissions && v.permissions[module];
  return Array.isArray(caps) && caps.includes(cap);
}

/** What the role gives for module/cap: true, false or null (unknown). */
function roleGives(role, accessModule, cap, override) {
  if (role) return Array.isArray(role.permissions[accessModule.module]) && role.permissions[accessModule.module].includes(cap);
  const info = accessModule.capabilities[cap];
  if (!info || override) return null; // an override hides the role's answer in the explanation
  return /role/.test(info.reason) ? info.allowed : null;
}

function renderOverrides(panel, { record, editable, overrides, modules, role, onSaved }) {
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const rows = {};
  const controls = {};
  const body = modules.map((m) => {
    const errorId = nextId(`ov-err-${m.module}`);
    const rowError = h('p', { id: errorId, class: 'field-error', hidden: true });
    const selects = [];
    const cells = CAPS().map(([cap, capLabel]) => {
      if (!m.capabilities[cap]) {
        return h('td', { class: 'matrix-na' }, h('span', { 'aria-hidden': 'true' }, '—'),
          h('span', { class: 'visually-hidden' }, t('access.na')));
      }
      const current = (overrides[m.module] && overrides[m.module][cap]) || 'inherit';
      const gives = roleGives(role, m, cap, current !== 'inherit');
      const inheritText = gives === null ? t('access.inherit') : t(gives ? 'access.inherit_yes' : 'access.inherit_no');
      const sel = h('select', { class: ['input', 'input-compact', `ov-${current}`], 'aria-label': `${moduleLabel(m)}: ${capLabel}`,
        disabled: !editable, dataset: { module: m.module, cap } },
      h('option', { value: 'inherit' }, inheritText),
      // Nobody allows what they do not hold themselves (the server refuses it).
      h('option', { value: 'allow', disabled: !viewerHolds(m.module, cap) && current !== 'allow' },
        viewerHolds(m.module, cap) ? t('access.allow') : t('access.allow_not_yours')),
      h('option', { value: 'deny' }, t('access.deny')));
      sel.value = current;
      // Under an override, say what the role alone would give.
      const roleNote = gives === null ? null
        : h('span', { class: ['role-note', gives ? 'yes' : 'no'], hidden: current === 'inherit' }, t(gives ? 'access.role_yes' : 'access.role_no'));
      sel.addEventListener('change', () => {
        sel.className = `input input-compact ov-${sel.value}`;
        if (roleNote) roleNote.hidden = sel.value === 'inherit';
      });
      selects.push(sel);
      return h('td', null, h('div', { class: 'ov-cell' }, sel, roleNote));
    });
    rows[m.module] = selects;
    controls[`overrides.${m.module}`] = {
      label: moduleLabel(m), input: selects[0],
      setError(msg) {
        rowError.textContent = msg || '';
        rowError.hidden = !msg;
        for (const s of selects) {
          if (msg) { s.setAttribute('aria-invalid', 'true'); s.setAttribute('aria-describedby', errorId); } else {
            s.removeAttribute('aria-invalid'); s.removeAttribute('aria-describedby');
          }
        }
      },
      focus() { if (selects[0]) selects[0].focus(); },
    };
    return h('tr', null, h('th', { scope: 'row' }, moduleLabel(m), rowError), cells);
  });

  const save = editable ? h('button', { type: 'submit', class: 'btn btn-primary' }, t('access.save')) : null;
  const resetAll = editable ? h('button', { type: 'button', class: 'btn' }, t('access.reset_all')) : null;
  const form = h('form', { class: 'form form-flat form-matrix', novalidate: true, 'aria-label': t('access.overrides') },
    h('p', { class: 'muted' }, role ? t('access.lead_role', { role: role.name }) : t('access.lead')),
    record.admin ? alertBox('info', t('shell.role_admin'), t('access.admin_overrides')) : null,
    !record.role_id ? alertBox('info', t('staff.no_role'), t('access.no_role')) : null,
    messages,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table matrix' },
      h('caption', { class: 'visually-hidden' }, t('access.overrides_caption')),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('staff.col.module')), CAPS().map(([, l]) => h('th', { scope: 'col' }, l)))),
      h('tbody', null, body))),
    editable ? h('div', { class: 'form-actions' }, save, resetAll) : null);
  panel.replaceChildren(form);
  const tracker = editable ? trackForm(form) : null;

  if (resetAll) {
    resetAll.addEventListener('click', () => {
      for (const sels of Object.values(rows)) {
        for (const s of sels) { s.value = 'inherit'; s.dispatchEvent(new Event('change')); }
      }
    });
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!save) return;
    clearErrors(controls, messages);
    const out = {};
    for (const [mod, sels] of Object.entries(rows)) {
      for (const s of sels) {
        if (s.value === 'inherit') continue;
        (out[mod] = out[mod] || {})[s.dataset.cap] = s.value;
      }
    }
    save.disabled = true;
    try {
      await api('PUT', `/api/v1/staff/${record.id}/permissions`, { body: { overrides: out } });
      onSaved();
      if (tracker) tracker.markClean();
      messages.replaceChildren(alertBox('success', t('access.saved'), t('access.saved_detail')));
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) {
        // Errors are named overrides.<module>; the matrix has one control per row.
        showFieldErrorsByRow(err, controls, messages);
      } else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
    }
  });
}

/** Like showFieldErrors, keyed by the full field name (overrides.<module>, permissions.<module>). */
export function showFieldErrorsByRow(err, controls, messages) {
  const byRow = {};
  for (const [k, v] of Object.entries(controls)) byRow[k] = v;
  const keyed = {};
  for (const e of err.fieldErrors) {
    const c = byRow[e.field] || byRow[errorRoot(e.field)];
    if (c) keyed[e.field] = c;
  }
  showFieldErrors(err, keyed, messages);
}

/* ---- Access tab: effective rights, explained -------------------------------- */

export function accessTab(panel, record, signal) {
  const state = { stale: false, refresh };
  async function refresh() {
    if (!state.loaded || state.stale) {
      state.stale = false;
      state.loaded = true;
      panel.replaceChildren(loading(t('access.loading')));
      try {
        const { data } = await api('GET', `/api/v1/staff/${record.id}/access`, { signal });
        renderAccess(panel, data);
      } catch (err) {
        if (!isAbort(err)) panel.replaceChildren(problemBox(err));
      }
    }
  }
  refresh();
  return state;
}

function renderAccess(panel, data) {
  const modules = Array.isArray(data.modules) ? data.modules : [];
  const summary = data.admin
    ? alertBox('info', t('shell.role_admin'), t('access.admin_all'))
    : h('p', { class: 'muted' }, t('access.lead_effective'));
  replace(panel, summary,
    data.active === false ? alertBox('warning', t('access.deactivated'), t('access.deactivated_detail')) : null,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table matrix access' },
      h('caption', { class: 'visually-hidden' }, t('access.effective_caption')),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('staff.col.module')), CAPS().map(([, l]) => h('th', { scope: 'col' }, l)))),
      h('tbody', null, modules.map((m) => h('tr', { dataset: { module: m.module } },
        h('th', { scope: 'row' }, moduleLabel(m)),
        CAPS().map(([cap]) => {
          const info = m.capabilities && m.capabilities[cap];
          if (!info) {
            return h('td', { class: 'matrix-na' }, h('span', { 'aria-hidden': 'true' }, '—'),
              h('span', { class: 'visually-hidden' }, t('access.na')));
          }
          return h('td', { class: info.allowed ? 'cell-yes' : 'cell-no', dataset: { cap } },
            h('span', { class: 'access-mark', 'aria-hidden': 'true' }, info.allowed ? '✓' : '✗'),
            h('span', { class: 'visually-hidden' }, `${t(info.allowed ? 'access.allowed' : 'access.not_allowed')}: `),
            h('span', { class: 'access-reason' }, info.reason || ''));
        })))))));
}

