// Record-level access: view_own (IDOR), individual overrides, and what a
// non-administrator may hand out.
//
//   - a member whose role grants view_own (plus create/edit/delete) on leads and
//     clients gets 404 — the same answer as for an id that does not exist — for
//     another's record on GET, PATCH (with the right If-Match) and DELETE, and
//     never sees it in a list, a filter (status=, owner_id=, assigned_to=, ...),
//     a search (q=) or a sort; records they own or are assigned are theirs;
//   - overrides: deny beats the role's grant, allow beats its absence, inherit
//     removes the override, and GET /api/v1/staff/{id}/access says why;
//   - a non-admin with roles/staff rights cannot grant what they lack, cannot
//     change their own overrides and cannot hand out the admin flag.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq,
} from './harness.mjs';

const MISSING_ID = 987654321;

/* A member with the given role and a password of their own (temporary
 * password from the admin, changed at first sign-in). */
async function addMember(srv, admin, roleId, label) {
  const tag = uniq(label);
  const email = `${tag}@example.test`;
  const temp = `Temp-${tag}-password`;
  const r = await admin.req('POST', '/api/v1/staff', {
    body: { email, name: `${label} ${tag}`, ...(roleId ? { role_id: roleId } : {}), temporary_password: temp },
  });
  assert.equal(r.status, 201, `adding ${label}: ${r.status} ${r.text}`);
  const c = client(srv.base);
  await c.login(email, temp);
  const ch = await c.req('POST', '/api/v1/auth/password/change', {
    body: { current_password: temp, new_password: `${temp}-changed` },
  });
  assert.equal(ch.status, 200, `password change of ${label}: ${ch.status} ${ch.text}`);
  c.id = r.body.id;
  c.me = ch.body.staff;
  c.record = r.body;
  return c;
}

async function addRole(admin, name, permissions) {
  const r = await admin.req('POST', '/api/v1/roles', { body: { name, permissions } });
  assert.equal(r.status, 201, `role ${name}: ${r.status} ${r.text}`);
  return r.body;
}

/* Raises the seat limit as the operator does (`atrium org seats`). */
async function raiseSeats(srv, admin) {
  const r = srv.cli(['org', 'seats', '1', '--members-included', '100000', '--extra-seats', '0']);
  assert.equal(r.status, 0, `cannot raise the seat limit: ${r.stderr}`);
}

const ENTITIES = [
  {
    plural: 'leads',
    title: 'name',
    filter: { key: 'status', hit: 'won', miss: 'new' },
    extraSort: 'value',
    body: (title, extra) => ({ name: title, ...extra }),
  },
  {
    plural: 'clients',
    title: 'company',
    filter: { key: 'country', hit: 'FR', miss: 'DE' },
    extraSort: 'city',
    body: (title, extra) => ({ company: title, ...extra }),
  },
];

