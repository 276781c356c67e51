/* entity_registry.c — the records module: every module's entities
 * collected at init (each with its permission module, its routes, a title
 * field and a sort), and the SQL of each that does not depend on the
 * request (column list, fetch, insert, delete, the view_own predicate),
 * built once; entity_find, entity_at and entity_sql_of read them.
 */
#include "atrium.h"

#include "http/perm.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity_int.h"
#include "core/ftype.h"
#include "http/write.h"

#define NBASE 5 /* id, created_at, updated_at, version, created_by */

/* A member's own staff id, or any of their department colleagues' (two
 * parameters, both the member's staff id). */
#define PEERS                                                                  \
	"SELECT ? UNION SELECT p.staff_id FROM staff_department m JOIN "       \
	"staff_department p ON p.department_id = m.department_id WHERE "       \
	"m.staff_id = ?"

/* Every module's entities and their SQL, parallel arrays built by
 * records_init and read-only afterwards. */
static const struct entity **entities;
static struct entity_sql *sqls;
static int nentities;

static int entity_index(const struct entity *e)
{
	for (int i = 0; i < nentities; i++)
		if (entities[i] == e)
			return i;
	ATR_ASSERT(0);
	return -1;
}

const struct entity_sql *entity_sql_of(const struct entity *e)
{
	return &sqls[entity_index(e)];
}

int entity_count(void)
{
	return nentities;
}

const struct entity *entity_at(int i)
{
	return i >= 0 && i < nentities ? entities[i] : NULL;
}

const struct entity *entity_find(const char *name)
{
	for (int i = 0; i < nentities; i++)
		if (!strcmp(entities[i]->name, name))
			return entities[i];
	return NULL;
}

static void build_sql(const struct entity *e, struct entity_sql *s)
{
	struct buf b = BUF_INIT;
	int nf = e->schema.nfields, col = NBASE;
	s->nfields = nf;
	s->fcol = xcalloc((size_t)nf + 1, sizeof *s->fcol);
	s->jtable = xcalloc((size_t)nf + 1, sizeof *s->jtable);
	buf_adds(&b, "id, created_at, updated_at, version, created_by");
	for (int i = 0; i < nf; i++) {
		const struct field *f = &e->schema.fields[i];
		if (entity_field_joined(f)) {
			s->fcol[i] = -1;
			s->jtable[i] = xasprintf("%s_%s", e->name, f->name);
			s->njoined++;
			continue;
		}
		s->fcol[i] = col++;
		buf_printf(&b, ", %s", f->name);
	}
	s->cfcol = col;
	buf_adds(&b, ", cf");
	s->cols = buf_detach(&b);
	s->get = xasprintf("SELECT %s FROM %s WHERE id = ? AND org_id = ?",
			   s->cols, e->name);
	buf_adds(&b, " AND (");
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		const char *sep = s->nown ? " OR " : "";
		if ((f->flags & (F_OWNER | F_ASSIGNEE)) && entity_field_joined(f)) {
			/* One record: its list's primary key, probed. */
			buf_printf(&b, "%sEXISTS (SELECT 1 FROM %s jo WHERE "
				       "jo.record_id = %s.id AND jo.staff_id IN "
				       "(" PEERS "))",
				   sep, s->jtable[i], e->name);
			s->nown += 2;
		} else if (f->flags & (F_OWNER | F_ASSIGNEE)) {
			buf_printf(&b, "%s%s IN (" PEERS ")", sep, f->name);
			s->nown += 2;
		} else if (f->flags & F_DEPARTMENT) {
			buf_printf(&b, "%s%s IN (SELECT department_id FROM "
				       "staff_department WHERE staff_id = ?)",
				   sep, f->name);
			s->nown++;
		} else if (f->flags & F_TEAM) {
			buf_printf(&b, "%s%s IN (SELECT team_id FROM "
				       "staff_team WHERE staff_id = ?)",
				   sep, f->name);
			s->nown++;
		}
	}
	if (e->member_table) {
		buf_printf(&b, "%sid IN (SELECT %s FROM %s WHERE staff_id = ?)",
			   s->nown ? " OR " : "", e->member_col,
			   e->member_table);
		s->nown++;
	}
	buf_adds(&b, s->nown ? ")" : "1 = 0)");
	s->own = buf_detach(&b);
	s->get_own = xasprintf("%s%s", s->get, s->own);
	buf_printf(&b, "INSERT INTO %s (org_id, created_by, created_at, "
		       "updated_at, version, cf, cf_search",
		   e->name);
	for (int i = 0; i < nf; i++)
		if (!entity_field_joined(&e->schema.fields[i]))
			buf_printf(&b, ", %s", e->schema.fields[i].name);
	buf_adds(&b, ") VALUES (?, ?, ?, ?, 1, ?, ?");
	for (int i = 0; i < nf; i++)
		if (!entity_field_joined(&e->schema.fields[i]))
			buf_adds(&b, ", ?");
	buf_printf(&b, ") RETURNING %s", s->cols);
	s->insert = buf_detach(&b);
	s->del = xasprintf("DELETE FROM %s WHERE id = ? AND org_id = ? "
			   "RETURNING id",
			   e->name);
	entity_list_build(e, s);
}

