// Input hardening (issue 8, items 8, 10, 15, 16): passwords that repeat one
// non-ASCII character are weak; one-line fields refuse line breaks and
// control characters; sessions per member are capped; references to
// staff, departments and teams outside the caller's view are answered as
// any other invalid id; and the rest of what a new administrator tripped
// over (last sign-in, "Invited", ISO codes, lengths, the staff directory).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq, waitFor, ISO_MS,
  startSmtpSink, configureSmtp, BIN,
} from './harness.mjs';
import { addMember, addRole, raiseSeats } from './staff-helpers.mjs';

describe('input hardening', () => {
  let srv;
  let admin;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
  });
  after(async () => { await srv?.stop(); });

  it('a password of one repeated emoji (or Cyrillic letter) is weak', async () => {
    for (const pw of ['😀'.repeat(15), 'Ж'.repeat(16), '😀😁'.repeat(8)]) {
      const r = await admin.req('POST', '/api/v1/staff', {
        body: { email: `${uniq('emoji')}@example.test`, name: 'Emoji Test', temporary_password: pw },
      });
      assertFieldErrors(r, { temporary_password: 'weak' });
    }
  });

  it('one-line fields refuse CR, LF and other control characters; multi-line fields keep line breaks', async () => {
    const evil = ['Ana\r\nBcc: victim@example.test', 'Ana\nPop', 'Ana\tPop', 'Ana\u0085Pop', 'Ana\u2028Pop', 'Ana\u007fPop'];
    for (const name of evil) {
      assertFieldErrors(await admin.req('POST', '/api/v1/staff', { body: { email: `${uniq('cr')}@example.test`, name } }),
        { name: 'invalid' });
      assertFieldErrors(await admin.req('POST', '/api/v1/leads', { body: { name } }), { name: 'invalid' });
      assertFieldErrors(await admin.req('POST', '/api/v1/departments', { body: { name } }), { name: 'invalid' });
      assertFieldErrors(await admin.req('POST', '/api/v1/roles', { body: { name } }), { name: 'invalid' });
      assertFieldErrors(await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'company' }, body: { company_name: name } }),
        { company_name: 'invalid' });
    }
    const ok = await admin.req('POST', '/api/v1/leads', { body: { name: `Multi ${uniq()}`, notes: 'line one\r\nline two\tend' } });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.notes, 'line one\r\nline two\tend');
  });

  it('a member has at most 20 live sessions: signing in again ends the oldest', async () => {
    const m = await addMember(srv, admin, null, 'sess');
    const first = client(srv.base);
    await first.login(m.email, m.password);
    for (let i = 0; i < 20; i++) await client(srv.base).login(m.email, m.password);
    const n = srv.sql(`SELECT COUNT(*) FROM session WHERE staff_id = ${m.id}`).stdout;
    assert.equal(n, '20');
    assertProblem(await first.req('GET', '/api/v1/auth/me'), 401, 'unauthorized');
  });

  it('a staff id outside the directory (absent, deactivated) gets one answer, so none can be probed', async () => {
    const role = await addRole(admin, uniq('Sales '), { leads: ['view_own', 'create', 'edit'] });
    const sales = await addMember(srv, admin, role.id, 'probe');
    const gone = await addMember(srv, admin, null, 'gone');
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: gone.id } });
    assert.equal(d.status, 200, d.text);
    const answers = [];
    for (const id of [gone.id, 987654321]) {
      const r = await sales.req('POST', '/api/v1/leads', { body: { name: `Probe ${uniq()}`, assigned_to: id } });
      assertFieldErrors(r, { assigned_to: 'not_found' });
      answers.push(r.body.errors.find((e) => e.field === 'assigned_to').detail.replace(String(id), 'N'));
    }
    assert.equal(answers[0], answers[1], 'the same answer for a deactivated and an absent member');
    const ok = await sales.req('POST', '/api/v1/leads', { body: { name: `Mine ${uniq()}`, assigned_to: sales.id } });
    assert.equal(ok.status, 201, ok.text);
  });

  it('a department or team the caller cannot see is answered as one that does not exist', async () => {
    const dep = await admin.req('POST', '/api/v1/departments', { body: { name: `Hidden ${uniq()}` } });
    assert.equal(dep.status, 201, dep.text);
    const hrRole = await addRole(admin, uniq('HR '), { staff: ['view', 'create', 'edit'] });
    const hr = await addMember(srv, admin, hrRole.id, 'hrprobe');
    const answers = [];
    for (const id of [dep.body.id, 987654321]) {
      const r = await hr.req('POST', '/api/v1/staff', {
        body: { email: `${uniq('n')}@example.test`, name: 'New Hire', department_ids: [id] },
      });
      assertFieldErrors(r, { department_ids: 'not_found' });
      answers.push(r.body.errors[0].detail.replace(String(id), 'N'));
    }
    assert.equal(answers[0], answers[1]);
  });
});

