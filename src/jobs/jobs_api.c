/* jobs_api.c — the jobs module: the Utilities jobs page's routes (list by
 * kind and status, retry one, retry all), the runner's start and stop,
 * housekeeping of finished jobs, and the jobs metrics. */
#include "atrium.h"

#include <pthread.h>

#include "http/perm.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "jobs/jobs_int.h"

#define LIST_DEFAULT 50
#define LIST_MAX 200
#define DEPTH_MAX 64
#define DEPTH_TTL_MS 5000
#define DAY_MS (24LL * 3600 * 1000)

/* True when this binary runs jobs of kind name (a module's kind, or
 * "event:<subscriber>"). */
static bool kind_known(const struct app *app, const char *name)
{
	for (int m = 0; app->modules[m]; m++) {
		const struct module *mod = app->modules[m];
		for (const struct job_kind *k = mod->job_kinds; k && k->name;
		     k++)
			if (!strcmp(k->name, name))
				return true;
		for (const struct event_sub *s = mod->subscribers; s && s->name;
		     s++)
			if (!strncmp(name, "event:", 6) &&
			    !strcmp(name + 6, s->name))
				return true;
	}
	return false;
}

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *depth_json(const struct app *app, const struct jobs_depth *d,
			  int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s,s:b}", "kind", d[i].kind,
				      "registered",
				      kind_known(app, d[i].kind));
		for (int s = 0; s < JS_N; s++)
			json_object_set_new(o, job_status_name(s),
					    json_integer(d[i].n[s]));
		char t[ATR_TIME_LEN];
		if (d[i].oldest_ms)
			atr_time_iso(d[i].oldest_ms, t);
		json_object_set_new(o, "oldest_at",
				    d[i].oldest_ms ? json_string(t)
						   : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

/* Adds a zero row for every kind of this binary that has no job yet. */
static int depth_with_kinds(const struct app *app, struct jobs_depth *d,
			    int n)
{
	for (int m = 0; app->modules[m]; m++) {
		const struct module *mod = app->modules[m];
		char name[64];
		for (const struct job_kind *k = mod->job_kinds;; k++) {
			if (!k || !k->name)
				break;
			atr_strlcpy(name, k->name, sizeof name);
			bool have = false;
			for (int i = 0; i < n; i++)
				have = have || !strcmp(d[i].kind, name);
			if (!have && n < DEPTH_MAX) {
				memset(&d[n], 0, sizeof d[n]);
				atr_strlcpy(d[n++].kind, name, sizeof d->kind);
			}
		}
		for (const struct event_sub *s = mod->subscribers; s && s->name;
		     s++) {
			snprintf(name, sizeof name, "event:%s", s->name);
			bool have = false;
			for (int i = 0; i < n; i++)
				have = have || !strcmp(d[i].kind, name);
			if (!have && n < DEPTH_MAX) {
				memset(&d[n], 0, sizeof d[n]);
				atr_strlcpy(d[n++].kind, name, sizeof d->kind);
			}
		}
	}
	return n;
}

/* ---- the list (GET /api/v1/jobs) ---------------------------------------- */

#define JOB_COLS                                                               \
	"id, kind, status, attempts, payload, run_at, last_error, "            \
	"created_at, started_at, finished_at"

static void job_row_write(struct buf *b, struct db_stmt *st, const void *arg)
{
	json_t *payload = json_loads(db_col_text(st, 4), 0, NULL);
	json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:o}", "id",
			      (json_int_t)db_col_int(st, 0), "kind",
			      db_col_text(st, 1), "status", db_col_text(st, 2),
			      "attempts", (json_int_t)db_col_int(st, 3),
			      "payload", payload ? payload : json_object());
	static const char *const times[] = {"run_at", "last_error",
					    "created_at", "started_at",
					    "finished_at"};
	for (int k = 0; k < 5; k++)
		json_object_set_new(o, times[k],
				    text_or_null(db_col_text(st, 5 + k)));
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

/* The counts by kind and status (the page's summary), whatever the
 * filter: ,"kinds":[...]. */
static int job_extra(struct req *r, struct buf *out, const void *arg)
{
	struct jobs_depth d[DEPTH_MAX];
	int nd = job_depth(r->db, r->who.org_id, d, DEPTH_MAX);
	if (nd < 0)
		return req_db_error(r);
	nd = depth_with_kinds(r->app, d, nd);
	json_t *kinds = depth_json(r->app, d, nd);
	char *t = json_dumps(kinds, JSON_COMPACT);
	buf_printf(out, ",\"kinds\":%s", t);
	free(t);
	json_decref(kinds);
	return 0;
}

static const char *const job_statuses[] = {"queued", "running", "done",
					   "blocked", NULL};
