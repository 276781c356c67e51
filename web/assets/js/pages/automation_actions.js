// The ordered actions editor of the automation form: add, remove, move up
// and down; per type its inputs (docs/internals/automations.md, Actions);
// recipients (members, roles, departments, teams, administrators, the
// record's department, the owner's manager, a member field of the record,
// and for email the client's contact or an address); a wait in minutes,
// hours or days sent as minutes; and, beside each text, the merge fields
// a template may use ({{record.<field>}}, {{company_name}},
// {{steps.N.task_id}}). Every control is registered by its path
// ("actions[1].to[0].id") for the form's field errors.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { box, choices, partError, selectEl, valueInput } from './automation_parts.js';
import {
  ACTIONS, EMAIL_RECIPIENT_TYPES, RECIPIENT_TYPES, actionLabel, fieldsOf, isMemberField,
} from './automation_words.js';

const MAX_ACTIONS = 20;
const MAX_RECIPIENTS = 10;
const UNITS = [['minutes', 1], ['hours', 60], ['days', 1440]];
const int = (raw) => (/^-?\d+$/.test(String(raw).trim()) ? Number(raw) : String(raw).trim());

/** A new action of a type, as the contract shapes it. */
function fresh(type) {
  switch (type) {
    case 'notify': return { type, to: [{ type: 'member' }], title: '', body: '' };
    case 'send_email': return { type, to: [{ type: 'client_contact' }], subject: '', body: '' };
    case 'create_task': return { type, subject: '', description: '', due_in_days: 3, assignees: [] };
    case 'update': return { type, fields: {} };
    case 'assign': return { type, field: '', to: { type: 'member' } };
    case 'add_note': return { type, text: '' };
    case 'webhook': return { type };
    case 'wait': return { type, minutes: 60 };
    default: return { type };
  }
}

/** A text or textarea bound to a[key]. */
function textBox(a, key, label, { multiline = false, hint, required = true } = {}) {
  const input = multiline ? h('textarea', { class: 'input', rows: 4, value: a[key] || '' })
    : h('input', { class: 'input', type: 'text', autocomplete: 'off', value: a[key] || '' });
  if (multiline) input.value = a[key] || '';
  input.addEventListener('input', () => { a[key] = input.value; });
  return box({ label, input, hint, wide: true, required });
}

/** The merge fields a step's texts may use, as a disclosure. */
function mergeHint(entity, index, actions, trigger) {
  const codes = [];
  if (entity) for (const f of fieldsOf(entity)) if (!f.custom) codes.push([`{{record.${f.name}}}`, f.label]);
  if (entity && trigger && trigger.type === 'event' && trigger.event !== 'created' && trigger.event !== 'deleted') {
    codes.push(['{{before.<field>}}', t('auto.merge.before')]);
  }
  codes.push(['{{company_name}}', t('auto.merge.company')], ['{{today}}', t('auto.merge.today')],
    ['{{automation.name}}', t('auto.merge.automation')]);
  actions.slice(0, index).forEach((a, i) => {
    if (a.type === 'create_task') codes.push([`{{steps.${i + 1}.task_id}}`, t('auto.merge.task_id', { n: i + 1 })]);
  });
  if (!codes.some(([c]) => c.startsWith('{{steps.'))) codes.push(['{{steps.N.task_id}}', t('auto.merge.steps')]);
  return h('details', { class: 'auto-merge' }, h('summary', null, t('auto.merge.title')),
    h('p', { class: 'hint' }, t('auto.merge.lead')),
    h('dl', { class: 'auto-merge-list' }, codes.flatMap(([c, what]) => [h('dt', null, h('code', null, c)), h('dd', null, what)])));
}

