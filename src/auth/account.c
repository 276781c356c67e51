/* account.c — re-authentication and a member's own email change.
 *
 * Re-authentication: POST /api/v1/auth/reauth takes the password, and a
 * current two-factor code when 2FA is on, and stamps the session
 * (session.reauth_at). Routes flagged ROUTE_REAUTH (http/http.h) need that
 * stamp to be at most REAUTH_MINUTES old; the pipeline answers 403
 * `reauth-required` otherwise, and the web UI asks and retries. So a
 * stolen session alone cannot remove 2FA, enrol another device or move
 * the account to another address.
 *
 * Email change: the member asks (ROUTE_REAUTH) for a new address; a link
 * goes to the current address and one to the new; the change applies only
 * when both are confirmed (24 hours). A change by someone else (who may
 * manage the member, PATCH /api/v1/staff/{id}) applies at once and the old
 * address is told.
 */
#include "atrium.h"

#include <sodium.h>

#include "auth/auth.h"
#include "auth/membership.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/staff_store.h"
#include "auth/throttle.h"
#include "auth/token.h"
#include "auth/twofa.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/module.h"
#include "db/db.h"
#include "email/email.h"

#define EMAIL_CHANGE_HOURS 24

static const char *body_str(struct req *r, const char *k)
{
	return json_string_value(json_object_get(r->body, k));
}

/* ---- re-authentication ---------------------------------------------------- */

static const struct field reauth_fields[] = {
	{"password", FT_SECRET, F_REQUIRED, PASSWORD_MAX_LEN, NULL, NULL},
	{"code", FT_SECRET, 0, 64, NULL, NULL},
};
static const struct schema reauth_schema = SCHEMA(reauth_fields);

/* POST /api/v1/auth/reauth {password, code?}: 200 {reauth_until}. A wrong
 * password counts toward the member's re-entry throttle; a wrong code
 * toward the second factor's own counter (twofa_check_counted). */
static int account_h_reauth(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct staff_row s = {0};
	/* The person's password and 2FA: on the home row. */
	int found = staff_store_load(c, "id", NULL, who_person(&r->who), &s);
	if (found <= 0)
		return found < 0 ? req_db_error(r)
				 : atr_fail(&r->err, ATR_E_UNAUTHORIZED,
					    "signed out");
	char *key = arena_printf(r->arena, "reauth:%lld", (long long)s.id);
	if (auth_throttled(r, key, NULL) < 0)
		return -1;
	int on = twofa_enabled(c, s.id);
	if (on < 0)
		return req_db_error(r);
	const char *code = body_str(r, "code");
	int ok = password_verify(s.hash[0] ? s.hash : NULL,
				 body_str(r, "password"));
	if (ok == PASSWORD_BUSY)
		return password_busy(&r->err);
	if (!ok) {
		if (db_begin(c) < 0 ||
		    throttle_fail(c, key, r->app->cfg.login_max_failures) < 0)
			return req_db_error(r);
		if (auth_event(r, "reauth_failed", r->who.staff_id) < 0)
			return -1;
		if (db_commit(c) < 0)
			return req_db_error(r);
		atr_field(&r->err, "password", "invalid",
			  "is not your password");
		if (on && !code)
			atr_field(&r->err, "code", "required",
				  "enter the code of your authenticator app");
		return -1;
	}
	if (on) {
		if (!code) {
			atr_field(&r->err, "code", "required",
				  "enter the code of your authenticator app");
			return -1;
		}
		bool recovery = false;
		int k = twofa_check_counted(r, &s, code, &recovery);
		if (k < 0)
			return -1;
		if (k == 0) {
			atr_field(&r->err, "code", "invalid",
				  "the code is wrong or was already used");
			return -1;
		}
		/* The transaction twofa_check_counted left open goes on. */
	} else if (db_begin(c) < 0) {
		return req_db_error(r);
	}
	char now[ATR_TIME_LEN], until[ATR_TIME_LEN];
	int64_t now_ms = atr_now_ms();
	atr_time_iso(now_ms, now);
	atr_time_iso(now_ms + REAUTH_MINUTES * 60000LL, until);
	struct db_stmt *st =
		db_prepare(c, "UPDATE session SET reauth_at = ? WHERE id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, r->who.session_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 || throttle_clear(c, key) < 0)
		return req_db_error(r);
	if (auth_event(r, "reauth", r->who.staff_id) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 200, json_pack("{s:s}", "reauth_until", until));
	return 0;
}

/* ---- email change --------------------------------------------------------- */

/* The member's pending change as JSON, or null. NULL on a database error. */
static json_t *pending_json(struct db_conn *c, int64_t staff_id)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "SELECT new_email, old_confirmed_at, new_confirmed_at, "
		   "expires_at FROM email_change WHERE staff_id = ? AND "
		   "expires_at > ?");
	if (!st)
		return NULL;
	db_bind_int(st, 1, staff_id);
	db_bind_text(st, 2, now);
	int rc = db_step(st);
	json_t *o = rc == 1 ? json_pack("{s:s,s:b,s:b,s:s}", "email",
					db_col_text(st, 0), "confirmed_current",
					!db_col_null(st, 1), "confirmed_new",
					!db_col_null(st, 2), "expires_at",
					db_col_text(st, 3))
			    : rc == 0 ? json_null()
				      : NULL;
	db_reset(st);
	return o;
}

