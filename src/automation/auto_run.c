/* auto_run.c — a run of an automation: its actions in order, on the job
 * runner, never inside the request that fired it.
 *
 * Each step is one transaction holding the action's effect (a task, a
 * queued email, a notification, an update with its activity row and
 * event) and the run row's progress (its result appended to `steps`,
 * next_step moved on). So a node killed mid-run resumes at the step that
 * did not commit, and no step's effect happens twice. Steps run as the
 * automation's owner (auto_principal), and the events they write carry
 * the run as their cause (outbox_cause) for the loop protection.
 *
 * Outcomes of a step: done; refused (the owner may not, the record is
 * gone or out of their sight, a template fails, a field is invalid): the
 * run fails there with the reason, not retried, since retrying changes
 * nothing; a database error: the job fails and the runner retries it
 * with its backoff, and after the last attempt the run is recorded as
 * failed. A wait step sets the run `waiting` and queues its next job
 * after the delay.
 */
#include "atrium.h"

#include "auth/act_as.h"
#include "auth/perm.h"
#include "automation/automation_int.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/log.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/pipeline.h"

#define RUN_ATTEMPTS 8 /* the kind's max_attempts (automation.c) */

int auto_def_load(struct db_conn *c, int64_t org, int64_t id,
		  struct auto_def *d)
{
	memset(d, 0, sizeof *d);
	struct db_stmt *st = db_prepare(
		c, "SELECT name, trigger, conditions, actions, owner_id, "
		   "created_by, enabled FROM automation WHERE id = ? AND "
		   "org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	if (rc == 1) {
		d->id = id;
		d->org = org;
		d->name = xstrdup(db_col_text(st, 0));
		d->trigger = json_loads(db_col_text(st, 1), 0, NULL);
		d->conditions = db_col_null(st, 2)
					? json_object()
					: json_loads(db_col_text(st, 2), 0, NULL);
		d->actions = json_loads(db_col_text(st, 3), 0, NULL);
		d->owner = db_col_null(st, 4) ? db_col_int(st, 5)
					      : db_col_int(st, 4);
		d->enabled = db_col_int(st, 6) != 0;
	}
	db_reset(st);
	return rc;
}

void auto_def_free(struct auto_def *d)
{
	free((char *)d->name);
	json_decref(d->trigger);
	json_decref(d->conditions);
	json_decref(d->actions);
	memset(d, 0, sizeof *d);
}

int auto_principal(struct app *app, struct db_conn *c, const struct auto_def *d,
		   struct req *fr, struct atr_err *err)
{
	char as[80];
	snprintf(as, sizeof as, "automation '%.50s'", d->name);
	return req_act_as(fr, app, c, d->org, d->owner, as, "its owner", err);
}

void auto_principal_end(struct req *fr)
{
	req_act_as_end(fr);
}

/* ---- the run row ---------------------------------------------------------- */

struct run {
	int64_t id, org, aid, record_id, event_id;
	int depth, next_step;
	char status[16];
	char *entity;
	json_t *steps;
};

static void run_free(struct run *r)
{
	free(r->entity);
	json_decref(r->steps);
}

/* Loads run id (locked on PostgreSQL). 1, 0, -1. */
static int run_load(struct db_conn *c, int64_t id, struct run *r)
{
	memset(r, 0, sizeof *r);
	const char *sql = "SELECT org_id, automation_id, entity, record_id, "
			  "event_id, depth, next_step, status, steps FROM "
			  "automation_run WHERE id = ?";
	if (db_conn_dialect(c) == DB_PG)
		sql = "SELECT org_id, automation_id, entity, record_id, "
		      "event_id, depth, next_step, status, steps FROM "
		      "automation_run WHERE id = ? FOR UPDATE";
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	int rc = db_step(st);
	if (rc == 1) {
		r->id = id;
		r->org = db_col_int(st, 0);
		r->aid = db_col_int(st, 1);
		r->entity = db_col_null(st, 2) ? NULL : xstrdup(db_col_text(st, 2));
		r->record_id = db_col_int(st, 3);
		r->event_id = db_col_int(st, 4);
		r->depth = (int)db_col_int(st, 5);
		r->next_step = (int)db_col_int(st, 6);
		atr_strlcpy(r->status, db_col_text(st, 7), sizeof r->status);
		r->steps = json_loads(db_col_text(st, 8), 0, NULL);
		if (!json_is_array(r->steps)) {
			json_decref(r->steps);
			r->steps = json_array();
		}
	}
	db_reset(st);
	return rc;
}

