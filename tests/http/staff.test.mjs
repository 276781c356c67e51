// The staff list (minimal until the access-control work lands).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, client, adminClient, staffClient, assertProblem, assertNoSecrets } from './harness.mjs';

const STAFF = '/api/v1/staff';
describe('staff API', () => {
  let srv;
  let admin;
  let staff;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
  });
  after(async () => {
    await srv?.stop();
  });

  it('admin lists both members with the documented fields', async () => {
    const r = await admin.req('GET', STAFF);
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.body.data));
    assert.ok(Number.isInteger(r.body.total));
    const a = r.body.data.find((x) => x.email === srv.admin.email);
    const s = r.body.data.find((x) => x.email === srv.staff.email);
    assert.ok(a && s, `both members listed: ${r.text}`);
    assert.equal(r.body.total, 2);
    assert.equal(a.id, admin.me.id);
    assert.equal(a.name, srv.admin.name);
    assert.equal(a.admin, true);
    assert.equal(a.active, true);
    assert.equal(s.id, staff.me.id);
    assert.equal(s.name, srv.staff.name);
    assert.equal(s.admin, false);
    assert.equal(s.active, true);
    for (const m of [a, s]) {
      for (const k of ['id', 'email', 'name', 'admin', 'active', 'last_login']) assert.ok(k in m, `has ${k}`);
    }
    assert.match(a.last_login, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'signed in, so last_login is set');
  });

  it('exposes no password hash or other secret', async () => {
    const r = await admin.req('GET', STAFF);
    assert.equal(r.status, 200);
    assertNoSecrets(r.body, [srv.admin.password, srv.staff.password]);
  });

  it('is 401 anonymously', async () => {
    assertProblem(await client(srv.base).req('GET', STAFF), 401, 'unauthorized');
  });

  it('is 403 for the plain staff member', async () => {
    assertProblem(await staff.req('GET', STAFF), 403, 'forbidden');
  });
});
