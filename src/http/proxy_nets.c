/* proxy_nets.c — trusted_proxies: addresses and CIDR ranges (see
 * proxy_nets.h). */
#include "atrium.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "http/proxy_nets.h"

#define ENTRY_MAX 64 /* "ffff:...:ffff/128" fits */

/* Whether the first bits of a and b are equal. */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

static int parse_one(const char *entry, struct proxy_net *net,
		     struct atr_err *err)
{
	char addr[ENTRY_MAX];
	const char *slash = strchr(entry, '/');
	size_t n = slash ? (size_t)(slash - entry) : strlen(entry);
	if (n >= sizeof addr)
		return atr_fail(err, ATR_E_INVALID,
				"trusted_proxies: '%s' is not an IP address "
				"or CIDR range", entry);
	memcpy(addr, entry, n);
	addr[n] = 0;
	int max;
	memset(net, 0, sizeof *net);
	if (inet_pton(AF_INET, addr, net->addr) == 1) {
		net->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, net->addr) == 1) {
		net->family = AF_INET6;
		max = 128;
	} else {
		return atr_fail(err, ATR_E_INVALID,
				"trusted_proxies: '%s' is not an IP address "
				"or CIDR range", entry);
	}
	net->bits = max;
	if (slash) {
		const char *p = slash + 1;
		int bits = 0;
		if (!*p || strlen(p) > 3)
			bits = -1;
		for (; *p && bits >= 0; p++)
			bits = *p >= '0' && *p <= '9' ? bits * 10 + (*p - '0')
						      : -1;
		if (bits < 0 || bits > max)
			return atr_fail(err, ATR_E_INVALID,
					"trusted_proxies: '%s' has a bad "
					"prefix length (0-%d)", entry, max);
		net->bits = bits;
	}
	/* 10.0.0.1/8 is a typo for 10.0.0.0/8 or for 10.0.0.1: refuse. */
	uint8_t masked[16];
	memcpy(masked, net->addr, sizeof masked);
	for (int b = net->bits; b < max; b++)
		masked[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	if (memcmp(masked, net->addr, sizeof masked) != 0)
		return atr_fail(err, ATR_E_INVALID,
				"trusted_proxies: '%s' has address bits past "
				"its /%d prefix", entry, net->bits);
	return 0;
}

int proxy_nets_parse(const char *list, struct proxy_nets *out,
		     struct atr_err *err)
{
	memset(out, 0, sizeof *out);
	if (!list)
		return 0;
	const char *p = list;
	while (*p) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, ", \t");
		char entry[ENTRY_MAX];
		if (n >= sizeof entry)
			return atr_fail(err, ATR_E_INVALID,
					"trusted_proxies: '%.*s...' is not an "
					"IP address or CIDR range", 40, p);
		memcpy(entry, p, n);
		entry[n] = 0;
		if (out->n == PROXY_NETS_MAX)
			return atr_fail(err, ATR_E_INVALID,
					"trusted_proxies: more than %d entries",
					PROXY_NETS_MAX);
		if (parse_one(entry, &out->net[out->n], err) < 0)
			return -1;
		out->n++;
		p += n;
	}
	return 0;
}

bool proxy_nets_has(const struct proxy_nets *p, const struct sockaddr *sa)
{
	uint8_t a[16];
	int family;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		memcpy(a, &in->sin_addr, 4);
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			memcpy(a, in6->sin6_addr.s6_addr + 12, 4);
			family = AF_INET;
		} else {
			memcpy(a, in6->sin6_addr.s6_addr, 16);
			family = AF_INET6;
		}
	} else {
		return false;
	}
	for (int i = 0; i < p->n; i++)
		if (p->net[i].family == family &&
		    prefix_eq(a, p->net[i].addr, p->net[i].bits))
			return true;
	return false;
}
