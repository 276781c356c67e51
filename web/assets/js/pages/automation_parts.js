// The small parts the automation form is built of: a labelled control
// whose error the form can show (registered by its path in the request
// body, "actions[1].to[0].id", so a 422's field errors land beside the
// right input), selects, the value input a condition's field asks for
// (its choices, a member, a date, a number), and the lookups the pickers
// offer (members, roles, departments, teams, webhooks; each only when the
// member may read it, else an id is typed).
import { h, nextId } from '../dom.js';
import { api, ApiError } from '../api.js';
import { canView } from '../session.js';
import { t } from '../i18n.js';
import { loadDirectory } from '../pickers.js';
import { LIST_OPS } from './automation_words.js';

/**
 * Where the form's controls are, by path: set(path, control) while drawing,
 * find(path) for an error: the control of the path, else of the nearest
 * path above it ("actions[1].to[0].id" → "actions[1].to[0]" → ...).
 */
export function registry() {
  const map = new Map();
  return {
    set(path, ctl) { map.set(path, ctl); },
    dropUnder(prefix) { for (const k of [...map.keys()]) if (k === prefix || k.startsWith(`${prefix}.`) || k.startsWith(`${prefix}[`)) map.delete(k); },
    find(path) {
      let p = String(path || '');
      while (p) {
        if (map.has(p)) return map.get(p);
        const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
        if (cut <= 0) break;
        p = p.slice(0, cut);
      }
      return map.get(p) || null;
    },
    all: () => [...new Set(map.values())],
  };
}

/**
 * A labelled control with a hint and an error slot: {wrap, input,
 * setError(msg), focus(), label}. input: an element (or a node holding
 * several; then `focusEl` is the one focused and described).
 */
export function box({ label, input, hint, focusEl, wide = false, cls, hiddenLabel = false, required = false }) {
  const target = focusEl || input;
  if (!target.id) target.id = nextId('auto');
  const id = target.id;
  const hintEl = hint ? h('p', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  const error = h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
  const describe = (withError) => {
    const ids = [hintEl ? hintEl.id : null, withError ? error.id : null].filter(Boolean).join(' ');
    if (ids) target.setAttribute('aria-describedby', ids); else target.removeAttribute('aria-describedby');
  };
  describe(false);
  const wrap = h('div', { class: ['field', wide ? 'field-wide' : null, cls] },
    h('label', { for: id, class: ['label', hiddenLabel ? 'visually-hidden' : null] }, label,
      required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null), input, hintEl, error);
  return {
    wrap, input: target, label,
    setError(message) {
      error.textContent = message || '';
      error.hidden = !message;
      if (message) target.setAttribute('aria-invalid', 'true'); else target.removeAttribute('aria-invalid');
      describe(Boolean(message));
    },
    focus() { target.focus(); },
  };
}

/** An error slot for a whole part (a group, a list of recipients): {el, setError, focus, label}. */
export function partError(label, focusTarget) {
  const el = h('p', { class: 'field-error', hidden: true, tabindex: '-1' });
  return {
    el, label, input: el,
    setError(message) { el.textContent = message || ''; el.hidden = !message; },
    focus() { (focusTarget && document.body.contains(focusTarget) ? focusTarget : el).focus(); },
  };
}

/** A <select> of [value, text] (with optgroups: [{label, options}]) holding value. */
export function selectEl(options, value, props = {}) {
  const opt = ([v, text]) => h('option', { value: String(v) }, text);
  const sel = h('select', { class: 'input', ...props },
    options.map((o) => (Array.isArray(o) ? opt(o) : h('optgroup', { label: o.label }, o.options.map(opt)))));
  const flat = options.flatMap((o) => (Array.isArray(o) ? [o] : o.options));
  if (value != null && value !== '' && !flat.some(([v]) => String(v) === String(value))) {
    sel.appendChild(h('option', { value: String(value) }, String(value)));
  }
  sel.value = value == null ? '' : String(value);
  return sel;
}

/** The lookups of the pickers: {people, roles, departments, teams, webhooks}; a list is null when not readable. */
export async function loadLookups(signal) {
  const optional = async (path, query) => {
    try {
      const { data } = await api('GET', path, { query, signal });
      return Array.isArray(data && data.data) ? data.data : [];
    } catch (err) {
      if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return null;
      throw err;
    }
  };
  const [people, roles, departments, teams, webhooks] = await Promise.all([
    loadDirectory(signal),
    canView('roles') ? optional('/api/v1/roles') : null,
    canView('departments') ? optional('/api/v1/departments', { limit: 200, sort: 'name' }) : null,
    canView('teams') ? optional('/api/v1/teams', { limit: 200, sort: 'name' }) : null,
    canView('webhooks') ? optional('/api/v1/webhooks', { limit: 200 }) : null,
  ]);
  return { people, roles, departments, teams, webhooks };
}

/** [id, name] options of a lookup list. */
export const choices = (list) => (list || []).map((x) => [x.id, x.name || x.email || `#${x.id}`]);

/* The lookup a field type picks from. */
const LOOKUP_OF = { staff: 'people', staff_list: 'people', role: 'roles', department: 'departments', team: 'teams' };

/**
 * The input of a value for field f (from automation_words.js) and operator
 * op: {el, get()} where get() gives the JSON the contract takes (a number
 * for ids, true/false, a list for in/not_in) or undefined when empty.
 */
export function valueInput(f, op, value, lookups, props = {}) {
  const list = LIST_OPS.has(op);
  const type = f ? f.type : 'text';
  const values = list ? (Array.isArray(value) ? value : value == null || value === '' ? [] : [value]) : value;
  let options = null;
  let numeric = false;
  if (f && (f.options || []).length && (type === 'select' || type === 'multiselect')) options = f.options;
  else if (type === 'checkbox') options = [['true', t('common.yes')], ['false', t('common.no')]];
  else if (LOOKUP_OF[type] && lookups[LOOKUP_OF[type]]) { options = choices(lookups[LOOKUP_OF[type]]); numeric = true; }
  const cast = (raw) => {
    if (type === 'checkbox') return raw === 'true';
    if (numeric || LOOKUP_OF[type] || type === 'reference' || type === 'number') return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    return raw;
  };
  if (options) {
    const sel = selectEl(list ? options : [['', '—'], ...options], list ? null : (values == null ? '' : String(values)),
      { multiple: list, ...props });
    if (list) for (const o of sel.options) o.selected = values.map(String).includes(o.value);
    return {
      el: sel,
      get() {
        if (list) { const v = [...sel.selectedOptions].map((o) => cast(o.value)); return v.length ? v : undefined; }
        return sel.value === '' ? undefined : cast(sel.value);
      },
    };
  }
  const inputType = list ? 'text' : type === 'date' ? 'date' : type === 'email' ? 'email' : 'text';
  const input = h('input', { class: 'input', type: inputType, autocomplete: 'off',
    inputmode: ['number', 'money', 'decimal', 'reference', 'role', 'department', 'team', 'staff', 'staff_list'].includes(type) && !list ? 'decimal' : null,
    placeholder: list ? t('auto.value.list_placeholder') : LOOKUP_OF[type] || type === 'reference' ? t('auto.value.id_placeholder') : null,
    value: list ? values.join(', ') : values == null ? '' : String(values), ...props });
  return {
    el: input,
    get() {
      const raw = input.value.trim();
      if (!raw) return undefined;
      if (list) return raw.split(',').map((s) => s.trim()).filter(Boolean).map(cast);
      return cast(raw);
    },
  };
}
