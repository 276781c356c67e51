// The portal's building blocks: labelled fields with their error slot,
// alerts, problems in the contact's language, the wait of a 429/503 in
// words, toasts, the pager and record facts. Every string goes into the
// page as text (dom.js h()); nothing here parses HTML.
import { h, nextId } from '../js/dom.js';
import { ApiError } from '../js/api.js';
import { language, t, tOr } from '../js/i18n.js';
import { formatNumber } from '../js/format.js';

/** Capitalises the first letter (the server's messages are lower case). */
export function sentence(s) {
  const x = String(s || '');
  return x ? x[0].toUpperCase() + x.slice(1) : x;
}

const english = () => !language() || language() === 'en';

/** An alert box. kind: error | warning | success | info. */
export function alertBox(kind, title, detail, ...actions) {
  return h('div', { class: ['alert', `alert-${kind}`], role: kind === 'error' || kind === 'warning' ? 'alert' : 'status' },
    h('p', { class: 'alert-title' }, title),
    detail ? h('p', { class: 'alert-detail' }, detail) : null,
    actions.length ? h('div', { class: 'alert-actions' }, actions) : null);
}

/** "45 seconds" / "3 minutes" for a Retry-After wait (null: "a little while"). */
export function waitText(seconds) {
  if (seconds == null) return t('wait.a_while');
  if (seconds < 90) return t('wait.seconds', { count: seconds });
  return t('wait.minutes', { count: Math.ceil(seconds / 60) });
}

/** The warning for a 429 (too many attempts) or 503 (busy): how long to wait, in words. */
export function waitBox(err) {
  const wait = waitText(err.retryAfter);
  // In English the server's own words first (what was refused), then the wait.
  const said = english() && err.detail ? `${sentence(err.detail).replace(/\.?$/, '.')} ` : '';
  return err.status === 503
    ? alertBox('warning', t('portal.problem.busy'), said + t('portal.problem.busy_detail', { wait }))
    : alertBox('warning', t('wait.too_many'), said + t('wait.paused', { wait }));
}

/**
 * An alert for any error. The server speaks English: in English its own
 * detail is shown, in another language the catalogue's words for the
 * status. A 429 or 503 says how long to wait.
 */
export function problemBox(err, ...actions) {
  if (!(err instanceof ApiError)) {
    console.error(err);
    return alertBox('error', t('portal.problem.generic'), String((err && err.message) || err), ...actions);
  }
  if (err.status === 429 || err.status === 503) return waitBox(err);
  const known = { 0: 'network', 401: 'signed_out', 403: 'forbidden', 404: 'not_found', 413: 'too_large' }[err.status];
  const title = known && err.status !== 0 ? t(`portal.problem.${known}`) : sentence(err.title);
  let detail = english() || err.status === 0 ? err.detail : '';
  if (err.status >= 500) {
    detail = `${t('portal.problem.server')}${err.requestId ? ` (${t('problem.request', { id: err.requestId })})` : ''}`;
  }
  return alertBox('error', title, detail && sentence(detail) !== title ? sentence(detail) : null, ...actions);
}

const PASSWORD_CODES = new Set(['too_short', 'too_long', 'weak', 'invalid', 'reused']);

/**
 * The text of one `errors[]` item of a 422: in English the server's own
 * detail, in another language the catalogue's words for its code.
 */
export function errorText(e, { password = false } = {}) {
  if (e.code === 'required') return t('error.required');
  if (password && PASSWORD_CODES.has(e.code)) {
    const n = (String(e.detail || '').match(/\d+/) || ['?'])[0];
    if (!english() || !e.detail) return t(`portal.error.password.${e.code}`, { n });
  }
  if (!english() || !e.detail) return tOr(`error.${e.code}`, sentence(e.detail || e.code || 'invalid'));
  // "must be at least 12 characters" → "The password must be at least 12 characters."
  const d = password && /^(is|must|was|has|cannot)\b/.test(e.detail) ? `The password ${e.detail}` : sentence(e.detail);
  return /[.!?]$/.test(d) ? d : `${d}.`;
}

/**
 * A labelled control with a hint and an error slot tied to it by
 * aria-describedby. spec: name, label, type (text | email | password |
 * textarea | select | file), options ([value, label]), autocomplete, hint,
 * required, rows, value. Returns {name, input, wrap, value(), setError(text), focus()}.
 */
