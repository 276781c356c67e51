// listview.js — the one list component of the admin UI. Every list page
// (records, staff, activity log, 2FA users, email queue, jobs, API tokens,
// webhooks and their deliveries, events, the API request log) declares what
// it shows; this file does what they all do, against the list-query engine
// (docs/internals/http-api.md, "Lists"):
//   - state in the address: search (q), filters, sort, rows per page (limit)
//     and the page (cursor, or offset from old links), written with
//     replaceState so a reload, a shared link and Back return to the same
//     list; the way back through earlier pages (their cursors) is kept in
//     history.state, so Previous works after a reload too;
//   - the toolbar: a search box, filter selects, text boxes and date ranges
//     (days of the browser's time zone, sent as field[gte]/field[lt]), Reset;
//   - the table: a caption that says the order, sortable column headers
//     (buttons, aria-sort), rows with a link on the first cell and a row
//     click, empty and error states, aria-busy while loading, a status line
//     for screen readers, and the request before aborted when a newer one
//     starts (or the page is left);
//   - keyset paging: Previous/Next with the answer's next_cursor, rows per
//     page, and the total when the list reports one.
//
// const view = listView(ctx, {
//   api: '/api/v1/leads',      the list route
//   name: 'Leads',             plural, for the caption and the labels
//   caption: '...',            the table's name when it is not `name`
//   id: 'leads',               prefix of element ids
//   sort: '-id',               default sort (as the engine takes it)
//   sortText: 'newest first',  the caption's words for the default sort
//   limit: 25, maxLimit: 200,  rows per page, default and the route's max
//   count: false,              send count=true (lists that do not count
//                              by themselves; a total costs a scan)
//   search: {label, placeholder} or null (no ?q= on this list),
//   filterLabel: 'Filter leads',
//   filters: [                 in the order of the address
//     {param, label, options: [[value, text]] | () => [...], all: 'All',
//      unknown: (v) => text}                                 a select
//     {param, label, type: 'text' | 'number', placeholder, suggestions}
//     {type: 'preset', id, label, options: [[key, text, {param: value}]]}
//                            one select that sets several parameters
//     {type: 'dates', field: 'created_at', params: ['created_from',
//      'created_to'], labels: ['Created from', 'Created to']}
//                            plain: true for a calendar date field (an
//                            invoice's due date): sent as the days typed
//                            (field[gte]/field[lte]), not as instants
//   ],
//   columns: [{label, sort: 'name', desc: true (first click descending),
//     class, headClass, hiddenLabel, header: (view) => node,
//     cell: (row, {link}) => content, linked: true (the cell calls link)}],
//   rowHref: (row) => '/admin/leads/7' (the first cell links, the row clicks),
//   rowProps: (row) => ({class, dataset}),
//   empty: {none: [title, detail], filtered: [title, detail]} or (view) => [...],
//   toolbar: [nodes]           page buttons after Reset (Refresh, bulk actions)
//   onData: (answer, view) =>  draws what the list adds (counts, kinds, ...)
//   query: {automation_id: 4}  parameters every request sends (a list
//                              inside a record's page); not in the address
//   exportable: true           "Export CSV" and "Export Excel" buttons: the
//                              server's export of the whole selection
//                              (the list route with ?format=csv|xlsx: the
//                              search, filters and sort shown, exactly the
//                              rows and fields the member may see; logged)
// });
// root.append(view.root); await view.load();
// view.set({status: 'blocked'}) sets filters (first page); view.load()
// reloads the page shown; view.filterQuery() is the query without paging
// (an export link); view.showError(err) shows an action's failure.
//
// Selection and bulk actions (when a bulk API exists) need no change here:
// the page adds a first column whose `header` returns a "Select all on this
// page" checkbox and whose `cell` returns a checkbox labelled by the row's
// name (the link then goes on the next column), keeps the chosen ids in a
// Set of its own, passes its bulk buttons in `toolbar` (disabled while the
// Set is empty), clears the Set in onData when view.key() — the filters,
// search and sort — changed, and calls view.load() after the bulk request.
import { h, debounce, icon } from './dom.js';
import { api, ApiError, isAbort } from './api.js';
import { navigate } from './router.js';
import { downloadBlob, emptyState, problemBox } from './ui.js';
import { t } from './i18n.js';
import { formatNumber } from './format.js';

