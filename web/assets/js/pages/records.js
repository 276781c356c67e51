// The CRM records: one list page and one form per entity the server defines
// (GET /api/v1/meta/entities, loaded into ENTITIES at sign-in). The routes
// are generic (/admin/:entity...) and come last, after every page's own; the
// navigation rows are made from the definitions.
import { h, pageTitle } from '../dom.js';
import { ENTITIES, entityByKey } from '../entities.js';
import { alertBox } from '../ui.js';
import { navigate } from '../router.js';
import { t } from '../i18n.js';
import { listPage } from './list.js';
import { formPage } from './form.js';

// Icons and groups are the UI's own: what the server does not say.
const LOOK = {
  leads: { group: 'CRM', order: 10, icon: ['M3 5h18l-7 8v6l-4 2v-8z'] },
  clients: { group: 'CRM', order: 20,
    icon: ['M4 21V7l8-4 8 4v14', 'M9 21v-5h6v5', 'M9 10h.01', 'M15 10h.01'] },
  // The finance documents (issue 13): their own pages (proposals.js,
  // invoices.js, credit_notes.js, payments.js) under Sales.
  proposals: { group: 'Sales', order: 5, icon: ['M7 3h8l4 4v14H7z', 'M15 3v4h4', 'M10 12h6', 'M10 16h3', 'M15 16l1.5 1.5L19 15'] },
  invoices: { group: 'Sales', order: 10, icon: ['M7 3h8l4 4v14H7z', 'M15 3v4h4', 'M10 12h6', 'M10 16h6'] },
  payments: { group: 'Sales', order: 20,
    icon: ['M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z', 'M15 9.5c-.5-1-1.6-1.5-3-1.5-1.7 0-3 .8-3 2s1.3 1.6 3 2 3 .8 3 2-1.3 2-3 2c-1.4 0-2.5-.5-3-1.5',
      'M12 6v2', 'M12 16v2'] },
  credit_notes: { group: 'Sales', order: 30, icon: ['M7 3h8l4 4v14H7z', 'M15 3v4h4', 'M10 14h6'] },
  departments: { group: 'Organisation', order: 30, adminOnly: true,
    icon: ['M3 21h18', 'M5 21V8l7-5 7 5v13', 'M9 21v-4h6v4', 'M9 11h6'] },
  teams: { group: 'Organisation', order: 40, adminOnly: true,
    icon: ['M7 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6z', 'M17 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6z',
      'M2 20v-1a5 5 0 0 1 9-3', 'M22 20v-1a5 5 0 0 0-9-3', 'M12 20v-1a4 4 0 0 1 8 0'] },
};
// GDPR rights requests (the register; pages/gdpr.js adds its actions).
LOOK.gdpr = { group: 'Administration', order: 50,
  icon: ['M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z', 'M9 12l2 2 4-4'] };
// Record retention rules (GDPR storage limitation), beside the register;
// pages/retention_rules.js adds the preview and the runs.
LOOK.retention_rules = { group: 'Administration', order: 51,
  icon: ['M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z', 'M12 8v4l3 2'] };
const DEFAULT_LOOK = { group: 'CRM', order: 90, icon: ['M4 4h16v16H4z', 'M8 9h8', 'M8 13h8', 'M8 17h5'] };

/** The page for an address nothing answers (an unknown entity too). */
export function notFoundPage(ctx, root) {
  ctx.setTitle(t('notfound.title'));
  root.replaceChildren(pageTitle(t('notfound.page')),
    alertBox('info', t('notfound.nothing_here'), t('notfound.maybe_module'),
      h('a', { href: '/admin/', class: 'btn' }, t('notfound.go_dashboard'))));
}

function byEntity(make) {
  return (ctx, root) => {
    const e = entityByKey(ctx.params.entity);
    // An entity with pages of its own (automations): its address there.
    if (e && e.ownPage) return navigate(location.pathname.replace(`/admin/${e.key}`, e.path) + location.search, { replace: true });
    return e ? make(e)(ctx, root) : notFoundPage(ctx, root);
  };
}

export const routes = [
  ['/admin/:entity', byEntity(listPage)],
  ['/admin/:entity/new', byEntity(formPage)],
  ['/admin/:entity/:id', byEntity(formPage)],
];

/** One row per entity the member may view (called when they are known). */
export function nav() {
  return ENTITIES.filter((e) => !e.ownPage).map((e) => {
    const look = LOOK[e.key] || DEFAULT_LOOK;
    return { path: e.path, label: e.plural, module: e.module, ...look };
  });
}
