// Tasks (issue 12): the generic entity tests (entity-suite.mjs), plus the
// related record (rel_type and rel_id together; a record that does not
// exist and one the caller may not see get the same 422), and the
// assignees, a staff list (FT_STAFF_LIST): every invalid value, a set (order
// does not matter, no diff), "my tasks" (assignees=me) and overdue tasks as
// list filters, the diff in the activity entry and the event payloads,
// view_own through the list (each assignee and their department
// colleagues, once each, across pages), and a deactivated assignee kept.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entitySuite } from './entity-suite.mjs';
import {
  addMember, addRole, adminClient, assertFieldErrors, assertProblem, raiseSeats, startServer, uniq,
} from './harness.mjs';

const NO_STAFF = 987654;
const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
const ids = (page) => page.data.map((x) => x.id);

entitySuite({
  plural: 'tasks',
  entityNames: ['task', 'tasks'],
  titleField: 'subject',
  async setup(h) {
    await raiseSeats(h.admin);
    const r = await h.admin.req('POST', '/api/v1/leads', { body: { name: uniq('Task lead ') } });
    assert.equal(r.status, 201, r.text);
    h.ctx.leadId = r.body.id;
    // A member who has left: deactivated, never assignable again.
    const gone = await h.admin.req('POST', '/api/v1/staff', { body: { email: `${uniq('left')}@example.test`, name: 'Left' } });
    assert.equal(gone.status, 201, gone.text);
    const d = await h.admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: gone.body.id } });
    assert.equal(d.status, 200, d.text);
    h.ctx.inactiveId = gone.body.id;
  },
  valid: (tag, ctx) => ({
    subject: `${tag} Call back`,
    status: 'in_progress',
    priority: 'high',
    start_date: '2026-12-01',
    due_date: '2026-12-10',
    assignees: [ctx.adminId, ctx.staffId].sort((a, b) => a - b),
    rel_type: 'lead',
    rel_id: ctx.leadId,
    description: 'Ask about the second line.',
  }),
  echo: (body) => body,
  minimal: (tag) => ({ subject: tag }),
  defaults: (ctx) => ({ status: 'not_started', priority: 'medium', owner_id: ctx.adminId, assignees: [] }),
  invalid: [
    { what: 'subject missing', omit: ['subject'], fields: { subject: 'required' } },
    { what: 'subject too long', patch: { subject: 's'.repeat(201) }, fields: { subject: 'too_long' } },
    { what: 'status not one of the choices', patch: { status: 'done' }, fields: { status: 'not_allowed' } },
    { what: 'priority not one of the choices', patch: { priority: 'asap' }, fields: { priority: 'not_allowed' } },
    { what: 'due_date not a date', patch: { due_date: 'tomorrow' }, fields: { due_date: 'invalid' } },
    { what: 'assignees not an array', patch: { assignees: 3 }, fields: { assignees: 'type' } },
    { what: 'assignees an object', patch: { assignees: { id: 3 } }, fields: { assignees: 'type' } },
    { what: 'assignees with a string id', patch: { assignees: ['3'] }, fields: { assignees: 'type' } },
    { what: 'assignees with a zero id', patch: { assignees: [0] }, fields: { assignees: 'type' } },
    { what: 'assignees with a staff id that does not exist', body: (ctx, tag) => ({ subject: tag, assignees: [ctx.staffId, NO_STAFF] }), fields: { assignees: 'not_found' } },
    { what: 'assignees with a deactivated member', body: (ctx, tag) => ({ subject: tag, assignees: [ctx.inactiveId] }), fields: { assignees: 'not_found' } },
    { what: 'assignees with a member twice', body: (ctx, tag) => ({ subject: tag, assignees: [ctx.staffId, ctx.staffId] }), fields: { assignees: 'invalid' } },
    { what: 'more than 20 assignees', body: (ctx, tag) => ({ subject: tag, assignees: Array.from({ length: 21 }, (_, i) => i + 1) }), fields: { assignees: 'too_long' } },
    { what: 'assigned_to (replaced by assignees)', patch: { assigned_to: 1 }, fields: { assigned_to: 'unknown_field' } },
    { what: 'rel_type not an entity tasks relate to', patch: { rel_type: 'staff' }, fields: { rel_type: 'not_allowed' } },
    { what: 'rel_id without rel_type', omit: ['rel_type'], fields: { rel_type: 'required' } },
    { what: 'rel_type without rel_id', omit: ['rel_id'], fields: { rel_id: 'required' } },
    { what: 'rel_id of no such lead', patch: { rel_id: 987654 }, fields: { rel_id: 'not_found' } },
    { what: 'rel_id not an integer', patch: { rel_id: 'x' }, fields: { rel_id: 'type' } },
    { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
  ],
  multiInvalid: {
    body: () => ({ status: 'x', priority: 'y', due_date: 'z', assignees: 'me', colour: 1 }),
    fields: { subject: 'required', status: 'not_allowed', priority: 'not_allowed', due_date: 'invalid', assignees: 'type', colour: 'unknown_field' },
  },
  filter: { field: 'priority', value: 'urgent', body: (tag) => ({ subject: tag, priority: 'urgent' }) },
  nonFilterable: 'subject',
  nonSortable: 'assignees',
  clearable: 'description',
  update: { field: 'status', value: 'complete' },
  invalidUpdate: { body: { status: 'nope', due_date: 'y', assignees: [987654] }, fields: { status: 'not_allowed', due_date: 'invalid', assignees: 'not_found' } },

  extra(h) {
    const patch = (rec, body) => h.admin.req('PATCH', h.ITEM, { params: { id: rec.id }, body, headers: { 'If-Match': `"${rec.version}"` } });

    describe('assignees', () => {
      it('a set of members: any order in, ascending out, the same set again is no change', async () => {
        const [a, s] = [h.ctx.adminId, h.ctx.staffId];
        const t = (await h.create({ subject: uniq('set'), assignees: [s, a] })).body;
        assert.deepEqual(t.assignees, [a, s].sort((x, y) => x - y));
        assert.deepEqual((await h.get(t.id)).body.assignees, t.assignees);
        const same = await patch(t, { assignees: [...t.assignees].reverse() });
        assert.equal(same.status, 200, same.text);
        assert.equal(same.body.version, t.version, 'the same set: nothing written');
        const cleared = await patch(t, { assignees: null });
        assert.equal(cleared.status, 200, cleared.text);
        assert.deepEqual(cleared.body.assignees, []);
        assert.equal(cleared.body.version, t.version + 1);
        const empty = await patch(cleared.body, { assignees: [] });
        assert.equal(empty.body.version, cleared.body.version, '[] after null: no change');
      });

      it('a change is diffed in the activity entry and carried by the event payloads', async () => {
        const [a, s] = [h.ctx.adminId, h.ctx.staffId];
        const t = (await h.create({ subject: uniq('diff'), assignees: [a] })).body;
        const up = await patch(t, { assignees: [a, s] });
        assert.equal(up.status, 200, up.text);
        assert.deepEqual(up.body.assignees, [a, s].sort((x, y) => x - y));
        const act = await h.admin.req('GET', '/api/v1/activity', { query: { entity: 'task', entity_id: t.id } });
        const byAction = (x) => act.body.data.find((e) => e.action === x);
        assert.deepEqual(byAction('create').diff.assignees, { to: [a] });
        assert.deepEqual(byAction('update').diff, { assignees: { from: [a], to: up.body.assignees } },
          'the update names only the list');
        // One entry resolves the staff ids of the list to names.
        const one = await h.admin.req('GET', '/api/v1/activity/{id}', { params: { id: byAction('update').id } });
        assert.equal(one.status, 200, one.text);
        assert.equal(one.body.names.staff[String(s)], h.staff.me.name);
        const ev = await h.admin.req('GET', '/api/v1/events', { query: { entity: 'task', entity_id: t.id } });
        assert.equal(ev.status, 200, ev.text);
        const created = ev.body.data.find((e) => e.action === 'created');
        const updated = ev.body.data.find((e) => e.action === 'updated');
        assert.deepEqual(created.payload.after.assignees, [a]);
        assert.deepEqual(updated.payload.before.assignees, [a]);
        assert.deepEqual(updated.payload.after.assignees, up.body.assignees);
        const del = await h.admin.req('DELETE', h.ITEM, { params: { id: t.id } });
        assert.equal(del.status, 204);
        const ev2 = await h.admin.req('GET', '/api/v1/events', { query: { entity: 'task', entity_id: t.id } });
        assert.deepEqual(ev2.body.data.find((e) => e.action === 'deleted').payload.before.assignees, up.body.assignees);
        const act2 = await h.admin.req('GET', '/api/v1/activity', { query: { entity: 'task', entity_id: t.id, action: 'delete' } });
        assert.deepEqual(act2.body.data[0].diff.assignees, { from: up.body.assignees });
      });

      it('a member deactivated since stays on the list until removed; adding one is refused', async () => {
        const m = await addMember(h.srv, h.admin, {}, 'leaving');
        const t = (await h.create({ subject: uniq('kept'), assignees: [m.id, h.ctx.staffId] })).body;
        const off = await h.admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: m.id } });
        assert.equal(off.status, 200, off.text);
        const other = await patch(t, { status: 'testing' });
        assert.equal(other.status, 200, other.text);
        assert.ok(other.body.assignees.includes(m.id), 'still listed');
        const resent = await patch(other.body, { assignees: [m.id, h.ctx.staffId, h.ctx.adminId] });
        assert.equal(resent.status, 200, resent.text);
        assert.ok(resent.body.assignees.includes(m.id));
        const added = await patch(resent.body, { assignees: [...resent.body.assignees, h.ctx.inactiveId] });
        assertFieldErrors(added, { assignees: 'not_found' });
        assert.match(added.body.errors[0].detail, new RegExp(String(h.ctx.inactiveId)));
        const onNew = await h.admin.req('POST', h.COLL, { body: { subject: uniq('x'), assignees: [m.id] } });
        assertFieldErrors(onNew, { assignees: 'not_found' });
        const removed = await patch(resent.body, { assignees: [h.ctx.staffId] });
        assert.deepEqual(removed.body.assignees, [h.ctx.staffId]);
      });

      it('filters: assignees=ID, =me, [in], [ne], [empty]; every other operator and value is 400', async () => {
        const tag = uniq('flt');
        const [a, s] = [h.ctx.adminId, h.ctx.staffId];
        const both = (await h.create({ subject: `${tag} both`, assignees: [a, s] })).body;
        const staffOnly = (await h.create({ subject: `${tag} staff`, assignees: [s] })).body;
        const adminOnly = (await h.create({ subject: `${tag} admin`, assignees: [a] })).body;
        const nobody = (await h.create({ subject: `${tag} none` })).body;
        const q = async (query) => ids(await h.list({ q: tag, sort: 'id', ...query }));
        assert.deepEqual(await q({ assignees: s }), [both.id, staffOnly.id]);
        assert.deepEqual(await q({ assignees: 'me' }), [both.id, adminOnly.id], 'me: the caller (the admin)');
        assert.deepEqual(await q({ 'assignees[in]': `${NO_STAFF},${s}` }), [both.id, staffOnly.id]);
        assert.deepEqual(await q({ 'assignees[in]': `me,${s}` }), [both.id, staffOnly.id, adminOnly.id]);
        assert.deepEqual(await q({ 'assignees[ne]': s }), [adminOnly.id, nobody.id]);
        assert.deepEqual(await q({ 'assignees[empty]': 'true' }), [nobody.id]);
        assert.deepEqual(await q({ 'assignees[empty]': 'false' }), [both.id, staffOnly.id, adminOnly.id]);
        assert.equal((await h.list({ q: tag, assignees: s })).total, 2, 'count=true counts the filtered rows');
        for (const query of [{ assignees: 'abc' }, { 'assignees[gt]': '1' }, { 'assignees[contains]': '1' },
          { 'assignees[empty]': 'maybe' }, { sort: 'assignees' }, { assigned_to: s }]) {
          const r = await h.admin.req('GET', h.COLL, { query });
          assertProblem(r, 400, 'malformed');
        }
      });

      it('my tasks and overdue tasks are list filters', async () => {
        const tag = uniq('mine');
        const s = h.ctx.staffId;
        const mine = (await h.create({ subject: `${tag} a`, assignees: [s], due_date: day(-3) })).body;
        const shared = (await h.create({ subject: `${tag} b`, assignees: [h.ctx.adminId, s], due_date: day(-2) })).body;
        const done = (await h.create({ subject: `${tag} c`, assignees: [s], due_date: day(-3), status: 'complete' })).body;
        const later = (await h.create({ subject: `${tag} d`, assignees: [s], due_date: day(3) })).body;
        await h.create({ subject: `${tag} e`, assignees: [h.ctx.adminId], due_date: day(-3) });
        const my = await h.list({ q: tag, assignees: s, sort: 'id' });
        assert.deepEqual(ids(my), [mine.id, shared.id, done.id, later.id]);
        const overdue = await h.list({ q: tag, assignees: s, 'due_date[lt]': day(0), 'status[ne]': 'complete', sort: 'due_date' });
        assert.deepEqual(ids(overdue), [mine.id, shared.id]);
        // The staff member's own "my tasks", as one address for everyone.
        const role = await addRole(h.admin, uniq('Own tasks '), { tasks: ['view_own'] });
        const m = await addMember(h.srv, h.admin, { role_id: role.id }, 'mytasks');
        const t1 = (await h.create({ subject: `${tag} m1`, assignees: [m.id, h.ctx.adminId], due_date: day(-1) })).body;
        const t2 = (await h.create({ subject: `${tag} m2`, assignees: [m.id], due_date: day(5) })).body;
        const theirs = await m.req('GET', h.COLL, { query: { assignees: 'me', sort: 'id' } });
        assert.equal(theirs.status, 200, theirs.text);
        assert.deepEqual(ids(theirs.body), [t1.id, t2.id]);
        const late = await m.req('GET', h.COLL, { query: { assignees: 'me', 'due_date[lt]': day(0), 'status[ne]': 'complete' } });
        assert.deepEqual(ids(late.body), [t1.id]);
      });
    });

    describe('view_own through the assignees', () => {
      it('a member sees the tasks they are one of the assignees of (and their department colleagues\'), each once, across pages', async () => {
        const dept = await h.admin.req('POST', '/api/v1/departments', { body: { name: uniq('Ops ') } });
        assert.equal(dept.status, 201, dept.text);
        const role = await addRole(h.admin, uniq('Own tasks '), { tasks: ['view_own', 'edit'], activity: ['view'] });
        const m = await addMember(h.srv, h.admin, { role_id: role.id, department_ids: [dept.body.id] }, 'assignee');
        const peer = await addMember(h.srv, h.admin, { department_ids: [dept.body.id] }, 'peer');
        const stranger = await addMember(h.srv, h.admin, {}, 'stranger');
        const tag = uniq('vo');
        const mk = async (extra) => (await h.create({ subject: `${tag} ${uniq('t')}`, ...extra })).body;
        const seen = [
          await mk({ assignees: [m.id] }),
          await mk({ assignees: [stranger.id, m.id] }),
          await mk({ assignees: [m.id, peer.id] }), // two arms would give it twice
          await mk({ assignees: [peer.id] }), // a colleague's
          await mk({ assignees: [m.id], owner_id: m.id }), // owner and assignee
          await mk({ owner_id: m.id }), // owned only
          await mk({ owner_id: peer.id, assignees: [m.id, peer.id] }),
        ];
        const unseen = [await mk({ assignees: [stranger.id] }), await mk({}), await mk({ assignees: [h.ctx.adminId] })];
        const want = seen.map((x) => x.id).sort((a, b) => b - a);
        // Every page size and the cursor: each task once, newest first.
        for (const limit of [1, 2, 3, 50]) {
          const got = [];
          let cursor = null;
          for (let i = 0; i < 20; i++) {
            const r = await m.req('GET', h.COLL, { query: { q: tag, limit, ...(cursor ? { cursor } : {}) } });
            assert.equal(r.status, 200, r.text);
            got.push(...ids(r.body));
            cursor = r.body.next_cursor;
            if (!cursor) break;
          }
          assert.deepEqual(got, want, `limit ${limit}`);
        }
        const all = await m.req('GET', h.COLL, { query: { limit: 200 } });
        for (const u of unseen) assert.ok(!ids(all.body).includes(u.id), `not ${u.subject}`);
        const counted = await m.req('GET', h.COLL, { query: { q: tag, count: 'true' } });
        assert.equal(counted.body.total, seen.length);
        // Other sorts, and the scope with a filter on the list.
        const bySubject = await m.req('GET', h.COLL, { query: { q: tag, sort: 'subject', limit: 200 } });
        assert.deepEqual([...ids(bySubject.body)].sort((a, b) => b - a), want);
        const peerOnes = await m.req('GET', h.COLL, { query: { q: tag, assignees: peer.id, sort: 'id' } });
        assert.deepEqual(ids(peerOnes.body), [seen[2].id, seen[3].id, seen[6].id]);
        // By id: seen ones 200 (and editable), the others 404.
        for (const x of seen) assert.equal((await m.req('GET', h.ITEM, { params: { id: x.id } })).status, 200);
        for (const x of unseen) assertProblem(await m.req('GET', h.ITEM, { params: { id: x.id } }), 404, 'not-found');
        // The activity log follows the same scope.
        const log = async (x) => (await m.req('GET', '/api/v1/activity', { query: { entity: 'task', entity_id: x.id } })).body.data;
        assert.equal((await log(seen[1])).length, 1, 'the create entry of a task they are on');
        assert.equal((await log(seen[3])).length, 1, 'and of a colleague\'s');
        assert.deepEqual(await log(unseen[0]), [], 'none of a task they are not on');
        const edit = await m.req('PATCH', h.ITEM, { params: { id: seen[1].id }, body: { status: 'testing' }, headers: { 'If-Match': `"${seen[1].version}"` } });
        assert.equal(edit.status, 200, edit.text);
        // Taken off the list: gone from their view.
        const off = await patch(edit.body, { assignees: [stranger.id] });
        assert.equal(off.status, 200, off.text);
        assertProblem(await m.req('GET', h.ITEM, { params: { id: seen[1].id } }), 404, 'not-found');
        // The stranger sees nothing without a role.
        assertProblem(await stranger.req('GET', h.COLL), 403, 'forbidden');
      });
    });

    it('migration 0027 moves each task\'s assigned_to into its assignees and drops the column', async () => {
      const srv = await startServer();
      try {
        const admin = await adminClient(srv);
        const other = await admin.req('POST', '/api/v1/staff', { body: { email: `${uniq('mig')}@example.test`, name: 'Mig' } });
        assert.equal(other.status, 201, other.text);
        const mk = async (subject) => (await admin.req('POST', '/api/v1/tasks', { body: { subject } })).body;
        const [t1, t2, t3] = [await mk('one'), await mk('two'), await mk('none')];
        await srv.kill();
        // The schema as 0026 left it, with assignees in the old column.
        const back = srv.pg
          ? `ALTER TABLE task ADD COLUMN assigned_to BIGINT REFERENCES staff(id);
             CREATE INDEX task_assigned ON task(org_id, assigned_to, id);
             DROP TABLE task_assignees; DROP TABLE project_members;`
          : `ALTER TABLE task ADD COLUMN assigned_to INTEGER REFERENCES staff(id);
             CREATE INDEX task_assigned ON task(org_id, assigned_to);
             DROP TABLE task_assignees; DROP TABLE project_members;`;
        const rw = srv.sql(`${back}
          UPDATE task SET assigned_to = ${admin.me.id} WHERE id = ${t1.id};
          UPDATE task SET assigned_to = ${other.body.id} WHERE id = ${t2.id};
          DELETE FROM schema_migrations WHERE version = '0027_members';`);
        assert.equal(rw.status, 0, rw.stderr);
        const m = srv.cli(['migrate']);
        assert.equal(m.status, 0, m.stderr);
        await srv.restart();
        const again = await adminClient(srv); // a new port
        const get = async (t) => (await again.req('GET', '/api/v1/tasks/{id}', { params: { id: t.id } })).body;
        const [g1, g2, g3] = [await get(t1), await get(t2), await get(t3)];
        assert.deepEqual([g1.assignees, g2.assignees, g3.assignees], [[admin.me.id], [other.body.id], []]);
        assert.ok(!('assigned_to' in g1), 'the old field is gone');
        const mine = await again.req('GET', '/api/v1/tasks', { query: { assignees: 'me' } });
        assert.deepEqual(ids(mine.body), [t1.id]);
        assert.notEqual(srv.sql('SELECT assigned_to FROM task').status, 0, 'the column is dropped');
      } finally {
        await srv.stop();
      }
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
      const ok = await m.req('POST', h.COLL, { body: { subject: uniq('linked'), rel_type: 'lead', rel_id: mine.body.id, assignees: [m.id] } });
      assert.equal(ok.status, 201, ok.text);
      const list = await h.list({ rel_type: 'lead', rel_id: mine.body.id });
      assert.deepEqual(ids(list), [ok.body.id]);
      // The list names the records its tasks are about, within the caller's view.
      assert.equal(list.refs.lead[String(mine.body.id)], mine.body.name);
      const c = await h.admin.req('POST', '/api/v1/clients', { body: { company: uniq('Linked Co ') } });
      const tc = (await h.create({ subject: uniq('about a client'), rel_type: 'client', rel_id: c.body.id, assignees: [m.id] })).body;
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
