// Dashboard (/admin/): record counts and the latest activity.
import { h, icon, pageTitle } from '../dom.js';
import { api, isAbort } from '../api.js';
import { me, canView } from '../session.js';
import { ENTITIES } from '../entities.js';
import { NAV } from '../nav.js';
import { activityHead, activityRow } from './activity.js';
import { emptyState, problemBox } from '../ui.js';
import { t } from '../i18n.js';
import { formatNumber } from '../format.js';
import { dashboardHealth } from './dashboard_health.js';

async function count(path, query, signal) {
  const { data } = await api('GET', path, { query: { limit: 1, count: 'true', ...query }, signal });
  return Number(data.total) || 0;
}

function statCard(label, valuePromise, href, note) {
  const value = h('p', { class: 'stat-value' }, '…');
  const card = h('a', { href, class: 'card stat' }, h('p', { class: 'stat-label' }, label), value,
    note ? h('p', { class: 'stat-note muted' }, note) : null);
  valuePromise.then((n) => { value.textContent = formatNumber(n); })
    .catch((err) => { if (!isAbort(err)) { value.textContent = '—'; card.title = err.message; } });
  return card;
}

export async function dashboardPage(ctx, root) {
  ctx.setTitle(t('nav.dashboard'));
  const staff = me();
  const first = String(staff.name || '').split(/\s+/)[0];
  const stats = h('div', { class: 'stats' });

  for (const e of ENTITIES) {
    if (!canView(e.module) || e.dashboard === false) continue;
    stats.appendChild(statCard(e.plural, count(e.api, {}, ctx.signal), e.path, t('dashboard.all', { name: e.plural.toLowerCase() })));
    if (e.key === 'leads') {
      stats.appendChild(statCard(t('dashboard.new_leads'), count(e.api, { status: 'new' }, ctx.signal), `${e.path}?status=new`,
        t('dashboard.new_leads_note')));
      stats.appendChild(statCard(t('dashboard.won_leads'), count(e.api, { status: 'won' }, ctx.signal), `${e.path}?status=won`,
        t('dashboard.won_leads_note')));
    }
  }

  if (canView('email_queue')) {
    const blocked = api('GET', '/api/v1/email-queue', { query: { status: 'blocked', limit: 1 }, signal: ctx.signal })
      .then(({ data }) => Number(data.counts && data.counts.blocked) || Number(data.total) || 0);
    stats.appendChild(statCard(t('dashboard.blocked'), blocked, '/admin/utilities/email_queue?status=blocked',
      t('dashboard.blocked_note')));
  }

  const content = [
    h('div', { class: 'page-header' }, pageTitle(first ? t('dashboard.welcome', { name: first }) : t('nav.dashboard'))),
    h('p', { class: 'muted page-lead' }, t('dashboard.lead')),
    stats,
  ];
  // Warnings that need action and the initial-setup checklist (health).
  const health = dashboardHealth(ctx.signal);
  if (health) content.push(health);

  const logNav = NAV.find((n) => n.module === 'activity');
  if (logNav && canView(logNav.module, logNav)) {
    const body = h('div', { class: 'table-wrap' });
    content.push(h('section', { class: 'card section', 'aria-labelledby': 'recent-title' },
      h('div', { class: 'section-header' },
        h('h2', { id: 'recent-title', class: 'section-title' }, t('dashboard.recent')),
        h('a', { href: logNav.path, class: 'btn btn-ghost btn-sm' }, t('dashboard.view_all'), icon(['M9 18l6-6-6-6']))),
      body));
    api('GET', '/api/v1/activity', { query: { limit: 8 }, signal: ctx.signal })
      .then(({ data }) => {
        const rows = Array.isArray(data.data) ? data.data : [];
        body.replaceChildren(rows.length
          ? h('table', { class: 'table table-log' }, activityHead({ compact: true }),
            h('tbody', null, rows.map((e) => activityRow(e, { compact: true }))))
          : emptyState(t('dashboard.no_activity')));
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
