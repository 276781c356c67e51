/* gdpr.c — the register of GDPR rights requests (/admin/gdpr): the
 * entity, its rules, the deadline warning and the module.
 *
 * A rights request is a registry entity (entity.h), so its list with
 * filters and export, its form, its history, its events, If-Match and
 * Idempotency-Key are the records engine's, at /api/v1/gdpr. What it
 * holds:
 *
 *   type           access, portability, erasure, rectification, objection
 *   subject_email  whose data (how the records are found)
 *   received_on    when it came (today when not given; never later)
 *   deadline       received_on + 30 days, derived on every write
 *   status         received, in_progress, done, refused
 *   handled_by     the member who deals with it
 *   notes          what was done, why it was refused, ...
 *   processed_at   when it was settled: set to now when the status first
 *                  becomes done or refused, unless given (the spec's
 *                  "Document the request and processing date")
 *
 * and what its actions write (read-only here): export_status/export_at
 * (POST /api/v1/gdpr/{id}/export, gdpr_export.c), erased_at and
 * erase_summary (POST /api/v1/gdpr/{id}/erase, gdpr_erase.c), warned_at
 * (the deadline warning below).
 *
 * The deadline warning: the scheduler task gdpr_deadlines (hourly) tells
 * every administrator in the app, once per request, when an open request
 * (received or in progress) is 7 days or less from its deadline. The
 * notification names the request's number and deadline, never the
 * subject. Permission module `gdpr`: administrators only until a role is
 * given it.
 */
#include "atrium.h"

#include "auth/org.h"
#include "admin/notification.h"
#include "core/activity.h"
#include "core/l10n.h"
#include "core/module.h"
#include "core/tz.h"
#include "db/db.h"
#include "gdpr/gdpr_int.h"
#include "http/perm.h"

#include <time.h>

static const char *const gdpr_types[] = {
	"access", "portability", "erasure", "rectification", "objection", NULL,
};
static const char *const gdpr_status[] = {
	"received", "in_progress", "done", "refused", NULL,
};
static const char *const export_states[] = {
	"queued", "ready", "failed", NULL,
};

static const struct field gdpr_fields[] = {
	{.name = "subject_email", .type = FT_EMAIL, .max = 254,
	 .flags = F_REQUIRED | F_PERSONAL | F_FILTER | F_SEARCH | F_SORT |
		  F_LIST,
	 .label = "Subject's email",
	 .hint = "The person's records are found by this address."},
	{.name = "type", .type = FT_ENUM, .max = 20, .choices = gdpr_types,
	 .flags = F_REQUIRED | F_FILTER | F_SORT | F_LIST,
	 .label = "Request"},
	{.name = "received_on", .type = FT_DATE,
	 .flags = F_FILTER | F_SORT | F_LIST, .label = "Received",
	 .hint = "Empty: today."},
	{.name = "deadline", .type = FT_DATE,
	 .flags = F_READONLY | F_FILTER | F_SORT | F_LIST,
	 .label = "Legal deadline",
	 .hint = "30 days after the request was received."},
	{.name = "status", .type = FT_ENUM, .max = 20, .choices = gdpr_status,
	 .def = "received", .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "handled_by", .type = FT_STAFF, .label = "Handled by",
	 .flags = F_FILTER | F_ASSIGNEE | F_LIST},
	{.name = "notes", .type = FT_TEXT, .max = 10000,
	 .flags = F_MULTILINE | F_WIDE},
	{.name = "processed_at", .type = FT_DATETIME,
	 .flags = F_FILTER | F_SORT | F_LIST, .label = "Processed",
	 .hint = "Empty: set when the status becomes done or refused."},
	{.name = "export_status", .type = FT_ENUM, .max = 10,
	 .choices = export_states, .flags = F_READONLY | F_FILTER,
	 .label = "Export"},
	{.name = "export_at", .type = FT_DATETIME, .flags = F_READONLY,
	 .label = "Exported"},
	{.name = "erased_at", .type = FT_DATETIME,
	 .flags = F_READONLY | F_FILTER | F_SORT, .label = "Erased"},
	{.name = "erase_summary", .type = FT_OBJECT, .flags = F_READONLY | F_WIDE,
	 .label = "What the erasure changed"},
	{.name = "warned_at", .type = FT_DATETIME, .flags = F_READONLY,
	 .label = "Deadline warning sent"},
};

/* ---- dates ------------------------------------------------------------------ */

bool gdpr_date_add(const char *date, int days, char out[11])
{
	if (!date || !valid_date(date))
		return false;
	char iso[ATR_TIME_LEN];
	snprintf(iso, sizeof iso, "%.10sT00:00:00.000Z", date);
	int64_t ms = atr_iso_ms(iso);
	if (!ms && strcmp(date, "1970-01-01"))
		return false;
	char t[ATR_TIME_LEN];
	atr_time_iso(ms + (int64_t)days * 86400000, t);
	memcpy(out, t, 10);
	out[10] = '\0';
	return true;
}

