/* entity_api.c — generic CRUD over every module's entities.
 *
 * SQL that does not depend on the request (column list, fetch, insert,
 * delete, the view_own predicate) is built once per entity at init
 * (entity_registry.c, the records module); lists
 * go through the list-query engine (entity_list.c), the route checks are
 * entity_check.c's, and writes go through the one write path
 * (http/write.h), so the row, its activity-log row, its outbox event, the
 * entity count and the idempotency record commit together or not at all.
 *
 * view_own (the spec: "sees only own records / department records"): a
 * record is the member's own when its owner or assignee is the member or
 * a member of one of their departments (for a staff list: when one of
 * those is on it), when its department or team is one of theirs, or, for
 * a department or team itself, when they belong to it.
 *
 * Staff lists (FT_STAFF_LIST) are fields without a column: their values
 * live in a table of their own, kept by entity_lists.c and called from
 * here at each step of the write path.
 */
#include "atrium.h"

#include "http/perm.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity_int.h"
#include "core/ftype.h"
#include "http/write.h"

/* ---- values between JSON and SQL ---------------------------------------- */

void entity_row_write(const struct field_set *fs, bool admin,
		      struct db_stmt *st, struct buf *b,
		      struct entity_marks *marks, struct write_leaves *leaves)
{
	const struct entity *e = fs->e;
	size_t base = b->len;
	const struct entity_sql *s = entity_sql_of(e);
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "created_at", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "updated_at", false);
	jout_str(b, db_col_text(st, 2));
	jout_key(b, "version", false);
	jout_int(b, db_col_int(st, 3));
	jout_key(b, "created_by", false);
	if (db_col_null(st, 4))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, 4));
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		jout_key(b, f->name, false);
		size_t off = b->len;
		if (s->fcol[i] >= 0)
			field_write(b, f, st, s->fcol[i]);
		else if (marks) /* the page's lists come in one query */
			entity_marks_add(marks, b, db_col_int(st, 0), i);
		else /* entity_lists_load fills it */
			buf_adds(b, "[]");
		if (leaves)
			write_leaves_add(leaves, f->name, NULL, off - base,
					 b->len - off);
	}
	/* Custom values: stored in their column form in `cf`, given back in
	 * their API form; every defined field is present (null when unset),
	 * admin_only ones only to administrators. */
	jout_key(b, "custom_fields", false);
	buf_addc(b, '{');
	int col = s->cfcol, n = 0;
	json_t *cf = fs->ncustom && !db_col_null(st, col)
			     ? json_loads(db_col_text(st, col), 0, NULL)
			     : NULL;
	for (int i = 0; i < fs->ncustom; i++) {
		const struct field *f = &fs->custom[i];
		if ((f->flags & F_ADMIN_ONLY) && !admin)
			continue;
		jout_key(b, f->name, n++ == 0);
		json_t *v = field_api(f, json_object_get(cf, f->name));
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		size_t off = b->len;
		buf_adds(b, t ? t : "null");
		if (leaves)
			write_leaves_add(leaves, "custom_fields", f->name,
					 off - base, b->len - off);
		free(t);
		json_decref(v);
	}
	json_decref(cf);
	buf_adds(b, "}}");
}

json_t *entity_row_json(const struct field_set *fs, bool admin,
			struct db_stmt *st)
{
	struct buf b = BUF_INIT;
	entity_row_write(fs, admin, st, &b, NULL, NULL);
	json_t *o = json_loadb(b.p, b.len, 0, NULL);
	buf_free(&b);
	ATR_ASSERT(o);
	return o;
}

const struct schema *entity_body_schema(struct req *r)
{
	const struct entity *e = r->route->arg;
	const struct field_set *fs = entity_fields(r, e);
	return fs ? fs->body : &e->schema;
}

/* ---- loading --------------------------------------------------------------- */

/* Record id of e in the caller's org, within their view scope unless
 * unscoped; on PostgreSQL locked with lock ("FOR UPDATE", ...) when not
 * NULL. 1 found, 0 not, -1 error. */
