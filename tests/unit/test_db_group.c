/* test_db_group.c — SQLite group commit (db/db_group.c).
 *
 * Threads write concurrently, each in its own transaction; one fails on a
 * constraint and rolls back. The writer turn is held by a first member
 * until every other thread waits for it, so the grouping is certain, not
 * a matter of timing: exactly one COMMIT for all of them. Checks run in
 * the main thread (the unit checks are not thread-safe).
 */
#include "atrium.h"

#include <pthread.h>
#include <time.h>

#include "db/db.h"
#include "unit.h"

#define NWRITERS 12
#define FAILING 5 /* this writer inserts a duplicate name and rolls back */

static const char *const gc_ddl =
	"CREATE TABLE ut_gc (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
	"UNIQUE, member INTEGER NOT NULL)";

static int insert_row(struct db_conn *c, int64_t id, const char *name,
		      int member)
{
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO ut_gc (id, name, member) VALUES (?, ?, ?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, name);
	db_bind_int(st, 3, member);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

static int64_t count_where(struct db_conn *c, const char *sql, int64_t arg)
{
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, arg);
	int64_t n = db_step(st) == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

static void nap(void)
{
	struct timespec ts = {0, 2000000};
	nanosleep(&ts, NULL);
}

struct writer_arg {
	struct db *db;    /* group commit on */
	struct db *other; /* another pool on the same file, group commit off */
	int i;
	/* results */
	int begin_rc, insert_rc, commit_rc;
	bool unique;
	int64_t own_in_tx;  /* rows of its own it sees inside its transaction */
	int64_t seen_after; /* its rows seen from another connection after */
	char err[200];
};

static void *writer_main(void *p)
{
	struct writer_arg *a = p;
	struct db_conn *c = db_acquire(a->db, NULL);
	if (!c) {
		a->begin_rc = -2;
		return NULL;
	}
	a->begin_rc = db_begin(c);
	if (a->begin_rc < 0) {
		db_release(c);
		return NULL;
	}
	char name[32];
	snprintf(name, sizeof name, "w%d-a", a->i);
	a->insert_rc = insert_row(c, 1000 + a->i * 2, name, a->i);
	if (a->insert_rc == 0) {
		snprintf(name, sizeof name, a->i == FAILING ? "seed" : "w%d-b",
			 a->i);
		a->insert_rc = insert_row(c, 1001 + a->i * 2, name, a->i);
	}
	a->own_in_tx = count_where(
		c, "SELECT COUNT(*) FROM ut_gc WHERE member = ?", a->i);
	if (a->insert_rc < 0) {
		a->unique = db_err_unique(c);
		atr_strlcpy(a->err, db_errmsg(c), sizeof a->err);
		db_rollback(c);
		db_release(c);
		return NULL;
	}
	a->commit_rc = db_commit(c);
	db_release(c);
	/* Durable and visible to any other connection once db_commit
	 * returned 0. */
	struct db_conn *o = db_acquire(a->other, NULL);
	if (o) {
		a->seen_after = count_where(
			o, "SELECT COUNT(*) FROM ut_gc WHERE member = ?", a->i);
		db_release(o);
	}
	return NULL;
}

static struct db *open_pool(const char *url, int n)
{
	struct db *db = NULL;
	struct atr_err err = {0};
	if (db_open(url, n, &db, &err) != 0)
		FAILF("db_open(%s): %s", url, err.msg);
	return db;
}

static void case_group(const char *url)
{
	struct db *db = open_pool(url, NWRITERS + 2);
	struct db *other = open_pool(url, NWRITERS + 2);
	if (!db || !other)
		goto out;
	db_set_group_commit(db, true, 0);
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	CHECK_EQ_INT(db_exec(c, gc_ddl), 0);
	CHECK_EQ_INT(db_exec(c, "INSERT INTO ut_gc VALUES (1, 'seed', -1)"), 0);

	/* A first member holds the turn until every writer waits for it. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(insert_row(c, 2, "holder", 99), 0);
	struct writer_arg args[NWRITERS];
	pthread_t th[NWRITERS];
	for (int i = 0; i < NWRITERS; i++) {
		args[i] = (struct writer_arg){.db = db, .other = other, .i = i};
		pthread_create(&th[i], NULL, writer_main, &args[i]);
	}
	struct db_group_stats gs;
	for (;;) {
		db_group_stats(db, &gs);
		if (gs.waiting == NWRITERS)
			break;
		nap();
	}
	/* Nothing of the open group is visible outside it. */
	struct db_conn *r = unit_db_acquire(other);
	if (r) {
		CHECK_EQ_INT(count_where(r, "SELECT COUNT(*) FROM ut_gc "
					    "WHERE member = ?",
					 99),
			     0);
		db_release(r);
	}
	CHECK_EQ_INT(db_commit(c), 0);
	for (int i = 0; i < NWRITERS; i++)
		pthread_join(th[i], NULL);

	for (int i = 0; i < NWRITERS; i++) {
		struct writer_arg *a = &args[i];
		CHECK_EQ_INT(a->begin_rc, 0);
		if (i == FAILING) {
			CHECK_EQ_INT(a->insert_rc, -1);
			CHECK(a->unique);
			CHECK_CONTAINS(a->err, "UNIQUE");
			CHECK_EQ_INT(a->own_in_tx, 1); /* its first row */
		} else {
			CHECK_EQ_INT(a->insert_rc, 0);
			CHECK_EQ_INT(a->commit_rc, 0);
			CHECK_EQ_INT(a->own_in_tx, 2);
			CHECK_EQ_INT(a->seen_after, 2);
		}
	}
	/* The holder and the eleven others in one COMMIT: the holder's
	 * commit found writers waiting, so it followed; the last one led. */
	db_group_stats(db, &gs);
	CHECK_EQ_INT((long long)gs.commits, 1);
	CHECK_EQ_INT((long long)gs.members, NWRITERS);
	r = unit_db_acquire(other);
	if (r) {
		CHECK_EQ_INT(unit_db_scalar(r, "SELECT COUNT(*) FROM ut_gc"),
			     1 + 1 + 2 * (NWRITERS - 1));
		CHECK_EQ_INT(count_where(r, "SELECT COUNT(*) FROM ut_gc "
					    "WHERE member = ?",
					 FAILING),
			     0);
		db_release(r);
	}
	db_release(c);
out:
	db_close(other);
	db_close(db);
}

TEST(db_group_concurrent_members) { unit_with_sqlite(case_group); }

/* One member alone: reads inside see its writes, a reader outside does
 * not; a savepoint of its own inside works; a statement prepared before
 * db_begin is refused rather than run outside the transaction. */
static void case_member(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	db_set_group_commit(db, true, 0);
	struct db_conn *c = unit_db_acquire(db);
	struct db_conn *r = unit_db_acquire(db);
	if (!c || !r)
		goto out;
	CHECK_EQ_INT(db_exec(c, gc_ddl), 0);
	const char *cnt = "SELECT COUNT(*) FROM ut_gc WHERE member = ?";
	struct db_stmt *early = db_prepare(c, "SELECT COUNT(*) FROM ut_gc");
	CHECK(early != NULL);

	CHECK_EQ_INT(db_begin(c), 0);
	CHECK(db_in_tx(c));
	CHECK_EQ_INT(insert_row(c, 1, "one", 7), 0);
	CHECK_EQ_INT(db_exec(c, "SAVEPOINT inner_sp"), 0);
	CHECK_EQ_INT(insert_row(c, 2, "two", 7), 0);
	CHECK_EQ_INT(count_where(c, cnt, 7), 2);
	CHECK_EQ_INT(db_exec(c, "ROLLBACK TO SAVEPOINT inner_sp"), 0);
	CHECK_EQ_INT(db_exec(c, "RELEASE SAVEPOINT inner_sp"), 0);
	CHECK_EQ_INT(insert_row(c, 3, "three", 7), 0);
	CHECK_EQ_INT(count_where(c, cnt, 7), 2);
	CHECK_EQ_INT(count_where(r, cnt, 7), 0); /* a WAL reader */
	if (early) {
		CHECK_EQ_INT(db_step(early), -1);
		db_reset(early);
	}
	CHECK_EQ_INT(db_commit(c), 0);
	CHECK(!db_in_tx(c));
	CHECK_EQ_INT(count_where(r, cnt, 7), 2);
	CHECK_EQ_INT(unit_db_scalar(r, "SELECT COUNT(*) FROM ut_gc WHERE "
				       "id = 2"),
		     0);

	/* A rolled-back member leaves nothing; the next one works. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(insert_row(c, 4, "four", 8), 0);
	CHECK_EQ_INT(db_rollback(c), 0);
	CHECK_EQ_INT(count_where(r, cnt, 8), 0);
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(insert_row(c, 4, "four", 8), 0);
	CHECK_EQ_INT(db_commit(c), 0);
	CHECK_EQ_INT(count_where(r, cnt, 8), 1);

	/* A solo transaction runs on its own connection, after the group. */
	CHECK_EQ_INT(db_exec(c, "PRAGMA foreign_keys = OFF"), 0);
	CHECK_EQ_INT(db_begin_solo(c), 0);
	CHECK_EQ_INT(unit_db_scalar(c, "PRAGMA foreign_keys"), 0);
	CHECK_EQ_INT(insert_row(c, 5, "five", 9), 0);
	CHECK_EQ_INT(db_commit(c), 0);
	CHECK_EQ_INT(db_exec(c, "PRAGMA foreign_keys = ON"), 0);
	CHECK_EQ_INT(count_where(r, cnt, 9), 1);

	/* Released inside a transaction: rolled back, the turn given back. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(insert_row(c, 6, "six", 10), 0);
	db_release(c);
	c = unit_db_acquire(db);
	if (c) {
		CHECK_EQ_INT(db_begin(c), 0);
		CHECK_EQ_INT(count_where(c, cnt, 10), 0);
		CHECK_EQ_INT(db_commit(c), 0);
	}
out:
	db_release(r);
	db_release(c);
	db_close(db);
}

TEST(db_group_member) { unit_with_sqlite(case_member); }

/* A group whose only member rolls back while another thread waits for the
 * turn: the group stays open for the next member, which commits it. */
static void *late_writer(void *p)
{
	struct writer_arg *a = p;
	struct db_conn *c = db_acquire(a->db, NULL);
	if (!c)
		return NULL;
	a->begin_rc = db_begin(c);
	if (a->begin_rc == 0) {
		a->insert_rc = insert_row(c, 50, "late", 50);
		a->commit_rc = db_commit(c);
	}
	db_release(c);
	return NULL;
}

static void case_rollback_hands_on(const char *url)
{
	struct db *db = open_pool(url, 4);
	if (!db)
		return;
	db_set_group_commit(db, true, 0);
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	CHECK_EQ_INT(db_exec(c, gc_ddl), 0);
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(insert_row(c, 49, "gone", 49), 0);
	struct writer_arg a = {.db = db};
	pthread_t th;
	pthread_create(&th, NULL, late_writer, &a);
	struct db_group_stats gs;
	for (;;) {
		db_group_stats(db, &gs);
		if (gs.waiting == 1)
			break;
		nap();
	}
	CHECK_EQ_INT(db_rollback(c), 0);
	pthread_join(th, NULL);
	CHECK_EQ_INT(a.begin_rc, 0);
	CHECK_EQ_INT(a.insert_rc, 0);
	CHECK_EQ_INT(a.commit_rc, 0);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM ut_gc"), 1);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT id FROM ut_gc"), 50);
	db_group_stats(db, &gs);
	CHECK_EQ_INT((long long)gs.commits, 1);
	CHECK_EQ_INT((long long)gs.members, 1);
	db_release(c);
out:
	db_close(db);
}

