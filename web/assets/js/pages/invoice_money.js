// The money of an invoice's page: recording a payment or a refund (a
// dialog: amount defaulting to the balance, date, the organisation's
// active payment modes with the default chosen, transaction id, note,
// every field error under its input), correcting or deleting one, the
// invoice's payments, making a credit note (a full reversal by default, or
// chosen lines) and the invoice's credit notes with Issue for a draft.
// src/finance/payment.c and credit_note.c; the invoice's balance and
// status follow each of these on the server, and the page is drawn again
// from its answer.
import { h } from '../dom.js';
import { api, ApiError, isAbort, randomKey } from '../api.js';
import { navigate } from '../router.js';
import { t, tOr } from '../i18n.js';
import { can } from '../session.js';
import { alertBox, confirmDialog, emptyState, loadStaff, loading, modal, problemBox, staffName, toast } from '../ui.js';
import { clearErrors, control, errorMessage, radioGroup, showFieldErrors } from '../forms.js';
import { formatAmountText, formatDecimalText, todayDate } from '../format.js';
import { parseDecimal, toInputDecimal } from '../numbers.js';
import { amount, plainDate, statusBadge } from './doc_view.js';

export const CREDIT_NOTES = '/admin/credit_notes';

/** The organisation's active payment modes (any member reads them: GET /api/v1/reference/finance). */
export async function loadModes(signal) {
  const { data } = await api('GET', '/api/v1/reference/finance', { signal });
  return data.payment_modes;
}

/** A payment mode's name from the modes loaded, else its id. */
export const modeName = (modes, id) => (id == null ? '' : ((modes || []).find((m) => m.id === id) || { name: `#${id}` }).name);

/** A credit note's name: its number, or "Draft #3" before it is issued. */
export const creditName = (cn) => cn.number || t('cn.draft_name', { id: cn.id });

const KINDS = () => [['payment', t('pay.kind.payment')], ['refund', t('pay.kind.refund')]];

/**
 * The dialog that records a payment of invoice inv (payment null) or
 * corrects payment. Resolves true when saved.
 */
