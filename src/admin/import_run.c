/* import_run.c — one pass over an import's rows through the entity write
 * path, for validation (nothing written) and for the write; the jobs that
 * run a pass and store what it found are in import_job.c.
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
 *   - write only: a create is checked as entity_record_create checks it
 *     and queued for the bulk write path (entity.h, entity_bulk_*;
 *     docs/internals/write-bulk.md), which writes the queue every
 *     IMPORT_BATCH rows with multi-row INSERTs: the records, an activity
 *     row and an event per record, the count once, the import_row tags;
 *     an update of a duplicate goes through entity_record_update one by
 *     one (after the queue is written, so the log keeps the file's
 *     order), tagged with the values it had before.
 * Errors are kept in memory (at most IMPORT_ERRORS_MAX) and stored with
 * the transaction that ends the batch or the pass.
 *
 * The write, all-or-nothing: one transaction for every row; any row error
 * rolls it back and the import is `failed` with its errors, nothing
 * written. Skip bad rows: a transaction per IMPORT_BATCH rows (the queue
 * written before each commit), a refused row rolled back alone, the
 * batch committing with the import's rows_done; a job that runs again (a
 * crash, a stop) continues after rows_done, so no row is written twice.
 * A queue the database refuses (a unique key taken since validation) is
 * rolled back to its savepoint and written row by row through the
 * per-record path, which names the refused row.
 */
#include "atrium.h"

#include <strings.h>

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
	entity_bulk_free(p->bulk);
	p->bulk = NULL;
	for (int i = 0; i < p->npending; i++)
		free(p->pending_keys[i]);
	free(p->pending_keys);
	p->pending_keys = NULL;
	p->npending = 0;
	free(p->tag_row);
	free(p->tag_id);
	free(p->tag_version);
	p->tag_row = p->tag_id = p->tag_version = NULL;
	free(p->tags_sql);
	p->tags_sql = NULL;
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

/* Writes one checked row through the per-record path: inside its own
 * savepoint when bad rows are skipped (a refused row is rolled back
 * alone). 0, 1 refused (counted, errors recorded), -1 database error
 * (p->failed, r->err). */
static int write_one(struct imp_pass *p, int64_t rowno, int64_t dup_id,
		     const json_t *body)
{
	struct req *r = p->r;
	int rc;
	if (p->skip_bad) {
		if (db_exec(r->db, "SAVEPOINT import_row") < 0) {
			p->failed = true;
			return req_db_error(r), -1;
		}
		rc = write_row(p, rowno, dup_id, body);
		if (rc == 1) {
			p->errors++;
			if (db_exec(r->db, "ROLLBACK TO SAVEPOINT import_row") < 0)
				rc = -1;
		}
		if (rc >= 0 &&
		    db_exec(r->db, "RELEASE SAVEPOINT import_row") < 0)
			rc = -1;
	} else {
		rc = write_row(p, rowno, dup_id, body);
		if (rc == 1)
			p->errors++;
	}
	if (rc < 0) {
		p->failed = true;
		if (!r->err.kind)
			req_db_error(r);
		return -1;
	}
	return rc;
}

/* ---- creates in bulk ------------------------------------------------------------- */

/* entity_bulk_flush's done: the record's tag, kept for one statement. */
static int bulk_done(void *arg, int64_t rowno, int64_t id, int64_t version)
{
	struct imp_pass *p = arg;
	p->tag_row[p->ntags] = rowno;
	p->tag_id[p->ntags] = id;
	p->tag_version[p->ntags] = version;
	p->ntags++;
	return 0;
}

