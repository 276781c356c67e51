/* entity_meta.c — GET /api/v1/meta/entities: the entities the caller may
 * see, their fields and what the caller may do with them, from which the
 * web UI draws its navigation, lists and forms (the records module's
 * route; entity_api.c). */
#include "atrium.h"

#include "core/ftype.h"
#include "entity/entity_int.h"
#include "http/perm.h"

static json_t *field_json(const struct field *f)
{
	char lab[96];
	const struct ftype_ops *t = ftype_of(f->type);
	json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:b,s:b,s:b}",
			      "name", f->name, "label",
			      field_label(f, lab, sizeof lab), "type", t->name,
			      "required", (f->flags & F_REQUIRED) != 0,
			      "list", (f->flags & F_LIST) != 0, "sortable",
			      (f->flags & F_SORT) != 0 && t->sortable,
			      "filterable", (f->flags & F_FILTER) != 0,
			      "searchable", (f->flags & F_SEARCH) != 0, "wide",
			      (f->flags & F_WIDE) != 0, "multiline",
			      (f->flags & F_MULTILINE) != 0);
	if (f->flags & F_READONLY)
		json_object_set_new(o, "read_only", json_true());
	if (f->max > 0)
		json_object_set_new(o, "max", json_integer(f->max));
	if (f->def)
		json_object_set_new(o, "default", json_string(f->def));
	if (f->hint)
		json_object_set_new(o, "hint", json_string(f->hint));
	if (f->ref)
		json_object_set_new(o, "ref", json_string(f->ref));
	if (f->type == FT_DECIMAL)
		json_object_set_new(o, "scale", json_integer(f->scale));
	if (f->width)
		json_object_set_new(o, "width", json_integer(f->width));
	if (f->choices) {
		json_t *ch = json_array();
		for (const char *const *c = f->choices; *c; c++) {
			struct field tmp = {.name = *c};
			json_array_append_new(
				ch, json_pack("{s:s,s:s}", "value", *c, "label",
					      field_label(&tmp, lab,
							  sizeof lab)));
		}
		json_object_set_new(o, "choices", ch);
	}
	return o;
}

/* The entities the caller may see, with their fields, for the UI. */
int entity_h_meta(struct req *r)
{
	json_t *arr = json_array();
	for (int i = 0; i < entity_count(); i++) {
		const struct entity *e = entity_at(i);
		if (perm_view_scope(&r->who, e->plural) == PERM_DENY)
			continue;
		const struct field_set *fs = entity_fields(r, e);
		if (!fs) {
			json_decref(arr);
			return -1;
		}
		json_t *fields = json_array();
		for (int k = 0; k < e->schema.nfields; k++)
			json_array_append_new(
				fields, field_json(&e->schema.fields[k]));
		for (int k = 0; k < fs->ncustom; k++) {
			const struct field *f = &fs->custom[k];
			if ((f->flags & F_ADMIN_ONLY) && !r->who.admin)
				continue;
			json_t *o = field_json(f);
			json_object_set_new(o, "custom", json_true());
			if (f->def) /* a custom default is the value as JSON */
				json_object_set_new(
					o, "default",
					json_loads(f->def, JSON_DECODE_ANY,
						   NULL));
			json_array_append_new(fields, o);
		}
		json_t *o = json_pack(
			"{s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "name", e->name,
			"plural", e->plural, "label", e->label, "path",
			arena_printf(r->arena, "/api/v1/%s", e->plural),
			"title_field", e->title_field, "ui_sort",
			e->ui_sort, "fields", fields);
		json_object_set_new(o, "member_param",
				    e->member_col ? json_string(e->member_col)
						  : json_null());
		if (e->link_type && e->link_id)
			json_object_set_new(o, "link",
					    json_pack("{s:s,s:s}", "type",
						      e->link_type, "id",
						      e->link_id));
		json_t *caps = json_array();
		static const enum perm_cap cs[] = {CAP_CREATE, CAP_EDIT,
						   CAP_DELETE};
		for (size_t k = 0; k < ATR_ARRAY_LEN(cs); k++)
			if (perm_check(&r->who, e->plural, cs[k]) != PERM_DENY)
				json_array_append_new(
					caps, json_string(perm_cap_name(cs[k])));
		json_object_set_new(o, "can", caps);
		json_array_append_new(arr, o);
	}
	req_json(r, 200, json_pack("{s:o}", "data", arr));
	return 0;
}

