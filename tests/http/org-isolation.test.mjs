// THE ISOLATION WALK (issue 17, step 3): two sibling businesses A and B under
// the operator; B holds one record of every entity and child the API has
// (isolation-fixtures.mjs), each free-text field carrying B's marker
// ZQ-ORGB-<hex>; A holds the same (its lists are not empty). Then EVERY
// session, perm and contact route of `atrium routes` is called by A's
// administrator (contact routes: A's portal contact) the way its line in
// isolation-table.mjs says: B's ids in the path (404, never 2xx), lists,
// searches, filters and exports (CSV, xlsx, zip and PDF bodies opened) with
// B's marker and ids, writes of A's own that name B's records (refused); the
// perm routes once more with an API token of A (a member holding every
// capability: an administrator may have no token).
// No answer (body or header) may contain B's marker or B's secrets.
// Afterwards B's administrator re-reads every B record: nothing changed, and
// B's activity chain gained no row. The background too: A's webhook got no
// message about B's records, A's automation never ran on them, and A's
// activity, events and API log show nothing of B.
//
// ADDING A ROUTE: add one line to TABLE in isolation-table.mjs (its recipe is
// at the top of that file); a session/perm/contact route without a line
// fails here, by name, and in the route meta-test (routes.test.mjs reads the
// routes this walk visited from build/test-results/isolation-walk.jsonl).
// Routes under /api/v1/operator/ need no line: they are the operator's, and
// A's administrator must get 403 (their path parameters get B's org id).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, client, adminClient, runBin, uniq, COVERAGE_FILE, PG_BASE, BIN } from './harness.mjs';
import { startReceiver } from './webhook-receiver.mjs';
import { newBusiness, makeOrg, reauth } from './isolation-fixtures.mjs';
import { TABLE } from './isolation-table.mjs';

export const WALK_FILE = path.join(path.dirname(COVERAGE_FILE), 'isolation-walk.jsonl');
const WALKED = new Set(['session', 'perm', 'contact']);
const PASSWORD = { A: 'Harbour-violet-cedar-7731', B: 'Lantern-quartz-meadow-4482' };

const ROUTES = (() => {
  const r = runBin(['routes']);
  if (r.status !== 0) throw new Error(`${BIN} routes failed: ${r.stderr}`);
  return JSON.parse(r.stdout).filter((x) => WALKED.has(x.access));
})();

/* The calls of a route: its table line(s), or the operator rule. */
function callsOf(route) {
  const k = `${route.method} ${route.path}`;
  let line = TABLE[k];
  if (!line && route.path.startsWith('/api/v1/operator/')) {
    const p = {};
    for (const m of route.path.matchAll(/\{([^}]+)\}/g)) p[m[1]] = 'org';
    line = { kind: 'operator', p, body: {} };
  }
  if (!line) return null;
  return Array.isArray(line) ? line : [line];
}

// --- what a body holds, searchable as text --------------------------------

/* The entries of a zip (xlsx is one), inflated, concatenated. */
function unzip(buf) {
  const out = [];
  let i = 0;
  while (i + 30 <= buf.length && buf.readUInt32LE(i) === 0x04034b50) {
    const method = buf.readUInt16LE(i + 8);
    const flags = buf.readUInt16LE(i + 6);
    let size = buf.readUInt32LE(i + 18);
    const nameLen = buf.readUInt16LE(i + 26);
    const extraLen = buf.readUInt16LE(i + 28);
    const start = i + 30 + nameLen + extraLen;
    out.push(buf.subarray(i + 30, i + 30 + nameLen).toString('utf8'));
    if (flags & 8 && size === 0) {
      // sizes in a data descriptor: find the next header
      const next = buf.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]), start);
      size = (next < 0 ? buf.length : next) - start;
    }
    const data = buf.subarray(start, start + size);
    try {
      out.push(method === 8 ? zlib.inflateRawSync(data).toString('utf8') : data.toString('utf8'));
    } catch {
      out.push(data.toString('latin1'));
    }
    i = start + size;
    if (flags & 8) i = buf.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]), i) < 0 ? buf.length : buf.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]), i);
  }
  return out.join('\n');
}

