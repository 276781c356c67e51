/* test_query.c — http/query.c: the strict query-string parser. */
#include "atrium.h"

#include "http/query.h"
#include "unit.h"

struct parsed {
	struct arena *a;
	struct qparam q[QUERY_MAX];
	int n, rc;
	struct atr_err err;
};

static void parse(struct parsed *p, const char *qs, int max)
{
	memset(p, 0, sizeof *p);
	p->a = arena_new();
	p->rc = query_parse(qs, strlen(qs), p->a, p->q, max, &p->n, &p->err);
}

/* The query must be refused as a bad request whose message contains
 * msg. */
static void refused(const char *qs, int max, const char *msg, int line)
{
	struct parsed p;
	parse(&p, qs, max);
	if (p.rc != -1 || p.err.kind != ATR_E_BAD_REQUEST)
		unit_failf(__FILE__, line,
			   "query_parse(\"%s\") = %d (kind %d), want refused",
			   qs, p.rc, (int)p.err.kind);
	else if (!strstr(p.err.msg, msg))
		unit_failf(__FILE__, line,
			   "query_parse(\"%s\"): message \"%s\" lacks \"%s\"",
			   qs, p.err.msg, msg);
	arena_free(p.a);
}

TEST(query_parse_basic)
{
	struct parsed p;
	parse(&p, "a=1&b=x%20y&c=%E2%82%AC&sort=-name", QUERY_MAX);
	CHECK_EQ_INT(p.rc, 0);
	if (CHECK_EQ_INT(p.n, 4)) {
		CHECK_STR(p.q[0].key, "a");
		CHECK_STR(p.q[0].value, "1");
		CHECK_STR(p.q[1].key, "b");
		CHECK_STR(p.q[1].value, "x y");
		CHECK_STR(p.q[2].value, "\xe2\x82\xac");
		CHECK_STR(p.q[3].key, "sort");
		CHECK_STR(p.q[3].value, "-name");
	}
	arena_free(p.a);

	parse(&p, "", QUERY_MAX);
	CHECK_EQ_INT(p.rc, 0);
	CHECK_EQ_INT(p.n, 0);
	arena_free(p.a);
}

TEST(query_parse_plus_and_keys)
{
	struct parsed p;
	parse(&p, "q=a+b+%2B&my+key=1&x%5By%5D=2", QUERY_MAX);
	CHECK_EQ_INT(p.rc, 0);
	if (CHECK_EQ_INT(p.n, 3)) {
		CHECK_STR(p.q[0].value, "a b +");
		CHECK_STR(p.q[1].key, "my key");
		CHECK_STR(p.q[2].key, "x[y]");
	}
	arena_free(p.a);
}

TEST(query_parse_values)
{
	struct parsed p;
	/* No '=': an empty value. '=' in a value is kept. */
	parse(&p, "flag&a=1=2&empty=", QUERY_MAX);
	CHECK_EQ_INT(p.rc, 0);
	if (CHECK_EQ_INT(p.n, 3)) {
		CHECK_STR(p.q[0].key, "flag");
		CHECK_STR(p.q[0].value, "");
		CHECK_STR(p.q[1].key, "a");
		CHECK_STR(p.q[1].value, "1=2");
		CHECK_STR(p.q[2].key, "empty");
		CHECK_STR(p.q[2].value, "");
	}
	arena_free(p.a);
}

TEST(query_parse_empty_pairs_skipped)
{
	struct parsed p;
	parse(&p, "&&a=1&&&b=2&", QUERY_MAX);
	CHECK_EQ_INT(p.rc, 0);
	if (CHECK_EQ_INT(p.n, 2)) {
		CHECK_STR(p.q[0].key, "a");
		CHECK_STR(p.q[1].key, "b");
	}
	arena_free(p.a);
	parse(&p, "&", QUERY_MAX);
	CHECK_EQ_INT(p.rc, 0);
	CHECK_EQ_INT(p.n, 0);
	arena_free(p.a);
}

TEST(query_parse_length_bounded)
{
	/* Only len bytes are read: the input need not be NUL-terminated. */
	struct arena *a = arena_new();
	struct qparam q[4];
	int n = -1;
	struct atr_err err = {0};
	CHECK_EQ_INT(query_parse("a=1&b=2", 3, a, q, 4, &n, &err), 0);
	if (CHECK_EQ_INT(n, 1))
		CHECK_STR(q[0].value, "1");
	/* An escape cut by len is malformed, whatever follows in memory. */
	CHECK_EQ_INT(query_parse("a=%41", 4, a, q, 4, &n, &err), -1);
	arena_free(a);
}

