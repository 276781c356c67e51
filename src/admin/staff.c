/* staff.c — staff members: the store, the list, add, edit.
 *
 * Lifecycle actions (deactivate, activate, delete with reassignment,
 * invitations, access explanation, overrides) are in staff_lifecycle.c.
 *
 * Rules that hold everywhere:
 *   - email is the username: unique, case-insensitive (email_norm) within
 *     an organisation; a person's account is one home row, and a
 *     membership of another organisation a linked row (auth/membership.h);
 *   - only an administrator grants or removes the admin flag, and the last
 *     active administrator cannot lose it;
 *   - a non-administrator cannot hand out more than they hold: a role may
 *     be given only when its grants are a subset of the giver's;
 *   - active members never exceed the seat limit (settings: seats).
 */
#include "atrium.h"

#include <ctype.h>
#include <sodium.h>

#include "core/l10n.h"
#include "admin/staff.h"
#include "auth/auth.h"
#include "auth/membership.h"
#include "auth/password.h"
#include "auth/org.h"
#include "auth/perm.h"
#include "auth/token.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "email/email.h"
#include "http/http.h"
#include "http/list.h"

/* ---- reading ------------------------------------------------------------ */

/* The columns of a staff record; memberships aggregated per row (one
 * query for a whole page, no N+1). */
#define STAFF_SELECT(AGG_DEP, AGG_TEAM, HOME_ORG)                              \
	"s.id, s.email, s.name, s.admin, s.active, s.role_id, "                \
	"r.name, s.last_login_at, s.created_at, s.updated_at, s.version, "     \
	"s.must_change_password, s.password_hash IS NOT NULL, "                \
	"(SELECT " AGG_DEP " FROM staff_department WHERE staff_id = s.id), "   \
	"(SELECT " AGG_TEAM " FROM staff_team WHERE staff_id = s.id), "        \
	"s.password_hash IS NULL AND s.last_login_at IS NULL, " HOME_ORG
#define STAFF_FROM "staff s LEFT JOIN role r ON r.id = s.role_id"
/* A linked member's home organisation is another one: on PostgreSQL its
 * name comes through atrium_home_org (migration 0057, SECURITY DEFINER:
 * that name and nothing else past row-level security). */
#define STAFF_PG                                                               \
	STAFF_SELECT("string_agg(CAST(department_id AS TEXT), ',' ORDER BY "   \
		     "department_id)",                                         \
		     "string_agg(CAST(team_id AS TEXT), ',' ORDER BY team_id)",  \
		     "atrium_home_org(s.identity_id)")
#define STAFF_SQLITE                                                           \
	STAFF_SELECT("group_concat(department_id, ',')",                       \
		     "group_concat(team_id, ',')",                             \
		     "(SELECT o.name FROM staff h JOIN org o ON o.id = "      \
		     "h.org_id WHERE h.id = s.identity_id)")

static const char *staff_cols(struct db_conn *c)
{
	return db_conn_dialect(c) == DB_PG
		       ? "SELECT " STAFF_PG " FROM " STAFF_FROM
		       : "SELECT " STAFF_SQLITE " FROM " STAFF_FROM;
}

static json_t *id_list(const char *csv)
{
	json_t *a = json_array();
	for (const char *p = csv; p && *p;) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p)
			break;
		json_array_append_new(a, json_integer(v));
		p = *end == ',' ? end + 1 : end;
	}
	return a;
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *staff_row_json(struct db_stmt *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
	json_object_set_new(o, "email", json_string(db_col_text(st, 1)));
	json_object_set_new(o, "name", json_string(db_col_text(st, 2)));
	json_object_set_new(o, "admin", json_boolean(db_col_int(st, 3)));
	json_object_set_new(o, "active", json_boolean(db_col_int(st, 4)));
	json_object_set_new(o, "role_id",
			    db_col_null(st, 5) ? json_null()
					       : json_integer(db_col_int(st, 5)));
	json_object_set_new(o, "role_name", opt_str(db_col_text(st, 6)));
	json_object_set_new(o, "last_login", opt_str(db_col_text(st, 7)));
	json_object_set_new(o, "created_at", json_string(db_col_text(st, 8)));
	json_object_set_new(o, "updated_at", json_string(db_col_text(st, 9)));
	json_object_set_new(o, "version", json_integer(db_col_int(st, 10)));
	json_object_set_new(o, "must_change_password",
			    json_boolean(db_col_int(st, 11)));
	json_object_set_new(o, "has_password",
			    json_boolean(db_col_int(st, 12)));
	json_object_set_new(o, "department_ids", id_list(db_col_text(st, 13)));
	json_object_set_new(o, "team_ids", id_list(db_col_text(st, 14)));
	/* Invited: never signed in and no password yet (the link not used). */
	json_object_set_new(o, "invited", json_boolean(db_col_int(st, 15)));
	/* A membership of a person whose account (email, password, 2FA) is
	 * another organisation's: that organisation's name; null when the
	 * account is this organisation's. */
	json_object_set_new(o, "home_org", opt_str(db_col_text(st, 16)));
	return o;
}

