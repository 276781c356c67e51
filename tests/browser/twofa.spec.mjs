// Two-factor authentication, passwords and sessions in the browser,
// against a running server (docs/internals/http-api.md, "Sign-in stages,
// two-factor authentication, passwords, sessions"):
//   - the admin enrols TOTP on their security page, reading the key from the
//     page and computing codes with the npm `otpauth` library; saves the
//     recovery codes; signs in with password + code, then with a recovery
//     code (a used one is refused); the 2FA user list follows; then turns
//     2FA off again (so the other specs can still sign in with a password);
//   - a member whose role requires 2FA, added with a temporary password, is
//     held on the enrolment screen (every route), enrols, changes the
//     password, lands in the app; the admin resets their 2FA from the list;
//   - with an SMTP sink (ATRIUM_MAILDIR + ATRIUM_SMTP_PORT): "end all
//     sessions", forgot password (neutral answer, emailed link) and the
//     administrator's forced password reset.
// Environment: ATRIUM_URL, ATRIUM_ADMIN_EMAIL, ATRIUM_ADMIN_PASSWORD; the
// server must start with the "2FA required for administrators" policy off.
import fs from 'node:fs/promises';
import { BASE, EMAIL, PASSWORD, addMember, guardPages, mainNav, navLink, operatorSeats, pageApi, signIn, stamp, watch } from './common.mjs';
import { test, expect, request as playwrightRequest } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import { mailEnv, snapshot, waitForMail } from './mail.mjs';

guardPages();
const codeScreen = (page) => page.getByRole('heading', { level: 1, name: 'Two-factor authentication', exact: true });
const enrolScreen = (page) => page.getByRole('heading', { level: 1, name: 'Set up two-factor authentication' });


async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
}


