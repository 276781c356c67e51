// cluster.mjs — several `atrium serve` nodes on one PostgreSQL database
// behind HAProxy, for tests/cluster/*.test.mjs (run by `make cluster-test`,
// scripts/cluster-test).
//
//   const cl = await startAtriumCluster({ pg });        // 3 nodes + HAProxy
//   const admin = client(cl.base);                       // through HAProxy
//   cl.nodes[0].base                                     // one node directly
//   await cl.nodes[1].kill('SIGKILL'); await cl.nodes[1].start();
//   await cl.stop();                                     // every process, by PID
//
// pg is a harness startCluster() (a PostgreSQL of the test's own: fault tests
// stop it) or {base} from ATRIUM_CLUSTER_PG (the one scripts/cluster-test
// started). HAProxy runs scripts/cluster/haproxy.cfg itself, the file the
// operations guide shows, with the addresses given through the environment.
// Each node keeps its port across restarts (HAProxy's config names it).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { ADMIN, BIN, ROOT, STAFF, freePort, registerServer, runBin, waitFor } from '../http/harness.mjs';

export const HAPROXY_CFG = path.join(ROOT, 'scripts', 'cluster', 'haproxy.cfg');
const HAPROXY = process.env.HAPROXY || '/usr/sbin/haproxy';
const STOP_TIMEOUT_MS = 20000;

// Every process this file started dies with the test process (a crash, a
// timeout); stop() ends them in order first.
const children = new Set();
process.on('exit', () => {
  for (const p of children) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
});
// A signal (the runner stopped, Ctrl-C) exits through process.exit, so that
// the 'exit' handlers above and the harness's (SMTP sinks, PostgreSQL
// clusters) end every process this test started.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1)));
}

function psql(url, sql) {
  const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-At', '-c', sql], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

function mustRun(args, opts) {
  const r = runBin(args, opts);
  if (r.status !== 0) throw new Error(`atrium ${args.join(' ')}: ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/* The base URL of the PostgreSQL the runner started (scripts/cluster-test). */
export function sharedPg() {
  const base = process.env.ATRIUM_CLUSTER_PG || process.env.ATRIUM_TEST_PG;
  if (!base) throw new Error('set ATRIUM_CLUSTER_PG (scripts/cluster-test does) to a PostgreSQL base URL');
  return { base };
}

/* GET path on base: {status, text}, or {status: 0} when nothing answers. */
export async function probe(base, p = '/readyz', timeout = 3000) {
  try {
    const r = await fetch(`${base}${p}`, { signal: AbortSignal.timeout(timeout) });
    return { status: r.status, text: await r.text(), headers: r.headers };
  } catch {
    return { status: 0, text: '' };
  }
}

/*
 * Starts nodes (default 3) on a fresh database of pg, then HAProxy.
 *   env: extra environment for every node (drain_ms, webhook_allow_private, ...)
 * Returns {base, dbUrl, nodes[], haproxy, sql(), stop(), admin, staff}.
 */
export async function startAtriumCluster({ pg, nodes: count = 3, env: extraEnv = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-cluster-'));
  const dbName = `atrium_c_${process.pid}_${randomBytes(3).toString('hex')}`;
  const made = psql(`${pg.base}postgres`, `CREATE DATABASE ${dbName}`);
  if (made.status !== 0) throw new Error(`CREATE DATABASE: ${made.stderr}`);
  const dbUrl = pg.base + dbName;
  const lbPort = await freePort();
  const base = `http://127.0.0.1:${lbPort}`;
  const env = {
    ATRIUM_MASTER_KEY: randomBytes(32).toString('hex'),
    // every node names the same public address: the load balancer's
    ATRIUM_PUBLIC_URL: base,
    // HAProxy on loopback passes the client's address (X-Forwarded-For), and
    // all its connections come from one address (docs: Several nodes)
    ATRIUM_TRUST_PROXY: 'true',
    ATRIUM_PER_IP_CONN_LIMIT: '1024',
    ...extraEnv,
  };
  const cl = {
    dir, dbUrl, dbName, base, env, pg, nodes: [], haproxy: null,
    admin: { ...ADMIN }, staff: { ...STAFF },
    sql: (statement) => psql(dbUrl, statement),
  };
  cl.cli = (args) => runBin([...args, '--db', dbUrl], { env });
  cl.unregister = registerServer(cl);

  const node = (i, port) => {
    const n = {
      name: `n${i + 1}`, port, base: `http://127.0.0.1:${port}`,
      log: path.join(dir, `n${i + 1}.log`), proc: null, exited: null, exit: null,
      output: () => { try { return fs.readFileSync(n.log, 'utf8'); } catch { return ''; } },
      alive: () => Boolean(n.proc && n.exit === null),
      // Starts the node (again) on its port; resolves when /readyz answers 200.
      async start({ ready = true } = {}) {
        const fd = fs.openSync(n.log, 'a');
        const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--db', dbUrl],
          { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
        fs.closeSync(fd);
        n.proc = proc;
        n.exit = null;
        children.add(proc);
        n.exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
          n.exit = { code, signal };
          children.delete(proc);
          resolve(n.exit);
        }));
        if (ready) {
          await waitFor(async () => {
            if (n.exit) throw new Error(`${n.name} exited at start: ${JSON.stringify(n.exit)}\n${n.output().slice(-3000)}`);
            return (await probe(n.base)).status === 200;
          }, { timeout: 30000, what: `${n.name} ready` });
        }
        return n;
      },
      // Sends sig and waits (bounded) for the exit; SIGTERM must exit 0.
      async kill(sig = 'SIGTERM') {
        if (!n.alive()) return n.exit;
        n.proc.kill(sig);
        let t;
        const timer = new Promise((r) => { t = setTimeout(() => r('timeout'), STOP_TIMEOUT_MS); });
        const res = await Promise.race([n.exited, timer]);
        clearTimeout(t);
        if (res === 'timeout') {
          n.proc.kill('SIGKILL');
          await n.exited;
          assert.fail(`${n.name} did not exit within ${STOP_TIMEOUT_MS} ms of ${sig}\n${n.output().slice(-3000)}`);
        }
        if (sig === 'SIGTERM') {
          assert.equal(n.exit.code, 0, `${n.name} must exit 0 on SIGTERM\n${n.output().slice(-3000)}`);
        }
        return n.exit;
      },
      // The request ids this node logged (one line per request).
      requestIds() {
        return new Set([...n.output().matchAll(/ req=([^ ]+) /g)].map((m) => m[1]));
      },
    };
    return n;
  };

  try {
    mustRun(['migrate', '--db', dbUrl], { env });
    mustRun(['settings', 'set', 'security.twofa_required_admins', 'false', '--db', dbUrl], { env });
    mustRun(['admin', 'create', '--email', ADMIN.email, '--name', ADMIN.name, '--password-stdin', '--db', dbUrl],
      { input: `${ADMIN.password}\n`, env });
    mustRun(['staff', 'add', '--email', STAFF.email, '--name', STAFF.name, '--password-stdin', '--db', dbUrl],
      { input: `${STAFF.password}\n`, env });
    for (let i = 0; i < count; i++) cl.nodes.push(node(i, await freePort()));
    // one at a time: three sanitizer builds starting at once on two cores
    for (const n of cl.nodes) await n.start();
    await startHaproxy(cl, lbPort);
  } catch (e) {
    await stopCluster(cl).catch(() => {});
    throw e;
  }
  cl.stop = () => stopCluster(cl);
  // Which node logged request id rid (null: none).
  cl.nodeOf = (rid) => cl.nodes.find((n) => n.requestIds().has(rid)) || null;
  return cl;
}

