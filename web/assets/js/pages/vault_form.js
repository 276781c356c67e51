// The form of a team password (add and edit): name, category, website,
// username, the password (masked, with Show, a generator and a strength
// hint) and the notes (secret too), and on add the access list, which
// starts as the category's defaults and follows the category until it is
// changed by hand. Editing never loads a secret by itself: the password
// and the notes are left empty to keep them, and "Load the current notes"
// is a reveal (the password asked again, logged). Custom fields: name/value
// rows, a hidden one typed masked and kept when left empty.
import { h, nextId } from '../dom.js';
import { me } from '../session.js';
import { control } from '../forms.js';
import { t } from '../i18n.js';
import { accessEditor } from './vault_access.js';
import { generatePassword, reveal, strength } from './vault_secret.js';

const LENGTHS = [16, 20, 24, 32, 48];

/** The password control with Show/Hide, Generate (of a chosen length) and the strength hint. */
function passwordControl(editing) {
  const c = control({ name: 'password', label: t('vault.password'), type: 'password', autocomplete: 'new-password',
    hint: editing ? t('vault.password_keep') : t('vault.password_hint'), wide: true });
  const show = h('button', { type: 'button', class: 'btn btn-sm', 'aria-pressed': 'false', 'aria-controls': c.input.id }, t('vault.show'));
  const lengthId = nextId('pw-length');
  const length = h('select', { id: lengthId, class: 'input input-short' }, LENGTHS.map((n) => h('option', { value: String(n) }, String(n))));
  length.value = '20';
  const generate = h('button', { type: 'button', class: 'btn btn-sm' }, t('vault.generate'));
  const meter = h('p', { class: 'hint strength', 'aria-live': 'polite', dataset: { strength: '' } });
  const paint = () => {
    const s = strength(c.input.value);
    meter.dataset.strength = s ? s.level : '';
    meter.textContent = s ? t(`vault.strength.${s.level}`, { bits: s.bits }) : '';
  };
  show.addEventListener('click', () => {
    const visible = c.input.type === 'password';
    c.input.type = visible ? 'text' : 'password';
    show.setAttribute('aria-pressed', String(visible));
    show.textContent = visible ? t('vault.hide') : t('vault.show');
  });
  generate.addEventListener('click', () => {
    c.input.value = generatePassword(Number(length.value));
    c.input.type = 'text'; // the member sees what they are about to save
    show.setAttribute('aria-pressed', 'true');
    show.textContent = t('vault.hide');
    c.input.dispatchEvent(new Event('input', { bubbles: true }));
    c.input.focus();
  });
  c.input.addEventListener('input', paint);
  c.input.after(h('div', { class: 'secret-tools' }, show,
    h('label', { for: lengthId, class: 'inline-label' }, t('vault.length')), length, generate), meter);
  return c;
}

/**
 * The custom fields' editor: rows of name, value and Hidden (a hidden
 * value is a secret: typed masked, never loaded back; left empty when
 * editing, it keeps the stored one), Remove, and "Add a field".
 */
function customFieldsEditor(list, editing) {
  const rows = h('div', { class: 'custom-fields' });
  const add = h('button', { type: 'button', class: 'btn btn-sm' }, t('vault.cf_add'));
  const row = (f = {}) => {
    const nameId = nextId('cf-name');
    const valueId = nextId('cf-value');
    const name = h('input', { id: nameId, class: 'input', maxlength: 100, value: f.name || '', dataset: { cf: 'name' } });
    const value = h('input', { id: valueId, class: 'input mono', type: f.hidden ? 'password' : 'text', autocomplete: 'off',
      maxlength: 2000, value: f.hidden ? '' : (f.value || ''), dataset: { cf: 'value' },
      placeholder: f.hidden && editing && f.set ? t('vault.cf_keep') : '' });
    const hidden = h('input', { type: 'checkbox', checked: Boolean(f.hidden), dataset: { cf: 'hidden' } });
    hidden.addEventListener('change', () => { value.type = hidden.checked ? 'password' : 'text'; });
    const remove = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('vault.cf_remove') }, t('vault.cf_remove'));
    const r = h('div', { class: 'custom-field-row', dataset: { customFieldRow: '' } },
      h('label', { for: nameId, class: 'inline-label' }, t('vault.cf_name')), name,
      h('label', { for: valueId, class: 'inline-label' }, t('vault.cf_value')), value,
      h('label', { class: 'inline-label' }, hidden, ` ${t('vault.cf_hidden')}`), remove);
    remove.addEventListener('click', () => { r.remove(); add.focus(); });
    rows.append(r);
    return name;
  };
  for (const f of list || []) row(f);
  add.addEventListener('click', () => row().focus());
  const root = h('fieldset', { class: 'field field-wide fieldset', 'data-testid': 'vault-custom-fields' }, h('legend', { class: 'label' }, t('vault.cf_title')),
    h('p', { class: 'hint' }, t('vault.cf_hint')), rows, add);
  const get = () => [...rows.querySelectorAll('[data-custom-field-row]')].map((r) => {
    const name = r.querySelector('[data-cf="name"]').value.trim();
    const value = r.querySelector('[data-cf="value"]').value;
    const hidden = r.querySelector('[data-cf="hidden"]').checked;
    const f = { name, hidden };
    if (!hidden) f.value = value === '' ? null : value;
    else if (value !== '') f.value = value; // empty: keep the stored one
    return f;
  });
  return { root, get };
}

