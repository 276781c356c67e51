// Operator mistakes that must fail loudly, and ids that never come back
// (issue 9, items 3 and 7-10): a schema from a newer release, a different
// master key, a port already taken (and sharing it on purpose), several
// nodes migrating a fresh database at once.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, adminClient, runBin, BIN, PG_BASE, ROOT, waitFor, uniq } from './harness.mjs';

/* The one line a refusing command printed (its standard error). */
function oneLine(r) {
  const lines = r.stderr.split('\n').filter((l) => l.trim() && !/^(==|SUMMARY|    #)/.test(l));
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  return lines[0];
}

/* Runs `atrium serve` that is expected to refuse; a server that starts
 * instead is stopped after the bound, and the test fails. */
function refusedServe(srv, env) {
  const r = spawnSync(BIN, ['serve', '--listen', `127.0.0.1:${srv.port}`, '--db', srv.dbUrl], {
    encoding: 'utf8', env: { ...process.env, ...srv.env, ...env }, timeout: 20000,
  });
  assert.equal(r.signal, null, `serve should have refused to start, it ran until killed:\n${r.stderr}`);
  assert.notEqual(r.status, 0, `serve should have refused to start:\n${r.stderr}`);
  return { status: r.status, stderr: r.stderr };
}

describe('ids are never reused', () => {
  let srv;
  let admin;
  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
  });
  after(async () => { await srv?.stop(); });

  it('deleting the newest lead does not give its id to the next one', async () => {
    const tag = uniq('id');
    const a = await admin.req('POST', '/api/v1/leads', { body: { name: `${tag} a` } });
    const b = await admin.req('POST', '/api/v1/leads', { body: { name: `${tag} b` } });
    assert.equal(b.status, 201, b.text);
    const d = await admin.req('DELETE', '/api/v1/leads/{id}', { params: { id: b.body.id } });
    assert.equal(d.status, 204, d.text);
    const c = await admin.req('POST', '/api/v1/leads', { body: { name: `${tag} c` } });
    assert.equal(c.status, 201, c.text);
    assert.ok(c.body.id > b.body.id, `new lead ${c.body.id} must not reuse ${b.body.id} (a: ${a.body.id})`);
  });

  it('nor does deleting the newest task or ticket (tables made after the first fix: migration 0061)', async () => {
    for (const [path, body] of [['/api/v1/tasks', (t) => ({ subject: t })], ['/api/v1/tickets', (t) => ({ subject: t })]]) {
      const tag = uniq('id');
      const b = await admin.req('POST', path, { body: body(`${tag} b`) });
      assert.equal(b.status, 201, b.text);
      const d = await admin.req('DELETE', `${path}/{id}`, { params: { id: b.body.id } });
      assert.equal(d.status, 204, d.text);
      const c = await admin.req('POST', path, { body: body(`${tag} c`) });
      assert.equal(c.status, 201, c.text);
      assert.ok(c.body.id > b.body.id, `${path}: new ${c.body.id} must not reuse ${b.body.id}`);
    }
  });

  it('ids of records deleted before migration 0061 are not handed out after it (0062, SQLite)', async (t) => {
    if (srv.pg) return t.skip('PostgreSQL identity columns never reuse a value');
    // The state 0061 left: the counter at the largest id present, below
    // a deleted task's, and a table whose only ticket was deleted at 0.
    const tag = uniq('id');
    const keep = await admin.req('POST', '/api/v1/tasks', { body: { subject: `${tag} keep` } });
    const gone = await admin.req('POST', '/api/v1/tasks', { body: { subject: `${tag} gone` } });
    assert.equal(gone.status, 201, gone.text);
    assert.equal((await admin.req('DELETE', '/api/v1/tasks/{id}', { params: { id: gone.body.id } })).status, 204);
    const made = await admin.req('POST', '/api/v1/tickets', { body: { subject: `${tag} gone` } });
    assert.equal(made.status, 201, made.text);
    const tickets = JSON.parse((await admin.req('GET', '/api/v1/tickets', { query: { limit: 100 } })).text).data;
    for (const tk of tickets) {
      assert.equal((await admin.req('DELETE', '/api/v1/tickets/{id}', { params: { id: tk.id } })).status, 204);
    }
    const lastTicket = srv.sql("SELECT MAX(entity_id) FROM activity_log WHERE entity = 'ticket'").stdout;
    assert.ok(Number(lastTicket) >= made.body.id, lastTicket);
    await srv.kill();
    for (const q of [
      `UPDATE sqlite_sequence SET seq = ${keep.body.id} WHERE name = 'task'`,
      "DELETE FROM sqlite_sequence WHERE name = 'ticket'",
      "DELETE FROM schema_migrations WHERE version = '0062_ids_never_reused_deleted'",
    ]) assert.equal(srv.sql(q).status, 0, q);
    const m = srv.cli(['migrate']);
    assert.equal(m.status, 0, m.stderr);
    assert.match(m.stdout, /1 migration applied/);
    await srv.restart();
    admin = await adminClient(srv);
    const task = await admin.req('POST', '/api/v1/tasks', { body: { subject: `${tag} next` } });
    assert.equal(task.status, 201, task.text);
    assert.ok(task.body.id > gone.body.id, `new task ${task.body.id} must not reuse ${gone.body.id}`);
    const ticket = await admin.req('POST', '/api/v1/tickets', { body: { subject: `${tag} next` } });
    assert.equal(ticket.status, 201, ticket.text);
    assert.ok(ticket.body.id > Number(lastTicket), `new ticket ${ticket.body.id} must not reuse ${lastTicket}`);
  });

  it('nor does deleting the newest staff member', async () => {
    const seats = srv.cli(['org', 'seats', '1', '--members-included', '1000']);
    assert.equal(seats.status, 0, seats.stderr);
    const add = async () => {
      const tag = uniq('ids');
      const r = await admin.req('POST', '/api/v1/staff', {
        body: { email: `${tag}@example.test`, name: `Member ${tag}`, temporary_password: `Temp-${tag}-password` },
      });
      assert.equal(r.status, 201, r.text);
      return r.body.id;
    };
    const gone = await add();
    const d = await admin.req('DELETE', '/api/v1/staff/{id}', { params: { id: gone }, query: { reassign_to: admin.me.id } });
    assert.equal(d.status, 200, d.text);
    const next = await add();
    assert.ok(next > gone, `new member ${next} must not reuse ${gone}`);
  });
});

