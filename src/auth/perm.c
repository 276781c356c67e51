/* perm.c (auth) — grants from the database, the access explanation, and
 * who may manage whom (auth/perm.h). */
#include "atrium.h"

#include "auth/perm.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"

/* Role bits and override masks of a member, and (when scope is given) the
 * ids of their view_own scope, from one query. */
struct grants {
	uint8_t role[PERM_MODULES_MAX], allow[PERM_MODULES_MAX],
		deny[PERM_MODULES_MAX];
	char role_name[128];
};

static void scope_add(struct scope_ids *s, int64_t id)
{
	for (int i = 0; i < s->n; i++)
		if (s->v[i] == id)
			return;
	if (s->n == SCOPE_IDS_MAX)
		s->overflow = true;
	else
		s->v[s->n++] = id;
}

/* The grants query for the member WHO names (an SQL expression with one
 * `?`, bound five times): a staff id, or the member behind a session or
 * an API token, so that the grants can travel with the credential's own
 * lookup in one round trip (db_step_all). */
#define GRANTS_SQL(WHO)                                                        \
	"SELECT rp.module, rp.cap, 'role', r.name, 0 FROM staff s "            \
	"JOIN role r ON r.id = s.role_id "                                     \
	"JOIN role_permission rp ON rp.role_id = r.id "                        \
	"WHERE s.id = " WHO " "                                                \
	"UNION ALL SELECT module, cap, effect, NULL, 0 "                       \
	"FROM staff_permission WHERE staff_id = " WHO " "                      \
	"UNION ALL SELECT NULL, NULL, 'peer', NULL, p.staff_id "               \
	"FROM staff_department m JOIN staff_department p "                     \
	"ON p.department_id = m.department_id WHERE m.staff_id = " WHO " "     \
	"UNION ALL SELECT NULL, NULL, 'dept', NULL, department_id "            \
	"FROM staff_department WHERE staff_id = " WHO " "                      \
	"UNION ALL SELECT NULL, NULL, 'team', NULL, team_id "                  \
	"FROM staff_team WHERE staff_id = " WHO

static const char *const grants_sql[] = {
    [PERM_BY_STAFF] = GRANTS_SQL("?"),
    [PERM_BY_SESSION] =
	GRANTS_SQL("(SELECT staff_id FROM session WHERE token_hash = ?)"),
    [PERM_BY_TOKEN] =
	GRANTS_SQL("(SELECT staff_id FROM api_token WHERE token_hash = ?)"),
};

struct db_stmt *perm_grants_stmt(struct db_conn *c, enum perm_by by,
				 int64_t staff_id, const char *hash)
{
	struct db_stmt *st = db_prepare(c, grants_sql[by]);
	if (!st)
		return NULL;
	for (int i = 1; i <= 5; i++) {
		if (by == PERM_BY_STAFF)
			db_bind_int(st, i, staff_id);
		else
			db_bind_text(st, i, hash);
	}
	return st;
}

/* Reads the grants from st, whose first step returned rc; the caller
 * resets st (once: a one-use statement is freed by its reset). 0 or -1
 * (database error). */
static int grants_read(struct db_stmt *st, int rc, int64_t staff_id,
		       struct grants *g, struct perm_set *scope)
{
	memset(g, 0, sizeof *g);
	if (scope) {
		scope->peers = scope->depts = scope->teams = (struct scope_ids){0};
		/* A member is always in their own view_own scope. */
		scope_add(&scope->peers, staff_id);
	}
	for (; rc == 1; rc = db_step(st)) {
		const char *kind = db_col_text(st, 2);
		if (kind[0] == 'p' || kind[0] == 't' || !strcmp(kind, "dept")) {
			if (scope)
				scope_add(kind[0] == 'p'   ? &scope->peers
					  : kind[0] == 't' ? &scope->teams
							   : &scope->depts,
					  db_col_int(st, 4));
			continue;
		}
		int m = perm_module_index(db_col_text(st, 0));
		unsigned bit = perm_bit_parse(db_col_text(st, 1));
		if (m < 0 || !bit)
			continue; /* a module this build no longer has */
		if (!strcmp(kind, "role")) {
			g->role[m] |= (uint8_t)bit;
			atr_strlcpy(g->role_name, db_col_text(st, 3),
				    sizeof g->role_name);
		} else if (!strcmp(kind, "allow")) {
			g->allow[m] |= (uint8_t)bit;
		} else {
			g->deny[m] |= (uint8_t)bit;
		}
	}
	return rc < 0 ? -1 : 0;
}

