/* twofa.c — TOTP enrolment, the second sign-in step, recovery codes,
 * enforcement. The administrator's view (the 2FA user list, reset) is
 * twofa_admin.c.
 *
 * Secrets are 160-bit CSPRNG values stored encrypted with the master key
 * (core/secret.h); the otpauth URI and QR code are shown once, at
 * enrolment, and 2FA is active only after a valid code. Codes of the
 * current step and one either side are accepted, and a code whose step is
 * not later than the last accepted one is refused (no replay). Recovery
 * codes are 80-bit, single-use, stored as hashes, shown once.
 */
#include "atrium.h"

#include <ctype.h>
#include <sodium.h>

#include "admin/signals.h"
#include "auth/auth.h"
#include "auth/session.h"
#include "auth/staff_store.h"
#include "auth/throttle.h"
#include "auth/totp.h"
#include "auth/twofa.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/module.h"
#include "core/secret.h"
#include "core/settings.h"
#include "db/db.h"
#include "email/email.h"

/* A company name is at most 200 characters of up to 4 bytes each. */
#define ISSUER_MAX 832

static const char *body_str(struct req *r, const char *k)
{
	return json_string_value(json_object_get(r->body, k));
}

int twofa_enabled(struct db_conn *c, int64_t staff_id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT 1 FROM staff_totp WHERE staff_id = ? AND "
		   "confirmed_at IS NOT NULL");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

int twofa_required(struct db_conn *c, int64_t org, int64_t staff_id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT s.admin, COALESCE(r.require_2fa, 0) FROM staff s "
		   "LEFT JOIN role r ON r.id = s.role_id WHERE s.id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	bool admin = rc == 1 && db_col_int(st, 0);
	bool by_role = rc == 1 && db_col_int(st, 1);
	db_reset(st);
	if (rc < 0)
		return -1;
	if (by_role)
		return 1;
	if (!admin)
		return 0;
	char v[8] = "true";
	if (settings_get(c, org, "twofa_required_admins", v, sizeof v) < 0)
		return -1;
	return strcmp(v, "true") == 0;
}

/* ---- recovery codes ------------------------------------------------------ */

/* Upper-cases and drops separators: "abcd-efgh ..." -> "ABCDEFGH...". */
static void recovery_norm(const char *in, char *out, size_t n)
{
	size_t o = 0;
	for (; *in && o + 1 < n; in++)
		if (isalnum((unsigned char)*in))
			out[o++] = (char)toupper((unsigned char)*in);
	out[o] = 0;
}

static void recovery_hash(const char *norm, char out[65])
{
	unsigned char h[32];
	static const char label[] = "atrium recovery v1";
	crypto_generichash_state s;
	crypto_generichash_init(&s, NULL, 0, sizeof h);
	crypto_generichash_update(&s, (const unsigned char *)label,
				  sizeof label - 1);
	crypto_generichash_update(&s, (const unsigned char *)norm, strlen(norm));
	crypto_generichash_final(&s, h, sizeof h);
	sodium_bin2hex(out, 65, h, sizeof h);
}

/* Replaces the member's codes with a new set; returns them (shown once)
 * as a JSON array, or NULL on a database error. In a transaction. */
static json_t *recovery_new(struct db_conn *c, int64_t staff_id)
{
	struct db_stmt *st =
		db_prepare(c, "DELETE FROM recovery_code WHERE staff_id = ?");
	if (!st)
		return NULL;
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return NULL;
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	json_t *codes = json_array();
	for (int i = 0; i < RECOVERY_CODES; i++) {
		/* 16 symbols of 32: 80 bits, shown as XXXX-XXXX-XXXX-XXXX. */
		char code[20], norm[17], h[65];
		int o = 0;
		for (int k = 0; k < 16; k++) {
			if (k && k % 4 == 0)
				code[o++] = '-';
			code[o++] = alphabet[randombytes_uniform(32)];
		}
		code[o] = 0;
		recovery_norm(code, norm, sizeof norm);
		recovery_hash(norm, h);
		st = db_prepare(c, "INSERT INTO recovery_code (staff_id, "
				   "code_hash, created_at) VALUES (?, ?, ?)");
		if (!st) {
			json_decref(codes);
			return NULL;
		}
		db_bind_int(st, 1, staff_id);
		db_bind_text(st, 2, h);
		db_bind_text(st, 3, now);
		rc = db_step(st);
		db_reset(st);
		if (rc < 0) {
			json_decref(codes);
			return NULL;
		}
		json_array_append_new(codes, json_string(code));
		sodium_memzero(code, sizeof code);
	}
	return codes;
}

