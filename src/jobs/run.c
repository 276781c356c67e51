/* run.c — running one claimed job: the attempt limit, the handler, the
 * outcome (done, retry after a backoff, blocked, put back).
 *
 * attempts counts claims, so a job whose handler kills the process every
 * time (a lease that runs out, again and again) is claimed past its limit
 * and blocked without running, instead of killing node after node. */
#include "atrium.h"

#include <sodium.h>
#include <unistd.h>

#include "core/app.h"
#include "db/db.h"
#include "jobs/jobs_int.h"

void jobs_owner_name(char out[JOB_OWNER_LEN])
{
	char host[48] = "";
	if (gethostname(host, sizeof host - 1) != 0)
		atr_strlcpy(host, "host", sizeof host);
	host[sizeof host - 1] = 0;
	unsigned char r[3];
	randombytes_buf(r, sizeof r);
	snprintf(out, JOB_OWNER_LEN, "%s:%ld:%02x%02x%02x", host,
		 (long)getpid(), r[0], r[1], r[2]);
}

static int64_t attempt_limit(const struct job_kind *k, struct db_conn *c,
			     int64_t org)
{
	int64_t n = k->attempt_limit ? k->attempt_limit(c, org) : 0;
	return n > 0 ? n : k->max_attempts;
}

/* Records the end of a run and logs what an operator must know. */
static void record(struct app *app, const struct jobs_registry *reg,
		   const char *owner, const struct job_claimed *j, int rc,
		   const char *msg)
{
	const struct job_kind *k = &reg->kinds[j->kind];
	/* The outcome counts before the job's end is written: whoever sees
	 * the job done (a test polling its status) sees it counted. */
	if (rc == JOB_OK)
		atomic_fetch_add(&reg->ok[j->kind], 1);
	else if (rc != JOB_ABORTED)
		atomic_fetch_add(&reg->failed[j->kind], 1);
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c) {
		fprintf(stderr, "jobs: cannot record job %lld (%s): %s\n",
			(long long)j->id, k->name, err.msg);
		return;
	}
	int64_t now = jobs_now_ms(), limit = attempt_limit(k, c, j->org_id);
	enum job_end how = rc == JOB_OK		 ? JE_DONE
			   : rc == JOB_ABORTED	 ? JE_PUT_BACK
			   : j->attempts >= limit ? JE_BLOCKED
						  : JE_RETRY;
	int64_t next = 0;
	if (how == JE_RETRY)
		next = now + job_backoff_capped_ms(
				     k->backoff_base ? k->backoff_base(app)
						     : k->backoff_base_ms,
				     k->backoff_cap_ms, j->attempts);
	int w = job_end(c, j->id, owner, how, msg, now, next);
	if (w < 0)
		fprintf(stderr, "jobs: cannot record job %lld (%s): %s\n",
			(long long)j->id, k->name, db_errmsg(c));
	else if (w == 0)
		fprintf(stderr, "jobs: job %lld (%s) outlived its lease; "
				"another node took it\n",
			(long long)j->id, k->name);
	else if (how == JE_BLOCKED)
		fprintf(stderr, "jobs: job %lld (%s) blocked after %lld "
				"attempts: %s\n",
			(long long)j->id, k->name, (long long)j->attempts, msg);
	db_release(c);
}

/* Runs claimed job j on this thread; returns its outcome. j stays the
 * caller's (job_claimed_free). */
int jobs_run_one(struct app *app, const struct jobs_registry *reg,
		 const char *owner, struct job_claimed *j)
{
	const struct job_kind *k = &reg->kinds[j->kind];
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c) {
		/* The lease will run out and the job be claimed again. */
		fprintf(stderr, "jobs: job %lld (%s): %s\n", (long long)j->id,
			k->name, err.msg);
		return JOB_FAILED;
	}
	int64_t limit = attempt_limit(k, c, j->org_id);
	db_release(c);
	if (j->attempts > limit) {
		char msg[160];
		snprintf(msg, sizeof msg,
			 "gave up: %lld attempts did not finish (the node "
			 "running it stopped, or it ran past its lease)",
			 (long long)j->attempts - 1);
		record(app, reg, owner, j, JOB_FAILED, msg);
		return JOB_FAILED;
	}
	json_t *payload = json_loads(j->payload, 0, NULL);
	if (!json_is_object(payload)) {
		json_decref(payload);
		payload = json_object();
	}
	j->payload_json = payload; /* freed with j */
	struct job_ctx ctx = {
		.app = app,
		.id = j->id,
		.org_id = j->org_id,
		.attempt = j->attempts,
		.kind = k->name,
		.arg = k->arg,
		.payload = payload,
		.created_at = j->created_at,
	};
	int rc = k->run(&ctx, &err);
	if (rc != JOB_OK && rc != JOB_ABORTED) {
		rc = JOB_FAILED;
		if (!err.msg[0])
			atr_strlcpy(err.msg, "the handler failed",
				    sizeof err.msg);
	}
	record(app, reg, owner, j, rc, rc == JOB_FAILED ? err.msg : NULL);
	return rc;
}

void jobs_thread_died(struct app *app, const struct jobs_registry *reg,
		      const char *owner, const struct job_claimed *j)
{
	fprintf(stderr, "jobs: job %lld (%s): the handler's thread exited; "
			"the job is retried\n",
		(long long)j->id, reg->kinds[j->kind].name);
	record(app, reg, owner, j, JOB_FAILED,
	       "the handler's thread exited before it finished");
}

#define RUN_BATCH 8

/* Claims and runs due jobs here until none is due or max ran; how
 * many, or -1. */
int jobs_run_due(struct app *app, const struct jobs_registry *reg,
		 const char *owner, int max)
{
	int ran = 0;
	bool rescue = true;
	while (ran < max) {
		struct atr_err err = {0};
		struct db_conn *c = db_acquire(app->db, &err);
		if (!c)
			return -1;
		int64_t now = jobs_now_ms();
		if (dispatch_fanout(c, reg, now, 100) < 0) {
			db_release(c);
			return -1;
		}
		struct job_claimed batch[RUN_BATCH];
		int want = max - ran < RUN_BATCH ? max - ran : RUN_BATCH;
		int n = job_claim(c, reg, owner, now, rescue, want, batch);
		db_release(c);
		if (n < 0)
			return -1;
		if (n == 0 && !rescue)
			break;
		rescue = false;
		for (int i = 0; i < n; i++) {
			jobs_run_one(app, reg, owner, &batch[i]);
			job_claimed_free(&batch[i]);
			ran++;
		}
	}
	return ran;
}
