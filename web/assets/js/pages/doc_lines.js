// The line editor of a finance document's form (invoices, credit notes,
// proposals): one row per line with its description (several
// lines of text), quantity, unit, unit price, discount in percent and
// taxes (checkboxes of the active taxes), rows added, removed and moved up
// or down, and a live preview of each line's amount and of the totals
// computed in the browser (doc_math.js: the server's rules, exactly). The
// preview is feedback only: the form saves the lines and shows the
// server's figures after. A 422's errors named lines[2].quantity land
// under that row's input, lines[2] under the row, lines under the editor.
//
// const ed = lineEditor({
//   id: 'invoice-lines',          prefix of element ids
//   taxes: [{id, name, rate, reverse_charge, active}],   offered (active) and
//                                 known (those the lines already name)
//   currency: 'EUR', rule: 'document' | 'line', ruleKnown: false when the
//                                 member may not read it (the preview says so),
//   lines: [...],                 the record's lines (canonical API form)
//   hint: 'text',                 under the title (optional)
// });
// form.append(ed.root); ed.get() → lines for the API; ed.setErrors(errors)
// → the errors it placed ([{field, label, focus()}]); ed.clearErrors();
// ed.setCurrency('RON') (the preview's places).
import { h, icon, nextId } from '../dom.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { currencyDecimals, formatAmountText, formatDecimalText } from '../format.js';
import { parseDecimal, toInputDecimal, DECIMAL } from '../numbers.js';
import { computeDocument } from '../doc_math.js';
import { errorMessage } from '../forms.js';
import { alertBox, sentence } from '../ui.js';
import { percent } from './doc_view.js';

const MAX_LINES = 500; // DOC_LINES_MAX
const UP = ['M6 15l6-6 6 6'];
const DOWN = ['M6 9l6 6 6-6'];
const REMOVE = ['M6 6l12 12', 'M18 6L6 18'];
const PLUS = ['M12 5v14', 'M5 12h14'];
const MEMBERS = ['description', 'quantity', 'unit', 'unit_price', 'discount', 'taxes'];

/* A typed number as the API takes it: canonical when it can be read, as
 * typed when not (the server names it), null when empty. */
function decimalOf(raw) {
  const v = parseDecimal(raw);
  return v === '' ? null : v === null ? String(raw).trim() : v;
}

