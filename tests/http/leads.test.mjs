// Leads: the generic entity tests (entity-suite.mjs) plus money and tags.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { entitySuite } from './entity-suite.mjs';
import { uniq } from './harness.mjs';

const NO_STAFF = 987654;

entitySuite({
  plural: 'leads',
  entityNames: ['lead', 'leads'],
  titleField: 'name',
  valid: (tag, ctx) => ({
    name: `${tag} Lead`,
    company: `${tag} Co`,
    email: `${tag}@example.test`,
    phone: '+49 30 1234567',
    source: 'website',
    status: 'contacted',
    value: 1250,
    currency: 'USD',
    assigned_to: ctx.staffId,
    notes: 'first call went well',
    tags: ['vip', 'b2b'],
  }),
  echo: (body) => ({ ...body, value: '1250.00' }),
  minimal: (tag) => ({ name: tag }),
  defaults: (ctx) => ({ status: 'new', currency: 'EUR', owner_id: ctx.adminId }),
  invalid: [
    { what: 'name missing', omit: ['name'], fields: { name: 'required' } },
    { what: 'name not a string', patch: { name: 42 }, fields: { name: 'type' } },
    { what: 'name too long', patch: { name: 'n'.repeat(201) }, fields: { name: 'too_long' } },
    { what: 'email not an email', patch: { email: 'not-an-email' }, fields: { email: 'invalid' } },
    { what: 'email too long', patch: { email: `${'a'.repeat(250)}@example.test` }, fields: { email: ['too_long', 'invalid'] } },
    { what: 'status not one of the choices', patch: { status: 'archived' }, fields: { status: 'not_allowed' } },
    { what: 'value with three decimals', patch: { value: '12.345' }, fields: { value: 'invalid' } },
    { what: 'value not a number', patch: { value: 'abc' }, fields: { value: 'invalid' } },
    { what: 'value a boolean', patch: { value: true }, fields: { value: 'type' } },
    { what: 'currency lower case', patch: { currency: 'eur' }, fields: { currency: ['invalid', 'not_allowed'] } },
    { what: 'currency too long', patch: { currency: 'EURO' }, fields: { currency: ['invalid', 'not_allowed', 'too_long'] } },
    { what: 'assigned_to a staff id that does not exist', patch: { assigned_to: NO_STAFF }, fields: { assigned_to: 'not_found' } },
    { what: 'assigned_to not an integer', patch: { assigned_to: 'abc' }, fields: { assigned_to: 'type' } },
    { what: 'owner_id a staff id that does not exist', patch: { owner_id: NO_STAFF }, fields: { owner_id: 'not_found' } },
    { what: 'phone too long', patch: { phone: '1'.repeat(51) }, fields: { phone: 'too_long' } },
    { what: 'source too long', patch: { source: 's'.repeat(101) }, fields: { source: 'too_long' } },
    { what: 'notes too long', patch: { notes: 'x'.repeat(10001) }, fields: { notes: 'too_long' } },
    { what: 'tags not an array', patch: { tags: 'vip' }, fields: { tags: 'type' } },
    { what: 'tags with more than 20 items', patch: { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, fields: { tags: ['too_long', 'invalid'] } },
    { what: 'a tag longer than 50', patch: { tags: ['ok', 't'.repeat(51)] }, fields: { tags: 'too_long' } },
    { what: 'a tag that is not a string', patch: { tags: [7] }, fields: { tags: 'type' } },
    { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
  ],
  multiInvalid: {
    body: () => ({ email: 'x', status: 'nope', value: 'abc', currency: 'eur', tags: 'x', colour: 1 }),
    fields: {
      name: 'required',
      email: 'invalid',
      status: 'not_allowed',
      value: 'invalid',
      currency: ['invalid', 'not_allowed'],
      tags: 'type',
      colour: 'unknown_field',
    },
  },
  filter: { field: 'status', value: 'won', body: (tag) => ({ name: tag, status: 'won' }) },
  nonFilterable: 'name',
  nonSortable: 'notes',
  clearable: 'company',
  update: { field: 'company', value: 'Updated Co' },
  invalidUpdate: {
    body: { email: 'nope', status: 'gone' },
    fields: { email: 'invalid', status: 'not_allowed' },
  },

  extra(h) {
    it('money is accepted as a number or a string and returned with two decimals', async () => {
      const cases = [[1250, '1250.00'], ['1250', '1250.00'], ['99.5', '99.50'], [12.5, '12.50'], ['0.10', '0.10'], [0, '0.00']];
      for (const [value, want] of cases) {
        const r = await h.create({ name: uniq('money'), value });
        assert.equal(r.body.value, want, `value ${JSON.stringify(value)}`);
      }
    });

    it('value sorts as a number, not as text', async () => {
      const tag = uniq('vsort');
      for (const v of ['100.00', '9.00', '10.00']) await h.create({ name: `${tag} ${v}`, value: v });
      const b = await h.list({ q: tag, sort: 'value' });
      assert.deepEqual(b.data.map((x) => x.value), ['9.00', '10.00', '100.00']);
      const d = await h.list({ q: tag, sort: '-value' });
      assert.deepEqual(d.data.map((x) => x.value), ['100.00', '10.00', '9.00']);
    });

    it('tags=<tag> finds leads that contain the tag', async () => {
      const tag = uniq('tg');
      const hit = (await h.create({ name: `${tag} hit`, tags: ['other', tag] })).body;
      await h.create({ name: `${tag} miss`, tags: ['other'] });
      const b = await h.list({ tags: tag });
      assert.deepEqual(b.data.map((x) => x.id), [hit.id]);
    });

    it('assigned_to=<staff id> filters', async () => {
      const tag = uniq('asg');
      const hit = (await h.create({ name: `${tag} hit`, assigned_to: h.ctx.staffId })).body;
      await h.create({ name: `${tag} miss` });
      const b = await h.list({ q: tag, assigned_to: h.ctx.staffId });
      assert.deepEqual(b.data.map((x) => x.id), [hit.id]);
    });

    it('q searches email and company too', async () => {
      const tag = uniq('srch');
      const a = (await h.create({ name: 'Plain', email: `${tag}@example.test` })).body;
      const b = (await h.create({ name: 'Plain', company: `${tag.toUpperCase()} Ltd` })).body;
      const r = await h.list({ q: tag, sort: 'id' });
      assert.deepEqual(r.data.map((x) => x.id), [a.id, b.id]);
    });
  },
});
