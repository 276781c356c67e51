// The contact's tickets: the list (status, search, order, pages), a
// ticket's page (its message and the conversation oldest first, staff and
// contact replies told apart, its files, a reply form and an upload) and
// the "new ticket" form. GET/POST /api/v1/portal/tickets...
import { h, replace, timeEl } from '../js/dom.js';
import { api, ApiError, isAbort } from '../js/api.js';
import { t } from '../js/i18n.js';
import { navigate, replaceQuery } from './router.js';
import {
  alertBox, emptyState, errorText, facts, field, loading, missing, onSubmit, optionText, pageHeader,
  pager, problemBox, sizeText, statusBadge, toast,
} from './ui.js';
import { customFacts } from './records.js';

const API = '/api/v1/portal/tickets';
const STATUSES = ['open', 'in_progress', 'answered', 'on_hold', 'closed'];
const PRIORITIES = ['low', 'medium', 'high', 'urgent'];
const SORTS = [['-id', 'portal.sort.newest'], ['-updated_at', 'portal.sort.updated'], ['id', 'portal.sort.oldest'],
  ['subject', 'portal.sort.subject']];
const PAGE = 20;

// A message for the next ticket page drawn (a file the new-ticket form
// could not attach after the ticket was opened).
let flash = null;

/** /portal/tickets */
export async function ticketListPage(ctx, root) {
  ctx.setTitle(t('portal.nav.tickets'));
  const q = ctx.query;
  const state = { status: q.get('status') || '', q: q.get('q') || '', sort: q.get('sort') || '-id',
    offset: Math.max(0, Number(q.get('offset')) || 0) };
  if (!SORTS.some(([v]) => v === state.sort)) state.sort = '-id';

  const search = field({ name: 'q', label: t('portal.list.search'), type: 'search', value: state.q });
  const status = field({ name: 'status', label: t('portal.tickets.status'), type: 'select',
    options: [['', t('portal.tickets.any_status')], ...STATUSES.map((s) => [s, optionText('ticket', 'status', s)])],
    value: state.status });
  const sort = field({ name: 'sort', label: t('portal.list.sort'), type: 'select',
    options: SORTS.map(([v, key]) => [v, t(key)]), value: state.sort });
  const apply = h('button', { type: 'submit', class: 'btn' }, t('portal.list.apply'));
  const filters = h('form', { class: 'toolbar portal-filters', role: 'search', 'aria-label': t('portal.tickets.filter') },
    search.wrap, status.wrap, sort.wrap, h('div', { class: 'portal-filter-actions' }, apply));
  const results = h('div', { 'aria-live': 'polite' }, loading());
  const newTicket = h('a', { href: '/portal/tickets/new', class: 'btn btn-primary' }, t('portal.tickets.new'));

  async function load() {
    replaceQuery({ status: state.status, q: state.q, sort: state.sort === '-id' ? '' : state.sort, offset: state.offset || '' });
    results.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api('GET', API, { signal: ctx.signal,
        query: { status: state.status, q: state.q, sort: state.sort, limit: PAGE, offset: state.offset } });
      const rows = Array.isArray(data.data) ? data.data : [];
      replace(results, rows.length ? ticketTable(rows) : emptyState(state.status || state.q
        ? t('portal.tickets.none_match') : t('portal.tickets.none'), state.status || state.q ? null : t('portal.tickets.none_hint')),
      pager({ ...data, limit: data.limit || PAGE }, (offset) => { state.offset = offset; load(); }));
    } catch (err) {
      if (!isAbort(err)) results.replaceChildren(problemBox(err));
    } finally {
      results.removeAttribute('aria-busy');
    }
  }
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    Object.assign(state, { q: search.value(), status: status.input.value, sort: sort.input.value, offset: 0 });
    load();
  });
  for (const f of [status, sort]) {
    f.input.addEventListener('change', () => {
      Object.assign(state, { status: status.input.value, sort: sort.input.value, offset: 0 });
      load();
    });
  }
  root.replaceChildren(pageHeader(t('portal.nav.tickets'), null, newTicket),
    h('section', { class: 'card', 'aria-label': t('portal.nav.tickets') }, filters, results));
  await load();
}

function ticketTable(rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, '#'),
      h('th', { scope: 'col' }, t('portal.tickets.subject')),
      h('th', { scope: 'col' }, t('portal.tickets.status')),
      h('th', { scope: 'col', class: 'hide-sm' }, t('portal.tickets.department')),
      h('th', { scope: 'col', class: 'hide-sm' }, t('portal.tickets.priority')),
      h('th', { scope: 'col' }, t('portal.tickets.updated')))),
    h('tbody', null, rows.map((r) => h('tr', null,
      h('td', { class: 'num muted' }, String(r.id)),
      h('td', null, h('a', { class: 'row-link', href: `/portal/tickets/${r.id}` }, r.subject || `#${r.id}`)),
      h('td', null, statusBadge('ticket', r.status)),
      h('td', { class: 'hide-sm' }, r.department || '—'),
      h('td', { class: 'hide-sm' }, optionText('ticket', 'priority', r.priority) || '—'),
      h('td', { class: 'nowrap' }, timeEl(r.updated_at || r.created_at)))))));
}

