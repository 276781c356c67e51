/* record_retention_run.c — a record retention rule's preview, its runs
 * and their history.
 *
 * Preview (GET .../{id}/preview, POST .../preview for an unsaved rule):
 * the rule's selection through the entity's list engine, within the
 * caller's view scope, counted (total) with its first page (the records,
 * their last activity, the cutoff). It never writes.
 *
 * A run is a retention_run row and a job of kind retention_rule: queued
 * by the daily task `record_retention` for each enabled rule whose
 * version was confirmed, or by "run now" (which confirms); the job itself
 * is in record_retention_job.c.
 */
#include "atrium.h"

#include "auth/org.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "db/db.h"
#include "gdpr/gdpr_int.h"
#include "gdpr/record_retention.h"
#include "http/list.h"
#include "http/perm.h"
#include "http/pipeline.h"

/* ---- preview ----------------------------------------------------------------------- */

static int preview(struct req *r, const struct rr_rule *ru, int64_t limit)
{
	char cut[ATR_TIME_LEN];
	rr_cutoff(atr_now_ms(), ru->amount, ru->unit, cut);
	const char *params = arena_printf(r->arena,
					  "limit=%lld&count=true&sort=updated_at",
					  (long long)limit);
	return rr_select(r, ru, cut, params, 0, true, NULL, NULL);
}

/* ?limit= of a preview (the only parameter): 1..RR_PREVIEW_MAX. */
static int preview_limit(struct req *r, int64_t *limit)
{
	*limit = RR_PREVIEW_LIMIT;
	for (int i = 0; i < r->nquery; i++) {
		if (strcmp(r->query[i].key, "limit"))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"unknown parameter '%s'",
					r->query[i].key);
		if (atr_parse_i64(r->query[i].value, limit) < 0 || *limit < 1 ||
		    *limit > RR_PREVIEW_MAX)
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"limit must be 1..%d", RR_PREVIEW_MAX);
	}
	return 0;
}

int rr_h_preview(struct req *r)
{
	int64_t limit;
	if (preview_limit(r, &limit) < 0 || !req_db(r))
		return -1;
	json_t *rec = NULL;
	int rc = entity_record_load(r, &entity_retention_rule, false, &rec);
	if (rc < 0)
		return r->err.kind ? -1 : req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"retention rule %lld not found", (long long)r->id);
	struct rr_rule ru;
	if (!rr_rule_from_json(rec, &ru)) {
		json_decref(rec);
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"retention rule %lld names records no rule may "
				"remove",
				(long long)r->id);
	}
	rc = preview(r, &ru, limit);
	json_decref(rec);
	return rc;
}

int rr_h_preview_body(struct req *r)
{
	int64_t limit;
	if (preview_limit(r, &limit) < 0 || !req_db(r))
		return -1;
	struct rr_rule ru;
	if (!rr_rule_from_json(r->body, &ru)) {
		atr_field(&r->err, "entity", "invalid",
			  "no rule may remove these records");
		return -1;
	}
	return preview(r, &ru, limit);
}

/* ---- confirm and run now ------------------------------------------------------------- */

/* The caller may remove the rule's records themselves: delete them (a
 * delete rule) or edit them (anonymise) — all of them: a run acts on the
 * whole organisation, so a member who sees only their own records (view
 * own) may preview a rule but not set it loose on everyone's. */
static int may_apply(struct req *r, const struct rr_rule *ru)
{
	enum perm_cap need = ru->anonymise ? CAP_EDIT : CAP_DELETE;
	if (perm_check(&r->who, ru->e->plural, need) == PERM_DENY)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"you may not %s %s yourself",
				ru->anonymise ? "edit" : "delete", ru->e->plural);
	if (perm_view_scope(&r->who, ru->e->plural) != PERM_ALL)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"a rule removes every matching record of the "
				"organisation: you may see only some %s",
				ru->e->plural);
	return 0;
}

/* Locks and loads the rule in r's open transaction, checks If-Match and
 * the caller's right to apply it, and confirms its version. 0 or -1. */
static int confirm_locked(struct req *r, struct rr_rule *ru, const char *now)
{
	json_t *rec = NULL;
	int rc = entity_record_load(r, &entity_retention_rule, true, &rec);
	if (rc <= 0) {
		if (rc == 0)
			atr_fail(&r->err, ATR_E_NOT_FOUND,
				 "retention rule %lld not found", (long long)r->id);
		return -1;
	}
	bool ok = rr_rule_from_json(rec, ru);
	if (ok) {
		ru->name = arena_strdup(r->arena, ru->name ? ru->name : "");
		ru->unit = arena_strdup(r->arena, ru->unit);
		ru->filter = ru->filter ? arena_strdup(r->arena, ru->filter)
					: NULL;
	}
	json_decref(rec);
	if (!ok)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"retention rule %lld names records no rule may "
				"remove",
				(long long)r->id);
	if (req_check_version(r, ru->version, "retention rule") < 0 ||
	    may_apply(r, ru) < 0)
		return -1;
	if (ru->confirmed_version == ru->version)
		return 0;
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE retention_rule SET confirmed_version = version, "
		       "confirmed_at = ? WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, r->id);
	db_bind_int(st, 3, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	json_t *diff = json_pack("{s:{s:I},s:{s:s}}", "confirmed_version", "to",
				 (json_int_t)ru->version, "confirmed_at", "to",
				 now);
	rc = activity_from_req(r, "confirm", "retention_rule", r->id, diff);
	json_decref(diff);
	ru->confirmed_version = ru->version;
	return rc;
}

