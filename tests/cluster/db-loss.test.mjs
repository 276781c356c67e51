// The database goes away under a running cluster: every node answers 503
// (problem+json, Retry-After) and its /readyz fails, HAProxy takes the
// nodes out, and when PostgreSQL is back the same processes serve again, the
// sessions included, without a restart. PostgreSQL here is the test's own
// (scripts/pgtmp down / up), not the one the other cluster tests share.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, client, startCluster, uniq, waitFor } from '../http/harness.mjs';
import { startReceiver } from '../http/webhook-receiver.mjs';
import { probe, startAtriumCluster } from './cluster.mjs';

function pgtmp(...args) {
  const r = spawnSync(path.join(ROOT, 'scripts', 'pgtmp'), args, { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, `pgtmp ${args.join(' ')}: ${r.stderr}`);
}

/* A client on another base sharing c's session. */
function sameSession(c, base) {
  const o = client(base);
  for (const [k, v] of c.jar) o.setCookie(k, v);
  o.csrf = c.csrf;
  return o;
}

describe('cluster: PostgreSQL lost and back', () => {
  let pg;
  let cl;
  let admin;
  let down = false;
  let rx;

  before(async () => {
    rx = await startReceiver();
    pg = startCluster();
    cl = await startAtriumCluster({ pg, env: { ATRIUM_WEBHOOK_ALLOW_PRIVATE: 'true', ATRIUM_SCHEDULER_LEASE_MS: '2000' } });
    admin = client(cl.base);
    await admin.login(cl.admin.email, cl.admin.password);
  });

  after(async () => {
    if (down) pgtmp('up', pg.dir);
    await cl?.stop();
    pg?.stop();
    await rx?.close();
  });

  it('every node answers 503 and fails /readyz while it is down, and recovers without a restart', async () => {
    const pids = cl.nodes.map((n) => n.proc.pid);
    pgtmp('down', pg.dir);
    down = true;
    for (const n of cl.nodes) {
      const c = sameSession(admin, n.base);
      // the readiness probe answers from a check at most a second old
      await waitFor(async () => (await probe(n.base)).status === 503,
        { timeout: 10000, what: `${n.name} /readyz fails` });
      const r = await c.req('GET', '/api/v1/auth/me', { timeout: 15000 });
      assert.equal(r.status, 503, `${n.name}: ${r.text}`);
      assert.match(r.headers.get('content-type') || '', /^application\/problem\+json/);
      assert.ok(r.headers.get('retry-after'), 'Retry-After');
      const w = await c.req('POST', '/api/v1/leads', { body: { name: uniq('Lost ') }, timeout: 15000 });
      assert.equal(w.status, 503, `${n.name} write: ${w.text}`);
      // liveness is not readiness: the process is up and says so
      assert.equal((await probe(n.base, '/healthz')).status, 200);
    }
    // HAProxy has no node to send to
    await waitFor(async () => (await probe(cl.base, '/readyz')).status === 503,
      { timeout: 10000, what: 'HAProxy answers 503 with every node out' });

    pgtmp('up', pg.dir);
    down = false;
    for (const n of cl.nodes) {
      await waitFor(async () => (await probe(n.base)).status === 200,
        { timeout: 30000, what: `${n.name} ready again` });
      const c = sameSession(admin, n.base);
      await waitFor(async () => (await c.req('GET', '/api/v1/auth/me', { timeout: 15000 })).status === 200,
        { timeout: 15000, what: `${n.name} serves the session again` });
      const w = await c.req('POST', '/api/v1/leads', { body: { name: uniq(`Back on ${n.name} `) } });
      assert.equal(w.status, 201, `${n.name} write: ${w.text}`);
    }
    // the same processes: nothing restarted
    assert.deepEqual(cl.nodes.map((n) => n.proc.pid), pids);
    assert.ok(cl.nodes.every((n) => n.alive()), 'every node kept running');
    // and HAProxy sends to them again
    await waitFor(async () => (await admin.req('GET', '/api/v1/auth/me')).status === 200,
      { timeout: 15000, what: 'HAProxy serves again' });

    // the background work came back too: the job runners deliver a webhook
    // for a lead made now, and the scheduler runs a task made due
    const path = `/ok/${uniq('back')}/`;
    const h = await admin.req('POST', '/api/v1/webhooks', {
      body: { name: uniq('Back hook '), url: rx.url(path), entities: ['lead'], events: ['created'] },
    });
    assert.equal(h.status, 201, h.text);
    const lead = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('After the outage ') } });
    assert.equal(lead.status, 201, lead.text);
    await waitFor(() => rx.at(path).some((m) => m.json?.data?.entity_id === lead.body.id),
      { timeout: 30000, what: 'the webhook of a lead made after the outage' });
    const runs = () => Number(cl.sql("SELECT count(*) FROM sched_run WHERE task = 'automation_dates'").stdout);
    const was = runs();
    cl.sql("UPDATE sched_task SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE name = 'automation_dates'");
    await waitFor(() => runs() > was, { timeout: 30000, what: 'a scheduled run after the outage' });
  });
});
