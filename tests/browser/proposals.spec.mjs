// Proposals in the web admin (issue 13), through the screens: a draft with
// two lines whose saved totals are the API's and a line's error under its
// own input; Send (confirmed: it gets the next number, which the heading
// then shows); Accept (the proposal is frozen: no Edit, and its form says
// why); Convert to invoice (a due date, then the new draft invoice's page
// with the same lines, and the proposal links to it); the list's search
// and status filter; the screens in Romanian. Each walk is its own test so
// each stays within the default timeout on a loaded machine; what a walk
// needs before its screens (a sent proposal) is made through the API.
import { test, expect } from '@playwright/test';
import { guardPages, navLink, noEnglish, pageApi, signIn, stamp } from './common.mjs';

guardPages();

/** "1612.37" as the page writes it in the default formats: "1,612.37 EUR". */
const money = (text, currency) => `${text.replace(/\B(?=(\d{3})+(?!\d))/g, ',')} ${currency}`;

/* A client and a 19 % tax of this test's own; `done()` deactivates the tax. */
async function fixtures(call, tag) {
  const client = await call('POST', '/api/v1/clients', { company: `Carpați Design ${tag}` });
  expect(client.status, JSON.stringify(client.body)).toBe(201);
  const vat = await call('POST', '/api/v1/taxes', { name: `TVA ${tag}`, rate: '19' });
  expect(vat.status).toBe(201);
  return {
    client: client.body, vat: vat.body,
    async done() {
      const cur = await call('GET', `/api/v1/taxes/${vat.body.id}`);
      await call('PATCH', `/api/v1/taxes/${vat.body.id}`, { active: false }, { 'If-Match': cur.headers.etag });
    },
  };
}

/** A proposal made (and, with send, sent) through the API. */
async function proposal(call, f, tag, { send = false } = {}) {
  const p = await call('POST', '/api/v1/proposals', { subject: `Site redesign ${tag}`, client_id: f.client.id, lines: [
    { description: 'Design', quantity: 3, unit: 'h', unit_price: '80', taxes: [f.vat.id] },
    { description: 'Hosting', quantity: 1, unit_price: '120.50', discount: '10', taxes: [f.vat.id] },
  ] });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  if (!send) return p.body;
  const s = await call('POST', `/api/v1/proposals/${p.body.id}/send`, {});
  expect(s.status, JSON.stringify(s.body)).toBe(200);
  return s.body;
}

const line = (page, n) => page.locator(`.doc-line[data-line="${n}"]`);
const field = (page, name, n) => page.getByLabel(`${name}, line ${n}`, { exact: true });

