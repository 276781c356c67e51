// The figures of a finance document's lines, computed in the browser for
// the line editor's live preview only: the saved figures are always the
// server's (src/finance/document.h states the rules, and this file follows
// them exactly, in integers: BigInt, no floating point):
//   line amount = round(q × p × (1 − discount/100)) to the currency's places
//   tax of a rate, per document: round(rate × Σ amounts carrying it)
//                  per line:     Σ round(rate × amount)
//   subtotal = Σ amounts; total = subtotal + Σ taxes
// every rounding half away from zero. Quantities and prices have up to 4
// decimals, discounts 2, tax rates 3. A line that cannot be read (a
// quantity of "abc") gives null: the server names it when saved.

const TEN = 10n;
const pow = (n) => TEN ** BigInt(n);

/** A canonical decimal text ("-12.5") as an integer of units of 10^-scale, or null. */
export function scaled(text, scale) {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text ?? '').trim());
  if (!m) return null;
  const frac = m[3] || '';
  if (frac.length > scale) return null;
  const v = BigInt(m[2]) * pow(scale) + BigInt(frac.padEnd(scale, '0') || '0');
  return m[1] ? -v : v;
}

/** Rounds v (units of 10^-from) half away from zero to units of 10^-to. */
export function roundTo(v, from, to) {
  if (from <= to) return v * pow(to - from);
  const d = pow(from - to);
  let q = v / d;
  let rem = v % d;
  if (rem < 0n) rem = -rem;
  if (rem * 2n >= d) q += v < 0n ? -1n : 1n;
  return q;
}

/* Cents rounded to a currency of `places` decimals (0..2), still in cents. */
function toPlaces(cents, places) {
  return places >= 2 ? cents : roundTo(cents, 2, places) * pow(2 - places);
}

/** Cents as the API writes money: "-12.30". */
export function centsText(c) {
  const neg = c < 0n;
  const s = (neg ? -c : c).toString().padStart(3, '0');
  return `${neg ? '-' : ''}${s.slice(0, -2)}.${s.slice(-2)}`;
}

/**
 * The figures of lines [{quantity, unit_price, discount, taxes: [ids]}]
 * (canonical texts) with taxes {id: rate text} under rule 'document' or
 * 'line', in a currency of `places` decimals. Returns {amounts: [text or
 * null], subtotal, tax_total, total, taxes: [{tax_id, base, amount}]}
 * (texts), or null figures when a line cannot be read.
 */
export function computeDocument(lines, rates, { rule = 'document', places = 2 } = {}) {
  const amounts = [];
  let subtotal = 0n;
  let readable = true;
  const bases = new Map(); // tax id → {base, lineTax}
  for (const l of lines) {
    const q = scaled(l.quantity, 4);
    const p = scaled(l.unit_price, 4);
    const d = l.discount == null || l.discount === '' ? 0n : scaled(l.discount, 2);
    if (q === null || p === null || d === null) { amounts.push(null); readable = false; continue; }
    // q (10^-4) × p (10^-4) × (10000 − d) (10^-4 of one): 10^-12 of a unit.
    const amount = toPlaces(roundTo(q * p * (10000n - d), 12, 2), places);
    amounts.push(centsText(amount));
    subtotal += amount;
    for (const id of l.taxes || []) {
      const rate = scaled(rates[id], 3);
      if (rate === null) { readable = false; continue; }
      const b = bases.get(id) || { base: 0n, lineTax: 0n, rate };
      b.base += amount;
      b.lineTax += toPlaces(roundTo(amount * rate, 5, 0), places);
      bases.set(id, b);
    }
  }
  const taxes = [...bases].map(([id, b]) => {
    const amount = rule === 'line' ? b.lineTax : toPlaces(roundTo(b.base * b.rate, 5, 0), places);
    return { tax_id: Number(id), base: b.base, amount };
  });
  const taxTotal = taxes.reduce((s, x) => s + x.amount, 0n);
  return {
    amounts,
    subtotal: readable ? centsText(subtotal) : null,
    tax_total: readable ? centsText(taxTotal) : null,
    total: readable ? centsText(subtotal + taxTotal) : null,
    taxes: taxes.map((x) => ({ tax_id: x.tax_id, base: centsText(x.base), amount: centsText(x.amount) })),
  };
}
