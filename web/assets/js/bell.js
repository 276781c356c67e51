// The notification bell of the admin header: the member's unread count
// (GET /api/v1/notifications/unread, which does not extend the session)
// asked every minute while the page is visible, again when it becomes
// visible and on every navigation (refreshBell); its button opens a panel
// with the newest notifications, "Mark all read" and the way to
// /admin/notifications. Titles and bodies are text nodes (dom.js), never
// HTML. The panel is a disclosure: Escape, a click outside or focus
// leaving it closes it; Tab walks into it from the button.
import { h, icon, nextId } from './dom.js';
import { api, isAbort } from './api.js';
import { formatDateTime, timeZone } from './format.js';
import { language, t, tOr } from './i18n.js';
import { problemBox } from './ui.js';

const BELL = ['M18 8a6 6 0 1 0-12 0c0 7-3 9-3 9h18s-3-2-3-9', 'M13.7 21a2 2 0 0 1-3.4 0'];
const POLL_MS = 60000;
const PANEL_ITEMS = 8;
export const NOTIFICATIONS_PATH = '/admin/notifications';

let current = null; // the bell on the page (one shell at a time)

/** Asks the unread count again (after a navigation, or a change made elsewhere on the page). */
export function refreshBell() {
  if (current) current.refresh();
}

/**
 * The title and body of notification n in the member's language: a message
 * the server named ({key, params}) from notifications.msg.<key>.title and
 * .body, a param whose name ends in "_t" translated first, and {at} the
 * notification's own time in the member's zone; else, or for a key this
 * catalogue lacks, the English text the server stored.
 */
export function noticeText(n) {
  const m = n && n.message;
  if (!m || typeof m.key !== 'string') return { title: n.title, body: n.body };
  const when = new Date(n.created_at);
  const params = { at: Number.isNaN(when.getTime()) ? '' : formatDateTime(when) };
  for (const [k, v] of Object.entries(m.params || {})) params[k] = k.endsWith('_t') ? t(String(v)) : v;
  const base = `notifications.msg.${m.key}`;
  return {
    title: tOr(`${base}.title`, n.title, params),
    body: n.body == null ? n.body : tOr(`${base}.body`, n.body, params),
  };
}

/** A <time> with a relative text ("5 minutes ago") and the full time in its title. */
export function noticeTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  const sec = Math.round((d.getTime() - Date.now()) / 1000);
  const abs = Math.abs(sec);
  const steps = [[60, 'second', 1], [3600, 'minute', 60], [86400, 'hour', 3600], [7 * 86400, 'day', 86400]];
  const step = steps.find(([limit]) => abs < limit);
  let text;
  if (!step) text = formatDateTime(d);
  else {
    const rtf = new Intl.RelativeTimeFormat(language() || 'en', { numeric: 'auto' });
    text = rtf.format(step[1] === 'second' ? 0 : Math.round(sec / step[2]), step[1]);
  }
  return h('time', { datetime: iso, title: `${formatDateTime(d)} (${timeZone()})` }, text);
}

/** The count as the badge shows it. */
const shown = (n) => (n > 99 ? '99+' : String(n));

