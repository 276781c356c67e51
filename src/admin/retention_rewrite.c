/* retention_rewrite.c — rewriting archives already written
 * (admin/retention.h: retention_rewrite), for GDPR erasure: the rows an
 * erasure changes in the live tables are changed in the archives too.
 *
 * Per archive of the organisation, in manifest order:
 *   1. a first read applies the edit to every row and counts the rows it
 *      changes; none: the file stays as it is;
 *   2. the file is checked against its manifest (SHA-256, size, rows, and
 *      the activity log's chain: archive_verify), so a file altered behind
 *      Atrium's back is refused, never given a fresh checksum;
 *   3. a second read streams the edited rows into a temporary file,
 *      fsync'd and renamed to <first>-<last>.<tag><id>.jsonl.gz, the
 *      directory fsync'd; the new file is verified the same way (rows,
 *      ids, the chain still ending at the manifest's checkpoint, which a
 *      copy beside it repeats); step "rewrite_file";
 *   4. one transaction points the manifest at the new file (path, SHA-256,
 *      size, rewritten_by, rewritten_at, rewrite_note) with replaced_path
 *      naming the old file, guarded by the old SHA-256, and writes the
 *      activity row; step "rewrite_manifest";
 *   5. the old file (and its checkpoint copy) is removed, the directory
 *      fsync'd, replaced_path cleared; step "rewrite_removed".
 * A crash before 4 leaves the old file and its manifest as they were (and
 * at most a finished new file nobody refers to, overwritten by the next
 * attempt, or a temporary file the next call removes); after 4, the new
 * file and its manifest, and an old file that the next call removes before
 * anything else (replaced_path). Memory: one line at a time.
 */
#include "atrium.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/retention.h"
#include "core/activity.h"
#include "core/app.h"
#include "db/db.h"

struct arch {
	int64_t id, rows, first_id, last_id, bytes, cut_seq;
	char log[64], path[512], sha256[65], cut_hash[65];
	char *checkpoint;
};

static int fault(struct atr_err *err, const char *step)
{
	if (retention_fault && retention_fault(step))
		return atr_fail(err, ATR_E_INTERNAL,
				"archive rewrite stopped at '%s' (injected)",
				step);
	return 0;
}

static int dberr(struct db_conn *c, struct atr_err *err)
{
	if (!err->msg[0])
		atr_fail(err, ATR_E_INTERNAL,
			 "archive rewrite: database error: %s", db_errmsg(c));
	if (db_in_tx(c))
		db_rollback(c);
	return -1;
}

static void sync_dir(const char *file)
{
	char *dir = xstrdup(file);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* The checkpoint copy beside an archive: its path without ".jsonl.gz",
 * then ".checkpoint.json" (as `atrium logs verify` looks for it; caller
 * frees). */
static char *side_path(const char *path)
{
	size_t n = strlen(path), ext = strlen(".jsonl.gz");
	if (n > ext && !strcmp(path + n - ext, ".jsonl.gz"))
		n -= ext;
	return xasprintf("%.*s.checkpoint.json", (int)n, path);
}

/* Removes an archive file and its checkpoint copy. 0 or -1 (err). */
static int remove_file(const char *dir, const char *rel, struct atr_err *err)
{
	char *full = xasprintf("%s/%s", dir, rel);
	char *side = side_path(full);
	int rc = 0;
	if ((unlink(full) < 0 && errno != ENOENT) ||
	    (unlink(side) < 0 && errno != ENOENT))
		rc = atr_fail(err, ATR_E_INTERNAL, "cannot remove '%s': %s",
			      full, strerror(errno));
	else
		sync_dir(full);
	free(side);
	free(full);
	return rc;
}

#define SWEEP_BATCH 64
static int sweep_some(struct app *app, struct db_conn *c, int64_t org,
		      struct atr_err *err);

/* Old files of rewrites a crash interrupted after their manifest moved,
 * and temporary files of writes a crash interrupted (the caller holds the
 * lock: no writer is at work in the directory). 0 or -1. */
static int sweep(struct app *app, struct db_conn *c, int64_t org,
		 struct atr_err *err)
{
	for (const struct retention_log *L = retention_logs; L->name; L++) {
		char *dir = xasprintf("%s/%s/org%lld", app->cfg.archive_dir,
				      L->name, (long long)org);
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (!strncmp(e->d_name, ".tmp-", 5)) {
				char *p = xasprintf("%s/%s", dir, e->d_name);
				unlink(p);
				free(p);
			}
		if (d)
			closedir(d);
		free(dir);
	}
	int n, result = 0;
	do {
		n = sweep_some(app, c, org, err);
		if (n < 0)
			result = -1;
	} while (n == SWEEP_BATCH);
	return result;
}

/* Up to SWEEP_BATCH old files of interrupted rewrites removed: how many,
 * or -1. */
static int sweep_some(struct app *app, struct db_conn *c, int64_t org,
		      struct atr_err *err)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id, replaced_path FROM log_archive WHERE org_id = ? "
		   "AND replaced_path IS NOT NULL ORDER BY id LIMIT 64");
	if (!st)
		return dberr(c, err);
	db_bind_int(st, 1, org);
	int64_t ids[SWEEP_BATCH];
	char *paths[SWEEP_BATCH];
	int n = 0, rc = 0;
	while (n < SWEEP_BATCH && (rc = db_step(st)) == 1) {
		ids[n] = db_col_int(st, 0);
		paths[n++] = xstrdup(db_col_text(st, 1));
	}
	db_reset(st);
	int result = rc < 0 ? dberr(c, err) : 0;
	for (int i = 0; i < n; i++) {
		if (!result &&
		    remove_file(app->cfg.archive_dir, paths[i], err) < 0)
			result = -1;
		if (!result) {
			st = db_prepare(c, "UPDATE log_archive SET "
					   "replaced_path = NULL WHERE id = ?");
			if (!st)
				result = dberr(c, err);
			else {
				db_bind_int(st, 1, ids[i]);
				if (db_step(st) < 0)
					result = dberr(c, err);
				db_reset(st);
			}
		}
		free(paths[i]);
	}
	return result < 0 ? -1 : n;
}