export function lineEditor(opts) {
  const base = opts.id || nextId('lines');
  const taxes = opts.taxes || [];
  let currency = opts.currency || '';
  const rule = opts.rule || 'document';
  const rows = [];
  const list = h('ol', { class: 'doc-line-list' });
  const errorBox = h('p', { id: `${base}-error`, class: 'field-error', hidden: true });
  const add = h('button', { type: 'button', class: 'btn', 'data-testid': 'add-line' }, icon(PLUS), t('doc.add_line'));
  const empty = h('p', { class: 'muted doc-lines-empty' }, t('doc.no_lines_yet'));
  const previewBox = h('div', { class: 'doc-preview', 'aria-live': 'polite' });
  const status = h('p', { class: 'visually-hidden', role: 'status' });
  const head = h('div', { class: 'doc-line-head', 'aria-hidden': 'true' },
    ['#', t('doc.description'), t('doc.quantity'), t('doc.unit'), t('doc.unit_price'), t('doc.discount_pct'),
      t('doc.taxes'), t('doc.amount'), ''].map((x) => h('span', null, x)));

  const places = () => Math.min(2, currencyDecimals(currency));
  const rates = () => Object.fromEntries(taxes.map((x) => [x.id, x.rate]));

  const memberLabel = (member) => t(`doc.${member === 'discount' ? 'discount_pct' : member}`);

  /* A labelled input with its error slot under it. Its accessible name
   * says the line ("Quantity, line 2", set by renumber): the label shows
   * on narrow screens, the column heads on wide ones. */
  function cell(row, member, input, cls) {
    const error = h('p', { id: `${input.id}-error`, class: 'field-error', hidden: true });
    row.errors[member] = { error, input };
    row.named.push([input, memberLabel(member)]);
    return h('div', { class: ['doc-line-cell', `doc-line-${member}`, cls] },
      h('label', { for: input.id, class: 'doc-line-label' }, memberLabel(member)), input, error);
  }

  function makeRow(line) {
    const key = nextId(`${base}-row`);
    const row = { key, n: 0, errors: {}, named: [] };
    const num = (name, value, placeholder) => h('input', { id: `${key}-${name}`, class: 'input input-num', type: 'text',
      inputmode: 'decimal', autocomplete: 'off', placeholder, value: value == null ? '' : toInputDecimal(value) });
    row.description = h('textarea', { id: `${key}-description`, class: 'input', rows: 2, value: line.description || '' });
    row.quantity = num('quantity', line.quantity ?? '1', '1');
    row.unit = h('input', { id: `${key}-unit`, class: 'input', type: 'text', autocomplete: 'off', value: line.unit || '',
      placeholder: t('doc.unit_placeholder') });
    row.unit_price = num('unit_price', line.unit_price, `0${DECIMAL}00`);
    row.discount = num('discount', line.discount && Number(line.discount) ? line.discount : '', '0');
    const chosen = new Set((line.taxes || []).map(Number));
    // Offered: the active taxes, and any the line names already (an
    // inactive one stays visible, so it can be taken off).
    const offered = taxes.filter((x) => x.active !== false || chosen.has(x.id));
    for (const id of chosen) if (!offered.some((x) => x.id === id)) offered.push({ id, name: `#${id}`, rate: null });
    row.taxBoxes = offered.map((x) => {
      const boxId = `${key}-tax-${x.id}`;
      const box = h('input', { id: boxId, type: 'checkbox', class: 'checkbox', value: String(x.id), checked: chosen.has(x.id) });
      const text = x.rate == null ? x.name : `${x.name} (${percent(x.rate)})`;
      return { id: x.id, box, row: h('div', { class: 'check-row' }, box,
        h('label', { for: boxId }, text, x.active === false ? h('span', { class: 'muted' }, ` (${t('fin.inactive').toLowerCase()})`) : null)) };
    });
    const taxError = h('p', { id: `${key}-taxes-error`, class: 'field-error', hidden: true });
    row.taxSet = h('fieldset', { class: 'doc-line-cell doc-line-taxes', 'aria-describedby': taxError.id },
      h('legend', { class: 'doc-line-label' }, t('doc.taxes')),
      row.taxBoxes.length ? h('div', { class: 'doc-tax-boxes' }, row.taxBoxes.map((b) => b.row))
        : h('p', { class: 'muted small' }, t('doc.no_taxes_offered')),
      taxError);
    row.errors.taxes = { error: taxError, input: row.taxBoxes[0] ? row.taxBoxes[0].box : row.taxSet };
    row.named.push([row.taxSet, t('doc.taxes')]);
    row.amount = h('output', { class: 'num doc-line-amount', for: `${key}-quantity ${key}-unit_price ${key}-discount` });
    row.lineError = h('p', { id: `${key}-error`, class: 'field-error doc-line-error', hidden: true });
    row.numberEl = h('span', { class: 'doc-line-number', 'aria-hidden': 'true' });
    row.up = h('button', { type: 'button', class: 'btn btn-ghost btn-icon btn-sm' }, icon(UP));
    row.down = h('button', { type: 'button', class: 'btn btn-ghost btn-icon btn-sm' }, icon(DOWN));
    row.remove = h('button', { type: 'button', class: 'btn btn-ghost btn-icon btn-sm doc-line-remove' }, icon(REMOVE));
    row.el = h('li', { class: 'doc-line', dataset: { key } },
      row.numberEl,
      cell(row, 'description', row.description),
      cell(row, 'quantity', row.quantity),
      cell(row, 'unit', row.unit),
      cell(row, 'unit_price', row.unit_price),
      cell(row, 'discount', row.discount),
      row.taxSet,
      h('div', { class: 'doc-line-cell doc-line-amount-cell' },
        h('span', { class: 'doc-line-label', 'aria-hidden': 'true' }, t('doc.amount')), row.amount),
      h('div', { class: 'doc-line-actions' }, row.up, row.down, row.remove),
      row.lineError);
    row.el.addEventListener('input', paintPreview);
    row.el.addEventListener('change', paintPreview);
    row.up.addEventListener('click', () => move(row, -1));
    row.down.addEventListener('click', () => move(row, 1));
    row.remove.addEventListener('click', () => removeRow(row));
    return row;
  }

  /* Numbers, labels and button states after a change of order or count. */
  function renumber() {
    rows.forEach((row, i) => {
      row.n = i + 1;
      row.el.dataset.line = String(row.n);
      row.numberEl.textContent = String(row.n);
      for (const [el, text] of row.named) el.setAttribute('aria-label', `${text}, ${t('doc.line_n', { n: row.n })}`);
      row.up.disabled = i === 0;
      row.down.disabled = i === rows.length - 1;
      for (const [b, k] of [[row.up, 'doc.move_up'], [row.down, 'doc.move_down'], [row.remove, 'doc.remove_line']]) {
        b.setAttribute('aria-label', t(k, { n: row.n }));
        b.title = t(k, { n: row.n });
      }
      row.amount.dataset.testid = `preview-amount-${row.n}`;
    });
    list.replaceChildren(...rows.map((r) => r.el));
    empty.hidden = rows.length > 0;
    head.hidden = rows.length === 0;
    add.disabled = rows.length >= MAX_LINES;
    paintPreview();
  }

  function addRow(line = {}, focus = true) {
    if (rows.length >= MAX_LINES) return;
    const row = makeRow(line);
    rows.push(row);
    renumber();
    if (focus) {
      row.description.focus();
      status.textContent = t('doc.line_added', { n: row.n });
    }
  }

  function move(row, by) {
    const i = rows.indexOf(row);
    const j = i + by;
    if (j < 0 || j >= rows.length) return;
    rows.splice(i, 1);
    rows.splice(j, 0, row);
    renumber();
    status.textContent = t('doc.line_moved', { n: row.n });
    (by < 0 ? (row.up.disabled ? row.down : row.up) : (row.down.disabled ? row.up : row.down)).focus();
  }

  function removeRow(row) {
    const i = rows.indexOf(row);
    rows.splice(i, 1);
    renumber();
    status.textContent = t('doc.line_removed', { n: i + 1 });
    const next = rows[i] || rows[i - 1];
    (next ? next.description : add).focus();
  }

  add.addEventListener('click', () => addRow());

  /** The lines as the API takes them, in order. */
  function get() {
    return rows.map((r) => {
      const unit = r.unit.value.trim();
      const line = {
        description: r.description.value,
        quantity: decimalOf(r.quantity.value),
        unit: unit === '' ? null : unit,
        unit_price: decimalOf(r.unit_price.value),
        taxes: r.taxBoxes.filter((b) => b.box.checked).map((b) => b.id).sort((a, b) => a - b),
      };
      const d = decimalOf(r.discount.value);
      if (d !== null) line.discount = d;
      return line;
    });
  }

  function paintPreview() {
    const lines = get();
    const fig = computeDocument(lines, rates(), { rule, places: places() });
    rows.forEach((r, i) => {
      const a = fig.amounts[i];
      r.amount.textContent = a === null ? '—' : formatDecimalText(a, { min: places() });
    });
    if (!lines.length) { previewBox.replaceChildren(); return; }
    const names = Object.fromEntries(taxes.map((x) => [x.id, x]));
    const money = (v) => (v === null ? '—' : formatAmountText(v, currency));
    previewBox.replaceChildren(
      h('p', { class: 'doc-preview-title' }, t('doc.preview')),
      h('dl', { class: 'doc-totals' },
        h('dt', null, t('doc.subtotal')), h('dd', { class: 'num', 'data-testid': 'preview-subtotal' }, money(fig.subtotal)),
        fig.taxes.map((x) => [
          h('dt', null, names[x.tax_id] ? `${names[x.tax_id].name} (${percent(names[x.tax_id].rate)})` : `#${x.tax_id}`),
          h('dd', { class: 'num' }, money(x.amount))]),
        h('dt', { class: 'doc-total-strong' }, t('doc.total')),
        h('dd', { class: 'num doc-total-strong', 'data-testid': 'preview-total' }, money(fig.total))),
      h('p', { class: 'hint' }, t(opts.ruleKnown === false ? 'doc.preview_hint_unknown'
        : rule === 'line' ? 'doc.preview_hint_line' : 'doc.preview_hint_document')));
  }

  function setError(slot, input, message) {
    slot.textContent = message || '';
    slot.hidden = !message;
    if (input && input.setAttribute) {
      if (message) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
      if (message && input.tagName !== 'FIELDSET') input.setAttribute('aria-describedby', slot.id);
      else if (input.tagName !== 'FIELDSET') input.removeAttribute('aria-describedby');
    }
  }

  function clearErrors() {
    setError(errorBox, null, '');
    for (const r of rows) {
      for (const { error, input } of Object.values(r.errors)) setError(error, input, '');
      setError(r.lineError, null, '');
      r.el.classList.remove('doc-line-invalid');
    }
  }

  /**
   * Places the errors of a 422 that name lines (lines, lines[i],
   * lines[i].member); returns [{field, label, text, focus()}] for the
   * summary, one per error placed.
   */
  function setErrors(errors) {
    const placed = [];
    for (const e of errors) {
      const m = /^lines(?:\[(\d+)\](?:\.(\w+))?)?$/.exec(String(e.field || ''));
      if (!m) continue;
      const text = errorMessage(e);
      const row = m[1] !== undefined ? rows[Number(m[1])] : null;
      if (!row) {
        setError(errorBox, null, errorBox.hidden ? text : `${errorBox.textContent} ${text}`);
        placed.push({ field: e.field, label: t('doc.lines'), text, focus: () => (rows[0] ? rows[0].description : add).focus() });
        continue;
      }
      row.el.classList.add('doc-line-invalid');
      const slot = m[2] && MEMBERS.includes(m[2]) ? row.errors[m[2]] : null;
      const where = `${t('doc.line_n_cap', { n: row.n })}${slot ? `, ${t(`doc.${m[2] === 'discount' ? 'discount_pct' : m[2]}`)}` : ''}`;
      if (slot) {
        if (slot.error.hidden) setError(slot.error, slot.input, text);
        placed.push({ field: e.field, label: where, text, focus: () => slot.input.focus() });
      } else {
        // The line as a whole (quantity × price too large), or a member
        // the editor does not have.
        const msg = m[2] ? `${m[2]}: ${text}` : text;
        setError(row.lineError, null, row.lineError.hidden ? msg : `${row.lineError.textContent} ${msg}`);
        placed.push({ field: e.field, label: where, text, focus: () => row.description.focus() });
      }
    }
    return placed;
  }

  function set(lines) {
    rows.length = 0;
    for (const l of lines || []) rows.push(makeRow(l));
    renumber();
  }

  set(opts.lines);
  const titleId = `${base}-title`;
  const root = h('section', { class: 'doc-line-editor', 'aria-labelledby': titleId, id: base },
    h('h2', { id: titleId, class: 'form-subtitle' }, t('doc.lines')),
    opts.hint ? h('p', { class: 'hint' }, opts.hint) : null,
    errorBox, head, list, empty,
    h('div', { class: 'doc-line-footer' }, add, previewBox),
    status);
  return {
    root, get, set, setErrors, clearErrors,
    addRow: (line) => addRow(line, false),
    setCurrency(code) { currency = code || ''; paintPreview(); },
    focus() { (rows[0] ? rows[0].description : add).focus(); },
    get count() { return rows.length; },
  };
}

