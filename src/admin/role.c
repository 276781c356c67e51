/* role.c — roles and their permission matrix.
 *
 * A role is a name and a matrix {module: [capabilities]}. A new role grants
 * nothing until someone grants it (least privilege). A role in use cannot
 * be deleted. A non-administrator can only put into a role what they hold
 * themselves. Every change is in the activity log with the before/after
 * matrix. The spec's example roles are offered as templates, limited to
 * the modules that exist in this build (the rest are listed as missing).
 *
 * Delegation: an administrator marks which roles a role's members may hand
 * out (grantable_role_ids, table role_delegation); the rule that applies it
 * is perm_may_give_role in the permission kernel.
 */
#include "atrium.h"

#include "admin/role.h"
#include "admin/staff.h"
#include "auth/perm.h"
#include "core/activity.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"

#define ROLE_NAME_MAX 100

/* The matrices of every role of org (one query), keyed by role id. */
static json_t *load_matrices(struct db_conn *c, int64_t org, int64_t only)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT rp.role_id, rp.module, rp.cap FROM role_permission "
		   "rp JOIN role r ON r.id = rp.role_id WHERE r.org_id = ? "
		   "AND (? = 0 OR r.id = ?) ORDER BY rp.role_id, rp.module, "
		   "rp.cap");
	if (!st)
		return NULL;
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, only);
	db_bind_int(st, 3, only);
	json_t *all = json_object();
	int rc;
	while ((rc = db_step(st)) == 1) {
		char key[24];
		snprintf(key, sizeof key, "%lld", (long long)db_col_int(st, 0));
		json_t *m = json_object_get(all, key);
		if (!m) {
			m = json_object();
			json_object_set_new(all, key, m);
		}
		const char *mod = db_col_text(st, 1);
		json_t *caps = json_object_get(m, mod);
		if (!caps) {
			caps = json_array();
			json_object_set_new(m, mod, caps);
		}
		json_array_append_new(caps, json_string(db_col_text(st, 2)));
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(all);
		return NULL;
	}
	return all;
}

/* The delegations of every role of org (one query): {role id: [ids]}. */
static json_t *load_delegations(struct db_conn *c, int64_t org)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT d.role_id, d.grantable_role_id FROM role_delegation "
		   "d JOIN role r ON r.id = d.role_id WHERE r.org_id = ? "
		   "ORDER BY d.role_id, d.grantable_role_id");
	if (!st)
		return NULL;
	db_bind_int(st, 1, org);
	json_t *all = json_object();
	int rc;
	while ((rc = db_step(st)) == 1) {
		char key[24];
		snprintf(key, sizeof key, "%lld", (long long)db_col_int(st, 0));
		json_t *ids = json_object_get(all, key);
		if (!ids) {
			ids = json_array();
			json_object_set_new(all, key, ids);
		}
		json_array_append_new(ids, json_integer(db_col_int(st, 1)));
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(all);
		return NULL;
	}
	return all;
}

#define ROLE_COLS                                                              \
	"SELECT r.id, r.name, r.description, r.created_at, r.updated_at, "     \
	"r.version, (SELECT COUNT(*) FROM staff s WHERE s.role_id = r.id), "   \
	"r.require_2fa, r.template FROM role r"

static json_t *role_row(struct db_stmt *st, json_t *matrices, json_t *dels)
{
	char key[24];
	snprintf(key, sizeof key, "%lld", (long long)db_col_int(st, 0));
	json_t *m = json_object_get(matrices, key);
	json_t *g = json_object_get(dels, key);
	const char *d = db_col_text(st, 2);
	json_t *o = json_pack("{s:I,s:s,s:o,s:s,s:s,s:I,s:I,s:o,s:b}", "id",
			 (json_int_t)db_col_int(st, 0), "name",
			 db_col_text(st, 1), "description",
			 d ? json_string(d) : json_null(), "created_at",
			 db_col_text(st, 3), "updated_at", db_col_text(st, 4),
			 "version", (json_int_t)db_col_int(st, 5),
			 "staff_count", (json_int_t)db_col_int(st, 6),
			 "permissions", m ? json_incref(m) : json_object(),
			 "require_2fa", (int)db_col_int(st, 7));
	json_object_set_new(o, "grantable_role_ids",
			    g ? json_incref(g) : json_array());
	const char *tpl = db_col_text(st, 8);
	json_object_set_new(o, "template", tpl ? json_string(tpl) : json_null());
	return o;
}

