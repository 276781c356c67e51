// Message catalogues: every string the UI shows goes through t(key, params).
// The catalogues are web/assets/i18n/<lang>.json, flat {key: text}; a text
// may name {params}, and a text that depends on a count is an object of
// Intl.PluralRules categories ({"one": "...", "few": "...", "other":
// "..."}: Romanian has three) chosen by params.count. A key missing from
// the member's language falls back to English, then to the key itself
// (tests/http/i18n.test.mjs fails on either). Adding a string and adding a
// language: docs/internals/i18n.md.

export const LANGUAGES = ['en', 'ro'];
const FALLBACK = 'en';

const catalogues = new Map(); // lang -> {key: text}
let lang = null; // until setLanguage: nothing is loaded yet
let plural = new Intl.PluralRules(FALLBACK);

async function fetchCatalogue(l) {
  if (catalogues.has(l)) return catalogues.get(l);
  const res = await fetch(`/assets/i18n/${l}.json`, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`cannot load the ${l} catalogue: ${res.status}`);
  const data = await res.json();
  catalogues.set(l, data);
  return data;
}

/** The language the UI speaks now ("en", "ro"), or null before setLanguage. */
export function language() { return lang; }

/**
 * Switches to language l (one of LANGUAGES; anything else is English),
 * loading its catalogue and English's. Resolves once t() speaks it.
 */
export async function setLanguage(l) {
  const want = LANGUAGES.includes(l) ? l : FALLBACK;
  await fetchCatalogue(FALLBACK);
  if (want !== FALLBACK) await fetchCatalogue(want);
  lang = want;
  plural = new Intl.PluralRules(want);
  document.documentElement.lang = want;
}

/** The browser's preferred language when Atrium has it, else null. */
export function browserLanguage() {
  for (const l of navigator.languages || [navigator.language || '']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return null;
}

function lookup(key) {
  const mine = catalogues.get(lang || FALLBACK);
  if (mine && Object.prototype.hasOwnProperty.call(mine, key)) return mine[key];
  const en = catalogues.get(FALLBACK);
  if (en && Object.prototype.hasOwnProperty.call(en, key)) return en[key];
  return undefined;
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (m, name) => (params && params[name] != null ? String(params[name]) : m));
}

/** The text of key in the member's language, with {params} filled in. */
export function t(key, params) {
  let text = lookup(key);
  if (text === undefined) return key;
  if (text && typeof text === 'object') {
    const n = Number(params && params.count);
    text = text[plural.select(Number.isFinite(n) ? n : 0)] ?? text.other ?? '';
  }
  return fill(String(text), params);
}

/** The text of key when a catalogue has it, else fallback (labels the server names, custom fields). */
export function tOr(key, fallback, params) {
  return lookup(key) === undefined ? fallback : t(key, params);
}
