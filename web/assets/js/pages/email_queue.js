// Email queue (/admin/utilities/email_queue): counts per status (each one
// filters the list), the messages on the list component (search by
// recipient or subject, status and template, a date range, paging), and
// "Process All" (re-queue blocked emails).
// The spec's daily check: blocked emails? → Process All or investigate.
import { h, icon, pageTitle, replace, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { can, canView } from '../session.js';
import { alertBox, toast } from '../ui.js';
import { listView } from '../listview.js';
import { t } from '../i18n.js';
import { formatNumber } from '../format.js';

/** [status, label, note] in the member's language. */
export const EMAIL_STATUSES = () => ['queued', 'sending', 'sent', 'blocked']
  .map((s) => [s, t(`mail.status.${s}`), t(`mail.status.${s}.note`)]);
const TEMPLATES = () => ['invitation', 'password_reset', 'security_notice', 'twofa_failures', 'email_change_current',
  'email_change_new'].map((k) => [k, t(`mail.template.${k}`)]);
const REFRESH = ['M21 12a9 9 0 1 1-3-6.7', 'M21 4v5h-5'];

/** The number a "Process All" answer reports, whatever its key. */
function requeuedCount(data) {
  if (typeof data === 'number') return data;
  if (!data || typeof data !== 'object') return null;
  for (const k of ['requeued', 'retried', 'count', 'updated']) if (Number.isFinite(data[k])) return data[k];
  const n = Object.values(data).find((v) => Number.isFinite(v));
  return n === undefined ? null : n;
}

const truncated = (text, cls) => h('span', { class: ['truncate', cls], title: text }, text);

const COLUMNS = () => [
  { label: t('field.created_at'), sort: 'created_at', desc: true, class: 'when', cell: (e) => timeEl(e.created_at) },
  { label: t('mail.to'), cell: (e) => truncated(e.to ?? e.to_addr ?? '') },
  { label: t('mail.subject'),
    cell: (e) => [truncated(e.subject), e.template ? h('span', { class: 'attempts muted mono' }, e.template) : null] },
  { label: t('field.status'), class: 'nowrap',
    cell(e) {
      const st = EMAIL_STATUSES().find(([k]) => k === e.status);
      return [h('span', { class: ['badge', `badge-mail-${st ? e.status : 'other'}`] }, st ? st[1] : String(e.status)),
        h('span', { class: 'attempts muted' }, t('mail.attempts', { count: e.attempts ?? 0 }))];
    } },
  { label: t('cron.col.last_error'), cell: (e) => (e.last_error ? truncated(e.last_error, 'error-text') : h('span', { class: 'muted' }, '—')) },
  { label: t('mail.sent_next'), class: 'when',
    cell: (e) => (e.status === 'sent' ? timeEl(e.sent_at)
      : e.next_attempt_at && e.status !== 'blocked' ? h('span', null, `${t('mail.next')} `, timeEl(e.next_attempt_at))
        : h('span', { class: 'muted' }, '—')) },
];

export async function emailQueuePage(ctx, root) {
  ctx.setTitle(t('nav.email_queue'));
  const countsBox = h('div', { class: 'stats stats-compact', role: 'group', 'aria-label': t('mail.per_status') });
  const notice = h('div', { class: 'queue-notice' });
  const refresh = h('button', { type: 'button', class: 'btn btn-ghost' }, icon(REFRESH), t('mail.refresh'));
  const processAll = can('email_queue', 'edit')
    ? h('button', { type: 'button', class: 'btn btn-primary' }, t('mail.process_all')) : null;

  const view = listView(ctx, {
    api: '/api/v1/email-queue',
    name: t('mail.emails'),
    id: 'eq',
    sort: '-created_at',
    sortText: t('activity.newest_first'),
    limit: 25,
    search: { label: t('mail.search'), placeholder: t('mail.search_placeholder') },
    filterLabel: t('mail.filter'),
    filters: [
      { param: 'status', id: 'eq-status', label: t('field.status'), options: EMAIL_STATUSES().map(([v, l]) => [v, l]) },
      { param: 'template', id: 'eq-template', label: t('mail.template'), options: TEMPLATES() },
      { type: 'dates', field: 'created_at', params: ['created_from', 'created_to'], labels: [t('list.created_from'), t('list.created_to')] },
    ],
    toolbar: [refresh],
    columns: COLUMNS(),
    tableClass: 'table-log',
    empty(v) {
      const st = v.state.filters.status;
      if (v.filtered() && (v.state.q || Object.keys(v.state.filters).some((k) => k !== 'status'))) {
        return [t('mail.no_match'), t('staff.try_another')];
      }
      return st ? [`No ${st} emails.`]
        : [t('mail.none'), t('mail.none_detail')];
    },
    onData: (data) => renderCounts(data.counts || {}),
  });

  function renderCounts(counts) {
    const current = view.state.filters.status || '';
    countsBox.replaceChildren(...EMAIL_STATUSES().map(([key, label, note]) => {
      const n = Number(counts && counts[key]) || 0;
      const btn = h('button', { type: 'button', class: ['card', 'stat', 'stat-button', key === 'blocked' && n > 0 ? 'stat-alert' : null],
        'aria-pressed': String(current === key) },
      h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, formatNumber(n)),
      h('span', { class: 'stat-note muted' }, note));
      btn.addEventListener('click', () => view.set({ status: current === key ? '' : key }));
      return btn;
    }));
    const blocked = Number(counts && counts.blocked) || 0;
    replace(notice, blocked > 10
      ? alertBox('warning', t('mail.many_blocked', { count: blocked }), t('mail.many_blocked_detail'),
        canView('settings') ? h('a', { href: '/admin/settings?tab=email', class: 'btn btn-sm' }, t('mail.smtp_settings')) : null)
      : null);
  }

  refresh.addEventListener('click', () => view.load());
  if (processAll) {
    processAll.addEventListener('click', async () => {
      processAll.disabled = true;
      try {
        const { data } = await api('POST', '/api/v1/email-queue/retry', { body: {} });
        const n = requeuedCount(data);
        toast(n === null ? t('mail.requeued_some') : n === 0 ? t('mail.requeued_none') : t('mail.requeued', { count: n }),
          n === 0 ? 'info' : 'success');
        await view.load();
      } catch (err) {
        if (!isAbort(err)) view.showError(err);
      } finally {
        processAll.disabled = false;
      }
    });
  }

  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.email_queue')), processAll),
    h('p', { class: 'muted page-lead' }, t('mail.lead')),
    countsBox, notice, view.root);
  await view.load();
}

export const routes = [['/admin/utilities/email_queue', emailQueuePage]];
export const nav = [
  { path: '/admin/utilities/email_queue', key: 'nav.email_queue', label: 'Email queue', module: 'email_queue', adminOnly: true,
    group: 'Utilities', order: 10, icon: ['M3 6h18v12H3z', 'M3 7l9 6 9-6'] },
];
