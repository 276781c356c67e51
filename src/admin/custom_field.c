/* custom_field.c — the custom fields module (/admin/custom_fields).
 *
 * GET    /api/v1/custom_fields              the definitions (filters:
 *                                           entity, type, active, ...)
 * GET    /api/v1/custom_fields/types        the types, with the spec's advice
 * POST   /api/v1/custom_fields              define a field
 * GET    /api/v1/custom_fields/{id}         one, with how many records
 *                                           hold a value
 * PATCH  /api/v1/custom_fields/{id}         change it (If-Match)
 * POST   /api/v1/custom_fields/{id}/preview what that change would do to
 *                                           the stored values
 * DELETE /api/v1/custom_fields/{id}         remove it; with values, only
 *                                           with ?confirm=true
 *
 * An administrator (or a role with the custom_fields permission) adds
 * fields to any entity of the registry; the records module asks this
 * module for an organisation's active definitions (module.custom_fields)
 * and does the rest: validation under `custom_fields.<slug>`, storage in
 * the record's `cf`, diffs, events, list filters and sorting, search.
 *
 * A definition reserved to administrators (only_admin) is invisible to
 * everyone else here too: absent from lists, 404 on read, and its
 * activity rows carry the entity `custom_field_admin`, which no
 * permission grants, so only administrators read them.
 *
 * What a definition must be is custom_field_check.c. Changing a definition
 * is safe for the data already stored (custom_field_change.c): a field made required fills the records
 * without a value from fill_value, or the change is refused with their
 * count; a new type is taken only when every value converts; deactivating
 * hides and keeps; deleting needs confirmation when values exist and
 * keeps them in the activity entry.
 */
#include "atrium.h"

#include "admin/custom_field_int.h"
#include "auth/perm.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/http.h"
#include "http/list.h"
#include "http/write.h"

/* ---- types ------------------------------------------------------------------- */

static const struct cf_type types[] = {
	{"text", FT_TEXT, false, 255, "Short text",
	 "External codes, reference numbers, short answers."},
	{"textarea", FT_TEXT, true, 10000, "Long text",
	 "Notes and descriptions of several lines."},
	{"number", FT_DECIMAL, false, 0, "Number",
	 "Quantities and scores, with a fixed number of decimals."},
	{"select", FT_ENUM, false, 0, "Select",
	 "A category: one of a list you define."},
	{"multi_select", FT_MULTI, false, CF_OPTIONS_MAX, "Multi-select",
	 "Several of a list you define (interests, products)."},
	{"checkbox", FT_BOOL, false, 0, "Checkbox", "Yes/no questions."},
	{"date", FT_DATE, false, 0, "Date",
	 "Expiry and renewal dates, birthdays."},
	{"datetime", FT_DATETIME, false, 0, "Date and time",
	 "A moment: an appointment, a last contact."},
	{"email", FT_EMAIL, false, 254, "Email", "A second email address."},
	{"url", FT_URL, false, 2000, "URL", "A website or a document link."},
	{"phone", FT_PHONE, false, 40, "Phone", "A second phone number."},
	{"money", FT_MONEY, false, 0, "Money",
	 "An amount with two decimals (budget, credit limit)."},
	{"link", FT_REF, false, 0, "Link to a record",
	 "Another record (a lead's referring client)."},
};

const char *cf_type_names[ATR_ARRAY_LEN(types) + 1];

const struct cf_type *cf_type_find(const char *name)
{
	for (size_t i = 0; name && i < ATR_ARRAY_LEN(types); i++)
		if (!strcmp(types[i].name, name))
			return &types[i];
	return NULL;
}

/* ---- the record ---------------------------------------------------------------- */

#define COLS                                                                   \
	"id, entity, slug, label, type, required, default_value, help_text, "  \
	"position, active, only_admin, show_on_client_portal, show_on_pdf, "   \
	"searchable, bs_column, options, decimals, ref_entity, created_by, "   \
	"created_at, updated_at, version"

static json_t *text_or_null(struct db_stmt *st, int col)
{
	return db_col_null(st, col) ? json_null()
				    : json_string(db_col_text(st, col));
}

