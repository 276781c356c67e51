// The database failing under a running server (issue 9, items 4-6 and 12):
// damaged pages, and, on a PostgreSQL cluster this file starts, stops and
// freezes itself: a restart, a connection killed under a request, a server
// frozen with SIGSTOP.
//
// The damaged-page case runs on the database of the pass (SQLite, or the
// test's own PostgreSQL cluster in the PostgreSQL pass); the other cases
// need a cluster the test controls, so they run in the PostgreSQL pass.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  startServer, startCluster, adminClient, client, assertProblem, waitFor, uniq, PG_BASE,
} from './harness.mjs';

const NEEDS_PG = PG_BASE ? false : 'needs a PostgreSQL cluster of its own: runs in the PostgreSQL pass (ATRIUM_TEST_PG)';

/* Overwrites the first page of a file with 0xff bytes (a page no database
 * accepts: not empty, no valid header). */
function damage(file, offset, size) {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(size, 0xff), 0, size, offset);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

/* A fetch that must answer within a bound (it hangs forever when broken). */
async function bounded(url, ms = 5000) {
  const r = await fetch(url, { signal: AbortSignal.timeout(ms) });
  const text = await r.text();
  return { status: r.status, text, headers: r.headers };
}

async function addLeads(admin, n) {
  for (let i = 0; i < n; i++) {
    const r = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('lead') } });
    assert.equal(r.status, 201, r.text);
  }
}

describe('damaged pages take the node out of the load balancer', () => {
  let cluster = null;
  let srv;
  let admin;
  before(async () => {
    if (PG_BASE) cluster = startCluster();
    srv = await startServer({ pgBase: cluster ? cluster.base : '' });
    admin = await adminClient(srv);
    await addLeads(admin, 3);
  });
  after(async () => {
    try {
      await srv?.stop();
    } finally {
      cluster?.stop();
    }
  });

  it('/readyz is 503 while the lead table cannot be read, and listing is 503, not 500', async () => {
    assert.equal((await admin.req('GET', '/readyz')).status, 200);
    if (cluster) {
      // Written to disk, then damaged, then read back after a restart
      // (which empties the server's buffer cache).
      assert.equal(cluster.psql(srv.dbName, 'CHECKPOINT').status, 0);
      const rel = cluster.psql(srv.dbName, "SELECT pg_relation_filepath('lead')").stdout.trim();
      damage(path.join(cluster.dir, 'data', rel), 0, 8192);
      cluster.restart();
    } else {
      await srv.kill(); // closes the database (and its write-ahead log) cleanly
      const root = Number(srv.sql("SELECT rootpage FROM sqlite_schema WHERE name = 'lead'").stdout);
      const pageSize = Number(srv.sql('PRAGMA page_size').stdout);
      damage(srv.dbFile, (root - 1) * pageSize, pageSize);
      await srv.restart({ readyPath: '/healthz' });
      admin = await adminClient(srv);
    }
    const ready = await waitFor(async () => {
      const r = await admin.req('GET', '/readyz');
      return r.status === 503 ? r : null;
    }, { timeout: 15000, what: '/readyz to answer 503' });
    assertProblem(ready, 503, 'unavailable');
    const list = await admin.req('GET', '/api/v1/leads');
    assertProblem(list, 503, 'unavailable');
    assert.ok(Number(list.headers.get('retry-after')) > 0, 'Retry-After');
    assert.equal((await admin.req('GET', '/healthz')).status, 200, 'the process itself is alive');
  });
});

