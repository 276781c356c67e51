// CRM entities, as the server defines them (GET /api/v1/meta/entities): the
// generic list (pages/list.js) and form (pages/form.js) are driven from these
// descriptors, so a field added on the server (or a custom field) appears
// without a UI change. loadEntities() fills ENTITIES once per sign-in.
//
// Entity keys (the descriptor the pages use):
//   key, api, path     resource name, REST collection, UI path
//   module             permission module
//   singular, plural   human names ("lead", "Leads")
//   logEntity          the `entity` value used in the activity log
//   titleField         field naming a record in headings
//   defaultSort        the order the list opens with
//   dashboard          false: no count card on the dashboard
//   members            the record page lists the staff whose record names it:
//                      GET /api/v1/staff?<members>=ID (department_id, team_id)
//   fields             in form order; see below
//
// Field keys: name, label, type (the input: text | textarea | email | tel |
// url | select | multiselect | money | decimal | number | code (an ISO code
// picked by name: `codes` is 'countries' or 'currencies') | staff |
// staff_list (several members: an array of staff ids) | reference | tags |
// checkbox | date | datetime), required, max (text: characters; lists:
// items), options
// ([value, label] pairs), default, list (a column), sortable, filter (offered
// as a select above the list), form (false: read-only meta field), wide, hint,
// ref (reference: the entity), scale (decimal), width (a custom field's
// columns of the form's 12-column grid), custom (a custom field: its value
// sits under the record's custom_fields).
import { t, tOr } from './i18n.js';
import { api } from './api.js';

export const ENTITIES = [];
let loaded = false;

/** Whether the definitions of the current member are loaded. */
export function entitiesLoaded() { return loaded; }

const TIMESTAMPS = [
  { name: 'created_at', param: 'created_at', label: 'Created', type: 'datetime', list: true, sortable: true, form: false },
  { name: 'updated_at', param: 'updated_at', label: 'Updated', type: 'datetime', sortable: true, form: false },
];

const INPUT = {
  email: 'email', phone: 'tel', url: 'url', enum: 'select', money: 'money', decimal: 'decimal',
  currency: 'code', country: 'code', staff: 'staff', staff_list: 'staff_list', tags: 'tags', integer: 'number', boolean: 'checkbox',
  date: 'date', datetime: 'datetime', multiselect: 'multiselect', reference: 'reference',
};
const SELECT_FILTERS = new Set(['select', 'staff', 'staff_list', 'checkbox']);

function field(f) {
  const type = f.type === 'text' ? (f.multiline ? 'textarea' : 'text') : (INPUT[f.type] || 'text');
  return {
    name: f.name, label: f.label, type, ftype: f.type, required: f.required, max: f.max,
    options: (f.choices || []).map((c) => [c.value, c.label]),
    default: f.default, list: f.list, sortable: f.sortable,
    filter: f.filterable && SELECT_FILTERS.has(type), wide: f.wide, hint: f.hint,
    ref: f.ref, scale: f.scale, width: f.width,
    // Set by the server (a contract's number): shown in lists, never an input.
    form: f.read_only ? false : undefined,
    codes: f.type === 'country' ? 'countries' : f.type === 'currency' ? 'currencies' : undefined,
    // Custom fields live under the record's `custom_fields` and are
    // filtered as custom_fields.<name>.
    custom: Boolean(f.custom), param: f.custom ? `custom_fields.${f.name}` : f.name,
  };
}

/** The value of field f in a record (custom fields are nested). */
export function fieldValue(record, f) {
  if (!record) return undefined;
  return f.custom ? (record.custom_fields || {})[f.name] : record[f.name];
}

/** Sets field f's value v in a request body (custom fields nested). */
export function setFieldValue(body, f, v) {
  if (f.custom) (body.custom_fields ||= {})[f.name] = v;
  else body[f.name] = v;
}

/* A field's label and option labels in the member's language: the
 * catalogue's `field.<entity>.<name>` (or `field.<name>`, shared) and
 * `option.<entity>.<name>.<value>`, and the hint `hint.<entity>.<name>`;
 * custom fields keep the labels their administrator wrote. */
function localize(entity, f) {
  if (f.custom) return f;
  return {
    ...f, label: tOr(`field.${entity}.${f.name}`, tOr(`field.${f.name}`, f.label)),
    hint: f.hint && tOr(`hint.${entity}.${f.name}`, f.hint),
    options: f.options && f.options.map(([v, l]) => [v, tOr(`option.${entity}.${f.name}.${v}`, l)]),
  };
}

// Entities with pages of their own elsewhere than /admin/<plural>: their
// records' links (activity, history) go there, and the generic pages,
// navigation rows and dashboard cards leave them out (pages/records.js).
export const OWN_PAGES = { automations: '/admin/workflow_automation' };

function describe(e) {
  const fields = e.fields.map(field);
  // A link to a record of any entity (a task's rel_type + rel_id): the id
  // field shows the record's title from the list's refs.
  if (e.link) {
    const id = fields.find((f) => f.name === e.link.id);
    if (id) id.linkType = e.link.type;
  }
  return {
    key: e.plural, api: e.path, path: OWN_PAGES[e.plural] || `/admin/${e.plural}`, module: e.plural,
    singular: tOr(`entity.${e.plural}.one`, e.name.replace(/_/g, ' ')), plural: tOr(`entity.${e.plural}`, e.label),
    logEntity: e.name,
    titleField: e.title_field, defaultSort: e.ui_sort, dashboard: !e.member_param && !OWN_PAGES[e.plural],
    ownPage: Boolean(OWN_PAGES[e.plural]),
    members: e.member_param || undefined, can: e.can,
    fields: [...fields, ...TIMESTAMPS].map((f) => localize(e.name, f)),
  };
}

/**
 * A sentence about entity e ("New lead", "Delete this team?"): the
 * catalogue's `entity.<plural>.<id>`, worded for that noun (Romanian
 * nouns have a gender: "Client potențial nou", "Echipă nouă"), else the
 * generic `entity.any.<id>` with the entity's names ({one}, {plural}),
 * for entities the catalogues do not know. The first letter is a capital.
 */
export function entityText(e, id, params = {}) {
  const own = tOr(`entity.${e.key}.${id}`, null, params);
  const text = own ?? t(`entity.any.${id}`, { one: e.singular, plural: e.plural.toLowerCase(), ...params });
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** Loads the entity definitions the signed-in member may view. */
export async function loadEntities(signal) {
  const { data } = await api('GET', '/api/v1/meta/entities', { signal });
  ENTITIES.splice(0, ENTITIES.length, ...(data.data || []).map(describe));
  loaded = true;
  return ENTITIES;
}

/** Forgets them (sign-out): the next member may see other entities. */
export function forgetEntities() { ENTITIES.length = 0; loaded = false; }

export function entityByKey(key) { return ENTITIES.find((e) => e.key === key); }
export function entityByLogName(name) { return ENTITIES.find((e) => e.logEntity === name); }
export const formFields = (entity) => entity.fields.filter((f) => f.form !== false);
export const listFields = (entity) => entity.fields.filter((f) => f.list);
export const filterFields = (entity) => entity.fields.filter((f) => f.filter);
export const sortableNames = (entity) => ['id', ...entity.fields.filter((f) => f.sortable).map((f) => f.param || f.name)];
