// The integrations lists on the list component (web/assets/js/listview.js),
// each with what its route declares:
//   - API tokens: search, the Owner filter and a sort survive a reload;
//     keyset paging forward and back with the total; the way back from a
//     token is the list as it was left; the Show filter's empty state;
//   - the token forms ask before unsaved changes are left (a link, Back,
//     Cancel) and not after a save; the edit form saves with If-Match;
//   - webhooks: search, the State filter and a sort survive a reload;
//   - a webhook's delivery log: the Status and Event filters, sort by
//     time, paging, a reload, the empty state; the rotate dialog keeps
//     what was typed in the settings form;
//   - events: a record's events paged by cursor, sorted oldest first, an
//     action with nothing (the empty state), the export link;
//   - the API request log: one token's requests by outcome and status,
//     paging, a reload, the CSV export of the same selection.
// Records are made through the API with a unique tag, so each list can be
// narrowed to them whatever other specs left on the server.
import http from 'node:http';
import { test, expect } from '@playwright/test';
import { PASSWORD, guardPages, navLink, operatorSeats, pageApi, signIn, stamp } from './common.mjs';

guardPages();

const cells = async (table, n) => (await table.locator(`tbody tr td:nth-child(${n})`).allTextContents()).map((t) => t.trim());

/** A member with a limited role to own tokens, and a fresh re-authentication to create them. */
async function tokenOwner(call, tag) {
  operatorSeats({ extra_seats: 100 });
  const role = await call('POST', '/api/v1/roles', { name: `Lists ${tag}`, permissions: { leads: ['view'] } });
  expect(role.status, JSON.stringify(role.body)).toBe(201);
  const s = await call('POST', '/api/v1/staff', { email: `owner.${tag}@example.test`, name: `Owner ${tag}`,
    role_id: role.body.id, temporary_password: `Temp-${tag}-password-1` });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  expect((await call('POST', '/api/v1/auth/reauth', { password: PASSWORD })).status).toBe(200);
  return s.body;
}

test('API tokens: search, owner and sort survive a reload; paging forward and back; the empty state', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const tag = `tk${stamp()}`;
  const owner = await tokenOwner(call, tag);
  for (const letter of ['B', 'C', 'A']) {
    const r = await call('POST', '/api/v1/api-tokens', { name: `${tag} ${letter}`, staff_id: owner.id });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }

  await page.goto('/admin/api/api_management?limit=2');
  const table = page.getByRole('table', { name: /^API tokens/ });
  await expect(table).toHaveAccessibleName('API tokens, newest first');
  await page.getByRole('searchbox', { name: 'Search tokens' }).fill(tag);
  await expect(page).toHaveURL(new RegExp(`q=${tag}`)); // the search applied (it waits for typing to pause)
  await page.getByLabel('Owner').selectOption(String(owner.id));
  await expect(page).toHaveURL(new RegExp(`staff_id=${owner.id}`));
  await expect.poll(() => cells(table, 1)).toEqual([`${tag} A`, `${tag} C`]);
  const nameHead = table.getByRole('columnheader', { name: 'Name' });
  await nameHead.getByRole('button').click();
  await expect(nameHead).toHaveAttribute('aria-sort', 'ascending');
  await expect.poll(() => cells(table, 1)).toEqual([`${tag} A`, `${tag} B`]);

  // Forward by cursor, counted; a reload keeps the search, the owner, the sort and the page.
  const pager = page.getByRole('navigation', { name: 'API tokens pages' });
  await expect(pager.getByText('1–2 of 3', { exact: true })).toBeVisible();
  await pager.getByRole('button', { name: 'Next' }).click();
  await expect.poll(() => cells(table, 1)).toEqual([`${tag} C`]);
  await expect(page).toHaveURL(/cursor=/);
  await page.reload();
  await expect.poll(() => cells(table, 1)).toEqual([`${tag} C`]);
  await expect(page.getByRole('searchbox', { name: 'Search tokens' })).toHaveValue(tag);
  await expect(page.getByLabel('Owner')).toHaveValue(String(owner.id));
  await expect(nameHead).toHaveAttribute('aria-sort', 'ascending');
  await expect(pager.getByText('3–3 of 3', { exact: true })).toBeVisible();
  await pager.getByRole('button', { name: 'Previous' }).click();
  await expect.poll(() => cells(table, 1)).toEqual([`${tag} A`, `${tag} B`]);
  await expect(page).not.toHaveURL(/cursor=/);
  // The first cell opens the token; its way back is the list as it was left.
  await table.getByRole('link', { name: `${tag} A` }).click();
  await expect(page.getByRole('heading', { level: 1, name: `${tag} A` })).toBeVisible();
  await page.getByRole('link', { name: '← All tokens' }).click();
  await expect.poll(() => cells(table, 1)).toEqual([`${tag} A`, `${tag} B`]);
  await expect(page).toHaveURL(new RegExp(`q=${tag}.*staff_id=${owner.id}.*sort=name`));

  // Show: revoked — none of these; the table keeps its header row only.
  await page.getByLabel('Show').selectOption({ label: 'Revoked' });
  await expect(page).toHaveURL(/status=revoked/);
  await expect(page.getByText('No tokens match.')).toBeVisible();
  await expect(table.getByRole('row')).toHaveCount(1);
  await expect(pager).toBeHidden();
  await page.reload();
  await expect(page.getByLabel('Show')).toHaveValue('revoked');
  await expect(page.getByText('No tokens match.')).toBeVisible();
  // Back to every token of the search.
  await page.getByLabel('Show').selectOption({ label: 'All' });
  await expect.poll(() => cells(table, 1)).toEqual([`${tag} A`, `${tag} B`]);
});