static int end_tx(struct req *r, int rc)
{
	if (rc == 0 && db_commit(r->db) == 0)
		return 0;
	db_rollback(r->db);
	return r->err.kind != ATR_E_NONE ? -1 : req_db_error(r);
}

int rr_h_confirm(struct req *r)
{
	if (!req_db(r))
		return -1;
	if (db_begin(r->db) < 0)
		return req_db_error(r);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct rr_rule ru;
	if (end_tx(r, confirm_locked(r, &ru, now)) < 0)
		return -1;
	req_json(r, 200, json_pack("{s:I,s:I,s:s}", "id", (json_int_t)r->id,
				   "confirmed_version", (json_int_t)ru.version,
				   "confirmed_at", now));
	return 0;
}

/* Queues a run of rule ru (org, id) in c's open transaction: its row, its
 * job and the activity row a. *run its id. 0, 1 a run is already open,
 * -1. */
static int queue_run(struct db_conn *c, int64_t org, const struct rr_rule *ru,
		     const char *origin, int64_t by, int64_t now_ms,
		     struct activity *a, int64_t *run, struct atr_err *err)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id FROM retention_run WHERE rule_id = ? AND status IN "
		   "('queued', 'running') LIMIT 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, ru->id);
	int rc = db_step(st);
	if (rc == 1)
		*run = db_col_int(st, 0);
	db_reset(st);
	if (rc != 0)
		return rc;
	char now[ATR_TIME_LEN], cut[ATR_TIME_LEN];
	atr_time_iso(now_ms, now);
	rr_cutoff(now_ms, ru->amount, ru->unit, cut);
	st = db_prepare(c, "INSERT INTO retention_run (org_id, rule_id, "
			   "rule_version, origin, requested_by, status, cutoff, "
			   "created_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?) "
			   "RETURNING id");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, ru->id);
	db_bind_int(st, 3, ru->version);
	db_bind_text(st, 4, origin);
	if (by)
		db_bind_int(st, 5, by);
	else
		db_bind_null(st, 5);
	db_bind_text(st, 6, cut);
	db_bind_text(st, 7, now);
	rc = db_step(st);
	if (rc == 1)
		*run = db_col_int(st, 0);
	db_reset(st);
	if (rc != 1)
		return -1;
	json_t *payload = json_pack("{s:I}", "run_id", (json_int_t)*run);
	json_t *diff = json_pack("{s:{s:I},s:{s:s},s:{s:s}}", "run", "to",
				 (json_int_t)*run, "origin", "to", origin,
				 "cutoff", "to", cut);
	a->diff = diff;
	rc = job_enqueue(c, &(struct job_new){.kind = "retention_rule",
					      .org_id = org,
					      .payload = payload},
			 NULL, err);
	if (rc == 0)
		rc = activity_record(c, a);
	json_decref(payload);
	json_decref(diff);
	a->diff = NULL;
	return rc < 0 ? -1 : 0;
}

int rr_h_run(struct req *r)
{
	if (!req_db(r))
		return -1;
	if (db_begin(r->db) < 0)
		return req_db_error(r);
	int64_t now_ms = atr_now_ms();
	char now[ATR_TIME_LEN];
	atr_time_iso(now_ms, now);
	struct rr_rule ru;
	int rc = confirm_locked(r, &ru, now);
	int64_t run = 0;
	if (rc == 0) {
		struct activity a = {.org_id = r->who.org_id,
				     .actor_id = r->who.staff_id,
				     .actor_name = req_actor_name(r),
				     .action = "run",
				     .entity = "retention_rule",
				     .entity_id = r->id,
				     .ip = r->ip,
				     .request_id = r->request_id};
		rc = queue_run(r->db, r->who.org_id, &ru, "manual",
			       r->who.staff_id, now_ms, &a, &run, &r->err);
		if (rc == 0 &&
		    activity_mirror(r, "run", "retention_rule", &r->id, 1) < 0)
			rc = -1;
		if (rc == 1) {
			rc = atr_fail(&r->err, ATR_E_CONFLICT,
				      "run %lld of this rule has not finished",
				      (long long)run);
		}
	}
	if (end_tx(r, rc) < 0)
		return -1;
	jobs_wake();
	req_json(r, 202, json_pack("{s:I,s:I,s:s,s:s}", "id", (json_int_t)run,
				   "rule_id", (json_int_t)r->id, "status",
				   "queued", "origin", "manual"));
	return 0;
}

