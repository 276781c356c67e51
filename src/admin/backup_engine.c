/* backup_engine.c — making a backup, verifying one, restoring one
 * (backup.h).
 *
 * SQLite is reached through its own API here, not the db facade, where a
 * database file is handled as a whole: PRAGMA integrity_check of an
 * extracted copy, and the online backup API that loads a copy into the
 * target (the target's own locks apply, so a server that opened it
 * meanwhile cannot see half a database).
 */
#include "atrium.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/backup_int.h"
#include "core/activity.h"
#include "core/config.h"
#include "core/secret.h"
#include "db/db.h"
#include "db/migrate.h"

const char *bk_url_kind(const char *url)
{
	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11))
		return "postgresql";
	return "sqlite";
}

const char *bk_sqlite_path(const char *url)
{
	return !strncmp(url, "sqlite:", 7) ? url + 7 : url;
}

int bk_tmpdir(char *out, size_t n, struct atr_err *err)
{
	const char *base = getenv("TMPDIR");
	if (!base || !base[0])
		base = "/tmp";
	if ((size_t)snprintf(out, n, "%s/atrium-backup-XXXXXX", base) >= n)
		return atr_fail(err, ATR_E_INTERNAL, "TMPDIR is too long");
	if (!mkdtemp(out))
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot create a temporary directory in %s: %s",
				base, strerror(errno));
	return 0;
}

void bk_tmpdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* One text value of a query without parameters into out ("" when no row
 * or NULL). 1 found, 0 none, -1 error (a missing table is 0 when
 * missing_ok). */
static int one_text(struct db_conn *c, const char *sql, char *out, size_t n,
		    bool missing_ok)
{
	out[0] = 0;
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return missing_ok && db_err_class(c) != DB_ERR_UNAVAILABLE ? 0
									  : -1;
	int rc = db_step(st);
	if (rc == 1 && db_col_text(st, 0))
		atr_strlcpy(out, db_col_text(st, 0), n);
	db_reset(st);
	return rc;
}

/* ---- making a backup -------------------------------------------------------- */

/* Asked by SQLite every few thousand steps of the copy: non-zero ends
 * it (SQLITE_INTERRUPT). */
struct stop_ref {
	bool (*fn)(void);
};

static int copy_progress(void *arg)
{
	const struct stop_ref *s = arg;
	return s->fn && s->fn();
}

/* The consistent copy of the database into snap (an empty file): 0, -1
 * with err, -2 stopped. SQLite: a connection of its own (not the pool's:
 * its progress handler can end a long copy when the server stops), one
 * read transaction, so one moment of the WAL whatever is written
 * meanwhile; writers are not blocked. */
static int snapshot(struct db *db, const char *url, const char *snap,
		    bool (*stop)(void), struct atr_err *err)
{
	if (db_dialect(db) == DB_PG) {
		char file[4200];
		snprintf(file, sizeof file, "--file=%s", snap);
		const char *argv[] = {"pg_dump", "--format=custom",
				      "--no-password", file, NULL};
		return bk_pg_run(url, argv, stop, err);
	}
	const char *path = bk_sqlite_path(url);
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	struct stop_ref ref = {stop};
	int rc = sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(c, 10000);
		sqlite3_progress_handler(c, 1000, copy_progress, &ref);
		rc = sqlite3_prepare_v2(c, "VACUUM INTO ?", -1, &st, NULL);
	}
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, snap, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(c);
	}
	int out = 0;
	if (rc == SQLITE_INTERRUPT) {
		out = -2;
		atr_fail(err, ATR_E_UNAVAILABLE,
			 "the copy stopped: the server is stopping");
	} else if (rc != SQLITE_OK) {
		out = -1;
		atr_fail(err, rc == SQLITE_FULL ? ATR_E_STORAGE : ATR_E_INTERNAL,
			 "cannot copy the database: %s",
			 c ? sqlite3_errmsg(c) : sqlite3_errstr(rc));
	}
	sqlite3_finalize(st);
	sqlite3_close(c);
	return out;
}

