// Record retention rules (/api/v1/retention_rules; src/gdpr/record_retention*.c):
// "delete leads with no activity for 3 years", GDPR storage limitation.
// Not the log retention of retention.test.mjs.
//
// Records are aged the way the log-retention tests age rows: written with
// old timestamps by direct SQL (the activity log itself is never touched,
// so `atrium audit verify` still holds). A record counts as active when
// its updated_at or the newest activity-log row about it is after the
// cutoff. A run is a job; the tests wait for its row to finish (no sleeps).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, waitFor, uniq, addRole, addMember, raiseSeats,
} from './harness.mjs';

const COLL = '/api/v1/retention_rules';
const ITEM = '/api/v1/retention_rules/{id}';
const PREVIEW = '/api/v1/retention_rules/{id}/preview';
const PREVIEW_BODY = '/api/v1/retention_rules/preview';
const RUNS = '/api/v1/retention_rules/{id}/runs';
const CONFIRM = '/api/v1/retention_rules/{id}/confirm';
const RUN = '/api/v1/retention_rules/{id}/run';

const OLD = '2020-01-02T00:00:00.000Z';

describe('record retention rules', () => {
  let srv;
  let admin;
  let staff;
  const sql = (q) => {
    const r = srv.sql(q);
    assert.equal(r.status, 0, `${q}: ${r.stderr}`);
    return r.stdout;
  };
  const one = (q) => Number(sql(q));
  const now = () => new Date().toISOString();

  /* A record written years ago, with no activity-log row at all. */
  function oldLead(name, { status = 'new', org = 1, at = OLD } = {}) {
    const id = one(`INSERT INTO lead (org_id, name, email, status, created_at, updated_at, version) VALUES (${org}, '${name}', '${name}@example.test', '${status}', '${at}', '${at}', 1) RETURNING id`);
    if (org === 1) sql("UPDATE entity_count SET n = n + 1 WHERE org_id = 1 AND entity = 'lead'");
    return id;
  }
  /* Many such leads in one statement: one psql or sqlite3 run, not one
   * each (a long synchronous loop would outlast the server's idle timeout
   * of the client's keep-alive connection). Ids in order. */
  function oldLeads(names, { status = 'new', at = OLD } = {}) {
    const rows = names.map((n) => `(1, '${n}', '${n}@example.test', '${status}', '${at}', '${at}', 1)`).join(', ');
    const ids = sql(`INSERT INTO lead (org_id, name, email, status, created_at, updated_at, version) VALUES ${rows} RETURNING id`)
      .split('\n').map(Number).sort((a, b) => a - b);
    sql(`UPDATE entity_count SET n = n + ${names.length} WHERE org_id = 1 AND entity = 'lead'`);
    return ids;
  }
  function oldClient(company, extra = {}) {
    const cols = { org_id: 1, company: `'${company}'`, address: "'1 Old Street'", phone: "'+40 700 000 001'", created_at: `'${OLD}'`, updated_at: `'${OLD}'`, version: 1, ...extra };
    const id = one(`INSERT INTO client (${Object.keys(cols).join(', ')}) VALUES (${Object.values(cols).join(', ')}) RETURNING id`);
    sql("UPDATE entity_count SET n = n + 1 WHERE org_id = 1 AND entity = 'client'");
    return id;
  }
  async function addRule(body, c = admin) {
    const r = await c.req('POST', COLL, { body: { name: uniq('rule'), entity: 'lead', amount: 3, unit: 'years', ...body } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }
  const runOf = async (rule, id) => (await admin.req('GET', RUNS, { params: { id: rule } })).body.data.find((x) => x.id === id);
  async function runNow(rule) {
    const r = await admin.req('POST', RUN, { params: { id: rule }, body: {} });
    assert.equal(r.status, 202, r.text);
    let run;
    await waitFor(async () => { run = await runOf(rule, r.body.id); return run && ['done', 'failed'].includes(run.status); },
      { timeout: 30000, what: `run ${r.body.id} finished` });
    return run;
  }
  const fieldErrors = (r, names) => assertFieldErrors(r, Object.fromEntries(names.map((n) => [n, null])));
  async function patch(id, body) {
    const g = await admin.req('GET', ITEM, { params: { id } });
    return admin.req('PATCH', ITEM, { params: { id }, body, headers: { 'If-Match': g.headers.get('etag') } });
  }
  const left = (ids) => one(`SELECT COUNT(*) FROM lead WHERE id IN (${ids.join(', ')})`);
  const exists = (table, id) => one(`SELECT COUNT(*) FROM ${table} WHERE id = ${id}`) === 1;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    // Make sure the maintained counts have their rows (a first create).
    for (const [path, body] of [['/api/v1/leads', { name: 'seed lead' }], ['/api/v1/clients', { company: 'seed client' }]]) {
      const r = await admin.req('POST', path, { body });
      assert.equal(r.status, 201, r.text);
    }
  });
  after(async () => { await srv?.stop(); });

  describe('the rule', () => {
    it('creates, reads, lists with filters, updates with If-Match and deletes a rule; each change in the activity log', async () => {
      const r = await admin.req('POST', COLL, {
        body: { name: 'Lost leads', entity: 'lead', amount: 2, unit: 'years', filter: 'status=lost', action: 'delete', notes: 'Art. 5(1)(e)' },
      });
      assert.equal(r.status, 201, r.text);
      assert.ok(r.headers.get('etag'));
      assert.equal(r.body.enabled, false, 'a new rule is off');
      assert.equal(r.body.max_per_run, 500);
      assert.equal(r.body.confirmed_at, null);
      const id = r.body.id;
      const g = await admin.req('GET', ITEM, { params: { id } });
      assert.equal(g.status, 200);
      assert.equal(g.body.filter, 'status=lost');
      const l = await admin.req('GET', COLL, { query: { entity: 'lead', q: 'Lost' } });
      assert.equal(l.status, 200, l.text);
      assert.ok(l.body.data.some((x) => x.id === id));
      const none = await admin.req('GET', COLL, { query: { entity: 'client', q: 'Lost' } });
      assert.ok(!none.body.data.some((x) => x.id === id));
      const p = await admin.req('PATCH', ITEM, { params: { id }, body: { enabled: true }, headers: { 'If-Match': g.headers.get('etag') } });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.body.enabled, true);
      const stale = await admin.req('PATCH', ITEM, { params: { id }, body: { enabled: false }, headers: { 'If-Match': g.headers.get('etag') } });
      assertProblem(stale, 412);
      const acts = await admin.req('GET', '/api/v1/activity', { query: { entity: 'retention_rule', entity_id: id } });
      assert.deepEqual(acts.body.data.map((x) => x.action).sort(), ['create', 'update']);
      const d = await admin.req('DELETE', ITEM, { params: { id }, headers: { 'If-Match': p.headers.get('etag') } });
      assert.equal(d.status, 204, d.text);
      assert.equal((await admin.req('GET', ITEM, { params: { id } })).status, 404);
    });

    it('Idempotency-Key: the same create twice makes one rule', async () => {
      const key = uniq('idem');
      const body = { name: uniq('idem'), entity: 'contact', amount: 18, unit: 'months' };
      const a = await admin.req('POST', COLL, { body, headers: { 'Idempotency-Key': key } });
      const b = await admin.req('POST', COLL, { body, headers: { 'Idempotency-Key': key } });
      assert.equal(a.status, 201, a.text);
      assert.equal(b.body.id, a.body.id);
    });

    it('offers the registry entities that hold personal data, never invoices or the register of requests', async () => {
      const m = await admin.req('GET', '/api/v1/meta/entities');
      assert.equal(m.status, 200);
      const rule = m.body.data.find((e) => e.plural === 'retention_rules');
      const choices = rule.fields.find((f) => f.name === 'entity').choices.map((c) => c.value ?? c);
      for (const e of ['lead', 'contact', 'client', 'ticket']) assert.ok(choices.includes(e), `${e}: ${choices}`);
      for (const e of ['invoice', 'payment', 'credit_note', 'gdpr_request', 'retention_rule']) assert.ok(!choices.includes(e), `${e} offered`);
    });

    it('names every invalid field in one answer', async () => {
      let r = await admin.req('POST', COLL, { body: {} });
      fieldErrors(r, ['name', 'entity', 'amount']);
      r = await admin.req('POST', COLL, {
        body: { name: 'x', entity: 'invoice', amount: 0, unit: 'weeks', action: 'burn', enabled: 'yes', max_per_run: 'many' },
      });
      fieldErrors(r, ['entity', 'amount', 'unit', 'action', 'enabled', 'max_per_run']);
      r = await admin.req('POST', COLL, { body: { name: 'x', entity: 'lead', amount: 101, unit: 'years', max_per_run: 20000 } });
      fieldErrors(r, ['amount', 'max_per_run']);
      r = await admin.req('POST', COLL, { body: { name: 'x', entity: 'lead', amount: 40000, unit: 'days', max_per_run: 0 } });
      fieldErrors(r, ['amount', 'max_per_run']);
      // The filter is judged by the entity's own list language.
      r = await admin.req('POST', COLL, { body: { name: 'x', entity: 'lead', amount: 1, filter: 'no_such_field=1' } });
      fieldErrors(r, ['filter']);
      r = await admin.req('POST', COLL, { body: { name: 'x', entity: 'lead', amount: 1, filter: 'status=lost&limit=5' } });
      fieldErrors(r, ['filter']);
      r = await admin.req('POST', COLL, { body: { name: 'x', entity: 'lead', amount: 1, filter: 'status=%zz' } });
      fieldErrors(r, ['filter']);
      r = await admin.req('POST', COLL, { body: { name: 'x', entity: 'lead', amount: 1, confirmed_version: 3 } });
      fieldErrors(r, ['confirmed_version']);
      // A patch is judged with what it keeps: a client filter on a lead rule.
      const rule = await addRule({ filter: 'status=lost' });
      r = await patch(rule.id, { filter: 'city=Cluj' });
      fieldErrors(r, ['filter']);
      r = await patch(rule.id, { entity: 'client' });
      fieldErrors(r, ['filter']);
      r = await patch(rule.id, { entity: 'client', filter: 'city=Cluj' });
      assert.equal(r.status, 200, r.text);
    });

    it('401 anonymously and 403 without the retention_rules permission, on every route', async () => {
      const rule = await addRule({});
      const anon = client(srv.base);
      const routes = [
        ['GET', COLL], ['POST', COLL, { name: 'x', entity: 'lead', amount: 1 }], ['GET', ITEM], ['PATCH', ITEM, { notes: 'x' }],
        ['DELETE', ITEM], ['GET', PREVIEW], ['POST', PREVIEW_BODY, { entity: 'lead', amount: 1 }], ['GET', RUNS],
        ['POST', CONFIRM, {}], ['POST', RUN, {}],
      ];
      for (const [m, p, body] of routes) {
        const o = { params: { id: rule.id }, body };
        assertProblem(await anon.req(m, p, o), 401);
        assertProblem(await staff.req(m, p, o), 403);
      }
      assert.equal((await admin.req('GET', ITEM, { params: { id: rule.id } })).status, 200, 'nothing changed');
    });
  });

  describe('preview and run', () => {
    const L = {};
    before(() => {
      L.oldLost = [oldLead('rr-lost-1', { status: 'lost' }), oldLead('rr-lost-2', { status: 'lost' }), oldLead('rr-lost-3', { status: 'lost' })];
      L.oldNew = oldLead('rr-new-old');
      // Updated recently: not inactive.
      L.recentUpdate = oldLead('rr-lost-recent', { status: 'lost', at: now() });
      // Another organisation's old lost lead: never counted, never removed.
      sql(`INSERT INTO org (id, name, created_at, kind, parent_id) VALUES (2, 'Second', '${OLD}', 'business', 1)`);
      L.otherOrg = oldLead('rr-lost-org2', { status: 'lost', org: 2 });
    });

    it('a lead whose updated_at is old but with a recent activity-log row is active', async () => {
      const c = await admin.req('POST', '/api/v1/leads', { body: { name: 'rr-lost-logged', status: 'lost' } });
      assert.equal(c.status, 201, c.text);
      L.recentLog = c.body.id;
      sql(`UPDATE lead SET updated_at = '${OLD}' WHERE id = ${L.recentLog}`);
    });

    it('previews exactly the matching records: count, first page, last activity; never writes', async () => {
      const rule = await addRule({ name: 'Lost leads', filter: 'status=lost', amount: 3, unit: 'years' });
      L.rule = rule;
      const acts = one('SELECT COUNT(*) FROM activity_log');
      const p = await admin.req('GET', PREVIEW, { params: { id: rule.id } });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.body.total, 3, p.text);
      assert.deepEqual(p.body.data.map((x) => x.id).sort((a, b) => a - b), L.oldLost);
      assert.equal(p.body.entity, 'lead');
      assert.match(p.body.cutoff, /^\d{4}-\d\d-\d\dT/);
      for (const id of L.oldLost) assert.equal(p.body.last_activity[id], OLD);
      assert.equal(one('SELECT COUNT(*) FROM activity_log'), acts, 'a preview writes nothing');
      // Paging: ?limit.
      const small = await admin.req('GET', PREVIEW, { params: { id: rule.id }, query: { limit: 1 } });
      assert.equal(small.body.total, 3);
      assert.equal(small.body.data.length, 1);
      assert.equal(small.body.has_more, true);
      assertProblem(await admin.req('GET', PREVIEW, { params: { id: rule.id }, query: { limit: 500 } }), 400);
      assertProblem(await admin.req('GET', PREVIEW, { params: { id: rule.id }, query: { sort: 'id' } }), 400);
      assertProblem(await admin.req('GET', PREVIEW, { params: { id: 987654 } }), 404);
      // Without the filter the old "new" lead counts too; the recent ones never.
      const all = await admin.req('POST', PREVIEW_BODY, { body: { entity: 'lead', amount: 3, unit: 'years' } });
      assert.equal(all.status, 200, all.text);
      const ids = all.body.data.map((x) => x.id);
      assert.equal(all.body.total, 4, all.text);
      assert.ok(ids.includes(L.oldNew));
      for (const id of [L.recentUpdate, L.recentLog, L.otherOrg]) assert.ok(!ids.includes(id), `${id} counted`);
      // A shorter window than the records' age changes nothing; a window
      // longer than their age excludes them.
      const longer = await admin.req('POST', PREVIEW_BODY, { body: { entity: 'lead', amount: 100, unit: 'years', filter: 'status=lost' } });
      assert.equal(longer.body.total, 0);
    });

    it("the preview is within the caller's view scope; confirming and running need the right to remove the records", async () => {
      await raiseSeats(admin);
      const role = await addRole(admin, uniq('rr-own-'), { retention_rules: ['view', 'edit'], leads: ['view_own', 'edit'] });
      const m = await addMember(srv, admin, { role_id: role.id }, 'rrmember');
      const mine = oldLead('rr-mine-old', { status: 'won' });
      sql(`UPDATE lead SET owner_id = ${m.id} WHERE id = ${mine}`);
      oldLead('rr-theirs-old', { status: 'won' });
      const rule = await addRule({ filter: 'status=won' });
      const a = await admin.req('GET', PREVIEW, { params: { id: rule.id } });
      assert.equal(a.body.total, 2, a.text);
      const p = await m.req('GET', PREVIEW, { params: { id: rule.id } });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.body.total, 1, p.text);
      assert.deepEqual(p.body.data.map((x) => x.id), [mine]);
      // May edit the rule, may not delete leads: may not confirm or run it.
      const c = await m.req('POST', CONFIRM, { params: { id: rule.id }, body: {} });
      assertProblem(c, 403);
      assertProblem(await m.req('POST', RUN, { params: { id: rule.id }, body: {} }), 403);
      assert.equal((await admin.req('GET', RUNS, { params: { id: rule.id } })).body.data.length, 0);
      assert.equal(one(`SELECT COUNT(*) FROM retention_rule WHERE id = ${rule.id} AND confirmed_version IS NULL`), 1);
      // An anonymise rule needs the right to edit them, every one of the
      // organisation's: this member edits only their own, so may not; a
      // member who sees and edits all leads may.
      const anon = await addRule({ filter: 'status=won', action: 'anonymise' });
      const own = await m.req('POST', CONFIRM, { params: { id: anon.id }, body: {} });
      assertProblem(own, 403);
      assert.match(own.body.detail, /may see only some leads/);
      assertProblem(await m.req('POST', RUN, { params: { id: anon.id }, body: {} }), 403);
      const allRole = await addRole(admin, uniq('rr-all-'), { retention_rules: ['view', 'edit'], leads: ['view', 'edit'] });
      const all = await addMember(srv, admin, { role_id: allRole.id }, 'rrall');
      assert.equal((await all.req('POST', CONFIRM, { params: { id: anon.id }, body: {} })).status, 200);
      assert.equal((await admin.req('DELETE', ITEM, { params: { id: anon.id } })).status, 204);
      assert.equal((await admin.req('DELETE', ITEM, { params: { id: rule.id } })).status, 204);
      // A run while another of the same rule is open: 409.
      const busy = await addRule({ filter: 'status=won' });
      sql(`INSERT INTO retention_run (org_id, rule_id, rule_version, origin, status, cutoff, created_at) VALUES (1, ${busy.id}, 1, 'manual', 'running', '${OLD}', '${OLD}')`);
      assertProblem(await admin.req('POST', RUN, { params: { id: busy.id }, body: {} }), 409);
      assert.equal((await admin.req('DELETE', ITEM, { params: { id: busy.id } })).status, 204);
    });

    it('POST preview names every invalid field', async () => {
      const r = await admin.req('POST', PREVIEW_BODY, { body: { entity: 'invoice', amount: -1, unit: 'weeks', filter: 'nope=1' } });
      fieldErrors(r, ['entity', 'amount', 'unit']);
      const f = await admin.req('POST', PREVIEW_BODY, { body: { entity: 'lead', amount: 1, filter: 'nope=1', action: 'x' } });
      fieldErrors(f, ['filter', 'action']);
    });

    it('confirm: needs the rule version previewed (If-Match) and marks it confirmed', async () => {
      const g = await admin.req('GET', ITEM, { params: { id: L.rule.id } });
      assertProblem(await admin.req('POST', CONFIRM, { params: { id: L.rule.id }, body: {}, headers: { 'If-Match': '"999"' } }), 412);
      const c = await admin.req('POST', CONFIRM, { params: { id: L.rule.id }, body: {}, headers: { 'If-Match': g.headers.get('etag') } });
      assert.equal(c.status, 200, c.text);
      assert.equal(c.body.confirmed_version, g.body.version);
      const after1 = await admin.req('GET', ITEM, { params: { id: L.rule.id } });
      assert.equal(after1.body.confirmed_version, g.body.version);
      assert.ok(after1.body.confirmed_at);
      assertProblem(await admin.req('POST', CONFIRM, { params: { id: 987654 }, body: {} }), 404);
      fieldErrors(await admin.req('POST', CONFIRM, { params: { id: L.rule.id }, body: { force: true } }), ['force']);
    });

    it('run now deletes exactly the previewed records through their delete path; a second run removes nothing new', async () => {
      const rule = L.rule;
      const events = one("SELECT COUNT(*) FROM event WHERE entity = 'lead' AND action = 'deleted'");
      const run = await runNow(rule.id);
      assert.equal(run.status, 'done', JSON.stringify(run));
      assert.equal(run.removed, 3);
      assert.equal(run.refused, 0);
      assert.equal(run.origin, 'manual');
      for (const id of L.oldLost) assert.ok(!exists('lead', id), `lead ${id} stays`);
      for (const id of [L.oldNew, L.recentUpdate, L.recentLog, L.otherOrg]) assert.ok(exists('lead', id), `lead ${id} went`);
      // One activity row and one event per record.
      for (const id of L.oldLost) {
        assert.equal(one(`SELECT COUNT(*) FROM activity_log WHERE entity = 'lead' AND entity_id = ${id} AND action = 'delete'`), 1);
        assert.equal(one(`SELECT COUNT(*) FROM event WHERE entity = 'lead' AND entity_id = ${id} AND action = 'deleted'`), 1);
      }
      assert.equal(one("SELECT COUNT(*) FROM event WHERE entity = 'lead' AND action = 'deleted'"), events + 3);
      // The run in the rule's history.
      const acts = (await admin.req('GET', '/api/v1/activity', { query: { entity: 'retention_rule', entity_id: rule.id } })).body.data;
      assert.ok(acts.some((a) => a.action === 'run'), JSON.stringify(acts));
      assert.ok(acts.some((a) => a.action === 'run_finished'), JSON.stringify(acts));
      const g = await admin.req('GET', ITEM, { params: { id: rule.id } });
      assert.ok(g.body.last_run_at);
      // Again: nothing left to remove.
      const again = await runNow(rule.id);
      assert.equal(again.status, 'done');
      assert.equal(again.removed, 0);
      const list = await admin.req('GET', RUNS, { params: { id: rule.id }, query: { status: 'done' } });
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.data.length, 2);
      assertProblem(await admin.req('GET', RUNS, { params: { id: rule.id }, query: { nope: 1 } }), 400);
      assertProblem(await admin.req('GET', RUNS, { params: { id: 987654 } }), 404);
      assertProblem(await admin.req('POST', RUN, { params: { id: 987654 }, body: {} }), 404);
      const verify = srv.cli(['audit', 'verify']);
      assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    });

    it('a delete rule refuses records others refer to, reports them, and removes the rest', async () => {
      const referenced = oldClient('rr-referenced');
      sql(`INSERT INTO contact (org_id, client_id, first_name, email, created_at, updated_at, version) VALUES (1, ${referenced}, 'Ref', 'ref-${referenced}@example.test', '${OLD}', '${OLD}', 1)`);
      const free = oldClient('rr-free');
      const rule = await addRule({ entity: 'client', amount: 5, unit: 'years', filter: 'q=rr-' });
      const p = await admin.req('GET', PREVIEW, { params: { id: rule.id } });
      assert.equal(p.body.total, 2, p.text);
      const run = await runNow(rule.id);
      assert.equal(run.status, 'done', JSON.stringify(run));
      assert.equal(run.removed, 1);
      assert.equal(run.refused, 1);
      assert.equal(run.refusals[0].id, referenced);
      assert.equal(run.refusals[0].title, 'rr-referenced');
      assert.match(run.refusals[0].reason, /contacts refer to it/);
      assert.ok(exists('client', referenced));
      assert.ok(!exists('client', free));
      const verify = srv.cli(['audit', 'verify']);
      assert.equal(verify.status, 0, verify.stdout + verify.stderr);
      // Still referenced tomorrow: refused again, never half-deleted.
      const again = await runNow(rule.id);
      assert.equal(again.refused, 1);
      assert.equal(again.removed, 0);
    });

    it('an anonymise rule erases the personal fields; invoices keep their amounts; erased records are not counted again', async () => {
      const c = oldClient('rr-anon');
      const inv = one(`INSERT INTO invoice (org_id, client_id, status, currency, subtotal, tax_total, total, balance_due, created_at, updated_at, version) VALUES (1, ${c}, 'draft', 'EUR', 10000, 1900, 11900, 11900, '${OLD}', '${OLD}', 1) RETURNING id`);
      const rule = await addRule({ entity: 'client', amount: 5, unit: 'years', filter: 'q=rr-anon', action: 'anonymise' });
      const run = await runNow(rule.id);
      assert.equal(run.status, 'done', JSON.stringify(run));
      assert.equal(run.removed, 1);
      const row = sql(`SELECT address, phone, company FROM client WHERE id = ${c}`).split('|');
      assert.deepEqual(row, ['[DELETED]', '', 'rr-anon'], 'personal fields erased, the company kept');
      assert.equal(sql(`SELECT total || '/' || subtotal || '/' || tax_total || '/' || client_id FROM invoice WHERE id = ${inv}`), `11900/10000/1900/${c}`);
      assert.equal(one(`SELECT COUNT(*) FROM activity_log WHERE entity = 'client' AND entity_id = ${c} AND action = 'gdpr_erase'`), 1);
      const p = await admin.req('GET', PREVIEW, { params: { id: rule.id } });
      assert.equal(p.body.total, 0, 'erased: not counted again');
      const verify = srv.cli(['audit', 'verify']);
      assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    });

    it('a failure mid-run undoes only its batch; the next run continues and nothing is removed twice', async () => {
      const ids = oldLeads(Array.from({ length: 130 }, (_, i) => `rr-batch-${i}`), { status: 'proposal' });
      assert.equal(ids.length, 130);
      const bad = ids[110]; // in the second batch of 100
      if (srv.pg) {
        sql(`CREATE FUNCTION rr_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER rr_fail BEFORE DELETE ON lead FOR EACH ROW WHEN (OLD.id = ${bad}) EXECUTE FUNCTION rr_fail();`);
      } else {
        sql(`CREATE TRIGGER rr_fail BEFORE DELETE ON lead WHEN old.id = ${bad} BEGIN SELECT RAISE(ABORT, 'injected failure'); END;`);
      }
      const rule = await addRule({ filter: 'status=proposal', amount: 1, unit: 'years' });
      const first = await runNow(rule.id);
      assert.equal(first.status, 'failed', JSON.stringify(first));
      assert.match(first.error, /injected failure/);
      assert.equal(first.removed, 100, 'the first batch committed');
      assert.equal(left(ids), 30, 'the failed batch undone whole');
      sql(srv.pg ? 'DROP TRIGGER rr_fail ON lead; DROP FUNCTION rr_fail();' : 'DROP TRIGGER rr_fail;');
      const second = await runNow(rule.id);
      assert.equal(second.status, 'done', JSON.stringify(second));
      assert.equal(second.removed, 30);
      assert.equal(left(ids), 0);
      for (const id of [ids[0], bad, ids[129]]) {
        assert.equal(one(`SELECT COUNT(*) FROM activity_log WHERE entity = 'lead' AND entity_id = ${id} AND action = 'delete'`), 1);
        assert.equal(one(`SELECT COUNT(*) FROM event WHERE entity = 'lead' AND entity_id = ${id} AND action = 'deleted'`), 1);
      }
      const verify = srv.cli(['audit', 'verify']);
      assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    });

    it('max_per_run: a run stops there and the next continues', async () => {
      const ids = [oldLead('rr-max-1', { status: 'contacted' }), oldLead('rr-max-2', { status: 'contacted' }), oldLead('rr-max-3', { status: 'contacted' })];
      const rule = await addRule({ filter: 'status=contacted', max_per_run: 2 });
      assert.equal((await runNow(rule.id)).removed, 2);
      assert.equal(left(ids), 1);
      assert.equal((await runNow(rule.id)).removed, 1);
    });

    it('the daily task runs only enabled rules whose current version was confirmed', async () => {
      const a = oldLead('rr-sched-a', { status: 'qualified' });
      const enabledUnconfirmed = await addRule({ filter: 'q=rr-sched-a', enabled: true });
      const b = oldLead('rr-sched-b', { status: 'qualified' });
      const confirmed = await addRule({ filter: 'q=rr-sched-b', enabled: true });
      assert.equal((await admin.req('POST', CONFIRM, { params: { id: confirmed.id }, body: {} })).status, 200);
      const c = oldLead('rr-sched-c', { status: 'qualified' });
      const changed = await addRule({ filter: 'q=rr-sched-c', enabled: true });
      assert.equal((await admin.req('POST', CONFIRM, { params: { id: changed.id }, body: {} })).status, 200);
      // Changed after its confirmation: waits for a new one.
      assert.equal((await patch(changed.id, { amount: 4 })).status, 200);
      const lastRun = async () => (await admin.req('GET', '/api/v1/scheduler')).body.tasks?.find((t) => t.name === 'record_retention')?.last_run_at;
      await waitFor(async () => (await admin.req('GET', '/api/v1/scheduler')).body.tasks?.some((t) => t.name === 'record_retention'), { what: 'the task row' });
      const was = await lastRun();
      sql("UPDATE sched_task SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE name = 'record_retention'");
      await waitFor(async () => { const l = await lastRun(); return l && l !== was; }, { timeout: 20000, what: 'record_retention ran' });
      let runs;
      await waitFor(async () => {
        runs = (await admin.req('GET', RUNS, { params: { id: confirmed.id } })).body.data;
        return runs.length === 1 && runs[0].status === 'done';
      }, { timeout: 30000, what: 'the scheduled run' });
      assert.equal(runs[0].origin, 'schedule');
      assert.equal(runs[0].removed, 1);
      assert.ok(!exists('lead', b));
      assert.ok(exists('lead', a), 'an unconfirmed rule does not run');
      assert.ok(exists('lead', c), 'a rule changed since its confirmation does not run');
      assert.equal((await admin.req('GET', RUNS, { params: { id: enabledUnconfirmed.id } })).body.data.length, 0);
      assert.equal((await admin.req('GET', RUNS, { params: { id: changed.id } })).body.data.length, 0);
    });
  });
});