static int account_h_email_get(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *p = pending_json(c, who_person(&r->who));
	if (!p)
		return req_db_error(r);
	req_json(r, 200,
		 json_pack("{s:s,s:o}", "email", r->who.email, "pending", p));
	return 0;
}

static const struct field email_fields[] = {
	{"email", FT_EMAIL, F_REQUIRED, EMAIL_MAX, NULL, NULL},
};
static const struct schema email_schema = SCHEMA(email_fields);

/* Queues one confirmation link of a change to `to`. */
static int send_confirmation(struct req *r, const char *to,
			     const char *template_name, const char *token,
			     const char *old_email, const char *new_email)
{
	char link[512];
	snprintf(link, sizeof link, "%s/confirm-email#token=%s",
		 r->app->cfg.public_url, token);
	json_t *vars = json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", r->who.name,
				 "link", link, "old_email", old_email,
				 "new_email", new_email, "expires_hours",
				 EMAIL_CHANGE_HOURS);
	int rc = email_enqueue(r->db, r->who.org_id, to, template_name, vars);
	json_decref(vars);
	sodium_memzero(link, sizeof link);
	return rc < 0 ? req_db_error(r) : 0;
}

/* POST /api/v1/auth/email {email} (ROUTE_REAUTH): 202 with the pending
 * change; links to both addresses. */
