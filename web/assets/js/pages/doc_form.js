// A finance document's form (invoices and proposals: invoice_form.js and
// proposal_form.js say which fields and words; the record is editable
// while spec.editable says so): the subject (proposals), the client
// (picked from the clients, searchable), one of its contacts, the
// currency (the organisation's currencies), the document's dates, the
// sales agent, notes and terms, the organisation's custom fields (the
// generic form's controls) and the lines (doc_lines.js, with the live
// preview). A save sends what changed (PATCH with If-Match; a new one
// POST with an Idempotency-Key) and goes to the document's page, where
// the server's figures are shown. A 422 names each field under its input
// and each line's member under that line.
//
// spec: {kind: 'invoice', key: 'invoices', path: '/admin/invoices',
// api: '/api/v1/invoices', subject: bool, dates: [[name, hintKey]],
// editable(rec), frozen(rec) -> {heading, title, detail},
// editTitle(rec), created(rec), saved(rec), text: {back, edit,
// notesHint, termsHint}}.
import { h, icon, pageTitle } from '../dom.js';
import { api, ApiError, isAbort, randomKey } from '../api.js';
import { navigate } from '../router.js';
import { entityByKey, entityText } from '../entities.js';
import { t } from '../i18n.js';
import { alertBox, loadStaff, problemBox, toast } from '../ui.js';
import { control, staleNotice } from '../forms.js';
import { can, canView, localization, me } from '../session.js';
import { codeOptions, loadCodes, loadDirectory, recordPicker, staffOptions } from '../pickers.js';
import { trackForm } from '../dirty.js';
import { fieldControl, fillReferences } from './form.js';
import { lineEditor, loadLineSetup, showDocumentErrors } from './doc_lines.js';
import { notFoundPage } from './records.js';

const BACK = ['M15 18l-6-6 6-6'];

/** The client's name, as the client list and the document lists name it. */
export const clientTitle = (c) => c.company || `#${c.id}`;
/** A contact's full name. */
export const contactTitle = (c) => [c.first_name, c.last_name].filter(Boolean).join(' ') || c.email || `#${c.id}`;

/** The organisation's base currency (its Localization default currency). */
export function baseCurrency() {
  const l = localization();
  return (l && l.organisation && l.organisation.default_currency) || (l && l.values && l.values.default_currency) || 'EUR';
}

/* The currencies a document may be in: the organisation's active ones
 * (with their names), the base one, and the record's own. */
async function currencyChoices(signal, current) {
  const [mine, iso] = await Promise.all([
    canView('currencies') ? api('GET', '/api/v1/currencies', { query: { active: 'true', limit: 200, sort: 'code' }, signal })
      .then((r) => (r.data.data || []).map((c) => c.code)).catch((err) => { if (isAbort(err)) throw err; return []; }) : [],
    loadCodes('currencies', signal),
  ]);
  const codes = [...new Set([baseCurrency(), ...mine, current].filter(Boolean))];
  return codes.map((code) => iso.find((c) => c.code === code) || { code, name: code });
}

