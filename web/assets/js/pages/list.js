// Generic entity list: search, filters, sortable columns, paging.
// Driven entirely by an entity descriptor from entities.js.
import { h, debounce, pageTitle, icon } from '../dom.js';
import { api, isAbort } from '../api.js';
import { navigate, replaceQuery } from '../router.js';
import { filterFields, listFields, sortableNames } from '../entities.js';
import { emptyState, formatCell, loadStaff, pager, problemBox } from '../ui.js';
import { can } from '../session.js';

const LIMIT = 25;
const NOWRAP = new Set(['datetime', 'money', 'select', 'staff', 'tel', 'code']);
const TRUNCATE = new Set(['email', 'url', 'textarea']);
const lastQuery = new Map(); // entity key → the list's last query string

/** The list URL to return to from a form: the list as the user last left it. */
export function listUrl(entity) {
  return entity.path + (lastQuery.get(entity.key) || '');
}
const PLUS = ['M12 5v14', 'M5 12h14'];
const SEARCH = ['M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z', 'M21 21l-4.3-4.3'];

/** Reads list state from the URL, ignoring anything the contract would reject. */
function readState(entity, query) {
  const sortable = sortableNames(entity);
  const sort = query.get('sort') || '';
  const offset = Number(query.get('offset'));
  const state = {
    q: query.get('q') || '',
    sort: sortable.includes(sort.replace(/^-/, '')) ? sort : '',
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
    filters: {},
  };
  for (const f of filterFields(entity)) {
    const v = query.get(f.param || f.name);
    if (v) state.filters[f.param || f.name] = v;
  }
  return state;
}

