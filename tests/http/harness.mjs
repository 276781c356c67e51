// harness.mjs — starts a real `atrium serve` on a fresh database and talks to it.
//
//   const srv = await startServer();          // SQLite, or PostgreSQL when ATRIUM_TEST_PG is set
//   const admin = client(srv.base);
//   await admin.login(srv.admin.email, srv.admin.password);
//   const r = await admin.req('GET', '/api/v1/leads/{id}', { params: { id: 5 } });
//   await srv.stop();                          // SIGTERM, asserts exit code 0, drops the database
//
// Every request names its route PATTERN (as `atrium routes` prints it); the
// client substitutes params and appends {method, pattern, path, status} to the
// coverage file (env ATRIUM_ROUTE_COVERAGE, default
// build/test-results/route-coverage.jsonl), which routes.test.mjs reads.

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.ATRIUM_BIN
  ? path.resolve(process.env.ATRIUM_BIN)
  : path.join(ROOT, 'build', 'san', 'atrium');
export const COVERAGE_FILE = process.env.ATRIUM_ROUTE_COVERAGE
  ? path.resolve(process.env.ATRIUM_ROUTE_COVERAGE)
  : path.join(ROOT, 'build', 'test-results', 'route-coverage.jsonl');
export const PG_BASE = process.env.ATRIUM_TEST_PG || '';

export const ADMIN = { email: 'admin@example.test', name: 'Admin', password: 'Admin-pass-for-http-tests-1' };
export const STAFF = { email: 'staff@example.test', name: 'Staff', password: 'Staff-pass-for-http-tests-2' };

const READY_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 15000;

let dbCounter = 0;

