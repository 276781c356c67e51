/* entity_int.h — what the files of the records module share (entity_api.c:
 * the registry, SQL and CRUD; entity_list.c: lists and view scopes;
 * entity_meta.c: the definitions the UI reads). */
#ifndef ATR_ENTITY_INT_H
#define ATR_ENTITY_INT_H

#include "atrium.h"

#include "entity/entity.h"
#include "http/list.h"

/* The SQL of one entity that does not depend on the request, built once
 * by records' init. */
struct entity_sql {
	char *cols;     /* "id, created_at, ..., name, company" */
	char *get;      /* one record by id and org */
	char *get_own;  /* the same, limited to the member's own records */
	char *own;      /* " AND (...)": the view_own predicate */
	int nown;       /* its parameters, each the member's staff id */
	char *insert;   /* all fields, RETURNING cols */
	char *del;      /* DELETE ... RETURNING id */
	char *trgm;     /* PostgreSQL: the pg_trgm-indexed search expression */
	char *fts;      /* SQLite: the FTS5 table ("lead_fts"), or NULL */
	const char **search;      /* searchable fields, NULL-terminated */
	struct list_col *columns; /* filterable and sortable fields */
	struct list_spec list;
};

/* What an entity list's hooks get as their arg: the request's field set
 * and whether admin_only fields show. */
struct entity_list_ctx {
	const struct field_set *fs;
	bool admin;
	/* The ids the page's reference fields name, per field (compiled-in
	 * first, then custom), collected by the row writer for the answer's
	 * "refs" (their titles). */
	struct entity_refs *refs;
	int nrefs;
	struct arena *arena; /* the request's */
};

struct entity_refs {
	const struct field *f; /* FT_REF, or the id of a link (link_id) */
	const struct entity *t; /* the entity referred to */
	int col;               /* its column in the row, or -1: custom */
	int type_col;          /* a link: the column naming the entity (a
				* row counts when it names t), else -1 */
	int64_t *ids;          /* in the request's arena */
	int n, cap;
};

/* GET /api/v1/meta/entities (entity_meta.c). */
int entity_h_meta(struct req *r);

/* GET /api/v1/<plural> for e (entity_list.c). */
int entity_list_run(struct req *r, const struct entity *e);

/* The SQL of e (records' init built it). */
const struct entity_sql *entity_sql_of(const struct entity *e);
/* Fills s->list and its parts for e (at init); entity_list_free undoes. */
void entity_list_build(const struct entity *e, struct entity_sql *s);
void entity_list_free(struct entity_sql *s);

#endif
