// THE ROUTE META-TEST. Run it LAST and SEPARATELY, after every other HTTP test
// file has written its requests to the coverage file:
//
//   rm -f build/test-results/route-coverage.jsonl
//   node --test --test-concurrency=2 tests/http/
//   ATRIUM_ROUTE_META=1 node --test tests/http/routes.test.mjs
//
// (tests/http/run does exactly that.) Inside the whole-directory run this file
// runs too, possibly in parallel with the others, so there the coverage checks
// skip themselves unless ATRIUM_ROUTE_META=1; the route-table and OpenAPI
// checks do not depend on other files and always run.
//
// It walks the route table that `atrium routes` prints ([{method, path, access,
// module, cap}]) and fails when:
//   - a route has no access kind (public, session, perm, contact: the client portal's
//     realm, operator: administrators of the operator organisation), or a perm route
//     has no module/cap;
//   - an /api/v1, /healthz, /readyz or /metrics route is missing from docs/openapi.yaml,
//     or an OpenAPI operation has no route;
//   - a route (static /assets/* aside) was never answered 2xx/3xx in the tests, a
//     session/perm/contact route never 401, or a perm route (or a contact route with a
//     module) never 403, or an operator route or a perm route marked operator_org
//     (the installation's: members of the operator organisation only) never 403 to
//     a business's administrator (a request made by a client marked
//     `as = 'business-admin'`);
//   - a session/perm/contact route was not called by the isolation walk
//     (org-isolation.test.mjs, which writes the routes it walked to
//     build/test-results/isolation-walk.jsonl, beside the coverage file): every
//     such route must be walked by A's members against organisation B.

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, COVERAGE_FILE, runBin } from './harness.mjs';

const ACCESS = new Set(['public', 'session', 'perm', 'contact', 'operator']);
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const META = process.env.ATRIUM_ROUTE_META === '1';

/* /api/v1/leads/{id} and /api/v1/leads/{lead_id} are the same route. */
const norm = (p) => p.replace(/\{[^}]+\}/g, '{}');
const key = (m, p) => `${m.toUpperCase()} ${norm(p)}`;

