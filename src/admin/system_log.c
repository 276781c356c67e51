/* system_log.c — the system log: server errors, for Utilities.
 *
 * GET /api/v1/system-log    a page, through the list-query engine
 *
 * A row is written for every answer with a 5xx status and for every line
 * the server logged through core/log.h (atr_log, atr_log_limited): its
 * time, the node (host:pid), and for a request its status, method, route
 * pattern (never the path's query, never a body or a header) and request
 * id, with the message cleaned of secrets (signals_scrub: no DETAIL of a
 * row, no token, no URL password). A line logged while a request is
 * answered (the pipeline's "error request_id=...") is kept in the
 * thread's memory and written with that request's row, so a 500 is one
 * row with its internal message, not two.
 *
 * Off the hot path: the log sink and observe only copy into this
 * process's memory (a good request costs one comparison); a thread writes
 * the rows in batches every second and keeps the newest SYSLOG_ROWS_MAX
 * rows (older ones are removed in the same transaction). A full buffer
 * drops rows and counts them (atrium_system_log_dropped_total).
 *
 * Scope: the rows of the caller's organisation; administrators also see
 * the rows outside any request or organisation (a database notice).
 */
#include "atrium.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "admin/signals.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/log.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"

#define RING 1024
#define FLUSH_MS 1000
#define SYSLOG_ROWS_MAX 10000
#define MSG_MAX 500

/* ---- the list ---------------------------------------------------------------- */

#define COLS "id, at, node, status, method, route, request_id, message"

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	static const struct {
		const char *k;
		bool num;
	} f[] = {{"id", true},	      {"at", false},	 {"node", false},
		 {"status", true},    {"method", false}, {"route", false},
		 {"request_id", false}, {"message", false}};
	(void)arg;
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
	buf_addc(b, '}');
}

static const struct field f_id = {.name = "id", .type = FT_INT};
static const struct field f_at = {.name = "at", .type = FT_DATETIME};
static const struct field f_node = {.name = "node", .type = FT_TEXT};
static const struct field f_status = {.name = "status", .type = FT_INT};
static const struct field f_method = {.name = "method", .type = FT_TEXT};
static const struct field f_route = {.name = "route", .type = FT_TEXT};
static const struct field f_rid = {.name = "request_id", .type = FT_TEXT};

static const struct list_col columns[] = {
	{&f_id, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_at, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_node, NULL, LIST_FILTER},
	{&f_status, NULL, LIST_FILTER | LIST_SORT},
	{&f_method, NULL, LIST_FILTER},
	{&f_route, NULL, LIST_FILTER},
	{&f_rid, NULL, LIST_FILTER},
};

static const char *const search[] = {"message", "route", NULL};

/* The caller's organisation; the operator organisation's administrators
 * also see the rows of no organisation (the installation's: start-up,
 * background work), a business's never. The table is bounded, so the OR
 * costs little. */
static int scope(struct req *r, struct list_query *q, const void *arg)
{
	(void)arg;
	list_where(q, r->who.admin && r->who.operator_org
			  ? "(org_id = ? OR org_id IS NULL)"
			  : "org_id = ?");
	list_int(q, r->who.org_id);
	return 0;
}

static const struct list_spec spec = {
	.from = "system_log",
	.cols = COLS,
	.id = "id",
	.org = NULL,
	.columns = columns,
	.ncolumns = (int)ATR_ARRAY_LEN(columns),
	.sort_default = "-id",
	.limit_default = 25,
	.limit_max = 200,
	.search = search,
	.count_default = true,
	.row = row,
	.scope = scope,
};

static int system_log_h_list(struct req *r)
{
	return list_run(r, &spec);
}

/* ---- recording ------------------------------------------------------------------ */

struct line {
	int64_t org, at_ms;
	int status; /* 0: a line outside a request */
	char method[8], route[160], rid[33], msg[MSG_MAX + 1];
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
	char node[96];
} lg = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* What this thread logged while answering its current request. */
static _Thread_local struct {
	bool set;
	char rid[33];
	char msg[MSG_MAX + 1];
} stash;

static void push(const struct line *l)
{
	pthread_mutex_lock(&lg.mu);
	if (!lg.ring || lg.n == RING) {
		lg.dropped++;
	} else {
		lg.ring[(lg.head + lg.n) % RING] = *l;
		if (++lg.n == RING / 2)
			pthread_cond_signal(&lg.cv);
	}
	pthread_mutex_unlock(&lg.mu);
}

static void sink(const char *request_id, const char *text)
{
	if (!lg.running)
		return;
	if (request_id) {
		/* The first line of a request is the one that says why. */
		if (stash.set && !strcmp(stash.rid, request_id))
			return;
		stash.set = true;
		atr_strlcpy(stash.rid, request_id, sizeof stash.rid);
		signals_scrub(text, stash.msg, sizeof stash.msg);
		return;
	}
	struct line l = {.at_ms = atr_now_ms()};
	signals_scrub(text, l.msg, sizeof l.msg);
	push(&l);
}

