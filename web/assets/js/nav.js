// The left navigation: one row per admin module that has landed.
// A later module adds a row here (and its routes in app.js).
//   path      where the entry links (spec paths are our UI paths)
//   label     text shown
//   module    permission module required to see it (null: everyone signed in);
//             shown when /auth/me's `permissions` lists view or view_own for
//             it (admins see everything)
//   adminOnly hidden from non-admins if /auth/me ever lacks `permissions`
//   group     section heading in the navigation
//   exact     active only on exactly this path (otherwise: path prefix)
//   icon      static SVG path data
export const NAV = [
  { path: '/admin/', label: 'Dashboard', module: null, group: null, exact: true,
    icon: ['M3 11l9-7 9 7', 'M5 10v10h5v-6h4v6h5V10'] },
  { path: '/admin/leads', label: 'Leads', module: 'leads', group: 'CRM',
    icon: ['M3 5h18l-7 8v6l-4 2v-8z'] },
  { path: '/admin/clients', label: 'Clients', module: 'clients', group: 'CRM',
    icon: ['M4 21V7l8-4 8 4v14', 'M9 21v-5h6v5', 'M9 10h.01', 'M15 10h.01'] },
  { path: '/admin/staff', label: 'Staff', module: 'staff', adminOnly: true, group: 'Organisation',
    icon: ['M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z', 'M2 21v-1a6 6 0 0 1 6-6h2a6 6 0 0 1 6 6v1',
      'M16 3.5a4 4 0 0 1 0 7', 'M22 21v-1a6 6 0 0 0-4-5.6'] },
  { path: '/admin/roles', label: 'Roles', module: 'roles', adminOnly: true, group: 'Organisation',
    icon: ['M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z', 'M9 12l2 2 4-4'] },
  { path: '/admin/departments', label: 'Departments', module: 'departments', adminOnly: true, group: 'Organisation',
    icon: ['M3 21h18', 'M5 21V8l7-5 7 5v13', 'M9 21v-4h6v4', 'M9 11h6'] },
  { path: '/admin/teams', label: 'Teams', module: 'teams', adminOnly: true, group: 'Organisation',
    icon: ['M7 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6z', 'M17 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6z',
      'M2 20v-1a5 5 0 0 1 9-3', 'M22 20v-1a5 5 0 0 0-9-3', 'M12 20v-1a4 4 0 0 1 8 0'] },
  { path: '/admin/settings', label: 'Settings', module: 'settings', adminOnly: true, group: 'Administration',
    icon: ['M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z',
      'M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z'] },
  { path: '/admin/authenticator_2fa/userlist', label: 'Two-factor (2FA)', module: 'staff', adminOnly: true,
    group: 'Administration', icon: ['M5 11h14v10H5z', 'M8 11V7a4 4 0 0 1 8 0v4', 'M12 15v2'] },
  { path: '/admin/utilities/email_queue', label: 'Email queue', module: 'email_queue', adminOnly: true,
    group: 'Utilities', icon: ['M3 6h18v12H3z', 'M3 7l9 6 9-6'] },
  { path: '/admin/utilities/jobs', label: 'Jobs', module: 'jobs', adminOnly: true,
    group: 'Utilities', icon: ['M4 6h16', 'M4 12h10', 'M4 18h6', 'M18 14l3 3-3 3', 'M14 17h7'] },
  { path: '/admin/utilities/activity_log', label: 'Activity log', module: 'activity', adminOnly: true,
    group: 'Utilities', icon: ['M12 7v5l3 2', 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z'] },
];