/* Every page of a list (bounded: 10 pages of 100). */
async function allPages(path, signal) {
  const out = [];
  for (let offset = 0, i = 0; i < 10; i += 1) {
    const { data } = await api('GET', path, { signal, query: { limit: 100, offset } });
    const rows = Array.isArray(data.data) ? data.data : [];
    out.push(...rows);
    if (!data.has_more || !rows.length) break;
    offset += rows.length;
  }
  return out;
}

const byTime = (a, b) => String(a.created_at).localeCompare(String(b.created_at)) || (a.id - b.id);

function entry({ from, author, at, body, original = false }) {
  const staff = from === 'staff';
  return h('li', { class: ['thread-entry', staff ? 'thread-staff' : 'thread-contact'], 'data-from': from },
    h('p', { class: 'thread-meta small' },
      h('strong', null, author || (staff ? t('portal.thread.support') : t('portal.thread.contact'))),
      h('span', { class: ['badge', staff ? 'badge-staff' : 'badge-off'] },
        staff ? t('portal.thread.from_staff') : original ? t('portal.thread.original') : t('portal.thread.from_contact')),
      h('span', { class: 'muted' }, timeEl(at))),
    h('p', { class: 'thread-body' }, body || ''));
}

/** /portal/tickets/:id */
export async function ticketPage(ctx, root) {
  const id = ctx.params.id;
  if (!/^\d+$/.test(id)) throw new ApiError(404, { title: 'not found' });
  root.replaceChildren(loading());
  const { data: ticket } = await api('GET', `${API}/${id}`, { signal: ctx.signal });
  ctx.setTitle(ticket.subject || `#${id}`);

  const head = h('div', null);
  function drawHead(tk) {
    head.replaceChildren(pageHeader(tk.subject || `#${tk.id}`, { href: '/portal/tickets', label: t('portal.nav.tickets') }),
      h('div', { class: 'card pad portal-summary' }, facts([
        [t('portal.tickets.number'), `#${tk.id}`],
        [t('portal.tickets.status'), statusBadge('ticket', tk.status)],
        [t('portal.tickets.department'), tk.department],
        [t('portal.tickets.priority'), optionText('ticket', 'priority', tk.priority)],
        [t('portal.tickets.opened_by'), tk.contact],
        [t('portal.tickets.created'), timeEl(tk.created_at)],
        [t('portal.tickets.updated'), timeEl(tk.updated_at)],
        ...customFacts(tk.custom_fields),
      ])));
  }
  drawHead(ticket);

  // The conversation: the original message, then the replies oldest first.
  const threadId = `ticket-${id}-thread`;
  const thread = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' }, loading());
  async function loadThread() {
    try {
      const replies = (await allPages(`${API}/${id}/replies`, ctx.signal)).sort(byTime);
      thread.replaceChildren(h('ol', { class: 'thread', 'aria-labelledby': threadId },
        entry({ from: 'contact', author: ticket.contact, at: ticket.created_at, body: ticket.message, original: true }),
        replies.map((r) => entry({ from: r.from, author: r.author, at: r.created_at, body: r.body }))));
    } catch (err) {
      if (!isAbort(err)) thread.replaceChildren(problemBox(err));
    } finally {
      thread.removeAttribute('aria-busy');
    }
  }
  const reply = field({ name: 'body', label: t('portal.thread.your_reply'), type: 'textarea', rows: 5, required: true, wide: true });
  const replySlot = h('div', { class: 'form-messages', tabindex: '-1' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary' }, t('portal.thread.send'));
  const replyForm = h('form', { class: 'form thread-form portal-form', novalidate: true }, replySlot, reply.wrap,
    h('div', { class: 'form-actions' }, send));
  onSubmit(replyForm, send, replySlot, { body: reply }, async () => {
    if (missing({ body: reply })) return;
    await api('POST', `${API}/${id}/replies`, { body: { body: reply.input.value } });
    reply.input.value = '';
    toast(t('portal.thread.sent'));
    // The reply may have opened the ticket again: its status, then the thread.
    try {
      const { data } = await api('GET', `${API}/${id}`, { signal: ctx.signal });
      drawHead(data);
    } catch (err) { if (!isAbort(err)) replySlot.replaceChildren(problemBox(err)); }
    await loadThread();
  });
  const conversation = h('section', { class: 'card section', 'aria-labelledby': threadId },
    h('div', { class: 'section-header' }, h('h2', { id: threadId, class: 'section-title' }, t('portal.thread.title'))),
    thread, replyForm);

  const files = filesSection(id, ctx.signal);
  const notice = flash;
  flash = null;
  replace(root, head, notice ? h('div', { class: 'page-messages' }, notice) : null, conversation, files.section);
  await Promise.all([loadThread(), files.load()]);
}

/* The ticket's files: download links and an upload. */
function filesSection(id, signal) {
  const titleId = `ticket-${id}-files`;
  const list = h('div', { 'aria-live': 'polite' }, loading());
  async function load() {
    try {
      const rows = await allPages(`${API}/${id}/attachments`, signal);
      list.replaceChildren(rows.length ? h('ul', { class: 'file-list' }, rows.sort(byTime).map((f) => h('li', { class: 'file-item' },
        h('a', { href: f.url || `/api/v1/portal/attachments/${f.id}`, download: f.filename || '' }, f.filename || `#${f.id}`),
        h('span', { class: 'muted small' }, ` ${sizeText(f.bytes)} · `, timeEl(f.created_at)))))
        : emptyState(t('portal.files.none')));
    } catch (err) {
      if (!isAbort(err)) list.replaceChildren(problemBox(err));
    }
  }
  const file = field({ name: 'file', label: t('portal.files.add'), type: 'file', hint: t('portal.files.hint'), wide: true });
  const slot = h('div', { class: 'form-messages', tabindex: '-1' });
  const upload = h('button', { type: 'submit', class: 'btn' }, t('portal.files.upload'));
  const form = h('form', { class: 'form thread-form portal-form', novalidate: true }, slot, file.wrap,
    h('div', { class: 'form-actions' }, upload));
  onSubmit(form, upload, slot, { file }, async () => {
    const chosen = file.input.files && file.input.files[0];
    if (!chosen) { file.setError(t('portal.files.choose')); file.focus(); return; }
    await uploadFile(id, chosen, file);
    file.input.value = '';
    toast(t('portal.files.added', { name: chosen.name }));
    await load();
  });
  const section = h('section', { class: 'card section', 'aria-labelledby': titleId },
    h('div', { class: 'section-header' }, h('h2', { id: titleId, class: 'section-title' }, t('portal.files.title'))),
    list, form);
  return { section, load };
}

/* Uploads one file to ticket id; a refusal is shown under the field (and thrown on). */
async function uploadFile(id, chosen, control) {
  try {
    await api('POST', `${API}/${id}/attachments`, { query: { filename: chosen.name }, raw: chosen,
      contentType: chosen.type || 'application/octet-stream' });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 413 || err.status === 415 || err.status === 422)) {
      const text = err.status === 413 ? t('portal.files.too_large')
        : err.fieldErrors.length ? err.fieldErrors.map((e) => errorText(e)).join(' ') : t('portal.files.refused');
      if (control) { control.setError(text); control.focus(); }
      err.shown = text;
    }
    throw err;
  }
}

