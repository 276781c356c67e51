// The automation form (/admin/workflow_automation/new, /:id/edit, and
// /new?template=KEY prefilled from a standard automation): what it is
// (name, description, enabled, runs as — administrators only name another
// member —, its own changes starting it again, runs per hour), the
// trigger builder, the conditions builder and the ordered actions
// (automation_builders.js, automation_actions.js). Saving sends the
// contract's JSON (POST with an Idempotency-Key, PATCH with If-Match);
// the server's 422 names each problem by its path and each is shown
// beside its control, with the form's error summary linking to them; a
// 412 says someone else saved first. Leaving with unsaved changes asks
// first (dirty.js).
import { h, icon, pageTitle } from '../dom.js';
import { api, ApiError, isAbort, randomKey } from '../api.js';
import { navigate } from '../router.js';
import { t } from '../i18n.js';
import { can, canView, me } from '../session.js';
import { alertBox, problemBox, sentence, toast } from '../ui.js';
import { control, errorMessage, staleNotice } from '../forms.js';
import { staffOptions } from '../pickers.js';
import { trackForm } from '../dirty.js';
import { lastListQuery } from '../listview.js';
import { notFoundPage } from './records.js';
import { loadLookups, registry } from './automation_parts.js';
import { conditionsBuilder, triggerBuilder } from './automation_builders.js';
import { actionsEditor } from './automation_actions.js';
import { AUTO_API, AUTO_BASE, mayChange } from './automation_words.js';

const BACK = ['M15 18l-6-6 6-6'];

/** The standard automation of key (GET /api/v1/automation_templates), or null. */
export async function loadTemplate(key, signal) {
  const { data } = await api('GET', '/api/v1/automation_templates', { signal });
  return ((data && data.data) || []).find((x) => x.key === key) || null;
}

/** Shows a 422's field errors beside their controls (by path) and the summary. */
function showErrors(err, reg, messages) {
  const done = new Set();
  let first = null;
  const items = err.fieldErrors.map((e) => {
    const c = reg.find(e.field);
    const text = errorMessage(e);
    if (!c) return h('li', null, `${e.field || t('form.request')}: ${text}`);
    if (!done.has(c)) { c.setError(text); done.add(c); }
    first = first || c;
    const link = h('a', { href: c.input && c.input.id ? `#${c.input.id}` : '#' }, `${c.label || e.field}: ${text}`);
    link.addEventListener('click', (ev) => { ev.preventDefault(); c.focus(); });
    return h('li', { dataset: { field: e.field } }, link);
  });
  const n = items.length;
  messages.replaceChildren(alertBox('error', n ? t('form.correct_fields', { count: n }) : sentence(err.title),
    n ? null : err.detail, n ? h('ul', { class: 'error-list' }, items) : null));
  if (first) first.focus(); else messages.focus();
}

