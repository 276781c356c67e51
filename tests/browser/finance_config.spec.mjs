// The financial configuration in the web admin (issue 13, spec Step 3):
// taxes (/admin/taxes), currencies with their exchange-rate history and a
// rate form (/admin/currencies), payment modes (/admin/paymentmodes): each
// screen's create with the server's field errors, edit, deactivation and
// delete. What a test makes it deletes again: the specs share the server.
import { test, expect } from '@playwright/test';
import { guardPages, navLink, pageApi, signIn, stamp, watch } from './common.mjs';

guardPages();

test('taxes: create (errors named), edit, deactivate, delete', async ({ page }) => {
  watch(page);
  const s = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  await navLink(page, 'Taxes').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Taxes' })).toBeVisible();
  await page.getByRole('link', { name: 'New tax' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New tax' })).toBeVisible();
  // Reverse charge at 19 % and no name: both named under their inputs.
  await page.getByLabel('Rate (%)').fill('19');
  await page.getByLabel('Reverse charge').check();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText('Please correct these 2 fields')).toBeVisible();
  await expect(page.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Rate (%)')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Name').fill(`TVA ${s}`);
  await page.getByLabel('Rate (%)').fill('21');
  await page.getByLabel('Reverse charge').uncheck();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `TVA ${s}` })).toBeVisible();
  await expect(page.getByLabel('Rate (%)')).toHaveValue('21.000');
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  try {
    // Deactivate: the list shows it inactive, and the filter finds it.
    await page.getByLabel('Active', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText(`Tax “TVA ${s}” saved.`).last()).toBeVisible();
    await page.getByRole('link', { name: '← All taxes' }).click();
    await page.getByLabel('State').selectOption('false');
    const row = page.locator(`tr[data-record="${id}"]`);
    await expect(row).toContainText('21 %');
    await expect(row).toContainText('Inactive');
    // Delete from its page.
    await row.getByRole('link').first().click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Taxes' })).toBeVisible();
    expect((await call('GET', `/api/v1/taxes/${id}`)).status).toBe(404);
  } finally {
    await call('DELETE', `/api/v1/taxes/${id}`);
  }
});

