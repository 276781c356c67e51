// Proposals (issue 13, Documents): lines and exact totals as invoices have
// them, every invalid field in one 422, send (numbered once from the
// proposal series, dated, refused without lines or after open_till),
// accept and decline from sent only, editing allowed while draft, sent or
// expired and frozen after, conversion into a draft invoice with the same
// lines and figures linked both ways (the invoices' create permission, the
// proposal visible to the caller), expiry by the scheduler's task in the
// organisation's zone, the spec's Sales Agent (proposals view + create +
// edit), activity rows and events, 401 and 403 on every route.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, uniq, addRole, addMember, raiseSeats, waitFor,
} from './harness.mjs';

const PROPOSALS = '/api/v1/proposals';
const PROPOSAL = '/api/v1/proposals/{id}';
const SEND = '/api/v1/proposals/{id}/send';
const ACCEPT = '/api/v1/proposals/{id}/accept';
const DECLINE = '/api/v1/proposals/{id}/decline';
const CONVERT = '/api/v1/proposals/{id}/invoice';
const INVOICE = '/api/v1/invoices/{id}';
const ROUTES = [['GET', PROPOSALS], ['POST', PROPOSALS], ['GET', PROPOSAL], ['PATCH', PROPOSAL], ['DELETE', PROPOSAL],
  ['POST', SEND], ['POST', ACCEPT], ['POST', DECLINE], ['POST', CONVERT]];
const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
/* Today in a time zone, YYYY-MM-DD. */
const todayIn = (timeZone) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date());

