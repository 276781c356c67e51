// Projects (issue 12): the generic entity tests (entity-suite.mjs), plus the
// optional client reference and the status choices.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { entitySuite } from './entity-suite.mjs';
import { uniq } from './harness.mjs';

const NO_STAFF = 987654;

entitySuite({
  plural: 'projects',
  entityNames: ['project', 'projects'],
  titleField: 'name',
  async setup(h) {
    const r = await h.admin.req('POST', '/api/v1/clients', { body: { company: uniq('Projects client ') } });
    assert.equal(r.status, 201, r.text);
    h.ctx.clientId = r.body.id;
  },
  valid: (tag, ctx) => ({
    name: `${tag} Website`,
    client_id: ctx.clientId,
    status: 'in_progress',
    start_date: '2026-03-01',
    deadline: '2026-06-30',
    assigned_to: ctx.staffId,
    description: 'A new website.',
  }),
  echo: (body) => body,
  minimal: (tag) => ({ name: tag }),
  defaults: (ctx) => ({ status: 'not_started', owner_id: ctx.adminId }),
  invalid: [
    { what: 'name missing', omit: ['name'], fields: { name: 'required' } },
    { what: 'name too long', patch: { name: 'n'.repeat(201) }, fields: { name: 'too_long' } },
    { what: 'client_id not a client', patch: { client_id: 987654 }, fields: { client_id: 'not_found' } },
    { what: 'status not one of the choices', patch: { status: 'done' }, fields: { status: 'not_allowed' } },
    { what: 'deadline not a date', patch: { deadline: '31/12/2026' }, fields: { deadline: 'invalid' } },
    { what: 'assigned_to a staff id that does not exist', patch: { assigned_to: NO_STAFF }, fields: { assigned_to: 'not_found' } },
    { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
  ],
  multiInvalid: {
    body: () => ({ status: 'x', deadline: 'y', colour: 1 }),
    fields: { name: 'required', status: 'not_allowed', deadline: 'invalid', colour: 'unknown_field' },
  },
  filter: { field: 'status', value: 'on_hold', body: (tag) => ({ name: tag, status: 'on_hold' }) },
  nonFilterable: 'name',
  nonSortable: 'description',
  clearable: 'description',
  update: { field: 'status', value: 'finished' },
  invalidUpdate: { body: { status: 'nope', start_date: 'y' }, fields: { status: 'not_allowed', start_date: 'invalid' } },

  extra(h) {
    it('client_id=<id> lists a client\'s projects', async () => {
      const tag = uniq('pc');
      const p = (await h.create({ name: tag, client_id: h.ctx.clientId })).body;
      await h.create({ name: `${tag} none` });
      const r = await h.list({ q: tag, client_id: h.ctx.clientId });
      assert.deepEqual(r.data.map((x) => x.id), [p.id]);
    });
  },
});
