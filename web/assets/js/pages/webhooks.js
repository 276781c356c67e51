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
import { t, tOr } from '../i18n.js';
import { formatNumber } from '../format.js';

const BASE = '/admin/webhooks';
// The list as it was last left (its filters, sort and page), for the links back to it.
const listHref = () => BASE + lastListQuery(BASE);
// Every entity the API lets a webhook follow (src/admin/webhook.c: the registry's and staff).
const ENTITY_KEYS = [['lead', 'leads', 'Leads'], ['client', 'clients', 'Clients'], ['contact', 'contacts', 'Contacts'],
  ['contract', 'contracts', 'Contracts'], ['project', 'projects', 'Projects'], ['task', 'tasks', 'Tasks'],
  ['ticket', 'tickets', 'Tickets'], ['invoice', 'invoices', 'Invoices'], ['payment', 'payments', 'Payments'],
  ['credit_note', 'credit_notes', 'Credit notes'], ['department', 'departments', 'Departments'], ['team', 'teams', 'Teams'],
  ['staff', 'staff', 'Staff']];
const ENTITIES = ENTITY_KEYS.map(([e]) => [e]);
/** [value, label] of the entities and events, in the member's language. */
const entityItems = () => ENTITY_KEYS.map(([e, plural, label]) => [e, tOr(`entity.${plural}`, tOr(`module.${plural}`, label))]);
const EVENTS = [['created'], ['updated'], ['deleted'], ['status_changed']];
const eventItems = () => EVENTS.map(([e]) => [e, t(`hooks.event.${e}`)]);
const BADGE = { pending: 'queued', delivered: 'sent', failed: 'blocked' };
// The delivery log's event types: entity.event, and the test event.
const EVENT_TYPES = [...ENTITIES.flatMap(([e]) => EVENTS.map(([v]) => `${e}.${v}`)), 'webhook.test'];

function secretPanel(secret, title) {
  const input = h('input', { class: 'input mono', readOnly: true, value: secret, 'aria-label': t('hooks.secret'),
    'data-testid': 'webhook-secret' });
  const copy = h('button', { type: 'button', class: 'btn' }, t('hooks.copy_secret'));
  copy.addEventListener('click', async () => toast(await copyText(secret) ? t('common.copied') : t('hooks.copy_failed')));
  return h('div', { class: 'card', 'data-testid': 'secret-panel' },
    alertBox('warning', title, t('hooks.secret_detail')),
    h('div', { class: 'field field-wide' }, input), copy);
}

