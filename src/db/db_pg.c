/* db_pg.c — the PostgreSQL driver, over libpq.
 *
 * SQL arrives with `?` placeholders and is rewritten to $1..$n before it is
 * prepared server-side under a per-connection name (s1, s2, ...). Parameters
 * travel as text and results come back as text, so the server does every
 * conversion; our schema stores booleans as INTEGER, so no type needs
 * special handling here.
 *
 * The whole result of a statement is fetched on the first step and then
 * walked row by row: simple, and our queries are bounded by LIMIT.
 *
 * Prepared statements belong to the server session: finalize only frees
 * client memory, and they vanish when the connection closes. (libpq 15 has
 * no PQclosePrepared, and a DEALLOCATE inside an aborted transaction would
 * fail and overwrite the error the caller is about to read.)
 *
 * Time: libpq waits forever on a server that stopped answering (a frozen
 * or unreachable host keeps the TCP connection open). So connections are
 * opened with connect_timeout, run with a server-side statement_timeout,
 * and every round trip is sent asynchronously and waited for with poll()
 * until statement_timeout plus a second: past that the connection is
 * abandoned (closed at release), never waited on again. libpq's notices
 * go to the server's log, one line each.
 */
#include "atrium.h"

#include "core/log.h"
#include "db/db_driver.h"
#include "db/db_pg_int.h"

#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <sodium.h>

/* Copies msg into dst as one line: interior newlines and tabs become single
 * spaces and trailing whitespace is dropped (libpq ends messages with \n). */
static void db_pg_oneline(char *dst, size_t size, const char *msg)
{
	size_t o = 0;
	bool space = false;

	if (!size)
		return;
	for (; *msg && o + 1 < size; msg++) {
		if (*msg == '\n' || *msg == '\r' || *msg == '\t') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < size)
			dst[o++] = ' ';
		space = false;
		dst[o++] = *msg;
	}
	while (o > 0 && isspace((unsigned char)dst[o - 1]))
		o--;
	dst[o] = 0;
}

/* Records an error on the connection; res may be NULL (then the message
 * comes from the connection and there is no SQLSTATE). */
void db_pg_set_err(struct db_pg_conn *c, const PGresult *res)
{
	const char *msg = NULL, *state = NULL;

	if (res) {
		/* The primary message only: DETAIL quotes row values (emails,
		 * names) that must not reach the logs. */
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (!msg || !*msg)
			msg = PQresultErrorMessage(res);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	}
	if (!msg || !*msg)
		msg = PQerrorMessage(c->pg);
	if (!msg || !*msg)
		msg = "unknown postgresql error";
	db_pg_oneline(c->errmsg, sizeof(c->errmsg), msg);
	atr_strlcpy(c->sqlstate, state ? state : "", sizeof(c->sqlstate));
}

/* Records an error of our own (no SQLSTATE). */
void db_pg_set_errf(struct db_pg_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	c->sqlstate[0] = 0;
}

/* Waits until the socket has one of events or the deadline (monotonic
 * ns; 0: none) passes. 1 ready, 0 timed out, -1 error. */
