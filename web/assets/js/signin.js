// Signing in again in place. When the session ends under a page (its idle
// limit, its maximum length, signed out elsewhere), the page stays as it
// is and this dialog asks for the password, then the two-factor code when
// the account has one. The same member signed in again: the request that
// found the session gone is sent once more (api.js), with the new CSRF
// token, and nothing typed is lost. Another member signing in at this
// screen gets a fresh page: nobody sends their predecessor's edits.
import { h } from './dom.js';
import { api, ApiError } from './api.js';
import { adopt, me } from './session.js';
import { alertBox, modal, problemBox, rateLimitBox, sentence, serverText, toast } from './ui.js';
import { control, passwordMessage } from './forms.js';
import { t } from './i18n.js';

let pending = null;

/**
 * Asks the member to sign in again. Resolves 'same' (the same member is
 * signed in again, fully), 'other' (someone else signed in, or the sign-in
 * needs a screen of its own first: a password change, 2FA enrolment) or
 * 'leave' (they chose the sign-in page). Callers at the same time share
 * one dialog. reason: 'idle' (the idle limit passed) or undefined.
 */
export function signInAgain(reason) {
  if (!pending) pending = run(reason).finally(() => { pending = null; });
  return pending;
}

async function run(reason) {
  const previous = me();
  const returnFocus = document.activeElement;
  const dlg = modal({ title: reason === 'idle' ? t('again.title_idle') : t('again.title_ended'), returnFocus });
  dlg.dialog.dataset.testid = 'signin-again';
  // A decision is needed: Escape does not dismiss it.
  dlg.dialog.addEventListener('cancel', (ev) => ev.preventDefault());

  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const email = control({ name: 'email', label: t('signin.email'), type: 'email', required: true, autocomplete: 'username' });
  const password = control({ name: 'password', label: t('signin.password'), type: 'password', required: true,
    autocomplete: 'current-password' });
  if (previous) email.set(previous.email);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('signin.submit'));
  const leave = h('button', { type: 'button', class: 'btn' }, t('again.leave'));
  leave.addEventListener('click', () => dlg.close('leave'));
  const lead = h('p', { class: 'dialog-body' },
    `${reason === 'idle' ? t('again.lead_idle') : t('again.lead_ended')} `, t('again.lead'));
  const fields = h('div', { class: 'dialog-form' }, email.wrap, password.wrap);
  const form = h('form', { novalidate: true, class: 'dialog-form', 'aria-label': t('again.form') },
    lead, messages, fields, h('div', { class: 'dialog-actions' }, leave, submit));
  dlg.body.append(form);
  (previous ? password : email).focus();

  let code = null; // the second step's control, once the password was right

  const finish = (data) => {
    adopt(data);
    if (data.recovery_codes_remaining != null) {
      toast(t('auth.recovery_left', { count: data.recovery_codes_remaining }), 'info');
    }
    const sameMember = previous && data.staff && data.staff.id === previous.id;
    const ready = data.stage === 'full' && !data.staff.must_change_password;
    dlg.close(sameMember && ready ? 'same' : 'other');
  };

  const secondStep = async () => {
    let issuer = '';
    try {
      const { data } = await api('GET', '/api/v1/auth/2fa', { authRequired: false });
      issuer = (data && data.issuer) || '';
    } catch { /* the hint names no issuer */ }
    code = control({ name: 'code', label: t('auth.code_label'), required: true, autocomplete: 'one-time-code',
      hint: issuer ? t('auth.code_hint_issuer', { issuer }) : t('auth.code_hint') });
    code.input.setAttribute('inputmode', 'numeric');
    code.input.classList.add('input-otp');
    fields.replaceChildren(code.wrap);
    lead.textContent = t('auth.password_right');
    submit.textContent = t('auth.verify');
    code.focus();
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    messages.replaceChildren();
    submit.disabled = true;
    try {
      if (!code) {
        email.setError('');
        password.setError('');
        const body = { email: (email.get() || ''), password: password.input.value };
        if (!body.email) { email.setError(t('auth.enter_email')); email.focus(); return; }
        if (!body.password) { password.setError(t('auth.enter_password')); password.focus(); return; }
        const { data } = await api('POST', '/api/v1/auth/login', { body, authRequired: false });
        if (data.stage === 'mfa') {
          adopt(data);
          await secondStep();
        } else {
          finish(data);
        }
        return;
      }
      code.setError('');
      const value = code.input.value.trim();
      if (!value) { code.setError(t('auth.enter_code')); code.focus(); return; }
      const { data } = await api('POST', '/api/v1/auth/2fa/verify', { body: { code: value }, authRequired: false });
      finish(data);
    } catch (err) {
      const show = (box) => { messages.replaceChildren(box); messages.focus(); };
      if (!(err instanceof ApiError)) { show(problemBox(err)); return; }
      if (err.status === 429) {
        show(rateLimitBox(err, code ? t('auth.too_many_codes') : t('signin.too_many')));
      } else if (!code && err.status === 401) {
        messages.replaceChildren(alertBox('error', serverText(err.detail, 'auth.invalid_login')));
        password.input.value = '';
        password.focus();
      } else if (code && err.status === 401) {
        code.setError(`${serverText(err.detail || 'the code was not accepted', 'auth.code_not_accepted')}.`);
        code.input.value = '';
        code.focus();
      } else if (err.status === 422) {
        const e = err.fieldErrors[0];
        const target = code || (e && e.field === 'email' ? email : password);
        target.setError(e ? (e.field === 'password' ? passwordMessage(e) : sentence(e.detail || e.code)) : sentence(err.detail));
        target.focus();
      } else {
        show(problemBox(err));
      }
    } finally {
      submit.disabled = false;
    }
  });

  const outcome = await dlg.result;
  return outcome === 'same' || outcome === 'other' ? outcome : 'leave';
}
