// Contacts (issue 12): the generic entity tests (entity-suite.mjs), plus the
// client reference (required, must be a client the caller may see), the
// email unique in the organisation whatever its case, and a client that
// cannot be deleted while contacts refer to it.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { entitySuite } from './entity-suite.mjs';
import { addMember, addRole, assertFieldErrors, assertProblem, uniq } from './harness.mjs';

const NO_STAFF = 987654;
const mail = (tag) => `${String(tag).replace(/[^A-Za-z0-9]/g, '').toLowerCase()}@example.test`;

entitySuite({
  plural: 'contacts',
  entityNames: ['contact', 'contacts'],
  titleField: 'first_name',
  uniqueTitle: true, // the email made from it is unique
  async setup(h) {
    const r = await h.admin.req('POST', '/api/v1/clients', { body: { company: uniq('Contacts client ') } });
    assert.equal(r.status, 201, r.text);
    h.ctx.clientId = r.body.id;
  },
  valid: (tag, ctx) => ({
    client_id: ctx.clientId,
    first_name: `${tag} Ana`,
    last_name: 'Popescu',
    email: mail(`full${tag}`),
    phone: '+40 721 000 111',
    position: 'Purchasing manager',
    is_primary: true,
    notes: 'prefers email',
  }),
  echo: (body) => body,
  minimal: (tag, ctx) => ({ client_id: ctx.clientId, first_name: tag, email: mail(tag) }),
  defaults: (ctx) => ({ is_primary: false, owner_id: ctx.adminId }),
  invalid: [
    { what: 'first_name missing', omit: ['first_name'], fields: { first_name: 'required' } },
    { what: 'client_id missing', omit: ['client_id'], fields: { client_id: 'required' } },
    { what: 'email missing', omit: ['email'], fields: { email: 'required' } },
    { what: 'client_id not a client', patch: { client_id: 987654 }, fields: { client_id: 'not_found' } },
    { what: 'client_id not an integer', patch: { client_id: 'x' }, fields: { client_id: 'type' } },
    { what: 'email not an email', patch: { email: 'nope' }, fields: { email: 'invalid' } },
    { what: 'first_name too long', patch: { first_name: 'n'.repeat(101) }, fields: { first_name: 'too_long' } },
    { what: 'position too long', patch: { position: 'p'.repeat(101) }, fields: { position: 'too_long' } },
    { what: 'is_primary not a boolean', patch: { is_primary: 'yes' }, fields: { is_primary: 'type' } },
    { what: 'owner_id a staff id that does not exist', patch: { owner_id: NO_STAFF }, fields: { owner_id: 'not_found' } },
    { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
  ],
  multiInvalid: {
    body: () => ({ email: 'x', is_primary: 3, colour: 1 }),
    fields: { first_name: 'required', client_id: 'required', email: 'invalid', is_primary: 'type', colour: 'unknown_field' },
  },
  filter: { field: 'position', value: 'CFO', body: (tag, ctx) => ({ client_id: ctx.clientId, first_name: tag, email: mail(tag), position: 'CFO' }) },
  nonFilterable: 'first_name',
  nonSortable: 'notes',
  clearable: 'phone',
  update: { field: 'position', value: 'Director' },
  invalidUpdate: { body: { email: 'nope', is_primary: 'x' }, fields: { email: 'invalid', is_primary: 'type' } },

  extra(h) {
    it('the list answer names the clients its contacts refer to (refs), within the caller\'s view', async () => {
      const c = await h.admin.req('POST', '/api/v1/clients', { body: { company: uniq('Named ') } });
      const tag = uniq('rf');
      await h.create({ client_id: c.body.id, first_name: tag, email: mail(tag) });
      const r = await h.list({ q: tag });
      assert.equal(r.refs.client[String(c.body.id)], c.body.company);
      // A member who may list contacts but not clients gets no titles.
      const role = await addRole(h.admin, uniq('Contacts only '), { contacts: ['view'] });
      const m = await addMember(h.srv, h.admin, { role_id: role.id }, 'refsmember');
      const mr = await m.req('GET', h.COLL, { query: { q: tag } });
      assert.equal(mr.status, 200, mr.text);
      assert.equal(mr.body.data.length, 1);
      assert.equal(mr.body.refs?.client?.[String(c.body.id)], undefined);
      assert.ok(!mr.text.includes(c.body.company));
    });

    it('the email is unique in the organisation whatever its case (422 taken)', async () => {
      const tag = uniq('dup');
      await h.create({ client_id: h.ctx.clientId, first_name: tag, email: mail(tag) });
      const r = await h.admin.req('POST', h.COLL, {
        body: { client_id: h.ctx.clientId, first_name: 'x', email: mail(tag).toUpperCase() },
      });
      assertFieldErrors(r, { email: 'taken' });
    });

    it('client_id=<id> lists a client\'s contacts; the client cannot be deleted while they exist', async () => {
      const c = await h.admin.req('POST', '/api/v1/clients', { body: { company: uniq('Busy ') } });
      const tag = uniq('cc');
      const ct = (await h.create({ client_id: c.body.id, first_name: tag, email: mail(tag) })).body;
      const r = await h.list({ client_id: c.body.id });
      assert.deepEqual(r.data.map((x) => x.id), [ct.id]);
      const del = await h.admin.req('DELETE', '/api/v1/clients/{id}', { params: { id: c.body.id } });
      assertProblem(del, 409);
      assert.match(del.body.detail, /refer to it/);
      assert.equal((await h.admin.req('GET', '/api/v1/clients/{id}', { params: { id: c.body.id } })).status, 200);
    });
  },
});
