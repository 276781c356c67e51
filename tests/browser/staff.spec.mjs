// Access control in the browser, against a running server (the HTTP
// contract in docs/internals/http-api.md):
//   - an admin creates a role from the Sales Agent template, invites a
//     member with it; the member opens the link from the real invitation
//     email, sets a password and sees only what the role allows; the admin
//     gives them a role with staff:view and, after a reload, they see Staff;
//   - a member added with a temporary password must change it first;
//   - the SMTP settings tab and "Send test email";
//   - the seat limit is shown clearly when adding staff.
// Environment: ATRIUM_URL, ATRIUM_ADMIN_EMAIL, ATRIUM_ADMIN_PASSWORD, and for
// the email tests ATRIUM_MAILDIR + ATRIUM_SMTP_PORT (an SMTP sink on
// 127.0.0.1 writing each message to that directory; see mail.mjs).
import { BASE, EMAIL, PASSWORD, guardPages, mainNav, navLink, operatorSeats, pageApi, signIn, stamp, watch } from './common.mjs';
import { test, expect } from '@playwright/test';
import { mailEnv, setPasswordLink, snapshot, waitForMail } from './mail.mjs';

guardPages();



/** Points the server's SMTP settings at the test sink; leaves room for the staff the tests add. */
async function setUpServer(page, { smtp = true } = {}) {
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

/** Creates a role from the Sales Agent template in the UI; extra: [[module label, capability label]] to tick. */
async function createRoleFromTemplate(page, name, extra = []) {
  await navLink(page, 'Roles').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Roles' })).toBeVisible();
  await page.getByRole('link', { name: 'New role' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New role' })).toBeVisible();
  await page.getByRole('radio', { name: 'Template: Sales Agent' }).check();
  await expect(page.getByLabel('Name')).toHaveValue('Sales Agent'); // the template fills the form
  await expect(page.getByText('These modules are not available yet')).toHaveCount(0); // every module of the template exists
  await expect(page.getByRole('checkbox', { name: 'Proposals: View (all)' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Proposals: Delete' })).not.toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Leads: View own' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Leads: View (all)' })).not.toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Clients: View (all)' })).toBeChecked();
  for (const [mod, cap] of extra) await page.getByRole('checkbox', { name: `${mod}: ${cap}` }).check();
  await page.getByLabel('Name').fill(name);
  const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/roles');
  await page.getByRole('button', { name: 'Create role' }).click();
  const res = await created;
  expect(res.status()).toBe(201);
  await expect(page.getByRole('heading', { level: 1, name: `Role: ${name}` })).toBeVisible();
  return (await res.json()).id;
}

/** Opens Add staff and fills the identity fields. */
async function startAddStaff(page, { email, name, role }) {
  await navLink(page, 'Staff').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Staff' })).toBeVisible();
  await page.getByRole('link', { name: 'Add staff' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Add staff' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Email', exact: true }).fill(email);
  await page.getByLabel('Full name').fill(name);
  if (role) await page.getByLabel('Role', { exact: true }).selectOption({ label: role });
}

test('invite a member with a Sales Agent role; they see only their modules; a new role with staff:view shows Staff', async ({ page, browser }) => {
  const mail = mailEnv(); // fails here, clearly, without ATRIUM_MAILDIR / ATRIUM_SMTP_PORT
  const s = stamp();
  const agentRole = `Sales Agent ${s}`;
  const leadRole = `Sales Lead ${s}`;
  const member = { email: `agent.${s}@example.test`, name: `Agnes Agent ${s}`, password: `quartz-harbor-${s}-lantern` };

  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await setUpServer(page);

  await createRoleFromTemplate(page, agentRole);

  // Invite, with the welcome email (the default choice).
  const before = await snapshot(mail.dir);
  await startAddStaff(page, { ...member, role: agentRole });
  await expect(page.getByRole('radio', { name: 'Send welcome email with a password link' })).toBeChecked();
  const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/staff');
  await page.getByRole('button', { name: 'Add staff member' }).click();
  const res = await created;
  expect(res.status()).toBe(201);
  const staffId = (await res.json()).id;
  await expect(page).toHaveURL(new RegExp(`/admin/staff/${staffId}$`));
  await expect(page.getByRole('heading', { level: 1, name: member.name })).toBeVisible();
  await expect(page.getByText('Password not set yet')).toBeVisible();

  // The invitation, as the SMTP server received it.
  const message = await waitForMail({ dir: mail.dir, to: member.email, exclude: before, match: (m) => /set-password#token=/.test(m.body) });
  const link = new URL(setPasswordLink(message), BASE);

  // The member, in a browser of their own.
  const ctx = await browser.newContext({ baseURL: BASE });
  const other = watch(await ctx.newPage());
  try {
    await other.goto(link.pathname + link.hash);
    await expect(other.getByRole('heading', { name: 'Set your password' })).toBeVisible();
    await other.getByLabel('Password', { exact: true }).fill(member.password);
    await other.getByLabel('Confirm password').fill(member.password);
    await other.getByRole('button', { name: 'Set password' }).click();
    await expect(other).toHaveURL(/\/admin\/$/);
    await expect(other.getByTestId('user-name')).toHaveText(member.name);

    // Only what the role allows.
    await expect(navLink(other, 'Leads')).toBeVisible();
    await expect(navLink(other, 'Clients')).toBeVisible();
    for (const hidden of ['Staff', 'Roles', 'Settings', 'Departments', 'Teams', 'Email queue', 'Activity log']) {
      await expect(navLink(other, hidden), `${hidden} is not offered`).toHaveCount(0);
    }
    await navLink(other, 'Leads').click();
    await expect(other.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();

    // The used invitation link says so when opened again, before any typing.
    const again = watch(await ctx.newPage());
    await again.goto(link.pathname + link.hash);
    await expect(again.getByRole('alert')).toContainText('This link no longer works');
    await expect(again.getByLabel('Password', { exact: true })).toHaveCount(0);
    await expect(again.getByRole('alert').getByRole('link', { name: 'Sign in' })).toBeVisible();
    await again.close();

    // The admin: a role like theirs plus staff:view, given on the Details tab.
    await createRoleFromTemplate(page, leadRole, [['Staff', 'View (all)']]);
    await page.goto(`/admin/staff/${staffId}`);
    await expect(page.getByRole('tab', { name: 'Details' })).toHaveAttribute('aria-selected', 'true');
    await page.getByLabel('Role', { exact: true }).selectOption({ label: leadRole });
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH' && new URL(r.url()).pathname === `/api/v1/staff/${staffId}`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    const patch = await saved;
    expect(patch.status()).toBe(200);
    expect(patch.request().postDataJSON()).toEqual({ role_id: expect.any(Number) }); // only what changed
    await expect(page.getByText(`Role: ${leadRole}`)).toBeVisible();

    // The Access tab explains it.
    await page.getByRole('tab', { name: 'Access' }).click();
    const staffRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Staff', exact: true }) });
    await expect(staffRow).toContainText(`granted by role '${leadRole}'`);

    // The member, after a reload, sees Staff (and can open it), still not Roles or Settings.
    await other.reload();
    await expect(navLink(other, 'Staff')).toBeVisible();
    await expect(navLink(other, 'Roles')).toHaveCount(0);
    await expect(navLink(other, 'Settings')).toHaveCount(0);
    await navLink(other, 'Staff').click();
    await expect(other.getByRole('heading', { level: 1, name: 'Staff' })).toBeVisible();
    await expect(other.getByRole('row').filter({ hasText: member.email })).toHaveCount(1);
    await expect(other.getByRole('link', { name: 'Add staff' })).toHaveCount(0); // view only
  } finally {
    await ctx.close();
  }
});

test('a member with a temporary password must change it before anything else', async ({ page, browser }) => {
  const s = stamp();
  const member = { email: `temp.${s}@example.test`, name: `Tomas Temp ${s}`, temporary: `temporary-pass-${s}`, password: `my-own-password-${s}` };

  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await setUpServer(page, { smtp: false });

  await startAddStaff(page, member);
  await page.getByRole('radio', { name: 'Set a temporary password' }).check();
  await page.getByLabel('Temporary password', { exact: true }).fill(member.temporary);
  const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/staff');
  await page.getByRole('button', { name: 'Add staff member' }).click();
  const res = await created;
  expect(res.status()).toBe(201);
  const body = res.request().postDataJSON();
  expect(body.temporary_password).toBe(member.temporary);
  expect(body).not.toHaveProperty('send_welcome');
  await expect(page.getByRole('heading', { level: 1, name: member.name })).toBeVisible();
  await expect(page.getByText('Must change password')).toBeVisible();

  const ctx = await browser.newContext({ baseURL: BASE });
  const other = watch(await ctx.newPage());
  try {
    await signIn(other, member.email, member.temporary);
    await expect(other.getByRole('heading', { name: 'Change your password' })).toBeVisible();
    await expect(mainNav(other)).toHaveCount(0);

    // Every route shows only that screen.
    await other.goto('/admin/leads');
    await expect(other.getByRole('heading', { name: 'Change your password' })).toBeVisible();
    await expect(other).toHaveURL(/\/admin\/leads$/);
    await other.goto('/admin/');
    await expect(other.getByRole('heading', { name: 'Change your password' })).toBeVisible();

    // Mismatch is caught before sending; then the server's answer is used.
    await other.getByLabel('Current (temporary) password').fill(member.temporary);
    await other.getByLabel('New password', { exact: true }).fill(member.password);
    await other.getByLabel('Confirm new password').fill(`${member.password}x`);
    await other.getByRole('button', { name: 'Change password and continue' }).click();
    const confirm = other.getByLabel('Confirm new password');
    await expect(confirm).toHaveAttribute('aria-invalid', 'true');
    await expect(confirm).toBeFocused();
    await expect(confirm).toHaveAccessibleDescription(/do not match/);

    await confirm.fill(member.password);
    const changed = other.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/password/change');
    await other.getByRole('button', { name: 'Change password and continue' }).click();
    expect((await changed).status()).toBe(200);

    // Then the app works: the page they asked for, with the navigation; a reload keeps the new session.
    await expect(other).toHaveURL(/\/admin\/$/);
    await expect(other.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();
    await expect(mainNav(other)).toBeVisible();
    await expect(other.getByTestId('user-name')).toHaveText(member.name);
    await other.reload();
    await expect(other.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();

    // The new password signs in without the detour; the temporary one no longer does.
    await other.getByRole('button', { name: 'Sign out' }).click();
    await expect(other).toHaveURL(/\/login$/);
    await signIn(other, member.email, member.temporary);
    await expect(other.getByRole('alert')).toContainText(/invalid email or password/i);
    await other.getByLabel('Password').fill(member.password);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await expect(other).toHaveURL(/\/admin\/$/);
    await expect(other.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();
  } finally {
    await ctx.close();
  }

  // The admin sees the flag gone.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: member.name })).toBeVisible();
  await expect(page.getByText('Must change password')).toHaveCount(0);
});

test('SMTP settings: only changed keys are sent, every field error is shown, the test email arrives', async ({ page }) => {
  const mail = mailEnv();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await setUpServer(page);

  await navLink(page, 'Settings').click();
  await page.getByRole('tab', { name: 'Email (SMTP)' }).click();
  await expect(page).toHaveURL(/tab=email/);
  const form = page.getByRole('form', { name: 'Outgoing email (SMTP)' });
  await expect(form.getByLabel('SMTP host')).toHaveValue('127.0.0.1');
  await expect(form.getByLabel('Port')).toHaveValue(String(mail.port));
  const password = form.getByLabel('Password', { exact: true });
  await expect(password).toHaveValue(''); // write-only

  // Two bad fields at once: both shown, the first focused.
  await form.getByLabel('SMTP host').fill('not a host!');
  await form.getByLabel('Port').fill('70000');
  const bad = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await form.getByRole('button', { name: 'Save SMTP settings' }).click();
  const badRes = await bad;
  expect(badRes.status()).toBe(422);
  expect(badRes.request().postDataJSON()).toEqual({ smtp_host: 'not a host!', smtp_port: 70000 });
  await expect(form.getByLabel('SMTP host')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('Port')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('SMTP host')).toBeFocused();

  // Fix them and change one more key: only the changed keys go out.
  const name = `Atrium tests ${stamp()}`;
  await form.getByLabel('SMTP host').fill('127.0.0.1');
  await form.getByLabel('Port').fill(String(mail.port));
  await form.getByLabel('From name').fill(name);
  const good = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await form.getByRole('button', { name: 'Save SMTP settings' }).click();
  const goodRes = await good;
  expect(goodRes.status()).toBe(200);
  expect(goodRes.request().postDataJSON()).toEqual({ smtp_from_name: name });
  await expect(form.getByLabel('SMTP host')).not.toHaveAttribute('aria-invalid', 'true');

  // Send test email: asks for the recipient, shows the server's answer, and it arrives.
  const before = await snapshot(mail.dir);
  const to = `smtp-test.${stamp()}@example.test`;
  await form.getByRole('button', { name: 'Send test email' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send a test email' });
  await dialog.getByLabel('Send to').fill(to);
  await dialog.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(dialog.getByRole('status').or(dialog.getByRole('alert'))).toContainText(/accepted|Server: 2\d\d/);
  await expect(dialog).toContainText(/Server: 2\d\d/);
  await waitForMail({ dir: mail.dir, to, exclude: before });
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);

  // A password with security "None" needs the explicit confirmation: the
  // server names the field, and ticking the box (with the password) saves.
  await form.getByLabel('Password', { exact: true }).fill('relay-password-on-loopback');
  const refused = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await form.getByRole('button', { name: 'Save SMTP settings' }).click();
  expect((await refused).status()).toBe(422);
  await expect(form.getByLabel('Security', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('Security', { exact: true })).toHaveAccessibleDescription(/in clear/);
  await form.getByLabel('Send the password without encryption (security “None”)').check();
  const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await form.getByRole('button', { name: 'Save SMTP settings' }).click();
  const savedRes = await saved;
  expect(savedRes.status()).toBe(200);
  expect(savedRes.request().postDataJSON()).toEqual({ smtp_password: 'relay-password-on-loopback', smtp_plaintext_password: true });
  // Changing the host afterwards clears the stored password (not resent).
  const back = await (await pageApi(page)).call('PATCH', '/api/v1/settings/smtp',
    { smtp_host: 'localhost', smtp_plaintext_password: false });
  expect(back.body.values.smtp_password_set).toBe(false);
  await (await pageApi(page)).call('PATCH', '/api/v1/settings/smtp', { smtp_host: '127.0.0.1' });
});

test('the seat limit is explained when adding staff', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await setUpServer(page, { smtp: false });
  const seats = (await api.call('GET', '/api/v1/settings/seats')).body.values;
  const active = (await api.call('GET', '/api/v1/staff?active=true&limit=1')).body.total;
  try {
    // The operator leaves exactly as many seats as active staff.
    operatorSeats({ members_included: active, extra_seats: 0 });

    const s = stamp();
    await startAddStaff(page, { email: `seat.${s}@example.test`, name: `Seat ${s}` });
    await page.getByRole('button', { name: 'Add staff member' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Seat limit reached' });
    await expect(alert).toBeVisible();
    await expect(alert).toContainText(String(active)); // the numbers, as the server says them
    await expect(alert).toContainText(/deactivat/i); // and how to free a seat
    await expect(page).toHaveURL(/\/admin\/staff\/new$/);
  } finally {
    operatorSeats(seats);
  }
});

test('offboarding: an override grants access, deactivation ends it at once, delete offers deactivation first and reassigns', async ({ page, browser }) => {
  const s = stamp();
  const member = { email: `leaver.${s}@example.test`, name: `Lee Leaver ${s}`, temporary: `temporary-pass-${s}`, password: `maple-orbit-${s}-violin` };
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const api = await setUpServer(page, { smtp: false });
  const me = (await api.call('GET', '/api/v1/auth/me')).body.staff;

  // A member without a role, signed in elsewhere, and a lead assigned to them.
  const created = await api.call('POST', '/api/v1/staff', { email: member.email, name: member.name, temporary_password: member.temporary });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id;
  const lead = await api.call('POST', '/api/v1/leads', { name: `Lead of ${member.name}`, assigned_to: id });
  expect(lead.status, JSON.stringify(lead.body)).toBe(201);

  const ctx = await browser.newContext({ baseURL: BASE });
  const other = watch(await ctx.newPage());
  try {
    await signIn(other, member.email, member.temporary);
    await other.getByLabel('Current (temporary) password').fill(member.temporary);
    await other.getByLabel('New password', { exact: true }).fill(member.password);
    await other.getByLabel('Confirm new password').fill(member.password);
    await other.getByRole('button', { name: 'Change password and continue' }).click();
    await expect(other.getByRole('heading', { level: 1, name: /Welcome/ })).toBeVisible();
    await expect(navLink(other, 'Leads')).toHaveCount(0); // no role: nothing

    // Details: a change made meanwhile elsewhere is not overwritten (If-Match → 412).
    await page.goto(`/admin/staff/${id}`);
    await expect(page.getByRole('heading', { level: 1, name: member.name })).toBeVisible();
    const current = await api.call('GET', `/api/v1/staff/${id}`);
    const patched = await api.call('PATCH', `/api/v1/staff/${id}`, { name: `${member.name} (renamed)` }, { 'If-Match': current.headers.etag });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await page.getByLabel('Full name').fill(`${member.name} (mine)`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'changed by someone else' })).toBeVisible();
    await page.getByRole('button', { name: 'Reload the latest version' }).click();
    await expect(page.getByLabel('Full name')).toHaveValue(`${member.name} (renamed)`);

    // Permissions tab (reached with the keyboard): an individual override allows viewing all leads.
    await page.getByRole('tab', { name: 'Details' }).focus();
    await page.keyboard.press('ArrowRight');
    const permTab = page.getByRole('tab', { name: 'Permissions' });
    await expect(permTab).toBeFocused();
    await expect(permTab).toHaveAttribute('aria-selected', 'true');
    await expect(page).toHaveURL(/tab=permissions/);
    const cell = page.getByRole('combobox', { name: 'Leads: View (all)' });
    await expect(cell).toHaveValue('inherit');
    await cell.selectOption('allow');
    const put = page.waitForResponse((r) => r.request().method() === 'PUT');
    await page.getByRole('button', { name: 'Save permissions' }).click();
    const putRes = await put;
    expect(putRes.status()).toBe(200);
    expect(putRes.request().postDataJSON()).toEqual({ overrides: { leads: { view: 'allow' } } });
    await expect(page.getByText('Permissions saved')).toBeVisible();
    await page.getByRole('tab', { name: 'Access' }).click();
    const leadsRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Leads', exact: true }) });
    await expect(leadsRow).toContainText('allowed by an individual override');

    await other.reload();
    await expect(navLink(other, 'Leads')).toBeVisible();

    // Deactivate: confirmed, and their session ends now.
    await page.getByRole('button', { name: 'Deactivate' }).click();
    const confirm = page.getByRole('dialog', { name: `Deactivate ${member.name} (renamed)?` });
    await expect(confirm).toContainText('session');
    await confirm.getByRole('button', { name: 'Deactivate now' }).click();
    await expect(page.getByText('This account is deactivated')).toBeVisible();
    await other.reload();
    await expect(other).toHaveURL(/\/login/);
  } finally {
    await ctx.close();
  }

  // Delete: the spec's advice first, then a reassignment target is required.
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  const first = page.getByRole('dialog', { name: `Delete ${member.name} (renamed)?` });
  await expect(first).toContainText('Deactivate instead? The spec: never delete an employee — deactivate.');
  await first.getByRole('button', { name: 'Delete anyway…' }).click();
  const dialog = page.getByRole('dialog', { name: /and reassign their records/ });
  const target = dialog.getByLabel('Reassign their records to');
  await expect(target).toBeFocused();
  await dialog.getByRole('button', { name: 'Delete and reassign' }).click();
  await expect(target).toHaveAttribute('aria-invalid', 'true');
  await expect(target).toHaveAccessibleDescription(/Choose who takes over/);
  await target.selectOption(String(me.id));
  const del = page.waitForResponse((r) => r.request().method() === 'DELETE');
  await dialog.getByRole('button', { name: 'Delete and reassign' }).click();
  expect((await del).status()).toBe(200);
  await expect(dialog).toContainText(`${member.name} (renamed) was deleted`);
  const countRow = dialog.getByRole('row').filter({ hasText: 'as assignee' }).filter({ hasText: 'Leads' });
  await expect(countRow).toContainText('1');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Staff' })).toBeVisible();
  const moved = await api.call('GET', `/api/v1/leads/${lead.body.id}`);
  expect(moved.body.assigned_to).toBe(me.id);
});

test('without SMTP, Add staff warns and offers the temporary password first', async ({ page }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  const api = await pageApi(page);
  expect((await api.call('PATCH', '/api/v1/settings/smtp', { smtp_host: null })).status).toBe(200);
  try {
    await page.goto('/admin/staff/new');
    const warning = page.getByTestId('smtp-warning');
    await expect(warning).toContainText('Outgoing email is not set up');
    await expect(warning.getByRole('link', { name: 'Email settings' })).toBeVisible();
    await expect(page.getByRole('radio', { name: /temporary password/i })).toBeChecked();
    await expect(page.getByLabel(/^Temporary password/)).toBeVisible();
  } finally {
    await setUpServer(page);
  }
  await page.goto('/admin/staff/new');
  await expect(page.getByRole('radio', { name: /welcome email/i })).toBeChecked();
  await expect(page.getByTestId('smtp-warning')).toHaveCount(0);
});

test('the Seats tab shows the operator\'s seats read-only, and the usage follows them', async ({ page }) => {
  await signIn(page);
  await expect(mainNav(page)).toBeVisible();
  await setUpServer(page);
  await page.goto('/admin/settings?tab=seats');
  const usage = page.getByTestId('seat-usage');
  await expect(usage).toContainText(/\d+ of \d+ seats in use/);
  const [, active, limit] = /(\d+) of (\d+) seats in use/.exec(await usage.textContent()).map(Number);
  const extra = page.getByLabel('Extra seats');
  await expect(extra).toBeDisabled();
  await expect(page.getByLabel('Members included in the licence')).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Save seats' })).toHaveCount(0);
  await expect(page.getByText('The operator of this installation sets both')).toBeVisible();
  const before = Number(await extra.inputValue());
  operatorSeats({ extra_seats: before + 3 });
  try {
    await page.reload();
    await expect(usage).toContainText(`${active} of ${limit + 3} seats in use`);
    await expect(page.getByLabel('Extra seats')).toHaveValue(String(before + 3));
  } finally {
    operatorSeats({ extra_seats: before });
  }
});
