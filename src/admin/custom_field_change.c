/* custom_field_change.c — what changing a custom field's definition does
 * to the values already stored, and the field's indexes.
 *
 * Values live in each record's `cf` document in their stored form (see
 * field_stored in core/ftype.h). A new type (or new decimals, or other
 * options) is taken only when every value converts: each is read back
 * as the API showed it, turned into the new type where that has one
 * clear meaning (text "12.5" into a number, a select into a one-item
 * multi-select, "yes" into a checkbox) and checked by the new type's own
 * validation; a value that fails is named in the preview and refuses the
 * change. Converted records get a new version (an edit open elsewhere
 * then meets 412 rather than writing the old form back).
 *
 * Indexes: a field that can be filtered with an index (every type but
 * long text and multi-select, whose values are documents rather than
 * keys) gets `cf_<entity>_<id>` on (org_id, value), and text types that
 * sort case-insensitively `cfs_<entity>_<id>` on (org_id, lower(value)):
 * the very expressions the list engine filters and sorts with
 * (entity_cf_expr), so a list filtered on a custom field reads its index
 * as one filtered on a built-in column does. They are made in the
 * transaction that defines or retypes the field (PostgreSQL blocks writes
 * to the entity's table while it builds them: seconds at a million
 * rows).
 */
#include "atrium.h"

#include <strings.h>

#include "admin/custom_field_int.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/ftype.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/http.h"

/* ---- SQL of one field -------------------------------------------------------- */

struct cf_sql {
	const struct entity *e;
	struct field f;
	const char *expr;    /* its value */
	const char *present; /* "holds a value" */
	bool array;
};

static int sql_of(struct req *r, const json_t *def, struct cf_sql *q)
{
	q->e = entity_find(json_string_value(json_object_get(def, "entity")));
	if (!q->e)
		return atr_fail(&r->err, ATR_E_INTERNAL,
				"custom field of an unknown entity");
	cf_field_of(def, r->arena, &q->f);
	q->expr = entity_cf_expr(r->arena, db_conn_dialect(r->db), &q->f);
	q->array = ftype_of(q->f.type)->array;
	q->present = q->array ? arena_printf(r->arena,
					     "(%s IS NOT NULL AND %s <> '[]')",
					     q->expr, q->expr)
			      : arena_printf(r->arena, "%s IS NOT NULL", q->expr);
	return 0;
}

static int count_where(struct req *r, const struct cf_sql *q, const char *cond,
		       int64_t *n)
{
	char *sql = arena_printf(r->arena,
				 "SELECT count(*) FROM %s WHERE org_id = ?%s%s",
				 q->e->name, cond ? " AND " : "",
				 cond ? cond : "");
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	int rc = db_step(st);
	*n = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc == 1 ? 0 : -1;
}

int cf_count_values(struct req *r, const json_t *def, int64_t *n)
{
	struct cf_sql q;
	if (sql_of(r, def, &q) < 0)
		return -1;
	return count_where(r, &q, q.present, n);
}

/* ---- indexes ------------------------------------------------------------------ */

static const char *index_name(struct req *r, const char *prefix,
			      const json_t *def)
{
	return arena_printf(r->arena, "%s_%s_%lld", prefix,
			    json_string_value(json_object_get(def, "entity")),
			    (long long)json_integer_value(
				    json_object_get(def, "id")));
}

/* Runs a DDL statement of a custom field's index as the tables' owner
 * (PostgreSQL: the application role may not create or drop an index). */
static int ddl(struct req *r, const char *sql)
{
	db_conn_as_owner(r->db, true);
	int rc = db_exec(r->db, sql);
	db_conn_as_owner(r->db, false);
	return rc;
}

int cf_index_create(struct req *r, const json_t *def)
{
	struct cf_sql q;
	if (sql_of(r, def, &q) < 0)
		return -1;
	if (q.array || (q.f.flags & F_MULTILINE))
		return 0;
	char *sql = arena_printf(r->arena, "CREATE INDEX %s ON %s (org_id, (%s))",
				 index_name(r, "cf", def), q.e->name, q.expr);
	if (ddl(r, sql) < 0)
		return -1;
	if (!ftype_of(q.f.type)->fold_sort)
		return 0;
	sql = arena_printf(r->arena, "CREATE INDEX %s ON %s (org_id, lower(%s))",
			   index_name(r, "cfs", def), q.e->name, q.expr);
	return ddl(r, sql);
}

static int index_drop(struct req *r, const json_t *def)
{
	char *sql = arena_printf(r->arena, "DROP INDEX IF EXISTS %s",
				 index_name(r, "cf", def));
	if (ddl(r, sql) < 0)
		return -1;
	sql = arena_printf(r->arena, "DROP INDEX IF EXISTS %s",
			   index_name(r, "cfs", def));
	return ddl(r, sql);
}

