// The team password vault in real Chromium (issue 16, "Team password
// vault"): an administrator adds a category and a password (generated in
// the page), grants a department; a member of that department signs in,
// sees it, reveals it after re-entering their password and copies it;
// another member does not see it, not even by its address; every name
// shows as text; the reveals are in the activity log; dark theme too.
import { test, expect } from '@playwright/test';
import { BASE, addMember, guardPages, mainNav, navLink, noEnglish, pageApi, signIn, stamp, watch } from './common.mjs';

guardPages();

/** A member's own signed-in page in a context of its own (with the clipboard). */
async function memberPage(browser, m) {
  const ctx = await browser.newContext({ baseURL: BASE, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = watch(await ctx.newPage());
  await signIn(page, m.email, m.password);
  await expect(mainNav(page)).toBeVisible();
  return { ctx, page };
}

test('an administrator shares a password with a department; its member reveals and copies it, another member never sees it', async ({ page, browser }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const s = stamp();
  // Names that would be markup if the page parsed them.
  const depName = `<i>Marketing</i> ${s}`;
  const catName = `<b>Social</b> & "media" ${s}`;
  const entryName = `<img src=x onerror=alert(1)> Facebook ${s}`;
  const role = await api.call('POST', '/api/v1/roles', { name: `Vault users ${s}`, permissions: { team_password: ['view'] } });
  expect(role.status, JSON.stringify(role.body)).toBe(201);
  const dep = await api.call('POST', '/api/v1/departments', { name: depName });
  const other = await api.call('POST', '/api/v1/departments', { name: `Finance ${s}` });
  expect([dep.status, other.status]).toEqual([201, 201]);
  const ana = await addMember(page, browser, { role_id: role.body.id, name: `Ana ${s}` });
  const bob = await addMember(page, browser, { role_id: role.body.id, name: `Bob ${s}` });
  for (const [m, d] of [[ana, dep.body.id], [bob, other.body.id]]) {
    const cur = await api.call('GET', `/api/v1/staff/${m.id}`);
    const r = await api.call('PATCH', `/api/v1/staff/${m.id}`, { department_ids: [d] }, { 'If-Match': cur.headers.etag });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }

  // A category, with the department as its default access.
  await navLink(page, 'Team passwords').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Team passwords' })).toBeVisible();
  await page.getByRole('link', { name: 'Categories' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Categories' })).toBeVisible();
  await page.getByRole('button', { name: 'Add category' }).click();
  const dlg = page.getByRole('dialog', { name: 'Add category' });
  await dlg.getByRole('textbox', { name: 'Name', exact: true }).fill(catName);
  await dlg.getByLabel('Description').fill('Pages and accounts\nof the marketing team');
  const defaults = dlg.getByRole('group', { name: 'Default access' });
  await defaults.getByLabel('Kind', { exact: true }).selectOption('department');
  await defaults.getByLabel('Who', { exact: true }).selectOption({ label: depName });
  await defaults.getByLabel('Access', { exact: true }).selectOption('use');
  await defaults.getByRole('button', { name: 'Grant' }).click();
  await expect(defaults.getByRole('cell', { name: depName, exact: true })).toBeVisible();
  await dlg.getByRole('button', { name: 'Add category' }).click();
  await expect(dlg).toHaveCount(0);
  await expect(page.getByRole('cell', { name: catName, exact: true })).toBeVisible();

  // The entry: its form's field errors first, then a generated password.
  await page.getByRole('link', { name: `← All team passwords` }).click();
  await page.getByRole('link', { name: 'Add password' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Add password' })).toBeVisible();
  await page.getByLabel('Website').fill('javascript:alert(1)');
  await page.getByRole('button', { name: 'Add password' }).click();
  await expect(page.getByText(/Please correct these 2 fields/)).toBeVisible();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(entryName);
  await page.getByLabel('Category').selectOption({ label: catName });
  const access = page.getByRole('group', { name: 'Who may see and use it' });
  // The category's defaults fill the access list.
  await expect(access.getByRole('cell', { name: depName, exact: true })).toBeVisible();
  await page.getByLabel('Website').fill('https://facebook.com/acme');
  await page.getByLabel('Username').fill('social@acme.example');
  const password = page.getByLabel('Password', { exact: true });
  await expect(password).toHaveAttribute('type', 'password');
  await page.getByRole('button', { name: 'Generate' }).click();
  const secret = await password.inputValue();
  expect(secret).toHaveLength(20);
  await expect(page.getByText(/^Strong \(about \d+ bits\)/)).toBeVisible();
  await page.getByRole('button', { name: 'Hide' }).first().click();
  await expect(password).toHaveAttribute('type', 'password');
  const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/vault/entries');
  await page.getByRole('button', { name: 'Add password' }).click();
  const res = await created;
  expect(res.status()).toBe(201);
  const entry = await res.json();
  expect(JSON.stringify(entry)).not.toContain(secret);
  await expect(page.getByRole('heading', { level: 1, name: entryName })).toBeVisible();
  await expect(page.locator('main img')).toHaveCount(0);
  await expect(page.getByText(secret)).toHaveCount(0);
  await expect(page.getByTestId('vault-access-form').getByRole('cell', { name: depName, exact: true })).toBeVisible(); // as text

  // Ana (the department) sees it, reveals it after her password, copies it.
  const a = await memberPage(browser, ana);
  try {
    await navLink(a.page, 'Team passwords').click();
    const row = a.page.locator('tr', { hasText: `Facebook ${s}` });
    await expect(row).toHaveCount(1);
    await expect(row.getByText('Use', { exact: true })).toBeVisible();
    await row.getByRole('link').first().click();
    await expect(a.page.getByRole('heading', { level: 1, name: entryName })).toBeVisible();
    await expect(a.page.locator('main img')).toHaveCount(0);
    await expect(a.page.getByRole('link', { name: 'Edit', exact: true })).toHaveCount(0);
    await expect(a.page.getByRole('button', { name: 'Delete', exact: true })).toHaveCount(0);
    await a.page.getByRole('button', { name: 'Reveal the password' }).click();
    const reauth = a.page.getByTestId('reauth-form');
    await expect(reauth).toBeVisible();
    await reauth.getByLabel('Your password').fill(ana.password);
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    const shown = a.page.getByRole('textbox', { name: 'password' });
    await expect(shown).toHaveValue(secret);
    await a.page.getByRole('button', { name: 'Hide' }).click();
    await expect(a.page.getByText(secret)).toHaveCount(0);
    await expect(shown).toHaveCount(0);
    // Copy: within the 5 minutes, no second question; the value never shows.
    await a.page.getByRole('button', { name: 'Copy the password' }).click();
    await expect(a.page.getByText('The password is on the clipboard.')).toBeVisible();
    expect(await a.page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await expect(a.page.getByRole('textbox', { name: 'password' })).toHaveCount(0);
  } finally {
    await a.ctx.close();
  }

  // Bob (another department) does not see it, not even by its address.
  const b = await memberPage(browser, bob);
  try {
    await navLink(b.page, 'Team passwords').click();
    await expect(b.page.getByRole('heading', { level: 1, name: 'Team passwords' })).toBeVisible();
    await expect(b.page.getByText('Nobody has shared a team password with you yet.')).toBeVisible();
    await expect(b.page.getByText(`Facebook ${s}`)).toHaveCount(0);
    await b.page.goto(`/admin/team_password/${entry.id}`);
    await expect(b.page.getByText(/not found/i).first()).toBeVisible();
    await expect(b.page.getByText(`Facebook ${s}`)).toHaveCount(0);
  } finally {
    await b.ctx.close();
  }

  // The administrator reads who revealed it, on the entry and in the log; never the value.
  await page.reload();
  const activity = page.getByRole('region', { name: 'Activity' }).or(page.locator('section', { has: page.getByRole('heading', { name: 'Activity' }) }));
  await expect(activity.locator('tbody').getByText('Revealed', { exact: true })).toHaveCount(2);
  const log = await api.call('GET', `/api/v1/activity?entity=vault_entry&entity_id=${entry.id}&action=reveal`);
  expect(log.body.data.map((e) => e.diff.purpose.to).sort()).toEqual(['copy', 'show']);
  expect(JSON.stringify(log.body)).not.toContain(secret);
  // Offboarding: Ana's page says what she could reach.
  await page.goto(`/admin/staff/${ana.id}`);
  await expect(page.getByText('This member could reach 1 team password')).toBeVisible();
  await page.getByRole('link', { name: 'List them' }).click();
  await expect(page.locator('tr', { hasText: `Facebook ${s}` })).toHaveCount(1);
});

test('a manager changes the access and the password; the old one stays in the history; dark theme', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const s = stamp();
  const e = await api.call('POST', '/api/v1/vault/entries', { name: `Hosting ${s}`, password: `first-${s}`, username: 'root' });
  expect(e.status).toBe(201);
  await page.goto(`/admin/team_password/${e.body.id}`);
  await expect(page.getByRole('heading', { level: 1, name: `Hosting ${s}` })).toBeVisible();
  await expect(page.getByText('Nobody but administrators.')).toBeVisible();
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Edit “Hosting ${s}”` })).toBeVisible();
  await page.getByLabel('Password', { exact: true }).fill(`second-${s}-longer-one`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Hosting ${s}` })).toBeVisible();
  const history = page.locator('section', { has: page.getByRole('heading', { name: 'Previous passwords' }) });
  await expect(history.locator('tbody tr')).toHaveCount(1);
  expect((await api.call('POST', '/api/v1/auth/reauth', { password: process.env.ATRIUM_ADMIN_PASSWORD })).status).toBe(200);
  await history.getByRole('button', { name: /^Reveal the password replaced/ }).click();
  await expect(history.getByRole('textbox', { name: 'Password' })).toHaveValue(`first-${s}`);

  // The access list: grant a team, save, and the entry's version moves.
  const team = await api.call('POST', '/api/v1/teams', { name: `Ops <team> ${s}` });
  expect(team.status).toBe(201);
  await page.reload();
  const form = page.getByTestId('vault-access-form');
  await form.getByLabel('Kind', { exact: true }).selectOption('team');
  await form.getByLabel('Who', { exact: true }).selectOption({ label: `Ops <team> ${s}` });
  await form.getByLabel('Access', { exact: true }).selectOption('view');
  await form.getByRole('button', { name: 'Grant' }).click();
  await form.getByRole('button', { name: 'Save access' }).click();
  await expect(page.getByText('Access saved.')).toBeVisible();
  const now = await api.call('GET', `/api/v1/vault/entries/${e.body.id}`);
  expect(now.body.access).toEqual([{ subject: 'team', id: team.body.id, level: 'view' }]);

  // Dark theme: the same page, its colours from the dark variables.
  const light = await page.locator('.badge').first().evaluate((el) => getComputedStyle(el).backgroundColor);
  await page.evaluate(() => { document.documentElement.dataset.theme = 'dark'; });
  const dark = await page.locator('.badge').first().evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(dark).not.toBe(light);
  await expect(page.getByRole('heading', { level: 1, name: `Hosting ${s}` })).toBeVisible();
});

test('custom fields: a plain and a hidden one added in the form; the hidden one revealed on the entry page and kept by an edit', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const s = stamp();
  const e = await api.call('POST', '/api/v1/vault/entries', { name: `Bank ${s}`, password: `pw-${s}` });
  expect(e.status).toBe(201);
  await page.goto(`/admin/team_password/${e.body.id}/edit`);
  const box = page.getByTestId('vault-custom-fields');
  await box.getByRole('button', { name: 'Add a field' }).click();
  await box.getByLabel('Name').last().fill('Account');
  await box.getByLabel('Value').last().fill(`ACC-${s}`);
  await box.getByRole('button', { name: 'Add a field' }).click();
  await box.getByLabel('Name').last().fill('PIN');
  await box.getByLabel('Hidden').last().check();
  await expect(box.getByLabel('Value').last()).toHaveAttribute('type', 'password');
  await box.getByLabel('Value').last().fill(`pin-${s}`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Bank ${s}` })).toBeVisible();
  // The entry's facts (its activity, below, also names the plain value).
  const facts = page.locator('.vault-facts');
  await expect(facts.getByText(`ACC-${s}`, { exact: true })).toBeVisible();
  await expect(page.getByText(`pin-${s}`)).toHaveCount(0);
  expect((await api.call('POST', '/api/v1/auth/reauth', { password: process.env.ATRIUM_ADMIN_PASSWORD })).status).toBe(200);
  await page.getByRole('button', { name: 'Reveal the PIN' }).click();
  await expect(page.getByRole('textbox', { name: 'PIN' })).toHaveValue(`pin-${s}`);

  // An edit that leaves the hidden value empty keeps it.
  await page.goto(`/admin/team_password/${e.body.id}/edit`);
  await expect(box.getByLabel('Value').last()).toHaveAttribute('placeholder', 'unchanged (leave empty to keep)');
  await box.getByLabel('Value').first().fill(`ACC-${s}-2`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(facts.getByText(`ACC-${s}-2`, { exact: true })).toBeVisible();
  const back = await api.call('POST', `/api/v1/vault/entries/${e.body.id}/reveal`, { custom_field: 'PIN' });
  expect(back.body).toEqual({ custom_fields: { PIN: `pin-${s}` } });
});

test('in Romanian, the vault\'s list, form and entry page show no English', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const s = stamp();
  const e = await api.call('POST', '/api/v1/vault/entries', { name: `Găzduire ${s}`, password: `p-${s}`, notes: 'cod de recuperare' });
  expect(e.status).toBe(201);
  try {
    expect((await api.call('PATCH', '/api/v1/auth/me/localization', { language: 'ro' })).status).toBe(200);
    await page.goto('/admin/team_password');
    await expect(page.getByRole('heading', { level: 1, name: 'Parole de echipă' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Adaugă parolă' })).toBeVisible();
    await noEnglish(page, ['Team passwords', 'Add password', 'Categories', 'Category', 'Username', 'Website', 'Your access',
      'Search team passwords', 'Reachable by', 'Manage']);
    await page.goto('/admin/team_password/new');
    await expect(page.getByRole('heading', { level: 1, name: 'Adaugă parolă' })).toBeVisible();
    await noEnglish(page, ['Password', 'Notes', 'Generate', 'Length', 'Show', 'Who may see and use it', 'Grant', 'Cancel']);
    await page.goto(`/admin/team_password/${e.body.id}`);
    await expect(page.getByRole('heading', { level: 1, name: `Găzduire ${s}` })).toBeVisible();
    await expect(page.getByText('Parole anterioare')).toBeVisible();
    await noEnglish(page, ['Reveal', 'Copy', 'Hidden', 'Previous passwords', 'Access', 'Save access', 'Activity', 'Added',
      'Password set', 'Edit', 'Delete']);
    await page.goto('/admin/team_password/categories');
    await expect(page.getByRole('heading', { level: 1, name: 'Categorii' })).toBeVisible();
    await noEnglish(page, ['Add category', 'Default access', 'Entries', 'Description']);
  } finally {
    expect((await api.call('PATCH', '/api/v1/auth/me/localization', { language: null })).status).toBe(200);
  }
});
