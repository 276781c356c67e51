/* membership.c — a person's memberships of organisations: where a sign-in
 * lands, the list the switcher shows, the home row of a linked one. */
#include "atrium.h"

#include "auth/membership.h"
#include "db/db.h"

/* One membership row id chosen by sql (one int parameter twice), then
 * loaded. 1, 0, -1. */
static int pick(struct db_conn *c, const char *sql, int64_t a, int64_t b,
		int64_t d, struct staff_row *m)
{
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, a);
	db_bind_int(st, 2, b);
	if (d)
		db_bind_int(st, 3, d);
	int rc = db_step(st);
	int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc <= 0)
		return rc;
	return staff_store_load(c, "id", NULL, id, m);
}

int membership_land(struct db_conn *c, int64_t person_id, struct staff_row *m)
{
	/* last_login_at is written on the membership a session starts in
	 * (sign-in and switch): the latest is where the person was. */
	return pick(c,
		    "SELECT m.id FROM staff m JOIN org o ON o.id = m.org_id "
		    "WHERE (m.id = ? OR m.identity_id = ?) AND m.active = 1 "
		    "ORDER BY o.status <> 'active', m.last_login_at IS NULL, "
		    "m.last_login_at DESC, m.identity_id IS NOT NULL, m.id "
		    "LIMIT 1",
		    person_id, person_id, 0, m);
}

int membership_in(struct db_conn *c, int64_t person_id, int64_t org,
		  struct staff_row *m)
{
	return pick(c,
		    "SELECT id FROM staff WHERE (id = ? OR identity_id = ?) "
		    "AND active = 1 AND org_id = ?",
		    person_id, person_id, org, m);
}

json_t *membership_list(struct db_conn *c, int64_t person_id,
			int64_t current_staff)
{
	struct db_stmt *st = db_prepare(
	    c, "SELECT o.id, o.name, o.kind, o.status, m.id, "
	       "m.identity_id IS NULL FROM staff m JOIN org o ON o.id = "
	       "m.org_id WHERE (m.id = ? OR m.identity_id = ?) AND "
	       "m.active = 1 ORDER BY o.name, o.id");
	if (!st)
		return NULL;
	db_bind_int(st, 1, person_id);
	db_bind_int(st, 2, person_id);
	json_t *a = json_array();
	int rc;
	while ((rc = db_step(st)) == 1)
		json_array_append_new(
		    a, json_pack("{s:I,s:s,s:s,s:s,s:b,s:b}", "org_id",
				 (json_int_t)db_col_int(st, 0), "name",
				 db_col_text(st, 1), "kind", db_col_text(st, 2),
				 "status", db_col_text(st, 3), "current",
				 db_col_int(st, 4) == current_staff, "home",
				 db_col_int(st, 5) != 0));
	db_reset(st);
	if (rc < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static int home_of(struct db_conn *c, int64_t staff_id, int64_t *home_id,
		   int64_t *home_org)
{
	struct db_stmt *st = db_prepare(
	    c, "SELECT h.id, h.org_id FROM staff s JOIN staff h ON h.id = "
	       "s.identity_id WHERE s.id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	if (rc == 1) {
		*home_id = db_col_int(st, 0);
		*home_org = db_col_int(st, 1);
	}
	db_reset(st);
	return rc;
}

static int sync_rows(struct db_conn *c, int64_t person_id)
{
	struct db_stmt *st = db_prepare(
	    c, "UPDATE staff SET name = (SELECT h.name FROM staff h WHERE "
	       "h.id = staff.identity_id), email = (SELECT h.email FROM "
	       "staff h WHERE h.id = staff.identity_id), email_norm = "
	       "(SELECT h.email_norm FROM staff h WHERE h.id = "
	       "staff.identity_id), version = version + 1 WHERE "
	       "identity_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, person_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int membership_refuse_linked(struct db_conn *c, int64_t staff_id,
			     struct atr_err *err)
{
	int64_t home, org;
	int rc = membership_home(c, staff_id, &home, &org);
	if (rc < 0)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	if (rc == 0)
		return 0;
	return atr_fail(err, ATR_E_CONFLICT,
			"managed by the person's home organisation: this "
			"member's email, name, password, two-factor "
			"authentication and sessions change there, or by the "
			"person under Account security");
}

static int has_linked(struct db_conn *c, int64_t staff_id)
{
	struct db_stmt *st =
	    db_prepare(c, "SELECT 1 FROM staff WHERE identity_id = ? LIMIT 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

static int insert_row(struct db_conn *c, int64_t org,
		      const struct staff_row *home, bool admin, int64_t *id,
		      struct atr_err *err)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
	    c, "INSERT INTO staff (org_id, email, email_norm, name, "
	       "password_hash, admin, active, created_at, updated_at, "
	       "identity_id, l10n_language, l10n_timezone, "
	       "l10n_date_format, l10n_time_format, "
	       "l10n_thousands_separator, l10n_decimal_separator, "
	       "l10n_first_day_of_week) SELECT ?, email, email_norm, name, "
	       "NULL, ?, 1, ?, ?, id, l10n_language, l10n_timezone, "
	       "l10n_date_format, l10n_time_format, "
	       "l10n_thousands_separator, l10n_decimal_separator, "
	       "l10n_first_day_of_week FROM staff WHERE id = ? RETURNING id");
	if (!st)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, admin);
	db_bind_text(st, 3, now);
	db_bind_text(st, 4, now);
	db_bind_int(st, 5, home->id);
	int rc = db_step(st);
	if (rc == 1)
		*id = db_col_int(st, 0);
	db_reset(st);
	if (rc == 1)
		return 0;
	if (rc < 0 && db_err_unique(c)) {
		atr_field(err, "email", "taken",
			  "a staff member with this email exists");
		return -1;
	}
	return atr_fail(err, ATR_E_INTERNAL, "cannot add staff: %s",
			db_errmsg(c));
}

/* A person's rows are in several organisations: the four below read or
 * write the rows of organisations other than the request's, so they run
 * as the tables' owner, past PostgreSQL's row-level security (db.h,
 * db_conn_as_owner), and nothing else of the request does. */
int membership_sync(struct db_conn *c, int64_t person_id)
{
	db_conn_as_owner(c, true);
	int rc = sync_rows(c, person_id);
	db_conn_as_owner(c, false);
	return rc;
}

int membership_has_linked(struct db_conn *c, int64_t staff_id)
{
	db_conn_as_owner(c, true);
	int rc = has_linked(c, staff_id);
	db_conn_as_owner(c, false);
	return rc;
}

int membership_insert(struct db_conn *c, int64_t org,
		      const struct staff_row *home, bool admin, int64_t *id,
		      struct atr_err *err)
{
	db_conn_as_owner(c, true);
	int rc = insert_row(c, org, home, admin, id, err);
	db_conn_as_owner(c, false);
	return rc;
}

int membership_home(struct db_conn *c, int64_t staff_id, int64_t *home_id,
		    int64_t *home_org)
{
	db_conn_as_owner(c, true);
	int rc = home_of(c, staff_id, home_id, home_org);
	db_conn_as_owner(c, false);
	return rc;
}
