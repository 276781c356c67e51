// The weekly check's signals (issue 16, Utilities; src/admin/signals.c) and
// the system log (src/admin/system_log.c):
//   - a sign-in from an address new for the member (IPv4 /24, IPv6 /64;
//     the server trusts X-Forwarded-For from its loopback proxy here) flags
//     the sign-in's activity row, notifies the member and queues the
//     new_signin email; the first sign-in ever and the same /24 do not;
//   - a sign-in outside the working hours is flagged (no message);
//   - a burst of deletions by one actor is flagged, and the administrators
//     are notified once per burst;
//   - the activity list's saved filters (signal=...), each invalid setting;
//   - the system log, fed by a real 500 (a table the route reads renamed
//     under the running server), its filters, search, sort, 401 and 403.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, waitFor, uniq,
  raiseSeats, addRole, addMember,
} from './harness.mjs';

const ACTIVITY = '/api/v1/activity';
const SECURITY = '/api/v1/settings/{group}';
const SYSLOG = '/api/v1/system-log';

/* Signs c in as email from address ip (the trusted proxy's last hop). */
async function signIn(c, email, password, ip) {
  const r = await c.req('POST', '/api/v1/auth/login', {
    body: { email, password }, headers: { 'X-Forwarded-For': ip },
  });
  assert.equal(r.status, 200, r.text);
  return r;
}

