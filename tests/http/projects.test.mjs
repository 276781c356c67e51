// Projects (issue 12): the generic entity tests (entity-suite.mjs), plus the
// optional client reference, the status choices, and the members (a staff
// list beside the single project manager): every invalid value, the filter,
// view_own for a member of the project, and offboarding moving a deleted
// member's places on project members and task assignees to the heir (no
// duplicate where the heir is there already), each record logged.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { entitySuite } from './entity-suite.mjs';
import { addMember, addRole, assertFieldErrors, assertProblem, raiseSeats, uniq } from './harness.mjs';

const NO_STAFF = 987654;
const ids = (page) => page.data.map((x) => x.id);

entitySuite({
  plural: 'projects',
  entityNames: ['project', 'projects'],
  titleField: 'name',
  async setup(h) {
    await raiseSeats(h.admin);
    const r = await h.admin.req('POST', '/api/v1/clients', { body: { company: uniq('Projects client ') } });
    assert.equal(r.status, 201, r.text);
    h.ctx.clientId = r.body.id;
    const gone = await h.admin.req('POST', '/api/v1/staff', { body: { email: `${uniq('left')}@example.test`, name: 'Left' } });
    assert.equal(gone.status, 201, gone.text);
    assert.equal((await h.admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: gone.body.id } })).status, 200);
    h.ctx.inactiveId = gone.body.id;
  },
  valid: (tag, ctx) => ({
    name: `${tag} Website`,
    client_id: ctx.clientId,
    status: 'in_progress',
    start_date: '2026-03-01',
    deadline: '2026-06-30',
    assigned_to: ctx.staffId,
    members: [ctx.adminId, ctx.staffId].sort((a, b) => a - b),
    description: 'A new website.',
  }),
  echo: (body) => body,
  minimal: (tag) => ({ name: tag }),
  defaults: (ctx) => ({ status: 'not_started', owner_id: ctx.adminId, members: [], assigned_to: null }),
  invalid: [
    { what: 'name missing', omit: ['name'], fields: { name: 'required' } },
    { what: 'name too long', patch: { name: 'n'.repeat(201) }, fields: { name: 'too_long' } },
    { what: 'client_id not a client', patch: { client_id: 987654 }, fields: { client_id: 'not_found' } },
    { what: 'status not one of the choices', patch: { status: 'done' }, fields: { status: 'not_allowed' } },
    { what: 'deadline not a date', patch: { deadline: '31/12/2026' }, fields: { deadline: 'invalid' } },
    { what: 'assigned_to a staff id that does not exist', patch: { assigned_to: NO_STAFF }, fields: { assigned_to: 'not_found' } },
    { what: 'members not an array', patch: { members: 'all' }, fields: { members: 'type' } },
    { what: 'members with a non-integer id', patch: { members: [1.5] }, fields: { members: 'type' } },
    { what: 'members with a staff id that does not exist', patch: { members: [NO_STAFF] }, fields: { members: 'not_found' } },
    { what: 'members with a deactivated member', body: (ctx, tag) => ({ name: tag, members: [ctx.adminId, ctx.inactiveId] }), fields: { members: 'not_found' } },
    { what: 'members with a member twice', body: (ctx, tag) => ({ name: tag, members: [ctx.adminId, ctx.adminId] }), fields: { members: 'invalid' } },
    { what: 'more than 50 members', body: (ctx, tag) => ({ name: tag, members: Array.from({ length: 51 }, (_, i) => i + 1) }), fields: { members: 'too_long' } },
    { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
  ],
  multiInvalid: {
    body: () => ({ status: 'x', deadline: 'y', members: [0], colour: 1 }),
    fields: { name: 'required', status: 'not_allowed', deadline: 'invalid', members: 'type', colour: 'unknown_field' },
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

    it('members: the manager stays one field; members=ID and =me filter; a member sees the projects they are a member of', async () => {
      const role = await addRole(h.admin, uniq('Own projects '), { projects: ['view_own', 'edit'] });
      const m = await addMember(h.srv, h.admin, { role_id: role.id }, 'projmember');
      const tag = uniq('pm');
      const member = (await h.create({ name: `${tag} member`, members: [m.id, h.ctx.staffId] })).body;
      const managed = (await h.create({ name: `${tag} managed`, assigned_to: m.id, members: [h.ctx.staffId] })).body;
      const both = (await h.create({ name: `${tag} both`, assigned_to: m.id, members: [m.id] })).body;
      const other = (await h.create({ name: `${tag} other`, assigned_to: h.ctx.staffId, members: [h.ctx.adminId] })).body;
      assert.equal(managed.assigned_to, m.id);
      assert.deepEqual(ids(await h.list({ q: tag, members: m.id, sort: 'id' })), [member.id, both.id]);
      assert.deepEqual(ids(await h.list({ q: tag, members: 'me' })), [other.id]);
      assert.deepEqual(ids(await h.list({ q: tag, assigned_to: m.id, sort: 'id' })), [managed.id, both.id]);
      const theirs = await m.req('GET', h.COLL, { query: { q: tag, sort: 'id' } });
      assert.equal(theirs.status, 200, theirs.text);
      assert.deepEqual(ids(theirs.body), [member.id, managed.id, both.id], 'as member, as manager, as both: once each');
      assertProblem(await m.req('GET', h.ITEM, { params: { id: other.id } }), 404, 'not-found');
      const got = await m.req('GET', h.ITEM, { params: { id: member.id } });
      assert.equal(got.status, 200, got.text);
      assert.deepEqual(got.body.members, [m.id, h.ctx.staffId].sort((a, b) => a - b));
      // A member may edit the list of a project they see (the role allows edit).
      const up = await m.req('PATCH', h.ITEM, {
        params: { id: member.id }, body: { members: [m.id, h.ctx.staffId, h.ctx.adminId] }, headers: { 'If-Match': `"${member.version}"` },
      });
      assert.equal(up.status, 200, up.text);
      assert.equal(up.body.members.length, 3);
      // The meta describes the field for the UI.
      const meta = await m.req('GET', '/api/v1/meta/entities');
      const f = meta.body.data.find((e) => e.name === 'project').fields.find((x) => x.name === 'members');
      assert.equal(f.type, 'staff_list');
      assert.equal(f.max, 50);
      assert.equal(f.filterable, true);
      assert.equal(f.sortable, false);
    });

    it('offboarding: a deleted member\'s places on project members and task assignees go to the heir, once, each record logged', async () => {
      const gone = await addMember(h.srv, h.admin, {}, 'leaver');
      const heir = await addMember(h.srv, h.admin, {}, 'heir');
      const tag = uniq('off');
      const s = h.ctx.staffId;
      const p1 = (await h.create({ name: `${tag} 1`, members: [gone.id, s] })).body;
      const p2 = (await h.create({ name: `${tag} 2`, members: [gone.id, heir.id] })).body; // heir there already
      const p3 = (await h.create({ name: `${tag} 3`, members: [s] })).body;
      const task = async (assignees) => {
        const r = await h.admin.req('POST', '/api/v1/tasks', { body: { subject: `${tag} task`, assignees } });
        assert.equal(r.status, 201, r.text);
        return r.body;
      };
      const t1 = await task([gone.id]);
      const t2 = await task([heir.id, gone.id, s]);
      const t3 = await task([s]);
      const del = await h.admin.req('DELETE', '/api/v1/staff/{id}', { params: { id: gone.id }, query: { reassign_to: heir.id } });
      assert.equal(del.status, 200, del.text);
      assert.equal(del.body.reassigned.project.members, 2);
      assert.equal(del.body.reassigned.task.assignees, 2);
      const sorted = (a) => [...a].sort((x, y) => x - y);
      const proj = async (p) => (await h.get(p.id)).body;
      const tk = async (t) => (await h.admin.req('GET', '/api/v1/tasks/{id}', { params: { id: t.id } })).body;
      assert.deepEqual((await proj(p1)).members, sorted([heir.id, s]));
      assert.deepEqual((await proj(p2)).members, [heir.id], 'no duplicate: the heir was there');
      assert.deepEqual(await proj(p3), p3, 'others untouched');
      assert.deepEqual((await tk(t1)).assignees, [heir.id]);
      assert.deepEqual((await tk(t2)).assignees, sorted([heir.id, s]));
      assert.deepEqual(await tk(t3), t3);
      assert.equal((await proj(p1)).version, p1.version + 1, 'the version moved on');
      // One activity row per record moved, with the list before and after.
      const rows = async (entity, id) => (await h.admin.req('GET', '/api/v1/activity', {
        query: { entity, entity_id: id, action: 'reassign' },
      })).body.data;
      assert.deepEqual((await rows('project', p2.id)).map((x) => x.diff), [{ members: { from: sorted([gone.id, heir.id]), to: [heir.id] } }]);
      assert.deepEqual((await rows('task', t2.id)).map((x) => x.diff),
        [{ assignees: { from: sorted([heir.id, gone.id, s]), to: sorted([heir.id, s]) } }]);
      assert.deepEqual(await rows('task', t3.id), []);
      // The leaver is on no list any more.
      const filtered = await h.list({ q: tag, members: gone.id });
      assert.equal(filtered.total, 0);
    });
  },
});