describe('proposals', () => {
  let srv;
  let admin;
  let agent; // the spec's Sales Agent, from the role template
  let invoicer; // proposals view_own, invoices create
  let outsider; // leads only
  let clientId;
  let contactId;
  let otherClientId;
  let vat19;
  let vat9;

  const LINES = [
    { description: 'Consultanță tehnică', quantity: '2.5', unit: 'h', unit_price: '120.40', discount: '10', taxes: [] },
    { description: 'Licență', quantity: 1, unit_price: '1000' },
  ];

  async function add(body = {}, c = admin) {
    const r = await c.req('POST', PROPOSALS, {
      body: {
        subject: uniq('Offer '), client_id: clientId, lines: [{ description: 'Audit', quantity: 2, unit_price: '100', taxes: [vat19.id] }], ...body,
      },
    });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }
  const act = (path, p, c = admin, body = undefined) => c.req('POST', path, { params: { id: p.id }, body });
  async function send(p, c = admin) {
    const r = await act(SEND, p, c);
    assert.equal(r.status, 200, r.text);
    return r.body;
  }
  const get = async (id, c = admin) => (await c.req('GET', PROPOSAL, { params: { id } })).body;
  const patch = (p, body, c = admin) => c.req('PATCH', PROPOSAL, { params: { id: p.id }, headers: { 'If-Match': `"${p.version}"` }, body });
  const setZone = (timezone) => admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'localization' }, body: { timezone } });

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    clientId = (await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Proposal client ') } })).body.id;
    const ct = await admin.req('POST', '/api/v1/contacts', {
      body: { client_id: clientId, first_name: 'Ioana', email: `${uniq('ioana')}@example.test` },
    });
    assert.equal(ct.status, 201, ct.text);
    contactId = ct.body.id;
    otherClientId = (await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Other ') } })).body.id;
    const tax = async (b) => {
      const r = await admin.req('POST', '/api/v1/taxes', { body: b });
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    vat19 = await tax({ name: uniq('TVA 19 '), rate: '19' });
    vat9 = await tax({ name: uniq('TVA 9 '), rate: '9' });
    LINES[0].taxes = [vat19.id];
    LINES[1].taxes = [vat9.id];
    const templates = await admin.req('GET', '/api/v1/roles/templates');
    const sa = templates.body.data.find((t) => t.name === 'Sales Agent');
    const agentRole = await addRole(admin, uniq('Sales Agent '), sa.permissions);
    const invoicerRole = await addRole(admin, uniq('Invoicer '), {
      proposals: ['view_own', 'edit'], invoices: ['view', 'create'], clients: ['view'],
    });
    const leadsRole = await addRole(admin, uniq('Leads only '), { leads: ['view'] });
    agent = await addMember(srv, admin, { role_id: agentRole.id }, 'agent');
    invoicer = await addMember(srv, admin, { role_id: invoicerRole.id }, 'invoicer');
    outsider = await addMember(srv, admin, { role_id: leadsRole.id }, 'outsider');
  });
  after(async () => {
    await srv?.stop();
  });

  describe('drafts', () => {
    it('a draft has no number, takes the base currency and computes the totals as an invoice does', async () => {
      const p = await add({ contact_id: contactId, date: day(0), open_till: day(30), lines: LINES, notes: 'Valabil 30 de zile', terms: 'Plata în 15 zile' });
      assert.deepEqual([p.number, p.status, p.currency, p.invoice_id, p.sent_at], [null, 'draft', 'EUR', null, null]);
      // 2.5 × 120.40 × 0.9 = 270.90; 1000.00; 19% of 270.90 = 51.47; 9% of 1000 = 90.00
      assert.deepEqual(p.line_amounts, ['270.90', '1000.00']);
      assert.deepEqual([p.subtotal, p.tax_total, p.total], ['1270.90', '141.47', '1412.37']);
      assert.deepEqual(p.taxes.map((t) => [t.tax_id, t.rate, t.base, t.amount]), [[vat19.id, '19', '270.90', '51.47'], [vat9.id, '9', '1000.00', '90.00']]);
      assert.deepEqual(p.lines[0], { ...LINES[0], taxes: [vat19.id] });
      assert.equal(p.owner_id, admin.me.id);
    });

    it('every invalid field and line member is named in one response', async () => {
      const r = await admin.req('POST', PROPOSALS, {
        body: { client_id: 987654, contact_id: 'x', date: '2026-02-30', open_till: 'soon', lines: 'none', invoice_id: 1 },
      });
      assertFieldErrors(r, {
        subject: 'required', client_id: 'not_found', contact_id: null, date: 'invalid', open_till: 'invalid', lines: 'type', invoice_id: null,
      });
      const r2 = await admin.req('POST', PROPOSALS, {
        body: {
          subject: 'x',
          client_id: clientId,
          currency: 'KWD',
          lines: [
            { description: '', quantity: 0, unit_price: 'abc', discount: '101', taxes: [987654], colour: 'red' },
            { quantity: '1.23456', unit_price: '1.23456', taxes: [1, 1] },
          ],
        },
      });
      assertFieldErrors(r2, {
        currency: 'unsupported',
        'lines[0].description': 'required',
        'lines[0].quantity': 'out_of_range',
        'lines[0].unit_price': 'invalid',
        'lines[0].discount': 'out_of_range',
        'lines[0].colour': 'unknown_field',
        'lines[1].description': 'required',
        'lines[1].quantity': 'invalid',
        'lines[1].unit_price': 'invalid',
        'lines[1].taxes': 'invalid',
      });
      const ro = await admin.req('POST', PROPOSALS, {
        body: { subject: 'x', client_id: clientId, number: 'P-1', status: 'accepted', total: '1', sent_at: day(0), accepted_at: day(0), declined_at: day(0) },
      });
      assertFieldErrors(ro, { number: null, status: null, total: null, sent_at: null, accepted_at: null, declined_at: null });
      assertFieldErrors(await admin.req('POST', PROPOSALS, { body: { subject: 'x'.repeat(256), client_id: clientId } }), { subject: null });
    });

    it('the contact belongs to the client, open_till is not before the date', async () => {
      assertFieldErrors(await admin.req('POST', PROPOSALS, { body: { subject: 'x', client_id: otherClientId, contact_id: contactId } }),
        { contact_id: 'invalid' });
      assertFieldErrors(await admin.req('POST', PROPOSALS, { body: { subject: 'x', client_id: clientId, date: day(5), open_till: day(1) } }),
        { open_till: 'invalid' });
      const p = await add({ date: day(0) });
      assertFieldErrors(await patch(p, { open_till: day(-1) }), { open_till: 'invalid' });
    });

    it('a draft is listed, searched, edited and deleted; a tax it uses is not deleted', async () => {
      const word = uniq('zebraoffer');
      const p = await add({ subject: `Website ${word}`, lines: [{ description: 'x', quantity: 1, unit_price: '10', taxes: [vat9.id] }] });
      const l = await admin.req('GET', PROPOSALS, { query: { q: word } });
      assert.equal(l.status, 200, l.text);
      assert.deepEqual(l.body.data.map((x) => x.id), [p.id]);
      const byClient = await admin.req('GET', PROPOSALS, { query: { client_id: clientId, status: 'draft', limit: 200 } });
      assert.ok(byClient.body.data.some((x) => x.id === p.id));
      assertProblem(await admin.req('DELETE', '/api/v1/taxes/{id}', { params: { id: vat9.id } }), 409);
      const e = await patch(p, { lines: [{ description: 'y', quantity: 3, unit_price: '10' }] });
      assert.equal(e.status, 200, e.text);
      assert.deepEqual([e.body.total, e.body.taxes], ['30.00', []]);
      assert.equal((await admin.req('DELETE', PROPOSAL, { params: { id: p.id } })).status, 204);
      assertProblem(await admin.req('GET', PROPOSAL, { params: { id: p.id } }), 404);
    });
  });

  describe('send, accept, decline', () => {
    it('send numbers it once, dates it today, and keeps the number when sent again after an edit', async () => {
      const p = await add();
      assert.equal(p.date, null);
      const s = await send(p);
      assert.match(s.number, /^PRO-\d{4}\/\d{6}$/);
      assert.equal(s.status, 'sent');
      assert.equal(s.date.length, 10);
      assert.ok(s.sent_at);
      // a sent proposal stays editable and keeps its number and status
      const e = await patch(s, { subject: 'Revised offer', lines: [{ description: 'Audit', quantity: 3, unit_price: '100', taxes: [vat19.id] }] });
      assert.equal(e.status, 200, e.text);
      assert.deepEqual([e.body.number, e.body.status, e.body.total], [s.number, 'sent', '357.00']);
      const again = await send(e.body);
      assert.equal(again.number, s.number);
      assert.ok(again.sent_at >= s.sent_at);
      // the next proposal takes the next number
      const next = await send(await add());
      assert.equal(Number(next.number.slice(-6)), Number(s.number.slice(-6)) + 1);
      // the number is searchable
      const l = await admin.req('GET', PROPOSALS, { query: { number: s.number } });
      assert.deepEqual(l.body.data.map((x) => x.id), [p.id]);
    });

    it('send is refused without lines, with a negative total and after open_till', async () => {
      assertFieldErrors(await act(SEND, await add({ lines: [] })), { lines: 'required' });
      assertFieldErrors(await act(SEND, await add({ lines: [{ description: 'Credit', quantity: 1, unit_price: '-5' }] })), { total: 'negative' });
      const late = await add({ date: '2020-01-01', open_till: '2020-01-10' });
      assertFieldErrors(await act(SEND, late), { open_till: 'passed' });
      assert.equal((await get(late.id)).number, null, 'nothing was numbered');
    });

    it('accept: from sent only, then frozen (only the sales agent changes) and kept', async () => {
      const p = await add();
      assertProblem(await act(ACCEPT, p), 409);
      assertProblem(await act(DECLINE, p), 409);
      const s = await send(p);
      const a = await act(ACCEPT, s);
      assert.equal(a.status, 200, a.text);
      assert.deepEqual([a.body.status, a.body.number], ['accepted', s.number]);
      assert.ok(a.body.accepted_at);
      assertProblem(await act(ACCEPT, p), 409);
      assertProblem(await act(DECLINE, p), 409);
      assertProblem(await act(SEND, p), 409);
      assertProblem(await patch(a.body, { notes: 'x' }), 409);
      assertProblem(await patch(a.body, { notes: 'x', owner_id: agent.id }), 409);
      const own = await patch(a.body, { owner_id: agent.id });
      assert.equal(own.status, 200, own.text);
      assertProblem(await admin.req('DELETE', PROPOSAL, { params: { id: p.id } }), 409);
    });

    it('decline: from sent only, then frozen, never invoiced, and may be deleted', async () => {
      const s = await send(await add());
      const d = await act(DECLINE, s);
      assert.equal(d.status, 200, d.text);
      assert.equal(d.body.status, 'declined');
      assert.ok(d.body.declined_at);
      assertProblem(await act(ACCEPT, s), 409);
      assertProblem(await act(CONVERT, s), 409);
      assertProblem(await patch(d.body, { subject: 'x' }), 409);
      assert.equal((await admin.req('DELETE', PROPOSAL, { params: { id: s.id } })).status, 204);
    });

    it('every change is in the activity log and the events', async () => {
      const p = await add();
      const s = await send(p);
      await act(ACCEPT, s);
      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'proposal', entity_id: p.id } });
      assert.equal(log.status, 200, log.text);
      // (on SQLite a deleted newest record's id comes back: keep to this one's)
      const rows = log.body.data.filter((a) => a.at >= p.created_at);
      assert.ok(rows.some((a) => a.action === 'create'));
      const sent = rows.find((a) => a.diff?.number);
      assert.deepEqual(sent.diff.number, { from: null, to: s.number });
      assert.deepEqual(sent.diff.status, { from: 'draft', to: 'sent' });
      assert.ok(rows.some((a) => a.diff?.status?.to === 'accepted'));
      assert.ok(rows.every((a) => a.actor_id === admin.me.id));
      const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'proposal', entity_id: p.id } });
      assert.equal(ev.status, 200, ev.text);
      const mine = ev.body.data.filter((e) => (e.payload.after || e.payload.before).subject === p.subject);
      assert.deepEqual(mine.map((e) => [e.action, e.payload.after.status]), [['updated', 'accepted'], ['updated', 'sent'], ['created', 'draft']]);
    });
  });

  describe('into an invoice', () => {
    it('makes a draft invoice with the same lines and figures, linked both ways', async () => {
      const p = await add({ contact_id: contactId, lines: LINES, notes: 'Note', terms: 'Terms' });
      const a = await act(ACCEPT, await send(p));
      assert.equal(a.status, 200, a.text);
      const r = await act(CONVERT, p, admin, { due_date: day(15) });
      assert.equal(r.status, 201, r.text);
      const inv = r.body;
      assert.equal(r.headers.get('location'), `/api/v1/invoices/${inv.id}`);
      assert.equal(r.headers.get('etag'), `"${inv.version}"`);
      assert.deepEqual([inv.status, inv.number, inv.client_id, inv.contact_id, inv.currency, inv.notes, inv.terms, inv.owner_id, inv.due_date],
        ['draft', null, clientId, contactId, 'EUR', 'Note', 'Terms', admin.me.id, day(15)]);
      assert.deepEqual(inv.lines, a.body.lines);
      for (const k of ['line_amounts', 'subtotal', 'tax_total', 'total', 'taxes']) assert.deepEqual(inv[k], a.body[k], k);
      assert.equal(inv.balance_due, a.body.total);
      const got = await admin.req('GET', INVOICE, { params: { id: inv.id } });
      assert.deepEqual(got.body, inv);
      const cur = await get(p.id);
      assert.deepEqual([cur.status, cur.invoice_id], ['invoiced', inv.id]);
      assert.equal(cur.version, a.body.version + 1);
      // once only; frozen; kept; the invoice it became stays while it refers to it
      assertProblem(await act(CONVERT, p), 409);
      assertProblem(await patch(cur, { subject: 'x' }), 409);
      assertProblem(await admin.req('DELETE', PROPOSAL, { params: { id: p.id } }), 409);
      assertProblem(await admin.req('DELETE', INVOICE, { params: { id: inv.id } }), 409);
      assert.equal((await get(p.id)).invoice_id, inv.id);
      // both changes logged, each as its own record's
      const made = await admin.req('GET', '/api/v1/activity', { query: { entity: 'invoice', entity_id: inv.id } });
      assert.deepEqual(made.body.data.map((x) => x.action), ['create']);
      const moved = await admin.req('GET', '/api/v1/activity', { query: { entity: 'proposal', entity_id: p.id, action: 'update' } });
      assert.deepEqual(moved.body.data[0].diff.invoice_id, { from: null, to: inv.id });
      const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'invoice', entity_id: inv.id } });
      assert.deepEqual(ev.body.data.map((e) => e.action), ['created']);
      // the invoice is a real draft: it issues
      const is = await admin.req('POST', '/api/v1/invoices/{id}/issue', { params: { id: inv.id } });
      assert.equal(is.status, 200, is.text);
    });

    it('takes an Idempotency-Key: a repeat answers the same invoice, never a second one; another proposal or body is 409', async () => {
      const key = uniq('convert-');
      const conv = (p, body = { due_date: day(10) }, k = key) => admin.req('POST', CONVERT, { params: { id: p.id }, body, headers: { 'Idempotency-Key': k } });
      const p = await add();
      const first = await conv(p);
      assert.equal(first.status, 201, first.text);
      assert.equal(first.headers.get('idempotent-replayed'), null);
      // the answer was lost: the client sends it again with the same key
      const again = await conv(p);
      assert.equal(again.status, 201, again.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(again.body, first.body);
      assert.equal(again.headers.get('location'), `/api/v1/invoices/${first.body.id}`);
      assert.equal(again.headers.get('etag'), first.headers.get('etag'));
      const made = await admin.req('GET', '/api/v1/activity', { query: { entity: 'invoice', entity_id: first.body.id } });
      assert.deepEqual(made.body.data.map((x) => x.action), ['create']);
      assert.equal((await get(p.id)).invoice_id, first.body.id);
      // the same key for another proposal, or another body: refused, nothing made
      const other = await add();
      assertProblem(await conv(other), 409);
      assert.equal((await get(other.id)).invoice_id, null);
      assertProblem(await conv(p, { due_date: day(11) }), 409);
      // without a key a second conversion is refused as before
      assertProblem(await act(CONVERT, p), 409);
      assertProblem(await conv(p, undefined, 'x'.repeat(201)), 400);
    });

    it('a draft converts too; what the invoice refuses is named and nothing is written', async () => {
      assertFieldErrors(await act(CONVERT, await add({ lines: [] })), { lines: 'required' });
      const p = await add();
      assertFieldErrors(await act(CONVERT, p, admin, { due_date: 'tomorrow', owner_id: 'x', colour: 1 }), { due_date: 'invalid', owner_id: null, colour: null });
      // an invoice custom field the organisation requires
      const def = await admin.req('POST', '/api/v1/custom_fields', {
        body: { entity: 'invoice', label: 'Customer PO', type: 'text', slug: uniq('po'), required: true },
      });
      assert.equal(def.status, 201, def.text);
      try {
        const slug = def.body.slug;
        assertFieldErrors(await act(CONVERT, p), { [`custom_fields.${slug}`]: 'required' });
        assertFieldErrors(await act(CONVERT, p, admin, { custom_fields: { nope: 1 } }), { 'custom_fields.nope': 'unknown_field' });
        assert.deepEqual([(await get(p.id)).status, (await get(p.id)).invoice_id], ['draft', null], 'nothing written');
        const r = await act(CONVERT, p, admin, { custom_fields: { [slug]: 'PO-77' } });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.custom_fields[slug], 'PO-77');
      } finally {
        const d = await admin.req('DELETE', '/api/v1/custom_fields/{id}', { params: { id: def.body.id }, query: { confirm: 'true' } });
        assert.equal(d.status, 204, d.text);
      }
    });

    it('needs invoices.create, and the proposal in the caller\'s view', async () => {
      const mine = await add({}, agent);
      assertProblem(await act(CONVERT, mine, agent), 403); // the Sales Agent has invoices view_own only
      const theirs = await add();
      assertProblem(await act(CONVERT, theirs, invoicer), 404); // proposals view_own: not theirs
      assert.equal((await get(theirs.id)).status, 'draft');
      const own = await add({ owner_id: invoicer.id });
      const r = await act(CONVERT, own, invoicer);
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.owner_id, invoicer.id);
      assert.equal(r.body.created_by, invoicer.id);
    });
  });

  describe('expiry', () => {
    it('the scheduler expires sent proposals whose open_till passed in the organisation\'s zone', async () => {
      // Pago Pago (UTC−11) is always at least a day behind Kiritimati
      // (UTC+14): a proposal open till today in the first has expired
      // in the second.
      assert.equal((await setZone('Pacific/Pago_Pago')).status, 200);
      try {
        const till = todayIn('Pacific/Pago_Pago');
        const p = await send(await add({ open_till: till }));
        const keep = await send(await add({ open_till: day(40) }));
        const draft = await add({ open_till: till });
        assert.equal((await setZone('Pacific/Kiritimati')).status, 200);
        const task = await waitFor(async () => {
          const s = await admin.req('GET', '/api/v1/scheduler');
          return s.body.tasks?.find((t) => t.name === 'proposals_expire');
        }, { what: 'the proposals_expire task row' });
        assert.equal(task.schedule, 'every 3600s');
        // make the hourly task due now
        const u = srv.sql("UPDATE sched_task SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE name = 'proposals_expire'");
        assert.equal(u.status, 0, u.stderr);
        const expired = await waitFor(async () => {
          const cur = await get(p.id);
          return cur.status === 'expired' && cur;
        }, { timeout: 20000, what: 'the proposal expired' });
        assert.equal(expired.number, p.number);
        assert.equal((await get(keep.id)).status, 'sent');
        assert.equal((await get(draft.id)).status, 'draft');
        const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'proposal', entity_id: p.id, action: 'update' } });
        const row = log.body.data.find((a) => a.diff?.status?.to === 'expired');
        assert.deepEqual(row.diff.status, { from: 'sent', to: 'expired' });
        assert.ok(!row.actor_id, 'by the system');
        const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'proposal', entity_id: p.id } });
        assert.ok(ev.body.data.some((e) => e.action === 'updated' && e.payload.after.status === 'expired'), ev.text);
        // an expired proposal is edited (a later open_till) and sent again, keeping its number
        assertProblem(await act(ACCEPT, expired), 409);
        const e = await patch(expired, { open_till: day(30) });
        assert.equal(e.status, 200, e.text);
        const again = await send(e.body);
        assert.deepEqual([again.status, again.number], ['sent', p.number]);
      } finally {
        await setZone('UTC');
      }
    });
  });

  describe('permissions', () => {
    it('401 without a session on every route', async () => {
      const anon = client(srv.base);
      for (const [m, path] of ROUTES) {
        assertProblem(await anon.req(m, path, { params: { id: 1 }, body: m === 'GET' || m === 'DELETE' ? undefined : {} }), 401);
      }
    });

    it('403 for a member without the modules on every route', async () => {
      for (const [m, path] of ROUTES) {
        assertProblem(await outsider.req(m, path, { params: { id: 1 }, body: m === 'GET' || m === 'DELETE' ? undefined : {} }), 403);
      }
    });

    it('Sales Agent (the template): proposals view + create + edit, no delete', async () => {
      const p = await add({}, agent);
      assert.equal(p.owner_id, agent.id);
      const theirs = await add();
      const l = await agent.req('GET', PROPOSALS, { query: { limit: 200 } });
      assert.equal(l.status, 200, l.text);
      const ids = l.body.data.map((x) => x.id);
      assert.ok(ids.includes(p.id) && ids.includes(theirs.id), 'view: all proposals');
      const e = await patch(p, { subject: 'Agent edit' }, agent);
      assert.equal(e.status, 200, e.text);
      const s = await send(e.body, agent);
      assert.equal((await act(ACCEPT, s, agent)).status, 200);
      assertProblem(await agent.req('DELETE', PROPOSAL, { params: { id: theirs.id } }), 403);
      assertProblem(await agent.req('DELETE', PROPOSAL, { params: { id: p.id } }), 403);
    });
  });
});