static void observe(struct app *app, const struct req *r, double ms)
{
	(void)app;
	(void)ms;
	bool mine = stash.set && !strcmp(stash.rid, r->request_id);
	if (!lg.running || (r->status < 500 && !mine)) {
		stash.set = false;
		return;
	}
	struct line l = {
		.org = r->who.org_id,
		.at_ms = atr_now_ms(),
		.status = r->status,
	};
	atr_strlcpy(l.method, http_method_name(r->method), sizeof l.method);
	atr_strlcpy(l.route, r->route ? r->route->path : "-", sizeof l.route);
	atr_strlcpy(l.rid, r->request_id, sizeof l.rid);
	if (mine)
		atr_strlcpy(l.msg, stash.msg, sizeof l.msg);
	else
		signals_scrub(r->err.msg[0] ? r->err.msg : "server error", l.msg,
			      sizeof l.msg);
	stash.set = false;
	push(&l);
}

/* Writes the lines in one transaction and keeps the newest rows. */
static void write_lines(struct app *app, const struct line *v, int n)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c) {
		lg.dropped += (uint64_t)n;
		return;
	}
	int rc = db_begin(c);
	for (int i = 0; rc == 0 && i < n; i++) {
		struct db_stmt *st = db_prepare(
			c, "INSERT INTO system_log (at, org_id, node, status, "
			   "method, route, request_id, message) VALUES (?, ?, "
			   "?, ?, ?, ?, ?, ?)");
		if (!st) {
			rc = -1;
			break;
		}
		char at[ATR_TIME_LEN];
		atr_time_iso(v[i].at_ms, at);
		db_bind_text(st, 1, at);
		db_bind_opt_int(st, 2, v[i].org > 0, v[i].org);
		db_bind_text(st, 3, lg.node);
		db_bind_opt_int(st, 4, v[i].status > 0, v[i].status);
		db_bind_text(st, 5, v[i].status ? v[i].method : NULL);
		db_bind_text(st, 6, v[i].status ? v[i].route : NULL);
		db_bind_text(st, 7, v[i].status ? v[i].rid : NULL);
		db_bind_text(st, 8, v[i].msg[0] ? v[i].msg : "error");
		if (db_step(st) < 0)
			rc = -1;
		db_reset(st);
	}
	if (rc == 0) {
		struct db_stmt *st = db_prepare(
			c, "DELETE FROM system_log WHERE id <= (SELECT MAX(id) "
			   "FROM system_log) - ?");
		if (!st) {
			rc = -1;
		} else {
			db_bind_int(st, 1, SYSLOG_ROWS_MAX);
			if (db_step(st) < 0)
				rc = -1;
			db_reset(st);
		}
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

static int syslog_start(struct app *app, struct atr_err *err)
{
	char host[48] = "";
	if (gethostname(host, sizeof host - 1) != 0)
		atr_strlcpy(host, "host", sizeof host);
	host[sizeof host - 1] = 0;
	snprintf(lg.node, sizeof lg.node, "%s:%ld", host, (long)getpid());
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lg.cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&lg.mu);
	lg.ring = xcalloc(RING, sizeof *lg.ring);
	lg.head = lg.n = 0;
	lg.stop = false;
	pthread_mutex_unlock(&lg.mu);
	if (pthread_create(&lg.thread, NULL, flusher, app) != 0) {
		free(lg.ring);
		lg.ring = NULL;
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot start the system log's thread");
	}
	lg.running = true;
	atr_log_set_sink(sink);
	return 0;
}

static void syslog_stop(struct app *app)
{
	(void)app;
	if (!lg.running)
		return;
	atr_log_set_sink(NULL);
	pthread_mutex_lock(&lg.mu);
	lg.running = false;
	lg.stop = true;
	pthread_cond_signal(&lg.cv);
	pthread_mutex_unlock(&lg.mu);
	pthread_join(lg.thread, NULL);
	pthread_cond_destroy(&lg.cv);
	pthread_mutex_lock(&lg.mu);
	free(lg.ring);
	lg.ring = NULL;
	pthread_mutex_unlock(&lg.mu);
}

static void syslog_metrics(struct app *app, struct buf *out)
{
	(void)app;
	buf_printf(out,
		   "# HELP atrium_system_log_dropped_total System log rows "
		   "dropped (buffer full or database error).\n"
		   "# TYPE atrium_system_log_dropped_total counter\n"
		   "atrium_system_log_dropped_total %llu\n",
		   (unsigned long long)lg.dropped);
}

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/system-log", system_log_h_list, ACCESS_PERM,
	 "system_log", CAP_VIEW},
	{0},
};

static const struct perm_module perms[] = {
	{"system_log", "System log", PB_VIEW},
	{0},
};

const struct module module_system_log = {
	.name = "system_log",
	.perms = perms,
	.routes = routes,
	.start = syslog_start,
	.stop = syslog_stop,
	.metrics = syslog_metrics,
	.observe = observe,
};
