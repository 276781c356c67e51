// Finance configuration (spec, Step 3): taxes (/admin/taxes) and payment
// modes (/admin/paymentmodes), each a list (listview.js) with filters, a
// form with the server's field errors, deactivation by the Active box and
// deletion with a confirmation; src/admin/tax.c and payment_mode.c. The
// currencies and their rates are finance_currencies.js, which builds its
// form with simpleForm below.
import { h, pageTitle } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { can } from '../session.js';
import { listView } from '../listview.js';
import { navigate } from '../router.js';
import { t } from '../i18n.js';
import { confirmDialog, problemBox, toast } from '../ui.js';
import { clearErrors, control, showFieldErrors, staleNotice } from '../forms.js';
import { trackForm } from '../dirty.js';

export const yesNo = (v) => (v ? h('span', { class: 'badge badge-mail-sent' }, t('common.yes')) : h('span', { class: 'muted' }, t('common.no')));
export const activeBadge = (v) => (v ? yesNo(true) : h('span', { class: 'badge badge-off' }, t('fin.inactive')));

/**
 * A record's form: fields [{name, type, label, hint, required, max,
 * options, wide, create (only on create)}], the record (null: new).
 * Returns {form, fields, messages, read(), save} with save the submit
 * button; read() gives the body (on create, empty values are left out).
 */
export function simpleForm({ testid, label, fields: specs, record, editable = true, saveLabel }) {
  const fields = {};
  for (const s of specs) {
    if (s.create && record) continue;
    const c = control({ ...s, wide: s.wide });
    if (record) c.set(record[s.name]);
    else if (s.def !== undefined) c.set(s.def);
    fields[s.name] = c;
  }
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, saveLabel || t('common.save'));
  const form = h('form', { novalidate: true, class: 'form card', 'data-testid': testid, 'aria-label': label },
    messages, h('div', { class: 'form-grid' }, Object.values(fields).map((f) => f.wrap)),
    editable ? h('div', { class: 'form-actions' }, save) : null);
  if (!editable) for (const el of form.elements) el.disabled = true;
  const read = () => {
    const body = {};
    for (const [k, c] of Object.entries(fields)) {
      const v = c.get();
      if (v === null && !record) continue;
      body[k] = v;
    }
    return body;
  };
  return { form, fields, messages, read, save };
}

/**
 * A configuration screen: list, new and edit pages for one record kind at
 * base. make() (called on first use, once the catalogue is loaded) gives
 * {api, module, key (i18n prefix), stale, fields, columns, filters, sort,
 * title(record), badges(record), after(ctx, record, reload)}.
 */