/* Reads every row of full, editing each; writes them to w when w is not
 * NULL. Returns the rows changed, or -1 (err). */
static int64_t pass(const char *full, const struct retention_log *L,
		    const struct archive_rewrite *rw,
		    struct archive_writer *w, struct atr_err *err)
{
	struct archive_reader *rd = archive_open(full, err);
	if (!rd)
		return -1;
	int64_t changed = 0;
	json_t *row;
	int r;
	while ((r = archive_next(rd, &row, err)) == 1) {
		int e = rw->edit(rw->arg, L, row, err);
		if (e > 0)
			changed++;
		if (e < 0 || (w && archive_write(w, row, err) < 0)) {
			json_decref(row);
			r = -1;
			break;
		}
		json_decref(row);
	}
	archive_close(rd);
	return r < 0 ? -1 : changed;
}

/* archive_verify of full, compared with the manifest a. 0, or -1 (err
 * naming what differs). */
static int check(const char *full, const struct retention_log *L,
		 const struct arch *a, bool sha, struct archive_info *info,
		 struct atr_err *err)
{
	char *why = NULL;
	size_t whylen = 0;
	FILE *out = open_memstream(&why, &whylen);
	int v = archive_verify(full, L->time_col, L->chain, info, out, err);
	fclose(out);
	int rc = 0;
	if (v < 0)
		rc = -1;
	else if (v > 0)
		rc = atr_fail(err, ATR_E_INTERNAL,
			      "archive %lld ('%s') does not verify, so it is "
			      "not rewritten: %s",
			      (long long)a->id, full, why);
	else if ((sha && (strcmp(info->sha256, a->sha256) != 0 ||
			  info->bytes != a->bytes)) ||
		 info->rows != a->rows || info->first_id != a->first_id ||
		 info->last_id != a->last_id ||
		 (L->chain && (info->last_seq != a->cut_seq ||
			       strcmp(info->last_hash, a->cut_hash) != 0)))
		rc = atr_fail(err, ATR_E_INTERNAL,
			      "archive %lld ('%s') differs from its manifest "
			      "(checksum, size, rows or checkpoint), so it is "
			      "not rewritten",
			      (long long)a->id, full);
	free(why);
	return rc;
}

