/* import.c — bulk imports of CSV and xlsx files into CRM records (issue
 * 15; docs/internals/import.md).
 *
 * GET   /api/v1/imports/template?entity=leads  the xlsx to fill in
 * GET   /api/v1/imports                        the history (list engine)
 * POST  /api/v1/imports?entity=leads&filename=x.csv
 *                                              the file as the raw body:
 *                                              read whole once (refused
 *                                              when malformed or past the
 *                                              limits), header kept,
 *                                              columns matched by header
 * GET   /api/v1/imports/{id}                   the session and progress
 * PATCH /api/v1/imports/{id}                   mapping, duplicate key and
 *                                              mode, skip bad rows
 * POST  /api/v1/imports/{id}/validate          every row through the
 *                                              entity's own checks, on the
 *                                              job runner; nothing written
 * GET   /api/v1/imports/{id}/errors            row, column, reason
 * POST  /api/v1/imports/{id}/confirm           the write, on the job runner
 * POST  /api/v1/imports/{id}/revert            undo (import_run.c)
 *
 * Permissions: the `imports` row (view, create, delete = revert), and
 * for the records the importer's own rights on the entity (create; edit
 * for updates), checked at upload, mapping, confirm and again by the job.
 * Without imports.view for everyone's, a member sees only their own
 * imports.
 */
#include "atrium.h"

#include "admin/import_int.h"
#include "core/activity.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "http/list.h"
#include "http/perm.h"
#include "jobs/jobs.h"

/* ---- the session row ------------------------------------------------------ */

static json_t *json_text(struct db_stmt *st, int col)
{
	return db_col_null(st, col) ? json_null()
				    : json_string(db_col_text(st, col));
}

json_t *imp_row_json(struct db_stmt *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
	json_object_set_new(o, "entity", json_text(st, 1));
	json_object_set_new(o, "filename", json_text(st, 2));
	json_object_set_new(o, "format", json_text(st, 3));
	json_object_set_new(o, "bytes", json_integer(db_col_int(st, 4)));
	json_object_set_new(o, "headers",
			    json_loads(db_col_text(st, 5), 0, NULL));
	json_object_set_new(o, "mapping",
			    json_loads(db_col_text(st, 6), 0, NULL));
	json_object_set_new(o, "rows_total", json_integer(db_col_int(st, 7)));
	json_object_set_new(o, "dup_key", json_text(st, 8));
	json_object_set_new(o, "dup_mode", json_text(st, 9));
	json_object_set_new(o, "skip_bad", json_boolean(db_col_int(st, 10)));
	json_object_set_new(o, "status", json_text(st, 11));
	json_object_set_new(o, "rows_done", json_integer(db_col_int(st, 12)));
	json_object_set_new(o, "created", json_integer(db_col_int(st, 13)));
	json_object_set_new(o, "updated", json_integer(db_col_int(st, 14)));
	json_object_set_new(o, "skipped", json_integer(db_col_int(st, 15)));
	json_object_set_new(o, "errors", json_integer(db_col_int(st, 16)));
	json_object_set_new(o, "error", json_text(st, 17));
	json_object_set_new(o, "created_by", json_integer(db_col_int(st, 18)));
	json_object_set_new(o, "created_at", json_text(st, 19));
	json_object_set_new(o, "updated_at", json_text(st, 20));
	json_object_set_new(o, "finished_at", json_text(st, 21));
	json_object_set_new(o, "reverted_at", json_text(st, 22));
	return o;
}

/* Whether the caller sees every import of the organisation, or only
 * their own. */
static bool sees_all(struct req *r)
{
	return r->who.admin ||
	       perm_view_scope(&r->who, "imports") == PERM_ALL;
}

/* Import r->id as the caller may see it (locked on PostgreSQL when lock):
 * 1 (*out set), 0 (404 in r->err), -1. */
