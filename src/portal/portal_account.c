/* portal_account.c — the signed-in contact's own password and second
 * factor.
 *
 * POST /api/v1/portal/auth/password      {current_password, new_password}
 * POST /api/v1/portal/auth/totp/setup    {password}  -> secret, URI, QR
 * POST /api/v1/portal/auth/totp/enable   {code}
 * POST /api/v1/portal/auth/totp/disable  {password, code}
 *
 * The organisation's password policy applies as to staff (length, the
 * zxcvbn floor with the contact's name and email as context, no reuse of
 * the last N: portal_password_history). A second factor is optional for
 * contacts: TOTP only (no recovery codes — staff remove a lost one from
 * the contact's record, portal_staff.c). Setting it up and turning it off
 * need the password again; the seed is stored encrypted under the master
 * key. A password change ends the contact's other sessions.
 */
#include "atrium.h"

#include <sodium.h>

#include "auth/auth.h"
#include "auth/password.h"
#include "auth/throttle.h"
#include "auth/totp.h"
#include "core/app.h"
#include "core/module.h"
#include "core/secret.h"
#include "core/settings.h"
#include "db/db.h"
#include "portal/portal.h"

static const char *body_str(struct req *r, const char *k)
{
	return json_string_value(json_object_get(r->body, k));
}