static int write_text(const char *path, const char *text,
		      struct atr_err *err)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	int rc = -1;
	if (fd >= 0 && write(fd, text, len) == (ssize_t)len &&
	    write(fd, "\n", 1) == 1 && fsync(fd) == 0 && close(fd) == 0) {
		fd = -1;
		rc = rename(tmp, path);
	}
	if (rc < 0) {
		atr_fail(err, ATR_E_INTERNAL, "cannot write '%s': %s", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* Step 4: the manifest moves to the new file, with its activity row. */
static int move_manifest(struct db_conn *c, const struct archive_rewrite *rw,
			 const struct arch *a, const char *rel,
			 const struct archive_info *info, int64_t changed,
			 struct atr_err *err)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	char *note = xasprintf("rewritten by %s %lld at %s: %lld rows changed",
			       rw->note ? rw->note : rw->tag,
			       (long long)rw->tag_id, now, (long long)changed);
	int rc = db_begin(c);
	struct db_stmt *st = rc < 0 ? NULL : db_prepare(
		c, "UPDATE log_archive SET path = ?, sha256 = ?, bytes = ?, "
		   "rewritten_by = ?, rewritten_at = ?, rewrite_note = ?, "
		   "replaced_path = ? WHERE id = ? AND sha256 = ? RETURNING id");
	if (!st) {
		free(note);
		return dberr(c, err);
	}
	db_bind_text(st, 1, rel);
	db_bind_text(st, 2, info->sha256);
	db_bind_int(st, 3, info->bytes);
	db_bind_int(st, 4, rw->tag_id);
	db_bind_text(st, 5, now);
	db_bind_text(st, 6, note);
	db_bind_text(st, 7, a->path);
	db_bind_int(st, 8, a->id);
	db_bind_text(st, 9, a->sha256);
	rc = db_step(st);
	db_reset(st);
	free(note);
	if (rc == 0)
		atr_fail(err, ATR_E_CONFLICT,
			 "archive %lld changed while it was rewritten",
			 (long long)a->id);
	if (rc != 1)
		return dberr(c, err);
	json_t *diff = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "log", a->log,
				 "path", rel, "replaced", a->path, "sha256",
				 info->sha256, "old_sha256", a->sha256,
				 "rows_changed", (json_int_t)changed,
				 "rewritten_by", (json_int_t)rw->tag_id);
	struct activity act = {.org_id = rw->org,
			       .actor_id = rw->actor_id,
			       .actor_name = rw->actor_name,
			       .action = rw->action,
			       .entity = "log_archive",
			       .entity_id = a->id,
			       .diff = diff,
			       .ip = rw->ip,
			       .request_id = rw->request_id};
	rc = activity_record(c, &act);
	json_decref(diff);
	if (rc < 0 || db_commit(c) < 0)
		return dberr(c, err);
	return 0;
}

/* Steps 1-5 for one archive. 1 rewritten, 0 unchanged, -1 (err). */
static int rewrite_one(struct app *app, struct db_conn *c,
		       const struct archive_rewrite *rw, const struct arch *a,
		       json_t *rewritten, struct atr_err *err)
{
	const struct retention_log *L = retention_log_find(a->log);
	if (!L)
		return 0;
	const char *root = app->cfg.archive_dir;
	char *full = xasprintf("%s/%s", root, a->path);
	int64_t changed = pass(full, L, rw, NULL, err);
	struct archive_info info;
	if (changed <= 0 || check(full, L, a, true, &info, err) < 0) {
		free(full);
		return changed < 0 ? -1 : changed == 0 ? 0 : -1;
	}
	/* The new name: the rows' ids, then the tag. */
	const char *base = strrchr(a->path, '/');
	base = base ? base + 1 : a->path;
	size_t stem = strcspn(base, ".");
	char name[160];
	snprintf(name, sizeof name, "%.*s.%s%lld.jsonl.gz", (int)stem, base,
		 rw->tag, (long long)rw->tag_id);
	if (!strcmp(name, base))
		snprintf(name, sizeof name, "%.*s.%s%lld-2.jsonl.gz",
			 (int)stem, base, rw->tag, (long long)rw->tag_id);
	char *dir = xasprintf("%s/%.*s", root, (int)(base - a->path - 1),
			      a->path);
	char *rel = xasprintf("%.*s%s", (int)(base - a->path), a->path, name);
	char *nfull = xasprintf("%s/%s", root, rel);
	int rc = -1;
	struct archive_writer *w = archive_create(dir, err);
	if (!w)
		goto out;
	if (pass(full, L, rw, w, err) != changed) {
		if (!err->msg[0])
			atr_fail(err, ATR_E_INTERNAL,
				 "archive %lld changed between two reads",
				 (long long)a->id);
		archive_abort(w);
		goto out;
	}
	struct archive_info ninfo;
	if (archive_commit(w, name, &ninfo, err) < 0 ||
	    check(nfull, L, a, false, &ninfo, err) < 0)
		goto out;
	if (a->checkpoint) {
		char *side = side_path(nfull);
		int s = write_text(side, a->checkpoint, err);
		free(side);
		if (s < 0)
			goto out;
		sync_dir(nfull);
	}
	if (fault(err, "rewrite_file") < 0 ||
	    move_manifest(c, rw, a, rel, &ninfo, changed, err) < 0 ||
	    fault(err, "rewrite_manifest") < 0)
		goto out;
	if (remove_file(root, a->path, err) < 0)
		goto out;
	struct db_stmt *st = db_prepare(
		c, "UPDATE log_archive SET replaced_path = NULL WHERE id = ?");
	if (!st) {
		dberr(c, err);
		goto out;
	}
	db_bind_int(st, 1, a->id);
	int s = db_step(st);
	db_reset(st);
	if (s < 0) {
		dberr(c, err);
		goto out;
	}
	json_array_append_new(rewritten,
			      json_pack("{s:I,s:s,s:s,s:I}", "id",
					(json_int_t)a->id, "log", a->log,
					"path", rel, "rows_changed",
					(json_int_t)changed));
	rc = fault(err, "rewrite_removed") < 0 ? -1 : 1;
out:
	free(nfull);
	free(rel);
	free(dir);
	free(full);
	return rc;
}

