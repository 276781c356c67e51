/* sched_api.c — the scheduler module: the housekeeping task, the
 * Cronjob tab's routes (state, token), the cron URL, the scheduler's
 * thread and metrics.
 *
 * The cron URL, POST /cron/run, does what `atrium cron` does, for the
 * spec's `* * * * * curl ...` line. Its token is shown once when
 * generated and stored as a BLAKE2b hash only; the presented token is
 * hashed and compared in constant time. Each client address may call it
 * a few times a minute (a token bucket per address, in this node's
 * memory), and the refusal comes before any database work.
 */
#include "atrium.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <unistd.h>

#include "http/perm.h"
#include "auth/token.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/health_report.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "jobs/jobs_int.h"

#define DAY_MS (24LL * 3600 * 1000)

/* --- the housekeeping task ---------------------------------------------- */

/* The housekeeping task: every module's statements, on the housekeeping
 * clock. 0 or -1 with err. */
static int housekeeping_run(struct app *app, struct db_conn *c, int64_t now,
			    struct atr_err *err)
{
	if (modules_housekeeping(app, c, sched_housekeeping_now(now)) < 0)
		return atr_fail(err, ATR_E_INTERNAL, "housekeeping: %s",
				db_errmsg(c));
	return 0;
}

static int64_t housekeeping_interval(const struct app *app)
{
	return app->cfg.housekeeping_interval_ms;
}

static const struct sched_task sched_tasks[] = {
	{"housekeeping", .interval_ms = 60000,
	 .interval = housekeeping_interval, .run = housekeeping_run},
	{0},
};

/* The run history is kept a week. */
static const struct housekeeping sched_housekeeping[] = {
	{"DELETE FROM sched_run WHERE started_at < ? RETURNING id", 1,
	 {7 * DAY_MS}, NULL},
	{0},
};

/* --- GET /api/v1/scheduler ---------------------------------------------- */

static json_t *col(struct db_stmt *st, int i)
{
	return db_col_null(st, i) ? json_null()
				  : json_string(db_col_text(st, i));
}

/* The tasks of the binary with their rows; caller owns; NULL on error. */
static json_t *tasks_json(struct req *r, struct db_conn *c)
{
	json_t *a = json_array();
	for (int m = 0; r->app->modules[m]; m++)
		for (const struct sched_task *t = r->app->modules[m]->tasks;
		     t && t->name; t++) {
			char sched[256];
			sched_task_next(r->app, t, jobs_now_ms(), sched,
					sizeof sched);
			json_t *o = json_pack("{s:s,s:s}", "name", t->name,
					      "schedule", sched);
			struct db_stmt *st = db_prepare(
				c, "SELECT next_run_at, last_run_at, "
				   "last_duration_ms, last_error, last_node, "
				   "running_since, runs, failures FROM "
				   "sched_task WHERE name = ?");
			if (!st) {
				json_decref(o);
				json_decref(a);
				return NULL;
			}
			db_bind_text(st, 1, t->name);
			int rc = db_step(st);
			static const char *const keys[] = {
				"next_run_at", "last_run_at", NULL,
				"last_error",  "last_node",   "running_since"};
			for (int k = 0; k < 6; k++)
				if (keys[k])
					json_object_set_new(
						o, keys[k],
						rc == 1 ? col(st, k)
							: json_null());
			json_object_set_new(
				o, "last_duration_ms",
				rc == 1 && !db_col_null(st, 2)
					? json_integer(db_col_int(st, 2))
					: json_null());
			json_object_set_new(o, "runs",
					    json_integer(rc == 1 ? db_col_int(st, 6)
								 : 0));
			json_object_set_new(o, "failures",
					    json_integer(rc == 1 ? db_col_int(st, 7)
								 : 0));
			db_reset(st);
			if (rc < 0) {
				json_decref(o);
				json_decref(a);
				return NULL;
			}
			json_array_append_new(a, o);
		}
	return a;
}

/* The crontab line that calls the cron URL with token (arena). */
static const char *crontab_url(struct req *r, const char *token)
{
	return arena_printf(r->arena,
			    "* * * * * curl -fsS -X POST -H 'Authorization: "
			    "Bearer %s' %s/cron/run >/dev/null",
			    token, r->app->cfg.public_url);
}

/* The earliest next_run_at of tasks (our ISO form sorts as text), or
 * null when no task has run yet. */
static json_t *next_run(const json_t *tasks)
{
	const char *min = NULL;
	size_t i;
	json_t *t;
	json_array_foreach(tasks, i, t)
	{
		const char *at =
			json_string_value(json_object_get(t, "next_run_at"));
		if (at && (!min || strcmp(at, min) < 0))
			min = at;
	}
	return min ? json_string(min) : json_null();
}

