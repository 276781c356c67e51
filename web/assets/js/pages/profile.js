// The signed-in member's own security page (/admin/profile/security):
// change password, two-factor authentication (enable, recovery codes,
// turn off), the sign-in email (confirmed from both addresses) and "My
// sessions" with revoke. Steps that need the password again get it from
// the re-authentication dialog (js/reauth.js), opened by api().
import { h, nextId, pageTitle, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { adopt, forget, me } from '../session.js';
import { navigate } from '../router.js';
import { alertBox, clearStaffCache, confirmDialog, loading, modal, problemBox, rateLimitBox, toast } from '../ui.js';
import { control, passwordMessage } from '../forms.js';
import { trackForm } from '../dirty.js';
import { recoveryCodesView, runEnrolment } from './twofa.js';
import { localizationSection } from './profile_l10n.js';
import { t } from '../i18n.js';

export async function profileSecurityPage(ctx, root) {
  ctx.setTitle(t('shell.security'));
  const staff = me();
  const l10n = localizationSection();
  const sessions = sessionsSection(ctx.signal);
  const twofa = twofaSection(ctx.signal, () => sessions.load());
  const password = passwordSection(() => { sessions.load(); twofa.load(); });
  const email = emailSection(ctx.signal);
  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('shell.security'))),
    h('p', { class: 'muted page-lead' }, t('profile.lead', { email: staff.email })),
    h('div', { class: 'profile-sections' }, password.root, twofa.root, email.root, l10n.root, sessions.root));
  await Promise.all([twofa.load(), email.load(), sessions.load()]);
}

function section(id, title, lead, ...content) {
  return h('section', { class: 'card section profile-section', 'aria-labelledby': id },
    h('div', { class: 'section-header' }, h('h2', { id, class: 'section-title' }, title)),
    h('div', { class: 'section-body' }, lead ? h('p', { class: 'muted section-lead' }, lead) : null, ...content));
}

/* ---- password ------------------------------------------------------------------ */

