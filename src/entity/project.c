/* project.c — the project entity: work for a client, with a status, a
 * start date and a deadline, owned by a member, led by another (the
 * project manager, a single field) and worked on by its members (a staff
 * list, entity_lists.c: each member sees the project under view_own). */
#include "atrium.h"

#include "http/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const char *const project_status[] = {
	"not_started", "in_progress", "on_hold", "cancelled", "finished", NULL,
};

static const struct field project_fields[] = {
	{.name = "name", .type = FT_TEXT, .max = 200,
	 .flags = F_REQUIRED | F_SEARCH | F_SORT | F_LIST | F_WIDE},
	{.name = "client_id", .type = FT_REF, .ref = "client", .label = "Client",
	 .flags = F_FILTER | F_LIST},
	{.name = "status", .type = FT_ENUM, .max = 20, .choices = project_status,
	 .def = "not_started", .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "start_date", .type = FT_DATE,
	 .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "deadline", .type = FT_DATE, .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "owner_id", .type = FT_STAFF, .label = "Owner",
	 .flags = F_FILTER | F_OWNER},
	{.name = "assigned_to", .type = FT_STAFF, .label = "Project manager",
	 .flags = F_FILTER | F_ASSIGNEE | F_LIST},
	{.name = "members", .type = FT_STAFF_LIST, .label = "Members",
	 .max = 50, .flags = F_FILTER | F_ASSIGNEE | F_WIDE,
	 .hint = "Everyone who works on the project; each of them sees it."},
	{.name = "description", .type = FT_TEXT, .max = 10000,
	 .flags = F_MULTILINE | F_WIDE},
};

const struct entity entity_project = {
	.name = "project",
	.plural = "projects",
	.label = "Projects",
	.schema = SCHEMA(project_fields),
	.title_field = "name",
	.ui_sort = "-id",
};

static const struct route project_routes[] = {
	ENTITY_ROUTES(entity_project, "projects"),
	{0},
};

static const struct perm_module project_perms[] = {
    {"projects", "Projects", PB_ALL, "project", NULL, PERM_PARENT_SCOPE},
    {0},
};

static const struct entity *const project_entities[] = {&entity_project,
							 NULL};

const struct module module_projects = {
	.name = "projects",
	.perms = project_perms,
	.routes = project_routes,
	.entities = project_entities,
};
