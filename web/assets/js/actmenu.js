// Acting in another organisation (issue 17): the operator's administrator in
// operator mode, a business's member in one of its merchants. Two parts of
// the admin header:
//   - actBanner(): while the session acts (session.js acting()), a banner over the
//     app naming the organisation, the mode and the end, with "Leave"
//     (POST /api/v1/auth/act/end, then the app reloads at /admin);
//   - actButton(): when GET /api/v1/auth/act lists organisations the caller
//     may enter, "Act in…" opens a dialog (organisation, reason), whose
//     POST /api/v1/auth/act asks for the password first (api.js's re-auth)
//     and reloads the app in the organisation entered.
// Every name reaches the page as text (dom.js), never as HTML.
import { h } from './dom.js';
import { api, ApiError } from './api.js';
import { acting as actingNow } from './session.js';
import { formatDateTime } from './format.js';
import { clearErrors, control, showFieldErrors } from './forms.js';
import { t } from './i18n.js';
import { modal, problemBox, toast } from './ui.js';

/** The banner while acting, or null. */
export function actBanner() {
  const acting = actingNow();
  if (!acting) return null;
  const leave = h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'act-leave' }, t('act.leave'));
  leave.addEventListener('click', async () => {
    leave.disabled = true;
    try {
      await api('POST', '/api/v1/auth/act/end');
      window.location.assign('/admin');
    } catch (err) {
      toast(err.detail || err.title || t('act.failed'), 'error');
      leave.disabled = false;
    }
  });
  return h('div', { class: 'act-banner', role: 'status', 'data-testid': 'act-banner' },
    h('strong', null, t(acting.mode === 'operator' ? 'act.banner_operator' : 'act.banner_parent',
      { org: acting.org_name, home: acting.home_org_name })),
    h('span', null, t('act.banner_until', { until: formatDateTime(acting.until) })),
    leave);
}

/** Returns {root}: "Act in…" once GET /api/v1/auth/act lists somewhere to go. */
export function actButton() {
  const root = h('span', { class: 'act-menu' });
  if (!actingNow()) load(root);
  return { root };
}

async function load(root) {
  let state;
  try {
    state = (await api('GET', '/api/v1/auth/act')).data;
  } catch {
    return; // no button: nothing to enter
  }
  if (!state || !Array.isArray(state.orgs) || !state.orgs.length) return;
  const btn = h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'act-open' }, t('act.open'));
  btn.addEventListener('click', () => openDialog(state, btn));
  root.append(btn);
}

function openDialog(state, returnFocus) {
  const dlg = modal({ title: t('act.title'), returnFocus });
  const org = control({ name: 'org_id', label: t('act.org'), type: 'select', required: true,
    options: state.orgs.map((o) => [String(o.id), o.status === 'suspended' ? t('orgmenu.suspended', { name: o.name }) : o.name]) });
  const reason = control({ name: 'reason', label: t('act.reason'), type: 'textarea', required: true, max: 500,
    hint: t('act.reason_hint') });
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const ok = h('button', { type: 'submit', class: 'btn btn-primary' }, t('act.enter'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  cancel.addEventListener('click', () => dlg.close(false));
  const lead = state.orgs[0].mode === 'operator' ? t('act.lead_operator', { minutes: state.minutes })
    : t('act.lead_parent', { minutes: state.minutes });
  const form = h('form', { novalidate: true, class: 'dialog-form', 'data-testid': 'act-form' },
    h('p', { class: 'dialog-body' }, lead), messages, org.wrap, reason.wrap,
    h('div', { class: 'dialog-actions' }, cancel, ok));
  dlg.body.append(form);
  org.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors({ org_id: org, reason }, messages);
    const body = { org_id: Number(org.get()), reason: reason.get() };
    if (!body.reason) { reason.setError(t('act.reason_required')); reason.focus(); return; }
    ok.disabled = true;
    try {
      await api('POST', '/api/v1/auth/act', { body });
      window.location.assign('/admin');
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        showFieldErrors(err, { org_id: org, reason }, messages);
      } else {
        messages.replaceChildren(problemBox(err));
      }
      ok.disabled = false;
    }
  });
}