export function screen(base, make) {
  let made = null;
  const conf = () => (made ??= { base, ...make() });
  const k = (s, p) => t(`${conf().key}.${s}`, p);

  async function listPage(ctx, root) {
    const cfg = conf();
    ctx.setTitle(k('title'));
    const add = can(cfg.module, 'create') ? h('a', { href: `${cfg.base}/new`, class: 'btn btn-primary' }, k('new')) : null;
    const view = listView(ctx, {
      api: cfg.api,
      name: k('title'),
      id: cfg.key,
      sort: cfg.sort || 'name',
      sortText: t('fin.by_name'),
      limit: 50,
      search: { label: t('fin.search'), placeholder: k('search_placeholder') },
      filterLabel: t('fin.filter'),
      filters: cfg.filters,
      columns: cfg.columns,
      rowHref: (d) => `${cfg.base}/${d.id}`,
      rowProps: (d) => ({ dataset: { record: d.id } }),
      empty: {
        none: [k('none'), add ? k('none_hint') : null],
        filtered: [t('fin.no_match'), t('list.try_another')],
      },
    });
    root.replaceChildren(
      h('div', { class: 'page-header' }, pageTitle(k('title')), add),
      h('p', { class: 'muted page-lead' }, k('lead')),
      view.root);
    await view.load();
  }

  async function newPage(ctx, root) {
    const cfg = conf();
    ctx.setTitle(k('new'));
    const f = simpleForm({ testid: `${cfg.key}-form`, label: k('new'), fields: cfg.fields, record: null, saveLabel: t('fin.create') });
    const tracker = trackForm(f.form);
    f.form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(f.fields, f.messages);
      f.save.disabled = true;
      try {
        const { data } = await api('POST', cfg.api, { body: f.read() });
        toast(k('saved', { name: cfg.title(data) }));
        tracker.markClean();
        navigate(`${cfg.base}/${data.id}`);
      } catch (err) {
        if (!isAbort(err)) showFieldErrors(err, f.fields, f.messages);
      } finally {
        f.save.disabled = false;
      }
    });
    root.replaceChildren(
      h('div', { class: 'page-header' }, pageTitle(k('new'))),
      h('p', null, h('a', { href: cfg.base }, `← ${k('all')}`)),
      f.form);
    Object.values(f.fields)[0].focus();
  }

  async function editPage(ctx, root) {
    const cfg = conf();
    const id = ctx.params.id;
    ctx.setTitle(k('one'));
    const load = async () => {
      let rec;
      try {
        ({ data: rec } = await api('GET', `${cfg.api}/${id}`, { signal: ctx.signal }));
      } catch (err) {
        if (!isAbort(err)) root.replaceChildren(problemBox(err, h('a', { href: cfg.base, class: 'btn' }, k('all'))));
        return;
      }
      ctx.setTitle(cfg.title(rec));
      const editable = can(cfg.module, 'edit');
      const f = simpleForm({ testid: `${cfg.key}-form`, label: cfg.title(rec), fields: cfg.fields, record: rec, editable });
      f.form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearErrors(f.fields, f.messages);
        f.save.disabled = true;
        try {
          await api('PATCH', `${cfg.api}/${id}`, { body: f.read(), ifMatch: `"${rec.version}"` });
          toast(k('saved', { name: f.fields.name ? f.fields.name.get() : cfg.title(rec) }));
          await load();
        } catch (err) {
          if (isAbort(err)) return;
          if (err instanceof ApiError && err.status === 412) staleNotice(f.messages, cfg.stale, () => load());
          else showFieldErrors(err, f.fields, f.messages);
        } finally {
          f.save.disabled = false;
        }
      });
      const del = can(cfg.module, 'delete') ? h('button', { type: 'button', class: 'btn btn-danger' }, t('common.delete')) : null;
      const top = h('div');
      del?.addEventListener('click', async () => {
        if (!await confirmDialog({ title: k('delete_q', { name: cfg.title(rec) }), danger: true,
          confirmLabel: t('common.delete'), message: k('delete_message') })) return;
        try {
          await api('DELETE', `${cfg.api}/${id}`);
          toast(k('deleted', { name: cfg.title(rec) }));
          navigate(cfg.base);
        } catch (err) { top.replaceChildren(problemBox(err)); }
      });
      root.replaceChildren(
        h('div', { class: 'page-header' }, pageTitle(cfg.title(rec)), cfg.badges ? cfg.badges(rec) : null, del),
        h('p', null, h('a', { href: cfg.base }, `← ${k('all')}`)),
        top,
        f.form,
        cfg.after ? cfg.after(ctx, rec, () => load()) : null);
      if (editable) trackForm(f.form);
      if (cfg.afterLoad) await cfg.afterLoad(ctx, rec);
    };
    await load();
  }

  return [[base, listPage], [`${base}/new`, newPage], [`${base}/:id`, editPage]];
}

const activeFilter = (id) => ({ param: 'active', id, label: t('fin.state'),
  options: [['true', t('fin.active')], ['false', t('fin.inactive')]] });

