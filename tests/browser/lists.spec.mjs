// The list component (web/assets/js/listview.js) on four of its lists:
//   - leads: sort by a column header (mouse and keyboard, focus kept),
//     cursor paging forward and back, a reload keeps the list and the way
//     back, a filter plus search, the empty state, Reset;
//   - the activity log: cursor paging with Rows per page, sort by time, a
//     date range (days of the browser's zone) in the address and the CSV
//     export link, an altered cursor is an error with a way out;
//   - the 2FA users list: its new search with the Show filter, sort, a reload;
//   - the email queue: its new search with a status, sorting, the empty state;
//   - a search typed while an earlier one is still loading aborts it (the
//     table is aria-busy meanwhile), and the older answer never shows.
// Records are made through the API with a unique tag, so the lists can be
// narrowed to them whatever other specs left on the server.
import { test, expect } from '@playwright/test';
import { EMAIL, guardPages, pageApi, signIn, stamp } from './common.mjs';

guardPages();

/** The first cell of each body row of a table, as text. */
const firstCells = (table) => table.locator('tbody tr td:first-child').allTextContents();
const names = async (table) => (await firstCells(table)).map((t) => t.trim());

/** A local yyyy-mm-dd day, `add` days from today. */
function localDay(add = 0) {
  const d = new Date();
  d.setDate(d.getDate() + add);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

test('leads: sort by a header, page with a cursor, a reload keeps it; filter plus search; the empty state', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const tag = `lv${stamp()}`;
  const made = {};
  for (const [letter, status] of [['A', 'won'], ['B', 'new'], ['C', 'won'], ['D', 'new'], ['E', 'won']]) {
    const r = await call('POST', '/api/v1/leads', { name: `${tag} ${letter}`, company: `Company ${tag}`, status });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    made[letter] = r.body.id;
  }

  // Two rows a page, from the address; narrowed to this test's leads by search.
  await page.goto('/admin/leads?limit=2');
  await expect(page.getByLabel('Rows per page')).toHaveValue('2');
  const search = page.getByRole('searchbox', { name: 'Search leads' });
  await search.fill(tag);
  const table = page.getByRole('table', { name: /^Leads/ });
  await expect(page).toHaveURL(new RegExp(`q=${tag}`));
  await expect.poll(() => names(table)).toEqual([`${tag} E`, `${tag} D`]); // newest first
  await expect(table).toHaveAccessibleName('Leads, newest first');

  // Sort by Name with the mouse: ascending, the header says so.
  const nameHead = table.getByRole('columnheader', { name: 'Name' });
  await nameHead.getByRole('button').click();
  await expect(nameHead).toHaveAttribute('aria-sort', 'ascending');
  await expect(page).toHaveURL(/sort=name/);
  await expect.poll(() => names(table)).toEqual([`${tag} A`, `${tag} B`]);
  await expect(table).toHaveAccessibleName('Leads, sorted by Name, ascending');
  await expect(table.getByRole('columnheader', { name: 'Company' })).toHaveAttribute('aria-sort', 'none');

  // Forward with the cursor: the address carries it.
  const pager = page.getByRole('navigation', { name: 'Leads pages' });
  const next = pager.getByRole('button', { name: 'Next' });
  const prev = pager.getByRole('button', { name: 'Previous' });
  await expect(prev).toBeDisabled();
  await next.click();
  await expect.poll(() => names(table)).toEqual([`${tag} C`, `${tag} D`]);
  await expect(page).toHaveURL(/cursor=/);
  await expect(pager.getByText('3–4', { exact: true })).toBeVisible(); // a search: no total
  await expect(next).toBeFocused(); // focus stays where it was

  // A reload keeps the search, the sort, the page and the way back.
  await page.reload();
  await expect.poll(() => names(table)).toEqual([`${tag} C`, `${tag} D`]);
  await expect(search).toHaveValue(tag);
  await expect(nameHead).toHaveAttribute('aria-sort', 'ascending');
  await expect(prev).toHaveText('Previous');
  await next.click();
  await expect.poll(() => names(table)).toEqual([`${tag} E`]);
  await expect(next).toBeDisabled();
  await expect(prev).toBeFocused(); // Next became disabled: focus moved to Previous
  await prev.click();
  await expect.poll(() => names(table)).toEqual([`${tag} C`, `${tag} D`]);
  await prev.click();
  await expect.poll(() => names(table)).toEqual([`${tag} A`, `${tag} B`]);
  await expect(page).not.toHaveURL(/cursor=/);
  await expect(prev).toBeDisabled();

  // Sort with the keyboard: the header's button keeps the focus.
  const nameSort = nameHead.getByRole('button');
  await nameSort.focus();
  await page.keyboard.press('Enter');
  await expect(nameHead).toHaveAttribute('aria-sort', 'descending');
  await expect.poll(() => names(table)).toEqual([`${tag} E`, `${tag} D`]);
  await expect(nameSort).toBeFocused();

  // A filter plus the search: the won leads of this test, in the address.
  await page.getByLabel('Status').selectOption('won');
  await expect(page).toHaveURL(/status=won/);
  await expect.poll(() => names(table)).toEqual([`${tag} E`, `${tag} C`]);
  await next.click();
  await expect.poll(() => names(table)).toEqual([`${tag} A`]);
  // The first cell links to the record.
  await expect(table.getByRole('link', { name: `${tag} A` })).toHaveAttribute('href', `/admin/leads/${made.A}`);

  // The empty state: nothing matches; the table keeps only its header row.
  await search.fill(`${tag}-nothing`);
  await expect(page.getByText('No leads match.')).toBeVisible();
  await expect(table.getByRole('row')).toHaveCount(1);
  await expect(pager).toBeHidden();

  // Reset clears the search and the filters, not the sort.
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(search).toHaveValue('');
  await expect(page.getByLabel('Status')).toHaveValue('');
  await expect(page).not.toHaveURL(/q=|status=/);
  await expect(nameHead).toHaveAttribute('aria-sort', 'descending');
  await expect(page.getByText('No leads match.')).toBeHidden();
});

