/* write.h — the one write path.
 *
 * Create, update and delete of any record run through write_run, which
 * owns the sequence every module would otherwise copy: the
 * Idempotency-Key check and replay (create), the If-Match precondition
 * (update, delete), begin, load (locked for update on PostgreSQL),
 * version compare, the module's own change, the diff, the activity row,
 * the outbox event, the maintained count, commit, and the response
 * (201 + Location + ETag, 200 + ETag, or 204). A handler states what
 * changes — a load and an apply callback — not how the transaction runs.
 *
 *   static int lead_apply(struct req *r, const struct write_op *op,
 *                         const json_t *before, json_t **after) { ... }
 *   struct write_op op = {WRITE_UPDATE, "lead", "/api/v1/leads", true,
 *                         false, lead_load, lead_apply, ctx};
 *   return write_run(r, &op);
 *
 * Records are JSON objects with "id" and "version"; the diff covers every
 * other key except created_at, updated_at and created_by. A record may
 * carry keys the diff must not show (secrets): keep them out of the JSON,
 * and let diff_edit say that they changed.
 *
 * Many creates at once (an import) have a bulk form with the same rows:
 * write_bulk.h and entity.h's entity_bulk_* (docs/internals/write-bulk.md).
 */
#ifndef ATR_WRITE_H
#define ATR_WRITE_H

#include "atrium.h"

#include <jansson.h>

struct db_conn;
struct req;

enum write_kind { WRITE_CREATE = 1, WRITE_UPDATE, WRITE_DELETE };

struct write_op {
	enum write_kind kind;
	const char *entity;   /* "lead": activity entity, event, count key */
	const char *location; /* the collection path, for Location (create) */
	bool counted;         /* entity_count follows creates and deletes */
	bool if_match_optional; /* update: no 428 without If-Match */
	/* Update and delete: the record in the open transaction, locked
	 * against concurrent writers (FOR UPDATE on PostgreSQL). 1 found
	 * (*rec set, the caller's reference), 0 absent or not visible to
	 * the caller, -1 error (r->err, or a database error). */
	int (*load)(struct req *r, const struct write_op *op, json_t **rec);
	/* The change, in the open transaction. create: *after = the new
	 * record; update: *after = the record as changed, or NULL when
	 * nothing changes; delete: remove it. 1 done, 0 the record is gone
	 * (a concurrent delete: 404), -1 error (r->err, or a database
	 * error). */
	int (*apply)(struct req *r, const struct write_op *op,
		     const json_t *before, json_t **after);
	void *ctx; /* the module's own */
	/* Optional, update: the answer of an action whose result is another
	 * record (a proposal converted answers 201 with the invoice it
	 * became), set after the commit instead of 200 with the record and
	 * its ETag. */
	void (*reply)(struct req *r, const struct write_op *op);
	/* Optional: adjusts the diff before it is logged, for what a record
	 * keeps out of its JSON (a secret that changed says "changed", never
	 * its value) or keys of its own bookkeeping that are no change. */
	void (*diff_edit)(struct req *r, const struct write_op *op,
			  json_t *diff);
	/* Update with a reply: an action that makes another record (a
	 * proposal converted to an invoice) takes Idempotency-Key like a
	 * create; a repeat within a day answers the first reply. */
	bool idempotent;
};

/* Runs op as one transaction and sets r's response. 0, or -1 with r->err
 * (nothing written). */
int write_run(struct req *r, const struct write_op *op);

/* The JSON diff of a change: {key: {from, to}} for update, {key: {to}}
 * for create (before NULL), {key: {from}} for delete (after NULL); empty
 * values (null, "", []) are left out of create and delete. New
 * reference. */
json_t *write_diff(const json_t *before, const json_t *after);

struct buf;
/* A record just created, as two JSON texts (a bulk write: no jansson
 * tree built only to be serialised again): the record as the API shows
 * it (the event's `after`) and its create diff (the activity row's), the
 * same keys, values and order as json_dumps(rec, JSON_COMPACT) and
 * json_dumps(write_diff(NULL, rec), JSON_COMPACT | JSON_SORT_KEYS) write
 * (strings escaped by core/json_out.h: equal as JSON).
 *
 * The diff is made from the record's text and its leaves: where each
 * value's text is in it, keyed "field" or "custom_fields.name" (top:
 * a field's own value), as entity_row_write records them while it
 * writes the record. write_created_diff appends the diff to diff, or
 * returns -1 when a field's own value is an object (the caller makes
 * the diff from the parsed record then); it sorts l. */
struct write_leaf {
	char key[160];
	bool top;
	size_t off, len; /* from the record text's start */
};
struct write_leaves {
	struct write_leaf *v;
	int n, cap;
};
void write_leaves_add(struct write_leaves *l, const char *k, const char *sub,
		      size_t off, size_t len);
void write_leaves_free(struct write_leaves *l);
int write_created_diff(const char *text, struct write_leaves *l,
		       struct buf *diff);
/* Both texts from a parsed record (rec): appended to after and diff. */
void write_created_text(const json_t *rec, struct buf *after,
			struct buf *diff);

/* Moves the maintained count of entity in org by delta, in the caller's
 * transaction (a record made or removed outside write_run). 0 or -1. */
int write_count_add(struct db_conn *c, int64_t org, const char *entity,
		    int delta);

#endif
