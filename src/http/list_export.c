/* list_export.c — a list's selection as a file: ?format=csv or xlsx on
 * any list route (list.h).
 *
 * The export is the list itself. list_run hands a request carrying
 * format=csv|xlsx here, and this runs the list page after page along its
 * own cursor — the caller's filters, search, sort and view scope, and the
 * row writer's fields, so only-admin fields and custom fields are exactly
 * those the caller's JSON carries — writing each row to a temporary file
 * that the response then sends from disk (req->raw_file): memory stays
 * one page, whatever the selection's size.
 *
 * Columns are the keys of the first row, in order; an object member
 * (custom_fields) becomes one column per key ("custom_fields.tier"), an
 * array of scalars one cell joined with "; ". A column of ids (a member,
 * members, or a record of another entity) is followed by one of their
 * names ("assigned_to_name"): members by name, records by the titles the
 * list's own "refs" give (so only those the caller may see; an id the
 * caller may not see has an empty name, as on the screen). CSV is RFC 4180 with a
 * UTF-8 BOM (so spreadsheet programs read UTF-8), every cell that looks
 * like a formula neutralised with a leading '. xlsx is written by
 * libxlsxwriter in constant-memory mode; numbers, money, dates and
 * instants are typed from the list's field types, and text is never a
 * formula there.
 *
 * At most EXPORT_ROWS_MAX rows (an xlsx sheet holds 1,048,576): a larger
 * selection is refused (422) rather than cut short, since an export must
 * be all of what the caller asked for. One activity row (action export,
 * the list's permission module as entity) records who exported what.
 */
#include "atrium.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "core/buf.h"
#include "core/json_out.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/router.h"

#define EXPORT_PAGE 500
#define XLSX_STR_MAX 32767 /* characters in one cell */

enum fmt { FMT_CSV, FMT_XLSX };

struct col {
	char *name;   /* "status", "custom_fields.tier" */
	char *parent; /* "custom_fields", or NULL */
	const char *key;
	enum ftype type; /* 0 when the list does not type it */
	/* A column of names: the entity naming the ids of column `of`
	 * ("staff" for members), else NULL. */
	const char *names_of;
	int of;
};

struct sink {
	enum fmt fmt;
	char path[256];
	FILE *csv;
	struct buf line;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *bold, *date, *instant, *money;
	struct col *cols;
	int ncols;
	int64_t rows;
	struct req *r;
	const json_t *refs; /* the page's {"<entity>": {"<id>": title}} */
	json_t *staff;      /* {"<id>": name}, loaded when first needed */
};

static const char *tmp_dir(void)
{
	const char *d = getenv("TMPDIR");
	return d && *d ? d : "/tmp";
}

static const struct field *col_field(const struct list_spec *s,
				     const char *name)
{
	for (int i = 0; i < s->ncolumns; i++)
		if (s->columns[i].f && !strcmp(s->columns[i].f->name, name))
			return s->columns[i].f;
	return NULL;
}

static void add_col(struct sink *k, const struct list_spec *s,
		    const char *parent, const char *key)
{
	int at = k->ncols;
	struct col *c = &k->cols[k->ncols++];
	if (parent) {
		c->parent = xstrdup(parent);
		c->name = xasprintf("%s.%s", parent, key);
		c->key = c->name + strlen(parent) + 1;
	} else {
		c->name = xstrdup(key);
		c->key = c->name;
	}
	const struct field *f = col_field(s, c->name);
	c->type = f ? f->type : 0;
	const char *names = NULL;
	if (f && (f->type == FT_STAFF || f->type == FT_STAFF_LIST))
		names = "staff";
	else if (f && f->type == FT_REF && f->ref)
		names = f->ref;
	if (!names)
		return;
	struct col *n = &k->cols[k->ncols++];
	*n = (struct col){.names_of = names, .of = at};
	n->name = xasprintf("%s_name", k->cols[at].name);
	n->key = n->name;
}

/* True when the list has columns named key.<name> (custom_fields.tier):
 * key's object is then one column per member, the same in every row. */
static bool flattened(const struct list_spec *s, const char *key,
		      const json_t *v)
{
	if (!json_is_object(v))
		return false;
	size_t n = strlen(key);
	for (int i = 0; i < s->ncolumns; i++) {
		const char *name = s->columns[i].f ? s->columns[i].f->name : "";
		if (!strncmp(name, key, n) && name[n] == '.')
			return true;
	}
	return false;
}

