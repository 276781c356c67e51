// When the session ends under a page (issue 8, item 14): the sign-in
// dialog comes over the page, the same member signs in again (password,
// then the 2FA code) and what they were saving is sent once, with the new
// CSRF token; another member signing in gets a fresh page and sends
// nothing of their predecessor's. Before the idle limit a warning counts
// down; "Stay signed in" is a real request that extends the session.
// Leaving a form with unsaved changes asks first.
// Slow states are made in the database (ATRIUM_DB_FILE) and with
// Playwright's clock, never by waiting.
import { test, expect } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import { addMember, guardPages, isoAgo, mainNav, navLink, pageApi, signIn, sql, stamp } from './common.mjs';

guardPages();

/** Ends the page's own session on the server (as when it idles out). */
async function endSession(page) {
  const api = await pageApi(page);
  const list = await api.call('GET', '/api/v1/auth/sessions');
  const current = list.body.data.find((s) => s.current);
  expect((await api.call('DELETE', `/api/v1/auth/sessions/${current.id}`)).status).toBe(204);
}

/** A role that edits leads, and a member with it. */
async function leadsMember(page, browser) {
  const api = await pageApi(page);
  const role = await api.call('POST', '/api/v1/roles', { name: `Lead editors ${stamp()}`,
    permissions: { leads: ['view', 'create', 'edit'] } });
  expect(role.status).toBe(201);
  return addMember(page, browser, { role_id: role.body.id });
}

/** Records the requests of a method to a path. */
function recorder(page, method, path) {
  const seen = [];
  page.on('request', (r) => {
    if (r.method() === method && new URL(r.url()).pathname === path) seen.push({ csrf: r.headers()['x-csrf-token'], body: r.postDataJSON() });
  });
  return seen;
}

