// Two-factor authentication (TOTP): the enrolment flow (QR code, key,
// activation), the recovery codes shown once, and the administrators'
// 2FA user list (/admin/authenticator_2fa/userlist).
// The QR code is the server's SVG document shown as an <img> from a data:
// URL: never parsed into the page, so nothing in it can run.
import { h, nextId, pageTitle, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { adopt, can, canView, me } from '../session.js';
import { navigate } from '../router.js';
import { listView } from '../listview.js';
import {
  alertBox, confirmDialog, copyText, downloadText, loading, problemBox, rateLimitBox, toast,
} from '../ui.js';
import { control, errorMessage } from '../forms.js';
import { t } from '../i18n.js';

/** base64 of a string's UTF-8 bytes (btoa alone takes only Latin-1). */
function base64Utf8(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** "ABCDEFGHIJKL" → "ABCD EFGH IJKL". */
export const groupsOf4 = (s) => String(s || '').replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');

/** The 6-digit code box (TOTP) or the recovery-code box. */
export function codeControl({ name = 'code', recovery = false, label, hint } = {}) {
  const c = control({
    name, type: 'text', required: true,
    label: label || (recovery ? t('twofa.recovery_code') : t('twofa.six_digit')),
    hint: hint || (recovery ? t('twofa.recovery_hint') : t('twofa.code_hint')),
    autocomplete: recovery ? 'off' : 'one-time-code',
    max: recovery ? 24 : 7,
    placeholder: recovery ? 'XXXX-XXXX-XXXX-XXXX' : '123456',
  });
  c.input.classList.add('input-otp');
  if (recovery) c.input.classList.add('input-recovery');
  c.input.setAttribute('inputmode', recovery ? 'text' : 'numeric');
  c.input.setAttribute('spellcheck', 'false');
  c.input.setAttribute('autocapitalize', recovery ? 'characters' : 'off');
  if (!recovery) c.input.setAttribute('pattern', '[0-9 ]*');
  /** The value as the server wants it, or null with the error set. */
  c.value = () => {
    const raw = c.input.value.trim();
    if (recovery) {
      const norm = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
      if (norm.length !== 16) {
        c.setError(raw ? t('twofa.recovery_format') : t('twofa.enter_recovery'));
        return null;
      }
      return norm.replace(/(.{4})(?=.)/g, '$1-');
    }
    const digits = raw.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(digits)) {
      c.setError(raw ? t('twofa.six_digits') : t('twofa.enter_six'));
      return null;
    }
    return digits;
  };
  return c;
}

/* ---- recovery codes, shown once ------------------------------------------- */

function codesFile(codes) {
  const staff = me();
  return [
    t('twofa.file.title'),
    staff ? t('twofa.file.account', { email: staff.email }) : null,
    t('twofa.file.created', { when: new Date().toISOString() }),
    '',
    t('twofa.file.each'),
    t('twofa.file.keep'),
    '',
    ...codes.map((c, i) => `${String(i + 1).padStart(2, ' ')}. ${c}`),
    '',
  ].filter((l) => l !== null).join('\n');
}

/**
 * The recovery codes with Download and Copy, and "I saved them".
 * level: the heading level (2 on the auth card, 3 inside a page section).
 */
export function recoveryCodesView({ codes, onDone, level = 2, doneLabel = t('twofa.saved_them'), lead }) {
  const list = Array.isArray(codes) ? codes : [];
  const titleId = nextId('codes-title');
  const heading = h(`h${level}`, { id: titleId, class: 'step-title', tabindex: '-1' }, t('twofa.save_codes'));
  const status = h('p', { class: 'hint codes-status', role: 'status' });
  const download = h('button', { type: 'button', class: 'btn' }, t('twofa.download'));
  const copy = h('button', { type: 'button', class: 'btn' }, t('common.copy'));
  const done = h('button', { type: 'button', class: 'btn btn-primary' }, doneLabel);
  download.addEventListener('click', () => {
    downloadText('atrium-recovery-codes.txt', codesFile(list));
    status.textContent = t('twofa.downloaded', { file: 'atrium-recovery-codes.txt' });
  });
  copy.addEventListener('click', async () => {
    status.textContent = (await copyText(list.join('\n'))) ? t('twofa.copied') : t('twofa.copy_failed');
  });
  done.addEventListener('click', () => onDone && onDone());
  const root = h('section', { class: 'codes-view', 'aria-labelledby': titleId },
    heading,
    h('p', { class: 'step-lead' }, lead || t('twofa.codes_lead')),
    alertBox('warning', t('cron.shown_once'), t('twofa.shown_once_detail')),
    h('ol', { class: 'recovery-codes', 'aria-label': t('twofa.codes'), 'data-testid': 'recovery-codes' },
      list.map((code) => h('li', null, h('code', null, code)))),
    h('div', { class: 'codes-actions' }, download, copy),
    status,
    h('div', { class: 'step-actions' }, done));
  return { root, focus: () => heading.focus(), done };
}

/* ---- enrolment ------------------------------------------------------------- */

/**
 * Runs enrolment inside `container`: POST /auth/2fa/enrol, then the QR code,
 * the key (in groups of 4, with Copy) and the otpauth link, then the code →
 * POST /auth/2fa/activate (a new, full session: adopted here), then the
 * recovery codes once. onDone(meBody) after "I saved them"; onCancel (when
 * given) adds a Cancel button to the code step.
 */
export async function runEnrolment(container, { onDone, onCancel, level = 2 } = {}) {
  container.replaceChildren(loading(t('twofa.creating')));
  let data;
  try {
    ({ data } = await api('POST', '/api/v1/auth/2fa/enrol'));
  } catch (err) {
    if (isAbort(err)) return;
    const again = h('button', { type: 'button', class: 'btn' }, t('common.try_again'));
    again.addEventListener('click', () => runEnrolment(container, { onDone, onCancel, level }));
    const cancel = onCancel ? h('button', { type: 'button', class: 'btn btn-ghost' }, t('common.cancel')) : null;
    if (cancel) cancel.addEventListener('click', onCancel);
    container.replaceChildren(problemBox(err, again, cancel));
    return;
  }
  const secret = String(data.secret || '');
  const hn = `h${level}`;
  const scanTitle = h(hn, { class: 'step-title', tabindex: '-1' }, t('twofa.step1'));
  const qr = data.qr_svg
    ? h('img', { class: 'qr', src: `data:image/svg+xml;base64,${base64Utf8(String(data.qr_svg))}`,
      alt: t('twofa.qr_alt'), width: '200', height: '200' })
    : null;
  const keyStatus = h('span', { class: 'hint', role: 'status' });
  const copyKey = h('button', { type: 'button', class: 'btn btn-sm' }, t('twofa.copy_key'));
  copyKey.addEventListener('click', async () => {
    keyStatus.textContent = (await copyText(secret)) ? t('common.copied') : t('twofa.copy_key_failed');
  });
  const keyId = nextId('totp-key');
  const manual = h('div', { class: 'enrol-manual' },
    h('p', { id: keyId, class: 'label' }, t('twofa.cant_scan')),
    h('code', { class: 'totp-secret', 'data-testid': 'totp-secret', 'aria-labelledby': keyId }, groupsOf4(secret)),
    h('div', { class: 'key-actions' }, copyKey, keyStatus),
    h('p', { class: 'hint' }, t('twofa.totp')),
    data.issuer ? h('p', { class: 'hint', 'data-testid': 'totp-issuer' }, t('twofa.issuer', { issuer: data.issuer })) : null,
    data.otpauth_uri ? h('p', { class: 'hint' }, `${t('twofa.this_device')} `,
      h('a', { href: data.otpauth_uri, 'data-testid': 'otpauth-link' }, t('twofa.open_key'))) : null);

  const code = codeControl({ hint: t('twofa.proves') });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const activate = h('button', { type: 'submit', class: 'btn btn-primary' }, t('staff.activate'));
  const cancel = onCancel ? h('button', { type: 'button', class: 'btn' }, t('common.cancel')) : null;
  if (cancel) cancel.addEventListener('click', onCancel);
  const form = h('form', { class: 'enrol-form', novalidate: true, 'aria-label': t('twofa.activate_form') },
    messages, code.wrap, h('div', { class: 'step-actions' }, activate, cancel));

  container.replaceChildren(h('div', { class: 'enrol' },
    h('section', { class: 'enrol-step' },
      scanTitle,
      h('p', { class: 'step-lead' }, t('twofa.use_app')),
      h('div', { class: 'enrol-grid' }, qr ? h('div', { class: 'qr-frame' }, qr) : null, manual)),
    h('section', { class: 'enrol-step' },
      h(hn, { class: 'step-title' }, t('twofa.step2')),
      form)));
  scanTitle.focus();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    code.setError('');
    messages.replaceChildren();
    const value = code.value();
    if (value === null) { code.focus(); return; }
    activate.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const { data: body } = await api('POST', '/api/v1/auth/2fa/activate', { body: { code: value } });
      adopt(body);
      const view = recoveryCodesView({ codes: body.recovery_codes, level, onDone: () => onDone && onDone(body) });
      container.replaceChildren(alertBox('success', t('twofa.is_on')), view.root);
      view.focus();
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) {
        const e = err.fieldErrors.find((x) => x.field === 'code');
        code.setError(e ? errorMessage(e) : err.detail);
        code.input.select();
        code.focus();
      } else if (err instanceof ApiError && err.status === 429) {
        messages.replaceChildren(rateLimitBox(err, t('auth.too_many_codes')));
        messages.focus();
      } else {
        messages.replaceChildren(problemBox(err));
        messages.focus();
      }
    } finally {
      activate.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

/* ---- /admin/authenticator_2fa/userlist ------------------------------------------ */

const SHOW = () => [
  ['', t('staff.f.everyone'), {}],
  ['admins_without', t('twofa.show.admins_without'), { admin: 'true', enabled: 'false' }],
  ['admins', t('staff.f.admins'), { admin: 'true' }],
  ['without', t('twofa.show.without'), { enabled: 'false' }],
  ['with', t('twofa.show.with'), { enabled: 'true' }],
];

/** Whether the policy requires 2FA of administrators; null when this member may not read it. */
async function adminPolicy(signal) {
  if (!canView('settings')) return null;
  try {
    const { data } = await api('GET', '/api/v1/settings/security', { signal });
    return data && data.values ? data.values.twofa_required_admins : null;
  } catch (err) {
    if (isAbort(err)) throw err;
    return null;
  }
}

export async function twofaUsersPage(ctx, root) {
  ctx.setTitle(t('sec.twofa'));
  const viewer = me();
  const editable = can('staff', 'edit');
  const linked = canView('staff');
  const required = await adminPolicy(ctx.signal);
  const summary = h('div', { class: 'twofa-summary', 'aria-live': 'polite' });
  const dash = (label) => h('span', { class: 'muted', 'aria-label': label }, '—');
  const adminsWithout = (v) => v.state.filters.admin === 'true' && v.state.filters.enabled === 'false';

  function resetButton(u) {
    if (!editable || !u.enabled || (!viewer.admin && u.admin)) return null;
    const name = u.name || u.email;
    const action = h('button', { type: 'button', class: 'btn btn-sm btn-danger-outline', 'aria-label': t('twofa.reset_for', { name }) }, t('sec.reset_2fa'));
    action.addEventListener('click', () => resetTwofa(u, action, () => view.load(), (err) => view.showError(err)));
    return action;
  }

  const view = listView(ctx, {
    api: '/api/v1/authenticator-2fa/users',
    name: t('staff.members'),
    caption: t('twofa.caption'),
    id: 'twofa',
    // Administrators first: the policy is about them.
    sort: '-admin,name',
    sortText: t('twofa.sort_text'),
    limit: 50,
    search: { label: t('staff.search'), placeholder: t('staff.search_placeholder') },
    filterLabel: t('twofa.filter'),
    filters: [{ type: 'preset', id: 'twofa-show', label: t('twofa.show'), options: SHOW() }],
    tableClass: 'table-2fa',
    columns: [
      { label: t('twofa.col.member'), sort: 'name', class: 'who-cell', linked: true,
        cell: (u, { link }) => [
          linked ? link(u.name || u.email) : h('span', { class: 'row-link' }, u.name || u.email),
          u.active === false ? h('span', { class: 'badge badge-off badge-inline' }, t('staff.inactive')) : null,
          h('span', { class: 'cell-sub muted', title: u.email }, u.email)] },
      { label: t('staff.col.admin'), sort: 'admin', desc: true,
        cell: (u) => (u.admin ? h('span', { class: 'badge badge-admin' }, t('staff.col.admin')) : dash(t('a11y.no'))) },
      { label: '2FA', sort: 'enabled',
        cell: (u) => h('span', { class: ['badge', u.enabled ? 'badge-on' : u.admin ? 'badge-danger' : 'badge-off'] },
          u.enabled ? t('sec.on') : t('sec.off')) },
      { label: t('twofa.col.since'), sort: 'enabled_at', desc: true, class: 'nowrap',
        cell: (u) => (u.enabled_at ? timeEl(u.enabled_at, { dateOnly: true }) : dash('never')) },
      { label: t('sec.required'),
        cell: (u) => (u.required
          ? h('span', { class: ['badge', u.enabled ? 'badge-on' : 'badge-warn'] }, u.enabled ? t('sec.required') : t('twofa.required_not_set'))
          : h('span', { class: 'muted' }, t('common.no'))) },
      { label: t('sec.codes_left'), headClass: 'num th-wrap', class: 'num',
        cell(u) {
          if (!u.enabled) return dash(t('access.na'));
          const left = Number(u.recovery_codes_remaining) || 0;
          return h('span', { class: left <= 2 ? 'text-warn' : null,
            title: left <= 2 ? t('twofa.few_left') : null }, String(left));
        } },
      { label: '', hiddenLabel: t('common.actions'), class: 'actions-cell', cell: resetButton },
    ],
    rowHref: linked ? (u) => `/admin/staff/${u.id}?tab=security` : null,
    rowProps: (u) => ({ class: u.active === false ? 'row-muted' : null, dataset: { staffId: String(u.id) } }),
    empty: (v) => (adminsWithout(v) && !v.state.q
      ? [t('twofa.all_admins'), t('twofa.nothing_to_do')] : [t('twofa.nobody')]),
    onData: (data) => paintSummary(data.admins),
  });

  // The summary counts every active administrator, whatever the list shows.
  function paintSummary(admins) {
    const total = Number(admins && admins.total) || 0;
    const with2fa = Number(admins && admins.with_2fa) || 0;
    const missing = total - with2fa;
    const filterBtn = missing > 0 && !adminsWithout(view)
      ? h('button', { type: 'button', class: 'btn btn-sm', onclick: () => view.set({ admin: 'true', enabled: 'false' }) },
        t('twofa.show_admins_without')) : null;
    const settingsLink = required === false && canView('settings')
      ? h('a', { href: '/admin/settings?tab=security', class: 'btn btn-sm' }, t('twofa.security_settings')) : null;
    const policy = required === true ? t('twofa.policy_on') : required === false ? t('twofa.policy_off') : '';
    summary.replaceChildren(alertBox(missing > 0 ? 'warning' : 'success',
      t('twofa.admins_use', { with: with2fa, count: total }),
      `${missing > 0 ? t('twofa.admins_missing', { count: missing }) : t('twofa.admins_all')} ${policy}`,
      filterBtn, settingsLink));
  }

  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('twofa.page_title'))),
    h('p', { class: 'muted page-lead' }, t('twofa.page_lead')),
    summary,
    view.root);
  await view.load();
}

