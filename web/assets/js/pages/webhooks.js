// Webhooks (/admin/webhooks): endpoints, and per endpoint its settings and
// delivery log. The spec's steps: add the URL, choose entities and events,
// turn debug_mode on, send a test event, check the log for a 200, turn
// debug_mode off. Failed deliveries (the dead letters) can be replayed.
// Built on the list pattern of jobs.js / email_queue.js.
import { h, pageTitle, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { navigate, replaceQuery } from '../router.js';
import { can } from '../session.js';
import { alertBox, confirmDialog, copyText, emptyState, modal, pager, problemBox, toast } from '../ui.js';
import { checkboxGroup, clearErrors, control, showFieldErrors } from '../forms.js';

const BASE = '/admin/webhooks';
const LIMIT = 25;
const ENTITIES = [['lead', 'Leads'], ['client', 'Clients'], ['department', 'Departments'], ['team', 'Teams'], ['staff', 'Staff']];
const EVENTS = [['created', 'Created'], ['updated', 'Updated'], ['deleted', 'Deleted'], ['status_changed', 'Status changed']];
const BADGE = { pending: 'queued', delivered: 'sent', failed: 'blocked' };

function secretPanel(secret, title) {
  const input = h('input', { class: 'input mono', readOnly: true, value: secret, 'aria-label': 'Signing secret',
    'data-testid': 'webhook-secret' });
  const copy = h('button', { type: 'button', class: 'btn' }, 'Copy secret');
  copy.addEventListener('click', async () => toast(await copyText(secret) ? 'Copied.' : 'Select it and copy it.'));
  return h('div', { class: 'card', 'data-testid': 'secret-panel' },
    alertBox('warning', title, 'The receiver verifies each message with it (Standard Webhooks). It is shown this once.'),
    h('div', { class: 'field field-wide' }, input), copy);
}

async function listPage(ctx, root) {
  ctx.setTitle('Webhooks');
  const add = can('webhooks', 'create') ? h('a', { href: `${BASE}/new`, class: 'btn btn-primary' }, 'Add webhook') : null;
  const table = h('table', { class: 'table' });
  const status = h('div', { class: 'list-status' });
  const footer = h('div', { class: 'list-footer' });
  const state = { offset: Math.max(0, Number(ctx.query.get('offset')) || 0) };
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Webhooks'), add),
    h('p', { class: 'muted page-lead' },
      'Real-time notifications to external systems, signed per Standard Webhooks. Daily: failed deliveries? Check the '
      + 'destination URL. Test with debug mode before relying on an endpoint, then turn debug mode off.'),
    h('div', { class: 'card' }, status, h('div', { class: 'table-wrap' }, table), footer));
  async function load() {
    replaceQuery({ offset: state.offset || '' });
    try {
      const { data } = await api('GET', '/api/v1/webhooks', { query: { limit: LIMIT, offset: state.offset }, signal: ctx.signal });
      const rows = data.data || [];
      table.replaceChildren(h('caption', { class: 'visually-hidden' }, 'Webhook endpoints'),
        h('thead', null, h('tr', null, ['Name', 'URL', 'Events', 'Delivery rate', 'State'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows.map((w) => h('tr', { dataset: { webhook: w.id } },
          h('td', null, h('a', { href: `${BASE}/${w.id}` }, w.name)),
          h('td', { class: 'mono truncate', title: w.url }, w.url),
          h('td', null, `${w.entities.join(', ')}: ${w.events.join(', ')}`),
          h('td', null, w.delivery_rate === null ? h('span', { class: 'muted' }, '—')
            : h('span', { class: w.delivery_rate < 0.95 ? 'error-text' : null }, `${(w.delivery_rate * 100).toFixed(1)}%`),
          w.deliveries.failed ? h('span', { class: 'attempts muted' }, `${w.deliveries.failed} failed`) : null),
          h('td', null, h('span', { class: ['badge', w.active ? 'badge-mail-sent' : 'badge-mail-blocked'] }, w.active ? 'Active' : 'Off'),
            w.debug_mode ? h('span', { class: 'badge badge-mail-queued' }, 'debug') : null)))));
      status.replaceChildren(rows.length ? '' : emptyState('No webhooks yet.'));
      footer.replaceChildren(pager({ offset: state.offset, limit: LIMIT, total: Number(data.total) || 0, count: rows.length,
        label: 'Webhook pages', onPage: (o) => { state.offset = o; load(); } }));
    } catch (err) {
      if (!isAbort(err)) status.replaceChildren(problemBox(err));
    }
  }
  await load();
}

/** The endpoint form (add or edit): returns {form, fields, read()}. */
function hookForm(w) {
  const fields = {
    name: control({ name: 'name', label: 'Name', required: true, max: 100, hint: 'The system it notifies, e.g. “ERP Sync”.' }),
    url: control({ name: 'url', label: 'Destination URL', required: true, type: 'url',
      hint: 'https://… — a new URL gets a new signing secret.' }),
    entities: checkboxGroup({ name: 'entities', label: 'Entities', items: ENTITIES }),
    events: checkboxGroup({ name: 'events', label: 'Events', items: EVENTS }),
    active: control({ name: 'active', label: 'Active', type: 'checkbox' }),
    debug_mode: control({ name: 'debug_mode', label: 'Debug mode (keeps request and response bodies in the log for 24 hours)',
      type: 'checkbox' }),
  };
  fields.name.set(w ? w.name : '');
  fields.url.set(w ? w.url : '');
  fields.entities.set(w ? w.entities : ['lead']);
  fields.events.set(w ? w.events : ['created', 'updated', 'deleted']);
  fields.active.set(w ? w.active : true);
  fields.debug_mode.set(w ? w.debug_mode : false);
  const read = () => ({
    name: fields.name.get() ?? '', url: fields.url.get() ?? '',
    entities: fields.entities.get().map(String), events: fields.events.get().map(String),
    active: fields.active.get(), debug_mode: fields.debug_mode.get(),
  });
  return { fields, read };
}

async function newPage(ctx, root) {
  ctx.setTitle('Add webhook');
  const { fields, read } = hookForm(null);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add webhook');
  const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'webhook-form' }, messages,
    h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
    h('div', { class: 'form-actions' }, save, h('a', { href: BASE, class: 'btn' }, 'Cancel')));
  root.replaceChildren(h('div', { class: 'page-header' }, pageTitle('Add webhook')), form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(fields, messages);
    save.disabled = true;
    try {
      const { data } = await api('POST', '/api/v1/webhooks', { body: read() });
      sessionStorage.setItem(`atrium-webhook-secret-${data.id}`, data.secret);
      navigate(`${BASE}/${data.id}`);
    } catch (err) {
      if (!isAbort(err)) showFieldErrors(err, fields, messages);
    } finally {
      save.disabled = false;
    }
  });
  fields.name.focus();
}

