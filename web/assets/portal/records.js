// The contact's contracts and projects: a list (search, pages) and each record's
// page, its custom fields (those marked "show on client portal") as label
// and value pairs. GET /api/v1/portal/contracts|projects[/id].
import { h, replace, timeEl } from '../js/dom.js';
import { api, ApiError, isAbort } from '../js/api.js';
import { t } from '../js/i18n.js';
import { formatMoney, formatPlainDate } from '../js/format.js';
import { replaceQuery } from './router.js';
import { emptyState, facts, field, loading, pageHeader, pager, problemBox, sentence, statusBadge } from './ui.js';

const PAGE = 20;
const yesNo = (v) => (v === true ? t('common.yes') : v === false ? t('common.no') : '');
const date = (v) => (v ? formatPlainDate(v) : '');
const money = (r) => (r.value === null || r.value === undefined || r.value === '' ? '' : formatMoney(r.value, r.currency));

/* What each kind shows: its columns in the list and its facts on its page. */
const KINDS = {
  contracts: {
    api: '/api/v1/portal/contracts', title: (r) => r.subject, nav: 'portal.nav.contracts', none: 'portal.contracts.none',
    search: 'portal.contracts.search',
    columns: [
      ['portal.contracts.number', (r) => r.number || ''],
      ['portal.contracts.subject', null],
      ['portal.contracts.type', (r) => r.contract_type || ''],
      ['portal.contracts.value', money, 'num'],
      ['portal.contracts.start', (r) => date(r.start_date)],
      ['portal.contracts.end', (r) => date(r.end_date)],
      ['portal.contracts.signed', (r) => yesNo(r.signed)],
    ],
  },
  projects: {
    api: '/api/v1/portal/projects', title: (r) => r.name, nav: 'portal.nav.projects', none: 'portal.projects.none',
    search: 'portal.projects.search',
    columns: [
      ['portal.projects.name', null],
      ['portal.projects.status', (r) => statusBadge('project', r.status)],
      ['portal.projects.start', (r) => date(r.start_date)],
      ['portal.projects.deadline', (r) => date(r.deadline)],
    ],
  },
};

function valueText(v) {
  if (v === null || v === undefined || v === '') return '';
  if (typeof v === 'boolean') return yesNo(v);
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  if (typeof v === 'object') return 'label' in v ? String(v.label) : JSON.stringify(v);
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\d$/.test(v)) return formatPlainDate(v);
  return String(v);
}

/**
 * A record's custom fields as [label, value] pairs. They come as
 * {slug: value} or {slug: {label, value}} (or a list of {label, value});
 * a field without a label is named by its slug.
 */
export function customFacts(custom) {
  if (!custom || typeof custom !== 'object') return [];
  const items = Array.isArray(custom) ? custom.map((x) => [x && (x.label || x.name || x.slug), x && x.value])
    : Object.entries(custom).map(([slug, v]) => (v && typeof v === 'object' && !Array.isArray(v) && 'value' in v
      ? [v.label || slug, v.value] : [sentence(slug.replace(/_/g, ' ')), v]));
  return items.filter(([label]) => label).map(([label, v]) => [String(label), valueText(v)]);
}

/** The list page of kind ('contracts' or 'projects'). */
export function recordListPage(kind) {
  const k = KINDS[kind];
  return async function listPage(ctx, root) {
    ctx.setTitle(t(k.nav));
    let offset = Math.max(0, Number(ctx.query.get('offset')) || 0);
    let q = ctx.query.get('q') || '';
    const results = h('div', { 'aria-live': 'polite' }, loading());
    const search = field({ name: 'q', label: t(k.search), type: 'search', value: q });
    const filters = h('form', { class: 'toolbar portal-filters', role: 'search', 'aria-label': t(k.search) },
      search.wrap, h('div', { class: 'portal-filter-actions' }, h('button', { type: 'submit', class: 'btn' }, t('portal.list.apply'))));
    filters.addEventListener('submit', (ev) => {
      ev.preventDefault();
      q = search.value();
      offset = 0;
      load();
    });
    async function load() {
      replaceQuery({ q, offset: offset || '' });
      try {
        const { data } = await api('GET', k.api, { signal: ctx.signal, query: { q, limit: PAGE, offset } });
        const rows = Array.isArray(data.data) ? data.data : [];
        replace(results, rows.length ? table(kind, rows) : emptyState(q ? t('portal.records.none_match') : t(k.none)),
          pager({ ...data, limit: data.limit || PAGE }, (o) => { offset = o; load(); }));
      } catch (err) {
        if (!isAbort(err)) results.replaceChildren(problemBox(err));
      }
    }
    root.replaceChildren(pageHeader(t(k.nav)), h('section', { class: 'card', 'aria-label': t(k.nav) }, filters, results));
    await load();
  };
}

function table(kind, rows) {
  const k = KINDS[kind];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
    h('thead', null, h('tr', null, k.columns.map(([key, , cls]) => h('th', { scope: 'col', class: cls || null }, t(key))))),
    h('tbody', null, rows.map((r) => h('tr', null, k.columns.map(([, cell, cls]) => (cell
      ? h('td', { class: cls || null }, cell(r) || '—')
      : h('td', null, h('a', { class: 'row-link', href: `/portal/${kind}/${r.id}` }, k.title(r) || `#${r.id}`)))))))));
}

/** The page of one record of kind. */
export function recordPage(kind) {
  const k = KINDS[kind];
  return async function page(ctx, root) {
    const id = ctx.params.id;
    if (!/^\d+$/.test(id)) throw new ApiError(404, { title: 'not found' });
    root.replaceChildren(loading());
    const { data: r } = await api('GET', `${k.api}/${id}`, { signal: ctx.signal });
    const title = k.title(r) || `#${r.id}`;
    ctx.setTitle(title);
    const pairs = k.columns.filter(([, cell]) => cell).map(([key, cell]) => [t(key), cell(r)]);
    const custom = customFacts(r.custom_fields);
    replace(root, pageHeader(title, { href: `/portal/${kind}`, label: t(k.nav) }),
      h('section', { class: 'card pad portal-summary' }, facts(pairs)),
      r.description ? h('section', { class: 'card section', 'aria-labelledby': `${kind}-${id}-description` },
        h('div', { class: 'section-header' }, h('h2', { id: `${kind}-${id}-description`, class: 'section-title' },
          t('portal.records.description'))),
        h('p', { class: 'pre pad' }, r.description)) : null,
      custom.length ? h('section', { class: 'card section', 'aria-labelledby': `${kind}-${id}-more` },
        h('div', { class: 'section-header' }, h('h2', { id: `${kind}-${id}-more`, class: 'section-title' },
          t('portal.records.more'))),
        h('div', { class: 'pad' }, facts(custom))) : null,
      r.updated_at ? h('p', { class: 'muted small portal-stamp' }, t('portal.records.updated'), ' ', timeEl(r.updated_at)) : null);
  };
}
