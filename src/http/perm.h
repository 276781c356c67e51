/* perm.h (http) — the permission kernel: one decision for every route and
 * record.
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
 *
 * This half is the decision and the registry, which the pipeline runs
 * for every request; loading a member's grants from the database and the
 * rules of who may manage whom are auth/perm.h.
 */
#ifndef ATR_HTTP_PERM_H
#define ATR_HTTP_PERM_H

#include "atrium.h"

/* What a route needs. */
enum perm_cap {
	CAP_VIEW = 1, /* view or view_own (records then filtered) */
	CAP_CREATE,
	CAP_EDIT,
	CAP_DELETE,
};

/* Stored grants, one bit each, in this order (loops run PB_VIEW ..
 * PB_DELETE by shifting). */
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
	/* More entities whose activity rows are about this module's records
	 * and follow its view (a currency's exchange rates), NULL-terminated;
	 * NULL: none. Their rows are shown with view, never with view_own. */
	const char *const *log_also;
	/* PERM_PARENT_SCOPE: the module's records are business data that a
	 * business's member acting in one of its merchants may reach, as far
	 * as their role's parent-scope grants (module "merchants") allow:
	 * perm_parent_scope. 0: never reached that way (administration). */
	unsigned flags;
};
#define PERM_PARENT_SCOPE 1u

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

/* The grants of a session acting in a merchant of the member's business
 * (ACT_PARENT): from the member's own grants (every grant for an
 * administrator, who stops being one there), each PERM_PARENT_SCOPE
 * module keeps what the "merchants" grants allow (view: view and
 * view_own; create; edit; never delete), every other module nothing. */
void perm_parent_scope(struct principal *p);

enum perm_grant perm_check(const struct principal *p, const char *module,
			   enum perm_cap cap);
/* Which records of module the principal may see at all. */
enum perm_grant perm_view_scope(const struct principal *p,
				const char *module);
#endif
