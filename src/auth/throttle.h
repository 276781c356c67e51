/* throttle.h — login failure counting, per account and per address.
 *
 * Counters live in the database (login_throttle), so every node of a
 * cluster sees the same state. After `threshold` failures within 15
 * minutes a key is blocked for 2, 4, 8 ... seconds, capped at 5 minutes:
 * guessing becomes slow, but an attacker cannot lock a victim out for long.
 * The second factor keeps its own counter per account (twofa.c), with a
 * day's window: a correct password neither clears nor resets it.
 */
#ifndef ATR_THROTTLE_H
#define ATR_THROTTLE_H

#include "atrium.h"

struct db_conn;

/* Seconds the key must still wait (0: go ahead), or -1 on error. */
int throttle_wait(struct db_conn *c, const char *key);
/* Counts a failure (inside a transaction). 0 or -1. */
int throttle_fail(struct db_conn *c, const char *key, int threshold);
/* The same with its own window, first and longest block (the second
 * factor's counter: a day, 30 s, 15 minutes); *failures gets the count in
 * the window, this one included. 0 or -1. */
int throttle_fail_ex(struct db_conn *c, const char *key, int threshold,
		     int64_t window_ms, int first_delay_s, int max_delay_s,
		     int64_t *failures);
/* Forgets the key's failures (inside a transaction). */
int throttle_clear(struct db_conn *c, const char *key);

#endif
