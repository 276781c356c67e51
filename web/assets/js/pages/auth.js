// Pages outside the app shell: sign in, first-admin setup, set password.
import { h, nextId } from '../dom.js';
import { api, ApiError } from '../api.js';
import { adopt, loadMe, logout, me } from '../session.js';
import { navigate } from '../router.js';
import { alertBox, problemBox, sentence } from '../ui.js';
import { themeToggle } from '../theme.js';

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
  return h('main', { id: 'main', class: 'auth' },
    h('div', { class: 'auth-theme' }, themeToggle()),
    h('div', { class: 'auth-card' },
      h('div', { class: 'brand brand-lg' },
        h('img', { src: '/assets/favicon.svg', alt: '', class: 'brand-mark' }),
        h('span', { class: 'brand-name' }, 'Atrium')),
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
    f.setError(sentence(e.detail || e.code));
    first = first || f.input;
  }
  if (first) first.focus();
  return Boolean(first);
}

export async function loginPage(ctx, root) {
  ctx.setTitle('Sign in');
  // Already signed in? Go straight on.
  try {
    await loadMe(ctx.signal);
    navigate(nextTarget(), { replace: true });
    return;
  } catch (err) {
    if (err.name === 'AbortError') return;
  }
  const email = field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'username' });
  const password = field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const slot = h('div', { class: 'form-messages' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in');
  const form = h('form', { class: 'auth-form', novalidate: true }, slot, email.wrap, password.wrap, button);

  onSubmit(form, button, slot, async () => {
    try {
      const { data } = await api('POST', '/api/v1/auth/login', {
        authRequired: false,
        body: { email: email.input.value.trim(), password: password.input.value },
      });
      adopt(data);
      navigate(nextTarget(), { replace: true });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) {
        slot.replaceChildren(alertBox('error', sentence(err.detail || err.title || 'Invalid email or password')));
        password.input.value = '';
        password.input.focus();
      } else if (err.status === 429) {
        const s = err.retryAfter;
        const wait = s == null ? 'a little while' : s < 90 ? `${s} second${s === 1 ? '' : 's'}` : `${Math.ceil(s / 60)} minutes`;
        slot.replaceChildren(alertBox('warning', 'Too many sign-in attempts',
          `For your security, sign-in is paused. Try again in ${wait}.`));
      } else throw err;
    }
  });
  root.replaceChildren(authCard('Sign in', 'Administration and security for your CRM.', form));
  email.input.focus();
}

function passwordForm({ withIdentity, submitLabel, run }) {
  const fields = {};
  if (withIdentity) {
    fields.email = field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'username' });
    fields.name = field({ label: 'Full name', name: 'name', autocomplete: 'name' });
  }
  fields.password = field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'new-password',
    hint: 'A long passphrase of several words is best. The server tells you if it is too weak.' });
  fields.confirm = field({ label: 'Confirm password', name: 'confirm', type: 'password', autocomplete: 'new-password' });
  const slot = h('div', { class: 'form-messages' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, submitLabel);
  const form = h('form', { class: 'auth-form', novalidate: true }, slot, Object.values(fields).map((f) => f.wrap), button);

  onSubmit(form, button, slot, async () => {
    Object.values(fields).forEach((f) => f.setError(''));
    if (fields.password.input.value !== fields.confirm.input.value) {
      fields.confirm.setError('The passwords do not match.');
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
  return { form, first: Object.values(fields)[0].input };
}

function missingToken(what) {
  return alertBox('error', 'This link is incomplete',
    `The ${what} link must end in #token=…. Copy the whole link from where you received it.`);
}

export async function setupPage(ctx, root) {
  ctx.setTitle('Set up Atrium');
  const token = tokenFromHash();
  const { form, first } = passwordForm({
    withIdentity: true,
    submitLabel: 'Create administrator',
    run: async ({ email, name, password }) => {
      try {
        const { data } = await api('POST', '/api/v1/setup', {
          authRequired: false, body: { token, email: email.trim(), name: name.trim(), password },
        });
        adopt(data);
        navigate('/admin/', { replace: true });
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          throw new ApiError(409, { title: 'Atrium is already set up', detail: 'An administrator exists. Sign in instead.' });
        }
        throw err;
      }
    },
  });
  root.replaceChildren(authCard('Create the first administrator',
    'This account has full access. You can invite your team afterwards.',
    token ? form : missingToken('setup'),
    h('p', { class: 'auth-footer' }, h('a', { href: '/login' }, 'Back to sign in'))));
  if (token) first.focus();
}

export async function setPasswordPage(ctx, root) {
  ctx.setTitle('Set your password');
  const token = tokenFromHash();
  const { form, first } = passwordForm({
    withIdentity: false,
    submitLabel: 'Set password',
    run: async ({ password }) => {
      const { data } = await api('POST', '/api/v1/auth/password/set', { authRequired: false, body: { token, password } });
      adopt(data);
      navigate('/admin/', { replace: true });
    },
  });
  root.replaceChildren(authCard('Set your password', 'Choose the password you will sign in with.',
    token ? form : missingToken('password'),
    h('p', { class: 'auth-footer' }, h('a', { href: '/login' }, 'Back to sign in'))));
  if (token) first.focus();
}

/**
 * The forced "change your password" screen: shown instead of every admin
 * route while /auth/me says must_change_password (a temporary password).
 * On success the server starts a new session; `onDone` continues to the
 * page the member asked for.
 */
export function changePasswordPage(onDone) {
  return async function renderChange(ctx, root) {
    ctx.setTitle('Change your password');
    const staff = me();
    const fields = {
      current_password: field({ label: 'Current (temporary) password', name: 'current_password', type: 'password',
        autocomplete: 'current-password' }),
      new_password: field({ label: 'New password', name: 'new_password', type: 'password', autocomplete: 'new-password',
        hint: 'Different from the temporary one. A long passphrase of several words is best.' }),
      confirm: field({ label: 'Confirm new password', name: 'confirm', type: 'password', autocomplete: 'new-password' }),
    };
    const slot = h('div', { class: 'form-messages', tabindex: '-1' });
    const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Change password and continue');
    // A hidden username field lets password managers file the new password under the right account.
    const username = h('input', { type: 'email', name: 'username', autocomplete: 'username', value: staff ? staff.email : '',
      class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true', readOnly: true });
    const form = h('form', { class: 'auth-form', novalidate: true }, slot, username,
      Object.values(fields).map((f) => f.wrap), button);
    const signOut = h('button', { type: 'button', class: 'btn btn-ghost btn-sm' }, 'Sign out');
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
        for (const [k] of missing) fields[k].setError('This field is required.');
        fields[missing[0][0]].input.focus();
        return;
      }
      if (pw !== fields.confirm.input.value) {
        fields.confirm.setError('The passwords do not match.');
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
    root.replaceChildren(authCard('Change your password',
      `${staff && staff.name ? `${staff.name}, you` : 'You'} signed in with a temporary password. Choose your own password to continue.`,
      form,
      h('p', { class: 'auth-footer' }, signOut)));
    fields.current_password.input.focus();
  };
}