describe('view_own: records of others are invisible (IDOR)', () => {
  let srv;
  let admin;
  let member; // view_own on leads and clients, with create/edit/delete
  let other; // another member with the same role

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(srv, admin);
    const caps = ['view_own', 'create', 'edit', 'delete'];
    const role = await addRole(admin, uniq('own-'), { leads: caps, clients: caps });
    member = await addMember(srv, admin, role.id, 'own');
    other = await addMember(srv, admin, role.id, 'other');
  });
  after(async () => {
    await srv?.stop();
  });

  for (const E of ENTITIES) {
    describe(E.plural, () => {
      const COLL = `/api/v1/${E.plural}`;
      const ITEM = `/api/v1/${E.plural}/{id}`;
      let tag;
      const rec = {};
      let visible;
      let hidden;

      async function adminCreate(title, extra = {}) {
        const r = await admin.req('POST', COLL, { body: E.body(title, extra) });
        assert.equal(r.status, 201, r.text);
        return r.body;
      }
      async function adminGet(id) {
        const r = await admin.req('GET', ITEM, { params: { id } });
        assert.equal(r.status, 200, r.text);
        return r.body;
      }
      async function mine(query) {
        const r = await member.req('GET', COLL, { query: { count: 'true', ...query } });
        assert.equal(r.status, 200, `list ${JSON.stringify(query)}: ${r.status} ${r.text}`);
        return r.body;
      }

      before(async () => {
        tag = uniq('idor');
        const f = E.filter;
        // Others' records: the admin's own one, and one of another member that is assigned to the admin.
        rec.adminOwned = await adminCreate(`${tag} alpha`, { [f.key]: f.hit });
        rec.otherOwned = await adminCreate(`${tag} bravo`, { [f.key]: f.hit, owner_id: other.id, assigned_to: admin.me.id });
        // The member's: owned, assigned, and one they created themselves.
        rec.owned = await adminCreate(`${tag} charlie`, { [f.key]: f.hit, owner_id: member.id });
        rec.assigned = await adminCreate(`${tag} delta`, { [f.key]: f.miss, assigned_to: member.id });
        const c = await member.req('POST', COLL, { body: E.body(`${tag} echo`, { [f.key]: f.miss }) });
        assert.equal(c.status, 201, c.text);
        assert.equal(c.body.owner_id, member.id, 'a created record is owned by its creator');
        rec.created = c.body;
        visible = [rec.owned, rec.assigned, rec.created];
        hidden = [rec.adminOwned, rec.otherOwned];
      });

      it('GET by id of another\'s record is 404, exactly like an id that does not exist', async () => {
        const missing = await member.req('GET', ITEM, { params: { id: MISSING_ID } });
        assertProblem(missing, 404, 'not-found');
        for (const h of hidden) {
          const r = await member.req('GET', ITEM, { params: { id: h.id } });
          assertProblem(r, 404, 'not-found');
          assert.equal(r.body.title, missing.body.title);
          assert.equal(r.headers.get('etag'), null, 'no ETag leaks the version');
          assert.ok(!r.text.includes(h[E.title]), 'the answer does not name the record');
          assert.equal(r.body.detail.replace(String(h.id), 'ID'), missing.body.detail.replace(String(MISSING_ID), 'ID'),
            'the same detail as for a missing id');
        }
      });

      it('PATCH of another\'s record with the right If-Match is 404 and changes nothing', async () => {
        for (const h of hidden) {
          const before = await adminGet(h.id);
          const r = await member.req('PATCH', ITEM, {
            params: { id: h.id }, body: { [E.title]: `${tag} stolen`, owner_id: member.id },
            headers: { 'If-Match': `"${before.version}"` },
          });
          assertProblem(r, 404, 'not-found');
          assert.deepEqual(await adminGet(h.id), before, 'unchanged');
        }
      });

      it('DELETE of another\'s record (with or without If-Match) is 404 and the record stays', async () => {
        for (const h of hidden) {
          const before = await adminGet(h.id);
          const a = await member.req('DELETE', ITEM, { params: { id: h.id }, headers: { 'If-Match': `"${before.version}"` } });
          assertProblem(a, 404, 'not-found');
          const b = await member.req('DELETE', ITEM, { params: { id: h.id } });
          assertProblem(b, 404, 'not-found');
          assert.deepEqual(await adminGet(h.id), before, 'still there, unchanged');
        }
      });

      it('records the member owns, is assigned or created are readable and editable', async () => {
        for (const v of visible) {
          const g = await member.req('GET', ITEM, { params: { id: v.id } });
          assert.equal(g.status, 200, g.text);
          assert.equal(g.body.id, v.id);
          assert.equal(g.body[E.title], v[E.title]);
        }
        const cur = await adminGet(rec.assigned.id);
        const p = await member.req('PATCH', ITEM, {
          params: { id: rec.assigned.id }, body: { [E.extraSort]: E.plural === 'leads' ? '10.00' : 'Lyon' },
          headers: { 'If-Match': `"${cur.version}"` },
        });
        assert.equal(p.status, 200, p.text);
        assert.equal(p.body.version, cur.version + 1);
        assert.equal(p.body.assigned_to, member.id);
      });

      it('a record the member owns can be deleted by them', async () => {
        const mineToo = await adminCreate(`${tag} foxtrot`, { owner_id: member.id });
        const d = await member.req('DELETE', ITEM, { params: { id: mineToo.id } });
        assert.equal(d.status, 204, d.text);
        assertProblem(await admin.req('GET', ITEM, { params: { id: mineToo.id } }), 404, 'not-found');
      });

      it('the list holds only the member\'s records (total included)', async () => {
        const b = await mine({ q: tag, sort: 'id' });
        assert.deepEqual(b.data.map((x) => x.id), visible.map((x) => x.id).sort((x, y) => x - y));
        assert.equal(b.total, visible.length);
        // Unscoped, every page: nothing of anyone else, and the total counts only theirs.
        const all = await mine({ limit: 200 });
        const hiddenIds = new Set(hidden.map((x) => x.id));
        assert.deepEqual(all.data.filter((x) => hiddenIds.has(x.id)), []);
        for (const x of all.data) {
          assert.ok(x.owner_id === member.id || x.assigned_to === member.id,
            `every listed record is the member's: ${JSON.stringify(x)}`);
        }
        assert.equal(all.total, all.data.length, 'the total counts only visible records');
        const adminView = await admin.req('GET', COLL, { query: { q: tag, count: 'true' } });
        assert.equal(adminView.body.total, visible.length + hidden.length, 'the admin sees them all');
      });

      it(`a filter (${E.filter.key}=, owner_id=, assigned_to=) never reveals another's record`, async () => {
        const f = E.filter;
        const hit = await mine({ q: tag, [f.key]: f.hit });
        assert.deepEqual(hit.data.map((x) => x.id), [rec.owned.id], `${f.key}=${f.hit}: only the member's own`);
        assert.equal(hit.total, 1);
        const byAdmin = await mine({ q: tag, owner_id: admin.me.id });
        assert.deepEqual(byAdmin.data.map((x) => x.id), [rec.assigned.id], 'owner_id=admin: only the one assigned to the member');
        assert.equal(byAdmin.total, 1);
        const byOther = await mine({ owner_id: other.id });
        assert.deepEqual(byOther.data, []);
        assert.equal(byOther.total, 0);
        const toAdmin = await mine({ assigned_to: admin.me.id });
        assert.deepEqual(toAdmin.data, [], 'assigned_to=admin: the other\'s record stays hidden');
        assert.equal(toAdmin.total, 0);
        const toMe = await mine({ q: tag, assigned_to: member.id });
        assert.deepEqual(toMe.data.map((x) => x.id), [rec.assigned.id]);
      });

      it('a search (q=) for another\'s record finds nothing', async () => {
        for (const h of hidden) {
          const b = await mine({ q: h[E.title] });
          assert.deepEqual(b.data, []);
          assert.equal(b.total, 0);
        }
        const up = await mine({ q: `${tag} ALPHA` });
        assert.equal(up.total, 0, 'case-insensitive search does not find it either');
      });

      it('sorting and paging show only the member\'s records', async () => {
        const titles = visible.map((x) => x[E.title]).sort();
        const asc = await mine({ q: tag, sort: E.title });
        assert.deepEqual(asc.data.map((x) => x[E.title]), titles);
        const desc = await mine({ q: tag, sort: `-${E.title}` });
        assert.deepEqual(desc.data.map((x) => x[E.title]), [...titles].reverse());
        const other2 = await mine({ q: tag, sort: `-${E.extraSort}` });
        assert.deepEqual(other2.data.map((x) => x.id).sort(), visible.map((x) => x.id).sort());
        const page = await mine({ q: tag, sort: E.title, limit: 1, offset: 2 });
        assert.equal(page.total, visible.length);
        assert.deepEqual(page.data.map((x) => x[E.title]), [titles[2]]);
        const past = await mine({ q: tag, sort: E.title, offset: visible.length });
        assert.deepEqual(past.data, []);
      });

      it('the other member, with the same role, does not see the first member\'s records', async () => {
        const r = await other.req('GET', COLL, { query: { q: tag } });
        assert.equal(r.status, 200);
        assert.deepEqual(r.body.data.map((x) => x.id), [rec.otherOwned.id]);
        const g = await other.req('GET', ITEM, { params: { id: rec.owned.id } });
        assertProblem(g, 404, 'not-found');
      });
    });
  }
});

