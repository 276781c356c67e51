/* entity_list.c — entity lists through the list-query engine, and the
 * view_own scope as index-driven arms.
 *
 * With view_own, a lead is visible when its owner or assignee is one of
 * the member's peers (the member and their department colleagues), or its
 * department or team is one of theirs. One `OR` across those columns
 * makes the database scan every lead of the organisation and count them
 * all; instead each (column, value) pair is one arm of a UNION ALL:
 *
 *   owner_id = 7 | owner_id = 9 | assigned_to = 7 AND owner NOT IN peers
 *
 * Each arm walks the (org_id, column, id) index in page order and the
 * database merges the arms and stops after one page. Arms are disjoint
 * (each excludes what earlier columns matched), so no row comes twice.
 * Past LIST_ARMS_MAX arms (a department of many members) the scope falls
 * back to the single predicate, which is correct and slower.
 *
 * A staff list (a task's assignees) has no column: its arms walk the
 * list's own table in id order, one per peer, after the column arms and
 * excluding what they gave (entity_lists.c).
 */
#include "atrium.h"

#include "http/perm.h"
#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"
#include "entity/entity_int.h"
#include "core/ftype.h"

/* The columns every entity has. */
static const struct field base_created_at = {.name = "created_at",
					     .type = FT_DATETIME};
static const struct field base_updated_at = {.name = "updated_at",
					     .type = FT_DATETIME};
static const struct field base_created_by = {.name = "created_by",
					     .type = FT_STAFF};

static void ref_add(struct entity_refs *rf, int64_t id, struct arena *a)
{
	for (int i = 0; i < rf->n; i++)
		if (rf->ids[i] == id)
			return;
	if (rf->n == rf->cap) {
		int cap = rf->cap ? rf->cap * 2 : 16;
		int64_t *ids = arena_alloc(a, (size_t)cap * sizeof *ids);
		if (rf->n)
			memcpy(ids, rf->ids, (size_t)rf->n * sizeof *ids);
		rf->ids = ids;
		rf->cap = cap;
	}
	rf->ids[rf->n++] = id;
}

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	struct entity_list_ctx *x = (struct entity_list_ctx *)arg;
	entity_row_write(x->fs, x->admin, st, b, &x->marks, NULL);
	if (x->hooks && x->hooks->row)
		x->hooks->row(st, x->hooks->arg);
	if (!x->nrefs)
		return;
	/* Columns: id, created_at, updated_at, version, created_by, the
	 * fields that are columns, cf (entity_row_json). */
	int cfcol = entity_sql_of(x->fs->e)->cfcol;
	json_t *cf = NULL;
	for (int i = 0; i < x->nrefs; i++) {
		struct entity_refs *rf = &x->refs[i];
		if (rf->type_col >= 0 &&
		    (db_col_null(st, rf->type_col) ||
		     strcmp(db_col_text(st, rf->type_col), rf->t->name)))
			continue;
		if (rf->col >= 0) {
			if (!db_col_null(st, rf->col))
				ref_add(rf, db_col_int(st, rf->col), x->arena);
			continue;
		}
		if (!cf && !db_col_null(st, cfcol))
			cf = json_loads(db_col_text(st, cfcol), 0, NULL);
		json_t *v = json_object_get(cf, rf->f->name);
		if (json_is_integer(v))
			ref_add(rf, json_integer_value(v), x->arena);
	}
	json_decref(cf);
}

/* The answer's "refs": {"<entity>": {"<id>": "<title>"}} for the ids the
 * page's reference fields name, one query per entity referred to, within
 * the caller's view of it (an id the caller may not see has no title, as
 * if it did not exist). */
