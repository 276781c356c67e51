// The job runner's routes (the Utilities jobs page): the list by kind and
// status with its counts, retry one, retry all (or of a kind), their
// activity rows, the jobs metrics, and the outbox consumer draining
// atrium_outbox_pending.
//
// Jobs are made the way the product makes them: an invitation email
// queued while SMTP is not configured fails at once and, with the
// organisation's attempt limit at 1, is blocked. ATRIUM_EMAIL_RETRY_BASE_MS
// keeps any backoff in milliseconds.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, waitFor, uniq, ISO_MS,
} from './harness.mjs';

const JOBS = '/api/v1/jobs';
const RETRY_ONE = '/api/v1/jobs/{id}/retry';
const RETRY_ALL = '/api/v1/jobs/retry';
const SETTINGS = '/api/v1/settings/{group}';
const ACTIVITY = '/api/v1/activity';

describe('jobs: list, retry, metrics, outbox', () => {
  let srv;
  let admin;
  let staff;

  /* Invites a member: its email job fails (no SMTP) and is blocked. */
  async function blockedEmailJob() {
    const tag = uniq('job');
    const r = await admin.req('POST', '/api/v1/staff', {
      body: { email: `${tag}@example.test`, name: `Invitee ${tag}`, send_welcome: true },
    });
    assert.equal(r.status, 201, r.text);
    const q = await admin.req('GET', '/api/v1/email-queue', { query: { limit: 200 } });
    const mail = q.body.data.find((x) => x.to === `${tag}@example.test`);
    assert.ok(mail, q.text);
    const job = await waitFor(async () => {
      const l = await admin.req('GET', JOBS, { query: { kind: 'email', status: 'blocked', limit: 200 } });
      return l.body.data.find((x) => x.payload.email_id === mail.id);
    }, { timeout: 20000, every: 100, what: `the job of email ${mail.id} to be blocked` });
    return { job, mail };
  }

  async function jobOf(id) {
    const l = await admin.req('GET', JOBS, { query: { limit: 200 } });
    assert.equal(l.status, 200, l.text);
    return l.body.data.find((x) => x.id === id);
  }

  before(async () => {
    srv = await startServer({ env: { ATRIUM_EMAIL_RETRY_BASE_MS: '50' } });
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    const seats = srv.cli(['org', 'seats', '1', '--extra-seats', '100']); // as the operator
    assert.equal(seats.status, 0, seats.stderr);
    const r = await admin.req('PATCH', SETTINGS, { params: { group: 'email_queue' }, body: { max_attempts: 1 } });
    assert.equal(r.status, 200, r.text);
  });

  after(async () => {
    await srv?.stop();
  });

  it('lists jobs newest first with the documented fields, and counts by kind and status', async () => {
    const { job, mail } = await blockedEmailJob();
    assert.equal(job.kind, 'email');
    assert.equal(job.status, 'blocked');
    assert.equal(job.attempts, 1);
    assert.deepEqual(job.payload, { email_id: mail.id });
    assert.match(job.last_error, /not configured/i);
    assert.match(job.created_at, ISO_MS);
    assert.match(job.run_at, ISO_MS);
    assert.match(job.started_at, ISO_MS);
    assert.match(job.finished_at, ISO_MS);
    for (const k of ['id', 'kind', 'status', 'attempts', 'payload', 'run_at', 'last_error', 'created_at', 'started_at',
      'finished_at']) assert.ok(k in job, `row has ${k}`);
    const r = await admin.req('GET', JOBS);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.limit, 50);
    assert.equal(r.body.offset, 0);
    const ids = r.body.data.map((x) => x.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    const email = r.body.kinds.find((k) => k.kind === 'email');
    assert.ok(email, r.text);
    assert.equal(email.registered, true);
    assert.ok(email.blocked >= 1);
    for (const s of ['queued', 'running', 'done', 'blocked']) assert.ok(Number.isInteger(email[s]), s);
    assert.equal(r.body.total, r.body.kinds.reduce((n, k) => n + k.queued + k.running + k.done + k.blocked, 0));
    // Its email reads as blocked in the email queue too.
    const q = await admin.req('GET', '/api/v1/email-queue', { query: { status: 'blocked', limit: 200 } });
    assert.ok(q.body.data.some((x) => x.id === mail.id), q.text);
  });

  it('filters by kind and status, and pages', async () => {
    await blockedEmailJob();
    const b = await admin.req('GET', JOBS, { query: { status: 'blocked', kind: 'email', limit: 1 } });
    assert.equal(b.status, 200, b.text);
    assert.equal(b.body.data.length, 1);
    assert.ok(b.body.total >= 2);
    assert.equal(b.body.total, b.body.kinds.find((k) => k.kind === 'email').blocked);
    const p2 = await admin.req('GET', JOBS, { query: { status: 'blocked', kind: 'email', limit: 1, offset: 1 } });
    assert.notEqual(p2.body.data[0].id, b.body.data[0].id);
    // The list engine's language: a cursor, several statuses, a range, a sort.
    const c2 = await admin.req('GET', JOBS, { query: { status: 'blocked', kind: 'email', limit: 1,
      cursor: b.body.next_cursor } });
    assert.equal(c2.body.data[0].id, p2.body.data[0].id);
    const two = await admin.req('GET', JOBS, { query: { 'status[in]': 'blocked,done', limit: 200 } });
    assert.ok(two.body.data.every((x) => ['blocked', 'done'].includes(x.status)), two.text);
    const since = await admin.req('GET', JOBS, { query: { 'created_at[gte]': b.body.data[0].created_at, limit: 200 } });
    assert.ok(since.body.data.every((x) => x.created_at >= b.body.data[0].created_at), since.text);
    const oldest = await admin.req('GET', JOBS, { query: { sort: 'created_at', limit: 200 } });
    const at = oldest.body.data.map((x) => x.created_at);
    assert.deepEqual(at, [...at].sort());
    const none = await admin.req('GET', JOBS, { query: { kind: 'no.such.kind' } });
    assert.equal(none.status, 200);
    assert.deepEqual(none.body.data, []);
    assert.equal(none.body.total, 0);
  });

  it('the list refuses each invalid parameter with 400', async () => {
    for (const query of [{ status: 'lost' }, { limit: 0 }, { limit: 201 }, { offset: -1 }, { colour: 'red' },
      { kind: 'k'.repeat(64) }]) {
      assertProblem(await admin.req('GET', JOBS, { query }), 400, 'malformed');
    }
  });

  it('retry one: a blocked job is queued again with its attempts reset, and logged', async () => {
    const { job } = await blockedEmailJob();
    const r = await admin.req('POST', RETRY_ONE, { params: { id: job.id } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { requeued: 1, ids: [job.id] });
    // It runs again (and, SMTP still missing, is blocked again after one attempt).
    const again = await waitFor(async () => {
      const x = await jobOf(job.id);
      return x && x.status === 'blocked' && x.finished_at !== job.finished_at ? x : null;
    }, { timeout: 20000, every: 100, what: 'the retried job to run' });
    assert.equal(again.attempts, 1, 'attempts start again from 0');
    const a = await admin.req('GET', ACTIVITY, { query: { entity: 'job', action: 'retry', limit: 1 } });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.data[0].entity_id, job.id);
    assert.deepEqual(a.body.data[0].diff.ids.to, [job.id]);
    assert.equal(a.body.data[0].actor_id, admin.me.id);
  });

  it('retry one refuses a job that is not blocked (409) and an unknown one (404)', async () => {
    const lead = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('lead') } });
    assert.equal(lead.status, 201);
    const { job } = await blockedEmailJob();
    srv.sql(`UPDATE job SET status = 'done' WHERE id = ${Number(job.id)}`);
    const r = await admin.req('POST', RETRY_ONE, { params: { id: job.id } });
    assertProblem(r, 409, 'conflict');
    assert.match(r.body.detail, /done/);
    assertProblem(await admin.req('POST', RETRY_ONE, { params: { id: 987654321 } }), 404, 'not-found');
    assertFieldErrors(await admin.req('POST', RETRY_ONE, { params: { id: job.id }, body: { now: true } }),
      { now: 'unknown_field' });
  });

  it('retry all ({}) and of a kind requeue every blocked job, and are logged', async () => {
    const a = await blockedEmailJob();
    const b = await blockedEmailJob();
    const r = await admin.req('POST', RETRY_ALL, { body: { kind: 'email' } });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.requeued >= 2 && r.body.ids.includes(a.job.id) && r.body.ids.includes(b.job.id), r.text);
    const log = await admin.req('GET', ACTIVITY, { query: { entity: 'job', action: 'retry', limit: 1 } });
    assert.equal(log.body.data[0].diff.kind.to, 'email');
    for (const x of [a.job, b.job]) {
      await waitFor(async () => {
        const j = await jobOf(x.id);
        return j && j.status === 'blocked' && j.finished_at !== x.finished_at;
      }, { timeout: 20000, every: 100, what: `job ${x.id} to run again` });
    }
    const all = await admin.req('POST', RETRY_ALL, { body: {} });
    assert.equal(all.status, 200, all.text);
    assert.ok(all.body.requeued >= 2, all.text);
    const empty = await admin.req('POST', RETRY_ALL);
    assert.equal(empty.status, 200, empty.text);
  });

  it('retry all refuses each invalid field, and all of them at once', async () => {
    assertFieldErrors(await admin.req('POST', RETRY_ALL, { body: { kind: 5 } }), { kind: 'type' });
    assertFieldErrors(await admin.req('POST', RETRY_ALL, { body: { kind: 'nope' } }), { kind: 'invalid' });
    assertFieldErrors(await admin.req('POST', RETRY_ALL, { body: { kind: 'k'.repeat(64) } }), { kind: 'too_long' });
    assertFieldErrors(await admin.req('POST', RETRY_ALL, { body: { all: true } }), { all: 'unknown_field' });
    const r = await admin.req('POST', RETRY_ALL, { body: { kind: 'nope', all: true } });
    assertFieldErrors(r, { kind: 'invalid', all: 'unknown_field' });
    assert.equal(r.body.errors.length, 2, r.text);
  });

  it('/metrics: depth and oldest age by kind, this node\'s outcomes', async () => {
    await blockedEmailJob();
    const text = await waitFor(async () => {
      const r = await client(srv.base).req('GET', '/metrics');
      return /^atrium_jobs\{kind="email",status="blocked"\} [1-9]\d*$/m.test(r.text) ? r.text : null;
    }, { timeout: 15000, every: 250, what: 'the jobs gauges' });
    assert.match(text, /^# TYPE atrium_jobs gauge$/m);
    assert.match(text, /^atrium_jobs\{kind="email",status="queued"\} \d+$/m);
    assert.match(text, /^atrium_jobs_oldest_age_seconds\{kind="email"\} \d+\.\d{3}$/m);
    assert.match(text, /^# TYPE atrium_jobs_processed_total counter$/m);
    assert.match(text, /^atrium_jobs_processed_total\{kind="email",outcome="failure"\} [1-9]\d*$/m);
    assert.match(text, /^atrium_jobs_processed_total\{kind="email",outcome="success"\} \d+$/m);
  });

  it('the outbox is consumed: atrium_outbox_pending drops back to 0', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal((await admin.req('POST', '/api/v1/leads', { body: { name: uniq('outbox') } })).status, 201);
    }
    await waitFor(async () => {
      const r = await client(srv.base).req('GET', '/metrics');
      return /^atrium_outbox_pending 0$/m.test(r.text);
    }, { timeout: 15000, every: 100, what: 'atrium_outbox_pending to reach 0' });
    assert.equal(srv.sql('SELECT COUNT(*) FROM event WHERE processed_at IS NULL').stdout, '0');
  });

  const ROUTES = [
    ['GET', JOBS, {}],
    ['POST', RETRY_ONE, { params: { id: 1 } }],
    ['POST', RETRY_ALL, { body: {} }],
  ];

  it('every route is 401 anonymously', async () => {
    const anon = client(srv.base);
    for (const [m, p, o] of ROUTES) assertProblem(await anon.req(m, p, o), 401, 'unauthorized');
  });

  it('every route is 403 for the plain staff member', async () => {
    for (const [m, p, o] of ROUTES) assertProblem(await staff.req(m, p, o), 403, 'forbidden');
  });
});
