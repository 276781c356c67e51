// Authentication: login, me, logout, CSRF, throttling, first-administrator
// setup and setting a password from a one-time token.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, assertProblem, assertClientProblem, assertFieldErrors, assertNoSecrets, waitFor,
} from './harness.mjs';

const LOGIN = '/api/v1/auth/login';
const ME = '/api/v1/auth/me';
const LOGOUT = '/api/v1/auth/logout';
const SETUP = '/api/v1/setup';
const PASSWORD_SET = '/api/v1/auth/password/set';

function sessionSetCookie(r) {
  return r.setCookies.find((c) => /^(__Host-)?atrium_session=/.test(c));
}

function assertNoSession(r) {
  assert.equal(sessionSetCookie(r), undefined, `no session cookie may be set: ${r.setCookies}`);
}

function assertLoginBody(r, email) {
  assert.equal(typeof r.body.csrf_token, 'string');
  assert.ok(r.body.csrf_token.length >= 16, 'csrf_token is long enough to be unguessable');
  assert.equal(typeof r.body.staff, 'object');
  assert.equal(r.body.staff.email, email);
  assert.equal(Number.isInteger(r.body.staff.id), true, 'staff.id is an integer');
  assert.equal(typeof r.body.staff.admin, 'boolean');
  assert.equal(Number.isInteger(r.body.staff.org_id), true, 'staff.org_id is an integer');
  assertNoSecrets(r.body);
}

/* The first `set-password#token=` or `setup#token=` link in text. */
function linkToken(text, kind) {
  const m = new RegExp(`/${kind}#token=([A-Za-z0-9_.~%+-]+)`).exec(text);
  return m ? decodeURIComponent(m[1]) : null;
}