const SEARCH_ICON = ['M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z', 'M21 21l-4.3-4.3'];
const PAGE_SIZES = [10, 25, 50, 100, 200];
const SEARCH_MAX = 200; // the engine's LIST_SEARCH_MAX
const CURSOR_MAX = 2000;
const TRAILS_MAX = 50;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const URL_PRESET = '\u0000address';

const lastQuery = new Map(); // pathname → the list's last query string
const trails = new Map(); // pathname + query string → {search, trail, start}

/** The query string a list page was last left with ('' or '?...'). */
export function lastListQuery(path) {
  return lastQuery.get(path) || '';
}

/** The parameters a filter governs, in address order. */
function paramsOf(f) {
  if (f.type === 'dates') return f.params;
  if (f.type === 'preset') return [...new Set(f.options.flatMap(([, , p]) => Object.keys(p)))];
  return [f.param];
}

/** Local midnight of a yyyy-mm-dd day (plus `add` days) as an ISO time, or null. */
function dayStart(day, add = 0) {
  if (!DAY.test(day)) return null;
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(y, m - 1, d + add);
  return Number.isNaN(t.getTime()) ? null : t.toISOString();
}

const natural = (v) => (/^\d{1,9}$/.test(v || '') ? Number(v) : NaN);
const fmt = (n) => formatNumber(Number(n));

/** Whether a sort from the address is one this list offers (the id only last). */
function validSort(sort, keys) {
  if (!sort || sort.length > 200) return false;
  const parts = sort.split(',');
  return parts.length <= 4 && parts.every((p, i) => {
    const k = p.replace(/^-/, '');
    return k === 'id' ? i === parts.length - 1 : keys.has(k);
  });
}