describe('last sign-in and "Invited" (item 10)', () => {
  let srv;
  let admin;
  let sink;
  before(async () => {
    srv = await startServer({ staff: false });
    sink = await startSmtpSink(srv.dir);
  });
  after(async () => {
    await sink?.stop();
    await srv?.stop();
  });

  const lastLogin = async (id) => (await admin.req('GET', '/api/v1/staff/{id}', { params: { id } })).body;

  it('setup, an invitation link and a reset link each count as a sign-in; the invited are not inactive', async () => {
    const token = await waitFor(() => {
      const m = /\/setup#token=([A-Za-z0-9_-]+)/.exec(srv.output());
      return m && m[1];
    }, { what: 'the setup link' });
    const c = client(srv.base);
    const s = await c.req('POST', '/api/v1/setup', {
      body: { token, email: 'first@example.test', name: 'First Admin', password: 'granite-orbit-lantern-5512' },
    });
    assert.equal(s.status, 201, s.text);
    admin = c;
    await configureSmtp(admin, sink);
    const me = await lastLogin(s.body.staff.id);
    assert.match(me.last_login || '', ISO_MS, 'setup signed the administrator in');
    assert.equal(me.invited, false);

    // Invited: added without a password; not "inactive" until they had the chance.
    const add = srv.cli(['staff', 'add', '--email', 'invitee@example.test', '--name', 'Ivy Invitee']);
    assert.equal(add.status, 0, add.stderr);
    const setTok = /\/set-password#token=([A-Za-z0-9_-]+)/.exec(add.stdout)[1];
    const list = await admin.req('GET', '/api/v1/staff', { query: { q: 'invitee' } });
    const ivy = list.body.data[0];
    assert.equal(ivy.invited, true);
    assert.equal(ivy.last_login, null);
    const inactive = await admin.req('GET', '/api/v1/staff', { query: { inactive_days: 90 } });
    assert.ok(!inactive.body.data.some((x) => x.id === ivy.id), 'an invited member is not listed as inactive');

    const p = await client(srv.base).req('POST', '/api/v1/auth/password/set', { body: { token: setTok, password: 'violet-harbor-cinder-7345' } });
    assert.equal(p.status, 200, p.text);
    const after = await lastLogin(ivy.id);
    assert.match(after.last_login || '', ISO_MS, 'the invitation link signed them in');
    assert.equal(after.invited, false);

    // A reset link signs in too.
    const old = new Date(Date.now() - 100 * 86400000).toISOString();
    assert.equal(srv.sql(`UPDATE staff SET last_login_at = '${old}' WHERE id = ${ivy.id}`).status, 0);
    assert.ok((await admin.req('GET', '/api/v1/staff', { query: { inactive_days: 90 } })).body.data.some((x) => x.id === ivy.id));
    const f = await client(srv.base).req('POST', '/api/v1/auth/password/forgot', { body: { email: 'invitee@example.test' } });
    assert.equal(f.status, 202);
    const mail = await sink.waitFor('invitee@example.test', (m) => /reset-password#token=/.test(m.body));
    const resetTok = /reset-password#token=([A-Za-z0-9_-]+)/.exec(mail.body)[1];
    const r = await client(srv.base).req('POST', '/api/v1/auth/password/reset', { body: { token: resetTok, password: 'amber-walrus-pylon-2209' } });
    assert.equal(r.status, 200, r.text);
    assert.ok(Date.parse((await lastLogin(ivy.id)).last_login) > Date.parse(old), 'the reset link counted');
    assert.ok(!(await admin.req('GET', '/api/v1/staff', { query: { inactive_days: 90 } })).body.data.some((x) => x.id === ivy.id));
  });
});

describe('codes, lengths and names (item 15)', () => {
  let srv;
  let admin;
  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
  });
  after(async () => { await srv?.stop(); });

  it('country and currency must be ISO codes: XYZ, DOL and UK are refused, GE stays Georgia', async () => {
    assertFieldErrors(await admin.req('POST', '/api/v1/leads', { body: { name: 'Codes', currency: 'XYZ' } }), { currency: 'invalid' });
    assertFieldErrors(await admin.req('POST', '/api/v1/leads', { body: { name: 'Codes', currency: 'DOL' } }), { currency: 'invalid' });
    assertFieldErrors(await admin.req('POST', '/api/v1/clients', { body: { company: 'Codes', country: 'UK', default_currency: 'XYZ' } }),
      { country: 'invalid', default_currency: 'invalid' });
    const ok = await admin.req('POST', '/api/v1/clients', { body: { company: `Tbilisi ${uniq()}`, country: 'GE', default_currency: 'GEL' } });
    assert.equal(ok.status, 201, ok.text);
    const list = await admin.req('GET', '/api/v1/reference/countries');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data.find((c) => c.code === 'GE'), { code: 'GE', name: 'Georgia' });
    assert.deepEqual(list.body.data.find((c) => c.code === 'DE'), { code: 'DE', name: 'Germany' });
    assert.ok(list.body.data.length >= 249);
    const cur = await (await staffClient(srv)).req('GET', '/api/v1/reference/currencies');
    assert.equal(cur.status, 200, 'any signed-in member may read the lists');
    assert.deepEqual(cur.body.data.find((c) => c.code === 'EUR'), { code: 'EUR', name: 'Euro' });
    assert.ok(!cur.body.data.some((c) => c.code === 'XTS' || c.code === 'XXX'), 'no testing or no-currency codes');
    for (const p of ['/api/v1/reference/countries', '/api/v1/reference/currencies']) {
      assertProblem(await client(srv.base).req('GET', p), 401, 'unauthorized');
    }
  });

  it('too long is refused, counted in characters, never cut', async () => {
    const name = 'ă'.repeat(200);
    const ok = await admin.req('POST', '/api/v1/leads', { body: { name } });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.name, name, '200 two-byte characters are 200 characters');
    const r = await admin.req('POST', '/api/v1/leads', { body: { name: `${name}x` } });
    assertFieldErrors(r, { name: 'too_long' });
    assert.match(r.body.errors[0].detail, /200 characters/);
    assertFieldErrors(await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'company' },
      body: { company_name: 'c'.repeat(201) } }), { company_name: 'too_long' });
  });

  it('department, team and role names are unique whatever their letter case', async () => {
    const base = uniq('Sales');
    for (const [path, body] of [['/api/v1/departments', (n) => ({ name: n })], ['/api/v1/teams', (n) => ({ name: n })],
      ['/api/v1/roles', (n) => ({ name: n })]]) {
      const a = await admin.req('POST', path, { body: body(base) });
      assert.equal(a.status, 201, a.text);
      assertFieldErrors(await admin.req('POST', path, { body: body(base.toUpperCase()) }), { name: 'taken' });
      assertFieldErrors(await admin.req('POST', path, { body: body(base.toLowerCase()) }), { name: 'taken' });
    }
  });
});

