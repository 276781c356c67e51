/* db_group.c — SQLite transactions: the writer turn and group commit.
 *
 * SQLite has one writer at a time, and with synchronous=FULL every COMMIT
 * waits for an fsync. Group commit (sqlite_group_commit, issue 18) lets
 * concurrent transactions share one COMMIT, as PostgreSQL's WAL flush and
 * MySQL's binlog group commit do:
 *
 *   - One writer connection per pool (opened on first use, outside the
 *     pool) holds the open group transaction (BEGIN IMMEDIATE).
 *   - The writer turn: at most one thread runs statements on the writer at
 *     a time; the others wait on a mutex and condition (`held`,
 *     `waiting`), FIFO-ish, woken the moment the turn is given back.
 *   - db_begin takes the turn and makes the transaction a member of the
 *     open group: SAVEPOINT atr_member on the writer. Until its end, every
 *     statement of the member's connection (db_prepare, db_exec) runs on
 *     the writer (db.c's eff()), so its reads see its own writes; prepared
 *     statements are cached on the writer. Reads outside transactions stay
 *     on the pooled connection (a WAL reader: it never sees a group's
 *     uncommitted data).
 *   - db_rollback (or a failed RELEASE) rolls back to the member's
 *     savepoint only: the other members' work stays. Savepoints the
 *     member opens itself nest inside atr_member. When members before it
 *     are pending, it too returns only once their COMMIT has returned:
 *     it saw their writes, so what its caller reads next (on its own
 *     connection, outside the transaction) must include them.
 *   - db_commit RELEASEs the savepoint. If another thread waits for the
 *     turn (and the group is below max_members), this member is a
 *     follower: it gives the turn to the next one and sleeps until its
 *     group's COMMIT has returned. Otherwise it is the leader: it COMMITs
 *     (one fsync for the whole group), records the outcome in the group
 *     and wakes the followers. So db_commit returns 0 only once the data
 *     is durable; a handler never answers before, and whatever runs after
 *     db_commit (outbox wake-ups, cache invalidation, the response) runs
 *     after the COMMIT.
 *   - A COMMIT that fails (disk full, I/O error), or a statement after
 *     which SQLite rolled the whole transaction back by itself, fails
 *     every member of the group with that error (507/500 as before):
 *     SQLite's atomic commit makes the group all or nothing, so a kill -9
 *     loses only members that had not been answered.
 *   - A long transaction (an import in one transaction, a job) is simply a
 *     long member: members that RELEASEd before it wait for its end, as
 *     writers that came after it waited before group commit. The turn is
 *     never held across a member's network I/O by this file.
 *   - db_begin_solo (migrations, which turn foreign keys off on their own
 *     connection first) and every transaction when group commit is off
 *     take the turn, COMMIT the open group if there is one (the group
 *     closes before them), and run BEGIN IMMEDIATE on their own
 *     connection: the behaviour before group commit.
 *
 * Invariant: whoever gives the turn back while a group is open does so
 * only when another thread waits for it, and every thread that takes the
 * turn either joins the group (and then ends as a member: follower or
 * leader) or commits it first; so an open group always has a thread
 * responsible for its COMMIT.
 */
#include "atrium.h"

#include <pthread.h>

#include "db/db_int.h"

#define GC_SAVEPOINT "atr_member"
#define GC_MAX_MEMBERS 64

struct gc_group {
	int refs;    /* members that have not read the outcome yet, and one
			for being the open group (dropped once it is done) */
	int members; /* joined */
	int pending; /* RELEASEd, waiting for the COMMIT */
	bool done;
	int rc;
	enum db_err_class cls;
	char err[512];
};

/* The writer connection this thread's member runs on, NULL outside one. */
static _Thread_local struct db_conn *tl_writer;

void gc_init(struct db *db)
{
	struct gc_state *g = &db->gc;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->turn, NULL);
	pthread_cond_init(&g->done, NULL);
	g->max_members = GC_MAX_MEMBERS;
}

void gc_fini(struct db *db)
{
	struct gc_state *g = &db->gc;
	ATR_ASSERT(!g->held && !g->open);
	if (g->w)
		db_conn_free(g->w);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->turn);
	pthread_cond_destroy(&g->done);
}

void db_set_group_commit(struct db *db, bool on, int max_members)
{
	if (db->drv->dialect != DB_SQLITE)
		return;
	pthread_mutex_lock(&db->gc.mu);
	db->gc.enabled = on;
	db->gc.max_members = max_members > 0 ? max_members : GC_MAX_MEMBERS;
	pthread_mutex_unlock(&db->gc.mu);
}

