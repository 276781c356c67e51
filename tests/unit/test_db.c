/* test_db.c — db/db.c with both drivers, and db/migrate.c.
 *
 * Each case runs on a fresh SQLite file, and again on a fresh PostgreSQL
 * database when ATRIUM_TEST_PG names a server (see unit_with_pg).
 */
#include "atrium.h"

#include "core/embedded.h"
#include "db/db.h"
#include "db/migrate.h"
#include "unit.h"

/* Runs sql; a failure is a failed check naming the database error. */
static bool exec_ok(struct db_conn *c, const char *sql, int line)
{
	if (db_exec(c, sql) == 0)
		return true;
	unit_failf(__FILE__, line, "db_exec(%s): %s", sql, db_errmsg(c));
	return false;
}
#define EXEC(c, sql) exec_ok(c, sql, __LINE__)

/* A table both dialects accept, ids given explicitly. */
static const char *const item_ddl =
	"CREATE TABLE ut_item (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
	"UNIQUE, n BIGINT, note TEXT)";

static int insert_item(struct db_conn *c, int64_t id, const char *name,
		       int64_t n, const char *note)
{
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO ut_item (id, name, n, note) VALUES (?, ?, ?, ?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, name);
	db_bind_int(st, 3, n);
	db_bind_text(st, 4, note);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

static int migrations_of(struct db *db)
{
	const char *dir = db_dialect(db) == DB_SQLITE ? "migrations/sqlite/"
						      : "migrations/pg/";
	int n = 0;
	for (const struct embedded_file *f = embedded_files; f->name; f++)
		n += strncmp(f->name, dir, strlen(dir)) == 0;
	return n;
}

/* --- cases, each given the URL of an empty database ----------------------- */

static void case_open_migrate(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	CHECK_EQ_INT(db_dialect(db),
		     strncmp(url, "sqlite:", 7) == 0 ? DB_SQLITE : DB_PG);
	CHECK_STR(db_dialect_name(db),
		  db_dialect(db) == DB_SQLITE ? "sqlite" : "postgresql");
	int open, busy;
	db_pool_stats(db, &open, &busy);
	CHECK_EQ_INT(open, 1); /* db_open checks one connection */
	CHECK_EQ_INT(busy, 0);

	struct atr_err err = {0};
	int want = migrations_of(db);
	CHECK(want >= 2);
	CHECK_EQ_INT(migrate_pending(db, &err), 1);
	int applied = -1;
	CHECK_EQ_INT(migrate_run(db, &applied, &err), 0);
	CHECK_STR(err.msg, "");
	CHECK_EQ_INT(applied, want);
	CHECK_EQ_INT(migrate_pending(db, &err), 0);
	applied = -1;
	CHECK_EQ_INT(migrate_run(db, &applied, &err), 0);
	CHECK_EQ_INT(applied, 0);
	CHECK_EQ_INT(migrate_pending(db, &err), 0);

	struct db_conn *c = unit_db_acquire(db);
	if (c) {
		CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM schema_migrations"),
			     want);
		/* The seed row of the first migration is there. */
		CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM org WHERE id = 1"),
			     1);
		db_pool_stats(db, &open, &busy);
		CHECK_EQ_INT(busy, 1);
		db_release(c);
	}
	db_pool_stats(db, &open, &busy);
	CHECK_EQ_INT(busy, 0);
	db_close(db);
}

