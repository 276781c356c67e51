// GDPR in real Chromium (issue 15, "GDPR — rights requests"): an
// administrator registers an access request in the form, sees its legal
// deadline with the days left in the list, exports the person's data and
// downloads the zip; then carries out an erasure request: the subject's
// email typed again, the password re-entered, the person's lead shows
// [DELETED] afterwards and the request is documented as done.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PASSWORD, guardPages, navLink, pageApi, signIn, stamp } from './common.mjs';

guardPages();

async function bytesOf(download) {
  return Buffer.concat(await (await download.createReadStream()).toArray());
}

test('a GDPR export: registered in the form, the deadline in the list, the zip downloaded', async ({ page }) => {
  const tag = stamp();
  const email = `gdpr${tag}@subject.test`;
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const lead = await call('POST', '/api/v1/leads', { name: `Jane ${tag}`, email, phone: '+40 721 000 111' });
  expect(lead.status).toBe(201);

  await navLink(page, 'GDPR requests').click();
  await expect(page.getByRole('heading', { level: 1, name: 'GDPR requests' })).toBeVisible();
  await page.getByRole('link', { name: 'New GDPR request' }).click();
  await page.getByLabel(/^Request( \*)?$/).selectOption('access');
  await page.getByLabel(/^Subject's email( \*)?$/).fill(email);
  await page.getByRole('button', { name: 'Register request' }).click();
  await expect(page).toHaveURL(/\/admin\/gdpr(\?|$)/);
  const row = page.getByRole('row', { name: new RegExp(email) });
  await expect(row).toBeVisible();
  await expect(row.getByTestId('gdpr-deadline')).toContainText('30 days left');

  await row.getByRole('link', { name: email }).click();
  const card = page.getByTestId('gdpr-actions');
  await expect(card).toBeVisible();
  await card.getByRole('button', { name: "Export the person's data" }).click();
  const dl = card.getByRole('button', { name: 'Download the zip' });
  await expect(dl).toBeVisible({ timeout: 20000 });
  const [download] = await Promise.all([page.waitForEvent('download'), dl.click()]);
  expect(download.suggestedFilename()).toMatch(/^gdpr-request-\d+\.zip$/);
  const bytes = await bytesOf(download);
  const f = path.join(os.tmpdir(), `gdpr-${tag}.zip`);
  fs.writeFileSync(f, bytes);
  try {
    const all = JSON.parse(execFileSync('unzip', ['-p', f, 'all.json']).toString());
    expect(all.leads.map((x) => x.name)).toEqual([`Jane ${tag}`]);
    expect(execFileSync('unzip', ['-Z1', f]).toString()).toContain('leads.csv');
  } finally { fs.unlinkSync(f); }
});

test('a GDPR erasure: the email typed again, the password re-entered, the person [DELETED]', async ({ page }) => {
  const tag = stamp();
  const email = `erase${tag}@subject.test`;
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const lead = await call('POST', '/api/v1/leads', { name: `Erin ${tag}`, email });
  expect(lead.status).toBe(201);
  const req = await call('POST', '/api/v1/gdpr', { type: 'erasure', subject_email: email, received_on: new Date(Date.now() - 26 * 86400000).toISOString().slice(0, 10) });
  expect(req.status).toBe(201);

  await page.goto('/admin/gdpr');
  const row = page.getByRole('row', { name: new RegExp(email) });
  await expect(row.getByTestId('gdpr-deadline')).toContainText('4 days left');
  await expect(row.getByTestId('gdpr-deadline').locator('.badge')).toHaveAttribute('data-state', 'soon');
  await row.getByRole('link', { name: email }).click();
  const card = page.getByTestId('gdpr-actions');
  await card.getByRole('button', { name: "Erase the person's data" }).click();
  const dlg = page.getByRole('dialog', { name: "Erase this person's data?" });
  await dlg.getByLabel(/Type the subject's email/).fill('someone@else.test');
  await dlg.getByRole('button', { name: "Erase the person's data" }).click();
  await expect(dlg).toContainText("This is not the subject's email.");
  await dlg.getByLabel(/Type the subject's email/).fill(email);
  await dlg.getByRole('button', { name: "Erase the person's data" }).click();
  // Dangerous: the password again.
  const reauth = page.getByTestId('reauth-form');
  await expect(reauth).toBeVisible();
  await reauth.getByLabel('Your password').fill(PASSWORD);
  await reauth.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByTestId('gdpr-actions')).toContainText("The person's data was erased");
  await expect(page.getByLabel(/^Status/)).toHaveValue('done');

  const after = await call('GET', `/api/v1/leads/${lead.body.id}`);
  expect(after.body.name).toBe('[DELETED]');
  expect(after.body.email).toBe(null);
  const r = await call('GET', `/api/v1/gdpr/${req.body.id}`);
  expect(r.body.subject_email).toBe('[DELETED]');
  expect(r.body.erased_at).toMatch(/^\d{4}-/);
});
