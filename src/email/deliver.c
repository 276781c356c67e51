/* worker.c — the queue worker of `atrium serve`.
 *
 * The worker ticks every second. A tick claims at most EMAIL_BATCH due
 * rows in one statement — PostgreSQL:
 *   UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING
 * so nodes sharing a database never claim the same row; SQLite the same
 * without the locking clause (its writers are serialised). A claimed row
 * is 'sending' with a lease (locked_until); a row whose lease passed was
 * claimed by a node that died mid-send, and is claimed again. Delivery is
 * therefore at least once: receivers de-duplicate on the Message-ID, which
 * is stable across retries.
 */
#include "atrium.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <time.h>

#include "core/app.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "email/email_int.h"

#define EMAIL_BATCH 10
/* A claim's lease: a whole batch at the worst case of every send (10 s to
 * connect, 60 s in all), and a minute to spare. */
#define EMAIL_LEASE_MS ((int64_t)EMAIL_BATCH * 70 * 1000 + 60 * 1000)
#define EMAIL_BACKOFF_CAP_MS ((int64_t)3600 * 1000)
#define EMAIL_COUNTS_EVERY_MS 5000

struct claimed {
	int64_t id, org, attempts;
	char *to, *subject, *body, *created_at;
};

static struct {
	struct app *app;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool running, stop, wake;
	atomic_bool counts_valid;
	_Atomic int64_t counts[EMAIL_NSTATUS];
	char last_log[256];
} worker = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void claimed_free(struct claimed *e)
{
	free(e->to);
	free(e->subject);
	email_body_free(e->body);
	free(e->created_at);
	memset(e, 0, sizeof *e);
}

/* Logs a worker problem once until it changes (a database down for an
 * hour is one line, not 3600). */
static void worker_log(const char *fmt, ...) ATR_PRINTF(1, 2);
static void worker_log(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (strcmp(line, worker.last_log) == 0)
		return;
	atr_strlcpy(worker.last_log, line, sizeof worker.last_log);
	fprintf(stderr, "email: %s\n", line);
}

/* Claims up to EMAIL_BATCH due rows (see the top of this file). Returns
 * how many, -1 on a database error. */
static int claim(struct db_conn *c, struct claimed *out)
{
	static const char *const sql[] = {
		[DB_SQLITE] =
			"UPDATE email_queue SET status = 'sending', "
			"locked_until = ? WHERE id IN (SELECT id FROM "
			"email_queue WHERE (status = 'queued' AND "
			"next_attempt_at <= ?) OR (status = 'sending' AND "
			"locked_until <= ?) ORDER BY id LIMIT 10) "
			"RETURNING id, org_id, attempts, to_addr, subject, "
			"body_text, created_at",
		[DB_PG] =
			"UPDATE email_queue SET status = 'sending', "
			"locked_until = ? WHERE id IN (SELECT id FROM "
			"email_queue WHERE (status = 'queued' AND "
			"next_attempt_at <= ?) OR (status = 'sending' AND "
			"locked_until <= ?) ORDER BY id LIMIT 10 "
			"FOR UPDATE SKIP LOCKED) "
			"RETURNING id, org_id, attempts, to_addr, subject, "
			"body_text, created_at",
	};
	char now[ATR_TIME_LEN], lease[ATR_TIME_LEN];
	int64_t t = atr_now_ms();
	atr_time_iso(t, now);
	atr_time_iso(t + EMAIL_LEASE_MS, lease);
	if (db_begin(c) < 0)
		return -1;
	struct db_stmt *st = db_prepare(c, sql[db_conn_dialect(c)]);
	if (!st) {
		db_rollback(c);
		return -1;
	}
	db_bind_text(st, 1, lease);
	db_bind_text(st, 2, now);
	db_bind_text(st, 3, now);
	int n = 0, rc;
	while ((rc = db_step(st)) == 1 && n < EMAIL_BATCH) {
		struct claimed *e = &out[n++];
		e->id = db_col_int(st, 0);
		e->org = db_col_int(st, 1);
		e->attempts = db_col_int(st, 2);
		e->to = xstrdup(db_col_text(st, 3));
		e->subject = xstrdup(db_col_text(st, 4));
		e->body = xstrdup(db_col_text(st, 5));
		e->created_at = xstrdup(db_col_text(st, 6));
	}
	db_reset(st);
	if (rc < 0 || db_commit(c) < 0) {
		db_rollback(c);
		for (int i = 0; i < n; i++)
			claimed_free(&out[i]);
		return -1;
	}
	return n;
}

