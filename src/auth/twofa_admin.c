/* twofa_admin.c — the administrator's side of two-factor authentication:
 * the 2FA user list and resetting a member's 2FA (a lost device). The
 * member's own routes are twofa.c.
 */
#include "atrium.h"

#include "auth/auth.h"
#include "auth/membership.h"
#include "auth/perm.h"
#include "auth/session.h"
#include "auth/staff_store.h"
#include "auth/twofa.h"
#include "core/buf.h"
#include "core/health_report.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "http/list.h"

/* ---- the 2FA user list (GET /api/v1/authenticator-2fa/users) ---------- */

#define TWOFA_FROM                                                             \
	"staff s LEFT JOIN staff_totp t ON t.staff_id = s.id AND "             \
	"t.confirmed_at IS NOT NULL LEFT JOIN role r ON r.id = s.role_id"
#define TWOFA_ENABLED "CASE WHEN t.confirmed_at IS NULL THEN 0 ELSE 1 END"
#define TWOFA_COLS                                                             \
	"s.id, s.name, s.email, s.admin, s.active, t.confirmed_at, "          \
	"COALESCE(r.require_2fa, 0), (SELECT COUNT(*) FROM recovery_code rc " \
	"WHERE rc.staff_id = s.id AND rc.used_at IS NULL)"

/* What one request's rows need to know: the organisation's policy. */
struct twofa_list_ctx {
	bool required_admins;
};

static void twofa_row_write(struct buf *b, struct db_stmt *st,
			    const void *arg)
{
	const struct twofa_list_ctx *x = arg;
	bool admin = db_col_int(st, 3), on = !db_col_null(st, 5);
	bool required = db_col_int(st, 6) || (admin && x->required_admins);
	const char *since = db_col_text(st, 5);
	json_t *o = json_pack(
		"{s:I,s:s,s:s,s:b,s:b,s:b,s:o,s:b,s:I}", "id",
		(json_int_t)db_col_int(st, 0), "name", db_col_text(st, 1),
		"email", db_col_text(st, 2), "admin", admin, "active",
		(int)db_col_int(st, 4), "enabled", on, "enabled_at",
		since ? json_string(since) : json_null(), "required", required,
		"recovery_codes_remaining", (json_int_t)db_col_int(st, 7));
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

/* The summary counts every active administrator, whatever the filter:
 * "N of M administrators use 2FA": ,"admins":{"total","with_2fa"}. */
static int twofa_extra(struct req *r, struct buf *out, const void *arg)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT COUNT(*), COUNT(t.confirmed_at) FROM staff s "
		       "LEFT JOIN staff_totp t ON t.staff_id = s.id AND "
		       "t.confirmed_at IS NOT NULL WHERE s.org_id = ? AND "
		       "s.admin = 1 AND s.active = 1");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1)
		buf_printf(out, ",\"admins\":{\"total\":%lld,\"with_2fa\":%lld}",
			   (long long)db_col_int(st, 0),
			   (long long)db_col_int(st, 1));
	db_reset(st);
	return rc == 1 ? 0 : req_db_error(r);
}

static const struct field f_admin = {.name = "admin", .type = FT_BOOL};
static const struct field f_active = {.name = "active", .type = FT_BOOL};
static const struct field f_enabled = {.name = "enabled", .type = FT_BOOL};
static const struct field f_name = {.name = "name", .type = FT_TEXT};
static const struct field f_email = {.name = "email", .type = FT_EMAIL};
static const struct field f_enabled_at = {.name = "enabled_at",
					  .type = FT_DATETIME};

static const struct list_col twofa_columns[] = {
	{&f_admin, "s.admin", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_active, "s.active", LIST_FILTER},
	{&f_enabled, TWOFA_ENABLED, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_name, "s.name", LIST_SORT | LIST_NOTNULL},
	{&f_email, "s.email_norm", LIST_SORT | LIST_NOTNULL},
	{&f_enabled_at, "t.confirmed_at", LIST_FILTER | LIST_SORT},
};

