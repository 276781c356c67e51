// Passwords: the policy (length with and without 2FA, zxcvbn strength with
// context words, history), its settings (group "security"), changing the
// password, "forgot password" (anti-enumeration, a single-use 1 h link
// received by a real SMTP server), the administrator's forced reset, and the
// optional maximum age.
//
// Mail goes to tests/http/smtp_sink.py on loopback, which decodes the body
// from its transfer encoding (quoted-printable or base64) before the test
// reads the link out of it.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, runBin, uniq,
  startSmtpSink, configureSmtp,
} from './harness.mjs';

const LOGIN = '/api/v1/auth/login';
const LOGOUT = '/api/v1/auth/logout';
const ME = '/api/v1/auth/me';
const CHANGE = '/api/v1/auth/password/change';
const FORGOT = '/api/v1/auth/password/forgot';
const RESET = '/api/v1/auth/password/reset';
const FORCE = '/api/v1/staff/{id}/password/reset';
const SETTINGS = '/api/v1/settings/{group}';
const ACTIVITY = '/api/v1/activity';

const COMPANY = 'Quorvexialumina';
const NAME = 'Marguerite Oxbowquill';
const CHANGE_FIRST = 'change your password first';

/* A lifetime (expires - created) equal to want, give or take the second
 * the server may take between its two clock readings. */
function assertAbout(actual, want, msg) {
  assert.ok(Math.abs(actual - want) <= 1000, `${msg}: ${actual} ms, want ${want} ms`);
}

/* A random password of n characters (base64url: strong for zxcvbn). */
const strong = (n) => randomBytes(n).toString('base64url').slice(0, n);

