// An invoice's page (/admin/invoices/ID): its number (or "Draft") and
// status, the client and contact, the dates and the sales agent, the lines
// with their amounts, the tax summary and the totals with what was paid
// and credited and the balance due; the actions its status and the
// member's grants allow (Edit and Issue a draft, Delete a draft, Record a
// payment, Create a credit note, Send by email, Download PDF; the server
// decides again); the invoice's
// payments and credit notes (invoice_money.js) and its History. An issued
// invoice says why it is not edited: a credit note corrects it.
import { h, icon, pageTitle, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { navigate } from '../router.js';
import { entityByKey } from '../entities.js';
import { t } from '../i18n.js';
import { can, canView } from '../session.js';
import { alertBox, confirmDialog, formatCell, loadStaff, problemBox, staffName, toast } from '../ui.js';
import { lastListQuery } from '../listview.js';
import { historySection } from './activity.js';
import { automationRunsSection } from './automation_runs.js';
import { notFoundPage } from './records.js';
import { documentFigures, facts, plainDate, statusBadge } from './doc_view.js';
import { INVOICES, invoiceName } from './invoice_form.js';
import { clientTitle, contactTitle } from './doc_form.js';
import { creditNoteDialog, creditNotesSection, loadModes, paymentDialog, paymentsSection, refusal } from './invoice_money.js';
import { pdfLink, sendDialog } from './doc_send.js';

const BACK = ['M15 18l-6-6 6-6'];
const OPEN = ['draft', 'cancelled'];

/** The record of kind ('client') id when the member may read it, else null. */
export async function readable(kind, id, signal) {
  if (id == null || !canView(`${kind}s`)) return null;
  try {
    return (await api('GET', `/api/v1/${kind}s/${id}`, { signal })).data;
  } catch (err) {
    if (isAbort(err)) throw err;
    return null;
  }
}

/** A record's name as a link to its page (rec read), else its id. */
export function linked(kind, id, rec, title) {
  if (id == null) return null;
  return rec ? h('a', { href: `/admin/${kind}s/${id}` }, title(rec)) : `#${id}`;
}

/** When and to whom a document was emailed, or null. */
export const sentFact = (doc) => (doc.sent_at ? [timeEl(doc.sent_at), doc.sent_to ? ` → ${doc.sent_to}` : ''] : null);

export async function invoicePage(ctx, root) {
  const entity = entityByKey('invoices');
  const id = ctx.params.id;
  if (!entity || !/^[1-9]\d*$/.test(id)) return notFoundPage(ctx, root);
  let inv;
  let etag;
  try {
    ({ data: inv, etag } = await api('GET', `/api/v1/invoices/${id}`, { signal: ctx.signal }));
  } catch (err) {
    if (isAbort(err)) return;
    if (err instanceof ApiError && err.status === 404) return notFoundPage(ctx, root);
    throw err;
  }
  const [staff, clientRec, contactRec, modes] = await Promise.all([
    loadStaff(ctx.signal),
    readable('client', inv.client_id, ctx.signal),
    readable('contact', inv.contact_id, ctx.signal),
    can('payments', 'create') || canView('payments') ? loadModes(ctx.signal) : null,
  ]);
  const client = linked('client', inv.client_id, clientRec, clientTitle);
  const contact = linked('contact', inv.contact_id, contactRec, contactTitle);
  const reload = () => navigate(location.pathname, { replace: true });
  const draft = inv.status === 'draft';
  const title = draft ? t('inv.title_draft', { id: inv.id }) : t('inv.title_number', { number: inv.number });
  ctx.setTitle(title);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });

  // ---- actions, by status and grant ----
  const actions = [];
  if (draft && can('invoices', 'edit')) {
    actions.push(h('a', { href: `${INVOICES}/${inv.id}/edit`, class: 'btn' }, t('common.edit')));
    const issue = h('button', { type: 'button', class: 'btn btn-primary' }, t('inv.issue'));
    issue.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('inv.issue_q'), message: t('inv.issue_message'), confirmLabel: t('inv.issue') });
      if (!ok) { issue.focus(); return; }
      issue.disabled = true;
      try {
        const { data } = await api('POST', `/api/v1/invoices/${inv.id}/issue`, { body: {}, ifMatch: etag });
        toast(t('inv.issued', { number: data.number }));
        reload();
      } catch (err) {
        if (isAbort(err)) return;
        issue.disabled = false;
        messages.replaceChildren(err instanceof ApiError && err.status === 412 ? stale() : refusal(err));
        messages.focus();
      }
    });
    actions.push(issue);
  }
  const payable = !draft && (Number(inv.balance_due) > 0 || Number(inv.amount_paid) > 0);
  if (payable && can('payments', 'create')) {
    const pay = h('button', { type: 'button', class: 'btn btn-primary' },
      Number(inv.balance_due) > 0 ? t('pay.record') : t('pay.record_refund'));
    pay.addEventListener('click', async () => { if (await paymentDialog({ inv, modes, returnFocus: pay })) reload(); });
    actions.push(pay);
  }
  if (!OPEN.includes(inv.status) && can('credit_notes', 'create')) {
    const credit = h('button', { type: 'button', class: 'btn' }, t('cn.create'));
    credit.addEventListener('click', () => creditNoteDialog({ inv, returnFocus: credit }));
    actions.push(credit);
  }
  if (!draft && can('invoices', 'edit')) {
    const send = h('button', { type: 'button', class: 'btn' }, t('doc.send_by_email'));
    send.addEventListener('click', async () => {
      const sent = await sendDialog({ path: `/api/v1/invoices/${inv.id}`, title: t('inv.send_title', { number: inv.number }),
        contactEmail: contactRec && contactRec.email, returnFocus: send });
      if (sent) reload();
    });
    actions.push(send);
  }
  actions.push(pdfLink(`/api/v1/invoices/${inv.id}`));
  if (draft && can('invoices', 'delete')) {
    const del = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('inv.delete'));
    del.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('inv.delete_q'), message: t('inv.delete_message'), confirmLabel: t('common.delete'), danger: true });
      if (!ok) { del.focus(); return; }
      try {
        await api('DELETE', `/api/v1/invoices/${inv.id}`, { ifMatch: etag });
        toast(t('inv.deleted', { name: invoiceName(inv) }));
        navigate(INVOICES + lastListQuery(INVOICES));
      } catch (err) {
        if (isAbort(err)) return;
        messages.replaceChildren(err instanceof ApiError && err.status === 412 ? stale() : problemBox(err));
        messages.focus();
      }
    });
    actions.push(del);
  }
  function stale() {
    const again = h('button', { type: 'button', class: 'btn' }, t('stale.reload'));
    again.addEventListener('click', reload);
    return alertBox('warning', t('stale.invoice'), t('stale.detail'), again);
  }

  // ---- what it says ----
  const custom = entity.fields.filter((f) => f.custom)
    .map((f) => [f.label, (inv.custom_fields || {})[f.name] == null ? null : formatCell(f, inv, { staff })]);
  const heading = pageTitle(title, ' ', statusBadge(inv.status, { 'data-testid': 'invoice-status' }));
  const parts = [
    h('a', { href: INVOICES + lastListQuery(INVOICES), class: 'back-link' }, icon(BACK), entity.plural),
    h('div', { class: 'page-header' }, heading, h('div', { class: 'page-actions', 'data-testid': 'invoice-actions' }, actions)),
    messages,
    draft ? null : alertBox('info', t('inv.issued_no_edit'), t('inv.issued_no_edit_detail')),
    h('section', { class: 'card section doc-head', 'aria-label': t('inv.details') },
      h('div', { class: 'section-body' }, facts([
        [t('doc.client'), client, 'invoice-client'],
        [t('doc.contact'), contact],
        [t('doc.currency'), inv.currency],
        [t('doc.issue_date'), draft && !inv.issue_date ? h('span', { class: 'muted' }, t('inv.issue_date_on_issue')) : plainDate(inv.issue_date)],
        [t('doc.due_date'), plainDate(inv.due_date)],
        [t('inv.sales_agent'), inv.owner_id == null ? null : staffName(staff, inv.owner_id)],
        [t('inv.issued_at'), inv.issued_at ? timeEl(inv.issued_at) : null],
        [t('doc.sent_at'), sentFact(inv), 'invoice-sent'],
        ...custom,
      ]))),
    ...documentFigures(inv, { settlement: true }),
    inv.notes || inv.terms ? h('section', { class: 'card section doc-notes', 'aria-labelledby': 'invoice-notes-title' },
      h('div', { class: 'section-header' }, h('h2', { id: 'invoice-notes-title', class: 'section-title' }, t('inv.notes_terms'))),
      h('div', { class: 'section-body' }, facts([[t('doc.notes'), inv.notes ? h('span', { class: 'pre' }, inv.notes) : null],
        [t('doc.terms'), inv.terms ? h('span', { class: 'pre' }, inv.terms) : null]]))) : null,
    !draft && canView('payments') ? paymentsSection(inv, { signal: ctx.signal, modes, onChange: reload }) : null,
    !draft && canView('credit_notes') ? creditNotesSection(inv, { signal: ctx.signal, onChange: reload }) : null,
    automationRunsSection('invoice', inv.id, ctx.signal),
    canView('activity') ? historySection('invoice', inv.id, ctx.signal) : null,
  ];
  root.replaceChildren(...parts.filter(Boolean));
}
