/* department.c — departments: staff groups with a routing address
 * (tickets sent to the address reach the department, later). Members are
 * set on the staff record (department_ids). */
#include "atrium.h"

#include "http/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const struct field department_fields[] = {
	{.name = "name", .type = FT_TEXT, .max = 100,
	 .flags = F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST},
	{.name = "email", .type = FT_EMAIL, .max = 254,
	 .flags = F_SEARCH | F_FILTER | F_LIST,
	 .hint = "The department's own address, e.g. support@company.com "
		 "(for ticket routing)."},
};

const struct entity entity_department = {
	.name = "department",
	.plural = "departments",
	.label = "Departments",
	.schema = SCHEMA(department_fields),
	.title_field = "name",
	.ui_sort = "name",
	.member_table = "staff_department",
	.member_col = "department_id",
};

static const struct route department_routes[] = {
	ENTITY_ROUTES(entity_department, "departments"),
	{0},
};

static const struct perm_module department_perms[] = {
	{"departments", "Departments", PB_ALL, "department"},
	{0},
};

static const struct entity *const department_entities[] = {&entity_department, NULL};

const struct module module_departments = {
	.name = "departments",
	.perms = department_perms,
	.routes = department_routes,
	.entities = department_entities,
};
