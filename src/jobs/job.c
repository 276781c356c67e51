/* job.c — the job table: enqueue, claim, end, retry, depth. SQL only; the
 * threads are runner.c's, the decisions run.c's.
 *
 * Claiming is one UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING:
 * on PostgreSQL the inner SELECT is FOR UPDATE SKIP LOCKED, so nodes never
 * claim the same row and never wait for each other; on SQLite the writer
 * is serialised (db_group.c's writer turn, BEGIN IMMEDIATE), which makes the same
 * statement atomic. attempts counts claims (see run.c). */
#include "atrium.h"

#include <sodium.h>

#include "db/db.h"
#include "jobs/jobs_int.h"

static const char *const status_names[JS_N] = {
	[JS_QUEUED] = "queued",
	[JS_RUNNING] = "running",
	[JS_DONE] = "done",
	[JS_BLOCKED] = "blocked",
};

const char *job_status_name(int s)
{
	return s >= 0 && s < JS_N ? status_names[s] : NULL;
}

int job_status_parse(const char *s)
{
	for (int i = 0; s && i < JS_N; i++)
		if (!strcmp(s, status_names[i]))
			return i;
	return -1;
}

/* Inserts a queued job in the caller's transaction; 0 or -1 with err. */
int job_enqueue(struct db_conn *c, const struct job_new *j, int64_t *id,
		struct atr_err *err)
{
	ATR_ASSERT(db_in_tx(c));
	char *payload = j->payload ? json_dumps(j->payload, JSON_COMPACT)
				   : xstrdup("{}");
	if (!payload)
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot queue a %s job: bad payload", j->kind);
	int64_t now = jobs_now_ms();
	char t_now[ATR_TIME_LEN], t_run[ATR_TIME_LEN];
	atr_time_iso(now, t_now);
	atr_time_iso(now + (j->delay_ms > 0 ? j->delay_ms : 0), t_run);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO job (org_id, kind, payload, status, attempts, "
		   "run_at, scheduled_at, order_key, order_seq, created_at) "
		   "VALUES (?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?) RETURNING id");
	int rc = -1;
	if (!st)
		goto out;
	db_bind_int(st, 1, j->org_id);
	db_bind_text(st, 2, j->kind);
	db_bind_text(st, 3, payload);
	db_bind_text(st, 4, t_run);
	db_bind_text(st, 5, t_now);
	db_bind_text(st, 6, j->order_key);
	db_bind_opt_int(st, 7, j->order_key != NULL, j->order_seq);
	db_bind_text(st, 8, t_now);
	if (db_step(st) == 1) {
		if (id)
			*id = db_col_int(st, 0);
		rc = 0;
	}
	db_reset(st);
out:
	if (rc < 0)
		atr_fail(err, ATR_E_INTERNAL, "cannot queue a %s job: %s",
			 j->kind, db_errmsg(c));
	free(payload);
	return rc;
}

void job_claimed_free(struct job_claimed *j)
{
	free(j->payload);
	free(j->created_at);
	json_decref(j->payload_json);
	memset(j, 0, sizeof *j);
}

/* Claims up to max jobs in one transaction; how many (out[] owned by
 * the caller, job_claimed_free), or -1. */
