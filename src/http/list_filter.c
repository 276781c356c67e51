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
 * has the values, through the list's table (list.h). */
static int add_joined(struct req *r, struct list_query *q,
		      const struct list_spec *s, const struct list_col *c,
		      unsigned bit, const char *sql, const char *value)
{
	struct arena *a = r->arena;
	const char *name = c->f->name;
	if (bit == FOP_EMPTY) {
		bool empty = !strcmp(value, "true") || !strcmp(value, "1");
		if (!empty && strcmp(value, "false") && strcmp(value, "0"))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"%s[empty] must be true or false",
					name);
		list_where(q, arena_printf(a, "%s %sIN (SELECT record_id FROM "
					      "%s WHERE org_id = ?)",
					   s->id, empty ? "NOT " : "",
					   c->expr));
		list_int(q, r->who.org_id);
		return 0;
	}
	struct fvalue vals[LIST_IN_MAX];
	int n = 0;
	for (const char *p = value;;) {
		const char *comma = bit == FOP_IN ? strchr(p, ',') : NULL;
		char *one = comma ? arena_strndup(a, p, (size_t)(comma - p))
				  : arena_strdup(a, p);
		if (n == LIST_IN_MAX)
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"%s[in] takes at most %d values", name,
					LIST_IN_MAX);
		if (parse_value(r, c->f, one, &vals[n]) < 0)
			return -1;
		n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s %sIN (SELECT record_id FROM %s WHERE org_id = ? AND "
		       "staff_id IN (",
		   s->id, sql && !strcmp(sql, "<>") ? "NOT " : "", c->expr);
	for (int i = 0; i < n; i++)
		buf_adds(&b, i ? ", ?" : "?");
	buf_adds(&b, "))");
	list_where(q, arena_strdup(a, buf_str(&b)));
	buf_free(&b);
	list_int(q, r->who.org_id);
	for (int i = 0; i < n; i++)
		list_add_value(q, vals[i]);
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
		return add_joined(r, q, s, c, bit, sql, value);
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

