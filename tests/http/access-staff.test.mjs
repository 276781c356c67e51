// Staff lifecycle and roles: add (every invalid field), edit, deactivate and
// reactivate (sessions end at once), the last administrator, the seat limit,
// delete with reassignment, the temporary password, the list filters, roles
// (CRUD, templates, in use, the activity diff), and the invitation email
// received by a real SMTP server (Debian's aiosmtpd, Maildir handler).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, assertNoSecrets,
  runBin, waitFor, freePort, uniq, ISO_MS,
} from './harness.mjs';

const STAFF = '/api/v1/staff';
const ITEM = '/api/v1/staff/{id}';
const ROLES = '/api/v1/roles';
const ROLE = '/api/v1/roles/{id}';
const MISSING_ID = 987654;

/* Sets the seat limit as the operator does (`atrium org seats`). */
async function raiseSeats(srv, admin, n = 100000) {
  const r = srv.cli(['org', 'seats', '1', '--members-included', String(n), '--extra-seats', '0']);
  assert.equal(r.status, 0, `cannot set the seat limit: ${r.stderr}`);
}

async function addRole(admin, name, permissions) {
  const r = await admin.req('POST', ROLES, { body: { name, permissions } });
  assert.equal(r.status, 201, `role ${name}: ${r.status} ${r.text}`);
  return r.body;
}

async function addEntity(admin, plural, body) {
  const r = await admin.req('POST', `/api/v1/${plural}`, { body });
  assert.equal(r.status, 201, `${plural}: ${r.status} ${r.text}`);
  return r.body;
}

/* Adds a member as the admin; with `password`, as a temporary password. */
async function addStaff(admin, fields = {}) {
  const tag = fields.tag || uniq('st');
  const body = { email: `${tag}@example.test`, name: `Member ${tag}`, ...fields };
  delete body.tag;
  const r = await admin.req('POST', STAFF, { body });
  assert.equal(r.status, 201, `add staff: ${r.status} ${r.text}`);
  return r.body;
}

/* A signed-in member with a role and a password of their own. */
async function member(srv, admin, fields = {}) {
  const temp = `Temp-${uniq('pw')}-password`;
  const rec = await addStaff(admin, { ...fields, temporary_password: temp });
  const c = client(srv.base);
  await c.login(rec.email, temp);
  const password = `${temp}-changed`;
  const ch = await c.req('POST', '/api/v1/auth/password/change', { body: { current_password: temp, new_password: password } });
  assert.equal(ch.status, 200, `password change: ${ch.status} ${ch.text}`);
  c.id = rec.id;
  c.me = ch.body.staff;
  c.email = rec.email;
  c.password = password;
  return c;
}

async function activityRows(admin, query) {
  const r = await admin.req('GET', '/api/v1/activity', { query: { limit: 200, ...query } });
  assert.equal(r.status, 200, r.text);
  return r.body.data;
}

const sortedMatrix = (m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, [...v].sort()]));