int staff_load(struct db_conn *c, int64_t org, int64_t id, json_t **out)
{
	char sql[2048];
	snprintf(sql, sizeof sql, "%s WHERE s.id = ? AND s.org_id = ?",
		 staff_cols(c));
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	if (rc == 1)
		*out = staff_row_json(st);
	db_reset(st);
	return rc;
}

/* ---- the list ------------------------------------------------------------ */

static void staff_row_write(struct buf *b, struct db_stmt *st,
			    const void *arg)
{
	json_t *o = staff_row_json(st);
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

static const struct field f_active = {.name = "active", .type = FT_BOOL};
static const struct field f_admin = {.name = "admin", .type = FT_BOOL};
static const struct field f_role = {.name = "role_id", .type = FT_INT};
static const struct field f_name = {.name = "name", .type = FT_TEXT};
static const struct field f_email = {.name = "email", .type = FT_EMAIL};
static const struct field f_login = {.name = "last_login",
				     .type = FT_DATETIME};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col staff_columns[] = {
	{&f_active, "s.active", LIST_FILTER},
	{&f_admin, "s.admin", LIST_FILTER},
	{&f_role, "s.role_id", LIST_FILTER},
	{&f_name, "s.name", LIST_SORT | LIST_NOTNULL},
	{&f_email, "s.email_norm", LIST_SORT | LIST_NOTNULL},
	{&f_login, "s.last_login_at", LIST_FILTER | LIST_SORT},
	{&f_created, "s.created_at", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

static const char *const staff_search[] = {"s.name", "s.email_norm", NULL};

/* department_id=, team_id= (memberships) and inactive_days=N (no sign-in
 * for N days, or never; not the invited, who have not had the chance). */
static int staff_param(struct req *r, struct list_query *q, const char *key,
		       const char *op, const char *value, const void *arg)
{
	bool dep = !strcmp(key, "department_id"), team = !strcmp(key, "team_id");
	if (!dep && !team && strcmp(key, "inactive_days"))
		return 0;
	int64_t n;
	if (op || atr_parse_i64(value, &n) < 0 || n < 0)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"%s must be a non-negative integer", key);
	if (dep || team) {
		list_where(q, dep ? "s.id IN (SELECT staff_id FROM "
				    "staff_department WHERE department_id = ?)"
				  : "s.id IN (SELECT staff_id FROM staff_team "
				    "WHERE team_id = ?)");
		list_int(q, n);
		return 1;
	}
	/* No sign-in on the last n calendar days of the organisation's
	 * zone, today included: the last sign-in is before the local day
	 * n - 1 days ago began (n 0: before tomorrow, so everybody). */
	char zone[TZ_NAME_MAX], cut[ATR_TIME_LEN];
	int64_t cut_ms;
	if (l10n_org_zone(req_db(r), r->who.org_id, zone) < 0)
		return req_db_error(r);
	if (n > 100000 ||
	    tz_day_start(zone, atr_now_ms(), 1 - (int)n, &cut_ms) < 0)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"%s must be at most 100000", key);
	atr_time_iso(cut_ms, cut);
	list_where(q, "(s.last_login_at IS NULL OR s.last_login_at < ?) AND "
		      "NOT (s.password_hash IS NULL AND "
		      "s.last_login_at IS NULL)");
	list_text(q, cut);
	return 1;
}

#define STAFF_SPEC(select_list)                                                       \
	{                                                                      \
		.from = STAFF_FROM, .cols = select_list, .id = "s.id",                \
		.org = "s.org_id", .columns = staff_columns,                   \
		.ncolumns = (int)ATR_ARRAY_LEN(staff_columns),                 \
		.sort_default = "name", .limit_default = 50,                   \
		.limit_max = 200, .search = staff_search,                      \
		.row = staff_row_write, .param = staff_param,                  \
		.count_default = true,                                         \
	}

static const struct list_spec staff_spec_sqlite = STAFF_SPEC(STAFF_SQLITE);
static const struct list_spec staff_spec_pg = STAFF_SPEC(STAFF_PG);

static int staff_h_list(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	return list_run(r, db_conn_dialect(c) == DB_PG ? &staff_spec_pg
						       : &staff_spec_sqlite);
}

int staff_add_can_manage(struct req *r, json_t *rec)
{
	struct atr_err why = {0};
	int64_t id = json_integer_value(json_object_get(rec, "id"));
	int m = perm_may_manage(r->db, &r->who, id, &why);
	if (m < 0 && why.kind != ATR_E_FORBIDDEN) {
		r->err = why;
		return -1;
	}
	json_object_set_new(rec, "can_manage", json_boolean(m == 0));
	json_object_set_new(rec, "can_manage_detail",
			    m == 0 ? json_null() : json_string(why.msg));
	return 0;
}

static int staff_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *o = NULL;
	int rc = staff_load(r->db, r->who.org_id, r->id, &o);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"staff member %lld not found", (long long)r->id);
	if (staff_add_can_manage(r, o) < 0) {
		json_decref(o);
		return -1;
	}
	req_etag(r, json_integer_value(json_object_get(o, "version")));
	req_json(r, 200, o);
	return 0;
}

