// The SMTP password stays secret through side doors (issue 8, item 4):
// changing where it is sent (host, port, username, security) clears it
// unless the same request sends it again; sending it without TLS needs an
// explicit, logged confirmation; Send Test Email reports a fixed category,
// never what the remote host said; a test has a short, bounded time and
// only a couple run at once.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  startServer, adminClient, staffClient, assertProblem, assertFieldErrors, uniq,
  startSmtpSink, configureSmtp, SMTP_SINK,
} from './harness.mjs';

const SETTINGS = '/api/v1/settings/{group}';
const SMTP_TEST = '/api/v1/settings/smtp/test';

/* A TCP server on loopback: `greet` is written on connect (null: nothing,
 * the connection just hangs). Counts connections; close() ends them all. */
async function tcpServer(greet) {
  const sockets = new Set();
  let maxOpen = 0;
  const srv = net.createServer((s) => {
    sockets.add(s);
    maxOpen = Math.max(maxOpen, sockets.size);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    if (greet) s.write(greet);
  });
  let accepted = 0;
  srv.on('connection', () => { accepted++; });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: srv.address().port,
    accepted: () => accepted,
    maxOpen: () => maxOpen,
    dropAll: () => { for (const s of sockets) s.destroy(); },
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); srv.close(r); }),
  };
}

describe('SMTP credentials and the test email', () => {
  let srv;
  let admin;
  let sink;
  const patch = (body) => admin.req('PATCH', SETTINGS, { params: { group: 'smtp' }, body });
  const values = async () => (await admin.req('GET', SETTINGS, { params: { group: 'smtp' } })).body.values;
  const lastDiff = async () => (await admin.req('GET', '/api/v1/activity',
    { query: { entity: 'settings', action: 'update', limit: 1 } })).body.data[0].diff;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    sink = await startSmtpSink(srv.dir);
  });
  after(async () => {
    await sink?.stop();
    await srv?.stop();
  });

  it('changing the host, port, username or security clears the stored password unless it is sent again', async () => {
    for (const change of [{ smtp_host: '127.0.0.2' }, { smtp_port: 2525 }, { smtp_username: 'someone-else' },
      { smtp_security: 'tls' }]) {
      await configureSmtp(admin, sink);
      assert.equal((await values()).smtp_password_set, true);
      const r = await patch(change);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.values.smtp_password_set, false, `${JSON.stringify(change)} clears the password`);
      const diff = await lastDiff();
      assert.deepEqual(diff.smtp_password, { from: '[secret]', to: null }, 'the clearing is logged');
    }
    // Sent again in the same request: kept (and stored anew).
    await configureSmtp(admin, sink);
    const keep = await patch({ smtp_host: 'localhost', smtp_password: 'Resent-password-1' });
    assert.equal(keep.status, 200, keep.text);
    assert.equal(keep.body.values.smtp_password_set, true);
    // A value that does not change, or another field, leaves it alone.
    await configureSmtp(admin, sink);
    assert.equal((await patch({ smtp_port: sink.port, smtp_from_name: 'Renamed' })).body.values.smtp_password_set, true);
  });

  it('security none with a password needs smtp_plaintext_password: true, and nothing is written without it', async () => {
    await configureSmtp(admin, sink);
    const tls = await patch({ smtp_security: 'starttls', smtp_password: 'Some-password-2', smtp_plaintext_password: false });
    assert.equal(tls.status, 200, tls.text);
    const before = await values();
    const r = await patch({ smtp_security: 'none', smtp_password: 'Some-password-2' });
    assertFieldErrors(r, { smtp_security: 'not_allowed' });
    assert.match(r.body.errors[0].detail, /in clear/);
    assert.deepEqual(await values(), before, 'nothing was written');
    const ok = await patch({ smtp_security: 'none', smtp_password: 'Some-password-2', smtp_plaintext_password: true });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual((await lastDiff()).smtp_plaintext_password, { from: false, to: true }, 'the confirmation is logged');
    // Without a password there is nothing to confirm.
    const none = await patch({ smtp_password: null, smtp_plaintext_password: false });
    assert.equal(none.status, 200, none.text);
    assert.equal(none.body.values.smtp_security, 'none');
  });

  it('a stored password is not sent in clear without the confirmation (an older database)', async () => {
    await configureSmtp(admin, sink);
    const w = srv.sql("DELETE FROM setting WHERE org_id = 1 AND key = 'smtp_plaintext_password'");
    assert.equal(w.status, 0, w.stderr);
    const r = await admin.req('POST', SMTP_TEST, { body: { to: `${uniq('t')}@example.test` } });
    assertProblem(r, 502, 'smtp-failed');
    assert.match(r.body.detail, /without TLS/);
    assert.equal(sink.messages().filter((m) => m.auth_user).length, 0, 'no AUTH reached the server');
    await configureSmtp(admin, sink);
  });

  it('the test email never echoes what the remote host said (an SSH banner), only a category', async () => {
    const ssh = await tcpServer('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3 secret-banner\r\n');
    try {
      const p = await patch({ smtp_host: '127.0.0.1', smtp_port: ssh.port, smtp_security: 'none', smtp_username: null,
        smtp_password: null, smtp_email: SMTP_SINK.from });
      assert.equal(p.status, 200, p.text);
      const r = await admin.req('POST', SMTP_TEST, { body: { to: `${uniq('t')}@example.test` } });
      assertProblem(r, 502, 'smtp-failed');
      assert.match(r.body.detail, /no SMTP answer/);
      assert.doesNotMatch(r.text, /SSH|OpenSSH|Debian|secret-banner/);
      const a = (await admin.req('GET', '/api/v1/activity', { query: { action: 'smtp_test', limit: 1 } })).body.data[0];
      assert.doesNotMatch(JSON.stringify(a.diff), /SSH|secret-banner/);
    } finally {
      await ssh.close();
    }
  });

  it('a refused login reports the category and the SMTP code only; success says 250', async () => {
    await configureSmtp(admin, sink);
    const wrong = await patch({ smtp_password: 'not-the-password', smtp_plaintext_password: true });
    assert.equal(wrong.status, 200, wrong.text);
    const r = await admin.req('POST', SMTP_TEST, { body: { to: `${uniq('t')}@example.test` } });
    assertProblem(r, 502, 'smtp-failed');
    assert.equal(r.body.detail, 'authentication failed (SMTP code 535)');
    await configureSmtp(admin, sink);
    const ok = await admin.req('POST', SMTP_TEST, { body: { to: `${uniq('t')}@example.test` } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.response, '250 accepted');
  });

  it('POST /settings/smtp/test: 401 anonymously, 403 without settings.edit', async () => {
    const staff = await staffClient(srv);
    assertProblem(await staff.req('POST', SMTP_TEST, { body: { to: 'a@example.test' } }), 403, 'forbidden');
  });
});

