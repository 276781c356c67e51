// The staff record's Security tab: the member's 2FA status and reset, the
// forced password reset and "change at next sign-in", and ending every
// session. Part of the staff pages (staff.js).
import { h, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { alertBox, confirmDialog, loading, problemBox, toast } from '../ui.js';
import { staleNotice } from '../forms.js';
import { resetTwofa } from './twofa.js';
import { t } from '../i18n.js';

/* ---- Security tab: 2FA status and reset, forced password reset, sessions ------- */

export async function securityTab(panel, { record, etag, editable, self, signal, reload }) {
  panel.replaceChildren(loading(t('sec.loading')));
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
  // A person whose account is another organisation's: their 2FA,
  // password and sessions are managed there.
  const canAct = editable && !self && !record.home_org;
  const block = (title, ...content) => h('section', { class: 'sec-block' }, h('h3', { class: 'sec-title' }, title), ...content);

  // Two-factor authentication.
  const on = status && status.enabled;
  const facts = h('dl', { class: 'facts' },
    h('div', null, h('dt', null, t('field.status')), h('dd', null, status
      ? h('span', { class: ['badge', on ? 'badge-on' : record.admin ? 'badge-danger' : 'badge-off'], 'data-testid': 'staff-2fa' }, on ? t('sec.on') : t('sec.off'))
      : h('span', { class: 'muted' }, t('sec.unknown')),
    on && status.enabled_at ? [` ${t('sec.since')} `, timeEl(status.enabled_at, { dateOnly: true })] : null)),
    status ? h('div', null, h('dt', null, t('sec.required')), h('dd', null, status.required ? t('common.yes') : t('common.no'))) : null,
    on ? h('div', null, h('dt', null, t('sec.codes_left')), h('dd', null, String(status.recovery_codes_remaining ?? '—'))) : null);
  let reset2fa = null;
  if (canAct && (on || !status)) {
    reset2fa = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('sec.reset_2fa'));
    reset2fa.addEventListener('click', () => resetTwofa(record, reset2fa, () => reload(), showError));
  }
  const twofa = block(t('sec.twofa'), facts,
    status && status.required && !on ? alertBox('warning', t('sec.required_not_set'), t('sec.required_not_set_detail')) : null,
    h('p', { class: 'muted' }, t('sec.twofa_help')),
    reset2fa ? h('div', { class: 'step-actions' }, reset2fa) : null);

  // Password.
  let force = null;
  if (canAct && record.active) {
    force = h('button', { type: 'button', class: 'btn' }, t('sec.force'));
    force.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: t('sec.force_q', { name: who }),
        message: t('sec.force_message', { email: record.email }),
        confirmLabel: t('sec.force'), danger: true,
      });
      if (!ok) { force.focus(); return; }
      force.disabled = true;
      try {
        await api('POST', `/api/v1/staff/${record.id}/password/reset`);
        messages.replaceChildren(alertBox('success', t('sec.forced'), t('sec.forced_detail', { name: who, email: record.email })));
        messages.focus();
      } catch (err) { showError(err); } finally { force.disabled = false; }
    });
  }
  // "Must change at next sign-in" (PATCH must_change_password).
  let mustChange = null;
  if (canAct && record.active && record.has_password) {
    const on = Boolean(record.must_change_password);
    mustChange = h('button', { type: 'button', class: 'btn' },
      on ? t('sec.cancel_change') : t('sec.require_change'));
    mustChange.addEventListener('click', async () => {
      mustChange.disabled = true;
      try {
        await api('PATCH', `/api/v1/staff/${record.id}`, { body: { must_change_password: !on }, ifMatch: etag });
        toast(on ? t('sec.change_cancelled', { name: who }) : t('sec.change_required', { name: who }));
        reload();
      } catch (err) {
        mustChange.disabled = false;
        if (err instanceof ApiError && err.status === 412) staleNotice(messages, 'staff member', reload);
        else showError(err);
      }
    });
  }
  const password = block(t('signin.password'),
    h('p', { 'data-testid': 'staff-password-state' }, !record.has_password ? t('sec.pw_none')
      : record.must_change_password ? t('sec.pw_must_change') : t('sec.pw_set')),
    h('p', { class: 'muted' }, t('sec.pw_help')),
    mustChange || force ? h('div', { class: 'step-actions' }, mustChange, force) : null);

  // Sessions.
  let end = null;
  if (canAct && record.active) {
    end = h('button', { type: 'button', class: 'btn' }, t('sec.end_all'));
    end.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('sec.end_q', { name: who }),
        message: t('sec.end_message'),
        confirmLabel: t('sec.end_all'), danger: true });
      if (!ok) { end.focus(); return; }
      end.disabled = true;
      try {
        await api('POST', `/api/v1/staff/${record.id}/sessions/end`);
        messages.replaceChildren(alertBox('success', t('sec.ended'), t('sec.ended_detail', { name: who })));
        messages.focus();
      } catch (err) { showError(err); } finally { end.disabled = false; }
    });
  }
  const sessions = block(t('sec.sessions'),
    h('p', { class: 'muted' }, t('sec.sessions_help')),
    end ? h('div', { class: 'step-actions' }, end) : null);

  panel.replaceChildren(h('div', { class: 'security-tab' },
    self ? alertBox('info', t('sec.this_is_you'), t('sec.this_is_you_detail'),
      h('a', { href: '/admin/profile/security', class: 'btn btn-sm' }, t('shell.security'))) : null,
    !editable && !self ? alertBox('info', t('form.read_only'), t('sec.read_only')) : null,
    record.home_org ? alertBox('info', t('staff.home_org', { name: record.home_org }), t('staff.home_org_note', { name: record.home_org })) : null,
    messages, twofa, password, sessions));
}