/* Writes the run's progress: status, steps, next_step, error; ended
 * sets finished_at. 0 or -1. */
static int run_save(struct db_conn *c, const struct run *r, const char *status,
		    const char *error, bool ended)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	char *steps = json_dumps(r->steps, JSON_COMPACT);
	struct db_stmt *st = db_prepare(
		c, "UPDATE automation_run SET status = ?, steps = ?, next_step "
		   "= ?, error = ?, started_at = coalesce(started_at, ?), "
		   "finished_at = ? WHERE id = ?");
	int rc = -1;
	if (st) {
		db_bind_text(st, 1, status);
		db_bind_text(st, 2, steps);
		db_bind_int(st, 3, r->next_step);
		db_bind_text(st, 4, error);
		db_bind_text(st, 5, now);
		db_bind_text(st, 6, ended ? now : NULL);
		db_bind_int(st, 7, r->id);
		rc = db_step(st) < 0 ? -1 : 0;
		db_reset(st);
	}
	free(steps);
	return rc;
}

/* Stamps automation aid's last_run_at once a run ended, in a statement of
 * its own after the run's last transaction committed. Not in that
 * transaction: its actions took the activity chain's lock first, while
 * the event subscriber locks the automation row before it may write the
 * activity log (the pause), and on PostgreSQL the two orders deadlocked.
 * A later stamp never goes back in time. Best effort: a display value. */
static void last_run_stamp(struct db_conn *c, int64_t aid)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE automation SET last_run_at = ? WHERE id = ? AND "
		   "(last_run_at IS NULL OR last_run_at < ?)");
	if (!st)
		return;
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, aid);
	db_bind_text(st, 3, now);
	if (db_step(st) < 0)
		atr_log("automation %lld: cannot stamp last_run_at: %s",
			(long long)aid, db_errmsg(c));
	db_reset(st);
}

/* The record of the run as its owner sees it now: 1 (*out), 0 gone or
 * out of sight, -1 error. Staff members are read from their row. */
static int record_now(struct req *fr, const struct run *r, json_t **out)
{
	*out = NULL;
	if (!r->entity || r->record_id <= 0)
		return 0;
	if (!strcmp(r->entity, "staff")) {
		struct db_stmt *st = db_prepare(
			fr->db, "SELECT id, name, email, role_id, admin, active "
				"FROM staff WHERE id = ? AND org_id = ?");
		if (!st)
			return -1;
		db_bind_int(st, 1, r->record_id);
		db_bind_int(st, 2, r->org);
		int rc = db_step(st);
		if (rc == 1)
			*out = json_pack(
				"{s:I,s:s,s:s,s:o,s:b,s:b}", "id",
				(json_int_t)db_col_int(st, 0), "name",
				db_col_text(st, 1), "email", db_col_text(st, 2),
				"role_id",
				db_col_null(st, 3) ? json_null()
						   : json_integer(db_col_int(st, 3)),
				"admin", db_col_int(st, 4) != 0, "active",
				db_col_int(st, 5) != 0);
		db_reset(st);
		if (rc == 1 && perm_check(&fr->who, "staff", CAP_VIEW) ==
				       PERM_DENY) {
			json_decref(*out);
			*out = NULL;
			return 0;
		}
		return rc;
	}
	const struct entity *e = entity_find(r->entity);
	if (!e)
		return 0;
	int64_t own = fr->id;
	fr->id = r->record_id;
	int rc = entity_record_load(fr, e, false, out);
	fr->id = own;
	return rc;
}

/* The record before the change of the run's event (NULL when none, or
 * when deleted_only and the event is not a delete); new reference. */
