/* fuzz_notification.c — libFuzzer harness for the cleaning of
 * notifications (admin/notification.c): notification_clean and
 * notification_link_ok.
 *
 * The input, copied into a buffer of exactly its length plus the NUL (a
 * read past the terminator is caught by ASan), is cleaned as a title and
 * as a body with a limit taken from its first byte. The result is always
 * valid UTF-8 of at most that many characters, with no control character
 * (a body: line feeds only), no white space at either end, and never
 * longer than 3 bytes per input byte. A link accepted starts with
 * "/admin/" and holds only URL characters.
 *
 *   make build/fuzz/fuzz_notification
 *   build/fuzz/fuzz_notification tests/fuzz/corpus/notification   (mutates it!)
 */
#include "atrium.h"

#include "admin/notification.h"

/* Checks s as notification_clean promises it; returns its characters. */
static int check(const char *s, bool multiline)
{
	const unsigned char *p = (const unsigned char *)s;
	int chars = 0;
	size_t n = strlen(s);
	if (n) {
		ATR_ASSERT(s[0] != ' ' && s[0] != '\n');
		ATR_ASSERT(s[n - 1] != ' ' && s[n - 1] != '\n');
	}
	while (*p) {
		uint32_t cp;
		int len;
		if (p[0] < 0x80) {
			cp = p[0];
			len = 1;
		} else if ((p[0] & 0xE0) == 0xC0) {
			cp = p[0] & 0x1F;
			len = 2;
		} else if ((p[0] & 0xF0) == 0xE0) {
			cp = p[0] & 0x0F;
			len = 3;
		} else {
			ATR_ASSERT((p[0] & 0xF8) == 0xF0);
			cp = p[0] & 0x07;
			len = 4;
		}
		for (int i = 1; i < len; i++) {
			ATR_ASSERT((p[i] & 0xC0) == 0x80);
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
		ATR_ASSERT(cp >= min[len] && cp <= 0x10FFFF);
		ATR_ASSERT(cp < 0xD800 || cp > 0xDFFF);
		bool control = cp < 0x20 || cp == 0x7F ||
			       (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 ||
			       cp == 0x2029;
		ATR_ASSERT(!control || (multiline && cp == '\n'));
		chars++;
		p += len;
	}
	return chars;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 8192)
		return 0;
	int max = 1 + data[0] % 64;
	char *s = xmalloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	size_t in = strlen(s);
	for (int ml = 0; ml < 2; ml++) {
		char *out = notification_clean(s, max, ml);
		ATR_ASSERT(check(out, ml) <= max);
		ATR_ASSERT(strlen(out) <= 3 * in);
		free(out);
	}
	char *big = notification_clean(s, NOTIFICATION_BODY_MAX, true);
	ATR_ASSERT(check(big, true) <= NOTIFICATION_BODY_MAX);
	free(big);
	if (notification_link_ok(s)) {
		ATR_ASSERT(!strncmp(s, "/admin/", 7));
		ATR_ASSERT(in <= NOTIFICATION_LINK_MAX);
		for (const char *p = s; *p; p++)
			ATR_ASSERT(!strchr(" \t\r\n\"'<>\\`{}|^", *p) &&
				   (unsigned char)*p > 0x20 &&
				   (unsigned char)*p < 0x7F);
	}
	free(s);
	return 0;
}
