// Excel import (/admin/excel_import; the spec's "Bulk Excel import"):
// choose a module, download its template, upload a CSV or xlsx file, map
// the columns, validate (every row through the entity's own checks, on the
// job runner), read the errors row by row, choose the duplicate rule and
// all-or-nothing or "skip bad rows", confirm with a progress bar, and the
// history of imports with revert (src/admin/import*.c,
// docs/internals/import.md). Every text from the file reaches the page as
// text.
import { h, pageTitle, timeEl } from '../dom.js';
import { api, ApiError, isAbort, randomKey } from '../api.js';
import { can, me } from '../session.js';
import { navigate } from '../router.js';
import { listView } from '../listview.js';
import { entityByKey, loadEntities } from '../entities.js';
import { confirmDialog, problemBox, toast } from '../ui.js';
import { errorMessage } from '../forms.js';
import { t, tOr } from '../i18n.js';

const BASE = '/admin/excel_import';
const API = '/api/v1/imports';
const ENTITIES = ['leads', 'clients', 'contacts', 'tasks', 'tickets', 'contracts', 'projects'];
const BUSY = ['validating', 'queued', 'running'];
const NOT_IMPORTED = new Set(['secret', 'ids', 'object', 'items']);

/* "Back up before import": a backup of the kind pre_import (src/admin/backup.c).
 * Backups hold every organisation's data, so only administrators may start
 * one (the backups permission row has no capability to grant; the server
 * also refuses administrators of other organisations, shown as a problem). */
const BACKUP_API = '/api/v1/backups';
function backupAvailable() {
  return Boolean(me()?.admin);
}

const statusText = (s) => t(`import.status.${s}`);
const statusBadge = (s) => h('span', { class: ['badge', s === 'done' ? 'badge-on' : ['failed', 'invalid'].includes(s) ? 'badge-danger' : 'badge-off'],
  'data-testid': 'import-status' }, statusText(s));
const entityLabel = (p) => tOr(`entity.${p}`, p);

/* ---- the first page: module, template, upload, history --------------------- */

