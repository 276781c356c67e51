// The client portal (/portal, issue 12), end to end against the real
// server: an administrator invites a contact from the contact's page; the
// contact opens the emailed link (read from the SMTP sink), sets a
// password, signs in, sees their client's ticket with the staff reply,
// replies, opens a new ticket with a file, turns two-factor on (codes made
// by the npm `otpauth` library, not by Atrium) and signs in again with a
// code; the staff see the reply in the ticket's conversation and use the
// contact card's "Sign out everywhere" and "Remove two-factor". A contact
// without the contracts permission has no Contracts link and gets 403 from
// the API. Environment: as every spec (common.mjs) plus ATRIUM_MAILDIR and
// ATRIUM_SMTP_PORT (mail.mjs).
import { test, expect } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import { BASE, guardPages, pageApi, signIn, sql, stamp, watch } from './common.mjs';
import { mailEnv, setPasswordLink, snapshot, waitForMail } from './mail.mjs';

guardPages();
test.describe.configure({ mode: 'serial' });

// The custom fields this spec made go, so other specs' contract forms stay as they were.
test.afterAll(async ({ browser }) => {
  const ids = [seed.cfShown, seed.cfHidden].filter(Boolean).map((f) => f.id);
  if (!ids.length) return;
  const ctx = await browser.newContext({ baseURL: BASE });
  try {
    const page = await ctx.newPage();
    await signIn(page);
    await expect(page).toHaveURL(/\/admin\/$/);
    const { call } = await pageApi(page);
    for (const id of ids) expect((await call('DELETE', `/api/v1/custom_fields/${id}?confirm=true`)).status).toBe(204);
  } finally {
    await ctx.close();
  }
});

const tag = stamp();
const seed = {};
const ana = { first: 'Ana', last: `Pop ${tag}`, email: `ana.${tag}@client.example`, password: `amber-lantern-orchard-${tag}` };
const ion = { first: 'Ion', last: `Rus ${tag}`, email: `ion.${tag}@client.example`, password: `copper-meadow-thistle-${tag}` };
let totp = null;

/** The portal's navigation. */
const portalNav = (page) => page.getByRole('navigation', { name: 'Portal' });

/** The code of the next 30-second step: the one just used cannot be used again. */
const nextCode = (generator) => generator.generate({ timestamp: Date.now() + 30_000 });

