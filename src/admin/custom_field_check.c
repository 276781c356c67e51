/* custom_field_check.c — what a custom field's definition must be: the
 * request's schema (its `default` and `fill_value` typed as the field
 * being defined) and the rules across members and against the database
 * (known entity, free slug, options for choices, decimals for numbers, a
 * link's entity, what a change may not alter). */
#include "atrium.h"

#include "admin/custom_field_int.h"
#include "core/arena.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/http.h"

static const struct field def_fields[] = {
	{"entity", FT_TEXT, F_REQUIRED, 40},
	{"slug", FT_TEXT, F_REQUIRED, CF_SLUG_MAX},
	{"label", FT_TEXT, F_REQUIRED, CF_LABEL_MAX},
	{"type", FT_ENUM, F_REQUIRED, 0, cf_type_names},
	{"required", FT_BOOL},
	{"help_text", FT_TEXT, F_MULTILINE, CF_HELP_MAX},
	{"position", FT_DECIMAL}, /* integers from 0: checked below */
	{"active", FT_BOOL},
	{"only_admin", FT_BOOL},
	{"show_on_client_portal", FT_BOOL},
	{"show_on_pdf", FT_BOOL},
	{"searchable", FT_BOOL},
	{"bs_column", FT_DECIMAL},
	{"options", FT_TAGS, 0, CF_OPTIONS_MAX},
	{"decimals", FT_DECIMAL},
	{"ref_entity", FT_TEXT, 0, 40},
};
#define NDEF ((int)ATR_ARRAY_LEN(def_fields))

/* The definition as the body would leave it: the current one (PATCH) with
 * the body's members over it, or the body with the defaults (POST). New
 * reference. */
json_t *cf_merged_def(struct req *r, const json_t *cur)
{
	json_t *m = cur ? json_deep_copy(cur)
			: json_pack("{s:b,s:b,s:b,s:i,s:i,s:b,s:b,s:b}",
				    "required", 0, "active", 1, "only_admin",
				    0, "position", 0, "bs_column", 12,
				    "show_on_client_portal", 0, "show_on_pdf",
				    0, "searchable", 1);
	const char *k;
	json_t *v;
	json_object_foreach(r->body, k, v)
		if (strcmp(k, "fill_value"))
			json_object_set(m, k, v);
	const char *type = json_string_value(json_object_get(m, "type"));
	if (!cur && !json_object_get(m, "decimals") && type &&
	    !strcmp(type, "number"))
		json_object_set_new(m, "decimals", json_integer(2));
	return m;
}

/* The request's schema: the definition's fields, and `default` (and
 * `fill_value` on PATCH) typed as the field being defined. */
const struct schema *cf_def_schema(struct req *r)
{
	struct field *fs = arena_alloc(r->arena, (NDEF + 2) * sizeof *fs);
	memcpy(fs, def_fields, sizeof def_fields);
	int n = NDEF;
	json_t *cur = NULL;
	if (r->method == HTTP_PATCH || r->method == HTTP_POST) {
		if (r->id && req_db(r) && cf_load_def(r, r->id, false, &cur) < 0)
			cur = NULL;
	}
	json_t *m = json_is_object(r->body) ? cf_merged_def(r, cur) : json_object();
	struct field f;
	cf_field_of(m, r->arena, &f);
	/* The strings of f are m's: copy what outlives it. */
	f.name = "default";
	f.label = NULL;
	f.ref = f.ref ? arena_strdup(r->arena, f.ref) : NULL;
	if (f.choices) {
		int k = 0;
		while (f.choices[k])
			k++;
		const char **c = arena_alloc(r->arena, (size_t)(k + 1) * sizeof *c);
		for (int i = 0; i < k; i++)
			c[i] = arena_strdup(r->arena, f.choices[i]);
		f.choices = c;
	}
	fs[n++] = f;
	if (r->id) {
		f.name = "fill_value";
		fs[n++] = f;
		/* A change (PATCH, preview) requires nothing. */
		for (int i = 0; i < n; i++)
			fs[i].flags &= ~(unsigned)F_REQUIRED;
	}
	json_decref(m);
	json_decref(cur);
	struct schema *s = arena_alloc(r->arena, sizeof *s);
	*s = (struct schema){fs, n};
	return s;
}

