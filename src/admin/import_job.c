/* import_job.c — the import's jobs: validate (nothing written) and write.
 *
 * Each job acts as the importer (req_act_as: their grants, refused
 * once they are deactivated or deleted), loads the pass (import_run.c),
 * runs it over the stored file and stores what it found: the errors, the
 * counts, the state, the import's own activity row. The write is all or
 * nothing (one transaction) or skip bad rows (a commit per IMPORT_BATCH
 * rows with the import's rows_done, so a job that runs again continues
 * after the last committed batch and writes no row twice).
 */
#include "atrium.h"

#include "admin/import_int.h"
#include "auth/act_as.h"
#include "auth/perm.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"
#include "http/perm.h"
#include "http/pipeline.h"
#include "jobs/jobs.h"

/* ---- storing results ------------------------------------------------------------ */

static int store_errors(struct imp_pass *p, bool replace)
{
	struct db_conn *c = p->r->db;
	struct db_stmt *st;
	if (replace) {
		st = db_prepare(c, "DELETE FROM import_error WHERE import_id = ?");
		if (!st)
			return -1;
		db_bind_int(st, 1, p->import_id);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return -1;
		p->stored_errors = 0;
	}
	size_t i;
	json_t *e;
	json_array_foreach(p->errs, i, e)
	{
		if (p->stored_errors >= IMPORT_ERRORS_MAX)
			break;
		st = db_prepare(c, "INSERT INTO import_error (import_id, row_no, "
				   "col, reason) VALUES (?, ?, ?, ?)");
		if (!st)
			return -1;
		db_bind_int(st, 1, p->import_id);
		db_bind_int(st, 2, json_integer_value(json_object_get(e, "row")));
		db_bind_text(st, 3, json_string_value(json_object_get(e, "column")));
		db_bind_text(st, 4, json_string_value(json_object_get(e, "reason")));
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return -1;
		p->stored_errors++;
	}
	json_array_clear(p->errs);
	return 0;
}

/* Sets the import's state: status (NULL: unchanged), the counts of this
 * pass added (or set, when set_counts), rows_done, an error message. */