static int account_h_email_change(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	const char *email = body_str(r, "email");
	char norm[EMAIL_MAX + 1], mine[EMAIL_MAX + 1];
	staff_store_email_norm(email, norm, sizeof norm);
	staff_store_email_norm(r->who.email, mine, sizeof mine);
	if (!strcmp(norm, mine)) {
		atr_field(&r->err, "email", "invalid", "is already your email");
		return -1;
	}
	if (db_begin(c) < 0)
		return req_db_error(r);
	struct staff_row other;
	int taken = staff_store_load(c, "email", norm, 0, &other);
	if (taken < 0)
		return req_db_error(r);
	if (taken) {
		atr_field(&r->err, "email", "taken",
			  "a staff member with this email exists");
		return -1;
	}
	char old_tok[TOKEN_LEN + 1], new_tok[TOKEN_LEN + 1];
	char old_h[TOKEN_HASH_LEN + 1], new_h[TOKEN_HASH_LEN + 1];
	char now[ATR_TIME_LEN], exp[ATR_TIME_LEN];
	token_new(old_tok);
	token_new(new_tok);
	token_hash(old_tok, old_h);
	token_hash(new_tok, new_h);
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() + EMAIL_CHANGE_HOURS * 3600000LL, exp);
	int rc = -1;
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO email_change (org_id, staff_id, new_email, "
		   "old_token_hash, new_token_hash, expires_at, created_at) "
		   "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (staff_id) DO "
		   "UPDATE SET new_email = excluded.new_email, old_token_hash "
		   "= excluded.old_token_hash, new_token_hash = "
		   "excluded.new_token_hash, old_confirmed_at = NULL, "
		   "new_confirmed_at = NULL, expires_at = excluded.expires_at, "
		   "created_at = excluded.created_at");
	if (!st) {
		req_db_error(r);
		goto out;
	}
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, who_person(&r->who));
	db_bind_text(st, 3, email);
	db_bind_text(st, 4, old_h);
	db_bind_text(st, 5, new_h);
	db_bind_text(st, 6, exp);
	db_bind_text(st, 7, now);
	int s = db_step(st);
	db_reset(st);
	if (s < 0) {
		req_db_error(r);
		goto out;
	}
	json_t *diff = json_pack("{s:{s:s,s:s}}", "email", "from",
				 r->who.email, "to", email);
	s = activity_from_req(r, "email_change_requested", "staff",
			      r->who.staff_id, diff);
	json_decref(diff);
	if (s < 0 ||
	    send_confirmation(r, r->who.email, "email_change_current", old_tok,
			      r->who.email, email) < 0 ||
	    send_confirmation(r, email, "email_change_new", new_tok,
			      r->who.email, email) < 0)
		goto out;
	json_t *p = pending_json(c, who_person(&r->who));
	if (!p) {
		req_db_error(r);
		goto out;
	}
	if (db_commit(c) < 0) {
		json_decref(p);
		req_db_error(r);
		goto out;
	}
	req_json(r, 202,
		 json_pack("{s:s,s:o}", "email", r->who.email, "pending", p));
	rc = 0;
out:
	sodium_memzero(old_tok, sizeof old_tok);
	sodium_memzero(new_tok, sizeof new_tok);
	return rc;
}

static const struct field token_fields[] = {
	{"token", FT_SECRET, F_REQUIRED, 100, NULL, NULL},
};
static const struct schema token_schema = SCHEMA(token_fields);

/* Applies a change confirmed from both sides: the new address becomes the
 * member's, the old one is told. In the open transaction. */
static int apply_change(struct req *r, int64_t staff_id, const char *email)
{
	struct staff_row s = {0};
	if (staff_store_load(r->db, "id", NULL, staff_id, &s) != 1)
		return req_db_error(r);
	char norm[EMAIL_MAX + 1], now[ATR_TIME_LEN];
	staff_store_email_norm(email, norm, sizeof norm);
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE staff SET email = ?, email_norm = ?, updated_at "
		       "= ?, version = version + 1 WHERE id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_text(st, 1, email);
	db_bind_text(st, 2, norm);
	db_bind_text(st, 3, now);
	db_bind_int(st, 4, staff_id);
	int rc = db_step(st);
	db_reset(st);
	/* The person's memberships of other organisations show it too. */
	if (rc >= 0 && membership_sync(r->db, staff_id) < 0)
		rc = -1;
	if (rc < 0) {
		if (db_err_unique(r->db))
			return atr_fail(&r->err, ATR_E_CONFLICT,
					"the address %s was taken by another "
					"member meanwhile; ask for another "
					"change",
					email);
		return req_db_error(r);
	}
	r->who.org_id = s.org_id;
	json_t *diff = json_pack("{s:{s:s,s:s}}", "email", "from", s.email,
				 "to", email);
	struct activity a = {
		.org_id = s.org_id,
		.actor_id = s.id,
		.actor_name = s.name,
		.action = "email_changed",
		.entity = "staff",
		.entity_id = s.id,
		.diff = diff,
		.ip = r->ip,
		.request_id = r->request_id,
	};
	rc = activity_record(r->db, &a);
	json_decref(diff);
	if (rc < 0)
		return req_db_error(r);
	char what[EMAIL_MAX + 96];
	snprintf(what, sizeof what,
		 "the sign-in email of your account was changed to %s", email);
	return auth_notify(r, &s, what);
}

