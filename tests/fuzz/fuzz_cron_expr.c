/* fuzz_cron_expr.c — libFuzzer harness for jobs/cron_expr.c.
 *
 * The input is an expression, copied into a buffer of exactly its length
 * plus the NUL, so a read past the terminator is caught by ASan. When the
 * parser accepts, every field has at least one value and the next time
 * after a few fixed instants is strictly later, on a whole minute, and
 * matches again from one minute earlier (or there is none within the
 * bound). When it refuses, it says why.
 *
 *   make build/fuzz/fuzz_cron_expr
 *   build/fuzz/fuzz_cron_expr tests/fuzz/corpus/cron_expr   (mutates it!)
 */
#include "atrium.h"

#include "jobs/cron_expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4 * CRON_EXPR_MAX)
		return 0;
	char *s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	struct cron_expr e;
	char why[128];
	why[0] = 0;
	if (cron_parse(s, &e, why, sizeof why) == 0) {
		ATR_ASSERT(strlen(s) <= CRON_EXPR_MAX);
		ATR_ASSERT(e.minute && e.hour && e.dom && e.month && e.dow);
		ATR_ASSERT(!(e.minute >> 60) && !(e.hour >> 24));
		ATR_ASSERT(!(e.dom & 1) && !(e.month & 1) && !(e.dow >> 7));
		static const int64_t at[] = {0, 951782400123LL,
					     1798675199999LL};
		for (size_t i = 0; i < ATR_ARRAY_LEN(at); i++) {
			int64_t t = cron_next(&e, at[i]);
			if (t < 0)
				continue;
			ATR_ASSERT(t > at[i]);
			ATR_ASSERT(t % 60000 == 0);
			ATR_ASSERT(cron_next(&e, t - 60000) == t);
		}
	} else {
		ATR_ASSERT(why[0] != 0);
	}
	free(s);
	return 0;
}
