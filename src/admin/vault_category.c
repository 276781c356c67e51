/* vault_category.c — the categories of the team password vault (the
 * spec: "passwords organised by category"), managed by administrators
 * or whoever holds the matrix row team_password_categories.
 *
 * GET    /api/v1/vault/categories        every category (team_password.view)
 * POST   /api/v1/vault/categories        add one (team_password_categories.create)
 * GET    /api/v1/vault/categories/{id}   one (team_password.view)
 * PATCH  /api/v1/vault/categories/{id}   change it (.edit; If-Match)
 * DELETE /api/v1/vault/categories/{id}   remove it (.delete); 409 while
 *                                        an entry is in it (its entries
 *                                        are moved by their managers)
 *
 * A category has a name (unique whatever its case), a description and
 * default grants (default_access): the access list a new entry of the
 * category receives when its creator sends none (the web form shows them
 * to the creator first). Defaults never change an existing entry. Whoever
 * may edit categories decides what future entries start with: keep the
 * row for administrators, or for people trusted with that (admin guide).
 *
 * `entries` (GET) counts every entry of the category, those the caller
 * cannot see included: the count says whether it may be deleted, and a
 * number reveals nothing of an entry.
 */
#include "atrium.h"

#include "admin/vault_int.h"
#include "core/buf.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/write.h"

#define NAME_MAX_CHARS 100
#define DESCRIPTION_MAX 1000

#define COLS                                                                   \
	"id, name, description, default_access, created_by, created_at, "      \
	"updated_by, updated_at, version"
#define COUNT                                                                  \
	"(SELECT COUNT(*) FROM vault_entry e WHERE e.category_id = "           \
	"vault_category.id)"

static json_t *text_or_null(struct db_stmt *st, int col)
{
	return db_col_null(st, col) ? json_null()
				    : json_string(db_col_text(st, col));
}

static json_t *int_or_null(struct db_stmt *st, int col)
{
	return db_col_null(st, col) ? json_null()
				    : json_integer(db_col_int(st, col));
}

static json_t *category_json(struct db_stmt *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
	json_object_set_new(o, "name", text_or_null(st, 1));
	json_object_set_new(o, "description", text_or_null(st, 2));
	json_t *d = db_col_null(st, 3) ? NULL
				       : json_loads(db_col_text(st, 3), 0, NULL);
	json_object_set_new(o, "default_access",
			    json_is_array(d) ? json_incref(d) : json_array());
	json_decref(d);
	json_object_set_new(o, "created_by", int_or_null(st, 4));
	json_object_set_new(o, "created_at", text_or_null(st, 5));
	json_object_set_new(o, "updated_by", int_or_null(st, 6));
	json_object_set_new(o, "updated_at", text_or_null(st, 7));
	json_object_set_new(o, "version", json_integer(db_col_int(st, 8)));
	return o;
}

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	json_t *o = category_json(st);
	json_object_set_new(o, "entries", json_integer(db_col_int(st, 9)));
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

/* Category id of the caller's organisation (with its count when count),
 * locked on PostgreSQL when lock: 1, 0 absent, -1 error. */
static int category_load(struct req *r, int64_t id, bool lock, bool count,
			 json_t **out)
{
	const char *sql =
		count ? "SELECT " COLS ", " COUNT " FROM vault_category WHERE "
			"id = ? AND org_id = ?"
		: lock && db_conn_dialect(r->db) == DB_PG
			? "SELECT " COLS " FROM vault_category WHERE id = ? AND "
			  "org_id = ? FOR UPDATE"
			: "SELECT " COLS " FROM vault_category WHERE id = ? AND "
			  "org_id = ?";
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		*out = category_json(st);
		if (count)
			json_object_set_new(*out, "entries",
					    json_integer(db_col_int(st, 9)));
	}
	db_reset(st);
	return rc;
}

/* ---- list and one ------------------------------------------------------------- */

static const struct field f_name = {.name = "name", .type = FT_TEXT};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_name, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_created, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

static const char *const search[] = {"name", "description", NULL};

