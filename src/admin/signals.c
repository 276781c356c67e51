/* signals.c — the signals module: flags on the activity log for the
 * weekly check (admin/signals.h says what each one means).
 *
 * Sign-ins (signals_signin, called by the sign-in routes in their
 * transaction): one indexed read of the member's known address prefixes
 * (table signin_address, at most SIGNALS_PREFIXES_MAX rows per member),
 * then one write (a new prefix, or its last_seen); a new prefix of a
 * member who signed in before flags the sign-in's row `new_address`, adds
 * a notification for the member and queues the new_signin email, all in
 * the sign-in's transaction. A sign-in outside the working hours or days
 * (settings security.working_hours, security.working_days, in the
 * organisation's zone) is flagged `unusual_hours`, without a message.
 *
 * Mass deletions are caught as they happen: the activity log's observer
 * (core/activity.h) sees every `delete` row of an actor in its
 * transaction. While the actor's burst is open (their previous flagged
 * deletion less than mass_delete_minutes ago) the row is flagged and the
 * burst grows; otherwise one count over the partial index activity_deletes
 * (at most mass_delete_count index entries) says whether this deletion
 * makes mass_delete_count within mass_delete_minutes: then a burst opens,
 * every deletion of that window is flagged and the administrators get one
 * notification. The chain's head is locked until the commit, so one
 * organisation's deletions are judged one at a time (no burst is opened
 * twice).
 */
#include "atrium.h"

#include <jansson.h>

#include "admin/notification.h"
#include "admin/signals.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/l10n.h"
#include "core/module.h"
#include "core/settings.h"
#include "core/tz.h"
#include "db/db.h"
#include "email/email.h"
#include "http/http.h"

/* ---- settings ---------------------------------------------------------------- */

static void check_hours(const char *s, const char *field, struct atr_err *err)
{
	int a, b;
	if (signals_hours_parse(s, &a, &b) < 0)
		atr_field(err, field, "invalid",
			  "must be working hours like 08:00-19:00 (24-hour "
			  "clock; empty: none)");
}

static void check_days(const char *s, const char *field, struct atr_err *err)
{
	unsigned m;
	if (signals_days_parse(s, &m) < 0)
		atr_field(err, field, "invalid",
			  "must be day names like mon,tue,wed,thu,fri (each "
			  "once, at least one)");
}

static const struct setting_def settings[] = {
	{"security", "working_hours", SET_TEXT, "08:00-19:00", 0,
	 SIGNALS_HOURS_MAX, NULL, 0, NULL, check_hours},
	{"security", "working_days", SET_TEXT, "mon,tue,wed,thu,fri", 1, 27,
	 NULL, 0, NULL, check_days},
	{"security", "mass_delete_count", SET_INT, "20", 2, 10000, NULL, 0},
	{"security", "mass_delete_minutes", SET_INT, "10", 1, 1440, NULL, 0},
	{0},
};

/* ---- flags ---------------------------------------------------------------------- */

static int flag(struct db_conn *c, int64_t org, int64_t activity_id,
		const char *kind, const char *at)
{
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO activity_signal (activity_id, org_id, kind, at) "
		   "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
	if (!st)
		return -1;
	db_bind_int(st, 1, activity_id);
	db_bind_int(st, 2, org);
	db_bind_text(st, 3, kind);
	db_bind_text(st, 4, at);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* ---- sign-ins --------------------------------------------------------------------- */

/* Records prefix for the member: *is_new when the member signed in
 * before from other prefixes only. 0 or -1. */
static int remember(struct db_conn *c, int64_t org, int64_t staff,
		    const char *prefix, const char *now, bool *is_new)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN prefix = ? THEN 1 "
		   "ELSE 0 END), 0) FROM signin_address WHERE staff_id = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, prefix);
	db_bind_int(st, 2, staff);
	int rc = db_step(st);
	int64_t known = rc == 1 ? db_col_int(st, 0) : 0;
	bool seen = rc == 1 && db_col_int(st, 1) > 0;
	db_reset(st);
	if (rc < 0)
		return -1;
	*is_new = !seen && known > 0;
	if (seen) {
		st = db_prepare(c, "UPDATE signin_address SET last_seen = ?, "
				   "sign_ins = sign_ins + 1 WHERE staff_id = ? "
				   "AND prefix = ?");
		if (!st)
			return -1;
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, staff);
		db_bind_text(st, 3, prefix);
		rc = db_step(st);
		db_reset(st);
		return rc < 0 ? -1 : 0;
	}
	if (known >= SIGNALS_PREFIXES_MAX) {
		/* The least recently seen prefix makes room. */
		st = db_prepare(c, "DELETE FROM signin_address WHERE staff_id "
				   "= ? AND prefix = (SELECT prefix FROM "
				   "signin_address WHERE staff_id = ? ORDER BY "
				   "last_seen, prefix LIMIT 1)");
		if (!st)
			return -1;
		db_bind_int(st, 1, staff);
		db_bind_int(st, 2, staff);
		rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	st = db_prepare(c, "INSERT INTO signin_address (org_id, staff_id, "
			   "prefix, first_seen, last_seen, sign_ins) VALUES "
			   "(?, ?, ?, ?, ?, 1)");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, staff);
	db_bind_text(st, 3, prefix);
	db_bind_text(st, 4, now);
	db_bind_text(st, 5, now);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Whether now_ms is outside org's working hours: 1, 0, or -1. */
