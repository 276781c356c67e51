// One team password (/admin/team_password/:id) and its add and edit pages.
// The page shows what the member's level allows: everyone granted sees the
// name, category, website and username; `use` reveals and copies the
// password and the notes (each a logged POST .../reveal that asks for the
// password again first) and the previous passwords; `manage` edits,
// deletes, changes who may see and use it, and reads who did what with it.
import { h, pageTitle, replace, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { navigate } from '../router.js';
import { trackForm } from '../dirty.js';
import { listView } from '../listview.js';
import { alertBox, confirmDialog, copyText, loadStaff, problemBox, staffName, toast } from '../ui.js';
import { clearErrors, showFieldErrors, staleNotice } from '../forms.js';
import { t } from '../i18n.js';
import { diffParts } from './activity.js';
import { accessEditor, accessSummary, loadSubjects } from './vault_access.js';
import { BASE, levelBadge, loadCategories } from './vault_common.js';
import { entryFields } from './vault_form.js';
import { copySecret, reveal, shownSecret } from './vault_secret.js';

const backLink = () => h('p', null, h('a', { href: BASE }, `← ${t('vault.all')}`));
const MASK = '••••••••••••';

/** A link to a website, only for http(s) (anything else stays text). */
function website(url) {
  if (!url) return h('span', { class: 'muted' }, '—');
  return /^https?:\/\//i.test(url)
    ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'mono' }, url)
    : h('span', { class: 'mono' }, url);
}

/** A secret's cell: masked, with Reveal and Copy (use), or "none". */
function secretCell(entry, field, messages) {
  const slot = h('div', { class: 'secret-slot', dataset: { secret: field } });
  const set = field === 'password' ? entry.password_set : entry.notes_set;
  const usable = entry.level === 'use' || entry.level === 'manage';
  const masked = () => {
    if (!set) { replace(slot, h('span', { class: 'muted' }, t('vault.none_set'))); return; }
    const show = usable ? h('button', { type: 'button', class: 'btn btn-sm' }, t('vault.reveal')) : null;
    const copy = usable ? h('button', { type: 'button', class: 'btn btn-sm' }, t('vault.copy')) : null;
    show?.setAttribute('aria-label', t('vault.reveal_what', { what: t(`vault.field.${field}`) }));
    copy?.setAttribute('aria-label', t('vault.copy_what', { what: t(`vault.field.${field}`) }));
    show?.addEventListener('click', async () => {
      show.disabled = true;
      const data = await reveal(entry.id, { fields: [field], purpose: 'show' }, messages);
      show.disabled = false;
      if (!data) return;
      replace(slot, shownSecret(data[field], { multiline: field === 'notes', label: t(`vault.field.${field}`), onHide: masked }));
      slot.querySelector('input, textarea').focus();
    });
    copy?.addEventListener('click', async () => {
      copy.disabled = true;
      await copySecret(entry.id, field, messages);
      copy.disabled = false;
    });
    replace(slot, h('span', { class: 'mono secret-mask', 'aria-label': t('vault.hidden') }, field === 'password' ? MASK : t('vault.hidden')),
      show, copy, usable ? null : h('span', { class: 'muted' }, ` ${t('vault.view_only')}`));
  };
  masked();
  return slot;
}

/** A hidden custom field's cell: masked, with Reveal and Copy (use), each a logged reveal. */
function hiddenFieldCell(entry, name, messages) {
  const slot = h('div', { class: 'secret-slot', dataset: { customField: name } });
  const usable = entry.level === 'use' || entry.level === 'manage';
  const masked = () => {
    const show = usable ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('vault.reveal_what', { what: name }) }, t('vault.reveal')) : null;
    const copy = usable ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('vault.copy_what', { what: name }) }, t('vault.copy')) : null;
    show?.addEventListener('click', async () => {
      show.disabled = true;
      const data = await reveal(entry.id, { custom_field: name, purpose: 'show' }, messages);
      show.disabled = false;
      if (!data) return;
      replace(slot, shownSecret(Object.values(data.custom_fields || {})[0], { label: name, onHide: masked }));
      slot.querySelector('input').focus();
    });
    copy?.addEventListener('click', async () => {
      copy.disabled = true;
      const data = await reveal(entry.id, { custom_field: name, purpose: 'copy' }, messages);
      copy.disabled = false;
      if (!data) return;
      const ok = await copyText(Object.values(data.custom_fields || {})[0] || '');
      toast(ok ? t('vault.copied', { what: name }) : t('vault.copy_failed'), ok ? 'success' : 'error');
    });
    replace(slot, h('span', { class: 'mono secret-mask', 'aria-label': t('vault.hidden') }, MASK), show, copy);
  };
  masked();
  return slot;
}

