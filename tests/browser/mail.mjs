// Reads the emails a test SMTP server wrote to a directory, for the
// browser tests: `ATRIUM_MAILDIR` names it. Either a Maildir (new/, cur/;
// e.g. `python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Mailbox DIR`)
// or a plain directory with one file per message.
import fs from 'node:fs/promises';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** The directory from ATRIUM_MAILDIR and the SMTP port from ATRIUM_SMTP_PORT; throws a clear error when unset. */
export function mailEnv() {
  const dir = process.env.ATRIUM_MAILDIR;
  const port = Number(process.env.ATRIUM_SMTP_PORT);
  const missing = [];
  if (!dir) missing.push('ATRIUM_MAILDIR (a directory where a test SMTP server writes each received message as a file)');
  if (!Number.isInteger(port) || port <= 0) missing.push('ATRIUM_SMTP_PORT (the port that SMTP server listens on, on 127.0.0.1)');
  if (missing.length) {
    throw new Error(`This test reads the invitation email from a real SMTP sink, but ${missing.join(' and ')} `
      + `${missing.length > 1 ? 'are' : 'is'} not set. Start one, e.g.\n`
      + '  /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Mailbox /tmp/mail\n'
      + 'and run with ATRIUM_MAILDIR=/tmp/mail ATRIUM_SMTP_PORT=2525.');
  }
  // A Maildir needs new/, cur/ and tmp/; aiosmtpd creates them only when it creates the directory itself.
  if (existsSync(dir) && !existsSync(path.join(dir, 'new'))) {
    for (const sub of ['new', 'cur', 'tmp']) mkdirSync(path.join(dir, sub), { recursive: true });
  }
  return { dir, host: process.env.ATRIUM_SMTP_HOST || '127.0.0.1', port };
}

/** Every message file under dir (Maildir new/ and cur/, or the directory itself). */
async function messageFiles(dir) {
  const out = [];
  for (const sub of ['new', 'cur', '.']) {
    const d = path.join(dir, sub);
    let names;
    try { names = await fs.readdir(d, { withFileTypes: true }); } catch { continue; }
    for (const e of names) {
      if (!e.isFile() || e.name.startsWith('.')) continue;
      const file = path.join(d, e.name);
      const st = await fs.stat(file);
      out.push({ file, mtimeMs: st.mtimeMs });
    }
  }
  return out;
}

/** The files present now, to ignore them later (`exclude` of waitForMail). */
export async function snapshot(dir) {
  return new Set((await messageFiles(dir)).map((m) => m.file));
}

function decodeQuotedPrintable(text) {
  const bytes = [];
  const soft = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words in a header value ("=?utf-8?q?...?=", "=?utf-8?b?...?="). */
function decodeWords(value) {
  return value.replace(/=\?([^?]+)\?([qQbB])\?([^?]*)\?=/g, (_, _charset, enc, data) => (/b/i.test(enc)
    ? Buffer.from(data, 'base64').toString('utf8')
    : decodeQuotedPrintable(data.replace(/_/g, ' '))));
}

/** Splits a message (or a MIME part) into lower-cased headers and its decoded text body. */
export function parseMessage(raw) {
  const text = String(raw);
  const m = /\r?\n\r?\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const rest = m ? text.slice(m.index + m[0].length) : '';
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = decodeWords(line.slice(i + 1).trim());
  }
  const type = headers['content-type'] || 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type);
  if (/^multipart\//i.test(type) && boundary) {
    const parts = rest.split(`--${boundary[1]}`).slice(1).filter((p) => !p.startsWith('--'));
    const parsed = parts.map((p) => parseMessage(p.replace(/^\r?\n/, '')));
    const plain = parsed.find((p) => /^text\/plain/i.test(p.headers['content-type'] || 'text/plain')) || parsed[0];
    return { headers, body: plain ? plain.body : '' };
  }
  const cte = (headers['content-transfer-encoding'] || '7bit').toLowerCase();
  let body = rest;
  if (cte === 'quoted-printable') body = decodeQuotedPrintable(rest);
  else if (cte === 'base64') body = Buffer.from(rest.replace(/\s+/g, ''), 'base64').toString('utf8');
  return { headers, body };
}

/**
 * Waits for the newest message addressed to `to` (To header, or the
 * X-RcptTo that aiosmtpd adds) that is not in `exclude`, optionally also
 * matching `match(message)`. Resolves {file, headers, body}; rejects after
 * `timeout` ms with what was found instead.
 */
export async function waitForMail({ dir, to, exclude = new Set(), match, timeout = 30_000 }) {
  const deadline = Date.now() + timeout;
  const want = to ? to.toLowerCase() : null;
  let seen = [];
  for (;;) {
    const files = (await messageFiles(dir)).filter((f) => !exclude.has(f.file)).sort((a, b) => b.mtimeMs - a.mtimeMs);
    seen = [];
    for (const f of files) {
      let raw;
      try { raw = await fs.readFile(f.file, 'utf8'); } catch { continue; }
      const msg = { file: f.file, ...parseMessage(raw) };
      const rcpt = `${msg.headers.to || ''} ${msg.headers['x-rcptto'] || ''}`.toLowerCase();
      seen.push(`${msg.headers.to || '?'}: ${msg.headers.subject || '?'}`);
      if (want && !rcpt.includes(want)) continue;
      if (match && !match(msg)) continue;
      return msg;
    }
    if (Date.now() > deadline) {
      throw new Error(`no email${to ? ` to ${to}` : ''} arrived in ${dir} within ${timeout} ms`
        + (seen.length ? `; new messages: ${seen.join(' | ')}` : '; no new messages at all'));
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The set-password link (…/set-password#token=…) in a message's text. */
export function setPasswordLink(message) {
  const m = /(https?:\/\/[^\s<>"]*)?\/set-password#token=[A-Za-z0-9_\-.~%]+/.exec(message.body);
  if (!m) throw new Error(`no /set-password#token= link in the email "${message.headers.subject || ''}":\n${message.body}`);
  return m[0];
}
