// What the team password vault's screens share (vault.js, vault_entry.js,
// vault_categories.js): the base path, the categories, the level badge.
import { h } from '../dom.js';
import { api, ApiError } from '../api.js';
import { can } from '../session.js';
import { t } from '../i18n.js';

export const BASE = '/admin/team_password';

/** The categories [{id, name, description, default_access, entries}] by name; [] when not permitted. */
export async function loadCategories(signal) {
  try {
    const { data } = await api('GET', '/api/v1/vault/categories', { query: { limit: 200 }, signal });
    return Array.isArray(data && data.data) ? data.data : [];
  } catch (err) {
    if (err instanceof ApiError) return [];
    throw err;
  }
}

/** Whether the member manages categories (a row of its own in the matrix). */
export const mayManageCategories = () => ['create', 'edit', 'delete'].some((c) => can('team_password_categories', c));

/** The badge of a level (the caller's access to an entry). */
export function levelBadge(level) {
  const cls = { view: 'badge-off', use: 'badge-mail-queued', manage: 'badge-admin' }[level] || 'badge-off';
  return h('span', { class: ['badge', cls], dataset: { level: level || '' } }, level ? t(`vault.level.${level}`) : '—');
}