static int load(struct req *r, bool lock, json_t **out)
{
	char *sql = arena_printf(
		r->arena,
		"SELECT " IMPORT_COLS " FROM import WHERE id = ? AND org_id = ?"
		"%s%s",
		sees_all(r) ? "" : " AND created_by = ?",
		lock && db_conn_dialect(r->db) == DB_PG ? " FOR UPDATE" : "");
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	if (!sees_all(r))
		db_bind_int(st, 3, r->who.staff_id);
	int rc = db_step(st);
	if (rc == 1)
		*out = imp_row_json(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		atr_fail(&r->err, ATR_E_NOT_FOUND, "import %lld not found",
			 (long long)r->id);
	return rc;
}

static const char *status_of(const json_t *imp)
{
	return json_string_value(json_object_get(imp, "status"));
}

/* The entity of an import, and the caller's right to cap on it: the
 * entity, or NULL with 403 in r->err. */
static const struct entity *entity_allowed(struct req *r, const char *plural,
					   enum perm_cap cap)
{
	const struct entity *e = imp_entity(plural);
	if (!e) {
		atr_fail(&r->err, ATR_E_INTERNAL, "unknown entity '%s'",
			 plural ? plural : "");
		return NULL;
	}
	if (perm_check(&r->who, e->plural, cap) == PERM_DENY) {
		atr_fail(&r->err, ATR_E_FORBIDDEN, "you may not %s %s",
			 cap == CAP_EDIT ? "edit" : "create", e->plural);
		return NULL;
	}
	return e;
}

/* ---- GET /api/v1/imports --------------------------------------------------- */

static void list_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	json_t *o = imp_row_json(st);
	char *s = json_dumps(o, JSON_COMPACT);
	buf_adds(b, s);
	free(s);
	json_decref(o);
}

static int list_scope(struct req *r, struct list_query *q, const void *arg)
{
	if (sees_all(r))
		return 0;
	list_where(q, "created_by = ?");
	list_int(q, r->who.staff_id);
	return 0;
}

static const struct field list_fields[] = {
	{"entity", FT_TEXT, 0, 32},
	{"status", FT_TEXT, 0, 16},
};
static const struct list_col list_cols[] = {
	{&list_fields[0], NULL, LIST_FILTER | LIST_NOTNULL},
	{&list_fields[1], NULL, LIST_FILTER | LIST_NOTNULL},
};

static const struct list_spec list = {
	.from = "import",
	.cols = IMPORT_COLS,
	.id = "id",
	.org = "org_id",
	.columns = list_cols,
	.ncolumns = (int)ATR_ARRAY_LEN(list_cols),
	.sort_default = "-id",
	.limit_default = 25,
	.limit_max = 100,
	.row = list_row,
	.scope = list_scope,
};

static int imports_h_list(struct req *r)
{
	return list_run(r, &list);
}

/* ---- GET /api/v1/imports/{id} ---------------------------------------------- */

static int imports_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *imp;
	if (load(r, false, &imp) <= 0)
		return -1;
	req_json(r, 200, imp);
	return 0;
}

static const char *json_str(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

/* ---- POST /api/v1/imports -------------------------------------------------- */

struct head {
	json_t *headers;
	int64_t rows;
};

static int head_row(void *arg, int64_t rowno, const char *const *cells,
		    const size_t *lens, int n)
{
	struct head *h = arg;
	if (!h->headers) {
		h->headers = json_array();
		for (int i = 0; i < n; i++)
			json_array_append_new(h->headers, json_string(cells[i]));
		return 0;
	}
	/* The template's notes row, right after the header. */
	if (h->rows == 0 && !strncmp(cells[0], "# ", 2))
		return 0;
	h->rows++;
	return 0;
}

static bool name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 200 || !sheet_utf8(s, strlen(s)))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '/' || *s == '\\')
			return false;
	return true;
}

