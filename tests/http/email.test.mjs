// Outbound email: the settings API (company, smtp, seats, email_queue), the
// SMTP test button, the queue worker and its routes, against a REAL SMTP
// server on loopback (tests/http/smtp_sink.py on Debian's python3-aiosmtpd,
// which requires AUTH, so a delivered message also proves the stored,
// encrypted SMTP password decrypts).
//
// Queued mail is produced through the invitation route (POST /api/v1/staff
// with send_welcome) when the route table has it, and otherwise by a message
// written straight into email_queue with its job (the data shape of
// src/email/email.h: the message in email_queue, its delivery state in the
// job runner's job table), which the runner must pick up the same.
//
// The server runs with ATRIUM_EMAIL_RETRY_BASE_MS=50 so retries take
// milliseconds, not minutes; the worker still ticks once a second.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors,
  freePort, waitFor, uniq, runBin, BIN, ROOT, ISO_MS,
} from './harness.mjs';

const SETTINGS = '/api/v1/settings/{group}';
const SMTP_TEST = '/api/v1/settings/smtp/test';
const QUEUE = '/api/v1/email-queue';
const RETRY = '/api/v1/email-queue/retry';
const ACTIVITY = '/api/v1/activity';

const PYTHON = '/usr/bin/python3'; // a pyenv python3 on PATH may lack aiosmtpd
const SINK_SCRIPT = path.join(ROOT, 'tests', 'http', 'smtp_sink.py');
const SMTP_USER = 'atrium-mailer';
const SMTP_PASS = 'Smtp-secret-for-http-tests-7';
const FROM = 'crm@example.test';
const FROM_NAME = 'Atrium Mailer';

// Child processes of this file (SMTP sinks, extra nodes) die with it.
const children = new Set();
process.on('exit', () => {
  for (const p of children) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
});

/* The SMTP server: start, stop (really down: connections refused), read. */
function smtpSink(port, file) {
  const s = {
    port,
    file,
    proc: null,
    async start() {
      const proc = spawn(PYTHON, [SINK_SCRIPT, '--port', String(port), '--out', file,
        '--user', SMTP_USER, '--password', SMTP_PASS], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(proc);
      s.proc = proc;
      let err = '';
      proc.stderr.on('data', (d) => { err += d; });
      await new Promise((resolve, reject) => {
        let out = '';
        proc.stdout.on('data', (d) => {
          out += d;
          if (out.includes('ready')) resolve();
        });
        proc.on('exit', (code) => reject(new Error(`smtp sink exited ${code}: ${err}`)));
      });
    },
    async stop() {
      const proc = s.proc;
      if (!proc) return;
      s.proc = null;
      const gone = new Promise((r) => proc.on('exit', r));
      proc.kill('SIGTERM');
      await gone;
      children.delete(proc);
    },
    messages() {
      if (!fs.existsSync(file)) return [];
      return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    to(addr) {
      return s.messages().filter((m) => m.rcpt_tos.includes(addr));
    },
  };
  return s;
}

/* Unfolds a raw message's header block into {name: value} (first wins). */
function rawHeaders(raw) {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]/g, ' ');
  const h = {};
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !(line.slice(0, i).toLowerCase() in h)) h[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return h;
}

