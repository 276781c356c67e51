// What the automation screens know of records and say in words
// (docs/internals/automations.md is the contract): the kinds of record an
// automation watches (the registry's entities the member may see, from
// GET /api/v1/meta/entities, and staff members), their fields by type, the
// paths a condition may read (a field, a custom field, one step into a
// record a reference names or a member field names), and a trigger, a
// condition and an action written out in the member's language ("When a
// lead is created", "60 days before a contract's End date", "Every Monday
// at 07:00 UTC"). Every user string stays text: these return strings.
import { ENTITIES, entityByLogName } from '../entities.js';
import { language, t, tOr } from '../i18n.js';
import { can, localization, me } from '../session.js';

export const AUTO_BASE = '/admin/workflow_automation';
export const AUTO_API = '/api/v1/automations';

/**
 * Whether the member may change (cap 'edit', or 'delete') automation a:
 * the capability, and an administrator or its owner (an automation runs
 * with its owner's permissions, so nobody else rewrites, tests or deletes
 * it; the server refuses them with 403). Only for showing controls.
 */
export function mayChange(a, cap = 'edit') {
  const self = me();
  return Boolean(self && can('automations', cap) && (self.admin || (a && a.owner_id === self.id)));
}

/* The timestamps the UI adds to every entity are not fields an automation reads. */
const NOT_FIELDS = new Set(['created_at', 'updated_at']);

/* A member's fields, for the staff trigger and for paths through a member field
 * (src/automation/automation.c, staff_fields). */
const STAFF_FIELDS = [['name', 'text'], ['email', 'email'], ['role_id', 'role'], ['admin', 'checkbox'],
  ['active', 'checkbox'], ['department_ids', 'department'], ['team_ids', 'team']];
export const staffFields = () => STAFF_FIELDS.map(([name, type]) => ({ name, type, label: t(`auto.staff_field.${name}`), options: [] }));

/** The kinds of record an automation may watch: [{name, plural, one}]. */
export function triggerEntities() {
  return [
    ...ENTITIES.filter((e) => !e.ownPage).map((e) => ({ name: e.logEntity, plural: e.plural, one: e.singular })),
    { name: 'staff', plural: t('auto.staff_plural'), one: t('auto.staff_one') },
  ];
}

/** {plural, one} of an entity name, the name itself when it is not visible here. */
export function entityWords(name) {
  if (name === 'staff') return { plural: t('auto.staff_plural'), one: t('auto.staff_one') };
  const e = entityByLogName(name);
  return e ? { plural: e.plural, one: e.singular } : { plural: name || '?', one: name || '?' };
}

/** The fields of an entity an automation reads: [{name, label, type, options, ref, custom, readOnly}]. */
export function fieldsOf(name) {
  if (name === 'staff') return staffFields();
  const e = entityByLogName(name);
  if (!e) return [];
  return e.fields.filter((f) => !NOT_FIELDS.has(f.name) && f.ftype !== 'object' && f.ftype !== 'items')
    .map((f) => ({ name: f.name, label: f.label, type: f.type, options: f.options || [], ref: f.ref,
      custom: f.custom, readOnly: f.form === false }));
}

export const isDateField = (f) => f && (f.type === 'date' || f.type === 'datetime');
export const isMemberField = (f) => f && (f.type === 'staff' || f.type === 'staff_list');

/**
 * The paths a condition may read on records of entity name, grouped:
 * [{label, paths: [{path, label, field}]}]: the record's own fields and
 * custom fields, then one group per member field (its member's name,
 * departments, ...) and per reference to a kind of record the member sees.
 */
export function conditionPaths(name) {
  const own = fieldsOf(name);
  const groups = [{ label: t('auto.this_record', { one: entityWords(name).one }),
    paths: own.map((f) => ({ path: f.custom ? `custom_fields.${f.name}` : f.name, label: f.label, field: f })) }];
  for (const f of own) {
    if (f.custom) continue;
    if (f.type === 'staff') {
      groups.push({ label: f.label, paths: staffFields().map((g) => ({ path: `${f.name}.${g.name}`, label: `${f.label} → ${g.label}`, field: g })) });
    } else if (f.type === 'reference' && f.ref && f.ref !== 'automation' && entityByLogName(f.ref)) {
      const related = fieldsOf(f.ref).filter((g) => !g.custom);
      groups.push({ label: f.label, paths: related.map((g) => ({ path: `${f.name}.${g.name}`, label: `${f.label} → ${g.label}`, field: g })) });
    }
  }
  return groups;
}

/** The field a condition path names ({name, label, type, options}), or null. */
export function pathField(entity, path) {
  for (const g of conditionPaths(entity)) {
    const p = g.paths.find((x) => x.path === path);
    if (p) return { ...p.field, label: p.label };
  }
  return null;
}

/** A field's label, or its name when the field is not known here. */
export function fieldLabel(entity, path) {
  const f = path ? pathField(entity, path) : null;
  return f ? f.label : String(path || '?');
}

