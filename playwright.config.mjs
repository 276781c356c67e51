// Browser tests for the web admin, run against a live Atrium server.
//   ATRIUM_URL=http://127.0.0.1:8080 ATRIUM_ADMIN_EMAIL=... ATRIUM_ADMIN_PASSWORD=... npx playwright test
// Uses Debian's chromium (no browser downloads).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'tests/browser',
  testMatch: '**/*.spec.mjs',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: 'list',
  outputDir: 'build/playwright-output', // not build/test-results: Playwright empties its outputDir, and the test runners' logs live there
  forbidOnly: Boolean(process.env.CI),
  use: {
    baseURL: process.env.ATRIUM_URL,
    screenshot: 'only-on-failure',
    trace: 'off',
    video: 'off',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        },
      },
    },
  ],
});
