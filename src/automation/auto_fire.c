/* auto_fire.c — what starts an automation's runs.
 *
 * Three sources, each writing run rows (automation_run) and their jobs in
 * one transaction, so a run is queued once or not at all:
 *
 *   events      the outbox subscriber "automations": each committed event
 *               of a record is matched against the organisation's enabled
 *               event automations of that entity (an index). The run row
 *               is unique per (automation, event): an event handed over
 *               twice makes one run.
 *   date rules  the scheduler's automation_dates task (every 15 minutes,
 *               one node of the cluster): records whose date plus the
 *               offset is today in the organisation's zone, or up to
 *               AUTO_CATCHUP_DAYS before (a server that was down catches
 *               up). automation_fired (automation, record, date) is the
 *               once-per-record-and-date marker, written in the run's
 *               transaction: a restart or a second node fires nothing
 *               twice.
 *   schedules   the automation_schedules task (every minute): automations
 *               whose next_run_at has come; next_run_at moves on by a
 *               compare-and-set, so a time fires once.
 *
 * Conditions are evaluated here, with the event's record (before and
 * after), so the run history shows why a run did nothing ("skipped").
 *
 * Loop protection. Changes an automation's run makes carry the run as
 * their events' cause (outbox_cause): an automation is not started by
 * its own changes unless allow_retrigger, and a chain of automations
 * started by automations stops at AUTO_CHAIN_MAX ("stopped"). Each
 * automation runs at most max_runs_per_hour times an hour: past it, it is
 * turned off (paused_at, paused_reason, an activity row) and every
 * administrator is notified in the app.
 */
#include "atrium.h"

#include "auth/org.h"
#include "admin/notification.h"
#include "automation/automation_int.h"
#include "core/app.h"
#include "core/activity.h"
#include "core/l10n.h"
#include "core/tz.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/pipeline.h"
#include "jobs/cron_expr.h"

void auto_next_run(const json_t *trigger, const char *zone, int64_t after_ms,
		   char *out)
{
	*out = 0;
	const char *type = json_string_value(json_object_get(trigger, "type"));
	const char *cron = json_string_value(json_object_get(trigger, "cron"));
	struct cron_expr ce;
	char why[128];
	if (!type || strcmp(type, "schedule") || !cron ||
	    cron_parse(cron, &ce, why, sizeof why) < 0)
		return;
	int64_t next = cron_next_in(&ce, zone, after_ms);
	if (next > 0)
		atr_time_iso(next, out);
}

int auto_settings_changed(struct db_conn *c, int64_t org, const char *group,
			  const json_t *diff, struct atr_err *err)
{
	if (strcmp(group, "localization") || !json_object_get(diff, "timezone"))
		return 0;
	char zone[TZ_NAME_MAX];
	if (l10n_org_zone(c, org, zone) < 0)
		return atr_fail(err, ATR_E_INTERNAL, "automations: %s",
				db_errmsg(c));
	struct db_stmt *st = db_prepare(
	    c, "SELECT id, trigger FROM automation WHERE org_id = ? AND "
	       "enabled = 1 AND trigger_type = 'schedule' ORDER BY id");
	if (!st)
		return atr_fail(err, ATR_E_INTERNAL, "automations: %s",
				db_errmsg(c));
	db_bind_int(st, 1, org);
	json_t *moves = json_array();
	int rc;
	while ((rc = db_step(st)) == 1) {
		json_t *t = json_loads(db_col_text(st, 1), 0, NULL);
		char next[ATR_TIME_LEN];
		auto_next_run(t, zone, atr_now_ms(), next);
		json_decref(t);
		json_array_append_new(moves,
				      json_pack("{s:I,s:s}", "id",
						(json_int_t)db_col_int(st, 0),
						"next", next));
	}
	db_reset(st);
	size_t i;
	json_t *a;
	json_array_foreach(moves, i, a)
	{
		if (rc < 0)
			break;
		st = db_prepare(c, "UPDATE automation SET next_run_at = ? "
				   "WHERE id = ? AND org_id = ?");
		const char *next =
		    json_string_value(json_object_get(a, "next"));
		rc = st ? 0 : -1;
		if (st) {
			db_bind_text(st, 1, *next ? next : NULL);
			db_bind_int(
			    st, 2,
			    json_integer_value(json_object_get(a, "id")));
			db_bind_int(st, 3, org);
			rc = db_step(st) < 0 ? -1 : 0;
			db_reset(st);
		}
	}
	json_decref(moves);
	return rc < 0 ? atr_fail(err, ATR_E_INTERNAL, "automations: %s",
				 db_errmsg(c))
		      : 0;
}