/* ---- search text ------------------------------------------------------------------ */

int cf_search_rewrite(struct req *r, const struct entity *e)
{
	json_t *defs = NULL;
	if (cf_defs(r->db, r->who.org_id, e, &defs) < 0) {
		json_decref(defs);
		return -1;
	}
	size_t n = json_array_size(defs), i, k = 0;
	struct field *fs = arena_alloc(r->arena, (n + 1) * sizeof *fs);
	json_t *d;
	json_array_foreach(defs, i, d)
		if (entity_field_parse(r->arena, e, d, &fs[k]))
			k++;
	json_decref(defs);
	enum db_dialect dl = db_conn_dialect(r->db);
	const char *text = entity_cf_search_sql(r->arena, dl, fs, (int)k);
	char *sql = arena_printf(
		r->arena,
		"UPDATE %s SET cf_search = %s WHERE org_id = ? AND cf_search "
		"%s %s",
		e->name, text, dl == DB_PG ? "IS DISTINCT FROM" : "IS NOT", text);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* ---- conversion -------------------------------------------------------------------- */

static bool word_in(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcasecmp(s, *words))
			return true;
	return false;
}

/* The API value v of field `from` as a value for field `to` (new
 * reference), or NULL with the reason in why. */
static json_t *convert_value(const struct field *from, const struct field *to,
			     const json_t *v, char *why, size_t n)
{
	static const char *const yes[] = {"true", "yes", "y", "1", "da", NULL};
	static const char *const no[] = {"false", "no", "n", "0", "nu", NULL};
	json_t *c = NULL;
	const char *s = json_string_value(v);
	char num[48];
	if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
		s = num;
	} else if (json_is_boolean(v)) {
		s = json_is_true(v) ? "true" : "false";
	}
	switch (to->type) {
	case FT_BOOL:
		if (json_is_boolean(v))
			c = json_incref((json_t *)v);
		else if (s && word_in(s, yes))
			c = json_true();
		else if (s && word_in(s, no))
			c = json_false();
		break;
	case FT_MULTI:
		if (json_is_array(v))
			c = json_deep_copy(v);
		else if (s)
			c = json_pack("[s]", s);
		break;
	case FT_REF:
		if (json_is_integer(v))
			c = json_incref((json_t *)v);
		break;
	case FT_DECIMAL:
	case FT_MONEY:
		if (json_is_boolean(v))
			break;
		if (s)
			c = json_string(s);
		break;
	case FT_DATETIME:
		if (s && strlen(s) == 10 && from->type == FT_DATE)
			c = json_sprintf("%sT00:00:00.000Z", s);
		else if (s)
			c = json_string(s);
		break;
	case FT_DATE:
		if (s && from->type == FT_DATETIME && strlen(s) > 10)
			c = json_stringn(s, 10);
		else if (s)
			c = json_string(s);
		break;
	default: /* text of some kind */
		if (json_is_array(v) && to->type == FT_ENUM) {
			if (json_array_size(v) == 1)
				c = json_deep_copy(json_array_get(v, 0));
		} else if (json_is_array(v)) {
			struct buf b = BUF_INIT;
			size_t i;
			json_t *x;
			json_array_foreach(v, i, x)
			{
				if (i)
					buf_adds(&b, ", ");
				if (json_is_string(x))
					buf_adds(&b, json_string_value(x));
			}
			c = json_string(buf_str(&b));
			buf_free(&b);
		} else if (s) {
			c = json_string(s);
		}
	}
	if (!c) {
		snprintf(why, n, "has no %s form", ftype_of(to->type)->name);
		return NULL;
	}
	struct atr_err err = {0};
	struct field named = *to;
	named.name = "value";
	if (validate_value(&named, c, &err) < 0) {
		snprintf(why, n, "%s",
			 err.nfields ? err.fields[0].detail : "is not valid");
		json_decref(c);
		return NULL;
	}
	return c;
}

/* Whether the stored values need converting: another type, or the same
 * one with other decimals or other options. */
static bool needs_conversion(const json_t *a, const json_t *b)
{
	static const char *const keys[] = {"type", "decimals", "options"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(keys); i++)
		if (!json_equal(json_object_get(a, keys[i]),
				json_object_get(b, keys[i])))
			return true;
	return false;
}

/* Converts every value of the field (or previews it). *updates gets
 * [[id, cf text], ...] of the records whose stored form changes. */