static void case_round_trip(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	if (!EXEC(c, item_ddl))
		goto rel;
	const char *tricky = "it's \"quoted\" ? $1 -- not a comment; é€😀";
	CHECK_EQ_INT(insert_item(c, 1, "alpha", INT64_MAX, tricky), 0);
	CHECK_EQ_INT(insert_item(c, 2, "beta", INT64_MIN, NULL), 0);
	CHECK_EQ_INT(insert_item(c, 3, "gamma", -7, ""), 0);

	struct db_stmt *st = db_prepare(
		c, "SELECT id, name, n, note FROM ut_item WHERE id >= ? "
		   "ORDER BY id");
	if (!CHECK(st != NULL))
		goto rel;
	CHECK_EQ_INT(db_col_count(st), 4);
	db_bind_int(st, 1, 1);
	CHECK_EQ_INT(db_step(st), 1);
	CHECK_STR(db_col_name(st, 1), "name");
	CHECK_STR(db_col_name(st, 3), "note");
	CHECK_EQ_INT(db_col_int(st, 0), 1);
	CHECK_STR(db_col_text(st, 0), "1");
	CHECK_STR(db_col_text(st, 1), "alpha");
	CHECK_EQ_INT(db_col_int(st, 2), INT64_MAX);
	CHECK_STR(db_col_text(st, 2), "9223372036854775807");
	CHECK_STR(db_col_text(st, 3), tricky);
	CHECK(!db_col_null(st, 3));
	CHECK_EQ_INT(db_step(st), 1);
	CHECK_EQ_INT(db_col_int(st, 2), INT64_MIN);
	CHECK(db_col_null(st, 3));
	CHECK(db_col_text(st, 3) == NULL);
	CHECK_EQ_INT(db_step(st), 1);
	CHECK_STR(db_col_text(st, 3), "");
	CHECK(!db_col_null(st, 3)); /* empty is not NULL */
	CHECK_EQ_INT(db_col_int(st, 2), -7);
	CHECK_EQ_INT(db_step(st), 0);
	db_reset(st);

	/* The same statement, bound again after reset. */
	db_bind_int(st, 1, 3);
	CHECK_EQ_INT(db_step(st), 1);
	CHECK_STR(db_col_text(st, 1), "gamma");
	CHECK_EQ_INT(db_step(st), 0);
	db_reset(st);

	/* Text bound as NULL, and a '?' inside a literal is not a
	 * placeholder. */
	st = db_prepare(c, "SELECT '?' AS q, COUNT(*) FROM ut_item WHERE "
			   "note IS NULL OR note = ?");
	if (CHECK(st != NULL)) {
		db_bind_text(st, 1, NULL);
		CHECK_EQ_INT(db_step(st), 1);
		CHECK_STR(db_col_text(st, 0), "?");
		CHECK_STR(db_col_name(st, 0), "q");
		CHECK_EQ_INT(db_col_int(st, 1), 1);
		db_reset(st);
	}

	/* RETURNING works in both dialects. */
	st = db_prepare(c, "UPDATE ut_item SET n = n + 1 WHERE name = ? "
			   "RETURNING id, n");
	if (CHECK(st != NULL)) {
		db_bind_text(st, 1, "gamma");
		CHECK_EQ_INT(db_step(st), 1);
		CHECK_EQ_INT(db_col_int(st, 0), 3);
		CHECK_EQ_INT(db_col_int(st, 1), -6);
		CHECK_EQ_INT(db_step(st), 0);
		db_reset(st);
	}

	/* A script of several statements. */
	CHECK(EXEC(c, "INSERT INTO ut_item (id, name) VALUES (10, 'x1'); "
		      "INSERT INTO ut_item (id, name) VALUES (11, 'x2');"));
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM ut_item"), 5);
rel:
	db_release(c);
out:
	db_close(db);
}

static void case_stmt_cache(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	const char *sql = "SELECT 1 + 1";
	struct db_stmt *a = db_prepare(c, sql);
	if (!CHECK(a != NULL))
		goto rel;
	CHECK_EQ_INT(db_step(a), 1);
	CHECK_EQ_INT(db_col_int(a, 0), 2);
	db_reset(a);
	/* Same text (even from another buffer): the same statement. */
	char copy[32];
	atr_strlcpy(copy, sql, sizeof copy);
	CHECK(db_prepare(c, sql) == a);
	CHECK(db_prepare(c, copy) == a);
	struct db_stmt *b = db_prepare(c, "SELECT 1 + 2");
	CHECK(b != NULL && b != a);
	CHECK(db_prepare(c, "SELECT 1 + 2") == b);
	/* Many distinct texts (a probe chain) keep their own statements. */
	struct db_stmt *many[40];
	for (int i = 0; i < 40; i++) {
		char q[64];
		snprintf(q, sizeof q, "SELECT %d", i);
		many[i] = db_prepare(c, q);
	}
	bool same = true;
	for (int i = 0; i < 40; i++) {
		char q[64];
		snprintf(q, sizeof q, "SELECT %d", i);
		struct db_stmt *s = db_prepare(c, q);
		same = same && s == many[i] && s;
		if (s && db_step(s) == 1)
			same = same && db_col_int(s, 0) == i;
		db_reset(s);
	}
	CHECK(same);
	CHECK(db_prepare(c, sql) == a);
	/* The cache belongs to the connection and survives release. */
	db_release(c);
	c = unit_db_acquire(db);
	if (!c)
		goto out;
	CHECK(db_prepare(c, sql) == a);

	/* Bad SQL: NULL and a message. */
	uint64_t errs = db_error_count();
	CHECK(db_prepare(c, "SELEKT nonsense") == NULL);
	CHECK(db_errmsg(c)[0] != 0);
	CHECK(db_error_count() > errs);
rel:
	db_release(c);
out:
	db_close(db);
}

