/* security_check.c — the live security checklist (security.h).
 *
 * GET  /api/v1/security/checklist                 every row, from real data
 * POST /api/v1/security/checklist/{key}/reviews   mark a row's review done
 * GET  /api/v1/security/reviews                   the review history
 *
 * The rows are the spec's permanent checklist. What each one reads:
 *   admin_two_factor   active administrators without confirmed 2FA;
 *                      continuous ("at each admin hire"): overdue while
 *                      one added more than a day ago (the time to enrol)
 *                      is listed, attention for a newer one; nothing to
 *                      mark
 *   departures         the staff module records no leaving date (only the
 *                      active flag and the last sign-in), so Atrium cannot
 *                      know who left: a monthly review against HR's list of
 *                      leavers, with the evidence it has: active members
 *                      with no sign-in for 30 days (or none since they were
 *                      added 30 days ago), and API tokens still valid whose
 *                      owner was deactivated (not revoked at offboarding)
 *   inactive_tokens    API tokens not revoked nor expired, unused for 90
 *                      days (or never used since made 90 days ago);
 *                      quarterly
 *   activity_review    the entries written since the last review; weekly
 *   smtp_rotation      the last change of the SMTP password in the
 *                      settings' history (the activity log), or a review
 *                      for a rotation done elsewhere; yearly; not
 *                      applicable while no password is stored
 *   role_audit         roles granting more than the template they were
 *                      made from; half-yearly
 *   inactive_members   active members with no sign-in for 90 days (or
 *                      none since they were added 90 days ago); monthly
 * A periodic row is due its period after its last review (or, never
 * reviewed, after the organisation was created); see security_rules.c.
 */
#include "atrium.h"

#include "admin/security.h"
#include "core/buf.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "jobs/jobs.h"

const struct sec_check sec_checks[SEC_NROWS] = {
	{"admin_two_factor", "2FA active for all administrators",
	 "each_admin_hire", 0, false, true, "/admin/authenticator_2fa/userlist"},
	{"departures", "Accounts deactivated on employee departure", "monthly",
	 30, true, true, "/admin/staff?active=true&inactive_days=30"},
	{"inactive_tokens", "Inactive API tokens revoked", "quarterly", 91,
	 true, true, "/admin/api/api_management"},
	{"activity_review", "Activity log reviewed", "weekly", 7, true, false,
	 "/admin/utilities/activity_log"},
	{"smtp_rotation", "SMTP credentials rotated", "yearly", 365, true,
	 false, "/admin/settings?tab=email"},
	{"role_audit", "Roles audited (excessive permissions)", "half_yearly",
	 182, true, true, "/admin/security/role-audit"},
	{"inactive_members",
	 "Active users without sign-in for more than 90 days", "monthly", 30,
	 true, true, "/admin/staff?active=true&inactive_days=90"},
};

enum { R_2FA, R_DEPART, R_TOKENS, R_ACTIVITY, R_SMTP, R_ROLES, R_IDLE };

int sec_check_find(const char *key)
{
	for (int i = 0; key && i < SEC_NROWS; i++)
		if (!strcmp(sec_checks[i].key, key))
			return i;
	return -1;
}

const char *sec_status_name(enum sec_status s)
{
	switch (s) {
	case SEC_OK:
		return "ok";
	case SEC_ATTENTION:
		return "attention";
	case SEC_OVERDUE:
		return "overdue";
	case SEC_NA:
		return "not_applicable";
	}
	return "ok";
}

static int db_failed(struct db_conn *c, struct atr_err *err)
{
	return atr_fail(err, ATR_E_INTERNAL, "database error: %s",
			db_errmsg(c));
}

static json_t *iso_or_null(int64_t ms)
{
	if (ms < 0)
		return json_null();
	char t[ATR_TIME_LEN];
	atr_time_iso(ms, t);
	return json_string(t);
}

/* Members of org, active, with no sign-in since cut (or none at all and
 * added before cut): the findings of departures and inactive_members. */