test('payment modes: one default, the default stays active, edit and delete', async ({ page }) => {
  watch(page);
  const s = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const first = (await call('POST', '/api/v1/payment_modes', { name: `Cash ${s}`, is_default: true })).body;
  let id = null;
  try {
    await navLink(page, 'Payment modes').click();
    await page.getByRole('link', { name: 'New payment mode' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    await expect(page.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('Name').fill(`Transfer ${s}`);
    await page.getByLabel('Description').fill('IBAN RO49 AAAA 1B31 0075 9384 0000\nBanca Transilvania');
    await page.getByLabel('Kind').selectOption('offline');
    await page.getByLabel('Selected by default').check();
    await page.getByRole('button', { name: 'Create' }).click();
    await expect(page.getByRole('heading', { level: 1, name: `Transfer ${s}` })).toBeVisible();
    id = Number(new URL(page.url()).pathname.split('/').pop());
    expect((await call('GET', `/api/v1/payment_modes/${first.id}`)).body.is_default).toBe(false);
    // The default cannot be deactivated.
    await page.getByLabel('Active', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByLabel('Active', { exact: true })).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('Active', { exact: true }).check();
    await page.getByLabel('Selected by default').uncheck();
    await page.getByLabel('Kind').selectOption('online');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText(`Payment mode “Transfer ${s}” saved.`).last()).toBeVisible();
    await page.getByRole('link', { name: '← All payment modes' }).click();
    await page.getByLabel('Kind').selectOption('online');
    await expect(page.locator(`tr[data-record="${id}"]`)).toContainText('Online');
    await page.locator(`tr[data-record="${id}"]`).getByRole('link').first().click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Payment modes' })).toBeVisible();
  } finally {
    await call('DELETE', `/api/v1/payment_modes/${first.id}`);
    if (id) await call('DELETE', `/api/v1/payment_modes/${id}`);
  }
});

test('currencies: add one (errors named), its rates history with a rate form, deactivate, the base', async ({ page }) => {
  watch(page);
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const made = [];
  try {
    await navLink(page, 'Currencies').click();
    await expect(page.getByRole('heading', { level: 1, name: 'Currencies' })).toBeVisible();
    await page.getByRole('link', { name: 'New currency' }).click();
    await page.getByLabel('ISO code').fill('XYZ');
    await page.getByLabel('Decimal places').fill('7');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect(page.getByText('Please correct these 2 fields')).toBeVisible();
    await expect(page.getByLabel('ISO code')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Decimal places')).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('ISO code').fill('CHF');
    await page.getByLabel('Decimal places').fill('');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect(page.getByRole('heading', { level: 1, name: /^CHF — / })).toBeVisible();
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    made.push(id);
    await expect(page.getByLabel('Decimal places')).toHaveValue('2');
    // A rate: errors first, then the history lists it.
    const rates = page.getByTestId('rate-form');
    await rates.getByRole('button', { name: 'Add rate' }).click();
    await expect(rates.getByLabel('Rate to the base currency')).toHaveAttribute('aria-invalid', 'true');
    await expect(rates.getByLabel('Valid from')).toHaveAttribute('aria-invalid', 'true');
    await rates.getByLabel('Valid from').fill('2026-01-05');
    await rates.getByLabel('Rate to the base currency').fill('1.0712');
    await rates.getByRole('button', { name: 'Add rate' }).click();
    await expect(page.getByText('Rate added.')).toBeVisible();
    const history = page.getByRole('table', { name: /Exchange rates/ });
    await expect(history).toContainText('2026-01-05');
    await expect(history).toContainText('1 CHF = 1.071200 EUR');
    // The same date again is named.
    await rates.getByLabel('Valid from').fill('2026-01-05');
    await rates.getByLabel('Rate to the base currency').fill('1.08');
    await rates.getByRole('button', { name: 'Add rate' }).click();
    await expect(rates.getByLabel('Valid from')).toHaveAttribute('aria-invalid', 'true');
    // Deactivate it.
    await page.getByTestId('cur-form').getByLabel('Active', { exact: true }).uncheck();
    await page.getByTestId('cur-form').getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText(/Currency “CHF — .*” saved\./).last()).toBeVisible();
    await expect(page.getByTestId('make-base')).toHaveCount(0);
    // The base (the Localization default currency, EUR here): its page says so and has no rate form.
    const base = await call('GET', '/api/v1/currencies?base=true');
    let eur = base.body.data[0];
    if (!eur) { eur = (await call('POST', '/api/v1/currencies', { code: 'EUR' })).body; made.push(eur.id); }
    await page.goto(`/admin/currencies/${eur.id}`);
    await expect(page.getByTestId('base-badge')).toBeVisible();
    await expect(page.getByText('EUR is the base currency')).toBeVisible();
    await expect(page.getByTestId('rate-form')).toHaveCount(0);
  } finally {
    for (const id of made) {
      for (const r of (await call('GET', `/api/v1/currencies/${id}/rates`)).body.data || []) await call('DELETE', `/api/v1/currency_rates/${r.id}`);
      await call('DELETE', `/api/v1/currencies/${id}`);
    }
  }
});

/** Fails on any of the English phrases left in the page's main region. */
async function noEnglish(page, words) {
  const text = await page.locator('main').innerText();
  const left = words.filter((w) => new RegExp(`(^|[^\\p{L}])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u').test(text));
  expect(left, `English left on ${page.url()}`).toEqual([]);
}

test('in Romanian, the three screens and the rates form show no English', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  let cur = null;
  try {
    expect((await call('PATCH', '/api/v1/settings/localization', { language: 'ro' })).status).toBe(200);
    cur = (await call('POST', '/api/v1/currencies', { code: 'SEK' })).body;
    await page.goto('/admin/taxes/new');
    await expect(page.getByRole('heading', { level: 1, name: 'Taxă nouă' })).toBeVisible();
    await page.getByRole('button', { name: 'Creează' }).click();
    await expect(page.getByText('Vă rugăm să corectați')).toBeVisible();
    await noEnglish(page, ['New tax', 'Rate', 'Reverse charge', 'Legal note', 'Active', 'Create', 'All taxes', 'This field is required']);
    await page.goto('/admin/taxes');
    await expect(page.getByRole('link', { name: 'Taxă nouă' })).toBeVisible();
    await noEnglish(page, ['Taxes', 'New tax', 'State', 'Inactive', 'No taxes yet', 'Rows per page']);
    await page.goto('/admin/paymentmodes/new');
    await expect(page.getByRole('heading', { level: 1, name: 'Mod de plată nou' })).toBeVisible();
    await noEnglish(page, ['New payment mode', 'Kind', 'Description', 'Shown on documents', 'Selected by default', 'Create']);
    await page.goto('/admin/currencies');
    await expect(page.getByRole('heading', { level: 1, name: 'Monede' })).toBeVisible();
    await noEnglish(page, ['Currencies', 'New currency', 'Base currency', 'Decimal places', 'Symbol']);
    await page.goto(`/admin/currencies/${cur.id}`);
    await expect(page.getByRole('button', { name: 'Adaugă cursul' })).toBeVisible();
    await noEnglish(page, ['Exchange rates', 'Add rate', 'Valid from', 'Rate to the base currency', 'Make base currency',
      'No rates', 'Symbol position', 'Save']);
  } finally {
    if (cur) await call('DELETE', `/api/v1/currencies/${cur.id}`);
    expect((await call('PATCH', '/api/v1/settings/localization', { language: 'en' })).status).toBe(200);
  }
});
