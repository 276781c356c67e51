/* operator.c — the operator console's API (issue 17; auth/org.h): the
 * installation's organisations, for administrators of the operator
 * organisation only (ACCESS_OPERATOR: the pipeline refuses everybody
 * else, a business's administrators included, before a handler runs).
 *
 * GET    /api/v1/operator/orgs               the organisations (list
 *                                            engine: kind, status,
 *                                            parent_id, q, paging) with
 *                                            seats and usage
 * POST   /api/v1/operator/orgs               a business or a merchant,
 *                                            optionally its first
 *                                            administrator (an invitation
 *                                            link by email)
 * GET    /api/v1/operator/orgs/{id}          one, with its usage (members,
 *                                            records per entity, storage,
 *                                            jobs)
 * PATCH  /api/v1/operator/orgs/{id}/seats    members_included, extra_seats
 * POST   /api/v1/operator/orgs/{id}/suspend  suspend (org_set_suspended)
 * POST   /api/v1/operator/orgs/{id}/resume   resume
 * DELETE /api/v1/operator/orgs/{id}          delete a suspended one
 *                                            without children (org_delete)
 *
 * Every change writes its activity row in the organisation's own chain
 * (actor "<name> (operator)") and one in the operator's, in the same
 * transaction; a delete only the operator's (the organisation's chain
 * goes with it). The usage figures are operator_usage.c.
 */
#include "atrium.h"

#include "admin/operator.h"
#include "auth/auth.h"
#include "auth/membership.h"
#include "auth/org.h"
#include "auth/staff_store.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/log.h"
#include "core/module.h"
#include "db/db.h"
#include "email/email.h"
#include "http/http.h"
#include "http/list.h"
#include "http/perm.h"

#define INVITE_HOURS 72

/* ---- the list -------------------------------------------------------------
 */

#define LIST_COLS                                                              \
	"o.id, o.name, o.kind, o.parent_id, o.status, o.suspended_at, "        \
	"o.created_at, o.members_included, "                                   \
	"o.extra_seats, " OPERATOR_USAGE_COLS

static void opt_text(struct buf *b, struct db_stmt *st, int col)
{
	if (db_col_null(st, col))
		buf_adds(b, "null");
	else
		jout_str(b, db_col_text(st, col));
}

static void list_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	(void)arg;
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "name", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "kind", false);
	jout_str(b, db_col_text(st, 2));
	jout_key(b, "parent_id", false);
	if (db_col_null(st, 3))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, 3));
	jout_key(b, "status", false);
	jout_str(b, db_col_text(st, 4));
	jout_key(b, "suspended_at", false);
	opt_text(b, st, 5);
	jout_key(b, "created_at", false);
	jout_str(b, db_col_text(st, 6));
	operator_usage_row(b, st, 7);
	buf_addc(b, '}');
}

static const char *const kinds[] = {"operator", "business", "merchant", NULL};
static const char *const statuses[] = {"active", "suspended", NULL};
static const struct field f_kind = {
    .name = "kind", .type = FT_ENUM, .choices = kinds};
static const struct field f_status = {
    .name = "status", .type = FT_ENUM, .choices = statuses};