/* ---- runs ------------------------------------------------------------------ */

struct fire {
	int64_t aid, org;
	const char *trigger; /* "event", "date", "schedule" */
	const char *entity;
	int64_t record_id, event_id;
	const char *fire_date;
	int depth;
};

/* Inserts a run row (status, the conditions' trace, an error) and, when
 * queued, its job. 1 inserted, 0 it existed (the event was handed over
 * before), -1 error. */
static int run_add(struct db_conn *c, const struct fire *f,
		   const char *status, const json_t *trace, const char *error)
{
	char now[ATR_TIME_LEN];
	atr_time_iso(jobs_now_ms(), now);
	bool ended = strcmp(status, "queued") != 0;
	char *tr = trace ? json_dumps(trace, JSON_COMPACT) : NULL;
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO automation_run (org_id, automation_id, trigger, "
		   "entity, record_id, event_id, fire_date, depth, status, "
		   "conditions, error, created_at, finished_at) VALUES (?, ?, "
		   "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
		   "RETURNING id");
	if (!st) {
		free(tr);
		return -1;
	}
	db_bind_int(st, 1, f->org);
	db_bind_int(st, 2, f->aid);
	db_bind_text(st, 3, f->trigger);
	db_bind_text(st, 4, f->entity);
	db_bind_opt_int(st, 5, f->record_id > 0, f->record_id);
	db_bind_opt_int(st, 6, f->event_id > 0, f->event_id);
	db_bind_text(st, 7, f->fire_date);
	db_bind_int(st, 8, f->depth);
	db_bind_text(st, 9, status);
	db_bind_text(st, 10, tr);
	db_bind_text(st, 11, error);
	db_bind_text(st, 12, now);
	db_bind_text(st, 13, ended ? now : NULL);
	int rc = db_step(st);
	int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	free(tr);
	if (rc <= 0 || ended)
		return rc;
	json_t *p = json_pack("{s:I}", "run_id", (json_int_t)id);
	char key[80];
	snprintf(key, sizeof key, "automation:%lld:%s:%lld", (long long)f->aid,
		 f->entity ? f->entity : "-", (long long)f->record_id);
	int e = job_enqueue(c, &(struct job_new){.kind = "automation",
						 .org_id = f->org,
						 .payload = p,
						 .order_key = key,
						 .order_seq = id},
			    NULL, NULL);
	json_decref(p);
	return e < 0 ? -1 : 1;
}

/* Turns automation aid off for the reason given, with its activity row,
 * and tells the organisation's administrators. 0 or -1. */
static int pause(struct db_conn *c, int64_t org, int64_t aid,
		 const char *name, const char *reason, int64_t max)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE automation SET enabled = 0, paused_at = ?, "
		   "paused_reason = ?, version = version + 1, updated_at = ? "
		   "WHERE id = ? AND org_id = ? AND enabled = 1");
	if (!st)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_text(st, 2, reason);
	db_bind_text(st, 3, now);
	db_bind_int(st, 4, aid);
	db_bind_int(st, 5, org);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	json_t *diff = json_pack("{s:{s:b,s:b},s:{s:s}}", "enabled", "from", 1,
				 "to", 0, "paused_reason", "to", reason);
	struct activity a = {.org_id = org,
			     .actor_name = "system",
			     .action = "pause",
			     .entity = "automation",
			     .entity_id = aid,
			     .diff = diff,
			     .request_id = ""};
	rc = activity_record(c, &a);
	json_decref(diff);
	if (rc < 0)
		return -1;
	char title[300], link[64];
	snprintf(title, sizeof title, "Automation '%.200s' was turned off",
		 name);
	snprintf(link, sizeof link, "/admin/workflow_automation/%lld",
		 (long long)aid);
	json_t *params = json_pack("{s:s,s:I}", "name", name, "max",
				   (json_int_t)max);
	rc = notification_admins_msg(c, org, "automation_paused", params, title,
				     reason, link, "automation", NULL);
	json_decref(params);
	return rc < 0 ? -1 : 0;
}

/* Whether automation aid may run once more this hour: 1 yes, 0 it was
 * turned off now, 2 it is off already (the run is not its), -1 error. */
