/* entity_check.c — what a record's fields may refer to: the route check of
 * every entity route (references exist and are visible, staff members are
 * active, custom values are the organisation's and valid, the entity's own
 * cross-field rule), and whether one record is visible to the caller. */
#include "atrium.h"

#include "auth/staff_store.h"
#include "core/ftype.h"
#include "db/db.h"
#include "entity/entity_int.h"
#include "http/perm.h"

/* 1 when record id of e exists in the caller's organisation and the caller
 * may see it, 0 when not (or not visible: the same answer, so ids outside
 * one's scope cannot be probed), -1 on a database error. */
int entity_ref_visible(struct req *r, const struct entity *e, int64_t id)
{
	const struct entity_sql *s = entity_sql_of(e);
	enum perm_grant scope = perm_view_scope(&r->who, e->plural);
	if (scope == PERM_DENY)
		return 0;
	struct db_stmt *st =
		db_prepare(r->db, scope == PERM_OWN ? s->get_own : s->get);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	if (scope == PERM_OWN)
		for (int i = 0; i < s->nown; i++)
			db_bind_int(st, 3 + i, r->who.staff_id);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

/* A reference field's value names an active staff member of the org,
 * one the staff directory shows (FT_STAFF), or a record the caller may
 * see (FT_REF); adds a field error named name when not. Any other id —
 * absent, another organisation's, deactivated, out of view — gets the
 * same answer, so none can be probed. */
static void check_ref(struct req *r, const struct field *f, const char *name,
		      const json_t *v)
{
	if ((f->type != FT_STAFF && f->type != FT_REF) || !json_is_integer(v) ||
	    json_integer_value(v) < 1 || !req_db(r))
		return;
	int64_t id = (int64_t)json_integer_value(v);
	const struct entity *target = f->type == FT_REF ? entity_find(f->ref)
							: NULL;
	int ex = f->type == FT_STAFF
			 ? staff_store_assignable(r->db, r->who.org_id, id)
			 : target ? entity_ref_visible(r, target, id) : 0;
	if (ex < 0)
		req_db_error(r);
	else if (ex == 0 && f->type == FT_STAFF)
		atr_field(&r->err, name, "not_found",
			  "no active staff member with id %lld", (long long)id);
	else if (ex == 0)
		atr_field(&r->err, name, "not_found", "no %s with id %lld",
			  f->ref, (long long)id);
}

/* custom_fields: every key a field of the organisation (admin_only ones
 * for administrators only), every value valid for its type, required
 * ones present on create. Errors are named custom_fields.<name>. */
static void check_custom(struct req *r, const struct field_set *fs)
{
	json_t *cf = json_object_get(r->body, "custom_fields");
	bool create = r->method == HTTP_POST;
	const char *k;
	json_t *v;
	json_object_foreach(cf, k, v)
	{
		const struct field *f = entity_custom_field(fs, k);
		char *name = arena_printf(r->arena, "custom_fields.%s", k);
		if (!f || ((f->flags & F_ADMIN_ONLY) && !r->who.admin)) {
			atr_field(&r->err, name, "unknown_field",
				  "unknown field");
			continue;
		}
		struct field named = *f;
		named.name = name;
		if (json_is_null(v)) {
			if (f->flags & F_REQUIRED)
				atr_field(&r->err, name, "required",
					  "must not be null");
			continue;
		}
		if (validate_value(&named, v, &r->err) == 0)
			check_ref(r, f, name, v);
	}
	for (int i = 0; create && i < fs->ncustom; i++) {
		const struct field *f = &fs->custom[i];
		if ((f->flags & F_REQUIRED) && !f->def &&
		    !json_object_get(cf, f->name))
			atr_field(&r->err,
				  arena_printf(r->arena, "custom_fields.%s",
					       f->name),
				  "required", "is required");
	}
}

/* The route check: references must exist and be visible, custom fields
 * must be the organisation's and valid. Runs after the schema check,
 * adding to the same error list; write errors on a foreign key run it
 * again to name the field. */
void entity_check_refs(struct req *r)
{
	entity_check_body(r, r->route->arg);
}

void entity_check_body(struct req *r, const struct entity *e)
{
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		json_t *v = json_object_get(r->body, f->name);
		if (f->type == FT_STAFF_LIST)
			entity_list_check(r, e, i, v);
		else
			check_ref(r, f, f->name, v);
	}
	const struct field_set *fs = entity_fields(r, e);
	if (fs && (json_is_object(json_object_get(r->body, "custom_fields")) ||
		   r->method == HTTP_POST))
		check_custom(r, fs);
	if (e->check)
		e->check(r, e);
}

