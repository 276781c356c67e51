/* list_filter.c — the filters of the list-query engine (list.h):
 * field[op]=value on a column, with the operators its type allows, a
 * staff list through its table, and `me` for the caller. */
#include "atrium.h"

#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/list_int.h"

static const struct {
	const char *name, *sql;
	unsigned bit;
} ops[] = {
	{"ne", "<>", FOP_EQ},      {"gt", ">", FOP_RANGE},
	{"gte", ">=", FOP_RANGE},  {"lt", "<", FOP_RANGE},
	{"lte", "<=", FOP_RANGE},  {"in", NULL, FOP_IN},
	{"contains", NULL, FOP_CONTAINS}, {"empty", NULL, FOP_EMPTY},
	{"eq", "=", FOP_EQ},
};

/* %v% for LIKE, lower-cased (ASCII), with the wildcards escaped. */
char *list_like_pattern(struct arena *a, const char *v)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, '%');
	for (const char *p = v; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p);
	}
	buf_addc(&b, '%');
	char *s = arena_strdup(a, buf_str(&b));
	buf_free(&b);
	return s;
}

/* One filter value of f: `me` for the caller where the type allows it,
 * else the type's parse. */
static int parse_value(struct req *r, const struct field *f,
		       const char *text, struct fvalue *out)
{
	const struct ftype_ops *t = ftype_of(f->type);
	if (t->me && !strcmp(text, "me")) {
		*out = (struct fvalue){true, r->who.staff_id, NULL};
		return 0;
	}
	return t->parse(f, text, r->arena, out, &r->err);
}

/* A filter on a joined type (a staff list): whether the record's list
 * has the values. How it reads the list's table depends on the view scope,
 * which is known only after the parameters, so it is kept here and
 * written by list_joined_resolve. */
static int add_joined(struct req *r, struct list_query *q,
		      const struct list_col *c, unsigned bit, const char *sql,
		      const char *value)
{
	struct arena *a = r->arena;
	const char *name = c->f->name;
	struct list_joined jf = {c->expr, bit, false, NULL, 0};
	if (bit == FOP_EMPTY) {
		bool empty = !strcmp(value, "true") || !strcmp(value, "1");
		if (!empty && strcmp(value, "false") && strcmp(value, "0"))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"%s[empty] must be true or false",
					name);
		jf.neg = empty;
	} else {
		jf.neg = sql && !strcmp(sql, "<>");
		jf.vals = arena_alloc(a, LIST_IN_MAX * sizeof *jf.vals);
		for (const char *p = value;;) {
			const char *comma = bit == FOP_IN ? strchr(p, ',') : NULL;
			char *one = comma ? arena_strndup(a, p,
							  (size_t)(comma - p))
					  : arena_strdup(a, p);
			if (jf.n == LIST_IN_MAX)
				return atr_fail(&r->err, ATR_E_BAD_REQUEST,
						"%s[in] takes at most %d values",
						name, LIST_IN_MAX);
			if (parse_value(r, c->f, one, &jf.vals[jf.n]) < 0)
				return -1;
			jf.n++;
			if (!comma)
				break;
			p = comma + 1;
		}
	}
	if (q->njoined == LIST_JOINED_MAX)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"at most %d filters on lists", LIST_JOINED_MAX);
	if (!q->joined)
		q->joined = arena_alloc(a, LIST_JOINED_MAX * sizeof *q->joined);
	q->joined[q->njoined++] = jf;
	q->filtered = true;
	return 0;
}

/* Appends cond to the conditions every arm shares, and its values, even
 * after the scope's arms (list_where is for the hooks, before them). */
static void where_late(struct list_query *q, const char *cond,
		       const struct fvalue *v, int n)
{
	buf_printf(q->where, " AND (%s)", cond);
	for (int i = 0; i < n; i++) {
		if (q->nparams == q->capparams) {
			int cap = q->capparams ? q->capparams * 2 : 8;
			struct fvalue *np = arena_alloc(q->r->arena,
							(size_t)cap * sizeof *np);
			if (q->nparams)
				memcpy(np, q->params,
				       (size_t)q->nparams * sizeof *np);
			q->params = np;
			q->capparams = cap;
		}
		q->params[q->nparams++] = v[i];
	}
	q->filtered = true;
}

/* The filters on staff lists, once the scope is known:
 * - the list has member v, and nothing else walks the records (no scope
 *   arms): an arm that walks the list's (staff_id, org_id, record_id)
 *   index in id order, joined to the records, and stops after the page
 *   (a member's tasks at the speed of one column's index);
 * - under arms (a view scope, or that walk): a probe of the list's
 *   primary key (record_id, staff_id) on each row an arm reads;
 * - otherwise (several values, ne, empty, with no arm): the records the
 *   list's index gives, as a set (bounded by those members' entries). */
