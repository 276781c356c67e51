/* security_audit.c — the role audit (security.h).
 *
 * GET /api/v1/security/role-audit          active members, a page at a
 *     time (the list engine: staff_id=, role_id=, admin=, q=, sort,
 *     cursor), each with every permission module (or module=NAME only)
 *     and, per capability, whether they hold it and where it comes from;
 *     after the page, the roles with the grants beyond their template
 * GET /api/v1/security/role-audit/export   the same selection as CSV, one
 *     line per member and module
 *
 * Nothing here decides access: the grants come from the permission
 * kernel's loader (perm_members_grants, auth/perm.c: role, then allow and
 * deny overrides), the decision from perm_check / perm_view_scope
 * (http/perm.c) on a principal holding them, and the source from
 * perm_source_of. So the report says what the pipeline would answer.
 *
 * "More than the template": a role remembers the spec template it was made
 * from (role.template); it exceeds it when it grants a capability on a
 * module the template does not grant there (view_own is within a
 * template's view of the same module); sec_excess_bits. A role made from
 * no template is not compared (template null, exceeds false).
 */
#include "atrium.h"

#include "admin/role.h"
#include "admin/security.h"
#include "auth/perm.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"

#define AUDIT_PAGE_MAX 100     /* members a page */
#define AUDIT_EXPORT_MAX 2000  /* members in one CSV export (a line per
				 * module each: about 100,000 lines) */

json_t *sec_roles_beyond(struct db_conn *c, int64_t org, int64_t *nexceed)
{
	if (nexceed)
		*nexceed = 0;
	struct db_stmt *st = db_prepare(
		c, "SELECT r.id, r.name, r.template, rp.module, rp.cap FROM "
		   "role r LEFT JOIN role_permission rp ON rp.role_id = r.id "
		   "WHERE r.org_id = ? ORDER BY lower(r.name), r.id");
	if (!st)
		return NULL;
	db_bind_int(st, 1, org);
	json_t *out = json_array();
	int64_t cur = 0;
	int tpl = -1;
	uint8_t bits[PERM_MODULES_MAX];
	json_t *role = NULL;
	int rc;
	for (;;) {
		/* A new role (or the end) closes the one being read: its
		 * excess, when it has a template. */
		rc = db_step(st);
		int64_t id = rc == 1 ? db_col_int(st, 0) : -1;
		if (role && id != cur) {
			json_t *ex = json_array();
			for (int m = 0; tpl >= 0 && m < perm_module_count(); m++) {
				unsigned e = sec_excess_bits(
					bits[m], role_template_bits(tpl, m));
				for (unsigned b = PB_VIEW; e && b <= PB_DELETE;
				     b <<= 1)
					if (e & b)
						json_array_append_new(
							ex,
							json_sprintf(
								"%s.%s",
								perm_module_at(m)->name,
								perm_bit_name(b)));
			}
			bool over = json_array_size(ex) > 0;
			json_object_set_new(role, "exceeds", json_boolean(over));
			json_object_set_new(role, "excess", ex);
			if (over && nexceed)
				(*nexceed)++;
			json_array_append_new(out, role);
			role = NULL;
		}
		if (rc != 1)
			break;
		if (!role) {
			cur = id;
			const char *t = db_col_text(st, 2);
			tpl = role_template_find(t);
			memset(bits, 0, sizeof bits);
			role = json_pack("{s:I,s:s,s:o}", "id", (json_int_t)id,
					 "name", db_col_text(st, 1), "template",
					 t ? json_string(t) : json_null());
		}
		int m = perm_module_index(db_col_text(st, 3));
		if (m >= 0)
			bits[m] |= (uint8_t)perm_bit_parse(db_col_text(st, 4));
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* ---- one member's access ------------------------------------------------------ */

/* {view: {allowed, source}, ...} for module index mod, from the kernel. */
static json_t *caps_json(const struct perm_member *m, int mod)
{
	const struct perm_module *pm = perm_module_at(mod);
	struct principal p = {.admin = m->admin};
	memcpy(p.perms.bits, m->eff, sizeof p.perms.bits);
	json_t *caps = json_object();
	for (unsigned bit = PB_VIEW; bit <= PB_DELETE; bit <<= 1) {
		if (!(pm->caps & bit))
			continue;
		bool allowed;
		enum perm_source src = perm_source_of(m, mod, bit);
		switch (bit) {
		case PB_VIEW:
			allowed = perm_view_scope(&p, pm->name) == PERM_ALL;
			break;
		case PB_VIEW_OWN:
			/* Sees at least their own records: by view_own, or by
			 * view (which the source then names). */
			allowed = perm_view_scope(&p, pm->name) != PERM_DENY;
			if (allowed && src != PSRC_ROLE && src != PSRC_ALLOW &&
			    src != PSRC_ADMIN)
				src = perm_source_of(m, mod, PB_VIEW);
			break;
		case PB_CREATE:
			allowed = perm_check(&p, pm->name, CAP_CREATE) != PERM_DENY;
			break;
		case PB_EDIT:
			allowed = perm_check(&p, pm->name, CAP_EDIT) != PERM_DENY;
			break;
		default:
			allowed = perm_check(&p, pm->name, CAP_DELETE) != PERM_DENY;
		}
		json_object_set_new(caps, perm_bit_name(bit),
				    json_pack("{s:b,s:s}", "allowed", allowed,
					      "source", perm_source_name(src)));
	}
	return caps;
}

/* ---- the list -------------------------------------------------------------------- */

struct audit_ctx {
	int module; /* module=NAME: its index; -1 every module */
};

static void audit_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	(void)arg;
	json_t *role = json_null();
	if (!db_col_null(st, 4)) {
		const char *tpl = db_col_text(st, 6);
		role = json_pack("{s:I,s:s,s:o}", "id",
				 (json_int_t)db_col_int(st, 4), "name",
				 db_col_text(st, 5), "template",
				 tpl ? json_string(tpl) : json_null());
	}
	json_t *o = json_pack("{s:I,s:s,s:s,s:b,s:o}", "id",
			      (json_int_t)db_col_int(st, 0), "name",
			      db_col_text(st, 1), "email", db_col_text(st, 2),
			      "admin", (int)db_col_int(st, 3), "role", role);
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct perm_member *)a)->id,
		y = ((const struct perm_member *)b)->id;
	return x < y ? -1 : x > y;
}

