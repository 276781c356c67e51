// Backups (/admin/utilities/backups): every backup of the instance with
// its state, size and checksum, a download link for the files this node
// holds, "Back up now", the schedule (on/off, every N hours, directory,
// how many to keep) and the age of the last good backup. Administrators of
// the first organisation only (the server answers 403 to anyone else).
// The Settings page shows lastGoodCard, the same age with a link here.
import { h, icon, pageTitle, replace, timeEl } from '../dom.js';
import { api, isAbort, randomKey } from '../api.js';
import { alertBox, loading, problemBox, toast } from '../ui.js';
import { control, showFieldErrors, clearErrors, staleNotice } from '../forms.js';
import { listView } from '../listview.js';
import { t } from '../i18n.js';
import { formatNumber } from '../format.js';

const PATH = '/admin/utilities/backups';
const REFRESH = ['M21 12a9 9 0 1 1-3-6.7', 'M21 4v5h-5'];
const KINDS = () => ['manual', 'scheduled', 'pre_import'].map((k) => [k, t(`backup.kind.${k}`)]);
const STATUSES = () => ['queued', 'running', 'done', 'failed'].map((s) => [s, t(`backup.status.${s}`)]);
const BADGE = { queued: 'queued', running: 'sending', done: 'sent', failed: 'blocked' };

/** 1536 → "1.5 KiB". */
function size(n) {
  if (n == null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
  return `${formatNumber(v, { min: 0, max: u ? 1 : 0 })} ${units[u]}`;
}

/** 7300 s → "2 hours". */
function age(seconds) {
  const m = Math.floor(seconds / 60);
  if (m < 1) return t('backup.age.now');
  if (m < 120) return t('backup.age.minutes', { count: m });
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return t('backup.age.hours', { count: hrs });
  return t('backup.age.days', { count: Math.floor(hrs / 24) });
}

/** The last good backup as a sentence, warned about when older than limitHours. */
function lastGoodBox(last, limitHours) {
  if (!last) return alertBox('warning', t('backup.none_yet'), t('backup.none_yet_detail'));
  const old = limitHours && last.age_seconds > limitHours * 3600;
  return h('div', { class: ['alert', old ? 'alert-warning' : 'alert-info'], role: 'status', 'data-testid': 'backup-last-good' },
    h('p', { class: 'alert-title' }, t('backup.last_good', { age: age(last.age_seconds) }), ' ', timeEl(last.finished_at)),
    old ? h('p', null, t('backup.last_good_old')) : null);
}

/** For the Settings page: the age of the last good backup, and a link here. */
export function lastGoodCard(signal) {
  const box = h('section', { class: 'card', 'aria-labelledby': 'backup-card-title' },
    h('h2', { id: 'backup-card-title', class: 'section-title' }, t('nav.backups')), loading());
  api('GET', '/api/v1/backup_schedule', { signal }).then(({ data }) => {
    replace(box, h('h2', { id: 'backup-card-title', class: 'section-title' }, t('nav.backups')),
      lastGoodBox(data.last_good, data.enabled ? data.interval_hours * 2 : 0),
      h('p', null, h('a', { href: PATH }, t('backup.manage'))));
  }).catch((err) => {
    if (!isAbort(err)) replace(box, problemBox(err));
  });
  return box;
}

function scheduleForm(ctx, onSaved) {
  const card = h('section', { class: 'card', 'aria-labelledby': 'backup-schedule-title' });
  const messages = h('div', { tabindex: '-1', 'aria-live': 'polite' });
  const c = {
    enabled: control({ name: 'enabled', type: 'checkbox', label: t('backup.schedule.enabled') }),
    interval_hours: control({ name: 'interval_hours', type: 'number', label: t('backup.schedule.interval'),
      hint: t('backup.schedule.interval_hint'), min: 1, maxValue: 8760, required: true }),
    directory: control({ name: 'directory', label: t('backup.schedule.directory'), hint: t('backup.schedule.directory_hint'),
      max: 1024, required: true, wide: true }),
    keep: control({ name: 'keep', type: 'number', label: t('backup.schedule.keep'), hint: t('backup.schedule.keep_hint'),
      min: 1, maxValue: 1000, required: true }),
  };
  let etag = null;
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save'));
  const form = h('form', { class: 'form-grid', novalidate: true }, Object.values(c).map((x) => x.wrap),
    h('div', { class: 'form-actions field-wide' }, save));

  function fill(data, tag) {
    etag = tag;
    for (const k of Object.keys(c)) c[k].set(data[k]);
  }
  async function load() {
    const r = await api('GET', '/api/v1/backup_schedule', { signal: ctx.signal });
    fill(r.data, r.etag);
    return r.data;
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(c, messages);
    save.disabled = true;
    try {
      const body = {};
      for (const [k, x] of Object.entries(c)) body[k] = x.get();
      const r = await api('PATCH', '/api/v1/backup_schedule', { body, ifMatch: etag, signal: ctx.signal });
      fill(r.data, r.etag);
      toast(t('backup.schedule.saved'));
      onSaved(r.data);
    } catch (err) {
      if (isAbort(err)) return;
      if (err.status === 412) staleNotice(messages, 'backup schedule', () => { clearErrors(c, messages); load(); });
      else if (err.fieldErrors && err.fieldErrors.length) showFieldErrors(err, c, messages);
      else messages.replaceChildren(problemBox(err));
    } finally {
      save.disabled = false;
    }
  });
  card.append(h('h2', { id: 'backup-schedule-title', class: 'section-title' }, t('backup.schedule.title')),
    h('p', { class: 'muted' }, t('backup.schedule.lead')), messages, form);
  return { card, load };
}