static int within_rate(struct db_conn *c, int64_t org, int64_t aid,
		       const char *name, int64_t max)
{
	char since[ATR_TIME_LEN];
	atr_time_iso(jobs_now_ms() - 3600 * 1000, since);
	/* Events of different records are handed over in parallel on
	 * PostgreSQL: one count at a time per automation (the row's lock),
	 * or two could both see room for one more; and one that waited may
	 * find the automation turned off meanwhile. (SQLite's writer is
	 * single, and the caller read the automation in this transaction.) */
	struct db_stmt *st = db_prepare(
		c, db_conn_dialect(c) == DB_PG
			   ? "SELECT enabled FROM automation WHERE id = ? FOR "
			     "UPDATE"
			   : "SELECT enabled FROM automation WHERE id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, aid);
	int lr = db_step(st);
	bool on = lr == 1 && db_col_int(st, 0) != 0;
	db_reset(st);
	if (lr < 0)
		return -1;
	if (!on)
		return 2;
	st = db_prepare(
		c, "SELECT count(*) FROM automation_run WHERE automation_id = ? "
		   "AND created_at >= ? AND status <> 'skipped'");
	if (!st)
		return -1;
	db_bind_int(st, 1, aid);
	db_bind_text(st, 2, since);
	int rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc < 0)
		return -1;
	if (n < max)
		return 1;
	char why[200];
	snprintf(why, sizeof why,
		 "it started more than %lld runs within an hour (its limit)",
		 (long long)max);
	return pause(c, org, aid, name, why, max) < 0 ? -1 : 0;
}

/* Decides one automation's run for f: conditions (s), then the rate. 0
 * or -1. */
static int decide(struct db_conn *c, struct fire *f, const char *name,
		  int64_t max, const json_t *conditions,
		  const struct auto_subject *s)
{
	json_t *trace = NULL;
	int ok = s ? auto_cond_eval(s, conditions, &trace) : 1;
	if (ok < 0)
		return -1;
	int rc;
	if (!ok) {
		rc = run_add(c, f, "skipped", trace, "the conditions were not met");
	} else {
		int w = within_rate(c, f->org, f->aid, name, max);
		rc = w < 0	? -1
		     : w == 2 ? 0
		     : w      ? run_add(c, f, "queued", trace, NULL)
			      : run_add(c, f, "stopped", trace,
					"the automation ran too often and "
					"was turned off");
	}
	json_decref(trace);
	return rc < 0 ? -1 : 0;
}

/* ---- events ------------------------------------------------------------------ */

/* Whether trigger t wants the event of action with payload p. */
static bool wants(const json_t *t, const char *action, const json_t *p)
{
	const char *ev = json_string_value(json_object_get(t, "event"));
	if (!ev)
		return false;
	if (!strcmp(ev, "created_or_updated"))
		return !strcmp(action, "created") || !strcmp(action, "updated");
	if (strcmp(ev, "field_changed"))
		return !strcmp(ev, action);
	/* A field "changes" when a record is made with it set, or an update
	 * gives it another value; with `to`, the new value must be it. */
	const char *field = json_string_value(json_object_get(t, "field"));
	const json_t *after = json_object_get(json_object_get(p, "after"), field);
	const json_t *before = json_object_get(json_object_get(p, "before"),
					       field);
	bool set = after && !json_is_null(after) &&
		   !(json_is_string(after) && !*json_string_value(after));
	bool changed = !strcmp(action, "created")   ? set
		       : !strcmp(action, "updated") ? !json_equal(before ? before
									 : json_null(),
								  after ? after
									: json_null())
						    : false;
	const json_t *to = json_object_get(t, "to");
	if (!changed || !to || json_is_null(to))
		return changed;
	return after && json_equal(after, to);
}