static bool slug_ok(const char *s)
{
	if (!s || !(*s >= 'a' && *s <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return false;
	return true;
}

/* How many fields the organisation defined on e (active or not). */
static int count_defs(struct req *r, const struct entity *e, int64_t *n)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT count(*) FROM custom_field WHERE org_id = ? AND "
		       "entity = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, e->name);
	int rc = db_step(st);
	*n = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc == 1 ? 0 : -1;
}

/* Cross-field rules, and what only the database knows. */
void cf_def_check(struct req *r)
{
	if (!json_is_object(r->body))
		return;
	json_t *cur = NULL;
	if (r->id && req_db(r) && cf_load_def(r, r->id, false, &cur) < 0) {
		req_db_error(r);
		return;
	}
	json_t *b = r->body, *m = cf_merged_def(r, cur);
	const char *ename = json_string_value(json_object_get(m, "entity"));
	const struct entity *e = ename ? entity_find(ename) : NULL;
	const char *slug = json_string_value(json_object_get(m, "slug"));
	const struct cf_type *t =
		cf_type_find(json_string_value(json_object_get(m, "type")));
	if (cur) {
		static const char *const fixed[] = {"entity", "slug"};
		for (size_t i = 0; i < 2; i++) {
			json_t *v = json_object_get(b, fixed[i]);
			if (v && !json_equal(v, json_object_get(cur, fixed[i])))
				atr_field(&r->err, fixed[i], "read_only",
					  "cannot be changed: integrations "
					  "name the field by it; define a new "
					  "field instead");
		}
	} else {
		int64_t n = 0;
		if (ename && !e)
			atr_field(&r->err, "entity", "invalid",
				  "no entity '%s'", ename);
		else if (e && (!req_db(r) || count_defs(r, e, &n) < 0)) {
			if (!r->err.kind)
				req_db_error(r);
		} else if (e && n >= ENTITY_CUSTOM_MAX)
			atr_field(&r->err, "entity", "too_many",
				  "%s have %d custom fields already, the most "
				  "an entity takes; delete one first",
				  e->plural, ENTITY_CUSTOM_MAX);
		if (slug && !slug_ok(slug))
			atr_field(&r->err, "slug", "invalid",
				  "must start with a letter and hold only "
				  "a-z, 0-9 and _");
		else if (slug && e &&
			 (schema_find(&e->schema, slug) ||
			  !strcmp(slug, "id") || !strcmp(slug, "version") ||
			  !strcmp(slug, "created_at") ||
			  !strcmp(slug, "updated_at") ||
			  !strcmp(slug, "created_by")))
			atr_field(&r->err, "slug", "taken",
				  "%s already have a built-in field '%s'",
				  e->plural, slug);
	}
	json_t *opts = json_object_get(m, "options");
	bool choice = t && (t->ft == FT_ENUM || t->ft == FT_MULTI);
	if (t && choice && (!json_is_array(opts) || !json_array_size(opts)))
		atr_field(&r->err, "options", "required",
			  "a %s needs at least one option", t->label);
	else if (t && !choice && json_array_size(opts) &&
		 json_object_get(b, "options"))
		atr_field(&r->err, "options", "not_allowed",
			  "only a select or multi-select has options");
	size_t i, j;
	json_t *o, *p;
	json_array_foreach(choice ? opts : NULL, i, o)
	{
		const char *s = json_string_value(o);
		if (s && strlen(s) > CF_OPTION_MAX) {
			atr_field(&r->err, "options", "too_long",
				  "an option has at most %d characters",
				  CF_OPTION_MAX);
			break;
		}
		bool dup = false;
		json_array_foreach(opts, j, p)
			dup = dup || (j < i && json_equal(o, p));
		if (dup) {
			atr_field(&r->err, "options", "duplicate",
				  "'%s' is listed twice", s ? s : "");
			break;
		}
	}
	json_t *dec = json_object_get(m, "decimals");
	if (t && t->ft == FT_DECIMAL && json_is_integer(dec) &&
	    (json_integer_value(dec) < 0 ||
	     json_integer_value(dec) > CF_DECIMALS_MAX))
		atr_field(&r->err, "decimals", "out_of_range",
			  "must be 0 to %d", CF_DECIMALS_MAX);
	else if (t && t->ft != FT_DECIMAL && json_is_integer(dec) &&
		 json_object_get(b, "decimals"))
		atr_field(&r->err, "decimals", "not_allowed",
			  "only a number has decimals");
	const char *ref = json_string_value(json_object_get(m, "ref_entity"));
	if (t && t->ft == FT_REF && !ref)
		atr_field(&r->err, "ref_entity", "required",
			  "a link names the entity it links to");
	else if (t && t->ft == FT_REF && !entity_find(ref))
		atr_field(&r->err, "ref_entity", "invalid", "no entity '%s'",
			  ref);
	else if (t && t->ft != FT_REF && ref &&
		 json_object_get(b, "ref_entity"))
		atr_field(&r->err, "ref_entity", "not_allowed",
			  "only a link names an entity");
	if (t && t->ft == FT_REF && json_object_get(b, "default") &&
	    !json_is_null(json_object_get(b, "default")))
		atr_field(&r->err, "default", "not_allowed",
			  "a link has no default");
	/* A link holds ids of one entity: it converts to nothing else. */
	if (cur && t) {
		const struct cf_type *was = cf_type_find(
			json_string_value(json_object_get(cur, "type")));
		const char *was_ref =
			json_string_value(json_object_get(cur, "ref_entity"));
		if (was && (was->ft == FT_REF) != (t->ft == FT_REF))
			atr_field(&r->err, "type", "not_convertible",
				  "a link cannot become another type, nor "
				  "another type a link");
		else if (was && was->ft == FT_REF && ref && was_ref &&
			 strcmp(ref, was_ref))
			atr_field(&r->err, "ref_entity", "not_convertible",
				  "the records it links to are %s records",
				  was_ref);
	}
	/* Whole numbers (the schema took any number, so that 0 passes). */
	static const char *const ints[] = {"position", "bs_column", "decimals"};
	for (size_t k = 0; k < ATR_ARRAY_LEN(ints); k++) {
		json_t *v = json_object_get(b, ints[k]);
		if (v && !json_is_null(v) && !json_is_integer(v))
			atr_field(&r->err, ints[k], "type",
				  "must be a whole number");
	}
	json_t *w = json_object_get(m, "bs_column");
	if (json_is_integer(w) &&
	    (json_integer_value(w) < 1 || json_integer_value(w) > 12))
		atr_field(&r->err, "bs_column", "out_of_range",
			  "must be 1 to 12 (6 = half the form, 12 = all of "
			  "it)");
	json_t *pos = json_object_get(m, "position");
	if (json_is_integer(pos) && (json_integer_value(pos) < 0 ||
				     json_integer_value(pos) > 100000))
		atr_field(&r->err, "position", "out_of_range",
			  "must be 0 to 100000");
	const char *label = json_string_value(json_object_get(b, "label"));
	if (cur && label && !*label)
		atr_field(&r->err, "label", "required", "must not be empty");
	if (!r->who.admin && json_is_true(json_object_get(b, "only_admin")))
		atr_field(&r->err, "only_admin", "forbidden",
			  "only administrators reserve a field to "
			  "administrators");
	json_decref(m);
	json_decref(cur);
}

