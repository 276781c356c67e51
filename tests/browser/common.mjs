// common.mjs — what every browser spec shares: the environment, the guard
// that fails a test on a script error or a CSP violation in any of its
// pages, sign-in, the main navigation, and the API as the signed-in page.
import { test, expect, request as pwRequest } from '@playwright/test';
import { spawnSync } from 'node:child_process';

export const EMAIL = process.env.ATRIUM_ADMIN_EMAIL;
export const PASSWORD = process.env.ATRIUM_ADMIN_PASSWORD;
export const BASE = process.env.ATRIUM_URL;

let problems = [];

/* Records uncaught page errors and anything the CSP blocked. */
export function watch(page) {
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  return page;
}

/* Registers the hooks of a spec file: the environment must be set, and
 * every test ends without script errors or CSP violations. */
export function guardPages() {
  test.beforeAll(() => {
    for (const name of ['ATRIUM_URL', 'ATRIUM_ADMIN_EMAIL', 'ATRIUM_ADMIN_PASSWORD']) {
      if (!process.env[name]) throw new Error(`${name} must be set`);
    }
  });
  test.beforeEach(({ page }) => { problems = []; watch(page); });
  test.afterEach(() => { expect(problems, 'no script errors or CSP violations').toEqual([]); });
}

export const stamp = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
export const mainNav = (page) => page.getByRole('navigation', { name: 'Main' });
export const navLink = (page, name) => mainNav(page).getByRole('link', { name, exact: true });

export async function signIn(page, email = EMAIL, password = PASSWORD, path = '/login') {
  await page.goto(path);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The API as the page's signed-in user (same cookies), with the CSRF token. */
export async function pageApi(page) {
  const { csrf_token: csrf } = await (await page.request.get('/api/v1/auth/me')).json();
  const headers = { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' };
  const call = async (method, url, data, extra = {}) => {
    const res = await page.request.fetch(url, { method, headers: { ...headers, ...extra }, data });
    const text = await res.text();
    return { status: res.status(), body: text ? JSON.parse(text) : null, headers: res.headers() };
  };
  return { call };
}

/**
 * Runs SQL on the server's SQLite database (ATRIUM_DB_FILE, set by the
 * browser runner): states that take time, such as a session about to
 * idle out, are made by writing the database, never by waiting. Returns
 * the output, trimmed.
 */
export function sql(statement) {
  const file = process.env.ATRIUM_DB_FILE;
  if (!file) throw new Error('ATRIUM_DB_FILE must name the server\'s SQLite database (scripts/test-all sets it)');
  const r = spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', file, statement], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`SQL failed: ${statement}\n${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Sets the seats of organisation 1 as the operator does (`atrium org
 * seats` on the server's database; Settings > Seats is read-only):
 * {members_included, extra_seats}, either may be left out.
 */
export function operatorSeats({ members_included, extra_seats }) {
  const file = process.env.ATRIUM_DB_FILE;
  if (!file || !process.env.ATRIUM_BIN) throw new Error('ATRIUM_DB_FILE and ATRIUM_BIN must be set (scripts/test-all sets them)');
  const args = ['org', 'seats', '1', '--db', `sqlite:${file}`];
  if (members_included !== undefined) args.push('--members-included', String(members_included));
  if (extra_seats !== undefined) args.push('--extra-seats', String(extra_seats));
  const r = spawnSync(process.env.ATRIUM_BIN, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`atrium org seats failed: ${r.stderr}`);
}

/** Runs `atrium ARGS --db <the server's database>`; returns its output, throws on failure. */
export function atrium(...args) {
  const r = spawnSync(process.env.ATRIUM_BIN, [...args, '--db', `sqlite:${process.env.ATRIUM_DB_FILE}`], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`atrium ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * A business made with the real `atrium org create`, its first administrator
 * signed in through the API by the set-password link: {id, name, email,
 * password (the administrator's), call(method, url, data) -> {status, body},
 * close()}.
 */
export async function business(prefix = 'Biz') {
  const name = `${prefix} ${stamp()}`;
  const boss = { email: `boss.${stamp()}@example.test`, password: `harbour-violet-cedar-${stamp()}` };
  const out = atrium('org', 'create', '--name', name, '--admin-email', boss.email, '--admin-name', 'Boss');
  const id = Number(/\(id (\d+)\)/.exec(out)[1]);
  atrium('settings', 'set', 'security.twofa_required_admins', 'false', '--org', String(id));
  const token = decodeURIComponent(/\/set-password#token=([A-Za-z0-9_.~%+-]+)/.exec(out)[1]);
  const ctx = await pwRequest.newContext({ baseURL: BASE });
  const set = await ctx.post('/api/v1/auth/password/set', { data: { token, password: boss.password } });
  expect(set.status()).toBe(200);
  const { csrf_token: csrf } = await set.json();
  const call = async (method, url, data) => {
    const res = await ctx.fetch(url, { method, headers: { 'X-CSRF-Token': csrf }, data });
    return { status: res.status(), body: await res.json().catch(() => null) };
  };
  return { id, name, email: boss.email, password: boss.password, call, close: () => ctx.dispose() };
}

/**
 * Runs action, which makes the app load a new document (a switch of
 * organisation, entering or leaving another one), and resolves once that
 * document has loaded: its own `load` event (the old page loaded long
 * before), never a same-document route change, so that a next goto cannot
 * cut the reload short (net::ERR_ABORTED).
 */
export async function appReloaded(page, action) {
  await Promise.all([page.waitForEvent('load'), action()]);
}

/** An ISO time `ms` ago, as the server stores times. */
export const isoAgo = (ms) => new Date(Date.now() - ms).toISOString();

/** Adds a member through the API (as the page's administrator) and gives them a password of their own. */
export async function addMember(page, browser, { role_id, name } = {}) {
  const api = await pageApi(page);
  const seats = await api.call('GET', '/api/v1/settings/seats');
  if (seats.body.values.extra_seats < 100) operatorSeats({ extra_seats: 100 });
  const s = stamp();
  const m = { email: `m.${s}@example.test`, name: name || `Member ${s}`, temporary: `temporary-pass-${s}`, password: `cedar-harbour-violet-${s}` };
  const add = await api.call('POST', '/api/v1/staff', { email: m.email, name: m.name, temporary_password: m.temporary,
    ...(role_id ? { role_id } : {}) });
  expect(add.status, JSON.stringify(add.body)).toBe(201);
  m.id = add.body.id;
  const ctx = await browser.newContext({ baseURL: BASE });
  const r = await ctx.request.post('/api/v1/auth/login', { data: { email: m.email, password: m.temporary } });
  const { csrf_token: csrf } = await r.json();
  const ch = await ctx.request.post('/api/v1/auth/password/change', { headers: { 'X-CSRF-Token': csrf },
    data: { current_password: m.temporary, new_password: m.password } });
  expect(ch.status()).toBe(200);
  await ctx.close();
  return m;
}

/** Fails on any of the English phrases left in the page's main region (a translated screen). */
export async function noEnglish(page, words) {
  const text = await page.locator('main').innerText();
  const left = words.filter((w) => new RegExp(`(^|[^\\p{L}])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u').test(text));
  expect(left, `English left on ${page.url()}`).toEqual([]);
}
