// Generic create/edit form for an entity descriptor: inline 422 errors,
// If-Match on PATCH/DELETE, 412 handling, Idempotency-Key on create.
import { h, icon, pageTitle, replace, timeEl } from '../dom.js';
import { api, ApiError, isAbort, randomKey } from '../api.js';
import { navigate } from '../router.js';
import { entityByLogName, entityText, fieldValue, formFields, setFieldValue } from '../entities.js';
import { t } from '../i18n.js';
import { alertBox, confirmDialog, loadStaff, problemBox, sentence, staffName, toast } from '../ui.js';
import { listUrl } from './list.js';
import { errorMessage } from '../forms.js';
import { can, canView, me } from '../session.js';
import { membersSection } from './members.js';
import { FORM_EXTRAS, RECORD_SECTIONS } from './sections.js';
import { historySection } from './activity.js';
import { automationRunsSection } from './automation_runs.js';
import { charCounter, codeOptions, loadCodes, loadDirectory, staffListPicker, staffOptions } from '../pickers.js';
import { DECIMAL, parseDecimal, toInputDecimal } from '../numbers.js';
import { trackForm } from '../dirty.js';

const BACK = ['M15 18l-6-6 6-6'];
/** Normalises a record value to what the form would produce for it. */
function normalise(field, v) {
  if (field.type === 'tags' || field.type === 'multiselect') return Array.isArray(v) ? v.map(String) : [];
  if (field.type === 'staff_list') return Array.isArray(v) ? v.map(Number).sort((a, b) => a - b) : [];
  if (field.type === 'checkbox') return v === true;
  if (v === undefined || v === null || v === '') return null;
  if (field.type === 'staff' || field.type === 'number' || field.type === 'reference') return Number(v);
  if (field.type === 'datetime') return new Date(v).toISOString();
  return String(v);
}

/** "2026-12-05T09:30" in the browser's zone, for a datetime-local input. */
function localInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The columns of the form's 12-column grid a field spans: a custom
 * field's width, else the whole row (wide) or half of it. */
export function fieldSpan(field) {
  if (field.custom && field.width >= 1 && field.width <= 12) return field.width;
  return field.wide ? 12 : 6;
}

/** One labelled control with hint and error slot, for a field of an entity
 * descriptor (entities.js); also the custom fields page's default input.
 * lists: {staff, people (the directory), countries, currencies}. Returns
 * {field, input, wrap, set(v), get(), setError(msg)}. */