describe('the staff directory (item 16)', () => {
  let srv;
  let admin;
  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
  });
  after(async () => { await srv?.stop(); });

  it('any signed-in member reads the active members, id and name only', async () => {
    const gone = await addMember(srv, admin, null, 'dirgone');
    assert.equal((await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: gone.id } })).status, 200);
    const staff = await staffClient(srv); // no role at all
    assertProblem(await staff.req('GET', '/api/v1/staff'), 403, 'forbidden');
    const r = await staff.req('GET', '/api/v1/directory');
    assert.equal(r.status, 200, r.text);
    for (const x of r.body.data) assert.deepEqual(Object.keys(x).sort(), ['id', 'name']);
    const names = r.body.data.map((x) => x.name);
    assert.ok(names.includes(srv.admin.name) && names.includes(srv.staff.name), 'colleagues and oneself');
    assert.ok(!r.body.data.some((x) => x.id === gone.id), 'no deactivated member');
    assert.deepEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())), names, 'by name');
    assertProblem(await staff.req('GET', '/api/v1/directory', { query: { q: 'x' } }), 400, 'malformed');
    assertProblem(await client(srv.base).req('GET', '/api/v1/directory'), 401, 'unauthorized');
  });
});

describe('atrium migrate in a fresh directory (item 19)', () => {
  it('creates ./var, the master key and the database with the defaults', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-fresh-'));
    try {
      const env = { ...process.env };
      delete env.ATRIUM_MASTER_KEY;
      delete env.ATRIUM_DB;
      const r = spawnSync(BIN, ['migrate'], { cwd: dir, env, encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /created the master key file/);
      assert.ok(fs.statSync(path.join(dir, 'var')).isDirectory());
      assert.equal(fs.statSync(path.join(dir, 'var')).mode & 0o777, 0o700);
      assert.equal(fs.statSync(path.join(dir, 'var', 'master.key')).mode & 0o777, 0o600);
      assert.ok(fs.existsSync(path.join(dir, 'var', 'atrium.db')));
      const again = spawnSync(BIN, ['migrate'], { cwd: dir, env, encoding: 'utf8' });
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /0 migrations applied/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
