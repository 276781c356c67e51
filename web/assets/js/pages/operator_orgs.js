// The operator console (/admin/operator/orgs): the installation's
// organisations — the operator, its businesses and their merchants — with
// seats and usage; a new organisation (optionally its first administrator,
// invited by email); one organisation's usage, its seats, suspend, resume
// and delete (confirmed). Administrators of the operator organisation only:
// the navigation shows it to them alone (me.operator) and the server answers
// 403 to anyone else (GET/POST/PATCH/DELETE /api/v1/operator/orgs...).
import { h, pageTitle, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { alertBox, confirmDialog, loading, problemBox, toast } from '../ui.js';
import { control, showFieldErrors, clearErrors } from '../forms.js';
import { listView } from '../listview.js';
import { navigate } from '../router.js';
import { t } from '../i18n.js';
import { formatNumber } from '../format.js';

const PATH = '/admin/operator/orgs';
const API = '/api/v1/operator/orgs';
const KINDS = () => ['operator', 'business', 'merchant'].map((k) => [k, t(`operator.kind.${k}`)]);
const STATUSES = () => ['active', 'suspended'].map((s) => [s, t(`operator.status.${s}`)]);

/** 1536 → "1.5 KiB". */
function size(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n || 0);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
  return `${formatNumber(v, { min: 0, max: u ? 1 : 0 })} ${units[u]}`;
}

const statusBadge = (o) => h('span', { class: ['badge', o.status === 'active' ? 'badge-on' : 'badge-off'] },
  t(`operator.status.${o.status}`));
const seatsText = (o) => t('operator.seats_of', { used: o.seats.used, allowed: o.seats.allowed });

