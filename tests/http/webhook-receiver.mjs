// A webhook receiver on loopback for the tests: every message it gets is
// verified with the npm `standardwebhooks` library (the reference
// implementation of the Standard Webhooks specification, not our C code),
// against every secret the test registered for the path. Paths choose the
// answer: /ok/* 200, /gone/* 410, /fail/* 500, /flaky/N/* 500 for the first
// N messages then 200, /hold/* holds its first message until release() (later ones: 200).
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

export async function startReceiver() {
  const messages = []; // {path, headers, body, json, verified: {secret: bool}}
  const secrets = new Map(); // path prefix -> [secret, ...]
  const held = [];
  const heldPaths = new Set();
  const flakyCount = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url;
      const verified = {};
      for (const [prefix, list] of secrets) {
        if (!path.startsWith(prefix)) continue;
        for (const s of list) {
          try {
            new Webhook(s).verify(body, {
              'webhook-id': req.headers['webhook-id'],
              'webhook-timestamp': req.headers['webhook-timestamp'],
              'webhook-signature': req.headers['webhook-signature'],
            });
            verified[s] = true;
          } catch {
            verified[s] = false;
          }
        }
      }
      let json = null;
      try { json = JSON.parse(body); } catch { /* kept as text */ }
      messages.push({ path, headers: req.headers, body, json, verified, method: req.method });
      const answer = (code, text = 'ok') => { res.writeHead(code, { 'Content-Type': 'text/plain' }); res.end(text); };
      const m = /^\/flaky\/(\d+)\//.exec(path);
      if (path.startsWith('/gone/')) answer(410, 'gone');
      else if (path.startsWith('/fail/')) answer(500, 'receiver secret words that must not be echoed');
      else if (path.startsWith('/hold/') && !heldPaths.has(path)) {
        heldPaths.add(path);
        held.push(() => answer(200));
      }
      else if (m) {
        const n = (flakyCount.get(path) || 0) + 1;
        flakyCount.set(path, n);
        if (n <= Number(m[1])) answer(500, 'not yet'); else answer(200, 'thanks');
      } else answer(200, 'thanks');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    port,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    messages,
    trust(prefix, secret) {
      if (!secrets.has(prefix)) secrets.set(prefix, []);
      secrets.get(prefix).push(secret);
    },
    at: (prefix) => messages.filter((x) => x.path.startsWith(prefix)),
    release() { while (held.length) held.shift()(); },
    heldCount: () => held.length,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}
