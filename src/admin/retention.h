/* retention.h — log retention: old rows of each log are written to a
 * verified archive file, recorded in a manifest, and only then removed.
 *
 * One engine (retention.c) runs over one table of logs (retention_logs[]
 * in retention_logs.c). A log is a table with an org_id, an id that grows
 * and a time column; its retention is a setting in days (0: kept
 * forever). For each organisation and log, a run:
 *   1. finishes an archive left 'written' by an earlier run (a crash);
 *   2. writes the rows older than the cut-off (at most RETENTION_FILE_ROWS)
 *      to <archive_dir>/<log>/org<org>/<first id>-<last id>.jsonl.gz: one
 *      JSON object per row, gzip, fsync'd, then renamed in place (a second
 *      write of the same rows lands on the same name);
 *   3. records the manifest (log_archive: rows, first/last id and time,
 *      size, SHA-256) with status 'written';
 *   4. verifies the file (SHA-256, every row readable, the count and the
 *      ids; for the activity log the chain inside it), then removes the rows
 *      in batches of RETENTION_BATCH, each batch in a transaction that also
 *      records the progress (removed) — and, for the activity log, moves
 *      the chain's cut (core/activity.h) to the last removed row;
 *   5. marks the archive 'done' with its activity row.
 * A crash between any two steps loses nothing and archives nothing twice:
 * rows leave the database only after their file is verified, and the next
 * run resumes the 'written' archive instead of writing a new one.
 *
 * Adding a log: one row in retention_logs[] (name, table, time column,
 * optional condition, its setting key, its integer columns) and its setting
 * row; nothing else changes.
 */
#ifndef ATR_RETENTION_H
#define ATR_RETENTION_H

#include "atrium.h"

#include <jansson.h>

struct app;
struct db;
struct db_conn;

#define RETENTION_FILE_ROWS 50000
/* A file also ends once this much JSON went into it (before compression),
 * so that one archive stays a handy size to download and verify. */
#define RETENTION_FILE_RAW (64LL << 20)
#define RETENTION_BATCH 500

struct retention_log {
	const char *name;     /* [a-z_]+: the archive folder, the API's log */
	const char *table;    /* with columns id and org_id */
	const char *time_col; /* a row's age */
	/* More conditions a removable row meets (SQL over the table's own
	 * columns), or NULL. */
	const char *where;
	const char *setting; /* its retention in days (an int setting) */
	/* Columns written as JSON numbers (the others as strings), NULL-
	 * terminated. */
	const char *const *int_cols;
	/* The activity log: a prefix of the chain (by seq) is archived, and
	 * the cut moves with each batch. */
	bool chain;
};

extern const struct retention_log retention_logs[];
/* The row named name, or NULL. */
const struct retention_log *retention_log_find(const char *name);

/* Runs retention once: every organisation, every log (or only `only`).
 * older_than_days >= 0 overrides the setting (the CLI's --older-than).
 * Prints one line per archive to report (may be NULL). Returns the number
 * of archives finished, or -1 (err). */
int retention_run(struct app *app, struct db_conn *c, int64_t now_ms,
		  const char *only,
		  int64_t older_than_days, FILE *report, struct atr_err *err);

/* Test hook: called after each step (file, manifest, batch, done; and
 * retention_rewrite's rewrite_file, rewrite_manifest, rewrite_removed) with
 * its name; a non-zero return stops the run there with an error, as a
 * crash would. NULL in the product. */
extern int (*retention_fault)(const char *step);

/* ---- archive files (retention_file.c) ---------------------------------- */

/* What a file holds, as verify found it. */
struct archive_info {
	int64_t rows, first_id, last_id, bytes;
	char first_at[32], last_at[32];
	char sha256[65];
	/* The activity log: the chain inside the file. */
	int64_t first_seq, last_seq, erased;
	char first_prev[65], last_hash[65];
};

/* Opens a new temporary file in dir for writing rows. NULL (err). */
struct archive_writer;
struct archive_writer *archive_create(const char *dir, struct atr_err *err);
/* Appends one row (a JSON object), as one line. 0 or -1 (err). */
int archive_write(struct archive_writer *w, const json_t *row,
		  struct atr_err *err);