static const struct field f_kind = {.name = "kind", .type = FT_TEXT,
				    .max = 63};
static const struct field f_status = {.name = "status", .type = FT_ENUM,
				      .choices = job_statuses};
static const struct field f_attempts = {.name = "attempts", .type = FT_INT};
static const struct field f_run_at = {.name = "run_at", .type = FT_DATETIME};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};
static const struct field f_finished = {.name = "finished_at",
					.type = FT_DATETIME};

static const struct list_col job_columns[] = {
	{&f_kind, NULL, LIST_FILTER},
	{&f_status, NULL, LIST_FILTER},
	{&f_attempts, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_run_at, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_created, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_finished, NULL, LIST_FILTER | LIST_SORT},
};

static const struct list_spec job_spec = {
	.from = "job",
	.cols = JOB_COLS,
	.id = "id",
	.org = "org_id",
	.columns = job_columns,
	.ncolumns = (int)ATR_ARRAY_LEN(job_columns),
	.sort_default = "-id",
	.limit_default = LIST_DEFAULT,
	.limit_max = LIST_MAX,
	.count_default = true,
	.row = job_row_write,
	.extra = job_extra,
};

/* GET /api/v1/jobs: a page of the org's jobs and the counts by kind. */
static int jobs_h_list(struct req *r)
{
	return list_run(r, &job_spec);
}

/* Requeues blocked jobs (one, or all of a kind, or all) with an activity
 * row; answers {requeued, ids}. */
static int retry(struct req *r, int64_t id, const char *kind)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *ids = json_array();
	if (job_retry(c, r->who.org_id, id, kind, jobs_now_ms(), ids) < 0) {
		json_decref(ids);
		return req_db_error(r);
	}
	size_t n = json_array_size(ids);
	if (n == 0) {
		db_rollback(c);
	} else {
		json_t *diff = json_pack("{s:{s:s,s:s},s:{s:O}}", "status",
					 "from", "blocked", "to", "queued",
					 "ids", "to", ids);
		if (kind)
			json_object_set_new(diff, "kind",
					    json_pack("{s:s}", "to", kind));
		int a = activity_from_req(r, "retry", "job", id, diff);
		json_decref(diff);
		if (a < 0 || db_commit(c) < 0) {
			json_decref(ids);
			return r->err.kind ? -1 : req_db_error(r);
		}
		jobs_wake();
	}
	req_json(r, 200,
		 json_pack("{s:I,s:o}", "requeued", (json_int_t)n, "ids", ids));
	return 0;
}

/* POST /api/v1/jobs/{id}/retry: 404 unknown, 409 not blocked. */
static int jobs_h_retry_one(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "SELECT status FROM job WHERE id = ? AND org_id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	char status[16] = "";
	if (rc == 1)
		atr_strlcpy(status, db_col_text(st, 0), sizeof status);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "no job %lld",
				(long long)r->id);
	if (strcmp(status, "blocked") != 0)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"job %lld is %s: only a blocked job is "
				"retried",
				(long long)r->id, status);
	return retry(r, r->id, NULL);
}

static const struct field retry_all_fields[] = {
	{"kind", FT_TEXT, 0, 63, NULL, NULL},
};
static const struct schema retry_all_schema = SCHEMA(retry_all_fields);

/* The body's kind must be one this server runs. */
static void retry_all_check(struct req *r)
{
	json_t *k = json_object_get(r->body, "kind");
	if (json_is_string(k) && !kind_known(r->app, json_string_value(k)))
		atr_field(&r->err, "kind", "invalid",
			  "'%s' is not a job kind of this server",
			  json_string_value(k));
}

/* POST /api/v1/jobs/retry: every blocked job, or those of kind. */
static int jobs_h_retry_all(struct req *r)
{
	return retry(r, 0, json_string_value(json_object_get(r->body, "kind")));
}

static const struct route jobs_routes[] = {
	{HTTP_GET, "/api/v1/jobs", jobs_h_list, ACCESS_PERM, "jobs", CAP_VIEW,
	 NULL, NULL, NULL, 0},
	{HTTP_POST, "/api/v1/jobs/retry", jobs_h_retry_all, ACCESS_PERM,
	 "jobs", CAP_EDIT, &retry_all_schema, NULL, retry_all_check, 0},
	{HTTP_POST, "/api/v1/jobs/{id}/retry", jobs_h_retry_one, ACCESS_PERM,
	 "jobs", CAP_EDIT, &schema_empty, NULL, NULL, 0},
	{0},
};

static const struct perm_module jobs_perms[] = {
	{"jobs", "Jobs", PB_VIEW | PB_EDIT},
	{0},
};

