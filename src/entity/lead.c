/* lead.c — the lead entity: a prospect on its way to becoming a client. */
#include "atrium.h"

#include "auth/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const char *const lead_status[] = {
	"new", "contacted", "qualified", "proposal", "won", "lost", NULL,
};

static const struct field lead_fields[] = {
	{"name", FT_TEXT, F_REQUIRED | F_PERSONAL | F_SEARCH | F_SORT, 200,
	 NULL, NULL},
	{"company", FT_TEXT, F_SEARCH | F_SORT, 200, NULL, NULL},
	{"email", FT_EMAIL, F_PERSONAL | F_SEARCH, 254, NULL, NULL},
	{"phone", FT_PHONE, F_PERSONAL | F_SEARCH, 50, NULL, NULL},
	{"source", FT_TEXT, F_FILTER, 100, NULL, NULL},
	{"status", FT_ENUM, F_FILTER | F_SORT, 20, lead_status, "new"},
	{"value", FT_MONEY, F_SORT, 0, NULL, NULL},
	{"currency", FT_CURRENCY, F_FILTER, 3, NULL, "EUR"},
	{"assigned_to", FT_STAFF, F_FILTER | F_ASSIGNEE, 0, NULL, NULL},
	{"owner_id", FT_STAFF, F_FILTER | F_OWNER, 0, NULL, NULL},
	{"notes", FT_TEXT, F_PERSONAL | F_MULTILINE, 10000, NULL, NULL},
	{"tags", FT_TAGS, F_FILTER, 20, NULL, NULL},
};

const struct entity entity_lead = {
	.name = "lead",
	.plural = "leads",
	.label = "Leads",
	.schema = SCHEMA(lead_fields),
};

static const struct route lead_routes[] = {
	ENTITY_ROUTES(entity_lead, "leads"),
	{0},
};

static const struct perm_module lead_perms[] = {
	{"leads", "Leads", PB_ALL},
	{0},
};

static const struct entity *const lead_entities[] = {&entity_lead, NULL};

const struct module module_leads = {
	.name = "leads",
	.perms = lead_perms,
	.routes = lead_routes,
	.entities = lead_entities,
};
