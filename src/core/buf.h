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

void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) ATR_PRINTF(2, 3);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
char *buf_detach(struct buf *b);
/* Returns the content, "" when empty; valid until the next change. */
const char *buf_str(const struct buf *b);

#endif
