// Pages outside the app shell: sign in (with the two-factor step), first-
// admin setup, set password, forgot/reset password, and the screens that
// replace every route until they are done: the forced password change and
// the forced two-factor enrolment.
import { t } from '../i18n.js';
import { h } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { adopt, loadMe, logout, me } from '../session.js';
import { navigate } from '../router.js';
import { alertBox, problemBox, rateLimitBox, sentence, serverText } from '../ui.js';
import { errorMessage, passwordMessage } from '../forms.js';
import { themeToggle } from '../theme.js';
import { brandElement } from '../branding.js';
import { codeControl, runEnrolment } from './twofa.js';

/** The `?next=` target when it is an admin path, else /admin/. */
export function nextTarget() {
  const next = new URLSearchParams(location.search).get('next') || '';
  return next.startsWith('/admin/') && !next.startsWith('//') ? next : '/admin/';
}

function tokenFromHash() {
  return new URLSearchParams(location.hash.replace(/^#/, '')).get('token') || '';
}

/** A labelled input with a slot for its error message. */
function field({ label, name, type = 'text', autocomplete, hint, required = true }) {
  const id = `auth-${name}`;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const input = h('input', { id, name, type, autocomplete, required, class: 'input',
    'aria-describedby': hintId || null });
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const wrap = h('div', { class: 'field' },
    h('label', { for: id, class: 'label' }, label),
    input,
    hint ? h('p', { id: hintId, class: 'hint' }, hint) : null,
    error);
  return {
    wrap, input,
    setError(msg) {
      error.textContent = msg || '';
      error.hidden = !msg;
      if (msg) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
      const ids = [hintId, msg ? errorId : null].filter(Boolean).join(' ');
      if (ids) input.setAttribute('aria-describedby', ids); else input.removeAttribute('aria-describedby');
    },
  };
}

function authCard(title, subtitle, ...content) {
  return authCardOf({ title, subtitle }, ...content);
}

function authCardOf({ title, subtitle, wide = false }, ...content) {
  return h('main', { id: 'main', class: 'auth' },
    h('div', { class: 'auth-theme' }, themeToggle()),
    h('div', { class: ['auth-card', wide ? 'auth-card-wide' : null] },
      brandElement('div', { class: 'brand brand-lg', 'data-testid': 'auth-brand' }),
      h('h1', { class: 'auth-title', tabindex: '-1' }, title),
      subtitle ? h('p', { class: 'muted auth-subtitle' }, subtitle) : null,
      ...content));
}

/** Wires submit: disables the button while running, shows errors in `slot`. */
function onSubmit(form, button, slot, run) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    slot.replaceChildren();
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await run();
    } catch (err) {
      slot.replaceChildren(err instanceof ApiError || err instanceof Error ? problemBox(err) : alertBox('error', String(err)));
    } finally {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

/** Maps a 422's field errors onto the form's fields; returns true if any matched. */
function showFieldErrors(err, fields) {
  let first = null;
  for (const e of err.fieldErrors) {
    const f = fields[e.field];
    if (!f) continue;
    f.setError(f.input.type === 'password' ? passwordMessage(e) : errorMessage(e));
    first = first || f.input;
  }
  if (first) first.focus();
  return Boolean(first);
}

export async function loginPage(ctx, root) {
  ctx.setTitle(t('signin.title'));
  // Already signed in? Go straight on.
  try {
    await loadMe(ctx.signal);
    navigate(nextTarget(), { replace: true });
    return;
  } catch (err) {
    if (err.name === 'AbortError') return;
  }
  const email = field({ label: t('signin.email'), name: 'email', type: 'email', autocomplete: 'username' });
  const password = field({ label: t('signin.password'), name: 'password', type: 'password', autocomplete: 'current-password' });
  const slot = h('div', { class: 'form-messages' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('signin.submit'));
  const form = h('form', { class: 'auth-form', novalidate: true }, slot, email.wrap, password.wrap, button);

  onSubmit(form, button, slot, async () => {
    try {
      const { data } = await api('POST', '/api/v1/auth/login', {
        authRequired: false,
        body: { email: email.input.value.trim(), password: password.input.value },
      });
      adopt(data);
      // The stage decides what comes next there: the app, the two-factor
      // code, or the two-factor enrolment (see app.js).
      navigate(nextTarget(), { replace: true });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) {
        slot.replaceChildren(alertBox('error', serverText(err.detail || err.title, 'auth.invalid_login')));
        password.input.value = '';
        password.input.focus();
      } else if (err.status === 429) {
        slot.replaceChildren(rateLimitBox(err, t('signin.too_many')));
      } else throw err;
    }
  });
  root.replaceChildren(authCard(t('signin.title'), t('signin.lead'), form,
    h('p', { class: 'auth-footer' }, h('a', { href: '/forgot-password' }, t('signin.forgot')))));
  email.input.focus();
}

function passwordForm({ withIdentity, submitLabel, run }) {
  const fields = {};
  if (withIdentity) {
    fields.email = field({ label: t('signin.email'), name: 'email', type: 'email', autocomplete: 'username' });
    fields.name = field({ label: t('staff.full_name'), name: 'name', autocomplete: 'name' });
  }
  fields.password = field({ label: t('signin.password'), name: 'password', type: 'password', autocomplete: 'new-password',
    hint: t('auth.pw_hint') });
  fields.confirm = field({ label: t('auth.confirm_password'), name: 'confirm', type: 'password', autocomplete: 'new-password' });
  const slot = h('div', { class: 'form-messages' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, submitLabel);
  const form = h('form', { class: 'auth-form', novalidate: true }, slot, Object.values(fields).map((f) => f.wrap), button);

  onSubmit(form, button, slot, async () => {
    Object.values(fields).forEach((f) => f.setError(''));
    if (fields.password.input.value !== fields.confirm.input.value) {
      fields.confirm.setError(t('profile.pw.mismatch'));
      fields.confirm.input.focus();
      return;
    }
    try {
      await run(Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.input.value])));
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        const matched = showFieldErrors(err, fields);
        const others = err.fieldErrors.filter((e) => !fields[e.field]);
        if (!matched || others.length) {
          slot.replaceChildren(alertBox('error', sentence(err.title), others.map((e) => `${e.field}: ${e.detail || e.code}`).join('; ') || err.detail));
        }
        return;
      }
      throw err;
    }
  });
  return { form, first: Object.values(fields)[0].input, fields };
}