static json_t *event_before(struct db_conn *c, const struct run *r,
			    bool deleted_only)
{
	if (r->event_id <= 0)
		return NULL;
	struct db_stmt *st = db_prepare(
		c, "SELECT payload, action FROM event WHERE id = ? AND org_id = ?");
	if (!st)
		return NULL;
	db_bind_int(st, 1, r->event_id);
	db_bind_int(st, 2, r->org);
	json_t *p = NULL;
	if (db_step(st) == 1 &&
	    (!deleted_only || !strcmp(db_col_text(st, 1), "deleted")))
		p = json_loads(db_col_text(st, 0), 0, NULL);
	db_reset(st);
	json_t *b = json_object_get(p, "before");
	b = json_is_object(b) ? json_incref(b) : NULL;
	json_decref(p);
	return b;
}

/* A deleted record as its `deleted` event held it, for the texts and
 * recipients of what follows a delete; only to an owner who sees every
 * record of its kind (what they could not see stays unseen). NULL
 * otherwise. */
static json_t *gone_record(struct req *fr, const struct run *r)
{
	const char *module = r->entity ? auto_module_of(r->entity) : NULL;
	if (!module || perm_view_scope(&fr->who, module) != PERM_ALL)
		return NULL;
	return event_before(fr->db, r, true);
}

/* Ends run r as failed with why, in a transaction of its own. */
static int run_fail(struct db_conn *c, struct run *r, int step,
		    const char *type, const char *why)
{
	if (step >= 0)
		json_array_append_new(r->steps,
				      json_pack("{s:i,s:s,s:s,s:s}", "step",
						step + 1, "type", type, "status",
						"failed", "error", why));
	if (db_begin(c) < 0)
		return -1;
	if (run_save(c, r, "failed", why, true) < 0) {
		db_rollback(c);
		return -1;
	}
	if (db_commit(c) < 0)
		return -1;
	last_run_stamp(c, r->aid);
	return 0;
}