static int64_t recovery_left(struct db_conn *c, int64_t staff_id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT COUNT(*) FROM recovery_code WHERE staff_id = ? AND "
		   "used_at IS NULL");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	int64_t n = db_step(st) == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

/* ---- checking a code ------------------------------------------------------ */

/* The member's TOTP secret (decrypted and decoded into out) and last
 * accepted step. 1, 0 (none in that state), -1. */
static int load_secret(struct db_conn *c, int64_t staff_id, bool confirmed,
		       unsigned char out[TOTP_SECRET_BYTES], int64_t *last_step)
{
	const char *sql =
		db_conn_dialect(c) == DB_PG
			? "SELECT secret, last_step, confirmed_at FROM "
			  "staff_totp WHERE staff_id = ? FOR UPDATE"
			: "SELECT secret, last_step, confirmed_at FROM "
			  "staff_totp WHERE staff_id = ?";
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	if (rc == 1 && (db_col_null(st, 2) != !confirmed))
		rc = 0; /* pending when confirmed wanted, or the reverse */
	if (rc == 1) {
		struct atr_err err = {0};
		char *b32 = secret_decrypt(db_col_text(st, 0), &err);
		*last_step = db_col_int(st, 1);
		if (!b32 || totp_secret_from_base32(b32, out) < 0)
			rc = -1;
		secret_free(b32);
	}
	db_reset(st);
	return rc;
}

/* 1 accepted (and recorded), 0 refused, -1 error. */
static int totp_accept(struct db_conn *c, int64_t staff_id, const char *code,
		       bool confirmed)
{
	unsigned char secret[TOTP_SECRET_BYTES];
	int64_t last = 0;
	int rc = load_secret(c, staff_id, confirmed, secret, &last);
	if (rc <= 0)
		return rc;
	int64_t step = totp_match(secret, TOTP_SECRET_BYTES, code,
				  atr_now_ms() / 1000);
	sodium_memzero(secret, sizeof secret);
	if (step < 0 || step <= last)
		return 0; /* wrong, or already used (replay) */
	struct db_stmt *st = db_prepare(
		c, "UPDATE staff_totp SET last_step = ? WHERE staff_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, step);
	db_bind_int(st, 2, staff_id);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 1;
}

int twofa_check(struct db_conn *c, int64_t staff_id, const char *code,
		bool *used_recovery)
{
	*used_recovery = false;
	char norm[64];
	recovery_norm(code, norm, sizeof norm);
	if (strlen(norm) == TOTP_DIGITS)
		return totp_accept(c, staff_id, norm, true);
	if (strlen(norm) != 16)
		return 0;
	char h[65], now[ATR_TIME_LEN];
	recovery_hash(norm, h);
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE recovery_code SET used_at = ? WHERE staff_id = ? AND "
		   "code_hash = ? AND used_at IS NULL RETURNING id");
	if (!st)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, staff_id);
	db_bind_text(st, 3, h);
	int rc = db_step(st);
	db_reset(st);
	if (rc == 1)
		*used_recovery = true;
	return rc;
}

/* ---- routes for the member ------------------------------------------------ */

/* The company name: what a new enrolment puts in the otpauth URI as the
 * issuer (an authenticator app lists the account under it). 0 or -1. */
static int company_issuer(struct db_conn *c, int64_t org, char *out,
			  size_t n)
{
	if (settings_get(c, org, "company_name", out, n) < 0)
		return -1;
	if (!out[0])
		atr_strlcpy(out, "Atrium", n);
	return 0;
}

/* The issuer the member's authenticator app shows: the one recorded at
 * enrolment, or (enrolled before it was recorded, or not enrolled) the
 * company name. 0 or -1. */
static int twofa_issuer(struct db_conn *c, int64_t org, int64_t staff_id,
			char *out, size_t n)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT issuer FROM staff_totp WHERE staff_id = ? AND "
		   "issuer IS NOT NULL");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	if (rc == 1)
		atr_strlcpy(out, db_col_text(st, 0), n);
	db_reset(st);
	if (rc < 0)
		return -1;
	return rc == 1 ? 0 : company_issuer(c, org, out, n);
}

