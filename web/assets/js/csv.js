// CSV text (RFC 4180) for what a page exports from the browser: fields
// quoted when they hold a comma, a quote or a line break, and a leading
// = + - @ prefixed with ' so a spreadsheet does not run it as a formula
// (the rule of the server's own exports, src/admin/activity_api.c).

/** One field. */
export function csvField(value) {
  let s = value == null ? '' : String(value);
  if (/^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows (arrays of values) as CSV text, lines ended by CRLF. */
export function csvText(rows) {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
