// The email pipe with a real mail server (issue 12): Debian's Postfix,
// started on loopback as an instance of its own (tests/http/postfix.mjs),
// configured as docs/operations-guide.md says: the department addresses in
// transport_maps, delivered by a pipe(8) transport that runs `atrium pipe
// --config FILE --recipient ${recipient}` as an unprivileged account, one
// recipient per run. Mail is sent to it over SMTP by Python's smtplib
// (tests/http/smtp_send.py), and what happened is read from Atrium's API
// and from Postfix's own log, queue and mailboxes:
//   - a contact's mail becomes a ticket of the department whose address
//     the envelope names, linked to the contact;
//   - a staff reply goes out through Postfix to the contact's mailbox, and
//     the contact's answer ("[Ticket #N]" in its subject) threads onto it;
//   - one message to two department addresses reaches each department;
//   - an address Postfix does not list is refused at RCPT, and nothing is
//     relayed; Atrium's refusals (77 not a contact, 67 no department)
//     become bounces to the sender carrying Atrium's reason;
//   - a database the pipe cannot reach is exit 75: Postfix keeps the
//     message deferred, and delivers it once the cause is fixed.
// Needs root (Postfix's master) and the postfix package; skipped with the
// reason otherwise.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, adminClient, uniq, waitFor, BIN } from './harness.mjs';
import { postfixSkipReason, startPostfix, smtpSend, account, PIPE_USER } from './postfix.mjs';

const skip = postfixSkipReason();

const SUPPORT = 'support@example.test';
const BILLING = 'billing@example.test';
// Routed to Atrium by Postfix, but no department has it (any more).
const RETIRED = 'retired@example.test';
const ANA = 'ana@customer.test'; // a contact
const EVE = 'eve@customer.test'; // not a contact

