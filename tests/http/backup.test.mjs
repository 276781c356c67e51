// Backups: the Backups screen's routes (list, start one, one run, download,
// the schedule), the job that makes them while requests write, retention,
// the scheduled backups, and the CLI (`atrium backup`, `atrium backup
// verify`, `atrium restore`) on a backup made by the server: verify on a
// good, a corrupted and a truncated file; restore into an empty database
// (same rows, a server that starts on it and signs in), refused into a
// database that is not empty, from a newer schema, and into the other kind
// of database. Runs on SQLite and, with ATRIUM_TEST_PG, on PostgreSQL
// (pg_dump and pg_restore from postgresql-client).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BIN, adminClient, assertFieldErrors, assertProblem, client, freePort, runBin, startServer,
  staffClient, uniq, waitFor,
} from './harness.mjs';

const LIST = '/api/v1/backups';
const ONE = '/api/v1/backups/{id}';
const DOWNLOAD = '/api/v1/backups/{id}/download';
const SCHEDULE = '/api/v1/backup_schedule';
const ACTIVITY = '/api/v1/activity';

// ---- a tar reader and writer (ustar), for crafted backup files -----------

function readTar(buf) {
  const out = [];
  for (let off = 0; off + 512 <= buf.length;) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
    off += 512;
    out.push({ name, data: Buffer.from(buf.subarray(off, off + size)) });
    off += Math.ceil(size / 512) * 512;
  }
  return out;
}