/** A wrapper giving a picker or select the control shape showDocumentErrors uses. */
function slotted(id, label, input, body, { required = false, hint = null } = {}) {
  const error = h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
  const hintEl = hint ? h('p', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return {
    label, input,
    wrap: h('div', { class: 'field' }, h('label', { for: id, class: 'label' }, label,
      required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null), body, hintEl, error),
    setError(message) {
      error.textContent = message || '';
      error.hidden = !message;
      if (message) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
      const ids = [hintEl ? hintEl.id : null, message ? error.id : null].filter(Boolean).join(' ');
      if (ids) input.setAttribute('aria-describedby', ids); else input.removeAttribute('aria-describedby');
    },
    focus() { input.focus(); },
  };
}

export async function documentFormPage(spec, ctx, root) {
  const entity = entityByKey(spec.key);
  if (!entity) return notFoundPage(ctx, root);
  const id = ctx.params.id;
  const isNew = !id;
  const pageHref = isNew ? spec.path : `${spec.path}/${id}`;
  const backLink = h('a', { href: pageHref, class: 'back-link' }, icon(BACK), isNew ? entity.plural : t(spec.text.back));
  if (!isNew && !/^[1-9]\d*$/.test(id)) return notFoundPage(ctx, root);
  if (!can(spec.key, isNew ? 'create' : 'edit')) {
    ctx.setTitle(entity.plural);
    root.replaceChildren(backLink, pageTitle(isNew ? entityText(entity, 'new') : t(spec.text.edit)),
      alertBox('info', t('form.read_only'), isNew ? entityText(entity, 'cannot_create') : entityText(entity, 'read_only')));
    return;
  }
  let record = null;
  let etag = null;
  if (!isNew) {
    try {
      ({ data: record, etag } = await api('GET', `${spec.api}/${id}`, { signal: ctx.signal }));
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 404) return notFoundPage(ctx, root);
      throw err;
    }
    if (!spec.editable(record)) {
      const why = spec.frozen(record);
      ctx.setTitle(t(spec.text.edit));
      root.replaceChildren(backLink, pageTitle(why.heading),
        alertBox('info', why.title, why.detail, h('a', { href: pageHref, class: 'btn' }, t(spec.text.back))));
      return;
    }
  }
  const [staff, people, currencies, setup] = await Promise.all([
    loadStaff(ctx.signal), loadDirectory(ctx.signal),
    currencyChoices(ctx.signal, record && record.currency), loadLineSetup(ctx.signal, record),
  ]);
  const titleText = isNew ? entityText(entity, 'new') : spec.editTitle(record);
  ctx.setTitle(titleText);

  // ---- the controls ----
  const k = spec.kind;
  const client = recordPicker({ id: `${k}-client_id`, name: 'client_id', api: '/api/v1/clients', title: clientTitle,
    sort: 'company', required: true, searchLabel: t('doc.find_client'), signal: ctx.signal });
  const contact = h('select', { id: `${k}-contact_id`, name: 'contact_id', class: 'input' });
  const currency = h('select', { id: `${k}-currency`, name: 'currency', class: 'input' }, codeOptions(currencies));
  const owner = h('select', { id: `${k}-owner_id`, name: 'owner_id', class: 'input' },
    h('option', { value: '' }, t('form.unassigned')), staffOptions(people, me() ? me().id : null));
  const label = (name) => entity.fields.find((f) => f.name === name).label;
  const c = {
    ...(spec.subject ? { subject: control({ id: `${k}-subject`, name: 'subject', label: label('subject'), required: true, max: 255, wide: true }) } : {}),
    client_id: slotted(client.input.id, label('client_id'), client.input, client.root, { required: true }),
    contact_id: slotted(contact.id, label('contact_id'), contact, contact, { hint: t('doc.contact_hint') }),
    currency: slotted(currency.id, label('currency'), currency, currency, { hint: t('doc.currency_hint') }),
    ...Object.fromEntries(spec.dates.map(([name, hint]) => [name,
      control({ id: `${k}-${name}`, name, type: 'date', label: label(name), hint: hint ? t(hint) : null })])),
    owner_id: slotted(owner.id, label('owner_id'), owner, owner),
    notes: control({ id: `${k}-notes`, name: 'notes', type: 'textarea', label: label('notes'), max: 4000, wide: true, hint: t(spec.text.notesHint) }),
    terms: control({ id: `${k}-terms`, name: 'terms', type: 'textarea', label: label('terms'), max: 4000, wide: true, hint: t(spec.text.termsHint) }),
  };
  const customs = entity.fields.filter((f) => f.custom && f.form !== false)
    .map((f) => fieldControl(entity, f, { staff, people, countries: [], currencies }));
  await fillReferences(customs, ctx.signal);
  const controls = { ...c };
  for (const x of customs) {
    controls[x.field.name] = { label: x.field.label, setError: x.setError, focus: () => x.input.focus() };
  }
  const editor = lineEditor({ id: `${k}-lines`, taxes: setup.taxes, rule: setup.rule, ruleKnown: setup.ruleKnown,
    lines: record ? record.lines : [], currency: record ? record.currency : baseCurrency(),
    hint: setup.taxesReadable ? null : t('doc.taxes_unreadable') });
  if (isNew) editor.addRow({});

  // The contact select follows the client: only that client's contacts.
  async function loadContacts(clientId, keep) {
    contact.replaceChildren(h('option', { value: '' }, '—'));
    if (!clientId) return;
    let rows = [];
    if (canView('contacts')) {
      try {
        rows = (await api('GET', '/api/v1/contacts', { query: { client_id: clientId, limit: 200, sort: 'first_name' }, signal: ctx.signal })).data.data || [];
      } catch (err) { if (isAbort(err)) throw err; }
    }
    for (const r of rows) contact.appendChild(h('option', { value: String(r.id) }, contactTitle(r)));
    if (keep != null && ![...contact.options].some((o) => o.value === String(keep))) {
      contact.appendChild(h('option', { value: String(keep) }, `#${keep}`));
    }
    contact.value = keep != null ? String(keep) : '';
  }
  client.onChange = (v) => { loadContacts(v, null).catch(() => {}); };
  currency.addEventListener('change', () => editor.setCurrency(currency.value));

  await client.load();
  if (record) {
    let clientName = null;
    if (canView('clients')) {
      try { clientName = clientTitle((await api('GET', `/api/v1/clients/${record.client_id}`, { signal: ctx.signal })).data); } catch (err) {
        if (isAbort(err)) return;
      }
    }
    client.set(record.client_id, clientName);
    await loadContacts(record.client_id, record.contact_id);
    currency.value = record.currency;
    if (c.subject) c.subject.set(record.subject);
    for (const [name] of spec.dates) c[name].set(record[name]);
    if (record.owner_id != null && ![...owner.options].some((o) => o.value === String(record.owner_id))) {
      owner.appendChild(h('option', { value: String(record.owner_id) }, `#${record.owner_id}`));
    }
    owner.value = record.owner_id == null ? '' : String(record.owner_id);
    c.notes.set(record.notes);
    c.terms.set(record.terms);
    for (const x of customs) x.set((record.custom_fields || {})[x.field.name]);
  } else {
    currency.value = baseCurrency();
    owner.value = me() ? String(me().id) : '';
    for (const x of customs) x.set(x.field.default);
  }

  /** The body as the controls hold it (every field). */
  const read = () => {
    const body = {
      ...(c.subject ? { subject: c.subject.get() } : {}),
      client_id: client.get(), contact_id: contact.value ? Number(contact.value) : null, currency: currency.value || null,
      ...Object.fromEntries(spec.dates.map(([name]) => [name, c[name].get()])),
      owner_id: owner.value ? Number(owner.value) : null,
      notes: c.notes.get(), terms: c.terms.get(), lines: editor.get(),
    };
    if (customs.length) body.custom_fields = Object.fromEntries(customs.map((x) => [x.field.name, x.get()]));
    return body;
  };
  const initial = read();

  // ---- the form ----
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, isNew ? entityText(entity, 'create') : t('common.save_changes'));
  const cancel = h('a', { href: pageHref, class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'card form doc-form', novalidate: true, 'aria-labelledby': 'form-title', 'data-testid': `${k}-form` },
    messages,
    h('div', { class: 'form-grid' }, c.subject ? c.subject.wrap : null, c.client_id.wrap, c.contact_id.wrap, c.currency.wrap,
      c.owner_id.wrap, spec.dates.map(([name]) => c[name].wrap)),
    editor.root,
    h('div', { class: 'form-grid' }, h('h2', { class: 'form-subtitle field-wide' }, t('inv.notes_terms')), c.notes.wrap, c.terms.wrap),
    customs.length ? h('div', { class: 'form-grid form-grid-12' },
      h('h2', { class: 'form-subtitle span-12' }, t('doc.custom_fields')), customs.map((x) => x.wrap)) : null,
    h('div', { class: 'form-actions' }, save, cancel));
  const heading = pageTitle(titleText);
  heading.id = 'form-title';
  root.replaceChildren(backLink, h('div', { class: 'page-header' }, heading), form);
  const tracker = trackForm(form);

  let lastBody = null;
  let idemKey = null;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const x of Object.values(controls)) x.setError('');
    editor.clearErrors();
    messages.replaceChildren();
    const all = read();
    let body = all;
    if (isNew) {
      body = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== null && !(Array.isArray(v) && !v.length)));
      if (body.custom_fields) {
        body.custom_fields = Object.fromEntries(Object.entries(body.custom_fields)
          .filter(([, v]) => v !== null && !(Array.isArray(v) && !v.length)));
      }
    } else {
      body = Object.fromEntries(Object.entries(all).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(initial[k])));
      if (!Object.keys(body).length) { toast(t('common.no_changes'), 'info'); navigate(pageHref); return; }
    }
    const text = JSON.stringify(body);
    if (text !== lastBody) { lastBody = text; idemKey = randomKey(); }
    save.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const res = isNew ? await api('POST', spec.api, { body, idempotencyKey: idemKey })
        : await api('PATCH', `${spec.api}/${id}`, { body, ifMatch: etag });
      tracker.markClean();
      toast(isNew ? spec.created(res.data) : spec.saved(res.data));
      navigate(`${spec.path}/${res.data.id}`);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showDocumentErrors(err, { controls, editor, messages });
      else if (err instanceof ApiError && err.status === 412) staleNotice(messages, k, () => navigate(location.pathname, { replace: true }));
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  if (isNew) client.input.focus();
}
