/* staff.c — staff store and GET /api/v1/staff. */
#include "atrium.h"

#include <ctype.h>

#include "admin/staff.h"
#include "db/db.h"
#include "http/http.h"

void staff_email_norm(const char *email, char *out, size_t n)
{
	while (isspace((unsigned char)*email))
		email++;
	size_t i = 0;
	for (; email[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)email[i]);
	while (i && isspace((unsigned char)out[i - 1]))
		i--;
	out[i] = 0;
}

int staff_insert(struct db_conn *c, int64_t org_id, const char *email,
		 const char *name, bool admin, const char *pw_hash,
		 int64_t *id, struct atr_err *err)
{
	char norm[EMAIL_MAX + 1];
	staff_email_norm(email, norm, sizeof norm);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO staff (org_id, email, email_norm, name, "
		   "password_hash, admin, active, created_at, updated_at) "
		   "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING id");
	if (!st)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	db_bind_int(st, 1, org_id);
	db_bind_text(st, 2, email);
	db_bind_text(st, 3, norm);
	db_bind_text(st, 4, name);
	db_bind_text(st, 5, pw_hash);
	db_bind_int(st, 6, admin);
	db_bind_text(st, 7, now);
	db_bind_text(st, 8, now);
	int rc = db_step(st);
	if (rc == 1)
		*id = db_col_int(st, 0);
	db_reset(st);
	if (rc == 1)
		return 0;
	if (db_err_unique(c)) {
		atr_field(err, "email", "taken",
			  "a staff member with this email exists");
		return -1;
	}
	return atr_fail(err, ATR_E_INTERNAL, "cannot add staff: %s",
			db_errmsg(c));
}

int64_t staff_count(struct db_conn *c)
{
	struct db_stmt *st = db_prepare(c, "SELECT COUNT(*) FROM staff");
	if (!st)
		return -1;
	int64_t n = db_step(st) == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

int staff_exists(struct db_conn *c, int64_t org_id, int64_t staff_id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT 1 FROM staff WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	db_bind_int(st, 2, org_id);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

#define STAFF_PAGE_MAX 200

static int staff_h_list(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t limit = 50, offset = 0;
	for (int i = 0; i < r->nquery; i++) {
		const struct qparam *q = &r->query[i];
		int64_t *dst = !strcmp(q->key, "limit")	 ? &limit
			       : !strcmp(q->key, "offset") ? &offset
							   : NULL;
		if (!dst)
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"unknown query parameter '%s'", q->key);
		if (atr_parse_i64(q->value, dst) < 0 || *dst < 0 ||
		    (dst == &limit && (*dst < 1 || *dst > STAFF_PAGE_MAX)))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"%s must be an integer%s", q->key,
					dst == &limit ? " in 1..200" : " >= 0");
	}
	struct db_stmt *st = db_prepare(
		c, "SELECT id, email, name, admin, active, last_login_at, "
		   "COUNT(*) OVER () FROM staff WHERE org_id = ? "
		   "ORDER BY name, id LIMIT ? OFFSET ?");
	if (!st)
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, limit);
	db_bind_int(st, 3, offset);
	json_t *data = json_array();
	int64_t total = 0;
	int rc;
	while ((rc = db_step(st)) == 1) {
		const char *ll = db_col_text(st, 5);
		json_array_append_new(
			data,
			json_pack("{s:I,s:s,s:s,s:b,s:b,s:o}", "id",
				  (json_int_t)db_col_int(st, 0), "email",
				  db_col_text(st, 1), "name",
				  db_col_text(st, 2), "admin",
				  (int)db_col_int(st, 3), "active",
				  (int)db_col_int(st, 4), "last_login",
				  ll ? json_string(ll) : json_null()));
		total = db_col_int(st, 6);
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(data);
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	}
	if (total == 0 && offset > 0) {
		/* Past the end: COUNT(*) OVER () saw no rows; count again. */
		st = db_prepare(c,
				"SELECT COUNT(*) FROM staff WHERE org_id = ?");
		if (st) {
			db_bind_int(st, 1, r->who.org_id);
			if (db_step(st) == 1)
				total = db_col_int(st, 0);
			db_reset(st);
		}
	}
	req_json(r, 200,
		 json_pack("{s:o,s:I,s:I,s:I}", "data", data, "total",
			   (json_int_t)total, "limit", (json_int_t)limit,
			   "offset", (json_int_t)offset));
	return 0;
}

const struct route staff_routes[] = {
	{HTTP_GET, "/api/v1/staff", staff_h_list, ACCESS_PERM, "staff",
	 CAP_VIEW, NULL, NULL},
	{0},
};