int db_pg_poll(struct db_pg_conn *c, short events, int64_t deadline)
{
	struct pollfd p = {PQsocket(c->pg), events, 0};

	if (p.fd < 0)
		return -1;
	for (;;) {
		int ms = -1;
		if (deadline) {
			int64_t left = deadline - atr_mono_ns();
			if (left <= 0)
				return 0;
			ms = (int)((left + 999999) / 1000000);
		}
		int n = poll(&p, 1, ms);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static bool db_pg_is_error(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE ||
	       st == PGRES_NONFATAL_ERROR;
}

/* False (with the error recorded) when c must not be used: it was lost or
 * abandoned. */
bool db_pg_usable(struct db_pg_conn *c)
{
	if (c->dead || PQstatus(c->pg) != CONNECTION_OK) {
		c->dead = true;
		db_pg_set_errf(c, "the connection to postgresql was lost");
		return false;
	}
	return true;
}

/* Collects the result of what was just sent, as PQexec would (the first
 * error result wins, otherwise the last result), within c->wait_ms.
 * Returns it (the caller clears it) or NULL with the error recorded and
 * the connection marked dead (lost, or no answer in time). */
static PGresult *db_pg_wait(struct db_pg_conn *c)
{
	int64_t deadline = c->wait_ms > 0 ? atr_mono_ns() +
						    (int64_t)c->wait_ms * 1000000
					  : 0;
	PGresult *keep = NULL, *res;
	int f, w = -1;

	while ((f = PQflush(c->pg)) == 1) {
		if ((w = db_pg_poll(c, POLLOUT | POLLIN, deadline)) <= 0)
			goto fail;
		if (!PQconsumeInput(c->pg))
			goto lost;
	}
	if (f < 0)
		goto lost;
	for (;;) {
		while (PQisBusy(c->pg)) {
			if ((w = db_pg_poll(c, POLLIN, deadline)) <= 0)
				goto fail;
			if (!PQconsumeInput(c->pg))
				goto lost;
		}
		res = PQgetResult(c->pg);
		if (!res)
			break;
		if (keep && db_pg_is_error(keep)) {
			PQclear(res);
		} else {
			PQclear(keep);
			keep = res;
		}
	}
	if (!keep)
		goto lost;
	return keep;
fail:
	if (w == 0) {
		PQclear(keep);
		c->dead = true;
		db_pg_set_errf(c, "postgresql did not answer within %d ms "
				  "(connection abandoned)",
			       c->wait_ms);
		return NULL;
	}
lost:
	/* The server's own last word (a FATAL on shutdown) explains more
	 * than "server closed the connection unexpectedly". */
	if (keep && db_pg_is_error(keep))
		db_pg_set_err(c, keep);
	else
		db_pg_set_err(c, NULL);
	PQclear(keep);
	c->dead = true;
	return NULL;
}

/* Runs one parameterless command (or a script); 0 on success, -1 with
 * the error recorded. */
static int db_pg_run(struct db_pg_conn *c, const char *sql)
{
	PGresult *res;
	int rc = -1;
	char *text = NULL;

	if (!db_pg_usable(c))
		return -1;
	/* The role or organisation changed: set in front of the command,
	 * in the same message (a BEGIN after them takes them into its
	 * transaction: db_pg_sync_after sees that and trusts them only
	 * until it ends). The values are ours: a role name checked by
	 * db_set_role, and a number or "all". */
	bool sync = db_pg_sync_due(c);
	if (sync) {
		char org[DB_PG_INTLEN];
		const char *vals[2];
		int nvals;
		db_pg_sync_args(c, org, vals, &nvals);
		text = xasprintf("SELECT set_config('role', '%s', false), "
				 "set_config('atrium.org', '%s', false); %s",
				 vals[1], org, sql);
		sql = text;
	}
	if (!PQsendQuery(c->pg, sql)) {
		db_pg_set_err(c, NULL);
		free(text);
		if (sync)
			db_pg_sync_after(c, false);
		return -1;
	}
	free(text);
	if (!(res = db_pg_wait(c))) {
		if (sync)
			db_pg_sync_after(c, false);
		return -1;
	}
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY: /* a script of comments only, as SQLite allows */
		rc = 0;
		break;
	default:
		db_pg_set_err(c, res);
		break;
	}
	PQclear(res);
	if (sync)
		db_pg_sync_after(c, rc == 0);
	return rc;
}

/* Prepares the statement that sets the role and organisation
 * (db_pg_int.h), on a new connection. 0 or -1 (error recorded). */
static int prepare_sync(struct db_pg_conn *c)
{
	if (!PQsendPrepare(c->pg, db_pg_sync_name, db_pg_sync_text, 0, NULL)) {
		db_pg_set_err(c, NULL);
		return -1;
	}
	PGresult *res = db_pg_wait(c);
	if (!res)
		return -1;
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc < 0)
		db_pg_set_err(c, res);
	PQclear(res);
	return rc;
}

/* libpq's notices (warnings, and the server's last word before it closes
 * an idle connection: at most one per pooled connection on a restart) go
 * to our log, one time-stamped line each, instead of raw to stderr. */
static void db_pg_notice(void *arg, const char *message)
{
	atr_log("postgresql: %s", message);
}

/* Opens one connection from a libpq URI within lim; returns it (freed by
 * disconnect) or NULL with the message in errbuf. */
