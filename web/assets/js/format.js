// How the member sees dates, times, numbers and money: their localization
// (GET /api/v1/auth/me `localization.values`: their own choices over the
// organisation's). The API keeps ISO 8601 UTC and plain numbers; this
// module is the only place they are turned into text for people, and
// numbers.js the only place typed numbers are read back.

const DEFAULTS = {
  language: 'en', timezone: 'UTC', date_format: 'DD/MM/YYYY', time_format: '24h',
  thousands_separator: 'comma', decimal_separator: 'period', first_day_of_week: 'monday', default_currency: 'EUR',
};
/** The characters of the separator names the settings use. */
export const SEPARATORS = { comma: ',', period: '.', space: '\u00a0', apostrophe: '\'', none: '' };

let prefs = { ...DEFAULTS };
const listeners = new Set();

/** Adopts the member's localization values (missing keys: the defaults). */
export function setFormatPrefs(values) {
  prefs = { ...DEFAULTS, ...(values || {}) };
  try { new Intl.DateTimeFormat('en', { timeZone: prefs.timezone }); } catch { prefs.timezone = 'UTC'; }
  for (const fn of listeners) fn(prefs);
}
/** Calls fn(prefs) when they change. */
export function onFormatPrefs(fn) { listeners.add(fn); }
export function formatPrefs() { return prefs; }
export function decimalMark() { return SEPARATORS[prefs.decimal_separator] || '.'; }
export function groupMark() { return SEPARATORS[prefs.thousands_separator] ?? ','; }

const dtfCache = new Map();
function partsIn(date, zone) {
  let f = dtfCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    dtfCache.set(zone, f);
  }
  const o = {};
  for (const p of f.formatToParts(date)) o[p.type] = p.value;
  return { y: o.year, m: o.month, d: o.day, H: Number(o.hour) % 24, M: o.minute };
}

function datePattern(y, m, d) {
  switch (prefs.date_format) {
    case 'MM/DD/YYYY': return `${m}/${d}/${y}`;
    case 'YYYY-MM-DD': return `${y}-${m}-${d}`;
    case 'DD.MM.YYYY': return `${d}.${m}.${y}`;
    default: return `${d}/${m}/${y}`;
  }
}

/** The member's date of a calendar date "YYYY-MM-DD" (no zone: it is a date, not an instant). */
export function formatPlainDate(s) {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(String(s || ''));
  return m ? datePattern(m[1], m[2], m[3]) : String(s ?? '');
}

/** "14:05" or "2:05 PM". */
function timeText(H, M) {
  if (prefs.time_format === '12h') return `${H % 12 || 12}:${M} ${H < 12 ? 'AM' : 'PM'}`;
  return `${String(H).padStart(2, '0')}:${M}`;
}

/** An instant (ISO string or Date) as the member's date, in their time zone. */
export function formatDate(iso) {
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso ?? '');
  const p = partsIn(d, prefs.timezone);
  return datePattern(p.y, p.m, p.d);
}

const zoneNames = new Map();
/* The zone's short name at that instant ("UTC", "GMT+3"): a time says
 * which zone it is in. */
function zoneName(d, zone) {
  let f = zoneNames.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' });
    zoneNames.set(zone, f);
  }
  return (f.formatToParts(d).find((p) => p.type === 'timeZoneName') || { value: zone }).value;
}

/** An instant as the member's date and time in their time zone, the zone named: "29.03.2026 14:05 GMT+3". */
export function formatDateTime(iso) {
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso ?? '');
  const p = partsIn(d, prefs.timezone);
  return `${datePattern(p.y, p.m, p.d)} ${timeText(p.H, p.M)} ${zoneName(d, prefs.timezone)}`;
}

/** The member's time zone ("Europe/Bucharest"). */
export function timeZone() { return prefs.timezone; }

/** A number with the member's separators and fixed decimals (min..max). */
export function formatNumber(n, { min = 0, max = min > 3 ? min : 3 } = {}) {
  const x = Number(n);
  if (!Number.isFinite(x)) return String(n ?? '');
  const parts = new Intl.NumberFormat('en-US', { minimumFractionDigits: min, maximumFractionDigits: Math.max(min, max) })
    .formatToParts(x);
  return parts.map((p) => (p.type === 'group' ? groupMark() : p.type === 'decimal' ? decimalMark()
    : p.type === 'minusSign' ? '-' : p.value)).join('');
}

/** Places after the point of a currency (ISO 4217: EUR 2, JPY 0, KWD 3). */
export function currencyDecimals(code) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

/** An amount with the currency's decimals and the member's separators: "1.250,50 RON". */
export function formatMoney(n, currency) {
  const c = currency || prefs.default_currency;
  const dec = currencyDecimals(c);
  const text = formatNumber(n, { min: dec, max: dec });
  return c ? `${text} ${c}` : text;
}

/**
 * A decimal as the API writes it ("-1234.5", "1512.37") in the member's
 * separators, exactly (no floating point: amounts of any size), with at
 * least min decimals; digits past min are kept only when they are not
 * zeros ("1512.370" → "1,512.37" at min 2, "3.000" → "3" at min 0).
 */
export function formatDecimalText(text, { min = 0 } = {}) {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text ?? '').trim());
  if (!m) return String(text ?? '');
  let frac = (m[3] || '').replace(/0+$/, '');
  if (frac.length < min) frac = frac.padEnd(min, '0');
  const int = m[2].replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, groupMark());
  return `${m[1] && /[1-9]/.test(m[2] + frac) ? '-' : ''}${int}${frac ? decimalMark() + frac : ''}`;
}

/** An amount the API wrote ("1512.37") with the currency's decimals and code: "1.512,37 RON". */
export function formatAmountText(text, currency) {
  const c = currency || prefs.default_currency;
  const body = formatDecimalText(text, { min: currencyDecimals(c) });
  return c ? `${body} ${c}` : body;
}

/** Today in the member's time zone, as a calendar date "YYYY-MM-DD". */
export function todayDate() {
  const p = partsIn(new Date(), prefs.timezone);
  return `${p.y}-${p.m}-${p.d}`;
}

/** 0 Sunday .. 6 Saturday: the first day of the member's week. */
export function firstDayOfWeek() {
  return { sunday: 0, monday: 1, saturday: 6 }[prefs.first_day_of_week] ?? 1;
}