/** /portal/tickets/new */
export async function newTicketPage(ctx, root) {
  ctx.setTitle(t('portal.tickets.new'));
  root.replaceChildren(loading());
  const { data } = await api('GET', '/api/v1/portal/departments', { signal: ctx.signal });
  const departments = Array.isArray(data.data) ? data.data : [];
  const fields = {
    subject: field({ name: 'subject', label: t('portal.tickets.subject'), required: true, wide: true }),
    department_id: field({ name: 'department_id', label: t('portal.tickets.department'), type: 'select', required: true,
      options: [...(departments.length === 1 ? [] : [['', t('portal.tickets.choose_department')]]),
        ...departments.map((d) => [String(d.id), d.name])] }),
    priority: field({ name: 'priority', label: t('portal.tickets.priority'), type: 'select', value: 'medium',
      options: PRIORITIES.map((p) => [p, optionText('ticket', 'priority', p)]) }),
    message: field({ name: 'message', label: t('portal.tickets.message'), type: 'textarea', rows: 8, required: true, wide: true,
      hint: t('portal.tickets.message_hint') }),
    file: field({ name: 'file', label: t('portal.tickets.attachment'), type: 'file', hint: t('portal.files.hint'), wide: true }),
  };
  const slot = h('div', { class: 'form-messages', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('portal.tickets.open'));
  const cancel = h('a', { href: '/portal/tickets', class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'form portal-form', novalidate: true }, slot,
    h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
    h('div', { class: 'form-actions' }, submit, cancel));
  onSubmit(form, submit, slot, fields, async () => {
    if (missing({ subject: fields.subject, department_id: fields.department_id, message: fields.message })) return;
    const dep = fields.department_id.input.value;
    const { data: created } = await api('POST', API, { body: {
      subject: fields.subject.value(), department_id: dep ? Number(dep) : null,
      priority: fields.priority.input.value, message: fields.message.input.value,
    } });
    const chosen = fields.file.input.files && fields.file.input.files[0];
    if (chosen) {
      try {
        await uploadFile(created.id, chosen, null);
      } catch (err) {
        flash = alertBox('warning', t('portal.tickets.file_not_added', { name: chosen.name }),
          err.shown || (err instanceof ApiError ? err.detail || err.title : String(err)));
      }
    }
    toast(t('portal.tickets.opened', { id: created.id }));
    navigate(`/portal/tickets/${created.id}`, { replace: true });
  });
  // A ticket goes to a department: without one, there is nowhere to send it.
  replace(root, pageHeader(t('portal.tickets.new'), { href: '/portal/tickets', label: t('portal.nav.tickets') }),
    departments.length ? h('section', { class: 'card', 'aria-label': t('portal.tickets.new') }, form)
      : alertBox('info', t('portal.tickets.no_departments')));
}
