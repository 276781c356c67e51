/* query.h — the strict query-string parser.
 *
 * Splits "a=1&b=x%20y" into decoded key/value pairs in the arena. Refuses
 * (returns -1 with a 400 message) malformed percent escapes, NUL bytes,
 * empty keys, repeated keys and more than max pairs, so handlers can trust
 * what they get.
 */
#ifndef ATR_QUERY_H
#define ATR_QUERY_H

#include "core/arena.h"
#include "http/http.h"

int query_parse(const char *qs, size_t len, struct arena *a,
		struct qparam *out, int max, int *n, struct atr_err *err);
/* Percent-decodes s[0..len) ('+' is a space) into the arena. NULL when
 * malformed or when it decodes to a NUL byte. */
char *url_decode(struct arena *a, const char *s, size_t len);

#endif
