// Log archives (/admin/utilities/log_archives, administrators only): how
// long each log is kept (the `retention` settings group, saved with its
// field errors like every settings form), and the archive files log
// retention wrote (GET /api/v1/log-archives): log, rows, the time range,
// size and SHA-256, with a download link to each file (logged), and a
// badge on a file a GDPR erasure rewrote (its note in the title).
import { h, pageTitle, timeEl } from '../dom.js';
import { listView } from '../listview.js';
import { formatNumber } from '../format.js';
import { loading } from '../ui.js';
import { groupForm } from './settings.js';
import { t } from '../i18n.js';

const LOGS = ['activity', 'api_requests', 'pipe', 'webhook_attempts', 'webhook_deliveries', 'events'];
const logLabel = (log) => (LOGS.includes(log) ? t(`archives.log.${log}`) : log);

/** Bytes as B, KiB or MiB. */
function size(n) {
  if (n < 1024) return `${formatNumber(n)} B`;
  if (n < 1024 * 1024) return `${formatNumber(n / 1024, { max: 1 })} KiB`;
  return `${formatNumber(n / (1024 * 1024), { max: 1 })} MiB`;
}

const COLUMNS = () => [
  { label: t('archives.created'), sort: 'created_at', desc: true, class: 'when', cell: (a) => timeEl(a.created_at) },
  { label: t('archives.log'), cell: (a) => logLabel(a.log) },
  { label: t('archives.rows'), class: 'num', cell: (a) => formatNumber(a.rows) },
  { label: t('archives.range'), cell: (a) => h('span', { class: 'nowrap' }, timeEl(a.first_at), ' – ', timeEl(a.last_at)) },
  { label: t('archives.size'), class: 'num nowrap', cell: (a) => size(a.bytes) },
  { label: t('archives.checksum'),
    cell: (a) => h('code', { class: 'truncate', title: a.sha256, 'data-testid': 'archive-sha256' }, a.sha256.slice(0, 16)) },
  { label: t('archives.status'), class: 'nowrap',
    cell: (a) => [
      h('span', { class: ['badge', a.status === 'done' ? 'badge-on' : 'badge-off'] }, t(`archives.status.${a.status}`)),
      // A GDPR erasure rewrote the file without the person's values.
      a.rewritten_by ? [' ', h('span', { class: 'badge', title: a.rewrite_note || '', 'data-testid': 'archive-rewritten' },
        t('archives.rewritten', { id: a.rewritten_by }))] : null,
    ] },
  { label: t('archives.file'),
    cell: (a) => h('a', { href: `/api/v1/log-archives/${a.id}/download`, download: '', 'data-testid': 'archive-download' },
      t('archives.download')) },
];

export async function logArchivesPage(ctx, root) {
  ctx.setTitle(t('nav.log_archives'));
  const slot = h('div', { class: 'settings-slot' }, loading());
  const view = listView(ctx, {
    api: '/api/v1/log-archives',
    name: t('archives.files'),
    id: 'archives',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    filterLabel: t('archives.filter'),
    filters: [{ param: 'log', id: 'archives-log', label: t('archives.log'), options: LOGS.map((l) => [l, logLabel(l)]) }],
    columns: COLUMNS(),
    tableClass: 'table-log',
    empty: (v) => (v.filtered() ? [t('archives.no_match'), t('staff.try_another')] : [t('archives.none'), t('archives.none_detail')]),
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.log_archives'))),
    h('p', { class: 'muted page-lead' }, t('archives.lead')),
    slot,
    h('h2', { class: 'section-title' }, t('archives.files')),
    view.root);
  groupForm('retention', slot, ctx.signal);
  await view.load();
}

export const routes = [['/admin/utilities/log_archives', logArchivesPage]];
export const nav = [
  { path: '/admin/utilities/log_archives', key: 'nav.log_archives', label: 'Log archives', module: 'log_archives',
    group: 'Utilities', order: 16, icon: ['M3 5h18v4H3z', 'M5 9v10h14V9', 'M10 13h4'] },
];