static int imports_h_upload(struct req *r)
{
	const char *plural = req_query(r, "entity");
	const char *filename = req_query(r, "filename");
	const struct entity *e = imp_entity(plural);
	if (!e)
		atr_field(&r->err, "entity", plural ? "invalid" : "required",
			  "choose one of leads, clients, contacts, tasks, "
			  "tickets, contracts, projects");
	if (filename && !name_ok(filename))
		atr_field(&r->err, "filename", "invalid",
			  "a file name of at most 200 characters, without a "
			  "path or control characters");
	if (r->raw_body_len == 0)
		atr_field(&r->err, "file", "required",
			  "send the CSV or xlsx file as the request body");
	if (r->err.kind)
		return -1;
	if (!entity_allowed(r, plural, CAP_CREATE))
		return -1;
	enum sheet_format fmt = sheet_sniff(r->raw_body, r->raw_body_len);
	struct head h = {0};
	struct atr_err why = {0};
	if (sheet_read(r->raw_body, r->raw_body_len, fmt, NULL, head_row, &h,
		       &why) < 0 ||
	    !h.headers) {
		json_decref(h.headers);
		atr_field(&r->err, "file", "invalid", "%s",
			  why.msg[0] ? why.msg : "the file has no header row");
		return -1;
	}
	struct db_conn *c = req_db(r);
	if (!c) {
		json_decref(h.headers);
		return -1;
	}
	const struct field_set *fs = entity_fields(r, e);
	if (!fs) {
		json_decref(h.headers);
		return -1;
	}
	struct imp_target *t;
	int nt = imp_targets(r, fs, &t);
	json_t *mapping = json_array();
	size_t i;
	json_t *hv;
	json_array_foreach(h.headers, i, hv)
	{
		const struct imp_target *m =
			imp_match_header(t, nt, json_string_value(hv));
		/* a field is matched once: the first column naming it */
		for (size_t k = 0; m && k < i; k++)
			if (!strcmp(json_str(json_array_get(mapping, k)),
				    m->name))
				m = NULL;
		json_array_append_new(mapping, m ? json_string(m->name)
						 : json_null());
	}
	char *headers_s = json_dumps(h.headers, JSON_COMPACT);
	char *mapping_s = json_dumps(mapping, JSON_COMPACT);
	if (!filename)
		filename = fmt == SHEET_XLSX ? "upload.xlsx" : "upload.csv";
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	int rc = -1;
	int64_t id = 0;
	if (db_begin(c) < 0) {
		req_db_error(r);
		goto out;
	}
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO import (org_id, entity, filename, format, bytes, "
		   "file, headers, mapping, rows_total, status, created_by, "
		   "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
		   "'uploaded', ?, ?, ?) RETURNING id");
	if (!st) {
		req_db_error(r);
		goto rollback;
	}
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, e->plural);
	db_bind_text(st, 3, filename);
	db_bind_text(st, 4, fmt == SHEET_XLSX ? "xlsx" : "csv");
	db_bind_int(st, 5, (int64_t)r->raw_body_len);
	db_bind_blob(st, 6, r->raw_body, r->raw_body_len);
	db_bind_text(st, 7, headers_s);
	db_bind_text(st, 8, mapping_s);
	db_bind_int(st, 9, h.rows);
	db_bind_int(st, 10, r->who.staff_id);
	db_bind_text(st, 11, now);
	db_bind_text(st, 12, now);
	int s = db_step(st);
	if (s == 1)
		id = db_col_int(st, 0);
	db_reset(st);
	if (s != 1) {
		req_db_error(r);
		goto rollback;
	}
	json_t *diff = json_pack("{s:{s:s},s:{s:s},s:{s:I}}", "entity", "to",
				 e->plural, "filename", "to", filename, "rows",
				 "to", (json_int_t)h.rows);
	int a = activity_from_req(r, "create", "import", id, diff);
	json_decref(diff);
	if (a < 0 || db_commit(c) < 0) {
		if (!r->err.kind)
			req_db_error(r);
		goto rollback;
	}
	r->id = id;
	json_t *imp;
	if (load(r, false, &imp) <= 0)
		goto out;
	req_add_header(r, "Location",
		       arena_printf(r->arena, "/api/v1/imports/%lld",
				    (long long)id));
	req_json(r, 201, imp);
	rc = 0;
	goto out;
