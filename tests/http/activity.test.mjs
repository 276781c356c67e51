// The activity log: the API over it (filters, permissions), login rows, and
// `atrium audit verify` noticing a changed or a deleted row.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, client, adminClient, staffClient, assertProblem, ISO_MS, uniq } from './harness.mjs';

const ACT = '/api/v1/activity';

describe('activity API', () => {
  let srv;
  let admin;
  let staff;
  let lead;

  // Activity totals are counted on request (count=true).
  async function activity(query) {
    const r = await admin.req('GET', ACT, { query: { count: 'true', ...query } });
    assert.equal(r.status, 200, `activity ${JSON.stringify(query)}: ${r.status} ${r.text}`);
    return r.body;
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    const r = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('actlead') } });
    assert.equal(r.status, 201, r.text);
    lead = r.body;
  });
  after(async () => {
    await srv?.stop();
  });

  it('admin gets 200 with entries of the documented shape', async () => {
    const b = await activity({});
    assert.ok(Array.isArray(b.data) && b.data.length > 0);
    assert.equal(b.limit, 25);
    assert.equal(b.offset, 0);
    assert.ok(b.total >= b.data.length);
    for (const row of b.data) {
      for (const k of ['id', 'at', 'actor_id', 'actor_name', 'action', 'entity', 'entity_id', 'diff', 'ip', 'request_id']) {
        assert.ok(k in row, `row has ${k}: ${JSON.stringify(row)}`);
      }
      assert.ok(Number.isInteger(row.id));
      assert.match(row.at, ISO_MS);
      assert.ok(['create', 'update', 'delete', 'login', 'login_failed', 'logout', 'setup', 'password_set'].includes(row.action),
        `known action: ${row.action}`);
    }
    const ids = b.data.map((x) => x.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => y - x), 'newest first');
  });

  it('a login appears as a login row with actor, ip and request id', async () => {
    const c = client(srv.base);
    const r = await c.login(srv.admin.email, srv.admin.password);
    const rid = r.headers.get('x-request-id');
    const b = await activity({ action: 'login', limit: 200 });
    const row = b.data.find((x) => x.request_id === rid);
    assert.ok(row, `a login row with request_id ${rid}`);
    assert.equal(row.actor_id, admin.me.id);
    assert.equal(row.actor_name, srv.admin.name);
    assert.equal(row.ip, '127.0.0.1');
  });

  it('a failed login appears as a login_failed row', async () => {
    const before = (await activity({ action: 'login_failed' })).total;
    const r = await client(srv.base).req('POST', '/api/v1/auth/login', {
      body: { email: srv.staff.email, password: 'definitely-wrong-password' },
    });
    assert.equal(r.status, 401);
    const b = await activity({ action: 'login_failed', limit: 200 });
    assert.equal(b.total, before + 1);
    const row = b.data.find((x) => x.request_id === r.headers.get('x-request-id'));
    assert.ok(row, 'the row carries the request id of the failed login');
    assert.equal(row.ip, '127.0.0.1');
    assert.doesNotMatch(JSON.stringify(row), /definitely-wrong-password/, 'the password is not logged');
  });

  it('a logout appears as a logout row', async () => {
    const c = await adminClient(srv);
    const r = await c.req('POST', '/api/v1/auth/logout');
    assert.equal(r.status, 204);
    const b = await activity({ action: 'logout', limit: 200 });
    assert.ok(b.data.some((x) => x.request_id === r.headers.get('x-request-id')));
  });

  it('filter action returns only that action', async () => {
    const b = await activity({ action: 'login', limit: 200 });
    assert.ok(b.data.length >= 2);
    for (const row of b.data) assert.equal(row.action, 'login');
    const all = await activity({ limit: 200 });
    assert.ok(b.total < all.total, 'the filter narrows the list');
  });

  it('filter entity (and entity_id) returns only that entity', async () => {
    const all = await activity({ entity_id: lead.id, limit: 200 });
    const created = all.data.find((x) => x.action === 'create' && x.entity_id === lead.id && /^leads?$/.test(x.entity));
    assert.ok(created, `the lead's create row: ${JSON.stringify(all.data)}`);
    const b = await activity({ entity: created.entity, limit: 200 });
    assert.ok(b.data.some((x) => x.id === created.id));
    for (const row of b.data) assert.equal(row.entity, created.entity);
    const both = await activity({ entity: created.entity, entity_id: lead.id });
    for (const row of both.data) assert.equal(row.entity_id, lead.id);
  });

  it('filter actor_id returns only that actor', async () => {
    const b = await activity({ actor_id: staff.me.id, limit: 200 });
    assert.ok(b.data.length >= 1, "the staff member's login is there");
    for (const row of b.data) assert.equal(row.actor_id, staff.me.id);
    assert.ok(b.data.some((x) => x.action === 'login'));
    const a = await activity({ actor_id: admin.me.id, limit: 200 });
    assert.ok(!a.data.some((x) => x.actor_id === staff.me.id));
  });

  it('from/to with dates bound the time range', async () => {
    const all = await activity({});
    const wide = await activity({ from: '2000-01-01', to: '2999-12-31' });
    assert.equal(wide.total, all.total);
    assert.equal((await activity({ from: '2999-01-01' })).total, 0);
    assert.equal((await activity({ to: '2000-01-01' })).total, 0);
  });

  it('from = the newest entry\'s day includes it; to = the day before the oldest excludes all', async () => {
    const newest = (await activity({ limit: 1 })).data[0];
    const from = await activity({ from: newest.at.slice(0, 10), limit: 200 });
    assert.ok(from.data.some((x) => x.id === newest.id), 'from is inclusive of its day');
    const { total } = await activity({});
    const oldest = (await activity({ offset: total - 1 })).data[0];
    const dayBefore = new Date(Date.parse(`${oldest.at.slice(0, 10)}T00:00:00Z`) - 86400000).toISOString().slice(0, 10);
    assert.equal((await activity({ to: dayBefore })).total, 0);
  });

  it('a malformed filter value is 400', async () => {
    const r = await admin.req('GET', ACT, { query: { from: 'yesterday' } });
    assertProblem(r, 400, 'malformed');
  });

  it('an unknown query key is 400', async () => {
    const r = await admin.req('GET', ACT, { query: { colour: 'red' } });
    assertProblem(r, 400, 'malformed');
  });

  it('is 401 anonymously', async () => {
    assertProblem(await client(srv.base).req('GET', ACT), 401, 'unauthorized');
  });

  it('is 403 for the plain staff member', async () => {
    assertProblem(await staff.req('GET', ACT), 403, 'forbidden');
  });

  it('there is no way to change or delete it over the API', async () => {
    const row = (await activity({ limit: 1 })).data[0];
    for (const method of ['DELETE', 'PATCH', 'PUT']) {
      const r = await admin.req(method, '/api/v1/activity/{id}', { params: { id: row.id }, body: method === 'DELETE' ? undefined : {} });
      assert.ok(r.status === 404 || r.status === 405, `${method} activity/${row.id}: ${r.status}`);
    }
    const r = await admin.req('DELETE', ACT);
    assert.equal(r.status, 405);
  });
});