static int unusual_now(struct db_conn *c, int64_t org, int64_t now_ms)
{
	char hours[SIGNALS_HOURS_MAX + 1], days[32], zone[TZ_NAME_MAX];
	int start, end;
	unsigned mask;
	if (settings_get(c, org, "working_hours", hours, sizeof hours) < 0 ||
	    settings_get(c, org, "working_days", days, sizeof days) < 0)
		return -1;
	if (signals_hours_parse(hours, &start, &end) != 0 ||
	    signals_days_parse(days, &mask) < 0)
		return 0; /* none (or a value stored before the check) */
	if (l10n_org_zone(c, org, zone) < 0)
		return -1;
	struct tz_local t;
	if (tz_local(zone, now_ms, &t) < 0 && tz_local("UTC", now_ms, &t) < 0)
		return 0;
	return signals_unusual(start, end, mask, t.wday,
			       t.hour * 60 + t.minute);
}

int signals_signin(struct req *r, int64_t org, int64_t staff_id,
		   const char *name, const char *email)
{
	struct db_conn *c = r->db;
	int64_t row = activity_last_id();
	int64_t now_ms = atr_now_ms();
	char now[ATR_TIME_LEN], prefix[SIGNALS_PREFIX_LEN];
	atr_time_iso(now_ms, now);
	bool is_new = false;
	if (signals_addr_prefix(r->ip, prefix, sizeof prefix) == 0 &&
	    remember(c, org, staff_id, prefix, now, &is_new) < 0)
		return req_db_error(r);
	int odd = unusual_now(c, org, now_ms);
	if (odd < 0)
		return req_db_error(r);
	if (odd && row && flag(c, org, row, "unusual_hours", now) < 0)
		return req_db_error(r);
	if (!is_new)
		return 0;
	if (row && flag(c, org, row, "new_address", now) < 0)
		return req_db_error(r);
	char *title = arena_printf(r->arena,
				   "New sign-in to your account from %s", r->ip);
	char *body = arena_printf(
		r->arena,
		"Your account was signed in to from an address it was not "
		"used from before (%s, on %.10s at %.5s UTC). If it was not "
		"you, change your password and sign out your other sessions.",
		r->ip, now, now + 11);
	char day[11], hm[6];
	snprintf(day, sizeof day, "%.10s", now);
	snprintf(hm, sizeof hm, "%.5s", now + 11);
	json_t *params = json_pack("{s:s,s:s,s:s}", "ip", r->ip, "date", day,
				   "time", hm);
	int nrc = notification_add_msg(c, org, staff_id, "new_signin", params,
				       title, body, "/admin/profile/security",
				       "security", &r->err);
	json_decref(params);
	if (nrc < 0)
		return r->err.kind ? -1 : req_db_error(r);
	char *link = arena_printf(r->arena, "%s/admin/profile/security",
				  r->app->cfg.public_url);
	json_t *vars = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "when", now,
				 "ip", r->ip, "link", link);
	int rc = email_enqueue(c, org, email, "new_signin", vars);
	json_decref(vars);
	return rc < 0 ? req_db_error(r) : 0;
}

/* ---- mass deletions ------------------------------------------------------------- */