/** Room for the staff the tests add, and optionally SMTP pointed at the test sink. */
async function setUpServer(page, { smtp = false } = {}) {
  const api = await pageApi(page);
  if (smtp) {
    const { port, host } = mailEnv();
    const r = await api.call('PATCH', '/api/v1/settings/smtp', {
      smtp_host: host, smtp_port: port, smtp_security: 'none', smtp_email: 'atrium@example.test', smtp_from_name: 'Atrium tests',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
  const seats = await api.call('GET', '/api/v1/settings/seats');
  if (seats.body.values.extra_seats < 100) operatorSeats({ extra_seats: 100 });
  return api;
}

/**
 * Reads the key shown by the enrolment screen (in groups of 4) and checks it
 * against the otpauth:// link on the page; returns a TOTP generator.
 */
async function totpFromPage(page) {
  const shown = await page.getByTestId('totp-secret').textContent();
  expect(shown).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
  const secret = shown.replace(/\s+/g, '');
  expect(secret).toHaveLength(32); // 160 bits
  const uri = await page.getByTestId('otpauth-link').getAttribute('href');
  const fromUri = OTPAuth.URI.parse(uri);
  expect(fromUri.secret.base32).toBe(secret);
  expect(fromUri).toBeInstanceOf(OTPAuth.TOTP);
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
}

/** The code of the next 30-second step: the current one was used at activation and cannot be replayed. */
const nextCode = (totp) => totp.generate({ timestamp: Date.now() + 30_000 });

/** Enrols on a page that shows the enrolment flow; returns {totp, codes}. */
async function enrolHere(page) {
  const qr = page.getByRole('img', { name: /QR code/ });
  await expect(qr).toBeVisible();
  expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
  const totp = await totpFromPage(page);
  const code = page.getByLabel('6-digit code');
  await expect(code).toHaveAttribute('autocomplete', 'one-time-code');
  await expect(code).toHaveAttribute('inputmode', 'numeric');
  await code.fill(totp.generate());
  const activated = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/2fa/activate');
  await page.getByRole('button', { name: 'Activate' }).click();
  expect((await activated).status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  await expect(page.getByTestId('recovery-codes').getByRole('listitem')).toHaveCount(10);
  const codes = (await page.getByTestId('recovery-codes').getByRole('listitem').allTextContents()).map((c) => c.trim());
  for (const c of codes) expect(c).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
  return { totp, codes };
}

function summaryCounts(text) {
  const m = /(\d+) of (\d+) administrators use 2FA/.exec(text);
  expect(m, `summary "${text}"`).not.toBeNull();
  return { with2fa: Number(m[1]), total: Number(m[2]) };
}

/** A row of the 2FA user list, by the member's exact email. */
const rowOf = (page, email) => page.getByRole('row').filter({ has: page.getByText(email, { exact: true }) });

async function openUserList(page) {
  await navLink(page, 'Two-factor (2FA)').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Two-factor authentication (2FA)' })).toBeVisible();
  await expect(page.getByText(/\d+ of \d+ administrators use 2FA/)).toBeVisible();
}

/**
 * Cleanup after a failure: signs in through the API (a recovery code, else
 * a TOTP code of a later step than any used) and turns the admin's 2FA off,
 * so the other specs can still sign in with the password alone.
 */
async function disableAdmin2faByApi({ codes = [], totp }) {
  const ctx = await playwrightRequest.newContext({ baseURL: BASE });
  try {
    const login = await ctx.post('/api/v1/auth/login', { data: { email: EMAIL, password: PASSWORD } });
    let body = await login.json();
    const verify = async (code) => {
      const v = await ctx.post('/api/v1/auth/2fa/verify', { data: { code }, headers: { 'X-CSRF-Token': body.csrf_token } });
      if (v.ok()) body = await v.json();
      return v.ok();
    };
    if (body.stage === 'mfa') {
      let ok = false;
      for (const c of codes.slice(-2).reverse()) if (!ok) ok = await verify(c);
      if (!ok && totp) ok = await verify(nextCode(totp));
      if (!ok && totp) { // that step was used already: wait for the next one
        await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 500));
        ok = await verify(nextCode(totp));
      }
      if (!ok) throw new Error(`cleanup: cannot sign in as ${EMAIL} to turn 2FA off; run: atrium user reset-2fa --email ${EMAIL}`);
    }
    // Turning 2FA off needs the password and a code re-entered (reauth).
    const headers = { 'X-CSRF-Token': body.csrf_token };
    let re = false;
    for (const c of codes) {
      if (re) break;
      re = (await ctx.post('/api/v1/auth/reauth', { data: { password: PASSWORD, code: c }, headers })).ok();
    }
    if (!re && totp) {
      await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 500));
      re = (await ctx.post('/api/v1/auth/reauth', { data: { password: PASSWORD, code: nextCode(totp) }, headers })).ok();
    }
    await ctx.post('/api/v1/auth/2fa/disable', { headers });
  } finally {
    await ctx.dispose();
  }
}

