/* log.h — the server's log: one time-stamped line per event on standard
 * error, and a limiter for lines that repeat during an outage.
 *
 * Usage:
 *   atr_log("email: %s", msg);
 *   static struct atr_log_limit lim = ATR_LOG_LIMIT_INIT(10);
 *   atr_log_limited(&lim, "error request_id=%s: %s", id, msg);
 *
 * Every line is one line: newlines, tabs and other control characters in
 * the message become spaces (libpq and SQLite messages end in newlines).
 * Threads: both functions may be called from any thread.
 */
#ifndef ATR_LOG_H
#define ATR_LOG_H

#include "atrium.h"

#include <pthread.h>

/* Lines through one limiter go out at most once per window; the others
 * are counted, and the next line that goes out says how many were
 * dropped. */
struct atr_log_limit {
	pthread_mutex_t mu;
	int64_t window_ns;
	int64_t last_ns; /* when the last line went out; 0: never */
	uint64_t suppressed;
};

#define ATR_LOG_LIMIT_INIT(seconds)                                            \
	{PTHREAD_MUTEX_INITIALIZER, (int64_t)(seconds) * 1000000000, 0, 0}

/* Writes "<ISO time> <message>\n" to standard error. */
void atr_log(const char *fmt, ...) ATR_PRINTF(1, 2);
/* Like atr_log, unless a line went out through l less than its window ago:
 * then the line is only counted. Returns true when it was written. */
bool atr_log_limited(struct atr_log_limit *l, const char *fmt, ...)
	ATR_PRINTF(2, 3);

/* A sink sees every line atr_log and atr_log_limited write (not those
 * the limiter only counts), with the request id of the request this
 * thread is answering (atr_log_request), or NULL outside a request. It
 * runs on the logging thread and must not block or log. One per process,
 * set by a module's start (the system log); NULL for none. */
typedef void (*atr_log_sink)(const char *request_id, const char *line);
void atr_log_set_sink(atr_log_sink fn);
/* The request this thread answers from now on (the pipeline, at a
 * request's start), or NULL when it ends. The caller keeps it alive. */
void atr_log_request(const char *request_id);

#endif