/**
 * What a document form's line editor needs: the taxes to offer (the
 * active ones, with those doc's lines already name from its summary) and
 * the organisation's tax rounding rule. Returns {taxes, rule, ruleKnown,
 * taxesReadable} (the last two always true now that any member reads them).
 */
export async function loadLineSetup(signal, doc) {
  // Every member who writes documents may read what their form offers
  // (GET /api/v1/reference/finance needs a session, not taxes.view).
  const { data: ref } = await api('GET', '/api/v1/reference/finance', { signal });
  const taxes = ref.taxes.map((x) => ({ id: x.id, name: x.name, rate: x.rate, reverse_charge: x.reverse_charge, active: true }));
  for (const x of (doc && doc.taxes) || []) {
    if (!taxes.some((y) => y.id === x.tax_id)) {
      taxes.push({ id: x.tax_id, name: x.name, rate: x.rate, reverse_charge: x.reverse_charge, active: false });
    }
  }
  return { taxes, rule: ref.tax_rounding === 'line' ? 'line' : 'document', ruleKnown: true, taxesReadable: true };
}

/**
 * Shows a document form's 422: each error under its control (controls:
 * {name: {label, setError(text), focus()}}; custom fields by their name)
 * or under its line in the editor, and a summary in messages linking to
 * each, in the server's order; focuses the first.
 */
