// Workflow automations (issue 14): the entity's rules (every invalid part
// named in one 422), the spec's five standard automations enabled from
// their templates and doing what the spec says against real records (in-app
// notifications, tasks, an email at a real SMTP server), date rules fired
// once across a restart, the run history per automation and per record,
// loop protection (own changes, the chain limit, the rate limit that turns
// a runaway automation off and tells the administrators), actions run with
// the owner's permissions only, test mode without side effects, a webhook
// action delivered to a real receiver, a schedule, a wait; 401 and 403 on
// every route.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, uniq, addRole, addMember, raiseSeats, waitFor,
  startSmtpSink, configureSmtp, startNode, stopNode,
} from './harness.mjs';
import { startReceiver } from './webhook-receiver.mjs';

/* A 422 naming every field of the list. */
const fieldErrors = (r, fields) => assertFieldErrors(r, Object.fromEntries(fields.map((f) => [f, null])));

const AUTOS = '/api/v1/automations';
const AUTO = '/api/v1/automations/{id}';
const TEST = '/api/v1/automations/{id}/test';
const RUNS = '/api/v1/automation_runs';
const TEMPLATES = '/api/v1/automation_templates';
const NOTES = '/api/v1/notifications';
const ROUTES = [['GET', AUTOS], ['POST', AUTOS], ['GET', AUTO], ['PATCH', AUTO], ['DELETE', AUTO],
  ['POST', TEST], ['GET', RUNS], ['GET', TEMPLATES]];
const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

