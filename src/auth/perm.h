/* perm.h — the permission kernel: one decision for every route and record.
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

/* What a route needs. */
enum perm_cap {
	CAP_VIEW = 1, /* view or view_own (records then filtered) */
	CAP_CREATE,
	CAP_EDIT,
	CAP_DELETE,
};

/* Stored grants, one bit each. */
enum perm_bit {
	PB_VIEW = 1 << 0,
	PB_VIEW_OWN = 1 << 1,
	PB_CREATE = 1 << 2,
	PB_EDIT = 1 << 3,
	PB_DELETE = 1 << 4,
};
#define PB_ALL (PB_VIEW | PB_VIEW_OWN | PB_CREATE | PB_EDIT | PB_DELETE)
#define PERM_MODULES_MAX 48

enum perm_grant {
	PERM_DENY = 0,
	PERM_OWN, /* only own records */
	PERM_ALL,
};

struct perm_module {
	const char *name;  /* "leads" */
	const char *label; /* "Leads" */
	unsigned caps;     /* the PB_* bits that make sense for it */
	/* The `entity` its activity-log rows carry ("lead"), or NULL: rows
	 * about it are visible to whoever may view it (activity scope). */
	const char *log_entity;
};

/* Ids that make records a member's own under view_own, loaded with the
 * grants so that a list needs no query of its own to scope itself. Past
 * SCOPE_IDS_MAX the list falls back to the subquery predicate. */
#define SCOPE_IDS_MAX 32
struct scope_ids {
	int64_t v[SCOPE_IDS_MAX];
	int n;
	bool overflow;
};

/* A member's effective grants (role, then overrides), one byte a module,
 * and their view_own scope: themselves and their department colleagues
 * (peers), their departments and their teams. */
struct perm_set {
	uint8_t bits[PERM_MODULES_MAX];
	struct scope_ids peers, depts, teams;
};

struct principal;
struct db_conn;
struct module;

/* Collects the permission rows of every module (NULL-terminated table);
 * dies on a duplicate. Once, before any other call. */
void perm_init(const struct module *const *mods);
int perm_module_count(void);
const struct perm_module *perm_module_at(int i);
/* Index of the module, or -1. */
int perm_module_index(const char *name);
const char *perm_cap_name(enum perm_cap cap);
/* "view_own" -> PB_VIEW_OWN; 0 when unknown. */
unsigned perm_bit_parse(const char *s);
const char *perm_bit_name(unsigned bit);

/* Loads the effective grants and the view_own scope ids of staff_id, in
 * one query. 0 or -1 (database error). */
int perm_load(struct db_conn *c, int64_t staff_id, struct perm_set *out);
enum perm_grant perm_check(const struct principal *p, const char *module,
			   enum perm_cap cap);
/* Which records of module the principal may see at all. */
enum perm_grant perm_view_scope(const struct principal *p,
				const char *module);
/* For GET /api/v1/staff/{id}/access: every module and capability with
 * allowed and the reason (admin, role 'X', override allow/deny, not
 * granted). Caller owns the result; NULL on a database error. */
json_t *perm_explain(struct db_conn *c, int64_t staff_id);

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