export function listPage(entity) {
  return async function renderList(ctx, root) {
    ctx.setTitle(entity.plural);
    const state = readState(entity, ctx.query);
    const columns = listFields(entity);
    const lookups = { staff: [] };
    let request = null;

    // Staff names for assignee columns and filters; empty when not permitted.
    if (entity.fields.some((f) => f.type === 'staff' && (f.list || f.filter))) {
      lookups.staff = await loadStaff(ctx.signal);
    }

    const searchId = `${entity.key}-search`;
    const search = h('input', { id: searchId, type: 'search', class: 'input', value: state.q,
      placeholder: `Search ${entity.plural.toLowerCase()}…`, autocomplete: 'off' });
    const filterControls = filterFields(entity).map((f) => {
      const id = `${entity.key}-filter-${f.name}`;
      const options = f.type === 'staff' ? lookups.staff.map((s) => [String(s.id), s.name || s.email])
        : f.type === 'checkbox' ? [['true', 'Yes'], ['false', 'No']] : f.options;
      const select = h('select', { id, class: 'input', value: state.filters[f.param || f.name] || '' },
        h('option', { value: '' }, `All`),
        options.map(([v, label]) => h('option', { value: v }, label)));
      select.addEventListener('change', () => {
        state.filters[f.param || f.name] = select.value;
        state.offset = 0;
        load();
      });
      return h('div', { class: 'toolbar-field' }, h('label', { for: id, class: 'label label-inline' }, f.label), select);
    });

    const table = h('table', { class: 'table' });
    const tableWrap = h('div', { class: 'table-wrap' }, table);
    const status = h('div', { class: 'list-status' });
    const footer = h('div', { class: 'list-footer' });

    root.replaceChildren(
      h('div', { class: 'page-header' },
        pageTitle(entity.plural),
        can(entity.module, 'create')
          ? h('a', { href: `${entity.path}/new`, class: 'btn btn-primary' }, icon(PLUS), `New ${entity.singular}`) : null),
      h('div', { class: 'card' },
        h('div', { class: 'toolbar', role: 'search' },
          h('div', { class: 'toolbar-search' },
            h('label', { for: searchId, class: 'visually-hidden' }, `Search ${entity.plural.toLowerCase()}`),
            icon(SEARCH, 'icon search-icon'), search),
          filterControls),
        status, tableWrap, footer));

    const onSearch = debounce(() => {
      state.q = search.value.trim();
      state.offset = 0;
      load();
    }, 300);
    search.addEventListener('input', onSearch);
    search.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') { ev.preventDefault(); onSearch.cancel(); state.q = search.value.trim(); state.offset = 0; load(); }
    });
    ctx.signal.addEventListener('abort', () => { onSearch.cancel(); if (request) request.abort(); });

    function syncUrl() {
      replaceQuery({ q: state.q, sort: state.sort, offset: state.offset || '', ...state.filters });
      lastQuery.set(entity.key, location.search);
    }

    function header() {
      const current = state.sort || entity.defaultSort;
      const desc = current.startsWith('-');
      const key = current.replace(/^-/, '');
      return h('thead', null, h('tr', null, columns.map((f) => {
        if (!f.sortable) return h('th', { scope: 'col' }, f.label);
        const sortKey = f.param || f.name;
        const active = key === sortKey;
        const dir = active ? (desc ? 'descending' : 'ascending') : null;
        const btn = h('button', { type: 'button', class: ['sort', active ? `sort-${desc ? 'desc' : 'asc'}` : null] },
          f.label, h('span', { class: 'sort-indicator', 'aria-hidden': 'true' }, active ? (desc ? '▼' : '▲') : '↕'));
        btn.addEventListener('click', () => {
          state.sort = active && !desc ? `-${sortKey}` : sortKey;
          state.offset = 0;
          load();
        });
        return h('th', { scope: 'col', 'aria-sort': dir || 'none', class: f.type === 'money' ? 'num' : null }, btn);
      })));
    }

    function row(record) {
      const href = `${entity.path}/${record.id}`;
      const cells = columns.map((f, i) => {
        const content = formatCell(f, record, lookups);
        const cls = [f.type === 'money' ? 'num' : null, NOWRAP.has(f.type) ? 'nowrap' : null];
        if (i === 0) {
          const v = f.custom ? (record.custom_fields || {})[f.name] : record[f.name];
          const text = v == null || v === '' ? `#${record.id}` : null;
          return h('td', { class: cls }, h('a', { href, class: 'row-link' }, text || content));
        }
        if (TRUNCATE.has(f.type) && typeof content === 'string') {
          return h('td', { class: cls }, h('span', { class: 'truncate', title: content }, content));
        }
        return h('td', { class: cls }, content);
      });
      const tr = h('tr', { class: 'clickable' }, cells);
      tr.addEventListener('click', (ev) => {
        if (ev.target.closest('a, button, input, select')) return;
        if (window.getSelection && String(window.getSelection())) return; // selecting text, not opening
        navigate(href);
      });
      return tr;
    }

    async function load() {
      syncUrl();
      if (request) request.abort();
      request = new AbortController();
      const signal = request.signal;
      table.setAttribute('aria-busy', 'true');
      status.replaceChildren();
      // count=true: the pager shows the total (lists count only on request).
      const query = { limit: LIMIT, offset: state.offset, sort: state.sort || entity.defaultSort, q: state.q,
        count: 'true', ...state.filters };
      try {
        const { data } = await api('GET', entity.api, { query, signal });
        const records = Array.isArray(data.data) ? data.data : [];
        const total = Number(data.total) || 0;
        if (records.length === 0 && state.offset > 0 && total > 0) {
          state.offset = Math.max(0, Math.floor((total - 1) / LIMIT) * LIMIT);
          return load();
        }
        table.replaceChildren(
          h('caption', { class: 'visually-hidden' }, `${entity.plural}${state.sort ? `, sorted by ${state.sort}` : ''}`),
          header(),
          h('tbody', null, records.map(row)));
        if (records.length === 0) {
          const filtered = state.q || Object.values(state.filters).some(Boolean);
          status.replaceChildren(filtered
            ? emptyState(`No ${entity.plural.toLowerCase()} match.`, 'Try another search or clear the filters.')
            : emptyState(`No ${entity.plural.toLowerCase()} yet.`,
              can(entity.module, 'create') ? `Create the first ${entity.singular} with “New ${entity.singular}”.` : null));
        }
        footer.replaceChildren(pager({
          offset: Number(data.offset) || state.offset, limit: Number(data.limit) || LIMIT, total, count: records.length,
          label: `${entity.plural} pages`,
          onPage: (o) => { state.offset = o; load(); },
        }));
      } catch (err) {
        if (isAbort(err)) return;
        status.replaceChildren(problemBox(err));
      } finally {
        if (!signal.aborted) table.removeAttribute('aria-busy');
      }
    }

    await load();
  };
}
