// 2FA enforcement and the administrator's side of 2FA: with the policy
// "required for admins" ON (startServer({require2faAdmins: true})), an
// administrator without 2FA signs in into stage "enrol" and reaches only the
// enrolment routes (every other route of the route table is 403 "set up
// two-factor authentication first"); a role with require_2fa does the same
// to a non-admin; the 2FA user list; an administrator's reset of another
// member's 2FA; the break-glass `atrium user reset-2fa`.
//
// Codes come from the npm `otpauth` library reading the otpauth:// URI.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import {
  startServer, client, staffClient, assertProblem, assertFieldErrors, runBin, uniq, waitFor, ISO_MS,
} from './harness.mjs';

const LOGIN = '/api/v1/auth/login';
const LOGOUT = '/api/v1/auth/logout';
const ME = '/api/v1/auth/me';
const TWOFA = '/api/v1/auth/2fa';
const ENROL = '/api/v1/auth/2fa/enrol';
const ACTIVATE = '/api/v1/auth/2fa/activate';
const VERIFY = '/api/v1/auth/2fa/verify';
const USERS = '/api/v1/authenticator-2fa/users';
const RESET = '/api/v1/staff/{id}/2fa/reset';
const ACTIVITY = '/api/v1/activity';
const CHANGE = '/api/v1/auth/password/change';

const ENROL_DETAIL = 'set up two-factor authentication first';
/* The routes an enrolment-stage session may use (the contract's list). */
// The session clock (GET /auth/session) is readable at every stage.
const ENROL_OK = new Set([`GET ${TWOFA}`, `POST ${ENROL}`, `POST ${ACTIVATE}`, `GET ${ME}`, `POST ${LOGOUT}`,
  'GET /api/v1/auth/session']);

/* The token of the first `setup#token=` link in text. */
function setupToken(text) {
  const m = /\/setup#token=([A-Za-z0-9_.~%+-]+)/.exec(text || '');
  return m ? decodeURIComponent(m[1]) : null;
}

function code(uri, offsetMs = 0) {
  return OTPAuth.URI.parse(uri).generate({ timestamp: Date.now() + offsetMs });
}

