// REST client for /api/v1 (docs/internals/http-api.md is the contract).
// Sends JSON, the CSRF token on unsafe methods, and turns problem+json
// responses into ApiError.

import { t } from './i18n.js';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken = null;
let onUnauthorized = null;
let onSignIn = null;
let onReauth = null;

export function setCsrfToken(token) { csrfToken = token || null; }

/** Called (once per 401) for requests made with `{authRequired: true}` (the default). */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/**
 * Called when such a request gets 401 (the session ended: idle, expired,
 * signed out elsewhere) before the unauthorized handler: it may sign the
 * member in again in place. Resolves true when the same member is signed
 * in again: api() then sends the request once more, with the new CSRF
 * token, and the page keeps what was typed. Resolves false when it took
 * care of what happens instead (another member signed in, or the member
 * chose the sign-in page): api() throws the 401.
 */
export function setSignInHandler(fn) { onSignIn = fn; }

/**
 * Called when the server answers 403 `reauth-required` (a dangerous step
 * needs the password, and a code, re-entered lately). Resolves true when
 * the member re-authenticated: api() then sends the request once more.
 */
export function setReauthHandler(fn) { onReauth = fn; }

/** Whether a problem asks for re-authentication. */
export function isReauthProblem(problem) {
  return Boolean(problem && typeof problem.type === 'string' && problem.type.endsWith('/reauth-required'));
}

export class ApiError extends Error {
  constructor(status, problem, headers) {
    const p = problem && typeof problem === 'object' ? problem : {};
    super(p.title || `request failed (${status})`);
    this.status = status;
    this.problem = p;
    this.headers = headers || new Headers();
  }
  get title() { return this.problem.title || this.message; }
  get detail() { return this.problem.detail || ''; }
  /** [{field, code, detail}] for 422 responses. */
  get fieldErrors() { return Array.isArray(this.problem.errors) ? this.problem.errors : []; }
  /** Seconds from Retry-After (delta or HTTP date), or null. */
  get retryAfter() {
    const v = this.headers.get('Retry-After');
    if (!v) return null;
    if (/^\d+$/.test(v.trim())) return Number(v);
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : Math.max(0, Math.ceil((t - Date.now()) / 1000));
  }
  get requestId() { return this.problem.request_id || this.headers.get('X-Request-Id') || ''; }
}

/** Builds "path?k=v" skipping empty values. */
export function withQuery(path, query) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue;
    qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * api('GET', '/api/v1/leads', {query, body, ifMatch, idempotencyKey, signal})
 * → {status, data, etag, headers}. `raw` (a Blob or File) with `contentType`
 * sends bytes instead of JSON (an uploaded image); `blob: true` gives a successful
 * answer's body as a Blob in `data` (a download). Throws ApiError on non-2xx; an aborted
 * request rethrows the AbortError.
 */
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  const init = { method, headers, credentials: 'same-origin', signal: opts.signal, cache: 'no-store' };
  if (opts.raw !== undefined) {
    headers['Content-Type'] = opts.contentType || 'application/octet-stream';
    init.body = opts.raw;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  } else if (UNSAFE.has(method)) {
    headers['Content-Type'] = 'application/json';
  }
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (opts.ifMatch) headers['If-Match'] = opts.ifMatch;
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;

  let res;
  try {
    res = await fetch(withQuery(path, opts.query), init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, { title: t('problem.network'), detail: t('problem.network_detail') });
  }

  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (res.status !== 204 && /json/.test(type) && !(opts.blob && res.ok)) {
    try { data = await res.json(); } catch (err) {
      if (err && err.name === 'AbortError') throw err;
      data = null;
    }
  }
  if (!res.ok) {
    const problem = data || { title: res.statusText || `HTTP ${res.status}`, status: res.status };
    const error = new ApiError(res.status, problem, res.headers);
    if (res.status === 401 && opts.authRequired !== false) {
      if (opts.signIn !== false && onSignIn) {
        if (await onSignIn(error)) return api(method, path, { ...opts, signIn: false });
        throw error;
      }
      if (onUnauthorized) onUnauthorized(error);
    }
    if (res.status === 403 && isReauthProblem(problem) && opts.reauth !== false && onReauth) {
      if (await onReauth(problem)) return api(method, path, { ...opts, reauth: false });
    }
    throw error;
  }
  if (opts.blob) data = await res.blob();
  return { status: res.status, data, etag: res.headers.get('ETag'), headers: res.headers };
}

/** A random key for Idempotency-Key (works outside secure contexts too). */
export function randomKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const isAbort = (err) => err && err.name === 'AbortError';
