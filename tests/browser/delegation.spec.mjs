// Delegation and confirmations (issue 8, items 12 and 13): an
// administrator lets the HR role give the Sales Agent role; the HR
// member's role picker offers only what they may give, and the hire
// works; saving a role used by members says how many it affects; an
// administrator is asked before changing their own admin flag.
import { test, expect } from '@playwright/test';
import { BASE, addMember, guardPages, mainNav, navLink, pageApi, signIn, stamp, watch } from './common.mjs';

guardPages();

test('an administrator delegates a role; the HR member\'s picker offers it and the hire works', async ({ page, browser }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const s = stamp();
  const sales = await api.call('POST', '/api/v1/roles', { name: `Sales Agent ${s}`, permissions: { leads: ['view_own', 'create', 'edit'] } });
  const ops = await api.call('POST', '/api/v1/roles', { name: `Ops ${s}`, permissions: { settings: ['view', 'edit'] } });
  const hrRole = await api.call('POST', '/api/v1/roles', { name: `HR Administrator ${s}`, permissions: { staff: ['view', 'create', 'edit'] } });
  expect([sales.status, ops.status, hrRole.status]).toEqual([201, 201, 201]);

  // The role page: "Its members may give these roles" (administrators only).
  await page.goto(`/admin/roles/${hrRole.body.id}`);
  await expect(page.getByRole('heading', { level: 1, name: `Role: HR Administrator ${s}` })).toBeVisible();
  const group = page.getByRole('group', { name: 'Its members may give these roles' });
  await group.getByLabel(`Sales Agent ${s}`).check();
  const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await page.getByRole('button', { name: 'Save role' }).click();
  const res = await saved;
  expect(res.status()).toBe(200);
  expect(res.request().postDataJSON()).toEqual({ grantable_role_ids: [sales.body.id] });

  const hr = { email: `hr.${s}@example.test`, name: `Hilda HR ${s}`, temporary: `temporary-pass-${s}`, password: `maple-river-stone-${s}` };
  const add = await api.call('POST', '/api/v1/staff', { email: hr.email, name: hr.name, role_id: hrRole.body.id, temporary_password: hr.temporary });
  expect(add.status).toBe(201);
  const ctx = await browser.newContext();
  try {
    const other = watch(await ctx.newPage());
    await signIn(other, hr.email, hr.temporary);
    await other.getByLabel('Current (temporary) password').fill(hr.temporary);
    await other.getByLabel('New password', { exact: true }).fill(hr.password);
    await other.getByLabel('Confirm new password').fill(hr.password);
    await other.getByRole('button', { name: 'Change password and continue' }).click();
    await expect(mainNav(other)).toBeVisible();
    await navLink(other, 'Staff').click();
    await other.getByRole('link', { name: 'Add staff' }).click();
    const role = other.getByLabel('Role', { exact: true });
    await expect(role.locator('option', { hasText: `Sales Agent ${s}` })).toHaveCount(1);
    await expect(role.locator('option', { hasText: `Ops ${s}` })).toHaveCount(0);
    await other.getByRole('textbox', { name: 'Email', exact: true }).fill(`hire.${s}@example.test`);
    await other.getByLabel('Full name').fill(`Hugo Hire ${s}`);
    await role.selectOption({ label: `Sales Agent ${s}` });
    await other.getByRole('radio', { name: /temporary password/i }).check();
    await other.getByLabel(/^Temporary password/).fill(`another-temporary-${s}`);
    const created = other.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/staff');
    await other.getByRole('button', { name: 'Add staff member' }).click();
    const c = await created;
    expect(c.status()).toBe(201);
    expect((await c.json()).role_id).toBe(sales.body.id);
  } finally {
    await ctx.close();
  }

  // Saving a role its members use says how many it affects; Cancel sends nothing.
  await page.goto(`/admin/roles/${sales.body.id}`);
  await expect(page.getByText('Used by 1 staff member')).toBeVisible();
  await page.getByLabel('Require two-factor authentication').check();
  let patched = false;
  page.on('request', (r) => { if (r.method() === 'PATCH') patched = true; });
  await page.getByRole('button', { name: 'Save role' }).click();
  const dialog = page.getByRole('dialog', { name: 'This affects 1 member' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  expect(patched).toBe(false);
  await page.getByRole('button', { name: 'Save role' }).click();
  const saving = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await page.getByRole('dialog', { name: 'This affects 1 member' }).getByRole('button', { name: 'Save for all of them' }).click();
  expect((await saving).status()).toBe(200);
  await api.call('PATCH', `/api/v1/roles/${sales.body.id}`, { require_2fa: false },
    { 'If-Match': `"${(await api.call('GET', `/api/v1/roles/${sales.body.id}`)).body.version}"` });
});

test('an administrator is asked before removing their own admin flag', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const me = (await (await pageApi(page)).call('GET', '/api/v1/auth/me')).body.staff;
  await page.goto(`/admin/staff/${me.id}`);
  const box = page.getByLabel(/^Administrator \(admin = 1\)/);
  await expect(box).toBeChecked();
  await box.uncheck();
  let patched = false;
  page.on('request', (r) => { if (r.method() === 'PATCH') patched = true; });
  await page.getByRole('button', { name: 'Save changes' }).click();
  const dialog = page.getByRole('dialog', { name: 'Remove your own administrator rights?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Only another administrator can make you an administrator again');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect(patched).toBe(false);
  await page.reload();
  await expect(page.getByLabel(/^Administrator \(admin = 1\)/)).toBeChecked();
});

test('a member whose invitation is not used yet shows as Invited, not Active, and not among the inactive', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const s = stamp();
  const add = await (await pageApi(page)).call('POST', '/api/v1/staff', { email: `ivy.${s}@example.test`, name: `Ivy Invited ${s}`, send_welcome: true });
  expect(add.status).toBe(201);
  await navLink(page, 'Staff').click();
  await page.getByRole('searchbox').fill(`Ivy Invited ${s}`);
  const row = page.getByRole('row').filter({ hasText: `Ivy Invited ${s}` });
  await expect(row.getByText('Invited', { exact: true })).toBeVisible();
  await expect(row.getByText('Active', { exact: true })).toHaveCount(0);
  await page.goto(`/admin/staff?q=${encodeURIComponent(`Ivy Invited ${s}`)}&inactive_days=90`);
  await expect(page.getByLabel('No sign-in for')).toHaveValue('90');
  await expect(page.getByText('No staff members match.')).toBeVisible();
});

test('a role in use offers no Delete, and says why; an unused one does', async ({ page, browser }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  const api = await pageApi(page);
  const s = stamp();
  const used = await api.call('POST', '/api/v1/roles', { name: `In use ${s}`, permissions: { leads: ['view_own'] } });
  const unused = await api.call('POST', '/api/v1/roles', { name: `Unused ${s}`, permissions: { leads: ['view_own'] } });
  await addMember(page, browser, { role_id: used.body.id });
  await page.goto(`/admin/roles/${used.body.id}`);
  const del = page.getByRole('button', { name: 'Delete role' });
  await expect(del).toBeDisabled();
  await expect(page.getByText('It cannot be deleted while 1 staff member uses it: give them another role first.')).toBeVisible();
  await expect(del).toHaveAccessibleDescription(/cannot be deleted while 1 staff member uses it/);
  await page.goto(`/admin/roles/${unused.body.id}`);
  await expect(page.getByRole('button', { name: 'Delete role' })).toBeEnabled();
});

test('a delegated HR member: accounts they may not manage open read-only with the reason; only grantable choices are offered', async ({ page, browser }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  const api = await pageApi(page);
  const s = stamp();
  const sales = await api.call('POST', '/api/v1/roles', { name: `Sales ${s}`, permissions: { leads: ['view_own'] } });
  const ops = await api.call('POST', '/api/v1/roles', { name: `Ops ${s}`, permissions: { settings: ['view', 'edit'] } });
  const hrRole = await api.call('POST', '/api/v1/roles', { name: `HR ${s}`, grantable_role_ids: [sales.body.id],
    permissions: { staff: ['view', 'create', 'edit', 'delete'], roles: ['view', 'edit'], leads: ['view'] } });
  expect([sales.status, ops.status, hrRole.status]).toEqual([201, 201, 201]);
  const hr = await addMember(page, browser, { role_id: hrRole.body.id, name: `Hilda ${s}` });
  const opsMember = await addMember(page, browser, { role_id: ops.body.id, name: `Otto ${s}` });
  const salesMember = await addMember(page, browser, { role_id: sales.body.id, name: `Sami ${s}` });

  const ctx = await browser.newContext({ baseURL: BASE });
  const other = watch(await ctx.newPage());
  try {
    await signIn(other, hr.email, hr.password);
    await expect(mainNav(other)).toBeVisible();
    // Ops holds settings.edit, which HR lacks: read-only, and why.
    await other.goto(`/admin/staff/${opsMember.id}`);
    const note = other.getByTestId('cannot-manage');
    await expect(note).toContainText('You may not change this account');
    await expect(note).toContainText('settings');
    await expect(other.getByLabel('Full name')).toBeDisabled();
    await expect(other.getByRole('button', { name: 'Save changes' })).toHaveCount(0);
    for (const name of ['Deactivate', 'Resend invitation', 'Send password link', 'Delete']) {
      await expect(other.getByRole('button', { name, exact: true }), `no ${name}`).toHaveCount(0);
    }
    await other.getByRole('tab', { name: 'Security' }).click();
    await expect(other.getByRole('button', { name: 'Force password reset' })).toHaveCount(0);

    // Sales is delegated to HR: theirs to manage.
    await other.goto(`/admin/staff/${salesMember.id}`);
    await expect(other.getByRole('heading', { level: 1, name: salesMember.name })).toBeVisible();
    await expect(other.getByTestId('cannot-manage')).toHaveCount(0);
    await expect(other.getByRole('button', { name: 'Save changes' })).toBeVisible();
    await expect(other.getByRole('button', { name: 'Deactivate' })).toBeVisible();
    // Allow is offered only for what HR holds.
    await other.getByRole('tab', { name: 'Permissions' }).click();
    const settingsEdit = other.getByLabel('Settings: Edit');
    await expect(settingsEdit.locator('option', { hasText: 'Allow (not yours to give)' })).toBeDisabled();
    await expect(other.getByLabel('Leads: View (all)').locator('option', { hasText: /^Allow$/ })).toBeEnabled();

    // The role matrix: what HR lacks cannot be ticked.
    await other.goto(`/admin/roles/${sales.body.id}`);
    await expect(other.getByRole('checkbox', { name: /^Settings: Edit/ })).toBeDisabled();
    await expect(other.getByRole('checkbox', { name: 'Leads: View (all)', exact: true })).toBeEnabled();
    await expect(other.getByText('Greyed-out boxes are permissions you do not have yourself')).toBeVisible();
  } finally {
    await ctx.close();
  }
});
