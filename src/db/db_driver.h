/* db_driver.h — what a database driver provides to the db.c facade.
 *
 * The facade owns the pool, the per-connection statement cache, the
 * transaction flag and the error counter; a driver only talks to its
 * library. To add a driver: implement this vtable in db_<name>.c, add its
 * URL scheme in db.c's db_open.
 */
#ifndef ATR_DB_DRIVER_H
#define ATR_DB_DRIVER_H

#include "atrium.h"

#include "db.h"

struct db_driver {
	enum db_dialect dialect;
	const char *name;
	/* Opens one connection within lim; returns the driver handle or
	 * NULL with a message in errbuf. */
	void *(*connect)(const char *url, const struct db_limits *lim,
			 char *errbuf, size_t errlen);
	void (*disconnect)(void *conn);
	/* Runs a parameterless script; 0 or -1 (message via errmsg). */
	int (*exec)(void *conn, const char *sql);
	/* Prepares one statement written with `?` placeholders. */
	void *(*prepare)(void *conn, const char *sql);
	void (*finalize)(void *stmt);
	void (*bind_text)(void *stmt, int idx, const char *s);
	void (*bind_int)(void *stmt, int idx, int64_t v);
	void (*bind_null)(void *stmt, int idx);
	void (*bind_blob)(void *stmt, int idx, const void *p, size_t n);
	int (*step)(void *stmt); /* 1 row, 0 done, -1 error */
	/* Optional: the first step of n fresh statements of one connection
	 * in one round trip; rcs[i] as step's. 0, or -1 if any failed. NULL:
	 * the facade steps them one by one. */
	int (*step_all)(void **stmts, int n, int *rcs);
	int (*col_count)(void *stmt);
	const char *(*col_name)(void *stmt, int col);
	const char *(*col_text)(void *stmt, int col);
	int64_t (*col_int)(void *stmt, int col);
	bool (*col_null)(void *stmt, int col);
	/* Bytes valid until the next col_blob, step or reset. */
	const void *(*col_blob)(void *stmt, int col, size_t *n);
	void (*reset)(void *stmt);
	const char *(*errmsg)(void *conn);
	bool (*err_unique)(void *conn);
	bool (*err_fk)(void *conn); /* a foreign-key violation */
	/* True when the connection is broken and must be reopened. */
	/* The class of the last error (db.h). */
	enum db_err_class (*err_class)(void *conn);
	/* True when the connection is broken and must be reopened; may
	 * look at the socket (a server restart leaves pooled connections
	 * closed by the peer). */
	bool (*broken)(void *conn);
	/* True while a transaction is open on the connection (SQLite: not in
	 * autocommit; it ends one by itself on a full disk or an I/O error).
	 * May be NULL where unused (PostgreSQL). */
	bool (*tx_active)(void *conn);
	/* Optional: the role and organisation (0: all) the connection's
	 * statements run as from its next round trip, for row-level
	 * security (db_set_role, db_conn_org). NULL: the driver has none. */
	void (*session)(void *conn, const char *role, int64_t org);
};

extern const struct db_driver db_driver_sqlite;
extern const struct db_driver db_driver_pg;

/* PostgreSQL: rewrites `?` placeholders outside literals, identifiers and
 * comments to $1..$n (db_pg_sql.c). Writes into out when it is not NULL
 * (it must hold the returned length plus one); returns the rewritten
 * length and sets *nparams. */
size_t db_pg_rewrite(const char *sql, char *out, int *nparams);

#endif
