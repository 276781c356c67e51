/* vault_access.c — who may see and use a team password: THE check.
 *
 * Access is separate from the staff permission matrix (the spec:
 * "visibility separate from employees' personal passwords"). The matrix
 * row team_password only opens the vault (view) and lets a member add
 * entries (create); what a member sees inside is decided here, per entry,
 * deny by default:
 *
 *   a grant (vault_access) gives a subject — a role, a department, a team
 *   or one member — a level on one entry: view < use < manage;
 *   a member's level on an entry is the highest grant that reaches them
 *   through their role, their departments, their teams or themselves;
 *   administrators manage every entry; nobody else sees an entry without
 *   a grant (404, as if it did not exist).
 *
 * The rule is one SQL text, GRANTS: the (entry_id, level) rows that reach
 * a member, a UNION ALL of four ranges of the index vault_access_subject
 * (org_id, subject, subject_id, entry_id), each entered from the member's
 * own rows (themselves, their role, staff_department, staff_team): CROSS
 * JOIN keeps SQLite's planner from walking every department's grants
 * instead (PostgreSQL reads it as an inner join and plans by statistics).
 * It is used as it is for a member's list (the entries IN it), for the
 * levels of a page and for one entry's level; nothing else decides.
 *
 * An access list in JSON is [{subject, id, level}], kept in (subject, id)
 * order so that the same grants in another order are no change.
 */
#include "atrium.h"

#include "admin/vault_int.h"
#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/write.h"

/* The grants that reach member ? of organisation ?: rows (entry_id,
 * level). Binds, in order: org, staff, staff, org, staff, org, staff,
 * org (grants_bind). */
#define GRANTS                                                                 \
	"SELECT a.entry_id AS entry_id, a.level AS level FROM vault_access a " \
	"WHERE a.org_id = ? AND a.subject = 'staff' AND a.subject_id = ? "     \
	"UNION ALL SELECT a.entry_id, a.level FROM staff s CROSS JOIN "        \
	"vault_access a WHERE s.id = ? AND s.org_id = ? AND a.org_id = "       \
	"s.org_id AND a.subject = 'role' AND a.subject_id = s.role_id "        \
	"UNION ALL SELECT a.entry_id, a.level FROM staff_department d CROSS "  \
	"JOIN vault_access a WHERE d.staff_id = ? AND a.org_id = ? AND "       \
	"a.subject = 'department' AND a.subject_id = d.department_id "        \
	"UNION ALL SELECT a.entry_id, a.level FROM staff_team t CROSS JOIN "   \
	"vault_access a WHERE t.staff_id = ? AND a.org_id = ? AND a.subject = " \
	"'team' AND a.subject_id = t.team_id"

static void grants_bind(struct db_stmt *st, int *i, int64_t org,
			int64_t staff)
{
	const int64_t v[] = {org, staff, staff, org, staff, org, staff, org};
	for (size_t k = 0; k < ATR_ARRAY_LEN(v); k++)
		db_bind_int(st, (*i)++, v[k]);
}

static const char *const level_names[] = {"", "view", "use", "manage"};

const char *vault_level_name(int level)
{
	return level >= VAULT_VIEW && level <= VAULT_MANAGE ? level_names[level]
							    : "";
}

int vault_level_parse(const char *s)
{
	for (int l = VAULT_VIEW; s && l <= VAULT_MANAGE; l++)
		if (!strcmp(s, level_names[l]))
			return l;
	return VAULT_NONE;
}

/* ---- the check ----------------------------------------------------------------- */