test('the token forms ask before unsaved changes are left; a saved edit leaves without asking', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const tag = `tf${stamp()}`;
  const owner = await tokenOwner(call, tag);
  const made = await call('POST', '/api/v1/api-tokens', { name: `${tag} Sync`, staff_id: owner.id });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  const ask = page.getByRole('dialog', { name: 'Leave without saving?' });

  // Add token: nothing typed, no question; a name typed, a link asks.
  await navLink(page, 'API Management').click();
  await page.getByRole('link', { name: 'Add token' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Add API token' })).toBeVisible();
  await navLink(page, 'Webhooks').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1, name: 'Add API token' })).toBeVisible();
  const name = page.getByLabel('Name');
  await name.fill(`${tag} unsaved`);
  await navLink(page, 'Webhooks').click();
  await expect(ask).toBeVisible();
  await ask.getByRole('button', { name: 'Stay on this page' }).click();
  await expect(name).toHaveValue(`${tag} unsaved`);
  await expect(page).toHaveURL(/\/api_management\/new$/);
  // Cancel is a link too.
  await page.getByRole('link', { name: 'Cancel' }).click();
  await expect(ask).toBeVisible();
  await ask.getByRole('button', { name: 'Leave without saving' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'API Management' })).toBeVisible();

  // Edit: Back asks; then a save goes to the token without a question.
  await page.goto(`/admin/api/api_management/${made.body.id}`);
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Edit “${tag} Sync”` })).toBeVisible();
  const rate = page.getByLabel('Rate limit (requests a minute)');
  await expect(rate).toHaveValue('600');
  await rate.fill('90');
  await page.goBack();
  await expect(ask).toBeVisible();
  await ask.getByRole('button', { name: 'Stay on this page' }).click();
  await expect(rate).toHaveValue('90');
  await page.getByLabel('Description').fill('Nightly lead import');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `${tag} Sync` })).toBeVisible();
  await expect(ask).toBeHidden();
  await expect(page.getByText('90 requests a minute')).toBeVisible();
  await expect(page.getByText('Nightly lead import')).toBeVisible();
  const after = await call('GET', `/api/v1/api-tokens/${made.body.id}`);
  expect(after.body.rate_limit).toBe(90);
  expect(after.body.version).toBe(made.body.version + 1);
});

test('webhooks: search, state and sort survive a reload', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const tag = `wh${stamp()}`;
  // Off, so that they get no deliveries.
  for (const letter of ['B', 'A', 'C']) {
    const r = await call('POST', '/api/v1/webhooks', { name: `${tag} ${letter}`, url: `https://example.com/${tag}/${letter}`,
      entities: ['department'], events: ['created'], active: false });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  await page.goto('/admin/webhooks');
  const table = page.getByRole('table', { name: /^Webhook endpoints/ });
  await page.getByRole('searchbox', { name: 'Search webhooks' }).fill(tag);
  await expect(page).toHaveURL(new RegExp(`q=${tag}`));
  await expect.poll(() => cells(table, 1)).toEqual([`${tag} C`, `${tag} A`, `${tag} B`]);
  const nameHead = table.getByRole('columnheader', { name: 'Name' });
  await nameHead.getByRole('button').click();
  await nameHead.getByRole('button').click();
  await expect(nameHead).toHaveAttribute('aria-sort', 'descending');
  await expect(page).toHaveURL(/sort=-name/);
  await page.getByLabel('State').selectOption('false');
  await expect.poll(() => cells(table, 1)).toEqual([`${tag} C`, `${tag} B`, `${tag} A`]);
  await page.reload();
  await expect(page.getByLabel('State')).toHaveValue('false');
  await expect(nameHead).toHaveAttribute('aria-sort', 'descending');
  await expect.poll(() => cells(table, 1)).toEqual([`${tag} C`, `${tag} B`, `${tag} A`]);
  await page.getByLabel('State').selectOption('true');
  await expect(page.getByText('No webhooks match.')).toBeVisible();
});

