/* session.c — cookie sessions. */
#include "atrium.h"

#include <strings.h>

#include "core/l10n.h"
#include "auth/org_act.h"
#include "auth/perm.h"
#include "auth/session.h"
#include "auth/session_guess.h"
#include "auth/session_touch.h"
#include "auth/token.h"
#include "core/app.h"
#include "core/log.h"
#include "core/settings.h"
#include "db/db.h"

static const char *cookie_name(const struct req *r)
{
	return r->app->cfg.secure_cookies ? SESSION_COOKIE_SECURE
					  : SESSION_COOKIE;
}

int session_authenticate(struct req *r)
{
	/* A request that brings a bearer credential is not a browser's
	 * session: the module that issued the credential answers for it. */
	const char *authz = req_header(r, "Authorization");
	if (authz && strncasecmp(authz, "Bearer ", 7) == 0)
		return 0;
	const char *tok = req_cookie(r, cookie_name(r));
	if (!tok || !token_well_formed(tok))
		return 0;
	char h[TOKEN_HASH_LEN + 1];
	token_hash(tok, h);
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t now_ms = atr_now_ms();
	char now[ATR_TIME_LEN];
	atr_time_iso(now_ms, now);
	/* A membership of another organisation (staff.identity_id set)
	 * reads the person's id and "must change the password" from the
	 * home row, where the password is, in the same statement. On
	 * PostgreSQL the lookup may run bound to the session's organisation
	 * (a guessed read's check, session_guess.h), where row-level
	 * security hides a home row of another: atrium_home_must_change
	 * (migration 0057) reads that one flag past it. */
#define SESSION_LOOKUP(MUST_CHANGE)                                            \
	"SELECT s.id, s.staff_id, s.org_id, s.last_seen_at, st.name, "         \
	"st.email, st.admin, " MUST_CHANGE ", s.stage, s.idle_minutes, "       \
	"s.reauth_at, s.expires_at, o.status, COALESCE(st.identity_id, "       \
	"st.id), o.kind, s.acting, st.org_id FROM session s JOIN staff st "    \
	"ON st.id = s.staff_id "                                               \
	"JOIN org o ON o.id = s.org_id WHERE s.token_hash = ? AND "            \
	"st.active = 1 AND s.expires_at > ?"
	struct db_stmt *st = db_prepare(
	    c, db_conn_dialect(c) == DB_PG
		   ? SESSION_LOOKUP("COALESCE(atrium_home_must_change("
				    "st.identity_id), st.must_change_password)")
		   : SESSION_LOOKUP("COALESCE((SELECT h.must_change_password "
				    "FROM staff h WHERE h.id = st.identity_id), "
				    "st.must_change_password)"));
#undef SESSION_LOOKUP
	if (!st)
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	db_bind_text(st, 1, h);
	db_bind_text(st, 2, now);
	struct db_stmt *two[2] = {st, NULL};
	int rcs[2] = {0, 0};
	if (db_conn_dialect(c) == DB_PG) {
		/* The member's grants travel with the session's lookup: one
		 * round trip (an administrator's are read and unused). */
		two[1] = perm_grants_stmt(c, PERM_BY_SESSION, 0, h);
		if (!two[1]) {
			db_reset(st);
			return atr_fail(&r->err, ATR_E_INTERNAL, "%s",
					db_errmsg(c));
		}
		/* A read by a session this node has seen runs on what it
		 * saw; the lookup rides with the request's first read and
		 * decides whether the answer stands (session_guess.h). */
		if (session_guess_allowed(r, c) &&
		    session_guess_get(h, &r->who)) {
			r->authed = true;
			token_csrf(tok, r->who.csrf);
			session_guess_guard(r, c, h, st, two[1]);
			return 1;
		}
		db_step_all(two, 2, rcs);
	} else if ((rcs[0] = db_step(st)) == 1 && !db_col_int(st, 6)) {
		/* In process there is no round trip to save: the session
		 * first, then a member's grants by the staff id it names
		 * (none for an administrator, whose grants nothing reads). */
		two[1] = perm_grants_stmt(c, PERM_BY_STAFF, db_col_int(st, 1),
					  NULL);
		if (!two[1]) {
			db_reset(st);
			return atr_fail(&r->err, ATR_E_INTERNAL, "%s",
					db_errmsg(c));
		}
		rcs[1] = db_step(two[1]);
	}
	bool suspended = false;
	int rc =
	    session_row_read(st, rcs[0], two[1], rcs[1], &r->who, &suspended);
	db_reset(st);
	if (two[1])
		db_reset(two[1]);
	if (rc < 0)
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	if (rc == 0)
		return 0;
	/* The session stays (resuming the organisation restores it); it
	 * is refused while the organisation is suspended (auth/org.h). */
	if (suspended) {
		memset(&r->who, 0, sizeof r->who);
		return atr_fail(&r->err, ATR_E_SUSPENDED,
				"your organisation is suspended; ask the "
				"operator of this installation");
	}
	/* Stored more than a minute ago: a touch of this process may be
	 * waiting for the batcher (session_touch.h); it counts as seen. */
	if (r->who.seen_ms < now_ms - 60000) {
		int64_t pending = session_touch_pending(r->who.session_id);
		if (pending > r->who.seen_ms)
			r->who.seen_ms = pending;
	}
	if (r->who.seen_ms + r->who.idle_ms <= now_ms) {
		memset(&r->who, 0, sizeof r->who);
		return 0; /* idle too long */
	}
	r->authed = true;
	token_csrf(tok, r->who.csrf);
	/* A session acting in another organisation is never guessed: its
	 * lookup reads the member's row of their own organisation, which
	 * row-level security hides from a read bound to the one acted in. */
	if (db_conn_dialect(c) == DB_PG && !r->who.acting)
		session_guess_put(h, &r->who);

	/* Touch at most once a minute: idle expiry needs no finer grain. A
	 * route that only reads the session's clock is no activity. The
	 * sessions module's batcher writes it (session_touch.h); when it
	 * cannot take it, the touch is written here. */
	bool touch = !(r->route && (r->route->flags & ROUTE_NO_TOUCH));
	if (touch && r->who.seen_ms < now_ms - 60000) {
		if (session_touch_record(r->who.session_id, now_ms)) {
			r->who.seen_ms = now_ms;
			return 1;
		}
		st = db_prepare(c, "UPDATE session SET last_seen_at = ? "
				   "WHERE id = ?");
		if (st) {
			db_bind_text(st, 1, now);
			db_bind_int(st, 2, r->who.session_id);
			if (db_step(st) >= 0)
				r->who.seen_ms = now_ms;
			db_reset(st);
		}
	}
	return 1;
}

