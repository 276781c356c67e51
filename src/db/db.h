/* db.h — the one database interface, over SQLite and PostgreSQL.
 *
 * A `struct db` is a pool of connections opened from a URL:
 *   sqlite:./var/atrium.db        (also a bare path)
 *   postgresql://user@host:port/dbname?...   (libpq URI or postgres://)
 *
 * SQL is written once with `?` placeholders; the PostgreSQL driver rewrites
 * them to $1..$n when it prepares. Both dialects understand RETURNING,
 * ON CONFLICT and the types we use (BIGINT, INTEGER, TEXT; bytes are a BLOB
 * column on SQLite and BYTEA on PostgreSQL). DDL differs and lives in
 * migrations/<dialect>/.
 *
 * Statements are prepared once per connection and cached by their SQL text,
 * so callers simply call db_prepare with a constant string each time.
 *
 * Usage:
 *   struct db_conn *c = db_acquire(db, &err);   (NULL + err if unavailable)
 *   struct db_stmt *st = db_prepare(c, "SELECT name FROM lead WHERE id = ?");
 *   db_bind_int(st, 1, id);
 *   while ((rc = db_step(st)) == 1) use(db_col_text(st, 0));
 *   db_reset(st);                                (always, before reuse)
 *   db_release(c);
 *
 * Threads: a connection is used by one thread at a time (acquire/release);
 * the pool is thread-safe.
 */
#ifndef ATR_DB_H
#define ATR_DB_H

#include "atrium.h"

struct db;
struct db_conn;
struct db_stmt;

enum db_dialect { DB_SQLITE = 1, DB_PG = 2 };

/* What kind of failure the last error was; the pipeline maps it to a
 * status (a handler that answers 500 on DB_ERR_UNAVAILABLE answers 503). */
enum db_err_class {
	DB_ERR_NONE = 0,
	DB_ERR_OTHER,       /* a bug, a constraint: the caller decides */
	DB_ERR_UNAVAILABLE, /* connection lost or refused, the server shutting
			       down, a timeout, a lock not granted: retry */
	DB_ERR_FULL,        /* disk or quota full: 507 */
	DB_ERR_CORRUPT,     /* a damaged page or file */
};

/* Bounds on waiting for the database; 0 means no bound. */
struct db_limits {
	int connect_timeout_s;    /* opening a connection (PostgreSQL) */
	int statement_timeout_ms; /* one statement (PostgreSQL: server side,
				     and the client gives up a second later) */
	int acquire_timeout_ms;   /* waiting for a free pooled connection */
};

/* Opens a pool of up to pool_size connections (opened lazily), without
 * time limits (the CLI; migrations may legitimately run long). */
int db_open(const char *url, int pool_size, struct db **out,
	    struct atr_err *err);
/* The same with limits (lim may be NULL: none). */
int db_open_limits(const char *url, int pool_size,
		   const struct db_limits *lim, struct db **out,
		   struct atr_err *err);
/* Closes every connection; all must have been released. */
void db_close(struct db *db);
enum db_dialect db_dialect(const struct db *db);
const char *db_dialect_name(const struct db *db);

/* Waits (at most acquire_timeout_ms) until a connection is free. A pooled
 * connection is checked before it is handed out, and reopened when the
 * server closed it (a restart). Returns NULL and fills err (503, with
 * retry_after) when none is free in time or none can be opened. */
struct db_conn *db_acquire(struct db *db, struct atr_err *err);
/* Row-level security (PostgreSQL; SQLite ignores both). db_set_role: the
 * role (a name of [a-z0-9_], at most 63 characters; NULL: none) that a
 * connection bound to one organisation runs as, set before the pool
 * serves. db_conn_org: c's statements run for organisation org, as that
 * role, under the policies of docs/internals/organisations.md; 0: for
 * all organisations, as the login role (what db_acquire gives). Both
 * take effect with the next round trip and add none of their own. 0, or
 * -1 for a bad role name. */
