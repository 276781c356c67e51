// What the web UI needs from the server to stop a new administrator
// tripping (issue 8, items 14 and 18):
// - the session's clock: `session` in the me body, GET /auth/session that
//   reads it without extending the session, GET /auth/me as the real
//   keep-alive, 401 once idle;
// - set-password and reset links checked without being used
//   (POST /auth/password/{set,reset}/check), counted per address like the
//   links themselves;
// - the issuer the authenticator app shows (recorded at enrolment), also in
//   the sign-in's second step;
// - whether SMTP is configured (GET /email/status), for any member;
// - `can_manage` on a staff record (who may manage whom, with the reason).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq, ISO_MS,
  startSmtpSink, configureSmtp, raiseSeats, addRole, addMember, waitFor,
} from './harness.mjs';

const ME = '/api/v1/auth/me';
const CLOCK = '/api/v1/auth/session';
const SET_CHECK = '/api/v1/auth/password/set/check';
const RESET_CHECK = '/api/v1/auth/password/reset/check';
const SET = '/api/v1/auth/password/set';
const RESET = '/api/v1/auth/password/reset';
const TWOFA = '/api/v1/auth/2fa';
const EMAIL_STATUS = '/api/v1/email/status';
const CLOCK_KEYS = ['expires_at', 'expires_in', 'idle_expires_at', 'idle_expires_in', 'idle_minutes'];

const iso = (msAgo) => new Date(Date.now() - msAgo).toISOString();
const fakeToken = () => randomBytes(32).toString('base64url');

describe('the session clock', () => {
  let srv;
  let admin;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
  });
  after(async () => { await srv?.stop(); });

  const lastSeen = (id) => srv.sql(`SELECT last_seen_at FROM session WHERE staff_id = ${Number(id)}`).stdout;

  it('login and me carry `session`: the idle limit and the absolute end, as times and as seconds left', async () => {
    const m = await addMember(srv, admin);
    const me = await m.req('GET', ME);
    assert.equal(me.status, 200, me.text);
    const s = me.body.session;
    assert.deepEqual(Object.keys(s).sort(), CLOCK_KEYS);
    assert.equal(s.idle_minutes, 30);
    assert.match(s.idle_expires_at, ISO_MS);
    assert.match(s.expires_at, ISO_MS);
    assert.ok(s.idle_expires_in > 29 * 60 && s.idle_expires_in <= 30 * 60, `idle_expires_in ${s.idle_expires_in}`);
    assert.ok(s.expires_in > 11.9 * 3600 && s.expires_in <= 12 * 3600, `expires_in ${s.expires_in}`);
    const idleAt = Date.parse(s.idle_expires_at);
    assert.ok(Math.abs(idleAt - (Date.now() + s.idle_expires_in * 1000)) < 5000, 'the time and the seconds agree');

    // The login answer has it too, from the new session's settings.
    const set = await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'security' }, body: { session_idle_minutes: 7 } });
    assert.equal(set.status, 200, set.text);
    try {
      const c = client(srv.base);
      const l = await c.login(srv.staff.email, srv.staff.password);
      assert.equal(l.body.session.idle_minutes, 7);
      assert.ok(l.body.session.idle_expires_in > 6 * 60 && l.body.session.idle_expires_in <= 7 * 60);
    } finally {
      const back = await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'security' }, body: { session_idle_minutes: null } });
      assert.equal(back.status, 200, back.text);
    }
  });

  it('GET /auth/session reads the clock without extending the session; GET /auth/me extends it', async () => {
    const m = await addMember(srv, admin);
    const old = iso(20 * 60000);
    assert.equal(srv.sql(`UPDATE session SET last_seen_at = '${old}' WHERE staff_id = ${m.id}`).status, 0);

    const r = await m.req('GET', CLOCK);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), CLOCK_KEYS);
    assert.ok(r.body.idle_expires_in > 9 * 60 && r.body.idle_expires_in <= 10 * 60, `10 minutes left: ${r.body.idle_expires_in}`);
    assert.equal(r.body.idle_expires_at, new Date(Date.parse(old) + 30 * 60000).toISOString());
    assert.equal(lastSeen(m.id), old, 'reading the clock is no activity');
    const again = await m.req('GET', CLOCK);
    assert.ok(again.body.idle_expires_in <= r.body.idle_expires_in, 'and asking again does not move it');

    // "Stay signed in": a real request, which touches the session.
    const me = await m.req('GET', ME);
    assert.equal(me.status, 200, me.text);
    assert.ok(me.body.session.idle_expires_in > 29 * 60, `extended: ${me.body.session.idle_expires_in}`);
    // The clock says so at once, before the batched touch is written
    // (auth/session_touch.h), and the touch is then written.
    const after = await m.req('GET', CLOCK);
    assert.ok(after.body.idle_expires_in > 29 * 60, `the clock says so too: ${after.body.idle_expires_in}`);
    await waitFor(() => lastSeen(m.id) > old, { what: 'last_seen_at written by the batcher' });
  });

  it('an idle session answers 401 on the clock and on me alike; the absolute end shows in expires_in', async () => {
    const m = await addMember(srv, admin);
    const soon = new Date(Date.now() + 90000).toISOString();
    assert.equal(srv.sql(`UPDATE session SET expires_at = '${soon}' WHERE staff_id = ${m.id}`).status, 0);
    const r = await m.req('GET', CLOCK);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.expires_in <= 90 && r.body.expires_in > 60, `expires_in ${r.body.expires_in}`);
    assert.equal(r.body.expires_at, soon);

    assert.equal(srv.sql(`UPDATE session SET last_seen_at = '${iso(31 * 60000)}' WHERE staff_id = ${m.id}`).status, 0);
    assertProblem(await m.req('GET', CLOCK), 401, 'unauthorized');
    assertProblem(await m.req('GET', ME), 401, 'unauthorized');
  });

  it('GET /auth/session: 401 signed out; allowed before the password is changed; never 403 for a plain member', async () => {
    assertProblem(await client(srv.base).req('GET', CLOCK), 401, 'unauthorized');
    const plain = await staffClient(srv);
    assert.equal((await plain.req('GET', CLOCK)).status, 200);
    const tag = uniq('tmp');
    const add = await admin.req('POST', '/api/v1/staff', {
      body: { email: `${tag}@example.test`, name: `Temp ${tag}`, temporary_password: `Temporary-${tag}-pass` },
    });
    assert.equal(add.status, 201, add.text);
    const c = client(srv.base);
    await c.login(`${tag}@example.test`, `Temporary-${tag}-pass`);
    assertProblem(await c.req('GET', '/api/v1/auth/sessions'), 403, 'forbidden');
    assert.equal((await c.req('GET', CLOCK)).status, 200, 'the clock is readable at every stage');
  });
});

