/* custom_field_int.h — what the files of the custom fields module share
 * (custom_field.c: the definitions, their routes and the records
 * module's hook; custom_field_check.c: the schema and rules of a
 * definition; custom_field_change.c: what a change does to the values
 * already stored — filling, converting, removing — and the indexes). */
#ifndef ATR_CUSTOM_FIELD_INT_H
#define ATR_CUSTOM_FIELD_INT_H

#include "atrium.h"

#include <jansson.h>

#include "core/validate.h"

struct arena;
struct db_conn;
struct entity;
struct req;

#define CF_SLUG_MAX 60
#define CF_LABEL_MAX 100
#define CF_HELP_MAX 500
#define CF_OPTIONS_MAX 100
#define CF_OPTION_MAX 100
#define CF_DECIMALS_MAX 6
#define CF_FAILURES_MAX 50 /* conversion failures a preview lists */

/* A type an administrator chooses, and the field type it is. */
struct cf_type {
	const char *name;  /* the API name: "text", "multi_select", ... */
	enum ftype ft;
	bool multiline;
	int max;           /* text: characters; multi_select: items */
	const char *label; /* "Short text" */
	const char *hint;  /* the spec's advice on when to choose it */
};

/* The type names, NULL-terminated (filled by the module's init). */
extern const char *cf_type_names[];

/* Definition id of the caller's organisation (one reserved to
 * administrators only for them), locked on PostgreSQL when lock: 1 (*out
 * the caller's), 0 absent, -1 error. */
int cf_load_def(struct req *r, int64_t id, bool lock, json_t **out);

/* The definition as the request's body would leave it: cur (PATCH) with
 * the body's members over it, or the body with the defaults (POST). New
 * reference. */
json_t *cf_merged_def(struct req *r, const json_t *cur);

/* The route's schema and check (custom_field_check.c). */
const struct schema *cf_def_schema(struct req *r);
void cf_def_check(struct req *r);

/* The type named name, or NULL. */
const struct cf_type *cf_type_find(const char *name);

/* The field a definition (its API JSON) defines, in a (strings are the
 * definition's: keep it alive while f is used). */
void cf_field_of(const json_t *def, struct arena *a, struct field *f);

/* The definitions of org's active fields of e as the records module reads
 * them (module.custom_fields): [{name, type, ...}]. */
int cf_defs(struct db_conn *c, int64_t org, const struct entity *e,
	    json_t **out);

/* What changing definition `before` into `after` does to the records:
 *   preview (write = false): {"records", "with_value", "missing",
 *     "convertible", "failures": [{id, value, reason}] (at most
 *     CF_FAILURES_MAX), "fill": N (records fill_value would fill)};
 *   write: converts the values (the request fails, naming `type`, when
 *     one does not convert), fills the records without a value when the
 *     field becomes required (the request fails, naming `fill_value`,
 *     when some lack one and none is given), rewrites the search text and
 *     the index; *summary gets what was done for the activity entry.
 * In the open transaction. 0, or -1 (r->err). */
int cf_change_values(struct req *r, const json_t *before, const json_t *after,
		     const json_t *fill, bool write, json_t **summary);

/* Removes definition def's values from every record of its entity
 * (*values: {"<record id>": value} as the API showed them, for the
 * activity entry), its index, and its part of the search text. */
int cf_remove_values(struct req *r, const json_t *def, json_t **values);

/* The count of records of def's entity holding a value. */
int cf_count_values(struct req *r, const json_t *def, int64_t *n);

/* Creates definition def's index (after it is inserted). */
int cf_index_create(struct req *r, const json_t *def);

/* Rewrites the search text of every record of entity e of the caller's
 * organisation from the definitions now in the transaction. */
int cf_search_rewrite(struct req *r, const struct entity *e);

#endif
