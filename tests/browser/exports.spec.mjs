// List exports from the screens: Export CSV and Export Excel download the
// server's file of the whole selection shown (search, filters, sort).
import { test, expect } from '@playwright/test';
import { guardPages, pageApi, signIn, stamp } from './common.mjs';

guardPages();

async function bytesOf(download) {
  return Buffer.concat(await (await download.createReadStream()).toArray());
}

test('a filtered lead list exports as CSV and as Excel', async ({ page }) => {
  const tag = `Export ${stamp()}`;
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  for (const [i, status] of ['new', 'won', 'new'].entries()) {
    const r = await call('POST', '/api/v1/leads', { name: `${tag} ${i}`, status, value: '10.00' });
    expect(r.status).toBe(201);
  }
  await page.goto(`/admin/leads?q=${encodeURIComponent(tag)}&status=new&limit=1`);
  await expect(page.locator('tbody tr')).toHaveCount(1); // one row a page; the export takes all

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(csv.suggestedFilename()).toMatch(/^leads-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = (await bytesOf(csv)).toString('utf8');
  expect(text.startsWith('\ufeff')).toBe(true);
  const lines = text.slice(1).trim().split('\r\n');
  expect(lines).toHaveLength(3);
  expect(lines.slice(1).every((l) => l.includes(',new,'))).toBe(true);
  await expect(page.getByText('Exported 2 rows.')).toBeAttached();

  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Excel' }).click()]);
  expect(xlsx.suggestedFilename()).toMatch(/^leads-\d{4}-\d{2}-\d{2}\.xlsx$/);
  expect((await bytesOf(xlsx)).subarray(0, 2).toString()).toBe('PK');

  // Both are in the activity log.
  const log = await call('GET', '/api/v1/activity?action=export&entity=leads&limit=2');
  expect(log.body.data.map((e) => e.diff.format)).toEqual(['xlsx', 'csv']);
});
