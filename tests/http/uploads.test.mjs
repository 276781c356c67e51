// Uploads (src/http/upload.c, docs/internals/http-api.md "Request bodies"):
// the body bound each route declares (JSON routes max_body_bytes, upload
// routes max_upload_bytes or their own), known before the body is read;
// upload bodies spooled to an unlinked temporary file, not memory (the
// server's peak RSS after a 30 MB upload); form posts (multipart/form-data)
// through libmicrohttpd's post processor beside raw bodies; every refused
// form naming its field; a client gone mid-upload leaving no file behind.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  startServer, adminClient, assertProblem, assertFieldErrors, uniq, waitFor, recordCoverage,
} from './harness.mjs';
import { png } from './images.mjs';

const IMPORTS = '/api/v1/imports';

/* The server's peak resident memory (VmHWM), in bytes. */
function peakRss(srv) {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8'));
  assert.ok(m, 'VmHWM in /proc/PID/status');
  return Number(m[1]) * 1024;
}

/* The server's open descriptors on files in dir (an O_TMPFILE shows as
 * "dir/#inode (deleted)"). */
function openIn(srv, dir) {
  const fdDir = `/proc/${srv.proc.pid}/fd`;
  let n = 0;
  for (const fd of fs.readdirSync(fdDir)) {
    try {
      if (fs.readlinkSync(path.join(fdDir, fd)).startsWith(`${dir}/`)) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

/* A form post (multipart/form-data, written by fetch's FormData) with the
 * client's cookie and CSRF token. parts: [name, value] or
 * [name, Buffer, filename, type]. */
async function formPost(c, method, pattern, urlPath, parts, query = {}) {
  const fd = new FormData();
  for (const [name, value, filename, type] of parts) {
    if (Buffer.isBuffer(value)) fd.append(name, new Blob([value], { type: type || 'application/octet-stream' }), filename);
    else fd.append(name, value);
  }
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`${c.base}${urlPath}${qs ? `?${qs}` : ''}`, {
    method, body: fd, headers: { Cookie: c.cookieHeader(), 'X-CSRF-Token': c.csrf },
  });
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  recordCoverage(method, pattern, urlPath, res.status);
  return { status: res.status, headers: res.headers, body, text };
}

/* A request written by hand (a body sent in chunks, Expect, a client that
 * leaves): the socket and what came back. */
function rawRequest(port, head) {
  const sock = net.connect({ host: '127.0.0.1', port });
  const st = { sock, got: '', closed: false };
  sock.on('data', (d) => { st.got += d.toString('latin1'); });
  sock.on('close', () => { st.closed = true; });
  sock.on('error', () => {});
  sock.write(head);
  return st;
}

function statusOf(st) {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(st.got);
  return m ? Number(m[1]) : 0;
}

/* A CSV of leads of about `bytes` bytes: rows of 5,000-character notes. */
function bigCsv(tag, bytes) {
  const note = 'n'.repeat(5000);
  let s = 'name,notes\n';
  let rows = 0;
  while (s.length <= bytes) s += `${tag} ${rows++},${note}\n`;
  return { data: Buffer.from(s), rows };
}

describe('uploads', () => {
  let srv;
  let admin;
  let tmp;
  const head = (c, urlPath, extra) => `POST ${urlPath} HTTP/1.1\r\nHost: x\r\nCookie: ${c.cookieHeader()}\r\n` +
    `X-CSRF-Token: ${c.csrf}\r\n${extra}\r\n`;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-spool-'));
    srv = await startServer({ env: { TMPDIR: tmp } });
    admin = await adminClient(srv);
  });
  after(async () => {
    await srv?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  // First, while the server's peak is still its own: a peak reached
  // earlier would hide the upload's.
  it('a 30 MB upload goes to disk: the server\'s peak RSS grows by less than 8 MB', async () => {
    const data = Buffer.alloc(30 * 1000 * 1000, 0x61);
    data.write('name\n');
    const before = peakRss(srv);
    const r = await admin.req('POST', IMPORTS, {
      query: { entity: 'leads', filename: 'huge.csv' }, raw: data, contentType: 'text/csv',
    });
    // Read from disk by the handler: past the import reader's own bound.
    assertFieldErrors(r, { file: 'invalid' });
    assert.match(r.body.errors[0].detail, /20 MiB/);
    const grew = peakRss(srv) - before;
    assert.ok(grew < 8 * 1024 * 1024, `peak RSS grew by ${grew} bytes`);
    assert.equal(openIn(srv, tmp), 0, 'the temporary file is closed');
  });

  it('a JSON route refuses a 2 MiB body (413 naming max_body_bytes); the import takes a 10 MiB file, raw and as a form', async () => {
    const json = await admin.req('POST', '/api/v1/leads', { body: { name: 'x', notes: 'a'.repeat(2 << 20) } });
    assertProblem(json, 413, 'too-large');
    assert.match(json.body.detail, /1048576 bytes.*max_body_bytes/);

    const tag = uniq('big');
    const { data, rows } = bigCsv(tag, 10 << 20);
    assert.ok(data.length > 10 << 20);
    const raw = await admin.req('POST', IMPORTS, {
      query: { entity: 'leads', filename: 'raw.csv' }, raw: data, contentType: 'text/csv',
    });
    assert.equal(raw.status, 201, raw.text);
    assert.equal(raw.body.bytes, data.length);
    assert.equal(raw.body.rows_total, rows);
    assert.equal(raw.body.filename, 'raw.csv');

    // A browser's form: the entity as a field, the file's own name kept.
    const form = await formPost(admin, 'POST', IMPORTS, IMPORTS,
      [['entity', 'leads'], ['file', data, 'from-the-form.csv', 'text/csv']]);
    assert.equal(form.status, 201, form.text);
    assert.equal(form.body.bytes, data.length);
    assert.equal(form.body.rows_total, rows);
    assert.equal(form.body.filename, 'from-the-form.csv');
    assert.equal(form.body.entity, 'leads');
    const id = form.body.id;
    const v = await admin.req('POST', '/api/v1/imports/{id}/validate', { params: { id }, body: {} });
    assert.equal(v.status, 202, v.text);
    let imp;
    await waitFor(async () => {
      imp = (await admin.req('GET', '/api/v1/imports/{id}', { params: { id } })).body;
      return imp.status !== 'validating';
    }, { timeout: 60000, what: 'validation' });
    assert.equal(imp.status, 'validated', JSON.stringify(imp));
    const c = await admin.req('POST', '/api/v1/imports/{id}/confirm', { params: { id }, body: {} });
    assert.equal(c.status, 202, c.text);
    await waitFor(async () => {
      imp = (await admin.req('GET', '/api/v1/imports/{id}', { params: { id } })).body;
      return !['queued', 'running'].includes(imp.status);
    }, { timeout: 120000, what: 'the import' });
    assert.equal(imp.status, 'done', JSON.stringify(imp));
    const leads = await admin.req('GET', '/api/v1/leads', { query: { q: tag, limit: 1 } });
    assert.equal(leads.status, 200, leads.text);
    assert.equal(leads.body.total ?? leads.body.count ?? rows, rows, leads.text.slice(0, 300));
    assert.equal(leads.body.data[0].notes.length, 5000);
  });

  it('a form without its file, with two, with an unknown field, or a field twice: 422 naming the field', async () => {
    const csv = Buffer.from('name\nx\n');
    fe(await formPost(admin, 'POST', IMPORTS, IMPORTS, [['entity', 'leads']]), { file: 'required' });
    fe(await formPost(admin, 'POST', IMPORTS, IMPORTS,
      [['entity', 'leads'], ['file', csv, 'a.csv'], ['file', csv, 'b.csv']]), { file: 'too_many' });
    fe(await formPost(admin, 'POST', IMPORTS, IMPORTS,
      [['entity', 'leads'], ['colour', 'blue'], ['file', csv, 'a.csv']]), { colour: 'unknown_field' });
    fe(await formPost(admin, 'POST', IMPORTS, IMPORTS,
      [['entity', 'leads'], ['attachment', csv, 'a.csv']]), { attachment: 'unknown_field' });
    fe(await formPost(admin, 'POST', IMPORTS, IMPORTS,
      [['entity', 'leads'], ['file', 'name\nx\n']]), { file: 'unknown_field' });
    fe(await formPost(admin, 'POST', IMPORTS, IMPORTS,
      [['entity', 'leads'], ['entity', 'clients'], ['file', csv, 'a.csv']]), { entity: 'duplicate' });
    fe(await formPost(admin, 'POST', IMPORTS, IMPORTS,
      [['entity', 'leads'], ['file', csv, 'a.csv']], { entity: 'leads' }), { entity: 'duplicate' });
    fe(await formPost(admin, 'POST', IMPORTS, IMPORTS,
      [['entity', 'x'.repeat(2000)], ['file', csv, 'a.csv']]), { entity: 'too_long' });
    // the handler's own checks see the form's fields
    fe(await formPost(admin, 'POST', IMPORTS, IMPORTS,
      [['entity', 'nope'], ['file', csv, 'a.csv']]), { entity: 'invalid' });
    // a form cut short
    const cut = await admin.req('POST', IMPORTS, {
      raw: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nname\n',
      contentType: 'multipart/form-data; boundary=XYZ',
    });
    fe(cut, { file: 'invalid' });
    // none of them left a file open
    assert.equal(openIn(srv, tmp), 0);
  });

  function fe(r, fields) {
    assertFieldErrors(r, fields);
    assert.deepEqual(r.body.errors.map((e) => e.field).sort(), Object.keys(fields).sort(), r.text);
  }

  it('the other upload routes take a form: a ticket file named by its part, a logo typed by its part', async () => {
    const cl = await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Upload client ') } });
    assert.equal(cl.status, 201, cl.text);
    const t = await admin.req('POST', '/api/v1/tickets', { body: { subject: uniq('files'), client_id: cl.body.id } });
    assert.equal(t.status, 201, t.text);
    const ATT = '/api/v1/tickets/{id}/attachments';
    const at = `/api/v1/tickets/${t.body.id}/attachments`;
    const a = await formPost(admin, 'POST', ATT, at, [['file', Buffer.from('hello'), 'notes.txt', 'text/plain']]);
    assert.equal(a.status, 201, a.text);
    assert.equal(a.body.filename, 'notes.txt');
    assert.equal(a.body.bytes, 5);
    // past the route's own bound (ATTACH_MAX, 10 MiB), as a form or raw: 413
    const over = Buffer.alloc((10 << 20) + 1, 0x41);
    const big = await formPost(admin, 'POST', ATT, at, [['file', over, 'big.txt']]);
    assertProblem(big, 413, 'too-large');
    assert.match(big.body.detail, /10485760 bytes.*own bound/);
    assertProblem(await admin.req('POST', ATT, {
      params: { id: t.body.id }, query: { filename: 'big.txt' }, raw: over, contentType: 'text/plain',
    }), 413, 'too-large');
    const UP = '/api/v1/settings/branding/{kind}';
    const logo = await formPost(admin, 'PUT', UP, '/api/v1/settings/branding/logo_light',
      [['file', png(20, 10), 'logo.png', 'image/png']]);
    assert.equal(logo.status, 200, logo.text);
    const wrong = await formPost(admin, 'PUT', UP, '/api/v1/settings/branding/logo_light',
      [['file', png(20, 10), 'logo.gif', 'image/gif']]);
    assertProblem(wrong, 415);
  });

  it('over max_upload_bytes: 413 naming it, whether the length is told, with Expect: 100-continue, or chunked', async () => {
    const small = await startServer({ env: { TMPDIR: tmp, ATRIUM_MAX_UPLOAD_BYTES: String(2 << 20) } });
    try {
      const c = await adminClient(small);
      const over = Buffer.alloc((2 << 20) + 1, 0x61);
      const told = await c.req('POST', IMPORTS, { query: { entity: 'leads' }, raw: over, contentType: 'text/csv' });
      assertProblem(told, 413, 'too-large');
      assert.match(told.body.detail, /2097152 bytes.*max_upload_bytes/);
      // as a form, the envelope on top is allowed, not the file
      const f = await formPost(c, 'POST', IMPORTS, IMPORTS, [['entity', 'leads'], ['file', over, 'x.csv']]);
      assertProblem(f, 413, 'too-large');
      // Expect: 100-continue: refused before a byte of the body is sent
      const ex = rawRequest(small.port, head(c, `${IMPORTS}?entity=leads`,
        `Content-Type: text/csv\r\nContent-Length: ${over.length}\r\nExpect: 100-continue\r\n`));
      await waitFor(() => statusOf(ex) !== 0, { what: 'the answer to Expect' });
      assert.equal(statusOf(ex), 413, ex.got.slice(0, 300));
      assert.doesNotMatch(ex.got, /100 Continue/);
      ex.sock.destroy();
      // within the bound, Expect gets its go-ahead
      const ok = rawRequest(small.port, head(c, `${IMPORTS}?entity=leads`,
        'Content-Type: text/csv\r\nContent-Length: 7\r\nExpect: 100-continue\r\n'));
      await waitFor(() => /100 Continue/.test(ok.got), { what: '100 Continue' });
      ok.sock.write('name\nx\n');
      await waitFor(() => /HTTP\/1\.1 201 /.test(ok.got), { what: 'the upload after 100 Continue' });
      ok.sock.destroy();
      // chunked: no length told, counted as it comes
      const ch = rawRequest(small.port, head(c, `${IMPORTS}?entity=leads`,
        'Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n'));
      const piece = Buffer.alloc(256 * 1024, 0x61);
      for (let i = 0; i < 9; i++) ch.sock.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
      ch.sock.write('0\r\n\r\n');
      await waitFor(() => statusOf(ch) !== 0 || ch.closed, { what: 'the chunked answer' });
      assert.equal(statusOf(ch), 413, ch.got.slice(0, 300));
      ch.sock.destroy();
      // the same chunked within the bound is taken
      const fine = rawRequest(small.port, head(c, `${IMPORTS}?entity=leads`,
        'Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n'));
      fine.sock.write('5\r\nname\n\r\n2\r\nx\n\r\n0\r\n\r\n');
      await waitFor(() => statusOf(fine) !== 0, { what: 'the chunked upload' });
      assert.equal(statusOf(fine), 201, fine.got.slice(0, 300));
      fine.sock.destroy();
      assert.equal(openIn(small, tmp), 0);
    } finally {
      await small.stop();
    }
  });

  it('a client gone mid-upload leaves no temporary file, and the server goes on', async () => {
    const size = 8 << 20;
    for (const form of [false, true]) {
      const boundary = 'B0undary';
      const extra = form
        ? `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${size}\r\n`
        : `Content-Type: text/csv\r\nContent-Length: ${size}\r\n`;
      const st = rawRequest(srv.port, head(admin, `${IMPORTS}?entity=leads`, extra));
      if (form) st.sock.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n`);
      st.sock.write(Buffer.alloc(1 << 20, 0x61));
      // the body is on disk, in the temporary directory, under no name
      await waitFor(() => openIn(srv, tmp) === 1, { what: 'the temporary file' });
      assert.deepEqual(fs.readdirSync(tmp), []);
      st.sock.destroy();
      await waitFor(() => openIn(srv, tmp) === 0, { what: 'the temporary file closed' });
    }
    assert.equal((await admin.req('GET', '/healthz')).status, 200);
    // without any credential: read, dropped, 401 (src/http/server.c keeps
    // no file for it; tests/unit/test_upload.c checks the dropping)
    const anon = await fetch(`${srv.base}${IMPORTS}?entity=leads`, {
      method: 'POST', body: Buffer.alloc(4 << 20, 0x61), headers: { 'Content-Type': 'text/csv' },
    });
    assert.equal(anon.status, 401, await anon.text());
    assert.equal(openIn(srv, tmp), 0);
    const again = await admin.req('POST', IMPORTS, { query: { entity: 'leads' }, raw: Buffer.from('name\nx\n'), contentType: 'text/csv' });
    assert.equal(again.status, 201, again.text);
  });

  it('credentials that name nobody keep no body: 401 before the go-ahead with Expect, read and dropped without it', async () => {
    const size = 8 << 20;
    const madeUp = admin.cookieHeader().replace(/=[^;]*/g, '=made-up-session');
    const fake = (extra) => `POST ${IMPORTS}?entity=leads HTTP/1.1\r\nHost: x\r\n${extra}` +
      `Content-Type: text/csv\r\nContent-Length: ${size}\r\n`;
    // Expect: 100-continue: refused before a byte of the body is sent
    const ex = rawRequest(srv.port, `${fake(`Cookie: ${madeUp}\r\nX-CSRF-Token: ${admin.csrf}\r\n`)}Expect: 100-continue\r\n\r\n`);
    await waitFor(() => statusOf(ex) !== 0, { what: 'the answer to Expect' });
    assert.equal(statusOf(ex), 401, ex.got.slice(0, 300));
    assert.doesNotMatch(ex.got, /100 Continue/);
    ex.sock.destroy();
    // without Expect: the body is read, never written, then 401; a made-up
    // cookie and a made-up (well-formed or not) bearer token alike
    for (const cred of [`Cookie: ${madeUp}\r\nX-CSRF-Token: ${admin.csrf}\r\n`,
      'Authorization: Bearer atr_000000000000000000000000000000000000000000\r\n']) {
      const st = rawRequest(srv.port, `${fake(cred)}\r\n`);
      st.sock.write(Buffer.alloc(1 << 20, 0x61));
      // a signed-in member's 1 MiB is on disk by now (the test above)
      await new Promise((r) => { setTimeout(r, 500); });
      assert.equal(openIn(srv, tmp), 0, `no temporary file for ${cred.split(':')[0]}`);
      for (let i = 1; i < 8; i++) st.sock.write(Buffer.alloc(1 << 20, 0x61));
      await waitFor(() => statusOf(st) !== 0, { what: 'the answer after the body' });
      assert.equal(statusOf(st), 401, st.got.slice(0, 300));
      assert.equal(openIn(srv, tmp), 0);
      st.sock.destroy();
    }
    // the member's own session still uploads, with Expect and without
    const ok = rawRequest(srv.port, head(admin, `${IMPORTS}?entity=leads`,
      'Content-Type: text/csv\r\nContent-Length: 7\r\nExpect: 100-continue\r\n'));
    await waitFor(() => /100 Continue/.test(ok.got), { what: '100 Continue' });
    ok.sock.write('name\nx\n');
    await waitFor(() => /HTTP\/1\.1 201 /.test(ok.got), { what: 'the upload after 100 Continue' });
    ok.sock.destroy();
    const form = await formPost(admin, 'POST', IMPORTS, IMPORTS, [['entity', 'leads'], ['file', Buffer.from('name\nx\n'), 'f.csv', 'text/csv']]);
    assert.equal(form.status, 201, form.text);
  });
});
