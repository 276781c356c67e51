// /admin/utilities: the spec's utilities, as links (those the member may use).
import { h } from '../dom.js';
import { NAV } from '../nav.js';
import { canView } from '../session.js';
import { alertBox } from '../ui.js';

function utilitiesPage(ctx, root) {
  ctx.setTitle('Utilities');
  const rows = NAV.filter((n) => n.group === 'Utilities' && canView(n.module, n));
  root.replaceChildren(
    h('h1', { class: 'page-title', tabindex: '-1' }, 'Utilities'),
    h('p', { class: 'muted page-lead' }, 'Daily: blocked emails in the email queue. Weekly: the activity log.'),
    rows.length ? h('div', { class: 'stats' }, rows.map((n) => h('a', { href: n.path, class: 'card stat' },
      h('p', { class: 'stat-label' }, 'Utility'), h('p', { class: 'stat-value stat-value-text' }, n.label))))
      : alertBox('info', 'Your role gives you no utilities.'));
}

export const routes = [['/admin/utilities', utilitiesPage]];
export const nav = [];