/* ---- checks shared by add and edit --------------------------------------- */

/* Every id in arr must name a row of table in the org that the caller
 * can see (module's view scope: all, or their own memberships under
 * view_own); an id they cannot see gets the same answer as one that does
 * not exist, so ids cannot be probed. */
static void check_ids(struct req *r, const char *field, const char *table,
		      const char *module, const char *member_table,
		      const char *member_col)
{
	json_t *arr = json_object_get(r->body, field);
	if (!json_is_array(arr))
		return;
	enum perm_grant scope = perm_view_scope(&r->who, module);
	char sql[256];
	if (scope == PERM_OWN)
		snprintf(sql, sizeof sql,
			 "SELECT 1 FROM %s t JOIN %s m ON m.%s = t.id AND "
			 "m.staff_id = ? WHERE t.id = ? AND t.org_id = ?",
			 table, member_table, member_col);
	else
		snprintf(sql, sizeof sql,
			 "SELECT 1 FROM %s WHERE id = ? AND org_id = ? AND ? = 1",
			 table);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_integer(v))
			return;
		struct db_stmt *st = db_prepare(r->db, sql);
		if (!st) {
			req_db_error(r);
			return;
		}
		int k = 1;
		if (scope == PERM_OWN)
			db_bind_int(st, k++, r->who.staff_id);
		db_bind_int(st, k++, (int64_t)json_integer_value(v));
		db_bind_int(st, k++, r->who.org_id);
		if (scope != PERM_OWN)
			db_bind_int(st, k++, scope == PERM_ALL);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0) {
			req_db_error(r);
			return;
		}
		if (rc == 0) {
			atr_field(&r->err, field, "not_found",
				  "no %s with id %lld", table,
				  (long long)json_integer_value(v));
			return;
		}
	}
}

