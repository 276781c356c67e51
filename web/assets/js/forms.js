// Form building blocks shared by the hand-written admin pages (staff,
// roles, settings, password change): labelled controls with a hint and an
// error slot, 422 mapping with an error summary, the "changed by someone
// else" notice, and accessible tabs. All text goes in as text nodes.
import { language, t } from './i18n.js';
import { h, nextId } from './dom.js';
import { alertBox, sentence } from './ui.js';
import { charCounter } from './pickers.js';

export const FALLBACK_MESSAGES = {
  required: 'This field is required.', unknown_field: 'This field is not accepted.',
  type: 'This value has the wrong type.', too_long: 'This value is too long.',
  invalid: 'This value is not valid.', not_allowed: 'Choose one of the offered values.',
  not_found: 'The referenced record does not exist.', taken: 'This value is already in use.',
  out_of_range: 'This value is outside the allowed range.', too_many: 'There are too many items.',
  too_much: 'This amount is more than allowed.', read_only: 'This field cannot be changed.',
};

const CODES = new Set(Object.keys(FALLBACK_MESSAGES));

/** The text for one `errors[]` item of a 422: in English the server's own
 * detail; in another language the catalogue's `error.<code>` (the server
 * speaks English), the detail only for a code the catalogue lacks. */
export function errorMessage(e) {
  if (e.code === 'required') return t('error.required');
  if (CODES.has(e.code) && language() && language() !== 'en') return t(`error.${e.code}`);
  return sentence(e.detail || (CODES.has(e.code) ? t(`error.${e.code}`) : '') || e.code || 'invalid');
}