int portal_totp_accept(struct db_conn *c, int64_t contact, const char *code,
		       bool confirmed)
{
	struct db_stmt *st = db_prepare(
		c, db_conn_dialect(c) == DB_PG
			   ? "SELECT totp_secret, totp_last_step, "
			     "totp_confirmed_at FROM portal_account WHERE "
			     "contact_id = ? FOR UPDATE"
			   : "SELECT totp_secret, totp_last_step, "
			     "totp_confirmed_at FROM portal_account WHERE "
			     "contact_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, contact);
	int rc = db_step(st);
	unsigned char secret[TOTP_SECRET_BYTES];
	int64_t last = 0;
	if (rc == 1 && (db_col_null(st, 0) || db_col_null(st, 2) != !confirmed))
		rc = 0;
	if (rc == 1) {
		struct atr_err err = {0};
		char *b32 = secret_decrypt(db_col_text(st, 0), &err);
		last = db_col_int(st, 1);
		if (!b32 || totp_secret_from_base32(b32, secret) < 0)
			rc = -1;
		secret_free(b32);
	}
	db_reset(st);
	if (rc <= 0)
		return rc;
	char norm[16];
	size_t n = 0;
	for (const char *p = code; p && *p && n < sizeof norm - 1; p++)
		if (*p != ' ' && *p != '-')
			norm[n++] = *p;
	norm[n] = 0;
	int64_t step = totp_match(secret, TOTP_SECRET_BYTES, norm,
				  atr_now_ms() / 1000);
	sodium_memzero(secret, sizeof secret);
	if (step < 0 || step <= last)
		return 0; /* wrong, or used already (replay) */
	st = db_prepare(c, "UPDATE portal_account SET totp_last_step = ? "
			   "WHERE contact_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, step);
	db_bind_int(st, 2, contact);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 1;
}

/* The signed-in contact; 401 when they are gone. 0 or -1. */
static int load_me(struct req *r, struct portal_contact *pc)
{
	int rc = portal_contact_load(r->db, NULL, r->who.contact_id, pc);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0 || !pc->hash[0])
		return atr_fail(&r->err, ATR_E_UNAUTHORIZED, "signed out");
	return 0;
}

/* Checks the body's `field` against the contact's password, counting a
 * wrong one as a failed sign-in of the account (its own transaction).
 * 0 right, -1 with a field error (or another error) in r->err. */
static int check_password(struct req *r, const struct portal_contact *pc,
			  const char *field)
{
	char *key = arena_printf(r->arena, "portal:acct:%s", pc->email);
	for (char *p = key; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	if (auth_throttled(r, key, NULL) < 0)
		return -1;
	int ok = password_verify(pc->hash, body_str(r, field));
	if (ok == PASSWORD_BUSY)
		return password_busy(&r->err);
	if (ok)
		return 0;
	if (db_begin(r->db) < 0 ||
	    throttle_fail(r->db, key, r->app->cfg.login_max_failures) < 0 ||
	    portal_auth_log(r, "portal_password_check_failed", pc) < 0 ||
	    db_commit(r->db) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	atr_field(&r->err, field, "invalid", "is not your current password");
	return -1;
}

static int password_h_post(struct req *r)
{
	struct db_conn *c = req_db(r);
	struct portal_contact pc;
	if (!c || load_me(r, &pc) < 0 ||
	    check_password(r, &pc, "current_password") < 0)
		return -1;
	char hash[PASSWORD_HASH_MAX];
	if (portal_password_hash(r, &pc, "new_password", hash) < 0)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	if (portal_password_store(c, &pc, hash) < 0 ||
	    portal_sessions_end_all(c, pc.id, r->who.session_id) < 0)
		return req_db_error(r);
	/* An expired password's session is a full one now. */
	struct db_stmt *st = db_prepare(
		c, "UPDATE portal_session SET stage = 'full' WHERE id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.session_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (portal_activity(r, "portal_password_changed", "contact", pc.id,
			    NULL) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	r->who.must_change_password = false;
	r->status = 204;
	return 0;
}

static int totp_setup_h_post(struct req *r)
{
	struct db_conn *c = req_db(r);
	struct portal_contact pc;
	if (!c || load_me(r, &pc) < 0)
		return -1;
	if (pc.totp)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"two-factor authentication is already on; "
				"turn it off first to set up a new device");
	if (check_password(r, &pc, "password") < 0)
		return -1;
	char issuer[256];
	if (settings_get(c, pc.org_id, "company_name", issuer, sizeof issuer) <
	    0)
		return req_db_error(r);
	if (!issuer[0])
		atr_strlcpy(issuer, "Atrium", sizeof issuer);
	unsigned char secret[TOTP_SECRET_BYTES];
	totp_secret_new(secret);
	char *b32 = totp_base32(secret, TOTP_SECRET_BYTES);
	char *uri = totp_uri(issuer, pc.email, secret, TOTP_SECRET_BYTES);
	char *svg = uri ? qr_svg(uri) : NULL;
	char *enc = b32 ? secret_encrypt(b32) : NULL;
	sodium_memzero(secret, sizeof secret);
	int ret = -1;
	if (!b32 || !uri || !svg || !enc) {
		atr_fail(&r->err, ATR_E_INTERNAL, "cannot create the secret");
		goto out;
	}
	if (db_begin(c) < 0) {
		req_db_error(r);
		goto out;
	}
	struct db_stmt *st = db_prepare(
		c, "UPDATE portal_account SET totp_secret = ?, "
		   "totp_confirmed_at = NULL, totp_last_step = 0 WHERE "
		   "contact_id = ?");
	if (!st) {
		req_db_error(r);
		goto out;
	}
	db_bind_text(st, 1, enc);
	db_bind_int(st, 2, pc.id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 ||
	    portal_activity(r, "portal_2fa_setup_started", "contact", pc.id,
			    NULL) < 0 ||
	    db_commit(c) < 0) {
		if (!r->err.kind)
			req_db_error(r);
		goto out;
	}
	req_json(r, 200,
		 json_pack("{s:s,s:s,s:s}", "secret", b32, "otpauth_uri", uri,
			   "qr_svg", svg));
	ret = 0;
out:
	if (b32)
		sodium_memzero(b32, strlen(b32));
	if (uri)
		sodium_memzero(uri, strlen(uri));
	free(b32);
	free(uri);
	free(svg);
	free(enc);
	return ret;
}

/* A wrong code counts against the contact's second-factor key. */
static int code_failed(struct req *r, const char *key)
{
	if (db_begin(r->db) < 0 ||
	    throttle_fail(r->db, key, r->app->cfg.login_max_failures) < 0 ||
	    db_commit(r->db) < 0)
		return req_db_error(r);
	atr_field(&r->err, "code", "invalid",
		  "the code is not right; check the time on your phone and "
		  "try the newest code");
	return -1;
}

/* The code step of turning two-factor on (the pending secret) or off (the
 * active one): throttled per contact; a wrong code counts and is a field
 * error. 0 with the transaction open and the code used, or -1. */
static int code_step(struct req *r, const struct portal_contact *pc,
		     bool confirmed)
{
	char *key = arena_printf(r->arena, "portal:2fa:%lld",
				 (long long)pc->id);
	if (auth_throttled(r, key, NULL) < 0)
		return -1;
	if (db_begin(r->db) < 0)
		return req_db_error(r);
	int ok = portal_totp_accept(r->db, pc->id, body_str(r, "code"),
				    confirmed);
	if (ok < 0)
		return req_db_error(r);
	if (!ok) {
		db_rollback(r->db);
		return code_failed(r, key);
	}
	return throttle_clear(r->db, key) < 0 ? req_db_error(r) : 0;
}

/* POST .../totp/enable and .../totp/disable (the route's arg): the code
 * step, then the change of portal_account, its activity row, one
 * transaction. */
static int totp_switch_h_post(struct req *r)
{
	bool on = strcmp(r->route->arg, "enable") == 0;
	struct db_conn *c = req_db(r);
	struct portal_contact pc;
	if (!c || load_me(r, &pc) < 0)
		return -1;
	if (!on && !pc.totp)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"two-factor authentication is not on");
	if ((!on && check_password(r, &pc, "password") < 0) ||
	    code_step(r, &pc, !on) < 0)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, on ? "UPDATE portal_account SET totp_confirmed_at = ? WHERE "
			"contact_id = ?"
		      : "UPDATE portal_account SET totp_secret = NULL, "
			"totp_confirmed_at = NULL, totp_last_step = 0 WHERE "
			"contact_id = ?");
	if (!st)
		return req_db_error(r);
	int i = 1;
	if (on)
		db_bind_text(st, i++, now);
	db_bind_int(st, i, pc.id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (portal_activity(r, on ? "portal_2fa_enabled" : "portal_2fa_disabled",
			    "contact", pc.id, NULL) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	r->status = 204;
	return 0;
}

static const struct field change_fields[] = {
	{"current_password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL,
	 NULL},
	{"new_password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL, NULL},
};
static const struct schema change_schema = SCHEMA(change_fields);
static const struct field pw_fields[] = {
	{"password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL, NULL},
};
static const struct schema pw_schema = SCHEMA(pw_fields);
static const struct field code_fields[] = {
	{"code", FT_SECRET, F_REQUIRED, 64, NULL, NULL},
};
static const struct schema code_schema = SCHEMA(code_fields);
static const struct field disable_fields[] = {
	{"password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL, NULL},
	{"code", FT_SECRET, F_REQUIRED, 64, NULL, NULL},
};
static const struct schema disable_schema = SCHEMA(disable_fields);

static const struct route portal_account_routes[] = {
	{HTTP_POST, "/api/v1/portal/auth/password", password_h_post,
	 ACCESS_CONTACT, NULL, 0, &change_schema, NULL, NULL,
	 ROUTE_PASSWORD_CHANGE_OK},
	{HTTP_POST, "/api/v1/portal/auth/totp/setup", totp_setup_h_post,
	 ACCESS_CONTACT, NULL, 0, &pw_schema},
	{HTTP_POST, "/api/v1/portal/auth/totp/enable", totp_switch_h_post,
	 ACCESS_CONTACT, NULL, 0, &code_schema, "enable"},
	{HTTP_POST, "/api/v1/portal/auth/totp/disable", totp_switch_h_post,
	 ACCESS_CONTACT, NULL, 0, &disable_schema, "disable"},
	{0},
};

const struct module module_portal_account = {
	.name = "portal_account",
	.routes = portal_account_routes,
};
