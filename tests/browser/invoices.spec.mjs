// Invoices, payments and credit notes in the web admin (issue 13, the
// spec's Step 3 documents), all through the screens: a draft with three
// lines (a discount, a reverse-charge tax) whose preview and saved totals
// are the API's, a line's error under its own input, Issue (the number
// appears, Edit goes), its PDF downloaded and sent by email, a partial payment (Partially paid, the balance) and
// the rest (Paid), a credit note in full (the invoice Cancelled), one of
// chosen lines edited and deleted as a draft; the line editor's rows moved
// and removed; taxes rounded per line; the screens in Romanian and in the dark
// theme; a member with "Invoices: view own" sees no Issue, Edit or Delete;
// the webhook form offers the three entities.
// Issued documents are never deleted (the law keeps them), so what a test
// makes is tagged and its taxes and payment mode are deactivated after.
import { test, expect } from '@playwright/test';
import { addMember, BASE, guardPages, navLink, noEnglish, pageApi, signIn, stamp } from './common.mjs';

guardPages();

/** "1612.37" as the page writes it in the default formats: "1,612.37 EUR". */
const money = (text, currency) => `${text.replace(/\B(?=(\d{3})+(?!\d))/g, ',')} ${currency}`;

/* A client, two taxes (19 % and a reverse charge with its legal note) and a
 * default payment mode of this test's own; `done()` deactivates them. */
async function fixtures(call, tag) {
  const client = await call('POST', '/api/v1/clients', { company: `Nordic Timber ${tag}` });
  expect(client.status, JSON.stringify(client.body)).toBe(201);
  const vat = await call('POST', '/api/v1/taxes', { name: `TVA ${tag}`, rate: '19' });
  expect(vat.status).toBe(201);
  const rc = await call('POST', '/api/v1/taxes', { name: `Taxare inversă ${tag}`, rate: '0', reverse_charge: true,
    legal_note: `Taxare inversă (art. 331 Cod fiscal) ${tag}` });
  expect(rc.status).toBe(201);
  const mode = await call('POST', '/api/v1/payment_modes', { name: `Bank ${tag}`, is_default: true });
  expect(mode.status).toBe(201);
  return {
    client: client.body, vat: vat.body, rc: rc.body, mode: mode.body,
    async done() {
      for (const [path, rec] of [['taxes', vat.body], ['taxes', rc.body]]) {
        const cur = await call('GET', `/api/v1/${path}/${rec.id}`);
        await call('PATCH', `/api/v1/${path}/${rec.id}`, { active: false }, { 'If-Match': cur.headers.etag });
      }
      const m = await call('GET', `/api/v1/payment_modes/${mode.body.id}`);
      const off = await call('PATCH', `/api/v1/payment_modes/${mode.body.id}`, { is_default: false }, { 'If-Match': m.headers.etag });
      await call('PATCH', `/api/v1/payment_modes/${mode.body.id}`, { active: false }, { 'If-Match': off.headers.etag });
    },
  };
}

/** An invoice made and issued through the API: {id, number, total, ...}. */
async function issuedInvoice(call, f, lines) {
  const inv = await call('POST', '/api/v1/invoices', { client_id: f.client.id, lines });
  expect(inv.status, JSON.stringify(inv.body)).toBe(201);
  const is = await call('POST', `/api/v1/invoices/${inv.body.id}/issue`, {});
  expect(is.status, JSON.stringify(is.body)).toBe(200);
  return is.body;
}

const line = (page, n) => page.locator(`.doc-line[data-line="${n}"]`);
const field = (page, name, n) => page.getByLabel(`${name}, line ${n}`, { exact: true });

