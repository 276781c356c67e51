// A read on PostgreSQL runs on the session's principal as this node last
// saw it, and the session's lookup rides in the same round trip as the
// read: the answer stands only if the session and its grants are still
// what was guessed (src/auth/session_guess.h). Every change a member's
// next read must see at once is made here between two reads: a grant
// taken away, a deny override, a name change, sign-out, deactivation,
// expiry, idleness, and the second node's view of a change made on the
// first. On SQLite (no guessing) the same answers hold, which is the point.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, addRole, addMember, raiseSeats, startNode, stopNode, uniq,
} from './harness.mjs';

const LEADS = '/api/v1/leads';
const ME = '/api/v1/auth/me';

describe('reads on a guessed session principal', () => {
  let srv;
  let admin;
  let role;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    role = await addRole(admin, uniq('Guess '), { leads: ['view', 'create'] });
  });
  after(async () => { await srv?.stop(); });

  function sql(statement) {
    const r = srv.sql(statement);
    assert.equal(r.status, 0, `SQL failed: ${statement}\n${r.stderr}`);
    return r.stdout;
  }

  async function guesses() {
    const r = await client(srv.base).req('GET', '/metrics');
    assert.equal(r.status, 200, r.text);
    const n = (result) => Number(new RegExp(`^atrium_session_guesses_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(r.text)?.[1]);
    return { held: n('held'), missed: n('missed') };
  }

  /* A member with the role, who has listed leads twice (the second read
   * runs on a guess on PostgreSQL). */
  async function reader() {
    const m = await addMember(srv, admin, { role_id: role.id }, 'guess');
    for (let i = 0; i < 2; i++) assert.equal((await m.req('GET', LEADS)).status, 200);
    return m;
  }

  it('repeated reads run on the guess on PostgreSQL, and on a full lookup on SQLite', async () => {
    const m = await reader();
    const before = await guesses();
    for (let i = 0; i < 5; i++) assert.equal((await m.req('GET', LEADS)).status, 200);
    const now = await guesses();
    if (srv.pg) {
      assert.ok(now.held >= before.held + 5, `held ${before.held} -> ${now.held}`);
      assert.equal(now.missed, before.missed);
    } else {
      assert.equal(now.held, 0);
      assert.equal(now.missed, 0);
    }
  });

  it('a grant taken from the role is refused at the next read (403), not later', async () => {
    const own = await addRole(admin, uniq('Taken '), { leads: ['view'] });
    const m = await addMember(srv, admin, { role_id: own.id }, 'taken');
    for (let i = 0; i < 3; i++) assert.equal((await m.req('GET', LEADS)).status, 200);
    const before = await guesses();
    const p = await admin.req('PATCH', '/api/v1/roles/{id}', {
      params: { id: own.id }, body: { permissions: { clients: ['view'] } },
      headers: { 'If-Match': `"${own.version}"` },
    });
    assert.equal(p.status, 200, p.text);
    assert.equal((await m.req('GET', LEADS)).status, 403);
    assert.equal((await m.req('GET', '/api/v1/clients')).status, 200);
    if (srv.pg) assert.equal((await guesses()).missed, before.missed + 1);
  });

  it('a deny override is refused at the next read', async () => {
    const m = await reader();
    const p = await admin.req('PUT', '/api/v1/staff/{id}/permissions', {
      params: { id: m.id }, body: { overrides: { leads: { view: 'deny' } } },
    });
    assert.equal(p.status, 200, p.text);
    assert.equal((await m.req('GET', LEADS)).status, 403);
  });

  it('a new name shows at the next read of /auth/me', async () => {
    const m = await reader();
    assert.equal((await m.req('GET', ME)).status, 200);
    const name = `Renamed ${uniq('n')}`;
    const g = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: m.id } });
    const p = await admin.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: m.id }, body: { name }, headers: { 'If-Match': `"${g.body.version}"` },
    });
    assert.equal(p.status, 200, p.text);
    const me = await m.req('GET', ME);
    assert.equal(me.status, 200);
    assert.equal(me.body.staff.name, name);
  });

  it('a signed-out session is refused at the next read (401)', async () => {
    const m = await reader();
    const cookie = m.cookieHeader();
    assert.equal((await m.req('POST', '/api/v1/auth/logout')).status, 204);
    const r = await client(srv.base).req('GET', LEADS, { headers: { Cookie: cookie } });
    assert.equal(r.status, 401);
  });

  it('a deactivated member is refused at the next read (401)', async () => {
    const m = await reader();
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: m.id } });
    assert.equal(d.status, 200, d.text);
    assert.equal((await m.req('GET', LEADS)).status, 401);
  });

  it('an expired or idle session is refused at the next read (401)', async () => {
    const expired = await reader();
    sql(`UPDATE session SET expires_at = '2020-01-01T00:00:00.000Z' WHERE staff_id = ${expired.id}`);
    assert.equal((await expired.req('GET', LEADS)).status, 401);
    const idle = await reader();
    sql(`UPDATE session SET last_seen_at = '2020-01-01T00:00:00.000Z' WHERE staff_id = ${idle.id}`);
    assert.equal((await idle.req('GET', LEADS)).status, 401);
  });

  it('a read refused on the guess (403) is answered only after the check: a grant given counts at once', async () => {
    const none = await addRole(admin, uniq('None '), { clients: ['view'] });
    const m = await addMember(srv, admin, { role_id: none.id }, 'given');
    for (let i = 0; i < 2; i++) assert.equal((await m.req('GET', LEADS)).status, 403);
    const p = await admin.req('PATCH', '/api/v1/roles/{id}', {
      params: { id: none.id }, body: { permissions: { clients: ['view'], leads: ['view'] } },
      headers: { 'If-Match': `"${none.version}"` },
    });
    assert.equal(p.status, 200, p.text);
    assert.equal((await m.req('GET', LEADS)).status, 200);
  });

  it('an administrator made a member is held to the role at the next read', async () => {
    // An administrator's guess is checked without the grants (nothing
    // reads them): the admin flag itself must catch the demotion.
    const boss = await addMember(srv, admin, { role_id: role.id, admin: true }, 'boss');
    for (let i = 0; i < 3; i++) assert.equal((await boss.req('GET', '/api/v1/roles')).status, 200);
    const g = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: boss.id } });
    const p = await admin.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: boss.id }, body: { admin: false }, headers: { 'If-Match': `"${g.body.version}"` },
    });
    assert.equal(p.status, 200, p.text);
    assert.equal((await boss.req('GET', '/api/v1/roles')).status, 403);
    assert.equal((await boss.req('GET', LEADS)).status, 200, 'the role still lets them list leads');
  });

  it('a second node sees a change made on the first at its next read', async (t) => {
    if (!srv.pg) return t.skip('a second node needs PostgreSQL');
    const n2 = await startNode(srv, 'guess');
    try {
      const m = await reader();
      const at2 = (path) => client(n2.base).req('GET', path, { headers: { Cookie: m.cookieHeader() } });
      for (let i = 0; i < 3; i++) assert.equal((await at2(LEADS)).status, 200);
      const p = await admin.req('PUT', '/api/v1/staff/{id}/permissions', {
        params: { id: m.id }, body: { overrides: { leads: { view: 'deny' } } },
      });
      assert.equal(p.status, 200, p.text);
      assert.equal((await at2(LEADS)).status, 403);
    } finally {
      await stopNode(n2);
    }
  });
});