describe('PostgreSQL faults', { skip: NEEDS_PG }, () => {
  let cluster;
  let srv;
  let admin;
  before(async () => {
    cluster = startCluster();
    srv = await startServer({
      pgBase: cluster.base,
      env: {
        ATRIUM_THREADS: '4',
        ATRIUM_DB_STATEMENT_TIMEOUT_MS: '1500',
        ATRIUM_DB_CONNECT_TIMEOUT_SECONDS: '2',
        ATRIUM_DB_ACQUIRE_TIMEOUT_MS: '1000',
        ATRIUM_QUEUE_TIMEOUT_MS: '3000',
      },
    });
    admin = await adminClient(srv);
    await addLeads(admin, 2);
  });
  after(async () => {
    try {
      cluster?.resume();
      await srv?.stop();
    } finally {
      cluster?.stop();
    }
  });

  it('after a restart of PostgreSQL the first requests succeed, /readyz included', async () => {
    // Several pooled connections, all of which the restart closes.
    await Promise.all([1, 2, 3, 4].map(() => admin.req('GET', '/api/v1/leads')));
    cluster.restart();
    assert.equal((await admin.req('GET', '/readyz')).status, 200);
    for (let i = 0; i < 10; i++) {
      const r = await admin.req('GET', '/api/v1/leads', { query: { limit: 5 } });
      assert.equal(r.status, 200, `request ${i + 1} after the restart: ${r.status} ${r.text}`);
    }
    const w = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('after') } });
    assert.equal(w.status, 201, w.text);
  });

  it('a connection killed under a request answers 503 problem+json with Retry-After', async () => {
    // Another session holds the lead table, so the create waits inside
    // PostgreSQL; then its backend is terminated under it.
    const psql = spawn('psql', [`${cluster.base}${srv.dbName}`, '-X', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    psql.stdout.on('data', (d) => { out += d; });
    psql.stdin.write("BEGIN; LOCK TABLE lead IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n");
    await waitFor(() => out.includes('locked'), { what: 'the table lock' });
    const pending = admin.req('POST', '/api/v1/leads', { body: { name: uniq('killed') } });
    await waitFor(() => {
      const r = cluster.psql(srv.dbName, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
      return r.stdout.includes('t');
    }, { what: 'the waiting backend' });
    const r = await pending;
    psql.stdin.end('ROLLBACK;\n');
    assertProblem(r, 503, 'unavailable');
    assert.ok(Number(r.headers.get('retry-after')) > 0, `Retry-After: ${r.headers.get('retry-after')}`);
    assert.doesNotMatch(r.text, /terminating|administrator|postgres/i, 'the detail does not quote the database');
    const after2 = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('later') } });
    assert.equal(after2.status, 201, after2.text);
  });

  it('frozen (SIGSTOP): /healthz answers, /readyz and requests answer 503 within bounds, and it recovers', async () => {
    const before = srv.output().split('\n').length;
    cluster.pause();
    let resumed = false;
    try {
      // More requests than workers: every worker ends up blocked.
      const stuck = [];
      for (let i = 0; i < 10; i++) stuck.push(admin.req('GET', '/api/v1/leads', { query: { limit: 5 } }));
      for (let i = 0; i < 5; i++) {
        const h = await bounded(`${srv.base}/healthz`);
        assert.equal(h.status, 200, `/healthz ${i + 1} while the database is frozen`);
      }
      const ready = await waitFor(async () => {
        const r = await bounded(`${srv.base}/readyz`, 10000);
        return r.status === 503 ? r : null;
      }, { timeout: 20000, what: '/readyz to answer 503' });
      assert.ok(Number(ready.headers.get('retry-after')) > 0, 'Retry-After on /readyz');
      const answers = await Promise.all(stuck);
      for (const r of answers) {
        assertProblem(r, 503, 'unavailable');
        assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After');
      }
      // The outage is logged (one line per 10 s), not every failed request.
      const lines = srv.output().split('\n').slice(before).filter((l) => /error request_id=/.test(l));
      assert.ok(lines.length <= 3, `a few error lines for ${answers.length} failures:\n${lines.join('\n')}`);
      cluster.resume();
      resumed = true;
      await waitFor(async () => (await admin.req('GET', '/readyz')).status === 200,
        { timeout: 20000, what: '/readyz back to 200' });
      const r = await admin.req('GET', '/api/v1/leads', { query: { limit: 5 } });
      assert.equal(r.status, 200, r.text);
    } finally {
      if (!resumed) cluster.resume();
    }
  });

  it('libpq messages reach the log as time-stamped lines only', () => {
    for (const line of srv.output().split('\n')) {
      assert.doesNotMatch(line, /^(FATAL|WARNING|NOTICE|ERROR|server closed)/, `a raw libpq line: ${line}`);
    }
  });
});