static int twofa_h_status(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	/* 2FA is the person's (the home row's); whether it is required is
	 * this organisation's rule for this membership. */
	int64_t me = who_person(&r->who);
	int on = twofa_enabled(c, me);
	int req2 = twofa_required(c, r->who.org_id, r->who.staff_id);
	int64_t left = recovery_left(c, me);
	char issuer[ISSUER_MAX];
	if (on < 0 || req2 < 0 || left < 0 ||
	    twofa_issuer(c, r->who.org_id, me, issuer, sizeof issuer) < 0)
		return req_db_error(r);
	/* In the sign-in's second step only the issuer is told: what to look
	 * for in the app, nothing about the account's codes. */
	if (r->who.stage == STAGE_MFA) {
		req_json(r, 200, json_pack("{s:b,s:s}", "enabled", on,
					   "issuer", issuer));
		return 0;
	}
	req_json(r, 200,
		 json_pack("{s:b,s:b,s:I,s:s}", "enabled", on, "required",
			   req2, "recovery_codes_remaining", (json_int_t)left,
			   "issuer", issuer));
	return 0;
}

/* POST /api/v1/auth/2fa/enrol: a new pending secret, shown once. */
static int twofa_h_enrol(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int on = twofa_enabled(c, who_person(&r->who));
	if (on < 0)
		return req_db_error(r);
	if (on)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"two-factor authentication is already on; "
				"turn it off first to enrol a new device");
	/* The issuer is recorded with the secret: the sign-in step names it
	 * even after the company name changes. */
	char issuer[ISSUER_MAX];
	if (company_issuer(c, r->who.org_id, issuer, sizeof issuer) < 0)
		return req_db_error(r);
	unsigned char secret[TOTP_SECRET_BYTES];
	totp_secret_new(secret);
	/* secret_encrypt takes a C string: the base32 form is stored. */
	char *b32 = totp_base32(secret, TOTP_SECRET_BYTES);
	char *uri = totp_uri(issuer, r->who.email, secret, TOTP_SECRET_BYTES);
	char *svg = uri ? qr_svg(uri) : NULL;
	char *enc = b32 ? secret_encrypt(b32) : NULL;
	int rc = -1;
	if (!b32 || !uri || !svg || !enc) {
		atr_fail(&r->err, ATR_E_INTERNAL, "cannot create the secret");
		goto out;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (db_begin(c) < 0) {
		req_db_error(r);
		goto out;
	}
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO staff_totp (staff_id, secret, confirmed_at, "
		   "last_step, created_at, issuer) VALUES (?, ?, NULL, 0, ?, ?) "
		   "ON CONFLICT (staff_id) DO UPDATE SET secret = "
		   "excluded.secret, confirmed_at = NULL, last_step = 0, "
		   "created_at = excluded.created_at, issuer = excluded.issuer");
	if (!st) {
		req_db_error(r);
		goto out;
	}
	db_bind_int(st, 1, who_person(&r->who));
	db_bind_text(st, 2, enc);
	db_bind_text(st, 3, now);
	db_bind_text(st, 4, issuer);
	int s = db_step(st);
	db_reset(st);
	if (s < 0 ||
	    auth_event(r, "2fa_enrol_started", r->who.staff_id) < 0 ||
	    db_commit(c) < 0) {
		if (!r->err.kind)
			req_db_error(r);
		goto out;
	}
	req_json(r, 200,
		 json_pack("{s:s,s:s,s:s,s:s}", "secret", b32, "otpauth_uri",
			   uri, "qr_svg", svg, "issuer", issuer));
	rc = 0;
out:
	sodium_memzero(secret, sizeof secret);
	if (b32)
		sodium_memzero(b32, strlen(b32));
	if (uri)
		sodium_memzero(uri, strlen(uri));
	free(b32);
	free(uri);
	free(svg);
	free(enc);
	return rc;
}

static const struct field code_fields[] = {
	{"code", FT_SECRET, F_REQUIRED, 64, NULL, NULL},
};
static const struct schema code_schema = SCHEMA(code_fields);

/* The person signed in: their home row, where 2FA and the password are. */
static int load_me(struct req *r, struct staff_row *s)
{
	int rc = staff_store_load(r->db, "id", NULL, who_person(&r->who), s);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_UNAUTHORIZED, "signed out");
	return 0;
}

