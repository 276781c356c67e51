// Atrium web admin: entry point. Owns the route table and the render loop.
import { h } from './js/dom.js';
import { isAbort, setReauthHandler, setUnauthorizedHandler } from './js/api.js';
import { reauthDialog } from './js/reauth.js';
import { canView, forget, loadMe, me, mustChangePassword, stage } from './js/session.js';
import { match, navigate, setRoutes, start } from './js/router.js';
import { ENTITIES } from './js/entities.js';
import { createShell } from './js/pages/layout.js';
import {
  changePasswordPage, confirmEmailPage, enrolmentPage, forgotPasswordPage, loginPage, resetPasswordPage, setupPage, setPasswordPage,
  twoFactorPage,
} from './js/pages/auth.js';
import { dashboardPage } from './js/pages/dashboard.js';
import { listPage } from './js/pages/list.js';
import { formPage } from './js/pages/form.js';
import { activityPage } from './js/pages/activity.js';
import { staffListPage, staffNewPage, staffRecordPage } from './js/pages/staff.js';
import { roleNewPage, roleRecordPage, rolesListPage } from './js/pages/roles.js';
import { settingsPage } from './js/pages/settings.js';
import { emailQueuePage } from './js/pages/email_queue.js';
import { profileSecurityPage } from './js/pages/profile.js';
import { twofaUsersPage } from './js/pages/twofa.js';
import { alertBox, loading, problemBox } from './js/ui.js';
import { NAV } from './js/nav.js';

const ROUTES = [
  ['/login', loginPage, { public: true }],
  ['/setup', setupPage, { public: true }],
  ['/set-password', setPasswordPage, { public: true }],
  ['/forgot-password', forgotPasswordPage, { public: true }],
  ['/reset-password', resetPasswordPage, { public: true }],
  ['/confirm-email', confirmEmailPage, { public: true }],
  ['/admin/', dashboardPage],
  ...ENTITIES.flatMap((e) => [
    [e.path, listPage(e)],
    [`${e.path}/new`, formPage(e)],
    [`${e.path}/:id`, formPage(e)],
  ]),
  ['/admin/staff', staffListPage],
  ['/admin/staff/new', staffNewPage],
  ['/admin/staff/:id', staffRecordPage],
  ['/admin/roles', rolesListPage],
  ['/admin/roles/new', roleNewPage],
  ['/admin/roles/:id', roleRecordPage],
  ['/admin/settings', settingsPage],
  ['/admin/profile/security', profileSecurityPage],
  ['/admin/authenticator_2fa', () => navigate('/admin/authenticator_2fa/userlist', { replace: true })],
  ['/admin/authenticator_2fa/userlist', twofaUsersPage],
  ['/admin/utilities', utilitiesPage],
  ['/admin/utilities/email_queue', emailQueuePage],
  ['/admin/utilities/activity_log', activityPage],
];

const app = document.getElementById('app');
let shell = null;
let controller = null;
let firstRender = true;

function loginUrl() {
  const here = location.pathname + location.search;
  return here.startsWith('/admin/') && here !== '/admin/' ? `/login?next=${encodeURIComponent(here)}` : '/login';
}

setReauthHandler(() => reauthDialog());

setUnauthorizedHandler(() => {
  if (!location.pathname.startsWith('/admin')) return;
  forget();
  shell = null;
  navigate(loginUrl(), { replace: true });
});

function notFound(ctx, root) {
  ctx.setTitle('Not found');
  root.replaceChildren(
    h('h1', { class: 'page-title', tabindex: '-1' }, 'Page not found'),
    alertBox('info', 'There is nothing at this address.', 'It may belong to a module that is not available yet.',
      h('a', { href: '/admin/', class: 'btn' }, 'Go to the dashboard')));
}

/** /admin/utilities: the spec's utilities, as links (those the member may use). */
function utilitiesPage(ctx, root) {
  ctx.setTitle('Utilities');
  const rows = NAV.filter((n) => n.group === 'Utilities' && canView(n.module, n));
  root.replaceChildren(
    h('h1', { class: 'page-title', tabindex: '-1' }, 'Utilities'),
    h('p', { class: 'muted page-lead' }, 'Daily: blocked emails in the email queue. Weekly: the activity log.'),
    rows.length ? h('div', { class: 'stats' }, rows.map((n) => h('a', { href: n.path, class: 'card stat' },
      h('p', { class: 'stat-label' }, 'Utility'), h('p', { class: 'stat-value stat-value-text' }, n.label))))
      : alertBox('info', 'Your role gives you no utilities.'));
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
    setTitle: (t) => { document.title = t ? `${t} · Atrium` : 'Atrium'; },
  };
  const focusAfter = !firstRender;
  firstRender = false;

  if (found && found.route.options.public) {
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
      app.replaceChildren(problemBox(err, h('a', { href: location.pathname, class: 'btn' }, 'Try again')));
      return;
    }
    if (signal.aborted) return;
  }
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
    shell = createShell();
    app.className = '';
    app.replaceChildren(shell.root);
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
      shell = null;
      navigate(location.pathname + location.search, { replace: true });
      return;
    }
    mount.replaceChildren(problemBox(err));
  }
}

setRoutes(ROUTES, render);
start();