int job_claim(struct db_conn *c, const struct jobs_registry *reg,
	      const char *owner, int64_t now, bool rescue, int max,
	      struct job_claimed *out)
{
	if (reg->n == 0 || max <= 0)
		return 0;
	char t_now[ATR_TIME_LEN];
	atr_time_iso(now, t_now);
	char(*lease)[ATR_TIME_LEN] = xcalloc((size_t)reg->n, sizeof *lease);
	for (int i = 0; i < reg->n; i++)
		atr_time_iso(now + reg->kinds[i].lease_ms, lease[i]);
	int n = 0, rc = -1;
	if (db_begin(c) < 0)
		goto out;
	bool pg = db_conn_dialect(c) == DB_PG;
	/* A queue that just grew has no statistics yet; the planner then
	 * picks a bitmap scan and sorts every queued row per claim (12 ms at
	 * 20,000). The index (status, run_at, id) read in order takes the
	 * first rows (0.4 ms). */
	if (pg && db_exec(c, "SET LOCAL enable_bitmapscan = off") < 0)
		goto out;
	struct db_stmt *st = db_prepare(c, reg->claim_sql[rescue][pg]);
	if (!st)
		goto out;
	int p = 1;
	db_bind_text(st, p++, owner);
	for (int i = 0; i < reg->n; i++)
		db_bind_text(st, p++, lease[i]);
	db_bind_text(st, p++, t_now);
	db_bind_text(st, p++, t_now);
	if (rescue) {
		db_bind_text(st, p++, owner);
		db_bind_text(st, p++, t_now);
	}
	db_bind_int(st, p++, max);
	while ((rc = db_step(st)) == 1) {
		if (n >= max)
			continue; /* cannot happen: LIMIT max */
		struct job_claimed *j = &out[n++];
		memset(j, 0, sizeof *j);
		j->id = db_col_int(st, 0);
		j->kind = jobs_kind_index(reg, db_col_text(st, 1));
		j->org_id = db_col_int(st, 2);
		j->attempts = db_col_int(st, 3);
		j->payload = xstrdup(db_col_text(st, 4));
		j->created_at = xstrdup(db_col_text(st, 5));
	}
	db_reset(st);
	if (rc == 0 && db_commit(c) == 0)
		goto out;
	rc = -1;
out:
	free(lease);
	if (rc < 0) {
		db_rollback(c);
		for (int i = 0; i < n; i++)
			job_claimed_free(&out[i]);
		return -1;
	}
	return n;
}

/* Writes how a claimed job ended, if owner still holds it: 1, 0 (lease
 * lost), -1. */
int job_end(struct db_conn *c, int64_t id, const char *owner,
	    enum job_end how, const char *error, int64_t now, int64_t next_ms)
{
	static const char *const sql[] = {
		[JE_DONE] = "UPDATE job SET status = 'done', finished_at = ?, "
			    "last_error = NULL, lease_owner = NULL, "
			    "lease_until = NULL WHERE id = ? AND status = "
			    "'running' AND lease_owner = ? RETURNING id",
		[JE_RETRY] = "UPDATE job SET status = 'queued', run_at = ?, "
			     "scheduled_at = ?, last_error = ?, lease_owner = "
			     "NULL, lease_until = NULL WHERE id = ? AND status "
			     "= 'running' AND lease_owner = ? RETURNING id",
		[JE_BLOCKED] = "UPDATE job SET status = 'blocked', finished_at "
			       "= ?, last_error = ?, lease_owner = NULL, "
			       "lease_until = NULL WHERE id = ? AND status = "
			       "'running' AND lease_owner = ? RETURNING id",
		/* Not an attempt: the claim is undone. */
		[JE_PUT_BACK] = "UPDATE job SET status = 'queued', attempts = "
				"CASE WHEN attempts > 0 THEN attempts - 1 ELSE "
				"0 END, lease_owner = NULL, lease_until = NULL "
				"WHERE id = ? AND status = 'running' AND "
				"lease_owner = ? RETURNING id",
	};
	char t_now[ATR_TIME_LEN], t_next[ATR_TIME_LEN];
	atr_time_iso(now, t_now);
	atr_time_iso(next_ms, t_next);
	char msg[JOB_ERROR_MAX + 1];
	atr_strlcpy(msg, error ? error : "", sizeof msg);
	if (db_begin(c) < 0)
		return -1;
	struct db_stmt *st = db_prepare(c, sql[how]);
	if (!st) {
		db_rollback(c);
		return -1;
	}
	int p = 1;
	switch (how) {
	case JE_DONE:
		db_bind_text(st, p++, t_now);
		break;
	case JE_RETRY:
		db_bind_text(st, p++, t_next);
		db_bind_text(st, p++, t_now);
		db_bind_text(st, p++, msg);
		break;
	case JE_BLOCKED:
		db_bind_text(st, p++, t_now);
		db_bind_text(st, p++, msg);
		break;
	case JE_PUT_BACK:
		break;
	}
	db_bind_int(st, p++, id);
	db_bind_text(st, p++, owner);
	/* RETURNING: a row means the lease was still ours. */
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 || db_commit(c) < 0) {
		db_rollback(c);
		return -1;
	}
	return rc;
}

