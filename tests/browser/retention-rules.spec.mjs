// Record retention rules in real Chromium (issue 15, GDPR storage
// limitation): an administrator builds a rule in the form (its field errors
// shown beside the controls: a filter the leads' list language refuses),
// previews it (the count and the first records with links), runs it now
// (asked again with the count) and sees the run in the rule's history.
// Records are aged by writing the database, never by waiting.
import { test, expect } from '@playwright/test';
import { guardPages, navLink, pageApi, signIn, sql, stamp } from './common.mjs';

guardPages();

test('a retention rule: built in the form with its field errors, previewed, run now, the run in its history', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  // Two lost leads untouched since 2020 (written so, with no activity-log
  // entry), one lost lead created today: the rule takes the first two only.
  const old = '2020-03-01T00:00:00.000Z';
  const recent = await call('POST', '/api/v1/leads', { name: `Old c ${tag}`, status: 'lost' });
  expect(recent.status).toBe(201);
  const ids = ['a', 'b'].map((n) => Number(sql(`INSERT INTO lead (org_id, name, status, created_at, updated_at, version) VALUES (1, 'Old ${n} ${tag}', 'lost', '${old}', '${old}', 1) RETURNING id`)));
  sql("UPDATE entity_count SET n = n + 2 WHERE org_id = 1 AND entity = 'lead'");
  ids.push(recent.body.id);

  await navLink(page, 'Record retention rules').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Record retention rules' })).toBeVisible();
  await page.getByRole('link', { name: 'New retention rule' }).click();
  await page.getByLabel(/^Name( \*)?$/).fill(`Lost leads ${tag}`);
  await page.getByLabel(/^Records( \*)?$/).selectOption('lead');
  await page.getByLabel(/^No activity for( \*)?$/).fill('3');
  await page.getByLabel(/^Unit( \*)?$/).selectOption('years');
  const filter = page.getByLabel(/^Only records matching/);
  await filter.fill('stage=lost');
  await page.getByRole('button', { name: 'Create rule' }).click();
  // The leads' list language has no "stage": the error is beside the filter.
  await expect(filter).toHaveAttribute('aria-invalid', 'true');
  await expect(filter).toHaveAccessibleDescription(/stage/);
  await filter.fill(`status=lost&q=${tag}`);
  // The form's own preview, before saving: the count of the rule as typed.
  await page.getByTestId('retention-form-preview').click();
  await expect(page.getByTestId('retention-preview-count')).toContainText('2 records would be removed now');
  await page.getByRole('button', { name: 'Create rule' }).click();
  await expect(page).toHaveURL(/\/admin\/retention_rules(\?|$)/);
  await page.getByRole('link', { name: `Lost leads ${tag}` }).click();

  const card = page.getByTestId('retention-actions');
  await expect(card.getByTestId('retention-state')).toContainText('not confirmed');
  await card.getByRole('button', { name: 'Preview' }).click();
  const preview = card.getByTestId('retention-preview');
  await expect(preview.getByTestId('retention-preview-count')).toContainText('2 records would be removed now');
  await expect(preview.getByRole('link', { name: `Old a ${tag}` })).toHaveAttribute('href', `/admin/leads/${ids[0]}`);
  await expect(preview.getByRole('link', { name: `Old c ${tag}` })).toHaveCount(0);

  await card.getByRole('button', { name: 'Run now' }).click();
  const dlg = page.getByRole('dialog', { name: 'Run this rule now?' });
  await expect(dlg).toContainText('2 records will be deleted');
  await dlg.getByRole('button', { name: 'Run now' }).click();
  const run = card.getByTestId('retention-run').first();
  await expect(run).toHaveAttribute('data-status', 'done', { timeout: 20000 });
  await expect(run).toContainText('Run now');
  await expect(run.locator('td').nth(3)).toHaveText('2');
  expect(sql(`SELECT COUNT(*) FROM lead WHERE id IN (${ids.join(', ')})`)).toBe('1');
  // After the run the rule is confirmed for the daily run.
  await expect(card.getByTestId('retention-state')).toContainText('is confirmed');

  // Bulk: enable it from the list.
  await navLink(page, 'Record retention rules').click();
  await page.getByRole('checkbox', { name: `Select Lost leads ${tag}` }).check();
  await page.getByRole('button', { name: 'Enable', exact: true }).click();
  await expect(page.getByText('1 rule enabled.')).toBeVisible();
  const rules = await call('GET', `/api/v1/retention_rules?q=${tag}`);
  expect(rules.body.data.map((r) => r.enabled)).toEqual([true]);
});
