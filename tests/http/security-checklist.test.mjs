// The live security checklist and the role audit (issue 16; the spec's
// "Security — permanent checklist"): each row's status from real data
// (administrators without 2FA, idle members, stale API tokens, the SMTP
// password's last change, roles beyond their template, the activity since
// the last review); marking a review done (201, the activity row in the
// same transaction, the history, every invalid field, 404 and 409); the
// scheduler's overdue emails through a real SMTP server, once per row and
// due period, and the in-app notifications; the role audit against the
// permission kernel's own answers (GET /staff/{id}/access) for a member
// with a role and overrides, its filters and its CSV export; 401 and 403 on
// every route. Runs on SQLite, and on PostgreSQL with ATRIUM_TEST_PG.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, adminClient, staffClient, client, addMember, addRole, raiseSeats, uniq, waitFor,
  assertProblem, assertFieldErrors, startSmtpSink, configureSmtp, ISO_MS,
} from './harness.mjs';

const KEYS = ['admin_two_factor', 'departures', 'inactive_tokens', 'activity_review', 'smtp_rotation',
  'role_audit', 'inactive_members'];
const DAY = 86400000;
const OLD = '2020-01-01T00:00:00.000Z';

const checklist = async (c) => {
  const r = await c.req('GET', '/api/v1/security/checklist');
  assert.equal(r.status, 200, r.text);
  return Object.fromEntries(r.body.data.map((x) => [x.key, x]));
};
const sqlOk = (srv, statement) => {
  const r = srv.sql(statement);
  assert.equal(r.status, 0, `${statement}: ${r.stderr}`);
  return r.stdout;
};

