/* workpool.h — a fixed set of threads running queued jobs in order, with a
 * bound on how long a job may wait for one.
 *
 * The HTTP server's I/O threads never run a request that may block (every
 * database call may): they suspend the connection and submit the request
 * here. A job that waited longer than the queue timeout is not run: its
 * expire callback runs instead, from the pool's timer thread, so requests
 * are answered ("busy, retry") even while every worker is stuck.
 *
 *   struct my_job { struct work w; ... };   (the job embeds a struct work)
 *   job->w.run = my_run; job->w.expire = my_busy;
 *   workpool_submit(pool, &job->w);
 *
 * Exactly one of run and expire is called for each submitted job, once;
 * the job's memory is the caller's.
 */
#ifndef ATR_WORKPOOL_H
#define ATR_WORKPOOL_H

#include "atrium.h"

struct workpool;

struct work {
	void (*run)(struct work *w);    /* on a worker thread */
	void (*expire)(struct work *w); /* instead of run: waited too long */
	int64_t queued_ns;              /* set by workpool_submit */
	struct work *next;
};

/* Starts threads workers; a job waits at most timeout_ms for one (0: no
 * bound). Returns the pool (freed by workpool_stop). */
struct workpool *workpool_start(int threads, int timeout_ms);
/* Queues w; never blocks. */
void workpool_submit(struct workpool *p, struct work *w);
/* Jobs queued or running right now. */
int workpool_pending(struct workpool *p);
/* Runs (or expires) what is queued, joins the threads, frees the pool. */
void workpool_stop(struct workpool *p);

#endif
