// Settings (/admin/settings): General (company, logos and favicon, the
// PDF logo width), Email (SMTP, with "Send
// test email", and the queue's retry limit), Seats, Security (password
// policy, two-factor policy, session timeouts) and Cronjob (the
// scheduler's last and next run with a warning past 5 minutes, the two
// crontab lines to configure, the URL's token, the tasks). Each form PATCHes only the keys that changed to
// /api/v1/settings/{group}, with If-Match: the group's ETag as loaded, so
// a save over someone else's (412) shows the stale notice and changes
// nothing; every field error of a 422 is shown under its field.
import { h, pageTitle, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { replaceQuery } from '../router.js';
import { can, canView, me } from '../session.js';
import { alertBox, confirmDialog, copyText, loading, modal, problemBox, serverText, toast } from '../ui.js';
import { formatNumber } from '../format.js';
import { clearErrors, control, showFieldErrors, staleNotice, tabs } from '../forms.js';
import { trackForm } from '../dirty.js';
import { brandingCard } from './settings_branding.js';
import { lastGoodCard } from './backups.js';
import { t } from '../i18n.js';

/* The UI's description of each group: labels and hints. Keys the server
 * sends that are not listed here are shown with their key as the label. */
const GROUPS = () => ({
  company: {
    title: t('set.company.title'), save: t('set.company.save'),
    lead: t('set.company.lead'),
    fields: [
      { key: 'company_name', label: t('set.company.company_name.label'), required: true },
      { key: 'address', label: t('set.company.address.label'), type: 'textarea', wide: true, hint: t('set.company.address.hint') },
      { key: 'vat_number', label: t('set.company.vat_number.label'), hint: t('set.company.vat_number.hint') },
      { key: 'registration_number', label: t('set.company.registration_number.label'), hint: t('set.company.registration_number.hint') },
    ],
  },
  branding: {
    title: t('set.branding.title'), save: t('set.branding.save'),
    lead: t('set.branding.lead'),
    fields: [
      { key: 'pdf_logo_width', label: t('set.branding.pdf_logo_width.label'), type: 'number',
        hint: t('set.branding.pdf_logo_width.hint') },
    ],
  },
  smtp: {
    title: t('set.smtp.title'), save: t('set.smtp.save'),
    lead: t('set.smtp.lead'),
    fields: [
      { key: 'email_protocol', label: t('set.smtp.email_protocol.label'), type: 'select', labels: { smtp: 'SMTP' } },
      { key: 'smtp_host', label: t('set.smtp.smtp_host.label'), placeholder: t('set.smtp.smtp_host.placeholder') },
      { key: 'smtp_port', label: t('set.smtp.smtp_port.label'), type: 'number', hint: t('set.smtp.smtp_port.hint') },
      { key: 'smtp_security', label: t('set.smtp.smtp_security.label'), type: 'select',
        labels: { none: t('set.smtp.smtp_security.optnone'), starttls: t('set.smtp.smtp_security.optstarttls'), tls: t('set.smtp.smtp_security.opttls') } },
      { key: 'smtp_email', label: t('set.smtp.smtp_email.label'), type: 'email', placeholder: t('set.smtp.smtp_email.placeholder') },
      { key: 'smtp_from_name', label: t('set.smtp.smtp_from_name.label'), placeholder: t('set.smtp.smtp_from_name.placeholder') },
      { key: 'smtp_username', label: t('set.smtp.smtp_username.label'), autocomplete: 'off' },
      { key: 'smtp_password', label: t('set.smtp.smtp_password.label'), type: 'secret',
        hint: t('set.smtp.smtp_password.hint') },
      { key: 'smtp_plaintext_password', label: t('set.smtp.smtp_plaintext_password.label'), type: 'checkbox',
        wide: true, hint: t('set.smtp.smtp_plaintext_password.hint') },
    ],
  },
  email_queue: {
    title: t('set.email_queue.title'), save: t('set.email_queue.save'),
    lead: t('set.email_queue.lead'),
    fields: [
      { key: 'max_attempts', label: t('set.email_queue.max_attempts.label'), type: 'number' },
    ],
  },
  security: {
    title: t('set.security.title'), save: t('set.security.save'),
    lead: t('set.security.lead'),
    fields: [
      { section: t('set.security.section1') },
      { key: 'password_min_length', label: t('set.security.password_min_length.label'), type: 'number',
        hint: t('set.security.password_min_length.hint') },
      { key: 'password_min_length_2fa', label: t('set.security.password_min_length_2fa.label'), type: 'number',
        hint: t('set.security.password_min_length_2fa.hint') },
      { key: 'password_min_score', label: t('set.security.password_min_score.label'), type: 'select', numeric: true,
        labels: { 0: t('set.security.password_min_score.opt0'), 1: t('set.security.password_min_score.opt1'), 2: t('set.security.password_min_score.opt2'),
          3: t('set.security.password_min_score.opt3'), 4: t('set.security.password_min_score.opt4') },
        hint: t('set.security.password_min_score.hint') },
      { key: 'password_history', label: t('set.security.password_history.label'), type: 'number',
        hint: t('set.security.password_history.hint') },
      { key: 'password_max_age_days', label: t('set.security.password_max_age_days.label'), type: 'number', wide: true,
        hint: t('set.security.password_max_age_days.hint') },
      { section: t('set.security.section2') },
      { key: 'twofa_required_admins', label: t('set.security.twofa_required_admins.label'), type: 'checkbox', wide: true,
        hint: t('set.security.twofa_required_admins.hint') },
      { section: t('set.security.section3') },
      { key: 'session_idle_minutes', label: t('set.security.session_idle_minutes.label'), type: 'number',
        hint: t('set.security.session_idle_minutes.hint') },
      { key: 'session_absolute_hours', label: t('set.security.session_absolute_hours.label'), type: 'number',
        hint: t('set.security.session_absolute_hours.hint') },
      // The weekly check's signals (src/admin/signals.c).
      { section: t('set.security.section_signals') },
      { key: 'working_hours', label: t('set.security.working_hours.label'), type: 'text',
        hint: t('set.security.working_hours.hint') },
      { key: 'working_days', label: t('set.security.working_days.label'), type: 'text',
        hint: t('set.security.working_days.hint') },
      { key: 'mass_delete_count', label: t('set.security.mass_delete_count.label'), type: 'number',
        hint: t('set.security.mass_delete_count.hint') },
      { key: 'mass_delete_minutes', label: t('set.security.mass_delete_minutes.label'), type: 'number',
        hint: t('set.security.mass_delete_minutes.hint') },
    ],
  },
  integrations: {
    title: t('set.integrations.title'), save: t('set.integrations.save'),
    lead: t('set.integrations.lead'),
    fields: [
      { key: 'webhook_disable_after', label: t('set.integrations.webhook_disable_after.label'), type: 'number',
        wide: true, hint: t('set.integrations.webhook_disable_after.hint') },
      { key: 'api_log_retention_days', label: t('set.integrations.api_log_retention_days.label'), type: 'number' },
    ],
  },
  // Log retention (its form is on Utilities > Log archives).
  retention: {
    title: t('set.retention.title'), save: t('set.retention.save'),
    lead: t('set.retention.lead'),
    fields: ['activity', 'pipe', 'webhook_attempts', 'webhook_deliveries', 'events'].map((log) => (
      { key: `retention_${log}_days`, label: t(`set.retention.${log}.label`), type: 'number', hint: t('set.retention.hint') })),
  },
  // Described when drawn: its words come from the catalogue.
  localization: () => localizationGroup(),
  // Read-only: the operator sets seats (`atrium org seats`); the server
  // marks the fields read_only.
  seats: {
    title: t('set.seats.title'),
    lead: t('set.seats.lead'),
    fields: [
      { key: 'members_included', label: t('set.seats.members_included.label'), type: 'number' },
      { key: 'extra_seats', label: t('set.seats.extra_seats.label'), type: 'number' },
    ],
  },
});

/* The time zones and currencies this browser knows, for the pickers (the
 * server checks a zone against the tz database and a currency against
 * ISO 4217 itself). */
function supported(kind, extra) {
  let list = [];
  try { list = Intl.supportedValuesOf(kind); } catch { /* an older browser: typed as text */ }
  return [...new Set([...extra, ...list])];
}

/** The Localization group: language, time zone, formats, separators, week, currency. */
export function localizationFields() {
  const sep = (names) => Object.fromEntries(names.map((n) => [n, t(`l10n.sep.${n}`)]));
  return [
    { key: 'language', label: t('l10n.language'), type: 'select', labels: { en: 'English', ro: 'Română' } },
    { key: 'timezone', label: t('l10n.timezone'), type: 'select', hint: t('l10n.timezone_hint'),
      labels: Object.fromEntries(supported('timeZone', ['UTC']).map((z) => [z, z])) },
    { key: 'date_format', label: t('l10n.date_format'), type: 'select',
      labels: { 'DD/MM/YYYY': 'DD/MM/YYYY', 'MM/DD/YYYY': 'MM/DD/YYYY', 'YYYY-MM-DD': 'YYYY-MM-DD', 'DD.MM.YYYY': 'DD.MM.YYYY' } },
    { key: 'time_format', label: t('l10n.time_format'), type: 'select',
      labels: { '24h': t('l10n.time_24h'), '12h': t('l10n.time_12h') } },
    { key: 'thousands_separator', label: t('l10n.thousands_separator'), type: 'select',
      labels: sep(['comma', 'period', 'space', 'apostrophe', 'none']) },
    { key: 'decimal_separator', label: t('l10n.decimal_separator'), type: 'select', labels: sep(['period', 'comma']),
      hint: t('l10n.decimal_hint') },
    { key: 'first_day_of_week', label: t('l10n.first_day_of_week'), type: 'select',
      labels: { monday: t('l10n.day.monday'), sunday: t('l10n.day.sunday'), saturday: t('l10n.day.saturday') } },
  ];
}

function localizationGroup() {
  return {
    title: t('l10n.title'), save: t('l10n.save'), lead: t('l10n.lead'),
    fields: [...localizationFields(),
      { key: 'default_currency', label: t('l10n.default_currency'), type: 'select',
        labels: Object.fromEntries(supported('currency', ['EUR', 'RON', 'USD']).map((c) => [c, c])) }],
  };
}

const TABS = [
  { key: 'general', label: 'General', groups: ['company', 'branding'] },
  { key: 'localization', label: 'Localization', groups: ['localization'] },
  { key: 'email', label: 'Email (SMTP)', groups: ['smtp', 'email_queue'] },
  { key: 'seats', label: 'Seats', groups: ['seats'] },
  { key: 'security', label: 'Security', groups: ['security'] },
  { key: 'integrations', label: 'Integrations', groups: ['integrations'] },
  { key: 'cron', label: 'Cronjob', groups: [], operatorOrg: true },
  { key: 'backups', label: 'Backups', groups: [], adminOnly: true, operatorOrg: true },
];

export async function settingsPage(ctx, root) {
  ctx.setTitle(t('nav.settings'));
  const want = ctx.query.get('tab');
  // Backups are the administrators' (the server answers 403 to others);
  // cron and backups the installation's, the operator organisation's
  // members' only (a business's are refused by the server).
  const shown = TABS.filter((x) => (!x.adminOnly || (me() && me().admin))
    && (!x.operatorOrg || (me() && me().operator_org === true)));
  const tb = tabs({
    label: t('nav.settings'),
    selected: shown.some((x) => x.key === want) ? want : 'general',
    onChange: (key) => replaceQuery({ tab: key === 'general' ? '' : key }),
    items: shown.map((tab) => ({
      key: tab.key, label: t(`settings.tab.${tab.key}`),
      render: (panel) => {
        // The Seats tab's "N of M seats in use" follows a saved seat count.
        const usage = tab.key === 'seats' ? seatUsage(ctx.signal) : null;
        for (const g of tab.groups) {
          // The logos sit between the company's details and the PDF width.
          if (g === 'branding') panel.appendChild(h('div', { class: 'settings-slot' }, brandingCard(ctx.signal)));
          const slot = h('div', { class: 'settings-slot' }, loading());
          panel.appendChild(slot);
          groupForm(g, slot, ctx.signal, usage ? usage.refresh : null);
        }
        if (usage) panel.insertBefore(usage.box, panel.firstChild);
        if (tab.key === 'cron') panel.appendChild(cronPanel(ctx.signal));
        if (tab.key === 'backups') panel.appendChild(lastGoodCard(ctx.signal));
      },
    })),
  });
  root.replaceChildren(h('div', { class: 'page-header' }, pageTitle(t('nav.settings'))), tb.root);
}

/** "N of M seats in use" for the Seats tab (needs staff.view): {box, refresh()}. */
function seatUsage(signal) {
  const box = h('div', { class: 'seat-usage', 'aria-live': 'polite', 'data-testid': 'seat-usage' });
  const refresh = () => {
    if (!canView('staff')) return;
    Promise.all([
      api('GET', '/api/v1/staff', { query: { active: 'true', limit: 1 }, signal }),
      api('GET', '/api/v1/settings/seats', { signal }),
    ]).then(([staff, seats]) => {
      const active = Number(staff.data.total) || 0;
      const v = seats.data.values || {};
      const limit = (Number(v.members_included) || 0) + (Number(v.extra_seats) || 0);
      const full = active >= limit;
      box.replaceChildren(alertBox(full ? 'warning' : 'info', t('seats.in_use', { active, count: limit }),
        full ? t('seats.full') : t('seats.free', { count: limit - active })));
    }).catch((err) => { if (!isAbort(err)) box.replaceChildren(); });
  };
  refresh();
  return { box, refresh };
}

function fieldSpec(desc, meta) {
  const type = desc.type === 'secret' ? 'password' : desc.type || (meta && meta.type === 'email' ? 'email' : 'text');
  if (type === 'checkbox') return { name: desc.key, label: desc.label, type, hint: desc.hint, wide: desc.wide };
  const spec = {
    name: desc.key, label: desc.label, type, required: desc.required, hint: desc.hint, wide: desc.wide,
    placeholder: desc.placeholder, autocomplete: type === 'password' ? 'new-password' : 'off',
    max: meta && meta.max_length ? meta.max_length : null,
    min: meta && meta.min != null ? meta.min : null, maxValue: meta && meta.max != null ? meta.max : null,
  };
  if (type === 'select') {
    const choices = (meta && meta.choices) || Object.keys(desc.labels || {});
    spec.options = choices.map((c) => [c, (desc.labels && desc.labels[c]) || c]);
  }
  return spec;
}

/** Loads one settings group and renders its form into slot; onSaved() after each save. */
export async function groupForm(group, slot, signal, onSaved) {
  const all = GROUPS();
  const def = typeof all[group] === 'function' ? all[group]() : all[group];
  let data;
  let etag;
  try {
    ({ data, etag } = await api('GET', `/api/v1/settings/${group}`, { signal }));
  } catch (err) {
    if (!isAbort(err)) slot.replaceChildren(h('h2', { class: 'section-title' }, def.title), problemBox(err));
    return;
  }
  const meta = Object.fromEntries((data.fields || []).map((f) => [f.key, f]));
  // A group whose every field the server marks read_only is shown, not
  // edited (seats: the operator's).
  const readOnly = (data.fields || []).length > 0 && data.fields.every((f) => f.read_only);
  const editable = can('settings', 'edit') && !readOnly;
  let values = data.values || {};

  // The described fields first, then any the server has that we do not describe.
  const descs = [...def.fields];
  for (const f of data.fields || []) {
    if (!descs.some((d) => d.key === f.key)) {
      descs.push({ key: f.key, label: f.key, type: f.type === 'int' ? 'number' : f.type === 'secret' ? 'secret'
        : f.type === 'enum' ? 'select' : f.type === 'email' ? 'email' : f.type === 'bool' ? 'checkbox'
          : f.multiline ? 'textarea' : undefined });
    }
  }
  const controls = {};
  const secrets = {};
  const layout = []; // control wraps and section headings, in order
  for (const d of descs) {
    if (d.section) {
      layout.push(h('h3', { class: 'field-wide form-subtitle' }, d.section));
      continue;
    }
    if (d.type !== 'secret' && !(d.key in values) && !(d.key in meta)) continue; // not served by this build
    if (d.type === 'secret' && !(`${d.key}_set` in values) && !(d.key in meta)) continue;
    const c = control(fieldSpec(d, meta[d.key]));
    if (d.numeric) {
      const text = c.get;
      c.get = () => { const v = text(); return v === null || Number.isNaN(Number(v)) ? v : Number(v); };
    }
    controls[d.key] = c;
    layout.push(c.wrap);
    if (d.type === 'secret') {
      const clear = control({ name: `${d.key}-clear`, label: t('set.secret.remove'), type: 'checkbox' });
      secrets[d.key] = { control: c, clear };
      clear.input.addEventListener('change', () => { c.input.disabled = clear.input.checked || !editable; });
      c.wrap.appendChild(clear.wrap);
    }
  }
  const paintSecrets = () => {
    for (const [key, s] of Object.entries(secrets)) {
      const set = Boolean(values[`${key}_set`]);
      s.control.input.value = '';
      s.control.input.placeholder = set ? `•••• (${t('set.secret.set')})` : t('set.secret.not_set');
      s.clear.input.checked = false;
      s.clear.wrap.hidden = !set;
      s.control.input.disabled = !editable;
      const hint = s.control.hintEl;
      const text = set ? t('set.secret.hint_set') : t('set.secret.hint_unset');
      if (hint) hint.textContent = text;
      else {
        s.control.hintEl = h('p', { id: `${s.control.input.id}-hint`, class: 'hint' }, text);
        s.control.input.after(s.control.hintEl);
        s.control.input.setAttribute('aria-describedby', s.control.hintEl.id);
      }
    }
  };
  const fill = () => {
    for (const [k, c] of Object.entries(controls)) if (!secrets[k]) c.set(values[k]);
    paintSecrets();
  };
  fill();
  for (const [k, c] of Object.entries(controls)) if (!editable || (meta[k] && meta[k].read_only)) c.input.disabled = true;

  const titleId = `settings-${group}-title`;
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = editable ? h('button', { type: 'submit', class: 'btn btn-primary' }, def.save) : null;
  const extra = group === 'smtp' ? testButton(() => dirty()) : null;
  const form = h('form', { class: 'card form settings-form', novalidate: true, 'aria-labelledby': titleId },
    h('h2', { id: titleId, class: 'section-title' }, def.title),
    h('p', { class: 'muted form-lead' }, def.lead),
    messages,
    h('div', { class: 'form-grid' }, layout),
    h('div', { class: 'form-actions' }, save, extra));
  slot.replaceChildren(form);
  const tracker = editable ? trackForm(form) : null;

  const changes = () => {
    const body = {};
    for (const [k, c] of Object.entries(controls)) {
      if (secrets[k]) {
        if (secrets[k].clear.input.checked) body[k] = null;
        else if (c.input.value !== '') body[k] = c.input.value;
        continue;
      }
      const v = c.get();
      const old = values[k] === '' ? null : values[k];
      if (JSON.stringify(v) !== JSON.stringify(old ?? null)) body[k] = v === null && meta[k] && meta[k].type !== 'int' ? '' : v;
    }
    return body;
  };
  const dirty = () => Object.keys(changes()).length > 0;

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!save) return;
    clearErrors(controls, messages);
    const body = changes();
    if (!Object.keys(body).length) { toast(t('common.no_changes'), 'info'); return; }
    save.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const res = await api('PATCH', `/api/v1/settings/${group}`, { body, ifMatch: etag });
      values = (res.data && res.data.values) || values;
      etag = res.etag || etag;
      fill();
      if (tracker) tracker.markClean();
      if (onSaved) onSaved();
      const tip = group === 'smtp' ? ` ${t('set.saved_smtp_tip')}`
        : group === 'security' && body.twofa_required_admins === true
          ? ` ${t('set.saved_2fa_tip')}` : '';
      messages.replaceChildren(alertBox('success', t('set.saved', { title: def.title }), tip || null));
      toast(t('set.saved', { title: def.title }));
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) showFieldErrors(err, controls, messages);
      else if (err instanceof ApiError && err.status === 412) {
        // Someone saved this group since it was loaded: nothing was
        // written; reloading shows their values (and drops these edits).
        staleNotice(messages, 'section', () => groupForm(group, slot, signal, onSaved));
      } else { messages.replaceChildren(problemBox(err)); messages.focus(); }
    } finally {
      save.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

/* ---- Send test email --------------------------------------------------------- */

function testButton(isDirty) {
  if (!can('settings', 'edit')) return null;
  const btn = h('button', { type: 'button', class: 'btn' }, t('smtp.test'));
  btn.addEventListener('click', () => testDialog(btn, isDirty()));
  return btn;
}

function testDialog(returnFocus, unsaved) {
  const dlg = modal({ title: t('smtp.test_title'), returnFocus });
  const to = control({ name: 'to', label: t('smtp.send_to'), type: 'email', required: true, max: 254,
    hint: t('smtp.send_to_hint') });
  to.set(me().email);
  const result = h('div', { class: 'test-result', 'aria-live': 'polite' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary' }, t('smtp.send'));
  const close = h('button', { type: 'button', class: 'btn' }, t('common.close'));
  close.addEventListener('click', () => dlg.close());
  const form = h('form', { novalidate: true, class: 'dialog-form' },
    unsaved ? alertBox('warning', t('smtp.unsaved'), t('smtp.unsaved_detail')) : null,
    to.wrap, result, h('div', { class: 'dialog-actions' }, close, send));
  dlg.body.append(form);
  to.input.select();
  to.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    to.setError('');
    result.replaceChildren();
    const address = to.get();
    if (!address) { to.setError(t('smtp.enter_address')); to.focus(); return; }
    send.disabled = true;
    send.textContent = t('smtp.sending');
    try {
      const { data } = await api('POST', '/api/v1/settings/smtp/test', { body: { to: address } });
      result.replaceChildren(alertBox('success', t('smtp.accepted'),
        t('smtp.check_arrives', { address }),
        data && data.response ? h('code', { class: 'server-reply' }, `Server: ${data.response}`) : null));
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) {
        const e = err.fieldErrors.find((x) => x.field === 'to');
        if (e) { to.setError(serverText(e.detail, 'smtp.bad_address')); to.focus(); return; }
      }
      let box;
      if (err instanceof ApiError && err.status === 502) {
        box = alertBox('error', t('smtp.failed'), err.detail || t('smtp.failed_detail'));
      } else if (err instanceof ApiError && err.status === 409) {
        box = alertBox('error', t('smtp.not_configured'), serverText(err.detail, 'smtp.not_configured_detail'));
      } else box = problemBox(err);
      result.replaceChildren(box);
    } finally {
      send.disabled = false;
      send.textContent = t('smtp.send');
    }
  });
}

