/* sheet_xlsx.c — the xlsx reader: libzip opens the archive from memory,
 * expat streams each part (sheet.h says what is read and what refused).
 *
 * The parts, in the order read: _rels/.rels (where the workbook is),
 * the workbook (its first sheet's relationship id, the date system), the
 * workbook's relationships (the sheet's, the shared strings' and the
 * styles' part names), styles.xml (which cell styles show a date), the
 * shared strings (held: every cell may name any of them, bounded by
 * SHEET_MAX_PART), then the sheet twice: once for its merged ranges
 * (which come after the cells in the XML), once for the cells, streamed
 * a row at a time.
 */
#include "atrium.h"

#include <math.h>

#include "admin/sheet_xlsx_int.h"

/* ---- relationships and the workbook -------------------------------------- */

static bool type_is(const char *type, const char *suffix)
{
	size_t a = strlen(type), b = strlen(suffix);
	return a >= b && !strcmp(type + a - b, suffix);
}

static void XMLCALL root_rels_start(void *ud, const XML_Char *name,
				    const XML_Char **atts)
{
	struct xlsx *x = xlsx_enter(ud);
	if (strcmp(xlsx_local(name), "Relationship"))
		return;
	const char *type = xlsx_attr(atts, "Type"), *target = xlsx_attr(atts, "Target");
	if (type && target && type_is(type, "/officeDocument") && !x->workbook)
		x->workbook = xlsx_resolve("", target);
}

static void XMLCALL any_end(void *ud, const XML_Char *name)
{
	xlsx_leave(ud);
}

static void XMLCALL workbook_start(void *ud, const XML_Char *name,
				   const XML_Char **atts)
{
	struct xlsx *x = xlsx_enter(ud);
	const char *l = xlsx_local(name);
	if (!strcmp(l, "workbookPr")) {
		const char *d = xlsx_attr(atts, "date1904");
		x->date1904 = d && (!strcmp(d, "1") || !strcmp(d, "true"));
	} else if (!strcmp(l, "sheet") && !x->sheet_rid) {
		const char *id = xlsx_attr(atts, "id");
		if (id)
			x->sheet_rid = xstrdup(id);
	}
}

static void XMLCALL wb_rels_start(void *ud, const XML_Char *name,
				  const XML_Char **atts)
{
	struct xlsx *x = xlsx_enter(ud);
	if (strcmp(xlsx_local(name), "Relationship"))
		return;
	const char *id = xlsx_attr(atts, "Id"), *type = xlsx_attr(atts, "Type"),
		   *target = xlsx_attr(atts, "Target"),
		   *mode = xlsx_attr(atts, "TargetMode");
	if (!id || !type || !target || (mode && !strcmp(mode, "External")))
		return;
	if (x->sheet_rid && !strcmp(id, x->sheet_rid) && !x->sheet)
		x->sheet = xlsx_resolve(x->workbook, target);
	else if (type_is(type, "/sharedStrings") && !x->strings)
		x->strings = xlsx_resolve(x->workbook, target);
	else if (type_is(type, "/styles") && !x->styles)
		x->styles = xlsx_resolve(x->workbook, target);
}

/* ---- styles: which cell formats are dates --------------------------------- */

static bool builtin_date(int64_t id)
{
	return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) ||
	       (id >= 45 && id <= 47) || (id >= 50 && id <= 58);
}

/* Whether a number format code shows a date or a time: a d, m, y, h or s
 * outside quoted text, escapes and [colour]/[locale] brackets. */
static bool code_is_date(const char *s)
{
	if (!strcasecmp(s, "General"))
		return false;
	for (; *s; s++) {
		if (*s == '"') {
			const char *q = strchr(s + 1, '"');
			if (!q)
				return false;
			s = q;
		} else if (*s == '\\' || *s == '_' || *s == '*') {
			if (!s[1])
				return false;
			s++;
		} else if (*s == '[') {
			const char *q = strchr(s, ']');
			if (!q)
				return false;
			s = q;
		} else if (strchr("dmyhsDMYHS", *s)) {
			return true;
		}
	}
	return false;
}

