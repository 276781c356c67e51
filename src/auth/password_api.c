/* password_api.c — the password routes: set and reset from a single-use
 * link, "forgot password", and a member's own change; the links
 * themselves (auth_send_link, auth_find_token).
 *
 * Password links (invitation, reset) are single-use tokens stored hashed;
 * using one ends every other session of the member. Argon2 runs before the
 * write transaction, so the database write lock is never held while
 * hashing, and the token is checked before it, so a bad link costs
 * nothing.
 */
#include "atrium.h"

#include <sodium.h>

#include "auth/auth.h"
#include "auth/membership.h"
#include "auth/password.h"
#include "auth/perm.h"
#include "auth/session.h"
#include "auth/throttle.h"
#include "auth/token.h"
#include "auth/twofa.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "email/email.h"

static const struct field token_password_fields[] = {
	{"token", FT_SECRET, F_REQUIRED, 100, NULL, NULL},
	{"password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL, NULL},
};
static const struct schema token_password_schema =
	SCHEMA(token_password_fields);

static const struct field token_fields[] = {
	{"token", FT_SECRET, F_REQUIRED, 100, NULL, NULL},
};
static const struct schema token_schema = SCHEMA(token_fields);

static const struct field forgot_fields[] = {
	{"email", FT_TEXT, F_REQUIRED, EMAIL_MAX, NULL, NULL},
};
static const struct schema forgot_schema = SCHEMA(forgot_fields);

static const struct field password_change_fields[] = {
	{"current_password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL,
	 NULL},
	{"new_password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL, NULL},
};
static const struct schema password_change_schema =
	SCHEMA(password_change_fields);

static const char *body_str(struct req *r, const char *k)
{
	return json_string_value(json_object_get(r->body, k));
}

/* Finds a live single-use token of `purpose` (without using it). 1 and
 * *staff_id, 0 when unknown, used or expired, -1 on error. */
int auth_find_token(struct db_conn *c, const char *token,
		      const char *purpose, int64_t *staff_id, bool consume)
{
	if (!token_well_formed(token))
		return 0;
	char h[TOKEN_HASH_LEN + 1], now[ATR_TIME_LEN];
	token_hash(token, h);
	atr_now_iso(now);
	struct db_stmt *st;
	int i = 1;
	if (consume) {
		st = db_prepare(c, "UPDATE auth_token SET used_at = ? WHERE "
				   "token_hash = ? AND purpose = ? AND used_at "
				   "IS NULL AND expires_at > ? RETURNING "
				   "staff_id");
		if (!st)
			return -1;
		db_bind_text(st, i++, now);
	} else {
		st = db_prepare(c, "SELECT staff_id FROM auth_token WHERE "
				   "token_hash = ? AND purpose = ? AND used_at "
				   "IS NULL AND expires_at > ?");
		if (!st)
			return -1;
	}
	db_bind_text(st, i++, h);
	db_bind_text(st, i++, purpose);
	db_bind_text(st, i++, now);
	int rc = db_step(st);
	if (rc == 1)
		*staff_id = db_col_null(st, 0) ? 0 : db_col_int(st, 0);
	db_reset(st);
	return rc;
}

int auth_set_password(struct req *r, const struct staff_row *s,
		      const char *hash)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE staff SET password_hash = ?, updated_at = ?, "
		       "must_change_password = 0 WHERE id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_text(st, 1, hash);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, s->id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 || password_history_push(r->db, s->org_id, s->id, hash) < 0)
		return req_db_error(r);
	return 0;
}

/* Unusable links count per address, like failed sign-ins (and with the
 * same threshold, login_ip_max_failures): the check and the links
 * themselves share the key, so neither is a cheaper oracle. */
static const char *link_key(struct req *r)
{
	return arena_printf(r->arena, "link-ip:%s", r->ip);
}

/* Counts an unusable link against the caller's address, in a transaction
 * of its own. 0 or -1 (r->err). */
static int link_failed(struct req *r)
{
	if (db_begin(r->db) < 0 ||
	    throttle_fail(r->db, link_key(r),
			  r->app->cfg.login_ip_max_failures) < 0 ||
	    db_commit(r->db) < 0)
		return req_db_error(r);
	return 0;
}

/* Whether the body's token is a live link of `purpose` whose member is
 * active, without using it; fills *s. 1, 0, or -1 (r->err). */
static int link_usable(struct req *r, const char *purpose,
		       struct staff_row *s)
{
	int64_t staff_id = 0;
	int t = auth_find_token(r->db, body_str(r, "token"), purpose,
				&staff_id, false);
	if (t < 0)
		return req_db_error(r);
	int found = t == 1 && staff_id
			    ? staff_store_load(r->db, "id", NULL, staff_id, s)
			    : 0;
	if (found < 0)
		return req_db_error(r);
	/* The person's, usable while any membership is active. */
	struct staff_row m;
	int active = found ? membership_land(r->db, s->id, &m) : 0;
	if (active < 0)
		return req_db_error(r);
	return active > 0;
}

/* POST /api/v1/auth/password/set/check and .../reset/check {token}:
 * whether the link still works, so its page can say so on load instead
 * of after the password was typed. Uses nothing: 200 {"usable": bool},
 * the same for an unknown, used or expired link (no more is told). */
static int token_check_h_post(struct req *r)
{
	if (!req_db(r))
		return -1;
	if (auth_throttled(r, link_key(r), NULL) < 0)
		return -1;
	struct staff_row s = {0};
	int ok = link_usable(r, r->route->arg, &s);
	if (ok < 0 || (!ok && link_failed(r) < 0))
		return -1;
	req_json(r, 200, json_pack("{s:b}", "usable", ok));
	return 0;
}

/* POST /api/v1/auth/password/set (invitation and set-password links) and
 * /api/v1/auth/password/reset (forgotten password): the route's arg is
 * the token purpose. */
static int token_password_h_post(struct req *r)
{
	const char *purpose = r->route->arg;
	const char *pw = body_str(r, "password");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (auth_throttled(r, link_key(r), NULL) < 0)
		return -1;
	struct staff_row s = {0};
	int usable = link_usable(r, purpose, &s);
	if (usable < 0 || (!usable && link_failed(r) < 0))
		return -1;
	if (!usable)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"the link is invalid, used or expired; ask for "
				"a new one");
	int on = twofa_enabled(c, s.id);
	if (on < 0)
		return req_db_error(r);
	struct pw_subject who = {s.org_id, s.id, s.email, s.name, on > 0};
	if (password_policy_check(c, &who, pw, "password", &r->err) < 0)
		return -1;
	char hash[PASSWORD_HASH_MAX];
	if (auth_hash_password(r, pw, hash) < 0)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	/* Consume now, inside the transaction: a second use finds nothing. */
	int64_t staff_id = 0;
	int t = auth_find_token(c, body_str(r, "token"), purpose, &staff_id, true);
	if (t < 0)
		return req_db_error(r);
	if (t == 0)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"the link is invalid, used or expired; ask for "
				"a new one");
	s.must_change = false;
	if (auth_set_password(r, &s, hash) < 0 ||
	    session_end_person(c, s.id, 0) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	if (auth_start_session(r, &s) < 0 ||
	    auth_event(r,
		       !strcmp(purpose, "reset") ? "password_reset"
						 : "password_set",
		       r->who.staff_id) < 0 ||
	    (!strcmp(purpose, "reset") &&
	     auth_notify(r, &s, "your password was reset") < 0))
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 200, session_me_json(r));
	return 0;
}