test('activity log: rows per page, cursor paging, sort by time, a date range; an altered cursor is an error with a way out', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const lead = await call('POST', '/api/v1/leads', { name: `Activity paging ${stamp()}` });
  expect(lead.status).toBe(201);
  let etag = lead.headers.etag;
  for (const company of ['One', 'Two', 'Three']) {
    const r = await call('PATCH', `/api/v1/leads/${lead.body.id}`, { company }, { 'If-Match': etag });
    expect(r.status).toBe(200);
    etag = r.headers.etag;
  }

  // Four entries of one record, three a page.
  await page.goto(`/admin/utilities/activity_log?entity=lead&entity_id=${lead.body.id}`);
  const table = page.getByRole('table', { name: /^Activity log entries/ });
  await expect(table.locator('tbody tr')).toHaveCount(4);
  await page.getByLabel('Rows per page').selectOption('10');
  await expect(page).toHaveURL(/limit=10/);
  await page.goto(`/admin/utilities/activity_log?entity=lead&entity_id=${lead.body.id}&limit=3`);
  const actions = () => table.locator('tbody tr td:nth-child(3)').allTextContents();
  await expect.poll(actions).toEqual(['update', 'update', 'update']);
  const timeHead = table.getByRole('columnheader', { name: /^Time/ });
  await expect(timeHead).toHaveAttribute('aria-sort', 'descending');
  const pager = page.getByRole('navigation', { name: 'Activity log entries pages' });
  await pager.getByRole('button', { name: 'Next' }).click();
  await expect.poll(actions).toEqual(['create']);
  await expect(page).toHaveURL(/cursor=/);
  await expect(pager.getByText('4–4', { exact: true })).toBeVisible();
  await page.reload();
  await expect.poll(actions).toEqual(['create']);
  await expect(page.getByLabel('Record id')).toHaveValue(String(lead.body.id));
  await pager.getByRole('button', { name: 'Previous' }).click();
  await expect.poll(actions).toEqual(['update', 'update', 'update']);

  // Oldest first.
  await timeHead.getByRole('button').click();
  await expect(timeHead).toHaveAttribute('aria-sort', 'ascending');
  await expect.poll(actions).toEqual(['create', 'update', 'update']);

  // A date range: from tomorrow, nothing; from today, the entries again.
  await page.getByLabel('From').fill(localDay(1));
  await expect(page.getByText('No activity matches these filters.')).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`from=${localDay(1)}`));
  await page.getByLabel('From').fill(localDay(0));
  await expect.poll(actions).toEqual(['create', 'update', 'update']);
  const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  const exported = new URL(href, page.url()).searchParams;
  expect(exported.get('entity_id')).toBe(String(lead.body.id));
  expect(new Date(exported.get('at[gte]')).getTime()).toBe(new Date(`${localDay(0)}T00:00:00`).getTime());

  // A cursor that was altered: the server's problem, and the first page.
  const url = new URL(page.url());
  url.searchParams.set('cursor', 'eyJzIjoiLWF0In0.AAAA');
  await page.goto(url.pathname + url.search);
  await expect(page.getByRole('alert')).toContainText(/cursor/);
  await page.getByRole('button', { name: 'Go to the first page' }).click();
  await expect.poll(actions).toEqual(['create', 'update', 'update']);
  await expect(page).not.toHaveURL(/cursor=/);
});