test('admin: enrol 2FA, sign in with a code and with a recovery code; the 2FA user list follows', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);

  // Before: the admin is among the administrators without 2FA.
  await openUserList(page);
  const before = summaryCounts(await page.getByText(/administrators use 2FA/).textContent());
  const adminRow = rowOf(page, EMAIL);
  await expect(adminRow.getByText('Off', { exact: true })).toBeVisible();
  await page.getByLabel('Show').selectOption({ label: 'Admins without 2FA' });
  await expect(page).toHaveURL(/admin=true&enabled=false/);
  await expect(adminRow).toHaveCount(1);

  // Enable on the security page (the link next to the signed-in name).
  await page.getByRole('link', { name: 'Account security' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Account security' })).toBeVisible();
  await expect(page.getByTestId('twofa-status')).toHaveText('Off');
  await page.getByRole('button', { name: 'Enable two-factor authentication' }).click();

  // A wrong code is refused under the field.
  await expect(page.getByTestId('totp-secret')).toBeVisible();
  const code = page.getByLabel('6-digit code');
  await code.fill('12345');
  await page.getByRole('button', { name: 'Activate' }).click();
  await expect(code).toHaveAccessibleDescription(/6 digits/);

  let saved = null;
  try {
    saved = await enrolHere(page);
    const { totp, codes } = saved;

    // Download: a text file with every code.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toBe('atrium-recovery-codes.txt');
    const file = await fs.readFile(await download.path(), 'utf8');
    for (const c of codes) expect(file).toContain(c);
    expect(file).toContain(EMAIL);
    await page.getByRole('button', { name: 'I saved them' }).click();
    await expect(page.getByTestId('twofa-status')).toHaveText('On');
    await expect(page.getByTestId('recovery-left')).toHaveText('10 of 10');

    // Sign out; sign in again: password, then the code screen (a reload stays there).
    await signOut(page);
    await signIn(page, EMAIL, PASSWORD, '/login?next=/admin/profile/security');
    await expect(codeScreen(page)).toBeVisible();
    await expect(mainNav(page)).toHaveCount(0);
    await page.reload();
    await expect(codeScreen(page)).toBeVisible();
    await expect(page).toHaveURL(/\/admin\/profile\/security$/);
    const box = page.getByLabel('6-digit code');
    await expect(box).toHaveAttribute('autocomplete', 'one-time-code');
    await expect(box).toHaveAttribute('inputmode', 'numeric');
    await box.fill(nextCode(totp));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Account security' })).toBeVisible();
    await expect(mainNav(page)).toBeVisible();
    await expect(page.getByTestId('twofa-status')).toHaveText('On');

    // Sign out; sign in with a recovery code.
    await signOut(page);
    await signIn(page);
    await expect(codeScreen(page)).toBeVisible();
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(codes[0].toLowerCase()); // case does not matter
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('heading', { name: 'You used a recovery code' })).toBeVisible();
    await expect(page.getByText('9 recovery codes left')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Generate new recovery codes' })).toBeVisible();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();

    // The same recovery code never works twice: the server's answer is shown.
    await signOut(page);
    await signIn(page);
    await expect(codeScreen(page)).toBeVisible();
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(codes[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByLabel('Recovery code')).toHaveAccessibleDescription(/wrong or was already used/i);
    await expect(codeScreen(page)).toBeVisible();
    await page.getByLabel('Recovery code').fill(codes[1]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByText('8 recovery codes left')).toBeVisible();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();

    // The 2FA user list: on, since today, 8 codes left; no longer among the admins without 2FA.
    await openUserList(page);
    await expect(page.getByLabel('Show')).toHaveValue('');
    const after = summaryCounts(await page.getByText(/administrators use 2FA/).textContent());
    expect(after).toEqual({ total: before.total, with2fa: before.with2fa + 1 });
    await expect(adminRow.getByText('On', { exact: true })).toBeVisible();
    await expect(adminRow.getByRole('cell').nth(5)).toHaveText('8');
    await page.getByLabel('Show').selectOption({ label: 'Admins without 2FA' });
    await expect(page).toHaveURL(/admin=true&enabled=false/);
    await expect(page.getByRole('table')).toBeVisible();
    await expect(adminRow).toHaveCount(0);

    // My sessions lists this one.
    await page.getByRole('link', { name: 'Account security' }).click();
    const current = page.locator('tr[data-current="true"]');
    await expect(current).toContainText('This session');

    // Regenerate the recovery codes: the password and a code are asked
    // again (re-authentication; a wrong password is refused in the dialog),
    // then a new set of 10, shown once.
    await expect(page.getByTestId('recovery-left')).toHaveText('8 of 10');
    await page.getByRole('button', { name: 'Regenerate recovery codes' }).click();
    const regen = page.getByRole('dialog', { name: 'Generate new recovery codes?' });
    await regen.getByRole('button', { name: 'Generate new codes' }).click();
    const reauth = page.getByRole('dialog', { name: 'Confirm it is you' });
    await reauth.getByLabel('Your password').fill(`${PASSWORD}-wrong`);
    await reauth.getByLabel('Code from your authenticator app').fill(codes[2]);
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    await expect(reauth.getByLabel('Your password')).toHaveAccessibleDescription(/not your password/);
    await reauth.getByLabel('Your password').fill(PASSWORD);
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    await expect(reauth).toHaveCount(0);
    const fresh = page.getByRole('dialog', { name: 'New recovery codes' });
    await expect(fresh.getByTestId('recovery-codes').getByRole('listitem')).toHaveCount(10);
    const newCodes = (await fresh.getByTestId('recovery-codes').getByRole('listitem').allTextContents()).map((c) => c.trim());
    expect(newCodes).not.toContain(codes[2]);
    saved.codes = newCodes; // the old set is dead
    await fresh.getByRole('button', { name: 'I saved them' }).click();
    await expect(fresh).toHaveCount(0);
    await expect(page.getByTestId('recovery-left')).toHaveText('10 of 10');

    // Turn it off again: confirmed, and the re-authentication of a moment
    // ago still holds (5 minutes), so no second password dialog.
    await page.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
    const dialog = page.getByRole('dialog', { name: 'Turn off two-factor authentication?' });
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(page.getByRole('dialog', { name: 'Confirm it is you' })).toHaveCount(0);
    await expect(page.getByTestId('twofa-status')).toHaveText('Off');
    saved = null;
  } finally {
    if (saved) await disableAdmin2faByApi(saved); // leave the admin as the other specs expect it
  }
});

test('a role that requires 2FA: the member replaces the temporary password, then must enrol; an admin resets their 2FA', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const s = stamp();
  const roleName = `Two-factor role ${s}`;
  const member = { email: `enrol.${s}@example.test`, name: `Enid Enrol ${s}`, temporary: `temporary-pass-${s}`, password: `cobalt-own-river-${s}` };

  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await setUpServer(page);

  // The roles editor: "Require two-factor authentication".
  await navLink(page, 'Roles').click();
  await page.getByRole('link', { name: 'New role' }).click();
  await page.getByLabel('Name').fill(roleName);
  await page.getByRole('checkbox', { name: 'Require two-factor authentication' }).check();
  const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/roles');
  await page.getByRole('button', { name: 'Create role' }).click();
  const res = await created;
  expect(res.status()).toBe(201);
  expect(res.request().postDataJSON()).toMatchObject({ name: roleName, require_2fa: true });
  const roleId = (await res.json()).id;
  await expect(page.getByRole('heading', { level: 1, name: `Role: ${roleName}` })).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Require two-factor authentication' })).toBeChecked();

  // A member with that role and a temporary password.
  const staff = await api.call('POST', '/api/v1/staff', { email: member.email, name: member.name, role_id: roleId, temporary_password: member.temporary });
  expect(staff.status, JSON.stringify(staff.body)).toBe(201);

  const ctx = await browser.newContext({ baseURL: BASE });
  const other = watch(await ctx.newPage());
  try {
    await signIn(other, member.email, member.temporary);
    // First the temporary password: the server refuses enrolment until it
    // is replaced, so whoever set it cannot bind their own authenticator.
    await expect(other.getByRole('heading', { name: 'Change your password' })).toBeVisible();
    const early = await (await pageApi(other)).call('POST', '/api/v1/auth/2fa/enrol', {});
    expect(early.status).toBe(403);
    expect(early.body.detail).toBe('change your password first');
    await other.getByLabel('Current (temporary) password').fill(member.temporary);
    await other.getByLabel('New password', { exact: true }).fill(member.password);
    await other.getByLabel('Confirm new password').fill(member.password);
    await other.getByRole('button', { name: 'Change password and continue' }).click();

    // Then the enrolment the role requires.
    await expect(enrolScreen(other)).toBeVisible();
    await expect(other.getByText('Two-factor authentication is required for your account')).toBeVisible();
    await expect(mainNav(other)).toHaveCount(0);

    // Every route shows only that screen; the API refuses the rest meanwhile.
    await other.goto('/admin/leads');
    await expect(enrolScreen(other)).toBeVisible();
    await expect(other).toHaveURL(/\/admin\/leads$/);
    const refused = await other.request.get('/api/v1/leads');
    expect(refused.status()).toBe(403);
    expect((await refused.json()).detail).toMatch(/two-factor/);
    await other.goto('/admin/');
    await expect(enrolScreen(other)).toBeVisible();

    await other.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const { totp } = await enrolHere(other);
    await other.getByRole('button', { name: 'I saved them' }).click();
    await expect(other.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();
    await expect(mainNav(other)).toBeVisible();

    // Required by the role: no button to turn it off (the server would
    // refuse it, 409), and the page says why.
    await other.getByRole('link', { name: 'Account security' }).click();
    await expect(other.getByTestId('twofa-status')).toHaveText('On');
    await expect(other.getByRole('button', { name: 'Turn off two-factor authentication' })).toHaveCount(0);
    await expect(other.getByText('so it cannot be turned off')).toBeVisible();

    // From now on: password, then the code.
    await signOut(other);
    await signIn(other, member.email, member.password);
    await expect(codeScreen(other)).toBeVisible();
    await other.getByLabel('6-digit code').fill(nextCode(totp));
    await other.getByRole('button', { name: 'Verify' }).click();
    await expect(other.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();

    // The admin's list: on and required; "Reset 2FA" (lost phone) ends their sessions.
    await openUserList(page);
    const row = rowOf(page, member.email);
    await expect(row.getByText('On', { exact: true })).toBeVisible();
    await expect(row.getByText('Required', { exact: true })).toBeVisible();
    await row.getByRole('button', { name: `Reset 2FA for ${member.name}` }).click();
    const confirm = page.getByRole('dialog', { name: `Reset 2FA for ${member.name}?` });
    await expect(confirm).toContainText('signed out everywhere');
    const reset = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/2fa/reset'));
    await confirm.getByRole('button', { name: 'Reset 2FA' }).click();
    expect((await reset).status()).toBe(204);
    await expect(row.getByText('Required — not set up')).toBeVisible();

    // They are signed out, and enrol again at the next sign-in.
    await other.reload();
    await expect(other).toHaveURL(/\/login/);
    await signIn(other, member.email, member.password);
    await expect(enrolScreen(other)).toBeVisible();
  } finally {
    await ctx.close();
  }
});

/** The reset-password link (…/reset-password#token=…) in a message. */
function resetLink(message) {
  const m = /(https?:\/\/[^\s<>"]*)?\/reset-password#token=[A-Za-z0-9_\-.~%]+/.exec(message.body);
  if (!m) throw new Error(`no /reset-password#token= link in the email "${message.headers.subject || ''}":\n${message.body}`);
  return new URL(m[0], BASE);
}

test('forgot password, "end all sessions" and the administrator\'s forced password reset', async ({ page, browser }) => {
  test.skip(!process.env.ATRIUM_MAILDIR, 'needs an SMTP sink: ATRIUM_MAILDIR and ATRIUM_SMTP_PORT (see mail.mjs)');
  test.setTimeout(120_000);
  const mail = mailEnv();
  const s = stamp();
  const member = { email: `reset.${s}@example.test`, name: `Rita Reset ${s}`, temporary: `temporary-pass-${s}`,
    password: `amber-first-canyon-${s}`, second: `amber-second-canyon-${s}`, third: `amber-third-canyon-${s}` };

  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await setUpServer(page, { smtp: true });
  const created = await api.call('POST', '/api/v1/staff', { email: member.email, name: member.name, temporary_password: member.temporary });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id;

  const ctx = await browser.newContext({ baseURL: BASE });
  const other = watch(await ctx.newPage());
  try {
    await signIn(other, member.email, member.temporary);
    await other.getByLabel('Current (temporary) password').fill(member.temporary);
    await other.getByLabel('New password', { exact: true }).fill(member.password);
    await other.getByLabel('Confirm new password').fill(member.password);
    await other.getByRole('button', { name: 'Change password and continue' }).click();
    await expect(other.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();

    // The admin ends all their sessions from the staff record's Security tab.
    await page.goto(`/admin/staff/${id}?tab=security`);
    await expect(page.getByRole('tab', { name: 'Security' })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByTestId('staff-2fa')).toHaveText('Off');
    await page.getByRole('button', { name: 'End all sessions' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'End all sessions' }).click();
    await expect(page.getByText(`${member.name} is signed out everywhere.`)).toBeVisible();
    await other.reload();
    await expect(other).toHaveURL(/\/login/);

    // Forgot password: the same neutral answer for an unknown address and a known one.
    await other.getByRole('link', { name: 'Forgot your password?' }).click();
    await expect(other).toHaveURL(/\/forgot-password$/);
    await other.getByLabel('Email').fill(`nobody.${s}@example.test`);
    await other.getByRole('button', { name: 'Send reset link' }).click();
    const neutral = await other.getByTestId('forgot-message').textContent();
    expect(neutral).toMatch(/If an account uses this address/);
    const before = await snapshot(mail.dir);
    await other.goto('/forgot-password');
    await other.getByLabel('Email').fill(member.email);
    await other.getByRole('button', { name: 'Send reset link' }).click();
    await expect(other.getByTestId('forgot-message')).toHaveText(neutral);
    const message = await waitForMail({ dir: mail.dir, to: member.email, exclude: before, match: (m) => /reset-password#token=/.test(m.body) });

    const link = resetLink(message);
    await other.goto(link.pathname + link.hash);
    await expect(other.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
    await other.getByLabel('Password', { exact: true }).fill(member.second);
    await other.getByLabel('Confirm password').fill(member.second);
    await other.getByRole('button', { name: 'Set new password' }).click();
    await expect(other.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();

    // The link works once, and says so when it is opened again: no form
    // that would fail only on submit. A made-up link likewise.
    await signOut(other);
    await other.goto(link.pathname + link.hash);
    await expect(other.getByRole('alert')).toContainText('This link no longer works');
    await expect(other.getByLabel('Password', { exact: true })).toHaveCount(0);
    await expect(other.getByRole('alert').getByRole('link', { name: 'Request a new link' })).toBeVisible();
    await other.goto(`/reset-password#token=${'A'.repeat(43)}`);
    await expect(other.getByRole('alert')).toContainText('This link no longer works');
    await expect(other.getByLabel('Password', { exact: true })).toHaveCount(0);

    // The admin forces a reset: the password stops working, a new link is emailed.
    await signIn(other, member.email, member.second);
    await expect(other.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();
    const before2 = await snapshot(mail.dir);
    await page.reload();
    await page.getByRole('button', { name: 'Force password reset' }).click();
    const confirm = page.getByRole('dialog', { name: `Force a password reset for ${member.name}?` });
    await expect(confirm).toContainText(member.email);
    const forced = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/staff/${id}/password/reset`);
    await confirm.getByRole('button', { name: 'Force password reset' }).click();
    expect((await forced).status()).toBe(202);
    await expect(page.getByText('Password reset forced')).toBeVisible();
    await other.reload();
    await expect(other).toHaveURL(/\/login/);
    await signIn(other, member.email, member.second);
    await expect(other.getByRole('alert')).toContainText(/invalid email or password/i);
    const forcedMail = await waitForMail({ dir: mail.dir, to: member.email, exclude: before2, match: (m) => /reset-password#token=/.test(m.body) });
    const link2 = resetLink(forcedMail);
    await other.goto(link2.pathname + link2.hash);
    await other.getByLabel('Password', { exact: true }).fill(member.third);
    await other.getByLabel('Confirm password').fill(member.third);
    await other.getByRole('button', { name: 'Set new password' }).click();
    await expect(other.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();
  } finally {
    await ctx.close();
  }
});

test('the Security settings tab: policy fields with their limits; only changed keys are sent', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const saved = (await api.call('GET', '/api/v1/settings/security')).body.values;
  try {
    await navLink(page, 'Settings').click();
    await page.getByRole('tab', { name: 'Security' }).click();
    await expect(page).toHaveURL(/tab=security/);
    const form = page.getByRole('form', { name: 'Security policy' });
    await expect(form.getByLabel('Minimum length without 2FA')).toHaveValue(String(saved.password_min_length));
    await expect(form.getByLabel('Minimum strength')).toHaveValue(String(saved.password_min_score));
    await expect(form.getByRole('checkbox', { name: 'Require two-factor authentication for administrators' })).not.toBeChecked();
    await expect(form.getByLabel('Maximum password age (days)')).toHaveAccessibleDescription(/NIST SP 800-63B advises against/);

    // Out of range: the server's limit is shown under the field.
    await form.getByLabel('Sign out after inactivity (minutes)').fill('1');
    const bad = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await form.getByRole('button', { name: 'Save security policy' }).click();
    expect((await bad).status()).toBe(422);
    await expect(form.getByLabel('Sign out after inactivity (minutes)')).toHaveAttribute('aria-invalid', 'true');
    await expect(form.getByLabel('Sign out after inactivity (minutes)')).toBeFocused();

    // Fixed, plus the strength (a number, not the option's text).
    await form.getByLabel('Sign out after inactivity (minutes)').fill('45');
    await form.getByLabel('Minimum strength').selectOption({ label: '4 – very unguessable' });
    const good = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await form.getByRole('button', { name: 'Save security policy' }).click();
    const res = await good;
    expect(res.status()).toBe(200);
    expect(res.request().postDataJSON()).toEqual({ session_idle_minutes: 45, password_min_score: 4 });
    await expect(form.getByText('Security policy saved.')).toBeVisible();
  } finally {
    await api.call('PATCH', '/api/v1/settings/security', {
      session_idle_minutes: saved.session_idle_minutes, password_min_score: saved.password_min_score,
    });
  }
});

test('an administrator requires a password change at the next sign-in (staff record, Security tab)', async ({ page, browser }) => {
  const s = stamp();
  const member = { email: `change.${s}@example.test`, name: `Chad Change ${s}`, temporary: `temporary-pass-${s}`,
    password: `willow-first-summit-${s}`, second: `willow-second-summit-${s}` };
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await setUpServer(page);
  const created = await api.call('POST', '/api/v1/staff', { email: member.email, name: member.name, temporary_password: member.temporary });
  expect(created.status, JSON.stringify(created.body)).toBe(201);

  const ctx = await browser.newContext({ baseURL: BASE });
  const other = watch(await ctx.newPage());
  const change = async (from, to) => {
    await expect(other.getByRole('heading', { name: 'Change your password' })).toBeVisible();
    await other.getByLabel('Current (temporary) password').fill(from);
    await other.getByLabel('New password', { exact: true }).fill(to);
    await other.getByLabel('Confirm new password').fill(to);
    await other.getByRole('button', { name: 'Change password and continue' }).click();
    await expect(other.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();
  };
  try {
    await signIn(other, member.email, member.temporary);
    await change(member.temporary, member.password);

    await page.goto(`/admin/staff/${created.body.id}?tab=security`);
    await expect(page.getByTestId('staff-password-state')).toHaveText(/Set by them/);
    const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.getByRole('button', { name: 'Require a change at next sign-in' }).click();
    const res = await patched;
    expect(res.status()).toBe(200);
    expect(res.request().postDataJSON()).toEqual({ must_change_password: true });
    expect(res.request().headers()['if-match']).toBeTruthy();
    await expect(page.getByText('Must change password')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Cancel the required change' })).toBeVisible();

    await signOut(other);
    await signIn(other, member.email, member.password);
    await change(member.password, member.second);
  } finally {
    await ctx.close();
  }
});

test('changing one\'s sign-in email: the password is asked again, then a link to each address confirms it', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const mail = mailEnv();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await pageApi(page);
  const smtp = await api.call('PATCH', '/api/v1/settings/smtp', {
    smtp_host: mail.host, smtp_port: mail.port, smtp_security: 'none', smtp_email: 'atrium@example.test',
  });
  expect(smtp.status).toBe(200);
  const s = stamp();
  const member = { email: `mover.${s}@example.test`, name: `Mona Mover ${s}`, temporary: `temporary-pass-${s}`,
    password: `amber-quiet-valley-${s}` };
  const next = `moved.${s}@example.test`;
  const add = await api.call('POST', '/api/v1/staff', { email: member.email, name: member.name, temporary_password: member.temporary });
  expect(add.status).toBe(201);

  const ctx = await browser.newContext();
  try {
    const other = watch(await ctx.newPage());
    await signIn(other, member.email, member.temporary);
    await other.getByLabel('Current (temporary) password').fill(member.temporary);
    await other.getByLabel('New password', { exact: true }).fill(member.password);
    await other.getByLabel('Confirm new password').fill(member.password);
    await other.getByRole('button', { name: 'Change password and continue' }).click();
    await expect(mainNav(other)).toBeVisible();
    await other.getByRole('link', { name: 'Account security' }).click();
    await expect(other.getByTestId('current-email')).toHaveText(member.email);

    const before = await snapshot(mail.dir);
    await other.getByLabel('New email').fill(next);
    await other.getByRole('button', { name: 'Change email' }).click();
    // The server asks for the password again; without 2FA there is no code field.
    const reauth = other.getByRole('dialog', { name: 'Confirm it is you' });
    await expect(reauth.getByLabel('Your password')).toBeFocused();
    await expect(reauth.getByLabel('Code from your authenticator app')).toHaveCount(0);
    await reauth.getByLabel('Your password').fill(member.password);
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    await expect(reauth).toHaveCount(0);
    await expect(other.getByTestId('pending-email')).toHaveText(next);
    await expect(other.getByTestId('current-email')).toHaveText(member.email);

    const link = (m) => /(https?:\/\/[^\s]*)?\/confirm-email#token=[A-Za-z0-9_-]+/.exec(m.body)[0];
    const toNew = await waitForMail({ dir: mail.dir, to: next, exclude: before, match: (m) => /confirm-email#token=/.test(m.body) });
    const toOld = await waitForMail({ dir: mail.dir, to: member.email, exclude: before, match: (m) => /confirm-email#token=/.test(m.body) });
    const anon = watch(await ctx.newPage());
    await anon.goto(new URL(link(toNew)).pathname + new URL(link(toNew)).hash);
    await anon.getByRole('button', { name: 'Confirm the change' }).click();
    await expect(anon.getByTestId('confirm-result')).toContainText('Now open the link we sent to your current address');
    await anon.goto(new URL(link(toOld)).pathname + new URL(link(toOld)).hash);
    await anon.getByRole('button', { name: 'Confirm the change' }).click();
    await expect(anon.getByTestId('confirm-result')).toContainText('Your sign-in email is changed');

    await other.reload();
    await expect(other.getByTestId('current-email')).toHaveText(next);
    await expect(other.getByTestId('pending-email')).toHaveCount(0);
  } finally {
    await ctx.close();
  }
});

test('the 2FA prompt names the issuer the app shows (the company name at enrolment), not "Atrium"', async ({ page, browser }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  const api = await pageApi(page);
  const original = (await api.call('GET', '/api/v1/settings/company')).body.values.company_name;
  const issuer = `Issuer Test Co ${stamp()}`;
  expect((await api.call('PATCH', '/api/v1/settings/company', { company_name: issuer })).status).toBe(200);
  try {
    const m = await addMember(page, browser);
    const ctx = await browser.newContext({ baseURL: BASE });
    const other = watch(await ctx.newPage());
    try {
      await signIn(other, m.email, m.password);
      await expect(mainNav(other)).toBeVisible();
      await other.goto('/admin/profile/security');
      await other.getByRole('button', { name: 'Enable two-factor authentication' }).click();
      await expect(other.getByTestId('totp-issuer')).toContainText(`“${issuer}”`);
      const totp = await totpFromPage(other);
      await other.getByLabel('6-digit code').fill(totp.generate());
      await other.getByRole('button', { name: 'Activate' }).click();
      await other.getByRole('button', { name: 'I saved them' }).click();
      // Renaming the company does not rename the entry in the app.
      expect((await api.call('PATCH', '/api/v1/settings/company', { company_name: `${issuer} renamed` })).status).toBe(200);
      await signOut(other);
      await signIn(other, m.email, m.password);
      await expect(codeScreen(other)).toBeVisible();
      await expect(other.getByText(`enter the 6-digit code it shows for “${issuer}”.`)).toBeVisible();
      await expect(other.getByText('for Atrium')).toHaveCount(0);
      await other.getByLabel('6-digit code').fill(nextCode(totp));
      await other.getByRole('button', { name: 'Verify' }).click();
      await expect(mainNav(other)).toBeVisible();
    } finally {
      await ctx.close();
    }
  } finally {
    expect((await api.call('PATCH', '/api/v1/settings/company', { company_name: original })).status).toBe(200);
  }
});
