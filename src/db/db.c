/* db.c — the facade: connection pool, statement cache, transactions.
 *
 * Connections are opened lazily up to pool_size and handed out LIFO (the
 * most recently used one has the warmest statement cache). Each connection
 * caches its prepared statements in an open-addressing table keyed by the
 * SQL text; a statement is prepared once per connection and reused.
 */
#include "atrium.h"

#include <ctype.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>
#include <time.h>

#include "core/buf.h"
#include "db/db.h"
#include "db/db_driver.h"
#include "db/db_int.h"
#include "core/log.h"

static atomic_uint_fast64_t db_errors;
static atomic_uint_fast64_t db_corrupt;

static void count_error(void)
{
	atomic_fetch_add(&db_errors, 1);
}

uint64_t db_error_count(void)
{
	return atomic_load(&db_errors);
}

uint64_t db_corrupt_count(void)
{
	return atomic_load(&db_corrupt);
}

/* Counts a failed call on c and keeps its message and class for
 * db_errmsg (rollbacks do not come here, so they never replace it). A
 * failure on the group writer is kept on the member running there. */
void db_record_error(struct db_conn *c)
{
	count_error();
	const struct db_driver *drv = c->db->drv;
	struct db_conn *t = c->writer && c->owner ? c->owner : c;
	enum db_err_class cls = drv->err_class(c->impl);
	if (cls == DB_ERR_CORRUPT)
		atomic_fetch_add(&db_corrupt, 1);
	t->err_class = cls == DB_ERR_NONE ? DB_ERR_OTHER : cls;
	t->err_unique = drv->err_unique(c->impl);
	t->err_fk = drv->err_fk(c->impl);
	atr_strlcpy(t->err, drv->errmsg(c->impl), sizeof t->err);
}

void db_clear_error(struct db_conn *c)
{
	c->err[0] = 0;
	c->err_class = DB_ERR_NONE;
	c->err_unique = c->err_fk = false;
}

/* The connection c's statements run on: the group writer while c is a
 * group member, c itself otherwise. */
static struct db_conn *eff(struct db_conn *c)
{
	return c->tx ? c->tx : c;
}

static const char *strip_prefix(const char *s, const char *p)
{
	size_t n = strlen(p);
	return strncmp(s, p, n) == 0 ? s + n : NULL;
}

int db_open(const char *url, int pool_size, struct db **out,
	    struct atr_err *err)
{
	return db_open_limits(url, pool_size, NULL, out, err);
}

int db_open_limits(const char *url, int pool_size,
		   const struct db_limits *lim, struct db **out,
		   struct atr_err *err)
{
	const struct db_driver *drv;
	const char *target;
	if ((target = strip_prefix(url, "sqlite:"))) {
		drv = &db_driver_sqlite;
	} else if (strip_prefix(url, "postgresql://") ||
		   strip_prefix(url, "postgres://")) {
		drv = &db_driver_pg;
		target = url;
	} else if (!strstr(url, "://")) {
		drv = &db_driver_sqlite;
		target = url;
	} else {
		return atr_fail(err, ATR_E_INVALID,
				"unsupported database url '%s' (use sqlite:PATH "
				"or postgresql://...)",
				url);
	}
	struct db *db = xcalloc(1, sizeof *db);
	db->drv = drv;
	db->url = xstrdup(target);
	db->pool_size = pool_size > 0 ? pool_size : 1;
	if (lim)
		db->lim = *lim;
	pthread_mutex_init(&db->mu, NULL);
	/* Timed waits for a connection run on the monotonic clock, so a
	 * wall-clock jump neither shortens nor stretches them. */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&db->cv, &ca);
	pthread_condattr_destroy(&ca);
	gc_init(db);
	/* Open one connection now so a bad URL fails at start-up. */
	struct db_conn *c = db_acquire(db, err);
	if (!c) {
		db_close(db);
		return -1;
	}
	db_release(c);
	*out = db;
	return 0;
}

