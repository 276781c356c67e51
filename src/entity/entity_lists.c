/* entity_lists.c — staff lists: record fields that name several staff
 * members (FT_STAFF_LIST: a task's assignees, a project's members).
 *
 * Design.
 * - Where the values live. Not in a column of the record: in a table of
 *   the field's own, <entity>_<field> (task_assignees, project_members),
 *   one row per member: (org_id, record_id, staff_id), PRIMARY KEY
 *   (record_id, staff_id), an index (staff_id, org_id, record_id), the
 *   record REFERENCES <entity>(id) ON DELETE CASCADE and the member
 *   REFERENCES staff(id) (core/ftype.h). "The records member 7 is on" is
 *   then an index walk in id order, which is what view_own, the filter
 *   field=7 and offboarding need; a JSON array in a column would make
 *   each of them a scan of the organisation (or an expression index per
 *   value, which neither database has).
 * - One table per field rather than one for the whole kernel
 *   (record_member(org_id, entity, field, record_id, staff_id)): both
 *   serve view_own from an index on SQLite and PostgreSQL, but a table
 *   of its own keeps real foreign keys (a deleted record takes its rows
 *   with it, whoever deletes it), gives PostgreSQL's planner statistics
 *   of that field alone (a shared table's staff_id histogram mixes every
 *   entity's, so a member's share of tasks would be guessed from their
 *   share of everything) and keeps the index keys to three integers.
 *   The price is one table in an entity's migrations per list field.
 * - The API. An array of staff ids, in create, update and read
 *   ("assignees": [3, 7]); a read gives them in ascending order, and the
 *   value is a set: [7, 3] is the same value (no change, no diff). At
 *   most the field's max (20 by default); a repeated id is refused
 *   (422 invalid), not collapsed; null clears. Each id must be an active
 *   member of the caller's organisation, as for a single staff field,
 *   except one already on the record: a member deactivated since stays on
 *   the list until someone removes them (otherwise no one could edit the
 *   list of a task whose assignee left).
 * - Writes. The write path's apply (entity_api.c) stores the list in the
 *   record's transaction, after the row: the record's version moves, the
 *   activity diff and the outbox payloads carry the arrays like any
 *   field. Reads: a record's lists after its row (one query per list
 *   field); a page's lists once the page is written, one query per field
 *   for the whole page (entity_lists_page), never one per row.
 * - view_own. A member sees a record whose list holds them or one of
 *   their department colleagues (as a single assignee field does). In a
 *   list that is one arm per (field, peer) that walks the list table's
 *   (staff_id, org_id, record_id) index in id order joined to the
 *   records, so it stops after one page like the column arms
 *   (entity_list.c); each excludes what the column arms and the earlier
 *   peers' arms gave, by the primary key (record_id, staff_id). One
 *   record by id uses EXISTS on the primary key.
 * - Offboarding (src/admin/staff_lifecycle.c) moves a deleted member's
 *   entries to the member who takes over, without a duplicate when they
 *   are on the list already.
 */
#include "atrium.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/ftype.h"
#include "db/db.h"
#include "entity/entity_int.h"
#include "http/perm.h"

/* The ids of a checked list value, ascending and distinct (in a). */
static int list_ids(struct arena *a, const json_t *v, int64_t **out)
{
	const struct field f = {.name = "", .type = FT_STAFF_LIST};
	json_t *n = v && !json_is_null(v) ? field_normalise(&f, v) : NULL;
	int k = (int)json_array_size(n);
	int64_t *ids = arena_alloc(a, ((size_t)k + 1) * sizeof *ids);
	for (int i = 0; i < k; i++)
		ids[i] = json_integer_value(json_array_get(n, (size_t)i));
	json_decref(n);
	*out = ids;
	return k;
}

static void placeholders(struct buf *b, int n)
{
	for (int i = 0; i < n; i++)
		buf_adds(b, i ? ", ?" : "?");
}

/* ---- one record ------------------------------------------------------------ */

