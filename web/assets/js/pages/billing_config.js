// Number series (/admin/billing/config): one form per document kind
// (invoice, proposal, credit note, contract) with its prefix, a format
// (typed, or filled from a preset), the padding, the yearly reset and the
// next number, and a preview of the next number that follows the inputs
// as they are typed (the saved preview comes from the server). Each form
// PATCHes only what changed to /api/v1/billing/number_series/{kind} with
// If-Match: a save over someone else's (412) shows the stale notice; every
// field error of a 422 is shown under its field. Above them, the billing
// settings' tax rounding rule of documents (per document or per line).
import { h, pageTitle } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { can } from '../session.js';
import { alertBox, loading, problemBox, toast } from '../ui.js';
import { clearErrors, control, errorMessage, radioGroup, showFieldErrors, staleNotice } from '../forms.js';
import { trackForm } from '../dirty.js';
import { t } from '../i18n.js';

const KINDS = ['invoice', 'proposal', 'credit_note', 'contract'];

/* The presets admins know (Perfex's number formats, and the Romanian
 * "series code, year, number"); "custom" keeps what is typed. */
const PRESETS = [
  ['number', '{PREFIX}{NUMBER}'],
  ['year', '{PREFIX}{YYYY}/{NUMBER}'],
  ['number_year', '{PREFIX}{NUMBER}-{YYYY}'],
  ['year_month', '{PREFIX}{YYYY}.{MM}/{NUMBER}'],
  ['series_year', '{PREFIX} {YYYY} {NUMBER}'],
];

/* The format rendered in the browser, as the server does (for the preview
 * while typing): null when it is not a format the server would take. */
export function renderFormat(format, { prefix, padding, number, year, month }) {
  if (typeof format !== 'string' || !format) return null;
  let numbers = 0;
  let bad = false;
  const out = format.replace(/\{([^{}]*)\}/g, (m, name) => {
    if (name === 'PREFIX') return prefix || '';
    if (name === 'YYYY') return String(year).padStart(4, '0');
    if (name === 'YY') return String(year % 100).padStart(2, '0');
    if (name === 'MM') return String(month).padStart(2, '0');
    const w = /^NUMBER(?::(\d{1,2}))?$/.exec(name);
    if (w && (!w[1] || (Number(w[1]) >= 1 && Number(w[1]) <= 12))) {
      numbers++;
      return String(number).padStart(w[1] ? Number(w[1]) : padding, '0');
    }
    bad = true;
    return m;
  });
  if (bad || numbers !== 1 || /[{}]/.test(out.replace(prefix || '', ''))) return null;
  return out;
}

/* Our own words for the codes only this screen gets. */
function seriesError(e, series) {
  if (e.code === 'year_required') return t('ns.err.year_required');
  if (e.code === 'below_issued') return t('ns.err.below_issued', { n: series.last_number + 1 });
  if (e.code === 'range' && e.field === 'padding') return t('ns.err.padding');
  if (e.code === 'invalid' && e.field === 'format') return t('ns.err.format', { detail: e.detail || '' });
  return errorMessage(e);
}

async function billingConfigPage(ctx, root) {
  ctx.setTitle(t('nav.billing_config'));
  const list = h('div', { class: 'settings-slot' }, loading());
  root.replaceChildren(h('div', { class: 'page-header' }, pageTitle(t('nav.billing_config'))),
    h('p', { class: 'muted form-lead' }, t('ns.lead')), list);
  let data;
  try {
    ({ data } = await api('GET', '/api/v1/billing/number_series', { signal: ctx.signal }));
  } catch (err) {
    if (!isAbort(err)) list.replaceChildren(problemBox(err));
    return;
  }
  const rounding = h('div', { class: 'settings-slot', 'data-testid': 'tax-rounding' });
  list.replaceChildren(rounding, ...KINDS.map((kind) => {
    const slot = h('div', { class: 'settings-slot', 'data-kind': kind });
    const s = data.items.find((x) => x.kind === kind);
    seriesForm(kind, slot, ctx.signal, s, null);
    return slot;
  }));
  roundingForm(rounding, ctx.signal);
}

