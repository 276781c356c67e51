// THE AUTHORIZATION MATRIX: every /api/v1 route of the route table × nine
// principals, with the expected class of outcome computed from the route's
// access/module/cap and the principal's grants, never written down by hand.
// A route added to the server joins the matrix by itself.
//
// Principals:
//   anonymous     no cookie
//   no role       staff@example.test (signed in, no role, no override)
//   view_own      a role with view_own on every module that has it (nothing else)
//   view          a role with view on every module
//   everything    a role with every capability of every module (not admin)
//   admin         admin@example.test (admin = 1, of the operator organisation)
//   business admin the administrator of a business under the operator
//                 (`atrium org create`): an administrator, but not of the
//                 installation
//   deactivated   a member with the "everything" role who signed in and was then
//                 deactivated by the admin; they keep their old cookie and CSRF token
//   expired       a member with the "everything" role whose session row was
//                 expired in the database (`UPDATE session SET expires_at` into
//                 the past, with sqlite3/psql): the row and the cookie still
//                 exist, only the expiry has passed. (Idle expiry through
//                 ATRIUM_SESSION_IDLE_MINUTES=1 would take a minute per run.)
//
// Expected class of outcome:
//   public route                                -> allowed for everyone
//   anonymous / deactivated / expired           -> 401 on session and perm routes
//   session route, signed in                    -> allowed
//   perm route: admin                           -> allowed
//   perm route: the role grants the capability  -> allowed ("view" is granted by view or view_own)
//   perm route: otherwise                       -> 403
//   operator route: admin (of organisation 1,   -> allowed; anybody else 403
//     the operator)
//   perm route marked operator_org (the         -> 403 for the business admin;
//     installation's: backups, the scheduler)      the others as any perm route
//                                                  (they are all of organisation 1)
//   allowed, on a route marked reauth "always"  -> 403 reauth-required (the
//                                                  password was not re-entered;
//                                                  counted as its own class)
// "allowed" is any status that is neither 401 nor 403 (200, 201, 204, 404, 409,
// 422, ...); the request is made as realistic as the table allows: a fresh
// record of the route's collection as the target (so destructive routes never
// hit shared data), a minimal valid body, the right If-Match.
//
// Roles are granted through the API as the admin, from GET /api/v1/permissions/modules.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  startServer, client, adminClient, staffClient, runBin, uniq, BIN, ROOT,
} from './harness.mjs';
import { newBusiness } from './isolation-fixtures.mjs';

const MISSING_ID = 987654321;

const ROUTES = (() => {
  const r = runBin(['routes']);
  if (r.status !== 0) throw new Error(`${BIN} routes failed: ${r.stderr}`);
  const all = JSON.parse(r.stdout).filter((x) => x.path.startsWith('/api/v1/'));
  // Logout ends the principal's session: it goes last.
  const last = (x) => (x.method === 'POST' && x.path === '/api/v1/auth/logout' ? 1 : 0);
  return all.sort((a, b) => last(a) - last(b));
})();

const PRINCIPALS = [
  { key: 'anonymous', signedIn: false },
  { key: 'no role', signedIn: true, grants: 'none' },
  { key: 'view_own', signedIn: true, grants: 'view_own' },
  { key: 'view', signedIn: true, grants: 'view' },
  { key: 'everything', signedIn: true, grants: 'all' },
  { key: 'admin', signedIn: true, admin: true },
  { key: 'business admin', signedIn: true, admin: true, business: true },
  { key: 'deactivated', signedIn: false, grants: 'all' },
  { key: 'expired', signedIn: false, grants: 'all' },
];

/* The expected outcome: 401, 403 or 'allowed'. grants: {module: [caps]}. */
function expectedOutcome(route, p, grants) {
  if (route.access === 'public') return 'allowed';
  // The client portal's realm: no staff credential is anybody there.
  if (!p.signedIn || route.access === 'contact') return 401;
  // The operator console: administrators of the operator organisation
  // (the harness's admin is organisation 1's) and nobody else.
  if (route.access === 'operator') return p.admin && !p.business ? 'allowed' : 403;
  // The installation's perm routes: the permission, in the operator organisation.
  if (route.operator_org && p.business) return 403;
  if (route.access === 'session' || p.admin) return route.reauth === 'always' ? 'reauth' : 'allowed';
  const held = grants[route.module] || [];
  const need = route.cap === 'view' ? ['view', 'view_own'] : [route.cap];
  if (!need.some((c) => held.includes(c))) return 403;
  return route.reauth === 'always' ? 'reauth' : 'allowed';
}

const classOf = (status, body) => {
  if (status === 403 && body && typeof body.type === 'string' && body.type.endsWith('/reauth-required')) return 'reauth';
  return status === 401 || status === 403 ? status : 'allowed';
};