static const struct list_spec spec = {
	.from = "vault_category",
	.cols = COLS ", " COUNT,
	.id = "id",
	.org = "org_id",
	.columns = columns,
	.ncolumns = (int)ATR_ARRAY_LEN(columns),
	.sort_default = "name",
	.limit_default = 100,
	.limit_max = 200,
	.search = search,
	.count_default = true,
	.row = row,
};

static int categories_h_list(struct req *r)
{
	return list_run(r, &spec);
}

static int categories_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *c = NULL;
	int rc = category_load(r, r->id, false, true, &c);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"category %lld not found", (long long)r->id);
	req_etag(r, json_integer_value(json_object_get(c, "version")));
	req_json(r, 200, c);
	return 0;
}

/* ---- validation --------------------------------------------------------------- */

static const struct field category_fields[] = {
	{"name", FT_TEXT, F_REQUIRED, NAME_MAX_CHARS},
	{"description", FT_TEXT, F_MULTILINE, DESCRIPTION_MAX},
	{"default_access", FT_ITEMS, 0, VAULT_ACCESS_MAX},
};
static const struct schema category_schema = SCHEMA(category_fields);

static bool has_error(const struct atr_err *e, const char *field)
{
	for (int i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].field, field))
			return true;
	return false;
}

static void category_check(struct req *r)
{
	const json_t *b = r->body;
	if (!json_is_object(b))
		return;
	const char *name = json_string_value(json_object_get(b, "name"));
	if (name && !has_error(&r->err, "name") && !name[strspn(name, " ")])
		atr_field(&r->err, "name", "required", "must not be blank");
	const json_t *d = json_object_get(b, "default_access");
	if (json_is_null(d))
		atr_field(&r->err, "default_access", "required",
			  "must not be null; [] grants nothing");
	else if (d && !has_error(&r->err, "default_access"))
		vault_access_check(r, d, "default_access", NULL,
				   r->method == HTTP_POST);
}

/* ---- writing ------------------------------------------------------------------ */

static int load(struct req *r, const struct write_op *op, json_t **rec)
{
	return category_load(r, r->id, true, false, rec);
}

/* 1 when another category of the organisation has name (any case), 0
 * not, -1 error. */
static int name_taken(struct req *r, const char *name, int64_t self)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT 1 FROM vault_category WHERE org_id = ? AND "
		       "lower(name) = lower(?) AND id <> ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, name);
	db_bind_int(st, 3, self);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

static const json_t *pick(const json_t *b, const json_t *before,
			  const char *key)
{
	const json_t *v = json_object_get(b, key);
	return v ? v : json_object_get(before, key);
}

/* Writes the category (INSERT when before is NULL, else UPDATE) and
 * gives it back in *after. 1, or -1 with r->err or a database error. */
static int category_write(struct req *r, const json_t *before, json_t **after)
{
	const json_t *b = r->body;
	if (before && json_object_get(b, "default_access")) {
		vault_access_check(r, json_object_get(b, "default_access"),
				   "default_access",
				   json_object_get(before, "default_access"),
				   true);
		if (r->err.kind)
			return -1;
	}
	const char *name = json_string_value(pick(b, before, "name"));
	int taken = name_taken(r, name, before ? r->id : 0);
	if (taken < 0)
		return -1;
	if (taken)
		return atr_field(&r->err, "name", "taken",
				 "another category is called '%s'", name),
		       -1;
	const json_t *dv = pick(b, before, "default_access");
	json_t *norm = vault_access_norm(dv);
	char *defaults = json_dumps(norm, JSON_COMPACT);
	json_decref(norm);
	const char *desc = json_string_value(pick(b, before, "description"));
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db,
		before ? "UPDATE vault_category SET name = ?, description = ?, "
			 "default_access = ?, updated_by = ?, updated_at = ?, "
			 "version = version + 1 WHERE id = ? AND org_id = ? "
			 "RETURNING " COLS
		       : "INSERT INTO vault_category (name, description, "
			 "default_access, updated_by, updated_at, org_id, "
			 "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
			 "?) RETURNING " COLS);
	int ret = -1;
	if (st) {
		db_bind_text(st, 1, name);
		if (desc && *desc)
			db_bind_text(st, 2, desc);
		else
			db_bind_null(st, 2);
		db_bind_text(st, 3, defaults);
		db_bind_int(st, 4, r->who.staff_id);
		db_bind_text(st, 5, now);
		if (before) {
			db_bind_int(st, 6, r->id);
			db_bind_int(st, 7, r->who.org_id);
		} else {
			db_bind_int(st, 6, r->who.org_id);
			db_bind_int(st, 7, r->who.staff_id);
			db_bind_text(st, 8, now);
		}
		ret = db_step(st);
		if (ret == 1)
			*after = category_json(st);
		db_reset(st);
	}
	free(defaults);
	if (ret < 0 && db_err_unique(r->db))
		return atr_field(&r->err, "name", "taken",
				 "another category is called '%s'", name),
		       -1;
	return ret;
}