describe('2FA enforcement, the 2FA user list, resets', () => {
  let srv;
  let admin; // the fixture administrator, after enrolling (a full session)
  let staff; // the plain member without permissions
  let routes;

  /* Signs in; returns the client and the login body (any stage). */
  async function signIn(email, password) {
    const c = client(srv.base);
    const r = await c.req('POST', LOGIN, { body: { email, password } });
    assert.equal(r.status, 200, `login ${email}: ${r.status} ${r.text}`);
    return { c, r };
  }

  /* Enrols and activates 2FA in c's session; returns {uri, recovery, body}. */
  async function enrolAndActivate(c) {
    const e = await c.req('POST', ENROL);
    assert.equal(e.status, 200, `enrol: ${e.status} ${e.text}`);
    const a = await c.req('POST', ACTIVATE, { body: { code: code(e.body.otpauth_uri) } });
    assert.equal(a.status, 200, `activate: ${a.status} ${a.text}`);
    assert.equal(a.body.stage, 'full');
    return { uri: e.body.otpauth_uri, recovery: a.body.recovery_codes, body: a.body };
  }

  /* An administrator created through the CLI (`atrium admin create`). */
  function addAdmin() {
    const tag = uniq('ad');
    const m = { email: `${tag}@example.test`, name: `Admin ${tag}`, password: `Pw-${randomBytes(12).toString('base64url')}-a` };
    const r = srv.cli(['admin', 'create', '--email', m.email, '--name', m.name, '--password-stdin'], { input: `${m.password}\n` });
    assert.equal(r.status, 0, `admin create: ${r.stdout}${r.stderr}`);
    return m;
  }

  /* A member with a role and a password of their own (temporary, then changed). */
  async function addMember(roleId, stageAfterLogin = 'full') {
    const tag = uniq('mb');
    const temp = `Temp-${randomBytes(9).toString('base64url')}-password`;
    const add = await admin.req('POST', '/api/v1/staff', {
      body: { email: `${tag}@example.test`, name: `Member ${tag}`, role_id: roleId, temporary_password: temp },
    });
    assert.equal(add.status, 201, add.text);
    const m = { id: add.body.id, email: add.body.email, name: add.body.name, password: temp };
    const { c, r } = await signIn(m.email, temp);
    assert.equal(r.body.stage, stageAfterLogin, `stage after the password: ${r.text}`);
    m.c = c;
    return m;
  }

  async function changePassword(m) {
    const password = `Pw-${randomBytes(12).toString('base64url')}-m`;
    const r = await m.c.req('POST', CHANGE, { body: { current_password: m.password, new_password: password } });
    assert.equal(r.status, 200, `password change: ${r.status} ${r.text}`);
    m.password = password;
    return r;
  }

  async function addRole(body) {
    const r = await admin.req('POST', '/api/v1/roles', { body: { name: `Role ${uniq('r')}`, ...body } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }

  async function users(query, c = admin) {
    const r = await c.req('GET', USERS, { query });
    assert.equal(r.status, 200, `${USERS}: ${r.status} ${r.text}`);
    return r.body;
  }

  /* Security notices queued for addr (GET /api/v1/email-queue). */
  async function notices(addr) {
    const r = await admin.req('GET', '/api/v1/email-queue', { query: { limit: 200 } });
    assert.equal(r.status, 200, r.text);
    return r.body.data.filter((x) => x.to === addr && x.template === 'security_notice').length;
  }

  async function activityRows(query) {
    const r = await admin.req('GET', ACTIVITY, { query: { limit: 200, ...query } });
    assert.equal(r.status, 200, r.text);
    return r.body.data;
  }

  /* Walks the route table: every session/perm route but the enrolment ones
   * is 403. Password change is judged on its own (see its test). */
  async function assertOnlyEnrolment(c) {
    const walk = routes.filter((x) => (x.access === 'session' || x.access === 'perm') && !ENROL_OK.has(`${x.method} ${x.path}`) &&
      x.path !== CHANGE);
    assert.ok(walk.some((x) => x.path === VERIFY) && walk.some((x) => x.path === '/api/v1/auth/sessions'),
      'the walk includes the other auth routes');
    const wrong = [];
    for (const x of walk) {
      const res = await c.req(x.method, x.path, { params: { id: 987654, group: 'company', kind: 'logo_light', key: 'activity_review' } });
      if (res.status !== 403 || res.body?.detail !== ENROL_DETAIL) wrong.push(`${x.method} ${x.path}: ${res.status} ${res.body?.detail}`);
    }
    assert.deepEqual(wrong, [], 'every other route refuses the enrolment stage');
  }

  before(async () => {
    srv = await startServer({ require2faAdmins: true });
    const rt = runBin(['routes']);
    assert.equal(rt.status, 0, rt.stderr);
    routes = JSON.parse(rt.stdout);
    // The fixture administrator enrols first; its full session serves the file.
    const { c, r } = await signIn(srv.admin.email, srv.admin.password);
    assert.equal(r.body.stage, 'enrol', `the policy is on: ${r.text}`);
    await enrolAndActivate(c);
    admin = c;
    admin.me = (await admin.req('GET', ME)).body.staff;
    staff = await staffClient(srv);
    const seats = srv.cli(['org', 'seats', '1', '--extra-seats', '100']); // as the operator
    assert.equal(seats.status, 0, seats.stderr);
  });

  after(async () => {
    await srv?.stop();
  });

  it('the policy is on by default in settings (the fixture left it on)', async () => {
    const r = await admin.req('GET', '/api/v1/settings/{group}', { params: { group: 'security' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.values.twofa_required_admins, true);
    assert.equal(r.body.fields.find((f) => f.key === 'twofa_required_admins').default, true);
  });

  it('an admin without 2FA signs in into stage enrol: every route not flagged for enrolment is 403', async () => {
    const a = addAdmin();
    const { c, r } = await signIn(a.email, a.password);
    assert.equal(r.body.stage, 'enrol');
    assert.equal(r.body.staff.email, a.email);
    await assertOnlyEnrolment(c);

    // The enrolment routes work.
    const me = await c.req('GET', ME);
    assert.equal(me.status, 200);
    assert.equal(me.body.stage, 'enrol');
    const st = await c.req('GET', TWOFA);
    assert.deepEqual(st.body, { enabled: false, required: true, recovery_codes_remaining: 0, issuer: 'Atrium' });
    const out = await c.req('POST', LOGOUT);
    assert.equal(out.status, 204);
    assertProblem(await c.req('GET', ME), 401, 'unauthorized');
  });

  it('in stage enrol without a temporary password, password change is refused too (403)', async () => {
    // The contract lists the enrolment stage's routes: GET /auth/2fa,
    // POST /auth/2fa/enrol, POST /auth/2fa/activate, me, logout. Password
    // change comes before them only while must_change_password is true.
    const a = addAdmin();
    const { c, r } = await signIn(a.email, a.password);
    assert.equal(r.body.stage, 'enrol');
    assert.equal(r.body.staff.must_change_password, false);
    const res = await c.req('POST', CHANGE, { body: { current_password: a.password, new_password: `Pw-${randomBytes(12).toString('base64url')}-c` } });
    assertProblem(res, 403, 'forbidden');
    assert.equal(res.body.detail, ENROL_DETAIL);
  });

  it('after enrolment and activation the admin has a full session (a new session id)', async () => {
    const a = addAdmin();
    const { c, r } = await signIn(a.email, a.password);
    assert.equal(r.body.stage, 'enrol');
    const enrolCookie = c.sessionCookie().value;
    const { body } = await enrolAndActivate(c);
    assert.equal(body.staff.admin, true);
    assert.notEqual(c.sessionCookie().value, enrolCookie, 'a new session id');
    const old = client(srv.base);
    old.setCookie('atrium_session', enrolCookie);
    assertProblem(await old.req('GET', ME), 401, 'unauthorized');
    for (const p of ['/api/v1/staff', '/api/v1/roles', '/api/v1/leads', USERS]) {
      const x = await c.req('GET', p);
      assert.equal(x.status, 200, `${p} after activation: ${x.status} ${x.text}`);
    }
    assert.deepEqual((await c.req('GET', TWOFA)).body, { enabled: true, required: true, recovery_codes_remaining: 10, issuer: 'Atrium' });
    // The next sign-in asks for the second factor, not for enrolment.
    const next = await signIn(a.email, a.password);
    assert.equal(next.r.body.stage, 'mfa');
  });

  it('a role with require_2fa sends a non-admin to enrolment', async () => {
    const role = await addRole({ permissions: { leads: ['view'] }, require_2fa: true });
    const m = await addMember(role.id, 'enrol');
    assert.equal((await m.c.req('GET', ME)).body.staff.must_change_password, true);
    // The temporary password comes first, enrolment included: whoever set
    // it must not be able to bind their own authenticator.
    const wrong = [];
    const pwOk = new Set([`GET ${ME}`, `POST ${LOGOUT}`, `POST ${CHANGE}`, 'GET /api/v1/auth/session']);
    for (const x of routes.filter((y) => (y.access === 'session' || y.access === 'perm') && !pwOk.has(`${y.method} ${y.path}`))) {
      const res = await m.c.req(x.method, x.path, { params: { id: 987654, group: 'company', kind: 'logo_light', key: 'activity_review' } });
      if (res.status !== 403 || res.body?.detail !== 'change your password first') wrong.push(`${x.method} ${x.path}: ${res.status} ${res.body?.detail}`);
    }
    assert.deepEqual(wrong, [], 'only the password change (and me, logout) before anything else');
    const ch = await changePassword(m);
    assert.equal(ch.body.stage, 'enrol', 'the change keeps the enrolment stage');
    await assertOnlyEnrolment(m.c);
    assert.deepEqual((await m.c.req('GET', TWOFA)).body, { enabled: false, required: true, recovery_codes_remaining: 0, issuer: 'Atrium' });
    await enrolAndActivate(m.c);
    assert.equal((await m.c.req('GET', '/api/v1/leads')).status, 200);
    assertProblem(await m.c.req('GET', '/api/v1/roles'), 403, 'forbidden');

    // A role without the flag leaves members alone.
    const plainRole = await addRole({ permissions: { leads: ['view'] } });
    const p = await addMember(plainRole.id, 'full');
    await changePassword(p);
    assert.deepEqual((await p.c.req('GET', TWOFA)).body, { enabled: false, required: false, recovery_codes_remaining: 0, issuer: 'Atrium' });
  });

  it('GET /authenticator-2fa/users lists every member\'s 2FA status and reflects changes', async () => {
    const a = addAdmin();
    const row = (b) => b.data.find((x) => x.email === a.email);

    const all = await users();
    assert.equal(all.total, all.data.length);
    const mine = row(all);
    assert.ok(mine, `the new admin is listed: ${JSON.stringify(all.data.map((x) => x.email))}`);
    assert.deepEqual(Object.keys(mine).sort(), ['active', 'admin', 'email', 'enabled', 'enabled_at', 'id', 'name',
      'recovery_codes_remaining', 'required'].sort());
    assert.deepEqual({ ...mine, id: 0 }, {
      id: 0, name: a.name, email: a.email, admin: true, active: true, enabled: false, enabled_at: null, required: true,
      recovery_codes_remaining: 0,
    });
    const first = all.data.find((x) => x.email === srv.admin.email);
    assert.equal(first.enabled, true);
    assert.match(first.enabled_at, ISO_MS);
    const plain = all.data.find((x) => x.email === srv.staff.email);
    assert.deepEqual([plain.admin, plain.enabled, plain.required], [false, false, false]);
    const adminsNow = all.data.filter((x) => x.admin);
    assert.deepEqual(all.admins, { total: adminsNow.length, with_2fa: adminsNow.filter((x) => x.enabled).length });

    // "Admins without 2FA".
    const without = await users({ admin: 'true', enabled: 'false' });
    assert.ok(without.data.length >= 1 && without.data.every((x) => x.admin && !x.enabled), JSON.stringify(without.data));
    assert.ok(row(without), 'the new admin is an admin without 2FA');
    assert.ok(!without.data.some((x) => x.email === srv.admin.email));
    assert.equal(without.total, without.data.length);
    const onlyStaff = await users({ admin: 'false' });
    assert.ok(onlyStaff.data.every((x) => !x.admin) && onlyStaff.data.some((x) => x.email === srv.staff.email));
    assert.deepEqual(onlyStaff.admins, all.admins, '`admins` counts every active administrator, whatever the filter');
    assert.deepEqual(without.admins, all.admins);

    const { c } = await signIn(a.email, a.password);
    await enrolAndActivate(c);
    const after = await users();
    assert.equal(row(after).enabled, true);
    assert.match(row(after).enabled_at, ISO_MS);
    assert.equal(row(after).recovery_codes_remaining, 10);
    assert.equal(after.admins.with_2fa, all.admins.with_2fa + 1);
    assert.ok(!row(await users({ admin: 'true', enabled: 'false' })), 'no longer without 2FA');
    assert.ok(row(await users({ enabled: 'true' })));

    // The list engine's language: search, paging with a cursor, sorting.
    const found = await users({ q: a.email });
    assert.deepEqual(found.data.map((x) => x.email), [a.email]);
    const page1 = await users({ limit: 1, sort: 'name' });
    assert.equal(page1.data.length, 1);
    assert.equal(page1.has_more, true);
    assert.equal(page1.total, all.total);
    const page2 = await users({ limit: 1, sort: 'name', cursor: page1.next_cursor });
    assert.equal(page2.data.length, 1);
    assert.notEqual(page2.data[0].id, page1.data[0].id);
    assert.deepEqual(page2.admins, after.admins);
    const byDefault = all.data.map((x) => x.admin);
    assert.deepEqual(byDefault, [...byDefault].sort((x, y) => y - x), 'administrators first');

    assertProblem(await admin.req('GET', USERS, { query: { admin: 'maybe' } }), 400, 'malformed');
    assertProblem(await admin.req('GET', USERS, { query: { enabled: 'yes' } }), 400, 'malformed');
    assertProblem(await admin.req('GET', USERS, { query: { colour: 'red' } }), 400, 'malformed');
    assertProblem(await admin.req('GET', USERS, { query: { sort: 'recovery_codes_remaining' } }), 400, 'malformed');
    assertProblem(await admin.req('GET', USERS, { query: { limit: 201 } }), 400, 'malformed');
    assertProblem(await admin.req('GET', USERS, { query: { cursor: 'forged' } }), 400, 'malformed');
  });

  it('an admin resets another admin\'s 2FA: removed, sessions end, logged as 2fa_reset', async () => {
    const a = addAdmin();
    const { c } = await signIn(a.email, a.password);
    await enrolAndActivate(c);
    const id = (await c.req('GET', ME)).body.staff.id;
    assert.equal((await c.req('GET', '/api/v1/staff')).status, 200);

    const queued = await notices(a.email);
    const r = await admin.req('POST', RESET, { params: { id } });
    assert.equal(r.status, 204, r.text);
    assert.equal(r.text, '');
    assert.equal(await notices(a.email), queued + 1, 'a security notice is queued for the member');
    assertProblem(await c.req('GET', ME), 401, 'unauthorized');
    const listed = (await users()).data.find((x) => x.id === id);
    assert.deepEqual([listed.enabled, listed.enabled_at, listed.recovery_codes_remaining], [false, null, 0]);
    const rows = await activityRows({ action: '2fa_reset', entity: 'staff', entity_id: id });
    assert.equal(rows.length, 1, '2fa_reset is logged');
    assert.equal(rows[0].actor_id, admin.me.id);
    // The policy still requires it: the next sign-in enrols again.
    const again = await signIn(a.email, a.password);
    assert.equal(again.r.body.stage, 'enrol');

    assertProblem(await admin.req('POST', RESET, { params: { id: 987654 } }), 404, 'not-found');
    assertFieldErrors(await admin.req('POST', RESET, { params: { id }, body: { reason: 'lost phone' } }), { reason: 'unknown_field' });
  });

  it('resetting one\'s own 2FA keeps the current session and ends the others', async () => {
    const a = addAdmin();
    const { c } = await signIn(a.email, a.password);
    const { uri, recovery } = await enrolAndActivate(c);
    const id = (await c.req('GET', ME)).body.staff.id;
    const other = await signIn(a.email, a.password);
    assert.equal(other.r.body.stage, 'mfa');
    // One's own 2FA is removed only with the password and a code re-entered
    // lately (a stolen session alone cannot do it).
    const no = await c.req('POST', RESET, { params: { id } });
    assertProblem(no, 403, 'reauth-required');
    const ra = await c.req('POST', '/api/v1/auth/reauth', { body: { password: a.password, code: recovery[0] } });
    assert.equal(ra.status, 200, ra.text);
    const r = await c.req('POST', RESET, { params: { id } });
    assert.equal(r.status, 204, r.text);
    assert.equal((await c.req('GET', ME)).status, 200, 'the calling session stays');
    assertProblem(await other.c.req('GET', ME), 401, 'unauthorized');
    assert.deepEqual((await c.req('GET', TWOFA)).body, { enabled: false, required: true, recovery_codes_remaining: 0, issuer: 'Atrium' });
    assert.ok(uri, 'had 2FA before');
  });

  it('a non-admin with staff.edit cannot reset an administrator\'s 2FA (403)', async () => {
    const editorRole = await addRole({ permissions: { staff: ['view', 'edit'] } });
    const ed = await addMember(editorRole.id, 'full');
    await changePassword(ed);
    const a = addAdmin();
    const { c } = await signIn(a.email, a.password);
    await enrolAndActivate(c);
    const id = (await c.req('GET', ME)).body.staff.id;

    assertProblem(await ed.c.req('POST', RESET, { params: { id } }), 403, 'forbidden');
    assert.equal((await c.req('GET', ME)).status, 200, 'the admin\'s session lives on');
    assert.equal((await users()).data.find((x) => x.id === id).enabled, true, 'and keeps 2FA');
    // The editor may view the list (staff.view).
    assert.equal((await ed.c.req('GET', USERS)).status, 200);
  });

  it('`atrium user reset-2fa --email E` removes 2FA, ends the sessions, logs actor "cli"', async () => {
    const a = addAdmin();
    const { c } = await signIn(a.email, a.password);
    await enrolAndActivate(c);
    const id = (await c.req('GET', ME)).body.staff.id;

    const queued = await notices(a.email);
    const r = srv.cli(['user', 'reset-2fa', '--email', a.email.toUpperCase()]);
    assert.equal(r.status, 0, `reset-2fa: ${r.stdout}${r.stderr}`);
    assert.ok(r.stdout.toLowerCase().includes(a.email), r.stdout);
    assertProblem(await c.req('GET', ME), 401, 'unauthorized');
    assert.equal((await users()).data.find((x) => x.id === id).enabled, false);
    const rows = await activityRows({ action: '2fa_reset', entity: 'staff', entity_id: id });
    assert.equal(rows.length, 1, rows);
    assert.equal(rows[0].actor_name, 'cli');
    assert.equal(rows[0].actor_id, null);
    // The issue: "an email notice after a password or 2FA change" (the CLI's reset too).
    assert.equal(await notices(a.email), queued + 1, 'a security notice is queued for the member');
    const again = await signIn(a.email, a.password);
    assert.equal(again.r.body.stage, 'enrol', 'enrols again at the next sign-in');

    const bad = srv.cli(['user', 'reset-2fa', '--email', 'nobody@example.test']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /no staff member/);
    const none = srv.cli(['user', 'reset-2fa']);
    assert.notEqual(none.status, 0);
  });

  it('setup of the first administrator lands in stage enrol while the policy is on', async () => {
    const fresh = await startServer({ staff: false, require2faAdmins: true });
    try {
      const token = await waitFor(() => setupToken(fresh.output()) || setupToken(fresh.migrateOutput),
        { timeout: 10000, what: 'a setup#token= link in the serve or migrate output' });
      const c = client(fresh.base);
      const r = await c.req('POST', '/api/v1/setup', {
        body: { token, email: 'first@example.test', name: 'First Admin', password: `Pw-${randomBytes(12).toString('base64url')}-f` },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.stage, 'enrol');
      const blocked = await c.req('GET', '/api/v1/staff');
      assertProblem(blocked, 403, 'forbidden');
      assert.equal(blocked.body.detail, ENROL_DETAIL);
      await enrolAndActivate(c);
      assert.equal((await c.req('GET', '/api/v1/staff')).status, 200);
    } finally {
      await fresh.stop();
    }
  });

  it('enrolment-stage sessions live 10 minutes at most', async () => {
    const a = addAdmin();
    const { c } = await signIn(a.email, a.password);
    const id = (await c.req('GET', ME)).body.staff.id;
    const row = srv.sql(`SELECT created_at || '|' || expires_at || '|' || stage FROM session WHERE staff_id = ${id}`);
    assert.equal(row.status, 0, row.stderr);
    const [created, expires, stage] = row.stdout.split('|');
    assert.equal(stage, 'enrol');
    assert.ok(Date.parse(expires) - Date.parse(created) <= 601000, `at most 10 minutes: ${row.stdout}`);
  });

  it('the user list and the reset are 401 anonymously and 403 without the permission', async () => {
    const anon = client(srv.base);
    assertProblem(await anon.req('GET', USERS), 401, 'unauthorized');
    assertProblem(await anon.req('POST', RESET, { params: { id: admin.me.id } }), 401, 'unauthorized');
    assertProblem(await staff.req('GET', USERS), 403, 'forbidden');
    assertProblem(await staff.req('POST', RESET, { params: { id: admin.me.id } }), 403, 'forbidden');
    assert.equal((await admin.req('GET', TWOFA)).body.enabled, true, 'nothing was reset');
  });
});