describe('automations', () => {
  let srv;
  let admin;
  let sink;
  let rx;
  let manager; // has the Sales Manager role
  let hr; // has the HR Administrator role
  let agent; // member of the Support department
  let builder; // automations create/edit/view, leads view_own: a non-admin owner
  let outsider; // leads only
  let support; // department
  let clientId;

  const notes = async (c) => (await c.req('GET', NOTES, { query: { limit: 100 } })).body.data;
  const runsOf = async (query) => (await admin.req('GET', RUNS, { query: { limit: 200, ...query } })).body.data;
  const force = (task) => {
    const u = srv.sql(`UPDATE sched_task SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE name = '${task}'`);
    assert.equal(u.status, 0, u.stderr);
  };
  const lastRun = async (task) => {
    const s = await admin.req('GET', '/api/v1/scheduler');
    return s.body.tasks?.find((t) => t.name === task)?.last_run_at;
  };
  /* Makes the scheduler run task now and waits until it has. */
  async function runTask(task) {
    await waitFor(async () => (await admin.req('GET', '/api/v1/scheduler')).body.tasks?.some((t) => t.name === task),
      { what: `the ${task} task row` });
    const was = await lastRun(task);
    force(task);
    await waitFor(async () => { const l = await lastRun(task); return l && l !== was; },
      { timeout: 20000, what: `${task} ran` });
  }
  /* PATCH of a record with the version it has now. */
  async function edit(pathTpl, id, body, c = admin) {
    const cur = await c.req('GET', pathTpl, { params: { id } });
    assert.equal(cur.status, 200, cur.text);
    return c.req('PATCH', pathTpl, { params: { id }, headers: { 'If-Match': `"${cur.body.version}"` }, body });
  }
  async function add(body, c = admin) {
    const r = await c.req('POST', AUTOS, { body: { name: uniq('Auto '), ...body } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }
  async function template(key) {
    const r = await admin.req('GET', TEMPLATES);
    assert.equal(r.status, 200, r.text);
    const t = r.body.data.find((x) => x.key === key);
    assert.ok(t, key);
    return t;
  }
  async function fromTemplate(key) {
    const t = await template(key);
    assert.deepEqual(t.needs, [], `${key} needs ${JSON.stringify(t.needs)}`);
    return add({ name: t.name, description: t.description, trigger: t.trigger, conditions: t.conditions, actions: t.actions, enabled: true });
  }

  before(async () => {
    srv = await startServer({ env: { ATRIUM_WEBHOOK_ALLOW_PRIVATE: 'true', ATRIUM_WEBHOOK_RETRY_BASE_MS: '50' } });
    admin = await adminClient(srv);
    await raiseSeats(admin);
    sink = await startSmtpSink(srv.dir);
    await configureSmtp(admin, sink);
    rx = await startReceiver();
    const sm = await addRole(admin, 'Sales Manager', { leads: ['view'] });
    const hrRole = await addRole(admin, 'HR Administrator', { staff: ['view'], tasks: ['view_own'] });
    manager = await addMember(srv, admin, { role_id: sm.id }, 'manager');
    hr = await addMember(srv, admin, { role_id: hrRole.id }, 'hr');
    const d = await admin.req('POST', '/api/v1/departments', { body: { name: uniq('Support ') } });
    assert.equal(d.status, 201, d.text);
    support = d.body;
    agent = await addMember(srv, admin, { department_ids: [support.id] }, 'agent');
    const br = await addRole(admin, uniq('Builder '), { automations: ['view', 'create', 'edit', 'delete'], leads: ['view_own', 'create', 'edit'] });
    builder = await addMember(srv, admin, { role_id: br.id }, 'builder');
    const lo = await addRole(admin, uniq('Leads only '), { leads: ['view'] });
    outsider = await addMember(srv, admin, { role_id: lo.id }, 'outsider');
    clientId = (await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Auto client ') } })).body.id;
  });

  after(async () => {
    await rx?.close();
    await sink?.stop();
    await srv?.stop();
  });

  describe('access', () => {
    it('401 without a session on every route', async () => {
      const anon = client(srv.base);
      for (const [m, p] of ROUTES) {
        const r = await anon.req(m, p, { params: { id: 1 }, body: m === 'GET' || m === 'DELETE' ? undefined : {} });
        assertProblem(r, 401);
      }
    });
    it('403 without the automations permission on every route', async () => {
      for (const [m, p] of ROUTES) {
        const r = await outsider.req(m, p, { params: { id: 1 }, body: m === 'GET' || m === 'DELETE' ? undefined : {} });
        assertProblem(r, 403);
      }
    });
  });

  describe('rules', () => {
    it('names every invalid part of an automation in one 422', async () => {
      const r = await admin.req('POST', AUTOS, {
        body: {
          name: '',
          trigger: { type: 'event', entity: 'lead', event: 'field_changed', field: 'nope', extra: 1 },
          conditions: { all: [{ field: 'nope', op: 'eq', value: 1 }, { field: 'status', op: 'between', value: 1 }, { field: 'status', op: 'in', value: 'x' }] },
          actions: [
            { type: 'notify', to: [], title: '{{#record.name}}unclosed' },
            { type: 'send_email', to: [{ type: 'member', id: 999999 }], subject: '{{{record.name}}}', body: 'x' },
            { type: 'create_task', subject: 'ok', due_in_days: -1, priority: 'asap' },
            { type: 'update', fields: { status: 'nonsense', email: 'not-an-email' } },
            { type: 'assign', field: 'name', to: { type: 'round_robin' } },
            { type: 'webhook', webhook_id: 424242 },
            { type: 'teleport' },
            { type: 'wait', minutes: 0 },
          ],
          max_runs_per_hour: 0,
        },
      });
      fieldErrors(r, ['name', 'trigger.extra', 'trigger.field',
        'conditions.all[0].field', 'conditions.all[1].op', 'conditions.all[2].value',
        'actions[0].to', 'actions[0].title', 'actions[1].to[0].id', 'actions[1].subject',
        'actions[2].due_in_days', 'actions[2].priority', 'actions[3].fields.status', 'actions[3].fields.email',
        'actions[4].field', 'actions[4].to.type', 'actions[5].webhook_id', 'actions[6].type', 'actions[7].minutes',
        'max_runs_per_hour']);
    });
    it('refuses a bad trigger, a bad cron, a date rule on a non-date field, and actions a trigger cannot have', async () => {
      fieldErrors(await admin.req('POST', AUTOS, { body: { name: 'x', trigger: { type: 'sometimes' }, actions: [{ type: 'notify', to: [{ type: 'admins' }], title: 'x' }] } }),
        ['trigger.type']);
      fieldErrors(await admin.req('POST', AUTOS, { body: { name: 'x', trigger: { type: 'event', entity: 'automation', event: 'created' }, actions: [{ type: 'notify', to: [{ type: 'admins' }], title: 'x' }] } }),
        ['trigger.entity']);
      fieldErrors(await admin.req('POST', AUTOS, { body: { name: 'x', trigger: { type: 'schedule', cron: '61 * * * *' }, actions: [{ type: 'notify', to: [{ type: 'member', id: manager.id }], title: 'x' }] } }),
        ['trigger.cron']);
      fieldErrors(await admin.req('POST', AUTOS, { body: { name: 'x', trigger: { type: 'date', entity: 'contract', field: 'subject', offset_days: 9999 }, actions: [{ type: 'notify', to: [{ type: 'admins' }], title: 'x' }] } }),
        ['trigger.field', 'trigger.offset_days']);
      // a schedule has no record to update, note or test conditions on
      fieldErrors(await admin.req('POST', AUTOS, {
        body: {
          name: 'x', trigger: { type: 'schedule', cron: '0 7 * * *' }, conditions: { all: [{ field: 'status', op: 'empty' }] },
          actions: [{ type: 'update', fields: { status: 'new' } }, { type: 'add_note', text: 'x' }],
        },
      }), ['conditions', 'actions[0].fields', 'actions[1].type']);
      // changes exist only for updates; a wait needs something after it
      fieldErrors(await admin.req('POST', AUTOS, {
        body: {
          name: 'x', trigger: { type: 'event', entity: 'lead', event: 'created' }, conditions: { any: [{ field: 'status', op: 'changed' }] },
          actions: [{ type: 'wait', minutes: 5 }],
        },
      }), ['conditions.any[0].op', 'actions[0].minutes']);
    });
    it('a member runs automations as themselves; only an administrator names another owner', async () => {
      const body = { name: uniq('Mine '), trigger: { type: 'event', entity: 'lead', event: 'created' }, actions: [{ type: 'add_note', text: 'seen' }] };
      fieldErrors(await builder.req('POST', AUTOS, { body: { ...body, owner_id: admin.me?.id ?? 1 } }), ['owner_id']);
      const mine = await add(body, builder);
      assert.equal(mine.owner_id, builder.id);
      assert.equal(mine.enabled, false);
      assert.equal(mine.trigger_entity, 'lead');
      const theirs = await add({ ...body, owner_id: manager.id });
      assert.equal(theirs.owner_id, manager.id);
      // history and events like any record
      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'automation', entity_id: mine.id } });
      assert.ok(log.body.data.some((a) => a.action === 'create'), log.text);
      // one who may edit automations changes, tests and deletes only their
      // own: another's runs with that member's permissions
      assertProblem(await edit(AUTO, theirs.id, { name: 'mine now' }, builder), 403);
      assertProblem(await edit(AUTO, theirs.id, { owner_id: builder.id }, builder), 403);
      assertProblem(await builder.req('POST', TEST, { params: { id: theirs.id }, body: { record_id: 1 } }), 403);
      assertProblem(await builder.req('DELETE', AUTO, { params: { id: theirs.id } }), 403);
      assert.equal((await admin.req('GET', AUTO, { params: { id: theirs.id } })).body.name, theirs.name);
      const own = await edit(AUTO, mine.id, { description: 'watching leads' }, builder);
      assert.equal(own.status, 200, own.text);
      const d = await admin.req('DELETE', AUTO, { params: { id: theirs.id } });
      assert.equal(d.status, 204, d.text);
      const d2 = await builder.req('DELETE', AUTO, { params: { id: mine.id } });
      assert.equal(d2.status, 204, d2.text);
    });
  });

  describe('the five standard automations', () => {
    it('lists the templates resolved for the organisation', async () => {
      const r = await admin.req('GET', TEMPLATES);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.data.map((t) => t.key), ['urgent_lead', 'new_ticket', 'contract_renewal', 'invoice_overdue', 'onboarding']);
      const urgent = r.body.data[0];
      assert.deepEqual(urgent.actions[0].to, [{ type: 'role', id: manager.record.role_id }]);
    });

    it('1. an urgent lead notifies the sales managers at once', async () => {
      const a = await fromTemplate('urgent_lead');
      const name = uniq('Urgent <b>lead</b> ');
      const calm = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Calm '), priority: 'normal' } });
      assert.equal(calm.status, 201, calm.text);
      const lead = await admin.req('POST', '/api/v1/leads', { body: { name, company: 'Acme & Co', priority: 'urgent' } });
      assert.equal(lead.status, 201, lead.text);
      const n = await waitFor(async () => (await notes(manager)).find((x) => x.title === `Urgent lead: ${name}`),
        { timeout: 20000, what: 'the sales manager notified' });
      assert.match(n.body, /Acme & Co/);
      assert.equal(n.link, `/admin/leads/${lead.body.id}`);
      assert.ok(!(await notes(agent)).some((x) => x.title.includes(name)), 'only the role is told');
      const runs = await runsOf({ automation_id: a.id });
      const run = runs.find((x) => x.record_id === lead.body.id);
      assert.equal(run.status, 'done', JSON.stringify(run));
      assert.equal(run.trigger, 'event');
      assert.equal(run.steps[0].type, 'notify');
      assert.deepEqual(run.steps[0].output.notified, [manager.id]);
      assert.ok(!runs.some((x) => x.record_id === calm.body.id), 'a normal lead is not its event');
      // changing a lead to urgent later is the same event; per record history
      const upd = await edit('/api/v1/leads/{id}', calm.body.id, { priority: 'urgent' });
      assert.equal(upd.status, 200, upd.text);
      await waitFor(async () => (await runsOf({ entity: 'lead', record_id: calm.body.id })).some((x) => x.status === 'done'),
        { timeout: 20000, what: 'the updated lead ran' });
      await edit(AUTO, a.id, { enabled: false });
    });

    it('2. a new ticket notifies the agents of its department', async () => {
      const a = await fromTemplate('new_ticket');
      const subject = uniq('Printer on fire ');
      const t = await admin.req('POST', '/api/v1/tickets', { body: { subject, department_id: support.id, priority: 'high' } });
      assert.equal(t.status, 201, t.text);
      const n = await waitFor(async () => (await notes(agent)).find((x) => x.title === `New ticket #${t.body.id}: ${subject}`),
        { timeout: 20000, what: 'the agent notified' });
      assert.equal(n.body, 'Priority: high');
      assert.ok(!(await notes(manager)).some((x) => x.title.includes(subject)));
      await edit(AUTO, a.id, { enabled: false });
    });

    it('3. a contract ending in 60 days gives its key account manager a renewal task, once across a restart', async () => {
      const a = await fromTemplate('contract_renewal');
      const subject = uniq('Hosting ');
      const c = await admin.req('POST', '/api/v1/contracts', {
        body: { subject, client_id: clientId, start_date: day(-300), end_date: day(60), assigned_to: manager.id },
      });
      assert.equal(c.status, 201, c.text);
      const later = await admin.req('POST', '/api/v1/contracts', { body: { subject: uniq('Later '), client_id: clientId, end_date: day(90) } });
      await runTask('automation_dates');
      const tasks = async () => (await admin.req('GET', '/api/v1/tasks', { query: { rel_type: 'contract', rel_id: c.body.id } })).body.data;
      const task = await waitFor(async () => (await tasks())[0], { timeout: 20000, what: 'the renewal task' });
      assert.equal(task.subject, `Renew contract: ${subject}`);
      assert.deepEqual(task.assignees, [manager.id]);
      assert.equal(task.priority, 'high');
      assert.equal(task.due_date, day(14));
      const runs = await runsOf({ automation_id: a.id });
      assert.equal(runs.filter((x) => x.record_id === c.body.id).length, 1);
      assert.equal(runs[0].trigger, 'date');
      assert.equal(runs[0].fire_date, day(0));
      assert.ok(!runs.some((x) => x.record_id === later.body.id));
      // again: the marker holds (a restart and a second node: below)
      await runTask('automation_dates');
      assert.equal((await tasks()).length, 1);
      assert.equal((await runsOf({ automation_id: a.id })).length, 1);
      await edit(AUTO, a.id, { enabled: false });
    });

    it('4. an invoice overdue more than 30 days emails its client a reminder', async () => {
      const a = await fromTemplate('invoice_overdue');
      const email = `${uniq('payer')}@example.test`;
      const ct = await admin.req('POST', '/api/v1/contacts', { body: { client_id: clientId, first_name: 'Ana', email, is_primary: true } });
      assert.equal(ct.status, 201, ct.text);
      const inv = await admin.req('POST', '/api/v1/invoices', {
        body: { client_id: clientId, due_date: day(10), lines: [{ description: 'Audit', quantity: 1, unit_price: '250' }] },
      });
      assert.equal(inv.status, 201, inv.text);
      const issued = await admin.req('POST', '/api/v1/invoices/{id}/issue', { params: { id: inv.body.id } });
      assert.equal(issued.status, 200, issued.text);
      // forty days pass: the invoice was issued 50 days ago, due 31 days ago
      const u = srv.sql(`UPDATE invoice SET issue_date = '${day(-50)}', due_date = '${day(-31)}' WHERE id = ${inv.body.id}`);
      assert.equal(u.status, 0, u.stderr);
      await runTask('invoices_overdue');
      await waitFor(async () => (await admin.req('GET', '/api/v1/invoices/{id}', { params: { id: inv.body.id } })).body.status === 'overdue',
        { what: 'the invoice overdue' });
      await runTask('automation_dates');
      const m = await sink.waitFor(email, (x) => x.subject.includes(issued.body.number), { timeout: 20000 });
      assert.equal(m.subject, `Reminder: invoice ${issued.body.number} is overdue`);
      assert.match(m.body, /still\s+has 250\.00 [A-Z]{3} to\s+pay/);
      const runs = await runsOf({ automation_id: a.id });
      assert.equal(runs.length, 1);
      assert.deepEqual(runs[0].steps[0].output.sent_to, [email]);
      await edit(AUTO, a.id, { enabled: false });
    });

    it('5. a new staff member gives HR an onboarding task', async () => {
      const a = await fromTemplate('onboarding');
      const name = uniq('Newcomer ');
      const s = await admin.req('POST', '/api/v1/staff', { body: { email: `${uniq('new')}@example.test`, name } });
      assert.equal(s.status, 201, s.text);
      const task = await waitFor(async () => (await hr.req('GET', '/api/v1/tasks', { query: { q: name } })).body.data?.[0],
        { timeout: 20000, what: 'the onboarding task' });
      assert.equal(task.subject, `Onboard ${name}`);
      assert.deepEqual(task.assignees, [hr.id]);
      await edit(AUTO, a.id, { enabled: false });
    });
  });

  describe('running', () => {
    it('conditions on the record and on records it names decide; the trace says why', async () => {
      const a = await add({
        enabled: true,
        trigger: { type: 'event', entity: 'lead', event: 'created' },
        conditions: { all: [{ field: 'source', op: 'eq', value: 'web' }, { any: [{ field: 'assigned_to.department_ids', op: 'eq', value: support.id }, { field: 'value', op: 'gt', value: '1000' }] }] },
        actions: [{ type: 'add_note', text: 'Qualified by {{automation.name}}' }],
      });
      const yes = (await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Yes '), source: 'web', assigned_to: agent.id } })).body;
      const big = (await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Big '), source: 'web', value: '1500.00' } })).body;
      const no = (await admin.req('POST', '/api/v1/leads', { body: { name: uniq('No '), source: 'fax', value: '5000' } })).body;
      const runs = await waitFor(async () => {
        const x = await runsOf({ automation_id: a.id });
        return x.length === 3 && x.every((r) => ['done', 'skipped'].includes(r.status)) && x;
      }, { timeout: 20000, what: 'three runs' });
      const by = (id) => runs.find((x) => x.record_id === id);
      assert.equal(by(yes.id).status, 'done');
      assert.equal(by(big.id).status, 'done');
      assert.equal(by(no.id).status, 'skipped');
      assert.equal(by(no.id).conditions[0].items[0].result, false);
      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'lead', entity_id: yes.id, action: 'note' } });
      assert.equal(log.body.data[0].diff.note.to, `Qualified by ${a.name}`);
      // the automation's owner is the actor, named with the automation
      assert.equal(log.body.data[0].actor_id, a.owner_id);
      assert.equal(log.body.data[0].actor_name, `Admin (automation '${a.name}')`);
      await edit(AUTO, a.id, { enabled: false });
    });

    it('actions run with the owner\'s permissions, never more', async () => {
      // builder may edit their own leads but not create tasks
      const a = await add({
        enabled: true, trigger: { type: 'event', entity: 'lead', event: 'created' },
        actions: [{ type: 'update', fields: { status: 'contacted' } }, { type: 'create_task', subject: 'Call {{record.name}}' }],
      }, builder);
      const own = (await builder.req('POST', '/api/v1/leads', { body: { name: uniq('Own ') } })).body;
      const other = (await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Not theirs ') } })).body;
      const runs = await waitFor(async () => {
        const x = await runsOf({ automation_id: a.id });
        return x.length === 2 && x.every((r) => r.status === 'failed') && x;
      }, { timeout: 20000, what: 'two failed runs' });
      const ownRun = runs.find((x) => x.record_id === own.id);
      assert.equal(ownRun.steps[0].status, 'done', 'their own lead is updated');
      assert.match(ownRun.error, /may not create tasks/);
      const otherRun = runs.find((x) => x.record_id === other.id);
      assert.match(otherRun.error, /no record its owner can see|not found/);
      assert.equal((await admin.req('GET', '/api/v1/leads/{id}', { params: { id: other.id } })).body.status, 'new');
      assert.equal((await admin.req('GET', '/api/v1/leads/{id}', { params: { id: own.id } })).body.status, 'contacted');
      await edit(AUTO, a.id, { enabled: false });
    });

    it('its own changes do not start it again; chains stop at depth 5', async () => {
      const self = await add({
        enabled: true, trigger: { type: 'event', entity: 'lead', event: 'updated' },
        conditions: { all: [{ field: 'status', op: 'changed_to', value: 'qualified' }] },
        actions: [{ type: 'update', fields: { source: 'automation' } }],
      });
      const lead = (await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Loop ') } })).body;
      await edit('/api/v1/leads/{id}', lead.id, { status: 'qualified' });
      await waitFor(async () => (await runsOf({ automation_id: self.id, record_id: lead.id })).some((x) => x.status === 'done'), { timeout: 20000, what: 'one run' });
      // settle: the update's own event comes and goes
      await waitFor(async () => (await admin.req('GET', '/api/v1/jobs', { query: { status: 'queued' } })).body.data?.length === 0,
        { timeout: 20000, what: 'the queue drained' });
      const mine = await runsOf({ automation_id: self.id, record_id: lead.id });
      assert.equal(mine.length, 1, `not started by its own change: ${JSON.stringify(mine)}`);
      await edit(AUTO, self.id, { enabled: false });

      // two automations starting each other
      const ping = await add({
        enabled: true, trigger: { type: 'event', entity: 'client', event: 'updated' },
        conditions: { all: [{ field: 'city', op: 'changed_to', value: 'Ping' }] },
        actions: [{ type: 'update', fields: { city: 'Pong' } }],
      });
      const pong = await add({
        enabled: true, trigger: { type: 'event', entity: 'client', event: 'updated' },
        conditions: { all: [{ field: 'city', op: 'changed_to', value: 'Pong' }] },
        actions: [{ type: 'update', fields: { city: 'Ping' } }],
      });
      const cl = (await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Chain ') } })).body;
      await edit('/api/v1/clients/{id}', cl.id, { city: 'Ping' });
      const stopped = await waitFor(async () => {
        const x = [...await runsOf({ automation_id: ping.id }), ...await runsOf({ automation_id: pong.id })];
        return x.find((r) => r.status === 'stopped');
      }, { timeout: 30000, what: 'the chain stopped' });
      assert.match(stopped.error, /more than 5 times in a chain/);
      assert.equal(stopped.depth, 6);
      for (const a of [ping, pong]) await edit(AUTO, a.id, { enabled: false });
    });

    it('a runaway automation is turned off at its rate and the administrators are told', async () => {
      const a = await add({
        enabled: true, max_runs_per_hour: 3, trigger: { type: 'event', entity: 'lead', event: 'created' },
        conditions: { all: [{ field: 'source', op: 'eq', value: 'flood' }] },
        actions: [{ type: 'add_note', text: 'again' }],
      });
      for (let i = 0; i < 5; i++) {
        const r = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Flood '), source: 'flood' } });
        assert.equal(r.status, 201, r.text);
      }
      const cur = await waitFor(async () => {
        const x = (await admin.req('GET', AUTO, { params: { id: a.id } })).body;
        return x.paused_at && x;
      }, { timeout: 20000, what: 'the automation paused' });
      assert.equal(cur.enabled, false);
      assert.match(cur.paused_reason, /more than 3 runs within an hour/);
      const runs = await waitFor(async () => {
        const x = await runsOf({ automation_id: a.id });
        return x.filter((r) => r.status === 'done').length === 3 && x;
      }, { timeout: 20000, what: 'the three runs within the rate done' });
      assert.equal(runs.filter((x) => x.status === 'stopped').length, 1, JSON.stringify(runs.map((x) => x.status)));
      assert.equal(runs.length, 4, 'once off, later leads start nothing');
      const n = await waitFor(async () => (await notes(admin)).find((x) => x.title === `Automation '${a.name}' was turned off`),
        { what: 'the administrators told' });
      assert.equal(n.link, `/admin/workflow_automation/${a.id}`);
      assert.deepEqual(n.message, { key: 'automation_paused', params: { name: a.name, max: 3 } });
      const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'automation', entity_id: a.id, action: 'pause' } });
      assert.equal(log.body.data.length, 1);
      // turning it on again clears the pause
      const on = await edit(AUTO, a.id, { enabled: true });
      assert.equal(on.status, 200, on.text);
      assert.equal(on.body.paused_at, null);
      await edit(AUTO, a.id, { enabled: false });
    });

    it('assigns round robin in a department and to the owner\'s manager; calls a webhook', async () => {
      const peer = await addMember(srv, admin, { department_ids: [support.id] }, 'peer');
      const hook = await admin.req('POST', '/api/v1/webhooks', {
        body: { name: uniq('Zap '), url: rx.url('/ok/auto'), entities: ['lead'], events: ['deleted'] },
      });
      assert.equal(hook.status, 201, hook.text);
      rx.trust('/ok/auto', hook.body.secret);
      const a = await add({
        enabled: true, trigger: { type: 'event', entity: 'ticket', event: 'created' },
        actions: [
          { type: 'assign', field: 'assigned_to', to: { type: 'round_robin', department_id: support.id } },
          { type: 'webhook', webhook_id: hook.body.id },
        ],
      });
      const made = [];
      for (let i = 0; i < 3; i++) made.push((await admin.req('POST', '/api/v1/tickets', { body: { subject: uniq('RR ') } })).body);
      const got = await waitFor(async () => {
        const x = await Promise.all(made.map(async (t) => (await admin.req('GET', '/api/v1/tickets/{id}', { params: { id: t.id } })).body.assigned_to));
        return x.every(Boolean) && x;
      }, { timeout: 20000, what: 'three tickets assigned' });
      // in turn: the tickets' runs may go in any order, so one member
      // got two of three and the other one
      const counts = [agent.id, peer.id].map((m) => got.filter((x) => x === m).length).sort();
      assert.deepEqual(counts, [1, 2], JSON.stringify(got));
      const msgs = await waitFor(async () => { const m = rx.at('/ok/auto'); return m.length === 3 && m; }, { timeout: 20000, what: 'three webhook messages' });
      for (const m of msgs) {
        assert.equal(m.json.type, 'automation.called');
        assert.equal(m.json.data.after.automation.id, a.id);
        assert.ok(Object.values(m.verified).every(Boolean), 'signed');
        assert.match(m.headers['webhook-id'], /^msg_automation_\d+_1$/);
      }
      await edit(AUTO, a.id, { enabled: false });

      // the owner's manager: the manager of the owner's department
      await edit('/api/v1/departments/{id}', support.id, { manager_id: manager.id });
      const m = await add({
        enabled: true, trigger: { type: 'event', entity: 'lead', event: 'created' },
        actions: [{ type: 'assign', field: 'assigned_to', to: { type: 'owner_manager' } }],
      });
      const l = (await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Escalate '), owner_id: agent.id } })).body;
      await waitFor(async () => (await admin.req('GET', '/api/v1/leads/{id}', { params: { id: l.id } })).body.assigned_to === manager.id,
        { timeout: 20000, what: 'assigned to the manager' });
      await edit(AUTO, m.id, { enabled: false });
    });

    it('runs on a schedule, waits, and feeds one step\'s output to the next', async () => {
      const a = await add({
        enabled: true, trigger: { type: 'schedule', cron: '* * * * *' },
        actions: [
          { type: 'create_task', subject: 'Weekly review', assignees: [{ type: 'member', id: manager.id }] },
          { type: 'wait', minutes: 60 },
          { type: 'notify', to: [{ type: 'member', id: manager.id }], title: 'Task #{{steps.1.task_id}} is waiting for you' },
        ],
      });
      assert.ok(a.next_run_at, 'a schedule has its next run');
      // its minute comes
      const due = srv.sql(`UPDATE automation SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE id = ${a.id}`);
      assert.equal(due.status, 0, due.stderr);
      await runTask('automation_schedules');
      const run = await waitFor(async () => (await runsOf({ automation_id: a.id })).find((x) => x.status === 'waiting'),
        { timeout: 20000, what: 'the run waiting' });
      await edit(AUTO, a.id, { enabled: false });
      const taskId = run.steps[0].output.task_id;
      // an hour passes for the waiting job
      const u = srv.sql(`UPDATE job SET run_at = '2000-01-01T00:00:00.000Z' WHERE kind = 'automation' AND status = 'queued' AND payload LIKE '%"run_id":${run.id}}%'`);
      assert.equal(u.status, 0, u.stderr);
      await waitFor(async () => (await notes(manager)).some((x) => x.title === `Task #${taskId} is waiting for you`),
        { timeout: 20000, what: 'the notification after the wait' });
      const done = (await runsOf({ automation_id: a.id })).find((x) => x.id === run.id);
      assert.equal(done.status, 'done');
      assert.deepEqual(done.steps.map((s) => s.type), ['create_task', 'wait', 'notify']);
    });

    it('reads a schedule on the organisation\'s wall clock and follows a change of its time zone', async () => {
      const wall = (iso, timeZone) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
        .format(new Date(iso));
      const setZone = async (timezone) => {
        const r = await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'localization' }, body: { timezone } });
        assert.equal(r.status, 200, r.text);
      };
      const nextOf = async (id) => (await admin.req('GET', AUTO, { params: { id } })).body.next_run_at;
      const soon = (iso) => {
        const t = Date.parse(iso) - Date.now();
        assert.ok(t > 0 && t <= 86400000, `${iso} is within the next day`);
      };
      await setZone('Europe/Bucharest');
      try {
        const a = await add({
          enabled: true, trigger: { type: 'schedule', cron: '0 7 * * *' },
          actions: [{ type: 'notify', to: [{ type: 'member', id: manager.id }], title: 'Morning in Bucharest' }],
        });
        assert.equal(wall(a.next_run_at, 'Europe/Bucharest'), '07:00', a.next_run_at);
        assert.notEqual(wall(a.next_run_at, 'UTC'), '07:00', 'not 07:00 UTC');
        soon(a.next_run_at);
        // the next run after one that ran: still 07:00 in the zone
        const due = srv.sql(`UPDATE automation SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE id = ${a.id}`);
        assert.equal(due.status, 0, due.stderr);
        await runTask('automation_schedules');
        const after = await waitFor(async () => { const n = await nextOf(a.id); return n && !n.startsWith('2000') && n; },
          { what: 'the next run after the run' });
        assert.equal(wall(after, 'Europe/Bucharest'), '07:00', after);
        soon(after);
        // a new zone moves the next run to its wall clock at once
        await setZone('America/New_York');
        const moved = await nextOf(a.id);
        assert.equal(wall(moved, 'America/New_York'), '07:00', moved);
        soon(moved);
        await edit(AUTO, a.id, { enabled: false });
      } finally {
        await setZone('UTC');
      }
    });

    it('test mode shows what each action would do and changes nothing', async () => {
      const a = await add({
        trigger: { type: 'event', entity: 'lead', event: 'created' },
        conditions: { all: [{ field: 'company', op: 'contains', value: 'acme' }] },
        actions: [
          { type: 'update', fields: { status: 'qualified' } },
          { type: 'send_email', to: [{ type: 'field', field: 'email' }], subject: 'Hello {{record.name}}', body: 'Dear {{record.name}},\nwelcome.' },
          { type: 'create_task', subject: 'Call {{record.name}}' },
        ],
      });
      const lead = (await admin.req('POST', '/api/v1/leads', { body: { name: 'Dana', company: 'ACME Ltd', email: `${uniq('dana')}@example.test` } })).body;
      const r = await admin.req('POST', TEST, { params: { id: a.id }, body: { record_id: lead.id } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.matched, true);
      assert.deepEqual(r.body.steps.map((s) => s.status), ['ok', 'ok', 'ok']);
      assert.deepEqual(r.body.steps[0].output.would_set, { status: 'qualified' });
      assert.equal(r.body.steps[1].output.subject, 'Hello Dana');
      assert.deepEqual(r.body.steps[1].output.would_send_to, [lead.email]);
      assert.equal(r.body.steps[2].output.would_create.subject, 'Call Dana');
      assert.equal((await admin.req('GET', '/api/v1/leads/{id}', { params: { id: lead.id } })).body.status, 'new');
      assert.equal((await runsOf({ automation_id: a.id })).length, 0);
      fieldErrors(await admin.req('POST', TEST, { params: { id: a.id }, body: {} }), ['record_id']);
      fieldErrors(await admin.req('POST', TEST, { params: { id: a.id }, body: { record_id: 987654 } }), ['record_id']);
      fieldErrors(await admin.req('POST', TEST, { params: { id: a.id }, body: { record_id: 'x' } }), ['record_id']);
      assertProblem(await admin.req('POST', TEST, { params: { id: 987654 }, body: { record_id: lead.id } }), 404);
    });

    it('the run history filters by automation, record and status', async () => {
      const r = await admin.req('GET', RUNS, { query: { status: 'done', limit: 5 } });
      assert.equal(r.status, 200, r.text);
      assert.ok(r.body.data.every((x) => x.status === 'done'));
      assertProblem(await admin.req('GET', RUNS, { query: { status: 'sleeping' } }), 400);
      assertProblem(await admin.req('GET', RUNS, { query: { limit: 0 } }), 400);
      assertProblem(await admin.req('GET', RUNS, { query: { sort: 'steps' } }), 400);
    });
  });
});

