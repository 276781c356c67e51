// Who is signed in, and the CSRF token that goes with the session.
import { api, setCsrfToken } from './api.js';
import { setFormatPrefs } from './format.js';

let current = null; // {id, email, name, admin, org_id, ...}
let currentStage = 'full';
// The member's localization (GET /auth/me `localization`): {values,
// overridden, organisation}; null when signed out.
let l10n = null;
// The session's clock (`session` of the me body, GET /auth/session):
// {idle_minutes, idle_expires_in, expires_in, ...} and `at`, when it was
// read (performance.now(): the seconds are counted from there, so a
// wrong clock on this computer does not matter).
let clock = null;
const clockListeners = new Set();

/** The last known session clock, or null. */
export function sessionClock() { return clock; }

/** Calls fn(clock) whenever the session clock is learnt anew (null: signed out). Returns an unsubscribe. */
export function onSessionClock(fn) {
  clockListeners.add(fn);
  return () => clockListeners.delete(fn);
}

function setClock(value) {
  clock = value && typeof value === 'object' ? { ...value, at: performance.now() } : null;
  for (const fn of clockListeners) fn(clock);
}

/**
 * Reads the session clock without extending the session (GET
 * /api/v1/auth/session: not activity). Resolves to the clock, or null when
 * the session has ended (401).
 */
export async function readSessionClock(signal) {
  try {
    const { data } = await api('GET', '/api/v1/auth/session', { signal, authRequired: false });
    setClock(data);
    return clock;
  } catch (err) {
    if (err && err.status === 401) return null;
    throw err;
  }
}

export function me() { return current; }

/** The member's localization: {values, overridden, organisation}, or null. */
export function localization() { return l10n; }

/** Adopts a changed localization (PATCH /auth/me/localization answers it). */
export function adoptLocalization(value) {
  l10n = value && typeof value === 'object' ? value : null;
  setFormatPrefs(l10n ? l10n.values : null);
}

/**
 * The sign-in stage of the session: 'full' (signed in), 'mfa' (the
 * password was right; the two-factor code is next) or 'enrol' (two-factor
 * authentication is required and must be set up before anything else).
 */
export function stage() { return current ? currentStage : null; }

/** Where the session acts in another organisation ({mode, org_id,
 * org_name, home_org_id, home_org_name, until}), or null (actmenu.js). */
let actingNow = null;
export function acting() { return actingNow; }

/** Stores the {staff, csrf_token, stage, session} body returned by login, setup, password set/reset/change, 2FA and me. */
export function adopt(body) {
  current = (body && body.staff) || null;
  actingNow = (current && body.acting) || null;
  currentStage = (body && body.stage) || 'full';
  setCsrfToken(body && body.csrf_token);
  setClock(current && body.session);
  if (body && body.localization !== undefined) adoptLocalization(current && body.localization);
  return current;
}

export function forget() {
  current = null;
  actingNow = null;
  currentStage = 'full';
  setCsrfToken(null);
  setClock(null);
}

/** GET /api/v1/auth/me; resolves to the staff member or throws ApiError (401 when signed out). */
export async function loadMe(signal) {
  const { data } = await api('GET', '/api/v1/auth/me', { signal, authRequired: false });
  return adopt(data);
}

export async function logout() {
  try {
    await api('POST', '/api/v1/auth/logout', { authRequired: false });
  } finally {
    forget();
  }
}

/** Whether the member must replace a temporary (or expired) password before anything else. */
export function mustChangePassword() {
  return Boolean(current && current.must_change_password);
}

/**
 * Whether the signed-in staff member may see a module: /auth/me's
 * `permissions` ({module: [capabilities]}) lists view or view_own. Admins
 * see everything. Without `permissions` (an older server) non-admins see
 * the modules not marked adminOnly and the server answers 403 for the rest.
 */
export function canView(module, { adminOnly = false, operatorOnly = false, operatorOrg = false } = {}) {
  if (!current) return false;
  // The operator console: administrators of the operator organisation.
  if (operatorOnly) return current.operator === true;
  // The installation's pages (backups, the scheduler): members of the
  // operator organisation holding the module (ROUTE_OPERATOR_ORG).
  if (operatorOrg && current.operator_org !== true) return false;
  if (current.admin) return true;
  if (!module) return true;
  const perms = current.permissions;
  if (perms && typeof perms === 'object') {
    const caps = perms[module];
    return Array.isArray(caps) && (caps.includes('view') || caps.includes('view_own'));
  }
  return !adminOnly;
}

/**
 * Whether the member holds a capability (create, edit, delete, view,
 * view_own) on a module. Only for showing or hiding controls: the server
 * decides. Without `permissions`, admins only.
 */
export function can(module, cap) {
  if (!current) return false;
  if (current.admin) return true;
  const perms = current.permissions;
  if (!perms || typeof perms !== 'object') return false;
  const caps = perms[module];
  if (!Array.isArray(caps)) return false;
  if (cap === 'view') return caps.includes('view') || caps.includes('view_own');
  return caps.includes(cap);
}
