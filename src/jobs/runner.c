/* runner.c — the job runner of `atrium serve`: one coordinator thread and
 * job_workers worker threads.
 *
 * The coordinator claims only as many jobs as there are free workers, so
 * a claimed job starts at once: no job waits out a lease it was never
 * attempted under. On PostgreSQL, when a claim was full (a backlog), each
 * worker claims its next job itself, one at a time, until a claim finds
 * nothing: claims then run in parallel (SKIP LOCKED). On SQLite they
 * would only queue on the single writer, so the coordinator alone claims
 * and request writes keep most of the writer (bench/README.md). Each tick (a second, or at once when woken or when a
 * full batch was claimed) it samples the clock every half minute, fans
 * committed events out to their subscribers' jobs, rescues expired leases
 * every few seconds and claims due jobs. Every wait is on the monotonic
 * clock.
 *
 * A worker runs the handler with no database connection held (handlers
 * take their own, briefly), so slow network work never starves the HTTP
 * workers of connections. A handler that ends its thread (pthread_exit)
 * has the attempt recorded as failed by a cleanup handler and the
 * coordinator starts a replacement thread; a process that dies leaves its
 * leases to run out, and the jobs are claimed again.
 *
 * On SQLite every claim and finish is a short write transaction on the
 * serialised writer; the coordinator claims a batch in one transaction,
 * and each finish is one, so request writes interleave with them.
 */
#include "atrium.h"

#include <pthread.h>
#include <time.h>

#include "core/app.h"
#include "core/module.h"
#include "db/db.h"
#include "jobs/jobs_int.h"

#define TICK_MS 1000
#define RESCUE_EVERY_MS 5000
#define CLOCK_EVERY_MS 30000
#define FANOUT_BATCH 100

struct slot {
	pthread_t thread;
	int index;
	bool dead;                /* exited in a handler: join and replace */
	bool gone;                /* joined, and could not be replaced */
	struct job_claimed job;   /* what it runs */
};

static struct {
	struct app *app;
	struct jobs_registry reg;
	char owner[JOB_OWNER_LEN];
	int64_t next_beat; /* monotonic: the node row's next write */
	pthread_t coord;
	struct slot *slots;
	int nslots, busy;
	struct job_claimed *queue; /* claimed, not yet taken by a worker */
	int qlen;
	pthread_mutex_t mu;
	pthread_cond_t cv;  /* the coordinator's: woken, a worker freed/died */
	pthread_cond_t wcv; /* the workers': a job is queued, or stop */
	bool running, stop, wake;
	bool backlog; /* the last claim was full: workers claim for themselves */
	bool parallel_claims; /* PostgreSQL: claims do not serialise */
	atomic_bool stopping;
	char last_log[256];
} R = {.mu = PTHREAD_MUTEX_INITIALIZER};

bool jobs_stopping(void)
{
	return atomic_load(&R.stopping);
}

const struct jobs_registry *runner_registry(void)
{
	return R.running ? &R.reg : NULL;
}

void jobs_wake(void)
{
	pthread_mutex_lock(&R.mu);
	if (R.running) {
		R.wake = true;
		pthread_cond_signal(&R.cv);
	}
	pthread_mutex_unlock(&R.mu);
}

/* Logs a coordinator problem once until it changes (a database down for
 * an hour is one line, not 3600). */
static void coord_log(const char *fmt, ...) ATR_PRINTF(1, 2);
static void coord_log(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (strcmp(line, R.last_log) == 0)
		return;
	atr_strlcpy(R.last_log, line, sizeof R.last_log);
	fprintf(stderr, "jobs: %s\n", line);
}

static void wait_ms(pthread_cond_t *cv, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(cv, &R.mu, &ts);
}

/* A worker thread died in a handler (pthread_exit): the attempt counts
 * as failed and the coordinator replaces the thread. */
static void worker_died(void *arg)
{
	struct slot *s = arg;
	jobs_thread_died(R.app, &R.reg, R.owner, &s->job);
	pthread_mutex_lock(&R.mu);
	job_claimed_free(&s->job);
	R.busy--;
	s->dead = true;
	pthread_cond_signal(&R.cv);
	pthread_mutex_unlock(&R.mu);
}

/* Claims one due job for a worker itself (while a backlog is known);
 * 1 claimed into j, 0 none, -1 on a database error. */
static int claim_own(struct job_claimed *j)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(R.app->db, &err);
	if (!c)
		return -1;
	int n = job_claim(c, &R.reg, R.owner, jobs_now_ms(), false, 1, j);
	db_release(c);
	return n;
}

/* A worker: runs the jobs the coordinator hands out and, while a backlog
 * is known, claims its next job itself (claims then run in parallel, not
 * one at a time through the coordinator), until stop. */