test('a webhook\'s delivery log: filters, sort, paging and a reload; rotating keeps what was typed', async ({ page }) => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.writeHead(200); res.end('ok'); });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const tag = `dl${stamp()}`;
  const hook = await call('POST', '/api/v1/webhooks', { name: `${tag} log`, url: `http://127.0.0.1:${server.address().port}/h`,
    entities: ['department'], events: ['created'] });
  expect(hook.status, JSON.stringify(hook.body)).toBe(201);
  try {
    for (let i = 0; i < 3; i++) expect((await call('POST', `/api/v1/webhooks/${hook.body.id}/test`, {})).status).toBe(202);
    const delivered = async () => (await call('GET', `/api/v1/webhooks/${hook.body.id}/deliveries?status=delivered`)).body.data.length;
    await expect.poll(delivered, { timeout: 20000 }).toBe(3);

    await page.goto(`/admin/webhooks/${hook.body.id}?limit=2`);
    const table = page.getByRole('table', { name: /^Deliveries/ });
    await expect(page.getByRole('heading', { level: 1, name: `${tag} log` })).toBeVisible();
    await expect(page.locator('main')).not.toContainText('null'); // absent notices leave nothing behind
    const ids = () => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.delivery)));
    await page.getByLabel('Status', { exact: true }).selectOption('delivered');
    await page.getByLabel('Event', { exact: true }).fill('webhook.test');
    await page.getByLabel('Event', { exact: true }).press('Enter');
    await expect(page).toHaveURL(/event_type=webhook.test/);
    await expect(table.locator('tbody tr')).toHaveCount(2);
    const newest = await ids();
    expect(newest[0]).toBeGreaterThan(newest[1]);
    // By time: newest first (as the default, by id), then oldest first.
    const when = table.getByRole('columnheader', { name: 'When' });
    await when.getByRole('button').click();
    await expect(when).toHaveAttribute('aria-sort', 'descending');
    await expect(page).toHaveURL(/sort=-created_at/);
    await expect.poll(ids).toEqual(newest);
    await when.getByRole('button').click();
    await expect(when).toHaveAttribute('aria-sort', 'ascending');
    await expect.poll(async () => (await ids())[0]).toBeLessThan(newest[1]);
    const oldest = await ids();
    const pager = page.getByRole('navigation', { name: 'Deliveries pages' });
    await expect(pager.getByText('1–2 of 3', { exact: true })).toBeVisible();
    await pager.getByRole('button', { name: 'Next' }).click();
    await expect.poll(ids).toEqual([newest[0]]);
    await page.reload();
    await expect.poll(ids).toEqual([newest[0]]);
    await expect(page.getByLabel('Status', { exact: true })).toHaveValue('delivered');
    await expect(when).toHaveAttribute('aria-sort', 'ascending');
    await pager.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(ids).toEqual(oldest);
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await expect(page.getByText('No deliveries match.')).toBeVisible();

    // Rotate the secret with an edit in the form: the edit stays, still unsaved.
    const name = page.getByLabel('Name');
    await name.fill(`${tag} renamed`);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const dlg = page.getByRole('dialog', { name: 'Rotate the signing secret?' });
    await dlg.getByLabel('The old secret also signs for (hours)').fill('500');
    await dlg.getByRole('button', { name: 'Rotate' }).click();
    await expect(dlg.getByText(/1 to 168 hours/).first()).toBeVisible();
    await dlg.getByLabel('The old secret also signs for (hours)').fill('2');
    await dlg.getByRole('button', { name: 'Rotate' }).click();
    await expect(page.getByText('Copy the new signing secret now')).toBeVisible();
    await expect(page.getByTestId('webhook-secret')).toHaveValue(/^whsec_/);
    await expect(name).toHaveValue(`${tag} renamed`);
    await navLink(page, 'Webhooks').click();
    await expect(page.getByRole('dialog', { name: 'Leave without saving?' })).toBeVisible();
    await page.getByRole('button', { name: 'Stay on this page' }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click(); // If-Match: the rotated version
    await expect(page.getByText('Saved.')).toBeVisible();
    await expect(page.getByRole('heading', { level: 1, name: `${tag} renamed` })).toBeVisible();
  } finally {
    await call('DELETE', `/api/v1/webhooks/${hook.body.id}`);
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
});

