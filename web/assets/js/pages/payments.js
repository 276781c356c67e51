// Payments (/admin/payments; src/finance/payment.c): the list of payments
// and refunds (filters: invoice, kind, date range, payment mode; search by
// transaction id), each linking to its invoice, with the amount in the
// invoice's currency; and a payment's page (its facts, Correct and Delete
// for who may, its History). Payments are recorded from the invoice's page.
import { h, icon, pageTitle } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { navigate } from '../router.js';
import { entityByKey, entityText } from '../entities.js';
import { t } from '../i18n.js';
import { can, canView } from '../session.js';
import { confirmDialog, loadStaff, problemBox, staffName, toast } from '../ui.js';
import { formatAmountText, formatPlainDate } from '../format.js';
import { listView, lastListQuery } from '../listview.js';
import { historySection } from './activity.js';
import { automationRunsSection } from './automation_runs.js';
import { notFoundPage } from './records.js';
import { facts, plainDate } from './doc_view.js';
import { INVOICES, invoiceName } from './invoice_form.js';
import { loadModes, modeName, paymentDialog } from './invoice_money.js';

const PAYMENTS = '/admin/payments';
const BACK = ['M15 18l-6-6 6-6'];

/* Invoices by id ({number, currency, ...}), for the names and currencies
 * of payments: the latest 200 issued ones at once, any other one when a
 * page names it. null: not readable. */
function invoiceCache(signal) {
  const known = new Map();
  return {
    known,
    async recent() {
      if (!canView('invoices')) return [];
      try {
        const { data } = await api('GET', '/api/v1/invoices', { query: { 'status[ne]': 'draft', sort: '-id', limit: 200 }, signal });
        for (const inv of data.data || []) known.set(inv.id, inv);
        return data.data || [];
      } catch (err) {
        if (isAbort(err)) throw err;
        return [];
      }
    },
    async fetch(ids) {
      const missing = [...new Set(ids)].filter((id) => !known.has(id));
      await Promise.all(missing.map(async (id) => {
        if (!canView('invoices')) { known.set(id, null); return; }
        try { known.set(id, (await api('GET', `/api/v1/invoices/${id}`, { signal })).data); } catch (err) {
          if (isAbort(err)) throw err;
          known.set(id, null);
        }
      }));
    },
  };
}

const signed = (p) => (p.kind === 'refund' ? `-${p.amount}` : p.amount);

async function paymentsList(ctx, root) {
  const entity = entityByKey('payments');
  if (!entity) return notFoundPage(ctx, root);
  ctx.setTitle(entity.plural);
  const invoices = invoiceCache(ctx.signal);
  const [staff, modes, recent] = await Promise.all([loadStaff(ctx.signal), loadModes(ctx.signal), invoices.recent()]);
  let view = null;
  const refs = () => ((view && view.data && view.data.refs) || {}).invoice || {};
  const amounts = []; // cells waiting for their invoice's currency
  const paint = () => {
    for (const { el, p } of amounts.splice(0)) {
      const inv = invoices.known.get(p.invoice_id);
      el.textContent = formatAmountText(signed(p), inv ? inv.currency : '');
    }
  };
  const filters = [
    { param: 'invoice_id', id: 'pay-invoice', label: t('cn.invoice'), options: recent.map((x) => [String(x.id), invoiceName(x)]),
      unknown: (v) => refs()[v] ?? `#${v}` },
    { param: 'kind', id: 'pay-kind-filter', label: t('pay.kind'), options: [['payment', t('pay.kind.payment')], ['refund', t('pay.kind.refund')]] },
    { type: 'dates', plain: true, field: 'date', params: ['from', 'to'], labels: [t('pay.date_from'), t('pay.date_to')] },
  ];
  if (modes) filters.push({ param: 'payment_mode_id', id: 'pay-mode-filter', label: t('pay.mode'), options: modes.map((m) => [String(m.id), m.name]) });
  view = listView(ctx, {
    api: '/api/v1/payments',
    exportable: true,
    name: entity.plural,
    id: 'payments',
    sort: '-date',
    sortText: t('pay.newest_first'),
    limit: 25,
    search: { label: t('pay.search'), placeholder: t('pay.search_placeholder') },
    filterLabel: entityText(entity, 'filter'),
    filters,
    columns: [
      { label: t('pay.date'), sort: 'date', desc: true, class: 'nowrap', cell: (p) => plainDate(p.date) },
      { label: t('cn.invoice'), class: 'nowrap', cell: (p) => {
        const name = refs()[p.invoice_id] ?? `#${p.invoice_id}`;
        return canView('invoices') ? h('a', { href: `${INVOICES}/${p.invoice_id}` }, name) : name;
      } },
      { label: t('pay.kind'), cell: (p) => h('span', { class: ['badge', `badge-pay-${p.kind}`] }, t(`pay.kind.${p.kind}`)) },
      { label: t('pay.amount'), sort: 'amount', desc: true, headClass: 'num', class: 'num nowrap', cell: (p) => {
        const el = h('span', { class: 'num' }, p.amount);
        amounts.push({ el, p });
        return el;
      } },
      { label: t('pay.mode'), cell: (p) => modeName(modes, p.payment_mode_id) },
      { label: t('pay.transaction_id'), class: 'mono', cell: (p) => p.transaction_id || '' },
      { label: t('pay.recorded_by'), class: 'nowrap', cell: (p) => staffName(staff, p.recorded_by) },
    ],
    rowHref: (p) => `${PAYMENTS}/${p.id}`,
    rowProps: (p) => ({ dataset: { record: String(p.id) } }),
    empty: { none: [entityText(entity, 'none'), t('pay.none_hint')], filtered: [entityText(entity, 'no_match'), t('list.try_another')] },
    onData: (data) => { invoices.fetch((data.data || []).map((p) => p.invoice_id)).then(paint).catch(() => {}); },
  });
  root.replaceChildren(h('div', { class: 'page-header' }, pageTitle(entity.plural)),
    h('p', { class: 'muted page-lead' }, t('pay.lead')), view.root);
  await view.load();
}

