/* test_tz.c — core/tz.c: zone names checked against the tz database, the
 * local date of an instant, and day counts across the daylight-saving
 * changes of Europe/Bucharest (the last Sundays of March and October),
 * where a calendar day lasts 23 or 25 hours; and the password-age
 * decision (auth/password.h) that counts those days.
 */
#include "atrium.h"

#include "auth/password.h"
#include "core/l10n.h"
#include "core/tz.h"
#include "unit.h"

#define BUC "Europe/Bucharest"

TEST(tz_valid_knows_the_tz_database)
{
	char canon[TZ_NAME_MAX];
	CHECK(tz_valid("Europe/Bucharest", canon, sizeof canon));
	CHECK_STR(canon, "Europe/Bucharest");
	CHECK(tz_valid("UTC", NULL, 0));
	CHECK(tz_valid("America/New_York", NULL, 0));
	CHECK(!tz_valid("Europe/Bucuresti", NULL, 0));
	CHECK(!tz_valid("GMT+3", NULL, 0)); /* made up by ICU, not a zone */
	CHECK(!tz_valid("", NULL, 0));
	CHECK(!tz_valid("Europe/Bucharest\n", NULL, 0));
	CHECK(!tz_valid(NULL, NULL, 0));
}

TEST(tz_local_follows_daylight_saving)
{
	struct tz_local t;
	/* 2026-03-29 00:30Z: 02:30 EET, before the change at 03:00 local. */
	CHECK_EQ_INT(tz_local(BUC, atr_iso_ms("2026-03-29T00:30:00.000Z"), &t), 0);
	CHECK_EQ_INT(t.day, 29);
	CHECK_EQ_INT(t.hour, 2);
	CHECK_EQ_INT(t.offset_min, 120);
	CHECK_EQ_INT(t.wday, 7);
	/* 01:30Z: 04:30 EEST, after it. */
	CHECK_EQ_INT(tz_local(BUC, atr_iso_ms("2026-03-29T01:30:00.000Z"), &t), 0);
	CHECK_EQ_INT(t.hour, 4);
	CHECK_EQ_INT(t.offset_min, 180);
	/* 2026-10-24 21:30Z is already Sunday the 25th, 00:30 EEST. */
	CHECK_EQ_INT(tz_local(BUC, atr_iso_ms("2026-10-24T21:30:00.000Z"), &t), 0);
	CHECK_EQ_INT(t.month, 10);
	CHECK_EQ_INT(t.day, 25);
	CHECK_EQ_INT(t.hour, 0);
	CHECK_EQ_INT(tz_local("Nowhere/City", 0, &t), -1);
}

TEST(tz_day_start_across_the_changes)
{
	int64_t ms;
	char iso[ATR_TIME_LEN];
	int64_t noon_sat = atr_iso_ms("2026-03-28T10:00:00.000Z");
	CHECK_EQ_INT(tz_day_start(BUC, noon_sat, 0, &ms), 0);
	atr_time_iso(ms, iso);
	CHECK_STR(iso, "2026-03-27T22:00:00.000Z"); /* EET */
	CHECK_EQ_INT(tz_day_start(BUC, noon_sat, 1, &ms), 0);
	atr_time_iso(ms, iso);
	CHECK_STR(iso, "2026-03-28T22:00:00.000Z"); /* Sunday, still EET */
	CHECK_EQ_INT(tz_day_start(BUC, noon_sat, 2, &ms), 0);
	atr_time_iso(ms, iso);
	CHECK_STR(iso, "2026-03-29T21:00:00.000Z"); /* Monday, EEST */
	/* October: Sunday the 25th lasts 25 hours. */
	int64_t sun = atr_iso_ms("2026-10-25T10:00:00.000Z");
	CHECK_EQ_INT(tz_day_start(BUC, sun, 0, &ms), 0);
	atr_time_iso(ms, iso);
	CHECK_STR(iso, "2026-10-24T21:00:00.000Z");
	CHECK_EQ_INT(tz_day_start(BUC, sun, 1, &ms), 0);
	atr_time_iso(ms, iso);
	CHECK_STR(iso, "2026-10-25T22:00:00.000Z");
}

