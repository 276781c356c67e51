/* team.c — teams: functional groups; a member may be in several. Members
 * are set on the staff record (team_ids). */
#include "atrium.h"

#include "http/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const struct field team_fields[] = {
	{.name = "name", .type = FT_TEXT, .max = 100,
	 .flags = F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST},
	{.name = "description", .type = FT_TEXT, .max = 500,
	 .flags = F_SEARCH | F_MULTILINE | F_WIDE | F_LIST},
};

const struct entity entity_team = {
	.name = "team",
	.plural = "teams",
	.label = "Teams",
	.schema = SCHEMA(team_fields),
	.title_field = "name",
	.ui_sort = "name",
	.member_table = "staff_team",
	.member_col = "team_id",
};

static const struct route team_routes[] = {
	ENTITY_ROUTES(entity_team, "teams"),
	{0},
};

static const struct perm_module team_perms[] = {
	{"teams", "Teams", PB_ALL, "team"},
	{0},
};

static const struct entity *const team_entities[] = {&entity_team, NULL};

const struct module module_teams = {
	.name = "teams",
	.perms = team_perms,
	.routes = team_routes,
	.entities = team_entities,
};