static int convert_all(struct req *r, const struct cf_sql *from,
		       const struct cf_sql *to, json_t *out, json_t *updates)
{
	char *sql = arena_printf(r->arena,
				 "SELECT id, cf FROM %s WHERE org_id = ? AND "
				 "%s ORDER BY id",
				 from->e->name, from->present);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	json_t *failures = json_array();
	int64_t nfail = 0, nok = 0;
	int rc;
	while ((rc = db_step(st)) == 1) {
		int64_t id = db_col_int(st, 0);
		json_t *cf = json_loads(db_col_text(st, 1), 0, NULL);
		json_t *stored = json_object_get(cf, from->f.name);
		json_t *api = field_api(&from->f, stored);
		char why[200];
		json_t *c = convert_value(&from->f, &to->f, api, why, sizeof why);
		if (!c) {
			nfail++;
			if (json_array_size(failures) < CF_FAILURES_MAX)
				json_array_append_new(
					failures,
					json_pack("{s:I,s:O,s:s}", "id",
						  (json_int_t)id, "value", api,
						  "reason", why));
		} else {
			nok++;
			json_t *ns = field_stored(&to->f, c);
			if (updates && !json_equal(ns, stored)) {
				json_object_set(cf, from->f.name, ns);
				char *t = json_dumps(cf, JSON_COMPACT |
								 JSON_SORT_KEYS);
				json_array_append_new(
					updates, json_pack("[I,s]",
							   (json_int_t)id, t));
				free(t);
			}
			json_decref(ns);
			json_decref(c);
		}
		json_decref(api);
		json_decref(cf);
	}
	db_reset(st);
	json_object_set_new(out, "convertible", json_integer(nok));
	json_object_set_new(out, "not_convertible", json_integer(nfail));
	json_object_set_new(out, "failures", failures);
	return rc < 0 ? -1 : 0;
}

