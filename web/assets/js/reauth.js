// Re-authentication: the server answers 403 `reauth-required` for a step
// that could take the account over (turning two-factor authentication off,
// new recovery codes, resetting one's own 2FA, changing one's email). This
// dialog asks for the password, and the authenticator code when 2FA is
// on, sends POST /api/v1/auth/reauth, and api() retries the request.
import { h } from './dom.js';
import { api, ApiError } from './api.js';
import { alertBox, modal, problemBox, rateLimitBox } from './ui.js';
import { control, passwordMessage } from './forms.js';
import { t } from './i18n.js';

/** Resolves true once re-authenticated, false when cancelled. */
export async function reauthDialog() {
  let twofa = true;
  let issuer = '';
  try {
    const { data } = await api('GET', '/api/v1/auth/2fa', { reauth: false });
    twofa = Boolean(data && data.enabled);
    issuer = (data && data.issuer) || '';
  } catch { /* ask for the code anyway: the server says when it is not needed */ }
  const returnFocus = document.activeElement;
  const dlg = modal({ title: t('reauth.title'), returnFocus });
  const pw = control({ name: 'password', label: t('reauth.password'), type: 'password', required: true,
    autocomplete: 'current-password' });
  const code = twofa ? control({ name: 'code', label: t('auth.code_label'), required: true,
    autocomplete: 'one-time-code',
    hint: issuer ? t('auth.code_hint_issuer', { issuer }) : t('reauth.code_hint') }) : null;
  if (code) code.input.setAttribute('inputmode', 'numeric');
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const ok = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.confirm'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  cancel.addEventListener('click', () => dlg.close(false));
  const form = h('form', { novalidate: true, class: 'dialog-form', 'data-testid': 'reauth-form' },
    h('p', { class: 'dialog-body' }, twofa ? t('reauth.lead_2fa') : t('reauth.lead')),
    messages, pw.wrap, code ? code.wrap : null, h('div', { class: 'dialog-actions' }, cancel, ok));
  dlg.body.append(form);
  pw.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    messages.replaceChildren();
    pw.setError('');
    if (code) code.setError('');
    const body = { password: pw.input.value };
    if (code && code.input.value.trim()) body.code = code.input.value.trim();
    if (!body.password) { pw.setError(t('auth.enter_password')); pw.focus(); return; }
    ok.disabled = true;
    try {
      await api('POST', '/api/v1/auth/reauth', { body, reauth: false });
      dlg.close(true);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        let first = null;
        for (const e of err.fieldErrors) {
          const c = e.field === 'password' ? pw : e.field === 'code' ? code : null;
          if (!c) continue;
          c.setError(e.field === 'password' ? passwordMessage(e)
            : e.code === 'required' ? t('auth.enter_code') : t('auth.code_wrong'));
          first = first || c;
        }
        if (first) first.focus(); else messages.replaceChildren(problemBox(err));
      } else if (err instanceof ApiError && err.status === 429) {
        messages.replaceChildren(rateLimitBox(err));
      } else {
        messages.replaceChildren(problemBox(err));
      }
    } finally {
      ok.disabled = false;
    }
  });
  return Boolean(await dlg.result);
}

/** An alert for a step refused because re-authentication was cancelled. */
export function reauthCancelledBox() {
  return alertBox('info', t('reauth.cancelled'), t('reauth.cancelled_detail'));
}