describe('security checklist: rows from real data, reviews', () => {
  let srv;
  let admin;
  let plain;
  let member;
  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    plain = await staffClient(srv);
    await raiseSeats(admin);
    member = await addMember(srv, admin, {}, 'idle');
  });
  after(async () => { await srv?.stop(); });

  it('lists the seven rows of the spec in order, with their fields', async () => {
    const r = await admin.req('GET', '/api/v1/security/checklist');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.data.map((x) => x.key), KEYS);
    assert.match(r.body.evaluated_at, ISO_MS);
    for (const row of r.body.data) {
      for (const k of ['title', 'frequency', 'status', 'link']) assert.equal(typeof row[k], 'string', `${row.key}.${k}`);
      assert.ok(['ok', 'attention', 'overdue', 'not_applicable'].includes(row.status), row.status);
      assert.ok(Array.isArray(row.findings));
      assert.equal(typeof row.findings_count, 'number');
      assert.ok(row.link.startsWith('/admin/'), row.link);
    }
    const rows = Object.fromEntries(r.body.data.map((x) => [x.key, x]));
    // a fresh organisation: nothing reviewed yet, periods counted from its creation
    assert.equal(rows.activity_review.last_done_at, null);
    assert.equal(rows.activity_review.period_days, 7);
    const created = Date.parse(sqlOk(srv, 'SELECT created_at FROM org WHERE id = 1'));
    assert.equal(Date.parse(rows.activity_review.next_due_at), created + 7 * DAY);
    assert.equal(Date.parse(rows.role_audit.next_due_at), created + 182 * DAY);
    assert.equal(Date.parse(rows.inactive_tokens.next_due_at), created + 91 * DAY);
    assert.equal(rows.admin_two_factor.next_due_at, null, 'continuous');
    assert.equal(rows.admin_two_factor.reviewable, false);
    assert.equal(r.body.overdue, r.body.data.filter((x) => x.status === 'overdue').length);
  });

  it('2FA for all administrators: the administrators without it, overdue a day after they were added', async () => {
    let rows = await checklist(admin);
    // added today: a day to enrol
    assert.equal(rows.admin_two_factor.status, 'attention');
    assert.deepEqual(rows.admin_two_factor.findings.map((f) => f.email), [srv.admin.email]);
    assert.equal(rows.admin_two_factor.findings[0].overdue, false);
    assert.equal(rows.admin_two_factor.findings[0].link, `/admin/staff/${admin.me.id}`);
    sqlOk(srv, `UPDATE staff SET created_at = '${new Date(Date.now() - DAY - 60000).toISOString()}' WHERE id = ${admin.me.id}`);
    rows = await checklist(admin);
    assert.equal(rows.admin_two_factor.status, 'overdue');
    assert.equal(rows.admin_two_factor.findings[0].overdue, true);
    // a second administrator without 2FA joins the list; a member who is no administrator never does
    const second = await addMember(srv, admin, { admin: true }, 'admin2');
    rows = await checklist(admin);
    assert.deepEqual(rows.admin_two_factor.findings.map((f) => f.id).sort((a, b) => a - b), [admin.me.id, second.id]);
    // confirmed 2FA takes them off; a pending enrolment does not
    sqlOk(srv, `INSERT INTO staff_totp (staff_id, secret, confirmed_at, created_at) VALUES (${second.id}, 'x', '${new Date().toISOString()}', '${new Date().toISOString()}')`);
    sqlOk(srv, `INSERT INTO staff_totp (staff_id, secret, confirmed_at, created_at) VALUES (${admin.me.id}, 'x', NULL, '${new Date().toISOString()}')`);
    rows = await checklist(admin);
    assert.deepEqual(rows.admin_two_factor.findings.map((f) => f.id), [admin.me.id]);
    assert.equal(rows.admin_two_factor.findings_count, 1);
    sqlOk(srv, `UPDATE staff_totp SET confirmed_at = '${new Date().toISOString()}' WHERE staff_id = ${admin.me.id}`);
    rows = await checklist(admin);
    assert.equal(rows.admin_two_factor.status, 'ok');
    assert.equal(rows.admin_two_factor.findings_count, 0);
  });

  it('idle members: 30 days for departures, 90 days for the monthly check; deactivated ones never', async () => {
    let rows = await checklist(admin);
    assert.equal(rows.departures.findings_count, 0);
    assert.equal(rows.inactive_members.findings_count, 0);
    const days40 = new Date(Date.now() - 40 * DAY).toISOString();
    sqlOk(srv, `UPDATE staff SET last_login_at = '${days40}' WHERE id = ${member.id}`);
    rows = await checklist(admin);
    assert.deepEqual(rows.departures.findings.map((f) => f.id), [member.id]);
    assert.equal(rows.departures.findings[0].last_login_at, days40);
    assert.equal(rows.departures.status, 'attention', 'not due yet, but something to look at');
    assert.equal(rows.inactive_members.findings_count, 0, '40 days is not 90');
    sqlOk(srv, `UPDATE staff SET last_login_at = '${OLD}' WHERE id = ${member.id}`);
    // never signed in, added 100 days ago
    const never = await addMember(srv, admin, {}, 'never');
    sqlOk(srv, `UPDATE staff SET last_login_at = NULL, created_at = '${new Date(Date.now() - 100 * DAY).toISOString()}' WHERE id = ${never.id}`);
    rows = await checklist(admin);
    assert.deepEqual(new Set(rows.inactive_members.findings.map((f) => f.id)), new Set([member.id, never.id]));
    assert.equal(rows.inactive_members.status, 'attention');
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: never.id } });
    assert.equal(d.status, 200, d.text);
    rows = await checklist(admin);
    assert.deepEqual(rows.inactive_members.findings.map((f) => f.id), [member.id]);
  });

  it('inactive API tokens: in use and unused for 90 days; revoked and expired ones are not listed', async () => {
    const now = new Date().toISOString();
    const future = new Date(Date.now() + 30 * DAY).toISOString();
    const ins = (name, extra, used, created = OLD) => sqlOk(srv,
      `INSERT INTO api_token (org_id, staff_id, name, prefix, token_hash, rate_limit, created_at, updated_at, last_used_at${extra[0]}) ` +
      `VALUES (1, ${member.id}, '${name}', 'atr_t', '${uniq('h')}', 60, '${created}', '${created}', ${used ? `'${used}'` : 'NULL'}${extra[1]})`);
    ins('Stale never used', ['', '']);
    ins('Stale used long ago', ['', ''], '2021-06-01T00:00:00.000Z');
    ins('Fresh', ['', ''], now);
    ins('Made today', ['', ''], null, now);
    ins('Revoked', [', revoked_at', `, '${now}'`]);
    ins('Expired', [', expires_at', `, '${OLD}'`]);
    ins('Stale with a later expiry', [', expires_at', `, '${future}'`]);
    let rows = await checklist(admin);
    assert.deepEqual(rows.inactive_tokens.findings.map((f) => f.name).sort(),
      ['Stale never used', 'Stale used long ago', 'Stale with a later expiry']);
    assert.equal(rows.inactive_tokens.status, 'attention');
    assert.equal(rows.inactive_tokens.link, '/admin/api/api_management');
    assert.equal(rows.departures.findings.filter((f) => f.kind === 'api_token').length, 0, 'their owner is active');
    // a departed owner's tokens still valid (neither revoked nor expired) are departure findings
    const gone = await addMember(srv, admin, {}, 'gone');
    const mine = (name, extra = ['', '']) => sqlOk(srv,
      `INSERT INTO api_token (org_id, staff_id, name, prefix, token_hash, rate_limit, created_at, updated_at, last_used_at${extra[0]}) ` +
      `VALUES (1, ${gone.id}, '${name}', 'atr_t', '${uniq('h')}', 60, '${now}', '${now}', '${now}'${extra[1]})`);
    mine('Gone sync');
    mine('Gone revoked', [', revoked_at', `, '${now}'`]);
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: gone.id } });
    assert.equal(d.status, 200, d.text);
    rows = await checklist(admin);
    const t = rows.departures.findings.filter((f) => f.kind === 'api_token');
    assert.deepEqual(t.map((f) => [f.name, f.owner, f.owner_deactivated]), [['Gone sync', gone.record.name, true]]);
  });

  it('SMTP rotation: not applicable without a password; the last change of the password in the settings history', async () => {
    let rows = await checklist(admin);
    assert.equal(rows.smtp_rotation.status, 'not_applicable');
    assert.equal(rows.smtp_rotation.last_done_at, null);
    const sink = await startSmtpSink(srv.dir);
    try {
      await configureSmtp(admin, sink);
      rows = await checklist(admin);
      assert.equal(rows.smtp_rotation.status, 'ok');
      assert.equal(rows.smtp_rotation.last_done_source, 'settings');
      assert.equal(rows.smtp_rotation.last_done_by, srv.admin.name);
      const at = Date.parse(rows.smtp_rotation.last_done_at);
      assert.ok(Date.now() - at < 60000);
      assert.equal(Date.parse(rows.smtp_rotation.next_due_at), at + 365 * DAY);
      // a change of something else is no rotation
      const p = await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'smtp' }, body: { smtp_email: 'other@example.test' } });
      assert.equal(p.status, 200, p.text);
      const again = await checklist(admin);
      assert.equal(again.smtp_rotation.last_done_at, rows.smtp_rotation.last_done_at);
    } finally {
      await sink.stop();
    }
  });

  it('roles audited: roles made from a template that grant more than it are listed', async () => {
    let rows = await checklist(admin);
    assert.equal(rows.role_audit.findings_count, 0);
    const name = uniq('Agent ');
    const over = await admin.req('POST', '/api/v1/roles', {
      body: { name, template: 'Sales Agent', permissions: { leads: ['view_own', 'create', 'edit', 'delete'], clients: ['view'] } },
    });
    assert.equal(over.status, 201, over.text);
    assert.equal(over.body.template, 'Sales Agent');
    const within = await admin.req('POST', '/api/v1/roles', {
      body: { name: uniq('Agent '), template: 'Sales Agent', permissions: { leads: ['view_own'], clients: ['view', 'view_own'] } },
    });
    assert.equal(within.status, 201, within.text);
    await addRole(admin, uniq('Everything '), { leads: ['view', 'create', 'edit', 'delete'] }); // no template: not compared
    rows = await checklist(admin);
    assert.equal(rows.role_audit.findings_count, 1);
    assert.deepEqual(rows.role_audit.findings[0],
      { kind: 'role', id: over.body.id, name, template: 'Sales Agent', excess: ['leads.delete'], link: `/admin/roles/${over.body.id}` });
    assert.equal(rows.role_audit.status, 'attention');
    // an unknown template is refused; null clears it
    const bad = await admin.req('POST', '/api/v1/roles', { body: { name: uniq('R '), template: 'Chief Everything', permissions: {} } });
    assertFieldErrors(bad, { template: 'not_allowed' });
    const g = await admin.req('GET', '/api/v1/roles/{id}', { params: { id: over.body.id } });
    const cl = await admin.req('PATCH', '/api/v1/roles/{id}', {
      params: { id: over.body.id }, body: { template: null }, headers: { 'If-Match': g.headers.get('etag') },
    });
    assert.equal(cl.status, 200, cl.text);
    assert.equal(cl.body.template, null);
    rows = await checklist(admin);
    assert.equal(rows.role_audit.findings_count, 0);
    const back = await admin.req('PATCH', '/api/v1/roles/{id}', {
      params: { id: over.body.id }, body: { template: 'Sales Agent' }, headers: { 'If-Match': cl.headers.get('etag') },
    });
    assert.equal(back.status, 200, back.text);
  });

  it('marking a review done: 201, the row done now and due a period later, logged, in the history', async () => {
    const before = await checklist(admin);
    assert.ok(before.activity_review.findings_count > 0, 'entries written since the organisation began');
    const r = await admin.req('POST', '/api/v1/security/checklist/{key}/reviews', {
      params: { key: 'activity_review' }, body: { note: 'No unusual sign-ins.\nTwo bulk deletions, both expected.' },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.review.check_key, 'activity_review');
    assert.equal(r.body.review.actor_id, admin.me.id);
    assert.equal(r.body.review.actor_name, srv.admin.name);
    assert.equal(r.body.review.note, 'No unusual sign-ins.\nTwo bulk deletions, both expected.');
    assert.match(r.body.review.done_at, ISO_MS);
    assert.equal(r.body.row.last_done_at, r.body.review.done_at);
    assert.equal(r.body.row.last_done_source, 'review');
    assert.equal(r.body.row.last_done_by, srv.admin.name);
    assert.equal(Date.parse(r.body.row.next_due_at), Date.parse(r.body.review.done_at) + 7 * DAY);
    assert.equal(r.body.row.status, 'ok');
    assert.ok(r.body.row.findings_count < before.activity_review.findings_count, 'counted from the review on');
    // the activity row, with actor and date
    const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'security_check', entity_id: r.body.review.id } });
    assert.equal(log.status, 200, log.text);
    assert.equal(log.body.data.length, 1);
    const a = log.body.data[0];
    assert.equal(a.action, 'review');
    assert.equal(a.actor_id, admin.me.id);
    assert.deepEqual(a.diff.check, { to: 'activity_review' });
    assert.deepEqual(a.diff.done_at, { to: r.body.review.done_at });
    // without a note; another row
    const r2 = await admin.req('POST', '/api/v1/security/checklist/{key}/reviews', { params: { key: 'role_audit' }, body: {} });
    assert.equal(r2.status, 201, r2.text);
    assert.equal(r2.body.review.note, null);
    const r3 = await admin.req('POST', '/api/v1/security/checklist/{key}/reviews', { params: { key: 'departures' } });
    assert.equal(r3.status, 201, r3.text);
    // the history, newest first, filtered by row
    const h = await admin.req('GET', '/api/v1/security/reviews');
    assert.equal(h.status, 200, h.text);
    assert.deepEqual(h.body.data.slice(0, 3).map((x) => x.check_key), ['departures', 'role_audit', 'activity_review']);
    const only = await admin.req('GET', '/api/v1/security/reviews', { query: { check_key: 'activity_review' } });
    assert.equal(only.status, 200, only.text);
    assert.deepEqual(only.body.data.map((x) => x.id), [r.body.review.id]);
    assert.equal(only.body.total, 1);
    const bad = await admin.req('GET', '/api/v1/security/reviews', { query: { check_key: 'nope' } });
    assertProblem(bad, 400);
    const rows = await checklist(admin);
    assert.equal(rows.activity_review.last_done_at, r.body.review.done_at);
  });

  it('refuses every invalid field at once and writes nothing; 404 for an unknown row, 409 for a data-only row', async () => {
    const count = () => sqlOk(srv, 'SELECT COUNT(*) FROM security_review');
    const n = count();
    const many = await admin.req('POST', '/api/v1/security/checklist/{key}/reviews', {
      params: { key: 'activity_review' }, body: { note: 5, done_at: OLD },
    });
    assertFieldErrors(many, { note: null, done_at: null });
    const long = await admin.req('POST', '/api/v1/security/checklist/{key}/reviews', {
      params: { key: 'activity_review' }, body: { note: 'x'.repeat(1001) },
    });
    assertFieldErrors(long, { note: null });
    const ctl = await admin.req('POST', '/api/v1/security/checklist/{key}/reviews', {
      params: { key: 'activity_review' }, body: { note: 'a\u0007b' },
    });
    assertFieldErrors(ctl, { note: null });
    const notJson = await admin.req('POST', '/api/v1/security/checklist/{key}/reviews', {
      params: { key: 'activity_review' }, raw: '{"note":',
    });
    assertProblem(notJson, 400);
    const unknown = await admin.req('POST', '/api/v1/security/checklist/{key}/reviews', { params: { key: 'coffee_machine' }, body: {} });
    assertProblem(unknown, 404);
    const dataOnly = await admin.req('POST', '/api/v1/security/checklist/{key}/reviews', { params: { key: 'admin_two_factor' }, body: {} });
    assertProblem(dataOnly, 409);
    assert.equal(count(), n, 'nothing written');
    const q = await admin.req('GET', '/api/v1/security/checklist', { query: { x: '1' } });
    assertProblem(q, 400);
  });

  it('401 without a session, 403 without the permission, and a granted role may view but not mark', async () => {
    const anon = client(srv.base);
    const routes = [
      ['GET', '/api/v1/security/checklist', {}],
      ['POST', '/api/v1/security/checklist/{key}/reviews', { params: { key: 'activity_review' }, body: {} }],
      ['GET', '/api/v1/security/reviews', {}],
      ['GET', '/api/v1/security/role-audit', {}],
      ['GET', '/api/v1/security/role-audit/export', {}],
    ];
    for (const [m, p, o] of routes) {
      assertProblem(await anon.req(m, p, o), 401);
      assertProblem(await plain.req(m, p, o), 403);
    }
    const viewer = await addMember(srv, admin, { role_id: (await addRole(admin, uniq('Auditor '), { security_checklist: ['view'] })).id }, 'viewer');
    assert.equal((await viewer.req('GET', '/api/v1/security/checklist')).status, 200);
    assert.equal((await viewer.req('GET', '/api/v1/security/role-audit')).status, 200);
    assertProblem(await viewer.req('POST', '/api/v1/security/checklist/{key}/reviews', { params: { key: 'activity_review' }, body: {} }), 403);
  });
});

