/* entity.h — the entity registry.
 *
 * A CRM entity is a field table plus a few names. Generic code drives from
 * it: the five REST routes, list filters, sorting and search, JSON,
 * validation, activity diffs and outbox payloads.
 *
 * Adding an entity:
 *   1. src/entity/<name>.c with its `struct field` array and
 *      `const struct entity entity_<name>`;
 *   2. one row in entity_registry[] (registry.c);
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
	const char *path_list; /* "/api/v1/leads" */
	const char *path_item; /* "/api/v1/leads/{id}" */
	struct schema schema;
	/* For groups of staff (departments, teams): the membership table and
	 * its column, so a member's own groups count as their own records
	 * under view_own. NULL for other entities. */
	const char *member_table, *member_col;
};

extern const struct entity entity_lead;
extern const struct entity entity_client;
extern const struct entity entity_department;
extern const struct entity entity_team;

/* NULL-terminated list of every entity. */
extern const struct entity *const entity_registry[];

/* Builds the per-entity SQL once and appends the entity routes to the
 * route table; returns the new count. */
int entity_routes_append(struct route **t, int n, int *cap);
/* Frees what entity_routes_append built. */
void entity_fini(void);

/* Writes the record of the current row as JSON text into b (same
 * columns as below). The one encoder of a record. */
void entity_row_write(const struct entity *e, struct db_stmt *st,
		      struct buf *b);
/* The entity's record as JSON from a row whose columns are
 * id, created_at, updated_at, version, created_by, then the fields in
 * table order. Caller owns the result. */
json_t *entity_row_json(const struct entity *e, struct db_stmt *st);

#endif
