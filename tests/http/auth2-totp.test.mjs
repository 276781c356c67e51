// TOTP two-factor authentication for the member: enrolment (secret, otpauth
// URI, QR code as SVG, secret encrypted at rest), activation, the second
// sign-in step (stage "mfa"), replay and window rules, recovery codes,
// turning 2FA off, and the security notice email.
//
// Codes come from generators that are not ours: Debian's `oathtool` (OATH
// Toolkit) from the base32 secret, and the npm `otpauth` library from the
// otpauth:// URI Atrium shows. Each member activates with one and signs in
// with the other. A code's step can be accepted only once (the step must be
// later than the last accepted one), so a sign-in after activation uses the
// code of the NEXT 30 s step, which the ±1 step window admits.
//
// Mail goes to a real SMTP server on loopback (tests/http/smtp_sink.py).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, runBin, uniq, waitFor, ISO_MS,
  startSmtpSink, configureSmtp,
} from './harness.mjs';

const LOGIN = '/api/v1/auth/login';
const LOGOUT = '/api/v1/auth/logout';
const ME = '/api/v1/auth/me';
const TWOFA = '/api/v1/auth/2fa';
const ENROL = '/api/v1/auth/2fa/enrol';
const ACTIVATE = '/api/v1/auth/2fa/activate';
const VERIFY = '/api/v1/auth/2fa/verify';
const DISABLE = '/api/v1/auth/2fa/disable';
const CODES = '/api/v1/auth/2fa/recovery-codes';
const REAUTH = '/api/v1/auth/reauth';
const ACTIVITY = '/api/v1/activity';

const MFA_DETAIL = 'enter your two-factor code first';
const RECOVERY_FORMAT = /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/;

/* A 6-digit code from Debian's oathtool for the base32 secret at `when`
 * (a GNU date string such as "now + 30 seconds"). */