/** The previous passwords (use): when set and replaced, by whom; reveal or copy each. */
async function historySection(entry, messages, signal) {
  const section = h('section', { class: 'section card', 'aria-labelledby': 'vault-history-title' },
    h('div', { class: 'section-header' }, h('h2', { id: 'vault-history-title', class: 'section-title' }, t('vault.history'))));
  let rows;
  try {
    ({ data: { data: rows } } = await api('GET', `/api/v1/vault/entries/${entry.id}/history`, { signal }));
  } catch (err) {
    if (!isAbort(err)) section.append(h('div', { class: 'section-body' }, problemBox(err)));
    return section;
  }
  if (!rows.length) {
    section.append(h('p', { class: 'section-body muted' }, t('vault.history_none')));
    return section;
  }
  section.append(h('div', { class: 'table-wrap' }, h('table', { class: 'table table-compact', 'aria-label': t('vault.history') },
    h('thead', null, h('tr', null, [t('vault.set_at'), t('vault.replaced_at'), t('vault.replaced_by'), t('vault.password')]
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, rows.map((r) => {
      const cell = h('td', { class: 'secret-slot' });
      const masked = () => {
        const show = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('vault.reveal_old', { when: r.replaced_at }) }, t('vault.reveal'));
        const copy = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('vault.copy_old', { when: r.replaced_at }) }, t('vault.copy'));
        show.addEventListener('click', async () => {
          const data = await reveal(entry.id, { history_id: r.id, purpose: 'show' }, messages);
          if (data) replace(cell, shownSecret(data.password, { label: t('vault.password'), onHide: masked }));
        });
        copy.addEventListener('click', () => copySecret(entry.id, 'password', messages, r.id));
        replace(cell, show, copy);
      };
      masked();
      return h('tr', { dataset: { history: r.id } }, h('td', null, r.set_at ? timeEl(r.set_at) : '—'), h('td', null, timeEl(r.replaced_at)),
        h('td', null, r.replaced_by_name || (r.replaced_by ? `#${r.replaced_by}` : '—')), cell);
    })))));
  return section;
}

/** Who may see and use it (manage): the access editor and Save. */
function accessSection(entry, subjects, messages, onSaved) {
  const editor = accessEditor({ label: t('vault.access'), subjects, value: entry.access, hint: t('vault.access_page_hint') });
  const local = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('vault.save_access'));
  const form = h('form', { novalidate: true, class: 'section-body', 'data-testid': 'vault-access-form' }, local, editor.root,
    h('div', { class: 'form-actions' }, save));
  const tracker = trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors({ access: editor }, local);
    save.disabled = true;
    try {
      const { data } = await api('PUT', `/api/v1/vault/entries/${entry.id}/access`,
        { body: { access: editor.get() }, ifMatch: `"${entry.version}"` });
      tracker.markClean();
      toast(t('vault.access_saved'));
      onSaved(data);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 412) staleNotice(local, 'team_password', () => onSaved(null));
      else showFieldErrors(err, { access: editor }, local);
    } finally {
      save.disabled = false;
    }
  });
  return h('section', { class: 'section card', 'aria-labelledby': 'vault-access-title' },
    h('div', { class: 'section-header' }, h('h2', { id: 'vault-access-title', class: 'section-title' }, t('vault.access_title'))), form);
}