int auto_on_event(struct app *app, const struct event *ev, struct atr_err *err)
{
	if (!auto_entity_ok(ev->entity))
		return JOB_OK;
	int64_t cause_aid = 0, depth = 0;
	if (ev->cause) {
		json_t *cz = json_loads(ev->cause, 0, NULL);
		cause_aid = json_integer_value(json_object_get(cz, "automation"));
		depth = json_integer_value(json_object_get(cz, "depth"));
		json_decref(cz);
	}
	struct db_conn *c = db_acquire(app->db, err);
	if (!c)
		return JOB_FAILED;
	int rc = db_begin(c);
	struct db_stmt *st = rc < 0 ? NULL : db_prepare(
		c, "SELECT id, name, trigger, conditions, allow_retrigger, "
		   "max_runs_per_hour FROM automation WHERE org_id = ? AND "
		   "trigger_entity = ? AND trigger_type = 'event' AND enabled "
		   "= 1 ORDER BY id");
	json_t *list = json_array();
	if (st) {
		db_bind_int(st, 1, ev->org_id);
		db_bind_text(st, 2, ev->entity);
		while ((rc = db_step(st)) == 1)
			json_array_append_new(
				list,
				json_pack("{s:I,s:s,s:s,s:s?,s:b,s:I}", "id",
					  (json_int_t)db_col_int(st, 0), "name",
					  db_col_text(st, 1), "trigger",
					  db_col_text(st, 2), "conditions",
					  db_col_text(st, 3),
					  "retrigger", db_col_int(st, 4) != 0,
					  "max", (json_int_t)db_col_int(st, 5)));
		db_reset(st);
	} else {
		rc = -1;
	}
	const json_t *after = json_object_get(ev->payload, "after");
	const json_t *before = json_object_get(ev->payload, "before");
	bool deleted = !strcmp(ev->action, "deleted");
	struct auto_subject s = {
		.c = c,
		.org = ev->org_id,
		.entity = ev->entity,
		.after = deleted ? before : after,
		.before = !strcmp(ev->action, "updated") ? before : NULL,
	};
	size_t i;
	json_t *a;
	json_array_foreach(list, i, a)
	{
		if (rc < 0)
			break;
		json_t *t = json_loads(json_string_value(json_object_get(a, "trigger")),
				       0, NULL);
		json_t *cond = json_string_value(json_object_get(a, "conditions"))
				       ? json_loads(json_string_value(json_object_get(
							    a, "conditions")),
						    0, NULL)
				       : NULL;
		int64_t aid = json_integer_value(json_object_get(a, "id"));
		struct fire f = {.aid = aid,
				 .org = ev->org_id,
				 .trigger = "event",
				 .entity = ev->entity,
				 .record_id = ev->entity_id,
				 .event_id = ev->id,
				 .depth = (int)depth + (cause_aid ? 1 : 0)};
		bool own = cause_aid == aid &&
			   !json_is_true(json_object_get(a, "retrigger"));
		if (!wants(t, ev->action, ev->payload) || own)
			rc = 0; /* not its event, or its own change */
		else if (f.depth > AUTO_CHAIN_MAX)
			rc = run_add(c, &f, "stopped", NULL,
				     "automations started each other more "
				     "than 5 times in a chain");
		else
			rc = decide(c, &f,
				    json_string_value(json_object_get(a, "name")),
				    json_integer_value(json_object_get(a, "max")),
				    cond, &s);
		json_decref(t);
		json_decref(cond);
	}
	json_decref(list);
	if (rc >= 0)
		rc = db_commit(c);
	if (rc < 0) {
		atr_fail(err, ATR_E_INTERNAL, "automations: event %lld: %s",
			 (long long)ev->id, db_errmsg(c));
		db_rollback(c);
	}
	db_release(c);
	if (rc < 0)
		return JOB_FAILED;
	jobs_wake();
	return JOB_OK;
}

/* ---- date rules ------------------------------------------------------------- */