/* The columns: the first row's keys, objects the list names one level
 * down; any other object (an activity row's diff) is one JSON cell. */
static void columns_of(struct sink *k, const struct list_spec *s,
		       const json_t *row)
{
	size_t n = 0;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)row, key, v)
		n += flattened(s, key, v) ? json_object_size(v) : 1;
	/* at most one column of names per column */
	k->cols = xcalloc(n ? 2 * n : 1, sizeof *k->cols);
	json_object_foreach((json_t *)row, key, v)
	{
		if (!flattened(s, key, v)) {
			add_col(k, s, NULL, key);
			continue;
		}
		const char *sub;
		json_t *sv;
		json_object_foreach(v, sub, sv)
			add_col(k, s, key, sub);
	}
}

/* The members' names of the caller's organisation, once per export. */
static const json_t *staff_names(struct sink *k)
{
	if (k->staff)
		return k->staff;
	k->staff = json_object();
	struct db_conn *c = req_db(k->r);
	struct db_stmt *st =
		c ? db_prepare(c, "SELECT id, name FROM staff WHERE org_id = ?")
		  : NULL;
	if (!st)
		return k->staff; /* ids without names, not a failed export */
	db_bind_int(st, 1, k->r->who.org_id);
	while (db_step(st) == 1) {
		char id[24];
		snprintf(id, sizeof id, "%lld", (long long)db_col_int(st, 0));
		json_object_set_new(k->staff, id,
				    json_string(db_col_text(st, 1)
							? db_col_text(st, 1)
							: ""));
	}
	db_reset(st);
	return k->staff;
}

/* The names of column c's ids in row: a string ("; " between several),
 * or NULL when there is none (caller decrefs). */
static json_t *names_cell(struct sink *k, const json_t *row,
			  const struct col *c, const json_t *v)
{
	const json_t *names = strcmp(c->names_of, "staff")
				      ? json_object_get(k->refs, c->names_of)
				      : staff_names(k);
	struct buf b = BUF_INIT;
	size_t n = json_is_array(v) ? json_array_size(v) : 1;
	for (size_t i = 0; i < n; i++) {
		const json_t *id = json_is_array(v) ? json_array_get(v, i) : v;
		if (!json_is_integer(id))
			continue;
		char key[24];
		snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(id));
		const char *name = json_string_value(json_object_get(names, key));
		if (!name)
			continue;
		if (b.len)
			buf_adds(&b, "; ");
		buf_adds(&b, name);
	}
	json_t *out = b.len ? json_stringn(b.p, b.len) : NULL;
	buf_free(&b);
	return out;
}

static const json_t *cell_of(const json_t *row, const struct col *c)
{
	if (c->parent)
		return json_object_get(json_object_get(row, c->parent),
				       c->key);
	return json_object_get(row, c->name);
}

/* A scalar as text (appended to b); false for null. */
static bool scalar_text(struct buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_add(b, json_string_value(v), json_string_length(v));
		return true;
	case JSON_INTEGER:
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return true;
	case JSON_REAL:
		buf_printf(b, "%.15g", json_real_value(v));
		return true;
	case JSON_TRUE:
		buf_adds(b, "true");
		return true;
	case JSON_FALSE:
		buf_adds(b, "false");
		return true;
	default:
		return false;
	}
}

/* Any value as the text of one cell (b is reset first). */
static void cell_text(struct buf *b, const json_t *v)
{
	b->len = 0;
	if (!v || json_is_null(v) || scalar_text(b, v)) {
		buf_addc(b, 0);
		b->len--;
		return;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			if (i)
				buf_adds(b, "; ");
			if (!scalar_text(b, e)) {
				char *j = json_dumps(e, JSON_COMPACT |
							      JSON_ENCODE_ANY);
				buf_adds(b, j ? j : "");
				free(j);
			}
		}
	} else {
		char *j = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		buf_adds(b, j ? j : "");
		free(j);
	}
	buf_addc(b, 0);
	b->len--;
}

/* One CSV field (RFC 4180): quoted when it holds a separator, quote or
 * line break; a leading = + - @ (or tab, CR) neutralised with a '. */
static void csv_cell(struct buf *out, const char *s, size_t n)
{
	bool quote = false;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' ||
			s[i] == '\n' || s[i] == ';';
	if (quote)
		buf_addc(out, '"');
	if (n && strchr("=+-@\t\r", s[0]))
		buf_addc(out, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_addc(out, '"');
		buf_addc(out, s[i]);
	}
	if (quote)
		buf_addc(out, '"');
}

