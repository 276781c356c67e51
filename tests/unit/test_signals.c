/* test_signals.c — the pure rules of the signals (admin/signals.h):
 * address prefixes, working hours and days, the system log's cleaning. */
#include "atrium.h"

#include "admin/signals.h"
#include "unit.h"

static const char *prefix(const char *ip)
{
	static char out[SIGNALS_PREFIX_LEN];
	return signals_addr_prefix(ip, out, sizeof out) == 0 ? out : NULL;
}

TEST(signals_prefix_ipv4_is_the_24)
{
	CHECK_STR(prefix("192.0.2.17"), "192.0.2.0/24");
	CHECK_STR(prefix("192.0.2.250"), "192.0.2.0/24");
	CHECK_STR(prefix("192.0.3.17"), "192.0.3.0/24");
	CHECK_STR(prefix("10.0.0.0"), "10.0.0.0/24");
	CHECK_STR(prefix("255.255.255.255"), "255.255.255.0/24");
}

TEST(signals_prefix_ipv6_is_the_64)
{
	CHECK_STR(prefix("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
	CHECK_STR(prefix("2001:db8:1:2::1"), "2001:db8:1:2::/64");
	CHECK_STR(prefix("2001:db8:1:3::1"), "2001:db8:1:3::/64");
	CHECK_STR(prefix("::1"), "::/64");
	/* An IPv4-mapped address is its IPv4 address. */
	CHECK_STR(prefix("::ffff:192.0.2.9"), "192.0.2.0/24");
}

TEST(signals_prefix_refuses_what_is_not_an_address)
{
	CHECK(prefix("unknown") == NULL);
	CHECK(prefix("") == NULL);
	CHECK(prefix(NULL) == NULL);
	CHECK(prefix("192.0.2") == NULL);
	CHECK(prefix("192.0.2.1/24") == NULL);
	CHECK(prefix("example.com") == NULL);
}

TEST(signals_hours_parse)
{
	int a = -1, b = -1;
	CHECK_EQ_INT(signals_hours_parse("08:00-19:00", &a, &b), 0);
	CHECK_EQ_INT(a, 480);
	CHECK_EQ_INT(b, 1140);
	CHECK_EQ_INT(signals_hours_parse("00:00-24:00", &a, &b), 0);
	CHECK_EQ_INT(b, 1440);
	CHECK_EQ_INT(signals_hours_parse("22:00-06:00", &a, &b), 0);
	CHECK_EQ_INT(signals_hours_parse("", &a, &b), 1);
	CHECK_EQ_INT(signals_hours_parse(NULL, &a, &b), 1);
	const char *bad[] = {"8:00-19:00",  "08:00-19:60", "08:00-25:00",
			     "24:00-08:00", "08:00-00:00", "08:00-08:00",
			     "08:00 19:00", "08:00-19:00 ", "ab:cd-ef:gh",
			     "08:00-24:01", "08-19"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(bad); i++)
		if (!CHECK_EQ_INT(signals_hours_parse(bad[i], &a, &b), -1))
			unit_failf(__FILE__, __LINE__, "accepted '%s'", bad[i]);
}

TEST(signals_days_parse)
{
	unsigned m = 0;
	CHECK_EQ_INT(signals_days_parse("mon,tue,wed,thu,fri", &m), 0);
	CHECK_EQ_INT(m, 0x1f);
	CHECK_EQ_INT(signals_days_parse("sun", &m), 0);
	CHECK_EQ_INT(m, 0x40);
	CHECK_EQ_INT(signals_days_parse("sat,sun,mon", &m), 0);
	CHECK_EQ_INT(m, 0x61);
	const char *bad[] = {"",	"mon,mon", "Mon",      "mon,",
			     ",mon",	"monday",  "mon tue",  "mon,,tue",
			     "xyz",	"mon;tue"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(bad); i++)
		if (!CHECK_EQ_INT(signals_days_parse(bad[i], &m), -1))
			unit_failf(__FILE__, __LINE__, "accepted '%s'", bad[i]);
}

TEST(signals_unusual_hours_and_days)
{
	unsigned weekdays = 0x1f;
	/* Monday 08:00 is the first working minute; 19:00 the first
	 * unusual one. */
	CHECK(!signals_unusual(480, 1140, weekdays, 1, 480));
	CHECK(signals_unusual(480, 1140, weekdays, 1, 479));
	CHECK(!signals_unusual(480, 1140, weekdays, 5, 1139));
	CHECK(signals_unusual(480, 1140, weekdays, 5, 1140));
	/* The weekend is unusual at any hour. */
	CHECK(signals_unusual(480, 1140, weekdays, 6, 600));
	CHECK(signals_unusual(480, 1140, weekdays, 7, 600));
	/* Across midnight: 22:00-06:00. */
	CHECK(!signals_unusual(1320, 360, weekdays, 2, 1400));
	CHECK(!signals_unusual(1320, 360, weekdays, 2, 100));
	CHECK(signals_unusual(1320, 360, weekdays, 2, 360));
	CHECK(signals_unusual(1320, 360, weekdays, 2, 720));
	/* The whole day. */
	CHECK(!signals_unusual(0, 1440, 0x7f, 7, 0));
	CHECK(!signals_unusual(0, 1440, 0x7f, 7, 1439));
	CHECK(signals_unusual(0, 1440, 0x7f, 0, 10));
}

static const char *scrub(const char *in, size_t n)
{
	static char out[600];
	signals_scrub(in, out, n);
	return out;
}

TEST(signals_scrub_keeps_the_message_not_the_secrets)
{
	CHECK_STR(scrub("error request_id=0123abcd: no such table: lead", 500),
		  "no such table: lead");
	CHECK_STR(scrub("duplicate key value violates unique constraint "
			"\"staff_email\" DETAIL:  Key (email)=(ana@example.com) "
			"already exists.",
			500),
		  "duplicate key value violates unique constraint "
		  "\"staff_email\"");
	CHECK_STR(scrub("bad token atr_abcdEF0123_x in header", 500),
		  "bad token [redacted] in header");
	CHECK_STR(scrub("connect postgresql://atrium:s3cret@db:5432/atrium "
			"failed",
			500),
		  "connect postgresql://atrium:[redacted]@db:5432/atrium "
		  "failed");
	CHECK_STR(scrub("postgresql://atr_user1:pw@db/x", 500),
		  "postgresql://[redacted]:[redacted]@db/x");
	CHECK_STR(scrub("a://b:@c", 500), "a://b:[redacted]@c");
	CHECK_STR(scrub("password=hunter2 user=x", 500),
		  "password=[redacted] user=x");
	CHECK_STR(scrub("smtp secret: abc, retrying", 500),
		  "smtp secret: [redacted], retrying");
	CHECK_STR(scrub("a catr_x stays", 500), "a catr_x stays");
	CHECK_STR(scrub(NULL, 500), "");
	/* Cut at a character boundary. */
	CHECK_STR(scrub("ab\xc8\x99", 4), "ab");
	CHECK_STR(scrub("abcdef", 4), "abc");
}
