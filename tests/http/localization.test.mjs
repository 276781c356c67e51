// Localization: the organisation's settings group `localization` (through
// the generic settings routes and `atrium settings`), each member's
// overrides (PATCH /api/v1/auth/me/localization, shown in GET
// /api/v1/auth/me with what is overridden), and the public language of the
// sign-in page (GET /api/v1/localization/public). Every invalid field is
// named in one 422; a change is in the activity log.
//
// Runs on SQLite, and on PostgreSQL with ATRIUM_TEST_PG.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq, raiseSeats,
} from './harness.mjs';

const SETTINGS = '/api/v1/settings/{group}';
const MINE = '/api/v1/auth/me/localization';
const ME = '/api/v1/auth/me';
const PUBLIC = '/api/v1/localization/public';

describe('localization', () => {
  let srv;
  let admin;
  let staff;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
  });
  after(async () => { await srv?.stop(); });

  const setOrg = (body) => admin.req('PATCH', SETTINGS, { params: { group: 'localization' }, body });

  it('the group has its defaults, its fields and an ETag', async () => {
    const r = await admin.req('GET', SETTINGS, { params: { group: 'localization' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.values, {
      language: 'en', timezone: 'UTC', date_format: 'DD/MM/YYYY', time_format: '24h',
      thousands_separator: 'comma', decimal_separator: 'period', first_day_of_week: 'monday',
      default_currency: 'EUR',
    });
    const lang = r.body.fields.find((f) => f.key === 'language');
    assert.deepEqual(lang.choices, ['en', 'ro']);
    assert.match(r.headers.get('etag') || '', /^"\d+"$/);
  });

  it('an administrator sets it; each invalid key is named in one 422', async () => {
    const bad = await setOrg({
      language: 'fr', timezone: 'Europe/Bucuresti', date_format: 'D/M/Y', time_format: '25h',
      thousands_separator: 'dash', decimal_separator: 'semicolon', first_day_of_week: 'friday',
      default_currency: 'XXQ',
    });
    assertFieldErrors(bad, {
      language: null, timezone: 'invalid', date_format: null, time_format: null,
      thousands_separator: null, decimal_separator: null, first_day_of_week: null,
      default_currency: 'invalid',
    });
    // Aliases ICU makes up are not zones of the tz database.
    assertFieldErrors(await setOrg({ timezone: 'GMT+3' }), { timezone: 'invalid' });
    // Both separators the same, whichever the request changes.
    assertFieldErrors(await setOrg({ decimal_separator: 'comma' }), { decimal_separator: 'invalid' });
    const ok = await setOrg({
      language: 'ro', timezone: 'Europe/Bucharest', date_format: 'DD.MM.YYYY',
      thousands_separator: 'period', decimal_separator: 'comma', default_currency: 'RON',
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.values.timezone, 'Europe/Bucharest');
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'settings', limit: 5 } });
    assert.ok(act.body.data.some((e) => e.diff?.language?.to === 'ro' && e.diff?.decimal_separator?.to === 'comma'),
      JSON.stringify(act.body.data[0]));
  });

  it('a member without settings.edit may not change it (403), nobody signed out (401)', async () => {
    assertProblem(await staff.req('PATCH', SETTINGS, { params: { group: 'localization' }, body: { language: 'en' } }), 403);
    assertProblem(await client(srv.base).req('PATCH', MINE, { body: { language: 'en' } }), 401);
  });

  it('`atrium settings` reads and sets it with the same checks', async () => {
    const cli = (args) => srv.cli(['settings', ...args]);
    const bad = cli(['set', 'localization.timezone', 'Mars/Olympus']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /timezone: must be a time zone of the tz database/);
    const same = cli(['set', 'localization.thousands_separator', 'comma']);
    assert.notEqual(same.status, 0);
    assert.match(same.stderr, /decimal_separator: must differ from the thousands separator/);
    const ok = cli(['set', 'localization.first_day_of_week', 'sunday']);
    assert.equal(ok.status, 0, ok.stderr);
    const get = cli(['get', 'localization.first_day_of_week']);
    assert.equal(get.stdout.trim(), 'sunday');
    assert.equal(cli(['set', 'localization.first_day_of_week', 'monday']).status, 0);
  });

  it('the sign-in page reads the organisation\'s language, and only that', async () => {
    const r = await client(srv.base).req('GET', PUBLIC);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { language: 'ro' });
  });

  it('GET /auth/me shows the effective values and which are the member\'s own', async () => {
    const r = await staff.req('GET', ME);
    assert.equal(r.status, 200, r.text);
    const l = r.body.localization;
    assert.equal(l.values.language, 'ro');
    assert.equal(l.values.timezone, 'Europe/Bucharest');
    assert.equal(l.values.default_currency, 'RON');
    assert.deepEqual(l.overridden, []);
    assert.equal(l.organisation.date_format, 'DD.MM.YYYY');
  });

  it('a member overrides their own; null goes back to the organisation\'s; logged', async () => {
    const r = await staff.req('PATCH', MINE, {
      body: { language: 'en', timezone: 'America/New_York', date_format: 'MM/DD/YYYY', time_format: '12h',
        thousands_separator: 'comma', decimal_separator: 'period', first_day_of_week: 'sunday' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.values.language, 'en');
    assert.equal(r.body.values.timezone, 'America/New_York');
    assert.deepEqual([...r.body.overridden].sort(), ['date_format', 'decimal_separator', 'first_day_of_week',
      'language', 'thousands_separator', 'time_format', 'timezone']);
    // The organisation's change does not reach what the member chose.
    assert.equal((await setOrg({ date_format: 'YYYY-MM-DD' })).status, 200);
    let me = (await staff.req('GET', ME)).body.localization;
    assert.equal(me.values.date_format, 'MM/DD/YYYY');
    assert.equal(me.organisation.date_format, 'YYYY-MM-DD');
    // Nobody else's changes: the administrator still sees the organisation's.
    assert.equal((await admin.req('GET', ME)).body.localization.values.language, 'ro');

    const back = await staff.req('PATCH', MINE, { body: { timezone: null, language: null } });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.body.values.timezone, 'Europe/Bucharest');
    assert.equal(back.body.values.language, 'ro');
    assert.ok(!back.body.overridden.includes('timezone'));
    me = (await staff.req('GET', ME)).body.localization;
    assert.equal(me.values.timezone, 'Europe/Bucharest');

    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'staff', limit: 20 } });
    const rows = act.body.data.filter((e) => e.action === 'localization' && e.entity_id === staff.me.id);
    assert.ok(rows.some((e) => e.diff?.timezone?.from === 'America/New_York' && e.diff.timezone.to === null),
      JSON.stringify(rows));
    assert.ok(rows.some((e) => e.diff?.language?.to === 'en'), JSON.stringify(rows));
  });

  it('each invalid field of a member\'s change is named in one 422, and nothing is written', async () => {
    const before = (await staff.req('GET', ME)).body.localization;
    const bad = await staff.req('PATCH', MINE, {
      body: { language: 'de', timezone: 'Mars/Olympus', date_format: 'YYYY/MM/DD', time_format: 'am',
        thousands_separator: 'x', decimal_separator: 'x', first_day_of_week: 'someday', default_currency: 'USD' },
    });
    assertFieldErrors(bad, {
      language: null, timezone: 'invalid', date_format: null, time_format: null, thousands_separator: null,
      decimal_separator: null, first_day_of_week: null, default_currency: 'unknown_field',
    });
    for (const body of [{ language: 5 }, { timezone: 'Europe/Bucharest\n' }, { timezone: 'x'.repeat(200) }]) {
      assertClientProblem422(await staff.req('PATCH', MINE, { body }), Object.keys(body)[0]);
    }
    // The member's own decimal separator may not equal the thousands one
    // they get from the organisation (period, here).
    const same = await staff.req('PATCH', MINE, { body: { thousands_separator: null, decimal_separator: 'period' } });
    assertFieldErrors(same, { decimal_separator: 'invalid' });
    assert.deepEqual((await staff.req('GET', ME)).body.localization, before);
  });

  it('API tokens may not change a member\'s localization (403); the member must sign in', async () => {
    await raiseSeats(admin);
    assert.equal((await admin.req('POST', '/api/v1/auth/reauth', { body: { password: srv.admin.password } })).status, 200);
    const role = await admin.req('POST', '/api/v1/roles', { body: { name: uniq('L10n '), permissions: { leads: ['view'] } } });
    assert.equal(role.status, 201, role.text);
    const m = await admin.req('POST', '/api/v1/staff', {
      body: { email: `${uniq('tok')}@example.test`, name: 'Token Owner', role_id: role.body.id, temporary_password: 'Temp-token-owner-password-1' },
    });
    assert.equal(m.status, 201, m.text);
    const t = await admin.req('POST', '/api/v1/api-tokens', { body: { name: uniq('l10n '), staff_id: m.body.id } });
    assert.equal(t.status, 201, t.text);
    const bearer = client(srv.base);
    const r = await bearer.req('PATCH', MINE, { body: { language: 'en' }, headers: { Authorization: `Bearer ${t.body.token}` } });
    assertProblem(r, 403);
  });
});

/* A 422 naming field. */
function assertClientProblem422(r, field) {
  assertFieldErrors(r, { [field]: null });
}