static void XMLCALL styles_start(void *ud, const XML_Char *name,
				 const XML_Char **atts)
{
	struct xlsx *x = xlsx_enter(ud);
	const char *l = xlsx_local(name);
	if (!strcmp(l, "numFmt")) {
		const char *id = xlsx_attr(atts, "numFmtId"), *code = xlsx_attr(atts, "formatCode");
		int64_t v;
		if (id && code && atr_parse_i64(id, &v) == 0 && code_is_date(code)) {
			if (x->nfmt >= 4096)
				return;
			if (x->nfmt == x->capfmt) {
				x->capfmt = x->capfmt ? x->capfmt * 2 : 16;
				x->fmt_ids = xrealloc(x->fmt_ids,
						      (size_t)x->capfmt * sizeof *x->fmt_ids);
			}
			x->fmt_ids[x->nfmt++] = v;
		}
	} else if (!strcmp(l, "cellXfs")) {
		x->in_xfs = true;
	} else if (!strcmp(l, "xf") && x->in_xfs) {
		if (x->nxf >= 65536)
			return;
		const char *id = xlsx_attr(atts, "numFmtId");
		int64_t v = 0;
		bool date = false;
		if (id && atr_parse_i64(id, &v) == 0) {
			date = builtin_date(v);
			for (int i = 0; i < x->nfmt && !date; i++)
				date = x->fmt_ids[i] == v;
		}
		if (x->nxf == x->capxf) {
			x->capxf = x->capxf ? x->capxf * 2 : 32;
			x->xf_date = xrealloc(x->xf_date,
					      (size_t)x->capxf * sizeof *x->xf_date);
		}
		x->xf_date[x->nxf++] = date;
	}
}

static void XMLCALL styles_end(void *ud, const XML_Char *name)
{
	struct xlsx *x = xlsx_leave(ud);
	if (!strcmp(xlsx_local(name), "cellXfs"))
		x->in_xfs = false;
}

/* ---- shared strings ------------------------------------------------------- */

static void XMLCALL ss_start(void *ud, const XML_Char *name,
			     const XML_Char **atts)
{
	struct xlsx *x = xlsx_enter(ud);
	const char *l = xlsx_local(name);
	if (!strcmp(l, "si")) {
		x->in_si = true;
		buf_reset(&x->text);
	} else if (!strcmp(l, "t") && x->in_si) {
		x->in_t = true;
	} else if (!strcmp(l, "rPh")) {
		x->in_rph = true; /* phonetic guide: not the cell's text */
	}
}

static void XMLCALL ss_end(void *ud, const XML_Char *name)
{
	struct xlsx *x = xlsx_leave(ud);
	const char *l = xlsx_local(name);
	if (!strcmp(l, "t")) {
		x->in_t = false;
	} else if (!strcmp(l, "rPh")) {
		x->in_rph = false;
	} else if (!strcmp(l, "si") && x->in_si) {
		x->in_si = false;
		if (x->nss >= SHEET_MAX_STRINGS) {
			atr_fail(x->err, ATR_E_INVALID,
				 "the workbook has more than %d shared strings",
				 SHEET_MAX_STRINGS);
			xlsx_stop(ud, x, -1);
			return;
		}
		if (x->nss + 1 >= x->capss) {
			x->capss = x->capss ? x->capss * 2 : 256;
			x->ssoff = xrealloc(x->ssoff,
					    (size_t)x->capss * sizeof *x->ssoff);
		}
		x->ssoff[x->nss++] = x->ss.len;
		buf_add(&x->ss, x->text.p ? x->text.p : "", x->text.len);
		buf_addc(&x->ss, 0);
		x->ssoff[x->nss] = x->ss.len;
	}
}

static void XMLCALL ss_text(void *ud, const XML_Char *s, int len)
{
	struct part *pt = ud;
	struct xlsx *x = pt->x;
	if (!x->in_si || !x->in_t || x->in_rph)
		return;
	if (x->text.len + (size_t)len > SHEET_MAX_CELL) {
		atr_fail(x->err, ATR_E_INVALID,
			 "a shared string is longer than %d bytes",
			 SHEET_MAX_CELL);
		xlsx_stop(ud, x, -1);
		return;
	}
	buf_add(&x->text, s, (size_t)len);
}

/* ---- the sheet ------------------------------------------------------------ */

/* Parses a cell reference "AB12" into a 0-based column and a row; false
 * when malformed. */
static bool cell_ref(const char *s, int *col, int64_t *rowno)
{
	int64_t c = 0;
	int letters = 0;
	while (*s >= 'A' && *s <= 'Z') {
		c = c * 26 + (*s++ - 'A' + 1);
		if (++letters > 3)
			return false;
	}
	if (!letters)
		return false;
	int64_t r = 0;
	if (*s && atr_parse_i64(s, &r) < 0)
		return false;
	*col = (int)(c - 1);
	*rowno = r; /* 0 when the reference names no row */
	return true;
}