describe('set-password and reset links checked without being used', () => {
  let srv;
  let admin;
  let sink;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    sink = await startSmtpSink(srv.dir);
    await configureSmtp(admin, sink);
  });
  after(async () => {
    await sink?.stop();
    await srv?.stop();
  });

  /* A member added from the CLI without a password: their set-password token. */
  function invited() {
    const tag = uniq('inv');
    const r = srv.cli(['staff', 'add', '--email', `${tag}@example.test`, '--name', `Invited ${tag}`]);
    assert.equal(r.status, 0, r.stderr);
    const token = /\/set-password#token=([A-Za-z0-9_-]+)/.exec(r.stdout)[1];
    const id = Number(srv.sql(`SELECT id FROM staff WHERE email_norm = '${tag}@example.test'`).stdout);
    return { tag, token, id, email: `${tag}@example.test` };
  }

  /* A member with a password whose reset link was emailed (forced reset). */
  async function resetLink() {
    const m = await addMember(srv, admin);
    const r = await admin.req('POST', '/api/v1/staff/{id}/password/reset', { params: { id: m.id } });
    assert.equal(r.status, 202, r.text);
    const mail = await sink.waitFor(m.record.email, (x) => /\/reset-password#token=/.test(x.body || ''), { what: 'the reset link' });
    return { id: m.id, email: m.record.email, token: /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(mail.body)[1] };
  }

  it('a live invitation link is usable, and checking it uses nothing; once used it is not', async () => {
    const inv = invited();
    const anon = client(srv.base);
    for (let i = 0; i < 3; i++) {
      const r = await anon.req('POST', SET_CHECK, { body: { token: inv.token } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, { usable: true });
    }
    assert.equal(srv.sql(`SELECT COUNT(*) FROM auth_token WHERE staff_id = ${inv.id} AND used_at IS NULL`).stdout, '1');
    // The set-password token is not a reset link.
    assert.deepEqual((await anon.req('POST', RESET_CHECK, { body: { token: inv.token } })).body, { usable: false });
    const set = await anon.req('POST', SET, { body: { token: inv.token, password: 'copper-meadow-lantern-8812' } });
    assert.equal(set.status, 200, set.text);
    const used = await client(srv.base).req('POST', SET_CHECK, { body: { token: inv.token } });
    assert.equal(used.status, 200, used.text);
    assert.deepEqual(used.body, { usable: false });
  });

  it('a reset link: usable, then not once expired; an unknown, malformed or deactivated member\'s link is not', async () => {
    const link = await resetLink();
    const anon = client(srv.base);
    assert.deepEqual((await anon.req('POST', RESET_CHECK, { body: { token: link.token } })).body, { usable: true });
    assert.deepEqual((await anon.req('POST', SET_CHECK, { body: { token: link.token } })).body, { usable: false });
    assert.equal(srv.sql(`UPDATE auth_token SET expires_at = '${iso(1000)}' WHERE staff_id = ${link.id}`).status, 0);
    const expired = await anon.req('POST', RESET_CHECK, { body: { token: link.token } });
    assert.deepEqual(expired.body, { usable: false });

    const unknown = await anon.req('POST', RESET_CHECK, { body: { token: fakeToken() } });
    const malformed = await anon.req('POST', RESET_CHECK, { body: { token: 'not a token' } });
    assert.equal(unknown.text, expired.text, 'unknown and expired answer alike');
    assert.equal(malformed.text, expired.text, 'malformed and expired answer alike');

    const inv = invited();
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: inv.id } });
    assert.equal(d.status, 200, d.text);
    assert.deepEqual((await anon.req('POST', SET_CHECK, { body: { token: inv.token } })).body, { usable: false });
  });

  it('every invalid field is named, in one answer', async () => {
    const anon = client(srv.base);
    for (const path of [SET_CHECK, RESET_CHECK]) {
      assertFieldErrors(await anon.req('POST', path, { body: {} }), { token: 'required' });
      assertFieldErrors(await anon.req('POST', path, { body: { token: 5 } }), { token: 'type' });
      assertFieldErrors(await anon.req('POST', path, { body: { token: 'x'.repeat(101) } }), { token: 'too_long' });
      assertFieldErrors(await anon.req('POST', path, { body: { token: 5, password: 'x' } }), { token: 'type', password: 'unknown_field' });
      assertProblem(await anon.req('POST', path, { raw: '{"token":', contentType: 'application/json' }), 400, 'malformed');
      assertProblem(await anon.req('POST', path, { raw: 'token=x', contentType: 'text/plain' }), 415, 'unsupported-media-type');
    }
  });
});

