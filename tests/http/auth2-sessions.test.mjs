// Sessions and login hardening: "my sessions" with revoke, an administrator
// ending all of a member's sessions, the idle and absolute timeouts, a new
// session id at login and after the second factor, throttling (429 with
// Retry-After, then the right password still works), anti-enumeration, and
// the activity rows of sign-in events (address and user agent).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq, waitFor, ISO_MS,
} from './harness.mjs';

const LOGIN = '/api/v1/auth/login';
const ME = '/api/v1/auth/me';
const SESSIONS = '/api/v1/auth/sessions';
const SESSION = '/api/v1/auth/sessions/{id}';
const END_ALL = '/api/v1/staff/{id}/sessions/end';
const ACTIVITY = '/api/v1/activity';

describe('sessions and login hardening', () => {
  let srv;
  let admin;
  let staff;

  /* Runs SQL on the server's database (SQLite waits for the worker's locks). */
  function sql(statement) {
    const r = srv.pg ? srv.sql(statement) : (() => {
      const x = spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', srv.dbFile, statement], { encoding: 'utf8' });
      return { status: x.status, stdout: (x.stdout || '').trim(), stderr: x.stderr };
    })();
    assert.equal(r.status, 0, `SQL failed: ${statement}\n${r.stderr}`);
    return r.stdout;
  }

  /* A new member (CLI, own password): {id, email, password}. */
  function member() {
    const tag = uniq('ss');
    const m = { email: `${tag}@example.test`, name: `Member ${tag}`, password: `Pw-${randomBytes(12).toString('base64url')}-s` };
    const r = srv.cli(['staff', 'add', '--email', m.email, '--name', m.name, '--password-stdin'], { input: `${m.password}\n` });
    assert.equal(r.status, 0, `staff add: ${r.stdout}${r.stderr}`);
    m.id = Number(/\(id (\d+)\)/.exec(r.stdout)[1]);
    return m;
  }

  /* Signs m in with a user agent of its own; returns the client. */
  async function signIn(m, ua = `atrium-test/${uniq('ua')}`) {
    const c = client(srv.base);
    const r = await c.req('POST', LOGIN, { body: { email: m.email, password: m.password }, headers: { 'User-Agent': ua } });
    assert.equal(r.status, 200, `login: ${r.status} ${r.text}`);
    c.ua = ua;
    c.login_body = r.body;
    return c;
  }

  async function mySessions(c) {
    const r = await c.req('GET', SESSIONS);
    assert.equal(r.status, 200, r.text);
    return r.body.data;
  }

  async function currentSessionId(c) {
    const cur = (await mySessions(c)).filter((s) => s.current);
    assert.equal(cur.length, 1, 'exactly one current session');
    return cur[0].id;
  }

  async function activityRows(query) {
    const r = await admin.req('GET', ACTIVITY, { query: { limit: 200, ...query } });
    assert.equal(r.status, 200, r.text);
    return r.body.data;
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    // Members are added through the CLI, which honours the seat limit.
    const seats = srv.cli(['org', 'seats', '1', '--extra-seats', '100']); // as the operator
    assert.equal(seats.status, 0, seats.stderr);
  });

  after(async () => {
    await srv?.stop();
  });

  // ---- my sessions -----------------------------------------------------------

  it('GET /auth/sessions lists the member\'s sessions with address, user agent and which is current', async () => {
    const m = member();
    const a = await signIn(m, 'Mozilla/5.0 (X11; Linux x86_64) atrium-test-A');
    const b = await signIn(m, 'curl/8.0 atrium-test-B');
    const list = await mySessions(a);
    assert.equal(list.length, 2, JSON.stringify(list));
    for (const s of list) {
      assert.deepEqual(Object.keys(s).sort(), ['created_at', 'current', 'expires_at', 'id', 'ip', 'last_seen_at', 'org_id', 'org_name', 'stage', 'user_agent']);
      assert.ok(Number.isInteger(s.id));
      assert.match(s.created_at, ISO_MS);
      assert.match(s.last_seen_at, ISO_MS);
      assert.match(s.expires_at, ISO_MS);
      assert.ok(Date.parse(s.expires_at) > Date.now());
      assert.equal(s.ip, '127.0.0.1');
      assert.equal(s.stage, 'full');
    }
    const mine = list.find((s) => s.current);
    assert.equal(mine.user_agent, a.ua);
    assert.equal(list.find((s) => !s.current).user_agent, b.ua);
    const fromB = await mySessions(b);
    assert.equal(fromB.find((s) => s.current).user_agent, b.ua, 'current is per caller');
    assert.ok(!JSON.stringify(list).includes(a.sessionCookie().value), 'no session token in the list');
    // Only the caller's own sessions.
    assert.ok(!(await mySessions(staff)).some((s) => list.some((x) => x.id === s.id)));
  });

  it('DELETE /auth/sessions/{id} ends one session; another member\'s id is 404', async () => {
    const m = member();
    const a = await signIn(m);
    const b = await signIn(m);
    const bId = await currentSessionId(b);
    const r = await a.req('DELETE', SESSION, { params: { id: bId } });
    assert.equal(r.status, 204, r.text);
    assertProblem(await b.req('GET', ME), 401, 'unauthorized');
    assert.equal((await a.req('GET', ME)).status, 200);
    assert.ok(!(await mySessions(a)).some((s) => s.id === bId));
    assertProblem(await a.req('DELETE', SESSION, { params: { id: bId } }), 404, 'not-found');

    const otherId = await currentSessionId(staff);
    assertProblem(await a.req('DELETE', SESSION, { params: { id: otherId } }), 404, 'not-found');
    assert.equal((await staff.req('GET', ME)).status, 200, 'the other member\'s session lives on');
    assertProblem(await a.req('DELETE', SESSION, { params: { id: 987654 } }), 404, 'not-found');

    const rows = await activityRows({ entity: 'staff', entity_id: m.id, action: 'session_revoked' });
    assert.equal(rows.length, 1);
    // Ending one's own current session signs one out.
    const own = await currentSessionId(a);
    assert.equal((await a.req('DELETE', SESSION, { params: { id: own } })).status, 204);
    assertProblem(await a.req('GET', ME), 401, 'unauthorized');
  });

  it('the session routes are 401 anonymously', async () => {
    const anon = client(srv.base);
    assertProblem(await anon.req('GET', SESSIONS), 401, 'unauthorized');
    assertProblem(await anon.req('DELETE', SESSION, { params: { id: 1 } }), 401, 'unauthorized');
    assertProblem(await anon.req('POST', END_ALL, { params: { id: 1 } }), 401, 'unauthorized');
  });

  it('an administrator ends all of a member\'s sessions', async () => {
    const m = member();
    const a = await signIn(m);
    const b = await signIn(m);
    const r = await admin.req('POST', END_ALL, { params: { id: m.id } });
    assert.equal(r.status, 204, r.text);
    assertProblem(await a.req('GET', ME), 401, 'unauthorized');
    assertProblem(await b.req('GET', ME), 401, 'unauthorized');
    assert.equal(sql(`SELECT COUNT(*) FROM session WHERE staff_id = ${m.id}`), '0');
    assert.equal((await admin.req('GET', ME)).status, 200, 'the admin stays signed in');
    const rows = await activityRows({ entity: 'staff', entity_id: m.id, action: 'sessions_ended' });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].actor_id, admin.me.id);
    // The member can sign in again.
    await signIn(m);

    assertProblem(await admin.req('POST', END_ALL, { params: { id: 987654 } }), 404, 'not-found');
    assertFieldErrors(await admin.req('POST', END_ALL, { params: { id: m.id }, body: { all: true } }), { all: 'unknown_field' });
    assertProblem(await staff.req('POST', END_ALL, { params: { id: m.id } }), 403, 'forbidden');
  });

  it('ending one\'s own sessions keeps the calling one', async () => {
    const second = await adminClient(srv);
    const r = await admin.req('POST', END_ALL, { params: { id: admin.me.id } });
    assert.equal(r.status, 204, r.text);
    assert.equal((await admin.req('GET', ME)).status, 200, 'the calling session stays');
    assertProblem(await second.req('GET', ME), 401, 'unauthorized');
  });

  it('the list is most recently seen first', async () => {
    const m = member();
    const a = await signIn(m);
    const b = await signIn(m);
    const aId = await currentSessionId(a);
    const bId = await currentSessionId(b);
    sql(`UPDATE session SET last_seen_at = '${new Date(Date.now() - 5 * 60000).toISOString()}' WHERE id = ${aId}`);
    sql(`UPDATE session SET last_seen_at = '${new Date(Date.now() - 2 * 60000).toISOString()}' WHERE id = ${bId}`);
    const c = await signIn(m);
    const cId = await currentSessionId(c);
    assert.deepEqual((await mySessions(c)).map((x) => x.id), [cId, bId, aId]);
  });

  it('a non-admin with staff.edit cannot end an administrator\'s sessions', async () => {
    const role = await admin.req('POST', '/api/v1/roles', { body: { name: `Editors ${uniq('r')}`, permissions: { staff: ['view', 'edit'] } } });
    assert.equal(role.status, 201, role.text);
    const m = member();
    const rec = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: m.id } });
    const p = await admin.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: m.id }, body: { role_id: role.body.id }, headers: { 'If-Match': rec.headers.get('etag') },
    });
    assert.equal(p.status, 200, p.text);
    const ed = await signIn(m);
    assertProblem(await ed.req('POST', END_ALL, { params: { id: admin.me.id } }), 403, 'forbidden');
    assert.equal((await admin.req('GET', ME)).status, 200);
  });

  // ---- timeouts --------------------------------------------------------------

  it('last_seen_at moves within seconds of a request, written in a batch off the request', async () => {
    const m = member();
    const c = await signIn(m);
    const id = await currentSessionId(c);
    const old = new Date(Date.now() - 3 * 60000).toISOString();
    sql(`UPDATE session SET last_seen_at = '${old}' WHERE id = ${id}`);
    const before = Date.now();
    assert.equal((await c.req('GET', ME)).status, 200);
    const seen = await waitFor(() => {
      const v = sql(`SELECT last_seen_at FROM session WHERE id = ${id}`);
      return v && v > old ? v : null;
    }, { timeout: 15000, what: 'the touch to be written' });
    assert.ok(Date.parse(seen) >= before - 1000, `touched at the request: ${seen}`);
  });

  it('SQLite: a request whose session needs a touch does not wait for another writer', async (t) => {
    if (srv.pg) { t.skip('SQLite only: its single writer'); return; }
    const m = member();
    const c = await signIn(m);
    const id = await currentSessionId(c);
    sql(`UPDATE session SET last_seen_at = '${new Date(Date.now() - 3 * 60000).toISOString()}' WHERE id = ${id}`);
    // Another process holds the write lock for 8 s (under the server's
    // 10 s busy timeout, so a touch written on the request would wait for
    // it and answer after it is released).
    const holder = spawn('python3', ['-c', `
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute('BEGIN IMMEDIATE')
print('locked', flush=True)
time.sleep(8)
c.execute('COMMIT')
print('released', flush=True)
`, srv.dbFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = [];
    holder.stdout.on('data', (d) => lines.push(...d.toString().split('\n').filter(Boolean)));
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    try {
      await waitFor(() => lines.includes('locked'), { timeout: 15000, what: 'the lock' });
      const r = await c.req('GET', ME);
      assert.equal(r.status, 200, r.text);
      assert.ok(!lines.includes('released'), 'answered while the other writer still held the lock');
    } finally {
      await exited;
    }
  });

  it('idle timeout: a session not seen for an hour is 401 (idle 30 min by default)', async () => {
    const m = member();
    const c = await signIn(m);
    const id = await currentSessionId(c);
    const hourAgo = new Date(Date.now() - 3600000).toISOString();
    sql(`UPDATE session SET last_seen_at = '${hourAgo}' WHERE id = ${id}`);
    assertProblem(await c.req('GET', ME), 401, 'unauthorized');
    assertProblem(await c.req('GET', SESSIONS), 401, 'unauthorized');
    // 20 minutes is within the idle time.
    const d = await signIn(m);
    const did = await currentSessionId(d);
    sql(`UPDATE session SET last_seen_at = '${new Date(Date.now() - 20 * 60000).toISOString()}' WHERE id = ${did}`);
    assert.equal((await d.req('GET', ME)).status, 200);
  });

  it('absolute timeout: a session past its expiry is 401; its lifetime follows session_absolute_hours', async () => {
    const m = member();
    const c = await signIn(m);
    const s = (await mySessions(c)).find((x) => x.current);
    const life = Date.parse(s.expires_at) - Date.parse(s.created_at);
    assert.ok(Math.abs(life - 12 * 3600000) <= 1000, `the default absolute lifetime is 12 h: ${life} ms`);
    sql(`UPDATE session SET expires_at = '${new Date(Date.now() - 1000).toISOString()}' WHERE id = ${s.id}`);
    assertProblem(await c.req('GET', ME), 401, 'unauthorized');
  });

  it('the timeouts come from the security settings (session_idle_minutes, session_absolute_hours)', async () => {
    const patch = async (body) => {
      const r = await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'security' }, body });
      assert.equal(r.status, 200, r.text);
      return r.body.values;
    };
    const m = member();
    try {
      const v = await patch({ session_idle_minutes: 5, session_absolute_hours: 1 });
      assert.deepEqual([v.session_idle_minutes, v.session_absolute_hours], [5, 1]);
      const c = await signIn(m);
      const s = (await mySessions(c)).find((x) => x.current);
      const life = Date.parse(s.expires_at) - Date.parse(s.created_at);
      assert.ok(Math.abs(life - 3600000) <= 1000, `absolute lifetime 1 h: ${life} ms`);
      sql(`UPDATE session SET last_seen_at = '${new Date(Date.now() - 10 * 60000).toISOString()}' WHERE id = ${s.id}`);
      assertProblem(await c.req('GET', ME), 401, 'unauthorized');
    } finally {
      await patch({ session_idle_minutes: null, session_absolute_hours: null });
    }
    // Back to the defaults: 10 minutes idle is fine again.
    const d = await signIn(m);
    const id = await currentSessionId(d);
    sql(`UPDATE session SET last_seen_at = '${new Date(Date.now() - 10 * 60000).toISOString()}' WHERE id = ${id}`);
    assert.equal((await d.req('GET', ME)).status, 200);
  });

  // ---- new session ids -------------------------------------------------------

  it('a new session id at login (a planted cookie is replaced) and after the second factor', async () => {
    const m = member();
    const c = client(srv.base);
    const planted = 'A'.repeat(43);
    c.setCookie('atrium_session', planted);
    const l = await c.req('POST', LOGIN, { body: { email: m.email, password: m.password } });
    assert.equal(l.status, 200, l.text);
    const first = c.sessionCookie().value;
    assert.notEqual(first, planted, 'the server issues its own id');
    const again = await signIn(m);
    assert.notEqual(again.sessionCookie().value, first, 'each login a new id');

    // With 2FA: the mfa session is replaced by a new one after the code.
    const e = await c.req('POST', '/api/v1/auth/2fa/enrol');
    assert.equal(e.status, 200, e.text);
    const totp = OTPAuth.URI.parse(e.body.otpauth_uri);
    const act = await c.req('POST', '/api/v1/auth/2fa/activate', { body: { code: totp.generate() } });
    assert.equal(act.status, 200, act.text);
    assert.notEqual(c.sessionCookie().value, first, 'a new id when 2FA is turned on');

    const t = client(srv.base);
    const pw = await t.req('POST', LOGIN, { body: { email: m.email, password: m.password } });
    assert.equal(pw.body.stage, 'mfa');
    const mfaCookie = t.sessionCookie().value;
    const [stage, created, expires] = sql(`SELECT stage || '|' || created_at || '|' || expires_at FROM session ` +
      `WHERE staff_id = ${m.id} ORDER BY id DESC LIMIT 1`).split('|');
    assert.equal(stage, 'mfa');
    assert.ok(Date.parse(expires) - Date.parse(created) <= 601000, 'an mfa session lives 10 minutes at most');
    const v = await t.req('POST', '/api/v1/auth/2fa/verify', { body: { code: totp.generate({ timestamp: Date.now() + 30000 }) } });
    assert.equal(v.status, 200, v.text);
    const fullCookie = t.sessionCookie().value;
    assert.notEqual(fullCookie, mfaCookie, 'a new id after the second factor');
    const stale = client(srv.base);
    stale.setCookie('atrium_session', mfaCookie);
    assertProblem(await stale.req('GET', ME), 401, 'unauthorized');
    assert.equal((await t.req('GET', SESSIONS)).status, 200);
  });

  // ---- throttling and anti-enumeration --------------------------------------

  it('repeated failed logins end in 429 with Retry-After; after waiting, the right password works', async () => {
    const m = member();
    const anon = client(srv.base);
    const wrong = { email: m.email, password: 'not-the-password-123' };
    let blocked = null;
    let failures = 0;
    for (let i = 0; i < 10 && !blocked; i++) {
      const r = await anon.req('POST', LOGIN, { body: wrong });
      if (r.status === 429) blocked = r;
      else {
        assertProblem(r, 401, 'unauthorized');
        failures++;
      }
    }
    assert.ok(blocked, 'failures end in 429');
    assert.ok(failures >= 3, `a few failures are allowed first (${failures})`);
    assertProblem(blocked, 429, 'rate-limited');
    const retry = blocked.headers.get('retry-after');
    assert.match(retry || '', /^[1-9]\d*$/, `Retry-After is a positive integer: ${retry}`);
    assert.ok(Number(retry) <= 5, `the first block is short (login_max_failures=5 → 2 s): ${retry}`);
    // Blocked: even the right password is refused now, with the same 429.
    const right = await anon.req('POST', LOGIN, { body: { email: m.email, password: m.password } });
    assertProblem(right, 429, 'rate-limited');

    // After Retry-After seconds, the right password works (bounded wait).
    const ok = await waitFor(async () => {
      const r = await client(srv.base).req('POST', LOGIN, { body: { email: m.email, password: m.password } });
      return r.status === 200 ? r : null;
    }, { timeout: (Number(retry) + 3) * 1000, every: 250, what: 'the block to end' });
    assert.equal(ok.body.staff.email, m.email);
  });

  it('the block grows with further failures (a longer Retry-After)', async () => {
    const m = member();
    const anon = client(srv.base);
    const wrong = { email: m.email, password: 'not-the-password-456' };
    let first = null;
    for (let i = 0; i < 10 && !first; i++) {
      const r = await anon.req('POST', LOGIN, { body: wrong });
      if (r.status === 429) first = Number(r.headers.get('retry-after'));
    }
    assert.ok(first > 0, 'blocked');
    // Wait the block out, fail once more: the next block is longer.
    await waitFor(async () => {
      const r = await anon.req('POST', LOGIN, { body: wrong });
      return r.status === 401;
    }, { timeout: (first + 3) * 1000, every: 250, what: 'the first block to end' });
    const r = await anon.req('POST', LOGIN, { body: wrong });
    assertProblem(r, 429, 'rate-limited');
    assert.ok(Number(r.headers.get('retry-after')) > first, `the delay grows: ${first} then ${r.headers.get('retry-after')}`);
  });

  it('unknown email, wrong password and a deactivated account give byte-identical 401 bodies (but request_id/instance)', async () => {
    const m = member();
    const gone = member();
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: gone.id } });
    assert.equal(d.status, 200, d.text);
    const anon = client(srv.base);
    const wrong = await anon.req('POST', LOGIN, { body: { email: m.email, password: 'not-the-password-789' } });
    const unknown = await anon.req('POST', LOGIN, { body: { email: `nobody-${uniq('n')}@example.test`, password: 'not-the-password-789' } });
    const inactive = await anon.req('POST', LOGIN, { body: { email: gone.email, password: gone.password } });
    const strip = (r) => {
      const b = { ...r.body };
      delete b.request_id;
      delete b.instance;
      return JSON.stringify(b);
    };
    for (const r of [wrong, unknown, inactive]) {
      assertProblem(r, 401, 'unauthorized');
      assert.equal(r.body.detail, 'invalid email or password');
      assert.equal(r.setCookies.length, 0);
    }
    assert.equal(strip(unknown), strip(wrong), 'unknown email = wrong password');
    assert.equal(strip(inactive), strip(wrong), 'deactivated = wrong password');
    const raw = (r) => r.text.split(r.body.request_id).join('<rid>');
    assert.equal(raw(unknown), raw(wrong), 'byte-identical text apart from request_id');
    assert.equal(raw(inactive), raw(wrong));
  });

  // ---- the activity log ------------------------------------------------------

  it('every login success and failure has an activity row with the address and the user agent', async () => {
    const m = member();
    const ua = `atrium-test/${uniq('act')}`;
    const c = client(srv.base);
    const bad = await c.req('POST', LOGIN, { body: { email: m.email, password: 'not-the-password-000' }, headers: { 'User-Agent': `${ua}-bad` } });
    assert.equal(bad.status, 401);
    const unknownEmail = `nobody-${uniq('n')}@example.test`;
    const unk = await c.req('POST', LOGIN, { body: { email: unknownEmail, password: 'not-the-password-000' }, headers: { 'User-Agent': `${ua}-unknown` } });
    assert.equal(unk.status, 401);
    const good = await c.req('POST', LOGIN, { body: { email: m.email, password: m.password }, headers: { 'User-Agent': `${ua}-good` } });
    assert.equal(good.status, 200);

    const byRid = async (r, action) => {
      const rid = r.headers.get('x-request-id');
      const rows = (await activityRows({ action })).filter((x) => x.request_id === rid);
      assert.equal(rows.length, 1, `one ${action} row for request ${rid}`);
      return rows[0];
    };
    const okRow = await byRid(good, 'login');
    assert.equal(okRow.actor_id, m.id);
    assert.equal(okRow.entity_id, m.id);
    assert.equal(okRow.ip, '127.0.0.1');
    assert.equal(okRow.diff?.user_agent?.to, `${ua}-good`);

    const badRow = await byRid(bad, 'login_failed');
    assert.equal(badRow.entity_id, m.id);
    assert.equal(badRow.ip, '127.0.0.1');
    assert.equal(badRow.diff?.user_agent?.to, `${ua}-bad`);
    assert.equal(badRow.diff?.email?.to, m.email);
    assert.ok(!JSON.stringify(badRow).includes('not-the-password-000'), 'no password in the log');

    const unkRow = await byRid(unk, 'login_failed');
    assert.equal(unkRow.actor_id, null);
    assert.equal(unkRow.ip, '127.0.0.1');
    assert.equal(unkRow.diff?.user_agent?.to, `${ua}-unknown`);
    // What was typed as an unknown email is not kept (it may be a password).
    assert.equal(unkRow.diff?.email, undefined);
    assert.ok(!JSON.stringify(unkRow).includes(unknownEmail));
  });

  it('2FA and password events are logged with the address and the user agent', async () => {
    // The issue: "every login success and failure, 2FA event and password
    // event in the activity log with address and user agent".
    const m = member();
    const ua = `atrium-test/${uniq('ev')}`;
    const headers = { 'User-Agent': ua };
    const c = client(srv.base);
    assert.equal((await c.req('POST', LOGIN, { body: { email: m.email, password: m.password }, headers })).status, 200);
    const e = await c.req('POST', '/api/v1/auth/2fa/enrol', { headers });
    const totp = OTPAuth.URI.parse(e.body.otpauth_uri);
    const act = await c.req('POST', '/api/v1/auth/2fa/activate', { body: { code: totp.generate() }, headers });
    assert.equal(act.status, 200, act.text);
    const pw = `Pw-${randomBytes(12).toString('base64url')}-e`;
    const ch = await c.req('POST', '/api/v1/auth/password/change', { body: { current_password: m.password, new_password: pw }, headers });
    assert.equal(ch.status, 200, ch.text);
    const rows = await activityRows({ entity: 'staff', entity_id: m.id });
    const problems = [];
    for (const r of [e, act, ch]) {
      const row = rows.find((x) => x.request_id === r.headers.get('x-request-id'));
      if (!row) { problems.push(`no row for ${r.url}`); continue; }
      if (row.ip !== '127.0.0.1') problems.push(`${row.action}: ip ${row.ip}`);
      if (row.diff?.user_agent?.to !== ua) problems.push(`${row.action}: diff ${JSON.stringify(row.diff)} has no user_agent`);
    }
    assert.deepEqual(problems, [], 'enrolment, activation and password change carry address and user agent');
  });

  it('failures from one address across many accounts are limited too (login_ip_max_failures)', async () => {
    // Its own server, with a low per-address limit, so the block does not
    // touch the other tests.
    const own = await startServer({ env: { ATRIUM_LOGIN_IP_MAX_FAILURES: '6' } });
    try {
      const anon = client(own.base);
      let blocked = null;
      for (let i = 0; i < 12 && !blocked; i++) {
        const r = await anon.req('POST', LOGIN, { body: { email: `nobody-${i}-${uniq('n')}@example.test`, password: 'not-the-password' } });
        if (r.status === 429) blocked = r;
        else assertProblem(r, 401, 'unauthorized');
      }
      assert.ok(blocked, 'new accounts each time, yet 429 from the same address');
      assert.match(blocked.headers.get('retry-after') || '', /^[1-9]\d*$/);
      // The address is blocked for the right password of a real member too, for a while.
      assertProblem(await client(own.base).req('POST', LOGIN, { body: { email: own.staff.email, password: own.staff.password } }),
        429, 'rate-limited');
      const retry = Number(blocked.headers.get('retry-after'));
      await waitFor(async () => {
        const r = await client(own.base).req('POST', LOGIN, { body: { email: own.staff.email, password: own.staff.password } });
        return r.status === 200;
      }, { timeout: (retry + 3) * 1000, every: 250, what: 'the address block to end' });
    } finally {
      await own.stop();
    }
  });

  it('the second-factor sign-in events have activity rows with the address and the user agent', async () => {
    const m = member();
    const c = await signIn(m);
    const e = await c.req('POST', '/api/v1/auth/2fa/enrol');
    const totp = OTPAuth.URI.parse(e.body.otpauth_uri);
    const cur = totp.generate();
    assert.equal((await c.req('POST', '/api/v1/auth/2fa/activate', { body: { code: cur } })).status, 200);

    const ua = `atrium-test/${uniq('mfa')}`;
    const t = client(srv.base);
    const headers = { 'User-Agent': ua };
    const pw = await t.req('POST', LOGIN, { body: { email: m.email, password: m.password }, headers });
    assert.equal(pw.body.stage, 'mfa');
    const wrongCode = String((Number(cur) + 500000) % 1000000).padStart(6, '0');
    const bad = await t.req('POST', '/api/v1/auth/2fa/verify', { body: { code: wrongCode }, headers });
    assert.equal(bad.status, 401);
    const good = await t.req('POST', '/api/v1/auth/2fa/verify', { body: { code: totp.generate({ timestamp: Date.now() + 30000 }) }, headers });
    assert.equal(good.status, 200, good.text);

    const rows = await activityRows({ entity: 'staff', entity_id: m.id });
    const problems = [];
    for (const r of [pw, bad, good]) {
      const rid = r.headers.get('x-request-id');
      const row = rows.find((x) => x.request_id === rid);
      if (!row) { problems.push(`no row for ${r.url} (${r.status})`); continue; }
      if (row.ip !== '127.0.0.1') problems.push(`${row.action}: ip ${row.ip}`);
      if (row.diff?.user_agent?.to !== ua) problems.push(`${row.action}: diff ${JSON.stringify(row.diff)} has no user_agent`);
    }
    assert.deepEqual(problems, [], 'password step, failed code and successful code are logged with address and user agent');
  });
});