/* Cuts s (NUL-terminated, UTF-8) to at most max characters, in place. */
static void utf8_cut(char *s, size_t max)
{
	size_t chars = 0;
	for (char *p = s; *p; p++)
		if (((unsigned char)*p & 0xC0) != 0x80 && chars++ == max) {
			*p = 0;
			return;
		}
}

static bool parse_date(const char *s, lxw_datetime *d, bool with_time)
{
	int y, mo, da, h = 0, mi = 0;
	double sec = 0;
	int n = with_time ? sscanf(s, "%4d-%2d-%2dT%2d:%2d:%lf", &y, &mo, &da,
				   &h, &mi, &sec)
			  : sscanf(s, "%4d-%2d-%2d", &y, &mo, &da);
	if (n != (with_time ? 6 : 3) || y < 1900 || mo < 1 || mo > 12 ||
	    da < 1 || da > 31)
		return false;
	*d = (lxw_datetime){y, mo, da, h, mi, sec};
	return true;
}

static int xlsx_cell(struct sink *k, lxw_row_t row, lxw_col_t col,
		     const struct col *c, const json_t *v, struct buf *tmp)
{
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v) || json_is_real(v))
		return worksheet_write_number(k->ws, row, col,
					      json_number_value(v), NULL);
	if (json_is_boolean(v))
		return worksheet_write_boolean(k->ws, row, col,
					       json_is_true(v), NULL);
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		lxw_datetime d;
		if ((c->type == FT_MONEY || c->type == FT_DECIMAL ||
		     c->type == FT_INT) &&
		    *s) {
			char *end;
			errno = 0;
			double x = strtod(s, &end);
			if (!*end && !errno)
				return worksheet_write_number(
					k->ws, row, col, x,
					c->type == FT_MONEY ? k->money : NULL);
		}
		if (c->type == FT_DATE && parse_date(s, &d, false))
			return worksheet_write_datetime(k->ws, row, col, &d,
							k->date);
		if (c->type == FT_DATETIME && parse_date(s, &d, true))
			return worksheet_write_datetime(k->ws, row, col, &d,
							k->instant);
	}
	cell_text(tmp, v);
	utf8_cut(tmp->p, XLSX_STR_MAX);
	return worksheet_write_string(k->ws, row, col, tmp->p, NULL);
}

static int sink_open(struct sink *k, struct req *r)
{
	snprintf(k->path, sizeof k->path, "%s/atrium-export-XXXXXX",
		 tmp_dir());
	int fd = mkstemp(k->path);
	if (fd < 0)
		return atr_fail(&r->err, ATR_E_INTERNAL,
				"cannot create the export file in %s: %s",
				tmp_dir(), strerror(errno));
	if (k->fmt == FMT_CSV) {
		k->csv = fdopen(fd, "w+");
		if (!k->csv) {
			close(fd);
			unlink(k->path);
			return atr_fail(&r->err, ATR_E_INTERNAL,
					"cannot open the export file");
		}
		fputs("\xEF\xBB\xBF", k->csv);
		return 0;
	}
	close(fd);
	lxw_workbook_options o = {.constant_memory = LXW_TRUE,
				  .tmpdir = (char *)tmp_dir(),
				  .use_zip64 = LXW_TRUE};
	k->wb = workbook_new_opt(k->path, &o);
	if (!k->wb) {
		unlink(k->path);
		return atr_fail(&r->err, ATR_E_INTERNAL,
				"cannot start the xlsx workbook");
	}
	k->ws = workbook_add_worksheet(k->wb, "Export");
	k->bold = workbook_add_format(k->wb);
	format_set_bold(k->bold);
	k->date = workbook_add_format(k->wb);
	format_set_num_format(k->date, "yyyy-mm-dd");
	k->instant = workbook_add_format(k->wb);
	format_set_num_format(k->instant, "yyyy-mm-dd hh:mm:ss");
	k->money = workbook_add_format(k->wb);
	format_set_num_format(k->money, "#,##0.00");
	return 0;
}

static int sink_header(struct sink *k)
{
	if (k->fmt == FMT_CSV) {
		k->line.len = 0;
		for (int i = 0; i < k->ncols; i++) {
			if (i)
				buf_addc(&k->line, ',');
			csv_cell(&k->line, k->cols[i].name,
				 strlen(k->cols[i].name));
		}
		buf_adds(&k->line, "\r\n");
		return fwrite(k->line.p, 1, k->line.len, k->csv) ==
				       k->line.len
			       ? 0
			       : -1;
	}
	for (int i = 0; i < k->ncols; i++)
		if (worksheet_write_string(k->ws, 0, (lxw_col_t)i,
					   k->cols[i].name, k->bold))
			return -1;
	return worksheet_freeze_panes(k->ws, 1, 0), 0;
}

