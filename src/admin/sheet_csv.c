/* sheet_csv.c — the CSV reader (libcsv) and what both readers share
 * (sheet.h). */
#include "atrium.h"

#include <csv.h>

#include "admin/sheet.h"

bool sheet_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		int n;
		unsigned min, cp;
		if ((c & 0xE0) == 0xC0) {
			n = 1, min = 0x80, cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2, min = 0x800, cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		if (end - p <= n)
			return false;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += n + 1;
	}
	return true;
}

int sheet_row_set(struct sheet_row *row, int col, const char *s, size_t len,
		  int64_t rowno, struct atr_err *err)
{
	int max_cols = row->lim && row->lim->max_cols > 0 ? row->lim->max_cols
							  : SHEET_MAX_COLS;
	if (len == 0)
		return 0;
	if (col < 0 || col >= max_cols)
		return atr_fail(err, ATR_E_INVALID,
				"row %lld has more than %d columns",
				(long long)rowno, max_cols);
	if (len > SHEET_MAX_CELL)
		return atr_fail(err, ATR_E_INVALID,
				"row %lld column %d: a cell is longer than %d "
				"bytes",
				(long long)rowno, col + 1, SHEET_MAX_CELL);
	if (!sheet_utf8(s, len))
		return atr_fail(err, ATR_E_INVALID,
				"row %lld column %d: the text is not UTF-8",
				(long long)rowno, col + 1);
	if (col >= row->cap) {
		int cap = row->cap ? row->cap : 16;
		while (cap <= col)
			cap *= 2;
		row->cells = xrealloc(row->cells, (size_t)cap * sizeof *row->cells);
		row->lens = xrealloc(row->lens, (size_t)cap * sizeof *row->lens);
		for (int i = row->cap; i < cap; i++) {
			row->cells[i] = NULL;
			row->lens[i] = 0;
		}
		row->cap = cap;
	}
	free(row->cells[col]);
	row->cells[col] = xstrndup(s, len);
	row->lens[col] = len;
	if (col + 1 > row->n)
		row->n = col + 1;
	return 0;
}

static void row_clear(struct sheet_row *row)
{
	for (int i = 0; i < row->n; i++) {
		free(row->cells[i]);
		row->cells[i] = NULL;
		row->lens[i] = 0;
	}
	row->n = 0;
}

int sheet_row_emit(struct sheet_row *row, int64_t rowno, sheet_row_fn fn,
		   void *arg, struct atr_err *err)
{
	if (row->n == 0)
		return 0;
	int64_t max_rows = row->lim && row->lim->max_rows > 0
				   ? row->lim->max_rows
				   : SHEET_MAX_ROWS;
	if (row->reported > 0 && row->rows + 1 > max_rows) {
		row_clear(row);
		return atr_fail(err, ATR_E_INVALID,
				"the file has more than %lld data rows",
				(long long)max_rows);
	}
	static const char empty[] = "";
	const char **cells = xmalloc((size_t)row->n * sizeof *cells);
	for (int i = 0; i < row->n; i++)
		cells[i] = row->cells[i] ? row->cells[i] : empty;
	int rc = fn(arg, rowno, cells, row->lens, row->n);
	free(cells);
	if (row->reported > 0)
		row->rows++;
	row->reported++;
	row_clear(row);
	return rc;
}

void sheet_row_free(struct sheet_row *row)
{
	row_clear(row);
	free(row->cells);
	free(row->lens);
	row->cells = NULL;
	row->lens = NULL;
	row->cap = 0;
}

enum sheet_format sheet_sniff(const void *data, size_t len)
{
	return len >= 4 && !memcmp(data, "PK\3\4", 4) ? SHEET_XLSX : SHEET_CSV;
}

int sheet_read(const void *data, size_t len, enum sheet_format fmt,
	       const struct sheet_limits *lim, sheet_row_fn fn, void *arg,
	       struct atr_err *err)
{
	static const struct sheet_limits none = {0};
	if (len > SHEET_MAX_FILE)
		return atr_fail(err, ATR_E_INVALID,
				"the file is larger than %u MiB",
				SHEET_MAX_FILE >> 20);
	struct sheet_row row = {.lim = lim ? lim : &none};
	int rc = fmt == SHEET_XLSX ? sheet_read_xlsx(data, len, &row, fn, arg, err)
				   : sheet_read_csv(data, len, &row, fn, arg, err);
	sheet_row_free(&row);
	return rc < 0 ? -1 : 0;
}

/* ---- CSV ---------------------------------------------------------------- */

struct csv_state {
	struct sheet_row *row;
	sheet_row_fn fn;
	void *arg;
	struct atr_err *err;
	int col;
	int64_t rowno;
	int rc; /* 0 going on, 1 stopped by fn, -1 failed */
};

static void csv_field(void *s, size_t len, void *data)
{
	struct csv_state *st = data;
	if (st->rc)
		return;
	if (sheet_row_set(st->row, st->col, s ? s : "", s ? len : 0,
			  st->rowno + 1, st->err) < 0)
		st->rc = -1;
	st->col++;
}

static void csv_record(int term, void *data)
{
	struct csv_state *st = data;
	(void)term;
	if (st->rc)
		return;
	st->rowno++;
	st->col = 0;
	int rc = sheet_row_emit(st->row, st->rowno, st->fn, st->arg, st->err);
	if (rc)
		st->rc = rc < 0 ? -1 : 1;
}

/* The delimiter of the first record: whichever of ';' and ',' occurs more
 * often outside quotes before its end (',' on a tie). */
static unsigned char csv_delim(const unsigned char *p, size_t len)
{
	size_t semi = 0, comma = 0;
	bool quoted = false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '"')
			quoted = !quoted;
		else if (!quoted && (p[i] == '\n' || p[i] == '\r'))
			break;
		else if (!quoted && p[i] == ';')
			semi++;
		else if (!quoted && p[i] == ',')
			comma++;
	}
	return semi > comma ? ';' : ',';
}

int sheet_read_csv(const void *data, size_t len, struct sheet_row *row,
		   sheet_row_fn fn, void *arg, struct atr_err *err)
{
	const unsigned char *p = data;
	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
		p += 3;
		len -= 3;
	}
	if (memchr(p, 0, len))
		return atr_fail(err, ATR_E_INVALID,
				"the file is neither CSV text nor an xlsx "
				"workbook");
	struct csv_parser cp;
	if (csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return atr_fail(err, ATR_E_INTERNAL, "csv: out of memory");
	csv_set_delim(&cp, csv_delim(p, len));
	struct csv_state st = {row, fn, arg, err, 0, 0, 0};
	/* In slices, so a callback's stop ends the work early. */
	size_t off = 0;
	while (off < len && !st.rc) {
		size_t n = len - off < 65536 ? len - off : 65536;
		if (csv_parse(&cp, p + off, n, csv_field, csv_record, &st) != n &&
		    !st.rc) {
			atr_fail(err, ATR_E_INVALID,
				 "malformed CSV after record %lld: %s",
				 (long long)st.rowno,
				 csv_strerror(csv_error(&cp)));
			st.rc = -1;
		}
		off += n;
	}
	if (!st.rc && csv_fini(&cp, csv_field, csv_record, &st) != 0 && !st.rc) {
		atr_fail(err, ATR_E_INVALID,
			 "malformed CSV after record %lld: %s",
			 (long long)st.rowno, csv_strerror(csv_error(&cp)));
		st.rc = -1;
	}
	csv_free(&cp);
	return st.rc < 0 ? -1 : 0;
}
