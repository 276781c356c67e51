/* entity_int.h — what the files of the records module share
 * (entity_registry.c: the registry and its SQL; entity_api.c: CRUD;
 * entity_check.c: the route checks;
 * entity_list.c: lists and view scopes; entity_reassign.c: offboarding;
 * entity_lists.c: the staff lists, fields kept in tables of their own;
 * entity_meta.c: the definitions the UI reads). */
#ifndef ATR_ENTITY_INT_H
#define ATR_ENTITY_INT_H

#include "atrium.h"

#include "core/ftype.h"
#include "entity/entity.h"
#include "http/list.h"

struct buf;

/* A field kept in a table of its own (a staff list), not a column. */
static inline bool entity_field_joined(const struct field *f)
{
	return ftype_of(f->type)->joined;
}
struct scope_ids;

/* The SQL of one entity that does not depend on the request, built once
 * by records' init. */
struct entity_sql {
	char *cols;     /* "id, created_at, ..., name, company" (the fields
			 * that are columns: not the joined ones) */
	int nfields;    /* the entity's */
	int *fcol;      /* per field: its column in cols, or -1 (joined) */
	int cfcol;      /* the column of cf */
	char **jtable;  /* per field: the table of a joined field, or NULL */
	int njoined;    /* how many fields are joined */
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

/* Where a record's staff list goes in a page being written: the row
 * writer leaves the value out at `at` (after its key) and the page's
 * rows_done hook puts every list of the page there, read in one query per
 * field. */
struct entity_mark {
	size_t at;  /* offset in the answer */
	int64_t id; /* the record */
	int field;  /* the field's index in the entity's schema */
};

struct entity_marks {
	struct entity_mark *v;
	int n, cap;
	struct arena *arena;
};

/* What an entity list's hooks get as their arg: the request's field set
 * and whether admin_only fields show. */
struct entity_list_ctx {
	const struct field_set *fs;
	bool admin;
	struct entity_marks marks; /* the page's staff lists to fill in */
	/* The ids the page's reference fields name, per field (compiled-in
	 * first, then custom), collected by the row writer for the answer's
	 * "refs" (their titles). */
	struct entity_refs *refs;
	int nrefs;
	struct arena *arena; /* the request's */
	const struct entity_list_hooks *hooks; /* or NULL */
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

/* ---- staff lists (entity_lists.c) ---- */

/* Sets every joined field of rec (a record of e as the row writer made
 * it) from its table: one query per field. 0 or -1 (database error). */
int entity_lists_load(struct req *r, const struct entity *e, json_t *rec);
/* Replaces record id's list of field i with v (checked; NULL or null:
 * empty), in the caller's transaction; fresh: the record was just made
 * (nothing to remove). 0 or -1. */
int entity_list_store(struct req *r, const struct entity *e, int i,
		      int64_t id, const json_t *v, bool fresh);
/* The route check of joined field i's value v: every id an active member
 * of the caller's organisation, except ids already on record r->id's list
 * when the caller may see it (a deactivated member stays until removed).
 * Adds a field error named after the field. */
void entity_list_check(struct req *r, const struct entity *e, int i,
		       const json_t *v);
/* Leaves the value of field i of record id out of the page at b's end
 * (entity_mark). */
void entity_marks_add(struct entity_marks *m, const struct buf *b, int64_t id,
		      int i);
/* The list hook: fills the marked values of the page in out. */
int entity_lists_page(struct req *r, struct buf *out, const void *arg);
/* The view_own arms of joined fields (F_OWNER or F_ASSIGNEE) of e for the
 * member's peers, after the arms of the column groups (whose columns and
 * values are cols[k] and ids[k], k < ncols, which these arms exclude).
 * Returns the arms added (each walks the list's index in page order), or
 * -1 past LIST_ARMS_MAX. */
int entity_lists_arms(struct list_query *q, const struct entity *e,
		      const struct scope_ids *peers, const char *const *cols,
		      const struct scope_ids *const *ids, int ncols);

/* The checks of entity_check_refs for a body of e in r->body (a
 * create when r->method is HTTP_POST): references, staff lists, custom
 * fields and e's check hook. Adds field errors to r->err
 * (entity_check.c). */
void entity_check_body(struct req *r, const struct entity *e);

/* Inserts a record of e from r->body (checked) in the caller's open
 * transaction, with its staff lists and e's on_write hook: the create
 * of the write path without its bookkeeping (activity row, event, count:
 * the caller's). 1 made (*after the record, a new reference), -1
 * (r->err, or a database error) (entity_api.c). */
int entity_create_row(struct req *r, const struct entity *e, json_t **after);
/* Binds the INSERT parameters of one new record of e from body (checked)
 * at base + 1 onwards of st (entity_sql's insert, or its multi-row form
 * in entity_bulk.c), with now as created_at and updated_at. Returns how
 * many parameters it bound. */
int entity_insert_bind(struct req *r, const struct entity *e,
		       const struct field_set *fs, const json_t *body,
		       const char *now, struct db_stmt *st, int base);
/* What follows a new record's row, with r->body its body: the staff
 * lists, then e's on_write hook (which may replace *after). 1, or -1. */
int entity_created_hooks(struct req *r, const struct entity *e,
			 json_t **after);
/* The row of an update of record r->id with r->body (checked), before as
 * loaded: what PATCH writes, its staff lists and e's on_write hook. 1
 * (*after the record as stored, NULL when nothing changed), 0 gone
 * meanwhile, -1 error. */
int entity_update_row(struct req *r, const struct entity *e,
		      const json_t *before, json_t **after);

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
