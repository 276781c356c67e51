// Localization in the browser: the organisation switched to Romanian,
// DD.MM.YYYY, Europe/Bucharest and a decimal comma shows the sidebar, a
// list and a form in Romanian with dates in that format; a member's own
// choice of English wins for them (and only the language: the dates stay
// the organisation's); a money field takes "1.234,5" and the API stores
// the canonical 1234.50. The organisation's settings are put back at the
// end, whatever happens (the other specs share the server).
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
    await section.getByRole('button', { name: 'Salvați limba și formatele' }).click();
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
