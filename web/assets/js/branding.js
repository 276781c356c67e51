// The organisation's branding (Settings → General): its logo in the header
// and on the pages before sign-in, its favicon in the browser tab. Read
// from GET /api/v1/branding (signed in: the member's organisation) or
// /api/v1/branding/public (before sign-in: the default organisation).
//
// Every element marked data-brand shows the brand; brandingChanged(data)
// repaints them all and the favicon (the settings page calls it after an
// upload), so nothing keeps a listener per page.
import { h } from './dom.js';
import { api } from './api.js';

const DEFAULT_ICON = '/assets/favicon.svg';
const cache = { session: null, public: null };

/** The branding body; cached for the page's life (until brandingChanged). */
export async function loadBranding({ signedIn = false, signal } = {}) {
  const key = signedIn ? 'session' : 'public';
  if (cache[key]) return cache[key];
  const { data } = await api('GET', signedIn ? '/api/v1/branding' : '/api/v1/branding/public',
    { signal, authRequired: signedIn });
  cache[key] = data;
  return data;
}

/** The brand's content: the logo(s) uploaded, or Atrium's mark and name. */
export function brandContent(data) {
  const light = data && data.logo_light;
  const dark = data && data.logo_dark;
  if (!light && !dark) {
    return [h('img', { src: DEFAULT_ICON, alt: '', class: 'brand-mark' }), h('span', { class: 'brand-name' }, 'Atrium')];
  }
  const name = (data && data.company_name) || 'Atrium';
  // With both, the theme shows one (app.css); with one, it serves both themes.
  return [
    light ? h('img', { src: light.url, alt: name, class: ['brand-logo', dark ? 'brand-logo-light' : null],
      dataset: { testid: 'brand-logo-light' } }) : null,
    dark ? h('img', { src: dark.url, alt: name, class: ['brand-logo', light ? 'brand-logo-dark' : null],
      dataset: { testid: 'brand-logo-dark' } }) : null,
  ];
}

/** Points the page's favicon at the organisation's, or back at Atrium's. */
export function applyFavicon(data) {
  let link = document.querySelector('link[rel="icon"]');
  if (!link) {
    link = h('link', { rel: 'icon' });
    document.head.appendChild(link);
  }
  const fav = data && data.favicon;
  link.setAttribute('type', fav ? fav.content_type : 'image/svg+xml');
  link.setAttribute('href', fav ? fav.url : DEFAULT_ICON);
}

/**
 * An element showing the brand: Atrium's at first, the organisation's once
 * loaded. tag and props as for h(); signedIn picks the body to read.
 */
export function brandElement(tag, props, { signedIn = false } = {}) {
  const el = h(tag, { ...props, dataset: { brand: signedIn ? 'session' : 'public' } },
    brandContent(cache[signedIn ? 'session' : 'public']));
  loadBranding({ signedIn }).then((data) => {
    el.replaceChildren(...brandContent(data).filter(Boolean));
    applyFavicon(data);
  }).catch(() => { /* Atrium's own brand stays */ });
  return el;
}

/** After a change: the new body everywhere (header, favicon). */
export function brandingChanged(data) {
  cache.session = data;
  cache.public = null; // the default organisation may be this one: read again
  for (const el of document.querySelectorAll('[data-brand="session"]')) {
    el.replaceChildren(...brandContent(data).filter(Boolean));
  }
  applyFavicon(data);
}

/** Forgets the cached bodies (another member signs in). */
export function forgetBranding() {
  cache.session = null;
  cache.public = null;
}