int entity_lists_load(struct req *r, const struct entity *e, json_t *rec)
{
	const struct entity_sql *s = entity_sql_of(e);
	int64_t id = json_integer_value(json_object_get(rec, "id"));
	for (int i = 0; s->njoined && i < e->schema.nfields; i++) {
		if (!s->jtable[i])
			continue;
		char *sql = arena_printf(r->arena,
					 "SELECT staff_id FROM %s WHERE "
					 "record_id = ? AND org_id = ? "
					 "ORDER BY staff_id",
					 s->jtable[i]);
		struct db_stmt *st = db_prepare(r->db, sql);
		if (!st)
			return -1;
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, r->who.org_id);
		json_t *arr = json_array();
		int rc;
		while ((rc = db_step(st)) == 1)
			json_array_append_new(arr, json_integer(db_col_int(st, 0)));
		db_reset(st);
		if (rc < 0) {
			json_decref(arr);
			return -1;
		}
		json_object_set_new(rec, e->schema.fields[i].name, arr);
	}
	return 0;
}

int entity_list_store(struct req *r, const struct entity *e, int i,
		      int64_t id, const json_t *v, bool fresh)
{
	const char *t = entity_sql_of(e)->jtable[i];
	struct db_stmt *st;
	if (!fresh) {
		st = db_prepare(r->db,
				arena_printf(r->arena,
					     "DELETE FROM %s WHERE record_id = ? "
					     "AND org_id = ?",
					     t));
		if (!st)
			return -1;
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, r->who.org_id);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	int64_t *ids;
	int n = list_ids(r->arena, v, &ids);
	if (!n)
		return 0;
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "INSERT INTO %s (org_id, record_id, staff_id) VALUES ",
		   t);
	for (int k = 0; k < n; k++)
		buf_adds(&sql, k ? ", (?, ?, ?)" : "(?, ?, ?)");
	st = db_prepare(r->db, buf_str(&sql));
	buf_free(&sql);
	if (!st)
		return -1;
	for (int k = 0; k < n; k++) {
		db_bind_int(st, 3 * k + 1, r->who.org_id);
		db_bind_int(st, 3 * k + 2, id);
		db_bind_int(st, 3 * k + 3, ids[k]);
	}
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* ---- the route check --------------------------------------------------------- */

/* Marks in ok[] the ids the statement sql returns (bound: the npre
 * values of pre, then the ids). 0 or -1. */
