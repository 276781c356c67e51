// bench/signin.mjs — sign-ins under load (issue 18): CONC clients sign in
// over and over for SECS seconds (POST /api/v1/auth/login, one argon2id
// verification each) while PROBE clients list leads with a session; prints
// the sign-ins' latency (each answered attempt, and end to end: a 503
// "busy, retry" is retried after its Retry-After, as a browser would) and
// the probe's latency. Bounded: fixed clients, fixed time, loopback only.
//
// node bench/signin.mjs URL EMAIL PASSWORD COOKIE [CONC=8] [SECS=10] [PROBE=4]
const [url, email, password, cookie] = process.argv.slice(2, 6);
const conc = Number(process.argv[6] ?? 8);
const secs = Number(process.argv[7] ?? 10);
const probes = Number(process.argv[8] ?? 4);
if (!cookie) {
  console.error("usage: node bench/signin.mjs URL EMAIL PASSWORD COOKIE [CONC] [SECS] [PROBE]");
  process.exit(2);
}
const end = performance.now() + secs * 1000;
const attempt = [], whole = [], probe = [];
let busy = 0, failed = 0;
const body = JSON.stringify({ email, password });

async function signer() {
  while (performance.now() < end) {
    const t0 = performance.now();
    for (;;) {
      const a0 = performance.now();
      const res = await fetch(`${url}/api/v1/auth/login`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body,
      });
      await res.arrayBuffer();
      attempt.push(performance.now() - a0);
      if (res.status === 200) {
        whole.push(performance.now() - t0);
        break;
      }
      if (res.status !== 503 && res.status !== 429) {
        failed++;
        break;
      }
      busy++;
      const wait = Number(res.headers.get("retry-after") ?? 1) * 1000;
      if (performance.now() + wait >= end) return;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function prober() {
  while (performance.now() < end) {
    const t0 = performance.now();
    const res = await fetch(`${url}/api/v1/leads?limit=50`, { headers: { Cookie: cookie } });
    await res.arrayBuffer();
    if (res.status === 200) probe.push(performance.now() - t0);
    else failed++;
  }
}

function pct(a, p) {
  if (!a.length) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const ms = (v) => `${v.toFixed(1)} ms`;

await Promise.all([
  ...Array.from({ length: conc }, signer),
  ...Array.from({ length: probes }, prober),
]);
console.log(`sign-ins (${conc} clients)        ${(whole.length / secs).toFixed(1).padStart(8)} /s   ` +
  `end to end p50 ${ms(pct(whole, 50))}  p99 ${ms(pct(whole, 99))};  ` +
  `each attempt p50 ${ms(pct(attempt, 50))};  busy (503/429) ${busy}`);
console.log(`list probe (${probes} clients)       ${(probe.length / secs).toFixed(0).padStart(8)} req/s ` +
  `p50 ${ms(pct(probe, 50))}  p99 ${ms(pct(probe, 99))}`);
if (failed) {
  console.log(`unexpected answers: ${failed}`);
  process.exitCode = 1;
}