TEST(query_parse_malformed_escapes)
{
	refused("a=%zz", QUERY_MAX, "malformed", __LINE__);
	refused("a=%2", QUERY_MAX, "malformed", __LINE__);
	refused("a=%", QUERY_MAX, "malformed", __LINE__);
	refused("a=1&b=%g1", QUERY_MAX, "malformed", __LINE__);
	refused("%=1", QUERY_MAX, "malformed", __LINE__);
	refused("a%2=1", QUERY_MAX, "malformed", __LINE__);
}

TEST(query_parse_nul_refused)
{
	refused("a=%00", QUERY_MAX, "malformed", __LINE__);
	refused("a%00b=1", QUERY_MAX, "malformed", __LINE__);
	refused("a=x%00", QUERY_MAX, "malformed", __LINE__);
}

TEST(query_parse_repeated_keys)
{
	refused("a=1&a=2", QUERY_MAX, "'a' given twice", __LINE__);
	refused("a=1&b=2&a", QUERY_MAX, "given twice", __LINE__);
	/* Compared after decoding. */
	refused("a=1&%61=2", QUERY_MAX, "'a' given twice", __LINE__);
	refused("a+b=1&a%20b=2", QUERY_MAX, "given twice", __LINE__);
	/* Names are case-sensitive. */
	struct parsed p;
	parse(&p, "a=1&A=2", QUERY_MAX);
	CHECK_EQ_INT(p.rc, 0);
	CHECK_EQ_INT(p.n, 2);
	arena_free(p.a);
}

TEST(query_parse_empty_key)
{
	refused("=1", QUERY_MAX, "empty query parameter name", __LINE__);
	refused("a=1&=2", QUERY_MAX, "empty query parameter name", __LINE__);
	refused("=", QUERY_MAX, "empty query parameter name", __LINE__);
}

TEST(query_parse_too_many)
{
	struct parsed p;
	parse(&p, "a=1&b=2&c=3", 3);
	CHECK_EQ_INT(p.rc, 0);
	CHECK_EQ_INT(p.n, 3);
	arena_free(p.a);
	refused("a=1&b=2&c=3&d=4", 3, "too many query parameters (max 3)",
		__LINE__);
	/* Empty pairs do not count. */
	parse(&p, "a=1&&b=2&&&c=3&", 3);
	CHECK_EQ_INT(p.rc, 0);
	CHECK_EQ_INT(p.n, 3);
	arena_free(p.a);

	char qs[QUERY_MAX * 8 + 16] = "";
	size_t o = 0;
	for (int i = 0; i <= QUERY_MAX; i++)
		o += (size_t)snprintf(qs + o, sizeof qs - o, "%sk%d=v",
				      i ? "&" : "", i);
	refused(qs, QUERY_MAX, "too many", __LINE__);
}

TEST(url_decode_cases)
{
	struct arena *a = arena_new();
	CHECK_STR(url_decode(a, "", 0), "");
	CHECK_STR(url_decode(a, "abc", 3), "abc");
	CHECK_STR(url_decode(a, "a+b", 3), "a b");
	CHECK_STR(url_decode(a, "%41%62", 6), "Ab");
	CHECK_STR(url_decode(a, "%4a%4A", 6), "JJ");
	CHECK_STR(url_decode(a, "a%2Bb", 5), "a+b");
	CHECK_STR(url_decode(a, "%25", 3), "%");
	CHECK_STR(url_decode(a, "%e2%82%ac", 9), "\xe2\x82\xac");
	CHECK_STR(url_decode(a, "abcdef", 3), "abc");
	CHECK(url_decode(a, "%", 1) == NULL);
	CHECK(url_decode(a, "%4", 2) == NULL);
	CHECK(url_decode(a, "%4g", 3) == NULL);
	CHECK(url_decode(a, "x%G0", 4) == NULL);
	CHECK(url_decode(a, "%00", 3) == NULL);
	CHECK(url_decode(a, "%41", 2) == NULL); /* escape cut by len */
	arena_free(a);
}
