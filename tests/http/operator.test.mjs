// The operator console's API (issue 17): /api/v1/operator/orgs for the
// administrators of the operator organisation only (the harness's admin is
// organisation 1's, the operator). Create (with the first administrator's
// invitation through a real SMTP server), every invalid field, the list with
// its filters and paging, one organisation with its usage, seats, suspend and
// resume, each change logged in the organisation's chain and the operator's;
// 401 anonymously, 403 for a business's administrator and for an operator's
// member who is not an administrator; delete (refused for the operator, an
// active organisation, one with children; then every row of the organisation
// gone and every other organisation's rows untouched, table by table) through
// the API and through `atrium org delete`.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, addMember, uniq,
  startSmtpSink, configureSmtp, waitFor,
} from './harness.mjs';

const LIST = '/api/v1/operator/orgs';
const ITEM = '/api/v1/operator/orgs/{id}';
const SEATS = '/api/v1/operator/orgs/{id}/seats';
const SUSPEND = '/api/v1/operator/orgs/{id}/suspend';
const RESUME = '/api/v1/operator/orgs/{id}/resume';

describe('operator console API', () => {
  let srv;
  let admin; // an administrator of the operator (organisation 1)
  let sink;
  let boss; // the business's first administrator, who came by the invitation
  let opMember; // a member of the operator without administrator rights
  let bizId;
  const BOSS = { email: `boss.${uniq('b')}@example.test`, name: 'Boss Biz', password: 'Harbour-violet-cedar-7731' };

  const rowsOf = (sql) => srv.sql(sql).stdout;
  const logCount = (org, entity, action, id) => Number(rowsOf(
    `SELECT COUNT(*) FROM activity_log WHERE org_id = ${org} AND entity = '${entity}' AND action = '${action}'` +
    (id ? ` AND entity_id = ${id}` : '')));
  /* Every table with an org_id column, from the catalog. */
  const orgTables = () => {
    const q = srv.pg
      ? "SELECT table_name FROM information_schema.columns c WHERE c.table_schema = current_schema() AND c.column_name = 'org_id' AND EXISTS (SELECT 1 FROM information_schema.tables t WHERE t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE') ORDER BY 1"
      : "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'org_id' ORDER BY 1";
    const r = srv.sql(q);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };
  /* {table: rows} of org, for every table with an org_id (one statement:
   * a client connection idle for long may be closed under it). */
  const census = (org) => {
    const q = orgTables().map((t) => `SELECT '${t}', COUNT(*) FROM "${t}" WHERE org_id = ${org}`).join(' UNION ALL ');
    const r = srv.sql(q);
    assert.equal(r.status, 0, r.stderr);
    const out = {};
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [t, n] = line.split('|');
      out[t] = Number(n);
    }
    return out;
  };

  /* A business with its first administrator signed in (by the emailed
   * link): {id, c}. */
  async function business(name) {
    const email = `${uniq('adm')}@example.test`;
    const r = await admin.req('POST', LIST, { body: { name, admin_email: email, admin_name: `Admin of ${name}` } });
    assert.equal(r.status, 201, r.text);
    const tf = srv.cli(['settings', 'set', 'security.twofa_required_admins', 'false', '--org', String(r.body.id)]);
    assert.equal(tf.status, 0, tf.stderr);
    const mail = await sink.waitFor(email);
    const token = /\/set-password#token=([A-Za-z0-9_~.%-]+)/.exec(JSON.stringify(mail))?.[1];
    assert.ok(token, 'a set-password link');
    const c = client(srv.base);
    const s = await c.req('POST', '/api/v1/auth/password/set', { body: { token: decodeURIComponent(token), password: 'Harbour-violet-cedar-8842' } });
    assert.equal(s.status, 200, s.text);
    return { id: r.body.id, c };
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    sink = await startSmtpSink(srv.dir);
    await configureSmtp(admin, sink);
    const m = await addMember(srv, admin, {}, 'opmember');
    opMember = m.client || m;
  });
  after(async () => {
    await sink?.stop();
    await srv?.stop();
  });

  it('POST creates a business with its first administrator; the invitation arrives by email and signs them in', async () => {
    const r = await admin.req('POST', LIST, {
      body: { name: 'Biz One', kind: 'business', members_included: 3, extra_seats: 2, admin_email: BOSS.email, admin_name: BOSS.name },
    });
    assert.equal(r.status, 201, r.text);
    bizId = r.body.id;
    assert.equal(r.headers.get('location'), `/api/v1/operator/orgs/${bizId}`);
    assert.equal(r.body.kind, 'business');
    assert.equal(r.body.parent_id, 1);
    assert.equal(r.body.status, 'active');
    assert.equal(r.body.invitation_sent, true);
    assert.deepEqual(r.body.seats, { used: 1, included: 3, extra: 2, allowed: 5 });
    // The organisation's own chain: its creation and its administrator's,
    // by the operator's administrator; the operator's chain: the creation.
    assert.equal(logCount(bizId, 'org', 'create', bizId), 1);
    assert.equal(logCount(bizId, 'staff', 'create'), 1);
    assert.equal(logCount(1, 'org', 'create', bizId), 1);
    assert.match(rowsOf(`SELECT actor_name FROM activity_log WHERE org_id = ${bizId} AND entity = 'org'`), /\(operator\)$/);
    // The link is the new organisation's; the email went through the operator's queue.
    assert.equal(rowsOf(`SELECT org_id FROM auth_token WHERE staff_id = ${r.body.admin_id}`), String(bizId));
    const tf = srv.cli(['settings', 'set', 'security.twofa_required_admins', 'false', '--org', String(bizId)]);
    assert.equal(tf.status, 0, tf.stderr);
    const mail = await sink.waitFor(BOSS.email);
    const token = /\/set-password#token=([A-Za-z0-9_~.%-]+)/.exec(JSON.stringify(mail))?.[1];
    assert.ok(token, `a set-password link in ${JSON.stringify(mail).slice(0, 400)}`);
    boss = client(srv.base);
    boss.as = 'business-admin';
    const s = await boss.req('POST', '/api/v1/auth/password/set', { body: { token: decodeURIComponent(token), password: BOSS.password } });
    assert.equal(s.status, 200, s.text);
    assert.equal(s.body.staff.org_id, bizId);
    assert.equal(s.body.staff.admin, true);
    const v = srv.cli(['audit', 'verify']);
    assert.equal(v.status, 0, v.stdout + v.stderr);
  });

  it("POST with the email of a person of another organisation: they become its administrator with their account, told by email, no link; their home organisation cannot be deleted meanwhile", async () => {
    const email = `${uniq('person')}@example.test`;
    const home = await admin.req('POST', LIST, { body: { name: `Home ${uniq('h')}`, admin_email: email, admin_name: 'Pat Person' } });
    assert.equal(home.status, 201, home.text);
    assert.equal(home.body.admin_linked, false);
    const r = await admin.req('POST', LIST, { body: { name: `Second ${uniq('s')}`, admin_email: email.toUpperCase(), admin_name: 'Ignored' } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.invitation_sent, false);
    assert.equal(r.body.admin_linked, true);
    assert.equal(rowsOf(`SELECT identity_id || '|' || admin || '|' || name FROM staff WHERE id = ${r.body.admin_id}`),
      `${home.body.admin_id}|1|Pat Person`);
    assert.equal(rowsOf(`SELECT COUNT(*) FROM auth_token WHERE staff_id = ${r.body.admin_id}`), '0', 'no set-password link');
    assert.equal(rowsOf(`SELECT COUNT(*) FROM email_queue WHERE template = 'membership_added' AND to_addr = '${email}'`), '1');
    assert.equal(logCount(r.body.id, 'staff', 'create', r.body.admin_id), 1);
    // The home organisation cannot be deleted while they belong elsewhere.
    assert.equal((await admin.req('POST', SUSPEND, { params: { id: home.body.id } })).status, 200);
    const refused = await admin.req('DELETE', ITEM, { params: { id: home.body.id } });
    assertProblem(refused, 409);
    assert.match(refused.body.detail, /holds the account of 1 person who belongs to other organisations too/);
    // The other one can: the membership goes with it; then the home one.
    assert.equal((await admin.req('POST', SUSPEND, { params: { id: r.body.id } })).status, 200);
    assert.equal((await admin.req('DELETE', ITEM, { params: { id: r.body.id } })).status, 204);
    assert.equal(rowsOf(`SELECT COUNT(*) FROM staff WHERE identity_id = ${home.body.admin_id}`), '0');
    assert.equal((await admin.req('DELETE', ITEM, { params: { id: home.body.id } })).status, 204);
  });

  it('every route: 401 without a session, 403 for a business administrator and for an operator member who is not an administrator', async () => {
    const anon = client(srv.base);
    const calls = [
      ['GET', LIST, {}], ['POST', LIST, { body: { name: 'X' } }], ['GET', ITEM, { params: { id: bizId } }],
      ['PATCH', SEATS, { params: { id: bizId }, body: { extra_seats: 9 } }],
      ['POST', SUSPEND, { params: { id: bizId } }], ['POST', RESUME, { params: { id: bizId } }],
      ['DELETE', ITEM, { params: { id: bizId } }],
    ];
    for (const [m, p, o] of calls) {
      assertProblem(await anon.req(m, p, o), 401);
      const b = await boss.req(m, p, o);
      assertProblem(b, 403, 'forbidden');
      assert.match(b.body.detail, /administrators of the operator organisation/);
      assertProblem(await opMember.req(m, p, o), 403, 'forbidden');
    }
    // Nothing changed.
    const one = await admin.req('GET', ITEM, { params: { id: bizId } });
    assert.equal(one.body.status, 'active');
    assert.equal(one.body.seats.extra, 2);
  });

  it('POST: every invalid field named at once, and each rule on its own', async () => {
    const all = await admin.req('POST', LIST, {
      body: { name: '', kind: 'planet', parent_id: 'x', members_included: 0, extra_seats: -1, admin_email: 'not-an-email', admin_name: 'N' },
    });
    assertFieldErrors(all, { name: 'required', kind: 'not_allowed', parent_id: 'type', members_included: 'invalid', extra_seats: 'invalid', admin_email: 'invalid' });
    const cases = [
      [{}, { name: 'required' }],
      [{ name: 'Bad\u0007name' }, { name: 'invalid' }],
      [{ name: 'x'.repeat(201) }, { name: 'too_long' }],
      [{ name: 'M', kind: 'merchant' }, { parent_id: 'required' }],
      [{ name: 'M', kind: 'merchant', parent_id: 1 }, { parent_id: 'invalid' }],
      [{ name: 'B', parent_id: 999999 }, { parent_id: 'not_found' }],
      [{ name: 'B', members_included: 1000001 }, { members_included: 'invalid' }],
      [{ name: 'B', admin_email: `a.${uniq('e')}@example.test` }, { admin_name: 'required' }],
      [{ name: 'B', admin_name: 'Only a name' }, { admin_email: 'required' }],
      [{ name: 'B', colour: 'red' }, { colour: 'unknown_field' }],
      [{ name: 'B', extra_seats: 1.5 }, { extra_seats: 'invalid' }],
    ];
    for (const [body, want] of cases) assertFieldErrors(await admin.req('POST', LIST, { body }), want);
    const shop = await admin.req('POST', LIST, { body: { name: 'Deep', kind: 'business', parent_id: bizId } });
    assertFieldErrors(shop, { parent_id: 'invalid' });
    // Nothing was added by any of them.
    assert.equal(rowsOf("SELECT COUNT(*) FROM org WHERE name IN ('B', 'M', 'Deep')"), '0');
  });

  it('GET list: every organisation with seats and usage; kind, status, parent_id and q filters; paging', async () => {
    const shop = await admin.req('POST', LIST, { body: { name: 'Shop Alpha', kind: 'merchant', parent_id: bizId } });
    assert.equal(shop.status, 201, shop.text);
    assert.equal(shop.body.invitation_sent, false);
    const all = await admin.req('GET', LIST);
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.total, 3);
    assert.deepEqual(all.body.data.map((o) => o.kind), ['operator', 'business', 'merchant']);
    const op = all.body.data[0];
    assert.equal(op.parent_id, null);
    assert.ok(op.seats.used >= 2, JSON.stringify(op.seats));
    assert.equal(typeof op.usage.jobs.waiting, 'number');
    assert.equal(typeof op.usage.jobs.dead, 'number');
    assert.equal(typeof op.usage.storage.attachments_bytes, 'number');
    const ids = async (query) => {
      const r = await admin.req('GET', LIST, { query });
      assert.equal(r.status, 200, r.text);
      return r.body.data.map((o) => o.id);
    };
    assert.deepEqual(await ids({ kind: 'merchant' }), [shop.body.id]);
    assert.deepEqual(await ids({ parent_id: bizId }), [shop.body.id]);
    assert.deepEqual(await ids({ status: 'suspended' }), []);
    assert.deepEqual(await ids({ q: 'biz o' }), [bizId]);
    assert.deepEqual(await ids({ 'kind[in]': 'business,merchant', sort: '-id' }), [shop.body.id, bizId]);
    const page = await admin.req('GET', LIST, { query: { limit: 2 } });
    assert.equal(page.body.data.length, 2);
    assert.equal(page.body.has_more, true);
    const next = await admin.req('GET', LIST, { query: { limit: 2, cursor: page.body.next_cursor } });
    assert.deepEqual(next.body.data.map((o) => o.id), [shop.body.id]);
    assertProblem(await admin.req('GET', LIST, { query: { kind: 'planet' } }), 400);
    assertProblem(await admin.req('GET', LIST, { query: { colour: 'red' } }), 400);
    assertProblem(await admin.req('GET', LIST, { query: { limit: 0 } }), 400);
  });

  it('GET one: members, records per entity and in all, children, storage, jobs; 404', async () => {
    const lead = await boss.req('POST', '/api/v1/leads', { body: { name: 'Their lead' } });
    assert.equal(lead.status, 201, lead.text);
    const r = await admin.req('GET', ITEM, { params: { id: bizId } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'Biz One');
    assert.deepEqual(r.body.usage.members, { active: 1, total: 1 });
    assert.equal(r.body.usage.records.lead, 1);
    assert.ok(r.body.usage.records_total >= 1);
    assert.equal(r.body.usage.children, 1);
    assert.deepEqual(Object.keys(r.body.usage.storage).sort(), ['archives_bytes', 'attachments_bytes']);
    assert.equal(typeof r.body.usage.jobs.waiting, 'number');
    // The operator's own records are not counted for the business.
    const mine = await admin.req('POST', '/api/v1/leads', { body: { name: 'Operator lead' } });
    assert.equal(mine.status, 201);
    assert.equal((await admin.req('GET', ITEM, { params: { id: bizId } })).body.usage.records.lead, 1);
    assertProblem(await admin.req('GET', ITEM, { params: { id: 999999 } }), 404);
  });

  it('PATCH seats: set, logged in both chains, the seat check follows; every invalid field; 404', async () => {
    const r = await admin.req('PATCH', SEATS, { params: { id: bizId }, body: { members_included: 1, extra_seats: 0 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.seats, { used: 1, included: 1, extra: 0, allowed: 1 });
    assert.equal(logCount(bizId, 'org', 'update', bizId), 1);
    assert.equal(logCount(1, 'org', 'update', bizId), 1);
    const full = await boss.req('POST', '/api/v1/staff', { body: { email: `${uniq('s')}@example.test`, name: 'One too many' } });
    assertProblem(full, 409);
    const same = await admin.req('PATCH', SEATS, { params: { id: bizId }, body: { members_included: 1 } });
    assert.equal(same.status, 200);
    assert.equal(logCount(bizId, 'org', 'update', bizId), 1, 'no change, no row');
    assertFieldErrors(await admin.req('PATCH', SEATS, { params: { id: bizId }, body: { members_included: 0, extra_seats: 1000001 } }),
      { members_included: 'invalid', extra_seats: 'invalid' });
    assertFieldErrors(await admin.req('PATCH', SEATS, { params: { id: bizId }, body: { extra_seats: 'many' } }), { extra_seats: 'invalid' });
    assertFieldErrors(await admin.req('PATCH', SEATS, { params: { id: bizId }, body: {} }), { members_included: 'required' });
    assertProblem(await admin.req('PATCH', SEATS, { params: { id: 999999 }, body: { extra_seats: 1 } }), 404);
    const back = await admin.req('PATCH', SEATS, { params: { id: bizId }, body: { members_included: 5 } });
    assert.equal(back.status, 200);
  });

  it('suspend and resume: the business\'s members are refused, then restored; logged in both chains; the operator cannot be suspended', async () => {
    const s = await admin.req('POST', SUSPEND, { params: { id: bizId } });
    assert.equal(s.status, 200, s.text);
    assert.equal(s.body.status, 'suspended');
    assert.ok(s.body.suspended_at);
    assertProblem(await boss.req('GET', '/api/v1/leads'), 403, 'org-suspended');
    const again = await admin.req('POST', SUSPEND, { params: { id: bizId } });
    assert.equal(again.status, 200);
    assert.equal(logCount(bizId, 'org', 'suspend', bizId), 1);
    assert.equal(logCount(1, 'org', 'suspend', bizId), 1);
    const r = await admin.req('POST', RESUME, { params: { id: bizId } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'active');
    assert.equal(r.body.suspended_at, null);
    assert.equal((await boss.req('GET', '/api/v1/leads')).status, 200);
    assert.equal(logCount(bizId, 'org', 'resume', bizId), 1);
    assert.equal(logCount(1, 'org', 'resume', bizId), 1);
    assertProblem(await admin.req('POST', SUSPEND, { params: { id: 1 } }), 409);
    assertProblem(await admin.req('POST', SUSPEND, { params: { id: 999999 } }), 404);
    assertProblem(await admin.req('POST', RESUME, { params: { id: 999999 } }), 404);
    assertFieldErrors(await admin.req('POST', SUSPEND, { params: { id: bizId }, body: { now: true } }), { now: 'unknown_field' });
  });

  it('DELETE: refused for the operator, an active organisation and one with children; then every row of it goes and no other organisation\'s', async () => {
    assertProblem(await admin.req('DELETE', ITEM, { params: { id: 1 } }), 409);
    const active = await admin.req('DELETE', ITEM, { params: { id: bizId } });
    assertProblem(active, 409);
    assert.match(active.body.detail, /suspend it first/);
    assert.equal((await admin.req('POST', SUSPEND, { params: { id: bizId } })).status, 200);
    const kids = await admin.req('DELETE', ITEM, { params: { id: bizId } });
    assertProblem(kids, 409);
    assert.match(kids.body.detail, /has 1 child organisation/);
    assertProblem(await admin.req('DELETE', ITEM, { params: { id: 999999 } }), 404);

    // The merchant first (suspended), then the business.
    const shopId = Number(rowsOf(`SELECT id FROM org WHERE parent_id = ${bizId}`));
    assert.equal((await admin.req('POST', SUSPEND, { params: { id: shopId } })).status, 200);
    assert.equal((await admin.req('DELETE', ITEM, { params: { id: shopId } })).status, 204);
    assertProblem(await admin.req('GET', ITEM, { params: { id: shopId } }), 404);

    // A sibling business with data of its own, and the operator: counted
    // table by table before and after.
    const two = await business('Biz Two');
    assert.equal((await two.c.req('POST', '/api/v1/leads', { body: { name: 'Sibling lead' } })).status, 201);
    // The request log is written in batches: its two requests (the link,
    // the lead) are in before the count.
    await waitFor(() => rowsOf(`SELECT COUNT(*) FROM api_request_log WHERE org_id = ${two.id}`) === '2',
      { what: 'the sibling\'s two requests in the request log' });
    const twoBefore = census(two.id);
    const opBefore = census(1);
    const mine = census(bizId);
    assert.ok(mine.lead >= 1 && mine.staff >= 1 && mine.activity_log >= 1, JSON.stringify(mine));
    const staffIds = rowsOf(`SELECT id FROM staff WHERE org_id = ${bizId}`).split('\n').filter(Boolean);
    const d = await admin.req('DELETE', ITEM, { params: { id: bizId } });
    assert.equal(d.status, 204, d.text);
    assert.deepEqual(census(two.id), twoBefore, 'the sibling\'s rows, table by table, untouched');
    // The operator's too, but for the deletion's own activity row and the
    // request log of these requests.
    const opAfter = census(1);
    assert.equal(opAfter.activity_log, opBefore.activity_log + 1);
    for (const t of ['activity_log', 'api_request_log']) { delete opAfter[t]; delete opBefore[t]; }
    assert.deepEqual(opAfter, opBefore, 'the operator\'s rows, table by table, untouched');
    const left = Object.entries(census(bizId)).filter(([, n]) => n > 0);
    assert.deepEqual(left, [], 'no row of the deleted organisation left');
    // Rows without org_id went by their cascade (the members' memberships, recovery codes, ...).
    assert.equal(rowsOf(`SELECT COUNT(*) FROM password_history WHERE staff_id IN (${staffIds.join(',')})`), '0');
    assertProblem(await admin.req('GET', ITEM, { params: { id: bizId } }), 404);
    assertProblem(await boss.req('GET', '/api/v1/auth/me'), 401);
    // The operator's chain has the deletion with what went; the chains verify.
    assert.equal(logCount(1, 'org', 'delete', bizId), 1);
    const diff = JSON.parse(rowsOf(`SELECT diff FROM activity_log WHERE org_id = 1 AND entity = 'org' AND action = 'delete' AND entity_id = ${bizId}`));
    assert.equal(diff.name.from, 'Biz One');
    assert.ok(diff.rows.from.lead >= 1, JSON.stringify(diff));
    const v = srv.cli(['audit', 'verify']);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    // Its id is never given again.
    const next = await admin.req('POST', LIST, { body: { name: 'After' } });
    assert.equal(next.status, 201);
    assert.ok(next.body.id > bizId, `${next.body.id} after ${bizId}`);
    assert.equal(rowsOf(`SELECT name FROM org_deleted WHERE id = ${bizId}`), 'Biz One');
  });

  it('atrium org delete: the same rules; --yes needed off a terminal; the operator\'s chain records it', async () => {
    const r = await admin.req('POST', LIST, { body: { name: 'Cli Gone' } });
    assert.equal(r.status, 201);
    const id = r.body.id;
    const active = srv.cli(['org', 'delete', String(id), '--yes']);
    assert.equal(active.status, 1);
    assert.match(active.stderr, /suspend it first/);
    assert.equal(srv.cli(['org', 'suspend', String(id)]).status, 0);
    const ask = srv.cli(['org', 'delete', String(id)]);
    assert.equal(ask.status, 1);
    assert.match(ask.stderr, /not confirmed.*--yes/);
    assert.equal(rowsOf(`SELECT COUNT(*) FROM org WHERE id = ${id}`), '1');
    const op = srv.cli(['org', 'delete', '1', '--yes']);
    assert.equal(op.status, 1);
    assert.match(op.stderr, /is the operator: it cannot be deleted/);
    const ok = srv.cli(['org', 'delete', String(id), '--yes']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /organisation \d+ 'Cli Gone' deleted/);
    assert.equal(rowsOf(`SELECT COUNT(*) FROM org WHERE id = ${id}`), '0');
    assert.equal(rowsOf(`SELECT actor_name FROM activity_log WHERE org_id = 1 AND entity = 'org' AND action = 'delete' AND entity_id = ${id}`), 'cli');
    assert.equal(srv.cli(['org', 'delete', String(id), '--yes']).status, 1);
    const v = srv.cli(['audit', 'verify']);
    assert.equal(v.status, 0, v.stdout + v.stderr);
  });
});

// The per-organisation scheduled tasks pass a suspended organisation by
// (auth/org.h, ORG_ACTIVE_SQL): two businesses each with an automation on a
// schedule, both due; with one suspended, `atrium cron` (the node runs no
// scheduler) runs the other's and not the suspended one's; resumed, it runs.
describe('scheduled tasks skip a suspended organisation', () => {
  let srv;
  let admin;
  const bizs = [];

  /* A business made with `atrium org create` and its administrator signed
   * in by the printed link: {id, c}. */
  async function business(name) {
    const email = `${uniq('sch')}@example.test`;
    const out = srv.cli(['org', 'create', '--name', name, '--admin-email', email, '--admin-name', `Admin ${name}`]);
    assert.equal(out.status, 0, out.stderr);
    const id = Number(/\(id (\d+)\)/.exec(out.stdout)[1]);
    const tf = srv.cli(['settings', 'set', 'security.twofa_required_admins', 'false', '--org', String(id)]);
    assert.equal(tf.status, 0, tf.stderr);
    const token = decodeURIComponent(/\/set-password#token=([A-Za-z0-9_.~%+-]+)/.exec(out.stdout)[1]);
    const c = client(srv.base);
    const r = await c.req('POST', '/api/v1/auth/password/set', { body: { token, password: 'Harbour-violet-cedar-9953' } });
    assert.equal(r.status, 200, r.text);
    return { id, c, me: r.body.staff };
  }
  const due = (id) => srv.sql(`UPDATE automation SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE id = ${id}`);
  const runs = (id) => Number(srv.sql(`SELECT COUNT(*) FROM automation_run WHERE automation_id = ${id}`).stdout);
  const nextRun = (id) => srv.sql(`SELECT next_run_at FROM automation WHERE id = ${id}`).stdout;
  /* Makes the automation_schedules task due and runs `atrium cron`. */
  const cron = () => {
    const f = srv.sql("UPDATE sched_task SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE name = 'automation_schedules'");
    assert.equal(f.status, 0, f.stderr);
    const r = srv.cli(['cron']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    return r;
  };

  before(async () => {
    srv = await startServer({ env: { ATRIUM_SCHEDULER: 'false' } });
    admin = await adminClient(srv);
    // The first `atrium cron` creates the task rows.
    cron();
    for (const name of ['Sched A', 'Sched B']) {
      const b = await business(name);
      const a = await b.c.req('POST', '/api/v1/automations', {
        body: {
          name: `Every minute ${name}`, enabled: true, trigger: { type: 'schedule', cron: '* * * * *' },
          actions: [{ type: 'notify', to: [{ type: 'member', id: b.me.id }], title: 'tick' }],
        },
      });
      assert.equal(a.status, 201, a.text);
      b.auto = a.body.id;
      bizs.push(b);
    }
  });
  after(async () => { await srv?.stop(); });

  it('suspended: its automation does not run while the other organisation\'s does; resumed, it runs', async () => {
    const [a, b] = bizs;
    assert.equal(due(a.auto).status, 0);
    assert.equal(due(b.auto).status, 0);
    const s = await admin.req('POST', '/api/v1/operator/orgs/{id}/suspend', { params: { id: b.id } });
    assert.equal(s.status, 200, s.text);
    cron();
    assert.equal(runs(a.auto), 1, 'the active organisation\'s automation ran');
    assert.notEqual(nextRun(a.auto), '2000-01-01T00:00:00.000Z', 'and moved to its next minute');
    assert.equal(runs(b.auto), 0, 'the suspended organisation\'s did not');
    assert.equal(nextRun(b.auto), '2000-01-01T00:00:00.000Z', 'and is still due');
    cron();
    assert.equal(runs(b.auto), 0, 'nor at the next run');
    const r = await admin.req('POST', '/api/v1/operator/orgs/{id}/resume', { params: { id: b.id } });
    assert.equal(r.status, 200, r.text);
    cron();
    assert.equal(runs(b.auto), 1, 'resumed, it ran');
    assert.notEqual(nextRun(b.auto), '2000-01-01T00:00:00.000Z');
  });
});