static void set_cookie(struct req *r, const char *value, bool clear)
{
	const char *secure = r->app->cfg.secure_cookies ? "; Secure" : "";
	req_add_header(r, "Set-Cookie",
		       arena_printf(r->arena,
				    "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s",
				    cookie_name(r), value, secure,
				    clear ? "; Max-Age=0" : ""));
}

/* Inserts the session of staff_id (in org, or the member's own when 0;
 * acting NULL or the mode), ending at exp_ms; keeps SESSIONS_PER_MEMBER,
 * sets the cookie and r->who's session fields. 0 or -1 (r->err). */
static int session_insert(struct req *r, int64_t staff_id,
			  enum session_stage stage, int64_t org,
			  const char *acting, int64_t now_ms, int64_t exp_ms,
			  int64_t return_ms, int64_t idle)
{
	struct db_conn *c = r->db;
	char tok[TOKEN_LEN + 1], h[TOKEN_HASH_LEN + 1];
	token_new(tok);
	token_hash(tok, h);
	char now[ATR_TIME_LEN], exp[ATR_TIME_LEN], ret[ATR_TIME_LEN];
	atr_time_iso(now_ms, now);
	atr_time_iso(exp_ms, exp);
	atr_time_iso(return_ms, ret);
	static const char *const stages[] = {"full", "mfa", "enrol"};
	struct db_stmt *st = db_prepare(
	    c, "INSERT INTO session (org_id, staff_id, token_hash, "
	       "created_at, last_seen_at, expires_at, ip, user_agent, "
	       "stage, idle_minutes, acting, return_expires_at) "
	       "SELECT COALESCE(?, org_id), id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
	       "FROM staff WHERE id = ? RETURNING id, org_id");
	if (!st)
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	if (org)
		db_bind_int(st, 1, org);
	else
		db_bind_null(st, 1);
	db_bind_text(st, 2, h);
	db_bind_text(st, 3, now);
	db_bind_text(st, 4, now);
	db_bind_text(st, 5, exp);
	db_bind_text(st, 6, r->ip);
	char ua[256];
	atr_strlcpy(ua, r->user_agent ? r->user_agent : "", sizeof ua);
	db_bind_text(st, 7, ua);
	db_bind_text(st, 8, stages[stage]);
	db_bind_int(st, 9, idle);
	if (acting) {
		db_bind_text(st, 10, acting);
		db_bind_text(st, 11, ret);
	} else {
		db_bind_null(st, 10);
		db_bind_null(st, 11);
	}
	db_bind_int(st, 12, staff_id);
	int rc = db_step(st);
	if (rc == 1) {
		r->who.session_id = db_col_int(st, 0);
		r->who.org_id = db_col_int(st, 1);
	}
	db_reset(st);
	if (rc != 1)
		return atr_fail(&r->err, ATR_E_INTERNAL,
				"cannot create session: %s", db_errmsg(c));
	/* At most SESSIONS_PER_MEMBER live sessions: the oldest end. */
	st = db_prepare(c, "DELETE FROM session WHERE staff_id = ? AND id NOT "
			   "IN (SELECT id FROM session WHERE staff_id = ? "
			   "ORDER BY id DESC LIMIT ?)");
	if (!st)
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	db_bind_int(st, 1, staff_id);
	db_bind_int(st, 2, staff_id);
	db_bind_int(st, 3, SESSIONS_PER_MEMBER);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	r->who.staff_id = staff_id;
	r->who.stage = stage;
	r->who.seen_ms = now_ms;
	r->who.idle_ms = idle * 60000;
	r->who.expires_ms = exp_ms;
	r->authed = true;
	token_csrf(tok, r->who.csrf);
	set_cookie(r, tok, false);
	return 0;
}

