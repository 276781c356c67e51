/* org_switch.c — the organisation switcher: the person's memberships
 * (GET /api/v1/auth/orgs) and a session moved to another of them
 * (POST /api/v1/auth/switch), docs/internals/organisations.md.
 *
 * A session is bound to one membership row (session.staff_id, org_id), so
 * everything downstream (grants, the session guess, every query scoped by
 * the organisation) is unchanged. A switch issues a new session id bound
 * to the other membership, never reusing an id across organisations, and
 * revokes the old one; its absolute end does not move later than the old
 * session's, so switching back and forth never extends a sign-in. An
 * organisation the person is not an active member of answers 404 whether
 * or not it exists.
 */
#include "atrium.h"

#include "auth/auth.h"
#include "auth/membership.h"
#include "auth/session.h"
#include "auth/twofa.h"
#include "core/activity.h"
#include "core/module.h"
#include "db/db.h"

/* GET /api/v1/auth/orgs: the person's active memberships. */
static int orgs_h_list(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *a = membership_list(c, who_person(&r->who), r->who.staff_id);
	if (!a)
		return req_db_error(r);
	req_json(r, 200, json_pack("{s:o}", "data", a));
	return 0;
}

static const struct field switch_fields[] = {
    {"org_id", FT_INT, F_REQUIRED, 0, NULL, NULL},
};
static const struct schema switch_schema = SCHEMA(switch_fields);

/* An activity row of the switch in org, as the membership actor. */
static int switch_log(struct req *r, int64_t org, int64_t actor,
		      const char *action, int64_t from, int64_t to)
{
	json_t *diff = json_pack("{s:{s:I,s:I}}", "org", "from",
				 (json_int_t)from, "to", (json_int_t)to);
	struct activity a = {
	    .org_id = org,
	    .actor_id = actor,
	    .actor_name = r->who.name,
	    .action = action,
	    .entity = "staff",
	    .entity_id = actor,
	    .diff = diff,
	    .ip = r->ip,
	    .request_id = r->request_id,
	};
	int rc = activity_record(r->db, &a);
	json_decref(diff);
	return rc < 0 ? req_db_error(r) : 0;
}

/* POST /api/v1/auth/switch {org_id}: 200 with the new session's "me"
 * (its CSRF token), the cookie replaced. */
static int orgs_h_switch(struct req *r)
{
	/* A positive integer: the route's schema checked it. */
	json_int_t want =
	    json_integer_value(json_object_get(r->body, "org_id"));
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (r->who.acting)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"this session acts in organisation %lld; "
				"leave it first",
				(long long)r->who.org_id);
	int64_t person = who_person(&r->who);
	struct staff_row m = {0};
	int found = membership_in(c, person, (int64_t)want, &m);
	if (found < 0)
		return req_db_error(r);
	if (!found)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"organisation %lld not found among yours",
				(long long)want);
	int on = twofa_enabled(c, person);
	int req2 = on ? 0 : twofa_required(c, m.org_id, m.id);
	if (on < 0 || req2 < 0)
		return req_db_error(r);
	int64_t old_session = r->who.session_id, old_staff = r->who.staff_id;
	int64_t old_org = r->who.org_id, old_end = r->who.expires_ms;
	bool must_change = r->who.must_change_password;
	if (db_begin(c) < 0)
		return req_db_error(r);
	if (switch_log(r, old_org, old_staff, "org_switch_out", old_org,
		       m.org_id) < 0)
		return -1;
	struct db_stmt *st = db_prepare(c, "DELETE FROM session WHERE id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, old_session);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	m.must_change = must_change;
	if (auth_fill_principal(r, &m) < 0 ||
	    session_create(r, m.id, req2 ? STAGE_ENROL : STAGE_FULL) < 0)
		return -1;
	/* The sign-in's absolute end stays where it was. */
	if (r->who.expires_ms > old_end) {
		char end[ATR_TIME_LEN];
		atr_time_iso(old_end, end);
		st = db_prepare(c, "UPDATE session SET expires_at = ? WHERE "
				   "id = ?");
		if (!st)
			return req_db_error(r);
		db_bind_text(st, 1, end);
		db_bind_int(st, 2, r->who.session_id);
		rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return req_db_error(r);
		r->who.expires_ms = old_end;
	}
	/* The next sign-in lands here (auth/membership.h). */
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	st = db_prepare(c, "UPDATE staff SET last_login_at = ? WHERE id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, m.id);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (switch_log(r, m.org_id, m.id, "org_switch_in", old_org, m.org_id) <
	    0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 200, session_me_json(r));
	return 0;
}

static const struct route org_switch_routes[] = {
    {HTTP_GET, "/api/v1/auth/orgs", orgs_h_list, ACCESS_SESSION},
    {HTTP_POST, "/api/v1/auth/switch", orgs_h_switch, ACCESS_SESSION, NULL, 0,
     &switch_schema},
    {0},
};

const struct module module_org_switch = {
    .name = "org_switch",
    .routes = org_switch_routes,
};