static int record_load(struct req *r, const struct entity *e, int64_t id,
		       bool unscoped, const char *lock, json_t **out)
{
	const struct entity_sql *s = entity_sql_of(e);
	const struct field_set *fs = entity_fields(r, e);
	if (!fs)
		return -1;
	enum perm_grant scope = unscoped ? PERM_ALL
					 : perm_view_scope(&r->who, e->plural);
	if (scope == PERM_DENY)
		return 0; /* cannot see it: as if it did not exist */
	const char *sql = scope == PERM_OWN ? s->get_own : s->get;
	if (lock && db_conn_dialect(r->db) == DB_PG)
		sql = arena_printf(r->arena, "%s %s", sql, lock);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	if (scope == PERM_OWN)
		for (int i = 0; i < s->nown; i++)
			db_bind_int(st, 3 + i, r->who.staff_id);
	int rc = db_step(st);
	if (rc == 1)
		*out = entity_row_json(fs, r->who.admin, st);
	db_reset(st);
	if (rc == 1 && entity_lists_load(r, e, *out) < 0) {
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	return rc;
}

int entity_record_load(struct req *r, const struct entity *e, bool lock,
		       json_t **out)
{
	return record_load(r, e, r->id, false, lock ? "FOR UPDATE" : NULL, out);
}

int entity_record_follow(struct req *r, const struct entity *e, int64_t id,
			 json_t **out)
{
	/* NO KEY UPDATE: the write that follows (a payment) has just
	 * inserted a row whose foreign key holds KEY SHARE on this record;
	 * FOR UPDATE would conflict with a concurrent one's and deadlock. */
	return record_load(r, e, id, true, "FOR NO KEY UPDATE", out);
}

static int write_load(struct req *r, const struct write_op *op, json_t **rec)
{
	return entity_record_load(r, op->ctx, true, rec);
}

/* Which entities' records refer to record r->id of e by a reference
 * field ("proposals, invoices"), for the message of a refused delete
 * (after its rollback: a probe each, outside the transaction); "other
 * records" when none of them does (a reference of another kind). */
static const char *referrers(struct req *r, const struct entity *e)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < entity_count(); i++) {
		const struct entity *t = entity_at(i);
		for (int k = 0; k < t->schema.nfields; k++) {
			const struct field *f = &t->schema.fields[k];
			if (f->type != FT_REF || strcmp(f->ref, e->name))
				continue;
			struct db_stmt *st = db_prepare(
				r->db,
				arena_printf(r->arena,
					     "SELECT 1 FROM %s WHERE %s = ? AND "
					     "org_id = ? LIMIT 1",
					     t->name, f->name));
			if (!st)
				continue;
			db_bind_int(st, 1, r->id);
			db_bind_int(st, 2, r->who.org_id);
			int rc = db_step(st);
			db_reset(st);
			if (rc == 1) {
				buf_printf(&b, "%s%s", b.len ? ", " : "",
					   t->plural);
				break; /* one mention per entity */
			}
		}
	}
	const char *out = arena_strdup(r->arena, b.len ? buf_str(&b)
						       : "other records");
	buf_free(&b);
	return out;
}

/* After a failed write: a unique violation becomes a field error on the
 * entity's unique field; a foreign-key violation (a referenced member was
 * deleted meanwhile) a field error on the reference; anything else a
 * database error. */
static int write_error(struct req *r, const struct entity *e)
{
	if (db_err_unique(r->db)) {
		for (int i = 0; i < e->schema.nfields; i++)
			if (e->schema.fields[i].flags & F_UNIQUE) {
				atr_field(&r->err, e->schema.fields[i].name,
					  "taken", "is already used by another "
					  "%s", e->name);
				return -1;
			}
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"the %s conflicts with an existing one",
				e->name);
	}
	if (db_err_fk(r->db) && r->method == HTTP_DELETE) {
		db_rollback(r->db);
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"cannot delete %s %lld: %s refer to it; remove "
				"or reassign them first",
				e->name, (long long)r->id, referrers(r, e));
	}
	if (db_err_fk(r->db)) {
		db_rollback(r->db);
		entity_check_body(r, e);
		if (r->err.kind == ATR_E_NONE)
			atr_fail(&r->err, ATR_E_CONFLICT,
				 "a record this %s refers to was just removed",
				 e->name);
		return -1;
	}
	return req_db_error(r);
}

/* ---- handlers --------------------------------------------------------------- */

int entity_h_list(struct req *r)
{
	return entity_list_run(r, r->route->arg);
}

int entity_h_get(struct req *r)
{
	const struct entity *e = r->route->arg;
	if (!req_db(r))
		return -1;
	json_t *rec = NULL;
	int rc = entity_record_load(r, e, false, &rec);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "%s %lld not found",
				e->name, (long long)r->id);
	req_etag(r, json_integer_value(json_object_get(rec, "version")));
	req_json(r, 200, rec);
	return 0;
}

/* Binds the custom values document (NULL when empty) at idx and their
 * search text at idx + 1. */
static void bind_cf(struct db_stmt *st, int idx, const struct field_set *fs,
		    const json_t *cf)
{
	if (!cf || !json_object_size(cf)) {
		db_bind_null(st, idx);
		db_bind_null(st, idx + 1);
		return;
	}
	char *t = json_dumps(cf, JSON_COMPACT | JSON_SORT_KEYS);
	db_bind_text(st, idx, t);
	free(t);
	t = entity_cf_search(fs, cf);
	t ? db_bind_text(st, idx + 1, t) : db_bind_null(st, idx + 1);
	free(t);
}

