// The custom field form (/admin/custom_fields/new and /admin/custom_fields/:id):
// entity, label, a slug suggested from the label (read-only once saved),
// the type with the spec's advice under it, the options, decimals or linked
// entity the type takes, a default of the field's own type, help text,
// order, width and the flags. A change that touches stored values is
// previewed first (custom_field_changes.js). Also the constants the list
// page shares (custom_fields.js).
import { h, pageTitle, replace, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { navigate } from '../router.js';
import { can, canView, me } from '../session.js';
import { ENTITIES, entityByLogName } from '../entities.js';
import { trackForm } from '../dirty.js';
import { lastListQuery } from '../listview.js';
import { alertBox, problemBox, toast } from '../ui.js';
import { clearErrors, control, showFieldErrors, staleNotice } from '../forms.js';
import { historySection } from './activity.js';
import { deleteField, failuresBox, fieldError, fillDialog, savedText, valueControl } from './custom_field_changes.js';

export const BASE = '/admin/custom_fields';
const listHref = () => BASE + lastListQuery(BASE);

// The form's widths (bs_column: columns of the records' 12-column form).
export const WIDTHS = [[12, 'Full width (12)'], [9, 'Three quarters (9)'], [8, 'Two thirds (8)'], [6, 'Half (6)'],
  [4, 'One third (4)'], [3, 'One quarter (3)']];
export const widthText = (n) => (WIDTHS.find(([w]) => w === n) || [n, String(n)])[1];

// The types and the spec's advice (GET /api/v1/custom_fields/types), once per page load.
let typesCache = null;
export async function loadTypes(signal) {
  if (!typesCache) {
    const { data } = await api('GET', '/api/v1/custom_fields/types', { signal });
    typesCache = Array.isArray(data && data.data) ? data.data : [];
  }
  return typesCache;
}

/** The entities custom fields may go on: [name, label] (those this member may see). */
export const entityOptions = () => ENTITIES.map((e) => [e.logEntity, e.plural]);
export const entityText = (name) => (entityByLogName(name) || { plural: name }).plural;

const CHOICE = new Set(['select', 'multi_select']);
const FLAGS = [
  ['required', 'Required', 'New and edited records must have a value.'],
  ['searchable', 'Searchable', 'The list\'s search box matches its text.'],
  ['only_admin', 'Only administrators', 'Seen and set by administrators only, everywhere.'],
  ['show_on_client_portal', 'Show on the client portal', null],
  ['show_on_pdf', 'Show on PDF documents', null],
];
const SLUG_NEW = 'Lower-case letters, digits and _: the value\'s name in the API and imports. It never changes once saved.';
const SLUG_FIXED = 'The slug never changes: integrations and imports name the field by it. Define a new field for another slug.';

/** A slug suggested from a label: "Industry sector" → "industry_sector". */
export function slugFrom(label) {
  const s = String(label || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 60);
  return /^[0-9]/.test(s) ? `f_${s}`.slice(0, 60) : s;
}

const sameValue = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
/** Whether default v (as the input gives it) is the stored one: an unticked
 * checkbox is no default; a moment is compared as a moment. */
function sameDefault(type, v, stored) {
  const was = stored === false ? null : stored;
  if (type === 'datetime' && v && was) return Date.parse(v) === Date.parse(was);
  return sameValue(v, was);
}

/**
 * The definition form for d (null: a new field). Returns {grid, controls,
 * read(), next()}: read() the body as the form holds it, next() the
 * definition as it would be.
 */
async function defForm(d, types, signal) {
  const isNew = !d;
  const c = {
    entity: control({ name: 'entity', label: 'Entity', type: 'select', required: true, options: entityOptions(),
      hint: isNew ? 'The records that get the field.' : 'A field stays on its entity.' }),
    label: control({ name: 'label', label: 'Label', required: true, max: 100, hint: 'What forms and lists show.' }),
    slug: control({ name: 'slug', label: 'Slug', required: true, max: 60, hint: isNew ? SLUG_NEW : SLUG_FIXED }),
    type: control({ name: 'type', label: 'Type', type: 'select', required: true,
      options: types.map((t) => [t.type, t.label]), hint: ' ' }),
    options: control({ name: 'options', label: 'Options', type: 'textarea', rows: 5, required: true,
      hint: 'One per line, in the order the form offers them.' }),
    decimals: control({ name: 'decimals', label: 'Decimals', type: 'number', min: 0, maxValue: 6, hint: '0 to 6.' }),
    ref_entity: control({ name: 'ref_entity', label: 'Links to', type: 'select', required: true, options: entityOptions() }),
    help_text: control({ name: 'help_text', label: 'Help text', type: 'textarea', max: 500, hint: 'Shown under the input.' }),
    position: control({ name: 'position', label: 'Order', type: 'number', min: 0, maxValue: 100000,
      hint: 'Smaller first, after the built-in fields.' }),
    bs_column: control({ name: 'bs_column', label: 'Width in the form', type: 'select', options: WIDTHS }),
  };
  if (isNew) c.active = control({ name: 'active', label: 'Active', type: 'checkbox', hint: 'Off: hidden everywhere, values kept.' });
  for (const [name, label, hint] of FLAGS) {
    if (name === 'only_admin' && !(me() && me().admin)) continue; // only administrators reserve fields
    c[name] = control({ name, label, type: 'checkbox', hint });
  }
  c.entity.set(d ? d.entity : (ENTITIES[0] && ENTITIES[0].logEntity));
  c.label.set(d ? d.label : '');
  c.slug.set(d ? d.slug : '');
  c.type.set(d ? d.type : 'text');
  c.options.set(d ? (d.options || []).join('\n') : '');
  c.decimals.set(d && d.decimals != null ? d.decimals : 2);
  c.ref_entity.set(d && d.ref_entity ? d.ref_entity : 'client');
  c.help_text.set(d ? d.help_text : '');
  c.position.set(d ? d.position : 0);
  c.bs_column.set(d ? d.bs_column : 12);
  if (c.active) c.active.set(true);
  for (const [name] of FLAGS) if (c[name]) c[name].set(d ? d[name] : name === 'searchable');
  if (!isNew) {
    c.entity.input.disabled = true;
    c.slug.input.readOnly = true;
  }

  const options = () => (c.options.get() || '').split('\n').map((s) => s.trim()).filter(Boolean);
  const type = () => c.type.input.value;
  /** The definition as it would be: what decides the default's input. */
  const next = () => ({ ...(d || {}), entity: c.entity.input.value, label: c.label.get() || '', type: type(),
    options: options(), decimals: c.decimals.get(), ref_entity: c.ref_entity.input.value });

  // The default: an input of the field's own type, made again when the type changes.
  const defaultSlot = h('div', { class: 'field-wide' });
  let def = null;
  let defKey = null;
  const defaultProxy = {
    label: 'Default value', get input() { return def ? def.input : c.type.input; },
    setError: (m) => def && def.setError(m), focus: () => def && def.input.focus(),
  };
  async function drawDefault() {
    const n = next();
    const key = JSON.stringify([n.type, n.options, n.decimals, n.ref_entity]);
    if (key === defKey) return;
    defKey = key;
    const was = def ? def.get() : d ? d.default : null;
    if (n.type === 'link') { def = null; defaultSlot.replaceChildren(); return; } // a link has no default
    def = await valueControl(n, 'default', 'Default value', 'Given to new records that do not set one.', signal);
    if (was != null) { try { def.set(was); } catch { /* another type: left empty */ } }
    defaultSlot.replaceChildren(def.wrap);
  }

  const typeHint = () => {
    const t = types.find((x) => x.type === type());
    c.type.hintEl.textContent = t ? t.hint : '';
    c.type.hintEl.dataset.testid = 'type-hint';
  };
  const showFor = () => {
    c.options.wrap.hidden = !CHOICE.has(type());
    c.decimals.wrap.hidden = type() !== 'number';
    c.ref_entity.wrap.hidden = type() !== 'link';
  };
  c.type.input.addEventListener('change', () => { typeHint(); showFor(); drawDefault(); });
  for (const x of [c.options, c.decimals, c.ref_entity]) x.input.addEventListener('change', () => drawDefault());
  if (isNew) {
    // The slug follows the label until it is typed in (emptied: it follows again).
    let typed = false;
    c.slug.input.addEventListener('input', () => { typed = c.slug.input.value !== ''; });
    c.label.input.addEventListener('input', () => { if (!typed) c.slug.set(slugFrom(c.label.input.value)); });
  }
  typeHint();
  showFor();
  await drawDefault();

  /** The body: every member for a new field; only what changed for d. */
  function read() {
    const t = type();
    const all = {
      entity: c.entity.input.value, label: c.label.get() ?? '', slug: c.slug.get() ?? '', type: t,
      options: CHOICE.has(t) ? options() : undefined,
      decimals: t === 'number' ? c.decimals.get() : undefined,
      ref_entity: t === 'link' ? c.ref_entity.input.value : undefined,
      default: t === 'link' ? undefined : def ? def.get() : null,
      // 0 is the server's default, which it does not take as a value (FT_INT holds ids): left out.
      help_text: c.help_text.get(), position: c.position.get() || (isNew ? null : d.position),
      bs_column: Number(c.bs_column.input.value),
    };
    if (c.active) all.active = c.active.get();
    for (const [name] of FLAGS) if (c[name]) all[name] = c[name].get();
    const body = {};
    for (const [k, v] of Object.entries(all)) {
      if (v === undefined) continue;
      if (isNew) { if (v !== null) body[k] = v; continue; }
      if (k === 'entity' || k === 'slug') continue; // fixed once saved
      if (k === 'default' ? !sameDefault(t, v, d.default) : !sameValue(v, d[k])) body[k] = v;
    }
    return body;
  }

  const wraps = Object.entries(c).filter(([k]) => k !== 'help_text' && !FLAGS.some(([f]) => f === k) && k !== 'active')
    .map(([, x]) => x.wrap);
  for (const k of ['options', 'help_text']) c[k].wrap.classList.add('field-wide');
  const grid = h('div', { class: 'form-grid' }, wraps, defaultSlot, c.help_text.wrap,
    h('fieldset', { class: 'field field-wide fieldset' }, h('legend', { class: 'label' }, 'Settings'),
      h('div', { class: 'check-grid' }, [c.active, ...FLAGS.map(([f]) => c[f])].filter(Boolean).map((x) => x.wrap))));
  return { grid, controls: { ...c, default: defaultProxy }, read, next };
}

export async function newPage(ctx, root) {
  ctx.setTitle('New custom field');
  const types = await loadTypes(ctx.signal);
  const { grid, controls, read } = await defForm(null, types, ctx.signal);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create field');
  const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'custom-field-form' }, messages, grid,
    h('div', { class: 'form-actions' }, save, h('a', { href: listHref(), class: 'btn' }, 'Cancel')));
  root.replaceChildren(h('p', null, h('a', { href: listHref() }, '← All custom fields')),
    h('div', { class: 'page-header' }, pageTitle('New custom field')), form);
  trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(controls, messages);
    save.disabled = true;
    try {
      const { data } = await api('POST', '/api/v1/custom_fields', { body: read() });
      toast(`Field “${data.label}” created.`);
      navigate(`${BASE}/${data.id}`);
    } catch (err) {
      if (!isAbort(err)) showFieldErrors(err, controls, messages);
    } finally {
      save.disabled = false;
    }
  });
  controls.label.focus();
}