static int idle_members(struct db_conn *c, int64_t org, const char *cut,
			struct sec_row *row)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id, name, email, last_login_at, admin FROM staff "
		   "WHERE org_id = ? AND active = 1 AND (last_login_at < ? OR "
		   "(last_login_at IS NULL AND created_at < ?)) ORDER BY "
		   "COALESCE(last_login_at, created_at), id");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, cut);
	db_bind_text(st, 3, cut);
	int rc;
	while ((rc = db_step(st)) == 1) {
		if (row->count++ >= SEC_FINDINGS_MAX)
			continue;
		const char *last = db_col_text(st, 3);
		int64_t id = db_col_int(st, 0);
		char link[48];
		snprintf(link, sizeof link, "/admin/staff/%lld", (long long)id);
		json_array_append_new(
			row->findings,
			json_pack("{s:s,s:I,s:s,s:s,s:o,s:b,s:s}", "kind",
				  "member", "id", (json_int_t)id, "name",
				  db_col_text(st, 1), "email", db_col_text(st, 2),
				  "last_login_at",
				  last ? json_string(last) : json_null(), "admin",
				  (int)db_col_int(st, 4), "link",
				  link));
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Active administrators without confirmed 2FA. */
static int admins_without_2fa(struct db_conn *c, int64_t org,
			      const char *grace, struct sec_row *row)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT s.id, s.name, s.email, s.created_at FROM staff s "
		   "LEFT JOIN staff_totp t ON t.staff_id = s.id AND "
		   "t.confirmed_at IS NOT NULL WHERE s.org_id = ? AND s.admin "
		   "= 1 AND s.active = 1 AND t.staff_id IS NULL ORDER BY s.id");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int64_t ids[SEC_FINDINGS_MAX];
	int n = 0, rc;
	while ((rc = db_step(st)) == 1) {
		int64_t id = db_col_int(st, 0);
		/* A day to enrol: past it, the member is overdue. */
		bool late = strcmp(db_col_text(st, 3), grace) < 0;
		if (late && n < SEC_FINDINGS_MAX)
			ids[n++] = id;
		row->due_count += late;
		if (row->count++ >= SEC_FINDINGS_MAX)
			continue;
		char link[48];
		snprintf(link, sizeof link, "/admin/staff/%lld", (long long)id);
		json_array_append_new(
			row->findings,
			json_pack("{s:s,s:I,s:s,s:s,s:b,s:s}", "kind", "member",
				  "id", (json_int_t)id, "name",
				  db_col_text(st, 1), "email", db_col_text(st, 2),
				  "overdue", late, "link", link));
	}
	db_reset(st);
	if (rc < 0)
		return -1;
	/* A continuous row's notice is about the members overdue. */
	sec_ids_key(ids, n, row->period_key, sizeof row->period_key);
	return 0;
}

