/* db_pg_pipe.c — the PostgreSQL driver's step_all: several statements in
 * one round trip, in libpq's pipeline mode (db/db.h, db_step_all). */
#include "atrium.h"

#include <poll.h>

#include "db/db_pg_int.h"

/* Records why the pipeline lost its connection (w: what the wait returned,
 * 0 for the deadline) and marks it dead: closed at release. */
static void lose(struct db_pg_conn *c, int w)
{
	if (w == 0)
		db_pg_set_errf(c,
			       "postgresql did not answer within %d ms "
			       "(connection abandoned)",
			       c->wait_ms);
	else
		db_pg_set_err(c, NULL);
	c->dead = true;
}

/* Waits (within the deadline) until libpq holds the next result of a
 * pipeline and returns it; NULL is libpq's end-of-query marker, or a
 * failure with ok set false (the error recorded, the connection dead). */
static PGresult *db_pg_next(struct db_pg_conn *c, int64_t deadline, bool *ok)
{
	while (PQisBusy(c->pg)) {
		int w = db_pg_poll(c, POLLIN, deadline);
		if (w <= 0 || !PQconsumeInput(c->pg)) {
			lose(c, w);
			*ok = false;
			return NULL;
		}
	}
	return PQgetResult(c->pg);
}

/* Runs n fresh statements of one connection in one round trip (libpq's
 * pipeline mode: every Bind/Execute, then one Sync) and leaves each as
 * its first step would: rcs[i] is that step's 1, 0 or -1. Outside a
 * transaction the statements share the implicit one the Sync closes, so
 * they read one snapshot and a failure aborts those after it (their
 * rcs[i] is -1, the first error recorded). Returns 0 or -1. */
int db_pg_step_all(void **stmts, int n, int *rcs)
{
	struct db_pg_stmt **sts = (struct db_pg_stmt **)stmts;
	struct db_pg_conn *c = sts[0]->conn;
	bool ok = true, failed = false;
	int f;

	for (int i = 0; i < n; i++)
		if (sts[i]->state != ST_FRESH || sts[i]->bad_bind ||
		    sts[i]->conn != c)
			goto one_by_one;
	if (!db_pg_usable(c) || !PQenterPipelineMode(c->pg))
		goto one_by_one;
	/* The role and organisation first, when they changed: the same
	 * round trip. */
	char org[DB_PG_INTLEN];
	const char *vals[2];
	int nvals;
	bool sync = db_pg_sync_due(c);
	const char *sync_name =
	    sync ? db_pg_sync_args(c, org, vals, &nvals) : NULL;
	if (sync && !PQsendQueryPrepared(c->pg, sync_name, nvals, vals, NULL,
					 NULL, 0)) {
		db_pg_set_err(c, NULL);
		c->dead = true;
		goto dead;
	}
	for (int i = 0; i < n; i++)
		if (!PQsendQueryPrepared(c->pg, sts[i]->name, sts[i]->nparams,
					 (const char *const *)sts[i]->params,
					 NULL, NULL, 0)) {
			db_pg_set_err(c, NULL);
			c->dead = true;
			goto dead;
		}
	if (!PQpipelineSync(c->pg)) {
		db_pg_set_err(c, NULL);
		c->dead = true;
		goto dead;
	}
	int64_t deadline =
	    c->wait_ms > 0 ? atr_mono_ns() + (int64_t)c->wait_ms * 1000000 : 0;
	while ((f = PQflush(c->pg)) == 1) {
		int w = db_pg_poll(c, POLLOUT | POLLIN, deadline);
		if (w <= 0 || !PQconsumeInput(c->pg)) {
			lose(c, w);
			goto dead;
		}
	}
	if (f < 0) {
		db_pg_set_err(c, NULL);
		c->dead = true;
		goto dead;
	}
	if (sync) {
		PGresult *res = db_pg_next(c, deadline, &ok), *end;
		if (!ok || !res)
			goto dead;
		if ((end = db_pg_next(c, deadline, &ok)) != NULL || !ok) {
			PQclear(end);
			PQclear(res);
			goto dead;
		}
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			db_pg_set_err(c, res); /* the statements are aborted */
			failed = true;
		}
		PQclear(res);
	}
	for (int i = 0; i < n; i++) {
		struct db_pg_stmt *st = sts[i];
		PGresult *res = db_pg_next(c, deadline, &ok), *end;
		if (!ok || !res)
			goto dead;
		/* each query's results end with a NULL */
		if ((end = db_pg_next(c, deadline, &ok)) != NULL || !ok) {
			PQclear(end);
			PQclear(res);
			if (ok) {
				db_pg_set_errf(c, "postgresql sent more than "
						  "one result for a statement");
				c->dead = true;
			}
			goto dead;
		}
		st->res = res;
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
			st->ncols = PQnfields(res);
			st->row = 0;
			st->state = PQntuples(res) > 0 ? ST_ROWS : ST_DONE;
			rcs[i] = PQntuples(res) > 0;
			break;
		case PGRES_COMMAND_OK:
			st->state = ST_DONE;
			rcs[i] = 0;
			break;
		default: /* an error, or aborted by an earlier one */
			if (!failed &&
			    PQresultStatus(res) != PGRES_PIPELINE_ABORTED)
				db_pg_set_err(c, res);
			failed = true;
			PQclear(res);
			st->res = NULL;
			st->state = ST_FAILED;
			rcs[i] = -1;
			break;
		}
	}
	PGresult *end_sync = db_pg_next(c, deadline, &ok);
	if (!ok || PQresultStatus(end_sync) != PGRES_PIPELINE_SYNC) {
		PQclear(end_sync);
		if (ok) {
			db_pg_set_errf(c, "postgresql ended a pipeline "
					  "without its sync");
			c->dead = true;
		}
		goto dead;
	}
	PQclear(end_sync);
	if (!PQexitPipelineMode(c->pg)) {
		db_pg_set_err(c, NULL);
		c->dead = true;
		goto dead;
	}
	if (sync)
		db_pg_sync_after(c, !failed);
	return failed ? -1 : 0;
dead:
	db_pg_sync_after(c, false);
	/* A connection that lost its place in the pipeline is not used
	 * again (closed at release); every statement not yet answered
	 * fails with the error recorded. */
	for (int i = 0; i < n; i++)
		if (sts[i]->state == ST_FRESH) {
			sts[i]->state = ST_FAILED;
			rcs[i] = -1;
		}
	return -1;
one_by_one:
	/* db_pg_step's own pipeline of one sets the role and organisation
	 * before its statement. */
	for (int i = 0; i < n; i++)
		if ((rcs[i] = db_pg_step(sts[i])) < 0)
			failed = true;
	return failed ? -1 : 0;
}
