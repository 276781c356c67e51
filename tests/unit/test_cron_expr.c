/* test_cron_expr.c — cron expressions (src/jobs/cron_expr.c): what is
 * accepted and refused, and the next time of each. */
#include "atrium.h"

#include "jobs/cron_expr.h"
#include "unit.h"

/* The next time after `after` (ISO) as ISO, or "none". */
static const char *next_of(const char *expr, const char *after, char *buf)
{
	struct cron_expr e;
	char why[128];
	if (cron_parse(expr, &e, why, sizeof why) != 0) {
		FAILF("cron_parse(%s): %s", expr, why);
		return "unparsed";
	}
	int64_t t = cron_next(&e, atr_iso_ms(after));
	if (t < 0)
		return "none";
	atr_time_iso(t, buf);
	return buf;
}

TEST(cron_expr_next)
{
	char b[ATR_TIME_LEN];
	static const struct {
		const char *expr, *after, *want;
	} cases[] = {
		{"* * * * *", "2026-01-01T00:00:30.000Z",
		 "2026-01-01T00:01:00.000Z"},
		/* strictly after: a time on the minute moves on */
		{"* * * * *", "2026-01-01T00:01:00.000Z",
		 "2026-01-01T00:02:00.000Z"},
		{"*/15 * * * *", "2026-01-01T00:00:30.000Z",
		 "2026-01-01T00:15:00.000Z"},
		{"0 3 * * *", "2026-01-01T03:00:00.000Z",
		 "2026-01-02T03:00:00.000Z"},
		{"30 23 31 12 *", "2026-06-01T00:00:00.000Z",
		 "2026-12-31T23:30:00.000Z"},
		/* the next 29 February */
		{"0 0 29 2 *", "2026-03-01T00:00:00.000Z",
		 "2028-02-29T00:00:00.000Z"},
		/* a day that never comes */
		{"0 0 30 2 *", "2026-01-01T00:00:00.000Z", "none"},
		/* day of month OR day of week (Vixie): 13th or a Friday;
		 * 2026-02-06 is a Friday */
		{"0 0 13 * fri", "2026-02-01T00:00:00.000Z",
		 "2026-02-06T00:00:00.000Z"},
		/* both restricted by '*' steps: AND */
		{"0 0 */2 * 1", "2026-02-01T00:00:00.000Z",
		 "2026-02-09T00:00:00.000Z"},
		/* 7 is Sunday; 2026-01-04 is a Sunday */
		{"0 12 * * 7", "2026-01-01T00:00:00.000Z",
		 "2026-01-04T12:00:00.000Z"},
		{"0 9-17/4 * jan-mar mon-fri", "2026-01-03T00:00:00.000Z",
		 "2026-01-05T09:00:00.000Z"},
		{"5/20 * * * *", "2026-01-01T00:06:00.000Z",
		 "2026-01-01T00:25:00.000Z"},
		{"0,30 1 1 1,7 *", "2026-01-01T01:10:00.000Z",
		 "2026-01-01T01:30:00.000Z"},
		{"@hourly", "2026-01-01T00:59:59.999Z",
		 "2026-01-01T01:00:00.000Z"},
		{"@daily", "2026-01-01T00:00:00.000Z",
		 "2026-01-02T00:00:00.000Z"},
		{"@weekly", "2026-01-01T00:00:00.000Z",
		 "2026-01-04T00:00:00.000Z"},
		{"@monthly", "2026-01-15T00:00:00.000Z",
		 "2026-02-01T00:00:00.000Z"},
		{"@yearly", "2026-01-15T00:00:00.000Z",
		 "2027-01-01T00:00:00.000Z"},
		{"  1   2 3 4 5  ", "2026-01-01T00:00:00.000Z",
		 "2026-04-03T02:01:00.000Z"},
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(cases); i++) {
		const char *got = next_of(cases[i].expr, cases[i].after, b);
		if (strcmp(got, cases[i].want))
			FAILF("'%s' after %s: %s, want %s", cases[i].expr,
			      cases[i].after, got, cases[i].want);
	}
}

/* In a zone: the organisation's wall clock, across both changes of the
 * clocks. Europe/Bucharest in 2026: +2 in winter, +3 from 29 March 01:00Z
 * (03:00 local jumps to 04:00) to 25 October 01:00Z (04:00 local goes
 * back to 03:00, so 03:00-03:59 is shown twice: 00:00Z-00:59Z, then
 * 01:00Z-01:59Z). */