int vault_level_of(struct req *r, int64_t entry_id, int *level)
{
	*level = VAULT_NONE;
	if (r->who.admin) {
		*level = VAULT_MANAGE;
		return 0;
	}
	struct db_stmt *st = db_prepare(
		r->db, "SELECT MAX(g.level) FROM (" GRANTS ") g WHERE "
		       "g.entry_id = ?");
	if (!st)
		return -1;
	int i = 1;
	grants_bind(st, &i, r->who.org_id, r->who.staff_id);
	db_bind_int(st, i, entry_id);
	int rc = db_step(st);
	if (rc == 1 && !db_col_null(st, 0))
		*level = (int)db_col_int(st, 0);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

void vault_scope(struct list_query *q, int64_t org, int64_t staff_id)
{
	list_where(q, "e.id IN (SELECT g.entry_id FROM (" GRANTS ") g)");
	const int64_t v[] = {org,      staff_id, staff_id, org,
			     staff_id, org,      staff_id, org};
	for (size_t k = 0; k < ATR_ARRAY_LEN(v); k++)
		list_int(q, v[k]);
}

/* Ids of one page at most (the list's limit_max). */
#define PAGE_IDS 200
#define IDS_20 "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
#define IDS_200                                                                \
	IDS_20 ", " IDS_20 ", " IDS_20 ", " IDS_20 ", " IDS_20 ", " IDS_20     \
	       ", " IDS_20 ", " IDS_20 ", " IDS_20 ", " IDS_20

int vault_page_levels(struct req *r, struct buf *out, const void *arg)
{
	/* out holds {"data":[row,row...: the rows are the array's items. */
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
	if (!rows || n > PAGE_IDS) {
		json_decref(rows);
		return atr_fail(&r->err, ATR_E_INTERNAL, "unexpected page");
	}
	struct db_stmt *st = db_prepare(
		r->db, "SELECT g.entry_id, MAX(g.level) FROM (" GRANTS ") g "
		       "WHERE g.entry_id IN (" IDS_200 ") GROUP BY g.entry_id");
	if (!st) {
		json_decref(rows);
		return req_db_error(r);
	}
	int i = 1;
	grants_bind(st, &i, r->who.org_id, r->who.staff_id);
	for (size_t k = 0; k < PAGE_IDS; k++)
		db_bind_int(st, i++,
			    k < n ? json_integer_value(json_object_get(
					    json_array_get(rows, k), "id"))
				  : 0);
	int rc;
	while ((rc = db_step(st)) == 1) {
		int64_t id = db_col_int(st, 0);
		for (size_t k = 0; k < n; k++) {
			json_t *row = json_array_get(rows, k);
			if (json_integer_value(json_object_get(row, "id")) == id)
				json_object_set_new(
					row, "level",
					json_string(vault_level_name(
						(int)db_col_int(st, 1))));
		}
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(rows);
		return req_db_error(r);
	}
	buf_reset(out);
	buf_adds(out, head);
	for (size_t k = 0; k < n; k++) {
		char *t = json_dumps(json_array_get(rows, k), JSON_COMPACT);
		if (k)
			buf_addc(out, ',');
		buf_adds(out, t);
		free(t);
	}
	json_decref(rows);
	return 0;
}

/* ---- access lists ---------------------------------------------------------------- */

static const char *const subjects[] = {"department", "role", "staff", "team",
				       NULL};

/* The table of a subject kind. */
static const char *subject_table(const char *kind)
{
	return !strcmp(kind, "department") ? "department"
	       : !strcmp(kind, "role")     ? "role"
	       : !strcmp(kind, "team")     ? "team"
					   : "staff";
}

static bool is_subject(const char *s)
{
	for (const char *const *k = subjects; s && *k; k++)
		if (!strcmp(*k, s))
			return true;
	return false;
}

static int grant_cmp(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "subject")),
		       json_string_value(json_object_get(y, "subject")));
	if (c)
		return c;
	json_int_t i = json_integer_value(json_object_get(x, "id")),
		   j = json_integer_value(json_object_get(y, "id"));
	return i < j ? -1 : i > j;
}

json_t *vault_access_norm(const json_t *list)
{
	size_t n = json_array_size(list);
	json_t **v = xmalloc((n ? n : 1) * sizeof *v);
	for (size_t k = 0; k < n; k++) {
		const json_t *g = json_array_get(list, k);
		json_t *lv = json_object_get(g, "level");
		int l = json_is_integer(lv) ? (int)json_integer_value(lv)
					    : vault_level_parse(
						      json_string_value(lv));
		v[k] = json_pack("{s:s,s:I,s:s}", "subject",
				 json_string_value(json_object_get(g, "subject")),
				 "id", json_integer_value(json_object_get(g, "id")),
				 "level", vault_level_name(l));
	}
	qsort(v, n, sizeof *v, grant_cmp);
	json_t *out = json_array();
	for (size_t k = 0; k < n; k++)
		json_array_append_new(out, v[k]);
	free(v);
	return out;
}

