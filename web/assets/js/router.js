// History-API router over the paths the server answers with index.html.
// Routes are [pattern, handler, options]; ':name' segments become params.

let table = [];
let renderFn = null;
// Leaving a page with unsaved changes asks first: {needed() → bool,
// confirm() → Promise<bool>} (app.js). Links and Back/Forward go
// through it; navigate() called by a page (after a save, a delete) does
// not: the page decided.
let guard = null;
// Where the current entry is in the session history (history.state.i),
// so that Back can be undone while the member decides.
let index = 0;
let restoring = false; // the popstate of undoing a Back/Forward: ignored
let leaving = false;   // the popstate of redoing it once confirmed: not asked again

export function setLeaveGuard(g) { guard = g; }

export function setRoutes(routes, render) {
  table = routes.map(([pattern, handler, options = {}]) => ({
    pattern, handler, options, re: compile(pattern),
  }));
  renderFn = render;
}

function compile(pattern) {
  const names = [];
  const src = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/:(\w+)/g, (_, name) => { names.push(name); return '([^/]+)'; });
  return { regex: new RegExp(`^${src}$`), names };
}

/** Finds the route for a pathname: {route, params} or null. */
export function match(pathname) {
  for (const route of table) {
    const m = route.re.regex.exec(pathname);
    if (!m) continue;
    const params = {};
    route.re.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
    return { route, params };
  }
  return null;
}

export function navigate(url, { replace = false } = {}) {
  const target = new URL(url, location.href);
  const href = target.pathname + target.search + target.hash;
  if (replace) history.replaceState({ i: index }, '', href);
  else history.pushState({ i: ++index }, '', href);
  return renderFn && renderFn();
}

/** Whether leaving this page may go ahead (asks when a form has unsaved changes). */
export async function mayLeave() {
  if (!guard || !guard.needed()) return true;
  return Boolean(await guard.confirm());
}

async function onPopState(ev) {
  const to = ev.state && typeof ev.state.i === 'number' ? ev.state.i : null;
  if (restoring) { restoring = false; if (to !== null) index = to; return; }
  if (leaving || to === null || to === index || !guard || !guard.needed()) {
    leaving = false;
    if (to !== null) index = to;
    if (renderFn) renderFn();
    return;
  }
  // The address already changed: go back to where we were while asking.
  const delta = to - index;
  restoring = true;
  history.go(-delta);
  if (await guard.confirm()) {
    leaving = true;
    history.go(delta);
  }
}

/** Updates the query string of the current entry without re-rendering. */
export function replaceQuery(query) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  history.replaceState({ i: index }, '', location.pathname + (s ? `?${s}` : ''));
}

/** Whether a same-origin path is ours (served by index.html). */
export function isAppPath(pathname) {
  return pathname === '/login' || pathname === '/setup' || pathname === '/set-password'
    || pathname === '/forgot-password' || pathname === '/reset-password'
    || pathname === '/admin' || pathname.startsWith('/admin/');
}

/** Intercepts plain left clicks on same-origin app links and back/forward. */
export function start() {
  document.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = ev.target.closest && ev.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    if (url.pathname === location.pathname && url.search === location.search && url.hash) {
      // In-page link (skip link, error summary): move focus, keep the URL.
      const target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
      if (target) {
        ev.preventDefault();
        if (!target.hasAttribute('tabindex') && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(target.tagName)) {
          target.setAttribute('tabindex', '-1');
        }
        target.focus();
      }
      return;
    }
    if (!isAppPath(url.pathname)) return;
    ev.preventDefault();
    mayLeave().then((ok) => { if (ok) navigate(url.href); });
  });
  if (history.state && typeof history.state.i === 'number') index = history.state.i;
  else history.replaceState({ i: index }, '', location.href);
  window.addEventListener('popstate', onPopState);
  return renderFn && renderFn();
}
