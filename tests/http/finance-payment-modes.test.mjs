// Payment modes (issue 13, Configuration; spec Step 3, /admin/paymentmodes):
// name unique whatever its case, description, online or offline, active,
// shown on documents, and at most one default — making one the default
// clears the other in the same transaction (with its own activity row and
// event); the default stays active. List filters through the list engine,
// If-Match, every invalid field in one response, 401/403/404.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, uniq, addRole, addMember, raiseSeats,
} from './harness.mjs';

const MODES = '/api/v1/payment_modes';
const MODE = '/api/v1/payment_modes/{id}';

describe('payment modes', () => {
  let srv;
  let admin;
  let member; // payment_modes view/create/edit/delete
  let viewer; // payment_modes view
  let outsider; // leads only

  async function add(body, c = admin) {
    const r = await c.req('POST', MODES, { body: { name: uniq('Mode '), ...body } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }
  async function patch(m, body, c = admin) {
    const cur = await c.req('GET', MODE, { params: { id: m.id } });
    return c.req('PATCH', MODE, { params: { id: m.id }, headers: { 'If-Match': cur.headers.get('etag') }, body });
  }
  const get = async (m) => (await admin.req('GET', MODE, { params: { id: m.id } })).body;
  async function defaults() {
    const r = await admin.req('GET', MODES, { query: { is_default: 'true' } });
    assert.equal(r.status, 200, r.text);
    return r.body.data.map((x) => x.id);
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    const role = await addRole(admin, uniq('PM role '), { payment_modes: ['view', 'create', 'edit', 'delete'] });
    member = await addMember(srv, admin, { role_id: role.id }, 'pmmember');
    const vrole = await addRole(admin, uniq('PM viewer '), { payment_modes: ['view'] });
    viewer = await addMember(srv, admin, { role_id: vrole.id }, 'pmviewer');
    const lonly = await addRole(admin, uniq('Leads only '), { leads: ['view'] });
    outsider = await addMember(srv, admin, { role_id: lonly.id }, 'pmoutsider');
  });
  after(async () => { await srv?.stop(); });

  it('POST: defaults (offline, active, on documents, not the default); GET; activity and event', async () => {
    const name = uniq('Transfer bancar ');
    const r = await member.req('POST', MODES, { body: { name, description: 'IBAN RO49 AAAA 1B31 0075 9384 0000\nBanca Transilvania' } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('location'), `/api/v1/payment_modes/${r.body.id}`);
    const m = r.body;
    assert.deepEqual([m.name, m.kind, m.active, m.show_on_documents, m.is_default], [name, 'offline', true, true, false]);
    assert.match(m.description, /\nBanca Transilvania$/);
    const got = await viewer.req('GET', MODE, { params: { id: m.id } });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('etag'), '"1"');
    const online = await add({ kind: 'online', show_on_documents: false });
    assert.deepEqual([online.kind, online.show_on_documents], ['online', false]);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'payment_mode', entity_id: m.id } });
    assert.equal(act.body.data[0].action, 'create');
    const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'payment_mode', entity_id: m.id } });
    assert.equal(ev.body.data[0].action, 'created');
  });

  it('at most one default: making one the default clears the other, logged on both', async () => {
    const a = await add({ is_default: true });
    assert.deepEqual(await defaults(), [a.id]);
    const b = await add({ is_default: true });
    assert.equal(b.is_default, true);
    assert.deepEqual(await defaults(), [b.id], 'creating a default clears the old one');
    const aNow = await get(a);
    assert.equal(aNow.is_default, false);
    assert.equal(aNow.version, 2, 'the cleared mode has a new version');
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'payment_mode', entity_id: a.id, action: 'update' } });
    assert.deepEqual(act.body.data[0].diff, { is_default: { from: true, to: false } });
    const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'payment_mode', entity_id: a.id, action: 'updated' } });
    assert.equal(ev.body.data[0].payload.after.is_default, false);
    // PATCH back.
    const r = await patch(a, { is_default: true });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await defaults(), [a.id]);
    assert.equal((await get(b)).is_default, false);
    // Unsetting leaves none.
    const off = await patch(a, { is_default: false });
    assert.equal(off.status, 200);
    assert.deepEqual(await defaults(), []);
    // Concurrent defaults: whatever the order, at most one stays.
    const many = await Promise.all([1, 2, 3, 4].map(() => add({ name: uniq('Race ') })));
    const rs = await Promise.all(many.map((m) => admin.req('PATCH', MODE, {
      params: { id: m.id }, headers: { 'If-Match': '"1"' }, body: { is_default: true },
    })));
    for (const x of rs) assert.ok([200, 409].includes(x.status), x.text);
    assert.ok(rs.some((x) => x.status === 200));
    assert.equal((await defaults()).length, 1);
  });

  it('the default stays active', async () => {
    assertFieldErrors(await admin.req('POST', MODES, { body: { name: uniq('x'), is_default: true, active: false } }),
      { active: 'invalid' });
    const d = await add({ is_default: true });
    assertFieldErrors(await patch(d, { active: false }), { active: 'invalid' });
    const inactive = await add({ active: false });
    assertFieldErrors(await patch(inactive, { is_default: true }), { is_default: 'invalid' });
    // Both in one change is fine.
    const ok = await patch(inactive, { is_default: true, active: true });
    assert.equal(ok.status, 200, ok.text);
    const deact = await patch(d, { active: false });
    assert.equal(deact.status, 200, 'no longer the default: may be deactivated');
    assert.equal(deact.body.active, false);
  });

  it('POST/PATCH: every invalid field named in one response; names unique whatever their case', async () => {
    assertFieldErrors(await admin.req('POST', MODES, { body: {} }), { name: 'required' });
    assertFieldErrors(await admin.req('POST', MODES, {
      body: { name: 'n'.repeat(101), description: 'd'.repeat(1001), kind: 'barter', active: 'yes', show_on_documents: 1,
        is_default: null, colour: 'red' },
    }), { name: 'too_long', description: 'too_long', kind: 'not_allowed', active: 'type', show_on_documents: 'type',
      is_default: 'required', colour: 'unknown_field' });
    assertFieldErrors(await admin.req('POST', MODES, { body: { name: '  ' } }), { name: 'required' });
    assertFieldErrors(await admin.req('POST', MODES, { body: { name: 'a\tb' } }), { name: 'invalid' });
    const m = await add({ name: uniq('Numerar ') });
    assertFieldErrors(await admin.req('POST', MODES, { body: { name: m.name.toUpperCase() } }), { name: 'taken' });
    const other = await add({});
    assertFieldErrors(await patch(other, { name: '', kind: 'cheque' }), { name: null, kind: 'not_allowed' });
    assertFieldErrors(await patch(other, { name: m.name.toLowerCase() }), { name: 'taken' });
  });

  it('GET list: filters, search and sorts', async () => {
    const tag = uniq('PMList');
    const a = await add({ name: `${tag} A`, kind: 'online' });
    const b = await add({ name: `${tag} B`, show_on_documents: false });
    const c = await add({ name: `${tag} C`, active: false });
    const all = await viewer.req('GET', MODES, { query: { q: tag, sort: '-name' } });
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.body.data.map((x) => x.id), [c.id, b.id, a.id]);
    assert.equal(all.body.total, 3);
    assert.deepEqual((await viewer.req('GET', MODES, { query: { q: tag, kind: 'online' } })).body.data.map((x) => x.id), [a.id]);
    assert.deepEqual((await viewer.req('GET', MODES, { query: { q: tag, active: 'false' } })).body.data.map((x) => x.id), [c.id]);
    assert.deepEqual((await viewer.req('GET', MODES, { query: { q: tag, show_on_documents: 'false' } })).body.data.map((x) => x.id), [b.id]);
    assertProblem(await viewer.req('GET', MODES, { query: { kind: 'barter' } }), 400);
  });

  it('PATCH: If-Match, the diff; DELETE with its activity row; 404', async () => {
    const m = await add({});
    assertProblem(await admin.req('PATCH', MODE, { params: { id: m.id }, body: { kind: 'online' } }), 428);
    assertProblem(await admin.req('PATCH', MODE, { params: { id: m.id }, headers: { 'If-Match': '"9"' }, body: { kind: 'online' } }), 412);
    const r = await patch(m, { kind: 'online', description: 'Stripe' }, member);
    assert.equal(r.status, 200, r.text);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'payment_mode', entity_id: m.id, action: 'update' } });
    assert.deepEqual(act.body.data[0].diff.kind, { from: 'offline', to: 'online' });
    const d = await member.req('DELETE', MODE, { params: { id: m.id } });
    assert.equal(d.status, 204, d.text);
    for (const [meth, o] of [['GET', {}], ['PATCH', { body: { kind: 'online' }, headers: { 'If-Match': '"1"' } }], ['DELETE', {}]]) {
      assertProblem(await admin.req(meth, MODE, { params: { id: m.id }, ...o }), 404);
    }
  });

  it('401 without a session and 403 without the permission, on every route', async () => {
    const m = await add({});
    const anon = client(srv.base);
    const routes = [
      ['GET', MODES, {}], ['POST', MODES, { body: { name: 'x' } }],
      ['GET', MODE, { params: { id: m.id } }],
      ['PATCH', MODE, { params: { id: m.id }, body: { kind: 'online' }, headers: { 'If-Match': '"1"' } }],
      ['DELETE', MODE, { params: { id: m.id } }],
    ];
    for (const [meth, p, o] of routes) {
      assertProblem(await anon.req(meth, p, o), 401);
      assertProblem(await outsider.req(meth, p, o), 403);
    }
    for (const [meth, p, o] of routes.filter(([x]) => x !== 'GET')) assertProblem(await viewer.req(meth, p, o), 403);
  });
});
