/* record_retention.c — record retention rules: the rule, its checks, the
 * selection (shared by the preview and a run) and the module.
 * (record_retention.h says what "activity" means.)
 *
 * A rule is a registry entity (retention_rule, /api/v1/retention_rules):
 * its list with filters and export, its form, its history, its events,
 * If-Match and Idempotency-Key are the records engine's. What it holds:
 *
 *   name, notes       what it is for
 *   entity            whose records: any registry entity with personal
 *                     data (rr_entity_offered), by its name ("lead")
 *   amount, unit      the condition: no activity for amount days, months
 *                     or years
 *   filter            optional, in the entity's own list language
 *                     ("status=lost"): lost leads untouched for 2 years
 *   action            delete (the entity's own delete path: its activity
 *                     row and event per record, refused while other
 *                     records refer to it) or anonymise (the GDPR
 *                     erasure of the record's personal fields,
 *                     gdpr_erase_record)
 *   enabled           the daily task applies it
 *   max_per_run       at most this many records a run (the rest the next
 *                     day): the safety against a rule broader than meant
 *   confirmed_at,     set by POST .../confirm or .../run after a preview:
 *   confirmed_version the scheduler applies a rule only while its version
 *                     is the one confirmed, so a rule's first run after it
 *                     was enabled or changed is never a surprise
 *   last_run_at       the last run's start
 *
 * Permission module `retention_rules` (administrators only until a role
 * is given it); confirming and running also need the right to delete
 * (delete rules) or edit (anonymise rules) the rule's entity.
 */
#include "atrium.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/module.h"
#include "db/db.h"
#include "gdpr/gdpr_int.h"
#include "gdpr/record_retention.h"
#include "http/perm.h"
#include "http/query.h"

#include <time.h>

#define ENTITIES_MAX 64

const char *rr_entity_choices[ENTITIES_MAX + 1];

static const char *const units[] = {"days", "months", "years", NULL};
static const char *const actions[] = {"delete", "anonymise", NULL};

static const struct field rule_fields[] = {
	{.name = "name", .type = FT_TEXT, .max = 120,
	 .flags = F_REQUIRED | F_SEARCH | F_SORT | F_LIST},
	{.name = "entity", .type = FT_ENUM, .max = 40,
	 .choices = rr_entity_choices,
	 .flags = F_REQUIRED | F_FILTER | F_SORT | F_LIST, .label = "Records",
	 .hint = "Only records that hold personal data can have a rule."},
	{.name = "amount", .type = FT_INT,
	 .flags = F_REQUIRED | F_LIST, .label = "No activity for",
	 .hint = "Activity: the record's last change or the newest "
		 "activity-log entry about it."},
	{.name = "unit", .type = FT_ENUM, .max = 10, .choices = units,
	 .def = "years", .flags = F_LIST, .label = "Unit"},
	{.name = "filter", .type = FT_TEXT, .max = RR_FILTER_MAX,
	 .flags = F_WIDE, .label = "Only records matching",
	 .hint = "Optional, in the list's filter language: status=lost"},
	{.name = "action", .type = FT_ENUM, .max = 12, .choices = actions,
	 .def = "delete", .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "enabled", .type = FT_BOOL, .def = "false",
	 .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "max_per_run", .type = FT_INT, .def = "500",
	 .label = "Most records per run",
	 .hint = "The rest are removed on the next day's run."},
	{.name = "notes", .type = FT_TEXT, .max = 10000,
	 .flags = F_MULTILINE | F_WIDE},
	{.name = "confirmed_at", .type = FT_DATETIME,
	 .flags = F_READONLY | F_SORT, .label = "Confirmed"},
	{.name = "confirmed_version", .type = FT_INT, .flags = F_READONLY,
	 .label = "Version confirmed"},
	{.name = "last_run_at", .type = FT_DATETIME,
	 .flags = F_READONLY | F_SORT | F_LIST, .label = "Last run"},
};

extern const struct entity entity_gdpr_request;

bool rr_entity_offered(const struct entity *e)
{
	if (!e || e == &entity_gdpr_request || e == &entity_retention_rule)
		return false;
	for (int i = 0; i < e->schema.nfields; i++)
		if (e->schema.fields[i].flags & F_PERSONAL)
			return true;
	return false;
}

/* ---- the cutoff ------------------------------------------------------------------ */

