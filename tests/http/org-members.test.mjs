// Members of several organisations (issue 17, step 2): a person of the
// operator organisation (A, organisation 1) added to a business (B, made
// with the real `atrium org create`) by B's administrator with the usual
// POST /api/v1/staff: no answer tells that the address exists elsewhere,
// B's seats count the membership; the switcher (GET /api/v1/auth/orgs,
// POST /api/v1/auth/switch: a new session id, the old revoked, an activity
// row in both organisations, 404 for an organisation that is not theirs,
// 403 org-suspended, every invalid field); sign-in lands in the
// organisation of the last session; grants are each organisation's; what
// is the person's (email, name, password, 2FA, sessions) is managed only at
// home (409 from B) and acts on the person from a session in B;
// deactivating B's membership ends B's sessions only; an API token made in
// B reads nothing of A.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, addRole, addMember,
  uniq, waitFor,
} from './harness.mjs';

const ORGS = '/api/v1/auth/orgs';
const SWITCH = '/api/v1/auth/switch';
const ME = '/api/v1/auth/me';

function linkToken(text) {
  const m = /\/set-password#token=([A-Za-z0-9_.~%+-]+)/.exec(text);
  return m ? decodeURIComponent(m[1]) : null;
}

async function awayFromBoundary() {
  await waitFor(() => {
    const into = Date.now() % 30000;
    return into > 1000 && into < 27000;
  }, { timeout: 5000, every: 50, what: 'the middle of a TOTP step' });
}

