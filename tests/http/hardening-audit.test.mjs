// The activity log's chain is keyed, checkpointed and cannot be rewound or
// emptied unnoticed (issue 8, item 6). Each attack is made the way someone
// with write access to the database would: deleting the newest rows and
// rewinding the head, altering a row and recomputing the (unkeyed) hashes
// of the chain, emptying the log, replaying an older head. `atrium audit
// verify` (with --checkpoint) must fail on each.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServer, adminClient, uniq } from './harness.mjs';

/* The chain's rows of org 1 as JSON, oldest first. */
function rows(srv) {
  const cols = ['seq', 'at', 'actor_id', 'actor_name', 'action', 'entity', 'entity_id', 'diff', 'ip', 'request_id'];
  const q = srv.pg
    ? `SELECT json_agg(json_build_object(${cols.map((c) => `'${c}', ${c}`).join(', ')}) ORDER BY seq) FROM activity_log WHERE org_id = 1`
    : `SELECT json_group_array(json_object(${cols.map((c) => `'${c}', ${c}`).join(', ')})) FROM (SELECT * FROM activity_log WHERE org_id = 1 ORDER BY seq)`;
  const r = srv.sql(q);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/* The unkeyed (pre-0011) BLAKE2b-256 chain of rows, as an attacker who read
 * the source would recompute it: [{seq, prev, hash}]. */
function unkeyedChain(list) {
  const script = `
import hashlib, json, sys
rows = json.load(sys.stdin)
def put(h, s):
    if s is None:
        h.update(b"N"); return
    b = str(s).encode()
    h.update(str(len(b)).encode() + b":" + b)
prev = "0" * 64
out = []
for r in rows:
    h = hashlib.blake2b(digest_size=32)
    for v in ["atrium activity v1", 1, r["seq"], r["at"], r["actor_id"], r["actor_name"], r["action"],
              r["entity"], r["entity_id"], r["diff"], r["ip"], r["request_id"], prev]:
        put(h, v)
    d = h.hexdigest()
    out.append({"seq": r["seq"], "prev": prev, "hash": d})
    prev = d
json.dump(out, sys.stdout)`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(list), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/* An UPDATE/DELETE as an intruder: triggers (if any) off around it. */
function tamper(srv, statement) {
  let r = srv.sql(statement);
  if (r.status === 0) return;
  r = srv.pg ? srv.sql(`ALTER TABLE activity_log DISABLE TRIGGER USER; ${statement}; ALTER TABLE activity_log ENABLE TRIGGER USER;`)
    : srv.sql(statement);
  assert.equal(r.status, 0, `tampering failed: ${r.stderr}`);
}

const verify = (srv, args = [], env = {}) => srv.cli(['audit', 'verify', ...args], { env });
const out = (r) => `${r.stdout}${r.stderr}`;

async function someActivity(srv) {
  const admin = await adminClient(srv);
  for (let i = 0; i < 3; i++) {
    const r = await admin.req('POST', '/api/v1/leads', { body: { name: `Audit ${uniq()}`, email: `l${i}@example.test` } });
    assert.equal(r.status, 201, r.text);
  }
}

describe('atrium audit verify: the keyed chain', () => {
  const servers = {};
  const fresh = async (name) => {
    servers[name] = await startServer();
    await someActivity(servers[name]);
    await servers[name].kill();
    return servers[name];
  };
  after(async () => {
    for (const s of Object.values(servers)) await s.stop();
  });

  it('an untouched log verifies; a checkpoint is written, signed, and verifies', async () => {
    const srv = await fresh('clean');
    const v = verify(srv);
    assert.equal(v.status, 0, out(v));
    assert.match(v.stdout, /ok: org 1, \d+ rows, chain intact/);
    const file = path.join(srv.dir, 'checkpoint.json');
    const c = srv.cli(['audit', 'checkpoint', '--out', file]);
    assert.equal(c.status, 0, out(c));
    const cp = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(cp.format, 'atrium-audit-checkpoint/1');
    assert.equal(cp.chains[0].org_id, 1);
    assert.match(cp.signature, /^[0-9a-f]{128}$/);
    assert.match(cp.public_key, /^[0-9a-f]{64}$/);
    const w = verify(srv, ['--checkpoint', file]);
    assert.equal(w.status, 0, out(w));
    assert.match(w.stdout, /matches the checkpoint at seq \d+/);
    // To standard output too.
    const s = srv.cli(['audit', 'checkpoint']);
    assert.equal(s.status, 0, out(s));
    assert.equal(JSON.parse(s.stdout).format, 'atrium-audit-checkpoint/1');
    // Without the master key nothing can be checked: exit 2, said plainly.
    // (In the server's directory: a ./var/master.key in the checkout, the
    // default key file, would be found from here.)
    const nokey = srv.cli(['audit', 'verify'], { env: { ATRIUM_MASTER_KEY: '' }, cwd: srv.dir });
    assert.equal(nokey.status, 2, out(nokey));
    assert.match(nokey.stderr, /master key/);
  });

  it('deleting the newest rows and rewinding the head fails', async () => {
    const srv = await fresh('rewind');
    const list = rows(srv);
    const keep = list[list.length - 3];
    tamper(srv, `DELETE FROM activity_log WHERE org_id = 1 AND seq > ${keep.seq}`);
    tamper(srv, `UPDATE audit_head SET seq = ${keep.seq}, hash = (SELECT hash FROM activity_log WHERE org_id = 1 AND seq = ${keep.seq}) WHERE org_id = 1`);
    const v = verify(srv);
    assert.equal(v.status, 1, out(v));
    assert.match(out(v), /rewound or rewritten/);
  });

  it('altering a row and recomputing every hash of the chain fails', async () => {
    const srv = await fresh('recompute');
    const list = rows(srv);
    const victim = list[1];
    const altered = list.map((r) => (r.seq === victim.seq ? { ...r, ip: '203.0.113.66' } : r));
    tamper(srv, `UPDATE activity_log SET ip = '203.0.113.66' WHERE org_id = 1 AND seq = ${victim.seq}`);
    const chain = unkeyedChain(altered);
    for (const c of chain) {
      tamper(srv, `UPDATE activity_log SET mac_version = 1, prev_hash = '${c.prev}', hash = '${c.hash}' WHERE org_id = 1 AND seq = ${c.seq}`);
    }
    const last = chain[chain.length - 1];
    tamper(srv, `UPDATE audit_head SET hash = '${last.hash}', mac = NULL WHERE org_id = 1`);
    const v = verify(srv);
    assert.equal(v.status, 1, out(v));
    assert.match(out(v), /not keyed|altered/);
  });

  it('emptying the log (rows and head) fails while the organisation has staff', async () => {
    const srv = await fresh('empty');
    tamper(srv, 'DELETE FROM activity_log');
    tamper(srv, 'DELETE FROM audit_head');
    const v = verify(srv);
    assert.equal(v.status, 1, out(v));
    assert.match(out(v), /the log was emptied/);
  });

  it('an older head replayed with its own MAC passes the chain but not a later checkpoint', async () => {
    const srv = await fresh('replay');
    const saved = srv.sql('SELECT seq, hash, mac FROM audit_head WHERE org_id = 1').stdout.split('|');
    // More activity (the CLI writes the log too), then a checkpoint kept elsewhere.
    const add = srv.cli(['staff', 'add', '--email', `${uniq('late')}@example.test`, '--name', 'Late', '--password-stdin'],
      { input: `${randomBytes(12).toString('hex')}-Aa1\n` });
    assert.equal(add.status, 0, out(add));
    const file = path.join(srv.dir, 'later.json');
    assert.equal(srv.cli(['audit', 'checkpoint', '--out', file]).status, 0);
    // The intruder removes the newest row and puts the saved head back.
    tamper(srv, `DELETE FROM activity_log WHERE org_id = 1 AND seq > ${saved[0]}`);
    tamper(srv, `UPDATE audit_head SET seq = ${saved[0]}, hash = '${saved[1]}', mac = '${saved[2]}' WHERE org_id = 1`);
    assert.equal(verify(srv).status, 0, 'the chain alone cannot tell');
    const v = verify(srv, ['--checkpoint', file]);
    assert.equal(v.status, 1, out(v));
    assert.match(out(v), /truncated after the checkpoint/);
    // A checkpoint signed with another master key is refused.
    const other = verify(srv, ['--checkpoint', file], { ATRIUM_MASTER_KEY: randomBytes(32).toString('hex') });
    assert.equal(other.status, 1, out(other));
    assert.match(out(other), /signature does not hold/);
  });
});
