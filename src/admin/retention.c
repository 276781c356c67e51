/* retention.c — the retention engine (admin/retention.h): for each
 * organisation and log, archive the rows past their retention into a
 * verified file, record its manifest, then remove them in batches.
 *
 * One run at a time on this machine: an exclusive flock on
 * <archive_dir>/.lock (the CLI and a server's scheduler share the
 * directory), and on PostgreSQL an advisory lock as well (nodes sharing the
 * database). The manifest's path is unique too, so the same rows can never
 * be recorded twice.
 */
#include "atrium.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "admin/retention.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/settings.h"
#include "db/db.h"

int (*retention_fault)(const char *step);

#define RETENTION_LOCK_KEY 727276

/* What one run works with. */
struct run {
	struct app *app;
	struct db_conn *c;
	FILE *report;
	struct atr_err *err;
	int done;
};

static int fault(struct run *R, const char *step)
{
	if (retention_fault && retention_fault(step))
		return atr_fail(R->err, ATR_E_INTERNAL,
				"retention stopped at '%s' (injected)", step);
	return 0;
}

static int dberr(struct run *R)
{
	atr_fail(R->err, ATR_E_INTERNAL, "retention: database error: %s",
		 db_errmsg(R->c));
	if (db_in_tx(R->c))
		db_rollback(R->c);
	return -1;
}

static bool is_int_col(const struct retention_log *L, const char *name)
{
	for (const char *const *p = L->int_cols; p && *p; p++)
		if (!strcmp(*p, name))
			return true;
	return false;
}

/* The row under st as a JSON object of its columns. */
static json_t *row_json(const struct retention_log *L, struct db_stmt *st)
{
	json_t *o = json_object();
	int n = db_col_count(st);
	for (int i = 0; i < n; i++) {
		const char *name = db_col_name(st, i);
		json_t *v;
		if (db_col_null(st, i))
			v = json_null();
		else if (is_int_col(L, name))
			v = json_integer(db_col_int(st, i));
		else
			v = json_string(db_col_text(st, i));
		json_object_set_new(o, name, v ? v : json_null());
	}
	return o;
}

/* The archive's directory for org's log (caller frees). */
static char *log_dir(struct run *R, const struct retention_log *L, int64_t org)
{
	return xasprintf("%s/%s/org%lld", R->app->cfg.archive_dir, L->name,
			 (long long)org);
}

/* Writes text to <dir>/<name without .jsonl.gz>.checkpoint.json: a
 * temporary file, fsync'd, renamed. 0 or -1 (err). */
