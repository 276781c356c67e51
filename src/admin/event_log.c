/* event_log.c — the events and API-request logs (CRM.COM "Events and
 * Logs").
 *
 * GET /api/v1/events                 the business events (the outbox), a
 *                                    cursor-paged feed for pull
 *                                    integrations; only entities the
 *                                    caller may view in full
 * GET /api/v1/events/export          the same selection as NDJSON in
 *                                    MongoDB Extended JSON (mongoimport)
 * GET /api/v1/api-requests           the API request log
 * GET /api/v1/api-requests/export    the same as CSV
 *
 * The request log: every /api/v1 request of a signed-in member or an API
 * token (method, path without the query, status, duration, token or
 * session, address, request id; never a body, never a header). The
 * server's workers only put a line into this process's memory (observe);
 * a thread of this module writes them in batches every second, so a
 * request never waits for the log. A full buffer drops lines and counts
 * them (atrium_api_request_log_dropped_total). Retention: the setting
 * api_log_retention_days, applied by log retention (admin/retention.h:
 * archived to a file, then removed).
 */
#include "atrium.h"

#include <pthread.h>
#include <time.h>

#include "admin/event_log.h"
#include "auth/perm.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/health_report.h"
#include "core/json_out.h"
#include "core/l10n.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/http.h"
#include "http/list.h"
#include "jobs/jobs.h"

#define EXPORT_MAX 10000
#define RING 4096
#define FLUSH_MS 1000

/* ---- events ---------------------------------------------------------------- */

static void erow(struct buf *b, struct db_stmt *st, const void *arg)
{
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "uuid", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "entity", false);
	jout_str(b, db_col_text(st, 2));
	jout_key(b, "entity_id", false);
	if (db_col_null(st, 3))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, 3));
	jout_key(b, "action", false);
	jout_str(b, db_col_text(st, 4));
	jout_key(b, "created_at", false);
	jout_str(b, db_col_text(st, 5));
	jout_key(b, "payload", false);
	json_t *p = json_loads(db_col_text(st, 6), 0, NULL);
	/* arg: the request, for a caller who is not an administrator (what
	 * only administrators see is left out of the records). */
	const struct entity *e =
		arg ? entity_find(db_col_text(st, 2) ? db_col_text(st, 2) : "")
		    : NULL;
	if (e) {
		entity_redact((struct req *)arg, e,
			      json_object_get(p, "before"));
		entity_redact((struct req *)arg, e, json_object_get(p, "after"));
	}
	char *s = p ? json_dumps(p, JSON_COMPACT) : NULL;
	buf_adds(b, s ? s : "null");
	free(s);
	json_decref(p);
	buf_addc(b, '}');
}

static const struct field f_id = {.name = "id", .type = FT_INT};
static const struct field f_entity = {.name = "entity", .type = FT_TEXT};
static const struct field f_entity_id = {.name = "entity_id",
					 .type = FT_INT};
static const struct field f_action = {.name = "action", .type = FT_TEXT};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col ecolumns[] = {
	{&f_id, NULL, LIST_FILTER | LIST_SORT},
	{&f_entity, NULL, LIST_FILTER},
	{&f_entity_id, NULL, LIST_FILTER},
	{&f_action, NULL, LIST_FILTER},
	{&f_created, NULL, LIST_FILTER | LIST_SORT},
};

/* Events about records the caller may view in full: one arm per such
 * entity (an index scan each), nothing else. */
static int escope(struct req *r, struct list_query *q, const void *arg)
{
	if (r->who.admin)
		return 0;
	int arms = 0;
	for (int i = 0; i < perm_module_count(); i++) {
		const struct perm_module *pm = perm_module_at(i);
		if (!pm->log_entity ||
		    perm_view_scope(&r->who, pm->name) != PERM_ALL)
			continue;
		if (list_arm(q, "entity = ?") < 0)
			return atr_fail(&r->err, ATR_E_INTERNAL,
					"too many event arms");
		list_text(q, pm->log_entity);
		arms++;
	}
	if (!arms)
		q->none = true;
	return 0;
}