/* GET /api/v1/scheduler: the Cronjob tab's state. */
static int sched_h_get(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "SELECT last_tick_at, last_tick_node, last_tick_via, "
		   "lease_owner, lease_until, token_hash, token_created_at "
		   "FROM sched_state WHERE id = 1");
	if (!st || db_step(st) != 1) {
		db_reset(st);
		return req_db_error(r);
	}
	int64_t now = jobs_now_ms();
	char t_now[ATR_TIME_LEN];
	atr_time_iso(now, t_now);
	bool ran = !db_col_null(st, 0);
	int64_t last = ran ? atr_iso_ms(db_col_text(st, 0)) : 0;
	bool leased = !db_col_null(st, 4) &&
		      atr_iso_ms(db_col_text(st, 4)) > now;
	json_t *o = json_pack(
		"{s:s,s:o,s:o,s:o,s:b,s:b,s:o,s:s,s:b}", "now", t_now,
		"last_run_at", col(st, 0), "last_run_node", col(st, 1),
		"last_run_via", col(st, 2), "stale",
		!ran || now - last > SCHED_STALE_MS, "token_set",
		!db_col_null(st, 5), "token_created_at", col(st, 6), "url",
		arena_printf(r->arena, "%s/cron/run", r->app->cfg.public_url),
		"in_process", r->app->cfg.scheduler);
	json_object_set_new(o, "leader",
			    leased ? json_pack("{s:o,s:o}", "node", col(st, 3),
					       "lease_until", col(st, 4))
				   : json_null());
	db_reset(st);
	char exe[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	const char *cmd = arena_printf(r->arena, "%s cron",
				       n > 0 ? exe : "atrium");
	const char *cfg = r->app->cfg.config_file;
	json_object_set_new(o, "command", json_string(cmd));
	json_object_set_new(o, "config_file",
			    cfg ? json_string(cfg) : json_null());
	/* The two lines for system cron. The token is stored as a hash
	 * only: its place holds TOKEN (POST /api/v1/scheduler/token answers
	 * the line with the token itself, once). */
	json_object_set_new(
		o, "crontab_command",
		json_string(arena_printf(r->arena, "* * * * * %s --config %s",
					 cmd, cfg ? cfg : "/etc/atrium.conf")));
	json_object_set_new(o, "crontab_url",
			    json_string(crontab_url(r, "TOKEN")));
	json_t *tasks = tasks_json(r, c);
	if (!tasks) {
		json_decref(o);
		return req_db_error(r);
	}
	json_object_set_new(o, "tasks", tasks);
	json_object_set_new(o, "next_run_at", next_run(tasks));
	req_json(r, 200, o);
	return 0;
}

/* --- POST /api/v1/scheduler/token --------------------------------------- */

/* POST /api/v1/scheduler/token: a new token, shown once, stored hashed. */
static int sched_h_token(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char tok[TOKEN_LEN + 1], h[TOKEN_HASH_LEN + 1], now[ATR_TIME_LEN];
	token_new(tok);
	token_hash(tok, h);
	atr_time_iso(jobs_now_ms(), now);
	if (db_begin(c) < 0)
		return req_db_error(r);
	struct db_stmt *st = db_prepare(
		c, "UPDATE sched_state SET token_hash = ?, token_created_at = ? "
		   "WHERE id = 1");
	if (!st)
		goto dberr;
	db_bind_text(st, 1, h);
	db_bind_text(st, 2, now);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		goto dberr;
	/* The log says that it changed, never the token. */
	json_t *diff = json_pack("{s:{s:s,s:s}}", "token", "from", "[secret]",
				 "to", "[secret]");
	rc = activity_from_req(r, "regenerate", "cron_token", 0, diff);
	json_decref(diff);
	if (rc < 0 || db_commit(c) < 0)
		goto dberr;
	const char *url =
		arena_printf(r->arena, "%s/cron/run", r->app->cfg.public_url);
	req_json(r, 201,
		 json_pack("{s:s,s:s,s:s,s:s}", "token", tok, "url", url,
			   "created_at", now, "crontab", crontab_url(r, tok)));
	sodium_memzero(tok, sizeof tok);
	return 0;
dberr:
	sodium_memzero(tok, sizeof tok);
	return r->err.kind ? -1 : req_db_error(r);
}

/* --- POST /cron/run ----------------------------------------------------- */

#define BUCKETS 128
#define BURST 5
#define REFILL_MS 6000 /* one more call every 6 s: 10 a minute */

