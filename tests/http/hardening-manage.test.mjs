// Who may manage whom (issue 8, item 2): one rule in the permission kernel
// for every route that changes another member's account. A
// non-administrator acts on a member only when the member's effective
// grants are a subset of their own; an administrator's account only by an
// administrator; nobody grants, or lifts a deny on, what they do not hold.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, uniq,
} from './harness.mjs';
import { addMember, addRole, raiseSeats } from './staff-helpers.mjs';

const STAFF_ITEM = '/api/v1/staff/{id}';
const PERMS = '/api/v1/staff/{id}/permissions';

async function etagOf(c, id) {
  const g = await c.req('GET', STAFF_ITEM, { params: { id } });
  assert.equal(g.status, 200, g.text);
  return g.headers.get('etag');
}

describe('who may manage whom', () => {
  let srv;
  let admin;
  let hr; // staff view, create, edit: the guide's HR Administrator
  let hrRole;
  let strong; // holds settings.edit and roles.view: more than hr
  let weak; // holds staff.view only: a subset of hr's grants

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    hrRole = await addRole(admin, uniq('HR '), { staff: ['view', 'create', 'edit'] });
    const strongRole = await addRole(admin, uniq('Ops '), { settings: ['view', 'edit'], roles: ['view'] });
    const weakRole = await addRole(admin, uniq('Viewer '), { staff: ['view'] });
    hr = await addMember(srv, admin, hrRole.id, 'hr');
    strong = await addMember(srv, admin, strongRole.id, 'strong');
    weak = await addMember(srv, admin, weakRole.id, 'weak');
  });
  after(async () => { await srv?.stop(); });

  it('a member holding more than the actor: every account change is 403, and nothing changes', async () => {
    const id = strong.id;
    const etag = await etagOf(hr, id);
    const attempts = [
      ['PATCH', STAFF_ITEM, { email: `taken-over-${uniq()}@example.test` }, { 'If-Match': etag }],
      ['POST', '/api/v1/staff/{id}/password/reset', undefined],
      ['POST', '/api/v1/staff/{id}/2fa/reset', undefined],
      ['POST', '/api/v1/staff/{id}/sessions/end', undefined],
      ['POST', '/api/v1/staff/{id}/invite', undefined],
      ['POST', '/api/v1/staff/{id}/deactivate', undefined],
      ['PUT', PERMS, { overrides: { settings: { edit: 'deny' } } }],
    ];
    for (const [method, pattern, body, headers] of attempts) {
      const r = await hr.req(method, pattern, { params: { id }, body, headers });
      assertProblem(r, 403, 'forbidden');
      assert.match(r.body.detail, /hold permissions you do not have/, `${method} ${pattern}: ${r.body.detail}`);
      assert.match(r.body.detail, /settings\.edit/);
    }
    // The member still signs in with their own email and password.
    const again = client(srv.base);
    await again.login(strong.email, strong.password);
    const me = await again.req('GET', '/api/v1/auth/me');
    assert.equal(me.body.staff.email, strong.email);
  });

  it('a member whose grants are a subset of the actor\'s may be managed', async () => {
    const etag = await etagOf(hr, weak.id);
    const newEmail = `weak-${uniq()}@example.test`;
    const r = await hr.req('PATCH', STAFF_ITEM, { params: { id: weak.id }, body: { email: newEmail }, headers: { 'If-Match': etag } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.email, newEmail);
    const s = await hr.req('POST', '/api/v1/staff/{id}/sessions/end', { params: { id: weak.id } });
    assert.equal(s.status, 204, s.text);
  });

  it('an administrator is managed only by administrators', async () => {
    const r = await hr.req('POST', '/api/v1/staff/{id}/sessions/end', { params: { id: admin.me.id } });
    assertProblem(r, 403, 'forbidden');
    assert.match(r.body.detail, /only an administrator/);
  });

  it('an unknown member is 404, as before', async () => {
    const r = await hr.req('POST', '/api/v1/staff/{id}/2fa/reset', { params: { id: 987654321 } });
    assertProblem(r, 404, 'not-found');
  });

  it('nobody lifts a deny on what they do not hold: PUT overrides {} is refused, the deny stays', async () => {
    // An administrator gives a role with settings.edit and denies it to
    // this member: their effective grants are within hr's.
    const role = await addRole(admin, uniq('Denied '), { staff: ['view'], settings: ['edit'] });
    const m = await addMember(srv, admin, role.id, 'denied');
    const d = await admin.req('PUT', PERMS, { params: { id: m.id }, body: { overrides: { settings: { edit: 'deny' } } } });
    assert.equal(d.status, 200, d.text);

    const lift = await hr.req('PUT', PERMS, { params: { id: m.id }, body: { overrides: {} } });
    assertFieldErrors(lift, { 'overrides.settings': 'not_allowed' });
    assert.match(lift.body.errors.find((e) => e.field === 'overrides.settings').detail, /lift the deny of edit/);
    const inherit = await hr.req('PUT', PERMS, { params: { id: m.id }, body: { overrides: { settings: { edit: 'inherit' } } } });
    assertFieldErrors(inherit, { 'overrides.settings': 'not_allowed' });
    const g = await admin.req('GET', PERMS, { params: { id: m.id } });
    assert.deepEqual(g.body.overrides, { settings: { edit: 'deny' } });

    // Keeping the deny and adding another is fine.
    const ok = await hr.req('PUT', PERMS, {
      params: { id: m.id }, body: { overrides: { settings: { edit: 'deny' }, staff: { view: 'deny' } } },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.overrides, { settings: { edit: 'deny' }, staff: { view: 'deny' } });
  });

  it('an allow the actor does not hold is refused, with the module named', async () => {
    const r = await hr.req('PUT', PERMS, { params: { id: weak.id }, body: { overrides: { leads: { view: 'allow' } } } });
    assertFieldErrors(r, { 'overrides.leads': 'not_allowed' });
  });
});

