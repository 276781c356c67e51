/* perm.h (auth) — the permission kernel's data: grants loaded from the
 * database, the access explanation, and who may manage whom. The decision
 * itself and the module registry are http/perm.h (included here).
 *
 * (The kernel as a whole:)
 *
 * Permission modules are the things permissions are about: each module of
 * the binary (core/module.h) declares its rows in its `perms` member
 * (leads, clients, departments, staff, roles, settings, ...); perm_init
 * collects them once at start-up. A new module joins by declaring its
 * row; nothing else changes.
 *
 * Capabilities per module: view (all records), view_own (own records),
 * create, edit, delete.
 *
 * The decision, perm_check(principal, module, cap):
 *   - admin = 1 bypasses every check (the only way to get everything);
 *   - otherwise the role's grants, then the member's own overrides (allow
 *     or deny; an override wins over the role);
 *   - a new role grants nothing.
 * The pipeline calls it for every ACCESS_PERM route before the handler.
 * Record visibility (perm_view_scope) is applied in SQL by the entity code:
 * with view_own only, a record is visible when the member owns it, is
 * assigned to it, or it belongs to one of their departments or teams.
 * Another's record answers 404, never 403, so ids cannot be probed.
 */
#ifndef ATR_PERM_H
#define ATR_PERM_H

#include "atrium.h"

#include <jansson.h>

#include "http/perm.h"

struct db_conn;
struct principal;

/* Loads the effective grants and the view_own scope ids of staff_id, in
 * one query. 0 or -1 (database error). */
int perm_load(struct db_conn *c, int64_t staff_id, struct perm_set *out);
/* The same grants as a bound, not yet stepped statement, for the member a
 * staff id names or the one behind a session or API token hash: read with
 * the credential's own lookup (db_step_all), then perm_grants_read. The
 * connection owns the statement; NULL on a database error. */
enum perm_by { PERM_BY_STAFF, PERM_BY_SESSION, PERM_BY_TOKEN };
struct db_stmt *perm_grants_stmt(struct db_conn *c, enum perm_by by,
				 int64_t staff_id, const char *hash);
/* Fills out from st (its first step returned rc) for staff_id, as
 * perm_load would. st stays for the caller to reset, once (a one-use
 * statement, handed out when the connection's cache is nearly full, is
 * freed by its reset; a second would be a use after free). 0 or -1
 * (database error). */
struct db_stmt;
int perm_grants_read(struct db_stmt *st, int rc, int64_t staff_id,
		     struct perm_set *out);
/* For GET /api/v1/staff/{id}/access: every module and capability with
 * allowed and the reason (admin, role 'X', override allow/deny, not
 * granted). Caller owns the result; NULL on a database error. */
json_t *perm_explain(struct db_conn *c, int64_t staff_id);

/* Where a member's capability comes from, as the decision reads it (the
 * one place: perm_explain and the role audit both ask it). */
enum perm_source {
	PSRC_NONE = 0,  /* not granted (no role grant, no override) */
	PSRC_ADMIN,     /* administrator: every permission */
	PSRC_ROLE,      /* granted by the role */
	PSRC_ALLOW,     /* allowed by an individual override */
	PSRC_DENY,      /* denied by an individual override */
};
struct perm_member;
/* The source of capability bit of module index mod for m (m->role,
 * allow, deny and admin filled): deny wins, then allow, then the role. */
enum perm_source perm_source_of(const struct perm_member *m, int mod,
				unsigned bit);
/* "admin", "role", "override_allow", "override_deny", "none". */
const char *perm_source_name(enum perm_source s);

/* Fills the grants (role, allow, deny, eff) of n members of org, sorted by
 * id ascending with id, admin and role_id already set by the caller, in
 * one query over their id range: the bulk form of perm_member_load, for
 * reports over many members (the role audit) without a query each.
 * 0 or -1 (database error). */
int perm_members_grants(struct db_conn *c, int64_t org, struct perm_member *m,
			int n);

/* ---- who may manage whom ------------------------------------------------
 *
 * The one rule (DESIGN.md, "Rules settled by review") for every route that
 * changes another member's account: email, password (forced reset,
 * invitation link), 2FA, sessions, role, memberships, overrides, active
 * flag, deletion:
 *   - an administrator may act on anyone;
 *   - an administrator's account only by an administrator;
 *   - a non-administrator only on a member whose effective grants are a
 *     subset of their own (they could not gain anything by taking the
 *     account over);
 *   - nobody grants, or lifts a deny on, what they do not hold
 *     (perm_override_errors; roles: perm_may_give_role).
 * Delegation: an administrator may mark which roles the members of a role
 * may hand out (role_delegation). A member may give a role that is
 * delegated to their role even without its grants, and may then manage a
 * member holding that role whose effective grants stay within the role's
 * grants and their own (nothing an administrator added beyond the role).
 * The routes call perm_may_manage; none of them decides on its own. */

/* A member's grants, for the rule above. */
struct perm_member {
	int64_t id, role_id; /* role_id 0: none */
	bool admin, active;
	char name[128];
	uint8_t role[PERM_MODULES_MAX];  /* what the role grants */
	uint8_t allow[PERM_MODULES_MAX]; /* allow overrides */
	uint8_t deny[PERM_MODULES_MAX];  /* deny overrides */
	uint8_t eff[PERM_MODULES_MAX];   /* (role | allow) & ~deny */
};

/* Loads member id of org: 1, 0 absent (or of another org), -1 error. */
int perm_member_load(struct db_conn *c, int64_t org, int64_t id,
		     struct perm_member *m);
/* The rule: 0 when p may change the account of member target_id of p's
 * organisation; -1 with err: 404 when there is no such member, 403 (the
 * reason named) when p may not, 500 on a database error. */
int perm_may_manage(struct db_conn *c, const struct principal *p,
		    int64_t target_id, struct atr_err *err);
/* 1 when p may give role_id (of p's organisation) to a member: p is an
 * administrator, the role's grants are all p's, or p's role delegates it;
 * 0 when not (also for a role of another organisation or none), -1 on a
 * database error. */
int perm_may_give_role(struct db_conn *c, const struct principal *p,
		       int64_t role_id);
/* True when every grant of g is p's (admins hold everything). */
bool perm_holds_all(const struct principal *p, const uint8_t *g);
/* Replacing target's overrides with ov ({module: {cap: effect}}, already
 * well-formed): adds a field error on "overrides.<module>" for each grant
 * the change would give that p does not hold (an allow, or a lifted deny
 * over the role). Returns the number of errors added. */
int perm_override_errors(const struct principal *p,
			 const struct perm_member *target, const json_t *ov,
			 struct atr_err *err);

/* Checks a matrix {"module": ["cap", ...]} and adds field errors named
 * "<field>.<module>". Returns the number of errors added. */
int perm_validate_matrix(const json_t *m, const char *field,
			 struct atr_err *err);

#endif