function passwordSection(onChanged) {
  const staff = me();
  const c = {
    current_password: control({ name: 'current_password', label: 'Current password', type: 'password', required: true,
      autocomplete: 'current-password', max: 1024 }),
    new_password: control({ name: 'new_password', label: 'New password', type: 'password', required: true,
      autocomplete: 'new-password', max: 1024,
      hint: 'A long passphrase of several unrelated words is best. Names, your email and passwords you used recently are refused.' }),
    confirm: control({ name: 'confirm', label: 'Confirm new password', type: 'password', required: true,
      autocomplete: 'new-password', max: 1024 }),
  };
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Change password');
  const username = h('input', { type: 'email', name: 'username', autocomplete: 'username', value: staff.email,
    class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true', readOnly: true });
  const form = h('form', { class: 'profile-form', novalidate: true, 'aria-label': 'Change password' },
    messages, username,
    h('div', { class: 'form-grid form-grid-1' }, Object.values(c).map((x) => x.wrap)),
    h('div', { class: 'step-actions' }, save));
  trackForm(form); // emptied again once saved

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    messages.replaceChildren();
    for (const x of Object.values(c)) x.setError('');
    const cur = c.current_password.input.value;
    const pw = c.new_password.input.value;
    const missing = ['current_password', 'new_password'].filter((k) => !c[k].input.value);
    if (missing.length) {
      for (const k of missing) c[k].setError('This field is required.');
      c[missing[0]].focus();
      return;
    }
    if (pw !== c.confirm.input.value) {
      c.confirm.setError('The passwords do not match.');
      c.confirm.focus();
      return;
    }
    save.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api('POST', '/api/v1/auth/password/change', { body: { current_password: cur, new_password: pw } });
      adopt(data); // a new session (and CSRF token); every other session ended
      for (const x of Object.values(c)) x.input.value = '';
      messages.replaceChildren(alertBox('success', 'Password changed',
        'You were signed out everywhere else. An email confirms the change.'));
      toast('Password changed.');
      onChanged();
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422) {
        let first = null;
        const others = [];
        for (const e of err.fieldErrors) {
          const x = c[e.field];
          if (!x) { others.push(e); continue; }
          x.setError(passwordMessage(e));
          first = first || x;
        }
        if (others.length || !first) {
          messages.replaceChildren(alertBox('error', 'The password was not changed',
            others.map((e) => `${e.field}: ${e.detail || e.code}`).join('; ') || err.detail));
        }
        if (first) first.focus(); else messages.focus();
      } else if (err instanceof ApiError && err.status === 429) {
        messages.replaceChildren(rateLimitBox(err));
        messages.focus();
      } else {
        messages.replaceChildren(problemBox(err));
        messages.focus();
      }
    } finally {
      save.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  return { root: section('profile-password', 'Password', 'Changing it signs you out of every other session.', form) };
}

/* ---- two-factor authentication ------------------------------------------------------ */

function twofaSection(signal, onSessionsChanged) {
  const body = h('div', { class: 'twofa-body' }, loading());
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const root = section('profile-2fa', 'Two-factor authentication',
    'After your password, a 6-digit code from an app on your phone. It stops anyone who learns your password.', body);

  async function load() {
    let status;
    try {
      ({ data: status } = await api('GET', '/api/v1/auth/2fa', { signal }));
    } catch (err) {
      if (!isAbort(err)) body.replaceChildren(problemBox(err));
      return;
    }
    paint(status);
  }

  function paint(st) {
    const on = Boolean(st.enabled);
    const left = Number(st.recovery_codes_remaining) || 0;
    const facts = h('dl', { class: 'facts' },
      h('div', null, h('dt', null, 'Status'),
        h('dd', null, h('span', { class: ['badge', on ? 'badge-on' : 'badge-off'], 'data-testid': 'twofa-status' }, on ? 'On' : 'Off'))),
      h('div', null, h('dt', null, 'Required for your account'), h('dd', null, st.required ? 'Yes' : 'No')),
      on ? h('div', null, h('dt', null, 'Recovery codes left'),
        h('dd', { 'data-testid': 'recovery-left' }, `${left} of 10`)) : null);
    const actions = h('div', { class: 'step-actions' });
    const notes = [];
    if (!on) {
      if (st.required) notes.push(alertBox('warning', 'Required for your account', 'Set it up now: at your next sign-in you can do nothing else until it is on.'));
      const enable = h('button', { type: 'button', class: 'btn btn-primary' }, 'Enable two-factor authentication');
      enable.addEventListener('click', () => {
        const area = h('div', { class: 'enrol-area' });
        body.replaceChildren(area);
        runEnrolment(area, {
          level: 3,
          onCancel: () => load(),
          onDone: () => { toast('Two-factor authentication is on.'); load(); onSessionsChanged(); },
        });
      });
      actions.append(enable);
    } else {
      if (left <= 3) {
        notes.push(alertBox('warning', left === 0 ? 'No recovery codes left' : `Only ${left} recovery code${left === 1 ? '' : 's'} left`,
          'Generate a new set so you can still sign in if you lose your phone.'));
      }
      const regen = h('button', { type: 'button', class: 'btn' }, 'Regenerate recovery codes');
      regen.addEventListener('click', async () => {
        const ok = await confirmDialog({ title: 'Generate new recovery codes?', confirmLabel: 'Generate new codes',
          message: 'Your current recovery codes stop working at once. The new ones are shown only once. '
            + 'You will be asked for your password and a code first.' });
        if (!ok) { regen.focus(); return; }
        messages.replaceChildren();
        try {
          // 403 reauth-required makes api() ask for the password and code, then retry.
          const { data } = await api('POST', '/api/v1/auth/2fa/recovery-codes');
          const dlg = modal({ title: 'New recovery codes', wide: true, returnFocus: regen });
          const view = recoveryCodesView({ codes: data.recovery_codes, level: 3, onDone: () => dlg.close(),
            lead: 'Your old codes no longer work. Each of these signs you in once instead of the app’s code.' });
          dlg.body.replaceChildren(view.root);
          view.focus();
          dlg.result.then(() => load());
        } catch (err) {
          if (isAbort(err)) return;
          messages.replaceChildren(problemBox(err));
          messages.focus();
        }
      });
      const off = h('button', { type: 'button', class: 'btn btn-danger-outline' }, 'Turn off two-factor authentication');
      off.addEventListener('click', async () => {
        const ok = await confirmDialog({ title: 'Turn off two-factor authentication?', confirmLabel: 'Turn off', danger: true,
          message: 'Your account will be protected by your password alone, and your recovery codes stop working. '
            + 'You will be asked for your password and a code first.' });
        if (!ok) { off.focus(); return; }
        messages.replaceChildren();
        try {
          await api('POST', '/api/v1/auth/2fa/disable');
          toast('Two-factor authentication is off.');
          load();
        } catch (err) {
          if (isAbort(err)) return;
          messages.replaceChildren(err instanceof ApiError && err.status === 409
            ? alertBox('error', 'Not possible', err.detail) : problemBox(err));
          messages.focus();
        }
      });
      // Required 2FA cannot be turned off: no button that the server would
      // refuse after asking for the password and a code.
      if (st.required) {
        notes.push(alertBox('info', 'Required for your account',
          'Two-factor authentication is required for your role or as an administrator, so it cannot be turned off.'));
        actions.append(regen);
      } else {
        actions.append(regen, off);
      }
    }
    body.replaceChildren(...notes, facts, messages, actions);
  }

  return { root, load };
}

/* ---- sign-in email ------------------------------------------------------------------ */

function emailSection(signal) {
  const body = h('div', { class: 'email-body' }, loading());
  const root = section('profile-email', 'Sign-in email',
    'A change is confirmed from your current and your new address before it applies.', body);
  const c = control({ name: 'email', label: 'New email', type: 'email', required: true, autocomplete: 'email', max: 254 });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn' }, 'Change email');
  const form = h('form', { class: 'profile-form', novalidate: true, 'aria-label': 'Change sign-in email' },
    messages, h('div', { class: 'form-grid form-grid-1' }, c.wrap), h('div', { class: 'step-actions' }, save));
  trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    messages.replaceChildren();
    c.setError('');
    const value = c.get();
    if (!value) { c.setError('Enter the new address.'); c.focus(); return; }
    save.disabled = true;
    try {
      // 403 reauth-required makes api() ask for the password (and code) and retry.
      const { data } = await api('POST', '/api/v1/auth/email', { body: { email: value } });
      c.set('');
      paint(data);
      toast('Check both mailboxes to confirm the change.');
    } catch (err) {
      if (isAbort(err)) return;
      const e = err instanceof ApiError && err.status === 422 ? err.fieldErrors.find((x) => x.field === 'email') : null;
      if (e) { c.setError(e.code === 'taken' ? 'Another member uses this address.' : e.code === 'invalid' && /already/.test(e.detail || '')
        ? 'This is already your email.' : 'This is not an email address.'); c.focus(); } else {
        messages.replaceChildren(problemBox(err));
        messages.focus();
      }
    } finally {
      save.disabled = false;
    }
  });

  function paint(data) {
    const p = data.pending;
    const facts = h('dl', { class: 'facts' },
      h('div', null, h('dt', null, 'Current'), h('dd', { 'data-testid': 'current-email' }, data.email)),
      p ? h('div', null, h('dt', null, 'Waiting to change to'), h('dd', { 'data-testid': 'pending-email' }, p.email)) : null);
    const note = p ? alertBox('info', 'Confirm from both addresses',
      `We sent a link to ${data.email}${p.confirmed_current ? ' (confirmed)' : ''} and one to ${p.email}`
      + `${p.confirmed_new ? ' (confirmed)' : ''}. The change applies when both are opened, before `
      + `${new Date(p.expires_at).toLocaleString()}.`) : null;
    body.replaceChildren(facts, note, form);
  }

  async function load() {
    try {
      const { data } = await api('GET', '/api/v1/auth/email', { signal });
      paint(data);
    } catch (err) {
      if (!isAbort(err)) body.replaceChildren(problemBox(err));
    }
  }
  return { root, load };
}