export async function paymentDialog({ inv, payment = null, modes, returnFocus }) {
  const correcting = Boolean(payment);
  const dlg = modal({ title: correcting ? t('pay.correct_title') : t('pay.record_title', { name: inv.number || '' }), wide: true, returnFocus });
  const refundFirst = !correcting && !(Number(inv.balance_due) > 0);
  const suggested = (kind) => toInputDecimal(kind === 'refund' ? inv.amount_paid : inv.balance_due);
  const f = {
    kind: control({ id: 'pay-kind', name: 'kind', type: 'select', label: t('pay.kind'), options: KINDS(), hint: t('pay.kind_hint') }),
    amount: control({ id: 'pay-amount', name: 'amount', label: t('pay.amount_in', { currency: inv.currency }), required: true,
      hint: t('pay.amount_hint', { balance: formatAmountText(inv.balance_due, inv.currency) }) }),
    date: control({ id: 'pay-date', name: 'date', type: 'date', label: t('pay.date'), required: true }),
    transaction_id: control({ id: 'pay-transaction_id', name: 'transaction_id', label: t('pay.transaction_id'), max: 100,
      hint: t('pay.transaction_hint') }),
    note: control({ id: 'pay-note', name: 'note', type: 'textarea', label: t('pay.note'), max: 2000, wide: true }),
  };
  f.amount.input.setAttribute('inputmode', 'decimal');
  f.amount.input.classList.add('input-num');
  if (modes) {
    const opts = modes.map((m) => [String(m.id), m.name]);
    if (payment && payment.payment_mode_id != null && !opts.some(([v]) => v === String(payment.payment_mode_id))) {
      opts.push([String(payment.payment_mode_id), `#${payment.payment_mode_id}`]);
    }
    f.payment_mode_id = control({ id: 'pay-mode', name: 'payment_mode_id', type: 'select', label: t('pay.mode'),
      options: [['', '—'], ...opts] });
  }
  if (payment) {
    f.kind.set(payment.kind);
    f.amount.set(toInputDecimal(payment.amount));
    f.date.set(payment.date);
    f.transaction_id.set(payment.transaction_id);
    f.note.set(payment.note);
    if (f.payment_mode_id) f.payment_mode_id.set(payment.payment_mode_id == null ? '' : String(payment.payment_mode_id));
  } else {
    f.kind.set(refundFirst ? 'refund' : 'payment');
    f.amount.set(suggested(f.kind.get()));
    f.date.set(todayDate());
    const def = (modes || []).find((m) => m.is_default);
    if (f.payment_mode_id) f.payment_mode_id.set(def ? String(def.id) : '');
  }
  // A kind changed before the amount was touched: the amount it suggests.
  let touched = correcting;
  f.amount.input.addEventListener('input', () => { touched = true; });
  f.kind.input.addEventListener('change', () => { if (!touched) f.amount.set(suggested(f.kind.get())); });

  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, correcting ? t('common.save_changes') : t('pay.record'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  cancel.addEventListener('click', () => dlg.close(false));
  const form = h('form', { class: 'dialog-form', novalidate: true, 'data-testid': 'payment-form' },
    messages,
    h('div', { class: 'form-grid' }, f.kind.wrap, f.amount.wrap, f.date.wrap,
      f.payment_mode_id ? f.payment_mode_id.wrap : h('p', { class: 'hint field' }, t('pay.mode_default')),
      f.transaction_id.wrap, f.note.wrap),
    h('div', { class: 'dialog-actions' }, cancel, save));
  dlg.body.replaceChildren(form);
  let lastBody = null;
  let idemKey = null;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(f, messages);
    const typed = f.amount.input.value;
    const parsed = parseDecimal(typed);
    const all = {
      kind: f.kind.get(), amount: parsed === '' ? null : parsed === null ? typed.trim() : parsed,
      date: f.date.get(), transaction_id: f.transaction_id.get(), note: f.note.get(),
    };
    if (f.payment_mode_id) all.payment_mode_id = f.payment_mode_id.get() ? Number(f.payment_mode_id.get()) : null;
    let body;
    if (correcting) {
      body = Object.fromEntries(Object.entries(all).filter(([k, v]) => {
        const was = payment[k];
        return k === 'amount' ? String(was) !== v : JSON.stringify(v ?? null) !== JSON.stringify(was ?? null);
      }));
      if (!Object.keys(body).length) { dlg.close(false); toast(t('common.no_changes'), 'info'); return; }
    } else {
      body = { invoice_id: inv.id, ...Object.fromEntries(Object.entries(all).filter(([, v]) => v !== null)) };
      if (all.amount === null) body.amount = null; // required: the server names it
    }
    // The same key only for the very same body sent again (a network error).
    const text = JSON.stringify(body);
    if (text !== lastBody) { lastBody = text; idemKey = randomKey(); }
    save.disabled = true;
    try {
      if (correcting) await api('PATCH', `/api/v1/payments/${payment.id}`, { body, ifMatch: `"${payment.version}"` });
      else await api('POST', '/api/v1/payments', { body, idempotencyKey: idemKey });
      dlg.close(true);
      toast(correcting ? t('pay.corrected') : t(all.kind === 'refund' ? 'pay.refund_recorded' : 'pay.recorded'));
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showFieldErrors(err, f, messages);
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
    }
  });
  f.amount.focus();
  f.amount.input.select();
  return (await dlg.result) === true;
}