int db_set_role(struct db *db, const char *role);
/* The role set by db_set_role ("" none). */
const char *db_role(const struct db *db);
void db_conn_org(struct db_conn *c, int64_t org);
/* on: c's statements run as the login role (the tables' owner, not bound
 * by the policies) until called with off: for the few statements of a
 * request that the application role may not run (DDL: a custom field's
 * index). */
void db_conn_as_owner(struct db_conn *c, bool on);
/* The organisation c runs for (0: all). */
int64_t db_conn_org_of(const struct db_conn *c);
/* Returns the connection to the pool. An open transaction is rolled back;
 * a broken connection is closed. */
void db_release(struct db_conn *c);
enum db_dialect db_conn_dialect(const struct db_conn *c);
/* The most parameters one statement of c should bind (multi-row INSERTs
 * size their batches by it): SQLite takes 32,766; PostgreSQL's protocol
 * 65,535, but libpq before 16 refuses a statement description longer than
 * 30,000 bytes (4 per parameter: "lost synchronization with server"), so
 * 7,000 there. */
int db_params_max(const struct db_conn *c);

/* Transactions. db_begin is BEGIN IMMEDIATE on SQLite (the write lock is
 * taken up front, so no deadlock upgrade later). 0 on success.
 *
 * SQLite with group commit on (db_set_group_commit): concurrent
 * transactions share one transaction on a writer connection, each a
 * savepoint in it (db_group.c). db_commit returns 0 only once the shared
 * COMMIT (the fsync) has returned; db_rollback undoes this transaction
 * only. Between db_begin and db_commit/db_rollback, prepare (again) every
 * statement the transaction runs and reset it before the end: a statement
 * prepared before db_begin, or used after the end, fails (it belongs to
 * another connection). A transaction stays on the thread that began it. */
int db_begin(struct db_conn *c);
/* The same, on SQLite always on c's own connection, alone: the open group
 * commits first. For a transaction that changes the connection's own
 * state before it begins (PRAGMA foreign_keys = OFF in a migration), and
 * for a long one (an import's rows), which would otherwise keep the
 * members before it waiting for the group's COMMIT until it ends. */
int db_begin_solo(struct db_conn *c);
int db_commit(struct db_conn *c);
int db_rollback(struct db_conn *c);
bool db_in_tx(const struct db_conn *c);

/* SQLite group commit (sqlite_group_commit): on or off; a no-op on
 * PostgreSQL. Call before the pool is shared between threads. max_members
 * bounds a group (0: 64). */
void db_set_group_commit(struct db *db, bool on, int max_members);
/* Group commits done and transactions committed through them since open
 * (both 0 when group commit is off or on PostgreSQL), and the threads
 * waiting for the writer turn now. */
struct db_group_stats {
	uint64_t commits, members;
	int waiting;
};
void db_group_stats(struct db *db, struct db_group_stats *out);

/* Runs a script of one or more statements without parameters. */
int db_exec(struct db_conn *c, const char *sql);

/* Returns the cached prepared statement for sql (NULL on error; see
 * db_errmsg). Owned by the connection: do not free. */
struct db_stmt *db_prepare(struct db_conn *c, const char *sql);
/* "INSERT ... VALUES (row), (row), ...": head, n copies of the tuple of
 * ncols parameters (after a fixed prefix inside each tuple, e.g. "2, "),
 * then tail: the text of a multi-row INSERT for db_prepare. Caller frees. */
char *db_multi_sql(const char *head, const char *fixed, int ncols, int n,
		   const char *tail);

/* Parameters are 1-based. Text is copied. */
void db_bind_text(struct db_stmt *st, int idx, const char *s);
void db_bind_int(struct db_stmt *st, int idx, int64_t v);
void db_bind_null(struct db_stmt *st, int idx);
/* Binds n bytes (copied) to a BLOB (SQLite) or BYTEA (PostgreSQL) column. */
void db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n);
/* Binds v when present, SQL NULL otherwise (optional body fields). */
void db_bind_opt_int(struct db_stmt *st, int idx, bool present, int64_t v);

