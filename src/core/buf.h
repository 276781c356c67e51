/* buf.h — a growable byte buffer, always NUL-terminated.
 *
 * The owner calls buf_free. buf_detach hands the bytes to the caller, who
 * frees them with free().
 */
#ifndef ATR_BUF_H
#define ATR_BUF_H

#include "atrium.h"

struct buf {
	char *p;
	size_t len, cap;
};

#define BUF_INIT {NULL, 0, 0}

/* Makes room for n more bytes (and the NUL) with one allocation. */
void buf_grow(struct buf *b, size_t n);

/* Appending is inline: on the list path it runs for every JSON token, and
 * the call and the capacity check were 16% of a request's CPU. */
static inline void buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_grow(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
}

static inline void buf_addc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}

void buf_adds(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) ATR_PRINTF(2, 3);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
char *buf_detach(struct buf *b);
/* Returns the content, "" when empty; valid until the next change. */
const char *buf_str(const struct buf *b);

#endif
