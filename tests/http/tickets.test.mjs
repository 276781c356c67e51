// Tickets (issue 12): the generic entity tests (entity-suite.mjs), plus the
// thread (a staff reply marks the ticket answered, an internal note changes
// nothing, both in the activity log and the ticket's updated event, every
// invalid field, 404 for a ticket the caller may not see, 401/403) and
// view_own by department.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { entitySuite } from './entity-suite.mjs';
import { addMember, addRole, assertFieldErrors, assertProblem, client, uniq } from './harness.mjs';

const NO_STAFF = 987654;
const REPLIES = '/api/v1/tickets/{id}/replies';

entitySuite({
  plural: 'tickets',
  entityNames: ['ticket', 'tickets'],
  titleField: 'subject',
  async setup(h) {
    const d = await h.admin.req('POST', '/api/v1/departments', { body: { name: uniq('Support ') } });
    assert.equal(d.status, 201, d.text);
    h.ctx.departmentId = d.body.id;
    const c = await h.admin.req('POST', '/api/v1/clients', { body: { company: uniq('Ticket client ') } });
    h.ctx.clientId = c.body.id;
    const ct = await h.admin.req('POST', '/api/v1/contacts', {
      body: { client_id: c.body.id, first_name: 'Ana', email: `${uniq('tc').replace(/\W/g, '')}@example.test` },
    });
    assert.equal(ct.status, 201, ct.text);
    h.ctx.contactId = ct.body.id;
  },
  valid: (tag, ctx) => ({
    subject: `${tag} The saw stopped`,
    department_id: ctx.departmentId,
    contact_id: ctx.contactId,
    client_id: ctx.clientId,
    priority: 'high',
    status: 'in_progress',
    assigned_to: ctx.staffId,
    message: 'It stopped at noon and shows E42.',
  }),
  echo: (body) => body,
  minimal: (tag) => ({ subject: tag }),
  defaults: (ctx) => ({ status: 'open', priority: 'medium', owner_id: ctx.adminId }),
  invalid: [
    { what: 'subject missing', omit: ['subject'], fields: { subject: 'required' } },
    { what: 'subject too long', patch: { subject: 's'.repeat(201) }, fields: { subject: 'too_long' } },
    { what: 'department_id not a department', patch: { department_id: 987654 }, fields: { department_id: 'not_found' } },
    { what: 'contact_id not a contact', patch: { contact_id: 987654 }, fields: { contact_id: 'not_found' } },
    { what: 'status not one of the choices', patch: { status: 'solved' }, fields: { status: 'not_allowed' } },
    { what: 'priority not one of the choices', patch: { priority: 'p1' }, fields: { priority: 'not_allowed' } },
    { what: 'assigned_to a staff id that does not exist', patch: { assigned_to: NO_STAFF }, fields: { assigned_to: 'not_found' } },
    { what: 'message too long', patch: { message: 'm'.repeat(20001) }, fields: { message: 'too_long' } },
    { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
  ],
  multiInvalid: {
    body: () => ({ status: 'x', priority: 'y', contact_id: 'z', colour: 1 }),
    fields: { subject: 'required', status: 'not_allowed', priority: 'not_allowed', contact_id: 'type', colour: 'unknown_field' },
  },
  filter: { field: 'status', value: 'on_hold', body: (tag) => ({ subject: tag, status: 'on_hold' }) },
  nonFilterable: 'subject',
  nonSortable: 'message',
  clearable: 'message',
  update: { field: 'priority', value: 'urgent' },
  invalidUpdate: { body: { status: 'nope', priority: 'y' }, fields: { status: 'not_allowed', priority: 'not_allowed' } },

  extra(h) {
    it('a staff reply answers the ticket; a note changes nothing; both logged and evented; the thread in order', async () => {
      const t = (await h.create({ subject: uniq('thread'), message: 'help' })).body;
      const r1 = await h.admin.req('POST', REPLIES, { params: { id: t.id }, body: { body: 'Looking into it.', internal: true } });
      assert.equal(r1.status, 201, r1.text);
      assert.equal(r1.body.internal, true);
      assert.equal((await h.get(t.id)).body.status, 'open', 'a note leaves the status');
      const r2 = await h.admin.req('POST', REPLIES, { params: { id: t.id }, body: { body: 'Please restart it.' } });
      assert.equal(r2.status, 201, r2.text);
      assert.equal(r2.body.author_id, h.ctx.adminId);
      const now = (await h.get(t.id)).body;
      assert.equal(now.status, 'answered');
      assert.equal(now.version, t.version + 2);
      const th = await h.admin.req('GET', REPLIES, { params: { id: t.id } });
      assert.equal(th.status, 200, th.text);
      assert.deepEqual(th.body.data.map((x) => [x.id, x.internal, x.body]),
        [[r1.body.id, true, 'Looking into it.'], [r2.body.id, false, 'Please restart it.']]);
      assert.equal(th.body.total, 2);
      const pub = await h.admin.req('GET', REPLIES, { params: { id: t.id }, query: { internal: 'false' } });
      assert.deepEqual(pub.body.data.map((x) => x.id), [r2.body.id]);
      const act = await h.admin.req('GET', '/api/v1/activity', { query: { entity: 'ticket', entity_id: t.id } });
      const actions = act.body.data.map((x) => x.action);
      assert.ok(actions.includes('reply') && actions.includes('note'), actions.join());
      const reply = act.body.data.find((x) => x.action === 'reply');
      assert.deepEqual(reply.diff.status, { from: 'open', to: 'answered' });
      const ev = await h.admin.req('GET', '/api/v1/events', { query: { entity: 'ticket', entity_id: t.id, action: 'updated' } });
      assert.ok(ev.body.data.some((e) => e.payload.after.status === 'answered'));
      // A closed ticket stays closed.
      const closed = (await h.create({ subject: uniq('closed'), status: 'closed' })).body;
      await h.admin.req('POST', REPLIES, { params: { id: closed.id }, body: { body: 'One more thing.' } });
      assert.equal((await h.get(closed.id)).body.status, 'closed');
    });

    it('replies: every invalid field, 404 for no ticket, 401 and 403', async () => {
      const t = (await h.create({ subject: uniq('bad') })).body;
      assertFieldErrors(await h.admin.req('POST', REPLIES, { params: { id: t.id }, body: {} }), { body: 'required' });
      assertFieldErrors(await h.admin.req('POST', REPLIES, { params: { id: t.id }, body: { body: '  \n ' } }), { body: 'required' });
      assertFieldErrors(await h.admin.req('POST', REPLIES, {
        params: { id: t.id }, body: { body: 'x'.repeat(20001), internal: 'yes', extra: 1 },
      }), { body: 'too_long', internal: 'type', extra: 'unknown_field' });
      assertProblem(await h.admin.req('POST', REPLIES, { params: { id: 987654 }, body: { body: 'x' } }), 404);
      assertProblem(await h.admin.req('GET', REPLIES, { params: { id: 987654 } }), 404);
      const anon = client(h.srv.base);
      assertProblem(await anon.req('GET', REPLIES, { params: { id: t.id } }), 401);
      assertProblem(await anon.req('POST', REPLIES, { params: { id: t.id }, body: { body: 'x' } }), 401);
      const role = await addRole(h.admin, uniq('Ticket readers '), { tickets: ['view'] });
      const reader = await addMember(h.srv, h.admin, { role_id: role.id }, 'treader');
      assert.equal((await reader.req('GET', REPLIES, { params: { id: t.id } })).status, 200);
      assertProblem(await reader.req('POST', REPLIES, { params: { id: t.id }, body: { body: 'x' } }), 403);
      assertProblem(await h.staff.req('GET', REPLIES, { params: { id: t.id } }), 403);
    });

    it('attachments: upload, list, download as a download only, type from the allowlist; programs refused; delete', async () => {
      const t = (await h.create({ subject: uniq('files') })).body;
      const ATT = '/api/v1/tickets/{id}/attachments';
      const up = (filename, raw, contentType = 'application/octet-stream') => h.admin.req('POST', ATT, {
        params: { id: t.id }, query: filename === undefined ? {} : { filename }, raw, contentType,
      });
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
      const a = await up('scan.png', png, 'image/png');
      assert.equal(a.status, 201, a.text);
      const pdf = await up('Factură martie.pdf', Buffer.from('%PDF-1.4 fake'));
      assert.equal(pdf.status, 201, pdf.text);
      const fakeImg = await up('not-really.png', Buffer.from('<script>alert(1)</script>'), 'image/png');
      assert.equal(fakeImg.status, 201);
      const list = await h.admin.req('GET', ATT, { params: { id: t.id } });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.body.data.map((x) => [x.filename, x.content_type, x.bytes]), [
        ['scan.png', 'image/png', png.length], ['Factură martie.pdf', 'application/pdf', 13],
        ['not-really.png', 'application/octet-stream', 25]]);
      const got = await h.admin.req('GET', '/api/v1/ticket-attachments/{id}', { params: { id: list.body.data[1].id } });
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), 'application/pdf');
      assert.equal(got.headers.get('content-disposition'), "attachment; filename*=UTF-8''Factur%C4%83%20martie.pdf");
      assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
      assert.match(got.headers.get('content-security-policy'), /sandbox/);
      assert.equal(got.text, '%PDF-1.4 fake');
      const fake = await fetch(`${h.srv.base}${list.body.data[2].url}`, { headers: { Cookie: h.admin.cookieHeader() } });
      assert.equal(fake.headers.get('content-type'), 'application/octet-stream', 'not served as an image');
      assertFieldErrors(await up('setup.exe', Buffer.from('hello')), { file: 'invalid' });
      assertFieldErrors(await up('invoice.pdf', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64)])), { file: 'invalid' });
      assertFieldErrors(await up('run.sh', Buffer.from('#!/bin/sh\nrm -rf /\n')), { file: 'invalid' });
      assertFieldErrors(await up('empty.txt', Buffer.alloc(0)), { file: 'invalid' });
      assertFieldErrors(await up(undefined, Buffer.from('x')), { filename: 'required' });
      assertFieldErrors(await up('../../etc/passwd', Buffer.from('x')), { file: 'invalid' });
      // past ATTACH_MAX (10 MiB), the route's own bound: 413
      assertProblem(await up('big.txt', Buffer.alloc(10 * 1024 * 1024 + 1, 65)), 413);
      const act = await h.admin.req('GET', '/api/v1/activity', { query: { entity: 'ticket', entity_id: t.id, action: 'attach' } });
      assert.equal(act.body.data.length, 3);
      const del = await h.admin.req('DELETE', '/api/v1/ticket-attachments/{id}', { params: { id: list.body.data[2].id } });
      assert.equal(del.status, 204, del.text);
      assert.equal((await h.admin.req('GET', ATT, { params: { id: t.id } })).body.data.length, 2);
      assertProblem(await h.admin.req('GET', '/api/v1/ticket-attachments/{id}', { params: { id: list.body.data[2].id } }), 404);
      assertProblem(await client(h.srv.base).req('GET', '/api/v1/ticket-attachments/{id}', { params: { id: list.body.data[0].id } }), 401);
      assertProblem(await h.staff.req('GET', '/api/v1/ticket-attachments/{id}', { params: { id: list.body.data[0].id } }), 403);
      assertProblem(await h.staff.req('GET', ATT, { params: { id: t.id } }), 403);
      assertProblem(await client(h.srv.base).req('POST', ATT, { params: { id: t.id }, query: { filename: 'a.txt' }, raw: 'x' }), 401);
      assertProblem(await h.staff.req('DELETE', '/api/v1/ticket-attachments/{id}', { params: { id: list.body.data[0].id } }), 403);
    });

    it('view_own: a member sees their departments\' tickets and their threads, not the others\'', async () => {
      const role = await addRole(h.admin, uniq('Agents '), { tickets: ['view_own', 'edit'] });
      const agent = await addMember(h.srv, h.admin, { role_id: role.id, department_ids: [h.ctx.departmentId] }, 'agent');
      const ours = (await h.create({ subject: uniq('ours'), department_id: h.ctx.departmentId })).body;
      const theirs = (await h.create({ subject: uniq('theirs') })).body;
      const list = await agent.req('GET', h.COLL, { query: { limit: 200 } });
      const ids = list.body.data.map((x) => x.id);
      assert.ok(ids.includes(ours.id));
      assert.ok(!ids.includes(theirs.id));
      assert.equal((await agent.req('POST', REPLIES, { params: { id: ours.id }, body: { body: 'On it.' } })).status, 201);
      assertProblem(await agent.req('POST', REPLIES, { params: { id: theirs.id }, body: { body: 'x' } }), 404);
      assertProblem(await agent.req('GET', REPLIES, { params: { id: theirs.id } }), 404);
      const file = await h.admin.req('POST', '/api/v1/tickets/{id}/attachments', {
        params: { id: theirs.id }, query: { filename: 'secret.txt' }, raw: 'not for you', contentType: 'text/plain',
      });
      assert.equal(file.status, 201, file.text);
      assertProblem(await agent.req('GET', '/api/v1/ticket-attachments/{id}', { params: { id: file.body.id } }), 404);
      assertProblem(await agent.req('GET', '/api/v1/tickets/{id}/attachments', { params: { id: theirs.id } }), 404);
      assertProblem(await agent.req('POST', '/api/v1/tickets/{id}/attachments', {
        params: { id: theirs.id }, query: { filename: 'x.txt' }, raw: 'x', contentType: 'text/plain',
      }), 404);
    });
  },
});
