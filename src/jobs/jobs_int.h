/* jobs_int.h — what the files of src/jobs/ share (other modules include
 * jobs/jobs.h only).
 *
 *   registry.c   the kinds of a module table (job_kinds + one per
 *                subscriber) and the claim statements built from them
 *   job.c        enqueue, claim, finish, retry, counts: SQL only
 *   run.c        running one claimed job: limits, handler, outcome
 *   runner.c     the threads of `atrium serve`: coordinator and workers
 *   dispatch.c   the outbox: events fanned out to subscriber jobs
 *   clock.c      jobs_now_ms, drift and jump warnings
 *   jobs_api.c   the jobs routes, metrics and module_jobs
 *   sched.c      the scheduler: lease, due tasks, housekeeping task
 *   sched_api.c  the Cronjob routes, the cron URL and module_scheduler
 *   cron_expr.c  cron expressions
 */
#ifndef ATR_JOBS_INT_H
#define ATR_JOBS_INT_H

#include "atrium.h"

#include <stdatomic.h>

#include "jobs/jobs.h"

struct app;
struct db;
struct db_conn;
struct module;

#define JOB_DEFAULT_ATTEMPTS 5
#define JOB_DEFAULT_LEASE_MS 60000
#define JOB_DEFAULT_BACKOFF_MS 30000
#define JOB_BACKOFF_CAP_MS ((int64_t)3600 * 1000)
#define JOB_ERROR_MAX 1000 /* bytes of last_error kept */
#define JOB_OWNER_LEN 80

enum job_status { JS_QUEUED = 0, JS_RUNNING, JS_DONE, JS_BLOCKED, JS_N };
/* "queued", "running", "done", "blocked"; NULL out of range. */
const char *job_status_name(int s);
/* Index of a status name, or -1. */
int job_status_parse(const char *s);

/* The kinds this binary runs: every module's job_kinds, then one kind
 * "event:<name>" per subscriber. */
struct jobs_registry {
	struct job_kind *kinds; /* n rows, copies with defaults filled in */
	const struct event_sub **subs; /* subs[i]: the subscriber of kind i,
					* or NULL */
	char **owned;            /* names allocated for subscriber kinds */
	int n;
	/* [rescue][pg]: the claim of queued jobs whose run_at has come
	 * (rescue 0), or of expired leases and jobs the clock left behind
	 * (rescue 1), for SQLite (0) and PostgreSQL (1). */
	char *claim_sql[2][2];
	_Atomic uint64_t *ok, *failed; /* handler outcomes per kind */
};

/* Builds reg from a module table. 0, or -1 with err (a malformed or
 * duplicate kind name). jobs_registry_free releases it. */
int jobs_registry_build(const struct module *const *mods,
			struct jobs_registry *reg, struct atr_err *err);
void jobs_registry_free(struct jobs_registry *reg);
/* The kind's index in reg, or -1. */
int jobs_kind_index(const struct jobs_registry *reg, const char *name);

/* One claimed job; job_claimed_free releases the strings. */
struct job_claimed {
	int64_t id, org_id, attempts;
	int kind; /* index in the registry */
	char *payload, *created_at;
	json_t *payload_json; /* while it runs (freed with the rest, so a
			       * handler thread that dies leaks nothing) */
};
void job_claimed_free(struct job_claimed *j);

/* Claims up to max jobs for owner, in one transaction: the due ones, or
 * with rescue the ones whose lease ran out (their node died) and the
 * ones the clock left behind. Returns how many (out[0..n-1]), -1 on a
 * database error. */
int job_claim(struct db_conn *c, const struct jobs_registry *reg,
	      const char *owner, int64_t now, bool rescue, int max,
	      struct job_claimed *out);

enum job_end { JE_DONE, JE_RETRY, JE_BLOCKED, JE_PUT_BACK };
/* Records how a claimed job ended, if owner still holds it. next_ms: the
 * retry's run_at (JE_RETRY). Returns 1 written, 0 when the lease was lost
 * (another node took the job), -1 on a database error. */
int job_end(struct db_conn *c, int64_t id, const char *owner,
	    enum job_end how, const char *error, int64_t now, int64_t next_ms);

/* A random delay in [0, min(cap, base * 2^(attempt-1))] ms: exponential
 * backoff with full jitter. */