static int sink_row(struct sink *k, const json_t *row, struct buf *tmp)
{
	k->rows++;
	if (k->fmt == FMT_CSV)
		k->line.len = 0;
	for (int i = 0; i < k->ncols; i++) {
		const struct col *c = &k->cols[i];
		json_t *named = c->names_of
					? names_cell(k, row, c,
						     cell_of(row, &k->cols[c->of]))
					: NULL;
		const json_t *v = c->names_of ? named : cell_of(row, c);
		int rc = 0;
		if (k->fmt == FMT_CSV) {
			if (i)
				buf_addc(&k->line, ',');
			cell_text(tmp, v);
			csv_cell(&k->line, tmp->p, tmp->len);
		} else {
			rc = xlsx_cell(k, (lxw_row_t)k->rows, (lxw_col_t)i, c,
				       v, tmp);
		}
		json_decref(named);
		if (rc)
			return -1;
	}
	if (k->fmt != FMT_CSV)
		return 0;
	buf_adds(&k->line, "\r\n");
	return fwrite(k->line.p, 1, k->line.len, k->csv) == k->line.len ? 0
									 : -1;
}

/* Finishes the file and opens it for reading (unlinked: it goes with the
 * response). NULL on failure. */
static FILE *sink_close(struct sink *k, uint64_t *len)
{
	FILE *f = NULL;
	if (k->fmt == FMT_CSV) {
		if (fflush(k->csv) == 0 && fseek(k->csv, 0, SEEK_SET) == 0)
			f = k->csv;
		else
			fclose(k->csv);
		k->csv = NULL;
	} else {
		lxw_error e = workbook_close(k->wb);
		k->wb = NULL;
		if (e == LXW_NO_ERROR)
			f = fopen(k->path, "rb");
	}
	unlink(k->path);
	if (f) {
		struct stat st;
		if (fstat(fileno(f), &st) < 0) {
			fclose(f);
			return NULL;
		}
		*len = (uint64_t)st.st_size;
	}
	return f;
}

static void sink_free(struct sink *k)
{
	if (k->csv) {
		fclose(k->csv);
		unlink(k->path);
	}
	if (k->wb) {
		workbook_close(k->wb);
		unlink(k->path);
	}
	for (int i = 0; i < k->ncols; i++) {
		free(k->cols[i].name);
		free(k->cols[i].parent);
	}
	free(k->cols);
	buf_free(&k->line);
	json_decref(k->staff);
}

/* The filters as the caller sent them (for the activity row): every
 * parameter but format, as key=value&... */
static char *filters_text(struct req *r, int nq)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < nq; i++) {
		if (!strcmp(r->query[i].key, "format"))
			continue;
		if (b.len)
			buf_addc(&b, '&');
		buf_printf(&b, "%s=%s", r->query[i].key, r->query[i].value);
	}
	buf_addc(&b, 0);
	char *s = arena_strdup(r->arena, b.p);
	buf_free(&b);
	return s;
}

static int log_export(struct req *r, const char *format, int64_t rows,
		      const char *filters)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *diff = json_pack("{s:s,s:s,s:I,s:s}", "list", r->route->path,
				 "format", format, "rows", (json_int_t)rows,
				 "filters", filters);
	int rc = -1;
	if (db_begin(c) == 0 &&
	    activity_from_req(r, "export",
			      r->route->module ? r->route->module : "list", 0,
			      diff) == 0 &&
	    db_commit(c) == 0)
		rc = 0;
	else if (!r->err.kind)
		req_db_error(r);
	if (rc < 0 && db_in_tx(c))
		db_rollback(c);
	json_decref(diff);
	return rc;
}

/* The file name of the download: the last literal segment of the route
 * ("leads") and the date. */
static const char *file_name(struct req *r, const char *ext)
{
	const char *p = r->route->path, *name = "export";
	for (const char *s = p; (s = strchr(s, '/')); s++)
		if (s[1] && s[1] != '{')
			name = s + 1;
	char day[ATR_TIME_LEN];
	atr_now_iso(day);
	day[10] = 0;
	size_t n = strcspn(name, "/");
	return arena_printf(r->arena, "%.*s-%s.%s", (int)n, name, day, ext);
}