/* The session settings of org: idle minutes and absolute hours. 0 or -1
 * (r->err). */
static int session_limits(struct req *r, int64_t org, int64_t *idle,
			  int64_t *hours)
{
	*idle = 30, *hours = 12; /* the settings' own defaults */
	if (settings_get_int(r->db, org, "session_idle_minutes", idle) < 0 ||
	    settings_get_int(r->db, org, "session_absolute_hours", hours) < 0)
		return req_db_error(r);
	return 0;
}

int session_create(struct req *r, int64_t staff_id, enum session_stage stage)
{
	struct db_conn *c = r->db;
	/* Every way in (password, link, 2FA, setup) ends here: a member of
	 * a suspended organisation gets no session (auth/org.h). */
	struct db_stmt *st = db_prepare(
	    c, "SELECT o.status, COALESCE(s.identity_id, s.id), o.id, o.kind "
	       "FROM staff s JOIN org o ON o.id = s.org_id WHERE "
	       "s.id = ?");
	if (!st)
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	bool suspended = rc == 1 && !strcmp(db_col_text(st, 0), "suspended");
	int64_t person = rc == 1 ? db_col_int(st, 1) : staff_id;
	int64_t org = rc == 1 ? db_col_int(st, 2) : 1;
	/* The answer of the sign-in names the operator's administrators
	 * (session_me_json), as every later lookup does. */
	r->who.operator_org =
	    rc == 1 && !strcmp(db_col_text(st, 3), "operator");
	db_reset(st);
	if (rc < 0)
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	if (suspended)
		return atr_fail(&r->err, ATR_E_SUSPENDED,
				"your organisation is suspended, so its "
				"members cannot sign in; ask the operator of "
				"this installation");
	/* Lifetimes come from the security settings of the member's
	 * organisation; a half-finished sign-in lives ten minutes at most. */
	int64_t idle, hours;
	if (session_limits(r, org, &idle, &hours) < 0)
		return -1;
	int64_t life_ms = stage == STAGE_FULL ? hours * 3600000 : 600000;
	int64_t now_ms = atr_now_ms();
	r->who.person_id = person;
	r->who.acting = ACT_NONE;
	r->who.home_org_id = 0;
	return session_insert(r, staff_id, stage, 0, NULL, now_ms,
			      now_ms + life_ms, 0, idle);
}

int session_create_acting(struct req *r, int64_t staff_id,
			  const struct session_acting *a)
{
	int64_t idle, hours;
	if (session_limits(r, a->org_id, &idle, &hours) < 0)
		return -1;
	r->who.operator_org = false;
	r->who.acting = a->mode;
	if (session_insert(r, staff_id, STAGE_FULL, a->org_id,
			   a->mode == ACT_OPERATOR ? "operator" : "parent",
			   atr_now_ms(), a->until_ms, a->return_ms, idle) < 0)
		return -1;
	return 0;
}