int backup_make(struct db *db, const char *url, const char *out_path,
		bool (*stop)(void), struct backup_info *info,
		struct atr_err *err)
{
	memset(info, 0, sizeof *info);
	struct bk_manifest m = {0};
	atr_strlcpy(m.format, BK_FORMAT, sizeof m.format);
	atr_strlcpy(m.version, ATR_VERSION, sizeof m.version);
	bool pg = db_dialect(db) == DB_PG;
	atr_strlcpy(m.database, pg ? "postgresql" : "sqlite",
		    sizeof m.database);
	atr_strlcpy(m.member, pg ? BK_MEMBER_PG : BK_MEMBER_SQLITE,
		    sizeof m.member);
	if (gethostname(m.node, sizeof m.node - 1) != 0)
		atr_strlcpy(m.node, "unknown", sizeof m.node);
	struct db_conn *c = db_acquire(db, err);
	if (!c)
		return -1;
	int rc = one_text(c, "SELECT max(version) FROM schema_migrations",
			  m.schema, sizeof m.schema, false);
	if (rc == 1)
		rc = one_text(c, "SELECT mac FROM key_check WHERE id = 1",
			      m.key_check, sizeof m.key_check, true);
	if (rc < 0)
		atr_fail(err, ATR_E_UNAVAILABLE, "cannot read the schema: %s",
			 db_errmsg(c));
	db_release(c);
	if (rc < 0)
		return -1;
	if (!m.schema[0])
		return atr_fail(err, ATR_E_CONFLICT,
				"the database has no schema: nothing to back "
				"up (run atrium migrate first)");
	size_t n = strlen(out_path);
	char *snap = xmalloc(n + 16);
	snprintf(snap, n + 16, "%s.db-XXXXXX", out_path);
	int fd = mkstemp(snap);
	if (fd < 0) {
		rc = atr_fail(err, errno == ENOSPC ? ATR_E_STORAGE
						   : ATR_E_INTERNAL,
			      "cannot create '%s': %s", snap, strerror(errno));
		free(snap);
		return rc;
	}
	close(fd);
	atr_now_iso(m.created_at);
	rc = snapshot(db, url, snap, stop, err);
	if (rc == 0)
		rc = bk_sha256_file(snap, &m.bytes, m.sha256, err);
	if (rc == 0)
		rc = bk_write(out_path, &m, snap, &info->bytes, info->sha256,
			      err);
	unlink(snap);
	free(snap);
	if (rc < 0)
		return rc == -2 ? -2 : -1;
	atr_strlcpy(info->path, out_path, sizeof info->path);
	atr_strlcpy(info->schema, m.schema, sizeof info->schema);
	return 0;
}

/* ---- loading a copy into a database ------------------------------------------ */

/* Tables in the SQLite file path: >= 0, or -1 with err. A missing file has
 * none. */
