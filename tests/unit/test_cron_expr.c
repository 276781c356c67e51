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
