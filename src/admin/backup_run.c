/* backup_run.c — the record of backups (table backup_run), the schedule
 * (table backup_schedule), running one backup for the server, and
 * retention (backup_int.h).
 *
 * A run of the server is queued with its job in the transaction of the
 * request or of the scheduler's task, then run by the job (bk_run_execute):
 * the file goes into the schedule's directory, named by the time and the
 * run's id, and only once it is written and renamed is the run `done`;
 * retention then removes the oldest files of good runs beyond `keep`.
 * Every state change writes its activity row in the same transaction.
 */
#include "atrium.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/backup_int.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/log.h"
#include "db/db.h"
#include "jobs/jobs.h"

void bk_node(char out[256])
{
	if (gethostname(out, 255) != 0)
		atr_strlcpy(out, "unknown", 256);
	out[255] = 0;
}

int bk_schedule_load(struct db_conn *c, struct bk_schedule *s)
{
	memset(s, 0, sizeof *s);
	struct db_stmt *st = db_prepare(
		c, "SELECT enabled, interval_hours, directory, keep, version, "
		   "updated_at FROM backup_schedule WHERE id = 1");
	if (!st)
		return -1;
	int rc = db_step(st);
	if (rc == 1) {
		s->enabled = db_col_int(st, 0) != 0;
		s->interval_hours = db_col_int(st, 1);
		atr_strlcpy(s->directory, db_col_text(st, 2),
			    sizeof s->directory);
		s->keep = db_col_int(st, 3);
		s->version = db_col_int(st, 4);
		if (db_col_text(st, 5))
			atr_strlcpy(s->updated_at, db_col_text(st, 5),
				    sizeof s->updated_at);
	}
	db_reset(st);
	return rc == 1 ? 0 : -1;
}

int64_t bk_operator_org(struct db_conn *c)
{
	struct db_stmt *st =
	    db_prepare(c, "SELECT MIN(id) FROM org WHERE kind = 'operator'");
	if (!st)
		return -1;
	int rc = db_step(st);
	int64_t id = rc == 1 && !db_col_null(st, 0) ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc < 0 ? -1 : id;
}

/* Appends the activity row of a run (actor: staff, or by name). */
static int log_run(struct db_conn *c, int64_t org, int64_t staff,
		   const char *actor, const char *action, int64_t id,
		   json_t *diff)
{
	struct activity a = {.org_id = org,
			     .actor_id = staff,
			     .actor_name = actor,
			     .action = action,
			     .entity = "backup",
			     .entity_id = id,
			     .diff = diff};
	int rc = activity_record(c, &a);
	json_decref(diff);
	return rc;
}

int bk_run_insert(struct db_conn *c, const struct bk_new_run *n, int64_t *id)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	char node[256];
	bk_node(node);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO backup_run (org_id, kind, status, via, "
		   "requested_by, node, created_at, started_at) VALUES (?, ?, "
		   "?, ?, ?, ?, ?, ?) RETURNING id");
	if (!st)
		return -1;
	bool cli = !strcmp(n->via, "cli");
	db_bind_int(st, 1, n->org);
	db_bind_text(st, 2, n->kind);
	db_bind_text(st, 3, cli ? "running" : "queued");
	db_bind_text(st, 4, n->via);
	db_bind_opt_int(st, 5, n->staff > 0, n->staff);
	if (cli)
		db_bind_text(st, 6, node);
	else
		db_bind_null(st, 6);
	db_bind_text(st, 7, n->created_at ? n->created_at : now);
	if (cli)
		db_bind_text(st, 8, now);
	else
		db_bind_null(st, 8);
	int rc = db_step(st);
	*id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc == 1 ? 0 : -1;
}