describe('passwords: policy, change, forgot/reset, forced reset, maximum age', () => {
  let srv;
  let admin;
  let staff;
  let sink;
  let routes;

  /* Runs SQL on the server's database (SQLite waits for the worker's locks). */
  function sql(statement) {
    const r = srv.pg ? srv.sql(statement) : (() => {
      const x = spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', srv.dbFile, statement], { encoding: 'utf8' });
      return { status: x.status, stdout: (x.stdout || '').trim(), stderr: x.stderr };
    })();
    assert.equal(r.status, 0, `SQL failed: ${statement}\n${r.stderr}`);
    return r.stdout;
  }

  /* A new member (CLI, own password), signed in: {id, email, local, name, password, c}. */
  async function member({ name = NAME } = {}) {
    const local = `zorblax${randomBytes(5).toString('hex')}`;
    const m = { email: `${local}@example.test`, local, name, password: `Pw-${strong(16)}-x` };
    const r = srv.cli(['staff', 'add', '--email', m.email, '--name', m.name, '--password-stdin'], { input: `${m.password}\n` });
    assert.equal(r.status, 0, `staff add: ${r.stdout}${r.stderr}`);
    m.c = client(srv.base);
    const l = await m.c.login(m.email, m.password);
    m.id = l.body.staff.id;
    return m;
  }

  async function change(m, newPassword, current = m.password) {
    return m.c.req('POST', CHANGE, { body: { current_password: current, new_password: newPassword } });
  }

  /* Changes the password and remembers it. */
  async function changeOk(m, newPassword) {
    const r = await change(m, newPassword);
    assert.equal(r.status, 200, `password change to ${JSON.stringify(newPassword)}: ${r.status} ${r.text}`);
    m.password = newPassword;
    return r;
  }

  async function patchSecurity(body) {
    const r = await admin.req('PATCH', SETTINGS, { params: { group: 'security' }, body });
    assert.equal(r.status, 200, `PATCH security ${JSON.stringify(body)}: ${r.status} ${r.text}`);
    return r.body.values;
  }

  /* The reset link of the newest reset mail to addr not in `seen`; returns the token. */
  async function resetLink(addr, seen = new Set()) {
    const mail = await sink.waitFor(addr, (x) => {
      const m = /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(x.body || '');
      return m && !seen.has(m[1]);
    }, { what: `a reset link to ${addr}` });
    assert.equal(mail.subject, `Reset your ${COMPANY} password`);
    const token = /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(mail.body)[1];
    assert.ok(mail.body.includes(`${srv.base}/reset-password#token=${token}`), 'the link points at the server');
    seen.add(token);
    return { token, mail };
  }

  async function activityRows(query) {
    const r = await admin.req('GET', ACTIVITY, { query: { limit: 200, ...query } });
    assert.equal(r.status, 200, r.text);
    return r.body.data;
  }

  async function signInFails(email, password) {
    const r = await client(srv.base).req('POST', LOGIN, { body: { email, password } });
    assertProblem(r, 401, 'unauthorized');
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    const co = await admin.req('PATCH', SETTINGS, { params: { group: 'company' }, body: { company_name: COMPANY } });
    assert.equal(co.status, 200, co.text);
    const seats = srv.cli(['org', 'seats', '1', '--extra-seats', '100']); // as the operator
    assert.equal(seats.status, 0, seats.stderr);
    sink = await startSmtpSink(srv.dir);
    await configureSmtp(admin, sink);
    const rt = runBin(['routes']);
    assert.equal(rt.status, 0, rt.stderr);
    routes = JSON.parse(rt.stdout);
  });

  after(async () => {
    await sink?.stop();
    await srv?.stop();
  });

  // ---- policy ----------------------------------------------------------------

  it('the security settings carry the documented defaults', async () => {
    const r = await admin.req('GET', SETTINGS, { params: { group: 'security' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.group, 'security');
    const defaults = Object.fromEntries(r.body.fields.map((f) => [f.key, f.default]));
    assert.deepEqual(defaults, {
      password_min_length: 15, password_min_length_2fa: 8, password_min_score: 3, password_history: 5,
      password_max_age_days: 0, twofa_required_admins: true, session_idle_minutes: 30, session_absolute_hours: 12,
      // The weekly check's (src/admin/signals.c).
      working_hours: '08:00-19:00', working_days: 'mon,tue,wed,thu,fri', mass_delete_count: 20, mass_delete_minutes: 10,
    });
    assert.equal(r.body.fields.find((f) => f.key === 'password_min_length').min, 8, 'never below 8');
    assert.equal(r.body.values.password_min_length, 15);
  });

  it('too short: 14 characters are refused with the default minimum of 15; 15 are accepted', async () => {
    const m = await member();
    const r = await change(m, strong(14));
    assertFieldErrors(r, { new_password: 'too_short' });
    assert.match(r.body.errors[0].detail, /15/);
    await changeOk(m, strong(15));
  });

  it('with 2FA, 8 characters are enough (password_min_length_2fa); 7 are not', async () => {
    const m = await member();
    const e = await m.c.req('POST', '/api/v1/auth/2fa/enrol');
    assert.equal(e.status, 200, e.text);
    const code = OTPAuth.URI.parse(e.body.otpauth_uri).generate();
    const a = await m.c.req('POST', '/api/v1/auth/2fa/activate', { body: { code } });
    assert.equal(a.status, 200, a.text);
    const r = await change(m, 'Vq9#Lt4');
    assertFieldErrors(r, { new_password: 'too_short' });
    assert.match(r.body.errors[0].detail, /\b8\b/);
    await changeOk(m, 'Vq9#Lt4&');
  });

  it('long and Unicode passwords are accepted (64+ characters); over 1024 bytes is too_long', async () => {
    const m = await member();
    await changeOk(m, `${strong(40)} ${strong(40)}`);
    await changeOk(m, 'Ünïcode pässwörd — 日本語のパスワード 🦄 ' + strong(8));
    const c = client(srv.base);
    assert.equal((await c.req('POST', LOGIN, { body: { email: m.email, password: m.password } })).status, 200,
      'signs in with the Unicode password');
    assertFieldErrors(await change(m, 'x'.repeat(1025)), { new_password: 'too_long' });
    // Length counts characters, the cap counts bytes.
    const fourteen = 'ÄÖÜßéàçñøåæœ€¥';
    assert.equal([...fourteen].length, 14);
    assert.ok(Buffer.byteLength(fourteen) > 15);
    assertFieldErrors(await change(m, fourteen), { new_password: 'too_short' });
    assertFieldErrors(await change(m, 'é'.repeat(513)), { new_password: 'too_long' });
  });

  it('a common password is refused as weak, with the reason', async () => {
    const m = await member();
    const r = await change(m, 'password1234567');
    assertFieldErrors(r, { new_password: 'weak' });
    assert.match(r.body.errors[0].detail, /common word or password/);
  });

  it('a password containing the email local part, the name or the company name is weak', async () => {
    const m = await member();
    for (const pw of [`${m.local}!7`, `${NAME}!!`, `${COMPANY}1!`]) {
      const r = await change(m, pw);
      assertFieldErrors(r, { new_password: 'weak' });
      assert.match(r.body.errors[0].detail, /it contains your name, email or the company name/, `${pw}: ${r.text}`);
    }
    // The same shapes without the context words are fine.
    await changeOk(m, `${strong(14)}!7`);
  });

  it('one of the last 5 passwords is refused as reused; the sixth back is allowed again', async () => {
    const m = await member();
    const first = m.password;
    const used = [first];
    for (let i = 0; i < 4; i++) {
      const p = `Pw-${strong(16)}-${i}`;
      await changeOk(m, p);
      used.push(p);
    }
    // History: first, p0..p3 (5). Each earlier one is refused.
    for (const old of used.slice(0, 4)) {
      const r = await change(m, old);
      assertFieldErrors(r, { new_password: 'reused' });
      assert.match(r.body.errors[0].detail, /5/);
    }
    const same = await change(m, m.password);
    assertFieldErrors(same, { new_password: 'reused' });
    // One more new password pushes `first` out of the last five.
    await changeOk(m, `Pw-${strong(16)}-5`);
    await changeOk(m, first);
  });

  it('PATCH /settings/security changes the rules (password_min_length 20) and refuses bad values', async () => {
    const m = await member();
    try {
      const v = await patchSecurity({ password_min_length: 20 });
      assert.equal(v.password_min_length, 20);
      const r = await change(m, strong(19));
      assertFieldErrors(r, { new_password: 'too_short' });
      assert.match(r.body.errors[0].detail, /20/);
      await changeOk(m, strong(20));

      await patchSecurity({ password_min_score: 0 });
      await changeOk(m, 'password1234567abcde');
    } finally {
      await patchSecurity({ password_min_length: null, password_min_score: null });
    }
    assert.equal((await admin.req('GET', SETTINGS, { params: { group: 'security' } })).body.values.password_min_length, 15);

    for (const [body, field, code] of [
      [{ password_min_length: 7 }, 'password_min_length', 'invalid'],
      [{ password_min_length: 129 }, 'password_min_length', 'invalid'],
      [{ password_min_length: '20' }, 'password_min_length', 'type'],
      [{ password_min_score: 5 }, 'password_min_score', 'invalid'],
      [{ password_history: -1 }, 'password_history', 'invalid'],
      [{ password_max_age_days: 3651 }, 'password_max_age_days', 'invalid'],
      [{ twofa_required_admins: 'yes' }, 'twofa_required_admins', 'type'],
      [{ session_idle_minutes: 4 }, 'session_idle_minutes', 'invalid'],
      [{ session_absolute_hours: 0 }, 'session_absolute_hours', 'invalid'],
      [{ password_colour: 1 }, 'password_colour', 'unknown_field'],
    ]) {
      assertFieldErrors(await admin.req('PATCH', SETTINGS, { params: { group: 'security' }, body }), { [field]: code });
    }
    assertProblem(await staff.req('GET', SETTINGS, { params: { group: 'security' } }), 403, 'forbidden');
    assertProblem(await staff.req('PATCH', SETTINGS, { params: { group: 'security' }, body: { password_min_length: 8 } }),
      403, 'forbidden');
  });

  // ---- change ----------------------------------------------------------------

  it('password change needs the current password, ends other sessions and rotates this one', async () => {
    const m = await member();
    const other = client(srv.base);
    await other.login(m.email, m.password);

    const wrong = await change(m, `Pw-${strong(16)}`, `${m.password}-not`);
    assertFieldErrors(wrong, { current_password: 'invalid' });
    assert.equal(wrong.body.errors.length, 1, wrong.text);
    // Both fields are judged at once.
    assertFieldErrors(await change(m, strong(10), `${m.password}-not`), { current_password: 'invalid', new_password: 'too_short' });
    assertFieldErrors(await m.c.req('POST', CHANGE, { body: {} }), { current_password: 'required', new_password: 'required' });
    assertFieldErrors(await m.c.req('POST', CHANGE, { body: { current_password: m.password, new_password: 5 } }),
      { new_password: 'type' });
    assertFieldErrors(await m.c.req('POST', CHANGE, { body: { current_password: m.password, new_password: strong(20), confirm: 'x' } }),
      { confirm: 'unknown_field' });
    assert.equal((await other.req('GET', ME)).status, 200, 'refusals end nothing');

    const oldCookie = m.c.sessionCookie().value;
    const oldPassword = m.password;
    const r = await changeOk(m, `Pw-${strong(16)}-new`);
    assert.equal(r.body.stage, 'full');
    assert.equal(r.body.staff.email, m.email);
    assert.equal(r.body.staff.must_change_password, false);
    assert.notEqual(m.c.sessionCookie().value, oldCookie, 'a new session id');
    const stale = client(srv.base);
    stale.setCookie('atrium_session', oldCookie);
    assertProblem(await stale.req('GET', ME), 401, 'unauthorized');
    assertProblem(await other.req('GET', ME), 401, 'unauthorized');
    assert.equal((await m.c.req('GET', ME)).status, 200);

    await signInFails(m.email, oldPassword);
    await client(srv.base).login(m.email, m.password);
    assert.equal((await activityRows({ entity: 'staff', entity_id: m.id, action: 'password_change' })).length, 1);
    const notice = await sink.waitFor(m.email, (x) => /your password was changed/.test(x.body || ''), { what: 'the notice' });
    assert.equal(notice.subject, `Security notice from ${COMPANY}`);
    assert.ok(!notice.raw.includes(m.password), 'no password in the mail');

    assertProblem(await client(srv.base).req('POST', CHANGE, { body: { current_password: 'a', new_password: 'b' } }),
      401, 'unauthorized');
  });

  it('wrong current passwords are throttled per member (429 with Retry-After)', async () => {
    const m = await member();
    let blocked = null;
    for (let i = 0; i < 8 && !blocked; i++) {
      const r = await change(m, `Pw-${strong(16)}`, `wrong-${i}-${m.password}`);
      if (r.status === 429) blocked = r;
      else assertFieldErrors(r, { current_password: 'invalid' });
    }
    assert.ok(blocked, 'wrong current passwords end in 429');
    assertProblem(blocked, 429, 'rate-limited');
    assert.match(blocked.headers.get('retry-after') || '', /^[1-9]\d*$/);
  });

  it('an administrator can require a password change at next sign-in (PATCH must_change_password)', async () => {
    const m = await member();
    const rec = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: m.id } });
    const p = await admin.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: m.id }, body: { must_change_password: true }, headers: { 'If-Match': rec.headers.get('etag') },
    });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.must_change_password, true);
    const c = client(srv.base);
    const l = await c.login(m.email, m.password);
    assert.equal(l.body.staff.must_change_password, true);
    const blocked = await c.req('GET', '/api/v1/auth/sessions');
    assertProblem(blocked, 403, 'forbidden');
    assert.equal(blocked.body.detail, CHANGE_FIRST);
    const ch = await c.req('POST', CHANGE, { body: { current_password: m.password, new_password: `Pw-${strong(16)}-req` } });
    assert.equal(ch.status, 200, ch.text);
    assert.equal(ch.body.staff.must_change_password, false);
    assert.equal((await c.req('GET', '/api/v1/auth/sessions')).status, 200);
  });

  // ---- forgot / reset --------------------------------------------------------

  it('forgot password: 202 with byte-identical bodies for a known and an unknown email; only the known gets mail', async () => {
    const m = await member();
    const unknown = `nobody-${uniq('u')}@example.test`;
    const anon = client(srv.base);
    const known = await anon.req('POST', FORGOT, { body: { email: m.email } });
    const nobody = await anon.req('POST', FORGOT, { body: { email: unknown } });
    for (const r of [known, nobody]) {
      assert.equal(r.status, 202, r.text);
      assert.equal(typeof r.body.message, 'string');
      assert.equal(r.setCookies.length, 0, 'no cookie');
    }
    const strip = (r) => {
      const b = { ...r.body };
      delete b.request_id;
      return JSON.stringify(b);
    };
    assert.equal(strip(known), strip(nobody));
    const raw = (r) => r.text.split(r.headers.get('x-request-id')).join('<rid>');
    assert.equal(raw(known), raw(nobody), 'byte-identical apart from the request id');
    assert.equal(known.headers.get('content-type'), nobody.headers.get('content-type'));

    const { mail } = await resetLink(m.email);
    assert.match(mail.body, /expires in 1 hour/);
    const requested = await activityRows({ action: 'password_reset_requested' });
    assert.equal(requested.filter((x) => x.entity_id === m.id).length, 1, 'the request is logged for the member');
    assert.ok(!JSON.stringify(requested).includes(unknown), 'nothing about the unknown address');
    const q = await admin.req('GET', '/api/v1/email-queue', { query: { limit: 200 } });
    assert.equal(q.status, 200, q.text);
    assert.ok(!q.body.data.some((x) => x.to === unknown), 'nothing is queued for an unknown address');
    assert.equal(sink.to(unknown).length, 0);

    // Over the per-address rate limit the answer stays the same.
    for (let i = 0; i < 6; i++) {
      const again = await anon.req('POST', FORGOT, { body: { email: unknown } });
      assert.equal(again.status, 202, again.text);
      assert.equal(raw(again), raw(known), `request ${i + 2} for the unknown address`);
    }

    assertFieldErrors(await anon.req('POST', FORGOT, { body: {} }), { email: 'required' });
    assertFieldErrors(await anon.req('POST', FORGOT, { body: { email: m.email, name: 'x' } }), { name: 'unknown_field' });
  });

  it('the reset link sets a password once (second use 403) and ends the other sessions', async () => {
    const m = await member();
    const other = client(srv.base);
    await other.login(m.email, m.password);
    const anon = client(srv.base);
    assert.equal((await anon.req('POST', FORGOT, { body: { email: m.email } })).status, 202);
    const { token } = await resetLink(m.email);

    // A refused password does not use the link up.
    assertFieldErrors(await anon.req('POST', RESET, { body: { token, password: 'password1234567' } }), { password: 'weak' });
    assertFieldErrors(await anon.req('POST', RESET, { body: { token } }), { password: 'required' });
    assertFieldErrors(await anon.req('POST', RESET, { body: { password: strong(20) } }), { token: 'required' });
    assertProblem(await anon.req('POST', RESET, { body: { token: 'A'.repeat(43), password: strong(20) } }), 403, 'forbidden');

    const password = `Pw-${strong(16)}-reset`;
    const r = await anon.req('POST', RESET, { body: { token, password } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.stage, 'full');
    assert.equal(r.body.staff.email, m.email);
    assert.ok(anon.sessionCookie(), 'signed in by the link');
    assertProblem(await other.req('GET', ME), 401, 'unauthorized');
    assertProblem(await m.c.req('GET', ME), 401, 'unauthorized');
    await signInFails(m.email, m.password);
    await client(srv.base).login(m.email, password);

    const again = await client(srv.base).req('POST', RESET, { body: { token, password: `Pw-${strong(16)}-again` } });
    assertProblem(again, 403, 'forbidden');
    await client(srv.base).login(m.email, password);
    assert.equal((await activityRows({ entity: 'staff', entity_id: m.id, action: 'password_reset' })).length, 1);
    await sink.waitFor(m.email, (x) => /your password was reset/.test(x.body || ''), { what: 'the reset notice' });
  });

  it('a reset link does not skip the second factor: a member with 2FA lands in stage mfa', async () => {
    const m = await member();
    const e = await m.c.req('POST', '/api/v1/auth/2fa/enrol');
    assert.equal(e.status, 200, e.text);
    const totp = OTPAuth.URI.parse(e.body.otpauth_uri);
    assert.equal((await m.c.req('POST', '/api/v1/auth/2fa/activate', { body: { code: totp.generate() } })).status, 200);
    const anon = client(srv.base);
    assert.equal((await anon.req('POST', FORGOT, { body: { email: m.email } })).status, 202);
    const { token } = await resetLink(m.email);
    const password = `Pw-${strong(16)}-2fa`;
    const r = await anon.req('POST', RESET, { body: { token, password } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.stage, 'mfa', `the stage rules apply after a reset: ${r.text}`);
    const blocked = await anon.req('GET', '/api/v1/auth/sessions');
    assertProblem(blocked, 401, 'unauthorized');
    assert.equal(blocked.body.detail, 'enter your two-factor code first');
    const v = await anon.req('POST', '/api/v1/auth/2fa/verify', { body: { code: totp.generate({ timestamp: Date.now() + 30000 }) } });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.stage, 'full');
  });

  it('an invitation link lives 72 hours and is refused (403) once expired', async () => {
    const tag = uniq('inv');
    const add = await admin.req('POST', '/api/v1/staff', { body: { email: `${tag}@example.test`, name: `Invited ${tag}`, send_welcome: true } });
    assert.equal(add.status, 201, add.text);
    const mail = await sink.waitFor(add.body.email, (x) => /\/set-password#token=/.test(x.body || ''), { what: 'the invitation' });
    const token = /\/set-password#token=([A-Za-z0-9_-]+)/.exec(mail.body)[1];
    const row = sql(`SELECT created_at || '|' || expires_at FROM auth_token WHERE staff_id = ${add.body.id} AND purpose = 'set_password' AND used_at IS NULL`);
    const [created, expires] = row.split('|');
    assertAbout(Date.parse(expires) - Date.parse(created), 72 * 3600000, `72 h: ${row}`);
    // The policy applies to the link's password too; a refusal keeps the link.
    assertFieldErrors(await client(srv.base).req('POST', '/api/v1/auth/password/set', { body: { token, password: 'password1234567' } }),
      { password: 'weak' });
    assertFieldErrors(await client(srv.base).req('POST', '/api/v1/auth/password/set', { body: { token, password: strong(14) } }),
      { password: 'too_short' });
    sql(`UPDATE auth_token SET expires_at = '${new Date(Date.now() - 1000).toISOString()}' ` +
      `WHERE staff_id = ${add.body.id} AND purpose = 'set_password' AND used_at IS NULL`);
    const r = await client(srv.base).req('POST', '/api/v1/auth/password/set', { body: { token, password: `Pw-${strong(16)}-inv` } });
    assertProblem(r, 403, 'forbidden');
  });

  it('a reset link of a member deactivated since is refused (403)', async () => {
    const m = await member();
    assert.equal((await client(srv.base).req('POST', FORGOT, { body: { email: m.email } })).status, 202);
    const { token } = await resetLink(m.email);
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: m.id } });
    assert.equal(d.status, 200, d.text);
    const r = await client(srv.base).req('POST', RESET, { body: { token, password: `Pw-${strong(16)}-off` } });
    assertProblem(r, 403, 'forbidden');
    assert.equal(r.setCookies.length, 0, 'no session');
  });

  it('the reset link lives 1 hour and is refused (403) once expired', async () => {
    const m = await member();
    assert.equal((await client(srv.base).req('POST', FORGOT, { body: { email: m.email } })).status, 202);
    const { token } = await resetLink(m.email);
    const row = sql(`SELECT created_at || '|' || expires_at FROM auth_token WHERE staff_id = ${m.id} AND purpose = 'reset' AND used_at IS NULL`);
    const [created, expires] = row.split('|');
    assertAbout(Date.parse(expires) - Date.parse(created), 3600000, `1 h: ${row}`);
    sql(`UPDATE auth_token SET expires_at = '${new Date(Date.now() - 1000).toISOString()}' ` +
      `WHERE staff_id = ${m.id} AND purpose = 'reset' AND used_at IS NULL`);
    const r = await client(srv.base).req('POST', RESET, { body: { token, password: `Pw-${strong(16)}-late` } });
    assertProblem(r, 403, 'forbidden');
    await client(srv.base).login(m.email, m.password);
  });

  it('the administrator\'s forced reset stops the old password, ends sessions and mails a link (24 h)', async () => {
    const m = await member();
    const r = await admin.req('POST', FORCE, { params: { id: m.id } });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.reset_link_sent, true);
    assert.ok(!r.text.includes('token'), 'the admin never sees the link');
    assertProblem(await m.c.req('GET', ME), 401, 'unauthorized');
    await signInFails(m.email, m.password);

    const { token, mail } = await resetLink(m.email);
    assert.match(mail.body, /expires in 24 hour/);
    const password = `Pw-${strong(16)}-forced`;
    const set = await client(srv.base).req('POST', RESET, { body: { token, password } });
    assert.equal(set.status, 200, set.text);
    await client(srv.base).login(m.email, password);
    const rows = await activityRows({ entity: 'staff', entity_id: m.id, action: 'password_reset_forced' });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].actor_id, admin.me.id);

    assertProblem(await admin.req('POST', FORCE, { params: { id: 987654 } }), 404, 'not-found');
    assertFieldErrors(await admin.req('POST', FORCE, { params: { id: m.id }, body: { password: 'x' } }), { password: 'unknown_field' });
    assertProblem(await client(srv.base).req('POST', FORCE, { params: { id: m.id } }), 401, 'unauthorized');
    assertProblem(await staff.req('POST', FORCE, { params: { id: m.id } }), 403, 'forbidden');
    await client(srv.base).login(m.email, password);

    // A non-admin with staff.edit may not force an administrator's reset.
    const role = await admin.req('POST', '/api/v1/roles', { body: { name: `Editors ${uniq('r')}`, permissions: { staff: ['view', 'edit'] } } });
    assert.equal(role.status, 201, role.text);
    const ed = await member();
    const rec = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: ed.id } });
    const p = await admin.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: ed.id }, body: { role_id: role.body.id }, headers: { 'If-Match': rec.headers.get('etag') },
    });
    assert.equal(p.status, 200, p.text);
    const edc = client(srv.base);
    await edc.login(ed.email, ed.password);
    assertProblem(await edc.req('POST', FORCE, { params: { id: admin.me.id } }), 403, 'forbidden');
    assert.equal((await admin.req('GET', ME)).status, 200, 'the administrator is untouched');
    await client(srv.base).login(srv.admin.email, srv.admin.password);
  });

  it('the pages the links lead to are served: /reset-password and /forgot-password', async () => {
    const anon = client(srv.base);
    for (const page of ['/reset-password', '/forgot-password']) {
      const r = await anon.req('GET', page);
      assert.equal(r.status, 200, `${page}: ${r.status}`);
      assert.match(r.headers.get('content-type') || '', /^text\/html/);
      assert.match(r.text, /<!doctype html>/i);
    }
  });

  // ---- maximum age -----------------------------------------------------------

  it('maximum age: an expired password forces a change before anything else (accounts without 2FA)', async () => {
    const m = await member();
    const fresh = await member();
    const twofa = await member();
    const e = await twofa.c.req('POST', '/api/v1/auth/2fa/enrol');
    const totp = OTPAuth.URI.parse(e.body.otpauth_uri);
    assert.equal((await twofa.c.req('POST', '/api/v1/auth/2fa/activate', { body: { code: totp.generate() } })).status, 200);
    const twoDaysAgo = new Date(Date.now() - 2 * 86400000).toISOString();
    try {
      assert.equal((await patchSecurity({ password_max_age_days: 1 })).password_max_age_days, 1);
      sql(`UPDATE staff SET password_changed_at = '${twoDaysAgo}' WHERE id IN (${m.id}, ${twofa.id})`);

      const c = client(srv.base);
      const l = await c.login(m.email, m.password);
      assert.equal(l.body.stage, 'full');
      assert.equal(l.body.staff.must_change_password, true, `expired: ${l.text}`);
      const allowed = new Set([`GET ${ME}`, `POST ${LOGOUT}`, `POST ${CHANGE}`, 'GET /api/v1/auth/session']);
      const wrong = [];
      for (const x of routes.filter((y) => (y.access === 'session' || y.access === 'perm') && !allowed.has(`${y.method} ${y.path}`))) {
        const res = await c.req(x.method, x.path, { params: { id: 987654, group: 'company', kind: 'logo_light', key: 'activity_review' } });
        if (res.status !== 403 || res.body?.detail !== CHANGE_FIRST) wrong.push(`${x.method} ${x.path}: ${res.status} ${res.body?.detail}`);
      }
      assert.deepEqual(wrong, [], 'every other route asks for the change');
      assert.equal((await c.req('GET', ME)).body.staff.must_change_password, true);
      const ch = await c.req('POST', CHANGE, { body: { current_password: m.password, new_password: `Pw-${strong(16)}-aged` } });
      assert.equal(ch.status, 200, ch.text);
      assert.equal(ch.body.staff.must_change_password, false);
      assert.equal((await c.req('GET', '/api/v1/auth/sessions')).status, 200);

      // A recent password is not expired.
      const f = await client(srv.base).login(fresh.email, fresh.password);
      assert.equal(f.body.staff.must_change_password, false);

      // With 2FA the maximum age does not apply.
      const t = client(srv.base);
      const tl = await t.req('POST', LOGIN, { body: { email: twofa.email, password: twofa.password } });
      assert.equal(tl.body.stage, 'mfa', tl.text);
      const v = await t.req('POST', '/api/v1/auth/2fa/verify', { body: { code: totp.generate({ timestamp: Date.now() + 30000 }) } });
      assert.equal(v.status, 200, v.text);
      assert.equal(v.body.staff.must_change_password, false, 'not forced with 2FA');
      assert.equal((await t.req('GET', '/api/v1/auth/sessions')).status, 200);
    } finally {
      await patchSecurity({ password_max_age_days: null });
    }
  });
});
