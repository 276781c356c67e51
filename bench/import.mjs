// bench/import.mjs — the import benchmark (issue 15): 100,000 leads from one
// CSV, uploaded, validated and written through /api/v1/imports (both
// modes), against two baselines: `sqlite3 .import` of the same file into a
// plain table (no index: the floor), and sqlite3 writing the same rows
// into Atrium's own lead table (its indexes and FTS5 triggers: the
// database's own share of the work; the speed target is import <= 3 x it).
//
//   make build/atrium && node bench/import.mjs            # SQLite
//   BENCH_ROWS=20000 node bench/import.mjs                # fewer rows
//   ATRIUM_TEST_PG=postgresql://...@127.0.0.1:PORT/ node bench/import.mjs
//
// It starts its own server (the optimised build unless ATRIUM_BIN says
// otherwise) on a fresh database with the test harness, with
// max_body_bytes raised to 20 MiB, and prints the seconds of each phase,
// rows per second, the server's CPU seconds (and on PostgreSQL its
// backends'), the server's peak resident memory (VmHWM), and the ratio to
// sqlite3 .import. See bench/README.md for how to read them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.env.ATRIUM_BIN ||= path.join(ROOT, 'build/atrium');
const { startServer, adminClient } = await import('../tests/http/harness.mjs');

const ROWS = Number(process.env.BENCH_ROWS || 100000);
const STATUSES = ['new', 'contacted', 'qualified', 'proposal', 'won', 'lost'];

function csvOf(n, tag) {
  const lines = ['name,company,email,phone,status,value,source'];
  for (let i = 0; i < n; i++) {
    lines.push(`Lead ${tag} ${i},Company ${i % 997} SRL,lead${i}-${tag}@example.test,+40 721 ${String(i).padStart(6, '0')},`
      + `${STATUSES[i % STATUSES.length]},${(i % 10000) + 0.5},Import`);
  }
  return `${lines.join('\n')}\n`;
}

/* The server's CPU seconds so far (user + system, /proc/PID/stat): far
 * less disturbed than wall time by other work on a shared machine. */
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICKS;
}

/* On PostgreSQL the database's own work is in its backends: the CPU
 * seconds of the backends serving the benchmark's database (the pool's
 * connections live through a run; a backend that ended meanwhile is not
 * counted). 0 on SQLite, where the database is inside the server. */
