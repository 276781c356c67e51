// The portal's pages before sign-in: sign in (then the two-factor code
// when the contact has it on), forgotten password, and setting a password
// from an emailed link (/portal/set-password#token=...: the token stays in
// the fragment, which browsers never send, and goes to the server only in
// a JSON body).
import { h } from '../js/dom.js';
import { api, ApiError } from '../js/api.js';
import { language, t } from '../js/i18n.js';
import { brandElement } from '../js/branding.js';
import { AUTH, adopt, forget, logout, me, stage } from './session.js';
import { navigate } from './router.js';
import { alertBox, field, missing, onSubmit, sentence, waitBox } from './ui.js';

/** Where to go after sign-in: the `?next=` portal page, else the portal's start. */
export function nextTarget() {
  const next = new URLSearchParams(location.search).get('next') || '';
  const ok = /^\/portal\/[a-z]/.test(next) && !/^\/portal\/(sign-in|forgot-password|set-password)\b/.test(next);
  return ok ? next : '/portal';
}

/** The card every page before sign-in sits in. */
function card(title, lead, ...content) {
  return h('main', { id: 'main', class: 'auth' },
    h('div', { class: 'auth-card' },
      brandElement('div', { class: 'brand brand-lg' }),
      h('p', { class: 'muted portal-realm' }, t('portal.name')),
      h('h1', { class: 'auth-title page-title', tabindex: '-1' }, title),
      lead ? h('p', { class: 'muted auth-subtitle' }, lead) : null,
      ...content));
}

const footer = (...links) => h('p', { class: 'auth-footer' }, links);
const messages = () => h('div', { class: 'form-messages', tabindex: '-1' });

/* The alert of a refused sign-in or code: 401 in the server's words (in
 * English), 429/503 with the wait in words. Returns null for anything else. */
function refusal(err, fallbackKey) {
  if (!(err instanceof ApiError)) return null;
  if (err.status === 429 || err.status === 503) return waitBox(err);
  if (err.status === 401) {
    const english = !language() || language() === 'en';
    return alertBox('error', english && err.detail ? sentence(err.detail) : t(fallbackKey));
  }
  return null;
}

/* The two-factor step: the code from the contact's app. */
function codeStep(ctx, root) {
  ctx.setTitle(t('portal.mfa.title'));
  const fields = {
    code: field({ name: 'code', label: t('portal.mfa.code'), hint: t('portal.mfa.code_hint'), inputmode: 'numeric',
      autocomplete: 'one-time-code', required: true }),
  };
  const slot = messages();
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('portal.mfa.submit'));
  const form = h('form', { class: 'auth-form', novalidate: true }, slot, fields.code.wrap, button);
  onSubmit(form, button, slot, fields, async () => {
    if (missing(fields)) return;
    try {
      const { data } = await api('POST', `${AUTH}/totp`, { authRequired: false, body: { code: fields.code.value().replace(/\s+/g, '') } });
      adopt(data);
      navigate(nextTarget(), { replace: true });
    } catch (err) {
      const box = refusal(err, 'portal.mfa.refused');
      if (!box) throw err;
      slot.replaceChildren(box);
      fields.code.input.value = '';
      fields.code.focus();
    }
  });
  const other = h('button', { type: 'button', class: 'btn btn-ghost btn-sm' }, t('portal.mfa.other_account'));
  other.addEventListener('click', async () => {
    await logout().catch(() => {});
    navigate(`/portal/sign-in${location.search}`, { replace: true });
  });
  root.replaceChildren(card(t('portal.mfa.title'), t('portal.mfa.lead'), form, footer(other)));
  fields.code.focus();
}

/** /portal/sign-in: email and password, then the code when two-factor is on. */
export async function signInPage(ctx, root) {
  if (me() && stage() === 'mfa') { codeStep(ctx, root); return; }
  if (me()) { navigate(nextTarget(), { replace: true }); return; }
  ctx.setTitle(t('portal.signin.title'));
  const reason = ctx.query.get('reason');
  const notice = reason === 'ended' ? alertBox('info', t('portal.signin.ended'))
    : reason === 'password_set' ? alertBox('success', t('portal.set.done'), t('portal.set.done_detail'))
      : reason === 'signed_out' ? alertBox('success', t('portal.signin.signed_out')) : null;
  const fields = {
    email: field({ name: 'email', label: t('portal.signin.email'), type: 'email', autocomplete: 'username', required: true }),
    password: field({ name: 'password', label: t('portal.signin.password'), type: 'password',
      autocomplete: 'current-password', required: true }),
  };
  const slot = messages();
  if (notice) slot.append(notice);
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('portal.signin.submit'));
  const form = h('form', { class: 'auth-form', novalidate: true }, slot, fields.email.wrap, fields.password.wrap, button);
  onSubmit(form, button, slot, fields, async () => {
    if (missing(fields)) return;
    try {
      const { data } = await api('POST', `${AUTH}/login`, {
        authRequired: false, body: { email: fields.email.value(), password: fields.password.input.value },
      });
      adopt(data);
      // The page draws itself again for who signed in (portal.js): their
      // language and, with two-factor on, the code step first.
      navigate(stage() === 'mfa' ? `/portal/sign-in${location.search}` : nextTarget(), { replace: true });
    } catch (err) {
      const box = refusal(err, 'portal.signin.invalid');
      if (!box) throw err;
      slot.replaceChildren(box);
      fields.password.input.value = '';
      fields.password.focus();
    }
  });
  root.replaceChildren(card(t('portal.signin.title'), t('portal.signin.lead'), form,
    footer(h('a', { href: '/portal/forgot-password' }, t('portal.signin.forgot')))));
  if (!ctx.navigated) fields.email.focus();
}

