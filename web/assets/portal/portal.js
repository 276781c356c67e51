// The client portal (/portal): entry point. Owns the route table, the
// header (company, the contact, navigation for the kinds of records they
// may see, sign out) and the render loop. Contacts sign in here in a realm
// of their own (session.js); staff use /admin.
import { h } from '../js/dom.js';
import { isAbort, setUnauthorizedHandler } from '../js/api.js';
import { browserLanguage, language, setLanguage, t } from '../js/i18n.js';
import { api } from '../js/api.js';
import { setFormatPrefs } from '../js/format.js';
import { contactName, forget, loadMe, logout, may, me, stage } from './session.js';
import { match, navigate, setRoutes, start } from './router.js';
import { forgotPage, setPasswordPage, signInPage } from './auth.js';
import { newTicketPage, ticketListPage, ticketPage } from './tickets.js';
import { recordListPage, recordPage } from './records.js';
import { accountPage, expiredPasswordPage } from './account.js';
import { alertBox, loading, problemBox } from './ui.js';

const KINDS = ['tickets', 'contracts', 'projects'];

const ROUTES = [
  ['/portal/sign-in', signInPage, { public: true }],
  ['/portal/forgot-password', forgotPage, { public: true }],
  ['/portal/set-password', setPasswordPage, { public: true }],
  ['/portal/tickets', ticketListPage, { kind: 'tickets' }],
  ['/portal/tickets/new', newTicketPage, { kind: 'tickets' }],
  ['/portal/tickets/:id', ticketPage, { kind: 'tickets' }],
  ['/portal/contracts', recordListPage('contracts'), { kind: 'contracts' }],
  ['/portal/contracts/:id', recordPage('contracts'), { kind: 'contracts' }],
  ['/portal/projects', recordListPage('projects'), { kind: 'projects' }],
  ['/portal/projects/:id', recordPage('projects'), { kind: 'projects' }],
  ['/portal/account', accountPage, {}],
];

const app = document.getElementById('app');
let shell = null;
let controller = null;
let triedMe = false;

const here = () => location.pathname + location.search;
const signInUrl = (reason) => {
  const q = new URLSearchParams();
  if (reason) q.set('reason', reason);
  if (location.pathname !== '/portal' && !location.pathname.startsWith('/portal/sign-in')) q.set('next', here());
  const s = q.toString();
  return `/portal/sign-in${s ? `?${s}` : ''}`;
};

// A request that finds the session gone (idle, expired, signed out
// everywhere by staff) goes back to the sign-in page, which returns here.
setUnauthorizedHandler(() => {
  if (!me()) return;
  forget();
  shell = null;
  navigate(signInUrl('ended'), { replace: true });
});

/* How dates, times and numbers read (the API keeps UTC and plain numbers):
 * signed in, the organisation's formats and time zone (me.localization, as
 * its emails use); before, the language's usual formats in the browser's
 * time zone. */
