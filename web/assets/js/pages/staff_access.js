// The staff record's Permissions tab (individual overrides: inherit,
// allow, deny per module and capability) and Access tab (every right the
// member has, and why). Part of the staff pages (staff.js).
import { h, nextId, replace } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { canView, me } from '../session.js';
import { trackForm } from '../dirty.js';
import { alertBox, loading, problemBox } from '../ui.js';
import { clearErrors, errorRoot, showFieldErrors } from '../forms.js';

export const CAPS = [
  ['view', 'View (all)'], ['view_own', 'View own'], ['create', 'Create'], ['edit', 'Edit'], ['delete', 'Delete'],
];

/* ---- Permissions tab: individual overrides --------------------------------- */

export function permissionsTab(panel, { record, editable, signal, onSaved }) {
  panel.replaceChildren(loading('Loading permissions…'));
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
    const cells = CAPS.map(([cap, capLabel]) => {
      if (!m.capabilities[cap]) {
        return h('td', { class: 'matrix-na' }, h('span', { 'aria-hidden': 'true' }, '—'),
          h('span', { class: 'visually-hidden' }, 'not applicable'));
      }
      const current = (overrides[m.module] && overrides[m.module][cap]) || 'inherit';
      const gives = roleGives(role, m, cap, current !== 'inherit');
      const inheritText = gives === null ? 'Inherit' : `Inherit (${gives ? 'yes' : 'no'})`;
      const sel = h('select', { class: ['input', 'input-compact', `ov-${current}`], 'aria-label': `${m.label}: ${capLabel}`,
        disabled: !editable, dataset: { module: m.module, cap } },
      h('option', { value: 'inherit' }, inheritText),
      // Nobody allows what they do not hold themselves (the server refuses it).
      h('option', { value: 'allow', disabled: !viewerHolds(m.module, cap) && current !== 'allow' },
        viewerHolds(m.module, cap) ? 'Allow' : 'Allow (not yours to give)'),
      h('option', { value: 'deny' }, 'Deny'));
      sel.value = current;
      // Under an override, say what the role alone would give.
      const roleNote = gives === null ? null
        : h('span', { class: ['role-note', gives ? 'yes' : 'no'], hidden: current === 'inherit' }, `Role: ${gives ? 'yes' : 'no'}`);
      sel.addEventListener('change', () => {
        sel.className = `input input-compact ov-${sel.value}`;
        if (roleNote) roleNote.hidden = sel.value === 'inherit';
      });
      selects.push(sel);
      return h('td', null, h('div', { class: 'ov-cell' }, sel, roleNote));
    });
    rows[m.module] = selects;
    controls[`overrides.${m.module}`] = {
      label: m.label, input: selects[0],
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
    return h('tr', null, h('th', { scope: 'row' }, m.label, rowError), cells);
  });

  const save = editable ? h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save permissions') : null;
  const resetAll = editable ? h('button', { type: 'button', class: 'btn' }, 'Reset all to inherit') : null;
  const form = h('form', { class: 'form form-flat form-matrix', novalidate: true, 'aria-label': 'Individual permission overrides' },
    h('p', { class: 'muted' },
      'An override takes priority over the role. Inherit uses the role’s grant', role ? ` (“${role.name}”)` : '',
      '; Allow and Deny apply to this member only.'),
    record.admin ? alertBox('info', 'Administrator', 'Administrators have every permission: overrides are kept but have no effect while admin is on.') : null,
    !record.role_id ? alertBox('info', 'No role', 'Without a role this member has only what you allow here.') : null,
    messages,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table matrix' },
      h('caption', { class: 'visually-hidden' }, 'Overrides per module and capability'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Module'), CAPS.map(([, l]) => h('th', { scope: 'col' }, l)))),
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
      messages.replaceChildren(alertBox('success', 'Permissions saved',
        'They apply to this member’s next request. See the Access tab for the result.'));
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
      panel.replaceChildren(loading('Loading access…'));
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
    ? alertBox('info', 'Administrator', 'Every permission: checks are bypassed for administrators.')
    : h('p', { class: 'muted' }, 'What this member may do right now, and why: from the role, or an individual override.');
  replace(panel, summary,
    data.active === false ? alertBox('warning', 'Deactivated', 'They cannot sign in; these rights apply if they are activated again.') : null,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table matrix access' },
      h('caption', { class: 'visually-hidden' }, 'Effective permissions per module and capability'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Module'), CAPS.map(([, l]) => h('th', { scope: 'col' }, l)))),
      h('tbody', null, modules.map((m) => h('tr', { dataset: { module: m.module } },
        h('th', { scope: 'row' }, m.label || m.module),
        CAPS.map(([cap]) => {
          const info = m.capabilities && m.capabilities[cap];
          if (!info) {
            return h('td', { class: 'matrix-na' }, h('span', { 'aria-hidden': 'true' }, '—'),
              h('span', { class: 'visually-hidden' }, 'not applicable'));
          }
          return h('td', { class: info.allowed ? 'cell-yes' : 'cell-no', dataset: { cap } },
            h('span', { class: 'access-mark', 'aria-hidden': 'true' }, info.allowed ? '✓' : '✗'),
            h('span', { class: 'visually-hidden' }, info.allowed ? 'allowed: ' : 'not allowed: '),
            h('span', { class: 'access-reason' }, info.reason || ''));
        })))))));
}

