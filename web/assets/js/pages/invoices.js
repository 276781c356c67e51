// Invoices (/admin/invoices; src/finance/invoice.c): the list on the list
// component with the filters that matter to whoever collects the money
// (status, client, sales agent, issue and due date ranges, an open
// balance) and the search by number; each row's number (or "Draft"),
// client, status, dates, total and balance due in the member's formats
// with the currency. The routes of the invoice screens: the form
// (invoice_form.js) and the invoice's page (invoice_page.js). The
// navigation row is the records' (records.js: the Sales group).
import { h, icon, pageTitle } from '../dom.js';
import { api, isAbort } from '../api.js';
import { entityByKey, entityText } from '../entities.js';
import { t } from '../i18n.js';
import { loadStaff, staffName } from '../ui.js';
import { can, canView, me } from '../session.js';
import { listView } from '../listview.js';
import { notFoundPage } from './records.js';
import { amount, plainDate, statusBadge, statusOptions } from './doc_view.js';
import { INVOICES, invoiceFormPage, invoiceName } from './invoice_form.js';
import { clientTitle } from './doc_form.js';
import { invoicePage } from './invoice_page.js';

const PLUS = ['M12 5v14', 'M5 12h14'];

/** The clients a filter offers (the first 200 by name), when the member may read them. */
export async function clientChoices(signal) {
  if (!canView('clients')) return [];
  try {
    const { data } = await api('GET', '/api/v1/clients', { query: { limit: 200, sort: 'company' }, signal });
    return (data.data || []).map((c) => [String(c.id), clientTitle(c)]);
  } catch (err) {
    if (isAbort(err)) throw err;
    return [];
  }
}

async function invoicesList(ctx, root) {
  const entity = entityByKey('invoices');
  if (!entity) return notFoundPage(ctx, root);
  ctx.setTitle(entity.plural);
  const [staff, clients] = await Promise.all([loadStaff(ctx.signal), clientChoices(ctx.signal)]);
  const self = me();
  let view = null;
  const refs = () => (view && view.data && view.data.refs) || {};
  const clientName = (v) => (refs().client || {})[v] ?? `#${v}`;
  const creates = can('invoices', 'create');
  view = listView(ctx, {
    api: '/api/v1/invoices',
    exportable: true,
    name: entity.plural,
    id: 'invoices',
    sort: '-id',
    sortText: t('list.newest_first'),
    limit: 25,
    search: { label: t('inv.search'), placeholder: t('inv.search_placeholder') },
    filterLabel: entityText(entity, 'filter'),
    filters: [
      { param: 'status', id: 'inv-status', label: t('doc.status'), options: statusOptions('invoice') },
      { param: 'client_id', id: 'inv-client', label: t('doc.client'), options: clients, unknown: clientName },
      { param: 'owner_id', id: 'inv-owner', label: t('inv.sales_agent'),
        options: [...(self ? [['me', t('picker.me', { name: self.name || self.email })]] : []),
          ...staff.map((s) => [String(s.id), s.name || s.email])],
        unknown: (v) => staffName(staff, v) },
      { type: 'preset', id: 'inv-balance', label: t('inv.balance'), options: [
        ['', t('inv.balance_any'), {}],
        ['open', t('inv.balance_open'), { 'balance_due[gt]': '0' }],
        ['settled', t('inv.balance_settled'), { 'balance_due[lte]': '0' }]] },
      { type: 'dates', plain: true, field: 'issue_date', params: ['issued_from', 'issued_to'],
        labels: [t('inv.issued_from'), t('inv.issued_to')] },
      { type: 'dates', plain: true, field: 'due_date', params: ['due_from', 'due_to'],
        labels: [t('inv.due_from'), t('inv.due_to')] },
    ],
    columns: [
      { label: t('doc.number'), sort: 'number', class: 'nowrap',
        cell: (d) => (d.number ? d.number : h('span', { class: 'muted' }, invoiceName(d))) },
      { label: t('doc.client'), cell: (d) => clientName(d.client_id) },
      { label: t('doc.status'), sort: 'status', cell: (d) => statusBadge(d.status) },
      { label: t('doc.issue_date'), sort: 'issue_date', desc: true, class: 'nowrap', cell: (d) => plainDate(d.issue_date) },
      { label: t('doc.due_date'), sort: 'due_date', desc: true, class: 'nowrap', cell: (d) => plainDate(d.due_date) },
      { label: t('doc.total'), sort: 'total', desc: true, headClass: 'num', class: 'num', cell: (d) => amount(d.total, d.currency) },
      { label: t('doc.balance_due'), sort: 'balance_due', desc: true, headClass: 'num', class: 'num',
        cell: (d) => amount(d.balance_due, d.currency) },
    ],
    rowHref: (d) => `${INVOICES}/${d.id}`,
    rowProps: (d) => ({ dataset: { record: String(d.id) } }),
    empty: {
      none: [entityText(entity, 'none'), creates ? entityText(entity, 'first') : null],
      filtered: [entityText(entity, 'no_match'), t('list.try_another')],
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(entity.plural),
      creates ? h('a', { href: `${INVOICES}/new`, class: 'btn btn-primary' }, icon(PLUS), entityText(entity, 'new')) : null),
    view.root);
  await view.load();
}

export const routes = [
  [INVOICES, invoicesList],
  [`${INVOICES}/new`, invoiceFormPage],
  [`${INVOICES}/:id/edit`, invoiceFormPage],
  [`${INVOICES}/:id`, invoicePage],
];
