/* client.c — the client entity: a company the business works for. */
#include "atrium.h"

#include "auth/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const struct field client_fields[] = {
	{"company", FT_TEXT, F_REQUIRED | F_SEARCH | F_SORT, 200, NULL, NULL},
	{"vat_number", FT_TEXT, F_SEARCH, 50, NULL, NULL},
	{"registration_number", FT_TEXT, F_SEARCH, 50, NULL, NULL},
	{"address", FT_TEXT, F_PERSONAL | F_MULTILINE, 500, NULL, NULL},
	{"city", FT_TEXT, F_FILTER | F_SEARCH | F_SORT, 100, NULL, NULL},
	{"country", FT_COUNTRY, F_FILTER | F_SORT, 2, NULL, NULL},
	{"phone", FT_PHONE, F_PERSONAL | F_SEARCH, 50, NULL, NULL},
	{"website", FT_URL, 0, 500, NULL, NULL},
	{"default_currency", FT_CURRENCY, F_FILTER, 3, NULL, NULL},
	{"owner_id", FT_STAFF, F_FILTER | F_OWNER, 0, NULL, NULL},
	{"assigned_to", FT_STAFF, F_FILTER | F_ASSIGNEE, 0, NULL, NULL},
};

const struct entity entity_client = {
	.name = "client",
	.plural = "clients",
	.label = "Clients",
	.schema = SCHEMA(client_fields),
};

static const struct route client_routes[] = {
	ENTITY_ROUTES(entity_client, "clients"),
	{0},
};

static const struct perm_module client_perms[] = {
	{"clients", "Clients", PB_ALL},
	{0},
};

static const struct entity *const client_entities[] = {&entity_client, NULL};

const struct module module_clients = {
	.name = "clients",
	.perms = client_perms,
	.routes = client_routes,
	.entities = client_entities,
};
