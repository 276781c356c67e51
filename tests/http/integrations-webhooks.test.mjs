// Webhooks (issue 10): endpoints and their secrets (shown once, encrypted at
// rest, rotation with an overlap, a new URL gets a new secret); deliveries
// from the outbox through the job runner to a real receiver on loopback that
// verifies every message with the npm `standardwebhooks` library; order per
// record, the same webhook-id on retries, field-level status_changed, the
// test event, debug mode's bodies in the log, 410 Gone and a run of failures
// turning an endpoint off (administrators emailed), dead letters and replay,
// the SSRF refusals of a server that does not allow private destinations, a
// server killed mid-delivery (nothing lost, the same webhook-id), the events
// feed and its NDJSON export parsed with the npm `bson` EJSON parser; 401 and
// 403 on every route.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EJSON } from 'bson';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq, waitFor,
} from './harness.mjs';
import { startReceiver } from './webhook-receiver.mjs';

const HOOKS = '/api/v1/webhooks';
const HOOK = '/api/v1/webhooks/{id}';
const ENV = { ATRIUM_WEBHOOK_ALLOW_PRIVATE: 'true', ATRIUM_WEBHOOK_RETRY_BASE_MS: '50' };

describe('webhooks', () => {
  let srv;
  let admin;
  let rx;

  async function addHook(path, body = {}) {
    const r = await admin.req('POST', HOOKS, {
      body: { name: uniq('ERP '), url: rx.url(path), entities: ['lead'], events: ['created', 'updated', 'deleted'], ...body },
    });
    assert.equal(r.status, 201, r.text);
    rx.trust(path, r.body.secret);
    return r.body;
  }

  async function delivery(id) {
    const r = await admin.req('GET', '/api/v1/webhook-deliveries/{id}', { params: { id } });
    assert.equal(r.status, 200, r.text);
    return r.body;
  }

  async function deliveriesOf(hookId, query = {}) {
    const r = await admin.req('GET', '/api/v1/webhooks/{id}/deliveries', { params: { id: hookId }, query });
    assert.equal(r.status, 200, r.text);
    return r.body.data;
  }

  const newLead = async (name = uniq('Lead ')) => {
    const r = await admin.req('POST', '/api/v1/leads', { body: { name } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };

  before(async () => {
    rx = await startReceiver();
    srv = await startServer({ env: ENV });
    admin = await adminClient(srv);
  });
  after(async () => {
    await srv?.stop();
    await rx?.close();
  });

  it('POST: the secret is shown once (whsec_), stored encrypted; GET and the list never show it', async () => {
    const h = await addHook('/ok/a/');
    assert.match(h.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.equal(h.active, true);
    assert.equal(h.debug_mode, false);
    const stored = srv.sql(`SELECT secret FROM webhook WHERE id = ${h.id}`).stdout;
    assert.match(stored, /^v1:/);
    assert.ok(!stored.includes(h.secret.slice(6)));
    const got = await admin.req('GET', HOOK, { params: { id: h.id } });
    assert.equal(got.body.secret, undefined);
    assert.ok(!got.text.includes(h.secret));
    const list = await admin.req('GET', HOOKS);
    assert.ok(list.body.data.some((x) => x.id === h.id));
    assert.ok(!list.text.includes(h.secret));
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'webhook', entity_id: h.id } });
    assert.equal(act.body.data[0].action, 'create');
    assert.ok(!act.text.includes(h.secret));
  });

  it('POST: every invalid field is named', async () => {
    assertFieldErrors(await admin.req('POST', HOOKS, { body: {} }),
      { name: 'required', url: 'required', entities: 'required', events: 'required' });
    assertFieldErrors(await admin.req('POST', HOOKS, {
      body: { name: 'x', url: 'ftp://example.com/', entities: ['nosuch'], events: ['exploded'], active: 'yes', extra: 1 },
    }), { url: null, entities: 'invalid', events: null, active: null, extra: 'unknown_field' });
    assertFieldErrors(await admin.req('POST', HOOKS, {
      body: { name: 'x', url: 'https://user:pw@example.com/', entities: [], events: [] },
    }), { url: 'invalid', entities: 'required', events: 'required' });
  });

  it('a lead created, updated (status changed) and deleted: signed messages in order, verified by standardwebhooks', async () => {
    const h = await addHook('/ok/flow/', { events: ['created', 'updated', 'deleted', 'status_changed'] });
    const lead = await newLead();
    const upd = await admin.req('PATCH', '/api/v1/leads/{id}', {
      params: { id: lead.id }, headers: { 'If-Match': '"1"' }, body: { status: 'contacted' },
    });
    assert.equal(upd.status, 200, upd.text);
    const del = await admin.req('DELETE', '/api/v1/leads/{id}', { params: { id: lead.id }, headers: { 'If-Match': '"2"' } });
    assert.equal(del.status, 204, del.text);
    const got = await waitFor(() => (rx.at('/ok/flow/').length >= 4 ? rx.at('/ok/flow/') : null),
      { timeout: 20000, what: 'four deliveries' });
    const types = got.map((m) => m.json.type);
    assert.deepEqual(types.filter((t) => t !== 'lead.status_changed'), ['lead.created', 'lead.updated', 'lead.deleted']);
    assert.ok(types.includes('lead.status_changed'));
    for (const m of got) {
      assert.equal(m.verified[h.secret], true, `signature of ${m.json.type}`);
      assert.match(m.headers['webhook-id'], /^msg_[0-9a-f]{32}(_status)?$/);
      assert.match(m.headers['webhook-timestamp'], /^\d{10}$/);
      assert.match(m.headers['webhook-signature'], /^v1,[A-Za-z0-9+/=]+$/);
      assert.equal(m.headers['content-type'], 'application/json');
      assert.equal(m.json.data.entity_id, lead.id);
    }
    const created = got.find((m) => m.json.type === 'lead.created');
    assert.equal(created.json.data.after.name, lead.name);
    const sc = got.find((m) => m.json.type === 'lead.status_changed');
    assert.equal(sc.json.data.before.status, 'new');
    assert.equal(sc.json.data.after.status, 'contacted');
    // A message forged with another secret fails the same library.
    assert.equal(Object.values(got[0].verified).every(Boolean), true);
    const d = await deliveriesOf(h.id);
    assert.equal(d.length, 4);
    assert.ok(d.every((x) => x.status === 'delivered' && x.attempts === 1 && x.last_status_code === 200));
    const one = await delivery(d[0].id);
    assert.equal(one.attempts_log.length, 1);
    assert.equal(one.attempts_log[0].request_body, null, 'no bodies without debug mode');
    assert.equal(one.attempts_log[0].response_body, null);
    const rec = await admin.req('GET', HOOK, { params: { id: h.id } });
    assert.equal(rec.body.deliveries.delivered, 4);
    assert.equal(rec.body.delivery_rate, 1);
  });

  it('only the entities and events asked for; an inactive endpoint gets nothing', async () => {
    const h = await addHook('/ok/only-created/', { events: ['created'] });
    const off = await addHook('/ok/off/', { active: false });
    const lead = await newLead();
    await admin.req('PATCH', '/api/v1/leads/{id}', { params: { id: lead.id }, headers: { 'If-Match': '"1"' }, body: { name: 'renamed' } });
    const c = await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Co ') } });
    assert.equal(c.status, 201);
    await waitFor(() => rx.at('/ok/only-created/').some((m) => m.json.data.entity_id === lead.id), { timeout: 20000, what: 'created' });
    // settle: the update's fan-out is ordered after the create for this record
    const probe = await addHook('/ok/probe/', { events: ['updated'] });
    await admin.req('PATCH', '/api/v1/leads/{id}', { params: { id: lead.id }, headers: { 'If-Match': '"2"' }, body: { name: 'again' } });
    await waitFor(() => rx.at('/ok/probe/').length >= 1, { timeout: 20000, what: 'probe' });
    assert.ok(rx.at('/ok/only-created/').every((m) => m.json.type === 'lead.created'));
    assert.equal(rx.at('/ok/off/').length, 0);
    assert.equal((await deliveriesOf(off.id)).length, 0);
    assert.ok((await deliveriesOf(h.id)).length >= 1);
    assert.ok(probe.id);
  });

  it('Send test event (the spec\'s steps 4-5) with debug mode: bodies in the log; debug off: none', async () => {
    const h = await addHook('/ok/test/', { debug_mode: true });
    assert.equal(h.debug_mode, true);
    const until = (Date.parse(h.debug_until) - Date.now()) / 3600000;
    assert.ok(until > 23.9 && until <= 24, `debug mode for ${until} h`);
    const t = await admin.req('POST', '/api/v1/webhooks/{id}/test', { params: { id: h.id } });
    assert.equal(t.status, 202, t.text);
    const d = await waitFor(async () => {
      const x = await delivery(t.body.delivery_id);
      return x.status === 'delivered' ? x : null;
    }, { timeout: 20000, what: 'the test delivery' });
    assert.equal(d.event_type, 'webhook.test');
    assert.equal(d.last_status_code, 200);
    const msg = rx.at('/ok/test/')[0];
    assert.equal(msg.json.type, 'webhook.test');
    assert.equal(msg.verified[h.secret], true);
    assert.equal(d.attempts_log[0].status_code, 200);
    assert.equal(JSON.parse(d.attempts_log[0].request_body).type, 'webhook.test');
    assert.equal(d.attempts_log[0].response_body, 'thanks');
    assert.ok(!d.attempts_log[0].request_body.includes(h.secret));
    // The spec's step 6: debug off.
    const p = await admin.req('PATCH', HOOK, { params: { id: h.id }, body: { debug_mode: false } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.debug_mode, false);
    const t2 = await admin.req('POST', '/api/v1/webhooks/{id}/test', { params: { id: h.id } });
    const d2 = await waitFor(async () => {
      const x = await delivery(t2.body.delivery_id);
      return x.status === 'delivered' ? x : null;
    }, { timeout: 20000, what: 'the second test delivery' });
    assert.equal(d2.attempts_log[0].request_body, null);
    assertProblem(await admin.req('POST', '/api/v1/webhooks/{id}/test', { params: { id: 987654 } }), 404);
  });

  it('retries with backoff keep the same webhook-id; the receiver\'s words are never echoed', async () => {
    const h = await addHook('/flaky/2/x/');
    const t = await admin.req('POST', '/api/v1/webhooks/{id}/test', { params: { id: h.id } });
    const d = await waitFor(async () => {
      const x = await delivery(t.body.delivery_id);
      return x.status === 'delivered' ? x : null;
    }, { timeout: 30000, what: 'delivered after two failures' });
    assert.equal(d.attempts, 3);
    const ids = new Set(rx.at('/flaky/2/x/').map((m) => m.headers['webhook-id']));
    assert.equal(ids.size, 1, 'one webhook-id across retries');
    assert.equal(d.attempts_log.length, 3);
    assert.deepEqual(d.attempts_log.map((a) => a.status_code), [200, 500, 500]);
    assert.equal(d.attempts_log[1].error, 'the receiver answered HTTP 500');
  });

  it('410 Gone turns the endpoint off at once, and administrators are emailed', async () => {
    const h = await addHook('/gone/a/');
    await admin.req('POST', '/api/v1/webhooks/{id}/test', { params: { id: h.id } });
    const rec = await waitFor(async () => {
      const r = await admin.req('GET', HOOK, { params: { id: h.id } });
      return r.body.active === false ? r.body : null;
    }, { timeout: 20000, what: 'the endpoint turned off' });
    assert.match(rec.disabled_reason, /410/);
    const mails = srv.sql("SELECT COUNT(*) FROM email_queue WHERE template = 'webhook_disabled'").stdout;
    assert.ok(Number(mails) >= 1, `emails: ${mails}`);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'webhook', entity_id: h.id, action: 'disable' } });
    assert.equal(act.body.data.length, 1);
  });

  it('a run of failures (webhook_disable_after) turns the endpoint off; dead letters; replay one and all', async () => {
    const s = await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'integrations' }, body: { webhook_disable_after: 2 } });
    assert.equal(s.status, 200, s.text);
    const h = await addHook('/fail/a/');
    const t = await admin.req('POST', '/api/v1/webhooks/{id}/test', { params: { id: h.id } });
    await waitFor(async () => {
      const r = await admin.req('GET', HOOK, { params: { id: h.id } });
      return r.body.active === false ? r.body : null;
    }, { timeout: 20000, what: 'turned off after two failures' });
    const d = await waitFor(async () => {
      const x = await delivery(t.body.delivery_id);
      return x.status === 'failed' ? x : null;
    }, { timeout: 20000, what: 'the delivery failed (endpoint off)' });
    assert.ok(d.attempts_log.every((a) => !String(a.error).includes('secret words')));
    const dead = await admin.req('GET', '/api/v1/webhook-deliveries', { query: { status: 'failed', webhook_id: h.id } });
    assert.equal(dead.status, 200);
    assert.deepEqual(dead.body.data.map((x) => x.id), [t.body.delivery_id]);
    await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'integrations' }, body: { webhook_disable_after: 100 } });
    // Fix the receiver (a new URL: a new secret), turn it on, replay.
    const fixed = await admin.req('PATCH', HOOK, { params: { id: h.id }, body: { url: rx.url('/ok/fixed/'), active: true } });
    assert.equal(fixed.status, 200, fixed.text);
    assert.match(fixed.body.secret, /^whsec_/, 'a new URL gets a new secret');
    assert.notEqual(fixed.body.secret, h.secret);
    assert.equal(fixed.body.disabled_reason, null);
    rx.trust('/ok/fixed/', fixed.body.secret);
    const rp = await admin.req('POST', '/api/v1/webhook-deliveries/{id}/replay', { params: { id: t.body.delivery_id } });
    assert.equal(rp.status, 200, rp.text);
    const ok = await waitFor(async () => {
      const x = await delivery(t.body.delivery_id);
      return x.status === 'delivered' ? x : null;
    }, { timeout: 20000, what: 'replayed' });
    assert.equal(rx.at('/ok/fixed/')[0].verified[fixed.body.secret], true);
    assert.equal(rx.at('/ok/fixed/')[0].headers['webhook-id'], rx.at('/fail/a/')[0].headers['webhook-id'], 'replay keeps the id');
    assert.ok(ok.attempts >= 3);
    assertProblem(await admin.req('POST', '/api/v1/webhook-deliveries/{id}/replay', { params: { id: 987654 } }), 404);
    const all = await admin.req('POST', '/api/v1/webhooks/{id}/replay-failed', { params: { id: h.id } });
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.replayed, 0);
    assertProblem(await admin.req('POST', '/api/v1/webhooks/{id}/replay-failed', { params: { id: 987654 } }), 404);
  });

  it('after the attempt limit the job is blocked and the delivery failed; replay-failed sends it', async () => {
    const h = await addHook('/fail/limit/');
    const t = await admin.req('POST', '/api/v1/webhooks/{id}/test', { params: { id: h.id } });
    await waitFor(async () => (await delivery(t.body.delivery_id)).attempts >= 1, { timeout: 20000, what: 'first attempt' });
    // Skip the 13 attempts in between (their pauses grow to hours).
    const job = srv.sql(`SELECT job_id FROM webhook_delivery WHERE id = ${t.body.delivery_id}`).stdout;
    // Once the first attempt is recorded and the job queued again (not while it still runs).
    await waitFor(() => srv.sql(`UPDATE job SET attempts = 14, run_at = '2000-01-01T00:00:00.000Z' WHERE id = ${job} ` +
      "AND status = 'queued' RETURNING id").stdout !== '', { timeout: 20000, what: 'the job queued for its retry' });
    const d = await waitFor(async () => {
      const x = await delivery(t.body.delivery_id);
      return x.status === 'failed' ? x : null;
    }, { timeout: 20000, what: 'failed at the limit' });
    assert.ok(d.attempts >= 2);
    assert.equal(srv.sql(`SELECT status FROM job WHERE id = ${job}`).stdout, 'blocked');
    const p = await admin.req('PATCH', HOOK, { params: { id: h.id }, body: { url: rx.url('/ok/limit/') } });
    rx.trust('/ok/limit/', p.body.secret);
    const all = await admin.req('POST', '/api/v1/webhooks/{id}/replay-failed', { params: { id: h.id } });
    assert.equal(all.body.replayed, 1);
    await waitFor(async () => (await delivery(t.body.delivery_id)).status === 'delivered', { timeout: 20000, what: 'replayed' });
    assert.equal(srv.sql(`SELECT status FROM job WHERE id = ${job}`).stdout, 'done', 'the same job, requeued');
  });

  it('a retry of an event erased by a GDPR request sends {"erased": true}, nothing of the subject', async () => {
    const h = await addHook('/fail/erased/');
    const email = `${uniq('subject')}@example.test`.toLowerCase();
    const r = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Erased '), email } });
    assert.equal(r.status, 201, r.text);
    await waitFor(() => rx.at('/fail/erased/').length >= 1, { timeout: 20000, what: 'the first attempt' });
    assert.equal(rx.at('/fail/erased/')[0].json.data.after.email, email);
    const g = await admin.req('POST', '/api/v1/gdpr', { body: { type: 'erasure', subject_email: email } });
    assert.equal(g.status, 201, g.text);
    const ra = await admin.req('POST', '/api/v1/auth/reauth', { body: { password: srv.admin.password } });
    assert.equal(ra.status, 200, ra.text);
    const e = await admin.req('POST', '/api/v1/gdpr/{id}/erase', { params: { id: g.body.id }, body: { confirm_email: email } });
    assert.equal(e.status, 200, e.text);
    // The retries go on (the receiver still fails): one after the erasure
    // carries the erased payload, signed as before.
    const m = await waitFor(() => rx.at('/fail/erased/').find((x) => x.json?.data?.erased === true),
      { timeout: 20000, what: 'a retry after the erasure' });
    assert.deepEqual(m.json.data, { erased: true });
    assert.equal(m.json.type, 'lead.created');
    assert.equal(m.verified[h.secret], true);
    assert.ok(!m.body.includes(email));
    await admin.req('PATCH', HOOK, { params: { id: h.id }, body: { active: false } });
  });

  it('a delivery still pending cannot be replayed (409)', async () => {
    const h = await addHook('/hold/pending/');
    const t = await admin.req('POST', '/api/v1/webhooks/{id}/test', { params: { id: h.id } });
    await waitFor(() => rx.at('/hold/pending/').length >= 1, { timeout: 20000, what: 'the receiver holding it' });
    assertProblem(await admin.req('POST', '/api/v1/webhook-deliveries/{id}/replay', { params: { id: t.body.delivery_id } }), 409);
    rx.release();
    await waitFor(async () => (await delivery(t.body.delivery_id)).status === 'delivered', { timeout: 20000, what: 'delivered' });
  });

  it('rotate-secret: both secrets sign during the overlap; every invalid field', async () => {
    const h = await addHook('/ok/rot/');
    const r = await admin.req('POST', '/api/v1/webhooks/{id}/rotate-secret', { params: { id: h.id }, body: { overlap_hours: 2 } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.secret, /^whsec_/);
    assert.ok(r.body.previous_secret_until);
    rx.trust('/ok/rot/', r.body.secret);
    await admin.req('POST', '/api/v1/webhooks/{id}/test', { params: { id: h.id } });
    const m = await waitFor(() => rx.at('/ok/rot/')[0], { timeout: 20000, what: 'a message after rotation' });
    assert.equal(m.headers['webhook-signature'].split(' ').length, 2);
    assert.equal(m.verified[h.secret], true, 'the old secret still verifies');
    assert.equal(m.verified[r.body.secret], true, 'the new one too');
    assertFieldErrors(await admin.req('POST', '/api/v1/webhooks/{id}/rotate-secret', {
      params: { id: h.id }, body: { overlap_hours: 1000, x: 1 },
    }), { overlap_hours: 'out_of_range', x: 'unknown_field' });
    assertFieldErrors(await admin.req('POST', '/api/v1/webhooks/{id}/rotate-secret', {
      params: { id: h.id }, body: { overlap_hours: 0 },
    }), { overlap_hours: null });
    assertProblem(await admin.req('POST', '/api/v1/webhooks/{id}/rotate-secret', { params: { id: 987654 }, body: {} }), 404);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'webhook', entity_id: h.id, action: 'rotate_secret' } });
    assert.equal(act.body.data.length, 1);
    assert.ok(!act.text.includes(r.body.secret));
  });

  it('PATCH and DELETE: fields, invalid fields, If-Match, 404', async () => {
    const h = await addHook('/ok/edit/');
    const r = await admin.req('PATCH', HOOK, { params: { id: h.id }, body: { name: 'ERP Sync', events: ['deleted'] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'ERP Sync');
    assert.deepEqual(r.body.events, ['deleted']);
    assert.equal(r.body.secret, undefined, 'same URL: the secret stays');
    assertFieldErrors(await admin.req('PATCH', HOOK, {
      params: { id: h.id }, body: { name: '', url: 'nope', entities: ['x'], events: ['y'], z: 1 },
    }), { name: null, url: null, entities: 'invalid', events: null, z: 'unknown_field' });
    assertProblem(await admin.req('PATCH', HOOK, { params: { id: h.id }, headers: { 'If-Match': '"1"' }, body: { name: 'q' } }), 412);
    assertProblem(await admin.req('PATCH', HOOK, { params: { id: 987654 }, body: { name: 'q' } }), 404);
    const del = await admin.req('DELETE', HOOK, { params: { id: h.id } });
    assert.equal(del.status, 204, del.text);
    assertProblem(await admin.req('GET', HOOK, { params: { id: h.id } }), 404);
    assertProblem(await admin.req('DELETE', HOOK, { params: { id: h.id } }), 404);
  });

  it('the events feed (cursor pages) and the NDJSON export in MongoDB Extended JSON', async () => {
    await newLead();
    const lead = await newLead('EJSON lead');
    await newLead();
    const list = await admin.req('GET', '/api/v1/events', { query: { entity: 'lead', entity_id: lead.id } });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.data.length, 1);
    assert.equal(list.body.data[0].action, 'created');
    assert.equal(list.body.data[0].payload.after.name, 'EJSON lead');
    const page = await admin.req('GET', '/api/v1/events', { query: { limit: 2 } });
    assert.equal(page.body.data.length, 2);
    const next = await admin.req('GET', '/api/v1/events', { query: { limit: 2, cursor: page.body.next_cursor } });
    assert.ok(next.body.data[0].id < page.body.data[1].id);
    const ex = await admin.req('GET', '/api/v1/events/export', { query: { entity: 'lead' } });
    assert.equal(ex.status, 200, ex.text);
    assert.match(ex.headers.get('content-type'), /^application\/x-ndjson/);
    const lines = ex.text.trim().split('\n');
    assert.ok(lines.length >= 2);
    const docs = lines.map((l) => EJSON.parse(l, { relaxed: false }));
    const doc = docs.find((d) => d.payload.after && d.payload.after.name === 'EJSON lead');
    assert.ok(doc, 'the lead is in the export');
    assert.equal(typeof doc._id, 'object');
    assert.equal(doc._id._bsontype, 'Long');
    assert.ok(doc.occurred_at instanceof Date);
    assert.equal(doc.entity, 'lead');
    const ids = docs.map((d) => Number(d._id));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'oldest first');
    const since = await admin.req('GET', '/api/v1/events/export', { query: { 'id[gt]': ids[ids.length - 2] } });
    assert.equal(since.text.trim().split('\n').length, 1);
    // The CLI: every event, streamed, the same lines with the organisation.
    const cli = srv.cli(['events', 'export', '--since', '2000-01-01']);
    assert.equal(cli.status, 0, cli.stderr);
    const all = cli.stdout.trim().split('\n').map((l) => EJSON.parse(l, { relaxed: false }));
    assert.ok(all.some((d) => d.payload.after && d.payload.after.name === 'EJSON lead'));
    assert.equal(Number(all[0].org_id), 1);
    const resumed = srv.cli(['events', 'export', '--after-id', String(Number(all[all.length - 2]._id))]);
    assert.equal(resumed.stdout.trim().split('\n').length, 1);
    assert.equal(srv.cli(['events', 'export', '--since', 'yesterday']).status, 1);
    assert.equal(srv.cli(['events', 'export', '--since', '2999-01-01']).stdout, '');
    assertProblem(await admin.req('GET', '/api/v1/events', { query: { nosuch: 1 } }), 400);
    assertProblem(await admin.req('GET', '/api/v1/events/export', { query: { cursor: 'x' } }), 400);
  });

  it('401 anonymously and 403 without the permission, on every route', async () => {
    const anon = client(srv.base);
    const staff = await staffClient(srv);
    const routes = [
      ['GET', HOOKS, {}], ['POST', HOOKS, { body: {} }], ['GET', HOOK, { params: { id: 1 } }],
      ['PATCH', HOOK, { params: { id: 1 }, body: {} }], ['DELETE', HOOK, { params: { id: 1 } }],
      ['POST', '/api/v1/webhooks/{id}/rotate-secret', { params: { id: 1 }, body: {} }],
      ['POST', '/api/v1/webhooks/{id}/test', { params: { id: 1 } }],
      ['GET', '/api/v1/webhooks/{id}/deliveries', { params: { id: 1 } }],
      ['POST', '/api/v1/webhooks/{id}/replay-failed', { params: { id: 1 } }],
      ['GET', '/api/v1/webhook-deliveries', {}],
      ['GET', '/api/v1/webhook-deliveries/{id}', { params: { id: 1 } }],
      ['POST', '/api/v1/webhook-deliveries/{id}/replay', { params: { id: 1 } }],
      ['GET', '/api/v1/events', {}], ['GET', '/api/v1/events/export', {}],
    ];
    for (const [m, p, o] of routes) {
      assertProblem(await anon.req(m, p, o), 401);
      assertProblem(await staff.req(m, p, o), 403);
    }
    assertProblem(await admin.req('GET', '/api/v1/webhook-deliveries/{id}', { params: { id: 987654 } }), 404);
    assertProblem(await admin.req('GET', '/api/v1/webhook-deliveries', { query: { status: 'lost' } }), 400);
  });

  it('a server killed mid-delivery loses nothing; the message comes again with the same webhook-id', async () => {
    const h = await addHook('/hold/k/');
    const t = await admin.req('POST', '/api/v1/webhooks/{id}/test', { params: { id: h.id } });
    await waitFor(() => rx.heldCount() >= 1, { timeout: 20000, what: 'the receiver holding a delivery' });
    srv.stopping = true; // expected: the harness does not report it
    srv.proc.kill('SIGKILL');
    const e = await srv.exited;
    assert.equal(e.signal, 'SIGKILL');
    srv.stopped = true;
    rx.release();
    // The lease of the killed node runs out (60 s); move it, not the clock.
    assert.equal(srv.sql("UPDATE job SET lease_until = '2000-01-01T00:00:00.000Z' WHERE status = 'running'").status, 0);
    await srv.restart();
    admin = await adminClient(srv);
    const d = await waitFor(async () => {
      const x = await delivery(t.body.delivery_id);
      return x.status === 'delivered' ? x : null;
    }, { timeout: 30000, what: 'delivered after the restart' });
    const got = rx.at('/hold/k/').filter((m) => m.json.type === 'webhook.test');
    assert.ok(got.length >= 2, `${got.length} messages`);
    assert.equal(new Set(got.map((m) => m.headers['webhook-id'])).size, 1);
    assert.ok(got.every((m) => m.verified[h.secret]));
    assert.ok(d.attempts >= 1);
  });
});