/** A value as words: a choice's label, Yes/No, a list joined. */
export function valueText(field, v) {
  if (Array.isArray(v)) return v.map((x) => valueText(field, x)).join(', ');
  if (v === true) return t('common.yes');
  if (v === false) return t('common.no');
  if (v == null || v === '') return '∅';
  const opt = field && (field.options || []).find(([value]) => String(value) === String(v));
  return opt ? opt[1] : String(v);
}

/* ---- the trigger ------------------------------------------------------------ */

export const EVENTS = ['created', 'updated', 'created_or_updated', 'deleted', 'field_changed'];

/** "07:00" from minute and hour fields of a cron expression, or null. */
function clock(min, hour) {
  if (!within(min, 0, 59) || !within(hour, 0, 23)) return null;
  return `${hour.padStart(2, '0')}:${min.padStart(2, '0')}`;
}

/** Whether a cron field is one number from lo to hi. */
const within = (v, lo, hi) => /^\d{1,2}$/.test(v) && Number(v) >= lo && Number(v) <= hi;

/** The name of weekday d (0 or 7 Sunday) in the member's language. */
export function weekdayName(d) {
  const day = new Date(Date.UTC(2024, 0, 7 + (Number(d) % 7))); // 7 January 2024 was a Sunday
  return new Intl.DateTimeFormat(language() || 'en', { weekday: 'long', timeZone: 'UTC' }).format(day);
}

/** The organisation's time zone: schedules run on its clock. */
export function orgZone() { return localization()?.organisation?.timezone || 'UTC'; }

/** A cron expression in words when it is one of the common shapes, else null. */
export function cronWords(cron) {
  const parts = String(cron || '').trim().split(/\s+/);
  if (parts.length !== 5) return null;
  const [min, hour, dom, mon, dow] = parts;
  if (parts.every((p) => p === '*')) return t('auto.cron.every_minute');
  const every = /^\*\/(\d{1,2})$/.exec(min);
  if (every && within(every[1], 1, 59) && hour === '*' && dom === '*' && mon === '*' && dow === '*') {
    return t('auto.cron.every_n_minutes', { count: Number(every[1]) });
  }
  if (within(min, 0, 59) && hour === '*' && dom === '*' && mon === '*' && dow === '*') return t('auto.cron.every_hour', { minute: min.padStart(2, '0') });
  const at = clock(min, hour);
  if (!at || mon !== '*') return null;
  if (dom === '*' && dow === '*') return t('auto.cron.every_day', { time: at, zone: orgZone() });
  if (dom === '*' && /^[0-7]$/.test(dow)) return t('auto.cron.every_weekday', { day: weekdayName(dow), time: at, zone: orgZone() });
  if (dom === '*' && dow === '1-5') return t('auto.cron.workdays', { time: at, zone: orgZone() });
  if (within(dom, 1, 31) && dow === '*') return t('auto.cron.monthly', { day: dom, time: at, zone: orgZone() });
  return null;
}

/** English's "a" before a vowel is "an" ("an invoice"); other languages as written. */
export function articles(text) {
  return !language() || language() === 'en' ? text.replace(/\b([Aa]) (?=[aeiouAEIOU])/g, '$1n ') : text;
}

/** The trigger in words: "When a lead is created", "60 days before a contract's End date". */
export function triggerText(trigger) {
  return articles(triggerWords(trigger));
}

function triggerWords(trigger) {
  const tr = trigger || {};
  if (tr.type === 'schedule') return cronWords(tr.cron) || t('auto.cron.raw', { cron: tr.cron || '?', zone: orgZone() });
  const w = entityWords(tr.entity);
  if (tr.type === 'date') {
    const n = Number(tr.offset_days) || 0;
    const field = fieldLabel(tr.entity, tr.field);
    if (n === 0) return t('auto.trig.date_on', { one: w.one, plural: w.plural, field });
    return t(n < 0 ? 'auto.trig.date_before' : 'auto.trig.date_after', { count: Math.abs(n), one: w.one, plural: w.plural, field });
  }
  if (tr.type === 'event') {
    if (tr.event === 'field_changed') {
      const f = pathField(tr.entity, tr.field);
      const field = f ? f.label : String(tr.field || '?');
      return tr.to !== undefined && tr.to !== null && tr.to !== ''
        ? t('auto.trig.changed_to', { one: w.one, plural: w.plural, field, value: valueText(f, tr.to) })
        : t('auto.trig.changed', { one: w.one, plural: w.plural, field });
    }
    if (EVENTS.includes(tr.event)) return t(`auto.trig.${tr.event}`, { one: w.one, plural: w.plural });
  }
  return t('auto.trig.unknown');
}

/* ---- conditions ----------------------------------------------------------- */

export const OPS = ['eq', 'ne', 'in', 'not_in', 'contains', 'not_contains', 'gt', 'gte', 'lt', 'lte', 'empty', 'not_empty',
  'changed', 'changed_from', 'changed_to'];
export const NO_VALUE = new Set(['empty', 'not_empty', 'changed']);
export const LIST_OPS = new Set(['in', 'not_in']);
/** Whether a trigger sees a before and an after (the changed* comparisons). */
export const seesChanges = (trigger) => Boolean(trigger && trigger.type === 'event'
  && ['updated', 'created_or_updated', 'field_changed'].includes(trigger.event));

