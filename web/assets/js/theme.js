// Light/dark theme: remembered in localStorage, default from the system.
// theme-init.js applies it before first paint; this module toggles it.
import { h, icon } from './dom.js';
import { t } from './i18n.js';

const KEY = 'atrium-theme';
const SUN = ['M12 4V2', 'M12 22v-2', 'M4.9 4.9 3.5 3.5', 'M20.5 20.5l-1.4-1.4', 'M4 12H2', 'M22 12h-2',
  'M4.9 19.1l-1.4 1.4', 'M20.5 3.5l-1.4 1.4', 'M12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8z'];
const MOON = 'M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z';

export function currentTheme() {
  return document.documentElement.getAttribute('data-theme') === 'dark' ? 'dark' : 'light';
}

export function setTheme(theme) {
  document.documentElement.setAttribute('data-theme', theme);
  try { localStorage.setItem(KEY, theme); } catch { /* storage blocked: still switch */ }
}

/** A button that switches theme; its label names the theme it switches to. */
export function themeToggle() {
  const btn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon' });
  const paint = () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    const label = t(`theme.switch_${next}`);
    btn.setAttribute('aria-label', label);
    btn.title = label;
    btn.replaceChildren(icon(next === 'dark' ? MOON : SUN));
  };
  btn.addEventListener('click', () => {
    setTheme(currentTheme() === 'dark' ? 'light' : 'dark');
    paint();
  });
  paint();
  return btn;
}
