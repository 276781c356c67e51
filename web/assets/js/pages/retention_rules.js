// Record retention rules (/admin/retention_rules; GDPR storage limitation):
// the list, form (entity, condition, filter, action, with each field's
// error beside it) and History are the generic record pages of the entity
// `retention_rules`. This module adds the rule page's card: the preview
// (how many records the rule would remove now, and the first of them with
// links and their last activity), "Confirm for the daily run", "Run now"
// (asked again with the count) and the run history with what was refused
// and why. Not the log retention of the Log archives page.
import { h, replace, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { ENTITIES } from '../entities.js';
import { can } from '../session.js';
import { alertBox, confirmDialog, problemBox, toast } from '../ui.js';
import { t } from '../i18n.js';

const PREVIEW_LIMIT = 10;

/* The UI descriptor of the rule's entity ("lead"), or null. */
function target(name) {
  return ENTITIES.find((e) => e.logEntity === name) || null;
}

function previewBox(rule, data) {
  const e = target(rule.entity);
  const rows = data.data.map((rec) => {
    const title = (e && rec[e.titleField]) || `#${rec.id}`;
    const link = e ? h('a', { href: `${e.path}/${rec.id}` }, title) : title;
    const last = data.last_activity[String(rec.id)];
    return h('tr', null, h('td', null, link), h('td', null, last ? timeEl(last) : '—'));
  });
  const count = h('p', { 'data-testid': 'retention-preview-count' },
    t('retention.preview_count', { count: data.total }), ' ', t('retention.preview_cutoff'), ' ', timeEl(data.cutoff), '.');
  if (!data.total) return h('div', { 'data-testid': 'retention-preview' }, count);
  return h('div', { 'data-testid': 'retention-preview' }, count,
    h('table', { class: 'table', 'aria-label': t('retention.preview_title') },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('retention.record')), h('th', { scope: 'col' }, t('retention.last_activity')))),
      h('tbody', null, ...rows)),
    data.total > rows.length ? h('p', { class: 'muted' }, t('retention.preview_more', { count: data.total - rows.length })) : null);
}

function runRow(run) {
  const refusals = (run.refusals || []).map((x) => h('li', null, `#${x.id}`, x.title ? ` ${x.title}` : '', ': ', x.reason));
  return h('tr', { 'data-testid': 'retention-run', 'data-status': run.status },
    h('td', null, timeEl(run.created_at)),
    h('td', null, t(`retention.origin_${run.origin}`)),
    h('td', null, h('span', { class: ['badge', run.status === 'failed' ? 'badge-danger' : run.status === 'done' ? 'badge-on' : 'badge-off'] },
      t(`retention.status_${run.status}`))),
    h('td', { class: 'num' }, String(run.removed)),
    h('td', { class: 'num' }, String(run.refused)),
    h('td', null, run.error ? h('p', null, run.error) : null, refusals.length ? h('ul', { class: 'plain-steps' }, ...refusals) : null));
}

/** The card of a rule's page (null for a new one). */
export function retentionSection(entity, record, signal, onChange) {
  const titleId = `retention-${record.id}-title`;
  const messages = h('div', { class: 'form-messages', tabindex: '-1', 'aria-live': 'polite' });
  const previewArea = h('div');
  const runsArea = h('div');
  const state = h('p', { 'data-testid': 'retention-state' });
  const path = `${entity.api}/${record.id}`;
  const canEdit = can(entity.module, 'edit');
  let lastPreview = null;

  const fail = (err) => {
    if (isAbort(err)) return;
    messages.replaceChildren(problemBox(err));
    messages.focus();
  };

  function drawState() {
    const confirmed = record.confirmed_version === record.version;
    replace(state,
      confirmed ? t('retention.confirmed') : t('retention.not_confirmed'), ' ',
      record.enabled ? t('retention.enabled_hint') : t('retention.disabled_hint'));
  }

  async function loadRuns() {
    try {
      const { data } = await api('GET', `${path}/runs`, { query: { limit: 20 }, signal });
      replace(runsArea,
        h('h3', { class: 'step-title' }, t('retention.runs_title')),
        data.data.length
          ? h('table', { class: 'table', 'data-testid': 'retention-runs' },
            h('thead', null, h('tr', null, ...['run_started', 'run_origin', 'run_status', 'run_removed', 'run_refused', 'run_details']
              .map((k) => h('th', { scope: 'col' }, t(`retention.${k}`))))),
            h('tbody', null, ...data.data.map(runRow)))
          : h('p', { class: 'muted' }, t('retention.no_runs')));
      return data.data;
    } catch (err) { fail(err); return []; }
  }

  async function preview() {
    messages.replaceChildren();
    try {
      const { data } = await api('GET', `${path}/preview`, { query: { limit: PREVIEW_LIMIT }, signal });
      lastPreview = data;
      replace(previewArea, previewBox(record, data));
    } catch (err) { fail(err); }
  }

  /* Waits for the run to finish: the history is read again every 2 s while
   * a run is open (leaving the page stops it). */
  async function waitRun(id) {
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      if (signal.aborted) return;
      const runs = await loadRuns();
      const run = runs.find((x) => x.id === id);
      if (!run || run.status === 'done' || run.status === 'failed') { onChange(); return; }
    }
  }

  const previewBtn = h('button', { type: 'button', class: 'btn' }, t('retention.preview'));
  previewBtn.addEventListener('click', preview);
  const confirmBtn = h('button', { type: 'button', class: 'btn' }, t('retention.confirm'));
  confirmBtn.addEventListener('click', async () => {
    if (!lastPreview) await preview();
    if (!lastPreview) return;
    confirmBtn.disabled = true;
    try {
      await api('POST', `${path}/confirm`, { body: {}, ifMatch: `"${record.version}"`, signal });
      toast(t('retention.confirmed_toast'));
      onChange();
    } catch (err) { fail(err); confirmBtn.disabled = false; }
  });
  const runBtn = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('retention.run_now'));
  runBtn.addEventListener('click', async () => {
    await preview();
    if (!lastPreview) return;
    const ok = await confirmDialog({
      title: t('retention.run_q'),
      message: t(record.action === 'anonymise' ? 'retention.run_q_anonymise' : 'retention.run_q_delete',
        { count: lastPreview.total, most: record.max_per_run ?? 500 }),
      confirmLabel: t('retention.run_now'),
      danger: true,
    });
    if (!ok) { runBtn.focus(); return; }
    runBtn.disabled = true;
    try {
      const { data } = await api('POST', `${path}/run`, { body: {}, ifMatch: `"${record.version}"`, signal });
      toast(t('retention.run_queued'));
      await loadRuns();
      waitRun(data.id).catch(fail);
    } catch (err) { fail(err); runBtn.disabled = false; }
  });

  drawState();
  const buttons = h('div', { class: 'form-actions' }, previewBtn, canEdit ? confirmBtn : null, canEdit ? runBtn : null);
  const section = h('section', { class: 'card section form-width', 'aria-labelledby': titleId, 'data-testid': 'retention-actions' },
    h('div', { class: 'section-header' }, h('h2', { id: titleId, class: 'section-title' }, t('retention.actions_title'))),
    messages,
    h('div', { class: 'section-body' },
      alertBox('info', t('retention.what_title'), t('retention.what_detail')),
      state, buttons, previewArea, runsArea));
  loadRuns().then((runs) => {
    const open = runs.find((x) => x.status === 'queued' || x.status === 'running');
    if (open) waitRun(open.id).catch(fail);
  });
  return section;
}