/** One comparison in words: "Source is Web". */
export function comparisonText(entity, c) {
  const f = pathField(entity, c.field);
  const field = f ? f.label : String(c.field || '?');
  const op = OPS.includes(c.op) ? t(`auto.op.${c.op}`) : String(c.op || '?');
  return NO_VALUE.has(c.op) ? `${field} ${op}` : `${field} ${op} ${valueText(f, c.value)}`;
}

/** The conditions as nested lines: [{depth, text}] ("All of:", "Source is Web"). */
export function conditionLines(entity, group, depth = 0) {
  const g = group || {};
  const kind = Array.isArray(g.all) ? 'all' : Array.isArray(g.any) ? 'any' : null;
  if (!kind) return [];
  const out = [{ depth, text: t(`auto.group.${kind}_of`) }];
  for (const it of g[kind]) {
    if (it && (it.all || it.any)) out.push(...conditionLines(entity, it, depth + 1));
    else if (it) out.push({ depth: depth + 1, text: comparisonText(entity, it) });
  }
  return out;
}

/* ---- actions -------------------------------------------------------------- */

export const ACTIONS = ['notify', 'send_email', 'create_task', 'update', 'assign', 'add_note', 'webhook', 'wait'];
export const RECIPIENT_TYPES = ['member', 'role', 'department', 'team', 'admins', 'record_department', 'owner_manager', 'field'];
export const EMAIL_RECIPIENT_TYPES = [...RECIPIENT_TYPES, 'client_contact', 'address'];

/** Names of members, roles, departments, teams and webhooks by id, for words. */
export function namer(lookups = {}) {
  const find = (list, id) => { const x = (list || []).find((r) => r.id === Number(id)); return x ? (x.name || x.email) : `#${id}`; };
  return {
    member: (id) => find(lookups.people, id),
    role: (id) => find(lookups.roles, id),
    department: (id) => find(lookups.departments, id),
    team: (id) => find(lookups.teams, id),
    webhook: (id) => find(lookups.webhooks, id),
  };
}

/** A recipient in words: "Ana Pop", "the role Sales Manager", "the record's Assigned to". */
export function recipientText(entity, r, names) {
  const x = r || {};
  switch (x.type) {
    case 'member': return names.member(x.id);
    case 'role': return t('auto.to.role_named', { name: names.role(x.id) });
    case 'department': return t('auto.to.department_named', { name: names.department(x.id) });
    case 'team': return t('auto.to.team_named', { name: names.team(x.id) });
    case 'field': return t('auto.to.field_named', { field: fieldLabel(entity, x.field) });
    case 'address': return String(x.email || '?');
    default: return EMAIL_RECIPIENT_TYPES.includes(x.type) ? t(`auto.say.to.${x.type}`) : String(x.type || '?');
  }
}

/** "90 minutes" / "2 hours" / "3 days": a wait in its largest whole unit. */
export function waitWords(minutes) {
  const m = Number(minutes) || 0;
  if (m && m % 1440 === 0) return t('auto.unit.days_n', { count: m / 1440 });
  if (m && m % 60 === 0) return t('auto.unit.hours_n', { count: m / 60 });
  return t('auto.unit.minutes_n', { count: m });
}

/** An action in words: "Notify Ana Pop: "Urgent lead: {{record.name}}"". */
export function actionText(entity, a, names) {
  const x = a || {};
  const to = (list) => (Array.isArray(list) && list.length ? list.map((r) => recipientText(entity, r, names)).join(', ') : '—');
  switch (x.type) {
    case 'notify': return t('auto.say.notify', { to: to(x.to), title: x.title || '' });
    case 'send_email': return t('auto.say.send_email', { to: to(x.to), subject: x.subject || '' });
    case 'create_task': return Array.isArray(x.assignees) && x.assignees.length
      ? t('auto.say.create_task_for', { subject: x.subject || '', to: to(x.assignees) })
      : t('auto.say.create_task', { subject: x.subject || '' });
    case 'update': return t('auto.say.update', { fields: Object.entries(x.fields || {})
      .map(([k, v]) => { const f = pathField(entity, k); return `${f ? f.label : k} = ${valueText(f, v)}`; }).join(', ') });
    case 'assign': {
      const tt = x.to || {};
      const who = tt.type === 'member' ? names.member(tt.id)
        : tt.type === 'round_robin' ? t(tt.department_id ? 'auto.say.rr_department' : 'auto.say.rr_team',
          { name: tt.department_id ? names.department(tt.department_id) : names.team(tt.team_id) })
          : tt.type === 'owner_manager' ? t('auto.say.to.owner_manager') : '?';
      return t('auto.say.assign', { field: fieldLabel(entity, x.field), who });
    }
    case 'add_note': return t('auto.say.add_note', { text: x.text || '' });
    case 'webhook': return t('auto.say.webhook', { name: names.webhook(x.webhook_id) });
    case 'wait': return t('auto.say.wait', { time: waitWords(x.minutes) });
    default: return String(x.type || '?');
  }
}

/** The label of an action type in the member's language. */
export const actionLabel = (type) => tOr(`auto.action.${type}`, String(type));
