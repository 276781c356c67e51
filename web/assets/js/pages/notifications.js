// Notifications (/admin/notifications): every notification of the member,
// newest first (GET /api/v1/notifications), on the list component: the
// unread filter, paging, "Mark read" on each unread one and "Mark all
// read". The bell in the header (bell.js) shows the newest and links here;
// every change here asks it for the count again. Titles and bodies are text.
import { h, pageTitle } from '../dom.js';
import { api, isAbort } from '../api.js';
import { listView } from '../listview.js';
import { noticeText, noticeTime, NOTIFICATIONS_PATH, refreshBell } from '../bell.js';
import { toast } from '../ui.js';
import { t } from '../i18n.js';

/** [value, label] of the unread filter, in the member's language. */
const SHOW = () => [['true', t('notifications.unread_only')], ['false', t('notifications.read_only')]];

export async function notificationsPage(ctx, root) {
  ctx.setTitle(t('notifications.title'));
  const markAll = h('button', { type: 'button', class: 'btn', 'data-testid': 'notifications-read-all' },
    t('notifications.mark_all_read'));

  async function post(path, button) {
    if (button) button.disabled = true;
    try {
      await api('POST', path);
      refreshBell();
      await view.load();
      return true;
    } catch (err) {
      if (!isAbort(err)) view.showError(err);
      return false;
    } finally {
      if (button && button.isConnected) button.disabled = false;
    }
  }

  function titleCell(n) {
    const text = noticeText(n);
    const title = n.link ? h('a', { href: n.link, class: 'notice-title' }, text.title)
      : h('span', { class: 'notice-title' }, text.title);
    // Following the link reads it (the page it opens is what it was about).
    if (n.link && !n.read_at) title.addEventListener('click', () => { post(`/api/v1/notifications/${n.id}/read`); });
    return [title, text.body ? h('p', { class: 'notice-body' }, text.body) : null];
  }

  function readButton(n) {
    if (n.read_at) return null;
    const btn = h('button', { type: 'button', class: 'btn btn-sm',
      'aria-label': t('notifications.mark_read_named', { title: noticeText(n).title }) }, t('notifications.mark_read'));
    btn.addEventListener('click', () => post(`/api/v1/notifications/${n.id}/read`, btn));
    return btn;
  }

  const view = listView(ctx, {
    api: '/api/v1/notifications',
    name: t('notifications.title'),
    id: 'notifications',
    sort: '-id',
    sortText: t('activity.newest_first'),
    limit: 25,
    maxLimit: 100,
    search: null,
    filterLabel: t('notifications.filter'),
    filters: [{ param: 'unread', id: 'notifications-unread', label: t('notifications.show'),
      all: t('notifications.all'), options: SHOW() }],
    columns: [
      { label: t('notifications.col.notification'), class: 'notice-cell', cell: titleCell },
      { label: t('notifications.col.received'), class: 'when', cell: (n) => noticeTime(n.created_at) },
      { label: t('field.status'), class: 'nowrap',
        cell: (n) => h('span', { class: ['badge', n.read_at ? 'badge-off' : 'badge-unread'] },
          n.read_at ? t('notifications.read') : t('notifications.unread')) },
      { label: '', hiddenLabel: t('common.actions'), class: 'actions-cell', cell: readButton },
    ],
    rowProps: (n) => ({ class: n.read_at ? null : 'row-unread', dataset: { notification: n.id } }),
    empty: {
      none: [t('notifications.none'), t('notifications.none_detail')],
      filtered: [t('notifications.none_filtered')],
    },
  });

  markAll.addEventListener('click', async () => {
    if (await post('/api/v1/notifications/read_all', markAll)) toast(t('notifications.all_read'));
  });

  root.replaceChildren(
    h('div', { class: 'page-header' }, pageTitle(t('notifications.title')), markAll),
    h('p', { class: 'muted page-lead' }, t('notifications.lead')),
    view.root);
  await view.load();
}

export const routes = [[NOTIFICATIONS_PATH, notificationsPage]];
export const nav = [];
