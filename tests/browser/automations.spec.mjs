// Workflow automations in the web admin (issue 14), through the screens:
// an automation built from scratch (a lead created, the source is "web";
// notify a member with the lead's name, then create a task), its
// unclosed template refused beside the title's input and fixed; turned
// on, a matching lead runs it: the run is "done" in its history with its
// steps, the notification is in the bell, the lead's page lists the run;
// each path of a refusal (the cron, a recipient, a title, a nested
// condition's value) beside its own control; a standard automation used and saved (and one that still needs a role
// says so beside the recipients); test mode shows what each step would
// do and writes nothing; the list filters by state, turns a selection
// off and exports it; a member without automations.view has no row in
// the navigation and gets "Page not found"; names are text, never HTML;
// a member who builds automations runs them as themselves and only views
// another member's (no Edit, Test or selection).
// Each walk is its own test; what a walk needs first is made through the
// API.
import { test, expect } from '@playwright/test';
import { addMember, guardPages, mainNav, navLink, pageApi, signIn, stamp } from './common.mjs';

guardPages();

const XSS = '<img src=x onerror=alert(1)>';

/** An automation made through the API. */
async function automation(call, body) {
  const r = await call('POST', '/api/v1/automations', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

/** Turns automations off again, so later tests' leads start nothing of ours. */
async function off(call, ...ids) {
  for (const id of ids) {
    const cur = await call('GET', `/api/v1/automations/${id}`);
    if (cur.body.enabled) await call('PATCH', `/api/v1/automations/${id}`, { enabled: false }, { 'If-Match': cur.headers.etag });
  }
}

test('an administrator builds an automation, fixes a template error shown beside its input, and a new lead runs it', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const me = (await call('GET', '/api/v1/auth/me')).body.staff;
  let id = null;
  try {
    await navLink(page, 'Automations').click();
    await expect(page.getByRole('heading', { level: 1, name: 'Automations' })).toBeVisible();
    await page.getByRole('link', { name: 'New automation' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'New automation' })).toBeVisible();
    await page.getByLabel(/^Name/).fill(`Web leads ${tag}`);

    // The trigger: a lead is created.
    const trigger = page.getByTestId('auto-trigger');
    await trigger.getByLabel('Starts').selectOption('event');
    await trigger.getByLabel('Records').selectOption('lead');
    await trigger.getByLabel('What happens').selectOption('created');

    // One condition: the source is "web".
    const conds = page.getByTestId('auto-conditions');
    await conds.getByRole('button', { name: 'Add condition' }).click();
    await conds.getByLabel('Field, condition 1').selectOption('source');
    await conds.getByLabel('Comparison, condition 1').selectOption('eq');
    await conds.getByLabel('Value, condition 1').fill('web');

    // Step 1: notify me, with an unclosed section in the title; step 2: a task.
    const steps = page.getByTestId('auto-actions');
    await steps.getByLabel('Action, step 1').selectOption('notify');
    await steps.getByLabel('Notify: who, 1').selectOption('member');
    await steps.getByLabel('Member 1').selectOption(String(me.id));
    await steps.getByLabel(/^Title/).fill('{{#record.name}}New web lead');
    await steps.getByLabel('Type of the action to add').selectOption('create_task');
    await steps.getByRole('button', { name: 'Add action' }).click();
    await expect(steps.getByLabel('Action, step 2')).toHaveValue('create_task');
    await steps.getByLabel(/^Task subject/).fill('Call {{record.name}}');
    await expect(steps.locator('.auto-merge').first()).toContainText('{{record.name}}');

    // The server refuses the title (actions[0].title): the error sits under that input only.
    await page.getByRole('button', { name: 'Create automation' }).click();
    const title = steps.getByLabel(/^Title/);
    await expect(title).toHaveAttribute('aria-invalid', 'true');
    await expect(steps.locator('li[data-step="1"] .field-error:not([hidden])')).toContainText(/unclosed/i);
    await expect(steps.getByLabel(/^Task subject/)).not.toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByRole('alert').filter({ hasText: 'Please correct this field' })).toBeVisible();
    await expect(title).toBeFocused();

    await title.fill('New web lead: {{record.name}}');
    await page.getByLabel('On', { exact: true }).check();
    await page.getByRole('button', { name: 'Create automation' }).click();

    // Its page, in words.
    await expect(page.getByRole('heading', { level: 1, name: new RegExp(`^Web leads ${tag}`) })).toBeVisible();
    id = Number(new URL(page.url()).pathname.split('/').pop());
    await expect(page.getByTestId('auto-state')).toHaveText('On');
    await expect(page.getByTestId('auto-trigger-words')).toHaveText('When a lead is created');
    await expect(page.getByTestId('auto-conditions-words')).toContainText('Source is web');
    await expect(page.getByTestId('auto-actions-words')).toContainText('Notify');
    await expect(page.getByTestId('auto-actions-words')).toContainText('Create the task "Call {{record.name}}"');
    const saved = (await call('GET', `/api/v1/automations/${id}`)).body;
    expect(saved.conditions).toEqual({ all: [{ field: 'source', op: 'eq', value: 'web' }] });
    expect(saved.actions.map((a) => a.type)).toEqual(['notify', 'create_task']);
    expect(saved.actions[0].to).toEqual([{ type: 'member', id: me.id }]);

    // A lead from the web runs it; one by fax is skipped.
    const name = `<b>Dana</b> ${tag}`;
    const lead = await call('POST', '/api/v1/leads', { name, source: 'web' });
    expect(lead.status).toBe(201);
    const fax = await call('POST', '/api/v1/leads', { name: `Fax ${tag}`, source: 'fax' });
    expect(fax.status).toBe(201);
    const runs = page.locator('#runs-status').locator('xpath=ancestor::div[contains(@class,"list-view")]');
    // Runs are written in the background: Refresh until both are there.
    await expect(async () => {
      await runs.getByRole('button', { name: 'Refresh' }).click();
      await expect(runs.locator('tr[data-status="done"]')).toHaveCount(1, { timeout: 1000 });
      await expect(runs.locator('tr[data-status="skipped"]')).toHaveCount(1, { timeout: 1000 });
    }).toPass({ timeout: 30000 });
    const done = runs.locator('tr[data-status="done"]');
    await expect(done.getByRole('link', { name: `lead #${lead.body.id}` })).toHaveAttribute('href', `/admin/leads/${lead.body.id}`);
    await done.getByText('2 steps').click();
    await expect(done.getByTestId('auto-steps')).toContainText('Notified');
    await expect(done.getByTestId('auto-steps')).toContainText(`New web lead: ${name}`);
    await expect(done.getByTestId('auto-steps')).toContainText('Task');
    await expect(done.getByTestId('auto-trace')).toContainText('met');
    await expect(page.locator('main b')).toHaveCount(0);

    // The notification, in the bell (as text).
    await page.reload();
    await page.getByTestId('bell').click();
    const panel = page.getByRole('region', { name: 'Notifications' });
    await expect(panel.getByRole('link', { name: `New web lead: ${name}` })).toHaveAttribute('href', `/admin/leads/${lead.body.id}`);
    await page.keyboard.press('Escape');

    // The lead's page lists the run.
    await page.goto(`/admin/leads/${lead.body.id}`);
    const card = page.getByTestId('record-automation-runs');
    await expect(card.getByRole('link', { name: `Web leads ${tag}` })).toHaveAttribute('href', `/admin/workflow_automation/${id}`);
    await expect(card.locator('tr[data-status="done"]')).toHaveCount(1);
    const tasks = await call('GET', `/api/v1/tasks?q=${encodeURIComponent(`Call ${name}`)}`);
    expect(tasks.body.data.map((x) => x.subject)).toContain(`Call ${name}`);
  } finally {
    if (id) await off(call, id);
  }
});

