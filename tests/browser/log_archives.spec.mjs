// Utilities > Log archives in real Chromium: old pipe log entries archived
// by `atrium logs archive` appear with their rows, size and checksum; the
// download is the file the checksum names; the retention form shows the
// server's field error under its field and saves a valid value; a file a
// GDPR erasure rewrote shows a badge naming the request.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { test, expect } from '@playwright/test';
import { guardPages, navLink, pageApi, signIn, sql, stamp } from './common.mjs';

guardPages();

test('log archives: an archive is listed and downloads as its checksum says; the retention form', async ({ page }) => {
  const bin = process.env.ATRIUM_BIN;
  const file = process.env.ATRIUM_DB_FILE;
  if (!bin || !file || !process.env.ATRIUM_ARCHIVE_DIR) {
    throw new Error('ATRIUM_BIN, ATRIUM_DB_FILE and ATRIUM_ARCHIVE_DIR must be set (scripts/test-all sets them)');
  }
  const tag = stamp();
  sql(`INSERT INTO pipe_log (org_id, received_at, subject, result, bytes) VALUES
    (1, '2020-01-01T00:00:00.000Z', 'old ${tag} 1', 'ignored', 1),
    (1, '2020-01-02T00:00:00.000Z', 'old ${tag} 2', 'ignored', 2)`);
  const run = spawnSync(bin, ['logs', 'archive', '--log', 'pipe', '--db', `sqlite:${file}`], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/archived: pipe of org 1, 2 rows/);

  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.goto('/admin/utilities');
  await page.getByRole('link', { name: 'Log archives' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Log archives' })).toBeVisible();
  await expect(navLink(page, 'Log archives')).toBeVisible();

  const api = await pageApi(page);
  const archive = (await api.call('GET', '/api/v1/log-archives?log=pipe')).body.data[0];
  const row = page.getByRole('row').filter({ hasText: archive.sha256.slice(0, 16) });
  await expect(row).toContainText('Pipe log');
  await expect(row).toContainText('Archived');
  await expect(row.getByRole('cell', { name: '2', exact: true })).toBeVisible();
  await expect(row).toContainText(`${archive.bytes} B`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('link', { name: 'Download' }).click(),
  ]);
  const bytes = fs.readFileSync(await download.path());
  expect(crypto.createHash('sha256').update(bytes).digest('hex')).toBe(archive.sha256);
  expect(download.suggestedFilename()).toMatch(/^pipe-\d+-\d+\.jsonl\.gz$/);
  await expect(row.getByTestId('archive-rewritten')).toHaveCount(0);

  // A file a GDPR erasure rewrote carries a badge naming the request, its
  // note in the title (the rewrite itself: tests/http/gdpr-reach.test.mjs).
  const note = `rewritten by erasure request 4242 at 2026-01-01T00:00:00.000Z: 1 rows changed ${tag}`;
  sql(`UPDATE log_archive SET rewritten_by = 4242, rewrite_note = '${note}' WHERE id = ${archive.id}`);
  await page.reload();
  const badge = page.getByRole('row').filter({ hasText: archive.sha256.slice(0, 16) }).getByTestId('archive-rewritten');
  await expect(badge).toHaveText('Rewritten by erasure request 4242');
  await expect(badge).toHaveAttribute('title', note);
  sql(`UPDATE log_archive SET rewritten_by = NULL, rewrite_note = NULL WHERE id = ${archive.id}`);

  // The retention form: a bad value is named under its field; a good one saves.
  const days = page.getByLabel('Keep the pipe log for (days)');
  await days.fill('-1');
  await page.getByRole('button', { name: 'Save retention settings' }).click();
  await expect(page.getByText('Please correct this field').first()).toBeVisible();
  await expect(days).toHaveAttribute('aria-invalid', 'true');
  await days.fill('45');
  await page.getByRole('button', { name: 'Save retention settings' }).click();
  await expect(page.getByText('Retention saved.').first()).toBeVisible();
  expect((await api.call('GET', '/api/v1/settings/retention')).body.values.retention_pipe_days).toBe(45);
  await api.call('PATCH', '/api/v1/settings/retention', { retention_pipe_days: null });
});