static int load_grants(struct db_conn *c, int64_t staff_id, struct grants *g,
		       struct perm_set *scope)
{
	struct db_stmt *st = perm_grants_stmt(c, PERM_BY_STAFF, staff_id, NULL);
	if (!st)
		return -1;
	int rc = grants_read(st, db_step(st), staff_id, g, scope);
	db_reset(st);
	return rc;
}

static void effective(const struct grants *g, struct perm_set *out)
{
	for (int m = 0; m < PERM_MODULES_MAX; m++)
		out->bits[m] =
		    (uint8_t)((g->role[m] | g->allow[m]) & ~g->deny[m]);
}

int perm_load(struct db_conn *c, int64_t staff_id, struct perm_set *out)
{
	struct grants g;
	if (load_grants(c, staff_id, &g, out) < 0)
		return -1;
	effective(&g, out);
	return 0;
}

int perm_grants_read(struct db_stmt *st, int rc, int64_t staff_id,
		     struct perm_set *out)
{
	struct grants g;
	if (grants_read(st, rc, staff_id, &g, out) < 0)
		return -1;
	effective(&g, out);
	return 0;
}

enum perm_source perm_source_of(const struct perm_member *m, int mod,
				unsigned bit)
{
	if (m->admin)
		return PSRC_ADMIN;
	if (mod < 0 || mod >= PERM_MODULES_MAX)
		return PSRC_NONE;
	if (m->deny[mod] & bit)
		return PSRC_DENY;
	if (m->allow[mod] & bit)
		return PSRC_ALLOW;
	if (m->role[mod] & bit)
		return PSRC_ROLE;
	return PSRC_NONE;
}

const char *perm_source_name(enum perm_source s)
{
	switch (s) {
	case PSRC_ADMIN:
		return "admin";
	case PSRC_ROLE:
		return "role";
	case PSRC_ALLOW:
		return "override_allow";
	case PSRC_DENY:
		return "override_deny";
	case PSRC_NONE:
		break;
	}
	return "none";
}

static int member_cmp(const void *key, const void *elem)
{
	int64_t k = *(const int64_t *)key, id = ((const struct perm_member *)elem)->id;
	return k < id ? -1 : k > id;
}

int perm_members_grants(struct db_conn *c, int64_t org, struct perm_member *m,
			int n)
{
	for (int i = 0; i < n; i++) {
		memset(m[i].role, 0, sizeof m[i].role);
		memset(m[i].allow, 0, sizeof m[i].allow);
		memset(m[i].deny, 0, sizeof m[i].deny);
	}
	if (n == 0)
		return 0;
	/* The same grants as load_grants, for an id range of one org. */
	struct db_stmt *st = db_prepare(
		c, "SELECT s.id, rp.module, rp.cap, 'role' FROM staff s "
		   "JOIN role_permission rp ON rp.role_id = s.role_id "
		   "WHERE s.org_id = ? AND s.id BETWEEN ? AND ? "
		   "UNION ALL SELECT sp.staff_id, sp.module, sp.cap, sp.effect "
		   "FROM staff_permission sp JOIN staff s ON s.id = "
		   "sp.staff_id WHERE s.org_id = ? AND s.id BETWEEN ? AND ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, m[0].id);
	db_bind_int(st, 3, m[n - 1].id);
	db_bind_int(st, 4, org);
	db_bind_int(st, 5, m[0].id);
	db_bind_int(st, 6, m[n - 1].id);
	int rc;
	while ((rc = db_step(st)) == 1) {
		int64_t id = db_col_int(st, 0);
		struct perm_member *x = bsearch(&id, m, (size_t)n, sizeof *m,
						member_cmp);
		int mod = perm_module_index(db_col_text(st, 1));
		unsigned bit = perm_bit_parse(db_col_text(st, 2));
		if (!x || mod < 0 || !bit)
			continue; /* not asked for, or no longer in this build */
		const char *kind = db_col_text(st, 3);
		if (!strcmp(kind, "role"))
			x->role[mod] |= (uint8_t)bit;
		else if (!strcmp(kind, "allow"))
			x->allow[mod] |= (uint8_t)bit;
		else
			x->deny[mod] |= (uint8_t)bit;
	}
	db_reset(st);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < PERM_MODULES_MAX; k++)
			m[i].eff[k] = (uint8_t)((m[i].role[k] | m[i].allow[k]) &
						~m[i].deny[k]);
	return rc < 0 ? -1 : 0;
}