int bk_run_job(struct db_conn *c, int64_t id, int64_t job)
{
	struct db_stmt *st = db_prepare(
		c, "UPDATE backup_run SET job_id = ? WHERE id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, job);
	db_bind_int(st, 2, id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int bk_run_finish(struct db_conn *c, int64_t id, int64_t org,
		  const char *actor, const struct backup_info *info,
		  const char *error)
{
	char now[ATR_TIME_LEN], node[256];
	atr_now_iso(now);
	bk_node(node);
	if (db_begin(c) < 0)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "UPDATE backup_run SET status = ?, file = ?, bytes = ?, "
		   "sha256 = ?, schema_version = ?, node = ?, error = ?, "
		   "finished_at = ? WHERE id = ? AND status IN ('queued', "
		   "'running')");
	if (!st) {
		db_rollback(c);
		return -1;
	}
	db_bind_text(st, 1, info ? "done" : "failed");
	if (info) {
		db_bind_text(st, 2, info->path);
		db_bind_int(st, 3, (int64_t)info->bytes);
		db_bind_text(st, 4, info->sha256);
		db_bind_text(st, 5, info->schema);
		db_bind_null(st, 7);
	} else {
		db_bind_null(st, 2);
		db_bind_null(st, 3);
		db_bind_null(st, 4);
		db_bind_null(st, 5);
		db_bind_text(st, 7, error);
	}
	db_bind_text(st, 6, node);
	db_bind_text(st, 8, now);
	db_bind_int(st, 9, id);
	int rc = db_step(st);
	db_reset(st);
	json_t *diff =
		info ? json_pack("{s:{s:s},s:{s:s},s:{s:I},s:{s:s}}", "status",
				 "to", "done", "file", "to", info->path, "bytes",
				 "to", (json_int_t)info->bytes, "sha256", "to",
				 info->sha256)
		     : json_pack("{s:{s:s},s:{s:s}}", "status", "to", "failed",
				 "error", "to", error);
	if (rc < 0 ||
	    log_run(c, org, 0, actor, info ? "backup_done" : "backup_failed",
		    id, diff) < 0 ||
	    db_commit(c) < 0) {
		db_rollback(c);
		return -1;
	}
	return 0;
}

int bk_make_dirs(const char *dir, struct atr_err *err)
{
	char p[PATH_MAX];
	if (atr_strlcpy(p, dir, sizeof p) >= sizeof p)
		return atr_fail(err, ATR_E_INVALID, "the directory is too long");
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return atr_fail(err, ATR_E_INTERNAL,
					"cannot create '%s': %s", p,
					strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return atr_fail(err, ATR_E_INTERNAL, "cannot create '%s': %s",
				p, strerror(errno));
	return 0;
}

/* Marks run id running; 1 when it was queued (or left running by a node
 * that died), 0 when it already ended (a job run twice), -1 error. */
static int run_begin(struct db_conn *c, int64_t id, int64_t *org)
{
	char now[ATR_TIME_LEN], node[256];
	atr_now_iso(now);
	bk_node(node);
	struct db_stmt *st = db_prepare(
		c, "UPDATE backup_run SET status = 'running', started_at = ?, "
		   "node = ? WHERE id = ? AND status IN ('queued', 'running') "
		   "RETURNING org_id");
	if (!st)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_text(st, 2, node);
	db_bind_int(st, 3, id);
	int rc = db_step(st);
	*org = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc;
}

int bk_retention(struct db_conn *c, const char *dir, int64_t keep,
		 int64_t org)
{
	char node[256], prefix[PATH_MAX + 2];
	bk_node(node);
	/* The directory's files, by prefix (not LIKE: a directory name may
	 * hold % or _). */
	snprintf(prefix, sizeof prefix, "%s/", dir);
	/* Newest first; everything past the first keep goes. */
	struct db_stmt *st = db_prepare(
		c, "SELECT id, file FROM backup_run WHERE status = 'done' AND "
		   "via = 'server' AND removed_at IS NULL AND node = ? AND "
		   "substr(file, 1, ?) = ? ORDER BY id DESC LIMIT 100 OFFSET ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, node);
	db_bind_int(st, 2, (int64_t)strlen(prefix));
	db_bind_text(st, 3, prefix);
	db_bind_int(st, 4, keep);
	int64_t ids[100];
	char *files[100];
	int n = 0, rc;
	while ((rc = db_step(st)) == 1 && n < 100) {
		ids[n] = db_col_int(st, 0);
		files[n++] = xstrdup(db_col_text(st, 1));
	}
	db_reset(st);
	int removed = 0;
	for (int i = 0; i < n && rc >= 0; i++) {
		/* The row first, the file after its commit: a crash between
		 * leaves a file nobody lists, never a row without a file. */
		char now[ATR_TIME_LEN];
		atr_now_iso(now);
		if (db_begin(c) < 0) {
			rc = -1;
			break;
		}
		st = db_prepare(c, "UPDATE backup_run SET removed_at = ? WHERE "
				   "id = ? AND removed_at IS NULL");
		int u = st ? 0 : -1;
		if (st) {
			db_bind_text(st, 1, now);
			db_bind_int(st, 2, ids[i]);
			u = db_step(st);
			db_reset(st);
		}
		json_t *diff = json_pack("{s:{s:s},s:{s:I}}", "removed_at", "to",
					 now, "keep", "to", (json_int_t)keep);
		if (u < 0 ||
		    log_run(c, org, 0, "system", "backup_removed", ids[i],
			    diff) < 0 ||
		    db_commit(c) < 0) {
			db_rollback(c);
			rc = -1;
			break;
		}
		if (unlink(files[i]) < 0 && errno != ENOENT)
			atr_log("atrium: backup: cannot remove '%s' "
				"(retention): %s",
				files[i], strerror(errno));
		removed++;
	}
	for (int i = 0; i < n; i++)
		free(files[i]);
	return rc < 0 ? -1 : removed;
}

int bk_run_execute(struct app *app, int64_t id, struct atr_err *err)
{
	struct db_conn *c = db_acquire(app->db, err);
	if (!c)
		return -1;
	int64_t org = 0;
	struct bk_schedule s;
	/* A transaction of its own: on SQLite the writer is serialised. */
	int rc = db_begin(c);
	if (rc == 0) {
		rc = run_begin(c, id, &org);
		if (rc < 0 || db_commit(c) < 0) {
			db_rollback(c);
			rc = -1;
		}
	}
	if (rc == 1)
		rc = bk_schedule_load(c, &s) < 0 ? -1 : 1;
	db_release(c);
	if (rc < 0)
		return atr_fail(err, ATR_E_UNAVAILABLE,
				"cannot start backup %lld", (long long)id);
	if (rc == 0)
		return 0; /* already ended */
	char path[PATH_MAX], real[PATH_MAX], when[ATR_TIME_LEN];
	struct backup_info info;
	struct atr_err e = {0};
	int made = -1;
	if (bk_make_dirs(s.directory, &e) == 0) {
		if (!realpath(s.directory, real)) {
			atr_fail(&e, ATR_E_INTERNAL, "cannot resolve '%s': %s",
				 s.directory, strerror(errno));
		} else {
			atr_now_iso(when);
			/* 2026-12-06T07:06:02.123Z -> 20261206-070602 */
			char stamp[16];
			snprintf(stamp, sizeof stamp, "%.4s%.2s%.2s-%.2s%.2s%.2s",
				 when, when + 5, when + 8, when + 11, when + 14,
				 when + 17);
			if ((size_t)snprintf(path, sizeof path,
					     "%s/atrium-backup-%s-%lld.tar",
					     real, stamp,
					     (long long)id) >= sizeof path)
				atr_fail(&e, ATR_E_INVALID,
					 "the directory is too long");
			else
				made = backup_make(app->db, app->cfg.db, path,
						   jobs_stopping, &info, &e);
		}
	}
	if (made == -2) /* the server stops: the job runs it again */
		return atr_fail(err, ATR_E_UNAVAILABLE, "%s", e.msg), -2;
	c = db_acquire(app->db, err);
	if (!c)
		return -1;
	rc = bk_run_finish(c, id, org, "system", made == 0 ? &info : NULL,
			   e.msg);
	if (rc == 0 && made == 0 &&
	    bk_retention(c, real, s.keep, org) < 0)
		atr_log("atrium: backup: retention failed: %s", db_errmsg(c));
	if (rc < 0)
		atr_fail(err, ATR_E_UNAVAILABLE,
			 "cannot record backup %lld: %s", (long long)id,
			 db_errmsg(c));
	db_release(c);
	if (rc < 0)
		return -1;
	if (made < 0)
		atr_log("atrium: backup %lld failed: %s", (long long)id, e.msg);
	return 0;
}