/* "HH:MM" of minutes since midnight (mod a day); end 0 is written 24:00. */
function hhmm(min, end = false) {
  let m = ((min % 1440) + 1440) % 1440;
  if (end && m === 0) m = 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/* The newest sign-in row of member id (as the admin reads the log). */
async function lastLogin(admin, id) {
  const r = await admin.req('GET', ACTIVITY, {
    query: { entity: 'staff', entity_id: id, action: 'login', limit: 1 },
  });
  assert.equal(r.status, 200, r.text);
  return r.body.data[0];
}

async function setSecurity(admin, body) {
  const r = await admin.req('PATCH', SECURITY, { params: { group: 'security' }, body });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

describe('signals: sign-ins, mass deletions, saved filters', () => {
  let srv;
  let admin;

  before(async () => {
    srv = await startServer({ env: { ATRIUM_TRUST_PROXY: 'true' } });
    admin = await adminClient(srv);
    await raiseSeats(admin);
    // Every hour of every day is a working hour unless a test says not.
    await setSecurity(admin, { working_hours: '00:00-24:00', working_days: 'mon,tue,wed,thu,fri,sat,sun' });
  });

  after(async () => {
    await srv?.stop();
  });

  it('the security settings carry the working hours and the mass-deletion limits', async () => {
    const r = await admin.req('GET', SECURITY, { params: { group: 'security' } });
    assert.equal(r.status, 200, r.text);
    const keys = r.body.fields.map((f) => f.key);
    for (const k of ['working_hours', 'working_days', 'mass_delete_count', 'mass_delete_minutes']) {
      assert.ok(keys.includes(k), `security has ${k}: ${keys}`);
    }
    const d = Object.fromEntries(r.body.fields.map((f) => [f.key, f.default]));
    assert.equal(d.working_hours, '08:00-19:00');
    assert.equal(d.working_days, 'mon,tue,wed,thu,fri');
    assert.equal(d.mass_delete_count, 20);
    assert.equal(d.mass_delete_minutes, 10);
  });

  it('422 names each invalid setting, and nothing is written', async () => {
    const before = (await admin.req('GET', SECURITY, { params: { group: 'security' } })).body.values;
    const r = await admin.req('PATCH', SECURITY, {
      params: { group: 'security' },
      body: { working_hours: '19:00-25:00', working_days: 'mon,funday', mass_delete_count: 1, mass_delete_minutes: 0 },
    });
    assertFieldErrors(r, {
      working_hours: 'invalid', working_days: 'invalid', mass_delete_count: 'invalid', mass_delete_minutes: 'invalid',
    });
    for (const [k, v] of [['working_hours', '8-19'], ['working_hours', '08:00-08:00'], ['working_days', ''],
      ['working_days', 'mon,mon'], ['mass_delete_count', 10001], ['mass_delete_minutes', 1441],
      ['mass_delete_count', 'many'], ['working_hours', 9]]) {
      const one = await admin.req('PATCH', SECURITY, { params: { group: 'security' }, body: { [k]: v } });
      assertFieldErrors(one, { [k]: null });
    }
    const after = (await admin.req('GET', SECURITY, { params: { group: 'security' } })).body.values;
    assert.deepEqual(after, before);
    // Empty working hours: none (nothing is unusual).
    await setSecurity(admin, { working_hours: '' });
    await setSecurity(admin, { working_hours: '00:00-24:00' });
  });

  it('a sign-in from a new address is flagged, the member told in the app and by email', async () => {
    const m = await addMember(srv, admin, {}, 'roamer');
    // addMember signed the member in (from 127.0.0.1): their first sign-in
    // ever is not "new"; from now on 127.0.0.0/24 is known.
    const first = await lastLogin(admin, m.id);
    assert.deepEqual(first.signals, []);

    const c = client(srv.base);
    const email = m.record.email;
    const pw = `Temp-${email.split('@')[0]}-password-changed`;
    await signIn(c, email, pw, '198.51.100.7');
    let row = await lastLogin(admin, m.id);
    assert.equal(row.ip, '198.51.100.7');
    assert.deepEqual(row.signals, ['new_address']);

    // The same /24 is the same address.
    await signIn(c, email, pw, '198.51.100.200');
    row = await lastLogin(admin, m.id);
    assert.equal(row.ip, '198.51.100.200');
    assert.deepEqual(row.signals, []);

    // IPv6: a new /64, then another address of it.
    await signIn(c, email, pw, '2001:db8:1:2::1');
    assert.deepEqual((await lastLogin(admin, m.id)).signals, ['new_address']);
    await signIn(c, email, pw, '2001:db8:1:2:aaaa::9');
    assert.deepEqual((await lastLogin(admin, m.id)).signals, []);

    // The member's notification (one per new address), linking to where
    // they change the password and end sessions.
    const n = await c.req('GET', '/api/v1/notifications');
    assert.equal(n.status, 200, n.text);
    const mine = n.body.data.filter((x) => x.source === 'security');
    assert.equal(mine.length, 2, JSON.stringify(n.body.data));
    assert.ok(mine.some((x) => x.title.includes('198.51.100.7')), JSON.stringify(mine));
    assert.equal(mine[0].link, '/admin/profile/security');
    const v4 = mine.find((x) => x.title.includes('198.51.100.7'));
    assert.equal(v4.message.key, 'new_signin');
    assert.equal(v4.message.params.ip, '198.51.100.7');
    assert.match(v4.message.params.date, /^\d{4}-\d\d-\d\d$/);
    assert.match(v4.message.params.time, /^\d\d:\d\d$/);

    // The email, queued in the sign-in's transaction.
    const q = await admin.req('GET', '/api/v1/email-queue', { query: { template: 'new_signin', to: email } });
    assert.equal(q.status, 200, q.text);
    assert.equal(q.body.data.length, 2, JSON.stringify(q.body.data));
    assert.match(q.body.data[0].subject, /New sign-in/);

    // The saved filter lists exactly the flagged sign-ins of this member.
    const f = await admin.req('GET', ACTIVITY, { query: { signal: 'new_address', entity_id: m.id, entity: 'staff' } });
    assert.equal(f.status, 200, f.text);
    assert.deepEqual(f.body.data.map((e) => e.ip).sort(), ['198.51.100.7', '2001:db8:1:2::1']);
    for (const e of f.body.data) assert.ok(e.signals.includes('new_address'));
  });

  it('with 2FA, the sign-in is judged at the second step, not at the password', async () => {
    const m = await addMember(srv, admin, {}, 'twofactor');
    const e = await m.req('POST', '/api/v1/auth/2fa/enrol');
    assert.equal(e.status, 200, e.text);
    const code = OTPAuth.URI.parse(e.body.otpauth_uri).generate();
    const a = await m.req('POST', '/api/v1/auth/2fa/activate', { body: { code } });
    assert.equal(a.status, 200, a.text);
    const recovery = a.body.recovery_codes[0];

    const c = client(srv.base);
    const pw = `Temp-${m.record.email.split('@')[0]}-password-changed`;
    const first = await signIn(c, m.record.email, pw, '192.0.2.44');
    assert.equal(first.body.stage, 'mfa');
    const step1 = await admin.req('GET', ACTIVITY, {
      query: { entity: 'staff', entity_id: m.id, action: 'login_password', limit: 1 },
    });
    assert.equal(step1.body.data[0].ip, '192.0.2.44');
    assert.deepEqual(step1.body.data[0].signals, []);
    // A recovery code (the activation's TOTP step may not be used twice).
    const v = await c.req('POST', '/api/v1/auth/2fa/verify', {
      body: { code: recovery }, headers: { 'X-Forwarded-For': '192.0.2.44' },
    });
    assert.equal(v.status, 200, v.text);
    const done = await admin.req('GET', ACTIVITY, {
      query: { entity: 'staff', entity_id: m.id, action: 'login_recovery_code', limit: 1 },
    });
    assert.equal(done.body.data[0].ip, '192.0.2.44');
    assert.deepEqual(done.body.data[0].signals, ['new_address']);
    const q = await admin.req('GET', '/api/v1/email-queue', { query: { template: 'new_signin', to: m.record.email } });
    assert.equal(q.body.data.length, 1);
  });

  it('an address the server cannot read is never "new"', async () => {
    const m = await addMember(srv, admin, {}, 'proxyless');
    const c = client(srv.base);
    const pw = `Temp-${m.record.email.split('@')[0]}-password-changed`;
    // Not an address: the proxy's hop is ignored, the socket's is used.
    await signIn(c, m.record.email, pw, 'not-an-address');
    const row = await lastLogin(admin, m.id);
    assert.equal(row.ip, '127.0.0.1');
    assert.deepEqual(row.signals, []);
  });

  it('a sign-in outside the working hours is flagged, without a message', async () => {
    const m = await addMember(srv, admin, {}, 'nightowl');
    const c = client(srv.base);
    const pw = `Temp-${m.record.email.split('@')[0]}-password-changed`;
    const now = new Date();
    const min = now.getUTCHours() * 60 + now.getUTCMinutes();
    // The organisation's zone is UTC (the default): two hours that are not now.
    await setSecurity(admin, { working_hours: `${hhmm(min + 120)}-${hhmm(min + 180, true)}` });
    await signIn(c, m.record.email, pw, '127.0.0.1');
    let row = await lastLogin(admin, m.id);
    assert.deepEqual(row.signals, ['unusual_hours']);
    const f = await admin.req('GET', ACTIVITY, { query: { signal: 'unusual_hours', entity: 'staff', entity_id: m.id } });
    assert.equal(f.status, 200, f.text);
    assert.equal(f.body.data.length, 1);
    assert.equal(f.body.data[0].id, row.id);

    // Hours around now: not flagged.
    await setSecurity(admin, { working_hours: `${hhmm(min - 120)}-${hhmm(min + 120, true)}` });
    await signIn(c, m.record.email, pw, '127.0.0.1');
    row = await lastLogin(admin, m.id);
    assert.deepEqual(row.signals, []);

    // A day that is not a working day, at any hour.
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const others = days.filter((_, i) => i !== now.getUTCDay() && i !== (now.getUTCDay() + 1) % 7
      && i !== (now.getUTCDay() + 6) % 7);
    await setSecurity(admin, { working_hours: '00:00-24:00', working_days: others.join(',') });
    await signIn(c, m.record.email, pw, '127.0.0.1');
    assert.deepEqual((await lastLogin(admin, m.id)).signals, ['unusual_hours']);
    await setSecurity(admin, { working_days: days.join(',') });

    // No message for an unusual hour.
    const n = await c.req('GET', '/api/v1/notifications');
    assert.equal(n.body.data.filter((x) => x.source === 'security').length, 0);
  });

  it('a burst of deletions is flagged, and administrators are told once per burst', async () => {
    await setSecurity(admin, { mass_delete_count: 5, mass_delete_minutes: 10 });
    const role = await addRole(admin, uniq('Deleter'), { leads: ['view', 'create', 'delete'] });
    const del = await addMember(srv, admin, { role_id: role.id }, 'deleter');
    const calm = await addMember(srv, admin, { role_id: role.id }, 'calm');
    const make = async (c, n) => {
      const ids = [];
      for (let i = 0; i < n; i++) {
        const r = await c.req('POST', '/api/v1/leads', { body: { name: uniq('doomed') } });
        assert.equal(r.status, 201, r.text);
        ids.push(r.body.id);
      }
      return ids;
    };
    const remove = async (c, ids) => {
      for (const id of ids) {
        const r = await c.req('DELETE', '/api/v1/leads/{id}', { params: { id } });
        assert.equal(r.status, 204, r.text);
      }
    };
    const bursts = async () => (await admin.req('GET', '/api/v1/notifications')).body.data
      .filter((x) => x.source === 'security' && x.title.startsWith('Mass deletion'));

    // Four deletions by one member, four by another: below the limit.
    await remove(del, await make(del, 4));
    await remove(calm, await make(calm, 4));
    let f = await admin.req('GET', ACTIVITY, { query: { signal: 'mass_delete' } });
    assert.equal(f.status, 200, f.text);
    assert.equal(f.body.data.length, 0, JSON.stringify(f.body.data));
    assert.equal((await bursts()).length, 0);

    // The fifth opens the burst: all five flagged, one notification.
    await remove(del, await make(del, 1));
    f = await admin.req('GET', ACTIVITY, { query: { signal: 'mass_delete' } });
    assert.equal(f.body.data.length, 5, JSON.stringify(f.body.data));
    for (const e of f.body.data) {
      assert.equal(e.action, 'delete');
      assert.equal(e.actor_id, del.id);
      assert.deepEqual(e.signals, ['mass_delete']);
    }
    let n = await bursts();
    assert.equal(n.length, 1);
    assert.match(n[0].title, /deleted 5 records within 10 minutes/);
    // The message the web UI shows in the reader's language.
    assert.deepEqual(n[0].message, {
      key: 'mass_delete', params: { actor: del.record.name, n: 5, minutes: 10, count: 5 },
    });
    assert.equal(n[0].link, `/admin/utilities/activity_log?signal=mass_delete&actor_id=${del.id}`);

    // More deletions of the same burst: flagged, no second notification.
    await remove(del, await make(del, 3));
    f = await admin.req('GET', ACTIVITY, { query: { signal: 'mass_delete', actor_id: del.id } });
    assert.equal(f.body.data.length, 8);
    n = await bursts();
    assert.equal(n.length, 1);
    // The calm member's deletions stay unflagged.
    f = await admin.req('GET', ACTIVITY, { query: { signal: 'mass_delete', actor_id: calm.id } });
    assert.equal(f.body.data.length, 0);
    await setSecurity(admin, { mass_delete_count: 20, mass_delete_minutes: 10 });
  });

  it('the saved filters refuse what they do not know', async () => {
    assertProblem(await admin.req('GET', ACTIVITY, { query: { signal: 'odd' } }), 400, 'malformed');
    assertProblem(await admin.req('GET', ACTIVITY, { query: 'signal[ne]=mass_delete' }), 400, 'malformed');
    // The export takes the same filter.
    const x = await admin.req('GET', '/api/v1/activity/export', { query: { signal: 'new_address' } });
    assert.equal(x.status, 200, x.text);
    assert.match(x.text, /198\.51\.100\.7/);
    assert.doesNotMatch(x.text, /127\.0\.0\.1/);
  });

  it('a member without activity.view gets 403; without a session 401', async () => {
    const staff = await staffClient(srv);
    assertProblem(await staff.req('GET', ACTIVITY, { query: { signal: 'mass_delete' } }), 403, 'forbidden');
    assertProblem(await client(srv.base).req('GET', ACTIVITY, { query: { signal: 'mass_delete' } }), 401, 'unauthorized');
    assertProblem(await client(srv.base).req('PATCH', SECURITY, { params: { group: 'security' }, body: { working_hours: '' } }),
      401, 'unauthorized');
    assertProblem(await staff.req('PATCH', SECURITY, { params: { group: 'security' }, body: { working_hours: '' } }),
      403, 'forbidden');
  });
});

describe('system log', () => {
  let srv;
  let admin;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
  });

  after(async () => {
    await srv?.stop();
  });

  it('401 without a session, 403 without the permission', async () => {
    assertProblem(await client(srv.base).req('GET', SYSLOG), 401, 'unauthorized');
    const staff = await staffClient(srv);
    assertProblem(await staff.req('GET', SYSLOG), 403, 'forbidden');
  });

  it('a 500 is written with its request id, route, method, node and message; never the body', async () => {
    // A real fault: the table the route reads is renamed under the server.
    const mv = srv.sql('ALTER TABLE payment_mode RENAME TO payment_mode_away');
    assert.equal(mv.status, 0, mv.stderr);
    let bad;
    try {
      bad = await admin.req('GET', '/api/v1/payment_modes', { query: { limit: 5 } });
    } finally {
      const back = srv.sql('ALTER TABLE payment_mode_away RENAME TO payment_mode');
      assert.equal(back.status, 0, back.stderr);
    }
    assertProblem(bad, 500, 'internal');
    const rid = bad.body.request_id;
    const row = await waitFor(async () => {
      const r = await admin.req('GET', SYSLOG, { query: { request_id: rid } });
      assert.equal(r.status, 200, r.text);
      return r.body.data[0];
    }, { what: 'the system log row of the 500' });
    assert.equal(row.status, 500);
    assert.equal(row.method, 'GET');
    assert.equal(row.route, '/api/v1/payment_modes');
    assert.equal(row.request_id, rid);
    assert.match(row.node, /^.+:\d+$/);
    assert.match(row.message, /payment_mode/);
    assert.doesNotMatch(row.message, /request_id=/);
    assert.deepEqual(Object.keys(row).sort(),
      ['at', 'id', 'message', 'method', 'node', 'request_id', 'route', 'status']);

    // A good request writes nothing.
    const ok = await admin.req('GET', '/api/v1/payment_modes');
    assert.equal(ok.status, 200, ok.text);
    const none = await admin.req('GET', SYSLOG, { query: { request_id: ok.headers.get('x-request-id') } });
    assert.equal(none.body.data.length, 0);

    // Filters, search and sort through the list engine.
    const s = await admin.req('GET', SYSLOG, { query: { 'status[gte]': 500, q: 'payment_mode', sort: '-at', method: 'GET' } });
    assert.equal(s.status, 200, s.text);
    assert.ok(s.body.data.some((x) => x.request_id === rid));
    assert.equal(typeof s.body.total, 'number');
    const miss = await admin.req('GET', SYSLOG, { query: { 'status[lt]': 500 } });
    assert.equal(miss.body.data.filter((x) => x.request_id === rid).length, 0);

    // The list engine's export of the same selection.
    const csv = await admin.req('GET', SYSLOG, { query: { request_id: rid, format: 'csv' } });
    assert.equal(csv.status, 200, csv.text);
    assert.match(csv.text, new RegExp(rid));
    assert.match(csv.text, /\/api\/v1\/payment_modes/);
  });

  it('a request body never reaches the system log', async () => {
    const mv = srv.sql('ALTER TABLE payment_mode RENAME TO payment_mode_away');
    assert.equal(mv.status, 0, mv.stderr);
    let bad;
    const secret = uniq('body-secret');
    try {
      bad = await admin.req('POST', '/api/v1/payment_modes', { body: { name: secret, description: `password=${secret}` } });
    } finally {
      const back = srv.sql('ALTER TABLE payment_mode_away RENAME TO payment_mode');
      assert.equal(back.status, 0, back.stderr);
    }
    assertProblem(bad, 500, 'internal');
    const row = await waitFor(async () => (await admin.req('GET', SYSLOG, { query: { request_id: bad.body.request_id } })).body.data[0],
      { what: 'the system log row of the POST' });
    assert.equal(row.method, 'POST');
    assert.equal(row.status, 500);
    const all = await admin.req('GET', SYSLOG, { query: { limit: 200 } });
    assert.doesNotMatch(JSON.stringify(all.body), new RegExp(secret));
    const text = srv.sql('SELECT message FROM system_log');
    assert.doesNotMatch(text.stdout, new RegExp(secret));
  });

  it('keeps the newest 10,000 entries', async () => {
    // Old entries put in directly, as if logged long ago.
    const fill = srv.sql(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10010)
      INSERT INTO system_log (at, node, message) SELECT '2026-01-01T00:00:00.000Z', 'old:1', 'old entry' FROM n`);
    assert.equal(fill.status, 0, fill.stderr);
    srv.sql('ALTER TABLE payment_mode RENAME TO payment_mode_away');
    let bad;
    try {
      bad = await admin.req('GET', '/api/v1/payment_modes');
    } finally {
      srv.sql('ALTER TABLE payment_mode_away RENAME TO payment_mode');
    }
    assertProblem(bad, 500, 'internal');
    await waitFor(async () => (await admin.req('GET', SYSLOG, { query: { request_id: bad.body.request_id } })).body.data.length,
      { what: 'the newest row' });
    const r = await admin.req('GET', SYSLOG, { query: { limit: 1 } });
    assert.equal(r.body.total, 10000);
    assert.equal(r.body.data[0].request_id, bad.body.request_id);
    const oldest = await admin.req('GET', SYSLOG, { query: { limit: 1, sort: 'id' } });
    assert.equal(oldest.body.data[0].message, 'old entry');
  });

  it('bad list parameters are 400', async () => {
    assertProblem(await admin.req('GET', SYSLOG, { query: { colour: 'red' } }), 400, 'malformed');
    assertProblem(await admin.req('GET', SYSLOG, { query: { 'status[gte]': 'high' } }), 400, 'malformed');
    assertProblem(await admin.req('GET', SYSLOG, { query: { sort: 'message' } }), 400, 'malformed');
    assertProblem(await admin.req('GET', SYSLOG, { query: { limit: 1000 } }), 400, 'malformed');
  });
});
