// A proposal's page (/admin/proposals/ID): its number (or "Draft") and
// status, subject, client and contact, dates and sales agent, the lines
// with their amounts, the tax summary and the totals (doc_view.js); the
// actions its status and the member's grants allow (src/finance/proposal.c
// decides again): Edit while draft, sent or expired; Send (marks it sent,
// the first time with the next number); Email once sent (doc_send.js);
// Download PDF; Accept or Decline a sent one; Convert to invoice (needs
// Invoices: create; a small dialog with an optional due date, then the
// new draft invoice); Delete where the API allows. A frozen proposal says
// why; an invoiced one links to its invoice. Then the History.
import { h, icon, pageTitle, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { navigate } from '../router.js';
import { entityByKey } from '../entities.js';
import { t } from '../i18n.js';
import { can, canView } from '../session.js';
import { alertBox, confirmDialog, formatCell, loadStaff, modal, problemBox, staffName, toast } from '../ui.js';
import { clearErrors, control, showFieldErrors } from '../forms.js';
import { lastListQuery } from '../listview.js';
import { historySection } from './activity.js';
import { automationRunsSection } from './automation_runs.js';
import { notFoundPage } from './records.js';
import { documentFigures, facts, plainDate, statusBadge } from './doc_view.js';
import { clientTitle, contactTitle } from './doc_form.js';
import { INVOICES, invoiceName } from './invoice_form.js';
import { linked, readable } from './invoice_page.js';
import { refusal } from './invoice_money.js';
import { pdfLink, sendDialog } from './doc_send.js';
import { EDITABLE, PROPOSALS, proposalName } from './proposal_form.js';

const BACK = ['M15 18l-6-6 6-6'];
const DELETABLE = ['draft', 'sent', 'declined', 'expired'];
const CONVERTIBLE = (s) => s !== 'declined' && s !== 'invoiced';

/** The dialog that turns the proposal into a draft invoice; resolves the invoice, or null. */
async function convertDialog(prop, { etag, returnFocus }) {
  const dlg = modal({ title: t('prop.convert_title', { name: proposalName(prop) }), returnFocus });
  const f = { due_date: control({ id: 'convert-due_date', name: 'due_date', type: 'date', label: t('doc.due_date'),
    hint: t('prop.convert_due_hint') }) };
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('prop.convert'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  cancel.addEventListener('click', () => dlg.close(null));
  const form = h('form', { class: 'dialog-form', novalidate: true, 'data-testid': 'convert-form' },
    messages, h('p', { class: 'muted' }, t('prop.convert_lead')),
    h('div', { class: 'form-grid' }, f.due_date.wrap),
    h('div', { class: 'dialog-actions' }, cancel, save));
  dlg.body.replaceChildren(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(f, messages);
    const body = f.due_date.get() ? { due_date: f.due_date.get() } : {};
    save.disabled = true;
    try {
      const { data } = await api('POST', `/api/v1/proposals/${prop.id}/invoice`, { body, ifMatch: etag });
      dlg.close(data);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422 && err.fieldErrors.every((e) => e.field === 'due_date')) {
        showFieldErrors(err, f, messages);
      } else {
        messages.replaceChildren(refusal(err));
        messages.focus();
      }
    } finally {
      save.disabled = false;
    }
  });
  f.due_date.focus();
  return dlg.result;
}

