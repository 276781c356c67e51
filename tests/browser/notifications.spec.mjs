// Notifications in real Chromium: the bell in the header shows a member's
// unread count (and asks again every minute, by Playwright's clock), its
// panel lists the newest with markup in a title shown as text, "Mark all
// read" clears the count, the keyboard opens and closes it, it is drawn
// from the theme's colours in dark mode; /admin/notifications lists them
// all with the unread filter and paging, and marking one read there
// updates the bell. Notifications are added the way an operator adds
// them, with `atrium notify` on the server's database.
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { BASE, addMember, guardPages, signIn, stamp, watch } from './common.mjs';

guardPages();

/* `atrium notify` against the browser run's database. */
function notify(staffId, title, extra = []) {
  const bin = process.env.ATRIUM_BIN;
  const file = process.env.ATRIUM_DB_FILE;
  if (!bin || !file) throw new Error('ATRIUM_BIN and ATRIUM_DB_FILE must be set (scripts/test-all sets them)');
  const r = spawnSync(bin, ['notify', '--staff', String(staffId), '--title', title, ...extra, '--db', `sqlite:${file}`],
    { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`atrium notify failed (${r.status}): ${r.stderr}`);
}

/* A fresh member signed in on a page of their own (so counts are theirs alone). */
async function memberPage(page, browser) {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const m = await addMember(page, browser);
  const ctx = await browser.newContext({ baseURL: BASE });
  const p = watch(await ctx.newPage());
  return { m, ctx, p };
}

const bell = (p) => p.getByTestId('bell');

test('the bell shows the unread count; its panel shows markup as text; mark all read clears it', async ({ page, browser }) => {
  const { m, ctx, p } = await memberPage(page, browser);
  try {
    const tag = stamp();
    notify(m.id, `Plain ${tag}`);
    notify(m.id, `<b>x</b> ${tag}`, ['--body', 'First line\nsecond <i>line</i>', '--link', '/admin/notifications']);
    await signIn(p, m.email, m.password);
    await expect(p).toHaveURL(/\/admin\/$/);
    await expect(bell(p)).toHaveAccessibleName('Notifications, 2 unread');
    await expect(bell(p)).toContainText('2');
    await expect(bell(p)).toHaveAttribute('aria-expanded', 'false');

    await bell(p).click();
    await expect(bell(p)).toHaveAttribute('aria-expanded', 'true');
    const panel = p.getByRole('region', { name: 'Notifications' });
    await expect(panel).toBeVisible();
    const items = panel.getByRole('listitem');
    await expect(items).toHaveCount(2);
    // Newest first; the markup is the title's text, nothing was parsed.
    await expect(items.first()).toContainText(`<b>x</b> ${tag}`);
    await expect(items.first()).toContainText('First line\nsecond <i>line</i>');
    await expect(panel.locator('b, i')).toHaveCount(0);
    await expect(items.first().getByRole('link', { name: `<b>x</b> ${tag}` })).toHaveAttribute('href', '/admin/notifications');
    await expect(items.nth(1)).toContainText(`Plain ${tag}`);
    await expect(items.first().locator('time')).toHaveText(/now|second|minute/);

    // The keyboard: Escape closes and gives the focus back; Enter opens,
    // Tab walks into the panel, Enter on "Mark all read" clears the count.
    await p.keyboard.press('Escape');
    await expect(panel).toBeHidden();
    await expect(bell(p)).toBeFocused();
    await p.keyboard.press('Enter');
    await expect(panel).toBeVisible();
    await p.keyboard.press('Tab');
    await expect(panel.getByRole('button', { name: 'Mark all read' })).toBeFocused();
    await p.keyboard.press('Enter');
    await expect(bell(p)).toHaveAccessibleName('Notifications, none unread');
    await expect(p.locator('.bell-count')).toBeHidden();
    await expect(bell(p)).toBeFocused();
    await expect(panel.getByRole('button', { name: /^Mark read/ })).toHaveCount(0);
    const count = await (await p.request.get('/api/v1/notifications/unread')).json();
    expect(count).toEqual({ count: 0 });
    await p.keyboard.press('Escape');
    await expect(panel).toBeHidden();

    // The page lists both, read, with the markup as text.
    await p.goto('/admin/notifications');
    await expect(p.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
    const rows = p.locator('tr[data-notification]');
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText(`<b>x</b> ${tag}`);
    await expect(rows.first()).toContainText('Read');
    await expect(p.locator('main').locator('b, i')).toHaveCount(0);
    await p.getByLabel('Show').selectOption('true');
    await expect(p).toHaveURL(/unread=true/);
    await expect(p.getByText('No notification matches this filter.')).toBeVisible();
  } finally {
    await ctx.close();
  }
});

test('the count is asked again every minute and on navigation; the panel follows the dark theme', async ({ page, browser }) => {
  const { m, ctx, p } = await memberPage(page, browser);
  try {
    await p.clock.install();
    await signIn(p, m.email, m.password);
    await expect(p).toHaveURL(/\/admin\/$/);
    await expect(bell(p)).toHaveAccessibleName('Notifications, none unread');
    const polled = `Polled ${stamp()}`;
    notify(m.id, polled);
    await p.clock.fastForward('01:01');
    await expect(bell(p)).toHaveAccessibleName('Notifications, 1 unread');
    // A navigation asks too, without waiting for the minute.
    notify(m.id, `Navigated ${stamp()}`);
    await p.getByRole('link', { name: 'Account security' }).click();
    await expect(bell(p)).toHaveAccessibleName('Notifications, 2 unread');

    // Dark theme: the panel is drawn from the theme's own colours.
    const toDark = p.getByRole('button', { name: /dark/i });
    if (await toDark.count()) await toDark.first().click();
    await expect(p.locator('html')).toHaveAttribute('data-theme', 'dark');
    await bell(p).click();
    const panel = p.getByRole('region', { name: 'Notifications' });
    await expect(panel).toBeVisible();
    const colours = await panel.evaluate((el) => ({ bg: getComputedStyle(el).backgroundColor, fg: getComputedStyle(el).color }));
    expect(colours).toEqual({ bg: 'rgb(23, 27, 34)', fg: 'rgb(229, 232, 237)' }); // --surface and --text of the dark theme

    // One marked read from the panel: the count follows, the focus stays in the panel.
    await panel.getByRole('button', { name: `Mark read: ${polled}` }).click();
    await expect(bell(p)).toHaveAccessibleName('Notifications, 1 unread');
    await expect(panel.getByRole('button', { name: /^Mark read: Navigated/ })).toBeFocused();
    await expect(panel.getByRole('button', { name: `Mark read: ${polled}` })).toHaveCount(0);
  } finally {
    await ctx.close();
  }
});

test('the page lists every notification with paging and the unread filter; marking one read updates the bell', async ({ page, browser }) => {
  const { m, ctx, p } = await memberPage(page, browser);
  try {
    const tag = stamp();
    for (let i = 1; i <= 12; i++) notify(m.id, `Item ${i} ${tag}`);
    await signIn(p, m.email, m.password);
    await expect(p).toHaveURL(/\/admin\/$/);
    await expect(bell(p)).toHaveAccessibleName('Notifications, 12 unread');
    await bell(p).click();
    await p.getByRole('link', { name: 'See all notifications' }).click();
    await expect(p).toHaveURL(/\/admin\/notifications$/);
    await expect(p.getByRole('region', { name: 'Notifications' })).toBeHidden();

    const rows = p.locator('tr[data-notification]');
    await p.getByLabel('Rows per page').selectOption('10');
    await expect(rows).toHaveCount(10);
    await expect(rows.first()).toContainText(`Item 12 ${tag}`);
    await expect(p.getByText('1–10 of 12', { exact: true })).toBeVisible();
    await p.getByRole('button', { name: 'Next' }).click();
    await expect(rows).toHaveCount(2);
    await expect(rows.last()).toContainText(`Item 1 ${tag}`);
    await p.getByRole('button', { name: /Previous|First page/ }).click();
    await expect(rows).toHaveCount(10);

    await p.getByRole('button', { name: `Mark read: Item 12 ${tag}` }).click();
    await expect(bell(p)).toHaveAccessibleName('Notifications, 11 unread');
    await expect(rows.first()).toContainText('Read');
    await p.getByLabel('Show').selectOption('true');
    await expect(p).toHaveURL(/unread=true/);
    await expect(rows.first()).toContainText(`Item 11 ${tag}`);
    await expect(p.getByText('1–10 of 11', { exact: true })).toBeVisible();
    await p.getByLabel('Show').selectOption('false');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(`Item 12 ${tag}`);

    await p.getByRole('button', { name: 'Mark all read' }).click();
    await expect(bell(p)).toHaveAccessibleName('Notifications, none unread');
    await p.getByLabel('Show').selectOption('true');
    await expect(p.getByText('No notification matches this filter.')).toBeVisible();
  } finally {
    await ctx.close();
  }
});
