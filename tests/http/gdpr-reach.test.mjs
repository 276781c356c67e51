// GDPR erasure reaches every copy (issue 15): the log archives retention
// already wrote (activity, API requests, pipe) are rewritten without the
// subject's values — the activity rows' personal parts erased as in the
// live table, so `atrium logs verify FILE` and `atrium audit verify` still
// pass —, each rewrite in the manifest (new SHA-256, rewritten_by, note)
// and the activity log; an interrupted rewrite leaves every archive
// verifiable and the next attempt finishes (a leftover old file and a
// temporary file are removed); the subject as a staff member loses their
// sign-in address prefixes, sessions, throttle rows and API request
// addresses. Then the database file, its WAL, the archive directory and
// the server's log are searched for every erased value.
// Runs on SQLite, and on PostgreSQL with ATRIUM_TEST_PG.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, adminClient, client, uniq, addMember } from './harness.mjs';

const OLD = '2020-01-01T00:00:00.000Z';
const ERASE = '/api/v1/gdpr/{id}/erase';

describe('GDPR erasure: archives, sign-in addresses and the other copies', () => {
  let srv;
  let admin;
  const archiveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-erase-archive-'));

  before(async () => {
    srv = await startServer({ env: { ATRIUM_ARCHIVE_DIR: archiveDir, ATRIUM_SCHEDULER: 'false' } });
    admin = await adminClient(srv);
  });
  after(async () => {
    await srv?.stop();
    fs.rmSync(archiveDir, { recursive: true, force: true });
  });

  const sql = (q) => {
    const r = srv.sql(q);
    assert.equal(r.status, 0, `${q}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const count = (q) => Number(sql(q).split('\n').pop().trim());
  const sha256 = (f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  const gunzip = (f) => zlib.gunzipSync(fs.readFileSync(f)).toString('utf8');
  /* Every file under dir, recursively. */
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
  /* A file's text: gunzipped when it is an archive. */
  const text = (f) => (f.endsWith('.gz') ? gunzip(f) : fs.readFileSync(f, 'latin1'));
  const manifests = async () => {
    const l = await admin.req('GET', '/api/v1/log-archives', { query: { limit: 200 } });
    assert.equal(l.status, 200, l.text);
    return l.body.data;
  };

  it('rewrites every archive holding the subject, survives an interrupted rewrite, and leaves no value anywhere', async () => {
    // The subject: a staff member who is also a lead and a contact.
    const member = await addMember(srv, admin, {}, 'subj');
    const tag = uniq('reach');
    const p = {
      email: member.record.email,
      leadName: `Zed ${tag} Leadname`,
      phone: `+40 722 ${String(Date.now()).slice(-6)}`,
      first: `First${tag}`,
      last: `Last${tag}`,
      ip: `203.0.113.${(Date.now() % 200) + 20}`,
    };
    const lead = await admin.req('POST', '/api/v1/leads', { body: { name: p.leadName, email: p.email, phone: p.phone } });
    assert.equal(lead.status, 201, lead.text);
    const cl = await admin.req('POST', '/api/v1/clients', { body: { company: `Client ${tag}` } });
    assert.equal(cl.status, 201, cl.text);
    const ct = await admin.req('POST', '/api/v1/contacts', { body: { client_id: cl.body.id, first_name: p.first, last_name: p.last, email: p.email } });
    assert.equal(ct.status, 201, ct.text);
    // Another person stays as they were.
    const keep = `Keep ${tag} Othername`;
    assert.equal((await admin.req('POST', '/api/v1/leads', { body: { name: keep } })).status, 201);
    // Sign-ins: addMember signed the member in (a session, an address
    // prefix); a wrong password leaves a throttle row keyed by the email.
    assert.ok(count(`SELECT count(*) FROM signin_address WHERE staff_id = ${member.id}`) >= 1, 'a sign-in address');
    assert.ok(count(`SELECT count(*) FROM session WHERE staff_id = ${member.id}`) >= 1, 'a session');
    const bad = await client(srv.base).req('POST', '/api/v1/auth/login', { body: { email: p.email, password: 'wrong-password-here' } });
    assert.equal(bad.status, 401, bad.text);
    assert.ok(count(`SELECT count(*) FROM login_throttle WHERE key LIKE '%${p.email}%'`) >= 1, 'a throttle row');
    // Old rows of two more logs: an API request of the member from an
    // address, an inbound email from the subject.
    sql(`INSERT INTO api_request_log (org_id, at, method, path, status, duration_ms, staff_id, ip, request_id) VALUES (1, '${OLD}', 'GET', '/api/v1/leads', 200, 3, ${member.id}, '${p.ip}', 'rq-${tag}')`);
    sql(`INSERT INTO pipe_log (org_id, received_at, from_addr, to_addr, subject, result, bytes) VALUES (1, '${OLD}', '${p.email}', 'support@example.test', 'About ${p.leadName}', 'ignored', 10)`);

    // Live copies elsewhere: a system log line, a webhook attempt's bodies,
    // an API request path quoting the subject (all recent: not archived).
    const now = () => new Date().toISOString();
    sql(`INSERT INTO system_log (at, org_id, node, status, message) VALUES ('${now()}', 1, 'n1', 500, 'smtp: recipient <${p.email}> refused')`);
    const hook = await admin.req('POST', '/api/v1/webhooks', {
      body: { name: `Hook ${tag}`, url: 'https://hooks.example.test/in', entities: ['lead'], events: ['created'] },
    });
    assert.equal(hook.status, 201, hook.text);
    sql(`INSERT INTO webhook_delivery (org_id, webhook_id, event_type, msg_id, order_key, status, created_at, updated_at) VALUES (1, ${hook.body.id}, 'lead.created', 'msg_${tag}', 'k', 'delivered', '${now()}', '${now()}')`);
    const del = count(`SELECT max(id) FROM webhook_delivery WHERE msg_id = 'msg_${tag}'`);
    sql(`INSERT INTO webhook_attempt (org_id, webhook_id, delivery_id, attempt, at, duration_ms, request_body, response_body) VALUES (1, ${hook.body.id}, ${del}, 1, '${now()}', 5, '{"name":"${p.leadName}"}', 'ok')`);

    // Archive the activity log, the API request log and the pipe log.
    for (const log of ['activity', 'api_requests', 'pipe']) {
      const r = srv.cli(['logs', 'archive', '--log', log, '--older-than', '0']);
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.match(r.stdout, new RegExp(`archived: ${log} of org 1`));
    }
    // A log may have more than one archive (the API request log is written
    // after each answer: rows logged while the run went land in a second
    // file); the values must be in one of them (the search can find).
    const LOGS = ['activity', 'api_requests', 'pipe'];
    const before = (await manifests()).filter((a) => LOGS.includes(a.log));
    const ofLog = (list, log) => list.filter((a) => a.log === log);
    const holding = (a, v) => gunzip(path.join(archiveDir, a.path)).includes(v);
    const held = before.filter((a) => [p.email, p.leadName, p.ip, `"staff_id":${member.id},`].some((v) => holding(a, v)));
    const act = ofLog(before, 'activity').find((a) => holding(a, p.leadName));
    assert.ok(act && holding(act, p.email), 'the activity archive holds the name and the email');
    const pipe = ofLog(before, 'pipe').find((a) => holding(a, p.email));
    assert.ok(pipe, 'the pipe archive holds the email');
    assert.ok(ofLog(before, 'api_requests').some((a) => holding(a, p.ip)), 'an API request archive holds the address');
    assert.equal(Math.max(...before.map((a) => a.id)), pipe.id, 'the pipe archive is the last one');
    const oldActivity = fs.readFileSync(path.join(archiveDir, act.path));

    const req = await admin.req('POST', '/api/v1/gdpr', { body: { type: 'erasure', subject_email: p.email } });
    assert.equal(req.status, 201, req.text);
    const rid = req.body.id;
    const rr = await admin.req('POST', '/api/v1/auth/reauth', { body: { password: srv.admin.password } });
    assert.equal(rr.status, 200, rr.text);

    // 1. The pipe archive's new file cannot be written (a directory is in
    // its place): the erasure fails; the archives before it are rewritten,
    // the pipe archive is untouched; every archive verifies; the database
    // is not changed yet.
    const pipeNew = path.join(archiveDir, pipe.path.replace(/\.jsonl\.gz$/, `.e${rid}.jsonl.gz`));
    fs.mkdirSync(pipeNew);
    const failed = await admin.req('POST', ERASE, { params: { id: rid }, body: { confirm_email: p.email } });
    assert.equal(failed.status, 500, failed.text);
    const mid = (await manifests()).filter((a) => LOGS.includes(a.log));
    for (const a of mid) {
      const f = path.join(archiveDir, a.path);
      assert.equal(sha256(f), a.sha256, `${a.path} matches its manifest`);
      const v = srv.cli(['logs', 'verify', f]);
      assert.equal(v.status, 0, `${a.path}: ${v.stdout}${v.stderr}`);
    }
    const midPipe = mid.find((a) => a.id === pipe.id);
    assert.equal(midPipe.path, pipe.path, 'the pipe archive is as it was');
    assert.equal(midPipe.rewritten_by, null);
    assert.equal(mid.find((a) => a.id === act.id).rewritten_by, rid, 'the activity archive was rewritten before the failure');
    assert.equal((await admin.req('GET', '/api/v1/leads/{id}', { params: { id: lead.body.id } })).body.name, p.leadName,
      'the database waits for the archives');
    assert.equal((await admin.req('GET', '/api/v1/gdpr/{id}', { params: { id: rid } })).body.erased_at, null);
    fs.rmdirSync(pipeNew);

    // 2. A crash after a manifest moved but before its old file went:
    // replaced_path names a file still on disk; and a temporary file of an
    // interrupted write. The next attempt removes both first.
    const leftover = act.path;
    fs.writeFileSync(path.join(archiveDir, leftover), oldActivity);
    sql(`UPDATE log_archive SET replaced_path = '${leftover}' WHERE id = ${act.id}`);
    const tmp = path.join(archiveDir, path.dirname(pipe.path), '.tmp-0123456789abcdef.jsonl.gz');
    fs.writeFileSync(tmp, zlib.gzipSync(`{"id":1,"from_addr":"${p.email}"}\n`));

    sql(`INSERT INTO api_request_log (org_id, at, method, path, status, duration_ms, ip, request_id) VALUES (1, '${now()}', 'GET', '/api/v1/leads/${p.email}', 404, 1, '192.0.2.9', 'rq2-${tag}')`);
    const r = await admin.req('POST', ERASE, { params: { id: rid }, body: { confirm_email: p.email } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.erase_summary.system_log, 1, r.text);
    assert.equal(r.body.erase_summary.webhook_attempts, 1, r.text);
    assert.equal(r.body.erase_summary.api_request_paths, 1, r.text);
    assert.deepEqual(r.body.archives_rewritten.map((a) => a.id), [pipe.id], r.text);
    assert.equal(r.body.erase_summary.archives_rewritten, 1);
    assert.ok(r.body.erase_summary.signin_addresses >= 1, r.text);
    assert.ok(r.body.erase_summary.sessions >= 1, r.text);
    assert.ok(r.body.erase_summary.throttle_rows >= 1, r.text);
    assert.ok(!fs.existsSync(path.join(archiveDir, leftover)), 'the leftover old file is gone');
    assert.ok(!fs.existsSync(tmp), 'the temporary file is gone');

    // Every archive: rewritten by this request, its file matches the
    // manifest, verifies, and holds none of the values.
    const after = (await manifests()).filter((a) => LOGS.includes(a.log));
    assert.equal(after.length, before.length);
    for (const a of after) {
      const was = before.find((x) => x.id === a.id);
      if (held.includes(was)) {
        assert.equal(a.rewritten_by, rid, `${was.path}: rewritten_by`);
        assert.match(a.rewrite_note, new RegExp(`^rewritten by erasure request ${rid} at \\d{4}-`));
        assert.match(a.path, new RegExp(`\\.e${rid}\\.jsonl\\.gz$`));
        assert.ok(!fs.existsSync(path.join(archiveDir, was.path)), `the old ${was.path} is gone`);
      } else {
        assert.equal(a.rewritten_by, null, `${was.path} held nothing: not rewritten`);
      }
      assert.equal(a.replaced_path, null);
      const f = path.join(archiveDir, a.path);
      assert.equal(sha256(f), a.sha256);
      assert.equal(fs.statSync(f).size, a.bytes);
      const v = srv.cli(['logs', 'verify', f]);
      assert.equal(v.status, 0, v.stdout + v.stderr);
      if (a.id === act.id) {
        const side = f.replace(/\.jsonl\.gz$/, '.checkpoint.json');
        assert.equal(fs.readFileSync(side, 'utf8').trim(), a.checkpoint.trim(), 'the checkpoint copy beside the new file');
        assert.ok(!fs.existsSync(path.join(archiveDir, was.path.replace(/\.jsonl\.gz$/, '.checkpoint.json'))));
        assert.match(v.stdout, /ends at its signed checkpoint/);
        assert.match(v.stdout, /personal parts erased/);
      }
      assert.equal(a.rows, was.rows, 'no row removed');
    }
    const byId = (id) => after.find((a) => a.id === id);
    const apiAfter = after.filter((a) => a.log === 'api_requests').map((a) => gunzip(path.join(archiveDir, a.path))).join('');
    const pipeRow = JSON.parse(gunzip(path.join(archiveDir, byId(pipe.id).path)).trim().split('\n')
      .find((l) => l.includes('support@example.test')));
    assert.equal(pipeRow.from_addr, '[DELETED]');
    assert.equal(pipeRow.subject, '[DELETED]');
    const apiRow = JSON.parse(apiAfter.trim().split('\n').find((l) => l.includes(`rq-${tag}`)));
    assert.equal(apiRow.ip, '[DELETED]');
    // The rewrites are in the activity log, and the erasure's row names them.
    assert.equal(count(`SELECT count(*) FROM activity_log WHERE action = 'gdpr_archive_rewrite' AND entity = 'log_archive'`), held.length);
    const h = await admin.req('GET', '/api/v1/activity', { query: { entity: 'gdpr_request', entity_id: rid } });
    const erase = h.body.data.find((x) => x.action === 'erase');
    assert.ok(erase, h.text);
    assert.ok(JSON.stringify(erase).includes(byId(pipe.id).path), JSON.stringify(erase));
    const av = srv.cli(['audit', 'verify']);
    assert.equal(av.status, 0, av.stdout + av.stderr);

    // The member's security records.
    assert.equal(count(`SELECT count(*) FROM signin_address WHERE staff_id = ${member.id}`), 0);
    assert.equal(count(`SELECT count(*) FROM session WHERE staff_id = ${member.id}`), 0);
    assert.equal(count(`SELECT count(*) FROM login_throttle WHERE key LIKE '%${p.email}%'`), 0);
    assert.equal(count(`SELECT count(*) FROM activity_log WHERE actor_id = ${member.id} AND (actor_name IS NOT NULL OR ip IS NOT NULL)`), 0);
    assert.equal((await member.req('GET', '/api/v1/auth/me')).status, 401, 'the member is signed out');

    // Nothing holds any value: the archive directory, the database (the
    // file and WAL on SQLite, the rows on PostgreSQL), the server's log.
    const values = [p.email, p.leadName, p.phone, p.first, p.last, p.ip];
    for (const f of walk(archiveDir)) {
      const t = text(f);
      for (const v of values) assert.ok(!t.includes(v), `${path.relative(archiveDir, f)} holds ${v}`);
    }
    assert.ok(gunzip(path.join(archiveDir, byId(act.id).path)).includes(keep),
      'the other person stays in the archive (the search can find)');
    if (srv.pg) {
      for (const t of ['lead', 'contact', 'activity_log', 'event', 'api_request_log', 'pipe_log', 'login_throttle', 'session', 'signin_address', 'system_log', 'webhook_attempt', 'gdpr_request', 'import_row', 'email_change', 'job', 'email_queue']) {
        for (const v of values) {
          assert.equal(count(`SELECT count(*) FROM ${t} WHERE strpos(${t}::text, '${v}') > 0`), 0, `${t} holds ${v}`);
        }
      }
    } else {
      // The staff account keeps its email (a member leaves through the
      // staff lifecycle, docs/admin-guide.md): the email is looked for in
      // every other row of a dump, every other value in the raw file.
      for (const f of [srv.dbFile, `${srv.dbFile}-wal`].filter((x) => fs.existsSync(x))) {
        const bytes = fs.readFileSync(f);
        for (const v of values.slice(1)) assert.equal(bytes.indexOf(Buffer.from(v)), -1, `${path.basename(f)} holds ${v}`);
      }
      const dump = sql('.dump').split('\n').filter((l) => l.includes(p.email));
      assert.deepEqual(dump.map((l) => l.slice(0, 19)), ['INSERT INTO staff V'], dump.join('\n'));
    }
    assert.equal(count(`SELECT count(*) FROM staff WHERE email = '${p.email}'`), 1, 'the account stays');
    const log = srv.output();
    for (const v of values) assert.ok(!log.includes(v), `server.log holds ${v}`);
  });

  it('an archive whose file is not on this node stops the erasure before anything changes', async () => {
    const tag = uniq('gone');
    const email = `${tag}@subject.test`;
    const l = await admin.req('POST', '/api/v1/leads', { body: { name: `Gone ${tag} Person`, email } });
    assert.equal(l.status, 201, l.text);
    const r = srv.cli(['logs', 'archive', '--log', 'activity', '--older-than', '0']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const a = (await manifests()).find((x) => x.log === 'activity' && x.rewritten_by === null);
    assert.ok(a, 'a new activity archive');
    const f = path.join(archiveDir, a.path);
    const moved = `${f}.elsewhere`;
    fs.renameSync(f, moved);
    const req = await admin.req('POST', '/api/v1/gdpr', { body: { type: 'erasure', subject_email: email } });
    assert.equal(req.status, 201, req.text);
    assert.equal((await admin.req('POST', '/api/v1/auth/reauth', { body: { password: srv.admin.password } })).status, 200);
    const e = await admin.req('POST', ERASE, { params: { id: req.body.id }, body: { confirm_email: email } });
    assert.equal(e.status, 409, e.text);
    assert.match(e.body.detail, /not on this node/);
    assert.ok(e.body.detail.includes(a.path), e.body.detail);
    assert.equal((await admin.req('GET', '/api/v1/leads/{id}', { params: { id: l.body.id } })).body.email, email, 'nothing erased');
    fs.renameSync(moved, f);
    const ok = await admin.req('POST', ERASE, { params: { id: req.body.id }, body: { confirm_email: email } });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(!gunzip(path.join(archiveDir, (await manifests()).find((x) => x.id === a.id).path)).includes(email));
  });
});