/* A random delay in [0, min(cap, base * 2^(attempt-1))] ms: exponential
 * backoff with full jitter. */
static int64_t backoff_ms(int64_t base, int64_t attempt)
{
	int64_t ceil = base;
	for (int64_t i = 1; i < attempt && ceil < EMAIL_BACKOFF_CAP_MS; i++)
		ceil *= 2;
	if (ceil > EMAIL_BACKOFF_CAP_MS)
		ceil = EMAIL_BACKOFF_CAP_MS;
	return (int64_t)randombytes_uniform((uint32_t)ceil + 1);
}

/* Writes the outcome of one claimed row. rc: 0 sent, -3 interrupted (put
 * back untouched), else failed. */
static void finish(struct db_conn *c, const struct claimed *e, int rc,
		   const struct email_result *res)
{
	char now[ATR_TIME_LEN];
	int64_t t = atr_now_ms();
	atr_now_iso(now);
	struct db_stmt *st;
	if (db_begin(c) < 0)
		goto dberr;
	if (rc == 0) {
		st = db_prepare(c, "UPDATE email_queue SET status = 'sent', "
				   "sent_at = ?, attempts = attempts + 1, "
				   "last_error = NULL, locked_until = NULL "
				   "WHERE id = ? AND status = 'sending'");
		if (!st)
			goto dberr;
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, e->id);
	} else if (rc == -3) {
		st = db_prepare(c, "UPDATE email_queue SET status = 'queued', "
				   "locked_until = NULL WHERE id = ? AND "
				   "status = 'sending'");
		if (!st)
			goto dberr;
		db_bind_int(st, 1, e->id);
	} else {
		int64_t max = 5, attempts = e->attempts + 1;
		settings_get_int(c, e->org, "max_attempts", &max);
		bool blocked = attempts >= max;
		char next[ATR_TIME_LEN];
		atr_time_iso(blocked ? t
				     : t + backoff_ms(worker.app->cfg
							      .email_retry_base_ms,
						      attempts),
			     next);
		st = db_prepare(c, "UPDATE email_queue SET status = ?, "
				   "attempts = ?, last_error = ?, "
				   "next_attempt_at = ?, locked_until = NULL "
				   "WHERE id = ? AND status = 'sending'");
		if (!st)
			goto dberr;
		db_bind_text(st, 1, blocked ? "blocked" : "queued");
		db_bind_int(st, 2, attempts);
		db_bind_text(st, 3, res->error);
		db_bind_text(st, 4, next);
		db_bind_int(st, 5, e->id);
		if (blocked)
			fprintf(stderr,
				"email: message %lld blocked after %lld "
				"attempts: %s\n",
				(long long)e->id, (long long)attempts,
				res->error);
	}
	int s = db_step(st);
	db_reset(st);
	if (s < 0 || db_commit(c) < 0)
		goto dberr;
	return;
dberr:
	worker_log("cannot record the outcome of message %lld: %s",
		   (long long)e->id, db_errmsg(c));
	db_rollback(c);
}

/* Sends one claimed row and records the outcome. */
static void deliver(struct db_conn *c, struct claimed *e)
{
	struct email_result res = {0};
	int rc;
	if (atomic_load(&email_stopping)) {
		finish(c, e, -3, &res);
		return;
	}
	struct atr_err err = {0};
	char *body = email_body_open(e->body, &err);
	if (!body) {
		snprintf(res.error, sizeof res.error, "%s", err.msg);
		finish(c, e, -1, &res);
		return;
	}
	char mid[200];
	const char *dom = "atrium.invalid";
	struct smtp_conf s;
	rc = smtp_conf_load(c, e->org, &s, &res);
	if (rc == 0) {
		const char *at = strchr(s.email, '@');
		dom = at ? at + 1 : dom;
		/* Stable across retries, unique per row: receivers
		 * de-duplicate on it. */
		char stamp[ATR_TIME_LEN] = "";
		size_t k = 0;
		for (const char *p = e->created_at; *p && k + 1 < sizeof stamp;
		     p++)
			if (*p >= '0' && *p <= '9')
				stamp[k++] = *p;
		stamp[k] = 0;
		snprintf(mid, sizeof mid, "<atrium.%lld.%lld.%s@%.100s>",
			 (long long)e->org, (long long)e->id, stamp, dom);
		struct email_msg m = {e->to, e->subject, body, mid,
				      e->created_at};
		size_t len = 0;
		char *msg = email_build_message(s.email, s.from_name, &m, &len,
						&err);
		if (!msg) {
			snprintf(res.error, sizeof res.error, "%s", err.msg);
			rc = -1;
		} else {
			rc = smtp_send(&s, e->to, msg, len, &res);
			sodium_memzero(msg, len);
			free(msg);
		}
		smtp_conf_wipe(&s);
	}
	email_body_free(body);
	if (rc == -1 || rc == -2)
		fprintf(stderr, "email: message %lld not sent (attempt %lld): "
				"%s\n",
			(long long)e->id, (long long)e->attempts + 1, res.error);
	finish(c, e, rc == -2 ? -1 : rc, &res);
}

