/* entity_reassign.c — offboarding's move of a member's records to another
 * member (DELETE /api/v1/staff/{id}?reassign_to=, staff_lifecycle.c), one
 * owner or assignee field at a time, in the caller's transaction.
 *
 * A column (owner_id, assigned_to) is one UPDATE. A staff list (a task's
 * assignees, a project's members) is rewritten in its table: the entries
 * of the member who leaves become the heir's, and where the heir is on
 * the list already the leaver's entry just goes (no duplicate: the list
 * is a set). Either way each record changed moves to its next version
 * and gets an activity row of its own ("reassign", {field: {from, to}}),
 * so its history says why its assignee changed; the staff member's
 * delete row counts them all.
 */
#include "atrium.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/ftype.h"
#include "db/db.h"
#include "entity/entity_int.h"
#include "http/http.h"

/* The ids a statement returns (first column), in the arena: how many, or
 * -1. Bounded by the records one member is named on. */
static int64_t collect(struct req *r, struct db_stmt *st, int64_t **out)
{
	int64_t n = 0, cap = 0, *v = NULL;
	int rc;
	while ((rc = db_step(st)) == 1) {
		if (n == cap) {
			int64_t nc = cap ? cap * 2 : 64;
			int64_t *nv = arena_alloc(r->arena, (size_t)nc * sizeof *nv);
			if (n)
				memcpy(nv, v, (size_t)n * sizeof *nv);
			v = nv;
			cap = nc;
		}
		v[n++] = db_col_int(st, 0);
	}
	db_reset(st);
	*out = v;
	return rc < 0 ? -1 : n;
}

static int64_t reassign_column(struct req *r, const struct entity *e,
			       const struct field *f, int64_t from, int64_t to)
{
	struct db_stmt *st = db_prepare(
		r->db, arena_printf(r->arena,
				    "UPDATE %s SET %s = ?, version = version + 1 "
				    "WHERE org_id = ? AND %s = ? RETURNING id",
				    e->name, f->name, f->name));
	if (!st)
		return -1;
	db_bind_int(st, 1, to);
	db_bind_int(st, 2, r->who.org_id);
	db_bind_int(st, 3, from);
	int64_t *ids;
	int64_t n = collect(r, st, &ids);
	json_t *diff = json_pack("{s:{s:I,s:I}}", f->name, "from",
				 (json_int_t)from, "to", (json_int_t)to);
	for (int64_t k = 0; k < n; k++)
		if (activity_from_req(r, "reassign", e->name, ids[k], diff) < 0) {
			n = -1;
			break;
		}
	json_decref(diff);
	return n;
}

/* Runs sql with its n integer parameters v; 0 or -1. */
static int exec_ints(struct req *r, const char *sql, int n, const int64_t *v)
{
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	for (int k = 0; k < n; k++)
		db_bind_int(st, k + 1, v[k]);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* What list l (ascending ids) becomes: from replaced by to, once. */
static json_t *replaced(const json_t *l, int64_t from, int64_t to)
{
	json_t *raw = json_array(), *v;
	size_t k;
	json_array_foreach(l, k, v)
		json_array_append_new(
			raw, json_integer(json_integer_value(v) == from
						  ? to
						  : json_integer_value(v)));
	const struct field f = {.name = "", .type = FT_STAFF_LIST};
	json_t *out = field_normalise(&f, raw); /* sorted, distinct */
	json_decref(raw);
	return out;
}

static int64_t reassign_list(struct req *r, const struct entity *e, int i,
			     int64_t from, int64_t to)
{
	const char *t = entity_sql_of(e)->jtable[i];
	const char *name = e->schema.fields[i].name;
	struct arena *a = r->arena;
	int64_t org = r->who.org_id;
	/* The lists as they are, record by record (bounded by the records
	 * the member is on, each list by the field's maximum). */
	struct db_stmt *st = db_prepare(
		r->db, arena_printf(a, "SELECT record_id, staff_id FROM %s WHERE "
				       "record_id IN (SELECT record_id FROM %s "
				       "WHERE staff_id = ? AND org_id = ?) "
				       "ORDER BY record_id, staff_id",
				    t, t));
	if (!st)
		return -1;
	db_bind_int(st, 1, from);
	db_bind_int(st, 2, org);
	json_t *lists = json_object(); /* "id": [staff ids] */
	int rc;
	while ((rc = db_step(st)) == 1) {
		char key[24];
		snprintf(key, sizeof key, "%lld", (long long)db_col_int(st, 0));
		json_t *l = json_object_get(lists, key);
		if (!l)
			json_object_set_new(lists, key, l = json_array());
		json_array_append_new(l, json_integer(db_col_int(st, 1)));
	}
	db_reset(st);
	int64_t n = rc < 0 ? -1 : (int64_t)json_object_size(lists);
	/* The versions first (the rows still name the leaver); then the
	 * leaver's entry goes where the heir is listed already, and becomes
	 * the heir's everywhere else. */
	const int64_t ver[] = {from, org}, del[] = {from, org, to, org},
		      mov[] = {to, from, org};
	if (n > 0 &&
	    (exec_ints(r, arena_printf(a, "UPDATE %s SET version = version + 1 "
					  "WHERE id IN (SELECT record_id FROM %s "
					  "WHERE staff_id = ? AND org_id = ?)",
				       e->name, t),
		       2, ver) < 0 ||
	     exec_ints(r, arena_printf(a, "DELETE FROM %s WHERE staff_id = ? "
					  "AND org_id = ? AND record_id IN "
					  "(SELECT record_id FROM %s WHERE "
					  "staff_id = ? AND org_id = ?)",
				       t, t),
		       4, del) < 0 ||
	     exec_ints(r, arena_printf(a, "UPDATE %s SET staff_id = ? WHERE "
					  "staff_id = ? AND org_id = ?",
				       t),
		       3, mov) < 0))
		n = -1;
	const char *key;
	json_t *l;
	json_object_foreach(lists, key, l)
	{
		int64_t id;
		if (n < 0 || atr_parse_i64(key, &id) < 0)
			break;
		json_t *diff = json_pack("{s:{s:O,s:o}}", name, "from", l, "to",
					 replaced(l, from, to));
		if (activity_from_req(r, "reassign", e->name, id, diff) < 0)
			n = -1;
		json_decref(diff);
	}
	json_decref(lists);
	return n;
}

int64_t entity_reassign(struct req *r, const struct entity *e, int i,
			int64_t from, int64_t to)
{
	const struct field *f = &e->schema.fields[i];
	if (!ftype_of(f->type)->joined)
		return reassign_column(r, e, f, from, to);
	return reassign_list(r, e, i, from, to);
}