describe('security checklist: overdue rows told to the administrators once per due period', () => {
  let srv;
  let admin;
  let sink;
  let plain;
  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    plain = await staffClient(srv);
    sink = await startSmtpSink(srv.dir);
    await configureSmtp(admin, sink);
  });
  after(async () => {
    await sink?.stop();
    await srv?.stop();
  });

  const taskRuns = async () => {
    const s = await admin.req('GET', '/api/v1/scheduler');
    const t = s.body.tasks?.find((x) => x.name === 'security_checklist');
    return t ? t.runs : -1;
  };
  // Makes the hourly task due now and waits for that run to be recorded.
  const runTask = async () => {
    const runs = await waitFor(async () => { const n = await taskRuns(); return n >= 0 ? { n } : null; },
      { what: 'the security_checklist task row' });
    sqlOk(srv, "UPDATE sched_task SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE name = 'security_checklist'");
    await waitFor(async () => (await taskRuns()) > runs.n, { timeout: 20000, what: 'a run of security_checklist' });
  };
  const subjects = () => sink.to(srv.admin.email).map((m) => m.subject).filter((s) => s.startsWith('Security check overdue'));

  it('emails each overdue row once, notifies in-app, and tells again only for a new due period', async () => {
    // a second administrator, who reads Romanian
    await raiseSeats(admin);
    const ro = await addMember(srv, admin, { admin: true }, 'roadmin');
    sqlOk(srv, `UPDATE staff SET l10n_language = 'ro' WHERE id = ${ro.id}`);
    // an organisation created long ago, nothing ever reviewed: every periodic row is overdue;
    // its administrators were added long ago too (past their day to enrol in 2FA)
    sqlOk(srv, `UPDATE org SET created_at = '${OLD}' WHERE id = 1`);
    sqlOk(srv, `UPDATE staff SET created_at = '${OLD}' WHERE admin = 1`);
    const rows = await checklist(admin);
    const overdue = Object.values(rows).filter((r) => r.status === 'overdue').map((r) => r.title).sort();
    assert.deepEqual(overdue, ['2FA active for all administrators', 'Accounts deactivated on employee departure',
      'Active users without sign-in for more than 90 days', 'Activity log reviewed', 'Inactive API tokens revoked',
      'Roles audited (excessive permissions)'], 'SMTP was just set: not overdue');
    await runTask();
    const want = overdue.map((t) => `Security check overdue: ${t}`).sort();
    await waitFor(() => subjects().length >= want.length, { timeout: 30000, what: 'the overdue emails' });
    assert.deepEqual(subjects().sort(), want);
    const mail = sink.to(srv.admin.email).find((m) => m.subject === 'Security check overdue: Activity log reviewed');
    assert.match(mail.body, /Activity log reviewed/);
    assert.match(mail.body, /\/admin\/security/);
    assert.match(mail.body, /items found now: \d+/);
    assert.equal(sink.to(srv.staff.email).length, 0, 'members who are no administrators are not told');
    // in the reader's language: the row's title, the due date in their format
    const roMail = await sink.waitFor(ro.record.email, (m) => m.subject === 'Verificare de securitate întârziată: Jurnalul de activitate verificat',
      { what: 'the Romanian reminder' });
    assert.match(roMail.body, /scadent din /);
    assert.match(roMail.body, /elemente găsite acum: \d+/);
    const roTold = () => sink.to(ro.record.email).filter((m) => m.subject.startsWith('Verificare de securitate'));
    await waitFor(() => roTold().length >= want.length, { what: 'every Romanian reminder' });
    assert.equal(roTold().length, want.length);
    const notes = await admin.req('GET', '/api/v1/notifications');
    assert.equal(notes.status, 200, notes.text);
    const told = notes.body.data.filter((n) => n.title.startsWith('Security checklist overdue: '));
    assert.deepEqual(told.map((n) => n.title.replace('Security checklist overdue: ', '')).sort(), overdue);
    assert.ok(told.every((n) => n.link === '/admin/security'));
    assert.ok(told.every((n) => n.message.key === 'security_overdue' && /^security\.row\.[a-z_]+$/.test(n.message.params.row_t)
      && Number.isInteger(n.message.params.count)), JSON.stringify(told.map((n) => n.message)));
    const plainNotes = await plain.req('GET', '/api/v1/notifications');
    assert.equal(plainNotes.body.data.filter((n) => n.title.startsWith('Security')).length, 0);

    // the next run: the same periods, nothing new
    await runTask();
    const jobs = await admin.req('GET', '/api/v1/email-queue');
    assert.equal(jobs.status, 200, jobs.text);
    assert.equal(subjects().length, want.length, 'not told again');
    assert.equal(jobs.body.data.filter((e) => /Security check overdue/.test(e.subject || '')).length, want.length);

    // a review moves the due date; once that period too has passed, it is told again, once
    const rv = await admin.req('POST', '/api/v1/security/checklist/{key}/reviews', { params: { key: 'activity_review' }, body: {} });
    assert.equal(rv.status, 201, rv.text);
    await runTask();
    assert.equal(subjects().length, want.length, 'reviewed: not overdue');
    sqlOk(srv, `UPDATE security_review SET done_at = '2021-03-01T00:00:00.000Z' WHERE id = ${rv.body.review.id}`);
    await runTask();
    await waitFor(() => subjects().length === want.length + 1, { timeout: 30000, what: 'the new period told' });
    await runTask();
    assert.equal(subjects().filter((s) => s.endsWith('Activity log reviewed')).length, 2);
    assert.equal(subjects().length, want.length + 1);

    // 2FA: one administrator fewer without it is no news; a new one is, once
    const twofa = () => subjects().filter((s) => s.endsWith('2FA active for all administrators')).length;
    assert.equal(twofa(), 1);
    const now = new Date().toISOString();
    sqlOk(srv, `INSERT INTO staff_totp (staff_id, secret, confirmed_at, created_at) VALUES (${ro.id}, 'x', '${now}', '${now}')`);
    await runTask();
    assert.equal(twofa(), 1, 'one fewer: not told');
    const third = await addMember(srv, admin, { admin: true }, 'admin3');
    await runTask();
    assert.equal(twofa(), 1, 'a new administrator has a day to enrol');
    sqlOk(srv, `UPDATE staff SET created_at = '${new Date(Date.now() - 2 * DAY).toISOString()}' WHERE id = ${third.id}`);
    await runTask();
    await waitFor(() => twofa() === 2, { timeout: 30000, what: 'an administrator past their day without 2FA told' });
    await runTask();
    assert.equal(twofa(), 2);
    // the Romanian administrator loses 2FA again: after they had left the list, that is news too
    sqlOk(srv, `DELETE FROM staff_totp WHERE staff_id = ${ro.id}`);
    await runTask();
    await waitFor(() => twofa() === 3, { timeout: 30000, what: 'an administrator without 2FA again told' });
  });
});

