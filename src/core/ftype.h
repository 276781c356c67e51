/* ftype.h — the field-type table: what each type of field does.
 *
 * One row per `enum ftype` (core/validate.h) replaces the switches that
 * used to be spread over validation, the entity code and the UI: how a
 * JSON value is checked, how it is stored and bound, how a column is
 * written back as JSON, what a value normalises to (for diffs and
 * echoes), which list filters and sorts it supports, and the type name
 * the UI reads.
 *
 * Adding a field type:
 *   1. its enum value in core/validate.h (before FT__COUNT);
 *   2. its row in ftypes[] (ftype.c) and the functions that row names —
 *      every member is required unless its comment says otherwise;
 *   3. its SQL column type in the migrations of the entities that use it
 *      (text or integer, as `sql` says), its `type` in docs/openapi.yaml's
 *      FieldDef enum, and its input in the web UI (the INPUT map of
 *      web/assets/js/entities.js, and control() in pages/form.js);
 *   4. cases in tests/unit/test_ftype.c (valid, invalid, round trip).
 *
 * Joined types (FT_STAFF_LIST, "a list of staff members"). A value that is
 * a set of ids is not a column of the record: it lives in a table of its
 * own, one row per item, so that "records naming member 7" is an index
 * walk rather than a search inside text. The table of field F of entity E
 * is named E_F (task_assignees, project_members) and has the columns
 *
 *   org_id    the record's organisation
 *   record_id the record's id (REFERENCES E(id) ON DELETE CASCADE)
 *   staff_id  one item (REFERENCES staff(id))
 *
 * with PRIMARY KEY (record_id, staff_id) — a record's list, and the probe
 * "is 7 on record 12" — and an index (staff_id, org_id, record_id): the
 * records of one member in id order, which view_own, the filter
 * field=7 and offboarding walk (src/entity/entity_lists.c says why one
 * table per field rather than one for the whole kernel). The entity code
 * keeps it (entity_api.c: written by the write path in the record's
 * transaction, read for a page of records in one query per field); the
 * list engine filters on it (http/list.h). A joined type has no bind or
 * write: nothing binds it to, or reads it from, the record's row.
 */
#ifndef ATR_FTYPE_H
#define ATR_FTYPE_H

#include "atrium.h"

#include <jansson.h>

#include "core/validate.h"

struct arena;
struct buf;
struct db_stmt;

/* List filter operators (?field[op]=value); see http/list.h. */
enum fop {
	FOP_EQ = 1 << 0,       /* field=v, field[ne]=v */
	FOP_IN = 1 << 1,       /* field[in]=a,b,c */
	FOP_RANGE = 1 << 2,    /* field[gt|gte|lt|lte]=v */
	FOP_CONTAINS = 1 << 3, /* text: substring; arrays: has the item */
	FOP_EMPTY = 1 << 4,    /* field[empty]=true|false */
};

/* How a value sits in its column. */
enum fsql { FSQL_TEXT = 1, FSQL_INT };

/* A value ready to bind: an integer or a text in the caller's memory. */
struct fvalue {
	bool is_int;
	int64_t i;
	const char *s; /* owned by whoever filled it (arena or malloc) */
};

struct ftype_ops {
	const char *name; /* the API and UI type name: "text", "date", ... */
	enum fsql sql;
	unsigned ops;   /* the FOP_* bits a list may filter with */
	bool sortable;  /* may be a sort key */
	bool fold_sort; /* sorted case-insensitively (lower()) */
	bool array;     /* a JSON array ([] when empty): of strings stored
			 * as its JSON text, or of ids in a table (joined) */
	/* Checks a non-null JSON value; 0, or -1 with one field error. */
	int (*check)(const struct field *f, const json_t *v,
		     struct atr_err *err);
	/* Binds a checked value (NULL or JSON null: SQL NULL). */
	void (*bind)(struct db_stmt *st, int idx, const struct field *f,
		     const json_t *v);
	/* Appends the JSON of a non-NULL column value. */
	void (*write)(struct buf *b, const struct field *f, struct db_stmt *st,
		      int col);
	/* The value a checked v means once stored (new reference): what a
	 * read gives back, so diffs compare like with like. */
	json_t *(*normalise)(const struct field *f, const json_t *v);
	/* Parses the text of a filter value into what binds against the
	 * column; text values are copied into the arena a. NULL when the
	 * type cannot be filtered. 0 or -1 with a message in err. */
	int (*parse)(const struct field *f, const char *text, struct arena *a,
		     struct fvalue *out, struct atr_err *err);
	/* Values in a table of their own, not in a column (above). */
	bool joined;
	/* A staff id: the filter value `me` stands for the caller's own
	 * (?assigned_to=me, ?assignees=me: "my tasks" as one address for
	 * everyone). */
	bool me;
};

/* The row of t (never NULL for a valid type). */
const struct ftype_ops *ftype_of(enum ftype t);
/* The type named name ("date"), or 0. */
enum ftype ftype_by_name(const char *name);

/* Binds v of f at idx through its type (never a joined type). */
void field_bind(struct db_stmt *st, int idx, const struct field *f,
		const json_t *v);
/* Appends the JSON of column col of f ("null", or [] for arrays, when the
 * column is NULL). */
void field_write(struct buf *b, const struct field *f, struct db_stmt *st,
		 int col);
/* What v means once stored; null (or [] for arrays) for NULL, null and
 * "". New reference. */
json_t *field_normalise(const struct field *f, const json_t *v);
/* Values kept in a JSON document rather than a column (runtime fields):
 * the stored form is what the column would hold — an integer for the
 * integer-backed types (money and decimals scaled, booleans 0/1), a
 * string or an array otherwise. field_stored takes a checked API value
 * (NULL for null); field_api gives the API value back. New references;
 * JSON null for null. */
json_t *field_stored(const struct field *f, const json_t *v);
json_t *field_api(const struct field *f, const json_t *stored);

/* The label of f: its own, or its name with the first letter upper-case
 * and '_' as spaces (written into buf of n bytes). */
const char *field_label(const struct field *f, char *buf, size_t n);

#endif