/* POST /api/v1/auth/2fa/activate {code}: confirms the pending secret,
 * returns the recovery codes once; an enrolment-stage session becomes a
 * full one (a new session id). */
static int twofa_h_activate(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t person = who_person(&r->who);
	char *key = arena_printf(r->arena, "2fa:%lld", (long long)person);
	if (auth_throttled(r, key, NULL) < 0)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	int ok = totp_accept(c, person, body_str(r, "code"), false);
	if (ok < 0)
		return req_db_error(r);
	if (ok == 0) {
		db_rollback(c);
		if (db_begin(c) < 0 ||
		    throttle_fail(c, key, r->app->cfg.login_max_failures) < 0 ||
		    db_commit(c) < 0)
			return req_db_error(r);
		atr_field(&r->err, "code", "invalid",
			  "the code does not match; check the device's clock "
			  "and enter the current code");
		return -1;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE staff_totp SET confirmed_at = ? WHERE staff_id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, person);
	int rc = db_step(st);
	db_reset(st);
	json_t *codes = rc < 0 ? NULL : recovery_new(c, person);
	if (!codes || throttle_clear(c, key) < 0)
		return req_db_error(r);
	struct staff_row s = {0};
	rc = load_me(r, &s);
	/* Privilege changes: a new session id, all others end. */
	if (!rc && (session_end_person(c, s.id, 0) < 0 ||
		    session_create(r, r->who.staff_id, STAGE_FULL) < 0))
		rc = r->err.kind ? -1 : req_db_error(r);
	if (!rc)
		rc = auth_event(r, "2fa_enabled", r->who.staff_id);
	if (!rc)
		rc = auth_notify(r, &s, "two-factor authentication was turned on");
	if (rc < 0 || db_commit(c) < 0) {
		json_decref(codes);
		return r->err.kind ? -1 : req_db_error(r);
	}
	json_t *me = session_me_json(r);
	json_object_set_new(me, "recovery_codes", codes);
	req_json(r, 200, me);
	return 0;
}

/* POST /api/v1/auth/2fa/verify {code}: the second sign-in step. */
int twofa_check_counted(struct req *r, const struct staff_row *s,
			const char *code, bool *recovery)
{
	struct db_conn *c = r->db;
	char *key = arena_printf(r->arena, "mfa:%lld", (long long)s->id);
	if (auth_throttled(r, key, NULL) < 0)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	int ok = twofa_check(c, s->id, code, recovery);
	if (ok < 0)
		return req_db_error(r);
	if (ok == 1) {
		if (throttle_clear(c, key) < 0)
			return req_db_error(r);
		return 1;
	}
	db_rollback(c);
	int threshold = r->app->cfg.login_max_failures;
	int64_t n = 0;
	if (db_begin(c) < 0 ||
	    throttle_fail_ex(c, key, threshold, TWOFA_WINDOW_MS,
			     TWOFA_FIRST_DELAY_S, TWOFA_MAX_DELAY_S, &n) < 0)
		return req_db_error(r);
	if (auth_event(r, "login_2fa_failed", r->who.staff_id) < 0)
		return -1;
	/* Someone who knows the password is guessing codes: tell the member
	 * once, when the count reaches the threshold (not at every guess). */
	if (n == threshold) {
		char when[ATR_TIME_LEN];
		atr_now_iso(when);
		json_t *vars = json_pack("{s:s,s:I,s:s,s:s}", "name", s->name,
					 "count", (json_int_t)n, "when", when,
					 "ip", r->ip);
		int e = email_enqueue(c, s->org_id, s->email, "twofa_failures",
				      vars);
		json_decref(vars);
		if (e < 0)
			return req_db_error(r);
	}
	if (db_commit(c) < 0)
		return req_db_error(r);
	return 0;
}