/* ---- my sessions ---------------------------------------------------------------------- */

/** "Chrome on Linux" from a user agent (the full string is kept in a tooltip). */
export function deviceName(ua) {
  const s = String(ua || '');
  if (!s) return 'Unknown device';
  const browser = /Edg\//.test(s) ? 'Edge' : /OPR\//.test(s) ? 'Opera' : /Firefox\//.test(s) ? 'Firefox'
    : /HeadlessChrome\//.test(s) ? 'Headless Chrome' : /(Chrome|Chromium|CriOS)\//.test(s) ? 'Chrome'
      : /Safari\//.test(s) ? 'Safari' : /^curl\//.test(s) ? 'curl' : /^Wget\//.test(s) ? 'Wget' : null;
  const os = /Windows/.test(s) ? 'Windows' : /iPhone|iPad|iPod/.test(s) ? 'iOS' : /Android/.test(s) ? 'Android'
    : /CrOS/.test(s) ? 'ChromeOS' : /Mac OS X|Macintosh/.test(s) ? 'macOS' : /Linux/.test(s) ? 'Linux' : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || s.split(/[\s/]/)[0] || 'Unknown device';
}

const STAGE_LABELS = { mfa: 'Waiting for the 2FA code', enrol: 'Setting up 2FA' };

