// Group commit (issue 18): 64 clients create leads at once, the server is
// killed with SIGKILL in the middle, and a server restarted on the same
// database has every lead that was answered 201 (by id and name), each
// once, and an activity chain that `atrium audit verify` accepts across
// the groups. On SQLite the creates share COMMITs (db/db_group.c); on
// PostgreSQL the same test shows its commits are as durable (its group
// commit is the server's).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, startNode, stopNode, adminClient, waitFor, uniq,
} from './harness.mjs';

const CLIENTS = 64;
const KILL_AFTER = 300; // acknowledged creates before the SIGKILL
const CAP = 4000;       // requests at most, whatever happens

describe('group commit: a SIGKILL loses no acknowledged write', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.stop(); });

  it('every lead answered 201 survives a kill -9, once, with a valid chain', async () => {
    await srv.kill(); // SIGTERM; the database stays for our own nodes
    // More workers than cores, so many creates are in flight at once and
    // share a COMMIT; the per-address limit above the 64 clients.
    const env = { ATRIUM_THREADS: '16', ATRIUM_PER_IP_CONN_LIMIT: '256' };
    const a = await startNode(srv, 'a', env);
    const c = await adminClient({ base: a.base, admin: srv.admin });
    const prefix = uniq('gc');
    const acked = new Map(); // id -> name
    const failed = [];
    let sent = 0;
    let killed = false;
    let killing = null;
    let killedAt = 0;
    let metrics = '';
    // At KILL_AFTER acknowledged creates: read this node's group commit
    // counters while the others keep creating, then SIGKILL it mid-flight.
    const kill = () => {
      killing ??= (async () => {
        try {
          const r = await fetch(`${a.base}/metrics`);
          metrics = await r.text();
        } finally {
          killed = true;
          killedAt = acked.size;
          a.proc.kill('SIGKILL');
        }
      })();
      return killing;
    };
    async function worker(w) {
      for (let i = 0; !killed && sent < CAP; i++) {
        sent++;
        const name = `${prefix}-${w}-${i}`;
        let r;
        try {
          r = await c.req('POST', '/api/v1/leads', { body: { name } });
        } catch {
          return; // the server is gone
        }
        if (r.status === 201) {
          assert.equal(r.body.name, name);
          acked.set(r.body.id, name);
          if (acked.size >= KILL_AFTER) kill();
        } else {
          failed.push(`${r.status} ${JSON.stringify(r.body)}`);
        }
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, (_, w) => worker(w)));
    await kill();
    const e = await a.exited;
    assert.equal(e.signal, 'SIGKILL');
    assert.deepEqual(failed, [], 'no create failed before the kill');
    assert.ok(killedAt >= KILL_AFTER, `killed after ${killedAt} acknowledged creates`);
    const counter = (name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1]);
    const commits = counter('atrium_db_group_commits_total');
    const members = counter('atrium_db_group_members_total');
    if (srv.pg) {
      assert.equal(commits, 0, 'PostgreSQL groups its commits itself');
    } else {
      // 64 clients on 16 workers: transactions queue for the writer and
      // share COMMITs (the unit test db_group_concurrent_members proves
      // the grouping without any concurrency luck).
      assert.ok(members >= KILL_AFTER, `${members} transactions through group commits`);
      assert.ok(commits < members, `${commits} COMMITs for ${members} transactions`);
    }

    // Restarted on the same database.
    const b = await startNode(srv, 'b');
    try {
      const cb = await adminClient({ base: b.base, admin: srv.admin });
      for (const [id, name] of acked) {
        const r = await cb.req('GET', '/api/v1/leads/{id}', { params: { id } });
        assert.equal(r.status, 200, `acknowledged lead ${id} (${name}) is there`);
        assert.equal(r.body.name, name);
      }
      const q = (sql) => {
        const r = srv.sql(sql);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      };
      const like = `'${prefix}-%'`;
      assert.equal(q(`SELECT COUNT(*) FROM (SELECT name FROM lead WHERE name LIKE ${like} ` +
        'GROUP BY name HAVING COUNT(*) > 1) d'), '0', 'no lead twice');
      const stored = Number(q(`SELECT COUNT(*) FROM lead WHERE name LIKE ${like}`));
      // Every acknowledged one, plus at most those in flight at the kill
      // whose COMMIT returned before the answer could be sent.
      assert.ok(stored >= acked.size, `${stored} stored >= ${acked.size} acknowledged`);
      assert.ok(stored <= sent, `${stored} stored <= ${sent} sent`);
      // One "create" activity row per stored lead, in the same transaction.
      const logged = Number(q("SELECT COUNT(*) FROM activity_log WHERE entity = 'lead' AND action = 'create' " +
        `AND entity_id IN (SELECT id FROM lead WHERE name LIKE ${like})`));
      assert.equal(logged, stored, 'each stored lead has its activity row');
      const total = await cb.req('GET', '/api/v1/leads', { query: { limit: 1, q: prefix } });
      assert.equal(total.status, 200);
    } finally {
      await stopNode(b);
    }
    const v = srv.cli(['audit', 'verify']);
    assert.equal(v.status, 0, `audit verify: ${v.stdout}${v.stderr}`);
  });
});