/* The custom values of a new record, in their stored form: what the body
 * gives, else each field's default (the API value as JSON text). */
static json_t *custom_new(const struct field_set *fs, const json_t *body)
{
	json_t *cf = json_object(), *given = json_object_get(body, "custom_fields");
	for (int i = 0; i < fs->ncustom; i++) {
		const struct field *f = &fs->custom[i];
		json_t *v = json_object_get(given, f->name), *dflt = NULL;
		if ((!v || json_is_null(v)) && f->def)
			v = dflt = json_loads(f->def, JSON_DECODE_ANY, NULL);
		if (v && !json_is_null(v))
			json_object_set_new(cf, f->name, field_stored(f, v));
		json_decref(dflt);
	}
	return cf;
}

/* The staff lists of the body, stored for record rec (new when before is
 * NULL), and set in rec as a read would give them. Only lists the body
 * names and that change are written. Returns how many changed, or -1
 * (r->err: a foreign-key failure names the field). */
static int lists_apply(struct req *r, const struct entity *e,
		       const json_t *before, json_t *rec)
{
	int64_t id = json_integer_value(json_object_get(rec, "id"));
	int changed = 0;
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		json_t *v = json_object_get(r->body, f->name);
		if (!entity_field_joined(f))
			continue;
		json_t *old = before ? json_object_get(before, f->name) : NULL;
		json_t *nv = v ? field_normalise(f, v) : json_deep_copy(old);
		if (!nv)
			nv = json_array();
		bool diff = v && (!old || !json_equal(nv, old));
		if (diff && (before || json_array_size(nv)) &&
		    entity_list_store(r, e, i, id, nv, !before) < 0) {
			json_decref(nv);
			return write_error(r, e);
		}
		changed += diff;
		json_object_set_new(rec, f->name, nv);
	}
	return changed;
}

static int create_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	return entity_create_row(r, op->ctx, after);
}

int entity_insert_bind(struct req *r, const struct entity *e,
		       const struct field_set *fs, const json_t *body,
		       const char *now, struct db_stmt *st, int base)
{
	db_bind_int(st, base + 1, r->who.org_id);
	db_bind_int(st, base + 2, r->who.staff_id);
	db_bind_text(st, base + 3, now);
	db_bind_text(st, base + 4, now);
	json_t *cf = custom_new(fs, body);
	bind_cf(st, base + 5, fs, cf);
	json_decref(cf);
	int idx = base + 7;
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		json_t *v = json_object_get(body, f->name), *dflt = NULL;
		if (entity_field_joined(f))
			continue; /* after the row, which gives the id */
		if (!v || json_is_null(v)) {
			if (f->def && f->type == FT_BOOL)
				v = dflt = json_boolean(!strcmp(f->def, "true"));
			else if (f->def && f->type == FT_INT)
				v = dflt = json_integer(strtoll(f->def, NULL, 10));
			else if (f->def)
				v = dflt = json_string(f->def);
			/* Acting in another organisation, the caller is
			 * no member there: the record has no owner. */
			else if ((f->flags & F_OWNER) && !r->who.acting)
				v = dflt = json_integer(r->who.staff_id);
		}
		field_bind(st, idx++, f, v);
		json_decref(dflt);
	}
	return idx - 1 - base;
}

int entity_created_hooks(struct req *r, const struct entity *e,
			 json_t **after)
{
	/* The staff lists first (the record's own fields), then the
	 * entity's hook, which sees the whole record. */
	if (lists_apply(r, e, NULL, *after) < 0)
		return -1;
	return e->on_write && e->on_write(r, e, NULL, after) < 0 ? -1 : 1;
}

int entity_create_row(struct req *r, const struct entity *e, json_t **after)
{
	const struct field_set *fs = entity_fields(r, e);
	struct db_stmt *st = fs ? db_prepare(r->db, entity_sql_of(e)->insert)
				: NULL;
	if (!st)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	entity_insert_bind(r, e, fs, r->body, now, st, 0);
	int rc = db_step(st);
	if (rc == 1)
		*after = entity_row_json(fs, r->who.admin, st);
	db_reset(st);
	if (rc != 1)
		return write_error(r, e);
	return entity_created_hooks(r, e, after);
}

/* The record's custom values as stored (admin_only ones included), and
 * what they become with the body's custom_fields; NULL *next when the body
 * names none. 0 or -1. */