describe('operator mistakes', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.stop(); });

  it('a second serve on a taken port fails to start, saying so in one line', () => {
    const r = refusedServe(srv, {});
    assert.match(oneLine(r), /cannot listen on 127\.0\.0\.1:\d+: the address is already in use/);
    assert.match(r.stderr, /reuse_port/);
  });

  it('serve refuses a different master key, saying so in one line', async () => {
    await srv.kill();
    const r = refusedServe(srv, { ATRIUM_MASTER_KEY: randomBytes(32).toString('hex') });
    assert.match(oneLine(r), /master key does not match this database/);
    const u = srv.cli(['user', 'reset-2fa', '--email', srv.admin.email],
      { env: { ATRIUM_MASTER_KEY: randomBytes(32).toString('hex') } });
    assert.notEqual(u.status, 0);
    assert.match(oneLine(u), /master key does not match/);
    const m = srv.cli(['migrate'], { env: { ATRIUM_MASTER_KEY: randomBytes(32).toString('hex') } });
    assert.notEqual(m.status, 0);
    assert.match(m.stderr, /master key does not match/);
    await srv.restart(); // the right key still works
  });

  it('migrate refuses a different master key before it applies anything', async () => {
    await srv.kill();
    const last = srv.sql('SELECT MAX(version) FROM schema_migrations').stdout;
    assert.match(last, /^\d{4}_\w+$/);
    assert.equal(srv.sql(`DELETE FROM schema_migrations WHERE version = '${last}'`).status, 0);
    const m = srv.cli(['migrate'], { env: { ATRIUM_MASTER_KEY: randomBytes(32).toString('hex') } });
    assert.notEqual(m.status, 0);
    assert.match(m.stderr, /master key does not match/);
    assert.doesNotMatch(m.stdout, /applied/);
    assert.equal(srv.sql(`SELECT COUNT(*) FROM schema_migrations WHERE version = '${last}'`).stdout, '0',
      'the pending migration must not run under the wrong key');
    const ok = srv.cli(['migrate']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /1 migration applied/);
    await srv.restart();
  });

  it('a database without a key check value gets one at the next start', async () => {
    await srv.kill();
    assert.equal(srv.sql('DELETE FROM key_check').status, 0);
    await srv.restart();
    assert.equal(srv.sql('SELECT COUNT(*) FROM key_check').stdout, '1');
    await srv.kill();
    const r = refusedServe(srv, { ATRIUM_MASTER_KEY: randomBytes(32).toString('hex') });
    assert.match(r.stderr, /master key does not match/);
    await srv.restart();
  });

  it('migrate and serve refuse a schema newer than the binary, naming both versions', async () => {
    await srv.kill();
    const w = srv.sql("INSERT INTO schema_migrations (version, applied_at) VALUES ('9999_from_the_future', 'x')");
    assert.equal(w.status, 0, w.stderr);
    const m = srv.cli(['migrate']);
    assert.notEqual(m.status, 0, m.stdout);
    assert.match(oneLine(m), /schema is newer than this binary: it has migration 9999_from_the_future, .* up to \d{4}_\w+/);
    const s = refusedServe(srv, {});
    assert.match(oneLine(s), /9999_from_the_future/);
    assert.equal(srv.sql("DELETE FROM schema_migrations WHERE version = '9999_from_the_future'").status, 0);
    await srv.restart();
  });
});

