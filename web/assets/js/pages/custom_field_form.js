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
import { t, tOr } from '../i18n.js';

export const BASE = '/admin/custom_fields';
const listHref = () => BASE + lastListQuery(BASE);

// The form's widths (bs_column: columns of the records' 12-column form).
export const WIDTHS = () => [[12, t('cf.width_12')], [9, t('cf.width_9')], [8, t('cf.width_8')], [6, t('cf.width_6')],
  [4, t('cf.width_4')], [3, t('cf.width_3')]];
export const widthText = (n) => (WIDTHS().find(([w]) => w === n) || [n, String(n)])[1];

// The types and the spec's advice (GET /api/v1/custom_fields/types), once per page load.
let typesCache = null;
export async function loadTypes(signal) {
  if (!typesCache) {
    const { data } = await api('GET', '/api/v1/custom_fields/types', { signal });
    // The server words the types in English; the catalogue in the member's language.
    typesCache = (Array.isArray(data && data.data) ? data.data : []).map((x) => ({
      ...x, label: tOr(`cf.type.${x.type}`, x.label), hint: tOr(`cf.hint.${x.type}`, x.hint) }));
  }
  return typesCache;
}

/** The entities custom fields may go on: [name, label] (those this member may see). */
export const entityOptions = () => ENTITIES.map((e) => [e.logEntity, e.plural]);
export const entityText = (name) => (entityByLogName(name) || { plural: name }).plural;

const CHOICE = new Set(['select', 'multi_select']);
const FLAGS = () => [
  ['required', t('cf.required'), t('cf.required_hint')],
  ['searchable', t('cf.searchable'), t('cf.searchable_hint')],
  ['only_admin', t('cf.only_admin'), t('cf.only_admin_hint')],
  ['show_on_client_portal', t('cf.portal'), null],
  ['show_on_pdf', t('cf.pdf'), null],
];

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
    entity: control({ name: 'entity', label: t('cf.entity'), type: 'select', required: true, options: entityOptions(),
      hint: isNew ? t('cf.entity_hint_new') : t('cf.entity_hint') }),
    label: control({ name: 'label', label: t('cf.label'), required: true, max: 100, hint: t('cf.label_hint') }),
    slug: control({ name: 'slug', label: t('cf.slug'), required: true, max: 60, hint: isNew ? t('cf.slug_new') : t('cf.slug_fixed') }),
    type: control({ name: 'type', label: t('cf.type'), type: 'select', required: true,
      options: types.map((x) => [x.type, x.label]), hint: ' ' }),
    options: control({ name: 'options', label: t('cf.options'), type: 'textarea', rows: 5, required: true,
      hint: t('cf.options_hint') }),
    decimals: control({ name: 'decimals', label: t('cf.decimals'), type: 'number', min: 0, maxValue: 6, hint: t('cf.decimals_hint') }),
    ref_entity: control({ name: 'ref_entity', label: t('cf.links_to'), type: 'select', required: true, options: entityOptions() }),
    help_text: control({ name: 'help_text', label: t('cf.help_text'), type: 'textarea', max: 500, hint: t('cf.help_text_hint') }),
    position: control({ name: 'position', label: t('cf.order'), type: 'number', min: 0, maxValue: 100000,
      hint: t('cf.order_hint') }),
    bs_column: control({ name: 'bs_column', label: t('cf.width_form'), type: 'select', options: WIDTHS() }),
  };
  if (isNew) c.active = control({ name: 'active', label: t('cf.active'), type: 'checkbox', hint: t('cf.active_hint') });
  for (const [name, label, hint] of FLAGS()) {
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
  for (const [name] of FLAGS()) if (c[name]) c[name].set(d ? d[name] : name === 'searchable');
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
    label: t('cf.default'), get input() { return def ? def.input : c.type.input; },
    setError: (m) => def && def.setError(m), focus: () => def && def.input.focus(),
  };
  async function drawDefault() {
    const n = next();
    const key = JSON.stringify([n.type, n.options, n.decimals, n.ref_entity]);
    if (key === defKey) return;
    defKey = key;
    const was = def ? def.get() : d ? d.default : null;
    if (n.type === 'link') { def = null; defaultSlot.replaceChildren(); return; } // a link has no default
    def = await valueControl(n, 'default', t('cf.default'), t('cf.default_hint'), signal);
    if (was != null) { try { def.set(was); } catch { /* another type: left empty */ } }
    defaultSlot.replaceChildren(def.wrap);
  }

  const typeHint = () => {
    const ty = types.find((x) => x.type === type());
    c.type.hintEl.textContent = ty ? ty.hint : '';
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
    const ty = type();
    const all = {
      entity: c.entity.input.value, label: c.label.get() ?? '', slug: c.slug.get() ?? '', type: ty,
      options: CHOICE.has(ty) ? options() : undefined,
      decimals: ty === 'number' ? c.decimals.get() : undefined,
      ref_entity: ty === 'link' ? c.ref_entity.input.value : undefined,
      default: ty === 'link' ? undefined : def ? def.get() : null,
      help_text: c.help_text.get(), position: c.position.get() ?? (isNew ? null : d.position),
      bs_column: Number(c.bs_column.input.value),
    };
    if (c.active) all.active = c.active.get();
    for (const [name] of FLAGS()) if (c[name]) all[name] = c[name].get();
    const body = {};
    for (const [k, v] of Object.entries(all)) {
      if (v === undefined) continue;
      if (isNew) { if (v !== null) body[k] = v; continue; }
      if (k === 'entity' || k === 'slug') continue; // fixed once saved
      if (k === 'default' ? !sameDefault(ty, v, d.default) : !sameValue(v, d[k])) body[k] = v;
    }
    return body;
  }

  const wraps = Object.entries(c).filter(([k]) => k !== 'help_text' && !FLAGS().some(([f]) => f === k) && k !== 'active')
    .map(([, x]) => x.wrap);
  for (const k of ['options', 'help_text']) c[k].wrap.classList.add('field-wide');
  const grid = h('div', { class: 'form-grid' }, wraps, defaultSlot, c.help_text.wrap,
    h('fieldset', { class: 'field field-wide fieldset' }, h('legend', { class: 'label' }, t('cf.settings')),
      h('div', { class: 'check-grid' }, [c.active, ...FLAGS().map(([f]) => c[f])].filter(Boolean).map((x) => x.wrap))));
  return { grid, controls: { ...c, default: defaultProxy }, read, next };
}