int list_export(struct req *r, const struct list_spec *s, const char *format)
{
	struct sink k = {.r = r};
	if (r->who.contact_id)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"the portal's lists have no export");
	if (!strcmp(format, "csv"))
		k.fmt = FMT_CSV;
	else if (!strcmp(format, "xlsx"))
		k.fmt = FMT_XLSX;
	else
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"format must be json, csv or xlsx");
	/* The export is the whole selection: no paging of the caller's. */
	int nq = 0;
	struct qparam keep[QUERY_MAX];
	for (int i = 0; i < r->nquery; i++) {
		const char *key = r->query[i].key;
		if (!strcmp(key, "limit") || !strcmp(key, "cursor") ||
		    !strcmp(key, "offset"))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"an export takes the whole selection "
					"(no %s)",
					key);
		if (strcmp(key, "format") && strcmp(key, "count"))
			keep[nq++] = r->query[i];
	}
	if (nq + 2 > QUERY_MAX)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"too many query parameters");
	const char *filters = filters_text(r, r->nquery);
	struct list_spec page = *s;
	if (page.limit_max < EXPORT_PAGE)
		page.limit_max = EXPORT_PAGE;
	/* A page's extra members: its "refs" name the records its reference
	 * columns hold (names_cell); a summary above the page is not
	 * exported. */
	if (!page.extra_names_rows)
		page.extra = NULL;
	char limit[16];
	snprintf(limit, sizeof limit, "%d", EXPORT_PAGE);
	struct buf tmp = BUF_INIT;
	int rc = -1;
	bool opened = false;
	const char *cursor = NULL;
	for (;;) {
		memcpy(r->query, keep, (size_t)nq * sizeof *keep);
		r->nquery = nq;
		r->query[r->nquery++] = (struct qparam){"limit", limit};
		if (cursor)
			r->query[r->nquery++] = (struct qparam){"cursor", cursor};
		if (list_run(r, &page) < 0)
			goto out;
		json_t *doc = json_loadb(r->raw_owned, r->raw_len, 0, NULL);
		free(r->raw_owned);
		r->raw_owned = NULL;
		r->raw = NULL;
		r->raw_len = 0;
		const json_t *data = json_object_get(doc, "data");
		k.refs = json_object_get(doc, "refs");
		if (!json_is_array(data)) {
			json_decref(doc);
			atr_fail(&r->err, ATR_E_INTERNAL,
				 "the list wrote no rows array");
			goto out;
		}
		if (!opened) {
			if (sink_open(&k, r) < 0) {
				json_decref(doc);
				goto out;
			}
			opened = true;
			if (json_array_size(data))
				columns_of(&k, s, json_array_get(data, 0));
			if (sink_header(&k) < 0) {
				json_decref(doc);
				goto write_failed;
			}
		}
		size_t i;
		json_t *row;
		json_array_foreach(data, i, row)
		{
			if (k.rows == EXPORT_ROWS_MAX) {
				json_decref(doc);
				atr_fail(&r->err, ATR_E_INVALID,
					 "the selection has more than %d "
					 "rows: narrow it with filters",
					 EXPORT_ROWS_MAX);
				goto out;
			}
			if (sink_row(&k, row, &tmp) < 0) {
				json_decref(doc);
				goto write_failed;
			}
		}
		const char *next =
			json_string_value(json_object_get(doc, "next_cursor"));
		cursor = next ? arena_strdup(r->arena, next) : NULL;
		json_decref(doc);
		if (!cursor)
			break;
	}
	uint64_t len = 0;
	FILE *f = sink_close(&k, &len);
	if (!f)
		goto write_failed;
	r->raw_file = f;
	r->raw_file_len = len;
	if (log_export(r, format, k.rows, filters) < 0)
		goto out;
	r->status = 200;
	r->ctype = k.fmt == FMT_CSV
			   ? "text/csv; charset=utf-8"
			   : "application/vnd.openxmlformats-officedocument."
			     "spreadsheetml.sheet";
	req_add_header(r, "Content-Disposition",
		       req_attachment(r, file_name(r, format)));
	req_add_header(r, "X-Export-Rows",
		       arena_printf(r->arena, "%lld", (long long)k.rows));
	rc = 0;
	goto out;
write_failed:
	atr_fail(&r->err, ATR_E_INTERNAL, "cannot write the export file: %s",
		 strerror(errno ? errno : EIO));
out:
	sink_free(&k);
	buf_free(&tmp);
	return rc;
}
