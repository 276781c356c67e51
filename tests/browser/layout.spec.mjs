// The shell and its parts on every page (issue 8, item 18): tab bars have
// no scrollbar of their own, and the sidebar reaches the bottom of a long
// page (a full-page capture or a print included: its height is the page's,
// not the window's), with its links kept in view while scrolling.
import { test, expect } from '@playwright/test';
import { guardPages, mainNav, navLink, pageApi, signIn, stamp } from './common.mjs';

guardPages();

test('tab bars have no scrollbar of their own', async ({ page }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  const me = (await (await pageApi(page)).call('GET', '/api/v1/auth/me')).body.staff;
  for (const path of ['/admin/settings', `/admin/staff/${me.id}`]) {
    await page.goto(path);
    const bar = page.getByRole('tablist').first();
    await expect(bar).toBeVisible();
    const overflow = await bar.evaluate((el) => ({ down: el.scrollHeight - el.clientHeight, across: el.scrollWidth - el.clientWidth }));
    expect(overflow, `${path}: nothing overflows the tab bar`).toEqual({ down: 0, across: 0 });
  }
});

test('the sidebar reaches the bottom of a long page, and its links stay in view', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 600 });
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  const api = await pageApi(page);
  const tag = stamp();
  for (let i = 0; i < 25; i++) expect((await api.call('POST', '/api/v1/leads', { name: `Long page ${tag} ${i}` })).status).toBe(201);
  await navLink(page, 'Leads').click();
  await expect(page.getByRole('link', { name: `Long page ${tag} 0` })).toBeVisible();
  const m = await page.evaluate(() => {
    const nav = document.querySelector('nav[aria-label="Main"]').getBoundingClientRect();
    return { top: nav.top + window.scrollY, bottom: nav.bottom + window.scrollY, page: document.documentElement.scrollHeight,
      window: window.innerHeight };
  });
  expect(m.page, 'a page longer than the window').toBeGreaterThan(m.window * 1.5);
  expect(m.bottom, 'the sidebar (its background) ends where the page ends').toBeGreaterThanOrEqual(m.page - 1);
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await expect(navLink(page, 'Dashboard')).toBeInViewport();
  await expect(navLink(page, 'Leads')).toBeInViewport();
});