describe('individual overrides', () => {
  let srv;
  let admin;
  let role;
  let member;
  let plain;

  const access = async (id) => {
    const r = await admin.req('GET', '/api/v1/staff/{id}/access', { params: { id } });
    assert.equal(r.status, 200, r.text);
    return r.body;
  };
  const cell = (a, module, cap) => {
    const m = a.modules.find((x) => x.module === module);
    assert.ok(m, `module ${module} in ${JSON.stringify(a.modules.map((x) => x.module))}`);
    assert.ok(cap in m.capabilities, `${module}.${cap} in ${JSON.stringify(m.capabilities)}`);
    return m.capabilities[cap];
  };
  const putOverrides = (id, overrides, c = admin) =>
    c.req('PUT', '/api/v1/staff/{id}/permissions', { params: { id }, body: { overrides } });

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    plain = await staffClient(srv);
    await raiseSeats(srv, admin);
    role = await addRole(admin, uniq('Reader '), { leads: ['view'], clients: ['view'] });
    member = await addMember(srv, admin, role.id, 'ovr');
  });
  after(async () => {
    await srv?.stop();
  });

  it('before any override: the role decides', async () => {
    assert.equal((await member.req('GET', '/api/v1/leads')).status, 200);
    assertProblem(await member.req('POST', '/api/v1/clients', { body: { company: uniq('c') } }), 403, 'forbidden');
    const a = await access(member.id);
    assert.equal(a.staff_id, member.id);
    assert.equal(a.admin, false);
    assert.equal(a.active, true);
    assert.deepEqual(cell(a, 'leads', 'view'), { allowed: true, reason: `granted by role '${role.name}'` });
    assert.deepEqual(cell(a, 'clients', 'create'), { allowed: false, reason: 'not granted by the role' });
    const g = await admin.req('GET', '/api/v1/staff/{id}/permissions', { params: { id: member.id } });
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.body, { overrides: {} });
  });

  it('deny beats the role\'s grant (403), allow beats its absence (201), and access explains both', async () => {
    const p = await putOverrides(member.id, { leads: { view: 'deny' }, clients: { create: 'allow' } });
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(p.body, { overrides: { leads: { view: 'deny' }, clients: { create: 'allow' } } });

    const l = await member.req('GET', '/api/v1/leads');
    assertProblem(l, 403, 'forbidden');
    const c = await member.req('POST', '/api/v1/clients', { body: { company: uniq('allowed') } });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.owner_id, member.id);

    const g = await admin.req('GET', '/api/v1/staff/{id}/permissions', { params: { id: member.id } });
    assert.deepEqual(g.body, { overrides: { leads: { view: 'deny' }, clients: { create: 'allow' } } });
    const a = await access(member.id);
    assert.deepEqual(cell(a, 'leads', 'view'), { allowed: false, reason: 'denied by an individual override' });
    assert.deepEqual(cell(a, 'clients', 'create'), { allowed: true, reason: 'allowed by an individual override' });
    assert.deepEqual(cell(a, 'clients', 'view'), { allowed: true, reason: `granted by role '${role.name}'` });
    assert.deepEqual(cell(a, 'clients', 'delete'), { allowed: false, reason: 'not granted by the role' });

    const me = await member.req('GET', '/api/v1/auth/me');
    assert.equal(me.status, 200);
    const perms = me.body.staff.permissions;
    assert.ok(perms, `me carries permissions: ${me.text}`);
    assert.ok(!(perms.leads || []).includes('view'), `me: leads.view denied: ${JSON.stringify(perms)}`);
    assert.ok(perms.clients.includes('create'), `me: clients.create allowed: ${JSON.stringify(perms)}`);
  });

  it('inherit removes an override: the role decides again', async () => {
    const p = await putOverrides(member.id, { leads: { view: 'inherit' }, clients: { create: 'allow' } });
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(p.body, { overrides: { clients: { create: 'allow' } } });
    const g = await admin.req('GET', '/api/v1/staff/{id}/permissions', { params: { id: member.id } });
    assert.deepEqual(g.body, { overrides: { clients: { create: 'allow' } } });
    assert.equal((await member.req('GET', '/api/v1/leads')).status, 200);
    const a = await access(member.id);
    assert.deepEqual(cell(a, 'leads', 'view'), { allowed: true, reason: `granted by role '${role.name}'` });
    assert.deepEqual(cell(a, 'clients', 'create'), { allowed: true, reason: 'allowed by an individual override' });
  });

  it('access explains an administrator and a member without a role', async () => {
    const a = await access(admin.me.id);
    assert.equal(a.admin, true);
    // A module with no capability (log_archives, backups) is for
    // administrators only: nothing of it to explain.
    const listed = (await admin.req('GET', '/api/v1/permissions/modules')).body.data;
    const adminOnly = new Set(listed.filter((m) => m.capabilities.length === 0).map((m) => m.module));
    for (const m of a.modules) {
      assert.ok(Object.keys(m.capabilities).length > 0 || adminOnly.has(m.module), m.module);
      for (const [cap, v] of Object.entries(m.capabilities)) {
        assert.deepEqual(v, { allowed: true, reason: 'administrator: every permission' }, `${m.module}.${cap}`);
      }
    }
    const n = await access(plain.me.id);
    assert.equal(n.admin, false);
    for (const m of n.modules) {
      for (const [cap, v] of Object.entries(m.capabilities)) {
        assert.deepEqual(v, { allowed: false, reason: 'no role and no override' }, `${m.module}.${cap}`);
      }
    }
    const mods = await admin.req('GET', '/api/v1/permissions/modules');
    assert.deepEqual(n.modules.map((m) => m.module), mods.body.data.map((m) => m.module), 'every module is explained');
    for (const m of mods.body.data) {
      const x = n.modules.find((y) => y.module === m.module);
      assert.deepEqual(Object.keys(x.capabilities).sort(), [...m.capabilities].sort(), `capabilities of ${m.module}`);
    }
  });

  it('access of a missing member is 404; an invalid override is 422 naming overrides.<module>', async () => {
    assertProblem(await admin.req('GET', '/api/v1/staff/{id}/access', { params: { id: MISSING_ID } }), 404, 'not-found');
    const r = await putOverrides(member.id, { nosuch: { view: 'allow' }, leads: { fly: 'allow', view: 'maybe' } });
    assertFieldErrors(r, { 'overrides.nosuch': 'not_allowed', 'overrides.leads': 'not_allowed' });
    const g = await admin.req('GET', '/api/v1/staff/{id}/permissions', { params: { id: member.id } });
    assert.deepEqual(g.body, { overrides: { clients: { create: 'allow' } } }, 'unchanged');
  });
});