static void *worker_main(void *arg)
{
	struct slot *s = arg;
	pthread_mutex_lock(&R.mu);
	for (;;) {
		while (!R.stop && R.qlen == 0 && !R.backlog)
			pthread_cond_wait(&R.wcv, &R.mu);
		if (R.stop)
			break;
		R.busy++;
		if (R.qlen) {
			s->job = R.queue[--R.qlen];
		} else {
			pthread_mutex_unlock(&R.mu);
			int n = claim_own(&s->job);
			pthread_mutex_lock(&R.mu);
			if (n <= 0) {
				R.backlog = false;
				R.busy--;
				continue;
			}
		}
		pthread_mutex_unlock(&R.mu);
		pthread_cleanup_push(worker_died, s);
		jobs_run_one(R.app, &R.reg, R.owner, &s->job);
		pthread_cleanup_pop(0);
		pthread_mutex_lock(&R.mu);
		job_claimed_free(&s->job);
		R.busy--;
		pthread_cond_signal(&R.cv);
	}
	pthread_mutex_unlock(&R.mu);
	return NULL;
}

/* Joins and restarts workers that died in a handler; under R.mu. */
static void replace_dead(void)
{
	for (int i = 0; i < R.nslots; i++) {
		struct slot *s = &R.slots[i];
		if (!s->dead || s->gone)
			continue;
		pthread_join(s->thread, NULL);
		s->dead = false;
		if (pthread_create(&s->thread, NULL, worker_main, s) != 0) {
			/* Run with one worker fewer rather than stop. */
			coord_log("cannot restart a worker thread");
			s->dead = s->gone = true;
			R.busy++; /* never free again */
		}
	}
}

/* One round of the coordinator: returns true when more work is known to
 * be waiting (a full batch), so the next round starts at once. */
static bool coord_round(int nfree, int64_t *next_clock, int64_t *next_rescue)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(R.app->db, &err);
	if (!c) {
		coord_log("%s", err.msg);
		return false;
	}
	int64_t mono = atr_mono_ms();
	if (mono >= *next_clock) {
		char warn[320];
		if (jobs_clock_sync(c, warn, sizeof warn) == 0) {
			*next_clock = mono + CLOCK_EVERY_MS;
			if (warn[0])
				fprintf(stderr, "clock: %s\n", warn);
		}
	}
	int64_t now = jobs_now_ms();
	if (mono >= R.next_beat) {
		if (node_beat(c, now) == 0)
			R.next_beat = mono + NODE_BEAT_MS;
		else
			coord_log("cannot write this node's heartbeat: %s",
				  db_errmsg(c));
	}
	int fanned = dispatch_fanout(c, &R.reg, now, FANOUT_BATCH);
	if (fanned < 0)
		coord_log("cannot dispatch events: %s", db_errmsg(c));
	struct job_claimed *batch = xcalloc((size_t)R.nslots, sizeof *batch);
	int n = 0, m = 0;
	if (nfree > 0 && mono >= *next_rescue) {
		*next_rescue = mono + RESCUE_EVERY_MS;
		m = job_claim(c, &R.reg, R.owner, now, true, nfree, batch);
		n = m > 0 ? m : 0;
	}
	if (m >= 0 && n < nfree) {
		m = job_claim(c, &R.reg, R.owner, now, false, nfree - n,
			      batch + n);
		n += m > 0 ? m : 0;
	}
	/* What was claimed before an error still runs. */
	if (m < 0)
		coord_log("cannot claim jobs: %s", db_errmsg(c));
	else if (n > 0 || fanned > 0)
		R.last_log[0] = 0;
	db_release(c);
	pthread_mutex_lock(&R.mu);
	for (int i = 0; i < n; i++)
		R.queue[R.qlen++] = batch[i];
	if (nfree > 0 && n == nfree && R.parallel_claims)
		R.backlog = true;
	if (n)
		pthread_cond_broadcast(&R.wcv);
	pthread_mutex_unlock(&R.mu);
	free(batch);
	return (nfree > 0 && n == nfree) || fanned == FANOUT_BATCH;
}

/* The coordinator: a round per tick; at once when woken (jobs_wake), a
 * worker died, or, after a full batch (a backlog), as soon as a worker
 * frees up. A worker that finishes outside a backlog does not start a
 * round early: a failed job's retry waits for its backoff and the tick. */
static void *coord_main(void *arg)
{
	int64_t next_clock = 0, next_rescue = 0, next_tick = 0;
	bool more = false;
	pthread_mutex_lock(&R.mu);
	while (!R.stop) {
		int64_t now = atr_mono_ms();
		int nfree = R.nslots - R.busy - R.qlen;
		bool dead = false;
		for (int i = 0; i < R.nslots; i++)
			dead = dead || (R.slots[i].dead && !R.slots[i].gone);
		if (!R.wake && !dead && now < next_tick &&
		    !(more && nfree > 0)) {
			wait_ms(&R.cv, next_tick - now);
			continue;
		}
		R.wake = false;
		replace_dead();
		nfree = R.nslots - R.busy - R.qlen;
		pthread_mutex_unlock(&R.mu);
		more = coord_round(nfree, &next_clock, &next_rescue);
		pthread_mutex_lock(&R.mu);
		next_tick = atr_mono_ms() + TICK_MS;
	}
	pthread_mutex_unlock(&R.mu);
	return NULL;
}

