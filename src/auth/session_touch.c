/* session_touch.c — batched last_seen_at writes (see session_touch.h).
 *
 * The table is open-addressed (linear probing) over TOUCH_SLOTS slots,
 * filled to TOUCH_MAX at most so probes stay short; one mutex guards it.
 * A request takes the mutex only when the stored last_seen_at is more than
 * a minute old (once a minute per session, and until the flush lands), to
 * look for its pending touch and to record one, so it is not on the path
 * of every request. A touch leaves the table only once written.
 */
#include "atrium.h"

#include <pthread.h>
#include <time.h>

#include "auth/session_touch.h"
#include "core/app.h"
#include "core/log.h"
#include "db/db.h"

#define TOUCH_SLOTS (2 * TOUCH_MAX) /* a power of two */

struct touch {
	int64_t id; /* 0: a free slot */
	int64_t at_ms;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool running, stopping;
	struct app *app;
	int n;
	struct touch slot[TOUCH_SLOTS];
} T = {.mu = PTHREAD_MUTEX_INITIALIZER};

static struct atr_log_limit flush_log = ATR_LOG_LIMIT_INIT(60);

static size_t home(int64_t id)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 32) &
	       (TOUCH_SLOTS - 1);
}

/* Puts (id, at_ms) in the table, keeping the later time. Caller holds
 * the mutex. False when full. */
static bool put(int64_t id, int64_t at_ms)
{
	for (size_t i = home(id);; i = (i + 1) & (TOUCH_SLOTS - 1)) {
		struct touch *t = &T.slot[i];
		if (t->id == id) {
			if (at_ms > t->at_ms)
				t->at_ms = at_ms;
			return true;
		}
		if (!t->id) {
			if (T.n == TOUCH_MAX)
				return false;
			*t = (struct touch){id, at_ms};
			T.n++;
			return true;
		}
	}
}

bool session_touch_record(int64_t id, int64_t at_ms)
{
	if (id <= 0)
		return false;
	pthread_mutex_lock(&T.mu);
	bool ok = T.running && !T.stopping && put(id, at_ms);
	pthread_mutex_unlock(&T.mu);
	return ok;
}

/* The slot of session id, or NULL. Caller holds the mutex. */
static struct touch *find(int64_t id)
{
	for (size_t i = home(id);; i = (i + 1) & (TOUCH_SLOTS - 1)) {
		struct touch *t = &T.slot[i];
		if (t->id == id)
			return t;
		if (!t->id)
			return NULL;
	}
}

/* Copies the pending touches into out (TOUCH_MAX entries); returns how
 * many. They stay in the table until written (settle), so a request
 * between the copy and the commit still finds them. Caller holds the
 * mutex. */
static int take(struct touch *out)
{
	int n = 0;
	for (size_t i = 0; i < TOUCH_SLOTS && n < T.n; i++)
		if (T.slot[i].id > 0)
			out[n++] = T.slot[i];
	return n;
}

/* Removes the n touches just written, except those seen again since
 * (a later time): marks them, then rebuilds the table from the rest (open
 * addressing has no plain delete). Caller holds the mutex. */
static void settle(const struct touch *done, int n)
{
	static struct touch keep[TOUCH_MAX]; /* the flusher's own */
	for (int i = 0; i < n; i++) {
		struct touch *t = find(done[i].id);
		if (t && t->at_ms <= done[i].at_ms)
			t->id = -t->id;
	}
	int k = 0;
	for (size_t i = 0; i < TOUCH_SLOTS; i++)
		if (T.slot[i].id > 0)
			keep[k++] = T.slot[i];
	memset(T.slot, 0, sizeof T.slot);
	T.n = 0;
	for (int i = 0; i < k; i++)
		put(keep[i].id, keep[i].at_ms);
}

/* Writes n touches in one transaction. 0, or -1 (nothing written). */
static int write_batch(struct app *app, const struct touch *b, int n)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c) {
		atr_log_limited(&flush_log, "sessions: cannot save %d touches: %s",
				n, err.msg);
		return -1;
	}
	int rc = db_begin(c);
	for (int i = 0; rc == 0 && i < n; i++) {
		struct db_stmt *st = db_prepare(
			c, "UPDATE session SET last_seen_at = ? WHERE id = ? "
			   "AND last_seen_at < ?");
		if (!st) {
			rc = -1;
			break;
		}
		char at[ATR_TIME_LEN];
		atr_time_iso(b[i].at_ms, at);
		db_bind_text(st, 1, at);
		db_bind_int(st, 2, b[i].id);
		db_bind_text(st, 3, at);
		rc = db_step(st) < 0 ? -1 : 0;
		db_reset(st);
	}
	if (rc == 0)
		rc = db_commit(c);
	if (rc < 0) {
		atr_log_limited(&flush_log, "sessions: cannot save %d touches: %s",
				n, db_errmsg(c));
		if (db_in_tx(c))
			db_rollback(c);
	}
	db_release(c);
	return rc;
}

/* Writes what is pending and then drops it from the table; on a failure
 * it stays there and the next flush tries again. */
static void flush(void)
{
	static struct touch batch[TOUCH_MAX]; /* the flusher's own */
	pthread_mutex_lock(&T.mu);
	int n = take(batch);
	pthread_mutex_unlock(&T.mu);
	if (n == 0 || write_batch(T.app, batch, n) < 0)
		return;
	pthread_mutex_lock(&T.mu);
	settle(batch, n);
	pthread_mutex_unlock(&T.mu);
}

int64_t session_touch_pending(int64_t id)
{
	pthread_mutex_lock(&T.mu);
	const struct touch *t = T.running && id > 0 ? find(id) : NULL;
	int64_t at = t ? t->at_ms : 0;
	pthread_mutex_unlock(&T.mu);
	return at;
}

static void *flusher(void *arg)
{
	pthread_mutex_lock(&T.mu);
	while (!T.stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += TOUCH_FLUSH_MS / 1000;
		ts.tv_nsec += (long)(TOUCH_FLUSH_MS % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&T.cv, &T.mu, &ts);
		if (T.stopping)
			break;
		pthread_mutex_unlock(&T.mu);
		flush();
		pthread_mutex_lock(&T.mu);
	}
	pthread_mutex_unlock(&T.mu);
	return NULL;
}

int session_touch_start(struct app *app, struct atr_err *err)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&T.cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&T.mu);
	T.app = app;
	T.stopping = false;
	T.n = 0;
	memset(T.slot, 0, sizeof T.slot);
	pthread_mutex_unlock(&T.mu);
	if (pthread_create(&T.thread, NULL, flusher, NULL) != 0) {
		pthread_cond_destroy(&T.cv);
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot start the session touch thread");
	}
	pthread_mutex_lock(&T.mu);
	T.running = true;
	pthread_mutex_unlock(&T.mu);
	return 0;
}

void session_touch_stop(struct app *app)
{
	pthread_mutex_lock(&T.mu);
	if (!T.running) {
		pthread_mutex_unlock(&T.mu);
		return;
	}
	T.stopping = true;
	pthread_cond_signal(&T.cv);
	pthread_mutex_unlock(&T.mu);
	pthread_join(T.thread, NULL);
	flush(); /* what the last interval recorded */
	pthread_mutex_lock(&T.mu);
	T.running = false;
	pthread_mutex_unlock(&T.mu);
	pthread_cond_destroy(&T.cv);
}
