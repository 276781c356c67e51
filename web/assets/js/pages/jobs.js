// Jobs (/admin/utilities/jobs): the background jobs by kind and status
// (email deliveries, event deliveries to subscribers, ...), with Retry on
// a blocked job and "Retry all blocked" (of the chosen kind). A job is
// blocked after its kind's attempt limit; the cause is in its last error.
// The list is the list component; the table by kind comes with its answer.
import { h, icon, pageTitle, replace, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { can } from '../session.js';
import { alertBox, emptyState, toast } from '../ui.js';
import { listView } from '../listview.js';
import { t, tOr } from '../i18n.js';
import { formatNumber } from '../format.js';

/** [status, label, note] in the member's language. */
export const JOB_STATUSES = () => ['queued', 'running', 'done', 'blocked']
  .map((s) => [s, t(`jobs.status.${s}`), t(`jobs.status.${s}.note`)]);
const BADGE = { queued: 'queued', running: 'sending', done: 'sent', blocked: 'blocked' };
const REFRESH = ['M21 12a9 9 0 1 1-3-6.7', 'M21 4v5h-5'];

/** "email" → "Email"; "event:webhooks" → "Event delivery: webhooks". */
function kindLabel(kind) {
  if (kind.startsWith('event:')) return t('jobs.kind.event', { name: kind.slice(6) });
  return tOr(`jobs.kind.${kind}`, kind.charAt(0).toUpperCase() + kind.slice(1));
}

function ago(iso) {
  const ms = Date.now() - Date.parse(iso);
  if (!Number.isFinite(ms) || ms < 60000) return t('jobs.under_minute');
  const m = Math.round(ms / 60000);
  if (m < 120) return t('wait.minutes', { count: m });
  const hrs = Math.round(m / 60);
  return hrs < 48 ? t('jobs.hours', { count: hrs }) : t('staff.days', { count: Math.round(hrs / 24) });
}

export async function jobsPage(ctx, root) {
  ctx.setTitle(t('nav.jobs'));
  const editable = can('jobs', 'edit');
  const kindsBox = h('div', { class: 'table-wrap' });
  const notice = h('div', { class: 'queue-notice' });
  const refresh = h('button', { type: 'button', class: 'btn btn-ghost' }, icon(REFRESH), t('mail.refresh'));
  const retryAll = editable ? h('button', { type: 'button', class: 'btn btn-primary' }, t('jobs.retry_all')) : null;

  function retryButton(j) {
    if (!editable || j.status !== 'blocked') return null;
    const btn = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('jobs.retry_job', { id: j.id }) }, t('jobs.retry'));
    btn.addEventListener('click', () => retry(`/api/v1/jobs/${j.id}/retry`, {}, btn));
    return btn;
  }

  const view = listView(ctx, {
    api: '/api/v1/jobs',
    name: t('nav.jobs'),
    id: 'jobs',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    search: null,
    filters: [
      // The kinds come with each answer (the table by kind).
      { param: 'kind', id: 'jobs-kind', label: t('jobs.kind'), all: t('jobs.all_kinds'), options: [], unknown: kindLabel },
      { param: 'status', id: 'jobs-status', label: t('field.status'), options: JOB_STATUSES().map(([v, l]) => [v, l]) },
      { type: 'dates', field: 'created_at', params: ['created_from', 'created_to'], labels: [t('list.created_from'), t('list.created_to')] },
    ],
    toolbar: [refresh],
    columns: [
      { label: '#', sort: 'id', desc: true, class: 'mono', cell: (j) => String(j.id) },
      { label: t('jobs.kind'),
        cell(j) {
          const payload = j.payload && typeof j.payload === 'object' ? JSON.stringify(j.payload) : '';
          return [kindLabel(j.kind), payload ? h('span', { class: 'attempts muted mono truncate', title: payload }, payload) : null];
        } },
      { label: t('field.status'), class: 'nowrap',
        cell(j) {
          const st = JOB_STATUSES().find(([k]) => k === j.status);
          return [h('span', { class: ['badge', `badge-mail-${BADGE[j.status] || 'queued'}`] }, st ? st[1] : String(j.status)),
            h('span', { class: 'attempts muted' }, t('mail.attempts', { count: j.attempts ?? 0 }))];
        } },
      { label: t('cron.col.last_error'),
        cell: (j) => (j.last_error ? h('span', { class: 'truncate error-text', title: j.last_error }, j.last_error)
          : h('span', { class: 'muted' }, '—')) },
      { label: t('field.created_at'), sort: 'created_at', desc: true, class: 'when', cell: (j) => timeEl(j.created_at) },
      { label: t('jobs.next_finished'), class: 'when',
        cell: (j) => (j.status === 'queued' ? h('span', null, `${t('mail.next')} `, timeEl(j.run_at))
          : j.finished_at ? timeEl(j.finished_at) : j.started_at ? h('span', null, `${t('sec.since')} `, timeEl(j.started_at))
            : h('span', { class: 'muted' }, '—')) },
      { label: '', hiddenLabel: t('common.actions'), cell: retryButton },
    ],
    rowProps: (j) => ({ dataset: { job: j.id } }),
    tableClass: 'table-log',
    empty: { none: [t('jobs.none')], filtered: [t('jobs.no_match')] },
    onData: (data) => renderKinds(Array.isArray(data.kinds) ? data.kinds : []),
  });

  async function retry(path, body, button) {
    if (button) button.disabled = true;
    try {
      const { data } = await api('POST', path, { body });
      const n = Number(data && data.requeued) || 0;
      toast(n === 0 ? t('jobs.requeued_none') : t('jobs.requeued', { count: n }), n === 0 ? 'info' : 'success');
      await view.load();
    } catch (err) {
      if (!isAbort(err)) view.showError(err);
    } finally {
      if (button) button.disabled = false;
    }
  }
  refresh.addEventListener('click', () => view.load());
  if (retryAll) {
    retryAll.addEventListener('click', () => {
      const { kind } = view.state.filters;
      retry('/api/v1/jobs/retry', kind ? { kind } : {}, retryAll);
    });
  }

  function renderKinds(kinds) {
    view.setOptions('kind', kinds.map((k) => [k.kind, kindLabel(k.kind)]));
    const head = [t('jobs.kind'), ...JOB_STATUSES().map(([, l]) => l), t('jobs.oldest')];
    kindsBox.replaceChildren(kinds.length ? h('table', { class: 'table', 'aria-label': t('jobs.per_kind') },
      h('thead', null, h('tr', null, head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, kinds.map((k) => h('tr', { dataset: { kind: k.kind } },
        h('th', { scope: 'row' }, kindLabel(k.kind), k.registered ? null : h('span', { class: 'attempts muted' },
          t('jobs.not_here'))),
        JOB_STATUSES().map(([s, label]) => {
          const n = Number(k[s]) || 0;
          const btn = h('button', { type: 'button', class: ['btn', 'btn-sm', 'btn-ghost', s === 'blocked' && n > 0 ? 'error-text' : null],
            'aria-label': `${kindLabel(k.kind)}: ${n} ${label.toLowerCase()}` }, formatNumber(n));
          btn.addEventListener('click', () => view.set({ kind: k.kind, status: s }));
          return h('td', null, btn);
        }),
        h('td', { class: 'when' }, k.oldest_at ? h('span', { title: k.oldest_at }, ago(k.oldest_at)) : h('span', { class: 'muted' }, '—'))))))
      : emptyState(t('jobs.none')));
    const blocked = kinds.reduce((n, k) => n + (Number(k.blocked) || 0), 0);
    replace(notice, blocked > 0
      ? alertBox('warning', t('jobs.blocked', { count: blocked }), t('jobs.blocked_detail'))
      : null);
  }

  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.jobs')), retryAll),
    h('p', { class: 'muted page-lead' }, t('jobs.lead')),
    notice,
    h('section', { class: 'card jobs-kinds', 'aria-labelledby': 'jobs-kinds-title' },
      h('h2', { id: 'jobs-kinds-title', class: 'section-title card-table-title' }, t('jobs.by_kind')), kindsBox),
    view.root);
  await view.load();
}

export const routes = [['/admin/utilities/jobs', jobsPage]];
export const nav = [
  { path: '/admin/utilities/jobs', key: 'nav.jobs', label: 'Jobs', module: 'jobs', adminOnly: true, group: 'Utilities', order: 15,
    icon: ['M4 6h16', 'M4 12h10', 'M4 18h6', 'M18 14l3 3-3 3', 'M14 17h7'] },
];