/* Finishes the gzip stream, fsyncs it and renames it to dir/name, fsyncs
 * the directory, computes its size and SHA-256. 0 or -1 (err; the
 * temporary file is removed). Frees w either way. */
int archive_commit(struct archive_writer *w, const char *name,
		   struct archive_info *info, struct atr_err *err);
/* Bytes appended so far, before compression. */
int64_t archive_raw_bytes(const struct archive_writer *w);
/* Removes the temporary file and frees w. */
void archive_abort(struct archive_writer *w);

/* Reads a whole archive: its SHA-256 and size, each row (every line a JSON
 * object with an id; chain: the rows' chain checked from the first row's
 * link, what is wrong printed to out). 0 readable, 1 not (why in out), -1
 * (err: no key for a chain). */
int archive_verify(const char *path, const char *time_col, bool chain,
		   struct archive_info *info,
		   FILE *out, struct atr_err *err);
/* Reads an archive row by row (bounded memory: one line at a time). */
struct archive_reader;
struct archive_reader *archive_open(const char *path, struct atr_err *err);
/* The next row (the caller decrefs *row): 1, 0 at the end, -1 (err: a
 * line that is not a JSON object, a truncated or broken gzip stream). */
int archive_next(struct archive_reader *rd, json_t **row,
		 struct atr_err *err);
void archive_close(struct archive_reader *rd);

/* ---- the run's lock (retention.c) ---------------------------------------- */

/* Takes the lock a retention run holds (the archive directory's flock and,
 * on PostgreSQL, the advisory lock on c), so that no run archives or
 * removes rows meanwhile. Returns a descriptor for retention_unlock, -2
 * when a run holds it now, -1 (err). */
int retention_lock(struct app *app, struct db_conn *c, struct atr_err *err);
void retention_unlock(struct db_conn *c, int fd);

/* ---- rewriting archives (retention_rewrite.c) ---------------------------- */

/* Changes one archived row in place (row is the file's JSON object): 1 it
 * changed, 0 it did not, -1 (err). It must keep id, org_id, the time
 * column and, for the activity log, every column the chain's MAC covers
 * (only the separable personal parts may go). */
typedef int (*archive_edit_fn)(void *arg, const struct retention_log *L,
			       json_t *row, struct atr_err *err);

/* Who asks for a rewrite, for the activity rows and the file names. */
struct archive_rewrite {
	int64_t org;
	/* The new file is <first>-<last>.<tag><tag_id>.jsonl.gz and the
	 * manifest records rewritten_by = tag_id ("e" and a GDPR request
	 * id for an erasure). */
	const char *tag;
	int64_t tag_id;
	/* The manifest's note: "rewritten by <note> <tag_id> at <time>". */
	const char *note;
	archive_edit_fn edit;
	void *arg;
	/* Each rewrite's activity row: actor, action, request. */
	int64_t actor_id;
	const char *actor_name, *ip, *request_id, *action;
};

/* Rewrites every archive of w->org whose rows w->edit changes: streams the
 * old file into a new one (a temporary file, fsync'd, renamed), verifies
 * it (the activity log's chain still ends at its checkpoint), then in one
 * transaction points the manifest at the new file (SHA-256, size,
 * rewritten_by, rewritten_at, replaced_path: the old file) with its
 * activity row, and only then removes the old file and clears
 * replaced_path. A crash leaves either the old file with the old manifest,
 * or the new one with its manifest and an old file the next call removes
 * first. The caller holds retention_lock. Appends to rewritten (an array)
 * one object per archive rewritten: id, log, path, rows changed. An
 * archive whose file is not in this node's archive_dir is an error
 * naming it (nothing is claimed done that was not). 0 or -1 (err). */
int retention_rewrite(struct app *app, struct db_conn *c,
		      const struct archive_rewrite *w, json_t *rewritten,
		      struct atr_err *err);
/* Makes dir and its parents (0700). 0 or -1 (err). */
int archive_mkdirs(const char *dir, struct atr_err *err);

#endif
