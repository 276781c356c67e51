/* entity.h — the entity registry.
 *
 * A CRM entity is a field table plus a few names. Generic code drives from
 * it: the five REST routes, list filters, sorting and search, JSON,
 * validation, activity diffs and outbox payloads.
 *
 * The generic code is the kernel module `records` (entity_api.c); each
 * entity belongs to a module of its own, which lists it in `entities`,
 * declares its permission row and lists its five routes with
 * ENTITY_ROUTES. records' init collects every module's entities and
 * checks that each has its permission module and its routes.
 *
 * Adding an entity:
 *   1. src/entity/<name>.c with its `struct field` array,
 *      `const struct entity entity_<name>` and `const struct module
 *      module_<plural>` (copy lead.c);
 *   2. one row in atrium_modules[] (src/modules.c);
 *   3. migrations/sqlite and migrations/pg: its table with id, org_id,
 *      created_by, created_at, updated_at, version and one column per field
 *      (named as the field; money as integer minor units, tags as text);
 *   4. docs/openapi.yaml and tests/http (the meta-test insists).
 */
#ifndef ATR_ENTITY_H
#define ATR_ENTITY_H

#include "http/http.h"

struct buf;
struct db_stmt;

struct entity {
	const char *name;      /* "lead": table, activity entity, event type */
	const char *plural;    /* "leads": permission module */
	const char *label;     /* "Leads": shown in the permission matrix */
	struct schema schema;
	const char *title_field;  /* the field that names a record ("name") */
	const char *ui_sort;      /* the order the UI's list opens with (the
				   * API's default is always -id) */
	/* For groups of staff (departments, teams): the membership table and
	 * its column, so a member's own groups count as their own records
	 * under view_own. NULL for other entities. */
	const char *member_table, *member_col;
};

/* The handlers and the route check behind ENTITY_ROUTES. */
int entity_h_list(struct req *r);
int entity_h_get(struct req *r);
int entity_h_create(struct req *r);
int entity_h_update(struct req *r);
int entity_h_delete(struct req *r);
void entity_check_refs(struct req *r);

/* The five routes of entity e (an object of static storage) at
 * /api/v1/<plural>, for its module's route array; plural is a string
 * literal equal to e.plural (records' init checks it). */
#define ENTITY_ROUTES(e, plural)                                               \
	{HTTP_GET, "/api/v1/" plural, entity_h_list, ACCESS_PERM, plural,      \
	 CAP_VIEW, NULL, &(e), NULL, 0, NULL},                                 \
	{HTTP_POST, "/api/v1/" plural, entity_h_create, ACCESS_PERM, plural,   \
	 CAP_CREATE, &(e).schema, &(e), entity_check_refs, 0, NULL},           \
	{HTTP_GET, "/api/v1/" plural "/{id}", entity_h_get, ACCESS_PERM,       \
	 plural, CAP_VIEW, NULL, &(e), NULL, 0, NULL},                         \
	{HTTP_PATCH, "/api/v1/" plural "/{id}", entity_h_update, ACCESS_PERM,  \
	 plural, CAP_EDIT, &(e).schema, &(e), entity_check_refs, 0, NULL},     \
	{HTTP_DELETE, "/api/v1/" plural "/{id}", entity_h_delete, ACCESS_PERM, \
	 plural, CAP_DELETE, NULL, &(e), NULL, 0, NULL}

/* Every entity of every module, in module-table order (after records'
 * init): 0 <= i < entity_count(). */
int entity_count(void);
const struct entity *entity_at(int i);
/* The entity named name ("lead"), or NULL. */
const struct entity *entity_find(const char *name);

/* Writes the record of the current row as JSON text into b (same
 * columns as below). The one encoder of a record. */
void entity_row_write(const struct entity *e, struct db_stmt *st,
		      struct buf *b);
/* The entity's record as JSON from a row whose columns are
 * id, created_at, updated_at, version, created_by, then the fields in
 * table order. Caller owns the result. */
json_t *entity_row_json(const struct entity *e, struct db_stmt *st);

#endif