static const char *const twofa_search[] = {"s.name", "s.email_norm", NULL};

static const struct list_spec twofa_spec = {
	.from = TWOFA_FROM,
	.cols = TWOFA_COLS,
	.id = "s.id",
	.org = "s.org_id",
	.columns = twofa_columns,
	.ncolumns = (int)ATR_ARRAY_LEN(twofa_columns),
	/* Administrators first: the policy is about them. */
	.sort_default = "-admin,name",
	.limit_default = 50,
	.limit_max = 200,
	.search = twofa_search,
	.count_default = true,
	.row = twofa_row_write,
	.extra = twofa_extra,
};

/* GET /api/v1/authenticator-2fa/users: every member's 2FA status, with
 * the list engine's filters (?admin=true&enabled=false: administrators
 * without 2FA), search and paging. */
static int twofa_h_users(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char required_admins[8] = "true";
	if (settings_get(c, r->who.org_id, "twofa_required_admins",
			 required_admins, sizeof required_admins) < 0)
		return req_db_error(r);
	struct twofa_list_ctx x = {!strcmp(required_admins, "true")};
	struct list_spec spec = twofa_spec;
	spec.arg = &x;
	return list_run(r, &spec);
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
	if (perm_may_manage(c, &r->who, r->id, &r->err) < 0 ||
	    membership_refuse_linked(c, r->id, &r->err) < 0)
		return -1;
	struct staff_row s = {0};
	if (staff_store_load(c, "id", NULL, r->id, &s) != 1)
		return req_db_error(r);
	/* The person's 2FA: their sessions end in every organisation. */
	if (db_begin(c) < 0 || twofa_remove(c, r->id) < 0 ||
	    session_end_person(
		c, r->id, r->id == r->who.staff_id ? r->who.session_id : 0) < 0)
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

/* The health report: the share of active administrators who use 2FA
 * (the spec: 100 % good, any administrator without it a warning). */
static int twofa_health(struct app *app, struct db_conn *c, int64_t org,
			struct health_report *rep)
{
	struct db_stmt *st = db_prepare(
		c, org ? "SELECT COUNT(*), COUNT(t.confirmed_at) FROM staff s "
			 "LEFT JOIN staff_totp t ON t.staff_id = s.id AND "
			 "t.confirmed_at IS NOT NULL WHERE s.org_id = ? AND "
			 "s.admin = 1 AND s.active = 1"
		       : "SELECT COUNT(*), COUNT(t.confirmed_at) FROM staff s "
			 "LEFT JOIN staff_totp t ON t.staff_id = s.id AND "
			 "t.confirmed_at IS NOT NULL WHERE s.admin = 1 AND "
			 "s.active = 1");
	if (!st)
		return -1;
	if (org)
		db_bind_int(st, 1, org);
	int rc = db_step(st);
	int64_t total = rc == 1 ? db_col_int(st, 0) : 0;
	int64_t on = rc == 1 ? db_col_int(st, 1) : 0;
	db_reset(st);
	if (rc != 1)
		return -1;
	struct hr_ind *i = hr_add(rep, "admins_2fa", "percent",
				  "/admin/authenticator_2fa/userlist");
	if (total > 0)
		hr_value(i, 100.0 * (double)on / (double)total);
	hr_thresholds(i, HR_GE, 100, HR_LT, 100);
	hr_fact(i, "admins", total);
	hr_fact(i, "with_2fa", on);
	hr_gauge(rep, "atrium_admins", "Active administrators.", NULL,
		 NULL, (double)total);
	hr_gauge(rep, "atrium_admins_with_2fa",
		 "Active administrators with two-factor authentication on.",
		 NULL, NULL, (double)on);
	return 0;
}

const struct module module_twofa_admin = {
	.name = "twofa_admin",
	.routes = twofa_admin_routes,
	.health = twofa_health,
};
