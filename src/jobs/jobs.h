/* jobs.h — the job runner, the outbox dispatcher and the scheduler.
 *
 * Adding a job kind (work that must happen later, at least once):
 *   1. a handler in your module,
 *        static int thing_job(struct job_ctx *j, struct atr_err *err)
 *      returning JOB_OK when done, JOB_FAILED with the reason in err
 *      (retried after an exponential backoff with full jitter, then
 *      'blocked' at the kind's attempt limit until someone retries it), or
 *      JOB_ABORTED when jobs_stopping() turned true meanwhile (put back
 *      untouched, no attempt counted);
 *   2. a row in the module's kinds, `.job_kinds = thing_kinds`:
 *        static const struct job_kind thing_kinds[] = {
 *            {"thing", thing_job, .max_attempts = 5, .lease_ms = 60000},
 *            {0},
 *        };
 *   3. enqueue it inside the transaction of the change that causes it
 *      (transactional outbox: the job commits with the change or not at
 *      all), and wake the runner after the commit:
 *        job_enqueue(c, &(struct job_new){.kind = "thing", .org_id = org,
 *                    .payload = p}, NULL, err);
 *        db_commit(c); jobs_wake();
 *   Handlers must be idempotent (a node killed mid-job leaves its lease to
 *   run out, then the job runs again elsewhere), finish within lease_ms
 *   (past it another node may take the job), leave no transaction open,
 *   and take connections from j->app->db only for short statements, never
 *   across network I/O: the pool is shared with the HTTP workers. Payloads
 *   are shown on the jobs page: no secrets in them.
 *
 * Adding a scheduled task (the spec's cron):
 *   1. static int thing_task(struct app *app, struct db_conn *c,
 *                            int64_t now_ms, struct atr_err *err)
 *      returning 0, or -1 with err (recorded as the run's error; the task
 *      runs again at its next period). c has no transaction open. Keep it
 *      short (well under scheduler_lease_ms): long work enqueues jobs.
 *   2. a row in the module's `.tasks`: {"thing", .interval_ms = 3600000,
 *      .run = thing_task} or {"thing", .cron = "0 3 * * *", .run = ...}
 *      (five fields, UTC; see cron_expr.h).
 *   One node of the cluster runs the scheduler at a time (a lease in
 *   sched_state); a period's run is claimed by a compare-and-set on
 *   sched_task.next_run_at, so it runs once even across nodes.
 *
 * Subscribing to events (outbox_emit in core/activity.c):
 *   a row in the module's `.subscribers`:
 *     {"webhooks", NULL, webhooks_on_event, .max_attempts = 8,
 *      .interested = webhooks_interested}
 *   with int webhooks_on_event(struct app *, const struct event *,
 *   struct atr_err *). Each committed event is handed to each subscriber
 *   once (at least once across crashes: de-duplicate on ev->uuid), in
 *   event order per record (entity, entity_id): a later event of a record
 *   waits while an earlier one is queued, running or blocked. Each
 *   delivery is a job of kind "event:<name>" with that subscriber's limits.
 *
 * Time: what is stored (run_at, leases) follows jobs_now_ms(), the
 * database server's clock on PostgreSQL (one clock for every node); waits
 * inside the process use the monotonic clock.
 */
#ifndef ATR_JOBS_H
#define ATR_JOBS_H

#include "atrium.h"

#include <jansson.h>

struct app;
struct db_conn;

enum job_outcome {
	JOB_OK = 0,
	JOB_FAILED = -1,
	JOB_ABORTED = -3,
};

/* What a handler gets; valid for the call only. */
struct job_ctx {
	struct app *app;
	int64_t id, org_id;
	int64_t attempt;       /* 1 on the first run */
	const char *kind;
	const void *arg;       /* the kind's arg */
	const json_t *payload; /* the enqueued payload (an object) */
	const char *created_at;
};

struct job_kind {
	const char *name; /* [a-z0-9_.:-]+, unique in the binary */
	int (*run)(struct job_ctx *j, struct atr_err *err);
	int max_attempts;        /* 0: 5 */
	int64_t lease_ms;        /* 0: 60 s; the handler's worst case + margin */
	int64_t backoff_base_ms; /* 0: 30 s */
	int64_t backoff_cap_ms;  /* 0: 1 h; the longest pause between tries */
	/* Optional, overriding the numbers above: the attempt limit of org
	 * (a setting), the backoff base (a config option). */
	int64_t (*attempt_limit)(struct db_conn *c, int64_t org);
	int64_t (*backoff_base)(const struct app *app);
	const void *arg; /* handed to run as j->arg */
};

