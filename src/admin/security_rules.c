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
			      int64_t due_count, bool findings_alert, bool na)
{
	if (na)
		return SEC_NA;
	if (next_due >= 0 && now >= next_due)
		return SEC_OVERDUE;
	if (next_due < 0 && findings_alert && due_count > 0)
		return SEC_OVERDUE;
	if (findings_alert && count > 0)
		return SEC_ATTENTION;
	return SEC_OK;
}

unsigned sec_excess_bits(unsigned granted, unsigned tmpl)
{
	unsigned excess = granted & ~tmpl;
	if (tmpl & PB_VIEW)
		excess &= ~(unsigned)PB_VIEW_OWN;
	return excess;
}

void sec_ids_key(const int64_t *ids, int n, char *out, size_t size)
{
	size_t o = (size_t)snprintf(out, size, "ids:");
	for (int i = 0; i < n && o < size; i++) {
		char one[24];
		int w = snprintf(one, sizeof one, "%s%lld", i ? "," : "",
				 (long long)ids[i]);
		if (w < 0 || o + (size_t)w >= size)
			break;
		memcpy(out + o, one, (size_t)w + 1);
		o += (size_t)w;
	}
}

/* Whether id is one of the comma-separated list (after "ids:"). */
static bool listed(const char *list, long long id)
{
	for (const char *p = list; *p;) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p)
			return false;
		if (v == id)
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}

bool sec_notice_due(const char *told, const char *key)
{
	if (!told || !*told)
		return true;
	if (strncmp(key, "ids:", 4) || strncmp(told, "ids:", 4))
		return strcmp(told, key) != 0;
	for (const char *p = key + 4; *p;) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p)
			break;
		if (!listed(told + 4, v))
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}
