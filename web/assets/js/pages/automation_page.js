// An automation's page (/admin/workflow_automation/:id): what it does in
// words (trigger, conditions, actions, who it runs as), whether it is on,
// off or turned off by the rate limit (with the reason and "Turn on
// again"), Edit, Turn on / Turn off, Delete (confirmed); test mode (a
// record of the trigger's kind chosen by search or id, then what the
// conditions saw and what each step would do or why it would be refused,
// from POST .../test: nothing is written); the run history; and the
// History of the record itself (the activity log).
import { h, icon, pageTitle, replace, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { navigate } from '../router.js';
import { entityByLogName } from '../entities.js';
import { t } from '../i18n.js';
import { can, canView } from '../session.js';
import { alertBox, confirmDialog, loadStaff, problemBox, staffName, toast } from '../ui.js';
import { recordPicker } from '../pickers.js';
import { lastListQuery } from '../listview.js';
import { historySection } from './activity.js';
import { notFoundPage } from './records.js';
import { facts } from './doc_view.js';
import { loadLookups } from './automation_parts.js';
import { runHistory, stepsList, traceList } from './automation_runs.js';
import {
  AUTO_API, AUTO_BASE, actionText, conditionLines, entityWords, mayChange, namer, triggerText,
} from './automation_words.js';

const BACK = ['M15 18l-6-6 6-6'];

/** On, off, or turned off by the rate limit, as a badge. */
export function stateBadge(a, props = {}) {
  if (a.paused_at) return h('span', { class: 'badge badge-danger', title: a.paused_reason || '', ...props }, t('auto.state.paused'));
  return h('span', { class: ['badge', a.enabled ? 'badge-on' : 'badge-off'], ...props }, a.enabled ? t('auto.state.on') : t('auto.state.off'));
}

/** The test card: a record to try the automation on, and what it would do. */
function testSection(a, people, signal) {
  const entity = a.trigger && a.trigger.type !== 'schedule' ? a.trigger.entity : null;
  const e = entity ? entityByLogName(entity) : null;
  const result = h('div', { class: 'auto-test-result', 'aria-live': 'polite', 'data-testid': 'auto-test-result' });
  const run = h('button', { type: 'submit', class: 'btn btn-primary' }, t('auto.test.run'));
  let picker = null;
  const idInput = h('input', { id: 'auto-test-id', class: 'input input-short', type: 'text', inputmode: 'numeric', autocomplete: 'off' });
  const parts = [];
  if (entity) {
    if (e) {
      picker = recordPicker({ id: 'auto-test-record', name: 'record', api: e.api, sort: e.titleField,
        title: (r) => `${r[e.titleField] || t('auto.test.untitled')} (#${r.id})`, searchLabel: t('auto.test.find', { plural: e.plural.toLowerCase() }), signal });
      picker.load();
      parts.push(h('div', { class: 'field' }, h('label', { for: 'auto-test-record', class: 'label' }, t('auto.test.record', { one: entityWords(entity).one })), picker.root));
    }
    parts.push(h('div', { class: 'field' }, h('label', { for: 'auto-test-id', class: 'label' }, e ? t('auto.test.or_id') : t('auto.test.record_id')), idInput,
      h('p', { class: 'hint' }, t('auto.test.id_hint'))));
  } else {
    parts.push(h('p', { class: 'muted' }, t('auto.test.schedule')));
  }
  const error = h('p', { class: 'field-error', hidden: true, id: 'auto-test-error' });
  const form = h('form', { class: 'auto-test-form', novalidate: true, 'data-testid': 'auto-test-form' },
    h('div', { class: 'form-grid' }, parts), error, h('div', { class: 'form-actions' }, run));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    const typed = idInput.value.trim();
    const chosen = picker ? picker.get() : null;
    const body = {};
    if (entity) body.record_id = typed ? (/^\d+$/.test(typed) ? Number(typed) : typed) : chosen;
    run.disabled = true;
    result.replaceChildren(h('p', { class: 'loading' }, t('common.loading')));
    try {
      const { data } = await api('POST', `${AUTO_API}/${a.id}/test`, { body, signal });
      const head = data.error ? alertBox('error', t('auto.test.cannot'), data.error)
        : data.matched ? alertBox('success', t('auto.test.matched'), t('auto.test.nothing_written'))
          : alertBox('warning', t('auto.test.not_matched'), t('auto.test.nothing_written'));
      replace(result, head,
        entity ? [h('h3', { class: 'auto-subtitle' }, t('auto.conditions')), traceList(entity, data.conditions)] : null,
        data.steps ? [h('h3', { class: 'auto-subtitle' }, t('auto.test.would_do')), stepsList(data.steps, people)] : null);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) {
        error.textContent = err.fieldErrors.map((x) => x.detail || x.code).join('; ') || err.title;
        error.hidden = false;
        result.replaceChildren();
        (typed || !picker ? idInput : picker.input).focus();
      } else result.replaceChildren(problemBox(err));
    } finally {
      run.disabled = false;
    }
  });
  return h('section', { class: 'card section', 'aria-labelledby': 'auto-test-title', 'data-testid': 'auto-test' },
    h('div', { class: 'section-header' }, h('h2', { id: 'auto-test-title', class: 'section-title' }, t('auto.test.title'))),
    h('p', { class: 'hint auto-section-lead' }, t('auto.test.lead')), form, result);
}