/* 1 found (into *out), 0 absent, -1 error. */
static int role_load(struct db_conn *c, int64_t org, int64_t id, json_t **out)
{
	json_t *mx = load_matrices(c, org, id);
	json_t *dels = mx ? load_delegations(c, org) : NULL;
	struct db_stmt *st =
		dels ? db_prepare(c, ROLE_COLS " WHERE r.id = ? AND r.org_id = ?")
		     : NULL;
	if (!st) {
		json_decref(mx);
		json_decref(dels);
		return -1;
	}
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	if (rc == 1)
		*out = role_row(st, mx, dels);
	db_reset(st);
	json_decref(mx);
	json_decref(dels);
	return rc;
}

static int role_h_list(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (r->nquery)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"unknown query parameter '%s'",
				r->query[0].key);
	json_t *mx = load_matrices(c, r->who.org_id, 0);
	json_t *dels = mx ? load_delegations(c, r->who.org_id) : NULL;
	struct db_stmt *st =
		dels ? db_prepare(c, ROLE_COLS " WHERE r.org_id = ? ORDER BY "
					       "lower(r.name), r.id")
		     : NULL;
	if (!st) {
		json_decref(mx);
		json_decref(dels);
		return req_db_error(r);
	}
	db_bind_int(st, 1, r->who.org_id);
	json_t *data = json_array();
	int rc;
	while ((rc = db_step(st)) == 1)
		json_array_append_new(data, role_row(st, mx, dels));
	db_reset(st);
	json_decref(mx);
	json_decref(dels);
	if (rc < 0) {
		json_decref(data);
		return req_db_error(r);
	}
	req_json(r, 200,
		 json_pack("{s:o,s:I}", "data", data, "total",
			   (json_int_t)json_array_size(data)));
	return 0;
}

static void set_etag(struct req *r, const json_t *rec)
{
	req_etag(r, json_integer_value(json_object_get(rec, "version")));
}

static int role_h_get(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *rec = NULL;
	int rc = role_load(c, r->who.org_id, r->id, &rec);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "role %lld not found",
				(long long)r->id);
	set_etag(r, rec);
	req_json(r, 200, rec);
	return 0;
}

static const struct field role_fields[] = {
	{"name", FT_TEXT, F_REQUIRED, ROLE_NAME_MAX, NULL, NULL},
	{"description", FT_TEXT, F_MULTILINE, 500, NULL, NULL},
	{"permissions", FT_OBJECT, 0, 0, NULL, NULL},
	{"require_2fa", FT_BOOL, 0, 0, NULL, NULL},
	/* The roles this role's members may hand out (administrators only). */
	{"grantable_role_ids", FT_IDS, 0, 100, NULL, NULL},
	/* The spec's template it was made from (GET /roles/templates), or
	 * null: what the role audit compares it with. */
	{"template", FT_TEXT, 0, 100, NULL, NULL},
};
static const struct schema role_schema = SCHEMA(role_fields);

/* The matrix must name real modules and capabilities, and a
 * non-administrator may only grant what they hold. */
