/* list.c — the list-query engine (see list.h). */
#include "atrium.h"

#include <sodium.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/secret.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/list_int.h"

struct list_arm {
	char *cond;
	const char *join; /* appended to the spec's from, or NULL */
	const char *id;   /* stands for the spec's id in this arm, or NULL */
	struct fvalue *params;
	int nparams, capparams;
};

/* One sort key, resolved. */
struct sortkey {
	const char *expr; /* SQL expression, already lower()-ed if folded */
	bool desc;
	enum fsql sql;
	bool notnull; /* ordered without NULLS LAST (the id, LIST_NOTNULL) */
};

/* What the request asked for beyond filters. */
struct page {
	int64_t limit, offset;
	const char *cursor;
	bool count;
	const char *sort;  /* as given, or the default */
	struct sortkey keys[LIST_SORT_MAX + 1];
	int nkeys;         /* including the id tie-breaker */
	struct fvalue after[LIST_SORT_MAX + 1]; /* the cursor's values */
	bool after_null[LIST_SORT_MAX + 1];
	bool has_after;
};

/* ---- building ------------------------------------------------------------- */

/* The parameter list that list_int/list_text append to: the common one,
 * or the newest arm's. */
static struct fvalue *slot(struct list_query *q)
{
	struct arena *a = q->r->arena;
	struct fvalue **p = &q->params;
	int *n = &q->nparams, *cap = &q->capparams;
	if (q->narms) {
		struct list_arm *arm = &q->arms[q->narms - 1];
		p = &arm->params;
		n = &arm->nparams;
		cap = &arm->capparams;
	}
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 8;
		struct fvalue *np = arena_alloc(a, (size_t)nc * sizeof *np);
		if (*n)
			memcpy(np, *p, (size_t)*n * sizeof *np);
		*p = np;
		*cap = nc;
	}
	return &(*p)[(*n)++];
}

void list_add_value(struct list_query *q, struct fvalue v)
{
	*slot(q) = v;
}

void list_int(struct list_query *q, int64_t v)
{
	*slot(q) = (struct fvalue){true, v, NULL};
}

void list_text(struct list_query *q, const char *s)
{
	*slot(q) = (struct fvalue){false, 0, arena_strdup(q->r->arena, s)};
}

void list_where(struct list_query *q, const char *cond)
{
	ATR_ASSERT(!q->narms); /* conditions first, then arms */
	buf_printf(q->where, " AND (%s)", cond);
	q->filtered = true;
}

int list_arm_join(struct list_query *q, const char *join, const char *id,
		  const char *cond)
{
	struct arena *a = q->r->arena;
	if (q->narms == LIST_ARMS_MAX)
		return -1;
	if (!q->arms)
		q->arms = arena_alloc(a, LIST_ARMS_MAX * sizeof *q->arms);
	q->arms[q->narms++] = (struct list_arm){
		arena_strdup(a, cond), join ? arena_strdup(a, join) : NULL,
		id ? arena_strdup(a, id) : NULL, NULL, 0, 0};
	q->filtered = true;
	return 0;
}

int list_arm(struct list_query *q, const char *cond)
{
	return list_arm_join(q, NULL, NULL, cond);
}

static void bind_all(struct db_stmt *st, int *idx, const struct fvalue *p,
		     int n)
{
	for (int i = 0; i < n; i++) {
		if (p[i].is_int)
			db_bind_int(st, (*idx)++, p[i].i);
		else
			db_bind_text(st, (*idx)++, p[i].s);
	}
}

/* ---- the query string ----------------------------------------------------- */

static const struct list_col *find_col(const struct list_spec *s,
				       const char *name)
{
	for (int i = 0; i < s->ncolumns; i++)
		if (!strcmp(s->columns[i].f->name, name))
			return &s->columns[i];
	return NULL;
}

const char *list_col_expr(const struct list_col *c)
{
	return c->expr ? c->expr : c->f->name;
}

