// The Utilities jobs page in real Chromium: a blocked job (an invitation
// while the mail server refuses) shows in the counts by kind and in the
// list, and Retry queues it again. (The Settings Cronjob tab is in
// settings.spec.mjs.)
import { test, expect } from '@playwright/test';
import { guardPages, navLink, operatorSeats, pageApi, signIn, stamp } from './common.mjs';

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
  operatorSeats({ extra_seats: 100 });
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
