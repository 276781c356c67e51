// Custom fields (/admin/custom_fields): an organisation's own fields on any
// entity (src/admin/custom_field.c). This file holds the list of
// definitions (on the list component, listview.js), the routes and the
// navigation row; the new/edit form is custom_field_form.js and the safe
// changes (preview, fill dialog, delete confirmation) custom_field_changes.js.
import { h, pageTitle } from '../dom.js';
import { isAbort } from '../api.js';
import { can } from '../session.js';
import { listView } from '../listview.js';
import { t } from '../i18n.js';
import { BASE, editPage, entityOptions, entityText, loadTypes, newPage, widthText } from './custom_field_form.js';

const yes = (v) => (v ? h('span', { class: 'badge badge-mail-sent' }, t('common.yes')) : h('span', { class: 'muted' }, t('common.no')));

async function listPage(ctx, root) {
  ctx.setTitle(t('cf.title'));
  let types = [];
  try {
    types = await loadTypes(ctx.signal);
  } catch (err) {
    if (isAbort(err)) return;
    // The list still works; the type filter offers the names it finds.
  }
  const typeText = (ty) => (types.find((x) => x.type === ty) || { label: ty }).label;
  const add = can('custom_fields', 'create') ? h('a', { href: `${BASE}/new`, class: 'btn btn-primary' }, t('cf.new')) : null;
  const view = listView(ctx, {
    api: '/api/v1/custom_fields',
    name: t('cf.title'),
    id: 'cf',
    sort: 'entity,position',
    sortText: t('cf.sort_text'),
    limit: 50,
    search: { label: t('cf.search'), placeholder: t('cf.search_placeholder') },
    filterLabel: t('cf.filter'),
    filters: [
      { param: 'entity', id: 'cf-entity', label: t('cf.entity'), options: entityOptions },
      { param: 'type', id: 'cf-type', label: t('cf.type'), options: () => types.map((x) => [x.type, x.label]) },
      { param: 'active', id: 'cf-active', label: t('cf.state'), options: [['true', t('cf.active')], ['false', t('cf.inactive')]] },
    ],
    columns: [
      { label: t('cf.label'), sort: 'label', cell: (d) => d.label },
      { label: t('cf.slug'), sort: 'slug', cell: (d) => h('code', null, d.slug) },
      { label: t('cf.entity'), sort: 'entity', cell: (d) => entityText(d.entity) },
      { label: t('cf.type'), sort: 'type', cell: (d) => typeText(d.type) },
      { label: t('cf.required'), cell: (d) => yes(d.required) },
      { label: t('cf.active'), cell: (d) => (d.active ? yes(true) : h('span', { class: 'badge badge-off' }, t('cf.inactive'))) },
      { label: t('cf.only_admins'), cell: (d) => (d.only_admin ? h('span', { class: 'badge badge-admin' }, t('cf.only_admins')) : yes(false)) },
      { label: t('cf.width'), cell: (d) => widthText(d.bs_column) },
    ],
    rowHref: (d) => `${BASE}/${d.id}`,
    rowProps: (d) => ({ dataset: { field: d.slug } }),
    empty: {
      none: [t('cf.none'), add ? t('cf.none_hint') : null],
      filtered: [t('cf.no_match'), t('list.try_another')],
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('cf.title')), add),
    h('p', { class: 'muted page-lead' }, t('cf.lead')),
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
