// The reverse proxy of the operations guide (issue 8, item 9): Debian's
// nginx, started on loopback with docs/examples/nginx-atrium.conf as it is
// (only its ports, certificate paths and Atrium's address changed), in
// front of a real `atrium serve` with public_url https and trust_proxy.
// Requests pass, the client's address is the one nginx saw (a forged
// X-Forwarded-For is replaced), and the session cookie is the Secure one.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startServer, freePort, waitFor, ROOT } from './harness.mjs';

const NGINX = '/usr/sbin/nginx';
const missing = fs.existsSync(NGINX) ? false
  : 'nginx is not installed (Debian package nginx; `make deps-test` installs it)';

/* One request over TLS (or plain HTTP) from a chosen loopback address. */
function request({ port, tls, ca, pathname, method = 'GET', headers = {}, body, localAddress = '127.0.0.1' }) {
  const mod = tls ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: '127.0.0.1', port, path: pathname, method, localAddress, ca, servername: 'crm.example.com',
      headers: { Host: 'crm.example.com', ...headers }, timeout: 10000,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, body: json });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    if (body !== undefined) req.end(JSON.stringify(body));
    else req.end();
  });
}

describe('behind nginx (the documented configuration)', { skip: missing }, () => {
  let srv;
  let dir;
  let nginx;
  let ca;
  let tlsPort;
  let plainPort;
  before(async () => {
    srv = await startServer({ env: { ATRIUM_PUBLIC_URL: 'https://crm.example.com', ATRIUM_TRUST_PROXY: 'true' } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-nginx-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    const o = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
      '-subj', '/CN=crm.example.com', '-addext', 'subjectAltName=DNS:crm.example.com',
      '-keyout', key, '-out', cert], { encoding: 'utf8' });
    assert.equal(o.status, 0, o.stderr);
    ca = fs.readFileSync(cert);
    tlsPort = await freePort();
    plainPort = await freePort();
    const site = fs.readFileSync(path.join(ROOT, 'docs', 'examples', 'nginx-atrium.conf'), 'utf8')
      .replace('listen 80;', `listen 127.0.0.1:${plainPort};`)
      .replace('listen 443 ssl http2;', `listen 127.0.0.1:${tlsPort} ssl http2;`)
      .replace(/ssl_certificate .*;/, `ssl_certificate ${cert};`)
      .replace(/ssl_certificate_key .*;/, `ssl_certificate_key ${key};`)
      .replace('proxy_pass http://127.0.0.1:8080;', `proxy_pass http://127.0.0.1:${srv.port};`);
    assert.ok(site.includes(`127.0.0.1:${srv.port}`) && site.includes(`${tlsPort} ssl`), 'the example was adapted');
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(dir, d));
    fs.writeFileSync(path.join(dir, 'nginx.conf'), `
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${site}
}
`);
    // One process in the foreground, as whoever runs the test.
    nginx = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off; master_process off;'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    nginx.stderr.on('data', (d) => { err += d; });
    await waitFor(async () => {
      if (nginx.exitCode !== null) throw new Error(`nginx exited: ${err} ${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
      try {
        return (await request({ port: tlsPort, tls: true, ca, pathname: '/healthz' })).status === 200;
      } catch { return false; }
    }, { what: 'nginx in front of atrium' });
  });
  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const gone = new Promise((r) => nginx.on('exit', r));
      nginx.kill('SIGTERM');
      await gone;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await srv?.stop();
  });

  it('plain HTTP is redirected to HTTPS', async () => {
    const r = await request({ port: plainPort, pathname: '/admin/' });
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://crm.example.com/admin/');
  });

  it('requests pass through TLS, with HSTS from the proxy and Atrium\'s own headers', async () => {
    const r = await request({ port: tlsPort, tls: true, ca, pathname: '/readyz' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'ready');
    assert.match(r.headers['strict-transport-security'] || '', /max-age=/);
    assert.ok(r.headers['x-request-id'], 'X-Request-Id from Atrium');
    assert.match(r.headers['content-security-policy'] || '', /default-src 'self'/);
  });

  it('sign-in sets the Secure __Host- cookie, and the activity log has the address nginx saw, not a forged one', async () => {
    const from = '127.0.0.9';
    const login = await request({
      port: tlsPort, tls: true, ca, pathname: '/api/v1/auth/login', method: 'POST', localAddress: from,
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '203.0.113.66' },
      body: { email: srv.admin.email, password: srv.admin.password },
    });
    assert.equal(login.status, 200, login.text);
    const cookie = (login.headers['set-cookie'] || []).find((c) => c.startsWith('__Host-atrium_session='));
    assert.ok(cookie, `the __Host- session cookie: ${login.headers['set-cookie']}`);
    assert.match(cookie, /; Secure/);
    const rows = await request({
      port: tlsPort, tls: true, ca, pathname: '/api/v1/activity?action=login&limit=5', localAddress: from,
      headers: { Cookie: cookie.split(';')[0] },
    });
    assert.equal(rows.status, 200, rows.text);
    const ips = rows.body.data.map((a) => a.ip);
    assert.equal(ips[0], from, `the login row's address: ${ips}`);
    assert.ok(!ips.includes('203.0.113.66'), 'the forged X-Forwarded-For is not believed');
  });

  it('a body over client_max_body_size is refused by nginx before Atrium', async () => {
    // client_max_body_size is max_upload_bytes (32 MiB): a JSON body past
    // max_body_bytes gets through, and Atrium answers 413 problem+json
    // (on a public route: elsewhere an anonymous caller's 401 comes first)
    const json = await request({
      port: tlsPort, tls: true, ca, pathname: '/api/v1/auth/login', method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: { notes: 'x'.repeat(2 * 1024 * 1024) },
    });
    assert.equal(json.status, 413);
    assert.match(json.headers['content-type'], /problem\+json/);
    // past 32 MiB, nginx's own 413 (HTML), Atrium never asked
    const r = await request({
      port: tlsPort, tls: true, ca, pathname: '/api/v1/leads', method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: { notes: 'x'.repeat(33 * 1024 * 1024) },
    });
    assert.equal(r.status, 413);
    assert.doesNotMatch(r.headers['content-type'] || '', /problem\+json/);
  });
});
