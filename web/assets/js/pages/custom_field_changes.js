// Safe changes of a custom field (src/admin/custom_field_change.c), as the
// form uses them: the input of a field's own type (for its default and a
// fill value), the preview of a change (POST .../preview) with the values
// that would not convert, the dialog asking what to fill the records
// without a value with when a field becomes required, the toast that says
// what a save changed, and the delete confirmation.
import { h } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { entityByLogName } from '../entities.js';
import { alertBox, confirmDialog, modal, sentence } from '../ui.js';
import { errorMessage } from '../forms.js';
import { fieldControl, fillReferences } from './form.js';
import { t } from '../i18n.js';

// A custom field type → the generic form's input type (pages/form.js).
const INPUT = {
  text: 'text', textarea: 'textarea', number: 'decimal', select: 'select', multi_select: 'multiselect',
  checkbox: 'checkbox', date: 'date', datetime: 'datetime', email: 'email', url: 'url', phone: 'tel',
  money: 'money', link: 'reference',
};
const CF = { singular: 'cf' }; // the id prefix of the inputs made here

/** The generic form's field descriptor for a value of definition d
 * ({type, options, decimals, ref_entity}), named `name`. */
export function valueField(d, name, label, hint) {
  return {
    name, label, hint, type: INPUT[d.type] || 'text', required: false,
    options: (d.options || []).map((o) => [o, o]), scale: d.decimals, ref: d.ref_entity,
    max: d.type === 'textarea' ? 10000 : d.type === 'text' ? 255 : undefined,
  };
}

/** A value input of definition d's type: {wrap, input, get(), set(v), setError()}; get() is null when empty. */
export async function valueControl(d, name, label, hint, signal) {
  const c = fieldControl(CF, valueField(d, name, label, hint), { staff: [], people: [] });
  if (d.type === 'link') await fillReferences([c], signal);
  const get = c.get;
  c.get = () => {
    const v = get();
    if (d.type === 'checkbox') return v ? true : null; // unticked: no default
    return Array.isArray(v) && !v.length ? null : v;
  };
  return c;
}

/** The path of record `id` of entity `name` in the admin UI, or null when this member has no page for it. */
function recordHref(name, id) {
  const e = entityByLogName(name);
  return e ? `${e.path}/${id}` : null;
}

const shown = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The values a change would not take: the preview's failures, each linked to its record. */
export function failuresBox(def, pv) {
  const e = entityByLogName(def.entity);
  const what = e ? e.singular : def.entity;
  const n = pv.not_convertible;
  const items = pv.failures.map((f) => {
    const href = recordHref(def.entity, f.id);
    const name = `${sentence(what)} #${f.id}`;
    return h('li', { dataset: { record: f.id } }, href ? h('a', { href }, name) : name, ': ',
      h('code', null, shown(f.value)), ` — ${f.reason}`);
  });
  return alertBox('error', t('cf.fail_title', { count: n }),
    t('cf.fail_detail', { count: n })
      + (n > pv.failures.length ? ` ${t('cf.fail_first', { n: pv.failures.length })}` : ''),
    h('ul', { class: 'error-list', 'data-testid': 'convert-failures' }, items));
}

/**
 * Asks for the value to fill `missing` records with (the field becomes
 * required). next: the definition as it will be (its type and options).
 * error: the server's complaint about the value asked before. Resolves
 * with the value, or undefined when cancelled.
 */
export async function fillDialog(next, missing, { returnFocus, error, value, signal } = {}) {
  const e = entityByLogName(next.entity);
  const plural = (e ? e.plural : next.entity).toLowerCase();
  const dlg = modal({ title: t('cf.fill_title', { count: missing, plural }), returnFocus });
  const input = await valueControl(next, 'fill_value', t('cf.fill_value', { label: next.label }),
    t('cf.fill_hint'), signal);
  if (value !== undefined) input.set(value);
  if (error) input.setError(error);
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const ok = h('button', { type: 'submit', class: 'btn btn-primary' }, t('cf.fill_ok', { count: missing }));
  cancel.addEventListener('click', () => dlg.close());
  const form = h('form', { novalidate: true, 'data-testid': 'fill-form' },
    h('p', null, t('cf.fill_text', { label: next.label, count: missing, plural })),
    input.wrap, h('div', { class: 'dialog-actions' }, cancel, ok));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = input.get();
    if (v === null) { input.setError(t('cf.fill_required')); input.input.focus(); return; }
    dlg.close({ value: v });
  });
  dlg.body.replaceChildren(form);
  input.input.focus();
  const answer = await dlg.result;
  return answer ? answer.value : undefined;
}

/** The toast of a save: what it did to the stored values (changed_values). */
export function savedText(saved) {
  const cv = saved.changed_values || {};
  const parts = [];
  if (cv.converted) parts.push(t('cf.saved_converted', { count: cv.converted }));
  if (cv.filled) parts.push(t('cf.saved_filled', { count: cv.filled }));
  return parts.length ? t('cf.saved_with', { what: parts.join(', ') }) : t('cf.saved');
}

/** The 422 error of `field` in err, as text, or null. */
export function fieldError(err, field) {
  if (!(err instanceof ApiError) || err.status !== 422) return null;
  const e = err.fieldErrors.find((x) => x.field === field);
  return e ? errorMessage(e) : null;
}

/**
 * Deletes definition d after asking: how many records lose their value
 * (counted now), and that the activity log keeps them. Resolves true when
 * deleted; throws the API's error.
 */
export async function deleteField(d, signal) {
  let n = d.records_with_value || 0;
  try {
    ({ data: { records_with_value: n } } = await api('GET', `/api/v1/custom_fields/${d.id}`, { signal }));
  } catch (err) {
    if (isAbort(err)) return false;
    throw err;
  }
  const e = entityByLogName(d.entity);
  const plural = (e ? e.plural : d.entity).toLowerCase();
  const ok = await confirmDialog({
    title: t('cf.delete_title', { label: d.label }), danger: true, confirmLabel: t('cf.delete_confirm'),
    message: n ? t('cf.delete_values', { count: n, plural }) : t('cf.delete_none'),
  });
  if (!ok) return false;
  await api('DELETE', `/api/v1/custom_fields/${d.id}`, { query: n ? { confirm: 'true' } : undefined });
  return true;
}
