// Amounts in the member's own notation (their localization: format.js).
// Amount inputs show the member's decimal separator and read it back,
// together with the API's canonical point, into the canonical form the API
// takes ("1250.50"). The server's validation stays as it is: what cannot
// be read is sent as typed, and the server names the field.
import { decimalMark, onFormatPrefs } from './format.js';

/** The member's decimal separator ("." or ","); follows a change of their localization. */
export let DECIMAL = decimalMark();
onFormatPrefs(() => { DECIMAL = decimalMark(); });

/** A canonical decimal ("1250.5") as an amount input shows it ("1250,5"): no grouping, easy to edit. */
export function toInputDecimal(canonical) {
  if (canonical == null || canonical === '') return '';
  return DECIMAL === '.' ? String(canonical) : String(canonical).replace('.', DECIMAL);
}

/* Whether `digits` groups thousands with `sep` ("1.250.000", "12,500"). */
const grouped = (digits, sep) => new RegExp(`^\\d{1,3}(\\${sep}\\d{3})+$`).test(digits);

/**
 * Reads a typed amount: "1.250,50", "1,250.50", "1 250,50", "1250,5",
 * "1250.5", "-3,75". Returns the canonical string ("1250.50" as typed:
 * digits, optional "-", a point), '' for an empty input, or null when it
 * cannot be read unambiguously.
 */
export function parseDecimal(text) {
  // Spaces and apostrophes only ever group digits (French, Swiss).
  let t = String(text == null ? '' : text).trim().replace(/[\s\u00a0\u202f'’]/g, '');
  if (t === '') return '';
  let sign = '';
  if (/^[-+−]/.test(t)) {
    sign = t[0] === '+' ? '' : '-';
    t = t.slice(1);
  }
  if (!/^[\d.,]+$/.test(t) || !/\d/.test(t)) return null;
  const points = (t.match(/\./g) || []).length;
  const commas = (t.match(/,/g) || []).length;
  let intPart = t;
  let frac = null;
  if (points && commas) {
    // Both: the last one is the decimal separator, the other groups.
    const dec = t.lastIndexOf('.') > t.lastIndexOf(',') ? '.' : ',';
    const group = dec === '.' ? ',' : '.';
    const at = t.lastIndexOf(dec);
    intPart = t.slice(0, at);
    frac = t.slice(at + 1);
    if (intPart.includes(dec) || !grouped(intPart, group)) return null;
    intPart = intPart.split(group).join('');
  } else if (points + commas > 1) {
    // One kind, several times: it groups thousands.
    const sep = points ? '.' : ',';
    if (!grouped(t, sep)) return null;
    intPart = t.split(sep).join('');
  } else if (points + commas === 1) {
    const sep = points ? '.' : ',';
    const at = t.indexOf(sep);
    // The member's own decimal separator is one; the other separator
    // groups where it groups thousands exactly ("1.250" with a decimal
    // comma is 1250, "1,250" with a decimal point too), and is a decimal
    // separator anywhere else ("12.50" with a decimal comma: the API's
    // own form).
    if (sep !== DECIMAL && grouped(t, sep)) intPart = t.split(sep).join('');
    else {
      intPart = t.slice(0, at);
      frac = t.slice(at + 1);
    }
  }
  if (!/^\d*$/.test(intPart) || (frac !== null && !/^\d+$/.test(frac))) return null;
  if (intPart === '') intPart = '0';
  return `${sign}${intPart}${frac !== null ? `.${frac}` : ''}`;
}
