// Web admin in real Chromium, against a running server (relies only on the
// HTTP contract in docs/internals/http-api.md).
//   ATRIUM_URL             base URL of `atrium serve`
//   ATRIUM_ADMIN_EMAIL     an administrator's email
//   ATRIUM_ADMIN_PASSWORD  and password
import { test, expect } from '@playwright/test';

const EMAIL = process.env.ATRIUM_ADMIN_EMAIL;
const PASSWORD = process.env.ATRIUM_ADMIN_PASSWORD;

test.beforeAll(() => {
  for (const name of ['ATRIUM_URL', 'ATRIUM_ADMIN_EMAIL', 'ATRIUM_ADMIN_PASSWORD']) {
    if (!process.env[name]) throw new Error(`${name} must be set`);
  }
});

// Fail on uncaught page errors and on anything the CSP blocked.
let problems;
test.beforeEach(({ page }) => {
  problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
});
test.afterEach(() => {
  expect(problems, 'no script errors or CSP violations').toEqual([]);
});

async function signIn(page, path = '/login') {
  await page.goto(path);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const mainNav = (page) => page.getByRole('navigation', { name: 'Main' });

test('log in, create a lead, see the validation error, fix it, see it in the list and the activity log', async ({ page }) => {
  const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
  const leadName = `Browser Test Lead ${stamp}`;
  const leadEmail = `lead.${stamp}@example.com`;

  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);

  await mainNav(page).getByRole('link', { name: 'Leads' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
  await page.getByRole('link', { name: 'New lead' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New lead' })).toBeVisible();

  // Invalid email: the server's 422 is shown under the field.
  const name = page.getByLabel('Name');
  const email = page.getByLabel('Email');
  await name.fill(leadName);
  await email.fill('not-an-email');
  await page.getByRole('button', { name: 'Create lead' }).click();

  await expect(email).toHaveAttribute('aria-invalid', 'true');
  await expect(email).toBeFocused();
  await expect(email).toHaveAccessibleDescription(/\S/);
  const ids = (await email.getAttribute('aria-describedby')).split(/\s+/);
  const error = page.locator(`[id="${ids[ids.length - 1]}"]`);
  await expect(error).toBeVisible();
  await expect(error).not.toBeEmpty();
  const [inputBox, errorBox] = [await email.boundingBox(), await error.boundingBox()];
  expect(errorBox.y, 'the error sits under the email field').toBeGreaterThan(inputBox.y);
  await expect(page.getByRole('alert').filter({ hasText: 'Email' })).toBeVisible(); // summary at the top
  await expect(name).toHaveValue(leadName); // input kept

  // Fix it and save.
  await email.fill(leadEmail);
  const created = page.waitForResponse((r) => r.request().method() === 'POST'
    && new URL(r.url()).pathname === '/api/v1/leads' && r.status() === 201);
  await page.getByRole('button', { name: 'Create lead' }).click();
  const lead = await (await created).json();
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/leads(\?.*)?$/);

  // In the list, found by search.
  await page.getByRole('searchbox', { name: 'Search leads' }).fill(leadName);
  const row = page.getByRole('row').filter({ hasText: leadName });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(leadEmail);
  await expect(page.getByRole('row')).toHaveCount(2); // header + the one match

  // In the activity log, as a create of entity lead.
  await mainNav(page).getByRole('link', { name: 'Activity log' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Activity log' })).toBeVisible();
  await page.getByLabel('Entity').fill('lead');
  await page.getByLabel('Entity').press('Enter');
  await page.getByLabel('Action').selectOption('create');
  const logRow = page.getByRole('row')
    .filter({ has: page.getByRole('cell', { name: String(lead.id), exact: true }) });
  await expect(logRow).toHaveCount(1);
  await expect(logRow.getByRole('cell', { name: 'create', exact: true })).toBeVisible();
  await expect(logRow.getByRole('cell', { name: 'lead', exact: true })).toBeVisible();
});

test('the theme toggle switches data-theme and remembers it', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/login');
  const html = page.locator('html');
  await expect(html).toHaveAttribute('data-theme', 'dark'); // default follows the system

  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.getByRole('button', { name: 'Switch to light theme' }).click();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await page.reload();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await expect(html).toHaveAttribute('data-theme', 'dark');
});

test('an unauthenticated visit to /admin/leads lands on /login and returns after sign-in', async ({ page }) => {
  await page.goto('/admin/leads');
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fleads$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/admin\/leads$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
});

test('editing a lead that changed meanwhile offers a reload; delete asks first', async ({ page }) => {
  const leadName = `Browser Edit Lead ${Date.now()}`;
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);

  // Set up through the same API (the page's cookie jar), as another client would.
  const { csrf_token: csrf } = await (await page.request.get('/api/v1/auth/me')).json();
  const headers = { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' };
  const createdRes = await page.request.post('/api/v1/leads', { headers, data: { name: leadName } });
  expect(createdRes.status()).toBe(201);
  const { id } = await createdRes.json();

  await page.goto(`/admin/leads/${id}`);
  await expect(page.getByRole('heading', { level: 1, name: new RegExp(leadName) })).toBeVisible();

  // Someone else changes it after the form was loaded.
  const current = await page.request.get(`/api/v1/leads/${id}`);
  const patched = await page.request.patch(`/api/v1/leads/${id}`, {
    headers: { ...headers, 'If-Match': current.headers().etag }, data: { company: 'Changed Elsewhere' },
  });
  expect(patched.status()).toBe(200);

  const company = page.getByLabel('Company');
  await company.fill('My Company');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'changed by someone else' })).toBeVisible();
  await page.getByRole('button', { name: 'Reload the latest version' }).click();
  await expect(company).toHaveValue('Changed Elsewhere');
  await company.fill('My Company');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();

  // Delete: cancel first, then confirm.
  await page.goto(`/admin/leads/${id}`);
  await expect(company).toHaveValue('My Company');
  await page.getByRole('button', { name: 'Delete lead' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this lead?' });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  await page.getByRole('button', { name: 'Delete lead' }).click();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
  expect((await page.request.get(`/api/v1/leads/${id}`)).status()).toBe(404);
});

// The member's separators decide, not the browser's locale: an English
// browser, a member who chose a decimal comma (Account security, Language
// and formats; here through the same route).
test('amounts with a member\'s decimal comma: "1.250,50" is taken, sent as 1250.50 and shown as the list shows it', async ({ browser }) => {
  const ctx = await browser.newContext({ locale: 'en-US', baseURL: process.env.ATRIUM_URL });
  const page = await ctx.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  const mine = (body) => page.evaluate(async (b) => {
    const me = await (await fetch('/api/v1/auth/me')).json();
    const r = await fetch('/api/v1/auth/me/localization', { method: 'PATCH', body: JSON.stringify(b),
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token } });
    return r.status;
  }, body);
  try {
    await signIn(page);
    await expect(mainNav(page)).toBeVisible();
    expect(await mine({ thousands_separator: 'period', decimal_separator: 'comma' })).toBe(200);
    await page.reload();
    await expect(mainNav(page)).toBeVisible();
    const name = `Komma Lead ${Date.now()}`;
    await page.goto('/admin/leads/new');
    await page.getByLabel('Name').fill(name);
    const value = page.getByLabel('Value');
    await expect(value).toHaveAttribute('placeholder', '0,00');
    await value.fill('1.250,50');
    const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/leads');
    await page.getByRole('button', { name: 'Create lead' }).click();
    const res = await created;
    expect(res.status()).toBe(201);
    expect(res.request().postDataJSON().value).toBe('1250.50');
    const { id } = await res.json();
    // The list and the form agree: a decimal comma in both.
    await expect(page.getByRole('row').filter({ hasText: name })).toContainText('1.250,50');
    await page.goto(`/admin/leads/${id}`);
    await expect(value).toHaveValue('1250,50');
    await value.fill('99,9');
    const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const p = await patched;
    expect(p.status()).toBe(200);
    expect(p.request().postDataJSON()).toEqual({ value: '99.9' });
    // What cannot be read is sent as typed, and the server names it.
    await page.goto(`/admin/leads/${id}`);
    await expect(value).toHaveValue('99,90');
    await value.fill('1,2,3');
    const refused = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.getByRole('button', { name: 'Save changes' }).click();
    expect((await refused).status()).toBe(422);
    await expect(page.getByRole('alert').filter({ hasText: 'Please correct this field' })).toBeVisible();
  } finally {
    await mine({ thousands_separator: null, decimal_separator: null }).catch(() => {});
    await ctx.close();
  }
});
