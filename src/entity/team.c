/* team.c — teams: functional groups; a member may be in several. Members
 * are set on the staff record (team_ids). */
#include "atrium.h"

#include "auth/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const struct field team_fields[] = {
	{"name", FT_TEXT, F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT, 100, NULL,
	 NULL},
	{"description", FT_TEXT, F_SEARCH | F_MULTILINE, 500, NULL, NULL},
};

const struct entity entity_team = {
	.name = "team",
	.plural = "teams",
	.label = "Teams",
	.schema = SCHEMA(team_fields),
	.member_table = "staff_team",
	.member_col = "team_id",
};

static const struct route team_routes[] = {
	ENTITY_ROUTES(entity_team, "teams"),
	{0},
};

static const struct perm_module team_perms[] = {
	{"teams", "Teams", PB_ALL},
	{0},
};

static const struct entity *const team_entities[] = {&entity_team, NULL};

const struct module module_teams = {
	.name = "teams",
	.perms = team_perms,
	.routes = team_routes,
	.entities = team_entities,
};
