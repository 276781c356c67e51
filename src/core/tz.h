/* tz.h — time zones: checking an IANA zone name, and the calendar date
 * and time of an instant in a zone (ICU's ucal_*, which is thread-safe
 * because each call opens its own calendar; never setenv("TZ") in the
 * threaded server).
 *
 * Date-based work ("due today", "expires in N days", "no sign-in for N
 * days") counts calendar days in the organisation's zone with these, not
 * multiples of 24 hours: a day across a daylight-saving change lasts 23
 * or 25 hours. The organisation's zone is the `timezone` setting
 * (localization module, src/admin/localization.c: l10n_org_zone).
 */
#ifndef ATR_TZ_H
#define ATR_TZ_H

#include "atrium.h"

#define TZ_NAME_MAX 64

/* The local calendar fields of an instant in a zone. */
struct tz_local {
	int year, month, day; /* month 1-12 */
	int hour, minute, second;
	int wday;             /* 1 Monday .. 7 Sunday (ISO 8601) */
	int offset_min;       /* zone offset from UTC at that instant */
};

/* True when name is a time zone of the tz database ("Europe/Bucharest",
 * "UTC"), not an alias ICU makes up ("GMT+3") nor an unknown name. When
 * canonical is not NULL it gets the canonical name (at most n-1 bytes). */
bool tz_valid(const char *name, char *canonical, size_t n);

/* The local date and time of epoch_ms in zone. 0, or -1 for an unknown
 * zone. */
int tz_local(const char *zone, int64_t epoch_ms, struct tz_local *out);

/* Calendar days from the local date of a_ms to that of b_ms in zone
 * (negative when b is earlier). 0 or -1. */
int tz_days_between(const char *zone, int64_t a_ms, int64_t b_ms,
		    int64_t *out);

/* The instant the local day starts that is `days` calendar days after
 * the local date of epoch_ms in zone (days may be negative; 0: today's
 * start). 0 or -1. */
int tz_day_start(const char *zone, int64_t epoch_ms, int days, int64_t *out);

/* The instant a zone's clocks show the given local date and time (month
 * 1-12, seconds 0). A time the clocks show twice (when they go back) is
 * its first occurrence, or its second when `second` is set; a time they
 * skip (when they go forward) is the instant they jump, the first valid
 * time after it. 0, or -1 for an unknown zone or a date ICU refuses. */
int tz_instant(const char *zone, int year, int month, int day, int hour,
	       int minute, bool second, int64_t *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (no zone). */
int64_t tz_days_from_civil(int year, int month, int day);

#endif