/* A PDF's streams, inflated where they are Flate-compressed. */
function pdfText(buf) {
  const out = [buf.toString('latin1')];
  let i = 0;
  for (;;) {
    const s = buf.indexOf('stream', i, 'latin1');
    if (s < 0) break;
    let start = s + 6;
    if (buf[start] === 0x0d) start++;
    if (buf[start] === 0x0a) start++;
    const e = buf.indexOf('endstream', start, 'latin1');
    if (e < 0) break;
    try { out.push(zlib.inflateSync(buf.subarray(start, e)).toString('latin1')); } catch { /* not Flate */ }
    i = e + 9;
  }
  return out.join('\n');
}

function searchable(r) {
  const b = r.bytes || Buffer.alloc(0);
  let text;
  if (b.length >= 4 && b.readUInt32LE(0) === 0x04034b50) text = unzip(b);
  else if (b.subarray(0, 5).toString('latin1') === '%PDF-') text = pdfText(b);
  else if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try { text = zlib.gunzipSync(b).toString('utf8'); } catch { text = b.toString('latin1'); }
  } else text = b.toString('utf8');
  const headers = [...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  return `${headers}\n${text}`.toLowerCase();
}

describe('isolation walk: two sibling businesses, every route', { timeout: 600000 }, () => {
  let srv;
  let rx;
  let op; // the operator's administrator
  let A; // A's administrator
  let B; // B's administrator
  let portalA; // A's portal contact
  let tokA; // a client calling with an API token of A (a member with every capability)
  const F = {};
  const opFix = {};
  let secretsB; // strings of B's that must appear nowhere A reads
  const problems = [];
  const walked = []; // {method, path, calls, statuses}
  const snapshot = new Map(); // GET url -> {status, body}
  let activityMaxB;

  /* B's value for param key (B's fixture, 'a:' A's, 'op:' the operator's, '=' literal). */
  function value(key) {
    if (key.startsWith('=')) return key.slice(1);
    if (key.startsWith('a:')) return F.A.id[key.slice(2)];
    if (key.startsWith('op:')) return opFix[key.slice(3)];
    return F.B.id[key];
  }
  const fn = (v) => (typeof v === 'function' ? v(F) : v);

  function fillParams(route, call) {
    const params = {};
    const missing = [];
    for (const m of route.path.matchAll(/\{([^}]+)\}/g)) {
      const key = call.p?.[m[1]];
      const v = key === undefined ? undefined : value(key);
      if (v === undefined || v === null) missing.push(`{${m[1]}}${key ? ` (fixture '${key}' missing)` : ''}`);
      else params[m[1]] = v;
    }
    return { params, missing };
  }

  /* The GET route whose line reads fixture `key` of B (/api/v1/x/{id}). */
  function readerOf(key) {
    return ROUTES.filter((r) => r.method === 'GET' && r.access !== 'contact' && /\/\{id\}$/.test(r.path))
      .find((r) => (callsOf(r) || []).some((c) => c.kind === 'b' && c.p?.id === key));
  }

  async function etagOf(c, key, id) {
    const rd = readerOf(key);
    if (!rd) return undefined;
    const r = await c.req('GET', rd.path, { params: { id } });
    return r.headers.get('etag') || (r.body && r.body.version !== undefined ? `"${r.body.version}"` : undefined);
  }

  /* One call; retried once after re-authentication when the route asks for it. */
  async function send(c, route, opts) {
    let r = await c.req(route.method, route.path, { ...opts, binary: true });
    if (r.status === 403 && /reauth-required/.test(r.text) && c !== portalA && !c.token) {
      await reauth(c);
      r = await c.req(route.method, route.path, { ...opts, binary: true });
    }
    return r;
  }

  function checkLeak(r, what) {
    const text = searchable(r);
    const hit = secretsB.find((s) => text.includes(s));
    if (hit) {
      const at = text.indexOf(hit);
      problems.push(`${what}: answer ${r.status} holds B's ${hit === secretsB[0] ? 'marker' : 'secret'}: …${text.slice(Math.max(0, at - 120), at + 60).replace(/\s+/g, ' ')}…`);
    }
  }

  /* Walks one route's calls; tok: an API token of A (a member holding
   * every capability) as the caller instead of the session (perm routes, B-aimed calls, lists,
   * refusals; a route closed to tokens answers 403 and is fine). */
  async function walkRoute(route, onlyLast, tok = null) {
    const calls = callsOf(route);
    const statuses = [];
    for (const call of calls) {
      if (Boolean(call.last) !== onlyLast) continue;
      if (tok && (route.access !== 'perm' || call.portal || call.kind === 'own')) continue;
      const who = tok || (call.portal ? portalA : A);
      const { params, missing } = fillParams(route, call);
      if (missing.length) {
        problems.push(`${route.method} ${route.path}: cannot fill ${missing.join(', ')}`);
        continue;
      }
      const base = { params };
      if (call.body !== undefined) base.body = fn(call.body);
      else if (['POST', 'PUT', 'PATCH'].includes(route.method) && call.raw === undefined) base.body = {};
      if (call.raw !== undefined) { base.raw = call.raw; base.contentType = call.contentType; }
      const headers = tok ? { Authorization: `Bearer ${tok.token}` } : {};
      if (call.ifMatch) headers['If-Match'] = (await etagOf(B, call.p.id, params.id)) || '"1"';
      if (call.ifMatchA) headers['If-Match'] = (await etagOf(A, call.p.id.slice(2), params.id)) || '"1"';
      base.headers = headers;
      const queries = [];
      const q0 = fn(call.query);
      if (call.kind === 'list') {
        queries.push(q0 || undefined, { ...q0, q: F.B.M });
        for (const [name, key] of Object.entries(call.filters)) queries.push({ ...q0, [name]: value(key) });
        if (!call.noFormat) queries.push({ ...q0, format: 'csv' }, { ...q0, format: 'xlsx' });
      } else queries.push(q0);
      for (const query of queries) {
        const what = `${route.method} ${route.path}${query ? `?${new URLSearchParams(query)}` : ''} [${call.kind}${call.portal ? ', portal' : ''}${tok ? ', API token' : ''}]`;
        const r = await send(who, route, { ...base, query });
        statuses.push(r.status);
        checkLeak(r, what);
        const detail = `${what}: ${r.status} ${(r.text || '').slice(0, 200)}`;
        if (r.status >= 500) problems.push(`${detail} (a server error)`);
        else if (r.status === 401 && !call.last && !call.allow401) problems.push(`${detail} (signed out?)`);
        else if (call.kind === 'b') {
          const ok = [...(call.ok || [404]), ...(tok ? [403] : [])];
          if (!ok.includes(r.status)) problems.push(`${detail} (aimed at B's record: expected ${ok.join('/')})`);
        } else if (call.kind === 'refuse') {
          if (r.status < 400) problems.push(`${detail} (names B's records: must be refused)`);
          else if (r.status === 422) {
            // refused for naming B's record, not for something else: an
            // error names a field whose value is B's (it differs when the
            // line is evaluated with A's fixtures in B's place)
            const asA = { A: F.A, B: F.A };
            const keys = new Set();
            for (const [mine, theirs] of [[fn(call.body), typeof call.body === 'function' ? call.body(asA) : call.body],
              [q0, typeof call.query === 'function' ? call.query(asA) : call.query]]) {
              for (const k of Object.keys(mine || {})) if (JSON.stringify(mine[k]) !== JSON.stringify(theirs?.[k])) keys.add(k);
            }
            const errs = (JSON.parse(r.bytes.toString() || '{}').errors || []).map((e) => String(e.field).split(/[.[]/)[0]);
            if (!errs.some((f) => keys.has(f))) problems.push(`${detail} (refused, but for another field than the one naming B)`);
          }
        } else if (call.kind === 'operator') {
          if (r.status !== 403) problems.push(`${detail} (the operator's: expected 403)`);
        }
      }
    }
    if (statuses.length && !tok) walked.push({ method: route.method, path: route.path, statuses });
  }

  /* B's records as B reads them: every GET line aimed at a B fixture. */
  async function readB() {
    const out = new Map();
    for (const route of ROUTES) {
      if (route.method !== 'GET' || route.access === 'contact') continue;
      for (const call of callsOf(route) || []) {
        if (call.kind !== 'b') continue;
        const { params, missing } = fillParams(route, call);
        if (missing.length) continue;
        const r = await B.req('GET', route.path, { params, query: fn(call.query), binary: true });
        // request ids and clocks (a preview's cutoff) move on every read
        const body = /json/.test(r.headers.get('content-type') || '')
          ? r.bytes.toString().replace(/"(request_id|cutoff)":"[^"]*"/g, '')
          : `${r.headers.get('content-type')}`; // a PDF's clock moves too: its record's JSON read covers it
        out.set(`${route.path} ${JSON.stringify(params)}`, { status: r.status, body });
      }
    }
    return out;
  }

  before(async () => {
    srv = await startServer({ env: { ATRIUM_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    rx = await startReceiver();
    op = await adminClient(srv);
    op.password = srv.admin.password;
    await reauth(op);
    const bk = await op.req('POST', '/api/v1/backups', { body: { kind: 'manual' } });
    assert.equal(bk.status, 201, `the operator's backup: ${bk.status} ${bk.text}`);
    opFix.backup = bk.body.id;
    // A first: its webhook and automation exist while B's records are made.
    A = await newBusiness(srv, 'Business A', `boss.${uniq('a')}@example.test`, PASSWORD.A);
    A.as = 'business-admin'; // its 403s on the installation's routes count for the route meta-test
    F.A = await makeOrg(srv, A, `ZQ-ORGA-${uniq('')}`, { rx, hookPath: '/ok/a/' });
    F.A.id.admin = A.me.id;
    B = await newBusiness(srv, 'Business B', `boss.${uniq('b')}@example.test`, PASSWORD.B);
    F.B = await makeOrg(srv, B, `ZQ-ORGB-${uniq('')}`, { rx, hookPath: '/ok/b/' });
    F.B.id.admin = B.me.id;
    secretsB = [F.B.M.toLowerCase(), F.B.extra.token.toLowerCase()];
    // An API token of A (an administrator may hold none): a member of A
    // whose role holds every capability of every module.
    const mods = await A.req('GET', '/api/v1/permissions/modules');
    assert.equal(mods.status, 200, mods.text);
    const all = Object.fromEntries(mods.body.data.filter((m) => m.capabilities.length).map((m) => [m.module, m.capabilities]));
    const role = await A.req('POST', '/api/v1/roles', { body: { name: 'A everything', permissions: all } });
    assert.equal(role.status, 201, role.text);
    const integ = await A.req('POST', '/api/v1/staff', {
      body: { email: `integration.${uniq('a')}@example.test`, name: 'A integration', role_id: role.body.id },
    });
    assert.equal(integ.status, 201, integ.text);
    await reauth(A);
    const minted = await A.req('POST', '/api/v1/api-tokens', { body: { name: 'A integration token', staff_id: integ.body.id } });
    assert.equal(minted.status, 201, `A's token: ${minted.text}`);
    tokA = Object.assign(client(srv.base), { token: minted.body.token });
    portalA = client(srv.base);
    const pl = await portalA.req('POST', '/api/v1/portal/auth/login', { body: { email: F.A.extra.contactEmail, password: PASSWORD.A } });
    assert.equal(pl.status, 200, `A's portal contact: ${pl.text}`);
  });

  after(async () => {
    await rx?.close();
    await srv?.stop();
  });

  it('every session, perm and contact route has a line in the isolation table', () => {
    const missing = ROUTES.filter((r) => !callsOf(r)).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(missing, [], 'routes the walk cannot call: add a line to tests/http/isolation-table.mjs');
  });

  it('the table\'s operator lines are exactly the perm routes the route table marks operator_org', () => {
    const wrong = ROUTES.filter((r) => r.access === 'perm')
      .filter((r) => Boolean(r.operator_org) !== (callsOf(r) || []).some((c) => c.kind === 'operator'))
      .map((r) => `${r.method} ${r.path} (operator_org ${Boolean(r.operator_org)})`);
    assert.deepEqual(wrong, [], 'an operator() line for a route not marked operator_org, or the reverse');
  });

  it('the walk\'s searches are not vacuous: B finds its marker, A finds its own in lists, CSV, xlsx and PDF', async () => {
    for (const p of ['/api/v1/leads', '/api/v1/clients', '/api/v1/tickets', '/api/v1/contacts']) {
      const r = await B.req('GET', p, { query: { q: F.B.M } });
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      assert.ok(r.text.toLowerCase().includes(F.B.M.toLowerCase()), `${p}?q= finds B's marker for B`);
    }
    // The same reading of answers the walk uses sees A's own marker.
    const mineA = F.A.M.toLowerCase();
    for (const [p, query, params] of [['/api/v1/leads', { q: F.A.M }], ['/api/v1/leads', { format: 'csv' }],
      ['/api/v1/leads', { format: 'xlsx' }], ['/api/v1/activity/export', {}],
      ['/api/v1/ticket-attachments/{id}', undefined, { id: F.A.id.attachment }],
      ['/api/v1/invoices/{id}/pdf', undefined, { id: F.A.id.invoice }]]) {
      const r = await A.req('GET', p, { query, params, binary: true });
      assert.equal(r.status, 200, `${p}: ${r.status}`);
      assert.ok(searchable(r).includes(mineA), `${p} ${JSON.stringify(query)}: A's marker is read in A's answer`);
    }
  });

  it('A\'s administrator and portal contact walk every route: nothing of B is seen or changed', async () => {
    snapshot.clear();
    for (const [k, v] of await readB()) snapshot.set(k, v);
    activityMaxB = Number(srv.sql(`SELECT COALESCE(MAX(seq), 0) FROM activity_log WHERE org_id = ${F.B.id.org}`).stdout);
    await reauth(A);
    for (const route of ROUTES) if (callsOf(route)) await walkRoute(route, false);
    for (const route of ROUTES) if (callsOf(route)) await walkRoute(route, true);
    // The same with an API token of A (no session).
    for (const route of ROUTES) if (callsOf(route)) await walkRoute(route, false, tokA);
    fs.mkdirSync(path.dirname(WALK_FILE), { recursive: true });
    fs.appendFileSync(WALK_FILE, walked.map((w) => `${JSON.stringify({ ...w, db: PG_BASE ? 'pg' : 'sqlite' })}\n`).join(''));
    assert.deepEqual(problems, [], 'isolation problems');
  });

  it('afterwards B\'s records are as they were, and B\'s activity chain gained no row', async () => {
    const after = await readB();
    const changed = [];
    for (const [k, v] of snapshot) {
      const now = after.get(k);
      if (!now || now.status !== v.status || now.body !== v.body) changed.push(`${k}: ${v.status} -> ${now?.status}\n  was ${String(v.body).slice(0, 300)}\n  now ${String(now?.body).slice(0, 300)}`);
    }
    assert.deepEqual(changed, [], 'B\'s records changed during the walk');
    const rows = srv.sql(`SELECT seq, actor_id, action, entity, entity_id FROM activity_log WHERE org_id = ${F.B.id.org} AND seq > ${activityMaxB} ORDER BY seq`).stdout;
    assert.equal(rows, '', 'B\'s activity rows written during the walk');
  });

  it('the background: A\'s webhook, automation and logs know nothing of B\'s records', async () => {
    // The walk ended with A's sign-out: sign in again.
    const again = client(srv.base);
    await again.login(A.email, A.password);
    A = Object.assign(again, { me: A.me, orgId: A.orgId, password: A.password, email: A.email });
    // B's own webhook got B's events (the dispatcher ran), A's got none of them.
    assert.ok(rx.at('/ok/b/').length > 0, 'B\'s webhook got its messages');
    const mine = rx.at('/ok/a/');
    assert.ok(mine.length > 0, 'A\'s webhook got A\'s messages');
    const bLeads = [F.B.id.lead, F.B.id.lead2];
    for (const m of mine) {
      assert.ok(!m.body.toLowerCase().includes(F.B.M.toLowerCase()), `A's webhook message about B: ${m.body.slice(0, 300)}`);
      assert.ok(m.verified[Object.keys(m.verified)[0]] !== undefined, 'signed');
    }
    const runs = await A.req('GET', '/api/v1/automation_runs', { query: { limit: 200 } });
    assert.equal(runs.status, 200, runs.text);
    for (const run of runs.body.data) {
      assert.ok(!(run.entity === 'lead' && [F.B.id.lead, F.B.id.lead2].includes(run.record_id)), `A's automation ran on B's lead: ${JSON.stringify(run)}`);
      assert.notEqual(run.automation_id, F.B.id.automation);
    }
    assert.ok(runs.body.data.some((run) => run.record_id === F.A.id.lead2), 'A\'s automation ran on A\'s lead');
    const notes = await A.req('GET', '/api/v1/notifications', { query: { limit: 200 } });
    assert.ok(!notes.text.toLowerCase().includes(F.B.M.toLowerCase()), 'A\'s notifications');
    for (const [p, q] of [['/api/v1/activity', { entity_id: F.B.id.lead }], ['/api/v1/events', { limit: 200 }],
      ['/api/v1/api-requests', { limit: 200 }], ['/api/v1/webhook-deliveries', { limit: 200 }]]) {
      const r = await A.req('GET', p, { query: q });
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      assert.ok(!r.text.toLowerCase().includes(F.B.M.toLowerCase()), `${p} shows B`);
      if (p === '/api/v1/events') {
        for (const e of r.body.data) assert.ok(!(e.entity === 'lead' && bLeads.includes(e.entity_id)), `A's events hold B's lead ${e.entity_id}`);
      }
    }
  });
});
