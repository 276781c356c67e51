// Re-authentication and one's own email change (issue 8, item 3).
//
// Routes flagged for re-authentication (removing or replacing 2FA,
// changing one's email; API tokens and vault secrets later) need the
// password, and a current code when 2FA is on, re-entered in this session
// within 5 minutes: POST /api/v1/auth/reauth. Otherwise 403 with problem
// type reauth-required, which the web UI recognises. An email change is
// confirmed from the old and the new address before it applies.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq,
  startSmtpSink, configureSmtp, ISO_MS,
} from './harness.mjs';

const REAUTH = '/api/v1/auth/reauth';
const EMAIL = '/api/v1/auth/email';
const CONFIRM = '/api/v1/auth/email/confirm';

function linkToken(body) {
  const m = /\/confirm-email#token=([A-Za-z0-9_-]+)/.exec(body || '');
  return m ? m[1] : null;
}

describe('re-authentication and confirmed email changes', () => {
  let srv;
  let admin;
  let sink;

  async function member() {
    const tag = uniq('ac');
    const m = { email: `${tag}@example.test`, name: `Acct ${tag}`, password: `Pw-${tag}-long-enough-1` };
    const r = srv.cli(['staff', 'add', '--email', m.email, '--name', m.name, '--password-stdin'], { input: `${m.password}\n` });
    assert.equal(r.status, 0, r.stderr);
    m.c = client(srv.base);
    const l = await m.c.login(m.email, m.password);
    m.id = l.body.staff.id;
    return m;
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    const seats = srv.cli(['org', 'seats', '1', '--extra-seats', '100']); // as the operator
    assert.equal(seats.status, 0, seats.stderr);
    sink = await startSmtpSink(srv.dir);
    await configureSmtp(admin, sink);
  });
  after(async () => {
    await sink?.stop();
    await srv?.stop();
  });

  it('POST /auth/reauth: the password re-authenticates a member without 2FA; every bad field is named', async () => {
    const m = await member();
    assertFieldErrors(await m.c.req('POST', REAUTH, { body: {} }), { password: 'required' });
    assertFieldErrors(await m.c.req('POST', REAUTH, { body: { password: 'x', extra: 1 } }), { extra: 'unknown_field' });
    assertFieldErrors(await m.c.req('POST', REAUTH, { body: { password: `${m.password}-not` } }), { password: 'invalid' });
    assertFieldErrors(await m.c.req('POST', REAUTH, { body: { password: 5 } }), { password: 'type' });
    const r = await m.c.req('POST', REAUTH, { body: { password: m.password } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.reauth_until, ISO_MS);
    assert.ok(Date.parse(r.body.reauth_until) - Date.now() <= 5 * 60000 + 1000, 'within a few minutes');
    assertProblem(await client(srv.base).req('POST', REAUTH, { body: { password: 'x' } }), 401, 'unauthorized');
    // The other sessions of the member are not re-authenticated by it.
    const other = client(srv.base);
    await other.login(m.email, m.password);
    assertProblem(await other.req('POST', EMAIL, { body: { email: `${uniq('o')}@example.test` } }), 403, 'reauth-required');
  });

  it('a re-authentication older than five minutes no longer counts', async () => {
    const m = await member();
    assert.equal((await m.c.req('POST', REAUTH, { body: { password: m.password } })).status, 200);
    const old = new Date(Date.now() - 6 * 60000).toISOString();
    const w = srv.sql(`UPDATE session SET reauth_at = '${old}' WHERE staff_id = ${m.id}`);
    assert.equal(w.status, 0, w.stderr);
    const r = await m.c.req('POST', EMAIL, { body: { email: `${uniq('late')}@example.test` } });
    assertProblem(r, 403, 'reauth-required');
    assert.match(r.body.detail, /password/);
  });

  it('changing one\'s email: re-authentication, then links to both addresses; it applies when both confirm', async () => {
    const m = await member();
    const next = `${uniq('new')}@example.test`;
    assertProblem(await m.c.req('POST', EMAIL, { body: { email: next } }), 403, 'reauth-required');
    assert.equal((await m.c.req('POST', REAUTH, { body: { password: m.password } })).status, 200);

    assertFieldErrors(await m.c.req('POST', EMAIL, { body: {} }), { email: 'required' });
    assertFieldErrors(await m.c.req('POST', EMAIL, { body: { email: 'not-an-email' } }), { email: 'invalid' });
    assertFieldErrors(await m.c.req('POST', EMAIL, { body: { email: m.email.toUpperCase() } }), { email: 'invalid' });
    assertFieldErrors(await m.c.req('POST', EMAIL, { body: { email: srv.admin.email } }), { email: 'taken' });
    assertFieldErrors(await m.c.req('POST', EMAIL, { body: { email: next, name: 'x' } }), { name: 'unknown_field' });

    const r = await m.c.req('POST', EMAIL, { body: { email: next } });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.email, m.email, 'nothing changed yet');
    assert.deepEqual({ ...r.body.pending, expires_at: undefined },
      { email: next, confirmed_current: false, confirmed_new: false, expires_at: undefined });
    const g = await m.c.req('GET', EMAIL);
    assert.equal(g.status, 200);
    assert.equal(g.body.pending.email, next);

    const toOld = await sink.waitFor(m.email, (x) => /Confirm the new sign-in email/.test(x.subject));
    const toNew = await sink.waitFor(next, (x) => /Confirm your new/.test(x.subject));
    assert.match(toOld.body, new RegExp(next.replace('.', '\\.')));
    const oldTok = linkToken(toOld.body);
    const newTok = linkToken(toNew.body);
    assert.ok(oldTok && newTok && oldTok !== newTok, 'one link per address');

    // Still the old address until both confirm.
    const anon = client(srv.base);
    assertFieldErrors(await anon.req('POST', CONFIRM, { body: {} }), { token: 'required' });
    assertProblem(await anon.req('POST', CONFIRM, { body: { token: 'x'.repeat(43) } }), 403, 'forbidden');
    const c1 = await anon.req('POST', CONFIRM, { body: { token: newTok } });
    assert.equal(c1.status, 200, c1.text);
    assert.deepEqual(c1.body, { email_changed: false, waiting_for: 'current' });
    assertProblem(await anon.req('POST', CONFIRM, { body: { token: newTok } }), 403, 'forbidden');
    await client(srv.base).login(m.email, m.password);

    const c2 = await anon.req('POST', CONFIRM, { body: { token: oldTok } });
    assert.equal(c2.status, 200, c2.text);
    assert.deepEqual(c2.body, { email_changed: true, waiting_for: null });
    await client(srv.base).login(next, m.password);
    const bad = await client(srv.base).req('POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
    assertProblem(bad, 401, 'unauthorized');
    const after = await m.c.req('GET', EMAIL);
    assert.equal(after.body.email, next);
    assert.equal(after.body.pending, null);

    const rows = (await admin.req('GET', '/api/v1/activity', { query: { entity: 'staff', entity_id: m.id } })).body.data;
    for (const a of ['email_change_requested', 'email_changed', 'reauth']) {
      assert.ok(rows.some((x) => x.action === a), `activity ${a}`);
    }
    const changed = rows.find((x) => x.action === 'email_changed');
    assert.deepEqual(changed.diff.email, { from: m.email, to: next });
  });

  it('one\'s own email cannot be changed through the staff record, even by an administrator', async () => {
    const g = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: admin.me.id } });
    const r = await admin.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: admin.me.id }, body: { email: `${uniq('self')}@example.test` }, headers: { 'If-Match': g.headers.get('etag') },
    });
    assertProblem(r, 403, 'forbidden');
    assert.match(r.body.detail, /Account security/);
  });

  it('an administrator changing another member\'s email tells the old address', async () => {
    const m = await member();
    const g = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: m.id } });
    const next = `${uniq('moved')}@example.test`;
    const r = await admin.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: m.id }, body: { email: next }, headers: { 'If-Match': g.headers.get('etag') },
    });
    assert.equal(r.status, 200, r.text);
    const notice = await sink.waitFor(m.email, (x) => /sign-in email of your account was changed/.test(x.body || ''));
    assert.match(notice.body, new RegExp(next.replace('.', '\\.')));
  });

  it('GET /auth/email: the current address and no pending change; 401 anonymously', async () => {
    const s = await staffClient(srv);
    const g = await s.req('GET', EMAIL);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.body, { email: srv.staff.email, pending: null });
    assertProblem(await client(srv.base).req('GET', EMAIL), 401, 'unauthorized');
    assertProblem(await client(srv.base).req('POST', EMAIL, { body: { email: 'a@example.test' } }), 401, 'unauthorized');
  });
});
