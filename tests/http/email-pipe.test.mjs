// The inbound email pipe (issue 12): `atrium pipe` reads one message on
// standard input, as Postfix's pipe transport runs it, against the live
// server's database. A known contact's mail to a department's address
// opens a ticket linked to them; a reply (by "[Ticket #N]" or In-Reply-To)
// threads onto it and opens it again; a mail server's retry (the same
// Message-ID), auto-replies, bounces and our own address are ignored; a
// stranger's reply to someone else's ticket opens a ticket of its own;
// unknown senders are refused where the department says so (77); an
// address no department has is 67; a broken or oversize message is 65; a
// database that cannot be reached is 75 (try later). MIME is real:
// multipart with an attachment, quoted-printable, an encoded subject,
// an HTML-only body shown as text. Every message is in the pipe log
// (GET /api/v1/pipe-log, 401/403).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  startServer, adminClient, staffClient, client, assertProblem, runBin, uniq, startSmtpSink, configureSmtp, BIN,
} from './harness.mjs';

describe('email pipe', () => {
  let srv;
  let admin;
  let dept;
  let strict;
  let contact;
  let clientId;
  let sink;

  const pipe = (raw, recipient) => runBin(['pipe', '--db', srv.dbUrl, ...(recipient ? ['--recipient', recipient] : [])],
    { input: raw.replace(/\n/g, '\r\n'), env: srv.env });
  /* The same, as a process of its own (copies delivered at once). */
  const pipeAsync = (raw, recipient) => new Promise((resolve, reject) => {
    const p = spawn(BIN, ['pipe', '--db', srv.dbUrl, '--recipient', recipient], { env: { ...process.env, ...srv.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
    p.stdin.end(raw.replace(/\n/g, '\r\n'));
  });
  const mail = ({ from, to, subject, body = 'Hello.', id = `<${uniq('m')}@mail.example>`, headers = '' }) =>
    `From: ${from}\nTo: ${to}\nSubject: ${subject}\nMessage-ID: ${id}\nDate: Sat, 05 Dec 2026 10:00:00 +0000\n` +
    `MIME-Version: 1.0\n${headers}Content-Type: text/plain; charset=utf-8\n\n${body}\n`;
  const ticket = async (id) => (await admin.req('GET', '/api/v1/tickets/{id}', { params: { id } })).body;
  const thread = async (id) => (await admin.req('GET', '/api/v1/tickets/{id}/replies', { params: { id } })).body.data;
  const tidOf = (out) => Number(/#(\d+)/.exec(out.stdout)[1]);

  before(async () => {
    srv = await startServer();
    sink = await startSmtpSink(srv.dir);
    admin = await adminClient(srv);
    await configureSmtp(admin, sink);
    const d = await admin.req('POST', '/api/v1/departments', { body: { name: uniq('Support '), email: `support-${uniq('d').toLowerCase()}@acme.example` } });
    assert.equal(d.status, 201, d.text);
    dept = d.body;
    const s = await admin.req('POST', '/api/v1/departments', {
      body: { name: uniq('Billing '), email: `billing-${uniq('d').toLowerCase()}@acme.example`, unknown_senders: 'reject' },
    });
    assert.equal(s.status, 201, s.text);
    strict = s.body;
    const c = await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Nordic ') } });
    clientId = c.body.id;
    const ct = await admin.req('POST', '/api/v1/contacts', {
      body: { client_id: clientId, first_name: 'Ana', email: `ana-${uniq('c').toLowerCase()}@nordic.example` },
    });
    assert.equal(ct.status, 201, ct.text);
    contact = ct.body;
  });
  after(async () => {
    await srv?.stop();
    await sink?.stop();
  });

  it('a contact\'s mail opens a ticket of the department, linked to them; the same Message-ID again is ignored', async () => {
    const raw = mail({ from: `Ana <${contact.email.toUpperCase()}>`, to: dept.email, subject: 'The saw stopped', body: 'It shows E42.' });
    const out = pipe(raw, dept.email);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /ticket_created: ticket #\d+ opened/);
    const t = await ticket(tidOf(out));
    assert.deepEqual([t.subject, t.department_id, t.contact_id, t.client_id, t.status, t.message.trim()],
      ['The saw stopped', dept.id, contact.id, clientId, 'open', 'It shows E42.']);
    const again = pipe(raw, dept.email);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /ignored: a Message-ID already received/);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'ticket', entity_id: t.id } });
    assert.equal(act.body.data[0].actor_name, 'email pipe');
    const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'ticket', entity_id: t.id, action: 'created' } });
    assert.equal(ev.body.data[0].payload.after.subject, 'The saw stopped');
  });

  it('replies thread by [Ticket #N] and by In-Reply-To, and open the ticket again; a stranger gets a ticket of their own', async () => {
    const id = `<${uniq('first')}@nordic.example>`;
    const first = pipe(mail({ from: contact.email, to: dept.email, subject: 'Invoice question', id }), dept.email);
    const tid = tidOf(first);
    const staffReply = await admin.req('POST', '/api/v1/tickets/{id}/replies', { params: { id: tid }, body: { body: 'Which invoice?' } });
    assert.equal(staffReply.status, 201);
    assert.equal((await ticket(tid)).status, 'answered');
    const byTag = pipe(mail({ from: contact.email, to: dept.email, subject: `Re: [Ticket #${tid}] Invoice question`, body: 'The March one.' }));
    assert.equal(byTag.status, 0, byTag.stderr);
    assert.match(byTag.stdout, new RegExp(`reply_added: reply added to ticket #${tid}`));
    const byRef = pipe(mail({ from: contact.email, to: dept.email, subject: 'Re: Invoice question', body: 'Also April.',
      headers: `In-Reply-To: ${id}\nReferences: ${id}\n` }), dept.email);
    assert.match(byRef.stdout, new RegExp(`ticket #${tid}`));
    const th = await thread(tid);
    assert.deepEqual(th.map((x) => x.body.trim()), ['Which invoice?', 'The March one.', 'Also April.']);
    assert.deepEqual(th.map((x) => [x.source, x.contact_id]), [['staff', null], ['email', contact.id], ['email', contact.id]]);
    assert.equal((await ticket(tid)).status, 'open', 'the contact\'s reply opens it again');
    // Someone else who knows the number does not write into it.
    const stranger = pipe(mail({ from: 'eve@evil.example', to: dept.email, subject: `Re: [Ticket #${tid}] hi` }), dept.email);
    assert.match(stranger.stdout, /ticket_created: ticket #\d+ opened \(unknown sender\)/);
    assert.notEqual(tidOf(stranger), tid);
    assert.equal((await thread(tid)).length, 3);
  });

  it('a staff reply reaches the contact by email, answered to the department; their answer comes back into the thread', async () => {
    const first = pipe(mail({ from: contact.email, to: dept.email, subject: 'Where is my order?' }), dept.email);
    const tid = tidOf(first);
    const note = await admin.req('POST', '/api/v1/tickets/{id}/replies', { params: { id: tid }, body: { body: 'Ask the warehouse.', internal: true } });
    assert.equal(note.status, 201);
    const r = await admin.req('POST', '/api/v1/tickets/{id}/replies', { params: { id: tid }, body: { body: 'It ships tomorrow.' } });
    assert.equal(r.status, 201, r.text);
    const sent = await sink.waitFor(contact.email, (x) => (x.subject || '').startsWith(`[Ticket #${tid}]`), { what: 'the reply email' });
    assert.equal(sent.subject, `[Ticket #${tid}] Where is my order?`);
    assert.match(sent.body, /It ships tomorrow\./);
    assert.match(sent.raw, new RegExp(`^Reply-To: ${dept.email.replace(/[.+]/g, '\\$&')}\r?$`, 'm'));
    assert.ok(!sink.to(contact.email).some((x) => /Ask the warehouse/.test(x.body || '')), 'a note is never emailed');
    const answer = pipe(mail({ from: contact.email, to: dept.email, subject: `Re: ${sent.subject}`, body: 'Thank you!' }), dept.email);
    assert.match(answer.stdout, new RegExp(`reply_added: reply added to ticket #${tid}`));
    const th = await thread(tid);
    assert.deepEqual(th.map((x) => x.body.trim()), ['Ask the warehouse.', 'It ships tomorrow.', 'Thank you!']);
    // A mail program that drops the subject's tag still names our message
    // in In-Reply-To: the answer threads by it.
    assert.match(sent.message_id, /^<atrium\.\d+\.\d+\.\d+@/);
    const untagged = pipe(mail({ from: contact.email, to: dept.email, subject: 'Re: your answer', body: 'One more thing.',
      headers: `In-Reply-To: ${sent.message_id}\nReferences: ${sent.message_id}\n` }), dept.email);
    assert.match(untagged.stdout, new RegExp(`reply_added: reply added to ticket #${tid}`), untagged.stdout);
    // A made-up reference of our shape threads nowhere.
    const forged = pipe(mail({ from: contact.email, to: dept.email, subject: 'Re: something', body: 'x',
      headers: 'In-Reply-To: <atrium.1.999999.20260101000000000@example.test>\n' }), dept.email);
    assert.match(forged.stdout, /ticket_created/);
  });

  it('a message sent to two departments opens a ticket in each; a copy again is ignored; a reply to both is added once', async () => {
    const id = `<${uniq('both')}@nordic.example>`;
    const raw = mail({ from: contact.email, to: `${dept.email}, ${strict.email}`, subject: 'Both of you', id });
    const a = pipe(raw, dept.email);
    const b = pipe(raw, strict.email);
    assert.match(a.stdout, /ticket_created/);
    assert.match(b.stdout, /ticket_created/);
    const [ta, tb] = [await ticket(tidOf(a)), await ticket(tidOf(b))];
    assert.deepEqual([ta.department_id, tb.department_id], [dept.id, strict.id]);
    for (const to of [dept.email, strict.email]) {
      assert.match(pipe(raw, to).stdout, /ignored: a Message-ID already received/, `${to}: a retry`);
    }
    // Reply-all: the copy to the other address finds it on the ticket.
    const re = mail({ from: contact.email, to: `${dept.email}, ${strict.email}`, subject: `Re: [Ticket #${ta.id}] Both of you`, body: 'Once.' });
    assert.match(pipe(re, strict.email).stdout, new RegExp(`reply_added: reply added to ticket #${ta.id}`));
    assert.match(pipe(re, dept.email).stdout, /ignored: a Message-ID already received/);
    assert.deepEqual((await thread(ta.id)).map((x) => x.body.trim()), ['Once.']);
    // An answer by In-Reply-To goes to the ticket of the address it is sent to.
    const irt = mail({ from: contact.email, to: strict.email, subject: 'Re: Both of you', body: 'For billing.', headers: `In-Reply-To: ${id}\n` });
    assert.match(pipe(irt, strict.email).stdout, new RegExp(`reply added to ticket #${tb.id}\\b`));
  });

  it('copies delivered at the same moment: one ticket per department, the other copies ignored, none a temporary failure', async () => {
    // As a mail server delivers one message's recipients: a process each,
    // at once. Rounds, as the overlap of two processes is up to the machine.
    for (let round = 0; round < 10; round++) {
      const raw = mail({ from: contact.email, to: `${dept.email}, ${strict.email}`, subject: uniq('At once ') });
      const runs = await Promise.all([dept.email, strict.email, dept.email]
        .map((to) => pipeAsync(raw, to).then((r) => ({ to, ...r }))));
      for (const r of runs) assert.equal(r.status, 0, `${r.to}: exit ${r.status} ${r.stdout}${r.stderr}`);
      const results = (to) => runs.filter((r) => r.to === to).map((r) => r.stdout.replace(/ #\d+/, '').trim()).sort();
      assert.deepEqual(results(dept.email), ['atrium pipe: ignored: a Message-ID already received', 'atrium pipe: ticket_created: ticket opened']);
      assert.deepEqual(results(strict.email), ['atrium pipe: ticket_created: ticket opened']);
    }
  });

  it('auto-replies, bounces and mail from our own address are ignored (no loops)', async () => {
    const cases = [
      ['Auto-Submitted: auto-replied\n', /automatic/],
      ['Precedence: bulk\n', /automatic/],
      ['Return-Path: <>\n', /bounce/],
    ];
    for (const [headers, why] of cases) {
      const out = pipe(mail({ from: contact.email, to: dept.email, subject: 'Out of office', headers }), dept.email);
      assert.equal(out.status, 0, out.stderr);
      assert.match(out.stdout, why);
    }
    const own = pipe(mail({ from: strict.email, to: dept.email, subject: 'looping' }), dept.email);
    assert.match(own.stdout, /ignored: sent from one of our own addresses/);
  });

  it('refusals carry the mail server\'s exit status: 77 unknown sender where refused, 67 no department, 65 unreadable or too large', async () => {
    const refused = pipe(mail({ from: 'stranger@else.example', to: strict.email, subject: 'Pay me' }), strict.email);
    assert.equal(refused.status, 77);
    assert.match(refused.stderr, /not a contact/);
    const fromContact = pipe(mail({ from: contact.email, to: strict.email, subject: 'Billing please' }), strict.email);
    assert.equal(fromContact.status, 0, 'a contact is taken there');
    const nobody = pipe(mail({ from: contact.email, to: 'nobody@acme.example', subject: 'x' }), 'nobody@acme.example');
    assert.equal(nobody.status, 67);
    const junk = pipe('\u0000\u0001 not a message at all', dept.email);
    assert.ok([0, 65].includes(junk.status), `junk: ${junk.status} ${junk.stdout}${junk.stderr}`);
    const big = pipe(mail({ from: contact.email, to: dept.email, subject: 'big', body: 'x'.repeat(11 * 1024 * 1024) }), dept.email);
    assert.equal(big.status, 65);
    assert.match(big.stderr, /larger than 10 MiB/);
  });

  it('MIME: an attachment is counted, quoted-printable and an encoded subject are decoded, an HTML-only body becomes text', async () => {
    const multipart = `From: ${contact.email}\nTo: ${dept.email}\nSubject: =?UTF-8?B?${Buffer.from('Factură lipsă').toString('base64')}?=\n` +
      `Message-ID: <${uniq('mp')}@nordic.example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\n` +
      '--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nBun=C4=83 ziua, lipse=C8=99te factura.\n' +
      '--b1\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="scan.pdf"\nContent-Transfer-Encoding: base64\n\n' +
      `${Buffer.from('%PDF-1.4 fake').toString('base64')}\n` +
      '--b1\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="invoice.exe"\nContent-Transfer-Encoding: base64\n\n' +
      `${Buffer.from('MZ fake program').toString('base64')}\n--b1--\n`;
    const out = pipe(multipart, dept.email);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /attachment 'invoice\.exe' refused: is a program/);
    const t = await ticket(tidOf(out));
    assert.equal(t.subject, 'Factură lipsă');
    assert.equal(t.message.trim(), 'Bună ziua, lipsește factura.');
    const files = await admin.req('GET', '/api/v1/tickets/{id}/attachments', { params: { id: t.id } });
    assert.deepEqual(files.body.data.map((x) => [x.filename, x.content_type, x.contact_id]), [['scan.pdf', 'application/pdf', contact.id]]);
    const got = await fetch(`${srv.base}${files.body.data[0].url}`, { headers: { Cookie: admin.cookieHeader() } });
    assert.equal(Buffer.from(await got.arrayBuffer()).toString(), '%PDF-1.4 fake', 'decoded from base64');
    const html = `From: ${contact.email}\nTo: ${dept.email}\nSubject: HTML only\nMessage-ID: <${uniq('h')}@nordic.example>\n` +
      'MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n' +
      '<html><head><style>p{color:red}</style><script>alert(1)</script></head><body><p>Hello <b>team</b>,</p><p>it <i>broke</i>.</p><img src=x onerror=alert(2)></body></html>\n';
    const h = await ticket(tidOf(pipe(html, dept.email)));
    assert.match(h.message, /Hello team,\s*\n\s*it broke\./);
    assert.ok(!/[<>]|alert|color/.test(h.message), h.message);
  });

  it('a database that cannot be reached is 75 (try again later), nothing written', async () => {
    const out = runBin(['pipe', '--db', srv.pg ? 'postgresql://nobody@127.0.0.1:1/none' : 'sqlite:/nonexistent/dir/x.db', '--recipient', dept.email],
      { input: mail({ from: contact.email, to: dept.email, subject: 'later' }), env: srv.env });
    assert.equal(out.status, 75, `${out.stdout}${out.stderr}`);
  });

  it('the pipe log lists every message with its result; 401 and 403', async () => {
    const r = await admin.req('GET', '/api/v1/pipe-log', { query: { limit: 200 } });
    assert.equal(r.status, 200, r.text);
    const results = new Set(r.body.data.map((x) => x.result));
    for (const k of ['ticket_created', 'reply_added', 'ignored', 'rejected', 'no_recipient']) assert.ok(results.has(k), k);
    const rej = await admin.req('GET', '/api/v1/pipe-log', { query: { result: 'rejected', from_addr: 'stranger@else.example' } });
    assert.equal(rej.body.data.length, 1);
    assert.match(rej.body.data[0].detail, /not a contact/);
    const q = await admin.req('GET', '/api/v1/pipe-log', { query: { q: 'Invoice question' } });
    assert.ok(q.body.data.length >= 1);
    assertProblem(await client(srv.base).req('GET', '/api/v1/pipe-log'), 401);
    assertProblem(await (await staffClient(srv)).req('GET', '/api/v1/pipe-log'), 403);
  });
});
