// How a finance document reads on its page (invoices, credit notes,
// proposals): its status badge, its lines with each line's amount,
// the tax summary (each tax with its rate, base and amount, and the legal
// note of a reverse charge), and the totals. Everything shown is the
// server's figures as saved (src/finance/document.h); amounts are
// written exactly from the API's decimal texts in the member's formats.
import { h } from '../dom.js';
import { currencyDecimals, formatAmountText, formatDecimalText, formatPlainDate } from '../format.js';
import { t } from '../i18n.js';

/** The statuses of each kind, in their order of life. */
export const STATUSES = {
  invoice: ['draft', 'issued', 'sent', 'partially_paid', 'paid', 'overdue', 'cancelled'],
  credit_note: ['draft', 'issued'],
  proposal: ['draft', 'sent', 'accepted', 'declined', 'expired', 'invoiced'],
};

/** [value, label] of a kind's statuses, for filters (in the language of the moment). */
export const statusOptions = (kind) => STATUSES[kind].map((s) => [s, t(`doc.status.${s}`)]);

/** A status as a badge: "Partially paid". */
export function statusBadge(status, props = {}) {
  const known = Object.values(STATUSES).some((l) => l.includes(status));
  return h('span', { class: ['badge', known ? `badge-doc-${status}` : null], ...props },
    known ? t(`doc.status.${status}`) : String(status ?? ''));
}

/** An amount with its currency ("1.512,37 EUR"), right-aligned in tables. */
export function amount(text, currency, props = {}) {
  return h('span', { class: 'num nowrap', ...props }, formatAmountText(text, currency));
}

/** A calendar date, or a muted dash. */
export function plainDate(d) {
  return d ? formatPlainDate(d) : h('span', { class: 'muted', 'aria-label': t('common.empty') }, '—');
}

/** The percent of a rate or discount text: "19 %", "2,5 %". */
export const percent = (text) => `${formatDecimalText(text)} %`;

/** {tax_id: {name, rate, ...}} from a document's tax summary. */
export function taxesById(doc) {
  return Object.fromEntries((doc.taxes || []).map((x) => [x.tax_id, x]));
}

/** The line's taxes as text: "TVA 19 (19 %), …" (ids the summary does not name: #id). */
export function lineTaxesText(ids, known) {
  return (ids || []).map((id) => (known[id] ? `${known[id].name} (${percent(known[id].rate)})` : `#${id}`)).join(', ');
}

/** The lines of doc as a table, each with its amount (line_amounts). */
export function linesTable(doc, { caption = t('doc.lines') } = {}) {
  const places = currencyDecimals(doc.currency);
  const known = taxesById(doc);
  const lines = doc.lines || [];
  const head = [['#', 'num'], [t('doc.description')], [t('doc.quantity'), 'num'], [t('doc.unit')],
    [t('doc.unit_price'), 'num'], [t('doc.discount'), 'num'], [t('doc.taxes')], [t('doc.amount'), 'num']];
  const rows = lines.map((l, i) => h('tr', { dataset: { line: String(i + 1) } },
    h('td', { class: 'num muted' }, String(i + 1)),
    h('td', { class: 'pre doc-desc' }, l.description),
    h('td', { class: 'num nowrap' }, formatDecimalText(l.quantity)),
    h('td', null, l.unit || ''),
    h('td', { class: 'num nowrap' }, formatDecimalText(l.unit_price, { min: 2 })),
    h('td', { class: 'num nowrap' }, Number(l.discount) ? percent(l.discount) : ''),
    h('td', { class: 'doc-taxes-text' }, lineTaxesText(l.taxes, known)),
    h('td', { class: 'num nowrap', 'data-testid': `line-amount-${i + 1}` },
      formatDecimalText((doc.line_amounts || [])[i] ?? '', { min: places }))));
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table doc-lines' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, head.map(([label, cls]) => h('th', { scope: 'col', class: cls }, label)))),
      h('tbody', null, rows.length ? rows
        : h('tr', null, h('td', { colspan: String(head.length), class: 'muted' }, t('doc.no_lines'))))));
}

