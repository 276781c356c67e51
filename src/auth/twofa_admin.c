/* twofa_admin.c — the administrator's side of two-factor authentication:
 * the 2FA user list and resetting a member's 2FA (a lost device). The
 * member's own routes are twofa.c.
 */
#include "atrium.h"

#include "auth/auth.h"
#include "auth/perm.h"
#include "auth/session.h"
#include "auth/staff_store.h"
#include "auth/twofa.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"

/* GET /api/v1/authenticator-2fa/users: every member's 2FA status;
 * ?admin=true&enabled=false lists administrators without 2FA. */
static int twofa_h_users(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int f_admin = -1, f_enabled = -1;
	for (int i = 0; i < r->nquery; i++) {
		const char *k = r->query[i].key, *v = r->query[i].value;
		int *dst = !strcmp(k, "admin")	   ? &f_admin
			   : !strcmp(k, "enabled") ? &f_enabled
						   : NULL;
		if (!dst)
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"unknown query parameter '%s'", k);
		if (strcmp(v, "true") && strcmp(v, "false"))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"%s must be true or false", k);
		*dst = !strcmp(v, "true");
	}
	char required_admins[8] = "true";
	if (settings_get(c, r->who.org_id, "twofa_required_admins",
			 required_admins, sizeof required_admins) < 0)
		return req_db_error(r);
	struct db_stmt *st = db_prepare(
		c, "SELECT s.id, s.name, s.email, s.admin, s.active, "
		   "t.confirmed_at, COALESCE(r.require_2fa, 0), "
		   "(SELECT COUNT(*) FROM recovery_code rc WHERE rc.staff_id = "
		   "s.id AND rc.used_at IS NULL) FROM staff s "
		   "LEFT JOIN staff_totp t ON t.staff_id = s.id AND "
		   "t.confirmed_at IS NOT NULL "
		   "LEFT JOIN role r ON r.id = s.role_id WHERE s.org_id = ? "
		   "AND (? < 0 OR s.admin = ?) AND (? < 0 OR "
		   "(t.confirmed_at IS NOT NULL) = (? = 1)) "
		   "ORDER BY s.admin DESC, lower(s.name), s.id");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, f_admin);
	db_bind_int(st, 3, f_admin);
	db_bind_int(st, 4, f_enabled);
	db_bind_int(st, 5, f_enabled);
	json_t *data = json_array();
	int64_t admins = 0, admins_with = 0;
	int rc;
	while ((rc = db_step(st)) == 1) {
		bool admin = db_col_int(st, 3), on = !db_col_null(st, 5);
		bool required = db_col_int(st, 6) ||
				(admin && !strcmp(required_admins, "true"));
		const char *since = db_col_text(st, 5);
		json_array_append_new(
			data,
			json_pack("{s:I,s:s,s:s,s:b,s:b,s:b,s:o,s:b,s:I}", "id",
				  (json_int_t)db_col_int(st, 0), "name",
				  db_col_text(st, 1), "email",
				  db_col_text(st, 2), "admin", admin, "active",
				  (int)db_col_int(st, 4), "enabled", on,
				  "enabled_at",
				  since ? json_string(since) : json_null(),
				  "required", required,
				  "recovery_codes_remaining",
				  (json_int_t)db_col_int(st, 7)));
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(data);
		return req_db_error(r);
	}
	/* The summary counts every active administrator, whatever the
	 * filter: "N of M administrators use 2FA". */
	st = db_prepare(c, "SELECT COUNT(*), COUNT(t.confirmed_at) FROM staff s "
			   "LEFT JOIN staff_totp t ON t.staff_id = s.id AND "
			   "t.confirmed_at IS NOT NULL WHERE s.org_id = ? AND "
			   "s.admin = 1 AND s.active = 1");
	if (!st) {
		json_decref(data);
		return req_db_error(r);
	}
	db_bind_int(st, 1, r->who.org_id);
	rc = db_step(st);
	admins = rc == 1 ? db_col_int(st, 0) : 0;
	admins_with = rc == 1 ? db_col_int(st, 1) : 0;
	db_reset(st);
	if (rc < 0) {
		json_decref(data);
		return req_db_error(r);
	}
	req_json(r, 200,
		 json_pack("{s:o,s:I,s:{s:I,s:I}}", "data", data, "total",
			   (json_int_t)json_array_size(data), "admins",
			   "total", (json_int_t)admins, "with_2fa",
			   (json_int_t)admins_with));
	return 0;
}

/* POST /api/v1/staff/{id}/2fa/reset: removes a member's 2FA (lost
 * device); the member's sessions end. Logged. An administrator's 2FA can
 * only be reset by an administrator. */
static int twofa_h_reset(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	/* Who may manage whom: one rule, in the permission kernel. */
	if (perm_may_manage(c, &r->who, r->id, &r->err) < 0)
		return -1;
	struct staff_row s = {0};
	if (staff_store_load(c, "id", NULL, r->id, &s) != 1)
		return req_db_error(r);
	if (db_begin(c) < 0 || twofa_remove(c, r->id) < 0 ||
	    session_end_all(c, r->id,
			    r->id == r->who.staff_id ? r->who.session_id : 0) <
		    0)
		return req_db_error(r);
	if (auth_event(r, "2fa_reset", r->id) < 0 ||
	    auth_notify(r, &s,
			"an administrator reset your two-factor "
			"authentication") < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	r->status = 204;
	return 0;
}

static const struct route twofa_admin_routes[] = {
	{HTTP_GET, "/api/v1/authenticator-2fa/users", twofa_h_users,
	 ACCESS_PERM, "staff", CAP_VIEW},
	{HTTP_POST, "/api/v1/staff/{id}/2fa/reset", twofa_h_reset, ACCESS_PERM,
	 "staff", CAP_EDIT, &schema_empty, NULL, NULL, ROUTE_REAUTH_SELF},
	{0},
};

const struct module module_twofa_admin = {
	.name = "twofa_admin",
	.routes = twofa_admin_routes,
};
