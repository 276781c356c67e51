/* fuzz_signals.c — libFuzzer harness for the signals' parsers
 * (admin/signals_rules.c): address prefixes, working hours and days, and
 * the system log's cleaning of a message.
 *
 * The input, copied into a buffer of exactly its length plus the NUL (a
 * read past the terminator is caught by ASan), goes to each parser. A
 * prefix is an address ending in /24 or /64 and fits its buffer; hours in
 * range, start and end apart; days a mask of the seven; the cleaned message
 * fits the size taken from the first byte, has no DETAIL and no token.
 *
 *   make build/fuzz/fuzz_signals
 *   build/fuzz/fuzz_signals tests/fuzz/corpus/signals   (mutates it!)
 */
#include "atrium.h"

#include <ctype.h>

#include "admin/signals.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	size_t n = 1 + data[0] % 200;
	char *s = xmalloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;

	char prefix[SIGNALS_PREFIX_LEN];
	if (signals_addr_prefix(s, prefix, sizeof prefix) == 0) {
		size_t l = strlen(prefix);
		ATR_ASSERT(l > 3 && l < sizeof prefix);
		ATR_ASSERT(!strcmp(prefix + l - 3, "/24") ||
			   !strcmp(prefix + l - 3, "/64"));
	}
	int a = -1, b = -1;
	int h = signals_hours_parse(s, &a, &b);
	if (h == 0) {
		ATR_ASSERT(a >= 0 && a < 1440 && b > 0 && b <= 1440 && a != b);
		for (int m = 0; m < 1440; m += 97)
			(void)signals_unusual(a, b, 0x7f, 1 + m % 7, m);
	} else {
		ATR_ASSERT(h == 1 ? !*s : h == -1);
	}
	unsigned mask = 0;
	if (signals_days_parse(s, &mask) == 0)
		ATR_ASSERT(mask >= 1 && mask <= 0x7f);

	char *out = xmalloc(n);
	signals_scrub(s, out, n);
	ATR_ASSERT(strlen(out) < n);
	ATR_ASSERT(!strstr(out, "DETAIL:"));
	/* A token at a word start is never kept whole. */
	for (const char *p = strstr(out, "atr_"); p; p = strstr(p + 1, "atr_")) {
		bool start = p == out || !(isalnum((unsigned char)p[-1]) ||
					   p[-1] == '_' || p[-1] == '-');
		char c = p[4];
		ATR_ASSERT(!start || !(isalnum((unsigned char)c) || c == '_' ||
				       c == '-'));
	}
	free(out);
	free(s);
	return 0;
}
