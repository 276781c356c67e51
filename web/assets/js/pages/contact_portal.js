// The "Client portal" card of a contact's page: whether the contact may
// sign in to the portal and where they are (GET /api/v1/contacts/ID/portal:
// not invited, invited until a time, active; last sign-in, two-factor,
// open sessions), and the actions a member who may edit contacts takes:
// send an invitation (or a new one), sign the contact out everywhere,
// remove their two-factor (a lost phone). Which kinds of records the
// contact sees are the portal_* checkboxes of the contact's form.
import { h, replace, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { can } from '../session.js';
import { alertBox, confirmDialog, loading, problemBox, toast } from '../ui.js';
import { errorMessage } from '../forms.js';
import { t } from '../i18n.js';

function fact(label, value, testid) {
  return h('div', null, h('dt', null, label), h('dd', { 'data-testid': testid || null }, value));
}

// The result of an action that changed the contact record (an invitation
// turns portal access on): the page is drawn again for the form to show
// it, and the new card repeats the result.
const pending = new Map(); // contact id -> text

const badge = (on, yes, no) => h('span', { class: ['badge', on ? 'badge-on' : 'badge-off'] }, on ? yes : no);

/** The section for contact record (only for members who may edit contacts). */
export function portalSection(entity, record, signal, onChange) {
  if (!can(entity.module, 'edit')) return null;
  const titleId = `contact-${record.id}-portal`;
  const path = `${entity.api}/${record.id}/portal`;
  const body = h('div', { class: 'section-body' }, loading());
  const messages = h('div', { class: 'form-messages', tabindex: '-1', 'aria-live': 'polite' });
  const section = h('section', { class: 'card section form-width', 'aria-labelledby': titleId, 'data-testid': 'contact-portal' },
    h('div', { class: 'section-header' }, h('h2', { id: titleId, class: 'section-title' }, t('contact_portal.title'))),
    body);

  function stateText(p) {
    if (p.state === 'active') return t('contact_portal.state.active');
    if (p.state === 'invited') {
      return p.invite_expires_at ? [t('contact_portal.state.invited_until'), ' ', timeEl(p.invite_expires_at)]
        : t('contact_portal.state.invited');
    }
    return t('contact_portal.state.none');
  }

  /* Runs one action: confirmation first where it undoes something, then the
   * request, the result in words, and the card read again. */
  async function act(button, { method, suffix, confirm, done }) {
    if (confirm && !(await confirmDialog({ ...confirm, danger: true }))) return;
    button.disabled = true;
    messages.replaceChildren();
    try {
      const { data } = await api(method, `${path}${suffix}`, { signal });
      const text = done(data || {});
      toast(text);
      await load(text);
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 422 && err.fieldErrors.some((e) => e.field === 'email')) {
        messages.replaceChildren(alertBox('error', t('contact_portal.no_email'), t('contact_portal.no_email_detail')));
      } else if (err instanceof ApiError && err.status === 422) {
        messages.replaceChildren(alertBox('error', t('contact_portal.refused'), err.fieldErrors.map(errorMessage).join(' ')));
      } else {
        messages.replaceChildren(problemBox(err));
      }
      messages.focus();
      button.disabled = false;
    }
  }

  function draw(p, note) {
    const name = [record.first_name, record.last_name].filter(Boolean).join(' ') || record.email || `#${record.id}`;
    const invite = h('button', { type: 'button', class: 'btn btn-primary' },
      p.state === 'none' ? t('contact_portal.invite') : t('contact_portal.invite_again'));
    invite.addEventListener('click', () => act(invite, {
      method: 'POST', suffix: '/invite',
      done: (d) => (d.invite_expires_at
        ? t('contact_portal.invited', { email: record.email || '', until: timeEl(d.invite_expires_at).textContent })
        : t('contact_portal.invited_plain', { email: record.email || '' })),
    }));
    const signOut = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('contact_portal.sign_out'));
    signOut.addEventListener('click', () => act(signOut, {
      method: 'DELETE', suffix: '/sessions',
      confirm: { title: t('contact_portal.sign_out_q'), message: t('contact_portal.sign_out_message', { name }),
        confirmLabel: t('contact_portal.sign_out') },
      done: () => t('contact_portal.signed_out', { name }),
    }));
    const removeTotp = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('contact_portal.remove_2fa'));
    removeTotp.addEventListener('click', () => act(removeTotp, {
      method: 'DELETE', suffix: '/totp',
      confirm: { title: t('contact_portal.remove_2fa_q'), message: t('contact_portal.remove_2fa_message', { name }),
        confirmLabel: t('contact_portal.remove_2fa') },
      done: () => t('contact_portal.removed_2fa', { name }),
    }));
    replace(body,
      note,
      messages,
      h('dl', { class: 'facts' },
        fact(t('contact_portal.access'), badge(p.access, t('contact_portal.access_on'), t('contact_portal.access_off')), 'portal-access'),
        fact(t('contact_portal.state'), stateText(p), 'portal-state'),
        fact(t('contact_portal.last_login'), p.last_login_at ? timeEl(p.last_login_at) : t('contact_portal.never'), 'portal-last-login'),
        fact(t('contact_portal.two_factor'), badge(p.totp_enabled, t('contact_portal.on'), t('contact_portal.off')), 'portal-2fa'),
        fact(t('contact_portal.sessions'), String(p.sessions ?? 0), 'portal-sessions')),
      h('p', { class: 'hint section-lead' }, p.access ? t('contact_portal.kinds_hint') : t('contact_portal.no_access_hint')),
      h('div', { class: 'step-actions' }, invite, p.sessions > 0 ? signOut : null, p.totp_enabled ? removeTotp : null));
  }

  /* Reads the state and draws it, with result (text) above when an action
   * just ran; reload: whether a changed record may draw the page again. */
  async function load(result, { reload = true } = {}) {
    try {
      const { data } = await api('GET', path, { signal });
      if (result && reload && onChange && data.access !== Boolean(record.portal_access)) {
        // The record changed under the form above: draw the page again.
        pending.set(record.id, result);
        onChange();
        return;
      }
      const note = result ? alertBox('success', result) : null;
      draw(data, note);
      if (note) {
        note.setAttribute('tabindex', '-1');
        note.focus();
      }
    } catch (err) {
      if (!isAbort(err)) body.replaceChildren(problemBox(err));
    }
  }
  const carried = pending.get(record.id);
  pending.delete(record.id);
  load(carried, { reload: false });
  return section;
}