rollback:
	db_rollback(c);
out:
	free(headers_s);
	free(mapping_s);
	json_decref(mapping);
	json_decref(h.headers);
	return rc;
}

/* ---- PATCH /api/v1/imports/{id} -------------------------------------------- */

static const char *const dup_modes[] = {"create", "skip", "update", NULL};

static const struct field patch_fields[] = {
	{"mapping", FT_OBJECT, 0, 0},
	{"dup_key", FT_TEXT, 0, 96},
	{"dup_mode", FT_ENUM, 0, 8, dup_modes},
	{"skip_bad", FT_BOOL, 0, 0},
};
static const struct schema patch_schema = SCHEMA(patch_fields);

/* Whether an import in this state takes a new setting or a new pass. */
static bool open_status(const char *s)
{
	return s && (!strcmp(s, "uploaded") || !strcmp(s, "validated") ||
		     !strcmp(s, "invalid") || !strcmp(s, "failed"));
}

static int imports_h_update(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *imp = NULL, *mapping = NULL, *diff = NULL;
	int rc = -1;
	if (load(r, true, &imp) <= 0)
		goto rollback;
	if (!open_status(status_of(imp))) {
		atr_fail(&r->err, ATR_E_CONFLICT,
			 "import %lld is %s: its settings no longer change",
			 (long long)r->id, status_of(imp));
		goto rollback;
	}
	const char *plural = json_string_value(json_object_get(imp, "entity"));
	const struct entity *e = entity_allowed(r, plural, CAP_CREATE);
	if (!e)
		goto rollback;
	const struct field_set *fs = entity_fields(r, e);
	if (!fs)
		goto rollback;
	struct imp_target *t;
	int nt = imp_targets(r, fs, &t);
	mapping = json_deep_copy(json_object_get(imp, "mapping"));
	size_t ncols = json_array_size(mapping);
	const json_t *in = json_object_get(r->body, "mapping");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)in, key, v)
	{
		int64_t col;
		char fname[64];
		snprintf(fname, sizeof fname, "mapping.%.40s", key);
		if (atr_parse_i64(key, &col) < 0 || col < 1 ||
		    col > (int64_t)ncols) {
			atr_field(&r->err, fname, "invalid",
				  "the file has no column %.40s (columns are "
				  "numbered 1 to %zu)",
				  key, ncols);
			continue;
		}
		const char *name = json_string_value(v);
		if (json_is_null(v) || (name && !*name)) {
			json_array_set_new(mapping, (size_t)col - 1, json_null());
		} else if (!name || !imp_target_find(t, nt, name)) {
			atr_field(&r->err, fname, "invalid",
				  "'%.60s' is not a field an import of %s "
				  "fills",
				  name ? name : "(not a string)", e->plural);
		} else {
			json_array_set_new(mapping, (size_t)col - 1,
					   json_string(name));
		}
	}
	/* each field once, and every required one */
	for (size_t i = 0; i < ncols; i++) {
		const char *a = json_string_value(json_array_get(mapping, i));
		for (size_t k = 0; a && k < i; k++) {
			const char *b = json_string_value(json_array_get(mapping, k));
			if (b && !strcmp(a, b)) {
				char fname[64];
				snprintf(fname, sizeof fname, "mapping.%zu", i + 1);
				atr_field(&r->err, fname, "duplicate",
					  "'%s' is already column %zu's field",
					  a, k + 1);
			}
		}
	}
	struct buf missing = BUF_INIT;
	for (int k = 0; k < nt; k++) {
		if (!(t[k].f->flags & F_REQUIRED))
			continue;
		bool found = false;
		for (size_t i = 0; i < ncols && !found; i++) {
			const char *a = json_string_value(json_array_get(mapping, i));
			found = a && !strcmp(a, t[k].name);
		}
		if (!found)
			buf_printf(&missing, "%s%s", missing.len ? ", " : "",
				   t[k].name);
	}
	if (missing.len)
		atr_field(&r->err, "mapping", "required",
			  "no column is mapped to the required field(s) %s",
			  missing.p);
	buf_free(&missing);
	const char *dup_key = json_string_value(json_object_get(imp, "dup_key"));
	const char *dup_mode = json_string_value(json_object_get(imp, "dup_mode"));
	bool skip_bad = json_is_true(json_object_get(imp, "skip_bad"));
	json_t *jk = json_object_get(r->body, "dup_key");
	if (jk)
		dup_key = json_string_value(jk); /* null: no key */
	if (dup_key && !*dup_key)
		dup_key = NULL;
	json_t *jm = json_object_get(r->body, "dup_mode");
	if (json_is_string(jm))
		dup_mode = json_string_value(jm);
	json_t *jb = json_object_get(r->body, "skip_bad");
	if (json_is_boolean(jb))
		skip_bad = json_is_true(jb);
	if (dup_key) {
		const struct imp_target *k = imp_target_find(t, nt, dup_key);
		bool mapped = false;
		for (size_t i = 0; k && i < ncols && !mapped; i++) {
			const char *a = json_string_value(json_array_get(mapping, i));
			mapped = a && !strcmp(a, dup_key);
		}
		if (!k || !imp_dup_key_ok(k))
			atr_field(&r->err, "dup_key", "invalid",
				  "'%.60s' cannot find duplicates: choose a "
				  "text, email, phone or web address field of "
				  "%s",
				  dup_key, e->plural);
		else if (!mapped)
			atr_field(&r->err, "dup_key", "invalid",
				  "no column is mapped to '%.60s'", dup_key);
	}
	if (dup_mode && !strcmp(dup_mode, "update") &&
	    perm_check(&r->who, e->plural, CAP_EDIT) == PERM_DENY)
		atr_field(&r->err, "dup_mode", "forbidden",
			  "updating duplicates needs the right to edit %s",
			  e->plural);
	if (dup_mode && strcmp(dup_mode, "create") && !dup_key)
		atr_field(&r->err, "dup_key", "required",
			  "duplicates are found by a key: choose one for "
			  "mode %s",
			  dup_mode);
	if (r->err.kind)
		goto rollback;
	char *mapping_s = json_dumps(mapping, JSON_COMPACT);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE import SET mapping = ?, dup_key = ?, dup_mode = ?, "
		   "skip_bad = ?, status = 'uploaded', error_count = 0, "
		   "error = NULL, rows_done = 0, updated_at = ? WHERE id = ? "
		   "AND org_id = ?");
	if (!st) {
		free(mapping_s);
		req_db_error(r);
		goto rollback;
	}
	db_bind_text(st, 1, mapping_s);
	if (dup_key)
		db_bind_text(st, 2, dup_key);
	else
		db_bind_null(st, 2);
	db_bind_text(st, 3, dup_mode ? dup_mode : "create");
	db_bind_int(st, 4, skip_bad);
	db_bind_text(st, 5, now);
	db_bind_int(st, 6, r->id);
	db_bind_int(st, 7, r->who.org_id);
	int s = db_step(st);
	db_reset(st);
	free(mapping_s);
	if (s < 0) {
		req_db_error(r);
		goto rollback;
	}
	st = db_prepare(c, "DELETE FROM import_error WHERE import_id = ?");
	if (!st || (db_bind_int(st, 1, r->id), db_step(st)) < 0) {
		if (st)
			db_reset(st);
		req_db_error(r);
		goto rollback;
	}
	db_reset(st);
	diff = json_object();
	json_object_set_new(diff, "mapping",
			    json_pack("{s:O,s:O}", "from",
				      json_object_get(imp, "mapping"), "to",
				      mapping));
	json_object_set_new(diff, "dup_key",
			    json_pack("{s:s?}", "to", dup_key));
	json_object_set_new(diff, "dup_mode",
			    json_pack("{s:s}", "to", dup_mode ? dup_mode : "create"));
	json_object_set_new(diff, "skip_bad", json_pack("{s:b}", "to", skip_bad));
	if (activity_from_req(r, "update", "import", r->id, diff) < 0 ||
	    db_commit(c) < 0) {
		if (!r->err.kind)
			req_db_error(r);
		goto rollback;
	}
	json_decref(imp);
	imp = NULL;
	if (load(r, false, &imp) <= 0)
		goto out;
	req_json(r, 200, imp);
	imp = NULL;
	rc = 0;
	goto out;
