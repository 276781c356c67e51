// Amounts in the member's own notation. Lists show money with the
// browser's locale ("1.250,50" in German); amount inputs show the same
// decimal separator and read it back, together with the API's canonical
// point, into the canonical form the API takes ("1250.50"). The server's
// validation stays as it is: what cannot be read is sent as typed, and the
// server names the field.

const parts = new Intl.NumberFormat().formatToParts(12345.6);
/** The locale's decimal separator ("." or "," mostly). */
export const DECIMAL = (parts.find((p) => p.type === 'decimal') || { value: '.' }).value;

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
    // The locale's own decimal separator is one; the other separator
    // groups where it groups thousands exactly ("1.250" in German is
    // 1250, "1,250" in English too), and is a decimal separator anywhere
    // else ("12.50" in German: the API's own form).
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
