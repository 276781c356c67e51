/* task.c — the task entity: a piece of work with a due date, assigned to
 * one or several members (assignees: a staff list, entity_lists.c),
 * optionally about another record (a lead, a client, a contact, a
 * contract, a project): rel_type names the entity and rel_id the record,
 * which must exist and be visible to whoever links it. "My tasks" is the
 * list filtered on assignees=me (the caller; or one member's id), overdue
 * ones add due_date[lt]=<today>&status[ne]=complete. Each assignee sees
 * the task under view_own, as their department colleagues do. */
#include "atrium.h"

#include "http/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const char *const task_status[] = {
	"not_started", "in_progress", "testing", "awaiting_feedback",
	"complete",    NULL,
};
static const char *const task_priority[] = {"low", "medium", "high",
					    "urgent", NULL};
static const char *const task_rel[] = {"lead",	   "client", "contact",
				       "contract", "project", NULL};

static const struct field task_fields[] = {
	{.name = "subject", .type = FT_TEXT, .max = 200,
	 .flags = F_REQUIRED | F_SEARCH | F_SORT | F_LIST | F_WIDE},
	{.name = "status", .type = FT_ENUM, .max = 20, .choices = task_status,
	 .def = "not_started", .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "priority", .type = FT_ENUM, .max = 10,
	 .choices = task_priority, .def = "medium",
	 .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "start_date", .type = FT_DATE, .flags = F_FILTER | F_SORT},
	{.name = "due_date", .type = FT_DATE,
	 .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "assignees", .type = FT_STAFF_LIST, .label = "Assignees",
	 .max = 20, .flags = F_FILTER | F_ASSIGNEE | F_LIST},
	{.name = "owner_id", .type = FT_STAFF, .label = "Owner",
	 .flags = F_FILTER | F_OWNER},
	{.name = "rel_type", .type = FT_ENUM, .max = 20, .choices = task_rel,
	 .label = "Related to", .flags = F_FILTER,
	 .hint = "The kind of record the task is about, with its id below."},
	{.name = "rel_id", .type = FT_INT, .label = "Related record id",
	 .flags = F_FILTER | F_LIST},
	{.name = "description", .type = FT_TEXT, .max = 10000,
	 .flags = F_MULTILINE | F_WIDE},
};

/* rel_type and rel_id go together, and name a record the caller may see
 * (the same answer for one that does not exist). */
static void task_check(struct req *r, const struct entity *e)
{
	json_t *t = json_object_get(r->body, "rel_type"),
	       *id = json_object_get(r->body, "rel_id");
	bool has_t = t && !json_is_null(t), has_id = id && !json_is_null(id);
	if (!json_is_object(r->body) || (!t && !id))
		return;
	if (has_t != has_id || !t != !id) {
		atr_field(&r->err, has_t ? "rel_id" : "rel_type", "required",
			  "the related record's type and id go together");
		return;
	}
	const struct entity *target =
		has_t && json_is_string(t) ? entity_find(json_string_value(t))
					   : NULL;
	if (!target || !json_is_integer(id) || json_integer_value(id) < 1)
		return; /* the field checks named it */
	int ex = entity_ref_visible(r, target, json_integer_value(id));
	if (ex < 0)
		req_db_error(r);
	else if (ex == 0)
		atr_field(&r->err, "rel_id", "not_found", "no %s with id %lld",
			  target->name, (long long)json_integer_value(id));
}

const struct entity entity_task = {
	.name = "task",
	.plural = "tasks",
	.label = "Tasks",
	.schema = SCHEMA(task_fields),
	.title_field = "subject",
	.ui_sort = "due_date",
	.link_type = "rel_type",
	.link_id = "rel_id",
	.check = task_check,
};

static const struct route task_routes[] = {
	ENTITY_ROUTES(entity_task, "tasks"),
	{0},
};

static const struct perm_module task_perms[] = {
    {"tasks", "Tasks", PB_ALL, "task", NULL, PERM_PARENT_SCOPE},
    {0},
};

static const struct entity *const task_entities[] = {&entity_task, NULL};

const struct module module_tasks = {
	.name = "tasks",
	.perms = task_perms,
	.routes = task_routes,
	.entities = task_entities,
};