/* One tick: claim and deliver. Returns the number of rows claimed. */
static int tick(int64_t *counts_at)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(worker.app->db, &err);
	if (!c) {
		worker_log("%s", err.msg);
		return 0;
	}
	int64_t now = atr_now_ms();
	if (now >= *counts_at) {
		int64_t counts[EMAIL_NSTATUS];
		if (email_queue_counts(c, 0, counts) == 0) {
			for (int i = 0; i < EMAIL_NSTATUS; i++)
				atomic_store(&worker.counts[i], counts[i]);
			atomic_store(&worker.counts_valid, true);
		}
		*counts_at = now + EMAIL_COUNTS_EVERY_MS;
	}
	struct claimed batch[EMAIL_BATCH];
	memset(batch, 0, sizeof batch);
	int n = claim(c, batch);
	if (n < 0)
		worker_log("cannot claim queued email: %s", db_errmsg(c));
	else if (n > 0)
		worker.last_log[0] = 0;
	for (int i = 0; i < n; i++) {
		deliver(c, &batch[i]);
		claimed_free(&batch[i]);
	}
	db_release(c);
	return n < 0 ? 0 : n;
}

#define HOUSEKEEPING_EVERY_MS (5 * 60 * 1000)

/* Every few minutes the worker also runs every module's housekeeping
 * (core/module.h), until the scheduler takes it over. */
static void housekeeping_tick(int64_t *last)
{
	int64_t now = atr_now_ms();
	if (now - *last < HOUSEKEEPING_EVERY_MS)
		return;
	*last = now;
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(worker.app->db, &err);
	if (!c)
		return;
	if (modules_housekeeping(worker.app, c) < 0)
		fprintf(stderr, "housekeeping: %s\n", db_errmsg(c));
	db_release(c);
}

static void *worker_main(void *arg)
{
	int64_t counts_at = 0, housekept_at = 0;
	for (;;) {
		pthread_mutex_lock(&worker.mu);
		bool stop = worker.stop;
		worker.wake = false;
		pthread_mutex_unlock(&worker.mu);
		if (stop)
			break;
		housekeeping_tick(&housekept_at);
		int n = tick(&counts_at);
		pthread_mutex_lock(&worker.mu);
		if (n < EMAIL_BATCH && !worker.stop && !worker.wake) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&worker.cv, &worker.mu, &ts);
		}
		pthread_mutex_unlock(&worker.mu);
	}
	return NULL;
}

int email_worker_start(struct app *app, struct atr_err *err)
{
	ATR_ASSERT(!worker.running);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot initialise libcurl");
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&worker.cv, &ca);
	pthread_condattr_destroy(&ca);
	worker.app = app;
	worker.stop = worker.wake = false;
	atomic_store(&email_stopping, false);
	if (pthread_create(&worker.thread, NULL, worker_main, NULL) != 0) {
		pthread_cond_destroy(&worker.cv);
		curl_global_cleanup();
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot start the email worker thread");
	}
	worker.running = true;
	return 0;
}

void email_worker_stop(void)
{
	if (!worker.running)
		return;
	atomic_store(&email_stopping, true);
	pthread_mutex_lock(&worker.mu);
	worker.stop = true;
	pthread_cond_signal(&worker.cv);
	pthread_mutex_unlock(&worker.mu);
	pthread_join(worker.thread, NULL);
	pthread_cond_destroy(&worker.cv);
	atomic_store(&worker.counts_valid, false);
	worker.running = false;
	curl_global_cleanup();
}

void email_worker_wake(void)
{
	if (!worker.running)
		return;
	pthread_mutex_lock(&worker.mu);
	worker.wake = true;
	pthread_cond_signal(&worker.cv);
	pthread_mutex_unlock(&worker.mu);
}

bool email_queue_counts_cached(int64_t counts[EMAIL_NSTATUS])
{
	if (!atomic_load(&worker.counts_valid))
		return false;
	for (int i = 0; i < EMAIL_NSTATUS; i++)
		counts[i] = atomic_load(&worker.counts[i]);
	return true;
}