const taxes = screen('/admin/taxes', () => ({
  api: '/api/v1/taxes',
  module: 'taxes',
  key: 'tax',
  stale: 'tax',
  title: (d) => d.name,
  fields: [
    { name: 'name', label: t('fin.name'), required: true, max: 100 },
    { name: 'rate', label: t('tax.rate'), required: true, hint: t('tax.rate_hint'), placeholder: '21' },
    { name: 'reverse_charge', type: 'checkbox', label: t('tax.reverse_charge'), hint: t('tax.reverse_charge_hint') },
    { name: 'legal_note', type: 'textarea', label: t('tax.legal_note'), hint: t('tax.legal_note_hint'), max: 1000, wide: true },
    { name: 'active', type: 'checkbox', label: t('fin.active'), hint: t('tax.active_hint'), def: true },
  ],
  filters: [
    activeFilter('tax-active'),
    { param: 'reverse_charge', id: 'tax-rc', label: t('tax.reverse_charge'), options: [['true', t('common.yes')], ['false', t('common.no')]] },
  ],
  columns: [
    { label: t('fin.name'), sort: 'name', cell: (d) => d.name },
    { label: t('tax.rate'), sort: 'rate', headClass: 'num', class: 'num', cell: (d) => `${d.rate.replace(/\.?0+$/, '')} %` },
    { label: t('tax.reverse_charge'), cell: (d) => yesNo(d.reverse_charge) },
    { label: t('fin.active'), cell: (d) => activeBadge(d.active) },
  ],
}));

const paymentModes = screen('/admin/paymentmodes', () => ({
  api: '/api/v1/payment_modes',
  module: 'payment_modes',
  key: 'pm',
  stale: 'payment_mode',
  title: (d) => d.name,
  fields: [
    { name: 'name', label: t('fin.name'), required: true, max: 100 },
    { name: 'kind', type: 'select', label: t('pm.kind'), options: [['offline', t('pm.offline')], ['online', t('pm.online')]], def: 'offline' },
    { name: 'description', type: 'textarea', label: t('pm.description'), hint: t('pm.description_hint'), max: 1000, wide: true },
    { name: 'show_on_documents', type: 'checkbox', label: t('pm.show_on_documents'), hint: t('pm.show_on_documents_hint'), def: true },
    { name: 'is_default', type: 'checkbox', label: t('pm.is_default'), hint: t('pm.is_default_hint') },
    { name: 'active', type: 'checkbox', label: t('fin.active'), def: true },
  ],
  filters: [
    { param: 'kind', id: 'pm-kind', label: t('pm.kind'), options: [['online', t('pm.online')], ['offline', t('pm.offline')]] },
    activeFilter('pm-active'),
  ],
  columns: [
    { label: t('fin.name'), sort: 'name', cell: (d) => d.name },
    { label: t('pm.kind'), sort: 'kind', cell: (d) => t(`pm.${d.kind}`) },
    { label: t('pm.show_on_documents'), cell: (d) => yesNo(d.show_on_documents) },
    { label: t('pm.is_default'), cell: (d) => (d.is_default ? h('span', { class: 'badge badge-admin' }, t('pm.default')) : '') },
    { label: t('fin.active'), cell: (d) => activeBadge(d.active) },
  ],
}));

export const routes = [...taxes, ...paymentModes];
export const nav = [
  { path: '/admin/taxes', key: 'nav.taxes', label: 'Taxes', module: 'taxes', group: 'Administration', order: 20,
    icon: ['M19 5L5 19', 'M7 7h.01', 'M17 17h.01'] },
  { path: '/admin/currencies', key: 'nav.currencies', label: 'Currencies', module: 'currencies', group: 'Administration', order: 21,
    icon: ['M12 3v18', 'M17 7H9.5a3.5 3.5 0 0 0 0 7h5a3.5 3.5 0 0 1 0 7H6'] },
  { path: '/admin/paymentmodes', key: 'nav.payment_modes', label: 'Payment modes', module: 'payment_modes', group: 'Administration', order: 22,
    icon: ['M3 6h18v12H3z', 'M3 10h18', 'M7 15h3'] },
];