static json_t *json_col(struct db_stmt *st, int col, bool array)
{
	json_t *v = db_col_null(st, col)
			    ? NULL
			    : json_loads(db_col_text(st, col),
					 JSON_DECODE_ANY, NULL);
	if (v || !array)
		return v ? v : json_null();
	return json_array();
}

/* The definition of the current row (caller's reference). */
static json_t *def_json(struct db_stmt *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
	json_object_set_new(o, "entity", text_or_null(st, 1));
	json_object_set_new(o, "slug", text_or_null(st, 2));
	json_object_set_new(o, "label", text_or_null(st, 3));
	json_object_set_new(o, "type", text_or_null(st, 4));
	json_object_set_new(o, "required", json_boolean(db_col_int(st, 5)));
	json_object_set_new(o, "default", json_col(st, 6, false));
	json_object_set_new(o, "help_text", text_or_null(st, 7));
	json_object_set_new(o, "position", json_integer(db_col_int(st, 8)));
	json_object_set_new(o, "active", json_boolean(db_col_int(st, 9)));
	json_object_set_new(o, "only_admin", json_boolean(db_col_int(st, 10)));
	json_object_set_new(o, "show_on_client_portal",
			    json_boolean(db_col_int(st, 11)));
	json_object_set_new(o, "show_on_pdf", json_boolean(db_col_int(st, 12)));
	json_object_set_new(o, "searchable", json_boolean(db_col_int(st, 13)));
	json_object_set_new(o, "bs_column", json_integer(db_col_int(st, 14)));
	json_object_set_new(o, "options", json_col(st, 15, true));
	json_object_set_new(o, "decimals",
			    db_col_null(st, 16)
				    ? json_null()
				    : json_integer(db_col_int(st, 16)));
	json_object_set_new(o, "ref_entity", text_or_null(st, 17));
	json_object_set_new(o, "created_by", json_integer(db_col_int(st, 18)));
	json_object_set_new(o, "created_at", text_or_null(st, 19));
	json_object_set_new(o, "updated_at", text_or_null(st, 20));
	json_object_set_new(o, "version", json_integer(db_col_int(st, 21)));
	return o;
}

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	json_t *o = def_json(st);
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

void cf_field_of(const json_t *def, struct arena *a, struct field *f)
{
	const struct cf_type *t =
		cf_type_find(json_string_value(json_object_get(def, "type")));
	*f = (struct field){
		.name = json_string_value(json_object_get(def, "slug")),
		.type = t ? t->ft : FT_TEXT,
		.max = t ? t->max : 255,
		.label = json_string_value(json_object_get(def, "label")),
		.ref = json_string_value(json_object_get(def, "ref_entity")),
		.scale = (int)json_integer_value(
			json_object_get(def, "decimals")),
	};
	if (t && t->multiline)
		f->flags |= F_MULTILINE;
	const json_t *opts = json_object_get(def, "options");
	if (json_is_array(opts) && json_array_size(opts)) {
		const char **c = arena_alloc(a, (json_array_size(opts) + 1) *
						     sizeof *c);
		size_t i, n = 0;
		json_t *v;
		json_array_foreach(opts, i, v)
			if (json_is_string(v))
				c[n++] = json_string_value(v);
		f->choices = c;
	}
}

/* ---- what the records module reads ----------------------------------------------- */

