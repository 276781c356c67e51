/* db_pg_int.h — what the PostgreSQL driver's files share (db_pg.c: the
 * connection, statements and results; db_pg_pipe.c: several statements in
 * one round trip). Not for use outside src/db. */
#ifndef ATR_DB_PG_INT_H
#define ATR_DB_PG_INT_H

#include "atrium.h"

#include <libpq-fe.h>

#define DB_PG_ERRLEN 512
#define DB_PG_INTLEN 24 /* "-9223372036854775808" plus NUL, rounded up */
/* How much longer than statement_timeout the client waits for the
 * server's own cancellation before it gives up on the connection. */
#define DB_PG_GRACE_MS 1000
#define DB_PG_ROLELEN 64

struct db_pg_conn {
	PGconn *pg;
	unsigned long nstmt;          /* names the next statement s<n+1> */
	char errmsg[DB_PG_ERRLEN];    /* last error, "" when none yet */
	char sqlstate[6];             /* its SQLSTATE, "" when it had none */
	int wait_ms;                  /* a round trip's bound; 0: none */
	bool dead;                    /* lost or abandoned: close it */
	/* Row-level security (db_set_role, db_conn_org): the role and the
	 * organisation the next round trip must run as, and what the
	 * server holds. have_known false: not sure (a failed round trip or
	 * a transaction that may roll back could have undone them);
	 * set_in_tx: last set inside a transaction. Sent with the next
	 * round trip when they differ (db_pg_sync). */
	char role[DB_PG_ROLELEN], have_role[DB_PG_ROLELEN];
	int64_t org, have_org;
	bool have_known, set_in_tx;
};

enum db_pg_state { ST_FRESH, ST_ROWS, ST_DONE, ST_FAILED };

struct db_pg_stmt {
	struct db_pg_conn *conn;
	char name[24];
	int nparams;
	char **params;                /* owned; NULL is SQL NULL */
	int bad_bind;                 /* first out-of-range index, 0 if none */
	PGresult *desc;               /* column names before the first step */
	PGresult *res;                /* the current result, NULL before step */
	int row;                      /* current row in res, -1 before the first */
	int ncols;
	enum db_pg_state state;
	unsigned char *blob;          /* the last col_blob (PQfreemem) */
};

/* Records the error of res (NULL: the connection's) on c. */
void db_pg_set_err(struct db_pg_conn *c, const PGresult *res);
void db_pg_set_errf(struct db_pg_conn *c, const char *fmt, ...)
	ATR_PRINTF(2, 3);
/* Waits until the socket has one of events or the deadline (monotonic
 * ns; 0: none) passes. 1 ready, 0 timed out, -1 error. */
int db_pg_poll(struct db_pg_conn *c, short events, int64_t deadline);
/* False (with the error recorded) when c must not be used. */
bool db_pg_usable(struct db_pg_conn *c);
/* Row-level security: whether the next round trip must first set the
 * role and organisation; db_pg_sync_args gives the name of the prepared
 * statement that does it (parameter $1 the organisation, $2 the role,
 * "none" for the login role) with its values in vals[2] (org holds the
 * text of the first); db_pg_sync_after records what the round trip did
 * (ok: it succeeded). db_pg_sync_name and db_pg_sync_text: that
 * statement, prepared on every new connection. */
extern const char db_pg_sync_name[], db_pg_sync_text[];
bool db_pg_sync_due(struct db_pg_conn *c);
const char *db_pg_sync_args(struct db_pg_conn *c, char org[DB_PG_INTLEN],
			    const char *vals[2], int *nvals);
void db_pg_sync_after(struct db_pg_conn *c, bool ok);
/* The driver's step (db_driver.h). */
int db_pg_step(void *stmt);
/* The driver's step_all (db_pg_pipe.c). */
int db_pg_step_all(void **stmts, int n, int *rcs);

#endif