void rr_cutoff(int64_t now_ms, int64_t amount, const char *unit,
	       char out[ATR_TIME_LEN])
{
	if (!strcmp(unit, "days")) {
		atr_time_iso(now_ms - amount * 86400000, out);
		return;
	}
	int64_t months = !strcmp(unit, "years") ? amount * 12 : amount;
	time_t s = (time_t)(now_ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	int64_t m = (int64_t)tm.tm_year * 12 + tm.tm_mon - months;
	int year = (int)(m / 12), mon = (int)(m % 12);
	if (mon < 0) {
		mon += 12;
		year--;
	}
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int y = year + 1900;
	int last = mdays[mon] + (mon == 1 && ((y % 4 == 0 && y % 100 != 0) ||
					      y % 400 == 0));
	tm.tm_year = year;
	tm.tm_mon = mon;
	if (tm.tm_mday > last)
		tm.tm_mday = last;
	atr_time_iso((int64_t)timegm(&tm) * 1000 + now_ms % 1000, out);
}

/* ---- a rule as the preview and a run need it ------------------------------------- */

bool rr_rule_from_json(const json_t *j, struct rr_rule *ru)
{
	memset(ru, 0, sizeof *ru);
	ru->id = json_integer_value(json_object_get(j, "id"));
	ru->version = json_integer_value(json_object_get(j, "version"));
	ru->confirmed_version =
		json_integer_value(json_object_get(j, "confirmed_version"));
	const char *en = json_string_value(json_object_get(j, "entity"));
	ru->e = en ? entity_find(en) : NULL;
	ru->amount = json_integer_value(json_object_get(j, "amount"));
	ru->unit = json_string_value(json_object_get(j, "unit"));
	if (!ru->unit)
		ru->unit = "years";
	const char *f = json_string_value(json_object_get(j, "filter"));
	ru->filter = f && *f ? f : NULL;
	const char *a = json_string_value(json_object_get(j, "action"));
	ru->anonymise = a && !strcmp(a, "anonymise");
	ru->enabled = json_is_true(json_object_get(j, "enabled"));
	json_t *m = json_object_get(j, "max_per_run");
	ru->max_per_run = json_is_integer(m) ? json_integer_value(m)
					     : RR_MAX_PER_RUN;
	ru->name = json_string_value(json_object_get(j, "name"));
	return rr_entity_offered(ru->e) && ru->amount > 0;
}

int rr_rule_load(struct req *r, int64_t id, struct rr_rule *ru)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT entity, amount, unit, filter, action, enabled, "
		       "max_per_run, version, confirmed_version, name FROM "
		       "retention_rule WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		memset(ru, 0, sizeof *ru);
		ru->id = id;
		ru->e = entity_find(db_col_text(st, 0));
		ru->amount = db_col_int(st, 1);
		ru->unit = arena_strdup(r->arena, db_col_text(st, 2));
		ru->filter = db_col_null(st, 3) || !*db_col_text(st, 3)
				     ? NULL
				     : arena_strdup(r->arena, db_col_text(st, 3));
		ru->anonymise = !strcmp(db_col_text(st, 4), "anonymise");
		ru->enabled = db_col_int(st, 5) != 0;
		ru->max_per_run = db_col_null(st, 6) ? RR_MAX_PER_RUN
						     : db_col_int(st, 6);
		ru->version = db_col_int(st, 7);
		ru->confirmed_version = db_col_null(st, 8) ? 0 : db_col_int(st, 8);
		ru->name = arena_strdup(r->arena, db_col_text(st, 9));
	}
	db_reset(st);
	return rc;
}

/* ---- the selection ----------------------------------------------------------------- */

struct sel {
	const struct rr_rule *ru;
	const char *cutoff;
	int64_t after;
	bool last;
	int64_t *ids; /* the caller's, or the page's for last_activity */
	char **updated;
	int n, cap;
	struct arena *a;
};

static int sel_where(struct req *r, struct list_query *q, void *arg)
{
	struct sel *x = arg;
	const char *t = x->ru->e->name;
	list_where(q, arena_printf(
			      r->arena,
			      "%s.updated_at < ? AND NOT EXISTS (SELECT 1 FROM "
			      "activity_log al WHERE al.org_id = %s.org_id AND "
			      "al.entity = ? AND al.entity_id = %s.id AND al.at "
			      ">= ?)",
			      t, t, t));
	list_text(q, x->cutoff);
	list_text(q, t);
	list_text(q, x->cutoff);
	if (x->ru->anonymise) {
		/* Erased once is erased: a later run does not count it again. */
		list_where(q, arena_printf(
				      r->arena,
				      "NOT EXISTS (SELECT 1 FROM activity_log al "
				      "WHERE al.org_id = %s.org_id AND al.entity = "
				      "? AND al.entity_id = %s.id AND al.action = "
				      "'gdpr_erase')",
				      t, t));
		list_text(q, t);
	}
	if (x->after > 0) {
		list_where(q, arena_printf(r->arena, "%s.id > ?", t));
		list_int(q, x->after);
	}
	return 0;
}

