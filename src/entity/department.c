/* department.c — departments: staff groups with a routing address (mail
 * to it becomes the department's tickets: `atrium pipe`), and whether
 * mail from senders who are not contacts opens a ticket. Members are set
 * on the staff record (department_ids). */
#include "atrium.h"

#include "http/perm.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"

static const char *const unknown_senders[] = {"open_ticket", "reject",
					      NULL};

static const struct field department_fields[] = {
	{.name = "name", .type = FT_TEXT, .max = 100,
	 .flags = F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST},
	{.name = "email", .type = FT_EMAIL, .max = 254,
	 .flags = F_SEARCH | F_FILTER | F_LIST,
	 .hint = "The department's own address, e.g. support@company.com "
		 "(for ticket routing)."},
	{.name = "unknown_senders", .type = FT_ENUM, .max = 20,
	 .choices = unknown_senders, .def = "open_ticket",
	 .label = "Mail from unknown senders", .flags = F_FILTER,
	 .hint = "Whether mail to the department's address from someone "
		 "who is not a contact opens a ticket or is refused."},
	{.name = "manager_id", .type = FT_STAFF, .label = "Manager",
	 .flags = F_FILTER,
	 .hint = "Who manages the department's members: automations can "
		 "assign work to a record owner's manager."},
};

/* Mail to an address reaches one department: no two departments of the
 * organisation share one, whatever its letter case. */
static void department_check(struct req *r, const struct entity *e)
{
	const char *email = json_string_value(json_object_get(r->body, "email"));
	if (!email || !*email || !req_db(r))
		return;
	struct db_stmt *st = db_prepare(
		r->db, "SELECT name FROM department WHERE org_id = ? AND "
		       "lower(email) = lower(?) AND id <> ?");
	if (!st) {
		req_db_error(r);
		return;
	}
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, email);
	db_bind_int(st, 3, r->method == HTTP_POST ? 0 : r->id);
	int rc = db_step(st);
	if (rc == 1)
		atr_field(&r->err, "email", "taken",
			  "the department '%s' has this address already",
			  db_col_text(st, 0));
	db_reset(st);
	if (rc < 0)
		req_db_error(r);
}

const struct entity entity_department = {
	.name = "department",
	.plural = "departments",
	.label = "Departments",
	.schema = SCHEMA(department_fields),
	.title_field = "name",
	.ui_sort = "name",
	.member_table = "staff_department",
	.member_col = "department_id",
	.check = department_check,
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
