/* portal_auth.c — signing contacts in: password, second factor, links.
 *
 * POST /api/v1/portal/auth/login         {email, password}
 * POST /api/v1/portal/auth/totp          {code}  (stage "mfa" only)
 * POST /api/v1/portal/auth/logout
 * GET  /api/v1/portal/auth/me
 * POST /api/v1/portal/auth/forgot        {email}            (public)
 * POST /api/v1/portal/auth/set-password  {token, password}  (public)
 *
 * As staff sign-in (auth/auth_api.c), with counters of its own: an
 * unknown address, a contact without portal access or password and a
 * wrong password cost one argon2 verification each and get the same 401;
 * failures count per address typed and per client address under keys
 * ("portal:acct:", "portal:ip:") that staff's counters never share. The
 * second factor has its own day-long counter per contact. Links
 * (invitation, reset) are single-use, stored hashed in portal_token, and
 * setting a password through one ends every session of the contact.
 */
#include "atrium.h"

#include <sodium.h>

#include "auth/auth.h"
#include "auth/password.h"
#include "auth/throttle.h"
#include "auth/token.h"
#include "auth/twofa.h"
#include "core/app.h"
#include "core/l10n.h"
#include "core/settings.h"
#include "core/module.h"
#include "db/db.h"
#include "email/email.h"
#include "portal/portal.h"

#define FORGOT_PER_HOUR 5

static const char *body_str(struct req *r, const char *k)
{
	return json_string_value(json_object_get(r->body, k));
}

/* ---- links ---------------------------------------------------------------- */

int portal_send_link(struct req *r, const struct portal_contact *pc,
		     const char *purpose, int hours,
		     char expires[ATR_TIME_LEN])
{
	struct db_conn *c = r->db;
	struct db_stmt *st = db_prepare(
		c, "DELETE FROM portal_token WHERE contact_id = ? AND purpose = "
		   "? AND used_at IS NULL");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, pc->id);
	db_bind_text(st, 2, purpose);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	char tok[TOKEN_LEN + 1], h[TOKEN_HASH_LEN + 1], now[ATR_TIME_LEN];
	token_new(tok);
	token_hash(tok, h);
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() + (int64_t)hours * 3600000, expires);
	st = db_prepare(c, "INSERT INTO portal_token (org_id, contact_id, "
			   "purpose, token_hash, created_at, expires_at) "
			   "VALUES (?, ?, ?, ?, ?, ?)");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, pc->org_id);
	db_bind_int(st, 2, pc->id);
	db_bind_text(st, 3, purpose);
	db_bind_text(st, 4, h);
	db_bind_text(st, 5, now);
	db_bind_text(st, 6, expires);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	char link[512];
	snprintf(link, sizeof link, "%s/portal/set-password#token=%s",
		 r->app->cfg.public_url, tok);
	json_t *vars = json_pack("{s:s,s:s,s:s,s:i}", "name", pc->first_name,
				 "email", pc->email, "link", link,
				 "expires_hours", hours);
	rc = email_enqueue(c, pc->org_id, pc->email,
			   strcmp(purpose, "invite") == 0 ? "portal_invitation"
							  : "portal_reset",
			   vars);
	json_decref(vars);
	sodium_memzero(tok, sizeof tok);
	sodium_memzero(link, sizeof link);
	return rc < 0 ? req_db_error(r) : 0;
}