static void XMLCALL merge_start(void *ud, const XML_Char *name,
				const XML_Char **atts)
{
	struct xlsx *x = xlsx_enter(ud);
	if (strcmp(xlsx_local(name), "mergeCell"))
		return;
	const char *ref = xlsx_attr(atts, "ref");
	const char *colon = ref ? strchr(ref, ':') : NULL;
	if (!colon || colon - ref > 15)
		return;
	char a[16];
	memcpy(a, ref, (size_t)(colon - ref));
	a[colon - ref] = 0;
	struct merge m = {0};
	if (!cell_ref(a, &m.c1, &m.r1) || !cell_ref(colon + 1, &m.c2, &m.r2) ||
	    m.r1 < 1 || m.r2 < m.r1 || m.c2 < m.c1)
		return;
	if (x->nm >= SHEET_MAX_MERGES) {
		atr_fail(x->err, ATR_E_INVALID,
			 "the sheet has more than %d merged ranges",
			 SHEET_MAX_MERGES);
		xlsx_stop(ud, x, -1);
		return;
	}
	x->m = xrealloc(x->m, (size_t)(x->nm + 1) * sizeof *x->m);
	x->m[x->nm++] = m;
}

/* The text of a number serial as a date ("2026-12-06") or, with a time
 * of day, an instant ("2026-12-06T10:30:00Z"), in the workbook's system. */
static void serial_date(double v, bool d1904, char out[32])
{
	double days = floor(v);
	int64_t secs = (int64_t)llround((v - days) * 86400.0);
	if (secs >= 86400) {
		days += 1;
		secs -= 86400;
	}
	int64_t z; /* days since 1970-01-01 */
	if (d1904)
		z = (int64_t)days - 24107; /* 1904-01-01 is serial 0 */
	else if (days < 61)
		z = (int64_t)days - 25568; /* before the phantom 1900-02-29 */
	else
		z = (int64_t)days - 25569; /* serial 25569 is 1970-01-01 */
	/* civil_from_days (H. Hinnant's algorithm) */
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	if (y < 1 || y > 9999) {
		snprintf(out, 32, "%.15g", v);
		return;
	}
	if (secs == 0)
		snprintf(out, 32, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
	else
		snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y,
			 (int)m, (int)d, (int)(secs / 3600),
			 (int)(secs / 60 % 60), (int)(secs % 60));
}

/* Sets the cell just read from x->text by its type. */
static void cell_done(void *ud, struct xlsx *x)
{
	const char *t = x->text.p ? x->text.p : "";
	size_t len = x->text.len;
	char num[40];
	if (!strcmp(x->ctype, "s")) {
		int64_t i;
		if (atr_parse_i64(t, &i) < 0 || i < 0 || i >= x->nss) {
			atr_fail(x->err, ATR_E_INVALID,
				 "row %lld: a cell names a shared string that "
				 "does not exist",
				 (long long)x->rowno);
			xlsx_stop(ud, x, -1);
			return;
		}
		t = x->ss.p + x->ssoff[i];
		len = x->ssoff[i + 1] - x->ssoff[i] - 1;
	} else if (!strcmp(x->ctype, "b")) {
		t = !strcmp(t, "1") ? "true" : "false";
		len = strlen(t);
	} else if (!x->ctype[0] || !strcmp(x->ctype, "n")) {
		char *end;
		double v = len ? strtod(t, &end) : 0;
		if (len && *end == 0 && isfinite(v)) {
			if (x->cstyle >= 0 && x->cstyle < x->nxf &&
			    x->xf_date[x->cstyle]) {
				serial_date(v, x->date1904, num);
				t = num;
				len = strlen(num);
			} else if (strpbrk(t, "eE")) {
				snprintf(num, sizeof num, "%.15g", v);
				t = num;
				len = strlen(num);
			}
		}
	} /* "str" (a formula's text), "inlineStr", "e" (an error), "d"
	   * (an ISO date): the text as written */
	if (sheet_row_set(x->row, x->col, t, len, x->rowno, x->err) < 0)
		xlsx_stop(ud, x, -1);
}