int auto_run_job(struct job_ctx *j, struct atr_err *err)
{
	int64_t run_id = json_integer_value(json_object_get(j->payload, "run_id"));
	struct db_conn *c = db_acquire(j->app->db, err);
	if (!c)
		return JOB_FAILED;
	struct run r;
	struct auto_def d = {0};
	struct req fr = {0};
	bool have_fr = false;
	int outcome = JOB_FAILED;
	char cause[128];
	int rc = run_load(c, run_id, &r);
	if (rc <= 0) {
		if (rc == 0)
			outcome = JOB_OK; /* its automation was deleted */
		else
			atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
		goto out;
	}
	if (strcmp(r.status, "queued") && strcmp(r.status, "running") &&
	    strcmp(r.status, "waiting")) {
		outcome = JOB_OK; /* ended already (a second delivery) */
		goto out;
	}
	rc = auto_def_load(c, r.org, r.aid, &d);
	if (rc <= 0) {
		outcome = rc == 0 ? JOB_OK : JOB_FAILED;
		goto out;
	}
	struct atr_err why = {0};
	if (auto_principal(j->app, c, &d, &fr, &why) < 0) {
		have_fr = true;
		if (why.kind == ATR_E_INTERNAL)
			goto retry;
		outcome = run_fail(c, &r, -1, NULL, why.msg) < 0 ? JOB_FAILED
								  : JOB_OK;
		goto out;
	}
	have_fr = true;
	snprintf(cause, sizeof cause,
		 "{\"automation\":%lld,\"run\":%lld,\"depth\":%d}",
		 (long long)d.id, (long long)r.id, r.depth);
	json_t *before = event_before(c, &r, false);
	int nsteps = (int)json_array_size(d.actions);
	while (r.next_step < nsteps) {
		if (jobs_stopping()) {
			json_decref(before);
			outcome = JOB_ABORTED;
			goto out;
		}
		int i = r.next_step;
		const json_t *a = json_array_get(d.actions, (size_t)i);
		const char *type = json_string_value(json_object_get(a, "type"));
		int64_t t0 = atr_mono_ms();
		if (db_begin(c) < 0)
			break;
		if (!strcmp(type ? type : "", "wait")) {
			int64_t min = json_integer_value(json_object_get(a, "minutes"));
			char until[ATR_TIME_LEN];
			atr_time_iso(jobs_now_ms() + min * 60000, until);
			json_array_append_new(
				r.steps, json_pack("{s:i,s:s,s:s,s:s}", "step",
						   i + 1, "type", "wait", "status",
						   "done", "until", until));
			r.next_step = i + 1;
			json_t *p = json_pack("{s:I}", "run_id", (json_int_t)r.id);
			int e = job_enqueue(c, &(struct job_new){
						       .kind = "automation",
						       .org_id = r.org,
						       .payload = p,
						       .delay_ms = min * 60000},
					    NULL, err);
			json_decref(p);
			if (e < 0 || run_save(c, &r, "waiting", NULL, false) < 0 ||
			    db_commit(c) < 0) {
				db_rollback(c);
				break;
			}
			json_decref(before);
			outcome = JOB_OK;
			goto out;
		}
		json_t *rec = NULL;
		int seen = record_now(&fr, &r, &rec);
		if (seen < 0) {
			db_rollback(c);
			break;
		}
		if (!seen)
			rec = gone_record(&fr, &r);
		struct auto_step_in in = {
			.r = &fr, .d = &d, .run_id = r.id, .step = i,
			.entity = r.entity, .record_id = r.record_id,
			.record = rec,
		};
		in.data = auto_merge_data(c, &d, r.entity, rec, before);
		/* Earlier steps' outputs: {{steps.1.task_id}}. */
		json_t *so = json_object_get(in.data, "steps");
		size_t k;
		json_t *s;
		json_array_foreach(r.steps, k, s)
		{
			char key[16];
			snprintf(key, sizeof key, "%lld",
				 (long long)json_integer_value(json_object_get(s, "step")));
			json_t *o = json_object_get(s, "output");
			if (o)
				json_object_set(so, key, o);
		}
		json_t *out = NULL;
		struct atr_err aerr = {0};
		outbox_cause(cause);
		rc = auto_action(&in, a, &out, &aerr);
		outbox_cause(NULL);
		json_decref(in.record);
		json_decref(in.data);
		int64_t ms = atr_mono_ms() - t0;
		if (rc == 0) {
			json_array_append_new(
				r.steps, json_pack("{s:i,s:s,s:s,s:o,s:I}",
						   "step", i + 1, "type", type,
						   "status", "done", "output",
						   out ? out : json_object(),
						   "ms", (json_int_t)ms));
			r.next_step = i + 1;
			bool last = r.next_step >= nsteps;
			if (run_save(c, &r, last ? "done" : "running", NULL,
				     last) < 0 ||
			    db_commit(c) < 0) {
				db_rollback(c);
				/* The step's effect rolled back with it. */
				json_array_remove(r.steps,
						  json_array_size(r.steps) - 1);
				r.next_step = i;
				break;
			}
			continue;
		}
		db_rollback(c);
		atr_err_clear(&fr.err);
		if (rc == -2) {
			atr_fail(err, ATR_E_INTERNAL, "step %d: %s", i + 1,
				 aerr.msg[0] ? aerr.msg : db_errmsg(c));
			json_decref(before);
			goto retry;
		}
		json_decref(before);
		outcome = run_fail(c, &r, i, type, aerr.msg) < 0 ? JOB_FAILED
								 : JOB_OK;
		goto out;
	}
	json_decref(before);
	if (r.next_step >= nsteps) {
		last_run_stamp(c, r.aid);
		outcome = JOB_OK;
		goto out;
	}
	atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
retry:
	/* A database error: retried by the runner; after the last attempt
	 * the run says why it ended. */
	if (j->attempt >= RUN_ATTEMPTS && run_fail(c, &r, -1, NULL, err->msg) == 0)
		outcome = JOB_OK;
	else
		outcome = JOB_FAILED;
out:
	if (have_fr)
		auto_principal_end(&fr);
	auto_def_free(&d);
	if (rc >= 0 || r.id)
		run_free(&r);
	db_release(c);
	return outcome;
}