function oathtool(secret, when = 'now') {
  const r = spawnSync('oathtool', ['--totp', '-b', '-N', when, secret], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run oathtool (apt-get install oathtool): ${r.error.message}`);
  assert.equal(r.status, 0, `oathtool failed: ${r.stderr}`);
  const code = r.stdout.trim();
  assert.match(code, /^\d{6}$/, `oathtool printed a 6-digit code: ${r.stdout}`);
  return code;
}

/* A code from the npm otpauth library, parsing the URI Atrium showed. */
function otpauthCode(uri, offsetMs = 0) {
  const totp = OTPAuth.URI.parse(uri);
  assert.ok(totp instanceof OTPAuth.TOTP, 'the URI describes a TOTP');
  return totp.generate({ timestamp: Date.now() + offsetMs });
}

/* Waits (at most a few seconds) until the clock is not near a 30 s step
 * boundary, so a code made now is judged in the same step by the server. */
async function awayFromBoundary() {
  await waitFor(() => {
    const into = Date.now() % 30000;
    return into > 1000 && into < 27000;
  }, { timeout: 5000, every: 50, what: 'the middle of a TOTP step' });
}

function sessionCookieOf(r) {
  const sc = r.setCookies.find((x) => /^(__Host-)?atrium_session=/.test(x));
  return sc ? sc.split(';')[0].split('=').slice(1).join('=') : null;
}

describe('two-factor authentication (TOTP) for the member', () => {
  let srv;
  let admin;
  let sink;
  let routes;
  const company = `Ünïcorn Trading ${uniq('co')}`;

  /* Runs SQL on the server's database (SQLite waits for the worker's locks). */
  function sql(statement) {
    const r = srv.pg ? srv.sql(statement) : (() => {
      const x = spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', srv.dbFile, statement], { encoding: 'utf8' });
      return { status: x.status, stdout: (x.stdout || '').trim(), stderr: x.stderr };
    })();
    assert.equal(r.status, 0, `SQL failed: ${statement}\n${r.stderr}`);
    return r.stdout;
  }

  /* A new member with a password of their own (through the CLI), signed in. */
  async function member({ name } = {}) {
    const tag = uniq('tf');
    const m = { email: `${tag}@example.test`, name: name || `Member ${tag}`, password: `Pw-${randomBytes(12).toString('base64url')}-x` };
    const r = srv.cli(['staff', 'add', '--email', m.email, '--name', m.name, '--password-stdin'], { input: `${m.password}\n` });
    assert.equal(r.status, 0, `staff add: ${r.stdout}${r.stderr}`);
    m.c = client(srv.base);
    const l = await m.c.login(m.email, m.password);
    assert.equal(l.body.stage, 'full', 'a member without 2FA signs in fully');
    m.id = l.body.staff.id;
    return m;
  }

  async function enrol(c) {
    const r = await c.req('POST', ENROL);
    assert.equal(r.status, 200, `enrol: ${r.status} ${r.text}`);
    return r.body;
  }

  async function activate(c, code) {
    const r = await c.req('POST', ACTIVATE, { body: { code } });
    assert.equal(r.status, 200, `activate: ${r.status} ${r.text}`);
    return r;
  }

  /* Signs out and in again: the password step, which must stop at "mfa". */
  async function relogin(m) {
    const out = await m.c.req('POST', LOGOUT);
    assert.ok([204, 401].includes(out.status), `logout: ${out.status}`);
    m.c = client(srv.base);
    const r = await m.c.req('POST', LOGIN, { body: { email: m.email, password: m.password } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.stage, 'mfa', `a member with 2FA stops at the second step: ${r.text}`);
    return r;
  }

  /* A member with 2FA on (activated with otpauth); returns m with m.enrolment and m.recovery. */
  async function memberWith2fa(opts) {
    const m = await member(opts);
    m.enrolment = await enrol(m.c);
    const a = await activate(m.c, otpauthCode(m.enrolment.otpauth_uri));
    m.recovery = a.body.recovery_codes;
    return m;
  }

  async function activityRows(query) {
    const r = await admin.req('GET', ACTIVITY, { query: { limit: 200, ...query } });
    assert.equal(r.status, 200, r.text);
    return r.body.data;
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    const co = await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'company' }, body: { company_name: company } });
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

  it('GET /auth/2fa says off, enrol shows a base32 secret, an otpauth URI and an SVG QR code once', async () => {
    const m = await member();
    const st = await m.c.req('GET', TWOFA);
    assert.equal(st.status, 200, st.text);
    assert.deepEqual(st.body, { enabled: false, required: false, recovery_codes_remaining: 0, issuer: company });

    const e = await enrol(m.c);
    assert.deepEqual(Object.keys(e).sort(), ['issuer', 'otpauth_uri', 'qr_svg', 'secret']);
    assert.equal(e.issuer, company, 'the issuer, as in the URI');
    assert.match(e.secret, /^[A-Z2-7]{32}$/, '160 bits as unpadded base32');

    // The URI, read by a library that is not ours.
    const totp = OTPAuth.URI.parse(e.otpauth_uri);
    assert.ok(totp instanceof OTPAuth.TOTP);
    assert.equal(totp.secret.base32, e.secret, 'the URI carries the same secret');
    assert.equal(totp.secret.bytes.length, 20, '160-bit secret');
    assert.equal(totp.algorithm, 'SHA1');
    assert.equal(totp.digits, 6);
    assert.equal(totp.period, 30);
    assert.equal(totp.issuer, company, 'issuer is the company name');
    assert.equal(totp.label, m.email, 'the account is the member\'s email');
    assert.match(e.otpauth_uri, /^otpauth:\/\/totp\//);

    // The QR code is an SVG document, and it does not spell the secret out.
    assert.match(e.qr_svg, /^<svg[\s>]/);
    assert.match(e.qr_svg, /xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(e.qr_svg, /<\/svg>\s*$/);
    assert.ok(!e.qr_svg.includes(e.secret), 'no secret in the markup');

    // Pending until a valid code: still off, and the secret is stored encrypted.
    assert.equal((await m.c.req('GET', TWOFA)).body.enabled, false);
    const raw = sql(`SELECT secret FROM staff_totp WHERE staff_id = ${m.id}`);
    assert.match(raw, /^v1:/, 'stored as v1:<ciphertext>');
    assert.ok(!raw.includes(e.secret), 'not the base32 secret');
    assert.ok(!Buffer.from(raw.slice(3), 'base64').toString('latin1').includes(e.secret), 'not base64 of it');
    assert.ok(!Buffer.from(raw.slice(3), 'base64').includes(Buffer.from(totp.secret.bytes)), 'not the raw bytes');

    // A second enrolment before activation replaces the secret.
    const e2 = await enrol(m.c);
    assert.notEqual(e2.secret, e.secret);
    const staleCode = oathtool(e.secret);
    if (staleCode !== oathtool(e2.secret)) {
      assertFieldErrors(await m.c.req('POST', ACTIVATE, { body: { code: staleCode } }), { code: 'invalid' });
    }
  });

  it('activation needs a valid code (422 on code), returns 10 recovery codes once, and a new session', async () => {
    const m = await member();
    const e = await enrol(m.c);
    const cur = oathtool(e.secret);
    const wrong = String((Number(cur) + 500000) % 1000000).padStart(6, '0');
    assertFieldErrors(await m.c.req('POST', ACTIVATE, { body: { code: wrong } }), { code: 'invalid' });
    assertFieldErrors(await m.c.req('POST', ACTIVATE, { body: {} }), { code: 'required' });
    assertFieldErrors(await m.c.req('POST', ACTIVATE, { body: { code: 123456 } }), { code: 'type' });
    assertFieldErrors(await m.c.req('POST', ACTIVATE, { body: { code: cur, device: 'x' } }), { device: 'unknown_field' });
    assert.equal((await m.c.req('GET', TWOFA)).body.enabled, false, 'refused codes activate nothing');

    const before = m.c.sessionCookie().value;
    const a = await m.c.req('POST', ACTIVATE, { body: { code: oathtool(e.secret) } });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.stage, 'full');
    assert.equal(a.body.staff.email, m.email);
    assert.equal(typeof a.body.csrf_token, 'string');
    const codes = a.body.recovery_codes;
    assert.ok(Array.isArray(codes) && codes.length === 10, `10 recovery codes: ${a.text}`);
    for (const x of codes) assert.match(x, RECOVERY_FORMAT);
    assert.equal(new Set(codes).size, 10, 'all different');
    const after = sessionCookieOf(a);
    assert.ok(after && after !== before, 'a new session id at the privilege change');
    const old = client(srv.base);
    old.setCookie('atrium_session', before);
    assertProblem(await old.req('GET', ME), 401, 'unauthorized');

    const st = await m.c.req('GET', TWOFA);
    assert.deepEqual(st.body, { enabled: true, required: false, recovery_codes_remaining: 10, issuer: company });
    assert.ok(!st.text.includes(codes[0]), 'the codes are not shown again');
    assertProblem(await m.c.req('POST', ENROL), 409, 'conflict');
    const raw = sql(`SELECT code_hash FROM recovery_code WHERE staff_id = ${m.id}`);
    for (const x of codes) {
      assert.ok(!raw.includes(x) && !raw.includes(x.replace(/-/g, '')), 'recovery codes are stored hashed');
    }
    const rows = await activityRows({ entity: 'staff', entity_id: m.id, action: '2fa_enabled' });
    assert.equal(rows.length, 1, '2fa_enabled is logged');
  });

  it('oathtool activates, otpauth signs in (next step); the code cannot be reused; two steps old is refused', async () => {
    const m = await member();
    const e = await enrol(m.c);
    await activate(m.c, oathtool(e.secret));

    const pw = await relogin(m);
    const mfaCookie = sessionCookieOf(pw);
    assert.ok(mfaCookie);
    const me = await m.c.req('GET', ME);
    assert.equal(me.status, 200);
    assert.equal(me.body.stage, 'mfa');

    // Two steps ahead is outside the window (and not a replay): refused.
    await awayFromBoundary();
    const ahead = await m.c.req('POST', VERIFY, { body: { code: otpauthCode(e.otpauth_uri, 60000) } });
    assertProblem(ahead, 401, 'unauthorized');
    assert.equal(ahead.body.detail, 'the code is wrong or was already used');

    const next = otpauthCode(e.otpauth_uri, 30000);
    const v = await m.c.req('POST', VERIFY, { body: { code: next } });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.stage, 'full');
    assert.equal(v.body.staff.id, m.id);
    assert.ok(!('recovery_codes_remaining' in v.body), 'only a recovery code sign-in reports the remaining count');
    const full = sessionCookieOf(v);
    assert.ok(full && full !== mfaCookie, 'a new session id after the second step');
    assert.equal((await m.c.req('GET', '/api/v1/auth/sessions')).status, 200, 'a full session');

    // The same code again, in a new sign-in: refused (no replay).
    await relogin(m);
    const again = await m.c.req('POST', VERIFY, { body: { code: next } });
    assertProblem(again, 401, 'unauthorized');
    assert.equal((await m.c.req('GET', ME)).body.stage, 'mfa', 'still at the second step');

    // A code two steps old: outside the window.
    const old = await m.c.req('POST', VERIFY, { body: { code: oathtool(e.secret, 'now - 60 seconds') } });
    assertProblem(old, 401, 'unauthorized');
    assertProblem(await m.c.req('GET', '/api/v1/auth/sessions'), 401, 'unauthorized');
  });

  it('otpauth activates, oathtool signs in (next step); the activation code itself is not accepted again', async () => {
    const m = await member();
    const e = await enrol(m.c);
    const first = otpauthCode(e.otpauth_uri);
    await activate(m.c, first);

    await relogin(m);
    assertProblem(await m.c.req('POST', VERIFY, { body: { code: first } }), 401, 'unauthorized');
    const v = await m.c.req('POST', VERIFY, { body: { code: oathtool(e.secret, 'now + 30 seconds') } });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.stage, 'full');
  });

  it('stage mfa admits only verify, me, logout, the session clock and the 2FA issuer: every other route is 401 "enter your two-factor code first"', async () => {
    const m = await memberWith2fa();
    await relogin(m);
    const allowed = new Set([`POST ${VERIFY}`, `GET ${ME}`, `POST ${LOGOUT}`, 'GET /api/v1/auth/session', `GET ${TWOFA}`]);
    const walk = routes.filter((r) => (r.access === 'session' || r.access === 'perm') && !allowed.has(`${r.method} ${r.path}`));
    assert.ok(walk.length > 20, `the route table has the session routes: ${walk.length}`);
    const wrong = [];
    for (const r of walk) {
      const res = await m.c.req(r.method, r.path, { params: { id: 987654, group: 'company', kind: 'logo_light', key: 'activity_review' } });
      if (res.status !== 401 || res.body?.detail !== MFA_DETAIL) wrong.push(`${r.method} ${r.path}: ${res.status} ${res.body?.detail}`);
    }
    assert.deepEqual(wrong, [], 'every other route refuses the mfa stage');
    const me = await m.c.req('GET', ME);
    assert.equal(me.status, 200);
    assert.equal(me.body.stage, 'mfa');
    // What to look for in the app, and nothing about the account's codes.
    assert.deepEqual((await m.c.req('GET', TWOFA)).body, { enabled: true, issuer: company });
    assert.ok((await m.c.req('GET', '/api/v1/auth/session')).body.expires_in <= 600, 'a half-finished sign-in lives 10 minutes');
    const out = await m.c.req('POST', LOGOUT);
    assert.equal(out.status, 204, out.text);
    assertProblem(await m.c.req('GET', ME), 401, 'unauthorized');
  });

  it('verify refuses invalid bodies and anonymous callers', async () => {
    const m = await memberWith2fa();
    await relogin(m);
    assertFieldErrors(await m.c.req('POST', VERIFY, { body: {} }), { code: 'required' });
    assertFieldErrors(await m.c.req('POST', VERIFY, { body: { code: 123456 } }), { code: 'type' });
    assertFieldErrors(await m.c.req('POST', VERIFY, { body: { code: '123456', trust: true } }), { trust: 'unknown_field' });
    assertProblem(await m.c.req('POST', VERIFY, { body: { code: 'not-a-code' } }), 401, 'unauthorized');
    const anon = client(srv.base);
    for (const [method, p, body] of [['GET', TWOFA], ['POST', ENROL], ['POST', ACTIVATE, { code: '123456' }],
      ['POST', VERIFY, { code: '123456' }], ['POST', DISABLE], ['POST', CODES], ['POST', REAUTH, { password: 'x' }]]) {
      assertProblem(await anon.req(method, p, { body }), 401, 'unauthorized');
    }
  });

  it('wrong second-step codes are throttled per account (429 with Retry-After)', async () => {
    const m = await memberWith2fa();
    await relogin(m);
    const cur = Number(otpauthCode(m.enrolment.otpauth_uri));
    let blocked = null;
    for (let i = 1; i <= 8 && !blocked; i++) {
      const bad = String((cur + 111111 * i) % 1000000).padStart(6, '0');
      const r = await m.c.req('POST', VERIFY, { body: { code: bad } });
      if (r.status === 429) blocked = r;
      else assertProblem(r, 401, 'unauthorized');
    }
    assert.ok(blocked, 'wrong codes end in 429');
    assertProblem(blocked, 429, 'rate-limited');
    assert.match(blocked.headers.get('retry-after') || '', /^[1-9]\d*$/);
    // The second factor has a counter of its own: a new sign-in with the
    // right password reaches the second step, which stays blocked.
    const again = client(srv.base);
    const l = await again.req('POST', LOGIN, { body: { email: m.email, password: m.password } });
    assert.equal(l.status, 200, l.text);
    assert.equal(l.body.stage, 'mfa');
    const v = await again.req('POST', VERIFY, { body: { code: otpauthCode(m.enrolment.otpauth_uri, 30000) } });
    assertProblem(v, 429, 'rate-limited');
    assert.match(v.headers.get('retry-after') || '', /^[1-9]\d*$/);
    // The member is told, once, by email: someone knows the password.
    const mail = await sink.waitFor(m.email, (x) => /wrong two-factor codes/i.test(x.subject),
      { what: 'the failed-codes notice' });
    assert.match(mail.body, /5 wrong two-factor codes/);
    assert.match(mail.body, /change your\s+password/);
    assert.equal(sink.to(m.email).filter((x) => /wrong two-factor codes/i.test(x.subject)).length, 1);
    const rows = await activityRows({ action: 'login_2fa_failed', entity_id: m.id });
    assert.equal(rows.length, 5, 'each wrong code is logged');
  });

  it('wrong activation codes and wrong passwords to turn 2FA off are throttled (429)', async () => {
    const m = await member();
    const e = await enrol(m.c);
    const cur = Number(oathtool(e.secret));
    let blocked = null;
    for (let i = 1; i <= 8 && !blocked; i++) {
      const r = await m.c.req('POST', ACTIVATE, { body: { code: String((cur + 111111 * i) % 1000000).padStart(6, '0') } });
      if (r.status === 429) blocked = r;
      else assertFieldErrors(r, { code: 'invalid' });
    }
    assert.ok(blocked, 'wrong activation codes end in 429');
    assertProblem(blocked, 429, 'rate-limited');
    assert.match(blocked.headers.get('retry-after') || '', /^[1-9]\d*$/);

    const t = await memberWith2fa();
    blocked = null;
    for (let i = 1; i <= 8 && !blocked; i++) {
      const r = await t.c.req('POST', REAUTH, { body: { password: `wrong-${i}-${t.password}`, code: '000000' } });
      if (r.status === 429) blocked = r;
      else assertFieldErrors(r, { password: 'invalid' });
    }
    assert.ok(blocked, 'wrong passwords at re-authentication end in 429');
    assertProblem(blocked, 429, 'rate-limited');
    assertProblem(await t.c.req('POST', DISABLE), 403, 'reauth-required');
    assert.equal((await t.c.req('GET', TWOFA)).body.enabled, true);
  });

  it('a recovery code works once at the second step, then never again; the remaining count goes down', async () => {
    const m = await memberWith2fa();
    await relogin(m);
    const v = await m.c.req('POST', VERIFY, { body: { code: m.recovery[0] } });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.stage, 'full');
    assert.equal(v.body.recovery_codes_remaining, 9);
    assert.deepEqual((await m.c.req('GET', TWOFA)).body, { enabled: true, required: false, recovery_codes_remaining: 9, issuer: company });

    await relogin(m);
    assertProblem(await m.c.req('POST', VERIFY, { body: { code: m.recovery[0] } }), 401, 'unauthorized');
    const v2 = await m.c.req('POST', VERIFY, { body: { code: m.recovery[1] } });
    assert.equal(v2.status, 200, v2.text);
    assert.equal(v2.body.recovery_codes_remaining, 8);

    const rows = await activityRows({ entity: 'staff', entity_id: m.id, action: 'login_recovery_code' });
    assert.equal(rows.length, 2, 'each recovery-code sign-in is logged');
    const notice = await sink.waitFor(m.email, (x) => /recovery code was used/.test(x.body || ''),
      { what: 'the recovery-code notice' });
    assert.equal(notice.subject, `Security notice from ${company}`);
  });

  it('regenerating recovery codes needs a recent re-authentication and kills the old set', async () => {
    const m = await memberWith2fa();
    assertProblem(await m.c.req('POST', CODES), 403, 'reauth-required');
    assertFieldErrors(await m.c.req('POST', REAUTH, { body: { password: `${m.password}-not`, code: '000000' } }),
      { password: 'invalid' });
    assertFieldErrors(await m.c.req('POST', REAUTH, { body: { password: m.password } }), { code: 'required' });
    assertFieldErrors(await m.c.req('POST', REAUTH, { body: {} }), { password: 'required' });
    assertProblem(await m.c.req('POST', CODES), 403, 'reauth-required');
    assert.equal((await m.c.req('GET', TWOFA)).body.recovery_codes_remaining, 10);

    const ra = await m.c.req('POST', REAUTH, { body: { password: m.password, code: otpauthCode(m.enrolment.otpauth_uri, 30000) } });
    assert.equal(ra.status, 200, ra.text);
    assert.match(ra.body.reauth_until, ISO_MS);
    assertFieldErrors(await m.c.req('POST', CODES, { body: { password: m.password } }), { password: 'unknown_field' });
    const r = await m.c.req('POST', CODES);
    assert.equal(r.status, 200, r.text);
    const fresh = r.body.recovery_codes;
    assert.ok(Array.isArray(fresh) && fresh.length === 10, r.text);
    for (const x of fresh) assert.match(x, RECOVERY_FORMAT);
    assert.equal(fresh.filter((x) => m.recovery.includes(x)).length, 0, 'a new set');
    assert.equal((await m.c.req('GET', TWOFA)).body.recovery_codes_remaining, 10);
    const notice = await sink.waitFor(m.email, (x) => /new recovery codes were generated/.test(x.body || ''),
      { what: 'the new-codes notice' });
    for (const x of fresh) assert.ok(!notice.raw.includes(x), 'no recovery code in the mail');

    await relogin(m);
    assertProblem(await m.c.req('POST', VERIFY, { body: { code: m.recovery[2] } }), 401, 'unauthorized');
    const v = await m.c.req('POST', VERIFY, { body: { code: fresh[0] } });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.recovery_codes_remaining, 9);

    // Without 2FA there is nothing to regenerate (the password alone
    // re-authenticates a member without 2FA).
    const plain = await member();
    assert.equal((await plain.c.req('POST', REAUTH, { body: { password: plain.password } })).status, 200);
    assertProblem(await plain.c.req('POST', CODES), 409, 'conflict');
  });

  it('turning 2FA off needs the password and a code re-entered lately; afterwards sign-in is one step', async () => {
    const m = await memberWith2fa();
    assertProblem(await m.c.req('POST', DISABLE), 403, 'reauth-required');
    // The password alone is not enough while 2FA is on; a wrong code counts.
    assertFieldErrors(await m.c.req('POST', REAUTH, { body: { password: m.password, code: '000000' } }), { code: 'invalid' });
    assertProblem(await m.c.req('POST', DISABLE), 403, 'reauth-required');
    assert.equal((await m.c.req('GET', TWOFA)).body.enabled, true, 'nothing was turned off');

    const ra = await m.c.req('POST', REAUTH, { body: { password: m.password, code: m.recovery[0] } });
    assert.equal(ra.status, 200, ra.text);
    const r = await m.c.req('POST', DISABLE);
    assert.equal(r.status, 204, r.text);
    assert.deepEqual((await m.c.req('GET', TWOFA)).body, { enabled: false, required: false, recovery_codes_remaining: 0, issuer: company });
    assert.equal(sql(`SELECT COUNT(*) FROM staff_totp WHERE staff_id = ${m.id}`), '0', 'the secret is gone');
    assert.equal(sql(`SELECT COUNT(*) FROM recovery_code WHERE staff_id = ${m.id}`), '0', 'the recovery codes are gone');

    const c = client(srv.base);
    const l = await c.login(m.email, m.password);
    assert.equal(l.body.stage, 'full');
    const notice = await sink.waitFor(m.email, (x) => /turned off/.test(x.body || ''), { what: 'the 2FA-off notice' });
    assert.match(notice.body, /two-factor authentication was turned off/);
  });

  it('turning 2FA off is refused (409) when a role requires it', async () => {
    const role = await admin.req('POST', '/api/v1/roles', {
      body: { name: `Needs 2FA ${uniq('r')}`, permissions: { leads: ['view'] }, require_2fa: true },
    });
    assert.equal(role.status, 201, role.text);
    const tag = uniq('rq');
    const temp = `Temp-${randomBytes(9).toString('base64url')}-password`;
    const add = await admin.req('POST', '/api/v1/staff', {
      body: { email: `${tag}@example.test`, name: `Required ${tag}`, role_id: role.body.id, temporary_password: temp },
    });
    assert.equal(add.status, 201, add.text);
    const c = client(srv.base);
    const l = await c.login(`${tag}@example.test`, temp);
    assert.equal(l.body.stage, 'enrol', 'the role sends the member to enrolment');
    // The temporary password is replaced first (before enrolment).
    const password = `Pw-${randomBytes(12).toString('base64url')}-y`;
    const ch = await c.req('POST', '/api/v1/auth/password/change', { body: { current_password: temp, new_password: password } });
    assert.equal(ch.status, 200, ch.text);
    assert.equal(ch.body.stage, 'enrol');
    const e = await enrol(c);
    await activate(c, oathtool(e.secret));
    const st = await c.req('GET', TWOFA);
    assert.deepEqual(st.body, { enabled: true, required: true, recovery_codes_remaining: 10, issuer: company });
    const recovery = (await c.req('POST', REAUTH, { body: { password, code: oathtool(e.secret, 'now + 30 seconds') } }));
    assert.equal(recovery.status, 200, recovery.text);
    assertProblem(await c.req('POST', DISABLE), 409, 'conflict');
    assert.equal((await c.req('GET', TWOFA)).body.enabled, true);
  });

  it('enabling 2FA sends the security notice email to the member', async () => {
    const m = await memberWith2fa({ name: 'Zoë Ångström' });
    const mail = await sink.waitFor(m.email, (x) => /turned on/.test(x.body || ''), { what: 'the 2FA-on notice' });
    assert.equal(mail.subject, `Security notice from ${company}`);
    assert.match(mail.body, /two-factor authentication was turned on/);
    assert.match(mail.body, /Zoë Ångström/);
    assert.match(mail.body, /127\.0\.0\.1/, 'the notice says from which address');
    assert.ok(!mail.raw.includes(m.enrolment.secret), 'no secret in the mail');
    for (const x of m.recovery) assert.ok(!mail.raw.includes(x), 'no recovery code in the mail');
    assert.deepEqual(mail.defects, []);
    const rows = await activityRows({ entity: 'staff', entity_id: m.id });
    assert.ok(rows.some((x) => x.action === '2fa_enrol_started'), 'enrolment is logged');
    assert.ok(rows.every((x) => typeof x.at === 'string' && ISO_MS.test(x.at)));
  });
});
