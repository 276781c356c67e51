// Expensive work is bounded (issue 8, item 7): closed setup answers 409
// before any password work, and password hashing runs in a small bounded
// pool, so a burst of sign-ins gets 503 with Retry-After for what does not
// fit instead of starving every other request.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, client, assertProblem } from './harness.mjs';

const LOGIN = '/api/v1/auth/login';
const SETUP = '/api/v1/setup';

describe('setup is refused cheaply once complete', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.stop(); });

  it('409 before the password is judged: a weak password and a bad token still get 409', async () => {
    const c = client(srv.base);
    // Before the fix the strength check ran first and answered 422 weak.
    const r = await c.req('POST', SETUP, {
      body: { token: 'x'.repeat(43), email: 'late@example.test', name: 'Late', password: 'password' },
    });
    assertProblem(r, 409, 'conflict');
    assert.match(r.body.detail, /setup is complete/);
  });

  it('409 for a strong password too (the hash is never computed)', async () => {
    const c = client(srv.base);
    const r = await c.req('POST', SETUP, {
      body: { token: 'y'.repeat(43), email: 'late2@example.test', name: 'Late', password: 'quartz-harbor-lantern-9071' },
    });
    assertProblem(r, 409, 'conflict');
  });
});

describe('password hashing is bounded', () => {
  let srv;
  before(async () => {
    // One hashing slot, no queue, four HTTP threads: what does not fit is
    // refused at once and three threads stay free for everything else.
    srv = await startServer({
      env: { ATRIUM_THREADS: '4', ATRIUM_HASH_WORKERS: '1', ATRIUM_HASH_QUEUE: '0', ATRIUM_LOGIN_IP_MAX_FAILURES: '100000' },
    });
  });
  after(async () => { await srv?.stop(); });

  it('a burst of sign-ins gets 503 with Retry-After beyond the pool while /healthz keeps answering', async () => {
    const BURST = 16;
    let busy = null;
    let ok = 0;
    const health = [];
    for (let round = 0; round < 8 && !busy; round++) {
      const logins = Array.from({ length: BURST }, () => client(srv.base).req('POST', LOGIN,
        { body: { email: srv.staff.email, password: srv.staff.password } }));
      for (let i = 0; i < 4; i++) health.push(fetch(`${srv.base}/healthz`).then(async (r) => ({ status: r.status, body: await r.json() })));
      const rs = await Promise.all(logins);
      for (const r of rs) {
        if (r.status === 200) ok++;
        else if (r.status === 503) busy = busy || r;
        else assert.fail(`a sign-in answered ${r.status}: ${r.text}`);
      }
    }
    assert.ok(busy, 'some sign-ins of the burst were refused with 503');
    assertProblem(busy, 503, 'unavailable');
    assert.match(busy.headers.get('retry-after') || '', /^[1-9][0-9]*$/, 'Retry-After in seconds');
    assert.ok(ok > 0, 'the sign-ins that fit the pool succeeded');
    for (const h of await Promise.all(health)) {
      assert.equal(h.status, 200);
      assert.equal(h.body.status, 'ok');
    }
  });

  it('a refused sign-in is not a failed one: the same password works right after', async () => {
    const c = client(srv.base);
    await c.login(srv.staff.email, srv.staff.password);
    const me = await c.req('GET', '/api/v1/auth/me');
    assert.equal(me.status, 200);
  });
});