/* Today's date in the organisation's time zone (UTC when it cannot be
 * read): "received today" is the organisation's today. */
static void today(struct req *r, char out[11])
{
	char zone[TZ_NAME_MAX] = "UTC";
	struct tz_local l;
	if (req_db(r))
		l10n_org_zone(r->db, r->who.org_id, zone);
	if (tz_local(zone, atr_now_ms(), &l) == 0) {
		char d[40];
		snprintf(d, sizeof d, "%04d-%02d-%02d", l.year, l.month, l.day);
		atr_strlcpy(out, d, 11);
		return;
	}
	char t[ATR_TIME_LEN];
	atr_now_iso(t);
	memcpy(out, t, 10);
	out[10] = '\0';
}

/* ---- the entity's rules ------------------------------------------------------ */

static void gdpr_check(struct req *r, const struct entity *e)
{
	(void)e;
	const char *rec = json_string_value(json_object_get(r->body,
							    "received_on"));
	char now[11];
	today(r, now);
	/* A request is documented when it came, never ahead of it. */
	if (rec && valid_date(rec) && strcmp(rec, now) > 0)
		atr_field(&r->err, "received_on", "out_of_range",
			  "a request cannot be received after today (%s)",
			  now);
}

/* The derived columns: received_on (today when empty), the deadline,
 * processed_at when the status first settles. */
static int gdpr_on_write(struct req *r, const struct entity *e,
			 const json_t *before, json_t **after)
{
	(void)e;
	json_t *a = *after;
	char rec[11], deadline[11];
	const char *given = json_string_value(json_object_get(a, "received_on"));
	if (given && valid_date(given))
		atr_strlcpy(rec, given, sizeof rec);
	else
		today(r, rec);
	if (!gdpr_date_add(rec, GDPR_DEADLINE_DAYS, deadline))
		return atr_fail(&r->err, ATR_E_INTERNAL, "bad received date");
	const char *st = json_string_value(json_object_get(a, "status"));
	const char *was = before ? json_string_value(json_object_get(before,
								     "status"))
				 : NULL;
	bool settles = st && (!strcmp(st, "done") || !strcmp(st, "refused")) &&
		       (!was || strcmp(was, st));
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *s = db_prepare(
		r->db,
		"UPDATE gdpr_request SET received_on = ?, deadline = ?, "
		"processed_at = CASE WHEN ? AND processed_at IS NULL THEN ? "
		"ELSE processed_at END, warned_at = CASE WHEN deadline = ? "
		"THEN warned_at ELSE NULL END WHERE id = ? AND org_id = ? "
		"RETURNING received_on, deadline, processed_at, warned_at");
	if (!s)
		return -1;
	db_bind_text(s, 1, rec);
	db_bind_text(s, 2, deadline);
	db_bind_int(s, 3, settles);
	db_bind_text(s, 4, now);
	db_bind_text(s, 5, deadline);
	db_bind_int(s, 6, json_integer_value(json_object_get(a, "id")));
	db_bind_int(s, 7, r->who.org_id);
	int rc = db_step(s);
	if (rc == 1) {
		const char *keys[] = {"received_on", "deadline", "processed_at",
				      "warned_at"};
		for (int i = 0; i < 4; i++)
			json_object_set_new(a, keys[i],
					    db_col_null(s, i)
						    ? json_null()
						    : json_string(db_col_text(s, i)));
	}
	db_reset(s);
	return rc == 1 ? 0 : -1;
}

const struct entity entity_gdpr_request = {
	.name = "gdpr_request",
	.plural = "gdpr",
	.label = "GDPR requests",
	.schema = SCHEMA(gdpr_fields),
	.title_field = "subject_email",
	.ui_sort = "deadline",
	.check = gdpr_check,
	.on_write = gdpr_on_write,
};

/* ---- the deadline warning ------------------------------------------------------ */

#define WARN_BATCH 100

/* Warns about one request, once (warned_at is claimed first), in one
 * transaction with its activity row. 1 warned, 0 another run did, -1. */