static void role_check(struct req *r)
{
	const char *tpl = json_string_value(json_object_get(r->body, "template"));
	if (tpl && role_template_find(tpl) < 0)
		atr_field(&r->err, "template", "not_allowed",
			  "'%s' is not one of the role templates", tpl);
	json_t *gr = json_object_get(r->body, "grantable_role_ids");
	if (gr && !r->who.admin)
		atr_field(&r->err, "grantable_role_ids", "not_allowed",
			  "only an administrator decides which roles a role "
			  "may hand out");
	else if (json_is_array(gr) && req_db(r)) {
		size_t i;
		json_t *v;
		json_array_foreach(gr, i, v)
		{
			struct db_stmt *st = db_prepare(
				r->db, "SELECT 1 FROM role WHERE id = ? AND "
				       "org_id = ?");
			if (!st) {
				req_db_error(r);
				return;
			}
			db_bind_int(st, 1, (int64_t)json_integer_value(v));
			db_bind_int(st, 2, r->who.org_id);
			int rc = db_step(st);
			db_reset(st);
			if (rc == 0) {
				atr_field(&r->err, "grantable_role_ids",
					  "not_found", "no role with id %lld",
					  (long long)json_integer_value(v));
				break;
			}
		}
	}
	json_t *m = json_object_get(r->body, "permissions");
	if (!json_is_object(m))
		return;
	if (perm_validate_matrix(m, "permissions", &r->err))
		return;
	if (r->who.admin)
		return;
	const char *mod;
	json_t *caps;
	json_object_foreach(m, mod, caps)
	{
		int idx = perm_module_index(mod);
		size_t i;
		json_t *cv;
		json_array_foreach(caps, i, cv)
		{
			unsigned bit = perm_bit_parse(json_string_value(cv));
			if (!(r->who.perms.bits[idx] & bit)) {
				char name[96];
				snprintf(name, sizeof name, "permissions.%s",
					 mod);
				atr_field(&r->err, name, "not_allowed",
					  "you cannot grant %s on %s: you do "
					  "not have it",
					  json_string_value(cv), mod);
			}
		}
	}
}