static void sel_row(struct db_stmt *st, void *arg)
{
	struct sel *x = arg;
	if (x->n == x->cap)
		return;
	x->ids[x->n] = db_col_int(st, 0);
	if (x->updated)
		x->updated[x->n] = arena_strdup(x->a, db_col_text(st, 2));
	x->n++;
}

/* ,"cutoff":..,"last_activity":{id: the later of updated_at and the
 * newest activity row}: one query for the page. */
static int sel_extra(struct req *r, struct buf *out, void *arg)
{
	struct sel *x = arg;
	if (!x->last)
		return 0;
	json_t *last = json_object();
	for (int i = 0; i < x->n; i++) {
		char k[24];
		snprintf(k, sizeof k, "%lld", (long long)x->ids[i]);
		json_object_set_new(last, k, json_string(x->updated[i]));
	}
	if (x->n) {
		struct buf sql = BUF_INIT;
		buf_adds(&sql, "SELECT entity_id, max(at) FROM activity_log WHERE "
			       "org_id = ? AND entity = ? AND entity_id IN (");
		for (int i = 0; i < x->n; i++)
			buf_adds(&sql, i ? ", ?" : "?");
		buf_adds(&sql, ") GROUP BY entity_id");
		struct db_stmt *st = db_prepare(r->db, buf_str(&sql));
		buf_free(&sql);
		if (!st) {
			json_decref(last);
			return req_db_error(r);
		}
		db_bind_int(st, 1, r->who.org_id);
		db_bind_text(st, 2, x->ru->e->name);
		for (int i = 0; i < x->n; i++)
			db_bind_int(st, 3 + i, x->ids[i]);
		int rc;
		while ((rc = db_step(st)) == 1) {
			char k[24];
			snprintf(k, sizeof k, "%lld", (long long)db_col_int(st, 0));
			const char *at = db_col_text(st, 1);
			const char *u = json_string_value(json_object_get(last, k));
			if (at && (!u || strcmp(at, u) > 0))
				json_object_set_new(last, k, json_string(at));
		}
		db_reset(st);
		if (rc < 0) {
			json_decref(last);
			return req_db_error(r);
		}
	}
	char *t = json_dumps(last, JSON_COMPACT);
	json_decref(last);
	json_t *cj = json_string(x->cutoff);
	char *cut = json_dumps(cj, JSON_ENCODE_ANY);
	json_decref(cj);
	buf_printf(out, ",\"cutoff\":%s,\"entity\":\"%s\",\"last_activity\":%s",
		   cut, x->ru->e->name, t);
	free(cut);
	free(t);
	return 0;
}

