// Webhooks (/admin/webhooks): endpoints, and per endpoint its settings and
// delivery log. The spec's steps: add the URL, choose entities and events,
// turn debug_mode on, send a test event, check the log for a 200, turn
// debug_mode off. Failed deliveries (the dead letters) can be replayed.
// Both lists (endpoints, a webhook's deliveries) are the list component
// (listview.js), offering what their routes declare (src/admin/webhook.c,
// webhook_log.c); the add and edit forms and the rotate dialog ask before
// they are left with unsaved changes (dirty.js).
import { h, pageTitle, replace, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { navigate } from '../router.js';
import { can } from '../session.js';
import { trackForm } from '../dirty.js';
import { lastListQuery, listView } from '../listview.js';
import { alertBox, confirmDialog, copyText, modal, problemBox, toast } from '../ui.js';
import { checkboxGroup, clearErrors, control, showFieldErrors, staleNotice } from '../forms.js';

const BASE = '/admin/webhooks';
// The list as it was last left (its filters, sort and page), for the links back to it.
const listHref = () => BASE + lastListQuery(BASE);
const ENTITIES = [['lead', 'Leads'], ['client', 'Clients'], ['department', 'Departments'], ['team', 'Teams'], ['staff', 'Staff']];
const EVENTS = [['created', 'Created'], ['updated', 'Updated'], ['deleted', 'Deleted'], ['status_changed', 'Status changed']];
const BADGE = { pending: 'queued', delivered: 'sent', failed: 'blocked' };
// The delivery log's event types: entity.event, and the test event.
const EVENT_TYPES = [...ENTITIES.flatMap(([e]) => EVENTS.map(([v]) => `${e}.${v}`)), 'webhook.test'];

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
  const view = listView(ctx, {
    api: '/api/v1/webhooks',
    name: 'Webhooks',
    caption: 'Webhook endpoints',
    id: 'wh',
    sort: '-id',
    sortText: 'newest first',
    limit: 25,
    search: { label: 'Search webhooks', placeholder: 'Name or URL…' },
    filterLabel: 'Filter webhooks',
    filters: [{ param: 'active', id: 'wh-active', label: 'State', options: [['true', 'Active'], ['false', 'Off']] }],
    columns: [
      { label: 'Name', sort: 'name', cell: (w) => w.name },
      { label: 'URL', cell: (w) => h('span', { class: 'mono truncate', title: w.url }, w.url) },
      { label: 'Events', cell: (w) => `${w.entities.join(', ')}: ${w.events.join(', ')}` },
      { label: 'Delivery rate',
        cell: (w) => [w.delivery_rate === null ? h('span', { class: 'muted' }, '—')
          : h('span', { class: w.delivery_rate < 0.95 ? 'error-text' : null }, `${(w.delivery_rate * 100).toFixed(1)}%`),
        w.deliveries.failed ? h('span', { class: 'attempts muted' }, `${w.deliveries.failed} failed`) : null] },
      { label: 'State',
        cell: (w) => [h('span', { class: ['badge', w.active ? 'badge-mail-sent' : 'badge-mail-blocked'] }, w.active ? 'Active' : 'Off'),
          w.debug_mode ? h('span', { class: 'badge badge-mail-queued' }, 'debug') : null] },
      { label: 'Created', sort: 'created_at', desc: true, class: 'when', cell: (w) => timeEl(w.created_at) },
    ],
    rowHref: (w) => `${BASE}/${w.id}`,
    rowProps: (w) => ({ dataset: { webhook: w.id } }),
    empty: {
      none: ['No webhooks yet.', add ? 'Add one for each system that needs notifications.' : null],
      filtered: ['No webhooks match.', 'Try another search or reset the filters.'],
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Webhooks'), add),
    h('p', { class: 'muted page-lead' },
      'Real-time notifications to external systems, signed per Standard Webhooks. Daily: failed deliveries? Check the '
      + 'destination URL. Test with debug mode before relying on an endpoint, then turn debug mode off.'),
    view.root);
  await view.load();
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
    h('div', { class: 'form-actions' }, save, h('a', { href: listHref(), class: 'btn' }, 'Cancel')));
  root.replaceChildren(h('div', { class: 'page-header' }, pageTitle('Add webhook')), form);
  trackForm(form); // leaving with what was typed asks first (dirty.js)
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
    replace(dlg.body, // replace() skips the nulls (replaceChildren would write "null")
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

/** The rotate dialog: how long the old secret keeps signing; resolves with the answer (the new secret), or null. */
async function rotateDialog(id, returnFocus) {
  const dlg = modal({ title: 'Rotate the signing secret?', returnFocus });
  const hours = control({ name: 'overlap_hours', label: 'The old secret also signs for (hours)', type: 'number', min: 1,
    maxValue: 168, required: true, hint: '1 to 168. Both secrets sign each message meanwhile, so the receiver can switch.' });
  hours.set(24);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Rotate');
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  cancel.addEventListener('click', () => dlg.close(null));
  const form = h('form', { novalidate: true, 'data-testid': 'rotate-form' },
    h('p', null, 'A new secret signs from now on, shown once.'), messages, hours.wrap,
    h('div', { class: 'dialog-actions' }, cancel, submit));
  dlg.body.replaceChildren(form);
  trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors({ overlap_hours: hours }, messages);
    submit.disabled = true;
    try {
      const { data } = await api('POST', `/api/v1/webhooks/${id}/rotate-secret`, { body: { overlap_hours: hours.get() } });
      dlg.close(data);
    } catch (err) {
      if (!isAbort(err)) showFieldErrors(err, { overlap_hours: hours }, messages);
    } finally {
      submit.disabled = false;
    }
  });
  hours.focus();
  return (await dlg.result) || null;
}

/** The delivery log of one endpoint on the list component (src/admin/webhook_log.c, dspec). */
function deliveryLog(ctx, id) {
  const refresh = h('button', { type: 'button', class: 'btn btn-ghost' }, 'Refresh');
  const replayAll = can('webhooks', 'edit') ? h('button', { type: 'button', class: 'btn' }, 'Replay all failed') : null;
  const details = (d) => {
    const open = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Details of delivery ${d.id}` }, 'Details');
    open.addEventListener('click', () => showDelivery(d.id, open, () => view.load()));
    return open;
  };
  const view = listView(ctx, {
    api: `/api/v1/webhooks/${id}/deliveries`,
    name: 'Deliveries',
    id: 'dl',
    sort: '-id',
    sortText: 'newest first',
    limit: 25,
    count: true,
    search: null,
    filterLabel: 'Filter deliveries',
    filters: [
      { param: 'status', id: 'dl-status', label: 'Status', options: [['pending', 'Pending'], ['delivered', 'Delivered'], ['failed', 'Failed']] },
      { param: 'event_type', id: 'dl-event', label: 'Event', type: 'text', placeholder: 'Any', suggestions: EVENT_TYPES },
      { type: 'dates', field: 'created_at', params: ['from', 'to'], labels: ['From', 'To'] },
    ],
    toolbar: [refresh, replayAll],
    columns: [
      { label: '#', sort: 'id', desc: true, class: 'mono', cell: (d) => String(d.id) },
      { label: 'When', sort: 'created_at', desc: true, class: 'when', cell: (d) => timeEl(d.created_at) },
      { label: 'Event', cell: (d) => d.event_type },
      { label: 'Status', cell: (d) => h('span', { class: ['badge', `badge-mail-${BADGE[d.status] || 'queued'}`] }, d.status) },
      { label: 'Code', cell: (d) => (d.last_status_code === null ? '—' : String(d.last_status_code)) },
      { label: 'Attempts', headClass: 'num', class: 'num', cell: (d) => String(d.attempts) },
      { label: 'Error', class: 'truncate', cell: (d) => d.last_error || '—' },
      { label: '', hiddenLabel: 'Actions', cell: details },
    ],
    rowProps: (d) => ({ dataset: { delivery: d.id, status: d.status } }),
    tableClass: 'table-log',
    empty: {
      none: ['No deliveries yet.', 'Send a test event, or wait for a change of the records it follows.'],
      filtered: ['No deliveries match.', 'Try other filters or reset them.'],
    },
  });
  refresh.addEventListener('click', () => view.load());
  replayAll?.addEventListener('click', async () => {
    replayAll.disabled = true;
    try {
      const { data } = await api('POST', `/api/v1/webhooks/${id}/replay-failed`, { body: {} });
      toast(`${data.replayed} deliver${data.replayed === 1 ? 'y' : 'ies'} queued again.`);
      await view.load();
    } catch (err) {
      if (!isAbort(err)) view.showError(err);
    } finally {
      replayAll.disabled = false;
    }
  });
  return view;
}

async function detailPage(ctx, root) {
  const id = ctx.params.id;
  ctx.setTitle('Webhook');
  const secretKey = `atrium-webhook-secret-${id}`;
  const fresh = sessionStorage.getItem(secretKey);
  sessionStorage.removeItem(secretKey);
  const top = h('div');
  const log = h('section', { class: 'section', 'aria-labelledby': 'dl-title' });
  root.replaceChildren(top, log);
  let w;
  let view = null;

  /** The endpoint's header and form (again after a save); secret: a new one to show once. */
  async function loadHook(secret) {
    try {
      ({ data: w } = await api('GET', `/api/v1/webhooks/${id}`, { signal: ctx.signal }));
    } catch (err) {
      if (!isAbort(err)) top.replaceChildren(problemBox(err, h('a', { href: listHref(), class: 'btn' }, 'All webhooks')));
      return false;
    }
    ctx.setTitle(w.name);
    const editable = can('webhooks', 'edit');
    const { fields, read } = hookForm(w);
    const messages = h('div', { class: 'form-messages', tabindex: '-1' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
    const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'webhook-form', 'aria-label': 'Webhook settings' },
      messages, h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
      editable ? h('div', { class: 'form-actions' }, save) : null);
    if (!editable) for (const el of form.elements) el.disabled = true;
    // A rotated secret shows here without drawing the form again: what was typed stays.
    const secretSlot = h('div', null, secret ? secretPanel(secret, 'Copy the signing secret now') : null);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(fields, messages);
      save.disabled = true;
      try {
        const { data } = await api('PATCH', `/api/v1/webhooks/${id}`, { body: read(), ifMatch: `"${w.version}"` });
        toast('Saved.');
        await loadHook(data.secret);
      } catch (err) {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'webhook', () => loadHook());
        else showFieldErrors(err, fields, messages);
      } finally {
        save.disabled = false;
      }
    });
    const test = editable ? h('button', { type: 'button', class: 'btn' }, 'Send test event') : null;
    test?.addEventListener('click', async () => {
      try {
        await api('POST', `/api/v1/webhooks/${id}/test`, { body: {} });
        toast('Test event queued: watch the log below.');
        // Watch the log until the delivery is no longer pending (a few seconds at most).
        for (let i = 0; i < 10 && view && !ctx.signal.aborted; i++) {
          await view.load();
          if (!view.rows.some((d) => d.status === 'pending')) break;
          await new Promise((r) => setTimeout(r, 500));
        }
      } catch (err) { top.prepend(problemBox(err)); }
    });
    const rotate = editable ? h('button', { type: 'button', class: 'btn' }, 'Rotate secret') : null;
    rotate?.addEventListener('click', async () => {
      const data = await rotateDialog(id, rotate);
      if (!data) return;
      w.version = data.version; // the next save's If-Match
      replace(secretSlot, secretPanel(data.secret, 'Copy the new signing secret now'),
        data.previous_secret_until ? alertBox('info', 'The previous secret still signs',
          h('span', null, 'Until ', timeEl(data.previous_secret_until), ', alongside the new one.')) : null);
      secretSlot.querySelector('input').focus();
    });
    const del = can('webhooks', 'delete') ? h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete') : null;
    del?.addEventListener('click', async () => {
      if (!await confirmDialog({ title: `Delete “${w.name}”?`, danger: true, confirmLabel: 'Delete',
        message: 'Its delivery log goes too. Queued deliveries are not sent.' })) return;
      try {
        await api('DELETE', `/api/v1/webhooks/${id}`);
        navigate(listHref());
      } catch (err) { top.prepend(problemBox(err)); }
    });
    replace(top,
      h('div', { class: 'page-header' }, pageTitle(w.name), test, rotate, del),
      h('p', null, h('a', { href: listHref() }, '← All webhooks')),
      secretSlot,
      !w.active && w.disabled_reason ? alertBox('error', 'Turned off by Atrium', w.disabled_reason) : null,
      w.debug_mode ? alertBox('info', 'Debug mode is on', 'Request and response bodies are kept in the log until it turns itself off.') : null,
      form);
    // Leaving with unsaved changes asks first (dirty.js); a save draws a new form.
    if (editable) trackForm(form);
    return true;
  }

  if (!await loadHook(fresh)) return;
  view = deliveryLog(ctx, id);
  log.replaceChildren(h('h2', { id: 'dl-title', class: 'section-title' }, 'Logs'), view.root);
  await view.load();
}

export const routes = [
  [BASE, listPage],
  [`${BASE}/new`, newPage],
  [`${BASE}/:id`, detailPage],
];
export const nav = [
  { path: BASE, key: 'nav.webhooks', label: 'Webhooks', module: 'webhooks', adminOnly: true, group: 'Administration', order: 40,
    icon: ['M18 16.1A4 4 0 1 0 14 20h-4', 'M6 8a4 4 0 1 1 6.5 3L9 17', 'M15 8h.01'] },
];