export async function proposalPage(ctx, root) {
  const entity = entityByKey('proposals');
  const id = ctx.params.id;
  if (!entity || !/^[1-9]\d*$/.test(id)) return notFoundPage(ctx, root);
  let prop;
  let etag;
  try {
    ({ data: prop, etag } = await api('GET', `/api/v1/proposals/${id}`, { signal: ctx.signal }));
  } catch (err) {
    if (isAbort(err)) return;
    if (err instanceof ApiError && err.status === 404) return notFoundPage(ctx, root);
    throw err;
  }
  const [staff, clientRec, contactRec, invoiceRec] = await Promise.all([
    loadStaff(ctx.signal),
    readable('client', prop.client_id, ctx.signal),
    readable('contact', prop.contact_id, ctx.signal),
    readable('invoice', prop.invoice_id, ctx.signal),
  ]);
  const reload = () => navigate(location.pathname, { replace: true });
  const status = prop.status;
  const name = proposalName(prop);
  const title = prop.number ? t('prop.title_number', { number: prop.number }) : t('prop.title_draft', { id: prop.id });
  ctx.setTitle(title);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const edits = can('proposals', 'edit');

  function stale() {
    const again = h('button', { type: 'button', class: 'btn' }, t('stale.reload'));
    again.addEventListener('click', reload);
    return alertBox('warning', t('stale.proposal'), t('stale.detail'), again);
  }
  function refused(err, button) {
    if (isAbort(err)) return;
    if (button) button.disabled = false;
    messages.replaceChildren(err instanceof ApiError && err.status === 412 ? stale() : refusal(err));
    messages.focus();
  }
  /** A button that asks first, then POSTs .../action and reloads with a toast. */
  function action(label, { primary = false, danger = false, question, message, done }, run) {
    const b = h('button', { type: 'button', class: ['btn', primary ? 'btn-primary' : null, danger ? 'btn-danger-outline' : null] }, label);
    b.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: question, message, confirmLabel: label, danger });
      if (!ok) { b.focus(); return; }
      b.disabled = true;
      try {
        const res = await run();
        toast(done(res));
      } catch (err) { refused(err, b); }
    });
    return b;
  }
  const post = (verb) => async () => {
    const { data } = await api('POST', `/api/v1/proposals/${prop.id}/${verb}`, { body: {}, ifMatch: etag });
    reload();
    return data;
  };

  // ---- actions, by status and grant ----
  const actions = [];
  if (EDITABLE.includes(status) && edits) {
    actions.push(h('a', { href: `${PROPOSALS}/${prop.id}/edit`, class: 'btn' }, t('common.edit')));
    actions.push(action(status === 'draft' ? t('prop.send') : t('prop.send_again'), {
      primary: status !== 'sent', question: t('prop.send_q'),
      message: prop.number ? t('prop.send_again_message', { number: prop.number }) : t('prop.send_message'),
      done: (d) => t('prop.sent', { number: d.number }) }, post('send')));
  }
  if (status === 'sent' && edits) {
    actions.push(action(t('prop.accept'), { primary: true, question: t('prop.accept_q'), message: t('prop.accept_message'),
      done: () => t('prop.accepted', { name }) }, post('accept')));
    actions.push(action(t('prop.decline'), { question: t('prop.decline_q'), message: t('prop.decline_message'),
      done: () => t('prop.declined', { name }) }, post('decline')));
  }
  if (CONVERTIBLE(status) && can('invoices', 'create')) {
    const convert = h('button', { type: 'button', class: ['btn', status === 'accepted' ? 'btn-primary' : null] }, t('prop.convert'));
    convert.addEventListener('click', async () => {
      const inv = await convertDialog(prop, { etag, returnFocus: convert });
      if (!inv) return;
      toast(t('prop.converted', { name, invoice: invoiceName(inv) }));
      navigate(`${INVOICES}/${inv.id}`);
    });
    actions.push(convert);
  }
  if (status !== 'draft' && edits) {
    const email = h('button', { type: 'button', class: 'btn' }, t('doc.send_by_email'));
    email.addEventListener('click', async () => {
      const sent = await sendDialog({ path: `/api/v1/proposals/${prop.id}`, action: 'email',
        title: t('prop.email_title', { number: prop.number }), contactEmail: contactRec && contactRec.email, returnFocus: email });
      if (sent) reload();
    });
    actions.push(email);
  }
  actions.push(pdfLink(`/api/v1/proposals/${prop.id}`));
  if (DELETABLE.includes(status) && can('proposals', 'delete')) {
    const del = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('prop.delete'));
    del.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('prop.delete_q'), message: t('prop.delete_message'), confirmLabel: t('common.delete'), danger: true });
      if (!ok) { del.focus(); return; }
      try {
        await api('DELETE', `/api/v1/proposals/${prop.id}`, { ifMatch: etag });
        toast(t('inv.deleted', { name }));
        navigate(PROPOSALS + lastListQuery(PROPOSALS));
      } catch (err) { refused(err, null); }
    });
    actions.push(del);
  }

  // ---- what it says ----
  const custom = entity.fields.filter((f) => f.custom)
    .map((f) => [f.label, (prop.custom_fields || {})[f.name] == null ? null : formatCell(f, prop, { staff })]);
  const invoice = prop.invoice_id == null ? null
    : h('span', { 'data-testid': 'proposal-invoice' },
      linked('invoice', prop.invoice_id, invoiceRec, (r) => invoiceName(r)));
  const heading = pageTitle(title, ' ', statusBadge(status, { 'data-testid': 'proposal-status' }));
  const parts = [
    h('a', { href: PROPOSALS + lastListQuery(PROPOSALS), class: 'back-link' }, icon(BACK), entity.plural),
    h('div', { class: 'page-header' }, heading, h('div', { class: 'page-actions', 'data-testid': 'proposal-actions' }, actions)),
    messages,
    EDITABLE.includes(status) ? null : alertBox('info', t('prop.frozen'), t(`prop.frozen_${status}`)),
    h('section', { class: 'card section doc-head', 'aria-label': t('prop.details') },
      h('div', { class: 'section-body' }, facts([
        [t('prop.subject'), prop.subject, 'proposal-subject'],
        [t('doc.client'), linked('client', prop.client_id, clientRec, clientTitle), 'proposal-client'],
        [t('doc.contact'), linked('contact', prop.contact_id, contactRec, contactTitle)],
        [t('doc.currency'), prop.currency],
        [t('prop.date'), status === 'draft' && !prop.date ? h('span', { class: 'muted' }, t('prop.date_on_send')) : plainDate(prop.date)],
        [t('prop.open_till'), plainDate(prop.open_till)],
        [t('inv.sales_agent'), prop.owner_id == null ? null : staffName(staff, prop.owner_id)],
        [t('prop.sent_at'), status !== 'draft' && prop.sent_at ? timeEl(prop.sent_at) : null],
        [t('prop.emailed_to'), prop.sent_to, 'proposal-emailed'],
        [t('prop.accepted_at'), prop.accepted_at ? timeEl(prop.accepted_at) : null],
        [t('prop.declined_at'), prop.declined_at ? timeEl(prop.declined_at) : null],
        [t('prop.invoice'), invoice],
        ...custom,
      ]))),
    ...documentFigures(prop),
    prop.notes || prop.terms ? h('section', { class: 'card section doc-notes', 'aria-labelledby': 'proposal-notes-title' },
      h('div', { class: 'section-header' }, h('h2', { id: 'proposal-notes-title', class: 'section-title' }, t('inv.notes_terms'))),
      h('div', { class: 'section-body' }, facts([[t('doc.notes'), prop.notes ? h('span', { class: 'pre' }, prop.notes) : null],
        [t('doc.terms'), prop.terms ? h('span', { class: 'pre' }, prop.terms) : null]]))) : null,
    automationRunsSection('proposal', prop.id, ctx.signal),
    canView('activity') ? historySection('proposal', prop.id, ctx.signal) : null,
  ];
  root.replaceChildren(...parts.filter(Boolean));
}
