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
    label: label || (recovery ? 'Recovery code' : '6-digit code'),
    hint: hint || (recovery ? 'Like XXXX-XXXX-XXXX-XXXX. Letter case and dashes do not matter.'
      : 'The code your authenticator app shows now.'),
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
        c.setError(raw ? 'A recovery code has 16 letters and digits, like XXXX-XXXX-XXXX-XXXX.' : 'Enter one of your recovery codes.');
        return null;
      }
      return norm.replace(/(.{4})(?=.)/g, '$1-');
    }
    const digits = raw.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(digits)) {
      c.setError(raw ? 'The code is 6 digits.' : 'Enter the 6-digit code from your authenticator app.');
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
    'Atrium recovery codes',
    staff ? `Account: ${staff.email}` : null,
    `Created: ${new Date().toISOString()}`,
    '',
    'Each code signs you in once, instead of the code from your authenticator app.',
    'Keep them somewhere safe and apart from your phone. Generating new codes makes these stop working.',
    '',
    ...codes.map((c, i) => `${String(i + 1).padStart(2, ' ')}. ${c}`),
    '',
  ].filter((l) => l !== null).join('\n');
}

/**
 * The recovery codes with Download and Copy, and "I saved them".
 * level: the heading level (2 on the auth card, 3 inside a page section).
 */
