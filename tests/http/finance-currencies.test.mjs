// Currencies and exchange rates (issue 13, Configuration; spec Step 3,
// /admin/currencies): ISO 4217 codes only, symbol and decimals defaulting
// from ISO, one base currency — the organisation's default_currency
// setting, changed by an explicit action (settings.edit) — that cannot be
// deactivated, deleted or given a rate; rates entered by hand with their
// date and base, the history listed, the rate on a date the latest on or
// before it; conversion with exact decimals, answering the rates used and
// their dates, 422 without a rate; 401/403/404 on every route.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, uniq, addRole, addMember, raiseSeats,
} from './harness.mjs';

const CURS = '/api/v1/currencies';
const CUR = '/api/v1/currencies/{id}';
const BASE = '/api/v1/currencies/{id}/base';
const RATES = '/api/v1/currencies/{id}/rates';
const RATE = '/api/v1/currency_rates/{id}';
const CONVERT = '/api/v1/currencies/convert';

describe('currencies and exchange rates', () => {
  let srv;
  let admin;
  let member; // currencies view/create/edit/delete, no settings
  let viewer; // currencies view
  let outsider; // leads only
  const cur = {};

  async function add(code, body = {}, c = admin) {
    const r = await c.req('POST', CURS, { body: { code, ...body } });
    assert.equal(r.status, 201, r.text);
    cur[code] = r.body;
    return r.body;
  }
  async function rate(code, value, on, c = admin) {
    const r = await c.req('POST', RATES, { params: { id: cur[code].id }, body: { rate: value, valid_on: on } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }
  const convert = (q, c = viewer) => c.req('GET', CONVERT, { query: q });

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    const role = await addRole(admin, uniq('Cur role '), { currencies: ['view', 'create', 'edit', 'delete'], activity: ['view'] });
    member = await addMember(srv, admin, { role_id: role.id }, 'curmember');
    const vrole = await addRole(admin, uniq('Cur viewer '), { currencies: ['view'] });
    viewer = await addMember(srv, admin, { role_id: vrole.id }, 'curviewer');
    const lonly = await addRole(admin, uniq('Leads only '), { leads: ['view'] });
    outsider = await addMember(srv, admin, { role_id: lonly.id }, 'curoutsider');
    // A Romanian company: RON is the base (the Localization setting).
    const s = await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'localization' }, body: { default_currency: 'RON' } });
    assert.equal(s.status, 200, s.text);
  });
  after(async () => { await srv?.stop(); });

  it('POST: ISO codes only; symbol and decimals default from ISO 4217; base follows the setting', async () => {
    const ron = await add('RON', { symbol: 'lei', symbol_position: 'after' }, member);
    assert.deepEqual([ron.code, ron.symbol, ron.symbol_position, ron.decimals, ron.active, ron.base], ['RON', 'lei', 'after', 2, true, true]);
    assert.equal(ron.name, 'Romanian Leu');
    const eur = await add('EUR');
    assert.deepEqual([eur.symbol, eur.symbol_position, eur.decimals, eur.base], ['€', 'before', 2, false]);
    assert.equal((await add('JPY')).decimals, 0, 'ISO 4217: the yen has no minor unit');
    assert.equal((await add('KWD')).decimals, 3);
    await add('USD', { decimals: 4, symbol: 'US$' });
    assert.equal(cur.USD.decimals, 4);
    const act = await member.req('GET', '/api/v1/activity', { query: { entity: 'currency', entity_id: ron.id } });
    assert.equal(act.body.data[0].action, 'create');
    const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'currency', entity_id: eur.id } });
    assert.equal(ev.body.data[0].action, 'created');
    assertFieldErrors(await admin.req('POST', CURS, { body: { code: 'eur' } }), { code: null });
    assertFieldErrors(await admin.req('POST', CURS, { body: { code: 'EUR' } }), { code: 'taken' });
    assertFieldErrors(await admin.req('POST', CURS, { body: {} }), { code: 'required' });
    assertFieldErrors(await admin.req('POST', CURS, {
      body: { code: 'XYZ', symbol: 'x'.repeat(9), symbol_position: 'middle', decimals: 5, active: 'no', rate: 1 },
    }), { code: null, symbol: 'too_long', symbol_position: 'not_allowed', decimals: 'out_of_range', active: 'type', rate: 'unknown_field' });
    assertFieldErrors(await admin.req('POST', CURS, { body: { code: 'GBP', symbol: ' ', decimals: -1 } }),
      { symbol: 'required', decimals: 'out_of_range' });
  });

  it('GET list and one: filters, base=, sorts; GET {id}', async () => {
    const all = await viewer.req('GET', CURS);
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.body.data.map((c) => c.code), ['EUR', 'JPY', 'KWD', 'RON', 'USD']);
    assert.deepEqual(all.body.data.filter((c) => c.base).map((c) => c.code), ['RON'], 'exactly one base');
    const base = await viewer.req('GET', CURS, { query: { base: 'true' } });
    assert.deepEqual(base.body.data.map((c) => c.code), ['RON']);
    const others = await viewer.req('GET', CURS, { query: { base: 'false', sort: '-code' } });
    assert.deepEqual(others.body.data.map((c) => c.code), ['USD', 'KWD', 'JPY', 'EUR']);
    assert.deepEqual((await viewer.req('GET', CURS, { query: { 'code[in]': 'EUR,USD' } })).body.data.map((c) => c.code), ['EUR', 'USD']);
    assertProblem(await viewer.req('GET', CURS, { query: { base: 'maybe' } }), 400);
    const one = await viewer.req('GET', CUR, { params: { id: cur.EUR.id } });
    assert.equal(one.status, 200);
    assert.equal(one.headers.get('etag'), '"1"');
    assertProblem(await viewer.req('GET', CUR, { params: { id: 999999 } }), 404);
  });

  it('PATCH: symbol, position, decimals, active; the code never changes; the base stays active', async () => {
    const g = await add('GBP');
    const r = await member.req('PATCH', CUR, { params: { id: g.id }, headers: { 'If-Match': '"1"' },
      body: { symbol: '£', symbol_position: 'after', decimals: 3, active: false } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.symbol, r.body.symbol_position, r.body.decimals, r.body.active, r.body.version], ['£', 'after', 3, false, 2]);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'currency', entity_id: g.id, action: 'update' } });
    assert.deepEqual(act.body.data[0].diff.decimals, { from: 2, to: 3 });
    assertFieldErrors(await admin.req('PATCH', CUR, { params: { id: g.id }, headers: { 'If-Match': '"2"' }, body: { code: 'USD', decimals: 9 } }),
      { code: 'unknown_field', decimals: 'out_of_range' });
    assertFieldErrors(await admin.req('PATCH', CUR, { params: { id: g.id }, headers: { 'If-Match': '"2"' },
      body: { symbol: null, symbol_position: null, decimals: null, active: null } }),
    { symbol: 'required', symbol_position: 'required', decimals: 'required', active: 'required' });
    // 0 is a number of decimals (a currency without a minor unit), not a missing id
    const z = await admin.req('PATCH', CUR, { params: { id: g.id }, headers: { 'If-Match': '"2"' }, body: { decimals: 0 } });
    assert.equal(z.status, 200, z.text);
    assert.equal(z.body.decimals, 0);
    const neg = await admin.req('PATCH', CUR, { params: { id: g.id }, headers: { 'If-Match': '"3"' }, body: { decimals: -1 } });
    assertFieldErrors(neg, { decimals: 'out_of_range' });
    assert.equal(neg.body.errors.length, 1, JSON.stringify(neg.body.errors));
    assert.match(neg.body.errors[0].detail, /0 or more/);
    assertProblem(await admin.req('PATCH', CUR, { params: { id: g.id }, body: { decimals: 2 } }), 428);
    assertProblem(await admin.req('PATCH', CUR, { params: { id: g.id }, headers: { 'If-Match': '"1"' }, body: { decimals: 2 } }), 412);
    assertFieldErrors(await admin.req('PATCH', CUR, { params: { id: cur.RON.id }, headers: { 'If-Match': '"1"' }, body: { active: false } }),
      { active: 'invalid' });
    assertProblem(await admin.req('PATCH', CUR, { params: { id: 999999 }, headers: { 'If-Match': '"1"' }, body: { decimals: 2 } }), 404);
  });

  it('rates: entered with their date against the base, listed newest first; no rate for the base', async () => {
    const r1 = await rate('EUR', '4.9700', '2026-01-05', member);
    assert.deepEqual([r1.code, r1.base_code, r1.rate, r1.valid_on, r1.current], ['EUR', 'RON', '4.970000', '2026-01-05', true]);
    await rate('EUR', '4.975312', '2026-01-07');
    await rate('EUR', 4.98, '2026-01-09');
    await rate('USD', '4.3512', '2026-01-05');
    await rate('JPY', '0.028123', '2026-01-05');
    const got = await viewer.req('GET', RATE, { params: { id: r1.id } });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.rate, '4.970000');
    const hist = await viewer.req('GET', RATES, { params: { id: cur.EUR.id } });
    assert.equal(hist.status, 200, hist.text);
    assert.deepEqual(hist.body.data.map((x) => [x.valid_on, x.rate]),
      [['2026-01-09', '4.980000'], ['2026-01-07', '4.975312'], ['2026-01-05', '4.970000']]);
    assert.equal(hist.body.total, 3);
    const range = await viewer.req('GET', RATES, { params: { id: cur.EUR.id }, query: { 'valid_on[gte]': '2026-01-06', sort: 'valid_on' } });
    assert.deepEqual(range.body.data.map((x) => x.valid_on), ['2026-01-07', '2026-01-09']);
    assertProblem(await viewer.req('GET', RATES, { params: { id: 999999 } }), 404);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'currency_rate', entity_id: r1.id } });
    // A member who may view currencies (and the log) sees the rates' rows too; one who may not, does not.
    const seen = await member.req('GET', '/api/v1/activity', { query: { entity: 'currency_rate', entity_id: r1.id } });
    assert.equal(seen.status, 200, seen.text);
    assert.equal(seen.body.data.length, 1, seen.text);
    const lrole = await addRole(admin, uniq('Log only '), { activity: ['view'] });
    const logOnly = await addMember(srv, admin, { role_id: lrole.id }, 'logonly');
    assert.deepEqual((await logOnly.req('GET', '/api/v1/activity', { query: { entity: 'currency_rate' } })).body.data, []);
    assert.deepEqual(act.body.data[0].diff.rate, { to: '4.970000' });
    // Every invalid field; a second rate on one date; the base's rate.
    assertFieldErrors(await admin.req('POST', RATES, { params: { id: cur.EUR.id }, body: {} }), { rate: 'required', valid_on: 'required' });
    assertFieldErrors(await admin.req('POST', RATES, { params: { id: cur.EUR.id }, body: { rate: '0', valid_on: '2026-02-30', x: 1 } }),
      { rate: 'out_of_range', valid_on: null, x: 'unknown_field' });
    assertFieldErrors(await admin.req('POST', RATES, { params: { id: cur.EUR.id }, body: { rate: '1.1234567', valid_on: '2026-01-10' } }), { rate: null });
    assertFieldErrors(await admin.req('POST', RATES, { params: { id: cur.EUR.id }, body: { rate: '-4', valid_on: '2026-01-10' } }), { rate: 'out_of_range' });
    assertFieldErrors(await admin.req('POST', RATES, { params: { id: cur.EUR.id }, body: { rate: '5', valid_on: '2026-01-07' } }), { valid_on: 'taken' });
    assertProblem(await admin.req('POST', RATES, { params: { id: cur.RON.id }, body: { rate: '1', valid_on: '2026-01-07' } }), 409);
    assertProblem(await admin.req('POST', RATES, { params: { id: 999999 }, body: { rate: '1', valid_on: '2026-01-07' } }), 404);
  });

  it('conversion: the latest rate on or before the date, exact, rounded to the target; 422 without a rate', async () => {
    // EUR -> RON on a day with a rate.
    let r = await convert({ amount: '100', from: 'EUR', to: 'RON', date: '2026-01-07' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.result, r.body.base, r.body.rate], ['497.53', 'RON', '4.975312']);
    assert.deepEqual(r.body.rates, [{ currency: 'EUR', rate: '4.975312', valid_on: '2026-01-07' }]);
    // Between two rates: the earlier one.
    r = await convert({ amount: '100', from: 'EUR', to: 'RON', date: '2026-01-08' });
    assert.deepEqual([r.body.result, r.body.rates[0].valid_on], ['497.53', '2026-01-07']);
    // After the last: the last.
    r = await convert({ amount: '1', from: 'EUR', to: 'RON', date: '2027-12-31' });
    assert.deepEqual([r.body.result, r.body.rates[0].valid_on], ['4.98', '2026-01-09']);
    // RON -> EUR, rounded half away from zero: 1000 / 4.97 = 201.207...
    r = await convert({ amount: '1000', from: 'RON', to: 'EUR', date: '2026-01-05' });
    assert.equal(r.body.result, '201.21');
    // Cross rate through the base: EUR -> USD = 4.97 / 4.3512, both rates named with their dates.
    r = await convert({ amount: '250.50', from: 'EUR', to: 'USD', date: '2026-01-06' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.result, '286.1245', 'USD configured with four places: 250.50 x 4.97 / 4.3512 = 286.12452...');
    assert.deepEqual(r.body.rates.map((x) => [x.currency, x.valid_on]), [['EUR', '2026-01-05'], ['USD', '2026-01-05']]);
    // To a currency without minor units; negative amounts (refunds) round away from zero too.
    r = await convert({ amount: '-10', from: 'EUR', to: 'JPY', date: '2026-01-05' });
    assert.equal(r.body.result, '-1767', '-10 x 4.97 / 0.028123 = -1767.24...');
    // The same currency, the base to itself.
    r = await convert({ amount: '12.3456', from: 'RON', to: 'RON', date: '2026-01-05' });
    assert.deepEqual([r.body.result, r.body.rates], ['12.35', []]);
    // No rate on or before the date: 422 naming the date.
    assertFieldErrors(await convert({ amount: '1', from: 'EUR', to: 'RON', date: '2026-01-04' }), { date: 'no_rate' });
    assertFieldErrors(await convert({ amount: '1', from: 'KWD', to: 'RON', date: '2026-06-01' }), { date: 'no_rate' });
    // Every invalid parameter at once.
    assertFieldErrors(await convert({}), { amount: 'required', from: 'required', to: 'required' });
    // Without a date: today in the organisation's time zone (a day either side of UTC's), with the latest rate.
    r = await convert({ amount: '1', from: 'EUR', to: 'RON' });
    assert.equal(r.status, 200, r.text);
    const days = [-1, 0, 1].map((d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10));
    assert.ok(days.includes(r.body.date), `${r.body.date} is not today (${days})`);
    assert.deepEqual([r.body.result, r.body.rates[0].valid_on], ['4.98', '2026-01-09']);
    assertFieldErrors(await convert({ amount: '1.23456', from: 'eur', to: 'XXQ', date: '2026-13-01' }),
      { amount: 'invalid', from: 'invalid', to: 'invalid', date: 'invalid' });
    assertFieldErrors(await convert({ amount: '10000000000000', from: 'EUR', to: 'RON', date: '2026-01-05' }), { amount: 'invalid' });
    assertFieldErrors(await convert({ amount: '1', from: 'CHF', to: 'SEK', date: '2026-01-05' }),
      { from: 'not_found', to: 'not_found' });
    assertProblem(await convert({ amount: '1', from: 'EUR', to: 'RON', date: '2026-01-05', colour: 'red' }), 400);
  });

  it('the base currency: one, changed by an explicit action that moves the setting; old rates stay in the history unused', async () => {
    // Needs settings.edit: the member with every currencies right may not.
    assertProblem(await member.req('POST', BASE, { params: { id: cur.EUR.id }, body: {} }), 403);
    const r = await admin.req('POST', BASE, { params: { id: cur.EUR.id }, body: {} });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.base, true);
    const l10n = await admin.req('GET', '/api/v1/settings/{group}', { params: { group: 'localization' } });
    assert.equal(l10n.body.default_currency ?? l10n.body.values?.default_currency, 'EUR', 'one truth: the setting moved');
    const bases = await viewer.req('GET', CURS, { query: { base: 'true' } });
    assert.deepEqual(bases.body.data.map((c) => c.code), ['EUR']);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'currency', entity_id: cur.EUR.id, action: 'make_base' } });
    assert.equal(act.body.data.length, 1);
    const sact = await admin.req('GET', '/api/v1/activity', { query: { entity: 'settings', action: 'update' } });
    assert.deepEqual(sact.body.data[0].diff.default_currency, { from: 'RON', to: 'EUR' });
    // The rates against RON are history now: no conversion uses them.
    const hist = await viewer.req('GET', RATES, { params: { id: cur.EUR.id } });
    assert.ok(hist.body.data.every((x) => x.base_code === 'RON' && x.current === false));
    assertFieldErrors(await convert({ amount: '1', from: 'USD', to: 'EUR', date: '2026-01-07' }), { date: 'no_rate' });
    await rate('RON', '0.2010', '2026-01-07');
    const c = await convert({ amount: '100', from: 'RON', to: 'EUR', date: '2026-01-08' });
    assert.deepEqual([c.body.base, c.body.result], ['EUR', '20.10']);
    // The base cannot be deactivated, deleted or rated; a deactivated currency cannot become the base.
    assertFieldErrors(await admin.req('PATCH', CUR, { params: { id: cur.EUR.id }, headers: { 'If-Match': '"1"' }, body: { active: false } }),
      { active: 'invalid' });
    assertProblem(await admin.req('DELETE', CUR, { params: { id: cur.EUR.id } }), 409);
    assertProblem(await admin.req('POST', BASE, { params: { id: cur.GBP.id }, body: {} }), 409);
    assertProblem(await admin.req('POST', BASE, { params: { id: 999999 }, body: {} }), 404);
    assertFieldErrors(await admin.req('POST', BASE, { params: { id: cur.RON.id }, body: { x: 1 } }), { x: 'unknown_field' });
    // Making the base the base again changes nothing.
    const again = await admin.req('POST', BASE, { params: { id: cur.EUR.id }, body: {} });
    assert.equal(again.status, 200);
    // Back to RON for the rest.
    assert.equal((await admin.req('POST', BASE, { params: { id: cur.RON.id } })).status, 200);
  });

  it('DELETE: a currency without rates; with rates 409 (deactivate); a rate removed and logged', async () => {
    const chf = await add('CHF');
    const d = await member.req('DELETE', CUR, { params: { id: chf.id } });
    assert.equal(d.status, 204, d.text);
    assertProblem(await admin.req('GET', CUR, { params: { id: chf.id } }), 404);
    assertProblem(await admin.req('DELETE', CUR, { params: { id: chf.id } }), 404);
    assertProblem(await admin.req('DELETE', CUR, { params: { id: cur.USD.id } }), 409);
    const x = await rate('USD', '4.40', '2026-02-01');
    const rd = await member.req('DELETE', RATE, { params: { id: x.id } });
    assert.equal(rd.status, 204, rd.text);
    assertProblem(await admin.req('GET', RATE, { params: { id: x.id } }), 404);
    assertProblem(await admin.req('DELETE', RATE, { params: { id: x.id } }), 404);
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'currency_rate', entity_id: x.id, action: 'delete' } });
    assert.deepEqual(act.body.data[0].diff.rate, { from: '4.400000' });
  });

  it('401 without a session and 403 without the permission, on every route', async () => {
    const eur = cur.EUR.id;
    const r = await rate('EUR', '4.99', '2026-03-01');
    const anon = client(srv.base);
    const routes = [
      ['GET', CURS, {}], ['POST', CURS, { body: { code: 'SEK' } }],
      ['GET', CUR, { params: { id: eur } }],
      ['PATCH', CUR, { params: { id: eur }, body: { decimals: 2 }, headers: { 'If-Match': '"1"' } }],
      ['DELETE', CUR, { params: { id: eur } }],
      ['POST', BASE, { params: { id: eur }, body: {} }],
      ['GET', RATES, { params: { id: eur } }],
      ['POST', RATES, { params: { id: eur }, body: { rate: '1', valid_on: '2026-01-01' } }],
      ['GET', RATE, { params: { id: r.id } }],
      ['DELETE', RATE, { params: { id: r.id } }],
      ['GET', CONVERT, { query: { amount: '1', from: 'EUR', to: 'RON', date: '2026-01-05' } }],
    ];
    for (const [m, p, o] of routes) {
      assertProblem(await anon.req(m, p, o), 401);
      assertProblem(await outsider.req(m, p, o), 403);
    }
    for (const [m, p, o] of routes.filter(([m]) => m !== 'GET')) assertProblem(await viewer.req(m, p, o), 403);
  });
});