static int write_side(struct run *R, const struct retention_log *L,
		      int64_t org, const char *name, const char *text)
{
	char *dir = log_dir(R, L, org);
	size_t n = strlen(name) - strlen(".jsonl.gz");
	char *path = xasprintf("%s/%.*s.checkpoint.json", dir, (int)n, name);
	char *tmp = xasprintf("%s.tmp", path);
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	if (fd >= 0 && write(fd, text, len) == (ssize_t)len &&
	    write(fd, "\n", 1) == 1 && fsync(fd) == 0 && close(fd) == 0) {
		fd = -1;
		rc = rename(tmp, path);
	}
	if (rc < 0) {
		atr_fail(R->err, ATR_E_INTERNAL, "cannot write '%s': %s", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(path);
	free(dir);
	return rc;
}

/* Step 2: writes the rows past the cut-off into a new file and records
 * its manifest (step 3). 1 written, 0 nothing to archive, -1 (err). */
static int write_archive(struct run *R, const struct retention_log *L,
			 int64_t org, const char *cutoff, int64_t max_seq)
{
	int64_t cut_seq = 0;
	char cut_hash[65] = "";
	if (L->chain && activity_cut_get(R->c, org, &cut_seq, cut_hash) < 0)
		return dberr(R);
	char sql[512];
	if (L->chain)
		snprintf(sql, sizeof sql,
			 "SELECT * FROM %s WHERE org_id = ? AND seq > ? ORDER "
			 "BY seq LIMIT %d",
			 L->table, RETENTION_FILE_ROWS);
	else
		snprintf(sql, sizeof sql,
			 "SELECT * FROM %s WHERE org_id = ? AND %s < ?%s%s "
			 "ORDER BY id LIMIT %d",
			 L->table, L->time_col, L->where ? " AND " : "",
			 L->where ? L->where : "", RETENTION_FILE_ROWS);
	struct db_stmt *st = db_prepare(R->c, sql);
	if (!st)
		return dberr(R);
	db_bind_int(st, 1, org);
	if (L->chain)
		db_bind_int(st, 2, cut_seq);
	else
		db_bind_text(st, 2, cutoff);
	char *dir = log_dir(R, L, org);
	struct archive_writer *w = NULL;
	struct archive_info info = {0};
	int rc;
	int64_t last_seq = 0;
	char last_hash[65] = "";
	while ((rc = db_step(st)) == 1) {
		json_t *row = row_json(L, st);
		const char *at =
			json_string_value(json_object_get(row, L->time_col));
		/* The chain is cut at its first row not past retention. */
		if (L->chain && (!at || strcmp(at, cutoff) >= 0 ||
				 json_integer_value(json_object_get(
					 row, "seq")) > max_seq)) {
			json_decref(row);
			break;
		}
		if (!w && !(w = archive_create(dir, R->err))) {
			json_decref(row);
			rc = -2;
			break;
		}
		int64_t id = json_integer_value(json_object_get(row, "id"));
		if (!info.rows) {
			info.first_id = id;
			atr_strlcpy(info.first_at, at ? at : "",
				    sizeof info.first_at);
		}
		info.last_id = id;
		atr_strlcpy(info.last_at, at ? at : "", sizeof info.last_at);
		if (L->chain) {
			last_seq = json_integer_value(
				json_object_get(row, "seq"));
			const char *h =
				json_string_value(json_object_get(row, "hash"));
			atr_strlcpy(last_hash, h ? h : "", sizeof last_hash);
		}
		info.rows++;
		if (archive_write(w, row, R->err) < 0) {
			json_decref(row);
			rc = -2;
			break;
		}
		json_decref(row);
		if (archive_raw_bytes(w) >= RETENTION_FILE_RAW)
			break; /* the rest goes to the next file */
	}
	db_reset(st);
	if (rc == -1)
		atr_fail(R->err, ATR_E_INTERNAL, "retention: database error: %s",
			 db_errmsg(R->c));
	if (rc < 0 || !info.rows) {
		archive_abort(w);
		free(dir);
		return rc < 0 ? -1 : 0;
	}
	char name[96];
	snprintf(name, sizeof name, "%lld-%lld.jsonl.gz",
		 (long long)info.first_id, (long long)info.last_id);
	if (archive_commit(w, name, &info, R->err) < 0) {
		free(dir);
		return -1;
	}
	free(dir);
	if (fault(R, "file") < 0)
		return -1;

	char *checkpoint = NULL;
	if (L->chain &&
	    !(checkpoint = activity_checkpoint_at(org, last_seq, last_hash,
						  R->err)))
		return -1;
	/* The checkpoint beside the file, so the file verifies on its own
	 * (`atrium logs verify`), wherever it is copied. */
	if (checkpoint && write_side(R, L, org, name, checkpoint) < 0) {
		free(checkpoint);
		return -1;
	}
	char *path = xasprintf("%s/org%lld/%s", L->name, (long long)org, name);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	int result = -1;
	if (db_begin(R->c) < 0)
		goto out;
	st = db_prepare(
		R->c,
		"INSERT INTO log_archive (org_id, log, status, path, row_count, "
		"first_id, last_id, first_at, last_at, cutoff, bytes, sha256, "
		"cut_seq, cut_hash, checkpoint, created_at) VALUES (?, ?, "
		"'written', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		goto out;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, L->name);
	db_bind_text(st, 3, path);
	db_bind_int(st, 4, info.rows);
	db_bind_int(st, 5, info.first_id);
	db_bind_int(st, 6, info.last_id);
	db_bind_text(st, 7, info.first_at);
	db_bind_text(st, 8, info.last_at);
	db_bind_text(st, 9, cutoff);
	db_bind_int(st, 10, info.bytes);
	db_bind_text(st, 11, info.sha256);
	db_bind_opt_int(st, 12, L->chain, last_seq);
	if (L->chain) {
		db_bind_text(st, 13, last_hash);
		db_bind_text(st, 14, checkpoint);
	} else {
		db_bind_null(st, 13);
		db_bind_null(st, 14);
	}
	db_bind_text(st, 15, now);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0 || db_commit(R->c) < 0)
		goto out;
	result = fault(R, "manifest") < 0 ? -1 : 1;
out:
	if (result < 0 && !R->err->msg[0])
		dberr(R);
	else if (db_in_tx(R->c))
		db_rollback(R->c);
	free(path);
	free(checkpoint);
	return result;
}

/* A manifest as stored. */
struct manifest {
	int64_t id, org, rows, first_id, last_id, bytes, removed, cut_seq;
	char log[64], path[512], cutoff[32], sha256[65], cut_hash[65];
};

static int load_manifest(struct run *R, struct db_stmt *st,
			 struct manifest *m)
{
	m->id = db_col_int(st, 0);
	m->org = db_col_int(st, 1);
	atr_strlcpy(m->log, db_col_text(st, 2), sizeof m->log);
	atr_strlcpy(m->path, db_col_text(st, 3), sizeof m->path);
	m->rows = db_col_int(st, 4);
	m->first_id = db_col_int(st, 5);
	m->last_id = db_col_int(st, 6);
	atr_strlcpy(m->cutoff, db_col_text(st, 7), sizeof m->cutoff);
	m->bytes = db_col_int(st, 8);
	atr_strlcpy(m->sha256, db_col_text(st, 9), sizeof m->sha256);
	m->removed = db_col_int(st, 10);
	m->cut_seq = db_col_null(st, 11) ? 0 : db_col_int(st, 11);
	atr_strlcpy(m->cut_hash, db_col_null(st, 12) ? "" : db_col_text(st, 12),
		    sizeof m->cut_hash);
	return 0;
}

#define MANIFEST_COLS                                                          \
	"id, org_id, log, path, row_count, first_id, last_id, cutoff, "        \
	"bytes, sha256, removed, cut_seq, cut_hash"

/* Step 4's check: the file is the one recorded, and whole. 0 or -1 (err). */
static int check_file(struct run *R, const struct retention_log *L,
		      const struct manifest *m)
{
	char *full = xasprintf("%s/%s", R->app->cfg.archive_dir, m->path);
	char *why = NULL;
	size_t whylen = 0;
	FILE *out = open_memstream(&why, &whylen);
	struct archive_info info;
	int v = archive_verify(full, L->time_col, L->chain, &info, out,
			       R->err);
	fclose(out);
	int rc = 0;
	if (v < 0) {
		rc = -1;
	} else if (v > 0) {
		rc = atr_fail(R->err, ATR_E_INTERNAL,
			      "archive %lld ('%s') does not verify, its rows "
			      "are kept: %s",
			      (long long)m->id, full, why);
	} else if (strcmp(info.sha256, m->sha256) != 0 ||
		   info.bytes != m->bytes || info.rows != m->rows ||
		   info.first_id != m->first_id || info.last_id != m->last_id) {
		rc = atr_fail(R->err, ATR_E_INTERNAL,
			      "archive %lld ('%s') differs from its manifest "
			      "(checksum, size or rows), its rows are kept",
			      (long long)m->id, full);
	} else if (L->chain && (info.last_seq != m->cut_seq ||
				strcmp(info.last_hash, m->cut_hash) != 0)) {
		rc = atr_fail(R->err, ATR_E_INTERNAL,
			      "archive %lld ('%s') does not end at its "
			      "checkpoint, its rows are kept",
			      (long long)m->id, full);
	}
	free(why);
	free(full);
	return rc;
}

/* One batch of a chain: removes rows after the cut up to at most
 * RETENTION_BATCH more (never past the archive's last), and moves the cut.
 * Returns rows removed (0: the archive's rows are all gone), -1. */
static int64_t chain_batch(struct run *R, const struct manifest *m)
{
	int64_t cut = 0;
	char hash[65];
	if (activity_cut_get(R->c, m->org, &cut, hash) < 0)
		return -1;
	if (cut >= m->cut_seq)
		return 0;
	int64_t upto = cut + RETENTION_BATCH < m->cut_seq
			       ? cut + RETENTION_BATCH
			       : m->cut_seq;
	struct db_stmt *st = db_prepare(
		R->c, "SELECT hash FROM activity_log WHERE org_id = ? AND seq "
		      "= ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, m->org);
	db_bind_int(st, 2, upto);
	int rc = db_step(st);
	char last[65] = "";
	if (rc == 1)
		atr_strlcpy(last, db_col_text(st, 0), sizeof last);
	db_reset(st);
	if (rc != 1) {
		if (rc == 0)
			atr_fail(R->err, ATR_E_INTERNAL,
				 "activity row seq %lld of org %lld is "
				 "missing: nothing removed",
				 (long long)upto, (long long)m->org);
		return -1;
	}
	st = db_prepare(R->c, "DELETE FROM activity_log WHERE org_id = ? AND "
			      "seq > ? AND seq <= ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, m->org);
	db_bind_int(st, 2, cut);
	db_bind_int(st, 3, upto);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0 || activity_cut_move(R->c, m->org, upto, last) < 0)
		return -1;
	return upto - cut;
}

/* One batch of another log. Returns rows removed, or -1. */
static int64_t rows_batch(struct run *R, const struct retention_log *L,
			  const struct manifest *m)
{
	char sql[768];
	snprintf(sql, sizeof sql,
		 "DELETE FROM %s WHERE id IN (SELECT id FROM %s WHERE org_id "
		 "= ? AND id >= ? AND id <= ? AND %s < ?%s%s ORDER BY id "
		 "LIMIT %d) RETURNING id",
		 L->table, L->table, L->time_col, L->where ? " AND " : "",
		 L->where ? L->where : "", RETENTION_BATCH);
	struct db_stmt *st = db_prepare(R->c, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, m->org);
	db_bind_int(st, 2, m->first_id);
	db_bind_int(st, 3, m->last_id);
	db_bind_text(st, 4, m->cutoff);
	int rc;
	int64_t n = 0;
	while ((rc = db_step(st)) == 1)
		n++;
	db_reset(st);
	return rc < 0 ? -1 : n;
}

/* Steps 4 and 5 for the 'written' archive m. 0 or -1 (err). */
static int finish_archive(struct run *R, const struct retention_log *L,
			  struct manifest *m)
{
	if (check_file(R, L, m) < 0)
		return -1;
	for (;;) {
		if (db_begin(R->c) < 0)
			return dberr(R);
		int64_t n = L->chain ? chain_batch(R, m) : rows_batch(R, L, m);
		if (n < 0)
			return R->err->msg[0] ? (db_rollback(R->c), -1)
					      : dberr(R);
		struct db_stmt *st;
		if (n == 0) {
			char now[ATR_TIME_LEN];
			atr_now_iso(now);
			st = db_prepare(R->c,
					"UPDATE log_archive SET status = "
					"'done', finished_at = ? WHERE id = ?");
			if (!st)
				return dberr(R);
			db_bind_text(st, 1, now);
			db_bind_int(st, 2, m->id);
			int rc = db_step(st);
			db_reset(st);
			json_t *diff = json_pack(
				"{s:s,s:I,s:s,s:s,s:I}", "log", L->name, "rows",
				(json_int_t)m->rows, "path", m->path, "sha256",
				m->sha256, "removed", (json_int_t)m->removed);
			struct activity a = {.org_id = m->org,
					     .actor_name = "retention",
					     .action = "log_archived",
					     .entity = "log_archive",
					     .entity_id = m->id,
					     .diff = diff};
			int arc = rc < 0 ? -1 : activity_record(R->c, &a);
			json_decref(diff);
			if (arc < 0 || db_commit(R->c) < 0)
				return dberr(R);
			if (R->report)
				fprintf(R->report,
					"archived: %s of org %lld, %lld rows "
					"(ids %lld-%lld) to %s/%s, sha256 %s\n",
					L->name, (long long)m->org,
					(long long)m->rows,
					(long long)m->first_id,
					(long long)m->last_id,
					R->app->cfg.archive_dir, m->path,
					m->sha256);
			R->done++;
			return fault(R, "done");
		}
		st = db_prepare(R->c, "UPDATE log_archive SET removed = "
				      "removed + ? WHERE id = ?");
		if (!st)
			return dberr(R);
		db_bind_int(st, 1, n);
		db_bind_int(st, 2, m->id);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0 || db_commit(R->c) < 0)
			return dberr(R);
		m->removed += n;
		if (fault(R, "batch") < 0)
			return -1;
	}
}

/* The 'written' archive of org's log, if any: 1 (in *m), 0, -1. */
static int pending(struct run *R, const struct retention_log *L, int64_t org,
		   struct manifest *m)
{
	struct db_stmt *st = db_prepare(
		R->c, "SELECT " MANIFEST_COLS " FROM log_archive WHERE org_id "
		      "= ? AND log = ? AND status = 'written' ORDER BY id LIMIT "
		      "1");
	if (!st)
		return dberr(R);
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, L->name);
	int rc = db_step(st);
	if (rc == 1)
		load_manifest(R, st, m);
	db_reset(st);
	return rc < 0 ? dberr(R) : rc;
}

/* Every archive org's log needs now. 0 or -1. */
static int retain(struct run *R, const struct retention_log *L, int64_t org,
		  int64_t now_ms, int64_t older_than_days)
{
	int64_t days = older_than_days;
	if (days < 0 && settings_get_int(R->c, org, L->setting, &days) < 0)
		return dberr(R);
	if (days <= 0 && older_than_days < 0)
		return 0; /* kept forever */
	char cutoff[ATR_TIME_LEN];
	atr_time_iso(now_ms - days * 24 * 3600 * 1000, cutoff);
	/* The chain as it was when the run began: the run's own rows (each
	 * archive's log_archived row) wait for the next run. */
	int64_t max_seq = 0;
	if (L->chain) {
		struct db_stmt *st = db_prepare(
			R->c, "SELECT seq FROM audit_head WHERE org_id = ?");
		if (!st)
			return dberr(R);
		db_bind_int(st, 1, org);
		int rc = db_step(st);
		max_seq = rc == 1 ? db_col_int(st, 0) : 0;
		db_reset(st);
		if (rc < 0)
			return dberr(R);
	}
	for (;;) {
		struct manifest m = {0};
		int p = pending(R, L, org, &m);
		if (p < 0)
			return -1;
		if (p) {
			if (finish_archive(R, L, &m) < 0)
				return -1;
			continue;
		}
		int w = write_archive(R, L, org, cutoff, max_seq);
		if (w <= 0)
			return w;
	}
}

/* The run's locks: the directory's flock, and PostgreSQL's advisory lock.
 * Returns the lock file's descriptor, -2 when another run holds a lock
 * (nothing to do), -1 (err). */
static int lock_run(struct run *R)
{
	if (archive_mkdirs(R->app->cfg.archive_dir, R->err) < 0)
		return -1;
	char *path = xasprintf("%s/.lock", R->app->cfg.archive_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		atr_fail(R->err, ATR_E_INTERNAL, "cannot open '%s': %s", path,
			 strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -2;
	}
	if (db_conn_dialect(R->c) == DB_PG) {
		struct db_stmt *st = db_prepare(
			R->c, "SELECT pg_try_advisory_lock(727276)");
		int rc = st ? db_step(st) : -1;
		bool got = rc == 1 && (db_col_int(st, 0) ||
				       !strcmp(db_col_text(st, 0), "t"));
		if (st)
			db_reset(st);
		if (!got) {
			close(fd);
			return rc < 0 ? dberr(R) : -2;
		}
	}
	return fd;
}

static void unlock_run(struct run *R, int fd)
{
	if (db_conn_dialect(R->c) == DB_PG) {
		struct db_stmt *st =
			db_prepare(R->c, "SELECT pg_advisory_unlock(727276)");
		if (st) {
			db_step(st);
			db_reset(st);
		}
	}
	close(fd);
}

int retention_run(struct app *app, struct db_conn *c, int64_t now_ms,
		  const char *only, int64_t older_than_days, FILE *report,
		  struct atr_err *err)
{
	struct run R = {app, c, report, err, 0};
	int fd = lock_run(&R);
	if (fd == -2) {
		if (report)
			fprintf(report, "another retention run holds the lock; "
					"nothing done\n");
		return 0;
	}
	if (fd < 0)
		return -1;
	int rc = 0;
	struct db_stmt *st = db_prepare(
		c, "SELECT id FROM org WHERE status = 'active' ORDER BY id");
	int64_t *orgs = NULL;
	size_t n = 0, cap = 0;
	int s = -1;
	while (st && (s = db_step(st)) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			orgs = xrealloc(orgs, cap * sizeof *orgs);
		}
		orgs[n++] = db_col_int(st, 0);
	}
	if (st)
		db_reset(st);
	if (s < 0)
		rc = dberr(&R);
	for (const struct retention_log *L = retention_logs; !rc && L->name;
	     L++) {
		if (only && strcmp(only, L->name) != 0)
			continue;
		for (size_t i = 0; !rc && i < n; i++)
			rc = retain(&R, L, orgs[i], now_ms, older_than_days);
	}
	free(orgs);
	unlock_run(&R, fd);
	return rc < 0 ? -1 : R.done;
}

int retention_lock(struct app *app, struct db_conn *c, struct atr_err *err)
{
	struct run R = {app, c, NULL, err, 0};
	return lock_run(&R);
}

void retention_unlock(struct db_conn *c, int fd)
{
	struct run R = {.c = c};
	unlock_run(&R, fd);
}