int portal_password_store(struct db_conn *c, const struct portal_contact *pc,
			  const char *hash)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO portal_account (contact_id, org_id, "
		   "password_hash, password_changed_at, created_at) VALUES (?, "
		   "?, ?, ?, ?) ON CONFLICT (contact_id) DO UPDATE SET "
		   "password_hash = excluded.password_hash, password_changed_at "
		   "= excluded.password_changed_at");
	if (!st)
		return -1;
	db_bind_int(st, 1, pc->id);
	db_bind_int(st, 2, pc->org_id);
	db_bind_text(st, 3, hash);
	db_bind_text(st, 4, now);
	db_bind_text(st, 5, now);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	st = db_prepare(c, "INSERT INTO portal_password_history (contact_id, "
			   "password_hash, created_at) VALUES (?, ?, ?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, pc->id);
	db_bind_text(st, 2, hash);
	db_bind_text(st, 3, now);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	/* The newest PASSWORD_HISTORY_KEEP_MAX are enough for any setting. */
	st = db_prepare(c, "DELETE FROM portal_password_history WHERE "
			   "contact_id = ? AND id NOT IN (SELECT id FROM "
			   "portal_password_history WHERE contact_id = ? ORDER "
			   "BY id DESC LIMIT 24)");
	if (!st)
		return -1;
	db_bind_int(st, 1, pc->id);
	db_bind_int(st, 2, pc->id);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int portal_password_hash(struct req *r, const struct portal_contact *pc,
			 const char *field, char hash[PASSWORD_HASH_MAX])
{
	char name[300];
	snprintf(name, sizeof name, "%s %s", pc->first_name, pc->last_name);
	struct pw_subject who = {pc->org_id, 0, pc->email, name, pc->totp};
	who.contact_id = pc->id;
	if (password_policy_check(r->db, &who,
				  json_string_value(json_object_get(r->body,
								    field)),
				  field, &r->err) < 0)
		return -1;
	return auth_hash_password(r, json_string_value(json_object_get(
					     r->body, field)),
				  hash);
}

/* The contact of a live link of any portal purpose, without using it
 * (consume: inside the transaction, marking it used). 1 and *contact, 0
 * unknown/used/expired, -1. */
static int find_link(struct db_conn *c, const char *token, bool consume,
		     int64_t *contact)
{
	if (!token_well_formed(token))
		return 0;
	char h[TOKEN_HASH_LEN + 1], now[ATR_TIME_LEN];
	token_hash(token, h);
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, consume ? "UPDATE portal_token SET used_at = ? WHERE "
			     "token_hash = ? AND used_at IS NULL AND "
			     "expires_at > ? RETURNING contact_id"
			   : "SELECT contact_id FROM portal_token WHERE "
			     "token_hash = ? AND used_at IS NULL AND "
			     "expires_at > ?");
	if (!st)
		return -1;
	int i = 1;
	if (consume)
		db_bind_text(st, i++, now);
	db_bind_text(st, i++, h);
	db_bind_text(st, i, now);
	int rc = db_step(st);
	if (rc == 1)
		*contact = db_col_int(st, 0);
	db_reset(st);
	return rc;
}

/* ---- sign-in -------------------------------------------------------------- */

/* The stage a sign-in of pc opens past its second factor: "change" when
 * the organisation's optional maximum password age (the staff setting,
 * the same policy for contacts) has passed and pc has no second factor,
 * as for members; else "full". NULL on a database error. */
const char *portal_stage_after(struct req *r, const struct portal_contact *pc)
{
	int64_t days = 0;
	if (settings_get_int(r->db, pc->org_id, "password_max_age_days",
			     &days) < 0)
		return NULL;
	if (days <= 0 || pc->totp || !pc->password_changed_ms)
		return "full";
	char zone[TZ_NAME_MAX];
	if (l10n_org_zone(r->db, pc->org_id, zone) < 0)
		return NULL;
	return password_expired(zone, pc->password_changed_ms, days,
				atr_now_ms())
		       ? "change"
		       : "full";
}

