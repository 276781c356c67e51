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
import { alertBox, confirmDialog, copyText, loading, modal, problemBox, toast } from '../ui.js';
import { clearErrors, control, showFieldErrors, staleNotice, tabs } from '../forms.js';
import { trackForm } from '../dirty.js';
import { brandingCard } from './settings_branding.js';
import { t } from '../i18n.js';

/* The UI's description of each group: labels and hints. Keys the server
 * sends that are not listed here are shown with their key as the label. */
const GROUPS = {
  company: {
    title: 'Company', save: 'Save company details',
    lead: 'Your company’s details. The address appears on PDF invoices.',
    fields: [
      { key: 'company_name', label: 'Company name', required: true },
      { key: 'address', label: 'Address', type: 'textarea', wide: true, hint: 'The full physical address, as printed on invoices.' },
    ],
  },
  branding: {
    title: 'PDF documents', save: 'Save PDF settings',
    lead: 'How the logo for light mode appears on PDF documents (invoices, proposals).',
    fields: [
      { key: 'pdf_logo_width', label: 'Logo width on PDF documents (px)', type: 'number',
        hint: 'CSS pixels, 96 to the inch: 150 is about 4 cm.' },
    ],
  },
  smtp: {
    title: 'Outgoing email (SMTP)', save: 'Save SMTP settings',
    lead: 'Atrium sends invitations, password links and notifications through this server.',
    fields: [
      { key: 'email_protocol', label: 'Protocol', type: 'select', labels: { smtp: 'SMTP' } },
      { key: 'smtp_host', label: 'SMTP host', placeholder: 'smtp.gmail.com or mail.company.com' },
      { key: 'smtp_port', label: 'Port', type: 'number', hint: '587 for STARTTLS, 465 for TLS (SSL).' },
      { key: 'smtp_security', label: 'Security', type: 'select',
        labels: { none: 'None (unencrypted)', starttls: 'STARTTLS (usually port 587)', tls: 'TLS / SSL (usually port 465)' } },
      { key: 'smtp_email', label: 'From address', type: 'email', placeholder: 'crm@company.com' },
      { key: 'smtp_from_name', label: 'From name', placeholder: 'Company CRM' },
      { key: 'smtp_username', label: 'Username', autocomplete: 'off' },
      { key: 'smtp_password', label: 'Password', type: 'secret',
        hint: 'Stored encrypted and never shown. Changing the host, port, username or security clears it: type it again in the same save.' },
      { key: 'smtp_plaintext_password', label: 'Send the password without encryption (security “None”)', type: 'checkbox',
        wide: true, hint: 'Only for a relay on this machine or network. Required, together with the password, when security is None. '
          + 'Recorded in the activity log.' },
    ],
  },
  email_queue: {
    title: 'Delivery', save: 'Save delivery settings',
    lead: 'Failed emails are retried with increasing pauses; after this many attempts an email is blocked until “Process All”.',
    fields: [
      { key: 'max_attempts', label: 'Attempts before an email is blocked', type: 'number' },
    ],
  },
  security: {
    title: 'Security policy', save: 'Save security policy',
    lead: 'Passwords, two-factor authentication and sessions, following NIST SP 800-63B and OWASP ASVS: long passwords, no composition rules, a second factor for administrators.',
    fields: [
      { section: 'Passwords' },
      { key: 'password_min_length', label: 'Minimum length without 2FA', type: 'number',
        hint: 'For accounts protected by the password alone. 15 or more is recommended; never below 8.' },
      { key: 'password_min_length_2fa', label: 'Minimum length with 2FA', type: 'number',
        hint: 'For accounts that also use a second factor. At least 8.' },
      { key: 'password_min_score', label: 'Minimum strength', type: 'select', numeric: true,
        labels: { 0: '0 – accept any password', 1: '1 – too guessable', 2: '2 – somewhat guessable',
          3: '3 – safely unguessable (recommended)', 4: '4 – very unguessable' },
        hint: 'Estimated by zxcvbn, counting the company name, the member’s name and email as easy to guess. A refused password is told why.' },
      { key: 'password_history', label: 'Recent passwords that cannot be reused', type: 'number',
        hint: '0 turns the check off.' },
      { key: 'password_max_age_days', label: 'Maximum password age (days)', type: 'number', wide: true,
        hint: '0 = off (recommended). NIST SP 800-63B advises against forced periodic changes: they lead to weaker, predictable '
          + 'passwords. Change a password when there is a sign it was exposed. When on, it applies only to accounts without 2FA, '
          + 'which must then choose a new password at their next sign-in.' },
      { section: 'Two-factor authentication' },
      { key: 'twofa_required_admins', label: 'Require two-factor authentication for administrators', type: 'checkbox', wide: true,
        hint: 'An administrator without 2FA is taken to enrolment right after the password and can do nothing else until it is set up. '
          + 'Roles can require it too (Roles → “Require two-factor authentication”).' },
      { section: 'Sessions' },
      { key: 'session_idle_minutes', label: 'Sign out after inactivity (minutes)', type: 'number',
        hint: 'A session nobody used for this long ends.' },
      { key: 'session_absolute_hours', label: 'Maximum session length (hours)', type: 'number',
        hint: 'Even an active session ends after this long; then sign in again.' },
    ],
  },
  integrations: {
    title: 'Integrations', save: 'Save integration settings',
    lead: 'Webhooks and the API request log (API Management and Webhooks have their own pages).',
    fields: [
      { key: 'webhook_disable_after', label: 'Failed webhook attempts in a row before the endpoint is turned off', type: 'number',
        wide: true, hint: 'Administrators are emailed when it happens. A receiver answering 410 Gone is turned off at once.' },
      { key: 'api_log_retention_days', label: 'Keep the API request log for (days)', type: 'number' },
    ],
  },
  // Described when drawn: its words come from the catalogue.
  localization: () => localizationGroup(),
  seats: {
    title: 'Seats', save: 'Save seats',
    lead: 'Active staff may not exceed the included members plus extra seats. Deactivating an account frees its seat.',
    fields: [
      { key: 'members_included', label: 'Members included in the licence', type: 'number' },
      { key: 'extra_seats', label: 'Extra seats', type: 'number' },
    ],
  },
};

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
  { key: 'cron', label: 'Cronjob', groups: [] },
];

