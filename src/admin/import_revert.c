/* import_revert.c — POST /api/v1/imports/{id}/revert: an import undone
 * (import_int.h, docs/internals/import.md).
 *
 * Every record the import tagged (import_row) is first loaded as it is
 * now, within the caller's view: one deleted since, out of sight, or
 * whose version is not the one the import left refuses the whole revert
 * (409, each such record named with its reason as a field error
 * records.<id>). Otherwise, in one transaction, created records are
 * deleted and updated ones get back the values they had, both through
 * the entity write path (activity rows and events), newest first, and
 * the import becomes `reverted` with its own activity row. The caller
 * needs imports.delete, and the right to delete (created records) and
 * edit (updated ones) the entity.
 */
#include "atrium.h"

#include "admin/import_int.h"
#include "core/activity.h"
#include "core/arena.h"
#include "db/db.h"
#include "http/perm.h"

/* ---- POST /api/v1/imports/{id}/revert ------------------------------------------ */

struct tagged {
	int64_t record, version, row;
	bool created;
	json_t *previous;
};

int imports_h_revert(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t import_id = r->id;
	struct tagged *v = NULL;
	int n = 0, cap = 0, rc = -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	const char *lock = db_conn_dialect(c) == DB_PG ? " FOR UPDATE" : "";
	char *sql = arena_printf(
		r->arena,
		"SELECT entity, status, created_by FROM import WHERE id = ? AND "
		"org_id = ?%s",
		lock);
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		goto dberr;
	db_bind_int(st, 1, import_id);
	db_bind_int(st, 2, r->who.org_id);
	int s = db_step(st);
	char plural[32] = "", status[16] = "";
	int64_t by = 0;
	if (s == 1) {
		atr_strlcpy(plural, db_col_text(st, 0), sizeof plural);
		atr_strlcpy(status, db_col_text(st, 1), sizeof status);
		by = db_col_int(st, 2);
	}
	db_reset(st);
	if (s < 0)
		goto dberr;
	bool all = r->who.admin || perm_view_scope(&r->who, "imports") == PERM_ALL;
	if (s == 0 || (!all && by != r->who.staff_id)) {
		atr_fail(&r->err, ATR_E_NOT_FOUND, "import %lld not found",
			 (long long)import_id);
		goto rollback;
	}
	if (strcmp(status, "done")) {
		atr_fail(&r->err, ATR_E_CONFLICT,
			 "import %lld is %s: only a finished import is reverted",
			 (long long)import_id, status);
		goto rollback;
	}
	const struct entity *e = imp_entity(plural);
	if (!e) {
		atr_fail(&r->err, ATR_E_INTERNAL, "unknown entity '%s'", plural);
		goto rollback;
	}
	st = db_prepare(c, "SELECT record_id, version, row_no, action, previous "
			   "FROM import_row WHERE import_id = ? ORDER BY id DESC");
	if (!st)
		goto dberr;
	db_bind_int(st, 1, import_id);
	while ((s = db_step(st)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, (size_t)cap * sizeof *v);
		}
		v[n].record = db_col_int(st, 0);
		v[n].version = db_col_int(st, 1);
		v[n].row = db_col_int(st, 2);
		v[n].created = !strcmp(db_col_text(st, 3), "created");
		v[n].previous = db_col_null(st, 4)
					? NULL
					: json_loads(db_col_text(st, 4), 0, NULL);
		n++;
	}
	db_reset(st);
	if (s < 0)
		goto dberr;
	bool any_created = false, any_updated = false;
	for (int i = 0; i < n; i++)
		if (v[i].created)
			any_created = true;
		else
			any_updated = true;
	if ((any_created &&
	     perm_check(&r->who, e->plural, CAP_DELETE) == PERM_DENY) ||
	    (any_updated && perm_check(&r->who, e->plural, CAP_EDIT) == PERM_DENY)) {
		atr_fail(&r->err, ATR_E_FORBIDDEN,
			 "reverting import %lld needs the right to %s %s",
			 (long long)import_id,
			 any_created ? "delete" : "edit", e->plural);
		goto rollback;
	}
	/* First every record as it is now: any changed since refuses the
	 * whole revert, each named with its reason. */
	int refused = 0;
	for (int i = 0; i < n; i++) {
		json_t *now = NULL;
		r->id = v[i].record;
		int f = entity_record_load(r, e, true, &now);
		r->id = import_id;
		if (f < 0)
			goto dberr;
		const char *why = NULL;
		char buf[160];
		if (f == 0) {
			why = "deleted since the import, or not visible to you";
		} else if (json_integer_value(json_object_get(now, "version")) !=
			   v[i].version) {
			snprintf(buf, sizeof buf,
				 "changed since the import (row %lld): version "
				 "%lld, the import left %lld",
				 (long long)v[i].row,
				 (long long)json_integer_value(
					 json_object_get(now, "version")),
				 (long long)v[i].version);
			why = buf;
		}
		json_decref(now);
		if (why) {
			char field[64];
			snprintf(field, sizeof field, "records.%lld",
				 (long long)v[i].record);
			atr_field(&r->err, field, "changed", "%s %lld: %s",
				  e->name, (long long)v[i].record, why);
			refused++;
		}
	}
	if (refused) {
		r->err.kind = ATR_E_CONFLICT;
		snprintf(r->err.msg, sizeof r->err.msg,
			 "%d record(s) changed since import %lld; nothing was "
			 "reverted",
			 refused, (long long)import_id);
		goto rollback;
	}
	int64_t removed = 0, restored = 0;
	for (int i = 0; i < n; i++) {
		json_t *out = NULL;
		int w = v[i].created
				? entity_record_delete(r, e, v[i].record, &out)
				: entity_record_update(r, e, v[i].record,
						       v[i].previous, &out);
		json_decref(out);
		if (w < 0)
			goto rollback;
		if (v[i].created)
			removed++;
		else
			restored++;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	st = db_prepare(c, "UPDATE import SET status = 'reverted', "
			   "reverted_at = ?, updated_at = ? WHERE id = ?");
	if (!st)
		goto dberr;
	db_bind_text(st, 1, now);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, import_id);
	s = db_step(st);
	db_reset(st);
	if (s < 0)
		goto dberr;
	json_t *diff = json_pack("{s:{s:s,s:s},s:{s:I},s:{s:I}}", "status",
				 "from", "done", "to", "reverted", "removed",
				 "to", (json_int_t)removed, "restored", "to",
				 (json_int_t)restored);
	int a = activity_from_req(r, "revert", "import", import_id, diff);
	json_decref(diff);
	if (a < 0 || db_commit(c) < 0)
		goto dberr;
	req_json(r, 200,
		 json_pack("{s:I,s:s,s:I,s:I}", "id", (json_int_t)import_id,
			   "status", "reverted", "removed", (json_int_t)removed,
			   "restored", (json_int_t)restored));
	rc = 0;
	goto out;
dberr:
	if (!r->err.kind)
		req_db_error(r);
rollback:
	db_rollback(c);
out:
	r->id = import_id;
	for (int i = 0; i < n; i++)
		json_decref(v[i].previous);
	free(v);
	return rc;
}