static int save_state(struct imp_pass *p, const char *status, bool set_counts,
		      const char *error, bool finished)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	const char *sql =
		set_counts
			? "UPDATE import SET status = COALESCE(?, status), "
			  "created_count = ?, updated_count = ?, "
			  "skipped_count = ?, error_count = ?, rows_done = ?, "
			  "error = ?, updated_at = ?, finished_at = ? WHERE id = ?"
			: "UPDATE import SET status = COALESCE(?, status), "
			  "created_count = created_count + ?, updated_count = "
			  "updated_count + ?, skipped_count = skipped_count + ?, "
			  "error_count = error_count + ?, rows_done = ?, "
			  "error = ?, updated_at = ?, finished_at = ? WHERE id = ?";
	struct db_stmt *st = db_prepare(p->r->db, sql);
	if (!st)
		return -1;
	if (status)
		db_bind_text(st, 1, status);
	else
		db_bind_null(st, 1);
	db_bind_int(st, 2, p->created);
	db_bind_int(st, 3, p->updated);
	db_bind_int(st, 4, p->skipped);
	db_bind_int(st, 5, p->errors);
	db_bind_int(st, 6, p->last_row > p->after_row ? p->last_row : p->after_row);
	if (error)
		db_bind_text(st, 7, error);
	else
		db_bind_null(st, 7);
	db_bind_text(st, 8, now);
	if (finished)
		db_bind_text(st, 9, now);
	else
		db_bind_null(st, 9);
	db_bind_int(st, 10, p->import_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* A batch of the "skip bad rows" write: its errors and progress commit
 * with its rows, and the next batch begins. */
static int flush_batch(struct imp_pass *p)
{
	struct db_conn *c = p->r->db;
	if (store_errors(p, false) < 0 || save_state(p, NULL, false, NULL, false) < 0 ||
	    db_commit(c) < 0)
		return req_db_error(p->r);
	p->totals[0] += p->created;
	p->totals[1] += p->updated;
	p->totals[2] += p->skipped;
	p->totals[3] += p->errors;
	p->created = p->updated = p->skipped = p->errors = 0;
	p->after_row = p->last_row;
	if (jobs_stopping()) {
		p->stopped = true;
		return -1;
	}
	return db_begin_solo(c) < 0 ? req_db_error(p->r) : 0;
}

/* The import's own activity row: what the pass did. */
static int log_import(struct imp_pass *p, const char *action)
{
	json_t *diff = json_pack(
		"{s:{s:I},s:{s:I},s:{s:I},s:{s:I}}", "created", "to",
		(json_int_t)(p->totals[0] + p->created), "updated", "to",
		(json_int_t)(p->totals[1] + p->updated), "skipped", "to",
		(json_int_t)(p->totals[2] + p->skipped), "errors", "to",
		(json_int_t)(p->totals[3] + p->errors));
	int rc = activity_from_req(p->r, action, "import", p->import_id, diff);
	json_decref(diff);
	return rc;
}

/* Clears the stored file of a finished import (the records hold the
 * data now; the file would only keep a second copy of it). */
static int drop_file(struct imp_pass *p)
{
	struct db_stmt *st = db_prepare(
		p->r->db, "UPDATE import SET file = NULL WHERE id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, p->import_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* ---- the jobs ---------------------------------------------------------------- */

/* Marks the import failed with why (its own transaction). */
static int fail_import(struct imp_pass *p, const char *why)
{
	struct db_conn *c = p->r->db;
	if (db_begin(c) < 0)
		return -1;
	if (save_state(p, "failed", true, why, true) < 0 ||
	    activity_from_req(p->r, "fail", "import", p->import_id, NULL) < 0) {
		db_rollback(c);
		return -1;
	}
	return db_commit(c);
}

/* Sets up a job's pass: the importer, the import, its file. JOB_OK when
 * there is nothing to do (the import is gone or elsewhere), 1 to run,
 * JOB_FAILED on a database error. */
static int job_setup(struct job_ctx *j, struct db_conn *c, struct req *fr,
		     bool *have_fr, struct imp_pass *p, char **file,
		     size_t *len, const char *const *states, char *status,
		     struct atr_err *err)
{
	int64_t id = json_integer_value(json_object_get(j->payload, "import_id"));
	struct db_stmt *st = db_prepare(
		c, "SELECT created_by FROM import WHERE id = ? AND org_id = ?");
	if (!st)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c)), JOB_FAILED;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, j->org_id);
	int rc = db_step(st);
	int64_t staff = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc < 0)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c)), JOB_FAILED;
	if (rc == 0)
		return JOB_OK;
	struct atr_err why = {0};
	int pr = req_act_as(fr, j->app, c, j->org_id, staff, "import",
			    "the importer", &why);
	*have_fr = true;
	if (pr < 0 && why.kind == ATR_E_INTERNAL) {
		*err = why;
		return JOB_FAILED;
	}
	rc = imp_pass_load(fr, id, p, file, len, status, 16);
	if (rc <= 0) {
		*err = fr->err;
		return rc == 0 ? JOB_OK : JOB_FAILED;
	}
	bool ours = false;
	for (int i = 0; states[i]; i++)
		ours |= !strcmp(status, states[i]);
	if (!ours)
		return JOB_OK; /* a second delivery, or changed since */
	if (pr < 0)
		return fail_import(p, why.msg) < 0 ? JOB_FAILED : JOB_OK;
	enum perm_cap need = !strcmp(p->dup_mode, "update") ? CAP_EDIT
							    : CAP_CREATE;
	if (perm_check(&fr->who, p->e->plural, CAP_CREATE) == PERM_DENY ||
	    perm_check(&fr->who, p->e->plural, need) == PERM_DENY) {
		char msg[160];
		snprintf(msg, sizeof msg, "the importer may no longer %s %s",
			 need == CAP_EDIT ? "edit" : "create", p->e->plural);
		return fail_import(p, msg) < 0 ? JOB_FAILED : JOB_OK;
	}
	if (!*file)
		return fail_import(p, "the file is no longer kept") < 0
			       ? JOB_FAILED
			       : JOB_OK;
	return 1;
}

