/* list_int.h — what the list-query engine's files share (list.c, the
 * query string and the page; list_search.c, the ?q= search). Not for
 * modules: they use list.h. */
#ifndef ATR_LIST_INT_H
#define ATR_LIST_INT_H

#include "atrium.h"

struct arena;
struct list_query;
struct list_spec;
struct req;

/* v as a LIKE pattern for a case-insensitive substring: %v% with % _ and
 * \ escaped (ESCAPE '\'), ASCII letters lowered; in the arena. */
char *list_like_pattern(struct arena *a, const char *v);

/* Adds the ?q= search for text to q: 0, or -1 with r->err (no search on
 * this list, text too long, a database error while planning). */
int list_add_search(struct req *r, struct list_query *q,
		    const struct list_spec *s, const char *text);

#endif
