/* number_series_api.c — the number_series module: an organisation's
 * number series (/admin/billing/config).
 *
 *   GET   /api/v1/billing/number_series          every kind's series
 *   GET   /api/v1/billing/number_series/{kind}   one (ETag: its version)
 *   PATCH /api/v1/billing/number_series/{kind}   change it (If-Match
 *                                                optional; stale: 412)
 *
 * Permission: `settings` (view to read, edit to change). A series is
 * instance configuration, like the company's details: whoever may change
 * the organisation's settings may change its numbering, and a role that
 * only works on invoices (the spec's AR Accountant) should not restart
 * them. The change is logged as a `settings` activity row (keys
 * number_series.<kind>.<field>), so the log shows it to the same readers.
 *
 * Rows are made with their defaults on first write (PATCH, or the first
 * number issued); GET answers the defaults for a kind without a row and
 * writes nothing. Every answer carries `preview`: the number the next
 * issue would get now.
 */
#include "atrium.h"

#include "core/module.h"
#include "db/db.h"
#include "finance/number_series.h"
#include "http/http.h"
#include "http/perm.h"

/* One series as stored. */
struct series {
	char prefix[NUMSER_PREFIX_MAX * 4 + 1];
	char format[NUMSER_FORMAT_MAX * 4 + 1];
	int padding;
	bool yearly_reset;
	int64_t next_number, last_number, period, version;
	char updated_at[ATR_TIME_LEN];
};

#define COLS                                                                   \
	"kind, prefix, format, padding, yearly_reset, next_number, "           \
	"last_number, period, version, updated_at"

static void series_defaults(const char *kind, struct series *s)
{
	const struct number_series_conf *d = number_series_defaults(kind);
	memset(s, 0, sizeof *s);
	atr_strlcpy(s->prefix, d->prefix, sizeof s->prefix);
	atr_strlcpy(s->format, d->format, sizeof s->format);
	s->padding = d->padding;
	s->yearly_reset = d->yearly_reset;
	s->next_number = 1;
	s->version = 1; /* what the row has once made */
}

/* The current row of st (columns COLS) into s. */
static void series_read(struct db_stmt *st, struct series *s)
{
	memset(s, 0, sizeof *s);
	atr_strlcpy(s->prefix, db_col_text(st, 1), sizeof s->prefix);
	atr_strlcpy(s->format, db_col_text(st, 2), sizeof s->format);
	s->padding = (int)db_col_int(st, 3);
	s->yearly_reset = db_col_int(st, 4) != 0;
	s->next_number = db_col_int(st, 5);
	s->last_number = db_col_int(st, 6);
	s->period = db_col_int(st, 7);
	s->version = db_col_int(st, 8);
	atr_strlcpy(s->updated_at, db_col_text(st, 9), sizeof s->updated_at);
}

/* Whether numbers were issued in the period that includes year: a
 * yearly series whose last issue was in an earlier year starts again at 1
 * at its next issue, so nothing counts. */
static bool period_open(const struct series *s, int year)
{
	return !s->yearly_reset || s->period >= year;
}

/* The number the next issue in year gets. */
static int64_t effective_next(const struct series *s, int year)
{
	return period_open(s, year) ? s->next_number : 1;
}

/* The API form of a series (new reference). */
static json_t *series_json(const char *kind, const struct series *s, int year,
			   int month)
{
	char preview[NUMSER_OUT_MAX];
	int64_t next = effective_next(s, year);
	if (number_series_render(s->format, s->prefix, s->padding, next, year,
				 month, preview, sizeof preview) < 0)
		preview[0] = '\0';
	return json_pack(
		"{s:s, s:s, s:s, s:i, s:b, s:I, s:I, s:I, s:s, s:I, s:s?}",
		"kind", kind, "prefix", s->prefix, "format", s->format,
		"padding", s->padding, "yearly_reset", s->yearly_reset,
		"next_number", (json_int_t)next, "last_number",
		(json_int_t)(period_open(s, year) ? s->last_number : 0),
		"period", (json_int_t)s->period, "preview", preview, "version",
		(json_int_t)s->version, "updated_at",
		s->updated_at[0] ? s->updated_at : NULL);
}

/* org's row of kind, locked for update on PostgreSQL when lock. 1 found,
 * 0 none, -1 error. */
static int series_load(struct db_conn *c, int64_t org, const char *kind,
		       bool lock, struct series *s)
{
	const char *sql = "SELECT " COLS " FROM number_series WHERE org_id = ? "
			  "AND kind = ?";
	const char *locked = "SELECT " COLS " FROM number_series WHERE "
			     "org_id = ? AND kind = ? FOR UPDATE";
	struct db_stmt *st = db_prepare(
		c, lock && db_conn_dialect(c) == DB_PG ? locked : sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, kind);
	int rc = db_step(st);
	if (rc == 1)
		series_read(st, s);
	db_reset(st);
	return rc;
}