TEST(cron_expr_next_in_zone)
{
	static const struct {
		const char *expr, *zone, *after, *want;
	} cases[] = {
	    {"0 7 * * *", "Europe/Bucharest", "2026-01-10T12:00:00.000Z",
	     "2026-01-11T05:00:00.000Z"},
	    {"0 7 * * *", "Europe/Bucharest", "2026-07-10T12:00:00.000Z",
	     "2026-07-11T04:00:00.000Z"},
	    /* strictly after, also on the minute */
	    {"0 7 * * *", "Europe/Bucharest", "2026-07-11T04:00:00.000Z",
	     "2026-07-12T04:00:00.000Z"},
	    /* Monday 07:00 in New York (-5 in winter) */
	    {"0 7 * * 1", "America/New_York", "2026-01-01T00:00:00.000Z",
	     "2026-01-05T12:00:00.000Z"},
	    /* a day boundary: 23:30 on the 31st local is the 31st 21:30Z */
	    {"30 23 31 12 *", "Europe/Bucharest", "2026-06-01T00:00:00.000Z",
	     "2026-12-31T21:30:00.000Z"},
	    /* UTC and no zone: cron_next */
	    {"0 7 * * *", "UTC", "2026-01-10T12:00:00.000Z",
	     "2026-01-11T07:00:00.000Z"},
	    /* spring: 03:30 does not exist on the 29th; it runs when the
	     * clocks jump (04:00 local), then at 03:30 the next day */
	    {"30 3 * * *", "Europe/Bucharest", "2026-03-28T12:00:00.000Z",
	     "2026-03-29T01:00:00.000Z"},
	    {"30 3 * * *", "Europe/Bucharest", "2026-03-29T01:00:00.000Z",
	     "2026-03-30T00:30:00.000Z"},
	    /* every minute: 02:59 local, then the jump, then 04:01 */
	    {"* * * * *", "Europe/Bucharest", "2026-03-29T00:58:00.000Z",
	     "2026-03-29T00:59:00.000Z"},
	    {"* * * * *", "Europe/Bucharest", "2026-03-29T00:59:00.000Z",
	     "2026-03-29T01:00:00.000Z"},
	    {"* * * * *", "Europe/Bucharest", "2026-03-29T01:00:00.000Z",
	     "2026-03-29T01:01:00.000Z"},
	    /* autumn: 03:30 is shown twice and runs at the first */
	    {"30 3 * * *", "Europe/Bucharest", "2026-10-24T12:00:00.000Z",
	     "2026-10-25T00:30:00.000Z"},
	    {"30 3 * * *", "Europe/Bucharest", "2026-10-25T00:30:00.000Z",
	     "2026-10-26T01:30:00.000Z"},
	    /* a fixed hour (03:00) once; 04:00 local is 02:00Z */
	    {"0 3,4 * * *", "Europe/Bucharest", "2026-10-25T00:00:00.000Z",
	     "2026-10-25T02:00:00.000Z"},
	    /* every hour runs through both passes of the repeated hour */
	    {"0 * * * *", "Europe/Bucharest", "2026-10-25T00:00:00.000Z",
	     "2026-10-25T01:00:00.000Z"},
	    {"0 * * * *", "Europe/Bucharest", "2026-10-25T01:00:00.000Z",
	     "2026-10-25T02:00:00.000Z"},
	    {"* * * * *", "Europe/Bucharest", "2026-10-25T01:10:00.000Z",
	     "2026-10-25T01:11:00.000Z"},
	    {"* * * * *", "Europe/Bucharest", "2026-10-25T00:59:00.000Z",
	     "2026-10-25T01:00:00.000Z"},
	    /* a day that never comes */
	    {"0 0 30 2 *", "Europe/Bucharest", "2026-01-01T00:00:00.000Z",
	     "none"},
	};
	char b[ATR_TIME_LEN];
	for (size_t i = 0; i < ATR_ARRAY_LEN(cases); i++) {
		struct cron_expr e;
		char why[128];
		if (cron_parse(cases[i].expr, &e, why, sizeof why) != 0) {
			FAILF("cron_parse(%s): %s", cases[i].expr, why);
			continue;
		}
		int64_t t =
		    cron_next_in(&e, cases[i].zone, atr_iso_ms(cases[i].after));
		const char *got = "none";
		if (t >= 0) {
			atr_time_iso(t, b);
			got = b;
		}
		if (strcmp(got, cases[i].want))
			FAILF("'%s' in %s after %s: %s, want %s", cases[i].expr,
			      cases[i].zone, cases[i].after, got,
			      cases[i].want);
	}
	struct cron_expr e;
	char why[128];
	CHECK(cron_parse("0 7 * * *", &e, why, sizeof why) == 0);
	CHECK(cron_next_in(&e, "Mars/Olympus", 0) == -1);
	CHECK(cron_next_in(&e, NULL, atr_iso_ms("2026-01-10T12:00:00.000Z")) ==
	      atr_iso_ms("2026-01-11T07:00:00.000Z"));
}

TEST(cron_expr_refused)
{
	static const struct {
		const char *expr, *why;
	} bad[] = {
		{"", "five fields"},
		{"* * * *", "five fields"},
		{"* * * * * *", "more than five"},
		{"60 * * * *", "minute"},
		{"* 24 * * *", "hour"},
		{"* * 0 * *", "day of month"},
		{"* * 32 * *", "day of month"},
		{"* * * 13 *", "month"},
		{"* * * 0 *", "month"},
		{"* * * * 8", "day of week"},
		{"*/0 * * * *", "minute"},
		{"*/100 * * * *", "minute"},
		{"5-1 * * * *", "minute"},
		{"1-2-3 * * * *", "minute"},
		{"a * * * *", "minute"},
		{"1,,2 * * * *", "minute"},
		{"1, * * * *", "minute"},
		{"* * * foo *", "month"},
		{"* * * janx *", "month"},
		{"* * * * sund", "day of week"},
		{"0001 * * * *", "minute"},
		{"@often", "unknown macro"},
		{"@daily extra", "unknown macro"},
		{"- * * * *", "minute"},
		{"/5 * * * *", "minute"},
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(bad); i++) {
		struct cron_expr e;
		char why[128] = "";
		if (cron_parse(bad[i].expr, &e, why, sizeof why) == 0)
			FAILF("'%s' was accepted", bad[i].expr);
		else
			CHECK_CONTAINS(why, bad[i].why);
	}
	char *big = xmalloc(CRON_EXPR_MAX + 10);
	memset(big, ' ', CRON_EXPR_MAX + 9);
	big[CRON_EXPR_MAX + 9] = 0;
	big[0] = '*';
	struct cron_expr e;
	char why[128];
	CHECK_EQ_INT(cron_parse(big, &e, why, sizeof why), -1);
	CHECK_CONTAINS(why, "too long");
	free(big);
	CHECK_EQ_INT(cron_parse(NULL, &e, why, sizeof why), -1);
}
