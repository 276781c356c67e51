// Branding (Settings > General): the logos for light and dark mode, the
// favicon and the PDF logo width. Uploads are the raw body of
// PUT /api/v1/settings/branding/{kind} with the file's Content-Type; the
// server decodes them (libpng, gdk-pixbuf, libxml2) and stores what the
// decoder produced. The images are served from /branding/{org}/{kind}.
//
// Fixtures are made byte by byte in images.mjs (PNG with zlib, ICO with a
// BMP or a PNG inside, SVG text); what comes back is checked by reading the
// PNG header and the SVG text, not by trusting the server's own words.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, recordCoverage,
} from './harness.mjs';
import { addMember, addRole, raiseSeats } from './staff-helpers.mjs';
import {
  png, pngSize, pngChunks, bmpIco, pngIco, svgLogo, svgWith, PNG_SIGNATURE,
} from './images.mjs';

const BRANDING = '/api/v1/branding';
const PUBLIC = '/api/v1/branding/public';
const UPLOAD = '/api/v1/settings/branding/{kind}';
const IMAGE = '/branding/{id}/{kind}';
const SETTINGS = '/api/v1/settings/{group}';
const MAX = 256 * 1024;

/* GET of an image URL (path and query from the API), as bytes. */
async function fetchImage(base, url, headers = {}, method = 'GET') {
  const res = await fetch(`${base}${url}`, { method, headers });
  const body = Buffer.from(await res.arrayBuffer());
  recordCoverage(method, IMAGE, new URL(url, base).pathname, res.status);
  return { status: res.status, headers: res.headers, body };
}

/* Uploads bytes as kind with a Content-Type. */
function upload(c, kind, bytes, contentType, opts = {}) {
  return c.req('PUT', UPLOAD, { params: { kind }, raw: bytes, contentType, ...opts });
}

/* The newest activity rows about settings. */
async function settingsActivity(admin) {
  const r = await admin.req('GET', '/api/v1/activity', { query: { entity: 'settings', limit: 50 } });
  assert.equal(r.status, 200, r.text);
  return r.body.data;
}

