// The dashboard's health cards, for members who may see the health page:
// "Needs attention" (every indicator of GET /api/v1/health in its warning
// state — SMTP not configured, blocked emails, administrators without 2FA,
// cron stopped, ... — each with the screen that fixes it), and, on a new
// installation, the spec's initial-setup checklist (GET
// /api/v1/health/setup) until every step is done or an administrator
// dismisses it (PATCH /api/v1/settings/health, logged).
import { h, icon } from '../dom.js';
import { api, isAbort } from '../api.js';
import { can, canView } from '../session.js';
import { problemBox, toast } from '../ui.js';
import { t } from '../i18n.js';
import { detail, indicatorLabel, statusBadge, valueText } from './health.js';

const CHEVRON = ['M9 18l6-6-6-6'];

function card(id, title, ...body) {
  return h('section', { class: 'card section', 'aria-labelledby': id, dataset: { testid: id } },
    h('div', { class: 'section-header' }, h('h2', { id, class: 'section-title' }, title),
      h('a', { href: '/admin/health', class: 'btn btn-ghost btn-sm' }, t('nav.health'), icon(CHEVRON))), ...body);
}

function warningsCard(report) {
  const warn = (report.indicators || []).filter((i) => i.status === 'warning');
  if (!warn.length) return null;
  return card('dash-warnings', t('dashboard.attention'),
    h('ul', { class: 'health-list' }, warn.map((i) => h('li', { dataset: { indicator: i.key } },
      statusBadge(i.status),
      h('span', { class: 'health-item-text' }, h('strong', null, indicatorLabel(i)), ' — ',
        i.key === 'smtp_configured' ? t('dashboard.smtp_missing') : valueText(i.unit, i.value), detail(i)),
      i.link ? h('a', { href: i.link, class: 'btn btn-sm' }, t('health.fix'), icon(CHEVRON)) : null))));
}

function checklistCard(setup, onDismiss) {
  if (!setup || setup.complete || setup.dismissed) return null;
  const dismiss = can('settings', 'edit')
    ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm' }, t('dashboard.setup_dismiss')) : null;
  const el = h('section', { class: 'card section', 'aria-labelledby': 'dash-setup-title', dataset: { testid: 'dash-setup' } },
    h('div', { class: 'section-header' },
      h('h2', { id: 'dash-setup-title', class: 'section-title' }, t('dashboard.setup')), dismiss),
    h('p', { class: 'muted health-note' }, t('dashboard.setup_progress', { done: setup.done, total: setup.total })),
    h('ul', { class: 'health-list' }, setup.items.map((x) => h('li', { dataset: { step: x.key, done: String(x.done) } },
      h('span', { class: x.done ? 'health-done' : 'health-todo', 'aria-hidden': 'true' }, x.done ? '✓' : '○'),
      h('span', { class: 'health-item-text' }, t(`setup.${x.key}`),
        h('span', { class: 'visually-hidden' }, ` (${x.done ? t('dashboard.setup_done') : t('dashboard.setup_todo')})`)),
      x.done ? null : h('a', { href: x.link, class: 'btn btn-sm' }, t('dashboard.setup_go'), icon(CHEVRON))))));
  if (dismiss) {
    dismiss.addEventListener('click', async () => {
      dismiss.disabled = true;
      try {
        await api('PATCH', '/api/v1/settings/health', { body: { setup_checklist_dismissed: true } });
        toast(t('dashboard.setup_dismissed'), 'success');
        onDismiss(el);
      } catch (err) {
        dismiss.disabled = false;
        if (!isAbort(err)) el.appendChild(problemBox(err));
      }
    });
  }
  return el;
}

/** The cards (a container filled when the answers come), or null for members without health. */
export function dashboardHealth(signal) {
  if (!canView('health', { adminOnly: true })) return null;
  const box = h('div', { class: 'dash-health' });
  Promise.all([
    api('GET', '/api/v1/health', { signal }),
    api('GET', '/api/v1/health/setup', { signal }),
  ]).then(([rep, setup]) => {
    box.replaceChildren(...[warningsCard(rep.data), checklistCard(setup.data, (el) => el.remove())].filter(Boolean));
  }).catch((err) => { if (!isAbort(err)) box.replaceChildren(problemBox(err)); });
  return box;
}
