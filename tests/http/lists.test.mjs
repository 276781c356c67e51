// The list-query engine (operators, multi-key sort, keyset cursors, counts,
// search), the entity definitions the UI reads, view_own with department
// colleagues, and the write path under concurrency: concurrent deletes of one
// record and creates racing the deletion of the member they name.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq,
  raiseSeats, addRole, addMember,
} from './harness.mjs';

const LEADS = '/api/v1/leads';
const LEAD = '/api/v1/leads/{id}';

describe('list-query engine', () => {
  let srv;
  let admin;
  let tag;
  const made = [];

  async function list(query, c = admin) {
    const r = await c.req('GET', LEADS, { query });
    assert.equal(r.status, 200, `list ${JSON.stringify(query)}: ${r.status} ${r.text}`);
    return r.body;
  }
  const ids = (b) => b.data.map((x) => x.id);

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    tag = uniq('eng');
    const rows = [
      { name: `${tag} a`, company: 'Alpha Timber', status: 'new', value: '10.00', tags: ['vip', 'north'] },
      { name: `${tag} b`, company: 'Beta Steel', status: 'won', value: '250.50', email: 'b@example.test' },
      { name: `${tag} c`, company: 'Gamma Timber', status: 'won', value: '99.99', tags: ['north'] },
      { name: `${tag} d`, company: '100% _odd_ "quoted"', status: 'lost' },
      { name: `${tag} e`, company: 'Epsilon', status: 'new', value: '250.50' },
    ];
    for (const body of rows) {
      const r = await admin.req('POST', LEADS, { body });
      assert.equal(r.status, 201, r.text);
      made.push(r.body);
    }
  });
  after(async () => { await srv?.stop(); });

  it('[ne], [in], ranges, [contains] and [empty] narrow as asked', async () => {
    assert.deepEqual(ids(await list({ q: tag, 'status[ne]': 'won', sort: 'id' })),
      [made[0].id, made[3].id, made[4].id]);
    assert.deepEqual(ids(await list({ q: tag, 'status[in]': 'won,lost', sort: 'id' })),
      [made[1].id, made[2].id, made[3].id]);
    assert.deepEqual(ids(await list({ q: tag, 'value[gte]': '99.99', 'value[lt]': '250.50', sort: 'id' })),
      [made[2].id]);
    assert.deepEqual(ids(await list({ q: tag, 'value[gt]': '99.99', sort: 'id' })), [made[1].id, made[4].id]);
    assert.deepEqual(ids(await list({ q: tag, 'company[contains]': 'TIMBER', sort: 'id' })),
      [made[0].id, made[2].id]);
    assert.deepEqual(ids(await list({ q: tag, 'email[empty]': 'false' })), [made[1].id]);
    assert.deepEqual(ids(await list({ q: tag, 'value[empty]': 'true' })), [made[3].id]);
    assert.deepEqual(ids(await list({ q: tag, tags: 'north', sort: 'id' })), [made[0].id, made[2].id]);
    assert.deepEqual(ids(await list({ q: tag, 'tags[contains]': 'vip' })), [made[0].id]);
    assert.deepEqual(ids(await list({ q: tag, 'tags[empty]': 'true', sort: 'id' })),
      [made[1].id, made[3].id, made[4].id]);
    const day = made[0].created_at.slice(0, 10);
    assert.equal((await list({ q: tag, 'created_at[gte]': `${day}T00:00:00Z`, count: 'true' })).total, 5);
    assert.equal((await list({ q: tag, 'created_at[lt]': `${day}T00:00:00Z`, count: 'true' })).total, 0);
  });

  it('a wildcard or quote in a search or [contains] is taken literally', async () => {
    assert.deepEqual(ids(await list({ q: '100% _odd_' })), [made[3].id]);
    assert.deepEqual(ids(await list({ q: '"quoted"' })), [made[3].id]);
    assert.deepEqual(ids(await list({ q: tag, 'company[contains]': '% _' })), [made[3].id]);
    assert.equal((await list({ q: tag, 'company[contains]': '_x%', count: 'true' })).total, 0);
  });

  it('a search matches the whole text, not only its rarest part (which the index is asked for)', async () => {
    const num = String(Math.floor(Math.random() * 1e6)).padStart(6, '9');
    const a = await admin.req('POST', LEADS, { body: { name: `Zeta ${num}`, company: 'Harbour' } });
    const b = await admin.req('POST', LEADS, { body: { name: 'Harbour', company: `Other ${num} Zeta` } });
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    assert.deepEqual(ids(await list({ q: `ZETA ${num}` })), [a.body.id]);
    assert.deepEqual(ids(await list({ q: `${num} zeta` })), [b.body.id]);
    assert.deepEqual(ids(await list({ q: num, sort: 'id' })), [a.body.id, b.body.id]);
    assert.deepEqual(ids(await list({ q: `Zeta ${num}x` })), []);
  });

  it('a search shorter than three characters still finds substrings', async () => {
    const r = await admin.req('POST', LEADS, { body: { name: `${uniq('s')} Qz` } });
    assert.equal(r.status, 201);
    assert.ok(ids(await list({ q: 'qz', limit: 200 })).includes(r.body.id));
  });

  it('bad operators, fields and values are 400 naming them', async () => {
    const cases = [
      [{ 'status[gt]': 'new' }, /status.*\[gt\]/],
      [{ 'status[nope]': 'x' }, /unknown operator 'nope'/],
      [{ 'value[gt]': 'abc' }, /value/],
      [{ status: 'maybe' }, /status/],
      [{ 'value[in]': Array.from({ length: 51 }, (_, i) => `${i}`).join(',') }, /at most 50/],
      [{ 'email[empty]': 'perhaps' }, /true or false/],
      [{ 'created_at[gte]': 'yesterday' }, /created_at/],
      [{ 'name[': 'x' }, /malformed/],
      [{ colour: 'red' }, /unknown query parameter 'colour'/],
      [{ notes: 'x' }, /cannot filter on 'notes'/],
      [{ sort: 'notes' }, /cannot sort by 'notes'/],
      [{ sort: 'name,company,status,value,created_at' }, /at most 4/],
      [{ sort: 'name,' }, /comma/],
      [{ count: 'maybe' }, /count/],
      [{ q: 'x'.repeat(201) }, /q must be at most/],
    ];
    for (const [query, re] of cases) {
      const r = await admin.req('GET', LEADS, { query });
      assertProblem(r, 400, 'malformed');
      assert.match(r.body.detail, re, JSON.stringify(query));
    }
  });

  it('several sort keys order by each in turn, the id last', async () => {
    const b = await list({ q: tag, sort: '-value,name' });
    assert.deepEqual(ids(b), [made[1].id, made[4].id, made[2].id, made[0].id, made[3].id],
      'value descending (nulls last), ties by name');
    const c = await list({ q: tag, sort: 'status,-id' });
    assert.deepEqual(ids(c), [made[3].id, made[4].id, made[0].id, made[2].id, made[1].id]);
  });

  it('cursors page through a list exactly as offsets do, under any sort', async () => {
    for (const sort of ['-id', 'name', '-value,name', 'status,-value']) {
      const all = ids(await list({ q: tag, sort, limit: 200 }));
      const seen = [];
      let cursor = null;
      for (let pages = 0; pages < 10; pages++) {
        const b = await list({ q: tag, sort, limit: 2, ...(cursor ? { cursor } : {}) });
        seen.push(...ids(b));
        assert.equal(b.has_more, b.next_cursor !== null);
        if (!b.has_more) break;
        cursor = b.next_cursor;
      }
      assert.deepEqual(seen, all, `sort=${sort}`);
    }
  });

  it('an altered cursor, or one used with another sort or with offset, is 400', async () => {
    const b = await list({ q: tag, sort: 'name', limit: 2 });
    assert.ok(b.next_cursor);
    const [text, mac] = b.next_cursor.split('.');
    const forged = Buffer.from(JSON.stringify({ s: 'name', k: ['zzz', 1] })).toString('base64url');
    for (const cursor of [`${forged}.${mac}`, `${text}.${mac.slice(1)}A`, 'nonsense', `${text}`]) {
      assertProblem(await admin.req('GET', LEADS, { query: { q: tag, sort: 'name', cursor } }), 400, 'malformed');
    }
    assertProblem(await admin.req('GET', LEADS, { query: { q: tag, sort: '-name', cursor: b.next_cursor } }),
      400, 'malformed');
    assertProblem(await admin.req('GET', LEADS, { query: { q: tag, sort: 'name', cursor: b.next_cursor, offset: 2 } }),
      400, 'malformed');
  });

  it('total: free when nothing narrows the list, else only with count=true', async () => {
    const plain = await list({});
    assert.ok(Number.isInteger(plain.total) && plain.total >= 5, 'the maintained count');
    const narrowed = await list({ q: tag });
    assert.equal(narrowed.total, undefined, 'not counted unless asked');
    assert.equal((await list({ q: tag, count: 'true' })).total, 5);
    assert.equal((await list({ count: 'true' })).total, plain.total);
  });
});