json_t *perm_explain(struct db_conn *c, int64_t staff_id)
{
	struct db_stmt *st =
		db_prepare(c, "SELECT admin, active FROM staff WHERE id = ?");
	if (!st)
		return NULL;
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	bool admin = rc == 1 && db_col_int(st, 0);
	bool active = rc == 1 && db_col_int(st, 1);
	db_reset(st);
	if (rc < 0)
		return NULL;
	struct grants g;
	if (load_grants(c, staff_id, &g, NULL) < 0)
		return NULL;
	struct perm_member pm_ = {.id = staff_id, .admin = admin};
	memcpy(pm_.role, g.role, sizeof pm_.role);
	memcpy(pm_.allow, g.allow, sizeof pm_.allow);
	memcpy(pm_.deny, g.deny, sizeof pm_.deny);
	json_t *mods = json_array();
	int n = perm_module_count();
	for (int m = 0; m < n; m++) {
		const struct perm_module *pm = perm_module_at(m);
		json_t *caps = json_object();
		for (unsigned bit = PB_VIEW; bit <= PB_DELETE; bit <<= 1) {
			if (!(pm->caps & bit))
				continue;
			bool allowed;
			const char *why;
			char buf[192];
			switch (perm_source_of(&pm_, m, bit)) {
			case PSRC_ADMIN:
				allowed = true;
				why = "administrator: every permission";
				break;
			case PSRC_DENY:
				allowed = false;
				why = "denied by an individual override";
				break;
			case PSRC_ALLOW:
				allowed = true;
				why = "allowed by an individual override";
				break;
			case PSRC_ROLE:
				allowed = true;
				snprintf(buf, sizeof buf, "granted by role '%s'",
					 g.role_name);
				why = buf;
				break;
			default:
				allowed = false;
				why = g.role_name[0] ? "not granted by the role"
						     : "no role and no override";
			}
			json_object_set_new(caps, perm_bit_name(bit),
					    json_pack("{s:b,s:s}", "allowed",
						      allowed, "reason", why));
		}
		json_array_append_new(mods,
				      json_pack("{s:s,s:s,s:o}", "module",
						pm->name, "label", pm->label,
						"capabilities", caps));
	}
	return json_pack("{s:I,s:b,s:b,s:o}", "staff_id", (json_int_t)staff_id,
			 "admin", admin, "active", active, "modules", mods);
}

int perm_validate_matrix(const json_t *mx, const char *field,
			 struct atr_err *err)
{
	int before = err->nfields;
	if (!json_is_object(mx)) {
		atr_field(err, field, "type",
			  "must be an object of module: [capabilities]");
		return 1;
	}
	const char *mod;
	json_t *caps;
	json_object_foreach((json_t *)mx, mod, caps)
	{
		char name[64];
		snprintf(name, sizeof name, "%s.%s", field, mod);
		int m = perm_module_index(mod);
		if (m < 0) {
			atr_field(err, name, "not_allowed", "unknown module");
			continue;
		}
		if (!json_is_array(caps)) {
			atr_field(err, name, "type",
				  "must be an array of capabilities");
			continue;
		}
		size_t i;
		json_t *cv;
		json_array_foreach(caps, i, cv)
		{
			unsigned bit = perm_bit_parse(json_string_value(cv));
			if (!bit || !(perm_module_at(m)->caps & bit)) {
				atr_field(err, name, "not_allowed",
					  "'%s' is not a capability of %s",
					  json_is_string(cv)
						  ? json_string_value(cv)
						  : "?",
					  mod);
				break;
			}
		}
	}
	return err->nfields - before;
}