struct db_conn *db_conn_new(struct db *db, void *impl, int cache_cap)
{
	struct db_conn *c = xcalloc(1, sizeof *c);
	c->db = db;
	c->impl = impl;
	c->cache_cap = cache_cap;
	c->cache = xcalloc((size_t)cache_cap, sizeof *c->cache);
	return c;
}

void db_conn_free(struct db_conn *c)
{
	for (int i = 0; i < c->cache_cap; i++) {
		struct db_stmt *st = c->cache[i];
		if (!st)
			continue;
		c->db->drv->finalize(st->impl);
		free(st->sql);
		free(st);
	}
	c->db->drv->disconnect(c->impl);
	free(c->cache);
	free(c);
}

void db_close(struct db *db)
{
	if (!db)
		return;
	ATR_ASSERT(db->busy == 0);
	gc_fini(db);
	struct db_conn *c = db->free_list;
	while (c) {
		struct db_conn *n = c->next_free;
		db_conn_free(c);
		c = n;
	}
	pthread_mutex_destroy(&db->mu);
	pthread_cond_destroy(&db->cv);
	free(db->url);
	free(db);
}

enum db_dialect db_dialect(const struct db *db)
{
	return db->drv->dialect;
}

const char *db_dialect_name(const struct db *db)
{
	return db->drv->name;
}

enum db_dialect db_conn_dialect(const struct db_conn *c)
{
	return c->db->drv->dialect;
}

int db_params_max(const struct db_conn *c)
{
	return db_conn_dialect(c) == DB_PG ? 7000 : 30000;
}

/* Waits on the pool's condition until deadline (monotonic ns; 0: no
 * bound). Returns false when the deadline passed. Called with db->mu. */
static bool pool_wait(struct db *db, int64_t deadline)
{
	if (!deadline) {
		pthread_cond_wait(&db->cv, &db->mu);
		return true;
	}
	if (atr_mono_ns() >= deadline)
		return false;
	struct timespec ts = {(time_t)(deadline / 1000000000),
			      (long)(deadline % 1000000000)};
	return pthread_cond_timedwait(&db->cv, &db->mu, &ts) != ETIMEDOUT ||
	       atr_mono_ns() < deadline;
}

struct db_conn *db_acquire(struct db *db, struct atr_err *err)
{
	int64_t deadline = db->lim.acquire_timeout_ms > 0
				   ? atr_mono_ns() + (int64_t)db->lim
								 .acquire_timeout_ms *
							 1000000
				   : 0;
	pthread_mutex_lock(&db->mu);
	for (;;) {
		if (db->free_list) {
			struct db_conn *c = db->free_list;
			db->free_list = c->next_free;
			db->busy++;
			pthread_mutex_unlock(&db->mu);
			if (!db->drv->broken(c->impl)) {
				db_clear_error(c);
				db_conn_org(c, 0);
				return c;
			}
			/* Closed by the server (a restart): reopen. */
			pthread_mutex_lock(&db->mu);
			db->busy--;
			db->open--;
			pthread_mutex_unlock(&db->mu);
			db_conn_free(c);
			pthread_mutex_lock(&db->mu);
			continue;
		}
		if (db->open < db->pool_size)
			break;
		if (!pool_wait(db, deadline)) {
			pthread_mutex_unlock(&db->mu);
			atr_fail(err, ATR_E_UNAVAILABLE,
				 "no database connection was free within %d ms",
				 db->lim.acquire_timeout_ms);
			if (err)
				err->retry_after = 1;
			return NULL;
		}
	}
	db->open++;
	db->busy++;
	pthread_mutex_unlock(&db->mu);

	char msg[256] = "";
	void *impl = db->drv->connect(db->url, &db->lim, msg, sizeof msg);
	if (!impl) {
		count_error();
		pthread_mutex_lock(&db->mu);
		db->open--;
		db->busy--;
		pthread_cond_signal(&db->cv);
		pthread_mutex_unlock(&db->mu);
		atr_fail(err, ATR_E_UNAVAILABLE, "database unavailable: %s",
			 msg);
		if (err)
			err->retry_after = 5;
		return NULL;
	}
	struct db_conn *c = db_conn_new(db, impl, STMT_CACHE);
	db_conn_org(c, 0);
	return c;
}

