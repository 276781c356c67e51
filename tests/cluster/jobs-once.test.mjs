// Three nodes run the job runner and the scheduler on one database: each
// webhook delivery, email and scheduled run happens once across the cluster,
// counted where it lands (a real Standard Webhooks receiver, a real SMTP
// server); a message seen twice may only be a retry carrying the same id.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  client, configureSmtp, raiseSeats, startSmtpSink, uniq, waitFor,
} from '../http/harness.mjs';
import { startReceiver } from '../http/webhook-receiver.mjs';
import { sharedPg, startAtriumCluster } from './cluster.mjs';

const N = 30;

/* The Message-ID header of a raw message. */
function messageId(raw) {
  return /^Message-ID:\s*(\S+)/im.exec(raw)?.[1] ?? null;
}

describe('cluster: each job, email, webhook and scheduled run once', () => {
  let cl;
  let admin;
  let rx;
  let sink;

  before(async () => {
    rx = await startReceiver();
    cl = await startAtriumCluster({
      pg: sharedPg(),
      env: { ATRIUM_WEBHOOK_ALLOW_PRIVATE: 'true', ATRIUM_SCHEDULER_LEASE_MS: '2000' },
    });
    sink = await startSmtpSink(cl.dir);
    admin = client(cl.base);
    await admin.login(cl.admin.email, cl.admin.password);
    await raiseSeats(admin);
    await configureSmtp(admin, sink);
  });

  after(async () => {
    await cl?.stop();
    await sink?.stop();
    await rx?.close();
  });

  it(`${N} leads and ${N} invitations through HAProxy: ${N} webhooks and ${N} emails, each once`, async () => {
    const path = `/ok/${uniq('once')}/`;
    const h = await admin.req('POST', '/api/v1/webhooks', {
      body: { name: uniq('Cluster hook '), url: rx.url(path), entities: ['lead'], events: ['created'] },
    });
    assert.equal(h.status, 201, h.text);
    rx.trust(path, h.body.secret);

    const leads = [];
    const invited = [];
    const created = new Set();
    for (let i = 0; i < N; i++) {
      const l = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Once ') } });
      assert.equal(l.status, 201, l.text);
      leads.push(l.body.id);
      created.add(cl.nodeOf(l.headers.get('x-request-id'))?.name);
      const to = `${uniq('inv')}@example.test`;
      const s = await admin.req('POST', '/api/v1/staff', { body: { email: to, name: `Invitee ${to}`, send_welcome: true } });
      assert.equal(s.status, 201, s.text);
      invited.push(to);
    }
    assert.equal(created.size, cl.nodes.length, 'the records were made on every node');

    // webhooks: one delivery id per lead, verified with the secret
    const byLead = () => {
      const m = new Map();
      for (const msg of rx.at(path)) {
        const id = msg.json?.data?.entity_id;
        if (!m.has(id)) m.set(id, new Set());
        m.get(id).add(msg.headers['webhook-id']);
      }
      return m;
    };
    await waitFor(() => leads.every((id) => byLead().has(id)),
      { timeout: 60000, every: 200, what: `a webhook for each of the ${N} leads` });
    // emails: one Message-ID per invitee
    await waitFor(() => invited.every((to) => sink.to(to).length > 0),
      { timeout: 60000, every: 200, what: `an invitation to each of the ${N} invitees` });
    // what lands late would be a duplicate: the queues must be empty first
    await waitFor(() => cl.sql("SELECT count(*) FROM job WHERE status <> 'done'").stdout === '0',
      { timeout: 30000, what: 'every job done' });

    const msgs = rx.at(path);
    assert.ok(msgs.every((m) => m.verified[h.body.secret] === true), 'every message verifies (Standard Webhooks)');
    const hooks = byLead();
    for (const id of leads) {
      assert.equal(hooks.get(id).size, 1, `lead ${id}: one delivery id, any repeat is a retry of it`);
    }
    assert.equal(new Set(msgs.map((m) => m.headers['webhook-id'])).size, N, 'N distinct delivery ids');
    for (const to of invited) {
      const ids = new Set(sink.to(to).map((m) => messageId(m.raw)));
      assert.equal(ids.size, 1, `${to}: one Message-ID`);
      assert.ok([...ids][0], `${to}: the message has a Message-ID`);
    }
    // the work was spread, and adds up: for each kind, each node's own count
    // of the jobs it ran (its /metrics), summed over the nodes, is the number
    // of such jobs done (event:webhooks, one per event, staff events too;
    // webhook, one per delivery; email, one per message)
    const metrics = [];
    for (const n of cl.nodes) metrics.push(await fetch(`${n.base}/metrics`).then((r) => r.text()));
    const count = (m, kind, outcome) => Number(new RegExp(
      `^atrium_jobs_processed_total\\{kind="${kind}",outcome="${outcome}"\\} (\\d+)`, 'm').exec(m)?.[1] ?? 0);
    for (const kind of ['event:webhooks', 'webhook', 'email']) {
      const ran = metrics.map((m) => count(m, kind, 'success'));
      const jobs = Number(cl.sql(`SELECT count(*) FROM job WHERE kind = '${kind}' AND status = 'done'`).stdout);
      assert.ok(jobs >= N, `${jobs} ${kind} jobs`);
      assert.equal(ran.reduce((a, b) => a + b, 0), jobs, `each ${kind} job ran once (runs per node: ${ran})`);
      assert.ok(ran.filter((k) => k > 0).length >= 2, `${kind} jobs ran on more than one node: ${ran}`);
      assert.deepEqual(metrics.map((m) => count(m, kind, 'failure')), cl.nodes.map(() => 0), `no ${kind} job failed`);
    }
    // and the deliveries each succeeded once
    const dup = cl.sql("SELECT count(*) FROM webhook_delivery GROUP BY event_id, webhook_id HAVING count(*) > 1").stdout;
    assert.equal(dup, '', 'one delivery row per event and webhook');
  });

  it('a scheduled task made due again and again runs once each time, on one node', async () => {
    const runs = () => Number(cl.sql("SELECT count(*) FROM sched_run WHERE task = 'automation_dates'").stdout);
    await waitFor(() => cl.sql("SELECT count(*) FROM sched_task WHERE name = 'automation_dates'").stdout === '1',
      { timeout: 20000, what: 'the task row' });
    for (let i = 0; i < 4; i++) {
      const was = runs();
      const due = `2000-01-0${i + 1}T00:00:00.000Z`;
      const u = cl.sql(`UPDATE sched_task SET next_run_at = '${due}' WHERE name = 'automation_dates'`);
      assert.equal(u.status, 0, u.stderr);
      await waitFor(() => runs() > was, { timeout: 20000, what: `run ${i + 1}` });
    }
    // each due time ran once, whichever node held the scheduler
    const twice = cl.sql("SELECT due_at FROM sched_run WHERE task = 'automation_dates' GROUP BY due_at HAVING count(*) > 1");
    assert.equal(twice.stdout, '', `no due time ran twice: ${twice.stdout}`);
    // one leader at a time: the scheduler's lease names one live node
    const owner = cl.sql('SELECT lease_owner FROM sched_state').stdout;
    assert.ok(cl.nodes.some((n) => owner.split(':')[1] === String(n.proc.pid)), `the lease ${owner} is a node's`);
  });
});
