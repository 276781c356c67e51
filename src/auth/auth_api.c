/* auth_api.c — login, logout, me, first-admin setup, set password.
 *
 * Login answers the same body and status for an unknown email, a wrong
 * password and an inactive account, and spends the same argon2 time on
 * each (password_verify with a dummy hash). Failures count per account and
 * per address (throttle.c). Argon2 runs before the write transaction, so
 * the database write lock is never held while hashing.
 */
#include "atrium.h"

#include "admin/staff.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/throttle.h"
#include "auth/token.h"
#include "core/activity.h"
#include "core/app.h"
#include "db/db.h"

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

static const struct field password_set_fields[] = {
	{"token", FT_SECRET, F_REQUIRED, 100, NULL, NULL},
	{"password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL, NULL},
};
static const struct schema password_set_schema = SCHEMA(password_set_fields);

static const char *body_str(struct req *r, const char *k)
{
	return json_string_value(json_object_get(r->body, k));
}

static int db_error(struct req *r)
{
	return atr_fail(&r->err, ATR_E_INTERNAL, "database error: %s",
			r->db ? db_errmsg(r->db) : "no connection");
}

struct staff_row {
	int64_t id, org_id;
	bool admin, active;
	char name[128], email[256];
	char hash[PASSWORD_HASH_MAX];
};

/* Loads a member by normalised email; 1 found, 0 not, -1 error. */
static int load_staff(struct db_conn *c, const char *norm,
		      struct staff_row *s)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id, org_id, admin, active, name, email, "
		   "password_hash FROM staff WHERE email_norm = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, norm);
	int rc = db_step(st);
	if (rc == 1) {
		s->id = db_col_int(st, 0);
		s->org_id = db_col_int(st, 1);
		s->admin = db_col_int(st, 2) != 0;
		s->active = db_col_int(st, 3) != 0;
		atr_strlcpy(s->name, db_col_text(st, 4), sizeof s->name);
		atr_strlcpy(s->email, db_col_text(st, 5), sizeof s->email);
		const char *h = db_col_text(st, 6);
		atr_strlcpy(s->hash, h ? h : "", sizeof s->hash);
	}
	db_reset(st);
	return rc;
}

static void fill_principal(struct req *r, const struct staff_row *s)
{
	r->who.staff_id = s->id;
	r->who.org_id = s->org_id;
	r->who.admin = s->admin;
	atr_strlcpy(r->who.name, s->name, sizeof r->who.name);
	atr_strlcpy(r->who.email, s->email, sizeof r->who.email);
}

static int login_failed(struct req *r, const char *acct_key,
			const char *ip_key, const struct staff_row *s,
			const char *email)
{
	struct db_conn *c = r->db;
	if (db_begin(c) < 0)
		return db_error(r);
	const struct config *cfg = &r->app->cfg;
	json_t *diff = json_pack("{s:{s:s}}", "email", "to", email);
	struct activity a = {
		.org_id = s ? s->org_id : 1,
		.actor_id = s ? s->id : 0,
		.actor_name = s ? s->name : NULL,
		.action = "login_failed",
		.entity = "staff",
		.entity_id = s ? s->id : 0,
		.diff = diff,
		.ip = r->ip,
		.request_id = r->request_id,
	};
	int rc = throttle_fail(c, acct_key, cfg->login_max_failures);
	if (!rc)
		rc = throttle_fail(c, ip_key, cfg->login_ip_max_failures);
	if (!rc)
		rc = activity_record(c, &a);
	json_decref(diff);
	if (rc < 0 || db_commit(c) < 0)
		return db_error(r);
	return atr_fail(&r->err, ATR_E_UNAUTHORIZED,
			"invalid email or password");
}