static const struct list_spec espec = {
	.from = "event",
	.cols = "id, uuid, entity, entity_id, action, created_at, payload",
	.id = "id",
	.org = "org_id",
	.columns = ecolumns,
	.ncolumns = (int)ATR_ARRAY_LEN(ecolumns),
	.sort_default = "-id",
	.limit_default = 50,
	.limit_max = 500,
	.row = erow,
	.scope = escope,
};

static int events_h_list(struct req *r)
{
	struct list_spec s = espec;
	s.arg = r->who.admin ? NULL : r;
	return list_run(r, &s);
}

/* Runs the list spec page by page (its cursor) over r's filters, calling
 * line() for each row, at most EXPORT_MAX rows. 0 or -1 (r->err). */
static int each_row(struct req *r, const struct list_spec *s,
		    void (*line)(struct buf *out, const json_t *row,
				 const struct req *r, const void *ctx),
		    struct buf *out, const void *ctx)
{
	int nq = r->nquery;
	for (int i = 0; i < nq; i++)
		if (!strcmp(r->query[i].key, "limit") ||
		    !strcmp(r->query[i].key, "cursor") ||
		    !strcmp(r->query[i].key, "offset"))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"the export takes filters and sort "
					"only (no %s)",
					r->query[i].key);
	if (nq + 2 > QUERY_MAX)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"too many query parameters");
	struct list_spec big = *s;
	if (s->row == erow && !r->who.admin)
		big.arg = r;
	r->query[r->nquery++] = (struct qparam){"limit", "200"};
	big.limit_max = 200;
	int rows = 0;
	const char *cursor = NULL;
	for (;;) {
		r->nquery = nq + 1;
		if (cursor)
			r->query[r->nquery++] = (struct qparam){"cursor", cursor};
		if (list_run(r, &big) < 0)
			return -1;
		json_t *page = json_loadb(r->raw_owned, r->raw_len, 0, NULL);
		free(r->raw_owned);
		r->raw_owned = NULL;
		r->raw = NULL;
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(page, "data"), i, e)
		{
			line(out, e, r, ctx);
			rows++;
		}
		const char *next = json_string_value(
			json_object_get(page, "next_cursor"));
		cursor = next && rows < EXPORT_MAX ? arena_strdup(r->arena, next)
						   : NULL;
		json_decref(page);
		if (!cursor)
			break;
	}
	return 0;
}

void event_ejson_line(struct buf *b, int64_t id, const char *uuid,
		      int64_t org, const char *entity, bool has_entity,
		      int64_t entity_id, const char *action,
		      const char *created_at, const char *payload)
{
	buf_printf(b, "{\"_id\":{\"$numberLong\":\"%lld\"}", (long long)id);
	jout_key(b, "uuid", false);
	jout_str(b, uuid);
	buf_printf(b, ",\"org_id\":{\"$numberLong\":\"%lld\"}",
		   (long long)org);
	jout_key(b, "entity", false);
	jout_str(b, entity);
	jout_key(b, "entity_id", false);
	if (has_entity)
		buf_printf(b, "{\"$numberLong\":\"%lld\"}",
			   (long long)entity_id);
	else
		buf_adds(b, "null");
	jout_key(b, "action", false);
	jout_str(b, action);
	jout_key(b, "occurred_at", false);
	buf_adds(b, "{\"$date\":");
	jout_str(b, created_at);
	buf_addc(b, '}');
	jout_key(b, "payload", false);
	json_t *p = payload ? json_loads(payload, 0, NULL) : NULL;
	char *t = p ? json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	buf_adds(b, t ? t : "null");
	free(t);
	json_decref(p);
	buf_adds(b, "}\n");
}

/* The list row as an export line (the caller's organisation). */
static void ejson_line(struct buf *b, const json_t *e, const struct req *r,
		       const void *ctx)
{
	json_t *eid = json_object_get(e, "entity_id");
	char *p = json_dumps(json_object_get(e, "payload"),
			     JSON_COMPACT | JSON_ENCODE_ANY);
	event_ejson_line(b, json_integer_value(json_object_get(e, "id")),
			 json_string_value(json_object_get(e, "uuid")),
			 r->who.org_id,
			 json_string_value(json_object_get(e, "entity")),
			 json_is_integer(eid), json_integer_value(eid),
			 json_string_value(json_object_get(e, "action")),
			 json_string_value(json_object_get(e, "created_at")), p);
	free(p);
}

