// Credit notes (/admin/credit_notes; src/finance/credit_note.c): the list
// (search by number or reason, status and client filters), a credit
// note's page (its invoice, client, dates and reason, the same lines, tax
// summary and totals as an invoice; Issue, Edit and Delete while it is a
// draft, Send by email once issued, for who may; Download PDF) and the edit form of a draft (issue date, reason
// and its lines in the line editor). They are made from an invoice's page
// (invoice_money.js); issuing one credits its invoice.
import { h, icon, pageTitle, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { navigate } from '../router.js';
import { entityByKey, entityText } from '../entities.js';
import { t } from '../i18n.js';
import { can, canView } from '../session.js';
import { alertBox, confirmDialog, problemBox, toast } from '../ui.js';
import { control, staleNotice } from '../forms.js';
import { listView, lastListQuery } from '../listview.js';
import { trackForm } from '../dirty.js';
import { historySection } from './activity.js';
import { automationRunsSection } from './automation_runs.js';
import { notFoundPage } from './records.js';
import { amount, documentFigures, facts, plainDate, statusBadge, statusOptions } from './doc_view.js';
import { lineEditor, loadLineSetup, showDocumentErrors } from './doc_lines.js';
import { INVOICES, invoiceName } from './invoice_form.js';
import { clientTitle } from './doc_form.js';
import { clientChoices } from './invoices.js';
import { CREDIT_NOTES, creditName, issueCreditNote } from './invoice_money.js';
import { linked, readable, sentFact } from './invoice_page.js';
import { pdfLink, sendDialog } from './doc_send.js';

const BACK = ['M15 18l-6-6 6-6'];
const listHref = () => CREDIT_NOTES + lastListQuery(CREDIT_NOTES);

async function creditNotesList(ctx, root) {
  const entity = entityByKey('credit_notes');
  if (!entity) return notFoundPage(ctx, root);
  ctx.setTitle(entity.plural);
  const clients = await clientChoices(ctx.signal);
  let view = null;
  const refs = (kind) => ((view && view.data && view.data.refs) || {})[kind] || {};
  view = listView(ctx, {
    api: '/api/v1/credit_notes',
    exportable: true,
    name: entity.plural,
    id: 'credit-notes',
    sort: '-id',
    sortText: t('list.newest_first'),
    limit: 25,
    search: { label: t('cn.search'), placeholder: t('cn.search_placeholder') },
    filterLabel: entityText(entity, 'filter'),
    filters: [
      { param: 'status', id: 'cn-status', label: t('doc.status'), options: statusOptions('credit_note') },
      { param: 'client_id', id: 'cn-client', label: t('doc.client'), options: clients, unknown: (v) => refs('client')[v] ?? `#${v}` },
      { type: 'dates', plain: true, field: 'issue_date', params: ['issued_from', 'issued_to'],
        labels: [t('inv.issued_from'), t('inv.issued_to')] },
    ],
    columns: [
      { label: t('doc.number'), sort: 'number', class: 'nowrap',
        cell: (d) => (d.number ? d.number : h('span', { class: 'muted' }, creditName(d))) },
      { label: t('cn.invoice'), class: 'nowrap', cell: (d) => refs('invoice')[d.invoice_id] ?? `#${d.invoice_id}` },
      { label: t('doc.client'), cell: (d) => refs('client')[d.client_id] ?? (d.client_id == null ? '' : `#${d.client_id}`) },
      { label: t('doc.status'), sort: 'status', cell: (d) => statusBadge(d.status) },
      { label: t('doc.issue_date'), sort: 'issue_date', desc: true, class: 'nowrap', cell: (d) => plainDate(d.issue_date) },
      { label: t('doc.total'), sort: 'total', desc: true, headClass: 'num', class: 'num', cell: (d) => amount(d.total, d.currency) },
    ],
    rowHref: (d) => `${CREDIT_NOTES}/${d.id}`,
    rowProps: (d) => ({ dataset: { record: String(d.id) } }),
    empty: { none: [entityText(entity, 'none'), t('cn.none_hint')], filtered: [entityText(entity, 'no_match'), t('list.try_another')] },
  });
  root.replaceChildren(h('div', { class: 'page-header' }, pageTitle(entity.plural)),
    h('p', { class: 'muted page-lead' }, t('cn.lead')), view.root);
  await view.load();
}

async function load(ctx, root) {
  const entity = entityByKey('credit_notes');
  const id = ctx.params.id;
  if (!entity || !/^[1-9]\d*$/.test(id)) { notFoundPage(ctx, root); return null; }
  try {
    const { data, etag } = await api('GET', `/api/v1/credit_notes/${id}`, { signal: ctx.signal });
    return { entity, cn: data, etag };
  } catch (err) {
    if (isAbort(err)) return null;
    if (err instanceof ApiError && err.status === 404) { notFoundPage(ctx, root); return null; }
    throw err;
  }
}

async function creditNotePage(ctx, root) {
  const got = await load(ctx, root);
  if (!got) return;
  const { entity, cn, etag } = got;
  const [invRec, clientRec] = await Promise.all([readable('invoice', cn.invoice_id, ctx.signal),
    readable('client', cn.client_id, ctx.signal)]);
  // The email goes to the invoice's contact unless another address is typed.
  const contactRec = invRec ? await readable('contact', invRec.contact_id, ctx.signal) : null;
  const invoice = invRec ? h('a', { href: `${INVOICES}/${cn.invoice_id}`, 'data-testid': 'credit-invoice' }, invoiceName(invRec))
    : `#${cn.invoice_id}`;
  const client = linked('client', cn.client_id, clientRec, clientTitle);
  const draft = cn.status === 'draft';
  const title = draft ? t('cn.title_draft', { id: cn.id }) : t('cn.title_number', { number: cn.number });
  ctx.setTitle(title);
  const reload = () => navigate(location.pathname, { replace: true });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const actions = [];
  if (draft && can('credit_notes', 'edit')) {
    actions.push(h('a', { href: `${CREDIT_NOTES}/${cn.id}/edit`, class: 'btn' }, t('common.edit')));
    const issue = h('button', { type: 'button', class: 'btn btn-primary' }, t('cn.issue'));
    issue.addEventListener('click', async () => { if (await issueCreditNote(cn, { etag, messages })) reload(); else issue.focus(); });
    actions.push(issue);
  }
  if (!draft && can('credit_notes', 'edit')) {
    const send = h('button', { type: 'button', class: 'btn' }, t('doc.send_by_email'));
    send.addEventListener('click', async () => {
      const sent = await sendDialog({ path: `/api/v1/credit_notes/${cn.id}`, title: t('cn.send_title', { number: cn.number }),
        contactEmail: contactRec && contactRec.email, returnFocus: send });
      if (sent) reload();
    });
    actions.push(send);
  }
  actions.push(pdfLink(`/api/v1/credit_notes/${cn.id}`));
  if (draft && can('credit_notes', 'delete')) {
    const del = h('button', { type: 'button', class: 'btn btn-danger-outline' }, entityText(entity, 'delete'));
    del.addEventListener('click', async () => {
      if (!await confirmDialog({ title: entityText(entity, 'delete_q'), message: t('cn.delete_message'),
        confirmLabel: t('common.delete'), danger: true })) { del.focus(); return; }
      try {
        await api('DELETE', `/api/v1/credit_notes/${cn.id}`, { ifMatch: etag });
        toast(entityText(entity, 'deleted', { name: creditName(cn) }));
        navigate(canView('invoices') ? `${INVOICES}/${cn.invoice_id}` : listHref());
      } catch (err) {
        if (isAbort(err)) return;
        messages.replaceChildren(problemBox(err));
        messages.focus();
      }
    });
    actions.push(del);
  }
  root.replaceChildren(...[
    h('a', { href: listHref(), class: 'back-link' }, icon(BACK), entity.plural),
    h('div', { class: 'page-header' }, pageTitle(title, ' ', statusBadge(cn.status, { 'data-testid': 'credit-status' })),
      h('div', { class: 'page-actions' }, actions)),
    messages,
    draft ? alertBox('info', t('cn.draft_note'), t('cn.draft_note_detail')) : null,
    h('section', { class: 'card section doc-head', 'aria-label': t('cn.details') },
      h('div', { class: 'section-body' }, facts([
        [t('cn.invoice'), invoice],
        [t('doc.client'), client],
        [t('doc.currency'), cn.currency],
        [t('doc.issue_date'), draft && !cn.issue_date ? h('span', { class: 'muted' }, t('cn.issue_date_on_issue')) : plainDate(cn.issue_date)],
        [t('cn.reason'), cn.reason ? h('span', { class: 'pre' }, cn.reason) : null],
        [t('inv.issued_at'), cn.issued_at ? timeEl(cn.issued_at) : null],
        [t('doc.sent_at'), sentFact(cn)],
      ]))),
    ...documentFigures(cn),
    automationRunsSection('credit_note', cn.id, ctx.signal),
    canView('activity') ? historySection('credit_note', cn.id, ctx.signal) : null,
  ].filter(Boolean));
}

async function creditNoteEdit(ctx, root) {
  const got = await load(ctx, root);
  if (!got) return;
  const { entity, cn, etag } = got;
  const pageHref = `${CREDIT_NOTES}/${cn.id}`;
  const back = h('a', { href: pageHref, class: 'back-link' }, icon(BACK), t('cn.back'));
  ctx.setTitle(t('cn.edit_title', { id: cn.id }));
  if (cn.status !== 'draft' || !can('credit_notes', 'edit')) {
    root.replaceChildren(back, pageTitle(t('cn.edit_title', { id: cn.id })),
      alertBox('info', cn.status !== 'draft' ? t('cn.issued_no_edit') : t('form.read_only'),
        cn.status !== 'draft' ? t('cn.issued_no_edit_detail') : entityText(entity, 'read_only')));
    return;
  }
  // The taxes the invoice billed count at the rates it billed them with
  // (the server's rule): the preview takes those rates too.
  const [setup, billed] = await Promise.all([loadLineSetup(ctx.signal, cn),
    canView('invoices') ? api('GET', `/api/v1/invoices/${cn.invoice_id}`, { signal: ctx.signal })
      .then((r) => r.data.taxes || []).catch((err) => { if (isAbort(err)) throw err; return []; }) : []]);
  for (const x of [...billed, ...(cn.taxes || [])]) {
    const known = setup.taxes.find((y) => y.id === x.tax_id);
    if (known) known.rate = x.rate;
  }
  // A credit note's lines carry only taxes the invoice was billed with (the
  // server refuses others: lines[i].taxes not_billed).
  if (billed.length) {
    setup.taxes = billed.map((x) => ({ id: x.tax_id, name: x.name, rate: x.rate, reverse_charge: x.reverse_charge, active: true }));
  }
  const c = {
    issue_date: control({ id: 'cn-issue_date', name: 'issue_date', type: 'date', label: t('doc.issue_date'), hint: t('cn.issue_date_hint') }),
    reason: control({ id: 'cn-edit-reason', name: 'reason', type: 'textarea', label: t('cn.reason'), max: 2000, wide: true, hint: t('cn.reason_hint') }),
  };
  c.issue_date.set(cn.issue_date);
  c.reason.set(cn.reason);
  const editor = lineEditor({ id: 'credit-lines', taxes: setup.taxes, rule: setup.rule, ruleKnown: setup.ruleKnown,
    lines: cn.lines, currency: cn.currency, hint: t('cn.lines_hint') });
  const read = () => ({ issue_date: c.issue_date.get(), reason: c.reason.get(), lines: editor.get() });
  const initial = read();
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save_changes'));
  const form = h('form', { class: 'card form doc-form', novalidate: true, 'data-testid': 'credit-note-edit' },
    messages, h('div', { class: 'form-grid' }, c.issue_date.wrap, c.reason.wrap), editor.root,
    h('div', { class: 'form-actions' }, save, h('a', { href: pageHref, class: 'btn' }, t('common.cancel'))));
  root.replaceChildren(back, h('div', { class: 'page-header' }, pageTitle(t('cn.edit_title', { id: cn.id }))), form);
  const tracker = trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const x of Object.values(c)) x.setError('');
    editor.clearErrors();
    messages.replaceChildren();
    const all = read();
    const body = Object.fromEntries(Object.entries(all).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(initial[k])));
    if (!Object.keys(body).length) { toast(t('common.no_changes'), 'info'); navigate(pageHref); return; }
    save.disabled = true;
    try {
      await api('PATCH', `/api/v1/credit_notes/${cn.id}`, { body, ifMatch: etag });
      tracker.markClean();
      toast(entityText(entity, 'saved', { name: creditName(cn) }));
      navigate(pageHref);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showDocumentErrors(err, { controls: c, editor, messages });
      else if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'credit_note', () => navigate(location.pathname, { replace: true }));
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
    }
  });
  c.reason.focus();
}

export const routes = [
  [CREDIT_NOTES, creditNotesList],
  [`${CREDIT_NOTES}/:id/edit`, creditNoteEdit],
  [`${CREDIT_NOTES}/:id`, creditNotePage],
];