test('each path of a refusal lands beside its own control: the cron, a recipient, a title, a nested condition\'s value', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  await page.goto('/admin/workflow_automation/new');
  await page.getByLabel(/^Name/).fill(`Paths ${stamp()}`);
  const trigger = page.getByTestId('auto-trigger');
  await trigger.getByLabel('Starts').selectOption('schedule');
  await trigger.getByLabel('Cron expression (UTC)').fill('61 * * * *');
  await expect(trigger).toContainText('A custom schedule.');
  const steps = page.getByTestId('auto-actions');
  await steps.getByLabel('Notify: who, 1').selectOption('member');
  await page.getByRole('button', { name: 'Create automation' }).click();
  // trigger.cron under its input (the actions are judged once the trigger holds).
  const cron = trigger.getByLabel('Cron expression (UTC)');
  await expect(cron).toHaveAttribute('aria-invalid', 'true');
  await expect(cron).toBeFocused();
  await expect(trigger.locator('.field-error:not([hidden])')).toContainText('61');
  await cron.fill('0 7 * * *');
  await expect(trigger).toContainText('Every day at 07:00 UTC');
  await page.getByRole('button', { name: 'Create automation' }).click();
  // actions[0].to[0].id and actions[0].title, each under its input.
  const summary = page.getByRole('alert').filter({ hasText: 'Please correct these 2 fields' });
  await expect(summary).toBeVisible();
  await expect(cron).not.toHaveAttribute('aria-invalid', 'true');
  await expect(steps.getByLabel('Member 1')).toHaveAttribute('aria-invalid', 'true');
  await expect(steps.getByLabel('Member 1')).toBeFocused();
  await expect(steps.getByLabel(/^Title/)).toHaveAttribute('aria-invalid', 'true');
  await expect(steps.getByLabel('Notify: who, 1')).not.toHaveAttribute('aria-invalid', 'true');
  await summary.getByRole('link', { name: /^Title/ }).click();
  await expect(steps.getByLabel(/^Title/)).toBeFocused();

  // An event trigger with a nested group: conditions.all[0].any[0].value.
  await trigger.getByLabel('Starts').selectOption('event');
  await trigger.getByLabel('Records').selectOption('lead');
  const conds = page.getByTestId('auto-conditions');
  await conds.getByRole('button', { name: 'Add group' }).click();
  await conds.getByLabel('Field, condition 1.1').selectOption('status');
  await conds.getByLabel('Comparison, condition 1.1').selectOption('in');
  await steps.getByLabel('Notify: who, 1').selectOption('admins');
  await steps.getByLabel(/^Title/).fill('Hello');
  await page.getByRole('button', { name: 'Create automation' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Please correct this field' })).toBeVisible();
  await expect(conds.getByLabel('Value, condition 1.1')).toHaveAttribute('aria-invalid', 'true');
  await expect(conds.getByLabel('Field, condition 1.1')).not.toHaveAttribute('aria-invalid', 'true');
  await conds.getByLabel('Value, condition 1.1').selectOption(['new', 'contacted']);
  await page.getByRole('button', { name: 'Create automation' }).click();
  await expect(page.getByTestId('auto-conditions-words')).toContainText('Status is one of New, Contacted');
});

test('a standard automation: Use this fills the form, it saves off; one that needs a role says so beside its recipients', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  await page.goto('/admin/workflow_automation');
  const templates = page.getByTestId('auto-templates');
  await expect(templates.locator('[data-template="urgent_lead"]')).toContainText('Still needs: a role named Sales Manager');
  await templates.getByRole('link', { name: 'Use this: New ticket: tell the department\'s agents' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New automation' })).toBeVisible();
  await expect(page.getByLabel(/^Name/)).toHaveValue('New ticket: tell the department\'s agents');
  await expect(page.getByTestId('auto-trigger').getByLabel('Records')).toHaveValue('ticket');
  await expect(page.getByTestId('auto-actions').getByLabel('Notify: who, 1')).toHaveValue('record_department');
  await expect(page.getByLabel('On', { exact: true })).not.toBeChecked();
  await page.getByRole('button', { name: 'Create automation' }).click();
  await expect(page.getByTestId('auto-trigger-words')).toHaveText('When a ticket is created');
  await expect(page.getByTestId('auto-state')).toHaveText('Off');
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  const saved = (await call('GET', `/api/v1/automations/${id}`)).body;
  expect(saved.enabled).toBe(false);
  expect(saved.actions[0].title).toBe('New ticket #{{record.id}}: {{record.subject}}');

  // The urgent lead's template: no Sales Manager role here, so its recipients are marked.
  await page.goto('/admin/workflow_automation/new?template=urgent_lead');
  await expect(page.getByRole('alert').filter({ hasText: 'From the standard automation' })).toBeVisible();
  await expect(page.getByTestId('auto-actions').locator('.auto-rcpts .field-error:not([hidden])'))
    .toContainText('no role named "Sales Manager"');
  await expect(page.getByTestId('auto-trigger').getByLabel('What happens')).toHaveValue('field_changed');
  await expect(page.getByTestId('auto-trigger').getByLabel('Changes to')).toHaveValue('urgent');
});

test('test mode shows what each step would do with a chosen record, and changes nothing', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const a = await automation(call, {
    name: `Qualify ${tag}`,
    trigger: { type: 'event', entity: 'lead', event: 'created' },
    conditions: { all: [{ field: 'company', op: 'contains', value: 'acme' }] },
    actions: [
      { type: 'update', fields: { status: 'qualified' } },
      { type: 'send_email', to: [{ type: 'field', field: 'email' }], subject: 'Hello {{record.name}}', body: 'Dear {{record.name}},\nwelcome.' },
      { type: 'create_task', subject: 'Call {{record.name}} {{automation.name}}' },
    ],
  });
  const lead = (await call('POST', '/api/v1/leads', { name: `Dana ${tag}`, company: 'ACME Ltd', email: `dana.${tag}@example.test` })).body;
  await page.goto(`/admin/workflow_automation/${a.id}`);
  const box = page.getByTestId('auto-test');
  await box.getByLabel('Find in leads…').fill(`Dana ${tag}`);
  await expect(box.getByLabel('Record (lead)').locator('option', { hasText: `Dana ${tag}` })).toHaveCount(1);
  await box.getByLabel('Record (lead)').selectOption({ label: `Dana ${tag} (#${lead.id})` });
  await box.getByRole('button', { name: 'Run the test' }).click();
  const result = page.getByTestId('auto-test-result');
  await expect(result.getByRole('status').filter({ hasText: 'The conditions are met' })).toBeVisible();
  await expect(result).toContainText('nothing was changed or sent');
  await expect(result.getByTestId('auto-trace')).toContainText('Company contains acme');
  const steps = result.getByTestId('auto-steps');
  await expect(steps.locator('li[data-status="ok"]')).toHaveCount(3);
  await expect(steps.locator('li[data-step="1"]')).toContainText('Would set');
  await expect(steps.locator('li[data-step="1"]')).toContainText('qualified');
  await expect(steps.locator('li[data-step="2"]')).toContainText(`dana.${tag}@example.test`);
  await expect(steps.locator('li[data-step="2"]')).toContainText(`Hello Dana ${tag}`);
  await expect(steps.locator('li[data-step="3"]')).toContainText(`Call Dana ${tag} Qualify ${tag}`);

  // A record id that is not there: the test says so.
  await box.getByLabel('Or its id').fill('987654');
  await box.getByRole('button', { name: 'Run the test' }).click();
  await expect(box.locator('#auto-test-error')).toContainText('no lead 987654');

  // Nothing happened.
  expect((await call('GET', `/api/v1/leads/${lead.id}`)).body.status).toBe('new');
  expect((await call('GET', `/api/v1/automation_runs?automation_id=${a.id}`)).body.data).toEqual([]);
  expect((await call('GET', `/api/v1/tasks?q=${encodeURIComponent(`Call Dana ${tag}`)}`)).body.data).toEqual([]);
});

test('the list filters by state, turns a selection off (one PATCH each) and exports what it shows', async ({ page }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const me = (await call('GET', '/api/v1/auth/me')).body.staff;
  const body = (n) => ({ name: `Bulk ${n} ${tag}`, enabled: true, trigger: { type: 'schedule', cron: '0 7 * * 1' },
    actions: [{ type: 'notify', to: [{ type: 'member', id: me.id }], title: 'Weekly' }] });
  const [a, b] = [await automation(call, body('one')), await automation(call, body('two'))];
  const c = await automation(call, { ...body('three'), enabled: false });
  try {
    await page.goto(`/admin/workflow_automation?q=${encodeURIComponent(tag)}`);
    const rows = page.locator('tbody tr[data-automation]');
    await expect(rows).toHaveCount(3);
    await expect(rows.filter({ hasText: `Bulk one ${tag}` })).toContainText('Every Monday at 07:00 UTC');
    await page.getByLabel('State').selectOption('true');
    await expect(rows).toHaveCount(2);
    await expect(page).toHaveURL(/enabled=true/);

    // The server's export of the selection: the rows of the filter, every field.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^automations-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = await (await download.createReadStream()).toArray().then((parts) => Buffer.concat(parts).toString('utf8'));
    const lines = csv.replace(/^\ufeff/, '').trim().split(/\r\n/);
    expect(lines[0]).toMatch(/^id,.*,name,/);
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).map((l) => /Bulk (one|two) [0-9a-z]+/.exec(l)?.[0]).sort()).toEqual([`Bulk one ${tag}`, `Bulk two ${tag}`]);
    await expect(page.getByText('Exported 2 rows.')).toBeAttached();

    await page.getByLabel('Select all on this page').check();
    await expect(page.getByText('2 selected')).toBeVisible();
    await page.getByRole('button', { name: 'Turn off' }).click();
    await expect(page.getByText('2 automations are off.')).toBeVisible();
    await expect(rows).toHaveCount(0);
    for (const x of [a, b]) expect((await call('GET', `/api/v1/automations/${x.id}`)).body.enabled).toBe(false);
    await page.getByLabel('State').selectOption('false');
    await expect(rows).toHaveCount(3);
    await expect(rows.first()).toContainText('Off');
  } finally {
    await off(call, a.id, b.id, c.id);
  }
});