/* The route check of add and edit: references and who may grant what. */
static void staff_check(struct req *r)
{
	if (!req_db(r))
		return;
	json_t *role = json_object_get(r->body, "role_id");
	if (json_is_integer(role)) {
		/* Administrators learn that an id names no role; anyone else
		 * gets one answer for a role they may not give and one that
		 * does not exist (GET /api/v1/roles/assignable lists theirs). */
		int rc = perm_may_give_role(r->db, &r->who,
					    (int64_t)json_integer_value(role));
		if (rc < 0) {
			req_db_error(r);
			return;
		}
		if (rc == 0 && r->who.admin)
			atr_field(&r->err, "role_id", "not_found",
				  "no role with id %lld",
				  (long long)json_integer_value(role));
		else if (rc == 0)
			atr_field(&r->err, "role_id", "not_allowed",
				  "not a role you may give: it grants "
				  "permissions you do not have, and it is not "
				  "delegated to your role");
	}
	check_ids(r, "department_ids", "department", "departments",
		  "staff_department", "department_id");
	check_ids(r, "team_ids", "team", "teams", "staff_team", "team_id");
	if (json_object_get(r->body, "admin") && !r->who.admin)
		atr_field(&r->err, "admin", "not_allowed",
			  "only an administrator may grant or remove admin");
	json_t *tp = json_object_get(r->body, "temporary_password");
	if (json_is_string(tp)) {
		struct pw_subject who = {
			r->who.org_id, 0,
			json_string_value(json_object_get(r->body, "email")),
			json_string_value(json_object_get(r->body, "name")),
			false};
		password_policy_check(r->db, &who, json_string_value(tp),
				      "temporary_password", &r->err);
	}
	if (json_is_true(json_object_get(r->body, "send_welcome")) &&
	    json_is_string(tp))
		atr_field(&r->err, "temporary_password", "not_allowed",
			  "choose the welcome email or a temporary password, "
			  "not both");
}

/* ---- seats ---------------------------------------------------------------- */

int staff_seat_check(struct req *r)
{
	return staff_store_seats_free(r->db, r->who.org_id, &r->err);
}

/* ---- memberships and invitations ------------------------------------------ */

int staff_invite(struct req *r, int64_t staff_id, const char *email,
		 const char *name)
{
	return auth_send_link(r, staff_id, email, name, "set_password",
			      STAFF_INVITE_HOURS, "invitation");
}

/* A person of another organisation added to this one learns it by email
 * (they sign in as they do; no link to choose a password). */
static int staff_tell_added(struct req *r, const struct staff_row *home)
{
	char link[512];
	snprintf(link, sizeof link, "%s/admin", r->app->cfg.public_url);
	json_t *vars = json_pack("{s:s,s:s}", "name", home->name, "link", link);
	int rc = email_enqueue(r->db, r->who.org_id, home->email,
			       "membership_added", vars);
	json_decref(vars);
	return rc < 0 ? req_db_error(r) : 0;
}

/* ---- add ------------------------------------------------------------------ */

static const struct field staff_create_fields[] = {
	{"email", FT_EMAIL, F_REQUIRED, EMAIL_MAX, NULL, NULL},
	{"name", FT_TEXT, F_REQUIRED, NAME_MAX_LEN, NULL, NULL},
	{"role_id", FT_INT, 0, 0, NULL, NULL},
	{"department_ids", FT_IDS, 0, 100, NULL, NULL},
	{"team_ids", FT_IDS, 0, 100, NULL, NULL},
	{"admin", FT_BOOL, 0, 0, NULL, NULL},
	{"send_welcome", FT_BOOL, 0, 0, NULL, NULL},
	{"temporary_password", FT_SECRET, 0, PASSWORD_MAX_LEN, NULL, NULL},
};
static const struct schema staff_create_schema = SCHEMA(staff_create_fields);

static const struct field staff_update_fields[] = {
	{"email", FT_EMAIL, F_REQUIRED, EMAIL_MAX, NULL, NULL},
	{"name", FT_TEXT, F_REQUIRED, NAME_MAX_LEN, NULL, NULL},
	{"role_id", FT_INT, 0, 0, NULL, NULL},
	{"department_ids", FT_IDS, 0, 100, NULL, NULL},
	{"team_ids", FT_IDS, 0, 100, NULL, NULL},
	{"admin", FT_BOOL, 0, 0, NULL, NULL},
	/* "Must change at next login", set by an administrator. */
	{"must_change_password", FT_BOOL, 0, 0, NULL, NULL},
};
static const struct schema staff_update_schema = SCHEMA(staff_update_fields);

static const char *bstr(struct req *r, const char *k)
{
	return json_string_value(json_object_get(r->body, k));
}

