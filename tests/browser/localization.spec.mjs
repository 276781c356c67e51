// Localization in the browser: the organisation switched to Romanian,
// DD.MM.YYYY, Europe/Bucharest and a decimal comma shows the sidebar, a
// list and a form in Romanian with dates in that format; a member's own
// choice of English wins for them (and only the language: the dates stay
// the organisation's); a money field takes "1.234,5" and the API stores
// the canonical 1234.50. A second walk, in Romanian, goes through the
// staff list, a staff form and record, roles, settings, a lead's form and
// the list pager, and finds none of the English words those screens show
// in English. The organisation's settings are put back at the end,
// whatever happens (the other specs share the server).
import { test, expect } from '@playwright/test';
import { guardPages, mainNav, pageApi, signIn, stamp } from './common.mjs';

guardPages();

const ORG = {
  language: 'en', timezone: 'UTC', date_format: 'DD/MM/YYYY', time_format: '24h',
  thousands_separator: 'comma', decimal_separator: 'period', default_currency: 'EUR',
};
const MINE = '/api/v1/auth/me/localization';

test('Romanian, DD.MM.YYYY and Europe/Bucharest; a member\'s English wins for them; a decimal comma in money', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  try {
    const set = await api.call('PATCH', '/api/v1/settings/localization', {
      language: 'ro', timezone: 'Europe/Bucharest', date_format: 'DD.MM.YYYY',
      thousands_separator: 'period', decimal_separator: 'comma', default_currency: 'RON',
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const s = stamp();
    const lead = await api.call('POST', '/api/v1/leads', { name: `Lead RO ${s}`, value: '1500.00', currency: 'RON' });
    expect(lead.status, JSON.stringify(lead.body)).toBe(201);

    await page.goto('/admin/');
    const nav = page.getByRole('navigation', { name: 'Principal' });
    await expect(nav.getByRole('link', { name: 'Clienți potențiali', exact: true })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Setări', exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Deconectare' })).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ro');

    // Settings > Localization shows the organisation's values.
    await page.goto('/admin/settings?tab=localization');
    await expect(page.getByRole('tab', { name: 'Localizare' })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByLabel('Fus orar', { exact: true })).toHaveValue('Europe/Bucharest');
    await expect(page.getByLabel('Formatul datei', { exact: true })).toHaveValue('DD.MM.YYYY');

    // The list: Romanian column headings, the value with a decimal comma,
    // the creation date as DD.MM.YYYY in Bucharest.
    await page.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Clienți potențiali', exact: true }).click();
    const row = page.getByRole('row').filter({ hasText: `Lead RO ${s}` });
    await expect(row).toBeVisible();
    await expect(page.getByRole('columnheader', { name: /Nume/ }).first()).toBeVisible();
    await expect(row).toContainText('1.500,00 RON');
    const created = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Bucharest', day: '2-digit', month: '2-digit', year: 'numeric' })
      .format(new Date(lead.body.created_at)).replace(/\//g, '.');
    await expect(row.locator('time').first()).toHaveText(created);

    // The form: Romanian labels; "1.234,5" in the value is 1234.50.
    await page.goto(`/admin/leads/${lead.body.id}`);
    const value = page.getByLabel('Valoare');
    await expect(value).toHaveValue('1500,00');
    await value.fill('1.234,5');
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH'
      && new URL(r.url()).pathname === `/api/v1/leads/${lead.body.id}`);
    await page.locator('form button[type="submit"]').first().click();
    expect((await saved).status()).toBe(200);
    const back = await api.call('GET', `/api/v1/leads/${lead.body.id}`);
    expect(back.body.value).toBe('1234.50');

    // The member chooses English for themselves on their own page.
    await page.goto('/admin/profile/security');
    const section = page.getByRole('region', { name: 'Limbă și formate' });
    await expect(section).toBeVisible();
    await section.getByLabel('Limbă', { exact: true }).selectOption('en');
    await section.getByRole('button', { name: 'Salvează limba și formatele' }).click();
    await expect(mainNav(page).getByRole('link', { name: 'Leads', exact: true })).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    const me = await api.call('GET', '/api/v1/auth/me');
    expect(me.body.localization.overridden).toEqual(['language']);
    // Only the language is theirs: dates stay the organisation's.
    await mainNav(page).getByRole('link', { name: 'Leads', exact: true }).click();
    await expect(page.getByRole('row').filter({ hasText: `Lead RO ${s}` }).locator('time').first()).toHaveText(created);
    await expect(page.getByRole('row').filter({ hasText: `Lead RO ${s}` })).toContainText('1.234,50 RON');
  } finally {
    const again = await pageApi(page);
    expect((await again.call('PATCH', MINE, { language: null })).status).toBe(200);
    expect((await again.call('PATCH', '/api/v1/settings/localization', ORG)).status).toBe(200);
  }
});

/* The main area's text holds none of these English words (whole words, any
 * of them a defect: a string the catalogue does not carry yet). */