/* date (YYYY-MM-DD...) plus days, into out (11 bytes). */
static bool date_add(const char *date, int64_t days, char out[11])
{
	int y, m, d;
	if (!date || sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return false;
	char iso[ATR_TIME_LEN];
	atr_time_iso((tz_days_from_civil(y, m, d) + days) * 86400000LL, iso);
	memcpy(out, iso, 10);
	out[10] = 0;
	return true;
}

/* One date automation (row a): its records due, each marked and run.
 * Returns how many runs it added, or -1. */
static int dates_of(struct app *app, struct db_conn *c, const json_t *a,
		    const char *today)
{
	json_t *t = json_loads(json_string_value(json_object_get(a, "trigger")),
			       0, NULL);
	json_t *cond = json_string_value(json_object_get(a, "conditions"))
			       ? json_loads(json_string_value(
						    json_object_get(a, "conditions")),
					    0, NULL)
			       : NULL;
	const char *ent = json_string_value(json_object_get(t, "entity"));
	const char *field = json_string_value(json_object_get(t, "field"));
	int64_t off = json_integer_value(json_object_get(t, "offset_days"));
	int64_t aid = json_integer_value(json_object_get(a, "id"));
	int64_t org = json_integer_value(json_object_get(a, "org_id"));
	const struct entity *e = entity_find(ent ? ent : "");
	const struct field *fd = auto_field(ent, field);
	int added = 0, rc = 0;
	char lo[11], hi[11], hi_next[11];
	/* date + off in [today - catch-up, today] */
	if (!e || !fd || !date_add(today, -off - AUTO_CATCHUP_DAYS, lo) ||
	    !date_add(today, -off, hi) || !date_add(hi, 1, hi_next))
		goto out;
	char sql[600];
	snprintf(sql, sizeof sql,
		 "SELECT id, %s FROM %s r WHERE org_id = ? AND %s >= ? AND %s "
		 "< ? AND NOT EXISTS (SELECT 1 FROM automation_fired f WHERE "
		 "f.automation_id = ? AND f.record_id = r.id AND f.fire_date "
		 ">= ?) ORDER BY id LIMIT 500",
		 fd->name, e->name, fd->name, fd->name);
	struct db_stmt *st = db_prepare(c, sql);
	if (!st) {
		rc = -1;
		goto out;
	}
	char lo_fire[11];
	date_add(lo, off, lo_fire);
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi_next);
	db_bind_int(st, 4, aid);
	db_bind_text(st, 5, lo_fire);
	json_t *due = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(due,
				      json_pack("{s:I,s:s}", "id",
						(json_int_t)db_col_int(st, 0),
						"date", db_col_text(st, 1)));
	db_reset(st);
	size_t i;
	json_t *d;
	json_array_foreach(due, i, d)
	{
		if (rc < 0)
			break;
		int64_t rid = json_integer_value(json_object_get(d, "id"));
		char fire[11];
		if (!date_add(json_string_value(json_object_get(d, "date")), off,
			      fire))
			continue;
		/* The marker and the run commit together. */
		struct req fr = {0};
		fr.app = app;
		fr.arena = arena_new();
		fr.db = c;
		fr.who.org_id = org;
		fr.who.admin = true;
		rc = db_begin(c);
		st = rc < 0 ? NULL : db_prepare(
			c, "INSERT INTO automation_fired (automation_id, "
			   "record_id, fire_date, created_at) VALUES (?, ?, ?, "
			   "?) ON CONFLICT DO NOTHING RETURNING record_id");
		int ins = -1;
		if (st) {
			char now[ATR_TIME_LEN];
			atr_now_iso(now);
			db_bind_int(st, 1, aid);
			db_bind_int(st, 2, rid);
			db_bind_text(st, 3, fire);
			db_bind_text(st, 4, now);
			ins = db_step(st);
			db_reset(st);
		}
		json_t *rec = NULL;
		if (ins == 1 && entity_record_follow(&fr, e, rid, &rec) < 0)
			ins = -1;
		if (ins == 1 && rec) {
			struct auto_subject s = {.c = c, .org = org, .entity = ent,
						 .after = rec};
			struct fire f = {.aid = aid, .org = org, .trigger = "date",
					 .entity = ent, .record_id = rid,
					 .fire_date = fire};
			ins = decide(c, &f,
				     json_string_value(json_object_get(a, "name")),
				     json_integer_value(json_object_get(a, "max")),
				     cond, &s) < 0
				      ? -1
				      : 1;
			added++;
		}
		json_decref(rec);
		rc = ins >= 0 ? db_commit(c) : (db_rollback(c), -1);
		fr.db = NULL;
		req_free(&fr);
	}
	json_decref(due);
out:
	json_decref(t);
	json_decref(cond);
	return rc < 0 ? -1 : added;
}

/* Enabled automations of trigger type type, every organisation: [{id,
 * org_id, name, trigger, conditions, max}] or NULL on error. */
static json_t *enabled_of(struct db_conn *c, const char *type,
			  const char *due_before)
{
	struct db_stmt *st = db_prepare(
		c, due_before
			   ? "SELECT id, org_id, name, trigger, conditions, "
			     "max_runs_per_hour, next_run_at FROM automation "
			     "WHERE enabled = 1 AND next_run_at IS NOT NULL AND "
			     "next_run_at <= ? AND " ORG_ACTIVE_SQL("org_id")
			     " ORDER BY next_run_at LIMIT 1000"
			   : "SELECT id, org_id, name, trigger, conditions, "
			     "max_runs_per_hour, next_run_at FROM automation "
			     "WHERE enabled = 1 AND trigger_type = ? AND "
			     ORG_ACTIVE_SQL("org_id") " ORDER BY org_id, id");
	if (!st)
		return NULL;
	db_bind_text(st, 1, due_before ? due_before : type);
	json_t *list = json_array();
	int rc;
	while ((rc = db_step(st)) == 1)
		json_array_append_new(
			list, json_pack("{s:I,s:I,s:s,s:s,s:s?,s:I,s:s?}", "id",
					(json_int_t)db_col_int(st, 0), "org_id",
					(json_int_t)db_col_int(st, 1), "name",
					db_col_text(st, 2), "trigger",
					db_col_text(st, 3), "conditions",
					db_col_text(st, 4), "max",
					(json_int_t)db_col_int(st, 5), "next",
					db_col_text(st, 6)));
	db_reset(st);
	if (rc < 0) {
		json_decref(list);
		return NULL;
	}
	return list;
}