static int login_h_post(struct req *r)
{
	const char *email = body_str(r, "email");
	const char *pw = body_str(r, "password");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char norm[EMAIL_MAX + 1];
	staff_email_norm(email, norm, sizeof norm);
	char *acct_key = arena_printf(r->arena, "acct:%s", norm);
	char *ip_key = arena_printf(r->arena, "ip:%s", r->ip);

	int wa = throttle_wait(c, acct_key), wi = throttle_wait(c, ip_key);
	if (wa < 0 || wi < 0)
		return db_error(r);
	if (wa || wi) {
		r->err.retry_after = wa > wi ? wa : wi;
		return atr_fail(&r->err, ATR_E_RATE_LIMITED,
				"too many failed sign-in attempts; try again "
				"in %d seconds",
				r->err.retry_after);
	}

	struct staff_row s = {0};
	int found = load_staff(c, norm, &s);
	if (found < 0)
		return db_error(r);
	/* Unknown member, no password yet and wrong password all cost one
	 * argon2 verification and end in the same answer. */
	bool ok = password_verify(found && s.hash[0] ? s.hash : NULL, pw);
	if (!ok || !s.active)
		return login_failed(r, acct_key, ip_key, found ? &s : NULL,
				    email);

	char newhash[PASSWORD_HASH_MAX] = "";
	if (password_needs_rehash(s.hash) && password_hash(pw, newhash) < 0)
		newhash[0] = 0;

	if (db_begin(c) < 0)
		return db_error(r);
	fill_principal(r, &s);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE staff SET last_login_at = ? WHERE id = ?");
	if (!st)
		return db_error(r);
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, s.id);
	int rc = db_step(st);
	db_reset(st);
	if (rc >= 0 && newhash[0]) {
		/* Parameters rose since this hash was made: upgrade it. */
		st = db_prepare(c, "UPDATE staff SET password_hash = ? "
				   "WHERE id = ?");
		if (!st)
			return db_error(r);
		db_bind_text(st, 1, newhash);
		db_bind_int(st, 2, s.id);
		rc = db_step(st);
		db_reset(st);
	}
	if (rc < 0 || throttle_clear(c, acct_key) < 0 ||
	    session_create(r, s.id) < 0 ||
	    activity_from_req(r, "login", "staff", s.id, NULL) < 0)
		return r->err.kind ? -1 : db_error(r);
	if (db_commit(c) < 0)
		return db_error(r);
	req_json(r, 200, session_me_json(r));
	return 0;
}

static int logout_h_post(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return db_error(r);
	if (session_end(r) < 0 ||
	    activity_from_req(r, "logout", "staff", r->who.staff_id, NULL) <
		    0)
		return -1;
	if (db_commit(c) < 0)
		return db_error(r);
	r->status = 204;
	return 0;
}

static int me_h_get(struct req *r)
{
	req_json(r, 200, session_me_json(r));
	return 0;
}

/* Consumes a single-use token of `purpose` inside the open transaction.
 * Returns 1 and *staff_id (0 when the token names none), 0 when the token
 * is unknown, used or expired, -1 on error. */
static int consume_token(struct db_conn *c, const char *token,
			 const char *purpose, int64_t *staff_id)
{
	if (!token_well_formed(token))
		return 0;
	char h[TOKEN_HASH_LEN + 1], now[ATR_TIME_LEN];
	token_hash(token, h);
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE auth_token SET used_at = ? WHERE token_hash = ? "
		   "AND purpose = ? AND used_at IS NULL AND expires_at > ? "
		   "RETURNING staff_id");
	if (!st)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_text(st, 2, h);
	db_bind_text(st, 3, purpose);
	db_bind_text(st, 4, now);
	int rc = db_step(st);
	if (rc == 1)
		*staff_id = db_col_null(st, 0) ? 0 : db_col_int(st, 0);
	db_reset(st);
	return rc;
}

