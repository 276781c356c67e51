/* health.c — the health module: the spec's "System health metrics".
 *
 * GET /api/v1/health        the health report of the caller's
 *                           organisation: every module's indicators
 *                           (core/health_report.h; the `health` member of
 *                           the module descriptor) over its own figures;
 *                           for a member of the operator organisation, the
 *                           installation's parts too (the nodes, the
 *                           storage, cron, backups, every organisation's
 *                           job backlog)
 * GET /api/v1/health/setup  the initial-setup checklist (health_setup.c)
 *
 * The report is computed at most once per health_cache_ms per node and
 * organisation (a few slots, least recently used out), and /metrics renders
 * the gauges of the all-organisations report from the same cache: a scrape
 * never costs more than the indexed reads of one report per period.
 *
 * This module's own part of the report, the installation's (left out of a
 * business's report): the database's size and the free
 * disk beside it (SQLite: the database's files and their file system;
 * PostgreSQL: pg_database_size, and the file system of the master key's
 * directory, where this node keeps its files), and the nodes that the job
 * runners' heartbeats wrote (src/jobs/node.c): up, stopped (a clean stop)
 * or gone (not seen for two minutes), with version and uptime.
 */
#include "atrium.h"

#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "admin/health_int.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/health_report.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "http/http.h"
#include "http/perm.h"
#include "jobs/jobs.h"

#define SLOTS 16
#define NODES_MAX 64 /* the LIMIT of the node query */
#define NODE_GONE_MS (2 * 60 * 1000)
#define DAY_MS (24LL * 3600 * 1000)

/* ---- storage and nodes: this module's part of the report ---------------- */

static int64_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* The database's size in bytes and the directory whose file system holds
 * it (dir gets "" when unknown); -1 on a database error. */
static int64_t db_size(struct app *app, struct db_conn *c, char *dir,
		       size_t n)
{
	dir[0] = 0;
	if (db_conn_dialect(c) == DB_PG) {
		struct db_stmt *st = db_prepare(
			c, "SELECT pg_database_size(current_database())");
		int rc = st ? db_step(st) : -1;
		int64_t v = rc == 1 ? db_col_int(st, 0) : -1;
		db_reset(st);
		const char *key = app->cfg.master_key_file;
		if (key && *key) {
			char *copy = xstrdup(key);
			atr_strlcpy(dir, dirname(copy), n);
			free(copy);
		}
		return v;
	}
	struct db_stmt *st = db_prepare(
		c, "SELECT file FROM pragma_database_list WHERE name = 'main'");
	int rc = st ? db_step(st) : -1;
	char path[1024] = "";
	if (rc == 1 && db_col_text(st, 0))
		atr_strlcpy(path, db_col_text(st, 0), sizeof path);
	db_reset(st);
	if (rc < 0)
		return -1;
	if (!path[0])
		return 0; /* in memory */
	char side[1100];
	int64_t total = file_size(path);
	snprintf(side, sizeof side, "%s-wal", path);
	total += file_size(side);
	snprintf(side, sizeof side, "%s-shm", path);
	total += file_size(side);
	char *copy = xstrdup(path);
	atr_strlcpy(dir, dirname(copy), n);
	free(copy);
	return total;
}

static void storage_part(struct app *app, struct db_conn *c,
			 struct health_report *rep, int *rc)
{
	char dir[1024];
	int64_t size = db_size(app, c, dir, sizeof dir);
	if (size < 0) {
		*rc = -1;
		return;
	}
	json_t *o = json_pack("{s:s,s:I}", "database",
			      db_dialect_name(app->db), "db_size_bytes",
			      (json_int_t)size);
	/* PostgreSQL's second line of isolation (operations guide,
	 * "Row-level security"): on when the server runs as its role. */
	if (db_conn_dialect(c) == DB_PG)
		json_object_set_new(o, "row_level_security",
				    json_boolean(db_role(app->db)[0] != 0));
	hr_gauge(rep, "atrium_db_size_bytes",
		 "Size of the database (SQLite: its files with the WAL; "
		 "PostgreSQL: pg_database_size).",
		 NULL, NULL, (double)size);
	struct statvfs vfs;
	struct hr_ind *i = hr_add(rep, "disk_free", "percent", "");
	hr_thresholds(i, HR_GT, 10, HR_LT, 5);
	/* The master key's directory may not exist (ATRIUM_MASTER_KEY gives
	 * the key itself): then the working directory, where ./var is. */
	bool ok = dir[0] && statvfs(dir, &vfs) == 0 && vfs.f_blocks > 0;
	if (!ok && db_conn_dialect(c) == DB_PG) {
		atr_strlcpy(dir, ".", sizeof dir);
		ok = statvfs(dir, &vfs) == 0 && vfs.f_blocks > 0;
	}
	char real[PATH_MAX];
	if (ok && realpath(dir, real))
		atr_strlcpy(dir, real, sizeof dir);
	if (ok) {
		double fr = (double)vfs.f_frsize;
		double free_b = (double)vfs.f_bavail * fr;
		double total_b = (double)vfs.f_blocks * fr;
		hr_value(i, 100.0 * free_b / total_b);
		hr_fact(i, "free_bytes", (int64_t)free_b);
		hr_fact(i, "total_bytes", (int64_t)total_b);
		hr_fact_text(i, "path", dir);
		json_object_set_new(o, "disk_path", json_string(dir));
		json_object_set_new(o, "disk_free_bytes",
				    json_integer((json_int_t)free_b));
		json_object_set_new(o, "disk_total_bytes",
				    json_integer((json_int_t)total_b));
		hr_gauge(rep, "atrium_disk_free_bytes",
			 "Free space (for unprivileged writes) on the file "
			 "system of the database (SQLite) or of this node's "
			 "files.",
			 NULL, NULL, free_b);
		hr_gauge(rep, "atrium_disk_size_bytes",
			 "Size of that file system.", NULL, NULL, total_b);
	}
	hr_fact(i, "db_size_bytes", size);
	hr_section(rep, "storage", o);
}

