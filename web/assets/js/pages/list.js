// Generic entity list, driven by an entity descriptor from entities.js (the
// server's definitions): its list columns, select filters and sortable
// fields, on the list component (listview.js). Custom fields are optional
// columns: the "Columns" chooser adds them, remembered per list in this
// browser (localStorage); none is shown until chosen.
import { h, pageTitle, icon } from '../dom.js';
import { entityText, fieldValue, filterFields } from '../entities.js';
import { t } from '../i18n.js';
import { formatCell, loadStaff, staffName } from '../ui.js';
import { can, me } from '../session.js';
import { lastListQuery, listView } from '../listview.js';
import { LIST_BULK, LIST_CELLS } from './sections.js';

const NOWRAP = new Set(['datetime', 'money', 'select', 'staff', 'tel', 'code']);
const STAFF = new Set(['staff', 'staff_list']);
const TRUNCATE = new Set(['email', 'url', 'textarea']);
const DESC_FIRST = new Set(['datetime', 'date', 'money', 'decimal', 'number']);
const PLUS = ['M12 5v14', 'M5 12h14'];

/** The list URL to return to from a form: the list as the user last left it. */
export function listUrl(entity) {
  return entity.path + lastListQuery(entity.path);
}

function column(f, first, lookups, entity) {
  const own = entity && LIST_CELLS[`${entity.key}.${f.name}`];
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
      if (own) return own(record);
      const content = formatCell(f, record, lookups);
      return TRUNCATE.has(f.type) && typeof content === 'string'
        ? h('span', { class: 'truncate', title: content }, content) : content;
    },
  };
}

const columnsKey = (entity) => `atrium-columns-${entity.key}`;

/** The optional columns chosen for a list (names of custom fields). */
function chosenColumns(entity) {
  try {
    const v = JSON.parse(localStorage.getItem(columnsKey(entity)) || '[]');
    return new Set(Array.isArray(v) ? v.map(String) : []);
  } catch { return new Set(); }
}

function saveColumns(entity, names) {
  try { localStorage.setItem(columnsKey(entity), JSON.stringify([...names])); } catch { /* private mode: this page only */ }
}

/** The "Columns" chooser: a checkbox per optional column; onChange(names) after each change. */
function columnChooser(entity, optional, chosen, onChange) {
  const id = `${entity.key}-columns`;
  const boxes = optional.map((f) => {
    const input = h('input', { id: `${id}-${f.name}`, type: 'checkbox', class: 'checkbox', value: f.name,
      checked: chosen.has(f.name) });
    input.addEventListener('change', () => {
      if (input.checked) chosen.add(f.name); else chosen.delete(f.name);
      onChange(chosen);
      input.focus(); // the chooser moved into the new table's toolbar
    });
    return h('div', { class: 'check-row' }, input, h('label', { for: input.id }, f.label));
  });
  return h('details', { class: 'column-chooser', 'data-testid': 'column-chooser' },
    h('summary', { class: 'btn btn-ghost' }, t('list.columns')),
    h('fieldset', { class: 'column-chooser-panel' }, h('legend', { class: 'label label-small' }, t('list.show_columns')), boxes));
}

export function listPage(entity) {
  return async function renderList(ctx, root) {
    ctx.setTitle(entity.plural);
    const lookups = { staff: [] };
    // Staff names for assignee columns and filters; empty when not permitted.
    if (entity.fields.some((f) => STAFF.has(f.type) && (f.list || f.filter))) {
      lookups.staff = await loadStaff(ctx.signal);
    }
    // A staff filter offers "Me" first (the address says assignees=me:
    // "my tasks" for whoever opens it), then everyone by name.
    const self = me();
    const staffChoices = () => [
      ...(self ? [['me', t('picker.me', { name: self.name || self.email })]] : []),
      ...lookups.staff.map((s) => [String(s.id), s.name || s.email]),
    ];
    const filters = filterFields(entity).map((f) => ({
      param: f.param || f.name,
      label: f.label,
      options: STAFF.has(f.type) ? staffChoices()
        : f.type === 'checkbox' ? [['true', t('common.yes')], ['false', t('common.no')]] : f.options,
      unknown: STAFF.has(f.type) ? (v) => staffName(lookups.staff, v) : undefined,
    }));
    if (entity.fields.some((f) => f.name === 'created_at')) {
      filters.push({ type: 'dates', field: 'created_at', params: ['created_from', 'created_to'],
        labels: [t('list.created_from'), t('list.created_to')] });
    }
    const creates = can(entity.module, 'create');
    // Titles of the records the page's reference fields name, from the
    // answer (refs: {client: {"7": "Nordic Timber"}}).
    Object.defineProperty(lookups, 'refs', { get: () => (view && view.data && view.data.refs) || {} });
    // Custom fields not already listed are optional columns.
    const optional = entity.fields.filter((f) => f.custom && !f.list);
    const chosen = chosenColumns(entity);
    const columns = () => entity.fields.filter((f) => f.list || (f.custom && chosen.has(f.name)))
      .map((f, i) => column(f, i === 0, lookups, entity));
    const chooser = optional.length ? columnChooser(entity, optional, chosen, (names) => {
      saveColumns(entity, names);
      // A new table with the list as the address holds it now (filters, sort, page).
      const next = makeView({ ...ctx, query: new URLSearchParams(location.search) });
      view.root.replaceWith(next.root);
      view = next;
      view.load();
    }) : null;
    // Bulk actions of an entity's own (sections.js: LIST_BULK), for those
    // who may edit its records: a selection column, toolbar buttons, a report.
    const bulk = LIST_BULK[entity.key] && can(entity.module, 'edit') ? LIST_BULK[entity.key](entity, () => view) : null;
    const makeView = (c) => listView(c, {
      api: entity.api,
      name: entity.plural,
      id: entity.key,
      sort: entity.defaultSort,
      limit: 25,
      search: { label: entityText(entity, 'search'), placeholder: entityText(entity, 'search_placeholder') },
      filterLabel: entityText(entity, 'filter'),
      filters,
      columns: bulk ? [bulk.column, ...columns()] : columns(),
      toolbar: [...(bulk ? bulk.toolbar : []), ...(chooser ? [chooser] : [])],
      onData: bulk ? bulk.onData : undefined,
      exportable: true,
      rowHref: (record) => `${entity.path}/${record.id}`,
      empty: {
        none: [entityText(entity, 'none'), creates ? entityText(entity, 'first') : null],
        filtered: [entityText(entity, 'no_match'), t('list.try_another')],
      },
    });
    let view = makeView(ctx);
    root.replaceChildren(
      h('div', { class: 'page-header' },
        pageTitle(entity.plural),
        creates ? h('a', { href: `${entity.path}/new`, class: 'btn btn-primary' }, icon(PLUS), entityText(entity, 'new')) : null),
      bulk ? bulk.report : null,
      view.root);
    await view.load();
  };
}