int db_set_role(struct db *db, const char *role)
{
	size_t n = role ? strlen(role) : 0;
	if (n >= sizeof db->role)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)role[i]) &&
		    !isdigit((unsigned char)role[i]) && role[i] != '_')
			return -1;
	atr_strlcpy(db->role, role ? role : "", sizeof db->role);
	return 0;
}

const char *db_role(const struct db *db)
{
	return db->role;
}

void db_conn_org(struct db_conn *c, int64_t org)
{
	c->org = org > 0 ? org : 0;
	/* Work of no one organisation runs as the login role, as it did
	 * before the policies: they would only cost it (and they change
	 * plans: the job claim's LIMIT ... FOR UPDATE SKIP LOCKED subquery
	 * became a rescanned semi-join that locked rows it never
	 * returned). */
	if (c->db->drv->session)
		c->db->drv->session(c->impl, c->org ? c->db->role : NULL,
				    c->org);
}

void db_conn_as_owner(struct db_conn *c, bool on)
{
	if (c->db->drv->session)
		c->db->drv->session(c->impl, on || !c->org ? NULL : c->db->role,
				    c->org);
}

int64_t db_conn_org_of(const struct db_conn *c)
{
	return c->org;
}

void db_release(struct db_conn *c)
{
	if (!c)
		return;
	c->guard_pending = c->guard_failed = false; /* dropped unanswered */
	if (c->in_tx)
		db_rollback(c);
	struct db *db = c->db;
	if (db->drv->broken(c->impl)) {
		/* Lost or abandoned (a statement timed out): close it now,
		 * not at the next acquire. */
		db_conn_free(c);
		pthread_mutex_lock(&db->mu);
		db->open--;
		db->busy--;
		pthread_cond_signal(&db->cv);
		pthread_mutex_unlock(&db->mu);
		return;
	}
	pthread_mutex_lock(&db->mu);
	c->next_free = db->free_list;
	db->free_list = c;
	db->busy--;
	pthread_cond_signal(&db->cv);
	pthread_mutex_unlock(&db->mu);
}

void db_pool_stats(struct db *db, int *open, int *busy)
{
	pthread_mutex_lock(&db->mu);
	*open = db->open;
	*busy = db->busy;
	pthread_mutex_unlock(&db->mu);
}

int db_exec(struct db_conn *c, const char *sql)
{
	if (c->guard_pending && db_guard_run(c) < 0)
		return -1;
	struct db_conn *e = eff(c);
	int rc = e->db->drv->exec(e->impl, sql);
	if (rc < 0)
		db_record_error(e);
	return rc;
}

/* SQLite has one writer: its transactions take the writer turn and, with
 * sqlite_group_commit, share one (db_group.c). */
static bool serial_writes(const struct db_conn *c)
{
	return c->db->drv->dialect == DB_SQLITE;
}

int db_begin(struct db_conn *c)
{
	ATR_ASSERT(!c->in_tx);
	if (c->guard_pending && db_guard_run(c) < 0)
		return -1;
	db_clear_error(c);
	if (serial_writes(c))
		return gc_begin(c, false);
	if (db_exec(c, "BEGIN") < 0)
		return -1;
	c->in_tx = true;
	return 0;
}

int db_begin_solo(struct db_conn *c)
{
	ATR_ASSERT(!c->in_tx);
	if (c->guard_pending && db_guard_run(c) < 0)
		return -1;
	db_clear_error(c);
	if (serial_writes(c))
		return gc_begin(c, true);
	return db_begin(c);
}

int db_commit(struct db_conn *c)
{
	ATR_ASSERT(c->in_tx);
	if (serial_writes(c))
		return gc_commit(c);
	int rc = db_exec(c, "COMMIT");
	if (rc < 0)
		c->db->drv->exec(c->impl, "ROLLBACK");
	c->in_tx = false;
	return rc;
}