/** One delivery's attempts in a dialog (bodies while debug mode was on). */
async function showDelivery(id, returnFocus, onReplay) {
  const dlg = modal({ title: `Delivery #${id}`, wide: true, returnFocus });
  const close = h('button', { type: 'button', class: 'btn' }, 'Close');
  close.addEventListener('click', () => dlg.close());
  dlg.actions.replaceChildren(close);
  try {
    const { data: d } = await api('GET', `/api/v1/webhook-deliveries/${id}`);
    const replay = can('webhooks', 'edit') && d.status !== 'pending'
      ? h('button', { type: 'button', class: 'btn btn-primary' }, 'Replay') : null;
    if (replay) {
      replay.addEventListener('click', async () => {
        try {
          await api('POST', `/api/v1/webhook-deliveries/${id}/replay`, { body: {} });
          toast('Queued again.');
          dlg.close();
          onReplay();
        } catch (err) { dlg.body.prepend(problemBox(err)); }
      });
      dlg.actions.prepend(replay);
    }
    dlg.body.replaceChildren(
      h('p', null, `${d.event_type} · webhook-id `, h('span', { class: 'mono' }, d.msg_id)),
      h('table', { class: 'table', 'aria-label': 'Attempts' },
        h('thead', null, h('tr', null, ['#', 'When', 'Status', 'Duration', 'Error'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, d.attempts_log.map((a) => h('tr', null, h('td', null, String(a.attempt)), h('td', null, timeEl(a.at)),
          h('td', null, a.status_code === null ? '—' : String(a.status_code)), h('td', null, `${a.duration_ms} ms`),
          h('td', null, a.error || '—'))))),
      d.attempts_log.some((a) => a.request_body) ? h('div', null,
        h('h3', { class: 'section-title' }, 'Last request body'), h('pre', { class: 'mono pre-wrap', 'data-testid': 'request-body' },
          d.attempts_log.find((a) => a.request_body).request_body),
        h('h3', { class: 'section-title' }, 'Last response body'), h('pre', { class: 'mono pre-wrap', 'data-testid': 'response-body' },
          d.attempts_log.find((a) => a.request_body).response_body || '')) : null);
  } catch (err) {
    dlg.body.replaceChildren(problemBox(err));
  }
}

async function detailPage(ctx, root) {
  const id = ctx.params.id;
  ctx.setTitle('Webhook');
  const secretKey = `atrium-webhook-secret-${id}`;
  const fresh = sessionStorage.getItem(secretKey);
  sessionStorage.removeItem(secretKey);
  const top = h('div');
  const log = h('section', { class: 'card' });
  root.replaceChildren(top, log);
  const state = { status: '', offset: 0 };
  let w;

  async function loadHook(secret) {
    try {
      ({ data: w } = await api('GET', `/api/v1/webhooks/${id}`, { signal: ctx.signal }));
    } catch (err) {
      if (!isAbort(err)) top.replaceChildren(problemBox(err, h('a', { href: BASE, class: 'btn' }, 'All webhooks')));
      return;
    }
    ctx.setTitle(w.name);
    const editable = can('webhooks', 'edit');
    const { fields, read } = hookForm(w);
    const messages = h('div', { class: 'form-messages', tabindex: '-1' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
    const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'webhook-form' }, messages,
      h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
      editable ? h('div', { class: 'form-actions' }, save) : null);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(fields, messages);
      save.disabled = true;
      try {
        const { data } = await api('PATCH', `/api/v1/webhooks/${id}`, { body: read(), ifMatch: `"${w.version}"` });
        toast('Saved.');
        await loadHook(data.secret);
      } catch (err) {
        if (!isAbort(err)) showFieldErrors(err, fields, messages);
      } finally {
        save.disabled = false;
      }
    });
    const test = editable ? h('button', { type: 'button', class: 'btn' }, 'Send test event') : null;
    test?.addEventListener('click', async () => {
      try {
        await api('POST', `/api/v1/webhooks/${id}/test`, { body: {} });
        toast('Test event queued: watch the log below.');
        for (let i = 0; i < 10 && !ctx.signal.aborted; i++) {
          await loadLog();
          if (!log.querySelector('[data-status="pending"]')) break;
          await new Promise((r) => setTimeout(r, 500));
        }
      } catch (err) { top.prepend(problemBox(err)); }
    });
    const rotate = editable ? h('button', { type: 'button', class: 'btn' }, 'Rotate secret') : null;
    rotate?.addEventListener('click', async () => {
      if (!await confirmDialog({ title: 'Rotate the signing secret?', confirmLabel: 'Rotate',
        message: 'A new secret signs from now on; the old one also signs for 24 hours while the receiver switches.' })) return;
      try {
        const { data } = await api('POST', `/api/v1/webhooks/${id}/rotate-secret`, { body: {} });
        await loadHook(data.secret);
      } catch (err) { top.prepend(problemBox(err)); }
    });
    const del = can('webhooks', 'delete') ? h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete') : null;
    del?.addEventListener('click', async () => {
      if (!await confirmDialog({ title: `Delete “${w.name}”?`, danger: true, confirmLabel: 'Delete',
        message: 'Its delivery log goes too. Queued deliveries are not sent.' })) return;
      try {
        await api('DELETE', `/api/v1/webhooks/${id}`);
        navigate(BASE);
      } catch (err) { top.prepend(problemBox(err)); }
    });
    top.replaceChildren(
      h('div', { class: 'page-header' }, pageTitle(w.name), test, rotate, del),
      h('p', null, h('a', { href: BASE }, '← All webhooks')),
      secret ? secretPanel(secret, 'Copy the signing secret now') : null,
      !w.active && w.disabled_reason ? alertBox('error', 'Turned off by Atrium', w.disabled_reason) : null,
      w.debug_mode ? alertBox('info', 'Debug mode is on', 'Request and response bodies are kept in the log until it turns itself off.') : null,
      form);
  }

  async function loadLog() {
    const sel = h('select', { id: 'dl-status', class: 'input' }, h('option', { value: '' }, 'All'),
      h('option', { value: 'pending' }, 'Pending'), h('option', { value: 'delivered' }, 'Delivered'),
      h('option', { value: 'failed' }, 'Failed'));
    sel.value = state.status;
    sel.addEventListener('change', () => { state.status = sel.value; state.offset = 0; loadLog(); });
    const replayAll = can('webhooks', 'edit') ? h('button', { type: 'button', class: 'btn btn-sm' }, 'Replay all failed') : null;
    replayAll?.addEventListener('click', async () => {
      try {
        const { data } = await api('POST', `/api/v1/webhooks/${id}/replay-failed`, { body: {} });
        toast(`${data.replayed} deliver${data.replayed === 1 ? 'y' : 'ies'} queued again.`);
        loadLog();
      } catch (err) { log.prepend(problemBox(err)); }
    });
    try {
      const query = { limit: LIMIT, offset: state.offset, count: 'true' };
      if (state.status) query.status = state.status;
      const { data } = await api('GET', `/api/v1/webhooks/${id}/deliveries`, { query, signal: ctx.signal });
      const rows = data.data || [];
      log.replaceChildren(
        h('div', { class: 'toolbar' }, h('h2', { class: 'section-title' }, 'Logs'),
          h('div', { class: 'toolbar-field' }, h('label', { for: 'dl-status', class: 'label label-inline' }, 'Status'), sel),
          h('div', { class: 'toolbar-buttons' }, replayAll)),
        rows.length ? h('table', { class: 'table table-log', 'aria-label': 'Deliveries' },
          h('thead', null, h('tr', null, ['When', 'Event', 'Status', 'Code', 'Attempts', 'Error', ''].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', null, rows.map((d) => {
            const open = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Details of delivery ${d.id}` }, 'Details');
            open.addEventListener('click', () => showDelivery(d.id, open, loadLog));
            return h('tr', { dataset: { delivery: d.id, status: d.status } },
              h('td', { class: 'when' }, timeEl(d.created_at)), h('td', null, d.event_type),
              h('td', null, h('span', { class: ['badge', `badge-mail-${BADGE[d.status]}`] }, d.status)),
              h('td', null, d.last_status_code === null ? '—' : String(d.last_status_code)),
              h('td', null, String(d.attempts)), h('td', { class: 'truncate' }, d.last_error || '—'), h('td', null, open));
          }))) : emptyState('No deliveries yet.'),
        pager({ offset: state.offset, limit: LIMIT, total: Number(data.total) || rows.length, count: rows.length,
          label: 'Delivery pages', onPage: (o) => { state.offset = o; loadLog(); } }));
    } catch (err) {
      if (!isAbort(err)) log.replaceChildren(problemBox(err));
    }
  }
  await loadHook(fresh);
  await loadLog();
}

export const routes = [
  [BASE, listPage],
  [`${BASE}/new`, newPage],
  [`${BASE}/:id`, detailPage],
];
export const nav = [
  { path: BASE, label: 'Webhooks', module: 'webhooks', adminOnly: true, group: 'Administration', order: 40,
    icon: ['M18 16.1A4 4 0 1 0 14 20h-4', 'M6 8a4 4 0 1 1 6.5 3L9 17', 'M15 8h.01'] },
];