/**
 * Whether a set-password or reset link still works (POST .../check: uses
 * nothing): true, false, or true when the server could not say (then the
 * form is shown and its answer tells). A 429 is thrown.
 */
async function linkUsable(kind, token, signal) {
  try {
    const { data } = await api('POST', `/api/v1/auth/password/${kind}/check`, { authRequired: false, body: { token }, signal });
    return Boolean(data && data.usable);
  } catch (err) {
    if (isAbort(err) || (err instanceof ApiError && err.status === 429)) throw err;
    return true;
  }
}

/** The page of a link that no longer works, instead of a form that would fail on submit. */
function deadLink(kind) {
  return kind === 'set'
    ? alertBox('error', t('auth.dead_link'), t('auth.dead_set'),
      h('a', { href: '/login', class: 'btn btn-sm' }, t('signin.submit')))
    : alertBox('error', t('auth.dead_link'), t('auth.dead_reset'),
      h('a', { href: '/forgot-password', class: 'btn btn-sm' }, t('auth.request_link')));
}

/** Checks the link before the form is shown; returns the form or what to show instead. */
async function checkedLink(kind, token, signal, form) {
  try {
    return (await linkUsable(kind, token, signal)) ? form : deadLink(kind);
  } catch (err) {
    if (isAbort(err)) throw err;
    return rateLimitBox(err, t('auth.too_many_links'));
  }
}

function missingToken(what) {
  return alertBox('error', t('auth.incomplete'), t(`auth.incomplete_${what.replace(/ /g, '_')}`));
}