function tarHeader(name, size) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'latin1');
  h.write('0000600\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function writeTar(members) {
  const parts = [];
  for (const m of members) {
    parts.push(tarHeader(m.name, m.data.length), m.data, Buffer.alloc((512 - (m.data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/* The backup at file with its manifest changed by edit. */
function craft(file, out, edit) {
  const members = readTar(fs.readFileSync(file));
  const m = JSON.parse(members[0].data.toString('utf8'));
  edit(m);
  members[0].data = Buffer.from(JSON.stringify(m));
  fs.writeFileSync(out, writeTar(members));
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

function psqlRun(url, sql) {
  const r = spawnSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe('backups: the API, the job, the schedule, verify and restore', () => {
  let srv;
  let admin;
  let staff;
  let anon;
  const scratch = []; // databases (PostgreSQL) made for restores
  let emptyDbSeq = 0;

  /* A new empty database of the server's kind: its URL. */
  function emptyDb() {
    emptyDbSeq++;
    if (srv.pg) {
      const name = `${srv.dbName}_r${emptyDbSeq}`;
      psqlRun(`${srv.pgBase}postgres`, `CREATE DATABASE ${name}`);
      scratch.push(name);
      return srv.pgBase + name;
    }
    // In a directory that does not exist yet (a new machine's ./var).
    return `sqlite:${path.join(srv.dir, `restored-${emptyDbSeq}`, 'var', 'atrium.db')}`;
  }

  /* Rows of a query on the database url, one string per row. */
  function rows(url, sql) {
    if (url.startsWith('postgres')) return psqlRun(url, sql).split('\n').filter(Boolean);
    const r = spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', url.replace(/^sqlite:/, ''), sql], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').filter(Boolean);
  }

  /* Starts a backup through the API and waits until it ends. */
  async function backupNow(body = {}, headers = {}) {
    const r = await admin.req('POST', LIST, { body, headers });
    assert.equal(r.status, 201, r.text);
    const done = await waitFor(async () => {
      const g = await admin.req('GET', ONE, { params: { id: r.body.id } });
      assert.equal(g.status, 200, g.text);
      return ['done', 'failed'].includes(g.body.status) ? g.body : null;
    }, { timeout: 60000, every: 100, what: `backup ${r.body.id} to end` });
    assert.equal(done.status, 'done', `backup failed: ${done.error}`);
    return done;
  }

  before(async () => {
    srv = await startServer({
      env: { ATRIUM_HOUSEKEEPING_INTERVAL_MS: '1000', ATRIUM_SCHEDULER_LEASE_MS: '2000' },
    });
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    anon = client(srv.base);
  });

  after(async () => {
    await srv?.stop();
    for (const name of scratch) {
      spawnSync('psql', ['-X', '-q', `${srv.pgBase}postgres`, '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
    }
  });

  it('401 anonymously and 403 for a member without administrator rights, on every route', async () => {
    const routes = [
      ['GET', LIST], ['POST', LIST, {}], ['GET', ONE, null, { id: 1 }], ['GET', DOWNLOAD, null, { id: 1 }],
      ['GET', SCHEDULE], ['PATCH', SCHEDULE, { keep: 3 }],
    ];
    for (const [method, p, body, params] of routes) {
      const opts = { params: params || {}, ...(body ? { body } : {}) };
      assertProblem(await anon.req(method, p, opts), 401);
      assertProblem(await staff.req(method, p, opts), 403);
    }
  });

  it('the schedule: defaults, every invalid field at once, a change with If-Match, logged', async () => {
    let r = await admin.req('GET', SCHEDULE);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      { enabled: r.body.enabled, interval_hours: r.body.interval_hours, directory: r.body.directory, keep: r.body.keep },
      { enabled: false, interval_hours: 24, directory: './var/backups', keep: 7 },
    );
    assert.equal(r.body.last_good, null);
    const etag = r.headers.get('etag');
    assert.ok(etag);

    r = await admin.req('PATCH', SCHEDULE, {
      body: { enabled: 'yes', interval_hours: 0, keep: 1001, directory: 'a/../b', extra: 1 },
    });
    assertFieldErrors(r, { enabled: null, interval_hours: 'out_of_range', keep: 'out_of_range', directory: 'invalid', extra: null });
    r = await admin.req('PATCH', SCHEDULE, { body: { interval_hours: 8761, keep: 0, directory: '' } });
    assertFieldErrors(r, { interval_hours: 'out_of_range', keep: 'out_of_range', directory: 'invalid' });
    fs.writeFileSync(path.join(srv.dir, 'a-file'), 'x');
    r = await admin.req('PATCH', SCHEDULE, { body: { directory: path.join(srv.dir, 'a-file') } });
    assertFieldErrors(r, { directory: 'invalid' });
    r = await admin.req('PATCH', SCHEDULE, { body: { directory: path.join(srv.dir, 'a-file', 'below') } });
    assertFieldErrors(r, { directory: 'invalid' });
    r = await admin.req('PATCH', SCHEDULE, { body: { interval_hours: 'x', keep: 2.5 } });
    assertFieldErrors(r, { interval_hours: null, keep: null });

    r = await admin.req('PATCH', SCHEDULE, { body: { keep: 5 }, headers: { 'If-Match': '"999"' } });
    assertProblem(r, 412);
    r = await admin.req('PATCH', SCHEDULE, { body: { keep: 5, interval_hours: 12 }, headers: { 'If-Match': etag } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.keep, 5);
    assert.equal(r.body.interval_hours, 12);
    assert.notEqual(r.headers.get('etag'), etag);
    const log = await admin.req('GET', ACTIVITY, { query: { entity: 'backup_schedule', limit: 5 } });
    assert.equal(log.status, 200, log.text);
    const row = log.body.data.find((x) => x.action === 'update');
    assert.ok(row, log.text);
    assert.deepEqual(row.diff.keep, { from: 7, to: 5 });
  });

  it('POST: an invalid kind is 422; a run waiting refuses another (409); nothing else is written', async () => {
    let r = await admin.req('POST', LIST, { body: { kind: 'scheduled' } });
    assertFieldErrors(r, { kind: null });
    r = await admin.req('POST', LIST, { body: { kind: 'manual', note: 'x' } });
    assertFieldErrors(r, { note: null });
    const now = new Date().toISOString();
    srv.sql(`INSERT INTO backup_run (org_id, kind, status, via, created_at) VALUES (1, 'manual', 'queued', 'server', '${now}')`);
    try {
      r = await admin.req('POST', LIST, { body: {} });
      assertProblem(r, 409);
      assert.match(r.body.detail, /already queued or running/);
    } finally {
      srv.sql("DELETE FROM backup_run WHERE job_id IS NULL AND status = 'queued'");
    }
    const l = await admin.req('GET', LIST);
    assert.equal(l.body.total, 0, l.text);
  });

  it('a backup made while requests write: done, listed, downloadable, verified, logged', async () => {
    // Writers keep creating leads during the backup.
    let writing = true;
    let created = 0;
    const writer = (async () => {
      while (writing) {
        const batch = await Promise.all(Array.from({ length: 4 }, () =>
          admin.req('POST', '/api/v1/leads', { body: { name: uniq('Lead during backup') } })));
        for (const x of batch) assert.equal(x.status, 201, x.text);
        created += batch.length;
      }
    })();
    await waitFor(() => created >= 8, { timeout: 20000, what: 'the first leads' });
    const key = `bk-${randomBytes(6).toString('hex')}`;
    let run;
    try {
      run = await backupNow({ kind: 'manual' }, { 'Idempotency-Key': key });
    } finally {
      writing = false;
      await writer;
    }
    assert.equal(run.kind, 'manual');
    assert.equal(run.via, 'server');
    assert.equal(run.requested_by, admin.me.id);
    assert.match(run.sha256, /^[0-9a-f]{64}$/);
    assert.match(run.file_name, /^atrium-backup-\d{8}-\d{6}-\d+\.tar$/);
    assert.equal(run.downloadable, true);
    // The newest migration of the database.
    assert.equal(run.schema_version, rows(srv.dbUrl, 'SELECT max(version) FROM schema_migrations')[0]);
    assert.equal(fs.statSync(run.file).size, run.bytes);
    assert.equal(sha256(fs.readFileSync(run.file)), run.sha256);

    // The same Idempotency-Key replays the same run, and starts none.
    const again = await admin.req('POST', LIST, { body: { kind: 'manual' }, headers: { 'Idempotency-Key': key } });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.body.id, run.id);

    const list = await admin.req('GET', LIST);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.total, 1);
    assert.equal(list.body.data[0].id, run.id);
    assert.equal(list.body.last_good.finished_at, run.finished_at);
    assert.ok(list.body.last_good.age_seconds >= 0);
    const f = await admin.req('GET', LIST, { query: { kind: 'scheduled' } });
    assert.equal(f.body.total, 0);
    assertProblem(await admin.req('GET', LIST, { query: { colour: 'red' } }), 400);
    assertProblem(await admin.req('GET', LIST, { query: { status: 'sleeping' } }), 400);
    assertProblem(await admin.req('GET', ONE, { params: { id: 999999 } }), 404);

    // The file: checksums, integrity, and the activity log's chain of the
    // copy (on PostgreSQL restored into a scratch database).
    const args = ['backup', 'verify', run.file];
    if (srv.pg) args.push('--into', emptyDb());
    const v = runBin(args, { env: srv.env });
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /checksums: ok/);
    assert.match(v.stdout, srv.pg ? /archive: ok/ : /integrity: ok/);
    assert.match(v.stdout, /activity log chain: ok/);

    // Download: the file's bytes, streamed, logged.
    const res = await fetch(`${srv.base}/api/v1/backups/${run.id}/download`, { headers: { Cookie: admin.cookieHeader() } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-tar');
    assert.match(res.headers.get('content-disposition'), new RegExp(`attachment; filename\\*=UTF-8''${run.file_name}`));
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.length, run.bytes);
    assert.equal(sha256(body), run.sha256);
    const d = await admin.req('GET', DOWNLOAD, { params: { id: run.id } });
    assert.equal(d.status, 200);
    assertProblem(await admin.req('GET', DOWNLOAD, { params: { id: 999999 } }), 404);
    const log = await admin.req('GET', ACTIVITY, { query: { entity: 'backup', limit: 50 } });
    const actions = log.body.data.filter((x) => x.entity_id === run.id).map((x) => x.action).sort();
    assert.deepEqual(actions, ['backup_done', 'backup_downloaded', 'backup_downloaded', 'create']);
  });

  it('the health page and /metrics show the last good backup\'s age', async () => {
    const ind = await waitFor(async () => {
      const h = await admin.req('GET', '/api/v1/health');
      assert.equal(h.status, 200, h.text);
      const i = h.body.indicators.find((x) => x.key === 'backup_age');
      return i && i.value !== null && i;
    }, { timeout: 20000, what: 'the backup age on the health page' });
    assert.equal(ind.status, 'good');
    assert.equal(ind.link, '/admin/utilities/backups');
    assert.ok(ind.value >= 0 && ind.value < 3600, String(ind.value));
    assert.match(ind.facts.finished_at, /^\d{4}-\d{2}-\d{2}T/);
    const m = await (await fetch(`${srv.base}/metrics`)).text();
    assert.match(m, /^atrium_backup_age_seconds \d/m);
  });

  it('verify refuses a corrupted, a truncated and a foreign file', async () => {
    const file = path.join(srv.dir, 'cli.tar');
    const b = srv.cli(['backup', '--out', file]);
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, /master key .* is not in the backup/);
    const buf = fs.readFileSync(file);
    const bad = Buffer.from(buf);
    bad[4096] ^= 0xff; // inside the database member
    fs.writeFileSync(path.join(srv.dir, 'bad.tar'), bad);
    let v = runBin(['backup', 'verify', path.join(srv.dir, 'bad.tar')], { env: srv.env });
    assert.equal(v.status, 1, v.stdout + v.stderr);
    assert.match(v.stdout, /checksums: FAILED: .*SHA-256/);
    fs.writeFileSync(path.join(srv.dir, 'short.tar'), buf.subarray(0, buf.length - 2048));
    v = runBin(['backup', 'verify', path.join(srv.dir, 'short.tar')], { env: srv.env });
    assert.equal(v.status, 1, v.stdout + v.stderr);
    assert.match(v.stdout, /checksums: FAILED/);
    fs.writeFileSync(path.join(srv.dir, 'notes.txt'), 'not a backup\n');
    v = runBin(['backup', 'verify', path.join(srv.dir, 'notes.txt')], { env: srv.env });
    assert.equal(v.status, 1, v.stdout + v.stderr);
    assert.match(v.stdout, /not an atrium backup/);
    // A damaged file is never restored.
    const r = runBin(['restore', path.join(srv.dir, 'bad.tar'), '--db', emptyDb()], { env: srv.env });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /damaged/);
    // The CLI's backup is listed too, not downloadable (the operator's file).
    const l = await admin.req('GET', LIST, { query: { via: 'cli' } });
    assert.equal(l.body.total, 1, l.text);
    assert.equal(l.body.data[0].downloadable, false);
    assertProblem(await admin.req('GET', DOWNLOAD, { params: { id: l.body.data[0].id } }), 409);
  });

  it('restore into an empty database: the same rows, a server that starts and signs in', async () => {
    const file = path.join(srv.dir, 'full.tar');
    const b = srv.cli(['backup', '--out', file]);
    assert.equal(b.status, 0, b.stderr);
    const target = emptyDb();
    const r = runBin(['restore', file, '--db', target], { env: srv.env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /the database is restored/);
    assert.match(r.stdout, /reminder: the master key/);
    for (const sql of [
      'SELECT id, name FROM lead ORDER BY id',
      'SELECT id, email FROM staff ORDER BY id',
      "SELECT id, hash FROM activity_log WHERE action <> 'backup_done' ORDER BY id",
    ]) {
      const want = rows(srv.dbUrl, sql);
      const got = rows(target, sql);
      // The backup's own completion row came after the copy.
      assert.deepEqual(got.slice(0, want.length), want.slice(0, got.length), sql);
      assert.ok(got.length > 0, sql);
    }
    assert.deepEqual(rows(target, 'SELECT id, name FROM lead ORDER BY id'), rows(srv.dbUrl, 'SELECT id, name FROM lead ORDER BY id'));
    const audit = runBin(['audit', 'verify', '--db', target], { env: srv.env });
    assert.equal(audit.status, 0, audit.stdout + audit.stderr);

    // A server on the restored database, with the same master key.
    const port = await freePort();
    const log = path.join(srv.dir, 'restored.log');
    const fd = fs.openSync(log, 'a');
    const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--db', target],
      { cwd: srv.dir, env: { ...process.env, ...srv.env }, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const exited = new Promise((res) => proc.on('exit', (code) => res(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(async () => {
        try {
          const x = await fetch(`${base}/readyz`);
          await x.arrayBuffer();
          return x.status === 200;
        } catch { return false; }
      }, { timeout: 20000, what: 'the restored server to be ready' });
      const c = client(base);
      await c.login(srv.admin.email, srv.admin.password);
      const leads = await c.req('GET', '/api/v1/leads', { query: { count: 'true', limit: 1 } });
      assert.equal(leads.status, 200, leads.text);
      const mine = await admin.req('GET', '/api/v1/leads', { query: { count: 'true', limit: 1 } });
      assert.equal(leads.body.total, mine.body.total, `${rows(srv.dbUrl, 'SELECT count(*) FROM lead')} ${rows(target, 'SELECT * FROM entity_count')} ${rows(srv.dbUrl, 'SELECT * FROM entity_count')}`);
      // Runs the backup caught unfinished are closed, so backups work there.
      const runs = await c.req('GET', LIST, { query: { status: 'running' } });
      assert.equal(runs.body.total, 0, runs.text);
    } finally {
      proc.kill('SIGTERM');
      assert.equal(await exited, 0, fs.readFileSync(log, 'utf8').slice(-2000));
    }

    // Not into a database that holds anything: the restored one, or the server's.
    let again = runBin(['restore', file, '--db', target], { env: srv.env });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /is not empty .* restore only into an empty database/);
    again = srv.cli(['restore', file]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /is not empty/);
  });

  it('restore refuses a newer schema and the other kind of database, with a clear line', async () => {
    const file = path.join(srv.dir, 'full.tar');
    const newer = path.join(srv.dir, 'newer.tar');
    craft(file, newer, (m) => { m.schema = '9999_from_the_future'; m.version = '9.0.0'; });
    let r = runBin(['restore', newer, '--db', emptyDb()], { env: srv.env });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the backup's schema 9999_from_the_future is newer than this binary .* knows migrations up to \d{4}_\w+.*atrium 9\.0\.0/);
    const other = srv.pg ? `sqlite:${path.join(srv.dir, 'other.db')}` : 'postgresql://atrium@127.0.0.1:1/none';
    r = runBin(['restore', file, '--db', other], { env: srv.env });
    assert.equal(r.status, 1);
    assert.match(r.stderr, srv.pg
      ? /this is a PostgreSQL backup and the target is a SQLite database/
      : /this is a SQLite backup and the target is a PostgreSQL database/);
    const future = path.join(srv.dir, 'format.tar');
    craft(file, future, (m) => { m.format = 'atrium-backup/2'; });
    r = runBin(['backup', 'verify', future], { env: srv.env });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /format is 'atrium-backup\/2'/);
  });

  it('scheduled backups run on the scheduler and retention keeps the newest N after a good one', async () => {
    const dir = path.join(srv.dir, 'scheduled');
    let r = await admin.req('PATCH', SCHEDULE, { body: { enabled: true, interval_hours: 1, keep: 2, directory: dir } });
    assert.equal(r.status, 200, r.text);
    const sched = await waitFor(async () => {
      const l = await admin.req('GET', LIST, { query: { kind: 'scheduled' } });
      return l.body.data.find((x) => x.status === 'done');
    }, { timeout: 30000, every: 200, what: 'a scheduled backup' });
    assert.equal(path.dirname(sched.file), fs.realpathSync(dir));
    assert.equal(sched.requested_by, null);
    // Not again within the hour.
    r = await admin.req('PATCH', SCHEDULE, { body: { enabled: false } });
    assert.equal(r.status, 200, r.text);
    let l = await admin.req('GET', LIST, { query: { kind: 'scheduled' } });
    assert.equal(l.body.total, 1, l.text);

    const a = await backupNow({ kind: 'pre_import' });
    assert.equal(a.kind, 'pre_import');
    assert.ok(fs.existsSync(sched.file), 'two kept: nothing removed yet');
    const b2 = await backupNow();
    // Three good ones in the directory, keep 2: the oldest went.
    assert.ok(!fs.existsSync(sched.file), 'the oldest file is removed');
    assert.ok(fs.existsSync(a.file) && fs.existsSync(b2.file));
    const gone = await admin.req('GET', ONE, { params: { id: sched.id } });
    assert.match(gone.body.removed_at, /Z$/);
    assert.equal(gone.body.downloadable, false);
    assertProblem(await admin.req('GET', DOWNLOAD, { params: { id: sched.id } }), 404);
    l = await admin.req('GET', LIST, { query: { status: 'done', limit: 200 } });
    const kept = l.body.data.filter((x) => x.via === 'server' && !x.removed_at && x.file.startsWith(fs.realpathSync(dir)));
    assert.equal(kept.length, 2);
    const files = fs.readdirSync(dir).filter((n) => n.endsWith('.tar'));
    assert.equal(files.length, 2, files.join(','));
    const log = await admin.req('GET', ACTIVITY, { query: { entity: 'backup', limit: 100 } });
    assert.ok(log.body.data.some((x) => x.action === 'backup_removed' && x.entity_id === sched.id), log.text);
    assert.ok(log.body.data.some((x) => x.action === 'create' && x.entity_id === sched.id && x.actor_name === 'scheduler'), log.text);
  });

  it('a backup that fails is recorded as failed with its reason, and logged', async () => {
    // The directory is checked when saved; a file that takes its place
    // afterwards makes the backup fail.
    const dir = path.join(srv.dir, 'vanishing');
    fs.mkdirSync(dir);
    let r = await admin.req('PATCH', SCHEDULE, { body: { directory: dir } });
    assert.equal(r.status, 200, r.text);
    fs.rmdirSync(dir);
    fs.writeFileSync(dir, 'in the way\n');
    try {
      r = await admin.req('POST', LIST, { body: {} });
      assert.equal(r.status, 201, r.text);
      const end = await waitFor(async () => {
        const g = await admin.req('GET', ONE, { params: { id: r.body.id } });
        return ['done', 'failed'].includes(g.body.status) ? g.body : null;
      }, { timeout: 30000, what: 'the failing backup to end' });
      assert.equal(end.status, 'failed');
      assert.match(end.error, /cannot (create|resolve)/);
      assert.equal(end.file, null);
      assert.equal(end.downloadable, false);
      const log = await admin.req('GET', ACTIVITY, { query: { entity: 'backup', limit: 20 } });
      assert.ok(log.body.data.some((x) => x.action === 'backup_failed' && x.entity_id === r.body.id));
      // The last good backup is still the earlier one.
      const l = await admin.req('GET', LIST);
      assert.notEqual(l.body.last_good, null);
    } finally {
      fs.unlinkSync(dir);
      await admin.req('PATCH', SCHEDULE, { body: { directory: './var/backups' } });
    }
  });

  it('an administrator of a business is refused by the pipeline (operator_org routes): a backup holds every organisation', async () => {
    const now = new Date().toISOString();
    let r = srv.sql(`INSERT INTO org (id, name, created_at, kind, parent_id) VALUES (2, 'Second', '${now}', 'business', 1)`);
    assert.equal(r.status, 0, r.stderr);
    r = srv.sql("INSERT INTO setting (org_id, key, value) VALUES (2, 'twofa_required_admins', 'false')");
    assert.equal(r.status, 0, r.stderr);
    r = srv.sql(`INSERT INTO staff (org_id, email, email_norm, name, password_hash, admin, created_at, updated_at, password_changed_at)
      SELECT 2, 'other-admin@example.test', 'other-admin@example.test', 'Other Admin', password_hash, 1, '${now}', '${now}', '${now}'
      FROM staff WHERE email_norm = '${srv.admin.email}'`);
    assert.equal(r.status, 0, r.stderr);
    const other = client(srv.base);
    other.as = 'business-admin'; // the route meta-test's 403 for operator_org routes
    const login = await other.login('other-admin@example.test', srv.admin.password);
    assert.equal(login.body.staff.admin, true, login.text);
    const me = await other.req('GET', '/api/v1/auth/me');
    assert.equal(me.status, 200, me.text);
    for (const [method, p, opts] of [
      ['GET', LIST, {}], ['POST', LIST, { body: {} }], ['GET', ONE, { params: { id: 1 } }],
      ['GET', DOWNLOAD, { params: { id: 1 } }], ['GET', SCHEDULE, {}], ['PATCH', SCHEDULE, { body: { keep: 4 } }],
    ]) {
      const x = await other.req(method, p, opts);
      assertProblem(x, 403);
      assert.match(x.body.detail, /only members of the operator organisation/, `${method} ${p}`);
    }
  });
});