describe('unusable links are counted per address', () => {
  let srv;

  before(async () => {
    srv = await startServer({ env: { ATRIUM_LOGIN_IP_MAX_FAILURES: '3' } });
  });
  after(async () => { await srv?.stop(); });

  it('repeated unusable links end in 429 with Retry-After, for the checks and the links themselves', async () => {
    const anon = client(srv.base);
    let blocked = null;
    let answered = 0;
    for (let i = 0; i < 10 && !blocked; i++) {
      const r = await anon.req('POST', SET_CHECK, { body: { token: fakeToken() } });
      if (r.status === 429) blocked = r;
      else {
        assert.deepEqual(r.body, { usable: false });
        answered++;
      }
    }
    assert.ok(blocked, 'unusable links end in 429');
    assert.ok(answered >= 2, `a few are answered first (${answered})`);
    assertProblem(blocked, 429, 'rate-limited');
    assert.match(blocked.headers.get('retry-after') || '', /^[1-9]\d*$/);

    // While the address is blocked (held for the test), a live link is
    // refused too, on every link route, before anything is looked up.
    const until = new Date(Date.now() + 3600000).toISOString();
    assert.equal(srv.sql(`UPDATE login_throttle SET blocked_until = '${until}' WHERE key = 'link-ip:127.0.0.1'`).status, 0);
    const add = srv.cli(['staff', 'add', '--email', 'blocked-link@example.test', '--name', 'Blocked Link']);
    assert.equal(add.status, 0, add.stderr);
    const token = /\/set-password#token=([A-Za-z0-9_-]+)/.exec(add.stdout)[1];
    assertProblem(await anon.req('POST', SET_CHECK, { body: { token } }), 429, 'rate-limited');
    assertProblem(await anon.req('POST', RESET_CHECK, { body: { token } }), 429, 'rate-limited');
    assertProblem(await anon.req('POST', SET, { body: { token, password: 'amber-quartz-willow-3341' } }), 429, 'rate-limited');
    assertProblem(await anon.req('POST', RESET, { body: { token, password: 'amber-quartz-willow-3341' } }), 429, 'rate-limited');
    // Sign-in from the address is another count.
    assert.equal((await client(srv.base).req('POST', '/api/v1/auth/login',
      { body: { email: srv.admin.email, password: srv.admin.password } })).status, 200);

    assert.equal(srv.sql("DELETE FROM login_throttle WHERE key = 'link-ip:127.0.0.1'").status, 0);
    assert.deepEqual((await anon.req('POST', SET_CHECK, { body: { token } })).body, { usable: true });
  });

  it('unusable tokens sent to password/set and /reset count toward the same limit', async () => {
    assert.equal(srv.sql("DELETE FROM login_throttle WHERE key = 'link-ip:127.0.0.1'").status, 0);
    const anon = client(srv.base);
    let blocked = null;
    for (let i = 0; i < 10 && !blocked; i++) {
      const path = i % 2 ? RESET : SET;
      const r = await anon.req('POST', path, { body: { token: fakeToken(), password: 'amber-quartz-willow-3341' } });
      if (r.status === 429) blocked = r;
      else assertProblem(r, 403, 'forbidden');
    }
    assert.ok(blocked, 'bad links on set and reset end in 429');
    assertProblem(blocked, 429, 'rate-limited');
    const row = srv.sql("SELECT failures FROM login_throttle WHERE key = 'link-ip:127.0.0.1'").stdout;
    assert.ok(Number(row) >= 3, `counted under the links' key: ${row}`);
  });
});