test('events: one record\'s events by cursor, oldest first after a reload, the empty state, the export', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const lead = await call('POST', '/api/v1/leads', { name: `Events ${stamp()}` });
  expect(lead.status).toBe(201);
  let etag = lead.headers.etag;
  for (const company of ['One', 'Two']) {
    const r = await call('PATCH', `/api/v1/leads/${lead.body.id}`, { company }, { 'If-Match': etag });
    expect(r.status).toBe(200);
    etag = r.headers.etag;
  }
  await page.goto(`/admin/utilities/events?entity=lead&entity_id=${lead.body.id}&limit=2`);
  const table = page.getByRole('table', { name: /^Events/ });
  const actions = () => cells(table, 5);
  await expect.poll(actions).toEqual(['updated', 'updated']);
  const idHead = table.getByRole('columnheader', { name: '#' });
  await expect(idHead).toHaveAttribute('aria-sort', 'descending');
  await idHead.getByRole('button').click();
  await expect.poll(actions).toEqual(['created', 'updated']);
  const pager = page.getByRole('navigation', { name: 'Events pages' });
  await pager.getByRole('button', { name: 'Next' }).click();
  await expect.poll(actions).toEqual(['updated']);
  await page.reload();
  await expect.poll(actions).toEqual(['updated']);
  await expect(page.getByLabel('Record id')).toHaveValue(String(lead.body.id));
  await expect(idHead).toHaveAttribute('aria-sort', 'ascending');
  await pager.getByRole('button', { name: 'Previous' }).click();
  await expect.poll(actions).toEqual(['created', 'updated']);
  await expect(table.getByRole('link', { name: String(lead.body.id) }).first()).toHaveAttribute('href', `/admin/leads/${lead.body.id}`);

  await page.getByLabel('Action').selectOption('deleted');
  await expect(page.getByText('No events match.')).toBeVisible();
  const href = await page.getByRole('link', { name: 'Export NDJSON (MongoDB)' }).getAttribute('href');
  const exported = new URL(href, page.url()).searchParams;
  expect(Object.fromEntries(exported)).toEqual({ entity: 'lead', entity_id: String(lead.body.id), action: 'deleted' });
});

test('API request log: one token\'s errors, sorted by status, paged, kept by a reload, exported', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const tag = `rl${stamp()}`;
  const owner = await tokenOwner(call, tag);
  const tok = await call('POST', '/api/v1/api-tokens', { name: `${tag} log`, staff_id: owner.id });
  expect(tok.status, JSON.stringify(tok.body)).toBe(201);
  const bearer = { headers: { Authorization: `Bearer ${tok.body.token}`, Cookie: '' } };
  for (const [path, status] of [['/api/v1/leads', 200], ['/api/v1/leads/999999999', 404], ['/api/v1/leads?bogus=1', 400],
    ['/api/v1/staff', 403]]) {
    expect((await page.request.fetch(path, bearer)).status()).toBe(status);
  }
  // The log is written in batches within a second.
  const logged = async () => (await call('GET', `/api/v1/api-requests?token_id=${tok.body.id}`)).body.data.length;
  await expect.poll(logged).toBe(4);

  await page.goto(`/admin/utilities/api_log?token_id=${tok.body.id}&limit=2`);
  const table = page.getByRole('table', { name: /^API requests/ });
  await page.getByLabel('Outcome').selectOption({ label: 'Errors (400 and above)' });
  await expect(page).toHaveURL(/status%5Bgte%5D=400/);
  const statusHead = table.getByRole('columnheader', { name: 'Status' });
  await statusHead.getByRole('button').click();
  await expect(statusHead).toHaveAttribute('aria-sort', 'descending');
  await expect.poll(() => cells(table, 3)).toEqual(['404', '403']);
  const pager = page.getByRole('navigation', { name: 'API requests pages' });
  await pager.getByRole('button', { name: 'Next' }).click();
  await expect.poll(() => cells(table, 3)).toEqual(['400']);
  await page.reload();
  await expect.poll(() => cells(table, 3)).toEqual(['400']);
  await expect(page.getByLabel('Outcome')).toHaveValue('errors');
  await expect(page.getByLabel('Token id')).toHaveValue(String(tok.body.id));
  await expect(statusHead).toHaveAttribute('aria-sort', 'descending');
  await pager.getByRole('button', { name: 'Previous' }).click();
  await expect.poll(() => cells(table, 3)).toEqual(['404', '403']);
  await expect(table.getByRole('link', { name: `token #${tok.body.id}` }).first())
    .toHaveAttribute('href', `/admin/api/api_management/${tok.body.id}`);
  const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  const csv = await (await page.request.get(href)).text();
  expect(csv.trim().split('\r\n').slice(1).map((l) => l.split(',')[4]).sort()).toEqual(['400', '403', '404']);

  await page.getByLabel('Method').selectOption('DELETE');
  await expect(page.getByText('No requests match.')).toBeVisible();
  await expect(table.getByRole('row')).toHaveCount(1);
});