/* The collection a route is about: /api/v1/<coll>/... */
const collectionOf = (path) => path.split('/')[3];

describe('authorization matrix (every /api/v1 route × every principal)', () => {
  let srv;
  let admin; // makes targets and members; not a principal (the admin principal logs out at the end)
  const clients = {};
  const grantsOf = {};
  const results = []; // {principal, route, status, expected}

  // Minimal valid bodies for creating a record of a collection (the factories
  // that make fresh targets), and for patching one.
  const factories = {
    leads: (t) => ({ name: t }),
    clients: (t) => ({ company: t }),
    departments: (t) => ({ name: t }),
    teams: (t) => ({ name: t }),
    staff: (t) => ({ email: `${t}@example.test`, name: t }),
    roles: (t) => ({ name: t }),
  };
  const patches = {
    leads: (t) => ({ name: `${t} v2` }),
    clients: (t) => ({ company: `${t} v2` }),
    departments: (t) => ({ name: `${t} v2` }),
    teams: (t) => ({ name: `${t} v2` }),
    staff: (t) => ({ name: `${t} v2` }),
    roles: (t) => ({ description: `${t} v2` }),
  };
  // Bodies and queries for routes whose minimal valid request is not {}.
  const special = {
    'PUT /api/v1/staff/{id}/permissions': () => ({ body: { overrides: {} } }),
    'DELETE /api/v1/staff/{id}': () => ({ query: { reassign_to: admin.me.id } }),
    'POST /api/v1/auth/password/change': () => ({ body: {} }),
  };

  async function createTarget(coll) {
    const make = factories[coll];
    if (!make) return MISSING_ID;
    const r = await admin.req('POST', `/api/v1/${coll}`, { body: make(uniq('mx')) });
    assert.equal(r.status, 201, `creating a ${coll} target: ${r.status} ${r.text}`);
    return r.body.id;
  }

  /* Builds the request for route (fresh target, body, If-Match). */
  async function requestFor(route) {
    const key = `${route.method} ${route.path}`;
    const coll = collectionOf(route.path);
    const opts = { params: {} };
    const tag = uniq('mx');
    for (const m of route.path.matchAll(/\{([^}]+)\}/g)) {
      const name = m[1];
      if (name === 'id') opts.params.id = await createTarget(coll);
      else if (name === 'group') opts.params.group = 'company';
      else if (name === 'kind') opts.params.kind = 'logo_light';
      else if (name === 'key') opts.params.key = 'activity_review'; // a security checklist row
      else opts.params[name] = '1';
    }
    if (route.path.endsWith('*')) opts.params['*'] = '';
    const hasId = 'id' in opts.params;
    if (['POST', 'PUT', 'PATCH'].includes(route.method)) {
      if (route.method === 'POST' && !hasId && factories[coll] && route.path === `/api/v1/${coll}`) {
        opts.body = factories[coll](tag);
      } else if (route.method === 'PATCH' && hasId && patches[coll]) {
        opts.body = patches[coll](tag);
      } else {
        opts.body = {};
      }
    }
    if (route.method === 'PATCH' || (route.method === 'DELETE' && hasId)) {
      opts.headers = { 'If-Match': '"1"' }; // every fresh target is at version 1
    }
    if (special[key]) Object.assign(opts, special[key]());
    return opts;
  }

  /* A member with a role (granted through the API) and a password of their own. */
  async function member(roleId, label) {
    const tag = uniq(label.replace(/\W/g, ''));
    const email = `${tag}@example.test`;
    const temp = `Temp-${tag}-password`;
    const r = await admin.req('POST', '/api/v1/staff', {
      body: { email, name: `Matrix ${label}`, role_id: roleId, temporary_password: temp },
    });
    assert.equal(r.status, 201, `adding the ${label} member: ${r.status} ${r.text}`);
    const c = client(srv.base);
    await c.login(email, temp);
    const ch = await c.req('POST', '/api/v1/auth/password/change', {
      body: { current_password: temp, new_password: `${temp}-changed` },
    });
    assert.equal(ch.status, 200, `password change of ${label}: ${ch.status} ${ch.text}`);
    c.id = r.body.id;
    c.me = ch.body.staff;
    return c;
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);

    // Enough seats for every target and member this file adds.
    const seats = srv.cli(['org', 'seats', '1', '--members-included', '100000', '--extra-seats', '0']);
    assert.equal(seats.status, 0, `cannot raise the seat limit: ${seats.stderr}`);

    const mods = await admin.req('GET', '/api/v1/permissions/modules');
    assert.equal(mods.status, 200, mods.text);
    assert.ok(Array.isArray(mods.body.data) && mods.body.data.length > 0, mods.text);
    const matrix = { none: {}, view_own: {}, view: {}, all: {} };
    for (const m of mods.body.data) {
      assert.ok(Array.isArray(m.capabilities), JSON.stringify(m));
      if (m.capabilities.includes('view_own')) matrix.view_own[m.module] = ['view_own'];
      if (m.capabilities.includes('view')) matrix.view[m.module] = ['view'];
      // A module with no capability (log_archives) is for administrators
      // only: no role can hold it.
      if (m.capabilities.length) matrix.all[m.module] = [...m.capabilities];
    }
    // Every module of every perm route must be in the matrix's modules.
    const known = new Set(mods.body.data.map((m) => m.module));
    const unknown = ROUTES.filter((r) => r.access === 'perm' && !known.has(r.module)).map((r) => `${r.method} ${r.path} (${r.module})`);
    assert.deepEqual(unknown, [], 'perm routes whose module is not listed by /api/v1/permissions/modules');

    const roleIds = {};
    for (const g of ['view_own', 'view', 'all']) {
      const r = await admin.req('POST', '/api/v1/roles', { body: { name: uniq(`matrix-${g}-`), permissions: matrix[g] } });
      assert.equal(r.status, 201, `role ${g}: ${r.status} ${r.text}`);
      assert.deepEqual(Object.keys(r.body.permissions).sort(), Object.keys(matrix[g]).sort(), `role ${g} holds what was granted`);
      roleIds[g] = r.body.id;
    }

    clients.anonymous = client(srv.base);
    clients['no role'] = await staffClient(srv);
    clients.view_own = await member(roleIds.view_own, 'view_own');
    clients.view = await member(roleIds.view, 'view');
    clients.everything = await member(roleIds.all, 'everything');
    clients.admin = await adminClient(srv);
    // An administrator of a business (the route meta-test counts its 403s
    // on the operator's and the installation's routes).
    clients['business admin'] = await newBusiness(srv, 'Matrix business', `${uniq('mxboss')}@example.test`,
      'Harbour-violet-cedar-7731');
    clients['business admin'].as = 'business-admin';

    // Deactivated: signed in (and working), then deactivated by the admin.
    const gone = await member(roleIds.all, 'deactivated');
    assert.equal((await gone.req('GET', '/api/v1/leads')).status, 200, 'works before deactivation');
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: gone.id } });
    assert.equal(d.status, 200, `deactivate: ${d.status} ${d.text}`);
    assert.equal(d.body.active, false);
    clients.deactivated = gone;

    // Expired: signed in (and working), then the session row's expiry is moved into the past.
    const old = await member(roleIds.all, 'expired');
    assert.equal((await old.req('GET', '/api/v1/leads')).status, 200, 'works before expiry');
    const x = srv.sql(`UPDATE session SET expires_at = '2000-01-01T00:00:00.000Z' WHERE staff_id = ${Number(old.id)}`);
    assert.equal(x.status, 0, `expiring the session: ${x.stderr}`);
    const left = srv.sql(`SELECT COUNT(*) FROM session WHERE staff_id = ${Number(old.id)}`);
    assert.equal(left.stdout, '1', 'the expired session row still exists');
    assert.ok(old.sessionCookie(), 'the member still holds the cookie');
    clients.expired = old;

    for (const p of PRINCIPALS) grantsOf[p.key] = matrix[p.grants] || {};
  });

  after(async () => {
    // The whole matrix, when a cell is wrong (marked !): easier to read than the failures alone.
    if (results.some((x) => !x.ok)) {
      const rows = PRINCIPALS.map((p) => p.key);
      const lines = ROUTES.map((r) => {
        const k = `${r.method} ${r.path}`;
        const cells = rows.map((pk) => {
          const x = results.find((y) => y.principal === pk && y.route === k);
          return x ? `${x.status}${x.ok ? '' : '!'}` : '-';
        });
        return `${k.padEnd(44)} ${cells.map((c) => c.padStart(5)).join(' ')}`;
      });
      console.log(`\n${''.padEnd(44)} ${rows.map((r) => r.slice(0, 5).padStart(5)).join(' ')}\n${lines.join('\n')}`);
    }
    await srv?.stop();
  });

  it('docs/openapi.yaml states the same permission (x-permission) as the route table', () => {
    const y = spawnSync('/usr/bin/python3', ['-c',
      'import yaml,json,sys; json.dump(yaml.safe_load(open(sys.argv[1])),sys.stdout,default=str)',
      path.join(ROOT, 'docs', 'openapi.yaml')], { encoding: 'utf8' });
    assert.equal(y.status, 0, y.stderr);
    const doc = JSON.parse(y.stdout);
    const norm = (p) => p.replace(/\{[^}]+\}/g, '{}');
    const stated = new Map();
    for (const [p, item] of Object.entries(doc.paths || {})) {
      for (const [m, op] of Object.entries(item || {})) {
        if (op && typeof op === 'object' && 'responses' in op) stated.set(`${m.toUpperCase()} ${norm(p)}`, op['x-permission']);
      }
    }
    const wrong = ROUTES
      .filter((r) => stated.has(`${r.method} ${norm(r.path)}`))
      .map((r) => [r, stated.get(`${r.method} ${norm(r.path)}`), r.access === 'perm' ? `${r.module}.${r.cap}`
        : r.access === 'contact' && r.module ? `contact:${r.module}.${r.cap}` : r.access])
      .filter(([, got, want]) => got !== want)
      .map(([r, got, want]) => `${r.method} ${r.path}: x-permission ${got}, route table ${want}`);
    assert.deepEqual(wrong, []);
    // x-reauth states the routes that need the password re-entered.
    const reauth = new Map();
    for (const [p, item] of Object.entries(doc.paths || {})) {
      for (const [m, op] of Object.entries(item || {})) {
        if (op && typeof op === 'object' && 'responses' in op) reauth.set(`${m.toUpperCase()} ${norm(p)}`, op['x-reauth']);
      }
    }
    // x-operator-org: true states the installation's perm routes (ROUTE_OPERATOR_ORG).
    const opOrg = new Map();
    for (const [p, item] of Object.entries(doc.paths || {})) {
      for (const [m, op] of Object.entries(item || {})) {
        if (op && typeof op === 'object' && 'responses' in op) opOrg.set(`${m.toUpperCase()} ${norm(p)}`, op['x-operator-org'] === true);
      }
    }
    const wrongOpOrg = ROUTES
      .filter((r) => opOrg.has(`${r.method} ${norm(r.path)}`) && opOrg.get(`${r.method} ${norm(r.path)}`) !== Boolean(r.operator_org))
      .map((r) => `${r.method} ${r.path}: x-operator-org ${opOrg.get(`${r.method} ${norm(r.path)}`)}, route table ${Boolean(r.operator_org)}`);
    assert.deepEqual(wrongOpOrg, []);
    const wrongReauth = ROUTES
      .filter((r) => reauth.has(`${r.method} ${norm(r.path)}`) && reauth.get(`${r.method} ${norm(r.path)}`) !== r.reauth)
      .map((r) => `${r.method} ${r.path}: x-reauth ${reauth.get(`${r.method} ${norm(r.path)}`)}, route table ${r.reauth}`);
    assert.deepEqual(wrongReauth, []);
  });

  it('the route table has /api/v1 routes of every access kind', () => {
    const kinds = new Set(ROUTES.map((r) => r.access));
    assert.deepEqual([...kinds].sort(), ['contact', 'operator', 'perm', 'public', 'session']);
    assert.ok(ROUTES.length >= 20, `${ROUTES.length} routes`);
  });

  for (const p of PRINCIPALS) {
    describe(`principal: ${p.key}`, () => {
      for (const route of ROUTES) {
        const key = `${route.method} ${route.path}`;
        it(`${key}`, async () => {
          const want = expectedOutcome(route, p, grantsOf[p.key]);
          const c = clients[p.key];
          const opts = await requestFor(route);
          const r = await c.req(route.method, route.path, opts);
          const got = classOf(r.status, r.body);
          const ok = got === want && r.status < 500;
          results.push({ principal: p.key, route: key, status: r.status, got, expected: want, ok });
          assert.ok(r.status < 500, `server error ${r.status}: ${r.text.slice(0, 300)}`);
          assert.equal(got, want, `expected ${want}, got ${r.status}: ${r.text.slice(0, 300)}`);
          if (got === 401 || got === 403 || got === 'reauth') {
            assert.match(r.headers.get('content-type') || '', /^application\/problem\+json/);
            assert.equal(r.body.status, r.status);
          }
        });
      }
    });
  }

  it('ZERO unexpected allows (and no unexpected denials) over the whole matrix', () => {
    assert.equal(results.length, ROUTES.length * PRINCIPALS.length, 'every cell was tried');
    const fmt = (x) => `${x.principal.padEnd(12)} ${x.route}: expected ${x.expected}, got ${x.status}`;
    const allows = results.filter((x) => x.expected !== 'allowed' && x.got === 'allowed').map(fmt);
    const denials = results.filter((x) => x.expected === 'allowed' && x.got !== 'allowed').map(fmt);
    const wrongDeny = results.filter((x) => x.expected !== 'allowed' && x.got !== 'allowed' &&
      x.got !== x.expected).map(fmt);
    if (allows.length) console.log(`UNEXPECTED ALLOWS (${allows.length}):\n${allows.join('\n')}`);
    assert.deepEqual(allows, [], 'unexpected allows');
    assert.deepEqual(wrongDeny, [], '401 where 403 was expected, or the reverse');
    assert.deepEqual(denials, [], 'unexpected denials');
  });
});