/** The control a field error belongs to: "permissions.leads" → "permissions". */
export const errorRoot = (field) => String(field || '').split(/[.[]/)[0];

/**
 * A labelled control. spec:
 *   name, label, type (text|email|password|number|textarea|select|checkbox),
 *   required, hint, placeholder, max (maxlength), min/maxValue (number),
 *   options ([value, label] for select), autocomplete, rows, wide, id
 * Returns {name, label, input, wrap, set(v), get(), setError(msg), focus()}.
 * get() gives trimmed text or null for empty; numbers as Number; checkbox as boolean.
 */
export function control(spec) {
  const id = spec.id || nextId(`f-${spec.name}`);
  const hintId = spec.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  // No maxlength: the browser would cut a paste silently. A counter shows
  // the length and the server refuses what is too long.
  const common = { id, name: spec.name, class: 'input', required: spec.required,
    placeholder: spec.placeholder || null,
    autocomplete: spec.autocomplete || 'off', 'aria-describedby': hintId };
  let input;
  switch (spec.type) {
    case 'textarea':
      input = h('textarea', { ...common, rows: spec.rows || 3 });
      break;
    case 'select':
      input = h('select', common, spec.options.map(([v, label]) => h('option', { value: v }, label)));
      break;
    case 'checkbox':
      input = h('input', { id, name: spec.name, type: 'checkbox', class: 'checkbox', 'aria-describedby': hintId });
      break;
    case 'number':
      input = h('input', { ...common, type: 'number', inputmode: 'numeric', step: '1',
        min: spec.min ?? null, max: spec.maxValue ?? null, class: 'input input-short' });
      break;
    default:
      input = h('input', { ...common, type: spec.type || 'text',
        spellcheck: spec.type === 'email' || spec.type === 'password' ? 'false' : null });
  }
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const hint = hintId ? h('p', { id: hintId, class: 'hint' }, spec.hint) : null;
  const counter = spec.max && ['text', 'textarea', undefined].includes(spec.type) ? charCounter(input, spec.max) : null;
  const labelEl = h('label', { for: id, class: 'label' }, spec.label,
    spec.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
  const wrap = spec.type === 'checkbox'
    ? h('div', { class: ['field', 'field-check', spec.wide ? 'field-wide' : null] },
      h('div', { class: 'check-row' }, input, labelEl), hint, error)
    : h('div', { class: ['field', spec.wide ? 'field-wide' : null] }, labelEl, input, counter, hint, error);

  return {
    name: spec.name, label: spec.label, input, wrap, hintEl: hint,
    set(v) {
      if (spec.type === 'checkbox') input.checked = Boolean(v);
      else input.value = v == null ? '' : String(v);
      if (counter) counter.refresh();
    },
    get() {
      if (spec.type === 'checkbox') return input.checked;
      const raw = input.value;
      if (spec.type === 'number') {
        if (raw.trim() === '') return null;
        const n = Number(raw);
        return Number.isFinite(n) ? n : raw; // the server names a non-number
      }
      if (spec.type === 'password') return raw === '' ? null : raw;
      if (spec.type === 'textarea') return raw.trim() === '' ? null : raw;
      return raw.trim() === '' ? null : raw.trim();
    },
    setError(message) { setInvalid(input, error, hintId, message); },
    focus() { input.focus(); },
  };
}

function setInvalid(input, error, hintId, message) {
  error.textContent = message || '';
  error.hidden = !message;
  if (message) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
  const ids = [hintId, message ? error.id : null].filter(Boolean).join(' ');
  if (ids) input.setAttribute('aria-describedby', ids); else input.removeAttribute('aria-describedby');
}

/**
 * A group of checkboxes in a fieldset (departments, teams): items are
 * [value, label]. get() gives the checked values as numbers when numeric.
 */
export function checkboxGroup({ name, label, items, hint, empty }) {
  const id = nextId(`g-${name}`);
  const hintId = hint ? `${id}-hint` : null;
  const error = h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
  const boxes = items.map(([value, text]) => {
    const boxId = `${id}-${value}`;
    const input = h('input', { id: boxId, type: 'checkbox', class: 'checkbox', value: String(value), name });
    return { value, input, row: h('div', { class: 'check-row' }, input, h('label', { for: boxId }, text)) };
  });
  const fieldset = h('fieldset', { class: 'field field-wide fieldset', 'aria-describedby': hintId },
    h('legend', { class: 'label' }, label),
    boxes.length ? h('div', { class: 'check-grid' }, boxes.map((b) => b.row))
      : h('p', { class: 'muted' }, empty || t('form.none_available')),
    hint ? h('p', { id: hintId, class: 'hint' }, hint) : null,
    error);
  return {
    name, label, wrap: fieldset, input: boxes[0] ? boxes[0].input : fieldset,
    set(values) {
      const set = new Set((values || []).map(String));
      for (const b of boxes) b.input.checked = set.has(String(b.value));
    },
    get() {
      return boxes.filter((b) => b.input.checked).map((b) => (/^\d+$/.test(String(b.value)) ? Number(b.value) : b.value));
    },
    setError(message) {
      error.textContent = message || '';
      error.hidden = !message;
      for (const b of boxes) {
        if (message) b.input.setAttribute('aria-invalid', 'true'); else b.input.removeAttribute('aria-invalid');
        const ids = [message ? error.id : null].filter(Boolean).join(' ');
        if (ids) b.input.setAttribute('aria-describedby', ids); else b.input.removeAttribute('aria-describedby');
      }
      const ids = [hintId, message ? error.id : null].filter(Boolean).join(' ');
      if (ids) fieldset.setAttribute('aria-describedby', ids); else fieldset.removeAttribute('aria-describedby');
    },
    focus() { (boxes[0] ? boxes[0].input : fieldset).focus(); },
  };
}

/** A set of radio buttons in a fieldset: items are [value, label, hint?]. */
export function radioGroup({ name, label, items, value, onChange }) {
  const id = nextId(`r-${name}`);
  const inputs = [];
  const rows = items.map(([v, text, hint]) => {
    const rid = `${id}-${v}`;
    const hintId = hint ? `${rid}-hint` : null;
    const input = h('input', { id: rid, type: 'radio', name: id, value: v, class: 'radio',
      checked: v === value, 'aria-describedby': hintId });
    input.addEventListener('change', () => onChange && onChange(v));
    inputs.push(input);
    return h('div', { class: 'radio-row' }, input,
      h('div', null, h('label', { for: rid, class: 'radio-label' }, text),
        hint ? h('p', { id: hintId, class: 'hint' }, hint) : null));
  });
  const wrap = h('fieldset', { class: 'field field-wide fieldset' }, h('legend', { class: 'label' }, label), rows);
  return {
    name, wrap, input: inputs[0],
    get() { const c = inputs.find((i) => i.checked); return c ? c.value : null; },
    setError() {},
    focus() { (inputs.find((i) => i.checked) || inputs[0]).focus(); },
  };
}

/**
 * Shows a 422: each error under its control (by errorRoot of the field) and
 * a summary in `messages` linking to them; focuses the first invalid
 * control (or the summary). controls: {name: control}.
 */
export function showFieldErrors(err, controls, messages) {
  const errors = err.fieldErrors;
  let first = null;
  const done = new Set();
  const items = errors.map((e) => {
    const c = controls[errorRoot(e.field)] || controls[e.field];
    const text = errorMessage(e);
    if (c) {
      if (!done.has(c)) { c.setError(text); done.add(c); }
      first = first || c;
      const targetId = c.input && c.input.id;
      const link = h('a', { href: targetId ? `#${targetId}` : '#' }, `${c.label || e.field}: ${text}`);
      link.addEventListener('click', (ev) => { ev.preventDefault(); c.focus(); });
      return h('li', null, link);
    }
    return h('li', null, `${e.field || 'request'}: ${text}`);
  });
  const n = errors.length;
  messages.replaceChildren(alertBox('error',
    n ? t('form.correct_fields', { count: n }) : sentence(err.title),
    n ? null : err.detail, n ? h('ul', { class: 'error-list' }, items) : null));
  if (first) first.focus(); else messages.focus();
}

/** Clears every control's error and the message area. */
export function clearErrors(controls, messages) {
  for (const c of Object.values(controls)) c.setError('');
  if (messages) messages.replaceChildren();
}

/** The warning shown on 412: someone else saved first. */
export function staleNotice(messages, what, onReload) {
  const reload = h('button', { type: 'button', class: 'btn' }, t('stale.reload'));
  reload.addEventListener('click', onReload);
  messages.replaceChildren(alertBox('warning', t(`stale.${what.replace(/ /g, '_')}`), t('stale.detail'), reload));
  messages.focus();
}

/**
 * Accessible tabs (WAI-ARIA tabs pattern: arrow keys, Home/End, automatic
 * activation). tabs: [{key, label, render(panel) (called once, lazily)}].
 * Returns {root, select(key)}. onChange(key) after a switch.
 */
export function tabs({ label, items, selected, onChange }) {
  const base = nextId('tabs');
  const rendered = new Set();
  const list = h('div', { class: 'tabs', role: 'tablist', 'aria-label': label });
  const panels = [];
  const buttons = items.map((t, i) => {
    const tabId = `${base}-tab-${t.key}`;
    const panelId = `${base}-panel-${t.key}`;
    const btn = h('button', { type: 'button', role: 'tab', id: tabId, class: 'tab',
      'aria-controls': panelId, 'aria-selected': 'false', tabindex: '-1', dataset: { key: t.key } }, t.label);
    const panel = h('div', { role: 'tabpanel', id: panelId, class: 'tab-panel', 'aria-labelledby': tabId,
      tabindex: '0', hidden: true });
    panels.push(panel);
    btn.addEventListener('click', () => select(t.key, true));
    btn.addEventListener('keydown', (ev) => {
      let j = null;
      if (ev.key === 'ArrowRight') j = (i + 1) % items.length;
      else if (ev.key === 'ArrowLeft') j = (i - 1 + items.length) % items.length;
      else if (ev.key === 'Home') j = 0;
      else if (ev.key === 'End') j = items.length - 1;
      if (j === null) return;
      ev.preventDefault();
      select(items[j].key, true);
      buttons[j].focus();
    });
    list.appendChild(btn);
    return btn;
  });
  function select(key, user) {
    const idx = Math.max(0, items.findIndex((t) => t.key === key));
    buttons.forEach((b, i) => {
      const on = i === idx;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      panels[i].hidden = !on;
    });
    const t = items[idx];
    if (!rendered.has(t.key)) { rendered.add(t.key); t.render(panels[idx]); }
    if (user && onChange) onChange(t.key);
  }
  select(selected || items[0].key, false);
  return { root: h('div', { class: 'tabs-wrap' }, list, panels), select };
}

/**
 * A password field error as a sentence: the server's details are
 * predicates ("is too weak (…): …", "must be at least 15 characters",
 * "was used recently; …", "is not your current password").
 */
const PASSWORD_CODES = new Set(['invalid', 'reused', 'weak', 'too_short']);
export function passwordMessage(e) {
  const d = String((e && (e.detail || FALLBACK_MESSAGES[e.code] || e.code)) || 'is not accepted');
  let text;
  if (e && e.code === 'required') text = t('error.required');
  else if (language() && language() !== 'en' && e && PASSWORD_CODES.has(e.code)) text = t(`error.password.${e.code}`, { n: (d.match(/\d+/) || ['?'])[0] });
  else if (/^is not your\b/.test(d)) text = `This ${d}`;
  else if (/^(is|must|was|has|cannot)\b/.test(d)) text = `The password ${d}`;
  else text = sentence(d);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
