// The organisation menu (issue 17, step 2): a member of organisation 1 is
// added to a business made with the real `atrium org create` (by that
// business's administrator, through the API); signed in, the header shows
// the organisation menu, choosing the business reloads the app there (its
// session is the business's), and back. In the business, the staff record
// of the person says whose account it is and offers no password, 2FA or
// session actions. A member of one organisation sees no menu.
// Environment: ATRIUM_URL, ATRIUM_ADMIN_EMAIL, ATRIUM_ADMIN_PASSWORD,
// ATRIUM_BIN and ATRIUM_DB_FILE (scripts/test-all sets them).
import { test, expect } from '@playwright/test';
import { addMember, appReloaded, business, guardPages, signIn, stamp } from './common.mjs';

guardPages();

/** Chooses organisation `id` in the header's menu and waits for the app to reload there. */
async function switchTo(page, id) {
  await appReloaded(page, () => Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/switch') && r.status() === 200),
    page.getByTestId('org-menu').selectOption(String(id)),
  ]));
  await expect(page.getByTestId('org-menu')).toHaveValue(String(id));
}

/** The signed-in page's organisation (GET /api/v1/auth/me). */
async function orgOf(page) {
  const res = await page.request.get('/api/v1/auth/me');
  expect(res.status()).toBe(200);
  return (await res.json()).staff.org_id;
}

test('a member of two organisations switches between them from the header', async ({ page, browser }) => {
  await signIn(page);
  await expect(page.getByTestId('user-name')).toBeVisible();
  // One organisation: no menu.
  await expect(page.getByTestId('org-menu')).toHaveCount(0);
  const m = await addMember(page, browser, { name: `Switcher ${stamp()}` });
  const biz = await business();
  const added = await biz.call('POST', '/api/v1/staff', { email: m.email, name: 'ignored' });
  expect(added.status, JSON.stringify(added.body)).toBe(201);
  const home = 1; // the administrator's organisation, where addMember made them

  // The member signs in: the menu lists both, the current one chosen.
  await page.context().clearCookies();
  await signIn(page, m.email, m.password);
  const menu = page.getByTestId('org-menu');
  await expect(menu).toBeVisible();
  await expect(menu.locator('option')).toHaveCount(2);
  await expect(menu).toHaveValue(String(home));
  await expect(page.getByLabel('Organisation')).toBeVisible();

  // Into the business: the app reloads there.
  await switchTo(page, biz.id);
  expect(await orgOf(page)).toBe(biz.id);

  // And back.
  await switchTo(page, home);
  expect(await orgOf(page)).toBe(home);
  await biz.close();
});

test("in the business, another person's staff record names their home organisation and hides their credentials", async ({ page, browser }) => {
  await signIn(page);
  await expect(page.getByTestId('user-name')).toBeVisible();
  const m = await addMember(page, browser, { name: `Boss of B ${stamp()}` });
  const m2 = await addMember(page, browser, { name: `Linked ${stamp()}` });
  const biz = await business();
  expect((await biz.call('POST', '/api/v1/staff', { email: m.email, name: 'x', admin: true })).status).toBe(201);
  const linked = await biz.call('POST', '/api/v1/staff', { email: m2.email, name: 'x' });
  expect(linked.status, JSON.stringify(linked.body)).toBe(201);
  // m, an administrator of the business, opens m2's record there.
  await page.context().clearCookies();
  await signIn(page, m.email, m.password);
  await switchTo(page, biz.id);
  await page.goto(`/admin/staff/${linked.body.id}`);
  await expect(page.getByTestId('staff-home-org')).toBeVisible();
  await expect(page.getByTestId('staff-home-org')).toContainText('Home organisation');
  await expect(page.getByLabel('Email')).toBeDisabled();
  await expect(page.getByLabel('Full name')).toBeDisabled();
  await expect(page.getByRole('button', { name: /invitation|link/i })).toHaveCount(0);
  await page.getByRole('tab', { name: 'Security' }).click();
  await expect(page.getByRole('button', { name: 'End all sessions' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /Reset 2FA|Reset two-factor/i })).toHaveCount(0);
  // Back home, for the specs after this one.
  await switchTo(page, 1);
  await biz.close();
});
