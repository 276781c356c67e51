/* test_db_faults.c — the database layer when things go wrong: ids that
 * must not come back, a schema from a newer release, a full disk, an
 * exhausted pool, a server that restarted or cancels, libpq's notices.
 *
 * Cases named db_sqlite_* and db_pg_* run like those of test_db.c (the
 * PostgreSQL ones when ATRIUM_TEST_PG names a server).
 */
#include "atrium.h"

#include <fcntl.h>
#include <unistd.h>

#include "core/embedded.h"
#include "db/db.h"
#include "db/migrate.h"
#include "unit.h"

static bool exec_ok(struct db_conn *c, const char *sql, int line)
{
	if (db_exec(c, sql) == 0)
		return true;
	unit_failf(__FILE__, line, "db_exec(%s): %s", sql, db_errmsg(c));
	return false;
}
#define EXEC(c, sql) exec_ok(c, sql, __LINE__)

static bool is_sqlite(const char *url)
{
	return strncmp(url, "sqlite:", 7) == 0;
}

/* Inserts a lead, a task or a staff member and returns its id (-1 on
 * error). */
static int64_t new_row(struct db_conn *c, const char *table, int n)
{
	char sql[512];
	if (!strcmp(table, "task"))
		snprintf(sql, sizeof sql,
			 "INSERT INTO task (org_id, subject, created_at, "
			 "updated_at) VALUES (1, 'task %d', 't', 't') "
			 "RETURNING id",
			 n);
	else if (!strcmp(table, "lead"))
		snprintf(sql, sizeof sql,
			 "INSERT INTO lead (org_id, name, created_at, "
			 "updated_at) VALUES (1, 'lead %d', 't', 't') "
			 "RETURNING id",
			 n);
	else
		snprintf(sql, sizeof sql,
			 "INSERT INTO staff (org_id, email, email_norm, name, "
			 "created_at, updated_at) VALUES (1, 'm%d@x.test', "
			 "'m%d@x.test', 'M', 't', 't') RETURNING id",
			 n, n);
	return unit_db_scalar(c, sql);
}

/* Deleting the newest row never gives its id to the next one. */
static void case_ids_not_reused(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	static const char *const tables[] = {"lead", "staff", "task"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(tables); i++) {
		int64_t a = new_row(c, tables[i], 1);
		int64_t b = new_row(c, tables[i], 2);
		CHECK(b > a);
		char del[96];
		snprintf(del, sizeof del, "DELETE FROM %s WHERE id = %lld",
			 tables[i], (long long)b);
		CHECK(EXEC(c, del));
		int64_t next = new_row(c, tables[i], 3);
		if (!CHECK(next > b))
			FAILF("%s: id %lld came back after its row was deleted",
			      tables[i], (long long)b);
	}
	db_release(c);
out:
	db_close(db);
}

/* Every SQLite table keyed by a generated id has AUTOINCREMENT (a new
 * table's migration must say it; migrations 0006 and 0061), but for the
 * one-row tables whose id is always 1 and org_deleted, keyed by the
 * deleted organisation's own id. */
static void case_ids_autoincrement(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	struct db_stmt *st = db_prepare(
	    c, "SELECT m.name FROM sqlite_schema m WHERE m.type = 'table' "
	       "AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!' AND m.name NOT "
	       "LIKE '%!_fts!_%' ESCAPE '!' AND (SELECT count(*) FROM "
	       "pragma_table_info(m.name) p WHERE p.pk > 0) = 1 AND EXISTS "
	       "(SELECT 1 FROM pragma_table_info(m.name) p WHERE p.pk = 1 "
	       "AND p.name = 'id' AND upper(p.type) = 'INTEGER') AND m.sql "
	       "NOT LIKE '%AUTOINCREMENT%' AND m.sql NOT LIKE "
	       "'%CHECK (id = 1)%' AND m.name <> 'org_deleted' ORDER BY 1");
	int n = 0;
	while (st && db_step(st) == 1) {
		FAILF("table %s reuses the id of a deleted row (no "
		      "AUTOINCREMENT)",
		      db_col_text(st, 0));
		n++;
	}
	if (st)
		db_reset(st);
	CHECK_EQ_INT(n, 0);
	db_release(c);
out:
	db_close(db);
}