/* Splits "name[op]" into name and op (NULL without brackets). */
static int split_key(struct req *r, const char *key, const char **name,
		     const char **op)
{
	const char *br = strchr(key, '[');
	if (!br) {
		*name = key;
		*op = NULL;
		return 0;
	}
	size_t n = strlen(key);
	if (br == key || key[n - 1] != ']' || n - (size_t)(br - key) < 3)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"malformed query parameter '%s'", key);
	*name = arena_strndup(r->arena, key, (size_t)(br - key));
	*op = arena_strndup(r->arena, br + 1, n - (size_t)(br - key) - 2);
	return 0;
}

/* Resolves the sort spec into keys, the id last. */
static int parse_sort(struct req *r, const struct list_spec *s,
		      struct page *pg)
{
	const char *p = pg->sort;
	pg->nkeys = 0;
	bool id_seen = false;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		bool desc = *p == '-';
		char *name = arena_strndup(r->arena, p + desc, n - desc);
		if (id_seen || pg->nkeys == LIST_SORT_MAX)
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"sort takes at most %d keys, the id "
					"last",
					LIST_SORT_MAX);
		struct sortkey *k = &pg->keys[pg->nkeys];
		if (!strcmp(name, "id")) {
			*k = (struct sortkey){s->id, desc, FSQL_INT, true};
			id_seen = true;
		} else {
			const struct list_col *c = find_col(s, name);
			const struct ftype_ops *t =
				c ? ftype_of(c->f->type) : NULL;
			if (!c || !(c->flags & LIST_SORT) || !t->sortable)
				return atr_fail(&r->err, ATR_E_BAD_REQUEST,
						"cannot sort by '%s'", name);
			const char *e = list_col_expr(c);
			*k = (struct sortkey){
				t->fold_sort ? arena_printf(r->arena,
							    "lower(%s)", e)
					     : e,
				desc, t->sql, (c->flags & LIST_NOTNULL) != 0};
		}
		pg->nkeys++;
		if (!comma)
			break;
		p = comma + 1;
		if (!*p)
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"sort ends with a comma");
	}
	if (!pg->nkeys)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST, "sort is empty");
	if (!id_seen)
		pg->keys[pg->nkeys++] = (struct sortkey){
			s->id, pg->keys[pg->nkeys - 1].desc, FSQL_INT, true};
	return 0;
}

/* ---- cursors -------------------------------------------------------------- */

/* The MAC key of cursors, derived from the master key (the same on every
 * node). 0 or -1 when no key is loaded. */
static int cursor_key(unsigned char key[crypto_auth_KEYBYTES])
{
	return secret_derive("listcurs", 1, key, crypto_auth_KEYBYTES);
}