/* ---- Cronjob ------------------------------------------------------------------ */

const VIA = (via) => (['serve', 'cron', 'url'].includes(via) ? t(`cron.via.${via}`) : via);

/** "in 40 seconds", "in 3 minutes": how long until iso, from the server's now. */
function inText(iso, now) {
  const s = Math.max(0, Math.round((Date.parse(iso) - Date.parse(now)) / 1000));
  if (s < 90) return t('rel.in_seconds', { count: s });
  const m = Math.round(s / 60);
  return m < 120 ? t('rel.in_minutes', { count: m }) : t('rel.in_hours', { count: Math.round(m / 60) });
}

function agoText(iso, now) {
  const s = Math.max(0, Math.round((Date.parse(now) - Date.parse(iso)) / 1000));
  if (s < 90) return t('rel.seconds_ago', { count: s });
  const m = Math.round(s / 60);
  if (m < 120) return t('rel.minutes_ago', { count: m });
  const hrs = Math.round(m / 60);
  return hrs < 48 ? t('rel.hours_ago', { count: hrs }) : t('rel.days_ago', { count: Math.round(hrs / 24) });
}

/** A line of configuration with a Copy button. */
function copyLine(label, text) {
  const btn = h('button', { type: 'button', class: 'btn btn-sm' }, t('common.copy'));
  btn.addEventListener('click', async () => toast(await copyText(text) ? t('copy.done', { label }) : t('copy.failed'),
    'info'));
  return h('div', { class: 'field-wide' }, h('p', { class: 'label' }, label),
    h('div', { class: 'copy-line' }, h('code', { class: 'server-reply' }, text), btn));
}

