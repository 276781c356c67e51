// trusted_proxies: with trust_proxy = true, X-Forwarded-For is believed from
// a loopback peer (a proxy on this machine, tests/http/proxy.test.mjs) and
// from the addresses and CIDR ranges of trusted_proxies (a load balancer on
// another machine, docs: Several nodes); from any other peer it is ignored.
// The "other machine" here is this machine's own non-loopback address:
// nodes listen on it, and the test connects from it (skipped when the
// machine has none).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, client, runBin, startServer, waitFor } from './harness.mjs';

const lan = Object.values(os.networkInterfaces()).flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('trusted_proxies: X-Forwarded-For from a proxy on another machine', { skip: !lan && 'no non-loopback IPv4 address' }, () => {
  let srv;
  const nodes = [];

  /* A node listening on the non-loopback address with env; {base, proc, log}. */
  async function node(tag, env) {
    const log = path.join(srv.dir, `node-${tag}.log`);
    const fd = fs.openSync(log, 'a');
    const proc = spawn(BIN, ['serve', '--listen', `${lan}:0`, '--db', srv.dbUrl],
      { cwd: srv.dir, env: { ...process.env, ...srv.env, ...env }, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const n = { proc, log, exit: null };
    nodes.push(n);
    n.exited = new Promise((r) => proc.on('exit', (code, signal) => { n.exit = { code, signal }; r(n.exit); }));
    const re = new RegExp(`serving on http://${lan.replace(/\./g, '\\.')}:(\\d+)`);
    const port = await waitFor(() => re.exec(fs.readFileSync(log, 'utf8'))?.[1],
      { timeout: 20000, what: `node ${tag} listening` });
    n.base = `http://${lan}:${port}`;
    await waitFor(async () => {
      try { return (await fetch(`${n.base}/readyz`)).status === 200; } catch { return false; }
    }, { timeout: 20000, what: `node ${tag} ready` });
    return n;
  }

  /* Signs in through base with X-Forwarded-For; the address the login's
   * activity row recorded. */
  async function loginIp(base) {
    const c = client(base);
    const r = await c.req('POST', '/api/v1/auth/login', {
      body: { email: srv.admin.email, password: srv.admin.password },
      headers: { 'X-Forwarded-For': '198.51.100.7, 203.0.113.9' },
    });
    assert.equal(r.status, 200, r.text);
    const rows = await c.req('GET', '/api/v1/activity', { query: { action: 'login', limit: 1 } });
    assert.equal(rows.status, 200, rows.text);
    return rows.body.data[0].ip;
  }

  before(async () => {
    srv = await startServer();
  });

  after(async () => {
    for (const n of nodes) {
      if (!n.exit) n.proc.kill('SIGTERM');
      await n.exited;
    }
    await srv?.stop();
  });

  it('a listed proxy\'s last X-Forwarded-For hop is the client; an unlisted peer is itself', async () => {
    const listed = await node('listed', { ATRIUM_TRUST_PROXY: 'true', ATRIUM_TRUSTED_PROXIES: `10.9.9.9, ${lan}/32` });
    assert.equal(await loginIp(listed.base), '203.0.113.9', 'the hop the listed proxy saw');
    const unlisted = await node('unlisted', { ATRIUM_TRUST_PROXY: 'true' });
    assert.equal(await loginIp(unlisted.base), lan, 'not loopback, not listed: the peer itself');
    const range = await node('range', { ATRIUM_TRUST_PROXY: 'true', ATRIUM_TRUSTED_PROXIES: `${lan.split('.').slice(0, 3).join('.')}.0/24` });
    assert.equal(await loginIp(range.base), '203.0.113.9', 'a CIDR range that holds the peer');
  });

  it('serve refuses a bad entry, naming it, and a list without trust_proxy', () => {
    const bad = runBin(['serve', '--listen', '127.0.0.1:0', '--db', srv.dbUrl],
      { env: { ...srv.env, ATRIUM_TRUST_PROXY: 'true', ATRIUM_TRUSTED_PROXIES: '10.0.0.5, lb.internal' } });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /trusted_proxies: 'lb\.internal' is not an IP address or CIDR range/);
    const off = runBin(['serve', '--listen', '127.0.0.1:0', '--db', srv.dbUrl],
      { env: { ...srv.env, ATRIUM_TRUSTED_PROXIES: '10.0.0.5' } });
    assert.notEqual(off.status, 0);
    assert.match(off.stderr, /trusted_proxies is set but trust_proxy is false/);
  });
});

describe('X-Forwarded-For on two header lines (HAProxy adds its own after the client\'s)', () => {
  let srv;

  before(async () => {
    srv = await startServer({ env: { ATRIUM_TRUST_PROXY: 'true' } });
  });

  after(async () => {
    await srv?.stop();
  });

  /* A request from loopback with header lines as given; {status, body, cookie}. */
  function raw(method, pathname, headers, body) {
    return new Promise((resolve, reject) => {
      const req = http.request(`${srv.base}${pathname}`, { method, headers }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({
          status: res.statusCode, body: text ? JSON.parse(text) : null,
          cookie: (res.headers['set-cookie'] || []).map((c) => c.split(';')[0]).join('; '),
        }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('the last hop of the last line is the client; the first line (the client\'s own) is not believed', async () => {
    const login = await raw('POST', '/api/v1/auth/login', {
      'Content-Type': 'application/json',
      // an array: two header lines, as HAProxy's option forwardfor sends them
      'X-Forwarded-For': ['203.0.113.66', '198.51.100.20'],
    }, JSON.stringify({ email: srv.admin.email, password: srv.admin.password }));
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const c = client(srv.base);
    for (const pair of login.cookie.split('; ')) {
      const eq = pair.indexOf('=');
      c.setCookie(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const rows = await c.req('GET', '/api/v1/activity', { query: { action: 'login', limit: 1 } });
    assert.equal(rows.status, 200, rows.text);
    assert.equal(rows.body.data[0].ip, '198.51.100.20');
  });
});