static int create_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	return category_write(r, NULL, after);
}

static int update_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	int rc = category_write(r, before, after);
	if (rc != 1)
		return rc;
	json_t *a = json_deep_copy(*after), *b = json_deep_copy(before);
	static const char *const skip[] = {"version", "updated_at",
					   "updated_by"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(skip); i++) {
		json_object_del(a, skip[i]);
		json_object_del(b, skip[i]);
	}
	bool same = json_equal(a, b);
	json_decref(a);
	json_decref(b);
	if (same) { /* write_run rolls the version bump back */
		json_decref(*after);
		*after = NULL;
	}
	return 1;
}

static int delete_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT COUNT(*) FROM vault_entry WHERE category_id = ? "
		       "AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc != 1)
		return -1;
	if (n > 0)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"cannot delete category '%s': %lld entr%s in "
				"it; move %s to another category first",
				json_string_value(json_object_get(before, "name")),
				(long long)n, n == 1 ? "y is" : "ies are",
				n == 1 ? "it" : "them");
	st = db_prepare(r->db,
			"DELETE FROM vault_category WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 1;
}

/* Only the version's companions move on their own: no diff of them. */
static void diff_edit(struct req *r, const struct write_op *op, json_t *diff)
{
	json_object_del(diff, "updated_by");
}

static int run(struct req *r, enum write_kind kind,
	       int (*apply)(struct req *, const struct write_op *,
			    const json_t *, json_t **))
{
	struct write_op op = {kind,  "vault_category", "/api/v1/vault/categories",
			      false, false,		load,
			      apply, NULL};
	op.diff_edit = diff_edit;
	return write_run(r, &op);
}

static int categories_h_create(struct req *r)
{
	return run(r, WRITE_CREATE, create_apply);
}

static int categories_h_update(struct req *r)
{
	return run(r, WRITE_UPDATE, update_apply);
}

static int categories_h_delete(struct req *r)
{
	return run(r, WRITE_DELETE, delete_apply);
}

/* ---- the module ----------------------------------------------------------------- */

#define C "team_password_categories"
#define NT ROUTE_NO_TOKEN

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/vault/categories", categories_h_list, ACCESS_PERM,
	 "team_password", CAP_VIEW, NULL, NULL, NULL, NT},
	{HTTP_POST, "/api/v1/vault/categories", categories_h_create,
	 ACCESS_PERM, C, CAP_CREATE, &category_schema, NULL, category_check,
	 NT},
	{HTTP_GET, "/api/v1/vault/categories/{id}", categories_h_get,
	 ACCESS_PERM, "team_password", CAP_VIEW, NULL, NULL, NULL, NT},
	{HTTP_PATCH, "/api/v1/vault/categories/{id}", categories_h_update,
	 ACCESS_PERM, C, CAP_EDIT, &category_schema, NULL, category_check, NT},
	{HTTP_DELETE, "/api/v1/vault/categories/{id}", categories_h_delete,
	 ACCESS_PERM, C, CAP_DELETE, NULL, NULL, NULL, NT},
	{0},
};

/* No log_entity: category rows are read by administrators in the log. */
static const struct perm_module perms[] = {
	{C, "Team password categories", PB_CREATE | PB_EDIT | PB_DELETE, NULL},
	{0},
};

const struct module module_vault_categories = {
	.name = "vault_categories",
	.perms = perms,
	.routes = routes,
};
