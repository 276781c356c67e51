// Acting in another organisation (issue 17; docs/internals/organisations.md,
// "Acting in another organisation"): GET/POST /api/v1/auth/act and
// POST /api/v1/auth/act/end.
//
// Operator mode: the operator's administrator enters a business (after
// re-authenticating, with a reason), works there as an administrator, sees
// none of the operator console meanwhile, and every row written there is in
// the business's chain and, as a copy without values, in the operator's;
// leaving gives a session of the operator back. Parent scope: a business's
// member whose role holds "merchants" enters one of the business's merchants
// with their grants on the record modules cut down to view/create/edit, and
// nothing else; never a sibling's merchant, never upwards, never without the
// grant. The session lasts 15 minutes at most, ends with the member's
// organisation's suspension, and every invalid field, 401 and the re-auth
// requirement are checked.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, client, adminClient, assertProblem, assertFieldErrors, uniq } from './harness.mjs';

const ACT = '/api/v1/auth/act';
const END = '/api/v1/auth/act/end';
const ME = '/api/v1/auth/me';
const PW = 'Harbour-violet-cedar-5521';

describe('acting in another organisation', () => {
  let srv;
  let op; // the operator's administrator (organisation 1)
  let A; let B; let MA; let MB; // businesses A, B; merchants MA (of A), MB (of B)

  /* `atrium org create` (under parent) with its first administrator,
   * signed in through the set-password link. */
  async function newOrg(name, parent) {
    const email = `${uniq('adm')}@example.test`;
    const args = ['org', 'create', '--name', name, '--admin-email', email, '--admin-name', `${name} admin`,
      '--members-included', '50'];
    if (parent) args.push('--parent', String(parent));
    const out = srv.cli(args);
    assert.equal(out.status, 0, out.stderr);
    const id = Number(/\(id (\d+)\)/.exec(out.stdout)[1]);
    const tf = srv.cli(['settings', 'set', 'security.twofa_required_admins', 'false', '--org', String(id)]);
    assert.equal(tf.status, 0, tf.stderr);
    const m = /\/set-password#token=([A-Za-z0-9_.~%+-]+)/.exec(out.stdout);
    const c = client(srv.base);
    const r = await c.req('POST', '/api/v1/auth/password/set', { body: { token: decodeURIComponent(m[1]), password: PW } });
    assert.equal(r.status, 200, r.text);
    c.id = id;
    c.password = PW;
    c.staffId = r.body.staff.id;
    return c;
  }
  async function reauth(c, password) {
    const r = await c.req('POST', '/api/v1/auth/reauth', { body: { password } });
    assert.equal(r.status, 200, r.text);
  }
  /* A member of org (administrator c) with a role of grants. */
  async function memberWith(c, permissions) {
    const role = await c.req('POST', '/api/v1/roles', { body: { name: uniq('Role '), permissions } });
    assert.equal(role.status, 201, role.text);
    const email = `${uniq('m')}@example.test`;
    const temp = `Temp-${uniq('t')}-password`;
    const r = await c.req('POST', '/api/v1/staff', { body: { email, name: uniq('Member '), role_id: role.body.id, temporary_password: temp } });
    assert.equal(r.status, 201, r.text);
    const m = client(srv.base);
    await m.login(email, temp);
    const ch = await m.req('POST', '/api/v1/auth/password/change', { body: { current_password: temp, new_password: PW } });
    assert.equal(ch.status, 200, ch.text);
    m.password = PW;
    m.staffId = r.body.id;
    return m;
  }
  const rows = (sql) => srv.sql(sql).stdout.split('\n').filter(Boolean);
  const logOf = (org, action, entity) => rows(
    `SELECT actor_id, actor_name, entity_id, diff FROM activity_log WHERE org_id = ${org} AND action = '${action}'` +
    (entity ? ` AND entity = '${entity}'` : '') + ' ORDER BY id');
  async function lead(c, name) {
    const r = await c.req('POST', '/api/v1/leads', { body: { name } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }

  before(async () => {
    srv = await startServer();
    op = await adminClient(srv);
    A = await newOrg(uniq('Business A '));
    B = await newOrg(uniq('Business B '));
    MA = await newOrg(uniq('Merchant of A '), A.id);
    MB = await newOrg(uniq('Merchant of B '), B.id);
  });
  after(async () => {
    await srv?.stop();
  });

  it('401 anonymously on every route; a fresh re-authentication to enter', async () => {
    const anon = client(srv.base);
    assertProblem(await anon.req('GET', ACT), 401);
    assertProblem(await anon.req('POST', ACT, { body: { org_id: A.id, reason: 'x' } }), 401);
    assertProblem(await anon.req('POST', END), 401);
    const c = await adminClient(srv);
    const r = await c.req('POST', ACT, { body: { org_id: A.id, reason: 'support ticket 1' } });
    assertProblem(r, 403);
    assert.match(r.text, /re-?auth/i);
  });

  it('every invalid field is named; its own, the operator and an unknown organisation answer 404', async () => {
    await reauth(op, srv.admin.password);
    assertFieldErrors(await op.req('POST', ACT, { body: {} }), { org_id: 'required', reason: 'required' });
    assertFieldErrors(await op.req('POST', ACT, { body: { org_id: 'two', reason: 'x'.repeat(501), extra: 1 } }),
      { org_id: null, reason: null, extra: 'unknown_field' });
    for (const id of [1, 987654]) assertProblem(await op.req('POST', ACT, { body: { org_id: id, reason: 'look' } }), 404);
    const list = await op.req('GET', ACT);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.acting, null);
    assert.equal(list.body.minutes, 15);
    const ids = list.body.orgs.map((o) => o.id);
    for (const o of [A, B, MA, MB]) assert.ok(ids.includes(o.id), `the operator may enter ${o.id}`);
    assert.ok(!ids.includes(1), 'not its own');
    assert.ok(list.body.orgs.every((o) => o.mode === 'operator'));
  });

  it('operator mode: an administrator in the business, logged in both chains, nothing of the console; leaving', async () => {
    const theirs = await lead(A, uniq('Lead of A '));
    await reauth(op, srv.admin.password);
    const before = await op.req('GET', ME);
    const r = await op.req('POST', ACT, { body: { org_id: A.id, reason: 'support ticket 4711' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.staff.org_id, A.id);
    assert.equal(r.body.staff.admin, true);
    assert.equal(r.body.staff.operator, false);
    assert.equal(r.body.acting.mode, 'operator');
    assert.equal(r.body.acting.org_id, A.id);
    assert.equal(r.body.acting.home_org_id, 1);
    const until = Date.parse(r.body.acting.until);
    assert.ok(until <= Date.now() + 15 * 60000 + 2000 && until > Date.now() + 14 * 60000, r.body.acting.until);
    assert.equal(Date.parse(r.body.session.expires_at), until, 'the session ends with operator mode');
    assert.notEqual(r.body.csrf_token, before.body.csrf_token, 'a new session');
    // The business's records, as its administrator would.
    const got = await op.req('GET', '/api/v1/leads/{id}', { params: { id: theirs.id } });
    assert.equal(got.status, 200, got.text);
    const mine = await op.req('POST', '/api/v1/leads', { body: { name: uniq('Lead by the operator ') } });
    assert.equal(mine.status, 201, mine.text);
    assert.equal(mine.body.assigned_to ?? null, null, 'no owner: the operator is no member of A');
    assert.equal(rows(`SELECT org_id FROM lead WHERE id = ${mine.body.id}`)[0], String(A.id));
    // Nothing of the operator's own meanwhile.
    assertProblem(await op.req('GET', '/api/v1/operator/orgs'), 403);
    await reauth(op, srv.admin.password);
    assertProblem(await op.req('POST', ACT, { body: { org_id: B.id, reason: 'again' } }), 409);
    assertProblem(await op.req('POST', '/api/v1/auth/switch', { body: { org_id: 1 } }), 409);
    const me = await op.req('GET', ME);
    assert.equal(me.body.acting.org_name.startsWith('Business A'), true, me.text);
    // Both chains: the start with its reason, the lead's creation.
    const startA = logOf(A.id, 'act_start');
    const startOp = logOf(1, 'act_start');
    assert.equal(startA.length, 1);
    assert.equal(startOp.length, 1);
    assert.match(startA[0], /operator mode/);
    assert.match(startOp[0], /support ticket 4711/);
    const inA = logOf(A.id, 'create', 'lead').filter((l) => l.includes(`|${mine.body.id}|`));
    assert.equal(inA.length, 1, 'the creation in the business');
    assert.match(inA[0], /\(operator mode\)/);
    const inOp = logOf(1, 'create', 'lead').filter((l) => l.includes(`|${mine.body.id}|`));
    assert.equal(inOp.length, 1, "a copy in the operator's chain");
    assert.deepEqual(JSON.parse(inOp[0].split('|').slice(3).join('|')), { acting_in: { org_id: A.id, mode: 'operator' } });
    assert.ok(!inOp[0].includes('Lead by the operator'), "the copy holds none of the record's values");
    // Leave: the operator's session again, no later than it was.
    const end = await op.req('POST', END);
    assert.equal(end.status, 200, end.text);
    assert.equal(end.body.staff.org_id, 1);
    assert.equal(end.body.acting, null);
    assert.equal(end.body.staff.operator, true);
    assert.ok(Date.parse(end.body.session.expires_at) <= Date.parse(before.body.session.expires_at));
    assert.equal(logOf(A.id, 'act_end').length, 1);
    assert.equal(logOf(1, 'act_end').length, 1);
    assertProblem(await op.req('POST', END), 409);
    assert.equal((await op.req('GET', '/api/v1/operator/orgs')).status, 200);
    const verify = srv.cli(['audit', 'verify']);
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  });

  it('operator mode ends at 15 minutes: the session is gone after', async () => {
    await reauth(op, srv.admin.password);
    const r = await op.req('POST', ACT, { body: { org_id: B.id, reason: 'expiry' } });
    assert.equal(r.status, 200, r.text);
    srv.sql(`UPDATE session SET expires_at = '2000-01-01T00:00:00.000Z' WHERE acting = 'operator'`);
    assertProblem(await op.req('GET', '/api/v1/leads'), 401);
    const again = await adminClient(srv);
    assert.equal((await again.req('GET', ME)).body.acting, null);
    op = again;
  });

  it('parent scope: a business administrator in its merchant, records only, no delete', async () => {
    const m = await lead(MA, uniq('Lead of merchant A '));
    await reauth(A, A.password);
    const list = await A.req('GET', ACT);
    assert.deepEqual(list.body.orgs.map((o) => [o.id, o.mode]), [[MA.id, 'parent']], 'only its own merchant');
    for (const id of [MB.id, B.id, 1, A.id]) assertProblem(await A.req('POST', ACT, { body: { org_id: id, reason: 'x' } }), 404);
    const r = await A.req('POST', ACT, { body: { org_id: MA.id, reason: 'month end' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.acting.mode, 'parent');
    assert.equal(r.body.staff.admin, false);
    assert.deepEqual(r.body.staff.permissions.leads.sort(), ['create', 'edit', 'view', 'view_own']);
    assert.equal(r.body.staff.permissions.staff, undefined);
    assert.equal(r.body.staff.permissions.settings, undefined);
    assert.equal(r.body.staff.permissions.merchants, undefined);
    const got = await A.req('GET', '/api/v1/leads/{id}', { params: { id: m.id } });
    assert.equal(got.status, 200, got.text);
    const upd = await A.req('PATCH', '/api/v1/leads/{id}', { params: { id: m.id }, headers: { 'If-Match': got.headers.get('etag') }, body: { status: 'contacted' } });
    assert.equal(upd.status, 200, upd.text);
    assertProblem(await A.req('DELETE', '/api/v1/leads/{id}', { params: { id: m.id }, headers: { 'If-Match': upd.headers.get('etag') } }), 403);
    assertProblem(await A.req('GET', '/api/v1/staff'), 403);
    assertProblem(await A.req('GET', '/api/v1/roles'), 403);
    assertProblem(await A.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'company' }, body: { company_name: 'Taken over' } }), 403);
    const inA = logOf(A.id, 'update', 'lead').filter((l) => l.includes(`|${m.id}|`));
    assert.equal(inA.length, 1, "the update's copy in the business's chain");
    assert.match(inA[0], /"mode":"parent"/);
    assert.match(logOf(MA.id, 'update', 'lead').find((l) => l.includes(`|${m.id}|`)), /of organisation/);
    // The merchant's own administrator reaches nothing upwards.
    await reauth(MA, MA.password);
    assert.deepEqual((await MA.req('GET', ACT)).body.orgs, []);
    assertProblem(await MA.req('POST', ACT, { body: { org_id: A.id, reason: 'up' } }), 404);
    const end = await A.req('POST', END);
    assert.equal(end.status, 200, end.text);
    assert.equal(end.body.staff.admin, true);
    assert.equal(end.body.staff.org_id, A.id);
  });

  it("parent scope follows the role's merchants grants; none without them", async () => {
    const m = await lead(MA, uniq('Lead for a viewer '));
    const viewer = await memberWith(A, { leads: ['view', 'create', 'edit', 'delete'], merchants: ['view'] });
    const plain = await memberWith(A, { leads: ['view', 'create', 'edit'] });
    await reauth(plain, plain.password);
    assert.deepEqual((await plain.req('GET', ACT)).body.orgs, []);
    assertProblem(await plain.req('POST', ACT, { body: { org_id: MA.id, reason: 'x' } }), 404);
    await reauth(viewer, viewer.password);
    const r = await viewer.req('POST', ACT, { body: { org_id: MA.id, reason: 'a look' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.staff.permissions.leads, ['view'], 'what the role holds, cut to view');
    const got = await viewer.req('GET', '/api/v1/leads/{id}', { params: { id: m.id } });
    assert.equal(got.status, 200, got.text);
    assertProblem(await viewer.req('POST', '/api/v1/leads', { body: { name: 'no' } }), 403);
    assertProblem(await viewer.req('PATCH', '/api/v1/leads/{id}', { params: { id: m.id }, headers: { 'If-Match': got.headers.get('etag') }, body: { status: 'lost' } }), 403);
    // The grant taken away: the next request has nothing there.
    const role = rows(`SELECT role_id FROM staff WHERE id = ${viewer.staffId}`)[0];
    srv.sql(`DELETE FROM role_permission WHERE role_id = ${role} AND module = 'merchants'`);
    assertProblem(await viewer.req('GET', '/api/v1/leads/{id}', { params: { id: m.id } }), 403);
  });

  it("the business's suspension ends its members' sessions in its merchants", async () => {
    await reauth(A, A.password);
    const r = await A.req('POST', ACT, { body: { org_id: MA.id, reason: 'before suspension' } });
    assert.equal(r.status, 200, r.text);
    const s = srv.cli(['org', 'suspend', String(A.id)]);
    assert.equal(s.status, 0, s.stderr);
    assertProblem(await A.req('GET', '/api/v1/leads'), 401);
    assert.equal(rows(`SELECT COUNT(*) FROM session WHERE acting IS NOT NULL AND org_id = ${MA.id}`)[0], '0');
    assert.equal(srv.cli(['org', 'resume', String(A.id)]).status, 0);
  });

  it('a suspended organisation cannot be entered', async () => {
    assert.equal(srv.cli(['org', 'suspend', String(MB.id)]).status, 0);
    await reauth(op, srv.admin.password);
    const r = await op.req('POST', ACT, { body: { org_id: MB.id, reason: 'x' } });
    assertProblem(r, 403);
    assert.match(r.text, /suspended/);
    assert.equal(srv.cli(['org', 'resume', String(MB.id)]).status, 0);
  });
});