static int staff_h_create(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	const char *tp = bstr(r, "temporary_password");
	char hash[PASSWORD_HASH_MAX] = "";
	if (tp && auth_hash_password(r, tp, hash) < 0)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	if (staff_seat_check(r) < 0)
		return -1;
	bool admin = json_is_true(json_object_get(r->body, "admin"));
	/* The email of a person of another organisation adds a membership
	 * of this one to their account, answered as any new member: the
	 * duplicate check is this organisation's, so no answer tells which
	 * addresses exist elsewhere (auth/membership.h). */
	char norm[EMAIL_MAX + 1];
	staff_store_email_norm(bstr(r, "email"), norm, sizeof norm);
	struct staff_row home = {0};
	/* The person's home row may be another organisation's: read past
	 * row-level security (db_conn_as_owner), this statement alone. */
	db_conn_as_owner(c, true);
	int known = staff_store_load(c, "email", norm, 0, &home);
	db_conn_as_owner(c, false);
	if (known < 0)
		return req_db_error(r);
	bool link = known && home.org_id != r->who.org_id;
	int64_t id;
	if (link ? membership_insert(c, r->who.org_id, &home, admin, &id,
				     &r->err) < 0
		 : staff_store_insert(c, r->who.org_id, bstr(r, "email"),
				      bstr(r, "name"), admin, tp ? hash : NULL,
				      &id, &r->err) < 0)
		return -1;
	/* The person keeps their own password: no temporary one. */
	if (link)
		tp = NULL;
	json_t *role = json_object_get(r->body, "role_id");
	struct db_stmt *st = db_prepare(
		c, "UPDATE staff SET role_id = ?, must_change_password = ? "
		   "WHERE id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_opt_int(st, 1, json_is_integer(role),
			(int64_t)json_integer_value(role));
	db_bind_int(st, 2, tp != NULL);
	db_bind_int(st, 3, id);
	int rc = db_step(st);
	db_reset(st);
	if (rc >= 0 && tp)
		rc = password_history_push(c, r->who.org_id, id, hash);
	json_t *deps = json_object_get(r->body, "department_ids");
	json_t *teams = json_object_get(r->body, "team_ids");
	if (rc < 0 ||
	    (deps && staff_store_set_members(c, id, "staff_department",
				       "department_id", deps) < 0) ||
	    (teams && staff_store_set_members(c, id, "staff_team", "team_id", teams) <
			      0))
		return req_db_error(r);
	bool invite = json_is_true(json_object_get(r->body, "send_welcome"));
	if (link ? staff_tell_added(r, &home) < 0
		 : invite && staff_invite(r, id, bstr(r, "email"),
					  bstr(r, "name")) < 0)
		return -1;
	json_t *rec = NULL;
	if (staff_load(c, r->who.org_id, id, &rec) != 1)
		return req_db_error(r);
	json_t *diff = json_object();
	const char *keys[] = {"email",	 "name",	   "role_id",
			      "admin",	 "department_ids", "team_ids"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(keys); i++)
		json_object_set_new(diff, keys[i],
				    json_pack("{s:O}", "to",
					      json_object_get(rec, keys[i])));
	if (tp)
		json_object_set_new(diff, "temporary_password",
				    json_pack("{s:s}", "to", "[secret]"));
	rc = activity_from_req(r, "create", "staff", id, diff);
	json_decref(diff);
	if (rc < 0 || outbox_emit(c, r->who.org_id, "staff", id, "created",
				  NULL, rec) < 0) {
		json_decref(rec);
		return r->err.kind ? -1 : req_db_error(r);
	}
	if (db_commit(c) < 0) {
		json_decref(rec);
		return req_db_error(r);
	}
	json_object_set_new(rec, "invitation_sent", json_boolean(invite));
	if (staff_add_can_manage(r, rec) < 0) {
		json_decref(rec);
		return -1;
	}
	req_add_header(r, "Location",
		       arena_printf(r->arena, "/api/v1/staff/%lld",
				    (long long)id));
	req_etag(r, 1);
	req_json(r, 201, rec);
	return 0;
}

/* ---- edit ----------------------------------------------------------------- */

/* Whether the body sets text field k to something other than rec's (an
 * email compared as it is stored: case and spaces aside). */