static int refs_extra(struct req *r, struct buf *out, const void *arg)
{
	const struct entity_list_ctx *x = arg;
	if (x->hooks && x->hooks->extra &&
	    x->hooks->extra(r, out, x->hooks->arg) < 0)
		return -1;
	if (!x->nrefs)
		return 0;
	json_t *refs = json_object();
	for (int i = 0; i < x->nrefs; i++) {
		const struct entity_refs *rf = &x->refs[i];
		const struct entity *t = rf->t;
		enum perm_grant g = t ? perm_view_scope(&r->who, t->plural)
				      : PERM_DENY;
		if (!rf->n || g == PERM_DENY)
			continue;
		const struct entity_sql *ts = entity_sql_of(t);
		struct buf sql = BUF_INIT;
		buf_printf(&sql, "SELECT id, %s FROM %s WHERE org_id = ? AND id IN (",
			   t->title_field, t->name);
		for (int k = 0; k < rf->n; k++)
			buf_adds(&sql, k ? ", ?" : "?");
		buf_addc(&sql, ')');
		if (g == PERM_OWN)
			buf_adds(&sql, ts->own);
		struct db_stmt *st = db_prepare(r->db, buf_str(&sql));
		buf_free(&sql);
		if (!st) {
			json_decref(refs);
			return req_db_error(r);
		}
		int p = 1;
		db_bind_int(st, p++, r->who.org_id);
		for (int k = 0; k < rf->n; k++)
			db_bind_int(st, p++, rf->ids[k]);
		if (g == PERM_OWN)
			for (int k = 0; k < ts->nown; k++)
				db_bind_int(st, p++, r->who.staff_id);
		json_t *names = json_object_get(refs, t->name);
		if (!names) {
			names = json_object();
			json_object_set_new(refs, t->name, names);
		}
		int rc;
		while ((rc = db_step(st)) == 1) {
			char key[24];
			snprintf(key, sizeof key, "%lld",
				 (long long)db_col_int(st, 0));
			json_object_set_new(names, key,
					    json_string(db_col_text(st, 1)
							    ? db_col_text(st, 1)
							    : ""));
		}
		db_reset(st);
		if (rc < 0) {
			json_decref(refs);
			return req_db_error(r);
		}
	}
	char *t = json_dumps(refs, JSON_COMPACT);
	buf_adds(out, ",\"refs\":");
	buf_adds(out, t);
	free(t);
	json_decref(refs);
	return 0;
}

/* The maintained count of the organisation's records (list.h). */
static struct db_stmt *total(struct req *r, const void *arg)
{
	const struct entity *e = ((const struct entity_list_ctx *)arg)->fs->e;
	struct db_stmt *st = db_prepare(r->db, "SELECT n FROM entity_count "
					       "WHERE org_id = ? AND entity = ?");
	if (st) {
		db_bind_int(st, 1, r->who.org_id);
		db_bind_text(st, 2, e->name);
	}
	return st;
}

/* ---- the arms --------------------------------------------------------------- */

/* "(col IS NULL OR col NOT IN (?, ?))" and its values: what an arm adds
 * so that rows of an earlier column's arms do not come again. */
static void exclude(struct buf *b, const char *col, int n)
{
	if (n == 0) /* an earlier group without ids matched nothing */
		return;
	buf_printf(b, " AND (%s IS NULL OR %s NOT IN (", col, col);
	for (int i = 0; i < n; i++)
		buf_adds(b, i ? ", ?" : "?");
	buf_adds(b, "))");
}

/* One group of arms: column = v for each v of ids, excluding the groups
 * before it. */
struct group {
	const char *col;
	const struct scope_ids *ids;
};

static int scope_arms(struct list_query *q, const struct group *g, int ng)
{
	struct arena *a = q->r->arena;
	for (int k = 0; k < ng; k++) {
		for (int i = 0; i < g[k].ids->n; i++) {
			struct buf b = BUF_INIT;
			buf_printf(&b, "%s = ?", g[k].col);
			for (int j = 0; j < k; j++)
				exclude(&b, g[j].col, g[j].ids->n);
			int rc = list_arm(q, arena_strdup(a, buf_str(&b)));
			buf_free(&b);
			if (rc < 0)
				return -1;
			list_int(q, g[k].ids->v[i]);
			for (int j = 0; j < k; j++)
				for (int m = 0; m < g[j].ids->n; m++)
					list_int(q, g[j].ids->v[m]);
		}
	}
	return 0;
}