/* The list parameters a filter may not set: the selection's own. */
static bool reserved(const char *key)
{
	static const char *const keys[] = {"limit", "offset", "cursor", "sort",
					   "count", "format", "columns", NULL};
	for (int i = 0; keys[i]; i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

int rr_select(struct req *r, const struct rr_rule *ru, const char *cutoff,
	      const char *params, int64_t after, bool last_activity,
	      int64_t *ids, int *n)
{
	struct qparam saved[QUERY_MAX];
	int nsaved = r->nquery;
	memcpy(saved, r->query, sizeof saved);
	struct qparam q[QUERY_MAX];
	int nf = 0, np = 0;
	if (ru->filter &&
	    query_parse(ru->filter, strlen(ru->filter), r->arena, q,
			QUERY_MAX - 4, &nf, &r->err) < 0)
		return -1;
	for (int i = 0; i < nf; i++)
		if (reserved(q[i].key))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"'%s' is not a filter: a rule's filter "
					"only narrows the records",
					q[i].key);
	if (query_parse(params, strlen(params), r->arena, q + nf,
			QUERY_MAX - nf, &np, &r->err) < 0)
		return -1;
	memcpy(r->query, q, sizeof q);
	r->nquery = nf + np;
	int cap = 0;
	for (int i = nf; i < nf + np; i++)
		if (!strcmp(q[i].key, "limit")) {
			int64_t v = 0;
			if (atr_parse_i64(q[i].value, &v) == 0 && v > 0 &&
			    v <= 1000)
				cap = (int)v;
		}
	struct sel x = {.ru = ru, .cutoff = cutoff, .after = after,
			.last = last_activity, .ids = ids, .cap = cap,
			.a = r->arena};
	if (!x.ids && last_activity)
		x.ids = arena_alloc(r->arena, (size_t)(cap + 1) * sizeof *x.ids);
	if (last_activity)
		x.updated = arena_alloc(r->arena,
					(size_t)(cap + 1) * sizeof *x.updated);
	if (!x.ids)
		x.cap = 0;
	struct entity_list_hooks hooks = {sel_where, sel_row, sel_extra, &x};
	int rc = entity_list_run_hooks(r, ru->e, &hooks);
	memcpy(r->query, saved, sizeof saved);
	r->nquery = nsaved;
	if (n)
		*n = x.n;
	return rc;
}

/* ---- the rule's checks ------------------------------------------------------------- */

/* Runs the selection once (one row, nothing kept) to let the list engine
 * judge the filter; its refusal becomes the field's error. */
static void check_filter(struct req *r, const struct rr_rule *ru)
{
	struct atr_err err = r->err;
	int status = r->status;
	json_t *out = r->out;
	char *owned = r->raw_owned;
	const char *raw = r->raw, *ctype = r->ctype;
	size_t len = r->raw_len;
	int nhdr = r->nhdr;
	atr_err_clear(&r->err);
	r->out = NULL;
	r->raw_owned = NULL;
	char cut[ATR_TIME_LEN];
	atr_now_iso(cut);
	int rc = rr_select(r, ru, cut, "limit=1", 0, false, NULL, NULL);
	char msg[256];
	atr_strlcpy(msg, r->err.msg, sizeof msg);
	enum atr_ekind kind = r->err.kind;
	json_decref(r->out);
	free(r->raw_owned);
	r->err = err;
	r->status = status;
	r->out = out;
	r->raw_owned = owned;
	r->raw = raw;
	r->ctype = ctype;
	r->raw_len = len;
	r->nhdr = nhdr;
	if (rc < 0 && kind == ATR_E_INTERNAL)
		atr_fail(&r->err, ATR_E_INTERNAL, "%s", msg);
	else if (rc < 0)
		atr_field(&r->err, "filter", "invalid", "%s", msg);
}

/* The rule's checks over what the body changes (and, for a patch, what
 * it keeps): the unit's bounds, max_per_run's, the filter in the list
 * language of the rule's entity. */
void rr_check_fields(struct req *r, const json_t *body, const json_t *kept)
{
	const json_t *b = body;
#define GET(k) (json_object_get(b, k) ? json_object_get(b, k) \
				      : json_object_get(kept, k))
	const char *unit = json_string_value(GET("unit"));
	json_t *amount = GET("amount");
	if (!unit)
		unit = "years";
	int64_t most = !strcmp(unit, "days") ? 36500
		       : !strcmp(unit, "months") ? 1200 : 100;
	if (json_is_integer(amount) && json_integer_value(amount) > most)
		atr_field(&r->err, "amount", "out_of_range",
			  "at most %lld %s", (long long)most, unit);
	json_t *m = json_object_get(b, "max_per_run");
	if (json_is_integer(m) && (json_integer_value(m) < 1 ||
				   json_integer_value(m) > RR_MAX_PER_RUN_LIMIT))
		atr_field(&r->err, "max_per_run", "out_of_range",
			  "between 1 and %d", RR_MAX_PER_RUN_LIMIT);
	const char *filter = json_string_value(GET("filter"));
	const char *en = json_string_value(GET("entity"));
	const struct entity *e = en ? entity_find(en) : NULL;
#undef GET
	bool filter_given = json_object_get(b, "filter") != NULL;
	bool entity_given = json_object_get(b, "entity") != NULL;
	if (!filter || !*filter || !rr_entity_offered(e) ||
	    (!filter_given && !entity_given))
		return;
	if (!req_db(r))
		return;
	struct rr_rule ru = {.e = e, .filter = filter, .amount = 1,
			     .unit = "days"};
	check_filter(r, &ru);
}