TEST(db_sqlite_ids_autoincrement)
{
	unit_with_sqlite(case_ids_autoincrement);
}

/* Applies the migrations before `upto` by hand, as an older release did. */
static bool migrate_before(struct db *db, const char *upto)
{
	const char *dir = db_dialect(db) == DB_SQLITE ? "migrations/sqlite/"
						      : "migrations/pg/";
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		return false;
	bool ok = EXEC(c, "CREATE TABLE schema_migrations (version TEXT "
			  "PRIMARY KEY, applied_at TEXT NOT NULL)");
	for (const struct embedded_file *f = embedded_files; ok && f->name;
	     f++) {
		if (strncmp(f->name, dir, strlen(dir)) != 0)
			continue;
		const char *base = f->name + strlen(dir);
		if (strncmp(base, upto, strlen(upto)) >= 0)
			break;
		char v[64];
		atr_strlcpy(v, base, sizeof v);
		*strrchr(v, '.') = 0;
		char *ins = xasprintf("INSERT INTO schema_migrations VALUES "
				      "('%s', 't')",
				      v);
		ok = EXEC(c, (const char *)f->data) && EXEC(c, ins);
		free(ins);
	}
	db_release(c);
	return ok;
}

/* 0006 rebuilds tables on SQLite: rows that reference a member survive
 * (with foreign keys on, dropping staff would have cascaded), foreign keys
 * are on again afterwards, and the counters start after ids the activity
 * log remembers. */
static void case_ids_migration(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	if (!migrate_before(db, "0006"))
		goto out;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	bool ok = EXEC(c, "INSERT INTO staff (org_id, email, email_norm, "
			  "name, created_at, updated_at) VALUES (1, 'a@x', "
			  "'a@x', 'A', 't', 't')") &&
		  EXEC(c, "INSERT INTO session (org_id, staff_id, token_hash, "
			  "created_at, last_seen_at, expires_at) VALUES (1, 1, "
			  "'h', 't', 't', 't')") &&
		  EXEC(c, "INSERT INTO lead (org_id, name, owner_id, "
			  "created_at, updated_at) VALUES (1, 'L', 1, 't', "
			  "'t')") &&
		  EXEC(c, "INSERT INTO activity_log (org_id, seq, at, action, "
			  "entity, entity_id, prev_hash, hash) VALUES (1, 1, "
			  "'t', 'delete', 'lead', 50, '', '')");
	db_release(c);
	if (!ok)
		goto out;
	struct atr_err err = {0};
	int applied = 0;
	CHECK_EQ_INT(migrate_run(db, &applied, &err), 0);
	CHECK_STR(err.msg, "");
	c = unit_db_acquire(db);
	if (!c)
		goto out;
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM session"), 1);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT owner_id FROM lead"), 1);
	CHECK_EQ_INT(new_row(c, "lead", 9), 51);
	if (is_sqlite(url)) {
		CHECK_EQ_INT(unit_db_scalar(c, "PRAGMA foreign_keys"), 1);
		CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM "
					       "pragma_foreign_key_check"),
			     0);
	}
	db_release(c);
out:
	db_close(db);
}

