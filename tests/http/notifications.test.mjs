// In-app notifications (src/admin/notification.c): a member's own list,
// newest first, with the unread filter and paging; the unread count the
// web UI's bell polls (which does not extend the session); marking one or
// all read; nobody reads or marks another member's; an API token acting
// as its member; and `atrium notify`, the operator's way to add one (and
// the tests' way: nothing else in the product adds them yet).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, uniq, ISO_MS, raiseSeats, addMember,
} from './harness.mjs';

const LIST = '/api/v1/notifications';
const UNREAD = '/api/v1/notifications/unread';
const READ = '/api/v1/notifications/{id}/read';
const READ_ALL = '/api/v1/notifications/read_all';
const FIELDS = ['body', 'created_at', 'id', 'link', 'message', 'read_at', 'source', 'title'];

describe('notifications', () => {
  let srv;
  let admin;
  let staff;

  /* Adds a notification with `atrium notify`; returns the CLI's result. */
  function notify(args) {
    return srv.cli(['notify', ...args]);
  }

  /* Adds one for member id and returns it as the member's list shows it. */
  async function notifyMember(c, title, extra = []) {
    const r = notify(['--staff', String(c.me.id), '--title', title, ...extra]);
    assert.equal(r.status, 0, r.stderr);
    const l = await c.req('GET', LIST, { query: { limit: 1 } });
    assert.equal(l.status, 200, l.text);
    return l.body.data[0];
  }

  const unread = async (c) => {
    const r = await c.req('GET', UNREAD);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body), ['count']);
    return r.body.count;
  };

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    await raiseSeats(admin);
  });

  after(async () => {
    await srv?.stop();
  });

  it('401 without a session on every route', async () => {
    const anon = client(srv.base);
    assertProblem(await anon.req('GET', LIST), 401, 'unauthorized');
    assertProblem(await anon.req('GET', UNREAD), 401, 'unauthorized');
    assertProblem(await anon.req('POST', READ, { params: { id: 1 } }), 401, 'unauthorized');
    assertProblem(await anon.req('POST', READ_ALL), 401, 'unauthorized');
  });

  it('lists the member\'s own, newest first, with the documented fields; the title stays text', async () => {
    const m = await addMember(srv, admin);
    const empty = await m.req('GET', LIST);
    assert.equal(empty.status, 200, empty.text);
    assert.deepEqual(empty.body.data, []);
    assert.equal(empty.body.total, 0);
    assert.equal(await unread(m), 0);

    const first = await notifyMember(m, 'Maintenance <b>x</b> tonight', [
      '--body', 'From 22:00\r\nto 23:00\u0007', '--link', '/admin/leads?status=new']);
    const second = await notifyMember(m, 'Second\r\nline');
    const r = await m.req('GET', LIST);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.data.map((x) => x.id), [second.id, first.id]);
    assert.equal(r.body.total, 2);
    assert.equal(r.body.limit, 25);
    assert.equal(r.body.offset, 0);
    assert.equal(r.body.has_more, false);
    for (const n of r.body.data) assert.deepEqual(Object.keys(n).sort(), FIELDS);
    assert.ok(r.body.data.every((n) => n.message === null), 'atrium notify names no message: the text is shown as written');
    assert.equal(first.title, 'Maintenance <b>x</b> tonight', 'markup is kept as text, never escaped or interpreted');
    assert.equal(first.body, 'From 22:00\nto 23:00', 'line breaks kept, other control characters removed');
    assert.equal(first.link, '/admin/leads?status=new');
    assert.equal(first.source, 'cli');
    assert.match(first.created_at, ISO_MS);
    assert.equal(first.read_at, null);
    assert.equal(second.title, 'Second line', 'one line: control characters become a space');
    assert.equal(second.body, null);
    assert.equal(second.link, null);
    assert.equal(await unread(m), 2);
  });

  it('marks one read (204, once: the first time is kept), then all; the unread filter and count follow', async () => {
    const m = await addMember(srv, admin);
    const a = await notifyMember(m, uniq('a'));
    const b = await notifyMember(m, uniq('b'));
    const c = await notifyMember(m, uniq('c'));
    assert.equal(await unread(m), 3);

    const r = await m.req('POST', READ, { params: { id: b.id } });
    assert.equal(r.status, 204, r.text);
    assert.equal(r.text, '');
    assert.equal(await unread(m), 2);
    const readOnes = await m.req('GET', LIST, { query: { unread: 'false' } });
    assert.deepEqual(readOnes.body.data.map((x) => x.id), [b.id]);
    assert.equal(readOnes.body.total, 1);
    const readAt = readOnes.body.data[0].read_at;
    assert.match(readAt, ISO_MS);
    const unreadOnes = await m.req('GET', LIST, { query: { unread: 'true' } });
    assert.deepEqual(unreadOnes.body.data.map((x) => x.id), [c.id, a.id]);
    assert.equal(unreadOnes.body.total, 2);

    // Again: still 204, and read_at is when it was first read.
    const again = await m.req('POST', READ, { params: { id: b.id } });
    assert.equal(again.status, 204, again.text);
    const after = await m.req('GET', LIST, { query: { unread: 'false' } });
    assert.equal(after.body.data[0].read_at, readAt);

    // The session's CSRF token is needed, as on every unsafe request.
    assertProblem(await m.req('POST', READ, { params: { id: a.id }, csrf: false }), 403, 'forbidden');
    assertProblem(await m.req('POST', READ_ALL, { csrf: false }), 403, 'forbidden');
    assert.equal(await unread(m), 2);

    const all = await m.req('POST', READ_ALL);
    assert.equal(all.status, 204, all.text);
    assert.equal(await unread(m), 0);
    const none = await m.req('GET', LIST, { query: { unread: 'true' } });
    assert.deepEqual(none.body.data, []);
    const list = await m.req('GET', LIST);
    assert.ok(list.body.data.every((x) => ISO_MS.test(x.read_at)), list.text);
    assert.equal(list.body.data.find((x) => x.id === b.id).read_at, readAt, 'read_all leaves the read ones alone');
    assert.equal((await m.req('POST', READ_ALL)).status, 204, 'nothing left to mark: still 204');
    // An empty JSON body is accepted too; anything in it is not.
    assert.equal((await m.req('POST', READ_ALL, { body: {} })).status, 204);
    assertProblem(await m.req('POST', READ, { params: { id: a.id }, body: { read: true } }), 422, 'validation');
  });

  it('another member\'s notification is neither listed nor markable (404, like an absent one)', async () => {
    const mine = await notifyMember(staff, uniq('staff only'));
    const theirs = await notifyMember(admin, uniq('admin only'));
    const l = await staff.req('GET', LIST, { query: { limit: 100 } });
    assert.ok(l.body.data.some((x) => x.id === mine.id));
    assert.ok(!l.body.data.some((x) => x.id === theirs.id), 'the admin\'s is not in the member\'s list');
    const before = await unread(admin);

    const r = await staff.req('POST', READ, { params: { id: theirs.id } });
    assertProblem(r, 404, 'not-found');
    const absent = await staff.req('POST', READ, { params: { id: 987654321 } });
    assertProblem(absent, 404, 'not-found');
    assert.equal(absent.body.title, r.body.title);
    assert.equal((await staff.req('POST', READ_ALL)).status, 204);

    // The admin's is still unread: neither call touched it.
    assert.equal(await unread(admin), before);
    const a = await admin.req('GET', LIST, { query: { unread: 'true', limit: 100 } });
    assert.ok(a.body.data.some((x) => x.id === theirs.id), a.text);
    assert.ok(!a.body.data.some((x) => x.id === mine.id), 'and the member\'s is not in the admin\'s');
  });

  it('pages by limit and offset or cursor; limit is 1..100; every bad parameter is a 400 naming it', async () => {
    const m = await addMember(srv, admin);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.unshift((await notifyMember(m, `page ${i}`)).id);
    const p1 = await m.req('GET', LIST, { query: { limit: 2 } });
    assert.equal(p1.status, 200, p1.text);
    assert.deepEqual(p1.body.data.map((x) => x.id), ids.slice(0, 2));
    assert.equal(p1.body.has_more, true);
    assert.equal(p1.body.total, 5);
    assert.equal(typeof p1.body.next_cursor, 'string');
    const p2 = await m.req('GET', LIST, { query: { limit: 2, offset: 2 } });
    assert.deepEqual(p2.body.data.map((x) => x.id), ids.slice(2, 4));
    assert.equal(p2.body.offset, 2);
    const c2 = await m.req('GET', LIST, { query: { limit: 2, cursor: p1.body.next_cursor } });
    assert.deepEqual(c2.body.data.map((x) => x.id), ids.slice(2, 4));
    const p3 = await m.req('GET', LIST, { query: { limit: 2, offset: 4 } });
    assert.deepEqual(p3.body.data.map((x) => x.id), ids.slice(4));
    assert.equal(p3.body.has_more, false);
    assert.equal(p3.body.next_cursor, null);
    const max = await m.req('GET', LIST, { query: { limit: 100 } });
    assert.equal(max.status, 200, max.text);
    assert.equal(max.body.limit, 100);

    const bad = [
      [{ limit: 0 }, 'limit'], [{ limit: 101 }, 'limit'], [{ limit: 'ten' }, 'limit'], [{ offset: -1 }, 'offset'],
      [{ unread: 'yes' }, 'unread'], [{ 'unread[ne]': 'true' }, 'unread'], [{ colour: 'red' }, 'colour'],
      [{ sort: 'title' }, 'title'], [{ cursor: 'forged' }, 'cursor'], [{ q: 'x' }, 'q'],
    ];
    for (const [query, name] of bad) {
      const r = await m.req('GET', LIST, { query });
      assertProblem(r, 400, 'malformed');
      assert.ok(r.body.detail.includes(name), `${JSON.stringify(query)}: the detail names '${name}': ${r.body.detail}`);
    }
  });

  it('the unread count does not extend the session (the bell polls it); the list does', async () => {
    const m = await addMember(srv, admin);
    await notifyMember(m, uniq('poll'));
    const old = new Date(Date.now() - 20 * 60000).toISOString();
    assert.equal(srv.sql(`UPDATE session SET last_seen_at = '${old}' WHERE staff_id = ${m.id}`).status, 0);
    assert.equal(await unread(m), 1);
    const clock = await m.req('GET', '/api/v1/auth/session');
    assert.equal(clock.status, 200, clock.text);
    assert.ok(clock.body.idle_expires_in <= 10 * 60, `not extended: ${clock.body.idle_expires_in}`);
    const l = await m.req('GET', LIST);
    assert.equal(l.status, 200, l.text);
    const after = await m.req('GET', '/api/v1/auth/session');
    assert.ok(after.body.idle_expires_in > 29 * 60, `reading the list is activity: ${after.body.idle_expires_in}`);
  });

  it('an API token acts as its member: reads and marks the member\'s own, no CSRF token', async () => {
    const owner = await addMember(srv, admin, {}, 'mobile');
    const r0 = await admin.req('POST', '/api/v1/auth/reauth', { body: { password: srv.admin.password } });
    assert.equal(r0.status, 200, r0.text);
    const t = await admin.req('POST', '/api/v1/api-tokens', { body: { name: uniq('Mobile app '), staff_id: owner.id } });
    assert.equal(t.status, 201, t.text);
    const bearer = client(srv.base);
    const req = bearer.req.bind(bearer);
    bearer.req = (m, p, o = {}) => req(m, p, { ...o, headers: { Authorization: `Bearer ${t.body.token}` } });

    const n1 = await notifyMember(owner, uniq('token one'));
    const n2 = await notifyMember(owner, uniq('token two'));
    const theirs = await notifyMember(staff, uniq('not the token\'s'));
    const l = await bearer.req('GET', LIST);
    assert.equal(l.status, 200, l.text);
    assert.deepEqual(l.body.data.map((x) => x.id), [n2.id, n1.id]);
    const u = await bearer.req('GET', UNREAD);
    assert.equal(u.status, 200, u.text);
    assert.equal(u.body.count, 2);
    assert.equal((await bearer.req('POST', READ, { params: { id: n1.id } })).status, 204);
    assertProblem(await bearer.req('POST', READ, { params: { id: theirs.id } }), 404, 'not-found');
    assert.equal(await unread(owner), 1, 'the session sees what the token marked');
    assert.equal((await bearer.req('POST', READ_ALL)).status, 204);
    assert.equal(await unread(owner), 0);

    // A revoked token is nobody.
    const rv = await admin.req('POST', '/api/v1/api-tokens/{id}/revoke', { params: { id: t.body.id }, body: {} });
    assert.equal(rv.status, 200, rv.text);
    assertProblem(await bearer.req('GET', UNREAD), 401, 'unauthorized');
  });

  it('reading and marking read write nothing to the activity log', async () => {
    const m = await addMember(srv, admin);
    const n = await notifyMember(m, uniq('quiet'));
    const before = await admin.req('GET', '/api/v1/activity', { query: { limit: 1 } });
    await m.req('GET', LIST);
    await m.req('GET', UNREAD);
    assert.equal((await m.req('POST', READ, { params: { id: n.id } })).status, 204);
    assert.equal((await m.req('POST', READ_ALL)).status, 204);
    const after = await admin.req('GET', '/api/v1/activity', { query: { limit: 1 } });
    assert.equal(after.body.data[0].id, before.body.data[0].id, 'no activity row for personal state');
  });

  it('atrium notify: one member or every administrator, logged with actor cli; refusals exit 1', async () => {
    const m = await addMember(srv, admin);
    const title = uniq('Upgrade at 22:00 ');
    const r = notify(['--staff', String(m.id), '--title', title, '--body', 'About ten minutes.', '--link', '/admin/']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`notification added for .* \\(staff ${m.id}\\)`));
    const got = (await m.req('GET', LIST, { query: { limit: 1 } })).body.data[0];
    assert.deepEqual([got.title, got.body, got.link, got.source], [title, 'About ten minutes.', '/admin/', 'cli']);
    const act = await admin.req('GET', '/api/v1/activity', { query: { action: 'notify', entity_id: m.id } });
    assert.equal(act.status, 200, act.text);
    assert.equal(act.body.data.length, 1, act.text);
    assert.equal(act.body.data[0].actor_name, 'cli');
    assert.equal(act.body.data[0].entity, 'staff');
    assert.deepEqual(act.body.data[0].diff.title, { to: title });

    // Every active administrator (here: the one), nobody else.
    const adminsBefore = await unread(admin);
    const staffBefore = await unread(staff);
    const all = notify(['--admins', '--title', uniq('To the administrators ')]);
    assert.equal(all.status, 0, all.stderr);
    assert.match(all.stdout, /notification added for 1 administrator\b/);
    assert.equal(await unread(admin), adminsBefore + 1);
    assert.equal(await unread(staff), staffBefore);

    // A deactivated member gets nothing, and the operator is told.
    const gone = await addMember(srv, admin);
    assert.equal((await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: gone.id } })).status, 200);
    const refusals = [
      [['--staff', String(gone.id), '--title', 'x'], /no active staff member/],
      [['--staff', '987654', '--title', 'x'], /no active staff member/],
      [['--staff', String(m.id), '--title', 'x', '--org', '99'], /no organisation 99/],
      [['--staff', String(m.id), '--title', 'x', '--link', 'https://evil.example/'], /--link/],
      [['--staff', String(m.id), '--title', 'x', '--link', '/admin/a b'], /--link/],
      [['--staff', String(m.id), '--title', ' \t '], /title is empty/],
      [['--staff', String(m.id)], /--title is required/],
      [['--title', 'x'], /either --staff ID or --admins/],
      [['--staff', String(m.id), '--admins', '--title', 'x'], /either --staff ID or --admins/],
      [['--staff', 'me', '--title', 'x'], /--staff must be/],
    ];
    const count = await m.req('GET', LIST);
    for (const [args, why] of refusals) {
      const x = notify(args);
      assert.equal(x.status, 1, `${args.join(' ')}: ${x.stderr}`);
      assert.match(x.stderr, why);
    }
    assert.equal((await m.req('GET', LIST)).body.total, count.body.total, 'nothing was added');
    const help = srv.cli(['notify', '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /usage: atrium notify/);
  });
});
