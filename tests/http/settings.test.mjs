// Settings: If-Match on PATCH /api/v1/settings/{group} (the group's ETag
// from GET, 412 when stale, still optional, every invalid field still
// named), and `atrium settings list|get|set` run against the same
// database as a live server: the command refuses what the API refuses,
// in the API's words (one validator), reads secrets from standard input
// only and never prints them, logs each change with actor "cli", takes
// --org, and bumps the group's version as an API change does.
//
// Runs on SQLite, and on PostgreSQL with ATRIUM_TEST_PG.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq, runBin,
} from './harness.mjs';

const SETTINGS = '/api/v1/settings/{group}';
const ACTIVITY = '/api/v1/activity';

describe('settings: If-Match and `atrium settings`', () => {
  let srv;
  let admin;
  let staff;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  const get = (group) => admin.req('GET', SETTINGS, { params: { group } });
  const patch = (group, body, ifMatch) => admin.req('PATCH', SETTINGS, {
    params: { group }, body, headers: ifMatch === undefined ? {} : { 'If-Match': ifMatch },
  });
  const cli = (args, input) => srv.cli(['settings', ...args], input === undefined ? {} : { input });

  async function settingsRows() {
    const r = await admin.req('GET', ACTIVITY, { query: { entity: 'settings', limit: 200 } });
    assert.equal(r.status, 200, r.text);
    return r.body.data;
  }

  /* The ETag of a group, as a number. */
  function version(r) {
    const etag = r.headers.get('etag');
    assert.match(etag || '', /^"\d+"$/, `ETag of ${r.url}: ${etag}`);
    return Number(etag.slice(1, -1));
  }

  // ---------------------------------------------------------------------------
  // If-Match

  it('GET answers the group\'s ETag; PATCH with it changes and answers the next one', async () => {
    const g = await get('company');
    assert.equal(g.status, 200, g.text);
    const v = version(g);
    const name = `Company ${uniq('c')}`;
    const p = await patch('company', { company_name: name }, `"${v}"`);
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.values.company_name, name);
    assert.equal(version(p), v + 1);
    const again = await get('company');
    assert.equal(version(again), v + 1);
    assert.equal(again.body.values.company_name, name);
    // Weak validators are accepted as records accept them.
    const w = await patch('company', { address: 'Street 1' }, `W/"${v + 1}"`);
    assert.equal(w.status, 200, w.text);
    assert.equal(version(w), v + 2);
    // Each group has its own version.
    const other = await get('integrations');
    assert.equal(other.status, 200);
    assert.equal(typeof version(other), 'number');
  });

  it('a stale If-Match is 412 problem+json, and nothing is written or logged', async () => {
    const g = await get('company');
    const v = version(g);
    const before = (await settingsRows()).length;
    const first = await patch('company', { company_name: `First ${uniq('c')}` }, `"${v}"`);
    assert.equal(first.status, 200, first.text);
    const stale = await patch('company', { company_name: 'Second writer' }, `"${v}"`);
    assertProblem(stale, 412, 'precondition-failed');
    assert.match(stale.body.detail, /changed by someone else/);
    assert.match(stale.body.detail, new RegExp(`version ${v + 1}\\b`));
    const now = await get('company');
    assert.equal(now.body.values.company_name, first.body.values.company_name, 'the first write stands');
    assert.equal(version(now), v + 1, 'the version did not move');
    assert.equal((await settingsRows()).length, before + 1, 'one activity entry: the first write');
  });

  it('eight edits at once on the same version: one wins, seven are 412, one activity entry', async () => {
    const v = version(await get('company'));
    const before = (await settingsRows()).length;
    const tag = uniq('race');
    const rs = await Promise.all([...Array(8).keys()].map((i) => patch('company', { company_name: `${tag} ${i}` }, `"${v}"`)));
    const won = rs.filter((r) => r.status === 200);
    assert.equal(won.length, 1, rs.map((r) => `${r.status} ${r.text.slice(0, 120)}`).join('\n'));
    for (const r of rs.filter((x) => x.status !== 200)) assertProblem(r, 412, 'precondition-failed');
    const g = await get('company');
    assert.equal(g.body.values.company_name, won[0].body.values.company_name);
    assert.equal(version(g), v + 1);
    assert.equal((await settingsRows()).length, before + 1);
  });

  it('without If-Match a PATCH still works (and moves the version)', async () => {
    const v = version(await get('integrations'));
    const p = await patch('integrations', { webhook_disable_after: 77 });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.values.webhook_disable_after, 77);
    assert.equal(version(p), v + 1);
  });

  it('a PATCH that changes nothing keeps the version and logs nothing', async () => {
    const g = await get('integrations');
    const v = version(g);
    const before = (await settingsRows()).length;
    const p = await patch('integrations', { webhook_disable_after: g.body.values.webhook_disable_after }, `"${v}"`);
    assert.equal(p.status, 200, p.text);
    assert.equal(version(p), v);
    assert.equal((await settingsRows()).length, before);
  });

  it('with If-Match, every invalid field is still named (422 before 412)', async () => {
    const v = version(await get('smtp'));
    for (const ifMatch of [`"${v}"`, `"${v + 50}"`]) {
      const r = await patch('smtp', {
        smtp_port: 0, smtp_host: 'bad host!', smtp_security: 'ssl', smtp_email: 'not-an-email',
        smtp_from_name: 'two\nlines', smtp_username: 5, smtp_plaintext_password: 'yes', colour: 'red',
        company_name: 'Wrong group',
      }, ifMatch);
      assertFieldErrors(r, {
        smtp_port: 'invalid', smtp_host: 'invalid', smtp_security: 'not_allowed', smtp_email: 'invalid',
        smtp_from_name: 'invalid', smtp_username: 'type', smtp_plaintext_password: 'type', colour: 'unknown_field',
        company_name: 'unknown_field',
      });
      assert.equal(r.body.errors.length, 9, JSON.stringify(r.body.errors));
    }
    assert.equal(version(await get('smtp')), v, 'nothing was written');
  });

  it('a malformed If-Match is 400; 401 anonymously, 403 without settings.edit', async () => {
    assertProblem(await patch('company', { address: 'x' }, 'version-3'), 400, 'malformed');
    assertProblem(await patch('company', { address: 'x' }, '"-1"'), 400, 'malformed');
    const anon = client(srv.base);
    assertProblem(await anon.req('PATCH', SETTINGS, { params: { group: 'company' }, body: { address: 'x' }, headers: { 'If-Match': '"1"' } }),
      401, 'unauthorized');
    assertProblem(await anon.req('GET', SETTINGS, { params: { group: 'company' } }), 401, 'unauthorized');
    assertProblem(await staff.req('PATCH', SETTINGS, { params: { group: 'company' }, body: { address: 'x' }, headers: { 'If-Match': '"1"' } }),
      403, 'forbidden');
    assertProblem(await staff.req('GET', SETTINGS, { params: { group: 'company' } }), 403, 'forbidden');
    assertProblem(await patch('nope', { address: 'x' }, '"1"'), 404, 'not-found');
  });

  // ---------------------------------------------------------------------------
  // atrium settings

  it('list: every setting for a person, secrets only as set or not; --json as the API shows the values', async () => {
    const r = cli(['list']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^company\.company_name\s+\S/m);
    assert.match(r.stdout, /^smtp\.smtp_port\s+587\s+\[default\]$/m);
    assert.match(r.stdout, /^smtp\.smtp_password\s+\(not set\)$/m);
    assert.match(r.stdout, /^security\.twofa_required_admins\s+false$/m, 'the fixture set it with this command');

    const j = cli(['list', '--json']);
    assert.equal(j.status, 0, j.stderr);
    const out = JSON.parse(j.stdout);
    assert.equal(out.org_id, 1);
    const groups = Object.keys(out.groups);
    for (const g of ['company', 'smtp', 'seats', 'security', 'email_queue', 'integrations']) assert.ok(groups.includes(g), g);
    for (const g of groups) {
      const api = await get(g);
      assert.equal(api.status, 200, api.text);
      assert.deepEqual(out.groups[g], api.body.values, `group ${g}: the same values as the API`);
    }

    const one = cli(['list', 'smtp']);
    assert.equal(one.status, 0, one.stderr);
    assert.ok(one.stdout.split('\n').filter(Boolean).every((l) => l.startsWith('smtp.')), one.stdout);
    const bad = cli(['list', 'nope']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /no settings group 'nope' \(groups: .*company.*smtp/);
  });

  it('get: a value, --json with its default; unknown names refused', async () => {
    const name = `Get ${uniq('c')}`;
    assert.equal((await patch('company', { company_name: name })).status, 200);
    const r = cli(['get', 'company.company_name']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${name}\n`);
    const j = JSON.parse(cli(['get', 'smtp.smtp_port', '--json']).stdout);
    assert.deepEqual(j, { org_id: 1, group: 'smtp', key: 'smtp_port', type: 'int', value: 587, default: 587, is_default: true });
    for (const [args, re] of [
      [['get', 'company.colour'], /group 'company' has no setting 'colour'/],
      [['get', 'company.smtp_port'], /group 'company' has no setting 'smtp_port'/],
      [['get', 'nope.x'], /no settings group 'nope'/],
      [['get', 'company'], /not GROUP\.KEY/],
      [['get'], /GROUP\.KEY/],
      [['get', 'company.company_name', 'extra'], /GROUP\.KEY/],
    ]) {
      const x = cli(args);
      assert.equal(x.status, 1, `${args.join(' ')}: ${x.stdout}`);
      assert.match(x.stderr, re);
    }
  });

  it('set: changes the value, logged with actor "cli" in the same transaction, and moves the ETag', async () => {
    const v = version(await get('company'));
    const name = `CLI ${uniq('c')}`;
    const old = (await get('company')).body.values.company_name;
    const r = cli(['set', 'company.company_name', name]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `company.company_name: '${old}' -> '${name}'\n`);
    const g = await get('company');
    assert.equal(g.body.values.company_name, name);
    assert.equal(version(g), v + 1);
    const row = (await settingsRows())[0];
    assert.equal(row.actor_name, 'cli');
    assert.equal(row.actor_id, null);
    assert.equal(row.action, 'update');
    assert.deepEqual(row.diff, { company_name: { from: old, to: name } });
    // An edit made on the version read before the command is stale now.
    assertProblem(await patch('company', { company_name: 'Late' }, `"${v}"`), 412, 'precondition-failed');

    // The same value again: nothing written, nothing logged.
    const before = (await settingsRows()).length;
    const same = cli(['set', 'company.company_name', name]);
    assert.equal(same.status, 0, same.stderr);
    assert.equal(same.stdout, 'company.company_name: unchanged\n');
    assert.equal((await settingsRows()).length, before);
    assert.equal(version(await get('company')), v + 1);

    // Types from text: an int, a bool; --clear back to the default.
    assert.equal(cli(['set', 'email_queue.max_attempts', '9']).status, 0);
    assert.equal((await get('email_queue')).body.values.max_attempts, 9);
    assert.equal(cli(['set', 'security.password_history', '7']).status, 0);
    assert.equal(cli(['set', 'smtp.smtp_plaintext_password', 'false']).status, 0);
    const clear = cli(['set', 'email_queue.max_attempts', '--clear']);
    assert.equal(clear.status, 0, clear.stderr);
    assert.equal(clear.stdout, 'email_queue.max_attempts: 9 -> 5\n');
    // A value that starts with '-' goes after --: refused as out of range, not as an option.
    const neg = runBin(['settings', 'set', '--db', srv.dbUrl, 'email_queue.max_attempts', '--', '-1'], { env: srv.env });
    assert.equal(neg.status, 1, neg.stdout);
    assert.match(neg.stderr, /email_queue\.max_attempts: must be between 1 and 100 \(invalid\)/);

    // Multi-line text from standard input, all of it.
    const addr = cli(['set', 'company.address'], 'Strada Exemplu 1\nBucuresti\n');
    assert.equal(addr.status, 0, addr.stderr);
    assert.equal((await get('company')).body.values.address, 'Strada Exemplu 1\nBucuresti');
    assert.equal(cli(['get', 'company.address']).stdout, 'Strada Exemplu 1\nBucuresti\n');
  });

  it('set: every invalid input is refused in the API\'s words, exit 1, nothing written', async () => {
    const long = 'x'.repeat(201);
    const cases = [
      ['smtp', 'smtp_port', '0', 0],
      ['smtp', 'smtp_port', '70000', 70000],
      ['smtp', 'smtp_port', 'twenty', 'twenty'],
      ['smtp', 'smtp_host', 'bad host!', 'bad host!'],
      ['smtp', 'smtp_security', 'ssl', 'ssl'],
      ['smtp', 'smtp_email', 'not-an-email', 'not-an-email'],
      ['smtp', 'smtp_from_name', 'two\nlines', 'two\nlines'],
      ['smtp', 'smtp_plaintext_password', 'yes', 'yes'],
      ['security', 'twofa_required_admins', 'maybe', 'maybe'],
      ['security', 'password_min_length', '7', 7],
      ['company', 'company_name', '', ''],
      ['company', 'company_name', long, long],
      ['company', 'colour', 'red', 'red'],
      ['company', 'smtp_port', '25', 25],
    ];
    const before = (await settingsRows()).length;
    const values = {};
    for (const g of ['smtp', 'security', 'company']) values[g] = (await get(g)).body;
    for (const [group, key, text, json] of cases) {
      const api = await patch(group, { [key]: json });
      assertProblem(api, 422, 'validation');
      assert.equal(api.body.errors.length, 1, JSON.stringify(api.body.errors));
      const e = api.body.errors[0];
      const r = cli(['set', `${group}.${key}`, text]);
      assert.equal(r.status, 1, `${group}.${key}=${text}: ${r.stdout}`);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.includes(`${group}.${e.field}: ${e.detail} (${e.code})`),
        `${group}.${key}=${JSON.stringify(text)}: the CLI says what the API says (${e.detail}):\n${r.stderr}`);
    }
    for (const g of ['smtp', 'security', 'company']) assert.deepEqual((await get(g)).body, values[g], `${g} unchanged`);
    assert.equal((await settingsRows()).length, before, 'nothing logged');

    // A rule across settings: a password with security none needs the confirmation.
    assert.equal(cli(['set', 'smtp.smtp_security', 'none']).status, 0);
    const rule = cli(['set', 'smtp.smtp_password'], 'Pw-for-a-rule-1\n');
    assert.equal(rule.status, 1, rule.stdout);
    assert.match(rule.stderr, /smtp\.smtp_security: none would send the SMTP password in clear.* \(not_allowed\)/);
    assert.equal((await get('smtp')).body.values.smtp_password_set, false);
    assert.equal(cli(['set', 'smtp.smtp_security', 'starttls']).status, 0);

    // Names and arguments.
    for (const [args, re] of [
      [['set', 'nope.key', '1'], /no settings group 'nope' \(groups: /],
      [['set', 'company', 'x'], /not GROUP\.KEY/],
      [['set', '.company_name', 'x'], /not GROUP\.KEY/],
      [['set'], /GROUP\.KEY/],
      [['set', 'company.company_name', 'a', 'b'], /unexpected argument 'b'/],
      [['set', 'company.company_name', 'x', '--clear'], /VALUE or --clear/],
      [['set', 'company.company_name', 'x', '--json'], /--json is for list and get/],
      [['list', '--clear'], /--clear is for set/],
      [['frobnicate'], /unknown subcommand 'frobnicate'/],
      [[], /usage: atrium settings/],
      [['list', '--org', '0'], /--org must be an organisation id/],
      [['list', '--org', 'two'], /--org must be an organisation id/],
      [['list', '--org', '424242'], /no organisation 424242/],
    ]) {
      const r = cli(args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, re, args.join(' '));
    }
    assert.equal(cli(['set', 'company.company_name'], 'bad\u0001text\n').status, 1, 'control characters from stdin too');
    const invalidUtf8 = srv.cli(['settings', 'set', 'company.company_name'], { input: Buffer.from([0x41, 0xff, 0x42, 0x0a]) });
    assert.equal(invalidUtf8.status, 1);
    assert.match(invalidUtf8.stderr, /not valid UTF-8/);
    assert.equal((await settingsRows()).length, before + 2, 'only the two security changes were logged');
  });

  it('secrets: refused on the command line, read from standard input, stored encrypted, never printed', async () => {
    const secret = `Cli-secret-${uniq('pw')}`;
    const argv = cli(['set', 'smtp.smtp_password', secret]);
    assert.equal(argv.status, 1);
    assert.match(argv.stderr, /smtp\.smtp_password is a secret: give it on standard input/);
    assert.ok(!argv.stderr.includes(secret) && !argv.stdout.includes(secret), 'not echoed');
    assert.equal((await get('smtp')).body.values.smtp_password_set, false, 'not stored');

    const v = version(await get('smtp'));
    const set = cli(['set', 'smtp.smtp_password'], `${secret}\n`);
    assert.equal(set.status, 0, set.stderr);
    assert.equal(set.stdout, 'smtp.smtp_password: (not set) -> (set; secret, not shown)\n');
    const g = await get('smtp');
    assert.equal(g.body.values.smtp_password_set, true);
    assert.equal(version(g), v + 1);
    const stored = srv.sql("SELECT value FROM setting WHERE org_id = 1 AND key = 'smtp_password'");
    assert.equal(stored.status, 0, stored.stderr);
    assert.match(stored.stdout, /^v1:[A-Za-z0-9+/]+=*$/, 'encrypted with the master key');
    assert.ok(!stored.stdout.includes(secret));
    const row = (await settingsRows())[0];
    assert.equal(row.actor_name, 'cli');
    assert.deepEqual(row.diff, { smtp_password: { from: null, to: '[secret]' } });

    for (const args of [['list'], ['list', '--json'], ['get', 'smtp.smtp_password'], ['get', 'smtp.smtp_password', '--json']]) {
      const r = cli(args);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(!r.stdout.includes(secret) && !r.stdout.includes(stored.stdout), `${args.join(' ')} never prints it`);
    }
    assert.equal(cli(['get', 'smtp.smtp_password']).stdout, '(set; secret, not shown)\n');
    assert.deepEqual(JSON.parse(cli(['get', 'smtp.smtp_password', '--json']).stdout),
      { org_id: 1, group: 'smtp', key: 'smtp_password', type: 'secret', set: true });
    assert.match(cli(['list', 'smtp']).stdout, /^smtp\.smtp_password\s+\(set; secret, not shown\)$/m);

    // A change of where it is sent clears it, as through the API.
    const host = cli(['set', 'smtp.smtp_host', 'mail.example.test']);
    assert.equal(host.status, 0, host.stderr);
    assert.match(host.stdout, /^smtp\.smtp_password: \(set; secret, not shown\) -> \(not set\)$/m);
    assert.equal((await get('smtp')).body.values.smtp_password_set, false);

    // Too long is judged, not cut; --clear removes one.
    const tooLong = cli(['set', 'smtp.smtp_password'], `${'p'.repeat(513)}\n`);
    assert.equal(tooLong.status, 1);
    assert.match(tooLong.stderr, /smtp\.smtp_password: must be at most 512 bytes \(too_long\)/);
    assert.equal(cli(['set', 'smtp.smtp_password'], `${secret}\n`).status, 0);
    const cleared = cli(['set', 'smtp.smtp_password', '--clear']);
    assert.equal(cleared.status, 0, cleared.stderr);
    assert.equal(cleared.stdout, 'smtp.smtp_password: (set; secret, not shown) -> (not set)\n');
    assert.equal((await get('smtp')).body.values.smtp_password_set, false);
    assert.ok(!srv.output().includes(secret), 'nor the server log');

    // set needs the master key the database was set up with (the log's MAC, the encryption).
    const otherKey = { env: { ATRIUM_MASTER_KEY: 'ab'.repeat(32) } };
    const wrong = srv.cli(['settings', 'set', 'smtp.smtp_password'], { input: `${secret}\n`, ...otherKey });
    assert.equal(wrong.status, 1, wrong.stdout);
    assert.match(wrong.stderr, /master key does not match this database/);
    assert.equal((await get('smtp')).body.values.smtp_password_set, false);
    assert.equal(srv.cli(['settings', 'get', 'smtp.smtp_host'], otherKey).status, 0, 'reading needs no key');
  });

  it('--org: another organisation\'s settings, its own activity chain, and audit verify holds', async () => {
    const made = srv.sql("INSERT INTO org (id, name, created_at, kind, parent_id) VALUES (2, 'Second', '2026-01-01T00:00:00.000Z', 'business', 1)");
    assert.equal(made.status, 0, made.stderr);
    const mine = (await get('company')).body.values.company_name;
    const r = cli(['set', 'company.company_name', 'Second SRL', '--org', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(cli(['get', 'company.company_name', '--org', '2']).stdout, 'Second SRL\n');
    assert.equal(JSON.parse(cli(['list', '--json', '--org', '2']).stdout).org_id, 2);
    assert.equal((await get('company')).body.values.company_name, mine, 'organisation 1 unchanged');
    assert.equal(cli(['get', 'company.company_name']).stdout, `${mine}\n`, 'the default is the first organisation');
    const rows = srv.sql("SELECT actor_name || ' ' || action || ' ' || entity FROM activity_log WHERE org_id = 2");
    assert.equal(rows.stdout, 'cli update settings');
    const audit = srv.cli(['audit', 'verify']);
    assert.equal(audit.status, 0, `${audit.stdout}${audit.stderr}`);
  });
});