/* Fills the merged ranges that cover the row just read, then reports it. */
static void row_done(void *ud, struct xlsx *x)
{
	struct sheet_row *row = x->row;
	for (int i = 0; i < x->nm; i++) {
		struct merge *m = &x->m[i];
		if (x->rowno < m->r1 || x->rowno > m->r2)
			continue;
		if (x->rowno == m->r1) {
			if (m->c1 >= row->n || !row->cells[m->c1])
				continue;
			x->merge_bytes += row->lens[m->c1];
			if (x->merge_bytes > SHEET_MAX_PART) {
				atr_fail(x->err, ATR_E_INVALID,
					 "merged ranges hold too much text");
				xlsx_stop(ud, x, -1);
				return;
			}
			m->value = xstrndup(row->cells[m->c1], row->lens[m->c1]);
			m->len = row->lens[m->c1];
		}
		if (!m->value)
			continue;
		for (int c = m->c1; c <= m->c2; c++) {
			if (c < row->n && row->cells[c])
				continue;
			if (sheet_row_set(row, c, m->value, m->len, x->rowno,
					  x->err) < 0) {
				xlsx_stop(ud, x, -1);
				return;
			}
		}
	}
	int rc = sheet_row_emit(row, x->rowno, x->fn, x->arg, x->err);
	if (rc)
		xlsx_stop(ud, x, rc < 0 ? -1 : 1);
}

/* Reports the rows after the last one read and before `before` that a
 * merged range covers (a writer may leave them out: only the top-left
 * cell of a range holds anything). */
static void merge_gap(void *ud, struct xlsx *x, int64_t before)
{
	int64_t last = 0;
	for (int i = 0; i < x->nm; i++)
		if (x->m[i].value && x->m[i].r2 > last)
			last = x->m[i].r2;
	if (before > last + 1)
		before = last + 1;
	for (int64_t k = x->rowno + 1; k < before && !x->rc; k++) {
		bool covered = false;
		for (int i = 0; i < x->nm && !covered; i++)
			covered = x->m[i].value && k >= x->m[i].r1 &&
				  k <= x->m[i].r2;
		if (!covered)
			continue;
		x->rowno = k;
		row_done(ud, x);
	}
}

static void XMLCALL sheet_start(void *ud, const XML_Char *name,
				const XML_Char **atts)
{
	struct xlsx *x = xlsx_enter(ud);
	const char *l = xlsx_local(name);
	if (!strcmp(l, "sheetData")) {
		x->in_sheet_data = true;
	} else if (!x->in_sheet_data) {
		return;
	} else if (!strcmp(l, "row")) {
		const char *r = xlsx_attr(atts, "r");
		int64_t n;
		if (!r || atr_parse_i64(r, &n) < 0 || n <= x->rowno)
			n = x->rowno + 1;
		if (x->nm)
			merge_gap(ud, x, n);
		x->rowno = n;
		x->col = -1;
	} else if (!strcmp(l, "c")) {
		const char *r = xlsx_attr(atts, "r"), *t = xlsx_attr(atts, "t"),
			   *s = xlsx_attr(atts, "s");
		int col;
		int64_t rn;
		if (r && cell_ref(r, &col, &rn))
			x->col = col;
		else
			x->col++;
		atr_strlcpy(x->ctype, t ? t : "", sizeof x->ctype);
		int64_t si = -1;
		if (!s || atr_parse_i64(s, &si) < 0 || si > 65535)
			si = -1;
		x->cstyle = (int)si;
		x->in_cell = true;
		buf_reset(&x->text);
	} else if (x->in_cell && !strcmp(l, "v")) {
		x->in_v = true;
	} else if (x->in_cell && !strcmp(l, "is")) {
		x->in_is = true;
	} else if (x->in_is && !strcmp(l, "t")) {
		x->in_t = true;
	} else if (x->in_is && !strcmp(l, "rPh")) {
		x->in_rph = true;
	}
}

static void XMLCALL sheet_end(void *ud, const XML_Char *name)
{
	struct xlsx *x = xlsx_leave(ud);
	const char *l = xlsx_local(name);
	if (!x->in_sheet_data)
		return;
	if (!strcmp(l, "sheetData")) {
		if (x->nm)
			merge_gap(ud, x, INT64_MAX);
		x->in_sheet_data = false;
	} else if (!strcmp(l, "v")) {
		x->in_v = false;
	} else if (!strcmp(l, "t")) {
		x->in_t = false;
	} else if (!strcmp(l, "rPh")) {
		x->in_rph = false;
	} else if (!strcmp(l, "is")) {
		x->in_is = false;
	} else if (!strcmp(l, "c") && x->in_cell) {
		x->in_cell = false;
		if (x->text.len)
			cell_done(ud, x);
	} else if (!strcmp(l, "row")) {
		row_done(ud, x);
	}
}

