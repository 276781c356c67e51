/* perm.h — the permission kernel: one decision for every route and record.
 *
 * The pipeline calls perm_check for every ACCESS_PERM route before the
 * handler runs. Entity queries call perm_scope_sql to restrict rows to what
 * the principal may see, in SQL (never a filter after the fetch).
 *
 * Today's decision (the platform-core issue): admins may do everything,
 * everybody else nothing. The access-control issue replaces the body of
 * perm_check and perm_scope_sql (roles, overrides, view_own) and nothing
 * else.
 */
#ifndef ATR_PERM_H
#define ATR_PERM_H

#include "atrium.h"

enum perm_cap {
	CAP_VIEW = 1, /* route needs view or view_own */
	CAP_CREATE,
	CAP_EDIT,
	CAP_DELETE,
};

enum perm_grant {
	PERM_DENY = 0,
	PERM_OWN, /* only own records (view_own) */
	PERM_ALL,
};

struct principal;

const char *perm_cap_name(enum perm_cap cap);
enum perm_grant perm_check(const struct principal *p, const char *module,
			   enum perm_cap cap);

#endif