static void *db_pg_connect(const char *url, const struct db_limits *lim,
			   char *errbuf, size_t errlen)
{
	struct db_pg_conn *c;
	const char *keys[3], *vals[3];
	char timeout[16], sql[64];
	int n = 0;

	/* connect_timeout first: a value in the URL itself wins. */
	if (lim && lim->connect_timeout_s > 0) {
		snprintf(timeout, sizeof(timeout), "%d",
			 lim->connect_timeout_s);
		keys[n] = "connect_timeout";
		vals[n++] = timeout;
	}
	keys[n] = "dbname";
	vals[n++] = url;
	keys[n] = vals[n] = NULL;
	PGconn *pg = PQconnectdbParams(keys, vals, 1);

	if (!pg) {
		atr_strlcpy(errbuf, "postgresql: out of memory", errlen);
		return NULL;
	}
	if (PQstatus(pg) != CONNECTION_OK) {
		db_pg_oneline(errbuf, errlen, PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	PQsetNoticeProcessor(pg, db_pg_notice, NULL);
	c = xcalloc(1, sizeof(*c));
	c->pg = pg;
	int stmt_ms = lim ? lim->statement_timeout_ms : 0;
	if (stmt_ms > 0)
		c->wait_ms = stmt_ms + DB_PG_GRACE_MS;
	else if (lim && lim->connect_timeout_s > 0)
		c->wait_ms = lim->connect_timeout_s * 1000; /* the SETs */
	snprintf(sql, sizeof(sql), "SET statement_timeout = %d", stmt_ms);
	if (PQsetnonblocking(pg, 1) != 0) {
		db_pg_oneline(errbuf, errlen, PQerrorMessage(pg));
		goto fail;
	}
	c->have_known = true; /* nothing to set with these */
	if (db_pg_run(c, "SET client_min_messages = warning") < 0 ||
	    db_pg_run(c, "SET TIME ZONE 'UTC'") < 0 || db_pg_run(c, sql) < 0 ||
	    prepare_sync(c) < 0) {
		atr_strlcpy(errbuf, c->errmsg, errlen);
		goto fail;
	}
	c->have_known = false; /* atrium.org is unset yet */
	c->wait_ms = stmt_ms > 0 ? stmt_ms + DB_PG_GRACE_MS : 0;
	return c;
fail:
	PQfinish(pg);
	free(c);
	return NULL;
}

static void db_pg_disconnect(void *conn)
{
	struct db_pg_conn *c = conn;

	if (!c)
		return;
	PQfinish(c->pg);
	free(c);
}

static int db_pg_exec(void *conn, const char *sql)
{
	return db_pg_run(conn, sql);
}

/* Records the role and organisation the next round trip runs as (sent
 * with it: db_pg_rls.c). */
static void db_pg_session(void *conn, const char *role, int64_t org)
{
	struct db_pg_conn *c = conn;

	atr_strlcpy(c->role, role ? role : "", sizeof c->role);
	c->org = org;
}

static void *db_pg_prepare(void *conn, const char *sql)
{
	struct db_pg_conn *c = conn;
	struct db_pg_stmt *st = NULL;
	PGresult *res;
	char *text;
	int np;

	text = xmalloc(db_pg_rewrite(sql, NULL, &np) + 1);
	db_pg_rewrite(sql, text, &np);

	st = xcalloc(1, sizeof(*st));
	st->conn = c;
	st->nparams = np;
	st->params = xcalloc((size_t)np, sizeof(*st->params));
	st->row = -1;
	snprintf(st->name, sizeof(st->name), "s%lu", ++c->nstmt);

	if (!db_pg_usable(c))
		goto fail;
	if (!PQsendPrepare(c->pg, st->name, text, 0, NULL)) {
		db_pg_set_err(c, NULL);
		goto fail;
	}
	if (!(res = db_pg_wait(c)))
		goto fail;
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_pg_set_err(c, res);
		PQclear(res);
		goto fail;
	}
	PQclear(res);

	/* One round trip per cached statement buys column names before the
	 * first step, as SQLite gives them. */
	if (!PQsendDescribePrepared(c->pg, st->name)) {
		db_pg_set_err(c, NULL);
		goto fail;
	}
	if (!(st->desc = db_pg_wait(c)))
		goto fail;
	if (PQresultStatus(st->desc) != PGRES_COMMAND_OK) {
		db_pg_set_err(c, st->desc);
		goto fail;
	}
	st->ncols = PQnfields(st->desc);
	free(text);
	return st;
fail:
	free(text);
	PQclear(st->desc);
	free(st->params);
	free(st);
	return NULL;
}

static void db_pg_reset(void *stmt)
{
	struct db_pg_stmt *st = stmt;

	PQclear(st->res);
	st->res = NULL;
	if (st->blob)
		PQfreemem(st->blob);
	st->blob = NULL;
	for (int i = 0; i < st->nparams; i++) {
		free(st->params[i]);
		st->params[i] = NULL;
	}
	st->bad_bind = 0;
	st->row = -1;
	st->ncols = PQnfields(st->desc);
	st->state = ST_FRESH;
}

static void db_pg_finalize(void *stmt)
{
	struct db_pg_stmt *st = stmt;

	if (!st)
		return;
	db_pg_reset(st);
	PQclear(st->desc);
	free(st->params);
	free(st);
}

/* Takes ownership of v (NULL for SQL NULL) as parameter idx (1-based). An
 * index out of range fails the next step, as it is a bug in the caller. */
static void db_pg_bind(struct db_pg_stmt *st, int idx, char *v)
{
	if (idx < 1 || idx > st->nparams) {
		if (!st->bad_bind)
			st->bad_bind = idx ? idx : -1;
		free(v);
		return;
	}
	free(st->params[idx - 1]);
	st->params[idx - 1] = v;
}

static void db_pg_bind_text(void *stmt, int idx, const char *s)
{
	db_pg_bind(stmt, idx, s ? xstrdup(s) : NULL);
}

static void db_pg_bind_int(void *stmt, int idx, int64_t v)
{
	char buf[DB_PG_INTLEN];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	db_pg_bind(stmt, idx, xstrdup(buf));
}

static void db_pg_bind_null(void *stmt, int idx)
{
	db_pg_bind(stmt, idx, NULL);
}

/* Bytes go as BYTEA's text form, "\\x" and two hex digits a byte (the
 * parameters are text; the server converts to the column's type). */
static void db_pg_bind_blob(void *stmt, int idx, const void *p, size_t n)
{
	char *hex = xmalloc(2 * n + 3);
	memcpy(hex, "\\x", 2);
	sodium_bin2hex(hex + 2, 2 * n + 1, p, n);
	db_pg_bind(stmt, idx, hex);
}

/* Executes on the first call after reset, then yields one row per call:
 * 1 row, 0 done, -1 error (recorded on the connection). */
int db_pg_step(void *stmt)
{
	struct db_pg_stmt *st = stmt;
	struct db_pg_conn *c = st->conn;

	switch (st->state) {
	case ST_FRESH:
		break;
	case ST_ROWS:
		goto next;
	case ST_DONE:
		return 0;
	case ST_FAILED:
		return -1;
	}
	if (st->bad_bind) {
		db_pg_set_errf(c, "bind index %d out of range (statement has "
				  "%d parameters)", st->bad_bind, st->nparams);
		st->state = ST_FAILED;
		return -1;
	}
	if (!db_pg_usable(c)) {
		st->state = ST_FAILED;
		return -1;
	}
	/* The role or organisation changed: they ride in front of the
	 * statement, in a pipeline of the two. */
	if (db_pg_sync_due(c)) {
		int rc;
		db_pg_step_all((void **)&st, 1, &rc);
		return rc;
	}
	if (!PQsendQueryPrepared(c->pg, st->name, st->nparams,
				 (const char *const *)st->params, NULL, NULL,
				 0)) {
		db_pg_set_err(c, NULL);
		st->state = ST_FAILED;
		return -1;
	}
	if (!(st->res = db_pg_wait(c))) {
		st->state = ST_FAILED;
		return -1;
	}
	switch (PQresultStatus(st->res)) {
	case PGRES_TUPLES_OK:
		st->ncols = PQnfields(st->res);
		st->state = ST_ROWS;
		goto next;
	case PGRES_COMMAND_OK:
	case PGRES_EMPTY_QUERY:
		st->state = ST_DONE;
		return 0;
	default:
		db_pg_set_err(c, st->res);
		PQclear(st->res);
		st->res = NULL;
		st->state = ST_FAILED;
		return -1;
	}
next:
	if (++st->row < PQntuples(st->res))
		return 1;
	st->state = ST_DONE;
	return 0;
}

/* True when col names a column of the current row. */
static bool db_pg_has(const struct db_pg_stmt *st, int col)
{
	return st->res && st->row >= 0 && st->row < PQntuples(st->res) &&
	       col >= 0 && col < st->ncols;
}

static int db_pg_col_count(void *stmt)
{
	return ((struct db_pg_stmt *)stmt)->ncols;
}

static const char *db_pg_col_name(void *stmt, int col)
{
	struct db_pg_stmt *st = stmt;
	const PGresult *r = st->res ? st->res : st->desc;

	if (col < 0 || col >= PQnfields(r))
		return NULL;
	return PQfname(r, col);
}

static const char *db_pg_col_text(void *stmt, int col)
{
	struct db_pg_stmt *st = stmt;

	if (!db_pg_has(st, col) || PQgetisnull(st->res, st->row, col))
		return NULL;
	return PQgetvalue(st->res, st->row, col);
}

static int64_t db_pg_col_int(void *stmt, int col)
{
	const char *s = db_pg_col_text(stmt, col);

	if (!s)
		return 0;
	/* A boolean expression (x IS NOT NULL) comes back as t/f from
	 * PostgreSQL and as 1/0 from SQLite: read both as integers. */
	if (s[0] == 't' && !s[1])
		return 1;
	if (s[0] == 'f' && !s[1])
		return 0;
	return (int64_t)strtoll(s, NULL, 10);
}

static bool db_pg_col_null(void *stmt, int col)
{
	struct db_pg_stmt *st = stmt;

	return !db_pg_has(st, col) || PQgetisnull(st->res, st->row, col);
}

/* The column's text form decoded (hex or, with bytea_output = escape,
 * the escape form: PQunescapeBytea reads both). */
static const void *db_pg_col_blob(void *stmt, int col, size_t *n)
{
	struct db_pg_stmt *st = stmt;
	if (st->blob)
		PQfreemem(st->blob);
	st->blob = NULL;
	const char *s = db_pg_col_text(stmt, col);
	if (!s)
		return NULL;
	size_t len = 0;
	/* NULL when libpq cannot allocate or read it: no bytes. */
	st->blob = PQunescapeBytea((const unsigned char *)s, &len);
	*n = st->blob ? len : 0;
	return st->blob;
}

static const char *db_pg_errmsg(void *conn)
{
	return ((struct db_pg_conn *)conn)->errmsg;
}

static bool db_pg_err_unique(void *conn)
{
	return !strcmp(((struct db_pg_conn *)conn)->sqlstate, "23505");
}

static bool db_pg_err_fk(void *conn)
{
	return !strcmp(((struct db_pg_conn *)conn)->sqlstate, "23503");
}

/* The class of the last error, from the connection's state and the
 * SQLSTATE (PostgreSQL appendix A). */
static enum db_err_class db_pg_err_class(void *conn)
{
	const struct db_pg_conn *c = conn;
	const char *s = c->sqlstate;

	if (!c->errmsg[0])
		return DB_ERR_NONE;
	if (c->dead || PQstatus(c->pg) != CONNECTION_OK)
		return DB_ERR_UNAVAILABLE;
	if (!strcmp(s, "53100"))
		return DB_ERR_FULL; /* disk_full */
	if (!strcmp(s, "XX001") || !strcmp(s, "XX002"))
		return DB_ERR_CORRUPT; /* data_corrupted, index_corrupted */
	/* connection exceptions, shutdowns, statement timeout, out of
	 * connections or memory, serialization and lock failures: each
	 * may work when tried again */
	if (!strncmp(s, "08", 2) || !strncmp(s, "57P", 3) ||
	    !strcmp(s, "57014") || !strcmp(s, "53300") ||
	    !strcmp(s, "53200") || !strcmp(s, "40001") ||
	    !strcmp(s, "40P01") || !strcmp(s, "55P03") ||
	    !strcmp(s, "58030"))
		return DB_ERR_UNAVAILABLE;
	return DB_ERR_OTHER;
}

/* True when c cannot be used: lost, abandoned, or closed by the server
 * while it sat in the pool (a restart sends FATAL and closes; an idle
 * connection otherwise has nothing to read). */
static bool db_pg_broken(void *conn)
{
	struct db_pg_conn *c = conn;

	if (!c || c->dead || PQstatus(c->pg) != CONNECTION_OK)
		return true;
	struct pollfd p = {PQsocket(c->pg), POLLIN | POLLRDHUP, 0};
	if (p.fd < 0)
		return true;
	if (poll(&p, 1, 0) <= 0)
		return false;
	if (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK ||
	    (p.revents & (POLLHUP | POLLRDHUP | POLLERR))) {
		c->dead = true;
		return true;
	}
	(void)PQisBusy(c->pg); /* parses a notice, which goes to the log */
	return false;
}

const struct db_driver db_driver_pg = {
    .dialect = DB_PG,
    .name = "postgresql",
    .connect = db_pg_connect,
    .disconnect = db_pg_disconnect,
    .exec = db_pg_exec,
    .prepare = db_pg_prepare,
    .finalize = db_pg_finalize,
    .bind_text = db_pg_bind_text,
    .bind_int = db_pg_bind_int,
    .bind_null = db_pg_bind_null,
    .bind_blob = db_pg_bind_blob,
    .step = db_pg_step,
    .step_all = db_pg_step_all,
    .col_count = db_pg_col_count,
    .col_name = db_pg_col_name,
    .col_text = db_pg_col_text,
    .col_int = db_pg_col_int,
    .col_null = db_pg_col_null,
    .col_blob = db_pg_col_blob,
    .reset = db_pg_reset,
    .errmsg = db_pg_errmsg,
    .err_unique = db_pg_err_unique,
    .err_fk = db_pg_err_fk,
    .err_class = db_pg_err_class,
    .broken = db_pg_broken,
    .session = db_pg_session,
};
