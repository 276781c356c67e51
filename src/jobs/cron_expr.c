/* cron_expr.c — parsing cron expressions and finding their next time. */
#include "atrium.h"

#include <ctype.h>
#include <strings.h>
#include <time.h>

#include "core/tz.h"
#include "jobs/cron_expr.h"

struct field_def {
	const char *name;
	int lo, hi;
	const char *const *names; /* names[i] is value lo + i */
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr",
					  "may", "jun", "jul", "aug",
					  "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu",
					"fri", "sat", NULL};

static const struct field_def fields[5] = {
	{"minute", 0, 59, NULL},
	{"hour", 0, 23, NULL},
	{"day of month", 1, 31, NULL},
	{"month", 1, 12, month_names},
	{"day of week", 0, 7, dow_names},
};

static const struct {
	const char *macro, *expr;
} macros[] = {
	{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

/* Reads a number or a name of f at *p. 0 or -1. */
static int value(const struct field_def *f, const char **p, int *out)
{
	const char *s = *p;
	if (isdigit((unsigned char)*s)) {
		int v = 0, digits = 0;
		while (isdigit((unsigned char)*s) && digits < 3) {
			v = v * 10 + (*s++ - '0');
			digits++;
		}
		if (isdigit((unsigned char)*s))
			return -1;
		*out = v;
		*p = s;
		return 0;
	}
	for (int i = 0; f->names && f->names[i]; i++)
		if (!strncasecmp(s, f->names[i], 3) &&
		    !isalpha((unsigned char)s[3])) {
			*out = f->lo + i;
			*p = s + 3;
			return 0;
		}
	return -1;
}

/* Parses one field (text from s to end) into the bit set *bits. */
static int field(const struct field_def *f, const char *s, const char *end,
		 uint64_t *bits, char *why, size_t n)
{
	*bits = 0;
	const char *p = s;
	for (;;) {
		int a, b, step = 1;
		if (*p == '*') {
			a = f->lo;
			b = f->hi;
			p++;
		} else {
			if (value(f, &p, &a) < 0)
				goto bad;
			b = a;
			if (*p == '-') {
				p++;
				if (value(f, &p, &b) < 0)
					goto bad;
			}
		}
		if (*p == '/') {
			p++;
			const char *q = p;
			int st = 0;
			while (p < end && isdigit((unsigned char)*p) &&
			       p - q < 3)
				st = st * 10 + (*p++ - '0');
			if (p == q || (p < end && isdigit((unsigned char)*p)))
				goto bad;
			if (st < 1 || st > f->hi - f->lo) {
				snprintf(why, n, "%s: step %d is out of range "
						 "1-%d",
					 f->name, st, f->hi - f->lo);
				return -1;
			}
			step = st;
			if (a == b && q[-2] != '*')
				b = f->hi; /* "5/15": from 5 to the end */
		}
		if (a < f->lo || b > f->hi || a > b) {
			snprintf(why, n, "%s: %d-%d is out of range %d-%d",
				 f->name, a, b, f->lo, f->hi);
			return -1;
		}
		for (int v = a; v <= b; v += step)
			*bits |= 1ULL << v;
		if (p == end)
			return 0;
		if (*p != ',')
			goto bad;
		p++;
	}
bad:
	snprintf(why, n, "%s: cannot read '%.*s'", f->name,
		 (int)(end - s > 40 ? 40 : end - s), s);
	return -1;
}

/* Parses s into e: 0, or -1 with the reason in why. */
int cron_parse(const char *s, struct cron_expr *e, char *why, size_t n)
{
	memset(e, 0, sizeof *e);
	if (!s || strlen(s) > CRON_EXPR_MAX) {
		snprintf(why, n, "the expression is empty or too long");
		return -1;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '@') {
		size_t len = strcspn(s, " \t\r\n");
		const char *rest = s + len;
		while (isspace((unsigned char)*rest))
			rest++;
		for (size_t i = 0; i < ATR_ARRAY_LEN(macros); i++)
			if (strlen(macros[i].macro) == len &&
			    !strncasecmp(s, macros[i].macro, len) && !*rest)
				return cron_parse(macros[i].expr, e, why, n);
		snprintf(why, n, "unknown macro '%.*s'",
			 (int)(len > 20 ? 20 : len), s);
		return -1;
	}
	uint64_t bits[5];
	const char *p = s;
	for (int i = 0; i < 5; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *end = p;
		while (*end && !isspace((unsigned char)*end))
			end++;
		if (end == p) {
			snprintf(why, n, "expected five fields, found %d", i);
			return -1;
		}
		if (field(&fields[i], p, end, &bits[i], why, n) < 0)
			return -1;
		if (i == 2)
			e->dom_star = *p == '*';
		if (i == 4)
			e->dow_star = *p == '*';
		p = end;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p) {
		snprintf(why, n, "more than five fields");
		return -1;
	}
	e->minute = bits[0];
	e->hour = (uint32_t)bits[1];
	e->dom = (uint32_t)bits[2];
	e->month = (uint16_t)bits[3];
	/* 7 is Sunday too. */
	e->dow = (uint8_t)((bits[4] & 0x7f) | (bits[4] >> 7 & 1));
	return 0;
}

static bool day_matches(const struct cron_expr *e, const struct tm *tm)
{
	bool dom = e->dom >> tm->tm_mday & 1, dow = e->dow >> tm->tm_wday & 1;
	if (e->dom_star || e->dow_star)
		return dom && dow;
	return dom || dow;
}

/* The first matching minute after after_ms (epoch ms), or -1: walks
 * month, day, hour, minute, skipping whole units that cannot match. */
int64_t cron_next(const struct cron_expr *e, int64_t after_ms)
{
	if (!e->minute || !e->hour || !e->dom || !e->month || !e->dow)
		return -1;
	time_t t = (time_t)(after_ms / 60000 + 1) * 60; /* the next minute */
	time_t limit = t + (time_t)8 * 366 * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	while (t <= limit) {
		if (!(e->month >> (tm.tm_mon + 1) & 1)) {
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = tm.tm_min = 0;
		} else if (!day_matches(e, &tm)) {
			tm.tm_mday++;
			tm.tm_hour = tm.tm_min = 0;
		} else if (!(e->hour >> tm.tm_hour & 1)) {
			tm.tm_hour++;
			tm.tm_min = 0;
		} else if (!(e->minute >> tm.tm_min & 1)) {
			tm.tm_min++;
		} else {
			return (int64_t)t * 1000;
		}
		tm.tm_sec = 0;
		t = timegm(&tm); /* normalises, and sets tm_wday */
		gmtime_r(&t, &tm);
	}
	return -1;
}

/* The wall clock of an instant in zone, read as if it were UTC (the
 * calendar is the same), and the zone's offset then (minutes). */
static int wall_of(const char *zone, int64_t at, int64_t *wall, int *offset)
{
	struct tz_local l;
	if (tz_local(zone, at, &l) < 0)
		return -1;
	int64_t ms = at % 1000;
	if (ms < 0)
		ms += 1000;
	*wall = tz_days_from_civil(l.year, l.month, l.day) * 86400000 +
		(int64_t)l.hour * 3600000 + (int64_t)l.minute * 60000 +
		(int64_t)l.second * 1000 + ms;
	*offset = l.offset_min;
	return 0;
}

/* The first local time e matches after wall, placed on the real timeline
 * (the second occurrence of a time shown twice when `second`, else the
 * first), that is after after_ms and before before_ms (0: no bound).
 * Candidates at or before after_ms are passed over: a time in the hour
 * the clocks repeat, or a skipped time that folds onto the jump already
 * run. The instant, 0 when it would not come before before_ms, -1 when
 * never or on an error. */
static int64_t search(const struct cron_expr *e, const char *zone, int64_t wall,
		      bool second, int64_t after_ms, int64_t before_ms)
{
	/* A repeated hour holds at most 60 minutes that fold back; the bound
	 * only stops a zone whose data would loop. */
	for (int i = 0; i < 4 * 60; i++) {
		int64_t cand = cron_next(e, wall);
		if (cand < 0)
			return -1;
		time_t t = (time_t)(cand / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		int64_t at;
		if (tz_instant(zone, tm.tm_year + 1900, tm.tm_mon + 1,
			       tm.tm_mday, tm.tm_hour, tm.tm_min, second,
			       &at) < 0)
			return -1;
		if (before_ms && at >= before_ms)
			return 0;
		if (at > after_ms)
			return at;
		wall = cand;
	}
	return -1;
}

/* Local times are searched on the wall clock, then placed on the real
 * timeline. An expression that runs every hour follows the real clock
 * through an hour shown twice: when the clocks go back between after_ms
 * and the next run found, the repeated hour's second pass is searched
 * too, as the wall clock reads then (d minutes behind). */
int64_t cron_next_in(const struct cron_expr *e, const char *zone,
		     int64_t after_ms)
{
	if (!zone || !strcmp(zone, "UTC"))
		return cron_next(e, after_ms);
	int64_t wall, wall_next;
	int off, off_next;
	if (wall_of(zone, after_ms, &wall, &off) < 0)
		return -1;
	bool every_hour = e->hour == 0xffffffu; /* bits 0-23 */
	int64_t next = search(e, zone, wall, false, after_ms, 0);
	if (every_hour && next > 0) {
		/* after_ms itself may be in the second pass */
		int64_t again = search(e, zone, wall, true, after_ms, next);
		if (again != 0)
			return again;
	}
	if (!every_hour || next <= 0 ||
	    wall_of(zone, next, &wall_next, &off_next) < 0 || off_next >= off)
		return next;
	int64_t d = (int64_t)(off - off_next) * 60000;
	int64_t back = search(e, zone, wall - d, true, after_ms, next);
	return back > 0 ? back : next;
}
