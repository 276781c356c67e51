// The signed-in app shell: top bar, left navigation, main area.
import { h, icon } from '../dom.js';
import { NAV } from '../nav.js';
import { canView, logout, me } from '../session.js';
import { mayLeave, navigate } from '../router.js';
import { stopIdleWatch } from '../idle.js';
import { themeToggle } from '../theme.js';
import { clearStaffCache, toast } from '../ui.js';
import { forgetEntities } from '../entities.js';
import { brandElement, forgetBranding } from '../branding.js';
import { notificationBell } from '../bell.js';
import { orgMenu } from '../orgmenu.js';
import { actBanner, actButton } from '../actmenu.js';
import { t, tOr } from '../i18n.js';

const MENU = ['M4 6h16', 'M4 12h16', 'M4 18h16'];
const LOGOUT = ['M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3', 'M10 17l5-5-5-5', 'M15 12H4'];
const SHIELD = ['M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z', 'M12 8v4', 'M12 15.5v.01'];
const SECURITY_PATH = '/admin/profile/security';

/** Signs out here and goes to the sign-in page. */
export async function signOut() {
  stopIdleWatch();
  try { await logout(); } catch { /* the session is gone either way */ }
  clearStaffCache();
  forgetEntities();
  forgetBranding();
  toast(t('shell.signed_out'), 'info');
  navigate('/login', { replace: true });
}

export function visibleNav() {
  return NAV.filter((row) => canView(row.module, row));
}

/** Builds the shell; returns {root, main, update(pathname)}. */
export function createShell() {
  const staff = me();
  const navId = 'app-nav';
  const menuBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon menu-toggle',
    'aria-controls': navId, 'aria-expanded': 'false', 'aria-label': t('shell.menu') }, icon(MENU));

  const links = [];
  const groups = [];
  let group = null;
  for (const row of visibleNav()) {
    if (!group || group.name !== row.group) {
      group = { name: row.group, list: h('ul', { class: 'nav-list' }) };
      groups.push(h('div', { class: 'nav-group' },
        row.group ? h('p', { class: 'nav-heading' }, tOr(`nav.group.${row.group.toLowerCase()}`, row.group)) : null,
        group.list));
    }
    // A page's row names its catalogue key; an entity's row its plural.
    const label = row.key ? t(row.key) : tOr(`entity.${row.module}`, row.label);
    const a = h('a', { href: row.path, class: 'nav-link' }, icon(row.icon), h('span', null, label));
    links.push({ row, a });
    group.list.appendChild(h('li', null, a));
  }
  const nav = h('nav', { id: navId, class: 'sidebar', 'aria-label': t('shell.main_nav') }, h('div', { class: 'sidebar-inner' }, groups));

  const logoutBtn = h('button', { type: 'button', class: 'btn btn-ghost', title: t('shell.sign_out') },
    icon(LOGOUT), h('span', { class: 'hide-sm' }, t('shell.sign_out')));
  logoutBtn.addEventListener('click', async () => {
    if (!(await mayLeave())) return; // unsaved changes: asked first
    logoutBtn.disabled = true;
    await signOut();
  });

  const who = h('div', { class: 'who' },
    h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(staff.name || staff.email)),
    h('span', { class: 'who-text' },
      h('span', { class: 'who-name', 'data-testid': 'user-name' }, staff.name || staff.email),
      h('span', { class: 'who-role' }, staff.admin ? t('shell.role_admin') : t('shell.role_staff'))));

  // The member's own password, 2FA and sessions, next to their name.
  const security = h('a', { href: SECURITY_PATH, class: 'btn btn-ghost topbar-link', 'aria-label': t('shell.security'),
    title: t('shell.security_title') },
  icon(SHIELD), h('span', { class: 'hide-sm' }, t('shell.security')));

  // The member's notifications: the unread count, the newest in a panel.
  const bell = notificationBell();

  // The person's organisations, when they belong to more than one.
  const orgs = orgMenu();

  // Another organisation to act in (operator mode, a business's merchants).
  const act = actButton();

  const topbar = h('header', { class: 'topbar' },
    menuBtn,
    brandElement('a', { href: '/admin/', class: 'brand', 'data-testid': 'header-brand' }, { signedIn: true }),
    h('div', { class: 'topbar-spacer' }),
    act.root, orgs.root, bell.root, who, security, themeToggle(), logoutBtn);

  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  // While acting in another organisation: where, till when, and "Leave".
  const banner = actBanner();
  if (banner) main.classList.add('main-acting');
  const root = h('div', { class: ['shell', banner ? 'shell-acting' : null] }, banner, topbar, nav, main);

  const setOpen = (open) => {
    root.classList.toggle('nav-open', open);
    menuBtn.setAttribute('aria-expanded', String(open));
  };
  menuBtn.addEventListener('click', () => setOpen(!root.classList.contains('nav-open')));
  nav.addEventListener('click', (ev) => { if (ev.target.closest('a')) setOpen(false); });
  main.addEventListener('click', () => setOpen(false));
  nav.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && root.classList.contains('nav-open')) { setOpen(false); menuBtn.focus(); }
  });

  return {
    root, main,
    update(pathname) {
      bell.navigated();
      if (pathname === SECURITY_PATH) security.setAttribute('aria-current', 'page'); else security.removeAttribute('aria-current');
      for (const { row, a } of links) {
        const active = row.exact ? pathname === row.path : pathname === row.path || pathname.startsWith(`${row.path}/`);
        if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
      }
    },
  };
}

function initials(name) {
  const parts = String(name || '?').trim().split(/[\s@.]+/).filter(Boolean);
  return (parts.slice(0, 2).map((p) => p[0]).join('') || '?').toUpperCase();
}