describe('staff administration', () => {
  let srv;
  let admin;
  let plain;
  let deps;
  let teams;
  let roleA;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    plain = await staffClient(srv);
    await raiseSeats(srv, admin);
    deps = [
      await addEntity(admin, 'departments', { name: uniq('Dept A '), email: 'a@example.test' }),
      await addEntity(admin, 'departments', { name: uniq('Dept B ') }),
    ];
    teams = [
      await addEntity(admin, 'teams', { name: uniq('Team A ') }),
      await addEntity(admin, 'teams', { name: uniq('Team B ') }),
    ];
    roleA = await addRole(admin, uniq('Agent '), { leads: ['view', 'create'] });
  });
  after(async () => {
    await srv?.stop();
  });

  describe('add', () => {
    it('201 with the documented record, Location, ETag "1"; GET returns the same', async () => {
      const tag = uniq('add');
      const body = {
        email: `${tag}@Example.Test`, name: `Ana ${tag}`, role_id: roleA.id,
        department_ids: [deps[1].id, deps[0].id], team_ids: [teams[0].id], admin: false,
      };
      const r = await admin.req('POST', STAFF, { body });
      assert.equal(r.status, 201, r.text);
      const s = r.body;
      assert.ok(Number.isInteger(s.id) && s.id > 0);
      assert.ok((r.headers.get('location') || '').endsWith(`/api/v1/staff/${s.id}`), r.headers.get('location'));
      assert.equal(r.headers.get('etag'), '"1"');
      assert.equal(s.email, body.email);
      assert.equal(s.name, body.name);
      assert.equal(s.admin, false);
      assert.equal(s.active, true);
      assert.equal(s.role_id, roleA.id);
      assert.equal(s.role_name, roleA.name);
      assert.deepEqual([...s.department_ids].sort((a, b) => a - b), [deps[0].id, deps[1].id].sort((a, b) => a - b));
      assert.deepEqual(s.team_ids, [teams[0].id]);
      assert.equal(s.last_login, null);
      assert.match(s.created_at, ISO_MS);
      assert.match(s.updated_at, ISO_MS);
      assert.equal(s.version, 1);
      assert.equal(s.must_change_password, false);
      assert.equal(s.has_password, false);
      assert.equal(s.invitation_sent, false);
      assertNoSecrets(s);

      const g = await admin.req('GET', ITEM, { params: { id: s.id } });
      assert.equal(g.status, 200, g.text);
      assert.equal(g.headers.get('etag'), '"1"');
      const { invitation_sent: _, ...rest } = s;
      assert.deepEqual(g.body, rest);

      const rows = await activityRows(admin, { entity: 'staff', entity_id: s.id, action: 'create' });
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.equal(rows[0].actor_id, admin.me.id);
      assert.deepEqual(rows[0].diff.email, { to: body.email });
      assert.deepEqual(rows[0].diff.role_id, { to: roleA.id });
    });

    it('an administrator may add an administrator', async () => {
      const s = await addStaff(admin, { admin: true });
      assert.equal(s.admin, true);
    });

    it('the member is listed, and a GET of a missing id is 404', async () => {
      const s = await addStaff(admin);
      const l = await admin.req('GET', STAFF, { query: { q: s.email } });
      assert.deepEqual(l.body.data.map((x) => x.id), [s.id]);
      assertProblem(await admin.req('GET', ITEM, { params: { id: MISSING_ID } }), 404, 'not-found');
    });
  });

  describe('add: invalid fields', () => {
    const cases = [
      { what: 'email missing', omit: ['email'], fields: { email: 'required' } },
      { what: 'email not an email', patch: { email: 'not-an-email' }, fields: { email: 'invalid' } },
      { what: 'email taken (another case)', patch: () => ({ email: 'STAFF@Example.TEST' }), fields: { email: 'taken' } },
      { what: 'name missing', omit: ['name'], fields: { name: 'required' } },
      { what: 'name not a string', patch: { name: 7 }, fields: { name: 'type' } },
      { what: 'role_id unknown', patch: { role_id: MISSING_ID }, fields: { role_id: 'not_found' } },
      { what: 'department_ids not an array', patch: { department_ids: 5 }, fields: { department_ids: 'type' } },
      { what: 'department_ids with an unknown id', patch: { department_ids: [MISSING_ID] }, fields: { department_ids: 'not_found' } },
      { what: 'department_ids with a duplicate', patch: () => ({ department_ids: [deps[0].id, deps[0].id] }), fields: { department_ids: 'invalid' } },
      { what: 'team_ids with an unknown id', patch: { team_ids: [MISSING_ID] }, fields: { team_ids: 'not_found' } },
      { what: 'temporary_password too short', patch: { temporary_password: 'short' }, fields: { temporary_password: null } },
      { what: 'an unknown field', patch: { colour: 'red' }, fields: { colour: 'unknown_field' } },
    ];
    for (const c of cases) {
      it(`${c.what} → 422 naming ${Object.keys(c.fields).join(', ')}; nothing added`, async () => {
        const tag = uniq('bad');
        const body = { email: `${tag}@example.test`, name: `Bad ${tag}`, ...(typeof c.patch === 'function' ? c.patch() : c.patch) };
        for (const k of c.omit || []) delete body[k];
        const r = await admin.req('POST', STAFF, { body });
        assertFieldErrors(r, c.fields);
        const l = await admin.req('GET', STAFF, { query: { q: tag } });
        assert.equal(l.body.total, 0, 'nothing was added');
      });
    }

    it('send_welcome together with temporary_password → 422 naming one of them', async () => {
      const tag = uniq('both');
      const r = await admin.req('POST', STAFF, {
        body: { email: `${tag}@example.test`, name: tag, send_welcome: true, temporary_password: 'Long-enough-password-1' },
      });
      assertProblem(r, 422, 'validation');
      assert.ok(r.body.errors.some((e) => ['send_welcome', 'temporary_password'].includes(e.field)), JSON.stringify(r.body.errors));
      assert.equal((await admin.req('GET', STAFF, { query: { q: tag } })).body.total, 0);
    });

    it('every invalid field is listed in one response', async () => {
      const r = await admin.req('POST', STAFF, {
        body: {
          email: 'x', role_id: MISSING_ID, department_ids: 'x', team_ids: [MISSING_ID],
          temporary_password: 'short', colour: 1,
        },
      });
      assertFieldErrors(r, {
        email: 'invalid', name: 'required', role_id: 'not_found', department_ids: 'type',
        team_ids: 'not_found', temporary_password: null, colour: 'unknown_field',
      });
    });
  });

  describe('edit', () => {
    it('without If-Match is 428 and changes nothing', async () => {
      const s = await addStaff(admin);
      const r = await admin.req('PATCH', ITEM, { params: { id: s.id }, body: { name: 'No match' } });
      assertProblem(r, 428, 'precondition-required');
      assert.equal((await admin.req('GET', ITEM, { params: { id: s.id } })).body.name, s.name);
    });

    it('with a stale If-Match is 412 and changes nothing', async () => {
      const s = await addStaff(admin);
      const ok = await admin.req('PATCH', ITEM, { params: { id: s.id }, body: { name: `${s.name} v2` }, headers: { 'If-Match': '"1"' } });
      assert.equal(ok.status, 200, ok.text);
      const r = await admin.req('PATCH', ITEM, { params: { id: s.id }, body: { name: 'Stale' }, headers: { 'If-Match': '"1"' } });
      assertProblem(r, 412, 'precondition-failed');
      assert.equal((await admin.req('GET', ITEM, { params: { id: s.id } })).body.name, `${s.name} v2`);
    });

    it('with the right If-Match is 200: fields and memberships change, version and ETag move on', async () => {
      const s = await addStaff(admin, { department_ids: [deps[0].id] });
      const r = await admin.req('PATCH', ITEM, {
        params: { id: s.id },
        body: { name: `${s.name} renamed`, role_id: roleA.id, department_ids: [deps[1].id], team_ids: [teams[0].id, teams[1].id] },
        headers: { 'If-Match': '"1"' },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.name, `${s.name} renamed`);
      assert.equal(r.body.role_id, roleA.id);
      assert.equal(r.body.role_name, roleA.name);
      assert.deepEqual(r.body.department_ids, [deps[1].id]);
      assert.deepEqual([...r.body.team_ids].sort((a, b) => a - b), [teams[0].id, teams[1].id].sort((a, b) => a - b));
      assert.equal(r.body.version, 2);
      assert.equal(r.headers.get('etag'), '"2"');
      assert.equal(r.body.email, s.email);
      const g = await admin.req('GET', ITEM, { params: { id: s.id } });
      assert.deepEqual(g.body, r.body);
      const rows = await activityRows(admin, { entity: 'staff', entity_id: s.id, action: 'update' });
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0].diff.name, { from: s.name, to: `${s.name} renamed` });
      assert.deepEqual(rows[0].diff.department_ids, { from: [deps[0].id], to: [deps[1].id] });
    });

    it('an email taken by another member (any case) is 422 taken; an invalid one 422 invalid', async () => {
      const s = await addStaff(admin);
      const t = await admin.req('PATCH', ITEM, { params: { id: s.id }, body: { email: srv.staff.email.toUpperCase() }, headers: { 'If-Match': '"1"' } });
      assertFieldErrors(t, { email: 'taken' });
      const i = await admin.req('PATCH', ITEM, { params: { id: s.id }, body: { email: 'nope', colour: 1 }, headers: { 'If-Match': '"1"' } });
      assertFieldErrors(i, { email: 'invalid', colour: 'unknown_field' });
      const g = await admin.req('GET', ITEM, { params: { id: s.id } });
      assert.equal(g.body.email, s.email);
      assert.equal(g.body.version, 1);
    });

    it('a missing id is 404', async () => {
      const r = await admin.req('PATCH', ITEM, { params: { id: MISSING_ID }, body: { name: 'x' }, headers: { 'If-Match': '"1"' } });
      assertProblem(r, 404, 'not-found');
    });
  });

  describe('deactivate and reactivate', () => {
    it('deactivation ends every session of the member at once; reactivation lets them back in', async () => {
      const m = await member(srv, admin, { role_id: roleA.id });
      const second = client(srv.base);
      await second.login(m.email, m.password);
      assert.equal((await m.req('GET', '/api/v1/leads')).status, 200);
      assert.equal((await second.req('GET', '/api/v1/auth/me')).status, 200);

      const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: m.id } });
      assert.equal(d.status, 200, d.text);
      assert.equal(d.body.active, false);
      assert.equal(d.body.id, m.id);

      assertProblem(await m.req('GET', '/api/v1/leads'), 401, 'unauthorized');
      assertProblem(await m.req('GET', '/api/v1/auth/me'), 401, 'unauthorized');
      assertProblem(await second.req('GET', '/api/v1/auth/me'), 401, 'unauthorized');
      const left = srv.sql(`SELECT COUNT(*) FROM session WHERE staff_id = ${Number(m.id)}`);
      assert.equal(left.stdout, '0', 'the session rows are gone');
      const again = await client(srv.base).req('POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
      assertProblem(again, 401, 'unauthorized');
      assert.equal((await admin.req('GET', ITEM, { params: { id: m.id } })).body.active, false);
      const list = await admin.req('GET', STAFF, { query: { q: m.email, active: 'false' } });
      assert.deepEqual(list.body.data.map((x) => x.id), [m.id]);

      const rows = await activityRows(admin, { entity: 'staff', entity_id: m.id });
      assert.ok(rows.some((x) => x.diff && JSON.stringify(x.diff.active) === JSON.stringify({ from: true, to: false })),
        `an activity row records active true -> false: ${JSON.stringify(rows)}`);

      const a = await admin.req('POST', '/api/v1/staff/{id}/activate', { params: { id: m.id } });
      assert.equal(a.status, 200, a.text);
      assert.equal(a.body.active, true);
      const back = client(srv.base);
      await back.login(m.email, m.password);
      assert.equal((await back.req('GET', '/api/v1/leads')).status, 200);
    });

    it('nobody deactivates themselves (409); the admin\'s session goes on', async () => {
      const r = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: admin.me.id } });
      assertProblem(r, 409, 'conflict');
      assert.match(r.body.detail, /yourself/);
      assert.equal((await admin.req('GET', '/api/v1/auth/me')).status, 200);
    });

    it('the last active administrator keeps admin and cannot be deactivated or deleted (409)', async () => {
      const only = await admin.req('GET', STAFF, { query: { admin: 'true', active: 'true' } });
      assert.equal(only.status, 200);
      // Administrators added by other tests of this file are demoted first, so the admin is the last.
      for (const x of only.body.data.filter((y) => y.id !== admin.me.id)) {
        const p = await admin.req('PATCH', ITEM, { params: { id: x.id }, body: { admin: false }, headers: { 'If-Match': `"${x.version}"` } });
        assert.equal(p.status, 200, `demoting ${x.id}: ${p.text}`);
      }
      const me = await admin.req('GET', ITEM, { params: { id: admin.me.id } });
      const demote = await admin.req('PATCH', ITEM, { params: { id: admin.me.id }, body: { admin: false }, headers: { 'If-Match': me.headers.get('etag') } });
      assertProblem(demote, 409, 'conflict');
      assert.match(demote.body.detail, /last active administrator/);
      const deact = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: admin.me.id } });
      assertProblem(deact, 409, 'conflict');
      const del = await admin.req('DELETE', ITEM, { params: { id: admin.me.id }, query: { reassign_to: plain.me.id } });
      assertProblem(del, 409, 'conflict');
      const g = await admin.req('GET', ITEM, { params: { id: admin.me.id } });
      assert.equal(g.body.admin, true);
      assert.equal(g.body.active, true);
      // Only the last one is protected: a second administrator can lose the flag.
      const two = await addStaff(admin, { admin: true });
      const p = await admin.req('PATCH', ITEM, { params: { id: two.id }, body: { admin: false }, headers: { 'If-Match': '"1"' } });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.body.admin, false);
    });
  });

  describe('delete with reassignment', () => {
    let gone;
    let heir;
    const made = {};

    before(async () => {
      gone = await member(srv, admin, { role_id: roleA.id });
      heir = await addStaff(admin);
      const lead = (extra) => addEntity(admin, 'leads', { name: uniq('rl'), ...extra });
      const cl = (extra) => addEntity(admin, 'clients', { company: uniq('rc'), ...extra });
      made.leadsOwned = [await lead({ owner_id: gone.id }), await lead({ owner_id: gone.id })];
      made.leadAssigned = await lead({ assigned_to: gone.id });
      made.leadBoth = await lead({ owner_id: gone.id, assigned_to: gone.id });
      made.clientOwned = await cl({ owner_id: gone.id });
      made.clientAssigned = await cl({ assigned_to: gone.id });
      made.untouched = await lead({ assigned_to: heir.id });
    });

    it('without reassign_to is 422 on reassign_to, and the member stays', async () => {
      const r = await admin.req('DELETE', ITEM, { params: { id: gone.id } });
      assertFieldErrors(r, { reassign_to: null });
      assert.match(r.body.errors.find((e) => e.field === 'reassign_to').detail, /deactivate/, 'says deactivate instead');
      assert.equal((await admin.req('GET', ITEM, { params: { id: gone.id } })).status, 200);
    });

    it('reassign_to the member themselves, a missing or an inactive member is 422 on reassign_to', async () => {
      const inactive = await addStaff(admin);
      const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: inactive.id } });
      assert.equal(d.status, 200);
      for (const to of [gone.id, MISSING_ID, inactive.id]) {
        const r = await admin.req('DELETE', ITEM, { params: { id: gone.id }, query: { reassign_to: to } });
        assertFieldErrors(r, { reassign_to: null });
      }
      assert.equal((await admin.req('GET', ITEM, { params: { id: gone.id } })).status, 200);
      const lead = await admin.req('GET', '/api/v1/leads/{id}', { params: { id: made.leadAssigned.id } });
      assert.equal(lead.body.assigned_to, gone.id, 'nothing was reassigned');
    });

    it('nobody deletes themselves (409)', async () => {
      const r = await admin.req('DELETE', ITEM, { params: { id: admin.me.id }, query: { reassign_to: heir.id } });
      assertProblem(r, 409, 'conflict');
    });

    it('with reassign_to: records move to the target, counts per entity, an activity row, the member is gone', async () => {
      const r = await admin.req('DELETE', ITEM, { params: { id: gone.id }, query: { reassign_to: heir.id } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.deleted, gone.id);
      assert.equal(r.body.reassigned_to, heir.id);
      assert.deepEqual(r.body.reassigned, {
        lead: { owner_id: 3, assigned_to: 2 },
        client: { owner_id: 1, assigned_to: 1 },
        contact: { owner_id: 0 },
        contract: { owner_id: 0, assigned_to: 0 },
        project: { owner_id: 0, assigned_to: 0, members: 0 },
        task: { assignees: 0, owner_id: 0 },
        ticket: { assigned_to: 0, owner_id: 0 },
        invoice: { owner_id: 0 },
        credit_note: { owner_id: 0 },
        proposal: { owner_id: 0 },
        payment: { recorded_by: 0 },
        automation: { owner_id: 0 },
        gdpr_request: { handled_by: 0 }, // a departing member's GDPR requests go to the heir
      });
      const getLead = async (x) => (await admin.req('GET', '/api/v1/leads/{id}', { params: { id: x.id } })).body;
      const getClient = async (x) => (await admin.req('GET', '/api/v1/clients/{id}', { params: { id: x.id } })).body;
      for (const x of made.leadsOwned) assert.equal((await getLead(x)).owner_id, heir.id);
      assert.equal((await getLead(made.leadAssigned)).assigned_to, heir.id);
      assert.equal((await getLead(made.leadAssigned)).owner_id, admin.me.id, 'the owner of an assigned lead stays');
      const both = await getLead(made.leadBoth);
      assert.equal(both.owner_id, heir.id);
      assert.equal(both.assigned_to, heir.id);
      assert.ok(both.version > made.leadBoth.version, 'the version moved on');
      assert.equal((await getClient(made.clientOwned)).owner_id, heir.id);
      assert.equal((await getClient(made.clientAssigned)).assigned_to, heir.id);
      assert.deepEqual(await getLead(made.untouched), made.untouched, 'records of others are untouched');
      // Each record moved says so in its own history.
      const moved = await activityRows(admin, { entity: 'lead', entity_id: made.leadBoth.id, action: 'reassign' });
      assert.deepEqual(moved.map((x) => x.diff).sort((a, b) => Object.keys(a)[0].localeCompare(Object.keys(b)[0])),
        [{ assigned_to: { from: gone.id, to: heir.id } }, { owner_id: { from: gone.id, to: heir.id } }]);
      assert.ok(moved.every((x) => x.actor_id === admin.me.id));

      assertProblem(await admin.req('GET', ITEM, { params: { id: gone.id } }), 404, 'not-found');
      assertProblem(await gone.req('GET', '/api/v1/auth/me'), 401, 'unauthorized');
      const rows = await activityRows(admin, { entity: 'staff', entity_id: gone.id, action: 'delete' });
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.equal(rows[0].actor_id, admin.me.id);
      assert.deepEqual(rows[0].diff.email, { from: gone.email });
      assert.deepEqual(rows[0].diff.reassigned_to, { to: heir.id });
      assert.deepEqual(rows[0].diff.reassigned, { to: r.body.reassigned });
    });
  });

  describe('temporary password', () => {
    let rec;
    let c;
    const temp = 'Temporary-password-42';

    before(async () => {
      rec = await addStaff(admin, { role_id: roleA.id, temporary_password: temp });
    });

    it('the record says must_change_password and has_password, without the password', async () => {
      assert.equal(rec.must_change_password, true);
      assert.equal(rec.has_password, true);
      assertNoSecrets(rec, [temp]);
    });

    it('sign-in works and says must_change_password', async () => {
      c = client(srv.base);
      const r = await c.login(rec.email, temp);
      assert.equal(r.body.staff.must_change_password, true);
      const me = await c.req('GET', '/api/v1/auth/me');
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.staff.id, rec.id);
    });

    it('every other session or perm route answers 403 "change your password first"', async () => {
      const table = JSON.parse(runBin(['routes']).stdout);
      const open = new Set(['GET /api/v1/auth/me', 'POST /api/v1/auth/logout', 'POST /api/v1/auth/password/change',
        'GET /api/v1/auth/session']);
      const wrong = [];
      let n = 0;
      for (const route of table) {
        const key = `${route.method} ${route.path}`;
        if (!route.path.startsWith('/api/v1/') || route.access === 'public' || open.has(key)) continue;
        // The client portal's routes do not know staff at all (portal.test.mjs).
        if (route.access === 'contact') continue;
        const params = {};
        for (const m of route.path.matchAll(/\{([^}]+)\}/g)) params[m[1]] = m[1] === 'group' ? 'company' : m[1] === 'kind' ? 'logo_light'
          : m[1] === 'key' ? 'activity_review' : MISSING_ID;
        const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined;
        const r = await c.req(route.method, route.path, { params, body, headers: { 'If-Match': '"1"' } });
        n++;
        if (r.status !== 403 || r.body?.detail !== 'change your password first') wrong.push(`${key}: ${r.status} ${r.body?.detail}`);
      }
      assert.ok(n >= 20, `${n} routes tried`);
      assert.deepEqual(wrong, []);
    });

    it('logout works while the password must change', async () => {
      const other = client(srv.base);
      await other.login(rec.email, temp);
      const r = await other.req('POST', '/api/v1/auth/logout');
      assert.equal(r.status, 204, r.text);
    });

    it('a wrong current password is 422 on current_password', async () => {
      const r = await c.req('POST', '/api/v1/auth/password/change', {
        body: { current_password: 'Not-the-password-1', new_password: 'Brand-new-password-1' },
      });
      assertFieldErrors(r, { current_password: null });
      assertProblem(await c.req('GET', '/api/v1/leads'), 403, 'forbidden');
    });

    it('the change succeeds, and then the role\'s routes open', async () => {
      const r = await c.req('POST', '/api/v1/auth/password/change', {
        body: { current_password: temp, new_password: 'Brand-new-password-1' },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.staff.must_change_password, false);
      assert.equal((await c.req('GET', '/api/v1/leads')).status, 200);
      assertProblem(await c.req('GET', STAFF), 403, 'forbidden');
      const g = await admin.req('GET', ITEM, { params: { id: rec.id } });
      assert.equal(g.body.must_change_password, false);
      const old = await client(srv.base).req('POST', '/api/v1/auth/login', { body: { email: rec.email, password: temp } });
      assertProblem(old, 401, 'unauthorized');
      await client(srv.base).login(rec.email, 'Brand-new-password-1');
    });
  });

  describe('list filters', () => {
    let tag;
    let rb;
    const s = {};

    before(async () => {
      tag = uniq('flt');
      rb = await addRole(admin, uniq('Other '), {});
      s.anna = await addStaff(admin, {
        tag: `${tag}-anna`, name: `${tag} Anna`, role_id: roleA.id, department_ids: [deps[0].id], team_ids: [teams[0].id],
        temporary_password: 'Anna-temp-password-1',
      });
      s.bert = await addStaff(admin, {
        tag: `${tag}-bert`, name: `${tag} Bert`, role_id: rb.id, department_ids: [deps[1].id], team_ids: [teams[0].id, teams[1].id],
        temporary_password: 'Bert-temp-password-1',
      });
      s.carl = await addStaff(admin, {
        tag: `${tag}-carl`, name: `${tag} Carl`, role_id: roleA.id, department_ids: [deps[0].id, deps[1].id], admin: true,
      });
      s.dora = await addStaff(admin, { tag: `${tag}-dora`, name: `${tag} Dora` });
      const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: s.dora.id } });
      assert.equal(d.status, 200, d.text);
      // Anna and Bert sign in; Bert's last sign-in is then moved 40 days back (sqlite3/psql).
      await client(srv.base).login(s.anna.email, 'Anna-temp-password-1');
      await client(srv.base).login(s.bert.email, 'Bert-temp-password-1');
      const old = new Date(Date.now() - 40 * 86400000).toISOString();
      const w = srv.sql(`UPDATE staff SET last_login_at = '${old}' WHERE id = ${Number(s.bert.id)}`);
      assert.equal(w.status, 0, w.stderr);
    });

    const ids = (b) => b.data.map((x) => x.id);
    async function list(query) {
      const r = await admin.req('GET', STAFF, { query });
      assert.equal(r.status, 200, `${JSON.stringify(query)}: ${r.status} ${r.text}`);
      return r.body;
    }

    it('q (name or email, any case) with the default order by name; the envelope', async () => {
      const b = await list({ q: tag.toUpperCase() });
      assert.deepEqual(ids(b), [s.anna.id, s.bert.id, s.carl.id, s.dora.id]);
      assert.equal(b.total, 4);
      assert.equal(b.limit, 50);
      assert.equal(b.offset, 0);
      const byEmail = await list({ q: `${tag}-bert@` });
      assert.deepEqual(ids(byEmail), [s.bert.id]);
      const a = b.data[0];
      assert.match(a.last_login, ISO_MS, 'Anna signed in');
      assert.equal(b.data[3].last_login, null, 'Dora never did');
      assertNoSecrets(b);
    });

    it('role_id, department_id, team_id', async () => {
      assert.deepEqual(ids(await list({ q: tag, role_id: roleA.id })), [s.anna.id, s.carl.id]);
      assert.deepEqual(ids(await list({ q: tag, role_id: rb.id })), [s.bert.id]);
      assert.deepEqual(ids(await list({ department_id: deps[0].id, q: tag })), [s.anna.id, s.carl.id]);
      assert.deepEqual(ids(await list({ department_id: deps[1].id, q: tag })), [s.bert.id, s.carl.id]);
      assert.deepEqual(ids(await list({ team_id: teams[1].id, q: tag })), [s.bert.id]);
      assert.deepEqual(ids(await list({ team_id: teams[0].id, q: tag })), [s.anna.id, s.bert.id]);
    });

    it('admin and active', async () => {
      assert.deepEqual(ids(await list({ q: tag, admin: 'true' })), [s.carl.id]);
      assert.deepEqual(ids(await list({ q: tag, admin: 'false' })), [s.anna.id, s.bert.id, s.dora.id]);
      assert.deepEqual(ids(await list({ q: tag, active: 'false' })), [s.dora.id]);
      assert.deepEqual(ids(await list({ q: tag, active: 'true' })), [s.anna.id, s.bert.id, s.carl.id]);
      assert.deepEqual(ids(await list({ q: tag, active: 'true', admin: 'false', role_id: roleA.id })), [s.anna.id]);
    });

    it('inactive_days: no sign-in for N days, or never; the invited (no password yet) do not count', async () => {
      // Carl and Dora were added without a password and never signed in:
      // invited, not inactive.
      const all = await list({ q: tag });
      assert.deepEqual(all.data.filter((x) => x.invited).map((x) => x.id), [s.carl.id, s.dora.id]);
      assert.deepEqual(ids(await list({ q: tag, inactive_days: 30 })), [s.bert.id]);
      assert.deepEqual(ids(await list({ q: tag, inactive_days: 50 })), []);
    });

    it('sort by name, -name, -last_login; limit and offset', async () => {
      assert.deepEqual(ids(await list({ q: tag, sort: '-name' })), [s.dora.id, s.carl.id, s.bert.id, s.anna.id]);
      const bl = await list({ q: tag, sort: '-last_login' });
      assert.deepEqual(ids(bl).slice(0, 2), [s.anna.id, s.bert.id], 'most recent sign-in first');
      const page = await list({ q: tag, limit: 2, offset: 1 });
      assert.deepEqual(ids(page), [s.bert.id, s.carl.id]);
      assert.equal(page.total, 4);
      assert.equal(page.limit, 2);
      assert.equal(page.offset, 1);
    });

    it('an unknown key or a malformed value is 400', async () => {
      for (const q of [{ colour: 'red' }, { role_id: 'abc' }, { active: 'maybe' }, { inactive_days: '-1' }, { sort: 'password' }, { limit: 1000 }]) {
        assertProblem(await admin.req('GET', STAFF, { query: q }), 400, 'malformed');
      }
    });
  });

  describe('roles', () => {
    it('create: 201 with Location, ETag and the matrix; GET and the list agree; a new role grants nothing', async () => {
      const name = uniq('Role ');
      const r = await admin.req('POST', ROLES, {
        body: { name, description: 'Reads leads', permissions: { leads: ['view', 'create'], clients: ['view_own'] } },
      });
      assert.equal(r.status, 201, r.text);
      assert.ok((r.headers.get('location') || '').endsWith(`/api/v1/roles/${r.body.id}`));
      assert.equal(r.headers.get('etag'), '"1"');
      assert.equal(r.body.name, name);
      assert.equal(r.body.description, 'Reads leads');
      assert.deepEqual(sortedMatrix(r.body.permissions), { leads: ['create', 'view'], clients: ['view_own'] });
      assert.equal(r.body.staff_count, 0);
      assert.equal(r.body.version, 1);
      assert.match(r.body.created_at, ISO_MS);
      assert.match(r.body.updated_at, ISO_MS);
      const g = await admin.req('GET', ROLE, { params: { id: r.body.id } });
      assert.equal(g.status, 200);
      assert.equal(g.headers.get('etag'), '"1"');
      assert.deepEqual(g.body, r.body);
      const l = await admin.req('GET', ROLES);
      assert.equal(l.status, 200);
      assert.equal(l.body.total, l.body.data.length);
      assert.deepEqual(l.body.data.find((x) => x.id === r.body.id), r.body);

      const empty = await addRole(admin, uniq('Empty '), undefined);
      assert.deepEqual(empty.permissions, {});
      const m = await member(srv, admin, { role_id: empty.id });
      assertProblem(await m.req('GET', '/api/v1/leads'), 403, 'forbidden');
      const a = await admin.req('GET', '/api/v1/staff/{id}/access', { params: { id: m.id } });
      assert.ok(a.body.modules.every((x) => Object.values(x.capabilities).every((c) => c.allowed === false)),
        'a new role grants nothing');
    });

    it('invalid: name missing, name taken, unknown module, unknown capability, wrong types, unknown field', async () => {
      const taken = await addRole(admin, uniq('Taken '), {});
      const cases = [
        [{ permissions: {} }, { name: 'required' }],
        [{ name: taken.name }, { name: 'taken' }],
        [{ name: uniq('r'), permissions: { nosuch: ['view'] } }, { 'permissions.nosuch': 'not_allowed' }],
        [{ name: uniq('r'), permissions: { leads: ['fly'] } }, { 'permissions.leads': 'not_allowed' }],
        [{ name: uniq('r'), permissions: { settings: ['delete'] } }, { 'permissions.settings': 'not_allowed' }],
        [{ name: uniq('r'), permissions: { leads: 'view' } }, { 'permissions.leads': 'type' }],
        [{ name: uniq('r'), permissions: ['leads'] }, { permissions: 'type' }],
        [{ name: 'x'.repeat(101) }, { name: 'too_long' }],
        [{ name: uniq('r'), colour: 1 }, { colour: 'unknown_field' }],
      ];
      for (const [body, fields] of cases) {
        const r = await admin.req('POST', ROLES, { body });
        assertFieldErrors(r, fields);
      }
      const l = await admin.req('GET', ROLES);
      assert.equal(l.body.data.filter((x) => x.name === taken.name).length, 1);
    });

    it('edit: 428 without If-Match, 412 when stale, 200 with the before/after matrix in the activity log', async () => {
      const role = await addRole(admin, uniq('Edit '), { leads: ['view'] });
      assertProblem(await admin.req('PATCH', ROLE, { params: { id: role.id }, body: { name: 'x' } }), 428, 'precondition-required');
      const r = await admin.req('PATCH', ROLE, {
        params: { id: role.id }, body: { name: `${role.name} v2`, permissions: { leads: ['view', 'edit'], staff: ['view'] } },
        headers: { 'If-Match': '"1"' },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.version, 2);
      assert.equal(r.headers.get('etag'), '"2"');
      assert.equal(r.body.name, `${role.name} v2`);
      assert.deepEqual(sortedMatrix(r.body.permissions), { leads: ['edit', 'view'], staff: ['view'] });
      const stale = await admin.req('PATCH', ROLE, { params: { id: role.id }, body: { name: 'stale' }, headers: { 'If-Match': '"1"' } });
      assertProblem(stale, 412, 'precondition-failed');
      assert.equal((await admin.req('GET', ROLE, { params: { id: role.id } })).body.name, `${role.name} v2`);

      const rows = await activityRows(admin, { entity: 'role', entity_id: role.id });
      const up = rows.filter((x) => x.action === 'update');
      assert.equal(up.length, 1, JSON.stringify(rows));
      assert.deepEqual(sortedMatrix(up[0].diff.permissions.from), { leads: ['view'] });
      assert.deepEqual(sortedMatrix(up[0].diff.permissions.to), { leads: ['edit', 'view'], staff: ['view'] });
      assert.deepEqual(up[0].diff.name, { from: role.name, to: `${role.name} v2` });
      const cr = rows.filter((x) => x.action === 'create');
      assert.equal(cr.length, 1);
      assert.deepEqual(cr[0].diff.permissions, { to: { leads: ['view'] } });
      assertProblem(await admin.req('PATCH', ROLE, { params: { id: MISSING_ID }, body: { name: 'x' }, headers: { 'If-Match': '"1"' } }), 404, 'not-found');
    });

    it('a change to the matrix applies to the members at once', async () => {
      const role = await addRole(admin, uniq('Live '), {});
      const m = await member(srv, admin, { role_id: role.id });
      assertProblem(await m.req('GET', '/api/v1/clients'), 403, 'forbidden');
      const p = await admin.req('PATCH', ROLE, { params: { id: role.id }, body: { permissions: { clients: ['view'] } }, headers: { 'If-Match': '"1"' } });
      assert.equal(p.status, 200, p.text);
      assert.equal((await m.req('GET', '/api/v1/clients')).status, 200);
    });

    it('deleting a role in use is 409 naming how many staff use it; unused, 204 with the matrix in the log', async () => {
      const role = await addRole(admin, uniq('Busy '), { leads: ['view'] });
      const a = await addStaff(admin, { role_id: role.id });
      await addStaff(admin, { role_id: role.id });
      assert.equal((await admin.req('GET', ROLE, { params: { id: role.id } })).body.staff_count, 2);
      const r = await admin.req('DELETE', ROLE, { params: { id: role.id } });
      assertProblem(r, 409, 'conflict');
      assert.match(r.body.detail, new RegExp(`role '${role.name}'.*\\b2 staff\\b`));
      assert.equal((await admin.req('GET', ROLE, { params: { id: role.id } })).status, 200);
      const l = await admin.req('GET', STAFF, { query: { role_id: role.id } });
      assert.equal(l.body.total, 2);

      const free = await addRole(admin, uniq('Free '), { clients: ['view', 'delete'] });
      const d = await admin.req('DELETE', ROLE, { params: { id: free.id } });
      assert.equal(d.status, 204, d.text);
      assertProblem(await admin.req('GET', ROLE, { params: { id: free.id } }), 404, 'not-found');
      assertProblem(await admin.req('DELETE', ROLE, { params: { id: free.id } }), 404, 'not-found');
      const rows = await activityRows(admin, { entity: 'role', entity_id: free.id, action: 'delete' });
      assert.equal(rows.length, 1);
      assert.deepEqual(sortedMatrix(rows[0].diff.permissions.from), { clients: ['delete', 'view'] });
      assert.deepEqual(rows[0].diff.name, { from: free.name });
      assert.equal((await admin.req('GET', ITEM, { params: { id: a.id } })).body.role_id, role.id);
    });

    it('templates: the spec\'s roles, Sales Agent with all its grants', async () => {
      const r = await admin.req('GET', '/api/v1/roles/templates');
      assert.equal(r.status, 200, r.text);
      const mods = new Set((await admin.req('GET', '/api/v1/permissions/modules')).body.data.map((m) => m.module));
      const sa = r.body.data.find((x) => x.name === 'Sales Agent');
      assert.ok(sa, `Sales Agent in ${r.text}`);
      assert.equal(typeof sa.description, 'string');
      assert.deepEqual(sortedMatrix(sa.permissions), {
        leads: ['create', 'edit', 'view_own'], clients: ['create', 'view'], proposals: ['create', 'edit', 'view'], invoices: ['view_own'],
      });
      assert.deepEqual(sa.missing_modules, []);
      const ar = r.body.data.find((x) => x.name === 'AR Accountant');
      assert.deepEqual(sortedMatrix(ar.permissions), { invoices: ['edit', 'view'], payments: ['create', 'view'], clients: ['view'] });
      assert.deepEqual(ar.missing_modules, ['bank_statements']);
      for (const t of r.body.data) {
        for (const m of Object.keys(t.permissions)) assert.ok(mods.has(m), `${t.name}: ${m} exists`);
        for (const m of t.missing_modules) assert.ok(!mods.has(m), `${t.name}: ${m} is really missing`);
      }
      // A template is usable as it is.
      const made = await admin.req('POST', ROLES, { body: { name: uniq('From template '), permissions: sa.permissions } });
      assert.equal(made.status, 201, made.text);
    });

    it('the modules list names every module with its capabilities', async () => {
      const r = await admin.req('GET', '/api/v1/permissions/modules');
      assert.equal(r.status, 200);
      const byName = Object.fromEntries(r.body.data.map((m) => [m.module, m]));
      for (const m of ['leads', 'clients', 'departments', 'teams', 'staff', 'roles', 'settings', 'activity', 'email_queue']) {
        assert.ok(byName[m], `module ${m}`);
        assert.equal(typeof byName[m].label, 'string');
      }
      assert.deepEqual([...byName.leads.capabilities].sort(), ['create', 'delete', 'edit', 'view', 'view_own']);
      assert.ok(!byName.activity.capabilities.includes('delete'), 'the activity log cannot be deleted');
    });
  });
});

