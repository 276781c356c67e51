// Settings → General → Logos and favicon: an administrator uploads a logo
// and sees it in the header and on the sign-in page; a refused file says
// why under its row; the favicon follows; with a dark logo too, the theme
// picks which one shows. The images are made byte by byte
// (tests/http/images.mjs) and left as they were at the end.
import { test, expect } from '@playwright/test';
import { guardPages, mainNav, pageApi, signIn } from './common.mjs';
import { png, bmpIco, svgLogo } from '../http/images.mjs';

guardPages();

const KINDS = ['logo_light', 'logo_dark', 'favicon'];

/* Removes every uploaded image, so the other specs see Atrium's own. */
async function reset(page) {
  const api = await pageApi(page);
  for (const kind of KINDS) {
    const r = await api.call('DELETE', `/api/v1/settings/branding/${kind}`);
    expect([204, 404]).toContain(r.status);
  }
}

/* The width the browser decoded an <img> at (0 when it did not load). */
const loadedWidth = (img) => img.evaluate((el) => (el.complete ? el.naturalWidth : 0));

test('upload a logo on the General tab: it shows in the header and on the sign-in page', async ({ page }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  await page.goto('/admin/settings');
  const card = page.getByRole('region', { name: 'Logos and favicon' });
  await expect(card).toBeVisible();
  await reset(page);
  try {
    // Atrium's own brand before.
    const header = page.getByTestId('header-brand');
    await expect(header).toContainText('Atrium');

    await card.locator('#branding-logo_light-file').setInputFiles({
      name: 'acme.png', mimeType: 'image/png', buffer: png(240, 64, { rgba: [200, 40, 40, 255] }),
    });
    await expect(page.getByText('Logo for light mode saved.')).toBeVisible();
    await expect(card.locator('#branding-logo_light-info')).toHaveText('Current: PNG, 240×64 px, ' +
      `${(await (await pageApi(page)).call('GET', '/api/v1/branding')).body.logo_light.bytes} bytes.`);

    // The header follows at once, and the image really loads.
    const logo = header.getByTestId('brand-logo-light');
    await expect(logo).toBeVisible();
    await expect(logo).toHaveAttribute('src', /^\/branding\/1\/logo_light\?v=[0-9a-f]{16}$/);
    await expect(logo).toHaveAttribute('alt', 'Atrium');
    await expect.poll(() => loadedWidth(logo)).toBe(240);
    await expect(header).not.toContainText('Atrium');

    // A logo too wide: refused, the reason under its row, the old one kept.
    await card.locator('#branding-logo_light-file').setInputFiles({
      name: 'wide.png', mimeType: 'image/png', buffer: png(400, 40),
    });
    const error = card.locator('#branding-logo_light-error');
    await expect(error).toContainText('wide.png was not accepted');
    await expect(error).toContainText('The image is 400 px wide; at most 300 px is allowed.');
    await expect.poll(() => loadedWidth(logo)).toBe(240);

    // The favicon: an ICO, used by the page at once.
    await card.locator('#branding-favicon-file').setInputFiles({
      name: 'favicon.ico', mimeType: 'image/x-icon', buffer: bmpIco([[32, 32]]),
    });
    await expect(page.getByText('Favicon saved.')).toBeVisible();
    await expect(page.locator('link[rel="icon"]')).toHaveAttribute('href', /^\/branding\/1\/favicon\?v=/);

    // Signed out: the sign-in page shows the logo, and the favicon.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    const signInLogo = page.getByTestId('auth-brand').getByTestId('brand-logo-light');
    await expect(signInLogo).toBeVisible();
    await expect.poll(() => loadedWidth(signInLogo)).toBe(240);
    await expect(page.locator('link[rel="icon"]')).toHaveAttribute('href', /^\/branding\/1\/favicon\?v=/);
    // A fresh load of the sign-in page too (nothing left from the session).
    await page.goto('/login');
    await expect(page.getByTestId('auth-brand').getByTestId('brand-logo-light')).toBeVisible();
    await signIn(page);
    await expect(mainNav(page)).toBeVisible();
  } finally {
    await reset(page);
  }
});

test('with a logo for dark mode too, the theme picks which one shows', async ({ page }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  await page.goto('/admin/settings');
  const card = page.getByRole('region', { name: 'Logos and favicon' });
  await expect(card).toBeVisible();
  await reset(page);
  try {
    await card.locator('#branding-logo_light-file').setInputFiles({
      name: 'light.png', mimeType: 'image/png', buffer: png(120, 40, { rgba: [20, 20, 20, 255] }),
    });
    await expect(page.getByText('Logo for light mode saved.')).toBeVisible();
    await card.locator('#branding-logo_dark-file').setInputFiles({
      name: 'dark.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(svgLogo('Acme')),
    });
    await expect(page.getByText('Logo for dark mode saved.')).toBeVisible();
    await expect(card.locator('#branding-logo_dark-info')).toContainText('Current: SVG');

    const header = page.getByTestId('header-brand');
    const setTheme = async (theme) => {
      const toggle = page.getByRole('button', { name: `Switch to ${theme} theme` }).first();
      if (await toggle.count()) await toggle.click();
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    };
    await setTheme('light');
    await expect(header.getByTestId('brand-logo-light')).toBeVisible();
    await expect(header.getByTestId('brand-logo-dark')).toBeHidden();
    await setTheme('dark');
    await expect(header.getByTestId('brand-logo-dark')).toBeVisible();
    await expect(header.getByTestId('brand-logo-light')).toBeHidden();
    await expect.poll(() => loadedWidth(header.getByTestId('brand-logo-dark'))).toBeGreaterThan(0);

    // An SVG with a script is refused with the reason.
    await card.locator('#branding-logo_dark-file').setInputFiles({
      name: 'evil.svg', mimeType: 'image/svg+xml',
      buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    });
    await expect(card.locator('#branding-logo_dark-error')).toContainText('scripts are not allowed in a logo');

    // Removing the dark logo: the light one serves both themes.
    await card.locator('.branding-row[data-kind="logo_dark"]').getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await expect(page.getByText('Logo for dark mode removed.')).toBeVisible();
    await expect(header.getByTestId('brand-logo-light')).toBeVisible();
    await setTheme('light');
  } finally {
    await reset(page);
  }
});
