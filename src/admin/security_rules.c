/* security_rules.c — the checklist's pure rules (security.h): no database,
 * no clock, so tests/unit/test_security.c can walk every case. */
#include "atrium.h"

#include "admin/security.h"
#include "http/perm.h"

int64_t sec_next_due(int64_t last_done, int64_t since, int period_days)
{
	if (period_days <= 0)
		return -1;
	int64_t base = last_done >= 0 ? last_done : since;
	if (base < 0)
		base = 0;
	return base + (int64_t)period_days * SEC_DAY_MS;
}

enum sec_status sec_status_of(int64_t now, int64_t next_due, int64_t count,
			      bool findings_alert, bool na)
{
	if (na)
		return SEC_NA;
	if (next_due >= 0 && now >= next_due)
		return SEC_OVERDUE;
	if (findings_alert && count > 0)
		return next_due < 0 ? SEC_OVERDUE : SEC_ATTENTION;
	return SEC_OK;
}

unsigned sec_excess_bits(unsigned granted, unsigned tmpl)
{
	unsigned excess = granted & ~tmpl;
	if (tmpl & PB_VIEW)
		excess &= ~(unsigned)PB_VIEW_OWN;
	return excess;
}

void sec_ids_key(const int64_t *ids, int n, char out[17])
{
	uint64_t h = 1469598103934665603ULL;
	for (int i = 0; i < n; i++) {
		uint64_t v = (uint64_t)ids[i];
		for (int b = 0; b < 8; b++) {
			h ^= (v >> (8 * b)) & 0xff;
			h *= 1099511628211ULL;
		}
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}