/* What a node row says: "up", "stopped" (a clean stop) or "gone". */
static const char *node_state(bool stopped, int64_t seen_age)
{
	if (stopped)
		return "stopped";
	return seen_age > NODE_GONE_MS ? "gone" : "up";
}

static void nodes_part(struct db_conn *c, struct health_report *rep, int *rc)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id, version, started_at, seen_at, stopped_at FROM "
		   "node ORDER BY started_at, id LIMIT 64");
	if (!st) {
		*rc = -1;
		return;
	}
	int64_t now = jobs_now_ms();
	const char *me = jobs_node_id();
	json_t *a = json_array();
	int up = 0, r;
	while ((r = db_step(st)) == 1) {
		const char *id = db_col_text(st, 0);
		int64_t started = atr_iso_ms(db_col_text(st, 2));
		int64_t seen = atr_iso_ms(db_col_text(st, 3));
		bool stopped = !db_col_null(st, 4);
		int64_t age = now > seen ? now - seen : 0;
		const char *state = node_state(stopped, age);
		up += !strcmp(state, "up");
		json_t *o = json_pack(
			"{s:s,s:s,s:s,s:s,s:o,s:s,s:f,s:o,s:b}", "id", id,
			"version", db_col_text(st, 1), "started_at",
			db_col_text(st, 2), "seen_at", db_col_text(st, 3),
			"stopped_at",
			stopped ? json_string(db_col_text(st, 4)) : json_null(),
			"state", state, "seen_age_seconds", (double)age / 1000,
			"uptime_seconds",
			stopped ? json_null()
				: json_real((double)((seen > started ? seen
								    : started) -
						     started) /
					    1000),
			"this", !strcmp(id, me));
		json_array_append_new(a, o);
		/* A node stopped cleanly is not down: no sample, no alert. */
		if (!stopped)
			hr_gauge(rep, "atrium_node_last_seen_age_seconds",
				 "Seconds since each node's last heartbeat "
				 "(every 30 s; nodes stopped cleanly are left "
				 "out, rows go a day after their last beat).",
				 "node", id, (double)age / 1000);
	}
	db_reset(st);
	if (r < 0) {
		json_decref(a);
		*rc = -1;
		return;
	}
	hr_gauge(rep, "atrium_nodes_up", "Nodes seen within two minutes.",
		 NULL, NULL, up);
	hr_section(rep, "nodes", a);
}

static int health_own(struct app *app, struct db_conn *c, int64_t org,
		      struct health_report *rep)
{
	(void)org;
	if (!rep->installation)
		return 0; /* the database and the nodes serve everybody */
	int rc = 0;
	storage_part(app, c, rep, &rc);
	nodes_part(c, rep, &rc);
	return rc;
}

/* ---- the cache ----------------------------------------------------------- */

/* Whether org's report holds the installation's parts (org 0 always). */
static bool rep_inst(int64_t org, bool inst)
{
	return inst || org == 0;
}