/* Adds "access" to each member of the page: their grants in one query. */
static int audit_rows_done(struct req *r, struct buf *out, const void *arg)
{
	const struct audit_ctx *x = arg;
	static const char head[] = "{\"data\":[";
	if (strncmp(out->p, head, sizeof head - 1))
		return atr_fail(&r->err, ATR_E_INTERNAL, "unexpected page");
	struct buf arr = BUF_INIT;
	buf_addc(&arr, '[');
	buf_adds(&arr, out->p + sizeof head - 1);
	buf_addc(&arr, ']');
	json_t *rows = json_loads(buf_str(&arr), 0, NULL);
	buf_free(&arr);
	size_t n = json_array_size(rows);
	if (!rows || n > AUDIT_PAGE_MAX) {
		json_decref(rows);
		return atr_fail(&r->err, ATR_E_INTERNAL, "unexpected page");
	}
	struct perm_member *m = xcalloc(n ? n : 1, sizeof *m);
	for (size_t k = 0; k < n; k++) {
		json_t *row = json_array_get(rows, k);
		m[k].id = json_integer_value(json_object_get(row, "id"));
		m[k].admin = json_is_true(json_object_get(row, "admin"));
	}
	qsort(m, n, sizeof *m, id_cmp);
	if (perm_members_grants(r->db, r->who.org_id, m, (int)n) < 0) {
		free(m);
		json_decref(rows);
		return req_db_error(r);
	}
	buf_reset(out);
	buf_adds(out, head);
	for (size_t k = 0; k < n; k++) {
		json_t *row = json_array_get(rows, k);
		int64_t id = json_integer_value(json_object_get(row, "id"));
		struct perm_member *pm = NULL;
		for (size_t j = 0; j < n && !pm; j++)
			if (m[j].id == id)
				pm = &m[j];
		json_t *access = json_array();
		for (int mod = 0; pm && mod < perm_module_count(); mod++) {
			if (x->module >= 0 && mod != x->module)
				continue;
			const struct perm_module *d = perm_module_at(mod);
			json_array_append_new(
				access, json_pack("{s:s,s:s,s:o}", "module",
						  d->name, "label", d->label,
						  "capabilities",
						  caps_json(pm, mod)));
		}
		json_object_set_new(row, "access", access);
		char *t = json_dumps(row, JSON_COMPACT);
		if (k)
			buf_addc(out, ',');
		buf_adds(out, t);
		free(t);
	}
	free(m);
	json_decref(rows);
	return 0;
}