describe('authentication', () => {
  let srv;

  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    await srv?.stop();
  });

  describe('login', () => {
    it('signs in: 200, session cookie HttpOnly SameSite=Lax Path=/, csrf_token and staff', async () => {
      const c = client(srv.base);
      const r = await c.req('POST', LOGIN, { body: { email: srv.admin.email, password: srv.admin.password } });
      assert.equal(r.status, 200, r.text);
      const cookie = sessionSetCookie(r);
      assert.ok(cookie, `a Set-Cookie for atrium_session: ${r.setCookies}`);
      assert.match(cookie, /;\s*HttpOnly/i);
      assert.match(cookie, /;\s*SameSite=Lax/i);
      assert.match(cookie, /;\s*Path=\/(;|$)/i);
      assert.ok(/^atrium_session=[^;]{16,}/.test(cookie), 'the session id is long enough');
      assertLoginBody(r, srv.admin.email);
      assert.equal(r.body.staff.admin, true);
      assert.equal(r.body.staff.name, srv.admin.name);
    });

    it('each login creates a different session id', async () => {
      const a = client(srv.base);
      const b = client(srv.base);
      await a.login(srv.admin.email, srv.admin.password);
      await b.login(srv.admin.email, srv.admin.password);
      assert.notEqual(a.sessionCookie().value, b.sessionCookie().value);
    });

    it('wrong password and unknown email are the same 401', async () => {
      const c = client(srv.base);
      const wrong = await c.req('POST', LOGIN, { body: { email: srv.staff.email, password: 'not-the-password-123' } });
      const unknown = await c.req('POST', LOGIN, { body: { email: 'nobody@example.test', password: 'not-the-password-123' } });
      for (const r of [wrong, unknown]) {
        assertProblem(r, 401, 'unauthorized');
        assert.equal(r.body.detail, 'invalid email or password');
        assertNoSession(r);
      }
      const strip = (r) => r.text.split(r.body.request_id).join('<request_id>');
      assert.equal(strip(wrong), strip(unknown), 'bodies identical apart from request_id');
      const a = { ...wrong.body };
      const b = { ...unknown.body };
      delete a.request_id; delete b.request_id; delete a.instance; delete b.instance;
      assert.deepEqual(a, b);
    });

    const invalid = [
      ['missing email', { password: 'whatever-password' }, { email: 'required' }],
      ['missing password', { email: 'admin@example.test' }, { password: 'required' }],
      ['unknown field', { email: 'admin@example.test', password: 'whatever-password', remember: true }, { remember: 'unknown_field' }],
      ['non-string email', { email: 12, password: 'whatever-password' }, { email: 'type' }],
      ['non-string password', { email: 'admin@example.test', password: ['x'] }, { password: 'type' }],
    ];
    for (const [what, body, fields] of invalid) {
      it(`${what} is 422 naming the field`, async () => {
        const c = client(srv.base);
        const r = await c.req('POST', LOGIN, { body });
        assertFieldErrors(r, fields);
        assertNoSession(r);
      });
    }

    it('all invalid fields are listed at once', async () => {
      const r = await client(srv.base).req('POST', LOGIN, { body: { email: 5, colour: 'red' } });
      assertFieldErrors(r, { email: 'type', password: 'required', colour: 'unknown_field' });
    });
  });

  describe('me', () => {
    it('is 200 with staff and csrf_token when signed in', async () => {
      const c = await adminClient(srv);
      const r = await c.req('GET', ME);
      assert.equal(r.status, 200);
      assertLoginBody(r, srv.admin.email);
      assert.equal(r.body.staff.admin, true);
      assert.equal(r.body.staff.name, srv.admin.name);
    });

    it('says admin false for the plain staff member', async () => {
      const c = client(srv.base);
      await c.login(srv.staff.email, srv.staff.password);
      const r = await c.req('GET', ME);
      assert.equal(r.status, 200);
      assert.equal(r.body.staff.email, srv.staff.email);
      assert.equal(r.body.staff.admin, false);
    });

    it('is 401 anonymously', async () => {
      const r = await client(srv.base).req('GET', ME);
      assertProblem(r, 401, 'unauthorized');
    });

    it('is 401 with a made-up session cookie', async () => {
      const c = client(srv.base);
      c.setCookie('atrium_session', 'A'.repeat(43));
      const r = await c.req('GET', ME);
      assertProblem(r, 401, 'unauthorized');
    });
  });

  describe('logout', () => {
    it('is 204, clears the cookie, and ends the session server-side', async () => {
      const c = await adminClient(srv);
      const old = c.sessionCookie();
      assert.ok(old, 'signed in with a cookie');
      const r = await c.req('POST', LOGOUT);
      assert.equal(r.status, 204, r.text);
      assert.equal(r.text, '');
      const cleared = sessionSetCookie(r);
      assert.ok(cleared, 'logout sends a Set-Cookie for the session');
      assert.equal(c.sessionCookie(), null, `the cookie is expired or emptied: ${cleared}`);
      assert.equal((await c.req('GET', ME)).status, 401, 'no longer signed in');
      const replay = client(srv.base);
      replay.setCookie(old.name, old.value);
      const r2 = await replay.req('GET', ME);
      assertProblem(r2, 401, 'unauthorized');
    });

    it('logging out one session leaves the others', async () => {
      const a = await adminClient(srv);
      const b = await adminClient(srv);
      assert.equal((await a.req('POST', LOGOUT)).status, 204);
      assert.equal((await b.req('GET', ME)).status, 200);
    });

    it('is 401 anonymously', async () => {
      const r = await client(srv.base).req('POST', LOGOUT);
      assertProblem(r, 401, 'unauthorized');
    });

    it('needs the CSRF token (403 without; the session survives)', async () => {
      const c = await adminClient(srv);
      const r = await c.req('POST', LOGOUT, { csrf: false });
      assertProblem(r, 403, 'forbidden');
      assert.equal((await c.req('GET', ME)).status, 200);
    });
  });

  describe('csrf', () => {
    it('a POST with the session cookie but no X-CSRF-Token is 403', async () => {
      const c = await adminClient(srv);
      const r = await c.req('POST', '/api/v1/leads', { body: { name: 'csrf missing' }, csrf: false });
      assertProblem(r, 403, 'forbidden');
      assert.equal(r.body.detail, 'missing or invalid csrf token');
      const list = await c.req('GET', '/api/v1/leads', { query: { q: 'csrf missing', count: 'true' } });
      assert.equal(list.body.total, 0, 'nothing was created');
    });

    it('a POST with a wrong X-CSRF-Token is 403', async () => {
      const c = await adminClient(srv);
      const r = await c.req('POST', '/api/v1/leads', {
        body: { name: 'csrf wrong' }, headers: { 'X-CSRF-Token': 'x'.repeat(c.csrf.length) },
      });
      assertProblem(r, 403, 'forbidden');
      assert.equal(r.body.detail, 'missing or invalid csrf token');
    });

    it('the right token is accepted', async () => {
      const c = await adminClient(srv);
      const r = await c.req('POST', '/api/v1/leads', { body: { name: 'csrf right' } });
      assert.equal(r.status, 201, r.text);
    });

    it('the token from me works like the one from login', async () => {
      const c = await adminClient(srv);
      c.csrf = null;
      const me = await c.req('GET', ME);
      assert.equal(me.status, 200);
      assert.ok(c.csrf, 'me handed a csrf token');
      const r = await c.req('POST', '/api/v1/leads', { body: { name: 'csrf from me' } });
      assert.equal(r.status, 201, r.text);
    });
  });

  describe('setup when staff exists', () => {
    it('a bad token is refused without a session', async () => {
      const c = client(srv.base);
      const r = await c.req('POST', SETUP, {
        body: { token: 'not-a-real-token', email: 'root@example.test', name: 'Root', password: 'Root-password-long-1' },
      });
      assertClientProblem(r);
      assertNoSession(r);
      assert.equal((await c.req('GET', ME)).status, 401);
    });

    it('a valid-shaped request is refused (409 per contract)', async () => {
      const r = await client(srv.base).req('POST', SETUP, {
        body: { token: 'a'.repeat(43), email: 'root2@example.test', name: 'Root', password: 'Root-password-long-1' },
      });
      assertClientProblem(r);
      assertNoSession(r);
    });
  });

  describe('password/set', () => {
    it('an unknown token is 4xx problem+json without a session', async () => {
      const r = await client(srv.base).req('POST', PASSWORD_SET, {
        body: { token: 'no-such-token-0000000000', password: 'A-long-enough-password-1' },
      });
      assertClientProblem(r);
      assertNoSession(r);
    });

    it('missing fields are 422', async () => {
      const r = await client(srv.base).req('POST', PASSWORD_SET, { body: { extra: 1 } });
      assertFieldErrors(r, { token: 'required', password: 'required', extra: 'unknown_field' });
    });

    it('a one-time token from `admin create` sets the password and signs in, once', async () => {
      const email = 'invited@example.test';
      const out = srv.cli(['admin', 'create', '--email', email, '--name', 'Invited']);
      assert.equal(out.status, 0, out.stderr);
      const token = linkToken(out.stdout + out.stderr, 'set-password');
      assert.ok(token, `admin create prints a set-password link:\n${out.stdout}${out.stderr}`);

      const before = await client(srv.base).req('POST', LOGIN, { body: { email, password: 'Maple-quartz-river-4127' } });
      assert.equal(before.status, 401, 'no password yet');

      const c = client(srv.base);
      const r = await c.req('POST', PASSWORD_SET, { body: { token, password: 'Maple-quartz-river-4127' } });
      assert.equal(r.status, 200, r.text);
      assertLoginBody(r, email);
      assert.ok(sessionSetCookie(r), 'signed in');
      assert.equal((await c.req('GET', ME)).body.staff.email, email);

      const again = await client(srv.base).req('POST', PASSWORD_SET, { body: { token, password: 'Another-password-456' } });
      assertClientProblem(again);
      assertNoSession(again);

      const login = await client(srv.base).req('POST', LOGIN, { body: { email, password: 'Maple-quartz-river-4127' } });
      assert.equal(login.status, 200, 'the new password works');
    });

    it('a too-short password is 422 and leaves the token usable', async () => {
      const email = 'invited2@example.test';
      const out = srv.cli(['admin', 'create', '--email', email, '--name', 'Invited Two']);
      assert.equal(out.status, 0, out.stderr);
      const token = linkToken(out.stdout + out.stderr, 'set-password');
      assert.ok(token, 'admin create prints a set-password link');
      const r = await client(srv.base).req('POST', PASSWORD_SET, { body: { token, password: 'short' } });
      assertFieldErrors(r, { password: null });
      assertNoSession(r);
      const ok = await client(srv.base).req('POST', PASSWORD_SET, { body: { token, password: 'Invited-two-password-789' } });
      assert.equal(ok.status, 200, ok.text);
    });
  });
});

