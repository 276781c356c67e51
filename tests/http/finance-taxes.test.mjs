// Taxes (issue 13, Configuration; spec Step 3, /admin/taxes): a rate is an
// exact decimal of up to three places from 0 to 100, a reverse-charge tax
// has rate 0 and keeps its legal note, names are unique whatever their
// case; list filters and sorts through the list engine; every change with
// its activity row and outbox event; If-Match; deactivation; every invalid
// field in one response; 401, 403 and 404 on every route.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, uniq, addRole, addMember, raiseSeats,
} from './harness.mjs';

const TAXES = '/api/v1/taxes';
const TAX = '/api/v1/taxes/{id}';

describe('taxes', () => {
  let srv;
  let admin;
  let member; // taxes view/create/edit/delete
  let viewer; // taxes view only
  let outsider; // leads only

  async function add(body, c = admin) {
    const r = await c.req('POST', TAXES, { body: { name: uniq('VAT '), rate: '19', ...body } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }

  async function patch(t, body, c = admin) {
    const cur = await c.req('GET', TAX, { params: { id: t.id } });
    return c.req('PATCH', TAX, { params: { id: t.id }, headers: { 'If-Match': cur.headers.get('etag') }, body });
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    const role = await addRole(admin, uniq('Tax role '), { taxes: ['view', 'create', 'edit', 'delete'], activity: ['view'] });
    member = await addMember(srv, admin, { role_id: role.id }, 'taxmember');
    const vrole = await addRole(admin, uniq('Tax viewer '), { taxes: ['view'] });
    viewer = await addMember(srv, admin, { role_id: vrole.id }, 'taxviewer');
    const lonly = await addRole(admin, uniq('Leads only '), { leads: ['view'] });
    outsider = await addMember(srv, admin, { role_id: lonly.id }, 'taxoutsider');
  });
  after(async () => { await srv?.stop(); });

  it('POST: a tax with an exact rate; GET with in_use; Location, ETag, activity and event', async () => {
    const name = uniq('TVA 19% ');
    const r = await member.req('POST', TAXES, { body: { name, rate: '19' } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('location'), `/api/v1/taxes/${r.body.id}`);
    assert.equal(r.headers.get('etag'), '"1"');
    const t = r.body;
    assert.deepEqual([t.name, t.rate, t.reverse_charge, t.legal_note, t.active], [name, '19.000', false, null, true]);
    // Three places exactly; a JSON number is read by its shortest text.
    assert.equal((await add({ rate: 5.5 })).rate, '5.500');
    assert.equal((await add({ rate: '12.345' })).rate, '12.345');
    assert.equal((await add({ rate: '100' })).rate, '100.000');
    assert.equal((await add({ rate: 0 })).rate, '0.000');
    const got = await viewer.req('GET', TAX, { params: { id: t.id } });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.in_use, 0, 'no module uses taxes yet');
    assert.equal(got.headers.get('etag'), '"1"');
    const act = await member.req('GET', '/api/v1/activity', { query: { entity: 'tax', entity_id: t.id } });
    assert.equal(act.status, 200, act.text);
    assert.equal(act.body.data[0].action, 'create');
    assert.deepEqual(act.body.data[0].diff.rate, { to: '19.000' });
    const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'tax', entity_id: t.id } });
    assert.equal(ev.status, 200, ev.text);
    assert.equal(ev.body.data[0].action, 'created');
    assert.equal(ev.body.data[0].payload.after.rate, '19.000');
  });

  it('a reverse-charge tax: rate 0 with its legal note; any other rate refused', async () => {
    const note = 'Taxare inversă, art. 331 din Codul fiscal';
    const t = await add({ name: uniq('Taxare inversă '), rate: '0', reverse_charge: true, legal_note: note });
    assert.deepEqual([t.rate, t.reverse_charge, t.legal_note], ['0.000', true, note]);
    assertFieldErrors(await admin.req('POST', TAXES, { body: { name: uniq('RC '), rate: '19', reverse_charge: true } }),
      { rate: 'invalid' });
    // A PATCH judged on the tax as it would be: reverse charge on a 19 % tax ...
    const vat = await add({ rate: '19' });
    assertFieldErrors(await patch(vat, { reverse_charge: true }), { reverse_charge: 'invalid' });
    // ... and a rate on a reverse-charge tax.
    assertFieldErrors(await patch(t, { rate: '5' }), { rate: 'invalid' });
    const ok = await patch(vat, { reverse_charge: true, rate: '0', legal_note: note });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual([ok.body.rate, ok.body.reverse_charge], ['0.000', true]);
  });

  it('POST: every invalid field named in one response; names unique whatever their case', async () => {
    assertFieldErrors(await admin.req('POST', TAXES, { body: {} }), { name: 'required', rate: 'required' });
    assertFieldErrors(await admin.req('POST', TAXES, {
      body: { name: 'x'.repeat(101), rate: '19.1234', reverse_charge: 'yes', legal_note: 'n'.repeat(1001), active: 1, colour: 'red' },
    }), { name: 'too_long', rate: null, reverse_charge: 'type', legal_note: 'too_long', active: 'type', colour: 'unknown_field' });
    assertFieldErrors(await admin.req('POST', TAXES, { body: { name: '   ', rate: '100.001' } }),
      { name: 'required', rate: 'out_of_range' });
    assertFieldErrors(await admin.req('POST', TAXES, { body: { name: 'Line\nbreak', rate: '-1' } }),
      { name: 'invalid', rate: 'out_of_range' });
    assertFieldErrors(await admin.req('POST', TAXES, { body: { name: 'x', rate: 'abc' } }), { rate: 'invalid' });
    assertFieldErrors(await admin.req('POST', TAXES, { body: { name: 'x', rate: '1', active: null, reverse_charge: null } }),
      { active: 'required', reverse_charge: 'required' });
    const t = await add({ name: uniq('Standard ') });
    assertFieldErrors(await admin.req('POST', TAXES, { body: { name: t.name.toUpperCase(), rate: '9' } }), { name: 'taken' });
    const other = await add({});
    assertFieldErrors(await patch(other, { name: t.name.toLowerCase() }), { name: 'taken' });
  });

  it('GET list: filters, sorts, search, counts through the list engine', async () => {
    const tag = uniq('ListTax');
    const a = await add({ name: `${tag} A`, rate: '21' });
    const b = await add({ name: `${tag} B`, rate: '11' });
    const c = await add({ name: `${tag} C`, rate: '0', reverse_charge: true, legal_note: 'Taxare inversă' });
    await patch(b, { active: false });
    const all = await viewer.req('GET', TAXES, { query: { q: tag, sort: '-rate' } });
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.body.data.map((x) => x.id), [a.id, b.id, c.id]);
    assert.equal(all.body.total, 3);
    const active = await viewer.req('GET', TAXES, { query: { q: tag, active: 'true', sort: 'name' } });
    assert.deepEqual(active.body.data.map((x) => x.id), [a.id, c.id]);
    const rc = await viewer.req('GET', TAXES, { query: { q: tag, reverse_charge: 'true' } });
    assert.deepEqual(rc.body.data.map((x) => x.id), [c.id]);
    const range = await viewer.req('GET', TAXES, { query: { q: tag, 'rate[gte]': '10.5', 'rate[lt]': '21' } });
    assert.deepEqual(range.body.data.map((x) => x.id), [b.id]);
    const named = await viewer.req('GET', TAXES, { query: { 'name[contains]': `${tag} a` } });
    assert.deepEqual(named.body.data.map((x) => x.id), [a.id]);
    assertProblem(await viewer.req('GET', TAXES, { query: { colour: 'red' } }), 400);
    assertProblem(await viewer.req('GET', TAXES, { query: { 'rate[gt]': 'many' } }), 400);
  });

  it('PATCH: If-Match, the diff, deactivation, a change that changes nothing', async () => {
    const t = await add({ rate: '9' });
    const noMatch = await admin.req('PATCH', TAX, { params: { id: t.id }, body: { rate: '11' } });
    assertProblem(noMatch, 428);
    const stale = await admin.req('PATCH', TAX, { params: { id: t.id }, headers: { 'If-Match': '"7"' }, body: { rate: '11' } });
    assertProblem(stale, 412);
    const r = await patch(t, { rate: '11', active: false }, member);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.rate, r.body.active, r.body.version], ['11.000', false, 2]);
    assert.equal(r.headers.get('etag'), '"2"');
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'tax', entity_id: t.id, action: 'update' } });
    assert.deepEqual(act.body.data[0].diff.rate, { from: '9.000', to: '11.000' });
    assert.deepEqual(act.body.data[0].diff.active, { from: true, to: false });
    const same = await patch(t, { rate: '11.0' });
    assert.equal(same.status, 200);
    assert.equal(same.body.version, 2, 'nothing changed, no new version');
    assertFieldErrors(await patch(t, { rate: null, name: null, colour: 1 }),
      { rate: null, name: null, colour: 'unknown_field' });
  });

  it('DELETE: removes an unused tax with its activity row; 404 after', async () => {
    const t = await add({});
    const d = await member.req('DELETE', TAX, { params: { id: t.id } });
    assert.equal(d.status, 204, d.text);
    assertProblem(await admin.req('GET', TAX, { params: { id: t.id } }), 404);
    assertProblem(await admin.req('DELETE', TAX, { params: { id: t.id } }), 404);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'tax', entity_id: t.id, action: 'delete' } });
    assert.equal(act.body.data.length, 1);
    assert.deepEqual(act.body.data[0].diff.name, { from: t.name });
  });

  it('404 for an id of no tax (or of another organisation) on every route with an id', async () => {
    for (const [m, o] of [['GET', {}], ['PATCH', { body: { rate: '1' }, headers: { 'If-Match': '"1"' } }], ['DELETE', {}]]) {
      assertProblem(await admin.req(m, TAX, { params: { id: 999999 }, ...o }), 404);
    }
  });

  it('401 without a session and 403 without the permission, on every route', async () => {
    const t = await add({});
    const anon = client(srv.base);
    const routes = [
      ['GET', TAXES, {}], ['POST', TAXES, { body: { name: 'x', rate: '1' } }],
      ['GET', TAX, { params: { id: t.id } }],
      ['PATCH', TAX, { params: { id: t.id }, body: { rate: '1' }, headers: { 'If-Match': '"1"' } }],
      ['DELETE', TAX, { params: { id: t.id } }],
    ];
    for (const [m, p, o] of routes) {
      assertProblem(await anon.req(m, p, o), 401);
      assertProblem(await outsider.req(m, p, o), 403);
    }
    // view only: no create, edit or delete.
    for (const [m, p, o] of routes.filter(([m]) => m !== 'GET')) assertProblem(await viewer.req(m, p, o), 403);
  });
});