/* 1 when subject kind/id exists in org (a staff member: active too when
 * active), 0 not, -1 error. */
static int subject_exists(struct db_conn *c, int64_t org, const char *kind,
			  int64_t id, bool active)
{
	static const char *const sql[] = {
		"SELECT 1 FROM department WHERE id = ? AND org_id = ?",
		"SELECT 1 FROM role WHERE id = ? AND org_id = ?",
		"SELECT 1 FROM staff WHERE id = ? AND org_id = ?",
		"SELECT 1 FROM team WHERE id = ? AND org_id = ?",
	};
	int k = 0;
	while (strcmp(subjects[k], kind))
		k++;
	struct db_stmt *st = db_prepare(
		c, active ? "SELECT 1 FROM staff WHERE id = ? AND org_id = ? "
			    "AND active = 1"
			  : sql[k]);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

static bool in_list(const json_t *list, const char *kind, int64_t id)
{
	size_t k;
	const json_t *g;
	json_array_foreach(list, k, g)
	{
		const char *s = json_string_value(json_object_get(g, "subject"));
		if (s && !strcmp(s, kind) &&
		    json_integer_value(json_object_get(g, "id")) == id)
			return true;
	}
	return false;
}

void vault_access_check(struct req *r, const json_t *list, const char *field,
			const json_t *current, bool strict)
{
	if (!json_is_array(list)) {
		if (list && !json_is_null(list))
			atr_field(&r->err, field, "type",
				  "must be an array of {subject, id, level}");
		return;
	}
	if (json_array_size(list) > VAULT_ACCESS_MAX) {
		atr_field(&r->err, field, "too_many", "at most %d grants",
			  VAULT_ACCESS_MAX);
		return;
	}
	size_t i;
	const json_t *g;
	json_array_foreach(list, i, g)
	{
		const char *at = arena_printf(r->arena, "%s[%zu]", field, i);
		if (!json_is_object(g)) {
			atr_field(&r->err, at, "type",
				  "must be an object {subject, id, level}");
			continue;
		}
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)g, key, v)
		{
			if (strcmp(key, "subject") && strcmp(key, "id") &&
			    strcmp(key, "level") && strcmp(key, "name"))
				atr_field(&r->err,
					  arena_printf(r->arena, "%s.%s", at,
						       key),
					  "unknown_field", "unknown field");
		}
		const char *kind = json_string_value(json_object_get(g, "subject"));
		const json_t *idv = json_object_get(g, "id");
		const json_t *lv = json_object_get(g, "level");
		bool kind_ok = is_subject(kind);
		if (!kind_ok)
			atr_field(&r->err,
				  arena_printf(r->arena, "%s.subject", at),
				  json_object_get(g, "subject") ? "not_allowed"
								: "required",
				  "must be role, department, team or staff");
		if (!vault_level_parse(json_string_value(lv)))
			atr_field(&r->err,
				  arena_printf(r->arena, "%s.level", at),
				  lv ? "not_allowed" : "required",
				  "must be view, use or manage");
		const char *idf = arena_printf(r->arena, "%s.id", at);
		if (!json_is_integer(idv) || json_integer_value(idv) <= 0) {
			atr_field(&r->err, idf, idv ? "type" : "required",
				  "must be a positive integer id");
			continue;
		}
		if (!kind_ok)
			continue;
		int64_t id = json_integer_value(idv);
		bool twice = false;
		for (size_t k = 0; k < i && !twice; k++) {
			const json_t *o = json_array_get(list, k);
			const char *ok = json_string_value(
				json_object_get(o, "subject"));
			twice = ok && !strcmp(ok, kind) &&
				json_integer_value(json_object_get(o, "id")) ==
					id;
		}
		if (twice) {
			atr_field(&r->err, idf, "invalid",
				  "%s %lld is granted twice", kind,
				  (long long)id);
			continue;
		}
		bool member = !strcmp(kind, "staff");
		/* A member deactivated since they were granted may stay. */
		if (member && strict && in_list(current, kind, id))
			continue;
		if (!req_db(r))
			return;
		int e = subject_exists(r->db, r->who.org_id, kind, id,
				       member && strict);
		if (e < 0) {
			req_db_error(r);
			return;
		}
		if (!e && member)
			atr_field(&r->err, idf, "not_found",
				  "no active member %lld", (long long)id);
		else if (!e)
			atr_field(&r->err, idf, "not_found", "no %s %lld",
				  kind, (long long)id);
	}
}

