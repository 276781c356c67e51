// The UI's message catalogues (web/assets/i18n/*.json, read by
// web/assets/js/i18n.js): every key the JS of the admin UI and the
// client portal names exists in English, every
// language has exactly English's keys, the same {placeholders}, the plural
// forms its language needs (Intl.PluralRules: Romanian has one, few and
// other), and Romanian is written with comma-below ș and ț, never the
// cedilla forms; every entity the catalogue names has its own sentences
// (entityText). Needs no server.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '../../web/assets');
const I18N = join(WEB, 'i18n');
const load = (l) => JSON.parse(readFileSync(join(I18N, `${l}.json`), 'utf8'));
const en = load('en');
const LANGS = readdirSync(I18N).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));

function sources(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.js')) out.push(p);
  }
  return out;
}
// The admin UI (app.js, js/) and the client portal (portal/).
const js = [join(WEB, 'app.js'), ...sources(join(WEB, 'js')), ...sources(join(WEB, 'portal'))]
  .map((p) => ({ p, src: readFileSync(p, 'utf8') }));

const placeholders = (text) => [...String(text).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const forms = (v) => (v && typeof v === 'object' ? Object.values(v) : [v]);

describe('message catalogues', () => {
  it('English and Romanian are there', () => {
    assert.ok(LANGS.includes('en') && LANGS.includes('ro'), LANGS.join(', '));
  });

  it('every key the UI names exists in en.json', () => {
    const missing = [];
    for (const { p, src } of js) {
      // t('key'), tOr('key', ...), and the nav rows' key: 'nav.x'.
      for (const m of src.matchAll(/\b(?:t|tOr)\(\s*'([a-z0-9_.]+)'/g)) if (!(m[1] in en)) missing.push(`${p}: ${m[1]}`);
      for (const m of src.matchAll(/\bkey: '(nav\.[a-z0-9_.]+)'/g)) if (!(m[1] in en)) missing.push(`${p}: ${m[1]}`);
      // Keys named in tables ('portal.sort.newest' beside a value): every
      // quoted portal.* or contact_portal.* key.
      for (const m of src.matchAll(/'((?:contact_)?portal\.[a-z0-9_.]+[a-z0-9_])'/g)) if (!(m[1] in en)) missing.push(`${p}: ${m[1]}`);
      // t(`prefix.${x}`): some key starts with the prefix.
      for (const m of src.matchAll(/\bt\(\s*`([a-z0-9_.]+)\$\{/g)) {
        if (!Object.keys(en).some((k) => k.startsWith(m[1]))) missing.push(`${p}: ${m[1]}*`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('the template keys the UI builds are all there: settings tabs, separators, days', () => {
    const settings = js.find((x) => x.p.endsWith('pages/settings.js')).src;
    const tabs = [...settings.matchAll(/\{ key: '(\w+)', label: '[^']+', groups:/g)].map((m) => m[1]);
    assert.ok(tabs.length >= 7, tabs.join());
    for (const tab of tabs) assert.ok(`settings.tab.${tab}` in en, tab);
    for (const s of ['comma', 'period', 'space', 'apostrophe', 'none']) assert.ok(`l10n.sep.${s}` in en, s);
    for (const d of ['monday', 'sunday', 'saturday']) assert.ok(`l10n.day.${d}` in en, d);
  });

  it('every entity the catalogue names has its own sentences, and the generic ones are there', () => {
    const ids = ['new', 'create', 'delete', 'delete_q', 'not_found', 'no_such', 'first', 'changed', 'read_only',
      'created', 'saved', 'deleted'];
    const entities = Object.keys(en).filter((k) => /^entity\.[a-z_]+\.one$/.test(k)).map((k) => k.split('.')[1])
      .filter((e) => e !== 'any');
    assert.ok(entities.length >= 9, entities.join());
    const missing = [];
    for (const e of entities) for (const id of ids) if (!(`entity.${e}.${id}` in en)) missing.push(`entity.${e}.${id}`);
    for (const id of [...ids, 'no_members', 'search', 'search_placeholder', 'filter', 'none', 'no_match', 'cannot_create']) {
      if (!(`entity.any.${id}` in en)) missing.push(`entity.any.${id}`);
    }
    assert.deepEqual(missing, []);
  });

  for (const lang of LANGS.filter((l) => l !== 'en')) {
    describe(lang, () => {
      const cat = load(lang);
      const cats = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;

      it('has exactly the keys of en.json', () => {
        assert.deepEqual(Object.keys(cat).filter((k) => !(k in en)), [], 'keys English does not have');
        assert.deepEqual(Object.keys(en).filter((k) => !(k in cat)), [], 'keys missing');
      });

      it('has the placeholders of English in every text and every plural form', () => {
        const bad = [];
        for (const [key, v] of Object.entries(en)) {
          const want = placeholders(forms(v).join(' ')).filter((x, i, a) => a.indexOf(x) === i);
          for (const f of forms(cat[key] ?? '')) {
            const got = placeholders(f).filter((x, i, a) => a.indexOf(x) === i);
            // A plural "one" may say the number in words, never a name English lacks.
            if (got.some((x) => !want.includes(x)) || (got.length < want.filter((x) => x !== 'count').length)) {
              bad.push(`${key}: ${JSON.stringify(f)}`);
            }
          }
        }
        assert.deepEqual(bad, []);
      });

      it('has every plural form its language uses', () => {
        for (const [key, v] of Object.entries(en)) {
          if (typeof v !== 'object') continue;
          for (const c of cats) assert.ok(typeof cat[key][c] === 'string', `${key}: no "${c}" form`);
        }
      });
    });
  }

  it('Romanian uses ș and ț with a comma below, never ş ţ with a cedilla', () => {
    const text = readFileSync(join(I18N, 'ro.json'), 'utf8');
    assert.doesNotMatch(text, /[şţŞŢ]/);
    assert.match(text, /[șț]/);
  });

  it('English has every plural form English uses', () => {
    for (const [key, v] of Object.entries(en)) {
      if (typeof v === 'object') for (const c of ['one', 'other']) assert.equal(typeof v[c], 'string', `${key}.${c}`);
    }
  });
});
