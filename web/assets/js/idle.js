// The warning before the session idles out. The server says when the
// session ends (`session` of the me body); shortly before, this page asks
// again without extending it (GET /api/v1/auth/session: another tab, or
// this page's own requests, may have used it meanwhile), and only when the
// end is really near shows a dialog with a countdown: "Stay signed in" is
// a real request (GET /api/v1/auth/me, which the server counts as
// activity), "Sign out" signs out. When the session has ended, onEnded
// runs (app.js: the sign-in dialog over the page, which keeps what was
// typed). Near the maximum session length, which nothing extends, the
// dialog only says so.
import { h } from './dom.js';
import { api } from './api.js';
import { adopt, onSessionClock, readSessionClock, sessionClock } from './session.js';
import { modal, toast } from './ui.js';
import { t } from './i18n.js';

/** How long before the end the warning shows (seconds). */
export const WARN_SECONDS = 120;

let handlers = null;
let unsubscribe = null;
let timer = null;
let warning = null; // {dlg, kind, clock, interval}
let acknowledgedEnd = null; // the expires_at whose "maximum length" notice was read

/** Seconds left by clock c, now: {idle, end}. */
function left(c) {
  const gone = (performance.now() - c.at) / 1000;
  return { idle: c.idle_expires_in - gone, end: c.expires_in - gone };
}

const mmss = (s) => {
  const t = Math.max(0, Math.ceil(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
};

/**
 * Watches the session of the signed-in member. onEnded(): the session is
 * over (idle or at its end); onSignOut(): the member chose to sign out.
 */
export function startIdleWatch({ onEnded, onSignOut }) {
  stopIdleWatch();
  handlers = { onEnded, onSignOut };
  unsubscribe = onSessionClock(plan);
  document.addEventListener('visibilitychange', onVisible);
  plan(sessionClock());
}

export function stopIdleWatch() {
  if (unsubscribe) unsubscribe();
  unsubscribe = null;
  handlers = null;
  clearTimeout(timer);
  document.removeEventListener('visibilitychange', onVisible);
  closeWarning();
}

function onVisible() {
  // Timers of a hidden tab run late: ask at once when it shows again.
  if (document.visibilityState === 'visible' && handlers && sessionClock()) check();
}

/* A clock just read from the server: plan the next look, or warn now. */
function plan(c) {
  clearTimeout(timer);
  if (!handlers) return;
  if (!c) { closeWarning(); return; }
  const { idle, end } = left(c);
  const soonest = Math.min(idle, end);
  if (soonest > WARN_SECONDS) {
    if (warning) closeWarning();
    timer = setTimeout(check, (soonest - WARN_SECONDS) * 1000);
    return;
  }
  const kind = end <= idle ? 'end' : 'idle';
  if (kind === 'end' && acknowledgedEnd === c.expires_at) {
    closeWarning();
  } else {
    showWarning(kind, c);
  }
  // Look again when it should be over (a moment late: the server decides).
  timer = setTimeout(check, Math.max(0, soonest + 1) * 1000);
}

/* Asks the server how long is left (not activity); plan() follows. */
async function check() {
  if (!handlers) return;
  let c;
  try {
    c = await readSessionClock();
  } catch {
    clearTimeout(timer);
    timer = setTimeout(check, 30000); // the server could not be reached: try again later
    return;
  }
  if (c === null && handlers) {
    const { onEnded } = handlers;
    closeWarning();
    onEnded();
  }
}

function showWarning(kind, c) {
  if (warning && warning.kind === kind) { warning.clock = c; return; }
  closeWarning();
  const dlg = modal({ title: kind === 'idle' ? t('idle.title') : t('idle.end_title'), returnFocus: document.activeElement });
  dlg.dialog.dataset.testid = 'idle-warning';
  const count = h('strong', { class: 'countdown', role: 'timer', 'aria-live': 'off' });
  const body = kind === 'idle'
    ? h('p', { class: 'dialog-body' }, `${t('idle.body', { count: c.idle_minutes })} `,
      `${t('idle.signed_out_in')} `, count, '.')
    : h('p', { class: 'dialog-body' }, `${t('idle.end_body')} `,
      count, ` ${t('idle.end_body_after')}`);
  dlg.body.append(body);
  const w = { dlg, kind, clock: c, interval: null };
  const paint = () => {
    const l = left(w.clock);
    count.textContent = mmss(kind === 'idle' ? Math.min(l.idle, l.end) : l.end);
  };
  paint();
  w.interval = setInterval(paint, 1000);
  if (kind === 'idle') {
    const out = h('button', { type: 'button', class: 'btn' }, t('shell.sign_out'));
    const stay = h('button', { type: 'button', class: 'btn btn-primary' }, t('idle.stay'));
    out.addEventListener('click', () => dlg.close('out'));
    stay.addEventListener('click', () => dlg.close('stay'));
    dlg.actions.append(out, stay);
    stay.focus();
  } else {
    const ok = h('button', { type: 'button', class: 'btn btn-primary' }, t('common.ok'));
    ok.addEventListener('click', () => dlg.close('ok'));
    dlg.actions.append(ok);
    ok.focus();
  }
  warning = w;
  dlg.result.then((choice) => {
    clearInterval(w.interval);
    if (warning !== w) return; // closed by the watch itself
    warning = null;
    if (!handlers) return;
    if (kind === 'end') { acknowledgedEnd = w.clock.expires_at; return; }
    if (choice === 'out') handlers.onSignOut();
    else stayIn(); // "Stay signed in", or Escape: someone is here
  });
}

function closeWarning() {
  const w = warning;
  warning = null;
  if (!w) return;
  clearInterval(w.interval);
  w.dlg.close('closed');
}

/* "Stay signed in": a real request, which the server counts as activity. */
async function stayIn() {
  try {
    const { data } = await api('GET', '/api/v1/auth/me', { authRequired: false });
    adopt(data);
    toast(t('idle.still_in'), 'info');
  } catch (err) {
    if (err && err.status === 401 && handlers) handlers.onEnded();
    else toast(t('idle.unreachable'), 'error');
  }
}