static int mark_found(struct req *r, const char *sql, const int64_t *pre,
		      int npre, const int64_t *ids, int n, bool *ok)
{
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	int p = 1;
	for (int k = 0; k < npre; k++)
		db_bind_int(st, p++, pre[k]);
	for (int k = 0; k < n; k++)
		db_bind_int(st, p++, ids[k]);
	int rc;
	while ((rc = db_step(st)) == 1)
		for (int k = 0; k < n; k++)
			if (ids[k] == db_col_int(st, 0))
				ok[k] = true;
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

void entity_list_check(struct req *r, const struct entity *e, int fi,
		       const json_t *v)
{
	const struct field *f = &e->schema.fields[fi];
	struct atr_err shape = {0};
	if (!json_is_array(v) || !json_array_size(v) ||
	    ftype_of(f->type)->check(f, v, &shape) < 0 || !req_db(r))
		return; /* empty, or the schema check named it */
	int64_t *ids;
	int n = list_ids(r->arena, v, &ids);
	bool *ok = arena_alloc(r->arena, (size_t)n * sizeof *ok);
	memset(ok, 0, (size_t)n * sizeof *ok);
	struct buf sql = BUF_INIT;
	/* Active members of the organisation: one query for the list. */
	buf_adds(&sql, "SELECT id FROM staff WHERE org_id = ? AND active = 1 "
		       "AND id IN (");
	placeholders(&sql, n);
	buf_addc(&sql, ')');
	int64_t org = r->who.org_id;
	int rc = mark_found(r, buf_str(&sql), &org, 1, ids, n, ok);
	buf_reset(&sql);
	int missing = 0;
	for (int k = 0; k < n; k++)
		missing += !ok[k];
	/* Already on the record, which the caller may see: kept whatever
	 * has become of the member since. */
	const struct entity_sql *s = entity_sql_of(e);
	if (rc == 0 && missing && r->method == HTTP_PATCH && r->id > 0) {
		int vis = entity_ref_visible(r, e, r->id);
		if (vis < 0) {
			rc = -1;
		} else if (vis == 1) {
			buf_printf(&sql, "SELECT staff_id FROM %s WHERE "
					 "record_id = ? AND org_id = ? AND "
					 "staff_id IN (",
				   s->jtable[fi]);
			placeholders(&sql, n);
			buf_addc(&sql, ')');
			int64_t pre[2] = {r->id, org};
			rc = mark_found(r, buf_str(&sql), pre, 2, ids, n, ok);
		}
	}
	buf_free(&sql);
	if (rc < 0) {
		req_db_error(r);
		return;
	}
	struct buf bad = BUF_INIT;
	int nbad = 0;
	for (int k = 0; k < n; k++)
		if (!ok[k])
			buf_printf(&bad, "%s%lld", nbad++ ? ", " : "",
				   (long long)ids[k]);
	if (nbad)
		atr_field(&r->err, f->name, "not_found",
			  "no active staff member with id%s %s",
			  nbad > 1 ? "s" : "", buf_str(&bad));
	buf_free(&bad);
}

/* ---- a page ------------------------------------------------------------------- */

void entity_marks_add(struct entity_marks *m, const struct buf *b, int64_t id,
		      int i)
{
	if (m->n == m->cap) {
		int cap = m->cap ? m->cap * 2 : 64;
		struct entity_mark *v = arena_alloc(m->arena,
						    (size_t)cap * sizeof *v);
		if (m->n)
			memcpy(v, m->v, (size_t)m->n * sizeof *v);
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = (struct entity_mark){b->len, id, i};
}

/* The lists of field i for the marked records: "[3,7]" per mark (in a),
 * from one query. 0 or -1. */
static int page_field(struct req *r, const struct entity *e, int i,
		      const struct entity_marks *m, const char **text)
{
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "SELECT record_id, staff_id FROM %s WHERE org_id = ? "
			 "AND record_id IN (",
		   entity_sql_of(e)->jtable[i]);
	int n = 0;
	for (int k = 0; k < m->n; k++)
		if (m->v[k].field == i)
			buf_adds(&sql, n++ ? ", ?" : "?");
	buf_adds(&sql, ") ORDER BY record_id, staff_id");
	struct db_stmt *st = db_prepare(r->db, buf_str(&sql));
	buf_free(&sql);
	if (!st)
		return -1;
	int p = 1;
	db_bind_int(st, p++, r->who.org_id);
	for (int k = 0; k < m->n; k++)
		if (m->v[k].field == i)
			db_bind_int(st, p++, m->v[k].id);
	/* Rows come by record: each record's run of rows is its list. */
	struct buf cur = BUF_INIT;
	int64_t rid = 0;
	int rc;
	for (;;) {
		rc = db_step(st);
		int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
		if (cur.len && (rc != 1 || id != rid)) {
			buf_addc(&cur, ']');
			for (int k = 0; k < m->n; k++)
				if (m->v[k].field == i && m->v[k].id == rid)
					text[k] = arena_strdup(r->arena,
							       buf_str(&cur));
			buf_reset(&cur);
		}
		if (rc != 1)
			break;
		buf_printf(&cur, "%c%lld", cur.len ? ',' : '[',
			   (long long)db_col_int(st, 1));
		rid = id;
	}
	db_reset(st);
	buf_free(&cur);
	return rc < 0 ? -1 : 0;
}

int entity_lists_page(struct req *r, struct buf *out, const void *arg)
{
	const struct entity_list_ctx *x = arg;
	const struct entity_marks *m = &x->marks;
	const struct entity *e = x->fs->e;
	if (!m->n)
		return 0;
	const char **text = arena_alloc(r->arena, (size_t)m->n * sizeof *text);
	for (int k = 0; k < m->n; k++)
		text[k] = "[]";
	for (int i = 0; i < e->schema.nfields; i++)
		if (entity_sql_of(e)->jtable[i] &&
		    page_field(r, e, i, m, text) < 0)
			return req_db_error(r);
	/* The marks are in the order they were written. */
	struct buf b = BUF_INIT;
	buf_grow(&b, out->len + (size_t)m->n * 16);
	size_t at = 0;
	for (int k = 0; k < m->n; k++) {
		buf_add(&b, out->p + at, m->v[k].at - at);
		buf_adds(&b, text[k]);
		at = m->v[k].at;
	}
	buf_add(&b, out->p + at, out->len - at);
	buf_free(out);
	*out = b;
	return 0;
}

/* ---- view_own -------------------------------------------------------------- */

/* " AND (col IS NULL OR col NOT IN (...))" for each column group. */
static void exclude_cols(struct buf *b, const char *const *cols,
			 const struct scope_ids *const *ids, int ncols)
{
	for (int k = 0; k < ncols; k++) {
		if (!ids[k]->n)
			continue;
		buf_printf(b, " AND (%s IS NULL OR %s NOT IN (", cols[k],
			   cols[k]);
		placeholders(b, ids[k]->n);
		buf_adds(b, "))");
	}
}

/* " AND NOT EXISTS (...)": the record's list t holds none of n ids. */
static void exclude_list(struct buf *b, const char *t, int n)
{
	if (!n)
		return;
	buf_printf(b, " AND NOT EXISTS (SELECT 1 FROM %s jx WHERE "
		      "jx.record_id = jm.jm_rid AND jx.staff_id IN (",
		   t);
	placeholders(b, n);
	buf_adds(b, "))");
}

int entity_lists_arms(struct list_query *q, const struct entity *e,
		      const struct scope_ids *peers, const char *const *cols,
		      const struct scope_ids *const *ids, int ncols)
{
	const struct entity_sql *s = entity_sql_of(e);
	struct arena *a = q->r->arena;
	int added = 0;
	/* The earlier list fields, whose arms these exclude. */
	const char *done[16];
	int ndone = 0;
	for (int i = 0; i < e->schema.nfields && ndone < 16; i++) {
		const struct field *f = &e->schema.fields[i];
		if (!s->jtable[i] || !(f->flags & (F_OWNER | F_ASSIGNEE)))
			continue;
		const char *join = arena_printf(
			a, " JOIN (SELECT org_id AS jm_org, record_id AS jm_rid, "
			   "staff_id AS jm_sid FROM %s) AS jm ON jm.jm_rid = %s.id",
			s->jtable[i], e->name);
		for (int p = 0; p < peers->n; p++) {
			struct buf b = BUF_INIT;
			buf_adds(&b, "jm.jm_org = ? AND jm.jm_sid = ?");
			exclude_cols(&b, cols, ids, ncols);
			for (int d = 0; d < ndone; d++)
				exclude_list(&b, done[d], peers->n);
			exclude_list(&b, s->jtable[i], p);
			int rc = list_arm_join(q, join, "jm.jm_rid", buf_str(&b));
			buf_free(&b);
			if (rc < 0)
				return -1;
			added++;
			list_int(q, q->r->who.org_id);
			list_int(q, peers->v[p]);
			for (int k = 0; k < ncols; k++)
				for (int j = 0; j < ids[k]->n; j++)
					list_int(q, ids[k]->v[j]);
			for (int d = 0; d < ndone; d++)
				for (int j = 0; j < peers->n; j++)
					list_int(q, peers->v[j]);
			for (int j = 0; j < p; j++)
				list_int(q, peers->v[j]);
		}
		done[ndone++] = s->jtable[i];
	}
	return added;
}
