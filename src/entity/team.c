/* team.c — teams: functional groups; a member may be in several. Members
 * are set on the staff record (team_ids). */
#include "atrium.h"

#include "entity/entity.h"

static const struct field team_fields[] = {
	{"name", FT_TEXT, F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT, 100, NULL,
	 NULL},
	{"description", FT_TEXT, F_SEARCH, 500, NULL, NULL},
};

const struct entity entity_team = {
	.name = "team",
	.plural = "teams",
	.label = "Teams",
	.path_list = "/api/v1/teams",
	.path_item = "/api/v1/teams/{id}",
	.schema = SCHEMA(team_fields),
	.member_table = "staff_team",
	.member_col = "team_id",
};