/* ---- who may manage whom ------------------------------------------------ */

int perm_member_load(struct db_conn *c, int64_t org, int64_t id,
		     struct perm_member *m)
{
	memset(m, 0, sizeof *m);
	struct db_stmt *st = db_prepare(
		c, "SELECT admin, active, name, role_id FROM staff "
		   "WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	if (rc == 1) {
		m->id = id;
		m->admin = db_col_int(st, 0) != 0;
		m->active = db_col_int(st, 1) != 0;
		atr_strlcpy(m->name, db_col_text(st, 2), sizeof m->name);
		m->role_id = db_col_null(st, 3) ? 0 : db_col_int(st, 3);
	}
	db_reset(st);
	if (rc != 1)
		return rc;
	struct grants g;
	if (load_grants(c, id, &g, NULL) < 0)
		return -1;
	memcpy(m->role, g.role, sizeof m->role);
	memcpy(m->allow, g.allow, sizeof m->allow);
	memcpy(m->deny, g.deny, sizeof m->deny);
	for (int i = 0; i < PERM_MODULES_MAX; i++)
		m->eff[i] = (uint8_t)((g.role[i] | g.allow[i]) & ~g.deny[i]);
	return 1;
}

bool perm_holds_all(const struct principal *p, const uint8_t *g)
{
	if (p->admin)
		return true;
	for (int i = 0; i < PERM_MODULES_MAX; i++)
		if (g[i] & ~p->perms.bits[i])
			return false;
	return true;
}

/* "leads.delete, settings.edit" for the grants of g that p lacks. */
static void missing_list(const struct principal *p, const uint8_t *g,
			 char *out, size_t n)
{
	size_t o = 0;
	int shown = 0;
	out[0] = 0;
	for (int m = 0; m < perm_module_count() && o + 1 < n; m++) {
		unsigned lack = g[m] & ~p->perms.bits[m];
		for (unsigned bit = PB_VIEW; lack && bit <= PB_DELETE;
		     bit <<= 1) {
			if (!(lack & bit))
				continue;
			if (shown == 4) {
				snprintf(out + o, n - o, ", ...");
				return;
			}
			int w = snprintf(out + o, n - o, "%s%s.%s",
					 shown ? ", " : "", perm_module_at(m)->name,
					 perm_bit_name(bit));
			if (w < 0 || (size_t)w >= n - o)
				return;
			o += (size_t)w;
			shown++;
		}
	}
}

int perm_may_manage(struct db_conn *c, const struct principal *p,
		    int64_t target_id, struct atr_err *err)
{
	struct perm_member t;
	int rc = perm_member_load(c, p->org_id, target_id, &t);
	if (rc < 0)
		return atr_fail(err, ATR_E_INTERNAL, "database error: %s",
				db_errmsg(c));
	if (rc == 0)
		return atr_fail(err, ATR_E_NOT_FOUND,
				"staff member %lld not found",
				(long long)target_id);
	if (p->admin)
		return 0;
	if (t.admin)
		return atr_fail(err, ATR_E_FORBIDDEN,
				"only an administrator may change an "
				"administrator's account");
	if (!perm_holds_all(p, t.eff)) {
		/* A role delegated to the caller's: its members are theirs to
		 * manage, unless they hold more than the role and the caller
		 * together (an administrator's allow override). */
		int d = t.role_id ? perm_may_give_role(c, p, t.role_id) : 0;
		if (d < 0)
			return atr_fail(err, ATR_E_INTERNAL,
					"database error: %s", db_errmsg(c));
		if (d) {
			uint8_t beyond[PERM_MODULES_MAX];
			for (int i = 0; i < PERM_MODULES_MAX; i++)
				beyond[i] = (uint8_t)(t.eff[i] & ~t.role[i]);
			if (perm_holds_all(p, beyond))
				return 0;
		}
		char lack[160];
		missing_list(p, t.eff, lack, sizeof lack);
		return atr_fail(err, ATR_E_FORBIDDEN,
				"you may not change the account of '%s': they "
				"hold permissions you do not have (%s)",
				t.name, lack);
	}
	return 0;
}

