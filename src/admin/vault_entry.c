/* vault_entry.c — the team password vault's entries, and its module
 * (/admin/team_password; the spec's "Team Password Manager": shared team
 * passwords organised by category, access controlled per role and
 * department, kept apart from the members' own passwords).
 *
 * GET    /api/v1/vault/entries              the entries the caller may see
 *                                           (search, category, sort)
 * POST   /api/v1/vault/entries              add one (team_password.create)
 * GET    /api/v1/vault/entries/{id}         one, without its secrets
 * PATCH  /api/v1/vault/entries/{id}         change it (manage; If-Match)
 * DELETE /api/v1/vault/entries/{id}         remove it (manage)
 * POST   .../{id}/reveal                    its secrets (use; the password
 *                                           re-entered): vault_reveal.c
 * GET    .../{id}/history, .../{id}/activity  vault_reveal.c
 * GET    .../{id}/access, PUT .../{id}/access, GET /api/v1/vault/subjects:
 *                                           vault_access.c
 * The writes (POST, PATCH, DELETE) are vault_write.c's.
 *
 * The permission matrix's row team_password opens the vault (view) and
 * lets a member add entries (create), which they then manage; everything
 * else is the entry's own grants (vault_access.c), so a route here needs
 * only team_password.view and the entry decides. An entry the caller
 * has no grant on is 404, as an absent one.
 *
 * Secrets (password, notes, secret custom fields) are never in a record, a
 * list, a diff or an event: the record says password_set / notes_set and
 * {"name", "secret": true, "set": true}, the activity diff says
 * {"password": {"changed": true}}. Every change goes through the one
 * write path (write.h).
 */
#include "atrium.h"

#include "admin/vault_int.h"
#include "core/buf.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"

/* ---- the record ---------------------------------------------------------------- */

#define COLS                                                                   \
	"e.id, e.name, e.category_id, e.url, e.username, CASE WHEN "           \
	"e.password_enc IS NULL THEN 0 ELSE 1 END, CASE WHEN e.notes_enc IS "  \
	"NULL THEN 0 ELSE 1 END, e.rotated_at, e.created_by, "        \
	"e.created_at, e.updated_by, e.updated_at, e.version, "                \
	"e.custom_fields"

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

static json_t *entry_json(struct db_stmt *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
	json_object_set_new(o, "name", text_or_null(st, 1));
	json_object_set_new(o, "category_id", int_or_null(st, 2));
	json_object_set_new(o, "url", text_or_null(st, 3));
	json_object_set_new(o, "username", text_or_null(st, 4));
	json_object_set_new(o, "password_set", json_boolean(db_col_int(st, 5)));
	json_object_set_new(o, "notes_set", json_boolean(db_col_int(st, 6)));
	json_object_set_new(o, "rotated_at", text_or_null(st, 7));
	json_object_set_new(o, "created_by", int_or_null(st, 8));
	json_object_set_new(o, "created_at", text_or_null(st, 9));
	json_object_set_new(o, "updated_by", int_or_null(st, 10));
	json_object_set_new(o, "updated_at", text_or_null(st, 11));
	json_object_set_new(o, "version", json_integer(db_col_int(st, 12)));
	json_object_set_new(o, "custom_fields",
			    vault_fields_public(db_col_null(st, 13)
							? NULL
							: db_col_text(st, 13)));
	return o;
}

int vault_entry_load(struct req *r, int64_t id, bool lock, json_t **rec,
		     int *level)
{
	*rec = NULL;
	*level = VAULT_NONE;
	const char *sql = lock && db_conn_dialect(r->db) == DB_PG
				  ? "SELECT " COLS " FROM vault_entry e WHERE "
				    "e.id = ? AND e.org_id = ? FOR UPDATE"
				  : "SELECT " COLS " FROM vault_entry e WHERE "
				    "e.id = ? AND e.org_id = ?";
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	json_t *o = rc == 1 ? entry_json(st) : NULL;
	db_reset(st);
	if (rc <= 0)
		return rc;
	if (vault_level_of(r, id, level) < 0) {
		json_decref(o);
		return -1;
	}
	if (*level == VAULT_NONE) { /* deny by default: as if absent */
		json_decref(o);
		return 0;
	}
	json_t *access = vault_access_load(r->db, r->who.org_id, id);
	if (!access) {
		json_decref(o);
		return -1;
	}
	json_object_set_new(o, "access", access);
	*rec = o;
	return 1;
}