static int login_failed(struct req *r, const char *acct_key,
			const char *ip_key, const struct portal_contact *pc)
{
	struct db_conn *c = r->db;
	const struct config *cfg = &r->app->cfg;
	if (db_begin(c) < 0 ||
	    throttle_fail(c, acct_key, cfg->login_max_failures) < 0 ||
	    throttle_fail(c, ip_key, cfg->login_ip_max_failures) < 0)
		return req_db_error(r);
	if (portal_auth_log(r, "portal_login_failed", pc) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	return atr_fail(&r->err, ATR_E_UNAUTHORIZED,
			"invalid email or password");
}

static void norm_email(const char *in, char *out, size_t n)
{
	size_t i = 0;
	for (; in && in[i] && i + 1 < n; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32
							    : in[i]);
	out[i] = 0;
}

static int login_h_post(struct req *r)
{
	const char *pw = body_str(r, "password");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char norm[EMAIL_MAX + 1];
	norm_email(body_str(r, "email"), norm, sizeof norm);
	char *acct_key = arena_printf(r->arena, "portal:acct:%s", norm);
	char *ip_key = arena_printf(r->arena, "portal:ip:%s", r->ip);
	if (auth_throttled(r, acct_key, ip_key) < 0)
		return -1;
	struct portal_contact pc = {0};
	int found = portal_contact_load(c, norm, 0, &pc);
	if (found < 0)
		return req_db_error(r);
	bool can = found && pc.access && pc.hash[0] && pc.client_id;
	int ok = password_verify(can ? pc.hash : NULL, pw);
	if (ok == PASSWORD_BUSY)
		return password_busy(&r->err);
	if (!ok || !can)
		return login_failed(r, acct_key, ip_key, found ? &pc : NULL);
	char newhash[PASSWORD_HASH_MAX] = "";
	if (password_needs_rehash(pc.hash) && password_hash(pw, newhash) != 0)
		newhash[0] = 0;
	if (db_begin(c) < 0)
		return req_db_error(r);
	if ((newhash[0] && portal_password_store(c, &pc, newhash) < 0) ||
	    throttle_clear(c, acct_key) < 0)
		return req_db_error(r);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(c, "UPDATE portal_account SET "
					   "last_login_at = ? WHERE contact_id "
					   "= ?");
	if (!st)
		return req_db_error(r);
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, pc.id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	const char *stage = pc.totp ? "mfa" : portal_stage_after(r, &pc);
	if (!stage)
		return req_db_error(r);
	if (portal_session_create(r, &pc, stage) < 0 ||
	    portal_auth_log(r, pc.totp ? "portal_login_password"
				       : "portal_login",
			    &pc) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 200, portal_me_json(r));
	return 0;
}

static int totp_h_post(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (r->who.stage != STAGE_MFA)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"the second step is already done");
	char *key = arena_printf(r->arena, "portal:mfa:%lld",
				 (long long)r->who.contact_id);
	if (auth_throttled(r, key, NULL) < 0)
		return -1;
	struct portal_contact pc = {0};
	int found = portal_contact_load(c, NULL, r->who.contact_id, &pc);
	if (found <= 0)
		return found < 0 ? req_db_error(r)
				 : atr_fail(&r->err, ATR_E_UNAUTHORIZED,
					    "signed out");
	if (db_begin(c) < 0)
		return req_db_error(r);
	int ok = portal_totp_accept(c, pc.id, body_str(r, "code"), true);
	if (ok < 0)
		return req_db_error(r);
	if (!ok) {
		int64_t n = 0;
		if (throttle_fail_ex(c, key, r->app->cfg.login_max_failures,
				     TWOFA_WINDOW_MS, TWOFA_FIRST_DELAY_S,
				     TWOFA_MAX_DELAY_S, &n) < 0 ||
		    portal_auth_log(r, "portal_login_2fa_failed", &pc) < 0 ||
		    db_commit(c) < 0)
			return r->err.kind ? -1 : req_db_error(r);
		atr_field(&r->err, "code", "invalid",
			  "the code is not right; check the time on your "
			  "phone and try the newest code");
		return -1;
	}
	/* A new session id at the privilege change. */
	const char *stage = portal_stage_after(r, &pc);
	if (!stage)
		return req_db_error(r);
	if (throttle_clear(c, key) < 0 || portal_session_end(r) < 0 ||
	    portal_session_create(r, &pc, stage) < 0 ||
	    portal_auth_log(r, "portal_login", &pc) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 200, portal_me_json(r));
	return 0;
}

static int logout_h_post(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	if (portal_session_end(r) < 0 ||
	    portal_activity(r, "portal_logout", "contact", r->who.contact_id,
			    NULL) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	r->status = 204;
	return 0;
}

static int me_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	req_json(r, 200, portal_me_json(r));
	return 0;
}

/* ---- forgotten password and links ------------------------------------------ */

static int forgot_h_post(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char norm[EMAIL_MAX + 1];
	norm_email(body_str(r, "email"), norm, sizeof norm);
	struct portal_contact pc = {0};
	int found = portal_contact_load(c, norm, 0, &pc);
	if (found < 0)
		return req_db_error(r);
	char *key = arena_printf(r->arena, "portal:forgot:%s", norm);
	char *ipkey = arena_printf(r->arena, "portal:forgot-ip:%s", r->ip);
	int wait_a = throttle_wait(c, key), wait_i = throttle_wait(c, ipkey);
	if (wait_a < 0 || wait_i < 0)
		return req_db_error(r);
	if (db_begin(c) < 0)
		return req_db_error(r);
	/* Every request counts, so no mailbox is flooded; over the limit the
	 * answer stays the same. */
	if (throttle_fail(c, key, FORGOT_PER_HOUR) < 0 ||
	    throttle_fail(c, ipkey, FORGOT_PER_HOUR * 4) < 0)
		return req_db_error(r);
	if (found && pc.access && pc.client_id && !wait_a && !wait_i) {
		char exp[ATR_TIME_LEN];
		if (portal_send_link(r, &pc, "reset", PORTAL_RESET_HOURS, exp) <
			    0 ||
		    portal_auth_log(r, "portal_password_reset_requested", &pc) <
			    0)
			return -1;
	}
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 202,
		 json_pack("{s:s}", "message",
			   "If a contact with portal access uses this "
			   "address, a link to set the password is on its "
			   "way."));
	return 0;
}

static const char *link_key(struct req *r)
{
	return arena_printf(r->arena, "portal:link-ip:%s", r->ip);
}

