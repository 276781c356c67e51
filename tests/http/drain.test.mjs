// The graceful drain on SIGTERM (drain_ms): /readyz fails at once while the
// node keeps answering everything else, each answer closing its connection;
// then it stops accepting, finishes, and exits 0. Without drain_ms (the
// default) it stops accepting at once. tests/cluster/rolling-restart runs it
// behind HAProxy.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adminClient, assertProblem, client, startServer, waitFor } from './harness.mjs';

describe('serve: graceful drain on SIGTERM', () => {
  let srv;

  before(async () => {
    srv = await startServer({ env: { ATRIUM_DRAIN_MS: '4000' } });
  });

  after(async () => {
    await srv?.stop();
  });

  it('/readyz answers 503 at once, other requests are served with Connection: close, then it exits 0', async () => {
    const admin = await adminClient(srv);
    const anon = client(srv.base);
    const ready = await anon.req('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.notEqual(ready.headers.get('connection'), 'close');
    srv.stopping = true; // the test stops it itself (harness: not unexpected)
    srv.proc.kill('SIGTERM');
    const r = await waitFor(async () => {
      const x = await anon.req('GET', '/readyz');
      return x.status === 503 ? x : null;
    }, { timeout: 3000, every: 20, what: '/readyz fails on SIGTERM' });
    assertProblem(r, 503);
    assert.match(r.body.detail || r.body.title, /shutting down/);
    assert.ok(r.headers.get('retry-after'));
    // still serving, every answer closing its connection
    const me = await admin.req('GET', '/api/v1/auth/me');
    assert.equal(me.status, 200, me.text);
    assert.equal(me.headers.get('connection'), 'close');
    const w = await admin.req('POST', '/api/v1/leads', { body: { name: 'Written while draining' } });
    assert.equal(w.status, 201, w.text);
    // the stop goes on: exit 0 (killServer asserts it) with the drain logged
    srv.proc.kill('SIGTERM'); // a second signal cuts the drain short
    await srv.exited;
    assert.equal(srv.exit.code, 0, srv.output().slice(-2000));
    assert.match(srv.output(), /draining for 4000 ms \(\/readyz fails\)/);
    assert.match(srv.output(), /second signal, drain cut short/);
  });
});