static void free_sql(struct entity_sql *s)
{
	free(s->cols);
	free(s->get);
	free(s->get_own);
	free(s->own);
	free(s->insert);
	free(s->del);
	for (int i = 0; s->jtable && i < s->nfields; i++)
		free(s->jtable[i]);
	free(s->jtable);
	free(s->fcol);
	entity_list_free(s);
	memset(s, 0, sizeof *s);
}

/* ---- the records module ------------------------------------------------ */

static void records_fini(struct app *app)
{
	entity_fields_fini();
	for (int i = 0; i < nentities; i++)
		free_sql(&sqls[i]);
	free(sqls);
	free(entities);
	sqls = NULL;
	entities = NULL;
	nentities = 0;
}

/* True when the module routes e's collection at /api/v1/<plural>. */
static bool routed(const struct module *m, const struct entity *e)
{
	char path[128];
	snprintf(path, sizeof path, "/api/v1/%s", e->plural);
	for (const struct route *rt = m->routes; rt && rt->path; rt++)
		if (rt->arg == e && rt->fn == entity_h_list &&
		    !strcmp(rt->path, path) && !strcmp(rt->module, e->plural))
			return true;
	return false;
}

/* Collects every module's entities, checks each has its permission
 * module and routes, and builds the SQL that does not depend on the
 * request. */
static int records_init(struct app *app, struct atr_err *err)
{
	records_fini(app);
	int cap = 0;
	for (int m = 0; app->modules[m]; m++)
		for (const struct entity *const *e = app->modules[m]->entities;
		     e && *e; e++)
			cap++;
	entities = xcalloc((size_t)cap + 1, sizeof *entities);
	sqls = xcalloc((size_t)cap + 1, sizeof *sqls);
	for (int m = 0; app->modules[m]; m++) {
		const struct module *mod = app->modules[m];
		for (const struct entity *const *ep = mod->entities; ep && *ep;
		     ep++) {
			const struct entity *e = *ep;
			if (entity_find(e->name))
				return atr_fail(err, ATR_E_INTERNAL,
						"entity '%s' is declared twice",
						e->name);
			if (perm_module_index(e->plural) < 0 ||
			    !routed(mod, e) || !e->title_field ||
			    !e->ui_sort)
				return atr_fail(err, ATR_E_INTERNAL,
						"entity '%s' needs the "
						"permission module '%s', "
						"ENTITY_ROUTES in module %s, "
						"a title field and a sort",
						e->name, e->plural, mod->name);
			for (int k = 0; k < e->schema.nfields; k++) {
				const struct field *f = &e->schema.fields[k];
				if (f->type == FT_REF && !f->ref)
					return atr_fail(err, ATR_E_INTERNAL,
							"%s.%s: a reference "
							"names no entity",
							e->name, f->name);
			}
			entities[nentities] = e;
			build_sql(e, &sqls[nentities]);
			nentities++;
		}
	}
	return 0;
}

/* Replays are honoured for 24 hours, as payment APIs do. */
static const struct housekeeping records_housekeeping[] = {
	{"DELETE FROM idempotency_key WHERE created_at < ? RETURNING org_id",
	 1, {24LL * 3600 * 1000}},
	{0},
};

static const struct route records_routes[] = {
	{HTTP_GET, "/api/v1/meta/entities", entity_h_meta, ACCESS_SESSION,
	 NULL, 0, NULL, NULL, NULL, 0, NULL},
	{0},
};

const struct module module_records = {
	.name = "records",
	.routes = records_routes,
	.housekeeping = records_housekeeping,
	.init = records_init,
	.fini = records_fini,
};
