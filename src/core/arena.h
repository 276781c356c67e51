/* arena.h — the request arena: many allocations, one free.
 *
 * Every request owns one arena; transient strings, parsed query parameters
 * and SQL text live in it and are released together when the response has
 * been queued. Allocation aborts on out-of-memory like xmalloc.
 */
#ifndef ATR_ARENA_H
#define ATR_ARENA_H

#include "atrium.h"

struct arena;

struct arena *arena_new(void);
/* Frees every block; the arena itself too. NULL is accepted. */
void arena_free(struct arena *a);
/* Returns zeroed memory aligned for any type, owned by the arena. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) ATR_PRINTF(2, 3);
/* Bytes handed out so far (for bounding per-request memory). */
size_t arena_used(const struct arena *a);

#endif