static int setup_h_post(struct req *r)
{
	const char *pw = body_str(r, "password");
	if (password_policy_check(pw, "password", &r->err) < 0)
		return -1;
	char hash[PASSWORD_HASH_MAX];
	if (password_hash(pw, hash) < 0)
		return atr_fail(&r->err, ATR_E_UNAVAILABLE,
				"cannot hash the password now");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return db_error(r);
	int64_t n = staff_count(c);
	if (n < 0)
		return db_error(r);
	if (n > 0)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"setup is complete: an administrator exists");
	int64_t unused;
	int t = consume_token(c, body_str(r, "token"), "setup", &unused);
	if (t < 0)
		return db_error(r);
	if (t == 0)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"the setup link is invalid or has expired; "
				"restart `atrium serve` for a new one");
	int64_t id;
	if (staff_insert(c, 1, body_str(r, "email"), body_str(r, "name"), true,
			 hash, &id, &r->err) < 0)
		return -1;
	struct staff_row s = {.id = id, .org_id = 1, .admin = true};
	atr_strlcpy(s.name, body_str(r, "name"), sizeof s.name);
	atr_strlcpy(s.email, body_str(r, "email"), sizeof s.email);
	fill_principal(r, &s);
	json_t *diff = json_pack("{s:{s:s},s:{s:s},s:{s:b}}", "email", "to",
				 s.email, "name", "to", s.name, "admin", "to",
				 1);
	int rc = session_create(r, id);
	if (!rc)
		rc = activity_from_req(r, "setup", "staff", id, diff);
	json_decref(diff);
	if (rc < 0)
		return -1;
	if (db_commit(c) < 0)
		return db_error(r);
	req_json(r, 201, session_me_json(r));
	return 0;
}

static int password_set_h_post(struct req *r)
{
	const char *pw = body_str(r, "password");
	if (password_policy_check(pw, "password", &r->err) < 0)
		return -1;
	char hash[PASSWORD_HASH_MAX];
	if (password_hash(pw, hash) < 0)
		return atr_fail(&r->err, ATR_E_UNAVAILABLE,
				"cannot hash the password now");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return db_error(r);
	int64_t staff_id = 0;
	int t = consume_token(c, body_str(r, "token"), "set_password",
			      &staff_id);
	if (t < 0)
		return db_error(r);
	if (t == 0 || staff_id == 0)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"the link is invalid, used or expired; ask an "
				"administrator for a new one");
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE staff SET password_hash = ?, updated_at = ? "
		   "WHERE id = ? AND active = 1 "
		   "RETURNING org_id, admin, name, email");
	if (!st)
		return db_error(r);
	db_bind_text(st, 1, hash);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, staff_id);
	struct staff_row s = {.id = staff_id};
	int rc = db_step(st);
	if (rc == 1) {
		s.org_id = db_col_int(st, 0);
		s.admin = db_col_int(st, 1) != 0;
		atr_strlcpy(s.name, db_col_text(st, 2), sizeof s.name);
		atr_strlcpy(s.email, db_col_text(st, 3), sizeof s.email);
	}
	db_reset(st);
	if (rc < 0)
		return db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"the account is deactivated");
	fill_principal(r, &s);
	if (session_end_all(c, staff_id, 0) < 0)
		return db_error(r);
	if (session_create(r, staff_id) < 0 ||
	    activity_from_req(r, "password_set", "staff", staff_id, NULL) < 0)
		return -1;
	if (db_commit(c) < 0)
		return db_error(r);
	req_json(r, 200, session_me_json(r));
	return 0;
}

const struct route auth_routes[] = {
	{HTTP_POST, "/api/v1/auth/login", login_h_post, ACCESS_PUBLIC, NULL, 0,
	 &login_schema, NULL},
	{HTTP_POST, "/api/v1/auth/logout", logout_h_post, ACCESS_SESSION, NULL,
	 0, NULL, NULL},
	{HTTP_GET, "/api/v1/auth/me", me_h_get, ACCESS_SESSION, NULL, 0, NULL,
	 NULL},
	{HTTP_POST, "/api/v1/auth/password/set", password_set_h_post,
	 ACCESS_PUBLIC, NULL, 0, &password_set_schema, NULL},
	{HTTP_POST, "/api/v1/setup", setup_h_post, ACCESS_PUBLIC, NULL, 0,
	 &setup_schema, NULL},
	{0},
};