/* Returns a claimed, unstarted job to the queue (at stop). */
static void put_back(struct job_claimed *j)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(R.app->db, &err);
	if (!c || job_end(c, j->id, R.owner, JE_PUT_BACK, NULL,
			  jobs_now_ms(), 0) < 0)
		fprintf(stderr, "jobs: cannot put job %lld back: %s\n",
			(long long)j->id, c ? db_errmsg(c) : err.msg);
	db_release(c);
}

/* Starts the runner's threads; 0, or -1 with err (nothing left running). */
int runner_start(struct app *app, struct atr_err *err)
{
	ATR_ASSERT(!R.running);
	if (jobs_registry_build(app->modules, &R.reg, err) < 0)
		return -1;
	R.app = app;
	atr_strlcpy(R.owner, jobs_node_id(), sizeof R.owner);
	/* The node's row at once, so the health page lists a node as soon
	 * as it runs (then every NODE_BEAT_MS from the coordinator). */
	R.next_beat = 0;
	struct atr_err berr = {0};
	struct db_conn *bc = db_acquire(app->db, &berr);
	if (bc && node_beat(bc, jobs_now_ms()) == 0)
		R.next_beat = atr_mono_ms() + NODE_BEAT_MS;
	db_release(bc);
	R.nslots = app->cfg.job_workers > 0 ? app->cfg.job_workers : 1;
	R.slots = xcalloc((size_t)R.nslots, sizeof *R.slots);
	R.queue = xcalloc((size_t)R.nslots, sizeof *R.queue);
	R.busy = R.qlen = 0;
	R.stop = R.wake = R.backlog = false;
	R.parallel_claims = db_dialect(app->db) == DB_PG;
	R.last_log[0] = 0;
	atomic_store(&R.stopping, false);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&R.cv, &ca);
	pthread_cond_init(&R.wcv, &ca);
	pthread_condattr_destroy(&ca);
	int started = 0;
	for (; started < R.nslots; started++) {
		R.slots[started].index = started;
		if (pthread_create(&R.slots[started].thread, NULL, worker_main,
				   &R.slots[started]) != 0)
			break;
	}
	if (started < R.nslots ||
	    pthread_create(&R.coord, NULL, coord_main, NULL) != 0) {
		pthread_mutex_lock(&R.mu);
		R.stop = true;
		pthread_cond_broadcast(&R.wcv);
		pthread_mutex_unlock(&R.mu);
		for (int i = 0; i < started; i++)
			pthread_join(R.slots[i].thread, NULL);
		pthread_cond_destroy(&R.cv);
		pthread_cond_destroy(&R.wcv);
		free(R.slots);
		free(R.queue);
		jobs_registry_free(&R.reg);
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot start the job runner's threads");
	}
	pthread_mutex_lock(&R.mu);
	R.running = true;
	pthread_mutex_unlock(&R.mu);
	return 0;
}

/* Stops and joins the threads; aborted and unstarted jobs are put back. */
void runner_stop(void)
{
	if (!R.running)
		return;
	atomic_store(&R.stopping, true);
	pthread_mutex_lock(&R.mu);
	R.stop = true;
	pthread_cond_broadcast(&R.cv);
	pthread_cond_broadcast(&R.wcv);
	pthread_mutex_unlock(&R.mu);
	pthread_join(R.coord, NULL);
	/* Handlers in progress see jobs_stopping() and put their job back. */
	for (int i = 0; i < R.nslots; i++)
		if (!R.slots[i].gone)
			pthread_join(R.slots[i].thread, NULL);
	/* Claimed but never started: back to the queue, no attempt counted. */
	for (int i = 0; i < R.qlen; i++) {
		put_back(&R.queue[i]);
		job_claimed_free(&R.queue[i]);
	}
	/* A clean stop: the health page shows the node stopped, not gone. */
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(R.app->db, &err);
	if (!c || node_stopped(c, jobs_now_ms()) < 0)
		fprintf(stderr, "jobs: cannot mark this node stopped: %s\n",
			c ? db_errmsg(c) : err.msg);
	db_release(c);
	pthread_mutex_lock(&R.mu);
	R.running = false;
	R.qlen = 0;
	pthread_mutex_unlock(&R.mu);
	pthread_cond_destroy(&R.cv);
	pthread_cond_destroy(&R.wcv);
	free(R.slots);
	free(R.queue);
	R.slots = NULL;
	R.queue = NULL;
	jobs_registry_free(&R.reg);
	jobs_clock_reset();
	atomic_store(&R.stopping, false);
}