int vault_entry_need(struct req *r, int64_t id, bool lock, json_t **rec,
		     int need)
{
	int level;
	int rc = vault_entry_load(r, id, lock, rec, &level);
	if (rc != 1 || level >= need)
		return rc;
	json_decref(*rec);
	*rec = NULL;
	return atr_fail(&r->err, ATR_E_FORBIDDEN,
			"you may %s this entry but not %s it; ask someone who "
			"manages it",
			level == VAULT_VIEW ? "see" : "use",
			need == VAULT_USE ? "use" : "manage");
}

/* ---- list ------------------------------------------------------------------------ */

static const struct field f_name = {.name = "name", .type = FT_TEXT};
static const struct field f_category = {.name = "category_id",
					.type = FT_INT};
static const struct field f_username = {.name = "username", .type = FT_TEXT};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};
static const struct field f_updated = {.name = "updated_at",
				       .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_name, "e.name", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_category, "e.category_id", LIST_FILTER},
	{&f_username, "e.username", LIST_FILTER},
	{&f_created, "e.created_at", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_updated, "e.updated_at", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

static const char *const search[] = {"e.name", "e.url", "e.username",
				     "c.name", NULL};

/* What the row writer knows of the caller. */
struct list_arg {
	bool admin; /* every row is "manage"; else vault_page_levels */
};

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	const struct list_arg *a = arg;
	json_t *o = entry_json(st);
	json_object_set_new(o, "category_name", text_or_null(st, 14));
	if (a->admin)
		json_object_set_new(o, "level",
				    json_string(vault_level_name(VAULT_MANAGE)));
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

/* The caller's own entries (an administrator sees every one). */
static int scope(struct req *r, struct list_query *q, const void *arg)
{
	if (!r->who.admin)
		vault_scope(q, r->who.org_id, r->who.staff_id);
	return 0;
}

/* shared_with=ID (administrators): the entries member ID can reach, for
 * offboarding ("which passwords did they know?"). */
static int param(struct req *r, struct list_query *q, const char *key,
		 const char *op, const char *value, const void *arg)
{
	if (strcmp(key, "shared_with"))
		return 0;
	if (!r->who.admin)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"shared_with is for administrators");
	int64_t id = 0;
	if (op || atr_parse_i64(value, &id) || id <= 0)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"shared_with must be a staff member's id");
	struct db_stmt *st = db_prepare(
		r->db, "SELECT admin FROM staff WHERE id = ? AND org_id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	bool admin = rc == 1 && db_col_int(st, 0);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"shared_with: no staff member %lld",
				(long long)id);
	if (!admin) /* an administrator reaches every entry */
		vault_scope(q, r->who.org_id, id);
	return 1;
}

static const struct list_spec spec = {
	.from = "vault_entry e LEFT JOIN vault_category c ON c.id = "
		"e.category_id",
	.cols = COLS ", c.name",
	.id = "e.id",
	.org = "e.org_id",
	.columns = columns,
	.ncolumns = (int)ATR_ARRAY_LEN(columns),
	.sort_default = "name",
	.limit_default = 50,
	.limit_max = 200,
	.search = search,
	.count_default = true,
	.row = row,
	.scope = scope,
	.param = param,
};

static int vault_h_list(struct req *r)
{
	if (!req_db(r))
		return -1;
	struct list_arg a = {r->who.admin};
	struct list_spec s = spec;
	s.arg = &a;
	s.rows_done = r->who.admin ? NULL : vault_page_levels;
	return list_run(r, &s);
}

/* ---- one ------------------------------------------------------------------------- */

/* The name of category id, or null. */
static json_t *category_name(struct req *r, const json_t *id)
{
	if (!json_is_integer(id))
		return json_null();
	struct db_stmt *st = db_prepare(
		r->db, "SELECT name FROM vault_category WHERE id = ? AND "
		       "org_id = ?");
	if (!st)
		return NULL;
	db_bind_int(st, 1, json_integer_value(id));
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	json_t *n = rc == 1 ? json_string(db_col_text(st, 0))
			    : rc == 0 ? json_null() : NULL;
	db_reset(st);
	return n;
}