static int events_h_export(struct req *r)
{
	struct buf out = BUF_INIT;
	/* Oldest first, unless the caller sorts: loads resume with
	 * id[gt]=<the last _id>. */
	bool sorted = false;
	for (int i = 0; i < r->nquery; i++)
		sorted = sorted || !strcmp(r->query[i].key, "sort");
	if (!sorted && r->nquery < QUERY_MAX)
		r->query[r->nquery++] = (struct qparam){"sort", "id"};
	if (each_row(r, &espec, ejson_line, &out, NULL) < 0) {
		buf_free(&out);
		return -1;
	}
	r->raw_len = out.len;
	r->raw_owned = buf_detach(&out);
	r->raw = r->raw_owned ? r->raw_owned : "";
	r->ctype = "application/x-ndjson";
	req_add_header(r, "Content-Disposition",
		       "attachment; filename=\"events.ndjson\"");
	r->status = 200;
	return 0;
}

/* ---- the API request log ------------------------------------------------------ */

#define LCOLS                                                                  \
	"id, at, method, path, status, duration_ms, staff_id, token_id, "      \
	"session_id, ip, request_id"

static void lrow(struct buf *b, struct db_stmt *st, const void *arg)
{
	static const struct {
		const char *k;
		bool num;
	} f[] = {{"id", true},	   {"at", false},	   {"method", false},
		 {"path", false},  {"status", true},	   {"duration_ms", true},
		 {"staff_id", true}, {"token_id", true},  {"session_id", true},
		 {"ip", false},	   {"request_id", false}};
	buf_addc(b, '{');
	for (int i = 0; i < (int)ATR_ARRAY_LEN(f); i++) {
		jout_key(b, f[i].k, i == 0);
		if (db_col_null(st, i))
			buf_adds(b, "null");
		else if (f[i].num)
			jout_int(b, db_col_int(st, i));
		else
			jout_str(b, db_col_text(st, i));
	}
	jout_key(b, "via", false);
	jout_str(b, db_col_null(st, 7) ? "session" : "token");
	buf_addc(b, '}');
}

static const struct field f_at = {.name = "at", .type = FT_DATETIME};
static const struct field f_method = {.name = "method", .type = FT_TEXT};
static const struct field f_path = {.name = "path", .type = FT_TEXT};
static const struct field f_status = {.name = "status", .type = FT_INT};
static const struct field f_dur = {.name = "duration_ms", .type = FT_INT};
static const struct field f_staff = {.name = "staff_id", .type = FT_INT};
static const struct field f_token = {.name = "token_id", .type = FT_INT};
static const struct field f_ip = {.name = "ip", .type = FT_TEXT};
static const struct field f_rid = {.name = "request_id", .type = FT_TEXT};

static const struct list_col lcolumns[] = {
	{&f_at, NULL, LIST_FILTER | LIST_SORT},
	{&f_method, NULL, LIST_FILTER},
	{&f_path, NULL, LIST_FILTER},
	{&f_status, NULL, LIST_FILTER | LIST_SORT},
	{&f_dur, NULL, LIST_FILTER | LIST_SORT},
	{&f_staff, NULL, LIST_FILTER},
	{&f_token, NULL, LIST_FILTER},
	{&f_ip, NULL, LIST_FILTER},
	{&f_rid, NULL, LIST_FILTER},
};

static const struct list_spec lspec = {
	.from = "api_request_log",
	.cols = LCOLS,
	.id = "id",
	.org = "org_id",
	.columns = lcolumns,
	.ncolumns = (int)ATR_ARRAY_LEN(lcolumns),
	.sort_default = "-id",
	.limit_default = 50,
	.limit_max = 500,
	.row = lrow,
};

static int requests_h_list(struct req *r)
{
	return list_run(r, &lspec);
}

