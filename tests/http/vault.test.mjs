// The team password vault (issue 16, "Team password vault"; spec "Team
// Password Manager", /admin/team_password): entries with their categories,
// secrets sealed at rest under a per-entry key wrapped by the master key and
// never in a list, a record, the activity log, the events or the server's
// log; reveal only after re-authentication, logged in the same transaction;
// access per entry by role, department, team or member (view < use <
// manage), deny by default, administrators manage everything; categories
// with default grants; history of previous passwords; every invalid field in
// one answer; 401 and 403 on every route; the wrong master key is a clear 503.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, assertNoSecrets, uniq, addRole,
  addMember, raiseSeats, waitFor, ISO_MS,
} from './harness.mjs';

const ENTRIES = '/api/v1/vault/entries';
const ENTRY = '/api/v1/vault/entries/{id}';
const REVEAL = '/api/v1/vault/entries/{id}/reveal';
const ACCESS = '/api/v1/vault/entries/{id}/access';
const HISTORY = '/api/v1/vault/entries/{id}/history';
const ACTIVITY = '/api/v1/vault/entries/{id}/activity';
const SUBJECTS = '/api/v1/vault/subjects';
const CATEGORIES = '/api/v1/vault/categories';
const CATEGORY = '/api/v1/vault/categories/{id}';

/* A password no other text of the test contains, to look for everywhere. */
const secret = (label) => `${label}-${randomBytes(9).toString('base64url')}-S3cr3t!`;
/* The password addMember gave a member (they changed their temporary one). */
const passwordOf = (c) => `Temp-${c.me.email.split('@')[0]}-password-changed`;

