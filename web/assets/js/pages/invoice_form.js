// The invoice form (/admin/invoices/new and /admin/invoices/ID/edit, a
// draft only) on the documents' form (doc_form.js): the issue and due
// dates besides what every document has.
import { t } from '../i18n.js';
import { documentFormPage } from './doc_form.js';

export const INVOICES = '/admin/invoices';

/** An invoice's name: its number, or "Draft #12" before it is issued. */
export const invoiceName = (inv) => inv.number || t('inv.draft_name', { id: inv.id });

const SPEC = {
  kind: 'invoice', key: 'invoices', path: INVOICES, api: '/api/v1/invoices', subject: false,
  dates: [['issue_date', 'inv.issue_date_hint'], ['due_date', null]],
  editable: (rec) => rec.status === 'draft',
  frozen: (rec) => ({ heading: t('inv.title_number', { number: rec.number }),
    title: t('inv.issued_no_edit'), detail: t('inv.issued_no_edit_detail') }),
  editTitle: (rec) => t('inv.edit_draft', { id: rec.id }),
  created: (rec) => t('inv.created', { id: rec.id }),
  saved: (rec) => t('inv.saved', { id: rec.id }),
  text: { back: 'inv.back_to_invoice', edit: 'inv.edit_title', notesHint: 'inv.notes_hint', termsHint: 'inv.terms_hint' },
};

export const invoiceFormPage = (ctx, root) => documentFormPage(SPEC, ctx, root);