describe('seat limit', () => {
  let srv;
  let admin;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
  });
  after(async () => {
    await srv?.stop();
  });

  async function activeCount() {
    const r = await admin.req('GET', STAFF, { query: { active: 'true' } });
    return r.body.total;
  }

  it('adding, inviting or activating past members_included + extra_seats is 409 with the numbers', async () => {
    const active = await activeCount();
    assert.equal(active, 2, 'the admin and the plain member');
    await raiseSeats(srv, admin, 3);
    const a = await addStaff(admin);
    const tag = uniq('over');
    const r = await admin.req('POST', STAFF, { body: { email: `${tag}@example.test`, name: tag } });
    assertProblem(r, 409, 'conflict');
    assert.match(r.body.detail, /\b3\b/, 'the limit and the active count (3 of 3)');
    assert.match(r.body.detail, /deactivat/i, 'says that deactivating frees a seat');
    const inv = await admin.req('POST', STAFF, { body: { email: `${tag}i@example.test`, name: tag, send_welcome: true } });
    assertProblem(inv, 409, 'conflict');
    assert.equal((await admin.req('GET', STAFF, { query: { q: tag } })).body.total, 0, 'nobody was added');

    // The limit below the active count: both numbers appear.
    await raiseSeats(srv, admin, 1);
    const low = await admin.req('POST', STAFF, { body: { email: `${tag}l@example.test`, name: tag } });
    assertProblem(low, 409, 'conflict');
    assert.match(low.body.detail, /\b1\b/, `the limit: ${low.body.detail}`);
    assert.match(low.body.detail, /\b3\b/, `the active count: ${low.body.detail}`);

    // Deactivating frees a seat; activating past the limit is refused; extra seats count.
    await raiseSeats(srv, admin, 3);
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: a.id } });
    assert.equal(d.status, 200, d.text);
    const b = await addStaff(admin);
    assert.equal(b.active, true);
    const act = await admin.req('POST', '/api/v1/staff/{id}/activate', { params: { id: a.id } });
    assertProblem(act, 409, 'conflict');
    assert.match(act.body.detail, /\b3\b/);
    assert.match(act.body.detail, /deactivat/i);
    assert.equal((await admin.req('GET', ITEM, { params: { id: a.id } })).body.active, false);
    const extra = srv.cli(['org', 'seats', '1', '--members-included', '3', '--extra-seats', '1']);
    assert.equal(extra.status, 0, extra.stderr);
    const ok = await admin.req('POST', '/api/v1/staff/{id}/activate', { params: { id: a.id } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.active, true);
    assert.equal(await activeCount(), 4);
  });
});

