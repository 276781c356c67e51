// Custom fields in the web admin (issue 11): the definitions' screens
// (list, new and edit form with the type's advice, a slug suggested from
// the label), the records' form laid out by a field's width, the leads
// list filtered by it and showing it as a chosen column, the safe changes
// (required with a fill value asked in a dialog, a type change that does
// not convert listing the values, deletion with values confirmed), and
// fields reserved to administrators invisible to a member.
// Every field made here is deleted again: the other specs share the server.
import { test, expect } from '@playwright/test';
import { BASE, addMember, guardPages, mainNav, navLink, pageApi, signIn, stamp, watch } from './common.mjs';

guardPages();

/** Defines a field through the API; returns the definition. */
async function define(call, body) {
  const r = await call('POST', '/api/v1/custom_fields', { entity: 'lead', type: 'text', ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

const remove = (call, id) => call('DELETE', `/api/v1/custom_fields/${id}?confirm=true`);

async function addLead(call, name, custom = {}) {
  const r = await call('POST', '/api/v1/leads', { name, custom_fields: custom });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

test('an admin adds a select field, fills it on a lead, filters and shows it, makes it required, deletes it', async ({ page }) => {
  const s = stamp();
  const label = `Industry ${s}`;
  const slug = `industry_${s}`;
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const bare = await addLead(call, `No industry ${s}`); // a lead without a value
  let id = null;
  try {
    await navLink(page, 'Custom fields').click();
    await expect(page.getByRole('heading', { level: 1, name: 'Custom fields' })).toBeVisible();
    await page.getByRole('link', { name: 'New field' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'New custom field' })).toBeVisible();

    // Every invalid field is named under its input.
    await page.getByRole('button', { name: 'Create field' }).click();
    await expect(page.getByText('Please correct these')).toBeVisible();
    await expect(page.getByLabel('Label')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Slug')).toHaveAttribute('aria-invalid', 'true');

    await page.getByLabel('Entity').selectOption('lead');
    await page.getByLabel('Label').fill(label);
    await expect(page.getByLabel('Slug')).toHaveValue(slug); // suggested from the label
    await page.getByLabel('Type').selectOption('select');
    await expect(page.getByTestId('type-hint')).toContainText(/category/i);
    await expect(page.getByLabel('Decimals')).toBeHidden();
    await page.getByLabel('Options').fill('Wood\nMetal\nGlass');
    await page.getByLabel('Width in the form').selectOption('6');
    const created = page.waitForResponse((r) => r.request().method() === 'POST'
      && new URL(r.url()).pathname === '/api/v1/custom_fields');
    await page.getByRole('button', { name: 'Create field' }).click();
    const res = await created;
    expect(res.status()).toBe(201);
    id = (await res.json()).id;
    await expect(page).toHaveURL(new RegExp(`/admin/custom_fields/${id}$`));
    await expect(page.getByRole('heading', { level: 1, name: label })).toBeVisible();
    await expect(page.getByLabel('Slug')).toHaveJSProperty('readOnly', true);
    await expect(page.getByRole('region', { name: 'History' }).getByRole('cell', { name: 'create', exact: true })).toBeVisible();

    // The list of definitions shows it.
    await page.getByRole('link', { name: '← All custom fields' }).click();
    await page.getByLabel('Search custom fields').fill(slug);
    const row = page.locator(`tr[data-field="${slug}"]`);
    await expect(row).toContainText('Select');
    await expect(row).toContainText('Half (6)');

    // The lead form offers it, half a row wide; a lead gets a value.
    await page.goto('/admin/leads/new');
    const input = page.getByLabel(label);
    await expect(input).toBeVisible();
    await expect(page.locator('.field', { has: input })).toHaveClass(/\bspan-6\b/);
    const leadName = `Metal works ${s}`;
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill(leadName);
    await input.selectOption('Metal');
    await page.getByRole('button', { name: 'Create lead' }).click();
    await expect(page).toHaveURL(/\/admin\/leads(\?|$)/);

    // The leads list filters by it, and shows it as a column once chosen.
    const filtered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/leads'
      && new URL(r.url()).searchParams.get(`custom_fields.${slug}`) === 'Metal');
    await page.getByRole('combobox', { name: label, exact: true }).selectOption('Metal');
    expect((await filtered).status()).toBe(200);
    await expect(page.getByRole('row', { name: new RegExp(leadName) })).toBeVisible();
    await expect(page.getByRole('row', { name: new RegExp(`No industry ${s}`) })).toHaveCount(0);
    await expect(page).toHaveURL(new RegExp(`custom_fields\\.${slug}=Metal`));
    await expect(page.getByRole('columnheader', { name: label })).toHaveCount(0);
    await page.getByText('Columns', { exact: true }).click();
    await page.getByRole('checkbox', { name: label }).check();
    await expect(page.getByRole('columnheader', { name: label })).toBeVisible();
    await expect(page.getByRole('row', { name: new RegExp(leadName) })).toContainText('Metal');
    await page.reload(); // remembered in this browser, the filter kept in the address
    await expect(page.getByRole('columnheader', { name: label })).toBeVisible();
    await expect(page.getByRole('row', { name: new RegExp(leadName) })).toBeVisible();

    // Required: the records without a value are filled with what the dialog asks.
    const pv = await call('POST', `/api/v1/custom_fields/${id}/preview`, { required: true });
    expect(pv.body.missing).toBeGreaterThan(0);
    await page.goto(`/admin/custom_fields/${id}`);
    await page.getByRole('checkbox', { name: 'Required', exact: true }).check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    const dialog = page.getByRole('dialog', { name: `Fill ${pv.body.missing} leads without a value?` });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel(`Value for “${label}”`).selectOption('Wood');
    await dialog.getByRole('button', { name: `Fill ${pv.body.missing} and save` }).click();
    await expect(page.locator('.toast').filter({ hasText: `Saved: ${pv.body.missing} record` })).toBeVisible();
    await expect(page.getByRole('checkbox', { name: 'Required', exact: true })).toBeChecked();
    expect((await call('GET', `/api/v1/leads/${bare.id}`)).body.custom_fields[slug]).toBe('Wood');

    // Deleting a field that holds values says how many lose theirs.
    const held = (await call('GET', `/api/v1/custom_fields/${id}`)).body.records_with_value;
    expect(held).toBeGreaterThan(1);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: `Delete the field “${label}”?` });
    await expect(confirm).toContainText(`${held} leads lose their value`);
    await expect(confirm).toContainText('activity log keeps');
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await confirm.getByRole('button', { name: 'Delete field' }).click();
    expect(new URL((await deleted).url()).searchParams.get('confirm')).toBe('true');
    await expect(page).toHaveURL(/\/admin\/custom_fields(\?|$)/);
    expect((await call('GET', `/api/v1/custom_fields/${id}`)).status).toBe(404);
    id = null;
  } finally {
    if (id) await remove(call, id);
  }
});

test('a type change that does not convert lists the values and saves nothing', async ({ page }) => {
  const s = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const d = await define(call, { label: `Size ${s}`, slug: `size_${s}` });
  try {
    await addLead(call, `Sized ${s}`, { [d.slug]: '12.5' });
    const bad = await addLead(call, `Large ${s}`, { [d.slug]: 'large' });
    await page.goto(`/admin/custom_fields/${d.id}`);
    await page.getByLabel('Type').selectOption('number');
    await expect(page.getByTestId('type-hint')).toContainText(/quantit/i);
    await expect(page.getByLabel('Decimals')).toBeVisible();
    const preview = page.waitForResponse((r) => r.url().endsWith(`/custom_fields/${d.id}/preview`));
    await page.getByRole('button', { name: 'Save changes' }).click();
    expect((await preview).status()).toBe(200);
    const failures = page.getByTestId('convert-failures');
    await expect(page.getByText('1 stored value would not convert: nothing was saved')).toBeVisible();
    const item = failures.locator(`li[data-record="${bad.id}"]`);
    await expect(item).toContainText('large');
    await expect(item.getByRole('link', { name: `Lead #${bad.id}` })).toHaveAttribute('href', `/admin/leads/${bad.id}`);
    expect((await call('GET', `/api/v1/custom_fields/${d.id}`)).body.type).toBe('text');

    // Someone else saves first: the change is not saved, the notice says so.
    // (The page holds the version it read before the change is made.)
    const read = page.waitForResponse((r) => r.request().method() === 'GET'
      && new URL(r.url()).pathname === `/api/v1/custom_fields/${d.id}`);
    await page.reload();
    await read;
    await expect(page.getByLabel('Label')).toHaveValue(d.label);
    const cur = await call('GET', `/api/v1/custom_fields/${d.id}`);
    expect((await call('PATCH', `/api/v1/custom_fields/${d.id}`, { help_text: 'Changed elsewhere' },
      { 'If-Match': cur.headers.etag })).status).toBe(200);
    await page.getByLabel('Label').fill(`Size (cm) ${s}`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('This field was changed by someone else')).toBeVisible();
    await page.getByRole('button', { name: 'Reload the latest version' }).click();
    await expect(page.getByLabel('Help text')).toHaveValue('Changed elsewhere');

    // Deactivating hides it and keeps it; activating brings it back.
    await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await expect(page.getByText('This field is inactive')).toBeVisible();
    expect((await call('GET', `/api/v1/custom_fields/${d.id}`)).body.active).toBe(false);
    await page.getByRole('button', { name: 'Activate', exact: true }).click();
    await expect(page.getByText('This field is inactive')).toHaveCount(0);
    expect((await call('GET', `/api/v1/custom_fields/${d.id}`)).body.active).toBe(true);
  } finally {
    await remove(call, d.id);
  }
});

test('a member does not see a field reserved to administrators', async ({ page, browser }) => {
  const s = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const open = await define(call, { label: `Region ${s}`, slug: `region_${s}`, type: 'select', options: ['North', 'South'] });
  const secret = await define(call, { label: `Margin ${s}`, slug: `margin_${s}`, type: 'select', options: ['Low', 'High'],
    only_admin: true });
  const role = await call('POST', '/api/v1/roles', { name: `CF viewer ${s}`,
    permissions: { leads: ['view', 'create', 'edit'], custom_fields: ['view'] } });
  expect(role.status).toBe(201);
  const m = await addMember(page, browser, { role_id: role.body.id });
  const ctx = await browser.newContext({ baseURL: BASE });
  try {
    const other = watch(await ctx.newPage());
    await signIn(other, m.email, m.password);
    await expect(mainNav(other)).toBeVisible();
    // The form.
    await other.goto('/admin/leads/new');
    await expect(other.getByLabel(`Region ${s}`)).toBeVisible();
    await expect(other.getByLabel(`Margin ${s}`)).toHaveCount(0);
    // The list's filters and columns.
    await other.goto('/admin/leads');
    await expect(other.getByRole('combobox', { name: `Region ${s}`, exact: true })).toBeVisible();
    await expect(other.getByRole('combobox', { name: `Margin ${s}`, exact: true })).toHaveCount(0);
    await other.getByText('Columns', { exact: true }).click();
    await expect(other.getByRole('checkbox', { name: `Region ${s}` })).toBeVisible();
    await expect(other.getByRole('checkbox', { name: `Margin ${s}` })).toHaveCount(0);
    // The custom fields list (no New field: the role only views).
    await navLink(other, 'Custom fields').click();
    await other.getByLabel('Search custom fields').fill(s);
    await expect(other.locator(`tr[data-field="${open.slug}"]`)).toBeVisible();
    await expect(other.locator(`tr[data-field="${secret.slug}"]`)).toHaveCount(0);
    await expect(other.getByRole('link', { name: 'New field' })).toHaveCount(0);
    // The administrator sees both.
    await page.goto(`/admin/custom_fields?q=${s}`);
    await expect(page.locator(`tr[data-field="${secret.slug}"]`)).toContainText('Only admins');
  } finally {
    await ctx.close();
    await remove(call, open.id);
    await remove(call, secret.id);
  }
});
