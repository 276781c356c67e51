// The Utilities jobs page and the Settings Cronjob tab in real Chromium:
//   - a blocked job (an invitation while the mail server refuses) shows in
//     the counts by kind and in the list, and Retry queues it again;
//   - the Cronjob tab shows that cron runs, the command to configure, and
//     a token generated once that the cron URL accepts; with the last run
//     older than 5 minutes (the scheduler's answer altered in the page),
//     it warns that cron stopped.
import { test, expect } from '@playwright/test';
import { guardPages, navLink, pageApi, signIn, stamp } from './common.mjs';

guardPages();

test('jobs: a blocked job is listed by kind and status, and Retry queues it again', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const tag = stamp();
  // Nothing listens on port 9: every send fails at once; one attempt blocks.
  const saved = (await api.call('GET', '/api/v1/settings/smtp')).body.values;
  let r = await api.call('PATCH', '/api/v1/settings/smtp', {
    smtp_host: '127.0.0.1', smtp_port: 9, smtp_security: 'none', smtp_email: 'atrium@example.test',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect((await api.call('PATCH', '/api/v1/settings/email_queue', { max_attempts: 1 })).status).toBe(200);
  expect((await api.call('PATCH', '/api/v1/settings/seats', { extra_seats: 100 })).status).toBe(200);
  try {
    r = await api.call('POST', '/api/v1/staff', { email: `jobs.${tag}@example.test`, name: `Jobs ${tag}`, send_welcome: true });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const mail = (await api.call('GET', '/api/v1/email-queue?limit=200')).body.data.find((m) => m.to === `jobs.${tag}@example.test`);
    expect(mail).toBeTruthy();
    let job;
    await expect.poll(async () => {
      const l = await api.call('GET', '/api/v1/jobs?kind=email&status=blocked&limit=200');
      job = l.body.data.find((j) => j.payload.email_id === mail.id);
      return Boolean(job);
    }, { timeout: 20000 }).toBe(true);

    await page.goto('/admin/utilities');
    await page.getByRole('link', { name: 'Jobs' }).first().click();
    await expect(page.getByRole('heading', { level: 1, name: 'Jobs' })).toBeVisible();
    await expect(navLink(page, 'Jobs')).toBeVisible();
    const kinds = page.getByRole('table', { name: 'Jobs per kind and status' });
    await expect(kinds.getByRole('row', { name: /Email/ })).toBeVisible();
    await expect(page.getByText(/blocked jobs?$/).first()).toBeVisible();
    await kinds.getByRole('button', { name: /^Email: \d+ blocked$/ }).click();
    await expect(page).toHaveURL(/status=blocked/);
    const row = page.locator(`tr[data-job="${job.id}"]`);
    await expect(row).toContainText('Blocked');
    await expect(row).toContainText(/refused|connect/i);
    await row.getByRole('button', { name: `Retry job ${job.id}` }).click();
    await expect(page.getByText('1 job was queued again.')).toBeVisible();
  } finally {
    await api.call('PATCH', '/api/v1/settings/email_queue', { max_attempts: null });
    await api.call('PATCH', '/api/v1/settings/smtp', {
      smtp_host: saved.smtp_host || null, smtp_port: saved.smtp_port, smtp_security: saved.smtp_security,
      smtp_email: saved.smtp_email || null,
    });
  }
});

test('Cronjob tab: cron runs, the command, a token shown once that the cron URL accepts', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.goto('/admin/settings?tab=cron');
  await expect(page.getByRole('tab', { name: 'Cronjob' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('heading', { name: 'Cron status' })).toBeVisible();
  await expect(page.getByText('Cron is running')).toBeVisible();
  await expect(page.getByText(/\* \* \* \* \* \S+ cron --config/)).toBeVisible();
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
  await expect(dlg.locator('code').nth(1)).toContainText(`Authorization: Bearer ${token}`);
  await dlg.getByRole('button', { name: 'I saved it' }).click();
  await expect(page.getByText(/A token was generated/)).toBeVisible();
  await expect(page.getByText(token)).toHaveCount(0);

  const res = await page.request.post('/cron/run', { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  const bad = await page.request.post('/cron/run', { headers: { Authorization: `Bearer ${'x'.repeat(43)}` } });
  expect(bad.status()).toBe(401);
});

test('Cronjob tab: a last run older than 5 minutes is a warning', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.route('**/api/v1/scheduler', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.last_run_at = new Date(Date.parse(body.now) - 12 * 60000).toISOString();
    body.stale = true;
    await route.fulfill({ response: res, json: body });
  });
  await page.goto('/admin/settings?tab=cron');
  await expect(page.getByText('Cron has not run for more than 5 minutes')).toBeVisible();
  await expect(page.getByText(/Last run 12 minutes ago/)).toBeVisible();
});