export function fieldControl(entity, field, lists) {
  const staff = lists.staff;
  // The id names the entity by a word without spaces (its singular is a
  // translated noun, "retention rule", "client potențial"): an id list in
  // aria-describedby is split on spaces.
  const id = `${String(entity.logEntity || entity.singular).replace(/\s+/g, '_')}-${field.name}`;
  const hintId = field.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  // No maxlength (it cuts a paste silently): a counter, and the server
  // refuses what is too long.
  const common = { id, name: field.name, class: 'input', required: field.required,
    placeholder: field.placeholder || null, 'aria-describedby': hintId };
  let input;
  let picker = null;
  switch (field.type) {
    case 'textarea':
      input = h('textarea', { ...common, rows: field.max > 1000 ? 6 : 3 });
      break;
    case 'staff_list':
      // Several members: the list with a remove button each, and a
      // select that adds one (pickers.js).
      picker = staffListPicker({ id, name: field.name, label: field.label, people: lists.people, staff,
        meId: me() ? me().id : null, max: field.max || 20, describedBy: hintId });
      input = picker.input;
      break;
    case 'select':
      input = h('select', common,
        field.required || field.default ? null : h('option', { value: '' }, '—'),
        field.options.map(([v, label]) => h('option', { value: v }, label)));
      break;
    case 'staff':
      // The directory (any member may read it), "Me" first.
      input = h('select', common, h('option', { value: '' }, t('form.unassigned')),
        staffOptions(lists.people, me() ? me().id : null));
      break;
    case 'money':
    case 'decimal':
      // In the member's notation (numbers.js): "1250,50" where lists show
      // "1.250,50"; read back into the API's "1250.50".
      input = h('input', { ...common, type: 'text', inputmode: 'decimal', autocomplete: 'off', class: 'input input-num',
        placeholder: field.placeholder || (field.type === 'money' ? `0${DECIMAL}00` : null) });
      break;
    case 'number':
      input = h('input', { ...common, type: 'number', step: '1', class: 'input input-num' });
      break;
    case 'checkbox':
      input = h('input', { id, name: field.name, type: 'checkbox', class: 'checkbox', 'aria-describedby': hintId });
      break;
    case 'date':
      input = h('input', { ...common, type: 'date' });
      break;
    case 'datetime':
      input = h('input', { ...common, type: 'datetime-local' });
      break;
    case 'multiselect':
      input = h('select', { ...common, multiple: true, size: Math.min(6, field.options.length) },
        field.options.map(([v, label]) => h('option', { value: v }, label)));
      break;
    case 'reference':
      // Filled with the referenced records once they load (fillReferences).
      input = h('select', common, h('option', { value: '' }, '—'));
      break;
    case 'code':
      input = h('select', common, h('option', { value: '' }, '—'), codeOptions(lists[field.codes] || []));
      break;
    case 'tags':
      input = h('input', { ...common, type: 'text', autocomplete: 'off' });
      break;
    default:
      input = h('input', { ...common, type: field.type, autocomplete: 'off' });
  }
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const counter = field.max && ['text', 'textarea'].includes(field.type) ? charCounter(input, field.max) : null;
  const wrap = h('div', { class: ['field', `span-${fieldSpan(field)}`] },
    h('label', { for: id, class: 'label' }, field.label,
      field.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    picker ? picker.root : input, counter,
    hintId ? h('p', { id: hintId, class: 'hint' }, field.hint) : null,
    error);

  return {
    field, input, wrap,
    disable() { if (picker) picker.disable(); else input.disabled = true; },
    set(value) {
      const v = normalise(field, value);
      if (picker) picker.set(v);
      else if (field.type === 'tags') input.value = v.join(', ');
      else if (field.type === 'checkbox') input.checked = v;
      else if (field.type === 'multiselect') [...input.options].forEach((o) => { o.selected = v.includes(o.value); });
      else if (field.type === 'datetime') input.value = v ? localInput(v) : '';
      else if (field.type === 'reference' && v != null && ![...input.options].some((o) => o.value === String(v))) {
        input.appendChild(h('option', { value: String(v) }, `#${v}`));
        input.value = String(v);
      }
      else if (field.type === 'staff' && v != null && !lists.people.some((s) => s.id === v)) {
        // A deactivated member still named on the record.
        input.appendChild(h('option', { value: String(v) }, staffName(staff, v)));
        input.value = String(v);
      } else if (field.type === 'code' && v != null && ![...input.options].some((o) => o.value === v)) {
        input.appendChild(h('option', { value: v }, v));
        input.value = v;
      } else if (field.type === 'money' || field.type === 'decimal') input.value = toInputDecimal(v);
      else input.value = v == null ? '' : v;
      if (counter) counter.refresh();
    },
    get() {
      const raw = input.value;
      switch (field.type) {
        case 'staff_list': return picker.get();
        case 'tags': return raw.split(',').map((t) => t.trim()).filter(Boolean);
        case 'checkbox': return input.checked;
        case 'multiselect': return [...input.selectedOptions].map((o) => o.value);
        case 'datetime': return raw === '' ? null : new Date(raw).toISOString();
        case 'staff':
        case 'number':
        case 'reference': return raw === '' ? null : Number(raw);
        case 'code': return raw === '' ? null : raw;
        case 'money':
        case 'decimal': {
          const v = parseDecimal(raw);
          return v === '' ? null : v === null ? raw.trim() : v; // unreadable: as typed, the server names it
        }
        case 'textarea': return raw.trim() === '' ? null : raw;
        default: return raw.trim() === '' ? null : raw.trim();
      }
    },
    setError(message) {
      error.textContent = message || '';
      error.hidden = !message;
      if (message) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
      const ids = [picker ? `${id}-chosen` : null, hintId, message ? errorId : null].filter(Boolean).join(' ');
      if (ids) input.setAttribute('aria-describedby', ids); else input.removeAttribute('aria-describedby');
    },
  };
}

/** Loads the records a reference field may point at into its select. */
export async function fillReferences(controls, signal) {
  await Promise.all(controls.filter((c) => c.field.type === 'reference').map(async (c) => {
    const target = entityByLogName(c.field.ref);
    if (!target) return; // not visible to this member: ids stay as they are
    const { data } = await api('GET', target.api,
      { query: { limit: 200, sort: target.titleField }, signal });
    for (const r of data.data || []) {
      c.input.appendChild(h('option', { value: String(r.id) }, r[target.titleField] || `#${r.id}`));
    }
  }));
}

export function formPage(entity) {
  return async function renderForm(ctx, root) {
    const id = ctx.params.id;
    const isNew = !id;
    const back = listUrl(entity);
    const backLink = h('a', { href: back, class: 'back-link' }, icon(BACK), entity.plural);

    if (!isNew && !/^[1-9]\d*$/.test(id)) {
      ctx.setTitle(t('notfound.title'));
      root.replaceChildren(backLink, pageTitle(entityText(entity, 'not_found')));
      return;
    }

    const [staff, people, countries, currencies, loaded] = await Promise.all([
      loadStaff(ctx.signal),
      loadDirectory(ctx.signal),
      entity.fields.some((f) => f.codes === 'countries') ? loadCodes('countries', ctx.signal) : [],
      entity.fields.some((f) => f.codes === 'currencies') ? loadCodes('currencies', ctx.signal) : [],
      isNew ? null : api('GET', `${entity.api}/${id}`, { signal: ctx.signal }).catch((err) => err),
    ]);
    if (loaded instanceof Error) {
      if (isAbort(loaded)) return;
      if (loaded instanceof ApiError && loaded.status === 404) {
        ctx.setTitle(t('notfound.title'));
        root.replaceChildren(backLink, pageTitle(entityText(entity, 'not_found')),
          alertBox('info', entityText(entity, 'no_such', { id }), t('form.maybe_deleted')));
        return;
      }
      throw loaded;
    }
    const record = loaded ? loaded.data : null;
    const etag = loaded ? loaded.etag : null;

    const titleText = isNew ? entityText(entity, 'new')
      : `${sentence(entity.singular)}: ${record[entity.titleField] || `#${record.id}`}`;
    ctx.setTitle(titleText);

    const controls = formFields(entity).map((f) => fieldControl(entity, f, { staff, people, countries, currencies }));
    const byName = Object.fromEntries(controls.map((c) => [c.field.name, c]));
    await fillReferences(controls, ctx.signal);
    const fill = (rec) => controls.forEach((c) => c.set(rec ? fieldValue(rec, c.field) : c.field.default));
    fill(record);

    const messages = h('div', { class: 'form-messages', tabindex: '-1' });
    const editable = can(entity.module, isNew ? 'create' : 'edit');
    const save = editable ? h('button', { type: 'submit', class: 'btn btn-primary' }, isNew ? entityText(entity, 'create') : t('common.save_changes')) : null;
    const cancel = h('a', { href: back, class: 'btn' }, editable ? t('common.cancel') : t('common.back'));
    const del = isNew || !can(entity.module, 'delete') ? null
      : h('button', { type: 'button', class: 'btn btn-danger-outline' }, entityText(entity, 'delete'));
    if (!editable) for (const c of controls) c.disable();
    const form = h('form', { class: 'card form', novalidate: true, 'aria-labelledby': 'form-title' },
      messages,
      editable ? null : alertBox('info', t('form.read_only'), isNew ? entityText(entity, 'cannot_create')
        : entityText(entity, 'read_only')),
      h('div', { class: 'form-grid form-grid-12' }, controls.map((c) => c.wrap)),
      h('div', { class: 'form-actions' }, save, cancel, h('span', { class: 'spacer' }), del));
    // Parts of an entity's own inside its form, above the buttons (a
    // retention rule's preview of what the form says): sections.js.
    for (const extra of FORM_EXTRAS[entity.key] || []) {
      const node = extra(entity, { byName, signal: ctx.signal });
      if (node) form.insertBefore(node, form.lastElementChild);
    }

    const meta = record ? h('p', { class: 'meta muted' },
      `#${record.id} · ${t('form.meta_created')} `, timeEl(record.created_at),
      record.created_by != null ? ` ${t('form.meta_by', { name: staffName(staff, record.created_by) })}` : '',
      ` · ${t('form.meta_updated')} `, timeEl(record.updated_at)) : null;
    const heading = pageTitle(titleText);
    heading.id = 'form-title';
    replace(root, backLink, h('div', { class: 'page-header' }, heading), meta, form);
    if (!isNew && entity.members && canView('staff')) {
      root.appendChild(membersSection(entity, record, ctx.signal));
    }
    if (!isNew) {
      const reload = () => navigate(location.pathname, { replace: true });
      for (const section of RECORD_SECTIONS[entity.key] || []) {
        const node = section(entity, record, ctx.signal, reload); // null: not for this member
        if (node) root.appendChild(node);
      }
    }
    if (!isNew) {
      const runs = automationRunsSection(entity.logEntity, record.id, ctx.signal); // null without automations.view
      if (runs) root.appendChild(runs);
    }
    if (!isNew && canView('activity')) root.appendChild(historySection(entity.logEntity, record.id, ctx.signal));

    const clearErrors = () => { controls.forEach((c) => c.setError('')); messages.replaceChildren(); };

    const showStale = () => {
      const reload = h('button', { type: 'button', class: 'btn' }, t('stale.reload'));
      reload.addEventListener('click', () => navigate(location.pathname, { replace: true }));
      messages.replaceChildren(alertBox('warning', entityText(entity, 'changed'), t('stale.detail'), reload));
      messages.focus();
    };

    const showValidation = (err) => {
      const errors = err.fieldErrors;
      let first = null;
      const items = errors.map((e) => {
        const path = String(e.field || '');
        const name = path.startsWith('custom_fields.') ? path.slice(14).split(/[.[]/)[0] : path.split(/[.[]/)[0];
        const c = byName[name];
        const text = errorMessage(e);
        if (c) {
          if (c.input.getAttribute('aria-invalid') !== 'true') c.setError(text);
          first = first || c;
          const link = h('a', { href: `#${c.input.id}` }, `${c.field.label}: ${text}`);
          link.addEventListener('click', (ev) => { ev.preventDefault(); c.input.focus(); });
          return h('li', null, link);
        }
        return h('li', null, `${e.field || t('form.request')}: ${text}`);
      });
      const n = errors.length;
      messages.replaceChildren(alertBox('error',
        n ? t('form.correct_fields', { count: n }) : sentence(err.title),
        n ? null : err.detail, n ? h('ul', { class: 'error-list' }, items) : null));
      if (first) first.input.focus(); else messages.focus();
    };

    let lastBody = null;
    let idemKey = null;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!save) return;
      clearErrors();
      const body = {};
      for (const c of controls) {
        const v = c.get();
        if (isNew) {
          if (v !== null && !(Array.isArray(v) && v.length === 0)) setFieldValue(body, c.field, v);
        } else if (!same(v, normalise(c.field, fieldValue(record, c.field)))) {
          setFieldValue(body, c.field, v);
        }
      }
      if (!isNew && Object.keys(body).length === 0) {
        toast(t('common.no_changes'), 'info');
        navigate(back);
        return;
      }
      // Same key only when re-sending the very same body (e.g. after a network error).
      const text = JSON.stringify(body);
      if (text !== lastBody) { lastBody = text; idemKey = randomKey(); }

      save.disabled = true;
      form.setAttribute('aria-busy', 'true');
      try {
        const res = isNew
          ? await api('POST', entity.api, { body, idempotencyKey: idemKey })
          : await api('PATCH', `${entity.api}/${id}`, { body, ifMatch: etag });
        const saved = res.data || {};
        const name = saved[entity.titleField] || body[entity.titleField] || (record && record[entity.titleField]);
        toast(entityText(entity, isNew ? 'created' : 'saved', { name: name || `#${saved.id}` }));
        navigate(back);
      } catch (err) {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 422) showValidation(err);
        else if (err instanceof ApiError && err.status === 412) showStale();
        else { messages.replaceChildren(problemBox(err)); messages.focus(); }
      } finally {
        save.disabled = false;
        form.removeAttribute('aria-busy');
      }
    });

    if (del) {
      del.addEventListener('click', async () => {
        const label = record[entity.titleField] || `#${record.id}`;
        const ok = await confirmDialog({
          title: entityText(entity, 'delete_q'),
          message: t('form.delete_message', { name: label }),
          confirmLabel: t('common.delete'), danger: true,
        });
        if (!ok) { del.focus(); return; }
        del.disabled = true;
        try {
          await api('DELETE', `${entity.api}/${id}`, { ifMatch: etag });
          toast(entityText(entity, 'deleted', { name: label }));
          navigate(back);
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) { toast(t('form.already_deleted'), 'info'); navigate(back); return; }
          if (err instanceof ApiError && err.status === 412) showStale();
          else { messages.replaceChildren(problemBox(err)); messages.focus(); }
        } finally {
          del.disabled = false;
        }
      });
    }

    // Leaving with unsaved changes asks first (dirty.js).
    if (editable) trackForm(form);

    const firstInput = controls[0] && controls[0].input;
    if (isNew && firstInput) firstInput.focus();
  };
}
