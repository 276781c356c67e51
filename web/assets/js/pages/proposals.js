// Proposals (/admin/proposals; src/finance/proposal.c): the list on the
// list component with the filters a sales team works by (status, client,
// sales agent, the proposal's date range) and the search by number or
// subject; each row's number (or "Draft"), subject, client, status, date,
// open till and total in the member's formats with the currency. The
// routes of the proposal screens: the form (proposal_form.js) and the
// proposal's page (proposal_page.js). The navigation row is the records'
// (records.js: the Sales group).
import { h, icon, pageTitle } from '../dom.js';
import { entityByKey, entityText } from '../entities.js';
import { t } from '../i18n.js';
import { loadStaff, staffName } from '../ui.js';
import { can, me } from '../session.js';
import { listView } from '../listview.js';
import { notFoundPage } from './records.js';
import { amount, plainDate, statusBadge, statusOptions } from './doc_view.js';
import { clientChoices } from './invoices.js';
import { PROPOSALS, proposalFormPage, proposalName } from './proposal_form.js';
import { proposalPage } from './proposal_page.js';

const PLUS = ['M12 5v14', 'M5 12h14'];

async function proposalsList(ctx, root) {
  const entity = entityByKey('proposals');
  if (!entity) return notFoundPage(ctx, root);
  ctx.setTitle(entity.plural);
  const [staff, clients] = await Promise.all([loadStaff(ctx.signal), clientChoices(ctx.signal)]);
  const self = me();
  let view = null;
  const refs = () => (view && view.data && view.data.refs) || {};
  const clientName = (v) => (refs().client || {})[v] ?? `#${v}`;
  const creates = can('proposals', 'create');
  view = listView(ctx, {
    api: '/api/v1/proposals',
    exportable: true,
    name: entity.plural,
    id: 'proposals',
    sort: '-id',
    sortText: t('list.newest_first'),
    limit: 25,
    search: { label: t('prop.search'), placeholder: t('prop.search_placeholder') },
    filterLabel: entityText(entity, 'filter'),
    filters: [
      { param: 'status', id: 'prop-status', label: t('doc.status'), options: statusOptions('proposal') },
      { param: 'client_id', id: 'prop-client', label: t('doc.client'), options: clients, unknown: clientName },
      { param: 'owner_id', id: 'prop-owner', label: t('inv.sales_agent'),
        options: [...(self ? [['me', t('picker.me', { name: self.name || self.email })]] : []),
          ...staff.map((s) => [String(s.id), s.name || s.email])],
        unknown: (v) => staffName(staff, v) },
      { type: 'dates', plain: true, field: 'date', params: ['date_from', 'date_to'],
        labels: [t('prop.date_from'), t('prop.date_to')] },
    ],
    columns: [
      { label: t('doc.number'), sort: 'number', class: 'nowrap',
        cell: (d) => (d.number ? d.number : h('span', { class: 'muted' }, proposalName(d))) },
      { label: t('prop.subject'), sort: 'subject', cell: (d) => d.subject },
      { label: t('doc.client'), cell: (d) => clientName(d.client_id) },
      { label: t('doc.status'), sort: 'status', cell: (d) => statusBadge(d.status) },
      { label: t('prop.date'), sort: 'date', desc: true, class: 'nowrap', cell: (d) => plainDate(d.date) },
      { label: t('prop.open_till'), sort: 'open_till', desc: true, class: 'nowrap', cell: (d) => plainDate(d.open_till) },
      { label: t('doc.total'), sort: 'total', desc: true, headClass: 'num', class: 'num', cell: (d) => amount(d.total, d.currency) },
    ],
    rowHref: (d) => `${PROPOSALS}/${d.id}`,
    rowProps: (d) => ({ dataset: { record: String(d.id) } }),
    empty: {
      none: [entityText(entity, 'none'), creates ? entityText(entity, 'first') : null],
      filtered: [entityText(entity, 'no_match'), t('list.try_another')],
    },
  });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(entity.plural),
      creates ? h('a', { href: `${PROPOSALS}/new`, class: 'btn btn-primary' }, icon(PLUS), entityText(entity, 'new')) : null),
    view.root);
  await view.load();
}

export const routes = [
  [PROPOSALS, proposalsList],
  [`${PROPOSALS}/new`, proposalFormPage],
  [`${PROPOSALS}/:id/edit`, proposalFormPage],
  [`${PROPOSALS}/:id`, proposalPage],
];