describe('team password vault', () => {
  let srv;
  let admin;
  let roleUser; // team_password.view
  let roleCreator; // team_password.view + create
  let depA;
  let depB;
  let team;
  let ana; // role user, department A
  let bob; // role user, department B
  let cai; // role creator, no department
  let dan; // role user, team
  let eve; // department A, but no team_password permission
  let curator; // team_password.view + categories create/edit/delete
  const secrets = []; // every secret written, looked for in every answer and log

  async function reauth(c, password = passwordOf(c)) {
    const r = await c.req('POST', '/api/v1/auth/reauth', { body: { password } });
    assert.equal(r.status, 200, r.text);
  }

  async function addEntry(body, c = admin) {
    const password = body.password === undefined ? secret('pw') : body.password;
    if (password) secrets.push(password);
    if (body.notes) secrets.push(body.notes);
    const r = await c.req('POST', ENTRIES, { body: { name: uniq('Entry '), ...body, password } });
    assert.equal(r.status, 201, r.text);
    // Beside the record, never in it (JSON and assertNoSecrets skip it).
    Object.defineProperty(r.body, 'password_text', { value: password, enumerable: false });
    return r.body;
  }

  async function patch(c, id, body) {
    const cur = await c.req('GET', ENTRY, { params: { id } });
    assert.equal(cur.status, 200, cur.text);
    return c.req('PATCH', ENTRY, { params: { id }, headers: { 'If-Match': cur.headers.get('etag') }, body });
  }

  async function putAccess(c, id, access) {
    const cur = await admin.req('GET', ENTRY, { params: { id } });
    return c.req('PUT', ACCESS, { params: { id }, headers: { 'If-Match': cur.headers.get('etag') }, body: { access } });
  }

  const ids = (r) => r.body.data.map((e) => e.id);

  before(async () => {
    srv = await startServer({ env: { ATRIUM_HOUSEKEEPING_INTERVAL_MS: '1000' } });
    admin = await adminClient(srv);
    await raiseSeats(admin);
    roleUser = await addRole(admin, uniq('Vault user '), { team_password: ['view'] });
    roleCreator = await addRole(admin, uniq('Vault creator '), { team_password: ['view', 'create'] });
    const roleCurator = await addRole(admin, uniq('Vault curator '), {
      team_password: ['view'], team_password_categories: ['create', 'edit', 'delete'],
    });
    const roleLeads = await addRole(admin, uniq('Leads only '), { leads: ['view'] });
    depA = (await admin.req('POST', '/api/v1/departments', { body: { name: uniq('Marketing ') } })).body;
    depB = (await admin.req('POST', '/api/v1/departments', { body: { name: uniq('Finance ') } })).body;
    team = (await admin.req('POST', '/api/v1/teams', { body: { name: uniq('Social ') } })).body;
    ana = await addMember(srv, admin, { role_id: roleUser.id, department_ids: [depA.id] }, 'ana');
    bob = await addMember(srv, admin, { role_id: roleUser.id, department_ids: [depB.id] }, 'bob');
    cai = await addMember(srv, admin, { role_id: roleCreator.id }, 'cai');
    dan = await addMember(srv, admin, { role_id: roleUser.id, team_ids: [team.id] }, 'dan');
    eve = await addMember(srv, admin, { role_id: roleLeads.id, department_ids: [depA.id] }, 'eve');
    curator = await addMember(srv, admin, { role_id: roleCurator.id }, 'curator');
  });
  after(async () => { await srv?.stop(); });

  describe('categories', () => {
    it('add, list, get, change with If-Match, delete; activity rows; names unique whatever their case', async () => {
      const name = uniq('Social media ');
      const r = await curator.req('POST', CATEGORIES, {
        body: { name, description: 'Facebook, LinkedIn\nand X', default_access: [{ subject: 'department', id: depA.id, level: 'use' }] },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.headers.get('location'), `${CATEGORIES}/${r.body.id}`);
      assert.equal(r.headers.get('etag'), '"1"');
      assert.deepEqual(r.body.default_access, [{ subject: 'department', id: depA.id, level: 'use' }]);
      assert.match(r.body.created_at, ISO_MS);
      const id = r.body.id;

      const list = await ana.req('GET', CATEGORIES, { query: { q: name } });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(ids(list), [id]);
      assert.equal(list.body.total, 1);
      assert.equal(list.body.data[0].entries, 0);
      const one = await ana.req('GET', CATEGORY, { params: { id } });
      assert.equal(one.status, 200);
      assert.equal(one.body.description, 'Facebook, LinkedIn\nand X');

      const taken = await curator.req('POST', CATEGORIES, { body: { name: name.toUpperCase() } });
      assertFieldErrors(taken, { name: 'taken' });

      const noMatch = await curator.req('PATCH', CATEGORY, { params: { id }, body: { description: 'x' } });
      assertProblem(noMatch, 428, 'precondition-required');
      const stale = await curator.req('PATCH', CATEGORY, { params: { id }, headers: { 'If-Match': '"7"' }, body: { description: 'x' } });
      assertProblem(stale, 412, 'precondition-failed');
      const ch = await curator.req('PATCH', CATEGORY, { params: { id }, headers: { 'If-Match': '"1"' },
        body: { name: `${name} v2`, default_access: [] } });
      assert.equal(ch.status, 200, ch.text);
      assert.equal(ch.headers.get('etag'), '"2"');
      // The same again changes nothing: no version, no row.
      const same = await curator.req('PATCH', CATEGORY, { params: { id }, headers: { 'If-Match': '"2"' }, body: { name: `${name} v2` } });
      assert.equal(same.headers.get('etag'), '"2"');

      const del = await curator.req('DELETE', CATEGORY, { params: { id } });
      assert.equal(del.status, 204);
      assertProblem(await ana.req('GET', CATEGORY, { params: { id } }), 404, 'not-found');

      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'vault_category', entity_id: id, sort: 'at' } });
      assert.deepEqual(log.body.data.map((e) => e.action), ['create', 'update', 'delete']);
      assert.deepEqual(log.body.data[1].diff.name, { from: name, to: `${name} v2` });
      assert.deepEqual(log.body.data[1].diff.default_access.to, []);
      assert.ok(!('updated_by' in log.body.data[1].diff), JSON.stringify(log.body.data[1].diff));
    });

    it('every invalid field of a category in one answer', async () => {
      const r = await curator.req('POST', CATEGORIES, {
        body: {
          name: ' ', description: 'x'.repeat(1001), colour: 'red',
          default_access: [{ subject: 'planet', id: 1, level: 'use' }, { subject: 'team', level: 'own' },
            { subject: 'department', id: 987654, level: 'view' }, { subject: 'team', id: team.id, level: 'view', extra: 1 },
            { subject: 'team', id: team.id, level: 'use' }],
        },
      });
      assertFieldErrors(r, {
        name: 'required', description: 'too_long', colour: 'unknown_field',
        'default_access[0].subject': 'not_allowed', 'default_access[1].id': 'required', 'default_access[1].level': 'not_allowed',
        'default_access[2].id': 'not_found', 'default_access[3].extra': 'unknown_field', 'default_access[4].id': 'invalid',
      });
      // An item that is no object is the list's error (the schema's own check).
      assertFieldErrors(await curator.req('POST', CATEGORIES, { body: { name: 'x', default_access: ['x'] } }), { default_access: 'type' });
      assertFieldErrors(await curator.req('POST', CATEGORIES, { body: { default_access: null } }),
        { name: 'required', default_access: 'required' });
      assertFieldErrors(await curator.req('POST', CATEGORIES, { body: { name: 'x', default_access: {} } }), { default_access: 'type' });
      const many = Array.from({ length: 101 }, (_, i) => ({ subject: 'role', id: i + 1, level: 'view' }));
      assertFieldErrors(await curator.req('POST', CATEGORIES, { body: { name: uniq('c'), default_access: many } }),
        { default_access: 'too_many' });
      const c = (await curator.req('POST', CATEGORIES, { body: { name: uniq('Cat ') } })).body;
      const p = await curator.req('PATCH', CATEGORY, { params: { id: c.id }, headers: { 'If-Match': '"1"' },
        body: { name: null, default_access: [{ subject: 'staff', id: 987654, level: 'view' }] } });
      assertFieldErrors(p, { name: 'required', 'default_access[0].id': 'not_found' });
    });

    it('a category in use is not deleted (its entries are moved first); 404s', async () => {
      const c = (await admin.req('POST', CATEGORIES, { body: { name: uniq('In use ') } })).body;
      const e = await addEntry({ category_id: c.id });
      const r = await admin.req('DELETE', CATEGORY, { params: { id: c.id } });
      assertProblem(r, 409, 'conflict');
      assert.match(r.body.detail, /1 entry is in it/);
      assert.equal((await admin.req('GET', CATEGORY, { params: { id: c.id } })).body.entries, 1);
      assert.equal((await patch(admin, e.id, { category_id: null })).status, 200);
      assert.equal((await admin.req('DELETE', CATEGORY, { params: { id: c.id } })).status, 204);
      for (const [m, body] of [['GET'], ['PATCH', {}], ['DELETE']]) {
        const x = await admin.req(m, CATEGORY, { params: { id: 987654 }, headers: { 'If-Match': '"1"' }, body });
        assertProblem(x, 404, 'not-found');
      }
    });

    it('401 anonymously and 403 without the permission on every category route', async () => {
      const anon = client(srv.base);
      const c = (await admin.req('POST', CATEGORIES, { body: { name: uniq('Perm ') } })).body;
      const routes = [['GET', CATEGORIES], ['POST', CATEGORIES, { name: 'x' }], ['GET', CATEGORY], ['PATCH', CATEGORY, { name: 'y' }],
        ['DELETE', CATEGORY]];
      for (const [m, p, body] of routes) {
        const opts = { params: { id: c.id }, body, headers: { 'If-Match': '"1"' } };
        assertProblem(await anon.req(m, p, opts), 401, 'unauthorized');
        assertProblem(await eve.req(m, p, opts), 403, 'forbidden');
      }
      // Opening the vault is not managing its categories.
      for (const [m, p, body] of routes.slice(1).filter(([m]) => m !== 'GET')) {
        assertProblem(await ana.req(m, p, { params: { id: c.id }, body, headers: { 'If-Match': '"1"' } }), 403, 'forbidden');
      }
    });
  });

  describe('entries', () => {
    it('add: the record has no secret; list, get, search, filter; sealed at rest under a wrapped per-entry key', async () => {
      const cat = (await admin.req('POST', CATEGORIES, { body: { name: uniq('Services ') } })).body;
      const notes = secret('notes');
      const name = uniq('Facebook page ');
      const e = await addEntry({
        name, category_id: cat.id, url: 'https://facebook.com/acme', username: 'social@acme.test', notes,
        access: [{ subject: 'department', id: depA.id, level: 'use' }],
      });
      assert.equal(e.name, name);
      assert.equal(e.category_id, cat.id);
      assert.equal(e.password_set, true);
      assert.equal(e.notes_set, true);
      assert.match(e.rotated_at, ISO_MS);
      assert.equal(e.created_by, admin.me.id);
      assert.equal(e.updated_by, admin.me.id);
      assert.ok(!('password' in e) && !('notes' in e), JSON.stringify(e));
      assert.deepEqual(e.access, [{ subject: 'department', id: depA.id, level: 'use' }]);
      assertNoSecrets(e, secrets);

      const one = await admin.req('GET', ENTRY, { params: { id: e.id } });
      assert.equal(one.status, 200);
      assert.equal(one.headers.get('etag'), '"1"');
      assert.equal(one.body.category_name, cat.name);
      assert.equal(one.body.level, 'manage');
      assertNoSecrets(one.body, secrets);

      for (const q of [name.slice(-8), 'social@acme', cat.name]) {
        const l = await admin.req('GET', ENTRIES, { query: { q } });
        assert.equal(l.status, 200, l.text);
        assert.ok(ids(l).includes(e.id), `q=${q}`);
        assertNoSecrets(l.body, secrets);
      }
      const byCat = await admin.req('GET', ENTRIES, { query: { category_id: cat.id } });
      assert.deepEqual(ids(byCat), [e.id]);
      assert.equal(byCat.body.data[0].category_name, cat.name);
      assert.equal(byCat.body.data[0].level, 'manage');
      assert.ok(!('access' in byCat.body.data[0]));
      const none = await admin.req('GET', ENTRIES, { query: { 'category_id[empty]': 'true', q: name.slice(-8) } });
      assert.deepEqual(ids(none), []);
      assertProblem(await admin.req('GET', ENTRIES, { query: { password: 'x' } }), 400, 'malformed');
      assertProblem(await admin.req('GET', ENTRIES, { query: { sort: 'password' } }), 400, 'malformed');

      const row = srv.sql(`SELECT entry_key || ' ' || password_enc || ' ' || notes_enc FROM vault_entry WHERE id = ${e.id}`);
      const [key, pw, nt] = row.stdout.split(' ');
      assert.match(key, /^v1:/);
      assert.match(pw, /^vk1:/);
      assert.match(nt, /^vk1:/);
      assert.ok(!row.stdout.includes(e.password_text) && !row.stdout.includes(notes));
      // The same password in two entries is sealed differently (own key, own nonce).
      const twin = await addEntry({ password: e.password_text });
      const pw2 = srv.sql(`SELECT password_enc FROM vault_entry WHERE id = ${twin.id}`).stdout;
      assert.notEqual(pw2, pw);
    });

    it('every invalid field of an entry in one answer', async () => {
      const r = await admin.req('POST', ENTRIES, {
        body: {
          name: 'x'.repeat(201), category_id: 987654, url: 'javascript:alert(1)', username: 'a\nb',
          password: 'p'.repeat(4097), notes: 'n'.repeat(20001), access: [{ subject: 'role', id: 987654, level: 'use' }],
          colour: 'red',
        },
      });
      assertFieldErrors(r, {
        name: 'too_long', category_id: 'not_found', url: 'invalid', username: 'invalid', password: 'too_long',
        notes: 'too_long', 'access[0].id': 'not_found', colour: 'unknown_field',
      });
      assertFieldErrors(await admin.req('POST', ENTRIES, { body: { url: 'https://x.test' } }), { name: 'required' });
      assertFieldErrors(await admin.req('POST', ENTRIES, { body: { name: '  ', category_id: 'one', access: 'all' } }),
        { name: 'required', category_id: 'type', access: 'type' });
      const e = await addEntry({});
      const p = await patch(admin, e.id, { name: null, url: 'ftp://x', access: [], password: 7 });
      assertFieldErrors(p, { name: 'required', url: 'invalid', access: 'unknown_field', password: 'type' });
    });

    it('change with If-Match: the activity diff says the password changed, never what it is; history keeps the old one', async () => {
      const e = await addEntry({ url: 'https://old.test', username: 'old' });
      const noMatch = await admin.req('PATCH', ENTRY, { params: { id: e.id }, body: { name: 'x' } });
      assertProblem(noMatch, 428, 'precondition-required');
      const stale = await admin.req('PATCH', ENTRY, { params: { id: e.id }, headers: { 'If-Match': '"9"' }, body: { name: 'x' } });
      assertProblem(stale, 412, 'precondition-failed');

      const next = secret('pw2');
      secrets.push(next);
      const r = await patch(admin, e.id, { password: next, url: null, username: 'new' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('etag'), '"2"');
      assert.equal(r.body.url, null);
      assert.equal(r.body.username, 'new');
      assertNoSecrets(r.body, secrets);
      // The same password again is no change.
      const same = await patch(admin, e.id, { password: next });
      assert.equal(same.headers.get('etag'), '"2"');
      const notes = secret('n2');
      secrets.push(notes);
      assert.equal((await patch(admin, e.id, { notes })).headers.get('etag'), '"3"');

      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'vault_entry', entity_id: e.id, sort: 'at' } });
      assert.deepEqual(log.body.data.map((x) => x.action), ['create', 'update', 'update']);
      const [created, changed, noted] = log.body.data.map((x) => x.diff);
      assert.deepEqual(created.password, { changed: true });
      assert.deepEqual(changed.password, { changed: true });
      assert.deepEqual(changed.url, { from: 'https://old.test', to: null });
      assert.deepEqual(changed.username, { from: 'old', to: 'new' });
      for (const k of ['password_set', 'notes_set', 'rotated_at', 'updated_by']) assert.ok(!(k in changed), k);
      assert.deepEqual(noted.notes, { changed: true });
      assert.ok(!('password' in noted));
      assertNoSecrets(log.body, secrets);

      const h = await admin.req('GET', HISTORY, { params: { id: e.id } });
      assert.equal(h.status, 200, h.text);
      assert.equal(h.body.data.length, 1);
      assert.equal(h.body.data[0].replaced_by, admin.me.id);
      assert.equal(h.body.data[0].replaced_by_name, admin.me.name);
      assert.match(h.body.data[0].replaced_at, ISO_MS);
      assertNoSecrets(h.body, secrets);
      await reauth(admin, srv.admin.password);
      const old = await admin.req('POST', REVEAL, { params: { id: e.id }, body: { history_id: h.body.data[0].id } });
      assert.equal(old.status, 200, old.text);
      assert.equal(old.body.password, e.password_text);
      const now = await admin.req('POST', REVEAL, { params: { id: e.id }, body: { fields: ['password', 'notes'] } });
      assert.deepEqual(now.body, { password: next, notes });
      // Clearing the password keeps the old one too; at most ten are kept.
      assert.equal((await patch(admin, e.id, { password: null })).body.password_set, false);
      for (let i = 0; i < 11; i++) assert.equal((await patch(admin, e.id, { password: `pw-${i}-${uniq()}` })).status, 200);
      const full = await admin.req('GET', HISTORY, { params: { id: e.id } });
      assert.equal(full.body.data.length, 10);
      assert.ok(full.body.data[0].id > full.body.data[9].id, 'newest first');
      assertProblem(await admin.req('GET', HISTORY, { params: { id: e.id }, query: { limit: '5' } }), 400, 'malformed');
    });

    it('delete: 204, then 404; the log keeps a delete row without secrets', async () => {
      const e = await addEntry({ notes: secret('gone') });
      assert.equal((await admin.req('DELETE', ENTRY, { params: { id: e.id } })).status, 204);
      for (const [m, p] of [['GET', ENTRY], ['DELETE', ENTRY], ['GET', HISTORY], ['GET', ACCESS], ['GET', ACTIVITY]]) {
        assertProblem(await admin.req(m, p, { params: { id: e.id } }), 404, 'not-found');
      }
      assert.equal(srv.sql(`SELECT COUNT(*) FROM vault_access WHERE entry_id = ${e.id}`).stdout, '0');
      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'vault_entry', entity_id: e.id, action: 'delete' } });
      assert.equal(log.body.data.length, 1);
      assert.equal(log.body.data[0].diff.name.from, e.name);
      assertNoSecrets(log.body, secrets);
    });
  });

  describe('reveal', () => {
    it('needs a recent re-authentication, then answers the secret and logs who read what, in the same transaction', async () => {
      const notes = secret('n');
      const e = await addEntry({ notes, access: [{ subject: 'department', id: depA.id, level: 'use' }] });
      const c = await adminClient(srv); // a fresh session: never re-authenticated
      const r = await c.req('POST', REVEAL, { params: { id: e.id }, body: {} });
      assertProblem(r, 403, 'reauth-required');
      assert.ok(!r.text.includes(e.password_text));
      await reauth(c, srv.admin.password);
      const ok = await c.req('POST', REVEAL, { params: { id: e.id }, body: { purpose: 'copy' } });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.body, { password: e.password_text });
      assert.equal(ok.headers.get('cache-control'), 'no-store');
      const both = await c.req('POST', REVEAL, { params: { id: e.id }, body: { fields: ['notes', 'password'] } });
      assert.deepEqual(both.body, { password: e.password_text, notes });
      const onlyNotes = await c.req('POST', REVEAL, { params: { id: e.id }, body: { fields: ['notes'] } });
      assert.deepEqual(onlyNotes.body, { notes });

      // A member of department A reveals too, after their own re-authentication.
      assertProblem(await ana.req('POST', REVEAL, { params: { id: e.id }, body: {} }), 403, 'reauth-required');
      await reauth(ana);
      assert.equal((await ana.req('POST', REVEAL, { params: { id: e.id }, body: {} })).body.password, e.password_text);

      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'vault_entry', entity_id: e.id, action: 'reveal', sort: 'at' } });
      assert.equal(log.body.data.length, 4);
      const [first, , , last] = log.body.data;
      assert.equal(first.actor_id, admin.me.id);
      assert.deepEqual(first.diff.fields, { to: ['password'] });
      assert.deepEqual(first.diff.purpose, { to: 'copy' });
      assert.equal(typeof first.diff.user_agent.to, 'string');
      assert.equal(first.ip, '127.0.0.1');
      assert.deepEqual(log.body.data[1].diff.fields, { to: ['password', 'notes'] });
      assert.equal(last.actor_id, ana.id);
      assert.deepEqual(last.diff.purpose, { to: 'show' });
      assertNoSecrets(log.body, secrets);
      // The entry's managers read its activity; its users do not.
      const mine = await admin.req('GET', ACTIVITY, { params: { id: e.id }, query: { action: 'reveal' } });
      assert.equal(mine.status, 200, mine.text);
      assert.equal(mine.body.data.length, 4);
      assertNoSecrets(mine.body, secrets);
      assertProblem(await ana.req('GET', ACTIVITY, { params: { id: e.id } }), 403, 'forbidden');
      assertProblem(await admin.req('GET', ACTIVITY, { params: { id: e.id }, query: { entity: 'lead' } }), 400, 'malformed');
      // Without a password there is nothing to read, and that is no error.
      const empty = await addEntry({ password: null });
      assert.deepEqual((await c.req('POST', REVEAL, { params: { id: empty.id }, body: {} })).body, { password: null });
    });

    it('every invalid field of a reveal in one answer', async () => {
      const e = await addEntry({});
      await reauth(admin, srv.admin.password);
      assertFieldErrors(await admin.req('POST', REVEAL, {
        params: { id: e.id }, body: { fields: ['password', 'pin'], purpose: 'print', history_id: 'last', colour: 1 },
      }), { fields: 'not_allowed', purpose: 'not_allowed', history_id: 'type', colour: 'unknown_field' });
      assertFieldErrors(await admin.req('POST', REVEAL, { params: { id: e.id }, body: { fields: [] } }), { fields: 'invalid' });
      assertFieldErrors(await admin.req('POST', REVEAL, { params: { id: e.id }, body: { history_id: 1, fields: ['notes'] } }),
        { fields: 'not_allowed' });
      assertFieldErrors(await admin.req('POST', REVEAL, { params: { id: e.id }, body: { history_id: 987654 } }),
        { history_id: 'not_found' });
      // A previous password of another entry is not this entry's.
      const other = await addEntry({});
      assert.equal((await patch(admin, other.id, { password: secret('o2') })).status, 200);
      const hid = (await admin.req('GET', HISTORY, { params: { id: other.id } })).body.data[0].id;
      assertFieldErrors(await admin.req('POST', REVEAL, { params: { id: e.id }, body: { history_id: hid } }), { history_id: 'not_found' });
      assertProblem(await admin.req('POST', REVEAL, { params: { id: 987654 }, body: {} }), 404, 'not-found');
    });

    it('under another master key the secret is a clear 503, never garbage; an altered value likewise', async () => {
      const other = await startServer({ pgBase: srv.pgBase });
      let moved;
      try {
        const oadmin = await adminClient(other);
        const w = (await oadmin.req('POST', ENTRIES, { body: { name: 'elsewhere', password: 'from-another-key' } })).body;
        moved = other.sql(`SELECT entry_key || ' ' || password_enc FROM vault_entry WHERE id = ${w.id}`).stdout.split(' ');
      } finally {
        await other.stop();
      }
      const e = await addEntry({});
      const u = srv.sql(`UPDATE vault_entry SET entry_key = '${moved[0]}', password_enc = '${moved[1]}' WHERE id = ${e.id}`);
      assert.equal(u.status, 0, u.stderr);
      await reauth(admin, srv.admin.password);
      const r = await admin.req('POST', REVEAL, { params: { id: e.id }, body: {} });
      assertProblem(r, 503, 'unavailable');
      assert.match(r.body.detail, /master key/);
      assert.ok(!('password' in r.body) && !r.text.includes('from-another-key'), r.text);
      // A sealed value altered in the database does not open either.
      const f = await addEntry({});
      const pw = srv.sql(`SELECT password_enc FROM vault_entry WHERE id = ${f.id}`).stdout;
      const flipped = `${pw.slice(0, 10)}${pw[10] === 'A' ? 'B' : 'A'}${pw.slice(11)}`;
      assert.equal(srv.sql(`UPDATE vault_entry SET password_enc = '${flipped}' WHERE id = ${f.id}`).status, 0);
      const bad = await admin.req('POST', REVEAL, { params: { id: f.id }, body: {} });
      assertProblem(bad, 503, 'unavailable');
      assert.match(bad.body.detail, /password cannot be decrypted/);
      // Nothing was read, so nothing was logged.
      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'vault_entry', entity_id: f.id, action: 'reveal' } });
      assert.equal(log.body.data.length, 0);
      // Changing the password of such an entry needs the old one opened: the same 503, nothing written.
      const ch = await patch(admin, f.id, { password: 'new-one' });
      assertProblem(ch, 503, 'unavailable');
      assert.equal((await admin.req('GET', ENTRY, { params: { id: f.id } })).headers.get('etag'), '"1"');
    });
  });

  describe('access', () => {
    it('deny by default: a member sees only what their role, department, team or self is granted; administrators see all', async () => {
      const tag = uniq('acl');
      const viaDep = await addEntry({ name: `${tag} dep`, access: [{ subject: 'department', id: depA.id, level: 'use' }] });
      const viaRole = await addEntry({ name: `${tag} role`, access: [{ subject: 'role', id: roleUser.id, level: 'view' }] });
      const viaTeam = await addEntry({ name: `${tag} team`, access: [{ subject: 'team', id: team.id, level: 'use' }] });
      const viaSelf = await addEntry({ name: `${tag} self`, access: [{ subject: 'staff', id: bob.id, level: 'manage' }] });
      const nobody = await addEntry({ name: `${tag} nobody` });
      const both = await addEntry({ name: `${tag} both`, access: [{ subject: 'role', id: roleUser.id, level: 'view' },
        { subject: 'department', id: depA.id, level: 'manage' }] });
      const seen = async (c) => {
        const r = await c.req('GET', ENTRIES, { query: { q: tag, sort: 'name' } });
        assert.equal(r.status, 200, r.text);
        assertNoSecrets(r.body, secrets);
        return Object.fromEntries(r.body.data.map((e) => [e.id, e.level]));
      };
      assert.deepEqual(await seen(ana), { [viaDep.id]: 'use', [viaRole.id]: 'view', [both.id]: 'manage' });
      assert.deepEqual(await seen(bob), { [viaRole.id]: 'view', [viaSelf.id]: 'manage', [both.id]: 'view' });
      assert.deepEqual(await seen(dan), { [viaRole.id]: 'view', [viaTeam.id]: 'use', [both.id]: 'view' });
      assert.deepEqual(await seen(cai), {});
      const all = await seen(admin);
      for (const e of [viaDep, viaRole, viaTeam, viaSelf, nobody, both]) assert.equal(all[e.id], 'manage');
      assert.equal((await admin.req('GET', ENTRIES, { query: { q: tag } })).body.total, 6);
      assert.equal((await ana.req('GET', ENTRIES, { query: { q: tag } })).body.total, 3);

      // By id: absent and invisible answer the same 404 on every route.
      await reauth(ana);
      for (const e of [nobody, viaSelf, viaTeam]) {
        for (const [m, p, body] of [['GET', ENTRY], ['PATCH', ENTRY, { name: 'x' }], ['DELETE', ENTRY], ['POST', REVEAL, {}],
          ['GET', HISTORY], ['GET', ACTIVITY], ['GET', ACCESS], ['PUT', ACCESS, { access: [] }]]) {
          const r = await ana.req(m, p, { params: { id: e.id }, body, headers: { 'If-Match': '"1"' } });
          assertProblem(r, 404, 'not-found');
          assert.ok(!r.text.includes(e.name), r.text);
        }
      }
      // GET shows the caller's level; the access list only to who manages it.
      const g = await ana.req('GET', ENTRY, { params: { id: viaDep.id } });
      assert.equal(g.body.level, 'use');
      assert.ok(!('access' in g.body));
      assert.deepEqual((await ana.req('GET', ENTRY, { params: { id: both.id } })).body.access.length, 2);
      // A member without the vault's permission has no vault at all.
      assertProblem(await eve.req('GET', ENTRIES), 403, 'forbidden');
      // shared_with: what a departing member could reach (administrators only).
      const sw = await admin.req('GET', ENTRIES, { query: { q: tag, shared_with: ana.id } });
      assert.deepEqual(ids(sw).sort(), [viaDep.id, viaRole.id, both.id].sort());
      assert.equal((await admin.req('GET', ENTRIES, { query: { q: tag, shared_with: admin.me.id } })).body.total, 6);
      assertProblem(await ana.req('GET', ENTRIES, { query: { shared_with: bob.id } }), 403, 'forbidden');
      assertProblem(await admin.req('GET', ENTRIES, { query: { shared_with: 'me' } }), 400, 'malformed');
      assertProblem(await admin.req('GET', ENTRIES, { query: { shared_with: '987654' } }), 400, 'malformed');
      // Memberships count as they are now: ana moves to department B.
      const sr = await admin.req('GET', '/api/v1/staff/{id}', { params: { id: ana.id } });
      const mv = await admin.req('PATCH', '/api/v1/staff/{id}', { params: { id: ana.id }, headers: { 'If-Match': sr.headers.get('etag') },
        body: { department_ids: [depB.id] } });
      assert.equal(mv.status, 200, mv.text);
      assert.deepEqual(await seen(ana), { [viaRole.id]: 'view', [both.id]: 'view' });
      const back = await admin.req('PATCH', '/api/v1/staff/{id}', { params: { id: ana.id }, headers: { 'If-Match': mv.headers.get('etag') },
        body: { department_ids: [depA.id] } });
      assert.equal(back.status, 200, back.text);
    });

    it('view without use cannot reveal; use without manage cannot change; manage changes the access list', async () => {
      const e = await addEntry({ access: [{ subject: 'staff', id: ana.id, level: 'view' }, { subject: 'staff', id: bob.id, level: 'use' },
        { subject: 'staff', id: dan.id, level: 'manage' }] });
      await reauth(ana);
      await reauth(bob);
      await reauth(dan);
      const v = await ana.req('POST', REVEAL, { params: { id: e.id }, body: {} });
      assertProblem(v, 403, 'forbidden');
      assert.match(v.body.detail, /see this entry but not use it/);
      assertProblem(await ana.req('GET', HISTORY, { params: { id: e.id } }), 403, 'forbidden');
      assert.equal((await bob.req('POST', REVEAL, { params: { id: e.id }, body: {} })).body.password, e.password_text);
      assert.equal((await bob.req('GET', HISTORY, { params: { id: e.id } })).status, 200);
      for (const [m, p, body] of [['PATCH', ENTRY, { name: 'x' }], ['DELETE', ENTRY], ['GET', ACCESS], ['PUT', ACCESS, { access: [] }],
        ['GET', ACTIVITY]]) {
        const r = await bob.req(m, p, { params: { id: e.id }, body, headers: { 'If-Match': '"1"' } });
        assertProblem(r, 403, 'forbidden');
        assert.match(r.body.detail, /use this entry but not manage it/);
      }
      // No reveal was logged for the refused one.
      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'vault_entry', entity_id: e.id, action: 'reveal' } });
      assert.deepEqual(log.body.data.map((x) => x.actor_id), [bob.id]);

      // dan manages: reads the named list, gives ana use, takes bob off.
      const a = await dan.req('GET', ACCESS, { params: { id: e.id } });
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(a.body.data.map((g) => [g.subject, g.id, g.level, g.name]).sort(),
        [['staff', ana.id, 'view', ana.me.name], ['staff', bob.id, 'use', bob.me.name], ['staff', dan.id, 'manage', dan.me.name]].sort());
      assert.equal(a.headers.get('etag'), '"1"');
      const noMatch = await dan.req('PUT', ACCESS, { params: { id: e.id }, body: { access: [] } });
      assertProblem(noMatch, 428, 'precondition-required');
      const put = await dan.req('PUT', ACCESS, { params: { id: e.id }, headers: { 'If-Match': '"1"' }, body: {
        access: [{ subject: 'staff', id: dan.id, level: 'manage' }, { subject: 'staff', id: ana.id, level: 'use', name: 'ignored' },
          { subject: 'team', id: team.id, level: 'view' }],
      } });
      assert.equal(put.status, 200, put.text);
      assert.equal(put.headers.get('etag'), '"2"');
      assert.deepEqual(put.body.access, [{ subject: 'staff', id: ana.id, level: 'use' }, { subject: 'staff', id: dan.id, level: 'manage' },
        { subject: 'team', id: team.id, level: 'view' }]);
      assert.equal((await ana.req('POST', REVEAL, { params: { id: e.id }, body: {} })).status, 200);
      assertProblem(await bob.req('GET', ENTRY, { params: { id: e.id } }), 404, 'not-found');
      // The same list in another order is no change.
      const again = await putAccess(dan, e.id, [...put.body.access].reverse());
      assert.equal(again.headers.get('etag'), '"2"');
      const stale = await dan.req('PUT', ACCESS, { params: { id: e.id }, headers: { 'If-Match': '"1"' }, body: { access: [] } });
      assertProblem(stale, 412, 'precondition-failed');
      const changes = await admin.req('GET', '/api/v1/activity', { query: { entity: 'vault_entry', entity_id: e.id, action: 'update' } });
      assert.equal(changes.body.data.length, 1);
      assert.equal(changes.body.data[0].actor_id, dan.id);
      assert.equal(changes.body.data[0].diff.access.to.length, 3);
      assert.equal(Object.keys(changes.body.data[0].diff).join(), 'access');
      // The manager edits and deletes.
      assert.equal((await patch(dan, e.id, { name: `${e.name} v2` })).status, 200);
      assert.equal((await dan.req('DELETE', ENTRY, { params: { id: e.id } })).status, 204);
    });

    it('a creator manages what they add; category defaults apply when no access is sent; nobody grants beyond what they manage', async () => {
      const cat = (await admin.req('POST', CATEGORIES, { body: { name: uniq('Ads '), default_access: [
        { subject: 'department', id: depA.id, level: 'use' }, { subject: 'staff', id: cai.id, level: 'view' }] } })).body;
      const mine = await addEntry({ category_id: cat.id }, cai);
      assert.deepEqual(mine.access, [{ subject: 'department', id: depA.id, level: 'use' }, { subject: 'staff', id: cai.id, level: 'manage' }]);
      const own = await addEntry({ access: [] }, cai);
      assert.deepEqual(own.access, [{ subject: 'staff', id: cai.id, level: 'manage' }]);
      const explicit = await addEntry({ category_id: cat.id, access: [{ subject: 'team', id: team.id, level: 'view' }] }, cai);
      assert.deepEqual(explicit.access, [{ subject: 'staff', id: cai.id, level: 'manage' }, { subject: 'team', id: team.id, level: 'view' }]);
      // An administrator's entry has only the grants sent (administrators see every entry anyway).
      assert.deepEqual((await addEntry({ category_id: cat.id })).access, cat.default_access);
      assert.deepEqual((await ana.req('GET', ENTRY, { params: { id: mine.id } })).body.level, 'use');
      // Without create, no entry; without manage, no grant.
      assertProblem(await ana.req('POST', ENTRIES, { body: { name: 'x' } }), 403, 'forbidden');
      const adminOnly = await addEntry({});
      assertProblem(await putAccess(cai, adminOnly.id, [{ subject: 'staff', id: cai.id, level: 'manage' }]), 404, 'not-found');
      const used = await addEntry({ access: [{ subject: 'staff', id: cai.id, level: 'use' }] });
      assertProblem(await putAccess(cai, used.id, [{ subject: 'staff', id: cai.id, level: 'manage' }]), 403, 'forbidden');
      // The category's defaults later change no existing entry.
      const cr = await admin.req('PATCH', CATEGORY, { params: { id: cat.id }, headers: { 'If-Match': '"1"' }, body: { default_access: [] } });
      assert.equal(cr.status, 200, cr.text);
      assert.equal((await admin.req('GET', ENTRY, { params: { id: mine.id } })).body.access.length, 2);
    });

    it('every invalid field of an access list in one answer; a deactivated member stays until removed', async () => {
      const e = await addEntry({});
      const r = await putAccess(admin, e.id, [{ subject: 'group', id: 1, level: 'use' }, { subject: 'role', id: -3, level: 'use' },
        { subject: 'team', id: team.id, level: 'admin' }, { subject: 'staff', id: 987654, level: 'view' },
        { subject: 'department', id: depA.id, level: 'view' }, { subject: 'department', id: depA.id, level: 'use' }, { id: 4 }]);
      assertFieldErrors(r, {
        'access[0].subject': 'not_allowed', 'access[1].id': 'type', 'access[2].level': 'not_allowed', 'access[3].id': 'not_found',
        'access[5].id': 'invalid', 'access[6].subject': 'required', 'access[6].level': 'required',
      });
      assertFieldErrors(await putAccess(admin, e.id, [3]), { access: 'type' });
      assertFieldErrors(await putAccess(admin, e.id, undefined), { access: 'required' });
      assertFieldErrors(await admin.req('PUT', ACCESS, { params: { id: e.id }, headers: { 'If-Match': '"1"' },
        body: { access: [], extra: true } }), { extra: 'unknown_field' });

      // A member deactivated after the grant stays on the list (and may be sent again), but is not added anew.
      const gone = await addMember(srv, admin, { role_id: roleUser.id }, 'leaver');
      const ok = await putAccess(admin, e.id, [{ subject: 'staff', id: gone.id, level: 'use' }]);
      assert.equal(ok.status, 200, ok.text);
      assert.equal((await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: gone.id } })).status, 200);
      const keep = await putAccess(admin, e.id, [{ subject: 'staff', id: gone.id, level: 'use' }, { subject: 'team', id: team.id, level: 'view' }]);
      assert.equal(keep.status, 200, keep.text);
      const f = await addEntry({});
      assertFieldErrors(await putAccess(admin, f.id, [{ subject: 'staff', id: gone.id, level: 'use' }]), { 'access[0].id': 'not_found' });
      assertFieldErrors(await admin.req('POST', ENTRIES, { body: { name: 'x', access: [{ subject: 'staff', id: gone.id, level: 'use' }] } }),
        { 'access[0].id': 'not_found' });
    });

    it('a deleted department\'s grant reaches nobody and housekeeping takes it off the list', async () => {
      const dep = (await admin.req('POST', '/api/v1/departments', { body: { name: uniq('Temporary ') } })).body;
      const e = await addEntry({ access: [{ subject: 'department', id: dep.id, level: 'use' }, { subject: 'team', id: team.id, level: 'view' }] });
      assert.equal((await admin.req('DELETE', '/api/v1/departments/{id}', { params: { id: dep.id }, headers: { 'If-Match': '"1"' } })).status, 204);
      await waitFor(async () => (await admin.req('GET', ACCESS, { params: { id: e.id } })).body.data.length === 1,
        { what: 'housekeeping removing the grant of a deleted department' });
      const a = await admin.req('GET', ACCESS, { params: { id: e.id } });
      assert.deepEqual(a.body.data.map((g) => g.subject), ['team']);
    });

    it('the subjects an access list may name, for the pickers', async () => {
      const r = await ana.req('GET', SUBJECTS);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.body.roles.some((x) => x.id === roleUser.id && x.name === roleUser.name));
      assert.ok(r.body.departments.some((x) => x.id === depA.id));
      assert.ok(r.body.teams.some((x) => x.id === team.id));
      assert.ok(r.body.staff.some((x) => x.id === bob.id && x.name === bob.me.name));
      assert.deepEqual(Object.keys(r.body.staff[0]).sort(), ['id', 'name']);
      assertProblem(await ana.req('GET', SUBJECTS, { query: { q: 'x' } }), 400, 'malformed');
    });
  });

  describe('custom fields', () => {
    it('plain and secret name/value pairs: the record shows hidden ones as set, reveal opens one, logged', async () => {
      const pin = secret('pin');
      secrets.push(pin);
      const e = await addEntry({
        custom_fields: [{ name: 'PIN', hidden: true, value: pin }, { name: 'Account', value: 'ACC-1' }],
        access: [{ subject: 'department', id: depA.id, level: 'use' }],
      });
      assert.deepEqual(e.custom_fields, [{ name: 'PIN', hidden: true, set: true }, { name: 'Account', hidden: false, value: 'ACC-1' }]);
      const list = await admin.req('GET', ENTRIES, { query: { q: e.name } });
      assert.deepEqual(list.body.data[0].custom_fields, e.custom_fields);
      const csv = await admin.req('GET', ENTRIES, { query: { q: e.name, format: 'csv' }, binary: true });
      assert.equal(csv.status, 200);
      assert.ok(!csv.bytes.toString().includes(pin), 'the export holds no secret value');
      assert.ok(csv.bytes.toString().includes('ACC-1'));
      const sealedRow = srv.sql(`SELECT custom_fields FROM vault_entry WHERE id = ${e.id}`).stdout;
      assert.match(sealedRow, /"value":"vk1:/);
      assert.ok(!sealedRow.includes(pin));

      // Reveal one by its name (any case): the stored spelling answers, logged.
      await reauth(ana);
      const r = await ana.req('POST', REVEAL, { params: { id: e.id }, body: { custom_field: 'pin', purpose: 'copy' } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, { custom_fields: { PIN: pin } });
      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'vault_entry', entity_id: e.id, action: 'reveal' } });
      assert.deepEqual(log.body.data[0].diff.fields, { to: ['custom_fields.PIN'] });
      assert.equal(log.body.data[0].actor_id, ana.id);
      assertFieldErrors(await ana.req('POST', REVEAL, { params: { id: e.id }, body: { custom_field: 'Account' } }),
        { custom_field: 'not_found' });

      // A list sent without the secret's value keeps it; a new value changes it, and the diff says only that.
      const kept = await patch(admin, e.id, { custom_fields: [{ name: 'PIN', hidden: true }, { name: 'Account', value: 'ACC-2' }] });
      assert.equal(kept.status, 200, kept.text);
      assert.deepEqual(kept.body.custom_fields[1], { name: 'Account', hidden: false, value: 'ACC-2' });
      await reauth(admin, srv.admin.password);
      assert.deepEqual((await admin.req('POST', REVEAL, { params: { id: e.id }, body: { custom_field: 'PIN' } })).body,
        { custom_fields: { PIN: pin } });
      const pin2 = secret('pin2');
      secrets.push(pin2);
      const changed = await patch(admin, e.id, { custom_fields: [{ name: 'PIN', hidden: true, value: pin2 }] });
      assert.equal(changed.status, 200, changed.text);
      assert.deepEqual(changed.body.custom_fields, [{ name: 'PIN', hidden: true, set: true }]);
      const upd = await admin.req('GET', '/api/v1/activity', { query: { entity: 'vault_entry', entity_id: e.id, action: 'update' } });
      assert.deepEqual(upd.body.data[0].diff['custom_fields.hidden'], { changed: true });
      assert.ok(!('custom_fields.hidden' in upd.body.data[1].diff), 'keeping the value changed no secret');
      assertNoSecrets(upd.body, secrets);
      assert.deepEqual((await admin.req('POST', REVEAL, { params: { id: e.id }, body: { custom_field: 'PIN' } })).body,
        { custom_fields: { PIN: pin2 } });
      // Removing them all
      const none = await patch(admin, e.id, { custom_fields: [] });
      assert.deepEqual(none.body.custom_fields, []);
    });

    it('every invalid custom field in one answer', async () => {
      const many = Array.from({ length: 21 }, (_, i) => ({ name: `f${i}`, value: 'x' }));
      assertFieldErrors(await admin.req('POST', ENTRIES, { body: { name: uniq('Bad '), custom_fields: many } }),
        { custom_fields: 'too_many' });
      assertFieldErrors(await admin.req('POST', ENTRIES, {
        body: {
          name: uniq('Bad '),
          custom_fields: [
            { name: '', value: 'a' },
            { name: 'Dup', value: 'a' },
            { name: 'dup', value: 'b' },
            { name: 'Code', value: 7 },
            { name: 'Flag', hidden: 'yes', value: 'a' },
            { name: 'Extra', colour: 'red' },
            { name: 'x'.repeat(101) },
            { name: 'Big', value: 'v'.repeat(2001) },
          ],
        },
      }), {
        'custom_fields[0].name': 'required',
        'custom_fields[2].name': 'duplicate',
        'custom_fields[3].value': 'invalid',
        'custom_fields[4].hidden': 'invalid',
        'custom_fields[5].colour': 'unknown',
        'custom_fields[6].name': null,
        'custom_fields[7].value': 'too_long',
      });
      // A new secret field needs its value; a reveal names one field, not with a previous password.
      assertFieldErrors(await admin.req('POST', ENTRIES, { body: { name: uniq('Bad '), custom_fields: [{ name: 'PIN', hidden: true }] } }),
        { 'custom_fields[0].value': 'required' });
      const e = await addEntry({});
      await reauth(admin, srv.admin.password);
      assertFieldErrors(await admin.req('POST', REVEAL, { params: { id: e.id }, body: { custom_field: 'PIN', history_id: 1 } }),
        { custom_field: 'not_allowed' });
      assertFieldErrors(await admin.req('POST', REVEAL, { params: { id: e.id }, body: { custom_field: 'Nope' } }),
        { custom_field: 'not_found' });
    });

    it('a backup holds no vault secret in clear', async () => {
      const cf = secret('bk-cf');
      secrets.push(cf);
      const e = await addEntry({ notes: secret('bk-notes'), custom_fields: [{ name: 'Recovery', hidden: true, value: cf }] });
      assert.ok(e.id);
      const file = path.join(srv.dir, `vault-${uniq('b')}.tar`);
      const b = srv.cli(['backup', '--out', file]);
      assert.equal(b.status, 0, b.stderr);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-vault-bk-'));
      try {
        execFileSync('tar', ['-xf', file, '-C', dir]);
        let text = '';
        for (const m of fs.readdirSync(dir)) {
          const f = path.join(dir, m);
          text += m.endsWith('.json') || !srv.pg ? fs.readFileSync(f).toString('latin1')
            : execFileSync('pg_restore', ['-f', '-', f], { maxBuffer: 1 << 28 }).toString('latin1');
        }
        assert.ok(text.length > 1000, 'the backup was read');
        for (const s of secrets) assert.ok(!text.includes(s), 'a vault secret in clear in the backup');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('secrets stay secret', () => {
    it('no secret in any list, record, activity entry, event, export or the server log', async () => {
      const e = await addEntry({ notes: secret('final'), access: [{ subject: 'department', id: depA.id, level: 'manage' }] });
      await reauth(admin, srv.admin.password);
      assert.equal((await admin.req('POST', REVEAL, { params: { id: e.id }, body: { fields: ['password', 'notes'] } })).status, 200);
      const reads = [
        await admin.req('GET', ENTRIES, { query: { limit: 200 } }),
        await admin.req('GET', ENTRY, { params: { id: e.id } }),
        await admin.req('GET', '/api/v1/activity', { query: { limit: 200 } }),
        await admin.req('GET', '/api/v1/activity/export'),
        await admin.req('GET', '/api/v1/events', { query: { entity: 'vault_entry', limit: 500 } }),
        await admin.req('GET', '/api/v1/events/export', { query: { entity: 'vault_entry' } }),
        await admin.req('GET', ACTIVITY, { params: { id: e.id }, query: { limit: 100 } }),
        await ana.req('GET', ENTRIES),
      ];
      for (const r of reads) {
        assert.equal(r.status, 200, r.text);
        for (const s of secrets) assert.ok(!r.text.includes(s), `${r.url} holds a secret`);
      }
      const events = reads[4].body.data;
      assert.ok(events.some((x) => x.entity_id === e.id && x.action === 'created'));
      assert.equal(events.find((x) => x.entity_id === e.id).payload.after.password_set, true);
      // A member who opens the vault reads no vault row in the activity log or the events.
      const alog = await ana.req('GET', '/api/v1/activity', { query: { entity: 'vault_entry' } });
      assert.ok(alog.status === 403 || alog.body.data.length === 0, alog.text);
      // The server's log and the database's text columns hold no secret in clear.
      const out = srv.output();
      for (const s of secrets) assert.ok(!out.includes(s), 'the server log holds a secret');
      const dump = srv.sql('SELECT name || coalesce(url, \'\') || coalesce(username, \'\') || coalesce(password_enc, \'\') || '
        + 'coalesce(notes_enc, \'\') FROM vault_entry').stdout
        + srv.sql('SELECT password_enc FROM vault_history').stdout
        + srv.sql('SELECT coalesce(diff, \'\') FROM activity_log').stdout
        + srv.sql('SELECT payload FROM event').stdout;
      for (const s of secrets) assert.ok(!dump.includes(s), 'a secret in clear in the database');
    });

    it('API tokens never reach the vault', async () => {
      await reauth(admin, srv.admin.password);
      const tok = await admin.req('POST', '/api/v1/api-tokens', { body: { name: uniq('Vault probe '), staff_id: cai.id } });
      assert.equal(tok.status, 201, tok.text);
      const bearer = client(srv.base);
      const r = await bearer.req('GET', ENTRIES, { headers: { Authorization: `Bearer ${tok.body.token}` } });
      assertProblem(r, 403, 'forbidden');
    });
  });

  it('401 anonymously and 403 without the permission on every entry route', async () => {
    const anon = client(srv.base);
    const noRole = await staffClient(srv);
    const e = await addEntry({ access: [{ subject: 'department', id: depA.id, level: 'manage' }] });
    const routes = [['GET', ENTRIES], ['POST', ENTRIES, { name: 'x' }], ['GET', ENTRY], ['PATCH', ENTRY, { name: 'y' }], ['DELETE', ENTRY],
      ['POST', REVEAL, {}], ['GET', HISTORY], ['GET', ACTIVITY], ['GET', ACCESS], ['PUT', ACCESS, { access: [] }], ['GET', SUBJECTS]];
    for (const [m, p, body] of routes) {
      const opts = { params: { id: e.id }, body, headers: { 'If-Match': '"1"' } };
      assertProblem(await anon.req(m, p, opts), 401, 'unauthorized');
      // eve is in department A, which the entry grants: the matrix's row still closes the vault to her.
      assertProblem(await eve.req(m, p, opts), 403, 'forbidden');
      assertProblem(await noRole.req(m, p, opts), 403, 'forbidden');
    }
  });
});