static int custom_next(struct req *r, const struct entity *e,
		       const struct field_set *fs, json_t **next)
{
	*next = NULL;
	json_t *given = json_object_get(r->body, "custom_fields");
	if (!json_is_object(given) || !json_object_size(given))
		return 0;
	char *sql = arena_printf(r->arena, "SELECT cf FROM %s WHERE id = ? "
					   "AND org_id = ?",
				 e->name);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	json_t *cur = rc == 1 && !db_col_null(st, 0)
			      ? json_loads(db_col_text(st, 0), 0, NULL)
			      : NULL;
	db_reset(st);
	if (rc < 0)
		return -1;
	json_t *n = json_is_object(cur) ? json_deep_copy(cur) : json_object();
	const char *k;
	json_t *v;
	json_object_foreach(given, k, v)
	{
		const struct field *f = entity_custom_field(fs, k);
		if (!f)
			continue; /* the check refused it already */
		if (json_is_null(v))
			json_object_del(n, k);
		else
			json_object_set_new(n, k, field_stored(f, v));
	}
	if (cur && json_equal(cur, n))
		json_decref(n);
	else if (!cur && !json_object_size(n))
		json_decref(n);
	else
		*next = n;
	json_decref(cur);
	return 0;
}

static int update_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	const struct entity *e = op->ctx;
	const struct entity_sql *s = entity_sql_of(e);
	const struct field_set *fs = entity_fields(r, e);
	json_t *cf = NULL;
	if (!fs || custom_next(r, e, fs, &cf) < 0)
		return -1;
	/* Only fields whose value changes are written. */
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "UPDATE %s SET ", e->name);
	int nset = 0;
	unsigned char *set = arena_alloc(r->arena, (size_t)e->schema.nfields);
	bool lists = false; /* a staff list changes (stored after the row) */
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		json_t *v = json_object_get(r->body, f->name);
		if (!v)
			continue;
		json_t *nv = field_normalise(f, v);
		bool differs = !json_equal(nv, json_object_get(before, f->name));
		json_decref(nv);
		if (differs && entity_field_joined(f)) {
			lists = true;
		} else if (differs) {
			buf_printf(&sql, "%s = ?, ", f->name);
			set[i] = 1;
			nset++;
		}
	}
	if (cf)
		buf_adds(&sql, "cf = ?, cf_search = ?, ");
	if (nset == 0 && !cf && !lists) {
		buf_free(&sql);
		*after = NULL;
		return 1;
	}
	buf_printf(&sql,
		   "updated_at = ?, version = version + 1 WHERE id = ? AND "
		   "org_id = ? AND version = ? RETURNING %s",
		   s->cols);
	struct db_stmt *st = db_prepare(r->db, buf_str(&sql));
	buf_free(&sql);
	if (!st) {
		json_decref(cf);
		return -1;
	}
	int idx = 1;
	for (int i = 0; i < e->schema.nfields; i++)
		if (set[i])
			field_bind(st, idx++, &e->schema.fields[i],
				   json_object_get(r->body,
						   e->schema.fields[i].name));
	if (cf) {
		bind_cf(st, idx, fs, cf);
		idx += 2;
	}
	json_decref(cf);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	db_bind_text(st, idx++, now);
	db_bind_int(st, idx++, r->id);
	db_bind_int(st, idx++, r->who.org_id);
	db_bind_int(st, idx++,
		    json_integer_value(json_object_get(before, "version")));
	int rc = db_step(st);
	if (rc == 1)
		*after = entity_row_json(fs, r->who.admin, st);
	db_reset(st);
	if (rc < 0)
		return write_error(r, e);
	if (rc == 1 && (lists_apply(r, e, before, *after) < 0 ||
			(e->on_write && e->on_write(r, e, before, after) < 0)))
		return -1;
	return rc; /* 0: gone meanwhile (the row was locked: only a delete) */
}

int entity_update_row(struct req *r, const struct entity *e,
		      const json_t *before, json_t **after)
{
	struct write_op op = {.kind = WRITE_UPDATE, .entity = e->name,
			      .ctx = (void *)e};
	return update_apply(r, &op, before, after);
}

static int delete_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	const struct entity *e = op->ctx;
	struct db_stmt *st = db_prepare(r->db, entity_sql_of(e)->del);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	/* No row removed: a concurrent delete won; answer 404 and write
	 * nothing, so the count cannot drift. */
	if (rc == 1 && e->on_delete && e->on_delete(r, e, before) < 0)
		return -1;
	return rc < 0 ? write_error(r, e) : rc;
}

static int run(struct req *r, enum write_kind kind,
	       int (*apply)(struct req *, const struct write_op *,
			    const json_t *, json_t **))
{
	const struct entity *e = r->route->arg;
	char *loc = arena_printf(r->arena, "/api/v1/%s", e->plural);
	struct write_op op = {kind,	   e->name,    loc,	    true, false,
			      write_load, apply, (void *)e};
	return write_run(r, &op);
}

int entity_h_create(struct req *r)
{
	return run(r, WRITE_CREATE, create_apply);
}

int entity_h_update(struct req *r)
{
	return run(r, WRITE_UPDATE, update_apply);
}

int entity_h_delete(struct req *r)
{
	return run(r, WRITE_DELETE, delete_apply);
}