describe('branding: logos, favicon, PDF logo width', () => {
  let srv;
  let admin;
  let staff; // signed in, no role
  let viewer; // settings.view only
  let editor; // settings.view and settings.edit, not an administrator

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    await raiseSeats(admin);
    const viewRole = await addRole(admin, 'Branding viewer', { settings: ['view'] });
    const editRole = await addRole(admin, 'Branding editor', { settings: ['view', 'edit'] });
    viewer = await addMember(srv, admin, viewRole.id, 'viewer');
    editor = await addMember(srv, admin, editRole.id, 'editor');
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  it('a fresh install has no images, the company name and a PDF logo width of 150', async () => {
    const anon = client(srv.base);
    const pub = await anon.req('GET', PUBLIC);
    assert.equal(pub.status, 200, pub.text);
    assert.deepEqual(pub.body, {
      company_name: 'Atrium', pdf_logo_width: 150, logo_light: null, logo_dark: null, favicon: null,
    });
    assert.equal(pub.headers.get('cache-control'), 'no-store');
    const mine = await staff.req('GET', BRANDING);
    assert.equal(mine.status, 200, mine.text);
    assert.deepEqual(mine.body, pub.body);
    const img = await fetchImage(srv.base, '/branding/1/logo_light');
    assertProblem({ ...img, body: JSON.parse(img.body), text: img.body.toString() }, 404, 'not-found');
  });

  it('GET /api/v1/branding needs a session (401); the public one does not', async () => {
    const anon = client(srv.base);
    const r = await anon.req('GET', BRANDING);
    assertProblem(r, 401, 'unauthorized');
  });

  it('a PNG logo for light mode: decoded, stored, served with its type, nosniff, a strict CSP and long caching', async () => {
    const file = png(300, 80, { extra: [['tEXt', Buffer.from('Comment\0secret location')]] });
    const r = await upload(admin, 'logo_light', file, 'image/png');
    assert.equal(r.status, 200, r.text);
    const l = r.body.logo_light;
    assert.equal(l.content_type, 'image/png');
    assert.equal(l.width, 300);
    assert.equal(l.height, 80);
    assert.match(l.sha256, /^[0-9a-f]{64}$/);
    assert.equal(l.url, `/branding/1/logo_light?v=${l.sha256.slice(0, 16)}`);
    assert.equal(r.body.logo_dark, null);

    const got = await fetchImage(srv.base, l.url);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/png');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(got.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(got.headers.get('etag'), `"${l.sha256.slice(0, 32)}"`);
    assert.match(got.headers.get('content-security-policy'), /default-src 'none'/);
    assert.match(got.headers.get('content-security-policy'), /sandbox/);
    assert.equal(got.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(got.body.length, l.bytes);
    assert.deepEqual(pngSize(got.body), { width: 300, height: 80 });
    // Encoded again from the pixels: the text chunk did not survive.
    assert.ok(!pngChunks(got.body).includes('tEXt'), pngChunks(got.body).join(','));
    assert.ok(!got.body.includes('secret location'));

    // The same bytes without the version, or with an old one: not cached for long.
    for (const url of ['/branding/1/logo_light', '/branding/1/logo_light?v=0000000000000000']) {
      const other = await fetchImage(srv.base, url);
      assert.equal(other.status, 200);
      assert.equal(other.headers.get('cache-control'), 'no-cache');
      assert.ok(other.body.equals(got.body));
    }
    // Revalidation, and HEAD.
    const again = await fetchImage(srv.base, l.url, { 'If-None-Match': got.headers.get('etag') });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    const head = await fetchImage(srv.base, l.url, {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'image/png');

    // The change is in the activity log: descriptions, never the bytes.
    const rows = await settingsActivity(admin);
    const row = rows.find((a) => a.diff && a.diff.logo_light);
    assert.ok(row, JSON.stringify(rows));
    assert.equal(row.action, 'update');
    assert.equal(row.actor_id, admin.me.id);
    assert.equal(row.diff.logo_light.from, null);
    assert.deepEqual(row.diff.logo_light.to, {
      content_type: 'image/png', bytes: l.bytes, width: 300, height: 80, sha256: l.sha256,
    });

    // Everyone sees it: the sign-in page (public) and the header (any member).
    const pub = await client(srv.base).req('GET', PUBLIC);
    assert.deepEqual(pub.body.logo_light, l);
    const mine = await staff.req('GET', BRANDING);
    assert.deepEqual(mine.body.logo_light, l);
  });

  it('the same image again changes nothing and writes no activity row', async () => {
    const before = (await settingsActivity(admin)).length;
    const file = png(300, 80, { extra: [['tEXt', Buffer.from('Comment\0secret location')]] });
    const r = await upload(admin, 'logo_light', file, 'image/png');
    assert.equal(r.status, 200, r.text);
    assert.equal((await settingsActivity(admin)).length, before);
  });

  it('an SVG logo for dark mode: rebuilt from the allowlist, served as image/svg+xml with a CSP that runs no script', async () => {
    const r = await upload(editor, 'logo_dark', svgLogo('Acme Dark'), 'image/svg+xml');
    assert.equal(r.status, 200, r.text);
    const d = r.body.logo_dark;
    assert.equal(d.content_type, 'image/svg+xml');
    assert.equal(d.width, null);
    assert.equal(d.height, null);
    const got = await fetchImage(srv.base, d.url);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/svg+xml');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    const csp = got.headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/);
    assert.match(csp, /sandbox/);
    const text = got.body.toString('utf8');
    assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(text, /<title>Acme Dark<\/title>/);
    assert.match(text, /fill="url\(#g\)"/);
    assert.doesNotMatch(text, /inkscape|metadata|RDF|Created with/);
    // The member who may edit settings is named in the log.
    const row = (await settingsActivity(admin)).find((a) => a.diff && a.diff.logo_dark);
    assert.equal(row.actor_id, editor.id);
  });

  it('a 32×32 favicon as PNG, as ICO with a BMP inside, and as ICO with a PNG inside; each served as PNG', async () => {
    const cases = [
      [png(32, 32), 'image/png'],
      [bmpIco([[32, 32]]), 'image/x-icon'],
      [pngIco(32, 32), 'image/vnd.microsoft.icon'],
    ];
    const seen = new Set();
    for (const [file, type] of cases) {
      const r = await upload(admin, 'favicon', file, type);
      assert.equal(r.status, 200, `${type}: ${r.text}`);
      const f = r.body.favicon;
      assert.equal(f.content_type, 'image/png');
      assert.equal(f.width, 32);
      assert.equal(f.height, 32);
      const got = await fetchImage(srv.base, f.url);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), 'image/png');
      assert.deepEqual(pngSize(got.body), { width: 32, height: 32 });
      seen.add(f.sha256);
    }
    // The BMP's green and the PNGs' blue are different pixels.
    assert.ok(seen.size >= 2, [...seen].join(' '));
  });

  it('not an image: 422 naming the field, and the stored logo stays', async () => {
    const before = (await admin.req('GET', BRANDING)).body.logo_light;
    const r = await upload(admin, 'logo_light', Buffer.from('<html><script>alert(1)</script></html>'), 'image/png');
    assertProblem(r, 422, 'validation');
    assertFieldErrors(r, { logo_light: 'invalid' });
    assert.match(r.body.errors[0].detail, /not a PNG image/);
    // A PNG signature followed by garbage: libpng refuses it.
    const fake = Buffer.concat([PNG_SIGNATURE, Buffer.from('garbage, not chunks at all')]);
    const r2 = await upload(admin, 'logo_light', fake, 'image/png');
    assertProblem(r2, 422, 'validation');
    assertFieldErrors(r2, { logo_light: 'invalid' });
    // A PNG cut in half.
    const half = png(200, 200, { rgba: [1, 2, 3, 4] });
    const r3 = await upload(admin, 'logo_light', half.subarray(0, half.length - 20), 'image/png');
    assertFieldErrors(r3, { logo_light: 'invalid' });
    assert.deepEqual((await admin.req('GET', BRANDING)).body.logo_light, before);
  });

  it('a PNG logo wider than 300 px, or higher than 600: 422 saying the size', async () => {
    const r = await upload(admin, 'logo_dark', png(301, 50), 'image/png');
    assertProblem(r, 422, 'validation');
    assertFieldErrors(r, { logo_dark: 'invalid' });
    assert.match(r.body.errors[0].detail, /301 px wide; at most 300/);
    const tall = await upload(admin, 'logo_light', png(100, 601), 'image/png');
    assertFieldErrors(tall, { logo_light: 'invalid' });
    assert.match(tall.body.errors[0].detail, /601 px high/);
  });

  it('a favicon that is not 32×32, or an ICO with several images: 422', async () => {
    const small = await upload(admin, 'favicon', png(16, 16), 'image/png');
    assertFieldErrors(small, { favicon: 'invalid' });
    assert.match(small.body.errors[0].detail, /16×16 px; it must be 32×32/);
    const big = await upload(admin, 'favicon', bmpIco([[48, 48]]), 'image/x-icon');
    assertFieldErrors(big, { favicon: 'invalid' });
    assert.match(big.body.errors[0].detail, /48×48 px; it must be 32×32/);
    const several = await upload(admin, 'favicon', bmpIco([[16, 16], [32, 32]]), 'image/x-icon');
    assertFieldErrors(several, { favicon: 'invalid' });
    assert.match(several.body.errors[0].detail, /holds 2 images/);
    const notIco = await upload(admin, 'favicon', png(32, 32), 'image/x-icon');
    assertFieldErrors(notIco, { favicon: 'invalid' });
    assert.match(notIco.body.errors[0].detail, /not an ICO image/);
  });

  it('a format the kind does not take: 422 not_allowed; a type that is no image: 415', async () => {
    const svgFavicon = await upload(admin, 'favicon', svgLogo(), 'image/svg+xml');
    assertProblem(svgFavicon, 422, 'validation');
    assertFieldErrors(svgFavicon, { favicon: 'not_allowed' });
    const icoLogo = await upload(admin, 'logo_light', bmpIco(), 'image/x-icon');
    assertFieldErrors(icoLogo, { logo_light: 'not_allowed' });
    for (const type of ['application/json', 'text/plain', 'image/jpeg']) {
      const r = await upload(admin, 'logo_light', png(10, 10), type);
      assertProblem(r, 415, 'unsupported-media-type');
    }
    // a form post is taken (tests/http/uploads.test.mjs), but this is none
    const form = await upload(admin, 'logo_light', png(10, 10), 'multipart/form-data; boundary=x');
    assertFieldErrors(form, { file: 'invalid' });
    assert.match(form.body.errors[0].detail, /boundary/);
    const none = await admin.req('PUT', UPLOAD, { params: { kind: 'logo_light' }, raw: png(10, 10), contentType: null });
    assertProblem(none, 415, 'unsupported-media-type');
  });

  it('an empty body: 422 required; more than 256 KiB: 422 too_large; beyond the server body limit: 413', async () => {
    const empty = await upload(admin, 'logo_light', Buffer.alloc(0), 'image/png');
    assertFieldErrors(empty, { logo_light: 'required' });
    const over = Buffer.concat([png(10, 10), Buffer.alloc(MAX)]);
    const big = await upload(admin, 'logo_light', over, 'image/png');
    assertProblem(big, 422, 'validation');
    assertFieldErrors(big, { logo_light: 'too_large' });
    assert.match(big.body.errors[0].detail, /at most 262144 \(256 KiB\)/);
    const huge = await upload(admin, 'logo_light', Buffer.alloc(2 * 1024 * 1024 + 1), 'image/png');
    assertProblem(huge, 413, 'too-large');
  });

  it('SVG with a script, an event handler, an external href or foreignObject: refused with 422, never stored', async () => {
    const before = (await admin.req('GET', BRANDING)).body.logo_dark;
    const cases = [
      [svgWith('<script>alert(document.cookie)</script>'), /scripts are not allowed/],
      [svgWith('', ' onload="alert(1)"'), /event handler attribute 'onload' on <svg>/],
      [svgWith('<rect onclick="alert(1)"/>'), /event handler attribute 'onclick' on <rect>/],
      [svgWith('<image href="https://tracker.example/pixel.png" width="1" height="1"/>'), /external reference 'https:\/\/tracker.example\/pixel.png'/],
      [svgWith('<use xlink:href="https://evil.example/sprite.svg#a"/>'), /external reference/],
      [svgWith('<a href="javascript:alert(1)"><rect/></a>'), /links are not allowed/],
      [svgWith('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'), /foreignObject/],
      [svgWith('<style>@import url(https://evil.example/x.css);</style>'), /@import/],
      ['<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>', /DOCTYPE/],
    ];
    for (const [svg, why] of cases) {
      const r = await upload(admin, 'logo_dark', svg, 'image/svg+xml');
      assertProblem(r, 422, 'validation');
      assertFieldErrors(r, { logo_dark: 'invalid' });
      assert.match(r.body.errors[0].detail, why, svg);
    }
    assert.deepEqual((await admin.req('GET', BRANDING)).body.logo_dark, before);
  });

  it('an unknown kind: 404', async () => {
    const r = await upload(admin, 'banner', png(10, 10), 'image/png');
    assertProblem(r, 404, 'not-found');
    const d = await admin.req('DELETE', UPLOAD, { params: { kind: 'banner' } });
    assertProblem(d, 404, 'not-found');
    const img = await fetchImage(srv.base, '/branding/1/banner');
    assert.equal(img.status, 404);
    const org = await fetchImage(srv.base, '/branding/999/logo_light');
    assert.equal(org.status, 404);
  });

  it('uploading and removing: 401 without a session, 403 without settings.edit or without the CSRF token', async () => {
    const anon = client(srv.base);
    assertProblem(await upload(anon, 'logo_light', png(10, 10), 'image/png'), 401, 'unauthorized');
    assertProblem(await anon.req('DELETE', UPLOAD, { params: { kind: 'logo_light' } }), 401, 'unauthorized');
    for (const c of [staff, viewer]) {
      assertProblem(await upload(c, 'logo_light', png(10, 10), 'image/png'), 403, 'forbidden');
      assertProblem(await c.req('DELETE', UPLOAD, { params: { kind: 'logo_dark' } }), 403, 'forbidden');
    }
    const noCsrf = await upload(admin, 'logo_light', png(10, 10), 'image/png', { csrf: false });
    assertProblem(noCsrf, 403, 'forbidden');
    assert.match(noCsrf.body.detail, /csrf/);
  });

  it('removing an image: 204, logged, its URL gone; removing it again: 404', async () => {
    const url = (await admin.req('GET', BRANDING)).body.logo_dark.url;
    const r = await editor.req('DELETE', UPLOAD, { params: { kind: 'logo_dark' } });
    assert.equal(r.status, 204, r.text);
    assert.equal((await admin.req('GET', BRANDING)).body.logo_dark, null);
    assert.equal((await fetchImage(srv.base, url)).status, 404);
    const row = (await settingsActivity(admin)).find((a) => a.diff && a.diff.logo_dark && a.diff.logo_dark.to === null);
    assert.ok(row);
    assert.equal(row.diff.logo_dark.from.content_type, 'image/svg+xml');
    const again = await editor.req('DELETE', UPLOAD, { params: { kind: 'logo_dark' } });
    assertProblem(again, 404, 'not-found');
  });

  it('the PDF logo width is a setting of group branding (20–600), shown in the branding body', async () => {
    const get = await viewer.req('GET', SETTINGS, { params: { group: 'branding' } });
    assert.equal(get.status, 200, get.text);
    assert.equal(get.body.values.pdf_logo_width, 150);
    assert.deepEqual(get.body.fields, [{ key: 'pdf_logo_width', type: 'int', default: 150, min: 20, max: 600 }]);
    const bad = await admin.req('PATCH', SETTINGS, { params: { group: 'branding' }, body: { pdf_logo_width: 10 } });
    assertProblem(bad, 422, 'validation');
    assertFieldErrors(bad, { pdf_logo_width: 'invalid' });
    const ok = await admin.req('PATCH', SETTINGS, { params: { group: 'branding' }, body: { pdf_logo_width: 220 } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await staff.req('GET', BRANDING)).body.pdf_logo_width, 220);
    const row = (await settingsActivity(admin)).find((a) => a.diff && a.diff.pdf_logo_width);
    assert.deepEqual(row.diff.pdf_logo_width, { from: 150, to: 220 });
    assertProblem(await viewer.req('PATCH', SETTINGS, { params: { group: 'branding' }, body: { pdf_logo_width: 300 } }),
      403, 'forbidden');
  });
});
