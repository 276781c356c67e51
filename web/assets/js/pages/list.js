// Generic entity list, driven by an entity descriptor from entities.js (the
// server's definitions): its list columns, select filters and sortable
// fields, on the list component (listview.js).
import { h, pageTitle, icon } from '../dom.js';
import { entityText, fieldValue, filterFields, listFields } from '../entities.js';
import { t } from '../i18n.js';
import { formatCell, loadStaff, staffName } from '../ui.js';
import { can } from '../session.js';
import { lastListQuery, listView } from '../listview.js';

const NOWRAP = new Set(['datetime', 'money', 'select', 'staff', 'tel', 'code']);
const TRUNCATE = new Set(['email', 'url', 'textarea']);
const DESC_FIRST = new Set(['datetime', 'date', 'money', 'decimal', 'number']);
const PLUS = ['M12 5v14', 'M5 12h14'];

/** The list URL to return to from a form: the list as the user last left it. */
export function listUrl(entity) {
  return entity.path + lastListQuery(entity.path);
}

function column(f, first, lookups) {
  const numeric = f.type === 'money';
  return {
    label: f.label,
    sort: f.sortable ? f.param || f.name : null,
    desc: DESC_FIRST.has(f.type),
    headClass: numeric ? 'num' : null,
    class: [numeric ? 'num' : null, NOWRAP.has(f.type) ? 'nowrap' : null],
    cell(record) {
      const v = fieldValue(record, f);
      if (f.linkType && v != null) { // the linked record's title, from refs
        const names = (lookups.refs || {})[record[f.linkType]] || {};
        return names[v] != null ? names[v] : `#${v}`;
      }
      if (first && (v == null || v === '')) return `#${record.id}`;
      const content = formatCell(f, record, lookups);
      return TRUNCATE.has(f.type) && typeof content === 'string'
        ? h('span', { class: 'truncate', title: content }, content) : content;
    },
  };
}

export function listPage(entity) {
  return async function renderList(ctx, root) {
    ctx.setTitle(entity.plural);
    const lookups = { staff: [] };
    // Staff names for assignee columns and filters; empty when not permitted.
    if (entity.fields.some((f) => f.type === 'staff' && (f.list || f.filter))) {
      lookups.staff = await loadStaff(ctx.signal);
    }
    const filters = filterFields(entity).map((f) => ({
      param: f.param || f.name,
      label: f.label,
      options: f.type === 'staff' ? lookups.staff.map((s) => [String(s.id), s.name || s.email])
        : f.type === 'checkbox' ? [['true', t('common.yes')], ['false', t('common.no')]] : f.options,
      unknown: f.type === 'staff' ? (v) => staffName(lookups.staff, v) : undefined,
    }));
    if (entity.fields.some((f) => f.name === 'created_at')) {
      filters.push({ type: 'dates', field: 'created_at', params: ['created_from', 'created_to'],
        labels: [t('list.created_from'), t('list.created_to')] });
    }
    const creates = can(entity.module, 'create');
    // Titles of the records the page's reference fields name, from the
    // answer (refs: {client: {"7": "Nordic Timber"}}).
    Object.defineProperty(lookups, 'refs', { get: () => (view && view.data && view.data.refs) || {} });
    const view = listView(ctx, {
      api: entity.api,
      name: entity.plural,
      id: entity.key,
      sort: entity.defaultSort,
      limit: 25,
      search: { label: entityText(entity, 'search'), placeholder: entityText(entity, 'search_placeholder') },
      filterLabel: entityText(entity, 'filter'),
      filters,
      columns: listFields(entity).map((f, i) => column(f, i === 0, lookups)),
      rowHref: (record) => `${entity.path}/${record.id}`,
      empty: {
        none: [entityText(entity, 'none'), creates ? entityText(entity, 'first') : null],
        filtered: [entityText(entity, 'no_match'), t('list.try_another')],
      },
    });
    root.replaceChildren(
      h('div', { class: 'page-header' },
        pageTitle(entity.plural),
        creates ? h('a', { href: `${entity.path}/new`, class: 'btn btn-primary' }, icon(PLUS), entityText(entity, 'new')) : null),
      view.root);
    await view.load();
  };
}