/* One CSV field (RFC 4180), formulas neutralised with a leading '. */
static void csv_field(struct buf *b, const char *s)
{
	if (!s)
		return;
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		buf_addc(b, '"');
	if (*s && strchr("=+-@", *s))
		buf_addc(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			buf_addc(b, '"');
		buf_addc(b, *p);
	}
	if (quote)
		buf_addc(b, '"');
}

/* ctx: the member's localization, for the last column (the time as they
 * read it; `at` stays ISO 8601 UTC for programs). */
static void csv_line(struct buf *b, const json_t *e, const struct req *r,
		     const void *ctx)
{
	static const char *const keys[] = {
		"id",	    "at",	"method",   "path",	  "status",
		"duration_ms", "via",	"staff_id", "token_id", "session_id",
		"ip",	    "request_id"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(keys); i++) {
		if (i)
			buf_addc(b, ',');
		json_t *v = json_object_get(e, keys[i]);
		char num[24];
		if (json_is_integer(v)) {
			snprintf(num, sizeof num, "%lld",
				 (long long)json_integer_value(v));
			csv_field(b, num);
		} else {
			csv_field(b, json_string_value(v));
		}
	}
	const char *at = json_string_value(json_object_get(e, "at"));
	char local[96] = "";
	if (at && atr_iso_ms(at) >= 0)
		l10n_format_datetime(ctx, atr_iso_ms(at), local, sizeof local);
	buf_addc(b, ',');
	csv_field(b, local);
	buf_adds(b, "\r\n");
}

static int requests_h_export(struct req *r)
{
	struct buf out = BUF_INIT;
	struct l10n l;
	if (!req_db(r) || l10n_load(r->db, r->who.org_id, r->who.staff_id, &l) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	buf_adds(&out, "id,at,method,path,status,duration_ms,via,staff_id,"
		       "token_id,session_id,ip,request_id,local_time\r\n");
	if (each_row(r, &lspec, csv_line, &out, &l) < 0) {
		buf_free(&out);
		return -1;
	}
	r->raw_len = out.len;
	r->raw_owned = buf_detach(&out);
	r->raw = r->raw_owned;
	r->ctype = "text/csv; charset=utf-8";
	req_add_header(r, "Content-Disposition",
		       "attachment; filename=\"api-requests.csv\"");
	r->status = 200;
	return 0;
}

/* ---- recording requests ---------------------------------------------------------- */

struct line {
	int64_t org, at_ms, staff, token, session, ms;
	int status;
	char method[8], path[256], ip[64], rid[33];
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct line *ring;
	int head, n;
	bool stop;
	_Atomic bool running;
	pthread_t thread;
	_Atomic uint64_t dropped;
	struct app *app;
} lg = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void observe(struct app *app, const struct req *r, double ms)
{
	if (!lg.running || !r->who.org_id || !r->path ||
	    strncmp(r->path, "/api/v1/", 8) != 0)
		return;
	struct line l = {
		.org = r->who.org_id,
		.at_ms = atr_now_ms(),
		.staff = r->who.staff_id,
		.token = r->who.token_id,
		.session = r->who.session_id,
		.ms = (int64_t)ms,
		.status = r->status,
	};
	atr_strlcpy(l.method, http_method_name(r->method), sizeof l.method);
	atr_strlcpy(l.path, r->path, sizeof l.path);
	atr_strlcpy(l.ip, r->ip, sizeof l.ip);
	atr_strlcpy(l.rid, r->request_id, sizeof l.rid);
	pthread_mutex_lock(&lg.mu);
	if (lg.n == RING) {
		lg.dropped++;
	} else {
		lg.ring[(lg.head + lg.n) % RING] = l;
		if (++lg.n == RING / 2)
			pthread_cond_signal(&lg.cv);
	}
	pthread_mutex_unlock(&lg.mu);
}

/* Rows per INSERT: a batch goes in statements of 64 rows, what is left in
 * 8s and 1s, so a connection prepares three texts rather than one per
 * size. One statement per line was a tenth of the server's CPU in a
 * PostgreSQL list benchmark (a round trip each). */
static const int chunk_rows[] = {64, 8, 1};
#define LOG_COLS 11

/* The INSERT of rows lines (chunk_rows), built once; never freed. */
static const char *chunk_sql(int k)
{
	static char *sql[3];
	if (!sql[k])
		sql[k] = db_multi_sql(
		    "INSERT INTO api_request_log (org_id, at, method, path, "
		    "status, duration_ms, staff_id, token_id, session_id, ip, "
		    "request_id)",
		    "", LOG_COLS, chunk_rows[k], "");
	return sql[k];
}

/* Binds line l as the tuple at parameter base + 1. */
static void bind_line(struct db_stmt *st, int base, const struct line *l)
{
	char at[ATR_TIME_LEN];
	atr_time_iso(l->at_ms, at);
	db_bind_int(st, base + 1, l->org);
	db_bind_text(st, base + 2, at);
	db_bind_text(st, base + 3, l->method);
	db_bind_text(st, base + 4, l->path);
	db_bind_int(st, base + 5, l->status);
	db_bind_int(st, base + 6, l->ms);
	db_bind_opt_int(st, base + 7, l->staff > 0, l->staff);
	db_bind_opt_int(st, base + 8, l->token > 0, l->token);
	db_bind_opt_int(st, base + 9, l->session > 0, l->session);
	db_bind_text(st, base + 10, l->ip);
	db_bind_text(st, base + 11, l->rid);
}

/* Writes the lines taken from the ring in one transaction (the flusher's
 * thread only: chunk_sql's texts are built here). */
static void write_lines(struct app *app, const struct line *v, int n)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c) {
		lg.dropped += (uint64_t)n;
		return;
	}
	int rc = db_begin(c);
	for (int i = 0, k = 0; rc == 0 && i < n;) {
		while (n - i < chunk_rows[k])
			k++;
		struct db_stmt *st = db_prepare(c, chunk_sql(k));
		if (!st) {
			rc = -1;
			break;
		}
		for (int j = 0; j < chunk_rows[k]; j++)
			bind_line(st, j * LOG_COLS, &v[i + j]);
		if (db_step(st) < 0)
			rc = -1;
		db_reset(st);
		i += chunk_rows[k];
	}
	if (rc == 0)
		rc = db_commit(c);
	if (rc < 0) {
		if (db_in_tx(c))
			db_rollback(c);
		lg.dropped += (uint64_t)n;
	}
	db_release(c);
}