/* Full-jitter exponential backoff in ms (random; cap 1 h). */
int64_t job_backoff_ms(int64_t base, int64_t attempt)
{
	return job_backoff_capped_ms(base, 0, attempt);
}

int64_t job_backoff_capped_ms(int64_t base, int64_t cap, int64_t attempt)
{
	if (cap <= 0)
		cap = JOB_BACKOFF_CAP_MS;
	int64_t ceil = base > 0 ? base : JOB_DEFAULT_BACKOFF_MS;
	for (int64_t i = 1; i < attempt && ceil < cap; i++)
		ceil *= 2;
	if (ceil > cap)
		ceil = cap;
	/* randombytes_uniform takes 32 bits: past 49 days, scale. */
	if (ceil >= (int64_t)UINT32_MAX)
		return (int64_t)randombytes_uniform(UINT32_MAX) *
		       (ceil / UINT32_MAX);
	return (int64_t)randombytes_uniform((uint32_t)ceil + 1);
}

int job_retry_blocked(struct db_conn *c, int64_t org, int64_t id)
{
	json_t *ids = json_array();
	int rc = job_retry(c, org, id, NULL, jobs_now_ms(), ids);
	size_t n = json_array_size(ids);
	json_decref(ids);
	return rc < 0 ? -1 : n > 0;
}

/* Requeues blocked jobs of org (one, of a kind, or all); appends ids. */
int job_retry(struct db_conn *c, int64_t org, int64_t id, const char *kind,
	      int64_t now, json_t *ids)
{
	ATR_ASSERT(db_in_tx(c));
	char t_now[ATR_TIME_LEN];
	atr_time_iso(now, t_now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE job SET status = 'queued', attempts = 0, run_at = ?, "
		   "scheduled_at = ?, finished_at = NULL WHERE org_id = ? AND "
		   "status = 'blocked' AND (? = 0 OR id = ?) AND "
		   "(CAST(? AS TEXT) IS NULL OR kind = ?) RETURNING id");
	if (!st)
		return -1;
	db_bind_text(st, 1, t_now);
	db_bind_text(st, 2, t_now);
	db_bind_int(st, 3, org);
	db_bind_int(st, 4, id);
	db_bind_int(st, 5, id);
	db_bind_text(st, 6, kind);
	db_bind_text(st, 7, kind);
	int rc;
	while ((rc = db_step(st)) == 1)
		json_array_append_new(ids, json_integer(db_col_int(st, 0)));
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Counts by kind and status into out (caller's array); rows or -1. */
int job_depth(struct db_conn *c, int64_t org, struct jobs_depth *out,
	      int max)
{
	/* All organisations (metrics): the unfinished jobs only, read
	 * through the status index; done jobs are not a depth. */
	struct db_stmt *st =
		org ? db_prepare(c, "SELECT kind, status, COUNT(*), MIN(CASE "
				    "WHEN status IN ('queued', 'running') THEN "
				    "created_at END) FROM job WHERE org_id = ? "
				    "GROUP BY kind, status ORDER BY kind")
		    : db_prepare(c, "SELECT kind, status, COUNT(*), MIN(CASE "
				    "WHEN status IN ('queued', 'running') THEN "
				    "created_at END) FROM job WHERE status IN "
				    "('queued', 'running', 'blocked') GROUP BY "
				    "kind, status ORDER BY kind");
	if (!st)
		return -1;
	if (org)
		db_bind_int(st, 1, org);
	int n = 0, rc;
	while ((rc = db_step(st)) == 1) {
		const char *kind = db_col_text(st, 0);
		int s = job_status_parse(db_col_text(st, 1));
		if (s < 0)
			continue;
		int k = n - 1;
		if (k < 0 || strcmp(out[k].kind, kind) != 0) {
			if (n == max)
				continue;
			k = n++;
			memset(&out[k], 0, sizeof out[k]);
			atr_strlcpy(out[k].kind, kind, sizeof out[k].kind);
		}
		out[k].n[s] = db_col_int(st, 2);
		if (!db_col_null(st, 3)) {
			int64_t t = atr_iso_ms(db_col_text(st, 3));
			if (t && (!out[k].oldest_ms || t < out[k].oldest_ms))
				out[k].oldest_ms = t;
		}
	}
	db_reset(st);
	return rc < 0 ? -1 : n;
}
