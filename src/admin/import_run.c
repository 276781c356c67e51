/* import_run.c — the rows of an import through the entity write path:
 * validation (nothing written), the write (the job), and revert.
 *
 * One pass (imp_pass_run) serves both: each data row becomes the JSON
 * body POST or PATCH /api/v1/<plural> would take (import_map.c), then
 *   - the duplicate rule: a row whose key matches a record is skipped,
 *     updates that record, or is created anyway;
 *   - the importer's own rule: with view_own on the entity, an owner or
 *     assignee other than the importer is a row error (what they could
 *     not see once written, they may not write);
 *   - entity_record_check: the entity's own validation (the body schema,
 *     references, staff, custom fields, its check hook), not a second
 *     validator;
 *   - write only: entity_record_create or entity_record_update in the
 *     job's transaction (activity row, event, count: the write path's),
 *     and an import_row tagging the record.
 * Errors are kept in memory (at most IMPORT_ERRORS_MAX) and stored with
 * the transaction that ends the batch or the pass.
 *
 * The write, all-or-nothing: one transaction for every row; any row error
 * rolls it back and the import is `failed` with its errors, nothing
 * written. Skip bad rows: a transaction per IMPORT_BATCH rows, each row
 * inside a savepoint (a refused row is rolled back alone), the batch
 * committing with the import's rows_done; a job that runs again (a crash,
 * a stop) continues after rows_done, so no row is written twice.
 */
#include "atrium.h"

#include "admin/import_int.h"
#include "auth/perm.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"
#include "http/perm.h"
#include "http/pipeline.h"
#include "jobs/jobs.h"

/* ---- the importer as a request context ------------------------------------ */

/* fr acts as member staff of org (active), with their grants. 0, or -1
 * with err (ATR_E_FORBIDDEN: the member is gone or deactivated). */
static int principal(struct app *app, struct db_conn *c, int64_t org,
		     int64_t staff, struct req *fr, struct atr_err *err)
{
	memset(fr, 0, sizeof *fr);
	fr->app = app;
	fr->arena = arena_new();
	fr->db = c;
	fr->who.org_id = org;
	struct db_stmt *st = db_prepare(
		c, "SELECT name, email, admin, active FROM staff WHERE id = ? "
		   "AND org_id = ?");
	if (!st)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	db_bind_int(st, 1, staff);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	bool active = false;
	if (rc == 1) {
		active = db_col_int(st, 3) != 0;
		fr->who.admin = db_col_int(st, 2) != 0;
		snprintf(fr->who.name, sizeof fr->who.name, "%.100s (import)",
			 db_col_text(st, 0));
		atr_strlcpy(fr->who.email, db_col_text(st, 1),
			    sizeof fr->who.email);
	}
	db_reset(st);
	if (rc < 0)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	if (rc == 0 || !active)
		return atr_fail(err, ATR_E_FORBIDDEN,
				"the importer (member %lld) is %s",
				(long long)staff, rc ? "deactivated" : "deleted");
	fr->who.staff_id = staff;
	fr->authed = true;
	if (!fr->who.admin && perm_load(c, staff, &fr->who.perms) < 0)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	return 0;
}

static void principal_end(struct req *fr)
{
	fr->db = NULL;
	req_free(fr);
}

/* ---- loading a pass --------------------------------------------------------- */

