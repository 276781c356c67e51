/* perm.c — the permission decision.
 *
 * The platform core's default: administrators may do everything and
 * nobody else anything (deny by default). The access-control issue
 * replaces this decision with roles, per-member overrides and view_own;
 * callers do not change.
 */
#include "atrium.h"

#include "auth/perm.h"
#include "http/http.h"

const char *perm_cap_name(enum perm_cap cap)
{
	switch (cap) {
	case CAP_VIEW:
		return "view";
	case CAP_CREATE:
		return "create";
	case CAP_EDIT:
		return "edit";
	case CAP_DELETE:
		return "delete";
	}
	return "?";
}

enum perm_grant perm_check(const struct principal *p, const char *module,
			   enum perm_cap cap)
{
	if (p->admin)
		return PERM_ALL;
	return PERM_DENY;
}
