/* auth_api.c — sign-in, sign-out, me, first-admin setup. The password
 * routes and links are password_api.c's.
 *
 * Login answers the same body and status for an unknown email, a wrong
 * password and an inactive account, and spends the same argon2 time on
 * each (password_verify with a dummy hash). Failures count per account and
 * per address (throttle.c). Argon2 runs before the write transaction, so
 * the database write lock is never held while hashing.
 *
 * After the password, sign-in is staged (auth/twofa.h): a member with 2FA
 * gets an "mfa" session, a member who must have 2FA and has none an
 * "enrol" session, everybody else a full one.
 */
#include "atrium.h"

#include <sodium.h>

#include "core/l10n.h"
#include "admin/signals.h"
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

static const struct field login_fields[] = {
	{"email", FT_TEXT, F_REQUIRED, EMAIL_MAX, NULL, NULL},
	{"password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL, NULL},
};
static const struct schema login_schema = SCHEMA(login_fields);

static const struct field setup_fields[] = {
	{"token", FT_SECRET, F_REQUIRED, 100, NULL, NULL},
	{"email", FT_EMAIL, F_REQUIRED, EMAIL_MAX, NULL, NULL},
	{"name", FT_TEXT, F_REQUIRED, NAME_MAX_LEN, NULL, NULL},
	{"password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL, NULL},
};
static const struct schema setup_schema = SCHEMA(setup_fields);


static const char *body_str(struct req *r, const char *k)
{
	return json_string_value(json_object_get(r->body, k));
}


/* Fills r->who for the member; loads their grants. 0 or -1. */
int auth_fill_principal(struct req *r, const struct staff_row *s)
{
	r->who.staff_id = s->id;
	r->who.org_id = s->org_id;
	r->who.admin = s->admin;
	r->who.must_change_password = s->must_change;
	atr_strlcpy(r->who.name, s->name, sizeof r->who.name);
	atr_strlcpy(r->who.email, s->email, sizeof r->who.email);
	if (!s->admin && perm_load(r->db, s->id, &r->who.perms) < 0)
		return req_db_error(r);
	return 0;
}

int auth_start_session(struct req *r, const struct staff_row *s)
{
	/* s is the person (the home row, with the password); the session
	 * is bound to the membership the sign-in lands in (auth/membership.h).
	 */
	struct staff_row m = {0};
	int found = membership_land(r->db, s->id, &m);
	if (found < 0)
		return req_db_error(r);
	if (!found)
		return atr_fail(&r->err, ATR_E_UNAUTHORIZED,
				"invalid email or password");
	m.must_change = s->must_change;
	if (auth_fill_principal(r, &m) < 0)
		return -1;
	r->who.person_id = s->id;
	/* Every way of starting a session is a sign-in: the password, the
	 * first setup, an invitation or a reset link. */
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *lst = db_prepare(
		r->db, "UPDATE staff SET last_login_at = ? WHERE id = ?");
	if (!lst)
		return req_db_error(r);
	db_bind_text(lst, 1, now);
	db_bind_int(lst, 2, m.id);
	int lrc = db_step(lst);
	db_reset(lst);
	if (lrc < 0)
		return req_db_error(r);
	int on = twofa_enabled(r->db, s->id);
	int req2 = on ? 0 : twofa_required(r->db, m.org_id, m.id);
	if (on < 0 || req2 < 0)
		return req_db_error(r);
	/* The optional maximum password age (off by default; it applies
	 * only to members without 2FA, see the admin guide for why): the
	 * home organisation's, whose policy the password follows. */
	int64_t days = 0;
	settings_get_int(r->db, s->org_id, "password_max_age_days", &days);
	char zone[TZ_NAME_MAX];
	if (days > 0 && l10n_org_zone(r->db, s->org_id, zone) < 0)
		return req_db_error(r);
	if (!on && days > 0 && s->password_changed_ms &&
	    password_expired(zone, s->password_changed_ms, days,
			     atr_now_ms())) {
		struct db_stmt *st = db_prepare(
			r->db, "UPDATE staff SET must_change_password = 1 "
			       "WHERE id = ?");
		if (!st)
			return req_db_error(r);
		db_bind_int(st, 1, s->id);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return req_db_error(r);
		r->who.must_change_password = true;
	}
	enum session_stage stage = on ? STAGE_MFA : req2 ? STAGE_ENROL
						      : STAGE_FULL;
	return session_create(r, m.id, stage);
}

/* The activity row of a sign-in event, with the client's user agent. */
int auth_log(struct req *r, const char *action,
		    const struct staff_row *s, const char *email)
{
	char ua[256];
	atr_strlcpy(ua, r->user_agent ? r->user_agent : "", sizeof ua);
	json_t *diff = json_pack("{s:{s:s}}", "user_agent", "to", ua);
	if (email)
		json_object_set_new(diff, "email",
				    json_pack("{s:s}", "to", email));
	struct activity a = {
		.org_id = s ? s->org_id : 1,
		.actor_id = s ? s->id : 0,
		.actor_name = s ? s->name : NULL,
		.action = action,
		.entity = "staff",
		.entity_id = s ? s->id : 0,
		.diff = diff,
		.ip = r->ip,
		.request_id = r->request_id,
	};
	int rc = activity_record(r->db, &a);
	json_decref(diff);
	return rc < 0 ? req_db_error(r) : 0;
}

int auth_event(struct req *r, const char *action, int64_t staff_id)
{
	char ua[256];
	atr_strlcpy(ua, r->user_agent ? r->user_agent : "", sizeof ua);
	json_t *diff = json_pack("{s:{s:s}}", "user_agent", "to", ua);
	int rc = activity_from_req(r, action, "staff", staff_id, diff);
	json_decref(diff);
	return rc;
}

int auth_notify(struct req *r, const struct staff_row *s, const char *what)
{
	char when[ATR_TIME_LEN];
	atr_now_iso(when);
	json_t *vars = json_pack("{s:s,s:s,s:s,s:s}", "name", s->name, "what",
				 what, "when", when, "ip", r->ip);
	int rc = email_enqueue(r->db, s->org_id, s->email, "security_notice",
			       vars);
	json_decref(vars);
	return rc < 0 ? req_db_error(r) : 0;
}

static int login_failed(struct req *r, const char *acct_key,
			const char *ip_key, const struct staff_row *s,
			const char *email)
{
	struct db_conn *c = r->db;
	if (db_begin(c) < 0)
		return req_db_error(r);
	const struct config *cfg = &r->app->cfg;
	int rc = throttle_fail(c, acct_key, cfg->login_max_failures);
	if (!rc)
		rc = throttle_fail(c, ip_key, cfg->login_ip_max_failures);
	if (rc < 0)
		return req_db_error(r);
	/* The typed identifier is kept only when it names an account: a
	 * password typed into the email box must not end up in the log. */
	if (auth_log(r, "login_failed", s, s ? email : NULL) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	return atr_fail(&r->err, ATR_E_UNAUTHORIZED,
			"invalid email or password");
}

int auth_throttled(struct req *r, const char *k1, const char *k2)
{
	int a = throttle_wait(r->db, k1), b = k2 ? throttle_wait(r->db, k2) : 0;
	if (a < 0 || b < 0)
		return req_db_error(r);
	if (!a && !b)
		return 0;
	r->err.retry_after = a > b ? a : b;
	return atr_fail(&r->err, ATR_E_RATE_LIMITED,
			"too many failed attempts; try again in %d seconds",
			r->err.retry_after);
}

static int login_h_post(struct req *r)
{
	const char *email = body_str(r, "email");
	const char *pw = body_str(r, "password");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char norm[EMAIL_MAX + 1];
	staff_store_email_norm(email, norm, sizeof norm);
	char *acct_key = arena_printf(r->arena, "acct:%s", norm);
	char *ip_key = arena_printf(r->arena, "ip:%s", r->ip);
	if (auth_throttled(r, acct_key, ip_key) < 0)
		return -1;

	struct staff_row s = {0};
	int found = staff_store_load(c, "email", norm, 0, &s);
	if (found < 0)
		return req_db_error(r);
	/* Unknown member, no password yet and wrong password all cost one
	 * argon2 verification and end in the same answer. A full hashing
	 * pool answers 503 before any of that, whoever asks. */
	int ok = password_verify(found && s.hash[0] ? s.hash : NULL, pw);
	if (ok == PASSWORD_BUSY)
		return password_busy(&r->err);
	/* The person may sign in while one membership is active (the home
	 * one deactivated, another not). */
	struct staff_row m = {0};
	int active = ok && found ? membership_land(c, s.id, &m) : 0;
	if (active < 0)
		return req_db_error(r);
	if (!ok || !active)
		return login_failed(r, acct_key, ip_key, found ? &s : NULL,
				    email);

	char newhash[PASSWORD_HASH_MAX] = "";
	if (password_needs_rehash(s.hash) && password_hash(pw, newhash) != 0)
		newhash[0] = 0; /* busy or failed: upgrade at the next sign-in */

	if (db_begin(c) < 0)
		return req_db_error(r);
	int rc = 0;
	struct db_stmt *st;
	if (newhash[0]) {
		/* Parameters rose since this hash was made: upgrade it. */
		st = db_prepare(c, "UPDATE staff SET password_hash = ? "
				   "WHERE id = ?");
		if (!st)
			return req_db_error(r);
		db_bind_text(st, 1, newhash);
		db_bind_int(st, 2, s.id);
		rc = db_step(st);
		db_reset(st);
	}
	if (rc < 0 || throttle_clear(c, acct_key) < 0)
		return req_db_error(r);
	if (auth_start_session(r, &s) < 0)
		return -1;
	/* Logged in the organisation the session landed in, as its row. */
	if (staff_store_load(c, "id", NULL, r->who.staff_id, &m) != 1)
		return req_db_error(r);
	if (auth_log(r, r->who.stage == STAGE_MFA ? "login_password" : "login",
		     &m, NULL) < 0)
		return -1;
	/* A sign-in without a second step is complete: its signals (a new
	 * address, an unusual hour) flag the row just written. */
	if (r->who.stage != STAGE_MFA &&
	    signals_signin(r, m.org_id, m.id, m.name, m.email) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 200, session_me_json(r));
	return 0;
}

static int logout_h_post(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	if (session_end(r) < 0 ||
	    auth_event(r, "logout", r->who.staff_id) <
		    0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	r->status = 204;
	return 0;
}

static int me_h_get(struct req *r)
{
	req_json(r, 200, session_me_json(r));
	return 0;
}


int auth_hash_password(struct req *r, const char *pw,
		       char out[PASSWORD_HASH_MAX])
{
	int rc = password_hash(pw, out);
	if (rc == PASSWORD_BUSY)
		return password_busy(&r->err);
	if (rc < 0)
		return atr_fail(&r->err, ATR_E_UNAVAILABLE,
				"cannot hash the password now");
	return 0;
}

/* Whether setup is still open and the token is a live setup link: 0, or
 * -1 with 409 (an administrator exists) or 403 (bad link). Cheap: runs
 * before the strength check and argon2, so a closed setup costs nothing
 * however often it is asked. consume: inside the write transaction. */
static int setup_open(struct req *r, bool consume)
{
	int64_t n = staff_store_count(r->db);
	if (n < 0)
		return req_db_error(r);
	if (n > 0)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"setup is complete: an administrator exists");
	int64_t unused;
	int t = auth_find_token(r->db, body_str(r, "token"), "setup", &unused,
				consume);
	if (t < 0)
		return req_db_error(r);
	if (t == 0)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"the setup link is invalid or has expired; "
				"restart `atrium serve` for a new one");
	return 0;
}

static int setup_h_post(struct req *r)
{
	const char *pw = body_str(r, "password");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (setup_open(r, false) < 0)
		return -1;
	struct pw_subject who = {1, 0, body_str(r, "email"), body_str(r, "name"),
				 false};
	if (password_policy_check(c, &who, pw, "password", &r->err) < 0)
		return -1;
	char hash[PASSWORD_HASH_MAX];
	if (auth_hash_password(r, pw, hash) < 0)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	/* Again inside the transaction: two racing setups, one winner. */
	if (setup_open(r, true) < 0)
		return -1;
	int64_t id;
	if (staff_store_insert(c, 1, body_str(r, "email"), body_str(r, "name"), true,
			 hash, &id, &r->err) < 0)
		return -1;
	struct staff_row s = {.id = id, .org_id = 1, .admin = true,
			      .active = true};
	atr_strlcpy(s.name, body_str(r, "name"), sizeof s.name);
	atr_strlcpy(s.email, body_str(r, "email"), sizeof s.email);
	if (password_history_push(c, 1, id, hash) < 0)
		return req_db_error(r);
	json_t *diff = json_pack("{s:{s:s},s:{s:s},s:{s:b}}", "email", "to",
				 s.email, "name", "to", s.name, "admin", "to",
				 1);
	int rc = auth_start_session(r, &s);
	if (!rc)
		rc = activity_from_req(r, "setup", "staff", id, diff);
	json_decref(diff);
	if (rc < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 201, session_me_json(r));
	return 0;
}


static const struct route auth_routes[] = {
	{HTTP_POST, "/api/v1/auth/login", login_h_post, ACCESS_PUBLIC, NULL, 0,
	 &login_schema},
	{HTTP_POST, "/api/v1/auth/logout", logout_h_post, ACCESS_SESSION, NULL,
	 0, NULL, NULL, NULL,
	 ROUTE_PASSWORD_CHANGE_OK | ROUTE_MFA_OK | ROUTE_ENROL_OK},
	{HTTP_GET, "/api/v1/auth/me", me_h_get, ACCESS_SESSION, NULL, 0, NULL,
	 NULL, NULL,
	 ROUTE_PASSWORD_CHANGE_OK | ROUTE_MFA_OK | ROUTE_ENROL_OK |
		 ROUTE_TOKEN_OK},
	{HTTP_POST, "/api/v1/setup", setup_h_post, ACCESS_PUBLIC, NULL, 0,
	 &setup_schema},
	{0},
};

/* Authentication policy (OWASP ASVS 5.0 L2, NIST SP 800-63B). */
static const struct setting_def auth_settings[] = {
	{"security", "password_min_length", SET_INT, "15", 8, 128, NULL, 0},
	{"security", "password_min_length_2fa", SET_INT, "8", 8, 128, NULL, 0},
	{"security", "password_min_score", SET_INT, "3", 0, 4, NULL, 0},
	{"security", "password_history", SET_INT, "5", 0, 24, NULL, 0},
	{"security", "password_max_age_days", SET_INT, "0", 0, 3650, NULL, 0},
	{"security", "twofa_required_admins", SET_BOOL, "true", 0, 0, NULL, 0},
	{"security", "session_idle_minutes", SET_INT, "30", 5, 10080, NULL, 0},
	{"security", "session_absolute_hours", SET_INT, "12", 1, 720, NULL, 0},
	{0},
};

#define DAY_MS (24LL * 3600 * 1000)

/* Expired sessions; used or expired links (kept a day for the activity
 * trail); stale throttle counters. */
static const struct housekeeping auth_housekeeping[] = {
	{"DELETE FROM session WHERE expires_at <= ? RETURNING id", 1, {0}},
	/* Idle past their limit: removed at once, so a clock that goes back
	 * cannot bring them back to life (issue 9, item 13). */
	{"DELETE FROM session WHERE strftime('%Y-%m-%dT%H:%M:%fZ', "
	 "last_seen_at, '+' || idle_minutes || ' minutes') <= ? RETURNING id",
	 1, {0},
	 "DELETE FROM session WHERE to_char((CAST(last_seen_at AS "
	 "timestamptz) + idle_minutes * interval '1 minute') AT TIME ZONE "
	 "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') <= ? RETURNING id"},
	{"DELETE FROM auth_token WHERE (expires_at <= ? OR used_at IS NOT "
	 "NULL) AND created_at < ? RETURNING id",
	 2, {0, DAY_MS}},
	{"DELETE FROM login_throttle WHERE (blocked_until IS NULL OR "
	 "blocked_until <= ?) AND window_start < ? RETURNING key",
	 2, {0, DAY_MS}},
	{0},
};

/* The auth module's start hook: while nobody can sign in, print a fresh
 * single-use link to create the first administrator. */
static int setup_link_start(struct app *app, struct atr_err *err)
{
	struct db_conn *c = db_acquire(app->db, err);
	if (!c)
		return -1;
	int64_t n = staff_store_count(c);
	if (n != 0) {
		db_release(c);
		return n < 0 ? atr_fail(err, ATR_E_UNAVAILABLE,
					"cannot count staff: %s", db_errmsg(c))
			     : 0;
	}
	char tok[TOKEN_LEN + 1], h[TOKEN_HASH_LEN + 1], now[ATR_TIME_LEN],
		exp[ATR_TIME_LEN];
	token_new(tok);
	token_hash(tok, h);
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() + 24 * 3600 * 1000, exp);
	int rc = db_begin(c);
	struct db_stmt *st = rc ? NULL
				: db_prepare(c, "DELETE FROM auth_token WHERE "
						"purpose = 'setup'");
	if (st) {
		rc = db_step(st) < 0;
		db_reset(st);
	}
	st = rc ? NULL
		: db_prepare(c, "INSERT INTO auth_token (purpose, token_hash, "
				"expires_at, created_at) VALUES "
				"('setup', ?, ?, ?)");
	if (st) {
		db_bind_text(st, 1, h);
		db_bind_text(st, 2, exp);
		db_bind_text(st, 3, now);
		rc = db_step(st) < 0;
		db_reset(st);
	}
	if (!st || rc || db_commit(c) < 0) {
		atr_fail(err, ATR_E_UNAVAILABLE,
			 "cannot create the setup link: %s", db_errmsg(c));
		db_release(c);
		sodium_memzero(tok, sizeof tok);
		return -1;
	}
	db_release(c);
	printf("\nNo administrator exists yet. Within 24 hours, open this "
	       "one-time link to create the first one:\n\n    %s/setup#token=%s"
	       "\n\n",
	       app->cfg.public_url, tok);
	fflush(stdout);
	sodium_memzero(tok, sizeof tok);
	return 0;
}

/* The auth module's init: the hashing pool's size, from the configuration
 * and the HTTP thread count (auth/password.h). */
static int auth_init(struct app *app, struct atr_err *err)
{
	int workers, queue;
	password_pool_size(app->cfg.threads, app->cfg.hash_workers,
			   app->cfg.hash_queue, &workers, &queue);
	password_pool_configure(workers, queue);
	return 0;
}

const struct module module_auth = {
	.name = "auth",
	.init = auth_init,
	.routes = auth_routes,
	.settings = auth_settings,
	.housekeeping = auth_housekeeping,
	.start = setup_link_start,
};