test('a draft with three lines: the preview and the saved totals are the API\'s, a line error under its input; Issue numbers it; PDF and email', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const f = await fixtures(call, tag);
  try {
    await navLink(page, 'Invoices').click();
    await page.getByRole('link', { name: 'New invoice' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'New invoice' })).toBeVisible();
    // The client, found by the search beside its select.
    await page.getByLabel('Find a client…').fill(tag);
    await expect(page.getByLabel(/^Client( \*)?$/).locator('option', { hasText: `Nordic Timber ${tag}` })).toHaveCount(1);
    await page.getByLabel(/^Client( \*)?$/).selectOption({ label: `Nordic Timber ${tag}` });

    // Line 1: a discount and 19 %; line 2 at 19 % with a quantity of 0;
    // line 3 under the reverse charge.
    await field(page, 'Description', 1).fill('Consultanță tehnică');
    await field(page, 'Quantity', 1).fill('2.5');
    await field(page, 'Unit', 1).fill('h');
    await field(page, 'Unit price', 1).fill('120.40');
    await field(page, 'Discount %', 1).fill('10');
    await page.getByRole('group', { name: 'Taxes, line 1' }).getByLabel(`TVA ${tag} (19 %)`).check();
    await page.getByRole('button', { name: 'Add line' }).click();
    await expect(field(page, 'Description', 2)).toBeFocused();
    await field(page, 'Description', 2).fill('Licență');
    await field(page, 'Quantity', 2).fill('0');
    await field(page, 'Unit price', 2).fill('1000');
    await page.getByRole('group', { name: 'Taxes, line 2' }).getByLabel(`TVA ${tag} (19 %)`).check();
    await page.getByRole('button', { name: 'Add line' }).click();
    await field(page, 'Description', 3).fill('Servicii UE');
    await field(page, 'Quantity', 3).fill('3');
    await field(page, 'Unit price', 3).fill('33.333');
    await page.getByRole('group', { name: 'Taxes, line 3' }).getByLabel(`Taxare inversă ${tag} (0 %)`).check();
    await expect(line(page, 1).getByTestId('preview-amount-1')).toHaveText('270.90');
    await expect(line(page, 3).getByTestId('preview-amount-3')).toHaveText('100.00');

    // The server refuses line 2's quantity: named under that input only.
    await page.getByRole('button', { name: 'Create invoice' }).click();
    await expect(page.getByText('Please correct this field')).toBeVisible();
    await expect(field(page, 'Quantity', 2)).toHaveAttribute('aria-invalid', 'true');
    await expect(line(page, 2).locator('.doc-line-quantity .field-error')).toContainText(/between/);
    await expect(field(page, 'Quantity', 1)).not.toHaveAttribute('aria-invalid', 'true');
    await field(page, 'Quantity', 2).fill('1');
    // 270.90 + 1000.00 + 100.00; 19 % of 1270.90 = 241.471 → 241.47.
    await expect(page.getByTestId('preview-total')).toHaveText(money('1612.37', 'EUR'));
    await page.getByRole('button', { name: 'Create invoice' }).click();

    // The invoice's page shows the server's figures, equal to the API's.
    await expect(page.getByRole('heading', { level: 1, name: /^Draft invoice #\d+/ })).toBeVisible();
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    const inv = (await call('GET', `/api/v1/invoices/${id}`)).body;
    expect([inv.subtotal, inv.tax_total, inv.total]).toEqual(['1370.90', '241.47', '1612.37']);
    await expect(page.getByTestId('total-subtotal')).toHaveText(money(inv.subtotal, inv.currency));
    await expect(page.getByTestId('total-tax')).toHaveText(money(inv.tax_total, inv.currency));
    await expect(page.getByTestId('total-total')).toHaveText(money(inv.total, inv.currency));
    await expect(page.getByTestId('total-balance')).toHaveText(money(inv.balance_due, inv.currency));
    await expect(page.getByTestId('line-amount-1')).toHaveText('270.90');
    await expect(page.getByTestId(`legal-${f.rc.id}`)).toContainText(`Taxare inversă (art. 331 Cod fiscal) ${tag}`);
    await expect(page.getByTestId('invoice-status')).toHaveText('Draft');

    // Issue: confirmed, numbered, no longer editable.
    await page.getByRole('button', { name: 'Issue' }).click();
    const dialog = page.getByRole('dialog', { name: 'Issue this invoice?' });
    await expect(dialog).toContainText('gets the next number');
    await dialog.getByRole('button', { name: 'Issue' }).click();
    await expect(page.getByRole('heading', { level: 1, name: /^Invoice / })).toBeVisible();
    const issued = (await call('GET', `/api/v1/invoices/${id}`)).body;
    expect(issued.number).toBeTruthy();
    await expect(page.getByRole('heading', { level: 1, name: `Invoice ${issued.number}` })).toBeVisible();
    await expect(page.getByTestId('invoice-status')).toHaveText('Issued');
    await expect(page.getByRole('link', { name: 'Edit', exact: true })).toHaveCount(0);
    await expect(page.getByText('An issued invoice cannot be edited')).toBeVisible();
    // Its PDF downloads under its number.
    const download = page.waitForEvent('download');
    await page.getByTestId('pdf-link').click();
    expect((await download).suggestedFilename()).toBe(`${issued.number.replace(/[/\\]/g, '-')}.pdf`);
    // Sent by email: without a contact the address is asked for, under its input.
    await page.getByRole('button', { name: 'Send by email' }).click();
    const send = page.getByRole('dialog', { name: `Send invoice ${issued.number}` });
    await send.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(send.getByLabel(/^To/)).toHaveAttribute('aria-invalid', 'true');
    await send.getByLabel(/^To/).fill(`billing.${tag}@example.test`);
    await send.getByLabel('Message').fill('Vă mulțumim!');
    await send.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(page.getByTestId('invoice-status')).toHaveText('Sent');
    await expect(page.getByTestId('invoice-sent')).toContainText(`billing.${tag}@example.test`);
    // Its form says why too.
    await page.goto(`/admin/invoices/${id}/edit`);
    await expect(page.getByText('To correct or cancel it, create a credit note.')).toBeVisible();
    await expect(page.getByTestId('invoice-form')).toHaveCount(0);
    // The list finds it by its number.
    await page.goto('/admin/invoices');
    await page.getByLabel('Search invoices').fill(issued.number);
    await expect(page.locator(`tr[data-record="${id}"]`)).toContainText(money(issued.total, issued.currency));
  } finally {
    await f.done();
  }
});

test('a payment in part, then the rest: Partially paid, then Paid; an amount over the balance is named', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const f = await fixtures(call, tag);
  try {
    const inv = await issuedInvoice(call, f, [{ description: 'Mentenanță', quantity: 2, unit_price: '100', taxes: [f.vat.id] }]);
    expect(inv.total).toBe('238.00');
    await page.goto(`/admin/invoices/${inv.id}`);
    await page.getByRole('button', { name: 'Record payment' }).click();
    let dialog = page.getByRole('dialog', { name: `Payment of invoice ${inv.number}` });
    await expect(dialog.getByLabel(/^Amount \(EUR\)/)).toHaveValue('238.00');
    await expect(dialog.getByLabel('Payment mode')).toHaveValue(String(f.mode.id));
    await dialog.getByLabel(/^Amount \(EUR\)/).fill('300');
    await dialog.getByRole('button', { name: 'Record payment' }).click();
    await expect(dialog.getByLabel(/^Amount \(EUR\)/)).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.locator('#pay-amount-error')).toContainText('balance due');
    await dialog.getByLabel(/^Amount \(EUR\)/).fill('100');
    await dialog.getByLabel('Transaction ID').fill(`TX-${tag}`);
    await dialog.getByRole('button', { name: 'Record payment' }).click();
    await expect(page.getByTestId('invoice-status')).toHaveText('Partially paid');
    await expect(page.getByTestId('total-paid')).toHaveText(money('100.00', 'EUR'));
    await expect(page.getByTestId('total-balance')).toHaveText(money('138.00', 'EUR'));
    await expect(page.getByTestId('invoice-payments')).toContainText(`TX-${tag}`);

    // The rest: the amount offered is the balance.
    await page.getByRole('button', { name: 'Record payment' }).click();
    dialog = page.getByRole('dialog', { name: `Payment of invoice ${inv.number}` });
    await expect(dialog.getByLabel(/^Amount \(EUR\)/)).toHaveValue('138.00');
    await dialog.getByRole('button', { name: 'Record payment' }).click();
    await expect(page.getByTestId('invoice-status')).toHaveText('Paid');
    await expect(page.getByTestId('total-balance')).toHaveText(money('0.00', 'EUR'));
    const cur = (await call('GET', `/api/v1/invoices/${inv.id}`)).body;
    expect([cur.status, cur.amount_paid, cur.balance_due]).toEqual(['paid', '238.00', '0.00']);
    // The payments list narrows to the invoice and links back to it.
    await page.getByRole('link', { name: 'In the payments list' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Payments' })).toBeVisible();
    await expect(page.locator('table tbody tr')).toHaveCount(2);
    await expect(page.locator('table tbody')).toContainText(money('100.00', 'EUR'));
    await page.getByRole('link', { name: inv.number }).first().click();
    await expect(page.getByRole('heading', { level: 1, name: `Invoice ${inv.number}` })).toBeVisible();
  } finally {
    await f.done();
  }
});

test('a credit note in full, issued from its page, cancels the invoice', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const f = await fixtures(call, tag);
  try {
    const inv = await issuedInvoice(call, f, [
      { description: 'A', quantity: 1, unit_price: '50', taxes: [f.vat.id] },
      { description: 'B', quantity: 2, unit_price: '25', taxes: [f.rc.id] }]);
    await page.goto(`/admin/invoices/${inv.id}`);
    await page.getByRole('button', { name: 'Create credit note' }).click();
    const dialog = page.getByRole('dialog', { name: `Credit note for invoice ${inv.number}` });
    await expect(dialog.getByLabel('The whole invoice')).toBeChecked();
    await dialog.getByLabel('Reason').fill(`Returned ${tag}`);
    await dialog.getByRole('button', { name: 'Create credit note' }).click();
    await expect(page.getByRole('heading', { level: 1, name: /^Draft credit note #\d+/ })).toBeVisible();
    await expect(page.getByTestId('total-total')).toHaveText(money(inv.total, 'EUR'));
    await expect(page.getByTestId('credit-invoice')).toHaveText(inv.number);
    await page.getByRole('button', { name: 'Issue' }).click();
    await page.getByRole('dialog', { name: 'Issue this credit note?' }).getByRole('button', { name: 'Issue' }).click();
    await expect(page.getByTestId('credit-status')).toHaveText('Issued');
    await expect(page.getByRole('heading', { level: 1, name: /^Credit note \S+/ })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Issue' })).toHaveCount(0);
    await page.getByTestId('credit-invoice').click();
    await expect(page.getByTestId('invoice-status')).toHaveText('Cancelled');
    await expect(page.getByTestId('total-credited')).toHaveText(money(inv.total, 'EUR'));
    await expect(page.getByRole('button', { name: 'Create credit note' })).toHaveCount(0);
    await expect(page.getByTestId('invoice-credit-notes')).toContainText('Issued');
    expect((await call('GET', `/api/v1/invoices/${inv.id}`)).body.status).toBe('cancelled');
  } finally {
    await f.done();
  }
});

test('a credit note of chosen lines: its draft edited in the line editor, then deleted', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const f = await fixtures(call, tag);
  try {
    const inv = await issuedInvoice(call, f, [
      { description: 'Kept', quantity: 1, unit_price: '80', taxes: [f.vat.id] },
      { description: 'Returned', quantity: 4, unit_price: '25', taxes: [f.vat.id] }]);
    await page.goto(`/admin/invoices/${inv.id}`);
    await page.getByRole('button', { name: 'Create credit note' }).click();
    const dialog = page.getByRole('dialog', { name: `Credit note for invoice ${inv.number}` });
    await dialog.getByLabel('Some lines').check();
    await dialog.getByRole('button', { name: 'Create credit note' }).click();
    await expect(dialog.getByText('Choose at least one line.')).toBeVisible();
    await dialog.getByLabel(/^2\. Returned/).check();
    await dialog.getByRole('button', { name: 'Create credit note' }).click();
    await expect(page.getByRole('heading', { level: 1, name: /^Draft credit note #\d+/ })).toBeVisible();
    await expect(page.getByTestId('total-total')).toHaveText(money('119.00', 'EUR'));
    // Two of the four returned: edited in the line editor, the server's figures after.
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await expect(field(page, 'Description', 1)).toHaveValue('Returned');
    await field(page, 'Quantity', 1).fill('2');
    await expect(page.getByTestId('preview-total')).toHaveText(money('59.50', 'EUR'));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByTestId('total-total')).toHaveText(money('59.50', 'EUR'));
    await page.getByRole('button', { name: 'Delete credit note' }).click();
    await page.getByRole('dialog', { name: 'Delete this credit note?' }).getByRole('button', { name: 'Delete' }).click();
    await expect(page.getByRole('heading', { level: 1, name: `Invoice ${inv.number}` })).toBeVisible();
    await expect(page.getByTestId('invoice-credit-notes')).toContainText('No credit notes for this invoice.');
    expect((await call('GET', `/api/v1/invoices/${inv.id}`)).body.amount_credited).toBe('0.00');
  } finally {
    await f.done();
  }
});

test('the line editor: rows moved and removed, the preview following; the error of a whole line under it', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.goto('/admin/invoices/new');
  await field(page, 'Description', 1).fill('First');
  await field(page, 'Unit price', 1).fill('10');
  await page.getByRole('button', { name: 'Add line' }).click();
  await field(page, 'Description', 2).fill('Second');
  await field(page, 'Quantity', 2).fill('3');
  await field(page, 'Unit price', 2).fill('2,5');
  await expect(page.getByTestId('preview-amount-2')).toHaveText('7.50');
  await page.getByRole('button', { name: 'Move line 2 up' }).click();
  await expect(field(page, 'Description', 1)).toHaveValue('Second');
  await expect(page.getByRole('button', { name: 'Move line 1 down' })).toBeFocused();
  await expect(page.getByTestId('preview-subtotal')).toHaveText(/^17\.50 /);
  await page.getByRole('button', { name: 'Remove line 1' }).click();
  await expect(field(page, 'Description', 1)).toHaveValue('First');
  await expect(field(page, 'Description', 1)).toBeFocused();
  await expect(page.getByTestId('preview-subtotal')).toHaveText(/^10\.00 /);
  await expect(page.locator('.doc-line')).toHaveCount(1);
  // quantity × price past the limit is the line's error (lines[0]), shown
  // under the line; the missing client under its select; nothing saved.
  await field(page, 'Quantity', 1).fill('1001');
  await field(page, 'Unit price', 1).fill('10000000000');
  await page.getByRole('button', { name: 'Create invoice' }).click();
  await expect(page.getByText('Please correct these 2 fields')).toBeVisible();
  await expect(line(page, 1).locator('.doc-line-error')).toContainText('exceeds');
  await expect(page.getByLabel(/^Client( \*)?$/)).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/admin\/invoices\/new$/);
});

test('taxes rounded per line, chosen on the billing page, are what the preview and the server use', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const f = await fixtures(call, tag);
  try {
    await navLink(page, 'Number series').click();
    const card = page.getByTestId('tax-rounding');
    await expect(card.getByLabel('Per document (default)')).toBeChecked();
    await card.getByLabel('Per line').check();
    await card.getByRole('button', { name: 'Save tax rounding' }).click();
    await expect(page.getByText('Tax rounding saved.')).toBeVisible();
    expect((await call('GET', '/api/v1/settings/billing')).body.values.tax_rounding).toBe('line');
    // Three lines of 0.13 at 19 %: per line 0.0247 → 0.02 each, 0.06 in
    // all (per document it would be 0.0741 → 0.07).
    await page.goto('/admin/invoices/new');
    await page.getByLabel('Find a client…').fill(tag);
    await expect(page.getByLabel(/^Client( \*)?$/).locator('option', { hasText: `Nordic Timber ${tag}` })).toHaveCount(1);
    await page.getByLabel(/^Client( \*)?$/).selectOption({ label: `Nordic Timber ${tag}` });
    for (const n of [1, 2, 3]) {
      if (n > 1) await page.getByRole('button', { name: 'Add line' }).click();
      await field(page, 'Description', n).fill(`L${n}`);
      await field(page, 'Unit price', n).fill('0.13');
      await page.getByRole('group', { name: `Taxes, line ${n}` }).getByLabel(`TVA ${tag} (19 %)`).check();
    }
    await expect(page.getByText('taxes rounded per line')).toBeVisible();
    await expect(page.getByTestId('preview-total')).toHaveText(money('0.45', 'EUR'));
    await page.getByRole('button', { name: 'Create invoice' }).click();
    await expect(page.getByTestId('total-tax')).toHaveText(money('0.06', 'EUR'));
    await expect(page.getByTestId('total-total')).toHaveText(money('0.45', 'EUR'));
  } finally {
    await call('PATCH', '/api/v1/settings/billing', { tax_rounding: 'document' });
    await f.done();
  }
});

test('in Romanian: the invoice page and the form speak it; in the dark theme the page still reads', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const f = await fixtures(call, tag);
  try {
    const inv = await issuedInvoice(call, f, [{ description: 'Servicii', quantity: 1, unit_price: '1234.5', taxes: [f.rc.id] }]);
    expect((await call('PATCH', '/api/v1/settings/localization', { language: 'ro' })).status).toBe(200);
    await page.goto(`/admin/invoices/${inv.id}`);
    await expect(page.getByRole('heading', { level: 1, name: `Factura ${inv.number}` })).toBeVisible();
    await expect(page.getByTestId('invoice-status')).toHaveText('Emisă');
    await expect(page.getByRole('button', { name: 'Creează factură de stornare' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Înregistrează plata' })).toBeVisible();
    await expect(page.locator('#app-nav').getByRole('link', { name: 'Facturi de stornare' })).toBeVisible();
    await noEnglish(page, ['Invoice', 'Issued', 'Lines', 'Description', 'Quantity', 'Unit price', 'Tax summary', 'Totals',
      'Balance due', 'Paid', 'Reverse charge', 'Record payment', 'Create credit note', 'Payments', 'Credit notes',
      'History', 'Due date', 'Issue date', 'Send by email', 'Download PDF']);
    await page.goto('/admin/invoices/new');
    await expect(page.getByRole('heading', { level: 1, name: 'Factură nouă' })).toBeVisible();
    await expect(page.getByLabel('Cantitate, linia 1', { exact: true })).toBeVisible();
    await noEnglish(page, ['New invoice', 'Lines', 'Add line', 'Quantity', 'Unit price', 'Discount', 'Taxes', 'Preview',
      'Notes and terms', 'Create invoice', 'Sales agent', 'Find a client']);

    // The dark theme: the html says so and the cards take its colours.
    expect((await call('PATCH', '/api/v1/settings/localization', { language: 'en' })).status).toBe(200);
    await page.evaluate(() => localStorage.setItem('atrium-theme', 'dark'));
    await page.goto(`/admin/invoices/${inv.id}`);
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await expect(page.getByTestId('invoice-status')).toHaveText('Issued');
    const colours = await page.evaluate(() => {
      const card = getComputedStyle(document.querySelector('.doc-figures .card'));
      const badge = getComputedStyle(document.querySelector('[data-testid="invoice-status"]'));
      return [card.backgroundColor, badge.backgroundColor, badge.color];
    });
    expect(colours[0]).toBe('rgb(23, 27, 34)'); // --surface of the dark theme
    expect(colours[1]).toBe('rgb(29, 42, 74)'); // --b-blue
    expect(colours[2]).toBe('rgb(169, 192, 255)'); // --b-blue-t
  } finally {
    await page.evaluate(() => localStorage.setItem('atrium-theme', 'light'));
    await call('PATCH', '/api/v1/settings/localization', { language: 'en' });
    await f.done();
  }
});

test('a member with Invoices: view own sees their invoices but no Issue, Edit, Delete or payment actions', async ({ page, browser }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const role = await call('POST', '/api/v1/roles', { name: `Sales Agent ${tag}`, permissions: { invoices: ['view_own'], clients: ['view'] } });
  expect(role.status, JSON.stringify(role.body)).toBe(201);
  const m = await addMember(page, browser, { role_id: role.body.id, name: `Agent ${tag}` });
  const f = await fixtures(call, tag);
  try {
    const draft = await call('POST', '/api/v1/invoices', { client_id: f.client.id, owner_id: m.id,
      lines: [{ description: 'Ofertă', quantity: 1, unit_price: '10' }] });
    expect(draft.status).toBe(201);
    const issued = await issuedInvoice(call, f, [{ description: 'X', quantity: 1, unit_price: '5' }]);
    const own = await call('PATCH', `/api/v1/invoices/${issued.id}`, { owner_id: m.id }, { 'If-Match': `"${issued.version}"` });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    const ctx = await browser.newContext({ baseURL: BASE });
    const agent = await ctx.newPage();
    try {
      await signIn(agent, m.email, m.password);
      await expect(agent).toHaveURL(/\/admin\/$/);
      await navLink(agent, 'Invoices').click();
      await expect(agent.locator(`tr[data-record="${draft.body.id}"]`)).toBeVisible();
      await expect(agent.getByRole('link', { name: 'New invoice' })).toHaveCount(0);
      await agent.goto(`/admin/invoices/${draft.body.id}`);
      await expect(agent.getByRole('heading', { level: 1, name: `Draft invoice #${draft.body.id}` })).toBeVisible();
      await expect(agent.getByTestId('total-total')).toBeVisible();
      await expect(agent.getByTestId('invoice-actions').getByRole('button')).toHaveCount(0);
      await expect(agent.getByRole('link', { name: 'Edit', exact: true })).toHaveCount(0);
      await agent.goto(`/admin/invoices/${issued.id}`);
      await expect(agent.getByTestId('invoice-status')).toHaveText('Issued');
      await expect(agent.getByTestId('invoice-actions').getByRole('button')).toHaveCount(0);
      await expect(agent.getByTestId('invoice-payments')).toHaveCount(0);
    } finally {
      await ctx.close();
    }
  } finally {
    await f.done();
  }
});

test('a webhook can follow invoices, payments and credit notes', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.goto('/admin/webhooks/new');
  const entities = page.getByRole('group', { name: 'Entities' });
  for (const name of ['Invoices', 'Payments', 'Credit notes']) await expect(entities.getByLabel(name, { exact: true })).toBeVisible();
});