/**
 * The form's controls for entry (null: a new one). categories: the list;
 * subjects: the access pickers'. Returns {fields, grid, read()}, read()
 * giving the body to send (PATCH: only what the member changed of the
 * secrets).
 */
export function entryFields({ entry, categories, subjects, signal, messages }) {
  const editing = Boolean(entry);
  const fields = {
    name: control({ name: 'name', label: t('field.name'), required: true, max: 200, hint: t('vault.name_hint') }),
    category_id: control({ name: 'category_id', label: t('vault.category'), type: 'select',
      options: [['', t('vault.no_category')], ...categories.map((c) => [String(c.id), c.name])] }),
    url: control({ name: 'url', label: t('vault.website'), type: 'url', placeholder: 'https://', hint: t('vault.website_hint') }),
    username: control({ name: 'username', label: t('vault.username'), max: 200, autocomplete: 'off' }),
    password: passwordControl(editing),
    notes: control({ name: 'notes', label: t('vault.notes'), type: 'textarea', rows: 4, wide: true,
      hint: editing && entry.notes_set ? t('vault.notes_keep') : t('vault.notes_hint') }),
  };
  const removals = {};
  if (editing) {
    for (const k of ['name', 'url', 'username']) fields[k].set(entry[k]);
    fields.category_id.set(entry.category_id == null ? '' : String(entry.category_id));
    if (entry.password_set) removals.password = control({ name: 'remove_password', label: t('vault.remove_password'), type: 'checkbox' });
    if (entry.notes_set) {
      removals.notes = control({ name: 'remove_notes', label: t('vault.remove_notes'), type: 'checkbox' });
      const load = h('button', { type: 'button', class: 'btn btn-sm' }, t('vault.load_notes'));
      load.addEventListener('click', async () => {
        const data = await reveal(entry.id, { fields: ['notes'], purpose: 'show' }, messages);
        if (!data || signal.aborted) return;
        fields.notes.set(data.notes || '');
        fields.notes.input.dispatchEvent(new Event('input', { bubbles: true }));
        fields.notes.focus();
      });
      fields.notes.input.after(h('div', { class: 'secret-tools' }, load));
    }
  } else {
    const mine = !me().admin;
    fields.access = accessEditor({ label: t('vault.access'), subjects, value: [],
      hint: mine ? t('vault.access_hint_creator') : t('vault.access_hint') });
    // The category's defaults, until the member changes the list by hand.
    let touched = false;
    fields.access.onChange = () => { touched = true; };
    const follow = () => {
      if (touched) return;
      const c = categories.find((x) => String(x.id) === fields.category_id.input.value);
      fields.access.set(c ? c.default_access : []);
    };
    fields.category_id.input.addEventListener('change', follow);
  }
  const custom = customFieldsEditor(editing ? entry.custom_fields : [], editing);
  const grid = h('div', { class: 'form-grid' },
    fields.name.wrap, fields.category_id.wrap, fields.url.wrap, fields.username.wrap,
    fields.password.wrap, removals.password ? removals.password.wrap : null,
    fields.notes.wrap, removals.notes ? removals.notes.wrap : null,
    custom.root,
    fields.access ? fields.access.root : null);

  const read = () => {
    const cat = fields.category_id.get();
    const body = {
      name: fields.name.get() ?? '',
      category_id: cat ? Number(cat) : null,
      url: fields.url.get(),
      username: fields.username.get(),
    };
    const pw = fields.password.input.value;
    const notes = fields.notes.input.value;
    const cfs = custom.get();
    if (cfs.length || editing) body.custom_fields = cfs;
    if (!editing) {
      if (pw) body.password = pw;
      if (notes.trim()) body.notes = notes;
      body.access = fields.access.get();
      for (const k of ['url', 'username', 'category_id']) if (body[k] === null) delete body[k];
      return body;
    }
    if (pw) body.password = pw;
    else if (removals.password && removals.password.get()) body.password = null;
    if (notes.trim()) body.notes = notes;
    else if (removals.notes && removals.notes.get()) body.notes = null;
    return body;
  };
  return { fields, grid, read };
}