static bool differs(struct req *r, json_t *rec, const char *k)
{
	const char *want = bstr(r, k);
	const char *have = json_string_value(json_object_get(rec, k));
	if (!want || !have)
		return false;
	if (strcmp(k, "email"))
		return strcmp(want, have) != 0;
	char a[EMAIL_MAX + 1], b[EMAIL_MAX + 1];
	staff_store_email_norm(want, a, sizeof a);
	staff_store_email_norm(have, b, sizeof b);
	return strcmp(a, b) != 0;
}

static int staff_h_update(struct req *r)
{
	int64_t want = req_if_match(r);
	if (want == -1)
		return atr_fail(&r->err, ATR_E_PRECOND_REQ,
				"send If-Match with the ETag of the staff "
				"record you edited");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (r->id == r->who.staff_id && !r->who.admin &&
	    json_object_get(r->body, "role_id"))
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"you cannot change your own role");
	/* One's own email changes only through Account security: with the
	 * password re-entered and confirmed from both addresses. */
	if (r->id == r->who.staff_id && json_object_get(r->body, "email"))
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"change your own email under Account "
				"security: it is confirmed from the old and "
				"the new address");
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *before = NULL;
	int rc = staff_load(c, r->who.org_id, r->id, &before);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"staff member %lld not found", (long long)r->id);
	int64_t version = json_integer_value(json_object_get(before, "version"));
	if (want != version) {
		json_decref(before);
		return atr_fail(&r->err, ATR_E_PRECONDITION,
				"the staff member was changed by someone else "
				"(now version %lld); reload and try again",
				(long long)version);
	}
	/* A membership of a person of another organisation: their email,
	 * name and password are changed there (409), the rest here. */
	bool linked = json_is_string(json_object_get(before, "home_org"));
	if (linked &&
	    (json_object_get(r->body, "must_change_password") ||
	     differs(r, before, "email") || differs(r, before, "name"))) {
		json_decref(before);
		return membership_refuse_linked(c, r->id, &r->err);
	}
	json_t *admin = json_object_get(r->body, "admin");
	if (json_is_false(admin) &&
	    json_is_true(json_object_get(before, "admin")) &&
	    json_is_true(json_object_get(before, "active")) &&
	    staff_store_active_admins(c, r->who.org_id) <= 1) {
		json_decref(before);
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"cannot remove admin from the last active "
				"administrator");
	}
	/* Who may manage whom: one rule, in the permission kernel. */
	if (perm_may_manage(c, &r->who, r->id, &r->err) < 0) {
		json_decref(before);
		return -1;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	/* A linked row's email and name stay the home row's copy (the
	 * same values may come back from a form: no change). */
	const char *email = linked ? NULL : bstr(r, "email");
	const char *name = linked ? NULL : bstr(r, "name");
	char norm[EMAIL_MAX + 1] = "";
	if (email)
		staff_store_email_norm(email, norm, sizeof norm);
	json_t *role = json_object_get(r->body, "role_id");
	struct db_stmt *st = db_prepare(
		c, "UPDATE staff SET email = COALESCE(?, email), email_norm = "
		   "COALESCE(?, email_norm), name = COALESCE(?, name), "
		   "admin = COALESCE(?, admin), role_id = CASE WHEN ? = 1 "
		   "THEN ? ELSE role_id END, must_change_password = "
		   "COALESCE(?, must_change_password), updated_at = ?, "
		   "version = version + 1 WHERE id = ? AND org_id = ?");
	if (!st) {
		json_decref(before);
		return req_db_error(r);
	}
	db_bind_text(st, 1, email);
	db_bind_text(st, 2, email ? norm : NULL);
	db_bind_text(st, 3, name);
	db_bind_opt_int(st, 4, json_is_boolean(admin), json_is_true(admin));
	db_bind_int(st, 5, role != NULL);
	db_bind_opt_int(st, 6, json_is_integer(role),
			(int64_t)json_integer_value(role));
	json_t *mc = json_object_get(r->body, "must_change_password");
	db_bind_opt_int(st, 7, json_is_boolean(mc), json_is_true(mc));
	db_bind_text(st, 8, now);
	db_bind_int(st, 9, r->id);
	db_bind_int(st, 10, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0) {
		json_decref(before);
		if (db_err_unique(c)) {
			atr_field(&r->err, "email", "taken",
				  "a staff member with this email exists");
			return -1;
		}
		return req_db_error(r);
	}
	/* The person's memberships of other organisations show the same. */
	if ((email || name) && membership_sync(c, r->id) < 0) {
		json_decref(before);
		return req_db_error(r);
	}
	json_t *deps = json_object_get(r->body, "department_ids");
	json_t *teams = json_object_get(r->body, "team_ids");
	if ((deps && staff_store_set_members(c, r->id, "staff_department",
				       "department_id", deps) < 0) ||
	    (teams && staff_store_set_members(c, r->id, "staff_team", "team_id",
					teams) < 0)) {
		json_decref(before);
		return req_db_error(r);
	}
	json_t *after = NULL;
	if (staff_load(c, r->who.org_id, r->id, &after) != 1) {
		json_decref(before);
		return req_db_error(r);
	}
	json_t *diff = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(after, key, v)
	{
		json_t *old = json_object_get(before, key);
		if (strcmp(key, "updated_at") && strcmp(key, "version") &&
		    strcmp(key, "role_name") && !json_equal(old, v))
			json_object_set_new(diff, key,
					    json_pack("{s:O,s:O}", "from", old,
						      "to", v));
	}
	rc = activity_from_req(r, "update", "staff", r->id, diff);
	if (!rc && outbox_emit(c, r->who.org_id, "staff", r->id, "updated",
			       before, after) < 0)
		rc = req_db_error(r);
	if (!rc && json_object_get(diff, "email")) {
		/* The old address learns where the account went. */
		struct staff_row old = {.id = r->id, .org_id = r->who.org_id};
		atr_strlcpy(old.name, json_string_value(json_object_get(
					      before, "name")),
			    sizeof old.name);
		atr_strlcpy(old.email, json_string_value(json_object_get(
					       before, "email")),
			    sizeof old.email);
		char what[EMAIL_MAX + 96];
		snprintf(what, sizeof what,
			 "the sign-in email of your account was changed to %s",
			 json_string_value(json_object_get(after, "email")));
		rc = auth_notify(r, &old, what);
	}
	json_decref(diff);
	json_decref(before);
	if (rc < 0 || db_commit(c) < 0 || staff_add_can_manage(r, after) < 0) {
		json_decref(after);
		return r->err.kind ? -1 : req_db_error(r);
	}
	req_etag(r, json_integer_value(json_object_get(after, "version")));
	req_json(r, 200, after);
	return 0;
}