describe('a non-administrator cannot hand out what they do not hold', () => {
  let srv;
  let admin;
  let mgrRole;
  let bigRole;
  let mgr;
  let target;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(srv, admin);
    mgrRole = await addRole(admin, uniq('Manager '), {
      roles: ['view', 'create', 'edit'], staff: ['view', 'create', 'edit'], leads: ['view'],
    });
    bigRole = await addRole(admin, uniq('Big '), { leads: ['view', 'delete'], clients: ['view'] });
    mgr = await addMember(srv, admin, mgrRole.id, 'mgr');
    target = await addMember(srv, admin, null, 'target');
  });
  after(async () => {
    await srv?.stop();
  });

  it('creating a role that grants what they lack is 422 on permissions.<module>', async () => {
    const name = uniq('Escalate ');
    const r = await mgr.req('POST', '/api/v1/roles', { body: { name, permissions: { clients: ['view'], leads: ['view'] } } });
    assertFieldErrors(r, { 'permissions.clients': 'not_allowed' });
    assert.ok(!r.body.errors.some((e) => e.field === 'permissions.leads'), 'leads.view is theirs to give');
    const list = await admin.req('GET', '/api/v1/roles');
    assert.ok(!list.body.data.some((x) => x.name === name), 'no role was created');
  });

  it('a role within their own grants is fine (201)', async () => {
    const r = await mgr.req('POST', '/api/v1/roles', { body: { name: uniq('Subset '), permissions: { leads: ['view'] } } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.permissions, { leads: ['view'] });
  });

  it('editing a role to grant what they lack is 422 and changes nothing', async () => {
    const made = await mgr.req('POST', '/api/v1/roles', { body: { name: uniq('Edit '), permissions: { leads: ['view'] } } });
    assert.equal(made.status, 201, made.text);
    const r = await mgr.req('PATCH', '/api/v1/roles/{id}', {
      params: { id: made.body.id }, body: { permissions: { leads: ['view', 'delete'] } },
      headers: { 'If-Match': `"${made.body.version}"` },
    });
    assertFieldErrors(r, { 'permissions.leads': 'not_allowed' });
    const g = await admin.req('GET', '/api/v1/roles/{id}', { params: { id: made.body.id } });
    assert.deepEqual(g.body.permissions, { leads: ['view'] });
    assert.equal(g.body.version, made.body.version);
  });

  it('setting their own overrides is 403 (even overrides they could give to others)', async () => {
    // Bodies that would be valid for another member: only the "own" rule refuses them.
    for (const overrides of [{ leads: { view: 'allow' } }, { leads: { view: 'deny' } }, {}]) {
      const r = await mgr.req('PUT', '/api/v1/staff/{id}/permissions', { params: { id: mgr.id }, body: { overrides } });
      assertProblem(r, 403, 'forbidden');
    }
    const g = await admin.req('GET', '/api/v1/staff/{id}/permissions', { params: { id: mgr.id } });
    assert.deepEqual(g.body, { overrides: {} });
  });

  it('allowing another member what they lack is 422 on overrides.<module>', async () => {
    const r = await mgr.req('PUT', '/api/v1/staff/{id}/permissions', {
      params: { id: target.id }, body: { overrides: { clients: { view: 'allow' } } },
    });
    assertFieldErrors(r, { 'overrides.clients': 'not_allowed' });
    const ok = await mgr.req('PUT', '/api/v1/staff/{id}/permissions', {
      params: { id: target.id }, body: { overrides: { leads: { view: 'allow' } } },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body, { overrides: { leads: { view: 'allow' } } });
  });

  it('giving the admin flag is 422 on admin (create and edit), and nothing changes', async () => {
    const tag = uniq('adm');
    const c = await mgr.req('POST', '/api/v1/staff', { body: { email: `${tag}@example.test`, name: tag, admin: true } });
    assertFieldErrors(c, { admin: 'not_allowed' });
    const found = await admin.req('GET', '/api/v1/staff', { query: { q: tag } });
    assert.equal(found.body.total, 0, 'nobody was added');

    const cur = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: target.id } });
    const p = await mgr.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: target.id }, body: { admin: true }, headers: { 'If-Match': cur.headers.get('etag') },
    });
    assertFieldErrors(p, { admin: 'not_allowed' });
    const after2 = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: target.id } });
    assert.equal(after2.body.admin, false);
    assert.equal(after2.body.version, cur.body.version);
  });

  it('giving a role that grants more than they hold is 422 on role_id', async () => {
    const tag = uniq('big');
    const c = await mgr.req('POST', '/api/v1/staff', { body: { email: `${tag}@example.test`, name: tag, role_id: bigRole.id } });
    assertFieldErrors(c, { role_id: 'not_allowed' });
    const cur = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: target.id } });
    const p = await mgr.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: target.id }, body: { role_id: bigRole.id }, headers: { 'If-Match': cur.headers.get('etag') },
    });
    assertFieldErrors(p, { role_id: 'not_allowed' });
  });

  it('changing their own role is refused (403)', async () => {
    const cur = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: mgr.id } });
    const sub = await admin.req('POST', '/api/v1/roles', { body: { name: uniq('Own '), permissions: { leads: ['view'] } } });
    const p = await mgr.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: mgr.id }, body: { role_id: sub.body.id }, headers: { 'If-Match': cur.headers.get('etag') },
    });
    assertProblem(p, 403, 'forbidden');
    const after2 = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: mgr.id } });
    assert.equal(after2.body.role_id, mgrRole.id);
  });

  it('editing an administrator is 403 for a non-administrator', async () => {
    const cur = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: admin.me.id } });
    const p = await mgr.req('PATCH', '/api/v1/staff/{id}', {
      params: { id: admin.me.id }, body: { name: 'Hijacked' }, headers: { 'If-Match': cur.headers.get('etag') },
    });
    assertProblem(p, 403, 'forbidden');
    const d = await mgr.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: admin.me.id } });
    assertProblem(d, 403, 'forbidden');
    const after2 = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: admin.me.id } });
    assert.deepEqual(after2.body, cur.body);
  });
});