/* The import_row tags of the batch just written: one INSERT. 0 or -1. */
static int tags_store(struct imp_pass *p)
{
	if (!p->ntags)
		return 0;
	if (p->tags_n != p->ntags) {
		struct buf sql = BUF_INIT;
		buf_grow(&sql, 128 + (size_t)p->ntags * 40);
		buf_adds(&sql, "INSERT INTO import_row (org_id, import_id, "
			       "entity, record_id, action, row_no, version) "
			       "VALUES ");
		for (int i = 0; i < p->ntags; i++)
			buf_adds(&sql, i ? ", (?, ?, ?, ?, 'created', ?, ?)"
					 : "(?, ?, ?, ?, 'created', ?, ?)");
		free(p->tags_sql);
		p->tags_sql = buf_detach(&sql);
		p->tags_n = p->ntags;
	}
	struct db_stmt *st = db_prepare(p->r->db, p->tags_sql);
	if (!st)
		return -1;
	for (int i = 0; i < p->ntags; i++) {
		int b = i * 6;
		db_bind_int(st, b + 1, p->r->who.org_id);
		db_bind_int(st, b + 2, p->import_id);
		db_bind_text(st, b + 3, p->e->name);
		db_bind_int(st, b + 4, p->tag_id[i]);
		db_bind_int(st, b + 5, p->tag_row[i]);
		db_bind_int(st, b + 6, p->tag_version[i]);
	}
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* entity_bulk_each's fn after a refused batch: the row alone. */
static int replay_row(void *arg, int64_t rowno, const json_t *body)
{
	struct imp_pass *p = arg;
	int rc = write_one(p, rowno, 0, body);
	/* all or nothing: the first refused row ends the write */
	return rc < 0 || (rc == 1 && !p->skip_bad) ? -1 : 0;
}

static void pending_clear(struct imp_pass *p)
{
	for (int i = 0; i < p->npending; i++)
		free(p->pending_keys[i]);
	p->npending = 0;
}

/* Whether the duplicate key v may equal a queued row's (then the queue
 * is written first, so the lookup sees it). Keys other than ASCII are
 * compared by the database's lower(), not here: any queued row counts. */
static bool pending_match(const struct imp_pass *p, const char *v)
{
	if (!p->npending)
		return false;
	for (const unsigned char *c = (const unsigned char *)v; *c; c++)
		if (*c >= 0x80)
			return true;
	for (int i = 0; i < p->npending; i++)
		if (!strcasecmp(p->pending_keys[i], v))
			return true;
	return false;
}

/* Writes the queued creates: one batch through the bulk write path
 * inside a savepoint; when the database refuses it (a unique key two rows
 * share, a reference removed meanwhile), the savepoint is rolled back and
 * the batch's rows go one by one through the per-record path, which
 * names the refused row (skip bad rows: keeps the others). 0, 1 a row
 * was refused in all-or-nothing mode (stop), -1 database error. */
static int pass_flush(struct imp_pass *p)
{
	struct req *r = p->r;
	int n = p->bulk ? entity_bulk_count(p->bulk) : 0;
	if (!n)
		return 0;
	pending_clear(p);
	p->ntags = 0;
	if (db_exec(r->db, "SAVEPOINT import_bulk") < 0) {
		p->failed = true;
		return req_db_error(r), -1;
	}
	if (entity_bulk_flush(p->bulk, bulk_done, p) == 0 && tags_store(p) == 0) {
		p->created += n;
		if (db_exec(r->db, "RELEASE SAVEPOINT import_bulk") < 0) {
			p->failed = true;
			return req_db_error(r), -1;
		}
		return 0;
	}
	atr_err_clear(&r->err);
	if (db_exec(r->db, "ROLLBACK TO SAVEPOINT import_bulk") < 0) {
		p->failed = true;
		return req_db_error(r), -1;
	}
	int64_t errors = p->errors;
	int rc = entity_bulk_each(p->bulk, replay_row, p);
	if (p->failed)
		return -1;
	/* All or nothing: the refused row ends the write and the job rolls
	 * the whole transaction back (on PostgreSQL the failed statement
	 * has already aborted it: nothing more may run in it). */
	if (rc < 0 && p->errors > errors)
		return 1;
	if (db_exec(r->db, "RELEASE SAVEPOINT import_bulk") < 0) {
		p->failed = true;
		return req_db_error(r), -1;
	}
	return 0;
}

/* Queues a checked create (the entity's checks run here, as
 * entity_record_create runs them); the queue is written when full. The
 * answer of row_in. */
static int bulk_row(struct imp_pass *p, int64_t rowno, const json_t *body,
		    const char *key)
{
	struct req *r = p->r;
	if (entity_bulk_add(p->bulk, body, rowno) < 0) {
		if (r->err.kind == ATR_E_INTERNAL) {
			p->failed = true;
			return -1;
		}
		row_errors(p, rowno);
		p->errors++;
		return p->skip_bad ? 0 : 1;
	}
	if (key && key[0]) {
		if (!p->pending_keys)
			p->pending_keys = xcalloc(
				(size_t)entity_bulk_cap(p->bulk),
				sizeof *p->pending_keys);
		p->pending_keys[p->npending++] = xstrdup(key);
	}
	if (entity_bulk_count(p->bulk) < entity_bulk_cap(p->bulk))
		return 0;
	return pass_flush(p);
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
		if (pass_flush(p) < 0 || p->flush(p) < 0)
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
		if (p->write && pending_match(p, cells[p->dup_col]) &&
		    pass_flush(p) != 0) {
			json_decref(body);
			return p->failed ? -1 : 1;
		}
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
	if (!dup_id) {
		/* a create: the bulk write path */
		rc = bulk_row(p, rowno, body,
			      p->dup_col >= 0 && p->dup_col < n
				      ? cells[p->dup_col]
				      : NULL);
		json_decref(body);
		return rc;
	}
	/* an update of a duplicate: the per-record path, after the creates
	 * queued before it (the log keeps the file's order) */
	rc = pass_flush(p);
	if (rc == 0)
		rc = write_one(p, rowno, dup_id, body);
	json_decref(body);
	if (rc < 0)
		return -1;
	return rc == 1 && !p->skip_bad ? 1 : 0;
}

int imp_pass_run(struct imp_pass *p, const char *file, size_t len)
{
	struct atr_err why = {0};
	enum sheet_format fmt = sheet_sniff(file, len);
	if (p->write && !p->bulk) {
		p->bulk = entity_bulk_new(p->r, p->e, IMPORT_BATCH);
		int cap = entity_bulk_cap(p->bulk);
		p->tag_row = xcalloc((size_t)cap, sizeof *p->tag_row);
		p->tag_id = xcalloc((size_t)cap, sizeof *p->tag_id);
		p->tag_version = xcalloc((size_t)cap, sizeof *p->tag_version);
	}
	int rd = sheet_read(file, len, fmt, NULL, pass_row, p, &why);
	/* the rows still queued (not after a stop, nor once a refused row
	 * has ended an all-or-nothing write) */
	if (rd >= 0 && p->write && !p->failed && !p->stopped &&
	    (p->skip_bad || !p->errors) && pass_flush(p) < 0)
		return -1;
	if (rd < 0) {
		if (p->failed)
			return -1;
		/* the file itself: it was read whole at upload, so only a
		 * changed limit gets here */
		return atr_fail(&p->r->err, ATR_E_INVALID, "%s", why.msg);
	}
	return p->failed ? -1 : 0;
}
