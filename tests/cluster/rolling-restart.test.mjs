// A rolling restart under load drops no request: while clients read and write
// through HAProxy, each node in turn gets SIGTERM, drains (drain_ms: /readyz
// fails first, so HAProxy's check takes it out while it still answers, every
// answer closing its connection), finishes what is in flight, exits 0, and
// is started again; every request of the load gets a good answer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { client, uniq, waitFor } from '../http/harness.mjs';
import { probe, sharedPg, startAtriumCluster } from './cluster.mjs';

const CLIENTS = 4;           // concurrent clients through HAProxy
const MAX_REQUESTS = 20000;  // the load is bounded in count...
const MAX_LOAD_MS = 120000;  // ...and in time
const DRAIN_MS = 2000;       // > HAProxy's check interval × fall (500 ms × 1) + its timeout

describe('cluster: rolling restart under load', () => {
  let cl;
  let admin;

  before(async () => {
    cl = await startAtriumCluster({ pg: sharedPg(), env: { ATRIUM_DRAIN_MS: String(DRAIN_MS) } });
    admin = client(cl.base);
    await admin.login(cl.admin.email, cl.admin.password);
  });

  after(async () => {
    await cl?.stop();
  });

  it('SIGTERM to each node in turn while the load runs: every request answered 2xx', { timeout: 240000 }, async () => {
    const results = [];
    let stop = false;
    const started = Date.now();
    const one = async (c, i) => {
      const t = Date.now();
      try {
        let r;
        if (i % 3 === 0) r = await c.req('POST', '/api/v1/leads', { body: { name: uniq('Rolling ') }, timeout: 30000 });
        else if (i % 3 === 1) r = await c.req('GET', '/api/v1/leads', { query: { limit: 5 }, timeout: 30000 });
        else r = await c.req('GET', '/api/v1/auth/me', { timeout: 30000 });
        results.push({ i, status: r.status, rid: r.headers.get('x-request-id'), text: r.status >= 300 ? r.text.slice(0, 300) : '' });
      } catch (e) {
        results.push({ i, status: 0, error: String(e), ms: Date.now() - t });
      }
    };
    const worker = async (w) => {
      // each client its own session (and connections), signed in through HAProxy
      const c = client(cl.base);
      await c.login(cl.admin.email, cl.admin.password);
      for (let i = w; !stop && results.length < MAX_REQUESTS && Date.now() - started < MAX_LOAD_MS; i += CLIENTS) {
        await one(c, i);
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, (_, w) => worker(w)));

    const restarted = [];
    try {
      for (const n of cl.nodes) {
        // some load on the whole cluster first
        const before = results.length;
        await waitFor(() => results.length >= before + 30, { timeout: 30000, what: 'load flowing' });
        const oldPid = n.proc.pid;
        const exit = n.kill('SIGTERM');
        // draining: /readyz fails at once while the node still answers
        await waitFor(async () => (await probe(n.base)).status === 503 || !n.alive(),
          { timeout: 5000, every: 20, what: `${n.name} /readyz fails on SIGTERM` });
        await exit; // asserts exit code 0
        await n.start();
        assert.notEqual(n.proc.pid, oldPid);
        // HAProxy takes it back in (two good checks): a request through it
        // lands on the new process
        await waitFor(async () => {
          const r = await admin.req('GET', '/api/v1/auth/me');
          assert.equal(r.status, 200, r.text);
          return n.requestIds().has(r.headers.get('x-request-id'));
        }, { timeout: 30000, every: 50, what: `${n.name} back in rotation` });
        restarted.push(n.name);
      }
    } finally {
      stop = true;
      await load;
    }
    assert.deepEqual(restarted, cl.nodes.map((n) => n.name), 'every node restarted within the bounds of the load');
    const bad = results.filter((x) => x.status < 200 || x.status >= 300);
    assert.deepEqual(bad.slice(0, 10), [], `${bad.length} of ${results.length} requests had no good answer`);
    assert.ok(results.length >= 100, `a real load: ${results.length} requests`);
    // every node served part of it
    for (const n of cl.nodes) {
      assert.ok(results.some((x) => n.requestIds().has(x.rid)), `${n.name} served some of the load`);
    }
    // and each node's log shows the order: draining, HAProxy's check seeing
    // /readyz fail (besides the test's own probe), and only then stopped
    for (const n of cl.nodes) {
      const drain = /draining for 2000 ms[^\n]*\n([\s\S]*?)atrium: stopped/.exec(n.output());
      assert.ok(drain, `${n.name} drained before it stopped`);
      const failed = drain[1].match(/GET \/readyz route=\/readyz status=503/g) || [];
      assert.ok(failed.length >= 2, `${n.name}: HAProxy's checks saw /readyz fail while it drained (${failed.length})`);
    }
  });
});
