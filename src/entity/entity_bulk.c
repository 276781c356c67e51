/* entity_bulk.c — records of one entity created n at a time (entity.h:
 * entity_bulk_*), for an import's batch of creates.
 *
 * A create through entity_record_create costs about a dozen statements
 * and as many allocations per record (the row, the activity head read,
 * row and head update, the event, the count, ...). Here the checks stay
 * per record and identical (validate_body and entity_check_body, as
 * entity_record_check runs them), and the writes go per batch:
 *   - one INSERT INTO <table> (...) VALUES (...), (...), ... RETURNING
 *     <cols>, built from the entity's own single-row insert (the same
 *     columns, the same binding: entity_insert_bind), prepared once per
 *     batch size and cached by the connection; the table's triggers keep
 *     the search index (FTS5 on SQLite) as for a single insert;
 *   - per record, only when the entity has them: the staff lists and the
 *     on_write hook (entity_created_hooks), as a single create runs them;
 *   - write_bulk_created (http/write_bulk.h): the activity rows, the
 *     events and the count, one statement each for the batch.
 * RETURNING promises no order, so the records are matched to the queue by
 * id: ids are handed out in the order of the VALUES rows (SQLite's rowid
 * is max + 1 per row; PostgreSQL's sequence is drawn per row in order),
 * so the k-th smallest id is the k-th queued row.
 * A statement binds at most db_params_max parameters (SQLite's limit;
 * on PostgreSQL libpq's limit on a statement's description): the batch
 * is capped so one INSERT holds it (about 270 leads on PostgreSQL, 500
 * on SQLite).
 */
#include "atrium.h"

#include "core/buf.h"
#include "db/db.h"
#include "entity/entity_int.h"
#include "http/write.h"
#include "http/write_bulk.h"

struct bulk_item {
	json_t *body; /* as given (a reference) */
	int64_t tag;
};

struct entity_bulk {
	struct req *r;
	const struct entity *e;
	int cap, n;
	int nparams; /* per row */
	struct bulk_item *items;
	char *head, *tuple, *tail; /* the insert's parts */
	char *sql;  /* the insert of sql_n rows, kept for the next batch */
	int sql_n;
	/* a flush's records and their diffs as JSON text (write_created_*),
	 * kept for the next batch: no large allocation per batch */
	struct buf after, diff;
	struct write_leaves leaves;
};

struct entity_bulk *entity_bulk_new(struct req *r, const struct entity *e,
				    int cap)
{
	struct entity_bulk *b = xcalloc(1, sizeof *b);
	b->r = r;
	b->e = e;
	const char *ins = entity_sql_of(e)->insert;
	const char *v = strstr(ins, " VALUES (");
	const char *t = strstr(ins, ") RETURNING ");
	ATR_ASSERT(v && t && t > v);
	b->head = xasprintf("%.*s", (int)(v - ins), ins);
	b->tuple = xasprintf("%.*s)", (int)(t - (v + 8)), v + 8);
	b->tail = xstrdup(t + 1);
	for (const char *p = b->tuple; *p; p++)
		b->nparams += *p == '?';
	if (cap < 1)
		cap = 1;
	if (cap * b->nparams > db_params_max(r->db))
		cap = db_params_max(r->db) / b->nparams;
	b->cap = cap;
	b->items = xcalloc((size_t)cap, sizeof *b->items);
	return b;
}

static void clear(struct entity_bulk *b)
{
	for (int i = 0; i < b->n; i++)
		json_decref(b->items[i].body);
	b->n = 0;
}

void entity_bulk_free(struct entity_bulk *b)
{
	if (!b)
		return;
	clear(b);
	free(b->items);
	free(b->head);
	free(b->tuple);
	free(b->tail);
	free(b->sql);
	buf_free(&b->after);
	buf_free(&b->diff);
	write_leaves_free(&b->leaves);
	free(b);
}

int entity_bulk_cap(const struct entity_bulk *b)
{
	return b->cap;
}

int entity_bulk_count(const struct entity_bulk *b)
{
	return b->n;
}

int entity_bulk_add(struct entity_bulk *b, const json_t *body, int64_t tag)
{
	ATR_ASSERT(b->n < b->cap);
	struct req *r = b->r;
	const struct field_set *fs = entity_fields(r, b->e);
	if (!fs)
		return -1;
	/* The checks of entity_record_create (and entity_record_check):
	 * they read the body and the method from the request. The checks
	 * read the body only, so it is lent, not copied. */
	json_t *own_body = r->body;
	enum http_method own_method = r->method;
	int64_t own_id = r->id;
	r->body = (json_t *)body;
	r->method = HTTP_POST;
	r->id = 0;
	validate_body(r->body, fs->body, V_CREATE, &r->err);
	entity_check_body(r, b->e);
	r->body = own_body;
	r->method = own_method;
	r->id = own_id;
	if (r->err.kind != ATR_E_NONE)
		return -1;
	b->items[b->n].body = json_incref((json_t *)body);
	b->items[b->n].tag = tag;
	b->n++;
	return 0;
}

/* One written record of a flush: its id and version, where its texts
 * are, and (an entity with hooks) the record itself. */
struct bulk_rec {
	int64_t id, version;
	size_t after, diff; /* offsets into the flush's buffers */
	json_t *rec;
};

static int by_id(const void *x, const void *y)
{
	int64_t a = ((const struct bulk_rec *)x)->id;
	int64_t c = ((const struct bulk_rec *)y)->id;
	return a < c ? -1 : a > c;
}

