// Pipe log (/admin/utilities/pipe_log): every message `atrium pipe`
// received, newest first, with its result and why (GET /api/v1/pipe-log),
// on the list component: search, result filter, paging. The spec's daily
// check: messages that did not become tickets.
import { h, pageTitle, timeEl } from '../dom.js';
import { listView } from '../listview.js';

const RESULTS = [
  ['ticket_created', 'Ticket opened'],
  ['reply_added', 'Reply added'],
  ['ignored', 'Ignored'],
  ['rejected', 'Rejected'],
  ['no_recipient', 'No recipient'],
];
const truncated = (text) => h('span', { class: 'truncate', title: text || '' }, text || '—');

const COLUMNS = [
  { label: 'Received', sort: 'received_at', desc: true, class: 'when', cell: (e) => timeEl(e.received_at) },
  { label: 'From', cell: (e) => truncated(e.from) },
  { label: 'To', cell: (e) => truncated(e.to) },
  { label: 'Subject', cell: (e) => truncated(e.subject) },
  { label: 'Result', class: 'nowrap',
    cell(e) {
      const r = RESULTS.find(([k]) => k === e.result);
      const bad = e.result === 'rejected' || e.result === 'no_recipient';
      return h('span', { class: ['badge', bad ? 'badge-off' : 'badge-on'] }, r ? r[1] : String(e.result));
    } },
  { label: 'Why', cell: (e) => (e.ticket_id
    ? h('a', { href: `/admin/tickets/${e.ticket_id}` }, e.detail || `#${e.ticket_id}`) : truncated(e.detail)) },
];

export async function pipeLogPage(ctx, root) {
  ctx.setTitle('Pipe log');
  const view = listView(ctx, {
    api: '/api/v1/pipe-log',
    name: 'Received emails',
    id: 'pipe',
    sort: '-id',
    sortText: 'newest first',
    limit: 25,
    search: { label: 'Search received emails', placeholder: 'Subject, sender or recipient…' },
    filterLabel: 'Filter received emails',
    filters: [{ param: 'result', id: 'pipe-result', label: 'Result', options: RESULTS }],
    columns: COLUMNS,
    tableClass: 'table-log',
    empty: (v) => (v.filtered() ? ['No received emails match.', 'Try another search or reset the filters.']
      : ['No email received yet.', 'Mail to a department\u2019s address appears here once the mail server pipes it to Atrium.']),
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Pipe log')),
    h('p', { class: 'muted page-lead' },
      'Mail to the departments\u2019 addresses, as the email pipe took it. Check daily: a rejected message from a real customer means a missing contact or a department that takes contacts only.'),
    view.root);
  await view.load();
}

export const routes = [['/admin/utilities/pipe_log', pipeLogPage]];
export const nav = [
  { path: '/admin/utilities/pipe_log', key: 'nav.pipe_log', label: 'Pipe log', module: 'pipe_log',
    group: 'Utilities', order: 15, icon: ['M4 4h16v6H4z', 'M4 14h16v6H4z', 'M8 10v4', 'M16 10v4'] },
];
