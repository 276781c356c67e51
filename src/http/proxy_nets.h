/* proxy_nets.h — the proxies whose X-Forwarded-For is believed.
 *
 * With trust_proxy = true, the client address of a request is the last
 * X-Forwarded-For hop when the connection comes from a trusted proxy: a
 * loopback address always (a proxy on this machine), and the addresses and
 * CIDR ranges of trusted_proxies (a load balancer on another machine, e.g.
 * "10.0.0.5, 10.0.1.0/24, fd00::/64"). Any other peer is the client itself,
 * whatever it sends.
 */
#ifndef ATR_PROXY_NETS_H
#define ATR_PROXY_NETS_H

#include "atrium.h"

#include <sys/socket.h>

#define PROXY_NETS_MAX 32

struct proxy_net {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network byte order; 4 bytes for AF_INET */
	int bits;          /* prefix length */
};

struct proxy_nets {
	int n;
	struct proxy_net net[PROXY_NETS_MAX];
};

/* Parses list (comma- or space-separated addresses, each optionally
 * /prefix; NULL or empty: none) into out. 0, or -1 with err naming the
 * entry that is not an address, has a bad prefix or host bits past it. */
int proxy_nets_parse(const char *list, struct proxy_nets *out,
		     struct atr_err *err);
/* Whether sa (an IPv4 or IPv6 peer; IPv4-mapped IPv6 as IPv4) is in one of
 * the networks. */
bool proxy_nets_has(const struct proxy_nets *p, const struct sockaddr *sa);

#endif
