// Dashboard (/admin/): record counts and the latest activity.
import { h, icon, pageTitle } from '../dom.js';
import { api, isAbort } from '../api.js';
import { me, canView } from '../session.js';
import { ENTITIES } from '../entities.js';
import { NAV } from '../nav.js';
import { activityHead, activityRow } from './activity.js';
import { emptyState, problemBox } from '../ui.js';

async function count(path, query, signal) {
  const { data } = await api('GET', path, { query: { limit: 1, count: 'true', ...query }, signal });
  return Number(data.total) || 0;
}

function statCard(label, valuePromise, href, note) {
  const value = h('p', { class: 'stat-value' }, '…');
  const card = h('a', { href, class: 'card stat' }, h('p', { class: 'stat-label' }, label), value,
    note ? h('p', { class: 'stat-note muted' }, note) : null);
  valuePromise.then((n) => { value.textContent = n.toLocaleString(); })
    .catch((err) => { if (!isAbort(err)) { value.textContent = '—'; card.title = err.message; } });
  return card;
}

export async function dashboardPage(ctx, root) {
  ctx.setTitle('Dashboard');
  const staff = me();
  const first = String(staff.name || '').split(/\s+/)[0];
  const stats = h('div', { class: 'stats' });

  for (const e of ENTITIES) {
    if (!canView(e.module) || e.dashboard === false) continue;
    stats.appendChild(statCard(e.plural, count(e.api, {}, ctx.signal), e.path, `All ${e.plural.toLowerCase()}`));
    if (e.key === 'leads') {
      stats.appendChild(statCard('New leads', count(e.api, { status: 'new' }, ctx.signal), `${e.path}?status=new`,
        'Waiting for first contact'));
      stats.appendChild(statCard('Won leads', count(e.api, { status: 'won' }, ctx.signal), `${e.path}?status=won`,
        'Closed as won'));
    }
  }

  if (canView('email_queue')) {
    const blocked = api('GET', '/api/v1/email-queue', { query: { status: 'blocked', limit: 1 }, signal: ctx.signal })
      .then(({ data }) => Number(data.counts && data.counts.blocked) || Number(data.total) || 0);
    stats.appendChild(statCard('Blocked emails', blocked, '/admin/utilities/email_queue?status=blocked',
      'Should be 0 — check daily'));
  }

  const content = [
    h('div', { class: 'page-header' }, pageTitle(first ? `Welcome, ${first}` : 'Dashboard')),
    h('p', { class: 'muted page-lead' }, 'An overview of your CRM records and recent activity.'),
    stats,
  ];

  const logNav = NAV.find((n) => n.module === 'activity');
  if (logNav && canView(logNav.module, logNav)) {
    const body = h('div', { class: 'table-wrap' });
    content.push(h('section', { class: 'card section', 'aria-labelledby': 'recent-title' },
      h('div', { class: 'section-header' },
        h('h2', { id: 'recent-title', class: 'section-title' }, 'Recent activity'),
        h('a', { href: logNav.path, class: 'btn btn-ghost btn-sm' }, 'View all', icon(['M9 18l6-6-6-6']))),
      body));
    api('GET', '/api/v1/activity', { query: { limit: 8 }, signal: ctx.signal })
      .then(({ data }) => {
        const rows = Array.isArray(data.data) ? data.data : [];
        body.replaceChildren(rows.length
          ? h('table', { class: 'table table-log' }, activityHead({ compact: true }),
            h('tbody', null, rows.map((e) => activityRow(e, { compact: true }))))
          : emptyState('No activity yet.'));
      })
      .catch((err) => { if (!isAbort(err)) body.replaceChildren(problemBox(err)); });
  }
  root.replaceChildren(...content);
}

export const routes = [['/admin/', dashboardPage]];
export const nav = [
  { path: '/admin/', key: 'nav.dashboard', label: 'Dashboard', module: null, group: null, exact: true,
    icon: ['M3 11l9-7 9 7', 'M5 10v10h5v-6h4v6h5V10'] },
];
