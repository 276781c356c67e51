// Shared UI pieces: alerts, problems, toasts, confirm dialog,
// cell formatting and the staff lookup.
import { h, replace, timeEl } from './dom.js';
import { api, ApiError } from './api.js';
import { canView } from './session.js';
import { formatMoney, formatNumber, formatPlainDate } from './format.js';
import { language, t } from './i18n.js';

/** An alert box. kind: error | warning | success | info. */
export function alertBox(kind, title, detail, ...actions) {
  return h('div', { class: ['alert', `alert-${kind}`], role: kind === 'error' || kind === 'warning' ? 'alert' : 'status' },
    h('p', { class: 'alert-title' }, title),
    detail ? h('p', { class: 'alert-detail' }, detail) : null,
    actions.length ? h('div', { class: 'alert-actions' }, actions) : null);
}

/** Capitalises the first letter (server titles are lower-case). */
export function sentence(s) {
  const t = String(s || '');
  return t ? t[0].toUpperCase() + t.slice(1) : t;
}

/** The server's (English) words in English; in another language the
 * catalogue's text of key (the server does not speak it). */
export function serverText(text, key, params) {
  return text && (!language() || language() === 'en') ? sentence(text) : t(key, params);
}

/** An error alert for any error: ApiError shows the problem's title and detail. */
export function problemBox(err, ...actions) {
  if (err instanceof ApiError) {
    const ref = err.requestId ? ` (${t('problem.request', { id: err.requestId })})` : '';
    let detail = err.detail;
    if (err.status === 403 && !detail) detail = t('problem.forbidden');
    if (err.status >= 500) detail = `${detail || t('problem.server')}${ref}`;
    return alertBox('error', sentence(err.title), detail, ...actions);
  }
  console.error(err);
  return alertBox('error', t('problem.generic'), String((err && err.message) || err), ...actions);
}

/** Shows a short-lived message in the page's live region. */
export function toast(message, kind = 'success') {
  const region = document.getElementById('toasts');
  if (!region) return;
  const item = h('div', { class: ['toast', `toast-${kind}`] }, message);
  region.appendChild(item);
  setTimeout(() => item.remove(), 5000);
}

/** Modal confirm; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel = t('common.confirm'), cancelLabel = t('common.cancel'), danger = false }) {
  return new Promise((resolve) => {
    const titleId = 'confirm-title';
    const cancel = h('button', { type: 'button', class: 'btn', value: 'cancel' }, cancelLabel);
    const ok = h('button', { type: 'button', class: ['btn', danger ? 'btn-danger' : 'btn-primary'] }, confirmLabel);
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId, class: 'dialog-title' }, title),
      h('p', { class: 'dialog-body' }, message),
      h('div', { class: 'dialog-actions' }, cancel, ok));
    let result = false;
    cancel.addEventListener('click', () => dlg.close());
    ok.addEventListener('click', () => { result = true; dlg.close(); });
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    document.body.appendChild(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

/**
 * A modal <dialog> to fill in: {dialog, body, actions, close(value), result}.
 * `result` resolves with the value given to close() (undefined on Escape).
 * The dialog removes itself when closed; focus returns to `returnFocus`.
 */
export function modal({ title, wide = false, returnFocus }) {
  const titleId = `dlg-title-${Math.random().toString(36).slice(2, 8)}`;
  const body = h('div', { class: 'dialog-content' });
  const actions = h('div', { class: 'dialog-actions' });
  const dialog = h('dialog', { class: ['dialog', wide ? 'dialog-wide' : null], 'aria-labelledby': titleId },
    h('h2', { id: titleId, class: 'dialog-title' }, title), body, actions);
  let value;
  let resolve;
  const result = new Promise((r) => { resolve = r; });
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (returnFocus && document.body.contains(returnFocus)) returnFocus.focus();
    resolve(value);
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  return {
    dialog, body, actions, result,
    close(v) { value = v; if (dialog.open) dialog.close(); },
  };
}

/** Staff members for names in lists and forms (cached). With staff.view
 * the staff list (deactivated members too); without it the directory of
 * active members (id and name), so a colleague is "Ana Pop", not "#3". */