/** A pick of a lookup (people, roles, ...) or, without it, an id typed. */
function idPick(list, value, props = {}) {
  if (list) {
    const sel = selectEl([['', '—'], ...choices(list)], value == null ? '' : value, props);
    return { el: sel, get: () => (sel.value === '' ? undefined : Number(sel.value)) };
  }
  const input = h('input', { class: 'input input-short', type: 'text', inputmode: 'numeric', autocomplete: 'off',
    placeholder: t('auto.value.id_placeholder'), value: value == null ? '' : String(value), ...props });
  return { el: input, get: () => (input.value.trim() === '' ? undefined : int(input.value)) };
}

/**
 * The recipients of a list (a.to, a.assignees) at path: rows of who, each
 * with what it needs (the member, the role, the field, the address).
 */
function recipients(list, { path, label, email, entity, reg, lookups, redraw }) {
  const types = (email ? EMAIL_RECIPIENT_TYPES : RECIPIENT_TYPES).filter((x) => entity || !['admins', 'record_department', 'owner_manager', 'field', 'client_contact'].includes(x));
  const err = partError(label);
  reg.set(path, err);
  const lookupOf = { member: 'people', role: 'roles', department: 'departments', team: 'teams' };
  const rows = list.map((r, k) => {
    const p = `${path}[${k}]`;
    const n = k + 1;
    const tsel = box({ label: t('auto.to.who_n', { what: label, n }), hiddenLabel: true,
      input: selectEl(types.map((x) => [x, t(`auto.to.${x}`)]), r.type) });
    tsel.input.addEventListener('change', () => { list[k] = { type: tsel.input.value }; redraw(); });
    reg.set(p, tsel);
    reg.set(`${p}.type`, tsel);
    let detail = null;
    if (lookupOf[r.type]) {
      const pick = idPick(lookups[lookupOf[r.type]], r.id);
      pick.el.addEventListener('change', () => { r.id = pick.get(); });
      pick.el.addEventListener('input', () => { r.id = pick.get(); });
      detail = box({ label: t(`auto.to.pick_${r.type}`, { n }), hiddenLabel: true, input: pick.el });
      reg.set(`${p}.id`, detail);
    } else if (r.type === 'field') {
      const fields = fieldsOf(entity).filter((f) => !f.custom && (isMemberField(f)
        || (email && (f.type === 'email' || (f.type === 'reference' && f.ref === 'contact')))));
      const sel = selectEl([['', '—'], ...fields.map((f) => [f.name, f.label])], r.field || '');
      sel.addEventListener('change', () => { r.field = sel.value || undefined; });
      detail = box({ label: t('auto.to.pick_field', { n }), hiddenLabel: true, input: sel });
      reg.set(`${p}.field`, detail);
    } else if (r.type === 'address') {
      const input = h('input', { class: 'input', type: 'email', autocomplete: 'off', spellcheck: 'false', value: r.email || '' });
      input.addEventListener('input', () => { r.email = input.value.trim(); });
      detail = box({ label: t('auto.to.pick_address', { n }), hiddenLabel: true, input });
      reg.set(`${p}.email`, detail);
    }
    const remove = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': t('auto.to.remove', { what: label, n }) }, t('common.remove'));
    remove.addEventListener('click', () => { list.splice(k, 1); redraw(); });
    return h('li', { class: 'auto-rcpt' }, tsel.wrap, detail ? detail.wrap : null, remove);
  });
  const add = h('button', { type: 'button', class: 'btn btn-sm', disabled: list.length >= MAX_RECIPIENTS }, t('auto.to.add'));
  add.addEventListener('click', () => { list.push({ type: 'member' }); redraw(); });
  return h('fieldset', { class: 'field field-wide fieldset auto-rcpts' }, h('legend', { class: 'label' }, label),
    rows.length ? h('ul', { class: 'auto-rcpt-list' }, rows) : h('p', { class: 'muted' }, t('picker.nobody')),
    err.el, h('div', null, add));
}

