/* session_guess.h — one round trip for a session's reads on PostgreSQL.
 *
 * A read request (GET, HEAD) on PostgreSQL whose session this node has
 * looked up before runs on the principal it found then (a guess), and the
 * session's lookup is sent in the same round trip as the request's first
 * read (db_guard_set, db/db.h). The guard's check reads the session and
 * grants as a fresh lookup would and compares them with the guess: the
 * read's answer stands only if they match (and the session is neither
 * expired nor idle); otherwise the guess is dropped and the pipeline runs
 * the request again with a real lookup (http/pipeline.c). Nothing is
 * written and nothing answered before the check: db_begin, db_exec and
 * the pipeline's answer run a pending guard first. The cache holds at most
 * GUESS_SLOTS principals (a newer session takes an older one's slot); it
 * is never trusted, only checked, so no invalidation crosses nodes.
 * docs/internals/round-trips.md has the measurements.
 */
#ifndef ATR_SESSION_GUESS_H
#define ATR_SESSION_GUESS_H

#include "atrium.h"

#include "http/http.h"

struct db_conn;
struct db_stmt;

/* Fills w from the session lookup st (its first step returned rc) and the
 * grants statement (first step grc), and *suspended from the status of the
 * session's organisation (and w->operator_org from its kind): 1 a live session,
 * 0 none, -1 a database error. Resets neither statement. */
int session_row_read(struct db_stmt *st, int rc, struct db_stmt *grants,
		     int grc, struct principal *w, bool *suspended);

/* True when r may run on a guess: a read on PostgreSQL, not a repeat. */
bool session_guess_allowed(const struct req *r, struct db_conn *c);
/* Copies the principal last seen for the session hash into out: true
 * when there is one (not expired). */
bool session_guess_get(const char *hash, struct principal *out);
/* Remembers who as the session hash's principal. */
void session_guess_put(const char *hash, const struct principal *who);
/* Sets the guard on c that checks r's guessed principal with st (the
 * session lookup, bound) and grants (bound) in the next read's round
 * trip. */
void session_guess_guard(struct req *r, struct db_conn *c, const char *hash,
			 struct db_stmt *st, struct db_stmt *grants);

/* The guesses' counters for /metrics (the sessions module's). */
struct app;
struct buf;
void session_guess_metrics(struct app *app, struct buf *out);

#endif