export async function newPage(ctx, root) {
  ctx.setTitle(t('cf.new_title'));
  const types = await loadTypes(ctx.signal);
  const { grid, controls, read } = await defForm(null, types, ctx.signal);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('cf.create'));
  const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'custom-field-form' }, messages, grid,
    h('div', { class: 'form-actions' }, save, h('a', { href: listHref(), class: 'btn' }, t('common.cancel'))));
  root.replaceChildren(h('p', null, h('a', { href: listHref() }, `← ${t('cf.all')}`)),
    h('div', { class: 'page-header' }, pageTitle(t('cf.new_title'))), form);
  trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(controls, messages);
    save.disabled = true;
    try {
      const { data } = await api('POST', '/api/v1/custom_fields', { body: read() });
      toast(t('cf.created', { label: data.label }));
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
  ctx.setTitle(t('cf.one'));
  const types = await loadTypes(ctx.signal);

  async function load() {
    let d;
    let etag;
    try {
      ({ data: d, etag } = await api('GET', `/api/v1/custom_fields/${id}`, { signal: ctx.signal }));
    } catch (err) {
      if (!isAbort(err)) root.replaceChildren(problemBox(err, h('a', { href: listHref(), class: 'btn' }, t('cf.all'))));
      return;
    }
    ctx.setTitle(d.label);
    const editable = can('custom_fields', 'edit');
    const { grid, controls, read, next } = await defForm(d, types, ctx.signal);
    const messages = h('div', { class: 'form-messages', tabindex: '-1' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save_changes'));
    const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'custom-field-form', 'aria-label': t('cf.form_label') },
      messages, grid, editable ? h('div', { class: 'form-actions' }, save, h('a', { href: listHref(), class: 'btn' }, t('common.cancel'))) : null);
    if (!editable) for (const el of form.elements) el.disabled = true;
    const stale = () => staleNotice(messages, 'field', () => load());

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(controls, messages);
      const body = read();
      if (!Object.keys(body).length) { toast(t('common.no_changes'), 'info'); return; }
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

    const toggle = editable ? h('button', { type: 'button', class: 'btn' }, d.active ? t('cf.deactivate') : t('cf.activate')) : null;
    toggle?.addEventListener('click', async () => {
      toggle.disabled = true;
      try {
        await api('PATCH', `/api/v1/custom_fields/${id}`, { body: { active: !d.active }, ifMatch: etag });
        toast(d.active ? t('cf.deactivated') : t('cf.activated'));
        await load();
      } catch (err) {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 412) stale();
        else { messages.replaceChildren(problemBox(err)); messages.focus(); }
      } finally {
        toggle.disabled = false;
      }
    });
    const del = can('custom_fields', 'delete') ? h('button', { type: 'button', class: 'btn btn-danger' }, t('cf.delete')) : null;
    del?.addEventListener('click', async () => {
      try {
        if (!await deleteField(d, ctx.signal)) return;
        toast(t('cf.deleted', { label: d.label }));
        navigate(listHref());
      } catch (err) {
        if (!isAbort(err)) { messages.replaceChildren(problemBox(err)); messages.focus(); }
      }
    });

    const n = d.records_with_value;
    replace(root,
      h('p', null, h('a', { href: listHref() }, `← ${t('cf.all')}`)),
      h('div', { class: 'page-header' }, pageTitle(d.label,
        d.active ? null : h('span', { class: 'badge badge-off' }, t('cf.inactive')),
        d.only_admin ? h('span', { class: 'badge badge-admin' }, t('cf.only_admins')) : null), toggle, del),
      h('p', { class: 'meta muted', 'data-testid': 'field-meta' }, `${entityText(d.entity)} · `, h('code', null, d.slug),
        ` · ${t('cf.with_value', { count: n })} · ${t('form.meta_created')} `, timeEl(d.created_at), ` · ${t('form.meta_updated')} `, timeEl(d.updated_at)),
      d.active ? null : alertBox('info', t('cf.inactive_title'), t('cf.inactive_detail')),
      form,
      canView('activity') ? historySection(d.only_admin ? 'custom_field_admin' : 'custom_field', d.id, ctx.signal) : null);
    if (editable) trackForm(form);
  }
  await load();
}