static void XMLCALL sheet_text(void *ud, const XML_Char *s, int len)
{
	struct part *pt = ud;
	struct xlsx *x = pt->x;
	if (!x->in_cell || !(x->in_v || (x->in_is && x->in_t && !x->in_rph)))
		return;
	if (x->text.len + (size_t)len > SHEET_MAX_CELL) {
		atr_fail(x->err, ATR_E_INVALID,
			 "row %lld column %d: a cell is longer than %d bytes",
			 (long long)x->rowno, x->col + 1, SHEET_MAX_CELL);
		xlsx_stop(ud, x, -1);
		return;
	}
	buf_add(&x->text, s, (size_t)len);
}

/* ---- the reader ----------------------------------------------------------- */

static int xlsx_parts(struct xlsx *x)
{
	if (xlsx_part_parse(x, "_rels/.rels", true, SHEET_MAX_PART, root_rels_start,
		       any_end, xlsx_no_text) < 0)
		return -1;
	if (!x->workbook)
		x->workbook = xstrdup("xl/workbook.xml");
	if (xlsx_part_parse(x, x->workbook, false, SHEET_MAX_PART, workbook_start,
		       any_end, xlsx_no_text) < 0)
		return -1;
	if (!x->sheet_rid)
		return atr_fail(x->err, ATR_E_INVALID, "the workbook has no sheet");
	char *rels = xlsx_resolve(x->workbook, "_rels/");
	const char *slash = strrchr(x->workbook, '/');
	char *relname = xasprintf("%s%s.rels", rels,
				  slash ? slash + 1 : x->workbook);
	free(rels);
	int rc = xlsx_part_parse(x, relname, false, SHEET_MAX_PART, wb_rels_start,
			    any_end, xlsx_no_text);
	free(relname);
	if (rc < 0)
		return -1;
	if (!x->sheet)
		return atr_fail(x->err, ATR_E_INVALID,
				"the workbook's first sheet is missing");
	if (x->styles && xlsx_part_parse(x, x->styles, true, SHEET_MAX_PART,
				    styles_start, styles_end, xlsx_no_text) < 0)
		return -1;
	if (x->strings && xlsx_part_parse(x, x->strings, true, SHEET_MAX_PART,
				     ss_start, ss_end, ss_text) < 0)
		return -1;
	if (x->rc)
		return -1;
	return 0;
}

int sheet_read_xlsx(const void *data, size_t len, struct sheet_row *row,
		    sheet_row_fn fn, void *arg, struct atr_err *err)
{
	struct xlsx x = {.err = err, .row = row, .fn = fn, .arg = arg};
	zip_error_t ze;
	zip_error_init(&ze);
	int rc = -1;
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
	if (!src) {
		atr_fail(err, ATR_E_INTERNAL, "zip: %s", zip_error_strerror(&ze));
		goto out;
	}
	x.za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (!x.za) {
		zip_source_free(src);
		atr_fail(err, ATR_E_INVALID,
			 "the file is not a valid xlsx workbook (zip: %s)",
			 zip_error_strerror(&ze));
		goto out;
	}
	if (zip_get_num_entries(x.za, 0) > SHEET_MAX_ENTRIES) {
		atr_fail(err, ATR_E_INVALID,
			 "the workbook has more than %d parts",
			 SHEET_MAX_ENTRIES);
		goto out;
	}
	if (xlsx_parts(&x) < 0)
		goto out;
	if (xlsx_part_parse(&x, x.sheet, false, SHEET_MAX_SHEET, merge_start,
		       any_end, xlsx_no_text) < 0 || x.rc)
		goto out;
	buf_reset(&x.text);
	if (xlsx_part_parse(&x, x.sheet, false, SHEET_MAX_SHEET, sheet_start,
		       sheet_end, sheet_text) < 0 || x.rc < 0)
		goto out;
	rc = 0;
out:
	zip_error_fini(&ze);
	if (x.za)
		zip_discard(x.za);
	free(x.workbook);
	free(x.sheet_rid);
	free(x.sheet);
	free(x.strings);
	free(x.styles);
	free(x.xf_date);
	free(x.fmt_ids);
	buf_free(&x.ss);
	free(x.ssoff);
	for (int i = 0; i < x.nm; i++)
		free(x.m[i].value);
	free(x.m);
	buf_free(&x.text);
	return rc;
}