#define RESET_HOURS 1
#define FORGOT_PER_HOUR 5

/* POST /api/v1/auth/password/forgot: the same answer whether or not the
 * address belongs to anyone; a link (1 hour) goes out when it does. */
static int forgot_h_post(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char norm[EMAIL_MAX + 1];
	staff_store_email_norm(body_str(r, "email"), norm, sizeof norm);
	struct staff_row s = {0};
	int found = staff_store_load(c, "email", norm, 0, &s);
	if (found < 0)
		return req_db_error(r);
	char *key = arena_printf(r->arena, "forgot:%s", norm);
	char *ipkey = arena_printf(r->arena, "forgot-ip:%s", r->ip);
	int wait_a = throttle_wait(c, key), wait_i = throttle_wait(c, ipkey);
	if (wait_a < 0 || wait_i < 0)
		return req_db_error(r);
	if (db_begin(c) < 0)
		return req_db_error(r);
	/* Count every request, so neither an address nor a mailbox can be
	 * flooded; over the limit the answer stays the same. */
	if (throttle_fail(c, key, FORGOT_PER_HOUR) < 0 ||
	    throttle_fail(c, ipkey, FORGOT_PER_HOUR * 4) < 0)
		return req_db_error(r);
	struct staff_row m;
	int active = found ? membership_land(c, s.id, &m) : 0;
	if (active < 0)
		return req_db_error(r);
	if (active && !wait_a && !wait_i) {
		r->who.org_id = s.org_id;
		if (auth_send_link(r, s.id, s.email, s.name, "reset",
				    RESET_HOURS, "password_reset") < 0)
			return -1;
		if (auth_log(r, "password_reset_requested", &s, NULL) < 0)
			return -1;
	}
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 202,
		 json_pack("{s:s}", "message",
			   "If an account uses this address, a link to reset "
			   "the password is on its way."));
	return 0;
}

/* POST /api/v1/auth/password/change: needs the current password; ends
 * every other session and rotates this one. */