/** The invoice's payments and refunds, each with Correct and Delete for who may. */
export function paymentsSection(inv, { signal, modes, onChange }) {
  const titleId = 'invoice-payments-title';
  const body = h('div', null, loading());
  const all = h('a', { href: `/admin/payments?invoice_id=${inv.id}` }, t('pay.all_of_invoice'));
  const section = h('section', { class: 'card section', 'aria-labelledby': titleId, 'data-testid': 'invoice-payments' },
    h('div', { class: 'section-header' }, h('h2', { id: titleId, class: 'section-title' }, t('pay.title')), all),
    body);
  (async () => {
    try {
      const [{ data }, staff] = await Promise.all([
        api('GET', '/api/v1/payments', { query: { invoice_id: inv.id, limit: 200, sort: '-date' }, signal }), loadStaff(signal)]);
      const rows = data.data || [];
      if (!rows.length) { body.replaceChildren(emptyState(t('pay.none'))); return; }
      const actions = (p) => {
        const out = [];
        if (can('payments', 'edit')) {
          const b = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('pay.correct_one', { date: p.date }) }, t('pay.correct'));
          b.addEventListener('click', async () => { if (await paymentDialog({ inv, payment: p, modes, returnFocus: b })) onChange(); });
          out.push(b);
        }
        if (can('payments', 'delete')) {
          const b = h('button', { type: 'button', class: 'btn btn-sm btn-danger-outline', 'aria-label': t('pay.delete_one', { date: p.date }) },
            t('common.delete'));
          b.addEventListener('click', async () => {
            if (!await confirmDialog({ title: t('pay.delete_q'), message: t('pay.delete_message'), confirmLabel: t('common.delete'), danger: true })) return;
            try {
              await api('DELETE', `/api/v1/payments/${p.id}`, { ifMatch: `"${p.version}"` });
              toast(t('pay.deleted'));
              onChange();
            } catch (err) { if (!isAbort(err)) body.prepend(problemBox(err)); }
          });
          out.push(b);
        }
        return out;
      };
      body.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
        h('caption', { class: 'visually-hidden' }, t('pay.title')),
        h('thead', null, h('tr', null, [[t('pay.date')], [t('pay.kind')], [t('pay.amount'), 'num'], [t('pay.mode')],
          [t('pay.transaction_id')], [t('pay.note')], [t('pay.recorded_by')], [t('common.actions'), null, true]]
          .map(([l, cls, hidden]) => h('th', { scope: 'col', class: cls }, hidden ? h('span', { class: 'visually-hidden' }, l) : l)))),
        h('tbody', null, rows.map((p) => h('tr', { dataset: { payment: String(p.id) } },
          h('td', { class: 'nowrap' }, plainDate(p.date)),
          h('td', null, h('span', { class: ['badge', `badge-pay-${p.kind}`] }, t(`pay.kind.${p.kind}`))),
          h('td', { class: 'num' }, amount(p.kind === 'refund' ? `-${p.amount}` : p.amount, inv.currency)),
          h('td', null, modeName(modes, p.payment_mode_id)),
          h('td', { class: 'mono' }, p.transaction_id || ''),
          h('td', { class: 'pre' }, p.note || ''),
          h('td', { class: 'nowrap' }, staffName(staff, p.recorded_by)),
          h('td', { class: 'actions-cell' }, actions(p))))))));
    } catch (err) {
      if (!isAbort(err)) body.replaceChildren(problemBox(err));
    }
  })();
  return section;
}

/**
 * The dialog that makes a credit note of invoice inv: a full reversal (its
 * lines), or the lines chosen, with a reason. Goes to the new draft's page.
 */
export async function creditNoteDialog({ inv, returnFocus }) {
  const dlg = modal({ title: t('cn.create_title', { name: inv.number }), wide: true, returnFocus });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  let mode = 'full';
  const picks = (inv.lines || []).map((l, i) => {
    const id = `cn-line-${i}`;
    const box = h('input', { id, type: 'checkbox', class: 'checkbox', value: String(i) });
    const text = `${i + 1}. ${l.description.split('\n')[0]} — ${formatDecimalText(l.quantity)} × ${formatDecimalText(l.unit_price, { min: 2 })}`
      + ` = ${formatAmountText((inv.line_amounts || [])[i] || '0', inv.currency)}`;
    return { box, line: l, row: h('div', { class: 'check-row' }, box, h('label', { for: id }, text)) };
  });
  const lineError = h('p', { id: 'cn-lines-error', class: 'field-error', hidden: true });
  const chooser = h('fieldset', { class: 'fieldset field', hidden: true, 'aria-describedby': lineError.id },
    h('legend', { class: 'label' }, t('cn.lines_to_reverse')), picks.map((p) => p.row), lineError);
  const how = radioGroup({ name: 'cn-mode', label: t('cn.how'), value: 'full', items: [
    ['full', t('cn.full'), t('cn.full_hint', { total: formatAmountText(inv.total, inv.currency) })],
    ['lines', t('cn.part'), t('cn.part_hint')]],
  onChange: (v) => { mode = v; chooser.hidden = v !== 'lines'; } });
  const reason = control({ id: 'cn-reason', name: 'reason', type: 'textarea', label: t('cn.reason'), max: 2000, wide: true,
    hint: t('cn.reason_hint') });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('cn.create'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  cancel.addEventListener('click', () => dlg.close(null));
  const form = h('form', { class: 'dialog-form', novalidate: true, 'data-testid': 'credit-note-form' },
    messages, h('p', { class: 'muted' }, t('cn.create_lead')), how.wrap, chooser, reason.wrap,
    h('div', { class: 'dialog-actions' }, cancel, save));
  dlg.body.replaceChildren(form);
  let lastBody = null;
  let idemKey = null;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors({ reason }, messages);
    lineError.hidden = true;
    const body = { invoice_id: inv.id };
    if (reason.get()) body.reason = reason.get();
    if (mode === 'lines') {
      body.lines = picks.filter((p) => p.box.checked).map((p) => p.line);
      if (!body.lines.length) {
        lineError.textContent = t('cn.choose_a_line');
        lineError.hidden = false;
        (picks[0] ? picks[0].box : chooser).focus();
        return;
      }
    }
    const text = JSON.stringify(body);
    if (text !== lastBody) { lastBody = text; idemKey = randomKey(); }
    save.disabled = true;
    try {
      const { data } = await api('POST', '/api/v1/credit_notes', { body, idempotencyKey: idemKey });
      dlg.close(data);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showFieldErrors(err, { reason }, messages);
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
    }
  });
  how.focus();
  const made = await dlg.result;
  if (made) {
    toast(t('cn.created'));
    navigate(`${CREDIT_NOTES}/${made.id}`);
  }
  return made;
}

