// A finance document's PDF and email (invoices, credit notes, proposals):
// the "Download PDF" link (GET .../pdf, the browser's download) and the
// "Send by email" dialog (POST .../send for invoices and credit notes,
// .../email for proposals, whose .../send only marks them sent: to the
// address given, else the document's contact, with an optional message
// and the PDF attached; src/finance/document_send.c). Only issued (or,
// for a proposal, sent) documents are emailed.
import { h } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { t } from '../i18n.js';
import { modal, problemBox, toast } from '../ui.js';
import { clearErrors, control, showFieldErrors } from '../forms.js';

/** The link that downloads the PDF of the document at path ('/api/v1/invoices/7'). */
export function pdfLink(path) {
  return h('a', { href: `${path}/pdf`, class: 'btn', download: '', 'data-testid': 'pdf-link' }, t('doc.download_pdf'));
}

/**
 * The dialog that emails the document at path with its PDF (POST
 * path/action); contactEmail is the address used when none is typed
 * (null: one must be). Resolves the document as sent, or null.
 */
export async function sendDialog({ path, action = 'send', title, contactEmail, returnFocus }) {
  const dlg = modal({ title, wide: true, returnFocus });
  const f = {
    to: control({ id: 'send-to', name: 'to', type: 'email', label: t('doc.send_to'), required: !contactEmail,
      placeholder: contactEmail || null,
      hint: contactEmail ? t('doc.send_to_hint', { email: contactEmail }) : t('doc.send_to_needed') }),
    message: control({ id: 'send-message', name: 'message', type: 'textarea', label: t('doc.send_message'), max: 2000, wide: true,
      hint: t('doc.send_message_hint') }),
  };
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('doc.send'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  cancel.addEventListener('click', () => dlg.close(null));
  const form = h('form', { class: 'dialog-form', novalidate: true, 'data-testid': 'send-form' },
    messages, h('p', { class: 'muted' }, t('doc.send_lead')),
    h('div', { class: 'form-grid' }, f.to.wrap, f.message.wrap),
    h('div', { class: 'dialog-actions' }, cancel, save));
  dlg.body.replaceChildren(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(f, messages);
    const body = {};
    if (f.to.get()) body.to = f.to.get();
    if (f.message.get()) body.message = f.message.get();
    save.disabled = true;
    try {
      const { data } = await api('POST', `${path}/${action}`, { body });
      dlg.close(data);
      toast(t('doc.sent', { email: data.sent_to }));
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showFieldErrors(err, f, messages);
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
    }
  });
  f.to.focus();
  return dlg.result;
}
