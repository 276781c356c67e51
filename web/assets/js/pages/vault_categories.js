// The categories of the team password vault (/admin/team_password/categories),
// for those who manage them (the matrix row team_password_categories;
// administrators): name, description and the default access a new entry
// of the category starts with (it never changes an existing entry). A
// category that still holds entries is not deleted: the server says how
// many, and their managers move them first.
import { h, pageTitle } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { can } from '../session.js';
import { listView } from '../listview.js';
import { trackForm } from '../dirty.js';
import { alertBox, confirmDialog, modal, problemBox, toast } from '../ui.js';
import { clearErrors, control, showFieldErrors, staleNotice } from '../forms.js';
import { t } from '../i18n.js';
import { accessEditor, accessSummary, loadSubjects } from './vault_access.js';
import { BASE, mayManageCategories } from './vault_common.js';

/** The add or edit dialog; resolves true once saved. */
async function categoryDialog(category, subjects, returnFocus) {
  const title = category ? t('vault.edit_category', { name: category.name }) : t('vault.add_category');
  const dlg = modal({ title, wide: true, returnFocus });
  const fields = {
    name: control({ name: 'name', label: t('field.name'), required: true, max: 100 }),
    description: control({ name: 'description', label: t('vault.description'), type: 'textarea', max: 1000, wide: true }),
    default_access: accessEditor({ label: t('vault.default_access'), subjects, value: category ? category.default_access : [],
      hint: t('vault.default_access_hint') }),
  };
  if (category) {
    fields.name.set(category.name);
    fields.description.set(category.description);
  }
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, category ? t('common.save') : t('vault.add_category'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  cancel.addEventListener('click', () => dlg.close(false));
  const form = h('form', { novalidate: true, 'data-testid': 'vault-category-form' }, messages,
    h('div', { class: 'form-grid' }, fields.name.wrap, fields.description.wrap, fields.default_access.root),
    h('div', { class: 'dialog-actions' }, cancel, save));
  dlg.body.replaceChildren(form);
  const tracker = trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(fields, messages);
    save.disabled = true;
    const body = { name: fields.name.get() ?? '', description: fields.description.get(), default_access: fields.default_access.get() };
    try {
      if (category) await api('PATCH', `/api/v1/vault/categories/${category.id}`, { body, ifMatch: `"${category.version}"` });
      else await api('POST', '/api/v1/vault/categories', { body });
      tracker.markClean();
      toast(t('vault.category_saved', { name: body.name }));
      dlg.close(true);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'team_password_category', () => dlg.close(true));
      else showFieldErrors(err, fields, messages);
    } finally {
      save.disabled = false;
    }
  });
  fields.name.focus();
  return Boolean(await dlg.result);
}

export async function categoriesPage(ctx, root) {
  ctx.setTitle(t('vault.categories'));
  if (!mayManageCategories()) {
    root.replaceChildren(pageTitle(t('vault.categories')), alertBox('info', t('vault.categories_not_yours'), t('vault.categories_not_yours_detail')));
    return;
  }
  const subjects = await loadSubjects(ctx.signal);
  if (ctx.signal.aborted) return;
  const messages = h('div', { class: 'form-messages page-messages', tabindex: '-1' });
  const add = can('team_password_categories', 'create') ? h('button', { type: 'button', class: 'btn btn-primary' }, t('vault.add_category')) : null;
  const actions = (c) => {
    const edit = can('team_password_categories', 'edit')
      ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('vault.edit_category', { name: c.name }) }, t('common.edit')) : null;
    const del = can('team_password_categories', 'delete')
      ? h('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': t('vault.delete_category', { name: c.name }) }, t('common.delete')) : null;
    edit?.addEventListener('click', async () => { if (await categoryDialog(c, subjects, edit)) await view.load(); });
    del?.addEventListener('click', async () => {
      if (!await confirmDialog({ title: t('vault.delete_category_q', { name: c.name }), danger: true,
        confirmLabel: t('common.delete'), message: t('vault.delete_category_message') })) { del.focus(); return; }
      try {
        await api('DELETE', `/api/v1/vault/categories/${c.id}`, { ifMatch: `"${c.version}"` });
        toast(t('vault.category_deleted', { name: c.name }));
        await view.load();
      } catch (err) { messages.replaceChildren(problemBox(err)); messages.focus(); }
    });
    return [edit, ' ', del];
  };
  const view = listView(ctx, {
    api: '/api/v1/vault/categories',
    name: t('vault.categories'),
    id: 'vault-cats',
    sort: 'name',
    sortText: t('vault.by_name'),
    limit: 100,
    search: { label: t('vault.search_categories'), placeholder: t('vault.search_categories_placeholder') },
    filterLabel: t('vault.filter'),
    filters: [],
    columns: [
      { label: t('field.name'), sort: 'name', cell: (c) => c.name },
      { label: t('vault.description'), cell: (c) => (c.description ? h('span', { class: 'truncate', title: c.description }, c.description) : h('span', { class: 'muted' }, '—')) },
      { label: t('vault.default_access'), cell: (c) => accessSummary(subjects, c.default_access) },
      { label: t('vault.entries_col'), headClass: 'num', class: 'num', cell: (c) => String(c.entries) },
      { label: '', hiddenLabel: t('common.actions'), cell: actions },
    ],
    rowProps: (c) => ({ dataset: { category: c.id } }),
    empty: { none: [t('vault.no_categories'), add ? t('vault.no_categories_detail') : null], filtered: [t('vault.no_match'), t('list.try_another')] },
  });
  add?.addEventListener('click', async () => { if (await categoryDialog(null, subjects, add)) await view.load(); });
  root.replaceChildren(h('p', null, h('a', { href: BASE }, `← ${t('vault.all')}`)),
    h('div', { class: 'page-header' }, pageTitle(t('vault.categories')), add),
    h('p', { class: 'muted page-lead' }, t('vault.categories_lead')),
    messages, view.root);
  await view.load();
}