/** The Cronjob tab: whether cron runs, how to configure it, the tasks. */
function cronPanel(signal) {
  const box = h('div', { class: 'settings-slot cron-panel' }, loading());
  load();
  return box;

  async function load() {
    let data;
    try {
      ({ data } = await api('GET', '/api/v1/scheduler', { signal }));
    } catch (err) {
      if (!isAbort(err)) box.replaceChildren(problemBox(err));
      return;
    }
    box.replaceChildren(statusCard(data), configCard(data), tasksCard(data));
  }

  function statusCard(d) {
    const last = d.last_run_at
      ? h('p', null, `${t('cron.last_run')} `, h('strong', null, agoText(d.last_run_at, d.now)), ' (', timeEl(d.last_run_at), `) ${t('cron.by')} `,
        VIA(d.last_run_via) || '—', d.last_run_node ? ` ${t('cron.on', { node: d.last_run_node })}` : '', '.')
      : h('p', null, t('cron.never_ran_text'));
    // The earliest task due: overdue when cron is not running.
    const next = !d.next_run_at ? h('p', null, t('cron.next_first'))
      : Date.parse(d.next_run_at) > Date.parse(d.now)
        ? h('p', null, `${t('cron.next_run')} `, h('strong', null, inText(d.next_run_at, d.now)), ' (', timeEl(d.next_run_at), ').')
        : h('p', null, `${t('cron.next_run')}: `, h('strong', null, t('cron.overdue')), ` ${t('sec.since')} `, timeEl(d.next_run_at),
          `: ${t('cron.next_call')}`);
    const alert = d.stale
      ? alertBox('warning', d.last_run_at ? t('cron.not_run_5') : t('cron.never_ran'), t('cron.stale_detail'))
      : alertBox('success', t('cron.running'), t('cron.running_detail'));
    return h('section', { class: 'card form', 'aria-labelledby': 'cron-status-title' },
      h('h2', { id: 'cron-status-title', class: 'section-title' }, t('cron.status')),
      alert, last, next,
      h('p', { class: 'muted' }, d.in_process
        ? (d.leader ? t('cron.in_process_leader', { node: d.leader.node }) : t('cron.in_process'))
        : t('cron.not_in_process')));
  }

  function configCard(d) {
    const editable = can('settings', 'edit');
    const token = h('div', { class: 'field-wide', 'aria-live': 'polite' },
      d.token_set ? h('p', null, `${t('cron.token_generated')} `, timeEl(d.token_created_at),
        `. ${t('cron.token_hashed')}`)
        : h('p', null, t('cron.no_token')));
    const gen = editable ? h('button', { type: 'button', class: 'btn' }, d.token_set ? t('cron.regenerate_token') : t('cron.generate_token')) : null;
    if (gen) {
      gen.addEventListener('click', async () => {
        if (d.token_set && !(await confirmDialog({ title: t('cron.regenerate_q'), confirmLabel: t('cron.regenerate'),
          message: t('cron.regenerate_message') }))) return;
        gen.disabled = true;
        try {
          const { data } = await api('POST', '/api/v1/scheduler/token', { body: {} });
          showToken(data, gen);
          load();
        } catch (err) {
          if (!isAbort(err)) token.replaceChildren(problemBox(err));
        } finally {
          gen.disabled = false;
        }
      });
    }
    return h('section', { class: 'card form', 'aria-labelledby': 'cron-config-title' },
      h('h2', { id: 'cron-config-title', class: 'section-title' }, t('cron.config')),
      h('p', { class: 'muted form-lead' }, `${t('cron.config_lead')} `
        + (d.config_file ? t('cron.config_file') : t('cron.config_same'))),
      h('div', { class: 'form-grid' },
        copyLine(t('cron.command'), d.crontab_command),
        copyLine(t('cron.url_line'), d.crontab_url),
        h('div', { class: 'field-wide' }, h('p', { class: 'label' }, 'URL'), h('code', { class: 'server-reply' }, d.url),
          h('p', { class: 'hint' }, t('cron.url_hint'))),
        token),
      h('div', { class: 'form-actions' }, gen));
  }

  function showToken(tok, returnFocus) {
    const dlg = modal({ title: t('cron.token_title'), returnFocus, wide: true });
    const done = h('button', { type: 'button', class: 'btn btn-primary' }, t('cron.saved_it'));
    done.addEventListener('click', () => dlg.close());
    dlg.body.append(
      alertBox('warning', t('cron.shown_once'), t('cron.shown_once_detail')),
      h('div', { class: 'form-grid' }, copyLine(t('cron.token'), tok.token), copyLine(t('cron.crontab_line'), tok.crontab)));
    dlg.actions.append(done);
  }

  function tasksCard(d) {
    const rows = (d.tasks || []).map((task) => h('tr', { dataset: { task: task.name } },
      h('th', { scope: 'row' }, task.name),
      h('td', { class: 'mono' }, task.schedule),
      h('td', { class: 'when' }, task.last_run_at ? timeEl(task.last_run_at) : h('span', { class: 'muted' }, t('staff.meta_never'))),
      h('td', null, task.last_duration_ms == null ? '—' : `${formatNumber(task.last_duration_ms)} ms`),
      h('td', { class: 'when' }, task.next_run_at ? timeEl(task.next_run_at) : '—'),
      h('td', null, task.last_error ? h('span', { class: 'truncate error-text', title: task.last_error }, task.last_error)
        : h('span', { class: 'muted' }, '—')),
      h('td', null, t('cron.runs', { count: task.runs }), task.failures
        ? h('span', { class: 'attempts error-text' }, t('cron.failed', { count: task.failures })) : null)));
    return h('section', { class: 'card', 'aria-labelledby': 'cron-tasks-title' },
      h('h2', { id: 'cron-tasks-title', class: 'section-title card-table-title' }, t('cron.tasks')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table table-log' },
        h('thead', null, h('tr', null, [t('cron.col.task'), t('cron.col.schedule'), t('cron.col.last_run'), t('cron.col.took'),
          t('cron.col.next_run'), t('cron.col.last_error'), t('cron.col.runs')]
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows))));
  }
}

export const routes = [['/admin/settings', settingsPage]];
export const nav = [
  { path: '/admin/settings', key: 'nav.settings', label: 'Settings', module: 'settings', adminOnly: true, group: 'Administration', order: 10,
    icon: ['M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z',
      'M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z'] },
];