static struct {
	pthread_mutex_t mu;
	struct slot {
		bool valid;
		int64_t org;
		bool installation; /* the report's scope (with org, the key) */
		int64_t at;   /* atr_mono_ms of the computation */
		int64_t used; /* atr_mono_ms of the last ask */
		char *json;   /* the report as the route answers it */
		char *prom;   /* its gauges */
	} s[SLOTS];
} cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Computes the report of org (with the installation's parts when inst)
 * into slot s; 0 or -1 (s unchanged). */
static int compute(struct app *app, struct db_conn *c, int64_t org, bool inst,
		   struct slot *s)
{
	struct health_report *rep = xcalloc(1, sizeof *rep);
	health_report_init(rep, org, inst);
	health_report_collect(app, c, rep);
	json_t *o = health_report_json(rep);
	char now[ATR_TIME_LEN];
	atr_time_iso(jobs_now_ms(), now);
	json_object_set_new(o, "generated_at", json_string(now));
	json_object_set_new(o, "cache_ms",
			    json_integer(app->cfg.health_cache_ms));
	json_object_set_new(o, "version", json_string(ATR_VERSION));
	json_object_set_new(o, "node", json_string(jobs_node_id()));
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	struct buf b = BUF_INIT;
	health_report_prom(rep, &b);
	health_report_free(rep);
	free(rep);
	if (!text) {
		buf_free(&b);
		return -1;
	}
	free(s->json);
	free(s->prom);
	s->json = text;
	s->prom = buf_detach(&b);
	s->org = org;
	s->installation = rep_inst(org, inst);
	s->valid = true;
	s->at = atr_mono_ms();
	return 0;
}

/* A copy of org's report (with the installation's parts when inst; prom:
 * its gauges; else its JSON), from the cache while fresh, else computed on
 * c; caller frees. NULL when it is stale and c is NULL, or when it could
 * not be computed (then a stale report is answered rather than none). */
static char *report_get(struct app *app, struct db_conn *c, int64_t org,
			bool inst, bool prom)
{
	inst = rep_inst(org, inst);
	pthread_mutex_lock(&cache.mu);
	int64_t mono = atr_mono_ms();
	struct slot *s = NULL, *lru = &cache.s[0];
	for (int i = 0; i < SLOTS; i++) {
		if (cache.s[i].valid && cache.s[i].org == org &&
		    cache.s[i].installation == inst)
			s = &cache.s[i];
		if (!cache.s[i].valid ||
		    (lru->valid && cache.s[i].used < lru->used))
			lru = &cache.s[i];
	}
	bool fresh = s && mono - s->at < app->cfg.health_cache_ms;
	if (!fresh && c) {
		if (!s) {
			s = lru;
			s->valid = false;
		}
		if (compute(app, c, org, inst, s) < 0 && !s->valid)
			s = NULL;
	}
	char *out = NULL;
	if (s && s->valid && (fresh || c)) {
		s->used = mono;
		out = xstrdup(prom ? s->prom : s->json);
	}
	pthread_mutex_unlock(&cache.mu);
	return out;
}

/* ---- routes, metrics ------------------------------------------------------ */

static int health_h_get(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	/* The operator organisation's members run the installation: their
	 * report holds its parts (every organisation's job backlog), so on
	 * PostgreSQL it is read for all organisations, as the operator
	 * console and /metrics read, not under this route's row-level
	 * binding; a business's holds its own figures, bound as ever. */
	if (r->who.operator_org)
		db_conn_org(c, 0);
	char *text =
	    report_get(r->app, c, r->who.org_id, r->who.operator_org, false);
	db_conn_org(c, req_bound_org(r));
	if (!text)
		return req_db_error(r);
	r->raw = arena_strndup(r->arena, text, strlen(text));
	r->raw_len = strlen(text);
	free(text);
	r->ctype = "application/json";
	r->status = 200;
	return 0;
}

static void health_metrics(struct app *app, struct buf *out)
{
	/* A connection only when the cached report is stale: a scrape in
	 * between touches no database. */
	char *text = report_get(app, NULL, 0, true, true);
	if (!text) {
		struct atr_err err = {0};
		struct db_conn *c = db_acquire(app->db, &err);
		text = c ? report_get(app, c, 0, true, true) : NULL;
		db_release(c);
	}
	if (text)
		buf_adds(out, text);
	free(text);
	buf_printf(out,
		   "# HELP atrium_uptime_seconds Seconds since this node "
		   "started.\n# TYPE atrium_uptime_seconds gauge\n"
		   "atrium_uptime_seconds %.3f\n",
		   (double)(atr_now_ms() - jobs_node_started_ms()) / 1000);
}

static void health_stop(struct app *app)
{
	(void)app;
	pthread_mutex_lock(&cache.mu);
	for (int i = 0; i < SLOTS; i++) {
		free(cache.s[i].json);
		free(cache.s[i].prom);
		memset(&cache.s[i], 0, sizeof cache.s[i]);
	}
	pthread_mutex_unlock(&cache.mu);
}

static const struct route health_routes[] = {
	{HTTP_GET, "/api/v1/health", health_h_get, ACCESS_PERM, "health",
	 CAP_VIEW, NULL, NULL, NULL, 0},
	{HTTP_GET, "/api/v1/health/setup", health_setup_h_get, ACCESS_PERM,
	 "health", CAP_VIEW, NULL, NULL, NULL, 0},
	{0},
};

static const struct perm_module health_perms[] = {
	{"health", "Health", PB_VIEW},
	{0},
};

/* The dashboard's setup checklist, once dismissed, stays hidden; the
 * change goes through PATCH /api/v1/settings/health (logged). */
static const struct setting_def health_settings[] = {
	{"health", "setup_checklist_dismissed", SET_BOOL, "false", 0, 0, NULL,
	 0},
	{0},
};

/* Node rows a day after their last heartbeat. */
static const struct housekeeping health_housekeeping[] = {
	{"DELETE FROM node WHERE seen_at < ? RETURNING id", 1, {DAY_MS},
	 NULL},
	{0},
};

const struct module module_health = {
	.name = "health",
	.perms = health_perms,
	.routes = health_routes,
	.settings = health_settings,
	.housekeeping = health_housekeeping,
	.stop = health_stop,
	.metrics = health_metrics,
	.health = health_own,
};
