// The web UI's ES modules link: every relative import names a module that
// exists and every name it imports is exported there. A broken import
// stops the whole admin UI at load ("does not provide an export named"),
// so it is caught here without a browser. Needs no server.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../web/assets');

function modules(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...modules(p));
    else if (e.name.endsWith('.js')) out.push(p);
  }
  return out;
}

/* The names a module exports: `export function|const|let|class|async
 * function NAME` and `export { a, b as c }`. */
function exportsOf(src) {
  const names = new Set();
  for (const m of src.matchAll(/export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)/g)) {
    names.add(m[1]);
  }
  for (const m of src.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/).pop();
      if (name) names.add(name);
    }
  }
  if (/export\s+default\b/.test(src)) names.add('default');
  return names;
}

/* The relative named imports of a module: [{names, from}]. */
function importsOf(src) {
  const out = [];
  for (const m of src.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(\.[^']+)'/g)) {
    const names = m[1].split(',').map((s) => s.trim().split(/\s+as\s+/)[0]).filter(Boolean);
    out.push({ names, from: m[2] });
  }
  for (const m of src.matchAll(/import\s*(?:[\w$]+\s*,\s*)?(?:\*\s*as\s*[\w$]+\s*)?from\s*'(\.[^']+)'|import\s*'(\.[^']+)'/g)) {
    out.push({ names: [], from: m[1] || m[2] });
  }
  return out;
}

describe('web UI modules', () => {
  const files = modules(ROOT);

  it('finds the modules (the check ran on something)', () => {
    assert.ok(files.length > 20, `${files.length} modules under ${ROOT}`);
  });

  it('every relative import resolves to a module that exports the names asked for', () => {
    const problems = [];
    const cache = new Map();
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      for (const { names, from } of importsOf(src)) {
        const target = resolve(dirname(f), from);
        if (!existsSync(target)) {
          problems.push(`${f.slice(ROOT.length + 1)}: no module ${from}`);
          continue;
        }
        if (!cache.has(target)) cache.set(target, exportsOf(readFileSync(target, 'utf8')));
        const have = cache.get(target);
        for (const n of names) {
          if (!have.has(n)) problems.push(`${f.slice(ROOT.length + 1)}: ${from} does not export ${n}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('the check itself sees a missing export', () => {
    const have = exportsOf('export function a() {}\nexport const b = 1;\nexport { c as d };');
    assert.deepEqual([...have].sort(), ['a', 'b', 'd']);
    assert.deepEqual(importsOf("import { a, b as x } from './m.js';")[0], { names: ['a', 'b'], from: './m.js' });
  });
});
