// Jobs (/admin/utilities/jobs): the background jobs by kind and status
// (email deliveries, event deliveries to subscribers, ...), with Retry on
// a blocked job and "Retry all blocked" (of the chosen kind). A job is
// blocked after its kind's attempt limit; the cause is in its last error.
import { h, icon, pageTitle, replace, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { replaceQuery } from '../router.js';
import { can } from '../session.js';
import { alertBox, emptyState, pager, problemBox, toast } from '../ui.js';

const LIMIT = 25;
export const JOB_STATUSES = [
  ['queued', 'Queued', 'Waiting for their time'],
  ['running', 'Running', 'Being worked on now'],
  ['done', 'Done', 'Finished (kept a week)'],
  ['blocked', 'Blocked', 'Gave up after the retry limit'],
];
const BADGE = { queued: 'queued', running: 'sending', done: 'sent', blocked: 'blocked' };
const REFRESH = ['M21 12a9 9 0 1 1-3-6.7', 'M21 4v5h-5'];

/** "email" → "Email"; "event:webhooks" → "Event delivery: webhooks". */
function kindLabel(kind) {
  if (kind.startsWith('event:')) return `Event delivery: ${kind.slice(6)}`;
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}

function ago(iso) {
  const ms = Date.now() - Date.parse(iso);
  if (!Number.isFinite(ms) || ms < 60000) return 'under a minute';
  const m = Math.round(ms / 60000);
  if (m < 120) return `${m} minute${m === 1 ? '' : 's'}`;
  const hrs = Math.round(m / 60);
  return hrs < 48 ? `${hrs} hours` : `${Math.round(hrs / 24)} days`;
}

export async function jobsPage(ctx, root) {
  ctx.setTitle('Jobs');
  const known = JOB_STATUSES.map(([s]) => s);
  const state = {
    kind: ctx.query.get('kind') || '',
    status: known.includes(ctx.query.get('status')) ? ctx.query.get('status') : '',
    offset: Math.max(0, Number(ctx.query.get('offset')) || 0),
  };
  const editable = can('jobs', 'edit');
  const kindsBox = h('div', { class: 'table-wrap' });
  const notice = h('div', { class: 'queue-notice' });
  const kindSel = h('select', { id: 'jobs-kind', class: 'input' }, h('option', { value: '' }, 'All kinds'));
  const statusSel = h('select', { id: 'jobs-status', class: 'input', value: state.status },
    h('option', { value: '' }, 'All'), JOB_STATUSES.map(([v, l]) => h('option', { value: v }, l)));
  const refresh = h('button', { type: 'button', class: 'btn btn-ghost' }, icon(REFRESH), 'Refresh');
  const retryAll = editable ? h('button', { type: 'button', class: 'btn btn-primary' }, 'Retry all blocked') : null;
  const table = h('table', { class: 'table table-log' });
  const status = h('div', { class: 'list-status' });
  const footer = h('div', { class: 'list-footer' });

  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Jobs'), retryAll),
    h('p', { class: 'muted page-lead' },
      'Work Atrium does in the background: sending emails, delivering events. A failed job is retried with growing '
      + 'pauses; after its limit it is blocked until someone retries it. Fix the cause first (its last error says it).'),
    notice,
    h('section', { class: 'card jobs-kinds', 'aria-labelledby': 'jobs-kinds-title' },
      h('h2', { id: 'jobs-kinds-title', class: 'section-title card-table-title' }, 'By kind'), kindsBox),
    h('div', { class: 'card' },
      h('div', { class: 'toolbar' },
        h('div', { class: 'toolbar-field' }, h('label', { for: 'jobs-kind', class: 'label label-inline' }, 'Kind'), kindSel),
        h('div', { class: 'toolbar-field' }, h('label', { for: 'jobs-status', class: 'label label-inline' }, 'Status'),
          statusSel),
        h('div', { class: 'toolbar-buttons' }, refresh)),
      status, h('div', { class: 'table-wrap' }, table), footer));

  let request = null;
  ctx.signal.addEventListener('abort', () => request && request.abort());
  kindSel.addEventListener('change', () => { state.kind = kindSel.value; state.offset = 0; load(); });
  statusSel.addEventListener('change', () => { state.status = statusSel.value; state.offset = 0; load(); });
  refresh.addEventListener('click', () => load());

  async function retry(path, body, button) {
    if (button) button.disabled = true;
    try {
      const { data } = await api('POST', path, { body });
      const n = Number(data && data.requeued) || 0;
      toast(n === 0 ? 'There were no blocked jobs to retry.'
        : `${n} job${n === 1 ? ' was' : 's were'} queued again.`, n === 0 ? 'info' : 'success');
      await load();
    } catch (err) {
      if (!isAbort(err)) status.replaceChildren(problemBox(err));
    } finally {
      if (button) button.disabled = false;
    }
  }

  if (retryAll) {
    retryAll.addEventListener('click', () => retry('/api/v1/jobs/retry', state.kind ? { kind: state.kind } : {}, retryAll));
  }

  function renderKinds(kinds) {
    const opts = [h('option', { value: '' }, 'All kinds'), ...kinds.map((k) => h('option', { value: k.kind }, kindLabel(k.kind)))];
    if (state.kind && !kinds.some((k) => k.kind === state.kind)) opts.push(h('option', { value: state.kind }, state.kind));
    kindSel.replaceChildren(...opts);
    kindSel.value = state.kind;
    const head = ['Kind', ...JOB_STATUSES.map(([, l]) => l), 'Oldest unfinished'];
    kindsBox.replaceChildren(kinds.length ? h('table', { class: 'table', 'aria-label': 'Jobs per kind and status' },
      h('thead', null, h('tr', null, head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, kinds.map((k) => h('tr', { dataset: { kind: k.kind } },
        h('th', { scope: 'row' }, kindLabel(k.kind), k.registered ? null : h('span', { class: 'attempts muted' },
          'not run by this server')),
        JOB_STATUSES.map(([s]) => {
          const n = Number(k[s]) || 0;
          const btn = h('button', { type: 'button', class: ['btn', 'btn-sm', 'btn-ghost', s === 'blocked' && n > 0 ? 'error-text' : null],
            'aria-label': `${kindLabel(k.kind)}: ${n} ${s}` }, n.toLocaleString());
          btn.addEventListener('click', () => {
            state.kind = k.kind;
            state.status = s;
            statusSel.value = s;
            state.offset = 0;
            load();
          });
          return h('td', null, btn);
        }),
        h('td', { class: 'when' }, k.oldest_at ? h('span', { title: k.oldest_at }, ago(k.oldest_at)) : h('span', { class: 'muted' }, '—'))))))
      : emptyState('No jobs yet.'));
    const blocked = kinds.reduce((n, k) => n + (Number(k.blocked) || 0), 0);
    replace(notice, blocked > 0
      ? alertBox('warning', `${blocked} blocked job${blocked === 1 ? '' : 's'}`,
        'Read the last error of a blocked job, fix the cause (SMTP settings, a receiver that is down), then retry.')
      : null);
  }

  function row(j) {
    const retryBtn = editable && j.status === 'blocked'
      ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Retry job ${j.id}` }, 'Retry') : null;
    if (retryBtn) retryBtn.addEventListener('click', () => retry(`/api/v1/jobs/${j.id}/retry`, {}, retryBtn));
    const st = JOB_STATUSES.find(([k]) => k === j.status);
    const payload = j.payload && typeof j.payload === 'object' ? JSON.stringify(j.payload) : '';
    return h('tr', { dataset: { job: j.id } },
      h('td', { class: 'mono' }, String(j.id)),
      h('td', null, kindLabel(j.kind), payload ? h('span', { class: 'attempts muted mono truncate', title: payload }, payload) : null),
      h('td', { class: 'nowrap' }, h('span', { class: ['badge', `badge-mail-${BADGE[j.status] || 'queued'}`] }, st ? st[1] : String(j.status)),
        h('span', { class: 'attempts muted' }, `${j.attempts ?? 0} attempt${j.attempts === 1 ? '' : 's'}`)),
      h('td', null, j.last_error ? h('span', { class: 'truncate error-text', title: j.last_error }, j.last_error)
        : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'when' }, timeEl(j.created_at)),
      h('td', { class: 'when' }, j.status === 'queued' ? h('span', null, 'next ', timeEl(j.run_at))
        : j.finished_at ? timeEl(j.finished_at) : j.started_at ? h('span', null, 'since ', timeEl(j.started_at))
          : h('span', { class: 'muted' }, '—')),
      h('td', null, retryBtn));
  }

  async function load() {
    replaceQuery({ kind: state.kind, status: state.status, offset: state.offset || '' });
    if (request) request.abort();
    request = new AbortController();
    const { signal } = request;
    table.setAttribute('aria-busy', 'true');
    status.replaceChildren();
    try {
      const { data } = await api('GET', '/api/v1/jobs', {
        query: { kind: state.kind, status: state.status, limit: LIMIT, offset: state.offset }, signal,
      });
      const rows = Array.isArray(data.data) ? data.data : [];
      renderKinds(Array.isArray(data.kinds) ? data.kinds : []);
      table.replaceChildren(h('caption', { class: 'visually-hidden' }, 'Jobs, newest first'),
        h('thead', null, h('tr', null, ['#', 'Kind', 'Status', 'Last error', 'Created', 'Next / finished', '']
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows.map(row)));
      if (!rows.length) status.replaceChildren(emptyState(state.status || state.kind ? 'No jobs match.' : 'No jobs yet.'));
      footer.replaceChildren(pager({ offset: Number(data.offset) || state.offset, limit: Number(data.limit) || LIMIT,
        total: Number(data.total) || 0, count: rows.length, label: 'Job pages', onPage: (o) => { state.offset = o; load(); } }));
    } catch (err) {
      if (isAbort(err)) return;
      status.replaceChildren(problemBox(err));
    } finally {
      if (!signal.aborted) table.removeAttribute('aria-busy');
    }
  }
  await load();
}

export const routes = [['/admin/utilities/jobs', jobsPage]];
export const nav = [
  { path: '/admin/utilities/jobs', label: 'Jobs', module: 'jobs', adminOnly: true, group: 'Utilities', order: 15,
    icon: ['M4 6h16', 'M4 12h10', 'M4 18h6', 'M18 14l3 3-3 3', 'M14 17h7'] },
];