rollback:
	db_rollback(c);
out:
	json_decref(imp);
	json_decref(mapping);
	json_decref(diff);
	return rc;
}

/* ---- validate and confirm: the job ------------------------------------------ */

/* Moves the import from one of the states in `from` to `to` and queues a
 * job of kind: 202 with the session. */
static int enqueue(struct req *r, const char *kind, const char *to,
		   const char *action)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *imp = NULL;
	int rc = -1;
	if (load(r, true, &imp) <= 0)
		goto rollback;
	const char *s = status_of(imp);
	bool confirm = !strcmp(kind, "import_write");
	const char *plural = json_string_value(json_object_get(imp, "entity"));
	if (!entity_allowed(r, plural, CAP_CREATE))
		goto rollback;
	if (confirm) {
		bool skip_bad = json_is_true(json_object_get(imp, "skip_bad"));
		int64_t errors = json_integer_value(json_object_get(imp, "errors"));
		const char *mode = json_string_value(json_object_get(imp, "dup_mode"));
		if (strcmp(s, "validated") && strcmp(s, "invalid")) {
			atr_fail(&r->err, ATR_E_CONFLICT,
				 "import %lld is %s: validate it first",
				 (long long)r->id, s);
			goto rollback;
		}
		if (!strcmp(s, "invalid") && !skip_bad) {
			atr_fail(&r->err, ATR_E_CONFLICT,
				 "%lld row(s) of import %lld are refused: fix "
				 "them, or choose to skip bad rows",
				 (long long)errors, (long long)r->id);
			goto rollback;
		}
		if (mode && !strcmp(mode, "update") &&
		    !entity_allowed(r, plural, CAP_EDIT))
			goto rollback;
	} else if (!open_status(s)) {
		atr_fail(&r->err, ATR_E_CONFLICT,
			 "import %lld is %s: it is not validated again",
			 (long long)r->id, s);
		goto rollback;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE import SET status = ?, updated_at = ?, error = NULL "
		   "WHERE id = ? AND org_id = ?");
	if (!st) {
		req_db_error(r);
		goto rollback;
	}
	db_bind_text(st, 1, to);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, r->id);
	db_bind_int(st, 4, r->who.org_id);
	int u = db_step(st);
	db_reset(st);
	json_t *p = json_pack("{s:I}", "import_id", (json_int_t)r->id);
	char key[48];
	snprintf(key, sizeof key, "import:%lld", (long long)r->id);
	int q = u < 0 ? -1
		      : job_enqueue(c,
				    &(struct job_new){.kind = kind,
						      .org_id = r->who.org_id,
						      .payload = p,
						      .order_key = key},
				    NULL, &r->err);
	json_decref(p);
	json_t *diff = json_pack("{s:{s:s,s:s}}", "status", "from", s, "to", to);
	int a = q < 0 ? -1 : activity_from_req(r, action, "import", r->id, diff);
	json_decref(diff);
	/* The answer is the import as this request left it: the job may
	 * move it on as soon as the commit is done. */
	json_t *now_imp = NULL;
	if (a < 0 || load(r, false, &now_imp) <= 0 || db_commit(c) < 0) {
		json_decref(now_imp);
		if (!r->err.kind)
			req_db_error(r);
		goto rollback;
	}
	jobs_wake();
	req_json(r, 202, now_imp);
	rc = 0;
	goto out;
