/* health.h — readiness: can this node serve its core reads right now?
 *
 * /readyz asks health_check, which answers from a probe at most a second
 * old. The probe runs on its own connection (never waiting behind
 * requests for a pooled one), bounded by short connect and statement
 * timeouts, and reads the first row of every table (and, on SQLite, of
 * every index): a few pages each, so it is cheap at any size, yet a
 * damaged root page or an unreachable server shows. A corruption error
 * seen by any request also makes the node unready until it restarts: a
 * damaged page does not heal, and the probe reads only the first pages.
 *
 * Threads: health_check is called by one thread at a time (the server's
 * probe worker).
 */
#ifndef ATR_HEALTH_H
#define ATR_HEALTH_H

#include "atrium.h"

struct health;
struct db;

/* Opens the probe's own connection pool (of one) to url; the probe waits
 * at most timeout_ms for the database. NULL with err when url is bad. */
struct health *health_open(const char *url, int timeout_ms,
			   struct atr_err *err);
void health_close(struct health *h);
/* 0 ready; -1 with the reason in err (ATR_E_UNAVAILABLE). */
int health_check(struct health *h, struct atr_err *err);

#endif
