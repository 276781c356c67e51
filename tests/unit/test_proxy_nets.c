/* test_proxy_nets.c — http/proxy_nets.c: trusted_proxies parsed and
 * matched (addresses, CIDR ranges, IPv4 and IPv6, mapped addresses). */
#include "atrium.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "http/proxy_nets.h"
#include "unit.h"

static bool has4(const struct proxy_nets *p, const char *ip)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	if (inet_pton(AF_INET, ip, &in.sin_addr) != 1)
		return false;
	return proxy_nets_has(p, (const struct sockaddr *)&in);
}

static bool has6(const struct proxy_nets *p, const char *ip)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	if (inet_pton(AF_INET6, ip, &in6.sin6_addr) != 1)
		return false;
	return proxy_nets_has(p, (const struct sockaddr *)&in6);
}

TEST(proxy_nets_match)
{
	struct proxy_nets p;
	struct atr_err err = {0};
	CHECK_EQ_INT(proxy_nets_parse("10.0.0.5, 10.0.1.0/24,fd00::/64 "
				      "192.0.2.128/25",
				      &p, &err),
		     0);
	CHECK_EQ_INT(p.n, 4);
	CHECK(has4(&p, "10.0.0.5"));
	CHECK(!has4(&p, "10.0.0.6"));
	CHECK(has4(&p, "10.0.1.0"));
	CHECK(has4(&p, "10.0.1.255"));
	CHECK(!has4(&p, "10.0.2.0"));
	CHECK(has4(&p, "192.0.2.128"));
	CHECK(has4(&p, "192.0.2.255"));
	CHECK(!has4(&p, "192.0.2.127"));
	CHECK(has6(&p, "fd00::1"));
	CHECK(has6(&p, "fd00::ffff:ffff:ffff:ffff"));
	CHECK(!has6(&p, "fd00:0:0:1::1"));
	/* an IPv4 peer seen as IPv4-mapped IPv6 is the IPv4 address */
	CHECK(has6(&p, "::ffff:10.0.0.5"));
	CHECK(!has6(&p, "::ffff:10.0.0.6"));
	/* families do not mix: 10.0.0.5 is not ::a00:5 */
	CHECK(!has6(&p, "::a00:5"));
	/* /0 is everything of its family */
	CHECK_EQ_INT(proxy_nets_parse("0.0.0.0/0", &p, &err), 0);
	CHECK(has4(&p, "203.0.113.9"));
	CHECK(!has6(&p, "2001:db8::1"));
}

TEST(proxy_nets_empty)
{
	struct proxy_nets p;
	struct atr_err err = {0};
	CHECK_EQ_INT(proxy_nets_parse(NULL, &p, &err), 0);
	CHECK_EQ_INT(p.n, 0);
	CHECK(!has4(&p, "127.0.0.1"));
	CHECK_EQ_INT(proxy_nets_parse(" , ", &p, &err), 0);
	CHECK_EQ_INT(p.n, 0);
}

TEST(proxy_nets_refused)
{
	static const char *const bad[] = {
		"proxy.internal",  /* names are not resolved */
		"10.0.0.256",
		"10.0.0.0/33",
		"fd00::/129",
		"10.0.0.0/",
		"10.0.0.0/x",
		"10.0.0.0/8/8",
		"10.0.0.1/8",      /* host bits past the prefix: a typo */
		"fd00::1/64",
		"10.0.0.5, nope",  /* the second entry */
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(bad); i++) {
		struct proxy_nets p;
		struct atr_err err = {0};
		CHECK_EQ_INT(proxy_nets_parse(bad[i], &p, &err), -1);
		CHECK(strstr(err.msg, "trusted_proxies") != NULL);
	}
	/* the message names the entry */
	struct proxy_nets p;
	struct atr_err err = {0};
	CHECK_EQ_INT(proxy_nets_parse("10.0.0.5, nope", &p, &err), -1);
	CHECK(strstr(err.msg, "'nope'") != NULL);
	/* at most PROXY_NETS_MAX entries */
	char many[PROXY_NETS_MAX * 24 + 24] = "";
	size_t used = 0;
	for (int i = 0; i <= PROXY_NETS_MAX; i++)
		used += (size_t)snprintf(many + used, sizeof many - used,
					 "10.0.0.%d,", i);
	struct atr_err err2 = {0}; /* the first error of an atr_err stands */
	CHECK_EQ_INT(proxy_nets_parse(many, &p, &err2), -1);
	CHECK(strstr(err2.msg, "more than") != NULL);
}
