// Team passwords (/admin/team_password; the spec's "Team Password
// Manager"): the shared credentials the member may see, by category, with
// search (src/admin/vault_entry.c; docs/internals/vault.md). The list never
// holds a secret: an entry's page reveals it (vault_entry.js), after the
// password is asked again. The navigation row shows to those whose role
// opens the vault (team_password view); what each sees inside is the
// entries granted to their role, departments, teams or themselves.
import { h, pageTitle, timeEl } from '../dom.js';
import { can, me } from '../session.js';
import { listView } from '../listview.js';
import { loadStaff } from '../ui.js';
import { t } from '../i18n.js';
import { entryPage, editPage, newPage } from './vault_entry.js';
import { categoriesPage } from './vault_categories.js';
import { BASE, levelBadge, loadCategories, mayManageCategories } from './vault_common.js';

async function listPage(ctx, root) {
  ctx.setTitle(t('nav.team_password'));
  const [categories, staff] = await Promise.all([loadCategories(ctx.signal), me().admin ? loadStaff(ctx.signal) : []]);
  if (ctx.signal.aborted) return;
  const add = can('team_password', 'create') ? h('a', { href: `${BASE}/new`, class: 'btn btn-primary' }, t('vault.add')) : null;
  const cats = mayManageCategories() ? h('a', { href: `${BASE}/categories`, class: 'btn' }, t('vault.categories')) : null;
  const filters = [{
    param: 'category_id', id: 'vault-category', label: t('vault.category'),
    options: () => categories.map((c) => [String(c.id), c.name]), unknown: (v) => `#${v}`,
  }];
  // Offboarding: what a member could reach, for administrators.
  if (me().admin) {
    filters.push({ param: 'shared_with', id: 'vault-shared', label: t('vault.reachable_by'),
      options: () => staff.map((s) => [String(s.id), s.name || s.email]), unknown: (v) => `#${v}` });
  }
  const view = listView(ctx, {
    api: '/api/v1/vault/entries',
    name: t('nav.team_password'),
    caption: t('vault.caption'),
    id: 'vault',
    sort: 'name',
    sortText: t('vault.by_name'),
    limit: 50,
    search: { label: t('vault.search'), placeholder: t('vault.search_placeholder') },
    filterLabel: t('vault.filter'),
    filters,
    columns: [
      { label: t('field.name'), sort: 'name', cell: (e) => e.name },
      { label: t('vault.category'), cell: (e) => e.category_name || h('span', { class: 'muted' }, t('vault.no_category')) },
      { label: t('vault.username'), cell: (e) => (e.username ? h('span', { class: 'truncate', title: e.username }, e.username) : h('span', { class: 'muted' }, '—')) },
      { label: t('vault.website'), cell: (e) => (e.url ? h('span', { class: 'mono truncate', title: e.url }, e.url) : h('span', { class: 'muted' }, '—')) },
      { label: t('vault.your_access'), cell: (e) => levelBadge(e.level) },
      { label: t('field.updated_at'), sort: 'updated_at', desc: true, class: 'when', cell: (e) => timeEl(e.updated_at) },
    ],
    rowHref: (e) => `${BASE}/${e.id}`,
    rowProps: (e) => ({ dataset: { entry: e.id } }),
    empty: {
      none: [t('vault.none'), add ? t('vault.none_detail') : t('vault.none_granted')],
      filtered: [t('vault.no_match'), t('list.try_another')],
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.team_password')), h('div', { class: 'header-actions' }, cats, add)),
    h('p', { class: 'muted page-lead' }, t('vault.lead')),
    view.root);
  await view.load();
}

export const routes = [
  [BASE, listPage],
  [`${BASE}/new`, newPage],
  [`${BASE}/categories`, categoriesPage],
  [`${BASE}/:id/edit`, editPage],
  [`${BASE}/:id`, entryPage],
];
export const nav = [
  { path: BASE, key: 'nav.team_password', label: 'Team passwords', module: 'team_password', group: 'Organisation', order: 50,
    icon: ['M7 11V7a5 5 0 0 1 10 0v4', 'M5 11h14v10H5z', 'M12 15v2'] },
];