export async function setupPage(ctx, root) {
  ctx.setTitle(t('auth.setup_title'));
  const token = tokenFromHash();
  const { form, first } = passwordForm({
    withIdentity: true,
    submitLabel: t('auth.setup_submit'),
    run: async ({ email, name, password }) => {
      try {
        const { data } = await api('POST', '/api/v1/setup', {
          authRequired: false, body: { token, email: email.trim(), name: name.trim(), password },
        });
        adopt(data);
        navigate('/admin/', { replace: true });
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          throw new ApiError(409, { title: t('auth.already_set_up'), detail: t('auth.already_set_up_detail') });
        }
        throw err;
      }
    },
  });
  root.replaceChildren(authCard(t('auth.setup_heading'), t('auth.setup_lead'),
    token ? form : missingToken('setup'),
    h('p', { class: 'auth-footer' }, h('a', { href: '/login' }, t('auth.back_signin')))));
  if (token) first.focus();
}

export async function setPasswordPage(ctx, root) {
  ctx.setTitle(t('auth.set_title'));
  const token = tokenFromHash();
  const { form, first } = passwordForm({
    withIdentity: false,
    submitLabel: t('auth.set_submit'),
    run: async ({ password }) => {
      const { data } = await api('POST', '/api/v1/auth/password/set', { authRequired: false, body: { token, password } });
      adopt(data);
      navigate('/admin/', { replace: true });
    },
  });
  root.replaceChildren(authCard(t('auth.set_title'), t('auth.set_lead'),
    h('p', { class: 'loading', role: 'status' }, t('auth.checking'))));
  const body = token ? await checkedLink('set', token, ctx.signal, form) : missingToken('password');
  if (ctx.signal.aborted) return;
  root.replaceChildren(authCard(t('auth.set_title'), t('auth.set_lead'), body,
    h('p', { class: 'auth-footer' }, h('a', { href: '/login' }, t('auth.back_signin')))));
  if (body === form) first.focus();
}

/**
 * The forced "change your password" screen: shown instead of every admin
 * route while /auth/me says must_change_password (a temporary password).
 * On success the server starts a new session; `onDone` continues to the
 * page the member asked for.
 */
export function changePasswordPage(onDone) {
  return async function renderChange(ctx, root) {
    ctx.setTitle(t('auth.change_title'));
    const staff = me();
    // A temporary password, or one older than the maximum age (settings).
    const fields = {
      current_password: field({ label: t('auth.current_temp'), name: 'current_password', type: 'password',
        autocomplete: 'current-password' }),
      new_password: field({ label: t('profile.pw.new'), name: 'new_password', type: 'password', autocomplete: 'new-password',
        hint: t('auth.new_hint') }),
      confirm: field({ label: t('profile.pw.confirm'), name: 'confirm', type: 'password', autocomplete: 'new-password' }),
    };
    const slot = h('div', { class: 'form-messages', tabindex: '-1' });
    const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('auth.change_submit'));
    // A hidden username field lets password managers file the new password under the right account.
    const username = h('input', { type: 'email', name: 'username', autocomplete: 'username', value: staff ? staff.email : '',
      class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true', readOnly: true });
    const form = h('form', { class: 'auth-form', novalidate: true }, slot, username,
      Object.values(fields).map((f) => f.wrap), button);
    const signOut = h('button', { type: 'button', class: 'btn btn-ghost btn-sm' }, t('shell.sign_out'));
    signOut.addEventListener('click', async () => {
      try { await logout(); } catch { /* gone either way */ }
      navigate('/login', { replace: true });
    });

    onSubmit(form, button, slot, async () => {
      Object.values(fields).forEach((f) => f.setError(''));
      const cur = fields.current_password.input.value;
      const pw = fields.new_password.input.value;
      const missing = [['current_password', cur], ['new_password', pw]].filter(([, v]) => !v);
      if (missing.length) {
        for (const [k] of missing) fields[k].setError(t('error.required'));
        fields[missing[0][0]].input.focus();
        return;
      }
      if (pw !== fields.confirm.input.value) {
        fields.confirm.setError(t('profile.pw.mismatch'));
        fields.confirm.input.focus();
        return;
      }
      try {
        const { data } = await api('POST', '/api/v1/auth/password/change', {
          body: { current_password: cur, new_password: pw },
        });
        adopt(data);
        onDone();
      } catch (err) {
        if (err instanceof ApiError && err.status === 422) {
          const matched = showFieldErrors(err, fields);
          const others = err.fieldErrors.filter((e) => !fields[e.field]);
          if (!matched || others.length) {
            slot.replaceChildren(alertBox('error', sentence(err.title),
              others.map((e) => `${e.field}: ${e.detail || e.code}`).join('; ') || err.detail));
          }
          return;
        }
        throw err;
      }
    });
    root.replaceChildren(authCard(t('auth.change_title'),
      staff && staff.name ? t('auth.change_lead_name', { name: staff.name }) : t('auth.change_lead'),
      form,
      h('p', { class: 'auth-footer' }, signOut)));
    fields.current_password.input.focus();
  };
}

/** "Sign out" for the screens shown before the app (code, enrolment). */
function signOutButton(label = t('shell.sign_out')) {
  const btn = h('button', { type: 'button', class: 'btn btn-ghost btn-sm' }, label);
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try { await logout(); } catch { /* gone either way */ }
    navigate('/login', { replace: true });
  });
  return btn;
}