static void rule_check(struct req *r, const struct entity *e)
{
	(void)e;
	json_t *kept = NULL;
	/* An update (PATCH, or a write that follows from another one) is
	 * judged with what the rule keeps. */
	if (r->id > 0 && req_db(r)) {
		struct db_stmt *st = db_prepare(
			r->db, "SELECT entity, unit, filter FROM retention_rule "
			       "WHERE id = ? AND org_id = ?");
		if (st) {
			db_bind_int(st, 1, r->id);
			db_bind_int(st, 2, r->who.org_id);
			if (db_step(st) == 1)
				kept = json_pack(
					"{s:s,s:s,s:s?}", "entity",
					db_col_text(st, 0), "unit",
					db_col_text(st, 1), "filter",
					db_col_null(st, 2) ? NULL
							   : db_col_text(st, 2));
			db_reset(st);
		}
	}
	rr_check_fields(r, r->body, kept);
	json_decref(kept);
}

const struct entity entity_retention_rule = {
	.name = "retention_rule",
	.plural = "retention_rules",
	.label = "Record retention rules",
	.schema = SCHEMA(rule_fields),
	.title_field = "name",
	.ui_sort = "name",
	.check = rule_check,
};

/* ---- the module -------------------------------------------------------------------- */

/* POST .../preview: an unsaved rule. */
static const struct field preview_fields[] = {
	{.name = "entity", .type = FT_ENUM, .max = 40,
	 .choices = rr_entity_choices, .flags = F_REQUIRED},
	{.name = "amount", .type = FT_INT, .flags = F_REQUIRED},
	{.name = "unit", .type = FT_ENUM, .max = 10, .choices = units},
	{.name = "filter", .type = FT_TEXT, .max = RR_FILTER_MAX},
	{.name = "action", .type = FT_ENUM, .max = 12, .choices = actions},
	/* The form's other fields may come along; they change nothing. */
	{.name = "name", .type = FT_TEXT, .max = 120},
	{.name = "enabled", .type = FT_BOOL},
	{.name = "max_per_run", .type = FT_INT},
	{.name = "notes", .type = FT_TEXT, .max = 10000,
	 .flags = F_MULTILINE},
};
static const struct schema preview_schema = SCHEMA(preview_fields);

static void preview_check(struct req *r)
{
	rr_check_fields(r, r->body, NULL);
}

static const struct route rr_routes[] = {
	ENTITY_ROUTES(entity_retention_rule, "retention_rules"),
	{HTTP_POST, "/api/v1/retention_rules/preview", rr_h_preview_body,
	 ACCESS_PERM, "retention_rules", CAP_VIEW, &preview_schema, NULL,
	 preview_check},
	{HTTP_GET, "/api/v1/retention_rules/{id}/preview", rr_h_preview,
	 ACCESS_PERM, "retention_rules", CAP_VIEW, NULL},
	{HTTP_GET, "/api/v1/retention_rules/{id}/runs", rr_h_runs, ACCESS_PERM,
	 "retention_rules", CAP_VIEW, NULL},
	{HTTP_POST, "/api/v1/retention_rules/{id}/confirm", rr_h_confirm,
	 ACCESS_PERM, "retention_rules", CAP_EDIT, &schema_empty},
	{HTTP_POST, "/api/v1/retention_rules/{id}/run", rr_h_run, ACCESS_PERM,
	 "retention_rules", CAP_EDIT, &schema_empty},
	{0},
};

static const struct perm_module rr_perms[] = {
	{"retention_rules", "Record retention rules", PB_ALL, "retention_rule"},
	{0},
};

static const struct entity *const rr_entities[] = {&entity_retention_rule,
						   NULL};

static const struct job_kind rr_kinds[] = {
	/* A run of RR_MAX_PER_RUN_LIMIT records in batches of RR_BATCH:
	 * each batch well under a second; the lease covers the worst. */
	{"retention_rule", rr_job, .max_attempts = 5,
	 .lease_ms = 30 * 60 * 1000},
	{0},
};

static const struct sched_task rr_tasks[] = {
	{"record_retention", .interval_ms = 24 * 60 * 60 * 1000,
	 .run = rr_task},
	{0},
};

/* The entity choices: every registry entity the rules may name (the
 * registry is complete once records' init ran, before this one). */
static int rr_init(struct app *app, struct atr_err *err)
{
	(void)app;
	(void)err;
	int n = 0;
	for (int i = 0; i < entity_count() && n < ENTITIES_MAX; i++)
		if (rr_entity_offered(entity_at(i)))
			rr_entity_choices[n++] = entity_at(i)->name;
	rr_entity_choices[n] = NULL;
	return 0;
}

const struct module module_record_retention = {
	.name = "record_retention",
	.perms = rr_perms,
	.routes = rr_routes,
	.entities = rr_entities,
	.job_kinds = rr_kinds,
	.tasks = rr_tasks,
	.init = rr_init,
};
