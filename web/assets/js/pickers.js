// What pickers offer, from lists any signed-in member may read: the staff
// directory (active members, id and name), the ISO country and currency
// lists (code and name, so "Germany" is picked, not guessed as GE), and a
// live character counter for text with a maximum (the server refuses what
// is too long rather than cutting it; the counter says so first).
import { h } from './dom.js';
import { api, ApiError } from './api.js';
import { language, t } from './i18n.js';

const cache = new Map();

async function cached(key, path, signal) {
  if (cache.has(key)) return cache.get(key);
  try {
    const { data } = await api('GET', path, { signal });
    const list = Array.isArray(data && data.data) ? data.data : [];
    cache.set(key, list);
    return list;
  } catch (err) {
    if (err instanceof ApiError) return [];
    throw err;
  }
}

/** Active members [{id, name}] of the organisation, for assignee pickers. */
export const loadDirectory = (signal) => cached('directory', '/api/v1/directory', signal);
/** [{code, name}] for kind 'countries' or 'currencies'. */
export const loadCodes = (kind, signal) => cached(kind, `/api/v1/reference/${kind}`, signal);
export function clearDirectory() { cache.delete('directory'); }

/** Options of a staff picker: "Me" first, then everyone else by name. */
export function staffOptions(people, meId) {
  const me = people.find((p) => p.id === meId);
  const others = people.filter((p) => p.id !== meId);
  return [
    ...(me ? [h('option', { value: String(me.id) }, t('picker.me', { name: me.name }))] : []),
    ...others.map((p) => h('option', { value: String(p.id) }, p.name)),
  ];
}

/** Options of a code picker: "DE — Germany", by name. */
// Country and currency names in the member's language (Intl.DisplayNames);
// the server's English name where the browser has none.
const displayNames = new Map();
function localName(c) {
  const lang = language();
  if (!lang || lang === 'en' || typeof Intl.DisplayNames !== 'function') return c.name;
  const type = c.code.length === 2 ? 'region' : 'currency';
  try {
    if (!displayNames.has(`${lang}:${type}`)) displayNames.set(`${lang}:${type}`, new Intl.DisplayNames([lang], { type }));
    return displayNames.get(`${lang}:${type}`).of(c.code) || c.name;
  } catch {
    return c.name;
  }
}

export function codeOptions(codes) {
  return [...codes].map((c) => ({ ...c, name: localName(c) }))
    .sort((a, b) => a.name.localeCompare(b.name, language() || 'en'))
    .map((c) => h('option', { value: c.code }, `${c.name} (${c.code})`));
}

/**
 * A counter under a text control with a maximum: "12 / 200", marked when
 * over (then the server answers too_long; nothing is cut). Characters are
 * counted as the server counts them (code points). Returns the element.
 */
export function charCounter(input, max) {
  const out = h('p', { class: 'char-counter hint', 'aria-live': 'polite' });
  const count = () => [...input.value].length;
  const paint = () => {
    const n = count();
    out.textContent = `${n} / ${max}`;
    out.classList.toggle('char-counter-over', n > max);
    if (n > max) out.textContent += ` — ${t('picker.too_many', { count: n - max })}`;
  };
  input.addEventListener('input', paint);
  paint();
  out.refresh = paint;
  return out;
}

/**
 * A staff list picker (a task's assignees, a project's members): the
 * members on the list, each with a button that takes them off, and a
 * select that puts another active member on it ("Me" first; those on the
 * list are not offered again). Up to max members; past it the select is
 * disabled and says why. A member no longer in the directory (deactivated)
 * who is on the list stays, named from `staff` (the staff list, for
 * members with staff.view) or by id. A hidden input holds the ids, so the
 * form's unsaved-changes check sees a change.
 *
 * opts: {id (of the select, which the field's label names), name, label,
 * people (the directory), staff, meId, max, describedBy}.
 * Returns {root, input (the select), get() (ascending ids), set(ids),
 * disable(), onChange}.
 */