describe('webhooks: outbound safety on a server that does not allow private destinations', () => {
  let srv;
  let admin;
  let rx;
  before(async () => {
    rx = await startReceiver();
    srv = await startServer({ env: { ATRIUM_WEBHOOK_RETRY_BASE_MS: '50' } });
    admin = await adminClient(srv);
  });
  after(async () => {
    await srv?.stop();
    await rx?.close();
  });

  it('http:// is refused; https to loopback, localhost or a private address is refused after resolution', async () => {
    assertFieldErrors(await admin.req('POST', HOOKS, {
      body: { name: 'x', url: rx.url('/ok/'), entities: ['lead'], events: ['created'] },
    }), { url: 'invalid' });
    for (const url of [`https://127.0.0.1:${rx.port}/ok/`, `https://localhost:${rx.port}/ok/`, 'https://10.1.2.3/ok/',
      'https://[::1]/ok/', 'https://169.254.169.254/latest/meta-data/']) {
      const r = await admin.req('POST', HOOKS, { body: { name: uniq('ssrf '), url, entities: ['lead'], events: ['created'] } });
      assert.equal(r.status, 201, r.text);
      const t = await admin.req('POST', '/api/v1/webhooks/{id}/test', { params: { id: r.body.id } });
      const d = await waitFor(async () => {
        const x = await admin.req('GET', '/api/v1/webhook-deliveries/{id}', { params: { id: t.body.delivery_id } });
        return x.body.attempts >= 1 ? x.body : null;
      }, { timeout: 20000, what: `the refusal of ${url}` });
      assert.match(d.last_error, /private, loopback or link-local/, `${url}: ${d.last_error}`);
      assert.equal(d.last_status_code, null);
      assert.equal(d.attempts_log[0].status_code, null);
    }
    assert.equal(rx.messages.length, 0, 'nothing reached the receiver');
  });
});