int imp_pass_load(struct req *r, int64_t id, struct imp_pass *p,
		  char **file, size_t *len, char *status, size_t status_len)
{
	memset(p, 0, sizeof *p);
	p->r = r;
	p->import_id = id;
	p->dup_col = -1;
	*file = NULL;
	*len = 0;
	struct db_stmt *st = db_prepare(
		r->db, "SELECT entity, headers, mapping, dup_key, dup_mode, "
		       "skip_bad, status, rows_done, file FROM import WHERE "
		       "id = ? AND org_id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	json_t *headers = NULL, *mapping = NULL;
	char plural[32] = "", dup_key[96] = "";
	if (rc == 1) {
		atr_strlcpy(plural, db_col_text(st, 0), sizeof plural);
		headers = json_loads(db_col_text(st, 1), 0, NULL);
		mapping = json_loads(db_col_text(st, 2), 0, NULL);
		if (!db_col_null(st, 3))
			atr_strlcpy(dup_key, db_col_text(st, 3), sizeof dup_key);
		atr_strlcpy(p->dup_mode, db_col_text(st, 4), sizeof p->dup_mode);
		p->skip_bad = db_col_int(st, 5) != 0;
		atr_strlcpy(status, db_col_text(st, 6), status_len);
		p->after_row = db_col_int(st, 7);
		size_t n = 0;
		const void *b = db_col_null(st, 8) ? NULL : db_col_blob(st, 8, &n);
		if (b) {
			*file = xmalloc(n ? n : 1);
			memcpy(*file, b, n);
			*len = n;
		}
	}
	db_reset(st);
	if (rc <= 0) {
		json_decref(headers);
		json_decref(mapping);
		return rc < 0 ? req_db_error(r) : 0;
	}
	p->e = imp_entity(plural);
	p->fs = p->e ? entity_fields(r, p->e) : NULL;
	if (!p->fs) {
		json_decref(headers);
		json_decref(mapping);
		return r->err.kind ? -1
				   : atr_fail(&r->err, ATR_E_INTERNAL,
					      "unknown entity '%s'", plural);
	}
	struct imp_target *t;
	int nt = imp_targets(r, p->fs, &t);
	p->ncols = (int)json_array_size(mapping);
	p->col = arena_alloc(r->arena, (size_t)(p->ncols + 1) * sizeof *p->col);
	p->header = arena_alloc(r->arena,
				(size_t)(p->ncols + 1) * sizeof *p->header);
	for (int i = 0; i < p->ncols; i++) {
		p->col[i] = imp_target_find(
			t, nt, json_string_value(json_array_get(mapping, i)));
		p->header[i] = arena_strdup(
			r->arena,
			json_string_value(json_array_get(headers, i))
				? json_string_value(json_array_get(headers, i))
				: "");
		if (p->col[i] && dup_key[0] && !strcmp(p->col[i]->name, dup_key)) {
			p->dup_col = i;
			p->dup = p->col[i];
		}
	}
	json_decref(headers);
	json_decref(mapping);
	p->own_only = !r->who.admin &&
		      perm_view_scope(&r->who, p->e->plural) == PERM_OWN;
	if (imp_staff_load(r->db, r->who.org_id, &p->staff) < 0)
		return req_db_error(r);
	return 1;
}

void imp_pass_free(struct imp_pass *p)
{
	arena_free(p->row_arena);
	p->row_arena = NULL;
	imp_staff_free(&p->staff);
	json_decref(p->errs);
	p->errs = NULL;
}

/* ---- one row ------------------------------------------------------------------ */

static void row_error(struct imp_pass *p, int64_t rowno, const char *col,
		      const char *reason)
{
	if (!p->errs)
		p->errs = json_array();
	if (json_array_size(p->errs) < IMPORT_ERRORS_MAX)
		json_array_append_new(p->errs,
				      json_pack("{s:I,s:s,s:s}", "row",
						(json_int_t)rowno, "column",
						col, "reason", reason));
}

/* The column a field error names ("email", "custom_fields.vat"), as its
 * header, or the field's name when no column holds it. */
static const char *column_of(const struct imp_pass *p, const char *field)
{
	for (int i = 0; i < p->ncols; i++) {
		if (!p->col[i])
			continue;
		size_t n = strlen(p->col[i]->name);
		if (!strncmp(field, p->col[i]->name, n) &&
		    (field[n] == 0 || field[n] == '.' || field[n] == '['))
			return p->header[i][0] ? p->header[i] : p->col[i]->name;
	}
	return field;
}

/* Records every error of r->err against the row, and clears it. */
static void row_errors(struct imp_pass *p, int64_t rowno)
{
	struct atr_err *e = &p->r->err;
	if (e->nfields == 0)
		row_error(p, rowno, "", e->msg[0] ? e->msg : "refused");
	for (int i = 0; i < e->nfields; i++) {
		const struct atr_field_err *f = &e->fields[i];
		row_error(p, rowno, column_of(p, f->field),
			  f->detail[0] ? f->detail : f->code);
	}
	atr_err_clear(e);
}

/* The record of e whose duplicate key equals v: its id, 0 none, -1. */
static int64_t find_duplicate(struct imp_pass *p, const char *v)
{
	struct req *r = p->r;
	char *sql = arena_printf(
		r->arena,
		"SELECT id FROM %s WHERE org_id = ? AND lower(%s) = lower(?) "
		"ORDER BY id LIMIT 1",
		p->e->name, p->dup->f->name);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, v);
	int rc = db_step(st);
	int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc < 0 ? -1 : id;
}