function patternRegex(p) {
  const re = norm(p)
    .split(/(\{\}|\*)/)
    .map((part) => (part === '{}' ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`);
}

const isStatic = (r) => r.path.startsWith('/assets/');
const needsOpenApi = (r) => r.path.startsWith('/api/v1/') || ['/healthz', '/readyz', '/metrics'].includes(r.path);

function coverageFiles() {
  return fs.existsSync(COVERAGE_FILE) ? [COVERAGE_FILE] : [];
}

function readCoverage() {
  const entries = [];
  for (const f of coverageFiles()) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try { entries.push(JSON.parse(line)); } catch { /* a line torn by a crash: ignore */ }
    }
  }
  return entries;
}

describe('route table (meta-test)', () => {
  let routes;
  let openapi;

  before(() => {
    const r = runBin(['routes']);
    assert.equal(r.status, 0, `${BIN} routes failed:\n${r.stderr}`);
    routes = JSON.parse(r.stdout);
    const y = spawnSync('python3', ['-c',
      'import yaml,json,sys; json.dump(yaml.safe_load(open(sys.argv[1])),sys.stdout,default=str)',
      path.join(ROOT, 'docs', 'openapi.yaml')], { encoding: 'utf8' });
    openapi = y.status === 0 ? JSON.parse(y.stdout) : { error: y.stderr };
  });

  it('`atrium routes` prints a non-empty array of {method, path}', () => {
    assert.ok(Array.isArray(routes) && routes.length > 0, 'a non-empty array');
    for (const r of routes) {
      assert.equal(typeof r.method, 'string', JSON.stringify(r));
      assert.equal(typeof r.path, 'string', JSON.stringify(r));
      assert.ok(r.path.startsWith('/'), JSON.stringify(r));
    }
    const seen = new Set();
    const dup = routes.map((r) => key(r.method, r.path)).filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
    assert.deepEqual(dup, [], 'no route twice');
  });

  it('every route has an access kind', () => {
    const bad = routes.filter((r) => !ACCESS.has(r.access)).map((r) => `${r.method} ${r.path} (access=${r.access})`);
    assert.deepEqual(bad, [], 'routes without public|session|perm');
  });

  it('every perm route names its module and capability', () => {
    const bad = routes
      .filter((r) => r.access === 'perm' && !(typeof r.module === 'string' && r.module && typeof r.cap === 'string' && r.cap))
      .map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(bad, [], 'perm routes without module/cap');
  });

  it('the contract routes exist with the expected access', () => {
    const want = {
      'GET /healthz': 'public',
      'GET /readyz': 'public',
      'GET /api/v1/openapi.json': 'public',
      'POST /api/v1/auth/login': 'public',
      'POST /api/v1/setup': 'public',
      'POST /api/v1/auth/password/set': 'public',
      'GET /api/v1/auth/me': 'session',
      'POST /api/v1/auth/logout': 'session',
      'GET /api/v1/leads': 'perm',
      'POST /api/v1/leads': 'perm',
      'GET /api/v1/leads/{}': 'perm',
      'PATCH /api/v1/leads/{}': 'perm',
      'DELETE /api/v1/leads/{}': 'perm',
      'GET /api/v1/clients': 'perm',
      'POST /api/v1/clients': 'perm',
      'GET /api/v1/clients/{}': 'perm',
      'PATCH /api/v1/clients/{}': 'perm',
      'DELETE /api/v1/clients/{}': 'perm',
      'GET /api/v1/staff': 'perm',
      'GET /api/v1/activity': 'perm',
    };
    const have = new Map(routes.map((r) => [key(r.method, r.path), r.access]));
    const problems = [];
    for (const [k, access] of Object.entries(want)) {
      if (!have.has(k)) problems.push(`missing ${k}`);
      else if (have.get(k) !== access) problems.push(`${k} is ${have.get(k)}, expected ${access}`);
    }
    assert.ok(have.has('GET /metrics'), 'GET /metrics exists');
    assert.deepEqual(problems, []);
  });

  it('docs/openapi.yaml parses and is OpenAPI 3.1', () => {
    assert.ok(!openapi.error, `cannot parse docs/openapi.yaml: ${openapi.error}`);
    assert.ok(String(openapi.openapi).startsWith('3.1'), `openapi: ${openapi.openapi}`);
    assert.equal(typeof openapi.paths, 'object');
  });

  /* "METHOD /path" for every OpenAPI operation, with the server URL's path prefixed. */
  function openapiOps() {
    let prefix = '';
    const url = openapi.servers?.[0]?.url;
    if (url) prefix = new URL(url, 'http://x').pathname.replace(/\/$/, '');
    const ops = new Set();
    for (const [p, item] of Object.entries(openapi.paths || {})) {
      const full = prefix && !p.startsWith(`${prefix}/`) ? prefix + p : p;
      for (const m of METHODS) if (item && item[m]) ops.add(key(m, full));
    }
    return ops;
  }

  it('every /api/v1, /healthz, /readyz and /metrics route is in docs/openapi.yaml', () => {
    assert.ok(!openapi.error, openapi.error);
    const ops = openapiOps();
    const missing = routes.filter(needsOpenApi).map((r) => key(r.method, r.path)).filter((k) => !ops.has(k));
    assert.deepEqual(missing, [], 'routes without an OpenAPI operation');
  });

  it('every OpenAPI operation has a route', () => {
    assert.ok(!openapi.error, openapi.error);
    const have = new Set(routes.map((r) => key(r.method, r.path)));
    const orphan = [...openapiOps()].filter((k) => !have.has(k));
    assert.deepEqual(orphan, [], 'OpenAPI operations that no route implements');
  });

  describe('coverage by the HTTP tests', () => {
    let entries;
    before(() => {
      entries = META ? readCoverage() : [];
    });

    /* Coverage entries that hit route r (by declared pattern, or by the path they requested). */
    function hits(r) {
      const re = patternRegex(r.path);
      const m = r.method.toUpperCase();
      return entries.filter((e) => e.method === m && (norm(e.pattern) === norm(r.path) || re.test(e.path || '')));
    }

    const skip = META ? false : 'run after the suite with ATRIUM_ROUTE_META=1 (see the top of this file)';

    it('the coverage file is there', { skip }, () => {
      assert.ok(entries.length > 0, `no coverage entries in ${coverageFiles().join(', ') || COVERAGE_FILE}`);
    });

    it('every route (static assets aside) was answered 2xx or 3xx', { skip }, () => {
      const missing = routes.filter((r) => !isStatic(r))
        .filter((r) => !hits(r).some((e) => e.status >= 200 && e.status < 400))
        .map((r) => `${r.method} ${r.path}`);
      assert.deepEqual(missing, [], 'routes never exercised successfully');
    });

    it('every session, perm, contact and operator route was answered 401 anonymously', { skip }, () => {
      const missing = routes.filter((r) => ['session', 'perm', 'contact', 'operator'].includes(r.access))
        .filter((r) => !hits(r).some((e) => e.status === 401))
        .map((r) => `${r.method} ${r.path}`);
      assert.deepEqual(missing, [], 'routes never tested for 401');
    });

    it('every session, perm and contact route was walked by the isolation walk (org-isolation.test.mjs)', { skip }, () => {
      const file = path.join(path.dirname(COVERAGE_FILE), 'isolation-walk.jsonl');
      assert.ok(fs.existsSync(file), `no ${file}: the isolation walk did not run`);
      const walked = new Set();
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const w = JSON.parse(line);
          walked.add(key(w.method, w.path));
        } catch { /* a torn line */ }
      }
      const missing = routes.filter((r) => r.access === 'session' || r.access === 'perm' || r.access === 'contact')
        .filter((r) => !walked.has(key(r.method, r.path)))
        .map((r) => `${r.method} ${r.path}`);
      assert.deepEqual(missing, [], 'routes the isolation walk did not call: add a line to tests/http/isolation-table.mjs');
    });

    it('every perm route (and contact route with a module) was answered 403 without the permission', { skip }, () => {
      const missing = routes.filter((r) => r.access === 'perm' || (r.access === 'contact' && r.module))
        .filter((r) => !hits(r).some((e) => e.status === 403))
        .map((r) => `${r.method} ${r.path}`);
      assert.deepEqual(missing, [], 'routes never tested for 403');
    });

    it('every operator route and operator_org perm route was answered 403 to a business administrator', { skip }, () => {
      const missing = routes.filter((r) => r.access === 'operator' || r.operator_org)
        .filter((r) => !hits(r).some((e) => e.status === 403 && e.as === 'business-admin'))
        .map((r) => `${r.method} ${r.path}`);
      assert.deepEqual(missing, [], 'operator and operator_org routes never refused to a business administrator');
    });
  });
});
