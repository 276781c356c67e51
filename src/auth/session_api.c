/* session_api.c — the current session's clock, "my sessions" (device,
 * address, last seen) with revoke, and an administrator ending every
 * session of a member. */
#include "atrium.h"

#include "auth/auth.h"
#include "auth/membership.h"
#include "auth/perm.h"
#include "auth/session.h"
#include "auth/session_guess.h"
#include "auth/session_touch.h"
#include "core/activity.h"
#include "core/module.h"
#include "db/db.h"

/* GET /api/v1/auth/session: how long the current session has left, read
 * without extending it (ROUTE_NO_TOUCH), so the web UI can warn before
 * the idle limit without keeping an unattended session alive. */
static int session_h_clock(struct req *r)
{
	req_json(r, 200, session_times_json(r));
	return 0;
}

static int sessions_h_list(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
	    c, "SELECT s.id, s.created_at, s.last_seen_at, s.expires_at, "
	       "s.ip, s.user_agent, s.stage, o.id, o.name FROM session s "
	       "JOIN org o ON o.id = s.org_id WHERE s.staff_id IN (SELECT "
	       "id FROM staff WHERE id = ? OR identity_id = ?) AND "
	       "s.expires_at > ? ORDER BY s.last_seen_at DESC, s.id DESC");
	if (!st)
		return req_db_error(r);
	/* The person's sessions, in every organisation they belong to. */
	db_bind_int(st, 1, who_person(&r->who));
	db_bind_int(st, 2, who_person(&r->who));
	db_bind_text(st, 3, now);
	json_t *data = json_array();
	int rc;
	while ((rc = db_step(st)) == 1) {
		const char *ip = db_col_text(st, 4), *ua = db_col_text(st, 5);
		json_array_append_new(
		    data,
		    json_pack("{s:I,s:s,s:s,s:s,s:o,s:o,s:s,s:b,s:I,s:s}", "id",
			      (json_int_t)db_col_int(st, 0), "created_at",
			      db_col_text(st, 1), "last_seen_at",
			      db_col_text(st, 2), "expires_at",
			      db_col_text(st, 3), "ip",
			      ip ? json_string(ip) : json_null(), "user_agent",
			      ua ? json_string(ua) : json_null(), "stage",
			      db_col_text(st, 6), "current",
			      db_col_int(st, 0) == r->who.session_id, "org_id",
			      (json_int_t)db_col_int(st, 7), "org_name",
			      db_col_text(st, 8)));
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(data);
		return req_db_error(r);
	}
	req_json(r, 200, json_pack("{s:o}", "data", data));
	return 0;
}

/* DELETE /api/v1/auth/sessions/{id}: ends one of the person's sessions,
 * in any of their organisations (another's id answers 404). */
static int sessions_h_revoke(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	struct db_stmt *st = db_prepare(
	    c, "DELETE FROM session WHERE id = ? AND staff_id IN (SELECT "
	       "id FROM staff WHERE id = ? OR identity_id = ?) RETURNING id");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, who_person(&r->who));
	db_bind_int(st, 3, who_person(&r->who));
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"session %lld not found", (long long)r->id);
	json_t *diff = json_pack("{s:{s:I}}", "session", "from",
				 (json_int_t)r->id);
	rc = activity_from_req(r, "session_revoked", "staff",
			       r->who.staff_id, diff);
	json_decref(diff);
	if (rc < 0 || db_commit(c) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	r->status = 204;
	return 0;
}

/* POST /api/v1/staff/{id}/sessions/end: every session of the member ends
 * now (the caller's own stays when they end their own). */
static int sessions_h_end_all(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	/* Who may manage whom: one rule, in the permission kernel. */
	if (perm_may_manage(c, &r->who, r->id, &r->err) < 0 ||
	    membership_refuse_linked(c, r->id, &r->err) < 0)
		return -1;
	if (db_begin(c) < 0 ||
	    session_end_all(c, r->id,
			    r->id == r->who.staff_id ? r->who.session_id : 0) <
		    0)
		return req_db_error(r);
	if (auth_event(r, "sessions_ended", r->id) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	r->status = 204;
	return 0;
}

static const struct route session_routes[] = {
	{HTTP_GET, "/api/v1/auth/session", session_h_clock, ACCESS_SESSION,
	 NULL, 0, NULL, NULL, NULL,
	 ROUTE_NO_TOUCH | ROUTE_PASSWORD_CHANGE_OK | ROUTE_MFA_OK |
		 ROUTE_ENROL_OK},
	{HTTP_GET, "/api/v1/auth/sessions", sessions_h_list, ACCESS_SESSION},
	{HTTP_DELETE, "/api/v1/auth/sessions/{id}", sessions_h_revoke,
	 ACCESS_SESSION},
	{HTTP_POST, "/api/v1/staff/{id}/sessions/end", sessions_h_end_all,
	 ACCESS_PERM, "staff", CAP_EDIT, &schema_empty},
	{0},
};

const struct module module_sessions = {
    .name = "sessions",
    .routes = session_routes,
    .authenticate = session_authenticate,
    .metrics = session_guess_metrics,
    .start = session_touch_start,
    .stop = session_touch_stop,
};
