// The staff record's Security tab: the member's 2FA status and reset, the
// forced password reset and "change at next sign-in", and ending every
// session. Part of the staff pages (staff.js).
import { h, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { alertBox, confirmDialog, loading, problemBox, toast } from '../ui.js';
import { staleNotice } from '../forms.js';
import { resetTwofa } from './twofa.js';

/* ---- Security tab: 2FA status and reset, forced password reset, sessions ------- */

export async function securityTab(panel, { record, etag, editable, self, signal, reload }) {
  panel.replaceChildren(loading('Loading two-factor status…'));
  let status = null;
  try {
    const { data } = await api('GET', '/api/v1/authenticator-2fa/users', { signal });
    status = (data.data || []).find((u) => u.id === record.id) || null;
  } catch (err) {
    if (isAbort(err)) return;
    status = null; // shown as unknown; the actions still work
  }
  const who = record.name || record.email;
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const showError = (err) => { messages.replaceChildren(problemBox(err)); messages.focus(); };
  const canAct = editable && !self;
  const block = (title, ...content) => h('section', { class: 'sec-block' }, h('h3', { class: 'sec-title' }, title), ...content);

  // Two-factor authentication.
  const on = status && status.enabled;
  const facts = h('dl', { class: 'facts' },
    h('div', null, h('dt', null, 'Status'), h('dd', null, status
      ? h('span', { class: ['badge', on ? 'badge-on' : record.admin ? 'badge-danger' : 'badge-off'], 'data-testid': 'staff-2fa' }, on ? 'On' : 'Off')
      : h('span', { class: 'muted' }, 'Unknown'),
    on && status.enabled_at ? [' since ', timeEl(status.enabled_at, { dateOnly: true })] : null)),
    status ? h('div', null, h('dt', null, 'Required'), h('dd', null, status.required ? 'Yes' : 'No')) : null,
    on ? h('div', null, h('dt', null, 'Recovery codes left'), h('dd', null, String(status.recovery_codes_remaining ?? '—'))) : null);
  let reset2fa = null;
  if (canAct && (on || !status)) {
    reset2fa = h('button', { type: 'button', class: 'btn btn-danger-outline' }, 'Reset 2FA');
    reset2fa.addEventListener('click', () => resetTwofa(record, reset2fa, () => reload(), showError));
  }
  const twofa = block('Two-factor authentication', facts,
    status && status.required && !on ? alertBox('warning', 'Required but not set up',
      'At their next sign-in they are taken to enrolment right after the password.') : null,
    h('p', { class: 'muted' }, 'Lost phone and recovery codes? Reset 2FA: their app and codes stop working, their sessions end, '
      + 'and they set it up again (at once after their password, when it is required for them).'),
    reset2fa ? h('div', { class: 'step-actions' }, reset2fa) : null);

  // Password.
  let force = null;
  if (canAct && record.active) {
    force = h('button', { type: 'button', class: 'btn' }, 'Force password reset');
    force.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: `Force a password reset for ${who}?`,
        message: `Their current password stops working now and every session they have ends. A link to choose a new password `
          + `(valid 24 hours) is emailed to ${record.email}. You never see or set their password.`,
        confirmLabel: 'Force password reset', danger: true,
      });
      if (!ok) { force.focus(); return; }
      force.disabled = true;
      try {
        await api('POST', `/api/v1/staff/${record.id}/password/reset`);
        messages.replaceChildren(alertBox('success', 'Password reset forced',
          `${who} is signed out, and a reset link is on its way to ${record.email}.`));
        messages.focus();
      } catch (err) { showError(err); } finally { force.disabled = false; }
    });
  }
  // "Must change at next sign-in" (PATCH must_change_password).
  let mustChange = null;
  if (canAct && record.active && record.has_password) {
    const on = Boolean(record.must_change_password);
    mustChange = h('button', { type: 'button', class: 'btn' },
      on ? 'Cancel the required change' : 'Require a change at next sign-in');
    mustChange.addEventListener('click', async () => {
      mustChange.disabled = true;
      try {
        await api('PATCH', `/api/v1/staff/${record.id}`, { body: { must_change_password: !on }, ifMatch: etag });
        toast(on ? `${who} no longer has to change the password.` : `${who} must choose a new password at the next sign-in.`);
        reload();
      } catch (err) {
        mustChange.disabled = false;
        if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'staff member', reload);
        else showError(err);
      }
    });
  }
  const password = block('Password',
    h('p', { 'data-testid': 'staff-password-state' }, !record.has_password ? 'No password set: they sign in after choosing one from an emailed link.'
      : record.must_change_password ? 'They must choose a new password at their next sign-in.' : 'Set by them. You never see it.'),
    h('p', { class: 'muted' }, 'Require a change when a password may be weak or shared: they keep signing in with it, then must choose a new one. '
      + 'When an account may be compromised, force a reset instead: the password stops working at once and a link is emailed.'),
    mustChange || force ? h('div', { class: 'step-actions' }, mustChange, force) : null);

  // Sessions.
  let end = null;
  if (canAct && record.active) {
    end = h('button', { type: 'button', class: 'btn' }, 'End all sessions');
    end.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: `End every session of ${who}?`,
        message: 'They are signed out everywhere at once. They can sign in again with their password.',
        confirmLabel: 'End all sessions', danger: true });
      if (!ok) { end.focus(); return; }
      end.disabled = true;
      try {
        await api('POST', `/api/v1/staff/${record.id}/sessions/end`);
        messages.replaceChildren(alertBox('success', 'Sessions ended', `${who} is signed out everywhere.`));
        messages.focus();
      } catch (err) { showError(err); } finally { end.disabled = false; }
    });
  }
  const sessions = block('Sessions',
    h('p', { class: 'muted' }, 'Signs them out of every browser and device now, for example after a lost laptop.'),
    end ? h('div', { class: 'step-actions' }, end) : null);

  panel.replaceChildren(h('div', { class: 'security-tab' },
    self ? alertBox('info', 'This is you', 'Change your own password, 2FA and sessions on your security page.',
      h('a', { href: '/admin/profile/security', class: 'btn btn-sm' }, 'Account security')) : null,
    !editable && !self ? alertBox('info', 'Read only', 'Your role lets you see this but not change it.') : null,
    messages, twofa, password, sessions));
}