test('the session ends while a lead is edited: Save asks to sign in again here, then saves the edits once', async ({ page }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  const api = await pageApi(page);
  const lead = await api.call('POST', '/api/v1/leads', { name: `Session lead ${stamp()}` });
  await page.goto(`/admin/leads/${lead.body.id}`);
  await page.getByLabel('Company').fill('Kept Through Sign-in');
  await endSession(page);

  const patches = recorder(page, 'PATCH', `/api/v1/leads/${lead.body.id}`);
  await page.getByRole('button', { name: 'Save changes' }).click();
  const dialog = page.getByRole('dialog', { name: 'Your session has ended' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Email')).toHaveValue(process.env.ATRIUM_ADMIN_EMAIL);
  // A wrong password is told, and the dialog stays.
  await dialog.getByLabel('Password').fill('not-the-password');
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await expect(dialog.getByText('Invalid email or password')).toBeVisible();
  await expect(page.getByLabel('Company')).toHaveValue('Kept Through Sign-in');
  await dialog.getByLabel('Password').fill(process.env.ATRIUM_ADMIN_PASSWORD);
  await dialog.getByRole('button', { name: 'Sign in' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
  await expect(dialog).toHaveCount(0);
  expect(patches.length, 'the refused request and its one repeat').toBe(2);
  expect(patches[1].body).toEqual(patches[0].body);
  expect(patches[1].csrf, 'the repeat carries the new session\'s CSRF token').not.toBe(patches[0].csrf);
  const saved = await (await pageApi(page)).call('GET', `/api/v1/leads/${lead.body.id}`);
  expect(saved.body.company).toBe('Kept Through Sign-in');
});

test('a member with 2FA signs in again with password and code; the new lead is created once', async ({ page, browser }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  const company = (await (await pageApi(page)).call('GET', '/api/v1/settings/company')).body.values.company_name;
  const m = await leadsMember(page, browser);
  await page.context().clearCookies();
  await signIn(page, m.email, m.password);
  await expect(mainNav(page)).toBeVisible();
  // 2FA on, through the API as the member (their page's session).
  const api = await pageApi(page);
  const e = await api.call('POST', '/api/v1/auth/2fa/enrol');
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(e.body.secret), digits: 6, period: 30 });
  expect((await api.call('POST', '/api/v1/auth/2fa/activate', { code: totp.generate() })).status).toBe(200);

  await page.goto('/admin/leads/new');
  const name = `Two-step lead ${stamp()}`;
  await page.getByLabel('Name').fill(name);
  await endSession(page);
  const posts = recorder(page, 'POST', '/api/v1/leads');
  await page.getByRole('button', { name: 'Create lead' }).click();
  const dialog = page.getByRole('dialog', { name: 'Your session has ended' });
  await dialog.getByLabel('Password').fill(m.password);
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  const code = dialog.getByLabel('Code from your authenticator app');
  await expect(code).toBeVisible();
  await expect(dialog.getByText(`shows for “${company}”`)).toBeVisible();
  // The activation used this period's code: the next one (the server accepts one step ahead).
  await code.fill(totp.generate({ timestamp: Date.now() + 30000 }));
  await dialog.getByRole('button', { name: 'Verify' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
  expect(posts.length).toBe(2);
  const found = await (await pageApi(page)).call('GET', `/api/v1/leads?q=${encodeURIComponent(name)}`);
  expect(found.body.data.map((l) => l.name)).toEqual([name]);
});

test('another member signing in at the dialog gets a fresh page; the predecessor\'s edits are not sent', async ({ page, browser }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  const m = await leadsMember(page, browser);
  const api = await pageApi(page);
  const lead = await api.call('POST', '/api/v1/leads', { name: `Not theirs ${stamp()}` });
  await page.goto(`/admin/leads/${lead.body.id}`);
  await page.getByLabel('Company').fill('The administrator\'s edit');
  await endSession(page);
  const patches = recorder(page, 'PATCH', `/api/v1/leads/${lead.body.id}`);
  await page.getByRole('button', { name: 'Save changes' }).click();
  const dialog = page.getByRole('dialog', { name: 'Your session has ended' });
  await dialog.getByLabel('Email').fill(m.email);
  await dialog.getByLabel('Password').fill(m.password);
  await dialog.getByRole('button', { name: 'Sign in' }).click();

  await expect(page.getByTestId('user-name')).toHaveText(m.name);
  await expect(page.getByLabel('Company')).toHaveValue('');
  expect(patches.length, 'only the refused request').toBe(1);
  const after = await (await pageApi(page)).call('GET', `/api/v1/leads/${lead.body.id}`);
  expect(after.body.company).toBeNull();
});

test('"Go to the sign-in page" leaves for /login, with the page to come back to', async ({ page }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  await page.goto('/admin/leads/new');
  await endSession(page);
  await page.getByLabel('Name').fill('Never saved');
  await page.getByRole('button', { name: 'Create lead' }).click();
  await page.getByRole('dialog', { name: 'Your session has ended' }).getByRole('button', { name: 'Go to the sign-in page' }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fleads%2Fnew$/);
});

test('before the idle limit a warning counts down; "Stay signed in" extends the session; at the end the sign-in dialog keeps the form', async ({ page, browser }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  const m = await leadsMember(page, browser);
  await page.context().clearCookies();
  await page.clock.install();
  await signIn(page, m.email, m.password);
  await expect(mainNav(page)).toBeVisible();
  await page.goto('/admin/leads/new');
  await page.getByLabel('Name').fill('Typed before the warning');

  // The server's session is 28½ minutes idle (of 30): the warning's look comes at 28 minutes.
  sql(`UPDATE session SET last_seen_at = '${isoAgo(28.5 * 60000)}' WHERE staff_id = ${m.id}`);
  let looks = 0;
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/v1/auth/session') looks += 1; });
  await page.clock.fastForward('27:00');
  await expect(page.getByTestId('idle-warning')).toHaveCount(0);
  await page.clock.fastForward('01:30');
  const warning = page.getByRole('dialog', { name: 'You will be signed out soon' });
  await expect(warning).toBeVisible();
  await expect(warning).toContainText('after 30 minutes without activity');
  await expect(warning.getByRole('timer')).toHaveText(/^1:[0-3]\d$/);
  expect(looks, 'it asked the server first').toBeGreaterThan(0);
  const idleBefore = sql(`SELECT last_seen_at FROM session WHERE staff_id = ${m.id}`);

  await warning.getByRole('button', { name: 'Stay signed in' }).click();
  await expect(warning).toHaveCount(0);
  await expect(page.getByText('You are still signed in.')).toBeVisible();
  // Written by the sessions module's batcher (auth/session_touch.h) within
  // a couple of seconds; waiting for it also keeps the edits below from
  // racing the batched write.
  await expect.poll(() => sql(`SELECT last_seen_at FROM session WHERE staff_id = ${m.id}`) > idleBefore,
    { message: 'the session was used' }).toBe(true);
  await expect(page.getByLabel('Name')).toHaveValue('Typed before the warning');

  // Again, and this time nobody answers: the session idles out.
  sql(`UPDATE session SET last_seen_at = '${isoAgo(29 * 60000)}' WHERE staff_id = ${m.id}`);
  await page.clock.fastForward('28:30');
  await expect(warning).toBeVisible();
  sql(`UPDATE session SET last_seen_at = '${isoAgo(31 * 60000)}' WHERE staff_id = ${m.id}`);
  await page.clock.fastForward('02:05');
  const signin = page.getByRole('dialog', { name: 'You were signed out' });
  await expect(signin).toBeVisible();
  await expect(warning).toHaveCount(0);
  await signin.getByLabel('Password').fill(m.password);
  await signin.getByRole('button', { name: 'Sign in' }).click();
  await expect(signin).toHaveCount(0);
  await expect(page.getByLabel('Name')).toHaveValue('Typed before the warning');
  await page.getByRole('button', { name: 'Create lead' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
});

test('another tab\'s activity: the look before the warning finds time left, and no warning shows', async ({ page, browser }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  const m = await leadsMember(page, browser);
  await page.context().clearCookies();
  await page.clock.install();
  await signIn(page, m.email, m.password);
  await expect(mainNav(page)).toBeVisible();
  let looks = 0;
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/v1/auth/session') looks += 1; });
  // The session was used a moment ago elsewhere (last_seen_at is now), so
  // the look at 28 minutes (by this page's clock) finds 30 left.
  await page.clock.fastForward('28:30');
  await expect.poll(() => looks).toBeGreaterThan(0);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByTestId('idle-warning')).toHaveCount(0);
});

test('leaving a form with unsaved changes asks first: links, Back, signing out and closing the tab', async ({ page }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  // In-app steps, so that Back stays in the page: Leads, New lead.
  await navLink(page, 'Leads').click();
  await page.getByRole('link', { name: 'New lead' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New lead' })).toBeVisible();
  const name = page.getByLabel('Name');
  // Nothing typed: no question.
  await navLink(page, 'Clients').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Clients' })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1, name: 'New lead' })).toBeVisible();

  await name.fill('Unsaved lead');
  const ask = page.getByRole('dialog', { name: 'Leave without saving?' });
  await navLink(page, 'Clients').click();
  await expect(ask).toBeVisible();
  await ask.getByRole('button', { name: 'Stay on this page' }).click();
  await expect(name).toHaveValue('Unsaved lead');
  await expect(page).toHaveURL(/\/admin\/leads\/new$/);

  // Back: the address returns while the question is open.
  await page.goBack();
  await expect(ask).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/leads\/new$/);
  await ask.getByRole('button', { name: 'Stay on this page' }).click();
  await expect(name).toHaveValue('Unsaved lead');
  await expect(page).toHaveURL(/\/admin\/leads\/new$/);

  // Signing out asks too.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(ask).toBeVisible();
  await ask.getByRole('button', { name: 'Stay on this page' }).click();
  await expect(page).toHaveURL(/\/admin\/leads\/new$/);

  // Closing the tab: the browser's own question.
  const dialogs = [];
  page.on('dialog', async (d) => { dialogs.push(d.type()); await d.dismiss(); });
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => dialogs).toEqual(['beforeunload']);
  expect(page.isClosed()).toBe(false);
  page.removeAllListeners('dialog');

  // Leaving on purpose: Back, to the list.
  await page.goBack();
  await expect(ask).toBeVisible();
  await ask.getByRole('button', { name: 'Leave without saving' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/leads$/);
});

test('a saved form leaves without a question', async ({ page }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  await page.goto('/admin/settings');
  const company = page.getByLabel('Company name');
  const before = await company.inputValue();
  await company.fill(`${before} `);
  await company.fill(before);
  await navLink(page, 'Leads').click(); // typed back to what it was: nothing to lose
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
  await page.goBack();
  await page.getByLabel('Address').fill(`Street ${stamp()}`);
  await page.getByRole('button', { name: 'Save company details' }).click();
  await expect(page.getByText('Company saved.').first()).toBeVisible();
  await navLink(page, 'Leads').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
});