export function listView(ctx, cfg) {
  const c = { limit: 25, maxLimit: 200, filters: [], toolbar: [], query: {}, ...cfg };
  const exportBtns = c.exportable ? [['csv', t('list.export_csv')], ['xlsx', t('list.export_xlsx')]]
    .map(([format, label]) => h('button', { type: 'button', class: 'btn', dataset: { format } }, label)) : [];
  if (exportBtns.length) c.toolbar = [...c.toolbar, ...exportBtns];
  const path = location.pathname;
  const view = { rows: [], data: null }; // filled in at the end
  const sortKeys = new Set([...c.columns.map((col) => col.sort).filter(Boolean),
    ...c.sort.split(',').map((k) => k.replace(/^-/, ''))]);

  /* ---- state, from the address ---- */
  const query = ctx.query;
  const limit = natural(query.get('limit'));
  const offset = natural(query.get('offset'));
  const cursor = query.get('cursor') || '';
  const state = {
    q: c.search ? (query.get('q') || '').trim().slice(0, SEARCH_MAX) : '',
    sort: validSort(query.get('sort'), sortKeys) ? query.get('sort') : c.sort,
    limit: limit >= 1 && limit <= c.maxLimit ? limit : c.limit,
    cursor: cursor.length <= CURSOR_MAX ? cursor : '',
    offset: 0,
    filters: {},
  };
  if (!state.cursor && offset > 0) state.offset = offset;
  for (const f of c.filters) {
    for (const p of paramsOf(f)) {
      const v = (query.get(p) || '').trim();
      if (v && (f.type !== 'dates' || DAY.test(v))) state.filters[p] = v;
    }
  }
  // The pages before this one: earlier cursors, from this history entry
  // (a reload), from this session (back from a record), else unknown.
  let trail = [];
  let start = 0;
  if (state.cursor || state.offset) {
    const saved = (history.state && history.state.list) || trails.get(path + location.search);
    if (saved && saved.search === location.search && (saved.trail === null || Array.isArray(saved.trail))) {
      ({ trail, start } = saved);
    } else {
      trail = state.offset ? [] : null;
      start = state.offset || null;
    }
  }
  let next = null;
  let total = null;
  let request = null;

  /* ---- the toolbar ---- */
  const controls = new Map(); // param (or preset id) → control
  const fieldBox = (id, label, input, cls) => h('div', { class: ['filter-field', cls] },
    h('label', { for: id, class: 'label label-small' }, label), input);
  const idOf = (p) => `${c.id}-f-${p.replace(/[^\w-]/g, '-')}`;

  function fillSelect(select, f) {
    const value = state.filters[f.param] || '';
    const options = (typeof f.options === 'function' ? f.options() : f.options) || [];
    select.replaceChildren(h('option', { value: '' }, f.all || t('common.all')),
      ...options.map(([v, text]) => h('option', { value: String(v) }, text)));
    if (value && !options.some(([v]) => String(v) === value)) {
      select.append(h('option', { value }, f.unknown ? f.unknown(value) : value));
    }
    select.value = value;
  }

  function presetKey(f) {
    const ps = paramsOf(f);
    const found = f.options.find(([, , p]) => ps.every((k) => (p[k] || '') === (state.filters[k] || '')));
    return found ? found[0] : URL_PRESET;
  }

  function fillPreset(select, f) {
    const key = presetKey(f);
    select.replaceChildren(...f.options.map(([k, text]) => h('option', { value: k }, text)));
    if (key === URL_PRESET) {
      const text = paramsOf(f).filter((k) => state.filters[k]).map((k) => `${k}=${state.filters[k]}`).join(', ');
      select.append(h('option', { value: URL_PRESET }, text));
    }
    select.value = key;
  }

  const fields = [];
  for (const f of c.filters) {
    if (f.type === 'dates') {
      f.params.forEach((p, i) => {
        const input = h('input', { id: idOf(p), class: 'input', type: 'date', value: state.filters[p] || '' });
        controls.set(p, input);
        fields.push(fieldBox(input.id, f.labels[i], input));
      });
    } else if (f.type === 'preset') {
      const select = h('select', { id: f.id || idOf(f.label), class: 'input' });
      fillPreset(select, f);
      controls.set(select.id, select);
      fields.push(fieldBox(select.id, f.label, select));
    } else if (f.type === 'text' || f.type === 'number') {
      const listId = f.suggestions ? `${idOf(f.param)}-list` : null;
      const input = h('input', { id: f.id || idOf(f.param), class: ['input', f.type === 'number' ? 'input-num' : null],
        type: f.type, min: f.type === 'number' ? '1' : null, maxlength: f.type === 'text' ? '200' : null,
        list: listId, autocomplete: 'off', placeholder: f.placeholder, value: state.filters[f.param] || '' });
      controls.set(f.param, input);
      fields.push(fieldBox(input.id, f.label, input),
        listId ? h('datalist', { id: listId }, f.suggestions.map((v) => h('option', { value: v }))) : null);
    } else {
      const select = h('select', { id: f.id || idOf(f.param), class: 'input' });
      fillSelect(select, f);
      controls.set(f.param, select);
      fields.push(fieldBox(select.id, f.label, select));
    }
  }

  const searchId = `${c.id}-search`;
  const search = c.search ? h('input', { id: searchId, type: 'search', class: 'input', value: state.q,
    placeholder: c.search.placeholder, autocomplete: 'off', maxlength: String(SEARCH_MAX) }) : null;
  const reset = search || c.filters.length ? h('button', { type: 'button', class: 'btn btn-ghost' }, t('list.reset')) : null;
  const form = search || fields.length || c.toolbar.length
    ? h('form', { class: 'toolbar filters', role: 'search', 'aria-label': c.filterLabel || t('list.filter', { name: c.name.toLowerCase() }) },
      search ? h('div', { class: 'filter-field filter-search' },
        h('label', { for: searchId, class: 'label label-small' }, c.search.label),
        h('div', { class: 'toolbar-search' }, icon(SEARCH_ICON, 'icon search-icon'), search)) : null,
      fields,
      h('div', { class: 'toolbar-buttons' }, reset, c.toolbar))
    : null;

  /** Reads every control into the state. */
  function readControls() {
    if (search) state.q = search.value.trim();
    for (const f of c.filters) {
      if (f.type === 'preset') {
        const key = controls.get(f.id || idOf(f.label)).value;
        if (key === URL_PRESET) continue;
        const chosen = (f.options.find(([k]) => k === key) || f.options[0])[2];
        for (const p of paramsOf(f)) {
          if (chosen[p]) state.filters[p] = chosen[p]; else delete state.filters[p];
        }
        continue;
      }
      for (const p of paramsOf(f)) {
        const v = controls.get(p).value.trim();
        if (v) state.filters[p] = v; else delete state.filters[p];
      }
    }
  }

  /** Shows the state in the controls (after set() or Reset). */
  function writeControls() {
    if (search) search.value = state.q;
    for (const f of c.filters) {
      if (f.type === 'preset') fillPreset(controls.get(f.id || idOf(f.label)), f);
      else if (f.type === 'dates' || f.type === 'text' || f.type === 'number') {
        for (const p of paramsOf(f)) controls.get(p).value = state.filters[p] || '';
      } else fillSelect(controls.get(f.param), f);
    }
  }

  function firstPage() {
    state.cursor = '';
    state.offset = 0;
    trail = [];
    start = 0;
  }

  const apply = () => { readControls(); firstPage(); load(); };
  const onSearch = debounce(apply, 300);
  if (search) search.addEventListener('input', onSearch);
  // A filter changed: apply it with what the search box holds now, so a
  // search typed just before does not fire later and undo the page.
  for (const el of controls.values()) el.addEventListener('change', () => { onSearch.cancel(); apply(); });
  if (form) {
    form.addEventListener('submit', (ev) => { ev.preventDefault(); onSearch.cancel(); apply(); });
  }
  if (reset) {
    reset.addEventListener('click', () => {
      onSearch.cancel();
      state.q = '';
      state.filters = {};
      writeControls();
      firstPage();
      load();
    });
  }

  /* ---- the table ---- */
  const caption = h('caption', { class: 'visually-hidden' });
  const heads = c.columns.map((col) => {
    const th = h('th', { scope: 'col', class: col.headClass });
    if (col.header) th.append(col.header(view));
    else if (col.sort) {
      const mark = h('span', { class: 'sort-indicator', 'aria-hidden': 'true' });
      const btn = h('button', { type: 'button', class: 'sort' }, col.label, mark);
      btn.addEventListener('click', () => sortBy(col));
      th.append(btn);
      return { col, th, btn, mark };
    } else th.append(col.label || h('span', { class: 'visually-hidden' }, col.hiddenLabel || ''));
    return { col, th };
  });
  const tbody = h('tbody');
  const table = h('table', { class: ['table', c.tableClass] }, caption,
    h('thead', null, h('tr', null, heads.map((x) => x.th))), tbody);
  const status = h('div', { class: 'list-status' }); // a failure, above the table
  const empty = h('div', { hidden: true }); // nothing to show, under its header
  const live = h('p', { class: 'visually-hidden', role: 'status' });

  const sortHead = () => {
    const first = state.sort.split(',')[0];
    return { key: first.replace(/^-/, ''), desc: first.startsWith('-') };
  };

  function sortBy(col) {
    const { key, desc } = sortHead();
    if (key === col.sort) state.sort = desc ? col.sort : `-${col.sort}`;
    else state.sort = col.desc ? `-${col.sort}` : col.sort;
    firstPage();
    load();
  }

  function paintHead() {
    const { key, desc } = sortHead();
    for (const { col, th, btn, mark } of heads) {
      if (!btn) continue;
      const active = col.sort === key;
      th.setAttribute('aria-sort', active ? (desc ? 'descending' : 'ascending') : 'none');
      btn.className = active ? `sort sort-${desc ? 'desc' : 'asc'}` : 'sort';
      mark.textContent = active ? (desc ? '▼' : '▲') : '↕';
    }
    const col = c.columns.find((x) => x.sort === key);
    const base = c.caption || c.name;
    caption.textContent = state.sort === c.sort && c.sortText ? `${base}, ${c.sortText}`
      : col ? `${base}, ${t(desc ? 'list.sorted_desc' : 'list.sorted_asc', { column: col.label })}`
        : key === 'id' ? `${base}, ${t(desc ? 'list.newest_first' : 'list.oldest_first')}` : base;
  }

  const linkAt = c.columns.findIndex((col) => !col.header);

  function row(r) {
    const href = c.rowHref ? c.rowHref(r) : null;
    const link = (content) => (href ? h('a', { href, class: 'row-link' }, content) : content);
    const cells = c.columns.map((col, i) => {
      let content = col.cell(r, { link });
      if (i === linkAt && !col.linked) content = link(content);
      return h('td', { class: typeof col.class === 'function' ? col.class(r) : col.class }, content);
    });
    const props = c.rowProps ? c.rowProps(r) : {};
    const tr = h('tr', { ...props, class: [href ? 'clickable' : null, props.class].flat() }, cells);
    if (href) {
      tr.addEventListener('click', (ev) => {
        if (ev.target.closest('a, button, input, select, textarea, label')) return;
        if (window.getSelection && String(window.getSelection())) return; // selecting text, not opening
        navigate(href);
      });
    }
    return tr;
  }

  /* ---- paging ---- */
  const range = h('p', { class: 'pager-range' });
  const sizeId = `${c.id}-page-size`;
  const size = h('select', { id: sizeId, class: 'input input-compact' });
  const prev = h('button', { type: 'button', class: 'btn btn-sm' }, t('list.previous'));
  const nextBtn = h('button', { type: 'button', class: 'btn btn-sm' }, t('list.next'));
  const footer = h('nav', { class: 'pager', 'aria-label': t('list.pages', { name: c.name }) }, range,
    h('div', { class: 'pager-end' },
      h('div', { class: 'pager-size' }, h('label', { for: sizeId, class: 'label-inline' }, t('list.rows_per_page')), size),
      h('div', { class: 'pager-buttons' }, prev, nextBtn)));
  const sizes = [...new Set([...PAGE_SIZES.filter((n) => n <= c.maxLimit), state.limit])].sort((a, b) => a - b);
  size.replaceChildren(...sizes.map((n) => h('option', { value: String(n) }, String(n))));
  size.value = String(state.limit);
  size.addEventListener('change', () => { state.limit = Number(size.value); firstPage(); load(); });

  nextBtn.addEventListener('click', () => {
    if (!next) return;
    if (!trail && !state.cursor) trail = []; // an offset page can be returned to
    if (trail) trail.push({ cursor: state.cursor, offset: state.offset, start });
    start = start === null ? null : start + view.rows.length;
    state.cursor = next;
    state.offset = 0;
    next = null; // a second click before the answer changes nothing
    load();
  });
  /** Steps to the page before (the first page when the way back is unknown). */
  function back() {
    if (trail && trail.length) {
      ({ cursor: state.cursor, offset: state.offset, start } = trail.pop());
    } else if (state.offset) {
      state.offset = Math.max(0, state.offset - state.limit);
      start = state.offset;
    } else firstPage();
    return load();
  }
  prev.addEventListener('click', back);

  const hasPrev = () => Boolean(state.cursor || state.offset);
  function rangeText(n) {
    if (start === null) {
      return total === null ? t('list.shown', { count: n, n: fmt(n) }) : t('list.shown_of', { count: n, n: fmt(n), total: fmt(total) });
    }
    const span = n ? `${fmt(start + 1)}–${fmt(start + n)}` : '0';
    return total === null ? span : t('list.range_of', { range: span, total: fmt(total) });
  }

  function paintPager(n) {
    const focused = document.activeElement;
    footer.hidden = !n && !hasPrev();
    prev.disabled = !hasPrev();
    prev.textContent = hasPrev() && !state.offset && !(trail && trail.length) ? t('list.first_page') : t('list.previous');
    nextBtn.disabled = !next;
    range.textContent = rangeText(n);
    // A button that just became disabled loses focus: keep it in the pager.
    if (focused === nextBtn && nextBtn.disabled && !prev.disabled) prev.focus();
    if (focused === prev && prev.disabled && !nextBtn.disabled) nextBtn.focus();
  }

  /* ---- the address ---- */
  function urlSearch() {
    const qs = new URLSearchParams();
    if (state.q) qs.set('q', state.q);
    for (const f of c.filters) for (const p of paramsOf(f)) if (state.filters[p]) qs.set(p, state.filters[p]);
    if (state.sort !== c.sort) qs.set('sort', state.sort);
    if (state.limit !== c.limit) qs.set('limit', String(state.limit));
    if (state.cursor) qs.set('cursor', state.cursor);
    else if (state.offset) qs.set('offset', String(state.offset));
    const s = qs.toString();
    return s ? `?${s}` : '';
  }

  function writeUrl() {
    if (ctx.signal.aborted || location.pathname !== path) return;
    const search = urlSearch();
    const page = { search, trail: trail ? trail.map((t) => ({ ...t })) : null, start };
    history.replaceState({ ...(history.state || {}), list: page }, '', path + search);
    lastQuery.set(path, search);
    trails.delete(path + search);
    trails.set(path + search, page);
    if (trails.size > TRAILS_MAX) trails.delete(trails.keys().next().value);
  }

  /* ---- the query ---- */
  function filterQuery() {
    const q = {};
    if (state.q) q.q = state.q;
    for (const f of c.filters) {
      if (f.type === 'dates' && f.plain) { // a calendar date field: the days as they are
        if (state.filters[f.params[0]]) q[`${f.field}[gte]`] = state.filters[f.params[0]];
        if (state.filters[f.params[1]]) q[`${f.field}[lte]`] = state.filters[f.params[1]];
      } else if (f.type === 'dates') {
        const from = state.filters[f.params[0]] && dayStart(state.filters[f.params[0]]);
        const to = state.filters[f.params[1]] && dayStart(state.filters[f.params[1]], 1);
        if (from) q[`${f.field}[gte]`] = from;
        if (to) q[`${f.field}[lt]`] = to;
      } else for (const p of paramsOf(f)) if (state.filters[p]) q[p] = state.filters[p];
    }
    return q;
  }

  const filtered = () => Boolean(state.q) || Object.values(state.filters).some(Boolean);

  function emptyBox() {
    const texts = typeof c.empty === 'function' ? c.empty(view)
      : (c.empty && (filtered() ? c.empty.filtered : c.empty.none))
        || [filtered() ? t('list.no_match', { name: c.name.toLowerCase() }) : t('list.none', { name: c.name.toLowerCase() })];
    return emptyState(...texts);
  }

  function errorBox(err) {
    let action = null;
    if (err instanceof ApiError && err.status === 400) {
      // A cursor from an old link, or a filter the list does not take.
      if (hasPrev()) {
        action = h('button', { type: 'button', class: 'btn btn-sm' }, t('list.go_first'));
        action.addEventListener('click', () => { firstPage(); load(); });
      } else if (filtered() || state.sort !== c.sort) {
        action = h('button', { type: 'button', class: 'btn btn-sm' }, t('list.reset_all'));
        action.addEventListener('click', () => { state.sort = c.sort; reset ? reset.click() : load(); });
      }
    }
    return action ? problemBox(err, action) : problemBox(err);
  }

  async function load() {
    if (ctx.signal.aborted) return;
    writeUrl();
    if (request) request.abort();
    const controller = new AbortController();
    request = controller;
    table.setAttribute('aria-busy', 'true');
    const q = { ...c.query, ...filterQuery(), sort: state.sort, limit: state.limit };
    if (state.cursor) q.cursor = state.cursor;
    else if (state.offset) q.offset = state.offset;
    if (c.count) q.count = 'true';
    try {
      const { data } = await api('GET', c.api, { query: q, signal: controller.signal });
      const rows = Array.isArray(data && data.data) ? data.data : [];
      if (!rows.length && hasPrev()) { // the page emptied meanwhile: step back
        await back();
        return;
      }
      next = data.has_more && data.next_cursor ? data.next_cursor : null;
      total = Number.isFinite(data.total) ? data.total : null;
      view.rows = rows;
      view.data = data;
      paintHead();
      tbody.replaceChildren(...rows.map(row));
      status.replaceChildren();
      if (rows.length) empty.replaceChildren(); else empty.replaceChildren(emptyBox());
      empty.hidden = rows.length > 0;
      paintPager(rows.length);
      live.textContent = rows.length ? `${c.name}: ${rangeText(rows.length)}` : `${c.name}: ${t('list.none_short')}`;
      if (c.onData) c.onData(data, view);
    } catch (err) {
      if (isAbort(err) || controller.signal.aborted) return;
      view.rows = [];
      tbody.replaceChildren();
      empty.hidden = true;
      footer.hidden = true;
      status.replaceChildren(errorBox(err));
    } finally {
      if (request === controller) {
        request = null;
        table.removeAttribute('aria-busy');
      }
    }
  }

  /** The text of a cell as the table shows it. */
  /** The whole selection as a file the server writes (format csv or xlsx). */
  async function exportAs(format, btn) {
    for (const b of exportBtns) b.disabled = true;
    status.replaceChildren();
    try {
      const q = { ...c.query, ...filterQuery(), sort: state.sort, format };
      const { data, headers } = await api('GET', c.api, { query: q, signal: ctx.signal, blob: true });
      const name = /filename\*=UTF-8''([^;]+)/.exec(headers.get('Content-Disposition') || '');
      downloadBlob(name ? decodeURIComponent(name[1]) : `export.${format}`, data);
      const n = Number(headers.get('X-Export-Rows')) || 0;
      live.textContent = t('list.exported', { count: n, n: fmt(n) });
    } catch (err) {
      if (!isAbort(err)) status.replaceChildren(problemBox(err));
    } finally {
      for (const b of exportBtns) b.disabled = false;
      btn.focus();
    }
  }
  for (const b of exportBtns) b.addEventListener('click', () => exportAs(b.dataset.format, b));

  ctx.signal.addEventListener('abort', () => {
    onSearch.cancel();
    if (request) request.abort();
  });

  paintHead();
  footer.hidden = true;
  Object.assign(view, {
    root: h('div', { class: 'card list-view' }, form, status, h('div', { class: 'table-wrap' }, table), empty, footer, live),
    table,
    state,
    load,
    filterQuery,
    filtered,
    /** The filters, search and sort (not the page): what a selection belongs to. */
    key: () => JSON.stringify([state.q, state.sort, Object.entries(state.filters).sort()]),
    /** Sets filters ({param: value}, '' removes) and shows their first page. */
    set(values) {
      onSearch.cancel();
      readControls(); // what was typed and not applied yet
      for (const [k, v] of Object.entries(values)) {
        if (v) state.filters[k] = String(v); else delete state.filters[k];
      }
      writeControls();
      firstPage();
      return load();
    },
    /** Replaces a select filter's options (they came with the answer). */
    setOptions(param, options) {
      const f = c.filters.find((x) => x.param === param);
      f.options = options;
      fillSelect(controls.get(param), f);
    },
    showError(err) { status.replaceChildren(problemBox(err)); },
  });
  return view;
}