int cf_defs(struct db_conn *c, int64_t org, const struct entity *e,
	    json_t **out)
{
	*out = json_array();
	struct db_stmt *st = db_prepare(
		c, "SELECT " COLS " FROM custom_field WHERE org_id = ? AND "
		   "entity = ? AND active = 1 ORDER BY position, id");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, e->name);
	int rc;
	while ((rc = db_step(st)) == 1) {
		json_t *d = def_json(st);
		const struct cf_type *t = cf_type_find(
			json_string_value(json_object_get(d, "type")));
		if (!t) {
			json_decref(d);
			continue;
		}
		json_t *def = json_object_get(d, "default");
		int width = (int)json_integer_value(json_object_get(d, "bs_column"));
		json_t *o = json_pack(
			"{s:O,s:s,s:O,s:O,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:i,s:i}",
			"name", json_object_get(d, "slug"), "type",
			ftype_of(t->ft)->name, "label",
			json_object_get(d, "label"), "hint",
			json_object_get(d, "help_text"), "required",
			json_is_true(json_object_get(d, "required")),
			"filterable", 1, "sortable",
			!ftype_of(t->ft)->array && !t->multiline, "wide",
			width == 12, "multiline", t->multiline, "admin_only",
			json_is_true(json_object_get(d, "only_admin")),
			"searchable",
			json_is_true(json_object_get(d, "searchable")),
			"width", width, "max", t->max);
		json_object_set_new(
			o, "portal",
			json_boolean(json_is_true(
				json_object_get(d, "show_on_client_portal"))));
		if (!json_is_null(def)) {
			char *dt = json_dumps(def, JSON_ENCODE_ANY |
							   JSON_COMPACT);
			json_object_set_new(o, "default", json_string(dt));
			free(dt);
		}
		json_object_set(o, "choices", json_object_get(d, "options"));
		json_object_set(o, "ref", json_object_get(d, "ref_entity"));
		json_object_set(o, "scale", json_object_get(d, "decimals"));
		json_array_append_new(*out, o);
		json_decref(d);
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static int custom_fields_hook(struct db_conn *c, int64_t org,
			      const struct entity *e, json_t **defs)
{
	return cf_defs(c, org, e, defs);
}

/* ---- list ------------------------------------------------------------------------ */

static const struct field f_entity = {.name = "entity", .type = FT_TEXT};
static const struct field f_type = {.name = "type", .type = FT_TEXT};
static const struct field f_bool_active = {.name = "active", .type = FT_BOOL};
static const struct field f_required = {.name = "required", .type = FT_BOOL};
static const struct field f_only_admin = {.name = "only_admin",
					  .type = FT_BOOL};
static const struct field f_position = {.name = "position", .type = FT_INT};
static const struct field f_label = {.name = "label", .type = FT_TEXT};
static const struct field f_slug = {.name = "slug", .type = FT_TEXT};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_entity, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_type, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_bool_active, NULL, LIST_FILTER},
	{&f_required, NULL, LIST_FILTER},
	{&f_only_admin, NULL, LIST_FILTER},
	{&f_position, NULL, LIST_SORT | LIST_NOTNULL},
	{&f_label, NULL, LIST_SORT | LIST_NOTNULL},
	{&f_slug, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_created, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

static const char *const search[] = {"label", "slug", "help_text", NULL};

/* Fields reserved to administrators are not listed for anyone else. */
static int scope(struct req *r, struct list_query *q, const void *arg)
{
	if (!r->who.admin)
		list_where(q, "only_admin = 0");
	return 0;
}

static const struct list_spec spec = {
	.from = "custom_field",
	.cols = COLS,
	.id = "id",
	.org = "org_id",
	.columns = columns,
	.ncolumns = (int)ATR_ARRAY_LEN(columns),
	.sort_default = "entity,position",
	.limit_default = 50,
	.limit_max = 200,
	.search = search,
	.count_default = true,
	.row = row,
	.scope = scope,
};

static int cf_h_list(struct req *r)
{
	return list_run(r, &spec);
}

static int cf_h_types(struct req *r)
{
	json_t *data = json_array();
	for (size_t i = 0; i < ATR_ARRAY_LEN(types); i++)
		json_array_append_new(
			data, json_pack("{s:s,s:s,s:s}", "type", types[i].name,
					"label", types[i].label, "hint",
					types[i].hint));
	req_json(r, 200, json_pack("{s:o}", "data", data));
	return 0;
}

/* ---- loading ----------------------------------------------------------------------- */

/* Definition id of the caller's organisation (one reserved to
 * administrators only for them), locked on PostgreSQL when lock: 1, 0
 * absent, -1 error. */
int cf_load_def(struct req *r, int64_t id, bool lock, json_t **out)
{
	const char *sql = "SELECT " COLS " FROM custom_field WHERE id = ? "
			  "AND org_id = ? AND (only_admin = 0 OR ? = 1)";
	if (lock && db_conn_dialect(r->db) == DB_PG)
		sql = "SELECT " COLS " FROM custom_field WHERE id = ? AND "
		      "org_id = ? AND (only_admin = 0 OR ? = 1) FOR UPDATE";
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	db_bind_int(st, 3, r->who.admin);
	int rc = db_step(st);
	if (rc == 1)
		*out = def_json(st);
	db_reset(st);
	return rc;
}

static int cf_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *d = NULL;
	int rc = cf_load_def(r, r->id, false, &d);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"custom field %lld not found",
				(long long)r->id);
	int64_t n = 0;
	if (cf_count_values(r, d, &n) < 0) {
		json_decref(d);
		return req_db_error(r);
	}
	json_object_set_new(d, "records_with_value", json_integer(n));
	req_etag(r, json_integer_value(json_object_get(d, "version")));
	req_json(r, 200, d);
	return 0;
}