/* The values record `before` had for what body changes (for a revert). */
static json_t *previous_of(const json_t *before, const json_t *body)
{
	json_t *prev = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)body, k, v)
	{
		if (!strcmp(k, "custom_fields")) {
			json_t *cf = json_object();
			const json_t *old = json_object_get(before, "custom_fields");
			const char *ck;
			json_t *cv;
			json_object_foreach(v, ck, cv)
			{
				json_t *o = json_object_get(old, ck);
				json_object_set(cf, ck, o ? o : json_null());
			}
			json_object_set_new(prev, k, cf);
			continue;
		}
		json_t *o = json_object_get(before, k);
		json_object_set(prev, k, o ? o : json_null());
	}
	return prev;
}

static int tag(struct imp_pass *p, int64_t rowno, const char *action,
	       const json_t *rec, const json_t *prev)
{
	struct db_stmt *st = db_prepare(
		p->r->db,
		"INSERT INTO import_row (org_id, import_id, entity, record_id, "
		"action, row_no, version, previous) VALUES (?, ?, ?, ?, ?, ?, ?, "
		"?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, p->r->who.org_id);
	db_bind_int(st, 2, p->import_id);
	db_bind_text(st, 3, p->e->name);
	db_bind_int(st, 4, json_integer_value(json_object_get(rec, "id")));
	db_bind_text(st, 5, action);
	db_bind_int(st, 6, rowno);
	db_bind_int(st, 7, json_integer_value(json_object_get(rec, "version")));
	char *ps = prev ? json_dumps(prev, JSON_COMPACT) : NULL;
	if (ps)
		db_bind_text(st, 8, ps);
	else
		db_bind_null(st, 8);
	int rc = db_step(st);
	db_reset(st);
	free(ps);
	return rc < 0 ? -1 : 0;
}

/* Writes the checked row: created or updated, tagged. 0, 1 refused
 * (errors recorded), -1 database error. */
static int write_row(struct imp_pass *p, int64_t rowno, int64_t id,
		     const json_t *body)
{
	struct req *r = p->r;
	json_t *out = NULL, *before = NULL, *prev = NULL;
	int rc;
	if (id) {
		int64_t own = r->id;
		r->id = id;
		int f = entity_record_load(r, p->e, true, &before);
		r->id = own;
		if (f < 0)
			return -1;
		if (f == 0) {
			row_error(p, rowno, column_of(p, p->dup->name),
				  "matches a record you may not edit");
			return 1;
		}
		prev = previous_of(before, body);
		rc = entity_record_update(r, p->e, id, body, &out);
	} else {
		rc = entity_record_create(r, p->e, body, &out);
	}
	if (rc < 0) {
		json_decref(before);
		json_decref(prev);
		if (r->err.kind == ATR_E_INTERNAL)
			return -1;
		row_errors(p, rowno);
		return 1;
	}
	rc = tag(p, rowno, id ? "updated" : "created", out, prev);
	json_decref(out);
	json_decref(before);
	json_decref(prev);
	if (rc < 0)
		return req_db_error(r);
	if (id)
		p->updated++;
	else
		p->created++;
	return 0;
}

static int row_in(struct imp_pass *p, int64_t rowno, const char *const *cells,
		  int n);

static int pass_row(void *arg, int64_t rowno, const char *const *cells,
		    const size_t *lens, int n)
{
	struct imp_pass *p = arg;
	struct req *r = p->r;
	if (!p->seen_header) {
		p->seen_header = true;
		return 0;
	}
	if (!p->seen_data && !strncmp(cells[0], "# ", 2)) {
		p->seen_data = true; /* the template's notes row */
		return 0;
	}
	p->seen_data = true;
	if (rowno <= p->after_row)
		return 0;
	if (p->flush && p->batch >= IMPORT_BATCH) {
		if (p->flush(p) < 0)
			return -1;
		p->batch = 0;
	}
	/* All or nothing: a stopping runner rolls the whole write back; the
	 * job runs again from the first row. */
	if (p->write && !p->skip_bad && jobs_stopping()) {
		p->stopped = true;
		return -1;
	}
	p->batch++;
	p->handled++;
	p->last_row = rowno;
	/* What a row allocates (SQL text, messages) lives in an arena of the
	 * pass's rows, renewed as it grows: 100,000 rows in one request
	 * context would otherwise hold every row's garbage until the end. */
	if (!p->row_arena || arena_used(p->row_arena) > IMPORT_ROW_ARENA) {
		arena_free(p->row_arena);
		p->row_arena = arena_new();
	}
	struct arena *own = r->arena;
	r->arena = p->row_arena;
	int rc = row_in(p, rowno, cells, n);
	r->arena = own;
	return rc;
}

/* One data row: its body, the duplicate rule, the checks; written when
 * the pass writes. pass_row's answer. */
static int row_in(struct imp_pass *p, int64_t rowno, const char *const *cells,
		  int n)
{
	struct req *r = p->r;
	json_t *body = json_object();
	int64_t dup_id = 0;
	bool bad = false;
	for (int i = 0; i < p->ncols && i < n; i++) {
		const struct imp_target *t = p->col[i];
		if (!t)
			continue;
		json_t *v = imp_cell_value(t, cells[i], &p->staff);
		if (!v)
			continue;
		if (p->own_only && (t->f->flags & (F_OWNER | F_ASSIGNEE)) &&
		    t->f->type == FT_STAFF &&
		    json_integer_value(v) != r->who.staff_id) {
			row_error(p, rowno, p->header[i],
				  arena_printf(r->arena,
					       "you may assign only yourself: "
					       "you see only your own %s",
					       p->e->plural));
			bad = true;
		}
		if (t->custom) {
			json_t *cf = json_object_get(body, "custom_fields");
			if (!cf) {
				cf = json_object();
				json_object_set_new(body, "custom_fields", cf);
			}
			json_object_set_new(cf, t->f->name, v);
		} else {
			json_object_set_new(body, t->f->name, v);
		}
	}
	if (p->dup_col >= 0 && p->dup_col < n && cells[p->dup_col][0] &&
	    strcmp(p->dup_mode, "create")) {
		dup_id = find_duplicate(p, cells[p->dup_col]);
		if (dup_id < 0) {
			json_decref(body);
			p->failed = true;
			req_db_error(r);
			return -1;
		}
		if (dup_id && !strcmp(p->dup_mode, "skip")) {
			p->skipped++;
			json_decref(body);
			return 0;
		}
	}
	/* Validation only checks; the write's create or update runs the
	 * same checks itself before it writes anything (no second pass). */
	int chk = p->write ? 0 : entity_record_check(r, p->e, dup_id, body);
	if (bad || chk < 0) {
		if (r->err.kind == ATR_E_INTERNAL) {
			json_decref(body);
			p->failed = true;
			return -1;
		}
		if (r->err.kind != ATR_E_NONE)
			row_errors(p, rowno);
		p->errors++;
		json_decref(body);
		/* all or nothing: the first refused row ends the write */
		return p->write && !p->skip_bad ? 1 : 0;
	}
	if (!p->write) {
		json_decref(body);
		return 0;
	}
	int rc;
	if (p->skip_bad) {
		if (db_exec(r->db, "SAVEPOINT import_row") < 0) {
			json_decref(body);
			p->failed = true;
			return req_db_error(r), -1;
		}
		rc = write_row(p, rowno, dup_id, body);
		if (rc == 1) {
			p->errors++;
			rc = db_exec(r->db, "ROLLBACK TO SAVEPOINT import_row");
		}
		if (rc == 0)
			rc = db_exec(r->db, "RELEASE SAVEPOINT import_row");
	} else {
		rc = write_row(p, rowno, dup_id, body);
		if (rc == 1) {
			p->errors++;
			json_decref(body);
			return 1;
		}
	}
	json_decref(body);
	if (rc < 0) {
		p->failed = true;
		if (!r->err.kind)
			req_db_error(r);
		return -1;
	}
	return 0;
}

int imp_pass_run(struct imp_pass *p, const char *file, size_t len)
{
	struct atr_err why = {0};
	enum sheet_format fmt = sheet_sniff(file, len);
	if (sheet_read(file, len, fmt, NULL, pass_row, p, &why) < 0) {
		if (p->failed)
			return -1;
		/* the file itself: it was read whole at upload, so only a
		 * changed limit gets here */
		return atr_fail(&p->r->err, ATR_E_INVALID, "%s", why.msg);
	}
	return p->failed ? -1 : 0;
}

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
	return db_begin(c) < 0 ? req_db_error(p->r) : 0;
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
	int pr = principal(j->app, c, j->org_id, staff, fr, &why);
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
		principal_end(&fr);
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
	if (db_begin(c) < 0)
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
		principal_end(&fr);
	db_release(c);
	return out;
}