describe('entity definitions for the UI', () => {
  let srv;
  let admin;
  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
  });
  after(async () => { await srv?.stop(); });

  it('the administrator gets every entity with its fields and rights', async () => {
    const r = await admin.req('GET', '/api/v1/meta/entities');
    assert.equal(r.status, 200, r.text);
    const byName = Object.fromEntries(r.body.data.map((e) => [e.name, e]));
    assert.deepEqual(Object.keys(byName).sort(), [
      'automation', 'client', 'contact', 'contract', 'credit_note', 'department', 'gdpr_request', 'invoice', 'lead', 'payment', 'project', 'proposal', 'retention_rule', 'task', 'team', 'ticket',
    ]);
    const lead = byName.lead;
    assert.equal(lead.path, '/api/v1/leads');
    assert.equal(lead.title_field, 'name');
    assert.deepEqual(lead.can, ['create', 'edit', 'delete']);
    const f = Object.fromEntries(lead.fields.map((x) => [x.name, x]));
    assert.deepEqual(f.name, {
      name: 'name', label: 'Name', type: 'text', required: true, list: true, sortable: true,
      filterable: false, searchable: true, wide: false, multiline: false, max: 200,
    });
    assert.equal(f.status.type, 'enum');
    assert.deepEqual(f.status.choices[0], { value: 'new', label: 'New' });
    assert.equal(f.status.default, 'new');
    assert.equal(f.value.type, 'money');
    assert.equal(f.assigned_to.label, 'Assigned to');
    assert.equal(f.notes.multiline, true);
    assert.equal(byName.department.member_param, 'department_id');
  });

  it('a member sees only what their role lets them view, and what they may do', async () => {
    const role = await addRole(admin, uniq('meta-'), { leads: ['view_own', 'create'] });
    const m = await addMember(srv, admin, { role_id: role.id }, 'meta');
    const r = await m.req('GET', '/api/v1/meta/entities');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.data.map((e) => e.name), ['lead']);
    assert.deepEqual(r.body.data[0].can, ['create']);
    const none = await (await staffClient(srv)).req('GET', '/api/v1/meta/entities');
    assert.deepEqual(none.body.data, []);
  });

  it('is 401 without a session', async () => {
    assertProblem(await client(srv.base).req('GET', '/api/v1/meta/entities'), 401, 'unauthorized');
  });
});

