// Invoices, payments and credit notes (issue 13, Documents): lines and
// exact totals under both rounding rules, issue with a gapless number,
// immutability once issued, partial payments and refunds moving the
// balance and the status, credit notes reversing in full or in part at the
// rates billed, taxes and payment modes in use refusing deletion, the
// spec's role examples (Sales Agent: invoices view_own; AR Accountant:
// invoices view + edit, payments view + create), 401, 403 and every
// invalid field in one response.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, uniq, addRole, addMember, raiseSeats, waitFor,
} from './harness.mjs';

const INVOICES = '/api/v1/invoices';
const INVOICE = '/api/v1/invoices/{id}';
const ISSUE = '/api/v1/invoices/{id}/issue';
const PAYMENTS = '/api/v1/payments';
const PAYMENT = '/api/v1/payments/{id}';
const CREDITS = '/api/v1/credit_notes';
const CREDIT = '/api/v1/credit_notes/{id}';
const CREDIT_ISSUE = '/api/v1/credit_notes/{id}/issue';
const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

describe('invoices, payments and credit notes', () => {
  let srv;
  let admin;
  let agent; // Sales Agent: invoices view_own
  let accountant; // AR Accountant: invoices view + edit, payments view + create
  let outsider; // leads only
  let clientId;
  let contactId;
  let otherClientId;
  let vat19;
  let vat9;
  let rc; // reverse charge
  let bank;

  async function add(body = {}, c = admin) {
    const r = await c.req('POST', INVOICES, {
      body: { client_id: clientId, lines: [{ description: 'Consulting', quantity: 2, unit_price: '100', taxes: [vat19.id] }], ...body },
    });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }

  async function issue(inv, c = admin) {
    const r = await c.req('POST', ISSUE, { params: { id: inv.id } });
    assert.equal(r.status, 200, r.text);
    return r.body;
  }

  async function pay(inv, amount, extra = {}, c = admin) {
    return c.req('POST', PAYMENTS, { body: { invoice_id: inv.id, amount, ...extra } });
  }

  const get = async (id, c = admin) => (await c.req('GET', INVOICE, { params: { id } })).body;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    const cl = await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Invoice client ') } });
    assert.equal(cl.status, 201, cl.text);
    clientId = cl.body.id;
    const ct = await admin.req('POST', '/api/v1/contacts', {
      body: { client_id: clientId, first_name: 'Ana', email: `${uniq('ana')}@example.test` },
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
    rc = await tax({ name: uniq('Taxare inversă '), rate: '0', reverse_charge: true, legal_note: 'Taxare inversă (art. 331 Cod fiscal)' });
    const pm = await admin.req('POST', '/api/v1/payment_modes', { body: { name: uniq('Bank '), is_default: true } });
    assert.equal(pm.status, 201, pm.text);
    bank = pm.body;
    const agentRole = await addRole(admin, uniq('Sales Agent '), {
      leads: ['view_own', 'create', 'edit'], clients: ['view', 'create'], invoices: ['view_own', 'create', 'edit'],
    });
    const arRole = await addRole(admin, uniq('AR Accountant '), {
      invoices: ['view', 'edit'], payments: ['view', 'create'], clients: ['view'],
    });
    const leadsRole = await addRole(admin, uniq('Leads only '), { leads: ['view'] });
    agent = await addMember(srv, admin, { role_id: agentRole.id }, 'agent');
    accountant = await addMember(srv, admin, { role_id: arRole.id }, 'accountant');
    outsider = await addMember(srv, admin, { role_id: leadsRole.id }, 'outsider');
  });
  after(async () => {
    await srv?.stop();
  });

  describe('drafts and totals', () => {
    it('a draft has no number, takes the base currency and computes exact totals', async () => {
      const inv = await add({
        contact_id: contactId,
        due_date: day(30),
        lines: [
          { description: 'Consultanță tehnică', quantity: '2.5', unit: 'h', unit_price: '120.40', discount: '10', taxes: [vat19.id] },
          { description: 'Licență', quantity: 1, unit_price: '1000', taxes: [vat9.id] },
          { description: 'Servicii UE', quantity: '3', unit_price: '33.333', taxes: [rc.id] },
        ],
      });
      assert.equal(inv.number, null);
      assert.equal(inv.status, 'draft');
      assert.equal(inv.currency, 'EUR');
      // 2.5 × 120.40 × 0.9 = 270.90; 1000.00; 3 × 33.333 = 99.999 → 100.00
      assert.deepEqual(inv.line_amounts, ['270.90', '1000.00', '100.00']);
      assert.equal(inv.subtotal, '1370.90');
      // 19% of 270.90 = 51.471 → 51.47; 9% of 1000 = 90.00; 0
      assert.equal(inv.tax_total, '141.47');
      assert.equal(inv.total, '1512.37');
      assert.equal(inv.balance_due, '1512.37');
      assert.deepEqual(inv.taxes.map((t) => [t.tax_id, t.rate, t.base, t.amount]), [
        [vat19.id, '19', '270.90', '51.47'], [vat9.id, '9', '1000.00', '90.00'], [rc.id, '0', '100.00', '0.00'],
      ]);
      assert.equal(inv.taxes[2].reverse_charge, true);
      assert.match(inv.taxes[2].legal_note, /Taxare inversă/);
      // the lines come back in their canonical form
      assert.deepEqual(inv.lines[0], {
        description: 'Consultanță tehnică', quantity: '2.5', unit: 'h', unit_price: '120.40', discount: '10', taxes: [vat19.id],
      });
      assert.deepEqual(inv.lines[1].unit, null);
      assert.deepEqual(inv.lines[2].unit_price, '33.333');
    });

    it('rounding per document and per line differ as stated', async () => {
      // three lines of 0.10 at 19%: per line 0.02 each = 0.06; per document 19% of 0.30 = 0.057 → 0.06
      // seven lines of 0.05 at 19%: per line 0.0095 → 0.01 each = 0.07; per document 19% of 0.35 = 0.0665 → 0.07
      // 1.01 ×3 at 9%: per line 0.0909 → 0.09 ×3 = 0.27; per document 9% of 3.03 = 0.2727 → 0.27
      // 0.15 × 3 at 9%: per line 0.0135 → 0.01 × 3 = 0.03; per document 0.0405 → 0.04
      const lines = [1, 2, 3].map((i) => ({ description: `L${i}`, quantity: 1, unit_price: '0.15', taxes: [vat9.id] }));
      const doc = await add({ lines });
      assert.equal(doc.tax_total, '0.04');
      const s = await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'billing' }, body: { tax_rounding: 'line' } });
      assert.equal(s.status, 200, s.text);
      try {
        const line = await add({ lines });
        assert.equal(line.tax_total, '0.03');
        assert.equal(line.total, '0.48');
        // the draft made before keeps its figures until its lines change
        assert.equal((await get(doc.id)).tax_total, '0.04');
      } finally {
        await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'billing' }, body: { tax_rounding: 'document' } });
      }
    });

    it('a currency with no decimal places rounds to whole units', async () => {
      const r = await admin.req('POST', '/api/v1/currencies', { body: { code: 'JPY', symbol: '¥', decimals: 0 } });
      assert.ok([201, 409, 422].includes(r.status), r.text);
      const inv = await add({ currency: 'JPY', lines: [{ description: 'x', quantity: 3, unit_price: '33.5', taxes: [vat19.id] }] });
      assert.deepEqual(inv.line_amounts, ['101.00']);
      assert.equal(inv.tax_total, '19.00');
    });

    it('every invalid line member and field is named in one response', async () => {
      const r = await admin.req('POST', INVOICES, {
        body: {
          client_id: 987654,
          contact_id: 'x',
          currency: 'KWD',
          due_date: '2026-02-30',
          lines: [
            { description: '', quantity: 0, unit_price: 'abc', discount: '101', taxes: [987654], colour: 'red' },
            { quantity: '1.23456', unit_price: '1.23456', taxes: [1, 1] },
            'not an object',
          ],
        },
      });
      assertFieldErrors(r, {
        client_id: 'not_found', contact_id: null, due_date: 'invalid', lines: 'type',
      });
      const r2 = await admin.req('POST', INVOICES, {
        body: {
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
      const r3 = await admin.req('POST', INVOICES, {
        body: { client_id: clientId, lines: [{ description: 'x', quantity: 1, unit_price: 1, taxes: [987654] }] },
      });
      assertFieldErrors(r3, { 'lines[0].taxes': 'not_found' });
      const huge = await admin.req('POST', INVOICES, {
        body: { client_id: clientId, lines: [{ description: 'x', quantity: '1000000000', unit_price: '1000000000' }] },
      });
      assertFieldErrors(huge, { 'lines[0]': 'out_of_range' });
      const many = Array.from({ length: 501 }, () => ({ description: 'x', quantity: 1, unit_price: 1 }));
      assertFieldErrors(await admin.req('POST', INVOICES, { body: { client_id: clientId, lines: many } }), { lines: 'too_many' });
      const ro = await admin.req('POST', INVOICES, { body: { client_id: clientId, number: 'X-1', status: 'paid', total: '1' } });
      assertFieldErrors(ro, { number: null, status: null, total: null });
    });

    it('the contact belongs to the client, the due date follows the issue date', async () => {
      const r = await admin.req('POST', INVOICES, { body: { client_id: otherClientId, contact_id: contactId } });
      assertFieldErrors(r, { contact_id: 'invalid' });
      const d = await admin.req('POST', INVOICES, { body: { client_id: clientId, issue_date: day(5), due_date: day(1) } });
      assertFieldErrors(d, { due_date: 'invalid' });
    });

    it('a draft is edited and deleted freely; a tax in use is not deleted', async () => {
      const inv = await add();
      const t = await admin.req('DELETE', '/api/v1/taxes/{id}', { params: { id: vat19.id } });
      assertProblem(t, 409);
      const p = await admin.req('PATCH', INVOICE, {
        params: { id: inv.id }, headers: { 'If-Match': `"${inv.version}"` },
        body: { lines: [{ description: 'Changed', quantity: 1, unit_price: '50' }] },
      });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.body.total, '50.00');
      assert.deepEqual(p.body.taxes, []);
      const d = await admin.req('DELETE', INVOICE, { params: { id: inv.id } });
      assert.equal(d.status, 204, d.text);
      // a client with invoices is kept, and the refusal says what refers to it
      await add();
      const dc = await admin.req('DELETE', '/api/v1/clients/{id}', { params: { id: clientId } });
      assertProblem(dc, 409);
      assert.match(dc.body.detail, /contacts, invoices refer to it/);
    });
  });

  describe('issue, pay, credit', () => {
    it('draft → issued (numbered) → partly paid → paid → refund → credit note', async () => {
      const inv = await add({ due_date: day(14) });
      assert.equal(inv.total, '238.00');
      const issued = await issue(inv);
      assert.match(issued.number, /\d/);
      assert.equal(issued.status, 'issued');
      assert.equal(issued.issue_date.length, 10);
      // issued twice: 409
      assertProblem(await admin.req('POST', ISSUE, { params: { id: inv.id } }), 409);
      // immutable
      const ch = await admin.req('PATCH', INVOICE, { params: { id: inv.id }, headers: { 'If-Match': `"${issued.version}"` }, body: { notes: 'x' } });
      assertProblem(ch, 409);
      assertProblem(await admin.req('DELETE', INVOICE, { params: { id: inv.id } }), 409);
      // the sales agent may still change
      const ag = await admin.req('PATCH', INVOICE, { params: { id: inv.id }, headers: { 'If-Match': `"${issued.version}"` }, body: { owner_id: agent.id } });
      assert.equal(ag.status, 200, ag.text);

      const p1 = await pay(inv, '100', { transaction_id: 'TX-1' });
      assert.equal(p1.status, 201, p1.text);
      assert.equal(p1.body.payment_mode_id, bank.id, 'the default mode');
      assert.equal(p1.body.date.length, 10);
      let cur = await get(inv.id);
      assert.deepEqual([cur.status, cur.amount_paid, cur.balance_due], ['partially_paid', '100.00', '138.00']);
      // more than the balance
      assertFieldErrors(await pay(inv, '138.01'), { amount: 'too_much' });
      const p2 = await pay(inv, '138');
      assert.equal(p2.status, 201, p2.text);
      cur = await get(inv.id);
      assert.deepEqual([cur.status, cur.balance_due], ['paid', '0.00']);
      // a payment mode in use is not deleted
      assertProblem(await admin.req('DELETE', '/api/v1/payment_modes/{id}', { params: { id: bank.id } }), 409);
      // refunds: not beyond what was paid
      assertFieldErrors(await pay(inv, '238.01', { kind: 'refund' }), { amount: 'too_much' });
      const rf = await pay(inv, '38', { kind: 'refund' });
      assert.equal(rf.status, 201, rf.text);
      cur = await get(inv.id);
      assert.deepEqual([cur.status, cur.amount_paid, cur.balance_due], ['partially_paid', '200.00', '38.00']);
      // deleting a payment settles again
      assert.equal((await admin.req('DELETE', PAYMENT, { params: { id: rf.body.id } })).status, 204);
      assert.equal((await get(inv.id)).status, 'paid');

      // a credit note of the whole invoice: the invoice's lines
      const cn = await admin.req('POST', CREDITS, { body: { invoice_id: inv.id, reason: 'Returned' } });
      assert.equal(cn.status, 201, cn.text);
      assert.deepEqual([cn.body.client_id, cn.body.currency, cn.body.total, cn.body.number, cn.body.status],
        [clientId, 'EUR', '238.00', null, 'draft']);
      assert.deepEqual(cn.body.lines, issued.lines);
      const ci = await admin.req('POST', CREDIT_ISSUE, { params: { id: cn.body.id } });
      assert.equal(ci.status, 200, ci.text);
      assert.match(ci.body.number, /\d/);
      assert.equal(ci.body.status, 'issued');
      cur = await get(inv.id);
      assert.deepEqual([cur.status, cur.amount_credited, cur.balance_due], ['cancelled', '238.00', '-238.00']);
      // issued credit notes are final
      assertProblem(await admin.req('DELETE', CREDIT, { params: { id: cn.body.id } }), 409);
      // no more credit than the total
      const cn2 = await admin.req('POST', CREDITS, { body: { invoice_id: inv.id } });
      assert.equal(cn2.status, 201, cn2.text);
      assertFieldErrors(await admin.req('POST', CREDIT_ISSUE, { params: { id: cn2.body.id } }), { total: 'too_much' });
      // no payment on a cancelled invoice; the money paid goes back by refund
      assertFieldErrors(await pay(inv, '1'), { invoice_id: 'cancelled' });
      const back = await pay(inv, '238', { kind: 'refund' });
      assert.equal(back.status, 201, back.text);
      cur = await get(inv.id);
      assert.deepEqual([cur.status, cur.amount_paid, cur.balance_due], ['cancelled', '0.00', '0.00']);
    });

    it('a partial credit note counts at the rates billed, even after the rate changed', async () => {
      const inv = await issue(await add({ lines: [{ description: 'A', quantity: 1, unit_price: '100', taxes: [vat9.id] }] }));
      const t = await admin.req('GET', '/api/v1/taxes/{id}', { params: { id: vat9.id } });
      const ch = await admin.req('PATCH', '/api/v1/taxes/{id}', {
        params: { id: vat9.id }, headers: { 'If-Match': t.headers.get('etag') }, body: { rate: '11' },
      });
      assert.equal(ch.status, 200, ch.text);
      try {
        const cn = await admin.req('POST', CREDITS, {
          body: { invoice_id: inv.id, lines: [{ description: 'A (half)', quantity: '0.5', unit_price: '100', taxes: [vat9.id] }] },
        });
        assert.equal(cn.status, 201, cn.text);
        assert.equal(cn.body.tax_total, '4.50');
        const other = await admin.req('POST', CREDITS, {
          body: { invoice_id: inv.id, lines: [{ description: 'A', quantity: 1, unit_price: '1', taxes: [vat19.id] }] },
        });
        assertFieldErrors(other, { 'lines[0].taxes': 'not_billed' });
        assert.equal(cn.body.taxes[0].rate, '9');
        assert.equal((await admin.req('POST', CREDIT_ISSUE, { params: { id: cn.body.id } })).status, 200);
        const cur = await get(inv.id);
        assert.deepEqual([cur.status, cur.amount_credited, cur.balance_due], ['partially_paid', '54.50', '54.50']);
      } finally {
        const t2 = await admin.req('GET', '/api/v1/taxes/{id}', { params: { id: vat9.id } });
        await admin.req('PATCH', '/api/v1/taxes/{id}', { params: { id: vat9.id }, headers: { 'If-Match': t2.headers.get('etag') }, body: { rate: '9' } });
      }
    });

    it('an invoice without lines, or a draft, cannot be issued, paid or credited', async () => {
      const empty = await add({ lines: [] });
      assertFieldErrors(await admin.req('POST', ISSUE, { params: { id: empty.id } }), { lines: 'required' });
      assertFieldErrors(await pay(empty, '1'), { invoice_id: 'draft' });
      assertFieldErrors(await admin.req('POST', CREDITS, { body: { invoice_id: empty.id } }), { invoice_id: 'draft' });
      assertFieldErrors(await pay(empty, '0'), { amount: 'out_of_range' });
      assertFieldErrors(await admin.req('POST', PAYMENTS, { body: { invoice_id: empty.id, amount: 'x', payment_mode_id: 987654, kind: 'gift', date: 'today' } }),
        { amount: 'invalid', payment_mode_id: 'not_found', kind: null, date: 'invalid' });
    });

    it('credit notes and payments are listed, read, corrected and (drafts) deleted', async () => {
      const inv = await issue(await add({ lines: [{ description: 'R', quantity: 4, unit_price: '25' }] }));
      const p = (await pay(inv, '40', { transaction_id: uniq('TX-') })).body;
      const pl = await admin.req('GET', PAYMENTS, { query: { invoice_id: inv.id } });
      assert.equal(pl.status, 200, pl.text);
      assert.deepEqual(pl.body.data.map((x) => x.id), [p.id]);
      const pg = await admin.req('GET', PAYMENT, { params: { id: p.id } });
      assert.equal(pg.status, 200, pg.text);
      const pp = await admin.req('PATCH', PAYMENT, { params: { id: p.id }, headers: { 'If-Match': pg.headers.get('etag') }, body: { amount: '60', note: 'corrected' } });
      assert.equal(pp.status, 200, pp.text);
      assert.equal((await get(inv.id)).balance_due, '40.00');
      assertFieldErrors(await admin.req('PATCH', PAYMENT, { params: { id: p.id }, headers: { 'If-Match': pp.headers.get('etag') }, body: { invoice_id: inv.id } }),
        { invoice_id: 'read_only' });
      const cn = (await admin.req('POST', CREDITS, { body: { invoice_id: inv.id, lines: [{ description: 'R', quantity: 1, unit_price: '25' }] } })).body;
      const cl = await admin.req('GET', CREDITS, { query: { invoice_id: inv.id } });
      assert.deepEqual(cl.body.data.map((x) => x.id), [cn.id]);
      const cg = await admin.req('GET', CREDIT, { params: { id: cn.id } });
      assert.equal(cg.status, 200, cg.text);
      const cp = await admin.req('PATCH', CREDIT, { params: { id: cn.id }, headers: { 'If-Match': cg.headers.get('etag') }, body: { reason: 'Damaged', lines: [{ description: 'R', quantity: 2, unit_price: '25' }] } });
      assert.equal(cp.status, 200, cp.text);
      assert.equal(cp.body.total, '50.00');
      assertFieldErrors(await admin.req('PATCH', CREDIT, { params: { id: cn.id }, headers: { 'If-Match': cp.headers.get('etag') }, body: { invoice_id: 1 } }),
        { invoice_id: 'read_only' });
      assert.equal((await admin.req('DELETE', CREDIT, { params: { id: cn.id } })).status, 204);
      assert.equal((await get(inv.id)).amount_credited, '0.00');
    });

    it('the activity log has every change, the issue in the same transaction', async () => {
      const inv = await issue(await add());
      await pay(inv, '10');
      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'invoice', entity_id: inv.id } });
      assert.equal(log.status, 200, log.text);
      const actions = log.body.data.map((a) => a.action);
      assert.ok(actions.filter((a) => a === 'update').length >= 2, JSON.stringify(actions));
      assert.ok(actions.includes('create'));
      const issueRow = log.body.data.find((a) => a.diff?.number);
      assert.equal(issueRow.diff.number.to, inv.number);
    });
  });

  describe('overdue', () => {
    it('the scheduler marks overdue an issued invoice whose due date passed, by the system, with its event', async () => {
      const inv = await issue(await add({ due_date: day(10) }));
      const paid = await issue(await add({ due_date: day(10) }));
      assert.equal((await pay(paid, '238')).status, 201);
      // due long ago: written behind the API's back, as time passing would
      for (const x of [inv, paid]) {
        const u = srv.sql(`UPDATE invoice SET due_date = '2000-01-01' WHERE id = ${x.id}`);
        assert.equal(u.status, 0, u.stderr);
      }
      await waitFor(async () => {
        const s = await admin.req('GET', '/api/v1/scheduler');
        return s.body.tasks?.some((t) => t.name === 'invoices_overdue');
      }, { what: 'the invoices_overdue task row' });
      const u = srv.sql("UPDATE sched_task SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE name = 'invoices_overdue'");
      assert.equal(u.status, 0, u.stderr);
      const over = await waitFor(async () => {
        const cur = await get(inv.id);
        return cur.status === 'overdue' && cur;
      }, { timeout: 20000, what: 'the invoice overdue' });
      assert.equal(over.balance_due, '238.00');
      assert.equal((await get(paid.id)).status, 'paid', 'a paid invoice is never overdue');
      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'invoice', entity_id: inv.id, action: 'update' } });
      const row = log.body.data.find((a) => a.diff?.status?.to === 'overdue');
      assert.deepEqual(row.diff.status, { from: 'issued', to: 'overdue' });
      assert.ok(!row.actor_id, 'by the system');
      const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'invoice', entity_id: inv.id } });
      assert.ok(ev.body.data.some((e) => e.action === 'updated' && e.payload.after.status === 'overdue'), ev.text);
      // paying it all makes it paid
      assert.equal((await pay(inv, '238')).status, 201);
      assert.equal((await get(inv.id)).status, 'paid');
    });
  });

  describe('concurrent issuing', () => {
    it('200 invoices issued from 16 concurrent clients get 200 consecutive numbers', async () => {
      const role = await addRole(admin, uniq('Issuer '), { invoices: ['view', 'create', 'edit'], clients: ['view'] });
      // Four members, four sessions each: 16 independent clients.
      const sessions = [];
      for (let m = 0; m < 4; m++) {
        const member = await addMember(srv, admin, { role_id: role.id }, `issuer${m}`);
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
      for (let i = 0; i < N; i++) drafts.push(await add({}, sessions[i % 16]));
      const series = await admin.req('GET', '/api/v1/billing/number_series/{kind}', { params: { kind: 'invoice' } });
      assert.equal(series.status, 200, series.text);
      const start = series.body.next_number;
      let next = 0;
      const numbers = [];
      await Promise.all(sessions.map(async (c) => {
        for (;;) {
          const i = next++;
          if (i >= N) return;
          const r = await c.req('POST', ISSUE, { params: { id: drafts[i].id } });
          assert.equal(r.status, 200, `issuing ${i}: ${r.status} ${r.text}`);
          numbers.push(r.body.number);
        }
      }));
      assert.equal(new Set(numbers).size, N, 'every number is distinct');
      // The series' own rendering of start..start+N-1: the numbers differ
      // only in their trailing counter.
      const counter = (n) => Number(/(\d+)\D*$/.exec(n)[1]);
      const got = numbers.map(counter).sort((a, b) => a - b);
      assert.deepEqual(got, Array.from({ length: N }, (_, i) => start + i), 'consecutive, without a gap');
      const prefix = (n) => n.replace(/\d+(\D*)$/, '#$1');
      assert.equal(new Set(numbers.map(prefix)).size, 1, 'one series');
      const end = await admin.req('GET', '/api/v1/billing/number_series/{kind}', { params: { kind: 'invoice' } });
      assert.equal(end.body.next_number, start + N);
    });
  });

  describe('concurrent payments', () => {
    it('ten payments of one invoice at once: the balance admits five, the rest are refused, none fails', async () => {
      const inv = await issue(await add({ lines: [{ description: 'P', quantity: 1, unit_price: '50' }] }));
      const sessions = [admin];
      for (let k = 1; k < 10; k++) {
        const c = client(srv.base);
        await c.login(srv.admin.email, srv.admin.password);
        sessions.push(c);
      }
      const rs = await Promise.all(sessions.map((c) => pay(inv, '10', {}, c)));
      const codes = rs.map((r) => r.status).sort();
      assert.deepEqual(codes, [201, 201, 201, 201, 201, 422, 422, 422, 422, 422], rs.map((r) => r.text).join('\n'));
      for (const r of rs.filter((x) => x.status === 422)) assertFieldErrors(r, { amount: 'too_much' });
      const cur = await get(inv.id);
      assert.deepEqual([cur.status, cur.amount_paid, cur.balance_due], ['paid', '50.00', '0.00']);
    });
  });

  describe('permissions', () => {
    it('401 without a session on every route', async () => {
      const anon = client(srv.base);
      for (const [m, p] of [['GET', INVOICES], ['POST', INVOICES], ['GET', INVOICE], ['PATCH', INVOICE], ['DELETE', INVOICE], ['POST', ISSUE],
        ['GET', PAYMENTS], ['POST', PAYMENTS], ['GET', PAYMENT], ['PATCH', PAYMENT], ['DELETE', PAYMENT],
        ['GET', CREDITS], ['POST', CREDITS], ['GET', CREDIT], ['PATCH', CREDIT], ['DELETE', CREDIT], ['POST', CREDIT_ISSUE]]) {
        assertProblem(await anon.req(m, p, { params: { id: 1 }, body: m === 'GET' || m === 'DELETE' ? undefined : {} }), 401);
      }
    });

    it('403 for a member without the modules', async () => {
      for (const [m, p] of [['GET', INVOICES], ['POST', INVOICES], ['GET', INVOICE], ['PATCH', INVOICE], ['DELETE', INVOICE], ['POST', ISSUE],
        ['GET', PAYMENTS], ['POST', PAYMENTS], ['GET', PAYMENT], ['PATCH', PAYMENT], ['DELETE', PAYMENT],
        ['GET', CREDITS], ['POST', CREDITS], ['GET', CREDIT], ['PATCH', CREDIT], ['DELETE', CREDIT], ['POST', CREDIT_ISSUE]]) {
        assertProblem(await outsider.req(m, p, { params: { id: 1 }, body: m === 'GET' || m === 'DELETE' ? undefined : {} }), 403);
      }
    });

    it('what a document form offers is readable by whoever writes documents: active taxes, payment modes, the rounding rule', async () => {
      assertProblem(await accountant.req('GET', '/api/v1/taxes'), 403);
      const r = await accountant.req('GET', '/api/v1/reference/finance');
      assert.equal(r.status, 200, r.text);
      const tax = r.body.taxes.find((x) => x.id === vat19.id);
      assert.deepEqual(tax, { id: vat19.id, name: vat19.name, rate: vat19.rate, reverse_charge: false }, 'the rate as the taxes API writes it');
      assert.equal(r.body.taxes.find((x) => x.id === rc.id).reverse_charge, true);
      assert.deepEqual(r.body.payment_modes[0], { id: bank.id, name: bank.name, is_default: true }, 'the default first');
      assert.equal(r.body.tax_rounding, 'document');
      assert.deepEqual(Object.keys(r.body).sort(), ['payment_modes', 'tax_rounding', 'taxes'], 'names only: nothing to manage');
      assertProblem(await client(srv.base).req('GET', '/api/v1/reference/finance'), 401);
    });

    it('Sales Agent: sees only the invoices they are the agent of', async () => {
      const mine = await add({}, agent);
      assert.equal(mine.owner_id, agent.id);
      const theirs = await add();
      const l = await agent.req('GET', INVOICES, { query: { limit: 200 } });
      assert.equal(l.status, 200, l.text);
      const ids = l.body.data.map((x) => x.id);
      assert.ok(ids.includes(mine.id));
      assert.ok(!ids.includes(theirs.id));
      assertProblem(await agent.req('GET', INVOICE, { params: { id: theirs.id } }), 404);
      assertProblem(await agent.req('GET', PAYMENTS), 403);
      assertProblem(await agent.req('DELETE', INVOICE, { params: { id: mine.id } }), 403);
    });

    it('AR Accountant: issues and records payments, but creates no invoice and deletes nothing', async () => {
      const inv = await add();
      assertProblem(await accountant.req('POST', INVOICES, { body: { client_id: clientId } }), 403);
      const is = await accountant.req('POST', ISSUE, { params: { id: inv.id } });
      assert.equal(is.status, 200, is.text);
      const p = await pay(inv, '5', {}, accountant);
      assert.equal(p.status, 201, p.text);
      assertProblem(await accountant.req('DELETE', PAYMENT, { params: { id: p.body.id } }), 403);
      assertProblem(await accountant.req('PATCH', PAYMENT, { params: { id: p.body.id }, body: { note: 'x' } }), 403);
      assertProblem(await accountant.req('GET', CREDITS), 403);
    });
  });
});
