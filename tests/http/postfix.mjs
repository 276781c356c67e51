// A throwaway Postfix (Debian's package) for tests/http/postfix.test.mjs:
// an instance of its own under a temp directory (`postfix -c DIR`), its own
// queue and data directories and log file, listening on 127.0.0.1 only, on
// a port the kernel gives, that relays nothing, looks nothing up in DNS and
// has no transport to any other host.
//
// It accepts mail for two kinds of address:
//   - the department addresses (relay_domains + transport_maps, exactly the
//     operations guide's configuration): delivered by the pipe(8) transport
//     `atrium`, which runs `atrium pipe` as an unprivileged user;
//   - a customer's mailboxes (virtual_mailbox_domains, Maildir under the
//     temp directory): where Atrium's own email to a contact and Postfix's
//     bounces land, for the test to read.
// Anything else is refused at RCPT.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './harness.mjs';

export const POSTFIX = '/usr/sbin/postfix';
const POSTMAP = '/usr/sbin/postmap';
const POSTQUEUE = '/usr/sbin/postqueue';
export const SMTP_SEND = path.join(path.dirname(fileURLToPath(import.meta.url)), 'smtp_send.py');

/* The account pipe(8) runs `atrium pipe` as (never root, never mail_owner). */
export const PIPE_USER = 'nobody';

/* Why this machine cannot run the test, or false. Postfix's master needs
 * root (it binds its port and changes to mail_owner and the pipe's user). */
export function postfixSkipReason() {
  if (process.getuid() !== 0) {
    return 'needs root: Postfix\'s master runs as root (run the tests as root, as `make test` in CI does)';
  }
  if (!fs.existsSync(POSTFIX)) return 'Postfix is not installed (Debian package postfix; `make deps-test` installs it where no other mail server is)';
  if (!account('postfix')) return 'the postfix account is missing (reinstall the Debian package postfix)';
  if (!account(PIPE_USER)) return `the ${PIPE_USER} account is missing`;
  return false;
}

/* {uid, gid} of a user from getent, or null. */
export function account(name) {
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const f = r.stdout.trim().split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8', timeout: 60000, ...opts,
    // Nothing of the test's environment (ATRIUM_MASTER_KEY above all)
    // reaches Postfix: the pipe gets its settings from its --config file.
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
  });
  if (r.error) throw r.error;
  return r;
}

function mustRun(cmd, args) {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  return r;
}

/* The TCP port a process listens on (the kernel chose it: port 0 in
 * master.cf), from its socket inodes and /proc/net/tcp. */
function listeningPort(pid) {
  const inodes = new Set();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch { /* closed meanwhile */ }
  }
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address 0100007F:PORT, st 0A = LISTEN, inode in column 10
    if (f.length > 9 && f[1].startsWith('0100007F:') && f[3] === '0A' && inodes.has(f[9])) {
      return parseInt(f[1].split(':')[1], 16);
    }
  }
  return null;
}

/* Pids of the processes of the instance whose configuration is conf: the
 * master passes MAIL_CONFIG to every daemon, and pipe(8) to the command it
 * runs (export_environment). Zombies have no environment left. */
