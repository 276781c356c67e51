// The proposal form (/admin/proposals/new and /admin/proposals/ID/edit)
// on the documents' form (doc_form.js): the subject, the proposal's date
// and the day it is open till besides what every document has. Editable
// while draft, sent (it keeps its number: send it again) or expired (a
// later open till, then send again); accepted, declined and invoiced
// proposals are frozen (src/finance/proposal.c), and the form says why.
import { t } from '../i18n.js';
import { documentFormPage } from './doc_form.js';

export const PROPOSALS = '/admin/proposals';

/** A proposal's name: its number, or "Draft #12" before it is first sent. */
export const proposalName = (p) => p.number || t('inv.draft_name', { id: p.id });

/** The statuses in which a proposal may still be changed. */
export const EDITABLE = ['draft', 'sent', 'expired'];

const SPEC = {
  kind: 'proposal', key: 'proposals', path: PROPOSALS, api: '/api/v1/proposals', subject: true,
  dates: [['date', 'prop.date_hint'], ['open_till', 'prop.open_till_hint']],
  editable: (rec) => EDITABLE.includes(rec.status),
  frozen: (rec) => ({ heading: t('prop.title_number', { number: proposalName(rec) }),
    title: t('prop.frozen'), detail: t(`prop.frozen_${rec.status}`) }),
  editTitle: (rec) => t('prop.edit_named', { name: proposalName(rec) }),
  created: (rec) => t('prop.created', { name: proposalName(rec) }),
  saved: (rec) => t('prop.saved', { name: proposalName(rec) }),
  text: { back: 'prop.back', edit: 'prop.edit_title', notesHint: 'prop.notes_hint', termsHint: 'prop.terms_hint' },
};

export const proposalFormPage = (ctx, root) => documentFormPage(SPEC, ctx, root);