export async function orgsPage(ctx, root) {
  ctx.setTitle(t('nav.operator'));
  const add = h('a', { href: `${PATH}/new`, class: 'btn btn-primary' }, t('operator.new'));
  const view = listView(ctx, {
    api: API,
    name: t('nav.operator'),
    id: 'orgs',
    sort: 'id',
    sortText: t('operator.oldest_first'),
    limit: 25,
    search: { label: t('operator.search'), placeholder: t('operator.search_placeholder') },
    filterLabel: t('operator.filter'),
    filters: [
      { param: 'kind', id: 'orgs-kind', label: t('operator.col.kind'), options: KINDS() },
      { param: 'status', id: 'orgs-status', label: t('field.status'), options: STATUSES() },
    ],
    columns: [
      { label: t('field.name'), sort: 'name', cell: (o) => h('a', { href: `${PATH}/${o.id}` }, o.name) },
      { label: t('operator.col.kind'), cell: (o) => t(`operator.kind.${o.kind}`) },
      { label: t('operator.col.parent'), cell: (o) => (o.parent_id ? h('a', { href: `${PATH}/${o.parent_id}` }, `#${o.parent_id}`) : '—') },
      { label: t('field.status'), class: 'nowrap', cell: statusBadge },
      { label: t('operator.col.seats'), class: 'nowrap', cell: seatsText },
      { label: t('operator.col.jobs'), class: 'nowrap',
        cell: (o) => t('operator.jobs_of', { waiting: o.usage.jobs.waiting, dead: o.usage.jobs.dead }) },
      { label: t('operator.col.files'), class: 'nowrap', cell: (o) => size(o.usage.storage.attachments_bytes) },
    ],
    rowProps: (o) => ({ dataset: { org: o.id, status: o.status } }),
    empty: { none: [t('operator.none')], filtered: [t('operator.no_match')] },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.operator')), add),
    h('p', { class: 'muted page-lead' }, t('operator.lead')),
    view.root);
  await view.load();
}

/** The businesses a merchant may sit under: [[id, name]]. */
async function businesses(signal) {
  const r = await api('GET', API, { query: { kind: 'business', limit: 200, sort: 'name' }, signal });
  return r.data.data.map((o) => [String(o.id), o.name]);
}

export async function newOrgPage(ctx, root) {
  ctx.setTitle(t('operator.new'));
  root.replaceChildren(loading());
  let parents;
  try {
    parents = await businesses(ctx.signal);
  } catch (err) {
    if (!isAbort(err)) root.replaceChildren(problemBox(err));
    return;
  }
  const messages = h('div', { tabindex: '-1', 'aria-live': 'polite' });
  const c = {
    name: control({ name: 'name', label: t('field.name'), required: true, max: 200, wide: true }),
    kind: control({ name: 'kind', type: 'select', label: t('operator.col.kind'), options: KINDS().slice(1) }),
    parent_id: control({ name: 'parent_id', type: 'select', label: t('operator.col.parent'),
      hint: t('operator.parent_hint'), options: [['', t('operator.parent_operator')], ...parents] }),
    members_included: control({ name: 'members_included', type: 'number', label: t('operator.members_included'),
      hint: t('operator.members_included_hint'), min: 1, maxValue: 1000000 }),
    extra_seats: control({ name: 'extra_seats', type: 'number', label: t('operator.extra_seats'), min: 0, maxValue: 1000000 }),
    admin_email: control({ name: 'admin_email', type: 'email', label: t('operator.admin_email'), hint: t('operator.admin_hint') }),
    admin_name: control({ name: 'admin_name', label: t('operator.admin_name'), max: 200 }),
  };
  c.members_included.set(5);
  c.extra_seats.set(0);
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('operator.create'));
  const form = h('form', { class: 'form-grid', novalidate: true }, Object.values(c).map((x) => x.wrap),
    h('div', { class: 'form-actions field-wide' }, save, h('a', { href: PATH, class: 'btn btn-ghost' }, t('common.cancel'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(c, messages);
    save.disabled = true;
    const body = {};
    for (const [k, x] of Object.entries(c)) {
      const v = x.get();
      if (v !== null && v !== '') body[k] = k === 'parent_id' ? Number(v) : v;
    }
    try {
      const r = await api('POST', API, { body, signal: ctx.signal });
      toast(r.data.invitation_sent ? t('operator.created_invited', { name: r.data.name })
        : r.data.admin_linked ? t('operator.created_linked', { name: r.data.name })
          : t('operator.created', { name: r.data.name }));
      navigate(`${PATH}/${r.data.id}`);
    } catch (err) {
      if (isAbort(err)) return;
      if (err.fieldErrors && err.fieldErrors.length) showFieldErrors(err, c, messages);
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
    }
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('operator.new'))),
    h('p', { class: 'muted page-lead' }, t('operator.new_lead')),
    h('section', { class: 'card' }, messages, form));
}

/** The seats form of organisation o; onSaved(o) with the answer. */
function seatsForm(ctx, o, onSaved) {
  const messages = h('div', { tabindex: '-1', 'aria-live': 'polite' });
  const c = {
    members_included: control({ name: 'members_included', type: 'number', label: t('operator.members_included'),
      min: 1, maxValue: 1000000, required: true }),
    extra_seats: control({ name: 'extra_seats', type: 'number', label: t('operator.extra_seats'),
      min: 0, maxValue: 1000000, required: true }),
  };
  c.members_included.set(o.seats.included);
  c.extra_seats.set(o.seats.extra);
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save'));
  const form = h('form', { class: 'form-grid', novalidate: true }, Object.values(c).map((x) => x.wrap),
    h('div', { class: 'form-actions field-wide' }, save));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(c, messages);
    save.disabled = true;
    try {
      const body = { members_included: c.members_included.get(), extra_seats: c.extra_seats.get() };
      const r = await api('PATCH', `${API}/${o.id}/seats`, { body, signal: ctx.signal });
      toast(t('operator.seats_saved'));
      onSaved(r.data);
    } catch (err) {
      if (isAbort(err)) return;
      if (err.fieldErrors && err.fieldErrors.length) showFieldErrors(err, c, messages);
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'org-seats-title' },
    h('h2', { id: 'org-seats-title', class: 'section-title' }, t('operator.seats')), messages, form);
}

/** Definition-list rows. */
const facts = (rows) => h('dl', { class: 'facts' }, rows.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));