async function listPage(ctx, root) {
  ctx.setTitle(t('nav.webhooks'));
  const add = can('webhooks', 'create') ? h('a', { href: `${BASE}/new`, class: 'btn btn-primary' }, t('hooks.add')) : null;
  const view = listView(ctx, {
    api: '/api/v1/webhooks',
    name: t('nav.webhooks'),
    caption: t('hooks.caption'),
    id: 'wh',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    search: { label: t('hooks.search'), placeholder: t('hooks.search_placeholder') },
    filterLabel: t('hooks.filter'),
    filters: [{ param: 'active', id: 'wh-active', label: t('hooks.state'), options: [['true', t('hooks.active')], ['false', t('hooks.off')]] }],
    columns: [
      { label: t('field.name'), sort: 'name', cell: (w) => w.name },
      { label: 'URL', cell: (w) => h('span', { class: 'mono truncate', title: w.url }, w.url) },
      { label: t('nav.events'), cell: (w) => `${w.entities.join(', ')}: ${w.events.join(', ')}` },
      { label: t('hooks.rate'),
        cell: (w) => [w.delivery_rate === null ? h('span', { class: 'muted' }, '—')
          : h('span', { class: w.delivery_rate < 0.95 ? 'error-text' : null }, `${formatNumber(w.delivery_rate * 100, { min: 1, max: 1 })}%`),
        w.deliveries.failed ? h('span', { class: 'attempts muted' }, t('cron.failed', { count: w.deliveries.failed })) : null] },
      { label: t('hooks.state'),
        cell: (w) => [h('span', { class: ['badge', w.active ? 'badge-mail-sent' : 'badge-mail-blocked'] }, w.active ? t('hooks.active') : t('hooks.off')),
          w.debug_mode ? h('span', { class: 'badge badge-mail-queued' }, t('hooks.debug')) : null] },
      { label: t('field.created_at'), sort: 'created_at', desc: true, class: 'when', cell: (w) => timeEl(w.created_at) },
    ],
    rowHref: (w) => `${BASE}/${w.id}`,
    rowProps: (w) => ({ dataset: { webhook: w.id } }),
    empty: {
      none: [t('hooks.none'), add ? t('hooks.none_detail') : null],
      filtered: [t('hooks.no_match'), t('staff.try_another')],
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.webhooks')), add),
    h('p', { class: 'muted page-lead' }, t('hooks.lead')),
    view.root);
  await view.load();
}

/** The endpoint form (add or edit): returns {form, fields, read()}. */
function hookForm(w) {
  const fields = {
    name: control({ name: 'name', label: t('field.name'), required: true, max: 100, hint: t('hooks.name_hint') }),
    url: control({ name: 'url', label: t('hooks.url'), required: true, type: 'url',
      hint: t('hooks.url_hint') }),
    entities: checkboxGroup({ name: 'entities', label: t('hooks.entities'), items: entityItems() }),
    events: checkboxGroup({ name: 'events', label: t('nav.events'), items: eventItems() }),
    active: control({ name: 'active', label: t('hooks.active'), type: 'checkbox' }),
    debug_mode: control({ name: 'debug_mode', label: t('hooks.debug_mode'),
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
  ctx.setTitle(t('hooks.add'));
  const { fields, read } = hookForm(null);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('hooks.add'));
  const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'webhook-form' }, messages,
    h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
    h('div', { class: 'form-actions' }, save, h('a', { href: listHref(), class: 'btn' }, t('common.cancel'))));
  root.replaceChildren(h('div', { class: 'page-header' }, pageTitle(t('hooks.add'))), form);
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
  const dlg = modal({ title: t('hooks.delivery', { id }), wide: true, returnFocus });
  const close = h('button', { type: 'button', class: 'btn' }, t('common.close'));
  close.addEventListener('click', () => dlg.close());
  dlg.actions.replaceChildren(close);
  try {
    const { data: d } = await api('GET', `/api/v1/webhook-deliveries/${id}`);
    const replay = can('webhooks', 'edit') && d.status !== 'pending'
      ? h('button', { type: 'button', class: 'btn btn-primary' }, t('hooks.replay')) : null;
    if (replay) {
      replay.addEventListener('click', async () => {
        try {
          await api('POST', `/api/v1/webhook-deliveries/${id}/replay`, { body: {} });
          toast(t('hooks.queued_again'));
          dlg.close();
          onReplay();
        } catch (err) { dlg.body.prepend(problemBox(err)); }
      });
      dlg.actions.prepend(replay);
    }
    replace(dlg.body, // replace() skips the nulls (replaceChildren would write "null")
      h('p', null, `${d.event_type} · webhook-id `, h('span', { class: 'mono' }, d.msg_id)),
      h('table', { class: 'table', 'aria-label': t('hooks.attempts') },
        h('thead', null, h('tr', null, ['#', t('events.when'), t('field.status'), t('apilog.duration'), t('hooks.error')]
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, d.attempts_log.map((a) => h('tr', null, h('td', null, String(a.attempt)), h('td', null, timeEl(a.at)),
          h('td', null, a.status_code === null ? '—' : String(a.status_code)), h('td', null, `${formatNumber(a.duration_ms)} ms`),
          h('td', null, a.error || '—'))))),
      d.attempts_log.some((a) => a.request_body) ? h('div', null,
        h('h3', { class: 'section-title' }, t('hooks.last_request')), h('pre', { class: 'mono pre-wrap', 'data-testid': 'request-body' },
          d.attempts_log.find((a) => a.request_body).request_body),
        h('h3', { class: 'section-title' }, t('hooks.last_response')), h('pre', { class: 'mono pre-wrap', 'data-testid': 'response-body' },
          d.attempts_log.find((a) => a.request_body).response_body || '')) : null);
  } catch (err) {
    dlg.body.replaceChildren(problemBox(err));
  }
}

/** The rotate dialog: how long the old secret keeps signing; resolves with the answer (the new secret), or null. */
async function rotateDialog(id, returnFocus) {
  const dlg = modal({ title: t('hooks.rotate_q'), returnFocus });
  const hours = control({ name: 'overlap_hours', label: t('hooks.overlap'), type: 'number', min: 1,
    maxValue: 168, required: true, hint: t('hooks.overlap_hint') });
  hours.set(24);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('hooks.rotate'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  cancel.addEventListener('click', () => dlg.close(null));
  const form = h('form', { novalidate: true, 'data-testid': 'rotate-form' },
    h('p', null, t('hooks.rotate_lead')), messages, hours.wrap,
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
  const refresh = h('button', { type: 'button', class: 'btn btn-ghost' }, t('mail.refresh'));
  const replayAll = can('webhooks', 'edit') ? h('button', { type: 'button', class: 'btn' }, t('hooks.replay_all')) : null;
  const details = (d) => {
    const open = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('hooks.details_of', { id: d.id }) }, t('staff.tab.details'));
    open.addEventListener('click', () => showDelivery(d.id, open, () => view.load()));
    return open;
  };
  const view = listView(ctx, {
    api: `/api/v1/webhooks/${id}/deliveries`,
    name: t('hooks.deliveries'),
    id: 'dl',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    count: true,
    search: null,
    filterLabel: t('hooks.filter_deliveries'),
    filters: [
      { param: 'status', id: 'dl-status', label: t('field.status'),
        options: ['pending', 'delivered', 'failed'].map((s) => [s, t(`hooks.status.${s}`)]) },
      { param: 'event_type', id: 'dl-event', label: t('hooks.event'), type: 'text', placeholder: t('activity.any'), suggestions: EVENT_TYPES },
      { type: 'dates', field: 'created_at', params: ['from', 'to'], labels: [t('activity.from'), t('activity.to')] },
    ],
    toolbar: [refresh, replayAll],
    columns: [
      { label: '#', sort: 'id', desc: true, class: 'mono', cell: (d) => String(d.id) },
      { label: t('events.when'), sort: 'created_at', desc: true, class: 'when', cell: (d) => timeEl(d.created_at) },
      { label: t('hooks.event'), cell: (d) => d.event_type },
      { label: t('field.status'), cell: (d) => h('span', { class: ['badge', `badge-mail-${BADGE[d.status] || 'queued'}`] }, d.status) },
      { label: t('hooks.code'), cell: (d) => (d.last_status_code === null ? '—' : String(d.last_status_code)) },
      { label: t('hooks.attempts'), headClass: 'num', class: 'num', cell: (d) => String(d.attempts) },
      { label: t('hooks.error'), class: 'truncate', cell: (d) => d.last_error || '—' },
      { label: '', hiddenLabel: t('common.actions'), cell: details },
    ],
    rowProps: (d) => ({ dataset: { delivery: d.id, status: d.status } }),
    tableClass: 'table-log',
    empty: {
      none: [t('hooks.no_deliveries'), t('hooks.no_deliveries_detail')],
      filtered: [t('hooks.no_deliveries_match'), t('events.try_other')],
    },
  });
  refresh.addEventListener('click', () => view.load());
  replayAll?.addEventListener('click', async () => {
    replayAll.disabled = true;
    try {
      const { data } = await api('POST', `/api/v1/webhooks/${id}/replay-failed`, { body: {} });
      toast(t('hooks.replayed', { count: data.replayed }));
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
  ctx.setTitle(t('hooks.one'));
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
      if (!isAbort(err)) top.replaceChildren(problemBox(err, h('a', { href: listHref(), class: 'btn' }, t('hooks.all'))));
      return false;
    }
    ctx.setTitle(w.name);
    const editable = can('webhooks', 'edit');
    const { fields, read } = hookForm(w);
    const messages = h('div', { class: 'form-messages', tabindex: '-1' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save'));
    const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'webhook-form', 'aria-label': t('hooks.settings') },
      messages, h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
      editable ? h('div', { class: 'form-actions' }, save) : null);
    if (!editable) for (const el of form.elements) el.disabled = true;
    // A rotated secret shows here without drawing the form again: what was typed stays.
    const secretSlot = h('div', null, secret ? secretPanel(secret, t('hooks.copy_now')) : null);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(fields, messages);
      save.disabled = true;
      try {
        const { data } = await api('PATCH', `/api/v1/webhooks/${id}`, { body: read(), ifMatch: `"${w.version}"` });
        toast(t('tokens.saved'));
        await loadHook(data.secret);
      } catch (err) {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'webhook', () => loadHook());
        else showFieldErrors(err, fields, messages);
      } finally {
        save.disabled = false;
      }
    });
    const test = editable ? h('button', { type: 'button', class: 'btn' }, t('hooks.send_test')) : null;
    test?.addEventListener('click', async () => {
      try {
        await api('POST', `/api/v1/webhooks/${id}/test`, { body: {} });
        toast(t('hooks.test_queued'));
        // Watch the log until the delivery is no longer pending (a few seconds at most).
        for (let i = 0; i < 10 && view && !ctx.signal.aborted; i++) {
          await view.load();
          if (!view.rows.some((d) => d.status === 'pending')) break;
          await new Promise((r) => setTimeout(r, 500));
        }
      } catch (err) { top.prepend(problemBox(err)); }
    });
    const rotate = editable ? h('button', { type: 'button', class: 'btn' }, t('hooks.rotate_secret')) : null;
    rotate?.addEventListener('click', async () => {
      const data = await rotateDialog(id, rotate);
      if (!data) return;
      w.version = data.version; // the next save's If-Match
      replace(secretSlot, secretPanel(data.secret, t('hooks.copy_new_now')),
        data.previous_secret_until ? alertBox('info', t('hooks.previous_signs'),
          h('span', null, `${t('hooks.until')} `, timeEl(data.previous_secret_until), `, ${t('hooks.alongside')}`)) : null);
      secretSlot.querySelector('input').focus();
    });
    const del = can('webhooks', 'delete') ? h('button', { type: 'button', class: 'btn btn-danger' }, t('common.delete')) : null;
    del?.addEventListener('click', async () => {
      if (!await confirmDialog({ title: t('hooks.delete_q', { name: w.name }), danger: true, confirmLabel: t('common.delete'),
        message: t('hooks.delete_message') })) return;
      try {
        await api('DELETE', `/api/v1/webhooks/${id}`);
        navigate(listHref());
      } catch (err) { top.prepend(problemBox(err)); }
    });
    replace(top,
      h('div', { class: 'page-header' }, pageTitle(w.name), test, rotate, del),
      h('p', null, h('a', { href: listHref() }, `← ${t('hooks.all')}`)),
      secretSlot,
      !w.active && w.disabled_reason ? alertBox('error', t('hooks.turned_off'), w.disabled_reason) : null,
      w.debug_mode ? alertBox('info', t('hooks.debug_on'), t('hooks.debug_on_detail')) : null,
      form);
    // Leaving with unsaved changes asks first (dirty.js); a save draws a new form.
    if (editable) trackForm(form);
    return true;
  }

  if (!await loadHook(fresh)) return;
  view = deliveryLog(ctx, id);
  log.replaceChildren(h('h2', { id: 'dl-title', class: 'section-title' }, t('hooks.logs')), view.root);
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
