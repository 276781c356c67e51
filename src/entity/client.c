/* client.c — the client entity: a company the business works for. */
#include "atrium.h"

#include "http/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const struct field client_fields[] = {
	{.name = "company", .type = FT_TEXT, .max = 200,
	 .flags = F_REQUIRED | F_SEARCH | F_SORT | F_LIST | F_WIDE},
	{.name = "vat_number", .type = FT_TEXT, .max = 50, .label = "VAT number",
	 .flags = F_SEARCH | F_LIST},
	{.name = "registration_number", .type = FT_TEXT, .max = 50,
	 .flags = F_SEARCH},
	{.name = "address", .type = FT_TEXT, .max = 500,
	 .flags = F_PERSONAL | F_MULTILINE | F_WIDE},
	{.name = "city", .type = FT_TEXT, .max = 100,
	 .flags = F_FILTER | F_SEARCH | F_SORT | F_LIST},
	{.name = "country", .type = FT_COUNTRY, .max = 2,
	 .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "phone", .type = FT_PHONE, .max = 50,
	 .flags = F_PERSONAL | F_SEARCH | F_LIST},
	{.name = "website", .type = FT_URL, .max = 500},
	{.name = "default_currency", .type = FT_CURRENCY, .max = 3,
	 .flags = F_FILTER},
	{.name = "owner_id", .type = FT_STAFF, .label = "Owner",
	 .flags = F_FILTER | F_OWNER},
	{.name = "assigned_to", .type = FT_STAFF, .label = "Assigned to",
	 .flags = F_FILTER | F_ASSIGNEE | F_LIST},
};

const struct entity entity_client = {
	.name = "client",
	.plural = "clients",
	.label = "Clients",
	.schema = SCHEMA(client_fields),
	.title_field = "company",
	.ui_sort = "-id",
};

static const struct route client_routes[] = {
	ENTITY_ROUTES(entity_client, "clients"),
	{0},
};

static const struct perm_module client_perms[] = {
    {"clients", "Clients", PB_ALL, "client", NULL, PERM_PARENT_SCOPE},
    {0},
};

static const struct entity *const client_entities[] = {&entity_client, NULL};

const struct module module_clients = {
	.name = "clients",
	.perms = client_perms,
	.routes = client_routes,
	.entities = client_entities,
};