/* The organisation's manifests (caller frees each checkpoint and *out). */
static int load_all(struct db_conn *c, int64_t org, struct arch **out,
		    size_t *n, struct atr_err *err)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id, log, path, row_count, first_id, last_id, bytes, "
		   "sha256, cut_seq, cut_hash, checkpoint FROM log_archive "
		   "WHERE org_id = ? ORDER BY id");
	if (!st)
		return dberr(c, err);
	db_bind_int(st, 1, org);
	size_t cap = 0;
	int rc;
	*out = NULL;
	*n = 0;
	while ((rc = db_step(st)) == 1) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct arch *a = &(*out)[(*n)++];
		memset(a, 0, sizeof *a);
		a->id = db_col_int(st, 0);
		atr_strlcpy(a->log, db_col_text(st, 1), sizeof a->log);
		atr_strlcpy(a->path, db_col_text(st, 2), sizeof a->path);
		a->rows = db_col_int(st, 3);
		a->first_id = db_col_int(st, 4);
		a->last_id = db_col_int(st, 5);
		a->bytes = db_col_int(st, 6);
		atr_strlcpy(a->sha256, db_col_text(st, 7), sizeof a->sha256);
		a->cut_seq = db_col_null(st, 8) ? 0 : db_col_int(st, 8);
		atr_strlcpy(a->cut_hash,
			    db_col_null(st, 9) ? "" : db_col_text(st, 9),
			    sizeof a->cut_hash);
		a->checkpoint =
			db_col_null(st, 10) ? NULL : xstrdup(db_col_text(st, 10));
	}
	db_reset(st);
	return rc < 0 ? dberr(c, err) : 0;
}

int retention_rewrite(struct app *app, struct db_conn *c,
		      const struct archive_rewrite *rw, json_t *rewritten,
		      struct atr_err *err)
{
	if (sweep(app, c, rw->org, err) < 0)
		return -1;
	struct arch *all;
	size_t n;
	if (load_all(c, rw->org, &all, &n, err) < 0)
		return -1;
	/* Every file must be here before any is rewritten: an archive on
	 * another node's disk would keep its copy unseen. */
	char *missing = NULL;
	size_t mlen = 0;
	FILE *m = open_memstream(&missing, &mlen);
	int nmiss = 0;
	for (size_t i = 0; i < n; i++) {
		char *full = xasprintf("%s/%s", app->cfg.archive_dir,
				       all[i].path);
		struct stat sb;
		if (stat(full, &sb) < 0) {
			fprintf(m, "%s%s", nmiss ? ", " : "", full);
			nmiss++;
		}
		free(full);
	}
	fclose(m);
	int rc = 0;
	if (nmiss)
		rc = atr_fail(err, ATR_E_CONFLICT,
			      "%d log archive%s not on this node, so %s cannot "
			      "be rewritten: %s (docs/operations-guide.md: "
			      "archives on several nodes)",
			      nmiss, nmiss == 1 ? " is" : "s are",
			      nmiss == 1 ? "it" : "they", missing);
	free(missing);
	for (size_t i = 0; !rc && i < n; i++)
		if (rewrite_one(app, c, rw, &all[i], rewritten, err) < 0)
			rc = -1;
	for (size_t i = 0; i < n; i++)
		free(all[i].checkpoint);
	free(all);
	return rc;
}