rollback:
	db_rollback(c);
out:
	json_decref(imp);
	return rc;
}

static int imports_h_validate(struct req *r)
{
	return enqueue(r, "import_validate", "validating", "validate");
}

static int imports_h_confirm(struct req *r)
{
	return enqueue(r, "import_write", "queued", "confirm");
}

/* ---- GET /api/v1/imports/{id}/errors ------------------------------------------ */

static void error_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	buf_adds(b, "{\"row\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "column", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "reason", false);
	jout_str(b, db_col_text(st, 2));
	buf_addc(b, '}');
}

static int error_scope(struct req *r, struct list_query *q, const void *arg)
{
	list_where(q, "import_id = ?");
	list_int(q, r->id);
	return 0;
}

static const struct list_spec errors_list = {
	.from = "import_error",
	.cols = "row_no, col, reason, id",
	.id = "id",
	.sort_default = "id",
	.limit_default = 100,
	.limit_max = 500,
	.count_default = true,
	.row = error_row,
	.scope = error_scope,
};

static int imports_h_errors(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *imp;
	if (load(r, false, &imp) <= 0)
		return -1;
	json_decref(imp);
	return list_run(r, &errors_list);
}

/* ---- the module ---------------------------------------------------------------- */

static const struct route import_routes[] = {
	{HTTP_GET, "/api/v1/imports/template", imports_h_template, ACCESS_PERM,
	 "imports", CAP_VIEW},
	{HTTP_GET, "/api/v1/imports", imports_h_list, ACCESS_PERM, "imports",
	 CAP_VIEW},
	{HTTP_POST, "/api/v1/imports", imports_h_upload, ACCESS_PERM,
	 "imports", CAP_CREATE, NULL, NULL, NULL, ROUTE_RAW_BODY,
	 .form = "entity,filename"},
	{HTTP_GET, "/api/v1/imports/{id}", imports_h_get, ACCESS_PERM,
	 "imports", CAP_VIEW},
	{HTTP_PATCH, "/api/v1/imports/{id}", imports_h_update, ACCESS_PERM,
	 "imports", CAP_CREATE, &patch_schema},
	{HTTP_GET, "/api/v1/imports/{id}/errors", imports_h_errors,
	 ACCESS_PERM, "imports", CAP_VIEW},
	{HTTP_POST, "/api/v1/imports/{id}/validate", imports_h_validate,
	 ACCESS_PERM, "imports", CAP_CREATE, &schema_empty},
	{HTTP_POST, "/api/v1/imports/{id}/confirm", imports_h_confirm,
	 ACCESS_PERM, "imports", CAP_CREATE, &schema_empty},
	{HTTP_POST, "/api/v1/imports/{id}/revert", imports_h_revert,
	 ACCESS_PERM, "imports", CAP_DELETE, &schema_empty},
	{0},
};

static const struct perm_module import_perms[] = {
	{"imports", "Import", PB_VIEW | PB_VIEW_OWN | PB_CREATE | PB_DELETE,
	 "import"},
	{0},
};

/* Validation reads the whole file; a write of 100,000 rows in one
 * transaction takes minutes on a slow disk: long leases. Not retried
 * past 3: a run that keeps failing says why on the import itself. */
static const struct job_kind import_kinds[] = {
	{"import_validate", imp_job_validate, .max_attempts = 3,
	 .lease_ms = 15 * 60 * 1000},
	{"import_write", imp_job_write, .max_attempts = 3,
	 .lease_ms = 30 * 60 * 1000},
	{0},
};

const struct module module_imports = {
	.name = "imports",
	.perms = import_perms,
	.routes = import_routes,
	.job_kinds = import_kinds,
};