/** Signs in at the portal with email and password (the code step is left to the caller). */
async function portalSignIn(page, who) {
  await page.goto('/portal/sign-in');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The set-password link of the newest email to `to` after `before`. */
async function emailedLink(to, before) {
  const message = await waitForMail({ dir: mailEnv().dir, to, exclude: before, match: (m) => /\/portal\/set-password#token=/.test(m.body) });
  const link = new URL(setPasswordLink(message), BASE);
  expect(link.pathname).toBe('/portal/set-password');
  return link;
}

test('setup: SMTP to the sink, a client with a contract, a department, a ticket answered by staff, two contacts', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const { host, port } = mailEnv();
  const smtp = await call('PATCH', '/api/v1/settings/smtp', { smtp_host: host, smtp_port: port, smtp_security: 'none',
    smtp_email: 'atrium@example.test', smtp_from_name: 'Atrium tests' });
  expect(smtp.status, JSON.stringify(smtp.body)).toBe(200);
  const ok = (r, status = 201) => { expect(r.status, JSON.stringify(r.body)).toBe(status); return r.body; };
  seed.client = ok(await call('POST', '/api/v1/clients', { company: `Client ${tag}` }));
  seed.other = ok(await call('POST', '/api/v1/clients', { company: `Other ${tag}` }));
  seed.department = ok(await call('POST', '/api/v1/departments', { name: `Support ${tag}` }));
  // Custom fields on contracts: one shown on the portal, one not (both removed after the spec).
  seed.cfShown = ok(await call('POST', '/api/v1/custom_fields', { entity: 'contract', type: 'text', label: `Purchase order ${tag}`,
    slug: `po_${tag}`, show_on_client_portal: true }));
  seed.cfHidden = ok(await call('POST', '/api/v1/custom_fields', { entity: 'contract', type: 'text', label: `Margin note ${tag}`,
    slug: `margin_${tag}` }));
  seed.contract = ok(await call('POST', '/api/v1/contracts', { subject: `Maintenance ${tag}`, client_id: seed.client.id,
    value: '1250.50', currency: 'EUR', signed: true, description: `Monthly visits <b>${tag}</b>`,
    custom_fields: { [`po_${tag}`]: `PO-${tag}`, [`margin_${tag}`]: `secret-${tag}` } }));
  seed.project = ok(await call('POST', '/api/v1/projects', { name: `Website ${tag}`, client_id: seed.client.id }));
  ana.id = ok(await call('POST', '/api/v1/contacts', { first_name: ana.first, last_name: ana.last, email: ana.email,
    client_id: seed.client.id })).id;
  ion.id = ok(await call('POST', '/api/v1/contacts', { first_name: ion.first, last_name: ion.last, email: ion.email,
    client_id: seed.client.id, portal_contracts: false })).id;
  seed.ticket = ok(await call('POST', '/api/v1/tickets', { subject: `Printer offline ${tag}`, client_id: seed.client.id,
    contact_id: ana.id, department_id: seed.department.id, message: 'The printer on floor 2 shows offline.' }));
  ok(await call('POST', `/api/v1/tickets/${seed.ticket.id}/replies`, { body: `Staff here: please restart it ${tag}.`, internal: false }));
  ok(await call('POST', `/api/v1/tickets/${seed.ticket.id}/replies`, { body: `Internal: ask the vendor ${tag}.`, internal: true }));
  // A ticket of another client, which the contact must never see.
  seed.foreign = ok(await call('POST', '/api/v1/tickets', { subject: `Foreign ${tag}`, client_id: seed.other.id,
    message: 'Not yours.' }));
});

test('an administrator invites a contact from the contact page; the card shows the invitation', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const before = await snapshot(mailEnv().dir);
  await page.goto(`/admin/contacts/${ana.id}`);
  const card = page.getByTestId('contact-portal');
  await expect(card.getByRole('heading', { name: 'Client portal' })).toBeVisible();
  await expect(card.getByTestId('portal-state')).toHaveText('Not invited');
  await expect(card.getByTestId('portal-access')).toHaveText('Not allowed');
  // The portal permissions are fields of the contact's form.
  await expect(page.getByLabel('Portal: tickets')).toBeChecked();
  await card.getByRole('button', { name: 'Send invitation' }).click();
  // The invitation turned portal access on: the page is drawn again, the
  // form and the card say so, and the card repeats the result.
  await expect(page.getByTestId('contact-portal').locator('.alert-success')).toContainText(`Invitation sent to ${ana.email}`);
  await expect(page.getByTestId('contact-portal').getByTestId('portal-state')).toContainText('Invited; the link expires');
  await expect(page.getByTestId('contact-portal').getByTestId('portal-access')).toHaveText('Allowed');
  await expect(page.getByLabel('Portal access', { exact: true })).toBeChecked();
  await expect(page.getByTestId('contact-portal').getByRole('button', { name: 'Send a new invitation' })).toBeVisible();
  ana.link = await emailedLink(ana.email, before);
});

test('the contact sets a password from the emailed link, signs in and sees their client\'s ticket with the staff reply', async ({ browser }) => {
  const ctx = await browser.newContext({ baseURL: BASE });
  const page = watch(await ctx.newPage());
  try {
    await page.goto(ana.link.pathname + ana.link.hash);
    await expect(page.getByRole('heading', { name: 'Set your password' })).toBeVisible();
    // Too short: refused under the field, tied to it for screen readers.
    await page.getByLabel('New password').fill('short');
    await page.getByLabel('Repeat the password').fill('short');
    await page.getByRole('button', { name: 'Set password' }).click();
    const input = page.getByLabel('New password');
    await expect(input).toHaveAttribute('aria-invalid', 'true');
    const describedBy = (await input.getAttribute('aria-describedby')).split(' ');
    await expect(page.locator(`#${describedBy[describedBy.length - 1]}`)).toContainText(/password/i);
    await input.fill(ana.password);
    await page.getByLabel('Repeat the password').fill(ana.password);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page).toHaveURL(/\/portal\/sign-in/);
    await expect(page.getByText('Your password is set')).toBeVisible();

    // A wrong password: the server's words, the password field emptied.
    await page.getByLabel('Email').fill(ana.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toContainText(/invalid email or password/i);

    await page.getByLabel('Password').fill(ana.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/portal\/tickets$/);
    await expect(page.getByTestId('portal-contact')).toHaveText(`${ana.first} ${ana.last}`);
    await expect(page.getByText(`Client ${tag}`)).toBeVisible();
    for (const name of ['Tickets', 'Contracts', 'Projects', 'Account']) {
      await expect(portalNav(page).getByRole('link', { name, exact: true })).toBeVisible();
    }
    await expect(page.getByRole('link', { name: `Printer offline ${tag}` })).toBeVisible();
    await expect(page.getByRole('link', { name: `Foreign ${tag}` })).toHaveCount(0);

    await page.getByRole('link', { name: `Printer offline ${tag}` }).click();
    await expect(page.getByRole('heading', { level: 1, name: `Printer offline ${tag}` })).toBeFocused();
    const thread = page.getByRole('region', { name: 'Conversation' });
    await expect(thread.locator('[data-from="staff"]')).toContainText(`Staff here: please restart it ${tag}.`);
    await expect(thread.locator('[data-from="staff"]')).toContainText('Support team');
    await expect(thread).toContainText('The printer on floor 2 shows offline.');
    await expect(thread).not.toContainText(`Internal: ask the vendor ${tag}.`);

    // A reply, shown as the contact's and not the staff's.
    await thread.getByLabel('Your reply').fill(`Restarted, still offline ${tag}.`);
    await thread.getByRole('button', { name: 'Send reply' }).click();
    await expect(thread.locator('[data-from="contact"]').last()).toContainText(`Restarted, still offline ${tag}.`);
    await expect(thread.locator('[data-from="staff"]')).toHaveCount(1);

    // Another client's ticket is not found, whatever its number.
    await page.goto(`/portal/tickets/${seed.foreign.id}`);
    await expect(page.getByRole('heading', { level: 1, name: 'Not found' })).toBeVisible();
  } finally {
    await ctx.close();
  }
});

test('the contact opens a new ticket with a file, sees contracts and projects, turns two-factor on; the staff see it all and act on the contact', async ({ page: staff, browser }) => {
  const ctx = await browser.newContext({ baseURL: BASE });
  const page = watch(await ctx.newPage());
  try {
    await portalSignIn(page, ana);
    await expect(page).toHaveURL(/\/portal\/tickets$/);
    await page.getByRole('link', { name: 'New ticket' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'New ticket' })).toBeFocused();
    // Nothing filled in: each missing field says so under itself.
    await page.getByRole('button', { name: 'Open the ticket' }).click();
    await expect(page.getByRole('textbox', { name: 'Subject' })).toHaveAttribute('aria-invalid', 'true');
    await page.getByRole('textbox', { name: 'Subject' }).fill(`VPN drops ${tag}`);
    await page.getByLabel('Department').selectOption({ label: `Support ${tag}` });
    await page.getByLabel('Priority').selectOption('high');
    await page.getByRole('textbox', { name: 'Message' }).fill('The VPN drops every ten minutes.');
    await page.getByLabel('Attach a file (optional)').setInputFiles({ name: `trace-${tag}.pdf`, mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4 trace') });
    await page.getByRole('button', { name: 'Open the ticket' }).click();
    await expect(page.getByRole('heading', { level: 1, name: `VPN drops ${tag}` })).toBeVisible();
    seed.newTicket = Number(/\/portal\/tickets\/(\d+)$/.exec(page.url())[1]);
    const files = page.getByRole('region', { name: 'Files' });
    const link = files.getByRole('link', { name: `trace-${tag}.pdf` });
    await expect(link).toBeVisible();
    const download = page.waitForEvent('download');
    await link.click();
    expect((await download).suggestedFilename()).toBe(`trace-${tag}.pdf`);

    // Contracts and projects, with their pages.
    await portalNav(page).getByRole('link', { name: 'Contracts' }).click();
    const find = page.getByRole('searchbox', { name: /Search contracts/ });
    await find.fill(`no-such-contract-${tag}`);
    await find.press('Enter');
    await expect(page.getByText('Nothing matches')).toBeVisible();
    await expect(page).toHaveURL(new RegExp(`q=no-such-contract-${tag}`));
    // Found by its number (given when it was signed), shown in its column.
    expect(seed.contract.number).toBeTruthy();
    await find.fill(seed.contract.number);
    await find.press('Enter');
    await expect(page.getByRole('cell', { name: seed.contract.number, exact: true })).toBeVisible();
    await page.getByRole('link', { name: `Maintenance ${tag}` }).click();
    await expect(page.getByRole('heading', { level: 1, name: `Maintenance ${tag}` })).toBeFocused();
    await expect(page.getByText(/1,250\.50 EUR/)).toBeVisible();
    // The description as text, and only the custom field marked for the portal, by its label.
    await expect(page.getByText(`Monthly visits <b>${tag}</b>`)).toBeVisible();
    const details = page.getByRole('region', { name: 'Details' });
    await expect(details.getByRole('term')).toHaveText([`Purchase order ${tag}`]);
    await expect(details.getByRole('definition')).toHaveText([`PO-${tag}`]);
    await expect(page.getByText(`secret-${tag}`)).toHaveCount(0);
    await portalNav(page).getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('link', { name: `Website ${tag}` }).click();
    await expect(page.getByRole('heading', { level: 1, name: `Website ${tag}` })).toBeVisible();

    // Their own details: a required first name, then a phone and a job title saved.
    await portalNav(page).getByRole('link', { name: 'Account' }).click();
    await page.getByLabel('First name').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByLabel('First name')).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('First name').fill('Ana');
    await page.getByLabel('Phone').fill('+40 721 000 222');
    await page.getByLabel('Job title').fill('Buyer');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('Your details are saved.')).toBeVisible();
    const profile = await (await page.request.get('/api/v1/portal/profile')).json();
    expect([profile.phone, profile.position]).toEqual(['+40 721 000 222', 'Buyer']);

    // Two-factor on: the password again, then the key (QR and text) and a code.
    await expect(page.getByTestId('portal-2fa-state')).toContainText('Off');
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await page.getByLabel('Your password').fill(ana.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('img', { name: /QR code/ })).toBeVisible();
    expect(await page.getByRole('img', { name: /QR code/ }).getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    const secret = (await page.getByTestId('portal-totp-secret').textContent()).replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    const uri = await page.getByTestId('portal-otpauth-link').getAttribute('href');
    expect(OTPAuth.URI.parse(uri).secret.base32).toBe(secret);
    totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
    await page.getByLabel('6-digit code').fill('000000');
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await expect(page.getByLabel('6-digit code')).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('6-digit code').fill(totp.generate());
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await expect(page.getByTestId('portal-2fa-state')).toContainText('On');

    // Signed out, then in again: the code is asked after the password.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByText('You are signed out.')).toBeVisible();
    await page.goto('/portal/tickets');
    await expect(page).toHaveURL(/\/portal\/sign-in\?next=%2Fportal%2Ftickets/);
    await page.getByLabel('Email').fill(ana.email);
    await page.getByLabel('Password').fill(ana.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Two-factor code' })).toBeVisible();
    // Until the code is given, the records stay closed.
    expect((await page.request.get('/api/v1/portal/tickets')).status()).toBe(401);
    await page.getByLabel('6-digit code').fill(nextCode(totp));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page).toHaveURL(/\/portal\/tickets$/);
    await expect(page.getByRole('link', { name: `VPN drops ${tag}` })).toBeVisible();

    // The staff, meanwhile: the reply and the new ticket's file, the card.
    await signIn(staff);
    await expect(staff).toHaveURL(/\/admin\/$/);
    await staff.goto(`/admin/tickets/${seed.ticket.id}`);
    await expect(staff.getByRole('region', { name: 'Conversation' })).toContainText(`Restarted, still offline ${tag}.`);
    await staff.goto(`/admin/tickets/${seed.newTicket}`);
    await expect(staff.getByRole('region', { name: 'Files' }).getByRole('link', { name: `trace-${tag}.pdf` })).toBeVisible();

    await staff.goto(`/admin/contacts/${ana.id}`);
    const card = staff.getByTestId('contact-portal');
    await expect(card.getByTestId('portal-state')).toHaveText('Active (has a password)');
    await expect(card.getByTestId('portal-2fa')).toHaveText('On');
    await expect(card.getByTestId('portal-last-login')).not.toHaveText('Never');
    await expect(card.getByTestId('portal-sessions')).not.toHaveText('0');

    await card.getByRole('button', { name: 'Remove two-factor' }).click();
    await staff.getByRole('dialog').getByRole('button', { name: 'Remove two-factor' }).click();
    await expect(card.locator('.alert-success')).toContainText('removed');
    await expect(card.getByTestId('portal-2fa')).toHaveText('Off');

    await card.getByRole('button', { name: 'Sign out everywhere' }).click();
    await staff.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere' }).click();
    await expect(card.locator('.alert-success')).toContainText('signed out of the portal everywhere');
    await expect(card.getByTestId('portal-sessions')).toHaveText('0');

    // The contact's next step finds the session ended and goes to sign in,
    // which returns there; without two-factor now, the password is enough.
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Projects' }).click();
    await expect(page).toHaveURL(/\/portal\/sign-in\?reason=ended/);
    await expect(page.getByText('Your session ended')).toBeVisible();
    await page.getByLabel('Email').fill(ana.email);
    await page.getByLabel('Password').fill(ana.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/portal\/projects$/);
  } finally {
    await ctx.close();
  }
});

test('a contact without the contracts permission has no Contracts link and gets 403 from the API', async ({ page, browser }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const before = await snapshot(mailEnv().dir);
  const invite = await call('POST', `/api/v1/contacts/${ion.id}/portal/invite`);
  expect(invite.status, JSON.stringify(invite.body)).toBe(202);
  const link = await emailedLink(ion.email, before);

  const ctx = await browser.newContext({ baseURL: BASE });
  const contact = watch(await ctx.newPage());
  try {
    await contact.goto(link.pathname + link.hash);
    await contact.getByLabel('New password').fill(ion.password);
    await contact.getByLabel('Repeat the password').fill(ion.password);
    await contact.getByRole('button', { name: 'Set password' }).click();
    await expect(contact.getByText('Your password is set')).toBeVisible();
    await contact.getByLabel('Email').fill(ion.email);
    await contact.getByLabel('Password').fill(ion.password);
    await contact.getByRole('button', { name: 'Sign in' }).click();
    await expect(contact).toHaveURL(/\/portal\/tickets$/);
    await expect(portalNav(contact).getByRole('link', { name: 'Projects' })).toBeVisible();
    await expect(portalNav(contact).getByRole('link', { name: 'Contracts' })).toHaveCount(0);
    const api = await contact.request.get('/api/v1/portal/contracts');
    expect(api.status()).toBe(403);
    const one = await contact.request.get(`/api/v1/portal/contracts/${seed.contract.id}`);
    expect(one.status()).toBe(403);
    // The page itself says these are not shared, without asking the server.
    await contact.goto('/portal/contracts');
    await expect(contact.getByRole('heading', { level: 1, name: 'Not available to you' })).toBeVisible();
    // The staff's session does not open the portal, and the contact's does not open the admin API.
    expect((await page.request.get('/api/v1/portal/tickets')).status()).toBe(401);
    expect((await contact.request.get('/api/v1/contacts')).status()).toBe(401);
  } finally {
    await ctx.close();
  }
});

test('forgotten password: the page always says a link was sent, and the link arrives for a contact with access', async ({ browser }) => {
  const ctx = await browser.newContext({ baseURL: BASE });
  const page = watch(await ctx.newPage());
  try {
    const before = await snapshot(mailEnv().dir);
    await page.goto('/portal/sign-in');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Forgotten password' })).toBeFocused();
    await page.getByLabel('Email').fill(`nobody.${tag}@client.example`);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await expect(page.getByText('If the address is known')).toBeVisible();
    await page.goto('/portal/forgot-password');
    await page.getByLabel('Email').fill(ion.email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await expect(page.getByText('If the address is known')).toBeVisible();
    ion.resetLink = await emailedLink(ion.email, before);
  } finally {
    await ctx.close();
  }
});

test('the emailed reset link sets a new password once; the contact signs in with it', async ({ browser }) => {
  const ctx = await browser.newContext({ baseURL: BASE });
  const page = watch(await ctx.newPage());
  const link = ion.resetLink;
  try {
    ion.password = `granite-harbour-willow-${tag}`;
    await page.goto(link.pathname + link.hash);
    await page.getByLabel('New password').fill(ion.password);
    await page.getByLabel('Repeat the password').fill(ion.password);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page.getByText('Your password is set')).toBeVisible();
    // The link works once.
    await page.goto(link.pathname + link.hash);
    await page.getByLabel('New password').fill(`${ion.password}-again`);
    await page.getByLabel('Repeat the password').fill(`${ion.password}-again`);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page.getByText('This link no longer works')).toBeVisible();
    await portalSignIn(page, ion);
    await expect(page).toHaveURL(/\/portal\/tickets$/);
  } finally {
    await ctx.close();
  }
});