int64_t job_backoff_ms(int64_t base, int64_t attempt);
/* The same with a cap of the kind's own (0: JOB_BACKOFF_CAP_MS). */
int64_t job_backoff_capped_ms(int64_t base, int64_t cap, int64_t attempt);

/* Puts blocked jobs of org back in the queue with their attempts reset:
 * the one with id (id > 0), or all of kind (kind may be NULL: all). The
 * requeued ids are appended to ids. 0, or -1 on a database error. Inside
 * the caller's transaction. */
int job_retry(struct db_conn *c, int64_t org, int64_t id, const char *kind,
	      int64_t now, json_t *ids);

/* Runs one claimed job on this thread: checks the attempt limit, calls
 * the handler, records the outcome. Returns the outcome (JOB_*). */
int jobs_run_one(struct app *app, const struct jobs_registry *reg,
		 const char *owner, struct job_claimed *j);
/* Claims and runs due jobs on this thread until none is due or max ran
 * (fans out events first). Returns how many ran, -1 on a database
 * error. For tests and the benchmark; serve uses the runner's threads. */
int jobs_run_due(struct app *app, const struct jobs_registry *reg,
		 const char *owner, int max);
/* The record of a handler thread that died in the handler
 * (pthread_exit): marks the attempt failed so the job is retried. */
void jobs_thread_died(struct app *app, const struct jobs_registry *reg,
		      const char *owner, const struct job_claimed *j);

/* Fans committed events out to the subscribers' jobs, oldest first, in
 * one transaction per batch of at most max; marks them processed.
 * Returns how many events, -1 on a database error. One node at a time
 * (an advisory lock on PostgreSQL; SQLite's writer is single). */
int dispatch_fanout(struct db_conn *c, const struct jobs_registry *reg,
		    int64_t now, int max);
/* The handler of every "event:<name>" kind (arg: the subscriber). */
int dispatch_run(struct job_ctx *j, struct atr_err *err);

/* A name for this process in leases: host:pid:random. */
void jobs_owner_name(char out[JOB_OWNER_LEN]);

/* The node's heartbeat row (node.c): written at now (the cluster clock)
 * with this process's name, version and start time; stopped marks a clean
 * stop. 0, or -1 on a database error. */
#define NODE_BEAT_MS 30000
/* The runner's part of the health report (jobs_health.c). */
struct health_report;
int jobs_health(struct app *app, struct db_conn *c, int64_t org,
		struct health_report *rep);
int node_beat(struct db_conn *c, int64_t now);
int node_stopped(struct db_conn *c, int64_t now);

/* Samples the database server's clock (PostgreSQL) or checks this
 * machine's for a jump (SQLite); a warning to log goes to warn (""
 * when none). 0, or -1 on a database error. */
int jobs_clock_sync(struct db_conn *c, char *warn, size_t n);
/* Forgets the sample (tests; the runner at stop). */
void jobs_clock_reset(void);

/* The runner of `atrium serve` (runner.c). */
int runner_start(struct app *app, struct atr_err *err);
void runner_stop(void);
/* The registry the runner uses (NULL when it does not run): for the
 * jobs routes and metrics. */
const struct jobs_registry *runner_registry(void);

/* Depth of the queue by kind and status, and the oldest unfinished job,
 * for /metrics and the jobs page. */
struct jobs_depth {
	char kind[64];
	int64_t n[JS_N];
	int64_t oldest_ms; /* created_at of the oldest queued or running
			    * job, epoch ms; 0 when none */
};
/* Fills at most max rows, one per kind present in the table: of org, or
 * of all organisations when org is 0 (then without done jobs, which are
 * no depth). Returns the count, -1 on a database error. */
int job_depth(struct db_conn *c, int64_t org, struct jobs_depth *out,
	      int max);

/* The scheduler (sched.c). */
int sched_start(struct app *app, struct atr_err *err);
void sched_stop(void);
/* The lease name of this process's scheduler thread, "" when none runs. */
void sched_owner_name(char out[JOB_OWNER_LEN]);
/* The housekeeping task's clock: never ahead of the time that really
 * passed since its last run in this process (a forward jump deletes
 * nothing early). Exposed for tests. */
int64_t sched_housekeeping_now(int64_t cluster_now);
void sched_housekeeping_reset(void);
/* The schedule text of a task ("every 60s", or its cron expression) and
 * its next due time after now; -1 for a bad task. */
int64_t sched_task_next(const struct app *app, const struct sched_task *t,
			int64_t now, char *schedule, size_t n);

#endif