/* A migration this binary does not know: refused, naming both versions. */
static void case_newer_schema(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (c) {
		CHECK(EXEC(c, "INSERT INTO schema_migrations VALUES "
			      "('9999_from_the_future', 't')"));
		db_release(c);
	}
	/* The newest migration this binary carries, named in the message. */
	const char *dir = db_dialect(db) == DB_SQLITE ? "migrations/sqlite/"
						      : "migrations/pg/";
	char last[64] = "";
	for (const struct embedded_file *f = embedded_files; f->name; f++)
		if (!strncmp(f->name, dir, strlen(dir))) {
			atr_strlcpy(last, f->name + strlen(dir), sizeof last);
			*strrchr(last, '.') = 0;
		}
	struct atr_err err = {0};
	CHECK_EQ_INT(migrate_pending(db, &err), -1);
	CHECK_CONTAINS(err.msg, "newer than this binary");
	CHECK_CONTAINS(err.msg, "9999_from_the_future");
	CHECK_CONTAINS(err.msg, last);
	atr_err_clear(&err);
	int applied = -1;
	CHECK_EQ_INT(migrate_run(db, &applied, &err), -1);
	CHECK_CONTAINS(err.msg, "9999_from_the_future");
	CHECK_EQ_INT(applied, 0);
	db_close(db);
}

/* A pool with every connection taken answers 503 within the bound. */
static void case_acquire_timeout(const char *url)
{
	struct db *db = NULL;
	struct atr_err err = {0};
	struct db_limits lim = {.acquire_timeout_ms = 50};
	if (!CHECK_EQ_INT(db_open_limits(url, 1, &lim, &db, &err), 0))
		return;
	struct db_conn *c = unit_db_acquire(db);
	CHECK(db_acquire(db, &err) == NULL);
	CHECK_EQ_INT(err.kind, ATR_E_UNAVAILABLE);
	CHECK(err.retry_after > 0);
	CHECK_CONTAINS(err.msg, "within 50 ms");
	db_release(c);
	c = unit_db_acquire(db);
	db_release(c);
	db_close(db);
}