int auto_dates_task(struct app *app, struct db_conn *c, int64_t now_ms,
		    struct atr_err *err)
{
	json_t *list = enabled_of(c, "date", NULL);
	if (!list)
		return atr_fail(err, ATR_E_INTERNAL, "automations: %s",
				db_errmsg(c));
	int64_t org = 0;
	char today[16] = "";
	int rc = 0, runs = 0;
	size_t i;
	json_t *a;
	json_array_foreach(list, i, a)
	{
		int64_t o = json_integer_value(json_object_get(a, "org_id"));
		if (o != org) {
			char zone[TZ_NAME_MAX];
			struct tz_local l;
			org = o;
			if (l10n_org_zone(c, org, zone) < 0 ||
			    (tz_local(zone, now_ms, &l) < 0 &&
			     tz_local("UTC", now_ms, &l) < 0)) {
				rc = -1;
				break;
			}
			snprintf(today, sizeof today, "%04d-%02d-%02d",
				 l.year % 10000, l.month % 100, l.day % 100);
		}
		int n = dates_of(app, c, a, today);
		if (n < 0) {
			rc = -1;
			break;
		}
		runs += n;
	}
	json_decref(list);
	if (rc < 0)
		return atr_fail(err, ATR_E_INTERNAL, "automations: date rules: %s",
				db_errmsg(c));
	if (runs)
		jobs_wake();
	return 0;
}

/* ---- schedules -------------------------------------------------------------- */

int auto_schedule_task(struct app *app, struct db_conn *c, int64_t now_ms,
		       struct atr_err *err)
{
	(void)app;
	char now[ATR_TIME_LEN];
	atr_time_iso(now_ms, now);
	json_t *list = enabled_of(c, NULL, now);
	if (!list)
		return atr_fail(err, ATR_E_INTERNAL, "automations: %s",
				db_errmsg(c));
	int rc = 0, runs = 0;
	size_t i;
	json_t *a;
	json_array_foreach(list, i, a)
	{
		json_t *t = json_loads(
		    json_string_value(json_object_get(a, "trigger")), 0, NULL);
		int64_t aid = json_integer_value(json_object_get(a, "id"));
		int64_t org = json_integer_value(json_object_get(a, "org_id"));
		char next[ATR_TIME_LEN], zone[TZ_NAME_MAX];
		if (l10n_org_zone(c, org, zone) < 0) {
			json_decref(t);
			rc = -1;
			break;
		}
		auto_next_run(t, zone, now_ms, next);
		json_decref(t);
		rc = db_begin(c);
		struct db_stmt *st = rc < 0 ? NULL : db_prepare(
			c, "UPDATE automation SET next_run_at = ? WHERE id = ? "
			   "AND next_run_at = ? AND enabled = 1 RETURNING id");
		int won = -1;
		if (st) {
			db_bind_text(st, 1, *next ? next : NULL);
			db_bind_int(st, 2, aid);
			db_bind_text(st, 3, json_string_value(json_object_get(a, "next")));
			won = db_step(st);
			db_reset(st);
		}
		if (won == 1) {
			struct fire f = {.aid = aid, .org = org,
					 .trigger = "schedule"};
			won = decide(c, &f,
				     json_string_value(json_object_get(a, "name")),
				     json_integer_value(json_object_get(a, "max")),
				     NULL, NULL) < 0
				      ? -1
				      : 1;
			runs++;
		}
		rc = won >= 0 ? db_commit(c) : (db_rollback(c), -1);
		if (rc < 0)
			break;
	}
	json_decref(list);
	if (rc < 0)
		return atr_fail(err, ATR_E_INTERNAL, "automations: schedules: %s",
				db_errmsg(c));
	if (runs)
		jobs_wake();
	return 0;
}