function sessionsSection(signal) {
  const body = h('div', { class: 'sessions-body' }, loading());
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const root = section('profile-sessions', 'My sessions',
    'Where you are signed in. Revoke any you do not recognise, then change your password.', messages, body);

  const signedOut = () => {
    forget();
    clearStaffCache();
    toast('You have been signed out.', 'info');
    navigate('/login', { replace: true });
  };

  async function revoke(s, button) {
    if (s.current) {
      const ok = await confirmDialog({ title: 'Revoke this session?', message: 'This is the session you are using: you will be signed out.',
        confirmLabel: 'Revoke and sign out', danger: true });
      if (!ok) { button.focus(); return; }
    }
    button.disabled = true;
    messages.replaceChildren();
    try {
      await api('DELETE', `/api/v1/auth/sessions/${s.id}`);
      if (s.current) { signedOut(); return; }
      toast('Session revoked.');
      load();
    } catch (err) {
      button.disabled = false;
      if (err instanceof ApiError && err.status === 404) { load(); return; }
      messages.replaceChildren(problemBox(err));
      messages.focus();
    }
  }

  async function revokeOthers(list, button) {
    const others = list.filter((s) => !s.current);
    const ok = await confirmDialog({ title: `Revoke ${others.length} other session${others.length === 1 ? '' : 's'}?`,
      message: 'Every other browser and device where you are signed in is signed out now.', confirmLabel: 'Revoke them', danger: true });
    if (!ok) { button.focus(); return; }
    button.disabled = true;
    try {
      for (const s of others) {
        try { await api('DELETE', `/api/v1/auth/sessions/${s.id}`); } catch (err) {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        }
      }
      toast('Your other sessions were revoked.');
    } catch (err) {
      messages.replaceChildren(problemBox(err));
    }
    load();
  }

  async function load() {
    let list;
    try {
      const { data } = await api('GET', '/api/v1/auth/sessions', { signal });
      list = Array.isArray(data && data.data) ? data.data : [];
    } catch (err) {
      if (!isAbort(err)) body.replaceChildren(problemBox(err));
      return;
    }
    const rows = list.map((s) => {
      const name = deviceName(s.user_agent);
      const btn = h('button', { type: 'button', class: ['btn', 'btn-sm', s.current ? 'btn-danger-outline' : null],
        'aria-label': s.current ? 'Revoke this session (signs you out)' : `Revoke the session on ${name} from ${s.ip || 'an unknown address'}` },
      'Revoke');
      btn.addEventListener('click', () => revoke(s, btn));
      const uaId = nextId('ua');
      return h('tr', { class: s.current ? 'row-current' : null, dataset: { current: String(Boolean(s.current)) } },
        h('td', null,
          h('span', { class: 'device-name', 'aria-describedby': uaId }, name),
          s.current ? h('span', { class: 'badge badge-on badge-inline' }, 'This session') : null,
          STAGE_LABELS[s.stage] ? h('span', { class: 'badge badge-warn badge-inline' }, STAGE_LABELS[s.stage]) : null,
          h('span', { id: uaId, class: 'ua muted', title: s.user_agent || '' }, s.user_agent || 'No user agent sent')),
        h('td', { class: 'mono' }, s.ip || h('span', { class: 'muted' }, 'unknown')),
        h('td', { class: 'nowrap' }, timeEl(s.created_at)),
        h('td', { class: 'nowrap' }, timeEl(s.last_seen_at)),
        h('td', { class: 'actions-cell' }, btn));
    });
    const table = h('table', { class: 'table sessions-table' },
      h('caption', { class: 'visually-hidden' }, 'My sessions'),
      h('thead', null, h('tr', null, ['Device', 'Address', 'Signed in', 'Last seen', ''].map((t) =>
        h('th', { scope: 'col' }, t || h('span', { class: 'visually-hidden' }, 'Actions'))))),
      h('tbody', null, rows));
    const others = list.filter((s) => !s.current).length;
    let all = null;
    if (others) {
      all = h('button', { type: 'button', class: 'btn' }, `Revoke all other sessions (${others})`);
      all.addEventListener('click', () => revokeOthers(list, all));
    }
    body.replaceChildren(h('div', { class: 'table-wrap' }, table));
    if (all) body.append(h('div', { class: 'step-actions' }, all));
  }

  return { root, load };
}

export const routes = [['/admin/profile/security', profileSecurityPage]];
export const nav = []; // reached from the top bar
