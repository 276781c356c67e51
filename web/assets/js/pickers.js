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
