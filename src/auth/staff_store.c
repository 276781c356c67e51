/* staff_store.c — staff members in the database: the one loader and shape
 * (struct staff_row) that sign-in, 2FA, sessions and the staff module
 * share, and the writes every module needs (insert, memberships, seats). */
#include "atrium.h"

#include <ctype.h>

#include "auth/org.h"
#include "auth/staff_store.h"
#include "core/settings.h"
#include "db/db.h"

void staff_store_email_norm(const char *email, char *out, size_t n)
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

int staff_store_insert(struct db_conn *c, int64_t org_id, const char *email,
		 const char *name, bool admin, const char *pw_hash,
		 int64_t *id, struct atr_err *err)
{
	char norm[EMAIL_MAX + 1];
	staff_store_email_norm(email, norm, sizeof norm);
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

int64_t staff_store_count(struct db_conn *c)
{
	struct db_stmt *st = db_prepare(c, "SELECT COUNT(*) FROM staff");
	if (!st)
		return -1;
	int64_t n = db_step(st) == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

int staff_store_exists(struct db_conn *c, int64_t org_id, int64_t staff_id)
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

int staff_store_assignable(struct db_conn *c, int64_t org_id, int64_t staff_id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT 1 FROM staff WHERE id = ? AND org_id = ? AND "
		   "active = 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	db_bind_int(st, 2, org_id);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

int staff_store_load(struct db_conn *c, const char *by, const char *key,
		     int64_t id, struct staff_row *s)
{
	struct db_stmt *st = db_prepare(
	    c, !strcmp(by, "email")
		   ? "SELECT id, org_id, admin, active, name, email, "
		     "password_hash, must_change_password, "
		     "password_changed_at FROM staff WHERE email_norm = ? "
		     "AND identity_id IS NULL"
		   : "SELECT id, org_id, admin, active, name, email, "
		     "password_hash, must_change_password, "
		     "password_changed_at FROM staff WHERE id = ?");
	if (!st)
		return -1;
	if (key)
		db_bind_text(st, 1, key);
	else
		db_bind_int(st, 1, id);
	int rc = db_step(st);
	if (rc == 1) {
		s->id = db_col_int(st, 0);
		s->org_id = db_col_int(st, 1);
		s->admin = db_col_int(st, 2) != 0;
		s->active = db_col_int(st, 3) != 0;
		atr_strlcpy(s->name, db_col_text(st, 4), sizeof s->name);
		atr_strlcpy(s->email, db_col_text(st, 5), sizeof s->email);
		const char *h = db_col_text(st, 6);
		atr_strlcpy(s->hash, h ? h : "", sizeof s->hash);
		s->must_change = db_col_int(st, 7) != 0;
		const char *pc = db_col_text(st, 8);
		s->password_changed_ms = pc ? atr_iso_ms(pc) : 0;
	}
	db_reset(st);
	return rc;
}

int staff_store_active_admins(struct db_conn *c, int64_t org)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT COUNT(*) FROM staff WHERE org_id = ? AND admin = 1 "
		   "AND active = 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int rc = db_step(st);
	int n = rc == 1 ? (int)db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

int staff_store_seats_free(struct db_conn *c, int64_t org, struct atr_err *err)
{
	struct org_row o;
	int found = org_load(c, org, &o);
	int64_t active = found == 1 ? org_seats_used(c, org) : -1;
	if (active < 0)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	return org_seats_check(active, o.members_included, o.extra_seats,
			       err);
}

int staff_store_set_members(struct db_conn *c, int64_t staff_id, const char *table,
		      const char *col, const json_t *ids)
{
	char sql[160];
	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE staff_id = ?", table);
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	snprintf(sql, sizeof sql, "INSERT INTO %s (staff_id, %s) VALUES (?, ?)",
		 table, col);
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
	{
		st = db_prepare(c, sql);
		if (!st)
			return -1;
		db_bind_int(st, 1, staff_id);
		db_bind_int(st, 2, (int64_t)json_integer_value(v));
		rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	return 0;
}


int staff_store_lock(struct db_conn *c, int64_t org, int64_t id)
{
	/* SQLite's BEGIN IMMEDIATE already excludes every other writer. */
	if (db_conn_dialect(c) != DB_PG)
		return 0;
	struct db_stmt *st = db_prepare(c, "SELECT id FROM staff WHERE id = ? "
					   "AND org_id = ? FOR UPDATE");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}