static int password_change_h_post(struct req *r)
{
	const char *cur = body_str(r, "current_password");
	const char *pw = body_str(r, "new_password");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct staff_row s = {0};
	/* The person's password, on the home row (a membership of another
	 * organisation has none of its own). */
	int found = staff_store_load(c, "id", NULL, who_person(&r->who), &s);
	if (found < 0)
		return req_db_error(r);
	char *key = arena_printf(r->arena, "pwchange:%lld",
				 (long long)who_person(&r->who));
	if (auth_throttled(r, key, NULL) < 0)
		return -1;
	/* Both fields are judged, so one answer names every problem. */
	int cur_ok = password_verify(found && s.hash[0] ? s.hash : NULL, cur);
	if (cur_ok == PASSWORD_BUSY)
		return password_busy(&r->err);
	if (!cur_ok) {
		if (db_begin(c) < 0 ||
		    throttle_fail(c, key, r->app->cfg.login_max_failures) < 0 ||
		    db_commit(c) < 0)
			return req_db_error(r);
		atr_field(&r->err, "current_password", "invalid",
			  "is not your current password");
	}
	int on = twofa_enabled(c, s.id);
	if (on < 0)
		return req_db_error(r);
	if (strcmp(cur, pw) == 0) {
		atr_field(&r->err, "new_password", "reused",
			  "must differ from the current password");
	} else {
		struct pw_subject who = {s.org_id, s.id, s.email, s.name,
					 on > 0};
		password_policy_check(c, &who, pw, "new_password", &r->err);
	}
	if (r->err.kind != ATR_E_NONE)
		return -1;
	char hash[PASSWORD_HASH_MAX];
	if (auth_hash_password(r, pw, hash) < 0)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	s.must_change = false;
	if (auth_set_password(r, &s, hash) < 0 ||
	    session_end_person(c, s.id, 0) < 0 || throttle_clear(c, key) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	/* A member still to enrol stays at enrolment with the new session,
	 * in the organisation of this one. */
	enum session_stage stage =
		r->who.stage == STAGE_ENROL ? STAGE_ENROL : STAGE_FULL;
	r->who.must_change_password = false;
	if (session_create(r, r->who.staff_id, stage) < 0 ||
	    auth_event(r, "password_change", r->who.staff_id) < 0 ||
	    auth_notify(r, &s, "your password was changed") < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 200, session_me_json(r));
	return 0;
}

int auth_send_link(struct req *r, int64_t staff_id, const char *email,
		   const char *name, const char *purpose, int hours,
		   const char *template_name)
{
	return auth_send_link_for(r, r->who.org_id, staff_id, email, name,
				  purpose, hours, template_name);
}

int auth_send_link_for(struct req *r, int64_t org, int64_t staff_id,
		       const char *email, const char *name, const char *purpose,
		       int hours, const char *template_name)
{
	struct db_conn *c = r->db;
	/* A new link replaces any earlier unused one of the same purpose. */
	struct db_stmt *st = db_prepare(
		c, "DELETE FROM auth_token WHERE staff_id = ? AND purpose = ? "
		   "AND used_at IS NULL");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, staff_id);
	db_bind_text(st, 2, purpose);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	char tok[TOKEN_LEN + 1], h[TOKEN_HASH_LEN + 1], now[ATR_TIME_LEN],
		exp[ATR_TIME_LEN];
	token_new(tok);
	token_hash(tok, h);
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() + (int64_t)hours * 3600000, exp);
	st = db_prepare(c, "INSERT INTO auth_token (org_id, staff_id, purpose, "
			   "token_hash, expires_at, created_at) VALUES "
			   "(?, ?, ?, ?, ?, ?)");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, staff_id);
	db_bind_text(st, 3, purpose);
	db_bind_text(st, 4, h);
	db_bind_text(st, 5, exp);
	db_bind_text(st, 6, now);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	char link[512];
	snprintf(link, sizeof link, "%s/%s#token=%s", r->app->cfg.public_url,
		 !strcmp(purpose, "reset") ? "reset-password" : "set-password",
		 tok);
	json_t *vars = json_pack("{s:s,s:s,s:s,s:i}", "name", name, "email",
				 email, "link", link, "expires_hours", hours);
	rc = email_enqueue(c, r->who.org_id, email, template_name, vars);
	json_decref(vars);
	sodium_memzero(tok, sizeof tok);
	sodium_memzero(link, sizeof link);
	return rc < 0 ? req_db_error(r) : 0;
}

static const struct route password_routes[] = {
	{HTTP_POST, "/api/v1/auth/password/change", password_change_h_post,
	 ACCESS_SESSION, NULL, 0, &password_change_schema, NULL, NULL,
	 ROUTE_PASSWORD_CHANGE_OK},
	{HTTP_POST, "/api/v1/auth/password/set", token_password_h_post,
	 ACCESS_PUBLIC, NULL, 0, &token_password_schema, "set_password"},
	{HTTP_POST, "/api/v1/auth/password/reset", token_password_h_post,
	 ACCESS_PUBLIC, NULL, 0, &token_password_schema, "reset"},
	{HTTP_POST, "/api/v1/auth/password/set/check", token_check_h_post,
	 ACCESS_PUBLIC, NULL, 0, &token_schema, "set_password"},
	{HTTP_POST, "/api/v1/auth/password/reset/check", token_check_h_post,
	 ACCESS_PUBLIC, NULL, 0, &token_schema, "reset"},
	{HTTP_POST, "/api/v1/auth/password/forgot", forgot_h_post,
	 ACCESS_PUBLIC, NULL, 0, &forgot_schema},
	{0},
};

const struct module module_passwords = {
	.name = "passwords",
	.routes = password_routes,
};