static struct {
	pthread_mutex_t mu;
	struct {
		char ip[64];
		double tokens;
		int64_t at; /* atr_mono_ms of the last refill */
	} b[BUCKETS];
} limiter = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Takes one call from ip's bucket: 0 allowed, else the seconds to wait. */
static int limit_take(const char *ip)
{
	pthread_mutex_lock(&limiter.mu);
	int64_t now = atr_mono_ms();
	int slot = -1, victim = -1; /* a free bucket, else the stalest */
	for (int i = 0; i < BUCKETS && slot < 0; i++) {
		if (!limiter.b[i].ip[0]) {
			if (victim < 0 || limiter.b[victim].ip[0])
				victim = i;
		} else if (!strcmp(limiter.b[i].ip, ip)) {
			slot = i;
		} else if (victim < 0 || (limiter.b[victim].ip[0] &&
					  limiter.b[i].at <
						  limiter.b[victim].at)) {
			victim = i;
		}
	}
	if (slot < 0) {
		slot = victim;
		atr_strlcpy(limiter.b[slot].ip, ip, sizeof limiter.b[slot].ip);
		limiter.b[slot].tokens = BURST;
		limiter.b[slot].at = now;
	}
	double t = limiter.b[slot].tokens +
		   (double)(now - limiter.b[slot].at) / REFILL_MS;
	limiter.b[slot].tokens = t > BURST ? BURST : t;
	limiter.b[slot].at = now;
	int wait = 0;
	if (limiter.b[slot].tokens >= 1)
		limiter.b[slot].tokens -= 1;
	else
		wait = (int)((1 - limiter.b[slot].tokens) * REFILL_MS / 1000) +
		       1;
	pthread_mutex_unlock(&limiter.mu);
	return wait;
}

/* True when the request carries the cron token (Authorization: Bearer,
 * or ?token= for the spec's curl line). */
static int token_ok(struct req *r, struct db_conn *c, bool *ok)
{
	*ok = false;
	const char *tok = req_query(r, "token");
	const char *h = req_header(r, "Authorization");
	if (h && !strncmp(h, "Bearer ", 7))
		tok = h + 7;
	if (!tok || !token_well_formed(tok))
		return 0;
	char want[TOKEN_HASH_LEN + 1] = "", got[TOKEN_HASH_LEN + 1];
	struct db_stmt *st = db_prepare(
		c, "SELECT token_hash FROM sched_state WHERE id = 1");
	if (!st)
		return -1;
	int rc = db_step(st);
	if (rc == 1 && !db_col_null(st, 0))
		atr_strlcpy(want, db_col_text(st, 0), sizeof want);
	db_reset(st);
	if (rc < 0)
		return -1;
	token_hash(tok, got);
	*ok = strlen(want) == TOKEN_HASH_LEN &&
	      sodium_memcmp(want, got, TOKEN_HASH_LEN) == 0;
	return 0;
}

/* POST /cron/run: limit, token, then what `atrium cron` does. */
static int sched_h_cron(struct req *r)
{
	for (int i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, "token") != 0)
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"unknown query parameter '%s'",
					r->query[i].key);
	int wait = limit_take(r->ip);
	if (wait) {
		r->err.retry_after = wait;
		return atr_fail(&r->err, ATR_E_RATE_LIMITED,
				"too many cron calls from this address");
	}
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	bool ok;
	if (token_ok(r, c, &ok) < 0)
		return req_db_error(r);
	if (!ok)
		return atr_fail(&r->err, ATR_E_UNAUTHORIZED,
				"a valid cron token is required (Settings, "
				"Cronjob)");
	/* The run takes connections of its own. */
	db_release(r->db);
	r->db = NULL;
	json_t *ran = json_array();
	char holder[160] = "";
	int rc = sched_run_once(r->app, "url", ran, holder, sizeof holder,
				&r->err);
	if (rc < 0) {
		json_decref(ran);
		return -1;
	}
	json_t *o = json_pack("{s:o,s:b}", "ran", ran, "ran_here", rc == 1);
	json_object_set_new(o, "leader",
			    rc == 0 ? json_string(holder) : json_null());
	req_json(r, 200, o);
	return 0;
}

/* The scheduler, its cron URL and token are the installation's, not an
 * organisation's: members of the operator organisation only
 * (ROUTE_OPERATOR_ORG; a business's administrator could otherwise replace
 * the token every organisation's cron line uses). */
static const struct route sched_routes[] = {
	{HTTP_GET, "/api/v1/scheduler", sched_h_get, ACCESS_PERM, "settings",
	 CAP_VIEW, NULL, NULL, NULL, ROUTE_OPERATOR_ORG},
	{HTTP_POST, "/api/v1/scheduler/token", sched_h_token, ACCESS_PERM,
	 "settings", CAP_EDIT, &schema_empty, NULL, NULL, ROUTE_OPERATOR_ORG},
	{HTTP_POST, "/cron/run", sched_h_cron, ACCESS_PUBLIC, NULL, 0, NULL,
	 NULL, NULL, 0},
	{0},
};

