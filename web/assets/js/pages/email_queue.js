// Email queue (/admin/utilities/email_queue): counts per status, the
// messages (filter by status), and "Process All" (re-queue blocked emails).
// The spec's daily check: blocked emails? → Process All or investigate.
import { h, icon, pageTitle, replace, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { replaceQuery } from '../router.js';
import { can, canView } from '../session.js';
import { alertBox, emptyState, pager, problemBox, toast } from '../ui.js';

const LIMIT = 25;
export const EMAIL_STATUSES = [
  ['queued', 'Queued', 'Waiting to be sent'],
  ['sending', 'Sending', 'Being sent now'],
  ['sent', 'Sent', 'Accepted by the SMTP server'],
  ['blocked', 'Blocked', 'Gave up after the retry limit'],
];
const REFRESH = ['M21 12a9 9 0 1 1-3-6.7', 'M21 4v5h-5'];

/** The number a "Process All" answer reports, whatever its key. */
function requeuedCount(data) {
  if (typeof data === 'number') return data;
  if (!data || typeof data !== 'object') return null;
  for (const k of ['requeued', 'retried', 'count', 'updated']) if (Number.isFinite(data[k])) return data[k];
  const n = Object.values(data).find((v) => Number.isFinite(v));
  return n === undefined ? null : n;
}

export async function emailQueuePage(ctx, root) {
  ctx.setTitle('Email queue');
  const known = EMAIL_STATUSES.map(([s]) => s);
  const state = {
    status: known.includes(ctx.query.get('status')) ? ctx.query.get('status') : '',
    offset: Math.max(0, Number(ctx.query.get('offset')) || 0),
  };
  const countsBox = h('div', { class: 'stats stats-compact', role: 'group', 'aria-label': 'Emails per status' });
  const notice = h('div', { class: 'queue-notice' });
  const statusSel = h('select', { id: 'eq-status', class: 'input', value: state.status },
    h('option', { value: '' }, 'All'), EMAIL_STATUSES.map(([v, l]) => h('option', { value: v }, l)));
  const refresh = h('button', { type: 'button', class: 'btn btn-ghost' }, icon(REFRESH), 'Refresh');
  const processAll = can('email_queue', 'edit')
    ? h('button', { type: 'button', class: 'btn btn-primary' }, 'Process All') : null;
  const table = h('table', { class: 'table table-log' });
  const status = h('div', { class: 'list-status' });
  const footer = h('div', { class: 'list-footer' });

  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Email queue'), processAll),
    h('p', { class: 'muted page-lead' },
      'Outgoing emails and their delivery. Check daily: blocked emails mean an SMTP problem — fix it, then “Process All”.'),
    countsBox, notice,
    h('div', { class: 'card' },
      h('div', { class: 'toolbar' },
        h('div', { class: 'toolbar-field' }, h('label', { for: 'eq-status', class: 'label label-inline' }, 'Status'), statusSel),
        h('div', { class: 'toolbar-buttons' }, refresh)),
      status, h('div', { class: 'table-wrap' }, table), footer));

  let request = null;
  ctx.signal.addEventListener('abort', () => request && request.abort());
  statusSel.addEventListener('change', () => { state.status = statusSel.value; state.offset = 0; load(); });
  refresh.addEventListener('click', () => load());

  if (processAll) {
    processAll.addEventListener('click', async () => {
      processAll.disabled = true;
      try {
        const { data } = await api('POST', '/api/v1/email-queue/retry', { body: {} });
        const n = requeuedCount(data);
        toast(n === null ? 'Blocked emails were queued again.'
          : n === 0 ? 'There were no blocked emails to queue again.'
            : `${n} blocked email${n === 1 ? ' was' : 's were'} queued again.`, n === 0 ? 'info' : 'success');
        await load();
      } catch (err) {
        if (!isAbort(err)) status.replaceChildren(problemBox(err));
      } finally {
        processAll.disabled = false;
      }
    });
  }

  function renderCounts(counts) {
    countsBox.replaceChildren(...EMAIL_STATUSES.map(([key, label, note]) => {
      const n = Number(counts && counts[key]) || 0;
      const btn = h('button', { type: 'button', class: ['card', 'stat', 'stat-button', key === 'blocked' && n > 0 ? 'stat-alert' : null],
        'aria-pressed': String(state.status === key) },
      h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, n.toLocaleString()),
      h('span', { class: 'stat-note muted' }, note));
      btn.addEventListener('click', () => {
        state.status = state.status === key ? '' : key;
        statusSel.value = state.status;
        state.offset = 0;
        load();
      });
      return btn;
    }));
    const blocked = Number(counts && counts.blocked) || 0;
    replace(notice, blocked > 10
      ? alertBox('warning', `${blocked} blocked emails: probably an SMTP problem`,
        'Check the SMTP settings and send a test email, then use “Process All”.',
        canView('settings') ? h('a', { href: '/admin/settings?tab=email', class: 'btn btn-sm' }, 'SMTP settings') : null)
      : null);
  }

  function row(e) {
    const st = EMAIL_STATUSES.find(([k]) => k === e.status);
    const to = e.to ?? e.to_addr ?? '';
    return h('tr', null,
      h('td', { class: 'when' }, timeEl(e.created_at)),
      h('td', null, h('span', { class: 'truncate', title: to }, to)),
      h('td', null, h('span', { class: 'truncate', title: e.subject }, e.subject),
        e.template ? h('span', { class: 'attempts muted mono' }, e.template) : null),
      h('td', { class: 'nowrap' }, h('span', { class: ['badge', `badge-mail-${st ? e.status : 'other'}`] }, st ? st[1] : String(e.status)),
        h('span', { class: 'attempts muted' }, `${e.attempts ?? 0} attempt${e.attempts === 1 ? '' : 's'}`)),
      h('td', null, e.last_error ? h('span', { class: 'truncate error-text', title: e.last_error }, e.last_error)
        : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'when' }, e.status === 'sent' ? timeEl(e.sent_at)
        : e.next_attempt_at && e.status !== 'blocked' ? h('span', null, 'next ', timeEl(e.next_attempt_at)) : h('span', { class: 'muted' }, '—')));
  }

  async function load() {
    replaceQuery({ status: state.status, offset: state.offset || '' });
    if (request) request.abort();
    request = new AbortController();
    const { signal } = request;
    table.setAttribute('aria-busy', 'true');
    status.replaceChildren();
    try {
      const { data } = await api('GET', '/api/v1/email-queue', {
        query: { status: state.status, limit: LIMIT, offset: state.offset }, signal,
      });
      const rows = Array.isArray(data.data) ? data.data : [];
      const total = Number(data.total) || 0;
      renderCounts(data.counts || {});
      table.replaceChildren(h('caption', { class: 'visually-hidden' }, 'Emails, newest first'),
        h('thead', null, h('tr', null, ['Created', 'To', 'Subject', 'Status', 'Last error', 'Sent / next attempt']
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows.map(row)));
      if (!rows.length) {
        status.replaceChildren(state.status ? emptyState(`No ${state.status} emails.`) : emptyState('No emails yet.',
          'Invitations and notifications appear here when they are sent.'));
      }
      footer.replaceChildren(pager({ offset: Number(data.offset) || state.offset, limit: Number(data.limit) || LIMIT, total,
        count: rows.length, label: 'Email pages', onPage: (o) => { state.offset = o; load(); } }));
    } catch (err) {
      if (isAbort(err)) return;
      status.replaceChildren(problemBox(err));
    } finally {
      if (!signal.aborted) table.removeAttribute('aria-busy');
    }
  }
  await load();
}

export const routes = [['/admin/utilities/email_queue', emailQueuePage]];
export const nav = [
  { path: '/admin/utilities/email_queue', label: 'Email queue', module: 'email_queue', adminOnly: true,
    group: 'Utilities', order: 10, icon: ['M3 6h18v12H3z', 'M3 7l9 6 9-6'] },
];
