/* record_retention_job.c — a record retention rule's run: the job of kind
 * retention_rule (queued by the daily task or "run now",
 * record_retention_run.c).
 *
 * The job acts as the organisation (every record, whatever the member's
 * scope; actor "retention rule #N"), with the cutoff fixed when the run
 * was queued, and works in batches of RR_BATCH records in id order: each
 * batch is one transaction holding the records' removals (each with its
 * activity row, and for deletes its event), the run's counts and the
 * last id reached. A run that dies (a node killed, a failure mid-batch)
 * loses that batch only: the job runs again (or the next run starts)
 * after the last committed batch, and nothing is removed twice. A record
 * that others refer to is refused (its savepoint rolled back), named in
 * the run with its reason, and the batch goes on. At most max_per_run
 * records are handled per run; the rest wait for the next day's run.
 */
#include "atrium.h"

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

/* ---- the run -------------------------------------------------------------------------- */

struct run {
	int64_t id, org, rule_id;
	char status[12], cutoff[ATR_TIME_LEN];
	int64_t removed, refused, last_id;
	json_t *refusals;
};

static int run_load(struct db_conn *c, int64_t org, int64_t id, struct run *u)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT rule_id, status, cutoff, removed, refused, last_id, "
		   "refusals FROM retention_run WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	if (rc == 1) {
		u->id = id;
		u->org = org;
		u->rule_id = db_col_int(st, 0);
		atr_strlcpy(u->status, db_col_text(st, 1), sizeof u->status);
		atr_strlcpy(u->cutoff, db_col_text(st, 2), sizeof u->cutoff);
		u->removed = db_col_int(st, 3);
		u->refused = db_col_int(st, 4);
		u->last_id = db_col_int(st, 5);
		u->refusals = db_col_null(st, 6)
				      ? NULL
				      : json_loads(db_col_text(st, 6), 0, NULL);
	}
	db_reset(st);
	if (!u->refusals)
		u->refusals = json_array();
	return rc;
}

/* Stores the run's progress (in the open transaction). */
static int run_store(struct db_conn *c, const struct run *u,
		     const char *status, const char *started,
		     const char *finished, const char *error)
{
	char *ref = json_dumps(u->refusals, JSON_COMPACT);
	struct db_stmt *st = db_prepare(
		c, "UPDATE retention_run SET status = ?, removed = ?, refused = "
		   "?, last_id = ?, refusals = ?, started_at = coalesce("
		   "started_at, ?), finished_at = ?, error = ? WHERE id = ? AND "
		   "org_id = ?");
	int rc = -1;
	if (st) {
		db_bind_text(st, 1, status);
		db_bind_int(st, 2, u->removed);
		db_bind_int(st, 3, u->refused);
		db_bind_int(st, 4, u->last_id);
		db_bind_text(st, 5, ref);
		if (started)
			db_bind_text(st, 6, started);
		else
			db_bind_null(st, 6);
		if (finished)
			db_bind_text(st, 7, finished);
		else
			db_bind_null(st, 7);
		if (error)
			db_bind_text(st, 8, error);
		else
			db_bind_null(st, 8);
		db_bind_int(st, 9, u->id);
		db_bind_int(st, 10, u->org);
		rc = db_step(st) < 0 ? -1 : 0;
		db_reset(st);
	}
	free(ref);
	return rc;
}

/* Ends the run: its state, the rule's last_run_at and the activity row,
 * in one transaction. 0 or -1. */
static int run_finish(struct db_conn *c, struct run *u, const char *status,
		      const char *error)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (db_begin(c) < 0)
		return -1;
	int rc = run_store(c, u, status, now, now, error);
	struct db_stmt *st = rc == 0 ? db_prepare(
		c, "UPDATE retention_rule SET last_run_at = (SELECT started_at "
		   "FROM retention_run WHERE id = ?) WHERE id = ? AND org_id = ?")
				     : NULL;
	if (st) {
		db_bind_int(st, 1, u->id);
		db_bind_int(st, 2, u->rule_id);
		db_bind_int(st, 3, u->org);
		rc = db_step(st) < 0 ? -1 : 0;
		db_reset(st);
	} else {
		rc = -1;
	}
	if (rc == 0) {
		char actor[64];
		snprintf(actor, sizeof actor, "retention rule #%lld",
			 (long long)u->rule_id);
		json_t *diff = json_pack("{s:I,s:s,s:I,s:I,s:s?}", "run",
					 (json_int_t)u->id, "status", status,
					 "removed", (json_int_t)u->removed,
					 "refused", (json_int_t)u->refused,
					 "error", error);
		struct activity a = {.org_id = u->org,
				     .actor_name = actor,
				     .action = "run_finished",
				     .entity = "retention_rule",
				     .entity_id = u->rule_id,
				     .diff = diff,
				     .request_id = ""};
		rc = activity_record(c, &a);
		json_decref(diff);
	}
	if (rc < 0 || db_commit(c) < 0) {
		db_rollback(c);
		return -1;
	}
	return 0;
}

