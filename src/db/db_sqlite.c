/* db_sqlite.c — the SQLite driver (the embedded default).
 *
 * Every connection runs with WAL, synchronous=FULL, foreign keys,
 * secure_delete and a busy timeout (DESIGN.md). Transactions are
 * BEGIN IMMEDIATE (db.c), so a writer takes the lock up front and waits on
 * the busy timeout instead of failing on a lock upgrade.
 */
#include "atrium.h"

#include <sqlite3.h>

#include "db/db_driver.h"

struct sq_conn {
	sqlite3 *db;
	char err[256];
	int errcode;
};

struct sq_stmt {
	struct sq_conn *conn;
	sqlite3_stmt *st;
};

static void set_err(struct sq_conn *c)
{
	c->errcode = sqlite3_extended_errcode(c->db);
	atr_strlcpy(c->err, sqlite3_errmsg(c->db), sizeof c->err);
}

static void *sq_connect(const char *path, char *errbuf, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					 SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		snprintf(errbuf, errlen, "%s: %s", path,
			 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	char *msg = NULL;
	rc = sqlite3_exec(db,
			  "PRAGMA journal_mode=WAL;"
			  "PRAGMA synchronous=FULL;"
			  "PRAGMA foreign_keys=ON;"
			  "PRAGMA secure_delete=ON;"
			  "PRAGMA temp_store=MEMORY;",
			  NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(errbuf, errlen, "%s: %s", path,
			 msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		sqlite3_close(db);
		return NULL;
	}
	struct sq_conn *c = xcalloc(1, sizeof *c);
	c->db = db;
	return c;
}

static void sq_disconnect(void *conn)
{
	struct sq_conn *c = conn;
	sqlite3_close(c->db);
	free(c);
}

static int sq_exec(void *conn, const char *sql)
{
	struct sq_conn *c = conn;
	char *msg = NULL;
	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		c->errcode = sqlite3_extended_errcode(c->db);
		atr_strlcpy(c->err, msg ? msg : "error", sizeof c->err);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static void *sq_prepare(void *conn, const char *sql)
{
	struct sq_conn *c = conn;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			       NULL) != SQLITE_OK) {
		set_err(c);
		return NULL;
	}
	struct sq_stmt *s = xcalloc(1, sizeof *s);
	s->conn = c;
	s->st = st;
	return s;
}

static void sq_finalize(void *stmt)
{
	struct sq_stmt *s = stmt;
	sqlite3_finalize(s->st);
	free(s);
}

static void sq_bind_text(void *stmt, int idx, const char *v)
{
	struct sq_stmt *s = stmt;
	sqlite3_bind_text(s->st, idx, v, -1, SQLITE_TRANSIENT);
}

static void sq_bind_int(void *stmt, int idx, int64_t v)
{
	struct sq_stmt *s = stmt;
	sqlite3_bind_int64(s->st, idx, v);
}

static void sq_bind_null(void *stmt, int idx)
{
	struct sq_stmt *s = stmt;
	sqlite3_bind_null(s->st, idx);
}

static int sq_step(void *stmt)
{
	struct sq_stmt *s = stmt;
	int rc = sqlite3_step(s->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	set_err(s->conn);
	return -1;
}

static int sq_col_count(void *stmt)
{
	return sqlite3_column_count(((struct sq_stmt *)stmt)->st);
}

static const char *sq_col_name(void *stmt, int col)
{
	return sqlite3_column_name(((struct sq_stmt *)stmt)->st, col);
}

static const char *sq_col_text(void *stmt, int col)
{
	return (const char *)sqlite3_column_text(((struct sq_stmt *)stmt)->st,
						 col);
}

static int64_t sq_col_int(void *stmt, int col)
{
	return sqlite3_column_int64(((struct sq_stmt *)stmt)->st, col);
}

static bool sq_col_null(void *stmt, int col)
{
	return sqlite3_column_type(((struct sq_stmt *)stmt)->st, col) ==
	       SQLITE_NULL;
}

static void sq_reset(void *stmt)
{
	struct sq_stmt *s = stmt;
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
}

static const char *sq_errmsg(void *conn)
{
	return ((struct sq_conn *)conn)->err;
}

static bool sq_err_unique(void *conn)
{
	int ec = ((struct sq_conn *)conn)->errcode;
	return ec == SQLITE_CONSTRAINT_UNIQUE ||
	       ec == SQLITE_CONSTRAINT_PRIMARYKEY;
}

static bool sq_err_fk(void *conn)
{
	return ((struct sq_conn *)conn)->errcode == SQLITE_CONSTRAINT_FOREIGNKEY;
}

static bool sq_broken(void *conn)
{
	return false;
}

const struct db_driver db_driver_sqlite = {
	.dialect = DB_SQLITE,
	.name = "sqlite",
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.bind_text = sq_bind_text,
	.bind_int = sq_bind_int,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.col_count = sq_col_count,
	.col_name = sq_col_name,
	.col_text = sq_col_text,
	.col_int = sq_col_int,
	.col_null = sq_col_null,
	.reset = sq_reset,
	.errmsg = sq_errmsg,
	.err_unique = sq_err_unique,
	.err_fk = sq_err_fk,
	.broken = sq_broken,
};
