/* conntrack.c — open connections in idle order, and shedding the oldest
 * idle ones under pressure (see conntrack.h). */
#include "atrium.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include "core/log.h"
#include "http/conntrack.h"

#define SHED_MIN_IDLE_NS 1000000000LL /* never close one idle < 1 s */

/* Requests mark their entry busy and idle without the lock (two atomic
 * stores on the hot path); only opening, closing and shedding, which
 * walks every entry for the oldest idle one, take the mutex. */
struct conntrack_entry {
	int fd;
	atomic_bool busy;
	bool shed; /* already shut down: do not count it twice */
	atomic_int_fast64_t idle_since;
	struct conntrack_entry *prev, *next;
};

struct conntrack {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct conntrack_entry *head, *tail;
	int open, limit, pressure;
	int64_t slow_ns;
	uint64_t shed;
	bool stopping;
	pthread_t thread;
};

static struct atr_log_limit shed_log = ATR_LOG_LIMIT_INIT(10);

static void unlink_entry(struct conntrack *t, struct conntrack_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	e->prev = e->next = NULL;
}

static void append(struct conntrack *t, struct conntrack_entry *e)
{
	e->prev = t->tail;
	e->next = NULL;
	if (t->tail)
		t->tail->next = e;
	else
		t->head = e;
	t->tail = e;
}

/* Shuts down the oldest connection idle since before cutoff; true when
 * there was one. Called with t->mu held, so the entry (and its fd) cannot
 * be closed meanwhile: libmicrohttpd tells us before it closes. */
static bool shed_oldest(struct conntrack *t, int64_t cutoff)
{
	struct conntrack_entry *old = NULL;
	int64_t old_since = cutoff;
	for (struct conntrack_entry *e = t->head; e; e = e->next) {
		int64_t since = atomic_load(&e->idle_since);
		if (e->shed || atomic_load(&e->busy) || since > old_since)
			continue;
		old = e;
		old_since = since;
	}
	if (!old)
		return false;
	shutdown(old->fd, SHUT_RDWR);
	old->shed = true;
	t->shed++;
	atr_log_limited(&shed_log,
			"http: %d of %d connections open; closed the oldest "
			"idle one",
			t->open, t->limit);
	return true;
}

static int live(const struct conntrack *t)
{
	int n = 0;
	for (const struct conntrack_entry *e = t->head; e; e = e->next)
		n += !e->shed;
	return n;
}

static void *sweep_main(void *arg)
{
	struct conntrack *t = arg;
	pthread_mutex_lock(&t->mu);
	while (!t->stopping) {
		int64_t now = atr_mono_ns();
		if (t->open >= t->pressure) {
			int n = live(t);
			while (n >= t->pressure &&
			       shed_oldest(t, now - t->slow_ns))
				n--;
		}
		int64_t next = now + 1000000000;
		struct timespec ts = {(time_t)(next / 1000000000),
				      (long)(next % 1000000000)};
		pthread_cond_timedwait(&t->cv, &t->mu, &ts);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

struct conntrack *conntrack_start(int limit, int slow_s)
{
	struct conntrack *t = xcalloc(1, sizeof *t);
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	t->limit = limit;
	t->pressure = limit - limit / 4;
	if (t->pressure < 1)
		t->pressure = 1;
	t->slow_ns = (int64_t)slow_s * 1000000000;
	if (pthread_create(&t->thread, NULL, sweep_main, t) != 0)
		die("cannot start the connection tracker");
	return t;
}

void conntrack_stop(struct conntrack *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->stopping = true;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	/* libmicrohttpd has closed every connection by now. */
	ATR_ASSERT(t->head == NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}

struct conntrack_entry *conntrack_opened(struct conntrack *t, int fd)
{
	struct conntrack_entry *e = xcalloc(1, sizeof *e);
	e->fd = fd;
	int64_t now = atr_mono_ns();
	atomic_init(&e->busy, false);
	atomic_init(&e->idle_since, now);
	pthread_mutex_lock(&t->mu);
	t->open++;
	if (t->open >= t->pressure)
		shed_oldest(t, now - SHED_MIN_IDLE_NS);
	append(t, e);
	pthread_mutex_unlock(&t->mu);
	return e;
}

void conntrack_closed(struct conntrack *t, struct conntrack_entry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&t->mu);
	unlink_entry(t, e);
	t->open--;
	pthread_mutex_unlock(&t->mu);
	free(e);
}

void conntrack_busy(struct conntrack *t, struct conntrack_entry *e,
		    bool busy)
{
	if (!e)
		return;
	if (!busy)
		atomic_store(&e->idle_since, atr_mono_ns());
	atomic_store(&e->busy, busy);
}

uint64_t conntrack_shed_count(struct conntrack *t)
{
	pthread_mutex_lock(&t->mu);
	uint64_t n = t->shed;
	pthread_mutex_unlock(&t->mu);
	return n;
}