/* The billing group's tax rounding rule (src/finance/document.h): per
 * document, the default, or per line; PATCH /api/v1/settings/billing with
 * the group's ETag. */
async function roundingForm(slot, signal) {
  let values;
  let etag;
  try {
    ({ data: { values }, etag } = await api('GET', '/api/v1/settings/billing', { signal }));
  } catch (err) {
    if (!isAbort(err)) slot.replaceChildren(problemBox(err));
    return;
  }
  const editable = can('settings', 'edit');
  const choice = radioGroup({ name: 'tax_rounding', label: t('billing.tax_rounding'), value: values.tax_rounding || 'document',
    items: [['document', t('billing.round_document'), t('billing.round_document_hint')],
      ['line', t('billing.round_line'), t('billing.round_line_hint')]] });
  if (!editable) for (const el of choice.wrap.querySelectorAll('input')) el.disabled = true;
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = editable ? h('button', { type: 'submit', class: 'btn btn-primary' }, t('billing.save')) : null;
  const form = h('form', { class: 'card form settings-form', novalidate: true, 'aria-labelledby': 'billing-rounding-title' },
    h('h2', { id: 'billing-rounding-title', class: 'section-title' }, t('billing.title')),
    h('p', { class: 'muted' }, t('billing.lead')),
    messages, h('div', { class: 'form-grid' }, choice.wrap), h('div', { class: 'form-actions' }, save));
  slot.replaceChildren(form);
  const tracker = editable ? trackForm(form) : null;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!save) return;
    messages.replaceChildren();
    const v = choice.get();
    if (v === values.tax_rounding) { toast(t('common.no_changes'), 'info'); return; }
    save.disabled = true;
    try {
      const res = await api('PATCH', '/api/v1/settings/billing', { body: { tax_rounding: v }, ifMatch: etag });
      values = res.data.values;
      etag = res.etag || etag;
      if (tracker) tracker.markClean();
      toast(t('billing.saved'));
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'section', () => roundingForm(slot, signal));
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
    }
  });
}