/**
 * Issues credit note cn after a confirmation (etag: its version as
 * loaded). Resolves the issued note, or null (cancelled or refused: the
 * refusal is shown in messages).
 */
export async function issueCreditNote(cn, { etag, messages }) {
  const ok = await confirmDialog({ title: t('cn.issue_q'), message: t('cn.issue_message'), confirmLabel: t('cn.issue') });
  if (!ok) return null;
  try {
    const { data } = await api('POST', `/api/v1/credit_notes/${cn.id}/issue`, { body: {}, ifMatch: etag || `"${cn.version}"` });
    toast(t('cn.issued', { number: data.number }));
    return data;
  } catch (err) {
    if (isAbort(err)) return null;
    messages.replaceChildren(refusal(err));
    messages.focus();
    return null;
  }
}

/** An action's refusal: a 422's fields as sentences, else the problem. */
export function refusal(err) {
  if (err instanceof ApiError && err.status === 422 && err.fieldErrors.length) {
    return alertBox('error', t('doc.refused'), null,
      h('ul', { class: 'error-list' }, err.fieldErrors.map((e) => h('li', null,
        `${tOr(`doc.field.${e.field}`, e.field)}: ${errorMessage(e)}`))));
  }
  return problemBox(err);
}

/** The invoice's credit notes, with Issue on a draft for who may. */
export function creditNotesSection(inv, { signal, onChange }) {
  const titleId = 'invoice-credits-title';
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const body = h('div', null, loading());
  const section = h('section', { class: 'card section', 'aria-labelledby': titleId, 'data-testid': 'invoice-credit-notes' },
    h('div', { class: 'section-header' }, h('h2', { id: titleId, class: 'section-title' }, t('cn.title'))),
    messages, body);
  api('GET', '/api/v1/credit_notes', { query: { invoice_id: inv.id, limit: 100, sort: '-id' }, signal })
    .then(({ data }) => {
      const rows = data.data || [];
      if (!rows.length) { body.replaceChildren(emptyState(t('cn.none_for_invoice'))); return; }
      body.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
        h('caption', { class: 'visually-hidden' }, t('cn.title')),
        h('thead', null, h('tr', null, [[t('doc.number')], [t('doc.status')], [t('doc.issue_date')], [t('doc.total'), 'num'],
          [t('common.actions'), null, true]].map(([l, cls, hidden]) => h('th', { scope: 'col', class: cls },
          hidden ? h('span', { class: 'visually-hidden' }, l) : l)))),
        h('tbody', null, rows.map((cn) => {
          let issue = null;
          if (cn.status === 'draft' && can('credit_notes', 'edit')) {
            issue = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('cn.issue_one', { name: creditName(cn) }) }, t('cn.issue'));
            issue.addEventListener('click', async () => { if (await issueCreditNote(cn, { messages })) onChange(); });
          }
          return h('tr', { dataset: { credit: String(cn.id) } },
            h('td', { class: 'nowrap' }, h('a', { href: `${CREDIT_NOTES}/${cn.id}` }, creditName(cn))),
            h('td', null, statusBadge(cn.status)),
            h('td', { class: 'nowrap' }, plainDate(cn.issue_date)),
            h('td', { class: 'num' }, amount(cn.total, cn.currency)),
            h('td', { class: 'actions-cell' }, issue));
        })))));
    })
    .catch((err) => { if (!isAbort(err)) body.replaceChildren(problemBox(err)); });
  return section;
}
