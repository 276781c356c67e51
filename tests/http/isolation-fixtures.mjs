// The records of one organisation for the isolation walk (org-isolation.test.mjs):
// one of every entity and child the API has, each free-text field carrying the
// organisation's marker (ZQ-ORGB-<hex>), made through the API as the
// organisation's administrator (a few rows no route creates on demand, a log
// archive, a portal account, are written with SQL, as other suites do).
//
// makeOrg() returns {id: {fixture key: id}, etag: {...}, ...}; the keys are
// the names the route table (isolation-table.mjs) refers to.

import assert from 'node:assert/strict';
import { client, waitFor } from './harness.mjs';

/* A signed-in administrator of a new business under the operator:
 * `atrium org create` with its first administrator, whose set-password
 * link is followed (as in org-suspend.test.mjs). */
export async function newBusiness(srv, name, email, password) {
  const out = srv.cli(['org', 'create', '--name', name, '--admin-email', email, '--admin-name', `${name} admin`,
    '--members-included', '1000']);
  assert.equal(out.status, 0, out.stderr);
  const orgId = Number(/\(id (\d+)\) under operator/.exec(out.stdout)[1]);
  const tf = srv.cli(['settings', 'set', 'security.twofa_required_admins', 'false', '--org', String(orgId)]);
  assert.equal(tf.status, 0, tf.stderr);
  const m = /\/set-password#token=([A-Za-z0-9_.~%+-]+)/.exec(out.stdout);
  assert.ok(m, out.stdout);
  const c = client(srv.base);
  const r = await c.req('POST', '/api/v1/auth/password/set', { body: { token: decodeURIComponent(m[1]), password } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.staff.org_id, orgId);
  c.me = r.body.staff;
  c.orgId = orgId;
  c.password = password;
  c.email = email;
  return c;
}

const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

export async function reauth(c) {
  const r = await c.req('POST', '/api/v1/auth/reauth', { body: { password: c.password } });
  assert.equal(r.status, 200, `reauth: ${r.status} ${r.text}`);
}

/*
 * Every record of the organisation of admin `c`, marked with M. rx: the
 * webhook receiver; hookPath: where this organisation's webhook posts.
 */
export async function makeOrg(srv, c, M, { rx, hookPath }) {
  const id = {};
  const extra = {};
  const low = M.toLowerCase();
  async function post(key, pattern, body, opts = {}) {
    const r = await c.req('POST', pattern, { body, ...opts });
    assert.ok(r.status === 201 || r.status === 200, `${key}: POST ${pattern}: ${r.status} ${r.text}`);
    if (key) id[key] = r.body.id;
    return r.body;
  }
  await reauth(c);

  // Settings and series of the organisation carry the marker too.
  const set = async (group, body) => {
    const r = await c.req('PATCH', '/api/v1/settings/{group}', { params: { group }, body });
    assert.equal(r.status, 200, `settings ${group}: ${r.text}`);
  };
  await set('company', { company_name: `${M} Ltd` });
  const ns = await c.req('PATCH', '/api/v1/billing/number_series/{kind}', { params: { kind: 'invoice' }, body: { prefix: `${M.slice(-6)}` } });
  assert.equal(ns.status, 200, `number series: ${ns.text}`);

  // People and access.
  await post('department', '/api/v1/departments', { name: `${M} Support` });
  await post('team', '/api/v1/teams', { name: `${M} Team` });
  await post('role', '/api/v1/roles', { name: `${M} Role`, permissions: { leads: ['view'] } });
  await post('staff', '/api/v1/staff', {
    email: `${low}.member@example.test`, name: `${M} Member`, role_id: id.role,
    department_ids: [id.department], temporary_password: `Temp-${M}-password`,
  });
  await post('custom_field', '/api/v1/custom_fields', { entity: 'lead', slug: 'zq_note', label: `${M} Field`, type: 'text' });

  // Customers.
  await post('client', '/api/v1/clients', { company: `${M} Client` });
  await post('contact', '/api/v1/contacts', {
    client_id: id.client, first_name: `${M}`, last_name: 'Contact', email: `${low}.contact@client.example`,
  });
  await post('lead', '/api/v1/leads', { name: `${M} Lead`, company: `${M} Co`, email: `${low}.lead@example.test` });
  await post('task', '/api/v1/tasks', { subject: `${M} Task`, rel_type: 'lead', rel_id: id.lead, assignees: [id.staff] });
  await post('project', '/api/v1/projects', { name: `${M} Project`, client_id: id.client });
  await post('contract', '/api/v1/contracts', { subject: `${M} Contract`, client_id: id.client, end_date: day(30) });
  await post('ticket', '/api/v1/tickets', {
    subject: `${M} Ticket`, department_id: id.department, client_id: id.client, contact_id: id.contact,
  });
  await post('reply', '/api/v1/tickets/{id}/replies', { body: `${M} reply` }, { params: { id: id.ticket } });
  const att = await c.req('POST', '/api/v1/tickets/{id}/attachments', {
    params: { id: id.ticket }, query: { filename: `${M}.txt` }, raw: Buffer.from(`${M} attached file`),
    contentType: 'text/plain',
  });
  assert.equal(att.status, 201, `attachment: ${att.text}`);
  id.attachment = att.body.id;

  // Finance.
  await post('tax', '/api/v1/taxes', { name: `${M} VAT`, rate: '19' });
  await post('currency', '/api/v1/currencies', { code: 'CHF', symbol: 'Fr', decimals: 2 });
  await post('currency_rate', '/api/v1/currencies/{id}/rates', { rate: '0.0061', valid_on: day(-1) },
    { params: { id: id.currency } });
  await post('payment_mode', '/api/v1/payment_modes', { name: `${M} Bank`, description: `${M} IBAN` });
  const lines = [{ description: `${M} line`, quantity: 2, unit_price: '100', taxes: [id.tax] }];
  await post('invoice', '/api/v1/invoices', { client_id: id.client, lines, notes: `${M} invoice note` });
  const issued = await c.req('POST', '/api/v1/invoices/{id}/issue', { params: { id: id.invoice } });
  assert.equal(issued.status, 200, `issue: ${issued.text}`);
  await post('draft_invoice', '/api/v1/invoices', { client_id: id.client, lines, notes: `${M} draft note` });
  await post('payment', '/api/v1/payments', { invoice_id: id.invoice, amount: '10', payment_mode_id: id.payment_mode, note: `${M} payment` });
  await post('credit_note', '/api/v1/credit_notes', { invoice_id: id.invoice, reason: `${M} returned`,
    lines: [{ description: `${M} credit`, quantity: 1, unit_price: '1' }] });
  await post('proposal', '/api/v1/proposals', { subject: `${M} Proposal`, client_id: id.client, lines });

  // Integrations.
  const tok = await post('api_token', '/api/v1/api-tokens', { name: `${M} token`, staff_id: id.staff });
  extra.token = tok.token;
  const hook = await post('webhook', '/api/v1/webhooks', {
    name: `${M} hook`, url: rx.url(hookPath), entities: ['lead', 'ticket', 'client', 'invoice'],
    events: ['created', 'updated', 'deleted'],
  });
  rx.trust(hookPath, hook.secret);
  await post('automation', '/api/v1/automations', {
    name: `${M} automation`, description: `${M} watches leads`, enabled: true,
    trigger: { type: 'event', entity: 'lead', event: 'created' },
    actions: [{ type: 'notify', to: [{ type: 'admins' }], title: `${M} new lead` }],
  });

  // The vault.
  await post('vault_category', '/api/v1/vault/categories', { name: `${M} Social`, description: `${M} accounts` });
  await post('vault_entry', '/api/v1/vault/entries', {
    name: `${M} Entry`, category_id: id.vault_category, url: 'https://example.test/', username: `${low}-user`,
    password: `${M}-secret-password`, notes: `${M} notes`,
  });

  // Data protection and records.
  await post('gdpr', '/api/v1/gdpr', { type: 'access', subject_email: `${low}.lead@example.test`, notes: `${M} request` });
  await post('retention_rule', '/api/v1/retention_rules', {
    name: `${M} rule`, entity: 'lead', amount: 3, unit: 'years', notes: `${M} rule notes`,
  });
  const imp = await c.req('POST', '/api/v1/imports', {
    query: { entity: 'leads', filename: `${low}.csv` }, raw: Buffer.from(`Name,Company\n${M} Imported,${M} Inc\n`),
    contentType: 'application/octet-stream',
  });
  assert.equal(imp.status, 201, `import: ${imp.text}`);
  id.import = imp.body.id;
  const rev = await c.req('POST', '/api/v1/security/checklist/{key}/reviews', {
    params: { key: 'activity_review' }, body: { note: `${M} reviewed` },
  });
  assert.equal(rev.status, 201, `review: ${rev.text}`);

  // A second lead after the automation and webhook exist: its event,
  // delivery, automation run and notification.
  await post('lead2', '/api/v1/leads', { name: `${M} Lead two`, company: `${M} Two` });

  // The portal: the contact gets an account (the administrator's password
  // hash, as org-suspend.test.mjs does).
  const now = new Date().toISOString();
  assert.equal(srv.sql(`UPDATE contact SET portal_access = 1 WHERE id = ${id.contact}`).status, 0);
  const pa = srv.sql(`INSERT INTO portal_account (contact_id, org_id, password_hash, password_changed_at, created_at) SELECT ${id.contact}, ${c.orgId}, password_hash, '${now}', '${now}' FROM staff WHERE id = ${c.me.id}`);
  assert.equal(pa.status, 0, pa.stderr);
  extra.contactEmail = `${low}.contact@client.example`;

  // A log archive row of the organisation (the log retention engine
  // writes them; its download must stay the organisation's).
  const la = srv.sql(`INSERT INTO log_archive (org_id, log, status, path, row_count, first_id, last_id, first_at, last_at, cutoff, bytes, sha256, created_at) VALUES (${c.orgId}, 'activity', 'done', '${low}/activity.jsonl.gz', 1, 1, 1, '${now}', '${now}', '${now}', 1, '${'0'.repeat(64)}', '${now}') RETURNING id`);
  assert.equal(la.status, 0, la.stderr);
  id.log_archive = Number(la.stdout.split('\n')[0]);

  // What the background made: the delivery, the automation's
  // notification, a job, the activity rows and the sessions.
  const del = await waitFor(async () => {
    const r = await c.req('GET', '/api/v1/webhooks/{id}/deliveries', { params: { id: id.webhook } });
    return r.status === 200 && r.body.data.length ? r.body.data[0] : null;
  }, { timeout: 30000, what: 'a webhook delivery' });
  id.webhook_delivery = del.id;
  const note = await waitFor(async () => {
    const r = await c.req('GET', '/api/v1/notifications');
    return r.status === 200 && r.body.data.find((n) => n.title.includes(M));
  }, { timeout: 30000, what: 'the automation\'s notification' });
  id.notification = note.id;
  id.job = Number(srv.sql(`SELECT MIN(id) FROM job WHERE org_id = ${c.orgId}`).stdout);
  assert.ok(id.job > 0, 'a job of the organisation');
  const act = await c.req('GET', '/api/v1/activity', { query: { entity: 'lead', entity_id: id.lead } });
  assert.equal(act.status, 200, act.text);
  id.activity = act.body.data[0].id;
  const ses = await c.req('GET', '/api/v1/auth/sessions');
  assert.equal(ses.status, 200, ses.text);
  id.session = ses.body.data[0].id;
  id.org = c.orgId;
  return { id, extra, M };
}
