// The spec's integration steps in real Chromium (issue 10):
//   - API Management: add a token for a dedicated integration user (field
//     errors first, then the password asked again), copy it once, use it,
//     revoke it; offboarding stops a member's tokens;
//   - Webhooks: add an endpoint with debug mode, copy the secret, send a
//     test event, check the log (200, the bodies), turn debug mode off; the
//     message is verified by a receiver on loopback with the npm
//     `standardwebhooks` library (the server runs with
//     webhook_allow_private, as scripts/test-all starts it);
//   - Events and the API request log list what happened.
// The lists themselves (state in the address, sorting, paging, the empty
// states) are proved in integration-lists.spec.mjs.
import http from 'node:http';
import { test, expect } from '@playwright/test';
import { Webhook } from 'standardwebhooks';
import { PASSWORD, guardPages, navLink, operatorSeats, pageApi, signIn, stamp } from './common.mjs';

guardPages();

async function integrationUser(api, tag) {
  operatorSeats({ extra_seats: 100 });
  let r = await api.call('POST', '/api/v1/roles', { name: `Integration ${tag}`, permissions: { leads: ['view', 'create'] } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  r = await api.call('POST', '/api/v1/staff', {
    email: `integration.${tag}@example.test`, name: `Zapier ${tag}`, role_id: r.body.id,
    temporary_password: `Temp-${tag}-password-1`,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

test('API Management: add a token (password asked again), copy it once, use it, revoke it', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const tag = stamp();
  const user = await integrationUser(api, tag);

  await navLink(page, 'API Management').click();
  await expect(page.getByRole('heading', { level: 1, name: 'API Management' })).toBeVisible();
  await page.getByRole('link', { name: 'Add token' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Add API token' })).toBeVisible();
  // Field errors from the server, named at the fields.
  await page.getByLabel('Rate limit (requests a minute)').fill('0');
  await page.getByRole('button', { name: 'Create token' }).click();
  const reauth = page.getByTestId('reauth-form');
  await expect(reauth).toBeVisible();
  await reauth.getByLabel('Your password').fill(PASSWORD);
  await reauth.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByText(/Please correct these \d+ fields/)).toBeVisible();
  await expect(page.locator('.field-error:not([hidden])').first()).toBeVisible();

  await page.getByLabel('Name').fill(`Zapier - Leads ${tag}`);
  await page.getByLabel('Integration user').selectOption(String(user.id));
  await page.getByLabel('Rate limit (requests a minute)').fill('120');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('heading', { name: `Token “Zapier - Leads ${tag}” created` })).toBeVisible();
  await expect(page.getByText('Copy the token now')).toBeVisible();
  const token = await page.getByTestId('new-token').inputValue();
  expect(token).toMatch(/^atr_[0-9A-Za-z]{42}$/);

  // Use it: an integration with no cookie and no CSRF token.
  const use = await page.request.fetch('/api/v1/leads', { headers: { Authorization: `Bearer ${token}`, Cookie: '' } });
  expect(use.status()).toBe(200);

  await page.getByRole('link', { name: 'Done' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Zapier - Leads ${tag}` })).toBeVisible();
  await expect(page.getByText(token)).toHaveCount(0);
  await expect(page.getByText('120 requests a minute')).toBeVisible();
  await page.getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByText('Token revoked.')).toBeVisible();
  await expect(page.locator('.badge', { hasText: 'Revoked' })).toBeVisible();
  const after = await page.request.fetch('/api/v1/leads', { headers: { Authorization: `Bearer ${token}`, Cookie: '' } });
  expect(after.status()).toBe(401);

  // Offboarding: deactivating the integration user stops its tokens.
  expect((await api.call('POST', '/api/v1/auth/reauth', { password: PASSWORD })).status).toBe(200);
  const t2 = await api.call('POST', '/api/v1/api-tokens', { name: `ERP Sync ${tag}`, staff_id: user.id });
  expect(t2.status, JSON.stringify(t2.body)).toBe(201);
  expect((await api.call('POST', `/api/v1/staff/${user.id}/deactivate`, {})).status).toBe(200);
  const gone = await page.request.fetch('/api/v1/leads', { headers: { Authorization: `Bearer ${t2.body.token}`, Cookie: '' } });
  expect(gone.status()).toBe(401);
  await page.goto('/admin/api/api_management');
  await expect(page.locator(`tr[data-token="${t2.body.id}"]`)).toContainText('Owner inactive');
});

test('Webhooks: add with debug mode, send a test event, check the log, turn debug off', async ({ page }) => {
  const received = [];
  let secret = '';
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let ok = false;
      try {
        new Webhook(secret).verify(body, req.headers);
        ok = true;
      } catch { /* recorded as unverified */ }
      received.push({ body: JSON.parse(body), ok });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('received');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/hooks/atrium`;
  try {
    await signIn(page);
    await expect(page).toHaveURL(/\/admin\/$/);
    const tag = stamp();
    await navLink(page, 'Webhooks').click();
    await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
    await page.getByRole('link', { name: 'Add webhook' }).click();
    await page.getByLabel('Name').fill(`ERP ${tag}`);
    await page.getByLabel('Destination URL').fill('ftp://example.com/');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await expect(page.getByText(/Please correct this field/)).toBeVisible();
    await page.getByLabel('Destination URL').fill(url);
    await page.getByLabel(/^Debug mode/).check();
    // Every entity the API follows is offered, the CRM records' too.
    for (const name of ['Contacts', 'Contracts', 'Projects', 'Tasks', 'Tickets']) await expect(page.getByRole('checkbox', { name })).toBeVisible();
    await page.getByRole('checkbox', { name: 'Tickets' }).check();
    await page.getByRole('button', { name: 'Add webhook' }).click();

    await expect(page.getByRole('heading', { level: 1, name: `ERP ${tag}` })).toBeVisible();
    await expect(page.getByText('Copy the signing secret now')).toBeVisible();
    secret = await page.getByTestId('webhook-secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await expect(page.getByText('Debug mode is on')).toBeVisible();

    await page.getByRole('button', { name: 'Send test event' }).click();
    await expect(page.getByText('Test event queued: watch the log below.')).toBeVisible();
    const row = page.locator('tr[data-status="delivered"]').first();
    await expect(async () => {
      await page.getByLabel('Status', { exact: true }).selectOption('delivered');
      await expect(row).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 20000 });
    await expect(row).toContainText('webhook.test');
    await expect(row).toContainText('200');
    await row.getByRole('button', { name: /Details of delivery/ }).click();
    const dlg = page.getByRole('dialog');
    await expect(dlg.getByTestId('request-body')).toContainText('"type":"webhook.test"');
    await expect(dlg.getByTestId('response-body')).toHaveText('received');
    await dlg.getByRole('button', { name: 'Close' }).click();
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received[0].ok, 'verified by standardwebhooks').toBe(true);
    expect(received[0].body.type).toBe('webhook.test');

    // Step 6: debug mode off.
    await page.reload();
    await page.getByLabel(/^Debug mode/).uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('Saved.')).toBeVisible();
    await expect(page.getByText('Debug mode is on')).toHaveCount(0);
    await expect(page.getByText('Copy the signing secret now')).toHaveCount(0);
  } finally {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
});

test('Events and the API request log list what happened, with exports', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const tag = stamp();
  const lead = await api.call('POST', '/api/v1/leads', { name: `Events ${tag}` });
  expect(lead.status).toBe(201);
  await navLink(page, 'Events').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Events' })).toBeVisible();
  await page.getByLabel('Record id').fill(String(lead.body.id));
  await page.getByLabel('Entity').fill('lead');
  await page.getByLabel('Entity').press('Enter'); // a text filter applies when committed
  await expect(page.locator('tr[data-event]')).toHaveCount(1);
  await expect(page.locator('tr[data-event]')).toContainText('created');
  await expect(page.getByRole('link', { name: 'Export NDJSON (MongoDB)' })).toHaveAttribute('href', /entity_id=/);

  // The request log is written in batches (about a second): wait for the
  // POST to be there before filtering the page.
  await expect.poll(async () => {
    const r = await api.call('GET', '/api/v1/api-requests?method=POST&limit=200');
    return (r.body.data || []).some((x) => x.path === '/api/v1/leads');
  }, { message: 'the POST reached the request log' }).toBe(true);
  await navLink(page, 'API request log').click();
  await expect(page.getByRole('heading', { level: 1, name: 'API request log' })).toBeVisible();
  await page.getByLabel('Method').selectOption('POST');
  await expect(page.locator('tr[data-request]', { hasText: 'POST /api/v1/leads' }).first()).toBeVisible({ timeout: 10000 });
  await expect(page.getByRole('link', { name: 'Export CSV' })).toHaveAttribute('href', /method=POST/);

  // Settings → Integrations: the request log's retention.
  await page.goto('/admin/settings?tab=integrations');
  await page.getByRole('tab', { name: 'Integrations' }).click();
  const keep = page.getByLabel('Keep the API request log for (days)');
  await expect(keep).toHaveValue('90');
  await keep.fill('30');
  await page.getByRole('button', { name: 'Save integration settings' }).click();
  await expect(page.getByText(/saved/i).first()).toBeVisible();
  expect((await api.call('GET', '/api/v1/settings/integrations')).body.values.api_log_retention_days).toBe(30);
  await api.call('PATCH', '/api/v1/settings/integrations', { api_log_retention_days: null });
});
