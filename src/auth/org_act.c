/* org_act.c — acting in another organisation than one's own (issue 17,
 * docs/internals/organisations.md "Acting in another organisation"):
 *
 *   GET  /api/v1/auth/act      whether this session acts, and where it may
 *   POST /api/v1/auth/act      {org_id, reason}: start (re-authenticated)
 *   POST /api/v1/auth/act/end  leave, back to the member's own organisation
 *
 * Two modes, one mechanism. Operator mode: an administrator of the
 * operator organisation enters a business or a merchant as an
 * administrator there. Parent scope: a member of a business whose role
 * holds "merchants" (view, create, edit; an administrator holds them all)
 * enters one of the business's merchants with their own grants on the
 * record modules, cut down to those (perm_parent_scope); never the other
 * way up, never a sibling. No other cross-organisation query exists.
 *
 * Like the switcher, entering issues a new session id (session.acting,
 * org_id the organisation entered, staff_id the member's own row) and
 * revokes the old one. It lasts ACT_MINUTES at most, and never past the
 * sign-in's own end; leaving gives a session of the member's own
 * organisation back, ending no later than the one it replaced. The start,
 * the end and every activity row written while acting land in both
 * organisations' chains (activity_mirror), the reason with the start.
 */
#include "atrium.h"

#include "auth/auth.h"
#include "auth/org_act.h"
#include "auth/session.h"
#include "auth/staff_store.h"
#include "core/activity.h"
#include "core/module.h"
#include "db/db.h"
#include "http/perm.h"

#define ACT_MINUTES 15
#define ACT_REASON_MAX 500
#define ACT_LIST_MAX 500 /* organisations GET lists */

static const char *mode_name(enum principal_acting m)
{
	return m == ACT_OPERATOR ? "operator" : "parent";
}

/* Whether the caller's role reaches the business's merchants. */
static bool holds_parent_scope(const struct principal *p)
{
	if (p->admin)
		return true;
	int m = perm_module_index("merchants");
	return m >= 0 && (p->perms.bits[m] & (PB_VIEW | PB_CREATE | PB_EDIT));
}

/* The SQL condition of the organisations the caller (not acting) may
 * enter, and its mode; NULL: none. Binds the caller's organisation. */
static const char *enterable(const struct principal *p,
			     enum principal_acting *mode)
{
	if (p->operator_org && p->admin) {
		*mode = ACT_OPERATOR;
		return "o.kind <> 'operator' AND o.id <> ?";
	}
	if (holds_parent_scope(p)) {
		*mode = ACT_PARENT;
		return "o.kind = 'merchant' AND o.parent_id = ?";
	}
	return NULL;
}

/* Organisation org if the caller may enter it: 1 with *mode, the name and
 * the status; 0 not (whether it exists or not); -1 database error. */
static int may_enter(struct req *r, int64_t org, enum principal_acting *mode,
		     char *name, size_t n, bool *suspended)
{
	const char *cond = enterable(&r->who, mode);
	if (!cond)
		return 0;
	char sql[256];
	snprintf(sql, sizeof sql,
		 "SELECT o.name, o.status FROM org o WHERE o.id = ? AND %s",
		 cond);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		atr_strlcpy(name, db_col_text(st, 0), n);
		*suspended = !strcmp(db_col_text(st, 1), "suspended");
	}
	db_reset(st);
	return rc;
}

/* An activity row in org's chain about organisation target (the start or
 * the end of acting there), with diff. */
static int act_log(struct req *r, int64_t org, const char *actor_name,
		   const char *action, int64_t target, const json_t *diff)
{
	struct activity a = {
	    .org_id = org,
	    .actor_id = r->who.staff_id,
	    .actor_name = actor_name,
	    .action = action,
	    .entity = "org",
	    .entity_id = target,
	    .diff = diff,
	    .ip = r->ip,
	    .request_id = r->request_id,
	};
	/* The organisation entered is written past row-level security's
	 * binding to the caller's own, as the mirror of every later row. */
	db_conn_as_owner(r->db, true);
	int rc = activity_record(r->db, &a);
	db_conn_as_owner(r->db, false);
	return rc < 0 ? req_db_error(r) : 0;
}