static int ns_h_list(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int year, month;
	if (number_series_when(c, r->who.org_id, atr_now_ms(), &year, &month) <
	    0)
		return req_db_error(r);
	struct series rows[8];
	bool have[8] = {0};
	struct db_stmt *st = db_prepare(c, "SELECT " COLS " FROM number_series "
					   "WHERE org_id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.org_id);
	int rc;
	while ((rc = db_step(st)) == 1) {
		for (int i = 0; number_series_kinds[i]; i++)
			if (!strcmp(number_series_kinds[i], db_col_text(st, 0))) {
				series_read(st, &rows[i]);
				have[i] = true;
			}
	}
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	json_t *items = json_array();
	for (int i = 0; number_series_kinds[i]; i++) {
		const char *k = number_series_kinds[i];
		if (!have[i])
			series_defaults(k, &rows[i]);
		json_array_append_new(items,
				      series_json(k, &rows[i], year, month));
	}
	req_json(r, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int ns_h_get(struct req *r)
{
	if (!number_series_kind_valid(r->param))
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"no number series '%s'", r->param);
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int year, month;
	struct series s;
	if (number_series_when(c, r->who.org_id, atr_now_ms(), &year, &month) <
	    0)
		return req_db_error(r);
	int rc = series_load(c, r->who.org_id, r->param, false, &s);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		series_defaults(r->param, &s);
	req_etag(r, s.version);
	req_json(r, 200, series_json(r->param, &s, year, month));
	return 0;
}

/* The route check: what each field can be judged on alone (the grammar
 * of the format, the ranges). Rules against the stored series run in the
 * handler. */
static void ns_h_check(struct req *r)
{
	const json_t *b = r->body;
	const json_t *v = json_object_get(b, "format");
	char msg[160];
	if (json_is_string(v) &&
	    number_series_format_check(json_string_value(v), msg, sizeof msg) <
		    0)
		atr_field(&r->err, "format", "invalid", "%s", msg);
	v = json_object_get(b, "padding");
	if (json_is_integer(v) && json_integer_value(v) > NUMSER_PAD_MAX)
		atr_field(&r->err, "padding", "range",
			  "must be between 1 and %d", NUMSER_PAD_MAX);
	v = json_object_get(b, "next_number");
	if (json_is_integer(v) && json_integer_value(v) > NUMSER_NUMBER_MAX)
		atr_field(&r->err, "next_number", "range",
			  "must be between 1 and %lld", NUMSER_NUMBER_MAX);
}

/* Adds {kind field: {from, to}} to diff when a and b differ. */
static void diff_add(json_t *diff, const char *kind, const char *field,
		     json_t *from, json_t *to)
{
	if (!json_equal(from, to)) {
		char key[96];
		snprintf(key, sizeof key, "number_series.%s.%s", kind, field);
		json_object_set_new(diff, key,
				    json_pack("{s:O,s:O}", "from", from, "to",
					      to));
	}
	json_decref(from);
	json_decref(to);
}

/* The body applied to s (in place), judged against the stored series
 * (was): the rules that need it add field errors to r->err. */
static void series_change(struct req *r, const struct series *was,
			  struct series *s, int year)
{
	const json_t *b = r->body, *v;
	if ((v = json_object_get(b, "prefix")) && json_is_string(v))
		atr_strlcpy(s->prefix, json_string_value(v), sizeof s->prefix);
	if ((v = json_object_get(b, "format")) && json_is_string(v))
		atr_strlcpy(s->format, json_string_value(v), sizeof s->format);
	if ((v = json_object_get(b, "padding")) && json_is_integer(v))
		s->padding = (int)json_integer_value(v);
	if ((v = json_object_get(b, "yearly_reset")) && json_is_boolean(v))
		s->yearly_reset = json_is_true(v);
	if (s->yearly_reset && !number_series_format_has_year(s->format))
		atr_field(&r->err,
			  json_object_get(b, "format") ? "format"
						       : "yearly_reset",
			  "year_required",
			  "a series that resets every year must show the "
			  "year ({YYYY} or {YY}), or its numbers would "
			  "repeat");
	v = json_object_get(b, "next_number");
	if (!v || !json_is_integer(v))
		return;
	int64_t next = json_integer_value(v);
	bool open = period_open(was, year);
	if (open && next <= was->last_number) {
		atr_field(&r->err, "next_number", "below_issued",
			  "must be at least %lld: %lld was already issued",
			  (long long)was->last_number + 1,
			  (long long)was->last_number);
		return;
	}
	/* The administrator's number holds for this year: a yearly series
	 * must not reset it at the year's first issue. */
	s->next_number = next;
	s->last_number = open ? was->last_number : 0;
	if (s->period < year)
		s->period = year;
}

static int ns_h_patch(struct req *r)
{
	const char *kind = r->param;
	if (!number_series_kind_valid(kind))
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"no number series '%s'", kind);
	int64_t want = req_if_match(r);
	if (want == -2)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"If-Match must be a version like \"3\"");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t org = r->who.org_id;
	int year, month, rc = -1;
	struct series was, s;
	json_t *diff = NULL;
	if (db_begin(c) < 0)
		return req_db_error(r);
	if (number_series_when(c, org, atr_now_ms(), &year, &month) < 0 ||
	    number_series_ensure(c, org, kind) < 0 ||
	    series_load(c, org, kind, true, &was) != 1) {
		req_db_error(r);
		goto out;
	}
	if (want >= 0 && want != was.version) {
		atr_fail(&r->err, ATR_E_PRECONDITION,
			 "the %s number series was changed by someone else "
			 "(now version %lld); reload it and apply your change "
			 "again",
			 kind, (long long)was.version);
		goto out;
	}
	s = was;
	series_change(r, &was, &s, year);
	if (r->err.kind != ATR_E_NONE)
		goto out;
	json_t *before = series_json(kind, &was, year, month);
	diff = json_object();
	static const char *const keys[] = {"prefix", "format", "padding",
					   "yearly_reset", "next_number", NULL};
	json_t *after_preview = series_json(kind, &s, year, month);
	for (int i = 0; keys[i]; i++)
		diff_add(diff, kind, keys[i],
			 json_incref(json_object_get(before, keys[i])),
			 json_incref(json_object_get(after_preview, keys[i])));
	json_decref(before);
	json_decref(after_preview);
	if (!json_object_size(diff)) {
		/* Nothing changes: no write, no log row. The row made by
		 * ensure (if any) goes with the rollback. */
		db_rollback(c);
		req_etag(r, was.version);
		req_json(r, 200, series_json(kind, &was, year, month));
		rc = 0;
		goto out;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE number_series SET prefix = ?, format = ?, padding = "
		   "?, yearly_reset = ?, next_number = ?, last_number = ?, "
		   "period = ?, version = version + 1, updated_at = ? WHERE "
		   "org_id = ? AND kind = ? RETURNING " COLS);
	if (!st) {
		req_db_error(r);
		goto out;
	}
	db_bind_text(st, 1, s.prefix);
	db_bind_text(st, 2, s.format);
	db_bind_int(st, 3, s.padding);
	db_bind_int(st, 4, s.yearly_reset);
	db_bind_int(st, 5, s.next_number);
	db_bind_int(st, 6, s.last_number);
	db_bind_int(st, 7, s.period);
	db_bind_text(st, 8, now);
	db_bind_int(st, 9, org);
	db_bind_text(st, 10, kind);
	int step = db_step(st);
	if (step == 1)
		series_read(st, &s);
	db_reset(st);
	if (step != 1 ||
	    activity_from_req(r, "update", "settings", 0, diff) < 0 ||
	    db_commit(c) < 0) {
		req_db_error(r);
		goto out;
	}
	req_etag(r, s.version);
	req_json(r, 200, series_json(kind, &s, year, month));
	rc = 0;
out:
	if (rc < 0 && db_in_tx(c))
		db_rollback(c);
	json_decref(diff);
	return rc;
}