/**
 * The second sign-in step (session stage "mfa"): the 6-digit code from the
 * authenticator app, or a recovery code. Shown instead of every admin route
 * until it succeeds (so a reload comes back here); `onDone` continues to the
 * page that was asked for.
 */
export function twoFactorPage(onDone) {
  return async function renderTwoFactor(ctx, root) {
    ctx.setTitle(t('sec.twofa'));
    const staff = me();
    // The name the authenticator app lists this account under (the
    // company name when they enrolled), not ours.
    let issuer = '';
    try {
      const { data } = await api('GET', '/api/v1/auth/2fa', { authRequired: false, signal: ctx.signal });
      issuer = (data && data.issuer) || '';
    } catch (err) {
      if (isAbort(err)) return;
    }
    let recovery = false;
    let code = codeControl();
    const slot = h('div', { class: 'form-messages', tabindex: '-1' });
    const fieldSlot = h('div', { class: 'code-slot' }, code.wrap);
    const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('auth.verify'));
    const toggle = h('button', { type: 'button', class: 'btn btn-ghost btn-sm link-button' }, t('auth.use_recovery'));
    // A hidden username lets password managers offer the code for the right account.
    const username = h('input', { type: 'email', name: 'username', autocomplete: 'username', value: staff ? staff.email : '',
      class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true', readOnly: true });
    const form = h('form', { class: 'auth-form', novalidate: true, 'aria-label': t('auth.twofa_code') },
      slot, username, fieldSlot, button, h('div', { class: 'auth-switch' }, toggle));
    const subtitle = h('p', { class: 'muted auth-subtitle' });
    const paintSubtitle = () => {
      subtitle.textContent = recovery
        ? t('auth.recovery_lead')
        : issuer ? t('auth.app_lead_issuer', { issuer }) : t('auth.app_lead');
    };
    paintSubtitle();
    toggle.addEventListener('click', () => {
      recovery = !recovery;
      code = codeControl({ recovery });
      fieldSlot.replaceChildren(code.wrap);
      toggle.textContent = recovery ? t('auth.use_app_code') : t('auth.use_recovery');
      slot.replaceChildren();
      paintSubtitle();
      code.focus();
    });

    const card = authCardOf({ title: t('sec.twofa') }, subtitle, form,
      h('p', { class: 'auth-footer' }, staff ? h('span', { class: 'muted' }, staff.email) : null, ' ', signOutButton(t('auth.not_you'))));
    const cardBody = card.querySelector('.auth-card');

    const remainingNotice = (left) => {
      const n = Number(left) || 0;
      const go = h('a', { href: '/admin/profile/security', class: 'btn btn-primary btn-block' }, t('auth.generate_codes'));
      const next = h('button', { type: 'button', class: 'btn btn-block' }, t('auth.continue'));
      next.addEventListener('click', () => onDone());
      const title = h('h1', { class: 'auth-title', tabindex: '-1' }, t('auth.used_recovery'));
      cardBody.replaceChildren(cardBody.firstChild, title,
        h('div', { class: 'auth-form' },
          alertBox(n <= 2 ? 'warning' : 'info', t('auth.codes_left', { count: n }),
            n === 0 ? t('auth.no_codes_left') : t('auth.code_used')),
          go, next));
      title.focus();
    };

    onSubmit(form, button, slot, async () => {
      code.setError('');
      const value = code.value();
      if (value === null) { code.focus(); return; }
      try {
        const { data } = await api('POST', '/api/v1/auth/2fa/verify', { authRequired: false, body: { code: value } });
        adopt(data);
        if (data.recovery_codes_remaining != null) remainingNotice(data.recovery_codes_remaining);
        else onDone();
      } catch (err) {
        if (isAbort(err) || !(err instanceof ApiError)) throw err;
        if (err.status === 401) {
          // A wrong or reused code, or the 10-minute sign-in step ran out.
          const alive = await api('GET', '/api/v1/auth/me', { authRequired: false }).then(() => true, () => false);
          if (!alive) {
            slot.replaceChildren(alertBox('error', t('auth.signin_expired'), t('auth.signin_expired_detail'),
              h('a', { href: '/login', class: 'btn btn-sm' }, t('again.form'))));
            return;
          }
          code.setError(recovery ? `${serverText(err.detail || 'the code was not accepted', 'auth.code_not_accepted')}.`
            : `${serverText(err.detail || 'the code was not accepted', 'auth.code_not_accepted')}. ${t('auth.wait_next')}`);
          code.input.value = '';
          code.focus();
        } else if (err.status === 429) {
          slot.replaceChildren(rateLimitBox(err, t('auth.too_many_codes')));
          slot.focus();
        } else if (err.status === 422) {
          const e = err.fieldErrors.find((x) => x.field === 'code');
          code.setError(e ? errorMessage(e) : sentence(err.detail));
          code.focus();
        } else throw err;
      }
    });
    root.replaceChildren(card);
    code.focus();
  };
}

/**
 * Forced enrolment (session stage "enrol"): 2FA is required for the account
 * and not set up, so every route shows only this until it is done.
 */
export function enrolmentPage(onDone) {
  return async function renderEnrolment(ctx, root) {
    ctx.setTitle(t('auth.enrol_title'));
    const staff = me();
    const body = h('div', { class: 'enrol-body' });
    const start = h('button', { type: 'button', class: 'btn btn-primary' }, t('auth.enrol_title'));
    body.append(
      alertBox('info', t('auth.enrol_required'),
        `${staff && staff.admin ? t('auth.enrol_admins') : t('auth.enrol_role')} ${t('auth.enrol_until')}`),
      h('p', null, t('auth.enrol_lead')),
      h('ol', { class: 'plain-steps' },
        h('li', null, t('auth.enrol_step1')),
        h('li', null, t('auth.enrol_step2')),
        h('li', null, t('auth.enrol_step3'))),
      h('div', { class: 'step-actions' }, start));
    start.addEventListener('click', () => runEnrolment(body, { onDone: () => onDone(), level: 2 }));
    root.replaceChildren(authCardOf({ title: t('auth.enrol_title'), wide: true,
      subtitle: staff ? t('auth.signed_in_as', { name: staff.name || staff.email }) : null },
    body, h('p', { class: 'auth-footer' }, signOutButton())));
    start.focus();
  };
}

/** /forgot-password: asks for the email; the answer is the same for every address. */
export async function forgotPasswordPage(ctx, root) {
  ctx.setTitle(t('signin.forgot'));
  const email = field({ label: t('signin.email'), name: 'email', type: 'email', autocomplete: 'username',
    hint: t('auth.forgot_hint') });
  const slot = h('div', { class: 'form-messages', tabindex: '-1' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('auth.send_reset'));
  const form = h('form', { class: 'auth-form', novalidate: true }, slot, email.wrap, button);
  const body = h('div', null, form);
  onSubmit(form, button, slot, async () => {
    email.setError('');
    const value = email.input.value.trim();
    if (!value) { email.setError(t('auth.enter_email')); email.input.focus(); return; }
    try {
      const { data } = await api('POST', '/api/v1/auth/password/forgot', { authRequired: false, body: { email: value } });
      const title = h('p', { class: 'alert-title' }, t('auth.check_email'));
      body.replaceChildren(h('div', { class: 'auth-form' },
        h('div', { class: 'alert alert-success', role: 'status' }, title,
          h('p', { class: 'alert-detail', 'data-testid': 'forgot-message' },
            serverText(data && data.message, 'auth.forgot_sent'))),
        h('p', { class: 'muted' }, t('auth.forgot_once'))));
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        const e = err.fieldErrors.find((x) => x.field === 'email');
        if (e) { email.setError(errorMessage(e)); email.input.focus(); return; }
      }
      if (err instanceof ApiError && err.status === 429) { slot.replaceChildren(rateLimitBox(err)); return; }
      throw err;
    }
  });
  root.replaceChildren(authCard(t('signin.forgot'), t('auth.forgot_lead'), body,
    h('p', { class: 'auth-footer' }, h('a', { href: '/login' }, t('auth.back_signin')))));
  email.input.focus();
}

/** /reset-password#token=…: a new password; then on by the session's stage. */
export async function resetPasswordPage(ctx, root) {
  ctx.setTitle(t('auth.reset_title'));
  const token = tokenFromHash();
  const { form, first } = passwordForm({
    withIdentity: false,
    submitLabel: t('auth.reset_submit'),
    run: async ({ password }) => {
      try {
        const { data } = await api('POST', '/api/v1/auth/password/reset', { authRequired: false, body: { token, password } });
        adopt(data);
        navigate('/admin/', { replace: true });
      } catch (err) {
        if (err instanceof ApiError && err.status === 403) {
          throw new ApiError(403, { title: t('auth.link_unusable'),
            detail: `${serverText(err.detail || 'the link is invalid, used or expired', 'auth.link_invalid')}. ${t('auth.request_below')}` });
        }
        throw err;
      }
    },
  });
  root.replaceChildren(authCard(t('auth.reset_title'), t('auth.reset_lead'),
    h('p', { class: 'loading', role: 'status' }, t('auth.checking'))));
  const body = token ? await checkedLink('reset', token, ctx.signal, form) : missingToken('password reset');
  if (ctx.signal.aborted) return;
  root.replaceChildren(authCard(t('auth.reset_title'), t('auth.reset_lead'), body,
    h('p', { class: 'auth-footer' }, h('a', { href: '/forgot-password' }, t('auth.request_link')), ' · ',
      h('a', { href: '/login' }, t('auth.back_signin')))));
  if (body === form) first.focus();
}

/**
 * /confirm-email#token=…: one side of a sign-in email change (the links go
 * to the current and the new address). Nothing is sent before the click,
 * so a mail scanner that opens links confirms nothing.
 */
export async function confirmEmailPage(ctx, root) {
  ctx.setTitle(t('auth.email_title'));
  const token = tokenFromHash();
  const slot = h('div', { class: 'form-messages', tabindex: '-1', 'data-testid': 'confirm-result' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('auth.email_confirm'));
  const form = h('form', { class: 'auth-form', novalidate: true }, slot, button);
  onSubmit(form, button, slot, async () => {
    const { data } = await api('POST', '/api/v1/auth/email/confirm', { authRequired: false, body: { token } });
    form.replaceChildren(slot);
    slot.replaceChildren(data.email_changed
      ? alertBox('success', t('auth.email_changed'), t('auth.email_changed_detail'))
      : alertBox('info', t('auth.email_confirmed_here'), data.waiting_for === 'current'
        ? t('auth.email_wait_current') : t('auth.email_wait_new')));
    slot.focus();
  });
  root.replaceChildren(authCard(t('auth.email_title'), t('auth.email_lead'),
    token ? form : missingToken('confirmation'),
    h('p', { class: 'auth-footer' }, h('a', { href: '/login' }, t('auth.back_signin')))));
  if (token) button.focus();
}

export const routes = [
  ['/login', loginPage, { public: true }],
  ['/setup', setupPage, { public: true }],
  ['/set-password', setPasswordPage, { public: true }],
  ['/forgot-password', forgotPasswordPage, { public: true }],
  ['/reset-password', resetPasswordPage, { public: true }],
  ['/confirm-email', confirmEmailPage, { public: true }],
];
export const nav = [];
