// Record retention rules (/admin/retention_rules; GDPR storage limitation):
// the list, form (entity, condition, filter, action, with each field's
// error beside it) and History are the generic record pages of the entity
// `retention_rules`. This module adds the rule page's card: the preview
// (how many records the rule would remove now, and the first of them with
// links and their last activity), "Confirm for the daily run", "Run now"
// (asked again with the count) and the run history with what was refused
// and why. Not the log retention of the Log archives page.
import { h, replace, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { errorMessage } from '../forms.js';
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
  if (!data.total) return h('div', { class: 'retention-body', 'data-testid': 'retention-preview' }, count);
  return h('div', { class: 'retention-body', 'data-testid': 'retention-preview' }, count,
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
  const runsArea = h('div', { class: 'retention-body' });
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
    h('div', { class: ['section-body', 'retention-body'] },
      alertBox('info', t('retention.what_title'), t('retention.what_detail')),
      state, buttons, previewArea, runsArea));
  loadRuns().then((runs) => {
    const open = runs.find((x) => x.status === 'queued' || x.status === 'running');
    if (open) waitRun(open.id).catch(fail);
  });
  return section;
}

/**
 * Bulk enable and disable on the rules' list (pages/list.js asks for it
 * through LIST_BULK): a selection column, "Enable" and "Disable" (one
 * PATCH per rule with its version: a rule changed meanwhile is named, not
 * overwritten), and the report of those that failed. Enabling a rule does
 * not confirm it: the daily run waits for its confirmation.
 */
export function retentionBulk(entity, getView) {
  const chosen = new Map();
  let key = null;
  const report = h('div', { class: 'form-messages', tabindex: '-1', 'aria-live': 'polite' });
  const count = h('span', { class: 'muted', 'aria-live': 'polite' });
  const on = h('button', { type: 'button', class: 'btn', disabled: true }, t('retention.bulk_enable'));
  const off = h('button', { type: 'button', class: 'btn', disabled: true }, t('retention.bulk_disable'));
  const all = h('input', { type: 'checkbox', class: 'checkbox', 'aria-label': t('retention.bulk_select_page') });
  const boxes = () => [...getView().table.querySelectorAll('tbody input[type=checkbox]')];
  const paint = () => {
    on.disabled = off.disabled = chosen.size === 0;
    count.textContent = chosen.size ? t('retention.bulk_selected', { count: chosen.size }) : '';
    const b = boxes();
    all.checked = b.length > 0 && b.every((x) => x.checked);
    all.indeterminate = !all.checked && b.some((x) => x.checked);
  };
  all.addEventListener('change', () => {
    for (const r of getView().rows) { if (all.checked) chosen.set(r.id, r); else chosen.delete(r.id); }
    for (const b of boxes()) b.checked = all.checked;
    paint();
  });
  async function apply(enabled, button) {
    button.disabled = true;
    report.replaceChildren();
    const failed = [];
    let done = 0;
    for (const r of chosen.values()) {
      if (Boolean(r.enabled) === enabled) { done += 1; continue; }
      try {
        await api('PATCH', `${entity.api}/${r.id}`, { body: { enabled }, ifMatch: `"${r.version}"` });
        done += 1;
      } catch (err) {
        if (isAbort(err)) return;
        failed.push(h('li', null, `${r.name}: ${err.status === 412 ? t('retention.bulk_changed') : (err.detail || err.title || err.message)}`));
      }
    }
    chosen.clear();
    if (done) toast(t(enabled ? 'retention.bulk_enabled' : 'retention.bulk_disabled', { count: done }));
    if (failed.length) {
      report.replaceChildren(alertBox('error', t('retention.bulk_failed', { count: failed.length }), null, h('ul', { class: 'error-list' }, failed)));
      report.focus();
    }
    await getView().load();
    paint();
  }
  on.addEventListener('click', () => apply(true, on));
  off.addEventListener('click', () => apply(false, off));
  return {
    report,
    toolbar: [on, off, count],
    column: {
      hiddenLabel: t('retention.bulk_select'), headClass: 'select-col', class: 'select-col', csv: false,
      header: () => all,
      cell(r) {
        const b = h('input', { type: 'checkbox', class: 'checkbox', checked: chosen.has(r.id), 'aria-label': t('retention.bulk_select_one', { name: r.name }) });
        b.addEventListener('change', () => { if (b.checked) chosen.set(r.id, r); else chosen.delete(r.id); paint(); });
        return b;
      },
    },
    onData: (data, v) => {
      if (v.key() !== key) { key = v.key(); chosen.clear(); }
      paint();
    },
  };
}

/**
 * The form's "Preview" (new rules too): what the rule as typed would
 * remove now (POST .../preview, nothing saved), or each field's error
 * beside its control.
 */
export function retentionFormPreview(entity, { byName, signal }) {
  const area = h('div', { 'aria-live': 'polite' });
  const btn = h('button', { type: 'button', class: 'btn', 'data-testid': 'retention-form-preview' }, t('retention.preview'));
  btn.addEventListener('click', async () => {
    const body = {};
    for (const k of ['entity', 'amount', 'unit', 'filter', 'action']) {
      const c = byName[k];
      if (!c) continue;
      c.setError('');
      const v = c.get();
      if (v !== null && v !== undefined && v !== '') body[k] = v;
    }
    btn.disabled = true;
    try {
      const { data } = await api('POST', `${entity.api}/preview`, { body, query: { limit: PREVIEW_LIMIT }, signal });
      replace(area, previewBox({ entity: body.entity }, data));
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) {
        for (const e of err.fieldErrors) byName[e.field]?.setError(errorMessage(e));
        replace(area, alertBox('error', t('retention.preview_invalid')));
      } else {
        replace(area, problemBox(err));
      }
    } finally { btn.disabled = false; }
  });
  return h('div', null, h('div', { class: 'form-actions' }, btn), area);
}