describe('view_own: own records and the department\'s', () => {
  let srv;
  let admin;
  let role;
  let dept;
  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    role = await addRole(admin, uniq('own-'), { leads: ['view_own', 'create', 'edit'] });
    const d = await admin.req('POST', '/api/v1/departments', { body: { name: uniq('Sales ') } });
    assert.equal(d.status, 201, d.text);
    dept = d.body;
  });
  after(async () => { await srv?.stop(); });

  async function lead(name, extra) {
    const r = await admin.req('POST', LEADS, { body: { name, ...extra } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }

  for (const colleagues of [2, 40]) {
    // 40 colleagues make more arms than the engine merges (2 fields x 40
    // past LIST_ARMS_MAX, 64):
    // the single-predicate plan must give the same answers.
    it(`colleagues in one department see each other's leads (${colleagues} colleagues)`, async () => {
      const t = uniq('dep');
      const d = await admin.req('POST', '/api/v1/departments', { body: { name: `D ${t}` } });
      assert.equal(d.status, 201, d.text);
      const members = [];
      for (let i = 0; i < colleagues; i++) {
        members.push(await addMember(srv, admin, { role_id: role.id, department_ids: [d.body.id] }, `c${i}`));
      }
      const outsider = await addMember(srv, admin, { role_id: role.id, department_ids: [dept.id] }, 'out');
      const owned = await lead(`${t} owned`, { owner_id: members[1].id });
      const assigned = await lead(`${t} assigned`, { assigned_to: members[colleagues - 1].id });
      const both = await lead(`${t} both`, { owner_id: members[0].id, assigned_to: members[1].id });
      const foreign = await lead(`${t} foreign`, { owner_id: outsider.id });
      const nobody = await lead(`${t} nobody`);
      const visible = [owned.id, assigned.id, both.id].sort((a, b) => b - a);

      const m0 = members[0];
      const page = await m0.req('GET', LEADS, { query: { q: t, count: 'true' } });
      assert.equal(page.status, 200, page.text);
      assert.deepEqual(page.body.data.map((x) => x.id), visible, 'newest first, each once');
      assert.equal(page.body.total, 3);
      // Paged one by one with cursors: the same records, no repeats.
      const seen = [];
      let cursor = null;
      for (let i = 0; i < 6; i++) {
        const b = await m0.req('GET', LEADS, { query: { q: t, limit: 1, ...(cursor ? { cursor } : {}) } });
        seen.push(...b.body.data.map((x) => x.id));
        if (!b.body.has_more) break;
        cursor = b.body.next_cursor;
      }
      assert.deepEqual(seen, visible);
      const sorted = await m0.req('GET', LEADS, { query: { q: t, sort: 'name' } });
      assert.deepEqual(sorted.body.data.map((x) => x.name), [`${t} assigned`, `${t} both`, `${t} owned`]);
      for (const id of visible) {
        assert.equal((await m0.req('GET', LEAD, { params: { id } })).status, 200);
      }
      for (const id of [foreign.id, nobody.id]) {
        assertProblem(await m0.req('GET', LEAD, { params: { id } }), 404, 'not-found');
      }
      const out = await outsider.req('GET', LEADS, { query: { q: t, count: 'true' } });
      assert.deepEqual(out.body.data.map((x) => x.id), [foreign.id]);
    });
  }
});