static void case_transactions(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	if (!EXEC(c, item_ddl))
		goto rel;
	CHECK(!db_in_tx(c));

	CHECK_EQ_INT(db_begin(c), 0);
	CHECK(db_in_tx(c));
	CHECK_EQ_INT(insert_item(c, 1, "gone", 1, NULL), 0);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM ut_item"), 1);
	CHECK_EQ_INT(db_rollback(c), 0);
	CHECK(!db_in_tx(c));
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM ut_item"), 0);
	CHECK_EQ_INT(db_rollback(c), 0); /* none open: a no-op */

	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(insert_item(c, 2, "kept", 2, NULL), 0);
	CHECK_EQ_INT(db_commit(c), 0);
	CHECK(!db_in_tx(c));
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM ut_item"), 1);

	/* Releasing with a transaction open rolls it back. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(insert_item(c, 3, "released", 3, NULL), 0);
	db_release(c);
	c = unit_db_acquire(db);
	if (!c)
		goto out;
	CHECK(!db_in_tx(c));
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM ut_item"), 1);

	/* Committed data is visible from another connection. */
	struct db_conn *c2 = unit_db_acquire(db);
	if (c2) {
		CHECK_EQ_INT(unit_db_scalar(c2, "SELECT COUNT(*) FROM ut_item WHERE "
					"name = 'kept'"),
			     1);
		db_release(c2);
	}
rel:
	db_release(c);
out:
	db_close(db);
}