/* ---- writing ------------------------------------------------------------------------ */

struct cf_ctx {
	struct write_op op; /* op.entity follows only_admin (see above) */
};

static const char *log_entity(const json_t *a, const json_t *b)
{
	return json_is_true(json_object_get(a, "only_admin")) ||
			       json_is_true(json_object_get(b, "only_admin"))
		       ? "custom_field_admin"
		       : "custom_field";
}

static int def_load(struct req *r, const struct write_op *op, json_t **rec)
{
	struct cf_ctx *x = op->ctx;
	int rc = cf_load_def(r, r->id, true, rec);
	if (rc == 1)
		x->op.entity = log_entity(*rec, NULL);
	return rc;
}

static char *dump_or_null(const json_t *v)
{
	return v && !json_is_null(v)
		       ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)
		       : NULL;
}

/* Binds the members of definition m shared by INSERT and UPDATE, from
 * idx: label, type, required, default, help, position, active,
 * only_admin, portal, pdf, searchable, bs_column, options, decimals,
 * ref_entity. Returns the next index. */
static int bind_def(struct db_stmt *st, int idx, const json_t *m,
		    bool options)
{
	db_bind_text(st, idx++, json_string_value(json_object_get(m, "label")));
	db_bind_text(st, idx++, json_string_value(json_object_get(m, "type")));
	db_bind_int(st, idx++, json_is_true(json_object_get(m, "required")));
	char *t = dump_or_null(json_object_get(m, "default"));
	t ? db_bind_text(st, idx++, t) : db_bind_null(st, idx++);
	free(t);
	db_bind_text(st, idx++,
		     json_string_value(json_object_get(m, "help_text")));
	db_bind_int(st, idx++,
		    json_integer_value(json_object_get(m, "position")));
	db_bind_int(st, idx++, json_is_true(json_object_get(m, "active")));
	db_bind_int(st, idx++, json_is_true(json_object_get(m, "only_admin")));
	db_bind_int(st, idx++, json_is_true(json_object_get(
				       m, "show_on_client_portal")));
	db_bind_int(st, idx++, json_is_true(json_object_get(m, "show_on_pdf")));
	db_bind_int(st, idx++, json_is_true(json_object_get(m, "searchable")));
	db_bind_int(st, idx++,
		    json_integer_value(json_object_get(m, "bs_column")));
	json_t *opts = json_object_get(m, "options");
	t = options && json_array_size(opts) ? dump_or_null(opts) : NULL;
	t ? db_bind_text(st, idx++, t) : db_bind_null(st, idx++);
	free(t);
	json_t *dec = json_object_get(m, "decimals");
	db_bind_opt_int(st, idx++, json_is_integer(dec),
			json_integer_value(dec));
	const char *ref = json_string_value(json_object_get(m, "ref_entity"));
	db_bind_text(st, idx++, ref);
	return idx;
}

/* The type's own members only: options for choices, decimals for numbers,
 * ref_entity for links (a type change drops the others). */
static void keep_type_members(json_t *m)
{
	const struct cf_type *t =
		cf_type_find(json_string_value(json_object_get(m, "type")));
	if (!t)
		return;
	if (t->ft != FT_ENUM && t->ft != FT_MULTI)
		json_object_set_new(m, "options", json_array());
	if (t->ft != FT_DECIMAL)
		json_object_set_new(m, "decimals", json_null());
	else if (!json_is_integer(json_object_get(m, "decimals")))
		json_object_set_new(m, "decimals", json_integer(2));
	if (t->ft != FT_REF)
		json_object_set_new(m, "ref_entity", json_null());
}

