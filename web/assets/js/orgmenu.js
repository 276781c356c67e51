// The organisation menu of the admin header (issue 17): shown only when
// the signed-in person is a member of more than one organisation
// (GET /api/v1/auth/orgs). Choosing one switches the session to that
// membership (POST /api/v1/auth/switch: a new session, the old one ended)
// and reloads the app at /admin, whose every view is the other
// organisation's. Names are text nodes (dom.js), never HTML.
import { h } from './dom.js';
import { api } from './api.js';
import { t } from './i18n.js';
import { toast } from './ui.js';

/** Returns {root}: an empty span, filled once the memberships are known. */
export function orgMenu() {
  const root = h('span', { class: 'org-menu' });
  load(root);
  return { root };
}

async function load(root) {
  let orgs;
  try {
    orgs = (await api('GET', '/api/v1/auth/orgs')).data.data;
  } catch {
    return; // no menu: the app works in the current organisation
  }
  if (!Array.isArray(orgs) || orgs.length < 2) return;
  const id = 'org-menu-select';
  const select = h('select', { id, class: 'input org-select', 'data-testid': 'org-menu' },
    orgs.map((o) => h('option', {
      value: String(o.org_id),
      selected: o.current,
      disabled: o.status === 'suspended' && !o.current,
    }, o.status === 'suspended' ? t('orgmenu.suspended', { name: o.name }) : o.name)));
  select.addEventListener('change', async () => {
    const want = Number(select.value);
    select.disabled = true;
    try {
      await api('POST', '/api/v1/auth/switch', { body: { org_id: want } });
      window.location.assign('/admin');
    } catch (err) {
      toast(err.detail || err.title || t('orgmenu.failed'), 'error');
      const cur = orgs.find((o) => o.current);
      if (cur) select.value = String(cur.org_id);
      select.disabled = false;
    }
  });
  root.append(h('label', { for: id, class: 'visually-hidden' }, t('orgmenu.label')), select);
}