describe('the email pipe behind Postfix', { skip }, () => {
  let tmp;
  let srv;
  let admin;
  let pf;
  let support;
  let billing;
  let contact;
  let clientId;
  let dbDir;
  let pipeUser;

  /* Sends one message from `from` to the envelope recipients `to`. */
  const send = ({ from = ANA, to, subject, body = 'Hello.', headers = {} }) => smtpSend(pf.port, {
    mailFrom: from,
    rcptTo: to,
    headers: { From: from, To: to.join(', '), Subject: subject, ...headers },
    body,
  });
  /* Sends and asserts that Postfix took it for every recipient (250 at
   * RCPT and DATA); returns the client's record with the queue id. */
  const sendOk = (msg) => {
    const out = send(msg);
    for (const r of msg.to) assert.equal(out.rcpt[r]?.[0], 250, `RCPT TO:<${r}>: ${JSON.stringify(out.rcpt[r])}`);
    assert.equal(out.data?.[0], 250, `DATA: ${JSON.stringify(out.data)}`);
    assert.ok(out.queue_id, `no queue id in ${out.data[1]}`);
    return out;
  };
  const pipeLog = async (q) => {
    const r = await admin.req('GET', '/api/v1/pipe-log', { query: { q, limit: 50 } });
    assert.equal(r.status, 200, r.text);
    return r.body.data;
  };
  const ticket = async (id) => {
    const r = await admin.req('GET', '/api/v1/tickets/{id}', { params: { id } });
    assert.equal(r.status, 200, r.text);
    return r.body;
  };
  const thread = async (id) => (await admin.req('GET', '/api/v1/tickets/{id}/replies', { params: { id } })).body.data;
  const psql = (url, sql) => {
    const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-At', '-c', sql], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };

  before(async () => {
    // Everything under one directory the pipe's account can traverse:
    // its own configuration and key (0600, its own), the SQLite database
    // (its own too, as on a real host where the service user owns it),
    // and Postfix's configuration, queue, log and mailboxes.
    pipeUser = account(PIPE_USER);
    tmp = fs.mkdtempSync('/tmp/atrium-postfix-');
    fs.chmodSync(tmp, 0o755);
    dbDir = path.join(tmp, 'db');
    fs.mkdirSync(dbDir, { mode: 0o700 });
    fs.chownSync(dbDir, pipeUser.uid, pipeUser.gid);
    srv = await startServer({ dataDir: dbDir });
    // The database, its -wal and -shm, created by the CLI as root: the
    // pipe's account must write them (SQLite gives new -wal/-shm files
    // the database file's owner when root opens them).
    for (const f of fs.readdirSync(dbDir)) fs.chownSync(path.join(dbDir, f), pipeUser.uid, pipeUser.gid);
    const etc = path.join(tmp, 'atrium');
    fs.mkdirSync(etc, { mode: 0o700 });
    const keyFile = path.join(etc, 'master.key');
    const confFile = path.join(etc, 'atrium.conf');
    fs.writeFileSync(keyFile, `${srv.env.ATRIUM_MASTER_KEY}\n`, { mode: 0o600 });
    fs.writeFileSync(confFile, `# atrium pipe, run by Postfix\ndb = ${srv.dbUrl}\nmaster_key_file = ${keyFile}\n`, { mode: 0o600 });
    for (const p of [etc, keyFile, confFile]) fs.chownSync(p, pipeUser.uid, pipeUser.gid);

    admin = await adminClient(srv);
    const mk = async (body) => {
      const r = await admin.req('POST', '/api/v1/departments', { body });
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    support = await mk({ name: 'Support', email: SUPPORT });
    billing = await mk({ name: 'Billing', email: BILLING, unknown_senders: 'reject' });
    const c = await admin.req('POST', '/api/v1/clients', { body: { company: 'Customer Ltd' } });
    assert.equal(c.status, 201, c.text);
    clientId = c.body.id;
    const ct = await admin.req('POST', '/api/v1/contacts', { body: { client_id: clientId, first_name: 'Ana', email: ANA } });
    assert.equal(ct.status, 201, ct.text);
    contact = ct.body;

    // The binary under test, installed where the pipe's account can run it
    // (the checkout may sit under a home directory it cannot enter).
    const bin = path.join(tmp, 'bin', 'atrium');
    fs.mkdirSync(path.dirname(bin), { mode: 0o755 });
    fs.copyFileSync(BIN, bin);
    fs.chmodSync(bin, 0o755);
    pf = startPostfix({
      dir: tmp,
      pipeArgv: [bin, 'pipe', '--config', confFile, '--recipient', '${recipient}'],
      departments: [SUPPORT, BILLING, RETIRED],
      mailboxes: ['ana', 'eve'],
    });
    // Atrium's own email (a staff reply to the contact) goes out through
    // the same Postfix: no TLS and no password on loopback.
    const s = await admin.req('PATCH', '/api/v1/settings/{group}', {
      params: { group: 'smtp' },
      body: { smtp_host: '127.0.0.1', smtp_port: pf.port, smtp_security: 'none', smtp_email: 'crm@example.test', smtp_username: '' },
    });
    assert.equal(s.status, 200, s.text);
  });

  after(async () => {
    let err = null;
    for (const step of [() => pf?.stop(), () => srv?.stop()]) {
      try { await step(); } catch (e) { err ??= e; }
    }
    if (tmp && !(err && process.env.ATRIUM_KEEP_FAILED)) fs.rmSync(tmp, { recursive: true, force: true });
    if (err) throw err;
  });

  it('a contact\'s mail becomes a ticket of the department the envelope names, linked to the contact', async () => {
    const tag = uniq('saw');
    // The header names the company's public address; the envelope (what
    // Postfix passes as ${recipient}) names the department.
    const out = sendOk({ to: [SUPPORT], subject: `The saw stopped ${tag}`, body: 'It shows E42.',
      headers: { To: 'Customer Care <care@acme.example>' } });
    const d = await pf.waitDelivery(out.queue_id, SUPPORT);
    assert.equal(d.status, 'sent', d.line);
    assert.match(d.line, /relay=atrium,/);
    const log = await pipeLog(tag);
    assert.equal(log.length, 1, JSON.stringify(log));
    assert.deepEqual([log[0].result, log[0].from, log[0].to], ['ticket_created', ANA, SUPPORT]);
    const t = await ticket(log[0].ticket_id);
    assert.deepEqual([t.subject, t.department_id, t.contact_id, t.client_id, t.status, t.message.trim()],
      [`The saw stopped ${tag}`, support.id, contact.id, clientId, 'open', 'It shows E42.']);
  });

  it('a staff reply reaches the contact\'s mailbox through Postfix; the answer with "[Ticket #N]" in its subject threads onto the ticket', async () => {
    const tag = uniq('order');
    const first = sendOk({ to: [SUPPORT], subject: `Where is my order? ${tag}` });
    assert.equal((await pf.waitDelivery(first.queue_id, SUPPORT)).status, 'sent');
    const tid = (await pipeLog(tag))[0].ticket_id;
    const r = await admin.req('POST', '/api/v1/tickets/{id}/replies', { params: { id: tid }, body: { body: 'It ships tomorrow.' } });
    assert.equal(r.status, 201, r.text);
    assert.equal((await ticket(tid)).status, 'answered');
    const got = await waitFor(() => pf.mailbox('ana').find((m) => m.headers.subject === `[Ticket #${tid}] Where is my order? ${tag}`),
      { timeout: 60000, every: 200, what: `the staff reply in ${ANA}'s mailbox (Atrium → Postfix → Maildir)` });
    assert.match(got.headers['reply-to'], new RegExp(`\\b${SUPPORT}\\b`));
    assert.match(got.raw, /It ships tomorrow\./);
    // The contact answers from their mail program: "Re:" and the tag, no
    // In-Reply-To (the subject alone threads it).
    const answer = sendOk({ to: [SUPPORT], subject: `Re: ${got.headers.subject}`, body: 'Thank you!' });
    assert.equal((await pf.waitDelivery(answer.queue_id, SUPPORT)).status, 'sent');
    const th = await thread(tid);
    assert.deepEqual(th.map((x) => [x.body.trim(), x.source, x.contact_id]),
      [['It ships tomorrow.', 'staff', null], ['Thank you!', 'email', contact.id]]);
    assert.equal((await ticket(tid)).status, 'open', 'the contact\'s answer opens it again');
  });

  it('one message to two department addresses: Postfix runs the pipe once per recipient, and each department gets a ticket', async () => {
    const tag = uniq('both');
    const out = sendOk({ to: [SUPPORT, BILLING], subject: `For both of you ${tag}` });
    // Postfix delivers the two recipients at once (two pipe processes).
    for (const to of [SUPPORT, BILLING]) {
      const d = await pf.waitDelivery(out.queue_id, to);
      assert.equal(d.status, 'sent', d.line);
      assert.match(d.text, /atrium pipe: ticket_created: ticket #\d+ opened/, d.line);
    }
    const log = await pipeLog(tag);
    assert.deepEqual(log.map((x) => [x.to, x.result]).sort(), [[BILLING, 'ticket_created'], [SUPPORT, 'ticket_created']]);
    const depts = [];
    for (const row of log) depts.push((await ticket(row.ticket_id)).department_id);
    assert.deepEqual(depts.sort(), [support.id, billing.id].sort());
  });

  it('an address Postfix does not list is refused at RCPT, and nothing is relayed; a listed one in the same message is delivered', async () => {
    const tag = uniq('who');
    const out = send({ to: ['nobody@example.test', 'someone@elsewhere.example', SUPPORT], subject: `Anyone there? ${tag}` });
    assert.equal(out.rcpt['nobody@example.test'][0], 550, JSON.stringify(out.rcpt));
    assert.match(out.rcpt['nobody@example.test'][1], /^5\.1\.1 .*User unknown in relay recipient table/);
    assert.equal(out.rcpt['someone@elsewhere.example'][0], 554, JSON.stringify(out.rcpt));
    assert.match(out.rcpt['someone@elsewhere.example'][1], /Relay access denied/);
    assert.equal(out.rcpt[SUPPORT][0], 250);
    assert.equal(out.data[0], 250);
    assert.equal((await pf.waitDelivery(out.queue_id, SUPPORT)).status, 'sent');
    // Only the listed address reached Atrium, and Postfix queued nothing else.
    assert.deepEqual((await pipeLog(tag)).map((x) => x.to), [SUPPORT]);
    assert.ok(!pf.log().split('\n').some((l) => l.includes(out.queue_id) && /to=<(nobody@example\.test|someone@elsewhere\.example)>/.test(l) && /status=/.test(l)),
      'no delivery attempt for a refused recipient');
    const refused = send({ to: ['nobody@example.test'], subject: `Only strangers ${tag}` });
    assert.equal(refused.data, null, 'no DATA when every recipient is refused');
  });

  it('Atrium\'s refusals become bounces to the sender with its reason: 77 not a contact, 67 no department', async () => {
    const tag = uniq('no');
    // Billing takes mail from contacts only: eve is not one (77).
    const toBilling = sendOk({ from: EVE, to: [BILLING], subject: `Pay me ${tag}` });
    const b = await pf.waitDelivery(toBilling.queue_id, BILLING);
    assert.equal(b.status, 'bounced', b.line);
    // pipe(8) reads the exit status as sysexits.h: 77 EX_NOPERM is 5.7.0.
    assert.equal(b.dsn, '5.7.0');
    assert.match(b.text, /^permission denied\. Command output: atrium pipe: rejected: the sender is not a contact/);
    // Postfix still routes retired@ to Atrium, where no department has it (67).
    const toRetired = sendOk({ to: [RETIRED], subject: `Old address ${tag}` });
    const r = await pf.waitDelivery(toRetired.queue_id, RETIRED);
    assert.equal(r.status, 'bounced', r.line);
    assert.equal(r.dsn, '5.1.1'); // 67 EX_NOUSER
    assert.match(r.text, /^user unknown\. Command output: atrium pipe: no_recipient: no department has the address/);
    // The bounces reach the senders' mailboxes, with Atrium's line and the
    // returned message.
    for (const [user, why, subject] of [['eve', /not a contact/, `Pay me ${tag}`], ['ana', /no department has the address/, `Old address ${tag}`]]) {
      const dsn = await waitFor(() => pf.mailbox(user).find((m) => m.raw.includes(subject) && /^Undelivered Mail/.test(m.headers.subject || '')),
        { timeout: 60000, every: 200, what: `the bounce of "${subject}" in ${user}'s mailbox` });
      assert.match(dsn.raw, why);
      assert.match(dsn.headers['content-type'], /multipart\/report; report-type=delivery-status/);
    }
    const log = await pipeLog(tag);
    assert.deepEqual(log.map((x) => [x.to, x.result]).sort(), [[BILLING, 'rejected'], [RETIRED, 'no_recipient']]);
  });

  it('a database the pipe cannot reach is exit 75: Postfix keeps the message deferred and delivers it once the cause is fixed', async () => {
    const tag = uniq('later');
    // The cause: the database is out of the pipe's reach (PostgreSQL: it
    // accepts no new connection; SQLite: its directory has lost its
    // permissions, as after a careless restore). The running server keeps
    // its own connections and files.
    const cut = () => (srv.pg ? psql(`${srv.pgBase}postgres`, `ALTER DATABASE ${srv.dbName} ALLOW_CONNECTIONS false`) : fs.chmodSync(dbDir, 0o000));
    const mend = () => (srv.pg ? psql(`${srv.pgBase}postgres`, `ALTER DATABASE ${srv.dbName} ALLOW_CONNECTIONS true`) : fs.chmodSync(dbDir, 0o700));
    cut();
    let out;
    try {
      out = sendOk({ to: [SUPPORT], subject: `Call me later ${tag}` });
      const d = await pf.waitDelivery(out.queue_id, SUPPORT);
      assert.equal(d.status, 'deferred', d.line);
      assert.equal(d.dsn, '4.3.0'); // 75 EX_TEMPFAIL
      assert.match(d.text, /^temporary failure\. Command output: atrium: database unavailable: /);
      // In the deferred queue (not yet there the instant the log line is
      // written: the queue manager moves it just after).
      const queued = await waitFor(() => pf.queue().find((m) => m.queue_id === out.queue_id && m.queue_name === 'deferred'),
        { timeout: 30000, what: `${out.queue_id} in Postfix's deferred queue` });
      assert.deepEqual(queued.recipients.map((x) => x.address), [SUPPORT]);
      assert.match(queued.recipients[0].delay_reason, /temporary failure/);
    } finally {
      mend();
    }
    assert.deepEqual(await pipeLog(tag), [], 'nothing was written while the database was out of reach');
    pf.flush();
    const d = await pf.waitDelivery(out.queue_id, SUPPORT, { skip: 1 });
    assert.equal(d.status, 'sent', d.line);
    const log = await pipeLog(tag);
    assert.deepEqual(log.map((x) => [x.to, x.result]), [[SUPPORT, 'ticket_created']]);
    assert.equal((await ticket(log[0].ticket_id)).subject, `Call me later ${tag}`);
    await waitFor(() => !pf.queue().some((m) => m.queue_id === out.queue_id), { what: `${out.queue_id} to leave the queue` });
  });
});