/* The actor's newest burst: its id and last deletion, *id 0 for none. */
static int last_burst(struct db_conn *c, int64_t org, int64_t actor,
		      int64_t *id, char last_at[ATR_TIME_LEN])
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id, last_at FROM activity_burst WHERE org_id = ? AND "
		   "actor_id = ? ORDER BY last_at DESC LIMIT 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, actor);
	int rc = db_step(st);
	*id = 0;
	if (rc == 1) {
		*id = db_col_int(st, 0);
		atr_strlcpy(last_at, db_col_text(st, 1), ATR_TIME_LEN);
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static int on_activity(struct db_conn *c, const struct activity *a,
		       int64_t id)
{
	if (!a->actor_id || strcmp(a->action, "delete") != 0)
		return 0;
	int64_t count = 20, minutes = 10;
	if (settings_get_int(c, a->org_id, "mass_delete_count", &count) < 0 ||
	    settings_get_int(c, a->org_id, "mass_delete_minutes", &minutes) < 0)
		return -1;
	int64_t now_ms = atr_now_ms();
	char now[ATR_TIME_LEN], since[ATR_TIME_LEN], last[ATR_TIME_LEN];
	atr_time_iso(now_ms, now);
	atr_time_iso(now_ms - minutes * 60000, since);
	int64_t burst;
	if (last_burst(c, a->org_id, a->actor_id, &burst, last) < 0)
		return -1;
	struct db_stmt *st;
	int rc;
	if (burst && strcmp(last, since) > 0) {
		/* The burst goes on: this deletion is part of it. */
		if (flag(c, a->org_id, id, "mass_delete", now) < 0)
			return -1;
		st = db_prepare(c, "UPDATE activity_burst SET last_at = ?, "
				   "deletions = deletions + 1 WHERE id = ?");
		if (!st)
			return -1;
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, burst);
		rc = db_step(st);
		db_reset(st);
		return rc < 0 ? -1 : 0;
	}
	st = db_prepare(c, "SELECT COUNT(*), MIN(at) FROM (SELECT at FROM "
			   "activity_log WHERE org_id = ? AND actor_id = ? AND "
			   "action = 'delete' AND at > ? LIMIT ?) AS w");
	if (!st)
		return -1;
	db_bind_int(st, 1, a->org_id);
	db_bind_int(st, 2, a->actor_id);
	db_bind_text(st, 3, since);
	db_bind_int(st, 4, count);
	rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : 0;
	char first[ATR_TIME_LEN] = "";
	if (rc == 1 && !db_col_null(st, 1))
		atr_strlcpy(first, db_col_text(st, 1), sizeof first);
	db_reset(st);
	if (rc < 0)
		return -1;
	if (n < count)
		return 0;
	/* A new burst: every deletion of the window is flagged, and the
	 * administrators are told once. */
	st = db_prepare(c, "INSERT INTO activity_signal (activity_id, org_id, "
			   "kind, at) SELECT id, org_id, 'mass_delete', ? FROM "
			   "activity_log WHERE org_id = ? AND actor_id = ? AND "
			   "action = 'delete' AND at > ? ON CONFLICT DO NOTHING");
	if (!st)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, a->org_id);
	db_bind_int(st, 3, a->actor_id);
	db_bind_text(st, 4, since);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0 || flag(c, a->org_id, id, "mass_delete", now) < 0)
		return -1;
	st = db_prepare(c, "INSERT INTO activity_burst (org_id, actor_id, "
			   "first_at, last_at, deletions) VALUES (?, ?, ?, ?, "
			   "?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, a->org_id);
	db_bind_int(st, 2, a->actor_id);
	db_bind_text(st, 3, first[0] ? first : now);
	db_bind_text(st, 4, now);
	db_bind_int(st, 5, n);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	char title[200], body[400], link[120];
	snprintf(title, sizeof title,
		 "Mass deletion: %s deleted %lld records within %lld minutes",
		 a->actor_name ? a->actor_name : "a member", (long long)n,
		 (long long)minutes);
	snprintf(body, sizeof body,
		 "%lld or more deletions by one member within %lld minutes "
		 "(security.mass_delete_count, mass_delete_minutes). Further "
		 "deletions of this burst are flagged without another "
		 "notification. Check them in the activity log.",
		 (long long)count, (long long)minutes);
	snprintf(link, sizeof link,
		 "/admin/utilities/activity_log?signal=mass_delete&actor_id=%lld",
		 (long long)a->actor_id);
	struct atr_err err = {0};
	json_t *params = json_pack(
		"{s:s,s:I,s:I,s:I}", "actor",
		a->actor_name ? a->actor_name : "", "n", (json_int_t)n,
		"minutes", (json_int_t)minutes, "count", (json_int_t)count);
	rc = notification_admins_msg(c, a->org_id, "mass_delete", params,
				     title, body, link, "security", &err);
	json_decref(params);
	return rc < 0 ? -1 : 0;
}

static int signals_init(struct app *app, struct atr_err *err)
{
	(void)app;
	(void)err;
	activity_set_observer(on_activity);
	return 0;
}

static void signals_fini(struct app *app)
{
	(void)app;
	activity_set_observer(NULL);
}

/* Flags and bursts follow their rows; nothing to keep once the activity
 * rows are gone (ON DELETE CASCADE), but a burst row outlives its use. */
static const struct housekeeping housekeeping[] = {
	{"DELETE FROM activity_burst WHERE last_at < ? RETURNING id", 1,
	 {30LL * 24 * 3600 * 1000}, NULL},
	{0},
};

const struct module module_signals = {
	.name = "signals",
	.settings = settings,
	.init = signals_init,
	.fini = signals_fini,
	.housekeeping = housekeeping,
};
