/* test_record_retention.c — the record retention rules' pure parts
 * (src/gdpr/record_retention.c): the cutoff of "no activity for N days,
 * months or years" in calendar terms, and which entities a rule may name. */
#include "atrium.h"

#include "gdpr/record_retention.h"
#include "unit.h"

TEST(record_retention_cutoff)
{
	static const struct {
		const char *now;
		int64_t amount;
		const char *unit, *want;
	} cases[] = {
		{"2026-12-06T10:00:00.123Z", 30, "days", "2026-11-06T10:00:00.123Z"},
		{"2026-12-06T10:00:00.000Z", 3, "years", "2023-12-06T10:00:00.000Z"},
		{"2026-12-06T10:00:00.000Z", 18, "months", "2025-06-06T10:00:00.000Z"},
		/* the end of a longer month: the shorter month's last day */
		{"2026-03-31T08:00:00.000Z", 1, "months", "2026-02-28T08:00:00.000Z"},
		{"2024-03-31T08:00:00.000Z", 1, "months", "2024-02-29T08:00:00.000Z"},
		/* 29 February less a year */
		{"2024-02-29T00:00:00.000Z", 1, "years", "2023-02-28T00:00:00.000Z"},
		/* across the start of a year */
		{"2026-01-15T00:00:00.000Z", 13, "months", "2024-12-15T00:00:00.000Z"},
		{"2026-01-15T00:00:00.000Z", 100, "years", "1926-01-15T00:00:00.000Z"},
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(cases); i++) {
		char out[ATR_TIME_LEN];
		rr_cutoff(atr_iso_ms(cases[i].now), cases[i].amount,
			  cases[i].unit, out);
		CHECK_STR(out, cases[i].want);
	}
}

TEST(record_retention_offered)
{
	/* Nothing, and an entity without personal data, is never offered. */
	CHECK(!rr_entity_offered(NULL));
	CHECK(!rr_entity_offered(&entity_retention_rule));
}