static void case_unique(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	if (!EXEC(c, item_ddl))
		goto rel;
	CHECK_EQ_INT(insert_item(c, 1, "dup", 0, NULL), 0);
	CHECK(!db_err_unique(c));
	uint64_t errs = db_error_count();
	/* Same name, other id: the UNIQUE column. */
	CHECK_EQ_INT(insert_item(c, 2, "dup", 0, NULL), -1);
	CHECK(db_err_unique(c));
	CHECK(db_errmsg(c)[0] != 0);
	CHECK(db_error_count() > errs);
	/* Same id: the primary key. */
	CHECK_EQ_INT(insert_item(c, 1, "other", 0, NULL), -1);
	CHECK(db_err_unique(c));
	/* A different constraint is not a unique violation. */
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO ut_item (id, name) VALUES (?, ?)");
	if (CHECK(st != NULL)) {
		db_bind_int(st, 1, 9);
		db_bind_null(st, 2);
		CHECK_EQ_INT(db_step(st), -1);
		db_reset(st);
		CHECK(!db_err_unique(c));
	}
	/* A failed script. */
	CHECK_EQ_INT(db_exec(c, "INSERT INTO no_such_table VALUES (1)"), -1);
	CHECK(!db_err_unique(c));
	CHECK(db_errmsg(c)[0] != 0);
	/* The connection is still good afterwards. */
	CHECK_EQ_INT(insert_item(c, 3, "fine", 0, NULL), 0);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM ut_item"), 2);

	/* Inside a transaction, the failure rolls back with it. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(insert_item(c, 4, "in-tx", 0, NULL), 0);
	CHECK_EQ_INT(insert_item(c, 5, "dup", 0, NULL), -1);
	CHECK(db_err_unique(c));
	CHECK_EQ_INT(db_rollback(c), 0);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM ut_item"), 2);
rel:
	db_release(c);
out:
	db_close(db);
}

/* Bytes through BLOB (SQLite) and BYTEA (PostgreSQL): every byte value,
 * NUL included, a zero-length value that is not NULL, and NULL. */
static void case_blob(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	bool pg = db_dialect(db) == DB_PG;
	if (!EXEC(c, pg ? "CREATE TABLE ut_blob (id INTEGER PRIMARY KEY, b BYTEA)"
			: "CREATE TABLE ut_blob (id INTEGER PRIMARY KEY, b BLOB)"))
		goto rel;
	unsigned char all[512];
	for (size_t i = 0; i < sizeof all; i++)
		all[i] = (unsigned char)(i * 7 + (i >> 8));
	struct db_stmt *st =
		db_prepare(c, "INSERT INTO ut_blob (id, b) VALUES (?, ?)");
	if (!CHECK(st != NULL))
		goto rel;
	db_bind_int(st, 1, 1);
	db_bind_blob(st, 2, all, sizeof all);
	CHECK_EQ_INT(db_step(st), 0);
	db_reset(st);
	db_bind_int(st, 1, 2);
	db_bind_blob(st, 2, NULL, 0);
	CHECK_EQ_INT(db_step(st), 0);
	db_reset(st);
	db_bind_int(st, 1, 3);
	db_bind_null(st, 2);
	CHECK_EQ_INT(db_step(st), 0);
	db_reset(st);

	st = db_prepare(c, "SELECT b, b IS NULL FROM ut_blob ORDER BY id");
	if (!CHECK(st != NULL))
		goto rel;
	size_t n = 99;
	CHECK_EQ_INT(db_step(st), 1);
	const unsigned char *p = db_col_blob(st, 0, &n);
	CHECK_EQ_INT(n, sizeof all);
	CHECK(p && memcmp(p, all, sizeof all) == 0);
	CHECK_EQ_INT(db_step(st), 1);
	db_col_blob(st, 0, &n);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(db_col_int(st, 1), 0); /* empty, not NULL */
	CHECK_EQ_INT(db_step(st), 1);
	CHECK(db_col_blob(st, 0, &n) == NULL);
	CHECK_EQ_INT(n, 0);
	CHECK(db_col_null(st, 0));
	CHECK_EQ_INT(db_step(st), 0);
	db_reset(st);
rel:
	db_release(c);
out:
	db_close(db);
}

/* db_step_all: independent reads answered together (one round trip on
 * PostgreSQL): each statement left as its first step would, later rows by
 * db_step; a failing statement fails itself and those after it, and the
 * connection is usable afterwards, inside and outside a transaction. */
static void case_step_all(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	if (!EXEC(c, item_ddl))
		goto rel;
	for (int i = 1; i <= 5; i++)
		CHECK_EQ_INT(insert_item(c, i,
					 i == 1	  ? "a"
					 : i == 2 ? "b"
					 : i == 3 ? "c"
					 : i == 4 ? "d"
						  : "e",
					 i * 10, NULL),
			     0);
	struct db_stmt *st[3];
	int rcs[3] = {9, 9, 9};
	st[0] = db_prepare(c, "SELECT id, name FROM ut_item WHERE id >= ? "
			      "ORDER BY id");
	st[1] = db_prepare(c, "SELECT COUNT(*) FROM ut_item");
	st[2] = db_prepare(c, "SELECT name FROM ut_item WHERE id = ?");
	if (!CHECK(st[0] && st[1] && st[2]))
		goto rel;
	db_bind_int(st[0], 1, 3);
	db_bind_int(st[2], 1, 99); /* no row */
	CHECK_EQ_INT(db_step_all(st, 3, rcs), 0);
	CHECK_EQ_INT(rcs[0], 1);
	CHECK_EQ_INT(rcs[1], 1);
	CHECK_EQ_INT(rcs[2], 0);
	CHECK_EQ_INT(db_col_int(st[1], 0), 5);
	CHECK_EQ_INT(db_col_int(st[0], 0), 3);
	CHECK_STR(db_col_text(st[0], 1), "c");
	CHECK_EQ_INT(db_step(st[0]), 1);
	CHECK_EQ_INT(db_col_int(st[0], 0), 4);
	CHECK_EQ_INT(db_step(st[0]), 1);
	CHECK_STR(db_col_text(st[0], 1), "e");
	CHECK_EQ_INT(db_step(st[0]), 0);
	CHECK_EQ_INT(db_step(st[1]), 0);
	for (int i = 0; i < 3; i++)
		db_reset(st[i]);

	/* The same statements again: prepared once, bound anew. */
	db_bind_int(st[0], 1, 5);
	db_bind_int(st[2], 1, 2);
	CHECK_EQ_INT(db_step_all(st, 3, rcs), 0);
	CHECK_EQ_INT(db_col_int(st[0], 0), 5);
	CHECK_STR(db_col_text(st[2], 0), "b");
	for (int i = 0; i < 3; i++)
		db_reset(st[i]);

	/* A failing statement in the middle: it fails, the first is answered
	 * (SQLite steps them in order) or fails with it (PostgreSQL aborts
	 * the pipeline's implicit transaction); the connection works on. */
	struct db_stmt *bad = db_prepare(c, "SELECT 1 / (n - ?) FROM ut_item "
					    "WHERE id = 1");
	if (!CHECK(bad != NULL))
		goto rel;
	db_bind_int(bad, 1, 10); /* division by zero */
	struct db_stmt *mix[3] = {st[1], bad, st[2]};
	db_bind_int(st[2], 1, 1);
	int r2[3] = {9, 9, 9};
	if (db_dialect(db) == DB_PG) {
		CHECK_EQ_INT(db_step_all(mix, 3, r2), -1);
		CHECK_EQ_INT(r2[1], -1);
		CHECK_EQ_INT(r2[2], -1);
		CHECK(strstr(db_errmsg(c), "division by zero") != NULL);
	} else {
		/* SQLite's integer division by zero is NULL, not an error:
		 * the three are answered. */
		CHECK_EQ_INT(db_step_all(mix, 3, r2), 0);
		CHECK_EQ_INT(r2[1], 1);
		CHECK(db_col_null(bad, 0));
		CHECK_STR(db_col_text(st[2], 0), "a");
	}
	db_reset(st[1]);
	db_reset(bad);
	db_reset(st[2]);
	CHECK_EQ_INT(insert_item(c, 6, "f", 60, NULL), 0);

	/* Inside a transaction the reads see its own writes. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(insert_item(c, 7, "g", 70, NULL), 0);
	db_bind_int(st[0], 1, 7);
	db_bind_int(st[2], 1, 6);
	CHECK_EQ_INT(db_step_all(st, 3, rcs), 0);
	CHECK_EQ_INT(db_col_int(st[0], 0), 7);
	CHECK_EQ_INT(db_col_int(st[1], 0), 7);
	CHECK_STR(db_col_text(st[2], 0), "f");
	for (int i = 0; i < 3; i++)
		db_reset(st[i]);
	CHECK_EQ_INT(db_rollback(c), 0);
	CHECK_EQ_INT(db_step(st[1]), 1);
	CHECK_EQ_INT(db_col_int(st[1], 0), 6);
	db_reset(st[1]);
rel:
	db_release(c);
out:
	db_close(db);
}

/* The guard (db_guard_set): its statements ride with the next read and
 * its check decides whether the read's answer stands; a write, a
 * transaction or db_guard_run takes it alone first, so nothing is written
 * when the check says no; db_release drops it. */
struct guard_arg {
	int calls;
	bool pass;
	int64_t seen; /* what the guard's statement read */
};

static int guard_check(void *arg, struct db_stmt **st, const int *rcs)
{
	struct guard_arg *a = arg;
	a->calls++;
	a->seen = rcs[0] == 1 ? db_col_int(st[0], 0) : -1;
	return a->pass ? 0 : -1;
}

static void case_guard(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	if (!EXEC(c, item_ddl))
		goto rel;
	CHECK_EQ_INT(insert_item(c, 1, "a", 10, NULL), 0);
	struct guard_arg a = {0};
	struct db_stmt *gs =
	    db_prepare(c, "SELECT n FROM ut_item WHERE id = ?");
	struct db_stmt *rd =
	    db_prepare(c, "SELECT name FROM ut_item WHERE id = ?");
	struct db_stmt *cnt = db_prepare(c, "SELECT COUNT(*) FROM ut_item");
	if (!CHECK(gs && rd && cnt))
		goto rel;
	struct db_guard g = {
	    .st = {gs}, .n = 1, .check = guard_check, .arg = &a};

	/* A check that passes: the read's rows, the guard's own read seen. */
	a.pass = true;
	db_bind_int(gs, 1, 1);
	db_guard_set(c, &g);
	CHECK(db_guard_pending(c));
	db_bind_int(rd, 1, 1);
	CHECK_EQ_INT(db_step(rd), 1);
	CHECK_STR(db_col_text(rd, 0), "a");
	db_reset(rd);
	CHECK_EQ_INT(a.calls, 1);
	CHECK_EQ_INT(a.seen, 10);
	CHECK(!db_guard_pending(c));
	CHECK(!db_guard_failed(c));

	/* A check that fails: the read fails with it. */
	a.pass = false;
	db_bind_int(gs, 1, 1);
	db_guard_set(c, &g);
	db_bind_int(rd, 1, 1);
	CHECK_EQ_INT(db_step(rd), -1);
	db_reset(rd);
	CHECK(db_guard_failed(c));
	CHECK_EQ_INT(a.calls, 2);

	/* A write with a failing guard is never done. */
	db_bind_int(gs, 1, 1);
	db_guard_set(c, &g);
	CHECK_EQ_INT(insert_item(c, 2, "b", 20, NULL), -1);
	CHECK_EQ_INT(a.calls, 3);
	CHECK_EQ_INT(db_step(cnt), 1);
	CHECK_EQ_INT(db_col_int(cnt, 0), 1);
	db_reset(cnt);

	/* A transaction runs the guard first; a failing one stops it. */
	db_bind_int(gs, 1, 1);
	db_guard_set(c, &g);
	CHECK_EQ_INT(db_begin(c), -1);
	CHECK(!db_in_tx(c));
	CHECK_EQ_INT(a.calls, 4);
	a.pass = true;
	db_bind_int(gs, 1, 1);
	db_guard_set(c, &g);
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(a.calls, 5);
	CHECK_EQ_INT(insert_item(c, 2, "b", 20, NULL), 0);
	CHECK_EQ_INT(db_commit(c), 0);

	/* db_guard_run alone, and with nothing pending. */
	db_bind_int(gs, 1, 2);
	db_guard_set(c, &g);
	CHECK_EQ_INT(db_guard_run(c), 0);
	CHECK_EQ_INT(a.seen, 20);
	CHECK_EQ_INT(db_guard_run(c), 0);
	CHECK_EQ_INT(a.calls, 6);

	/* Released unanswered: dropped, never checked. */
	db_bind_int(gs, 1, 1);
	db_guard_set(c, &g);
	db_release(c);
	c = unit_db_acquire(db);
	if (!c)
		goto out;
	CHECK(!db_guard_pending(c));
	CHECK_EQ_INT(a.calls, 6);
rel:
	db_release(c);
out:
	db_close(db);
}

#define DB_CASE(name, fn)                                                      \
	TEST(db_sqlite_##name) { unit_with_sqlite(fn); }                       \
	TEST(db_pg_##name) { unit_with_pg(fn); }

DB_CASE(open_migrate, case_open_migrate)
DB_CASE(round_trip, case_round_trip)
DB_CASE(stmt_cache, case_stmt_cache)
DB_CASE(transactions, case_transactions)
DB_CASE(unique, case_unique)
DB_CASE(blob, case_blob)
DB_CASE(step_all, case_step_all)
DB_CASE(guard, case_guard)

/* --- URLs ---------------------------------------------------------------- */

TEST(db_open_bad_urls)
{
	struct db *db = NULL;
	struct atr_err err = {0};
	CHECK_EQ_INT(db_open("mysql://root@localhost/crm", 1, &db, &err), -1);
	CHECK(db == NULL);
	CHECK_EQ_INT(err.kind, ATR_E_INVALID);
	CHECK_CONTAINS(err.msg, "unsupported database url");
	CHECK_CONTAINS(err.msg, "mysql://root@localhost/crm");

	atr_err_clear(&err);
	CHECK_EQ_INT(db_open("sqlite:/nonexistent-dir-atrium/x/y.db", 1, &db,
			     &err),
		     -1);
	CHECK(db == NULL);
	CHECK_EQ_INT(err.kind, ATR_E_UNAVAILABLE);
	CHECK_CONTAINS(err.msg, "database unavailable");
	CHECK_CONTAINS(err.msg, "/nonexistent-dir-atrium/x/y.db");

	/* Nothing listens on port 1: a quick refusal with libpq's message. */
	atr_err_clear(&err);
	CHECK_EQ_INT(db_open("postgresql://atrium@127.0.0.1:1/none?"
			     "connect_timeout=5",
			     1, &db, &err),
		     -1);
	CHECK(db == NULL);
	CHECK_EQ_INT(err.kind, ATR_E_UNAVAILABLE);
	CHECK_CONTAINS(err.msg, "database unavailable");
}

TEST(db_open_bare_path)
{
	char *dir = unit_tmpdir();
	if (!dir)
		return;
	char *path = xasprintf("%s/bare.db", dir);
	struct db *db = NULL;
	struct atr_err err = {0};
	CHECK_EQ_INT(db_open(path, 1, &db, &err), 0);
	if (db) {
		CHECK_EQ_INT(db_dialect(db), DB_SQLITE);
		db_close(db);
	}
	free(path);
	unit_rmtree(dir);
	free(dir);
}