/** The tax summary: each tax with rate, base and amount, then the legal notes of reverse charges. */
export function taxSummary(doc) {
  const taxes = doc.taxes || [];
  if (!taxes.length) return h('p', { class: 'muted doc-no-taxes' }, t('doc.no_taxes'));
  const notes = taxes.filter((x) => x.reverse_charge || x.legal_note);
  return h('div', { class: 'doc-tax-summary' },
    h('table', { class: 'table table-compact' },
      h('caption', { class: 'visually-hidden' }, t('doc.tax_summary')),
      h('thead', null, h('tr', null, [[t('doc.tax')], [t('doc.rate'), 'num'], [t('doc.base'), 'num'], [t('doc.tax_amount'), 'num']]
        .map(([label, cls]) => h('th', { scope: 'col', class: cls }, label)))),
      h('tbody', null, taxes.map((x) => h('tr', { dataset: { tax: String(x.tax_id) } },
        h('td', null, x.name, x.reverse_charge
          ? h('span', { class: 'badge badge-warn badge-inline' }, t('doc.reverse_charge')) : null),
        h('td', { class: 'num nowrap' }, percent(x.rate)),
        h('td', { class: 'num nowrap' }, formatAmountText(x.base, doc.currency)),
        h('td', { class: 'num nowrap' }, formatAmountText(x.amount, doc.currency)))))),
    notes.length ? h('ul', { class: 'doc-legal', 'aria-label': t('doc.legal_notes') },
      notes.map((x) => h('li', { 'data-testid': `legal-${x.tax_id}` },
        h('strong', null, `${x.name}: `), x.legal_note || t('doc.reverse_charge_note')))) : null);
}

/**
 * The totals of doc: subtotal, taxes, total; with settlement (invoices)
 * also paid, credited and the balance due. Each value has a data-testid
 * (total-subtotal, total-tax, total-total, total-paid, total-credited,
 * total-balance).
 */
export function totalsList(doc, { settlement = false } = {}) {
  const rows = [
    ['subtotal', t('doc.subtotal'), doc.subtotal],
    ['tax', t('doc.tax_total'), doc.tax_total],
    ['total', t('doc.total'), doc.total, true],
  ];
  if (settlement) {
    rows.push(['paid', t('doc.amount_paid'), doc.amount_paid]);
    if (Number(doc.amount_credited)) rows.push(['credited', t('doc.amount_credited'), doc.amount_credited]);
    rows.push(['balance', t('doc.balance_due'), doc.balance_due, true]);
  }
  return h('dl', { class: 'doc-totals' }, rows.flatMap(([key, label, v, strong]) => [
    h('dt', { class: strong ? 'doc-total-strong' : null }, label),
    h('dd', { class: ['num', strong ? 'doc-total-strong' : null], 'data-testid': `total-${key}` },
      formatAmountText(v ?? '0', doc.currency)),
  ]));
}

/** The lines card and, under it, the tax summary beside the totals. */
export function documentFigures(doc, { settlement = false } = {}) {
  return [
    h('section', { class: 'card section', 'aria-labelledby': 'doc-lines-title' },
      h('div', { class: 'section-header' }, h('h2', { id: 'doc-lines-title', class: 'section-title' }, t('doc.lines'))),
      linesTable(doc)),
    h('div', { class: 'doc-figures' },
      h('section', { class: 'card section doc-figures-taxes', 'aria-labelledby': 'doc-taxes-title' },
        h('div', { class: 'section-header' }, h('h2', { id: 'doc-taxes-title', class: 'section-title' }, t('doc.tax_summary'))),
        h('div', { class: 'section-body' }, taxSummary(doc))),
      h('section', { class: 'card section doc-figures-totals', 'aria-labelledby': 'doc-totals-title' },
        h('div', { class: 'section-header' }, h('h2', { id: 'doc-totals-title', class: 'section-title' }, t('doc.totals'))),
        h('div', { class: 'section-body' }, totalsList(doc, { settlement })))),
  ];
}

/** A definition list of [label, value] pairs (values null: left out). */
export function facts(pairs) {
  return h('dl', { class: 'details doc-facts' },
    pairs.filter(([, v]) => v != null && v !== '').flatMap(([label, v, testid]) => [
      h('dt', null, label), h('dd', { 'data-testid': testid || null }, v)]));
}