/* "invoices" — which entities refer to record id of e (after the refused
 * delete's savepoint was rolled back). */
static const char *referrers(struct req *r, const struct entity *e, int64_t id)
{
	for (int i = 0; i < entity_count(); i++) {
		const struct entity *t = entity_at(i);
		for (int k = 0; k < t->schema.nfields; k++) {
			const struct field *f = &t->schema.fields[k];
			if (f->type != FT_REF || strcmp(f->ref, e->name))
				continue;
			struct db_stmt *st = db_prepare(
				r->db, arena_printf(r->arena,
						    "SELECT 1 FROM %s WHERE %s = ? "
						    "AND org_id = ? LIMIT 1",
						    t->name, f->name));
			if (!st)
				continue;
			db_bind_int(st, 1, id);
			db_bind_int(st, 2, r->who.org_id);
			int rc = db_step(st);
			db_reset(st);
			if (rc == 1)
				return t->plural;
		}
	}
	return "other records";
}

static void refusal_add(struct req *r, const struct entity *e, struct run *u,
			int64_t id, const char *reason)
{
	u->refused++;
	if (json_array_size(u->refusals) >= RR_REFUSALS_KEPT)
		return;
	const char *title = NULL;
	struct db_stmt *st = db_prepare(
		r->db, arena_printf(r->arena,
				    "SELECT %s FROM %s WHERE id = ? AND org_id = ?",
				    e->title_field, e->name));
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, r->who.org_id);
		if (db_step(st) == 1 && !db_col_null(st, 0))
			title = arena_strdup(r->arena, db_col_text(st, 0));
		db_reset(st);
	}
	json_array_append_new(u->refusals,
			      json_pack("{s:I,s:s?,s:s}", "id", (json_int_t)id,
					"title", title, "reason", reason));
}

/* The organisation as a request context: every record, actor "retention
 * rule #N" (no member: the mass-deletion signal is about members). */
static void principal(struct req *fr, struct app *app, struct db_conn *c,
		      int64_t org, int64_t rule)
{
	memset(fr, 0, sizeof *fr);
	fr->app = app;
	fr->arena = arena_new();
	fr->db = c;
	fr->who.org_id = org;
	fr->who.admin = true;
	fr->authed = true;
	fr->method = HTTP_DELETE;
	snprintf(fr->who.name, sizeof fr->who.name, "retention rule #%lld",
		 (long long)rule);
}

/* Drops what the selection answered (a run needs its ids only). */
static void answer_drop(struct req *fr)
{
	json_decref(fr->out);
	fr->out = NULL;
	free(fr->raw_owned);
	fr->raw_owned = NULL;
	fr->raw = NULL;
	fr->raw_len = 0;
	fr->nhdr = 0;
}

/* One record: removed 1, refused or gone 0 (its savepoint rolled back),
 * -1 a failure of the batch. */
static int one(struct req *fr, const struct rr_rule *ru, struct run *u,
	       int64_t id, const json_t *cause)
{
	struct db_conn *c = fr->db;
	if (db_exec(c, "SAVEPOINT rr_record") < 0)
		return -1;
	atr_err_clear(&fr->err);
	int rc;
	if (ru->anonymise) {
		rc = gdpr_erase_record(fr, ru->e, id, cause);
	} else {
		json_t *gone = NULL;
		rc = entity_record_delete(fr, ru->e, id, &gone);
		json_decref(gone);
	}
	if (rc == 0)
		return db_exec(c, "RELEASE SAVEPOINT rr_record") < 0 ? -1 : 1;
	bool fk = db_err_fk(c);
	enum atr_ekind kind = fr->err.kind;
	char msg[256];
	atr_strlcpy(msg, fr->err.msg, sizeof msg);
	if (!fk && kind != ATR_E_NOT_FOUND && kind != ATR_E_CONFLICT &&
	    kind != ATR_E_FORBIDDEN && kind != ATR_E_INVALID)
		return -1;
	if (db_exec(c, "ROLLBACK TO SAVEPOINT rr_record") < 0 ||
	    db_exec(c, "RELEASE SAVEPOINT rr_record") < 0)
		return -1;
	atr_err_clear(&fr->err);
	if (kind == ATR_E_NOT_FOUND && !fk)
		return 0; /* removed meanwhile */
	const char *reason =
		fk ? arena_printf(fr->arena, "%s refer to it",
				  referrers(fr, ru->e, id))
		   : arena_strdup(fr->arena, msg);
	refusal_add(fr, ru->e, u, id, reason);
	return 0;
}