int perm_override_errors(const struct principal *p,
			 const struct perm_member *t, const json_t *ov,
			 struct atr_err *err)
{
	if (p->admin)
		return 0;
	uint8_t allow[PERM_MODULES_MAX] = {0}, deny[PERM_MODULES_MAX] = {0};
	const char *mod, *cap;
	json_t *caps, *eff;
	json_object_foreach((json_t *)ov, mod, caps)
	{
		int m = perm_module_index(mod);
		if (m < 0 || !json_is_object(caps))
			continue;
		json_object_foreach(caps, cap, eff)
		{
			const char *e = json_string_value(eff);
			unsigned bit = perm_bit_parse(cap);
			if (!e || !bit)
				continue;
			if (!strcmp(e, "allow"))
				allow[m] |= (uint8_t)bit;
			else if (!strcmp(e, "deny"))
				deny[m] |= (uint8_t)bit;
		}
	}
	int before = err->nfields;
	for (int m = 0; m < perm_module_count(); m++) {
		unsigned after = (t->role[m] | allow[m]) & ~deny[m];
		unsigned lack = after & ~p->perms.bits[m];
		for (unsigned bit = PB_VIEW; lack && bit <= PB_DELETE;
		     bit <<= 1) {
			if (!(lack & bit))
				continue;
			char name[96];
			snprintf(name, sizeof name, "overrides.%s",
				 perm_module_at(m)->name);
			if (allow[m] & bit)
				atr_field(err, name, "not_allowed",
					  "you cannot allow %s on %s: you do "
					  "not have it",
					  perm_bit_name(bit), perm_module_at(m)->name);
			else if (t->deny[m] & bit)
				atr_field(err, name, "not_allowed",
					  "you cannot lift the deny of %s on "
					  "%s: you do not have it",
					  perm_bit_name(bit), perm_module_at(m)->name);
			else
				atr_field(err, name, "not_allowed",
					  "the member would hold %s on %s, "
					  "which you do not have",
					  perm_bit_name(bit), perm_module_at(m)->name);
		}
	}
	return err->nfields - before;
}

/* The grants of role_id of org into g: 1, 0 (no such role there), -1. */
static int role_grants(struct db_conn *c, int64_t org, int64_t role_id,
		       uint8_t g[PERM_MODULES_MAX])
{
	memset(g, 0, PERM_MODULES_MAX);
	struct db_stmt *st =
		db_prepare(c, "SELECT 1 FROM role WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, role_id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	db_reset(st);
	if (rc != 1)
		return rc;
	st = db_prepare(c, "SELECT module, cap FROM role_permission WHERE "
			   "role_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, role_id);
	while ((rc = db_step(st)) == 1) {
		int m = perm_module_index(db_col_text(st, 0));
		if (m >= 0)
			g[m] |= (uint8_t)perm_bit_parse(db_col_text(st, 1));
	}
	db_reset(st);
	return rc < 0 ? -1 : 1;
}

int perm_may_give_role(struct db_conn *c, const struct principal *p,
		       int64_t role_id)
{
	uint8_t g[PERM_MODULES_MAX];
	int rc = role_grants(c, p->org_id, role_id, g);
	if (rc <= 0)
		return rc;
	if (perm_holds_all(p, g))
		return 1;
	/* Delegated to the caller's own role by an administrator. */
	struct db_stmt *st = db_prepare(
		c, "SELECT 1 FROM staff s JOIN role_delegation d ON "
		   "d.role_id = s.role_id WHERE s.id = ? AND "
		   "d.grantable_role_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, p->staff_id);
	db_bind_int(st, 2, role_id);
	rc = db_step(st);
	db_reset(st);
	return rc;
}