export function field(spec) {
  const id = spec.id || nextId(`p-${spec.name}`);
  const hintId = spec.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const common = { id, name: spec.name, class: 'input', required: spec.required,
    autocomplete: spec.autocomplete || 'off', 'aria-describedby': hintId };
  let input;
  if (spec.type === 'textarea') input = h('textarea', { ...common, rows: spec.rows || 5 });
  else if (spec.type === 'select') {
    input = h('select', common, spec.options.map(([v, label]) => h('option', { value: v }, label)));
  } else {
    input = h('input', { ...common, type: spec.type || 'text', inputmode: spec.inputmode || null,
      spellcheck: ['email', 'password'].includes(spec.type) ? 'false' : null });
  }
  if (spec.value != null) input.value = String(spec.value);
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const wrap = h('div', { class: ['field', spec.wide ? 'field-wide' : null] },
    h('label', { for: id, class: 'label' }, spec.label,
      spec.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    input,
    hintId ? h('p', { id: hintId, class: 'hint' }, spec.hint) : null,
    error);
  return {
    name: spec.name, input, wrap, password: spec.type === 'password',
    value() { return spec.type === 'password' || spec.type === 'textarea' ? input.value : input.value.trim(); },
    setError(text) {
      error.textContent = text || '';
      error.hidden = !text;
      if (text) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
      const ids = [hintId, text ? errorId : null].filter(Boolean).join(' ');
      if (ids) input.setAttribute('aria-describedby', ids); else input.removeAttribute('aria-describedby');
    },
    focus() { input.focus(); },
  };
}

/**
 * Shows a 422 on a form: each error under its field (fields: {name:
 * field}), the ones no field holds in slot. Focuses the first invalid field.
 */
export function showFieldErrors(err, fields, slot) {
  let first = null;
  const others = [];
  for (const e of err.fieldErrors) {
    const f = fields[String(e.field || '').split(/[.[]/)[0]];
    if (!f) { others.push(e); continue; }
    f.setError(errorText(e, { password: f.password }));
    first = first || f;
  }
  if (others.length || !first) {
    slot.replaceChildren(alertBox('error', first ? t('portal.form.other_errors') : sentence(err.title),
      others.map((e) => `${e.field ? `${e.field}: ` : ''}${errorText(e)}`).join(' ') || (english() ? err.detail : null)));
  }
  if (first) first.focus(); else slot.focus();
}

/** Clears every field's error and the message slot. */
export function clearErrors(fields, slot) {
  for (const f of Object.values(fields)) f.setError('');
  if (slot) slot.replaceChildren();
}

/**
 * Wires a form's submit: the button is disabled while run() works; an
 * error run() lets through is shown in slot (a 422 under the fields).
 */
export function onSubmit(form, button, slot, fields, run) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(fields, slot);
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await run();
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && err.fieldErrors.length) showFieldErrors(err, fields, slot);
      else {
        slot.replaceChildren(problemBox(err));
        slot.focus();
      }
    } finally {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

/** Marks required fields left empty; returns true when there were some (the first is focused). */
export function missing(fields) {
  const empty = Object.values(fields).filter((f) => f.input.required && !f.value());
  for (const f of empty) f.setError(t('error.required'));
  if (empty.length) empty[0].focus();
  return empty.length > 0;
}

/** A short-lived message in the page's live region. */
export function toast(message) {
  const region = document.getElementById('toasts');
  if (!region) return;
  const item = h('div', { class: 'toast' }, message);
  region.appendChild(item);
  setTimeout(() => item.remove(), 5000);
}

export function loading(text = t('common.loading')) {
  return h('p', { class: 'loading', role: 'status' }, text);
}

export function emptyState(title, detail) {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), detail ? h('p', { class: 'muted' }, detail) : null);
}

/** The page's heading (focused after navigation) and, above it, a link back. */
export function pageHeader(title, back, ...extra) {
  return h('header', { class: 'page-header portal-page-header' },
    h('div', { class: 'title-block' },
      back ? h('a', { class: 'back-link', href: back.href }, `← ${back.label}`) : null,
      h('h1', { class: 'page-title', tabindex: '-1' }, title)),
    extra.length ? h('div', { class: 'header-actions' }, extra) : null);
}

/** A <dl> of [label, value] pairs (values are text or nodes; empty ones show a dash). */
export function facts(pairs) {
  return h('dl', { class: 'details portal-facts' }, pairs.flatMap(([label, value]) => [
    h('dt', null, label),
    h('dd', null, value === null || value === undefined || value === '' ? '—' : value),
  ]));
}

/** The words for a value of a choice field: the catalogue's option.<entity>.<field>.<value>, else the value. */
export function optionText(entity, name, value) {
  if (value === null || value === undefined || value === '') return '';
  return tOr(`option.${entity}.${name}.${value}`, sentence(String(value).replace(/_/g, ' ')));
}

/** A status badge. */
export function statusBadge(entity, value) {
  return value ? h('span', { class: ['badge', `badge-${entity}-${value}`] }, optionText(entity, 'status', value)) : '';
}

/**
 * The pager under a list: "1–20 of 45" and Previous/Next buttons.
 * page: the list envelope; go(offset) draws another page.
 */
export function pager(page, go) {
  const { offset = 0, limit = 20, has_more: more, total } = page;
  const n = Array.isArray(page.data) ? page.data.length : 0;
  if (!n && !offset) return null;
  const range = typeof total === 'number'
    ? t('portal.list.range_total', { from: offset + 1, to: offset + n, total })
    : t('portal.list.range', { from: offset + 1, to: offset + n });
  const prev = h('button', { type: 'button', class: 'btn btn-sm', disabled: offset <= 0 }, t('portal.list.previous'));
  const next = h('button', { type: 'button', class: 'btn btn-sm', disabled: !more }, t('portal.list.next'));
  prev.addEventListener('click', () => go(Math.max(0, offset - limit)));
  next.addEventListener('click', () => go(offset + limit));
  return h('nav', { class: 'pager', 'aria-label': t('portal.list.pages') },
    h('span', { class: 'pager-range' }, range), h('div', { class: 'pager-buttons' }, prev, next));
}

/** "12.3 KB" for a byte count. */
export function sizeText(n) {
  const x = Number(n) || 0;
  if (x >= 1048576) return `${formatNumber(x / 1048576, { min: 1, max: 1 })} MB`;
  if (x >= 1024) return `${formatNumber(x / 1024, { min: 0, max: 0 })} KB`;
  return `${x} B`;
}
