// Atrium web admin: entry point. Owns the route table and the render loop.
import { h } from './js/dom.js';
import { isAbort, setReauthHandler, setSignInHandler, setUnauthorizedHandler } from './js/api.js';
import { reauthDialog } from './js/reauth.js';
import { signInAgain } from './js/signin.js';
import { startIdleWatch, stopIdleWatch } from './js/idle.js';
import { forgetForms, hasUnsavedChanges } from './js/dirty.js';
import { forget, loadMe, localization, me, mustChangePassword, stage } from './js/session.js';
import { browserLanguage, language, setLanguage, t } from './js/i18n.js';
import { api } from './js/api.js';
import { match, mayLeave, navigate, setLeaveGuard, setRoutes, start } from './js/router.js';
import { entitiesLoaded, forgetEntities, loadEntities } from './js/entities.js';
import { forgetBranding } from './js/branding.js';
import { setNav } from './js/nav.js';
import { createShell, signOut } from './js/pages/layout.js';
import { changePasswordPage, enrolmentPage, twoFactorPage } from './js/pages/auth.js';
import { PAGES, navRows } from './js/pages/index.js';
import { notFoundPage as notFound } from './js/pages/records.js';
import { clearStaffCache, confirmDialog, loading, problemBox } from './js/ui.js';

const ROUTES = PAGES.flatMap((p) => p.routes);

const app = document.getElementById('app');
let shell = null;
let controller = null;
let firstRender = true;

function loginUrl() {
  const here = location.pathname + location.search;
  return here.startsWith('/admin/') && here !== '/admin/' ? `/login?next=${encodeURIComponent(here)}` : '/login';
}

setReauthHandler(() => reauthDialog());

/* The sign-in page, for a session that ended: what the page held is gone. */
function toLogin() {
  if (!location.pathname.startsWith('/admin')) return;
  stopIdleWatch();
  forget();
  forgetEntities();
  forgetBranding();
  shell = null;
  navigate(loginUrl(), { replace: true });
}

/* Another member signed in at this screen: a fresh page, drawn for them. */
function reloadForNewMember() {
  forgetForms();
  forgetEntities();
  forgetBranding();
  clearStaffCache();
  shell = null;
  navigate(location.pathname + location.search, { replace: true });
}

/* The session ended under a page: sign in again in place (signin.js). */
async function sessionEnded(reason) {
  if (!me() || !location.pathname.startsWith('/admin/')) { toLogin(); return false; }
  const outcome = await signInAgain(reason);
  if (outcome === 'same') return true;
  if (outcome === 'other') reloadForNewMember(); else toLogin();
  return false;
}

// A request that found the session gone is sent again once the same
// member is signed in again (api.js); a second 401 goes to the sign-in page.
setSignInHandler(() => sessionEnded());
setUnauthorizedHandler(() => toLogin());

// Leaving a page whose form holds unsaved changes asks first.
setLeaveGuard({
  needed: hasUnsavedChanges,
  confirm: () => confirmDialog({
    title: t('leave.title'),
    message: t('leave.message'),
    confirmLabel: t('leave.confirm'), cancelLabel: t('leave.cancel'), danger: true,
  }),
});

let publicLanguage = null;
/* The language of the pages before sign-in: the browser's when Atrium has
 * it, else the organisation's (GET /api/v1/localization/public). */
async function usePublicLanguage() {
  if (!publicLanguage) {
    publicLanguage = browserLanguage();
    if (!publicLanguage) {
      try {
        publicLanguage = (await api('GET', '/api/v1/localization/public', { authRequired: false })).data.language;
      } catch {
        publicLanguage = 'en';
      }
    }
  }
  if (language() !== publicLanguage) await setLanguage(publicLanguage);
}

/* The signed-in member's language (their own, or the organisation's). */
async function useMemberLanguage() {
  const l = localization();
  const want = (l && l.values && l.values.language) || publicLanguage || 'en';
  if (language() !== want) {
    await setLanguage(want);
    shell = null; // drawn again in that language
  }
}

