/* json_out.c — JSON text output with strict escaping. */
#include "atrium.h"

#include "core/json_out.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static int utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0; /* overlong */
		if (c == 0xED && p[1] > 0x9F)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0;
		if (c == 0xF4 && p[1] > 0x8F)
			return 0;
		return 4;
	}
	return 0;
}

void jout_str(struct buf *b, const char *s)
{
	if (!s) {
		buf_add(b, "null", 4);
		return;
	}
	buf_addc(b, '"');
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;
	while (*p) {
		unsigned char c = *p;
		/* The common case: printable ASCII that needs no escape. */
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			p++;
			continue;
		}
		int n = 1;
		const char *esc = NULL;
		char u[8];
		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c < 0x20) {
			snprintf(u, sizeof u, "\\u%04x", c);
			esc = u;
		} else if (c >= 0x80) {
			n = utf8_len(p);
			if (n == 0) {
				esc = "\xEF\xBF\xBD"; /* U+FFFD */
				n = 1;
			}
		}
		if (esc) {
			buf_add(b, run, (size_t)(p - run));
			buf_adds(b, esc);
			p += n;
			run = p;
		} else {
			p += n;
		}
	}
	buf_add(b, run, (size_t)(p - run));
	buf_addc(b, '"');
}

void jout_key(struct buf *b, const char *key, bool first)
{
	if (!first)
		buf_addc(b, ',');
	jout_str(b, key);
	buf_addc(b, ':');
}

void jout_int(struct buf *b, int64_t v)
{
	/* By hand: snprintf was a visible share of a list request. */
	char t[24];
	int i = sizeof t;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		t[--i] = '-';
	buf_add(b, t + i, sizeof t - (size_t)i);
}