async function noEnglish(page, words) {
  const text = await page.locator('main').innerText();
  const left = words.filter((w) => new RegExp(`(^|[^\\p{L}])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u').test(text));
  expect(left, `English left on ${page.url()}`).toEqual([]);
}

test('in Romanian, the staff, roles, settings, a lead form and the pager show no English', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  try {
    const set = await api.call('PATCH', '/api/v1/settings/localization', { language: 'ro' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const me = await api.call('GET', '/api/v1/auth/me');
    const lead = await api.call('POST', '/api/v1/leads', { name: `Lead RO pager ${stamp()}` });
    expect(lead.status, JSON.stringify(lead.body)).toBe(201);

    // The staff list: its filters, columns and pager.
    await page.goto('/admin/staff');
    await expect(page.getByRole('heading', { name: 'Angajați', level: 1 })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Adaugă angajat' })).toBeVisible();
    await expect(page.getByLabel('Rânduri pe pagină')).toBeVisible();
    await expect(page.getByRole('columnheader', { name: /Ultima autentificare/ })).toBeVisible();
    await noEnglish(page, ['Add staff', 'Search staff', 'Rows per page', 'Previous', 'Next', 'First page', 'Last sign-in',
      'Everyone', 'Any role', 'No sign-in for', 'Reset', 'Departments', 'shown']);

    // Adding a member.
    await page.goto('/admin/staff/new');
    await expect(page.getByRole('button', { name: 'Adaugă angajatul' })).toBeVisible();
    await noEnglish(page, ['Add staff member', 'Full name', 'Temporary password', 'How they sign in', 'Cancel',
      'Send welcome email', 'Role', 'full access']);

    // A member's record: the tabs and the details form.
    await page.goto(`/admin/staff/${me.body.staff.id}`);
    await expect(page.getByRole('tab', { name: 'Detalii' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Salvează modificările' })).toBeVisible();
    await noEnglish(page, ['Details', 'Permissions', 'Access', 'Security', 'History', 'Save changes', 'last sign-in',
      'added', 'Full name']);

    // Roles: the list, a new role's matrix.
    await page.goto('/admin/roles');
    await expect(page.getByRole('link', { name: 'Rol nou' })).toBeVisible();
    await noEnglish(page, ['New role', 'Description', 'Modules', 'Updated', 'Grants nothing', 'A role is an access matrix']);
    await page.goto('/admin/roles/new');
    await expect(page.getByRole('button', { name: 'Creează rolul' })).toBeVisible();
    await noEnglish(page, ['Create role', 'Start from', 'A blank role', 'Permissions', 'Module', 'View (all)', 'View own',
      'Create', 'Edit', 'Delete', 'Require two-factor authentication', 'Cancel']);

    // Settings: the General and Security tabs.
    await page.goto('/admin/settings');
    await expect(page.getByRole('button', { name: 'Salvează datele companiei' })).toBeVisible();
    await noEnglish(page, ['Company', 'Company name', 'Save company details', 'Logos and favicon', 'Upload', 'PDF documents',
      'Seats', 'Integrations']);
    await page.goto('/admin/settings?tab=security');
    await expect(page.getByRole('button', { name: 'Salvează politica de securitate' })).toBeVisible();
    await noEnglish(page, ['Security policy', 'Passwords', 'Minimum length', 'Minimum strength', 'Sessions',
      'Save security policy', 'Two-factor authentication']);

    // A lead: the new form's and an existing one's buttons.
    await page.goto('/admin/leads/new');
    await expect(page.getByRole('button', { name: 'Creează client potențial' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Anulează' })).toBeVisible();
    await noEnglish(page, ['Create lead', 'New lead', 'Cancel', 'Unassigned', 'Name', 'Status']);
    await page.goto(`/admin/leads/${lead.body.id}`);
    await expect(page.getByRole('button', { name: 'Salvează modificările' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Șterge clientul potențial' })).toBeVisible();
    await noEnglish(page, ['Save changes', 'Delete lead', 'Cancel', 'created', 'updated', 'History', 'Open in the activity log']);

    // Custom fields (step 5): the list and a new field's form with the type's advice.
    await page.goto('/admin/custom_fields');
    await expect(page.getByRole('heading', { name: 'Câmpuri personalizate', level: 1 })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Câmp nou' })).toBeVisible();
    await noEnglish(page, ['New field', 'Custom fields', 'Search custom fields', 'Only admins', 'Width', 'Rows per page']);
    await page.goto('/admin/custom_fields/new');
    await expect(page.getByRole('button', { name: 'Creează câmpul' })).toBeVisible();
    await page.getByLabel(/^Tip/).selectOption('select');
    await expect(page.getByTestId('type-hint')).toHaveText('O categorie: una dintr-o listă pe care o definiți.');
    await noEnglish(page, ['Create field', 'Default value', 'Help text', 'Width in the form', 'Short text', 'Only administrators',
      'Searchable', 'One per line', 'Cancel']);

    // Country and currency names in Romanian.
    await page.goto('/admin/clients/new');
    await expect(page.locator('option', { hasText: 'Germania (DE)' })).toHaveCount(1);

    // The leads list and its pager.
    await page.goto('/admin/leads');
    const pager = page.getByRole('navigation', { name: /Pagini/ });
    await expect(pager.getByLabel('Rânduri pe pagină')).toBeVisible();
    await expect(pager.getByRole('button', { name: 'Anterioara' })).toBeVisible();
    await expect(pager.getByRole('button', { name: 'Următoarea' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Client potențial nou' })).toBeVisible();
    await noEnglish(page, ['New lead', 'Search leads', 'Rows per page', 'Previous', 'Next', 'Created from', 'Reset',
      'All']);
  } finally {
    const again = await pageApi(page);
    expect((await again.call('PATCH', '/api/v1/settings/localization', ORG)).status).toBe(200);
  }
});
