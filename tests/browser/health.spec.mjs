// The health page (/admin/health) and the dashboard's health cards in real
// Chromium: the spec's six indicators in order with their thresholds and
// fix links, a warning made in the database (blocked emails) shown red on
// the page and listed on the dashboard with its link, the nodes and
// storage, and the initial-setup checklist with its logged dismissal. The
// server answers from a report at most health_cache_ms (10 s) old, so the
// spec reloads until the change shows. A business's administrator (the
// real `atrium org create`) sees the page without the installation's parts:
// no cron row, no Nodes or Storage card, a line saying whose they are.
import { spawnSync } from 'node:child_process';
import { test, expect } from '@playwright/test';
import { BASE, guardPages, navLink, pageApi, signIn, sql, stamp } from './common.mjs';

guardPages();

const now = () => new Date().toISOString();

test('health page: the six indicators, a warning with its fix, nodes and storage', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await navLink(page, 'Health').click();
  await expect(page).toHaveURL(/\/admin\/health$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Health' })).toBeVisible();
  const spec = page.getByRole('table', { name: 'System health metrics' });
  await expect(spec.locator('tbody tr')).toHaveCount(6);
  await expect(spec.locator('tbody tr td.health-name')).toHaveText(['Cron last run', 'Blocked emails', 'API error rate',
    'Webhook delivery rate', 'Administrators with 2FA', 'Active accounts without sign-in for 90 days']);
  const cron = spec.locator('tr[data-indicator="cron_last_run"]');
  await expect(cron).toContainText('< 2 min');
  await expect(cron).toContainText('> 5 min');
  await expect(cron.getByRole('link', { name: 'Fix' })).toHaveAttribute('href', '/admin/settings?tab=cron');
  // The browser suite's server runs the scheduler itself: cron is good.
  await expect(cron.locator('[data-status]')).toHaveText('Good');
  const nodes = page.getByRole('table', { name: 'Nodes' });
  await expect(nodes.locator('tbody tr')).not.toHaveCount(0);
  await expect(nodes.getByText('(this one)')).toBeVisible();
  await expect(nodes.locator('tr[data-state="up"]').first()).toContainText('Up');
  await expect(page.locator('[data-testid="health-storage"]')).toContainText('SQLite');

  // Eleven blocked emails: the spec's SMTP problem.
  const tag = stamp();
  const rows = Array.from({ length: 11 }, () => `(1, 'email', 'blocked', 5, '${now()}', '${now()}', '${now()}', '{"t":"${tag}"}')`);
  sql(`INSERT INTO job (org_id, kind, status, attempts, run_at, scheduled_at, created_at, payload) VALUES ${rows.join(', ')}`);
  try {
    const blocked = page.locator('tr[data-indicator="emails_blocked"]');
    await expect.poll(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return blocked.getAttribute('data-status');
    }, { timeout: 30000 }).toBe('warning');
    await expect(blocked.locator('[data-status]')).toHaveText('Warning');
    await expect(blocked).toContainText('> 10');

    // The dashboard lists it under "Needs attention", with its fix.
    await page.goto('/admin/');
    const warn = page.locator('[data-testid="dash-warnings"]');
    await expect(warn.getByRole('heading', { name: 'Needs attention' })).toBeVisible();
    const item = warn.locator('li[data-indicator="emails_blocked"]');
    await expect(item).toContainText('Blocked emails');
    // Eleven, and whatever blocked emails earlier specs left behind.
    const shown = Number((/Blocked emails — (\d+)/.exec(await item.innerText()) || [])[1]);
    expect(shown).toBeGreaterThanOrEqual(11);
    await item.getByRole('link', { name: 'Fix' }).click();
    await expect(page).toHaveURL(/\/admin\/utilities\/email_queue\?status=blocked/);
  } finally {
    sql(`DELETE FROM job WHERE payload = '{"t":"${tag}"}'`);
  }
});

test('dashboard: the initial-setup checklist from real data, dismissed and logged', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  expect((await api.call('PATCH', '/api/v1/settings/health', { setup_checklist_dismissed: false })).status).toBe(200);
  try {
    await page.goto('/admin/');
    const card = page.locator('[data-testid="dash-setup"]');
    await expect(card.getByRole('heading', { name: 'Initial setup' })).toBeVisible();
    const setup = (await api.call('GET', '/api/v1/health/setup')).body;
    await expect(card).toContainText(`${setup.done} of ${setup.total} steps done.`);
    for (const x of setup.items) {
      await expect(card.locator(`li[data-step="${x.key}"]`)).toHaveAttribute('data-done', String(x.done));
    }
    const dep = card.locator('li[data-step="departments"]');
    if (!setup.items.find((x) => x.key === 'departments').done) {
      await expect(dep.getByRole('link', { name: 'Set up' })).toHaveAttribute('href', '/admin/departments');
    }
    await card.getByRole('button', { name: 'Dismiss' }).click();
    await expect(page.getByText('The setup checklist is hidden.')).toBeVisible();
    await expect(card).toHaveCount(0);
    await page.reload();
    await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
    await expect(page.locator('[data-testid="dash-setup"]')).toHaveCount(0);
    const log = (await api.call('GET', '/api/v1/activity?limit=10')).body.data;
    expect(JSON.stringify(log)).toContain('setup_checklist_dismissed');
  } finally {
    await api.call('PATCH', '/api/v1/settings/health', { setup_checklist_dismissed: false });
  }
});

test('health page of a business: its own figures, without the installation\'s cards', async ({ browser }) => {
  const atrium = (...args) => {
    const r = spawnSync(process.env.ATRIUM_BIN, [...args, '--db', `sqlite:${process.env.ATRIUM_DB_FILE}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`atrium ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const boss = { email: `boss.health.${stamp()}@example.test`, password: `harbour-violet-cedar-${stamp()}` };
  const out = atrium('org', 'create', '--name', `Health Biz ${stamp()}`, '--admin-email', boss.email, '--admin-name', 'Boss');
  const id = Number(/\(id (\d+)\)/.exec(out)[1]);
  atrium('settings', 'set', 'security.twofa_required_admins', 'false', '--org', String(id));
  const token = decodeURIComponent(/\/set-password#token=([A-Za-z0-9_.~%+-]+)/.exec(out)[1]);
  const ctx = await browser.newContext({ baseURL: BASE });
  const set = await ctx.request.post('/api/v1/auth/password/set', { data: { token, password: boss.password } });
  expect(set.status()).toBe(200);
  await ctx.clearCookies();
  const page = await ctx.newPage();
  await signIn(page, boss.email, boss.password);
  await expect(page).toHaveURL(/\/admin\/$/);
  await navLink(page, 'Health').click();
  await expect(page).toHaveURL(/\/admin\/health$/);
  const spec = page.getByRole('table', { name: 'System health metrics' });
  // The spec's six but cron, which is the installation's.
  await expect(spec.locator('tbody tr td.health-name')).toHaveText(['Blocked emails', 'API error rate',
    'Webhook delivery rate', 'Administrators with 2FA', 'Active accounts without sign-in for 90 days']);
  await expect(page.locator('[data-testid="health-jobs"]')).toBeVisible();
  await expect(page.locator('[data-testid="health-nodes"]')).toHaveCount(0);
  await expect(page.locator('[data-testid="health-storage"]')).toHaveCount(0);
  await expect(page.locator('[data-testid="health-scope"]')).toContainText('the installation\'s');
  await expect(page.locator('tr[data-indicator="disk_free"]')).toHaveCount(0);
  await expect(page.locator('tr[data-indicator="backup_age"]')).toHaveCount(0);
  await ctx.close();
});