export async function backupsPage(ctx, root) {
  ctx.setTitle(t('nav.backups'));
  const status = h('div', { 'aria-live': 'polite' });
  const pageMessages = h('div', { tabindex: '-1', 'aria-live': 'polite' });
  const now = h('button', { type: 'button', class: 'btn btn-primary' }, t('backup.now'));
  const refresh = h('button', { type: 'button', class: 'btn btn-ghost' }, icon(REFRESH), t('mail.refresh'));
  let schedule = null;
  let timer = null;
  ctx.signal.addEventListener('abort', () => clearTimeout(timer));

  const view = listView(ctx, {
    api: '/api/v1/backups',
    name: t('nav.backups'),
    id: 'backups',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    search: null,
    filters: [
      { param: 'kind', id: 'backups-kind', label: t('backup.col.kind'), options: KINDS() },
      { param: 'status', id: 'backups-status', label: t('field.status'), options: STATUSES() },
    ],
    toolbar: [refresh],
    columns: [
      { label: '#', sort: 'id', desc: true, class: 'mono', cell: (b) => String(b.id) },
      { label: t('backup.col.kind'),
        cell: (b) => [t(`backup.kind.${b.kind}`), b.via === 'cli' ? h('span', { class: 'attempts muted' }, t('backup.via_cli')) : null] },
      { label: t('field.status'), class: 'nowrap',
        cell: (b) => h('span', { class: ['badge', `badge-mail-${BADGE[b.status] || 'queued'}`] }, t(`backup.status.${b.status}`)) },
      { label: t('field.created_at'), sort: 'created_at', desc: true, class: 'when', cell: (b) => timeEl(b.created_at) },
      { label: t('backup.col.finished'), sort: 'finished_at', desc: true, class: 'when',
        cell: (b) => (b.finished_at ? timeEl(b.finished_at) : h('span', { class: 'muted' }, '—')) },
      { label: t('backup.col.size'), class: 'nowrap', cell: (b) => size(b.bytes) },
      { label: t('backup.col.file'),
        cell(b) {
          if (b.error) return h('span', { class: 'truncate error-text', title: b.error }, b.error);
          if (!b.file_name) return h('span', { class: 'muted' }, '—');
          const parts = [h('span', { class: 'mono truncate', title: b.file }, b.file_name)];
          if (b.sha256) parts.push(h('span', { class: 'attempts muted mono', title: b.sha256 }, `sha256 ${b.sha256.slice(0, 12)}…`));
          if (b.removed_at) parts.push(h('span', { class: 'attempts muted' }, t('backup.removed')));
          return parts;
        } },
      { label: '', hiddenLabel: t('common.actions'),
        cell: (b) => (b.downloadable
          ? h('a', { href: `/api/v1/backups/${b.id}/download`, class: 'btn btn-sm', download: b.file_name,
            'aria-label': t('backup.download_one', { id: b.id }) }, t('backup.download'))
          : null) },
    ],
    rowProps: (b) => ({ dataset: { backup: b.id, status: b.status } }),
    tableClass: 'table-log',
    empty: { none: [t('backup.list_none')], filtered: [t('backup.list_no_match')] },
    onData(data) {
      const interval = schedule && schedule.enabled ? schedule.interval_hours * 2 : 0;
      replace(status, lastGoodBox(data.last_good, interval));
      // Follow a backup in progress until it ends.
      clearTimeout(timer);
      const busy = (data.data || []).some((b) => b.status === 'queued' || b.status === 'running');
      now.disabled = busy;
      if (busy && !ctx.signal.aborted) timer = setTimeout(() => view.load(), 1000);
    },
  });

  const form = scheduleForm(ctx, (data) => { schedule = data; view.load(); });
  now.addEventListener('click', async () => {
    now.disabled = true;
    pageMessages.replaceChildren();
    try {
      const r = await api('POST', '/api/v1/backups', { body: { kind: 'manual' }, idempotencyKey: randomKey(), signal: ctx.signal });
      toast(t('backup.started', { id: r.data.id }), 'info');
      await view.load();
    } catch (err) {
      if (isAbort(err)) return;
      now.disabled = false;
      pageMessages.replaceChildren(problemBox(err));
      pageMessages.focus();
    }
  });
  refresh.addEventListener('click', () => view.load());

  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.backups')), now),
    h('p', { class: 'muted page-lead' }, t('backup.lead')),
    alertBox('info', t('backup.key_title'), t('backup.key_detail')),
    pageMessages, status, view.root, form.card);
  try {
    schedule = await form.load();
  } catch (err) {
    if (isAbort(err)) return;
    pageMessages.replaceChildren(problemBox(err));
  }
  await view.load();
}

export const routes = [[PATH, backupsPage]];
export const nav = [
  { path: PATH, key: 'nav.backups', label: 'Backups', module: 'backups', adminOnly: true, operatorOrg: true, group: 'Utilities', order: 40,
    icon: ['M4 7c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3z', 'M4 7v10c0 1.7 3.6 3 8 3s8-1.3 8-3V7',
      'M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3'] },
];
