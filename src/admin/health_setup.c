/* health_setup.c — the spec's "Initial setup — complete checklist" as the
 * dashboard shows it on a new installation: each step done or not, read
 * from the data itself (never a box somebody ticks), with the screen that
 * does it. Dismissal is the setting health.setup_checklist_dismissed,
 * changed (and logged) through PATCH /api/v1/settings/health.
 */
#include "atrium.h"

#include "admin/health_int.h"
#include "core/settings.h"
#include "db/db.h"
#include "http/http.h"
#include "jobs/jobs.h"

/* 1 when the statement (binding org first, when it has a ?) gives a
 * row whose first column is non-zero; 0 otherwise; -1 on an error. */
static int truth(struct db_conn *c, const char *sql, int64_t org)
{
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return -1;
	if (strchr(sql, '?'))
		db_bind_int(st, 1, org);
	int rc = db_step(st);
	int v = rc == 1 ? db_col_int(st, 0) != 0 : 0;
	db_reset(st);
	return rc < 0 ? -1 : v;
}

/* The newest Send Test Email of the organisation went through. */
static int smtp_tested(struct db_conn *c, int64_t org)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT diff FROM activity_log WHERE org_id = ? AND entity "
		   "= 'settings' AND action = 'smtp_test' ORDER BY id DESC "
		   "LIMIT 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int rc = db_step(st);
	int ok = 0;
	if (rc == 1 && db_col_text(st, 0)) {
		json_t *d = json_loads(db_col_text(st, 0), 0, NULL);
		ok = json_is_true(json_object_get(json_object_get(d, "ok"),
						  "to"));
		json_decref(d);
	}
	db_reset(st);
	return rc < 0 ? -1 : ok;
}

/* The scheduler ran within the last five minutes. */
static int cron_running(struct db_conn *c)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT last_tick_at FROM sched_state WHERE id = 1");
	if (!st)
		return -1;
	int rc = db_step(st);
	int ok = rc == 1 && !db_col_null(st, 0) &&
		 jobs_now_ms() - atr_iso_ms(db_col_text(st, 0)) <=
			 SCHED_STALE_MS;
	db_reset(st);
	return rc < 0 ? -1 : ok;
}

struct item {
	const char *key;
	int step; /* the spec's step */
	const char *link;
	int done; /* 1, 0; -1 a database error */
};

int health_setup_h_get(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t org = r->who.org_id;
	char name[256] = "", addr[600] = "", host[256] = "", from[320] = "",
	     dismissed[8] = "";
	if (settings_get(c, org, "company_name", name, sizeof name) < 0 ||
	    settings_get(c, org, "address", addr, sizeof addr) < 0 ||
	    settings_get(c, org, "smtp_host", host, sizeof host) < 0 ||
	    settings_get(c, org, "smtp_email", from, sizeof from) < 0 ||
	    settings_get(c, org, "setup_checklist_dismissed", dismissed,
			 sizeof dismissed) < 0)
		return req_db_error(r);
	struct item items[] = {
		{"company", 1, "/admin/settings",
		 name[0] && strcmp(name, "Atrium") != 0 && addr[0]},
		{"logo", 1, "/admin/settings",
		 truth(c, "SELECT COUNT(*) FROM branding_image WHERE org_id "
			  "= ? AND kind = 'logo_light'",
		       org)},
		{"smtp", 1, "/admin/settings?tab=email", host[0] && from[0]},
		{"smtp_tested", 1, "/admin/settings?tab=email",
		 smtp_tested(c, org)},
		{"localization", 1, "/admin/settings?tab=localization",
		 truth(c, "SELECT COUNT(*) FROM setting WHERE org_id = ? AND "
			  "key IN ('language', 'timezone', 'date_format', "
			  "'thousands_separator', 'decimal_separator')",
		       org)},
		{"cron", 1, "/admin/settings?tab=cron", cron_running(c)},
		{"departments", 2, "/admin/departments",
		 truth(c, "SELECT COUNT(*) FROM department WHERE org_id = ?",
		       org)},
		{"roles", 2, "/admin/roles",
		 truth(c, "SELECT COUNT(*) FROM role WHERE org_id = ?", org)},
		{"staff", 2, "/admin/staff",
		 truth(c, "SELECT COUNT(*) > 1 FROM staff WHERE org_id = ?",
		       org)},
		{"taxes", 3, "/admin/taxes",
		 truth(c, "SELECT COUNT(*) FROM tax WHERE org_id = ?", org)},
		{"payment_modes", 3, "/admin/paymentmodes",
		 truth(c, "SELECT COUNT(*) FROM payment_mode WHERE org_id = ?",
		       org)},
		{"twofa", 4, "/admin/authenticator_2fa/userlist",
		 truth(c, "SELECT COUNT(*) = COUNT(t.confirmed_at) FROM staff s "
			  "LEFT JOIN staff_totp t ON t.staff_id = s.id AND "
			  "t.confirmed_at IS NOT NULL WHERE s.org_id = ? AND "
			  "s.admin = 1 AND s.active = 1",
		       org)},
	};
	json_t *a = json_array();
	int done = 0, n = 0;
	for (int i = 0; i < (int)ATR_ARRAY_LEN(items); i++) {
		/* Cron is the installation's (its tab is the operator's): a
		 * business has nothing to set up there. */
		if (!strcmp(items[i].key, "cron") && !r->who.operator_org)
			continue;
		n++;
		if (items[i].done < 0) {
			json_decref(a);
			return req_db_error(r);
		}
		done += items[i].done;
		json_array_append_new(
			a, json_pack("{s:s,s:i,s:b,s:s}", "key", items[i].key,
				     "step", items[i].step, "done",
				     items[i].done, "link", items[i].link));
	}
	req_json(r, 200,
		 json_pack("{s:o,s:i,s:i,s:b,s:b}", "items", a, "done", done,
			   "total", n, "complete", done == n, "dismissed",
			   !strcmp(dismissed, "true") ||
				   !strcmp(dismissed, "1")));
	return 0;
}