/* POST /api/v1/auth/2fa/verify {code}: the second sign-in step. */
static int twofa_h_verify(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct staff_row s = {0};
	if (load_me(r, &s) < 0)
		return -1;
	bool recovery = false;
	int ok = twofa_check_counted(r, &s, body_str(r, "code"), &recovery);
	if (ok < 0)
		return -1;
	if (ok == 0)
		return atr_fail(&r->err, ATR_E_UNAUTHORIZED,
				"the code is wrong or was already used");
	int64_t left = recovery ? recovery_left(c, s.id) : 0;
	struct db_stmt *st = db_prepare(
		c, "DELETE FROM session WHERE id = ?");
	if (!st || left < 0)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.session_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	r->who.must_change_password = s.must_change;
	/* The full session stays in the organisation the sign-in landed in. */
	if (session_create(r, r->who.staff_id, STAGE_FULL) < 0 ||
	    auth_event(r, recovery ? "login_recovery_code" : "login",
		       r->who.staff_id) < 0 ||
	    signals_signin(r, r->who.org_id, r->who.staff_id, r->who.name,
			   r->who.email) < 0)
		return -1;
	if (recovery &&
	    auth_notify(r, &s, "a recovery code was used to sign in") < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	json_t *me = session_me_json(r);
	if (recovery)
		json_object_set_new(me, "recovery_codes_remaining",
				    json_integer(left));
	req_json(r, 200, me);
	return 0;
}

int twofa_remove(struct db_conn *c, int64_t staff_id)
{
	struct db_stmt *st =
		db_prepare(c, "DELETE FROM staff_totp WHERE staff_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	st = db_prepare(c, "DELETE FROM recovery_code WHERE staff_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static int twofa_h_disable(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	/* The password (and a code) were re-entered lately: ROUTE_REAUTH. */
	struct staff_row s = {0};
	if (load_me(r, &s) < 0)
		return -1;
	/* Required by the home organisation or by this one. */
	int req2 = twofa_required(c, s.org_id, s.id);
	if (req2 == 0 && r->who.staff_id != s.id)
		req2 = twofa_required(c, r->who.org_id, r->who.staff_id);
	if (req2 < 0)
		return req_db_error(r);
	if (req2)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"two-factor authentication is required for "
				"your account and cannot be turned off");
	if (db_begin(c) < 0 || twofa_remove(c, s.id) < 0)
		return req_db_error(r);
	if (auth_event(r, "2fa_disabled", r->who.staff_id) < 0 ||
	    auth_notify(r, &s, "two-factor authentication was turned off") < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	r->status = 204;
	return 0;
}

static int twofa_h_codes(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	/* The password (and a code) were re-entered lately: ROUTE_REAUTH. */
	struct staff_row s = {0};
	if (load_me(r, &s) < 0)
		return -1;
	int on = twofa_enabled(c, s.id);
	if (on < 0)
		return req_db_error(r);
	if (!on)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"turn on two-factor authentication first");
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *codes = recovery_new(c, s.id);
	if (!codes)
		return req_db_error(r);
	if (auth_event(r, "2fa_recovery_codes", r->who.staff_id) < 0 ||
	    auth_notify(r, &s, "new recovery codes were generated") < 0 ||
	    db_commit(c) < 0) {
		json_decref(codes);
		return r->err.kind ? -1 : req_db_error(r);
	}
	req_json(r, 200, json_pack("{s:o}", "recovery_codes", codes));
	return 0;
}

static const struct route twofa_routes[] = {
	{HTTP_GET, "/api/v1/auth/2fa", twofa_h_status, ACCESS_SESSION, NULL, 0,
	 NULL, NULL, NULL, ROUTE_ENROL_OK | ROUTE_MFA_OK},
	{HTTP_POST, "/api/v1/auth/2fa/enrol", twofa_h_enrol, ACCESS_SESSION,
	 NULL, 0, &schema_empty, NULL, NULL, ROUTE_ENROL_OK},
	{HTTP_POST, "/api/v1/auth/2fa/activate", twofa_h_activate,
	 ACCESS_SESSION, NULL, 0, &code_schema, NULL, NULL, ROUTE_ENROL_OK},
	{HTTP_POST, "/api/v1/auth/2fa/verify", twofa_h_verify, ACCESS_SESSION,
	 NULL, 0, &code_schema, NULL, NULL, ROUTE_MFA_OK},
	{HTTP_POST, "/api/v1/auth/2fa/disable", twofa_h_disable,
	 ACCESS_SESSION, NULL, 0, &schema_empty, NULL, NULL, ROUTE_REAUTH},
	{HTTP_POST, "/api/v1/auth/2fa/recovery-codes", twofa_h_codes,
	 ACCESS_SESSION, NULL, 0, &schema_empty, NULL, NULL, ROUTE_REAUTH},
	{0},
};

const struct module module_twofa = {
	.name = "twofa",
	.routes = twofa_routes,
};
