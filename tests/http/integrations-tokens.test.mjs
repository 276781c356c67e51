// API tokens (issue 10): creation with the password re-entered, the token
// shown once in a recognisable format with a checksum, only a hash stored;
// Authorization: Bearer through the same pipeline and permission check as a
// session, narrowed by the key role and never more than the owner; no CSRF;
// session-only routes refuse tokens; revoked, expired, deactivated owners,
// administrators' tokens and foreign networks refused; the per-token rate
// limit (429, Retry-After, RateLimit headers); last use and requests per day;
// the weekly check (stale=true); edits, revocation and their activity rows;
// 401 and 403 on every route; the API request log written in batches.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, addRole, addMember,
  raiseSeats, uniq, waitFor, ISO_MS,
} from './harness.mjs';

const TOKENS = '/api/v1/api-tokens';
const ONE = '/api/v1/api-tokens/{id}';
const REVOKE = '/api/v1/api-tokens/{id}/revoke';
const TOKEN_RE = /^atr_[0-9A-Za-z]{42}$/;

describe('API tokens', () => {
  let srv;
  let admin;
  let integ; // the integration user: leads view + create
  let role;

  /* A client that sends only the bearer token (no cookie, no CSRF). */
  const bearer = (token) => {
    const c = client(srv.base);
    const req = c.req.bind(c);
    c.req = (m, p, o = {}) => req(m, p, { ...o, headers: { Authorization: `Bearer ${token}`, ...(o.headers || {}) } });
    return c;
  };

  async function reauth(c, password) {
    const r = await c.req('POST', '/api/v1/auth/reauth', { body: { password } });
    assert.equal(r.status, 200, r.text);
  }

  async function mint(body) {
    const r = await admin.req('POST', TOKENS, { body: { name: uniq('Zapier - Leads '), staff_id: integ.id, ...body } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    role = await addRole(admin, uniq('Integration '), { leads: ['view', 'create'] });
    integ = await addMember(srv, admin, { role_id: role.id }, 'integration');
    await reauth(admin, srv.admin.password);
  });
  after(async () => { await srv?.stop(); });

  it('creating a token needs the password re-entered (403 reauth-required)', async () => {
    const a2 = await adminClient(srv);
    const r = await a2.req('POST', TOKENS, { body: { name: 'x', staff_id: integ.id } });
    assertProblem(r, 403, 'reauth-required');
  });

  it('POST: the token is shown once (prefix, checksum), only a hash is stored, expiry defaults to a year', async () => {
    const r = await admin.req('POST', TOKENS, {
      body: { name: 'Make.com - Leads Sync', description: 'the leads import', staff_id: integ.id },
    });
    assert.equal(r.status, 201, r.text);
    assert.match(r.body.token, TOKEN_RE);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.body.prefix, r.body.token.slice(0, 12));
    assert.equal(r.body.status, 'active');
    assert.equal(r.body.staff_id, integ.id);
    assert.match(r.body.expires_at, ISO_MS);
    const days = (Date.parse(r.body.expires_at) - Date.now()) / 86400000;
    assert.ok(days > 364 && days < 366, `expires in ${days} days`);
    assert.equal(r.headers.get('location'), `/api/v1/api-tokens/${r.body.id}`);
    const got = await admin.req('GET', ONE, { params: { id: r.body.id } });
    assert.equal(got.status, 200);
    assert.equal(got.body.token, undefined, 'never shown again');
    assert.ok(!got.text.includes(r.body.token));
    const list = await admin.req('GET', TOKENS, { query: { q: 'Make.com' } });
    assert.equal(list.status, 200);
    assert.ok(list.body.data.some((t) => t.id === r.body.id));
    assert.ok(!list.text.includes(r.body.token));
    const stored = srv.sql(`SELECT token_hash FROM api_token WHERE id = ${r.body.id}`).stdout;
    assert.match(stored, /^[0-9a-f]{64}$/);
    assert.ok(!stored.includes(r.body.token.slice(4)));
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'api_token', entity_id: r.body.id } });
    assert.equal(act.body.data[0].action, 'create');
    assert.ok(!act.text.includes(r.body.token));
  });

  it('POST: every invalid field is named at once', async () => {
    assertFieldErrors(await admin.req('POST', TOKENS, { body: {} }), { name: 'required', staff_id: 'required' });
    const r = await admin.req('POST', TOKENS, {
      body: {
        name: 'x'.repeat(101), staff_id: integ.id, permissions: { nosuch: ['view'] },
        allowed_networks: ['not-a-net'], rate_limit: 1000001,
        expires_at: '2001-01-01T00:00:00Z', never_expires: true, extra: 1,
      },
    });
    assertFieldErrors(r, {
      name: 'too_long', 'permissions.nosuch': null, allowed_networks: 'invalid', rate_limit: 'out_of_range',
      expires_at: 'in_past', never_expires: 'conflict', extra: 'unknown_field',
    });
    assertFieldErrors(await admin.req('POST', TOKENS, { body: { name: 'x', staff_id: 987654 } }), { staff_id: 'not_found' });
    assertFieldErrors(await admin.req('POST', TOKENS, { body: { name: 'x', staff_id: admin.me.id } }), { staff_id: 'admin' });
    assertFieldErrors(await admin.req('POST', TOKENS, { body: { name: 'x', staff_id: integ.id, rate_limit: 0 } }),
      { rate_limit: null });
    assertFieldErrors(await admin.req('POST', TOKENS, { body: { name: 'x', staff_id: integ.id, expires_at: 'soon' } }),
      { expires_at: null });
    assertFieldErrors(await admin.req('POST', TOKENS, { body: { name: 'a\nb', staff_id: integ.id } }), { name: null });
  });

  it('Bearer works through the permission check with no CSRF token; the key role narrows; never beyond the owner', async () => {
    const full = await mint({});
    const t = bearer(full.token);
    const list = await t.req('GET', '/api/v1/leads');
    assert.equal(list.status, 200, list.text);
    assert.ok(list.headers.get('ratelimit-policy'), 'RateLimit-Policy header');
    const made = await t.req('POST', '/api/v1/leads', { body: { name: uniq('via token ') } });
    assert.equal(made.status, 201, made.text);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'lead', entity_id: made.body.id } });
    assert.equal(act.body.data[0].actor_id, integ.id, 'the change is the owner\'s');
    // beyond the owner's role: clients
    assertProblem(await t.req('GET', '/api/v1/clients'), 403);
    // narrowed to view by the key role
    const narrow = await mint({ permissions: { leads: ['view'], clients: ['view'] } });
    const n = bearer(narrow.token);
    assert.equal((await n.req('GET', '/api/v1/leads')).status, 200);
    assertProblem(await n.req('POST', '/api/v1/leads', { body: { name: 'no' } }), 403);
    assertProblem(await n.req('GET', '/api/v1/clients'), 403, null); // key role cannot widen the owner
    const me = await n.req('GET', '/api/v1/auth/me');
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.api_token.id, narrow.id);
    assert.deepEqual(me.body.staff.permissions, { leads: ['view'] });
  });

  it('session-only routes refuse tokens: password change, sessions, 2FA, token management', async () => {
    const { token } = await mint({});
    const t = bearer(token);
    const refusals = [
      ['POST', '/api/v1/auth/password/change', { body: { current_password: 'x', new_password: 'y' } }],
      ['GET', '/api/v1/auth/sessions', {}],
      ['GET', '/api/v1/auth/2fa', {}],
      ['GET', TOKENS, {}],
      ['POST', TOKENS, { body: { name: 'x', staff_id: integ.id } }],
    ];
    for (const [m, p, o] of refusals) {
      const r = await t.req(m, p, o);
      assertProblem(r, 403);
      assert.match(r.body.detail || r.body.title, /session|API token/i, `${m} ${p}: ${r.text}`);
    }
  });

  it('a wrong checksum, a revoked or expired token, an inactive owner: 401 at once', async () => {
    const a = await mint({});
    const bad = `${a.token.slice(0, -1)}${a.token.endsWith('A') ? 'B' : 'A'}`;
    assertProblem(await bearer(bad).req('GET', '/api/v1/leads'), 401);
    assertProblem(await bearer('atr_short').req('GET', '/api/v1/leads'), 401);
    const r = await admin.req('POST', REVOKE, { params: { id: a.id }, body: { reason: 'left the company' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'revoked');
    assert.equal(r.body.revoked_reason, 'left the company');
    assertProblem(await bearer(a.token).req('GET', '/api/v1/leads'), 401);
    assertProblem(await admin.req('POST', REVOKE, { params: { id: a.id }, body: {} }), 409);

    const e = await mint({});
    assert.equal((await bearer(e.token).req('GET', '/api/v1/leads')).status, 200);
    assert.equal(srv.sql(`UPDATE api_token SET expires_at = '2001-01-01T00:00:00.000Z' WHERE id = ${e.id}`).status, 0);
    assertProblem(await bearer(e.token).req('GET', '/api/v1/leads'), 401);
    const ex = await admin.req('GET', ONE, { params: { id: e.id } });
    assert.equal(ex.body.status, 'expired');

    // Offboarding: deactivating the member stops every token of theirs at once.
    const leaver = await addMember(srv, admin, { role_id: role.id }, 'leaver');
    const lt = await admin.req('POST', TOKENS, { body: { name: 'ERP Sync', staff_id: leaver.id, never_expires: true } });
    assert.equal(lt.status, 201, lt.text);
    assert.equal(lt.body.expires_at, null, 'never, said explicitly');
    assert.equal((await bearer(lt.body.token).req('GET', '/api/v1/leads')).status, 200);
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: leaver.id } });
    assert.equal(d.status, 200, d.text);
    assertProblem(await bearer(lt.body.token).req('GET', '/api/v1/leads'), 401);
    const listed = await admin.req('GET', TOKENS, { query: { staff_id: leaver.id } });
    assert.equal(listed.body.data[0].status, 'owner_inactive');
  });

  it('a bearer header is the token\'s answer, never the session cookie beside it', async () => {
    const a = await mint({});
    const bad = `${a.token.slice(0, -1)}${a.token.endsWith('A') ? 'B' : 'A'}`;
    // The administrator's valid cookie does not rescue a bad token.
    assertProblem(await admin.req('GET', '/api/v1/leads', { headers: { Authorization: `Bearer ${bad}` } }), 401);
    // A good token beside the cookie: the caller is the token's owner.
    const me = await admin.req('GET', '/api/v1/auth/me', { headers: { Authorization: `Bearer ${a.token}` } });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.staff.id, integ.id);
    assert.equal(me.body.api_token.id, a.id);
    // Another scheme (a proxy's Basic credentials) leaves the session alone.
    const basic = await admin.req('GET', '/api/v1/auth/me', { headers: { Authorization: 'Basic dTpw' } });
    assert.equal(basic.status, 200, basic.text);
    assert.notEqual(basic.body.staff.id, integ.id);
  });

  it('an owner who becomes an administrator: the token stops (api_tokens_for_admins is off)', async () => {
    const m = await addMember(srv, admin, { role_id: role.id }, 'promoted');
    const t = await admin.req('POST', TOKENS, { body: { name: 'Mobile App', staff_id: m.id } });
    assert.equal(t.status, 201, t.text);
    assert.equal(srv.sql(`UPDATE staff SET admin = 1 WHERE id = ${m.id}`).status, 0);
    const r = await bearer(t.body.token).req('GET', '/api/v1/leads');
    assertProblem(r, 403);
    assert.match(r.body.detail || r.body.title, /administrator/);
  });

  it('allowed networks: an address outside them is refused', async () => {
    const out = await mint({ allowed_networks: ['203.0.113.0/24', '2001:db8::/32'] });
    const r = await bearer(out.token).req('GET', '/api/v1/leads');
    assertProblem(r, 403);
    const inside = await mint({ allowed_networks: ['127.0.0.0/8'] });
    assert.equal((await bearer(inside.token).req('GET', '/api/v1/leads')).status, 200);
  });

  it('rate limit: 429 with Retry-After and the RateLimit headers past the token\'s limit', async () => {
    const { token } = await mint({ rate_limit: 3 });
    const t = bearer(token);
    const seen = [];
    // Seven requests: even if the minute window turns between two of them,
    // one window holds at least four, one past the limit.
    for (let i = 0; i < 7; i++) seen.push(await t.req('GET', '/api/v1/leads'));
    const codes = seen.map((r) => r.status);
    assert.ok(codes.includes(429), `statuses ${codes}`);
    const limited = seen.find((r) => r.status === 429);
    assertProblem(limited, 429);
    assert.match(limited.headers.get('retry-after'), /^\d+$/);
    assert.match(limited.headers.get('ratelimit-policy'), /^"token";q=3;w=60$/);
    assert.match(limited.headers.get('ratelimit'), /^"token";r=0;t=\d+$/);
    assert.match(seen[0].headers.get('ratelimit'), /^"token";r=2;t=\d+$/);
  });

  it('rate limit across nodes (PostgreSQL): the minute\'s requests of the other nodes count; SQLite keeps its count in memory', async () => {
    // not in the last seconds of a minute: the count below is the minute's
    const sec = new Date().getUTCSeconds();
    if (sec >= 50) await new Promise((r) => { setTimeout(r, (61 - sec) * 1000); });
    const { id, token } = await mint({ rate_limit: 5 });
    const minute = new Date(Math.floor(Date.now() / 60000) * 60000).toISOString();
    const t = bearer(token);
    if (srv.pg) {
      // four requests of this minute made on other nodes
      const ins = srv.sql(`INSERT INTO api_token_window (token_id, window_start, requests) VALUES (${id}, '${minute}', 4)`);
      assert.equal(ins.status, 0, ins.stderr);
      const first = await t.req('GET', '/api/v1/leads');
      assert.equal(first.status, 200, first.text);
      assert.match(first.headers.get('ratelimit'), /^"token";r=0;t=\d+$/);
      assertProblem(await t.req('GET', '/api/v1/leads'), 429);
      const got = srv.sql(`SELECT requests FROM api_token_window WHERE token_id = ${id} AND window_start = '${minute}'`);
      assert.equal(got.stdout.trim(), '5', 'this node added its request, not the refused one');
    } else {
      const seen = [];
      for (let i = 0; i < 6; i++) seen.push((await t.req('GET', '/api/v1/leads')).status);
      assert.deepEqual(seen, [200, 200, 200, 200, 200, 429]);
      assert.equal(srv.sql(`SELECT COUNT(*) FROM api_token_window WHERE token_id = ${id}`).stdout.trim(), '0');
    }
  });

  it('an upload by token counts once: the credential check before its body counts nothing', async () => {
    const upRole = await addRole(admin, uniq('Uploader '), { imports: ['view', 'create'], leads: ['view', 'create'] });
    const up = await addMember(srv, admin, { role_id: upRole.id }, 'uploader');
    const r = await admin.req('POST', TOKENS, { body: { name: uniq('Uploads '), staff_id: up.id, rate_limit: 10 } });
    assert.equal(r.status, 201, r.text);
    const t = bearer(r.body.token);
    const first = await t.req('GET', '/api/v1/imports');
    assert.equal(first.status, 200, first.text);
    const left = Number(/r=(\d+)/.exec(first.headers.get('ratelimit'))[1]);
    const u = await t.req('POST', '/api/v1/imports', { query: { entity: 'leads', filename: 't.csv' }, raw: Buffer.from('name\nx\n'), contentType: 'text/csv' });
    assert.equal(u.status, 201, u.text);
    const after = Number(/r=(\d+)/.exec(u.headers.get('ratelimit'))[1]);
    // one less (a new minute's window would have more left, never fewer)
    assert.ok(after === left - 1 || after >= left, `left ${left}, then ${after}`);
  });

  it('usage: last use, address and requests per day, written in batches; the weekly check', async () => {
    const u = await mint({});
    const t = bearer(u.token);
    for (let i = 0; i < 3; i++) assert.equal((await t.req('GET', '/api/v1/leads')).status, 200);
    const got = await admin.req('GET', ONE, { params: { id: u.id } });
    assert.match(got.body.last_used_at, ISO_MS, 'the first request is written at once');
    assert.equal(got.body.last_used_ip, '127.0.0.1');
    assert.ok(got.body.requests_today >= 1, JSON.stringify(got.body));
    assert.ok(Array.isArray(got.body.usage) && got.body.usage.length === 1, JSON.stringify(got.body.usage));
    assert.equal(got.body.unused_6_months, false);
    assert.equal(got.body.unusual_volume, false);
    // Writes are batched: the three requests did not write three times.
    assert.ok(got.body.requests_today < 3, `requests_today ${got.body.requests_today}: written per request?`);

    const old = await mint({});
    assert.equal(srv.sql(`UPDATE api_token SET last_used_at = '2020-01-01T00:00:00.000Z' WHERE id = ${old.id}`).status, 0);
    const stale = await admin.req('GET', TOKENS, { query: { stale: 'true', limit: 200 } });
    assert.equal(stale.status, 200, stale.text);
    assert.ok(stale.body.data.some((x) => x.id === old.id && x.unused_6_months === true));
    assert.ok(!stale.body.data.some((x) => x.id === u.id));
    // unusual volume: a day far above the usual
    const day = new Date().toISOString().slice(0, 10);
    assert.equal(srv.sql(`INSERT INTO api_token_usage (token_id, day, requests) VALUES (${old.id}, '${day}', 5000)`).status, 0);
    const hot = await admin.req('GET', ONE, { params: { id: old.id } });
    assert.equal(hot.body.unusual_volume, true);
    assertProblem(await admin.req('GET', TOKENS, { query: { stale: 'yes' } }), 400);
    assertProblem(await admin.req('GET', TOKENS, { query: { status: 'nope' } }), 400);
    const active = await admin.req('GET', TOKENS, { query: { status: 'active', limit: 200 } });
    assert.ok(active.body.data.every((x) => x.status === 'active'));
  });

  it('PATCH: name, key role, networks, limit and expiry; every invalid field; If-Match; 404', async () => {
    const a = await mint({});
    const r = await admin.req('PATCH', ONE, {
      params: { id: a.id },
      body: { name: 'Zapier - Leads 2026', permissions: { leads: ['view'] }, rate_limit: 50, never_expires: true },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'Zapier - Leads 2026');
    assert.deepEqual(r.body.permissions, { leads: ['view'] });
    assert.equal(r.body.rate_limit, 50);
    assert.equal(r.body.expires_at, null);
    assert.equal(r.body.version, 2);
    assertProblem(await bearer(a.token).req('POST', '/api/v1/leads', { body: { name: 'x' } }), 403);
    assertFieldErrors(await admin.req('PATCH', ONE, {
      params: { id: a.id },
      body: { name: '', permissions: { leads: ['fly'] }, allowed_networks: ['1.2.3.4/99'], staff_id: 3 },
    }), { name: null, 'permissions.leads': null, allowed_networks: 'invalid', staff_id: 'unknown_field' });
    assertProblem(await admin.req('PATCH', ONE, { params: { id: a.id }, headers: { 'If-Match': '"1"' }, body: { name: 'y' } }), 412);
    assertProblem(await admin.req('PATCH', ONE, { params: { id: 987654 }, body: { name: 'y' } }), 404);
    assertProblem(await admin.req('GET', ONE, { params: { id: 987654 } }), 404);
    assertProblem(await admin.req('POST', REVOKE, { params: { id: 987654 }, body: {} }), 404);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'api_token', entity_id: a.id } });
    assert.equal(act.body.data[0].action, 'update');
    assert.deepEqual(act.body.data[0].diff.rate_limit, { from: 600, to: 50 });
  });

  it('401 without a session or token, 403 without the api_tokens permission', async () => {
    const anon = client(srv.base);
    const staff = await staffClient(srv);
    const routes = [
      ['GET', TOKENS, {}], ['POST', TOKENS, { body: { name: 'x', staff_id: 1 } }],
      ['GET', ONE, { params: { id: 1 } }], ['PATCH', ONE, { params: { id: 1 }, body: { name: 'x' } }],
      ['POST', REVOKE, { params: { id: 1 }, body: {} }],
    ];
    for (const [m, p, o] of routes) {
      assertProblem(await anon.req(m, p, o), 401);
      assertProblem(await staff.req(m, p, o), 403);
    }
  });

  it('a member with api_tokens.create cannot mint a token for a member who holds more', async () => {
    const keeper = await addRole(admin, uniq('Token keeper '), { api_tokens: ['view', 'create', 'edit'] });
    const k = await addMember(srv, admin, { role_id: keeper.id }, 'keeper');
    await reauth(k, `Temp-${k.record.email.split('@')[0]}-password-changed`);
    const r = await k.req('POST', TOKENS, { body: { name: 'escalate', staff_id: integ.id } });
    assertProblem(r, 403);
    const own = await k.req('POST', TOKENS, { body: { name: 'my own', staff_id: k.id } });
    assert.equal(own.status, 201, own.text);

    // Nor widen one: editing another member's token needs the same right.
    const theirs = await mint({ permissions: { leads: ['view'] } });
    const widen = await k.req('PATCH', ONE, { params: { id: theirs.id }, body: { permissions: null, allowed_networks: [] } });
    assertProblem(widen, 403);
    const still = await admin.req('GET', ONE, { params: { id: theirs.id } });
    assert.deepEqual(still.body.permissions, { leads: ['view'] }, 'unchanged');
    const mine = await k.req('PATCH', ONE, { params: { id: own.body.id }, body: { description: 'mine' } });
    assert.equal(mine.status, 200, mine.text);
    // Revoking needs no such right (offboarding).
    const rv = await k.req('POST', REVOKE, { params: { id: theirs.id }, body: { reason: 'leak' } });
    assert.equal(rv.status, 200, rv.text);
  });

  it('editing a token needs the password re-entered, like creating one', async () => {
    const t = await mint({});
    const a2 = await adminClient(srv);
    const r = await a2.req('PATCH', ONE, { params: { id: t.id }, body: { name: 'renamed' } });
    assertProblem(r, 403, 'reauth-required');
    await reauth(a2, srv.admin.password);
    const ok = await a2.req('PATCH', ONE, { params: { id: t.id }, body: { name: uniq('renamed ') } });
    assert.equal(ok.status, 200, ok.text);
  });

  it('deleting a member forces a choice for their tokens: revoke, or move to the member who takes over', async () => {
    const a = await addMember(srv, admin, { role_id: role.id }, 'departing');
    const b = await addMember(srv, admin, { role_id: role.id }, 'successor');
    const t1 = await admin.req('POST', TOKENS, { body: { name: 'ERP Sync', staff_id: a.id } });
    assert.equal(t1.status, 201, t1.text);
    const del = (query) => admin.req('DELETE', '/api/v1/staff/{id}', { params: { id: a.id }, query });
    assertFieldErrors(await del({ reassign_to: b.id }), { tokens: 'required' });
    assertFieldErrors(await del({ reassign_to: b.id, tokens: 'keep' }), { tokens: 'invalid' });
    assertFieldErrors(await del({ reassign_to: admin.me.id, tokens: 'move' }), { tokens: 'admin' });
    const moved = await del({ reassign_to: b.id, tokens: 'move' });
    assert.equal(moved.status, 200, moved.text);
    assert.deepEqual(moved.body.reassigned.api_token, { moved: 1 });
    const me = await bearer(t1.body.token).req('GET', '/api/v1/auth/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.staff.id, b.id, 'the token now acts as the successor');
    const t2 = await admin.req('POST', TOKENS, { body: { name: 'Mobile App', staff_id: b.id } });
    const c = await addMember(srv, admin, { role_id: role.id }, 'next');
    const gone = await admin.req('DELETE', '/api/v1/staff/{id}', { params: { id: b.id }, query: { reassign_to: c.id, tokens: 'revoke' } });
    assert.equal(gone.status, 200, gone.text);
    assert.deepEqual(gone.body.reassigned.api_token, { revoked: 2 });
    assertProblem(await bearer(t2.body.token).req('GET', '/api/v1/leads'), 401);
    assertProblem(await bearer(t1.body.token).req('GET', '/api/v1/leads'), 401);
  });

  it('the API request log keeps every line of a burst, each with its own values (multi-row writes)', async () => {
    const u = await mint({});
    const t = bearer(u.token);
    // 73 requests, 8 at a time (well inside a second: the log writes a
    // second's lines in INSERTs of 64, 8 and 1 rows); each line must keep
    // its own path and status.
    const ids = Array.from({ length: 73 }, (_, i) => 900000 + i);
    for (let i = 0; i < ids.length; i += 8) {
      const res = await Promise.all(ids.slice(i, i + 8).map((id) => t.req('GET', `/api/v1/leads/${id}`)));
      for (const r of res) assert.equal(r.status, 404);
    }
    assert.equal((await t.req('GET', '/api/v1/leads')).status, 200);
    const rows = await waitFor(async () => {
      const r = await admin.req('GET', '/api/v1/api-requests', { query: { token_id: u.id, limit: 200 } });
      return r.status === 200 && r.body.data.length === 74 ? r.body.data : null;
    }, { what: 'the 74 token requests in the log' });
    const paths = rows.filter((x) => x.status === 404).map((x) => x.path).sort();
    assert.deepEqual(paths, ids.map((id) => `/api/v1/leads/${id}`).sort());
    const ok = rows.filter((x) => x.status === 200);
    assert.equal(ok.length, 1);
    assert.equal(ok[0].path, '/api/v1/leads');
    assert.equal(new Set(rows.map((x) => x.request_id)).size, 74, 'each line its own request id');
    for (const x of rows) {
      assert.equal(x.method, 'GET');
      assert.equal(x.via, 'token');
      assert.equal(x.token_id, u.id);
    }
  });

  it('the API request log records token and session requests (no bodies), with filters and CSV export', async () => {
    const u = await mint({});
    const t = bearer(u.token);
    assert.equal((await t.req('GET', '/api/v1/leads', { query: { q: 'secret-query-text' } })).status, 200);
    const rows = await waitFor(async () => {
      const r = await admin.req('GET', '/api/v1/api-requests', { query: { token_id: u.id } });
      return r.status === 200 && r.body.data.length ? r.body.data : null;
    }, { what: 'the token request in the log' });
    assert.equal(rows[0].path, '/api/v1/leads');
    assert.equal(rows[0].method, 'GET');
    assert.equal(rows[0].status, 200);
    assert.equal(rows[0].via, 'token');
    assert.equal(rows[0].staff_id, integ.id);
    assert.match(rows[0].request_id, /^[0-9a-f]{32}$/);
    assert.ok(!JSON.stringify(rows).includes('secret-query-text'), 'no query strings');
    const sess = await waitFor(async () => {
      const r = await admin.req('GET', '/api/v1/api-requests', { query: { staff_id: admin.me.id } });
      return r.body.data && r.body.data.length ? r.body.data : null;
    }, { what: 'session requests in the log' });
    assert.ok(sess.some((x) => x.via === 'session' && x.session_id));
    const csv = await admin.req('GET', '/api/v1/api-requests/export', { query: { token_id: u.id } });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type'), /^text\/csv/);
    assert.match(csv.text, /^id,at,method,path,status,duration_ms,via,staff_id,token_id,session_id,ip,request_id,local_time\r\n/);
    assert.ok(csv.text.includes(',GET,/api/v1/leads,200,'));
    assertProblem(await admin.req('GET', '/api/v1/api-requests', { query: { nosuch: 1 } }), 400);
    assertProblem(await admin.req('GET', '/api/v1/api-requests/export', { query: { limit: 5 } }), 400);
    const anon = client(srv.base);
    const staff = await staffClient(srv);
    for (const p of ['/api/v1/api-requests', '/api/v1/api-requests/export']) {
      assertProblem(await anon.req('GET', p), 401);
      assertProblem(await staff.req('GET', p), 403);
    }
  });
});
