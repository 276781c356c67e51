// Number series (issue 13, /admin/billing/config): the configuration API
// (GET/PATCH /api/v1/billing/number_series[/{kind}]: defaults and preview,
// a Romanian series, every invalid field at once, the next number never
// below what was issued, If-Match, the activity entry, 401/403/404), and
// the allocator proved on contracts: a contract gets its number when it is
// signed, in the same transaction; the number is read-only and stays;
// a signing that fails after the number was taken gives it back; and 200
// contracts signed from 16 concurrent sessions get 200 consecutive numbers.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq, addRole, addMember, raiseSeats,
} from './harness.mjs';

const LIST = '/api/v1/billing/number_series';
const ONE = '/api/v1/billing/number_series/{kind}';
const KINDS = ['invoice', 'proposal', 'credit_note', 'contract'];

describe('number series', () => {
  let srv;
  let admin;
  let staff;
  let clientId;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    const c = await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Series client ') } });
    assert.equal(c.status, 201, c.text);
    clientId = c.body.id;
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  const get = (kind) => admin.req('GET', ONE, { params: { kind } });
  const patch = (kind, body, headers = {}) => admin.req('PATCH', ONE, { params: { kind }, body, headers });
  const newContract = async (extra = {}, who = admin) => {
    const r = await who.req('POST', '/api/v1/contracts', { body: { subject: uniq('Contract '), client_id: clientId, ...extra } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  const sign = (ct, who = admin, extra = {}) => who.req('PATCH', '/api/v1/contracts/{id}', {
    params: { id: ct.id }, body: { signed: true, ...extra }, headers: { 'If-Match': `"${ct.version}"` },
  });
  const year = () => Number(/\d{4}/.exec(srv.yearProbe)[0]);
  const pad = (n) => String(n).padStart(6, '0');

  it('GET lists every kind with its defaults and the next number as a preview; nothing is written', async () => {
    const r = await admin.req('GET', LIST);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.items.map((s) => s.kind), KINDS);
    const inv = r.body.items[0];
    assert.equal(inv.prefix, 'INV-');
    assert.equal(inv.format, '{PREFIX}{YYYY}/{NUMBER}');
    assert.equal(inv.padding, 6);
    assert.equal(inv.yearly_reset, true);
    assert.equal(inv.next_number, 1);
    assert.equal(inv.last_number, 0);
    assert.match(inv.preview, /^INV-\d{4}\/000001$/);
    srv.yearProbe = inv.preview;
    assert.equal(r.body.items[3].preview, `CTR-${year()}/000001`);
    assert.equal(srv.sql('SELECT count(*) FROM number_series').stdout, '0', 'a GET makes no row');
    const one = await get('credit_note');
    assert.equal(one.status, 200, one.text);
    assert.equal(one.headers.get('etag'), '"1"');
    assert.equal(one.body.preview, `CN-${year()}/000001`);
  });

  it('PATCH: a Romanian series "FCT 2026 000123", its preview, the ETag, one activity entry', async () => {
    const before = await get('invoice');
    const r = await patch('invoice', { prefix: 'FCT', format: '{PREFIX} {YYYY} {NUMBER}', next_number: 123 },
      { 'If-Match': before.headers.get('etag') });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.preview, `FCT ${year()} 000123`);
    assert.equal(r.body.next_number, 123);
    assert.equal(r.headers.get('etag'), '"2"');
    const again = await get('invoice');
    assert.equal(again.body.preview, `FCT ${year()} 000123`);
    const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'settings', limit: 50 } });
    assert.equal(log.status, 200, log.text);
    const row = log.body.data.find((a) => a.diff && a.diff['number_series.invoice.prefix']);
    assert.ok(row, `an activity entry names the change: ${log.text.slice(0, 500)}`);
    assert.deepEqual(row.diff['number_series.invoice.prefix'], { from: 'INV-', to: 'FCT' });
    assert.deepEqual(row.diff['number_series.invoice.next_number'], { from: 1, to: 123 });
    assert.equal(row.diff['number_series.invoice.padding'], undefined, 'unchanged keys are not logged');
    // The same body again changes nothing: same version, no new entry.
    const same = await patch('invoice', { prefix: 'FCT' });
    assert.equal(same.status, 200, same.text);
    assert.equal(same.headers.get('etag'), '"2"');
    const log2 = await admin.req('GET', '/api/v1/activity', { query: { entity: 'settings', limit: 50 } });
    assert.equal(log2.body.data.length, log.body.data.length);
    // Presets of the screen: year-month and number-year; an empty prefix.
    const ym = await patch('proposal', { prefix: '', format: '{PREFIX}{YYYY}-{MM}/{NUMBER:4}' });
    assert.equal(ym.status, 200, ym.text);
    assert.match(ym.body.preview, new RegExp(`^${year()}-\\d\\d/0001$`));
    const ny = await patch('proposal', { format: '{NUMBER}-{YYYY}', padding: 3 });
    assert.equal(ny.body.preview, `001-${year()}`);
  });

  it('every invalid field is named at once, and nothing is written', async () => {
    const before = await get('proposal');
    const r = await patch('proposal', {
      prefix: 'P'.repeat(21), format: '{PREFIX}{DD}', padding: 13, yearly_reset: 'yes', next_number: 1e12, colour: 'red',
    });
    assertFieldErrors(r, {
      prefix: 'too_long', format: 'invalid', padding: 'range', yearly_reset: 'type', next_number: 'range', colour: 'unknown_field',
    });
    assert.match(r.body.errors.find((e) => e.field === 'format').detail, /unknown field \{DD\}/);
    assertFieldErrors(await patch('proposal', { padding: 0, next_number: -1, format: 'A{NUMBER}{NUMBER}' }),
      { padding: 'type', next_number: 'type', format: 'invalid' });
    assertFieldErrors(await patch('proposal', { format: null, padding: null, yearly_reset: null, next_number: null }),
      { format: 'required', padding: 'required', yearly_reset: 'required', next_number: 'required' });
    assertFieldErrors(await patch('proposal', { format: '{NUMBER' }), { format: 'invalid' });
    assertFieldErrors(await patch('proposal', { format: 'x'.repeat(65) }), { format: 'too_long' });
    // A yearly series must show the year, named on the field that broke it.
    assertFieldErrors(await patch('proposal', { format: '{PREFIX}{NUMBER}', yearly_reset: true }), { format: 'year_required' });
    const noReset = await patch('proposal', { format: '{PREFIX}{NUMBER}', yearly_reset: false });
    assert.equal(noReset.status, 200, noReset.text);
    assertFieldErrors(await patch('proposal', { yearly_reset: true }), { yearly_reset: 'year_required' });
    const after1 = await get('proposal');
    assert.equal(after1.body.format, '{PREFIX}{NUMBER}');
    assert.equal(Number(after1.headers.get('etag').slice(1, -1)), Number(before.headers.get('etag').slice(1, -1)) + 1);
    assertProblem(await admin.req('PATCH', ONE, { params: { kind: 'proposal' }, raw: '[]' }), 400);
  });

  it('If-Match: stale is 412 and writes nothing; malformed is 400; unknown kinds are 404', async () => {
    const g = await get('credit_note');
    const ok = await patch('credit_note', { prefix: 'NC-' }, { 'If-Match': g.headers.get('etag') });
    assert.equal(ok.status, 200, ok.text);
    const stale = await patch('credit_note', { prefix: 'XX-' }, { 'If-Match': g.headers.get('etag') });
    assertProblem(stale, 412, 'precondition-failed');
    assert.match(stale.body.detail, /changed by someone else/);
    assert.equal((await get('credit_note')).body.prefix, 'NC-');
    assertProblem(await patch('credit_note', { prefix: 'X' }, { 'If-Match': 'soon' }), 400);
    assertProblem(await admin.req('GET', ONE, { params: { kind: 'receipt' } }), 404);
    assertProblem(await patch('receipt', { prefix: 'R' }), 404);
  });

  it('401 without a session, 403 without the settings permission, on every route', async () => {
    const anon = client(srv.base);
    assertProblem(await anon.req('GET', LIST), 401);
    assertProblem(await anon.req('GET', ONE, { params: { kind: 'invoice' } }), 401);
    assertProblem(await anon.req('PATCH', ONE, { params: { kind: 'invoice' }, body: { prefix: 'X' } }), 401);
    assertProblem(await staff.req('GET', LIST), 403);
    assertProblem(await staff.req('GET', ONE, { params: { kind: 'invoice' } }), 403);
    assertProblem(await staff.req('PATCH', ONE, { params: { kind: 'invoice' }, body: { prefix: 'X' } }), 403);
    const viewer = await addMember(srv, admin, { role_id: (await addRole(admin, uniq('Settings reader '), { settings: ['view'] })).id }, 'reader');
    assert.equal((await viewer.req('GET', LIST)).status, 200);
    assertProblem(await viewer.req('PATCH', ONE, { params: { kind: 'invoice' }, body: { prefix: 'X' } }), 403);
  });

  it('a contract is numbered when signed, in the same write; the number is read-only and stays', async () => {
    const Y = year();
    const draft = await newContract();
    assert.equal(draft.number, null, 'unsigned contracts have no number');
    const s1 = await sign(draft);
    assert.equal(s1.status, 200, s1.text);
    assert.equal(s1.body.number, `CTR-${Y}/000001`);
    // Created signed: numbered at once.
    const born = await newContract({ signed: true });
    assert.equal(born.number, `CTR-${Y}/000002`);
    // Un-signing keeps the number; signing again gives no new one.
    const un = await admin.req('PATCH', '/api/v1/contracts/{id}', {
      params: { id: draft.id }, body: { signed: false }, headers: { 'If-Match': `"${s1.body.version}"` },
    });
    assert.equal(un.status, 200, un.text);
    assert.equal(un.body.number, `CTR-${Y}/000001`);
    const re = await sign(un.body);
    assert.equal(re.body.number, `CTR-${Y}/000001`);
    // Nobody sets it.
    assertFieldErrors(await admin.req('POST', '/api/v1/contracts', { body: { subject: 'x', client_id: clientId, number: 'CTR-1' } }),
      { number: 'read_only' });
    assertFieldErrors(await admin.req('PATCH', '/api/v1/contracts/{id}', {
      params: { id: born.id }, body: { number: 'CTR-1' }, headers: { 'If-Match': `"${born.version}"` },
    }), { number: 'read_only' });
    // Lists show and filter it; the activity diff and the event carry it.
    const l = await admin.req('GET', '/api/v1/contracts', { query: { number: `CTR-${Y}/000002` } });
    assert.equal(l.status, 200, l.text);
    assert.deepEqual(l.body.data.map((c) => c.id), [born.id]);
    const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'contract', entity_id: draft.id, limit: 20 } });
    assert.ok(log.body.data.some((a) => a.diff?.number?.to === `CTR-${Y}/000001`), log.text.slice(0, 600));
    const meta = await admin.req('GET', '/api/v1/meta/entities');
    const f = meta.body.data.find((e) => e.name === 'contract').fields.find((x) => x.name === 'number');
    assert.equal(f.read_only, true);
    const series = await get('contract');
    assert.equal(series.body.last_number, 2);
    assert.equal(series.body.next_number, 3);
    assert.equal(series.body.preview, `CTR-${Y}/000003`);
  });

  it('next_number: never at or below what was issued this year; above it, the next signing takes it', async () => {
    const Y = year();
    const cur = (await get('contract')).body;
    const low = await patch('contract', { next_number: cur.last_number });
    assertFieldErrors(low, { next_number: 'below_issued' });
    assert.match(low.body.errors[0].detail, new RegExp(`at least ${cur.last_number + 1}`));
    const up = await patch('contract', { next_number: cur.next_number + 7 });
    assert.equal(up.status, 200, up.text);
    const s = await sign(await newContract());
    assert.equal(s.body.number, `CTR-${Y}/${pad(cur.next_number + 7)}`);
  });

  it('a signing that fails after its number was taken gives the number back (the whole write rolls back)', async () => {
    const Y = year();
    const cur = (await get('contract')).body;
    const wanted = `CTR-${Y}/${pad(cur.next_number)}`;
    // A contract that already holds the next number (as an import would
    // leave it): the signing's number collides, the write rolls back.
    const holder = await newContract();
    const w = srv.sql(`UPDATE contract SET number = '${wanted}' WHERE id = ${holder.id}`);
    assert.equal(w.status, 0, w.stderr);
    const victim = await newContract();
    const r = await sign(victim);
    assertProblem(r, 409, 'conflict');
    assert.match(r.body.detail, /already used/);
    const after1 = (await get('contract')).body;
    assert.equal(after1.next_number, cur.next_number, 'the counter is where it was');
    assert.equal(after1.last_number, cur.last_number);
    const v = await admin.req('GET', '/api/v1/contracts/{id}', { params: { id: victim.id } });
    assert.equal(v.body.signed, false);
    assert.equal(v.body.number, null);
    assert.equal(v.body.version, victim.version, 'nothing of the write is left');
    // A validation error in the same request: no number taken either.
    assertFieldErrors(await sign(victim, admin, { value: 'abc' }), { value: 'invalid' });
    assert.equal((await get('contract')).body.next_number, cur.next_number);
    // The administrator moves past the taken number; signing works.
    assert.equal((await patch('contract', { next_number: cur.next_number + 1 })).status, 200);
    const ok = await sign(victim);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.number, `CTR-${Y}/${pad(cur.next_number + 1)}`);
  });

  it('200 contracts signed from 16 concurrent sessions get 200 consecutive numbers', async () => {
    const Y = year();
    await raiseSeats(admin);
    const role = await addRole(admin, uniq('Signer '), { contracts: ['view', 'create', 'edit'], clients: ['view'] });
    // Four members, four sessions each: 16 independent clients.
    const sessions = [];
    for (let m = 0; m < 4; m++) {
      const member = await addMember(srv, admin, { role_id: role.id }, `signer${m}`);
      sessions.push(member);
      const pw = `Temp-${member.record.email.split('@')[0]}-password-changed`;
      for (let k = 1; k < 4; k++) {
        const c = client(srv.base);
        await c.login(member.record.email, pw);
        sessions.push(c);
      }
    }
    assert.equal(sessions.length, 16);
    const N = 200;
    const drafts = [];
    for (let i = 0; i < N; i++) drafts.push(await newContract({}, sessions[i % 16]));
    const start = (await get('contract')).body.next_number;
    let next = 0;
    const numbers = [];
    await Promise.all(sessions.map(async (s) => {
      for (;;) {
        const i = next++;
        if (i >= N) return;
        const r = await sign(drafts[i], s);
        assert.equal(r.status, 200, `signing ${i}: ${r.status} ${r.text}`);
        numbers.push(r.body.number);
      }
    }));
    const want = Array.from({ length: N }, (_, i) => `CTR-${Y}/${pad(start + i)}`);
    assert.equal(new Set(numbers).size, N, 'every number is distinct');
    assert.deepEqual([...numbers].sort(), want, 'the numbers are consecutive, without a gap');
    const end = (await get('contract')).body;
    assert.equal(end.next_number, start + N);
    assert.equal(end.last_number, start + N - 1);
    const stored = srv.sql(`SELECT count(DISTINCT number) FROM contract WHERE number >= '${want[0]}' AND number <= '${want[N - 1]}'`);
    assert.equal(stored.stdout, String(N));
  });
});
