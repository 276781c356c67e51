// Excel import in real Chromium (/admin/excel_import): the navigation entry,
// the template download, a CSV with a bad row uploaded, its columns mapped
// by header, validation showing the errors row by row (nothing written),
// all-or-nothing refused, "skip bad rows" chosen and confirmed with the
// result, the records there, the history, and revert. Markup in a cell is
// shown as text.
import { test, expect } from '@playwright/test';
import { guardPages, navLink, pageApi, signIn, stamp } from './common.mjs';

guardPages();

test('import a CSV with errors: validate, see errors row by row, skip bad rows, confirm, revert', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await navLink(page, 'Excel import').click();
  await expect(page).toHaveURL(/\/admin\/excel_import$/);
  await expect(page.getByRole('heading', { name: 'Excel import', level: 1 })).toBeVisible();

  // the template of the module chosen
  await page.getByTestId('import-entity').selectOption('leads');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-template').click()]);
  expect(download.suggestedFilename()).toBe('leads-import-template.xlsx');

  const tag = stamp();
  const csv = 'Name,Email,Status\n'
    + `Good ${tag},good-${tag}@example.test,new\n`
    + `<b>Bad</b> ${tag},not-an-email,weird\n`;
  await page.getByTestId('import-file').setInputFiles({ name: `leads-${tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByTestId('import-upload').click();
  await expect(page).toHaveURL(/\/admin\/excel_import\/\d+$/);
  await expect(page.getByRole('heading', { name: `leads-${tag}.csv` })).toBeVisible();
  // columns matched by header
  await expect(page.getByTestId('import-map-1')).toHaveValue('name');
  await expect(page.getByTestId('import-map-2')).toHaveValue('email');
  await expect(page.getByTestId('import-map-3')).toHaveValue('status');

  await page.getByTestId('import-validate').click();
  await expect(page.getByTestId('import-status')).toHaveText('Has errors');
  const errors = page.getByTestId('import-errors');
  await expect(errors.getByRole('heading')).toHaveText('1 row error');
  await expect(errors.locator('tr[data-row="3"]')).toHaveCount(2);
  await expect(errors).toContainText('Email');
  await expect(errors).toContainText('Status');
  await expect(page.getByTestId('import-confirm')).toBeHidden();
  // nothing written by the validation
  const api = await pageApi(page);
  const none = await api.call('GET', `/api/v1/leads?q=${tag}`);
  expect(none.body.data).toHaveLength(0);

  // skip bad rows, validate again, confirm
  await page.getByTestId('import-skip-bad').check();
  await page.getByTestId('import-validate').click();
  await expect(page.getByTestId('import-status')).toHaveText('Has errors');
  await page.getByTestId('import-confirm').click();
  await expect(page.getByTestId('import-status')).toHaveText('Imported');
  await expect(page.getByTestId('import-result')).toHaveText('1 created, 0 updated, 0 skipped, 1 with errors');
  const some = await api.call('GET', `/api/v1/leads?q=${tag}`);
  expect(some.body.data.map((l) => l.name)).toEqual([`Good ${tag}`]);

  // the history lists it
  await page.getByRole('link', { name: 'All imports' }).click();
  await expect(page.getByRole('link', { name: `leads-${tag}.csv` })).toBeVisible();
  await page.getByRole('link', { name: `leads-${tag}.csv` }).click();

  // revert
  await page.getByTestId('import-revert').click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revert import' }).click();
  await expect(page.getByTestId('import-status')).toHaveText('Reverted');
  const gone = await api.call('GET', `/api/v1/leads?q=${tag}`);
  expect(gone.body.data).toHaveLength(0);
});

test('an unreadable file is refused with the reason', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.goto('/admin/excel_import');
  await page.getByTestId('import-file').setInputFiles({ name: 'evil.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n"never closed,1\n') });
  await page.getByTestId('import-upload').click();
  await expect(page.getByTestId('import-upload-error')).toContainText('malformed CSV');
  await expect(page).toHaveURL(/\/admin\/excel_import$/);
});

test('"Back up before import" starts a backup of the kind pre_import', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.goto('/admin/excel_import');
  await page.getByTestId('import-backup').click();
  await expect(page.getByText('Backup started.')).toBeVisible();
  const runs = await (await page.request.get('/api/v1/backups?kind=pre_import')).json();
  expect(runs.data.length).toBeGreaterThanOrEqual(1);
  expect(runs.data[0].kind).toBe('pre_import');
});
