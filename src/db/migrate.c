/* migrate.c — applies the embedded migrations of the database's dialect.
 *
 * PostgreSQL: the session advisory lock is taken before anything else,
 * the creation of schema_migrations included, so nodes migrating a fresh
 * database at once wait for each other instead of racing on the catalog.
 * SQLite: every migration runs under BEGIN IMMEDIATE (one writer).
 */
#include "atrium.h"

#include "core/embedded.h"
#include "db/migrate.h"

#define MIGRATE_LOCK_KEY "727274"
/* A SQLite migration that rebuilds tables other tables reference says so
 * with this line: it runs with foreign keys off (they cannot be turned
 * off inside a transaction, and with them on DROP TABLE would cascade),
 * and foreign_key_check must find nothing before it commits (SQLite's
 * twelve-step ALTER TABLE procedure). */
#define MARKER_FK_OFF "-- atrium: foreign-keys-off"

static const char *dir_of_dialect(enum db_dialect d)
{
	return d == DB_SQLITE ? "migrations/sqlite/" : "migrations/pg/";
}

static const char *dir_of(struct db *db)
{
	return dir_of_dialect(db_dialect(db));
}

/* The version of a migration is its file name without directory and .sql. */
static void version_of(const char *name, char *out, size_t n)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	atr_strlcpy(out, base, n);
	char *dot = strrchr(out, '.');
	if (dot)
		*dot = 0;
}

/* True when this binary carries migration version for db's dialect; last
 * gets the newest version it carries. */
static bool known_in(const char *dir, const char *version, char *last,
		     size_t n)
{
	bool found = false;
	for (const struct embedded_file *f = embedded_files; f->name; f++) {
		if (strncmp(f->name, dir, strlen(dir)) != 0)
			continue;
		char v[128];
		version_of(f->name, v, sizeof v);
		if (!strcmp(v, version))
			found = true;
		atr_strlcpy(last, v, n);
	}
	return found;
}

static bool known_version(struct db *db, const char *version, char *last,
			  size_t n)
{
	return known_in(dir_of(db), version, last, n);
}

bool migrate_known(enum db_dialect d, const char *version, char *last,
		   size_t n)
{
	char tmp[128];
	return known_in(dir_of_dialect(d), version, last ? last : tmp,
			last ? n : sizeof tmp);
}

/* 1 when schema_migrations exists, 0 when not, -1 with err. Reads only. */
static int has_table(struct db_conn *c, struct atr_err *err)
{
	const char *sql =
		db_conn_dialect(c) == DB_SQLITE
			? "SELECT 1 FROM sqlite_schema WHERE type = 'table' "
			  "AND name = 'schema_migrations'"
			: "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename "
			  "= 'schema_migrations' AND schemaname = "
			  "current_schema()";
	struct db_stmt *st = db_prepare(c, sql);
	int rc = st ? db_step(st) : -1;
	db_reset(st);
	if (rc < 0)
		return atr_fail(err, ATR_E_UNAVAILABLE,
				"cannot read the schema: %s", db_errmsg(c));
	return rc;
}

/* Fails when the database has a migration this binary does not know: it
 * was migrated by a newer release, whose schema this one must not touch.
 * 0, or -1 with one line naming both versions in err. */
static int check_not_newer(struct db *db, struct db_conn *c,
			   struct atr_err *err)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT version FROM schema_migrations ORDER BY version");
	if (!st)
		return atr_fail(err, ATR_E_UNAVAILABLE,
				"cannot read schema_migrations: %s",
				db_errmsg(c));
	char unknown[128] = "", last[128] = "(none)";
	int rc;
	while ((rc = db_step(st)) == 1) {
		const char *v = db_col_text(st, 0);
		if (v && !known_version(db, v, last, sizeof last))
			atr_strlcpy(unknown, v, sizeof unknown);
	}
	db_reset(st);
	if (rc < 0)
		return atr_fail(err, ATR_E_UNAVAILABLE,
				"cannot read schema_migrations: %s",
				db_errmsg(c));
	if (unknown[0])
		return atr_fail(err, ATR_E_CONFLICT,
				"the database schema is newer than this "
				"binary: it has migration %s, atrium %s knows "
				"migrations up to %s; run the newer release",
				unknown, ATR_VERSION, last);
	return 0;
}

static int is_applied(struct db_conn *c, const char *version, bool *applied)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT 1 FROM schema_migrations WHERE version = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, version);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	*applied = rc == 1;
	return 0;
}

/* PRAGMA foreign_key_check finds no row: 0; a dangling reference or an
 * error: -1 with err. */