/** The update action's fields: rows of field and value. */
function updateFields(a, { p, entity, reg, lookups, redraw }) {
  const fields = fieldsOf(entity).filter((f) => !f.custom && !f.readOnly);
  const entries = Object.entries(a.fields || {});
  const write = () => { a.fields = Object.fromEntries(entries.filter(([k]) => k)); };
  const err = partError(t('auto.update.fields'));
  reg.set(`${p}.fields`, err);
  const rows = entries.map((e, k) => {
    const [name, value] = e;
    const f = fields.find((x) => x.name === name);
    const sel = selectEl([['', '—'], ...fields.map((x) => [x.name, x.label])], name);
    const fb = box({ label: t('auto.update.field_n', { n: k + 1 }), hiddenLabel: true, input: sel });
    sel.addEventListener('change', () => { entries[k] = [sel.value, undefined]; write(); redraw(); });
    const vi = valueInput(f, 'eq', value, lookups);
    const read = () => { entries[k][1] = vi.get() === undefined ? null : vi.get(); write(); };
    vi.el.addEventListener('input', read);
    vi.el.addEventListener('change', read);
    const vb = box({ label: t('auto.update.value_n', { n: k + 1 }), hiddenLabel: true, input: vi.el });
    if (name) reg.set(`${p}.fields.${name}`, vb);
    const remove = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': t('auto.update.remove_n', { n: k + 1 }) }, t('common.remove'));
    remove.addEventListener('click', () => { entries.splice(k, 1); write(); redraw(); });
    return h('li', { class: 'auto-rcpt' }, fb.wrap, vb.wrap, remove);
  });
  const add = h('button', { type: 'button', class: 'btn btn-sm' }, t('auto.update.add'));
  add.addEventListener('click', () => {
    const unused = fields.find((x) => !entries.some(([k]) => k === x.name));
    entries.push([unused ? unused.name : '', undefined]);
    write();
    redraw();
  });
  return h('fieldset', { class: 'field field-wide fieldset' }, h('legend', { class: 'label' }, t('auto.update.fields')),
    rows.length ? h('ul', { class: 'auto-rcpt-list' }, rows) : null, err.el, h('div', null, add));
}

