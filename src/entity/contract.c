/* contract.c — the contract entity: an agreement with a client, its value
 * and its term. "Expiring within N days" is a list filter on end_date
 * (end_date[gte]=today&end_date[lte]=today+N), which the UI offers. */
#include "atrium.h"

#include "http/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const struct field contract_fields[] = {
	{.name = "subject", .type = FT_TEXT, .max = 200,
	 .flags = F_REQUIRED | F_SEARCH | F_SORT | F_LIST | F_WIDE},
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

const struct entity entity_contract = {
	.name = "contract",
	.plural = "contracts",
	.label = "Contracts",
	.schema = SCHEMA(contract_fields),
	.title_field = "subject",
	.ui_sort = "-id",
};

static const struct route contract_routes[] = {
	ENTITY_ROUTES(entity_contract, "contracts"),
	{0},
};

static const struct perm_module contract_perms[] = {
	{"contracts", "Contracts", PB_ALL, "contract"},
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