static int vault_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *rec = NULL;
	int level;
	int rc = vault_entry_load(r, r->id, false, &rec, &level);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "entry %lld not found",
				(long long)r->id);
	json_t *cat = category_name(r, json_object_get(rec, "category_id"));
	if (!cat) {
		json_decref(rec);
		return req_db_error(r);
	}
	json_object_set_new(rec, "category_name", cat);
	json_object_set_new(rec, "level", json_string(vault_level_name(level)));
	/* Who may see it is for those who decide it. */
	if (level < VAULT_MANAGE)
		json_object_del(rec, "access");
	req_etag(r, json_integer_value(json_object_get(rec, "version")));
	req_json(r, 200, rec);
	return 0;
}

/* ---- the module ------------------------------------------------------------------- */

#define P "team_password"
#define NT ROUTE_NO_TOKEN

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/vault/entries", vault_h_list, ACCESS_PERM, P,
	 CAP_VIEW, NULL, NULL, NULL, NT},
	{HTTP_POST, "/api/v1/vault/entries", vault_h_create, ACCESS_PERM, P,
	 CAP_CREATE, &vault_create_schema, NULL, vault_entry_check, NT},
	{HTTP_GET, "/api/v1/vault/entries/{id}", vault_h_get, ACCESS_PERM, P,
	 CAP_VIEW, NULL, NULL, NULL, NT},
	{HTTP_PATCH, "/api/v1/vault/entries/{id}", vault_h_update, ACCESS_PERM,
	 P, CAP_VIEW, &vault_patch_schema, NULL, vault_entry_check, NT},
	{HTTP_DELETE, "/api/v1/vault/entries/{id}", vault_h_delete,
	 ACCESS_PERM, P, CAP_VIEW, NULL, NULL, NULL, NT},
	{HTTP_POST, "/api/v1/vault/entries/{id}/reveal", vault_h_reveal,
	 ACCESS_PERM, P, CAP_VIEW, &vault_reveal_schema, NULL, NULL,
	 NT | ROUTE_REAUTH},
	{HTTP_GET, "/api/v1/vault/entries/{id}/history", vault_h_history,
	 ACCESS_PERM, P, CAP_VIEW, NULL, NULL, NULL, NT},
	{HTTP_GET, "/api/v1/vault/entries/{id}/activity", vault_h_activity,
	 ACCESS_PERM, P, CAP_VIEW, NULL, NULL, NULL, NT},
	{HTTP_GET, "/api/v1/vault/entries/{id}/access", vault_h_access_get,
	 ACCESS_PERM, P, CAP_VIEW, NULL, NULL, NULL, NT},
	{HTTP_PUT, "/api/v1/vault/entries/{id}/access", vault_h_access_put,
	 ACCESS_PERM, P, CAP_VIEW, &vault_access_schema, NULL, vault_access_put_check,
	 NT},
	{HTTP_GET, "/api/v1/vault/subjects", vault_h_subjects, ACCESS_PERM, P,
	 CAP_VIEW, NULL, NULL, NULL, NT},
	{0},
};

/* No log_entity: the activity log's module arms would show every entry's
 * rows to whoever opens the vault. Administrators read them in the log;
 * an entry's managers on the entry (.../activity). */
static const struct perm_module perms[] = {
	{P, "Team passwords", PB_VIEW | PB_CREATE, NULL},
	{0},
};

/* Grants whose subject was deleted reach nobody (ids are never reused);
 * they leave the access lists. */
static const struct housekeeping housekeeping[] = {
	{"DELETE FROM vault_access WHERE (subject = 'staff' AND NOT EXISTS "
	 "(SELECT 1 FROM staff x WHERE x.id = vault_access.subject_id)) OR "
	 "(subject = 'role' AND NOT EXISTS (SELECT 1 FROM role x WHERE x.id = "
	 "vault_access.subject_id)) OR (subject = 'department' AND NOT EXISTS "
	 "(SELECT 1 FROM department x WHERE x.id = vault_access.subject_id)) "
	 "OR (subject = 'team' AND NOT EXISTS (SELECT 1 FROM team x WHERE "
	 "x.id = vault_access.subject_id)) RETURNING entry_id",
	 0,
	 {0}},
	{0},
};

const struct module module_vault = {
	.name = "vault",
	.perms = perms,
	.routes = routes,
	.housekeeping = housekeeping,
};