TEST(db_group_rollback_hands_on) { unit_with_sqlite(case_rollback_hands_on); }

/* The disk fills in a later member while an earlier one waits for the
 * group's COMMIT: SQLite rolls the whole transaction back by itself, so
 * the earlier member must not be told 0: it gets the same full-disk error
 * (507 in a handler), and its row is not there. max_page_count is the
 * writer connection's own, set from inside a member (it runs there). */
static void *filler(void *p)
{
	struct writer_arg *a = p;
	struct db_conn *c = db_acquire(a->db, NULL);
	if (!c)
		return NULL;
	a->begin_rc = db_begin(c);
	if (a->begin_rc == 0) {
		int rc = 0;
		for (int i = 0; i < 64 && rc == 0; i++)
			rc = db_exec(c, "INSERT INTO blob_t VALUES "
					"(zeroblob(4000))");
		a->insert_rc = rc;
		a->unique = db_err_class(c) == DB_ERR_FULL;
		atr_strlcpy(a->err, db_errmsg(c), sizeof a->err);
		db_rollback(c);
	}
	db_release(c);
	return NULL;
}

static void case_full_group(const char *url)
{
	struct db *db = open_pool(url, 4);
	if (!db)
		return;
	db_set_group_commit(db, true, 0);
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	CHECK_EQ_INT(db_exec(c, gc_ddl), 0);
	CHECK_EQ_INT(db_exec(c, "CREATE TABLE blob_t (b BLOB)"), 0);
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(db_exec(c, "PRAGMA max_page_count = 16"), 0);
	CHECK_EQ_INT(insert_row(c, 1, "early", 1), 0);
	struct writer_arg a = {.db = db};
	pthread_t th;
	pthread_create(&th, NULL, filler, &a);
	struct db_group_stats gs;
	for (;;) {
		db_group_stats(db, &gs);
		if (gs.waiting == 1)
			break;
		nap();
	}
	int rc = db_commit(c); /* a follower: the filler ends the group */
	pthread_join(th, NULL);
	CHECK_EQ_INT(a.begin_rc, 0);
	CHECK_EQ_INT(a.insert_rc, -1);
	CHECK(a.unique); /* classed full */
	CHECK_CONTAINS(a.err, "database or disk is full");
	CHECK_EQ_INT(rc, -1);
	CHECK_EQ_INT(db_err_class(c), DB_ERR_FULL);
	CHECK_CONTAINS(db_errmsg(c), "database or disk is full");
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM ut_gc"), 0);
	/* The next group works (within the page limit). */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(insert_row(c, 2, "later", 2), 0);
	CHECK_EQ_INT(db_commit(c), 0);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM ut_gc"), 1);
	db_release(c);
out:
	db_close(db);
}

TEST(db_group_full_disk_fails_the_group) { unit_with_sqlite(case_full_group); }