export function staffListPicker(opts) {
  const { id, name, label, people, staff = [], meId, max = 20 } = opts;
  let ids = [];
  const chosenId = `${id}-chosen`;
  const nameOf = (sid) => {
    const p = people.find((x) => x.id === sid) || staff.find((x) => x.id === sid);
    const n = p ? (p.name || p.email) : `#${sid}`;
    return people.some((x) => x.id === sid) ? n : `${n} (${t('staff.inactive').toLowerCase()})`;
  };
  const list = h('ul', { id: chosenId, class: 'chips', 'aria-label': t('picker.on_list', { label }) });
  const empty = h('p', { class: 'chips-empty muted' }, t('picker.nobody'));
  const select = h('select', { id, class: 'input', 'aria-describedby': [chosenId, opts.describedBy].filter(Boolean).join(' ') });
  const full = h('p', { class: 'hint', hidden: true }, t('picker.list_full', { count: max }));
  const hidden = h('input', { type: 'hidden', name });
  const status = h('p', { class: 'visually-hidden', role: 'status' });
  let disabled = false;
  const api = { root: null, input: select, onChange: null };

  function paint(focusAfter) {
    hidden.value = ids.join(',');
    list.replaceChildren(...ids.map((sid, i) => {
      const who = nameOf(sid);
      const remove = h('button', { type: 'button', class: 'chip-remove', 'aria-label': t('picker.remove', { name: who }),
        title: t('picker.remove', { name: who }), disabled: disabled || null }, '×');
      remove.addEventListener('click', () => {
        ids = ids.filter((x) => x !== sid);
        status.textContent = t('picker.removed', { name: who });
        paint(i);
        if (api.onChange) api.onChange();
      });
      return h('li', { class: 'chip', dataset: { id: String(sid) } }, h('span', { class: 'chip-name' }, who), remove);
    }));
    empty.hidden = ids.length > 0;
    list.hidden = ids.length === 0;
    const offered = people.filter((p) => !ids.includes(p.id));
    select.replaceChildren(h('option', { value: '' }, t('picker.add')), ...staffOptions(offered, meId));
    select.value = '';
    const isFull = ids.length >= max;
    select.disabled = disabled || isFull || offered.length === 0;
    full.hidden = !isFull;
    if (typeof focusAfter === 'number') {
      // Focus the next member's button, else the previous one's, else the select.
      const buttons = [...list.querySelectorAll('.chip-remove')];
      (buttons[focusAfter] || buttons[focusAfter - 1] || select).focus();
    }
  }

  select.addEventListener('change', () => {
    const sid = Number(select.value);
    if (!sid || ids.includes(sid) || ids.length >= max) return;
    ids = [...ids, sid].sort((a, b) => a - b);
    status.textContent = t('picker.added', { name: nameOf(sid) });
    paint();
    select.focus();
    if (api.onChange) api.onChange();
  });

  api.root = h('div', { class: 'staff-list-picker' }, list, empty, select, full, hidden, status);
  api.get = () => [...ids];
  api.set = (v) => {
    ids = [...new Set((Array.isArray(v) ? v : []).map(Number).filter((x) => Number.isInteger(x) && x > 0))].sort((a, b) => a - b);
    paint();
  };
  api.disable = () => { disabled = true; paint(); };
  paint();
  return api;
}

/**
 * A record picker (a document's client): a select of the records of a
 * list route (the first 200 by their title) and, beside it, a search box
 * that fills the select with the records matching what is typed (the
 * list's q=, from two characters; empty: the first 200 again). The record
 * chosen stays offered while another search runs.
 *
 * opts: {id (of the select, which the field's label names), name, api
 * ('/api/v1/clients'), title (record → text), sort, required, searchLabel,
 * describedBy, signal}. Returns {root, input (the select), search, load(),
 * get() (an id or null), set(id, text), onChange}.
 */
export function recordPicker(opts) {
  const { id, name, title, signal } = opts;
  const select = h('select', { id, name, class: 'input', required: opts.required, 'aria-describedby': opts.describedBy || null });
  const search = h('input', { id: `${id}-search`, type: 'search', class: 'input', autocomplete: 'off', maxlength: '200',
    placeholder: opts.searchLabel, 'aria-label': opts.searchLabel, 'aria-controls': id });
  const status = h('p', { class: 'visually-hidden', role: 'status' });
  const known = new Map(); // id → text of what was offered
  const api_ = { root: null, input: select, search, onChange: null };
  let current = null;
  let request = null;

  function fill(records, query) {
    const value = select.value || (current != null ? String(current) : '');
    const options = records.map((r) => { known.set(String(r.id), title(r)); return [String(r.id), title(r)]; });
    if (value && !options.some(([v]) => v === value)) options.unshift([value, known.get(value) || `#${value}`]);
    select.replaceChildren(h('option', { value: '' }, '—'), ...options.map(([v, text]) => h('option', { value: v }, text)));
    select.value = value;
    status.textContent = query ? t('picker.found', { count: records.length }) : '';
  }

  async function load(query = '') {
    if (request) request.abort();
    const ctl = new AbortController();
    request = ctl;
    if (signal) signal.addEventListener('abort', () => ctl.abort(), { once: true });
    try {
      const q = { limit: 200, sort: opts.sort };
      if (query) q.q = query;
      const { data } = await api('GET', opts.api, { query: q, signal: ctl.signal });
      fill(Array.isArray(data && data.data) ? data.data : [], query);
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      if (!(err instanceof ApiError)) throw err;
      fill([], query); // not permitted: the value stays, by id
    } finally {
      if (request === ctl) request = null;
    }
  }

  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    const q = search.value.trim();
    if (q.length === 1) return;
    timer = setTimeout(() => load(q), 250);
  });
  // Enter in the search box searches now instead of submitting the form.
  search.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    clearTimeout(timer);
    load(search.value.trim());
  });
  select.addEventListener('change', () => {
    current = select.value ? Number(select.value) : null;
    if (api_.onChange) api_.onChange(current);
  });

  api_.root = h('div', { class: 'record-picker' }, select, search, status);
  api_.load = load;
  api_.get = () => (select.value ? Number(select.value) : null);
  api_.set = (v, text) => {
    current = v == null || v === '' ? null : Number(v);
    if (current != null && text) known.set(String(current), text);
    if (current != null && ![...select.options].some((o) => o.value === String(current))) {
      select.appendChild(h('option', { value: String(current) }, known.get(String(current)) || `#${current}`));
    }
    select.value = current == null ? '' : String(current);
  };
  return api_;
}