void db_group_stats(struct db *db, struct db_group_stats *out)
{
	pthread_mutex_lock(&db->gc.mu);
	out->commits = db->gc.commits;
	out->members = db->gc.members;
	out->waiting = db->gc.waiting;
	pthread_mutex_unlock(&db->gc.mu);
}

bool gc_stmt_usable(const struct db_stmt *st)
{
	const struct db_conn *c = st->conn;
	if (c->writer)
		return tl_writer == c;
	return c->tx == NULL;
}

/* Called with g->mu. */
static void take_turn(struct gc_state *g)
{
	g->waiting++;
	while (g->held)
		pthread_cond_wait(&g->turn, &g->mu);
	g->waiting--;
	g->held = true;
}

/* Called with g->mu. */
static void give_turn(struct gc_state *g)
{
	g->held = false;
	pthread_cond_signal(&g->turn);
}

/* Called with g->mu; frees grp when the last member has read it. */
static void unref(struct gc_group *grp)
{
	if (--grp->refs == 0)
		free(grp);
}

/* COMMITs the open group for all its members; called with g->mu and the
 * turn held, returns with both (the mutex is let go during the fsync). */
static void commit_group(struct db *db)
{
	struct gc_state *g = &db->gc;
	struct gc_group *grp = g->open;
	struct db_conn *w = g->w;
	g->open = NULL; /* its reference is dropped below, once done */
	pthread_mutex_unlock(&g->mu);
	w->owner = NULL;
	db_clear_error(w);
	int rc = db->drv->exec(w->impl, "COMMIT");
	if (rc < 0) {
		db_record_error(w);
		if (db->drv->tx_active(w->impl))
			db->drv->exec(w->impl, "ROLLBACK");
	}
	pthread_mutex_lock(&g->mu);
	grp->rc = rc;
	if (rc < 0) {
		grp->cls = w->err_class;
		atr_strlcpy(grp->err, w->err, sizeof grp->err);
	} else {
		g->members += (uint64_t)grp->pending;
	}
	g->commits++;
	grp->done = true;
	pthread_cond_broadcast(&g->done);
	unref(grp);
}

/* The writer connection, (re)opened when needed; called with the turn
 * held and no group open. NULL with the reason on c. */
static struct db_conn *writer(struct db_conn *c)
{
	struct db *db = c->db;
	struct gc_state *g = &db->gc;
	if (g->w && !db->drv->broken(g->w->impl))
		return g->w;
	if (g->w) {
		db_conn_free(g->w);
		g->w = NULL;
	}
	char msg[256] = "";
	void *impl = db->drv->connect(db->url, &db->lim, msg, sizeof msg);
	if (!impl) {
		c->err_class = DB_ERR_UNAVAILABLE;
		snprintf(c->err, sizeof c->err,
			 "cannot open the writer connection: %s", msg);
		return NULL;
	}
	struct db_conn *w = db_conn_new(db, impl, STMT_CACHE_WRITER);
	w->writer = true;
	g->w = w;
	return w;
}

static void copy_outcome(struct db_conn *c, const struct gc_group *grp)
{
	c->err_class = grp->cls != DB_ERR_NONE ? grp->cls : DB_ERR_OTHER;
	c->err_unique = c->err_fk = false;
	atr_strlcpy(c->err, grp->err, sizeof c->err);
}

static int member_end(struct db_conn *c, bool commit);

int gc_begin(struct db_conn *c, bool solo)
{
	struct db *db = c->db;
	struct gc_state *g = &db->gc;
	/* A thread in a member of its own would wait for itself. */
	ATR_ASSERT(tl_writer == NULL);
	pthread_mutex_lock(&g->mu);
	take_turn(g);
	if (g->open && (solo || !g->enabled ||
			g->open->members >= g->max_members))
		commit_group(db);
	if (solo || !g->enabled) {
		pthread_mutex_unlock(&g->mu);
		if (db_exec(c, "BEGIN IMMEDIATE") < 0) {
			pthread_mutex_lock(&g->mu);
			give_turn(g);
			pthread_mutex_unlock(&g->mu);
			return -1;
		}
		c->solo = true;
		c->in_tx = true;
		return 0;
	}
	struct db_conn *w = g->w;
	if (!g->open) {
		pthread_mutex_unlock(&g->mu);
		w = writer(c);
		int rc = -1;
		if (w) {
			w->owner = c;
			rc = db->drv->exec(w->impl, "BEGIN IMMEDIATE");
			if (rc < 0)
				db_record_error(w);
			w->owner = NULL;
		}
		pthread_mutex_lock(&g->mu);
		if (rc < 0) {
			give_turn(g);
			pthread_mutex_unlock(&g->mu);
			return -1;
		}
		g->open = xcalloc(1, sizeof *g->open);
		g->open->refs = 1;
	}
	struct gc_group *grp = g->open;
	grp->members++;
	grp->refs++;
	pthread_mutex_unlock(&g->mu);
	c->grp = grp;
	c->tx = w;
	w->owner = c;
	tl_writer = w;
	c->in_tx = true;
	if (db->drv->exec(w->impl, "SAVEPOINT " GC_SAVEPOINT) < 0) {
		db_record_error(w);
		member_end(c, false);
		return -1;
	}
	return 0;
}