static int set_password_h_post(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (auth_throttled(r, link_key(r), NULL) < 0)
		return -1;
	int64_t contact = 0;
	int t = find_link(c, body_str(r, "token"), false, &contact);
	struct portal_contact pc = {0};
	int found = t == 1 ? portal_contact_load(c, NULL, contact, &pc) : 0;
	if (t < 0 || found < 0)
		return req_db_error(r);
	if (!found || !pc.access) {
		if (db_begin(c) < 0 ||
		    throttle_fail(c, link_key(r),
				  r->app->cfg.login_ip_max_failures) < 0 ||
		    db_commit(c) < 0)
			return req_db_error(r);
		atr_field(&r->err, "token", "invalid",
			  "the link is invalid, used or expired; ask for a "
			  "new one");
		return -1;
	}
	char hash[PASSWORD_HASH_MAX];
	if (portal_password_hash(r, &pc, "password", hash) < 0)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	/* Again inside the transaction, using it: two racing uses, one
	 * winner. */
	t = find_link(c, body_str(r, "token"), true, &contact);
	if (t < 0)
		return req_db_error(r);
	if (t == 0 || contact != pc.id) {
		atr_field(&r->err, "token", "invalid",
			  "the link is invalid, used or expired; ask for a "
			  "new one");
		return -1;
	}
	if (portal_password_store(c, &pc, hash) < 0 ||
	    portal_sessions_end_all(c, pc.id, 0) < 0)
		return req_db_error(r);
	r->who.org_id = pc.org_id;
	if (portal_auth_log(r, "portal_password_set", &pc) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	r->status = 204;
	return 0;
}

/* ---- the module ------------------------------------------------------------ */

static const struct field login_fields[] = {
	{"email", FT_TEXT, F_REQUIRED, EMAIL_MAX, NULL, NULL},
	{"password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL, NULL},
};
static const struct schema login_schema = SCHEMA(login_fields);
static const struct field code_fields[] = {
	{"code", FT_SECRET, F_REQUIRED, 64, NULL, NULL},
};
static const struct schema code_schema = SCHEMA(code_fields);
static const struct field forgot_fields[] = {
	{"email", FT_TEXT, F_REQUIRED, EMAIL_MAX, NULL, NULL},
};
static const struct schema forgot_schema = SCHEMA(forgot_fields);
static const struct field set_fields[] = {
	{"token", FT_SECRET, F_REQUIRED, 100, NULL, NULL},
	{"password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL, NULL},
};
static const struct schema set_schema = SCHEMA(set_fields);

static const struct route portal_auth_routes[] = {
	{HTTP_POST, "/api/v1/portal/auth/login", login_h_post, ACCESS_PUBLIC,
	 NULL, 0, &login_schema},
	{HTTP_POST, "/api/v1/portal/auth/totp", totp_h_post, ACCESS_CONTACT,
	 NULL, 0, &code_schema, NULL, NULL, ROUTE_MFA_OK},
	{HTTP_POST, "/api/v1/portal/auth/logout", logout_h_post,
	 ACCESS_CONTACT, NULL, 0, &schema_empty, NULL, NULL,
	 ROUTE_MFA_OK | ROUTE_PASSWORD_CHANGE_OK},
	{HTTP_GET, "/api/v1/portal/auth/me", me_h_get, ACCESS_CONTACT, NULL, 0,
	 NULL, NULL, NULL, ROUTE_MFA_OK | ROUTE_PASSWORD_CHANGE_OK},
	{HTTP_POST, "/api/v1/portal/auth/forgot", forgot_h_post, ACCESS_PUBLIC,
	 NULL, 0, &forgot_schema},
	{HTTP_POST, "/api/v1/portal/auth/set-password", set_password_h_post,
	 ACCESS_PUBLIC, NULL, 0, &set_schema},
	{0},
};

#define DAY_MS (24LL * 3600 * 1000)

static const struct housekeeping portal_housekeeping[] = {
	{"DELETE FROM portal_session WHERE expires_at <= ? RETURNING id", 1,
	 {0}},
	{"DELETE FROM portal_session WHERE strftime('%Y-%m-%dT%H:%M:%fZ', "
	 "last_seen_at, '+' || idle_minutes || ' minutes') <= ? RETURNING id",
	 1, {0},
	 "DELETE FROM portal_session WHERE to_char((CAST(last_seen_at AS "
	 "timestamptz) + idle_minutes * interval '1 minute') AT TIME ZONE "
	 "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') <= ? RETURNING id"},
	{"DELETE FROM portal_token WHERE (expires_at <= ? OR used_at IS NOT "
	 "NULL) AND created_at < ? RETURNING id",
	 2, {0, DAY_MS}},
	{0},
};

const struct module module_portal = {
	.name = "portal",
	.routes = portal_auth_routes,
	.housekeeping = portal_housekeeping,
	.authenticate_contact = portal_authenticate,
};
