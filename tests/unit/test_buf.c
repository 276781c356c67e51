/* test_buf.c — core/buf.c: growth, NUL termination, detach. */
#include "atrium.h"

#include "core/buf.h"
#include "unit.h"

TEST(buf_empty)
{
	struct buf b = BUF_INIT;
	CHECK_STR(buf_str(&b), "");
	CHECK_EQ_INT(b.len, 0);
	char *p = buf_detach(&b);
	CHECK_STR(p, "");
	free(p);
	buf_reset(&b); /* no storage yet: must not crash */
	buf_free(&b);
	buf_free(&b); /* twice is fine */
	CHECK(b.p == NULL);
}

TEST(buf_add_and_grow)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "abc");
	buf_addc(&b, '-');
	buf_add(&b, "xyz123", 3);
	CHECK_STR(buf_str(&b), "abc-xyz");
	CHECK_EQ_INT(b.len, 7);
	CHECK(b.cap > b.len);
	/* Grow well past the first allocation, one byte at a time. */
	for (int i = 0; i < 10000; i++)
		buf_addc(&b, (char)('a' + i % 26));
	CHECK_EQ_INT(b.len, 10007);
	CHECK_EQ_INT(strlen(buf_str(&b)), 10007);
	CHECK_EQ_INT(b.p[7], 'a');
	CHECK_EQ_INT(b.p[10006], 'a' + 9999 % 26);
	CHECK(b.cap >= b.len + 1);
	buf_free(&b);
	CHECK_EQ_INT(b.len, 0);
	CHECK_EQ_INT(b.cap, 0);
}

TEST(buf_binary)
{
	struct buf b = BUF_INIT;
	buf_add(&b, "a\0b", 3);
	CHECK_EQ_INT(b.len, 3);
	CHECK(memcmp(b.p, "a\0b", 4) == 0); /* and still NUL-terminated */
	buf_add(&b, "", 0);
	CHECK_EQ_INT(b.len, 3);
	buf_free(&b);
}

TEST(buf_printf)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%d-%s", 42, "x");
	CHECK_STR(buf_str(&b), "42-x");
	buf_printf(&b, "%s", "");
	CHECK_STR(buf_str(&b), "42-x");
	/* A single append larger than any doubling step so far. */
	buf_printf(&b, "%05000d", 1);
	CHECK_EQ_INT(b.len, 5004);
	CHECK_EQ_INT(strlen(b.p), 5004);
	CHECK_EQ_INT(b.p[5003], '1');
	CHECK_EQ_INT(b.p[4], '0');
	buf_free(&b);
	/* printf into a buffer with no storage yet. */
	buf_printf(&b, "%s", "");
	CHECK_STR(buf_str(&b), "");
	buf_free(&b);
}

TEST(buf_reset_and_detach)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "hello");
	size_t cap = b.cap;
	buf_reset(&b);
	CHECK_EQ_INT(b.len, 0);
	CHECK_STR(buf_str(&b), "");
	CHECK_EQ_INT(b.cap, cap); /* storage kept for reuse */
	buf_adds(&b, "again");
	char *p = buf_detach(&b);
	CHECK_STR(p, "again");
	CHECK(b.p == NULL);
	CHECK_EQ_INT(b.len, 0);
	CHECK_STR(buf_str(&b), "");
	free(p);
	/* Usable after detach. */
	buf_adds(&b, "more");
	CHECK_STR(buf_str(&b), "more");
	buf_free(&b);
}
