// The weekly check in real Chromium (issue 16, Utilities): the activity
// log's saved filters as one-click views (sign-ins from new addresses, at
// unusual hours, mass deletions) with each entry's signal badges; the
// system log showing a real 500 by its request id; the Utilities page
// linking every log.
import { test, expect } from '@playwright/test';
import { BASE, addMember, guardPages, navLink, pageApi, signIn, sql, stamp } from './common.mjs';

guardPages();

const hhmm = (min, end = false) => {
  let m = ((min % 1440) + 1440) % 1440;
  if (end && m === 0) m = 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

test('activity log: the weekly check\'s saved filters are one click each', async ({ page, browser }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const saved = (await api.call('GET', '/api/v1/settings/security')).body.values;
  const m = await addMember(page, browser, { name: `Roamer ${stamp()}` });
  try {
    // The member signed in before from another network (their history), and
    // the working hours exclude now (the organisation's zone is UTC).
    sql(`INSERT INTO signin_address (org_id, staff_id, prefix, first_seen, last_seen) VALUES
      (1, ${m.id}, '10.9.8.0/24', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`);
    sql(`DELETE FROM signin_address WHERE staff_id = ${m.id} AND prefix = '127.0.0.0/24'`);
    const now = new Date();
    const min = now.getUTCHours() * 60 + now.getUTCMinutes();
    let r = await api.call('PATCH', '/api/v1/settings/security', {
      working_hours: `${hhmm(min + 120)}-${hhmm(min + 180, true)}`, working_days: 'mon,tue,wed,thu,fri,sat,sun',
      mass_delete_count: 3, mass_delete_minutes: 10,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const ctx = await browser.newContext({ baseURL: BASE });
    const login = await ctx.request.post('/api/v1/auth/login', { data: { email: m.email, password: m.password } });
    expect(login.status()).toBe(200);
    // The member's notification of the new address tells the time in the
    // member's own zone, not in UTC.
    const { csrf_token: mcsrf } = await login.json();
    const tz = await ctx.request.patch('/api/v1/auth/me/localization', { headers: { 'X-CSRF-Token': mcsrf },
      data: { timezone: 'Europe/Bucharest' } });
    expect(tz.status()).toBe(200);
    const mpage = await ctx.newPage();
    await mpage.goto('/admin/notifications');
    const told = mpage.getByText(/signed in to from an address it was not used from before/).first();
    await expect(told).toBeVisible();
    expect(await told.innerText()).toMatch(/\(127\.0\.0\.1, \d\d\/\d\d\/\d{4} \d\d:\d\d [^)]+\)/);
    expect(await told.innerText()).not.toContain('UTC');
    await ctx.close();

    // Three deletions by the administrator: a burst.
    for (let i = 0; i < 3; i++) {
      const lead = await api.call('POST', '/api/v1/leads', { name: `Doomed ${stamp()}` });
      expect(lead.status).toBe(201);
      expect((await api.call('DELETE', `/api/v1/leads/${lead.body.id}`)).status).toBe(204);
    }

    await page.goto('/admin/utilities/activity_log');
    await expect(page.getByRole('heading', { level: 1, name: 'Activity log' })).toBeVisible();
    const views = page.getByRole('navigation', { name: 'Weekly check' });

    await views.getByRole('button', { name: 'Sign-ins from new addresses' }).click();
    await expect(page).toHaveURL(/signal=new_address/);
    await expect(page.getByLabel('Signal')).toHaveValue('new_address');
    await expect(views.getByRole('button', { name: 'Sign-ins from new addresses' })).toHaveAttribute('aria-pressed', 'true');
    await expect(views.getByRole('button', { name: 'Mass deletions' })).toHaveAttribute('aria-pressed', 'false');
    const row = page.getByRole('row', { name: new RegExp(m.name) }).first();
    await expect(row).toContainText('new address');
    await expect(row).toContainText('login');

    await views.getByRole('button', { name: 'Sign-ins at unusual hours' }).click();
    await expect(page).toHaveURL(/signal=unusual_hours/);
    await expect(page.getByRole('row', { name: new RegExp(m.name) }).first()).toContainText('unusual hours');

    await views.getByRole('button', { name: 'Mass deletions' }).click();
    await expect(page).toHaveURL(/signal=mass_delete/);
    const rows = page.locator('tbody tr');
    await expect(rows.first()).toContainText('mass deletion');
    await expect(rows.first()).toContainText('delete');
    expect(await rows.count()).toBeGreaterThanOrEqual(3);

    // The administrators' notification of the burst links to this view.
    const n = (await api.call('GET', '/api/v1/notifications')).body.data.find((x) => x.title.startsWith('Mass deletion'));
    expect(n).toBeTruthy();
    expect(n.link).toMatch(/signal=mass_delete/);

    // In Romanian the notification reads in Romanian: the page shows its
    // message, not the English text stored for API clients.
    expect((await api.call('PATCH', '/api/v1/settings/localization', { language: 'ro' })).status).toBe(200);
    await page.goto('/admin/notifications');
    const ro = page.getByRole('link', { name: /^Ștergere în masă: .+ a șters 3 înregistrări în 10 minute$/ }).first();
    await expect(ro).toBeVisible();
    await expect(page.getByText(/3 sau mai multe ștergeri ale unui singur membru în 10 minute/).first()).toBeVisible();
    await expect(page.getByText('Mass deletion:')).toHaveCount(0);
  } finally {
    await api.call('PATCH', '/api/v1/settings/localization', { language: 'en' });
    await api.call('PATCH', '/api/v1/settings/security', {
      working_hours: saved.working_hours, working_days: saved.working_days,
      mass_delete_count: saved.mass_delete_count, mass_delete_minutes: saved.mass_delete_minutes,
    });
  }
});

test('system log: a 500 is listed with its request id; Utilities links every log', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  // A real fault: the table the route reads is renamed under the server.
  sql('ALTER TABLE payment_mode RENAME TO payment_mode_away');
  let bad;
  try {
    bad = await api.call('GET', '/api/v1/payment_modes');
  } finally {
    sql('ALTER TABLE payment_mode_away RENAME TO payment_mode');
  }
  expect(bad.status).toBe(500);
  const rid = bad.body.request_id;
  await expect.poll(async () => (await api.call('GET', `/api/v1/system-log?request_id=${rid}`)).body.data.length,
    { timeout: 10000 }).toBe(1);

  await page.goto('/admin/utilities');
  const main = page.getByRole('main');
  for (const name of ['Activity log', 'Email queue', 'Pipe log', 'API request log', 'System log', 'Webhook logs']) {
    await expect(main.getByRole('link', { name })).toBeVisible();
  }
  await main.getByRole('link', { name: 'System log' }).click();
  await expect(page).toHaveURL(/\/admin\/utilities\/system_log$/);
  await expect(page.getByRole('heading', { level: 1, name: 'System log' })).toBeVisible();
  await expect(navLink(page, 'System log')).toBeVisible();
  await page.getByLabel('Request id').fill(rid);
  await page.getByLabel('Request id').press('Enter');
  await expect(page).toHaveURL(new RegExp(`request_id=${rid}`));
  const row = page.locator('tbody tr').first();
  await expect(row).toContainText('500');
  await expect(row).toContainText('GET /api/v1/payment_modes');
  await expect(row).toContainText('payment_mode');
  await expect(row).toContainText(rid);
});
