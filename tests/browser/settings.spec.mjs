// Settings (/admin/settings) in real Chromium:
//   - a save sends If-Match with the group's ETag; when someone else saved
//     the group first, the form shows the stale notice (nothing written),
//     and "Reload the latest version" shows their values;
//   - the Cronjob tab: the crontab lines (the atrium cron command and the
//     cron URL with its token's place), last and next run, a token
//     generated once that the cron URL accepts; a last run older than 5
//     minutes is a warning with the next run overdue, a recent one says
//     cron is running and when it runs next (the scheduler's answer is
//     altered in the page for those two states: the server's own
//     scheduler runs every few seconds).
import { test, expect } from '@playwright/test';
import { BASE, guardPages, pageApi, signIn, stamp } from './common.mjs';

guardPages();

test('a settings save over someone else\'s shows the stale notice; reload shows theirs', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const original = (await api.call('GET', '/api/v1/settings/company')).body.values.company_name;
  await page.goto('/admin/settings');
  const name = page.getByLabel('Company name');
  await expect(name).toHaveValue(original);
  try {
    // Another administrator saves the group after this page loaded it.
    const theirs = `Theirs ${stamp()}`;
    const other = await api.call('PATCH', '/api/v1/settings/company', { company_name: theirs });
    expect(other.status, JSON.stringify(other.body)).toBe(200);

    await name.fill(`Mine ${stamp()}`);
    const sent = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith('/api/v1/settings/company'));
    await page.getByRole('button', { name: 'Save company details' }).click();
    expect((await sent).headers()['if-match']).toMatch(/^"\d+"$/);
    await expect(page.getByRole('alert').filter({ hasText: 'This section was changed by someone else' })).toBeVisible();
    await expect(page.getByText('Your changes were not saved.')).toBeVisible();
    expect((await api.call('GET', '/api/v1/settings/company')).body.values.company_name).toBe(theirs);

    await page.getByRole('button', { name: 'Reload the latest version' }).click();
    await expect(name).toHaveValue(theirs);
    // Saved on the version now loaded, it goes through.
    const mine = `Mine again ${stamp()}`;
    await name.fill(mine);
    await page.getByRole('button', { name: 'Save company details' }).click();
    await expect(page.getByText('Company saved.').first()).toBeVisible();
    expect((await api.call('GET', '/api/v1/settings/company')).body.values.company_name).toBe(mine);
    // And the next save uses the ETag that save answered.
    await name.fill(`${mine} 2`);
    const again = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith('/api/v1/settings/company'));
    await page.getByRole('button', { name: 'Save company details' }).click();
    expect((await again).status()).toBe(200);
  } finally {
    await api.call('PATCH', '/api/v1/settings/company', { company_name: original });
  }
});

test('Cronjob tab: the crontab lines, last and next run, a token shown once that the cron URL accepts', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.goto('/admin/settings?tab=cron');
  await expect(page.getByRole('tab', { name: 'Cronjob' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('heading', { name: 'Cron status' })).toBeVisible();
  await expect(page.getByText('Cron is running')).toBeVisible();
  await expect(page.getByText(/^Last run \d+ seconds? ago/)).toBeVisible();
  await expect(page.getByText(/^Next run (in \d+ (seconds?|minutes)|: overdue)/)).toBeVisible();
  await expect(page.getByText(/^\* \* \* \* \* \/\S+ cron --config \S+$/)).toBeVisible();
  await expect(page.getByText(`* * * * * curl -fsS -X POST -H 'Authorization: Bearer TOKEN' ${BASE}/cron/run >/dev/null`,
    { exact: true })).toBeVisible();
  const tasks = page.locator('tr[data-task="housekeeping"]');
  await expect(tasks).toContainText('every 60s');

  const gen = page.getByRole('button', { name: /^(Generate|Regenerate) token$/ });
  const again = (await gen.textContent()) === 'Regenerate token';
  await gen.click();
  if (again) await page.getByRole('dialog').getByRole('button', { name: 'Regenerate' }).click();
  const dlg = page.getByRole('dialog', { name: 'The cron token' });
  await expect(dlg).toBeVisible();
  const token = (await dlg.locator('code').first().textContent()).trim();
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  await expect(dlg.locator('code').nth(1)).toHaveText(
    `* * * * * curl -fsS -X POST -H 'Authorization: Bearer ${token}' ${BASE}/cron/run >/dev/null`);
  await dlg.getByRole('button', { name: 'I saved it' }).click();
  await expect(page.getByText(/A token was generated/)).toBeVisible();
  await expect(page.getByText(token)).toHaveCount(0);

  const res = await page.request.post('/cron/run', { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  const bad = await page.request.post('/cron/run', { headers: { Authorization: `Bearer ${'x'.repeat(43)}` } });
  expect(bad.status()).toBe(401);
});

/* Serves GET /api/v1/scheduler with the last and next run moved to the
 * given offsets (ms) from the server's now. */
async function schedulerAt(page, lastAgoMs, nextInMs) {
  await page.route('**/api/v1/scheduler', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const now = Date.parse(body.now);
    body.last_run_at = new Date(now - lastAgoMs).toISOString();
    body.next_run_at = new Date(now + nextInMs).toISOString();
    body.stale = lastAgoMs > 5 * 60000;
    await route.fulfill({ response: res, json: body });
  });
}

test('Cronjob tab: a last run older than 5 minutes is a warning, and the next run is overdue', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await schedulerAt(page, 12 * 60000, -11 * 60000);
  await page.goto('/admin/settings?tab=cron');
  const warning = page.getByRole('alert').filter({ hasText: 'Cron has not run for more than 5 minutes' });
  await expect(warning).toBeVisible();
  await expect(warning).toContainText('configure one of the ways below');
  await expect(page.getByText('Cron is running')).toHaveCount(0);
  await expect(page.getByText(/^Last run 12 minutes ago/)).toBeVisible();
  await expect(page.getByText(/^Next run: overdue since .*: it runs at the next call of cron\.$/)).toBeVisible();
});

test('Cronjob tab: a recent run says cron is running, and when it runs next', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await schedulerAt(page, 20000, 40000);
  await page.goto('/admin/settings?tab=cron');
  await expect(page.getByText('Cron is running')).toBeVisible();
  await expect(page.getByText('Cron has not run for more than 5 minutes')).toHaveCount(0);
  await expect(page.getByText(/^Last run 20 seconds ago/)).toBeVisible();
  await expect(page.getByText(/^Next run in 40 seconds \(/)).toBeVisible();
});