/** /portal/forgot-password: asks for a link; the answer never says whether the address is known. */
export async function forgotPage(ctx, root) {
  ctx.setTitle(t('portal.forgot.title'));
  const fields = { email: field({ name: 'email', label: t('portal.signin.email'), type: 'email', autocomplete: 'username', required: true }) };
  const slot = messages();
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('portal.forgot.submit'));
  const form = h('form', { class: 'auth-form', novalidate: true }, slot, fields.email.wrap, button);
  const body = h('div', null, form);
  onSubmit(form, button, slot, fields, async () => {
    if (missing(fields)) return;
    try {
      await api('POST', `${AUTH}/forgot`, { authRequired: false, body: { email: fields.email.value() } });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 429 || err.status === 503)) {
        slot.replaceChildren(waitBox(err));
        slot.focus();
        return;
      }
      throw err;
    }
    const done = alertBox('success', t('portal.forgot.sent'), t('portal.forgot.sent_detail'));
    done.setAttribute('tabindex', '-1');
    body.replaceChildren(done);
    done.focus();
  });
  root.replaceChildren(card(t('portal.forgot.title'), t('portal.forgot.lead'), body,
    footer(h('a', { href: '/portal/sign-in' }, t('portal.back_signin')))));
  if (!ctx.navigated) fields.email.focus();
}

function tokenFromHash() {
  return new URLSearchParams(location.hash.replace(/^#/, '')).get('token') || '';
}

/** /portal/set-password#token=...: the contact's first password (invitation) or a new one (reset). */
export async function setPasswordPage(ctx, root) {
  ctx.setTitle(t('portal.set.title'));
  // Whoever was signed in at this browser is not who the link is for.
  if (me()) { await logout().catch(() => {}); forget(); }
  const token = tokenFromHash();
  const again = h('a', { href: '/portal/forgot-password', class: 'btn btn-sm' }, t('portal.set.new_link'));
  if (!token) {
    root.replaceChildren(card(t('portal.set.title'), null, alertBox('error', t('portal.set.incomplete'),
      t('portal.set.incomplete_detail'), again), footer(h('a', { href: '/portal/sign-in' }, t('portal.back_signin')))));
    return;
  }
  const fields = {
    password: field({ name: 'password', label: t('portal.set.password'), type: 'password', autocomplete: 'new-password',
      hint: t('portal.password_hint'), required: true }),
    confirm: field({ name: 'confirm', label: t('portal.set.confirm'), type: 'password', autocomplete: 'new-password', required: true }),
  };
  const slot = messages();
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('portal.set.submit'));
  const form = h('form', { class: 'auth-form', novalidate: true }, slot, fields.password.wrap, fields.confirm.wrap, button);
  onSubmit(form, button, slot, fields, async () => {
    if (missing(fields)) return;
    if (fields.password.input.value !== fields.confirm.input.value) {
      fields.confirm.setError(t('portal.password_mismatch'));
      fields.confirm.focus();
      return;
    }
    try {
      await api('POST', `${AUTH}/set-password`, { authRequired: false, body: { token, password: fields.password.input.value } });
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && err.fieldErrors.some((e) => e.field === 'token')) {
        slot.replaceChildren(alertBox('error', t('portal.set.dead'), t('portal.set.dead_detail'), again));
        slot.focus();
        return;
      }
      if (err instanceof ApiError && (err.status === 429 || err.status === 503)) {
        slot.replaceChildren(waitBox(err));
        slot.focus();
        return;
      }
      throw err;
    }
    navigate('/portal/sign-in?reason=password_set', { replace: true });
  });
  root.replaceChildren(card(t('portal.set.title'), t('portal.set.lead'), form,
    footer(h('a', { href: '/portal/sign-in' }, t('portal.back_signin')))));
  if (!ctx.navigated) fields.password.focus();
}
