// The health page's API (issue 16): GET /api/v1/health with the spec's six
// indicators, each put in its good and in its warning state by writing the
// database as the product would have (srv.sql), the job backlog, storage
// and nodes (a second `atrium serve` on the same database: seen, stopped
// cleanly, gone), the per-node cache, the health gauges of /metrics, the
// initial-setup checklist (GET /api/v1/health/setup) and its logged
// dismissal; 401 and 403 on both routes. Organisations (issue 17): a
// business's administrator sees its own figures only (no nodes, storage,
// cron or backups, no job, email, API or webhook figure of another
// organisation), the operator's the installation's parts and every
// organisation's job backlog; the system log's rows of no organisation are
// the operator's.
//
// The main server runs with ATRIUM_HEALTH_CACHE_MS=0 (a report per ask) and
// without the in-process scheduler, so that the cron indicator moves only
// when the test writes sched_state.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, waitFor, startNode, stopNode, ISO_MS,
} from './harness.mjs';
import { newBusiness } from './isolation-fixtures.mjs';

const HEALTH = '/api/v1/health';
const SETUP = '/api/v1/health/setup';
const SETTINGS = '/api/v1/settings/{group}';
const SIX = ['cron_last_run', 'emails_blocked', 'api_error_rate', 'webhook_success_rate', 'admins_2fa', 'accounts_inactive'];

const iso = (msAgo) => new Date(Date.now() - msAgo).toISOString();
const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

