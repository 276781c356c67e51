// The portal's History-API router: the paths under /portal that the server
// answers with portal.html. Routes are [pattern, handler, options];
// ':name' segments become params. Links to other /portal paths are
// followed without a page load; everything else loads normally.

let table = [];
let renderFn = null;

export function setRoutes(routes, render) {
  table = routes.map(([pattern, handler, options = {}]) => {
    const names = [];
    const src = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/:(\w+)/g, (_, name) => { names.push(name); return '([^/]+)'; });
    return { pattern, handler, options, regex: new RegExp(`^${src}$`), names };
  });
  renderFn = render;
}

/** The route for a pathname: {route, params}, or null. */
export function match(pathname) {
  for (const route of table) {
    const m = route.regex.exec(pathname);
    if (!m) continue;
    const params = {};
    route.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
    return { route, params };
  }
  return null;
}

/** Goes to url (a /portal path) and draws it. */
export function navigate(url, { replace = false } = {}) {
  const target = new URL(url, location.href);
  const href = target.pathname + target.search + target.hash;
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  return renderFn && renderFn({ navigated: true });
}

/** Replaces the query string of the current entry without drawing again. */
export function replaceQuery(query) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  history.replaceState(null, '', location.pathname + (s ? `?${s}` : ''));
}

const isPortalPath = (p) => p === '/portal' || p.startsWith('/portal/');

/** Follows same-origin /portal links in place, and Back/Forward; draws the first page. */
export function start() {
  document.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = ev.target.closest && ev.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    if (url.pathname === location.pathname && url.search === location.search && url.hash) {
      // An in-page link (the skip link): move focus, keep the address.
      const target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
      if (target) {
        ev.preventDefault();
        if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
        target.focus();
      }
      return;
    }
    if (!isPortalPath(url.pathname)) return;
    ev.preventDefault();
    navigate(url.href);
  });
  window.addEventListener('popstate', () => renderFn && renderFn({ navigated: true }));
  return renderFn && renderFn({ navigated: false });
}