static const struct route staff_routes[] = {
	{HTTP_GET, "/api/v1/staff", staff_h_list, ACCESS_PERM, "staff",
	 CAP_VIEW},
	{HTTP_POST, "/api/v1/staff", staff_h_create, ACCESS_PERM, "staff",
	 CAP_CREATE, &staff_create_schema, NULL, staff_check},
	{HTTP_GET, "/api/v1/staff/{id}", staff_h_get, ACCESS_PERM, "staff",
	 CAP_VIEW},
	{HTTP_PATCH, "/api/v1/staff/{id}", staff_h_update, ACCESS_PERM, "staff",
	 CAP_EDIT, &staff_update_schema, NULL, staff_check},
	{0},
};

static const struct perm_module staff_perms[] = {
	{"staff", "Staff", PB_VIEW | PB_CREATE | PB_EDIT | PB_DELETE, "staff"},
	{0},
};

/* The seat limit: MEMBERS_INCLUDED + extra_seats (the spec's licensing).
 * The figures are the organisation's row (auth/org.h), set by the
 * operator: here they are shown to the organisation, read-only. */
#define SEATS_READ_ONLY                                                        \
	"seats are set by the operator of this installation (atrium org "      \
	"seats); ask them for more"
static const struct setting_def staff_settings[] = {
	{"seats", "members_included", SET_INT, "5", 1, ORG_SEATS_MAX, NULL, 0,
	 .read = org_setting_read, .read_only = SEATS_READ_ONLY},
	{"seats", "extra_seats", SET_INT, "0", 0, ORG_SEATS_MAX, NULL, 0,
	 .read = org_setting_read, .read_only = SEATS_READ_ONLY},
	{0},
};

const struct module module_staff = {
	.name = "staff",
	.perms = staff_perms,
	.routes = staff_routes,
	.settings = staff_settings,
};