/* Finished jobs are kept a week for the jobs page, then removed (a sent
 * email keeps its sent_at; its job_id becomes NULL). */
static const struct housekeeping jobs_housekeeping[] = {
	{"DELETE FROM job WHERE status = 'done' AND finished_at < ? "
	 "RETURNING id",
	 1, {7 * DAY_MS}, NULL},
	{0},
};

/* A kind read from the table as a Prometheus label value. */
static void label(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_printf(out, "\\%c", *s);
		else if (*s == '\n')
			buf_adds(out, "\\n");
		else
			buf_printf(out, "%c", *s);
	}
}

/* The depth by kind, recounted at most every few seconds (monotonic: a
 * clock jump cannot freeze it), for /metrics. */
static struct {
	pthread_mutex_t mu;
	bool valid;
	int64_t at; /* atr_mono_ms of the count */
	int64_t now_ms;
	int n;
	struct jobs_depth d[DEPTH_MAX];
} depth_cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Appends the jobs metrics (depth cached a few seconds) to out. */
static void jobs_metrics(struct app *app, struct buf *out)
{
	pthread_mutex_lock(&depth_cache.mu);
	int64_t mono = atr_mono_ms();
	if (!depth_cache.valid || mono - depth_cache.at >= DEPTH_TTL_MS) {
		struct atr_err err = {0};
		struct db_conn *c = db_acquire(app->db, &err);
		int n = c ? job_depth(c, 0, depth_cache.d, DEPTH_MAX) : -1;
		db_release(c);
		if (n >= 0) {
			depth_cache.n = depth_with_kinds(app, depth_cache.d, n);
			depth_cache.valid = true;
			depth_cache.at = mono;
			depth_cache.now_ms = jobs_now_ms();
		}
	}
	if (depth_cache.valid) {
		buf_adds(out, "# HELP atrium_jobs Unfinished jobs by kind and "
			      "status (all organisations).\n# TYPE atrium_jobs "
			      "gauge\n");
		for (int i = 0; i < depth_cache.n; i++)
			for (int s = 0; s < JS_N; s++) {
				if (s == JS_DONE)
					continue;
				buf_adds(out, "atrium_jobs{kind=\"");
				label(out, depth_cache.d[i].kind);
				buf_printf(out, "\",status=\"%s\"} %lld\n",
					   job_status_name(s),
					   (long long)depth_cache.d[i].n[s]);
			}
		buf_adds(out, "# HELP atrium_jobs_oldest_age_seconds Age of "
			      "the oldest queued or running job by kind (0: "
			      "none).\n# TYPE atrium_jobs_oldest_age_seconds "
			      "gauge\n");
		for (int i = 0; i < depth_cache.n; i++) {
			const struct jobs_depth *d = &depth_cache.d[i];
			double age = d->oldest_ms && depth_cache.now_ms >
							     d->oldest_ms
					     ? (double)(depth_cache.now_ms -
							d->oldest_ms) /
						       1000
					     : 0;
			buf_adds(out, "atrium_jobs_oldest_age_seconds{kind=\"");
			label(out, d->kind);
			buf_printf(out, "\"} %.3f\n", age);
		}
	}
	pthread_mutex_unlock(&depth_cache.mu);
	const struct jobs_registry *reg = runner_registry();
	if (!reg)
		return;
	buf_adds(out, "# HELP atrium_jobs_processed_total Jobs this node ran, "
		      "by kind and outcome.\n# TYPE atrium_jobs_processed_total "
		      "counter\n");
	for (int i = 0; i < reg->n; i++) {
		buf_printf(out,
			   "atrium_jobs_processed_total{kind=\"%s\",outcome="
			   "\"success\"} %llu\n",
			   reg->kinds[i].name,
			   (unsigned long long)atomic_load(&reg->ok[i]));
		buf_printf(out,
			   "atrium_jobs_processed_total{kind=\"%s\",outcome="
			   "\"failure\"} %llu\n",
			   reg->kinds[i].name,
			   (unsigned long long)atomic_load(&reg->failed[i]));
	}
}

static int jobs_start(struct app *app, struct atr_err *err)
{
	return runner_start(app, err);
}

static void jobs_stop(struct app *app)
{
	runner_stop();
	pthread_mutex_lock(&depth_cache.mu);
	depth_cache.valid = false;
	pthread_mutex_unlock(&depth_cache.mu);
}

const struct module module_jobs = {
	.name = "jobs",
	.perms = jobs_perms,
	.routes = jobs_routes,
	.housekeeping = jobs_housekeeping,
	.start = jobs_start,
	.stop = jobs_stop,
	.metrics = jobs_metrics,
	.health = jobs_health,
};