/* 1 when a row is ready, 0 when done, -1 on error. */
int db_step(struct db_stmt *st);
/* The first db_step of n bound, not yet stepped statements of one
 * connection, all at once: on PostgreSQL one round trip (a pipeline)
 * instead of n, and outside a transaction one snapshot. rcs[i] is what
 * db_step returned for st[i]; further rows come from db_step. Returns 0,
 * or -1 when any failed (the first error recorded, later statements may
 * fail with it). For reads that do not depend on each other. */
int db_step_all(struct db_stmt **st, int n, int *rcs);

/* A guard: statements (bound, not stepped; at most DB_GUARD_MAX) sent in
 * the same round trip as the connection's next read (db_step or
 * db_step_all of fresh statements), and a check given their first steps
 * before that read's answer is: 0 lets it through, -1 fails it (the read
 * returns -1, db_guard_failed is then true). It lets a request read with
 * a guessed answer (a cached credential) and verify the guess in the same
 * round trip. db_guard_run runs a pending guard alone; db_begin, db_exec
 * and db_release run or drop it first, so nothing is written on an
 * unverified guess. The check resets nothing: the guard's statements are
 * reset after it. */
#define DB_GUARD_MAX 2
struct db_guard {
	struct db_stmt *st[DB_GUARD_MAX];
	int n;
	int (*check)(void *arg, struct db_stmt **st, const int *rcs);
	void *arg;
};
void db_guard_set(struct db_conn *c, const struct db_guard *g);
/* Whether a guard waits for a read. */
bool db_guard_pending(const struct db_conn *c);
/* Runs a pending guard by itself: 0 (none pending, or it passed), or -1
 * (its check said no: db_guard_failed; or the database failed). */
int db_guard_run(struct db_conn *c);
bool db_guard_failed(const struct db_conn *c);
int db_col_count(struct db_stmt *st);
const char *db_col_name(struct db_stmt *st, int col);
/* NULL for SQL NULL; valid until the next db_step or db_reset. */
const char *db_col_text(struct db_stmt *st, int col);
int64_t db_col_int(struct db_stmt *st, int col);
bool db_col_null(struct db_stmt *st, int col);
/* The bytes of a BLOB/BYTEA column, their count in *n; NULL (and *n 0) for
 * SQL NULL or no bytes. Owned by the statement: valid until the next
 * db_col_blob, db_step or db_reset on it. */
const void *db_col_blob(struct db_stmt *st, int col, size_t *n);
/* Clears bindings and results; the statement can be bound again. */
void db_reset(struct db_stmt *st);

/* The last error since the connection was acquired or the last
 * db_begin, "" when none. A rollback never replaces it: after SQLite rolled back by itself ("database or disk is full"), the
 * message stays that, not "cannot rollback - no transaction is active". */
const char *db_errmsg(struct db_conn *c);
/* True when the last error was a unique-constraint violation. */
bool db_err_unique(struct db_conn *c);
/* True when the last error was a foreign-key violation (a reference to a
 * row that is gone, or a row still referenced). */
bool db_err_fk(struct db_conn *c);
/* The class of the error db_errmsg reports (DB_ERR_NONE when none). */
enum db_err_class db_err_class(struct db_conn *c);
/* True when the connection is known to be unusable (lost, timed out). */
bool db_conn_broken(struct db_conn *c);

/* Count of database errors since start (for /metrics). */
uint64_t db_error_count(void);
/* Count of corruption errors (DB_ERR_CORRUPT) since start: readiness
 * turns 503 on the first, since a damaged page does not heal. */
uint64_t db_corrupt_count(void);
/* Pool figures for /metrics. */
void db_pool_stats(struct db *db, int *open, int *busy);

/* The tables of the schema that have a column named col (a plain
 * identifier), read from the database's catalog, ordered so that deleting
 * their rows in that order never breaks a reference that stops a delete
 * (NO ACTION, RESTRICT): a table comes before the tables it references so
 * (cascading and SET NULL references are the database's). *out gets a
 * malloc'd array of *nout malloc'd names (db_names_free). 0, or -1 with
 * err: a database error, a cycle, or a table without col that stops the
 * delete of rows of one with it (db_catalog.c). */
int db_tables_with(struct db_conn *c, const char *col, char ***out, int *nout,
		   struct atr_err *err);
void db_names_free(char **names, int n);

#endif
