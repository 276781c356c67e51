// CRM entities as data: the generic list (pages/list.js) and form
// (pages/form.js) are driven from these descriptors. Adding an entity to the
// UI is one entry here and one NAV row (nav.js).
//
// Entity keys:
//   key, api, path     resource name, REST collection, UI path
//   module             permission module
//   singular, plural   human names ("lead", "Leads")
//   logEntity          the `entity` value used in the activity log
//   titleField         field naming a record in headings
//   defaultSort        sort when none is chosen (contract default: -id)
//   dashboard          false: no count card on the dashboard
//   members            the record page lists the staff whose record names it:
//                      GET /api/v1/staff?<members>=ID (department_id, team_id)
//   fields             see below, in form order
//
// Field keys:
//   name, label        API field and its label
//   type               text | email | tel | url | textarea | select | money |
//                      code (an ISO code picked by name: `codes` is
//                      'countries' or 'currencies') | staff | tags |
//                      datetime | id
//   required, max      as in the contract (max becomes maxlength)
//   options            for select: [value, label] pairs
//   default            initial value in the create form
//   list               shown as a list column
//   sortable           header click sorts by it (contract's sortable fields)
//   filter             offered as a list filter select (select/staff types)
//   form               false for read-only meta fields
//   wide               spans the full form width
//   hint               help text under the input
//   placeholder        input placeholder

const TIMESTAMPS = [
  { name: 'created_at', label: 'Created', type: 'datetime', list: true, sortable: true, form: false },
  { name: 'updated_at', label: 'Updated', type: 'datetime', sortable: true, form: false },
];

export const LEAD_STATUSES = [
  ['new', 'New'], ['contacted', 'Contacted'], ['qualified', 'Qualified'],
  ['proposal', 'Proposal'], ['won', 'Won'], ['lost', 'Lost'],
];

export const ENTITIES = [
  {
    key: 'leads', api: '/api/v1/leads', path: '/admin/leads', module: 'leads',
    singular: 'lead', plural: 'Leads', logEntity: 'lead', titleField: 'name', defaultSort: '-id',
    fields: [
      { name: 'name', label: 'Name', type: 'text', required: true, max: 200, list: true, sortable: true },
      { name: 'company', label: 'Company', type: 'text', max: 200, list: true, sortable: true },
      { name: 'email', label: 'Email', type: 'email', max: 254, list: true },
      { name: 'phone', label: 'Phone', type: 'tel', max: 50 },
      { name: 'source', label: 'Source', type: 'text', max: 100, placeholder: 'e.g. Website, Referral' },
      { name: 'status', label: 'Status', type: 'select', options: LEAD_STATUSES, default: 'new',
        list: true, sortable: true, filter: true },
      { name: 'value', label: 'Value', type: 'money', list: true, sortable: true, placeholder: '0.00' },
      { name: 'currency', label: 'Currency', type: 'code', codes: 'currencies',
        hint: 'Empty uses the default currency.' },
      { name: 'assigned_to', label: 'Assigned to', type: 'staff', list: true },
      { name: 'tags', label: 'Tags', type: 'tags', wide: true, hint: 'Separate tags with commas.' },
      { name: 'notes', label: 'Notes', type: 'textarea', max: 10000, wide: true },
      ...TIMESTAMPS,
    ],
  },
  {
    key: 'clients', api: '/api/v1/clients', path: '/admin/clients', module: 'clients',
    singular: 'client', plural: 'Clients', logEntity: 'client', titleField: 'company', defaultSort: '-id',
    fields: [
      { name: 'company', label: 'Company', type: 'text', required: true, max: 200, list: true, sortable: true, wide: true },
      { name: 'vat_number', label: 'VAT number', type: 'text', max: 50, list: true },
      { name: 'registration_number', label: 'Registration number', type: 'text', max: 50 },
      { name: 'address', label: 'Address', type: 'textarea', max: 500, wide: true },
      { name: 'city', label: 'City', type: 'text', max: 100, list: true, sortable: true },
      { name: 'country', label: 'Country', type: 'code', codes: 'countries', list: true, sortable: true },
      { name: 'phone', label: 'Phone', type: 'tel', max: 50, list: true },
      { name: 'website', label: 'Website', type: 'url', max: 500, placeholder: 'https://' },
      { name: 'default_currency', label: 'Default currency', type: 'code', codes: 'currencies' },
      { name: 'assigned_to', label: 'Assigned to', type: 'staff', list: true },
      ...TIMESTAMPS,
    ],
  },
  {
    key: 'departments', api: '/api/v1/departments', path: '/admin/departments', module: 'departments',
    singular: 'department', plural: 'Departments', logEntity: 'department', titleField: 'name',
    defaultSort: 'name', dashboard: false, members: 'department_id',
    fields: [
      { name: 'name', label: 'Name', type: 'text', required: true, max: 100, list: true, sortable: true },
      { name: 'email', label: 'Email', type: 'email', max: 254, list: true,
        hint: 'The department’s own address, e.g. support@company.com (for ticket routing).' },
      ...TIMESTAMPS,
    ],
  },
  {
    key: 'teams', api: '/api/v1/teams', path: '/admin/teams', module: 'teams',
    singular: 'team', plural: 'Teams', logEntity: 'team', titleField: 'name',
    defaultSort: 'name', dashboard: false, members: 'team_id',
    fields: [
      { name: 'name', label: 'Name', type: 'text', required: true, max: 100, list: true, sortable: true },
      { name: 'description', label: 'Description', type: 'textarea', max: 500, list: true, wide: true },
      ...TIMESTAMPS,
    ],
  },
];

export function entityByKey(key) { return ENTITIES.find((e) => e.key === key); }
export function entityByLogName(name) { return ENTITIES.find((e) => e.logEntity === name); }
export const formFields = (entity) => entity.fields.filter((f) => f.form !== false);
export const listFields = (entity) => entity.fields.filter((f) => f.list);
export const filterFields = (entity) => entity.fields.filter((f) => f.filter);
export const sortableNames = (entity) => ['id', ...entity.fields.filter((f) => f.sortable).map((f) => f.name)];