export function showDocumentErrors(err, { controls, editor, messages }) {
  const errors = err.fieldErrors;
  const placed = editor ? editor.setErrors(errors) : [];
  const done = new Set();
  const items = [];
  for (const e of errors) {
    const field = String(e.field || '');
    const line = placed.find((p) => p.field === field && !p.used);
    if (line) { line.used = true; items.push(line); continue; }
    const name = field.startsWith('custom_fields.') ? field.slice(14).split(/[.[]/)[0] : field.split(/[.[]/)[0];
    const c = controls[name];
    const text = errorMessage(e);
    if (c && !done.has(c)) { c.setError(text); done.add(c); }
    items.push(c ? { label: c.label, text, focus: () => c.focus() } : { label: field || t('form.request'), text, focus: null });
  }
  const list = items.map((x) => {
    if (!x.focus) return h('li', null, `${x.label}: ${x.text}`);
    const a = h('a', { href: '#' }, `${x.label}: ${x.text}`);
    a.addEventListener('click', (ev) => { ev.preventDefault(); x.focus(); });
    return h('li', null, a);
  });
  messages.replaceChildren(alertBox('error', items.length ? t('form.correct_fields', { count: items.length }) : sentence(err.title),
    items.length ? null : err.detail, items.length ? h('ul', { class: 'error-list' }, list) : null));
  const first = items.find((x) => x.focus);
  if (first) first.focus(); else messages.focus();
}
