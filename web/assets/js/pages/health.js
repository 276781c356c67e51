// System health (/admin/health): the spec's six indicators with their
// thresholds and the screen that fixes each, then the job backlog by kind,
// the nodes of the cluster and the storage (GET /api/v1/health). A
// business's report (scope "organisation") holds its own figures only: no
// cron, backups, nodes or storage (the installation's, the operator's), so
// those cards are not drawn and a line says whose they are. The page
// reads the report again every 30 seconds while it is open; each node
// answers from a report at most health_cache_ms old.
import { h, icon, pageTitle, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { emptyState, loading, problemBox } from '../ui.js';
import { t, tOr } from '../i18n.js';
import { formatNumber } from '../format.js';

const REFRESH_MS = 30000;
const REFRESH = ['M21 12a9 9 0 1 1-3-6.7', 'M21 4v5h-5'];
/** The spec's indicators, in the spec's order; the others follow. */
export const SPEC_KEYS = ['cron_last_run', 'emails_blocked', 'api_error_rate', 'webhook_success_rate', 'admins_2fa',
  'accounts_inactive'];
const BADGE = { good: 'badge-on', warning: 'badge-mail-blocked', between: 'badge-warn', unknown: 'badge-off' };

/** 42 → "42 s", 300 → "5 min", 7200 → "2 h", 2 days → "2 d". */
export function duration(s) {
  const x = Math.max(0, Number(s) || 0);
  if (x < 120) return t('health.unit.s', { n: formatNumber(Math.round(x)) });
  if (x < 7200) return t('health.unit.min', { n: formatNumber(Math.round(x / 60)) });
  if (x < 172800) return t('health.unit.h', { n: formatNumber(Math.round(x / 3600)) });
  return t('health.unit.d', { n: formatNumber(Math.round(x / 86400)) });
}

/** 1536 → "1.5 KB". */
export function bytes(n) {
  let x = Number(n) || 0;
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let u = 0;
  while (x >= 1024 && u < units.length - 1) { x /= 1024; u += 1; }
  return `${formatNumber(x, { max: u ? 1 : 0 })} ${units[u]}`;
}

/** A value in its unit, for people. */
export function valueText(unit, v) {
  if (v === null || v === undefined) return '—';
  switch (unit) {
    case 'seconds': return duration(v);
    case 'percent': return `${formatNumber(v, { max: v >= 99 && v < 100 ? 2 : 1 })} %`;
    case 'bytes': return bytes(v);
    case 'bool': return v ? t('common.yes') : t('common.no');
    default: return formatNumber(v);
  }
}

const OPS = { '<': '<', '<=': '≤', '>': '>', '>=': '≥', '==': '=' };
/** {op: "<", value: 120} with unit seconds → "< 2 min". */
export function thresholdText(unit, th) {
  if (!th) return '—';
  return `${OPS[th.op] || th.op} ${valueText(unit, th.value)}`;
}

/** The indicator's name: "Cron last run", "Job backlog: email". */
export function indicatorLabel(i) {
  const base = tOr(`health.ind.${i.key}`, i.key);
  return i.subject ? `${base}: ${i.subject}` : base;
}

/** The figures behind the value ("3 of 200 requests"), when the catalogue words them. */
export function detail(i) {
  if (i.value === null || i.value === undefined) return null;
  const key = `health.detail.${i.key}`;
  const text = tOr(key, '', { ...i.facts });
  return text ? h('span', { class: 'attempts muted' }, text) : null;
}

export function statusBadge(status) {
  return h('span', { class: ['badge', BADGE[status] || 'badge-off'], dataset: { status } },
    tOr(`health.status.${status}`, status));
}

function fixLink(i) {
  if (!i.link) return h('span', { class: 'muted' }, '—');
  return h('a', { href: i.link, class: 'btn btn-ghost btn-sm' }, t('health.fix'), icon(['M9 18l6-6-6-6']));
}

function indicatorTable(rows, label) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'aria-label': label },
    h('thead', null, h('tr', null, [t('health.col.indicator'), t('health.col.value'), t('field.status'), t('health.col.good'),
      t('health.col.warning'), ''].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, rows.map((i) => h('tr', { dataset: { indicator: i.key, subject: i.subject || '', status: i.status } },
      h('td', { class: 'health-name' }, indicatorLabel(i)),
      h('td', null, h('strong', null, valueText(i.unit, i.value)), ' ', detail(i)),
      h('td', null, statusBadge(i.status)),
      h('td', { class: 'nowrap' }, thresholdText(i.unit, i.good)),
      h('td', { class: 'nowrap' }, thresholdText(i.unit, i.warning)),
      h('td', null, fixLink(i)))))));
}

function section(id, title, ...body) {
  return h('section', { class: 'card section', 'aria-labelledby': id, dataset: { testid: id } },
    h('div', { class: 'section-header' }, h('h2', { id, class: 'section-title' }, title)), ...body);
}