let staffCache = null;
export async function loadStaff(signal) {
  if (staffCache) return staffCache;
  try {
    const { data } = canView('staff')
      ? await api('GET', '/api/v1/staff', { query: { limit: 200 }, signal })
      : await api('GET', '/api/v1/directory', { signal });
    staffCache = Array.isArray(data && data.data) ? data.data : [];
  } catch (err) {
    if (err instanceof ApiError) return []; // not permitted or unavailable: show ids instead
    throw err;
  }
  return staffCache;
}
export function clearStaffCache() { staffCache = null; }

export function staffName(staff, id) {
  if (id == null || id === '') return '';
  const s = staff.find((x) => x.id === Number(id));
  return s ? (s.name || s.email) : `#${id}`;
}


/** Formats a record's field for a table cell (returns text or a node). */
export function formatCell(field, record, ctx) {
  const v = field.custom ? (record.custom_fields || {})[field.name] : record[field.name];
  if (v == null || v === '') return h('span', { class: 'muted', 'aria-label': t('common.empty') }, '—');
  switch (field.type) {
    case 'datetime': return timeEl(v, { dateOnly: true });
    case 'select': {
      const opt = (field.options || []).find(([value]) => value === v);
      const known = Boolean(opt);
      return h('span', { class: ['badge', known ? `badge-${field.name}-${v}` : null] }, opt ? opt[1] : String(v));
    }
    case 'money': {
      const n = Number(v);
      const text = record.currency ? formatMoney(n, record.currency) : formatNumber(n, { min: 2, max: 2 });
      return h('span', { class: 'num' }, Number.isFinite(n) ? text : String(v));
    }
    case 'decimal': {
      const n = Number(v);
      return h('span', { class: 'num' }, Number.isFinite(n)
        ? formatNumber(n, { min: field.scale || 0, max: field.scale || 0 }) : String(v));
    }
    case 'staff': return staffName(ctx.staff, v);
    case 'staff_list': return Array.isArray(v) && v.length
      ? v.map((id) => staffName(ctx.staff, id)).join(', ')
      : h('span', { class: 'muted', 'aria-label': t('common.empty') }, '—');
    case 'tags': return Array.isArray(v) ? v.join(', ') : String(v);
    case 'multiselect': return Array.isArray(v)
      ? v.map((x) => ((field.options || []).find(([value]) => value === x) || [x, x])[1]).join(', ') : String(v);
    case 'checkbox': return v === true ? t('common.yes') : t('common.no');
    case 'date': return formatPlainDate(v);
    case 'reference': { // the list answer's titles (refs), else the id
      const names = ctx && ctx.refs && ctx.refs[field.ref];
      return names && names[v] != null ? names[v] : `#${v}`;
    }
    default: return String(v);
  }
}

/** A "Loading…" placeholder. */
export function loading(text = t('common.loading')) {
  return h('p', { class: 'loading', role: 'status' }, text);
}

/** Empty-state row content. */
export function emptyState(title, detail) {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), detail ? h('p', { class: 'muted' }, detail) : null);
}

export { replace };

/** "45 seconds" / "3 minutes" for a Retry-After wait (null: "a little while"). */
export function waitText(seconds) {
  const s = seconds;
  if (s == null) return t('wait.a_while');
  if (s < 90) return t('wait.seconds', { count: s });
  return t('wait.minutes', { count: Math.ceil(s / 60) });
}

/** The warning shown for a 429: how long to wait. */
export function rateLimitBox(err, title = t('wait.too_many')) {
  return alertBox('warning', title, t('wait.paused', { wait: waitText(err.retryAfter) }));
}

/** Saves text as a file through a Blob URL (no server round trip, no inline script). */
export function downloadText(filename, text, type = 'text/plain;charset=utf-8') {
  downloadBlob(filename, new Blob([text], { type }));
}

/** Saves a Blob (a download fetched with api(..., {blob: true})) as a file. */
export function downloadBlob(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, class: 'visually-hidden' }, filename);
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Copies text to the clipboard; resolves true on success. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall back below */ }
  const area = h('textarea', { class: 'visually-hidden', readOnly: true, 'aria-hidden': 'true' });
  area.value = text;
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  area.remove();
  return ok;
}