/* After the page: the roles against their templates, and the modules. */
static int audit_extra(struct req *r, struct buf *out, const void *arg)
{
	(void)arg;
	int64_t nexceed = 0;
	json_t *roles = sec_roles_beyond(r->db, r->who.org_id, &nexceed);
	if (!roles)
		return req_db_error(r);
	char *t = json_dumps(roles, JSON_COMPACT);
	buf_printf(out, ",\"roles\":%s,\"roles_exceeding\":%lld", t,
		   (long long)nexceed);
	free(t);
	json_decref(roles);
	return 0;
}

static int audit_scope(struct req *r, struct list_query *q, const void *arg)
{
	(void)r;
	(void)arg;
	list_where(q, "s.active = 1");
	return 0;
}

static int audit_param(struct req *r, struct list_query *q, const char *key,
		       const char *op, const char *value, const void *arg)
{
	(void)q;
	struct audit_ctx *x = (struct audit_ctx *)arg;
	if (strcmp(key, "module"))
		return 0;
	int m = op ? -1 : perm_module_index(value);
	if (m < 0)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"module must be the name of a permission "
				"module (GET /api/v1/permissions/modules)");
	x->module = m;
	return 1;
}

static const struct field f_staff = {.name = "staff_id", .type = FT_INT};
static const struct field f_role = {.name = "role_id", .type = FT_INT};
static const struct field f_admin = {.name = "admin", .type = FT_BOOL};
static const struct field f_name = {.name = "name", .type = FT_TEXT};
static const struct list_col audit_cols[] = {
	{&f_staff, "s.id", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_role, "s.role_id", LIST_FILTER},
	{&f_admin, "s.admin", LIST_FILTER | LIST_NOTNULL},
	{&f_name, "s.name", LIST_SORT | LIST_NOTNULL},
};
static const char *const audit_search[] = {"s.name", "s.email_norm", NULL};
static const struct list_spec audit_spec = {
	.from = "staff s LEFT JOIN role r ON r.id = s.role_id",
	.cols = "s.id, s.name, s.email, s.admin, s.role_id, r.name, "
		"r.template",
	.id = "s.id",
	.org = "s.org_id",
	.columns = audit_cols,
	.ncolumns = (int)ATR_ARRAY_LEN(audit_cols),
	.sort_default = "staff_id",
	.limit_default = 25,
	.limit_max = AUDIT_PAGE_MAX,
	.search = audit_search,
	.count_default = true,
	.row = audit_row,
	.scope = audit_scope,
	.param = audit_param,
	.rows_done = audit_rows_done,
};

static int audit_h_list(struct req *r)
{
	struct audit_ctx x = {.module = -1};
	struct list_spec s = audit_spec;
	s.arg = &x;
	s.extra = audit_extra;
	return list_run(r, &s);
}

/* ---- CSV --------------------------------------------------------------------------- */

/* One CSV field (RFC 4180), formulas neutralised with a leading '. */
static void csv_field(struct buf *b, const char *s)
{
	if (!s)
		return;
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		buf_addc(b, '"');
	if (*s && strchr("=+-@", *s))
		buf_addc(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			buf_addc(b, '"');
		buf_addc(b, *p);
	}
	if (quote)
		buf_addc(b, '"');
}

/* A capability's cell: its source when held ("role", "override_allow",
 * "admin"), "denied" (an override) or "no" when not, empty when the
 * module has no such capability. */