static int fk_check(struct db_conn *c, const char *version,
		    struct atr_err *err)
{
	struct db_stmt *st = db_prepare(c, "PRAGMA foreign_key_check");
	int rc = st ? db_step(st) : -1;
	if (rc == 1)
		atr_fail(err, ATR_E_INTERNAL,
			 "migration %s failed: table %s row %lld refers to a "
			 "missing %s",
			 version, db_col_text(st, 0),
			 (long long)db_col_int(st, 1), db_col_text(st, 2));
	db_reset(st);
	return rc == 0 ? 0 : -1;
}

static int apply_one(struct db_conn *c, const struct embedded_file *f,
		     const char *version, bool *did, struct atr_err *err)
{
	*did = false;
	bool fk_off = db_conn_dialect(c) == DB_SQLITE &&
		      strstr((const char *)f->data, MARKER_FK_OFF);
	if (fk_off && db_exec(c, "PRAGMA foreign_keys = OFF") < 0)
		goto fail;
	if (db_begin_solo(c) < 0)
		goto fail;
	bool applied;
	if (is_applied(c, version, &applied) < 0)
		goto fail;
	if (applied) {
		db_rollback(c);
		goto out;
	}
	if (db_exec(c, (const char *)f->data) < 0)
		goto fail;
	if (fk_off && fk_check(c, version, err) < 0)
		goto fail;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO schema_migrations (version, applied_at) "
		   "VALUES (?, ?)");
	if (!st)
		goto fail;
	db_bind_text(st, 1, version);
	db_bind_text(st, 2, now);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 || db_commit(c) < 0)
		goto fail;
	*did = true;
out:
	if (fk_off && db_exec(c, "PRAGMA foreign_keys = ON") < 0)
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot turn foreign keys back on: %s",
				db_errmsg(c));
	return 0;
fail:
	atr_fail(err, ATR_E_INTERNAL, "migration %s failed: %s", version,
		 db_errmsg(c));
	db_rollback(c);
	if (fk_off)
		db_exec(c, "PRAGMA foreign_keys = ON");
	return -1;
}

static int ensure_table(struct db_conn *c, struct atr_err *err)
{
	if (db_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		       "version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)") <
	    0)
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot create schema_migrations: %s",
				db_errmsg(c));
	return 0;
}

int migrate_run(struct db *db, int *applied, struct atr_err *err)
{
	*applied = 0;
	struct db_conn *c = db_acquire(db, err);
	if (!c)
		return -1;
	bool locked = false;
	int rc = 0;
	if (db_dialect(db) == DB_PG) {
		/* Held for the whole run, released below (the connection
		 * goes back to the pool). */
		if (db_exec(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY
			       ")") < 0) {
			rc = atr_fail(err, ATR_E_INTERNAL,
				      "cannot take the migration lock: %s",
				      db_errmsg(c));
			goto out;
		}
		locked = true;
	}
	if ((rc = ensure_table(c, err)) < 0 ||
	    (rc = check_not_newer(db, c, err)) < 0)
		goto out;
	const char *dir = dir_of(db);
	for (const struct embedded_file *f = embedded_files; !rc && f->name;
	     f++) {
		if (strncmp(f->name, dir, strlen(dir)) != 0)
			continue;
		char version[128];
		version_of(f->name, version, sizeof version);
		bool did;
		rc = apply_one(c, f, version, &did, err);
		if (did)
			(*applied)++;
	}
out:
	if (locked)
		db_exec(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
	db_release(c);
	return rc;
}

int migrate_pending(struct db *db, struct atr_err *err)
{
	struct db_conn *c = db_acquire(db, err);
	if (!c)
		return -1;
	int pending = has_table(c, err);
	if (pending <= 0) {
		pending = pending < 0 ? -1 : 1; /* no table: a fresh database */
		goto out;
	}
	pending = 0;
	if (check_not_newer(db, c, err) < 0) {
		pending = -1;
		goto out;
	}
	const char *dir = dir_of(db);
	for (const struct embedded_file *f = embedded_files; f->name; f++) {
		if (strncmp(f->name, dir, strlen(dir)) != 0)
			continue;
		char version[128];
		version_of(f->name, version, sizeof version);
		bool applied;
		if (is_applied(c, version, &applied) < 0) {
			pending = atr_fail(err, ATR_E_UNAVAILABLE, "%s",
					   db_errmsg(c));
			goto out;
		}
		if (!applied) {
			pending = 1;
			break;
		}
	}
out:
	db_release(c);
	return pending;
}