static int sqlite_tables(const char *path, struct atr_err *err)
{
	struct stat sb;
	if (stat(path, &sb) < 0 && errno == ENOENT)
		return 0;
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	sqlite3_stmt *st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema",
					-1, &st, NULL);
	int n = -1;
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else
		atr_fail(err, ATR_E_INTERNAL, "cannot read '%s': %s", path,
			 db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Copies the SQLite file src into the empty database dst with the online
 * backup API. 0 or -1 with err. */
static int sqlite_load(const char *src, const char *dst, struct atr_err *err)
{
	int n = sqlite_tables(dst, err);
	if (n < 0)
		return -1;
	/* Restoring onto a new machine: ./var may not exist yet. */
	char dir[4096];
	atr_strlcpy(dir, dst, sizeof dir);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (bk_make_dirs(dir, err) < 0)
			return -1;
	}
	if (n > 0)
		return atr_fail(err, ATR_E_CONFLICT,
				"the database '%s' is not empty (%d tables and "
				"indexes): restore only into an empty database",
				dst, n);
	sqlite3 *from = NULL, *to = NULL;
	int rc = sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_open_v2(dst, &to,
				     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				     NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(to, 10000);
		sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
		if (!b) {
			rc = sqlite3_errcode(to);
		} else {
			rc = sqlite3_backup_step(b, -1);
			int f = sqlite3_backup_finish(b);
			rc = rc == SQLITE_DONE ? f : rc;
		}
	}
	if (rc != SQLITE_OK)
		atr_fail(err, rc == SQLITE_FULL ? ATR_E_STORAGE : ATR_E_INTERNAL,
			 "cannot restore into '%s': %s", dst,
			 to ? sqlite3_errmsg(to) : sqlite3_errstr(rc));
	sqlite3_close(from);
	sqlite3_close(to);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Loads the PostgreSQL dump into the empty database url: 0 or -1. */
static int pg_load(const char *dump, const char *url, struct atr_err *err)
{
	struct db *db = NULL;
	if (db_open(url, 1, &db, err) < 0)
		return -1;
	struct db_conn *c = db_acquire(db, err);
	int rc = -1;
	char name[256] = "", count[32] = "";
	if (!c)
		goto out;
	rc = one_text(c, "SELECT current_database()", name, sizeof name,
		      false);
	if (rc == 1)
		rc = one_text(
			c,
			"SELECT count(*)::text FROM pg_catalog.pg_class c JOIN "
			"pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
			"WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND "
			"n.nspname NOT IN ('pg_catalog', 'information_schema') "
			"AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT "
			"LIKE 'pg\\_temp%'",
			count, sizeof count, false);
	if (rc < 0) {
		atr_fail(err, ATR_E_UNAVAILABLE, "cannot read the database: %s",
			 db_errmsg(c));
		goto out;
	}
	db_release(c);
	c = NULL;
	if (strcmp(count, "0") != 0) {
		rc = atr_fail(err, ATR_E_CONFLICT,
			      "the database '%s' is not empty (%s tables, "
			      "views and sequences): restore only into an "
			      "empty database",
			      name, count);
		goto out;
	}
	char dbarg[300];
	snprintf(dbarg, sizeof dbarg, "--dbname=%s", name);
	const char *argv[] = {"pg_restore", "--no-owner", "--no-acl",
			      "--exit-on-error", "--single-transaction",
			      "--no-password", dbarg, dump, NULL};
	rc = bk_pg_run(url, argv, NULL, err);
	/* pg_restore gave no grants (--no-acl): the application role's
	 * again (migrations/pg/0057), when the dump has the function. */
	if (rc == 0 && !(c = db_acquire(db, err)))
		rc = -1;
	if (rc == 0) {
		char has[8] = "";
		rc = one_text(c,
			      "SELECT count(*)::text FROM pg_catalog.pg_proc "
			      "WHERE proname = 'atrium_grant_app'",
			      has, sizeof has, false);
		if (rc == 1 && strcmp(has, "0") != 0)
			rc = db_exec(c, "SELECT atrium_grant_app()");
		if (rc < 0)
			atr_fail(err, ATR_E_UNAVAILABLE,
				 "cannot grant the application role: %s",
				 db_errmsg(c));
	}
out:
	if (c)
		db_release(c);
	db_close(db);
	return rc < 0 ? -1 : 0;
}

/* Closes the runs the backup caught unfinished (its own among them):
 * nothing will finish them in the restored database, and a run left
 * queued or running would refuse every new backup. Logged, with the
 * restore itself, when the master key is at hand. 0 or -1. */
static int close_runs(struct db *db, const struct config *cfg,
		      const struct bk_manifest *m, const char *path,
		      struct atr_err *err)
{
	struct db_conn *c = db_acquire(db, err);
	if (!c)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct atr_err kerr = {0};
	bool key = secret_key_load(cfg, &kerr) == 0;
	int rc = db_begin(c);
	struct db_stmt *st = rc < 0 ? NULL : db_prepare(
		c, "UPDATE backup_run SET status = 'failed', error = 'unfinished "
		   "when the backup was taken', finished_at = ? WHERE status IN "
		   "('queued', 'running') RETURNING id");
	json_t *ids = json_array();
	if (st) {
		db_bind_text(st, 1, now);
		while ((rc = db_step(st)) == 1)
			json_array_append_new(ids, json_integer(db_col_int(st, 0)));
		db_reset(st);
	} else {
		rc = -1;
	}
	int64_t org = 0;
	if (rc == 0 && key) {
		char o[32] = "";
		rc = one_text(c, "SELECT CAST(MIN(id) AS TEXT) FROM org", o,
			      sizeof o, false) < 0 ? -1 : 0;
		org = strtoll(o, NULL, 10);
	}
	if (rc == 0 && key && org > 0) {
		json_t *diff = json_pack(
			"{s:{s:s},s:{s:s},s:{s:s},s:{s:O}}", "file", "to", path,
			"backup_created_at", "to", m->created_at, "schema",
			"to", m->schema, "closed_runs", "to", ids);
		struct activity a = {.org_id = org,
				     .actor_name = "cli",
				     .action = "backup_restored",
				     .entity = "backup",
				     .diff = diff};
		rc = activity_record(c, &a);
		json_decref(diff);
	}
	json_decref(ids);
	if (rc < 0 || db_commit(c) < 0) {
		atr_fail(err, ATR_E_INTERNAL,
			 "cannot close the unfinished backup runs: %s",
			 db_errmsg(c));
		db_rollback(c);
		rc = -1;
	}
	db_release(c);
	if (key)
		secret_key_unload();
	return rc < 0 ? -1 : 0;
}

/* Applies the migrations a restored database lacks (applied gets how
 * many), then closes the runs it caught unfinished. 0 or -1. */
static int migrate_after(const char *url, const struct config *cfg,
			 const struct bk_manifest *m, const char *path,
			 int *applied, struct atr_err *err)
{
	struct db *db = NULL;
	if (db_open(url, 1, &db, err) < 0)
		return -1;
	int rc = migrate_run(db, applied, err);
	if (rc == 0)
		rc = close_runs(db, cfg, m, path, err);
	db_close(db);
	return rc;
}

/* Checks m against this binary and the target kind; 0 or -1 with err. */
static int check_fits(const struct bk_manifest *m, const char *url,
		      struct atr_err *err)
{
	const char *kind = bk_url_kind(url);
	if (strcmp(kind, m->database) != 0)
		return atr_fail(err, ATR_E_CONFLICT,
				"this is a %s backup and the target is a %s "
				"database: restore it into %s",
				!strcmp(m->database, "sqlite") ? "SQLite"
							       : "PostgreSQL",
				!strcmp(kind, "sqlite") ? "SQLite" : "PostgreSQL",
				!strcmp(m->database, "sqlite")
					? "a SQLite database (--db sqlite:PATH)"
					: "a PostgreSQL database (--db "
					  "postgresql://...)");
	char last[128] = "";
	enum db_dialect d = !strcmp(m->database, "sqlite") ? DB_SQLITE : DB_PG;
	if (!migrate_known(d, m->schema, last, sizeof last))
		return atr_fail(err, ATR_E_CONFLICT,
				"the backup's schema %s is newer than this "
				"binary (atrium %s knows migrations up to %s): "
				"restore it with the release that made it "
				"(atrium %s) or a newer one",
				m->schema, ATR_VERSION, last, m->version);
	return 0;
}

/* Extracts path's database into a new temporary directory: dir and file
 * filled. 0; 1 damaged; -1 error. */
static int extract(const char *path, struct bk_manifest *m, char *dir,
		   size_t dn, char *file, size_t fn, struct atr_err *err)
{
	if (bk_tmpdir(dir, dn, err) < 0)
		return -1;
	if (bk_read_manifest(path, m, err) < 0) {
		bk_tmpdir_remove(dir);
		return err->kind == ATR_E_INVALID ? 1 : -1;
	}
	snprintf(file, fn, "%s/%s", dir, m->member);
	int rc = bk_extract(path, m, file, err);
	if (rc != 0)
		bk_tmpdir_remove(dir);
	return rc;
}

int backup_restore(const struct config *cfg, const char *path,
		   const char *url, FILE *out, struct atr_err *err)
{
	struct bk_manifest m;
	if (bk_read_manifest(path, &m, err) < 0 || check_fits(&m, url, err) < 0)
		return -1;
	char dir[4096], file[4200];
	int rc = extract(path, &m, dir, sizeof dir, file, sizeof file, err);
	if (rc != 0)
		return -1;
	fprintf(out,
		"restore: %s backup of %s made by atrium %s on %s, schema %s\n",
		m.database, m.created_at, m.version, m.node, m.schema);
	rc = !strcmp(m.database, "sqlite")
		     ? sqlite_load(file, bk_sqlite_path(url), err)
		     : pg_load(file, url, err);
	bk_tmpdir_remove(dir);
	if (rc < 0)
		return -1;
	int applied = 0;
	if (migrate_after(url, cfg, &m, path, &applied, err) < 0)
		return -1;
	fprintf(out, "restore: the database is restored");
	if (applied)
		fprintf(out, "; %d newer migration%s applied", applied,
			applied == 1 ? "" : "s");
	fputc('\n', out);
	/* Whether the key at hand opens it: only a warning, the key may be
	 * put in place afterwards. */
	char mine[SECRET_CHECK_LEN + 1];
	struct atr_err kerr = {0};
	if (!m.key_check[0]) {
		/* A database never set up with a key: nothing to compare. */
	} else if (secret_key_load(cfg, &kerr) < 0) {
		fprintf(out,
			"restore: warning: no master key here (%s); put the key "
			"this database was set up with in place before "
			"`atrium serve`\n",
			kerr.msg);
	} else {
		secret_key_check(mine);
		secret_key_unload();
		if (sodium_memcmp(mine, m.key_check, SECRET_CHECK_LEN) != 0)
			fprintf(out,
				"restore: warning: the master key here is not "
				"the one this database was set up with: "
				"`atrium serve` refuses to start until that "
				"key is in place\n");
	}
	fprintf(out, "restore: reminder: %s\n", BACKUP_KEY_REMINDER);
	return 0;
}

/* ---- verifying ------------------------------------------------------------ */

/* PRAGMA integrity_check of the SQLite file path: 0 ok, 1 damaged (the
 * first problems printed), -1 error. */
static int sqlite_integrity(const char *path, FILE *out, struct atr_err *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(20)", -1,
					&st, NULL);
	if (rc != SQLITE_OK) {
		/* Not a database at all ("file is not a database"). */
		fprintf(out, "integrity: FAILED: %s\n",
			db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return 1;
	}
	int bad = 0, step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (t && !strcmp(t, "ok"))
			continue;
		fprintf(out, "integrity: FAILED: %s\n", t ? t : "?");
		bad = 1;
	}
	if (step != SQLITE_DONE) {
		fprintf(out, "integrity: FAILED: %s\n", sqlite3_errmsg(db));
		bad = 1;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (!bad)
		fprintf(out, "integrity: ok (PRAGMA integrity_check)\n");
	(void)err;
	return bad;
}

/* pg_restore --list of the dump: 0 ok, 1 unreadable. */
static int pg_archive(const char *dump, const char *dir, FILE *out,
		      struct atr_err *err)
{
	char list[4200], farg[4300];
	snprintf(list, sizeof list, "%s/list", dir);
	snprintf(farg, sizeof farg, "--file=%s", list);
	const char *argv[] = {"pg_restore", "--list", farg, dump, NULL};
	struct atr_err e = {0};
	if (bk_pg_run("postgresql://", argv, NULL, &e) < 0) {
		fprintf(out, "archive: FAILED: %s\n", e.msg);
		return 1;
	}
	FILE *f = fopen(list, "r");
	int entries = 0;
	char line[1024];
	while (f && fgets(line, sizeof line, f))
		if (line[0] != ';' && line[0] != '\n')
			entries++;
	if (f)
		fclose(f);
	fprintf(out, "archive: ok (pg_restore --list: %d entries)\n", entries);
	(void)err;
	return 0;
}

/* The activity log's chain on the database url (restored): 0, 1, -1. */
static int chain_check(const struct config *cfg, const struct bk_manifest *m,
		       const char *url, FILE *out, struct atr_err *err)
{
	if (secret_key_load(cfg, err) < 0)
		return -1;
	char mine[SECRET_CHECK_LEN + 1];
	secret_key_check(mine);
	if (m->key_check[0] &&
	    sodium_memcmp(mine, m->key_check, SECRET_CHECK_LEN) != 0) {
		secret_key_unload();
		return atr_fail(err, ATR_E_CONFLICT,
				"the master key here is not the one this "
				"backup's database was set up with: the chain "
				"cannot be checked (use that key, or "
				"--no-chain)");
	}
	struct db *db = NULL;
	int applied = 0, rc = -1;
	if (db_open(url, 1, &db, err) == 0 &&
	    migrate_run(db, &applied, err) == 0) {
		(void)applied;
		char buf[4096] = "";
		FILE *mem = fmemopen(buf, sizeof buf, "w");
		rc = activity_verify(db, mem ? mem : out, err);
		if (mem) {
			fclose(mem);
			buf[sizeof buf - 1] = 0;
		} else {
			buf[0] = 0;
		}
		if (rc == 0)
			fprintf(out, "activity log chain: ok\n%s", buf);
		else if (rc == 1)
			fprintf(out, "activity log chain: FAILED\n%s", buf);
	}
	if (db)
		db_close(db);
	secret_key_unload();
	return rc;
}

int backup_verify(const struct config *cfg, const char *path,
		  const char *into_url, bool chain, FILE *out,
		  struct atr_err *err)
{
	struct bk_manifest m;
	char dir[4096], file[4200];
	int rc = extract(path, &m, dir, sizeof dir, file, sizeof file, err);
	if (rc == 1) {
		fprintf(out, "checksums: FAILED: %s\n", err->msg);
		return 1;
	}
	if (rc < 0)
		return -1;
	fprintf(out,
		"checksums: ok (%s backup of %s by atrium %s on %s, schema %s; "
		"%s %llu bytes, sha256 %s)\n",
		m.database, m.created_at, m.version, m.node, m.schema, m.member,
		(unsigned long long)m.bytes, m.sha256);
	bool sqlite = !strcmp(m.database, "sqlite");
	rc = sqlite ? sqlite_integrity(file, out, err)
		    : pg_archive(file, dir, out, err);
	char last[128] = "";
	enum db_dialect d = sqlite ? DB_SQLITE : DB_PG;
	if (rc == 0 && chain && !migrate_known(d, m.schema, last, sizeof last)) {
		fprintf(out,
			"activity log chain: not checked (schema %s is newer "
			"than this binary, which knows up to %s)\n",
			m.schema, last);
	} else if (rc == 0 && chain && sqlite) {
		char url[4300];
		snprintf(url, sizeof url, "sqlite:%s", file);
		rc = chain_check(cfg, &m, url, out, err);
	} else if (rc == 0 && chain && into_url) {
		struct atr_err lerr = {0};
		if (strcmp(bk_url_kind(into_url), "postgresql") != 0)
			rc = atr_fail(err, ATR_E_INVALID,
				      "--into must name a PostgreSQL database");
		else if (pg_load(file, into_url, &lerr) < 0)
			rc = atr_fail(err, lerr.kind, "%s", lerr.msg);
		else
			rc = chain_check(cfg, &m, into_url, out, err);
	} else if (rc == 0 && chain) {
		fprintf(out, "activity log chain: not checked (a PostgreSQL "
			     "backup is checked with --into URL, an empty "
			     "scratch database)\n");
	} else if (rc == 0) {
		fprintf(out, "activity log chain: not checked (--no-chain)\n");
	}
	bk_tmpdir_remove(dir);
	return rc;
}

/* ---- for the health page ---------------------------------------------------- */

int backup_last_good(struct db_conn *c, char at[ATR_TIME_LEN], int64_t *age_s)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT finished_at FROM backup_run WHERE status = 'done' "
		   "ORDER BY finished_at DESC LIMIT 1");
	if (!st)
		return -1;
	int rc = db_step(st);
	if (rc == 1) {
		atr_strlcpy(at, db_col_text(st, 0), ATR_TIME_LEN);
		int64_t ms = atr_iso_ms(at);
		*age_s = ms ? (atr_now_ms() - ms) / 1000 : 0;
	}
	db_reset(st);
	return rc;
}