int imp_job_validate(struct job_ctx *j, struct atr_err *err)
{
	struct db_conn *c = db_acquire(j->app->db, err);
	if (!c)
		return JOB_FAILED;
	struct req fr;
	bool have_fr = false;
	struct imp_pass p = {0};
	char *file = NULL, status[16] = "";
	size_t len = 0;
	static const char *const states[] = {"validating", NULL};
	int out = job_setup(j, c, &fr, &have_fr, &p, &file, &len, states,
			    status, err);
	if (out != 1)
		goto done;
	out = JOB_FAILED;
	p.write = false;
	if (imp_pass_run(&p, file, len) < 0 && fr.err.kind == ATR_E_INTERNAL) {
		*err = fr.err;
		goto done;
	}
	bool unreadable = fr.err.kind != ATR_E_NONE;
	if (db_begin(c) < 0)
		goto dberr;
	if (store_errors(&p, true) < 0 ||
	    save_state(&p, unreadable ? "failed"
			   : p.errors   ? "invalid"
					: "validated",
		       true, unreadable ? fr.err.msg : NULL, false) < 0 ||
	    log_import(&p, "validated") < 0) {
		db_rollback(c);
		goto dberr;
	}
	/* rows_done is the write's progress: validation leaves it at 0 */
	struct db_stmt *st = db_prepare(c, "UPDATE import SET rows_done = 0 "
					   "WHERE id = ?");
	if (!st || (db_bind_int(st, 1, p.import_id), db_step(st)) < 0 ||
	    (db_reset(st), db_commit(c)) < 0) {
		db_rollback(c);
		goto dberr;
	}
	out = JOB_OK;
	goto done;
dberr:
	atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
done:
	free(file);
	imp_pass_free(&p);
	if (have_fr)
		req_act_as_end(&fr);
	db_release(c);
	return out;
}

int imp_job_write(struct job_ctx *j, struct atr_err *err)
{
	struct db_conn *c = db_acquire(j->app->db, err);
	if (!c)
		return JOB_FAILED;
	struct req fr;
	bool have_fr = false;
	struct imp_pass p = {0};
	char *file = NULL, status[16] = "";
	size_t len = 0;
	static const char *const states[] = {"queued", "running", NULL};
	int out = job_setup(j, c, &fr, &have_fr, &p, &file, &len, states,
			    status, err);
	if (out != 1)
		goto done;
	out = JOB_FAILED;
	p.write = true;
	if (!strcmp(status, "queued")) {
		/* a fresh run starts at the first row */
		p.after_row = 0;
		if (db_begin(c) < 0)
			goto dberr;
		if (save_state(&p, "running", true, NULL, false) < 0) {
			db_rollback(c);
			goto dberr;
		}
		if (db_commit(c) < 0)
			goto dberr;
	}
	/* The pass's transaction is long (all or nothing: every row): alone,
	 * not a member of a group commit (db.h), so requests that committed
	 * just before it do not wait for its end to be answered. */
	if (db_begin_solo(c) < 0)
		goto dberr;
	if (p.skip_bad)
		p.flush = flush_batch;
	int rc = imp_pass_run(&p, file, len);
	if (p.stopped) {
		/* skip bad rows: the last batch committed and the run resumes
		 * after it; all or nothing: rolled back, it starts again */
		db_rollback(c);
		out = JOB_ABORTED;
		goto done;
	}
	if (rc < 0 && fr.err.kind == ATR_E_INTERNAL) {
		db_rollback(c);
		*err = fr.err;
		goto done;
	}
	if (rc < 0 || (!p.skip_bad && p.errors)) {
		/* all or nothing: nothing of this run stays */
		db_rollback(c);
		char why[160];
		snprintf(why, sizeof why,
			 rc < 0 ? "the file could not be read; nothing was "
				  "written"
				: "%lld row(s) were refused; nothing was written",
			 (long long)p.errors);
		p.created = p.updated = p.skipped = 0;
		p.last_row = 0;
		p.after_row = 0;
		if (db_begin(c) < 0)
			goto dberr;
		if (store_errors(&p, true) < 0 ||
		    save_state(&p, "failed", true, why, true) < 0 ||
		    log_import(&p, "fail") < 0) {
			db_rollback(c);
			goto dberr;
		}
		if (db_commit(c) < 0)
			goto dberr;
		out = JOB_OK;
		goto done;
	}
	if (store_errors(&p, false) < 0 ||
	    save_state(&p, "done", false, NULL, true) < 0 ||
	    log_import(&p, "import") < 0 || drop_file(&p) < 0) {
		db_rollback(c);
		goto dberr;
	}
	if (db_commit(c) < 0)
		goto dberr;
	out = JOB_OK;
	goto done;
dberr:
	if (!err->kind)
		atr_fail(err, ATR_E_INTERNAL, "%s",
			 fr.err.kind ? fr.err.msg : db_errmsg(c));
done:
	if (db_in_tx(c))
		db_rollback(c);
	free(file);
	imp_pass_free(&p);
	if (have_fr)
		req_act_as_end(&fr);
	db_release(c);
	return out;
}