/* --- metrics ------------------------------------------------------------ */

static struct {
	pthread_mutex_t mu;
	bool valid;
	int64_t at, last_tick_ms;
	bool leader_here;
} mcache = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Appends the scheduler metrics (read at most every 5 s) to out. */
static void sched_metrics(struct app *app, struct buf *out)
{
	pthread_mutex_lock(&mcache.mu);
	int64_t mono = atr_mono_ms();
	if (!mcache.valid || mono - mcache.at >= 5000) {
		struct atr_err err = {0};
		struct db_conn *c = db_acquire(app->db, &err);
		struct db_stmt *st =
			c ? db_prepare(c, "SELECT last_tick_at, lease_owner, "
					  "lease_until FROM sched_state WHERE "
					  "id = 1")
			  : NULL;
		if (st && db_step(st) == 1) {
			mcache.valid = true;
			mcache.at = mono;
			mcache.last_tick_ms = db_col_null(st, 0)
						      ? 0
						      : atr_iso_ms(db_col_text(
							st, 0));
			char me[JOB_OWNER_LEN];
			bool held = !db_col_null(st, 2) &&
				    atr_iso_ms(db_col_text(st, 2)) >
					    jobs_now_ms();
			sched_owner_name(me);
			mcache.leader_here = held && !db_col_null(st, 1) &&
					     me[0] &&
					     !strcmp(db_col_text(st, 1), me);
		}
		db_reset(st);
		db_release(c);
	}
	if (mcache.valid)
		buf_printf(out,
			   "# HELP atrium_scheduler_last_run_timestamp_seconds "
			   "When the scheduler last ran (any node; 0: never).\n"
			   "# TYPE atrium_scheduler_last_run_timestamp_seconds "
			   "gauge\n"
			   "atrium_scheduler_last_run_timestamp_seconds %.3f\n"
			   "# HELP atrium_scheduler_leader 1 when this node "
			   "runs the scheduler.\n"
			   "# TYPE atrium_scheduler_leader gauge\n"
			   "atrium_scheduler_leader %d\n",
			   (double)mcache.last_tick_ms / 1000,
			   mcache.leader_here ? 1 : 0);
	pthread_mutex_unlock(&mcache.mu);
}

/* The health report's cron indicator (the spec: updated within 2 minutes
 * is good, more than 5 means cron stopped) and its gauge. The scheduler is
 * the installation's (its heartbeat, its URL and token): in the operator's
 * report and /metrics only, as its routes are. */
static int sched_health(struct app *app, struct db_conn *c, int64_t org,
			struct health_report *rep)
{
	(void)org;
	if (!rep->installation)
		return 0;
	struct db_stmt *st = db_prepare(
		c, "SELECT last_tick_at, last_tick_node FROM sched_state WHERE "
		   "id = 1");
	if (!st)
		return -1;
	int rc = db_step(st);
	struct hr_ind *i = hr_add(rep, "cron_last_run", "seconds",
				  "/admin/settings?tab=cron");
	hr_thresholds(i, HR_LT, 120, HR_GT, SCHED_STALE_MS / 1000);
	if (rc == 1 && !db_col_null(st, 0)) {
		int64_t age = jobs_now_ms() - atr_iso_ms(db_col_text(st, 0));
		double s = (double)(age > 0 ? age : 0) / 1000;
		hr_value(i, s);
		hr_fact_text(i, "last_run_at", db_col_text(st, 0));
		if (!db_col_null(st, 1))
			hr_fact_text(i, "node", db_col_text(st, 1));
		hr_gauge(rep, "atrium_cron_last_run_age_seconds",
			 "Seconds since the scheduler (cron) last ran, on any "
			 "node.", NULL, NULL, s);
	} else if (rc >= 0) {
		/* Never ran: cron is not running (and an alert on the age
		 * fires, as it would for a cron that stopped). */
		hr_force(i, HR_WARNING);
		hr_gauge(rep, "atrium_cron_last_run_age_seconds",
			 "Seconds since the scheduler (cron) last ran, on any "
			 "node.", NULL, NULL, INFINITY);
	}
	hr_fact(i, "in_process", app->cfg.scheduler);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static int sched_mod_start(struct app *app, struct atr_err *err)
{
	return sched_start(app, err);
}

static void sched_mod_stop(struct app *app)
{
	sched_stop();
}

const struct module module_scheduler = {
	.name = "scheduler",
	.routes = sched_routes,
	.housekeeping = sched_housekeeping,
	.tasks = sched_tasks,
	.start = sched_mod_start,
	.stop = sched_mod_stop,
	.metrics = sched_metrics,
	.health = sched_health,
};
