// The operator console (/admin/operator/orgs) in real Chromium: in the
// navigation of the operator's administrator only; the list with its kind
// filter; a new organisation's form naming each bad field, then created;
// its page with the usage; the seats form (a bad value named, then saved);
// suspend and resume, confirmed; delete, confirmed, back to the list. A
// member of the operator who is not an administrator has no such entry and
// the page answers the server's 403.
import { test, expect } from '@playwright/test';
import { BASE, addMember, guardPages, navLink, pageApi, signIn, stamp } from './common.mjs';

guardPages();

test('operator console: list, create with field errors, usage, seats, suspend, resume, delete', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await navLink(page, 'Organisations').click();
  await expect(page).toHaveURL(/\/admin\/operator\/orgs$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Organisations' })).toBeVisible();
  await expect(page.locator('tr[data-org="1"]')).toContainText('Operator');

  // A new organisation: every bad field named at once, then created.
  await page.getByRole('link', { name: 'New organisation' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New organisation' })).toBeVisible();
  await page.getByLabel('Members included').fill('0');
  await page.getByLabel("First administrator's email").fill('not-an-email');
  await page.getByRole('button', { name: 'Create organisation' }).click();
  await expect(page.getByText(/Please correct these/)).toBeVisible();
  await expect(page.locator('input[name="name"]')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Members included')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel("First administrator's email")).toHaveAttribute('aria-invalid', 'true');
  const name = `Browser Biz ${stamp()}`;
  await page.locator('input[name="name"]').fill(name);
  await page.getByLabel('Members included').fill('4');
  await page.getByLabel("First administrator's email").fill('');
  await page.getByRole('button', { name: 'Create organisation' }).click();
  await expect(page.getByText(`Organisation ${name} created.`)).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/operator\/orgs\/\d+$/);
  const id = Number(page.url().split('/').pop());
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page.getByTestId('org-usage')).toContainText('0 of 4');

  // Seats: a bad value named at its field, then saved.
  await page.getByLabel('Extra seats').fill('-1');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByLabel('Extra seats')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Extra seats').fill('3');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Seats saved.')).toBeVisible();
  await expect(page.getByTestId('org-usage')).toContainText('0 of 7');

  // Suspend (confirmed), resume.
  await page.getByRole('button', { name: 'Suspend' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
  await expect(page.getByText('This organisation is suspended')).toBeVisible();
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByText(`${name} is active again.`)).toBeVisible();
  await expect(page.getByText('This organisation is suspended')).toHaveCount(0);

  // The list filters by kind.
  await page.goto('/admin/operator/orgs');
  await page.getByLabel('Kind').selectOption('business');
  await expect(page.locator(`tr[data-org="${id}"]`)).toBeVisible();
  await expect(page.locator('tr[data-org="1"]')).toHaveCount(0);

  // Delete: refused while active (the server's words), then suspended and deleted.
  await page.goto(`/admin/operator/orgs/${id}`);
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete for good' }).click();
  await expect(page.getByText(/suspend it first/)).toBeVisible();
  await page.getByRole('button', { name: 'Suspend' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
  await expect(page.getByText('This organisation is suspended')).toBeVisible();
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete for good' }).click();
  await expect(page.getByText(`${name} was deleted.`)).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/operator\/orgs$/);
  const api = await pageApi(page);
  expect((await api.call('GET', `/api/v1/operator/orgs/${id}`)).status).toBe(404);
});

test('operator console: not in the navigation of a member who is not an administrator, and refused', async ({ page, browser }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const m = await addMember(page, browser);
  const ctx = await browser.newContext({ baseURL: BASE });
  const other = await ctx.newPage();
  await signIn(other, m.email, m.password);
  await expect(other).toHaveURL(/\/admin\/$/);
  await expect(navLink(other, 'Organisations')).toHaveCount(0);
  await other.goto('/admin/operator/orgs');
  await expect(other.getByText(/administrators of the operator organisation/)).toBeVisible();
  await ctx.close();
});