/* One kind's form in slot; s the series as loaded (its etag when known). */
async function seriesForm(kind, slot, signal, s, etagIn) {
  let series = s;
  let etag = etagIn;
  if (!series || !etag) {
    try {
      const r = await api('GET', `/api/v1/billing/number_series/${kind}`, { signal });
      series = r.data;
      etag = r.etag;
    } catch (err) {
      if (!isAbort(err)) slot.replaceChildren(problemBox(err));
      return;
    }
  }
  const editable = can('settings', 'edit');
  const id = (n) => `ns-${kind}-${n}`;
  const c = {
    prefix: control({ id: id('prefix'), name: 'prefix', label: t('ns.prefix'), max: 20, hint: t('ns.prefix_hint') }),
    preset: control({ id: id('preset'), name: 'preset', label: t('ns.preset'), type: 'select',
      options: [...PRESETS.map(([k]) => [k, t(`ns.preset.${k}`)]), ['custom', t('ns.preset.custom')]] }),
    format: control({ id: id('format'), name: 'format', label: t('ns.format'), max: 64, required: true,
      hint: t('ns.format_hint'), wide: true }),
    padding: control({ id: id('padding'), name: 'padding', label: t('ns.padding'), type: 'number', min: 1, maxValue: 12 }),
    next_number: control({ id: id('next'), name: 'next_number', label: t('ns.next_number'), type: 'number', min: 1,
      hint: series.last_number ? t('ns.next_hint', { n: series.last_number }) : t('ns.next_hint_none') }),
    yearly_reset: control({ id: id('reset'), name: 'yearly_reset', label: t('ns.yearly_reset'), type: 'checkbox',
      hint: t('ns.yearly_reset_hint'), wide: true }),
  };
  const preview = h('output', { class: 'ns-preview', 'data-testid': `preview-${kind}`, for: id('format') });
  const now = new Date();
  const paintPreview = () => {
    const text = renderFormat(c.format.input.value, {
      prefix: c.prefix.input.value, padding: Number(c.padding.input.value) || 1,
      number: Number(c.next_number.input.value) || 1,
      // The server decides the year in the organisation's zone; the
      // saved preview is its word, this one follows the inputs.
      year: series.period > now.getFullYear() ? series.period : now.getFullYear(), month: now.getMonth() + 1,
    });
    preview.textContent = text ?? t('ns.preview_invalid');
  };
  const fill = () => {
    for (const k of ['prefix', 'format', 'padding', 'next_number', 'yearly_reset']) c[k].set(series[k]);
    const p = PRESETS.find(([, f]) => f === series.format);
    c.preset.set(p ? p[0] : 'custom');
    preview.textContent = series.preview;
  };
  fill();
  c.preset.input.addEventListener('change', () => {
    const p = PRESETS.find(([k]) => k === c.preset.input.value);
    if (p) c.format.set(p[1]);
    paintPreview();
  });
  c.format.input.addEventListener('input', () => {
    const p = PRESETS.find(([, f]) => f === c.format.input.value);
    c.preset.set(p ? p[0] : 'custom');
  });
  for (const k of ['prefix', 'format', 'padding', 'next_number']) c[k].input.addEventListener('input', paintPreview);
  if (!editable) for (const x of Object.values(c)) x.input.disabled = true;

  const titleId = id('title');
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = editable ? h('button', { type: 'submit', class: 'btn btn-primary' }, t('ns.save')) : null;
  const form = h('form', { class: 'card form settings-form', novalidate: true, 'aria-labelledby': titleId },
    h('h2', { id: titleId, class: 'section-title' }, t(`ns.kind.${kind}`)),
    messages,
    h('div', { class: 'form-grid' }, c.prefix.wrap, c.preset.wrap, c.format.wrap, c.padding.wrap, c.next_number.wrap,
      c.yearly_reset.wrap,
      h('div', { class: 'field field-wide' }, h('span', { class: 'label' }, t('ns.preview')), preview)),
    h('div', { class: 'form-actions' }, save));
  slot.replaceChildren(form);
  const tracker = editable ? trackForm(form) : null;

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!save) return;
    const fields = { prefix: c.prefix, format: c.format, padding: c.padding, next_number: c.next_number,
      yearly_reset: c.yearly_reset };
    clearErrors(fields, messages);
    const body = {};
    for (const [k, x] of Object.entries(fields)) {
      let v = x.get();
      if (k === 'prefix' && v === null) v = '';
      if (JSON.stringify(v) !== JSON.stringify(series[k])) body[k] = v;
    }
    if (!Object.keys(body).length) { toast(t('common.no_changes'), 'info'); return; }
    save.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const res = await api('PATCH', `/api/v1/billing/number_series/${kind}`, { body, ifMatch: etag });
      series = res.data;
      etag = res.etag || etag;
      fill();
      if (tracker) tracker.markClean();
      messages.replaceChildren(alertBox('success', t('ns.saved', { kind: t(`ns.kind.${kind}`) }),
        t('ns.saved_detail', { preview: series.preview })));
      toast(t('ns.saved', { kind: t(`ns.kind.${kind}`) }));
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) {
        const errors = err.fieldErrors.map((e) => ({ ...e, detail: seriesError(e, series), code: 'ns' }));
        showFieldErrors({ ...err, fieldErrors: errors, title: err.title }, fields, messages);
      } else if (err instanceof ApiError && err.status === 412) {
        staleNotice(messages, 'section', () => seriesForm(kind, slot, signal, null, null));
      } else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

export const routes = [['/admin/billing/config', billingConfigPage]];
export const nav = [
  { path: '/admin/billing/config', key: 'nav.billing_config', label: 'Number series', module: 'settings', adminOnly: true,
    group: 'Administration', order: 12,
    icon: ['M4 4h16v16H4z', 'M8 9h8', 'M8 13h5', 'M8 17h3'] },
];
