/* security_notify.c — the scheduler's `security_checklist` task: each
 * hour, every organisation's overdue checklist rows are told to its active
 * administrators, by email (template security_overdue, through the email
 * queue) and as in-app notifications, once per row and due period.
 *
 * "Once" is remembered in security_notice: per organisation and row, the
 * period key of the last notice (a periodic row's due date; for the
 * continuous 2FA row, the administrators without 2FA). A row is told when
 * it is overdue and its key says so against the stored one
 * (sec_notice_due: another due date; an administrator without 2FA who was
 * not in the last notice — one fewer is no news); the
 * key, the emails and the notifications commit in one transaction, so a
 * crash between them tells nobody twice and nobody never. A review marked
 * done moves the due date, so the next period is told again when it
 * comes.
 */
#include "atrium.h"

#include "admin/notification.h"
#include "admin/security.h"
#include "core/app.h"
#include "db/db.h"
#include "email/email.h"
#include "jobs/jobs.h"

#define SEC_ADMINS_MAX 50 /* administrators emailed per organisation */
#define SEC_ORGS_PAGE 100

struct admin_to {
	char email[256], name[128];
};

/* The stored period keys of org's rows into keys (empty: never told). */
static int load_notices(struct db_conn *c, int64_t org,
			char keys[SEC_NROWS][SEC_KEY_MAX])
{
	memset(keys, 0, SEC_NROWS * sizeof keys[0]);
	struct db_stmt *st = db_prepare(
		c, "SELECT check_key, period_key FROM security_notice WHERE "
		   "org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int rc;
	while ((rc = db_step(st)) == 1) {
		int k = sec_check_find(db_col_text(st, 0));
		if (k >= 0)
			atr_strlcpy(keys[k], db_col_text(st, 1), sizeof keys[k]);
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static int load_admins(struct db_conn *c, int64_t org, struct admin_to *to,
		       int *n)
{
	*n = 0;
	struct db_stmt *st = db_prepare(
		c, "SELECT email, name FROM staff WHERE org_id = ? AND admin = "
		   "1 AND active = 1 ORDER BY id LIMIT ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, SEC_ADMINS_MAX);
	int rc;
	while ((rc = db_step(st)) == 1 && *n < SEC_ADMINS_MAX) {
		atr_strlcpy(to[*n].email, db_col_text(st, 0), sizeof to[0].email);
		atr_strlcpy(to[*n].name, db_col_text(st, 1), sizeof to[0].name);
		(*n)++;
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Records that row's notice is now about its period key (in the caller's
 * transaction). 0 or -1 with err. */
static int remember(struct db_conn *c, int64_t org, const struct sec_row *row,
		    int64_t now_ms, struct atr_err *err)
{
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO security_notice (org_id, check_key, period_key, "
		   "sent_at) VALUES (?, ?, ?, ?) ON CONFLICT (org_id, "
		   "check_key) DO UPDATE SET period_key = excluded.period_key, "
		   "sent_at = excluded.sent_at");
	if (!st)
		return atr_fail(err, ATR_E_INTERNAL, "database error: %s",
				db_errmsg(c));
	char now[ATR_TIME_LEN];
	atr_time_iso(now_ms, now);
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, row->def->key);
	db_bind_text(st, 3, row->period_key);
	db_bind_text(st, 4, now);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? atr_fail(err, ATR_E_INTERNAL, "database error: %s",
				 db_errmsg(c))
		      : 0;
}

/* Tells org's administrators about row (in the caller's transaction). */
static int tell(struct app *app, struct db_conn *c, int64_t org,
		const struct sec_row *row, const struct admin_to *to, int nto,
		int64_t now_ms, struct atr_err *err)
{
	if (remember(c, org, row, now_ms, err) < 0)
		return -1;
	char due[ATR_TIME_LEN];
	atr_time_iso(row->next_due >= 0 ? row->next_due : now_ms, due);
	int rc;
	const char *base = app->cfg.public_url ? app->cfg.public_url : "";
	size_t bl = strlen(base);
	if (bl && base[bl - 1] == '/')
		bl--;
	char *link = xasprintf("%.*s/admin/security", (int)bl, base);
	for (int i = 0; i < nto; i++) {
		json_t *vars = json_pack("{s:s,s:s,s:s,s:I,s:s}", "name",
					 to[i].name, "what", row->def->title,
					 "when", due, "count",
					 (json_int_t)row->count, "link", link);
		rc = email_enqueue_ex(c, org, to[i].email, "security_overdue",
				      vars, NULL, err);
		json_decref(vars);
		if (rc < 0) {
			free(link);
			return -1;
		}
	}
	free(link);
	char title[256];
	snprintf(title, sizeof title, "Security checklist overdue: %s",
		 row->def->title);
	char body[160];
	snprintf(body, sizeof body, "Due since %s; items found now: %lld.", due,
		 (long long)row->count);
	char *row_t = xasprintf("security.row.%s", row->def->key);
	json_t *params = json_pack("{s:s,s:s,s:I}", "row_t", row_t, "due", due,
				   "count", (json_int_t)row->count);
	free(row_t);
	rc = notification_admins_msg(c, org, "security_overdue", params, title,
				     body, "/admin/security", "security", err);
	json_decref(params);
	return rc < 0 ? -1 : 0;
}

/* One organisation: 0 or -1 with err. */
static int notify_org(struct app *app, struct db_conn *c, int64_t org,
		      int64_t now_ms, struct atr_err *err)
{
	struct sec_row rows[SEC_NROWS];
	if (sec_evaluate(c, org, now_ms, rows, err) < 0)
		return -1;
	char(*told)[SEC_KEY_MAX] = xcalloc(SEC_NROWS, sizeof *told);
	struct admin_to to[SEC_ADMINS_MAX];
	int nto = 0, due = 0;
	if (load_notices(c, org, told) < 0 || load_admins(c, org, to, &nto) < 0) {
		sec_rows_free(rows);
		free(told);
		return atr_fail(err, ATR_E_INTERNAL, "database error: %s",
				db_errmsg(c));
	}
	/* TELL: overdue and news since the last notice. NOTE: a continuous
	 * row whose findings changed without news (one fewer, or none): the
	 * key follows them silently, so whoever fails again later is news. */
	enum { KEEP, TELL, NOTE } act[SEC_NROWS];
	for (int k = 0; k < SEC_NROWS; k++) {
		const struct sec_row *w = &rows[k];
		act[k] = KEEP;
		if (w->status == SEC_OVERDUE &&
		    sec_notice_due(told[k], w->period_key))
			act[k] = nto ? TELL : KEEP; /* nobody to tell: later */
		else if (w->def->period_days == 0 &&
			 strcmp(told[k], w->period_key) != 0)
			act[k] = NOTE;
		due += act[k] != KEEP;
	}
	int rc = 0;
	if (due) {
		if (db_begin(c) < 0) {
			rc = atr_fail(err, ATR_E_INTERNAL, "database error: %s",
				      db_errmsg(c));
		} else {
			for (int k = 0; rc == 0 && k < SEC_NROWS; k++)
				if (act[k] == TELL)
					rc = tell(app, c, org, &rows[k], to, nto,
						  now_ms, err);
				else if (act[k] == NOTE)
					rc = remember(c, org, &rows[k], now_ms,
						      err);
			if (rc == 0 && db_commit(c) < 0)
				rc = atr_fail(err, ATR_E_INTERNAL,
					      "database error: %s",
					      db_errmsg(c));
			if (rc < 0)
				db_rollback(c);
			else
				jobs_wake();
		}
	}
	sec_rows_free(rows);
	free(told);
	return rc;
}

int sec_notify_task(struct app *app, struct db_conn *c, int64_t now_ms,
		    struct atr_err *err)
{
	int64_t after = 0;
	for (;;) {
		int64_t ids[SEC_ORGS_PAGE];
		int n = 0, rc;
		struct db_stmt *st = db_prepare(
			c, "SELECT id FROM org WHERE id > ? AND status = "
			   "'active' ORDER BY id LIMIT ?");
		if (!st)
			return atr_fail(err, ATR_E_INTERNAL,
					"database error: %s", db_errmsg(c));
		db_bind_int(st, 1, after);
		db_bind_int(st, 2, SEC_ORGS_PAGE);
		while ((rc = db_step(st)) == 1 && n < SEC_ORGS_PAGE)
			ids[n++] = db_col_int(st, 0);
		db_reset(st);
		if (rc < 0)
			return atr_fail(err, ATR_E_INTERNAL,
					"database error: %s", db_errmsg(c));
		for (int i = 0; i < n; i++)
			if (notify_org(app, c, ids[i], now_ms, err) < 0)
				return -1;
		if (n < SEC_ORGS_PAGE)
			return 0;
		after = ids[n - 1];
	}
}
