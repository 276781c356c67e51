/* test_gdpr.c — gdpr/gdpr.c: the legal deadline's date arithmetic. */
#include "atrium.h"

#include "gdpr/gdpr_int.h"
#include "unit.h"

static void add_ok(const char *date, int days, const char *want, int line)
{
	char out[11] = "";
	if (!gdpr_date_add(date, days, out)) {
		unit_failf(__FILE__, line, "gdpr_date_add(\"%s\", %d) refused",
			   date, days);
		return;
	}
	if (strcmp(out, want))
		unit_failf(__FILE__, line, "gdpr_date_add(\"%s\", %d) = %s, want %s",
			   date, days, out, want);
}

TEST(gdpr_deadline_dates)
{
	add_ok("2026-12-06", 30, "2027-01-05", __LINE__);     /* a year's end */
	add_ok("2028-02-01", 30, "2028-03-02", __LINE__);     /* leap February */
	add_ok("2027-02-01", 30, "2027-03-03", __LINE__);
	add_ok("2026-03-15", 30, "2026-04-14", __LINE__);     /* DST: UTC days */
	add_ok("1970-01-01", 30, "1970-01-31", __LINE__);     /* epoch 0 */
	add_ok("2026-12-06", -7, "2026-11-29", __LINE__);
	char out[11];
	CHECK(!gdpr_date_add("2026-02-30", 30, out));
	CHECK(!gdpr_date_add("06/12/2026", 30, out));
	CHECK(!gdpr_date_add("", 30, out));
	CHECK(!gdpr_date_add(NULL, 30, out));
}
