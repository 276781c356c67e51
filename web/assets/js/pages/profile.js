// The signed-in member's own security page (/admin/profile/security):
// change password, two-factor authentication (enable, recovery codes,
// turn off), the sign-in email (confirmed from both addresses) and "My
// sessions" with revoke. Steps that need the password again get it from
// the re-authentication dialog (js/reauth.js), opened by api().
import { h, nextId, pageTitle, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { adopt, forget, me } from '../session.js';
import { navigate } from '../router.js';
import { alertBox, clearStaffCache, confirmDialog, loading, modal, problemBox, rateLimitBox, serverText, toast } from '../ui.js';
import { control, passwordMessage } from '../forms.js';
import { trackForm } from '../dirty.js';
import { recoveryCodesView, runEnrolment } from './twofa.js';
import { localizationSection } from './profile_l10n.js';
import { t } from '../i18n.js';
import { formatDateTime } from '../format.js';

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
    current_password: control({ name: 'current_password', label: t('profile.pw.current'), type: 'password', required: true,
      autocomplete: 'current-password', max: 1024 }),
    new_password: control({ name: 'new_password', label: t('profile.pw.new'), type: 'password', required: true,
      autocomplete: 'new-password', max: 1024,
      hint: t('profile.pw.new_hint') }),
    confirm: control({ name: 'confirm', label: t('profile.pw.confirm'), type: 'password', required: true,
      autocomplete: 'new-password', max: 1024 }),
  };
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('profile.pw.change'));
  const username = h('input', { type: 'email', name: 'username', autocomplete: 'username', value: staff.email,
    class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true', readOnly: true });
  const form = h('form', { class: 'profile-form', novalidate: true, 'aria-label': t('profile.pw.change') },
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
      for (const k of missing) c[k].setError(t('error.required'));
      c[missing[0]].focus();
      return;
    }
    if (pw !== c.confirm.input.value) {
      c.confirm.setError(t('profile.pw.mismatch'));
      c.confirm.focus();
      return;
    }
    save.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api('POST', '/api/v1/auth/password/change', { body: { current_password: cur, new_password: pw } });
      adopt(data); // a new session (and CSRF token); every other session ended
      for (const x of Object.values(c)) x.input.value = '';
      messages.replaceChildren(alertBox('success', t('profile.pw.changed'), t('profile.pw.changed_detail')));
      toast(t('profile.pw.changed_toast'));
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
          messages.replaceChildren(alertBox('error', t('profile.pw.not_changed'),
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
  return { root: section('profile-password', t('signin.password'), t('profile.pw.lead'), form) };
}

/* ---- two-factor authentication ------------------------------------------------------ */

function twofaSection(signal, onSessionsChanged) {
  const body = h('div', { class: 'twofa-body' }, loading());
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const root = section('profile-2fa', t('sec.twofa'), t('profile.2fa.lead'), body);

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
      h('div', null, h('dt', null, t('field.status')),
        h('dd', null, h('span', { class: ['badge', on ? 'badge-on' : 'badge-off'], 'data-testid': 'twofa-status' }, on ? t('sec.on') : t('sec.off')))),
      h('div', null, h('dt', null, t('profile.2fa.required')), h('dd', null, st.required ? t('common.yes') : t('common.no'))),
      on ? h('div', null, h('dt', null, t('sec.codes_left')),
        h('dd', { 'data-testid': 'recovery-left' }, t('profile.2fa.of_10', { n: left }))) : null);
    const actions = h('div', { class: 'step-actions' });
    const notes = [];
    if (!on) {
      if (st.required) notes.push(alertBox('warning', t('profile.2fa.required'), t('profile.2fa.set_up_now')));
      const enable = h('button', { type: 'button', class: 'btn btn-primary' }, t('profile.2fa.enable'));
      enable.addEventListener('click', () => {
        const area = h('div', { class: 'enrol-area' });
        body.replaceChildren(area);
        runEnrolment(area, {
          level: 3,
          onCancel: () => load(),
          onDone: () => { toast(t('profile.2fa.on')); load(); onSessionsChanged(); },
        });
      });
      actions.append(enable);
    } else {
      if (left <= 3) {
        notes.push(alertBox('warning', left === 0 ? t('profile.2fa.no_codes') : t('profile.2fa.few_codes', { count: left }),
          t('profile.2fa.codes_hint')));
      }
      const regen = h('button', { type: 'button', class: 'btn' }, t('profile.2fa.regen'));
      regen.addEventListener('click', async () => {
        const ok = await confirmDialog({ title: t('profile.2fa.regen_q'), confirmLabel: t('profile.2fa.regen_confirm'),
          message: t('profile.2fa.regen_message') });
        if (!ok) { regen.focus(); return; }
        messages.replaceChildren();
        try {
          // 403 reauth-required makes api() ask for the password and code, then retry.
          const { data } = await api('POST', '/api/v1/auth/2fa/recovery-codes');
          const dlg = modal({ title: t('profile.2fa.new_codes'), wide: true, returnFocus: regen });
          const view = recoveryCodesView({ codes: data.recovery_codes, level: 3, onDone: () => dlg.close(),
            lead: t('profile.2fa.new_codes_lead') });
          dlg.body.replaceChildren(view.root);
          view.focus();
          dlg.result.then(() => load());
        } catch (err) {
          if (isAbort(err)) return;
          messages.replaceChildren(problemBox(err));
          messages.focus();
        }
      });
      const off = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('profile.2fa.turn_off'));
      off.addEventListener('click', async () => {
        const ok = await confirmDialog({ title: t('profile.2fa.turn_off_q'), confirmLabel: t('profile.2fa.turn_off_confirm'), danger: true,
          message: t('profile.2fa.turn_off_message') });
        if (!ok) { off.focus(); return; }
        messages.replaceChildren();
        try {
          await api('POST', '/api/v1/auth/2fa/disable');
          toast(t('profile.2fa.off'));
          load();
        } catch (err) {
          if (isAbort(err)) return;
          messages.replaceChildren(err instanceof ApiError && err.status === 409
            ? alertBox('error', t('profile.not_possible'), serverText(err.detail, 'profile.2fa.cannot_off')) : problemBox(err));
          messages.focus();
        }
      });
      // Required 2FA cannot be turned off: no button that the server would
      // refuse after asking for the password and a code.
      if (st.required) {
        notes.push(alertBox('info', t('profile.2fa.required'), t('profile.2fa.cannot_off')));
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
  const root = section('profile-email', t('profile.email.title'), t('profile.email.lead'), body);
  const c = control({ name: 'email', label: t('profile.email.new'), type: 'email', required: true, autocomplete: 'email', max: 254 });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn' }, t('profile.email.change'));
  const form = h('form', { class: 'profile-form', novalidate: true, 'aria-label': t('profile.email.change_form') },
    messages, h('div', { class: 'form-grid form-grid-1' }, c.wrap), h('div', { class: 'step-actions' }, save));
  trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    messages.replaceChildren();
    c.setError('');
    const value = c.get();
    if (!value) { c.setError(t('profile.email.enter')); c.focus(); return; }
    save.disabled = true;
    try {
      // 403 reauth-required makes api() ask for the password (and code) and retry.
      const { data } = await api('POST', '/api/v1/auth/email', { body: { email: value } });
      c.set('');
      paint(data);
      toast(t('profile.email.check'));
    } catch (err) {
      if (isAbort(err)) return;
      const e = err instanceof ApiError && err.status === 422 ? err.fieldErrors.find((x) => x.field === 'email') : null;
      if (e) { c.setError(e.code === 'taken' ? t('profile.email.taken') : e.code === 'invalid' && /already/.test(e.detail || '')
        ? t('profile.email.same') : t('profile.email.invalid')); c.focus(); } else {
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
      h('div', null, h('dt', null, t('profile.email.current')), h('dd', { 'data-testid': 'current-email' }, data.email)),
      p ? h('div', null, h('dt', null, t('profile.email.pending')), h('dd', { 'data-testid': 'pending-email' }, p.email)) : null);
    const confirmed = ` (${t('profile.email.confirmed')})`;
    const note = p ? alertBox('info', t('profile.email.confirm_both'), t('profile.email.sent_links', {
      current: `${data.email}${p.confirmed_current ? confirmed : ''}`, next: `${p.email}${p.confirmed_new ? confirmed : ''}`,
      until: formatDateTime(p.expires_at) })) : null;
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
  if (!s) return t('profile.sess.unknown_device');
  const browser = /Edg\//.test(s) ? 'Edge' : /OPR\//.test(s) ? 'Opera' : /Firefox\//.test(s) ? 'Firefox'
    : /HeadlessChrome\//.test(s) ? 'Headless Chrome' : /(Chrome|Chromium|CriOS)\//.test(s) ? 'Chrome'
      : /Safari\//.test(s) ? 'Safari' : /^curl\//.test(s) ? 'curl' : /^Wget\//.test(s) ? 'Wget' : null;
  const os = /Windows/.test(s) ? 'Windows' : /iPhone|iPad|iPod/.test(s) ? 'iOS' : /Android/.test(s) ? 'Android'
    : /CrOS/.test(s) ? 'ChromeOS' : /Mac OS X|Macintosh/.test(s) ? 'macOS' : /Linux/.test(s) ? 'Linux' : null;
  if (browser && os) return t('profile.sess.browser_on', { browser, os });
  return browser || os || s.split(/[\s/]/)[0] || t('profile.sess.unknown_device');
}

const STAGE_LABELS = () => ({ mfa: t('profile.sess.stage_mfa'), enrol: t('profile.sess.stage_enrol') });

function sessionsSection(signal) {
  const body = h('div', { class: 'sessions-body' }, loading());
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const root = section('profile-sessions', t('profile.sess.title'), t('profile.sess.lead'), messages, body);

  const signedOut = () => {
    forget();
    clearStaffCache();
    toast(t('shell.signed_out'), 'info');
    navigate('/login', { replace: true });
  };

  async function revoke(s, button) {
    if (s.current) {
      const ok = await confirmDialog({ title: t('profile.sess.revoke_this_q'), message: t('profile.sess.revoke_this_message'),
        confirmLabel: t('profile.sess.revoke_sign_out'), danger: true });
      if (!ok) { button.focus(); return; }
    }
    button.disabled = true;
    messages.replaceChildren();
    try {
      await api('DELETE', `/api/v1/auth/sessions/${s.id}`);
      if (s.current) { signedOut(); return; }
      toast(t('profile.sess.revoked'));
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
    const ok = await confirmDialog({ title: t('profile.sess.revoke_others_q', { count: others.length }),
      message: t('profile.sess.revoke_others_message'), confirmLabel: t('profile.sess.revoke_them'), danger: true });
    if (!ok) { button.focus(); return; }
    button.disabled = true;
    try {
      for (const s of others) {
        try { await api('DELETE', `/api/v1/auth/sessions/${s.id}`); } catch (err) {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        }
      }
      toast(t('profile.sess.others_revoked'));
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
        'aria-label': s.current ? t('profile.sess.revoke_this_label') : t('profile.sess.revoke_label', { name, ip: s.ip || t('profile.sess.unknown_address') }) },
      t('profile.sess.revoke'));
      btn.addEventListener('click', () => revoke(s, btn));
      const uaId = nextId('ua');
      return h('tr', { class: s.current ? 'row-current' : null, dataset: { current: String(Boolean(s.current)) } },
        h('td', null,
          h('span', { class: 'device-name', 'aria-describedby': uaId }, name),
          s.current ? h('span', { class: 'badge badge-on badge-inline' }, t('profile.sess.this')) : null,
          STAGE_LABELS()[s.stage] ? h('span', { class: 'badge badge-warn badge-inline' }, STAGE_LABELS()[s.stage]) : null,
          h('span', { id: uaId, class: 'ua muted', title: s.user_agent || '' }, s.user_agent || t('profile.sess.no_ua'))),
        h('td', { class: 'mono' }, s.ip || h('span', { class: 'muted' }, t('profile.sess.unknown'))),
        h('td', { class: 'nowrap' }, timeEl(s.created_at)),
        h('td', { class: 'nowrap' }, timeEl(s.last_seen_at)),
        h('td', { class: 'actions-cell' }, btn));
    });
    const table = h('table', { class: 'table sessions-table' },
      h('caption', { class: 'visually-hidden' }, t('profile.sess.title')),
      h('thead', null, h('tr', null, [t('profile.sess.device'), t('apilog.address'), t('profile.sess.signed_in'), t('profile.sess.last_seen'), '']
        .map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'visually-hidden' }, t('common.actions')))))),
      h('tbody', null, rows));
    const others = list.filter((s) => !s.current).length;
    let all = null;
    if (others) {
      all = h('button', { type: 'button', class: 'btn' }, t('profile.sess.revoke_all', { n: others }));
      all.addEventListener('click', () => revokeOthers(list, all));
    }
    body.replaceChildren(h('div', { class: 'table-wrap' }, table));
    if (all) body.append(h('div', { class: 'step-actions' }, all));
  }

  return { root, load };
}

export const routes = [['/admin/profile/security', profileSecurityPage]];
export const nav = []; // reached from the top bar
