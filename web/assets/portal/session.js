// Who is signed in to the portal: the `me` body of the portal's auth
// routes ({contact, client, company, permissions, stage, totp_enabled,
// csrf_token, language}), and the CSRF token that goes with the session
// (sent by api.js on every unsafe request). The portal is its own realm:
// its cookie and token are not the staff's.
import { api, setCsrfToken } from '../js/api.js';

export const AUTH = '/api/v1/portal/auth';
let current = null;

/** The signed-in contact's `me`, or null. */
export function me() { return current; }

/** Adopts a `me` body (login, two-factor code, me); returns it. */
export function adopt(body) {
  current = body && typeof body === 'object' && body.contact ? body : null;
  setCsrfToken(current && current.csrf_token);
  return current;
}

export function forget() { adopt(null); }

/** 'full' (signed in), 'mfa' (the two-factor code is next), or null. */
export function stage() { return current ? current.stage || 'full' : null; }

/** Whether the contact may see records of kind ('tickets', 'contracts', 'projects'). */
export function may(kind) {
  return Boolean(current && current.permissions && current.permissions[kind] === true);
}

/** GET me: resolves to the contact's `me`, or throws ApiError (401 when signed out). */
export async function loadMe(signal) {
  const { data } = await api('GET', `${AUTH}/me`, { signal, authRequired: false });
  return adopt(data);
}

/** Signs out (the session ends on the server); forgets the contact either way. */
export async function logout() {
  try {
    await api('POST', `${AUTH}/logout`, { authRequired: false });
  } finally {
    forget();
  }
}

/** "Ana Pop": the contact's name, else their email. */
export function contactName(m = current) {
  const c = m && m.contact;
  if (!c) return '';
  return [c.first_name, c.last_name].filter(Boolean).join(' ') || c.email || '';
}
