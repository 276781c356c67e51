/* department.c — departments: staff groups with a routing address
 * (tickets sent to the address reach the department, later). Members are
 * set on the staff record (department_ids). */
#include "atrium.h"

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
	.path_list = "/api/v1/departments",
	.path_item = "/api/v1/departments/{id}",
	.schema = SCHEMA(department_fields),
	.member_table = "staff_department",
	.member_col = "department_id",
};