static void *flusher(void *arg)
{
	struct app *app = arg;
	struct line *batch = xcalloc(RING, sizeof *batch);
	pthread_mutex_lock(&lg.mu);
	for (;;) {
		/* A batch a second, or at once when the ring is half full. */
		if (lg.n < RING / 2 && !lg.stop) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += FLUSH_MS / 1000;
			pthread_cond_timedwait(&lg.cv, &lg.mu, &ts);
		}
		int n = 0;
		while (lg.n) {
			batch[n++] = lg.ring[lg.head];
			lg.head = (lg.head + 1) % RING;
			lg.n--;
		}
		bool stop = lg.stop;
		pthread_mutex_unlock(&lg.mu);
		if (n)
			write_lines(app, batch, n);
		if (stop)
			break;
		pthread_mutex_lock(&lg.mu);
	}
	free(batch);
	return NULL;
}

static int log_start(struct app *app, struct atr_err *err)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lg.cv, &ca);
	pthread_condattr_destroy(&ca);
	lg.ring = xcalloc(RING, sizeof *lg.ring);
	lg.head = lg.n = 0;
	lg.stop = false;
	lg.app = app;
	if (pthread_create(&lg.thread, NULL, flusher, app) != 0) {
		free(lg.ring);
		lg.ring = NULL;
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot start the API request log's thread");
	}
	lg.running = true;
	return 0;
}

static void log_stop(struct app *app)
{
	if (!lg.running)
		return;
	pthread_mutex_lock(&lg.mu);
	lg.running = false;
	lg.stop = true;
	pthread_cond_signal(&lg.cv);
	pthread_mutex_unlock(&lg.mu);
	pthread_join(lg.thread, NULL);
	pthread_cond_destroy(&lg.cv);
	free(lg.ring);
	lg.ring = NULL;
}