export async function automationPage(ctx, root) {
  if (!canView('automations')) return notFoundPage(ctx, root);
  const id = ctx.params.id;
  if (!/^[1-9]\d*$/.test(id)) return notFoundPage(ctx, root);
  let a;
  let etag;
  let lookups;
  let staff;
  try {
    [{ data: a, etag }, lookups, staff] = await Promise.all([
      api('GET', `${AUTO_API}/${id}`, { signal: ctx.signal }), loadLookups(ctx.signal), loadStaff(ctx.signal)]);
  } catch (err) {
    if (isAbort(err)) return;
    if (err instanceof ApiError && err.status === 404) return notFoundPage(ctx, root);
    throw err;
  }
  ctx.setTitle(a.name);
  const reload = () => navigate(location.pathname, { replace: true });
  const listHref = AUTO_BASE + lastListQuery(AUTO_BASE);
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const names = namer(lookups);
  const entity = a.trigger && a.trigger.type !== 'schedule' ? a.trigger.entity : null;
  const edits = mayChange(a);

  const refused = (err, button) => {
    if (isAbort(err)) return;
    if (button) button.disabled = false;
    if (err instanceof ApiError && err.status === 412) {
      const again = h('button', { type: 'button', class: 'btn' }, t('stale.reload'));
      again.addEventListener('click', reload);
      messages.replaceChildren(alertBox('warning', t('stale.automation'), t('stale.detail'), again));
    } else messages.replaceChildren(problemBox(err));
    messages.focus();
  };
  /** PATCH {enabled} with If-Match, then the page again. */
  const switchTo = (on, label, primary) => {
    const b = h('button', { type: 'button', class: ['btn', primary ? 'btn-primary' : null] }, label);
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await api('PATCH', `${AUTO_API}/${a.id}`, { body: { enabled: on }, ifMatch: etag });
        toast(t(on ? 'auto.turned_on' : 'auto.turned_off', { name: a.name }));
        reload();
      } catch (err) { refused(err, b); }
    });
    return b;
  };

  const actions = [];
  if (edits) {
    actions.push(h('a', { href: `${AUTO_BASE}/${a.id}/edit`, class: 'btn' }, t('common.edit')));
    if (!a.paused_at) actions.push(a.enabled ? switchTo(false, t('auto.turn_off')) : switchTo(true, t('auto.turn_on'), true));
  }
  if (mayChange(a, 'delete')) {
    const del = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('common.delete'));
    del.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('auto.delete_q'), message: t('auto.delete_message', { name: a.name }),
        confirmLabel: t('common.delete'), danger: true });
      if (!ok) { del.focus(); return; }
      del.disabled = true;
      try {
        await api('DELETE', `${AUTO_API}/${a.id}`, { ifMatch: etag });
        toast(t('auto.deleted', { name: a.name }));
        navigate(listHref);
      } catch (err) { refused(err, del); }
    });
    actions.push(del);
  }

  const lines = conditionLines(entity, a.conditions);
  const rows = [
    [t('auto.records'), entity ? entityWords(entity).plural : h('span', { class: 'muted' }, t('auto.no_records'))],
    [t('auto.trigger'), h('span', { 'data-testid': 'auto-trigger-words' }, triggerText(a.trigger))],
    [t('auto.conditions'), lines.length
      ? h('ul', { class: 'auto-cond-words', 'data-testid': 'auto-conditions-words' },
        lines.map((l) => h('li', { class: `auto-depth-${Math.min(l.depth, 3)}` }, l.text)))
      : t('auto.cond.always')],
    [t('auto.actions'), h('ol', { class: 'auto-action-words', 'data-testid': 'auto-actions-words' },
      (a.actions || []).map((x) => h('li', null, actionText(entity, x, names))))],
    [t('auto.runs_as'), staffName(staff, a.owner_id)],
    [t('auto.max_runs'), String(a.max_runs_per_hour)],
    [t('auto.allow_retrigger'), a.allow_retrigger ? t('common.yes') : t('common.no')],
    [t('auto.next_run'), a.next_run_at ? timeEl(a.next_run_at) : null],
    [t('auto.last_run'), a.last_run_at ? timeEl(a.last_run_at) : h('span', { class: 'muted' }, t('auto.never'))],
    [t('auto.description'), a.description ? h('span', { class: 'pre' }, a.description) : null],
  ];
  const notYours = !edits && can('automations', 'edit')
    ? alertBox('info', t('auto.not_yours'), t('auto.not_yours_detail', { name: staffName(staff, a.owner_id) })) : null;
  const paused = a.paused_at ? alertBox('error', t('auto.paused_title'), a.paused_reason || t('auto.paused_detail'),
    ...(edits ? [switchTo(true, t('auto.turn_on_again'), true)] : [])) : null;
  const runsBox = h('section', { class: 'section', 'aria-labelledby': 'auto-runs-title' });
  root.replaceChildren(...[
    h('a', { href: listHref, class: 'back-link' }, icon(BACK), t('nav.automations')),
    h('div', { class: 'page-header' }, pageTitle(a.name, ' ', stateBadge(a, { 'data-testid': 'auto-state' })),
      h('div', { class: 'page-actions', 'data-testid': 'auto-page-actions' }, actions)),
    messages,
    notYours,
    paused,
    h('section', { class: 'card section', 'aria-labelledby': 'auto-what-title' },
      h('div', { class: 'section-header' }, h('h2', { id: 'auto-what-title', class: 'section-title' }, t('auto.what'))),
      h('div', { class: 'section-body' }, facts(rows))),
    edits ? testSection(a, lookups.people, ctx.signal) : null,
    runsBox,
    canView('activity') ? historySection('automation', a.id, ctx.signal) : null,
  ].filter(Boolean));
  const view = runHistory(ctx, a.id, lookups.people);
  runsBox.replaceChildren(h('h2', { id: 'auto-runs-title', class: 'section-title' }, t('auto.runs')), view.root);
  await view.load();
}
