// Tasks (issue 12): the generic entity tests (entity-suite.mjs), plus the
// related record (rel_type and rel_id together; a record that does not
// exist and one the caller may not see get the same 422), "my tasks" and
// overdue tasks as list filters.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { entitySuite } from './entity-suite.mjs';
import { addMember, addRole, assertFieldErrors, uniq } from './harness.mjs';

const NO_STAFF = 987654;
const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

entitySuite({
  plural: 'tasks',
  entityNames: ['task', 'tasks'],
  titleField: 'subject',
  async setup(h) {
    const r = await h.admin.req('POST', '/api/v1/leads', { body: { name: uniq('Task lead ') } });
    assert.equal(r.status, 201, r.text);
    h.ctx.leadId = r.body.id;
  },
  valid: (tag, ctx) => ({
    subject: `${tag} Call back`,
    status: 'in_progress',
    priority: 'high',
    start_date: '2026-12-01',
    due_date: '2026-12-10',
    assigned_to: ctx.staffId,
    rel_type: 'lead',
    rel_id: ctx.leadId,
    description: 'Ask about the second line.',
  }),
  echo: (body) => body,
  minimal: (tag) => ({ subject: tag }),
  defaults: (ctx) => ({ status: 'not_started', priority: 'medium', owner_id: ctx.adminId }),
  invalid: [
    { what: 'subject missing', omit: ['subject'], fields: { subject: 'required' } },
    { what: 'subject too long', patch: { subject: 's'.repeat(201) }, fields: { subject: 'too_long' } },
    { what: 'status not one of the choices', patch: { status: 'done' }, fields: { status: 'not_allowed' } },
    { what: 'priority not one of the choices', patch: { priority: 'asap' }, fields: { priority: 'not_allowed' } },
    { what: 'due_date not a date', patch: { due_date: 'tomorrow' }, fields: { due_date: 'invalid' } },
    { what: 'assigned_to a staff id that does not exist', patch: { assigned_to: NO_STAFF }, fields: { assigned_to: 'not_found' } },
    { what: 'rel_type not an entity tasks relate to', patch: { rel_type: 'staff' }, fields: { rel_type: 'not_allowed' } },
    { what: 'rel_id without rel_type', omit: ['rel_type'], fields: { rel_type: 'required' } },
    { what: 'rel_type without rel_id', omit: ['rel_id'], fields: { rel_id: 'required' } },
    { what: 'rel_id of no such lead', patch: { rel_id: 987654 }, fields: { rel_id: 'not_found' } },
    { what: 'rel_id not an integer', patch: { rel_id: 'x' }, fields: { rel_id: 'type' } },
    { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
  ],
  multiInvalid: {
    body: () => ({ status: 'x', priority: 'y', due_date: 'z', colour: 1 }),
    fields: { subject: 'required', status: 'not_allowed', priority: 'not_allowed', due_date: 'invalid', colour: 'unknown_field' },
  },
  filter: { field: 'priority', value: 'urgent', body: (tag) => ({ subject: tag, priority: 'urgent' }) },
  nonFilterable: 'subject',
  nonSortable: 'description',
  clearable: 'description',
  update: { field: 'status', value: 'complete' },
  invalidUpdate: { body: { status: 'nope', due_date: 'y' }, fields: { status: 'not_allowed', due_date: 'invalid' } },

  extra(h) {
    it('my tasks and overdue tasks are list filters', async () => {
      const tag = uniq('mine');
      const mine = (await h.create({ subject: `${tag} a`, assigned_to: h.ctx.staffId, due_date: day(-3) })).body;
      const done = (await h.create({ subject: `${tag} b`, assigned_to: h.ctx.staffId, due_date: day(-3), status: 'complete' })).body;
      const later = (await h.create({ subject: `${tag} c`, assigned_to: h.ctx.staffId, due_date: day(3) })).body;
      await h.create({ subject: `${tag} d`, assigned_to: h.ctx.adminId, due_date: day(-3) });
      const my = await h.list({ q: tag, assigned_to: h.ctx.staffId, sort: 'id' });
      assert.deepEqual(my.data.map((x) => x.id), [mine.id, done.id, later.id]);
      const overdue = await h.list({ q: tag, assigned_to: h.ctx.staffId, 'due_date[lt]': day(0), 'status[ne]': 'complete' });
      assert.deepEqual(overdue.data.map((x) => x.id), [mine.id]);
    });

    it('a record the caller may not see cannot be linked, with the same answer as one that does not exist', async () => {
      const role = await addRole(h.admin, uniq('Own tasks '), { tasks: ['view_own', 'create', 'edit'], leads: ['view_own'] });
      const m = await addMember(h.srv, h.admin, { role_id: role.id }, 'taskmember');
      const other = await h.admin.req('POST', '/api/v1/leads', { body: { name: uniq('Not theirs ') } });
      const own = await m.req('POST', '/api/v1/leads', { body: { name: uniq('Theirs ') } });
      assert.equal(own.status, 403, 'a view_own role without leads.create');
      const hidden = await m.req('POST', h.COLL, { body: { subject: 'x', rel_type: 'lead', rel_id: other.body.id } });
      const missing = await m.req('POST', h.COLL, { body: { subject: 'x', rel_type: 'lead', rel_id: 987654 } });
      assertFieldErrors(hidden, { rel_id: 'not_found' });
      assertFieldErrors(missing, { rel_id: 'not_found' });
      assert.equal(hidden.body.errors[0].detail.replace(String(other.body.id), 'N'), missing.body.errors[0].detail.replace('987654', 'N'));
      const mine = await h.admin.req('POST', '/api/v1/leads', { body: { name: uniq('Given '), assigned_to: m.id } });
      const ok = await m.req('POST', h.COLL, { body: { subject: uniq('linked'), rel_type: 'lead', rel_id: mine.body.id } });
      assert.equal(ok.status, 201, ok.text);
      const list = await h.list({ rel_type: 'lead', rel_id: mine.body.id });
      assert.deepEqual(list.data.map((x) => x.id), [ok.body.id]);
      // The list names the records its tasks are about, within the caller's view.
      assert.equal(list.refs.lead[String(mine.body.id)], mine.body.name);
      const c = await h.admin.req('POST', '/api/v1/clients', { body: { company: uniq('Linked Co ') } });
      const tc = (await h.create({ subject: uniq('about a client'), rel_type: 'client', rel_id: c.body.id, assigned_to: m.id })).body;
      const both = await h.list({ 'rel_type[in]': 'lead,client', 'rel_id[in]': `${mine.body.id},${c.body.id}` });
      assert.equal(both.refs.client[String(c.body.id)], c.body.company);
      assert.equal(both.refs.lead[String(mine.body.id)], mine.body.name);
      // The member sees the task (assigned) but not the client: its id only.
      const theirs = await m.req('GET', h.COLL, { query: { limit: 200 } });
      assert.ok(theirs.body.data.some((x) => x.id === tc.id));
      assert.ok(!JSON.stringify(theirs.body.refs || {}).includes(c.body.company), 'no title of a client they may not see');
    });
  },
});