static int write_updates(struct req *r, const struct entity *e,
			 const json_t *updates)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	char *sql = arena_printf(r->arena,
				 "UPDATE %s SET cf = ?, version = version + 1, "
				 "updated_at = ? WHERE id = ? AND org_id = ?",
				 e->name);
	size_t i;
	json_t *u;
	json_array_foreach(updates, i, u)
	{
		struct db_stmt *st = db_prepare(r->db, sql);
		if (!st)
			return -1;
		db_bind_text(st, 1, json_string_value(json_array_get(u, 1)));
		db_bind_text(st, 2, now);
		db_bind_int(st, 3, json_integer_value(json_array_get(u, 0)));
		db_bind_int(st, 4, r->who.org_id);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Sets value (stored form) on the records without one. */
static int fill_missing(struct req *r, const struct cf_sql *q,
			const json_t *stored)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	char *set = db_conn_dialect(r->db) == DB_PG
			    ? arena_printf(r->arena,
					   "(coalesce(cf, '{}')::jsonb || "
					   "jsonb_build_object('%s', "
					   "?::jsonb))::text",
					   q->f.name)
			    : arena_printf(r->arena,
					   "json_set(coalesce(cf, '{}'), "
					   "'$.\"%s\"', json(?))",
					   q->f.name);
	char *sql = arena_printf(
		r->arena,
		"UPDATE %s SET cf = %s, version = version + 1, updated_at = ? "
		"WHERE org_id = ? AND NOT %s",
		q->e->name, set, q->present);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	char *t = json_dumps(stored, JSON_ENCODE_ANY | JSON_COMPACT);
	db_bind_text(st, 1, t);
	free(t);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* A link's fill value names a record of its entity in the organisation. */
static int ref_exists(struct req *r, const struct field *f, const json_t *v)
{
	const struct entity *t = f->ref ? entity_find(f->ref) : NULL;
	if (!t || !json_is_integer(v))
		return 0;
	char *sql = arena_printf(r->arena,
				 "SELECT 1 FROM %s WHERE id = ? AND org_id = ?",
				 t->name);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, json_integer_value(v));
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

int cf_change_values(struct req *r, const json_t *before, const json_t *after,
		     const json_t *fill, bool write, json_t **summary)
{
	struct cf_sql from, to;
	if (sql_of(r, before, &from) < 0 || sql_of(r, after, &to) < 0)
		return -1;
	json_t *out = json_object(), *updates = write ? json_array() : NULL;
	int ret = -1;
	int64_t total = 0, with = 0, missing = 0;
	bool convert = needs_conversion(before, after);
	if (count_where(r, &from, NULL, &total) < 0 ||
	    count_where(r, &from, from.present, &with) < 0)
		goto out;
	json_object_set_new(out, "records", json_integer(total));
	json_object_set_new(out, "with_value", json_integer(with));
	if (convert && convert_all(r, &from, &to, out, updates) < 0)
		goto out;
	if (!convert) {
		json_object_set_new(out, "convertible", json_integer(with));
		json_object_set_new(out, "not_convertible", json_integer(0));
		json_object_set_new(out, "failures", json_array());
	}
	int64_t nfail = json_integer_value(json_object_get(out, "not_convertible"));
	missing = total - with;
	json_object_set_new(out, "missing", json_integer(missing));
	bool becomes_required =
		json_is_true(json_object_get(after, "required")) &&
		json_is_true(json_object_get(after, "active")) &&
		!(json_is_true(json_object_get(before, "required")) &&
		  json_is_true(json_object_get(before, "active")));
	bool filling = becomes_required && missing > 0 && fill &&
		       !json_is_null(fill);
	json_object_set_new(out, "becomes_required",
			    json_boolean(becomes_required));
	json_object_set_new(out, "fill", json_integer(filling ? missing : 0));
	if (!write) {
		*summary = out;
		out = NULL;
		ret = 0;
		goto out;
	}
	if (nfail) {
		json_t *f0 = json_array_get(json_object_get(out, "failures"), 0);
		char *v = json_dumps(json_object_get(f0, "value"),
				     JSON_ENCODE_ANY | JSON_COMPACT);
		atr_field(&r->err, "type", "not_convertible",
			  "%lld of %lld values do not convert (%s %lld: %s "
			  "%s); see the preview, correct them, then change "
			  "the field",
			  (long long)nfail, (long long)with, from.e->name,
			  (long long)json_integer_value(json_object_get(f0, "id")),
			  v ? v : "", json_string_value(json_object_get(f0, "reason")));
		free(v);
		goto out;
	}
	if (becomes_required && missing > 0 && !filling) {
		atr_field(&r->err, "fill_value", "required",
			  "%lld %s have no value for '%s': give the value to "
			  "fill them with",
			  (long long)missing, from.e->plural, from.f.name);
		goto out;
	}
	if (filling && to.f.type == FT_REF) {
		int ex = ref_exists(r, &to.f, fill);
		if (ex < 0)
			goto out;
		if (ex == 0) {
			atr_field(&r->err, "fill_value", "not_found",
				  "no %s with id %lld", to.f.ref,
				  (long long)json_integer_value(fill));
			goto out;
		}
	}
	json_t *done = json_object();
	if (convert) {
		if (write_updates(r, from.e, updates) < 0) {
			json_decref(done);
			goto out;
		}
		json_object_set_new(done, "converted",
				    json_integer((json_int_t)json_array_size(updates)));
		/* The value's expression may change with the type. */
		if (index_drop(r, before) < 0 || cf_index_create(r, after) < 0) {
			json_decref(done);
			goto out;
		}
	}
	if (filling) {
		json_t *stored = field_stored(&to.f, fill);
		int rc = fill_missing(r, &to, stored);
		json_decref(stored);
		if (rc < 0) {
			json_decref(done);
			goto out;
		}
		json_object_set_new(done, "filled", json_integer(missing));
		json_object_set_new(done, "fill_value", json_deep_copy(fill));
	}
	if (json_object_size(done))
		*summary = done;
	else
		json_decref(done);
	ret = 0;
out:
	json_decref(out);
	json_decref(updates);
	return ret;
}

int cf_remove_values(struct req *r, const json_t *def, json_t **values)
{
	struct cf_sql q;
	*values = json_object();
	if (sql_of(r, def, &q) < 0)
		return -1;
	char *sql = arena_printf(r->arena,
				 "SELECT id, cf FROM %s WHERE org_id = ? AND %s",
				 q.e->name, q.present);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	int rc;
	while ((rc = db_step(st)) == 1) {
		json_t *cf = json_loads(db_col_text(st, 1), 0, NULL);
		char key[24];
		snprintf(key, sizeof key, "%lld", (long long)db_col_int(st, 0));
		json_object_set_new(*values, key,
				    field_api(&q.f, json_object_get(cf, q.f.name)));
		json_decref(cf);
	}
	db_reset(st);
	if (rc < 0)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	const char *drop =
		db_conn_dialect(r->db) == DB_PG
			? arena_printf(r->arena,
				       "NULLIF((cf::jsonb - '%s')::text, '{}')",
				       q.f.name)
			: arena_printf(r->arena,
				       "NULLIF(json_remove(cf, '$.\"%s\"'), "
				       "'{}')",
				       q.f.name);
	sql = arena_printf(r->arena,
			   "UPDATE %s SET cf = %s, version = version + 1, "
			   "updated_at = ? WHERE org_id = ? AND %s IS NOT NULL",
			   q.e->name, drop, q.expr);
	st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	return index_drop(r, def);
}
