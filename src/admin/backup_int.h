/* backup_int.h — what the backup files share (not for other modules:
 * they use backup.h). */
#ifndef ATR_BACKUP_INT_H
#define ATR_BACKUP_INT_H

#include "atrium.h"

#include "admin/backup.h"
#include "admin/backup_file.h"

/* Runs a PostgreSQL client tool, argv[0] ("pg_dump", "pg_restore") found
 * on PATH, NULL-terminated argv, connected to url through libpq's
 * environment variables (never on its command line). 0 when it exits 0;
 * -1 with err naming its first line of standard error otherwise; -2 when
 * stop (may be NULL, asked twice a second) turned true and the child was
 * ended. */
int bk_pg_run(const char *url, const char *const *argv, bool (*stop)(void),
	      struct atr_err *err);

/* "sqlite" or "postgresql" for a database URL (db.c's rules). */
const char *bk_url_kind(const char *url);
/* The file of a SQLite URL (after "sqlite:", or the bare path). */
const char *bk_sqlite_path(const char *url);

/* A fresh directory for temporary files (TMPDIR or /tmp), mode 0700, into
 * out (n bytes). 0 or -1 with err. bk_tmpdir_remove removes it and what
 * it holds (no subdirectories). */
int bk_tmpdir(char *out, size_t n, struct atr_err *err);
void bk_tmpdir_remove(const char *dir);

/* ---- runs and the schedule (backup_run.c) ---- */

struct app;
struct db_conn;

#define BK_DIR_MAX 1024

struct bk_schedule {
	bool enabled;
	int64_t interval_hours; /* 1..8760 */
	char directory[BK_DIR_MAX + 1];
	int64_t keep; /* 1..1000 */
	int64_t version;
	char updated_at[ATR_TIME_LEN];
};

/* Creates directory dir (and its parents), mode 0700, when missing. 0, or
 * -1 with err. */
int bk_make_dirs(const char *dir, struct atr_err *err);
/* This machine's name (the node a backup file lives on). */
void bk_node(char out[256]);
/* The schedule row. 0 or -1. */
int bk_schedule_load(struct db_conn *c, struct bk_schedule *s);
/* The operator organisation's id (scheduled and command-line runs are
 * logged there: a backup is the installation's), 0 when none, -1 on an
 * error. */
int64_t bk_operator_org(struct db_conn *c);

struct bk_new_run {
	int64_t org;
	const char *kind; /* manual, scheduled, pre_import */
	const char *via;  /* server (queued for its job), cli (running) */
	int64_t staff;    /* who asked, 0 none */
	const char *created_at; /* NULL: now */
};
/* Inserts a run inside the caller's transaction; *id gets it. 0 or -1. */
int bk_run_insert(struct db_conn *c, const struct bk_new_run *n, int64_t *id);
/* Records the job that runs run id. 0 or -1. */
int bk_run_job(struct db_conn *c, int64_t id, int64_t job);
/* Ends run id, done (info) or failed (error), with its activity row
 * (actor by name), in a transaction of its own. 0 or -1. */
int bk_run_finish(struct db_conn *c, int64_t id, int64_t org,
		  const char *actor, const struct backup_info *info,
		  const char *error);
/* Removes the files of this node's good server-made backups in dir past
 * the newest keep (rows stay, removed_at set, logged in org). Removed
 * count, or -1. */
int bk_retention(struct db_conn *c, const char *dir, int64_t keep,
		 int64_t org);
/* Runs backup run id start to finish (the job's body). 0 when it ended
 * (done or failed, recorded), -1 with err when it could not be recorded
 * (the job retries), -2 when the server stops meanwhile (the run stays
 * running, the job is put back and runs it again). */
int bk_run_execute(struct app *app, int64_t id, struct atr_err *err);

#endif