describe('first administrator setup on an empty database', () => {
  let srv;
  let token;

  before(async () => {
    srv = await startServer({ staff: false });
    token = await waitFor(() => linkToken(srv.output(), 'setup') || linkToken(srv.migrateOutput, 'setup'),
      { timeout: 10000, what: 'a setup#token= link in the serve or migrate output' });
  });
  after(async () => {
    await srv?.stop();
  });

  it('a wrong token is refused without a session', async () => {
    const r = await client(srv.base).req('POST', SETUP, {
      body: { token: `${token}x`, email: 'first@example.test', name: 'First', password: 'First-admin-password-1' },
    });
    assertClientProblem(r);
    assertNoSession(r);
  });

  it('invalid fields are 422, all at once', async () => {
    const r = await client(srv.base).req('POST', SETUP, {
      body: { token, email: 'not-an-email', name: 7, password: 'First-admin-password-1', role: 'x' },
    });
    assertFieldErrors(r, { email: 'invalid', name: 'type', role: 'unknown_field' });
    assertNoSession(r);
  });

  it('creates the first administrator: 201, session, admin true', async () => {
    const c = client(srv.base);
    const r = await c.req('POST', SETUP, {
      body: { token, email: 'first@example.test', name: 'First', password: 'First-admin-password-1' },
    });
    assert.equal(r.status, 201, r.text);
    assertLoginBody(r, 'first@example.test');
    assert.equal(r.body.staff.admin, true);
    assert.ok(sessionSetCookie(r), 'signed in');
    const me = await c.req('GET', ME);
    assert.equal(me.status, 200);
    assert.equal(me.body.staff.email, 'first@example.test');
    const act = await c.req('GET', '/api/v1/activity', { query: { action: 'setup', count: 'true' } });
    assert.equal(act.status, 200);
    assert.equal(act.body.total, 1, 'one setup row in the activity log');
  });

  it('is refused with 409 once staff exists, even with the token', async () => {
    const r = await client(srv.base).req('POST', SETUP, {
      body: { token, email: 'second@example.test', name: 'Second', password: 'Second-admin-password-1' },
    });
    assertProblem(r, 409, 'conflict');
    assertNoSession(r);
  });
});

describe('login throttling', () => {
  let srv;

  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    await srv?.stop();
  });

  it('repeated failed logins for one account end in 429 with Retry-After', async () => {
    const c = client(srv.base);
    let r;
    let n = 0;
    for (; n < 60; n++) {
      r = await c.req('POST', LOGIN, { body: { email: srv.staff.email, password: `wrong-password-${n}` } });
      if (r.status === 429) break;
      assert.equal(r.status, 401, `attempt ${n + 1}: ${r.text}`);
    }
    assert.equal(r.status, 429, 'throttled within 60 failed attempts');
    assertProblem(r, 429, 'rate-limited');
    const ra = r.headers.get('retry-after');
    assert.match(ra || '', /^\d+$/, `Retry-After is an integer number of seconds: ${ra}`);
    assert.ok(Number(ra) > 0, 'Retry-After is positive');
    assertNoSession(r);

    const right = await c.req('POST', LOGIN, { body: { email: srv.staff.email, password: srv.staff.password } });
    assert.equal(right.status, 429, 'even the right password is throttled while locked');
  });
});