static int create_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	struct cf_ctx *x = op->ctx;
	json_t *m = cf_merged_def(r, NULL);
	keep_type_members(m);
	x->op.entity = log_entity(m, NULL);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db,
		"INSERT INTO custom_field (org_id, entity, slug, label, type, "
		"required, default_value, help_text, position, active, "
		"only_admin, show_on_client_portal, show_on_pdf, searchable, "
		"bs_column, options, decimals, ref_entity, created_by, "
		"created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
		"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING " COLS);
	if (!st) {
		json_decref(m);
		return -1;
	}
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, json_string_value(json_object_get(m, "entity")));
	db_bind_text(st, 3, json_string_value(json_object_get(m, "slug")));
	int idx = bind_def(st, 4, m, true);
	db_bind_int(st, idx++, r->who.staff_id);
	db_bind_text(st, idx++, now);
	db_bind_text(st, idx++, now);
	int rc = db_step(st);
	if (rc == 1)
		*after = def_json(st);
	db_reset(st);
	json_decref(m);
	if (rc != 1) {
		if (rc < 0 && db_err_unique(r->db))
			atr_field(&r->err, "slug", "taken",
				  "this entity already has a field with this "
				  "slug");
		return -1;
	}
	const struct entity *e = entity_find(
		json_string_value(json_object_get(*after, "entity")));
	if (cf_index_create(r, *after) < 0 ||
	    entity_fields_changed(r, e) < 0)
		return -1;
	return 1;
}

/* Whether a change alters which values the records' search text holds. */
static bool search_changes(const json_t *a, const json_t *b)
{
	static const char *const keys[] = {"type", "searchable", "only_admin",
					   "active"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(keys); i++)
		if (!json_equal(json_object_get(a, keys[i]),
				json_object_get(b, keys[i])))
			return true;
	return false;
}

static int update_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	struct cf_ctx *x = op->ctx;
	json_t *m = cf_merged_def(r, before), *summary = NULL;
	keep_type_members(m);
	x->op.entity = log_entity(before, m);
	int ret = -1;
	if (cf_change_values(r, before, m,
			     json_object_get(r->body, "fill_value"), true,
			     &summary) < 0)
		goto out;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db,
		"UPDATE custom_field SET label = ?, type = ?, required = ?, "
		"default_value = ?, help_text = ?, position = ?, active = ?, "
		"only_admin = ?, show_on_client_portal = ?, show_on_pdf = ?, "
		"searchable = ?, bs_column = ?, options = ?, decimals = ?, "
		"ref_entity = ?, updated_at = ?, version = version + 1 WHERE "
		"id = ? AND org_id = ? RETURNING " COLS);
	if (!st)
		goto out;
	int idx = bind_def(st, 1, m, true);
	db_bind_text(st, idx++, now);
	db_bind_int(st, idx++, r->id);
	db_bind_int(st, idx++, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1)
		*after = def_json(st);
	db_reset(st);
	if (rc != 1) {
		ret = rc;
		goto out;
	}
	const struct entity *e = entity_find(
		json_string_value(json_object_get(*after, "entity")));
	/* A change that alters no stored member is no change. */
	json_t *a = json_deep_copy(*after), *b = json_deep_copy(before);
	json_object_del(a, "version");
	json_object_del(a, "updated_at");
	json_object_del(b, "version");
	json_object_del(b, "updated_at");
	bool same = json_equal(a, b) && !summary;
	json_decref(a);
	json_decref(b);
	if (same) {
		json_decref(*after);
		*after = NULL;
		ret = 1;
		goto out;
	}
	if (summary)
		json_object_set(*after, "changed_values", summary);
	if ((search_changes(before, *after) && cf_search_rewrite(r, e) < 0) ||
	    entity_fields_changed(r, e) < 0)
		goto out;
	ret = 1;
out:
	json_decref(m);
	json_decref(summary);
	return ret;
}

static bool confirmed(struct req *r)
{
	const char *c = req_query(r, "confirm");
	return c && (!strcmp(c, "true") || !strcmp(c, "1"));
}

