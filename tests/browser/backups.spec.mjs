// Backups (/admin/utilities/backups) in real Chromium: reached from the
// Utilities menu; the master-key reminder; the schedule form naming a bad
// field and saving a good one; "Back up now" followed until the row is
// Done, its file downloaded (the bytes the list's SHA-256 names); the age
// of the last good backup, here and in Settings' Backups tab.
import { test, expect } from '@playwright/test';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { guardPages, navLink, pageApi, signIn } from './common.mjs';

guardPages();

test('backups: schedule with field errors, back up now, download, last good backup in Settings', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-browser-backups-'));
  const saved = (await api.call('GET', '/api/v1/backup_schedule')).body;
  try {
    await page.goto('/admin/utilities');
    await page.getByRole('link', { name: 'Backups' }).first().click();
    await expect(page).toHaveURL(/\/admin\/utilities\/backups$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Backups' })).toBeVisible();
    await expect(navLink(page, 'Backups')).toBeVisible();
    await expect(page.getByText('The master key is not in any backup')).toBeVisible();

    // The schedule: a bad value is named at its field; then saved.
    await page.getByLabel('Directory on the server').fill(dir);
    await page.getByLabel('Backups to keep').fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText(/Please correct/)).toBeVisible();
    await expect(page.getByLabel('Backups to keep')).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('Backups to keep').fill('3');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('Backup schedule saved')).toBeVisible();
    await expect(page.getByLabel('Backups to keep')).not.toHaveAttribute('aria-invalid', 'true');
    const after = (await api.call('GET', '/api/v1/backup_schedule')).body;
    expect(after.keep).toBe(3);
    expect(after.directory).toBe(dir);

    // Back up now: the row is followed until it is done.
    await page.getByRole('button', { name: 'Back up now' }).click();
    await expect(page.getByText(/Backup \d+ started/)).toBeVisible();
    const list = (await api.call('GET', '/api/v1/backups?limit=1')).body;
    const id = list.data[0].id;
    const row = page.locator(`tr[data-backup="${id}"]`);
    await expect(row).toHaveAttribute('data-status', 'done', { timeout: 30000 });
    await expect(row).toContainText('Done');
    await expect(row).toContainText('Manual');
    await expect(page.getByTestId('backup-last-good')).toContainText('Last good backup: less than a minute ago');
    const run = (await api.call('GET', `/api/v1/backups/${id}`)).body;
    expect(path.dirname(run.file)).toBe(fs.realpathSync(dir));

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('link', { name: `Download backup ${id}` }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(run.file_name);
    const file = await download.path();
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBe(run.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(run.sha256);

    // Settings shows the same age, with a link to this page.
    await page.goto('/admin/settings?tab=backups');
    const card = page.getByRole('region', { name: 'Backups' });
    await expect(card.getByTestId('backup-last-good')).toContainText('Last good backup:');
    await card.getByRole('link', { name: 'Backups and their schedule' }).click();
    await expect(page).toHaveURL(/\/admin\/utilities\/backups$/);
  } finally {
    await api.call('PATCH', '/api/v1/backup_schedule', { directory: saved.directory, keep: saved.keep });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