static const struct field ns_fields[] = {
	{.name = "prefix", .type = FT_TEXT, .max = NUMSER_PREFIX_MAX},
	{.name = "format", .type = FT_TEXT, .max = NUMSER_FORMAT_MAX,
	 .flags = F_REQUIRED},
	{.name = "padding", .type = FT_INT, .flags = F_REQUIRED},
	{.name = "yearly_reset", .type = FT_BOOL, .flags = F_REQUIRED},
	{.name = "next_number", .type = FT_INT, .flags = F_REQUIRED},
};
static const struct schema ns_schema = SCHEMA(ns_fields);

static const struct route ns_routes[] = {
	{HTTP_GET, "/api/v1/billing/number_series", ns_h_list, ACCESS_PERM,
	 "settings", CAP_VIEW, NULL, NULL, NULL, 0, NULL},
	{HTTP_GET, "/api/v1/billing/number_series/{kind}", ns_h_get,
	 ACCESS_PERM, "settings", CAP_VIEW, NULL, NULL, NULL, 0, NULL},
	{HTTP_PATCH, "/api/v1/billing/number_series/{kind}", ns_h_patch,
	 ACCESS_PERM, "settings", CAP_EDIT, &ns_schema, NULL, ns_h_check, 0,
	 NULL},
	{0},
};

const struct module module_number_series = {
	.name = "number_series",
	.routes = ns_routes,
};