/* Ends c's member: RELEASE (commit) or ROLLBACK TO its savepoint, then
 * follower or leader as the header says. Returns the outcome for c. */
static int member_end(struct db_conn *c, bool commit)
{
	struct db *db = c->db;
	const struct db_driver *drv = db->drv;
	struct gc_state *g = &db->gc;
	struct db_conn *w = c->tx;
	/* Statements the member left stepped: reset them now, while this
	 * thread has the turn (nobody may use them after the end). */
	for (int i = 0; i < w->cache_cap; i++) {
		struct db_stmt *st = w->cache[i];
		if (st && st->active) {
			drv->reset(st->impl);
			st->active = false;
		}
	}
	int rc = 0;
	if (commit && drv->exec(w->impl, "RELEASE " GC_SAVEPOINT) < 0) {
		db_record_error(w);
		rc = -1;
	}
	if ((!commit || rc < 0) && drv->tx_active(w->impl))
		drv->exec(w->impl, "ROLLBACK TO " GC_SAVEPOINT
				   "; RELEASE " GC_SAVEPOINT);
	/* SQLite ends the whole transaction by itself on a full disk, an
	 * I/O error or out of memory: the group is lost. */
	bool lost = !drv->tx_active(w->impl);
	w->owner = NULL;
	c->tx = NULL;
	c->in_tx = false;
	tl_writer = NULL;
	struct gc_group *grp = c->grp;
	c->grp = NULL;
	bool ok = commit && rc == 0;

	pthread_mutex_lock(&g->mu);
	if (lost) {
		g->open = NULL;
		unref(grp); /* the open group's reference; ours is below */
		grp->rc = -1;
		grp->cls = c->err_class != DB_ERR_NONE ? c->err_class
						       : DB_ERR_UNAVAILABLE;
		atr_strlcpy(grp->err,
			    c->err[0] ? c->err
				      : "the group transaction was rolled back",
			    sizeof grp->err);
		grp->done = true;
		pthread_cond_broadcast(&g->done);
		give_turn(g);
		if (c->err_class == DB_ERR_NONE)
			copy_outcome(c, grp);
		unref(grp);
		pthread_mutex_unlock(&g->mu);
		return -1;
	}
	/* A member that rolled back waits too when members before it are
	 * pending: it saw their writes, and what the caller reads next on
	 * its own connection (a WAL reader) must not be older than that (a
	 * create that failed on a member deleted in the same group reads
	 * that the member is gone, as it would have without grouping). */
	bool wait = ok || grp->pending > 0;
	if (ok)
		grp->pending++;
	bool lead = g->waiting == 0 || grp->members >= g->max_members;
	if (lead)
		commit_group(db);
	give_turn(g);
	if (wait) {
		while (!grp->done)
			pthread_cond_wait(&g->done, &g->mu);
	}
	if (ok) {
		rc = grp->rc;
		if (rc < 0)
			copy_outcome(c, grp);
	}
	unref(grp);
	pthread_mutex_unlock(&g->mu);
	return ok ? rc : commit ? -1 : 0;
}

int gc_commit(struct db_conn *c)
{
	if (!c->solo)
		return member_end(c, true);
	struct gc_state *g = &c->db->gc;
	int rc = db_exec(c, "COMMIT");
	if (rc < 0 && c->db->drv->tx_active(c->impl))
		c->db->drv->exec(c->impl, "ROLLBACK");
	c->solo = false;
	c->in_tx = false;
	pthread_mutex_lock(&g->mu);
	give_turn(g);
	pthread_mutex_unlock(&g->mu);
	return rc;
}

int gc_rollback(struct db_conn *c)
{
	if (!c->solo)
		return member_end(c, false);
	struct gc_state *g = &c->db->gc;
	/* Not recorded: SQLite may already have rolled back by itself
	 * (disk full, I/O error), and "no transaction is active" would
	 * hide the cause the caller is about to report. */
	int rc = c->db->drv->exec(c->impl, "ROLLBACK");
	c->solo = false;
	c->in_tx = false;
	pthread_mutex_lock(&g->mu);
	give_turn(g);
	pthread_mutex_unlock(&g->mu);
	return rc;
}