int db_rollback(struct db_conn *c)
{
	if (!c->in_tx)
		return 0;
	if (serial_writes(c))
		return gc_rollback(c);
	/* Not recorded: SQLite may already have rolled back by itself
	 * (disk full, I/O error), and "no transaction is active" would
	 * hide the cause the caller is about to report. */
	int rc = c->db->drv->exec(c->impl, "ROLLBACK");
	c->in_tx = false;
	return rc;
}

bool db_in_tx(const struct db_conn *c)
{
	return c->in_tx;
}

static uint64_t hash_sql(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* "INSERT ... VALUES (row), (row), ...": the head, n copies of the tuple
 * of ncols parameters (after a fixed prefix inside each tuple, e.g.
 * "2, "), and the tail. Caller frees. */
char *db_multi_sql(const char *head, const char *fixed, int ncols, int n,
		   const char *tail)
{
	struct buf b = BUF_INIT;
	buf_grow(&b, strlen(head) + strlen(tail) + 16 +
			 (size_t)n * (3 * (size_t)ncols + strlen(fixed) + 12));
	buf_adds(&b, head);
	for (int i = 0; i < n; i++) {
		buf_adds(&b, i ? ", (" : " VALUES (");
		for (int k = 0; k < ncols; k++)
			buf_adds(&b, k ? ", ?" : "?");
		buf_adds(&b, fixed);
		buf_addc(&b, ')');
	}
	buf_adds(&b, tail);
	return buf_detach(&b);
}

struct db_stmt *db_prepare(struct db_conn *c, const char *sql)
{
	c = eff(c);
	uint64_t h = hash_sql(sql);
	size_t i = h & (size_t)(c->cache_cap - 1);
	for (size_t probe = 0; probe < (size_t)c->cache_cap; probe++) {
		struct db_stmt *st = c->cache[i];
		if (!st)
			break;
		if (st->hash == h && strcmp(st->sql, sql) == 0) {
			ATR_ASSERT(!st->active); /* reset before reuse */
			return st;
		}
		i = (i + 1) & (size_t)(c->cache_cap - 1);
	}
	void *impl = c->db->drv->prepare(c->impl, sql);
	if (!impl) {
		db_record_error(c);
		return NULL;
	}
	struct db_stmt *st = xcalloc(1, sizeof *st);
	st->conn = c;
	st->impl = impl;
	st->sql = xstrdup(sql);
	st->hash = h;
	if (c->ncached >= c->cache_cap * 3 / 4) {
		/* Cache full: hand out a one-use statement that db_reset
		 * frees. The SQL set is bounded by the route and entity
		 * tables, so this only guards against a runaway caller. */
		st->transient = true;
		return st;
	}
	i = h & (size_t)(c->cache_cap - 1);
	while (c->cache[i])
		i = (i + 1) & (size_t)(c->cache_cap - 1);
	c->cache[i] = st;
	c->ncached++;
	return st;
}

/* A statement used where it does not belong (db_group.c's
 * gc_stmt_usable): a bug in the caller. Binds and reads do nothing, a step
 * fails, so the request answers 500 instead of racing another thread on
 * the writer connection. */
static bool usable(struct db_stmt *st)
{
	if (gc_stmt_usable(st))
		return true;
	static struct atr_log_limit lim = ATR_LOG_LIMIT_INIT(10);
	atr_log_limited(&lim,
			"db: a statement was used outside the transaction it "
			"belongs to (a bug): %.120s",
			st->sql);
	return false;
}

void db_bind_text(struct db_stmt *st, int idx, const char *s)
{
	if (!usable(st))
		return;
	if (!s)
		st->conn->db->drv->bind_null(st->impl, idx);
	else
		st->conn->db->drv->bind_text(st->impl, idx, s);
}

void db_bind_int(struct db_stmt *st, int idx, int64_t v)
{
	if (usable(st))
		st->conn->db->drv->bind_int(st->impl, idx, v);
}

void db_bind_null(struct db_stmt *st, int idx)
{
	if (usable(st))
		st->conn->db->drv->bind_null(st->impl, idx);
}

void db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n)
{
	if (usable(st))
		st->conn->db->drv->bind_blob(st->impl, idx, p, n);
}