#define DB_CASE(name, fn)                                                      \
	TEST(db_sqlite_##name) { unit_with_sqlite(fn); }                       \
	TEST(db_pg_##name) { unit_with_pg(fn); }

DB_CASE(ids_not_reused, case_ids_not_reused)
DB_CASE(ids_migration, case_ids_migration)
DB_CASE(newer_schema, case_newer_schema)
DB_CASE(acquire_timeout, case_acquire_timeout)

/* --- SQLite: a full disk ------------------------------------------------- */

/* The error is SQLite's own, classed as full, and a rollback after SQLite
 * rolled back by itself does not replace it ("cannot rollback - no
 * transaction is active" used to hide the cause). */
static void case_full(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	if (!EXEC(c, "CREATE TABLE blob_t (b BLOB)") ||
	    !EXEC(c, "PRAGMA max_page_count = 16"))
		goto rel;
	CHECK_EQ_INT(db_begin(c), 0);
	int rc = 0;
	for (int i = 0; i < 64 && rc == 0; i++)
		rc = db_exec(c, "INSERT INTO blob_t VALUES (zeroblob(4000))");
	CHECK_EQ_INT(rc, -1);
	CHECK_EQ_INT(db_err_class(c), DB_ERR_FULL);
	CHECK_CONTAINS(db_errmsg(c), "database or disk is full");
	db_rollback(c);
	CHECK_CONTAINS(db_errmsg(c), "database or disk is full");
	CHECK_EQ_INT(db_err_class(c), DB_ERR_FULL);
rel:
	db_release(c);
out:
	db_close(db);
}

TEST(db_sqlite_full) { unit_with_sqlite(case_full); }

/* --- PostgreSQL: restarts, timeouts, notices ------------------------------ */

/* A pooled connection whose backend went away (what a server restart does
 * to every one) is not handed out: the pool opens a fresh one. */
static void case_pg_stale(const char *url)
{
	struct db *db = unit_db_open(url, false), *admin = NULL;
	struct atr_err err = {0};
	if (!db)
		return;
	if (!CHECK_EQ_INT(db_open(url, 1, &admin, &err), 0))
		goto out;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	int64_t pid = unit_db_scalar(c, "SELECT pg_backend_pid()");
	db_release(c);
	struct db_conn *a = unit_db_acquire(admin);
	if (!a)
		goto out;
	char *kill = xasprintf("SELECT pg_terminate_backend(%lld)",
			       (long long)pid);
	char *gone = xasprintf("SELECT COUNT(*) FROM pg_stat_activity WHERE "
			       "pid = %lld",
			       (long long)pid);
	CHECK(EXEC(a, kill));
	/* Bounded poll until the backend has exited (its socket closed). */
	for (int i = 0; i < 500 && unit_db_scalar(a, gone) != 0; i++)
		usleep(10000);
	free(kill);
	free(gone);
	db_release(a);
	c = unit_db_acquire(db);
	if (c) {
		CHECK(unit_db_scalar(c, "SELECT pg_backend_pid()") != pid);
		db_release(c);
	}
out:
	db_close(admin);
	db_close(db);
}

/* statement_timeout cancels on the server: unavailable, retry; the
 * connection stays usable. */
static void case_pg_statement_timeout(const char *url)
{
	struct db *db = NULL;
	struct atr_err err = {0};
	struct db_limits lim = {.connect_timeout_s = 5,
				.statement_timeout_ms = 100};
	if (!CHECK_EQ_INT(db_open_limits(url, 1, &lim, &db, &err), 0))
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (c) {
		CHECK_EQ_INT(db_exec(c, "SELECT pg_sleep(2)"), -1);
		CHECK_EQ_INT(db_err_class(c), DB_ERR_UNAVAILABLE);
		CHECK_CONTAINS(db_errmsg(c), "statement timeout");
		CHECK(!db_conn_broken(c));
		CHECK_EQ_INT(unit_db_scalar(c, "SELECT 7"), 7);
		/* The same inside a pipeline (db_step_all): the slow read
		 * and the one after it fail, the connection is usable. */
		struct db_stmt *st[2] = {db_prepare(c, "SELECT 1, pg_sleep(2)"),
					 db_prepare(c, "SELECT 2")};
		int rcs[2] = {9, 9};
		if (CHECK(st[0] && st[1])) {
			CHECK_EQ_INT(db_step_all(st, 2, rcs), -1);
			CHECK_EQ_INT(rcs[0], -1);
			CHECK_EQ_INT(rcs[1], -1);
			CHECK_EQ_INT(db_err_class(c), DB_ERR_UNAVAILABLE);
			CHECK_CONTAINS(db_errmsg(c), "statement timeout");
			db_reset(st[0]);
			db_reset(st[1]);
			CHECK(!db_conn_broken(c));
			CHECK_EQ_INT(unit_db_scalar(c, "SELECT 8"), 8);
		}
		db_release(c);
	}
	db_close(db);
}

/* libpq's notices reach the log as one time-stamped line, not raw. */
static void case_pg_notice(const char *url)
{
	struct db *db = unit_db_open(url, false);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	char *dir = unit_tmpdir();
	if (!c || !dir)
		goto out;
	char *path = xasprintf("%s/stderr", dir);
	fflush(stderr);
	int saved = dup(2);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	CHECK(EXEC(c, "DO $$ BEGIN RAISE WARNING 'atrium unit notice'; "
		      "END $$"));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char text[1024] = "";
	FILE *f = fopen(path, "r");
	if (CHECK(f != NULL)) {
		size_t n = fread(text, 1, sizeof text - 1, f);
		text[n] = 0;
		fclose(f);
	}
	CHECK_CONTAINS(text, "Z postgresql: WARNING:  atrium unit notice\n");
	CHECK(text[0] >= '2' && text[0] <= '9'); /* a time stamp first */
	CHECK(strchr(text, '\n') == text + strlen(text) - 1); /* one line */
	free(path);
out:
	db_release(c);
	if (dir) {
		unit_rmtree(dir);
		free(dir);
	}
	db_close(db);
}

TEST(db_pg_stale_connection) { unit_with_pg(case_pg_stale); }
TEST(db_pg_statement_timeout) { unit_with_pg(case_pg_statement_timeout); }
TEST(db_pg_notice_logged) { unit_with_pg(case_pg_notice); }