describe('test emails are bounded in time and number', () => {
  let srv;
  let admin;
  let hang;

  before(async () => {
    srv = await startServer({ env: { ATRIUM_SMTP_TEST_TIMEOUT_SECONDS: '2', ATRIUM_THREADS: '6' } });
    admin = await adminClient(srv);
    hang = await tcpServer(null);
    const p = await admin.req('PATCH', SETTINGS, { params: { group: 'smtp' },
      body: { smtp_host: '127.0.0.1', smtp_port: hang.port, smtp_security: 'none', smtp_email: 'crm@example.test' } });
    assert.equal(p.status, 200, p.text);
  });
  after(async () => {
    await hang?.close();
    await srv?.stop();
  });

  it('a server that never answers: 502 "timed out" after the configured time', async () => {
    const r = await admin.req('POST', SMTP_TEST, { body: { to: 'x@example.test' } });
    assertProblem(r, 502, 'smtp-failed');
    assert.equal(r.body.detail, 'timed out');
  });

  it('at most two test emails at once: the others get 429 with Retry-After', async () => {
    // Bursts of concurrent tests against a server that never answers: at
    // no time are more than two connected, and the ones beyond are
    // refused at once (which requests run side by side is up to the
    // server's threads, hence a few bursts at most).
    let got429 = null;
    for (let round = 0; round < 4 && !got429; round++) {
      const rs = await Promise.all(Array.from({ length: 8 },
        () => admin.req('POST', SMTP_TEST, { body: { to: 'x@example.test' } })));
      for (const r of rs) {
        if (r.status === 429) got429 = got429 || r;
        else assertProblem(r, 502, 'smtp-failed');
      }
    }
    assert.ok(got429, 'a test beyond the two running is refused');
    assertProblem(got429, 429, 'rate-limited');
    assert.match(got429.headers.get('retry-after') || '', /^[1-9]\d*$/);
    assert.ok(hang.maxOpen() <= 2, `at most two test connections at once (saw ${hang.maxOpen()})`);
  });
});