static int warn_one(struct db_conn *c, int64_t org, int64_t id,
		    const char *deadline, const char *now, struct atr_err *err)
{
	if (db_begin(c) < 0)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	struct db_stmt *st = db_prepare(
		c, "UPDATE gdpr_request SET warned_at = ? WHERE id = ? AND "
		   "org_id = ? AND warned_at IS NULL RETURNING id");
	int rc = -1;
	if (st) {
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, id);
		db_bind_int(st, 3, org);
		rc = db_step(st);
		db_reset(st);
	}
	if (rc == 1) {
		json_t *diff = json_pack("{s:{s:s}}", "warned_at", "to", now);
		struct activity a = {.org_id = org,
				     .actor_name = "system",
				     .action = "deadline_warning",
				     .entity = "gdpr_request",
				     .entity_id = id,
				     .diff = diff,
				     .request_id = ""};
		char title[160], link[64];
		snprintf(title, sizeof title,
			 "GDPR request #%lld is due on %s", (long long)id,
			 deadline);
		snprintf(link, sizeof link, "/admin/gdpr/%lld", (long long)id);
		json_t *params = json_pack("{s:I,s:s}", "id", (json_int_t)id,
					   "deadline", deadline);
		if (activity_record(c, &a) < 0 ||
		    notification_admins_msg(c, org, "gdpr_deadline", params,
					    title,
					    "The legal deadline to answer "
					    "this rights request is 7 days "
					    "away or less.",
					    link, "gdpr", err) < 0)
			rc = -1;
		json_decref(params);
		json_decref(diff);
	}
	if (rc < 0) {
		if (err->kind == ATR_E_NONE)
			atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
		db_rollback(c);
		return -1;
	}
	if (db_commit(c) < 0) {
		db_rollback(c);
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	}
	return rc;
}

static int gdpr_deadline_task(struct app *app, struct db_conn *c,
			      int64_t now_ms, struct atr_err *err)
{
	(void)app;
	char now[ATR_TIME_LEN], limit[ATR_TIME_LEN];
	atr_time_iso(now_ms, now);
	atr_time_iso(now_ms + (int64_t)GDPR_WARN_DAYS * 86400000, limit);
	limit[10] = '\0';
	struct due {
		int64_t org, id;
		char deadline[11];
	} *due = calloc(WARN_BATCH, sizeof *due);
	if (!due)
		return atr_fail(err, ATR_E_INTERNAL, "out of memory");
	struct db_stmt *st = db_prepare(
		c, "SELECT org_id, id, deadline FROM gdpr_request WHERE "
		   "warned_at IS NULL AND status IN ('received', "
		   "'in_progress') AND deadline <= ? AND " ORG_ACTIVE_SQL(
			   "org_id") " ORDER BY deadline, id "
		   "LIMIT 100");
	if (!st) {
		free(due);
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	}
	db_bind_text(st, 1, limit);
	int n = 0, rc;
	while (n < WARN_BATCH && (rc = db_step(st)) == 1) {
		due[n].org = db_col_int(st, 0);
		due[n].id = db_col_int(st, 1);
		atr_strlcpy(due[n].deadline, db_col_text(st, 2),
			    sizeof due[n].deadline);
		n++;
	}
	db_reset(st);
	int ret = 0;
	for (int i = 0; i < n && ret == 0; i++)
		if (warn_one(c, due[i].org, due[i].id, due[i].deadline, now,
			     err) < 0)
			ret = -1;
	free(due);
	return ret;
}

/* ---- the module ------------------------------------------------------------------ */

static const struct field erase_fields[] = {
	{.name = "confirm_email", .type = FT_EMAIL, .max = 254,
	 .flags = F_REQUIRED},
};
static const struct schema erase_schema = SCHEMA(erase_fields);

const struct route gdpr_routes[] = {
	ENTITY_ROUTES(entity_gdpr_request, "gdpr"),
	{HTTP_POST, "/api/v1/gdpr/{id}/export", gdpr_h_export, ACCESS_PERM,
	 "gdpr", CAP_EDIT, &schema_empty},
	/* The download and the erasure are an administrator's alone (the
	 * handlers refuse anyone else); erasure also needs the password
	 * re-entered. */
	{HTTP_GET, "/api/v1/gdpr/{id}/export", gdpr_h_download, ACCESS_PERM,
	 "gdpr", CAP_VIEW, NULL},
	{HTTP_POST, "/api/v1/gdpr/{id}/erase", gdpr_h_erase, ACCESS_PERM,
	 "gdpr", CAP_DELETE, &erase_schema, .flags = ROUTE_REAUTH},
	{0},
};

static const struct perm_module gdpr_perms[] = {
	{"gdpr", "GDPR requests", PB_ALL, "gdpr_request"},
	{0},
};

static const struct entity *const gdpr_entities[] = {&entity_gdpr_request,
						     NULL};

static const struct job_kind gdpr_kinds[] = {
	{"gdpr_export", gdpr_export_job, .max_attempts = 3,
	 .lease_ms = 10 * 60 * 1000},
	{0},
};

static const struct sched_task gdpr_tasks[] = {
	{"gdpr_deadlines", .interval_ms = 60 * 60 * 1000,
	 .run = gdpr_deadline_task},
	{0},
};

const struct module module_gdpr = {
	.name = "gdpr",
	.perms = gdpr_perms,
	.routes = gdpr_routes,
	.entities = gdpr_entities,
	.job_kinds = gdpr_kinds,
	.tasks = gdpr_tasks,
};
