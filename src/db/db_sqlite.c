/* db_sqlite.c — the SQLite driver (the embedded default).
 *
 * Every connection runs with WAL, synchronous=FULL, foreign keys,
 * secure_delete and a busy timeout (DESIGN.md). Transactions are
 * BEGIN IMMEDIATE (db.c), so a writer takes the lock up front and waits on
 * the busy timeout instead of failing on a lock upgrade.
 *
 * On a full disk a connection may not even open (the WAL index needs
 * room): it opens read-only instead, so the node serves reads; its writes
 * fail as DB_ERR_FULL (507), and it is reopened read-write once there is
 * room (checked every few seconds, at hand-out).
 */
#include "atrium.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "core/buf.h"
#include "core/log.h"
#include "db/db_driver.h"

struct sq_conn {
	sqlite3 *db;
	char err[256];
	int errcode;
	int sys_errno; /* the OS error behind an I/O error, 0 if none */
	bool readonly_full; /* opened read-only: the disk was full */
	int64_t opened_ns;
};

/* A connection opened read-only on a full disk is reopened (read-write if
 * there is room again) after this long. */
#define SQ_RETRY_RW_NS (5 * 1000000000LL)

/* Connections open read-only because the disk was full. While there is
 * one, the others' "readonly database" errors have the same cause (the
 * WAL index they share is then kept in memory, read-only). */
static atomic_int sq_full_readonly;

struct sq_stmt {
	struct sq_conn *conn;
	sqlite3_stmt *st;
};

static void set_err(struct sq_conn *c)
{
	c->errcode = sqlite3_extended_errcode(c->db);
	c->sys_errno = sqlite3_system_errno(c->db);
	atr_strlcpy(c->err, sqlite3_errmsg(c->db), sizeof c->err);
}

/* SQLite's memory statistics take one process-wide mutex around every
 * allocation, which every connection's thread then queues on; nothing here
 * reads them (no sqlite3_memory_used, no soft heap limit). Set once, before
 * SQLite initialises itself; a process that initialised it already keeps
 * the default. */