describe('health: indicators, nodes, metrics, setup checklist', () => {
  let srv;
  let admin;
  let staff;
  let org;

  function sql(statement) {
    const r = srv.sql(statement);
    assert.equal(r.status, 0, `${statement}\n${r.stderr}`);
    return r.stdout;
  }

  async function report(c = admin) {
    const r = await c.req('GET', HEALTH);
    assert.equal(r.status, 200, r.text);
    return r.body;
  }

  async function ind(key, subject) {
    const b = await report();
    const i = b.indicators.find((x) => x.key === key && (subject === undefined || x.subject === subject));
    assert.ok(i, `indicator ${key} in ${JSON.stringify(b.indicators.map((x) => x.key))}`);
    return i;
  }

  before(async () => {
    srv = await startServer({ env: { ATRIUM_HEALTH_CACHE_MS: '0', ATRIUM_SCHEDULER: 'false' } });
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    org = admin.me.org_id;
    assert.ok(org, JSON.stringify(admin.me));
  });
  after(async () => { await srv?.stop(); });

  it('401 without a session, 403 without the health permission', async () => {
    const anon = client(srv.base);
    for (const path of [HEALTH, SETUP]) {
      assertProblem(await anon.req('GET', path), 401);
      assertProblem(await staff.req('GET', path), 403);
    }
  });

  it('answers every indicator with value, unit, status, thresholds and the screen that fixes it', async () => {
    const b = await report();
    assert.match(b.generated_at, ISO_MS);
    assert.equal(b.cache_ms, 0);
    assert.equal(typeof b.version, 'string');
    assert.deepEqual(b.failed, []);
    for (const key of SIX) {
      const i = b.indicators.find((x) => x.key === key);
      assert.ok(i, `the spec's indicator ${key}`);
      assert.ok(['good', 'warning', 'between', 'unknown'].includes(i.status), JSON.stringify(i));
      assert.ok(i.good && typeof i.good.op === 'string' && typeof i.good.value === 'number', JSON.stringify(i));
      assert.ok(i.warning && typeof i.warning.op === 'string', JSON.stringify(i));
      assert.match(i.link, /^\/admin\//);
      assert.equal(typeof i.unit, 'string');
    }
    assert.deepEqual(b.indicators.find((x) => x.key === 'cron_last_run').good, { op: '<', value: 120 });
    assert.deepEqual(b.indicators.find((x) => x.key === 'cron_last_run').warning, { op: '>', value: 300 });
    assert.deepEqual(b.indicators.find((x) => x.key === 'webhook_success_rate').warning, { op: '<', value: 95 });
    // Storage: the database's size and the disk beside it.
    assert.ok(b.sections.storage.db_size_bytes > 0, JSON.stringify(b.sections.storage));
    assert.ok(b.sections.storage.disk_free_bytes > 0, JSON.stringify(b.sections.storage));
    // PostgreSQL: the server runs as atrium_app, under the row-level
    // security policies (migration 0057); SQLite has none to report.
    if (b.sections.storage.database === 'postgresql') assert.equal(b.sections.storage.row_level_security, true);
    else assert.equal(b.sections.storage.row_level_security, undefined);
    const disk = b.indicators.find((x) => x.key === 'disk_free');
    assert.ok(disk.value > 0 && disk.value <= 100, JSON.stringify(disk));
    // The job kinds this binary runs, even with nothing queued.
    const email = b.indicators.find((x) => x.key === 'job_backlog' && x.subject === 'email');
    assert.ok(email, JSON.stringify(b.indicators));
    assert.equal(email.status, 'good');
    assert.equal(email.facts.due, 0);
    // This node, up, with its version and uptime.
    const me = b.sections.nodes.find((n) => n.this);
    assert.ok(me, JSON.stringify(b.sections.nodes));
    assert.equal(me.id, b.node);
    assert.equal(me.state, 'up');
    assert.equal(me.version, b.version);
    assert.ok(me.uptime_seconds >= 0);
    // SMTP is not configured on a new installation.
    assert.equal(b.indicators.find((x) => x.key === 'smtp_configured').status, 'warning');
  });

  it('cron last run: never ran (warning), 30 s (good), 3 min (between), 10 min (warning)', async () => {
    let i = await ind('cron_last_run');
    assert.equal(i.status, 'warning', JSON.stringify(i));
    assert.equal(i.value, null);
    sql(`UPDATE sched_state SET last_tick_at = ${q(iso(30000))}, last_tick_node = 'n1' WHERE id = 1`);
    i = await ind('cron_last_run');
    assert.equal(i.status, 'good', JSON.stringify(i));
    assert.ok(i.value >= 30 && i.value < 120, JSON.stringify(i));
    assert.equal(i.facts.node, 'n1');
    sql(`UPDATE sched_state SET last_tick_at = ${q(iso(180000))} WHERE id = 1`);
    assert.equal((await ind('cron_last_run')).status, 'between');
    sql(`UPDATE sched_state SET last_tick_at = ${q(iso(600000))} WHERE id = 1`);
    i = await ind('cron_last_run');
    assert.equal(i.status, 'warning');
    assert.ok(i.value >= 600);
  });

  it('emails blocked: 0 good, 5 in between, 11 warning', async () => {
    assert.equal((await ind('emails_blocked')).status, 'good');
    const rows = (n) => Array.from({ length: n }, () =>
      `(${org}, 'email', 'blocked', 5, ${q(iso(0))}, ${q(iso(0))}, ${q(iso(0))})`).join(', ');
    const ins = (n) => sql(`INSERT INTO job (org_id, kind, status, attempts, run_at, scheduled_at, created_at) VALUES ${rows(n)}`);
    ins(5);
    let i = await ind('emails_blocked');
    assert.equal(i.value, 5);
    assert.equal(i.status, 'between');
    ins(6);
    i = await ind('emails_blocked');
    assert.equal(i.value, 11);
    assert.equal(i.status, 'warning');
    assert.equal(i.link, '/admin/utilities/email_queue?status=blocked');
    // The job backlog counts blocked jobs apart from the backlog.
    const jb = await ind('job_backlog', 'email');
    assert.equal(jb.facts.blocked, 11);
    assert.equal(jb.facts.due, 0);
    sql("DELETE FROM job WHERE kind = 'email' AND status = 'blocked'");
  });

  it('API error rate: 5xx share of the last hour of /api/v1 requests', async () => {
    // n rows in one statement (a recursive series: both databases).
    const ins = (n, status, ago = 60000) => sql('INSERT INTO api_request_log (org_id, at, method, path, status, ' +
      `duration_ms, ip, request_id) WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < ${n}) ` +
      `SELECT ${org}, ${q(iso(ago))}, 'GET', '/api/v1/leads', ${status}, 3, '127.0.0.1', 'rid-${status}-' || k FROM s`);
    ins(2000, 200);
    ins(10, 503, 2 * 3600 * 1000); // older than the hour: not counted
    let i = await ind('api_error_rate');
    assert.equal(i.status, 'good', JSON.stringify(i));
    assert.ok(i.facts.requests >= 2000);
    assert.equal(i.facts.errors, 0);
    ins(60, 500); // 60 of about 2060: about 3 %
    i = await ind('api_error_rate');
    assert.equal(i.status, 'between', JSON.stringify(i));
    assert.equal(i.facts.errors, 60);
    ins(200, 502); // 260 of about 2260: over 11 %
    i = await ind('api_error_rate');
    assert.equal(i.status, 'warning', JSON.stringify(i));
    assert.ok(i.value > 5 && i.value < 12.5, JSON.stringify(i));
    // 4xx are the callers' mistakes, not an error rate of the server.
    ins(500, 404);
    assert.equal((await ind('api_error_rate')).facts.errors, 260);
  });

  it('webhook delivery rate: accepted share of the attempts of the last 24 hours', async () => {
    assert.equal((await ind('webhook_success_rate')).status, 'unknown'); // no attempts: no rate
    const now = q(iso(0));
    sql('INSERT INTO webhook (org_id, name, url, entities, events, secret, active, created_by, created_at, updated_at) ' +
      `VALUES (${org}, 'health test', 'https://example.test/h', '[]', '[]', 'x', 0, ${admin.me.id}, ${now}, ${now})`);
    const hook = sql("SELECT id FROM webhook WHERE name = 'health test'");
    sql('INSERT INTO webhook_delivery (org_id, webhook_id, event_type, msg_id, order_key, status, created_at, updated_at) ' +
      `VALUES (${org}, ${hook}, 'test', 'msg_health', 'k', 'delivered', ${now}, ${now})`);
    const del = sql("SELECT id FROM webhook_delivery WHERE msg_id = 'msg_health'");
    const ins = (n, ok, ago = 60000) => sql('INSERT INTO webhook_attempt (org_id, webhook_id, delivery_id, attempt, at, ' +
      `status_code, duration_ms, error) VALUES ${Array.from({ length: n }, (_, k) =>
        `(${org}, ${hook}, ${del}, ${k + 1}, ${q(iso(ago))}, ${ok ? 200 : 500}, 5, ${ok ? 'NULL' : "'HTTP 500'"})`).join(', ')}`);
    ins(100, true);
    ins(50, false, 25 * 3600 * 1000); // older than a day: not counted
    let i = await ind('webhook_success_rate');
    assert.equal(i.status, 'good', JSON.stringify(i));
    assert.equal(i.value, 100);
    ins(2, false); // 100 of 102: 98 %
    i = await ind('webhook_success_rate');
    assert.equal(i.status, 'between', JSON.stringify(i));
    ins(8, false); // 100 of 110: 90.9 %
    i = await ind('webhook_success_rate');
    assert.equal(i.status, 'warning', JSON.stringify(i));
    assert.equal(i.facts.attempts, 110);
    assert.equal(i.facts.failed, 10);
  });

  it('administrators with 2FA: 0 of 1 warning, 1 of 1 good', async () => {
    let i = await ind('admins_2fa');
    assert.equal(i.status, 'warning', JSON.stringify(i));
    assert.deepEqual([i.facts.admins, i.facts.with_2fa], [1, 0]);
    sql(`INSERT INTO staff_totp (staff_id, secret, confirmed_at, created_at) VALUES (${admin.me.id}, 'x', ${q(iso(0))}, ${q(iso(0))})`);
    i = await ind('admins_2fa');
    assert.equal(i.status, 'good', JSON.stringify(i));
    assert.equal(i.value, 100);
    sql(`DELETE FROM staff_totp WHERE staff_id = ${admin.me.id}`);
  });

  it('active accounts without a sign-in for 90 days: 0 good, one warning; deactivated ones do not count', async () => {
    assert.equal((await ind('accounts_inactive')).status, 'good');
    sql(`UPDATE staff SET last_login_at = ${q(iso(100 * 86400000))} WHERE id = ${staff.me.id}`);
    let i = await ind('accounts_inactive');
    assert.equal(i.status, 'warning', JSON.stringify(i));
    assert.equal(i.value, 1);
    sql(`UPDATE staff SET active = 0 WHERE id = ${staff.me.id}`);
    i = await ind('accounts_inactive');
    assert.equal(i.value, 0);
    sql(`UPDATE staff SET active = 1, last_login_at = ${q(iso(0))} WHERE id = ${staff.me.id}`);
  });

  it('job backlog: due jobs waiting 20 minutes are a warning; a job waiting out its backoff is not backlog', async () => {
    sql('INSERT INTO job (org_id, kind, status, run_at, scheduled_at, created_at) VALUES ' +
      `(${org}, 'no_such_kind', 'queued', ${q(iso(-3600000))}, ${q(iso(0))}, ${q(iso(0))})`);
    let i = await ind('job_backlog', 'no_such_kind');
    assert.equal(i.status, 'good', JSON.stringify(i));
    assert.deepEqual([i.facts.queued, i.facts.due], [1, 0]);
    sql('INSERT INTO job (org_id, kind, status, run_at, scheduled_at, created_at) VALUES ' +
      `(${org}, 'no_such_kind', 'queued', ${q(iso(1200000))}, ${q(iso(1200000))}, ${q(iso(1200000))})`);
    i = await ind('job_backlog', 'no_such_kind');
    assert.equal(i.status, 'warning', JSON.stringify(i));
    assert.equal(i.facts.due, 1);
    assert.ok(i.value >= 1200, JSON.stringify(i));
    assert.equal(i.link, '/admin/utilities/jobs?kind=no_such_kind');
  });

  it('/metrics carries the health gauges', async () => {
    const r = await fetch(`${srv.base}/metrics`);
    const text = await r.text();
    assert.equal(r.status, 200, text);
    for (const name of ['atrium_cron_last_run_age_seconds', 'atrium_email_blocked', 'atrium_api_requests_window',
      'atrium_api_request_errors_window', 'atrium_admins', 'atrium_admins_with_2fa', 'atrium_accounts_inactive_90d',
      'atrium_db_size_bytes', 'atrium_disk_free_bytes', 'atrium_uptime_seconds', 'atrium_nodes_up']) {
      assert.match(text, new RegExp(`^# TYPE ${name} gauge$`, 'm'), name);
      assert.match(text, new RegExp(`^${name} [0-9.e+-]+$`, 'm'), name);
    }
    assert.match(text, /^atrium_webhook_deliveries_window\{result="success"\} 100$/m);
    assert.match(text, /^atrium_webhook_deliveries_window\{result="failure"\} 10$/m);
    assert.match(text, /^atrium_job_backlog\{kind="no_such_kind"\} 1$/m);
    assert.match(text, /^atrium_job_oldest_age_seconds\{kind="no_such_kind"\} [0-9.]+$/m);
    assert.match(text, /^atrium_api_request_errors_window 260$/m);
    const me = (await report()).node;
    assert.ok(text.includes(`atrium_node_last_seen_age_seconds{node="${me}"}`), text);
    // One HELP/TYPE per family, whatever the order samples were added in.
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    assert.equal(new Set(types).size, types.length);
  });

  describe('an organisation\'s report: its own figures; the installation\'s for the operator only', () => {
    let boss;
    let biz;
    const INSTALLATION = ['cron_last_run', 'disk_free', 'backup_age'];
    const blocked = (o, kind, n) => sql('INSERT INTO job (org_id, kind, status, attempts, run_at, scheduled_at, created_at) VALUES ' +
      Array.from({ length: n }, () => `(${o}, ${q(kind)}, 'blocked', 5, ${q(iso(0))}, ${q(iso(0))}, ${q(iso(0))})`).join(', '));

    before(async () => {
      boss = await newBusiness(srv, 'Health Biz', `boss.health.${Date.now()}@example.test`, 'Lantern-quartz-meadow-4482');
      biz = boss.orgId;
      assert.notEqual(biz, org);
    });
    after(() => {
      sql("DELETE FROM job WHERE status = 'blocked' AND kind IN ('email', 'biz_only_kind', 'op_only_kind')");
    });

    it('a business\'s administrator: scope organisation, no nodes, storage, cron or backups', async () => {
      const b = await report(boss);
      assert.equal(b.scope, 'organisation');
      assert.deepEqual(b.sections, {}, 'no installation sections');
      for (const key of INSTALLATION) assert.ok(!b.indicators.some((x) => x.key === key), `no ${key}`);
      assert.deepEqual(b.failed, []);
      // Its own figures are there, the spec's (cron aside) included.
      for (const key of SIX.filter((k) => k !== 'cron_last_run')) assert.ok(b.indicators.some((x) => x.key === key), key);
      assert.ok(b.indicators.some((x) => x.key === 'job_backlog' && x.subject === 'email'));
      // The operator's report keeps them.
      const op = await report();
      assert.equal(op.scope, 'installation');
      assert.ok(Array.isArray(op.sections.nodes) && op.sections.nodes.length >= 1, JSON.stringify(op.sections));
      assert.ok(op.sections.storage.db_size_bytes > 0);
      for (const key of ['cron_last_run', 'disk_free']) assert.ok(op.indicators.some((x) => x.key === key), key);
    });

    it('blocked jobs and emails of another organisation are not counted; the operator sees every organisation\'s backlog', async () => {
      blocked(org, 'email', 4);
      blocked(org, 'op_only_kind', 3);
      blocked(biz, 'email', 2);
      blocked(biz, 'biz_only_kind', 1);
      const b = await report(boss);
      const find = (r, key, subject) => r.indicators.find((x) => x.key === key && (subject === undefined || x.subject === subject));
      assert.equal(find(b, 'emails_blocked').value, 2, 'its own blocked emails only');
      assert.equal(find(b, 'job_backlog', 'email').facts.blocked, 2);
      assert.equal(find(b, 'job_backlog', 'biz_only_kind').facts.blocked, 1);
      assert.equal(find(b, 'job_backlog', 'op_only_kind'), undefined, 'the operator\'s kind is not the business\'s');
      assert.equal(find(b, 'job_backlog', 'no_such_kind'), undefined, 'nor the operator\'s queued jobs');
      // The operator: its own blocked emails; the backlog of the installation.
      const op = await report();
      assert.equal(find(op, 'emails_blocked').value, 4);
      assert.equal(find(op, 'job_backlog', 'email').facts.blocked, 6);
      assert.equal(find(op, 'job_backlog', 'biz_only_kind').facts.blocked, 1);
      assert.equal(find(op, 'job_backlog', 'op_only_kind').facts.blocked, 3);
      // /metrics is the installation's.
      const text = await (await fetch(`${srv.base}/metrics`)).text();
      assert.match(text, /^atrium_email_blocked 6$/m);
      assert.match(text, /^atrium_job_backlog\{kind="biz_only_kind"\} 0$/m);
    });

    it('API errors, webhook attempts, administrators and 2FA: the business\'s own', async () => {
      sql('INSERT INTO api_request_log (org_id, at, method, path, status, duration_ms, ip, request_id) VALUES ' +
        Array.from({ length: 7 }, (_, k) => `(${biz}, ${q(iso(60000))}, 'GET', '/api/v1/leads', 500, 3, '127.0.0.1', 'biz-${k}')`).join(', '));
      const b = await report(boss);
      const find = (r, key) => r.indicators.find((x) => x.key === key);
      assert.equal(find(b, 'api_error_rate').facts.errors, 7, 'its 5xx, not the operator\'s 260');
      assert.equal(find(b, 'webhook_success_rate').facts.attempts, 0, 'no attempt of the operator\'s webhook');
      assert.equal(find(b, 'webhook_success_rate').status, 'unknown');
      assert.deepEqual([find(b, 'admins_2fa').facts.admins, find(b, 'admins_2fa').facts.with_2fa], [1, 0]);
      assert.equal(find(b, 'accounts_inactive').value, 0);
      const op = await report();
      assert.equal(find(op, 'api_error_rate').facts.errors, 260);
      assert.equal(find(op, 'webhook_success_rate').facts.attempts, 110);
    });

    it('the setup checklist: no cron step for a business', async () => {
      const r = await boss.req('GET', SETUP);
      assert.equal(r.status, 200, r.text);
      assert.ok(!r.body.items.some((x) => x.key === 'cron'), JSON.stringify(r.body.items));
      assert.equal(r.body.total, r.body.items.length);
      const o = await admin.req('GET', SETUP);
      assert.ok(o.body.items.some((x) => x.key === 'cron'));
    });

    it('the system log\'s rows of no organisation are the operator\'s administrators\', never a business\'s', async () => {
      const mark = `ZQ-SYSLOG-${Date.now()}`;
      sql(`INSERT INTO system_log (at, org_id, node, status, message) VALUES (${q(iso(0))}, NULL, 'n1', 500, ${q(`${mark} installation`)}),
        (${q(iso(0))}, ${biz}, 'n1', 500, ${q(`${mark} business`)})`);
      const seen = async (c) => {
        const r = await c.req('GET', '/api/v1/system-log', { query: { q: mark } });
        assert.equal(r.status, 200, r.text);
        return r.body.data.map((x) => x.message.replace(`${mark} `, '')).sort();
      };
      assert.deepEqual(await seen(boss), ['business']);
      assert.deepEqual(await seen(admin), ['installation']);
    });
  });

  describe('a second node', () => {
    let node;
    let nodeAdmin;

    before(async () => {
      // A long cache on this node: the report stays as it was computed.
      node = await startNode(srv, 'two', { ATRIUM_HEALTH_CACHE_MS: '600000' });
      nodeAdmin = client(node.base);
      await nodeAdmin.login(srv.admin.email, srv.admin.password);
    });
    after(async () => { if (node) await stopNode(node); });

    it('both nodes are seen, each knows itself', async () => {
      const b = await waitFor(async () => {
        const r = await report();
        return r.sections.nodes.filter((n) => n.state === 'up').length === 2 ? r : null;
      }, { what: 'two nodes up' });
      const other = await report(nodeAdmin);
      assert.notEqual(other.node, b.node);
      assert.ok(b.sections.nodes.some((n) => n.id === other.node && !n.this));
    });

    it('a node answers from its cache until the period ends', async () => {
      const first = await report(nodeAdmin);
      sql(`INSERT INTO job (org_id, kind, status, attempts, run_at, scheduled_at, created_at) VALUES (${org}, 'email', 'blocked', 5, ${q(iso(0))}, ${q(iso(0))}, ${q(iso(0))})`);
      const second = await report(nodeAdmin);
      assert.equal(second.generated_at, first.generated_at);
      assert.deepEqual(second.indicators.find((x) => x.key === 'emails_blocked'),
        first.indicators.find((x) => x.key === 'emails_blocked'));
      // The node without a cache sees the change at once.
      assert.equal((await ind('emails_blocked')).value, 1);
      sql("DELETE FROM job WHERE kind = 'email' AND status = 'blocked'");
    });

    it('a node stopped cleanly is shown stopped; one not seen for minutes is gone, and /metrics says how long', async () => {
      const id = (await report(nodeAdmin)).node;
      await stopNode(node);
      node = null;
      let n = (await report()).sections.nodes.find((x) => x.id === id);
      assert.equal(n.state, 'stopped', JSON.stringify(n));
      assert.match(n.stopped_at, ISO_MS);
      sql(`UPDATE node SET stopped_at = NULL, seen_at = ${q(iso(5 * 60000))} WHERE id = ${q(id)}`);
      n = (await report()).sections.nodes.find((x) => x.id === id);
      assert.equal(n.state, 'gone', JSON.stringify(n));
      const text = await (await fetch(`${srv.base}/metrics`)).text();
      const m = new RegExp(`^atrium_node_last_seen_age_seconds\\{node="${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\} ([0-9.]+)$`, 'm').exec(text);
      assert.ok(m && Number(m[1]) >= 300, `${id}\n${text.split('\n').filter((l) => l.includes('node')).join('\n')}`);
      // Housekeeping removes rows a day after their last beat.
      sql(`UPDATE node SET seen_at = ${q(iso(25 * 3600000))} WHERE id = ${q(id)}`);
      let r = srv.cli(['cron']); // the task rows exist from here on
      assert.equal(r.status, 0, r.stderr);
      sql(`UPDATE sched_task SET next_run_at = ${q(iso(1000))} WHERE name = 'housekeeping'`);
      r = srv.cli(['cron']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /housekeeping ran/);
      assert.ok(!(await report()).sections.nodes.some((x) => x.id === id));
    });
  });

  describe('initial-setup checklist', () => {
    it('each step from the data itself, then dismissed with a logged setting', async () => {
      let r = await admin.req('GET', SETUP);
      assert.equal(r.status, 200, r.text);
      const byKey = (b) => Object.fromEntries(b.items.map((x) => [x.key, x]));
      let items = byKey(r.body);
      for (const k of ['company', 'logo', 'smtp', 'smtp_tested', 'localization', 'cron', 'departments', 'roles', 'staff',
        'taxes', 'payment_modes', 'twofa']) assert.ok(k in items, k);
      assert.equal(items.company.done, false);
      assert.equal(items.smtp.done, false);
      assert.equal(items.staff.done, true); // the fixture's member
      assert.equal(items.departments.done, false);
      assert.equal(r.body.complete, false);
      assert.equal(r.body.dismissed, false);
      assert.equal(r.body.total, r.body.items.length);

      let p = await admin.req('PATCH', SETTINGS, { params: { group: 'company' },
        body: { company_name: 'Acme SRL', address: 'Str. Exemplu 1, Cluj' } });
      assert.equal(p.status, 200, p.text);
      p = await admin.req('POST', '/api/v1/departments', { body: { name: 'Sales' } });
      assert.equal(p.status, 201, p.text);
      p = await admin.req('PATCH', SETTINGS, { params: { group: 'localization' }, body: { timezone: 'Europe/Bucharest' } });
      assert.equal(p.status, 200, p.text);
      sql(`UPDATE sched_state SET last_tick_at = ${q(iso(1000))} WHERE id = 1`);
      r = await admin.req('GET', SETUP);
      items = byKey(r.body);
      assert.equal(items.company.done, true);
      assert.equal(items.departments.done, true);
      assert.equal(items.localization.done, true);
      assert.equal(items.cron.done, true);
      assert.equal(r.body.done, r.body.items.filter((x) => x.done).length);

      p = await admin.req('PATCH', SETTINGS, { params: { group: 'health' }, body: { setup_checklist_dismissed: true } });
      assert.equal(p.status, 200, p.text);
      r = await admin.req('GET', SETUP);
      assert.equal(r.body.dismissed, true);
      const log = await admin.req('GET', '/api/v1/activity', { query: { limit: 5 } });
      assert.ok(log.body.data.some((e) => JSON.stringify(e).includes('setup_checklist_dismissed')), log.text);
      // A member without settings.edit cannot dismiss it.
      p = await staff.req('PATCH', SETTINGS, { params: { group: 'health' }, body: { setup_checklist_dismissed: false } });
      assertProblem(p, 403);
      // Every invalid field named.
      p = await admin.req('PATCH', SETTINGS, { params: { group: 'health' }, body: { setup_checklist_dismissed: 'soon' } });
      assert.equal(p.status, 422, p.text);
    });
  });
});