int session_end_all(struct db_conn *c, int64_t staff_id, int64_t keep_id)
{
	struct db_stmt *st = db_prepare(
		c, "DELETE FROM session WHERE staff_id = ? AND id <> ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	db_bind_int(st, 2, keep_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int session_end_person(struct db_conn *c, int64_t person_id, int64_t keep_id)
{
	struct db_stmt *st = db_prepare(
	    c, "DELETE FROM session WHERE id <> ? AND staff_id IN (SELECT "
	       "id FROM staff WHERE id = ? OR identity_id = ?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, keep_id);
	db_bind_int(st, 2, person_id);
	db_bind_int(st, 3, person_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int session_end(struct req *r)
{
	struct db_stmt *st =
		db_prepare(r->db, "DELETE FROM session WHERE id = ?");
	if (!st)
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s",
				db_errmsg(r->db));
	db_bind_int(st, 1, r->who.session_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s",
				db_errmsg(r->db));
	set_cookie(r, "", true);
	return 0;
}

/* Whole seconds from now to t, never negative. */
static json_int_t secs_until(int64_t t, int64_t now)
{
	return t > now ? (json_int_t)((t - now) / 1000) : 0;
}

json_t *session_times_json(struct req *r)
{
	/* A read on a guessed session knows its clock only once the guess
	 * is checked (another node may have touched it): check it now. */
	if (r->db && db_guard_pending(r->db))
		db_guard_run(r->db);
	int64_t now = atr_now_ms();
	int64_t idle_end = r->who.seen_ms + r->who.idle_ms;
	char idle_s[ATR_TIME_LEN], end_s[ATR_TIME_LEN];
	atr_time_iso(idle_end, idle_s);
	atr_time_iso(r->who.expires_ms, end_s);
	return json_pack("{s:I,s:s,s:s,s:I,s:I}", "idle_minutes",
			 (json_int_t)(r->who.idle_ms / 60000), "idle_expires_at",
			 idle_s, "expires_at", end_s, "idle_expires_in",
			 secs_until(idle_end, now), "expires_in",
			 secs_until(r->who.expires_ms, now));
}

json_t *session_me_json(struct req *r)
{
	/* The effective permissions let the UI show only what the member may
	 * use; the server enforces them regardless. */
	json_t *perms = json_object();
	int n = perm_module_count();
	for (int m = 0; m < n; m++) {
		const struct perm_module *pm = perm_module_at(m);
		json_t *caps = json_array();
		for (unsigned bit = 1; bit <= PB_DELETE; bit <<= 1)
			if ((pm->caps & bit) &&
			    (r->who.admin || (r->who.perms.bits[m] & bit)))
				json_array_append_new(
					caps, json_string(perm_bit_name(bit)));
		if (json_array_size(caps))
			json_object_set_new(perms, pm->name, caps);
		else
			json_decref(caps);
	}
	static const char *const stages[] = {"full", "mfa", "enrol"};
	json_t *l10n = NULL;
	struct db_conn *c = req_db(r);
	if (c)
		l10n = l10n_me_json(c, r->who.org_id, r->who.staff_id);
	if (!l10n) {
		atr_log("cannot read the localization of member %lld: %s",
			  (long long)r->who.staff_id, c ? db_errmsg(c) : "no db");
		l10n = json_null();
	}
	if (r->who.token_id)
		return json_pack("{s:{s:I,s:s,s:s,s:b,s:I,s:b,s:o},s:{s:I},s:s,s:o}",
				 "staff", "id", (json_int_t)r->who.staff_id,
				 "email", r->who.email, "name", r->who.name,
				 "admin", r->who.admin, "org_id",
				 (json_int_t)r->who.org_id,
				 "must_change_password", false, "permissions",
				 perms, "api_token", "id",
				 (json_int_t)r->who.token_id, "stage", "full",
				 "localization", l10n);
	json_t *me = json_pack(
	    "{s:{s:I,s:s,s:s,s:b,s:I,s:b,s:o,s:b,s:b},s:s,s:s,s:o,s:o}",
	    "staff", "id", (json_int_t)r->who.staff_id, "email", r->who.email,
	    "name", r->who.name, "admin", r->who.admin, "org_id",
	    (json_int_t)r->who.org_id, "must_change_password",
	    r->who.must_change_password, "permissions", perms, "operator",
	    r->who.admin && r->who.operator_org, "operator_org",
	    r->who.operator_org, "csrf_token", r->who.csrf, "stage",
	    stages[r->who.stage], "session", session_times_json(r),
	    "localization", l10n);
	/* A session acting in another organisation says where and till
	 * when (the banner of the web admin); null otherwise. */
	json_t *acting = r->who.acting && c ? org_act_json(r) : json_null();
	if (!acting) {
		atr_log("cannot read where session %lld acts: %s",
			(long long)r->who.session_id, db_errmsg(c));
		acting = json_null();
	}
	json_object_set_new(me, "acting", acting);
	return me;
}