function nodesTable(nodes) {
  if (!nodes.length) return emptyState(t('health.no_nodes'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'aria-label': t('health.nodes') },
    h('thead', null, h('tr', null, [t('health.col.node'), t('health.col.version'), t('field.status'), t('health.col.started'),
      t('health.col.seen'), t('health.col.uptime')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, nodes.map((n) => h('tr', { dataset: { node: n.id, state: n.state } },
      h('td', null, h('span', { class: 'mono' }, n.id), n.this ? h('span', { class: 'muted' }, ` (${t('health.this_node')})`) : null),
      h('td', null, n.version),
      h('td', null, h('span', { class: ['badge', n.state === 'up' ? 'badge-on' : n.state === 'gone' ? 'badge-mail-blocked' : 'badge-off'] },
        t(`health.node.${n.state}`))),
      h('td', null, timeEl(n.started_at)),
      h('td', null, timeEl(n.seen_at), h('span', { class: 'attempts muted' }, t('health.ago', { when: duration(n.seen_age_seconds) }))),
      h('td', null, n.uptime_seconds === null ? '—' : duration(n.uptime_seconds)))))));
}

function storageBox(s) {
  if (!s) return emptyState(t('health.no_storage'));
  const row = (k, v) => h('div', null, h('dt', null, k), h('dd', null, v));
  return h('dl', { class: 'health-kv' },
    row(t('health.database'), s.database === 'postgresql' ? 'PostgreSQL' : 'SQLite'),
    row(t('health.db_size'), bytes(s.db_size_bytes)),
    s.disk_path ? row(t('health.disk'), h('span', { class: 'mono' }, s.disk_path)) : null,
    s.disk_free_bytes !== undefined
      ? row(t('health.disk_free'), t('health.disk_free_of', { free: bytes(s.disk_free_bytes), total: bytes(s.disk_total_bytes) }))
      : null);
}

/** Renders a report into the page's body. */
function render(body, stamp, b) {
  const inds = Array.isArray(b.indicators) ? b.indicators : [];
  const spec = SPEC_KEYS.map((k) => inds.find((i) => i.key === k)).filter(Boolean);
  const jobs = inds.filter((i) => i.key === 'job_backlog');
  const more = inds.filter((i) => !SPEC_KEYS.includes(i.key) && i.key !== 'job_backlog');
  const sections = b.sections || {};
  // The installation's parts: the operator organisation's report (and an
  // older server's, which has no scope).
  const installation = b.scope !== 'organisation';
  stamp.replaceChildren(t('health.generated'), ' ', timeEl(b.generated_at), ' · ', t('health.version', { version: b.version }));
  body.replaceChildren(...[
    Array.isArray(b.failed) && b.failed.length
      ? h('div', { class: 'alert alert-warning', role: 'status' }, t('health.failed', { modules: b.failed.join(', ') })) : null,
    section('health-spec', t('health.spec'), h('p', { class: 'muted health-note' }, t('health.spec_lead')),
      indicatorTable(spec, t('health.spec'))),
    more.length ? section('health-more', t('health.more'), indicatorTable(more, t('health.more'))) : null,
    section('health-jobs', t('health.jobs'), jobs.length ? indicatorTable(jobs, t('health.jobs')) : emptyState(t('health.no_jobs'))),
    installation ? section('health-nodes', t('health.nodes'), nodesTable(Array.isArray(sections.nodes) ? sections.nodes : []))
      : null,
    installation ? section('health-storage', t('health.storage'), storageBox(sections.storage)) : null,
    installation ? null : h('p', { class: 'muted health-note', dataset: { testid: 'health-scope' } }, t('health.org_scope')),
  ].filter(Boolean));
}

export async function healthPage(ctx, root) {
  ctx.setTitle(t('nav.health'));
  const body = h('div', { class: 'health-body', 'aria-live': 'polite' }, loading());
  const stamp = h('p', { class: 'muted', dataset: { testid: 'health-stamp' } });
  const refresh = h('button', { type: 'button', class: 'btn btn-ghost' }, icon(REFRESH), t('mail.refresh'));
  async function load() {
    try {
      const { data } = await api('GET', '/api/v1/health', { signal: ctx.signal });
      render(body, stamp, data);
    } catch (err) {
      if (!isAbort(err)) body.replaceChildren(problemBox(err));
    }
  }
  refresh.addEventListener('click', load);
  const timer = setInterval(load, REFRESH_MS);
  if (ctx.signal) ctx.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('nav.health')), refresh),
    h('p', { class: 'muted page-lead' }, t('health.lead')),
    stamp,
    body,
  );
  await load();
}

export const routes = [['/admin/health', healthPage]];
export const nav = [
  { path: '/admin/health', key: 'nav.health', label: 'Health', module: 'health', adminOnly: true, group: 'Utilities', order: 5,
    icon: ['M3 12h4l3-8 4 16 3-8h4'] },
];
