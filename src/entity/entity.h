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
 *      created_by, created_at, updated_at, version, cf (TEXT: the custom
 *      values), cf_search (TEXT: their search text) and one column per
 *      field (named as the field; money as integer minor units, tags as
 *      text), and its search index over the F_SEARCH fields then cf_search
 *      (see migrations/ * /0018_custom_fields.sql); a staff list
 *      (FT_STAFF_LIST) is a table <entity>_<field> instead of a column
 *      (core/ftype.h; migrations/ * /0027_members.sql);
 *   4. docs/openapi.yaml and tests/http (the meta-test insists).
 */
#ifndef ATR_ENTITY_H
#define ATR_ENTITY_H

#include "db/db.h"
#include "http/http.h"
#include "http/list.h"

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
	/* Optional: a link to a record of any entity, as two fields: the one
	 * naming the entity ("rel_type") and the one holding its id
	 * ("rel_id"). Lists name the records linked (refs). */
	const char *link_type, *link_id;
	/* Optional: rules across the entity's own fields, run by the route
	 * check after the field checks (adds field errors to r->err). */
	void (*check)(struct req *r, const struct entity *e);
	/* Optional: runs in the write's transaction right after a create or
	 * an update wrote the row (not when an update changed nothing), with
	 * the record before (NULL on create) and after. It may write more
	 * (a document's number when it is issued) and then replaces *after
	 * with the record as stored, so the answer, the activity diff and
	 * the outbox event show it. 0, or -1 (r->err, or a database error):
	 * the whole write rolls back. */
	int (*on_write)(struct req *r, const struct entity *e,
			const json_t *before, json_t **after);
	/* Optional: runs in the delete's transaction right after the row
	 * went, with the record as it was. It may refuse (an issued
	 * document is never deleted) or write what follows from the
	 * delete (an invoice's paid amount). 0, or -1 (r->err, or a
	 * database error): the delete rolls back. */
	int (*on_delete)(struct req *r, const struct entity *e,
			 const json_t *before);
};

/* Whether record id of e exists in the caller's organisation and the
 * caller may see it: 1, 0 (absent and invisible are the same answer, so
 * ids outside one's scope cannot be probed), -1 on a database error. */
int entity_ref_visible(struct req *r, const struct entity *e, int64_t id);

/* Record r->id of e as the API shows it (the caller's reference), within
 * the caller's view scope; locked for update on PostgreSQL when lock (in
 * the caller's transaction). 1 found, 0 not (or not visible), -1 error. */
int entity_record_load(struct req *r, const struct entity *e, bool lock,
		       json_t **out);

/* Record id of e in the caller's organisation whatever the caller's view
 * scope, locked on PostgreSQL (FOR NO KEY UPDATE, which rows that refer
 * to it by foreign key do not block): for a write that follows from
 * another one the caller was allowed (a payment settles its invoice).
 * Never for an answer. 1 found, 0 not, -1 error. */
int entity_record_follow(struct req *r, const struct entity *e, int64_t id,
			 json_t **out);

/* Creates a record of e in the caller's open transaction exactly as
 * POST /api/v1/<plural> would with body (not taken; the request's own
 * body is left as it was): the body schema, references the caller may
 * see, custom fields and e's check hook, the row with its staff lists,
 * e's on_write hook, the activity row ("create"), the `created` event
 * and the entity count. For a record that follows from another change
 * (a proposal becoming an invoice); the permission to create e is the
 * calling route's: nothing here checks it. Field errors are named as e's
 * create route names them. 0 (*out the record as the API shows it, a new
 * reference), or -1 (r->err, or a database error: the caller rolls
 * back). entity_follow.c. */
int entity_record_create(struct req *r, const struct entity *e,
			 const json_t *body, json_t **out);

/* Updates record id of e in the caller's open transaction exactly as
 * PATCH /api/v1/<plural>/{id} would with patch (no If-Match): the body
 * schema, the checks, the record loaded within the caller's view scope
 * (404 otherwise), the row, the hooks, the activity row ("update") and
 * the `updated` event when something changed. The permission to edit e
 * is the caller's to check. 0 (*out the record as stored, a new
 * reference) or -1 (r->err, or a database error: the caller rolls back).
 * entity_follow.c. */
int entity_record_update(struct req *r, const struct entity *e, int64_t id,
			 const json_t *patch, json_t **out);

/* Checks body as POST /api/v1/<plural> (id 0) or PATCH of record id
 * would, without writing: the body schema, references the caller may
 * see, staff lists, custom fields and e's check hook: the first half of
 * entity_record_create and entity_record_update, for a dry run (an
 * import's validation). 0, or -1 with the field errors in r->err.
 * entity_follow.c. */
int entity_record_check(struct req *r, const struct entity *e, int64_t id,
			const json_t *body);

