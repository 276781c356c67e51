// common.mjs — what every browser spec shares: the environment, the guard
// that fails a test on a script error or a CSP violation in any of its
// pages, sign-in, the main navigation, and the API as the signed-in page.
import { test, expect } from '@playwright/test';

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
