/* query.c — query-string parsing (fuzzed by tests/fuzz/fuzz_query.c). */
#include "atrium.h"

#include "http/query.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *url_decode(struct arena *a, const char *s, size_t len)
{
	char *out = arena_alloc(a, len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return NULL;
			int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return NULL;
			c = (char)(h * 16 + l);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0)
			return NULL;
		out[o++] = c;
	}
	out[o] = 0;
	return out;
}

int query_parse(const char *qs, size_t len, struct arena *a,
		struct qparam *out, int max, int *n, struct atr_err *err)
{
	*n = 0;
	size_t i = 0;
	while (i < len) {
		size_t start = i;
		while (i < len && qs[i] != '&')
			i++;
		size_t plen = i - start;
		if (i < len)
			i++; /* skip & */
		if (plen == 0)
			continue; /* "a=1&&b=2" */
		const char *p = qs + start;
		const char *eq = memchr(p, '=', plen);
		size_t klen = eq ? (size_t)(eq - p) : plen;
		char *key = url_decode(a, p, klen);
		char *val = eq ? url_decode(a, eq + 1, plen - klen - 1)
			       : arena_strdup(a, "");
		if (!key || !val)
			return atr_fail(err, ATR_E_BAD_REQUEST,
					"malformed query string");
		if (!*key)
			return atr_fail(err, ATR_E_BAD_REQUEST,
					"empty query parameter name");
		for (int k = 0; k < *n; k++)
			if (strcmp(out[k].key, key) == 0)
				return atr_fail(err, ATR_E_BAD_REQUEST,
						"query parameter '%s' given "
						"twice",
						key);
		if (*n >= max)
			return atr_fail(err, ATR_E_BAD_REQUEST,
					"too many query parameters (max %d)",
					max);
		out[*n].key = key;
		out[*n].value = val;
		(*n)++;
	}
	return 0;
}
