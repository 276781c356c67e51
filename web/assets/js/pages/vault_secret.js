// Secrets in the team password vault's screens: the generator (the
// browser's crypto.getRandomValues, every character drawn uniformly), a
// strength hint from the length and the kinds of characters, and reveal,
// which is the only way a secret reaches the page: POST .../reveal, which
// asks for the password again (reauth.js) and is logged by the server.
// Copying is a reveal whose value goes to the clipboard without being shown.
import { h } from '../dom.js';
import { api, ApiError, isReauthProblem } from '../api.js';
import { alertBox, copyText, problemBox, toast } from '../ui.js';
import { t } from '../i18n.js';

const SETS = {
  lower: 'abcdefghijkmnopqrstuvwxyz',
  upper: 'ABCDEFGHJKLMNPQRSTUVWXYZ',
  digits: '23456789',
  symbols: '!#$%&*+-=?@^_~',
};

/** A uniformly random index below n (rejection sampling: no modulo bias). */
function randomBelow(n) {
  const limit = Math.floor(0x100000000 / n) * n;
  const buf = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    if (buf[0] < limit) return buf[0] % n;
  }
}

/** A random password of length characters with at least one of each set. */
export function generatePassword(length = 20, sets = ['lower', 'upper', 'digits', 'symbols']) {
  const pools = sets.map((s) => SETS[s]);
  const all = pools.join('');
  const chars = pools.map((p) => p[randomBelow(p.length)]);
  while (chars.length < length) chars.push(all[randomBelow(all.length)]);
  for (let i = chars.length - 1; i > 0; i--) { // Fisher-Yates: the guaranteed ones anywhere
    const j = randomBelow(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

/**
 * A rough strength hint: bits as if each character were drawn from the
 * kinds of characters the text uses. 'weak' below 50, 'fair' below 80,
 * 'strong' from 80 (a generated 20-character password is about 120). Only
 * a hint: a human-chosen phrase scores higher than it deserves.
 */
export function strength(text) {
  if (!text) return null;
  let pool = 0;
  if (/[a-z]/.test(text)) pool += 26;
  if (/[A-Z]/.test(text)) pool += 26;
  if (/[0-9]/.test(text)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(text)) pool += 33;
  const bits = Math.round([...text].length * Math.log2(Math.max(pool, 2)));
  return { bits, level: bits < 50 ? 'weak' : bits < 80 ? 'fair' : 'strong' };
}

/**
 * Reveals secrets of entry id: {fields, history_id, purpose}. Resolves the
 * answer ({password, notes}), or null after showing why not in `messages`
 * (re-authentication cancelled, no access, a server that cannot decrypt).
 */
export async function reveal(id, body, messages) {
  try {
    const { data } = await api('POST', `/api/v1/vault/entries/${id}/reveal`, { body });
    if (messages) messages.replaceChildren();
    return data;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (messages) {
      messages.replaceChildren(err.status === 403 && isReauthProblem(err.problem)
        ? alertBox('info', t('vault.reveal_cancelled'), t('vault.reveal_cancelled_detail'))
        : problemBox(err));
      messages.focus();
    }
    return null;
  }
}

/** Copies a secret of entry id to the clipboard (a logged reveal, never shown). */
export async function copySecret(id, field, messages, historyId) {
  const body = { fields: [field], purpose: 'copy' };
  if (historyId) body.history_id = historyId;
  const data = await reveal(id, body, messages);
  if (!data) return false;
  const ok = await copyText(data[field] || '');
  toast(ok ? t('vault.copied', { what: t(`vault.field.${field}`) }) : t('vault.copy_failed'), ok ? 'success' : 'error');
  return ok;
}

/**
 * A secret's value shown on the page after a reveal: a read-only text box
 * (for notes, a text area) with Hide; hidden again after a minute.
 */
export function shownSecret(value, { multiline = false, label, onHide }) {
  const box = multiline
    ? h('textarea', { class: 'input mono secret-shown', readOnly: true, rows: 4, 'aria-label': label })
    : h('input', { class: 'input mono secret-shown', readOnly: true, 'aria-label': label, spellcheck: 'false' });
  box.value = value == null ? '' : value;
  const hide = h('button', { type: 'button', class: 'btn btn-sm' }, t('vault.hide'));
  const wrap = h('div', { class: 'secret-row' }, box, hide);
  const timer = setTimeout(() => onHide(), 60_000);
  hide.addEventListener('click', () => { clearTimeout(timer); onHide(); });
  return wrap;
}