function dbCpuSeconds(srv) {
  if (!srv.pg) return 0;
  const r = srv.sql('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  let sum = 0;
  for (const pid of r.stdout.split('\n').filter(Boolean)) {
    try { sum += cpuSeconds(Number(pid)); } catch { /* ended */ }
  }
  return sum;
}

function peakRss(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch { return null; }
}

async function waitStatus(c, id, busy) {
  for (;;) {
    const r = await c.req('GET', '/api/v1/imports/{id}', { params: { id } });
    if (!busy.includes(r.body.status)) return r.body;
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function run(c, data, skipBad, pid, srv) {
  const t0 = performance.now();
  const up = await c.req('POST', '/api/v1/imports', {
    query: { entity: 'leads', filename: 'bench.csv' }, raw: data, contentType: 'text/csv',
  });
  if (up.status !== 201) throw new Error(`upload: ${up.status} ${up.text}`);
  const t1 = performance.now();
  const cpu1 = cpuSeconds(pid);
  const db1 = dbCpuSeconds(srv);
  if (skipBad) {
    const p = await c.req('PATCH', '/api/v1/imports/{id}', { params: { id: up.body.id }, body: { skip_bad: true } });
    if (p.status !== 200) throw new Error(`patch: ${p.text}`);
  }
  await c.req('POST', '/api/v1/imports/{id}/validate', { params: { id: up.body.id }, body: {} });
  const v = await waitStatus(c, up.body.id, ['validating']);
  if (v.status !== 'validated') throw new Error(`validation: ${JSON.stringify(v)}`);
  const t2 = performance.now();
  const cpu2 = cpuSeconds(pid);
  await c.req('POST', '/api/v1/imports/{id}/confirm', { params: { id: up.body.id }, body: {} });
  const d = await waitStatus(c, up.body.id, ['queued', 'running']);
  if (d.status !== 'done' || d.created !== ROWS) throw new Error(`write: ${JSON.stringify(d)}`);
  const t3 = performance.now();
  const cpu = cpuSeconds(pid) - cpu1;
  const dbCpu = dbCpuSeconds(srv) - db1;
  return {
    upload: (t1 - t0) / 1000, validate: (t2 - t1) / 1000, write: (t3 - t2) / 1000, cpu, dbCpu, cpuValidate: cpu2 - cpu1,
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-bench-import-'));
const csvA = csvOf(ROWS, 'a');
const csvB = csvOf(ROWS, 'b');
const file = path.join(dir, 'leads.csv');
fs.writeFileSync(file, csvA);

// sqlite3 .import: the floor, parsing and inserting with no checks at all.
const db = path.join(dir, 'plain.db');
const script = path.join(dir, 'import.sql');
fs.writeFileSync(script, 'PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n'
  + 'CREATE TABLE lead (name TEXT, company TEXT, email TEXT, phone TEXT, status TEXT, value TEXT, source TEXT);\n'
  + `.import --csv --skip 1 ${file} lead\n`);
// its CPU time, as the children's rusage of a small Python wrapper
const s0 = performance.now();
const imp = spawnSync('python3', ['-c', 'import resource, subprocess, sys\n'
  + 'subprocess.run(["sqlite3", sys.argv[1]], stdin=open(sys.argv[2]), check=True)\n'
  + 'r = resource.getrusage(resource.RUSAGE_CHILDREN)\nprint(r.ru_utime + r.ru_stime)', db, script], { encoding: 'utf8' });
const sqliteSeconds = (performance.now() - s0) / 1000;
if (imp.status !== 0) throw new Error(`sqlite3: ${imp.stderr}`);
const sqliteCpu = Number(imp.stdout.trim().split('\n').pop());

// sqlite3 into Atrium's own lead table: the same rows with the table's
// indexes and its FTS5 trigram triggers, on the schema `atrium migrate`
// makes on a fresh file (.import into a staging table, then one INSERT ...
// SELECT in one transaction): what the database itself costs for the work
// the import does, with none of the checks, activity rows or events.
const schemaDb = path.join(dir, 'schema.db');
const mig = spawnSync(process.env.ATRIUM_BIN, ['migrate', '--db', `sqlite:${schemaDb}`], {
  encoding: 'utf8', env: { ...process.env, ATRIUM_MASTER_KEY: '00'.repeat(32) },
});
if (mig.status !== 0) throw new Error(`atrium migrate: ${mig.stderr}`);
const sameScript = path.join(dir, 'same.sql');
fs.writeFileSync(sameScript, 'PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n'
  + 'CREATE TEMP TABLE stage (name TEXT, company TEXT, email TEXT, phone TEXT, status TEXT, value TEXT, source TEXT);\n'
  + `.import --csv --skip 1 ${file} stage\n`
  + 'BEGIN;\n'
  + 'INSERT INTO lead (org_id, name, company, email, phone, status, value, source, currency, owner_id,'
  + ' created_by, created_at, updated_at) SELECT 1, name, company, email, phone, status,'
  + " CAST(round(value * 100) AS INTEGER), source, 'EUR', NULL, NULL,"
  + " strftime('%Y-%m-%dT%H:%M:%fZ'), strftime('%Y-%m-%dT%H:%M:%fZ') FROM stage;\n"
  + 'COMMIT;\n');
const s1 = performance.now();
const same = spawnSync('python3', ['-c', 'import resource, subprocess, sys\n'
  + 'subprocess.run(["sqlite3", "-bail", sys.argv[1]], stdin=open(sys.argv[2]), check=True)\n'
  + 'r = resource.getrusage(resource.RUSAGE_CHILDREN)\nprint(r.ru_utime + r.ru_stime)', schemaDb, sameScript], { encoding: 'utf8' });
const sameSeconds = (performance.now() - s1) / 1000;
if (same.status !== 0) throw new Error(`sqlite3 into lead: ${same.stderr}`);
const sameCpu = Number(same.stdout.trim().split('\n').pop());

const srv = await startServer({ env: { ATRIUM_MAX_BODY_BYTES: String(20 << 20) } });
try {
  const c = await adminClient(srv);
  const pid = srv.proc.pid;
  const all = await run(c, Buffer.from(csvA), false, pid, srv);
  const skip = await run(c, Buffer.from(csvB), true, pid, srv);
  const rss = peakRss(pid);
  const total = (r) => r.upload + r.validate + r.write;
  const line = (name, r) => console.log(
    `${name.padEnd(22)} upload ${r.upload.toFixed(2)} s, validate ${r.validate.toFixed(2)} s, write ${r.write.toFixed(2)} s`
    + ` = ${total(r).toFixed(2)} s (${Math.round(ROWS / total(r))} rows/s); server CPU for validate+write ${r.cpu.toFixed(2)} s`
    + ` (${r.cpuValidate.toFixed(2)} + ${(r.cpu - r.cpuValidate).toFixed(2)})`
    + ` (${Math.round(ROWS / r.cpu)} rows per CPU second)`
    + (srv.pg ? `; PostgreSQL backends' CPU ${r.dbCpu.toFixed(2)} s (server + database ${(r.cpu + r.dbCpu).toFixed(2)} s)` : ''));
  console.log(`rows: ${ROWS}, CSV ${(csvA.length / 1048576).toFixed(1)} MiB, ${srv.pg ? 'PostgreSQL' : 'SQLite'}`);
  console.log(`sqlite3 .import         ${sqliteSeconds.toFixed(2)} s, CPU ${sqliteCpu.toFixed(2)} s (${Math.round(ROWS / sqliteCpu)} rows per CPU second)`);
  console.log(`sqlite3 into lead        ${sameSeconds.toFixed(2)} s, CPU ${sameCpu.toFixed(2)} s (${Math.round(ROWS / sameCpu)} rows per CPU second;`
    + ' the migrated table with its indexes and FTS5 triggers)');
  line('all or nothing', all);
  line('skip bad rows', skip);
  console.log(`ratio to sqlite3 .import, by CPU time (all or nothing, validate+write): ${(sqliteCpu / all.cpu).toFixed(3)}`
    + (srv.pg ? `; with the PostgreSQL backends' CPU: ${(sqliteCpu / (all.cpu + all.dbCpu)).toFixed(3)}` : ''));
  console.log(`all or nothing against sqlite3 into lead, by CPU time: ${(all.cpu / sameCpu).toFixed(2)} x`
    + ` (target <= 3 x)${srv.pg ? `; with the PostgreSQL backends' CPU: ${((all.cpu + all.dbCpu) / sameCpu).toFixed(2)} x` : ''}`);
  if (rss) console.log(`server peak RSS: ${rss} MiB`);
} finally {
  await srv.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