/* ---- the daily task ------------------------------------------------------------------ */

/* Queues a run of every enabled, confirmed rule without an open one,
 * each in its own transaction with its activity row (actor scheduler). */
int rr_task(struct app *app, struct db_conn *c, int64_t now_ms,
	    struct atr_err *err)
{
	(void)app;
	int64_t after = 0;
	for (;;) {
		struct {
			int64_t id, org, amount, version;
			char unit[8];
		} due[100];
		int n = 0, seen = 0, rc;
		struct db_stmt *st = db_prepare(
			c, "SELECT id, org_id, amount, unit, version, entity FROM "
			   "retention_rule WHERE enabled = 1 AND "
			   "confirmed_version = version AND id > ? AND "
			   ORG_ACTIVE_SQL("org_id") " ORDER BY id "
			   "LIMIT 100");
		if (!st)
			return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
		db_bind_int(st, 1, after);
		while ((rc = db_step(st)) == 1) {
			seen++;
			after = db_col_int(st, 0);
			if (!rr_entity_offered(entity_find(db_col_text(st, 5))))
				continue;
			due[n].id = after;
			due[n].org = db_col_int(st, 1);
			due[n].amount = db_col_int(st, 2);
			atr_strlcpy(due[n].unit, db_col_text(st, 3),
				    sizeof due[n].unit);
			due[n].version = db_col_int(st, 4);
			n++;
		}
		db_reset(st);
		if (rc < 0)
			return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
		for (int i = 0; i < n; i++) {
			struct rr_rule ru = {.id = due[i].id,
					     .amount = due[i].amount,
					     .unit = due[i].unit,
					     .version = due[i].version};
			struct activity a = {.org_id = due[i].org,
					     .actor_name = "scheduler",
					     .action = "run",
					     .entity = "retention_rule",
					     .entity_id = due[i].id,
					     .request_id = ""};
			int64_t run = 0;
			if (db_begin(c) < 0)
				return atr_fail(err, ATR_E_INTERNAL, "%s",
						db_errmsg(c));
			int q = queue_run(c, due[i].org, &ru, "schedule", 0,
					  now_ms, &a, &run, err);
			if (q < 0 || db_commit(c) < 0) {
				db_rollback(c);
				if (err->kind == ATR_E_NONE)
					atr_fail(err, ATR_E_INTERNAL, "%s",
						 db_errmsg(c));
				return -1;
			}
		}
		if (n)
			jobs_wake();
		if (seen < 100)
			return 0;
	}
}

/* ---- the history -------------------------------------------------------------------- */

static const struct field f_status = {.name = "status", .type = FT_TEXT};
static const struct field f_origin = {.name = "origin", .type = FT_TEXT};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};
static const struct list_col run_cols[] = {
	{&f_status, NULL, LIST_FILTER},
	{&f_origin, NULL, LIST_FILTER},
	{&f_created, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

static void run_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	(void)arg;
	json_t *o = json_object();
	static const char *const text[] = {NULL,	 "origin",    NULL,
					   "status",	 "cutoff",    "created_at",
					   "started_at", "finished_at"};
	json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
	for (int i = 1; i < 8; i++) {
		if (!text[i])
			continue;
		json_object_set_new(o, text[i],
				    db_col_null(st, i)
					    ? json_null()
					    : json_string(db_col_text(st, i)));
	}
	json_object_set_new(o, "requested_by",
			    db_col_null(st, 2) ? json_null()
					       : json_integer(db_col_int(st, 2)));
	json_object_set_new(o, "removed", json_integer(db_col_int(st, 8)));
	json_object_set_new(o, "refused", json_integer(db_col_int(st, 9)));
	json_t *ref = db_col_null(st, 10) ? NULL
					  : json_loads(db_col_text(st, 10), 0, NULL);
	json_object_set_new(o, "refusals", ref ? ref : json_array());
	json_object_set_new(o, "error", db_col_null(st, 11)
						? json_null()
						: json_string(db_col_text(st, 11)));
	json_object_set_new(o, "rule_version", json_integer(db_col_int(st, 12)));
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

static int run_scope(struct req *r, struct list_query *q, const void *arg)
{
	(void)arg;
	list_where(q, "rule_id = ?");
	list_int(q, r->id);
	return 0;
}

static const struct list_spec runs_spec = {
	.from = "retention_run",
	.cols = "id, origin, requested_by, status, cutoff, created_at, "
		"started_at, finished_at, removed, refused, refusals, error, "
		"rule_version",
	.id = "id",
	.org = "org_id",
	.columns = run_cols,
	.ncolumns = (int)ATR_ARRAY_LEN(run_cols),
	.sort_default = "-id",
	.limit_default = 20,
	.limit_max = 100,
	.row = run_row,
	.scope = run_scope,
};

int rr_h_runs(struct req *r)
{
	if (!req_db(r))
		return -1;
	int rc = entity_ref_visible(r, &entity_retention_rule, r->id);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"retention rule %lld not found", (long long)r->id);
	return list_run(r, &runs_spec);
}
