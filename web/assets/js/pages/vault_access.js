// The access editor of the team password vault: who may see (view), use
// (reveal and copy) and manage an entry, or what a category gives its new
// entries by default. Each grant is a row (the role, department, team or
// member by name, its level, a button that removes it); a line below adds
// one: the kind, the subject (the roles, departments, teams and active
// members of GET /api/v1/vault/subjects, those already granted not offered
// again) and the level. Names are text nodes; nothing is markup.
import { h, nextId } from '../dom.js';
import { api, ApiError } from '../api.js';
import { t } from '../i18n.js';

export const KINDS = ['role', 'department', 'team', 'staff'];
export const LEVELS = ['view', 'use', 'manage'];
const KEYS = { role: 'roles', department: 'departments', team: 'teams', staff: 'staff' };

let subjectsCache = null;

/** {roles, departments, teams, staff} of {id, name}; empty lists when not permitted. */
export async function loadSubjects(signal) {
  if (subjectsCache) return subjectsCache;
  try {
    const { data } = await api('GET', '/api/v1/vault/subjects', { signal });
    subjectsCache = data;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { roles: [], departments: [], teams: [], staff: [] };
  }
  return subjectsCache;
}

/** The name of a grant's subject (the server's `name`, else the picker's, else "#id"). */
export function subjectName(subjects, g) {
  if (g.name) return g.name;
  const found = ((subjects && subjects[KEYS[g.subject]]) || []).find((x) => x.id === g.id);
  return found ? found.name : `#${g.id}`;
}

/** "Marketing (department): use; Ana Pop (member): manage" for a list of grants. */
export function accessSummary(subjects, list) {
  if (!list || !list.length) return t('vault.access_nobody');
  return list.map((g) => `${subjectName(subjects, g)} (${t(`vault.subject.${g.subject}`)}): ${t(`vault.level.${g.level}`)}`).join('; ');
}

/**
 * opts: {label, subjects, value ([{subject, id, level}]), disabled, hint}.
 * Returns {root, input, get(), set(list), setError(msg), focus(), onChange}.
 */
export function accessEditor(opts) {
  const { subjects } = opts;
  const id = nextId('access');
  let list = [];
  const errorId = `${id}-error`;
  const api_ = { name: 'access', label: opts.label, onChange: null };
  const rows = h('tbody');
  const table = h('table', { class: 'table table-compact access-table', 'aria-label': opts.label },
    h('thead', null, h('tr', null, [t('vault.who'), t('vault.kind'), t('vault.level_col')].map((c) => h('th', { scope: 'col' }, c)),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('common.actions'))))),
    rows);
  const empty = h('p', { class: 'muted access-empty' }, t('vault.access_nobody'));
  const kind = h('select', { id: `${id}-kind`, class: 'input', 'aria-label': t('vault.kind') },
    KINDS.map((k) => h('option', { value: k }, t(`vault.subject.${k}`))));
  const who = h('select', { id: `${id}-who`, class: 'input', 'aria-label': t('vault.who') });
  const level = h('select', { id: `${id}-level`, class: 'input', 'aria-label': t('vault.level_col') },
    LEVELS.map((l) => h('option', { value: l }, t(`vault.level.${l}`))));
  level.value = 'use';
  const add = h('button', { type: 'button', class: 'btn' }, t('vault.grant'));
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const status = h('p', { class: 'visually-hidden', role: 'status' });
  const hidden = h('input', { type: 'hidden', name: `${id}-value` }); // the form's unsaved-changes check sees a change
  const adder = h('div', { class: 'access-add' }, kind, who, level, add);

  function offer() {
    const taken = new Set(list.filter((g) => g.subject === kind.value).map((g) => g.id));
    const options = (subjects[KEYS[kind.value]] || []).filter((x) => !taken.has(x.id));
    who.replaceChildren(...options.map((x) => h('option', { value: String(x.id) }, x.name)));
    add.disabled = opts.disabled || options.length === 0;
    who.disabled = opts.disabled || options.length === 0;
  }

  function changed() {
    hidden.value = JSON.stringify(list);
    if (api_.onChange) api_.onChange();
  }

  function paint() {
    rows.replaceChildren(...list.map((g, i) => {
      const name = subjectName(subjects, g);
      const sel = h('select', { class: 'input input-short', disabled: opts.disabled || null,
        'aria-label': t('vault.level_of', { name }) }, LEVELS.map((l) => h('option', { value: l }, t(`vault.level.${l}`))));
      sel.value = g.level;
      sel.addEventListener('change', () => { list[i] = { ...list[i], level: sel.value }; changed(); });
      const remove = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', disabled: opts.disabled || null,
        'aria-label': t('vault.remove_grant', { name }) }, t('vault.remove'));
      remove.addEventListener('click', () => {
        list = list.filter((_, j) => j !== i);
        status.textContent = t('vault.grant_removed', { name });
        paint();
        changed();
        (rows.querySelectorAll('button')[i] || rows.querySelectorAll('button')[i - 1] || kind).focus();
      });
      return h('tr', { dataset: { subject: g.subject, id: String(g.id) } },
        h('td', null, name), h('td', null, t(`vault.subject.${g.subject}`)), h('td', null, sel), h('td', null, remove));
    }));
    table.hidden = list.length === 0;
    empty.hidden = list.length > 0;
    hidden.value = JSON.stringify(list);
    offer();
  }

  // Start on the first kind that has someone to offer.
  kind.value = KINDS.find((k) => (subjects[KEYS[k]] || []).length) || KINDS[0];
  kind.addEventListener('change', offer);
  add.addEventListener('click', () => {
    const sid = Number(who.value);
    if (!sid) return;
    list = [...list, { subject: kind.value, id: sid, level: level.value }];
    const name = subjectName(subjects, { subject: kind.value, id: sid });
    status.textContent = t('vault.grant_added', { name, level: t(`vault.level.${level.value}`) });
    paint();
    changed();
    who.focus();
  });
  if (opts.disabled) { kind.disabled = true; level.disabled = true; }

  api_.root = h('fieldset', { class: 'field field-wide fieldset access-editor', 'aria-describedby': errorId },
    h('legend', { class: 'label' }, opts.label),
    opts.hint ? h('p', { class: 'hint' }, opts.hint) : null,
    table, empty, adder, error, status, hidden);
  api_.input = kind;
  api_.get = () => list.map((g) => ({ subject: g.subject, id: g.id, level: g.level }));
  api_.set = (v) => { list = (Array.isArray(v) ? v : []).map((g) => ({ ...g })); paint(); };
  api_.setError = (message) => {
    error.textContent = message || '';
    error.hidden = !message;
  };
  api_.focus = () => kind.focus();
  api_.set(opts.value);
  return api_;
}