static int delete_session(struct req *r, int64_t id)
{
	struct db_stmt *st = db_prepare(r->db, "DELETE FROM session WHERE "
					       "id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? req_db_error(r) : 0;
}

json_t *org_act_json(struct req *r)
{
	if (!r->who.acting)
		return json_null();
	struct db_stmt *st = db_prepare(
	    r->db, "SELECT a.name, h.name FROM org a, org h WHERE a.id = ? AND "
		   "h.id = ?");
	if (!st)
		return NULL;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, r->who.home_org_id);
	int rc = db_step(st);
	char until[ATR_TIME_LEN];
	atr_time_iso(r->who.expires_ms, until);
	json_t *j =
	    rc == 1   ? json_pack("{s:s,s:I,s:s,s:I,s:s,s:s}", "mode",
				  mode_name(r->who.acting), "org_id",
				  (json_int_t)r->who.org_id, "org_name",
				  db_col_text(st, 0), "home_org_id",
				  (json_int_t)r->who.home_org_id, "home_org_name",
				  db_col_text(st, 1), "until", until)
	    : rc == 0 ? json_null()
		      : NULL;
	db_reset(st);
	return j;
}

/* The organisations the caller may enter (at most ACT_LIST_MAX, by
 * name), as [{id, name, kind, status}]; NULL on a database error. */
static json_t *enterable_list(struct req *r)
{
	enum principal_acting mode;
	const char *cond = r->who.acting ? NULL : enterable(&r->who, &mode);
	json_t *a = json_array();
	if (!cond)
		return a;
	char sql[320];
	snprintf(sql, sizeof sql,
		 "SELECT o.id, o.name, o.kind, o.status FROM org o WHERE %s "
		 "ORDER BY o.name, o.id LIMIT %d",
		 cond, ACT_LIST_MAX);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st) {
		json_decref(a);
		return NULL;
	}
	db_bind_int(st, 1, r->who.org_id);
	int rc;
	while ((rc = db_step(st)) == 1)
		json_array_append_new(
		    a, json_pack("{s:I,s:s,s:s,s:s,s:s}", "id",
				 (json_int_t)db_col_int(st, 0), "name",
				 db_col_text(st, 1), "kind", db_col_text(st, 2),
				 "status", db_col_text(st, 3), "mode",
				 mode_name(mode)));
	db_reset(st);
	if (rc < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* GET /api/v1/auth/act */
static int act_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *acting = org_act_json(r);
	json_t *orgs = acting ? enterable_list(r) : NULL;
	if (!acting || !orgs) {
		json_decref(acting);
		return req_db_error(r);
	}
	req_json(r, 200,
		 json_pack("{s:o,s:o,s:I}", "acting", acting, "orgs", orgs,
			   "minutes", (json_int_t)ACT_MINUTES));
	return 0;
}

/* "me" (with "acting"), the answer of both changes. */
static int answer_me(struct req *r)
{
	req_json(r, 200, session_me_json(r));
	return 0;
}

static const struct field act_fields[] = {
    {"org_id", FT_INT, F_REQUIRED, 0, NULL, NULL},
    {"reason", FT_TEXT, F_REQUIRED, ACT_REASON_MAX, NULL, NULL},
};
static const struct schema act_schema = SCHEMA(act_fields);

/* POST /api/v1/auth/act {org_id, reason}: 200 with the new session's "me"
 * (its CSRF token), the cookie replaced. */
static int act_h_start(struct req *r)
{
	json_int_t want =
	    json_integer_value(json_object_get(r->body, "org_id"));
	const char *reason =
	    json_string_value(json_object_get(r->body, "reason"));
	if (!req_db(r))
		return -1;
	if (r->who.acting)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"this session acts in organisation %lld "
				"already; leave it first",
				(long long)r->who.org_id);
	enum principal_acting mode = ACT_NONE;
	char name[256] = "";
	bool suspended = false;
	int rc =
	    may_enter(r, (int64_t)want, &mode, name, sizeof name, &suspended);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"organisation %lld not found among those you "
				"may act in",
				(long long)want);
	if (suspended)
		return atr_fail(&r->err, ATR_E_SUSPENDED,
				"organisation '%s' is suspended; resume it "
				"first",
				name);
	int64_t now = atr_now_ms(), home = r->who.org_id;
	int64_t old_session = r->who.session_id, old_end = r->who.expires_ms;
	struct session_acting a = {
	    .org_id = (int64_t)want,
	    .mode = mode,
	    .until_ms = now + ACT_MINUTES * 60000LL,
	    .return_ms = old_end,
	};
	if (a.until_ms > old_end)
		a.until_ms = old_end;
	char until[ATR_TIME_LEN];
	atr_time_iso(a.until_ms, until);
	json_t *diff =
	    json_pack("{s:{s:I},s:{s:s},s:{s:s},s:{s:s}}", "org", "to",
		      (json_int_t)want, "mode", "to", mode_name(mode), "reason",
		      "to", reason, "until", "to", until);
	if (db_begin(r->db) < 0) {
		json_decref(diff);
		return req_db_error(r);
	}
	rc = act_log(r, home, r->who.name, "act_start", a.org_id, diff);
	if (rc == 0)
		rc = delete_session(r, old_session);
	if (rc == 0)
		rc = session_create_acting(r, r->who.staff_id, &a);
	if (rc == 0) {
		r->who.home_org_id = home;
		if (mode == ACT_PARENT)
			perm_parent_scope(&r->who);
		rc = act_log(r, a.org_id, req_actor_name(r), "act_start",
			     a.org_id, diff);
	}
	json_decref(diff);
	if (rc < 0 || db_commit(r->db) < 0) {
		db_rollback(r->db);
		return r->err.kind != ATR_E_NONE ? -1 : req_db_error(r);
	}
	return answer_me(r);
}