json_t *vault_access_load(struct db_conn *c, int64_t org, int64_t entry_id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT subject, subject_id, level FROM vault_access WHERE "
		   "entry_id = ? AND org_id = ? ORDER BY subject, subject_id");
	if (!st)
		return NULL;
	db_bind_int(st, 1, entry_id);
	db_bind_int(st, 2, org);
	json_t *out = json_array();
	int rc;
	while ((rc = db_step(st)) == 1)
		json_array_append_new(
			out, json_pack("{s:s,s:I,s:s}", "subject",
				       db_col_text(st, 0), "id",
				       (json_int_t)db_col_int(st, 1), "level",
				       vault_level_name((int)db_col_int(st, 2))));
	db_reset(st);
	if (rc < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

int vault_access_store(struct db_conn *c, int64_t org, int64_t entry_id,
		       const json_t *list)
{
	struct db_stmt *st = db_prepare(
		c, "DELETE FROM vault_access WHERE entry_id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, entry_id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	size_t k;
	const json_t *g;
	json_array_foreach(list, k, g)
	{
		st = db_prepare(c, "INSERT INTO vault_access (org_id, entry_id, "
				   "subject, subject_id, level) VALUES (?, ?, "
				   "?, ?, ?)");
		if (!st)
			return -1;
		db_bind_int(st, 1, org);
		db_bind_int(st, 2, entry_id);
		db_bind_text(st, 3,
			     json_string_value(json_object_get(g, "subject")));
		db_bind_int(st, 4, json_integer_value(json_object_get(g, "id")));
		db_bind_int(st, 5,
			    vault_level_parse(json_string_value(
				    json_object_get(g, "level"))));
		rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	return 0;
}

json_t *vault_access_named(struct req *r, const json_t *list)
{
	json_t *out = json_deep_copy(list);
	for (const char *const *kind = subjects; *kind; kind++) {
		size_t k;
		json_t *g;
		bool any = false;
		json_array_foreach(out, k, g)
		{
			const char *s = json_string_value(
				json_object_get(g, "subject"));
			any = any || (s && !strcmp(s, *kind));
		}
		if (!any)
			continue;
		/* Every row of the kind in the organisation: few (roles,
		 * departments, teams) or bounded by the seats (staff). */
		char *sql = arena_printf(
			r->arena, "SELECT id, name FROM %s WHERE org_id = ?",
			subject_table(*kind));
		struct db_stmt *st = db_prepare(r->db, sql);
		if (!st) {
			json_decref(out);
			return NULL;
		}
		db_bind_int(st, 1, r->who.org_id);
		int rc;
		while ((rc = db_step(st)) == 1) {
			int64_t id = db_col_int(st, 0);
			json_array_foreach(out, k, g)
			{
				const char *s = json_string_value(
					json_object_get(g, "subject"));
				if (s && !strcmp(s, *kind) &&
				    json_integer_value(json_object_get(g, "id")) ==
					    id)
					json_object_set_new(
						g, "name",
						json_string(db_col_text(st, 1)));
			}
		}
		db_reset(st);
		if (rc < 0) {
			json_decref(out);
			return NULL;
		}
	}
	size_t k;
	json_t *g;
	json_array_foreach(out, k, g)
	{
		if (!json_object_get(g, "name"))
			json_object_set_new(g, "name", json_null());
	}
	return out;
}

/* ---- routes ------------------------------------------------------------------- */

/* GET /api/v1/vault/entries/{id}/access: the grants with their names
 * (manage). */
int vault_h_access_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *rec = NULL;
	int rc = vault_entry_need(r, r->id, false, &rec, VAULT_MANAGE);
	if (rc < 0)
		return r->err.kind ? -1 : req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "entry %lld not found",
				(long long)r->id);
	json_t *named = vault_access_named(r, json_object_get(rec, "access"));
	int64_t version = json_integer_value(json_object_get(rec, "version"));
	json_decref(rec);
	if (!named)
		return req_db_error(r);
	req_etag(r, version);
	req_json(r, 200, json_pack("{s:o,s:I}", "data", named, "version",
				   (json_int_t)version));
	return 0;
}

static const struct field access_fields[] = {
	{"access", FT_ITEMS, F_REQUIRED, VAULT_ACCESS_MAX},
};
const struct schema vault_access_schema = SCHEMA(access_fields);

static int access_load(struct req *r, const struct write_op *op,
		       json_t **rec)
{
	return vault_entry_need(r, r->id, true, rec, VAULT_MANAGE);
}

static int access_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	const json_t *list = json_object_get(r->body, "access");
	vault_access_check(r, list, "access", json_object_get(before, "access"),
			   true);
	if (r->err.kind)
		return -1;
	json_t *norm = vault_access_norm(list);
	if (json_equal(norm, json_object_get(before, "access"))) {
		json_decref(norm);
		*after = NULL; /* no change: no version, no log */
		return 1;
	}
	int rc = vault_access_store(r->db, r->who.org_id, r->id, norm);
	json_decref(norm);
	if (rc < 0)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE vault_entry SET version = version + 1, "
		       "updated_at = ?, updated_by = ? WHERE id = ? AND "
		       "org_id = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, r->who.staff_id);
	db_bind_int(st, 3, r->id);
	db_bind_int(st, 4, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	int level;
	return vault_entry_load(r, r->id, false, after, &level);
}

/* PUT /api/v1/vault/entries/{id}/access {access: [...]}: replaces the
 * grants (manage; If-Match). The record answered holds the new list. */
int vault_h_access_put(struct req *r)
{
	struct write_op op = {WRITE_UPDATE, "vault_entry",
			      "/api/v1/vault/entries", false, false,
			      access_load, access_apply, NULL};
	op.diff_edit = vault_entry_diff;
	return write_run(r, &op);
}

/* Appends {id, name} of sql's rows (bound to the organisation) to out. */
static int picker_rows(struct req *r, const char *sql, json_t *out)
{
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	int rc;
	while ((rc = db_step(st)) == 1)
		json_array_append_new(out, json_pack("{s:I,s:s}", "id",
						     (json_int_t)db_col_int(st, 0),
						     "name", db_col_text(st, 1)));
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* GET /api/v1/vault/subjects: what an access list may name, for the
 * access editor's pickers: {roles, departments, teams, staff} of
 * {id, name}, by name (members: the active ones). Whoever opens the
 * vault may read it: names only, as the staff directory gives. */
int vault_h_subjects(struct req *r)
{
	if (!req_db(r))
		return -1;
	if (r->nquery)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"unknown query parameter '%s'",
				r->query[0].key);
	static const struct {
		const char *key, *sql;
	} kinds[] = {
		{"roles", "SELECT id, name FROM role WHERE org_id = ? ORDER BY "
			  "lower(name), id"},
		{"departments", "SELECT id, name FROM department WHERE org_id "
				"= ? ORDER BY lower(name), id"},
		{"teams", "SELECT id, name FROM team WHERE org_id = ? ORDER BY "
			  "lower(name), id"},
		{"staff", "SELECT id, name FROM staff WHERE org_id = ? AND "
			  "active = 1 ORDER BY lower(name), id"},
	};
	json_t *body = json_object();
	for (size_t k = 0; k < ATR_ARRAY_LEN(kinds); k++) {
		json_t *arr = json_array();
		json_object_set_new(body, kinds[k].key, arr);
		if (picker_rows(r, kinds[k].sql, arr) < 0) {
			json_decref(body);
			return req_db_error(r);
		}
	}
	req_json(r, 200, body);
	return 0;
}