describe('the issuer the authenticator app shows', () => {
  let srv;
  let admin;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
  });
  after(async () => { await srv?.stop(); });

  const company = async (name) => {
    const r = await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'company' }, body: { company_name: name } });
    assert.equal(r.status, 200, r.text);
  };

  it('enrolment records the company name as issuer; it stays after a rename and is told at the sign-in\'s second step', async () => {
    const first = `Issuer & Co ${uniq('co')}`;
    await company(first);
    const m = await addMember(srv, admin);
    const before = await m.req('GET', TWOFA);
    assert.equal(before.status, 200, before.text);
    assert.equal(before.body.issuer, first, 'not enrolled: the company name');

    const e = await m.req('POST', '/api/v1/auth/2fa/enrol');
    assert.equal(e.status, 200, e.text);
    assert.equal(e.body.issuer, first);
    assert.equal(new URL(e.body.otpauth_uri).searchParams.get('issuer'), first);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(e.body.secret), digits: 6, period: 30 });
    const a = await m.req('POST', '/api/v1/auth/2fa/activate', { body: { code: totp.generate() } });
    assert.equal(a.status, 200, a.text);

    const renamed = `Renamed ${uniq('co')}`;
    await company(renamed);
    const st = await m.req('GET', TWOFA);
    assert.equal(st.body.issuer, first, 'the app still shows the name it was given');
    assert.deepEqual(Object.keys(st.body).sort(), ['enabled', 'issuer', 'recovery_codes_remaining', 'required']);

    // The second step: only what to look for in the app.
    const c = client(srv.base);
    const l = await c.login(m.record.email, `Temp-${m.record.email.split('@')[0]}-password-changed`);
    assert.equal(l.body.stage, 'mfa');
    const mfa = await c.req('GET', TWOFA);
    assert.equal(mfa.status, 200, mfa.text);
    assert.deepEqual(mfa.body, { enabled: true, issuer: first });
    assertProblem(await c.req('GET', '/api/v1/auth/sessions'), 401, 'unauthorized');

    // An enrolment recorded before issuers were: the company name now.
    assert.equal(srv.sql(`UPDATE staff_totp SET issuer = NULL WHERE staff_id = ${m.id}`).status, 0);
    assert.equal((await c.req('GET', TWOFA)).body.issuer, renamed);
    assertProblem(await client(srv.base).req('GET', TWOFA), 401, 'unauthorized');
  });
});

