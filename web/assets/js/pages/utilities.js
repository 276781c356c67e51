// /admin/utilities: the spec's utilities, as links (those the member may use):
// the Utilities rows of the navigation (activity log, email queue, pipe log,
// jobs, events, API request log, system log) and the logs that live on
// another screen (each webhook's delivery log, under Webhooks).
import { h } from '../dom.js';
import { NAV } from '../nav.js';
import { canView } from '../session.js';
import { alertBox } from '../ui.js';
import { t } from '../i18n.js';

// Logs kept on another screen, shown as utilities too.
const ELSEWHERE = () => [
  { path: '/admin/webhooks', key: 'utilities.webhook_logs', module: 'webhooks', adminOnly: true },
];

function utilitiesPage(ctx, root) {
  ctx.setTitle(t('nav.group.utilities'));
  const rows = [...NAV.filter((n) => n.group === 'Utilities'), ...ELSEWHERE()].filter((n) => canView(n.module, n));
  root.replaceChildren(
    h('h1', { class: 'page-title', tabindex: '-1' }, t('nav.group.utilities')),
    h('p', { class: 'muted page-lead' }, t('utilities.lead')),
    rows.length ? h('div', { class: 'stats' }, rows.map((n) => h('a', { href: n.path, class: 'card stat' },
      h('p', { class: 'stat-label' }, t('utilities.utility')), h('p', { class: 'stat-value stat-value-text' }, n.key ? t(n.key) : n.label))))
      : alertBox('info', t('utilities.none')));
}

export const routes = [['/admin/utilities', utilitiesPage]];
export const nav = [];
