// Acting in another organisation (issue 17): the operator's administrator
// opens "Act in…" in the header, chooses a business made with the real
// `atrium org create`, gives a reason, confirms the password, and the app
// reloads in the business under a banner (operator mode, until when); the
// business's lead is in its list; a missing reason is named on its field;
// "Leave" brings the operator's own organisation back and the banner goes.
// A business's administrator is shown none of the installation's pages.
// Environment: ATRIUM_URL, ATRIUM_ADMIN_EMAIL, ATRIUM_ADMIN_PASSWORD,
// ATRIUM_BIN and ATRIUM_DB_FILE (scripts/test-all sets them).
import { test, expect } from '@playwright/test';
import { PASSWORD, appReloaded, business, guardPages, signIn } from './common.mjs';

guardPages();

/** A business whose administrator created one lead: {id, name, lead}. */
async function businessWithLead() {
  const biz = await business('Acted');
  const lead = `Lead of ${biz.name}`;
  const res = await biz.call('POST', '/api/v1/leads', { name: lead });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await biz.close();
  return { id: biz.id, name: biz.name, lead };
}

test('the operator acts in a business from the header, under a banner, and leaves', async ({ page }) => {
  const biz = await businessWithLead();
  await signIn(page);
  await expect(page.getByTestId('act-banner')).toHaveCount(0);
  await page.getByTestId('act-open').click();
  const form = page.getByTestId('act-form');
  await expect(form).toBeVisible();
  await form.getByLabel('Organisation').selectOption(String(biz.id));
  // No reason: named on its field, nothing sent.
  await form.getByRole('button', { name: 'Enter' }).click();
  await expect(form.getByText('Say why you enter.')).toBeVisible();
  await form.getByLabel('Reason').fill('Support ticket 8812: their import failed');
  await form.getByRole('button', { name: 'Enter' }).click();
  const reauth = page.getByTestId('reauth-form');
  await expect(reauth).toBeVisible();
  await reauth.getByLabel('Your password').fill(PASSWORD);
  await appReloaded(page, () => reauth.getByRole('button', { name: 'Confirm' }).click());
  const banner = page.getByTestId('act-banner');
  await expect(banner).toContainText(`Operator mode in ${biz.name}`);
  await expect(banner).toContainText('every change is logged in both organisations');
  const me = await (await page.request.get('/api/v1/auth/me')).json();
  expect(me.staff.org_id).toBe(biz.id);
  expect(me.acting.mode).toBe('operator');
  // The business's records, as its administrator sees them.
  await page.goto('/admin/leads');
  await expect(page.getByRole('link', { name: biz.lead })).toBeVisible();
  await expect(page.getByTestId('act-open')).toHaveCount(0);
  // Leave: the operator's own organisation, no banner.
  await appReloaded(page, () => page.getByTestId('act-leave').click());
  await expect(page.getByTestId('user-name')).toBeVisible();
  await expect(page.getByTestId('act-banner')).toHaveCount(0);
  const back = await (await page.request.get('/api/v1/auth/me')).json();
  expect(back.staff.org_id).toBe(1);
  expect(back.acting).toBeNull();
});

test("a business's administrator sees neither the installation's Cronjob and Backups tabs nor Backups in the menu", async ({ page }) => {
  const biz = await business('Own');
  await biz.close();
  await signIn(page, biz.email, biz.password);
  await expect(page.getByTestId('user-name')).toBeVisible();
  await page.goto('/admin/settings');
  await expect(page.getByRole('tab', { name: 'General' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Cronjob' })).toHaveCount(0);
  await expect(page.getByRole('tab', { name: 'Backups' })).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Backups', exact: true })).toHaveCount(0);
  const me = await (await page.request.get('/api/v1/auth/me')).json();
  expect(me.staff.operator_org).toBe(false);
});
