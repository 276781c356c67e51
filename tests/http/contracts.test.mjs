// Contracts (issue 12): the generic entity tests (entity-suite.mjs), plus
// the client reference, money and dates, and "expiring within N days" as a
// range on end_date.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { entitySuite } from './entity-suite.mjs';
import { addMember, uniq } from './harness.mjs';

const NO_STAFF = 987654;
const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

entitySuite({
  plural: 'contracts',
  entityNames: ['contract', 'contracts'],
  titleField: 'subject',
  async setup(h) {
    const r = await h.admin.req('POST', '/api/v1/clients', { body: { company: uniq('Contracts client ') } });
    assert.equal(r.status, 201, r.text);
    h.ctx.clientId = r.body.id;
  },
  valid: (tag, ctx) => ({
    subject: `${tag} Maintenance`,
    client_id: ctx.clientId,
    contract_type: 'Maintenance',
    value: '12000.00',
    currency: 'RON',
    start_date: '2026-01-01',
    end_date: '2026-12-31',
    signed: true,
    assigned_to: ctx.staffId,
    description: 'Yearly maintenance of the line.',
  }),
  echo: (body) => body,
  minimal: (tag, ctx) => ({ subject: tag, client_id: ctx.clientId }),
  defaults: (ctx) => ({ currency: 'EUR', signed: false, owner_id: ctx.adminId }),
  invalid: [
    { what: 'subject missing', omit: ['subject'], fields: { subject: 'required' } },
    { what: 'client_id missing', omit: ['client_id'], fields: { client_id: 'required' } },
    { what: 'client_id not a client', patch: { client_id: 987654 }, fields: { client_id: 'not_found' } },
    { what: 'value with three decimals', patch: { value: '1.234' }, fields: { value: 'invalid' } },
    { what: 'currency not ISO 4217', patch: { currency: 'XXY' }, fields: { currency: ['invalid', 'not_allowed'] } },
    { what: 'start_date not a date', patch: { start_date: '2026-02-30' }, fields: { start_date: 'invalid' } },
    { what: 'end_date not a date', patch: { end_date: 'soon' }, fields: { end_date: 'invalid' } },
    { what: 'signed not a boolean', patch: { signed: 1 }, fields: { signed: 'type' } },
    { what: 'assigned_to a staff id that does not exist', patch: { assigned_to: NO_STAFF }, fields: { assigned_to: 'not_found' } },
    { what: 'description too long', patch: { description: 'd'.repeat(10001) }, fields: { description: 'too_long' } },
    { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
  ],
  multiInvalid: {
    body: () => ({ value: 'abc', end_date: 'x', colour: 1 }),
    fields: { subject: 'required', client_id: 'required', value: 'invalid', end_date: 'invalid', colour: 'unknown_field' },
  },
  filter: { field: 'contract_type', value: 'Licence', body: (tag, ctx) => ({ subject: tag, client_id: ctx.clientId, contract_type: 'Licence' }) },
  nonFilterable: 'subject',
  nonSortable: 'description',
  clearable: 'contract_type',
  update: { field: 'contract_type', value: 'Support' },
  invalidUpdate: { body: { value: 'x', start_date: 'y' }, fields: { value: 'invalid', start_date: 'invalid' } },

  extra(h) {
    it('offboarding: deleting a member reassigns their contracts, projects and contacts', async () => {
      const gone = await addMember(h.srv, h.admin, {}, 'leaver');
      const tag = uniq('off');
      const ct = (await h.create({ subject: tag, client_id: h.ctx.clientId, owner_id: gone.id, assigned_to: gone.id })).body;
      const pr = await h.admin.req('POST', '/api/v1/projects', { body: { name: tag, assigned_to: gone.id } });
      const co = await h.admin.req('POST', '/api/v1/contacts', {
        body: { client_id: h.ctx.clientId, first_name: tag, email: `${tag.replace(/\W/g, '')}@example.test`, owner_id: gone.id },
      });
      assert.equal(pr.status, 201, pr.text);
      assert.equal(co.status, 201, co.text);
      const del = await h.admin.req('DELETE', '/api/v1/staff/{id}', { params: { id: gone.id }, query: { reassign_to: h.ctx.adminId } });
      assert.equal(del.status, 200, del.text);
      assert.match(del.text, /contract/);
      const c2 = (await h.get(ct.id)).body;
      assert.deepEqual([c2.owner_id, c2.assigned_to], [h.ctx.adminId, h.ctx.adminId]);
      assert.equal((await h.admin.req('GET', '/api/v1/projects/{id}', { params: { id: pr.body.id } })).body.assigned_to, h.ctx.adminId);
      assert.equal((await h.admin.req('GET', '/api/v1/contacts/{id}', { params: { id: co.body.id } })).body.owner_id, h.ctx.adminId);
    });

    it('expiring within 60 days: end_date between today and today + 60', async () => {
      const tag = uniq('exp');
      const soon = (await h.create({ subject: `${tag} soon`, client_id: h.ctx.clientId, end_date: day(30) })).body;
      await h.create({ subject: `${tag} later`, client_id: h.ctx.clientId, end_date: day(90) });
      await h.create({ subject: `${tag} past`, client_id: h.ctx.clientId, end_date: day(-5) });
      await h.create({ subject: `${tag} open`, client_id: h.ctx.clientId });
      const r = await h.list({ q: tag, 'end_date[gte]': day(0), 'end_date[lte]': day(60) });
      assert.deepEqual(r.data.map((x) => x.id), [soon.id]);
    });
  },
});