async function render() {
  const path = location.pathname;
  if (path === '/' || path === '/admin') return navigate(`/admin/${location.search}`, { replace: true });
  if (path.length > 7 && path.endsWith('/')) return navigate(path.replace(/\/+$/, '') + location.search, { replace: true });

  if (controller) controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  const found = match(path);
  const ctx = {
    signal,
    params: found ? found.params : {},
    query: new URLSearchParams(location.search),
    setTitle: (x) => { document.title = x ? `${x} · Atrium` : 'Atrium'; },
  };
  const focusAfter = !firstRender;
  firstRender = false;

  if (found && found.route.options.public) {
    await usePublicLanguage();
    shell = null;
    const mount = h('div', { class: 'public' });
    app.className = '';
    app.replaceChildren(mount);
    await run(found.route.handler, ctx, mount);
    return;
  }
  if (!path.startsWith('/admin/')) return navigate('/admin/', { replace: true });

  if (!me()) {
    try {
      await loadMe(signal);
    } catch (err) {
      if (isAbort(err)) return;
      if (err.status === 401) return navigate(loginUrl(), { replace: true });
      app.className = 'boot';
      app.replaceChildren(problemBox(err, h('a', { href: location.pathname, class: 'btn' }, t('common.try_again'))));
      return;
    }
    if (signal.aborted) return;
  }
  await useMemberLanguage();
  if (signal.aborted) return;
  // Screens that replace every route until they are done (the server
  // refuses everything else meanwhile): the two-factor code after the
  // password, then a temporary or expired password (replaced before
  // enrolment, so whoever set it cannot enrol their own authenticator),
  // then the required two-factor enrolment. Each continues to the page
  // that was asked for.
  const gate = stage() === 'mfa' ? twoFactorPage : mustChangePassword() ? changePasswordPage
    : stage() === 'enrol' ? enrolmentPage : null;
  if (gate) {
    shell = null;
    const mount = h('div', { class: 'public' });
    app.className = '';
    app.replaceChildren(mount);
    await run(gate(() => navigate(location.pathname + location.search, { replace: true })), ctx, mount);
    return;
  }
  if (!shell) {
    // The entities this member may view: their routes, lists, forms and
    // navigation rows come from the server's definitions.
    if (!entitiesLoaded()) {
      try {
        await loadEntities(signal);
      } catch (err) {
        if (isAbort(err)) return;
        if (err.status === 401) return navigate(loginUrl(), { replace: true });
        app.className = 'boot';
        app.replaceChildren(problemBox(err, h('a', { href: location.pathname, class: 'btn' }, t('common.try_again'))));
        return;
      }
      if (signal.aborted) return;
    }
    setNav(navRows());
    shell = createShell();
    app.className = '';
    app.replaceChildren(shell.root);
    // Warns before the session idles out; when it has ended, the sign-in
    // dialog comes over the page.
    startIdleWatch({
      onEnded: () => sessionEnded('idle'),
      onSignOut: async () => { if (await mayLeave()) await signOut(); },
    });
  }
  shell.update(path);
  const mount = h('div', { class: 'page' }, loading());
  shell.main.replaceChildren(mount);
  await run(found ? found.route.handler : notFound, ctx, mount);
  if (focusAfter && !signal.aborted) {
    const heading = mount.querySelector('.page-title');
    const active = document.activeElement;
    if (heading && (!active || active === document.body || !document.body.contains(active))) heading.focus();
  }
}

async function run(handler, ctx, mount) {
  try {
    await handler(ctx, mount);
  } catch (err) {
    if (isAbort(err) || ctx.signal.aborted) return;
    if (err && err.status === 401) return; // the unauthorized handler redirects
    if (err && err.status === 403 && /change your password|set up two-factor/i.test(err.detail || '')) {
      // The password became temporary, or 2FA became required, meanwhile:
      // learn it and show that screen.
      forget();
      forgetEntities();
  forgetBranding();
      shell = null;
      navigate(location.pathname + location.search, { replace: true });
      return;
    }
    mount.replaceChildren(problemBox(err));
  }
}

setRoutes(ROUTES, render);
start();