/** Confirms and resets a member's 2FA (POST /staff/{id}/2fa/reset); after() on success, onError(err) on failure. */
export async function resetTwofa(member, button, after, onError) {
  const who = member.name || member.email;
  const self = me() && me().id === member.id;
  const ok = await confirmDialog({
    title: t('twofa.reset_q', { name: who }),
    message: self ? t('twofa.reset_self') : t('twofa.reset_other'),
    confirmLabel: t('sec.reset_2fa'), danger: true,
  });
  if (!ok) { if (button) button.focus(); return false; }
  if (button) button.disabled = true;
  try {
    await api('POST', `/api/v1/staff/${member.id}/2fa/reset`);
    toast(t('twofa.reset_done', { name: who }));
    if (after) after();
    return true;
  } catch (err) {
    if (button) button.disabled = false;
    if (onError) onError(err);
    else toast(err instanceof ApiError ? `${err.title}: ${err.detail}` : String(err), 'error');
    return false;
  }
}

export const routes = [
  ['/admin/authenticator_2fa', () => navigate('/admin/authenticator_2fa/userlist', { replace: true })],
  ['/admin/authenticator_2fa/userlist', twofaUsersPage],
];
export const nav = [
  { path: '/admin/authenticator_2fa/userlist', key: 'nav.two_factor_2fa', label: 'Two-factor (2FA)', module: 'staff', adminOnly: true,
    group: 'Administration', order: 20, icon: ['M5 11h14v10H5z', 'M8 11V7a4 4 0 0 1 8 0v4', 'M12 15v2'] },
];
