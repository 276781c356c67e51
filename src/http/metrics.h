/* metrics.h — Prometheus counters kept in memory, lock-free.
 *
 * Requests are counted per route and status, with a latency histogram per
 * route. Arrays are sized once from the route table; observe is a few
 * atomic adds.
 */
#ifndef ATR_METRICS_H
#define ATR_METRICS_H

#include "atrium.h"

struct app;
struct buf;
struct metrics;

struct metrics *metrics_new(int nroutes);
void metrics_free(struct metrics *m);
/* route < 0 means no route matched. */
void metrics_observe(struct metrics *m, int route, int status, double seconds);
/* Appends the exposition text (format 0.0.4) to out. */
void metrics_render(struct metrics *m, struct app *app, int64_t outbox,
		    struct buf *out);

#endif
