/* contract.c — the contract entity: an agreement with a client, its value
 * and its term. "Expiring within N days" is a list filter on end_date
 * (end_date[gte]=today&end_date[lte]=today+N), which the UI offers.
 *
 * A contract gets its number from the organisation's contract series
 * (finance/number_series.h) when it is signed — created signed, or
 * `signed` going from false to true — in the transaction of that write,
 * so a write that fails gives the number back. The number stays with the
 * contract (un-signing keeps it; signing again gives no new one) and is
 * unique in the organisation (migration 0030). */
#include "atrium.h"

#include "http/perm.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"
#include "finance/document_pdf.h"
#include "finance/number_series.h"

static const struct field contract_fields[] = {
	{.name = "subject", .type = FT_TEXT, .max = 200,
	 .flags = F_REQUIRED | F_SEARCH | F_SORT | F_LIST | F_WIDE},
	{.name = "number", .type = FT_TEXT, .max = NUMSER_OUT_MAX,
	 .flags = F_READONLY | F_FILTER | F_SORT | F_LIST,
	 .hint = "Given from the contract number series when the contract "
		 "is signed."},
	{.name = "client_id", .type = FT_REF, .ref = "client", .label = "Client",
	 .flags = F_REQUIRED | F_FILTER | F_LIST},
	{.name = "contract_type", .type = FT_TEXT, .max = 100,
	 .label = "Type", .flags = F_FILTER | F_SEARCH | F_SORT | F_LIST,
	 .hint = "e.g. Maintenance, Licence, Support."},
	{.name = "value", .type = FT_MONEY, .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "currency", .type = FT_CURRENCY, .max = 3, .def = "EUR",
	 .flags = F_FILTER},
	{.name = "start_date", .type = FT_DATE,
	 .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "end_date", .type = FT_DATE,
	 .flags = F_FILTER | F_SORT | F_LIST,
	 .hint = "Empty for a contract without an end."},
	{.name = "signed", .type = FT_BOOL, .def = "false",
	 .flags = F_FILTER | F_LIST},
	{.name = "owner_id", .type = FT_STAFF, .label = "Owner",
	 .flags = F_FILTER | F_OWNER},
	{.name = "assigned_to", .type = FT_STAFF, .label = "Key account manager",
	 .flags = F_FILTER | F_ASSIGNEE | F_LIST},
	{.name = "description", .type = FT_TEXT, .max = 10000,
	 .flags = F_MULTILINE | F_WIDE},
};

/* Numbers the contract when this write signs it (see the top). */
static int contract_on_write(struct req *r, const struct entity *e,
			     const json_t *before, json_t **after)
{
	if (!json_is_true(json_object_get(*after, "signed")) ||
	    (before && json_is_true(json_object_get(before, "signed"))) ||
	    json_is_string(json_object_get(*after, "number")))
		return 0;
	char number[NUMSER_OUT_MAX];
	if (number_series_next(r->db, r->who.org_id, "contract", atr_now_ms(),
			       number, sizeof number, &r->err) < 0)
		return -1;
	int64_t id = json_integer_value(json_object_get(*after, "id"));
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE contract SET number = ? WHERE id = ? AND "
		       "org_id = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, number);
	db_bind_int(st, 2, id);
	db_bind_int(st, 3, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 && db_err_unique(r->db))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"contract number '%s' is already used by "
				"another contract; change the contract number "
				"series (its format or next number)",
				number);
	if (rc < 0)
		return -1;
	json_object_set_new(*after, "number", json_string(number));
	return 0;
}

const struct entity entity_contract = {
	.name = "contract",
	.plural = "contracts",
	.label = "Contracts",
	.schema = SCHEMA(contract_fields),
	.title_field = "subject",
	.ui_sort = "-id",
	.on_write = contract_on_write,
};

static const struct route contract_routes[] = {
	ENTITY_ROUTES(entity_contract, "contracts"),
	{HTTP_GET, "/api/v1/contracts/{id}/pdf", doc_pdf_h_get, ACCESS_PERM,
	 "contracts", CAP_VIEW, NULL, &entity_contract, NULL, 0, NULL},
	{0},
};

static const struct perm_module contract_perms[] = {
    {"contracts", "Contracts", PB_ALL, "contract", NULL, PERM_PARENT_SCOPE},
    {0},
};

static const struct entity *const contract_entities[] = {&entity_contract,
							  NULL};

const struct module module_contracts = {
	.name = "contracts",
	.perms = contract_perms,
	.routes = contract_routes,
	.entities = contract_entities,
};
