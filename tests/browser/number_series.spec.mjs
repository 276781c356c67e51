// Number series (/admin/billing/config) in the browser: reached from the
// navigation; a form per kind with the saved preview; a preset and the
// inputs move the live preview ("FCT 2026 000123"), saving answers the
// server's preview; a bad format and a next number below what was issued
// show their errors under their fields and save nothing; a contract signed
// from its form gets its number in the list and has no input for it; the
// screen in Romanian. The series and the organisation's language are put
// back at the end (the other specs share the server).
import { test, expect } from '@playwright/test';
import { guardPages, navLink, pageApi, signIn, stamp } from './common.mjs';

guardPages();

const SERIES = '/api/v1/billing/number_series';

test('number series: presets, live preview, save, field errors; a signed contract is numbered; in Romanian', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const before = (await api.call('GET', `${SERIES}/invoice`)).body;
  const year = Number(/\d{4}/.exec(before.preview)[0]);
  try {
    await navLink(page, 'Number series').click();
    await expect(page).toHaveURL(/\/admin\/billing\/config$/);
    await expect(page.getByRole('heading', { name: 'Number series', level: 1 })).toBeVisible();
    for (const name of ['Invoices', 'Proposals', 'Credit notes', 'Contracts']) {
      await expect(page.getByRole('heading', { name, level: 2 })).toBeVisible();
    }
    const inv = page.locator('[data-kind="invoice"]');
    await expect(inv.getByTestId('preview-invoice')).toHaveText(before.preview);

    // A preset, a prefix and a next number: the preview follows as typed.
    await inv.getByLabel('Number format').selectOption('series_year');
    await expect(inv.getByRole('textbox', { name: 'Format', exact: true })).toHaveValue('{PREFIX} {YYYY} {NUMBER}');
    await inv.getByLabel('Prefix (series code)').fill('FCT');
    await inv.getByLabel('Next number').fill(String(Math.max(before.next_number, 123)));
    const want = `FCT ${year} ${String(Math.max(before.next_number, 123)).padStart(6, '0')}`;
    await expect(inv.getByTestId('preview-invoice')).toHaveText(want);
    await inv.getByRole('button', { name: 'Save series' }).click();
    await expect(inv.getByText('Invoices: series saved').first()).toBeVisible();
    await expect(inv.getByText(`The next number is ${want}.`)).toBeVisible();
    const saved = (await api.call('GET', `${SERIES}/invoice`)).body;
    expect(saved.preview).toBe(want);
    expect(saved.prefix).toBe('FCT');

    // A bad format: the live preview says so, the server names the field.
    const pro = page.locator('[data-kind="proposal"]');
    await pro.getByRole('textbox', { name: 'Format', exact: true }).fill('{PREFIX}{DD}{NUMBER}');
    await expect(pro.getByTestId('preview-proposal')).toHaveText('The format is not valid yet.');
    await expect(pro.getByLabel('Number format')).toHaveValue('custom');
    await pro.getByRole('button', { name: 'Save series' }).click();
    await expect(pro.locator('#ns-proposal-format-error')).toContainText('unknown field {DD}');
    await expect(pro.getByRole('textbox', { name: 'Format', exact: true })).toHaveAttribute('aria-invalid', 'true');
    // Without the year while resetting yearly.
    await pro.getByRole('textbox', { name: 'Format', exact: true }).fill('{PREFIX}{NUMBER}');
    await pro.getByRole('button', { name: 'Save series' }).click();
    await expect(pro.locator('#ns-proposal-format-error')).toContainText('must show the year');
    expect((await api.call('GET', `${SERIES}/proposal`)).body.format).toBe('{PREFIX}{YYYY}/{NUMBER}');

    // A contract signed from its form gets its number; nobody types it.
    const s = stamp();
    const client = await api.call('POST', '/api/v1/clients', { company: `Series client ${s}` });
    expect(client.status).toBe(201);
    const ct = await api.call('POST', '/api/v1/contracts', { subject: `Series contract ${s}`, client_id: client.body.id });
    expect(ct.status).toBe(201);
    await page.goto(`/admin/contracts/${ct.body.id}`);
    await expect(page.getByLabel('Contract number')).toHaveCount(0);
    await page.getByLabel('Signed').check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText(/saved/).first()).toBeVisible();
    const signed = (await api.call('GET', `/api/v1/contracts/${ct.body.id}`)).body;
    expect(signed.number).toMatch(new RegExp(`^CTR-${year}/\\d{6}$`));
    await page.goto('/admin/contracts');
    await expect(page.getByRole('row').filter({ hasText: `Series contract ${s}` })).toContainText(signed.number);

    // The next number at or below what was issued: refused under its field.
    const con = (await api.call('GET', `${SERIES}/contract`)).body;
    await page.goto('/admin/billing/config');
    const cf = page.locator('[data-kind="contract"]');
    await cf.getByLabel('Next number').fill(String(con.last_number));
    await cf.getByRole('button', { name: 'Save series' }).click();
    await expect(cf.locator('#ns-contract-next-error')).toHaveText(`Must be at least ${con.last_number + 1}: lower numbers were already issued.`);

    // In Romanian.
    expect((await api.call('PATCH', '/api/v1/settings/localization', { language: 'ro' })).status).toBe(200);
    await page.goto('/admin/billing/config');
    await expect(page.getByRole('heading', { name: 'Serii de numerotare', level: 1 })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Note de credit', level: 2 })).toBeVisible();
    await expect(page.locator('[data-kind="invoice"]').getByLabel('Următorul număr', { exact: true })).toBeVisible();
    await expect(page.locator('[data-kind="invoice"]').getByRole('button', { name: 'Salvează seria' })).toBeVisible();
  } finally {
    await api.call('PATCH', '/api/v1/settings/localization', { language: 'en' });
    await api.call('PATCH', `${SERIES}/invoice`, { prefix: before.prefix, format: before.format });
  }
});
