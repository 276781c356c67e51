/* json_out.h — a streaming JSON writer for hot paths.
 *
 * Lists write their records straight from database columns into one
 * buffer instead of building a jansson tree and serialising it (that tree
 * was 40% of a list request's CPU). Strings are escaped per RFC 8259 and
 * invalid UTF-8 is replaced by U+FFFD, so the output is always valid JSON.
 * The caller tracks commas: every *_key function writes `"key":` after a
 * comma when `first` is false.
 */
#ifndef ATR_JSON_OUT_H
#define ATR_JSON_OUT_H

#include "core/buf.h"

/* Appends s as a JSON string (or null when s is NULL). */
void jout_str(struct buf *b, const char *s);
/* Appends `,"key":` (no comma when first). */
void jout_key(struct buf *b, const char *key, bool first);
void jout_int(struct buf *b, int64_t v);

#endif