/* API tokens in use (not revoked, not expired) unused since cut. */
static int stale_tokens(struct db_conn *c, int64_t org, const char *now,
			const char *cut, struct sec_row *row)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT t.id, t.name, s.name, t.last_used_at, t.created_at "
		   "FROM api_token t JOIN staff s ON s.id = t.staff_id WHERE "
		   "t.org_id = ? AND t.revoked_at IS NULL AND (t.expires_at IS "
		   "NULL OR t.expires_at > ?) AND COALESCE(t.last_used_at, "
		   "t.created_at) < ? ORDER BY COALESCE(t.last_used_at, "
		   "t.created_at), t.id");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, now);
	db_bind_text(st, 3, cut);
	int rc;
	while ((rc = db_step(st)) == 1) {
		if (row->count++ >= SEC_FINDINGS_MAX)
			continue;
		const char *used = db_col_text(st, 3);
		json_array_append_new(
			row->findings,
			json_pack("{s:s,s:I,s:s,s:s,s:o,s:s,s:s}", "kind",
				  "api_token", "id",
				  (json_int_t)db_col_int(st, 0), "name",
				  db_col_text(st, 1), "owner", db_col_text(st, 2),
				  "last_used_at",
				  used ? json_string(used) : json_null(),
				  "created_at", db_col_text(st, 4), "link",
				  "/admin/api/api_management"));
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* API tokens neither revoked nor expired whose owner is deactivated: they
 * stop working while the owner stays deactivated, and would work again on
 * reactivation; the spec's offboarding revokes them. */
static int departed_tokens(struct db_conn *c, int64_t org, const char *now,
			   struct sec_row *row)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT t.id, t.name, s.name, t.last_used_at, t.created_at "
		   "FROM api_token t JOIN staff s ON s.id = t.staff_id WHERE "
		   "t.org_id = ? AND s.active = 0 AND t.revoked_at IS NULL AND "
		   "(t.expires_at IS NULL OR t.expires_at > ?) ORDER BY t.id");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, now);
	int rc;
	while ((rc = db_step(st)) == 1) {
		if (row->count++ >= SEC_FINDINGS_MAX)
			continue;
		const char *used = db_col_text(st, 3);
		json_array_append_new(
			row->findings,
			json_pack("{s:s,s:I,s:s,s:s,s:o,s:s,s:b,s:s}", "kind",
				  "api_token", "id",
				  (json_int_t)db_col_int(st, 0), "name",
				  db_col_text(st, 1), "owner", db_col_text(st, 2),
				  "last_used_at",
				  used ? json_string(used) : json_null(),
				  "created_at", db_col_text(st, 4),
				  "owner_deactivated", 1, "link",
				  "/admin/api/api_management"));
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Activity entries written since `since`, at most 100,000. */
static int activity_since(struct db_conn *c, int64_t org, const char *since,
			  struct sec_row *row)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT COUNT(*) FROM (SELECT 1 FROM activity_log WHERE "
		   "org_id = ? AND at > ? LIMIT 100000) x");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, since);
	int rc = db_step(st);
	if (rc == 1)
		row->count = db_col_int(st, 0);
	db_reset(st);
	return rc == 1 ? 0 : -1;
}

/* The last time a new SMTP password was stored, from the settings'
 * history (activity rows of entity settings whose diff sets
 * smtp_password: "to" a secret; a password cleared is no rotation). */
