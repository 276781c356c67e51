/* portal_docs.c — a contact's contracts and projects in the portal.
 *
 * GET /api/v1/portal/contracts, /api/v1/portal/contracts/{id}
 * GET /api/v1/portal/projects,  /api/v1/portal/projects/{id}
 *
 * Read only, and only their client's (client_id = the contact's client,
 * in SQL; another's is 404). A list shows the fields a client cares
 * about, the record adds its description and the custom fields marked
 * show_on_client_portal. Each kind is a table row below (struct
 * portal_doc): a new kind (proposals, invoices) is one more.
 */
#include "atrium.h"

#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/list.h"
#include "portal/portal.h"

struct portal_doc {
	const struct entity *e;
	const char *table;
	const struct field *fields; /* shown in lists; names are columns */
	int nfields;
	const char *cols;     /* "x.id, x.<field>, ..." in that order */
	struct list_spec spec;
};

static void doc_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	const struct portal_doc *d = arg;
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	for (int i = 0; i < d->nfields; i++) {
		jout_key(b, d->fields[i].name, false);
		field_write(b, &d->fields[i], st, i + 1);
	}
	buf_addc(b, '}');
}

static int doc_scope(struct req *r, struct list_query *q, const void *arg)
{
	(void)arg;
	list_where(q, "x.client_id = ?");
	list_int(q, r->who.client_id);
	return 0;
}

static int doc_h_list(struct req *r)
{
	const struct portal_doc *d = r->route->arg;
	return list_run(r, &d->spec);
}

static int doc_h_get(struct req *r)
{
	const struct portal_doc *d = r->route->arg;
	if (!req_db(r))
		return -1;
	struct db_stmt *st = db_prepare(
		r->db, arena_printf(r->arena,
				    "SELECT %s, x.description, x.cf FROM %s x "
				    "WHERE x.id = ? AND x.org_id = ? AND "
				    "x.client_id = ?",
				    d->cols, d->table));
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	db_bind_int(st, 3, r->who.client_id);
	int rc = db_step(st);
	if (rc != 1) {
		db_reset(st);
		return rc < 0 ? req_db_error(r)
			      : atr_fail(&r->err, ATR_E_NOT_FOUND,
					 "%s %lld not found", d->e->name,
					 (long long)r->id);
	}
	struct buf b = BUF_INIT;
	doc_row(&b, st, d);
	json_t *o = json_loadb(b.p, b.len, 0, NULL);
	buf_free(&b);
	int n = d->nfields + 1;
	json_object_set_new(o, "description",
			    db_col_null(st, n) ? json_null()
					       : json_string(db_col_text(st, n)));
	char *cf = db_col_null(st, n + 1)
			   ? NULL
			   : arena_strdup(r->arena, db_col_text(st, n + 1));
	db_reset(st);
	json_object_set_new(o, "custom_fields",
			    portal_custom_fields(r, d->e, cf));
	req_json(r, 200, o);
	return 0;
}

/* ---- the kinds ------------------------------------------------------------------- */

extern const struct entity entity_contract, entity_project;

static const char *const project_status[] = {
	"not_started", "in_progress", "on_hold", "cancelled", "finished", NULL,
};

static const struct field contract_fields[] = {
	{.name = "number", .type = FT_TEXT},
	{.name = "subject", .type = FT_TEXT},
	{.name = "contract_type", .type = FT_TEXT},
	{.name = "value", .type = FT_MONEY},
	{.name = "currency", .type = FT_TEXT},
	{.name = "start_date", .type = FT_DATE},
	{.name = "end_date", .type = FT_DATE},
	{.name = "signed", .type = FT_BOOL},
};
static const struct list_col contract_columns[] = {
	{&contract_fields[1], "x.subject", LIST_SORT | LIST_NOTNULL},
	{&contract_fields[5], "x.start_date", LIST_SORT},
	{&contract_fields[6], "x.end_date", LIST_FILTER | LIST_SORT},
	{&contract_fields[7], "x.signed", LIST_FILTER},
};
static const char *const contract_search[] = {"x.subject", "x.number",
					       NULL};

static const struct field project_fields[] = {
	{.name = "name", .type = FT_TEXT},
	{.name = "status", .type = FT_ENUM, .choices = project_status},
	{.name = "start_date", .type = FT_DATE},
	{.name = "deadline", .type = FT_DATE},
};
static const struct list_col project_columns[] = {
	{&project_fields[0], "x.name", LIST_SORT | LIST_NOTNULL},
	{&project_fields[1], "x.status", LIST_FILTER | LIST_SORT},
	{&project_fields[3], "x.deadline", LIST_SORT},
};
static const char *const project_search[] = {"x.name", NULL};

#define DOC_COLS_CONTRACT                                                      \
	"x.id, x.number, x.subject, x.contract_type, x.value, x.currency, "   \
	"x.start_date, x.end_date, x.signed"
#define DOC_COLS_PROJECT "x.id, x.name, x.status, x.start_date, x.deadline"

static const struct portal_doc contracts;
static const struct portal_doc projects;

static const struct portal_doc contracts = {
	.e = &entity_contract,
	.table = "contract",
	.fields = contract_fields,
	.nfields = (int)ATR_ARRAY_LEN(contract_fields),
	.cols = DOC_COLS_CONTRACT,
	.spec = {.from = "contract x", .cols = DOC_COLS_CONTRACT, .id = "x.id",
		 .org = "x.org_id", .columns = contract_columns,
		 .ncolumns = (int)ATR_ARRAY_LEN(contract_columns),
		 .sort_default = "-id", .limit_default = 25, .limit_max = 100,
		 .search = contract_search, .count_default = true,
		 .row = doc_row, .arg = &contracts, .scope = doc_scope},
};

static const struct portal_doc projects = {
	.e = &entity_project,
	.table = "project",
	.fields = project_fields,
	.nfields = (int)ATR_ARRAY_LEN(project_fields),
	.cols = DOC_COLS_PROJECT,
	.spec = {.from = "project x", .cols = DOC_COLS_PROJECT, .id = "x.id",
		 .org = "x.org_id", .columns = project_columns,
		 .ncolumns = (int)ATR_ARRAY_LEN(project_columns),
		 .sort_default = "-id", .limit_default = 25, .limit_max = 100,
		 .search = project_search, .count_default = true,
		 .row = doc_row, .arg = &projects, .scope = doc_scope},
};

static const struct route portal_doc_routes[] = {
	{HTTP_GET, "/api/v1/portal/contracts", doc_h_list, ACCESS_CONTACT,
	 "contracts", CAP_VIEW, NULL, &contracts},
	{HTTP_GET, "/api/v1/portal/contracts/{id}", doc_h_get, ACCESS_CONTACT,
	 "contracts", CAP_VIEW, NULL, &contracts},
	{HTTP_GET, "/api/v1/portal/projects", doc_h_list, ACCESS_CONTACT,
	 "projects", CAP_VIEW, NULL, &projects},
	{HTTP_GET, "/api/v1/portal/projects/{id}", doc_h_get, ACCESS_CONTACT,
	 "projects", CAP_VIEW, NULL, &projects},
	{0},
};

const struct module module_portal_docs = {
	.name = "portal_docs",
	.routes = portal_doc_routes,
};