describe('the write path under concurrency', () => {
  let srv;
  let admin;
  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
  });
  after(async () => { await srv?.stop(); });

  it('ten concurrent deletes of one lead: one 204, nine 404, one log row, the count holds', async () => {
    // Signed in one after the other: password checks are a bounded pool
    // (concurrent sign-ins may get 503); the deletes race.
    const clients = [];
    for (let i = 0; i < 10; i++) clients.push(await adminClient(srv));
    for (let round = 0; round < 5; round++) {
      const name = uniq('del');
      const r = await admin.req('POST', LEADS, { body: { name } });
      assert.equal(r.status, 201);
      const res = await Promise.all(clients.map((c) => c.req('DELETE', LEAD, { params: { id: r.body.id } })));
      const codes = res.map((x) => x.status).sort();
      assert.deepEqual(codes, [204, ...Array(9).fill(404)], `round ${round}: ${codes}`);
      const log = await admin.req('GET', '/api/v1/activity',
        { query: { entity: 'lead', entity_id: r.body.id, action: 'delete' } });
      assert.equal(log.body.data.filter((e) => e.diff?.name?.from === name).length, 1,
        'one delete in the activity log');
    }
    const counted = await admin.req('GET', LEADS, { query: { count: 'true', limit: 1 } });
    const kept = await admin.req('GET', LEADS, { query: { limit: 1 } });
    assert.equal(kept.body.total, counted.body.total, 'the maintained total equals the rows');
  });

  it('creates racing the deletion of the member they name get 201 or 422, never 500', async () => {
    for (let round = 0; round < 5; round++) {
      const m = await admin.req('POST', '/api/v1/staff', {
        body: { email: `${uniq('gone')}@example.test`, name: 'Soon gone' },
      });
      assert.equal(m.status, 201, m.text);
      const tag = uniq('race');
      const creates = Array.from({ length: 8 }, (_, i) => admin.req('POST', LEADS,
        { body: { name: `${tag} ${i}`, assigned_to: m.body.id } }));
      const del = admin.req('DELETE', '/api/v1/staff/{id}', {
        params: { id: m.body.id }, query: { reassign_to: admin.me.id },
      });
      const [d, ...cs] = await Promise.all([del, ...creates]);
      assert.equal(d.status, 200, `the delete: ${d.status} ${d.text}`);
      for (const c of cs) {
        assert.ok(c.status === 201 || c.status === 422, `create: ${c.status} ${c.text}`);
        if (c.status === 422) assertFieldErrors(c, { assigned_to: 'not_found' });
      }
      const left = await admin.req('GET', LEADS, { query: { q: tag, assigned_to: m.body.id, count: 'true' } });
      assert.equal(left.body.total, 0, 'no lead names the deleted member');
    }
  });
});