static int smtp_changed(struct db_conn *c, int64_t org, int64_t *at,
			char *by, size_t byn)
{
	*at = -1;
	struct db_stmt *st = db_prepare(
		c, "SELECT at, actor_name, diff FROM activity_log WHERE org_id "
		   "= ? AND entity = 'settings' AND diff LIKE "
		   "'%\"smtp_password\"%' ORDER BY seq DESC");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int rc;
	while ((rc = db_step(st)) == 1) {
		const char *d = db_col_text(st, 2);
		json_t *diff = d ? json_loads(d, 0, NULL) : NULL;
		json_t *to = json_object_get(json_object_get(diff, "smtp_password"),
					     "to");
		bool set = json_is_string(to);
		json_decref(diff);
		if (!set)
			continue;
		*at = atr_iso_ms(db_col_text(st, 0));
		const char *who = db_col_text(st, 1);
		atr_strlcpy(by, who ? who : "", byn);
		break;
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* The newest review of each row: one query. */
static int last_reviews(struct db_conn *c, int64_t org,
			struct sec_row rows[SEC_NROWS])
{
	struct db_stmt *st = db_prepare(
		c, "SELECT r.check_key, r.done_at, r.actor_name FROM "
		   "security_review r JOIN (SELECT MAX(id) AS id FROM "
		   "security_review WHERE org_id = ? GROUP BY check_key) m ON "
		   "m.id = r.id");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int rc;
	while ((rc = db_step(st)) == 1) {
		int k = sec_check_find(db_col_text(st, 0));
		if (k < 0)
			continue; /* a row this build no longer has */
		rows[k].last_done = atr_iso_ms(db_col_text(st, 1));
		rows[k].last_done_source = "review";
		atr_strlcpy(rows[k].last_done_by, db_col_text(st, 2),
			    sizeof rows[k].last_done_by);
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static int org_created(struct db_conn *c, int64_t org, int64_t *ms)
{
	struct db_stmt *st =
		db_prepare(c, "SELECT created_at FROM org WHERE id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int rc = db_step(st);
	*ms = rc == 1 ? atr_iso_ms(db_col_text(st, 0)) : 0;
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int sec_evaluate(struct db_conn *c, int64_t org, int64_t now_ms,
		 struct sec_row rows[SEC_NROWS], struct atr_err *err)
{
	for (int i = 0; i < SEC_NROWS; i++)
		rows[i] = (struct sec_row){.def = &sec_checks[i],
					   .findings = json_array(),
					   .last_done = -1,
					   .next_due = -1};
	char now[ATR_TIME_LEN], cut30[ATR_TIME_LEN], cut90[ATR_TIME_LEN],
		grace[ATR_TIME_LEN];
	atr_time_iso(now_ms, now);
	atr_time_iso(now_ms - SEC_ENROL_GRACE_MS, grace);
	atr_time_iso(now_ms - 30 * SEC_DAY_MS, cut30);
	atr_time_iso(now_ms - 90 * SEC_DAY_MS, cut90);
	int64_t since = 0, smtp_at = -1;
	char smtp_by[128] = "", *smtp_pw = NULL;
	if (org_created(c, org, &since) < 0 || last_reviews(c, org, rows) < 0 ||
	    admins_without_2fa(c, org, grace, &rows[R_2FA]) < 0 ||
	    idle_members(c, org, cut30, &rows[R_DEPART]) < 0 ||
	    departed_tokens(c, org, now, &rows[R_DEPART]) < 0 ||
	    stale_tokens(c, org, now, cut90, &rows[R_TOKENS]) < 0 ||
	    idle_members(c, org, cut90, &rows[R_IDLE]) < 0 ||
	    smtp_changed(c, org, &smtp_at, smtp_by, sizeof smtp_by) < 0 ||
	    settings_load_stored(c, org, "smtp_password", &smtp_pw) < 0)
		goto dberr;
	bool smtp_na = smtp_pw == NULL;
	settings_stored_free(smtp_pw);
	/* A password stored after the last review is the rotation. */
	struct sec_row *sm = &rows[R_SMTP];
	if (smtp_at > sm->last_done) {
		sm->last_done = smtp_at;
		sm->last_done_source = "settings";
		atr_strlcpy(sm->last_done_by, smtp_by, sizeof sm->last_done_by);
	}
	char from[ATR_TIME_LEN];
	struct sec_row *ac = &rows[R_ACTIVITY];
	atr_time_iso(ac->last_done >= 0 ? ac->last_done : since, from);
	if (activity_since(c, org, from, ac) < 0)
		goto dberr;
	int64_t nexceed = 0;
	json_t *roles = sec_roles_beyond(c, org, &nexceed);
	if (!roles)
		goto dberr;
	size_t i;
	json_t *ro;
	json_array_foreach(roles, i, ro)
	{
		if (!json_is_true(json_object_get(ro, "exceeds")))
			continue;
		if (rows[R_ROLES].count++ < SEC_FINDINGS_MAX) {
			char link[48];
			snprintf(link, sizeof link, "/admin/roles/%lld",
				 (long long)json_integer_value(
					 json_object_get(ro, "id")));
			json_t *f = json_deep_copy(ro);
			json_object_del(f, "exceeds");
			json_object_set_new(f, "kind", json_string("role"));
			json_object_set_new(f, "link", json_string(link));
			json_array_append_new(rows[R_ROLES].findings, f);
		}
	}
	json_decref(roles);
	for (int k = 0; k < SEC_NROWS; k++) {
		struct sec_row *row = &rows[k];
		row->next_due = sec_next_due(row->last_done, since,
					     row->def->period_days);
		row->status = sec_status_of(now_ms, row->next_due, row->count,
					    row->due_count,
					    row->def->findings_alert,
					    k == R_SMTP && smtp_na);
		if (row->next_due >= 0) {
			char due[ATR_TIME_LEN];
			atr_time_iso(row->next_due, due);
			snprintf(row->period_key, sizeof row->period_key,
				 "due:%s", due);
		}
	}
	return 0;
dberr:
	sec_rows_free(rows);
	return db_failed(c, err);
}

void sec_rows_free(struct sec_row rows[SEC_NROWS])
{
	for (int i = 0; i < SEC_NROWS; i++) {
		json_decref(rows[i].findings);
		rows[i].findings = NULL;
	}
}

json_t *sec_row_json(const struct sec_row *row)
{
	const struct sec_check *d = row->def;
	json_t *o = json_pack(
		"{s:s,s:s,s:s,s:o,s:b,s:s,s:I,s:O,s:o,s:o,s:o,s:o,s:s}", "key",
		d->key, "title", d->title, "frequency", d->frequency,
		"period_days",
		d->period_days ? json_integer(d->period_days) : json_null(),
		"reviewable", d->reviewable, "status",
		sec_status_name(row->status), "findings_count",
		(json_int_t)row->count, "findings", row->findings,
		"last_done_at", iso_or_null(row->last_done), "last_done_by",
		row->last_done >= 0 ? json_string(row->last_done_by)
				    : json_null(),
		"last_done_source",
		row->last_done_source ? json_string(row->last_done_source)
				      : json_null(),
		"next_due_at", iso_or_null(row->next_due), "link", d->link);
	return o;
}

/* ---- the routes ----------------------------------------------------------- */

static int sec_h_checklist(struct req *r)
{
	if (r->nquery)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"unknown query parameter '%s'",
				r->query[0].key);
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct sec_row rows[SEC_NROWS];
	int64_t now = atr_now_ms();
	if (sec_evaluate(c, r->who.org_id, now, rows, &r->err) < 0)
		return -1;
	json_t *data = json_array();
	int overdue = 0;
	for (int i = 0; i < SEC_NROWS; i++) {
		json_array_append_new(data, sec_row_json(&rows[i]));
		overdue += rows[i].status == SEC_OVERDUE;
	}
	sec_rows_free(rows);
	req_json(r, 200,
		 json_pack("{s:o,s:i,s:o}", "data", data, "overdue", overdue,
			   "evaluated_at", iso_or_null(now)));
	return 0;
}

static const struct field review_fields[] = {
	{"note", FT_TEXT, F_MULTILINE, SEC_NOTE_MAX, NULL, NULL},
};
static const struct schema review_schema = SCHEMA(review_fields);

/* POST .../checklist/{key}/reviews {note?}: the review is done now, by
 * the caller; its activity row in the same transaction. 201 with the
 * review and the row as it now stands. */
static int sec_h_review(struct req *r)
{
	int k = sec_check_find(r->param);
	if (k < 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"no security checklist row '%s'", r->param);
	if (!sec_checks[k].reviewable)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"'%s' follows its data alone: fix what it "
				"lists, there is no review to mark",
				r->param);
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	const char *note =
		json_string_value(json_object_get(r->body, "note"));
	if (note && !*note)
		note = NULL;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (db_begin(c) < 0)
		return req_db_error(r);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO security_review (org_id, check_key, done_at, "
		   "actor_id, actor_name, note) VALUES (?, ?, ?, ?, ?, ?) "
		   "RETURNING id");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, sec_checks[k].key);
	db_bind_text(st, 3, now);
	db_bind_opt_int(st, 4, r->who.staff_id > 0, r->who.staff_id);
	db_bind_text(st, 5, r->who.name);
	db_bind_text(st, 6, note);
	int rc = db_step(st);
	int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc != 1)
		return req_db_error(r);
	json_t *diff = json_pack("{s:{s:s},s:{s:s}}", "check", "to",
				 sec_checks[k].key, "done_at", "to", now);
	if (note)
		json_object_set_new(diff, "note",
				    json_pack("{s:s}", "to", note));
	rc = activity_from_req(r, "review", "security_check", id, diff);
	json_decref(diff);
	if (rc < 0 || db_commit(c) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	struct sec_row rows[SEC_NROWS];
	if (sec_evaluate(c, r->who.org_id, atr_now_ms(), rows, &r->err) < 0)
		return -1;
	json_t *row = sec_row_json(&rows[k]);
	sec_rows_free(rows);
	req_add_header(r, "Location",
		       arena_printf(r->arena,
				    "/api/v1/security/reviews?check_key=%s",
				    sec_checks[k].key));
	req_json(r, 201,
		 json_pack("{s:{s:I,s:s,s:s,s:I,s:s,s:o},s:o}", "review", "id",
			   (json_int_t)id, "check_key", sec_checks[k].key,
			   "done_at", now, "actor_id",
			   (json_int_t)r->who.staff_id, "actor_name",
			   r->who.name, "note",
			   note ? json_string(note) : json_null(),
			   "row", row));
	return 0;
}

/* ---- the review history (the list engine) ------------------------------------ */

static void review_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	(void)arg;
	const char *note = db_col_text(st, 5);
	json_t *o = json_pack(
		"{s:I,s:s,s:s,s:o,s:s,s:o}", "id", (json_int_t)db_col_int(st, 0),
		"check_key", db_col_text(st, 1), "done_at", db_col_text(st, 2),
		"actor_id",
		db_col_null(st, 3) ? json_null() : json_integer(db_col_int(st, 3)),
		"actor_name", db_col_text(st, 4), "note",
		note ? json_string(note) : json_null());
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

static const char *const check_keys[] = {
	"admin_two_factor", "departures",  "inactive_tokens", "activity_review",
	"smtp_rotation",    "role_audit", "inactive_members", NULL};
static const struct field f_check_key = {.name = "check_key",
					 .type = FT_ENUM,
					 .choices = check_keys};
static const struct field f_done_at = {.name = "done_at",
				       .type = FT_DATETIME};
static const struct field f_actor = {.name = "actor_id", .type = FT_INT};
static const struct field f_id = {.name = "id", .type = FT_INT};
static const struct list_col review_cols[] = {
	{&f_id, "id", LIST_SORT | LIST_NOTNULL},
	{&f_check_key, "check_key", LIST_FILTER | LIST_NOTNULL},
	{&f_done_at, "done_at", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_actor, "actor_id", LIST_FILTER},
};
static const struct list_spec review_spec = {
	.from = "security_review",
	.cols = "id, check_key, done_at, actor_id, actor_name, note",
	.id = "id",
	.org = "org_id",
	.columns = review_cols,
	.ncolumns = (int)ATR_ARRAY_LEN(review_cols),
	.sort_default = "-id",
	.limit_default = 50,
	.limit_max = 200,
	.count_default = true,
	.row = review_row,
};

static int sec_h_reviews(struct req *r)
{
	return list_run(r, &review_spec);
}

static const struct route sec_routes[] = {
	{HTTP_GET, "/api/v1/security/checklist", sec_h_checklist, ACCESS_PERM,
	 "security_checklist", CAP_VIEW},
	{HTTP_POST, "/api/v1/security/checklist/{key}/reviews", sec_h_review,
	 ACCESS_PERM, "security_checklist", CAP_CREATE, &review_schema},
	{HTTP_GET, "/api/v1/security/reviews", sec_h_reviews, ACCESS_PERM,
	 "security_checklist", CAP_VIEW},
	{0},
};

static const struct perm_module sec_perms[] = {
	{"security_checklist", "Security checklist", PB_VIEW | PB_CREATE,
	 "security_check"},
	{0},
};

int sec_notify_task(struct app *app, struct db_conn *c, int64_t now_ms,
		    struct atr_err *err);

static const struct sched_task sec_tasks[] = {
	{"security_checklist", 3600 * 1000LL, NULL, NULL, sec_notify_task},
	{0},
};

const struct module module_security = {
	.name = "security",
	.perms = sec_perms,
	.routes = sec_routes,
	.tasks = sec_tasks,
};