describe('sharing the port on purpose (reuse_port = true)', () => {
  let srv;
  let second;
  before(async () => { srv = await startServer({ staff: false, env: { ATRIUM_REUSE_PORT: 'true' } }); });
  after(async () => {
    if (second && second.exitCode === null) second.kill('SIGKILL');
    await srv?.stop();
  });

  it('a second serve with reuse_port starts on the same port', async () => {
    const log = path.join(srv.dir, 'second.log');
    const fd = fs.openSync(log, 'w');
    second = spawn(BIN, ['serve', '--listen', `127.0.0.1:${srv.port}`, '--db', srv.dbUrl], {
      env: { ...process.env, ...srv.env }, stdio: ['ignore', fd, fd],
    });
    fs.closeSync(fd);
    const exited = new Promise((resolve) => second.on('exit', (code) => resolve(code)));
    await waitFor(() => second.exitCode !== null || /serving on/.test(fs.readFileSync(log, 'utf8')),
      { timeout: 20000, what: 'the second server to start' });
    assert.equal(second.exitCode, null, `the second server exited:\n${fs.readFileSync(log, 'utf8')}`);
    second.kill('SIGTERM');
    assert.equal(await exited, 0, fs.readFileSync(log, 'utf8'));
  });
});

describe('several nodes migrating a fresh database at once', () => {
  let dir;
  let dbName;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-migrate-')); });
  after(() => {
    if (dbName) spawnSync('psql', [`${PG_BASE}postgres`, '-qc', `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('four concurrent migrate processes all succeed', async () => {
    let url;
    if (PG_BASE) {
      dbName = `atrium_mig_${process.pid}_${randomBytes(3).toString('hex')}`;
      const r = spawnSync('psql', [`${PG_BASE}postgres`, '-qc', `CREATE DATABASE ${dbName}`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      url = PG_BASE + dbName;
    } else {
      url = `sqlite:${path.join(dir, 'atrium.db')}`;
    }
    const env = { ...process.env, ATRIUM_MASTER_KEY: randomBytes(32).toString('hex') };
    const runs = [0, 1, 2, 3].map(() => new Promise((resolve) => {
      const p = spawn(BIN, ['migrate', '--db', url], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.stderr.on('data', (d) => { out += d; });
      p.on('exit', (code) => resolve({ code, out }));
    }));
    const results = await Promise.all(runs);
    for (const r of results) assert.equal(r.code, 0, r.out);
    const applied = results.map((r) => Number(/(\d+) migrations? applied/.exec(r.out)?.[1]));
    const total = applied.reduce((a, b) => a + b, 0);
    const files = fs.readdirSync(path.join(ROOT, 'migrations', PG_BASE ? 'pg' : 'sqlite'));
    assert.equal(total, files.length, `each migration applied exactly once: ${applied}`);
    const again = runBin(['migrate', '--db', url], { env: { ATRIUM_MASTER_KEY: env.ATRIUM_MASTER_KEY } });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /0 migrations applied/);
  });
});
