/* workpool.c — worker threads over one FIFO queue, and a timer thread that
 * expires jobs that waited too long. */
#include "atrium.h"

#include <pthread.h>
#include <time.h>

#include "http/workpool.h"

struct workpool {
	pthread_mutex_t mu;
	pthread_cond_t work_cv;  /* a job was queued, or stopping */
	pthread_cond_t timer_cv; /* stopping */
	struct work *head, *tail;
	int queued, running;
	int64_t timeout_ns;
	bool stopping;
	int nthreads;
	pthread_t *threads;
	pthread_t timer;
};

static struct work *pop(struct workpool *p)
{
	struct work *w = p->head;
	if (w) {
		p->head = w->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
	}
	return w;
}

static void *worker_main(void *arg)
{
	struct workpool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct work *w = pop(p);
		if (!w) {
			if (p->stopping)
				break;
			pthread_cond_wait(&p->work_cv, &p->mu);
			continue;
		}
		p->running++;
		pthread_mutex_unlock(&p->mu);
		w->run(w);
		pthread_mutex_lock(&p->mu);
		p->running--;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Sleeps on cv until the monotonic deadline or a signal. */
static void wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
		       int64_t deadline)
{
	struct timespec ts = {(time_t)(deadline / 1000000000),
			      (long)(deadline % 1000000000)};
	pthread_cond_timedwait(cv, mu, &ts);
}

/* Expires the jobs at the head of the queue that waited too long. The
 * queue is in submission order, so the head is always the oldest. */
static void *timer_main(void *arg)
{
	struct workpool *p = arg;
	pthread_mutex_lock(&p->mu);
	while (!p->stopping) {
		int64_t now = atr_mono_ns();
		while (p->head && now - p->head->queued_ns >= p->timeout_ns) {
			struct work *w = pop(p);
			pthread_mutex_unlock(&p->mu);
			w->expire(w);
			pthread_mutex_lock(&p->mu);
		}
		/* Next look: when the head expires, or in 100 ms. */
		int64_t next = now + 100000000;
		if (p->head && p->head->queued_ns + p->timeout_ns < next)
			next = p->head->queued_ns + p->timeout_ns;
		wait_until(&p->timer_cv, &p->mu, next);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct workpool *workpool_start(int threads, int timeout_ms)
{
	struct workpool *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->timer_cv, &ca);
	pthread_condattr_destroy(&ca);
	p->timeout_ns = (int64_t)timeout_ms * 1000000;
	p->nthreads = threads > 0 ? threads : 1;
	p->threads = xcalloc((size_t)p->nthreads, sizeof *p->threads);
	for (int i = 0; i < p->nthreads; i++)
		if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
			die("cannot start a worker thread");
	if (timeout_ms > 0 && pthread_create(&p->timer, NULL, timer_main, p))
		die("cannot start the queue timer thread");
	return p;
}

void workpool_submit(struct workpool *p, struct work *w)
{
	w->queued_ns = atr_mono_ns();
	w->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->tail)
		p->tail->next = w;
	else
		p->head = w;
	p->tail = w;
	p->queued++;
	pthread_cond_signal(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
}

int workpool_pending(struct workpool *p)
{
	pthread_mutex_lock(&p->mu);
	int n = p->queued + p->running;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void workpool_stop(struct workpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->work_cv);
	pthread_cond_signal(&p->timer_cv);
	pthread_mutex_unlock(&p->mu);
	if (p->timeout_ns > 0)
		pthread_join(p->timer, NULL);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->timer_cv);
	free(p->threads);
	free(p);
}