void db_bind_opt_int(struct db_stmt *st, int idx, bool present, int64_t v)
{
	if (present)
		db_bind_int(st, idx, v);
	else
		db_bind_null(st, idx);
}

static int guarded_step_all(struct db_stmt **st, int n, int *rcs);
static int step_all(struct db_stmt **st, int n, int *rcs);
static int db_guard_run_now(struct db_conn *c, const struct db_guard *g);

int db_step(struct db_stmt *st)
{
	if (!usable(st)) {
		count_error();
		return -1;
	}
	if (st->conn->guard_pending && !st->active) {
		int rc;
		guarded_step_all(&st, 1, &rc);
		return rc;
	}
	st->active = true;
	int rc = st->conn->db->drv->step(st->impl);
	if (rc < 0)
		db_record_error(st->conn);
	return rc;
}

int db_step_all(struct db_stmt **st, int n, int *rcs)
{
	if (n > 0 && st[0]->conn->guard_pending)
		return guarded_step_all(st, n, rcs);
	return step_all(st, n, rcs);
}

/* The guard's statements first, then st: one round trip; the guard's
 * check decides whether st's answers stand. */
/* Whether sql is a plain read: it starts with SELECT (a WITH may hold a
 * data-modifying statement, so it does not count). */
static bool is_select(const char *sql)
{
	while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '(')
		sql++;
	return strncasecmp(sql, "SELECT", 6) == 0;
}

static int guarded_step_all(struct db_stmt **st, int n, int *rcs)
{
	struct db_conn *c = st[0]->conn;
	struct db_guard g = c->guard;
	c->guard_pending = false;
	struct db_stmt *all[DB_GUARD_MAX + 8];
	int r[DB_GUARD_MAX + 8];
	/* Too many to send together, one of the guard's own statements, or
	 * not a plain SELECT (a write would be done before the check could
	 * refuse it): the guard goes first, alone. */
	bool alone = n > 8;
	for (int i = 0; i < n && !alone; i++) {
		alone = !is_select(st[i]->sql);
		for (int k = 0; k < g.n; k++)
			alone = alone || st[i] == g.st[k];
	}
	if (alone) {
		if (db_guard_run_now(c, &g) < 0)
			goto failed;
		return step_all(st, n, rcs);
	}
	for (int i = 0; i < g.n; i++)
		all[i] = g.st[i];
	for (int i = 0; i < n; i++)
		all[g.n + i] = st[i];
	int rc = step_all(all, g.n + n, r);
	for (int i = 0; i < n; i++)
		rcs[i] = r[g.n + i];
	bool ok = g.check(g.arg, g.st, r) == 0;
	for (int i = 0; i < g.n; i++)
		db_reset(g.st[i]);
	if (ok)
		return rc;
failed:
	c->guard_failed = true;
	atr_strlcpy(c->err, "the request's credential changed while it ran",
		    sizeof c->err);
	c->err_class = DB_ERR_OTHER;
	for (int i = 0; i < n; i++)
		rcs[i] = -1;
	return -1;
}

static int step_all(struct db_stmt **st, int n, int *rcs)
{
	enum { STEP_ALL_MAX = 8 };
	void *impl[STEP_ALL_MAX];
	bool together =
	    n > 1 && n <= STEP_ALL_MAX && st[0]->conn->db->drv->step_all;
	for (int i = 0; together && i < n; i++) {
		if (!usable(st[i]) || st[i]->active ||
		    st[i]->conn != st[0]->conn)
			together = false;
		else
			impl[i] = st[i]->impl;
	}
	int rc = 0;
	if (!together) {
		for (int i = 0; i < n; i++)
			if ((rcs[i] = db_step(st[i])) < 0)
				rc = -1;
		return rc;
	}
	for (int i = 0; i < n; i++)
		st[i]->active = true;
	rc = st[0]->conn->db->drv->step_all(impl, n, rcs);
	if (rc < 0)
		db_record_error(st[0]->conn);
	return rc;
}