static int delete_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	int64_t n = 0;
	if (cf_count_values(r, before, &n) < 0)
		return -1;
	const struct entity *e = entity_find(
		json_string_value(json_object_get(before, "entity")));
	if (n > 0 && !confirmed(r))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"field '%s' holds a value in %lld %s; delete "
				"it with ?confirm=true to remove them (the "
				"activity log keeps them)",
				json_string_value(json_object_get(before,
								  "slug")),
				(long long)n, e ? e->plural : "records");
	json_t *values = NULL;
	if (cf_remove_values(r, before, &values) < 0)
		return -1;
	/* The values go into the activity entry of the deletion. */
	json_object_set_new((json_t *)before, "values", values);
	struct db_stmt *st = db_prepare(
		r->db, "DELETE FROM custom_field WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	bool searched = json_is_true(json_object_get(before, "searchable")) &&
			json_is_true(json_object_get(before, "active"));
	if (rc < 0 || (e && searched && cf_search_rewrite(r, e) < 0) ||
	    (e && entity_fields_changed(r, e) < 0))
		return -1;
	return 1;
}

static int run(struct req *r, enum write_kind kind,
	       int (*apply)(struct req *, const struct write_op *,
			    const json_t *, json_t **))
{
	struct cf_ctx *x = arena_alloc(r->arena, sizeof *x);
	x->op = (struct write_op){kind,	   "custom_field", "/api/v1/custom_fields",
				  false,   false,	   def_load,
				  apply,   x};
	return write_run(r, &x->op);
}

static int cf_h_create(struct req *r)
{
	return run(r, WRITE_CREATE, create_apply);
}

static int cf_h_update(struct req *r)
{
	return run(r, WRITE_UPDATE, update_apply);
}

static int cf_h_delete(struct req *r)
{
	return run(r, WRITE_DELETE, delete_apply);
}

/* POST /{id}/preview: what the PATCH with this body would do to the
 * values, without doing it. */
static int cf_h_preview(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *cur = NULL, *out = NULL;
	int rc = cf_load_def(r, r->id, false, &cur);
	if (rc <= 0)
		return rc < 0 ? req_db_error(r)
			      : atr_fail(&r->err, ATR_E_NOT_FOUND,
					 "custom field %lld not found",
					 (long long)r->id);
	json_t *m = cf_merged_def(r, cur);
	keep_type_members(m);
	rc = cf_change_values(r, cur, m, json_object_get(r->body, "fill_value"),
			      false, &out);
	json_decref(m);
	json_decref(cur);
	if (rc < 0)
		return r->err.kind ? -1 : req_db_error(r);
	req_json(r, 200, out);
	return 0;
}

/* ---- the module ------------------------------------------------------------------------ */

static int cf_init(struct app *app, struct atr_err *err)
{
	for (size_t i = 0; i < ATR_ARRAY_LEN(types); i++)
		cf_type_names[i] = types[i].name;
	return 0;
}

static const struct route cf_routes[] = {
	{HTTP_GET, "/api/v1/custom_fields", cf_h_list, ACCESS_PERM,
	 "custom_fields", CAP_VIEW},
	{HTTP_GET, "/api/v1/custom_fields/types", cf_h_types, ACCESS_PERM,
	 "custom_fields", CAP_VIEW},
	{HTTP_POST, "/api/v1/custom_fields", cf_h_create, ACCESS_PERM,
	 "custom_fields", CAP_CREATE, NULL, NULL, cf_def_check, 0, cf_def_schema},
	{HTTP_GET, "/api/v1/custom_fields/{id}", cf_h_get, ACCESS_PERM,
	 "custom_fields", CAP_VIEW},
	{HTTP_PATCH, "/api/v1/custom_fields/{id}", cf_h_update, ACCESS_PERM,
	 "custom_fields", CAP_EDIT, NULL, NULL, cf_def_check, 0, cf_def_schema},
	{HTTP_POST, "/api/v1/custom_fields/{id}/preview", cf_h_preview,
	 ACCESS_PERM, "custom_fields", CAP_EDIT, NULL, NULL, cf_def_check, 0,
	 cf_def_schema},
	{HTTP_DELETE, "/api/v1/custom_fields/{id}", cf_h_delete, ACCESS_PERM,
	 "custom_fields", CAP_DELETE},
	{0},
};

static const struct perm_module cf_perms[] = {
	{"custom_fields", "Custom fields",
	 PB_VIEW | PB_CREATE | PB_EDIT | PB_DELETE, "custom_field"},
	{0},
};

const struct module module_custom_fields = {
	.name = "custom_fields",
	.perms = cf_perms,
	.routes = cf_routes,
	.init = cf_init,
	.custom_fields = custom_fields_hook,
};