export function recoveryCodesView({ codes, onDone, level = 2, doneLabel = 'I saved them', lead }) {
  const list = Array.isArray(codes) ? codes : [];
  const titleId = nextId('codes-title');
  const heading = h(`h${level}`, { id: titleId, class: 'step-title', tabindex: '-1' }, 'Save your recovery codes');
  const status = h('p', { class: 'hint codes-status', role: 'status' });
  const download = h('button', { type: 'button', class: 'btn' }, 'Download');
  const copy = h('button', { type: 'button', class: 'btn' }, 'Copy');
  const done = h('button', { type: 'button', class: 'btn btn-primary' }, doneLabel);
  download.addEventListener('click', () => {
    downloadText('atrium-recovery-codes.txt', codesFile(list));
    status.textContent = 'Downloaded as atrium-recovery-codes.txt.';
  });
  copy.addEventListener('click', async () => {
    status.textContent = (await copyText(list.join('\n'))) ? 'Copied to the clipboard.' : 'Copying is not possible here: select the codes and copy them.';
  });
  done.addEventListener('click', () => onDone && onDone());
  const root = h('section', { class: 'codes-view', 'aria-labelledby': titleId },
    heading,
    h('p', { class: 'step-lead' }, lead || 'If you lose your phone, each of these codes signs you in once instead of the app’s code.'),
    alertBox('warning', 'Shown only now', 'Download or copy them and keep them somewhere safe, apart from your phone. Atrium stores them only in a form it cannot show again.'),
    h('ol', { class: 'recovery-codes', 'aria-label': 'Recovery codes', 'data-testid': 'recovery-codes' },
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
  container.replaceChildren(loading('Creating your secret key…'));
  let data;
  try {
    ({ data } = await api('POST', '/api/v1/auth/2fa/enrol'));
  } catch (err) {
    if (isAbort(err)) return;
    const again = h('button', { type: 'button', class: 'btn' }, 'Try again');
    again.addEventListener('click', () => runEnrolment(container, { onDone, onCancel, level }));
    const cancel = onCancel ? h('button', { type: 'button', class: 'btn btn-ghost' }, 'Cancel') : null;
    if (cancel) cancel.addEventListener('click', onCancel);
    container.replaceChildren(problemBox(err, again, cancel));
    return;
  }
  const secret = String(data.secret || '');
  const hn = `h${level}`;
  const scanTitle = h(hn, { class: 'step-title', tabindex: '-1' }, '1. Scan the QR code');
  const qr = data.qr_svg
    ? h('img', { class: 'qr', src: `data:image/svg+xml;base64,${base64Utf8(String(data.qr_svg))}`,
      alt: 'QR code with your secret key, for your authenticator app', width: '200', height: '200' })
    : null;
  const keyStatus = h('span', { class: 'hint', role: 'status' });
  const copyKey = h('button', { type: 'button', class: 'btn btn-sm' }, 'Copy key');
  copyKey.addEventListener('click', async () => {
    keyStatus.textContent = (await copyText(secret)) ? 'Copied.' : 'Select the key and copy it.';
  });
  const keyId = nextId('totp-key');
  const manual = h('div', { class: 'enrol-manual' },
    h('p', { id: keyId, class: 'label' }, 'Can’t scan it? Enter this key in the app:'),
    h('code', { class: 'totp-secret', 'data-testid': 'totp-secret', 'aria-labelledby': keyId }, groupsOf4(secret)),
    h('div', { class: 'key-actions' }, copyKey, keyStatus),
    h('p', { class: 'hint' }, 'Time-based (TOTP), 6 digits, a new code every 30 seconds.'),
    data.issuer ? h('p', { class: 'hint', 'data-testid': 'totp-issuer' }, `Your app lists it as “${data.issuer}”: `
      + 'look for that name when Atrium asks for a code.') : null,
    data.otpauth_uri ? h('p', { class: 'hint' }, 'On this device: ',
      h('a', { href: data.otpauth_uri, 'data-testid': 'otpauth-link' }, 'open the key in your authenticator app')) : null);

  const code = codeControl({ hint: 'The code the app shows now for this account: it proves the app is set up.' });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const activate = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Activate');
  const cancel = onCancel ? h('button', { type: 'button', class: 'btn' }, 'Cancel') : null;
  if (cancel) cancel.addEventListener('click', onCancel);
  const form = h('form', { class: 'enrol-form', novalidate: true, 'aria-label': 'Activate two-factor authentication' },
    messages, code.wrap, h('div', { class: 'step-actions' }, activate, cancel));

  container.replaceChildren(h('div', { class: 'enrol' },
    h('section', { class: 'enrol-step' },
      scanTitle,
      h('p', { class: 'step-lead' }, 'Use an authenticator app on your phone, such as Aegis, FreeOTP, Google Authenticator, Microsoft Authenticator or your password manager.'),
      h('div', { class: 'enrol-grid' }, qr ? h('div', { class: 'qr-frame' }, qr) : null, manual)),
    h('section', { class: 'enrol-step' },
      h(hn, { class: 'step-title' }, '2. Enter the code from the app'),
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
      container.replaceChildren(alertBox('success', 'Two-factor authentication is on'), view.root);
      view.focus();
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) {
        const e = err.fieldErrors.find((x) => x.field === 'code');
        code.setError(e ? errorMessage(e) : err.detail);
        code.input.select();
        code.focus();
      } else if (err instanceof ApiError && err.status === 429) {
        messages.replaceChildren(rateLimitBox(err, 'Too many wrong codes'));
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

const SHOW = [
  ['', 'Everyone', {}],
  ['admins_without', 'Admins without 2FA', { admin: 'true', enabled: 'false' }],
  ['admins', 'Administrators', { admin: 'true' }],
  ['without', 'Everyone without 2FA', { enabled: 'false' }],
  ['with', 'With 2FA', { enabled: 'true' }],
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
  ctx.setTitle('Two-factor authentication');
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
    const action = h('button', { type: 'button', class: 'btn btn-sm btn-danger-outline', 'aria-label': `Reset 2FA for ${name}` }, 'Reset 2FA');
    action.addEventListener('click', () => resetTwofa(u, action, () => view.load(), (err) => view.showError(err)));
    return action;
  }

  const view = listView(ctx, {
    api: '/api/v1/authenticator-2fa/users',
    name: 'Staff members',
    caption: 'Two-factor status per staff member',
    id: 'twofa',
    // Administrators first: the policy is about them.
    sort: '-admin,name',
    sortText: 'administrators first, then by name',
    limit: 50,
    search: { label: 'Search staff', placeholder: 'Name or email…' },
    filterLabel: 'Filter two-factor status',
    filters: [{ type: 'preset', id: 'twofa-show', label: 'Show', options: SHOW }],
    tableClass: 'table-2fa',
    columns: [
      { label: 'Staff member', sort: 'name', class: 'who-cell', linked: true,
        cell: (u, { link }) => [
          linked ? link(u.name || u.email) : h('span', { class: 'row-link' }, u.name || u.email),
          u.active === false ? h('span', { class: 'badge badge-off badge-inline' }, 'Inactive') : null,
          h('span', { class: 'cell-sub muted', title: u.email }, u.email)] },
      { label: 'Admin', sort: 'admin', desc: true,
        cell: (u) => (u.admin ? h('span', { class: 'badge badge-admin' }, 'Admin') : dash('no')) },
      { label: '2FA', sort: 'enabled',
        cell: (u) => h('span', { class: ['badge', u.enabled ? 'badge-on' : u.admin ? 'badge-danger' : 'badge-off'] },
          u.enabled ? 'On' : 'Off') },
      { label: 'Since', sort: 'enabled_at', desc: true, class: 'nowrap',
        cell: (u) => (u.enabled_at ? timeEl(u.enabled_at, { dateOnly: true }) : dash('never')) },
      { label: 'Required',
        cell: (u) => (u.required
          ? h('span', { class: ['badge', u.enabled ? 'badge-on' : 'badge-warn'] }, u.enabled ? 'Required' : 'Required — not set up')
          : h('span', { class: 'muted' }, 'No')) },
      { label: 'Recovery codes left', headClass: 'num th-wrap', class: 'num',
        cell(u) {
          if (!u.enabled) return dash('not applicable');
          const left = Number(u.recovery_codes_remaining) || 0;
          return h('span', { class: left <= 2 ? 'text-warn' : null,
            title: left <= 2 ? 'Few codes left: they should generate a new set' : null }, String(left));
        } },
      { label: '', hiddenLabel: 'Actions', class: 'actions-cell', cell: resetButton },
    ],
    rowHref: linked ? (u) => `/admin/staff/${u.id}?tab=security` : null,
    rowProps: (u) => ({ class: u.active === false ? 'row-muted' : null, dataset: { staffId: String(u.id) } }),
    empty: (v) => (adminsWithout(v) && !v.state.q
      ? ['Every administrator uses 2FA.', 'Nothing to do for this check.'] : ['Nobody matches.']),
    onData: (data) => paintSummary(data.admins),
  });

  // The summary counts every active administrator, whatever the list shows.
  function paintSummary(admins) {
    const total = Number(admins && admins.total) || 0;
    const with2fa = Number(admins && admins.with_2fa) || 0;
    const missing = total - with2fa;
    const filterBtn = missing > 0 && !adminsWithout(view)
      ? h('button', { type: 'button', class: 'btn btn-sm', onclick: () => view.set({ admin: 'true', enabled: 'false' }) },
        'Show admins without 2FA') : null;
    const settingsLink = required === false && canView('settings')
      ? h('a', { href: '/admin/settings?tab=security', class: 'btn btn-sm' }, 'Security settings') : null;
    const policy = required === true ? 'The policy requires 2FA for administrators: those without it must set it up at their next sign-in.'
      : required === false ? 'The policy does not require 2FA for administrators. Turn on “Require two-factor authentication for administrators” in the security settings to enforce it.'
        : '';
    summary.replaceChildren(alertBox(missing > 0 ? 'warning' : 'success',
      `${with2fa} of ${total} administrators use 2FA`,
      missing > 0 ? `${missing} administrator${missing === 1 ? ' has' : 's have'} no second factor. ${policy}` : `All administrators have a second factor. ${policy}`,
      filterBtn, settingsLink));
  }

  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle('Two-factor authentication (2FA)')),
    h('p', { class: 'muted page-lead' },
      'Every administrator should use 2FA: check at each admin hire and weekly. A member who lost their phone and their recovery codes needs “Reset 2FA”.'),
    summary,
    view.root);
  await view.load();
}

/** Confirms and resets a member's 2FA (POST /staff/{id}/2fa/reset); after() on success, onError(err) on failure. */
export async function resetTwofa(member, button, after, onError) {
  const who = member.name || member.email;
  const self = me() && me().id === member.id;
  const ok = await confirmDialog({
    title: `Reset 2FA for ${who}?`,
    message: self
      ? 'Your authenticator app and recovery codes stop working and your other sessions end. Set up 2FA again on your security page.'
      : 'Their authenticator app and recovery codes stop working, and they are signed out everywhere. '
        + 'When 2FA is required for them, they set it up again right after their password at the next sign-in. They get an email about it.',
    confirmLabel: 'Reset 2FA', danger: true,
  });
  if (!ok) { if (button) button.focus(); return false; }
  if (button) button.disabled = true;
  try {
    await api('POST', `/api/v1/staff/${member.id}/2fa/reset`);
    toast(`Two-factor authentication of ${who} was reset.`);
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