static int write_matrix(struct db_conn *c, int64_t role_id, const json_t *m)
{
	struct db_stmt *st =
		db_prepare(c, "DELETE FROM role_permission WHERE role_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, role_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	const char *mod;
	json_t *caps;
	json_object_foreach((json_t *)m, mod, caps)
	{
		size_t i;
		json_t *cv;
		json_array_foreach(caps, i, cv)
		{
			st = db_prepare(c, "INSERT INTO role_permission "
					   "(role_id, module, cap) VALUES "
					   "(?, ?, ?) ON CONFLICT DO NOTHING");
			if (!st)
				return -1;
			db_bind_int(st, 1, role_id);
			db_bind_text(st, 2, mod);
			db_bind_text(st, 3, json_string_value(cv));
			rc = db_step(st);
			db_reset(st);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

/* Replaces the roles role_id's members may hand out. In a tx. 0 or -1. */
static int write_delegations(struct db_conn *c, int64_t role_id,
			     const json_t *ids)
{
	struct db_stmt *st = db_prepare(
		c, "DELETE FROM role_delegation WHERE role_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, role_id);
	int rc = db_step(st);
	db_reset(st);
	size_t i;
	json_t *v;
	json_array_foreach((json_t *)ids, i, v)
	{
		if (rc < 0)
			break;
		st = db_prepare(c, "INSERT INTO role_delegation (role_id, "
				   "grantable_role_id) VALUES (?, ?)");
		if (!st)
			return -1;
		db_bind_int(st, 1, role_id);
		db_bind_int(st, 2, (int64_t)json_integer_value(v));
		rc = db_step(st);
		db_reset(st);
	}
	return rc < 0 ? -1 : 0;
}

static int name_taken(struct req *r)
{
	if (db_err_unique(r->db)) {
		atr_field(&r->err, "name", "taken",
			  "a role with this name exists");
		return -1;
	}
	return req_db_error(r);
}

static int role_h_create(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO role (org_id, name, description, created_at, "
		   "updated_at, require_2fa, template) VALUES (?, ?, ?, ?, ?, "
		   "?, ?) RETURNING id");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, json_string_value(json_object_get(r->body, "name")));
	db_bind_text(st, 3, json_string_value(
				    json_object_get(r->body, "description")));
	db_bind_text(st, 4, now);
	db_bind_text(st, 5, now);
	db_bind_int(st, 6, json_is_true(json_object_get(r->body, "require_2fa")));
	db_bind_text(st, 7,
		     json_string_value(json_object_get(r->body, "template")));
	int rc = db_step(st);
	int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc != 1)
		return name_taken(r);
	json_t *m = json_object_get(r->body, "permissions");
	json_t *gr = json_object_get(r->body, "grantable_role_ids");
	if ((m && write_matrix(c, id, m) < 0) ||
	    (gr && write_delegations(c, id, gr) < 0))
		return req_db_error(r);
	json_t *rec = NULL;
	if (role_load(c, r->who.org_id, id, &rec) != 1)
		return req_db_error(r);
	json_t *diff = json_pack("{s:{s:O},s:{s:O}}", "name", "to",
				 json_object_get(rec, "name"), "permissions",
				 "to", json_object_get(rec, "permissions"));
	if (!json_is_null(json_object_get(rec, "template")))
		json_object_set_new(diff, "template",
				    json_pack("{s:O}", "to",
					      json_object_get(rec, "template")));
	rc = activity_from_req(r, "create", "role", id, diff);
	json_decref(diff);
	if (rc < 0 || db_commit(c) < 0) {
		json_decref(rec);
		return r->err.kind ? -1 : req_db_error(r);
	}
	req_add_header(r, "Location",
		       arena_printf(r->arena, "/api/v1/roles/%lld",
				    (long long)id));
	set_etag(r, rec);
	req_json(r, 201, rec);
	return 0;
}

static int role_h_update(struct req *r)
{
	int64_t want = req_if_match(r);
	if (want == -1)
		return atr_fail(&r->err, ATR_E_PRECOND_REQ,
				"send If-Match with the ETag of the role you "
				"edited");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *before = NULL;
	int rc = role_load(c, r->who.org_id, r->id, &before);
	if (rc <= 0)
		return rc < 0 ? req_db_error(r)
			      : atr_fail(&r->err, ATR_E_NOT_FOUND,
					 "role %lld not found",
					 (long long)r->id);
	if (want != json_integer_value(json_object_get(before, "version"))) {
		json_decref(before);
		return atr_fail(&r->err, ATR_E_PRECONDITION,
				"the role was changed by someone else; reload "
				"it and apply your change again");
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	json_t *desc = json_object_get(r->body, "description");
	struct db_stmt *st = db_prepare(
		c, "UPDATE role SET name = COALESCE(?, name), description = "
		   "CASE WHEN ? = 1 THEN ? ELSE description END, require_2fa "
		   "= COALESCE(?, require_2fa), template = CASE WHEN ? = 1 "
		   "THEN ? ELSE template END, updated_at = ?, version = "
		   "version + 1 WHERE id = ? AND org_id = ?");
	if (!st) {
		json_decref(before);
		return req_db_error(r);
	}
	db_bind_text(st, 1, json_string_value(json_object_get(r->body, "name")));
	db_bind_int(st, 2, desc != NULL);
	db_bind_text(st, 3, json_string_value(desc));
	json_t *req2 = json_object_get(r->body, "require_2fa");
	db_bind_opt_int(st, 4, json_is_boolean(req2), json_is_true(req2));
	json_t *tpl = json_object_get(r->body, "template");
	db_bind_int(st, 5, tpl != NULL);
	db_bind_text(st, 6, json_string_value(tpl));
	db_bind_text(st, 7, now);
	db_bind_int(st, 8, r->id);
	db_bind_int(st, 9, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0) {
		json_decref(before);
		return name_taken(r);
	}
	json_t *m = json_object_get(r->body, "permissions");
	json_t *gr = json_object_get(r->body, "grantable_role_ids");
	if ((m && write_matrix(c, r->id, m) < 0) ||
	    (gr && write_delegations(c, r->id, gr) < 0)) {
		json_decref(before);
		return req_db_error(r);
	}
	json_t *after = NULL;
	if (role_load(c, r->who.org_id, r->id, &after) != 1) {
		json_decref(before);
		return req_db_error(r);
	}
	json_t *diff = json_object();
	const char *keys[] = {"name", "description", "permissions",
			      "require_2fa", "grantable_role_ids", "template"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(keys); i++) {
		json_t *a = json_object_get(before, keys[i]),
		       *b = json_object_get(after, keys[i]);
		if (!json_equal(a, b))
			json_object_set_new(diff, keys[i],
					    json_pack("{s:O,s:O}", "from", a,
						      "to", b));
	}
	rc = activity_from_req(r, "update", "role", r->id, diff);
	json_decref(diff);
	json_decref(before);
	if (rc < 0 || db_commit(c) < 0) {
		json_decref(after);
		return r->err.kind ? -1 : req_db_error(r);
	}
	set_etag(r, after);
	req_json(r, 200, after);
	return 0;
}

static int role_h_delete(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *rec = NULL;
	int rc = role_load(c, r->who.org_id, r->id, &rec);
	if (rc <= 0)
		return rc < 0 ? req_db_error(r)
			      : atr_fail(&r->err, ATR_E_NOT_FOUND,
					 "role %lld not found",
					 (long long)r->id);
	json_int_t users = json_integer_value(json_object_get(rec, "staff_count"));
	if (users > 0) {
		atr_fail(&r->err, ATR_E_CONFLICT,
			 "cannot delete role '%s': %lld staff use it; give them "
			 "another role first",
			 json_string_value(json_object_get(rec, "name")),
			 (long long)users);
		json_decref(rec);
		return -1;
	}
	struct db_stmt *st =
		db_prepare(c, "DELETE FROM role WHERE id = ? AND org_id = ?");
	if (!st) {
		json_decref(rec);
		return req_db_error(r);
	}
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	json_t *diff = json_pack("{s:{s:O},s:{s:O}}", "name", "from",
				 json_object_get(rec, "name"), "permissions",
				 "from", json_object_get(rec, "permissions"));
	if (rc >= 0)
		rc = activity_from_req(r, "delete", "role", r->id, diff);
	json_decref(diff);
	json_decref(rec);
	if (rc < 0 || db_commit(c) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	r->status = 204;
	return 0;
}

/* The spec's example roles ("Roles and permissions"). Modules this build
 * does not have yet are reported as missing rather than dropped silently. */
struct template_grant {
	const char *module;
	const char *caps[6];
};

static const struct {
	const char *name;
	const char *description;
	struct template_grant grants[8];
} templates[] = {
	{"Sales Agent",
	 "Works own leads, creates clients and proposals.",
	 {{"leads", {"view_own", "create", "edit"}},
	  {"clients", {"view", "create"}},
	  {"proposals", {"view", "create", "edit"}},
	  {"invoices", {"view_own"}}}},
	{"AR Accountant",
	 "Invoices, payments and bank statements.",
	 {{"invoices", {"view", "edit"}},
	  {"payments", {"view", "create"}},
	  {"bank_statements", {"view", "create"}},
	  {"clients", {"view"}}}},
	{"Warehouse Operator",
	 "Warehouse modules; reads orders.",
	 {{"warehouse", {"view", "create", "edit"}},
	  {"sales_orders", {"view"}},
	  {"acquisitions", {"view"}}}},
	{"HR Administrator",
	 "Staff records and HR modules.",
	 /* Departments and teams to read, so a new hire can be placed;
	  * the roles they may give are an administrator's delegation. */
	 {{"staff", {"view", "create", "edit"}},
	  {"departments", {"view"}},
	  {"teams", {"view"}},
	  {"hr_profile", {"view", "create", "edit"}},
	  {"recruitment", {"view", "create", "edit"}},
	  {"payroll", {"view", "create", "edit"}}}},
};

int role_template_count(void)
{
	return (int)ATR_ARRAY_LEN(templates);
}

const char *role_template_name(int t)
{
	return t >= 0 && t < role_template_count() ? templates[t].name : NULL;
}

int role_template_find(const char *name)
{
	for (int t = 0; name && t < role_template_count(); t++)
		if (!strcmp(templates[t].name, name))
			return t;
	return -1;
}

unsigned role_template_bits(int t, int mod)
{
	const struct perm_module *pm = perm_module_at(mod);
	if (t < 0 || t >= role_template_count() || !pm)
		return 0;
	unsigned bits = 0;
	for (const struct template_grant *g = templates[t].grants; g->module;
	     g++)
		if (!strcmp(g->module, pm->name))
			for (const char *const *c = g->caps; *c; c++)
				bits |= perm_bit_parse(*c);
	return bits;
}

static int role_h_templates(struct req *r)
{
	json_t *data = json_array();
	for (size_t t = 0; t < ATR_ARRAY_LEN(templates); t++) {
		json_t *perms = json_object(), *missing = json_array();
		for (const struct template_grant *g = templates[t].grants;
		     g->module; g++) {
			if (perm_module_index(g->module) < 0) {
				json_array_append_new(missing,
						      json_string(g->module));
				continue;
			}
			json_t *caps = json_array();
			for (const char *const *c = g->caps; *c; c++)
				json_array_append_new(caps, json_string(*c));
			json_object_set_new(perms, g->module, caps);
		}
		json_array_append_new(
			data, json_pack("{s:s,s:s,s:o,s:o}", "name",
					templates[t].name, "description",
					templates[t].description, "permissions",
					perms, "missing_modules", missing));
	}
	req_json(r, 200, json_pack("{s:o}", "data", data));
	return 0;
}

/* GET /api/v1/roles/assignable: {"data": [{id, name}]}, the roles the
 * caller may give a member (perm_may_give_role): every role for an
 * administrator; otherwise those whose grants they hold and those an
 * administrator delegated to their role. For the staff form's picker. */
static int role_h_assignable(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "SELECT id, name FROM role WHERE org_id = ? ORDER BY "
		   "lower(name), id");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.org_id);
	json_t *all = json_array();
	int rc;
	while ((rc = db_step(st)) == 1)
		json_array_append_new(all,
				      json_pack("{s:I,s:s}", "id",
						(json_int_t)db_col_int(st, 0),
						"name", db_col_text(st, 1)));
	db_reset(st);
	json_t *data = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(rc < 0 ? NULL : all, i, v)
	{
		int ok = perm_may_give_role(
			c, &r->who, json_integer_value(json_object_get(v, "id")));
		if (ok < 0) {
			rc = -1;
			break;
		}
		if (ok)
			json_array_append(data, v);
	}
	json_decref(all);
	if (rc < 0) {
		json_decref(data);
		return req_db_error(r);
	}
	req_json(r, 200, json_pack("{s:o}", "data", data));
	return 0;
}

/* GET /api/v1/permissions/modules: the matrix's rows and columns. */
static int role_h_modules(struct req *r)
{
	json_t *data = json_array();
	int n = perm_module_count();
	for (int i = 0; i < n; i++) {
		const struct perm_module *m = perm_module_at(i);
		json_t *caps = json_array();
		for (unsigned bit = 1; bit <= PB_DELETE; bit <<= 1)
			if (m->caps & bit)
				json_array_append_new(
					caps, json_string(perm_bit_name(bit)));
		json_array_append_new(data,
				      json_pack("{s:s,s:s,s:o}", "module",
						m->name, "label", m->label,
						"capabilities", caps));
	}
	req_json(r, 200, json_pack("{s:o}", "data", data));
	return 0;
}

static const struct route role_routes[] = {
	{HTTP_GET, "/api/v1/roles", role_h_list, ACCESS_PERM, "roles",
	 CAP_VIEW},
	{HTTP_POST, "/api/v1/roles", role_h_create, ACCESS_PERM, "roles",
	 CAP_CREATE, &role_schema, NULL, role_check},
	{HTTP_GET, "/api/v1/roles/templates", role_h_templates, ACCESS_PERM,
	 "roles", CAP_VIEW},
	{HTTP_GET, "/api/v1/roles/assignable", role_h_assignable,
	 ACCESS_SESSION},
	{HTTP_GET, "/api/v1/roles/{id}", role_h_get, ACCESS_PERM, "roles",
	 CAP_VIEW},
	{HTTP_PATCH, "/api/v1/roles/{id}", role_h_update, ACCESS_PERM, "roles",
	 CAP_EDIT, &role_schema, NULL, role_check},
	{HTTP_DELETE, "/api/v1/roles/{id}", role_h_delete, ACCESS_PERM,
	 "roles", CAP_DELETE},
	{HTTP_GET, "/api/v1/permissions/modules", role_h_modules, ACCESS_PERM,
	 "roles", CAP_VIEW},
	{0},
};

static const struct perm_module role_perms[] = {
	{"roles", "Roles & permissions",
	 PB_VIEW | PB_CREATE | PB_EDIT | PB_DELETE, "role"},
	{0},
};

const struct module module_roles = {
	.name = "roles",
	.perms = role_perms,
	.routes = role_routes,
};
