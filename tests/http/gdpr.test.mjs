// GDPR (/admin/gdpr, /api/v1/gdpr): the register of rights requests (a
// registry entity), its deadlines and the warning, the access/portability
// export (a zip made on the job runner), and erasure end to end: the
// personal fields replaced, the activity log's personal parts erased with
// `atrium audit verify` still passing, and on SQLite the database file, its
// WAL and the server's log searched for the erased values.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq, waitFor, addRole, addMember,
} from './harness.mjs';

const COLL = '/api/v1/gdpr';
const ITEM = '/api/v1/gdpr/{id}';
const EXPORT = '/api/v1/gdpr/{id}/export';
const ERASE = '/api/v1/gdpr/{id}/erase';

const day = (offset = 0) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

describe('GDPR rights requests', () => {
  let srv;
  let admin;
  let staff;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
  });
  after(async () => { await srv?.stop(); });

  async function add(body, c = admin) {
    const r = await c.req('POST', COLL, { body: { type: 'access', subject_email: `${uniq('s')}@example.test`, ...body } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }
  async function reauth(c = admin) {
    const r = await c.req('POST', '/api/v1/auth/reauth', { body: { password: srv.admin.password } });
    assert.equal(r.status, 200, r.text);
  }
  const force = (task) => {
    const u = srv.sql(`UPDATE sched_task SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE name = '${task}'`);
    assert.equal(u.status, 0, u.stderr);
  };
  const lastRun = async (task) => (await admin.req('GET', '/api/v1/scheduler')).body.tasks?.find((t) => t.name === task)?.last_run_at;
  async function runTask(task) {
    await waitFor(async () => (await lastRun(task)) !== undefined || (await admin.req('GET', '/api/v1/scheduler')).body.tasks?.some((t) => t.name === task),
      { what: `the ${task} task row` });
    const was = await lastRun(task);
    force(task);
    await waitFor(async () => { const l = await lastRun(task); return l && l !== was; }, { timeout: 20000, what: `${task} ran` });
  }

  describe('the register', () => {
    it('creates a request with its legal deadline 30 days after receipt, and documents it', async () => {
      const subject = `${uniq('reg')}@example.test`;
      const r = await admin.req('POST', COLL, { body: { type: 'portability', subject_email: subject, received_on: day(-3), notes: 'by post' } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.type, 'portability');
      assert.equal(r.body.status, 'received');
      assert.equal(r.body.received_on, day(-3));
      assert.equal(r.body.deadline, day(27));
      assert.equal(r.body.processed_at, null);
      const g = await admin.req('GET', ITEM, { params: { id: r.body.id } });
      assert.equal(g.status, 200);
      assert.equal(g.body.subject_email, subject);
      // The activity entry of the creation.
      const a = await admin.req('GET', '/api/v1/activity', { query: { entity: 'gdpr_request', entity_id: r.body.id } });
      assert.equal(a.status, 200, a.text);
      assert.ok(a.body.data.some((x) => x.action === 'create'), a.text);
    });

    it('received_on defaults to today; the deadline follows a changed date', async () => {
      const rec = await add({});
      assert.equal(rec.received_on, day(0));
      assert.equal(rec.deadline, day(30));
      const p = await admin.req('PATCH', ITEM, { params: { id: rec.id }, headers: { 'If-Match': `"${rec.version}"` }, body: { received_on: day(-10) } });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.body.deadline, day(20));
    });

    it('status done or refused sets the processing date once, unless given', async () => {
      const rec = await add({});
      const p = await admin.req('PATCH', ITEM, { params: { id: rec.id }, headers: { 'If-Match': `"${rec.version}"` }, body: { status: 'done', handled_by: admin.me.id } });
      assert.equal(p.status, 200, p.text);
      assert.match(p.body.processed_at, /^\d{4}-\d\d-\d\dT/);
      assert.equal(p.body.handled_by, admin.me.id);
      const given = '2026-01-02T03:04:05.000Z';
      const q = await admin.req('POST', COLL, { body: { type: 'objection', subject_email: `${uniq('o')}@example.test`, status: 'refused', processed_at: given, received_on: '2026-01-01' } });
      assert.equal(q.status, 201, q.text);
      assert.equal(q.body.processed_at, given);
    });

    it('lists with filters, search and sort by deadline; If-Match is enforced', async () => {
      const tag = uniq('lst');
      const a = await add({ subject_email: `${tag}a@example.test`, received_on: day(-20), type: 'erasure' });
      const b = await add({ subject_email: `${tag}b@example.test`, received_on: day(-1) });
      const l = await admin.req('GET', COLL, { query: { q: tag, sort: 'deadline' } });
      assert.equal(l.status, 200, l.text);
      assert.deepEqual(l.body.data.map((x) => x.id), [a.id, b.id]);
      const f = await admin.req('GET', COLL, { query: { q: tag, type: 'erasure' } });
      assert.deepEqual(f.body.data.map((x) => x.id), [a.id]);
      const stale = await admin.req('PATCH', ITEM, { params: { id: a.id }, headers: { 'If-Match': '"99"' }, body: { notes: 'x' } });
      assertProblem(stale, 412);
    });

    it('names every invalid field at once', async () => {
      const r = await admin.req('POST', COLL, {
        body: { type: 'forget', subject_email: 'not-an-email', received_on: '2026-13-01', status: 'closed', handled_by: 987654, notes: 'x'.repeat(10001), processed_at: 'yesterday', deadline: '2030-01-01', colour: 1 },
      });
      assertFieldErrors(r, {
        type: 'not_allowed', subject_email: 'invalid', received_on: 'invalid', status: 'not_allowed', handled_by: 'not_found',
        notes: 'too_long', processed_at: 'invalid', deadline: 'read_only', colour: 'unknown_field',
      });
      const missing = await admin.req('POST', COLL, { body: {} });
      assertFieldErrors(missing, { type: 'required', subject_email: 'required' });
      const future = await admin.req('POST', COLL, { body: { type: 'access', subject_email: 'f@example.test', received_on: day(2) } });
      assertFieldErrors(future, { received_on: 'out_of_range' });
      for (const field of ['export_status', 'erased_at', 'erase_summary', 'warned_at']) {
        const ro = await admin.req('POST', COLL, { body: { type: 'access', subject_email: 'f@example.test', [field]: null } });
        assertFieldErrors(ro, { [field]: 'read_only' });
      }
    });

    it('401 anonymously and 403 without the gdpr permission on every route', async () => {
      const rec = await add({ type: 'erasure' });
      const anon = client(srv.base);
      const calls = [
        ['GET', COLL, {}], ['POST', COLL, { body: { type: 'access', subject_email: 'a@example.test' } }],
        ['GET', ITEM, { params: { id: rec.id } }], ['PATCH', ITEM, { params: { id: rec.id }, body: { notes: 'x' } }],
        ['DELETE', ITEM, { params: { id: rec.id } }], ['POST', EXPORT, { params: { id: rec.id }, body: {} }],
        ['GET', EXPORT, { params: { id: rec.id } }], ['POST', ERASE, { params: { id: rec.id }, body: { confirm_email: rec.subject_email } }],
      ];
      for (const [m, p, o] of calls) {
        assertProblem(await anon.req(m, p, o), 401);
        assertProblem(await staff.req(m, p, o), 403);
      }
    });

    it('deletes a request, logged, with its export', async () => {
      const rec0 = await add({});
      assert.equal((await admin.req('POST', EXPORT, { params: { id: rec0.id }, body: {} })).status, 202);
      await waitFor(async () => (await admin.req('GET', ITEM, { params: { id: rec0.id } })).body.export_status === 'ready',
        { timeout: 20000, what: 'the export' });
      const rec = (await admin.req('GET', ITEM, { params: { id: rec0.id } })).body;
      const exports = () => Number(srv.sql(`SELECT count(*) FROM gdpr_export WHERE request_id = ${rec.id}`).stdout.trim().split('\n').pop().trim());
      assert.equal(exports(), 1);
      const d = await admin.req('DELETE', ITEM, { params: { id: rec.id }, headers: { 'If-Match': `"${rec.version}"` } });
      assert.equal(d.status, 204, d.text);
      assertProblem(await admin.req('GET', ITEM, { params: { id: rec.id } }), 404);
      assert.equal(exports(), 0, 'the export went with the request');
      const a = await admin.req('GET', '/api/v1/activity', { query: { entity: 'gdpr_request', entity_id: rec.id } });
      assert.ok(a.body.data.some((x) => x.action === 'delete'), a.text);
    });
  });

  describe('the deadline warning', () => {
    it('tells administrators in the app once when a request is 7 days from its deadline', async () => {
      const near = await add({ received_on: day(-24) }); // deadline in 6 days
      const far = await add({ received_on: day(-1) });
      const done = await add({ received_on: day(-29), status: 'done' });
      await runTask('gdpr_deadlines');
      const mine = async () => (await admin.req('GET', '/api/v1/notifications', { query: { limit: 100 } })).body.data
        .filter((n) => n.link && n.link.startsWith('/admin/gdpr/'));
      const n1 = await mine();
      assert.equal(n1.filter((n) => n.link === `/admin/gdpr/${near.id}`).length, 1, JSON.stringify(n1));
      assert.ok(!n1.some((n) => n.link === `/admin/gdpr/${far.id}` || n.link === `/admin/gdpr/${done.id}`));
      // The notification names the request, not the person.
      assert.ok(!n1.some((n) => `${n.title} ${n.body} ${JSON.stringify(n.message)}`.includes(near.subject_email)));
      const warned = n1.find((n) => n.link === `/admin/gdpr/${near.id}`);
      assert.deepEqual(warned.message, { key: 'gdpr_deadline', params: { id: near.id, deadline: near.deadline } });
      const g = await admin.req('GET', ITEM, { params: { id: near.id } });
      assert.match(g.body.warned_at, /^\d{4}-/);
      await runTask('gdpr_deadlines');
      const n2 = await mine();
      assert.equal(n2.filter((n) => n.link === `/admin/gdpr/${near.id}`).length, 1, 'warned once');
    });
  });

  /* A person known to the CRM: a lead, a client's contact with a ticket
   * and a reply, a task on the lead, an edit in the activity log. */
  async function person(tag) {
    const p = {
      email: `${tag}@subject.test`,
      leadName: `Zed ${tag} Leadname`,
      phone: `+40 721 ${tag.slice(-6).replace(/[a-f]/g, '7')}`,
      first: `First${tag}`,
      last: `Last${tag}`,
      message: `My private problem ${tag}`,
      note: `Lead note ${tag}`,
    };
    const lead = await admin.req('POST', '/api/v1/leads', { body: { name: p.leadName, email: p.email, phone: p.phone, notes: p.note } });
    assert.equal(lead.status, 201, lead.text);
    p.leadId = lead.body.id;
    const up = await admin.req('PATCH', '/api/v1/leads/{id}', { params: { id: p.leadId }, headers: { 'If-Match': `"${lead.body.version}"` }, body: { company: `Co ${tag}` } });
    assert.equal(up.status, 200, up.text);
    const cl = await admin.req('POST', '/api/v1/clients', { body: { company: `Client ${tag}` } });
    assert.equal(cl.status, 201, cl.text);
    p.clientId = cl.body.id;
    const ct = await admin.req('POST', '/api/v1/contacts', { body: { client_id: p.clientId, first_name: p.first, last_name: p.last, email: p.email, phone: p.phone } });
    assert.equal(ct.status, 201, ct.text);
    p.contactId = ct.body.id;
    const tk = await admin.req('POST', '/api/v1/tickets', { body: { subject: `Ticket ${tag}`, client_id: p.clientId, contact_id: p.contactId, message: p.message } });
    assert.equal(tk.status, 201, tk.text);
    p.ticketId = tk.body.id;
    const ts = await admin.req('POST', '/api/v1/tasks', { body: { subject: `Call ${tag}`, rel_type: 'lead', rel_id: p.leadId } });
    assert.equal(ts.status, 201, ts.text);
    p.taskId = ts.body.id;
    return p;
  }

  function unzip(bytes, name) {
    const f = path.join(srv.dir, `${uniq('z')}.zip`);
    fs.writeFileSync(f, bytes);
    try {
      return name ? execFileSync('unzip', ['-p', f, name]).toString() : execFileSync('unzip', ['-Z1', f]).toString().trim().split('\n');
    } finally { fs.unlinkSync(f); }
  }

  describe('access and portability', () => {
    it('exports every record holding the subject\'s data as JSON and CSV in one zip, on the job runner', async () => {
      const p = await person(uniq('exp'));
      const req = await add({ type: 'access', subject_email: p.email.toUpperCase() });
      const q = await admin.req('POST', EXPORT, { params: { id: req.id }, body: {} });
      assert.equal(q.status, 202, q.text);
      assert.equal(q.body.export_status, 'queued');
      assert.ok(q.body.job_id > 0);
      await waitFor(async () => (await admin.req('GET', ITEM, { params: { id: req.id } })).body.export_status === 'ready',
        { timeout: 20000, what: 'the export' });
      const d = await admin.req('GET', EXPORT, { params: { id: req.id }, binary: true });
      assert.equal(d.status, 200, d.text);
      assert.equal(d.headers.get('content-type'), 'application/zip');
      assert.match(d.headers.get('content-disposition'), /attachment; filename\*=UTF-8''gdpr-request-\d+\.zip/);
      const names = unzip(d.bytes);
      for (const s of ['leads', 'contacts', 'clients', 'tickets', 'ticket_replies', 'tasks', 'activity', 'emails', 'staff', 'notifications']) {
        assert.ok(names.includes(`${s}.json`) && names.includes(`${s}.csv`), `${s} in ${names}`);
      }
      assert.ok(names.includes('all.json') && names.includes('README.txt'));
      const all = JSON.parse(unzip(d.bytes, 'all.json'));
      assert.deepEqual(all.leads.map((x) => x.id), [p.leadId], JSON.stringify(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Array.isArray(v) ? v.length : v]))));
      assert.equal(all.leads[0].name, p.leadName);
      assert.deepEqual(all.contacts.map((x) => x.id), [p.contactId]);
      assert.deepEqual(all.clients.map((x) => x.id), [p.clientId]);
      assert.deepEqual(all.tickets.map((x) => x.id), [p.ticketId]);
      assert.deepEqual(all.tasks.map((x) => x.id), [p.taskId]);
      const about = new Set(all.activity.map((x) => `${x.entity}:${x.entity_id}`));
      for (const k of [`lead:${p.leadId}`, `contact:${p.contactId}`, `ticket:${p.ticketId}`, `task:${p.taskId}`]) assert.ok(about.has(k), k);
      assert.ok(all.activity.some((x) => x.action === 'update' && x.entity === 'lead'));
      const csv = unzip(d.bytes, 'leads.csv');
      assert.match(csv.split('\r\n')[0], /(^|,)name(,|$)/);
      assert.ok(csv.includes(p.leadName));
      // No secrets of a staff member, nor another organisation's columns.
      assert.ok(!unzip(d.bytes, 'all.json').includes('password_hash'));
      // Downloading is logged.
      const a = await admin.req('GET', '/api/v1/activity', { query: { entity: 'gdpr_request', entity_id: req.id } });
      const acts = a.body.data.map((x) => x.action);
      for (const act of ['export', 'export_ready', 'export_download']) assert.ok(acts.includes(act), `${act} in ${acts}`);
    });

    it('a staff member\'s in-app data: their account and notifications, never their password hash', async () => {
      const req = await add({ type: 'access', subject_email: srv.admin.email });
      assert.equal((await admin.req('POST', EXPORT, { params: { id: req.id }, body: {} })).status, 202);
      await waitFor(async () => (await admin.req('GET', ITEM, { params: { id: req.id } })).body.export_status === 'ready',
        { timeout: 20000, what: 'the export' });
      const d = await admin.req('GET', EXPORT, { params: { id: req.id }, binary: true });
      const all = JSON.parse(unzip(d.bytes, 'all.json'));
      assert.equal(all.staff.length, 1);
      assert.equal(all.staff[0].email, srv.admin.email);
      assert.equal(all.staff[0].password_hash, undefined);
      assert.ok(all.activity.length > 0);
    });

    it('a member whose role grants every gdpr capability works the register, but never downloads an export nor erases', async () => {
      const role = await addRole(admin, uniq('gdpr-all-'), { gdpr: ['view', 'create', 'edit', 'delete'] });
      const m = await addMember(srv, admin, { role_id: role.id }, 'dpo');
      const rec = await add({ type: 'erasure' }, m);
      assert.equal((await m.req('POST', EXPORT, { params: { id: rec.id }, body: {} })).status, 202);
      await waitFor(async () => (await m.req('GET', ITEM, { params: { id: rec.id } })).body.export_status === 'ready',
        { timeout: 20000, what: 'the export' });
      const d = await m.req('GET', EXPORT, { params: { id: rec.id } });
      assertProblem(d, 403);
      assert.ok(!d.text.includes('PK'), 'no zip bytes');
      assertProblem(await m.req('POST', ERASE, { params: { id: rec.id }, body: { confirm_email: rec.subject_email } }), 403, 'reauth-required');
      const password = `Temp-${m.record.email.split('@')[0]}-password-changed`; // addMember's
      const re = await m.req('POST', '/api/v1/auth/reauth', { body: { password } });
      assert.equal(re.status, 200, re.text);
      const er = await m.req('POST', ERASE, { params: { id: rec.id }, body: { confirm_email: rec.subject_email } });
      assertProblem(er, 403);
      assert.match(er.body.detail, /administrator/);
      const a = await admin.req('GET', EXPORT, { params: { id: rec.id }, binary: true });
      assert.equal(a.status, 200);
    });

    it('404 for a request without an export or not found; 409 while one is queued', async () => {
      const req = await add({});
      assertProblem(await admin.req('GET', EXPORT, { params: { id: req.id } }), 404);
      assertProblem(await admin.req('POST', EXPORT, { params: { id: 987654321 }, body: {} }), 404);
      srv.sql(`UPDATE gdpr_request SET export_status = 'queued' WHERE id = ${req.id}`);
      assertProblem(await admin.req('POST', EXPORT, { params: { id: req.id }, body: {} }), 409);
      assertFieldErrors(await admin.req('POST', EXPORT, { params: { id: req.id }, body: { x: 1 } }), { x: 'unknown_field' });
    });
  });

  describe('erasure', () => {
    it('needs the password re-entered, the right type and the subject\'s email typed again', async () => {
      const fresh = await adminClient(srv);
      const req = await add({ type: 'erasure' }, fresh);
      const r = await fresh.req('POST', ERASE, { params: { id: req.id }, body: { confirm_email: req.subject_email } });
      assertProblem(r, 403, 'reauth-required');
      await reauth(fresh);
      assertFieldErrors(await fresh.req('POST', ERASE, { params: { id: req.id }, body: { confirm_email: 'other@example.test' } }), { confirm_email: 'mismatch' });
      assertFieldErrors(await fresh.req('POST', ERASE, { params: { id: req.id }, body: { confirm_email: 'nope' } }), { confirm_email: 'invalid' });
      assertFieldErrors(await fresh.req('POST', ERASE, { params: { id: req.id }, body: {} }), { confirm_email: 'required' });
      const access = await add({ type: 'access' }, fresh);
      assertProblem(await fresh.req('POST', ERASE, { params: { id: access.id }, body: { confirm_email: access.subject_email } }), 409);
      assertProblem(await fresh.req('POST', ERASE, { params: { id: 987654321 }, body: { confirm_email: 'a@example.test' } }), 404);
    });

    it('replaces the personal fields, erases the activity log\'s personal parts, keeps the chain, and leaves no value in the database or the log', async () => {
      const tag = uniq('era');
      const p = await person(tag);
      const other = await person(uniq('keep')); // another person stays as they were
      // A client-portal invitation: a token, and an email queued to the address.
      const inv = await admin.req('POST', '/api/v1/contacts/{id}/portal/invite', { params: { id: p.contactId }, body: {} });
      assert.ok([200, 201, 202].includes(inv.status), `${inv.status} ${inv.text}`);
      const count = (sql) => Number(srv.sql(sql).stdout.trim().split('\n').pop().trim());
      assert.equal(count(`SELECT count(*) FROM portal_token WHERE contact_id = ${p.contactId}`), 1);
      assert.ok(count(`SELECT count(*) FROM email_queue WHERE lower(to_addr) = '${p.email}'`) >= 1);
      const req = await add({ type: 'erasure', subject_email: p.email, notes: 'asked by email' });
      // An export made before the erasure goes with it.
      assert.equal((await admin.req('POST', EXPORT, { params: { id: req.id }, body: {} })).status, 202);
      await waitFor(async () => (await admin.req('GET', ITEM, { params: { id: req.id } })).body.export_status === 'ready',
        { timeout: 20000, what: 'the export' });
      await reauth();
      const r = await admin.req('POST', ERASE, { params: { id: req.id }, body: { confirm_email: p.email } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.erase_summary.leads, 1);
      assert.equal(r.body.erase_summary.contacts, 1);
      assert.equal(r.body.erase_summary.tickets, 1);
      assert.ok(r.body.erase_summary.activity_entries >= 5, r.text);
      assert.equal(r.body.erase_summary.exports, 1);
      assert.ok(r.body.erase_summary.emails >= 1, r.text);
      assert.ok(r.body.erase_summary.portal_rows >= 1, r.text);
      assert.equal(count(`SELECT count(*) FROM portal_token WHERE contact_id = ${p.contactId}`), 0);
      assert.equal(count(`SELECT count(*) FROM email_queue WHERE lower(to_addr) = '${p.email}'`), 0);
      if (!srv.pg) assert.equal(r.body.vacuumed, true);

      const lead = (await admin.req('GET', '/api/v1/leads/{id}', { params: { id: p.leadId } })).body;
      assert.equal(lead.name, '[DELETED]');
      assert.equal(lead.email, null);
      assert.equal(lead.phone, null);
      assert.equal(lead.notes, '[DELETED]');
      assert.equal(lead.company, `Co ${tag}`); // not personal: kept
      const ct = (await admin.req('GET', '/api/v1/contacts/{id}', { params: { id: p.contactId } })).body;
      assert.equal(ct.first_name, '[DELETED]');
      assert.equal(ct.last_name, '[DELETED]');
      assert.equal(ct.email, `deleted-${p.contactId}@erased.invalid`);
      assert.equal(ct.phone, null);
      const tk = (await admin.req('GET', '/api/v1/tickets/{id}', { params: { id: p.ticketId } })).body;
      assert.equal(tk.message, '[DELETED]');
      assert.equal(tk.subject, `Ticket ${tag}`);
      const rq = (await admin.req('GET', ITEM, { params: { id: req.id } })).body;
      assert.equal(rq.subject_email, '[DELETED]');
      assert.equal(rq.status, 'done');
      assert.match(rq.erased_at, /^\d{4}-/);
      assert.match(rq.processed_at, /^\d{4}-/);
      assert.equal(rq.export_status, null);
      assertProblem(await admin.req('GET', EXPORT, { params: { id: req.id } }), 404);
      assertProblem(await admin.req('POST', ERASE, { params: { id: req.id }, body: { confirm_email: p.email } }), 409);
      // The other person is untouched.
      const ol = (await admin.req('GET', '/api/v1/leads/{id}', { params: { id: other.leadId } })).body;
      assert.equal(ol.name, other.leadName);

      // The activity log: the history stays, its personal parts are gone.
      const hist = await admin.req('GET', '/api/v1/activity', { query: { entity: 'lead', entity_id: p.leadId } });
      const acts = hist.body.data.map((x) => x.action);
      for (const a of ['create', 'update', 'gdpr_erase']) assert.ok(acts.includes(a), `${a} in ${acts}`);
      assert.ok(!hist.text.includes(p.leadName) && !hist.text.includes(p.email), hist.text);
      const verify = srv.cli(['audit', 'verify']);
      assert.equal(verify.status, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout + verify.stderr, /personal parts erased/);

      const values = [p.email, p.leadName, p.phone, p.first, p.last, p.message, p.note];
      if (srv.pg) {
        // The rows no longer hold them (dead tuples: docs/operations-guide.md).
        const tables = ['lead', 'contact', 'ticket', 'ticket_reply', 'activity_log', 'event', 'gdpr_request', 'email_queue', 'notification', 'job', 'idempotency_key'];
        for (const t of tables) {
          for (const v of values) {
            const q = srv.sql(`SELECT count(*) FROM ${t} WHERE strpos(${t}::text, '${v.replace(/'/g, "''")}') > 0`);
            assert.equal(q.status, 0, q.stderr);
            assert.equal(q.stdout.trim().split('\n').pop().trim(), '0', `${t} holds ${v}`);
          }
        }
      } else {
        const files = [srv.dbFile, `${srv.dbFile}-wal`].filter((f) => fs.existsSync(f));
        for (const f of files) {
          const bytes = fs.readFileSync(f);
          for (const v of values) assert.equal(bytes.indexOf(Buffer.from(v)), -1, `${path.basename(f)} holds ${v}`);
          // The other person's data is still there (the search can find).
          if (f === srv.dbFile) assert.notEqual(bytes.indexOf(Buffer.from(other.leadName)), -1, 'the search finds live values');
        }
      }
      const log = srv.output();
      for (const v of values) assert.ok(!log.includes(v), `server.log holds ${v}`);
    });
  });
});