describe('role audit', () => {
  let srv;
  let admin;
  let role;
  let member;
  let other;
  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    role = await addRole(admin, uniq('Clerk '), { leads: ['view_own', 'create', 'edit'], clients: ['view'], taxes: ['view'] });
    member = await addMember(srv, admin, { role_id: role.id }, 'clerk');
    const o = await admin.req('PUT', '/api/v1/staff/{id}/permissions', {
      params: { id: member.id }, body: { overrides: { leads: { delete: 'allow' }, clients: { view: 'deny' } } },
    });
    assert.equal(o.status, 200, o.text);
    other = await addMember(srv, admin, {}, 'norole');
  });
  after(async () => { await srv?.stop(); });

  const audit = async (query) => {
    const r = await admin.req('GET', '/api/v1/security/role-audit', { query });
    assert.equal(r.status, 200, r.text);
    return r.body;
  };

  it('gives what the permission kernel gives, with the source of each capability', async () => {
    const body = await audit({ staff_id: member.id });
    assert.equal(body.data.length, 1);
    const m = body.data[0];
    assert.equal(m.id, member.id);
    assert.deepEqual(m.role, { id: role.id, name: role.name, template: null });
    const cap = (mod, c) => m.access.find((a) => a.module === mod).capabilities[c];
    assert.deepEqual(cap('leads', 'view'), { allowed: false, source: 'none' });
    assert.deepEqual(cap('leads', 'view_own'), { allowed: true, source: 'role' });
    assert.deepEqual(cap('leads', 'create'), { allowed: true, source: 'role' });
    assert.deepEqual(cap('leads', 'delete'), { allowed: true, source: 'override_allow' });
    assert.deepEqual(cap('clients', 'view'), { allowed: false, source: 'override_deny' });
    assert.deepEqual(cap('clients', 'view_own'), { allowed: false, source: 'none' });
    assert.deepEqual(cap('taxes', 'view'), { allowed: true, source: 'role' });
    // every module and capability equals the kernel's explanation of the member's access
    const ex = await admin.req('GET', '/api/v1/staff/{id}/access', { params: { id: member.id } });
    assert.equal(ex.status, 200, ex.text);
    assert.deepEqual(m.access.map((a) => a.module), ex.body.modules.map((x) => x.module));
    for (const mod of ex.body.modules) {
      const mine = m.access.find((a) => a.module === mod.module).capabilities;
      assert.deepEqual(Object.keys(mine), Object.keys(mod.capabilities), mod.module);
      for (const [c, v] of Object.entries(mod.capabilities)) {
        // view_own here means "sees at least their own records", which view gives too
        const want = c === 'view_own' ? v.allowed || mod.capabilities.view?.allowed === true : v.allowed;
        assert.equal(mine[c].allowed, want, `${mod.module}.${c}`);
      }
    }
    // and what the pipeline answers
    assert.equal((await member.req('GET', '/api/v1/leads')).status, 200);
    assert.equal((await member.req('GET', '/api/v1/clients')).status, 403);
    assert.equal((await member.req('GET', '/api/v1/taxes')).status, 200);
  });

  it('administrators hold everything as administrators; a member without a role nothing', async () => {
    const body = await audit({ admin: 'true' });
    assert.deepEqual(body.data.map((x) => x.id), [admin.me.id]);
    for (const a of body.data[0].access) {
      for (const v of Object.values(a.capabilities)) assert.deepEqual(v, { allowed: true, source: 'admin' });
    }
    const none = (await audit({ staff_id: other.id })).data[0];
    assert.equal(none.role, null);
    assert.ok(none.access.every((a) => Object.values(a.capabilities).every((v) => !v.allowed && v.source === 'none')));
  });

  it('filters by role, module and name; pages; deactivated members are not listed', async () => {
    const byRole = await audit({ role_id: role.id });
    assert.deepEqual(byRole.data.map((x) => x.id), [member.id]);
    const byModule = await audit({ module: 'leads' });
    assert.ok(byModule.data.length >= 3);
    assert.ok(byModule.data.every((x) => x.access.length === 1 && x.access[0].module === 'leads'));
    const q = await audit({ q: 'clerk' });
    assert.deepEqual(q.data.map((x) => x.id), [member.id]);
    const page = await audit({ limit: 1 });
    assert.equal(page.data.length, 1);
    assert.ok(page.next_cursor);
    const next = await audit({ limit: 1, cursor: page.next_cursor });
    assert.notEqual(next.data[0].id, page.data[0].id);
    assert.equal(page.total, (await audit({})).total);
    assertProblem(await admin.req('GET', '/api/v1/security/role-audit', { query: { module: 'nope' } }), 400);
    assertProblem(await admin.req('GET', '/api/v1/security/role-audit', { query: { colour: 'red' } }), 400);
    assertProblem(await admin.req('GET', '/api/v1/security/role-audit', { query: { limit: '1000' } }), 400);
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: other.id } });
    assert.equal(d.status, 200, d.text);
    assert.equal((await audit({ staff_id: other.id })).data.length, 0);
  });

  it('flags roles that grant more than the template they were made from', async () => {
    const over = await admin.req('POST', '/api/v1/roles', {
      body: { name: uniq('Accountant '), template: 'AR Accountant', permissions: { invoices: ['view', 'edit', 'delete'], clients: ['view', 'edit'] } },
    });
    assert.equal(over.status, 201, over.text);
    const body = await audit({});
    const r = body.roles.find((x) => x.id === over.body.id);
    assert.equal(r.exceeds, true);
    assert.deepEqual(r.excess.sort(), ['clients.edit', 'invoices.delete']);
    assert.equal(body.roles.find((x) => x.id === role.id).exceeds, false, 'no template: not compared');
    assert.equal(body.roles_exceeding, 1);
  });

  it('exports the selection as CSV, one line per member and module', async () => {
    const r = await admin.req('GET', '/api/v1/security/role-audit/export', { query: { staff_id: member.id } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/csv/);
    assert.match(r.headers.get('content-disposition'), /role-audit\.csv/);
    const lines = r.text.trim().split('\r\n');
    assert.equal(lines[0], 'staff_id,name,email,admin,role,role_template,module,view,view_own,create,edit,delete');
    const json = await audit({ staff_id: member.id });
    assert.equal(lines.length - 1, json.data[0].access.length);
    const leads = lines.find((l) => l.split(',')[6] === 'leads').split(',');
    assert.deepEqual(leads, [String(member.id), member.record.name, member.record.email, 'no', role.name, '', 'leads',
      'no', 'role', 'role', 'role', 'override_allow']);
    const clients = lines.find((l) => l.split(',')[6] === 'clients').split(',');
    assert.equal(clients[7], 'denied');
    const all = await admin.req('GET', '/api/v1/security/role-audit/export', { query: { module: 'leads' } });
    assert.equal(all.status, 200);
    assert.equal(all.text.trim().split('\r\n').length - 1, (await audit({ module: 'leads' })).total);
    assertProblem(await admin.req('GET', '/api/v1/security/role-audit/export', { query: { limit: '5' } }), 400);
  });
});