async function startHaproxy(cl, lbPort) {
  const log = path.join(cl.dir, 'haproxy.log');
  const fd = fs.openSync(log, 'a');
  const env = {
    ...process.env,
    ATRIUM_LB_BIND: `127.0.0.1:${lbPort}`,
    ATRIUM_NODE1: `127.0.0.1:${cl.nodes[0].port}`,
    ATRIUM_NODE2: `127.0.0.1:${cl.nodes[1]?.port ?? cl.nodes[0].port}`,
    ATRIUM_NODE3: `127.0.0.1:${cl.nodes[2]?.port ?? cl.nodes[0].port}`,
  };
  // -db: in the foreground, no daemon: stopped by its PID like the nodes.
  const proc = spawn(HAPROXY, ['-db', '-f', HAPROXY_CFG], { env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  children.add(proc);
  const h = { proc, log, exit: null };
  h.exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
    h.exit = { code, signal };
    children.delete(proc);
    resolve(h.exit);
  }));
  proc.on('error', () => {});
  cl.haproxy = h;
  await waitFor(async () => {
    if (h.exit) throw new Error(`haproxy exited: ${fs.readFileSync(log, 'utf8')}`);
    return (await probe(cl.base)).status === 200;
  }, { timeout: 20000, what: 'HAProxy answers' });
}

async function stopCluster(cl) {
  const errors = [];
  cl.unregister?.();
  if (cl.haproxy && !cl.haproxy.exit) {
    cl.haproxy.proc.kill('SIGTERM');
    await cl.haproxy.exited;
  }
  // all at once: each drains (drain_ms) before it stops
  for (const r of await Promise.allSettled(cl.nodes.map((n) => n.kill('SIGTERM')))) {
    if (r.status === 'rejected') errors.push(r.reason);
  }
  const r = psql(`${cl.pg.base}postgres`, `DROP DATABASE IF EXISTS ${cl.dbName} WITH (FORCE)`);
  if (r.status !== 0) errors.push(new Error(`DROP DATABASE: ${r.stderr}`));
  if ((errors.length && process.env.ATRIUM_KEEP_FAILED) || process.env.ATRIUM_KEEP_CLUSTER) console.error(`keeping ${cl.dir}`);
  else fs.rmSync(cl.dir, { recursive: true, force: true });
  if (errors.length) throw errors[0];
}
