// Log retention (issue 16): each log's old rows are archived to a verified
// gzip file, recorded in a manifest, then removed; newer rows stay; the
// activity log's chain verifies after the cut (`atrium audit verify`) and so
// does the archive (`atrium logs verify`); a second run archives nothing
// twice. The retention settings (group `retention`) with every invalid
// field; GET /api/v1/log-archives and the download (administrators only,
// logged). Runs on SQLite, and on PostgreSQL with ATRIUM_TEST_PG.
//
// Old rows are made by moving their time back with SQL, except the
// activity log's, whose time is covered by the chain's MAC (moving it is
// tampering, and the engine then refuses to remove anything): that log is
// archived with `atrium logs archive --log activity --older-than 0`.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, recordCoverage, waitFor,
} from './harness.mjs';

const OLD = '2020-01-01T00:00:00.000Z';
const LIST = '/api/v1/log-archives';
const DOWNLOAD = '/api/v1/log-archives/{id}/download';

describe('log retention', () => {
  let srv;
  let admin;
  let staff;
  const archiveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-archive-'));
  const ids = {};

  const sql = (q) => {
    const r = srv.sql(q);
    assert.equal(r.status, 0, `${q}: ${r.stderr}`);
    return r.stdout;
  };
  const count = (q) => Number(sql(q));
  const cli = (args) => srv.cli(args);

  /* Downloads archive id as the admin: {status, headers, bytes}. */
  async function download(c, id) {
    const p = `/api/v1/log-archives/${id}/download`;
    const res = await fetch(`${srv.base}${p}`, { headers: { Cookie: c.cookieHeader() } });
    const bytes = Buffer.from(await res.arrayBuffer());
    recordCoverage('GET', DOWNLOAD, p, res.status);
    return { status: res.status, headers: res.headers, bytes };
  }

  before(async () => {
    srv = await startServer({ env: { ATRIUM_ARCHIVE_DIR: archiveDir, ATRIUM_SCHEDULER: 'false' } });
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    // Activity: a few changes.
    for (let i = 0; i < 3; i++) {
      const r = await admin.req('POST', '/api/v1/leads', { body: { name: `Retained ${i}` } });
      assert.equal(r.status, 201, r.text);
    }
    // The pipe log: 4 old rows and 2 new.
    for (let i = 0; i < 6; i++) {
      sql(`INSERT INTO pipe_log (org_id, received_at, result, bytes) VALUES (1, '${i < 4 ? OLD : new Date().toISOString()}', 'ignored', ${i})`);
    }
    ids.pipeOld = sql(`SELECT id FROM pipe_log WHERE received_at = '${OLD}' ORDER BY id`).split('\n').map(Number);
    // The API request log: 3 old rows and 1 new.
    for (let i = 0; i < 4; i++) {
      sql(`INSERT INTO api_request_log (org_id, at, method, path, status, duration_ms, ip, request_id) VALUES (1, '${i < 3 ? OLD : new Date().toISOString()}', 'GET', '/api/v1/leads', 200, ${i}, '192.0.2.1', 'r${i}')`);
    }
    // Webhook deliveries and attempts: an old finished delivery with two
    // old attempts (both go), an old finished delivery with a new attempt
    // (both stay: a delivery goes only once its attempts are archived), an
    // old pending one (stays).
    const hook = await admin.req('POST', '/api/v1/webhooks', {
      body: { name: 'Retained', url: 'https://hooks.example.test/in', entities: ['lead'], events: ['created'] },
    });
    assert.equal(hook.status, 201, hook.text);
    const wh = hook.body.id;
    for (const [n, status] of [[1, 'delivered'], [2, 'delivered'], [3, 'pending']]) {
      sql(`INSERT INTO webhook_delivery (org_id, webhook_id, event_type, msg_id, order_key, status, created_at, updated_at) VALUES (1, ${wh}, 'lead.created', 'msg_${n}', 'k', '${status}', '${OLD}', '${OLD}')`);
    }
    const d = sql(`SELECT id FROM webhook_delivery WHERE webhook_id = ${wh} ORDER BY id`).split('\n').map(Number);
    ids.deliveries = d;
    for (const [del, at] of [[d[0], OLD], [d[0], OLD], [d[1], new Date().toISOString()]]) {
      sql(`INSERT INTO webhook_attempt (org_id, webhook_id, delivery_id, attempt, at, duration_ms) VALUES (1, ${wh}, ${del}, 1, '${at}', 5)`);
    }
  });

  after(async () => {
    if (srv) await srv.stop();
    fs.rmSync(archiveDir, { recursive: true, force: true });
  });

  it('the retention settings: defaults, every invalid field named, 401 and 403', async () => {
    const g = await admin.req('GET', '/api/v1/settings/{group}', { params: { group: 'retention' } });
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(
      { ...g.body.values },
      {
        retention_activity_days: 0, retention_pipe_days: 90, retention_webhook_attempts_days: 30,
        retention_webhook_deliveries_days: 30, retention_events_days: 0,
      },
    );
    const bad = await admin.req('PATCH', '/api/v1/settings/{group}', {
      params: { group: 'retention' },
      body: {
        retention_activity_days: -1, retention_pipe_days: 'ninety', retention_webhook_attempts_days: 36501,
        retention_webhook_deliveries_days: 1.5, retention_events_days: true,
      },
    });
    assertFieldErrors(bad, {
      retention_activity_days: null, retention_pipe_days: 'type', retention_webhook_attempts_days: null,
      retention_webhook_deliveries_days: null, retention_events_days: 'type',
    });
    assert.equal(bad.body.errors.length, 5, JSON.stringify(bad.body.errors));
    const badApi = await admin.req('PATCH', '/api/v1/settings/{group}', {
      params: { group: 'integrations' }, body: { api_log_retention_days: -5 },
    });
    assertFieldErrors(badApi, { api_log_retention_days: null });
    const anon = await client(srv.base).req('PATCH', '/api/v1/settings/{group}', {
      params: { group: 'retention' }, body: { retention_pipe_days: 30 },
    });
    assertProblem(anon, 401);
    const denied = await staff.req('PATCH', '/api/v1/settings/{group}', {
      params: { group: 'retention' }, body: { retention_pipe_days: 30 },
    });
    assertProblem(denied, 403);
    const ok = await admin.req('PATCH', '/api/v1/settings/{group}', {
      params: { group: 'retention' }, body: { retention_pipe_days: 30, retention_events_days: 1 },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.values.retention_pipe_days, 30);
  });

  it('a run archives the old rows of each log, keeps the newer ones, and records each archive', async () => {
    // Processed events, made old (the outbox hands them over in the
    // background: wait until it has).
    await waitFor(() => count('SELECT COUNT(*) FROM event WHERE processed_at IS NULL') === 0 &&
      count("SELECT COUNT(*) FROM job WHERE status IN ('queued', 'running', 'blocked')") === 0,
    { timeout: 20000, what: 'the events processed and their jobs done' });
    sql(`UPDATE event SET created_at = '${OLD}' WHERE processed_at IS NOT NULL`);
    // One of them still has a blocked delivery job: it stays.
    const held = count(`SELECT MIN(id) FROM event WHERE created_at = '${OLD}'`);
    sql(`INSERT INTO job (org_id, kind, payload, status, run_at, scheduled_at, order_key, order_seq, created_at) VALUES (1, 'event:webhooks', '{}', 'blocked', '${OLD}', '${OLD}', 'event:webhooks|lead|0', ${held}, '${OLD}')`);
    const oldEvents = count(`SELECT COUNT(*) FROM event WHERE created_at = '${OLD}'`) - 1;
    const activityBefore = count('SELECT COUNT(*) FROM activity_log');
    const r = cli(['logs', 'archive']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /archived: pipe of org 1, 4 rows/);
    assert.match(r.stdout, /archived: api_requests of org 1, 3 rows/);
    assert.match(r.stdout, /archived: webhook_attempts of org 1, 2 rows/);
    assert.match(r.stdout, /archived: webhook_deliveries of org 1, 1 rows/);
    assert.ok(oldEvents > 0, 'the three leads made processed events');
    assert.match(r.stdout, new RegExp(`archived: events of org 1, ${oldEvents} rows`));
    assert.doesNotMatch(r.stdout, /archived: activity/, 'the activity log is kept forever by default');
    // Old rows gone, newer kept.
    assert.equal(count(`SELECT COUNT(*) FROM pipe_log WHERE received_at = '${OLD}'`), 0);
    assert.equal(count('SELECT COUNT(*) FROM pipe_log'), 2);
    assert.equal(count(`SELECT COUNT(*) FROM api_request_log WHERE at = '${OLD}'`), 0);
    assert.ok(count('SELECT COUNT(*) FROM api_request_log') >= 1);
    assert.equal(count(`SELECT COUNT(*) FROM webhook_attempt WHERE at = '${OLD}'`), 0);
    assert.equal(count('SELECT COUNT(*) FROM webhook_attempt'), 1);
    assert.deepEqual(sql('SELECT id FROM webhook_delivery ORDER BY id').split('\n').map(Number),
      ids.deliveries.slice(1), 'the delivery with a newer attempt and the pending one stay');
    assert.deepEqual(sql(`SELECT id FROM event WHERE created_at = '${OLD}'`), String(held), 'the event a job waits for stays');
    // Each archive is in the activity log, as the retention actor.
    assert.equal(count("SELECT COUNT(*) FROM activity_log WHERE action = 'log_archived' AND actor_name = 'retention'"),
      5);
    assert.ok(count('SELECT COUNT(*) FROM activity_log') > activityBefore);
  });

  it('the manifests list, and each download is the file its manifest describes', async () => {
    const l = await admin.req('GET', LIST, { query: { limit: 50 } });
    assert.equal(l.status, 200, l.text);
    const byLog = Object.fromEntries(l.body.data.map((a) => [a.log, a]));
    for (const log of ['pipe', 'api_requests', 'webhook_attempts', 'webhook_deliveries']) {
      assert.ok(byLog[log], `an archive of ${log}: ${l.text}`);
      assert.equal(byLog[log].status, 'done');
      assert.equal(byLog[log].removed, byLog[log].rows);
      assert.match(byLog[log].sha256, /^[0-9a-f]{64}$/);
      assert.ok(fs.existsSync(path.join(archiveDir, byLog[log].path)), byLog[log].path);
    }
    const pipe = byLog.pipe;
    assert.equal(pipe.rows, 4);
    assert.equal(pipe.first_id, ids.pipeOld[0]);
    assert.equal(pipe.last_id, ids.pipeOld[3]);
    assert.equal(pipe.first_at, OLD);
    assert.match(pipe.path, /^pipe\/org1\/\d+-\d+\.jsonl\.gz$/);
    // Filters go through the list engine.
    const only = await admin.req('GET', LIST, { query: { log: 'pipe' } });
    assert.equal(only.status, 200);
    assert.deepEqual(only.body.data.map((a) => a.log), ['pipe']);
    const badFilter = await admin.req('GET', LIST, { query: { log: 'nope' } });
    assertProblem(badFilter, 400);

    const before = count("SELECT COUNT(*) FROM activity_log WHERE action = 'download' AND entity = 'log_archive'");
    const d = await download(admin, pipe.id);
    assert.equal(d.status, 200);
    assert.equal(d.headers.get('content-type'), 'application/gzip');
    assert.match(d.headers.get('content-disposition'), /attachment; filename\*=UTF-8''pipe-\d+-\d+\.jsonl\.gz/);
    const sha = crypto.createHash('sha256').update(d.bytes).digest('hex');
    assert.equal(sha, pipe.sha256);
    assert.equal(d.headers.get('x-archive-sha256'), pipe.sha256);
    assert.equal(d.bytes.length, pipe.bytes);
    const rows = zlib.gunzipSync(d.bytes).toString('utf8').trimEnd().split('\n').map((x) => JSON.parse(x));
    assert.deepEqual(rows.map((x) => x.id), ids.pipeOld);
    assert.deepEqual(rows.map((x) => x.bytes), [0, 1, 2, 3], 'integers stay numbers');
    assert.ok(rows.every((x) => x.received_at === OLD && x.result === 'ignored' && x.org_id === 1));
    assert.equal(count("SELECT COUNT(*) FROM activity_log WHERE action = 'download' AND entity = 'log_archive'"),
      before + 1, 'the download is logged');

    const missing = await download(admin, 987654);
    assert.equal(missing.status, 404);
  });

  it('the list and the download: 401 anonymously, 403 for a member (administrators only)', async () => {
    const anon = client(srv.base);
    assertProblem(await anon.req('GET', LIST), 401);
    assertProblem(await staff.req('GET', LIST), 403);
    const id = (await admin.req('GET', LIST)).body.data[0].id;
    assert.equal((await download(anon, id)).status, 401);
    assert.equal((await download(staff, id)).status, 403);
  });

  it('the activity log: archived at a cut; audit verify holds after it; the archive verifies; altered, it does not', async () => {
    const r = cli(['logs', 'archive', '--log', 'activity', '--older-than', '0']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const m = /archived: activity of org 1, (\d+) rows \(ids (\d+)-(\d+)\) to (\S+),/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const file = m[4];
    // Only the run's own row is left.
    assert.equal(count('SELECT COUNT(*) FROM activity_log'), 1);
    assert.equal(count('SELECT seq FROM audit_cut WHERE org_id = 1'), Number(m[1]));
    // New activity after the cut.
    assert.equal((await admin.req('POST', '/api/v1/leads', { body: { name: 'After the cut' } })).status, 201);
    const v = cli(['audit', 'verify']);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, new RegExp(`ok: org 1, 2 rows, chain intact \\(from seq ${Number(m[1]) + 1}: seq 1-${m[1]} archived, the cut verified\\)`));

    const lv = cli(['logs', 'verify', file]);
    assert.equal(lv.status, 0, lv.stdout + lv.stderr);
    assert.match(lv.stdout, /ok: archive \d+ \(activity, org 1\)/);
    assert.match(lv.stdout, new RegExp(`ok: the chain inside runs from seq 1 to ${m[1]} and ends at its signed checkpoint`));
    assert.match(lv.stdout, /ok: the archive starts the chain/);
    const av = cli(['audit', 'verify', '--archive', file]);
    assert.equal(av.status, 0, av.stdout + av.stderr);
    assert.equal(av.stdout, lv.stdout, '`audit verify --archive` is `logs verify`');
    // The checkpoint in the manifest is a signed `atrium audit checkpoint`.
    const a = (await admin.req('GET', LIST, { query: { log: 'activity' } })).body.data[0];
    assert.equal(a.cut_seq, Number(m[1]));
    const cp = JSON.parse(a.checkpoint);
    assert.equal(cp.format, 'atrium-audit-checkpoint/1');
    assert.deepEqual(cp.chains, [{ org_id: 1, seq: a.cut_seq, hash: a.cut_hash }]);
    const cpFile = path.join(srv.dir, 'cut.json');
    fs.writeFileSync(cpFile, a.checkpoint);
    const withCp = cli(['audit', 'verify', '--checkpoint', cpFile]);
    assert.equal(withCp.status, 0, withCp.stdout + withCp.stderr);
    assert.match(withCp.stdout, /was archived by retention .*; it is the cut/);

    // An altered copy: one row's action changed, recompressed.
    const lines = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').trimEnd().split('\n');
    const row = JSON.parse(lines[0]);
    row.action = 'nothing_happened';
    lines[0] = JSON.stringify(row);
    const altered = path.join(srv.dir, 'altered.jsonl.gz');
    fs.writeFileSync(altered, zlib.gzipSync(`${lines.join('\n')}\n`));
    const bad = cli(['logs', 'verify', altered]);
    assert.equal(bad.status, 1, bad.stdout);
    assert.match(bad.stdout, /broken: no manifest records a file with sha256/);
    // Someone who can write the files and the database puts the altered
    // copy in place and rewrites its manifest's checksum to match: the
    // chain inside (keyed MACs) still gives it away.
    const orig = fs.readFileSync(file);
    const forged = zlib.gzipSync(`${lines.join('\n')}\n`);
    fs.writeFileSync(file, forged);
    const forgedSha = crypto.createHash('sha256').update(forged).digest('hex');
    sql(`UPDATE log_archive SET sha256 = '${forgedSha}', bytes = ${forged.length} WHERE id = ${a.id}`);
    const bad2 = cli(['logs', 'verify', file]);
    assert.equal(bad2.status, 1, bad2.stdout);
    assert.match(bad2.stdout, /broken: archived activity row seq 1 \(org 1\): content does not match its MAC/);
    fs.writeFileSync(file, orig);
    sql(`UPDATE log_archive SET sha256 = '${a.sha256}', bytes = ${a.bytes} WHERE id = ${a.id}`);
    assert.equal(cli(['logs', 'verify', file]).status, 0);
    // Moving the cut behind Atrium's back breaks audit verify.
    sql('UPDATE audit_cut SET seq = seq + 1 WHERE org_id = 1');
    const moved = cli(['audit', 'verify']);
    assert.equal(moved.status, 1);
    assert.match(moved.stdout, /the retention cut of org 1 does not match its MAC/);
    sql('UPDATE audit_cut SET seq = seq - 1 WHERE org_id = 1');
    assert.equal(cli(['audit', 'verify']).status, 0);
  });

  it('a second run archives nothing twice; list-archives lists each archive once', async () => {
    const n = count('SELECT COUNT(*) FROM log_archive');
    const r = cli(['logs', 'archive']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^0 archives written$/m);
    assert.equal(count('SELECT COUNT(*) FROM log_archive'), n);
    const l = cli(['logs', 'list-archives']);
    assert.equal(l.status, 0, l.stderr);
    assert.equal(l.stdout.trim().split('\n').length, n);
    assert.match(l.stdout, / pipe org 1 done 4 rows/);
    // Bad arguments.
    assert.equal(cli(['logs', 'archive', '--log', 'nope']).status, 1);
    assert.equal(cli(['logs', 'archive', '--older-than', '3']).status, 1, '--older-than needs --log');
  });
});
