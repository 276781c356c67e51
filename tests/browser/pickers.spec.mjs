// Pickers and lengths (issue 8, items 15, 16, 19): country and currency
// are picked by name from the ISO lists the server keeps; text longer than
// a field's maximum is counted and refused, never cut; a member without
// staff.view sees colleagues by name and can pick "Me" as assignee; times
// name their zone.
import { test, expect } from '@playwright/test';
import { guardPages, mainNav, navLink, pageApi, signIn, stamp, watch } from './common.mjs';

guardPages();

test('a client\'s country and currency are picked by name; too long is refused with a counter, not cut', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await navLink(page, 'Clients').click();
  await page.getByRole('link', { name: 'New client' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New client' })).toBeVisible();

  const company = page.getByLabel('Company');
  const long = `Company ${stamp()} `.padEnd(201, 'x');
  await company.fill(long);
  await expect(page.getByText('201 / 200 — 1 too many')).toBeVisible();
  await expect(company).toHaveValue(long); // nothing was cut
  await page.getByLabel('Country').selectOption({ label: 'Germany (DE)' });
  await page.getByLabel('Default currency').selectOption({ label: 'Euro (EUR)' });
  await page.getByRole('button', { name: 'Create client' }).click();
  await expect(company).toHaveAttribute('aria-invalid', 'true');
  await expect(company).toHaveAccessibleDescription(/at most 200 characters/);

  const name = `Picker Client ${stamp()}`;
  await company.fill(name);
  await expect(page.getByText(`${name.length} / 200`)).toBeVisible();
  const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/clients');
  await page.getByRole('button', { name: 'Create client' }).click();
  const res = await created;
  expect(res.status()).toBe(201);
  expect(res.request().postDataJSON()).toMatchObject({ company: name, country: 'DE', default_currency: 'EUR' });
  // Georgia stays Georgia.
  const geo = await (await pageApi(page)).call('POST', '/api/v1/clients', { company: `Tbilisi ${stamp()}`, country: 'GE' });
  expect(geo.status).toBe(201);
  await page.goto(`/admin/clients/${geo.body.id}`);
  await expect(page.getByLabel('Country')).toHaveValue('GE');
  await expect(page.getByLabel('Country').locator('option:checked')).toHaveText('Georgia (GE)');
});

test('a member without staff.view sees colleagues by name and assigns a lead to "Me"; times name their zone', async ({ page, browser }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const s = stamp();
  const role = await api.call('POST', '/api/v1/roles', { name: `Sales Agent ${s}`, permissions: { leads: ['view_own', 'create', 'edit'] } });
  expect(role.status).toBe(201);
  const agent = { email: `agent.${s}@example.test`, name: `Sam Seller ${s}`, temporary: `temporary-pass-${s}`, password: `quiet-harbor-lamp-${s}` };
  const add = await api.call('POST', '/api/v1/staff', { email: agent.email, name: agent.name, role_id: role.body.id, temporary_password: agent.temporary });
  expect(add.status).toBe(201);

  const ctx = await browser.newContext();
  try {
    const other = watch(await ctx.newPage());
    await signIn(other, agent.email, agent.temporary);
    await other.getByLabel('Current (temporary) password').fill(agent.temporary);
    await other.getByLabel('New password', { exact: true }).fill(agent.password);
    await other.getByLabel('Confirm new password').fill(agent.password);
    await other.getByRole('button', { name: 'Change password and continue' }).click();
    await expect(mainNav(other)).toBeVisible();
    await navLink(other, 'Leads').click();
    await other.getByRole('link', { name: 'New lead' }).click();
    const assignee = other.getByLabel('Assigned to');
    await expect(assignee.locator('option').nth(1)).toHaveText(`Me (${agent.name})`);
    await expect(assignee.locator('option', { hasText: 'Admin' })).toHaveCount(1); // colleagues by name
    await other.getByLabel('Name').fill(`Lead for me ${s}`);
    await assignee.selectOption({ label: `Me (${agent.name})` });
    const created = other.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/leads');
    await other.getByRole('button', { name: 'Create lead' }).click();
    const res = await created;
    expect(res.status()).toBe(201);
    expect((await res.json()).assigned_to).toBe(add.body.id);
    // In the list: the assignee by name, not "#id".
    const row = other.getByRole('row').filter({ hasText: `Lead for me ${s}` });
    await expect(row).toContainText(agent.name);
    await expect(row).not.toContainText(`#${add.body.id}`);
    // The lead's page names the zone of its times.
    await row.getByRole('link').first().click();
    await expect(other.locator('time').first()).toHaveText(/(UTC|GMT)/);
  } finally {
    await ctx.close();
  }
});