describe('members of several organisations and the switcher', () => {
  let srv;
  let admin; // organisation 1's administrator (A)
  let boss; // B's first administrator
  let bizId;
  let person; // a member of A, added to B
  let linkedId; // the person's membership row in B
  const BOSS = { email: `boss.${uniq('m')}@example.test`, password: 'Harbour-violet-cedar-7731' };

  const org = (...args) => srv.cli(['org', ...args.map(String)]);
  const count = (sql) => srv.sql(sql).stdout.trim();

  /* A fresh client signed in as the person. */
  async function personClient(password = person.password) {
    const c = client(srv.base);
    const r = await c.login(person.email, password);
    c.me = r.body.staff;
    return c;
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    const out = org('create', '--name', 'Members Biz', '--admin-email', BOSS.email, '--admin-name', 'Boss B');
    assert.equal(out.status, 0, out.stderr);
    bizId = Number(/\(id (\d+)\)/.exec(out.stdout)[1]);
    const tf = srv.cli(['settings', 'set', 'security.twofa_required_admins', 'false', '--org', String(bizId)]);
    assert.equal(tf.status, 0, tf.stderr);
    boss = client(srv.base);
    const r = await boss.req('POST', '/api/v1/auth/password/set',
      { body: { token: linkToken(out.stdout), password: BOSS.password } });
    assert.equal(r.status, 200, r.text);
    person = await addMember(srv, admin, {}, 'person');
    person.email = person.record.email;
    person.password = `Temp-${person.record.email.split('@')[0]}-password-changed`;
  });
  after(async () => { await srv?.stop(); });

  it('401 without a session on both routes', async () => {
    const anon = client(srv.base);
    assertProblem(await anon.req('GET', ORGS), 401);
    assertProblem(await anon.req('POST', SWITCH, { body: { org_id: 1 } }), 401);
  });

  it('one membership: the list names the home organisation, current', async () => {
    const r = await person.req('GET', ORGS);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data.length, 1);
    assert.deepEqual(r.body.data[0], { ...r.body.data[0], org_id: 1, kind: 'operator', current: true, home: true, status: 'active' });
  });

  it('adding the person to B answers as adding a new address; a second time as any duplicate', async () => {
    const known = await boss.req('POST', '/api/v1/staff', { body: { email: person.email.toUpperCase(), name: 'Whoever' } });
    assert.equal(known.status, 201, known.text);
    const fresh = await boss.req('POST', '/api/v1/staff', { body: { email: `${uniq('new')}@example.test`, name: 'New One' } });
    assert.equal(fresh.status, 201, fresh.text);
    assert.deepEqual(Object.keys(known.body).sort(), Object.keys(fresh.body).sort());
    for (const k of ['active', 'admin', 'invitation_sent', 'has_password', 'invited'])
      assert.equal(known.body[k], fresh.body[k], k);
    linkedId = known.body.id;
    // The record shows whose account it is (after the fact).
    assert.equal(known.body.home_org, srv.sql('SELECT name FROM org WHERE id = 1').stdout.trim());
    assert.equal(fresh.body.home_org, null);
    // The person's name and email, copied; no password of its own.
    assert.equal(known.body.email, person.email);
    assert.equal(count(`SELECT COUNT(*) FROM staff WHERE id = ${linkedId} AND identity_id = ${person.id} AND password_hash IS NULL`), '1');
    // "You were added", not a set-password link.
    assert.equal(count(`SELECT COUNT(*) FROM email_queue WHERE org_id = ${bizId} AND template = 'membership_added' AND to_addr = '${person.email}'`), '1');
    // Twice in B, or an address of B twice: the same 422.
    const again = await boss.req('POST', '/api/v1/staff', { body: { email: person.email, name: 'Again' } });
    assertFieldErrors(again, { email: 'taken' });
    const dup = await boss.req('POST', '/api/v1/staff', { body: { email: fresh.body.email, name: 'Again' } });
    assertFieldErrors(dup, { email: 'taken' });
    assert.equal(again.body.errors[0].message, dup.body.errors[0].message);
  });

  it("B's seats count the membership: no seat, no membership", async () => {
    const other = await addMember(srv, admin, {}, 'other');
    const used = Number(count(`SELECT COUNT(*) FROM staff WHERE org_id = ${bizId} AND active = 1`));
    assert.equal(org('seats', bizId, '--members-included', used).status, 0);
    const r = await boss.req('POST', '/api/v1/staff', { body: { email: other.record.email, name: 'Other' } });
    assertProblem(r, 409);
    assert.equal(count(`SELECT COUNT(*) FROM staff WHERE identity_id = ${other.id}`), '0');
    assert.equal(org('seats', bizId, '--members-included', 50).status, 0);
  });

  it('switch to B and back: new session ids, the old ones revoked, a row in both logs', async () => {
    const list = await person.req('GET', ORGS);
    assert.deepEqual(list.body.data.map((o) => [o.org_id, o.current, o.home]).sort(),
      [[1, true, true], [bizId, false, false]].sort());
    const before = person.sessionCookie().value;
    const stale = client(srv.base);
    stale.setCookie(person.sessionCookie().name, before);
    const r = await person.req('POST', SWITCH, { body: { org_id: bizId } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.staff.org_id, bizId);
    assert.equal(r.body.staff.id, linkedId);
    assert.equal(typeof r.body.csrf_token, 'string');
    assert.notEqual(person.sessionCookie().value, before);
    assertProblem(await stale.req('GET', ME), 401);
    const me = await person.req('GET', ME);
    assert.equal(me.body.staff.org_id, bizId);
    assert.equal(count(`SELECT COUNT(*) FROM activity_log WHERE org_id = 1 AND action = 'org_switch_out' AND actor_id = ${person.id}`), '1');
    assert.equal(count(`SELECT COUNT(*) FROM activity_log WHERE org_id = ${bizId} AND action = 'org_switch_in' AND actor_id = ${linkedId}`), '1');
    const back = await person.req('POST', SWITCH, { body: { org_id: 1 } });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.body.staff.org_id, 1);
    assert.equal(back.body.staff.id, person.id);
    const v = srv.cli(['audit', 'verify']);
    assert.equal(v.status, 0, v.stdout + v.stderr);
  });

  it('sign-in lands in the organisation of the last session', async () => {
    await person.req('POST', SWITCH, { body: { org_id: bizId } });
    const c = await personClient();
    assert.equal(c.me.org_id, bizId);
    await c.req('POST', SWITCH, { body: { org_id: 1 } });
    const d = await personClient();
    assert.equal(d.me.org_id, 1);
  });

  it("grants are each organisation's: a role in B lets them list leads, in A they have none", async () => {
    const role = await addRole(boss, uniq('Leads '), { leads: ['view'] });
    const rec = await boss.req('GET', '/api/v1/staff/{id}', { params: { id: linkedId } });
    const p = await boss.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: linkedId }, body: { role_id: role.id }, headers: { 'If-Match': rec.headers.get('etag') },
    });
    assert.equal(p.status, 200, p.text);
    const c = await personClient();
    if (c.me.org_id !== 1) await c.req('POST', SWITCH, { body: { org_id: 1 } });
    assertProblem(await c.req('GET', '/api/v1/leads'), 403);
    assert.equal((await c.req('POST', SWITCH, { body: { org_id: bizId } })).status, 200);
    assert.equal((await c.req('GET', '/api/v1/leads')).status, 200);
  });

  it("B cannot change what is the person's: email, name, password, 2FA, sessions answer 409", async () => {
    const rec = await boss.req('GET', '/api/v1/staff/{id}', { params: { id: linkedId } });
    const etag = rec.headers.get('etag');
    for (const body of [{ email: `${uniq('x')}@example.test` }, { name: 'Renamed' }, { must_change_password: true }]) {
      const r = await boss.req('PATCH', '/api/v1/staff/{id}', { params: { id: linkedId }, body, headers: { 'If-Match': etag } });
      assertProblem(r, 409);
      assert.match(r.body.detail, /home organisation/);
    }
    // The same values are no change (the UI sends them back).
    const same = await boss.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: linkedId }, body: { email: rec.body.email, name: rec.body.name, admin: false }, headers: { 'If-Match': etag },
    });
    assert.equal(same.status, 200, same.text);
    for (const path of ['/api/v1/staff/{id}/password/reset', '/api/v1/staff/{id}/2fa/reset',
      '/api/v1/staff/{id}/sessions/end', '/api/v1/staff/{id}/invite']) {
      const r = await boss.req('POST', path, { params: { id: linkedId }, body: {} });
      assertProblem(r, 409);
      assert.match(r.body.detail, /home organisation/, path);
    }
    // At home, a change of name reaches the membership.
    const home = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: person.id } });
    const ren = await admin.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: person.id }, body: { name: 'Person Renamed' }, headers: { 'If-Match': home.headers.get('etag') },
    });
    assert.equal(ren.status, 200, ren.text);
    assert.equal((await boss.req('GET', '/api/v1/staff/{id}', { params: { id: linkedId } })).body.name, 'Person Renamed');
  });

  it("from a session in B, 2FA, re-authentication, the password and the sessions list act on the person", async () => {
    const c = await personClient();
    if (c.me.org_id !== bizId) await c.req('POST', SWITCH, { body: { org_id: bizId } });
    await awayFromBoundary();
    const en = await c.req('POST', '/api/v1/auth/2fa/enrol', { body: {} });
    assert.equal(en.status, 200, en.text);
    const totp = OTPAuth.URI.parse(en.body.otpauth_uri);
    const act = await c.req('POST', '/api/v1/auth/2fa/activate', { body: { code: totp.generate() } });
    assert.equal(act.status, 200, act.text);
    assert.equal(act.body.staff.org_id, bizId, 'the new session stays in B');
    // The secret is the person's (home row), not the membership's.
    assert.equal(count(`SELECT COUNT(*) FROM staff_totp WHERE staff_id = ${person.id} AND confirmed_at IS NOT NULL`), '1');
    assert.equal(count(`SELECT COUNT(*) FROM staff_totp WHERE staff_id = ${linkedId}`), '0');
    // Signing in asks for the code and lands in B.
    const d = client(srv.base);
    const first = await d.req('POST', '/api/v1/auth/login', { body: { email: person.email, password: person.password } });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.stage, 'mfa');
    const v = await d.req('POST', '/api/v1/auth/2fa/verify',
      { body: { code: totp.generate({ timestamp: Date.now() + 30000 }) } });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.staff.org_id, bizId);
    // My sessions: the person's, with each organisation named.
    const s = await d.req('GET', '/api/v1/auth/sessions');
    assert.equal(s.status, 200, s.text);
    assert.ok(s.body.data.every((x) => x.org_id === bizId || x.org_id === 1));
    assert.ok(s.body.data.some((x) => x.current && x.org_id === bizId));
    // Re-authentication with the person's password and a recovery code,
    // then 2FA off: gone from the person.
    const re = await d.req('POST', '/api/v1/auth/reauth',
      { body: { password: person.password, code: act.body.recovery_codes[0] } });
    assert.equal(re.status, 200, re.text);
    // New recovery codes and an email change: the person's, too.
    const codes = await d.req('POST', '/api/v1/auth/2fa/recovery-codes', { body: {} });
    assert.equal(codes.status, 200, codes.text);
    assert.equal(count(`SELECT COUNT(*) FROM recovery_code WHERE staff_id = ${person.id} AND used_at IS NULL`), String(codes.body.recovery_codes.length));
    assert.equal(count(`SELECT COUNT(*) FROM recovery_code WHERE staff_id = ${linkedId}`), '0');
    const em = await d.req('POST', '/api/v1/auth/email', { body: { email: `${uniq('moved')}@example.test` } });
    assert.equal(em.status, 202, em.text);
    assert.equal(count(`SELECT COUNT(*) FROM email_change WHERE staff_id = ${person.id}`), '1');
    const st = await d.req('GET', '/api/v1/auth/2fa');
    assert.equal(st.body.enabled, true);
    const off = await d.req('POST', '/api/v1/auth/2fa/disable', { body: {} });
    assert.equal(off.status, 204, off.text);
    assert.equal(count(`SELECT COUNT(*) FROM staff_totp WHERE staff_id = ${person.id}`), '0');
    // The password, changed from B: the person signs in with the new one.
    const next = `${person.password}-b`;
    const ch = await d.req('POST', '/api/v1/auth/password/change',
      { body: { current_password: person.password, new_password: next } });
    assert.equal(ch.status, 200, ch.text);
    assert.equal(ch.body.staff.org_id, bizId);
    person.password = next;
    const e = await personClient();
    const other = await e.req('GET', '/api/v1/auth/sessions');
    const inB = other.body.data.find((x) => !x.current);
    assert.ok(inB, 'the other session of the person is listed');
    assert.equal((await e.req('DELETE', '/api/v1/auth/sessions/{id}', { params: { id: inB.id } })).status, 204);
    assertProblem(await d.req('GET', ME), 401);
  });

  it("the language set from a session in B is the person's, in every organisation", async () => {
    const c = await personClient();
    if (c.me.org_id !== bizId) await c.req('POST', SWITCH, { body: { org_id: bizId } });
    const r = await c.req('PATCH', '/api/v1/auth/me/localization', { body: { language: 'ro' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(count(`SELECT COUNT(*) FROM staff WHERE (id = ${person.id} OR identity_id = ${person.id}) AND l10n_language = 'ro'`), '2');
    await c.req('POST', SWITCH, { body: { org_id: 1 } });
    const me = await c.req('GET', ME);
    assert.equal(me.body.localization.values.language, 'ro');
  });

  it("deactivating B's membership ends B's sessions only; B is then not theirs to switch to", async () => {
    const inB = await personClient();
    if (inB.me.org_id !== bizId) await inB.req('POST', SWITCH, { body: { org_id: bizId } });
    const inA = await personClient();
    await inA.req('POST', SWITCH, { body: { org_id: 1 } });
    const d = await boss.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: linkedId }, body: {} });
    assert.ok(d.status === 200 || d.status === 204, d.text);
    assertProblem(await inB.req('GET', ME), 401);
    assert.equal((await inA.req('GET', ME)).status, 200);
    const list = await inA.req('GET', ORGS);
    assert.deepEqual(list.body.data.map((o) => o.org_id), [1]);
    assertProblem(await inA.req('POST', SWITCH, { body: { org_id: bizId } }), 404);
    // Sign-in lands at home.
    assert.equal((await personClient()).me.org_id, 1);
    const a = await boss.req('POST', '/api/v1/staff/{id}/activate', { params: { id: linkedId }, body: {} });
    assert.ok(a.status === 200 || a.status === 204, a.text);
  });

  it('a suspended organisation is refused on switch (403 org-suspended), and again after resume it works', async () => {
    const c = await personClient();
    if (c.me.org_id !== 1) await c.req('POST', SWITCH, { body: { org_id: 1 } });
    assert.equal(org('suspend', bizId).status, 0);
    const listed = await c.req('GET', ORGS);
    assert.equal(listed.body.data.find((o) => o.org_id === bizId).status, 'suspended');
    assertProblem(await c.req('POST', SWITCH, { body: { org_id: bizId } }), 403, 'org-suspended');
    assert.equal((await c.req('GET', ME)).status, 200, 'the session in A is kept');
    assert.equal(org('resume', bizId).status, 0);
    assert.equal((await c.req('POST', SWITCH, { body: { org_id: bizId } })).status, 200);
  });

  it('the command line adds a person of another organisation as a member too (atrium staff add --org, org create --admin-email)', async () => {
    const p = await addMember(srv, admin, {}, 'cli-person');
    const email = p.record.email;
    const pw = `Temp-${email.split('@')[0]}-password-changed`;
    // staff add --org B: a membership of B, no link, no password applied.
    const r = srv.cli(['staff', 'add', '--email', email.toUpperCase(), '--name', 'Ignored', '--org', String(bizId), '--password-stdin'],
      { input: 'Some-other-password-1234\n' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /account in organisation 1: they sign in with their own password/);
    assert.doesNotMatch(r.stdout, /set-password/);
    const row = srv.sql(`SELECT id, name, CASE WHEN password_hash IS NULL THEN 1 ELSE 0 END FROM staff WHERE org_id = ${bizId} AND identity_id = ${p.id}`).stdout.trim().split('|');
    assert.equal(row[1], p.record.name, 'the name is the person\'s');
    assert.equal(row[2], '1', 'no password of its own');
    assert.equal(count(`SELECT COUNT(*) FROM activity_log WHERE org_id = ${bizId} AND entity = 'staff' AND entity_id = ${row[0]} AND action = 'create' AND actor_name = 'cli'`), '1');
    // They sign in with their own password and find B among theirs.
    const c = client(srv.base);
    await c.login(email, pw);
    const orgs = (await c.req('GET', ORGS)).body.data.map((o) => o.org_id).sort((a, b) => a - b);
    assert.deepEqual(orgs, [1, bizId]);
    // A second time: taken in B; an unknown organisation: refused.
    const again = srv.cli(['staff', 'add', '--email', email, '--name', 'x', '--org', String(bizId)]);
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /a staff member with this email exists/);
    const none = srv.cli(['staff', 'add', '--email', `${uniq('x')}@example.test`, '--name', 'x', '--org', '987654']);
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /987654/);
    // org create --admin-email of an existing person: their membership, no link.
    const o = org('create', '--name', `Linked Biz ${uniq('l')}`, '--admin-email', email, '--admin-name', 'x');
    assert.equal(o.status, 0, o.stderr);
    assert.match(o.stdout, /has an account in organisation 1/);
    assert.doesNotMatch(o.stdout, /set-password/);
    const newOrg = Number(/\(id (\d+)\)/.exec(o.stdout)[1]);
    assert.equal(count(`SELECT admin FROM staff WHERE org_id = ${newOrg} AND identity_id = ${p.id}`), '1');
  });

  it('switch: every invalid field named, an organisation that is not theirs 404 whether it exists or not', async () => {
    const c = await personClient();
    assertFieldErrors(await c.req('POST', SWITCH, { body: {} }), { org_id: 'required' });
    assertFieldErrors(await c.req('POST', SWITCH, { body: { org_id: 'x' } }), { org_id: null });
    assertFieldErrors(await c.req('POST', SWITCH, { body: { org_id: 0 } }), { org_id: 'type' });
    assertFieldErrors(await c.req('POST', SWITCH, { body: { org_id: null } }), { org_id: null });
    assertFieldErrors(await c.req('POST', SWITCH, { body: { org_id: 1, extra: 1 } }), { extra: null });
    const out = org('create', '--name', 'Not Theirs');
    assert.equal(out.status, 0, out.stderr);
    const notTheirs = Number(/\(id (\d+)\)/.exec(out.stdout)[1]);
    const a = await c.req('POST', SWITCH, { body: { org_id: notTheirs } });
    const b = await c.req('POST', SWITCH, { body: { org_id: 987654 } });
    assertProblem(a, 404);
    assertProblem(b, 404);
    assert.equal(a.body.title, b.body.title);
  });

  it('an API token made in B reads nothing of A', async () => {
    const lead = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Lead A ') } });
    assert.equal(lead.status, 201, lead.text);
    assert.equal((await boss.req('POST', '/api/v1/auth/reauth', { body: { password: BOSS.password } })).status, 200);
    const minted = await boss.req('POST', '/api/v1/api-tokens', { body: { name: uniq('Sync '), staff_id: linkedId } });
    assert.equal(minted.status, 201, minted.text);
    const bearer = (path, params) => client(srv.base).req('GET', path, {
      params, headers: { Authorization: `Bearer ${minted.body.token}` },
    });
    const me = await bearer(ME);
    assert.equal(me.body.staff.org_id, bizId);
    assertProblem(await bearer('/api/v1/leads/{id}', { id: lead.body.id }), 404);
    const list = await bearer('/api/v1/leads');
    assert.equal(list.status, 200, list.text);
    assert.ok(!list.body.data.some((l) => l.id === lead.body.id));
  });

  it("deleting the person's home row while they belong elsewhere is refused; B's membership is deleted as any member", async () => {
    const del = await admin.req('DELETE', '/api/v1/staff/{id}', { params: { id: person.id }, query: { reassign_to: admin.me.id } });
    assertProblem(del, 409);
    const d = await boss.req('DELETE', '/api/v1/staff/{id}', { params: { id: linkedId }, query: { reassign_to: Number(count(`SELECT MIN(id) FROM staff WHERE org_id = ${bizId} AND admin = 1`)), tokens: 'revoke' } });
    assert.ok(d.status === 200 || d.status === 204, d.text);
    const c = await personClient();
    assert.equal(c.me.org_id, 1);
    assert.equal((await c.req('GET', ORGS)).body.data.length, 1);
  });
});
