// The client portal (issue 12): contacts in a realm of their own.
//
// Staff invite a contact from their record (the link arrives by email, at a
// real SMTP server); the contact sets a password, signs in with the portal
// cookie and sees only their own client's tickets, contracts and projects
// (by id, list, search and attachment URL), opens and answers tickets, and
// may turn a second factor on (codes from Debian's oathtool). Staff routes
// refuse the portal cookie and portal routes refuse the staff cookie; the
// contact's permissions are the contact record's portal_* flags, checked by
// the pipeline (403), and turning portal_access off ends their sessions.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  addMember, addRole, adminClient, assertFieldErrors, assertProblem, client, configureSmtp,
  recordCoverage, startServer, startSmtpSink, uniq,
} from './harness.mjs';

const PASSWORD = 'Orchard-lantern-quietly-47';
const T = '/api/v1/portal/tickets';

function oathtool(secret, when = 'now') {
  const r = spawnSync('oathtool', ['--totp', '-b', '-N', when, secret], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run oathtool: ${r.error.message}`);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe('client portal', () => {
  let srv;
  let admin;
  let sink;
  let dept;
  const A = {};
  const B = {};

  const newContact = async (clientId, extra = {}) => {
    const email = `${uniq('p').toLowerCase().replace(/\W/g, '')}@client.example`;
    const r = await admin.req('POST', '/api/v1/contacts', { body: { client_id: clientId, first_name: 'Ana', last_name: 'Pop', email, ...extra } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  /* Invites the contact, follows the emailed link, signs in; a client. */
  const onboard = async (contact) => {
    const inv = await admin.req('POST', '/api/v1/contacts/{id}/portal/invite', { params: { id: contact.id } });
    assert.equal(inv.status, 202, inv.text);
    const mail = await sink.waitFor(contact.email, (m) => /#token=/.test(m.body || ''), { what: 'the invitation' });
    const token = /#token=([A-Za-z0-9_-]+)/.exec(mail.body)[1];
    const c = client(srv.base);
    const set = await c.req('POST', '/api/v1/portal/auth/set-password', { body: { token, password: PASSWORD } });
    assert.equal(set.status, 204, set.text);
    const li = await c.req('POST', '/api/v1/portal/auth/login', { body: { email: contact.email, password: PASSWORD } });
    assert.equal(li.status, 200, li.text);
    c.me = li.body;
    return c;
  };
  const ticket = async (clientId, contactId, subject) => {
    const r = await admin.req('POST', '/api/v1/tickets', {
      body: { subject, department_id: dept.id, client_id: clientId, contact_id: contactId, message: `About ${subject}` },
    });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };

  before(async () => {
    srv = await startServer();
    sink = await startSmtpSink(srv.dir);
    admin = await adminClient(srv);
    await configureSmtp(admin, sink);
    dept = (await admin.req('POST', '/api/v1/departments', { body: { name: uniq('Support ') } })).body;
    for (const [side, name] of [[A, 'Alpha'], [B, 'Beta']]) {
      side.client = (await admin.req('POST', '/api/v1/clients', { body: { company: uniq(`${name} `) } })).body;
      side.contact = await newContact(side.client.id);
      side.ticket = await ticket(side.client.id, side.contact.id, `${name} printer jam`);
      const ct = await admin.req('POST', '/api/v1/contracts', { body: { subject: `${name} support contract`, client_id: side.client.id, value: '1200.00' } });
      assert.equal(ct.status, 201, ct.text);
      side.contract = ct.body;
      const pr = await admin.req('POST', '/api/v1/projects', { body: { name: `${name} rollout`, client_id: side.client.id } });
      assert.equal(pr.status, 201, pr.text);
      side.project = pr.body;
    }
    // Custom fields on tickets: one for the portal, one not, one for
    // administrators only (never shown, even when marked for the portal).
    const bySlug = {};
    for (const [label, slug, extra] of [['Portal ref', 'portal_ref', { show_on_client_portal: true }], ['Internal ref', 'internal_ref', {}],
      ['Admin ref', 'admin_ref', { show_on_client_portal: true, only_admin: true }]]) {
      const f = await admin.req('POST', '/api/v1/custom_fields', { body: { entity: 'ticket', label, slug, type: 'text', ...extra } });
      assert.equal(f.status, 201, f.text);
      bySlug[label] = slug;
    }
    A.cf = bySlug;
    const up = await admin.req('PATCH', '/api/v1/tickets/{id}', {
      params: { id: A.ticket.id }, headers: { 'If-Match': `"${A.ticket.version}"` },
      body: { custom_fields: { [bySlug['Portal ref']]: 'PO-77', [bySlug['Internal ref']]: 'secret-x', [bySlug['Admin ref']]: 'admin-y' } },
    });
    assert.equal(up.status, 200, up.text);
    A.c = await onboard(A.contact);
    B.c = await onboard(B.contact);
  });
  after(async () => {
    await srv?.stop();
    await sink?.stop();
  });

  describe('staff side', () => {
    it('shows the state, invites (access on, version up, logged), and refuses 401 and 403', async () => {
      const ct = await newContact(A.client.id);
      const st0 = await admin.req('GET', '/api/v1/contacts/{id}/portal', { params: { id: ct.id } });
      assert.equal(st0.status, 200, st0.text);
      assert.deepEqual({ access: st0.body.access, state: st0.body.state, sessions: st0.body.sessions }, { access: false, state: 'none', sessions: 0 });
      const inv = await admin.req('POST', '/api/v1/contacts/{id}/portal/invite', { params: { id: ct.id } });
      assert.equal(inv.status, 202, inv.text);
      const st1 = (await admin.req('GET', '/api/v1/contacts/{id}/portal', { params: { id: ct.id } })).body;
      assert.equal(st1.state, 'invited');
      assert.equal(st1.access, true);
      assert.equal(st1.invite_expires_at, inv.body.invite_expires_at);
      const rec = (await admin.req('GET', '/api/v1/contacts/{id}', { params: { id: ct.id } })).body;
      assert.equal(rec.portal_access, true);
      assert.equal(rec.version, ct.version + 1);
      const mail = await sink.waitFor(ct.email, (m) => /client portal/i.test(m.subject || ''), { what: 'the invitation' });
      assert.match(mail.body, /\/portal\/set-password#token=/);
      const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'contact', entity_id: ct.id } });
      assert.ok(act.body.data.some((e) => e.action === 'portal_invite'), 'the invitation is in the activity log');

      const anon = client(srv.base);
      assertProblem(await anon.req('GET', '/api/v1/contacts/{id}/portal', { params: { id: ct.id } }), 401);
      assertProblem(await anon.req('POST', '/api/v1/contacts/{id}/portal/invite', { params: { id: ct.id } }), 401);
      assertProblem(await anon.req('DELETE', '/api/v1/contacts/{id}/portal/sessions', { params: { id: ct.id } }), 401);
      assertProblem(await anon.req('DELETE', '/api/v1/contacts/{id}/portal/totp', { params: { id: ct.id } }), 401);
      const role = await addRole(admin, uniq('Viewer '), { contacts: ['view'] });
      const viewer = await addMember(srv, admin, { role_id: role.id }, 'viewer');
      assert.equal((await viewer.req('GET', '/api/v1/contacts/{id}/portal', { params: { id: ct.id } })).status, 200);
      assertProblem(await viewer.req('POST', '/api/v1/contacts/{id}/portal/invite', { params: { id: ct.id } }), 403);
      assertProblem(await viewer.req('DELETE', '/api/v1/contacts/{id}/portal/sessions', { params: { id: ct.id } }), 403);
      assertProblem(await viewer.req('DELETE', '/api/v1/contacts/{id}/portal/totp', { params: { id: ct.id } }), 403);
      const none = await addMember(srv, admin, { role_id: (await addRole(admin, uniq('Nothing '), {})).id }, 'none');
      assertProblem(await none.req('GET', '/api/v1/contacts/{id}/portal', { params: { id: ct.id } }), 403);
      assertProblem(await admin.req('GET', '/api/v1/contacts/{id}/portal', { params: { id: 987654 } }), 404);
      assertProblem(await admin.req('POST', '/api/v1/contacts/{id}/portal/invite', { params: { id: 987654 } }), 404);
    });

    it('an invited contact is active once the password is set, with the sign-in time', async () => {
      const st = (await admin.req('GET', '/api/v1/contacts/{id}/portal', { params: { id: A.contact.id } })).body;
      assert.equal(st.state, 'active');
      assert.ok(st.last_login_at, 'last sign-in recorded');
      assert.ok(st.sessions >= 1);
    });
  });

  describe('links and sign-in', () => {
    it('set-password refuses a bad link and a weak password, and a link works once', async () => {
      const ct = await newContact(A.client.id);
      await admin.req('POST', '/api/v1/contacts/{id}/portal/invite', { params: { id: ct.id } });
      const mail = await sink.waitFor(ct.email, (m) => /#token=/.test(m.body || ''));
      const token = /#token=([A-Za-z0-9_-]+)/.exec(mail.body)[1];
      const c = client(srv.base);
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/set-password', { body: { token: 'x'.repeat(43), password: PASSWORD } }), { token: 'invalid' });
      const weak = await c.req('POST', '/api/v1/portal/auth/set-password', { body: { token, password: 'short' } });
      assert.equal(weak.status, 422, weak.text);
      assert.ok(weak.body.errors.some((e) => e.field === 'password'), weak.text);
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/set-password', { body: { token } }), { password: 'required' });
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/set-password', { body: { token, password: PASSWORD, x: 1 } }), { x: 'unknown_field' });
      assert.equal((await c.req('POST', '/api/v1/portal/auth/set-password', { body: { token, password: PASSWORD } })).status, 204);
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/set-password', { body: { token, password: `${PASSWORD}x` } }), { token: 'invalid' });
    });

    it('login: one answer for a wrong password and an unknown address; the me document; logout', async () => {
      const c = client(srv.base);
      assertProblem(await c.req('POST', '/api/v1/portal/auth/login', { body: { email: A.contact.email, password: 'wrong-password-here' } }), 401);
      assertProblem(await c.req('POST', '/api/v1/portal/auth/login', { body: { email: 'nobody@nowhere.example', password: PASSWORD } }), 401);
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/login', { body: { email: A.contact.email } }), { password: 'required' });
      const li = await c.req('POST', '/api/v1/portal/auth/login', { body: { email: A.contact.email.toUpperCase(), password: PASSWORD } });
      assert.equal(li.status, 200, li.text);
      assert.ok(li.setCookies.some((s) => /^atrium_portal=/.test(s) && /HttpOnly/.test(s)), li.setCookies.join());
      assert.equal(li.body.contact.id, A.contact.id);
      assert.equal(li.body.client.id, A.client.id);
      assert.equal(li.body.client.name, A.client.company);
      assert.equal(li.body.contact.first_name, 'Ana');
      assert.equal(li.body.totp_enabled, false);
      assert.deepEqual(li.body.permissions, { tickets: true, contracts: true, projects: true });
      assert.equal(li.body.stage, 'full');
      const me = await c.req('GET', '/api/v1/portal/auth/me');
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.contact.email, A.contact.email);
      assertProblem(await c.req('POST', '/api/v1/portal/auth/logout', { csrf: false }), 403);
      assert.equal((await c.req('POST', '/api/v1/portal/auth/logout')).status, 204);
      assertProblem(await c.req('GET', '/api/v1/portal/auth/me'), 401);
      assertProblem(await client(srv.base).req('POST', '/api/v1/portal/auth/logout'), 401);
    });

    it('the realms never mix: a portal cookie is nobody on staff routes, a staff cookie nobody on portal routes', async () => {
      assertProblem(await A.c.req('GET', '/api/v1/auth/me'), 401);
      assertProblem(await A.c.req('GET', '/api/v1/tickets'), 401);
      assertProblem(await A.c.req('GET', '/api/v1/contacts/{id}', { params: { id: A.contact.id } }), 401);
      assertProblem(await admin.req('GET', '/api/v1/portal/auth/me'), 401);
      assertProblem(await admin.req('GET', T), 401);
      // Both cookies in one jar: each realm reads only its own.
      const both = client(srv.base);
      for (const [k, v] of A.c.jar) both.setCookie(k, v);
      for (const [k, v] of admin.jar) both.setCookie(k, v);
      assert.equal((await both.req('GET', '/api/v1/portal/auth/me')).body.contact.id, A.contact.id);
      assert.equal((await both.req('GET', '/api/v1/auth/me')).body.staff.id, admin.me.id);
    });

    it('forgot: the same answer for anyone, a link only to a contact with access', async () => {
      const c = client(srv.base);
      const before = sink.to(B.contact.email).length;
      const r1 = await c.req('POST', '/api/v1/portal/auth/forgot', { body: { email: B.contact.email } });
      const r2 = await c.req('POST', '/api/v1/portal/auth/forgot', { body: { email: 'nobody@nowhere.example' } });
      assert.equal(r1.status, 202, r1.text);
      assert.equal(r2.status, 202, r2.text);
      assert.deepEqual(r1.body, r2.body);
      await sink.waitFor(B.contact.email, (m) => /password/i.test(m.subject || '') && sink.to(B.contact.email).length > before, { what: 'the reset link' });
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/forgot', { body: {} }), { email: 'required' });
    });

    it('failed sign-ins are throttled per address typed (429 with Retry-After), apart from staff counters', async () => {
      const ct = await newContact(A.client.id);
      const c = client(srv.base);
      let r;
      for (let i = 0; i < 12; i++) {
        r = await c.req('POST', '/api/v1/portal/auth/login', { body: { email: ct.email, password: `wrong-${i}-password` } });
        if (r.status === 429) break;
      }
      assertProblem(r, 429);
      assert.ok(Number(r.headers.get('retry-after')) > 0);
      // The staff sign-in of the same address is not blocked by it.
      const s = await client(srv.base).req('POST', '/api/v1/auth/login', { body: { email: ct.email, password: 'whatever-password' } });
      assert.equal(s.status, 401, s.text);
    });
  });

  describe('records and isolation', () => {
    it('tickets: only their client\'s, by list, search and id', async () => {
      const l = await A.c.req('GET', T);
      assert.equal(l.status, 200, l.text);
      const ids = l.body.data.map((t) => t.id);
      assert.ok(ids.includes(A.ticket.id));
      assert.ok(!ids.includes(B.ticket.id), 'another client\'s ticket is not listed');
      assert.equal(l.body.data.find((t) => t.id === A.ticket.id).department, dept.name);
      const s = await A.c.req('GET', T, { query: { q: 'printer' } });
      assert.deepEqual(s.body.data.map((t) => t.id), [A.ticket.id], 'search never finds the other client\'s ticket');
      const f = await A.c.req('GET', T, { query: { status: 'open', sort: '-updated_at' } });
      assert.equal(f.status, 200, f.text);
      assertProblem(await A.c.req('GET', T, { query: { colour: 'red' } }), 400);
      const one = await A.c.req('GET', `${T}/{id}`, { params: { id: A.ticket.id } });
      assert.equal(one.status, 200, one.text);
      assert.equal(one.body.message, 'About Alpha printer jam');
      assertProblem(await A.c.req('GET', `${T}/{id}`, { params: { id: B.ticket.id } }), 404);
      assertProblem(await A.c.req('GET', `${T}/{id}/replies`, { params: { id: B.ticket.id } }), 404);
      assertProblem(await A.c.req('POST', `${T}/{id}/replies`, { params: { id: B.ticket.id }, body: { body: 'hi' } }), 404);
      assertProblem(await A.c.req('GET', `${T}/{id}/attachments`, { params: { id: B.ticket.id } }), 404);
      assertProblem(await A.c.req('POST', `${T}/{id}/attachments`, {
        params: { id: B.ticket.id }, query: { filename: 'a.txt' }, raw: 'hello', contentType: 'text/plain',
      }), 404);
    });

    it('custom fields: only those marked for the portal, never administrators-only ones', async () => {
      const one = (await A.c.req('GET', `${T}/{id}`, { params: { id: A.ticket.id } })).body;
      assert.deepEqual(one.custom_fields.map((f) => [f.label, f.value]), [['Portal ref', 'PO-77']]);
      assert.ok(!JSON.stringify(one).includes('secret-x') && !JSON.stringify(one).includes('admin-y'));
      const s = await A.c.req('GET', T, { query: { q: 'secret-x' } });
      assert.deepEqual(s.body.data, [], 'search never matches values the contact cannot see');
    });

    it('opening a ticket: every invalid field in one answer; the ticket is theirs and staff see it', async () => {
      const bad = await A.c.req('POST', T, { body: { subject: 's'.repeat(201), department_id: 987654, priority: 'p1', colour: 1 } });
      assertFieldErrors(bad, { subject: 'too_long', department_id: 'not_found', priority: 'not_allowed', message: 'required', colour: 'unknown_field' });
      assertFieldErrors(await A.c.req('POST', T, { body: { subject: '   ', department_id: dept.id, message: 'x' } }), { subject: 'required' });
      assertFieldErrors(await A.c.req('POST', T, { body: { subject: 'x', department_id: 'one', message: 'x' } }), { department_id: 'type' });
      const r = await A.c.req('POST', T, { body: { subject: 'Screen flickers', department_id: dept.id, priority: 'high', message: 'Since Monday.' } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.contact_id, A.contact.id);
      assert.equal(r.body.status, 'open');
      const staffView = (await admin.req('GET', '/api/v1/tickets/{id}', { params: { id: r.body.id } })).body;
      assert.equal(staffView.client_id, A.client.id);
      assert.equal(staffView.contact_id, A.contact.id);
      assert.equal(staffView.priority, 'high');
      const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'ticket', entity_id: r.body.id } });
      const created = act.body.data.find((e) => e.action === 'create');
      assert.ok(created, act.text);
      assert.match(created.actor_name, /client contact/);
      assertProblem(await B.c.req('GET', `${T}/{id}`, { params: { id: r.body.id } }), 404);
      assertProblem(await A.c.req('POST', T, { body: { subject: 'x', department_id: dept.id, message: 'x' }, csrf: false }), 403);
    });

    it('the thread: public replies both ways, internal notes never; a contact reply opens the ticket again', async () => {
      const t = await ticket(A.client.id, A.contact.id, 'Thread test');
      await admin.req('POST', '/api/v1/tickets/{id}/replies', { params: { id: t.id }, body: { body: 'Staff answer.' } });
      await admin.req('POST', '/api/v1/tickets/{id}/replies', { params: { id: t.id }, body: { body: 'Internal note only.', internal: true } });
      assert.equal((await admin.req('GET', '/api/v1/tickets/{id}', { params: { id: t.id } })).body.status, 'answered');
      assertFieldErrors(await A.c.req('POST', `${T}/{id}/replies`, { params: { id: t.id }, body: { body: ' ' } }), { body: 'required' });
      assertFieldErrors(await A.c.req('POST', `${T}/{id}/replies`, { params: { id: t.id }, body: { body: 'x'.repeat(20001) } }), { body: 'too_long' });
      const rep = await A.c.req('POST', `${T}/{id}/replies`, { params: { id: t.id }, body: { body: 'Thanks, it works.' } });
      assert.equal(rep.status, 201, rep.text);
      const th = await A.c.req('GET', `${T}/{id}/replies`, { params: { id: t.id } });
      assert.equal(th.status, 200, th.text);
      assert.deepEqual(th.body.data.map((x) => [x.from, x.body]), [['staff', 'Staff answer.'], ['contact', 'Thanks, it works.']]);
      assert.ok(!th.text.includes('Internal note'));
      const staffThread = (await admin.req('GET', '/api/v1/tickets/{id}/replies', { params: { id: t.id } })).body.data;
      const last = staffThread[staffThread.length - 1];
      assert.equal(last.source, 'portal');
      assert.equal(last.contact_id, A.contact.id);
      assert.equal((await admin.req('GET', '/api/v1/tickets/{id}', { params: { id: t.id } })).body.status, 'open');
    });

    it('attachments: upload, list and download their own; files on notes and of others are 404', async () => {
      const t = await ticket(A.client.id, A.contact.id, 'Files test');
      const up = await A.c.req('POST', `${T}/{id}/attachments`, {
        params: { id: t.id }, query: { filename: 'error log.txt' }, raw: 'E42 at noon', contentType: 'text/plain',
      });
      assert.equal(up.status, 201, up.text);
      // a browser's form post: the file part names the file
      const form = new FormData();
      form.append('file', new Blob(['from the form'], { type: 'text/plain' }), 'form note.txt');
      const fp = await fetch(`${A.c.base}${T}/${t.id}/attachments`, {
        method: 'POST', body: form, headers: { Cookie: A.c.cookieHeader(), 'X-CSRF-Token': A.c.csrf },
      });
      const fpBody = await fp.json();
      recordCoverage('POST', `${T}/{id}/attachments`, `${T}/${t.id}/attachments`, fp.status);
      assert.equal(fp.status, 201, JSON.stringify(fpBody));
      assert.equal(fpBody.filename, 'form note.txt');
      assert.equal(fpBody.bytes, 13);
      assertFieldErrors(await A.c.req('POST', `${T}/{id}/attachments`, {
        params: { id: t.id }, raw: 'x', contentType: 'text/plain',
      }), { filename: 'required' });
      assertFieldErrors(await A.c.req('POST', `${T}/{id}/attachments`, {
        params: { id: t.id }, query: { filename: 'tool.exe' }, raw: 'MZ\x90\x00', contentType: 'application/octet-stream',
      }), { file: 'invalid' });
      // A staff file on an internal note stays with staff.
      const note = await admin.req('POST', '/api/v1/tickets/{id}/replies', { params: { id: t.id }, body: { body: 'see file', internal: true } });
      const staffUp = await admin.req('POST', '/api/v1/tickets/{id}/attachments', {
        params: { id: t.id }, query: { filename: 'public.txt' }, raw: 'for everyone', contentType: 'text/plain',
      });
      assert.equal(staffUp.status, 201, staffUp.text);
      const l = await A.c.req('GET', `${T}/{id}/attachments`, { params: { id: t.id } });
      assert.equal(l.status, 200, l.text);
      assert.deepEqual(l.body.data.map((f) => f.filename).sort(), ['error log.txt', 'form note.txt', 'public.txt']);
      const dl = await A.c.req('GET', '/api/v1/portal/attachments/{id}', { params: { id: up.body.id } });
      assert.equal(dl.status, 200);
      assert.equal(dl.text, 'E42 at noon');
      assert.match(dl.headers.get('content-disposition'), /^attachment/);
      assertProblem(await B.c.req('GET', '/api/v1/portal/attachments/{id}', { params: { id: up.body.id } }), 404);
      assertProblem(await A.c.req('GET', '/api/v1/portal/attachments/{id}', { params: { id: 987654 } }), 404);
      assert.ok(note.status === 201);
      const staffFiles = (await admin.req('GET', '/api/v1/tickets/{id}/attachments', { params: { id: t.id } })).body.data;
      assert.equal(staffFiles.find((f) => f.filename === 'error log.txt').contact_id, A.contact.id);
    });

    it('departments for the new-ticket form', async () => {
      const d = await A.c.req('GET', '/api/v1/portal/departments');
      assert.equal(d.status, 200, d.text);
      assert.ok(d.body.data.some((x) => x.id === dept.id && x.name === dept.name));
      assert.deepEqual(Object.keys(d.body.data[0]).sort(), ['id', 'name']);
    });

    it('contracts and projects: only their client\'s', async () => {
      const c = await A.c.req('GET', '/api/v1/portal/contracts');
      assert.equal(c.status, 200, c.text);
      assert.deepEqual(c.body.data.map((x) => x.id), [A.contract.id]);
      assert.equal(c.body.data[0].value, '1200.00');
      assert.equal(c.body.data[0].number, null, 'unsigned: no number yet');
      const rec = (await admin.req('GET', '/api/v1/contracts/{id}', { params: { id: A.contract.id } })).body;
      const signed = await admin.req('PATCH', '/api/v1/contracts/{id}', { params: { id: A.contract.id }, body: { signed: true }, headers: { 'If-Match': `"${rec.version}"` } });
      assert.equal(signed.status, 200, signed.text);
      const numbered = (await A.c.req('GET', '/api/v1/portal/contracts')).body.data[0];
      assert.equal(numbered.number, signed.body.number);
      assert.deepEqual((await A.c.req('GET', '/api/v1/portal/contracts', { query: { q: signed.body.number } })).body.data.map((x) => x.id), [A.contract.id]);
      const c1 = await A.c.req('GET', '/api/v1/portal/contracts/{id}', { params: { id: A.contract.id } });
      assert.equal(c1.status, 200, c1.text);
      assert.ok(Array.isArray(c1.body.custom_fields));
      assertProblem(await A.c.req('GET', '/api/v1/portal/contracts/{id}', { params: { id: B.contract.id } }), 404);
      const p = await A.c.req('GET', '/api/v1/portal/projects');
      assert.deepEqual(p.body.data.map((x) => x.id), [A.project.id]);
      assert.equal((await A.c.req('GET', '/api/v1/portal/projects/{id}', { params: { id: A.project.id } })).status, 200);
      assertProblem(await A.c.req('GET', '/api/v1/portal/projects/{id}', { params: { id: B.project.id } }), 404);
      assertProblem(await B.c.req('GET', '/api/v1/portal/projects/{id}', { params: { id: A.project.id } }), 404);
    });

    it('a contact without a kind gets 403 on its routes, and me says so', async () => {
      const ct = await newContact(A.client.id, { portal_tickets: false, portal_contracts: false, portal_projects: false });
      const c = await onboard(ct);
      assert.deepEqual(c.me.permissions, { tickets: false, contracts: false, projects: false });
      const id = { id: A.ticket.id };
      const calls = [
        ['GET', T], ['POST', T, { body: { subject: 'x', department_id: dept.id, message: 'x' } }],
        ['GET', `${T}/{id}`, { params: id }], ['GET', `${T}/{id}/replies`, { params: id }],
        ['POST', `${T}/{id}/replies`, { params: id, body: { body: 'x' } }],
        ['GET', `${T}/{id}/attachments`, { params: id }],
        ['POST', `${T}/{id}/attachments`, { params: id, query: { filename: 'a.txt' }, raw: 'x', contentType: 'text/plain' }],
        ['GET', '/api/v1/portal/attachments/{id}', { params: { id: 1 } }], ['GET', '/api/v1/portal/departments'],
        ['GET', '/api/v1/portal/contracts'], ['GET', '/api/v1/portal/contracts/{id}', { params: { id: A.contract.id } }],
        ['GET', '/api/v1/portal/projects'], ['GET', '/api/v1/portal/projects/{id}', { params: { id: A.project.id } }],
      ];
      for (const [m, p, o] of calls) assertProblem(await c.req(m, p, o), 403);
      // Anonymous: 401 everywhere.
      const anon = client(srv.base);
      for (const [m, p, o] of calls) assertProblem(await anon.req(m, p, o), 401);
    });

    it('turning portal access off signs the contact out and refuses the sign-in', async () => {
      const ct = await newContact(B.client.id);
      const c = await onboard(ct);
      assert.equal((await c.req('GET', T)).status, 200);
      const rec = (await admin.req('GET', '/api/v1/contacts/{id}', { params: { id: ct.id } })).body;
      const off = await admin.req('PATCH', '/api/v1/contacts/{id}', { params: { id: ct.id }, body: { portal_access: false }, headers: { 'If-Match': `"${rec.version}"` } });
      assert.equal(off.status, 200, off.text);
      assertProblem(await c.req('GET', T), 401);
      assertProblem(await client(srv.base).req('POST', '/api/v1/portal/auth/login', { body: { email: ct.email, password: PASSWORD } }), 401);
    });

    it('staff sign a contact out everywhere', async () => {
      const ct = await newContact(B.client.id);
      const c = await onboard(ct);
      const r = await admin.req('DELETE', '/api/v1/contacts/{id}/portal/sessions', { params: { id: ct.id } });
      assert.equal(r.status, 204, r.text);
      assertProblem(await c.req('GET', '/api/v1/portal/auth/me'), 401);
    });
  });

  describe('the contact\'s own account', () => {
    it('profile: the contact keeps their name, phone and position; logged and evented as a change of the contact', async () => {
      const ct = await newContact(A.client.id);
      const c = await onboard(ct);
      const g = await c.req('GET', '/api/v1/portal/profile');
      assert.equal(g.status, 200, g.text);
      assert.deepEqual(g.body, { first_name: 'Ana', last_name: 'Pop', email: ct.email, phone: null, position: null });
      assertFieldErrors(await c.req('PATCH', '/api/v1/portal/profile', { body: { first_name: '', phone: 'call me', position: 'p'.repeat(101), email: 'x@y.z' } }),
        { first_name: 'required', phone: 'invalid', position: 'too_long', email: 'unknown_field' });
      const p = await c.req('PATCH', '/api/v1/portal/profile', { body: { last_name: 'Popescu', phone: '+40 721 000 111', position: 'Buyer' } });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.body.last_name, 'Popescu');
      const rec = (await admin.req('GET', '/api/v1/contacts/{id}', { params: { id: ct.id } })).body;
      assert.deepEqual([rec.last_name, rec.phone, rec.position, rec.version], ['Popescu', '+40 721 000 111', 'Buyer', ct.version + 2], 'invited (+1), then this change (+1)');
      const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'contact', entity_id: ct.id } });
      const upd = act.body.data.find((e) => e.action === 'update');
      assert.ok(upd && /client contact/.test(upd.actor_name), act.text);
      const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'contact', entity_id: ct.id } });
      assert.ok(ev.body.data.some((e) => e.type === 'contact.updated' || e.action === 'updated'), ev.text);
      assert.equal((await c.req('PATCH', '/api/v1/portal/profile', { body: {} })).status, 200, 'nothing to change');
      assertProblem(await c.req('PATCH', '/api/v1/portal/profile', { body: { last_name: 'X' }, csrf: false }), 403);
      assertProblem(await client(srv.base).req('GET', '/api/v1/portal/profile'), 401);
      assertProblem(await client(srv.base).req('PATCH', '/api/v1/portal/profile', { body: {} }), 401);
    });

    it('maximum password age: an expired password is changed before anything else (contacts without 2FA too)', async () => {
      const ct = await newContact(A.client.id);
      await onboard(ct);
      const sql = (statement) => {
        const r = srv.pg ? srv.sql(statement)
          : spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', srv.dbFile, statement], { encoding: 'utf8' });
        assert.equal(r.status, 0, `SQL failed: ${statement}\n${r.stderr}`);
      };
      const set = (v) => admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'security' }, body: { password_max_age_days: v } });
      assert.equal((await set(1)).status, 200);
      try {
        sql(`UPDATE portal_account SET password_changed_at = '${new Date(Date.now() - 2 * 86400000).toISOString()}' WHERE contact_id = ${ct.id}`);
        const c = client(srv.base);
        const li = await c.req('POST', '/api/v1/portal/auth/login', { body: { email: ct.email, password: PASSWORD } });
        assert.equal(li.status, 200, li.text);
        assert.equal(li.body.must_change_password, true);
        for (const [m, p, o] of [['GET', T], ['GET', '/api/v1/portal/contracts'], ['POST', '/api/v1/portal/auth/totp/setup', { body: { password: PASSWORD } }]]) {
          const r = await c.req(m, p, o);
          assertProblem(r, 403);
          assert.equal(r.body.detail, 'change your password first');
        }
        assert.equal((await c.req('GET', '/api/v1/portal/auth/me')).body.must_change_password, true);
        const ch = await c.req('POST', '/api/v1/portal/auth/password', { body: { current_password: PASSWORD, new_password: `${PASSWORD}-aged` } });
        assert.equal(ch.status, 204, ch.text);
        assert.equal((await c.req('GET', '/api/v1/portal/auth/me')).body.must_change_password, false);
        assert.equal((await c.req('GET', T)).status, 200);
        // A recent password is not expired.
        const d = client(srv.base);
        assert.equal((await d.req('POST', '/api/v1/portal/auth/login', { body: { email: ct.email, password: `${PASSWORD}-aged` } })).body.must_change_password, false);
      } finally {
        await set(null);
      }
    });

    it('password change: the current one is checked, the policy applies, other sessions end', async () => {
      const ct = await newContact(A.client.id);
      const c = await onboard(ct);
      const other = client(srv.base);
      await other.req('POST', '/api/v1/portal/auth/login', { body: { email: ct.email, password: PASSWORD } });
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/password', { body: { current_password: 'not-it-at-all', new_password: `${PASSWORD}-2` } }), { current_password: 'invalid' });
      const weak = await c.req('POST', '/api/v1/portal/auth/password', { body: { current_password: PASSWORD, new_password: 'abc' } });
      assert.equal(weak.status, 422);
      assert.ok(weak.body.errors.some((e) => e.field === 'new_password'));
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/password', { body: { current_password: PASSWORD, new_password: PASSWORD } }), { new_password: 'reused' });
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/password', { body: {} }), { current_password: 'required', new_password: 'required' });
      const ok = await c.req('POST', '/api/v1/portal/auth/password', { body: { current_password: PASSWORD, new_password: `${PASSWORD}-2` } });
      assert.equal(ok.status, 204, ok.text);
      assert.equal((await c.req('GET', '/api/v1/portal/auth/me')).status, 200, 'this session stays');
      assertProblem(await other.req('GET', '/api/v1/portal/auth/me'), 401);
      assertProblem(await client(srv.base).req('POST', '/api/v1/portal/auth/password', { body: { current_password: 'a', new_password: 'b' } }), 401);
    });

    it('two-factor: set up with the password, confirmed with a code, asked at sign-in, removed by staff', async () => {
      const ct = await newContact(A.client.id);
      const c = await onboard(ct);
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/totp/setup', { body: { password: 'wrong-password-x' } }), { password: 'invalid' });
      const su = await c.req('POST', '/api/v1/portal/auth/totp/setup', { body: { password: PASSWORD } });
      assert.equal(su.status, 200, su.text);
      assert.match(su.body.otpauth_uri, /^otpauth:\/\/totp\//);
      assert.match(su.body.qr_svg, /<svg/);
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/totp/enable', { body: { code: '000000' } }), { code: 'invalid' });
      assertFieldErrors(await c.req('POST', '/api/v1/portal/auth/totp/enable', { body: {} }), { code: 'required' });
      const en = await c.req('POST', '/api/v1/portal/auth/totp/enable', { body: { code: oathtool(su.body.secret, 'now - 30 seconds') } });
      assert.equal(en.status, 204, en.text);
      assert.equal((await c.req('GET', '/api/v1/portal/auth/me')).body.totp_enabled, true);
      assertProblem(await c.req('POST', '/api/v1/portal/auth/totp/setup', { body: { password: PASSWORD } }), 409);

      const d = client(srv.base);
      const li = await d.req('POST', '/api/v1/portal/auth/login', { body: { email: ct.email, password: PASSWORD } });
      assert.equal(li.body.stage, 'mfa');
      assertProblem(await d.req('GET', T), 401);
      assertFieldErrors(await d.req('POST', '/api/v1/portal/auth/totp', { body: { code: '123456' } }), { code: 'invalid' });
      assertFieldErrors(await d.req('POST', '/api/v1/portal/auth/totp', { body: {} }), { code: 'required' });
      const ok = await d.req('POST', '/api/v1/portal/auth/totp', { body: { code: oathtool(su.body.secret) } });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.stage, 'full');
      assert.equal((await d.req('GET', T)).status, 200);
      assertProblem(await d.req('POST', '/api/v1/portal/auth/totp', { body: { code: '123456' } }), 409);
      assertProblem(await client(srv.base).req('POST', '/api/v1/portal/auth/totp', { body: { code: '123456' } }), 401);

      // Turning it off needs the password and a code.
      assertFieldErrors(await d.req('POST', '/api/v1/portal/auth/totp/disable', { body: { password: PASSWORD, code: '000000' } }), { code: 'invalid' });
      assertFieldErrors(await d.req('POST', '/api/v1/portal/auth/totp/disable', { body: {} }), { password: 'required', code: 'required' });
      const off = await d.req('POST', '/api/v1/portal/auth/totp/disable', { body: { password: PASSWORD, code: oathtool(su.body.secret, 'now + 30 seconds') } });
      assert.equal(off.status, 204, off.text);
      assertProblem(await d.req('POST', '/api/v1/portal/auth/totp/disable', { body: { password: PASSWORD, code: '1' } }), 409);

      // Staff remove a lost one.
      const su2 = await d.req('POST', '/api/v1/portal/auth/totp/setup', { body: { password: PASSWORD } });
      assert.equal((await d.req('POST', '/api/v1/portal/auth/totp/enable', { body: { code: oathtool(su2.body.secret) } })).status, 204);
      assert.equal((await admin.req('GET', '/api/v1/contacts/{id}/portal', { params: { id: ct.id } })).body.totp_enabled, true);
      assert.equal((await admin.req('DELETE', '/api/v1/contacts/{id}/portal/totp', { params: { id: ct.id } })).status, 204);
      const e = client(srv.base);
      assert.equal((await e.req('POST', '/api/v1/portal/auth/login', { body: { email: ct.email, password: PASSWORD } })).body.stage, 'full');
      for (const p of ['/api/v1/portal/auth/totp/setup', '/api/v1/portal/auth/totp/enable', '/api/v1/portal/auth/totp/disable']) {
        assertProblem(await client(srv.base).req('POST', p, { body: {} }), 401);
      }
    });
  });
});