function formats(lang) {
  const l10n = me() && me().localization;
  if (l10n && l10n.values) { setFormatPrefs(l10n.values); return; }
  let timezone = 'UTC';
  try { timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { /* UTC */ }
  setFormatPrefs(lang === 'ro'
    ? { language: lang, timezone, date_format: 'DD.MM.YYYY', thousands_separator: 'period', decimal_separator: 'comma' }
    : { language: lang, timezone, date_format: 'DD/MM/YYYY' });
}

let publicLanguage = null;
/* The contact's language once signed in; before, the browser's when the
 * portal has it, else the organisation's. */
async function useLanguage() {
  let want = me() && me().language;
  if (!want) {
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
    want = publicLanguage;
  }
  if (language() !== want) {
    await setLanguage(want);
    shell = null;
  }
  formats(language());
}

/* Where /portal goes: the first kind of records the contact may see, else their account. */
const home = () => `/portal/${KINDS.find(may) || 'account'}`;

async function signOutNow() {
  try { await logout(); } catch { /* signed out either way */ }
  shell = null;
  navigate('/portal/sign-in?reason=signed_out', { replace: true });
}

function createShell() {
  const m = me();
  const company = (m.company && m.company.name) || t('portal.name');
  const links = [...KINDS.filter(may), 'account'].map((k) => ({
    path: `/portal/${k}`, a: h('a', { class: 'portal-nav-link', href: `/portal/${k}` }, t(`portal.nav.${k}`)),
  }));
  const signOut = h('button', { type: 'button', class: 'btn btn-sm' }, t('portal.sign_out'));
  signOut.addEventListener('click', () => { signOut.disabled = true; signOutNow(); });
  const main = h('main', { id: 'main', class: 'portal-main', tabindex: '-1' });
  const root = h('div', { class: 'portal-shell' },
    h('header', { class: 'portal-top' },
      h('a', { class: 'portal-company', href: home() }, company),
      h('nav', { class: 'portal-nav', 'aria-label': t('portal.nav.label') },
        h('ul', { class: 'portal-nav-list' }, links.map((l) => h('li', null, l.a)))),
      h('div', { class: 'portal-who' },
        h('span', { class: 'portal-who-text' },
          h('span', { class: 'portal-who-name', 'data-testid': 'portal-contact' }, contactName(m)),
          m.client && m.client.name ? h('span', { class: 'portal-who-client muted' }, m.client.name) : null),
        signOut)),
    main);
  return {
    root, main, company,
    update(path) {
      for (const l of links) {
        if (path === l.path || path.startsWith(`${l.path}/`)) l.a.setAttribute('aria-current', 'page');
        else l.a.removeAttribute('aria-current');
      }
    },
  };
}

async function render({ navigated = false } = {}) {
  const path = location.pathname;
  if (path.length > 8 && path.endsWith('/')) return navigate(path.replace(/\/+$/, '') + location.search + location.hash, { replace: true });
  if (controller) controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  const found = match(path);
  const ctx = {
    signal, navigated,
    params: found ? found.params : {},
    query: new URLSearchParams(location.search),
    setTitle: (x) => {
      const site = (shell && shell.company) || (me() && me().company && me().company.name) || t('portal.name');
      document.title = x ? `${x} · ${site}` : site;
    },
  };

  // Who is signed in, learnt once per page load (and again after sign-in).
  if (!me() && !triedMe && !(found && found.route.pattern === '/portal/set-password')) {
    triedMe = true;
    try {
      await loadMe(signal);
    } catch (err) {
      if (isAbort(err)) return;
      if (err.status !== 401) { await showBoot(err); return; }
    }
    if (signal.aborted) return;
  }
  await useLanguage();
  if (signal.aborted) return;

  if (found && found.route.options.public) {
    shell = null;
    const mount = h('div', { class: 'public' });
    app.className = '';
    app.replaceChildren(mount);
    await run(found.route.handler, ctx, mount);
    if (navigated) focusHeading(mount);
    return;
  }
  if (!me() || stage() !== 'full') return navigate(signInUrl(), { replace: true });
  if (me().must_change_password) {
    // A password past the maximum age: replaced before anything else.
    shell = null;
    const mount = h('div', { class: 'public' });
    app.className = '';
    app.replaceChildren(mount);
    await run(expiredPasswordPage(() => navigate(here(), { replace: true }), signOutNow), ctx, mount);
    return;
  }
  if (path === '/portal') return navigate(home(), { replace: true });

  if (!shell) {
    shell = createShell();
    app.className = '';
    app.replaceChildren(shell.root);
  }
  shell.update(path);
  const mount = h('div', { class: 'page portal-page' }, loading());
  shell.main.replaceChildren(mount);
  const kind = found && found.route.options.kind;
  let handler = found ? found.route.handler : notFound;
  if (kind && !may(kind)) handler = notAllowed;
  await run(handler, ctx, mount);
  if (navigated && !signal.aborted) focusHeading(mount);
}

/* After navigation, focus goes to the page's heading (where a screen
 * reader starts reading), unless the page already put it in a field. */
function focusHeading(mount) {
  const heading = mount.querySelector('h1');
  const active = document.activeElement;
  if (heading && (!active || active === document.body || !mount.contains(active))) heading.focus();
}

async function showBoot(err) {
  await useLanguage().catch(() => {});
  app.className = 'boot';
  app.replaceChildren(problemBox(err, h('a', { href: here(), class: 'btn' }, t('common.try_again'))));
}

async function notFound(ctx, mount) {
  ctx.setTitle(t('portal.problem.not_found'));
  mount.replaceChildren(h('h1', { class: 'page-title', tabindex: '-1' }, t('portal.problem.not_found')),
    alertBox('info', t('portal.problem.not_found_detail'), null, h('a', { href: home(), class: 'btn btn-sm' }, t('portal.go_home'))));
}

async function notAllowed(ctx, mount) {
  ctx.setTitle(t('portal.problem.forbidden'));
  mount.replaceChildren(h('h1', { class: 'page-title', tabindex: '-1' }, t('portal.problem.forbidden')),
    alertBox('info', t('portal.problem.kind_not_shared'), null, h('a', { href: home(), class: 'btn btn-sm' }, t('portal.go_home'))));
}

async function run(handler, ctx, mount) {
  try {
    await handler(ctx, mount);
  } catch (err) {
    if (isAbort(err) || ctx.signal.aborted) return;
    if (err && err.status === 401) return; // the unauthorized handler went to sign-in
    if (err && err.status === 404) { await notFound(ctx, mount); return; }
    mount.replaceChildren(h('h1', { class: 'page-title', tabindex: '-1' }, t('portal.problem.title')), problemBox(err));
  }
}

setRoutes(ROUTES, render);
start();
