// Clients: the generic entity tests (entity-suite.mjs) plus client-specific search.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { entitySuite } from './entity-suite.mjs';
import { uniq } from './harness.mjs';

const NO_STAFF = 987654;
const CODE = ['invalid', 'not_allowed'];
const LONG_CODE = [...CODE, 'too_long']; // for a value longer than any code

entitySuite({
  plural: 'clients',
  entityNames: ['client', 'clients'],
  titleField: 'company',
  valid: (tag, ctx) => ({
    company: `${tag} GmbH`,
    vat_number: 'DE123456789',
    registration_number: 'HRB 12345',
    address: 'Unter den Linden 1',
    city: 'Berlin',
    country: 'DE',
    phone: '+49 30 1234567',
    website: 'https://example.test/about',
    default_currency: 'EUR',
    assigned_to: ctx.staffId,
  }),
  echo: (body) => body,
  minimal: (tag) => ({ company: tag }),
  defaults: (ctx) => ({ owner_id: ctx.adminId }),
  invalid: [
    { what: 'company missing', omit: ['company'], fields: { company: 'required' } },
    { what: 'company not a string', patch: { company: ['x'] }, fields: { company: 'type' } },
    { what: 'company too long', patch: { company: 'c'.repeat(201) }, fields: { company: 'too_long' } },
    { what: 'vat_number too long', patch: { vat_number: 'V'.repeat(51) }, fields: { vat_number: 'too_long' } },
    { what: 'registration_number too long', patch: { registration_number: 'R'.repeat(51) }, fields: { registration_number: 'too_long' } },
    { what: 'address too long', patch: { address: 'a'.repeat(501) }, fields: { address: 'too_long' } },
    { what: 'city too long', patch: { city: 'c'.repeat(101) }, fields: { city: 'too_long' } },
    { what: 'country a name, not a code', patch: { country: 'Germany' }, fields: { country: LONG_CODE } },
    { what: 'country lower case', patch: { country: 'de' }, fields: { country: CODE } },
    { what: 'phone not a string', patch: { phone: 4930123 }, fields: { phone: 'type' } },
    { what: 'website not http(s)', patch: { website: 'ftp://example.test/' }, fields: { website: 'invalid' } },
    { what: 'website a javascript: URL', patch: { website: 'javascript:alert(1)' }, fields: { website: 'invalid' } },
    { what: 'website not a URL', patch: { website: 'not a url' }, fields: { website: 'invalid' } },
    { what: 'website too long', patch: { website: `https://example.test/${'p'.repeat(490)}` }, fields: { website: ['too_long', 'invalid'] } },
    { what: 'default_currency lower case', patch: { default_currency: 'eur' }, fields: { default_currency: CODE } },
    { what: 'assigned_to a staff id that does not exist', patch: { assigned_to: NO_STAFF }, fields: { assigned_to: 'not_found' } },
    { what: 'owner_id a staff id that does not exist', patch: { owner_id: NO_STAFF }, fields: { owner_id: 'not_found' } },
    { what: 'owner_id not an integer', patch: { owner_id: '1x' }, fields: { owner_id: 'type' } },
    { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
  ],
  multiInvalid: {
    body: () => ({ country: 'Germany', website: 'javascript:alert(1)', default_currency: 'euro', colour: 'red' }),
    fields: {
      company: 'required',
      country: LONG_CODE,
      website: 'invalid',
      default_currency: LONG_CODE,
      colour: 'unknown_field',
    },
  },
  filter: { field: 'country', value: 'FR', body: (tag) => ({ company: tag, country: 'FR' }) },
  nonFilterable: 'company',
  nonSortable: 'vat_number',
  clearable: 'city',
  update: { field: 'city', value: 'Hamburg' },
  invalidUpdate: {
    body: { website: 'nope', country: 'XX1' },
    fields: { website: 'invalid', country: LONG_CODE },
  },

  extra(h) {
    it('q searches vat_number, registration_number, city and phone too', async () => {
      const tag = uniq('cs');
      const a = (await h.create({ company: 'Plain', vat_number: `VAT${tag}` })).body;
      const b = (await h.create({ company: 'Plain', registration_number: `REG-${tag}` })).body;
      const c = (await h.create({ company: 'Plain', city: `City ${tag.toUpperCase()}` })).body;
      const r = await h.list({ q: tag, sort: 'id' });
      assert.deepEqual(r.data.map((x) => x.id), [a.id, b.id, c.id]);
      const p = (await h.create({ company: 'Plain', phone: '+1 555 0199 7731' })).body;
      const rp = await h.list({ q: '0199 7731' });
      assert.ok(rp.data.some((x) => x.id === p.id), 'found by phone');
    });

    it('city=<city> filters', async () => {
      const tag = uniq('city');
      const hit = (await h.create({ company: `${tag} a`, city: `Town ${tag}` })).body;
      await h.create({ company: `${tag} b`, city: 'Elsewhere' });
      const r = await h.list({ city: `Town ${tag}` });
      assert.deepEqual(r.data.map((x) => x.id), [hit.id]);
    });

    it('an http:// website is accepted', async () => {
      const r = await h.create({ company: uniq('web'), website: 'http://example.test' });
      assert.equal(r.body.website, 'http://example.test');
    });

    it('sort=country orders by country code', async () => {
      const tag = uniq('ctry');
      for (const cc of ['FR', 'AT', 'DE']) await h.create({ company: `${tag} ${cc}`, country: cc });
      const r = await h.list({ q: tag, sort: 'country' });
      assert.deepEqual(r.data.map((x) => x.country), ['AT', 'DE', 'FR']);
    });
  },
});
