// Record pages drawn from the server's entity definitions, their History,
// the activity entry dialog with names, and the activity log's record
// filter, IP filter, time zone and CSV export.
import { test, expect } from '@playwright/test';
import { guardPages, mainNav, navLink, pageApi, signIn, stamp } from './common.mjs';

guardPages();

test('the navigation and the forms come from the server\'s definitions', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const meta = await call('GET', '/api/v1/meta/entities');
  expect(meta.status).toBe(200);
  for (const e of meta.body.data) await expect(navLink(page, e.label)).toBeVisible();
  await navLink(page, 'Clients').click();
  await page.getByRole('link', { name: 'New client' }).click();
  // Every form field of the definition is there, with its label.
  const client = meta.body.data.find((e) => e.name === 'client');
  const label = (text) => page.getByLabel(new RegExp(`^${text}( \\*)?$`));
  for (const f of client.fields) await expect(label(f.label)).toBeVisible();
  await expect(label('Address')).toHaveJSProperty('tagName', 'TEXTAREA');
});

test('a lead\'s History lists its changes; an entry opens with names instead of ids', async ({ page }) => {
  const name = `History Lead ${stamp()}`;
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const me = (await call('GET', '/api/v1/auth/me')).body.staff;
  const made = await call('POST', '/api/v1/leads', { name });
  expect(made.status).toBe(201);
  const changed = await call('PATCH', `/api/v1/leads/${made.body.id}`, { assigned_to: me.id },
    { 'If-Match': made.headers.etag });
  expect(changed.status).toBe(200);

  await page.goto(`/admin/leads/${made.body.id}`);
  const history = page.getByRole('region', { name: 'History' });
  await expect(history.getByRole('row')).toHaveCount(3); // header, update, create
  await expect(history.getByRole('cell', { name: 'update', exact: true })).toBeVisible();
  await expect(history.getByRole('cell', { name: 'create', exact: true })).toBeVisible();

  // The time of the update opens the whole entry.
  await history.getByRole('row').filter({ hasText: 'update' }).getByRole('button').click();
  const dialog = page.getByRole('dialog', { name: /Activity entry #\d+/ });
  await expect(dialog).toBeVisible();
  const row = dialog.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'assigned_to' }) });
  await expect(row).toContainText(`${me.name} (#${me.id})`);
  await expect(dialog).toContainText(Intl.DateTimeFormat().resolvedOptions().timeZone);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);

  // "Open in the activity log" keeps the record filter.
  await history.getByRole('link', { name: 'Open in the activity log' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Activity log' })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`entity=lead.*entity_id=${made.body.id}`));
  await expect(page.getByLabel('Record id')).toHaveValue(String(made.body.id));
  const rows = page.locator('table.table-log tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(page.getByRole('columnheader', { name: /^Time \(.+\)$/ })).toBeVisible();
  const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  expect(href).toBe(`/api/v1/activity/export?entity=lead&entity_id=${made.body.id}`);
  const csv = await page.request.get(href);
  expect(csv.status()).toBe(200);
  expect((await csv.text()).trim().split('\r\n')).toHaveLength(3); // header + 2 entries

  // The IP filter narrows to entries from that address.
  await page.getByLabel('IP address').fill('192.0.2.99');
  await page.getByLabel('IP address').press('Enter');
  await expect(page.getByText('No activity matches these filters.')).toBeVisible();
});

test('an address no page claims is "not found", inside the shell', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.goto('/admin/no-such-things');
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  await expect(mainNav(page)).toBeVisible();
});