/* The list hook: nothing for view, the own records for view_own. */
static int scope(struct req *r, struct list_query *q, const void *arg)
{
	const struct entity_list_ctx *x = arg;
	const struct entity *e = x->fs->e;
	/* A caller's own conditions come first: the list engine takes
	 * conditions before arms. */
	if (x->hooks && x->hooks->where && x->hooks->where(r, q, x->hooks->arg) < 0)
		return -1;
	enum perm_grant g = perm_view_scope(&r->who, e->plural);
	if (g == PERM_ALL)
		return 0;
	if (g == PERM_DENY) {
		q->none = true;
		return 0;
	}
	/* The member's peers, departments and teams came with their grants
	 * (perm_load): no query here. */
	const struct entity_sql *s = entity_sql_of(e);
	const struct perm_set *ps = &r->who.perms;
	struct group groups[16];
	int ng = 0, narms = 0;
	bool overflow = false;
	for (int i = 0; i < e->schema.nfields && ng < 16; i++) {
		const struct field *f = &e->schema.fields[i];
		const struct scope_ids *ids =
			(f->flags & (F_OWNER | F_ASSIGNEE)) ? &ps->peers
			: (f->flags & F_DEPARTMENT)	    ? &ps->depts
			: (f->flags & F_TEAM)		    ? &ps->teams
							    : NULL;
		if (!ids)
			continue;
		narms += ids->n;
		overflow |= ids->overflow;
		if (s->jtable[i])
			continue; /* a staff list: its arms come last */
		groups[ng++] = (struct group){f->name, ids};
	}
	if (e->member_table || overflow || narms > LIST_ARMS_MAX) {
		/* The single predicate: a department or team itself (one
		 * membership lookup), or too many arms. */
		list_where(q, s->own + strlen(" AND "));
		for (int i = 0; i < s->nown; i++)
			list_int(q, r->who.staff_id);
		return 0;
	}
	if (narms == 0) {
		q->none = true;
		return 0;
	}
	if (scope_arms(q, groups, ng) < 0)
		return atr_fail(&r->err, ATR_E_INTERNAL, "too many scope arms");
	if (s->njoined) {
		const char *cols[16];
		const struct scope_ids *ids[16];
		for (int k = 0; k < ng; k++) {
			cols[k] = groups[k].col;
			ids[k] = groups[k].ids;
		}
		if (entity_lists_arms(q, e, &ps->peers, cols, ids, ng) < 0)
			return atr_fail(&r->err, ATR_E_INTERNAL,
					"too many scope arms");
	}
	return 0;
}

/* ---- the spec -------------------------------------------------------------- */

void entity_list_build(const struct entity *e, struct entity_sql *s)
{
	/* Every field is a column, so a filter on one that may not be
	 * filtered says so rather than "unknown". */
	int n = 3 + e->schema.nfields;
	s->columns = xcalloc((size_t)n, sizeof *s->columns);
	int k = 0;
	s->columns[k++] = (struct list_col){&base_created_at, NULL,
					    LIST_FILTER | LIST_SORT |
						    LIST_NOTNULL};
	s->columns[k++] = (struct list_col){&base_updated_at, NULL,
					    LIST_FILTER | LIST_SORT |
						    LIST_NOTNULL};
	s->columns[k++] = (struct list_col){&base_created_by, NULL,
					    LIST_FILTER};
	int nsearch = 0;
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		nsearch += (f->flags & F_SEARCH) != 0;
		/* A staff list is filtered through its table. */
		s->columns[k++] = (struct list_col){
			f, s->jtable[i],
			((f->flags & F_FILTER) ? LIST_FILTER : 0u) |
				((f->flags & F_SORT) ? LIST_SORT : 0u)};
	}
	/* The searchable custom values (cf_search) join every entity's
	 * search, after its own fields. */
	s->search = xcalloc((size_t)nsearch + 2, sizeof *s->search);
	struct buf b = BUF_INIT;
	int j = 0;
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		if (!(f->flags & F_SEARCH))
			continue;
		s->search[j] = f->name;
		/* Exactly the expression of migrations/pg/0018_custom_fields.sql. */
		buf_printf(&b, "%scoalesce(%s, '')", j ? " || E'\\n' || " : "",
			   f->name);
		j++;
	}
	if (nsearch) {
		s->search[j] = "cf_search";
		buf_adds(&b, " || E'\\n' || coalesce(cf_search, '')");
		s->trgm = xasprintf("lower(%s)", buf_str(&b));
		s->fts = xasprintf("%s_fts", e->name);
	}
	buf_free(&b);
	s->list = (struct list_spec){
		.from = e->name,
		.cols = s->cols,
		.id = "id",
		.org = "org_id",
		.columns = s->columns,
		.ncolumns = k,
		.sort_default = "-id",
		.limit_default = 25,
		.limit_max = 200,
		.search = nsearch ? s->search : NULL,
		.search_fts = s->fts,
		.search_trgm = s->trgm,
		.row = row,
		.rows_done = s->njoined ? entity_lists_page : NULL,
		.total = total,
		.scope = scope,
	};
}