static void log_metrics(struct app *app, struct buf *out)
{
	buf_printf(out,
		   "# HELP atrium_api_request_log_dropped_total API request "
		   "log lines dropped (buffer full or database error).\n"
		   "# TYPE atrium_api_request_log_dropped_total counter\n"
		   "atrium_api_request_log_dropped_total %llu\n",
		   (unsigned long long)lg.dropped);
}

/* COUNT(*) of one statement with org (when non-zero) and a time bound;
 * -1 on a database error. */
static int64_t count_since(struct db_conn *c, const char *sql, int64_t org,
			   const char *since)
{
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return -1;
	int k = 1;
	if (org)
		db_bind_int(st, k++, org);
	db_bind_text(st, k, since);
	int rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

#define API_WINDOW_MS 3600000LL

/* The health report's API error rate: of the /api/v1 requests of the last
 * hour in this log (signed-in members and API tokens), the share answered
 * with a server error (5xx); the spec: under 1 % good, over 5 % check the
 * integration. Counted from indexes alone (migration 0039). */
static int log_health(struct app *app, struct db_conn *c, int64_t org,
		      struct health_report *rep)
{
	char since[ATR_TIME_LEN];
	atr_time_iso(atr_now_ms() - API_WINDOW_MS, since);
	int64_t total = count_since(
		c,
		org ? "SELECT COUNT(*) FROM api_request_log WHERE org_id = ? "
		      "AND at >= ?"
		    : "SELECT COUNT(*) FROM api_request_log WHERE at >= ?",
		org, since);
	int64_t errors = count_since(
		c,
		org ? "SELECT COUNT(*) FROM api_request_log WHERE org_id = ? "
		      "AND at >= ? AND status >= 500"
		    : "SELECT COUNT(*) FROM api_request_log WHERE at >= ? AND "
		      "status >= 500",
		org, since);
	if (total < 0 || errors < 0)
		return -1;
	struct hr_ind *i = hr_add(rep, "api_error_rate", "percent",
				  "/admin/utilities/api_log?status%5Bgte%5D=500");
	if (total > 0)
		hr_value(i, 100.0 * (double)errors / (double)total);
	hr_thresholds(i, HR_LT, 1, HR_GT, 5);
	hr_fact(i, "requests", total);
	hr_fact(i, "errors", errors);
	hr_fact(i, "window_seconds", API_WINDOW_MS / 1000);
	hr_gauge(rep, "atrium_api_requests_window",
		 "API requests (/api/v1, signed in or with a token) in the "
		 "last hour, from the API request log.",
		 NULL, NULL, (double)total);
	hr_gauge(rep, "atrium_api_request_errors_window",
		 "Of those, answered with a server error (5xx).", NULL, NULL,
		 (double)errors);
	return 0;
}

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/events", events_h_list, ACCESS_PERM, "events",
	 CAP_VIEW},
	{HTTP_GET, "/api/v1/events/export", events_h_export, ACCESS_PERM,
	 "events", CAP_VIEW},
	{HTTP_GET, "/api/v1/api-requests", requests_h_list, ACCESS_PERM,
	 "api_logs", CAP_VIEW},
	{HTTP_GET, "/api/v1/api-requests/export", requests_h_export,
	 ACCESS_PERM, "api_logs", CAP_VIEW},
	{0},
};

static const struct perm_module perms[] = {
	{"events", "Events", PB_VIEW},
	{"api_logs", "API request log", PB_VIEW},
	{0},
};

static const struct setting_def settings[] = {
	/* The `api_requests` log of retention (admin/retention.h); 0 keeps
	 * it forever. */
	{"integrations", "api_log_retention_days", SET_INT, "90", 0, 36500},
	{0},
};

const struct module module_event_log = {
	.name = "event_log",
	.perms = perms,
	.routes = routes,
	.settings = settings,
	.start = log_start,
	.stop = log_stop,
	.metrics = log_metrics,
	.observe = observe,
	.health = log_health,
};
