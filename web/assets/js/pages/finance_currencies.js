// Currencies (/admin/currencies; src/admin/currency.c, currency_rate.c):
// the list and form of finance.js's screen, and on a currency's page its
// exchange-rate history (the list component), a form to enter a rate on a
// date, deleting a mistaken rate, and "Make base currency" (the
// organisation's default_currency setting, so it needs settings.edit).
import { h } from '../dom.js';
import { api, isAbort } from '../api.js';
import { can } from '../session.js';
import { listView } from '../listview.js';
import { t } from '../i18n.js';
import { alertBox, confirmDialog, problemBox, toast } from '../ui.js';
import { clearErrors, control, showFieldErrors } from '../forms.js';
import { activeBadge, screen, yesNo } from './finance.js';

const BASE = '/admin/currencies';
let rates = null; // the rate history of the page shown, loaded after it is drawn

/** The rates section of currency c: history, add form, base action. */
function ratesSection(ctx, c, reload) {
  const top = h('div');
  const makeBase = can('settings', 'edit') && !c.base && c.active
    ? h('button', { type: 'button', class: 'btn', 'data-testid': 'make-base' }, t('cur.make_base')) : null;
  makeBase?.addEventListener('click', async () => {
    if (!await confirmDialog({ title: t('cur.make_base_q', { code: c.code }), message: t('cur.make_base_message'),
      confirmLabel: t('cur.make_base') })) return;
    try {
      await api('POST', `/api/v1/currencies/${c.id}/base`, { body: {} });
      toast(t('cur.base_now', { code: c.code }));
      await reload();
    } catch (err) { if (!isAbort(err)) top.replaceChildren(problemBox(err)); }
  });
  const del = (d) => {
    if (!can('currencies', 'edit')) return '';
    const b = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('cur.delete_rate_of', { date: d.valid_on }) }, t('common.delete'));
    b.addEventListener('click', async () => {
      if (!await confirmDialog({ title: t('cur.delete_rate_q', { date: d.valid_on }), danger: true,
        confirmLabel: t('common.delete'), message: t('cur.delete_rate_message') })) return;
      try {
        await api('DELETE', `/api/v1/currency_rates/${d.id}`);
        toast(t('cur.rate_deleted'));
        await rates.load();
      } catch (err) { if (!isAbort(err)) rates.showError(err); }
    });
    return b;
  };
  rates = listView(ctx, {
    api: `/api/v1/currencies/${c.id}/rates`,
    name: t('cur.rates'),
    id: 'rates',
    sort: '-valid_on',
    sortText: t('cur.newest_first'),
    limit: 25,
    search: null,
    filterLabel: t('cur.filter_rates'),
    filters: [{ type: 'dates', field: 'valid_on', params: ['from', 'to'], labels: [t('activity.from'), t('activity.to')] }],
    columns: [
      { label: t('cur.valid_on'), sort: 'valid_on', desc: true, cell: (d) => d.valid_on },
      { label: t('cur.rate'), headClass: 'num', class: 'num mono', cell: (d) => `1 ${d.code} = ${d.rate} ${d.base_code}` },
      { label: t('cur.current'), cell: (d) => yesNo(d.current) },
      { label: '', hiddenLabel: t('common.actions'), cell: del },
    ],
    rowProps: (d) => ({ dataset: { rate: d.id } }),
    empty: { none: [t('cur.no_rates'), c.base ? t('cur.base_no_rates') : t('cur.no_rates_hint')], filtered: [t('cur.no_rates'), t('list.try_another')] },
  });
  let add = null;
  if (can('currencies', 'edit') && !c.base) {
    const fields = {
      valid_on: control({ name: 'valid_on', type: 'date', label: t('cur.valid_on'), required: true }),
      rate: control({ name: 'rate', label: t('cur.rate_to_base'), required: true, hint: t('cur.rate_hint', { code: c.code }), placeholder: '4.9753' }),
    };
    const messages = h('div', { class: 'form-messages', tabindex: '-1' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('cur.add_rate'));
    add = h('form', { novalidate: true, class: 'form card', 'data-testid': 'rate-form', 'aria-label': t('cur.add_rate') },
      messages, h('div', { class: 'form-grid' }, fields.valid_on.wrap, fields.rate.wrap), h('div', { class: 'form-actions' }, save));
    add.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(fields, messages);
      save.disabled = true;
      try {
        await api('POST', `/api/v1/currencies/${c.id}/rates`, { body: { valid_on: fields.valid_on.get(), rate: fields.rate.get() } });
        toast(t('cur.rate_added'));
        fields.rate.set('');
        await rates.load();
      } catch (err) {
        if (!isAbort(err)) showFieldErrors(err, fields, messages);
      } finally {
        save.disabled = false;
      }
    });
  }
  return h('section', { class: 'section', 'aria-labelledby': 'rates-title' },
    top,
    c.base ? alertBox('info', t('cur.is_base', { code: c.code }), t('cur.is_base_detail')) : null,
    makeBase ? h('div', { class: 'page-header' }, makeBase) : null,
    h('h2', { id: 'rates-title', class: 'section-title' }, t('cur.rates')),
    add,
    rates.root);
}

export const routes = screen(BASE, () => ({
  api: '/api/v1/currencies',
  module: 'currencies',
  key: 'cur',
  stale: 'currency',
  sort: 'code',
  title: (d) => `${d.code} — ${d.name}`,
  badges: (d) => (d.base ? h('span', { class: 'badge badge-admin', 'data-testid': 'base-badge' }, t('cur.base')) : null),
  fields: [
    { name: 'code', label: t('cur.code'), required: true, create: true, hint: t('cur.code_hint'), placeholder: 'EUR' },
    { name: 'symbol', label: t('cur.symbol'), max: 8, hint: t('cur.symbol_hint') },
    { name: 'symbol_position', type: 'select', label: t('cur.symbol_position'),
      options: [['before', t('cur.before')], ['after', t('cur.after')]], def: 'before' },
    { name: 'decimals', type: 'number', label: t('cur.decimals'), min: 0, maxValue: 4, hint: t('cur.decimals_hint') },
    { name: 'active', type: 'checkbox', label: t('fin.active'), def: true },
  ],
  filters: [
    { param: 'active', id: 'cur-active', label: t('fin.state'), options: [['true', t('fin.active')], ['false', t('fin.inactive')]] },
    { param: 'base', id: 'cur-base', label: t('cur.base'), options: [['true', t('cur.base')], ['false', t('cur.not_base')]] },
  ],
  columns: [
    { label: t('cur.code'), sort: 'code', cell: (d) => d.code },
    { label: t('fin.name'), cell: (d) => d.name },
    { label: t('cur.symbol'), cell: (d) => d.symbol },
    { label: t('cur.decimals'), headClass: 'num', class: 'num', cell: (d) => String(d.decimals) },
    { label: t('cur.base'), cell: (d) => (d.base ? h('span', { class: 'badge badge-admin' }, t('cur.base')) : '') },
    { label: t('fin.active'), cell: (d) => activeBadge(d.active) },
  ],
  after: (ctx, c, reload) => ratesSection(ctx, c, reload),
  afterLoad: async () => { await rates?.load(); },
}));
export const nav = [];