/** The inputs of one action (index i) by its type. */
function actionInputs(a, i, ctx) {
  const { entity, reg, lookups, redraw, actions, trigger } = ctx;
  const p = `actions[${i}]`;
  const out = [];
  const text = (key, label, opts) => { const b = textBox(a, key, label, opts); reg.set(`${p}.${key}`, b); out.push(b.wrap); };
  const rc = (key, label, email) => { a[key] = Array.isArray(a[key]) ? a[key] : []; out.push(recipients(a[key], { path: `${p}.${key}`, label, email, entity, reg, lookups, redraw })); };
  switch (a.type) {
    case 'notify':
      rc('to', t('auto.f.notify_to'), false);
      text('title', t('auto.f.title'), { hint: t('auto.f.title_hint') });
      text('body', t('auto.f.body'), { multiline: true, required: false });
      break;
    case 'send_email':
      rc('to', t('auto.f.email_to'), true);
      text('subject', t('auto.f.subject'));
      text('body', t('auto.f.body'), { multiline: true });
      break;
    case 'create_task': {
      text('subject', t('auto.f.task_subject'));
      text('description', t('auto.f.description'), { multiline: true, required: false });
      const due = h('input', { class: 'input input-short', type: 'number', min: '0', max: '3650', step: '1', value: a.due_in_days ?? '' });
      due.addEventListener('input', () => { a.due_in_days = due.value.trim() === '' ? undefined : int(due.value); });
      const db = box({ label: t('auto.f.due_in_days'), input: due, hint: t('auto.f.due_hint') });
      reg.set(`${p}.due_in_days`, db);
      const pf = fieldsOf('task').find((f) => f.name === 'priority');
      const pr = pf && pf.options.length ? selectEl([['', '—'], ...pf.options], a.priority || '')
        : h('input', { class: 'input input-short', type: 'text', value: a.priority || '' });
      pr.addEventListener('change', () => { a.priority = pr.value || undefined; });
      const pb = box({ label: t('auto.f.priority'), input: pr });
      reg.set(`${p}.priority`, pb);
      out.push(db.wrap, pb.wrap);
      rc('assignees', t('auto.f.assignees'), false);
      break;
    }
    case 'update':
      out.push(updateFields(a, { p, entity, reg, lookups, redraw }));
      break;
    case 'assign': {
      const fields = fieldsOf(entity).filter((f) => isMemberField(f) && !f.readOnly && !f.custom);
      const fsel = selectEl([['', '—'], ...fields.map((f) => [f.name, f.label])], a.field || '');
      fsel.addEventListener('change', () => { a.field = fsel.value; });
      const fb = box({ label: t('auto.f.assign_field'), input: fsel });
      reg.set(`${p}.field`, fb);
      a.to = a.to && typeof a.to === 'object' ? a.to : { type: 'member' };
      const kind = a.to.type === 'round_robin' ? (a.to.team_id !== undefined ? 'rr_team' : 'rr_department') : a.to.type || 'member';
      const ksel = selectEl([['member', t('auto.to.member')], ['rr_department', t('auto.assign.rr_department')],
        ['rr_team', t('auto.assign.rr_team')], ['owner_manager', t('auto.to.owner_manager')]], kind);
      ksel.addEventListener('change', () => {
        a.to = ksel.value === 'rr_department' ? { type: 'round_robin', department_id: undefined }
          : ksel.value === 'rr_team' ? { type: 'round_robin', team_id: undefined } : { type: ksel.value };
        redraw();
      });
      const kb = box({ label: t('auto.f.assign_to'), input: ksel, hint: t(`auto.assign.${kind}_hint`) });
      reg.set(`${p}.to`, kb);
      reg.set(`${p}.to.type`, kb);
      out.push(fb.wrap, kb.wrap);
      const key = kind === 'member' ? 'id' : kind === 'rr_department' ? 'department_id' : kind === 'rr_team' ? 'team_id' : null;
      if (key) {
        const pick = idPick(lookups[{ id: 'people', department_id: 'departments', team_id: 'teams' }[key]], a.to[key]);
        const read = () => { a.to[key] = pick.get(); };
        pick.el.addEventListener('change', read);
        pick.el.addEventListener('input', read);
        const b = box({ label: t(`auto.assign.pick_${key}`), input: pick.el });
        reg.set(`${p}.to.${key}`, b);
        out.push(b.wrap);
      }
      break;
    }
    case 'add_note':
      text('text', t('auto.f.note'), { multiline: true });
      break;
    case 'webhook': {
      const pick = idPick(lookups.webhooks, a.webhook_id);
      const read = () => { a.webhook_id = pick.get(); };
      pick.el.addEventListener('change', read);
      pick.el.addEventListener('input', read);
      const b = box({ label: t('auto.f.webhook'), input: pick.el, hint: t('auto.f.webhook_hint') });
      reg.set(`${p}.webhook_id`, b);
      out.push(b.wrap);
      break;
    }
    case 'wait': {
      const m = Number(a.minutes);
      const [unit, factor] = [...UNITS].reverse().find(([, f]) => Number.isInteger(m) && m > 0 && m % f === 0) || UNITS[0];
      const n = h('input', { class: 'input input-short', type: 'number', min: '1', step: '1',
        value: Number.isFinite(m) ? String(m / factor) : String(a.minutes ?? '') });
      const u = selectEl(UNITS.map(([k]) => [k, t(`auto.unit.${k}`)]), unit, { 'aria-label': t('auto.f.wait_unit') });
      const read = () => {
        const f = UNITS.find(([k]) => k === u.value)[1];
        const raw = n.value.trim();
        a.minutes = /^\d+$/.test(raw) ? Number(raw) * f : raw === '' ? undefined : raw;
      };
      n.addEventListener('input', read);
      u.addEventListener('change', read);
      const b = box({ label: t('auto.f.wait'), input: h('div', { class: 'auto-inline' }, n, u), focusEl: n, hint: t('auto.f.wait_hint') });
      reg.set(`${p}.minutes`, b);
      out.push(b.wrap);
      break;
    }
    default:
      break;
  }
  if (['notify', 'send_email', 'create_task', 'add_note'].includes(a.type)) out.push(mergeHint(entity, i, actions, trigger));
  return out;
}