/* The record in st's row as two texts: the record as the API shows it
 * (entity_row_write, as entity_row_json writes it before parsing) and
 * its create diff, made from that text (write_created_diff). */
static void row_texts(struct entity_bulk *b, const struct field_set *fs,
		      struct db_stmt *st, struct bulk_rec *w)
{
	w->after = b->after.len;
	w->diff = b->diff.len;
	b->leaves.n = 0;
	entity_row_write(fs, b->r->who.admin, st, &b->after, NULL, &b->leaves);
	if (write_created_diff(b->after.p + w->after, &b->leaves, &b->diff) <
	    0) {
		/* a field's own value is an object: the diff from the parse */
		json_t *rec = json_loadb(b->after.p + w->after,
					 b->after.len - w->after, 0, NULL);
		ATR_ASSERT(rec);
		json_t *d = write_diff(NULL, rec);
		char *t = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
		buf_adds(&b->diff, t);
		free(t);
		json_decref(d);
		json_decref(rec);
	}
	buf_add(&b->after, "", 1);
	buf_add(&b->diff, "", 1);
}

int entity_bulk_flush(struct entity_bulk *b,
		      int (*done)(void *arg, int64_t tag, int64_t id,
				  int64_t version),
		      void *arg)
{
	struct req *r = b->r;
	const struct entity *e = b->e;
	int n = b->n;
	if (!n)
		return 0;
	const struct field_set *fs = entity_fields(r, e);
	if (!fs)
		return -1;
	if (b->sql_n != n) {
		struct buf sql = BUF_INIT;
		buf_grow(&sql, strlen(b->head) + strlen(b->tail) + 16 +
				       (size_t)n * (strlen(b->tuple) + 2));
		buf_adds(&sql, b->head);
		for (int i = 0; i < n; i++) {
			buf_adds(&sql, i ? ", " : " VALUES ");
			buf_adds(&sql, b->tuple);
		}
		buf_adds(&sql, " ");
		buf_adds(&sql, b->tail);
		free(b->sql);
		b->sql = buf_detach(&sql);
		b->sql_n = n;
	}
	struct db_stmt *st = db_prepare(r->db, b->sql);
	if (!st)
		return req_db_error(r);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	for (int i = 0; i < n; i++)
		entity_insert_bind(r, e, fs, b->items[i].body, now, st,
				   i * b->nparams);
	/* An entity whose records get more after the insert (staff lists,
	 * an on_write hook) keeps them as JSON for its hooks; the others go
	 * from the row straight to their texts. */
	bool hooks = e->on_write || entity_sql_of(e)->njoined;
	struct bulk_rec *w = xcalloc((size_t)n, sizeof *w);
	buf_reset(&b->after);
	buf_reset(&b->diff);
	int got = 0, s, rc = -1;
	while ((s = db_step(st)) == 1) {
		if (got == n)
			continue;
		w[got].id = db_col_int(st, 0);
		w[got].version = db_col_int(st, 3);
		if (hooks)
			w[got].rec = entity_row_json(fs, r->who.admin, st);
		else
			row_texts(b, fs, st, &w[got]);
		got++;
	}
	db_reset(st);
	if (s < 0 || got != n) {
		req_db_error(r);
		goto out;
	}
	qsort(w, (size_t)n, sizeof *w, by_id);
	if (hooks) {
		json_t *own_body = r->body;
		enum http_method own_method = r->method;
		r->method = HTTP_POST;
		int h = 1;
		for (int i = 0; i < n && h >= 0; i++) {
			r->body = b->items[i].body;
			h = entity_created_hooks(r, e, &w[i].rec);
		}
		r->body = own_body;
		r->method = own_method;
		if (h < 0) {
			if (r->err.kind == ATR_E_NONE)
				req_db_error(r);
			goto out;
		}
		for (int i = 0; i < n; i++) {
			w[i].after = b->after.len;
			w[i].diff = b->diff.len;
			w[i].version = json_integer_value(
				json_object_get(w[i].rec, "version"));
			write_created_text(w[i].rec, &b->after, &b->diff);
			buf_add(&b->after, "", 1);
			buf_add(&b->diff, "", 1);
		}
	}
	int64_t *ids = xcalloc((size_t)n, sizeof *ids);
	const char **after = xcalloc((size_t)n, sizeof *after);
	const char **diff = xcalloc((size_t)n, sizeof *diff);
	for (int i = 0; i < n; i++) {
		ids[i] = w[i].id;
		after[i] = b->after.p + w[i].after;
		diff[i] = b->diff.p + w[i].diff;
	}
	int wr = write_bulk_created(r, e->name, true, ids, after, diff, n);
	free(ids);
	free(after);
	free(diff);
	if (wr < 0)
		goto out;
	for (int i = 0; done && i < n; i++)
		if (done(arg, b->items[i].tag, w[i].id, w[i].version) < 0) {
			if (r->err.kind == ATR_E_NONE)
				req_db_error(r);
			goto out;
		}
	clear(b);
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		json_decref(w[i].rec);
	free(w);
	return rc;
}

int entity_bulk_each(struct entity_bulk *b,
		     int (*fn)(void *arg, int64_t tag, const json_t *body),
		     void *arg)
{
	int rc = 0;
	for (int i = 0; i < b->n && rc >= 0; i++)
		rc = fn(arg, b->items[i].tag, b->items[i].body);
	clear(b);
	return rc < 0 ? rc : 0;
}