void entity_list_free(struct entity_sql *s)
{
	free(s->columns);
	free(s->search);
	free(s->trgm);
	free(s->fts);
}

int entity_list_run(struct req *r, const struct entity *e)
{
	return entity_list_run_hooks(r, e, NULL);
}

int entity_list_run_hooks(struct req *r, const struct entity *e,
			  const struct entity_list_hooks *hooks)
{
	const struct field_set *fs = entity_fields(r, e);
	if (!fs)
		return -1;
	/* The organisation's columns (custom ones included) and a context
	 * for the row writer: the spec is the entity's, adjusted per
	 * request. */
	struct entity_list_ctx *x = arena_alloc(r->arena, sizeof *x);
	*x = (struct entity_list_ctx){fs, r->who.admin};
	x->hooks = hooks;
	x->arena = r->arena;
	x->marks.arena = r->arena;
	/* The reference fields whose titles the answer carries: compiled-in
	 * ones, and the custom links the caller may see. */
	const struct entity *e0 = fs->e;
	x->refs = arena_alloc(r->arena, ((size_t)e0->schema.nfields +
					 (size_t)fs->ncustom +
					 (size_t)entity_count() + 1) *
						sizeof *x->refs);
	const int *fcol = entity_sql_of(e0)->fcol;
	int link_type = -1, link_id = -1, link_field = -1;
	for (int i = 0; i < e0->schema.nfields; i++) {
		const struct field *f = &e0->schema.fields[i];
		if (e0->link_type && !strcmp(f->name, e0->link_type))
			link_type = fcol[i];
		if (e0->link_id && !strcmp(f->name, e0->link_id)) {
			link_id = fcol[i];
			link_field = i;
		}
		if (f->type == FT_REF && entity_find(f->ref))
			x->refs[x->nrefs++] = (struct entity_refs){
				f, entity_find(f->ref), fcol[i], -1};
	}
	/* A link names any entity: one entry per entity it may name. */
	for (int i = 0; link_type >= 0 && link_id >= 0 && i < entity_count(); i++)
		x->refs[x->nrefs++] = (struct entity_refs){
			&e0->schema.fields[link_field], entity_at(i), link_id,
			link_type};
	for (int i = 0; i < fs->ncustom; i++)
		if (fs->custom[i].type == FT_REF && entity_find(fs->custom[i].ref) &&
		    (r->who.admin || !(fs->custom[i].flags & F_ADMIN_ONLY)))
			x->refs[x->nrefs++] = (struct entity_refs){
				&fs->custom[i], entity_find(fs->custom[i].ref),
				-1, -1};
	struct list_spec spec = entity_sql_of(e)->list;
	spec.columns = fs->columns;
	spec.ncolumns = fs->ncolumns;
	if (!r->who.admin) {
		/* admin_only fields cannot be filtered or sorted on either. */
		struct list_col *c = arena_alloc(
			r->arena, (size_t)fs->ncolumns * sizeof *c);
		int n = 0;
		for (int i = 0; i < fs->ncolumns; i++)
			if (!(fs->columns[i].f->flags & F_ADMIN_ONLY))
				c[n++] = fs->columns[i];
		spec.columns = c;
		spec.ncolumns = n;
	}
	spec.arg = x;
	spec.extra = refs_extra;
	spec.extra_names_rows = true;
	return list_run(r, &spec);
}
