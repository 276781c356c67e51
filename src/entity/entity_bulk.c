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

static int by_id(const void *x, const void *y)
{
	int64_t a = json_integer_value(json_object_get(*(json_t *const *)x, "id"));
	int64_t c = json_integer_value(json_object_get(*(json_t *const *)y, "id"));
	return a < c ? -1 : a > c;
}

int entity_bulk_flush(struct entity_bulk *b,
		      int (*done)(void *arg, int64_t tag, const json_t *rec),
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
	json_t **recs = xcalloc((size_t)n, sizeof *recs);
	int got = 0, s, rc = -1;
	while ((s = db_step(st)) == 1)
		if (got < n)
			recs[got++] = entity_row_json(fs, r->who.admin, st);
	db_reset(st);
	if (s < 0 || got != n) {
		req_db_error(r);
		goto out;
	}
	qsort(recs, (size_t)n, sizeof *recs, by_id);
	if (e->on_write || entity_sql_of(e)->njoined) {
		json_t *own_body = r->body;
		enum http_method own_method = r->method;
		r->method = HTTP_POST;
		int h = 1;
		for (int i = 0; i < n && h >= 0; i++) {
			r->body = b->items[i].body;
			h = entity_created_hooks(r, e, &recs[i]);
		}
		r->body = own_body;
		r->method = own_method;
		if (h < 0) {
			if (r->err.kind == ATR_E_NONE)
				req_db_error(r);
			goto out;
		}
	}
	if (write_bulk_created(r, e->name, true, recs, n) < 0)
		goto out;
	for (int i = 0; done && i < n; i++)
		if (done(arg, b->items[i].tag, recs[i]) < 0) {
			if (r->err.kind == ATR_E_NONE)
				req_db_error(r);
			goto out;
		}
	clear(b);
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		json_decref(recs[i]);
	free(recs);
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