int rr_job(struct job_ctx *j, struct atr_err *err)
{
	int64_t run_id = json_integer_value(json_object_get(j->payload, "run_id"));
	struct db_conn *c = db_acquire(j->app->db, err);
	if (!c)
		return JOB_FAILED;
	struct run u = {0};
	struct req fr;
	bool have_fr = false, lite = db_conn_dialect(c) == DB_SQLITE,
	     secure = false;
	int64_t erased = 0;
	int out = JOB_FAILED;
	int rc = run_load(c, j->org_id, run_id, &u);
	if (rc <= 0) {
		out = rc == 0 ? JOB_OK : JOB_FAILED; /* its rule was deleted */
		if (rc < 0)
			atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
		goto done;
	}
	if (strcmp(u.status, "queued") && strcmp(u.status, "running")) {
		out = JOB_OK; /* a second delivery */
		goto done;
	}
	principal(&fr, j->app, c, j->org_id, u.rule_id);
	have_fr = true;
	struct rr_rule ru;
	rc = rr_rule_load(&fr, u.rule_id, &ru);
	if (rc <= 0) {
		out = rc == 0 ? JOB_OK : JOB_FAILED;
		goto done;
	}
	if (!rr_entity_offered(ru.e)) {
		out = run_finish(c, &u, "failed",
				 "the rule names records no rule may remove") < 0
			      ? JOB_FAILED
			      : JOB_OK;
		goto done;
	}
	if (lite && ru.anonymise) {
		if (db_exec(c, "PRAGMA secure_delete = ON") < 0)
			goto done;
		secure = true;
	}
	json_t *cause = json_pack("{s:I,s:I}", "retention_rule",
				  (json_int_t)u.rule_id, "retention_run",
				  (json_int_t)u.id);
	char now[ATR_TIME_LEN];
	const char *error = NULL;
	bool stopped = false;
	for (;;) {
		int64_t want = ru.max_per_run - (u.removed + u.refused);
		if (want <= 0)
			break;
		if (jobs_stopping()) {
			stopped = true;
			break;
		}
		if (want > RR_BATCH)
			want = RR_BATCH;
		int64_t ids[RR_BATCH];
		int n = 0;
		if (db_begin(c) < 0) {
			error = "the database refused a transaction";
			break;
		}
		atr_err_clear(&fr.err);
		const char *params = arena_printf(fr.arena, "limit=%lld&sort=id",
						  (long long)want);
		rc = rr_select(&fr, &ru, u.cutoff, params, u.last_id, false, ids,
			       &n);
		answer_drop(&fr);
		if (rc < 0) {
			db_rollback(c);
			error = arena_strdup(fr.arena, fr.err.msg[0]
							       ? fr.err.msg
							       : db_errmsg(c));
			break;
		}
		int64_t before_removed = u.removed, before_refused = u.refused,
			before_last = u.last_id;
		size_t before_kept = json_array_size(u.refusals);
		for (int i = 0; i < n && rc >= 0; i++) {
			rc = one(&fr, &ru, &u, ids[i], cause);
			if (rc == 1)
				u.removed++;
			if (rc >= 0)
				u.last_id = ids[i];
		}
		atr_now_iso(now);
		if (rc >= 0)
			rc = run_store(c, &u, "running", now, NULL, NULL);
		if (rc < 0 || db_commit(c) < 0) {
			error = arena_strdup(fr.arena, fr.err.msg[0]
							       ? fr.err.msg
							       : db_errmsg(c));
			db_rollback(c);
			/* The batch is undone: so are its counts. */
			u.removed = before_removed;
			u.refused = before_refused;
			u.last_id = before_last;
			while (json_array_size(u.refusals) > before_kept)
				json_array_remove(u.refusals,
						  json_array_size(u.refusals) - 1);
			break;
		}
		if (ru.anonymise)
			erased += u.removed - before_removed;
		if (n < want)
			break; /* nothing more matches */
	}
	json_decref(cause);
	if (stopped) {
		out = JOB_ABORTED; /* the run stays open: the job continues it */
		goto done;
	}
	if (error)
		atr_log("retention: run %lld of rule %lld failed after %lld "
			"removed: %s",
			(long long)u.id, (long long)u.rule_id,
			(long long)u.removed, error);
	out = run_finish(c, &u, error ? "failed" : "done", error) < 0
		      ? JOB_FAILED
		      : JOB_OK;
	if (out == JOB_FAILED)
		atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
done:
	if (secure) {
		if (erased && gdpr_erase_wipe(c) < 0)
			atr_log("retention: vacuum after run %lld failed: %s",
				(long long)u.id, db_errmsg(c));
		db_exec(c, "PRAGMA secure_delete = OFF");
	}
	json_decref(u.refusals);
	if (have_fr) {
		fr.db = NULL;
		req_free(&fr);
	}
	db_release(c);
	return out;
}