// ---------------------------------------------------------------------------
// Invitation email, received by a real SMTP server: Debian's aiosmtpd with its
// Maildir handler (/usr/bin/python3: a pyenv python3 earlier on PATH may lack it).

/* Decodes a received RFC 5322 message: {headers (unfolded text), body (text)}. */
function parseMessage(raw) {
  const m = /\r?\n\r?\n/.exec(raw);
  const head = m ? raw.slice(0, m.index) : raw;
  let body = m ? raw.slice(m.index + m[0].length) : '';
  const headers = head.replace(/\r?\n[ \t]+/g, ' ');
  const cte = (/^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1] || '').toLowerCase();
  if (cte === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  } else if (cte === 'base64') {
    body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  const header = (name) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(headers)?.[1] ?? null;
  return { headers, header, body };
}

function startSmtp(port, dir) {
  const proc = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  proc.output = () => out;
  proc.exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  return proc;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

describe('invitation email through a real SMTP server', () => {
  let srv;
  let admin;
  let smtp;
  let smtpPort;
  let maildir;
  let invited;
  let firstToken;

  /* Messages in the Maildir for `to`, oldest first. */
  function messagesTo(to) {
    const dir = path.join(maildir, 'new');
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir)
      .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs, raw: fs.readFileSync(path.join(dir, f), 'utf8') }))
      .sort((a, b) => a.t - b.t || a.f.localeCompare(b.f))
      .map((x) => parseMessage(x.raw))
      .filter((m) => (m.header('To') || '').toLowerCase().includes(to.toLowerCase()));
  }
  const tokenOf = (m) => /\/set-password#token=([A-Za-z0-9_~.-]+)/.exec(m.body)?.[1] ?? null;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    // A path that does not exist yet: Python's Maildir creates new/, cur/ and tmp/ only then.
    maildir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-smtp-')), 'Maildir');
    smtpPort = await freePort();
    smtp = startSmtp(smtpPort, maildir);
    await waitFor(() => canConnect(smtpPort), { timeout: 15000, what: `aiosmtpd on port ${smtpPort}: ${smtp.output()}` });
  });
  after(async () => {
    if (smtp && smtp.exitCode === null) {
      smtp.kill('SIGTERM');
      await Promise.race([smtp.exited, new Promise((r) => setTimeout(r, 5000))]);
      if (smtp.exitCode === null) smtp.kill('SIGKILL');
    }
    if (maildir) fs.rmSync(path.dirname(maildir), { recursive: true, force: true });
    await srv?.stop();
  });

  it('the SMTP settings point at the test server', async () => {
    const r = await admin.req('PATCH', '/api/v1/settings/{group}', {
      params: { group: 'smtp' },
      body: { smtp_host: '127.0.0.1', smtp_port: smtpPort, smtp_security: 'none', smtp_email: 'crm@example.test' },
    });
    assert.equal(r.status, 200, r.text);
  });

  it('send_welcome queues an invitation that arrives with a single-use set-password link', async () => {
    const tag = uniq('inv');
    const r = await admin.req('POST', STAFF, { body: { email: `${tag}@example.test`, name: `Invited ${tag}`, send_welcome: true } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.invitation_sent, true);
    assert.equal(r.body.has_password, false);
    invited = r.body;
    const [msg] = await waitFor(() => { const x = messagesTo(invited.email); return x.length ? x : null; },
      { timeout: 30000, every: 200, what: `the invitation to ${invited.email} in ${maildir}` });
    assert.match(msg.header('Subject') || '', /invit/i);
    assert.match(msg.header('From') || '', /crm@example\.test/);
    assert.match(msg.header('X-MailFrom') || '', /crm@example\.test/, 'the envelope sender');
    assert.ok(msg.body.includes(invited.name), 'the email greets the member by name');
    firstToken = tokenOf(msg);
    assert.ok(firstToken, `a /set-password#token= link in: ${msg.body}`);
    assertNoSecrets(await admin.req('GET', ITEM, { params: { id: invited.id } }).then((x) => x.body), [firstToken]);
  });

  it('the link sets a password and signs the new member in; the same token a second time is 403', async () => {
    assert.ok(firstToken, 'the previous test received the token');
    const c = client(srv.base);
    const r = await c.req('POST', '/api/v1/auth/password/set', { body: { token: firstToken, password: 'Invited-member-password-1' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.staff.id, invited.id);
    assert.equal(r.body.staff.email, invited.email);
    assert.ok(c.sessionCookie(), 'a session cookie was set');
    const me = await c.req('GET', '/api/v1/auth/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.staff.id, invited.id);
    const again = await client(srv.base).req('POST', '/api/v1/auth/password/set', { body: { token: firstToken, password: 'Another-password-123' } });
    assertProblem(again, 403, 'forbidden');
    await client(srv.base).login(invited.email, 'Invited-member-password-1');
    assert.equal((await admin.req('GET', ITEM, { params: { id: invited.id } })).body.has_password, true);
  });

  it('POST /staff/{id}/invite sends a new link (202) that replaces the unused earlier one', async () => {
    const s = await addStaff(admin, { send_welcome: true });
    const first = await waitFor(() => { const x = messagesTo(s.email); return x.length ? x : null; },
      { timeout: 30000, every: 200, what: `the first invitation to ${s.email}` });
    const t1 = tokenOf(first[0]);
    const r = await admin.req('POST', '/api/v1/staff/{id}/invite', { params: { id: s.id } });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.invitation_sent, true);
    const both = await waitFor(() => { const x = messagesTo(s.email); return x.length >= 2 ? x : null; },
      { timeout: 30000, every: 200, what: `the second invitation to ${s.email}` });
    const t2 = tokenOf(both[1]);
    assert.ok(t1 && t2 && t1 !== t2, 'two different links');
    const old = await client(srv.base).req('POST', '/api/v1/auth/password/set', { body: { token: t1, password: 'Old-link-password-1' } });
    assertProblem(old, 403, 'forbidden');
    const ok = await client(srv.base).req('POST', '/api/v1/auth/password/set', { body: { token: t2, password: 'New-link-password-1' } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.staff.id, s.id);
  });
});