export function instanceProcesses(conf) {
  const needle = Buffer.from(`MAIL_CONFIG=${conf}\0`);
  const pids = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/environ`).includes(needle)) pids.push(Number(name));
    } catch { /* gone, or not ours to read */ }
  }
  return pids;
}

/*
 * Starts the instance under dir (an existing directory, mode 0755 so that
 * the postfix and pipe accounts can reach what is theirs below it).
 *   pipeArgv        the command of the `atrium` pipe transport (argv=...)
 *   departments     addresses routed to it (transport_maps and the recipients accepted)
 *   mailboxes       local parts of customer.test with a Maildir each
 * Returns {conf, port, log(), waitLog(), queue(), flush(), mailbox(), stop()}.
 */
export function startPostfix({ dir, pipeArgv, departments, mailboxes }) {
  const conf = path.join(dir, 'conf');
  const queue = path.join(dir, 'queue');
  const data = path.join(dir, 'data');
  const mail = path.join(dir, 'mail');
  const logFile = path.join(dir, 'maillog');
  const pfx = account('postfix');
  const pipeUser = account(PIPE_USER);
  for (const d of [conf, queue]) fs.mkdirSync(d, { mode: 0o755 });
  fs.mkdirSync(data, { mode: 0o700 });
  fs.chownSync(data, pfx.uid, pfx.gid);
  fs.mkdirSync(mail, { mode: 0o700 });
  fs.chownSync(mail, pipeUser.uid, pipeUser.gid);

  const mainCf = `# A test instance: loopback only, relays nothing, no DNS, no way out.
compatibility_level = 3.6
queue_directory = ${queue}
data_directory = ${data}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.test
mydomain = example.test
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks =
smtpd_relay_restrictions = reject_unauth_destination
smtpd_peername_lookup = no
relayhost =
default_transport = error:this test instance sends no mail out
smtp_dns_support_level = disabled
smtp_host_lookup = native
maillog_file = ${logFile}
maillog_file_prefixes = ${dir}

# The department addresses, as docs/operations-guide.md configures them:
# only the listed ones are accepted, each delivered by the atrium pipe
# transport, one recipient per run of \`atrium pipe\`.
relay_domains = example.test
relay_recipient_maps = hash:${conf}/transport
transport_maps = hash:${conf}/transport
atrium_destination_recipient_limit = 1

# The customer's mailboxes (where Atrium's email and bounces arrive).
virtual_mailbox_domains = customer.test
virtual_mailbox_maps = hash:${conf}/mailboxes
virtual_mailbox_base = ${mail}
virtual_uid_maps = static:${pipeUser.uid}
virtual_gid_maps = static:${pipeUser.gid}
`;
  // Port 0: the kernel picks a free port as the master binds (read back
  // below), so no port is chosen beforehand and taken meanwhile.
  const masterCf = `# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:0 inet n      -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
atrium    unix  -       n       n       -       -       pipe
  flags=Rq user=${PIPE_USER} argv=${pipeArgv.join(' ')}
`;
  fs.writeFileSync(path.join(conf, 'main.cf'), mainCf);
  fs.writeFileSync(path.join(conf, 'master.cf'), masterCf);
  fs.writeFileSync(path.join(conf, 'transport'), departments.map((a) => `${a} atrium:\n`).join(''));
  fs.writeFileSync(path.join(conf, 'mailboxes'), mailboxes.map((u) => `${u}@customer.test ${u}/\n`).join(''));
  mustRun(POSTMAP, ['-c', conf, `hash:${conf}/transport`]);
  mustRun(POSTMAP, ['-c', conf, `hash:${conf}/mailboxes`]);

  const pf = {
    conf, dir, logFile, port: null, stopped: false,
    // Whole lines only: postlogd may be writing the last one.
    log: () => {
      let text = '';
      try { text = fs.readFileSync(logFile, 'utf8'); } catch { /* not yet */ }
      return text.slice(0, text.lastIndexOf('\n') + 1);
    },
    tail: (n = 40) => pf.log().split('\n').slice(-n).join('\n'),
  };
  // `postfix start` returns once the master is up (master -w); check first,
  // so a configuration mistake says what it is.
  mustRun(POSTFIX, ['-c', conf, 'check']);
  active.add(pf);
  const st = run(POSTFIX, ['-c', conf, 'start']);
  try {
    if (st.status !== 0) throw new Error(`postfix start exited ${st.status}\n${st.stdout}${st.stderr}\n${pf.tail()}`);
    pf.masterPid = Number(fs.readFileSync(path.join(queue, 'pid', 'master.pid'), 'utf8').trim());
    pf.port = listeningPort(pf.masterPid);
    if (!pf.port) throw new Error(`the Postfix master (pid ${pf.masterPid}) listens on no loopback port\n${pf.tail()}`);
  } catch (e) {
    stopNow(pf);
    throw e;
  }

  /* Polls the log (bounded) until Postfix reports a delivery attempt of
   * qid to rcpt (sent, bounced, deferred) past the first `skip` ones;
   * returns {status, dsn, text, line}. */
  pf.waitDelivery = async (qid, rcpt, { skip = 0, timeout = 60000 } = {}) => {
    const re = new RegExp(` ${qid}: to=<${rcpt.replace(/[.+]/g, '\\$&')}>, .*dsn=([0-9.]+), status=(\\w+) \\((.*)\\)$`);
    const line = await waitFor(() => pf.log().split('\n').filter((l) => re.test(l))[skip], {
      timeout, every: 100, what: `Postfix's delivery status of ${qid} to ${rcpt} in ${logFile}`,
    }).catch((e) => { throw new Error(`${e.message}\n--- maillog (tail) ---\n${pf.tail()}`); });
    const m = re.exec(line);
    return { dsn: m[1], status: m[2], text: m[3], line };
  };

  /* The queue as `postqueue -j` prints it: one object per message. */
  pf.queue = () => mustRun(POSTQUEUE, ['-c', conf, '-j']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));

  /* `postqueue -f`: deliver the deferred mail now. */
  pf.flush = () => mustRun(POSTQUEUE, ['-c', conf, '-f']);

  /* The messages in a customer.test Maildir: [{file, headers: {lower-case name: value}, raw}]. */
  pf.mailbox = (user) => {
    const dirNew = path.join(mail, user, 'new');
    if (!fs.existsSync(dirNew)) return [];
    return fs.readdirSync(dirNew).sort().map((f) => {
      const raw = fs.readFileSync(path.join(dirNew, f), 'utf8');
      const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
      const headers = {};
      for (const l of head.split(/\r?\n/)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).toLowerCase()] ??= l.slice(i + 1).trim();
      }
      return { file: f, headers, raw };
    });
  };

  /* `postfix stop`, then waits (bounded) until no process of the instance
   * is left; survivors are killed by pid and reported. */
  pf.stop = async () => {
    if (pf.stopped) return;
    pf.stopped = true;
    active.delete(pf);
    const r = run(POSTFIX, ['-c', conf, 'stop']);
    let left = [];
    try {
      await waitFor(() => (left = instanceProcesses(conf)).length === 0, { timeout: 20000, what: 'Postfix to exit' });
    } catch {
      for (const pid of left) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      throw new Error(`Postfix processes still running 20 s after \`postfix stop\` (killed): ${left.join(' ')}\n` +
        `${r.stdout}${r.stderr}`);
    }
    if (r.status !== 0) throw new Error(`postfix stop exited ${r.status}\n${r.stdout}${r.stderr}`);
  };
  return pf;
}

// An instance still running when the test process exits (a crash, a
// timeout) is stopped, and whatever is left of it killed.
const active = new Set();
function stopNow(pf) {
  active.delete(pf);
  pf.stopped = true;
  spawnSync(POSTFIX, ['-c', pf.conf, 'abort'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  for (const pid of instanceProcesses(pf.conf)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
}
process.on('exit', () => {
  for (const pf of active) stopNow(pf);
});

/* One message through the independent SMTP client (smtp_send.py). */
export function smtpSend(port, { mailFrom, rcptTo, headers, body }) {
  const r = spawnSync('/usr/bin/python3', [SMTP_SEND], {
    input: JSON.stringify({ host: '127.0.0.1', port, mail_from: mailFrom, rcpt_to: rcptTo, headers, body }),
    encoding: 'utf8', timeout: 120000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`smtp_send.py exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