describe('email: settings, SMTP test, queue worker', () => {
  let srv;
  let admin;
  let staff;
  let sink;
  let company;
  let viaInvitation;

  /* Runs SQL on the server's database; SQLite waits for the worker's locks. */
  function sql(statement) {
    const r = srv.pg
      ? srv.sql(statement)
      : (() => {
        const x = spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', srv.dbFile, statement], { encoding: 'utf8' });
        return { status: x.status, stdout: (x.stdout || '').trim(), stderr: x.stderr };
      })();
    assert.equal(r.status, 0, `SQL failed: ${statement}\n${r.stderr}`);
    return r.stdout;
  }

  /*
   * Writes a message and its delivery job straight into the database, as
   * a node would have left them. Returns the message's id.
   */
  function insertEmail({ to, subject, body, at, status = 'queued', leaseUntil = null }) {
    const lease = leaseUntil ? `'dead-node:1:000000', '${leaseUntil}'` : 'NULL, NULL';
    const job = Number(sql(`INSERT INTO job (org_id, kind, payload, status, attempts, run_at, scheduled_at, ` +
      `lease_owner, lease_until, created_at) VALUES (1, 'email', '{}', '${status}', 0, '${at}', '${at}', ${lease}, ` +
      `'${at}') RETURNING id`));
    const id = Number(sql(`INSERT INTO email_queue (org_id, to_addr, subject, body_text, template, created_at, job_id) ` +
      `VALUES (1, '${to}', '${subject}', '${body}', 'test', '${at}', ${job}) RETURNING id`));
    assert.ok(job > 0 && id > 0);
    return id;
  }

  async function patch(group, body, c = admin) {
    return c.req('PATCH', SETTINGS, { params: { group }, body });
  }

  async function get(group, c = admin) {
    return c.req('GET', SETTINGS, { params: { group } });
  }

  async function configureSmtp(extra = {}) {
    const r = await patch('smtp', {
      smtp_host: '127.0.0.1', smtp_port: sink.port, smtp_security: 'none', smtp_email: FROM,
      smtp_from_name: FROM_NAME, smtp_username: SMTP_USER, smtp_password: SMTP_PASS, smtp_plaintext_password: true, ...extra,
    });
    assert.equal(r.status, 200, r.text);
    return r;
  }

  async function queueRow(id, c = admin) {
    const r = await c.req('GET', QUEUE, { query: { limit: 200 } });
    assert.equal(r.status, 200, r.text);
    return r.body.data.find((x) => x.id === id);
  }

  async function waitStatus(id, status, { c = admin, timeout = 30000 } = {}) {
    return waitFor(async () => {
      const row = await queueRow(id, c);
      return row && row.status === status ? row : null;
    }, { timeout, every: 150, what: `email ${id} to become ${status}` });
  }

  /*
   * Queues one email to a fresh address through a real path: the invitation
   * (when the staff route exists), else a row written into email_queue.
   * Returns {id, to, subject}.
   */
  async function enqueue(c = admin) {
    const tag = uniq('mail');
    const to = `${tag}@example.test`;
    if (viaInvitation) {
      const r = await c.req('POST', '/api/v1/staff', { body: { email: to, name: `Invitee ${tag}`, send_welcome: true } });
      assert.equal(r.status, 201, `invite: ${r.status} ${r.text}`);
      const q = await c.req('GET', QUEUE, { query: { limit: 200 } });
      const row = q.body.data.find((x) => x.to === to);
      assert.ok(row, `the invitation to ${to} is in the queue: ${q.text}`);
      assert.equal(row.template, 'invitation');
      return { id: row.id, to, subject: `You are invited to ${company}` };
    }
    const subject = `Queued ${tag}`;
    const id = insertEmail({ to, subject, body: `Body of ${tag}`, at: new Date().toISOString() });
    return { id, to, subject };
  }

  before(async () => {
    srv = await startServer({ env: { ATRIUM_EMAIL_RETRY_BASE_MS: '50' } });
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    sink = smtpSink(await freePort(), path.join(srv.dir, 'sink.jsonl'));
    await sink.start();
    const routes = JSON.parse(runBin(['routes']).stdout);
    viaInvitation = routes.some((r) => r.method === 'POST' && r.path === '/api/v1/staff');
    company = `Ünïcorn Trading ${uniq('co')}`;
    assert.equal((await patch('company', { company_name: company })).status, 200);
    // Invitations take seats; make room for the ones this file sends.
    // (seats are the operator's: `atrium org seats`)
    const seats = srv.cli(['org', 'seats', '1', '--extra-seats', '100']);
    assert.equal(seats.status, 0, seats.stderr);
    await configureSmtp();
  });

  after(async () => {
    await sink?.stop();
    await srv?.stop();
  });

  // ---- settings ------------------------------------------------------------

  it('GET describes each group with its values and defaults', async () => {
    const eq = await get('email_queue');
    assert.equal(eq.status, 200, eq.text);
    assert.equal(eq.body.group, 'email_queue');
    assert.deepEqual(eq.body.values, { max_attempts: 5 });
    const f = eq.body.fields.find((x) => x.key === 'max_attempts');
    assert.deepEqual([f.type, f.default, f.min, f.max], ['int', 5, 1, 100]);

    const smtp = await get('smtp');
    assert.equal(smtp.status, 200);
    const v = smtp.body.values;
    assert.deepEqual(Object.keys(v).sort(), ['email_protocol', 'smtp_email', 'smtp_from_name', 'smtp_host',
      'smtp_password_set', 'smtp_plaintext_password', 'smtp_port', 'smtp_security', 'smtp_username']);
    assert.equal(v.email_protocol, 'smtp');
    assert.equal(v.smtp_port, sink.port);
    assert.equal(v.smtp_password_set, true);
    const defaults = Object.fromEntries(smtp.body.fields.map((x) => [x.key, x.default]));
    assert.equal(defaults.smtp_port, 587);
    assert.equal(defaults.smtp_security, 'starttls');
    assert.deepEqual(smtp.body.fields.find((x) => x.key === 'smtp_security').choices, ['none', 'starttls', 'tls']);
    assert.ok(!('default' in smtp.body.fields.find((x) => x.key === 'smtp_password')), 'no default shown for a secret');

    const seats = await get('seats');
    assert.deepEqual(seats.body.values, { members_included: 5, extra_seats: 100 });
    assert.deepEqual(seats.body.fields.map((x) => [x.key, x.read_only]),
      [['members_included', true], ['extra_seats', true]], 'seats are shown read-only');
    const co = await get('company');
    assert.deepEqual(co.body.values, { company_name: company, address: '', vat_number: '', registration_number: '' });
  });

  it('PATCH writes the values and one activity row with from/to', async () => {
    const address = 'Strada Exemplu 1\nCluj-Napoca, RO';
    const r = await patch('company', { address });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.values.address, address);
    assert.equal(r.body.values.company_name, company, 'untouched keys keep their value');
    assert.deepEqual((await get('company')).body.values.address, address);

    const a = await admin.req('GET', ACTIVITY, { query: { entity: 'settings', action: 'update', limit: 1 } });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.body.data[0].diff, { address: { from: '', to: address } });
    assert.equal(a.body.data[0].actor_id, admin.me.id);

    // An integer; null goes back to the default.
    const s = await patch('email_queue', { max_attempts: 7 });
    assert.equal(s.status, 200, s.text);
    assert.deepEqual(s.body.values, { max_attempts: 7 });
    const back = await patch('email_queue', { max_attempts: null });
    assert.deepEqual(back.body.values, { max_attempts: 5 });
    // Seats are read-only here, whatever the value.
    assertFieldErrors(await patch('seats', { members_included: 7, extra_seats: 0 }),
      { members_included: 'read_only', extra_seats: 'read_only' });

    // Nothing changes: no activity row.
    const before = (await admin.req('GET', ACTIVITY, { query: { entity: 'settings', limit: 1 } })).body.data[0].id;
    assert.equal((await patch('company', { company_name: company })).status, 200);
    const after = (await admin.req('GET', ACTIVITY, { query: { entity: 'settings', limit: 1 } })).body.data[0].id;
    assert.equal(after, before, 'a PATCH that changes nothing logs nothing');
  });

  it('PATCH refuses each invalid field, and changes nothing', async () => {
    const cases = [
      ['smtp', { smtp_colour: 'blue' }, 'smtp_colour', 'unknown_field'],
      ['smtp', { company_name: 'X' }, 'company_name', 'unknown_field'],
      ['smtp', { smtp_port: 70000 }, 'smtp_port', 'invalid'],
      ['smtp', { smtp_port: 0 }, 'smtp_port', 'invalid'],
      ['smtp', { smtp_port: '587' }, 'smtp_port', 'type'],
      ['smtp', { smtp_security: 'ssl' }, 'smtp_security', 'not_allowed'],
      ['smtp', { email_protocol: 'sendmail' }, 'email_protocol', 'not_allowed'],
      ['smtp', { smtp_email: 'not-an-email' }, 'smtp_email', 'invalid'],
      ['smtp', { smtp_from_name: 'Evil\r\nBcc: all@example.test' }, 'smtp_from_name', 'invalid'],
      ['smtp', { smtp_host: 'evil.example/x?y' }, 'smtp_host', 'invalid'],
      ['smtp', { smtp_password: '' }, 'smtp_password', 'required'],
      ['smtp', { smtp_password: 12345 }, 'smtp_password', 'type'],
      ['company', { company_name: '' }, 'company_name', 'required'],
      ['company', { company_name: 'x'.repeat(201) }, 'company_name', 'too_long'],
      ['seats', { extra_seats: -1 }, 'extra_seats', 'read_only'],
      ['seats', { members_included: 1.5 }, 'members_included', 'read_only'],
      ['email_queue', { max_attempts: 101 }, 'max_attempts', 'invalid'],
    ];
    for (const [group, body, field, code] of cases) {
      const before = (await get(group)).body.values;
      const r = await patch(group, body);
      assertFieldErrors(r, { [field]: code });
      assert.deepEqual((await get(group)).body.values, before, `${JSON.stringify(body)} changed nothing`);
    }
  });

  it('PATCH lists every invalid field in one 422', async () => {
    const before = (await get('smtp')).body.values;
    const r = await patch('smtp', {
      smtp_colour: 'blue', smtp_port: 70000, smtp_security: 'ssl', smtp_email: 'nope', smtp_host: '127.0.0.2',
    });
    assertFieldErrors(r, { smtp_colour: 'unknown_field', smtp_port: 'invalid', smtp_security: 'not_allowed', smtp_email: 'invalid' });
    assert.equal(r.body.errors.length, 4, `exactly the four: ${r.text}`);
    assert.deepEqual((await get('smtp')).body.values, before, 'the valid smtp_host was not written either');
  });

  it('an unknown group is 404, a body that is not an object 422', async () => {
    assertProblem(await get('nosuch'), 404, 'not-found');
    assertProblem(await patch('nosuch', { a: 1 }), 404, 'not-found');
    assertProblem(await admin.req('GET', SETTINGS, { params: { group: 'SMTP' } }), 404, 'not-found');
    const r = await admin.req('PATCH', SETTINGS, { params: { group: 'smtp' }, raw: '[1]' });
    assert.ok([400, 422].includes(r.status), r.text);
  });

  it('smtp_password is never returned, is stored encrypted and logged as [secret]', async () => {
    const secret = `Rotated-${uniq('pw')}`;
    const r = await patch('smtp', { smtp_password: secret });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.values.smtp_password_set, true);
    assert.ok(!('smtp_password' in r.body.values));
    assert.ok(!r.text.includes(secret), 'the PATCH response does not echo it');
    const g = await get('smtp');
    assert.ok(!g.text.includes(secret) && !('smtp_password' in g.body.values));

    const stored = sql("SELECT value FROM setting WHERE org_id = 1 AND key = 'smtp_password'");
    assert.match(stored, /^v1:[A-Za-z0-9+/]+=*$/, 'stored as v1:base64');
    assert.ok(!stored.includes(secret), 'not the plaintext');
    assert.ok(!Buffer.from(stored.slice(3), 'base64').toString('latin1').includes(secret), 'not base64 of it either');

    const a = await admin.req('GET', ACTIVITY, { query: { entity: 'settings', action: 'update', limit: 1 } });
    assert.deepEqual(a.body.data[0].diff, { smtp_password: { from: '[secret]', to: '[secret]' } });
    assert.ok(!a.text.includes(secret), 'the activity log never holds it');
    assert.ok(!srv.output().includes(secret), 'nor the server log');

    const cleared = await patch('smtp', { smtp_password: null });
    assert.equal(cleared.body.values.smtp_password_set, false);
    assert.equal(sql("SELECT COUNT(*) FROM setting WHERE org_id = 1 AND key = 'smtp_password'"), '0');
    const a2 = await admin.req('GET', ACTIVITY, { query: { entity: 'settings', action: 'update', limit: 1 } });
    assert.deepEqual(a2.body.data[0].diff, { smtp_password: { from: '[secret]', to: null } });
    await configureSmtp();
  });

  // ---- the test button -------------------------------------------------------

  it('Send Test Email delivers to a real SMTP server, with proper headers', async () => {
    const to = `${uniq('rcpt')}@example.test`;
    const r = await admin.req('POST', SMTP_TEST, { body: { to } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.ok, true);
    assert.match(r.body.response, /^250 /, 'the server\'s own answer');
    const [m] = sink.to(to);
    assert.ok(m, 'the SMTP server received it');
    assert.equal(sink.to(to).length, 1);
    assert.equal(m.auth_user, SMTP_USER, 'authenticated with the decrypted password');
    assert.equal(m.mail_from, FROM);
    assert.deepEqual(m.rcpt_tos, [to]);
    assert.equal(m.subject, `Test email from ${company}`);
    assert.match(m.from, new RegExp(`^"?${FROM_NAME}"? <${FROM}>$`));
    assert.equal(m.to, to);
    assert.match(m.message_id, /^<[^<>@\s]+@example\.test>$/);
    assert.equal(m.mime_version, '1.0');
    assert.match(m.content_type, /^text\/plain; charset="?utf-8"?$/i);
    assert.ok(['7bit', 'quoted-printable'].includes(m.cte), m.cte);
    assert.ok(!Number.isNaN(Date.parse(m.date)), `Date parses: ${m.date}`);
    assert.deepEqual(m.defects, []);
    assert.ok(m.body.includes(`This is a test email from ${company}.`), m.body);
    // A non-ASCII subject travels as RFC 2047 encoded-words, lines short.
    const h = rawHeaders(m.raw);
    assert.match(h.subject, /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=( =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=)*$/);
    for (const line of m.raw.split(/\r?\n/)) assert.ok(line.length <= 78, `line of ${line.length}: ${line}`);

    const a = await admin.req('GET', ACTIVITY, { query: { entity: 'settings', action: 'smtp_test', limit: 1 } });
    assert.equal(a.body.data[0].diff.to.to, to);
    assert.equal(a.body.data[0].diff.ok.to, true);
  });

  it('Send Test Email refuses an invalid body', async () => {
    assertFieldErrors(await admin.req('POST', SMTP_TEST, { body: {} }), { to: 'required' });
    assertFieldErrors(await admin.req('POST', SMTP_TEST, { body: { to: 'not-an-email' } }), { to: 'invalid' });
    assertFieldErrors(await admin.req('POST', SMTP_TEST, { body: { to: 'a@example.test\r\nBcc: x@example.test' } }),
      { to: 'invalid' });
    assertFieldErrors(await admin.req('POST', SMTP_TEST, { body: { to: 'a@example.test', cc: 'b@example.test' } }),
      { cc: 'unknown_field' });
  });

  it('Send Test Email answers 502 with the reason when the server refuses or is down', async () => {
    const to = `${uniq('rcpt')}@example.test`;
    // Wrong password: the server's own 535 reaches the administrator.
    await configureSmtp({ smtp_password: 'not-the-password' });
    const bad = await admin.req('POST', SMTP_TEST, { body: { to } });
    assertProblem(bad, 502, 'smtp-failed');
    assert.match(bad.body.title, /SMTP server/);
    assert.match(bad.body.detail, /535/);
    assert.ok(!bad.text.includes('not-the-password'), 'no password in the answer');
    await configureSmtp();

    await sink.stop();
    try {
      const r = await admin.req('POST', SMTP_TEST, { body: { to } });
      assertProblem(r, 502, 'smtp-failed');
      assert.match(r.body.title, /SMTP server/);
      assert.match(r.body.detail, /connect/i);
      const a = await admin.req('GET', ACTIVITY, { query: { entity: 'settings', action: 'smtp_test', limit: 1 } });
      assert.equal(a.body.data[0].diff.ok.to, false);
    } finally {
      await sink.start();
    }
    assert.equal(sink.to(to).length, 0, 'nothing was delivered');
  });

  it('Send Test Email is 409 while SMTP is not configured', async () => {
    await patch('smtp', { smtp_host: null });
    try {
      const r = await admin.req('POST', SMTP_TEST, { body: { to: 'x@example.test' } });
      assertProblem(r, 409, 'conflict');
      assert.match(r.body.detail, /not configured/);
    } finally {
      await configureSmtp();
    }
  });

  // ---- the queue -----------------------------------------------------------

  it('with the SMTP server down, an email is retried, then blocked; retry delivers it once', async () => {
    assert.equal((await patch('email_queue', { max_attempts: 3 })).status, 200);
    await sink.stop();
    let mail;
    try {
      mail = await enqueue();
      const blocked = await waitStatus(mail.id, 'blocked');
      assert.equal(blocked.attempts, 3);
      assert.match(blocked.last_error, /connect/i);
      assert.equal(blocked.sent_at, null);
      assert.match(blocked.created_at, ISO_MS);
      const list = await admin.req('GET', QUEUE, { query: { status: 'blocked', limit: 200 } });
      assert.ok(list.body.data.some((x) => x.id === mail.id));
      assert.ok(list.body.counts.blocked >= 1);
      assert.ok(list.body.data.every((x) => x.status === 'blocked'));
      assert.ok(!('body_text' in blocked) && !('body' in blocked), 'bodies (invitation links) are not listed');
    } finally {
      await sink.start();
    }
    assert.equal(sink.to(mail.to).length, 0);

    const r = await admin.req('POST', RETRY, { body: { ids: [mail.id] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { requeued: 1, ids: [mail.id] });
    const sent = await waitStatus(mail.id, 'sent');
    assert.equal(sent.attempts, 1, 'attempts start again from 0');
    assert.equal(sent.last_error, null);
    assert.match(sent.sent_at, ISO_MS);

    // A later message through the same server is a barrier: anything sent
    // twice would have arrived by then.
    const barrier = `${uniq('barrier')}@example.test`;
    assert.equal((await admin.req('POST', SMTP_TEST, { body: { to: barrier } })).status, 200);
    const got = sink.to(mail.to);
    assert.equal(got.length, 1, 'delivered exactly once');
    assert.equal(got[0].subject, mail.subject);
    assert.equal(got[0].auth_user, SMTP_USER);
    assert.match(got[0].message_id, new RegExp(`^<atrium\\.1\\.${mail.id}\\.\\d+@example\\.test>$`), 'stable Message-ID');
    if (viaInvitation) assert.match(got[0].body, /\/set-password#token=\S+/, 'the invitation carries its link');

    const again = await admin.req('POST', RETRY, { body: { ids: [mail.id] } });
    assert.deepEqual(again.body, { requeued: 0, ids: [] }, 'a sent email is not requeued');
    const a = await admin.req('GET', ACTIVITY, { query: { entity: 'email_queue', action: 'retry', limit: 1 } });
    assert.deepEqual(a.body.data[0].diff.ids.to, [mail.id]);
  });

  it('Process All ({}) requeues every blocked email', async () => {
    assert.equal((await patch('email_queue', { max_attempts: 1 })).status, 200);
    await sink.stop();
    let m1;
    let m2;
    try {
      m1 = await enqueue();
      m2 = await enqueue();
      await waitStatus(m1.id, 'blocked');
      await waitStatus(m2.id, 'blocked');
    } finally {
      await sink.start();
    }
    const r = await admin.req('POST', RETRY, { body: {} });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.requeued >= 2 && r.body.ids.includes(m1.id) && r.body.ids.includes(m2.id), r.text);
    assert.equal(r.body.requeued, r.body.ids.length);
    assert.deepEqual(r.body.ids, [...r.body.ids].sort((x, y) => x - y), 'ids in order');
    await waitStatus(m1.id, 'sent');
    await waitStatus(m2.id, 'sent');
    assert.equal(sink.to(m1.to).length, 1);
    assert.equal(sink.to(m2.to).length, 1);
    const q = await admin.req('GET', QUEUE, { query: { status: 'blocked' } });
    assert.equal(q.body.counts.blocked, 0);
    assert.equal((await patch('email_queue', { max_attempts: null })).body.values.max_attempts, 5);
  });

  it('retry refuses an invalid body', async () => {
    assertFieldErrors(await admin.req('POST', RETRY, { body: { ids: 'all' } }), { ids: 'type' });
    assertFieldErrors(await admin.req('POST', RETRY, { body: { ids: [] } }), { ids: 'invalid' });
    assertFieldErrors(await admin.req('POST', RETRY, { body: { ids: [0] } }), { ids: 'type' });
    assertFieldErrors(await admin.req('POST', RETRY, { body: { ids: [1], all: true } }), { all: 'unknown_field' });
  });

  it('a row left "sending" by a node that died mid-send is claimed again', async () => {
    const tag = uniq('orphan');
    const to = `${tag}@example.test`;
    const past = new Date(Date.now() - 60000).toISOString();
    const id = insertEmail({ to, subject: `Orphan ${tag}`, body: 'Body', at: past, status: 'running', leaseUntil: past });
    await waitStatus(id, 'sent');
    assert.equal(sink.to(to).length, 1);
    assert.equal(sink.to(to)[0].subject, `Orphan ${tag}`);
  });

  it('the queue list filters, pages and counts', async () => {
    const r = await admin.req('GET', QUEUE, { query: { status: 'sent', limit: 1 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.limit, 1);
    assert.equal(r.body.offset, 0);
    assert.equal(r.body.data.length, 1);
    assert.equal(r.body.total, r.body.counts.sent);
    assert.deepEqual(Object.keys(r.body.counts).sort(), ['blocked', 'queued', 'sending', 'sent']);
    const row = r.body.data[0];
    for (const k of ['id', 'to', 'subject', 'template', 'status', 'attempts', 'next_attempt_at', 'last_error',
      'created_at', 'sent_at']) assert.ok(k in row, `row has ${k}`);
    const p2 = await admin.req('GET', QUEUE, { query: { status: 'sent', limit: 1, offset: 1 } });
    assert.notEqual(p2.body.data[0].id, row.id);
    const all = await admin.req('GET', QUEUE);
    assert.equal(all.body.total, Object.values(all.body.counts).reduce((x, y) => x + y, 0));
    // The list engine's language: a cursor, a search on the recipient,
    // several statuses, newest first by default.
    const c2 = await admin.req('GET', QUEUE, { query: { status: 'sent', limit: 1, cursor: r.body.next_cursor } });
    assert.equal(c2.body.data[0].id, p2.body.data[0].id);
    const byTo = await admin.req('GET', QUEUE, { query: { q: row.to } });
    assert.ok(byTo.body.data.length >= 1 && byTo.body.data.every((x) => x.to === row.to), byTo.text);
    const two = await admin.req('GET', QUEUE, { query: { 'status[in]': 'sent,blocked' } });
    assert.ok(two.body.data.every((x) => ['sent', 'blocked'].includes(x.status)));
    assert.equal(two.body.total, all.body.counts.sent + all.body.counts.blocked);
    const ids = all.body.data.map((x) => x.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => y - x), 'newest first');
    assertProblem(await admin.req('GET', QUEUE, { query: { status: 'lost' } }), 400, 'malformed');
    assertProblem(await admin.req('GET', QUEUE, { query: { sort: 'subject' } }), 400, 'malformed');
    assertProblem(await admin.req('GET', QUEUE, { query: { limit: 0 } }), 400, 'malformed');
    assertProblem(await admin.req('GET', QUEUE, { query: { limit: 201 } }), 400, 'malformed');
    assertProblem(await admin.req('GET', QUEUE, { query: { colour: 'red' } }), 400, 'malformed');
  });

  it('/metrics carries atrium_email_queue gauges', async () => {
    const sent = (await admin.req('GET', QUEUE)).body.counts.sent;
    assert.ok(sent >= 1);
    const text = await waitFor(async () => {
      const r = await client(srv.base).req('GET', '/metrics');
      const m = /^atrium_email_queue\{status="sent"\} (\d+)$/m.exec(r.text);
      return m && Number(m[1]) >= sent ? r.text : null;
    }, { timeout: 15000, every: 250, what: 'the email gauges' });
    for (const s of ['queued', 'sending', 'sent', 'blocked']) {
      assert.match(text, new RegExp(`^atrium_email_queue\\{status="${s}"\\} \\d+$`, 'm'));
    }
    assert.match(text, /^# TYPE atrium_email_queue gauge$/m);
  });

  // ---- access --------------------------------------------------------------

  const ROUTES = [
    ['GET', SETTINGS, { params: { group: 'smtp' } }],
    ['PATCH', SETTINGS, { params: { group: 'company' }, body: { company_name: 'Hijacked' } }],
    ['POST', SMTP_TEST, { body: { to: 'x@example.test' } }],
    ['GET', QUEUE, {}],
    ['POST', RETRY, { body: {} }],
  ];

  it('every route is 401 anonymously', async () => {
    const anon = client(srv.base);
    for (const [m, p, o] of ROUTES) assertProblem(await anon.req(m, p, o), 401, 'unauthorized');
  });

  it('every route is 403 for the plain staff member', async () => {
    for (const [m, p, o] of ROUTES) assertProblem(await staff.req(m, p, o), 403, 'forbidden');
    assert.equal((await get('company')).body.values.company_name, company, 'nothing changed');
  });

  // ---- crash safety (last: it stops the harness's server) ------------------

  it('a server killed with SIGKILL loses no queued email', async () => {
    /* Our own `atrium serve` processes on the same database. */
    async function node(tag) {
      const log = path.join(srv.dir, `node-${tag}.log`);
      const fd = fs.openSync(log, 'a');
      // Port 0: the server takes a free port as it binds and names it.
      const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', srv.dbUrl],
        { cwd: srv.dir, env: { ...process.env, ...srv.env }, stdio: ['ignore', fd, fd] });
      fs.closeSync(fd);
      children.add(proc);
      const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
      const port = await waitFor(() => /serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(log, 'utf8'))?.[1],
        { timeout: 20000, what: `node ${tag} listening` });
      const base = `http://127.0.0.1:${port}`;
      await waitFor(async () => {
        try {
          const r = await fetch(`${base}/readyz`);
          await r.arrayBuffer();
          return r.status === 200;
        } catch { return false; }
      }, { timeout: 20000, what: `node ${tag} ready` });
      const c = await adminClient({ base, admin: srv.admin });
      return { proc, exited, c, log };
    }

    await srv.kill(); // SIGTERM, exit 0 asserted; the database stays

    await sink.stop();
    const a = await node('a');
    let mail;
    try {
      assert.equal((await patch('email_queue', { max_attempts: 100 }, a.c)).status, 200);
      mail = await enqueue(a.c);
      // Right after a failed attempt the runner waits for its next tick
      // (a second), so the kill lands with the job back in 'queued'.
      const row = await waitFor(async () => {
        const x = await queueRow(mail.id, a.c);
        return x && x.attempts >= 1 && x.status === 'queued' ? x : null;
      }, { timeout: 20000, every: 50, what: 'a failed attempt' });
      assert.match(row.last_error, /connect/i);
      a.proc.kill('SIGKILL');
      const e = await a.exited;
      assert.equal(e.signal, 'SIGKILL');
      children.delete(a.proc);
    } finally {
      await sink.start();
    }
    assert.equal(sink.to(mail.to).length, 0);

    const b = await node('b');
    try {
      await waitStatus(mail.id, 'sent', { c: b.c });
      assert.equal(sink.to(mail.to).length, 1, 'sent once, after the restart');
    } finally {
      b.proc.kill('SIGTERM');
      const e = await b.exited;
      children.delete(b.proc);
      assert.equal(e.code, 0, `node b must exit 0 on SIGTERM\n${fs.readFileSync(b.log, 'utf8').slice(-3000)}`);
    }
  });
});
