// Organisations (issue 17, step 1): `atrium org create|list|suspend|resume|
// seats` against the live server's database; the seats on the org row,
// which an organisation's administrators see read-only (the settings API
// refuses them, naming the field); suspension of a second organisation:
// sign-in, its sessions, its API tokens and its client portal refused
// with a clear problem,
// its queued jobs not claimed while another organisation's run; resume
// restores all of it. The harness's administrator is in organisation 1,
// the operator.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, addRole, addMember,
  uniq, waitFor,
} from './harness.mjs';

const SEATS = '/api/v1/settings/{group}';
const ME = '/api/v1/auth/me';
const LOGIN = '/api/v1/auth/login';

function linkToken(text) {
  const m = /\/set-password#token=([A-Za-z0-9_.~%+-]+)/.exec(text);
  return m ? decodeURIComponent(m[1]) : null;
}

describe('organisations: the operator, seats and suspension', () => {
  let srv;
  let admin; // the operator's administrator (organisation 1)
  let boss; // the first administrator of the business
  let bizId;
  const BOSS = { email: `boss.${uniq('b')}@example.test`, password: 'Harbour-violet-cedar-7731' };

  const org = (...args) => srv.cli(['org', ...args.map(String)]);
  const orgs = () => {
    const r = org('list', '--json');
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const activity = (id, action) => srv.sql(
    `SELECT COUNT(*) FROM activity_log WHERE org_id = ${id} AND entity = 'org' AND action = '${action}'`).stdout;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
  });
  after(async () => { await srv?.stop(); });

  it('org create: a business under the operator with its first administrator, who sets a password by the link', async () => {
    const out = org('create', '--name', 'Biz One', '--admin-email', BOSS.email, '--admin-name', 'Boss');
    assert.equal(out.status, 0, out.stderr);
    const m = /added business 'Biz One' \(id (\d+)\) under operator/.exec(out.stdout);
    assert.ok(m, out.stdout);
    bizId = Number(m[1]);
    // The harness's fixture policy, for this organisation too (its
    // settings are its own): administrators without 2FA may work.
    const tf = srv.cli(['settings', 'set', 'security.twofa_required_admins', 'false', '--org', String(bizId)]);
    assert.equal(tf.status, 0, tf.stderr);
    const token = linkToken(out.stdout);
    assert.ok(token, `a set-password link:\n${out.stdout}`);
    boss = client(srv.base);
    const r = await boss.req('POST', '/api/v1/auth/password/set', { body: { token, password: BOSS.password } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.staff.org_id, bizId);
    assert.equal(r.body.staff.admin, true);
    // The org's own chain holds its creation and its administrator's.
    assert.equal(activity(bizId, 'create'), '1');
    assert.equal(srv.sql(`SELECT COUNT(*) FROM activity_log WHERE org_id = ${bizId} AND entity = 'staff' AND action = 'create'`).stdout, '1');
    const v = srv.cli(['audit', 'verify']);
    assert.equal(v.status, 0, v.stdout + v.stderr);
  });

  it('org list: the operator first, kinds, parents, status and seats used/allowed', () => {
    const all = orgs();
    assert.deepEqual(all[0], { ...all[0], id: 1, kind: 'operator', parent_id: null, status: 'active' });
    const biz = all.find((o) => o.id === bizId);
    assert.equal(biz.kind, 'business');
    assert.equal(biz.parent_id, 1);
    assert.equal(biz.status, 'active');
    assert.deepEqual(biz.seats, { used: 1, allowed: 5, members_included: 5, extra_seats: 0 });
    const text = org('list');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^${bizId}\\s+business\\s+1\\s+active\\s+1/5\\s+Biz One$`, 'm'));
  });

  it('org create: a merchant under a business; nothing deeper, no second operator, bad arguments refused', () => {
    const shop = org('create', '--name', 'Shop', '--parent', bizId);
    assert.equal(shop.status, 0, shop.stderr);
    const shopId = Number(/\(id (\d+)\) under business/.exec(shop.stdout)[1]);
    assert.equal(orgs().find((o) => o.id === shopId).kind, 'merchant');
    assert.equal(orgs().find((o) => o.id === shopId).parent_id, bizId);
    const deep = org('create', '--name', 'Deep', '--parent', shopId);
    assert.equal(deep.status, 1);
    assert.match(deep.stderr, /parent: a merchant sits under a business.*nothing deeper/);
    const none = org('create', '--name', 'X', '--parent', 999999);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /parent: no organisation 999999/);
    const bad = org('create', '--name', '', '--members-included', 0);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /name: must not be empty/);
    assert.match(bad.stderr, /members_included: must be between 1 and 1000000/);
    assert.equal(org('create', '--name', 'Half', '--admin-email', 'x@example.test').status, 1);
    const op = org('suspend', 1);
    assert.equal(op.status, 1);
    assert.match(op.stderr, /is the operator: it cannot be suspended/);
    assert.equal(org('suspend', 999999).status, 1);
    assert.equal(org('frobnicate').status, 1);
    assert.equal(orgs().filter((o) => o.kind === 'operator').length, 1);
  });

  it('seats: the organisation\'s administrator reads them, read-only; the settings API refuses them, naming each field', async () => {
    const got = await boss.req('GET', SEATS, { params: { group: 'seats' } });
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.body.values, { members_included: 5, extra_seats: 0 });
    for (const f of got.body.fields) assert.equal(f.read_only, true, `${f.key} is read-only`);
    const one = await boss.req('PATCH', SEATS, { params: { group: 'seats' }, body: { extra_seats: 100 } });
    assertFieldErrors(one, { extra_seats: 'read_only' });
    assert.match(one.body.errors[0].detail, /set by the operator.*atrium org seats/);
    const both = await boss.req('PATCH', SEATS, { params: { group: 'seats' }, body: { members_included: 9, extra_seats: null } });
    assertFieldErrors(both, { members_included: 'read_only', extra_seats: 'read_only' });
    // The operator's own administrators too: seats change only by `atrium org seats`.
    assertFieldErrors(await admin.req('PATCH', SEATS, { params: { group: 'seats' }, body: { extra_seats: 1 } }),
      { extra_seats: 'read_only' });
    const cli = srv.cli(['settings', 'set', 'seats.extra_seats', '5', '--org', String(bizId)]);
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /seats\.extra_seats: seats are set by the operator.*\(read_only\)/);
    assert.deepEqual((await boss.req('GET', SEATS, { params: { group: 'seats' } })).body.values,
      { members_included: 5, extra_seats: 0 }, 'nothing written');
  });

  it('org seats: the operator changes them, logged in the organisation\'s chain, and the seat check follows', async () => {
    let r = org('seats', bizId, '--members-included', 1);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /members_included: 5 -> 1/);
    assert.equal(activity(bizId, 'update'), '1');
    const tag = uniq('seat');
    const full = await boss.req('POST', '/api/v1/staff', {
      body: { email: `${tag}@example.test`, name: tag, temporary_password: `Temp-${tag}-password` },
    });
    assertProblem(full, 409, 'conflict');
    assert.match(full.body.detail, /seat limit reached: 1 of 1 seats are in use \(1 included \+ 0 extra\)/);
    r = org('seats', bizId, '--members-included', 5, '--extra-seats', 2);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((await boss.req('GET', SEATS, { params: { group: 'seats' } })).body.values,
      { members_included: 5, extra_seats: 2 });
    assert.equal(org('seats', bizId, '--extra-seats', 2).stdout.includes('unchanged'), true);
    assert.equal(org('seats', bizId, '--extra-seats', 1000001).status, 1);
    assert.equal(org('seats', bizId).status, 1, 'nothing to set');
    assert.equal(activity(bizId, 'update'), '2');
  });

  it('suspended: sign-in, sessions and API tokens refused, jobs wait; resumed: all of it works again', async () => {
    // A member of the business with an API token of their own.
    const role = await addRole(boss, uniq('Leads '), { leads: ['view'] });
    const member = await addMember(srv, boss, { role_id: role.id }, 'bizmember');
    assert.equal(member.me.org_id, bizId);
    assert.equal((await boss.req('POST', '/api/v1/auth/reauth', { body: { password: BOSS.password } })).status, 200);
    const minted = await boss.req('POST', '/api/v1/api-tokens', { body: { name: uniq('Sync '), staff_id: member.id } });
    assert.equal(minted.status, 201, minted.text);
    const bearer = () => client(srv.base).req('GET', '/api/v1/leads', {
      headers: { Authorization: `Bearer ${minted.body.token}` },
    });
    assert.equal((await bearer()).status, 200);

    // A client contact of the business, signed in to the portal (its
    // account made directly: the password is the boss's, an argon2id hash
    // the portal reads as any other).
    const cl = await boss.req('POST', '/api/v1/clients', { body: { company: uniq('Client ') } });
    assert.equal(cl.status, 201, cl.text);
    const ctEmail = `${uniq('ct').toLowerCase().replace(/\W/g, '')}@client.example`;
    const ct = await boss.req('POST', '/api/v1/contacts', { body: { client_id: cl.body.id, first_name: 'Ana', email: ctEmail } });
    assert.equal(ct.status, 201, ct.text);
    const now = new Date().toISOString();
    assert.equal(srv.sql(`UPDATE contact SET portal_access = 1 WHERE id = ${ct.body.id}`).status, 0);
    assert.equal(srv.sql(`INSERT INTO portal_account (contact_id, org_id, password_hash, password_changed_at, created_at) SELECT ${ct.body.id}, ${bizId}, password_hash, '${now}', '${now}' FROM staff WHERE email_norm = '${BOSS.email.toLowerCase()}'`).status, 0);
    const portalIn = async () => {
      const pc = client(srv.base);
      const r = await pc.req('POST', '/api/v1/portal/auth/login', { body: { email: ctEmail, password: BOSS.password } });
      return { pc, r };
    };
    const { pc: portal, r: pin } = await portalIn();
    assert.equal(pin.status, 200, pin.text);
    assert.equal((await portal.req('GET', '/api/v1/portal/auth/me')).status, 200);

    // Two queued jobs: the business's first in line, then the operator's.
    const at = new Date(Date.now() - 60000).toISOString();
    const job = (orgId, when) => Number(srv.sql(
      `INSERT INTO job (org_id, kind, payload, status, attempts, run_at, scheduled_at, created_at) VALUES (${orgId}, 'email', '{"email_id": 987654321}', 'queued', 0, '${when}', '${when}', '${when}') RETURNING id`,
    ).stdout.split('\n')[0]);

    const s = org('suspend', bizId);
    assert.equal(s.status, 0, s.stderr);
    assert.equal(activity(bizId, 'suspend'), '1');
    assert.equal(orgs().find((o) => o.id === bizId).status, 'suspended');
    const theirs = job(bizId, at);
    const ours = job(1, new Date(Date.now() - 30000).toISOString());

    // Existing sessions: refused at the next request, with the reason.
    assertProblem(await boss.req('GET', ME), 403, 'org-suspended');
    const m = await member.req('GET', '/api/v1/leads');
    assertProblem(m, 403, 'org-suspended');
    assert.match(m.body.detail, /organisation is suspended/);
    // API tokens: the same.
    assertProblem(await bearer(), 403, 'org-suspended');
    // Sign-in: refused after the right password only (a wrong one is
    // the usual 401, so suspension is no oracle for strangers).
    const wrong = await client(srv.base).req('POST', LOGIN, { body: { email: BOSS.email, password: 'Not-the-password-1' } });
    assertProblem(wrong, 401);
    const fresh = client(srv.base);
    const login = await fresh.req('POST', LOGIN, { body: { email: BOSS.email, password: BOSS.password } });
    assertProblem(login, 403, 'org-suspended');
    assert.equal(fresh.sessionCookie(), null, 'no session issued');
    // The client portal of the business: its session and a new sign-in.
    assertProblem(await portal.req('GET', '/api/v1/portal/auth/me'), 403, 'org-suspended');
    const { pc: portal2, r: pin2 } = await portalIn();
    assertProblem(pin2, 403, 'org-suspended');
    assert.equal(portal2.jar.size, 0, 'no portal session issued');
    // The operator's organisation goes on.
    assert.equal((await admin.req('GET', ME)).status, 200);
    // Jobs: the operator's, behind the business's in line, is claimed;
    // the business's stays queued, never attempted.
    await waitFor(() => Number(srv.sql(`SELECT attempts FROM job WHERE id = ${ours}`).stdout) > 0,
      { timeout: 30000, what: 'the operator\'s job to be claimed' });
    assert.equal(srv.sql(`SELECT status || ':' || attempts FROM job WHERE id = ${theirs}`).stdout, 'queued:0');
    // Data stays.
    assert.equal(srv.sql(`SELECT COUNT(*) FROM staff WHERE org_id = ${bizId} AND active = 1`).stdout, '2');

    const r = org('resume', bizId);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(activity(bizId, 'resume'), '1');
    assert.equal(org('resume', bizId).stdout.includes('already active'), true);
    assert.equal((await boss.req('GET', ME)).status, 200, 'the same session works again');
    assert.equal((await member.req('GET', '/api/v1/leads')).status, 200);
    assert.equal((await bearer()).status, 200);
    assert.equal((await portal.req('GET', '/api/v1/portal/auth/me')).status, 200, 'the portal session works again');
    assert.equal((await portalIn()).r.status, 200);
    const again = client(srv.base);
    assert.equal((await again.req('POST', LOGIN, { body: { email: BOSS.email, password: BOSS.password } })).status, 200);
    await waitFor(() => Number(srv.sql(`SELECT attempts FROM job WHERE id = ${theirs}`).stdout) > 0,
      { timeout: 30000, what: 'the business\'s job to be claimed after resume' });
    const v = srv.cli(['audit', 'verify']);
    assert.equal(v.status, 0, v.stdout + v.stderr);
  });
});
