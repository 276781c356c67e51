/* session_touch.h — a session's last_seen_at, written in batches.
 *
 * A request whose session was last seen more than a minute ago must move
 * last_seen_at (the idle limit is judged by it). Written there and then,
 * that is a write on the request's thread: on SQLite, reads are answered
 * on libmicrohttpd's I/O threads, and a write there waits for the single
 * writer (up to the busy timeout) while every other connection of that
 * thread waits too. So the request only records the touch here, in a
 * bounded table in memory, and a thread of the sessions module writes
 * every pending touch each TOUCH_FLUSH_MS in one transaction (one fsync
 * for all of them).
 *
 * What it costs: last_seen_at in the database lags by at most
 * TOUCH_FLUSH_MS (plus a failed flush's retry) on top of the minute's
 * grain; requests of this process do not see the lag (they add the pending
 * touch, session_touch_pending), other nodes on the same database may, for
 * that long, far inside the smallest idle limit (5 minutes). A crash loses
 * the touches of the last interval: those sessions look up to a minute
 * and TOUCH_FLUSH_MS older than they are. A touch never moves
 * last_seen_at back (the UPDATE only raises it).
 *
 * When the batcher does not run (commands other than serve, unit tests)
 * or its table is full, session_touch_record answers false and the caller
 * writes the touch itself, as before.
 */
#ifndef ATR_SESSION_TOUCH_H
#define ATR_SESSION_TOUCH_H

#include "atrium.h"

struct app;

#define TOUCH_FLUSH_MS 2000
/* Pending touches at most (sessions seen within one flush interval). */
#define TOUCH_MAX 4096

/* Records that session id was seen at at_ms. True when recorded; false
 * when the batcher is not running or full (write it yourself). */
bool session_touch_record(int64_t id, int64_t at_ms);
/* The time of session id's touch not yet written (recorded, or being
 * written), or 0: what a request adds to the stored last_seen_at, so the
 * idle limit and the session clock never see the lag. */
int64_t session_touch_pending(int64_t id);
/* Starts the flushing thread (the sessions module's start). 0 or -1. */
int session_touch_start(struct app *app, struct atr_err *err);
/* Stops it after a last flush (the sessions module's stop). */
void session_touch_stop(struct app *app);

#endif