export async function automationFormPage(ctx, root) {
  if (!canView('automations')) return notFoundPage(ctx, root);
  const id = ctx.params.id;
  const isNew = !id;
  if (!isNew && !/^[1-9]\d*$/.test(id)) return notFoundPage(ctx, root);
  const listHref = AUTO_BASE + lastListQuery(AUTO_BASE);
  const templateKey = isNew ? ctx.query.get('template') : null;
  let loaded;
  let template = null;
  let lookups;
  try {
    [loaded, template, lookups] = await Promise.all([
      isNew ? null : api('GET', `${AUTO_API}/${id}`, { signal: ctx.signal }),
      templateKey ? loadTemplate(templateKey, ctx.signal) : null,
      loadLookups(ctx.signal),
    ]);
  } catch (err) {
    if (isAbort(err)) return;
    if (err instanceof ApiError && err.status === 404) return notFoundPage(ctx, root);
    throw err;
  }
  const auto = loaded ? loaded.data : null;
  const etag = loaded ? loaded.etag : null;
  const src = auto || template || {};
  const title = isNew ? t('auto.new') : t('auto.edit_title', { name: auto.name });
  ctx.setTitle(title);
  const self = me();
  const admin = Boolean(self && self.admin);
  const editable = isNew ? can('automations', 'create') : mayChange(auto);

  const reg = registry();
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const c = {
    name: control({ name: 'name', label: t('field.name'), required: true, max: 200 }),
    description: control({ name: 'description', label: t('auto.description'), type: 'textarea', max: 2000, wide: true }),
    enabled: control({ name: 'enabled', label: t('auto.enabled'), type: 'checkbox', hint: t('auto.enabled_hint') }),
    owner_id: admin
      ? control({ name: 'owner_id', label: t('auto.runs_as'), type: 'select', options: [], hint: t('auto.runs_as_hint') })
      : null,
    allow_retrigger: control({ name: 'allow_retrigger', label: t('auto.allow_retrigger'), type: 'checkbox', hint: t('auto.allow_retrigger_hint') }),
    max_runs_per_hour: control({ name: 'max_runs_per_hour', label: t('auto.max_runs'), type: 'number', min: 1, maxValue: 10000,
      hint: t('auto.max_runs_hint') }),
  };
  if (c.owner_id) {
    const owner = auto ? auto.owner_id : self.id;
    c.owner_id.input.replaceChildren(...staffOptions(lookups.people, self.id));
    if (owner != null && !lookups.people.some((p) => p.id === owner)) {
      c.owner_id.input.appendChild(h('option', { value: String(owner) }, `#${owner}`));
    }
    c.owner_id.set(owner);
  }
  c.name.set(src.name || '');
  c.description.set(src.description || '');
  c.enabled.set(auto ? auto.enabled : false);
  c.allow_retrigger.set(auto ? auto.allow_retrigger : false);
  c.max_runs_per_hour.set(auto ? auto.max_runs_per_hour : 100);
  for (const [k, ctl] of Object.entries(c)) if (ctl) reg.set(k, ctl);

  let conditions = null;
  let actions = null;
  const trigger = triggerBuilder(src.trigger, { reg, lookups, onChange: () => { conditions.redraw(); actions.redraw(); } });
  conditions = conditionsBuilder(src.conditions, { reg, lookups, getTrigger: trigger.read });
  actions = actionsEditor(src.actions, { reg, lookups, getTrigger: trigger.read });

  const save = editable ? h('button', { type: 'submit', class: 'btn btn-primary' }, isNew ? t('auto.create') : t('common.save_changes')) : null;
  const cancel = h('a', { href: auto ? `${AUTO_BASE}/${auto.id}` : listHref, class: 'btn' }, editable ? t('common.cancel') : t('common.back'));
  const runsAs = c.owner_id ? c.owner_id.wrap
    : h('div', { class: 'field' }, h('p', { class: 'label' }, t('auto.runs_as')),
      h('p', null, auto && auto.owner_id !== self.id ? t('auto.runs_as_other') : t('auto.runs_as_you')),
      h('p', { class: 'hint' }, t('auto.runs_as_member_hint')));
  const form = h('form', { class: 'form auto-form', novalidate: true, 'aria-labelledby': 'form-title', 'data-testid': 'automation-form' },
    messages,
    editable ? null : alertBox('info', t('form.read_only'), !isNew && can('automations', 'edit')
      ? t('auto.not_yours_detail', { name: ((lookups.people.find((p) => p.id === auto.owner_id)) || { name: `#${auto.owner_id}` }).name })
      : t('auto.read_only')),
    template ? alertBox(template.needs.length ? 'warning' : 'info', t('auto.from_template', { name: template.name }),
      template.needs.length ? t('auto.template_needs') : t('auto.template_ready')) : null,
    h('section', { class: 'card section auto-part', 'aria-label': t('auto.details') },
      h('div', { class: 'form-grid' }, c.name.wrap, c.description.wrap, c.enabled.wrap, runsAs, c.allow_retrigger.wrap,
        c.max_runs_per_hour.wrap)),
    trigger.root, conditions.root, actions.root,
    h('div', { class: 'form-actions' }, save, cancel));
  if (!editable) for (const el of form.elements) el.disabled = true;
  const heading = pageTitle(title);
  heading.id = 'form-title';
  root.replaceChildren(h('a', { href: auto ? `${AUTO_BASE}/${auto.id}` : listHref, class: 'back-link' }, icon(BACK),
    auto ? auto.name : t('nav.automations')), h('div', { class: 'page-header' }, heading), form);

  // What a standard automation still needs, beside the control it belongs to.
  if (template) {
    for (const need of template.needs || []) {
      const ctl = reg.find(need.field);
      if (ctl) ctl.setError(t('auto.needs_role', { name: need.message }));
    }
  }

  const clear = () => { for (const ctl of reg.all()) ctl.setError(''); messages.replaceChildren(); };
  let lastBody = null;
  let idemKey = null;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!save) return;
    clear();
    const body = {
      name: c.name.get() ?? '',
      description: c.description.get(),
      enabled: c.enabled.get(),
      allow_retrigger: c.allow_retrigger.get(),
      trigger: trigger.read(),
      conditions: conditions.read(),
      actions: actions.read(),
    };
    const rate = c.max_runs_per_hour.get();
    if (rate !== null) body.max_runs_per_hour = rate;
    if (c.owner_id && c.owner_id.get() !== null) body.owner_id = Number(c.owner_id.get());
    const text = JSON.stringify(body);
    if (text !== lastBody) { lastBody = text; idemKey = randomKey(); }
    save.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const res = isNew ? await api('POST', AUTO_API, { body, idempotencyKey: idemKey })
        : await api('PATCH', `${AUTO_API}/${id}`, { body, ifMatch: etag });
      toast(t(isNew ? 'auto.created' : 'auto.saved', { name: res.data.name }));
      navigate(`${AUTO_BASE}/${res.data.id}`);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showErrors(err, reg, messages);
      else if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'automation', () => navigate(location.pathname, { replace: true }));
      else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  if (editable) trackForm(form);
  if (isNew) c.name.focus();
}
