/* cron_expr.h — cron expressions for scheduled tasks: in UTC (cron_next:
 * the operator's tasks) or in a time zone (cron_next_in: an
 * organisation's schedules, in its own zone).
 *
 * Five fields, as in crontab(5): minute (0-59), hour (0-23), day of month
 * (1-31), month (1-12 or jan-dec), day of week (0-7 or sun-sat; 0 and 7
 * are Sunday). Each field is a comma-separated list of items: `*`, a
 * value, a range `a-b`, each optionally stepped `/n`. Names are case
 * insensitive. The macros @yearly (@annually), @monthly, @weekly, @daily
 * (@midnight) and @hourly stand for their usual expressions. When both the
 * day of month and the day of week are restricted (neither starts with
 * `*`), a day matches when either does, as Vixie cron does.
 */
#ifndef ATR_CRON_EXPR_H
#define ATR_CRON_EXPR_H

#include "atrium.h"

#define CRON_EXPR_MAX 200 /* longest expression accepted, in bytes */

struct cron_expr {
	uint64_t minute; /* bit n: minute n */
	uint32_t hour;
	uint32_t dom;    /* bit n: day n (1-31) */
	uint16_t month;  /* bit n: month n (1-12) */
	uint8_t dow;     /* bit n: weekday n (0 = Sunday .. 6) */
	bool dom_star, dow_star;
};

/* Parses s into e. 0, or -1 with the reason in why (n bytes). */
int cron_parse(const char *s, struct cron_expr *e, char *why, size_t n);
/* The first minute (epoch ms, UTC) strictly after after_ms that e
 * matches; -1 when none within eight years (a date that never comes, such
 * as 30 February). */
int64_t cron_next(const struct cron_expr *e, int64_t after_ms);
/* The same on the wall clock of zone (a tz database name; NULL or "UTC":
 * cron_next): the first instant strictly after after_ms whose local time
 * e matches. Across a change of the clocks, as Vixie cron does: a fixed
 * time of day runs once, a time shown twice (they go back) at its first
 * occurrence, a time they skip (they go forward) at the instant they
 * jump; an expression that runs every hour keeps running through the
 * hour shown twice. -1 when none, or for an unknown zone. */
int64_t cron_next_in(const struct cron_expr *e, const char *zone,
		     int64_t after_ms);

#endif
