// The contact's account: their details (name, phone, job title: kept by
// the contact; the email is their sign-in name, staff change it),
// changing the password, and
// two-factor sign-in (turn on: password, then the QR code or the key for
// an authenticator app and a code from it; turn off: password and code).
import { h, nextId, replace } from '../js/dom.js';
import { api } from '../js/api.js';
import { t } from '../js/i18n.js';
import { AUTH, contactName, loadMe, me } from './session.js';
import { alertBox, facts, field, missing, onSubmit, pageHeader, toast } from './ui.js';

/** base64 of a string's UTF-8 bytes (btoa alone takes only Latin-1). */
function base64Utf8(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

const groupsOf4 = (s) => String(s || '').replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');

function section(id, title, ...content) {
  return h('section', { class: 'card section', 'aria-labelledby': id },
    h('div', { class: 'section-header' }, h('h2', { id, class: 'section-title' }, title)),
    h('div', { class: 'section-body' }, content));
}

const slotEl = () => h('div', { class: 'form-messages', tabindex: '-1' });

/* The password change form: current, new, repeated. onDone() runs after
 * the server took it (204); the form is emptied and says so. */
function passwordForm(onDone) {
  const fields = {
    current_password: field({ name: 'current_password', label: t('portal.account.current'), type: 'password',
      autocomplete: 'current-password', required: true }),
    new_password: field({ name: 'new_password', label: t('portal.account.new'), type: 'password',
      autocomplete: 'new-password', hint: t('portal.password_hint'), required: true }),
    confirm: field({ name: 'confirm', label: t('portal.account.confirm'), type: 'password', autocomplete: 'new-password', required: true }),
  };
  const slot = slotEl();
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, t('portal.account.change'));
  // A hidden username lets password managers file the new password under the right account.
  const username = h('input', { type: 'email', name: 'username', autocomplete: 'username', value: me().contact.email || '',
    class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true', readOnly: true });
  const form = h('form', { class: 'portal-narrow', novalidate: true }, slot, username,
    h('div', { class: 'form-grid form-grid-1' }, Object.values(fields).map((f) => f.wrap)),
    h('div', { class: 'step-actions' }, button));
  onSubmit(form, button, slot, fields, async () => {
    if (missing(fields)) return;
    if (fields.new_password.input.value !== fields.confirm.input.value) {
      fields.confirm.setError(t('portal.password_mismatch'));
      fields.confirm.focus();
      return;
    }
    await api('POST', `${AUTH}/password`, { body: {
      current_password: fields.current_password.input.value, new_password: fields.new_password.input.value,
    } });
    for (const f of Object.values(fields)) f.input.value = '';
    slot.replaceChildren(alertBox('success', t('portal.account.changed')));
    slot.focus();
    if (onDone) await onDone();
  });
  return { form, first: fields.current_password };
}

/* The contact's own details, as GET/PATCH /api/v1/portal/profile. */
async function detailsSection() {
  const p = await api('GET', '/api/v1/portal/profile');
  const fields = {
    first_name: field({ name: 'first_name', label: t('portal.account.first_name'), autocomplete: 'given-name',
      required: true, value: p.first_name }),
    last_name: field({ name: 'last_name', label: t('portal.account.last_name'), autocomplete: 'family-name',
      value: p.last_name }),
    phone: field({ name: 'phone', label: t('portal.account.phone'), type: 'tel', autocomplete: 'tel', value: p.phone }),
    position: field({ name: 'position', label: t('portal.account.position'), autocomplete: 'organization-title',
      value: p.position }),
  };
  const slot = slotEl();
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, t('portal.account.save'));
  const form = h('form', { class: 'portal-narrow', novalidate: true }, slot,
    h('p', { class: 'hint' }, t('portal.account.email_note', { email: p.email })),
    h('div', { class: 'form-grid form-grid-1' }, Object.values(fields).map((f) => f.wrap)),
    h('div', { class: 'step-actions' }, button));
  onSubmit(form, button, slot, fields, async () => {
    if (missing(fields)) return;
    const body = {};
    for (const [k, f] of Object.entries(fields)) body[k] = f.value() || (k === 'first_name' ? '' : null);
    await api('PATCH', '/api/v1/portal/profile', { body });
    await loadMe();
    slot.replaceChildren(alertBox('success', t('portal.account.saved')));
    slot.focus();
  });
  return section('account-details', t('portal.account.details'), form);
}

function passwordSection() {
  return section('account-password', t('portal.account.password'), passwordForm().form);
}

/**
 * The screen that replaces every page while the contact's password is past
 * the organisation's maximum age (me.must_change_password: the server
 * answers 403 to everything else). onDone() continues to the page asked for.
 */
export function expiredPasswordPage(onDone, onSignOut) {
  return async function expired(ctx, root) {
    ctx.setTitle(t('portal.expired.title'));
    const { form, first } = passwordForm(async () => { await loadMe(); onDone(); });
    const signOut = h('button', { type: 'button', class: 'btn btn-ghost btn-sm' }, t('portal.sign_out'));
    signOut.addEventListener('click', onSignOut);
    root.replaceChildren(h('main', { id: 'main', class: 'auth' },
      h('div', { class: 'auth-card' },
        h('p', { class: 'muted portal-realm' }, (me().company && me().company.name) || t('portal.name')),
        h('h1', { class: 'auth-title page-title', tabindex: '-1' }, t('portal.expired.title')),
        h('p', { class: 'muted auth-subtitle' }, t('portal.expired.lead', { name: contactName() })),
        h('div', { class: 'auth-form' }, form),
        h('p', { class: 'auth-footer' }, signOut))));
    first.focus();
  };
}

function twoFactorSection() {
  const body = h('div');
  const id = 'account-2fa';

  function status(note) {
    const on = Boolean(me().totp_enabled);
    return [note || null, h('p', { class: 'portal-2fa-state', 'data-testid': 'portal-2fa-state' },
      h('span', { class: ['badge', on ? 'badge-on' : 'badge-off'] }, on ? t('portal.2fa.on') : t('portal.2fa.off')), ' ',
      on ? t('portal.2fa.on_lead') : t('portal.2fa.off_lead'))];
  }

  function draw(note) {
    if (me().totp_enabled) drawOn(note); else drawOff(note);
  }

  // Off: a button, then the password (the server wants it again to begin).
  function drawOff(note) {
    const begin = h('button', { type: 'button', class: 'btn btn-primary' }, t('portal.2fa.turn_on'));
    begin.addEventListener('click', () => askPassword());
    replace(body, ...status(note), h('div', { class: 'step-actions' }, begin));
  }

  function askPassword() {
    const fields = { password: field({ name: 'password', label: t('portal.2fa.password'), type: 'password',
      autocomplete: 'current-password', hint: t('portal.2fa.password_hint'), required: true }) };
    const slot = slotEl();
    const next = h('button', { type: 'submit', class: 'btn btn-primary' }, t('portal.2fa.continue'));
    const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
    cancel.addEventListener('click', () => draw());
    const form = h('form', { class: 'portal-narrow', novalidate: true }, slot, fields.password.wrap,
      h('div', { class: 'step-actions' }, next, cancel));
    onSubmit(form, next, slot, fields, async () => {
      if (missing(fields)) return;
      const { data } = await api('POST', `${AUTH}/totp/setup`, { body: { password: fields.password.input.value } });
      showKey(data);
    });
    body.replaceChildren(...status(), form);
    fields.password.focus();
  }

  // The key: a QR code (an <img> of the server's SVG, never parsed into
  // the page) and the same key as text, then a code to prove it works.
  function showKey(data) {
    const secret = String(data.secret || '');
    const keyId = nextId('portal-key');
    const stepId = nextId('portal-step');
    const qr = data.qr_svg ? h('div', { class: 'qr-frame' }, h('img', { class: 'qr', alt: t('portal.2fa.qr_alt'), width: '200', height: '200',
      src: `data:image/svg+xml;base64,${base64Utf8(String(data.qr_svg))}` })) : null;
    const manual = h('div', { class: 'enrol-manual' },
      h('p', { id: keyId, class: 'label' }, t('portal.2fa.cant_scan')),
      h('code', { class: 'totp-secret', 'data-testid': 'portal-totp-secret', 'aria-labelledby': keyId }, groupsOf4(secret)),
      data.otpauth_uri ? h('p', { class: 'hint' }, h('a', { href: data.otpauth_uri, 'data-testid': 'portal-otpauth-link' },
        t('portal.2fa.open_key'))) : null);
    const fields = { code: field({ name: 'code', label: t('portal.mfa.code'), hint: t('portal.2fa.code_hint'), inputmode: 'numeric',
      autocomplete: 'one-time-code', required: true }) };
    const slot = slotEl();
    const confirm = h('button', { type: 'submit', class: 'btn btn-primary' }, t('portal.2fa.confirm'));
    const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
    cancel.addEventListener('click', () => draw());
    const form = h('form', { class: 'portal-narrow', novalidate: true }, slot, fields.code.wrap,
      h('div', { class: 'step-actions' }, confirm, cancel));
    onSubmit(form, confirm, slot, fields, async () => {
      if (missing(fields)) return;
      await api('POST', `${AUTH}/totp/enable`, { body: { code: fields.code.value().replace(/\s+/g, '') } });
      await loadMe();
      toast(t('portal.2fa.turned_on'));
      done(alertBox('success', t('portal.2fa.turned_on'), t('portal.2fa.turned_on_detail')));
    });
    const heading = h('h3', { id: stepId, class: 'step-title', tabindex: '-1' }, t('portal.2fa.scan'));
    body.replaceChildren(h('section', { class: 'enrol-step', 'aria-labelledby': stepId }, heading,
      h('p', { class: 'step-lead' }, t('portal.2fa.scan_lead')),
      h('div', { class: 'enrol-grid' }, qr, manual)), form);
    heading.focus();
  }

  // On: turning it off takes the password and a current code.
  function drawOn(note) {
    const fields = {
      password: field({ name: 'password', label: t('portal.2fa.password'), type: 'password', autocomplete: 'current-password', required: true }),
      code: field({ name: 'code', label: t('portal.mfa.code'), inputmode: 'numeric', autocomplete: 'one-time-code', required: true }),
    };
    const slot = slotEl();
    const off = h('button', { type: 'submit', class: 'btn btn-danger-outline' }, t('portal.2fa.turn_off'));
    const form = h('form', { class: 'portal-narrow', novalidate: true, 'aria-label': t('portal.2fa.turn_off') },
      h('p', { class: 'muted' }, t('portal.2fa.off_lead_form')), slot,
      h('div', { class: 'form-grid form-grid-1' }, fields.password.wrap, fields.code.wrap),
      h('div', { class: 'step-actions' }, off));
    onSubmit(form, off, slot, fields, async () => {
      if (missing(fields)) return;
      await api('POST', `${AUTH}/totp/disable`, { body: { password: fields.password.input.value,
        code: fields.code.value().replace(/\s+/g, '') } });
      await loadMe();
      toast(t('portal.2fa.turned_off'));
      done(alertBox('success', t('portal.2fa.turned_off')));
    });
    replace(body, ...status(note), form);
  }

  function done(note) {
    draw(note);
    note.setAttribute('tabindex', '-1');
    note.focus();
  }

  draw();
  return section(id, t('portal.2fa.title'), body);
}

/** /portal/account */
export async function accountPage(ctx, root) {
  ctx.setTitle(t('portal.nav.account'));
  const m = me();
  root.replaceChildren(pageHeader(t('portal.nav.account')),
    h('section', { class: 'card pad portal-summary', 'aria-label': t('portal.account.summary') }, facts([
      [t('portal.account.name'), contactName(m)],
      [t('portal.signin.email'), m.contact.email],
      [t('portal.account.client'), m.client && m.client.name],
    ])),
    await detailsSection(),
    passwordSection(),
    twoFactorSection());
}
