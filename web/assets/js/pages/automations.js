// Workflow automations (/admin/workflow_automation; issue 14): the list
// on the list component (search by name; filters: on or off, the kind of
// record, the type of trigger, who it runs as, turned off by the rate
// limit), each row's name, records, trigger in words, state, runs as and
// last run; a selection with Turn on / Turn off (a PATCH per automation
// with its If-Match, each failure named) and the CSV export of the
// selection; "New automation", and the standard automations
// (GET /api/v1/automation_templates) each with what it still needs and
// "Use this", which opens the form filled in. The routes of the form
// (automation_form.js) and the automation's page (automation_page.js).
import { h, icon, pageTitle, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { t } from '../i18n.js';
import { can, canView, me } from '../session.js';
import { alertBox, loadStaff, problemBox, staffName, toast } from '../ui.js';
import { listView } from '../listview.js';
import { notFoundPage } from './records.js';
import { automationFormPage } from './automation_form.js';
import { automationPage, stateBadge } from './automation_page.js';
import { AUTO_API, AUTO_BASE, entityWords, mayChange, triggerEntities, triggerText } from './automation_words.js';

const PLUS = ['M12 5v14', 'M5 12h14'];

/** The standard automations, each with what it does, what it still needs and "Use this". */
function templatesSection(signal, creates) {
  const body = h('div', null, h('p', { class: 'loading' }, t('common.loading')));
  const section = h('section', { class: 'card section', id: 'auto-templates', 'aria-labelledby': 'auto-templates-title', 'data-testid': 'auto-templates' },
    h('div', { class: 'section-header' }, h('h2', { id: 'auto-templates-title', class: 'section-title' }, t('auto.templates'))),
    h('p', { class: 'hint auto-section-lead' }, t('auto.templates_lead')), body);
  api('GET', '/api/v1/automation_templates', { signal }).then(({ data }) => {
    const list = (data && data.data) || [];
    body.replaceChildren(h('ul', { class: 'auto-templates' }, list.map((x) => h('li', { class: 'auto-template', dataset: { template: x.key } },
      h('h3', { class: 'auto-template-name' }, x.name),
      h('p', null, x.description),
      h('p', { class: 'muted' }, triggerText(x.trigger)),
      x.needs && x.needs.length ? h('p', { class: 'text-warn' }, t('auto.still_needs', { what: x.needs.map((n) => n.message).join(', ') })) : null,
      creates ? h('a', { href: `${AUTO_BASE}/new?template=${encodeURIComponent(x.key)}`, class: 'btn btn-sm',
        'aria-label': t('auto.use_this_named', { name: x.name }) }, t('auto.use_this')) : null))));
  }).catch((err) => { if (!isAbort(err)) body.replaceChildren(problemBox(err)); });
  return section;
}

async function automationsList(ctx, root) {
  if (!canView('automations')) return notFoundPage(ctx, root);
  ctx.setTitle(t('nav.automations'));
  const staff = await loadStaff(ctx.signal);
  const self = me();
  const creates = can('automations', 'create');
  const edits = can('automations', 'edit');
  const chosen = new Map(); // id → the row (its version for If-Match)
  let key = null;
  let view = null;
  const bulkOn = edits ? h('button', { type: 'button', class: 'btn', disabled: true }, t('auto.bulk.on')) : null;
  const bulkOff = edits ? h('button', { type: 'button', class: 'btn', disabled: true }, t('auto.bulk.off')) : null;
  const selected = h('span', { class: 'muted auto-selected', 'aria-live': 'polite' });
  const report = h('div', { class: 'page-messages', tabindex: '-1' });
  const paintBulk = () => {
    for (const b of [bulkOn, bulkOff]) if (b) b.disabled = chosen.size === 0;
    selected.textContent = chosen.size ? t('auto.bulk.selected', { count: chosen.size }) : '';
  };
  const pageBoxes = () => [...view.table.querySelectorAll('tbody input[type=checkbox]')];
  const all = h('input', { type: 'checkbox', class: 'checkbox', 'aria-label': t('auto.bulk.select_page') });
  const paintAll = () => {
    const boxes = pageBoxes();
    all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
    all.indeterminate = !all.checked && boxes.some((b) => b.checked);
  };
  all.addEventListener('change', () => {
    for (const r of view.rows.filter((x) => mayChange(x))) { if (all.checked) chosen.set(r.id, r); else chosen.delete(r.id); }
    for (const b of pageBoxes()) b.checked = all.checked;
    paintBulk();
  });

  /** Turns every chosen automation on or off, one PATCH each; names those that failed. */
  async function bulk(on, button) {
    button.disabled = true;
    report.replaceChildren();
    const rows = [...chosen.values()];
    const failed = [];
    let done = 0;
    for (const r of rows) {
      if (Boolean(r.enabled) === on && !(on && r.paused_at)) { done += 1; continue; }
      try {
        await api('PATCH', `${AUTO_API}/${r.id}`, { body: { enabled: on }, ifMatch: `"${r.version}"` });
        done += 1;
      } catch (err) {
        if (isAbort(err)) return;
        failed.push(h('li', null, `${r.name}: ${err.status === 412 ? t('auto.bulk.changed') : (err.detail || err.title || err.message)}`));
      }
    }
    chosen.clear();
    if (done) toast(t(on ? 'auto.bulk.turned_on' : 'auto.bulk.turned_off', { count: done }));
    if (failed.length) {
      report.replaceChildren(alertBox('error', t('auto.bulk.failed', { count: failed.length }), null, h('ul', { class: 'error-list' }, failed)));
      report.focus();
    }
    await view.load();
    paintBulk();
  }
  bulkOn?.addEventListener('click', () => bulk(true, bulkOn));
  bulkOff?.addEventListener('click', () => bulk(false, bulkOff));

  const columns = [
    { label: t('field.name'), sort: 'name', cell: (a) => a.name },
    { label: t('auto.records'), sort: 'trigger_entity', cell: (a) => (a.trigger_entity ? entityWords(a.trigger_entity).plural : h('span', { class: 'muted' }, '—')) },
    { label: t('auto.trigger'), cell: (a) => triggerText(a.trigger) },
    { label: t('auto.state'), sort: 'enabled', cell: (a) => stateBadge(a) },
    { label: t('auto.runs_as'), cell: (a) => staffName(staff, a.owner_id) },
    { label: t('auto.last_run'), sort: 'last_run_at', desc: true, class: 'when',
      cell: (a) => (a.last_run_at ? timeEl(a.last_run_at) : h('span', { class: 'muted' }, t('auto.never'))) },
  ];
  if (edits) {
    columns.unshift({ hiddenLabel: t('auto.bulk.select'), headClass: 'select-col', class: 'select-col', csv: false,
      header: () => all,
      cell(a) {
        if (!mayChange(a)) return null; // another member's: only they or an administrator change it
        const b = h('input', { type: 'checkbox', class: 'checkbox', checked: chosen.has(a.id), 'aria-label': t('auto.bulk.select_one', { name: a.name }) });
        b.addEventListener('change', () => { if (b.checked) chosen.set(a.id, a); else chosen.delete(a.id); paintBulk(); paintAll(); });
        return b;
      } });
  }
  view = listView(ctx, {
    api: AUTO_API,
    name: t('nav.automations'),
    id: 'autos',
    sort: 'name',
    sortText: t('auto.by_name'),
    limit: 25,
    search: { label: t('auto.search'), placeholder: t('auto.search_placeholder') },
    filterLabel: t('auto.filter'),
    filters: [
      { param: 'enabled', id: 'autos-enabled', label: t('auto.state'), options: [['true', t('auto.state.on')], ['false', t('auto.state.off')]] },
      { param: 'trigger_entity', id: 'autos-entity', label: t('auto.records'), options: () => triggerEntities().map((e) => [e.name, e.plural]) },
      { param: 'trigger_type', id: 'autos-type', label: t('auto.trigger_type'), options: ['event', 'date', 'schedule'].map((x) => [x, t(`auto.type.${x}`)]) },
      { param: 'owner_id', id: 'autos-owner', label: t('auto.runs_as'),
        options: [...(self ? [['me', t('picker.me', { name: self.name || self.email })]] : []),
          ...staff.map((s) => [String(s.id), s.name || s.email])], unknown: (v) => staffName(staff, v) },
      { type: 'preset', id: 'autos-paused', label: t('auto.paused_filter'), options: [['', t('common.all'), {}],
        ['paused', t('auto.paused_only'), { 'paused_at[empty]': 'false' }], ['not', t('auto.not_paused'), { 'paused_at[empty]': 'true' }]] },
    ],
    toolbar: [bulkOn, bulkOff, selected].filter(Boolean),
    exportable: true,
    columns,
    rowHref: (a) => `${AUTO_BASE}/${a.id}`,
    rowProps: (a) => ({ dataset: { automation: String(a.id), enabled: String(a.enabled) } }),
    empty: {
      none: [t('auto.none'), creates ? t('auto.none_detail') : null],
      filtered: [t('auto.no_match'), t('list.try_another')],
    },
    onData: (data, v) => {
      if (v.key() !== key) { key = v.key(); chosen.clear(); }
      paintBulk();
      paintAll();
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.automations')),
      h('div', { class: 'page-actions' },
        h('a', { href: '#auto-templates', class: 'btn' }, t('auto.templates')),
        creates ? h('a', { href: `${AUTO_BASE}/new`, class: 'btn btn-primary' }, icon(PLUS), t('auto.new')) : null)),
    h('p', { class: 'muted page-lead' }, t('auto.lead')),
    report,
    view.root,
    templatesSection(ctx.signal, creates));
  await view.load();
}

export const routes = [
  [AUTO_BASE, automationsList],
  [`${AUTO_BASE}/new`, automationFormPage],
  [`${AUTO_BASE}/:id/edit`, automationFormPage],
  [`${AUTO_BASE}/:id`, automationPage],
];
export const nav = [
  { path: AUTO_BASE, key: 'nav.automations', label: 'Automations', module: 'automations', group: 'Administration', order: 45,
    icon: ['M13 2L4 14h7l-1 8 9-12h-7z'] },
];
