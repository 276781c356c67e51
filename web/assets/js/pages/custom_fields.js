// Custom fields (/admin/custom_fields): an organisation's own fields on any
// entity (src/admin/custom_field.c). This file holds the list of
// definitions (on the list component, listview.js), the routes and the
// navigation row; the new/edit form is custom_field_form.js and the safe
// changes (preview, fill dialog, delete confirmation) custom_field_changes.js.
import { h, pageTitle } from '../dom.js';
import { isAbort } from '../api.js';
import { can } from '../session.js';
import { listView } from '../listview.js';
import { BASE, editPage, entityOptions, entityText, loadTypes, newPage, widthText } from './custom_field_form.js';

const yes = (v) => (v ? h('span', { class: 'badge badge-mail-sent' }, 'Yes') : h('span', { class: 'muted' }, 'No'));

async function listPage(ctx, root) {
  ctx.setTitle('Custom fields');
  let types = [];
  try {
    types = await loadTypes(ctx.signal);
  } catch (err) {
    if (isAbort(err)) return;
    // The list still works; the type filter offers the names it finds.
  }
  const typeText = (t) => (types.find((x) => x.type === t) || { label: t }).label;
  const add = can('custom_fields', 'create') ? h('a', { href: `${BASE}/new`, class: 'btn btn-primary' }, 'New field') : null;
  const view = listView(ctx, {
    api: '/api/v1/custom_fields',
    name: 'Custom fields',
    id: 'cf',
    sort: 'entity,position',
    sortText: 'by entity, in form order',
    limit: 50,
    search: { label: 'Search custom fields', placeholder: 'Label, slug or help text…' },
    filterLabel: 'Filter custom fields',
    filters: [
      { param: 'entity', id: 'cf-entity', label: 'Entity', options: entityOptions },
      { param: 'type', id: 'cf-type', label: 'Type', options: () => types.map((t) => [t.type, t.label]) },
      { param: 'active', id: 'cf-active', label: 'State', options: [['true', 'Active'], ['false', 'Inactive']] },
    ],
    columns: [
      { label: 'Label', sort: 'label', cell: (d) => d.label },
      { label: 'Slug', sort: 'slug', cell: (d) => h('code', null, d.slug) },
      { label: 'Entity', sort: 'entity', cell: (d) => entityText(d.entity) },
      { label: 'Type', sort: 'type', cell: (d) => typeText(d.type) },
      { label: 'Required', cell: (d) => yes(d.required) },
      { label: 'Active', cell: (d) => (d.active ? yes(true) : h('span', { class: 'badge badge-off' }, 'Inactive')) },
      { label: 'Only admins', cell: (d) => (d.only_admin ? h('span', { class: 'badge badge-admin' }, 'Only admins') : yes(false)) },
      { label: 'Width', cell: (d) => widthText(d.bs_column) },
    ],
    rowHref: (d) => `${BASE}/${d.id}`,
    rowProps: (d) => ({ dataset: { field: d.slug } }),
    empty: {
      none: ['No custom fields yet.', add ? 'Add the fields your company needs with “New field”.' : null],
      filtered: ['No custom fields match.', 'Try another search or reset the filters.'],
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Custom fields'), add),
    h('p', { class: 'muted page-lead' },
      'Your own fields on leads, clients and the other records. Prefer a select over free text when the values form '
      + 'a list: it filters and reports cleanly. A field\'s slug never changes; deactivate a field rather than delete it.'),
    view.root);
  await view.load();
}

export const routes = [
  [BASE, listPage],
  [`${BASE}/new`, newPage],
  [`${BASE}/:id`, editPage],
];
export const nav = [
  { path: BASE, key: 'nav.custom_fields', label: 'Custom fields', module: 'custom_fields', group: 'Administration', order: 15,
    icon: ['M4 6h16', 'M4 12h10', 'M4 18h7', 'M17 15v6', 'M14 18h6'] },
];