static const struct field f_parent = {.name = "parent_id", .type = FT_INT};
static const struct field f_name = {.name = "name", .type = FT_TEXT};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col columns[] = {
    {&f_kind, "o.kind", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
    {&f_status, "o.status", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
    {&f_parent, "o.parent_id", LIST_FILTER},
    {&f_name, "o.name", LIST_SORT | LIST_NOTNULL},
    {&f_created, "o.created_at", LIST_SORT | LIST_NOTNULL},
};

static const char *const search[] = {"o.name", NULL};

/* Every organisation: the operator's view spans them (spec.org NULL). */
static const struct list_spec spec = {
    .from = "org o",
    .cols = LIST_COLS,
    .id = "o.id",
    .org = NULL,
    .columns = columns,
    .ncolumns = (int)ATR_ARRAY_LEN(columns),
    .sort_default = "id",
    .limit_default = 50,
    .limit_max = 200,
    .search = search,
    .count_default = true,
    .row = list_row,
};

static int operator_h_list(struct req *r)
{
	return list_run(r, &spec);
}

/* ---- one ------------------------------------------------------------------
 */

/* The organisation as the console shows it, with its usage. NULL on a
 * database error (r->err). */
static json_t *org_json(struct req *r, const struct org_row *o)
{
	json_t *j = json_pack(
	    "{s:I,s:s,s:s,s:o,s:s,s:o,s:s}", "id", (json_int_t)o->id, "name",
	    o->name, "kind", org_kind_name(o->kind), "parent_id",
	    o->parent_id ? json_integer(o->parent_id) : json_null(), "status",
	    o->suspended ? "suspended" : "active", "suspended_at",
	    o->suspended_at[0] ? json_string(o->suspended_at) : json_null(),
	    "created_at", o->created_at);
	if (operator_usage(r, o, j) < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Loads {id} into o: 0, or -1 with 404 (or a database error). */
static int load_target(struct req *r, struct org_row *o)
{
	int found = org_load(r->db, r->id, o);
	if (found < 0)
		return req_db_error(r);
	if (!found)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"no organisation %lld", (long long)r->id);
	return 0;
}

static int answer(struct req *r, int status, int64_t id)
{
	struct org_row o;
	int found = org_load(r->db, id, &o);
	if (found != 1)
		return req_db_error(r);
	json_t *j = org_json(r, &o);
	if (!j)
		return -1;
	req_json(r, status, j);
	return 0;
}

static int operator_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	struct org_row o;
	if (load_target(r, &o) < 0)
		return -1;
	return answer(r, 200, o.id);
}

/* ---- the two activity rows --------------------------------------------------
 */

/* The change's row in organisation org's own chain (the operator's
 * administrator named as such; no staff id of another organisation), and
 * in the operator's chain (the request's), in the open transaction. One
 * row when org is the operator. */
static int record(struct req *r, int64_t org, const char *action,
		  const char *entity, int64_t entity_id, const json_t *diff)
{
	if (org != r->who.org_id) {
		char who[sizeof r->who.name + 16];
		snprintf(who, sizeof who, "%.120s (operator)", r->who.name);
		struct activity a = {.org_id = org,
				     .actor_name = who,
				     .action = action,
				     .entity = entity,
				     .entity_id = entity_id,
				     .diff = diff,
				     .ip = r->ip,
				     .request_id = r->request_id};
		if (activity_record(r->db, &a) < 0)
			return atr_fail(&r->err, ATR_E_INTERNAL,
					"cannot write the activity log: %s",
					db_errmsg(r->db));
	}
	return activity_from_req(r, action, entity, entity_id, diff);
}

/* ---- create ---------------------------------------------------------------
 */

/* The request's connection in a transaction, or NULL (r->err). */
static struct db_conn *begin(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (c && db_begin(c) < 0) {
		req_db_error(r);
		return NULL;
	}
	return c;
}

static const char *const create_kinds[] = {"business", "merchant", NULL};

static const struct field create_fields[] = {
    {"name", FT_TEXT, F_REQUIRED, ORG_NAME_MAX, NULL, NULL},
    {"kind", FT_ENUM, 0, 0, create_kinds, "business"},
    {"parent_id", FT_INT, 0, 0, NULL, NULL},
    {"members_included", FT_DECIMAL, .scale = 0},
    {"extra_seats", FT_DECIMAL, .scale = 0},
    {"admin_email", FT_EMAIL, 0, EMAIL_MAX, NULL, NULL},
    {"admin_name", FT_TEXT, 0, NAME_MAX_LEN, NULL, NULL},
};
static const struct schema create_schema = SCHEMA(create_fields);

/* Whole numbers from 0 (FT_INT is an id, from 1): decimals without
 * places, ranges checked by the route's check. */
static const struct field seats_fields[] = {
    {"members_included", FT_DECIMAL, .scale = 0},
    {"extra_seats", FT_DECIMAL, .scale = 0},
};
static const struct schema seats_schema = SCHEMA(seats_fields);

static const char *bstr(struct req *r, const char *k)
{
	return json_string_value(json_object_get(r->body, k));
}

/* A whole number of the body (a seat count), or def when absent (or not
 * a whole number: the schema named it already). */
static int64_t bint(struct req *r, const char *k, int64_t def)
{
	json_t *v = json_object_get(r->body, k);
	int64_t x;
	return v && decimal_from_json(v, 0, &x) ? x : def;
}

static void check_range(struct req *r, const char *k, int64_t min)
{
	int64_t v = bint(r, k, INT64_MIN);
	if (v != INT64_MIN && (v < min || v > ORG_SEATS_MAX))
		atr_field(&r->err, k, "invalid", "must be between %lld and %d",
			  (long long)min, ORG_SEATS_MAX);
}

/* The operator organisation's id (its only one), or -1. */
static int64_t operator_id(struct db_conn *c)
{
	struct db_stmt *st =
	    db_prepare(c, "SELECT id FROM org WHERE kind = 'operator'");
	if (!st)
		return -1;
	int64_t id = db_step(st) == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return id;
}

/* The parent a new organisation of kind gets: parent_id, or the operator
 * for a business without one. 0 with *parent filled; -1 with a field
 * error (or a database error) in r->err. */
static int pick_parent(struct req *r, enum org_kind kind,
		       struct org_row *parent)
{
	json_t *p = json_object_get(r->body, "parent_id");
	int64_t pid = json_is_integer(p) ? (int64_t)json_integer_value(p) : 0;
	if (p && !json_is_integer(p))
		return -1; /* the schema named it */
	if (!pid && kind == ORG_MERCHANT) {
		atr_field(&r->err, "parent_id", "required",
			  "a merchant needs the business it belongs to");
		return -1;
	}
	if (!pid && (pid = operator_id(r->db)) < 0)
		return req_db_error(r);
	int found = org_load(r->db, pid, parent);
	if (found < 0)
		return req_db_error(r);
	if (!found) {
		atr_field(&r->err, "parent_id", "not_found",
			  "no organisation %lld", (long long)pid);
		return -1;
	}
	struct atr_err e = {0};
	if (org_child_allowed(parent, kind, &e) < 0) {
		for (int i = 0; i < e.nfields; i++)
			atr_field(&r->err, "parent_id", e.fields[i].code, "%s",
				  e.fields[i].detail);
		return -1;
	}
	return 0;
}

static enum org_kind body_kind(struct req *r)
{
	const char *k = bstr(r, "kind");
	return k && !strcmp(k, "merchant") ? ORG_MERCHANT : ORG_BUSINESS;
}

/* Every rule beyond the schema, so that one 422 names every field. */
static void create_check(struct req *r)
{
	if (!req_db(r))
		return;
	const char *name = bstr(r, "name");
	for (const unsigned char *p = (const unsigned char *)name; p && *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			atr_field(&r->err, "name", "invalid",
				  "must be one line without control "
				  "characters");
			break;
		}
	check_range(r, "members_included", 1);
	check_range(r, "extra_seats", 0);
	struct org_row parent;
	if (pick_parent(r, body_kind(r), &parent) < 0 &&
	    r->err.kind != ATR_E_INVALID)
		return;
	const char *email = bstr(r, "admin_email"),
		   *aname = bstr(r, "admin_name");
	if (email && !aname && !json_object_get(r->body, "admin_name"))
		atr_field(&r->err, "admin_name", "required",
			  "the first administrator needs a name too");
	if (aname && !email && !json_object_get(r->body, "admin_email"))
		atr_field(&r->err, "admin_email", "required",
			  "the first administrator needs an email too");
	/* An email of a person with an account elsewhere is no error: they
	 * become the new organisation's administrator with that account. */
}

/* The first administrator of new organisation org: a person with an
 * account in another organisation becomes its administrator with that
 * account (a membership, auth/membership.h; told by email), anybody else
 * a new member with a set-password link. Both emails go out through the
 * operator's settings (the new organisation has none yet). 0 with *id and
 * *linked, or -1. */
static int first_admin(struct req *r, struct db_conn *c, int64_t org,
		       int64_t *id, bool *linked)
{
	const char *email = bstr(r, "admin_email"),
		   *aname = bstr(r, "admin_name");
	char norm[EMAIL_MAX + 1];
	staff_store_email_norm(email, norm, sizeof norm);
	struct staff_row home = {0};
	int known = staff_store_load(c, "email", norm, 0, &home);
	if (known < 0)
		return req_db_error(r);
	*linked = known == 1;
	if (staff_store_seats_free(c, org, &r->err) < 0 ||
	    (*linked ? membership_insert(c, org, &home, true, id, &r->err)
		     : staff_store_insert(c, org, email, aname, true, NULL, id,
					  &r->err)) < 0)
		return -1;
	json_t *diff = json_pack("{s:{s:s},s:{s:s},s:{s:b}}", "email", "to",
				 *linked ? home.email : email, "name", "to",
				 *linked ? home.name : aname, "admin", "to", 1);
	if (*linked)
		json_object_set_new(
		    diff, "home_org_id",
		    json_pack("{s:I}", "to", (json_int_t)home.org_id));
	int rc = record(r, org, "create", "staff", *id, diff);
	json_decref(diff);
	if (rc < 0)
		return -1;
	if (!*linked)
		return auth_send_link_for(r, org, *id, email, aname,
					  "set_password", INVITE_HOURS,
					  "invitation");
	char link[512];
	snprintf(link, sizeof link, "%s/admin", r->app->cfg.public_url);
	json_t *vars = json_pack("{s:s,s:s}", "name", home.name, "link", link);
	rc = email_enqueue(c, r->who.org_id, home.email, "membership_added",
			   vars);
	json_decref(vars);
	return rc < 0 ? req_db_error(r) : 0;
}

static int operator_h_create(struct req *r)
{
	struct db_conn *c = begin(r);
	if (!c)
		return -1;
	struct org_row parent;
	enum org_kind kind = body_kind(r);
	if (pick_parent(r, kind, &parent) < 0)
		return -1;
	int64_t id;
	if (org_create(c, bstr(r, "name"), kind, parent.id,
		       bint(r, "members_included", -1),
		       bint(r, "extra_seats", -1), &id, &r->err) < 0)
		return -1;
	struct org_row made;
	if (org_load(c, id, &made) != 1)
		return req_db_error(r);
	json_t *diff = org_created_diff(&made);
	int rc = record(r, id, "create", "org", id, diff);
	json_decref(diff);
	if (rc < 0)
		return -1;
	int64_t admin_id = 0;
	bool linked = false;
	if (bstr(r, "admin_email") &&
	    first_admin(r, c, id, &admin_id, &linked) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_add_header(r, "Location",
		       arena_printf(r->arena, "/api/v1/operator/orgs/%lld",
				    (long long)id));
	if (answer(r, 201, id) < 0)
		return -1;
	json_object_set_new(r->out, "invitation_sent",
			    json_boolean(admin_id != 0 && !linked));
	json_object_set_new(r->out, "admin_linked", json_boolean(linked));
	if (admin_id)
		json_object_set_new(r->out, "admin_id", json_integer(admin_id));
	return 0;
}

/* ---- seats, suspend, resume ------------------------------------------------
 */

static void seats_check(struct req *r)
{
	check_range(r, "members_included", 1);
	check_range(r, "extra_seats", 0);
	if (!json_object_get(r->body, "members_included") &&
	    !json_object_get(r->body, "extra_seats"))
		atr_field(&r->err, "members_included", "required",
			  "give members_included, extra_seats or both");
}

static int operator_h_seats(struct req *r)
{
	struct db_conn *c = begin(r);
	if (!c)
		return -1;
	json_t *diff = NULL;
	int rc = org_set_seats(c, r->id, bint(r, "members_included", -1),
			       bint(r, "extra_seats", -1), &diff, &r->err);
	if (rc == 0 && json_object_size(diff))
		rc = record(r, r->id, "update", "org", r->id, diff);
	json_decref(diff);
	if (rc < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	return answer(r, 200, r->id);
}

static int set_status(struct req *r, bool suspend)
{
	struct db_conn *c = begin(r);
	if (!c)
		return -1;
	int rc = org_set_suspended(c, r->id, suspend, &r->err);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		json_t *diff = json_pack("{s:{s:s,s:s}}", "status", "from",
					 suspend ? "active" : "suspended", "to",
					 suspend ? "suspended" : "active");
		rc = record(r, r->id, suspend ? "suspend" : "resume", "org",
			    r->id, diff);
		json_decref(diff);
		if (rc < 0)
			return -1;
	}
	if (db_commit(c) < 0)
		return req_db_error(r);
	return answer(r, 200, r->id);
}

static int operator_h_suspend(struct req *r)
{
	return set_status(r, true);
}

static int operator_h_resume(struct req *r)
{
	return set_status(r, false);
}

/* ---- delete ---------------------------------------------------------------
 */

static int operator_h_delete(struct req *r)
{
	struct db_conn *c = begin(r);
	if (!c)
		return -1;
	struct org_row o;
	if (load_target(r, &o) < 0)
		return -1;
	json_t *removed = NULL;
	if (org_delete(c, o.id, &removed, &r->err) < 0) {
		json_decref(removed);
		return -1;
	}
	json_t *diff = json_pack(
	    "{s:{s:s},s:{s:s},s:{s:I},s:{s:o}}", "name", "from", o.name, "kind",
	    "from", org_kind_name(o.kind), "parent_id", "from",
	    (json_int_t)o.parent_id, "rows", "from", removed);
	int rc = activity_from_req(r, "delete", "org", o.id, diff);
	json_decref(diff);
	if (rc < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	/* Its files after the commit: a rollback must find them still
	 * there. One that cannot be removed is left, and said. */
	if (org_delete_files(r->app->cfg.archive_dir, o.id) < 0)
		atr_log("operator: organisation %lld deleted, but some of "
			"its archive files under %s could not be removed",
			(long long)o.id, r->app->cfg.archive_dir);
	r->status = 204;
	return 0;
}

static const struct route operator_routes[] = {
    {HTTP_GET, "/api/v1/operator/orgs", operator_h_list, ACCESS_OPERATOR},
    {HTTP_POST, "/api/v1/operator/orgs", operator_h_create, ACCESS_OPERATOR,
     NULL, 0, &create_schema, NULL, create_check},
    {HTTP_GET, "/api/v1/operator/orgs/{id}", operator_h_get, ACCESS_OPERATOR},
    {HTTP_PATCH, "/api/v1/operator/orgs/{id}/seats", operator_h_seats,
     ACCESS_OPERATOR, NULL, 0, &seats_schema, NULL, seats_check},
    {HTTP_POST, "/api/v1/operator/orgs/{id}/suspend", operator_h_suspend,
     ACCESS_OPERATOR, NULL, 0, &schema_empty},
    {HTTP_POST, "/api/v1/operator/orgs/{id}/resume", operator_h_resume,
     ACCESS_OPERATOR, NULL, 0, &schema_empty},
    {HTTP_DELETE, "/api/v1/operator/orgs/{id}", operator_h_delete,
     ACCESS_OPERATOR},
    {0},
};

const struct module module_operator = {
    .name = "operator",
    .routes = operator_routes,
};