test('a new proposal with two lines: a line error under its input, the saved totals are the API\'s; Send gives it its number', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const f = await fixtures(call, tag);
  try {
    await navLink(page, 'Proposals').click();
    await expect(page.getByRole('heading', { level: 1, name: 'Proposals' })).toBeVisible();
    await page.getByRole('link', { name: 'New proposal' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'New proposal' })).toBeVisible();
    await page.getByLabel(/^Subject/).fill(`Audit ${tag}`);
    await page.getByLabel('Find a client…').fill(tag);
    await expect(page.getByLabel(/^Client( \*)?$/).locator('option', { hasText: `Carpați Design ${tag}` })).toHaveCount(1);
    await page.getByLabel(/^Client( \*)?$/).selectOption({ label: `Carpați Design ${tag}` });
    await page.getByLabel(/^Open till/).fill('2099-12-31');

    await field(page, 'Description', 1).fill('Analiză');
    await field(page, 'Quantity', 1).fill('2');
    await field(page, 'Unit price', 1).fill('150');
    await page.getByRole('group', { name: 'Taxes, line 1' }).getByLabel(`TVA ${tag} (19 %)`).check();
    await page.getByRole('button', { name: 'Add line' }).click();
    await field(page, 'Description', 2).fill('Raport');
    await field(page, 'Quantity', 2).fill('0');
    await field(page, 'Unit price', 2).fill('99.99');
    await page.getByRole('group', { name: 'Taxes, line 2' }).getByLabel(`TVA ${tag} (19 %)`).check();

    // The server refuses line 2's quantity (lines[1].quantity): under that input only.
    await page.getByRole('button', { name: 'Create proposal' }).click();
    await expect(field(page, 'Quantity', 2)).toHaveAttribute('aria-invalid', 'true');
    await expect(line(page, 2).locator('.doc-line-quantity .field-error')).toContainText(/between/);
    await expect(field(page, 'Quantity', 1)).not.toHaveAttribute('aria-invalid', 'true');
    await field(page, 'Quantity', 2).fill('1');
    // 300.00 + 99.99 = 399.99; 19 % = 76.00 (75.9981); 475.99.
    await expect(page.getByTestId('preview-total')).toHaveText(money('475.99', 'EUR'));
    await page.getByRole('button', { name: 'Create proposal' }).click();

    // Its page: the server's figures, equal to the API's.
    await expect(page.getByRole('heading', { level: 1, name: /^Draft proposal #\d+/ })).toBeVisible();
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    const p = (await call('GET', `/api/v1/proposals/${id}`)).body;
    expect([p.subtotal, p.tax_total, p.total]).toEqual(['399.99', '76.00', '475.99']);
    await expect(page.getByTestId('total-subtotal')).toHaveText(money(p.subtotal, p.currency));
    await expect(page.getByTestId('total-tax')).toHaveText(money(p.tax_total, p.currency));
    await expect(page.getByTestId('total-total')).toHaveText(money(p.total, p.currency));
    await expect(page.getByTestId('line-amount-2')).toHaveText('99.99');
    await expect(page.getByTestId('proposal-status')).toHaveText('Draft');
    await expect(page.getByTestId('proposal-subject')).toHaveText(`Audit ${tag}`);
    // A draft is not emailed: no Email until it is sent.
    await expect(page.getByRole('button', { name: 'Send by email' })).toHaveCount(0);

    // Send: confirmed, then numbered.
    await page.getByTestId('proposal-actions').getByRole('button', { name: 'Send', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Mark this proposal as sent?' });
    await expect(dialog).toContainText('gets the next number');
    await dialog.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(page.getByTestId('proposal-status')).toHaveText('Sent');
    const sent = (await call('GET', `/api/v1/proposals/${id}`)).body;
    expect(sent.number).toBeTruthy();
    await expect(page.getByRole('heading', { level: 1, name: `Proposal ${sent.number}` })).toBeVisible();
    // A sent proposal is still edited (it keeps its number) and now emailed.
    await expect(page.getByRole('link', { name: 'Edit', exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Send by email' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Accept' })).toBeVisible();
  } finally {
    await f.done();
  }
});

test('a sent proposal emailed, then accepted: frozen, without Edit, and its form says why', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const f = await fixtures(call, tag);
  try {
    const p = await proposal(call, f, tag, { send: true });
    await page.goto(`/admin/proposals/${p.id}`);
    await expect(page.getByRole('heading', { level: 1, name: `Proposal ${p.number}` })).toBeVisible();
    // Emailed with its PDF: without a contact the address is asked for.
    await page.getByRole('button', { name: 'Send by email' }).click();
    const send = page.getByRole('dialog', { name: `Email proposal ${p.number}` });
    await send.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(send.getByLabel(/^To/)).toHaveAttribute('aria-invalid', 'true');
    await send.getByLabel(/^To/).fill(`offers.${tag}@example.test`);
    await send.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(page.getByTestId('proposal-emailed')).toHaveText(`offers.${tag}@example.test`);
    await expect(page.getByTestId('proposal-status')).toHaveText('Sent');

    await page.getByRole('button', { name: 'Accept' }).click();
    const dialog = page.getByRole('dialog', { name: 'Record that the client accepted?' });
    await dialog.getByRole('button', { name: 'Accept' }).click();
    await expect(page.getByTestId('proposal-status')).toHaveText('Accepted');
    expect((await call('GET', `/api/v1/proposals/${p.id}`)).body.status).toBe('accepted');
    await expect(page.getByText('This proposal can no longer be edited')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Edit', exact: true })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Accept' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Delete proposal' })).toHaveCount(0);
    await page.goto(`/admin/proposals/${p.id}/edit`);
    await expect(page.getByText('The client accepted it: its terms are final')).toBeVisible();
    await expect(page.getByTestId('proposal-form')).toHaveCount(0);
  } finally {
    await f.done();
  }
});

test('an accepted proposal converted to an invoice: the draft invoice\'s page with the same lines, linked back', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const f = await fixtures(call, tag);
  try {
    const p = await proposal(call, f, tag, { send: true });
    expect((await call('POST', `/api/v1/proposals/${p.id}/accept`, {})).status).toBe(200);
    await page.goto(`/admin/proposals/${p.id}`);
    await page.getByRole('button', { name: 'Convert to invoice' }).click();
    const dialog = page.getByRole('dialog', { name: `Convert ${p.number} to an invoice` });
    await dialog.getByLabel('Due date').fill('2099-06-30');
    await dialog.getByRole('button', { name: 'Convert to invoice' }).click();

    await expect(page.getByRole('heading', { level: 1, name: /^Draft invoice #\d+/ })).toBeVisible();
    expect(page.url()).toMatch(/\/admin\/invoices\/\d+$/);
    const invId = Number(new URL(page.url()).pathname.split('/').pop());
    const inv = (await call('GET', `/api/v1/invoices/${invId}`)).body;
    expect(inv.lines.map((l) => l.description)).toEqual(['Design', 'Hosting']);
    expect([inv.total, inv.due_date, inv.client_id]).toEqual([p.total, '2099-06-30', f.client.id]);
    await expect(page.getByTestId('invoice-status')).toHaveText('Draft');
    await expect(page.locator('table.doc-lines tbody tr')).toHaveCount(2);
    await expect(page.locator('tr[data-line="1"]')).toContainText('Design');
    await expect(page.locator('tr[data-line="2"]')).toContainText('Hosting');
    await expect(page.getByTestId('line-amount-1')).toHaveText(p.line_amounts[0]);
    await expect(page.getByTestId('line-amount-2')).toHaveText(p.line_amounts[1]);
    await expect(page.getByTestId('total-total')).toHaveText(money(p.total, p.currency));

    // The proposal is invoiced, links to its invoice, and converts no more.
    await page.goto(`/admin/proposals/${p.id}`);
    await expect(page.getByTestId('proposal-status')).toHaveText('Invoiced');
    await expect(page.getByRole('button', { name: 'Convert to invoice' })).toHaveCount(0);
    await page.getByTestId('proposal-invoice').getByRole('link').click();
    await expect(page).toHaveURL(new RegExp(`/admin/invoices/${invId}$`));
  } finally {
    await f.done();
  }
});

test('the list: found by subject, narrowed by status, each row with its number, client and total', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const f = await fixtures(call, tag);
  try {
    const sent = await proposal(call, f, tag, { send: true });
    const draft = await proposal(call, f, tag);
    await page.goto('/admin/proposals');
    await page.getByLabel('Search proposals').fill(tag);
    await expect(page.locator('table tbody tr')).toHaveCount(2);
    const row = page.locator(`tr[data-record="${sent.id}"]`);
    await expect(row).toContainText(sent.number);
    await expect(row).toContainText(`Carpați Design ${tag}`);
    await expect(row).toContainText(money(sent.total, sent.currency));
    await expect(page.locator(`tr[data-record="${draft.id}"]`)).toContainText(`Draft #${draft.id}`);
    await page.getByLabel('Status').selectOption('draft');
    await expect(page.locator('table tbody tr')).toHaveCount(1);
    await expect(page.locator(`tr[data-record="${draft.id}"]`)).toBeVisible();
    await page.getByLabel('Search proposals').fill(sent.number);
    await page.getByLabel('Status').selectOption('sent');
    await expect(page.locator('table tbody tr')).toHaveCount(1);
    await page.locator(`tr[data-record="${sent.id}"]`).getByRole('link').first().click();
    await expect(page.getByRole('heading', { level: 1, name: `Proposal ${sent.number}` })).toBeVisible();
  } finally {
    await f.done();
  }
});

test('in Romanian: the proposal page, the list and the form speak it', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const f = await fixtures(call, tag);
  try {
    const p = await proposal(call, f, tag, { send: true });
    expect((await call('PATCH', '/api/v1/settings/localization', { language: 'ro' })).status).toBe(200);
    await page.goto(`/admin/proposals/${p.id}`);
    await expect(page.getByRole('heading', { level: 1, name: `Oferta ${p.number}` })).toBeVisible();
    await expect(page.getByTestId('proposal-status')).toHaveText('Trimisă');
    await expect(page.getByRole('button', { name: 'Acceptă' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Transformă în factură' })).toBeVisible();
    await expect(page.locator('#app-nav').getByRole('link', { name: 'Oferte' })).toBeVisible();
    await noEnglish(page, ['Proposal', 'Sent', 'Subject', 'Open till', 'Lines', 'Quantity', 'Tax summary', 'Totals',
      'Accept', 'Decline', 'Convert to invoice', 'Send again', 'Send by email', 'Download PDF', 'History']);
    await page.goto('/admin/proposals');
    await expect(page.getByRole('heading', { level: 1, name: 'Oferte' })).toBeVisible();
    await expect(page.getByLabel('Caută oferte')).toBeVisible();
    await noEnglish(page, ['Proposals', 'New proposal', 'Subject', 'Open till', 'Status', 'Search proposals', 'Dated from']);
    await page.goto('/admin/proposals/new');
    await expect(page.getByRole('heading', { level: 1, name: 'Ofertă nouă' })).toBeVisible();
    await noEnglish(page, ['New proposal', 'Subject', 'Open till', 'Add line', 'Notes and terms', 'Create proposal', 'Sales agent']);
  } finally {
    await call('PATCH', '/api/v1/settings/localization', { language: 'en' });
    await f.done();
  }
});