export async function editPage(ctx, root) {
  const id = ctx.params.id;
  ctx.setTitle('Custom field');
  const types = await loadTypes(ctx.signal);

  async function load() {
    let d;
    let etag;
    try {
      ({ data: d, etag } = await api('GET', `/api/v1/custom_fields/${id}`, { signal: ctx.signal }));
    } catch (err) {
      if (!isAbort(err)) root.replaceChildren(problemBox(err, h('a', { href: listHref(), class: 'btn' }, 'All custom fields')));
      return;
    }
    ctx.setTitle(d.label);
    const editable = can('custom_fields', 'edit');
    const { grid, controls, read, next } = await defForm(d, types, ctx.signal);
    const messages = h('div', { class: 'form-messages', tabindex: '-1' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save changes');
    const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'custom-field-form', 'aria-label': 'Field settings' },
      messages, grid, editable ? h('div', { class: 'form-actions' }, save, h('a', { href: listHref(), class: 'btn' }, 'Cancel')) : null);
    if (!editable) for (const el of form.elements) el.disabled = true;
    const stale = () => staleNotice(messages, 'field', () => load());

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(controls, messages);
      const body = read();
      if (!Object.keys(body).length) { toast('No changes to save.', 'info'); return; }
      save.disabled = true;
      form.setAttribute('aria-busy', 'true');
      try {
        // A change that touches stored values is previewed first.
        const risky = ['type', 'decimals', 'options'].some((k) => k in body) || (body.required === true && !d.required);
        let missing = 0;
        if (risky) {
          const { data: pv } = await api('POST', `/api/v1/custom_fields/${id}/preview`, { body });
          if (pv.not_convertible > 0) { messages.replaceChildren(failuresBox(d, pv)); messages.focus(); return; }
          if (pv.becomes_required && pv.missing > 0) {
            missing = pv.missing;
            const v = await fillDialog(next(), missing, { returnFocus: save, signal: ctx.signal });
            if (v === undefined) return;
            body.fill_value = v;
          }
        }
        for (;;) {
          try {
            const { data } = await api('PATCH', `/api/v1/custom_fields/${id}`, { body, ifMatch: etag });
            toast(savedText(data));
            await load();
            return;
          } catch (err) {
            // The value does not suit the field, or records lost their value
            // since the preview: asked (again), with why.
            const bad = fieldError(err, 'fill_value');
            if (!bad) throw err;
            missing = Number((/\d+/.exec(bad) || [missing])[0]) || missing;
            const v = await fillDialog(next(), missing,
              { returnFocus: save, error: bad, value: body.fill_value, signal: ctx.signal });
            if (v === undefined) return;
            body.fill_value = v;
          }
        }
      } catch (err) {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 412) stale();
        else showFieldErrors(err, controls, messages);
      } finally {
        save.disabled = false;
        form.removeAttribute('aria-busy');
      }
    });

    const toggle = editable ? h('button', { type: 'button', class: 'btn' }, d.active ? 'Deactivate' : 'Activate') : null;
    toggle?.addEventListener('click', async () => {
      toggle.disabled = true;
      try {
        await api('PATCH', `/api/v1/custom_fields/${id}`, { body: { active: !d.active }, ifMatch: etag });
        toast(d.active ? 'Deactivated: hidden everywhere, values kept.' : 'Activated.');
        await load();
      } catch (err) {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 412) stale();
        else { messages.replaceChildren(problemBox(err)); messages.focus(); }
      } finally {
        toggle.disabled = false;
      }
    });
    const del = can('custom_fields', 'delete') ? h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete') : null;
    del?.addEventListener('click', async () => {
      try {
        if (!await deleteField(d, ctx.signal)) return;
        toast(`Field “${d.label}” deleted.`);
        navigate(listHref());
      } catch (err) {
        if (!isAbort(err)) { messages.replaceChildren(problemBox(err)); messages.focus(); }
      }
    });

    const n = d.records_with_value;
    replace(root,
      h('p', null, h('a', { href: listHref() }, '← All custom fields')),
      h('div', { class: 'page-header' }, pageTitle(d.label,
        d.active ? null : h('span', { class: 'badge badge-off' }, 'Inactive'),
        d.only_admin ? h('span', { class: 'badge badge-admin' }, 'Only admins') : null), toggle, del),
      h('p', { class: 'meta muted', 'data-testid': 'field-meta' }, `${entityText(d.entity)} · `, h('code', null, d.slug),
        ` · ${n} record${n === 1 ? '' : 's'} with a value · created `, timeEl(d.created_at), ' · updated ', timeEl(d.updated_at)),
      d.active ? null : alertBox('info', 'This field is inactive', 'It is hidden from forms, lists and the API; its values are kept.'),
      form,
      canView('activity') ? historySection(d.only_admin ? 'custom_field_admin' : 'custom_field', d.id, ctx.signal) : null);
    if (editable) trackForm(form);
  }
  await load();
}
