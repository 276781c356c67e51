// The activity log follows the view scope; one entry with names; the CSV
// export; the IP filter.
//
//   - a member with leads view_own and activity view reads entries about
//     their own leads and about themselves, and nothing about a lead they
//     cannot open (GET /leads/{id} is 404 for them: the log must not leak
//     its name, email or notes either);
//   - GET /api/v1/activity/{id}: one entry, within the same scope, with the
//     names of the staff it refers to;
//   - GET /api/v1/activity/export: the list's selection as CSV.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, uniq, raiseSeats, addRole, addMember,
} from './harness.mjs';

const ACT = '/api/v1/activity';
const ONE = '/api/v1/activity/{id}';
const CSV = '/api/v1/activity/export';

describe('activity: view scope, detail, export', () => {
  let srv;
  let admin;
  let member;
  let mine;
  let theirs;
  const secret = uniq('Confidential');

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    const role = await addRole(admin, uniq('own-log-'), { leads: ['view_own', 'create', 'edit'], activity: ['view'] });
    member = await addMember(srv, admin, { role_id: role.id }, 'log');
    const a = await admin.req('POST', '/api/v1/leads', { body: { name: `${secret} theirs`, notes: secret } });
    assert.equal(a.status, 201, a.text);
    theirs = a.body;
    const b = await member.req('POST', '/api/v1/leads', { body: { name: uniq('Mine') } });
    assert.equal(b.status, 201, b.text);
    mine = b.body;
  });
  after(async () => { await srv?.stop(); });

  it('a view_own member reads their own records\' entries and not another\'s', async () => {
    assertProblem(await member.req('GET', '/api/v1/leads/{id}', { params: { id: theirs.id } }), 404, 'not-found');
    const hidden = await member.req('GET', ACT, { query: { entity: 'lead', entity_id: theirs.id, count: 'true' } });
    assert.equal(hidden.status, 200, hidden.text);
    assert.deepEqual(hidden.body.data, []);
    assert.equal(hidden.body.total, 0);
    const all = await member.req('GET', ACT, { query: { limit: 200 } });
    assert.ok(!all.text.includes(secret), 'no trace of the hidden lead anywhere in the log');
    const own = await member.req('GET', ACT, { query: { entity: 'lead', entity_id: mine.id } });
    assert.deepEqual(own.body.data.map((e) => e.action), ['create']);
    const me = await member.req('GET', ACT, { query: { entity: 'staff', entity_id: member.id } });
    assert.ok(me.body.data.some((e) => e.action === 'login'), 'their own sign-in');
    const others = await member.req('GET', ACT, { query: { entity: 'staff', entity_id: admin.me.id } });
    assert.deepEqual(others.body.data, [], 'not another member\'s sign-ins (no staff view)');
    const byAdmin = await admin.req('GET', ACT, { query: { entity: 'lead', entity_id: theirs.id } });
    assert.equal(byAdmin.body.data.length, 1, 'the administrator sees it');
  });

  it('one entry, with the names of the staff it names; another\'s is 404', async () => {
    const created = (await admin.req('GET', ACT, { query: { entity: 'lead', entity_id: mine.id } })).body.data[0];
    const r = await member.req('GET', ONE, { params: { id: created.id } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.id, created.id);
    assert.equal(r.body.action, 'create');
    assert.equal(r.body.names.staff[String(member.id)], member.record.name, 'the actor and owner by name');
    const hid = (await admin.req('GET', ACT, { query: { entity: 'lead', entity_id: theirs.id } })).body.data[0];
    assertProblem(await member.req('GET', ONE, { params: { id: hid.id } }), 404, 'not-found');
    assertProblem(await admin.req('GET', ONE, { params: { id: 987654321 } }), 404, 'not-found');
  });

  it('the IP filter: equal and contains', async () => {
    const eq = await admin.req('GET', ACT, { query: { ip: '127.0.0.1', limit: 5 } });
    assert.ok(eq.body.data.length > 0 && eq.body.data.every((e) => e.ip === '127.0.0.1'));
    const none = await admin.req('GET', ACT, { query: { ip: '10.9.8.7' } });
    assert.deepEqual(none.body.data, []);
    const part = await admin.req('GET', ACT, { query: { 'ip[contains]': '127.0', limit: 5 } });
    assert.ok(part.body.data.length > 0);
  });

  it('the export is CSV of the same selection, formulas neutralised', async () => {
    const evil = await admin.req('POST', '/api/v1/leads', { body: { name: '=HYPERLINK("http://x")' } });
    assert.equal(evil.status, 201);
    const r = await admin.req('GET', CSV, { query: { entity: 'lead' } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/csv/);
    assert.match(r.headers.get('content-disposition'), /attachment; filename="activity.csv"/);
    const lines = r.text.trim().split('\r\n');
    assert.equal(lines[0], 'id,at,actor_id,actor_name,action,entity,entity_id,ip,request_id,diff,local_time');
    assert.match(lines[1], /,\d\d\/\d\d\/\d{4} \d\d:\d\d \(UTC\)$/, 'the time as the member reads it, last');
    const listed = await admin.req('GET', ACT, { query: { entity: 'lead', limit: 200, count: 'true' } });
    assert.equal(lines.length - 1, listed.body.total, 'one line per entry');
    assert.ok(lines.slice(1).every((l) => l.split(',')[5] === 'lead'));
    assert.ok(!r.text.includes(',=HYPERLINK'), 'a cell never starts with =');
    const scoped = await member.req('GET', CSV);
    assert.equal(scoped.status, 200);
    assert.ok(!scoped.text.includes(secret), 'the export follows the scope too');
    assertProblem(await admin.req('GET', CSV, { query: { limit: 5 } }), 400, 'malformed');
  });

  it('a member who may view every module, or view_own every module that has it, reads the log', async () => {
    // The scope is one list arm per visible log entity: every module
    // added must keep a member with the broadest role within the engine's
    // arms (a 500 "too many activity arms" otherwise).
    const mods = (await admin.req('GET', '/api/v1/permissions/modules')).body.data;
    const every = (cap) => Object.fromEntries(mods.filter((m) => m.capabilities.includes(cap))
      .map((m) => [m.module, [cap]]));
    for (const cap of ['view', 'view_own']) {
      const perms = every(cap);
      if (cap === 'view_own') perms.activity = ['view'];
      assert.ok(Object.keys(perms).length > (cap === 'view' ? 20 : 5), `${cap}: the registry has many modules`);
      const role = await addRole(admin, uniq(`every-${cap}-`), perms);
      const who = await addMember(srv, admin, { role_id: role.id }, `every-${cap}`);
      const r = await who.req('GET', ACT, { query: { limit: 200 } });
      assert.equal(r.status, 200, `${cap}: ${r.text}`);
      const mine = await who.req('POST', '/api/v1/leads', { body: { name: uniq(`every-${cap}`) } });
      assert.equal(mine.status, 403, 'view only: no create');
      const seen = await who.req('GET', ACT, { query: { entity: 'lead', entity_id: theirs.id } });
      assert.equal(seen.status, 200, seen.text);
      assert.equal(seen.body.data.length, cap === 'view' ? 1 : 0, `${cap}: another's lead's entry`);
    }
  });

  it('401 anonymously and 403 without activity view, on every route', async () => {
    const anon = client(srv.base);
    const plain = await staffClient(srv);
    for (const [path, params] of [[ACT, {}], [ONE, { id: 1 }], [CSV, {}]]) {
      assertProblem(await anon.req('GET', path, { params }), 401, 'unauthorized');
      assertProblem(await plain.req('GET', path, { params }), 403, 'forbidden');
    }
  });
});
