// Automation runs (GET /api/v1/automation_runs): a run's status badge, the
// conditions' trace (each group and comparison with what it saw and its
// result) and its steps (each one's output or error), shared by the run
// history of an automation's page (on the list component), test mode's
// answer, and the "Automation runs" card of a record's page (the runs
// that record started, for members with automations.view).
import { h, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { entityByLogName } from '../entities.js';
import { t, tOr } from '../i18n.js';
import { canView } from '../session.js';
import { emptyState, problemBox } from '../ui.js';
import { listView } from '../listview.js';
import { formatNumber } from '../format.js';
import { AUTO_API, AUTO_BASE, OPS, actionLabel, entityWords, fieldLabel } from './automation_words.js';

export const RUN_STATUSES = ['queued', 'running', 'waiting', 'done', 'failed', 'skipped', 'stopped'];

/** A run's (or a test step's) status as a badge. */
export function runBadge(status, props = {}) {
  return h('span', { class: ['badge', `badge-run-${status}`], ...props }, tOr(`auto.run.${status}`, String(status)));
}

/** Where a record of entity lives in the UI, or null. */
export function recordHref(entity, id) {
  if (id == null) return null;
  if (entity === 'staff') return `/admin/staff/${id}`;
  const e = entityByLogName(entity);
  return e ? `${e.path}/${id}` : `/admin/${entity}s/${id}`;
}

const show = (v) => (v === null || v === undefined || v === '' ? '∅' : Array.isArray(v) ? v.map(show).join(', ')
  : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** The conditions' trace as nested lists: what each comparison saw, and whether it held. */
export function traceList(entity, trace) {
  if (!Array.isArray(trace) || !trace.length) return h('p', { class: 'muted' }, t('auto.trace.none'));
  const item = (x) => {
    const mark = h('span', { class: ['auto-result', x.result ? 'auto-yes' : 'auto-no'] }, x.result ? t('auto.trace.met') : t('auto.trace.not_met'));
    if (x.group) {
      return h('li', { class: 'auto-trace-group' }, h('span', null, t(`auto.group.${x.group === 'any' ? 'any' : 'all'}_of`), ' '), mark,
        h('ul', { class: 'auto-trace' }, (x.items || []).map(item)));
    }
    const op = OPS.includes(x.op) ? t(`auto.op.${x.op}`) : String(x.op);
    return h('li', null, h('span', null, `${fieldLabel(entity, x.field)} ${op}${'value' in x ? ` ${show(x.value)}` : ''} `), mark,
      h('span', { class: 'muted' }, ` — ${t('auto.trace.saw', { value: show(x.actual) })}${'before' in x ? `; ${t('auto.trace.before', { value: show(x.before) })}` : ''}`));
  };
  return h('ul', { class: 'auto-trace', 'data-testid': 'auto-trace' }, trace.map(item));
}

/** A step's output as a definition list (members by name where the key names members). */
function outputList(out, people) {
  const member = (id) => { const p = (people || []).find((x) => x.id === Number(id)); return p ? p.name : `#${id}`; };
  const rows = Object.entries(out || {}).map(([k, v]) => {
    let text;
    if (['notified', 'would_notify'].includes(k) && Array.isArray(v)) text = v.map(member).join(', ');
    else if (v && typeof v === 'object' && !Array.isArray(v)) text = h('pre', { class: 'mono pre-wrap auto-output' }, JSON.stringify(v, null, 2));
    else text = typeof v === 'string' ? h('span', { class: 'pre' }, v) : show(v);
    return [h('dt', null, tOr(`auto.out.${k}`, k)), h('dd', null, text)];
  });
  return rows.length ? h('dl', { class: 'details auto-out' }, rows.flat()) : null;
}

/** The steps of a run or a test: number, type, status, output or error. */
export function stepsList(steps, people) {
  if (!Array.isArray(steps) || !steps.length) return h('p', { class: 'muted' }, t('auto.steps.none'));
  return h('ol', { class: 'auto-steps', 'data-testid': 'auto-steps' }, steps.map((s) => h('li', { class: 'auto-step', dataset: { step: String(s.step), status: s.status } },
    h('p', { class: 'auto-step-line' }, h('strong', null, t('auto.step_n', { n: s.step })), ` · ${actionLabel(s.type)} · `, runBadge(s.status),
      s.ms != null ? h('span', { class: 'muted' }, ` ${formatNumber(s.ms)} ms`) : null,
      s.until ? h('span', { class: 'muted' }, [` · ${t('auto.steps.until')} `, timeEl(s.until)]) : null,
      s.minutes != null ? h('span', { class: 'muted' }, ` · ${t('auto.unit.minutes_n', { count: s.minutes })}`) : null),
    s.error ? h('p', { class: 'error-text' }, s.error) : null,
    outputList(s.output, people))));
}

/** A run's details, folded: its error, its steps and its conditions' trace. */
export function runDetails(run, people) {
  return h('details', { class: 'auto-run-details' },
    h('summary', null, t('auto.run.details', { count: (run.steps || []).length })),
    run.error ? h('p', { class: 'error-text' }, run.error) : null,
    h('h4', { class: 'auto-subtitle' }, t('auto.actions')), stepsList(run.steps, people),
    run.conditions ? [h('h4', { class: 'auto-subtitle' }, t('auto.conditions')), traceList(run.entity, run.conditions)] : null);
}

/** A run's record as a link ("Lead #12"), or what it was for a schedule. */
export function runRecord(run) {
  if (run.record_id == null) return h('span', { class: 'muted' }, t('auto.run.no_record'));
  const href = recordHref(run.entity, run.record_id);
  const text = `${entityWords(run.entity).one} #${run.record_id}`;
  return href ? h('a', { href }, text) : text;
}

/** The run history of automation id on the list component. */
export function runHistory(ctx, id, people) {
  const refresh = h('button', { type: 'button', class: 'btn btn-ghost' }, t('mail.refresh'));
  const view = listView(ctx, {
    api: '/api/v1/automation_runs',
    query: { automation_id: id },
    name: t('auto.runs'),
    id: 'runs',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    search: null,
    filterLabel: t('auto.runs_filter'),
    filters: [
      { param: 'status', id: 'runs-status', label: t('field.status'), options: RUN_STATUSES.map((s) => [s, t(`auto.run.${s}`)]) },
      { param: 'trigger', id: 'runs-trigger', label: t('auto.trigger'), options: ['event', 'date', 'schedule'].map((x) => [x, t(`auto.type.${x}`)]) },
      { type: 'dates', field: 'created_at', params: ['runs_from', 'runs_to'], labels: [t('activity.from'), t('activity.to')] },
    ],
    toolbar: [refresh],
    columns: [
      { label: '#', sort: 'id', desc: true, class: 'mono', cell: (r) => String(r.id) },
      { label: t('field.status'), cell: (r) => runBadge(r.status) },
      { label: t('auto.trigger'), cell: (r) => [t(`auto.type.${r.trigger}`), r.fire_date ? h('span', { class: 'muted' }, ` · ${r.fire_date}`) : null,
        r.depth ? h('span', { class: 'muted' }, ` · ${t('auto.run.depth', { n: r.depth })}`) : null] },
      { label: t('auto.record'), cell: runRecord, linked: true },
      { label: t('events.when'), class: 'when', cell: (r) => timeEl(r.created_at) },
      { label: t('auto.run.details_col'), csv: false, cell: (r) => runDetails(r, people), linked: true },
    ],
    rowProps: (r) => ({ dataset: { run: String(r.id), status: r.status } }),
    tableClass: 'table-log',
    empty: { none: [t('auto.runs_none'), t('auto.runs_none_detail')], filtered: [t('auto.runs_no_match'), t('events.try_other')] },
  });
  refresh.addEventListener('click', () => view.load());
  return view;
}

/**
 * The "Automation runs" card of a record's page: the latest runs this
 * record started, each with its automation (a link), status, time and
 * details. null for members without automations.view.
 */
export function automationRunsSection(logEntity, id, signal) {
  if (!canView('automations')) return null;
  const titleId = `auto-runs-${logEntity}-${id}`;
  const body = h('div', { class: 'table-wrap' }, h('p', { class: 'loading' }, t('common.loading')));
  const section = h('section', { class: 'card section form-width', 'aria-labelledby': titleId, 'data-testid': 'record-automation-runs' },
    h('div', { class: 'section-header' }, h('h2', { id: titleId, class: 'section-title' }, t('auto.record_runs'))), body);
  Promise.all([
    api('GET', '/api/v1/automation_runs', { query: { entity: logEntity, record_id: id, limit: 10 }, signal }),
    api('GET', AUTO_API, { query: { trigger_entity: logEntity, limit: 200 }, signal }),
  ]).then(([runs, autos]) => {
    const rows = (runs.data && runs.data.data) || [];
    const names = new Map(((autos.data && autos.data.data) || []).map((a) => [a.id, a.name]));
    body.replaceChildren(rows.length ? h('table', { class: 'table table-log' },
      h('thead', null, h('tr', null, [t('auto.one'), t('field.status'), t('events.when'), t('auto.run.details_col')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows.map((r) => h('tr', { dataset: { run: String(r.id), status: r.status } },
        h('td', null, h('a', { href: `${AUTO_BASE}/${r.automation_id}` }, names.get(r.automation_id) || `#${r.automation_id}`)),
        h('td', null, runBadge(r.status)), h('td', { class: 'when' }, timeEl(r.created_at)), h('td', null, runDetails(r))))))
      : emptyState(t('auto.record_runs_none')));
  }).catch((err) => { if (!isAbort(err)) body.replaceChildren(problemBox(err)); });
  return section;
}