/* Adds a little of everything to a server's activity log. */
async function makeActivity(srv) {
  const admin = await adminClient(srv);
  const bad = await client(srv.base).req('POST', '/api/v1/auth/login', { body: { email: srv.admin.email, password: 'wrong-wrong-wrong' } });
  assert.equal(bad.status, 401);
  const r = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('chain'), company: 'Chain Co' } });
  assert.equal(r.status, 201, r.text);
  const u = await admin.req('PATCH', '/api/v1/leads/{id}', {
    params: { id: r.body.id }, body: { company: 'Chain Co 2' }, headers: { 'If-Match': r.headers.get('etag') },
  });
  assert.equal(u.status, 200, u.text);
  const c = await admin.req('POST', '/api/v1/clients', { body: { company: uniq('chainclient') } });
  assert.equal(c.status, 201, c.text);
  const d = await admin.req('DELETE', '/api/v1/leads/{id}', { params: { id: r.body.id } });
  assert.equal(d.status, 204);
  await staffClient(srv);
}

/* Runs an UPDATE/DELETE on activity_log the way an intruder with database access
 * would: if a trigger refuses it, the trigger is switched off around it. */
function tamper(srv, statement) {
  let r = srv.sql(statement);
  if (r.status === 0) return r;
  if (srv.pg) {
    r = srv.sql(`ALTER TABLE activity_log DISABLE TRIGGER USER; ${statement}; ALTER TABLE activity_log ENABLE TRIGGER USER;`);
  } else {
    const trig = srv.sql("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='activity_log'");
    const drops = trig.stdout.split('\n').filter(Boolean).map((n) => `DROP TRIGGER "${n}";`).join(' ');
    r = srv.sql(`${drops} ${statement};`);
  }
  assert.equal(r.status, 0, `tampering failed: ${r.stderr}`);
  return r;
}

function verify(srv) {
  return srv.cli(['audit', 'verify']);
}

function ids(srv) {
  const r = srv.sql('SELECT id FROM activity_log ORDER BY id');
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

describe('audit verify', () => {
  let changed;
  let deleted;

  before(async () => {
    [changed, deleted] = await Promise.all([startServer(), startServer()]);
    await Promise.all([makeActivity(changed), makeActivity(deleted)]);
  });
  after(async () => {
    await Promise.all([changed?.stop(), deleted?.stop()]);
  });

  it('passes on an untouched log after a clean shutdown', async () => {
    for (const srv of [changed, deleted]) {
      await srv.kill();
      const v = verify(srv);
      assert.equal(v.status, 0, `audit verify on an untouched log:\n${v.stdout}${v.stderr}`);
    }
  });

  it('fails on a changed row and names it', async () => {
    await changed.kill();
    const first = ids(changed)[0];
    assert.ok(Number.isInteger(first));
    tamper(changed, "UPDATE activity_log SET ip='6.6.6.6' WHERE id=(SELECT MIN(id) FROM activity_log)");
    assert.equal(changed.sql(`SELECT ip FROM activity_log WHERE id=${first}`).stdout, '6.6.6.6');
    const v = verify(changed);
    assert.notEqual(v.status, 0, `audit verify must fail on a changed row:\n${v.stdout}${v.stderr}`);
    assert.match(v.stdout + v.stderr, new RegExp(`\\b${first}\\b`), `names row ${first}:\n${v.stdout}${v.stderr}`);
  });

  it('fails on a deleted row and names where the chain breaks', async () => {
    await deleted.kill();
    const all = ids(deleted);
    assert.ok(all.length >= 5, `enough rows: ${all.length}`);
    const mid = Math.floor(all.length / 2);
    const gone = all[mid];
    const next = all[mid + 1];
    tamper(deleted, `DELETE FROM activity_log WHERE id=${gone}`);
    assert.equal(ids(deleted).length, all.length - 1);
    const v = verify(deleted);
    assert.notEqual(v.status, 0, `audit verify must fail on a deleted row:\n${v.stdout}${v.stderr}`);
    assert.match(v.stdout + v.stderr, new RegExp(`\\b(${gone}|${next})\\b`), `names row ${gone} or ${next}:\n${v.stdout}${v.stderr}`);
  });
});
