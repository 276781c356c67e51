/* migrate.c — applies the embedded migrations of the database's dialect. */
#include "atrium.h"

#include "core/embedded.h"
#include "db/migrate.h"

static const char *dir_of(struct db *db)
{
	return db_dialect(db) == DB_SQLITE ? "migrations/sqlite/"
					   : "migrations/pg/";
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

static int apply_one(struct db_conn *c, const struct embedded_file *f,
		     const char *version, bool *did, struct atr_err *err)
{
	*did = false;
	if (db_begin(c) < 0)
		goto fail;
	if (db_conn_dialect(c) == DB_PG &&
	    db_exec(c, "SELECT pg_advisory_xact_lock(727274)") < 0)
		goto fail;
	bool applied;
	if (is_applied(c, version, &applied) < 0)
		goto fail;
	if (applied) {
		db_rollback(c);
		return 0;
	}
	if (db_exec(c, (const char *)f->data) < 0)
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
	return 0;
fail:
	atr_fail(err, ATR_E_INTERNAL, "migration %s failed: %s", version,
		 db_errmsg(c));
	db_rollback(c);
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
	int rc = ensure_table(c, err);
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
	db_release(c);
	return rc;
}

int migrate_pending(struct db *db, struct atr_err *err)
{
	struct db_conn *c = db_acquire(db, err);
	if (!c)
		return -1;
	int pending = 0;
	if (ensure_table(c, err) < 0) {
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
			pending = atr_fail(err, ATR_E_INTERNAL, "%s",
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