/* POST /api/v1/auth/act/end: 200 with "me" of a session of the member's
 * own organisation. */
static int act_h_end(struct req *r)
{
	if (!req_db(r))
		return -1;
	if (!r->who.acting)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"this session does not act in another "
				"organisation");
	struct db_stmt *st = db_prepare(
	    r->db, "SELECT return_expires_at FROM session WHERE id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.session_id);
	int rc = db_step(st);
	int64_t back = rc == 1 && db_col_text(st, 0)
			   ? atr_iso_ms(db_col_text(st, 0))
			   : r->who.expires_ms;
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	struct staff_row s = {0};
	rc = staff_store_load(r->db, "id", NULL, r->who.staff_id, &s);
	if (rc < 0)
		return req_db_error(r);
	int64_t target = r->who.org_id, home = r->who.home_org_id;
	json_t *diff = json_pack("{s:{s:I,s:I},s:{s:s}}", "org", "from",
				 (json_int_t)target, "to", (json_int_t)home,
				 "mode", "from", mode_name(r->who.acting));
	if (db_begin(r->db) < 0) {
		json_decref(diff);
		return req_db_error(r);
	}
	rc = act_log(r, target, req_actor_name(r), "act_end", target, diff);
	if (rc == 0)
		rc = act_log(r, home, r->who.name, "act_end", target, diff);
	json_decref(diff);
	if (rc == 0)
		rc = delete_session(r, r->who.session_id);
	/* The member's own principal again, as a sign-in would fill it. */
	int64_t person = r->who.person_id;
	bool must_change = r->who.must_change_password;
	if (rc == 0) {
		memset(&r->who, 0, sizeof r->who);
		s.must_change = must_change;
		rc = auth_fill_principal(r, &s);
	}
	if (rc == 0)
		rc = session_create(r, s.id, STAGE_FULL);
	r->who.person_id = person;
	/* Never later than the sign-in that entered. */
	if (rc == 0 && r->who.expires_ms > back) {
		char end[ATR_TIME_LEN];
		atr_time_iso(back, end);
		st = db_prepare(r->db, "UPDATE session SET expires_at = ? "
				       "WHERE id = ?");
		if (!st)
			rc = req_db_error(r);
		else {
			db_bind_text(st, 1, end);
			db_bind_int(st, 2, r->who.session_id);
			if (db_step(st) < 0)
				rc = req_db_error(r);
			db_reset(st);
			r->who.expires_ms = back;
		}
	}
	if (rc < 0 || db_commit(r->db) < 0) {
		db_rollback(r->db);
		return r->err.kind != ATR_E_NONE ? -1 : req_db_error(r);
	}
	return answer_me(r);
}

static const struct route org_act_routes[] = {
    {HTTP_GET, "/api/v1/auth/act", act_h_get, ACCESS_SESSION},
    {HTTP_POST, "/api/v1/auth/act", act_h_start, ACCESS_SESSION, NULL, 0,
     &act_schema, NULL, NULL, ROUTE_REAUTH},
    {HTTP_POST, "/api/v1/auth/act/end", act_h_end, ACCESS_SESSION, NULL, 0,
     &schema_empty},
    {0},
};

static const struct perm_module org_act_perms[] = {
    {"merchants", "Merchants (parent scope)", PB_VIEW | PB_CREATE | PB_EDIT,
     NULL},
    {0},
};

const struct module module_org_act = {
    .name = "org_act",
    .perms = org_act_perms,
    .routes = org_act_routes,
};