int list_joined_resolve(struct req *r, struct list_query *q,
			const struct list_spec *s)
{
	struct arena *a = r->arena;
	bool walked = false;
	for (int k = 0; k < q->njoined && !q->none; k++) {
		const struct list_joined *jf = &q->joined[k];
		struct fvalue org = {true, r->who.org_id, NULL};
		if (!q->narms && !walked && jf->bit != FOP_EMPTY && !jf->neg &&
		    jf->n == 1) {
			walked = true;
			if (list_arm_join(q,
					  arena_printf(a,
						       " JOIN (SELECT org_id AS "
						       "jf_org, record_id AS jf_rid, "
						       "staff_id AS jf_sid FROM %s) "
						       "AS jf ON jf.jf_rid = %s",
						       jf->table, s->id),
					  "jf.jf_rid",
					  "jf.jf_org = ? AND jf.jf_sid = ?") < 0)
				return atr_fail(&r->err, ATR_E_INTERNAL,
						"too many list arms");
			list_add_value(q, org);
			list_add_value(q, jf->vals[0]);
			continue;
		}
		struct buf b = BUF_INIT;
		if (q->narms)
			buf_printf(&b, "%sEXISTS (SELECT 1 FROM %s jx WHERE "
				       "jx.record_id = %s",
				   jf->neg ? "NOT " : "", jf->table, s->id);
		else
			buf_printf(&b, "%s %sIN (SELECT record_id FROM %s jx "
				       "WHERE jx.org_id = ?",
				   s->id, jf->neg ? "NOT " : "", jf->table);
		if (jf->n) {
			buf_adds(&b, " AND jx.staff_id IN (");
			for (int i = 0; i < jf->n; i++)
				buf_adds(&b, i ? ", ?" : "?");
			buf_addc(&b, ')');
		}
		buf_addc(&b, ')');
		/* Its values in the order of its ?s: the organisation (the
		 * set form), then the members. */
		struct fvalue v[LIST_IN_MAX + 1];
		int nv = 0;
		if (!q->narms)
			v[nv++] = org;
		for (int i = 0; i < jf->n; i++)
			v[nv++] = jf->vals[i];
		where_late(q, buf_str(&b), v, nv);
		buf_free(&b);
	}
	return 0;
}

int list_add_filter(struct req *r, struct list_query *q,
		      const struct list_spec *s, const struct list_col *c,
		      const char *opname, const char *value)
{
	const struct field *f = c->f;
	const struct ftype_ops *t = ftype_of(f->type);
	const char *name = f->name, *expr = list_col_expr(c);
	unsigned bit = FOP_EQ;
	const char *sql = "=";
	if (opname) {
		size_t i = 0;
		while (i < ATR_ARRAY_LEN(ops) && strcmp(ops[i].name, opname))
			i++;
		if (i == ATR_ARRAY_LEN(ops))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"unknown operator '%s' on '%s'", opname,
					name);
		bit = ops[i].bit;
		sql = ops[i].sql;
	}
	/* An array equals nothing: field=v asks whether it has the item
	 * (a joined list says so in its own terms). */
	if (t->array && !t->joined && bit == FOP_EQ &&
	    (!opname || !strcmp(opname, "eq")))
		bit = FOP_CONTAINS;
	if (!(t->ops & bit) || !t->parse)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"'%s' cannot be filtered with [%s]", name,
				opname ? opname : "eq");
	if (t->joined)
		return add_joined(r, q, c, bit, sql, value);
	struct arena *a = r->arena;
	struct fvalue v;
	if (bit == FOP_EMPTY) {
		bool empty = !strcmp(value, "true") || !strcmp(value, "1");
		if (!empty && strcmp(value, "false") && strcmp(value, "0"))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"%s[empty] must be true or false",
					name);
		bool text = t->sql == FSQL_TEXT;
		list_where(q, arena_printf(a,
					   empty ? (text ? "%s IS NULL OR %s = ''"
							 : "%s IS NULL")
						 : (text ? "%s IS NOT NULL AND %s <> ''"
							 : "%s IS NOT NULL"),
					   expr, expr));
		return 0;
	}
	if (bit == FOP_IN) {
		struct fvalue vals[LIST_IN_MAX];
		int n = 0;
		const char *p = value;
		for (;;) {
			const char *comma = strchr(p, ',');
			char *one = comma ? arena_strndup(a, p,
							  (size_t)(comma - p))
					  : arena_strdup(a, p);
			if (n == LIST_IN_MAX)
				return atr_fail(&r->err, ATR_E_BAD_REQUEST,
						"%s[in] takes at most %d values",
						name, LIST_IN_MAX);
			if (parse_value(r, f, one, &vals[n]) < 0)
				return -1;
			n++;
			if (!comma)
				break;
			p = comma + 1;
		}
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s IN (", expr);
		for (int i = 0; i < n; i++)
			buf_adds(&b, i ? ", ?" : "?");
		buf_addc(&b, ')');
		list_where(q, arena_strdup(a, buf_str(&b)));
		buf_free(&b);
		for (int i = 0; i < n; i++)
			list_add_value(q, vals[i]);
		return 0;
	}
	if (bit == FOP_CONTAINS) {
		if (t->array) {
			if (t->parse(f, value, a, &v, &r->err) < 0)
				return -1;
			list_where(q, arena_printf(
					      a,
					      db_conn_dialect(r->db) == DB_PG
						      ? "strpos(%s, ?) > 0"
						      : "instr(%s, ?) > 0",
					      expr));
			list_add_value(q, v);
			return 0;
		}
		if (strlen(value) > LIST_SEARCH_MAX)
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"%s[contains] must be at most %d bytes",
					name, LIST_SEARCH_MAX);
		list_where(q, arena_printf(a, "lower(%s) LIKE ? ESCAPE '\\'",
					   expr));
		list_text(q, list_like_pattern(a, value));
		return 0;
	}
	if (parse_value(r, f, value, &v) < 0)
		return -1;
	if (!strcmp(sql, "<>"))
		list_where(q, arena_printf(a, "%s IS NULL OR %s <> ?", expr,
					   expr));
	else
		list_where(q, arena_printf(a, "%s %s ?", expr, sql));
	list_add_value(q, v);
	return 0;
}

