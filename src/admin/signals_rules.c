/* signals_rules.c — the pure rules of the signals (admin/signals.h):
 * address prefixes, working hours and days, the system log's cleaning.
 * No database, no request: unit-tested in tests/unit/test_signals.c. */
#include "atrium.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <strings.h>
#include <netinet/in.h>

#include "admin/signals.h"

int signals_addr_prefix(const char *ip, char *out, size_t n)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN];
	if (!ip || !*ip)
		return -1;
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		uint32_t h = ntohl(a4.s_addr) & 0xffffff00u;
		snprintf(out, n, "%u.%u.%u.0/24", h >> 24, (h >> 16) & 0xff,
			 (h >> 8) & 0xff);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &a6) != 1)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		snprintf(out, n, "%u.%u.%u.0/24", a6.s6_addr[12],
			 a6.s6_addr[13], a6.s6_addr[14]);
		return 0;
	}
	memset(a6.s6_addr + 8, 0, 8);
	if (!inet_ntop(AF_INET6, &a6, buf, sizeof buf))
		return -1;
	snprintf(out, n, "%s/64", buf);
	return 0;
}

/* "HH:MM" at s (exactly five characters): minutes, or -1. */
static int hhmm(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + s[1] - '0';
	int m = (s[3] - '0') * 10 + s[4] - '0';
	if (m > 59 || h > 24 || (h == 24 && m))
		return -1;
	return h * 60 + m;
}

int signals_hours_parse(const char *s, int *start, int *end)
{
	if (!s || !*s)
		return 1;
	if (strlen(s) != 11 || s[5] != '-')
		return -1;
	int a = hhmm(s), b = hhmm(s + 6);
	if (a < 0 || b < 0 || a == 24 * 60 || b == 0 || a == b)
		return -1;
	*start = a;
	*end = b;
	return 0;
}

int signals_days_parse(const char *s, unsigned *mask)
{
	static const char *const names[] = {"mon", "tue", "wed", "thu",
					    "fri", "sat", "sun"};
	unsigned m = 0;
	if (!s || !*s)
		return -1;
	for (const char *p = s;;) {
		int d = -1;
		for (int i = 0; i < 7; i++)
			if (!strncmp(p, names[i], 3))
				d = i;
		if (d < 0 || (m & (1u << d)))
			return -1;
		m |= 1u << d;
		p += 3;
		if (!*p)
			break;
		if (*p != ',' || !p[1])
			return -1;
		p++;
	}
	*mask = m;
	return 0;
}

bool signals_unusual(int start, int end, unsigned days, int wday, int minute)
{
	if (wday < 1 || wday > 7 || !(days & (1u << (wday - 1))))
		return true;
	if (start < end)
		return minute < start || minute >= end;
	return minute < start && minute >= end; /* across midnight */
}

/* Appends s (len bytes) to out at *o, keeping one byte for the NUL. */
static void put(char *out, size_t n, size_t *o, const char *s, size_t len)
{
	while (len-- && *o + 1 < n)
		out[(*o)++] = *s++;
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* Whether the key=value or key: value at p (p points at the key) names a
 * secret: *klen gets the key's length with its separator. */
static bool secret_key(const char *p, size_t *klen)
{
	static const char *const keys[] = {"password", "passwd", "secret",
					   "token", "api_key", "apikey"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(keys); i++) {
		size_t l = strlen(keys[i]);
		if (strncasecmp(p, keys[i], l))
			continue;
		const char *q = p + l;
		if (*q == '=' || *q == ':') {
			q++;
			while (*q == ' ')
				q++;
			*klen = (size_t)(q - p);
			return *q != 0;
		}
	}
	return false;
}

void signals_scrub(const char *in, char *out, size_t n)
{
	size_t o = 0;
	if (!n)
		return;
	out[0] = 0;
	if (!in)
		return;
	/* The pipeline's line: "error request_id=<hex>: <message>". */
	if (!strncmp(in, "error request_id=", 17)) {
		const char *c = strstr(in, ": ");
		if (c)
			in = c + 2;
	}
	const char *stop = strstr(in, "DETAIL:");
	size_t len = stop ? (size_t)(stop - in) : strlen(in);
	size_t pw_from = 0, pw_to = 0; /* a URL's password, once seen */
	for (size_t i = 0; i < len && o + 1 < n;) {
		const char *p = in + i;
		if (pw_to && i >= pw_from) {
			/* Reached (or passed, inside a redacted value). */
			bool here = i <= pw_to;
			if (here) {
				put(out, n, &o, "[redacted]", 10);
				i = pw_to;
			}
			pw_to = 0;
			if (here)
				continue;
		}
		bool start = i == 0 || !word_char(in[i - 1]);
		size_t klen;
		if (start && !strncmp(p, "atr_", 4) && word_char(p[4])) {
			put(out, n, &o, "[redacted]", 10);
			while (i < len && word_char(in[i]))
				i++;
			continue;
		}
		if (start && secret_key(p, &klen) && i + klen < len) {
			put(out, n, &o, p, klen);
			put(out, n, &o, "[redacted]", 10);
			i += klen;
			while (i < len && in[i] != ' ' && in[i] != ',' &&
			       in[i] != ';' && in[i] != '&')
				i++;
			continue;
		}
		/* scheme://user:password@host: the password goes when the
		 * scan reaches it (the user name is scanned as any text). */
		if (!pw_to && !strncmp(p, "://", 3)) {
			const char *at = NULL, *colon = NULL;
			for (size_t j = i + 3; j < len && in[j] != '/' &&
					       in[j] != ' ';
			     j++) {
				if (in[j] == ':' && !colon)
					colon = in + j;
				if (in[j] == '@')
					at = in + j;
			}
			if (at && colon && colon < at) {
				pw_from = (size_t)(colon + 1 - in);
				pw_to = (size_t)(at - in);
			}
		}
		out[o++] = in[i++];
	}
	/* Trailing white space (a DETAIL's line break), and a cut inside a
	 * UTF-8 sequence. */
	while (o && (out[o - 1] == ' ' || out[o - 1] == '\n'))
		o--;
	size_t k = o;
	while (k && ((unsigned char)out[k - 1] & 0xc0) == 0x80)
		k--;
	if (k && ((unsigned char)out[k - 1] & 0x80)) {
		unsigned char lead = (unsigned char)out[k - 1];
		size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
		if (o - (k - 1) < need)
			o = k - 1;
	}
	out[o] = 0;
}