export async function orgPage(ctx, root) {
  const id = Number(ctx.params.id);
  root.replaceChildren(loading());
  const messages = h('div', { tabindex: '-1', 'aria-live': 'polite' });

  async function act(path, okText) {
    messages.replaceChildren();
    try {
      const r = await api('POST', `${API}/${id}/${path}`, { signal: ctx.signal });
      toast(okText);
      render(r.data);
    } catch (err) {
      if (isAbort(err)) return;
      messages.replaceChildren(problemBox(err));
      messages.focus();
    }
  }
  async function remove(o) {
    const ok = await confirmDialog({ title: t('operator.delete_title', { name: o.name }),
      message: t('operator.delete_message'), confirmLabel: t('operator.delete_confirm'), danger: true });
    if (!ok) return;
    messages.replaceChildren();
    try {
      await api('DELETE', `${API}/${id}`, { signal: ctx.signal });
      toast(t('operator.deleted', { name: o.name }));
      navigate(PATH);
    } catch (err) {
      if (isAbort(err)) return;
      messages.replaceChildren(problemBox(err));
      messages.focus();
    }
  }

  function render(o) {
    ctx.setTitle(o.name);
    const u = o.usage;
    const actions = [];
    if (o.kind !== 'operator') {
      if (o.status === 'active') {
        const b = h('button', { type: 'button', class: 'btn' }, t('operator.suspend'));
        b.addEventListener('click', async () => {
          if (await confirmDialog({ title: t('operator.suspend_title', { name: o.name }), message: t('operator.suspend_message'),
            confirmLabel: t('operator.suspend'), danger: true })) act('suspend', t('operator.suspended', { name: o.name }));
        });
        actions.push(b);
      } else {
        const b = h('button', { type: 'button', class: 'btn' }, t('operator.resume'));
        b.addEventListener('click', () => act('resume', t('operator.resumed', { name: o.name })));
        actions.push(b);
      }
      const del = h('button', { type: 'button', class: 'btn btn-danger' }, t('common.delete'));
      del.addEventListener('click', () => remove(o));
      actions.push(del);
    }
    const records = Object.entries(u.records || {}).filter(([, n]) => n > 0)
      .map(([k, n]) => h('li', null, `${k}: ${formatNumber(n)}`));
    root.replaceChildren(
      h('p', null, h('a', { href: PATH }, t('operator.back'))),
      h('div', { class: 'page-header' }, pageTitle(o.name, statusBadge(o)), h('div', { class: 'header-actions' }, actions)),
      o.status === 'suspended' ? alertBox('warning', t('operator.is_suspended'), t('operator.is_suspended_detail')) : null,
      messages,
      h('section', { class: 'card', 'aria-labelledby': 'org-usage-title', 'data-testid': 'org-usage' },
        h('h2', { id: 'org-usage-title', class: 'section-title' }, t('operator.usage')),
        facts([
          [t('operator.col.kind'), t(`operator.kind.${o.kind}`)],
          [t('operator.col.parent'), o.parent_id ? h('a', { href: `${PATH}/${o.parent_id}` }, `#${o.parent_id}`) : '—'],
          [t('field.created_at'), timeEl(o.created_at)],
          [t('operator.col.seats'), seatsText(o)],
          [t('operator.members'), t('operator.members_of', { active: u.members.active, total: u.members.total })],
          [t('operator.records'), formatNumber(u.records_total)],
          [t('operator.children'), formatNumber(u.children)],
          [t('operator.col.files'), size(u.storage.attachments_bytes)],
          [t('operator.archives'), size(u.storage.archives_bytes)],
          [t('operator.col.jobs'), t('operator.jobs_of', { waiting: u.jobs.waiting, dead: u.jobs.dead })],
        ]),
        records.length ? h('ul', { class: 'plain-list' }, records) : null),
      seatsForm(ctx, o, render));
  }

  try {
    const r = await api('GET', `${API}/${id}`, { signal: ctx.signal });
    render(r.data);
  } catch (err) {
    if (!isAbort(err)) root.replaceChildren(problemBox(err));
  }
}

export const routes = [
  [PATH, orgsPage],
  [`${PATH}/new`, newOrgPage],
  [`${PATH}/:id`, orgPage],
];
export const nav = [
  { path: PATH, key: 'nav.operator', label: 'Organisations', operatorOnly: true, group: 'Administration', order: 5,
    icon: ['M3 21h18', 'M5 21V7l7-4 7 4v14', 'M9 21v-6h6v6', 'M9 10h.01', 'M15 10h.01'] },
];