void db_guard_set(struct db_conn *c, const struct db_guard *g)
{
	ATR_ASSERT(g->n > 0 && g->n <= DB_GUARD_MAX && g->check);
	c->guard = *g;
	c->guard_pending = true;
	c->guard_failed = false;
}

bool db_guard_pending(const struct db_conn *c)
{
	return c && c->guard_pending;
}

bool db_guard_failed(const struct db_conn *c)
{
	return c && c->guard_failed;
}

static int db_guard_run_now(struct db_conn *c, const struct db_guard *g)
{
	int r[DB_GUARD_MAX];
	int rc = step_all((struct db_stmt **)g->st, g->n, r);
	bool ok = g->check(g->arg, (struct db_stmt **)g->st, r) == 0;
	for (int i = 0; i < g->n; i++)
		db_reset(g->st[i]);
	if (ok)
		return 0;
	(void)rc;
	return -1;
}

int db_guard_run(struct db_conn *c)
{
	if (!c || !c->guard_pending)
		return 0;
	struct db_guard g = c->guard;
	c->guard_pending = false;
	if (db_guard_run_now(c, &g) == 0)
		return 0;
	c->guard_failed = true;
	if (!c->err[0]) {
		atr_strlcpy(c->err,
			    "the request's credential changed while it ran",
			    sizeof c->err);
		c->err_class = DB_ERR_OTHER;
	}
	return -1;
}

int db_col_count(struct db_stmt *st)
{
	return usable(st) ? st->conn->db->drv->col_count(st->impl) : 0;
}

const char *db_col_name(struct db_stmt *st, int col)
{
	return usable(st) ? st->conn->db->drv->col_name(st->impl, col) : NULL;
}

const char *db_col_text(struct db_stmt *st, int col)
{
	return usable(st) ? st->conn->db->drv->col_text(st->impl, col) : NULL;
}

int64_t db_col_int(struct db_stmt *st, int col)
{
	return usable(st) ? st->conn->db->drv->col_int(st->impl, col) : 0;
}

bool db_col_null(struct db_stmt *st, int col)
{
	return usable(st) ? st->conn->db->drv->col_null(st->impl, col) : true;
}

const void *db_col_blob(struct db_stmt *st, int col, size_t *n)
{
	*n = 0;
	return usable(st) ? st->conn->db->drv->col_blob(st->impl, col, n)
			  : NULL;
}

void db_reset(struct db_stmt *st)
{
	if (!st)
		return;
	if (!gc_stmt_usable(st)) {
		/* The member that used it has ended: db_group.c reset it
		 * then, and another thread may be using the writer now. */
		return;
	}
	st->conn->db->drv->reset(st->impl);
	st->active = false;
	if (st->transient) {
		st->conn->db->drv->finalize(st->impl);
		free(st->sql);
		free(st);
	}
}

const char *db_errmsg(struct db_conn *c)
{
	return c->err_class != DB_ERR_NONE
		       ? c->err
		       : eff(c)->db->drv->errmsg(eff(c)->impl);
}

enum db_err_class db_err_class(struct db_conn *c)
{
	return c->err_class;
}

bool db_conn_broken(struct db_conn *c)
{
	return c->db->drv->broken(c->impl);
}

/* From the recorded error: a member's failure on the writer is kept on
 * the member's own connection. */
bool db_err_unique(struct db_conn *c)
{
	return c->err_class != DB_ERR_NONE && c->err_unique;
}

bool db_err_fk(struct db_conn *c)
{
	return c->err_class != DB_ERR_NONE && c->err_fk;
}
