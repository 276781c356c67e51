/* list_int.h — what the list-query engine's files share (list.c, the
 * query string and the page; list_filter.c, the filters; list_search.c,
 * the ?q= search). Not for modules: they use list.h. */
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

struct fvalue;
struct list_col;

/* The SQL expression of column c (its expr, else its field's name). */
const char *list_col_expr(const struct list_col *c);
/* Appends v to the parameters of q (the common ones, or the newest
 * arm's), as list_int and list_text do. */
void list_add_value(struct list_query *q, struct fvalue v);
/* Adds the filter c[op]=value to q: 0, or -1 with r->err (an operator the
 * type does not take, a malformed value). */
int list_add_filter(struct req *r, struct list_query *q,
		    const struct list_spec *s, const struct list_col *c,
		    const char *op, const char *value);

/* Writes the filters on staff lists that list_add_filter kept, once the
 * scope's arms are known (list_filter.c says how each reads the list).
 * 0, or -1 with r->err. */
int list_joined_resolve(struct req *r, struct list_query *q,
			const struct list_spec *s);

/* Adds the ?q= search for text to q: 0, or -1 with r->err (no search on
 * this list, text too long, a database error while planning). */
int list_add_search(struct req *r, struct list_query *q,
		    const struct list_spec *s, const char *text);

#endif
