/* tz.c — time zones through ICU (see tz.h). Each call opens and closes
 * its own UCalendar: ICU's calendars are not shared between threads, the
 * zone data is, read-only. */
#include "atrium.h"

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "core/tz.h"

/* name as UTF-16 into u (cap units); false when it does not fit or is
 * not plain ASCII (every tz database name is). */
static bool to_uchars(const char *name, UChar *u, int32_t cap)
{
	size_t n = strlen(name);
	if (n == 0 || n >= (size_t)cap)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch < 0x21 || ch > 0x7e)
			return false;
	}
	u_charsToUChars(name, u, (int32_t)n + 1);
	return true;
}

bool tz_valid(const char *name, char *canonical, size_t n)
{
	UChar u[TZ_NAME_MAX], c[TZ_NAME_MAX];
	if (!name || !to_uchars(name, u, TZ_NAME_MAX))
		return false;
	UErrorCode st = U_ZERO_ERROR;
	UBool system = 0;
	int32_t len = ucal_getCanonicalTimeZoneID(u, -1, c, TZ_NAME_MAX,
						  &system, &st);
	if (U_FAILURE(st) || !system || len <= 0 || len >= TZ_NAME_MAX)
		return false;
	if (canonical) {
		if ((size_t)len >= n)
			return false;
		u_UCharsToChars(c, canonical, len);
		canonical[len] = 0;
	}
	return true;
}

/* A calendar in zone set to epoch_ms, or NULL (unknown zone). Caller
 * closes it with ucal_close. */
static UCalendar *cal_open(const char *zone, int64_t epoch_ms)
{
	UChar u[TZ_NAME_MAX];
	if (!tz_valid(zone, NULL, 0) || !to_uchars(zone, u, TZ_NAME_MAX))
		return NULL;
	UErrorCode st = U_ZERO_ERROR;
	UCalendar *cal = ucal_open(u, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
	if (U_FAILURE(st))
		return NULL;
	/* Proleptic Gregorian: the same calendar as the ISO dates we store. */
	ucal_setGregorianChange(cal, -8.64e15, &st);
	ucal_setMillis(cal, (UDate)epoch_ms, &st);
	if (U_FAILURE(st)) {
		ucal_close(cal);
		return NULL;
	}
	return cal;
}

/* Closes cal, with its instant in *out when st (and reading it) went
 * well. 0 or -1. */
static int cal_close_at(UCalendar *cal, UErrorCode st, int64_t *out)
{
	UDate d = ucal_getMillis(cal, &st);
	ucal_close(cal);
	if (U_FAILURE(st))
		return -1;
	*out = (int64_t)d;
	return 0;
}

int tz_local(const char *zone, int64_t epoch_ms, struct tz_local *out)
{
	UCalendar *cal = cal_open(zone, epoch_ms);
	if (!cal)
		return -1;
	UErrorCode st = U_ZERO_ERROR;
	out->year = ucal_get(cal, UCAL_EXTENDED_YEAR, &st);
	out->month = ucal_get(cal, UCAL_MONTH, &st) + 1;
	out->day = ucal_get(cal, UCAL_DATE, &st);
	out->hour = ucal_get(cal, UCAL_HOUR_OF_DAY, &st);
	out->minute = ucal_get(cal, UCAL_MINUTE, &st);
	out->second = ucal_get(cal, UCAL_SECOND, &st);
	int dow = ucal_get(cal, UCAL_DAY_OF_WEEK, &st); /* 1 Sunday */
	out->wday = dow == UCAL_SUNDAY ? 7 : dow - 1;
	out->offset_min = (ucal_get(cal, UCAL_ZONE_OFFSET, &st) +
			   ucal_get(cal, UCAL_DST_OFFSET, &st)) /
			  60000;
	ucal_close(cal);
	return U_FAILURE(st) ? -1 : 0;
}

/* Days since 1970-01-01: March-based years of 400-year eras, so leap
 * days fall at the end of each year. */
int64_t tz_days_from_civil(int year, int month, int day)
{
	int64_t y = (int64_t)year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int tz_days_between(const char *zone, int64_t a_ms, int64_t b_ms,
		    int64_t *out)
{
	struct tz_local a, b;
	if (tz_local(zone, a_ms, &a) < 0 || tz_local(zone, b_ms, &b) < 0)
		return -1;
	*out = tz_days_from_civil(b.year, b.month, b.day) -
	       tz_days_from_civil(a.year, a.month, a.day);
	return 0;
}

int tz_day_start(const char *zone, int64_t epoch_ms, int days, int64_t *out)
{
	UCalendar *cal = cal_open(zone, epoch_ms);
	if (!cal)
		return -1;
	UErrorCode st = U_ZERO_ERROR;
	/* Calendar arithmetic on the date, then the first instant of that
	 * day: midnight, or the first valid time when a change skips it. */
	ucal_add(cal, UCAL_DATE, days, &st);
	ucal_set(cal, UCAL_HOUR_OF_DAY, 0);
	ucal_set(cal, UCAL_MINUTE, 0);
	ucal_set(cal, UCAL_SECOND, 0);
	ucal_set(cal, UCAL_MILLISECOND, 0);
	return cal_close_at(cal, st, out);
}

int tz_instant(const char *zone, int year, int month, int day, int hour,
	       int minute, bool second, int64_t *out)
{
	UCalendar *cal = cal_open(zone, 0);
	if (!cal)
		return -1;
	UErrorCode st = U_ZERO_ERROR;
	ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME,
			  second ? UCAL_WALLTIME_LAST : UCAL_WALLTIME_FIRST);
	ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME,
			  UCAL_WALLTIME_NEXT_VALID);
	ucal_setDateTime(cal, year, month - 1, day, hour, minute, 0, &st);
	ucal_set(cal, UCAL_MILLISECOND, 0);
	return cal_close_at(cal, st, out);
}
