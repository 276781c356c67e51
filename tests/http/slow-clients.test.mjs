// Many slow clients (issue 8, item 9): connections that trickle their
// request a byte at a time, from several addresses and under the
// per-address limit, must not lock everyone else out. The server closes
// the oldest idle ones under pressure (src/http/conntrack.h).
//
// Scaled down: conn_limit 40 instead of 1,024, so the pressure point (three
// quarters) is 30 connections; the slow clients come from four loopback
// addresses (127.0.0.2-5).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, client, waitFor } from './harness.mjs';

const LIMIT = 40;

describe('slow clients', () => {
  let srv;
  const sockets = [];
  let timer;
  before(async () => {
    srv = await startServer({
      env: {
        ATRIUM_CONN_LIMIT: String(LIMIT),
        ATRIUM_PER_IP_CONN_LIMIT: String(LIMIT),
        ATRIUM_SLOW_CLIENT_TIMEOUT_SECONDS: '2',
      },
    });
  });
  after(async () => {
    clearInterval(timer);
    for (const s of sockets) s.destroy();
    await srv?.stop();
  });

  it('as many trickling connections as the limit allows do not lock out other clients', async () => {
    // Each sends a request line and then one header byte every 300 ms:
    // never idle long enough for the idle timeout, never finished.
    for (let i = 0; i < LIMIT + 10; i++) {
      const s = net.connect({ host: '127.0.0.1', port: srv.port, localAddress: `127.0.0.${2 + (i % 4)}` });
      s.on('error', () => {});
      s.on('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: '));
      sockets.push(s);
    }
    timer = setInterval(() => {
      for (const s of sockets) if (!s.destroyed && s.writable) s.write('a');
    }, 300);
    await waitFor(() => sockets.filter((s) => s.readyState === 'open').length >= LIMIT - 5,
      { what: 'the slow connections to open' });

    // Another client gets in (bounded polling: each try may be refused).
    const r = await waitFor(async () => {
      try {
        const res = await fetch(`${srv.base}/healthz`, { signal: AbortSignal.timeout(2000) });
        return res.status === 200 ? res : null;
      } catch {
        return null;
      }
    }, { timeout: 20000, every: 200, what: '/healthz for a normal client' });
    assert.equal(r.status, 200);
    const admin = client(srv.base);
    const login = await admin.req('POST', '/api/v1/auth/login',
      { body: { email: srv.admin.email, password: srv.admin.password }, timeout: 10000 });
    assert.equal(login.status, 200, login.text);
    const list = await admin.req('GET', '/api/v1/leads', { timeout: 10000 });
    assert.equal(list.status, 200, list.text);
    assert.match(srv.output(), /closed the oldest idle one/);
  });

  it('a client being answered is never the one closed', async () => {
    const c = client(srv.base);
    for (let i = 0; i < 5; i++) assert.equal((await c.req('GET', '/healthz', { timeout: 10000 })).status, 200);
  });
});
