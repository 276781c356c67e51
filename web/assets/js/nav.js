// The left navigation, built from what each page module declares (its
// `nav` rows: pages/index.js lists the modules) by setNav at boot and again
// when the entity definitions arrive. Rows:
//   path      where the entry links (spec paths are our UI paths)
//   label     text shown
//   module    permission module required to see it (null: everyone signed in);
//             shown when /auth/me's `permissions` lists view or view_own for
//             it (admins see everything)
//   adminOnly hidden from non-admins if /auth/me ever lacks `permissions`
//   operatorOnly shown only to administrators of the operator organisation
//             (/auth/me's staff.operator)
//   operatorOrg shown only to members of the operator organisation (the
//             installation's pages: /auth/me's staff.operator_org), with module
//   group     section heading: null (top), CRM, Sales, Organisation,
//             Administration, Utilities
//   order     position within the group (lower first)
//   exact     active only on exactly this path (otherwise: path prefix)
//   icon      static SVG path data
export const NAV = [];

const GROUPS = [null, 'CRM', 'Sales', 'Organisation', 'Administration', 'Utilities'];

/** Replaces the navigation with rows, ordered by group, then order. */
export function setNav(rows) {
  const rank = (r) => GROUPS.indexOf(r.group) * 1000 + (r.order || 0);
  NAV.splice(0, NAV.length, ...rows.slice().sort((a, b) => rank(a) - rank(b)));
}
