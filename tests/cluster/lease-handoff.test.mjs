// A node killed (SIGKILL) in the middle of a job: its lease runs out and
// another node runs the job, once more, with the same delivery id. The job
// is a webhook delivery whose receiver holds the request, so the node is
// killed while it waits on it. The webhook lease is the kind's real one
// (src/admin/webhook.c: 60 s), and the rescue claim looks every 5 s: the
// test waits about 65 s, bounded at 120 s.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { client, uniq, waitFor } from '../http/harness.mjs';
import { startReceiver } from '../http/webhook-receiver.mjs';
import { sharedPg, startAtriumCluster } from './cluster.mjs';

describe('cluster: a killed node\'s leased job', () => {
  let cl;
  let admin;
  let rx;

  before(async () => {
    rx = await startReceiver();
    cl = await startAtriumCluster({ pg: sharedPg(), env: { ATRIUM_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    admin = client(cl.base);
    await admin.login(cl.admin.email, cl.admin.password);
  });

  after(async () => {
    rx?.release();
    await cl?.stop();
    await rx?.close();
  });

  it('is run by another node after the lease runs out, with the same webhook id', { timeout: 180000 }, async () => {
    const path = `/hold/${uniq('lease')}/`;
    const h = await admin.req('POST', '/api/v1/webhooks', {
      body: { name: uniq('Held hook '), url: rx.url(path), entities: ['lead'], events: ['created'] },
    });
    assert.equal(h.status, 201, h.text);
    rx.trust(path, h.body.secret);
    const lead = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Held ') } });
    assert.equal(lead.status, 201, lead.text);

    // the receiver holds the first message: a node is inside the job
    await waitFor(() => rx.heldCount() === 1, { timeout: 30000, what: 'the receiver holds the delivery' });
    const running = cl.sql(
      "SELECT id, lease_owner, lease_until, attempts FROM job WHERE kind = 'webhook' AND status = 'running'").stdout;
    const [jobId, owner, leaseUntil, attempts] = running.split('|');
    assert.ok(jobId, `one webhook job is running: '${running}'`);
    assert.equal(attempts, '1');
    const victim = cl.nodes.find((n) => owner.split(':')[1] === String(n.proc.pid));
    assert.ok(victim, `the lease owner ${owner} is one of the nodes`);
    await victim.kill('SIGKILL');
    assert.equal(victim.exit.signal, 'SIGKILL');

    // nothing happens before the lease runs out; then another node claims it
    await waitFor(() => rx.at(path).length >= 2, { timeout: 120000, every: 500, what: 'the delivery again from another node' });
    const again = cl.sql(`SELECT status, lease_owner, attempts FROM job WHERE id = ${jobId}`).stdout;
    const tookAt = Date.parse(cl.sql(`SELECT started_at FROM job WHERE id = ${jobId}`).stdout);
    assert.ok(tookAt >= Date.parse(leaseUntil), `taken over at ${new Date(tookAt).toISOString()}, not before the lease ran out at ${leaseUntil}`);
    await waitFor(() => cl.sql(`SELECT status FROM job WHERE id = ${jobId}`).stdout === 'done',
      { timeout: 30000, what: `job ${jobId} done` });
    const msgs = rx.at(path);
    assert.equal(msgs.length, 2, `held once, delivered once more: ${again}`);
    assert.equal(msgs[0].headers['webhook-id'], msgs[1].headers['webhook-id'], 'the retry carries the same webhook id');
    assert.ok(msgs.every((m) => m.verified[h.body.secret] === true), 'both verify');
    assert.equal(cl.sql(`SELECT attempts FROM job WHERE id = ${jobId}`).stdout, '2', 'two claims: the dead one and the good one');
    const d = cl.sql(`SELECT status FROM webhook_delivery WHERE job_id = ${jobId}`).stdout;
    assert.equal(d, 'delivered', 'the delivery is recorded as delivered');
    // the cluster still serves through HAProxy with a node down
    for (let i = 0; i < 6; i++) {
      assert.equal((await admin.req('GET', '/api/v1/auth/me')).status, 200);
    }
  });
});