async function paymentPage(ctx, root) {
  const entity = entityByKey('payments');
  const id = ctx.params.id;
  if (!entity || !/^[1-9]\d*$/.test(id)) return notFoundPage(ctx, root);
  let p;
  try {
    ({ data: p } = await api('GET', `/api/v1/payments/${id}`, { signal: ctx.signal }));
  } catch (err) {
    if (isAbort(err)) return;
    if (err instanceof ApiError && err.status === 404) return notFoundPage(ctx, root);
    throw err;
  }
  const invoices = invoiceCache(ctx.signal);
  const [staff, modes] = await Promise.all([loadStaff(ctx.signal), loadModes(ctx.signal), invoices.fetch([p.invoice_id])]);
  const inv = invoices.known.get(p.invoice_id)
    || { id: p.invoice_id, number: null, currency: '', balance_due: '0', amount_paid: '0' };
  const title = t(p.kind === 'refund' ? 'pay.refund_title' : 'pay.payment_title', { date: p.date ? formatPlainDate(p.date) : '' });
  ctx.setTitle(title);
  const reload = () => navigate(location.pathname, { replace: true });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const actions = [];
  if (can('payments', 'edit')) {
    const b = h('button', { type: 'button', class: 'btn' }, t('pay.correct'));
    b.addEventListener('click', async () => { if (await paymentDialog({ inv, payment: p, modes, returnFocus: b })) reload(); });
    actions.push(b);
  }
  if (can('payments', 'delete')) {
    const b = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('common.delete'));
    b.addEventListener('click', async () => {
      if (!await confirmDialog({ title: t('pay.delete_q'), message: t('pay.delete_message'), confirmLabel: t('common.delete'), danger: true })) return;
      try {
        await api('DELETE', `/api/v1/payments/${p.id}`, { ifMatch: `"${p.version}"` });
        toast(t('pay.deleted'));
        navigate(PAYMENTS + lastListQuery(PAYMENTS));
      } catch (err) {
        if (!isAbort(err)) { messages.replaceChildren(problemBox(err)); messages.focus(); }
      }
    });
    actions.push(b);
  }
  const invName = inv.number ? invoiceName(inv) : `#${p.invoice_id}`;
  root.replaceChildren(...[
    h('a', { href: PAYMENTS + lastListQuery(PAYMENTS), class: 'back-link' }, icon(BACK), entity.plural),
    h('div', { class: 'page-header' }, pageTitle(title), h('div', { class: 'page-actions' }, actions)),
    messages,
    h('section', { class: 'card section doc-head', 'aria-label': t('pay.details') },
      h('div', { class: 'section-body' }, facts([
        [t('cn.invoice'), canView('invoices') ? h('a', { href: `${INVOICES}/${p.invoice_id}` }, invName) : invName],
        [t('pay.kind'), t(`pay.kind.${p.kind}`)],
        [t('pay.amount'), formatAmountText(p.amount, inv.currency), 'payment-amount'],
        [t('pay.date'), plainDate(p.date)],
        [t('pay.mode'), p.payment_mode_id == null ? null : modeName(modes, p.payment_mode_id)],
        [t('pay.transaction_id'), p.transaction_id],
        [t('pay.note'), p.note ? h('span', { class: 'pre' }, p.note) : null],
        [t('pay.recorded_by'), p.recorded_by == null ? null : staffName(staff, p.recorded_by)],
      ]))),
    automationRunsSection('payment', p.id, ctx.signal),
    canView('activity') ? historySection('payment', p.id, ctx.signal) : null,
  ].filter(Boolean));
}

export const routes = [
  [PAYMENTS, paymentsList],
  [`${PAYMENTS}/:id`, paymentPage],
];