/* base64url(json) "." base64url(mac) of the last row's keys. */
static char *cursor_make(struct req *r, const struct page *pg,
			 struct db_stmt *st, int first_key_col)
{
	json_t *k = json_array();
	for (int i = 0; i < pg->nkeys; i++) {
		int col = first_key_col + i;
		if (db_col_null(st, col))
			json_array_append_new(k, json_null());
		else if (pg->keys[i].sql == FSQL_INT)
			json_array_append_new(k,
					      json_integer(db_col_int(st, col)));
		else
			json_array_append_new(k,
					      json_string(db_col_text(st, col)));
	}
	json_t *o = json_pack("{s:s,s:o}", "s", pg->sort, "k", k);
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	unsigned char key[crypto_auth_KEYBYTES], mac[crypto_auth_BYTES];
	char *out = NULL;
	if (text && cursor_key(key) == 0) {
		size_t n = strlen(text);
		crypto_auth(mac, (const unsigned char *)text, n, key);
		sodium_memzero(key, sizeof key);
		size_t l1 = sodium_base64_ENCODED_LEN(
			n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		size_t l2 = sodium_base64_ENCODED_LEN(
			sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		out = arena_alloc(r->arena, l1 + l2 + 1);
		sodium_bin2base64(out, l1, (const unsigned char *)text, n,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		size_t used = strlen(out);
		out[used] = '.';
		sodium_bin2base64(out + used + 1, l2, mac, sizeof mac,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	}
	free(text);
	return out;
}

static int bad_cursor(struct req *r)
{
	return atr_fail(&r->err, ATR_E_BAD_REQUEST,
			"cursor is not one this list gave out (or it was "
			"altered, or the sort changed)");
}

/* Checks the cursor's MAC and sort, and loads its key values. */
static int cursor_open(struct req *r, struct page *pg)
{
	const char *c = pg->cursor, *dot = strchr(c, '.');
	size_t n1 = dot ? (size_t)(dot - c) : 0;
	if (!dot || n1 == 0 || strlen(c) > 4096)
		return bad_cursor(r);
	unsigned char *text = arena_alloc(r->arena, n1 + 1);
	unsigned char mac[crypto_auth_BYTES], key[crypto_auth_KEYBYTES];
	size_t tl = 0, ml = 0;
	if (sodium_base642bin(text, n1, c, n1, NULL, &tl, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
	    sodium_base642bin(mac, sizeof mac, dot + 1, strlen(dot + 1), NULL,
			      &ml, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
	    ml != sizeof mac || cursor_key(key) < 0)
		return bad_cursor(r);
	int ok = crypto_auth_verify(mac, text, tl, key);
	sodium_memzero(key, sizeof key);
	if (ok != 0)
		return bad_cursor(r);
	json_t *o = json_loadb((const char *)text, tl, 0, NULL);
	json_t *k = json_object_get(o, "k");
	const char *sort = json_string_value(json_object_get(o, "s"));
	int rc = 0;
	if (!sort || strcmp(sort, pg->sort) || !json_is_array(k) ||
	    (int)json_array_size(k) != pg->nkeys) {
		rc = bad_cursor(r);
		goto out;
	}
	for (int i = 0; i < pg->nkeys; i++) {
		json_t *v = json_array_get(k, (size_t)i);
		pg->after_null[i] = json_is_null(v);
		if (json_is_null(v) && i < pg->nkeys - 1)
			continue;
		if (pg->keys[i].sql == FSQL_INT && json_is_integer(v))
			pg->after[i] = (struct fvalue){
				true, (int64_t)json_integer_value(v), NULL};
		else if (pg->keys[i].sql == FSQL_TEXT && json_is_string(v))
			pg->after[i] = (struct fvalue){
				false, 0,
				arena_strdup(r->arena, json_string_value(v))};
		else {
			rc = bad_cursor(r);
			goto out;
		}
	}
	pg->has_after = true;
out:
	json_decref(o);
	return rc;
}

/* The keyset condition "after the cursor's row" (NULLs sort last) over
 * the key expressions kx (the page's, or an arm's), and its values in
 * binding order. */
static char *keyset_cond(struct req *r, const struct page *pg,
			 const char *const *kx, struct fvalue *vals, int *nvals)
{
	struct buf b = BUF_INIT;
	*nvals = 0;
	buf_addc(&b, '(');
	bool any = false;
	for (int i = 0; i < pg->nkeys; i++) {
		const struct sortkey *k = &pg->keys[i];
		if (pg->after_null[i])
			continue; /* nothing sorts after NULL at this key */
		buf_adds(&b, any ? " OR (" : "(");
		any = true;
		for (int j = 0; j < i; j++) {
			if (pg->after_null[j]) {
				buf_printf(&b, "%s IS NULL AND ", kx[j]);
			} else {
				buf_printf(&b, "%s = ? AND ", kx[j]);
				vals[(*nvals)++] = pg->after[j];
			}
		}
		if (i == pg->nkeys - 1 || k->notnull) {
			buf_printf(&b, "%s %s ?)", kx[i], k->desc ? "<" : ">");
		} else {
			buf_printf(&b, "(%s %s ? OR %s IS NULL))", kx[i],
				   k->desc ? "<" : ">", kx[i]);
		}
		vals[(*nvals)++] = pg->after[i];
	}
	buf_addc(&b, ')');
	char *s = arena_strdup(r->arena, any ? buf_str(&b) : "(1 = 0)");
	buf_free(&b);
	return s;
}

/* ---- the page ------------------------------------------------------------- */

static int read_params(struct req *r, const struct list_spec *s,
		       struct list_query *q, struct page *pg)
{
	pg->limit = s->limit_default;
	pg->sort = s->sort_default;
	pg->count = s->count_default;
	const char *search = NULL;
	for (int i = 0; i < r->nquery; i++) {
		const char *k = r->query[i].key, *v = r->query[i].value;
		int rc = req_page_param(r, k, v, &pg->limit, &pg->offset,
					s->limit_max);
		if (rc < 0)
			return -1;
		if (rc)
			continue;
		if (!strcmp(k, "sort")) {
			pg->sort = v;
			continue;
		}
		if (!strcmp(k, "cursor")) {
			pg->cursor = v;
			continue;
		}
		if (!strcmp(k, "count")) {
			if (strcmp(v, "true") && strcmp(v, "false"))
				return atr_fail(&r->err, ATR_E_BAD_REQUEST,
						"count must be true or false");
			pg->count = !strcmp(v, "true");
			continue;
		}
		if (!strcmp(k, "q")) {
			search = v;
			continue;
		}
		if (!strcmp(k, "format")) {
			if (strcmp(v, "json"))
				return atr_fail(&r->err, ATR_E_BAD_REQUEST,
						"format must be json, csv or "
						"xlsx");
			continue;
		}
		const char *name = NULL, *op = NULL;
		if (split_key(r, k, &name, &op) < 0)
			return -1;
		if (s->param) {
			rc = s->param(r, q, name, op, v, s->arg);
			if (rc < 0)
				return -1;
			if (rc) {
				q->filtered = true;
				continue;
			}
		}
		const struct list_col *c = find_col(s, name);
		if (!c)
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"unknown query parameter '%s'", name);
		if (!(c->flags & LIST_FILTER))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"cannot filter on '%s'", name);
		if (list_add_filter(r, q, s, c, op, v) < 0)
			return -1;
	}
	if (search && list_add_search(r, q, s, search) < 0)
		return -1;
	if (pg->cursor && pg->offset)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"use either cursor or offset, not both");
	if (parse_sort(r, s, pg) < 0)
		return -1;
	return pg->cursor ? cursor_open(r, pg) : 0;
}

/* The key expressions of an arm: the page's, with the arm's id for the
 * spec's (list_arm_join). */
static void arm_keys(const struct list_spec *s, const struct page *pg,
		     const struct list_arm *arm, const char **kx)
{
	for (int i = 0; i < pg->nkeys; i++)
		kx[i] = arm && arm->id && pg->keys[i].expr == s->id
				? arm->id
				: pg->keys[i].expr;
}

/* One SELECT of the page (one arm, or the whole list without arms). */
static void arm_select(struct buf *sql, const struct list_spec *s,
		       const struct list_query *q, const struct page *pg,
		       const struct list_arm *arm, const char *keyset,
		       bool counting)
{
	const char *kx[LIST_SORT_MAX + 1];
	arm_keys(s, pg, arm, kx);
	const char *join = arm && arm->join ? arm->join : "";
	if (counting) {
		buf_printf(sql, "SELECT 1 FROM %s%s WHERE ", s->from, join);
	} else {
		buf_printf(sql, "SELECT %s", s->cols);
		for (int i = 0; i < pg->nkeys; i++)
			buf_printf(sql, ", %s AS k_%d", kx[i], i);
		buf_printf(sql, " FROM %s%s WHERE ", s->from, join);
	}
	buf_printf(sql, "%s%s", s->org ? s->org : "1", s->org ? " = ?" : " = 1");
	buf_adds(sql, buf_str(q->where));
	if (arm)
		buf_printf(sql, " AND (%s)", arm->cond);
	if (keyset && !counting)
		buf_printf(sql, " AND %s", keyset);
}

static void arm_bind(struct db_stmt *st, int *idx, const struct req *r,
		     const struct list_spec *s, const struct list_query *q,
		     const struct list_arm *arm, const struct fvalue *kv,
		     int nkv)
{
	if (s->org)
		db_bind_int(st, (*idx)++, r->who.org_id);
	bind_all(st, idx, q->params, q->nparams);
	if (arm)
		bind_all(st, idx, arm->params, arm->nparams);
	bind_all(st, idx, kv, nkv);
}

/* The SQL of the page or of its count, and its binding. */
/* " ORDER BY k_0 DESC, k_1 ASC NULLS LAST" for the page's keys. */
static void order_by(struct buf *sql, const struct page *pg)
{
	buf_adds(sql, " ORDER BY ");
	for (int i = 0; i < pg->nkeys; i++)
		buf_printf(sql, "%sk_%d %s%s", i ? ", " : "", i,
			   pg->keys[i].desc ? "DESC" : "ASC",
			   pg->keys[i].notnull ? "" : " NULLS LAST");
}

/* The SQL of the page or of its count, and its binding. With arms (a
 * view scope), each arm is ordered and cut on its own, so that each is
 * an index scan that stops after the page, and the union of those few
 * rows is ordered again: PostgreSQL's planner does not turn a sort over
 * a union into a merge of index scans under a LIMIT (it sorted every row
 * of a view_own member's arms: 150 ms at a million leads). SQLite merges
 * ordered arms of a compound SELECT by itself, and the subqueries only
 * cost it. */
static struct db_stmt *prepare(struct req *r, const struct list_spec *s,
			       const struct list_query *q,
			       const struct page *pg, bool counting)
{
	/* The cursor's values are the same for every arm; only the key
	 * expressions may differ (an arm that walks a joined table). */
	struct fvalue kv[2 * (LIST_SORT_MAX + 1) * (LIST_SORT_MAX + 1)];
	int nkv = 0;
	bool cut = q->narms > 1 && !counting &&
		   db_conn_dialect(r->db) == DB_PG;
	struct buf sql = BUF_INIT;
	if (counting)
		buf_adds(&sql, "SELECT COUNT(*) FROM (");
	int narms = q->narms ? q->narms : 1;
	for (int a = 0; a < narms; a++) {
		const struct list_arm *arm = q->narms ? &q->arms[a] : NULL;
		const char *keyset = NULL;
		if (pg->has_after && !counting) {
			const char *kx[LIST_SORT_MAX + 1];
			arm_keys(s, pg, arm, kx);
			keyset = keyset_cond(r, pg, kx, kv, &nkv);
		}
		if (a)
			buf_adds(&sql, " UNION ALL ");
		if (cut)
			buf_adds(&sql, "SELECT * FROM (");
		arm_select(&sql, s, q, pg, arm, keyset, counting);
		if (cut) {
			order_by(&sql, pg);
			if (pg->offset)
				buf_printf(&sql, " LIMIT ?) AS arm_%d", a);
			else
				buf_printf(&sql, " LIMIT %lld) AS arm_%d",
					   (long long)pg->limit + 1, a);
		}
	}
	/* The page's size is written in, and a first page has no OFFSET:
	 * PostgreSQL then keeps one generic plan for the prepared statement
	 * instead of planning it again at every execution (with LIMIT or
	 * OFFSET as parameters its generic plan always looks dearer than a
	 * custom one: 26% of list-50's throughput, docs/internals/
	 * round-trips.md). A deeper page binds its offset. */
	if (counting) {
		buf_adds(&sql, ") AS counted");
	} else {
		order_by(&sql, pg);
		buf_printf(&sql, " LIMIT %lld", (long long)pg->limit + 1);
		if (pg->offset)
			buf_adds(&sql, " OFFSET ?");
	}
	struct db_stmt *st = db_prepare(r->db, buf_str(&sql));
	buf_free(&sql);
	if (!st)
		return NULL;
	int idx = 1;
	for (int a = 0; a < narms; a++) {
		arm_bind(st, &idx, r, s, q, q->narms ? &q->arms[a] : NULL, kv,
			 nkv);
		if (cut && pg->offset) /* what the page may take from it */
			db_bind_int(st, idx++, pg->offset + pg->limit + 1);
	}
	/* (the LIMIT is one more than the page: has_more) */
	if (!counting && pg->offset)
		db_bind_int(st, idx++, pg->offset);
	return st;
}

int list_run(struct req *r, const struct list_spec *s)
{
	const char *format = req_query(r, "format");
	if (format && strcmp(format, "json"))
		return list_export(r, s, format);
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct buf where = BUF_INIT, out = BUF_INIT;
	struct list_query q = {.r = r, .where = &where};
	struct page pg = {0};
	int rc = -1;
	/* The page and its total are read together: one round trip on
	 * PostgreSQL, one snapshot. */
	struct db_stmt *st[2] = {NULL, NULL};
	int rcs[2] = {0, 0}, n = 0;
	if (read_params(r, s, &q, &pg) < 0)
		goto out;
	if (s->scope && s->scope(r, &q, s->arg) < 0)
		goto out;
	if (q.njoined && list_joined_resolve(r, &q, s) < 0)
		goto out;
	buf_grow(&out, (size_t)pg.limit * 512); /* a record is ~400 bytes */
	buf_adds(&out, "{\"data\":[");
	int nrows = 0;
	bool more = false;
	const char *next = NULL;
	int64_t total = -1;
	if (q.none) {
		total = 0;
	} else {
		st[n++] = prepare(r, s, &q, &pg, false);
		if (pg.count)
			st[n++] = prepare(r, s, &q, &pg, true);
		else if (!q.filtered && s->total)
			st[n++] = s->total(r, s->arg);
		if (!st[0] || (n == 2 && !st[1])) {
			req_db_error(r);
			goto out;
		}
		if (db_step_all(st, n, rcs) < 0) {
			req_db_error(r);
			goto out;
		}
		if (n == 2)
			total = rcs[1] == 1 ? db_col_int(st[1], 0) : 0;
		/* The key columns follow the row's own; one row more than
		 * the page tells whether another page follows. */
		int first_key = db_col_count(st[0]) - pg.nkeys, srow;
		for (srow = rcs[0]; srow == 1; srow = db_step(st[0])) {
			if (nrows == pg.limit) {
				more = true;
				break;
			}
			if (nrows++)
				buf_addc(&out, ',');
			s->row(&out, st[0], s->arg);
			if (nrows == pg.limit)
				next = cursor_make(r, &pg, st[0], first_key);
		}
		if (srow < 0) {
			req_db_error(r);
			goto out;
		}
		for (; n > 0; n--)
			db_reset(st[n - 1]);
		if (nrows && s->rows_done && s->rows_done(r, &out, s->arg) < 0)
			goto out;
	}
	buf_printf(&out, "],\"limit\":%lld,\"offset\":%lld,\"has_more\":%s,"
			 "\"next_cursor\":",
		   (long long)pg.limit, (long long)pg.offset,
		   more ? "true" : "false");
	if (more && next)
		jout_str(&out, next);
	else
		buf_adds(&out, "null");
	if (total >= 0)
		buf_printf(&out, ",\"total\":%lld", (long long)total);
	if (s->extra && s->extra(r, &out, s->arg) < 0)
		goto out;
	buf_addc(&out, '}');
	req_raw_json(r, 200, &out);
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		if (st[i])
			db_reset(st[i]);
	buf_free(&where);
	buf_free(&out);
	return rc;
}