test('a password past the maximum age is replaced before anything else', async ({ page, browser }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const maxAge = (v) => call('PATCH', '/api/v1/settings/security', { password_max_age_days: v });
  expect((await maxAge(1)).status).toBe(200);
  const ctx = await browser.newContext({ baseURL: BASE });
  try {
    // Two days old (a state written to the database, not waited for).
    sql(`UPDATE portal_account SET password_changed_at = '${new Date(Date.now() - 2 * 86400000).toISOString()}' WHERE contact_id = ${ion.id}`);
    const contact = watch(await ctx.newPage());
    await portalSignIn(contact, ion);
    await expect(contact.getByRole('heading', { level: 1, name: 'Choose a new password' })).toBeVisible();
    await expect(contact.getByRole('navigation', { name: 'Portal' })).toHaveCount(0);
    await contact.getByLabel('Current password').fill(ion.password);
    ion.password = `slate-orchard-bramble-${tag}`;
    await contact.getByLabel(/^New password/).fill(ion.password);
    await contact.getByLabel('Repeat the new password').fill(`${ion.password}x`);
    await contact.getByRole('button', { name: 'Change password' }).click();
    await expect(contact.getByLabel('Repeat the new password')).toHaveAttribute('aria-invalid', 'true');
    await contact.getByLabel('Repeat the new password').fill(ion.password);
    await contact.getByRole('button', { name: 'Change password' }).click();
    await expect(contact).toHaveURL(/\/portal\/tickets$/);
    await expect(contact.getByRole('heading', { level: 1, name: 'Tickets' })).toBeVisible();
  } finally {
    await ctx.close();
    expect((await maxAge(null)).status).toBe(200);
  }
});

test('before sign-in the portal speaks the browser\'s language and follows the system\'s dark theme', async ({ browser }) => {
  const ctx = await browser.newContext({ baseURL: BASE, locale: 'ro-RO', colorScheme: 'dark' });
  const page = watch(await ctx.newPage());
  try {
    await page.goto('/portal/tickets');
    await expect(page).toHaveURL(/\/portal\/sign-in\?next=%2Fportal%2Ftickets/);
    await expect(page.getByRole('heading', { level: 1, name: 'Autentificare' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'ro');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await page.getByLabel('Email').fill(ion.email);
    await page.getByLabel('Parolă').fill('not-the-password');
    await page.getByRole('button', { name: 'Autentificare' }).click();
    await expect(page.getByRole('alert')).toHaveText('Email sau parolă greșită.');
    await page.getByRole('link', { name: 'Ați uitat parola?' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Parolă uitată' })).toBeFocused();
  } finally {
    await ctx.close();
  }
});