/** Builds the bell; returns {root, refresh()}. A new bell retires the one before. */
export function notificationBell() {
  if (current) current.stop();
  const panelId = nextId('bell-panel');
  const titleId = nextId('bell-title');
  const badge = h('span', { class: 'bell-count', 'aria-hidden': 'true', hidden: true });
  const button = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bell-button', 'aria-expanded': 'false',
    'aria-controls': panelId, 'data-testid': 'bell' }, icon(BELL), badge);
  const markAll = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'data-testid': 'bell-read-all' },
    t('notifications.mark_all_read'));
  const list = h('div', { class: 'bell-list' });
  const allLink = h('a', { href: NOTIFICATIONS_PATH, class: 'bell-all' }, t('notifications.see_all'));
  const panel = h('section', { id: panelId, class: 'bell-panel', 'aria-labelledby': titleId, hidden: true },
    h('div', { class: 'bell-head' }, h('h2', { id: titleId, class: 'bell-title' }, t('notifications.title')), markAll),
    list,
    h('div', { class: 'bell-foot' }, allLink));
  const root = h('div', { class: 'bell' }, button, panel);

  let count = 0;
  let timer = null;
  let asking = null; // the count request in flight
  let loading = null; // the panel's request in flight

  function paint() {
    badge.hidden = count === 0;
    badge.textContent = shown(count);
    const label = count === 0 ? t('notifications.bell_none') : t('notifications.bell_unread', { count, n: shown(count) });
    button.setAttribute('aria-label', label);
    button.title = label;
    markAll.disabled = count === 0;
  }

  async function refresh() {
    if (!root.isConnected && timer) { stop(); return; }
    if (asking) asking.abort();
    const controller = new AbortController();
    asking = controller;
    try {
      // A failure (the session ended, the server away) leaves the count
      // as it was: the session's own watch (idle.js) handles the end.
      const { data } = await api('GET', '/api/v1/notifications/unread', { signal: controller.signal, authRequired: false });
      count = Math.max(0, Number(data && data.count) || 0);
      paint();
    } catch (err) {
      if (!isAbort(err)) { /* keep the last count */ }
    } finally {
      if (asking === controller) asking = null;
    }
  }

  function item(n) {
    const unread = !n.read_at;
    const text = noticeText(n);
    const title = h('span', { class: 'bell-item-title' }, text.title);
    const head = n.link ? h('a', { href: n.link, class: 'bell-item-link' }, title) : h('p', { class: 'bell-item-head' }, title);
    if (n.link) head.addEventListener('click', () => { if (unread) markRead(n.id); close(); });
    const read = unread ? h('button', { type: 'button', class: 'btn btn-sm btn-ghost bell-item-read',
      'aria-label': t('notifications.mark_read_named', { title: text.title }) }, t('notifications.mark_read')) : null;
    if (read) {
      read.addEventListener('click', async () => {
        read.disabled = true;
        if (await markRead(n.id)) {
          li.classList.remove('is-unread');
          read.remove();
          // The focus stays in the panel: the next one to mark, else "See all".
          const next = [...list.querySelectorAll('.bell-item-read')].find((b) => !b.disabled);
          (next || allLink).focus();
        } else read.disabled = false;
      });
    }
    const li = h('li', { class: ['bell-item', unread ? 'is-unread' : null], dataset: { notification: n.id } },
      h('div', { class: 'bell-item-main' },
        unread ? h('span', { class: 'visually-hidden' }, `${t('notifications.unread')}: `) : null,
        head,
        text.body ? h('p', { class: 'bell-item-body' }, text.body) : null,
        h('p', { class: 'bell-item-when muted' }, noticeTime(n.created_at))),
      read);
    return li;
  }

  async function markRead(id) {
    try {
      await api('POST', `/api/v1/notifications/${encodeURIComponent(id)}/read`);
      refresh();
      return true;
    } catch (err) {
      if (!isAbort(err)) list.prepend(problemBox(err));
      return false;
    }
  }

  async function load() {
    if (loading) loading.abort();
    const controller = new AbortController();
    loading = controller;
    list.replaceChildren(h('p', { class: 'bell-empty muted', role: 'status' }, t('common.loading')));
    list.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api('GET', '/api/v1/notifications', { query: { limit: PANEL_ITEMS }, signal: controller.signal });
      const rows = Array.isArray(data && data.data) ? data.data : [];
      list.replaceChildren(rows.length ? h('ul', { class: 'bell-items' }, rows.map(item))
        : h('p', { class: 'bell-empty muted' }, t('notifications.none')));
    } catch (err) {
      if (!isAbort(err)) list.replaceChildren(problemBox(err));
    } finally {
      if (loading === controller) {
        loading = null;
        list.removeAttribute('aria-busy');
      }
    }
  }

  const isOpen = () => !panel.hidden;
  function open() {
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    root.classList.add('is-open');
    load();
    refresh();
  }
  function close({ focus = false } = {}) {
    if (!isOpen()) return;
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    root.classList.remove('is-open');
    if (loading) loading.abort();
    if (focus) button.focus();
  }

  button.addEventListener('click', () => (isOpen() ? close() : open()));
  markAll.addEventListener('click', async () => {
    markAll.disabled = true;
    // A list still on its way was read before this: drawn after it, it
    // would bring the unread marks back. Stop it, and load the list again.
    const reload = Boolean(loading);
    if (loading) loading.abort();
    try {
      await api('POST', '/api/v1/notifications/read_all');
      count = 0;
      paint();
      for (const li of list.querySelectorAll('.bell-item.is-unread')) li.classList.remove('is-unread');
      for (const b of list.querySelectorAll('.bell-item-read')) b.remove();
      button.focus();
      refresh();
      if (reload) load();
    } catch (err) {
      if (!isAbort(err)) list.prepend(problemBox(err));
      paint();
    }
  });
  root.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && isOpen()) { ev.stopPropagation(); close({ focus: true }); }
  });
  root.addEventListener('focusout', (ev) => {
    if (ev.relatedTarget && !root.contains(ev.relatedTarget)) close();
  });
  const onDocClick = (ev) => { if (isOpen() && !root.contains(ev.target)) close(); };
  const onVisible = () => { if (document.visibilityState === 'visible') refresh(); };
  document.addEventListener('click', onDocClick);
  document.addEventListener('visibilitychange', onVisible);
  timer = setInterval(() => { if (document.visibilityState === 'visible') refresh(); }, POLL_MS);

  function stop() {
    clearInterval(timer);
    timer = null;
    if (asking) asking.abort();
    if (loading) loading.abort();
    document.removeEventListener('click', onDocClick);
    document.removeEventListener('visibilitychange', onVisible);
    if (current === bell) current = null;
  }

  paint();
  const bell = {
    root,
    /** Asks the count again; a navigation also closes the panel. */
    refresh,
    navigated() { close(); refresh(); },
    stop,
  };
  current = bell;
  return bell;
}