// Servers still running when this test process exits (a crash, a timeout) are killed.
const running = new Set();
process.on('exit', () => {
  for (const p of running) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/* A port that was free a moment ago (listen on 0, read it, close). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function tail(file, lines = 60) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output captured)';
  }
}

function psql(url, sql) {
  const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-At', '-c', sql], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return r;
}

/* Runs the binary synchronously (under the command prefix wrap, e.g.
 * nsenter, when given; in the directory cwd, by default this one);
 * returns {status, stdout, stderr}. */
export function runBin(args, { input = '', env = {}, wrap = [], cwd } = {}) {
  const r = spawnSync(wrap.length ? wrap[0] : BIN, [...wrap.slice(1), ...(wrap.length ? [BIN] : []), ...args], {
    input,
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`cannot run ${BIN} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function mustRun(args, opts) {
  const r = runBin(args, opts);
  if (r.status !== 0) {
    throw new Error(`atrium ${args.join(' ')} exited ${r.status ?? r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  return r;
}

/*
 * The migrated schema, made once per binary and copied for each server.
 * Under the sanitizers `atrium migrate` is most of a server's start (about
 * 2 s on SQLite), and nearly every server of the suite starts from the same
 * schema. The copy holds exactly what migrate writes on a fresh database
 * except its master key check value: each server's first command stores
 * its own key's (cmd_load_key), so every server still has a key of its own.
 * Servers that start without staff (the setup tests, which read migrate's
 * output) or under a command prefix run migrate themselves, and so do the
 * tests about migrate. SQLite: a file beside the binary, named by the
 * binary's identity (a rebuild makes a new one and removes the old), or
 * in the temporary directory when the binary's is not writable (an
 * installed /usr/bin/atrium);
 * PostgreSQL: a database of the test cluster, copied by CREATE DATABASE
 * ... TEMPLATE. Both are made under a private name and renamed into place,
 * so parallel test processes never copy a half-made one.
 */
function templateId() {
  const st = fs.statSync(BIN);
  return createHash('sha256').update(`${BIN}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 16);
}

function templateEnv() {
  return { ATRIUM_MASTER_KEY: randomBytes(32).toString('hex') };
}

/* Where the SQLite template lives: beside the binary, else in the
 * temporary directory. */
function templateDir() {
  const dir = path.dirname(BIN);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return dir;
  } catch {
    return os.tmpdir();
  }
}

function sqliteTemplate() {
  const dir = templateDir();
  const name = `test-template-${templateId()}.db`;
  const file = path.join(dir, name);
  if (fs.existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true });
  mustRun(['migrate', '--db', `sqlite:${tmp}`], { env: templateEnv() });
  const d = spawnSync('sqlite3', ['-bail', tmp, 'DELETE FROM key_check'], { encoding: 'utf8' });
  if (d.status !== 0) throw new Error(`cannot make the SQLite template: ${d.stderr}`);
  fs.renameSync(tmp, file);
  for (const f of fs.readdirSync(dir)) {
    if (/^test-template-[0-9a-f]+\.db$/.test(f) && f !== name) fs.rmSync(path.join(dir, f), { force: true });
  }
  return file;
}

const pgTemplates = new Map(); // pgBase -> template name, in this process
function pgTemplate(pgBase) {
  const name = `atrium_tmpl_${templateId()}`;
  if (pgTemplates.get(pgBase) === name) return name;
  const q = psql(`${pgBase}postgres`, `SELECT 1 FROM pg_database WHERE datname = '${name}'`);
  if (q.status === 0 && q.stdout.trim() === '1') {
    pgTemplates.set(pgBase, name);
    return name;
  }
  const tmp = `${name}_${process.pid}`;
  const mk = (sql, db = 'postgres') => {
    const r = psql(`${pgBase}${db}`, sql);
    if (r.status !== 0) throw new Error(`cannot make the PostgreSQL template (${sql}): ${r.stderr}`);
  };
  mk(`DROP DATABASE IF EXISTS ${tmp} WITH (FORCE)`);
  mk(`CREATE DATABASE ${tmp}`);
  mustRun(['migrate', '--db', pgBase + tmp], { env: templateEnv() });
  mk('DELETE FROM key_check', tmp);
  // Another test process may have renamed its own into place first.
  const r = psql(`${pgBase}postgres`, `ALTER DATABASE ${tmp} RENAME TO ${name}`);
  if (r.status !== 0) mk(`DROP DATABASE IF EXISTS ${tmp} WITH (FORCE)`);
  pgTemplates.set(pgBase, name);
  return name;
}

async function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/* Polls fn() every `every` ms until it returns a truthy value or the time is up. */
export async function waitFor(fn, { timeout = 10000, every = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(every);
  }
}

/*
 * Starts a server on a fresh database.
 *   staff: false  skips creating the admin and the plain staff member (for setup tests).
 *   env: {...}    extra environment for the CLI and the server (ATRIUM_EMAIL_RETRY_BASE_MS, ...).
 *   pgBase: url   a PostgreSQL base URL of the test's own cluster (fault tests), instead
 *                 of ATRIUM_TEST_PG; '' forces SQLite.
 *   dataDir: dir  where the SQLite file goes (default: the server's temp dir), e.g. a
 *                 small tmpfs for the disk-full tests.
 *   readyPath     what start() polls for a 200 (default /readyz; /healthz for a server
 *                 that is up but meant to be unready).
 *   wrap: [...]   a command prefix for the binary and sqlite3 (nsenter into the
 *                 namespace where dataDir is mounted).
 * Returns {base, dbUrl, dbFile, pg, admin, staff, cli(), sql(), output(), kill(), stop(),
 * restart({readyPath})}: restart() starts the server again on the same database (after
 * kill()), on a new port.
 */
/*
 * Fixture policy: administrators must set up 2FA by default
 * (twofa_required_admins), which would stop every admin request at the
 * enrolment step. Tests that are not about 2FA start with that policy off
 * (`atrium settings set security.twofa_required_admins false` before the
 * server starts, logged with actor cli as an operator's change is); the
 * 2FA tests pass { require2faAdmins: true } and exercise enforcement.
 */
/* The servers (and clusters) this process started, so a helper given
 * only a client (raiseSeats) finds the database behind its base URL. */
const liveServers = new Set();
export function registerServer(s) {
  liveServers.add(s);
  return () => liveServers.delete(s);
}

export async function startServer({
  staff = true, env: extraEnv = {}, require2faAdmins = false, pgBase = PG_BASE, dataDir = null,
  readyPath = '/readyz', wrap = [],
} = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-http-'));
  const env = { ATRIUM_MASTER_KEY: randomBytes(32).toString('hex'), ...extraEnv };
  const fromTemplate = staff && !wrap.length;
  let dbUrl;
  let dbName = null;
  let dbFile = null;
  if (pgBase) {
    dbName = `atrium_t_${process.pid}_${++dbCounter}_${randomBytes(3).toString('hex')}`;
    const from = fromTemplate ? ` TEMPLATE ${pgTemplate(pgBase)}` : '';
    const r = psql(`${pgBase}postgres`, `CREATE DATABASE ${dbName}${from}`);
    if (r.status !== 0) throw new Error(`CREATE DATABASE failed: ${r.stderr}`);
    dbUrl = pgBase + dbName;
  } else {
    dbFile = path.join(dataDir || dir, 'atrium.db');
    dbUrl = `sqlite:${dbFile}`;
    if (fromTemplate) fs.copyFileSync(sqliteTemplate(), dbFile);
  }

  const srv = {
    dir, dbUrl, dbName, dbFile, pg: Boolean(pgBase), pgBase, env,
    admin: { ...ADMIN }, staff: { ...STAFF },
    migrateOutput: '',
    proc: null, exit: null, stopped: false, destroyed: false,
  };
  srv.unregister = registerServer(srv);
  srv.kill = () => killServer(srv);
  srv.stop = () => destroyServer(srv);
  srv.restart = async ({ readyPath: rp = '/readyz' } = {}) => {
    await killServer(srv);
    Object.assign(srv, { exit: null, stopped: false, stopping: false, unexpected: false });
    await launch(srv, rp);
  };
  srv.cli = (args, opts = {}) => runBin([...args, '--db', dbUrl], { wrap, ...opts, env: { ...env, ...(opts.env || {}) } });
  srv.sql = (statement) => {
    // The server writes too (batched session touches, token usage): wait
    // for its lock as the server's own connections do, instead of failing
    // at once with SQLITE_BUSY (exit 5).
    const sqlite = [...wrap, 'sqlite3', '-bail', '-cmd', '.timeout 10000', dbFile, statement];
    const r = srv.pg
      ? psql(dbUrl, statement)
      : spawnSync(sqlite[0], sqlite.slice(1), { encoding: 'utf8' });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
  };
  srv.logFile = path.join(dir, 'server.log');
  srv.output = () => { try { return fs.readFileSync(srv.logFile, 'utf8'); } catch { return ''; } };

  try {
    if (!fromTemplate) {
      const m = mustRun(['migrate', '--db', dbUrl], { env, wrap });
      srv.migrateOutput = m.stdout + m.stderr;
    }
    if (!require2faAdmins) {
      mustRun(['settings', 'set', 'security.twofa_required_admins', 'false', '--db', dbUrl], { env, wrap });
    }
    if (staff) {
      mustRun(['admin', 'create', '--email', ADMIN.email, '--name', ADMIN.name, '--password-stdin', '--db', dbUrl],
        { input: `${ADMIN.password}\n`, env, wrap });
      mustRun(['staff', 'add', '--email', STAFF.email, '--name', STAFF.name, '--password-stdin', '--db', dbUrl],
        { input: `${STAFF.password}\n`, env, wrap });
    }
    await launch(srv, readyPath);
  } catch (e) {
    await srv.stop().catch(() => {});
    throw e;
  }
  return srv;

  // Port 0: the kernel gives the server a free port as it binds (no window
  // in which another process could take a port chosen beforehand), and
  // the server names it in its "serving on" line.
  async function launch(s, waitPath) {
    s.port = null;
    s.base = null;
    const logStart = fs.existsSync(s.logFile) ? fs.statSync(s.logFile).size : 0;
    const fd = fs.openSync(s.logFile, 'a');
    const argv = [...wrap, BIN, 'serve', '--listen', '127.0.0.1:0', '--db', dbUrl];
    const proc = spawn(argv[0], argv.slice(1), {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', fd, fd],
    });
    fs.closeSync(fd);
    s.proc = proc;
    running.add(proc);
    s.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        s.exit = { code, signal };
        running.delete(proc);
        if (!s.stopping) {
          s.unexpected = true;
          console.error(`atrium serve (${s.base}) exited unexpectedly: code=${code} signal=${signal}\n` +
            `--- server output (tail) ---\n${tail(s.logFile)}`);
        }
        resolve(s.exit);
      });
      proc.on('error', (err) => {
        s.exit = { code: null, signal: null, error: err };
        resolve(s.exit);
      });
    });
    const end = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (s.exit) {
        throw new Error(`atrium serve exited before it was ready (code=${s.exit.code} signal=${s.exit.signal}` +
          `${s.exit.error ? ` ${s.exit.error.message}` : ''})\n${tail(s.logFile)}`);
      }
      if (!s.port) {
        const m = /serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(s.logFile, 'utf8').slice(logStart));
        if (m) {
          s.port = Number(m[1]);
          s.base = `http://127.0.0.1:${s.port}`;
        }
      }
      if (!s.port) {
        if (Date.now() > end) throw new Error(`atrium serve did not say where it listens\n${tail(s.logFile)}`);
        await sleep(50);
        continue;
      }
      try {
        const r = await fetch(`${s.base}${waitPath}`);
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch { /* not listening yet */ }
      if (Date.now() > end) {
        throw new Error(`atrium serve not ready after ${READY_TIMEOUT_MS} ms\n${tail(s.logFile)}`);
      }
      await sleep(100);
    }
  }
}

/*
 * kill(): SIGTERM, wait (bounded), assert exit code 0. Idempotent. The
 * database is kept, so a test can inspect it afterwards (audit verify).
 */
export async function killServer(srv) {
  if (!srv.proc || srv.stopped) return srv.exit;
  srv.stopped = true;
  srv.stopping = true;
  if (!srv.exit) {
    srv.proc.kill('SIGTERM');
    // The timer is cleared once the server is gone: a pending one would
    // keep the test process alive for the rest of STOP_TIMEOUT_MS.
    let timeout;
    const timer = new Promise((r) => { timeout = setTimeout(() => r('timeout'), STOP_TIMEOUT_MS); });
    const res = await Promise.race([srv.exited, timer]);
    clearTimeout(timeout);
    if (res === 'timeout') {
      srv.proc.kill('SIGKILL');
      await srv.exited;
      assert.fail(`atrium serve did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\n${tail(srv.logFile)}`);
    }
  }
  const { code, signal } = srv.exit;
  assert.ok(!srv.unexpected, `atrium serve had exited before stop (code=${code} signal=${signal})\n${tail(srv.logFile)}`);
  assert.equal(code, 0, `atrium serve must exit 0 on SIGTERM (code=${code} signal=${signal})\n` +
    `--- server output (tail) ---\n${tail(srv.logFile)}`);
  return srv.exit;
}

/* stop(): kill() and then drop the database and remove the temp dir. */
export async function destroyServer(srv) {
  let err = null;
  try {
    await killServer(srv);
  } catch (e) {
    err = e;
  }
  if (!srv.destroyed) {
    srv.destroyed = true;
    srv.unregister?.();
    if (srv.dbName) {
      const r = psql(`${srv.pgBase}postgres`, `DROP DATABASE IF EXISTS ${srv.dbName} WITH (FORCE)`);
      if (r.status !== 0 && !err) err = new Error(`DROP DATABASE failed: ${r.stderr}`);
    }
    if (err && process.env.ATRIUM_KEEP_FAILED) {
      console.error(`keeping ${srv.dir} for inspection`);
    } else {
      fs.rmSync(srv.dir, { recursive: true, force: true });
    }
  }
  if (err) throw err;
}

// ---------------------------------------------------------------------------
// HTTP client

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/* Records one request for the route meta-test; as: who asked, when the
 * client says (c.as = 'business-admin': the meta-test wants operator
 * routes refused to one). */
export function recordCoverage(method, pattern, urlPath, status, as) {
  fs.mkdirSync(path.dirname(COVERAGE_FILE), { recursive: true });
  const e = { method, pattern, path: urlPath, status };
  if (as) e.as = as;
  fs.appendFileSync(COVERAGE_FILE, `${JSON.stringify(e)}\n`);
}

/* Fills {name} and * in a route pattern from params (values are URI-encoded). */
export function fillPattern(pattern, params = {}) {
  return pattern
    .replace(/\{([^}]+)\}/g, (_, k) => {
      if (!(k in params)) throw new Error(`missing param '${k}' for ${pattern}`);
      return encodeURIComponent(String(params[k]));
    })
    .replace(/\*$/, () => (params['*'] ?? ''));
}

/*
 * A client with a cookie jar and a remembered CSRF token.
 *   req(method, pattern, {params, query, body, raw, contentType, headers, csrf, timeout})
 *     body: sent as JSON; raw: sent as is (with contentType, default application/json)
 *     csrf: false to leave X-CSRF-Token out on an unsafe method
 *     timeout: ms before the request is aborted (a bound for fault tests)
 *   returns {status, headers, body, text, setCookies}
 */
export function client(base) {
  const jar = new Map();
  const c = {
    base,
    csrf: null,
    jar,
    cookieHeader() {
      return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    setCookie(name, value) {
      jar.set(name, value);
    },
    sessionCookie() {
      for (const [k, v] of jar) if (/atrium_session$/.test(k)) return { name: k, value: v };
      return null;
    },
    async req(method, pattern, opts = {}) {
      const { params = {}, query, body, raw, contentType, headers = {}, csrf = true, timeout, binary = false } = opts;
      let urlPath = fillPattern(pattern, params);
      let qs = '';
      if (query !== undefined) {
        qs = typeof query === 'string' ? query : new URLSearchParams(query).toString();
      }
      const url = `${base}${urlPath}${qs ? `?${qs}` : ''}`;
      const h = {};
      if (jar.size) h.Cookie = c.cookieHeader();
      let payload;
      if (raw !== undefined) {
        payload = raw;
        h['Content-Type'] = contentType ?? 'application/json';
      } else if (body !== undefined) {
        payload = JSON.stringify(body);
        h['Content-Type'] = 'application/json';
      }
      if (UNSAFE.has(method) && csrf && c.csrf) h['X-CSRF-Token'] = c.csrf;
      Object.assign(h, headers);
      for (const k of Object.keys(h)) if (h[k] === undefined || h[k] === null) delete h[k];
      const res = await fetch(url, {
        method, headers: h, body: payload, redirect: 'manual',
        signal: timeout ? AbortSignal.timeout(timeout) : undefined,
      });
      // binary: the body as bytes (r.bytes, a Buffer), e.g. an xlsx download
      // (a problem+json answer is still read as text and parsed)
      const bytes = binary ? Buffer.from(await res.arrayBuffer()) : undefined;
      const text = !binary ? await res.text() : /json/i.test(res.headers.get('content-type') || '') ? bytes.toString() : '';
      const setCookies = typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : [];
      for (const sc of setCookies) {
        const [pair, ...attrs] = sc.split(';');
        const eq = pair.indexOf('=');
        if (eq < 0) continue;
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        const a = attrs.join(';');
        const maxAge = /max-age\s*=\s*(-?\d+)/i.exec(a);
        const expires = /expires\s*=\s*([^;]+)/i.exec(a);
        const expired = (maxAge && Number(maxAge[1]) <= 0) ||
          (expires && Date.parse(expires[1]) < Date.now()) || value === '';
        if (expired) jar.delete(name); else jar.set(name, value);
      }
      const ct = res.headers.get('content-type') || '';
      let parsed = text;
      if (/json/i.test(ct) && text.length) {
        try { parsed = JSON.parse(text); } catch { parsed = text; }
      }
      if (parsed && typeof parsed === 'object' && typeof parsed.csrf_token === 'string') c.csrf = parsed.csrf_token;
      recordCoverage(method, pattern, urlPath, res.status, c.as);
      return { status: res.status, headers: res.headers, body: parsed, text, bytes, setCookies, url };
    },
    async login(email, password) {
      const r = await c.req('POST', '/api/v1/auth/login', { body: { email, password } });
      assert.equal(r.status, 200, `login as ${email} failed: ${r.status} ${r.text}`);
      return r;
    },
  };
  return c;
}

/* Signed-in clients for the two members every server starts with. */
export async function adminClient(srv) {
  const c = client(srv.base);
  const r = await c.login(srv.admin.email, srv.admin.password);
  c.me = r.body.staff;
  return c;
}

export async function staffClient(srv) {
  const c = client(srv.base);
  const r = await c.login(srv.staff.email, srv.staff.password);
  c.me = r.body.staff;
  return c;
}

// ---------------------------------------------------------------------------
// Assertions shared by the test files

/* Asserts a problem+json response with the given status and type name. */
export function assertProblem(r, status, type) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 500)}`);
  const ct = r.headers.get('content-type') || '';
  assert.match(ct, /^application\/problem\+json/i, `content-type of a ${status} must be problem+json, got '${ct}'`);
  assert.equal(typeof r.body, 'object', `problem body must be JSON: ${r.text.slice(0, 200)}`);
  assert.equal(r.body.status, status, 'problem.status');
  if (type) {
    assert.equal(typeof r.body.type, 'string', 'problem.type');
    assert.ok(r.body.type.endsWith(`/${type}`), `problem.type should end in /${type}, got ${r.body.type}`);
  }
  assert.equal(typeof r.body.title, 'string', 'problem.title');
  assert.ok(r.body.title.length > 0, 'problem.title not empty');
  assert.equal(typeof r.body.request_id, 'string', 'problem.request_id');
  assert.equal(r.body.request_id, r.headers.get('x-request-id'), 'problem.request_id equals X-Request-Id');
}

/* Asserts any 4xx problem+json (status class only). */
export function assertClientProblem(r) {
  assert.ok(r.status >= 400 && r.status < 500, `expected a 4xx, got ${r.status}: ${r.text.slice(0, 300)}`);
  assert.match(r.headers.get('content-type') || '', /^application\/problem\+json/i);
  assert.equal(r.body.status, r.status);
}

/* True when an error names `field` (also tags[0], tags.0 for array items). */
function fieldMatches(e, field) {
  return e.field === field || (typeof e.field === 'string' &&
    (e.field.startsWith(`${field}[`) || e.field.startsWith(`${field}.`)));
}

/*
 * Asserts a 422 validation problem naming every field in `expected`
 * ({field: code | [codes] | null for any code}).
 */
export function assertFieldErrors(r, expected) {
  assertProblem(r, 422, 'validation');
  assert.ok(Array.isArray(r.body.errors), `errors must be an array: ${r.text}`);
  for (const e of r.body.errors) {
    assert.equal(typeof e.field, 'string', `error.field: ${JSON.stringify(e)}`);
    assert.equal(typeof e.code, 'string', `error.code: ${JSON.stringify(e)}`);
  }
  for (const [field, code] of Object.entries(expected)) {
    const hits = r.body.errors.filter((e) => fieldMatches(e, field));
    assert.ok(hits.length > 0, `errors should name '${field}': ${JSON.stringify(r.body.errors)}`);
    if (code !== null) {
      const codes = Array.isArray(code) ? code : [code];
      assert.ok(hits.some((e) => codes.includes(e.code)),
        `'${field}' should have code ${codes.join('|')}: ${JSON.stringify(hits)}`);
    }
  }
}

/*
 * Fails when a JSON value carries secret material anywhere: a key that names a
 * hash, secret, salt, seed or token, a string-valued key that names a password,
 * or a value that looks like a password hash. (Flags such as
 * must_change_password: false are fine.)
 */
export function assertNoSecrets(value, extra = []) {
  const bad = [];
  (function walk(v, at) {
    if (Array.isArray(v)) { v.forEach((x, i) => walk(x, `${at}[${i}]`)); return; }
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const here = `${at}.${k}`;
        if (/hash|secret|salt|seed|recovery|^token$|_token$/i.test(k) && k !== 'csrf_token') bad.push(here);
        else if (/pass(word)?/i.test(k) && typeof x === 'string') bad.push(here);
        walk(x, here);
      }
      return;
    }
    if (typeof v === 'string') {
      if (/\$argon2|\$2[aby]\$|\$scrypt/.test(v)) bad.push(`${at} (a hash value)`);
      for (const s of extra) if (s && v.includes(s)) bad.push(`${at} (contains a known secret)`);
    }
  })(value, '$');
  assert.deepEqual(bad, [], 'no secret material in the response');
}

export const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/* A short unique token for names, so tests can scope lists with q=. */
export function uniq(prefix = 't') {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

// ---------------------------------------------------------------------------
// A real SMTP server for tests that read the mail Atrium sends

export const SMTP_SINK = {
  script: path.join(ROOT, 'tests', 'http', 'smtp_sink.py'),
  python: '/usr/bin/python3', // a pyenv python3 on PATH may lack aiosmtpd
  user: 'atrium-mailer',
  password: 'Smtp-secret-for-http-tests-7',
  from: 'crm@example.test',
};

const sinks = new Set();
process.on('exit', () => {
  for (const p of sinks) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/*
 * Starts tests/http/smtp_sink.py (AUTH required) on a free loopback port,
 * writing to <dir>/sink-<port>.jsonl. Returns {port, file, messages(),
 * to(addr), waitFor(addr, pred, opts), stop()}; the messages are the sink's
 * JSON records (subject, body decoded from its transfer encoding, raw, ...).
 * Point the server at it with configureSmtp().
 */
export async function startSmtpSink(dir) {
  const port = await freePort();
  const file = path.join(dir, `sink-${port}.jsonl`);
  const proc = spawn(SMTP_SINK.python, [SMTP_SINK.script, '--port', String(port), '--out', file,
    '--user', SMTP_SINK.user, '--password', SMTP_SINK.password], { stdio: ['ignore', 'pipe', 'pipe'] });
  sinks.add(proc);
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`smtp sink exited ${code}: ${err}`)));
  });
  const s = {
    port,
    file,
    messages() {
      if (!fs.existsSync(file)) return [];
      return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    to(addr) {
      return s.messages().filter((m) => m.rcpt_tos.includes(addr));
    },
    /* Polls (bounded) until a message to addr satisfies pred; returns it. */
    async waitFor(addr, pred = () => true, { timeout = 30000, what } = {}) {
      return waitFor(() => s.to(addr).find(pred), { timeout, every: 200, what: what || `an email to ${addr}` });
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) { sinks.delete(proc); return; }
      proc.kill('SIGTERM');
      await exited;
      sinks.delete(proc);
    },
  };
  return s;
}

/* Points the server's SMTP settings at a sink (as an administrator). */
export async function configureSmtp(adminC, sink) {
  const r = await adminC.req('PATCH', '/api/v1/settings/{group}', {
    params: { group: 'smtp' },
    body: {
      smtp_host: '127.0.0.1', smtp_port: sink.port, smtp_security: 'none', smtp_email: SMTP_SINK.from,
      smtp_username: SMTP_SINK.user, smtp_password: SMTP_SINK.password,
      // The sink has no TLS: the password goes in clear on loopback, which
      // Atrium sends only with this explicit, logged confirmation.
      smtp_plaintext_password: true,
    },
  });
  assert.equal(r.status, 200, `configure SMTP: ${r.status} ${r.text}`);
  return r;
}

// ---------------------------------------------------------------------------
// A PostgreSQL cluster of the test's own, for fault tests (restart, pause,
// damage): scripts/pgtmp in a fresh directory, on 127.0.0.1 only.

const PGTMP = path.join(ROOT, 'scripts', 'pgtmp');
const clusters = new Set();
process.on('exit', () => {
  for (const dir of clusters) spawnSync(PGTMP, ['stop', dir]);
});

function pgtmp(...args) {
  const r = spawnSync(PGTMP, args, { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`pgtmp ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/*
 * Starts a durable cluster (fsync on). Returns {dir, base, psql(db, sql), restart(),
 * pause(), resume(), stop()}; base is a URL ending in '/' for startServer({pgBase}).
 */
export function startCluster() {
  const dir = fs.mkdtempSync('/tmp/atrium-pgf.');
  clusters.add(dir);
  const base = pgtmp('start', '--durable', dir);
  return {
    dir,
    base,
    psql: (db, sql) => psql(`${base}${db}`, sql),
    restart: () => pgtmp('restart', dir),
    pause: () => pgtmp('pause', dir),
    resume: () => pgtmp('resume', dir),
    stop: () => {
      pgtmp('stop', dir);
      clusters.delete(dir);
    },
  };
}

/* Sets the seat limit of the client's organisation (n included, no
 * extra) as the operator does: `atrium org seats` on the database of the
 * server that client talks to (the settings API shows seats read-only). */
export async function raiseSeats(admin, n = 100000) {
  const srv = [...liveServers].find((s) => s.base === admin.base);
  assert.ok(srv, `raiseSeats: no server started here answers at ${admin.base}`);
  const org = admin.me?.org_id ?? 1;
  const r = srv.cli(['org', 'seats', String(org), '--members-included', String(n), '--extra-seats', '0']);
  assert.equal(r.status, 0, `cannot set the seat limit: ${r.stdout}${r.stderr}`);
}

/* Creates a role with the permission matrix given. */
export async function addRole(admin, name, permissions) {
  const r = await admin.req('POST', '/api/v1/roles', { body: { name, permissions } });
  assert.equal(r.status, 201, `role ${name}: ${r.status} ${r.text}`);
  return r.body;
}

/* A signed-in member: added by the admin with `fields` (role_id,
 * department_ids, ...) and a temporary password, which the member changes
 * at once. Returns the client, with .id, .me and .record. */
export async function addMember(srv, admin, fields = {}, label = 'member') {
  const tag = uniq(label);
  const email = `${tag}@example.test`;
  const temp = `Temp-${tag}-password`;
  const r = await admin.req('POST', '/api/v1/staff', {
    body: { email, name: `${label} ${tag}`, ...fields, temporary_password: temp },
  });
  assert.equal(r.status, 201, `adding ${label}: ${r.status} ${r.text}`);
  const c = client(srv.base);
  await c.login(email, temp);
  const ch = await c.req('POST', '/api/v1/auth/password/change', {
    body: { current_password: temp, new_password: `${temp}-changed` },
  });
  assert.equal(ch.status, 200, `password change of ${label}: ${ch.status} ${ch.text}`);
  c.id = r.body.id;
  c.me = ch.body.staff;
  c.record = r.body;
  return c;
}

// Child processes of this file (extra nodes) die with it.
const nodeChildren = new Set();
process.on('exit', () => {
  for (const p of nodeChildren) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
});

/* Another `atrium serve` on srv's database (a second node of a cluster),
 * started with srv's environment plus env; ready when it answers /readyz.
 * Returns {proc, exited, base, log, pid}; stop it with stopNode. */
export async function startNode(srv, tag, env = {}, args = []) {
  const port = await freePort();
  const log = path.join(srv.dir, `node-${tag}.log`);
  const fd = fs.openSync(log, 'a');
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--db', srv.dbUrl, ...args],
    { cwd: srv.dir, env: { ...process.env, ...srv.env, ...env }, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  nodeChildren.add(proc);
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    try {
      const r = await fetch(`${base}/readyz`);
      await r.arrayBuffer();
      return r.status === 200;
    } catch { return false; }
  }, { timeout: 20000, what: `node ${tag} ready` });
  return { proc, exited, base, log, pid: proc.pid };
}

/* SIGTERM, and the node must exit 0 (a node the test killed is left as
 * it is). */
export async function stopNode(n) {
  if (!nodeChildren.has(n.proc)) return;
  if (n.proc.exitCode !== null || n.proc.signalCode !== null) {
    nodeChildren.delete(n.proc);
    return;
  }
  n.proc.kill('SIGTERM');
  const e = await n.exited;
  nodeChildren.delete(n.proc);
  assert.equal(e.code, 0, `node must exit 0 on SIGTERM\n${fs.readFileSync(n.log, 'utf8').slice(-3000)}`);
}
