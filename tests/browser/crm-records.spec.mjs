// Contacts, contracts and projects in the UI (issue 12): the generic record
// pages drawn from their definitions, with the client picked by name in the
// reference select, a duplicate email named on its field, and the record in
// its list.
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { guardPages, navLink, pageApi, signIn, stamp } from './common.mjs';

guardPages();

test('a contact at a client: picked by name, a duplicate email refused on its field, listed', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const client = await call('POST', '/api/v1/clients', { company: `Nordic Timber ${tag}` });
  expect(client.status).toBe(201);
  const taken = await call('POST', '/api/v1/contacts', { client_id: client.body.id, first_name: 'Taken', email: `taken${tag}@example.test` });
  expect(taken.status).toBe(201);

  await navLink(page, 'Contacts').click();
  await page.getByRole('link', { name: 'New contact' }).click();
  await page.getByLabel(/^Client( \*)?$/).selectOption({ label: `Nordic Timber ${tag}` });
  await page.getByLabel(/^First name( \*)?$/).fill(`Ana ${tag}`);
  await page.getByLabel(/^Email( \*)?$/).fill(`TAKEN${tag}@example.test`);
  await page.getByRole('button', { name: 'Create contact' }).click();
  await expect(page.locator('#contact-email-error')).toContainText(/already used/);
  await page.getByLabel(/^Email( \*)?$/).fill(`ana${tag}@example.test`);
  await page.getByRole('button', { name: 'Create contact' }).click();
  await expect(page).toHaveURL(/\/admin\/contacts(\?|$)/);
  const row = page.getByRole('row', { name: new RegExp(`Ana ${tag}`) });
  await expect(row).toBeVisible();
  await expect(row.getByRole('cell', { name: `Nordic Timber ${tag}` })).toBeVisible(); // the client by name, not #id
});

test('a contract and a project for a client, through their forms', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  expect((await call('POST', '/api/v1/clients', { company: `Acme ${tag}` })).status).toBe(201);

  await navLink(page, 'Contracts').click();
  await page.getByRole('link', { name: 'New contract' }).click();
  await page.getByLabel(/^Subject( \*)?$/).fill(`Maintenance ${tag}`);
  await page.getByLabel(/^Client( \*)?$/).selectOption({ label: `Acme ${tag}` });
  await page.getByLabel(/^End date$/).fill('2027-03-31');
  await page.getByRole('button', { name: 'Create contract' }).click();
  await expect(page).toHaveURL(/\/admin\/contracts(\?|$)/);
  await expect(page.getByRole('link', { name: `Maintenance ${tag}` })).toBeVisible();

  await navLink(page, 'Projects').click();
  await page.getByRole('link', { name: 'New project' }).click();
  await page.getByLabel(/^Name( \*)?$/).fill(`Website ${tag}`);
  await page.getByLabel(/^Status( \*)?$/).selectOption('in_progress');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(/\/admin\/projects(\?|$)/);
  await expect(page.getByRole('link', { name: `Website ${tag}` })).toBeVisible();
});

test('a ticket\'s conversation: a note, then a reply that marks it answered', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const t = await call('POST', '/api/v1/tickets', { subject: `Saw stopped ${tag}`, message: 'It shows E42.' });
  expect(t.status).toBe(201);
  await page.goto(`/admin/tickets/${t.body.id}`);
  const thread = page.getByRole('region', { name: 'Conversation' });
  await expect(thread.getByText('No replies yet.')).toBeVisible();
  // An empty reply is refused on its field.
  await thread.getByRole('button', { name: 'Add reply' }).click();
  await expect(thread.getByLabel('Reply')).toHaveAttribute('aria-invalid', 'true');
  await thread.getByLabel('Reply').fill('Checking with the workshop.');
  await thread.getByLabel(/Internal note/).check();
  await thread.getByRole('button', { name: 'Add note' }).click();
  await expect(thread.getByText('Checking with the workshop.')).toBeVisible();
  await expect(thread.getByText('Internal note', { exact: true })).toBeVisible();
  await expect(page.getByLabel(/^Status( \*)?$/)).toHaveValue('open');
  await thread.getByLabel('Reply').fill('<b>Please restart it</b> and tell us.');
  await thread.getByLabel(/Internal note/).uncheck();
  await thread.getByRole('button', { name: 'Add reply' }).click();
  // Shown as text, never as markup; the page reloads with the new status.
  await expect(page.getByRole('region', { name: 'Conversation' }).getByText('<b>Please restart it</b> and tell us.')).toBeVisible();
  await expect(page.getByLabel(/^Status( \*)?$/)).toHaveValue('answered');
});

test('mail to a department becomes its ticket, listed in the pipe log with a link to it', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const address = `help-${tag}@acme.example`;
  expect((await call('POST', '/api/v1/departments', { name: `Help ${tag}`, email: address })).status).toBe(201);
  const raw = [`From: Ana <ana-${tag}@nordic.example>`, `To: ${address}`, `Subject: Saw stopped ${tag}`,
    `Message-ID: <${tag}@nordic.example>`, 'Content-Type: text/plain; charset=utf-8', '', 'It shows E42.', ''].join('\r\n');
  const out = spawnSync(process.env.ATRIUM_BIN, ['pipe', '--db', `sqlite:${process.env.ATRIUM_DB_FILE}`, '--recipient', address],
    { input: raw, encoding: 'utf8', env: process.env });
  expect(out.status, out.stderr).toBe(0);
  await page.goto('/admin/utilities/pipe_log');
  const row = page.getByRole('row', { name: new RegExp(`Saw stopped ${tag}`) });
  await expect(row.getByText('Ticket opened')).toBeVisible();
  await row.getByRole('link', { name: /ticket #\d+ opened/ }).click();
  await expect(page.getByRole('heading', { name: new RegExp(`Saw stopped ${tag}`) })).toBeVisible();
  await expect(page.getByLabel(/^Message$/)).toHaveValue(/It shows E42\./);
});

test('a ticket\'s files: a PDF uploaded and listed as a download, a program refused on its field', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const t = await call('POST', '/api/v1/tickets', { subject: `Files ${tag}` });
  await page.goto(`/admin/tickets/${t.body.id}`);
  const files = page.getByRole('region', { name: 'Files' });
  await expect(files.getByText('No files.')).toBeVisible();
  await files.getByLabel('Add a file').setInputFiles({ name: 'setup.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ program') });
  await files.getByRole('button', { name: 'Upload' }).click();
  await expect(files.getByText(/is a program or a script/i)).toBeVisible();
  await files.getByLabel('Add a file').setInputFiles({ name: `Offer ${tag}.pdf`, mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 offer') });
  await files.getByRole('button', { name: 'Upload' }).click();
  const link = files.getByRole('link', { name: `Offer ${tag}.pdf` });
  await expect(link).toBeVisible();
  const download = page.waitForEvent('download');
  await link.click();
  expect((await download).suggestedFilename()).toBe(`Offer ${tag}.pdf`);
});