test('a member without automations.view has no navigation row and gets Page not found; names are text', async ({ page, browser }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  let alerted = false;
  page.on('dialog', async (d) => { alerted = true; await d.dismiss(); });
  const a = await automation(call, { name: XSS, description: `<script>alert(2)</script>`,
    trigger: { type: 'event', entity: 'lead', event: 'created' }, actions: [{ type: 'add_note', text: XSS }] });
  await page.goto('/admin/workflow_automation');
  await page.getByLabel('Search automations').fill('onerror');
  await expect(page.locator('tbody tr[data-automation]').first()).toContainText(XSS);
  await page.goto(`/admin/workflow_automation/${a.id}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(XSS);
  await expect(page.getByTestId('auto-actions-words')).toContainText(`Add the note "${XSS}"`);
  await page.goto(`/admin/workflow_automation/${a.id}/edit`);
  await expect(page.getByLabel(/^Name/)).toHaveValue(XSS);
  await expect(page.locator('main img')).toHaveCount(0);
  expect(alerted).toBe(false);

  const role = await call('POST', '/api/v1/roles', { name: `Leads only ${stamp()}`, permissions: { leads: ['view'] } });
  expect(role.status, JSON.stringify(role.body)).toBe(201);
  const m = await addMember(page, browser, { role_id: role.body.id });
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  try {
    await signIn(p, m.email, m.password);
    await expect(p).toHaveURL(/\/admin\/$/);
    await expect(mainNav(p).getByRole('link', { name: 'Leads', exact: true })).toBeVisible();
    await expect(mainNav(p).getByRole('link', { name: 'Automations', exact: true })).toHaveCount(0);
    await p.goto('/admin/workflow_automation');
    await expect(p.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
    await p.goto(`/admin/workflow_automation/${a.id}`);
    await expect(p.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  } finally {
    await ctx.close();
  }
});

test('a member who builds automations runs them as themselves, and only views another\'s', async ({ page, browser }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const theirs = await automation(call, { name: `Admin's ${tag}`, trigger: { type: 'event', entity: 'lead', event: 'created' },
    actions: [{ type: 'add_note', text: 'seen' }] });
  const role = await call('POST', '/api/v1/roles', { name: `Builder ${tag}`,
    permissions: { automations: ['view', 'create', 'edit'], leads: ['view'] } });
  expect(role.status, JSON.stringify(role.body)).toBe(201);
  const m = await addMember(page, browser, { role_id: role.body.id });
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  try {
    await signIn(p, m.email, m.password);
    await expect(p).toHaveURL(/\/admin\/$/);
    await navLink(p, 'Automations').click();
    await p.getByLabel('Search automations').fill(tag);
    const row = p.locator(`tbody tr[data-automation="${theirs.id}"]`);
    await expect(row).toBeVisible();
    await expect(row.getByRole('checkbox')).toHaveCount(0);
    await row.getByRole('link', { name: `Admin's ${tag}` }).click();
    await expect(p.getByRole('heading', { level: 1, name: new RegExp(`^Admin's ${tag}`) })).toBeVisible();
    await expect(p.getByText('Another member\'s automation')).toBeVisible();
    await expect(p.getByTestId('auto-page-actions').getByRole('link', { name: 'Edit' })).toHaveCount(0);
    await expect(p.getByTestId('auto-test')).toHaveCount(0);

    await p.goto('/admin/workflow_automation/new');
    await expect(p.getByLabel('Runs as')).toHaveCount(0);
    await expect(p.getByTestId('automation-form')).toContainText('The actions run with your permissions');
    await p.getByLabel(/^Name/).fill(`Mine ${tag}`);
    await p.getByTestId('auto-trigger').getByLabel('Records').selectOption('lead');
    await p.getByTestId('auto-actions').getByLabel('Action, step 1').selectOption('add_note');
    await p.getByTestId('auto-actions').getByLabel(/^Note/).fill('Seen by {{automation.name}}');
    await p.getByRole('button', { name: 'Create automation' }).click();
    await expect(p.getByRole('heading', { level: 1, name: new RegExp(`^Mine ${tag}`) })).toBeVisible();
    await expect(p.getByTestId('auto-page-actions').getByRole('link', { name: 'Edit' })).toBeVisible();
    await expect(p.getByTestId('auto-test')).toBeVisible();
    const mine = (await call('GET', `/api/v1/automations?q=${encodeURIComponent(`Mine ${tag}`)}`)).body.data[0];
    expect(mine.owner_id).toBe(m.id);
  } finally {
    await ctx.close();
  }
});
