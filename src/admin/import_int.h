/* import_int.h — what the files of the imports module share
 * (docs/internals/import.md).
 *
 *   import.c           the routes, the session row, the module
 *   import_template.c  GET /api/v1/imports/template (libxlsxwriter)
 *   import_map.c       the importable fields of an entity, header
 *                      matching, a cell's text as the API's JSON value
 *   import_run.c       the row pass (validate or write), the job, revert
 *   sheet_*.c          reading the file (sheet.h)
 */
#ifndef ATR_IMPORT_INT_H
#define ATR_IMPORT_INT_H

#include "atrium.h"

#include <jansson.h>

#include "admin/sheet.h"
#include "entity/entity.h"
#include "http/http.h"

/* Rows written per transaction in "skip bad rows" mode (each batch
 * commits with the progress that makes a second run continue after it). */
#define IMPORT_BATCH 500
/* A pass's rows allocate from an arena renewed past this size. */
#define IMPORT_ROW_ARENA (4u << 20)
/* Errors stored per import (error_count counts them all). */
#define IMPORT_ERRORS_MAX 1000
/* The header: at most this many columns (sheet.h's SHEET_MAX_COLS). */
#define IMPORT_COLS_MAX SHEET_MAX_COLS

/* One importable field of an entity: a compiled-in field, or a custom one
 * ("custom_fields.<slug>"). */
struct imp_target {
	const struct field *f;
	bool custom;
	char name[96]; /* "email", "custom_fields.vat_number" */
};

/* The importable fields of fs for the caller (admin-only ones only for
 * administrators; no read-only, secret, object, id-list or item fields),
 * in the entity's order then the custom ones. In r's arena. */
int imp_targets(struct req *r, const struct field_set *fs,
		struct imp_target **out);
/* The target named name, or NULL. */
const struct imp_target *imp_target_find(const struct imp_target *t, int n,
					 const char *name);
/* The target a header names (its name, its label, "Label *"), or NULL. */
const struct imp_target *imp_match_header(const struct imp_target *t, int n,
					  const char *header);
/* Whether fields of this type can be a duplicate key (text-like, one
 * value, a column). */
bool imp_dup_key_ok(const struct imp_target *t);

/* The entities an import may fill, by plural ("leads"), or NULL. */
const struct entity *imp_entity(const char *plural);

/* Active staff of the organisation by email (lower case) and id, loaded
 * once per pass for the owner and assignee columns. */
struct imp_staff {
	int n;
	int64_t *ids;
	char **emails;
};
int imp_staff_load(struct db_conn *c, int64_t org, struct imp_staff *s);
void imp_staff_free(struct imp_staff *s);

/* The JSON value of a cell for target t (new reference): trimmed text,
 * numbers and booleans as the type wants them, lists split at commas,
 * staff by email or id. NULL when the cell is empty. When the text cannot
 * be the type, the text itself, for the validator to refuse with its own
 * message. */
json_t *imp_cell_value(const struct imp_target *t, const char *cell,
		       const struct imp_staff *staff);

/* The session as the API shows it (new reference); from a row of
 * IMPORT_COLS. */
#define IMPORT_COLS                                                            \
	"id, entity, filename, format, bytes, headers, mapping, rows_total, "   \
	"dup_key, dup_mode, skip_bad, status, rows_done, created_count, "       \
	"updated_count, skipped_count, error_count, error, created_by, "        \
	"created_at, updated_at, finished_at, reverted_at"
json_t *imp_row_json(struct db_stmt *st);

/* What a pass over the file needs. */
struct imp_pass {
	struct req *r; /* the importer's context (its principal, its db) */
	const struct entity *e;
	const struct field_set *fs;
	int64_t import_id;
	const struct imp_target **col; /* per column: its target or NULL */
	const char **header;           /* per column */
	int ncols;
	int dup_col;          /* the duplicate key's column, or -1 */
	const struct imp_target *dup;
	char dup_mode[8];     /* create | skip | update */
	bool skip_bad;
	bool write;           /* false: validate only */
	bool own_only;        /* the importer sees only their own records */
	struct imp_staff staff;
	int64_t after_row;    /* rows up to this one are done (resume) */
	/* Optional, write: ends a batch (commits it) and begins the next,
	 * every IMPORT_BATCH rows. 0 or -1. */
	int (*flush)(struct imp_pass *p);
	int batch; /* rows of the current batch */
	bool seen_header, seen_data;
	/* results: of this batch (all of a pass without batches) */
	int64_t last_row, handled, created, updated, skipped, errors;
	int64_t totals[4]; /* the committed batches': created, updated,
			    * skipped, errors */
	json_t *errs;      /* [{row, column, reason}] not stored yet */
	int64_t stored_errors;
	struct arena *row_arena; /* the current rows' allocations */
	/* Write: the creates queued for the bulk write path (entity.h,
	 * entity_bulk_*), written every IMPORT_BATCH rows and before any
	 * update, a batch end or the pass's end; their duplicate keys (lower
	 * case) so a later row of the file with the same key sees them. */
	struct entity_bulk *bulk;
	char **pending_keys;
	int npending;
	/* the written batch's import_row tags: row and record */
	int64_t *tag_row, *tag_id, *tag_version;
	int ntags;
	char *tags_sql; /* their INSERT for tags_n rows, kept */
	int tags_n;
	bool stopped; /* the runner stops: the last batch committed */
	bool failed;  /* a database error: r->err */
};

/* Loads the import's settings into p (caller: imp_pass_free). 1, 0 (not
 * found), -1. */
int imp_pass_load(struct req *r, int64_t id, struct imp_pass *p,
		  char **file, size_t *len, char *status, size_t status_len);
void imp_pass_free(struct imp_pass *p);
/* Runs the rows of the file through the pass, in r's open transaction. 0,
 * or -1 (a database error, r->err). */
int imp_pass_run(struct imp_pass *p, const char *file, size_t len);

struct arena;
struct job_ctx;
/* Job kinds (import_run.c). */
int imp_job_validate(struct job_ctx *j, struct atr_err *err);
int imp_job_write(struct job_ctx *j, struct atr_err *err);
/* POST /api/v1/imports/{id}/revert (import_run.c). */
int imports_h_revert(struct req *r);
/* GET /api/v1/imports/template (import_template.c). */
int imports_h_template(struct req *r);

#endif