async function importsPage(ctx, root) {
  ctx.setTitle(t('nav.excel_import'));
  const allowed = ENTITIES.filter((p) => can(p, 'create'));
  const select = h('select', { id: 'import-entity', class: 'input', 'data-testid': 'import-entity' },
    ...allowed.map((p) => h('option', { value: p }, entityLabel(p))));
  const template = h('a', { class: 'btn', 'data-testid': 'import-template', download: '' }, t('import.template'));
  const setTemplate = () => { template.href = `${API}/template?entity=${encodeURIComponent(select.value)}`; };
  select.addEventListener('change', setTemplate);
  setTemplate();
  const file = h('input', { type: 'file', id: 'import-file', accept: '.csv,.xlsx,text/csv', 'data-testid': 'import-file' });
  const error = h('p', { class: 'field-error', hidden: true, role: 'alert', 'data-testid': 'import-upload-error' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'import-upload' }, t('import.upload'));
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'import-entity', class: 'label' }, t('import.module')), select),
    h('div', { class: 'field' }, h('span', { class: 'label' }, t('import.step_template')), template,
      h('p', { class: 'hint' }, t('import.template_hint'))),
    h('div', { class: 'field' }, h('label', { for: 'import-file', class: 'label' }, t('import.file')), file, error,
      h('p', { class: 'hint' }, t('import.file_hint'))),
    h('div', { class: 'form-actions' }, send));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    const f = file.files && file.files[0];
    if (!f) { error.textContent = t('import.choose_file'); error.hidden = false; file.focus(); return; }
    send.disabled = true;
    try {
      const { data } = await api('POST', API, { query: { entity: select.value, filename: f.name }, raw: f,
        contentType: 'application/octet-stream' });
      navigate(`${BASE}/${data.id}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && err.fieldErrors.length) {
        error.textContent = err.fieldErrors.map((e) => e.detail || errorMessage(e)).join(' ');
        error.hidden = false;
      } else if (err instanceof ApiError && err.status === 413) {
        error.textContent = t('import.too_large');
        error.hidden = false;
      } else if (!isAbort(err)) form.prepend(problemBox(err));
    } finally {
      send.disabled = false;
    }
  });

  const view = listView(ctx, {
    api: API,
    name: t('import.history'),
    id: 'imports',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    maxLimit: 100,
    search: null,
    columns: [
      { label: t('import.col.file'), cell: (i) => h('a', { href: `${BASE}/${i.id}` }, i.filename) },
      { label: t('import.module'), cell: (i) => entityLabel(i.entity) },
      { label: t('field.status'), cell: (i) => statusBadge(i.status) },
      { label: t('import.col.rows'), class: 'num', cell: (i) => String(i.rows_total) },
      { label: t('import.col.result'), cell: (i) => t('import.result', { created: i.created, updated: i.updated, skipped: i.skipped, errors: i.errors }) },
      { label: t('import.col.when'), class: 'when', cell: (i) => timeEl(i.created_at) },
    ],
    rowProps: (i) => ({ dataset: { import: i.id } }),
    empty: { none: [t('import.none'), t('import.none_detail')], filtered: [t('import.none')] },
  });

  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.excel_import')), backupButton()),
    h('div', { class: 'alert alert-info' }, h('p', {}, t('import.advice'))),
    allowed.length ? form : h('p', { class: 'muted' }, t('import.no_modules')),
    h('h2', { class: 'section-title' }, t('import.history')),
    view.root);
  await view.load();
}

function backupButton() {
  if (!backupAvailable()) return null;
  const b = h('button', { type: 'button', class: 'btn', 'data-testid': 'import-backup' }, t('import.backup'));
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await api('POST', BACKUP_API, { body: { kind: 'pre_import' }, idempotencyKey: randomKey() });
      toast(t('import.backup_started'));
    } catch (err) {
      if (!isAbort(err)) b.after(problemBox(err));
    } finally { b.disabled = false; }
  });
  return b;
}

/* ---- one import: mapping, validation, errors, confirm, progress, revert ---- */

function targets(entity) {
  const e = entityByKey(entity);
  if (!e) return [];
  return e.fields.filter((f) => f.form !== false && !NOT_IMPORTED.has(f.ftype) && f.name !== 'created_at' && f.name !== 'updated_at');
}

async function importPage(ctx, root) {
  const id = ctx.params.id;
  await loadEntities(ctx.signal);
  let imp;
  try {
    ({ data: imp } = await api('GET', `${API}/${id}`, { signal: ctx.signal }));
  } catch (err) {
    if (isAbort(err)) return;
    root.replaceChildren(problemBox(err));
    return;
  }
  ctx.setTitle(imp.filename);
  const fields = targets(imp.entity);
  const open = ['uploaded', 'validated', 'invalid', 'failed'].includes(imp.status);

  /* mapping */
  const selects = imp.headers.map((head, i) => {
    const s = h('select', { class: 'input', id: `import-map-${i + 1}`, 'data-testid': `import-map-${i + 1}`, disabled: !open },
      h('option', { value: '' }, t('import.ignore')),
      ...fields.map((f) => h('option', { value: f.param, selected: imp.mapping[i] === f.param },
        `${f.label}${f.required ? ' *' : ''}`)));
    return s;
  });
  const mapTable = h('table', { class: 'table', 'data-testid': 'import-mapping' },
    h('thead', {}, h('tr', {}, h('th', {}, t('import.col.column')), h('th', {}, t('import.col.header')), h('th', {}, t('import.col.field')))),
    h('tbody', {}, ...imp.headers.map((head, i) => h('tr', {},
      h('td', { class: 'num' }, String(i + 1)), h('td', {}, head),
      h('td', {}, h('label', { class: 'visually-hidden', for: `import-map-${i + 1}` }, t('import.field_of', { header: head })), selects[i])))));

  const keyFields = fields.filter((f) => !f.custom && ['text', 'textarea', 'email', 'tel', 'url'].includes(f.type));
  const dupKey = h('select', { class: 'input', id: 'import-dup-key', 'data-testid': 'import-dup-key', disabled: !open },
    h('option', { value: '' }, t('import.no_key')),
    ...keyFields.map((f) => h('option', { value: f.name, selected: imp.dup_key === f.name }, f.label)));
  const dupMode = h('select', { class: 'input', id: 'import-dup-mode', 'data-testid': 'import-dup-mode', disabled: !open },
    ...['create', 'skip', 'update'].map((m) => h('option', { value: m, selected: imp.dup_mode === m }, t(`import.mode.${m}`))));
  const skipBad = h('input', { type: 'checkbox', id: 'import-skip-bad', 'data-testid': 'import-skip-bad', checked: imp.skip_bad, disabled: !open });
  const settingsError = h('div', { 'data-testid': 'import-settings-error' });
  const save = h('button', { type: 'button', class: 'btn', 'data-testid': 'import-save', disabled: !open }, t('import.save'));
  const validate = h('button', { type: 'button', class: 'btn', 'data-testid': 'import-validate', disabled: !open }, t('import.validate'));
  const confirmBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'import-confirm' }, t('import.confirm'));
  const revert = h('button', { type: 'button', class: 'btn btn-danger', 'data-testid': 'import-revert' }, t('import.revert'));

  const state = h('div', { class: 'import-state', 'data-testid': 'import-state', 'aria-live': 'polite' });
  const errorsBox = h('div', { 'data-testid': 'import-errors' });

  async function saveSettings() {
    const mapping = {};
    selects.forEach((s, i) => { mapping[String(i + 1)] = s.value || null; });
    settingsError.replaceChildren();
    try {
      ({ data: imp } = await api('PATCH', `${API}/${id}`, { body: {
        mapping, dup_key: dupKey.value || null, dup_mode: dupMode.value, skip_bad: skipBad.checked } }));
      return true;
    } catch (err) {
      if (isAbort(err)) return false;
      if (err instanceof ApiError && err.status === 422 && err.fieldErrors.length) {
        settingsError.replaceChildren(h('ul', { class: 'field-error', role: 'alert' },
          ...err.fieldErrors.map((e) => h('li', {}, e.detail || errorMessage(e)))));
      } else settingsError.replaceChildren(problemBox(err));
      return false;
    }
  }

  async function act(button, path) {
    button.disabled = true;
    try {
      ({ data: imp } = await api('POST', `${API}/${id}/${path}`, { body: {} }));
      await render();
    } catch (err) {
      if (!isAbort(err)) state.after(problemBox(err));
    } finally { button.disabled = false; }
  }

  save.addEventListener('click', async () => { if (await saveSettings()) { toast(t('import.saved')); await render(); } });
  validate.addEventListener('click', async () => { if (await saveSettings()) await act(validate, 'validate'); });
  confirmBtn.addEventListener('click', () => act(confirmBtn, 'confirm'));
  revert.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: t('import.revert_q'), message: t('import.revert_detail', { created: imp.created, updated: imp.updated }),
      confirmLabel: t('import.revert'), danger: true });
    if (!ok) return;
    revert.disabled = true;
    try {
      await api('POST', `${API}/${id}/revert`, { body: {} });
      toast(t('import.reverted'));
      ({ data: imp } = await api('GET', `${API}/${id}`));
      await render();
    } catch (err) {
      if (isAbort(err)) return;
      const box = problemBox(err);
      if (err instanceof ApiError && err.fieldErrors.length) {
        box.append(h('ul', { 'data-testid': 'import-revert-refused' }, ...err.fieldErrors.map((e) => h('li', {}, e.detail))));
      }
      state.after(box);
    } finally { revert.disabled = false; }
  });

  async function loadErrors() {
    if (!imp.errors) { errorsBox.replaceChildren(); return; }
    const { data } = await api('GET', `${API}/${id}/errors`, { query: { limit: 500 }, signal: ctx.signal });
    errorsBox.replaceChildren(
      h('h2', { class: 'section-title' }, t('import.errors_title', { count: imp.errors })),
      h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('import.col.row')), h('th', {}, t('import.col.column')), h('th', {}, t('import.col.reason')))),
        h('tbody', {}, ...data.data.map((e) => h('tr', { dataset: { row: e.row } },
          h('td', { class: 'num' }, String(e.row)), h('td', {}, e.column), h('td', {}, e.reason))))));
  }

  let timer = null;
  async function render() {
    const busy = BUSY.includes(imp.status);
    const open2 = ['uploaded', 'validated', 'invalid', 'failed'].includes(imp.status);
    for (const c of [...selects, dupKey, dupMode, skipBad, save, validate]) c.disabled = !open2;
    confirmBtn.hidden = !(imp.status === 'validated' || (imp.status === 'invalid' && imp.skip_bad));
    revert.hidden = !(imp.status === 'done' && can('imports', 'delete'));
    const parts = [statusBadge(imp.status), ' ',
      h('span', {}, t('import.summary', { rows: imp.rows_total }))];
    if (busy) {
      const writing = imp.status !== 'validating';
      const progress = h('progress', { max: imp.rows_total + 1, 'data-testid': 'import-progress',
        'aria-label': t('import.progress') });
      if (writing && imp.rows_done > 0) progress.value = imp.rows_done;
      parts.push(h('div', {}, progress));
    }
    if (['done', 'reverted', 'failed', 'invalid'].includes(imp.status)) {
      parts.push(h('p', { 'data-testid': 'import-result' }, t('import.result',
        { created: imp.created, updated: imp.updated, skipped: imp.skipped, errors: imp.errors })));
    }
    if (imp.error) parts.push(h('p', { class: 'field-error' }, imp.error));
    state.replaceChildren(...parts);
    await loadErrors();
    clearTimeout(timer);
    if (busy && !ctx.signal.aborted) {
      timer = setTimeout(async () => {
        try {
          ({ data: imp } = await api('GET', `${API}/${id}`, { signal: ctx.signal }));
          await render();
        } catch (err) { if (!isAbort(err)) state.after(problemBox(err)); }
      }, 1000);
    }
  }
  ctx.signal.addEventListener('abort', () => clearTimeout(timer));

  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(imp.filename), h('a', { href: BASE, class: 'btn' }, t('import.back'))),
    h('p', { class: 'muted' }, t('import.of_module', { module: entityLabel(imp.entity) })),
    state,
    h('h2', { class: 'section-title' }, t('import.map_title')),
    h('p', { class: 'hint' }, t('import.map_hint')),
    mapTable,
    h('div', { class: 'form' },
      h('div', { class: 'field' }, h('label', { for: 'import-dup-key', class: 'label' }, t('import.dup_key')), dupKey),
      h('div', { class: 'field' }, h('label', { for: 'import-dup-mode', class: 'label' }, t('import.dup_mode')), dupMode),
      h('div', { class: 'field' }, h('label', { class: 'checkbox' }, skipBad, ' ', t('import.skip_bad')),
        h('p', { class: 'hint' }, t('import.skip_bad_hint'))),
      settingsError,
      h('div', { class: 'form-actions' }, save, validate, confirmBtn, revert)),
    errorsBox);
  await render();
}

export const routes = [[BASE, importsPage], [`${BASE}/:id`, importPage]];
export const nav = [
  { path: BASE, key: 'nav.excel_import', label: 'Excel import', module: 'imports', group: 'Utilities', order: 30,
    icon: ['M4 4h16v16H4z', 'M4 9h16', 'M9 9v11', 'M12 13l3 3 3-3'] },
];