/* POST /api/v1/auth/email/confirm {token}: one side of a change. Public,
 * token-gated (the links are mailed). 200 {email_changed, waiting_for}. */
static int account_h_email_confirm(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	const char *tok = body_str(r, "token");
	if (!token_well_formed(tok))
		goto bad;
	char h[TOKEN_HASH_LEN + 1], now[ATR_TIME_LEN];
	token_hash(tok, h);
	atr_now_iso(now);
	if (db_begin(c) < 0)
		return req_db_error(r);
	/* Marks the side whose link this is; a link works once. */
	struct db_stmt *st = db_prepare(
		c, "UPDATE email_change SET old_confirmed_at = CASE WHEN "
		   "old_token_hash = ? THEN ? ELSE old_confirmed_at END, "
		   "new_confirmed_at = CASE WHEN new_token_hash = ? THEN ? "
		   "ELSE new_confirmed_at END WHERE expires_at > ? AND "
		   "((old_token_hash = ? AND old_confirmed_at IS NULL) OR "
		   "(new_token_hash = ? AND new_confirmed_at IS NULL)) "
		   "RETURNING id, staff_id, new_email, old_confirmed_at, "
		   "new_confirmed_at");
	if (!st)
		return req_db_error(r);
	db_bind_text(st, 1, h);
	db_bind_text(st, 2, now);
	db_bind_text(st, 3, h);
	db_bind_text(st, 4, now);
	db_bind_text(st, 5, now);
	db_bind_text(st, 6, h);
	db_bind_text(st, 7, h);
	int rc = db_step(st);
	int64_t id = 0, staff_id = 0;
	char email[EMAIL_MAX + 1] = "";
	bool old_ok = false, new_ok = false;
	if (rc == 1) {
		id = db_col_int(st, 0);
		staff_id = db_col_int(st, 1);
		atr_strlcpy(email, db_col_text(st, 2), sizeof email);
		old_ok = !db_col_null(st, 3);
		new_ok = !db_col_null(st, 4);
	}
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0) {
		db_rollback(c);
		goto bad;
	}
	bool done = old_ok && new_ok;
	if (done) {
		if (apply_change(r, staff_id, email) < 0)
			return -1;
		st = db_prepare(c, "DELETE FROM email_change WHERE id = ?");
		if (!st)
			return req_db_error(r);
		db_bind_int(st, 1, id);
		rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return req_db_error(r);
	}
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 200,
		 json_pack("{s:b,s:o}", "email_changed", done, "waiting_for",
			   done     ? json_null()
			   : old_ok ? json_string("new")
				    : json_string("current")));
	return 0;
bad:
	return atr_fail(&r->err, ATR_E_FORBIDDEN,
			"the link is invalid, used or expired; ask for a new "
			"change from Account security");
}

static const struct route account_routes[] = {
	{HTTP_POST, "/api/v1/auth/reauth", account_h_reauth, ACCESS_SESSION,
	 NULL, 0, &reauth_schema},
	{HTTP_GET, "/api/v1/auth/email", account_h_email_get, ACCESS_SESSION},
	{HTTP_POST, "/api/v1/auth/email", account_h_email_change,
	 ACCESS_SESSION, NULL, 0, &email_schema, NULL, NULL, ROUTE_REAUTH},
	{HTTP_POST, "/api/v1/auth/email/confirm", account_h_email_confirm,
	 ACCESS_PUBLIC, NULL, 0, &token_schema},
	{0},
};

/* Email changes that were never confirmed, a day after they lapsed. */
static const struct housekeeping account_housekeeping[] = {
	{"DELETE FROM email_change WHERE expires_at < ? RETURNING id", 1,
	 {24LL * 3600 * 1000}},
	{0},
};

const struct module module_account = {
	.name = "account",
	.routes = account_routes,
	.housekeeping = account_housekeeping,
};
