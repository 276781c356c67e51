/* department.c — departments: staff groups with a routing address
 * (tickets sent to the address reach the department, later). Members are
 * set on the staff record (department_ids). */
#include "atrium.h"

#include "auth/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const struct field department_fields[] = {
	{"name", FT_TEXT, F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT, 100, NULL,
	 NULL},
	{"email", FT_EMAIL, F_SEARCH | F_FILTER, 254, NULL, NULL},
};

const struct entity entity_department = {
	.name = "department",
	.plural = "departments",
	.label = "Departments",
	.schema = SCHEMA(department_fields),
	.member_table = "staff_department",
	.member_col = "department_id",
};

static const struct route department_routes[] = {
	ENTITY_ROUTES(entity_department, "departments"),
	{0},
};

static const struct perm_module department_perms[] = {
	{"departments", "Departments", PB_ALL},
	{0},
};

static const struct entity *const department_entities[] = {&entity_department, NULL};

const struct module module_departments = {
	.name = "departments",
	.perms = department_perms,
	.routes = department_routes,
	.entities = department_entities,
};