/* Bulk creates (entity_bulk.c; docs/internals/write-bulk.md): records of
 * e made n at a time in the caller's open transaction, for an import.
 * entity_bulk_add checks a body exactly as entity_record_create would
 * (the same validate_body and entity_check_body: no second validator)
 * and queues it; entity_bulk_flush writes the queue with one multi-row
 * INSERT ... RETURNING (its search-index entries by the table's own
 * triggers), each record's staff lists and e's on_write hook, then the
 * write path's bookkeeping for all of them at once (write_bulk_created:
 * an activity row and a `created` event per record, the count once). The
 * records are those n entity_record_create calls would make.
 *
 *   struct entity_bulk *b = entity_bulk_new(r, e, 500);
 *   if (entity_bulk_add(b, body, row_no) < 0) ... r->err: the row's errors
 *   if (entity_bulk_count(b) == 500) entity_bulk_flush(b, done, arg);
 */
struct entity_bulk;
/* A queue of at most cap records (fewer when e's columns need it: the
 * INSERT's parameters stay under both databases' limits); see
 * entity_bulk_cap. */
struct entity_bulk *entity_bulk_new(struct req *r, const struct entity *e,
				    int cap);
void entity_bulk_free(struct entity_bulk *b);
int entity_bulk_cap(const struct entity_bulk *b);
int entity_bulk_count(const struct entity_bulk *b);
/* Checks body as a create and queues it with the caller's tag. 0, or -1
 * with r->err (field errors: refused; ATR_E_INTERNAL: a database
 * error). */
int entity_bulk_add(struct entity_bulk *b, const json_t *body, int64_t tag);
/* Writes the queued records; done(arg, tag, id, version) is called for
 * each in the order they were queued (the record's id and version). 0 and the queue is empty, or -1 with r->err or a database
 * error: part of the batch may be written, so the caller rolls back to a
 * savepoint it took before (the queue is kept for entity_bulk_each). */
int entity_bulk_flush(struct entity_bulk *b,
		      int (*done)(void *arg, int64_t tag, int64_t id,
				  int64_t version),
		      void *arg);
/* Calls fn(arg, tag, body) for each queued record in order (body as it
 * was given) and empties the queue: after a failed flush, the caller
 * writes them one by one (entity_record_create) to learn which was
 * refused. 0, or fn's first negative answer. */
int entity_bulk_each(struct entity_bulk *b,
		     int (*fn)(void *arg, int64_t tag, const json_t *body),
		     void *arg);

/* Deletes record id of e in the caller's open transaction exactly as
 * DELETE /api/v1/<plural>/{id} would (no If-Match): the record loaded
 * within the caller's view scope (404 otherwise), e's on_delete hook, the
 * activity row ("delete"), the `deleted` event and the count. The
 * permission to delete is the caller's to check. 0 (*out the record as
 * it was, a new reference) or -1 (r->err, or a database error).
 * entity_follow.c. */
int entity_record_delete(struct req *r, const struct entity *e, int64_t id,
			 json_t **out);

/* Offboarding: moves e's records on which staff member `from` is named in
 * field i (an owner or assignee field: a column, or a staff list, where
 * `to` already listed just loses `from`) to `to`, in the caller's
 * transaction, each with its next version and an activity row
 * ("reassign", {field: {from, to}}). Returns how many records, or -1 (a
 * database error). entity_reassign.c. */
int64_t entity_reassign(struct req *r, const struct entity *e, int i,
			int64_t from, int64_t to);

/* A list of e's records with more to it than GET /api/v1/<plural> (the
 * record retention rules' preview and run, src/gdpr/): the same query
 * language, view scope and rows, plus what the hooks add. Each is
 * optional; arg is handed to each. */
struct entity_list_hooks {
	/* Conditions of the caller's own (list_where, list_int, ...), added
	 * before the view scope. 0 or -1 (r->err). */
	int (*where)(struct req *r, struct list_query *q, void *arg);
	/* Sees each row as written (columns as entity_row_json's). */
	void (*row)(struct db_stmt *st, void *arg);
	/* More members of the answer (,"name":value), after the page. */
	int (*extra)(struct req *r, struct buf *out, void *arg);
	void *arg;
};

/* Answers r's list request for e (its query parameters, its caller's
 * view scope) as entity_h_list does, with hooks (NULL: none). 0 or -1
 * with r->err. entity_list.c. */
int entity_list_run_hooks(struct req *r, const struct entity *e,
			  const struct entity_list_hooks *hooks);

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
	 CAP_CREATE, NULL, &(e), entity_check_refs, 0, entity_body_schema},    \
	{HTTP_GET, "/api/v1/" plural "/{id}", entity_h_get, ACCESS_PERM,       \
	 plural, CAP_VIEW, NULL, &(e), NULL, 0, NULL},                         \
	{HTTP_PATCH, "/api/v1/" plural "/{id}", entity_h_update, ACCESS_PERM,  \
	 plural, CAP_EDIT, NULL, &(e), entity_check_refs, 0,                   \
	 entity_body_schema},                                                  \
	{HTTP_DELETE, "/api/v1/" plural "/{id}", entity_h_delete, ACCESS_PERM, \
	 plural, CAP_DELETE, NULL, &(e), NULL, 0, NULL}