test('2FA users: search with the Show filter, sort by a header, a reload keeps them', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.goto('/admin/authenticator_2fa/userlist');
  const table = page.getByRole('table', { name: /^Two-factor status per staff member/ });
  await expect(table).toHaveAccessibleName('Two-factor status per staff member, administrators first, then by name');
  await expect(table.getByRole('columnheader', { name: 'Admin' })).toHaveAttribute('aria-sort', 'descending');

  await page.getByLabel('Show').selectOption({ label: 'Administrators' });
  await page.getByRole('searchbox', { name: 'Search staff' }).fill(EMAIL);
  await expect(page).toHaveURL(/admin=true/);
  await expect(page).toHaveURL(/q=/);
  const row = table.getByRole('row').filter({ has: page.getByText(EMAIL, { exact: true }) });
  await expect(row).toHaveCount(1);
  await expect(table.locator('tbody tr')).toHaveCount(1);

  const nameHead = table.getByRole('columnheader', { name: 'Staff member' });
  await nameHead.getByRole('button').click();
  await expect(nameHead).toHaveAttribute('aria-sort', 'ascending');
  await page.reload();
  await expect(page.getByLabel('Show')).toHaveValue('admins');
  await expect(page.getByRole('searchbox', { name: 'Search staff' })).toHaveValue(EMAIL);
  await expect(nameHead).toHaveAttribute('aria-sort', 'ascending');
  await expect(row).toHaveCount(1);

  await page.getByRole('searchbox', { name: 'Search staff' }).fill(`nobody-${stamp()}`);
  await expect(page.getByText('Nobody matches.')).toBeVisible();
  // The summary counts every administrator whatever the list shows.
  await expect(page.getByText(/\d+ of [1-9]\d* administrators use 2FA/)).toBeVisible();
});

test('email queue: search with a status filter, sort by Created, the empty state, kept by a reload', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const nobody = `nobody-${stamp()}@example.test`;
  await page.goto('/admin/utilities/email_queue');
  const table = page.getByRole('table', { name: /^Emails/ });
  const created = table.getByRole('columnheader', { name: 'Created' });
  await expect(created).toHaveAttribute('aria-sort', 'descending');
  await created.getByRole('button').click();
  await expect(created).toHaveAttribute('aria-sort', 'ascending');
  await expect(page).toHaveURL(/sort=created_at/);

  await page.getByRole('searchbox', { name: 'Search emails' }).fill(nobody);
  await page.getByRole('button', { name: /^Blocked/ }).click(); // the count filters the list
  await expect(page.getByLabel('Status', { exact: true })).toHaveValue('blocked');
  await expect(page.getByText('No emails match.')).toBeVisible();
  await expect(page).toHaveURL(/status=blocked/);
  await page.reload();
  await expect(page.getByRole('searchbox', { name: 'Search emails' })).toHaveValue(nobody);
  await expect(page.getByLabel('Status', { exact: true })).toHaveValue('blocked');
  await expect(page.getByRole('button', { name: /^Blocked/ })).toHaveAttribute('aria-pressed', 'true');
  await expect(created).toHaveAttribute('aria-sort', 'ascending');
  await expect(page.getByText('No emails match.')).toBeVisible();
});

test('a newer search aborts the one still loading; the table is busy meanwhile', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const tag = `ab${stamp()}`;
  expect((await call('POST', '/api/v1/leads', { name: `${tag} kept` })).status).toBe(201);
  await page.goto('/admin/leads');
  const table = page.getByRole('table', { name: /^Leads/ });
  await expect(table).not.toHaveAttribute('aria-busy', 'true');

  // The first search is held until the second one has shown.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const slow = `${tag}-slow`;
  await page.route((u) => u.pathname === '/api/v1/leads' && u.searchParams.get('q') === slow, async (route) => {
    await held;
    await route.continue().catch(() => {}); // the page gave up on it
  });
  const aborted = page.waitForEvent('requestfailed', (r) => new URL(r.url()).searchParams.get('q') === slow);
  const search = page.getByRole('searchbox', { name: 'Search leads' });
  const slowSent = page.waitForRequest((r) => new URL(r.url()).searchParams.get('q') === slow);
  await search.fill(slow);
  await slowSent;
  await expect(table).toHaveAttribute('aria-busy', 'true');
  await search.fill(tag);
  await expect.poll(() => names(table)).toEqual([`${tag} kept`]);
  expect((await aborted).failure()).toBeTruthy();
  release();
  await expect(table).not.toHaveAttribute('aria-busy', 'true');
  expect(await names(table)).toEqual([`${tag} kept`]);
  await expect(page).toHaveURL(new RegExp(`q=${tag}$`));
});
