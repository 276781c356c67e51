/* lead.c — the lead entity: a prospect on its way to becoming a client. */
#include "atrium.h"

#include "http/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const char *const lead_status[] = {
	"new", "contacted", "qualified", "proposal", "won", "lost", NULL,
};

/* How soon the lead wants an answer: an urgent one tells the sales
 * managers at once (the first standard automation). */
static const char *const lead_priority[] = {
	"low", "normal", "high", "urgent", NULL,
};

static const struct field lead_fields[] = {
	{.name = "name", .type = FT_TEXT, .max = 200,
	 .flags = F_REQUIRED | F_PERSONAL | F_SEARCH | F_SORT | F_LIST},
	{.name = "company", .type = FT_TEXT, .max = 200,
	 .flags = F_FILTER | F_SEARCH | F_SORT | F_LIST},
	{.name = "email", .type = FT_EMAIL, .max = 254,
	 .flags = F_PERSONAL | F_FILTER | F_SEARCH | F_LIST},
	{.name = "phone", .type = FT_PHONE, .max = 50,
	 .flags = F_PERSONAL | F_SEARCH},
	{.name = "source", .type = FT_TEXT, .max = 100, .flags = F_FILTER,
	 .hint = "Where the lead came from, e.g. Website, Referral."},
	{.name = "status", .type = FT_ENUM, .max = 20, .choices = lead_status,
	 .def = "new", .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "priority", .type = FT_ENUM, .max = 10,
	 .choices = lead_priority, .def = "normal",
	 .flags = F_FILTER | F_SORT},
	{.name = "value", .type = FT_MONEY, .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "currency", .type = FT_CURRENCY, .max = 3, .def = "EUR",
	 .flags = F_FILTER,
	 .hint = "Empty uses the default currency."},
	{.name = "assigned_to", .type = FT_STAFF, .label = "Assigned to",
	 .flags = F_FILTER | F_ASSIGNEE | F_LIST},
	{.name = "owner_id", .type = FT_STAFF, .label = "Owner",
	 .flags = F_FILTER | F_OWNER},
	{.name = "notes", .type = FT_TEXT, .max = 10000,
	 .flags = F_PERSONAL | F_MULTILINE | F_WIDE},
	{.name = "tags", .type = FT_TAGS, .max = 20, .flags = F_FILTER | F_WIDE,
	 .hint = "Separate tags with commas."},
};

const struct entity entity_lead = {
	.name = "lead",
	.plural = "leads",
	.label = "Leads",
	.schema = SCHEMA(lead_fields),
	.title_field = "name",
	.ui_sort = "-id",
};

static const struct route lead_routes[] = {
	ENTITY_ROUTES(entity_lead, "leads"),
	{0},
};

static const struct perm_module lead_perms[] = {
    {"leads", "Leads", PB_ALL, "lead", NULL, PERM_PARENT_SCOPE},
    {0},
};

static const struct entity *const lead_entities[] = {&entity_lead, NULL};

const struct module module_leads = {
	.name = "leads",
	.perms = lead_perms,
	.routes = lead_routes,
	.entities = lead_entities,
};