TEST(tz_days_between_counts_calendar_days)
{
	int64_t n;
	/* Saturday 12:00 local to Sunday 12:00 local in March: 23 hours,
	 * one calendar day. */
	CHECK_EQ_INT(tz_days_between(BUC, atr_iso_ms("2026-03-28T10:00:00.000Z"),
				     atr_iso_ms("2026-03-29T09:00:00.000Z"), &n), 0);
	CHECK_EQ_INT(n, 1);
	/* Saturday 23:30 local to Sunday 00:10 local: 40 minutes, a day. */
	CHECK_EQ_INT(tz_days_between(BUC, atr_iso_ms("2026-03-28T21:30:00.000Z"),
				     atr_iso_ms("2026-03-28T22:10:00.000Z"), &n), 0);
	CHECK_EQ_INT(n, 1);
	/* In UTC the same instants are the same day. */
	CHECK_EQ_INT(tz_days_between("UTC", atr_iso_ms("2026-03-28T21:30:00.000Z"),
				     atr_iso_ms("2026-03-28T22:10:00.000Z"), &n), 0);
	CHECK_EQ_INT(n, 0);
	/* October: Sunday 00:30 to Sunday 23:30 local is 24 hours and the
	 * same day. */
	CHECK_EQ_INT(tz_days_between(BUC, atr_iso_ms("2026-10-24T21:30:00.000Z"),
				     atr_iso_ms("2026-10-25T21:30:00.000Z"), &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(tz_days_between(BUC, atr_iso_ms("2026-10-25T21:30:00.000Z"),
				     atr_iso_ms("2026-10-24T21:30:00.000Z"), &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(tz_days_between(BUC, atr_iso_ms("2026-12-31T22:30:00.000Z"),
				     atr_iso_ms("2024-02-29T12:00:00.000Z"), &n), 0);
	CHECK_EQ_INT(n, -1037);
}

/* "Expires in 1 day", decided on the day of the March change: a password
 * changed at noon on Saturday is due at noon on Sunday, 23 hours later
 * (where counting 24-hour periods would still say no), and not at 23:59
 * on Saturday. In October, the 25-hour Sunday: changed at 00:30 on
 * Sunday, still valid at 23:30 the same Sunday (24 hours later, which a
 * 24-hour count calls a day), due from Monday. */
TEST(password_expiry_counts_days_in_the_zone)
{
	int64_t changed = atr_iso_ms("2026-03-28T10:00:00.000Z");
	CHECK(!password_expired(BUC, changed, 1,
				atr_iso_ms("2026-03-28T21:59:00.000Z")));
	CHECK(password_expired(BUC, changed, 1,
			       atr_iso_ms("2026-03-29T09:00:00.000Z")));
	/* ... where 24-hour periods say it is not. */
	CHECK(changed + 86400000 > atr_iso_ms("2026-03-29T09:00:00.000Z"));
	int64_t oct = atr_iso_ms("2026-10-24T21:30:00.000Z");
	CHECK(!password_expired(BUC, oct, 1,
				atr_iso_ms("2026-10-25T21:30:00.000Z")));
	CHECK(password_expired(BUC, oct, 1,
			       atr_iso_ms("2026-10-25T22:00:00.000Z")));
	/* A zone that cannot be read counts in UTC, never "never". */
	CHECK(password_expired("Nowhere/City", changed, 1,
			       atr_iso_ms("2026-03-30T00:00:00.000Z")));
}

/* Dates and amounts as the organisation writes them (PDF documents). */
TEST(l10n_formats_dates_and_numbers)
{
	struct l10n l = {0};
	snprintf(l.val[L10N_DATE_FORMAT], TZ_NAME_MAX, "DD.MM.YYYY");
	snprintf(l.val[L10N_THOUSANDS], TZ_NAME_MAX, "period");
	snprintf(l.val[L10N_DECIMAL], TZ_NAME_MAX, "comma");
	char out[64];
	l10n_format_date(&l, "2026-03-29", out, sizeof out);
	CHECK_STR(out, "29.03.2026");
	l10n_format_date(&l, "soon", out, sizeof out);
	CHECK_STR(out, "soon");
	l10n_format_number(&l, "-1234567.50", out, sizeof out);
	CHECK_STR(out, "-1.234.567,50");
	l10n_format_number(&l, "999.00", out, sizeof out);
	CHECK_STR(out, "999,00");
	snprintf(l.val[L10N_DATE_FORMAT], TZ_NAME_MAX, "MM/DD/YYYY");
	snprintf(l.val[L10N_THOUSANDS], TZ_NAME_MAX, "comma");
	snprintf(l.val[L10N_DECIMAL], TZ_NAME_MAX, "period");
	l10n_format_date(&l, "2026-03-09", out, sizeof out);
	CHECK_STR(out, "03/09/2026");
	l10n_format_number(&l, "1000", out, sizeof out);
	CHECK_STR(out, "1,000");
	snprintf(l.val[L10N_THOUSANDS], TZ_NAME_MAX, "space");
	l10n_format_number(&l, "12345.6", out, sizeof out);
	CHECK_STR(out, "12\u00a0345.6");
}