/** Who did what with it (manage): the entry's activity rows. */
function activitySection(ctx, entry, subjects) {
  // Access lists by name; the browser that read a secret stays in the full log.
  const changes = (diff) => diffParts(diff).filter((p) => p.field !== 'user_agent').map((p, i) => {
    const c = diff[p.field];
    const text = p.field === 'access' && c && typeof c === 'object'
      ? ['from', 'to'].filter((k) => k in c).map((k) => accessSummary(subjects, c[k])).join(' → ')
      : p.text;
    return [i ? '; ' : '', h('span', { class: 'diff-field' }, p.field), ': ', text];
  });
  const view = listView(ctx, {
    api: `/api/v1/vault/entries/${entry.id}/activity`,
    name: t('vault.activity'),
    id: 'vault-activity',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    maxLimit: 100,
    search: null,
    filterLabel: t('vault.activity_filter'),
    filters: [{ param: 'action', id: 'vault-activity-action', label: t('activity.action'),
      options: ['create', 'update', 'reveal'].map((a) => [a, t(`vault.action.${a}`)]) }],
    columns: [
      { label: t('activity.time'), class: 'when', cell: (e) => timeEl(e.at) },
      { label: t('activity.actor'), cell: (e) => e.actor_name || (e.actor_id != null ? `#${e.actor_id}` : t('activity.system')) },
      { label: t('activity.action'), cell: (e) => h('span', { class: ['badge', `badge-action-${e.action}`] }, t(`vault.action.${e.action}`)) },
      { label: t('activity.changes'), class: 'diff-cell', cell: (e) => changes(e.diff) },
      { label: t('activity.ip'), class: 'nowrap mono', cell: (e) => e.ip || '' },
    ],
    tableClass: 'table-log',
    empty: { none: [t('vault.activity_none')], filtered: [t('vault.activity_none')] },
  });
  const section = h('section', { class: 'section', 'aria-labelledby': 'vault-activity-title' },
    h('h2', { id: 'vault-activity-title', class: 'section-title' }, t('vault.activity')), view.root);
  return { section, view };
}