/* A committed event, as a subscriber sees it. */
struct event {
	int64_t id, org_id, entity_id;
	const char *uuid; /* stable: receivers de-duplicate on it */
	const char *entity, *action, *created_at;
	const json_t *payload; /* {id, type, entity, entity_id, action,
				* occurred_at, before, after} */
	/* What wrote the change when it was not a request (outbox_cause,
	 * core/activity.h): JSON text, or NULL. */
	const char *cause;
};

struct event_sub {
	const char *name;   /* its deliveries are jobs "event:<name>" */
	const char *entity; /* only this entity's events; NULL: all */
	int (*handle)(struct app *app, const struct event *ev,
		      struct atr_err *err); /* JOB_OK/JOB_FAILED/JOB_ABORTED */
	int max_attempts;        /* 0: 5 */
	int64_t lease_ms;        /* 0: 60 s */
	int64_t backoff_base_ms; /* 0: 30 s */
	/* Optional: whether the subscriber has anything that listens to
	 * entity's events in org now (an endpoint, an enabled automation):
	 * 1 yes, 0 no (the event is not handed to it: no job), -1 a
	 * database error. Asked at fan-out, inside its transaction, once
	 * per organisation and entity of a batch; a cheap indexed read. */
	int (*interested)(struct db_conn *c, int64_t org, const char *entity);
};

struct sched_task {
	const char *name; /* [a-z0-9_]+, unique */
	/* Every interval_ms (runs fall on multiples of it since the epoch),
	 * or at the times of a cron expression (UTC). */
	int64_t interval_ms;
	const char *cron;
	/* Optional: the interval from configuration (wins when set). */
	int64_t (*interval)(const struct app *app);
	int (*run)(struct app *app, struct db_conn *c, int64_t now_ms,
		   struct atr_err *err);
};

struct job_new {
	const char *kind;
	int64_t org_id;
	const json_t *payload; /* NULL: {} */
	int64_t delay_ms;      /* run no earlier than now + delay */
	const char *order_key; /* NULL, or run after every earlier job of */
	int64_t order_seq;     /* the same key (by order_seq) is done */
};

/* Queues a job inside the caller's open transaction. Returns 0 (the new
 * id in *id when id is not NULL), or -1 with err (unknown kind is not
 * checked here: a node of another version may run it). */
int job_enqueue(struct db_conn *c, const struct job_new *j, int64_t *id,
		struct atr_err *err);
/* Puts job id of org back in the queue, attempts reset, due now, when it
 * is blocked (the jobs page's Retry, for modules with a retry of their
 * own). Inside the caller's transaction. 1 requeued, 0 not blocked (or
 * absent), -1 on a database error. */
int job_retry_blocked(struct db_conn *c, int64_t org, int64_t id);

/* Asks the runner of this process to look for due jobs now (call after
 * the commit that queued them); a no-op when no runner runs. */
void jobs_wake(void);
/* True while the runner stops: long handlers return JOB_ABORTED. */
bool jobs_stopping(void);
/* The clock jobs and the scheduler store times by (epoch ms): the
 * database server's on PostgreSQL once the runner or scheduler has
 * sampled it (kept by the monotonic clock between samples), else this
 * machine's. */
int64_t jobs_now_ms(void);

/* This process's node name, host:pid:random, the same for its life: the
 * owner of its job and scheduler leases and the id of its `node` row
 * (the heartbeat the runner writes every 30 s; see node.c). */
const char *jobs_node_id(void);
/* When this process first asked for its node name (epoch ms): its start
 * as the node table shows it. */
int64_t jobs_node_started_ms(void);

/* The Cronjob tab warns when the scheduler last ran longer ago than this
 * (the spec: more than 5 minutes means cron stopped). */
#define SCHED_STALE_MS (5 * 60 * 1000)

/* Runs once what is due, as `atrium cron` and the cron URL do: takes
 * the lease unless another live node holds it, runs the due tasks,
 * records the tick, gives the lease back. Returns 1 ran, 0 another node
 * holds the lease (*holder names it), -1 on a database error. ran, when
 * not NULL, gets one object per task run. */
int sched_run_once(struct app *app, const char *via, json_t *ran,
		   char *holder, size_t holder_len, struct atr_err *err);

#endif