static const char *cap_cell(const json_t *caps, const char *cap)
{
	json_t *c = json_object_get(caps, cap);
	if (!c)
		return "";
	if (json_is_true(json_object_get(c, "allowed")))
		return json_string_value(json_object_get(c, "source"));
	return !strcmp(json_string_value(json_object_get(c, "source")),
		       "override_deny")
		       ? "denied"
		       : "no";
}

static void csv_member(struct buf *out, const json_t *e)
{
	char id[24];
	snprintf(id, sizeof id, "%lld",
		 (long long)json_integer_value(json_object_get(e, "id")));
	json_t *role = json_object_get(e, "role");
	static const char *const caps[] = {"view", "view_own", "create", "edit",
					   "delete"};
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(e, "access"), i, a)
	{
		const char *cells[] = {
			id,
			json_string_value(json_object_get(e, "name")),
			json_string_value(json_object_get(e, "email")),
			json_is_true(json_object_get(e, "admin")) ? "yes" : "no",
			json_string_value(json_object_get(role, "name")),
			json_string_value(json_object_get(role, "template")),
			json_string_value(json_object_get(a, "module")),
		};
		for (size_t k = 0; k < ATR_ARRAY_LEN(cells); k++) {
			if (k)
				buf_addc(out, ',');
			csv_field(out, cells[k]);
		}
		json_t *c = json_object_get(a, "capabilities");
		for (size_t k = 0; k < ATR_ARRAY_LEN(caps); k++) {
			buf_addc(out, ',');
			csv_field(out, cap_cell(c, caps[k]));
		}
		buf_adds(out, "\r\n");
	}
}

/* The list's selection page by page through the engine (its cursor), at
 * most AUDIT_EXPORT_MAX members. */
static int audit_h_export(struct req *r)
{
	int nq = r->nquery;
	for (int i = 0; i < nq; i++)
		if (!strcmp(r->query[i].key, "limit") ||
		    !strcmp(r->query[i].key, "cursor") ||
		    !strcmp(r->query[i].key, "offset") ||
		    !strcmp(r->query[i].key, "count"))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"the export takes filters only (no "
					"%s)",
					r->query[i].key);
	if (nq + 2 > QUERY_MAX)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"too many query parameters");
	struct audit_ctx x = {.module = -1};
	struct list_spec s = audit_spec;
	s.arg = &x;
	s.count_default = false;
	r->query[r->nquery++] = (struct qparam){"limit", "100"};
	struct buf out = BUF_INIT;
	buf_adds(&out, "staff_id,name,email,admin,role,role_template,module,"
		       "view,view_own,create,edit,delete\r\n");
	int members = 0;
	const char *cursor = NULL;
	for (;;) {
		r->nquery = nq + 1;
		if (cursor)
			r->query[r->nquery++] =
				(struct qparam){"cursor", cursor};
		if (list_run(r, &s) < 0) {
			buf_free(&out);
			return -1;
		}
		json_t *page = json_loadb(r->raw_owned, r->raw_len, 0, NULL);
		free(r->raw_owned);
		r->raw_owned = NULL;
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(page, "data"), i, e)
		{
			csv_member(&out, e);
			members++;
		}
		const char *next = json_string_value(
			json_object_get(page, "next_cursor"));
		cursor = next && members < AUDIT_EXPORT_MAX
				 ? arena_strdup(r->arena, next)
				 : NULL;
		json_decref(page);
		if (!cursor)
			break;
	}
	r->raw_len = out.len;
	r->raw_owned = buf_detach(&out);
	r->raw = r->raw_owned;
	r->ctype = "text/csv; charset=utf-8";
	req_add_header(r, "Content-Disposition",
		       "attachment; filename=\"role-audit.csv\"");
	r->status = 200;
	return 0;
}

static const struct route audit_routes[] = {
	{HTTP_GET, "/api/v1/security/role-audit", audit_h_list, ACCESS_PERM,
	 "security_checklist", CAP_VIEW},
	{HTTP_GET, "/api/v1/security/role-audit/export", audit_h_export,
	 ACCESS_PERM, "security_checklist", CAP_VIEW},
	{0},
};

/* A module of its own so each file keeps its route array; its permission
 * row is module_security's. */
const struct module module_role_audit = {
	.name = "role_audit",
	.routes = audit_routes,
};