static void sq_config_once(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Opens path read-write (or read-only) and sets the connection up. SQLITE_OK
 * or the error, with its message in errbuf and the OS error in *sys. */
static int sq_open(const char *path, bool readonly, sqlite3 **out,
		   char *errbuf, size_t errlen, int *sys)
{
	sqlite3 *db = NULL;
	char *uri = NULL;
	int flags = SQLITE_OPEN_NOMUTEX;
	const char *name = path;
	if (readonly) {
		/* readonly_shm: the -shm file is not written either, so a
		 * full disk that cannot hold it does not stop the reads
		 * (SQLite keeps the WAL index in memory instead). */
		struct buf b = BUF_INIT;
		buf_adds(&b, "file:");
		for (const char *p = path; *p; p++) {
			if (*p == '%' || *p == '?' || *p == '#')
				buf_printf(&b, "%%%02X", (unsigned char)*p);
			else
				buf_addc(&b, *p);
		}
		buf_adds(&b, "?readonly_shm=1");
		uri = buf_detach(&b);
		name = uri;
		flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
	} else {
		flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	}
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sq_config_once);
	int rc = sqlite3_open_v2(name, &db, flags, NULL);
	free(uri);
	char *msg = NULL;
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 10000);
		rc = sqlite3_exec(db,
				  readonly ? "PRAGMA foreign_keys=ON;"
					     "PRAGMA temp_store=MEMORY;"
					     "SELECT COUNT(*) FROM sqlite_schema;"
					   : "PRAGMA journal_mode=WAL;"
					     "PRAGMA synchronous=FULL;"
					     "PRAGMA foreign_keys=ON;"
					     "PRAGMA secure_delete=ON;"
					     "PRAGMA temp_store=MEMORY;",
				  NULL, NULL, &msg);
	}
	if (rc != SQLITE_OK) {
		*sys = db ? sqlite3_system_errno(db) : 0;
		snprintf(errbuf, errlen, "%s: %s", path,
			 msg ? msg : db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_free(msg);
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return SQLITE_OK;
}

static bool disk_full(int rc, int sys)
{
	return (rc & 0xff) == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT ||
	       sys == EFBIG;
}

static void *sq_connect(const char *path, const struct db_limits *lim,
			char *errbuf, size_t errlen)
{
	static struct atr_log_limit ro_log = ATR_LOG_LIMIT_INIT(60);
	sqlite3 *db = NULL;
	int sys = 0;
	int rc = sq_open(path, false, &db, errbuf, errlen, &sys);
	bool ro = false;
	if (rc != SQLITE_OK && disk_full(rc, sys)) {
		/* A full disk cannot hold the WAL index a writer needs: serve
		 * reads rather than nothing (writes answer 507). */
		char first[256];
		atr_strlcpy(first, errbuf, sizeof first);
		rc = sq_open(path, true, &db, errbuf, errlen, &sys);
		if (rc != SQLITE_OK)
			return NULL;
		ro = true;
		atr_log_limited(&ro_log,
				"sqlite: the disk is full (%s): the database is "
				"open read-only; writes fail until there is "
				"room",
				first);
	}
	if (rc != SQLITE_OK)
		return NULL;
	struct sq_conn *c = xcalloc(1, sizeof *c);
	c->db = db;
	c->readonly_full = ro;
	c->opened_ns = atr_mono_ns();
	if (ro)
		atomic_fetch_add(&sq_full_readonly, 1);
	return c;
}

static void sq_disconnect(void *conn)
{
	struct sq_conn *c = conn;
	if (c->readonly_full)
		atomic_fetch_sub(&sq_full_readonly, 1);
	sqlite3_close(c->db);
	free(c);
}

static int sq_exec(void *conn, const char *sql)
{
	struct sq_conn *c = conn;
	char *msg = NULL;
	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		c->errcode = sqlite3_extended_errcode(c->db);
		c->sys_errno = sqlite3_system_errno(c->db);
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

static void sq_bind_blob(void *stmt, int idx, const void *p, size_t n)
{
	struct sq_stmt *s = stmt;
	/* A zero-length blob, not NULL, even when p is NULL. */
	sqlite3_bind_blob64(s->st, idx, n ? p : "", (sqlite3_uint64)n,
			    SQLITE_TRANSIENT);
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

static const void *sq_col_blob(void *stmt, int col, size_t *n)
{
	sqlite3_stmt *st = ((struct sq_stmt *)stmt)->st;
	const void *p = sqlite3_column_blob(st, col);
	*n = p ? (size_t)sqlite3_column_bytes(st, col) : 0;
	return p;
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

static enum db_err_class sq_err_class(void *conn)
{
	const struct sq_conn *c = conn;
	switch (c->errcode & 0xff) {
	case SQLITE_OK:
		return DB_ERR_NONE;
	case SQLITE_FULL:
		return DB_ERR_FULL;
	case SQLITE_IOERR:
		/* A write past a quota or a file-size limit fails as an I/O
		 * error, not as SQLITE_FULL; it is the same condition. */
		if (c->sys_errno == ENOSPC || c->sys_errno == EDQUOT ||
		    c->sys_errno == EFBIG)
			return DB_ERR_FULL;
		return DB_ERR_UNAVAILABLE;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return DB_ERR_CORRUPT;
	case SQLITE_READONLY:
		return c->readonly_full || atomic_load(&sq_full_readonly) > 0
			       ? DB_ERR_FULL
			       : DB_ERR_UNAVAILABLE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_CANTOPEN:
	case SQLITE_NOMEM:
	case SQLITE_INTERRUPT:
	case SQLITE_PROTOCOL:
		return DB_ERR_UNAVAILABLE;
	default:
		return DB_ERR_OTHER;
	}
}

/* Only a read-only connection of a full disk is "broken": after a while
 * it is reopened, read-write when there is room again. */
static bool sq_broken(void *conn)
{
	const struct sq_conn *c = conn;
	return c->readonly_full && atr_mono_ns() - c->opened_ns > SQ_RETRY_RW_NS;
}

static bool sq_tx_active(void *conn)
{
	return !sqlite3_get_autocommit(((struct sq_conn *)conn)->db);
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
	.bind_blob = sq_bind_blob,
	.step = sq_step,
	.col_count = sq_col_count,
	.col_name = sq_col_name,
	.col_text = sq_col_text,
	.col_int = sq_col_int,
	.col_null = sq_col_null,
	.col_blob = sq_col_blob,
	.reset = sq_reset,
	.errmsg = sq_errmsg,
	.err_unique = sq_err_unique,
	.err_fk = sq_err_fk,
	.err_class = sq_err_class,
	.broken = sq_broken,
	.tx_active = sq_tx_active,
};
