// The security checklist and the role audit in real Chromium: the page
// reached from the navigation shows the spec's seven rows with their
// status, findings (a stale API token made in the database), last and
// next dates and the screen that fixes each; marking a review done asks
// for a note, turns the row OK, and the history shows the note as text;
// the role audit shows a member's access with the override marked, flags
// a role beyond its template, filters by member, and its CSV export
// downloads the same selection; the page in Romanian.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { addMember, guardPages, navLink, pageApi, signIn, sql, stamp } from './common.mjs';

guardPages();

const row = (page, key) => page.locator(`tr[data-key="${key}"]`);

test('the checklist: rows from the data, a review marked done with a note, the history', async ({ page, browser }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  // a stale API token of a member, made in the database as months of disuse would leave it
  const m = await addMember(page, browser);
  const token = `Old sync ${stamp()}`;
  sql(`INSERT INTO api_token (org_id, staff_id, name, prefix, token_hash, rate_limit, created_at, updated_at) VALUES (1, ${m.id}, '${token}', 'atr_t', 'h-${stamp()}', 60, '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z')`);

  await navLink(page, 'Security checklist').click();
  await expect(page).toHaveURL(/\/admin\/security$/);
  await expect(page.getByRole('heading', { name: 'Security checklist', level: 1 })).toBeVisible();
  const table = page.getByRole('table', { name: 'Security checklist' });
  await expect(table.locator('tbody tr')).toHaveCount(7);
  await expect(row(page, 'admin_two_factor').getByRole('rowheader')).toContainText('2FA active for all administrators');
  const tokens = row(page, 'inactive_tokens');
  await expect(tokens).toContainText(token);
  await expect(tokens.getByRole('link', { name: 'Open' })).toHaveAttribute('href', '/admin/api/api_management');
  await expect(tokens).toHaveAttribute('data-status', /attention|overdue/);
  await expect(row(page, 'admin_two_factor').getByRole('button', { name: 'Mark review done' })).toHaveCount(0);

  const act = row(page, 'activity_review');
  await act.getByRole('button', { name: 'Mark review done' }).click();
  const dlg = page.getByRole('dialog', { name: 'Mark “Activity log reviewed” as reviewed?' });
  await expect(dlg).toBeVisible();
  const note = `Checked sign-ins <b>${stamp()}</b>\nnothing unusual`;
  await dlg.getByLabel('Note').fill(note);
  await dlg.getByRole('button', { name: 'Mark review done' }).click();
  await expect(dlg).toHaveCount(0);
  await expect(page.getByText('“Activity log reviewed” marked as reviewed.')).toBeVisible();
  await expect(act).toHaveAttribute('data-status', 'ok');
  await expect(act.getByRole('cell').nth(2)).toContainText('Review · Admin');

  const history = page.getByRole('table', { name: /Reviews/ });
  const first = history.locator('tbody tr').first();
  await expect(first).toContainText('Activity log reviewed');
  await expect(first).toContainText('Checked sign-ins <b>');
  await expect(history.locator('b')).toHaveCount(0);
  const shown = await first.locator('.pre-line').innerText();
  expect(shown).toBe(note);
});

test('the role audit: access with its source, a role beyond its template, a member filter, the CSV export', async ({ page, browser }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const s = stamp();
  const role = await api.call('POST', '/api/v1/roles', { name: `Agent ${s}`, template: 'Sales Agent',
    permissions: { leads: ['view_own', 'create', 'edit'], clients: ['view', 'edit'] } });
  expect(role.status, JSON.stringify(role.body)).toBe(201);
  const m = await addMember(page, browser, { role_id: role.body.id, name: `Audited ${s}` });
  const ov = await api.call('PUT', `/api/v1/staff/${m.id}/permissions`, { overrides: { leads: { delete: 'allow' }, clients: { edit: 'deny' } } });
  expect(ov.status, JSON.stringify(ov.body)).toBe(200);

  await page.goto('/admin/security');
  await page.getByRole('link', { name: 'Role audit' }).click();
  await expect(page).toHaveURL(/\/admin\/security\/role-audit/);
  await expect(page.getByRole('heading', { name: 'Role audit', level: 1 })).toBeVisible();
  const flagged = page.locator(`li[data-role-id="${role.body.id}"]`);
  await expect(flagged).toContainText(`Agent ${s}`);
  await expect(flagged).toContainText('beyond Sales Agent: clients.edit');

  await page.getByLabel('Member', { exact: true }).selectOption(String(m.id));
  const rows = page.locator('table tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`Audited ${s}`);
  await expect(rows.first()).toContainText('from the template Sales Agent');
  const leads = rows.first().locator('li[data-module="leads"]');
  await expect(leads).toContainText('View own, Create, Edit, Delete+');
  await expect(leads.locator('.cap-override')).toHaveAttribute('title', 'allowed by an individual override');
  await expect(rows.first().locator('li[data-module="clients"] .cap-denied')).toHaveText('Edit ✕');

  const link = page.getByRole('link', { name: 'Export CSV' });
  await expect(link).toHaveAttribute('href', new RegExp(`staff_id=${m.id}`));
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\r\n');
  expect(csv[0]).toBe('staff_id,name,email,admin,role,role_template,module,view,view_own,create,edit,delete');
  expect(csv.find((l) => l.split(',')[6] === 'leads')).toBe(`${m.id},Audited ${s},${m.email},no,Agent ${s},Sales Agent,leads,no,role,role,role,override_allow`);
  expect(csv.every((l, i) => i === 0 || l.startsWith(`${m.id},`))).toBe(true);
});

test('the checklist in Romanian', async ({ page, browser }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const m = await addMember(page, browser);
  expect(sql(`UPDATE staff SET admin = 1, l10n_language = 'ro' WHERE id = ${m.id}`)).toBe('');
  const ctx = await browser.newContext({ baseURL: process.env.ATRIUM_URL });
  const p = await ctx.newPage();
  try {
    await signIn(p, m.email, m.password);
    await expect(p).toHaveURL(/\/admin\/$/);
    await p.goto('/admin/security');
    await expect(p.getByRole('heading', { name: 'Verificări de securitate', level: 1 })).toBeVisible();
    await expect(p.locator('tr[data-key="activity_review"] [role="rowheader"], tr[data-key="activity_review"] th')).toContainText('Jurnalul de activitate verificat');
    await expect(p.locator('tr[data-key="role_audit"]')).toContainText('La fiecare șase luni');
  } finally {
    await ctx.close();
  }
});