describe('role delegation (item 12)', () => {
  let srv;
  let admin;
  let sales;
  let ops;
  let viewer;
  let hr;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    sales = await addRole(admin, uniq('Sales Agent '), { leads: ['view_own', 'create', 'edit'], clients: ['view', 'create'] });
    ops = await addRole(admin, uniq('Ops '), { settings: ['view', 'edit'] });
    viewer = await addRole(admin, uniq('Viewer '), { staff: ['view'] });
    const hrRole = await addRole(admin, uniq('HR Administrator '), { staff: ['view', 'create', 'edit'] },
      { grantable_role_ids: [sales.id] });
    assert.deepEqual(hrRole.grantable_role_ids, [sales.id]);
    hr = await addMember(srv, admin, hrRole.id, 'hrdel');
  });
  after(async () => { await srv?.stop(); });

  it('the picker lists the delegated roles and those within the member\'s own grants', async () => {
    const r = await hr.req('GET', '/api/v1/roles/assignable');
    assert.equal(r.status, 200, r.text);
    const ids = r.body.data.map((x) => x.id);
    assert.ok(ids.includes(sales.id), 'delegated');
    assert.ok(ids.includes(viewer.id), 'within their grants');
    assert.ok(!ids.includes(ops.id), 'neither');
    for (const x of r.body.data) assert.deepEqual(Object.keys(x).sort(), ['id', 'name']);
    const all = await admin.req('GET', '/api/v1/roles/assignable');
    assert.ok(all.body.data.some((x) => x.id === ops.id), 'an administrator may give every role');
    assertProblem(await client(srv.base).req('GET', '/api/v1/roles/assignable'), 401, 'unauthorized');
  });

  it('a delegated role can be given to a new hire; a role neither delegated nor held cannot', async () => {
    const ok = await hr.req('POST', '/api/v1/staff', { body: { email: `${uniq('hire')}@example.test`, name: 'New Hire', role_id: sales.id } });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.role_id, sales.id);
    const no = await hr.req('POST', '/api/v1/staff', { body: { email: `${uniq('hire')}@example.test`, name: 'Other Hire', role_id: ops.id } });
    assertFieldErrors(no, { role_id: 'not_allowed' });
    // A role that does not exist gets the same answer (no probing of ids).
    const none = await hr.req('POST', '/api/v1/staff', { body: { email: `${uniq('hire')}@example.test`, name: 'Nobody', role_id: 987654321 } });
    assertFieldErrors(none, { role_id: 'not_allowed' });
    assert.equal(none.body.errors[0].detail, no.body.errors[0].detail);
  });

  it('members of a delegated role may be managed, unless an administrator gave them more', async () => {
    const m = await addMember(srv, admin, sales.id, 'salesdel');
    assert.equal((await hr.req('POST', '/api/v1/staff/{id}/sessions/end', { params: { id: m.id } })).status, 204);
    const allow = await admin.req('PUT', '/api/v1/staff/{id}/permissions', { params: { id: m.id }, body: { overrides: { settings: { edit: 'allow' } } } });
    assert.equal(allow.status, 200, allow.text);
    assertProblem(await hr.req('POST', '/api/v1/staff/{id}/sessions/end', { params: { id: m.id } }), 403, 'forbidden');
  });

  it('only an administrator decides what a role may hand out', async () => {
    const rolesEditor = await addRole(admin, uniq('Roles editor '), { roles: ['view', 'create', 'edit'], staff: ['view'] });
    const ed = await addMember(srv, admin, rolesEditor.id, 'rolesed');
    assertFieldErrors(await ed.req('POST', '/api/v1/roles', { body: { name: uniq('Mine '), grantable_role_ids: [viewer.id] } }),
      { grantable_role_ids: 'not_allowed' });
    assertFieldErrors(await admin.req('POST', '/api/v1/roles', { body: { name: uniq('Bad '), grantable_role_ids: [987654321] } }),
      { grantable_role_ids: 'not_found' });
    assertFieldErrors(await admin.req('POST', '/api/v1/roles', { body: { name: uniq('Bad '), grantable_role_ids: 'x' } }),
      { grantable_role_ids: 'type' });
    const g = await admin.req('GET', '/api/v1/roles/{id}', { params: { id: ops.id } });
    const p = await admin.req('PATCH', '/api/v1/roles/{id}', { params: { id: ops.id }, body: { grantable_role_ids: [viewer.id] },
      headers: { 'If-Match': g.headers.get('etag') } });
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(p.body.grantable_role_ids, [viewer.id]);
    const act = (await admin.req('GET', '/api/v1/activity', { query: { entity: 'role', entity_id: ops.id, action: 'update' } })).body.data[0];
    assert.deepEqual(act.diff.grantable_role_ids, { from: [], to: [viewer.id] });
  });
});