describe('automations: date rules on two nodes of one database', () => {
  let srv;
  let admin;
  const nodes = [];
  const FAST = { ATRIUM_SCHEDULER_LEASE_MS: '2000' };

  before(async () => {
    // The harness's server serves HTTP only; two nodes compete for the
    // scheduler and both run automation jobs.
    srv = await startServer({ env: { ...FAST, ATRIUM_SCHEDULER: 'false' } });
    admin = await adminClient(srv);
    nodes.push(await startNode(srv, 'b', { ATRIUM_SCHEDULER: 'true' }));
    nodes.push(await startNode(srv, 'c', { ATRIUM_SCHEDULER: 'true' }));
  });

  after(async () => {
    for (const n of nodes) await stopNode(n);
    await srv?.stop();
  });

  it('fires once per record and date, across the nodes, a killed leader and a new node', async () => {
    const a = await admin.req('POST', AUTOS, {
      body: {
        name: uniq('Renewals '), enabled: true, trigger: { type: 'date', entity: 'contract', field: 'end_date', offset_days: -30 },
        actions: [{ type: 'create_task', subject: 'Renew {{record.subject}}' }],
      },
    });
    assert.equal(a.status, 201, a.text);
    const clientId = (await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Two nodes ') } })).body.id;
    const ids = [];
    for (let i = 0; i < 6; i++) {
      // today, and up to five days late (a cluster that was down catches up)
      const c = await admin.req('POST', '/api/v1/contracts', { body: { subject: uniq('C '), client_id: clientId, end_date: day(30 - i) } });
      assert.equal(c.status, 201, c.text);
      ids.push(c.body.id);
    }
    const dates = () => srv.sql("SELECT count(*) FROM sched_run WHERE task = 'automation_dates'").stdout;
    const forceRun = async () => {
      const was = Number(dates());
      const u = srv.sql("UPDATE sched_task SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE name = 'automation_dates'");
      assert.equal(u.status, 0, u.stderr);
      await waitFor(() => Number(dates()) > was, { timeout: 20000, what: 'automation_dates ran' });
    };
    await waitFor(() => srv.sql("SELECT count(*) FROM sched_task WHERE name = 'automation_dates'").stdout === '1',
      { timeout: 20000, what: 'the task row' });
    await forceRun();
    await forceRun();
    // the leader dies; the other node takes over and runs the rule again
    const leader = srv.sql('SELECT lease_owner FROM sched_state').stdout;
    const dead = nodes.find((n) => Number(leader.split(":")[1]) === n.pid);
    assert.ok(dead, `the leader ${leader} is one of the nodes`);
    dead.proc.kill('SIGKILL');
    await dead.exited;
    await forceRun();
    // a node started afresh finds the markers too
    nodes.push(await startNode(srv, 'd', { ATRIUM_SCHEDULER: 'true' }));
    await forceRun();
    const tasks = await waitFor(async () => {
      const r = await admin.req('GET', '/api/v1/tasks', { query: { rel_type: 'contract', limit: 100 } });
      const mine = r.body.data.filter((t) => ids.includes(t.rel_id));
      return mine.length === ids.length && mine;
    }, { timeout: 20000, what: 'a task per contract' });
    assert.deepEqual(tasks.map((t) => t.rel_id).sort((x, y) => x - y), [...ids].sort((x, y) => x - y));
    const runs = (await admin.req('GET', RUNS, { query: { automation_id: a.body.id, limit: 100 } })).body.data;
    assert.equal(runs.length, ids.length, 'one run per record');
    assert.ok(runs.every((r) => r.status === 'done'), JSON.stringify(runs.map((r) => r.status)));
  });
});
