// Departments and teams: the generic entity tests (entity-suite.mjs), plus the
// unique name and membership through the staff record.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { entitySuite } from './entity-suite.mjs';
import { assertFieldErrors, uniq } from './harness.mjs';

/* Cases every group entity shares: the unique name, and members listed through the staff API. */
function groupExtra(plural, membershipField, filterKey) {
  return (h) => {
    it('a name in use is 422 taken, on create and on edit; nothing changes', async () => {
      const tag = uniq('uniq');
      const a = (await h.create({ name: `${tag} one` })).body;
      const b = (await h.create({ name: `${tag} two` })).body;
      const dup = await h.admin.req('POST', h.COLL, { body: { name: a.name } });
      assertFieldErrors(dup, { name: 'taken' });
      assert.equal((await h.list({ q: tag })).total, 2, 'no third record');
      const p = await h.admin.req('PATCH', h.ITEM, {
        params: { id: b.id }, body: { name: a.name }, headers: { 'If-Match': `"${b.version}"` },
      });
      assertFieldErrors(p, { name: 'taken' });
      assert.deepEqual((await h.get(b.id)).body, b, 'unchanged');
    });

    it(`members are set on the staff record (${membershipField}) and listed with ${filterKey}=`, async () => {
      const g = (await h.create({ name: uniq('grp') })).body;
      const tag = uniq('mbr');
      const s = await h.admin.req('POST', '/api/v1/staff', {
        body: { email: `${tag}@example.test`, name: tag, [membershipField]: [g.id] },
      });
      assert.equal(s.status, 201, s.text);
      assert.deepEqual(s.body[membershipField], [g.id]);
      const l = await h.admin.req('GET', '/api/v1/staff', { query: { [filterKey]: g.id } });
      assert.equal(l.status, 200, l.text);
      assert.deepEqual(l.body.data.map((x) => x.id), [s.body.id]);
      // Deleting the group removes the membership, not the member.
      const d = await h.admin.req('DELETE', h.ITEM, { params: { id: g.id } });
      assert.equal(d.status, 204, d.text);
      const after = await h.admin.req('GET', '/api/v1/staff/{id}', { params: { id: s.body.id } });
      assert.equal(after.status, 200);
      assert.deepEqual(after.body[membershipField], []);
    });
  };
}

entitySuite({
  plural: 'departments',
  entityNames: ['department', 'departments'],
  owner: false,
  uniqueTitle: true,
  titleField: 'name',
  valid: (tag) => ({ name: `${tag} Dept`, email: `${tag}@example.test` }),
  echo: (body) => body,
  minimal: (tag) => ({ name: tag }),
  defaults: () => ({ email: null }),
  invalid: [
    { what: 'name missing', omit: ['name'], fields: { name: 'required' } },
    { what: 'name not a string', patch: { name: 42 }, fields: { name: 'type' } },
    { what: 'name too long', patch: { name: 'n'.repeat(101) }, fields: { name: 'too_long' } },
    { what: 'email not an email', patch: { email: 'not-an-email' }, fields: { email: 'invalid' } },
    { what: 'email too long', patch: { email: `${'a'.repeat(250)}@example.test` }, fields: { email: ['too_long', 'invalid'] } },
    { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
  ],
  multiInvalid: {
    body: () => ({ email: 'x', colour: 1 }),
    fields: { name: 'required', email: 'invalid', colour: 'unknown_field' },
  },
  filter: { field: 'email', value: 'routing@example.test', body: (tag) => ({ name: tag, email: 'routing@example.test' }) },
  nonFilterable: 'name',
  nonSortable: 'email',
  clearable: 'email',
  update: { field: 'unknown_senders', value: 'reject' },
  invalidUpdate: { body: { email: 'nope' }, fields: { email: 'invalid' } },
  extra(h) {
    groupExtra('departments', 'department_ids', 'department_id')(h);
    it('a routing address belongs to one department (422 taken, any case), on create and on edit', async () => {
      const tag = uniq('route');
      const a = (await h.create({ name: `${tag} a`, email: `${tag}@example.test` })).body;
      const b = (await h.create({ name: `${tag} b` })).body;
      assertFieldErrors(await h.admin.req('POST', h.COLL, { body: { name: `${tag} c`, email: `${tag.toUpperCase()}@EXAMPLE.TEST` } }),
        { email: 'taken' });
      assertFieldErrors(await h.admin.req('PATCH', h.ITEM, {
        params: { id: b.id }, body: { email: a.email }, headers: { 'If-Match': `"${b.version}"` },
      }), { email: 'taken' });
      const same = await h.admin.req('PATCH', h.ITEM, {
        params: { id: a.id }, body: { email: a.email, name: `${tag} a2` }, headers: { 'If-Match': `"${a.version}"` },
      });
      assert.equal(same.status, 200, 'its own address is not taken');
    });
  },
});

entitySuite({
  plural: 'teams',
  entityNames: ['team', 'teams'],
  owner: false,
  uniqueTitle: true,
  titleField: 'name',
  valid: (tag) => ({ name: `${tag} Team`, description: 'Handles the northern region' }),
  echo: (body) => body,
  minimal: (tag) => ({ name: tag }),
  defaults: () => ({ description: null }),
  invalid: [
    { what: 'name missing', omit: ['name'], fields: { name: 'required' } },
    { what: 'name not a string', patch: { name: ['x'] }, fields: { name: 'type' } },
    { what: 'name too long', patch: { name: 'n'.repeat(101) }, fields: { name: 'too_long' } },
    { what: 'description too long', patch: { description: 'd'.repeat(501) }, fields: { description: 'too_long' } },
    { what: 'description not a string', patch: { description: 5 }, fields: { description: 'type' } },
    { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
  ],
  multiInvalid: {
    body: () => ({ description: 5, colour: 1 }),
    fields: { name: 'required', description: 'type', colour: 'unknown_field' },
  },
  // Teams declare no filterable field, so no filter case.
  nonFilterable: 'name',
  nonSortable: 'description',
  clearable: 'description',
  update: { field: 'description', value: 'Handles the south' },
  invalidUpdate: { body: { description: 5 }, fields: { description: 'type' } },
  extra: groupExtra('teams', 'team_ids', 'team_id'),
});
