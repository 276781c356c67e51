// Operations endpoints and the cross-cutting behaviour of the central pipeline:
// health, readiness, metrics, the OpenAPI document, security headers, request
// ids, and the generic 404/405/413/415/400 answers.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startServer, client, adminClient, assertProblem, waitFor, ROOT } from './harness.mjs';

/* Sends raw bytes on one connection and collects what comes back until
 * `want` responses (counted by status lines) arrived or the server closed. */
async function rawExchange(port, chunks, want) {
  const sock = net.connect({ host: '127.0.0.1', port });
  let got = '';
  let closed = false;
  let error = null;
  sock.on('data', (d) => { got += d.toString('latin1'); });
  sock.on('close', () => { closed = true; });
  sock.on('error', (e) => { error = e; });
  await new Promise((resolve) => sock.on('connect', resolve));
  for (const c of chunks) sock.write(c);
  const statuses = () => [...got.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  await waitFor(() => closed || statuses().length >= want, { timeout: 15000, what: `${want} responses` });
  sock.destroy();
  return { statuses: statuses(), error, got };
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

describe('operations', () => {
  let srv;
  let anon;
  let admin;

  before(async () => {
    srv = await startServer();
    anon = client(srv.base);
    admin = await adminClient(srv);
  });
  after(async () => {
    await srv?.stop();
  });

  describe('health', () => {
    it('GET /healthz is 200 {"status":"ok"}', async () => {
      const r = await anon.req('GET', '/healthz');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') || '', /^application\/json/);
      assert.equal(r.body.status, 'ok');
    });

    it('GET /readyz is 200 {"status":"ready"}', async () => {
      const r = await anon.req('GET', '/readyz');
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'ready');
    });
  });

  describe('metrics', () => {
    // Its own server, so a crash here cannot hide the results of the other blocks.
    // Behind a (pretend) proxy: X-Forwarded-For says where a request came from.
    let srv;
    let anon;
    before(async () => {
      srv = await startServer({ env: { ATRIUM_TRUST_PROXY: 'true' } });
      anon = client(srv.base);
    });
    after(async () => {
      await srv?.stop();
    });

    it('GET /metrics is Prometheus text with atrium_http_requests_total', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await anon.req('GET', '/healthz')).status, 200);
      const r = await anon.req('GET', '/metrics');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') || '', /^(text\/plain|application\/openmetrics-text)/);
      assert.match(r.text, /^# (HELP|TYPE) atrium_http_requests_total /m);
      const samples = r.text.split('\n').filter((l) => l.startsWith('atrium_http_requests_total'));
      assert.ok(samples.length > 0, 'at least one atrium_http_requests_total sample');
      const total = samples.reduce((n, l) => n + Number(l.trim().split(/\s+/).at(-1)), 0);
      assert.ok(total >= 3, `atrium_http_requests_total should count the requests made, got ${total}`);
    });

    it('GET /metrics from beyond this machine is 403 unless opened', async () => {
      const far = { 'X-Forwarded-For': '203.0.113.7' };
      const r = await anon.req('GET', '/metrics', { headers: far });
      assertProblem(r, 403, 'forbidden');
      assert.match(r.body.detail, /metrics_token/);
      const open = await startServer({ staff: false, env: { ATRIUM_TRUST_PROXY: 'true', ATRIUM_METRICS_OPEN: 'true' } });
      try {
        const o = await client(open.base).req('GET', '/metrics', { headers: far });
        assert.equal(o.status, 200);
      } finally {
        await open.stop();
      }
    });

    it('the metrics text passes promtool check metrics (when promtool is installed)', async (t) => {
      const r = await anon.req('GET', '/metrics');
      assert.equal(r.status, 200);
      const dir = path.join(ROOT, 'build', 'test-results');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `metrics-${process.pid}.txt`);
      fs.writeFileSync(file, r.text);
      if (!onPath('promtool')) {
        t.skip('promtool not on PATH');
        return;
      }
      const p = spawnSync('sh', ['-c', 'promtool check metrics < "$1"', 'sh', file], { encoding: 'utf8' });
      assert.equal(p.status, 0, `promtool check metrics failed:\n${p.stdout}${p.stderr}`);
      fs.rmSync(file, { force: true });
    });
  });

  describe('openapi', () => {
    it('GET /api/v1/openapi.json is an OpenAPI 3.1 document', async () => {
      const r = await anon.req('GET', '/api/v1/openapi.json');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') || '', /json/);
      const doc = JSON.parse(r.text);
      assert.equal(typeof doc.openapi, 'string');
      assert.ok(doc.openapi.startsWith('3.1'), `openapi is ${doc.openapi}`);
      assert.equal(typeof doc.paths, 'object');
      assert.ok(doc.paths['/api/v1/leads'] || Object.keys(doc.paths).some((p) => p.endsWith('/leads')),
        'documents the leads collection');
    });

    it('serves the same paths as docs/openapi.yaml', async (t) => {
      const yamlFile = path.join(ROOT, 'docs', 'openapi.yaml');
      if (!fs.existsSync(yamlFile)) {
        t.skip('docs/openapi.yaml not present');
        return;
      }
      const p = spawnSync('python3', ['-c',
        'import yaml,json,sys; json.dump(yaml.safe_load(open(sys.argv[1])),sys.stdout,default=str)', yamlFile],
      { encoding: 'utf8' });
      assert.equal(p.status, 0, p.stderr);
      const fromYaml = JSON.parse(p.stdout);
      const r = await anon.req('GET', '/api/v1/openapi.json');
      assert.deepEqual(Object.keys(r.body.paths).sort(), Object.keys(fromYaml.paths).sort());
    });
  });

  describe('web UI', () => {
    it('GET / redirects to /admin/', async () => {
      const r = await anon.req('GET', '/');
      assert.ok(r.status >= 300 && r.status < 400, `expected a redirect, got ${r.status}`);
      assert.match(r.headers.get('location') || '', /\/admin\/$/);
    });

    it('GET /admin serves the page or redirects to /admin/', async () => {
      const r = await anon.req('GET', '/admin');
      if (r.status >= 300 && r.status < 400) {
        assert.match(r.headers.get('location') || '', /\/admin\/$/);
      } else {
        assert.equal(r.status, 200);
        assert.match(r.text, /<!doctype html>/i);
      }
    });

    for (const [pattern, params] of [
      ['/admin/*', { '*': '' }],
      ['/admin/*', { '*': 'leads/12' }],
      ['/login', {}],
      ['/setup', {}],
      ['/set-password', {}],
      ['/confirm-email', {}],
    ]) {
      const shown = pattern.replace('*', params['*'] ?? '');
      it(`GET ${shown} serves the single page`, async () => {
        const r = await anon.req('GET', pattern, { params });
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') || '', /^text\/html/);
        assert.match(r.text, /<!doctype html>/i);
      });
    }

    it('serves the assets the page links to', async () => {
      const page = await anon.req('GET', '/admin/*', { params: { '*': '' } });
      const links = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
      assert.ok(links.length > 0, 'the page links assets under /assets/');
      for (const link of links) {
        const r = await anon.req('GET', '/assets/*', { params: { '*': link.slice('/assets/'.length) } });
        assert.equal(r.status, 200, `${link}: ${r.status}`);
        if (link.endsWith('.js')) assert.match(r.headers.get('content-type') || '', /javascript/);
        if (link.endsWith('.css')) assert.match(r.headers.get('content-type') || '', /^text\/css/);
      }
    });

    for (const [pattern, params] of [
      ['/portal', {}],
      ['/portal/*', { '*': '' }],
      ['/portal/*', { '*': 'tickets/12' }],
      ['/portal/*', { '*': 'set-password' }],
    ]) {
      const shown = pattern.replace('*', params['*'] ?? '');
      it(`GET ${shown} serves the client portal's page, not the admin's`, async () => {
        const r = await anon.req('GET', pattern, { params });
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') || '', /^text\/html/);
        assert.match(r.text, /<!doctype html>/i);
        assert.match(r.text, /\/assets\/portal\/portal\.js/);
        assert.doesNotMatch(r.text, /\/assets\/app\.js/);
        const csp = r.headers.get('content-security-policy') || '';
        assert.match(csp, /script-src 'self'/);
        assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'/);
      });
    }

    it('serves the assets the portal page links to, and no inline script or style', async () => {
      const page = await anon.req('GET', '/portal');
      const links = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
      assert.ok(links.some((l) => l.startsWith('/assets/portal/')), links.join(', '));
      for (const link of links) {
        const r = await anon.req('GET', '/assets/*', { params: { '*': link.slice('/assets/'.length) } });
        assert.equal(r.status, 200, `${link}: ${r.status}`);
        if (link.endsWith('.js')) assert.match(r.headers.get('content-type') || '', /javascript/);
        if (link.endsWith('.css')) assert.match(r.headers.get('content-type') || '', /^text\/css/);
      }
      assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline <script>');
      assert.doesNotMatch(page.text, /<style|\sstyle=/, 'no inline style');
    });

    it('assets and pages carry an entity tag of their bytes: an unchanged one revalidates to an empty 304', async () => {
      for (const [pattern, params] of [['/assets/*', { '*': 'app.js' }], ['/assets/*', { '*': 'i18n/ro.json' }], ['/portal', {}]]) {
        const r = await anon.req('GET', pattern, { params });
        assert.equal(r.status, 200);
        const etag = r.headers.get('etag');
        assert.match(etag || '', /^"[0-9a-f]{16}"$/, `${pattern}: ${etag}`);
        assert.match(r.headers.get('cache-control') || '', /no-cache/);
        const again = await anon.req('GET', pattern, { params, headers: { 'If-None-Match': etag } });
        assert.equal(again.status, 304);
        assert.equal(again.text, '');
        assert.equal(again.headers.get('etag'), etag);
        const other = await anon.req('GET', pattern, { params, headers: { 'If-None-Match': '"0000000000000000"' } });
        assert.equal(other.status, 200);
        assert.equal(other.text, r.text);
      }
      const a = (await anon.req('GET', '/assets/*', { params: { '*': 'app.js' } })).headers.get('etag');
      const b = (await anon.req('GET', '/assets/*', { params: { '*': 'app.css' } })).headers.get('etag');
      assert.notEqual(a, b, 'different files, different tags');
    });

    it('GET of a missing asset is 404', async () => {
      const r = await anon.req('GET', '/assets/*', { params: { '*': 'no-such-file.js' } });
      assert.equal(r.status, 404);
    });
  });

  describe('security headers', () => {
    const cases = [
      ['an HTML page', (c) => c.req('GET', '/admin/*', { params: { '*': '' } })],
      ['a JSON response', (c) => c.req('GET', '/healthz')],
      ['an error response', (c) => c.req('GET', '/api/v1/auth/me')],
    ];
    for (const [what, call] of cases) {
      it(`are set on ${what}`, async () => {
        const r = await call(client(srv.base));
        const csp = r.headers.get('content-security-policy');
        assert.ok(csp, 'Content-Security-Policy present');
        assert.doesNotMatch(csp, /'unsafe-inline'/, `CSP must not allow 'unsafe-inline': ${csp}`);
        assert.doesNotMatch(csp, /'unsafe-eval'/, `CSP must not allow 'unsafe-eval': ${csp}`);
        assert.equal((r.headers.get('x-content-type-options') || '').toLowerCase(), 'nosniff');
        assert.ok(r.headers.get('referrer-policy'), 'Referrer-Policy present');
        const xfo = (r.headers.get('x-frame-options') || '').toUpperCase();
        assert.ok(xfo === 'DENY' || /frame-ancestors\s+'none'/.test(csp),
          `X-Frame-Options DENY or frame-ancestors 'none' (XFO='${xfo}', CSP='${csp}')`);
      });
    }
  });

  describe('request ids', () => {
    it('every response carries a distinct X-Request-Id', async () => {
      const rs = [
        await anon.req('GET', '/healthz'),
        await anon.req('GET', '/api/v1/auth/me'),
        await anon.req('GET', '/api/v1/no-such-thing'),
        await anon.req('DELETE', '/healthz'),
      ];
      const ids = rs.map((r) => r.headers.get('x-request-id'));
      for (const id of ids) assert.ok(id && id.length >= 8, `X-Request-Id present and non-trivial: ${id}`);
      assert.equal(new Set(ids).size, ids.length, `ids are distinct: ${ids}`);
    });
  });

  describe('pipeline errors', () => {
    it('an unknown /api/v1 path is 404 problem+json', async () => {
      const r = await anon.req('GET', '/api/v1/no-such-thing');
      assertProblem(r, 404, 'not-found');
      assert.equal(r.body.instance, '/api/v1/no-such-thing');
    });

    it('a wrong method on a known path is 405 problem+json with Allow', async () => {
      const r = await anon.req('DELETE', '/healthz');
      assertProblem(r, 405, 'method-not-allowed');
      assert.match(r.headers.get('allow') || '', /\bGET\b/, 'Allow names GET');
    });

    it('a wrong method on a known API path is 405', async () => {
      const r = await admin.req('PUT', '/api/v1/leads', { body: { name: 'x' } });
      assertProblem(r, 405, 'method-not-allowed');
      const allow = r.headers.get('allow') || '';
      assert.match(allow, /\bGET\b/);
      assert.match(allow, /\bPOST\b/);
    });

    it('a 2 MiB body is 413 problem+json', async () => {
      const big = JSON.stringify({ name: 'x', notes: 'a'.repeat(2 * 1024 * 1024) });
      const r = await admin.req('POST', '/api/v1/leads', { raw: big });
      assertProblem(r, 413, 'too-large');
    });

    it('the server reads an oversized body before its 413, so the connection goes on', async () => {
      // Answering before the body is read and closing makes the kernel
      // reset the connection under a client still sending (EPIPE, or the
      // 413 lost): the server reads and drops the body, like nginx.
      const size = 2 * 1024 * 1024;
      const cookie = admin.cookieHeader();
      const head = `POST /api/v1/leads HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\n` +
        `X-CSRF-Token: ${admin.csrf}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`;
      const x = await rawExchange(srv.port, [head, Buffer.alloc(size, 0x61), 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'], 2);
      assert.equal(x.error, null, `no connection error: ${x.error}`);
      assert.deepEqual(x.statuses, [413, 200], x.got.slice(0, 400));
    });

    for (const [what, raw] of [['%00', '/healthz%00/x'], ['%0a', '/api/v1/leads%0a'], ['%7f', '/healthz%7F']]) {
      it(`an encoded control character (${what}) in the path is 400`, async () => {
        const r = await anon.req('GET', raw);
        assertProblem(r, 400, 'malformed');
        assert.match(r.body.detail, /control character/);
      });
    }

    it('a non-JSON content type on POST is 415 problem+json', async () => {
      const r = await admin.req('POST', '/api/v1/leads', { raw: 'name=x', contentType: 'text/plain' });
      assertProblem(r, 415, 'unsupported-media-type');
    });

    it('a form-encoded login is 415 too', async () => {
      const r = await anon.req('POST', '/api/v1/auth/login', {
        raw: 'email=a%40b.test&password=x', contentType: 'application/x-www-form-urlencoded',
      });
      assertProblem(r, 415, 'unsupported-media-type');
    });

    it('malformed JSON is 400 problem+json', async () => {
      const r = await admin.req('POST', '/api/v1/leads', { raw: '{"name": ' });
      assertProblem(r, 400, 'malformed');
    });

    it('a JSON body that is not an object is 400 or 422', async () => {
      const r = await admin.req('POST', '/api/v1/leads', { raw: '[1,2,3]' });
      assert.ok(r.status === 400 || r.status === 422, `got ${r.status}`);
      assert.match(r.headers.get('content-type') || '', /^application\/problem\+json/);
    });
  });
});