/* Every entity of every module, in module-table order (after records'
 * init): 0 <= i < entity_count(). */
int entity_count(void);
const struct entity *entity_at(int i);
/* The entity named name ("lead"), or NULL. */
const struct entity *entity_find(const char *name);

/* An organisation's effective field set of an entity (field_set.c): the
 * compiled-in fields and the custom ones its modules define at run time,
 * with what requests need built once: the body schema (the compiled-in
 * fields plus a `custom_fields` object) and the list columns (plus
 * `custom_fields.<name>`, read from the record's `cf` JSON column). */
/* Custom fields per entity and organisation. */
#define ENTITY_CUSTOM_MAX 200

struct field_set {
	const struct entity *e;
	const struct field *custom; /* name = the slug; F_RUNTIME */
	int ncustom;
	const struct schema *body;
	const struct list_col *columns;
	int ncolumns;
};

/* The set for the request's organisation, from the cache (rebuilt when a
 * definition changed: within a second on every node, at once on this
 * one). Valid until the request ends. NULL (and r->err) on a database
 * error. */
const struct field_set *entity_fields(struct req *r, const struct entity *e);
/* Records that the request's organisation's custom definitions of e
 * changed, in the request's open transaction; until the request ends, no
 * set of this node is cached as fresh. 0 or -1. */
int entity_fields_changed(struct req *r, const struct entity *e);
/* The custom field named name, or NULL. */
const struct field *entity_custom_field(const struct field_set *fs,
					const char *name);
/* Frees the cache (at exit). */
void entity_fields_fini(void);
/* How often a cached set is checked against the database (default a
 * second); tests set 0 to see another node's change at once. */
void entity_fields_recheck(int64_t ns);
/* One definition of a module's custom_fields hook into f (strings in a);
 * false (skipped, logged) when malformed. Only text, email, phone, URL and
 * select fields are searchable. */
bool entity_field_parse(struct arena *a, const struct entity *e,
			const json_t *def, struct field *f);
/* The SQL expression of runtime field f's stored value in the record's
 * `cf` document, typed like the column it stands for (in a). The list
 * engine filters and sorts on it, and the custom fields module indexes
 * exactly this expression. */
const char *entity_cf_expr(struct arena *a, enum db_dialect d,
			   const struct field *f);
/* The search text of custom values cf (stored form): the values of the
 * searchable fields an administrator does not reserve, one per line, or
 * NULL when none (caller frees). */
char *entity_cf_search(const struct field_set *fs, const json_t *cf);
/* The same computed by SQL from the `cf` column, for the n runtime
 * fields custom (rewriting every record after a definition changed; in
 * a); "NULL" when none is searchable. Equal to entity_cf_search. */
const char *entity_cf_search_sql(struct arena *a, enum db_dialect d,
				 const struct field *custom, int n);
/* For a caller who is not an administrator, removes what only
 * administrators see: from a record's JSON (rec) its admin-only fields
 * and every custom value that is not of a visible field of the set
 * (reserved, deactivated or deleted: when unsure, nothing); from an
 * activity diff the same keys (custom_fields.<slug>). Needs the request's
 * database (entity_fields). */
void entity_redact(struct req *r, const struct entity *e, json_t *rec);
void entity_redact_diff(struct req *r, const struct entity *e, json_t *diff);
/* The body schema of an entity route (ENTITY_ROUTES' body_of). */
const struct schema *entity_body_schema(struct req *r);

struct entity_marks;

/* Writes the record of the current row as JSON text into b: the
 * compiled-in fields, then "custom_fields" from the `cf` column (fields
 * marked admin_only only when admin). The one encoder of a record. Staff
 * lists are not in the row: with marks (a list page) their values are
 * left for the page's one query per field (entity_lists_page), without
 * it they are written [] for entity_lists_load to fill. With leaves,
 * where each field's value and each custom value is in the text is
 * recorded there (http/write.h: a bulk create's diff made from the
 * text). */
struct write_leaves;
void entity_row_write(const struct field_set *fs, bool admin,
		      struct db_stmt *st, struct buf *b,
		      struct entity_marks *marks, struct write_leaves *leaves);
/* The same as a JSON value (caller owns it; staff lists []). Columns:
 * id, created_at, updated_at, version, created_by, the fields that are
 * columns in table order, cf. */
json_t *entity_row_json(const struct field_set *fs, bool admin,
			struct db_stmt *st);

#endif