/**
 * The actions editor: {root, read(), redraw()}. getTrigger() gives the
 * trigger now (its entity: the record's fields; a schedule: no record).
 */
export function actionsEditor(initial, { reg, lookups, getTrigger }) {
  const actions = (Array.isArray(initial) && initial.length ? initial : [fresh('notify')]).map((a) => JSON.parse(JSON.stringify(a || {})));
  const list = h('ol', { class: 'auto-actions' });
  const top = partError(t('auto.actions'));
  const addType = selectEl(ACTIONS.map((x) => [x, actionLabel(x)]), 'notify', { 'aria-label': t('auto.add_type') });
  const add = h('button', { type: 'button', class: 'btn' }, t('auto.add_action'));
  const root = h('fieldset', { class: 'card section auto-part', 'data-testid': 'auto-actions' },
    h('legend', { class: 'section-title' }, t('auto.actions')),
    h('p', { class: 'hint' }, t('auto.actions_lead')), top.el, list,
    h('div', { class: 'auto-inline' }, addType, add));

  function draw(focus) {
    reg.dropUnder('actions');
    reg.set('actions', top);
    const trigger = getTrigger();
    const entity = trigger.type === 'schedule' ? null : trigger.entity;
    list.replaceChildren(...actions.map((a, i) => {
      const n = i + 1;
      const type = box({ label: t('auto.step_type', { n }), input: selectEl(ACTIONS.map((x) => [x, actionLabel(x)]), a.type || '') });
      type.input.addEventListener('change', () => { actions[i] = fresh(type.input.value); draw(); });
      reg.set(`actions[${i}]`, type);
      reg.set(`actions[${i}].type`, type);
      const btn = (label, aria, disabled, fn) => {
        const b = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': aria, disabled }, label);
        b.addEventListener('click', fn);
        return b;
      };
      const up = btn('↑', t('auto.move_up', { n }), i === 0, () => { actions.splice(i - 1, 0, actions.splice(i, 1)[0]); draw({ i: i - 1, what: 'up' }); });
      const down = btn('↓', t('auto.move_down', { n }), i === actions.length - 1,
        () => { actions.splice(i + 1, 0, actions.splice(i, 1)[0]); draw({ i: i + 1, what: 'down' }); });
      const remove = btn(t('common.remove'), t('auto.remove_step', { n }), actions.length === 1, () => { actions.splice(i, 1); draw(); });
      return h('li', { class: 'auto-action', dataset: { step: String(n) } },
        h('div', { class: 'auto-action-head' }, h('h3', { class: 'auto-step-title' }, t('auto.step_n', { n })), type.wrap,
          h('div', { class: 'auto-action-buttons' }, up, down, remove)),
        h('div', { class: 'form-grid auto-action-body' }, actionInputs(a, i, { entity, reg, lookups, redraw: () => draw(), actions, trigger })));
    }));
    add.disabled = actions.length >= MAX_ACTIONS;
    if (focus) {
      const li = list.children[focus.i];
      const b = li && li.querySelector(`.auto-action-buttons button:nth-child(${focus.what === 'up' ? 1 : 2})`);
      (b && !b.disabled ? b : li && li.querySelector('select')).focus();
    }
  }
  add.addEventListener('click', () => {
    actions.push(fresh(addType.value));
    draw();
    const last = list.lastElementChild;
    if (last) last.querySelector('select').focus();
  });
  draw();
  return {
    root,
    redraw: () => draw(),
    read: () => actions.map((a) => JSON.parse(JSON.stringify(a))),
  };
}