export async function settingsPage(ctx, root) {
  ctx.setTitle(t('nav.settings'));
  const want = ctx.query.get('tab');
  const tb = tabs({
    label: 'Settings',
    selected: TABS.some((x) => x.key === want) ? want : 'general',
    onChange: (key) => replaceQuery({ tab: key === 'general' ? '' : key }),
    items: TABS.map((tab) => ({
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
      box.replaceChildren(alertBox(full ? 'warning' : 'info', `${active} of ${limit} seats in use`,
        full ? 'No seat is free: adding or activating staff is refused until you add seats or deactivate an inactive account.'
          : `${limit - active} seat${limit - active === 1 ? '' : 's'} free.`));
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
async function groupForm(group, slot, signal, onSaved) {
  const def = typeof GROUPS[group] === 'function' ? GROUPS[group]() : GROUPS[group];
  let data;
  let etag;
  try {
    ({ data, etag } = await api('GET', `/api/v1/settings/${group}`, { signal }));
  } catch (err) {
    if (!isAbort(err)) slot.replaceChildren(h('h2', { class: 'section-title' }, def.title), problemBox(err));
    return;
  }
  const editable = can('settings', 'edit');
  const meta = Object.fromEntries((data.fields || []).map((f) => [f.key, f]));
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
      const clear = control({ name: `${d.key}-clear`, label: 'Remove the stored password', type: 'checkbox' });
      secrets[d.key] = { control: c, clear };
      clear.input.addEventListener('change', () => { c.input.disabled = clear.input.checked || !editable; });
      c.wrap.appendChild(clear.wrap);
    }
  }
  const paintSecrets = () => {
    for (const [key, s] of Object.entries(secrets)) {
      const set = Boolean(values[`${key}_set`]);
      s.control.input.value = '';
      s.control.input.placeholder = set ? '•••• (set)' : 'not set';
      s.clear.input.checked = false;
      s.clear.wrap.hidden = !set;
      s.control.input.disabled = !editable;
      const hint = s.control.hintEl;
      const text = set ? 'Stored encrypted and never shown. Leave empty to keep it; type a new one to replace it.'
        : 'Stored encrypted and never shown again after saving.';
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
  if (!editable) for (const c of Object.values(controls)) c.input.disabled = true;

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
    if (!Object.keys(body).length) { toast('No changes to save.', 'info'); return; }
    save.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const res = await api('PATCH', `/api/v1/settings/${group}`, { body, ifMatch: etag });
      values = (res.data && res.data.values) || values;
      etag = res.etag || etag;
      fill();
      if (tracker) tracker.markClean();
      if (onSaved) onSaved();
      const tip = group === 'smtp' ? ' Send a test email to check that it works.'
        : group === 'security' && body.twofa_required_admins === true
          ? ' Administrators without 2FA must set it up at their next sign-in: see Two-factor (2FA) for who that is.' : '';
      messages.replaceChildren(alertBox('success', `${def.title} saved.`, tip || null));
      toast(`${def.title} saved.`);
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
  const btn = h('button', { type: 'button', class: 'btn' }, 'Send test email');
  btn.addEventListener('click', () => testDialog(btn, isDirty()));
  return btn;
}

function testDialog(returnFocus, unsaved) {
  const dlg = modal({ title: 'Send a test email', returnFocus });
  const to = control({ name: 'to', label: 'Send to', type: 'email', required: true, max: 254,
    hint: 'A mailbox you can check. The email goes out at once through the saved SMTP settings.' });
  to.set(me().email);
  const result = h('div', { class: 'test-result', 'aria-live': 'polite' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Send');
  const close = h('button', { type: 'button', class: 'btn' }, 'Close');
  close.addEventListener('click', () => dlg.close());
  const form = h('form', { novalidate: true, class: 'dialog-form' },
    unsaved ? alertBox('warning', 'You have unsaved changes', 'The test uses the saved settings. Save first to test your changes.') : null,
    to.wrap, result, h('div', { class: 'dialog-actions' }, close, send));
  dlg.body.append(form);
  to.input.select();
  to.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    to.setError('');
    result.replaceChildren();
    const address = to.get();
    if (!address) { to.setError('Enter the address to send the test email to.'); to.focus(); return; }
    send.disabled = true;
    send.textContent = 'Sending…';
    try {
      const { data } = await api('POST', '/api/v1/settings/smtp/test', { body: { to: address } });
      result.replaceChildren(alertBox('success', 'The SMTP server accepted the test email',
        `Check that it arrives at ${address}.`,
        data && data.response ? h('code', { class: 'server-reply' }, `Server: ${data.response}`) : null));
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) {
        const e = err.fieldErrors.find((x) => x.field === 'to');
        if (e) { to.setError(e.detail || 'Not a valid address.'); to.focus(); return; }
      }
      let box;
      if (err instanceof ApiError && err.status === 502) {
        box = alertBox('error', 'Sending failed', err.detail || 'The SMTP server refused the message or could not be reached.');
      } else if (err instanceof ApiError && err.status === 409) {
        box = alertBox('error', 'SMTP is not configured', err.detail || 'Set the SMTP host and the From address, and save.');
      } else box = problemBox(err);
      result.replaceChildren(box);
    } finally {
      send.disabled = false;
      send.textContent = 'Send';
    }
  });
}

/* ---- Cronjob ------------------------------------------------------------------ */

const VIA = { serve: 'the scheduler of atrium serve', cron: 'atrium cron', url: 'the cron URL' };

/** "in 40 seconds", "in 3 minutes": how long until iso, from the server's now. */
function inText(iso, now) {
  const s = Math.max(0, Math.round((Date.parse(iso) - Date.parse(now)) / 1000));
  if (s < 90) return `in ${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  return m < 120 ? `in ${m} minutes` : `in ${Math.round(m / 60)} hours`;
}

function agoText(iso, now) {
  const s = Math.max(0, Math.round((Date.parse(now) - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} second${s === 1 ? '' : 's'} ago`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} minutes ago`;
  const hrs = Math.round(m / 60);
  return hrs < 48 ? `${hrs} hours ago` : `${Math.round(hrs / 24)} days ago`;
}

/** A line of configuration with a Copy button. */
function copyLine(label, text) {
  const btn = h('button', { type: 'button', class: 'btn btn-sm' }, 'Copy');
  btn.addEventListener('click', async () => toast(await copyText(text) ? `${label} copied.` : 'Copying failed: select the text.',
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
      ? h('p', null, 'Last run ', h('strong', null, agoText(d.last_run_at, d.now)), ' (', timeEl(d.last_run_at), ') by ',
        VIA[d.last_run_via] || d.last_run_via || '—', d.last_run_node ? ` on ${d.last_run_node}` : '', '.')
      : h('p', null, 'Cron has never run.');
    // The earliest task due: overdue when cron is not running.
    const next = !d.next_run_at ? h('p', null, 'Next run: at the first run of cron.')
      : Date.parse(d.next_run_at) > Date.parse(d.now)
        ? h('p', null, 'Next run ', h('strong', null, inText(d.next_run_at, d.now)), ' (', timeEl(d.next_run_at), ').')
        : h('p', null, 'Next run: ', h('strong', null, 'overdue'), ' since ', timeEl(d.next_run_at),
          ': it runs at the next call of cron.');
    const alert = d.stale
      ? alertBox('warning', d.last_run_at ? 'Cron has not run for more than 5 minutes' : 'Cron has never run',
        'Scheduled work waits until it runs: housekeeping now; recurring billing, automations and expiry notifications '
        + 'later. Check that an atrium serve node runs, or configure one of the ways below.')
      : alertBox('success', 'Cron is running', 'The last run is less than 5 minutes old.');
    return h('section', { class: 'card form', 'aria-labelledby': 'cron-status-title' },
      h('h2', { id: 'cron-status-title', class: 'section-title' }, 'Cron status'),
      alert, last, next,
      h('p', { class: 'muted' }, d.in_process
        ? 'Every atrium serve runs the scheduler itself, one node of the cluster at a time'
          + (d.leader ? ` (now ${d.leader.node})` : '') + ': nothing else is needed. System cron or the URL below can run it too.'
        : 'atrium serve does not run the scheduler (configuration scheduler = false): configure system cron or the URL below.'));
  }

  function configCard(d) {
    const editable = can('settings', 'edit');
    const token = h('div', { class: 'field-wide', 'aria-live': 'polite' },
      d.token_set ? h('p', null, 'A token was generated ', timeEl(d.token_created_at),
        '. It is stored as a hash: it cannot be shown again.')
        : h('p', null, 'No token yet: generate one to use the URL.'));
    const gen = editable ? h('button', { type: 'button', class: 'btn' }, d.token_set ? 'Regenerate token' : 'Generate token') : null;
    if (gen) {
      gen.addEventListener('click', async () => {
        if (d.token_set && !(await confirmDialog({ title: 'Regenerate the cron token?', confirmLabel: 'Regenerate',
          message: 'The current token stops working at once: update the crontab that uses it.' }))) return;
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
      h('h2', { id: 'cron-config-title', class: 'section-title' }, 'Server configuration'),
      h('p', { class: 'muted form-lead' }, 'Either line in the crontab of one machine: every minute. '
        + (d.config_file ? 'The command uses the configuration file this server was started with.'
          : 'Give the command the same --config (or --db and environment) as atrium serve.')),
      h('div', { class: 'form-grid' },
        copyLine('Command (crontab)', d.crontab_command),
        copyLine('Cron URL (crontab)', d.crontab_url),
        h('div', { class: 'field-wide' }, h('p', { class: 'label' }, 'URL'), h('code', { class: 'server-reply' }, d.url),
          h('p', { class: 'hint' }, 'POST, with the token as Authorization: Bearer TOKEN (or ?token=TOKEN). TOKEN is the '
            + 'token generated below: it is shown once, with this line filled in.')),
        token),
      h('div', { class: 'form-actions' }, gen));
  }

  function showToken(t, returnFocus) {
    const dlg = modal({ title: 'The cron token', returnFocus, wide: true });
    const done = h('button', { type: 'button', class: 'btn btn-primary' }, 'I saved it');
    done.addEventListener('click', () => dlg.close());
    dlg.body.append(
      alertBox('warning', 'Shown only now', 'Copy it now: Atrium keeps only its hash. Whoever has it can run the scheduler.'),
      h('div', { class: 'form-grid' }, copyLine('Token', t.token), copyLine('Crontab line', t.crontab)));
    dlg.actions.append(done);
  }

  function tasksCard(d) {
    const rows = (d.tasks || []).map((t) => h('tr', { dataset: { task: t.name } },
      h('th', { scope: 'row' }, t.name),
      h('td', { class: 'mono' }, t.schedule),
      h('td', { class: 'when' }, t.last_run_at ? timeEl(t.last_run_at) : h('span', { class: 'muted' }, 'never')),
      h('td', null, t.last_duration_ms == null ? '—' : `${t.last_duration_ms} ms`),
      h('td', { class: 'when' }, t.next_run_at ? timeEl(t.next_run_at) : '—'),
      h('td', null, t.last_error ? h('span', { class: 'truncate error-text', title: t.last_error }, t.last_error)
        : h('span', { class: 'muted' }, '—')),
      h('td', null, `${t.runs} run${t.runs === 1 ? '' : 's'}`, t.failures
        ? h('span', { class: 'attempts error-text' }, `${t.failures} failed`) : null)));
    return h('section', { class: 'card', 'aria-labelledby': 'cron-tasks-title' },
      h('h2', { id: 'cron-tasks-title', class: 'section-title card-table-title' }, 'Scheduled tasks'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table table-log' },
        h('thead', null, h('tr', null, ['Task', 'Schedule', 'Last run', 'Took', 'Next run', 'Last error', 'Runs']
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