describe('whether email is configured', () => {
  let srv;
  let admin;
  let sink;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    sink = await startSmtpSink(srv.dir);
  });
  after(async () => {
    await sink?.stop();
    await srv?.stop();
  });

  it('GET /email/status: false until a host and a From address are set; any member may ask; 401 signed out', async () => {
    const plain = await staffClient(srv);
    assert.deepEqual((await plain.req('GET', EMAIL_STATUS)).body, { configured: false });
    assert.deepEqual((await admin.req('GET', EMAIL_STATUS)).body, { configured: false });
    await configureSmtp(admin, sink);
    const r = await plain.req('GET', EMAIL_STATUS);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { configured: true });
    const off = await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'smtp' }, body: { smtp_email: null } });
    assert.equal(off.status, 200, off.text);
    assert.deepEqual((await plain.req('GET', EMAIL_STATUS)).body, { configured: false });
    assertProblem(await client(srv.base).req('GET', EMAIL_STATUS), 401, 'unauthorized');
  });
});

describe('can_manage on a staff record', () => {
  let srv;
  let admin;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
  });
  after(async () => { await srv?.stop(); });

  it('says whether the caller may change the member\'s account, and why not', async () => {
    const hrRole = await addRole(admin, `HR ${uniq('r')}`, { staff: ['view', 'create', 'edit'] });
    const opsRole = await addRole(admin, `Ops ${uniq('r')}`, { settings: ['view', 'edit'] });
    const salesRole = await addRole(admin, `Sales ${uniq('r')}`, { leads: ['view_own'] });
    const hr = await addMember(srv, admin, { role_id: hrRole.id }, 'hr');
    const ops = await addMember(srv, admin, { role_id: opsRole.id }, 'ops');
    const plain = await addMember(srv, admin, {}, 'plain');
    const sales = await addMember(srv, admin, { role_id: salesRole.id }, 'sales');
    const get = (c, id) => c.req('GET', '/api/v1/staff/{id}', { params: { id } });

    const a = await get(admin, ops.id);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.can_manage, true);
    assert.equal(a.body.can_manage_detail, null);

    const adm = await get(hr, admin.me.id);
    assert.equal(adm.body.can_manage, false);
    assert.match(adm.body.can_manage_detail, /only an administrator/);
    const o = await get(hr, ops.id);
    assert.equal(o.body.can_manage, false);
    assert.match(o.body.can_manage_detail, /settings/);
    // The 403 of a change says the same.
    const patch = await hr.req('PATCH', '/api/v1/staff/{id}', { params: { id: ops.id }, body: { name: 'Nope' },
      headers: { 'If-Match': o.headers.get('etag') } });
    assertProblem(patch, 403, 'forbidden');
    assert.equal(patch.body.detail, o.body.can_manage_detail);

    assert.equal((await get(hr, plain.id)).body.can_manage, true, 'holds nothing the caller lacks');
    assert.equal((await get(hr, sales.id)).body.can_manage, false, 'leads view_own is not the HR member\'s');
    // A role delegated to the HR role: its members are the HR member's to manage.
    const cur = await admin.req('GET', '/api/v1/roles/{id}', { params: { id: hrRole.id } });
    const d = await admin.req('PATCH', '/api/v1/roles/{id}', { params: { id: hrRole.id }, body: { grantable_role_ids: [salesRole.id] },
      headers: { 'If-Match': cur.headers.get('etag') } });
    assert.equal(d.status, 200, d.text);
    const s = await get(hr, sales.id);
    assert.equal(s.body.can_manage, true);
    assert.equal(s.body.can_manage_detail, null);
    assert.equal((await get(hr, hr.id)).body.can_manage, true, 'one\'s own record');
  });
});
