/* fuzz_query.c — libFuzzer harness for http/query.c.
 *
 * The input is a raw query string, not NUL-terminated, so any read past
 * its end is caught by ASan. A fresh arena per run. When the parser
 * accepts, its promises must hold: at most max pairs, non-empty distinct
 * keys, no output longer than the input. When it refuses, it is a 400 with
 * a message.
 *
 *   make build/fuzz/fuzz_query
 *   build/fuzz/fuzz_query tests/fuzz/corpus/query   (mutates it!)
 */
#include "atrium.h"

#include "core/arena.h"
#include "http/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *qs = (const char *)data;
	struct arena *a = arena_new();
	struct qparam q[QUERY_MAX];
	struct atr_err err;
	memset(&err, 0, sizeof err);
	int n = -1;
	int rc = query_parse(qs, size, a, q, QUERY_MAX, &n, &err);
	if (rc == 0) {
		ATR_ASSERT(n >= 0 && n <= QUERY_MAX);
		ATR_ASSERT(err.kind == ATR_E_NONE);
		for (int i = 0; i < n; i++) {
			ATR_ASSERT(q[i].key && q[i].value);
			ATR_ASSERT(q[i].key[0] != 0);
			ATR_ASSERT(strlen(q[i].key) + strlen(q[i].value) <=
				   size);
			for (int j = 0; j < i; j++)
				ATR_ASSERT(strcmp(q[i].key, q[j].key) != 0);
		}
	} else {
		ATR_ASSERT(rc == -1);
		ATR_ASSERT(err.kind == ATR_E_BAD_REQUEST);
		ATR_ASSERT(err.msg[0] != 0);
	}

	/* The decoder alone: never longer than its input. */
	char *d = url_decode(a, qs, size);
	if (d)
		ATR_ASSERT(strlen(d) <= size);

	/* A small max must refuse rather than overflow the array. */
	struct qparam two[2];
	rc = query_parse(qs, size, a, two, 2, &n, &err);
	ATR_ASSERT(rc == -1 || (n >= 0 && n <= 2));
	arena_free(a);
	return 0;
}