export async function entryPage(ctx, root) {
  const id = ctx.params.id;
  ctx.setTitle(t('vault.one'));
  let entry;
  try {
    ({ data: entry } = await api('GET', `/api/v1/vault/entries/${id}`, { signal: ctx.signal }));
  } catch (err) {
    if (!isAbort(err)) root.replaceChildren(backLink(), problemBox(err, h('a', { href: BASE, class: 'btn' }, t('vault.all'))));
    return;
  }
  const [staff, subjects] = await Promise.all([loadStaff(ctx.signal),
    entry.level === 'manage' ? loadSubjects(ctx.signal) : null]);
  if (ctx.signal.aborted) return;
  ctx.setTitle(entry.name);
  const messages = h('div', { class: 'form-messages page-messages', tabindex: '-1' });
  const manage = entry.level === 'manage';
  const edit = manage ? h('a', { href: `${BASE}/${entry.id}/edit`, class: 'btn' }, t('common.edit')) : null;
  const del = manage ? h('button', { type: 'button', class: 'btn btn-danger' }, t('common.delete')) : null;
  del?.addEventListener('click', async () => {
    if (!await confirmDialog({ title: t('vault.delete_q', { name: entry.name }), danger: true,
      confirmLabel: t('common.delete'), message: t('vault.delete_message') })) { del.focus(); return; }
    try {
      await api('DELETE', `/api/v1/vault/entries/${entry.id}`, { ifMatch: `"${entry.version}"` });
      toast(t('vault.deleted', { name: entry.name }));
      navigate(BASE);
    } catch (err) { messages.replaceChildren(problemBox(err)); messages.focus(); }
  });
  const copyUser = entry.username ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('vault.copy_username') }, t('vault.copy')) : null;
  copyUser?.addEventListener('click', async () => toast(await copyText(entry.username) ? t('vault.copied', { what: t('vault.username') }) : t('vault.copy_failed')));
  const who = (sid) => (sid == null ? '' : ` · ${staffName(staff, sid)}`);
  const facts = [
    [t('vault.category'), entry.category_name || h('span', { class: 'muted' }, t('vault.no_category'))],
    [t('vault.website'), website(entry.url)],
    [t('vault.username'), entry.username ? [h('span', { class: 'mono', 'data-testid': 'vault-username' }, entry.username), ' ', copyUser]
      : h('span', { class: 'muted' }, '—')],
    [t('vault.password'), secretCell(entry, 'password', messages)],
    [t('vault.notes'), secretCell(entry, 'notes', messages)],
    ...(entry.custom_fields || []).map((f) => [f.name, f.hidden ? hiddenFieldCell(entry, f.name, messages)
      : (f.value ? h('span', { class: 'mono' }, f.value) : h('span', { class: 'muted' }, '—'))]),
    [t('vault.rotated_at'), entry.rotated_at ? timeEl(entry.rotated_at) : h('span', { class: 'muted' }, '—')],
    [t('field.updated_at'), [timeEl(entry.updated_at), who(entry.updated_by)]],
    [t('field.created_at'), [timeEl(entry.created_at), who(entry.created_by)]],
  ];
  const sections = h('div');
  replace(root, backLink(), // replace() skips the nulls (replaceChildren would write "null")
    h('div', { class: 'page-header' }, h('div', { class: 'title-block' }, pageTitle(entry.name), h('div', { class: 'badges' }, levelBadge(entry.level))),
      h('div', { class: 'header-actions' }, edit, del)),
    messages,
    entry.level === 'view' ? alertBox('info', t('vault.view_only_title'), t('vault.view_only_detail')) : null,
    h('div', { class: 'card section-body vault-facts' },
      h('dl', { class: 'details' }, facts.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
    sections);
  if (entry.level !== 'view') sections.append(await historySection(entry, messages, ctx.signal));
  if (manage) {
    const reload = () => navigate(location.pathname, { replace: true });
    sections.append(accessSection(entry, subjects, messages, reload));
    const { section, view } = activitySection(ctx, entry, subjects);
    sections.append(section);
    await view.load();
  }
}

/** The add and edit pages: entry null adds. */
async function formPage(ctx, root, entry) {
  const [categories, subjects] = await Promise.all([loadCategories(ctx.signal), entry ? null : loadSubjects(ctx.signal)]);
  if (ctx.signal.aborted) return;
  const title = entry ? t('vault.edit_title', { name: entry.name }) : t('vault.add');
  ctx.setTitle(title);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const f = entryFields({ entry, categories, subjects, signal: ctx.signal, messages });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, entry ? t('common.save') : t('vault.add'));
  const cancel = h('a', { href: entry ? `${BASE}/${entry.id}` : BASE, class: 'btn' }, t('common.cancel'));
  const form = h('form', { novalidate: true, class: 'form card', 'data-testid': 'vault-form', 'aria-label': title, autocomplete: 'off' },
    messages, f.grid, h('div', { class: 'form-actions' }, save, cancel));
  const tracker = trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(f.fields, messages);
    save.disabled = true;
    try {
      const { data } = entry
        ? await api('PATCH', `/api/v1/vault/entries/${entry.id}`, { body: f.read(), ifMatch: `"${entry.version}"` })
        : await api('POST', '/api/v1/vault/entries', { body: f.read() });
      tracker.markClean();
      toast(t('vault.saved', { name: data.name }));
      navigate(`${BASE}/${data.id}`);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'team_password', () => navigate(location.pathname, { replace: true }));
      else showFieldErrors(err, f.fields, messages);
    } finally {
      save.disabled = false;
    }
  });
  root.replaceChildren(h('div', { class: 'page-header' }, pageTitle(title)),
    h('p', null, h('a', { href: entry ? `${BASE}/${entry.id}` : BASE }, `← ${entry ? entry.name : t('vault.all')}`)),
    form);
  f.fields.name.focus();
}

export function newPage(ctx, root) {
  return formPage(ctx, root, null);
}

export async function editPage(ctx, root) {
  let entry;
  try {
    ({ data: entry } = await api('GET', `/api/v1/vault/entries/${ctx.params.id}`, { signal: ctx.signal }));
  } catch (err) {
    if (!isAbort(err)) root.replaceChildren(backLink(), problemBox(err));
    return;
  }
  if (entry.level !== 'manage') {
    root.replaceChildren(backLink(), alertBox('info', t('vault.cannot_edit'), t('vault.cannot_edit_detail')));
    return;
  }
  await formPage(ctx, root, entry);
}
