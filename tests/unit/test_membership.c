/* test_membership.c — a person in several organisations
 * (src/auth/membership.c, migration 0056), on both databases: the
 * uniqueness rules (the email among home rows and within an organisation,
 * one membership per organisation), where a sign-in lands (the latest
 * membership, not a suspended organisation, any active one), the home row
 * of a linked one, the copy of name and email kept in step, and the list
 * the switcher shows. */
#include "atrium.h"

#include "auth/membership.h"
#include "auth/org.h"
#include "auth/staff_store.h"
#include "core/embedded.h"
#include "db/db.h"
#include "unit.h"

static bool field_is(const struct atr_err *e, const char *field,
		     const char *code)
{
	for (int i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].field, field) &&
		    !strcmp(e->fields[i].code, code))
			return true;
	return false;
}

/* Runs sql (one statement) in a transaction of its own: 0 or -1. */
static int run(struct db_conn *c, const char *sql)
{
	if (db_begin(c) < 0)
		return -1;
	if (db_exec(c, sql) < 0) {
		db_rollback(c);
		return -1;
	}
	return db_commit(c);
}

static void land_is(struct db_conn *c, int64_t person, int64_t want)
{
	struct staff_row m = {0};
	int rc = membership_land(c, person, &m);
	CHECK_EQ_INT(rc, want ? 1 : 0);
	if (want)
		CHECK_EQ_INT(m.id, want);
}

static void membership_case(const char *url)
{
	struct db *db = unit_db_open(url, true);
	struct db_conn *c = db ? unit_db_acquire(db) : NULL;
	if (!c)
		goto out;
	struct atr_err err = {0};
	int64_t biz = 0, shop = 0, home = 0, linked = 0, other = 0, id = 0;
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(org_create(c, "Biz", ORG_BUSINESS, 1, -1, -1, &biz, &err),
		     0);
	CHECK_EQ_INT(
	    org_create(c, "Shop", ORG_MERCHANT, biz, -1, -1, &shop, &err), 0);
	CHECK_EQ_INT(staff_store_insert(c, 1, "P@Example.test", "Pat", false,
					"$argon2id$x", &home, &err),
		     0);
	struct staff_row h = {0};
	CHECK_EQ_INT(staff_store_load(c, "id", NULL, home, &h), 1);
	CHECK_EQ_INT(membership_insert(c, biz, &h, true, &linked, &err), 0);
	CHECK_EQ_INT(db_commit(c), 0);

	/* One membership per organisation; the email taken in the
	 * organisation that has it, and among home rows everywhere. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(membership_insert(c, biz, &h, false, &id, &err), -1);
	CHECK(field_is(&err, "email", "taken"));
	db_rollback(c);
	atr_err_clear(&err);
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(staff_store_insert(c, biz, "p@example.test", "X", false,
					NULL, &id, &err),
		     -1);
	CHECK(field_is(&err, "email", "taken"));
	db_rollback(c);
	atr_err_clear(&err);
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(staff_store_insert(c, shop, "p@example.test", "X", false,
					NULL, &id, &err),
		     -1);
	CHECK(field_is(&err, "email", "taken"));
	db_rollback(c);
	atr_err_clear(&err);
	/* A linked row holds no password of its own. */
	char sql[256];
	snprintf(sql, sizeof sql,
		 "UPDATE staff SET password_hash = 'x' WHERE id = %lld",
		 (long long)linked);
	CHECK_EQ_INT(run(c, sql), -1);

	/* Sign-in by email finds the home row, with the password. */
	struct staff_row s = {0};
	CHECK_EQ_INT(staff_store_load(c, "email", "p@example.test", 0, &s), 1);
	CHECK_EQ_INT(s.id, home);
	CHECK_STR(s.hash, "$argon2id$x");
	CHECK_EQ_INT(staff_store_load(c, "id", NULL, linked, &s), 1);
	CHECK_EQ_INT(s.org_id, biz);
	CHECK(s.admin);
	CHECK_STR(s.email, "P@Example.test");
	CHECK_STR(s.hash, "");

	/* Landing: home first among equals, then the latest sign-in. */
	land_is(c, home, home);
	snprintf(sql, sizeof sql,
		 "UPDATE staff SET last_login_at = '2026-01-02T00:00:00.000Z' "
		 "WHERE id = %lld",
		 (long long)linked);
	CHECK_EQ_INT(run(c, sql), 0);
	land_is(c, home, linked);
	snprintf(sql, sizeof sql,
		 "UPDATE staff SET last_login_at = '2026-01-03T00:00:00.000Z' "
		 "WHERE id = %lld",
		 (long long)home);
	CHECK_EQ_INT(run(c, sql), 0);
	land_is(c, home, home);
	/* The home membership deactivated: the other one. */
	snprintf(sql, sizeof sql, "UPDATE staff SET active = 0 WHERE id = %lld",
		 (long long)home);
	CHECK_EQ_INT(run(c, sql), 0);
	land_is(c, home, linked);
	/* Its organisation suspended: still the only active one (the
	 * session is then refused as org-suspended). */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(org_set_suspended(c, biz, true, &err), 1);
	CHECK_EQ_INT(db_commit(c), 0);
	land_is(c, home, linked);
	snprintf(sql, sizeof sql, "UPDATE staff SET active = 1 WHERE id = %lld",
		 (long long)home);
	CHECK_EQ_INT(run(c, sql), 0);
	snprintf(sql, sizeof sql,
		 "UPDATE staff SET last_login_at = '2026-02-01T00:00:00.000Z' "
		 "WHERE id = %lld",
		 (long long)linked);
	CHECK_EQ_INT(run(c, sql), 0);
	/* A suspended organisation is passed by while another is active. */
	land_is(c, home, home);
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(org_set_suspended(c, biz, false, &err), 1);
	CHECK_EQ_INT(db_commit(c), 0);
	land_is(c, home, linked);
	/* Nothing active: no landing. */
	snprintf(sql, sizeof sql,
		 "UPDATE staff SET active = 0 WHERE id IN (%lld, %lld)",
		 (long long)home, (long long)linked);
	CHECK_EQ_INT(run(c, sql), 0);
	land_is(c, home, 0);
	snprintf(sql, sizeof sql,
		 "UPDATE staff SET active = 1 WHERE id IN (%lld, %lld)",
		 (long long)home, (long long)linked);
	CHECK_EQ_INT(run(c, sql), 0);

	/* The membership of one organisation; the home row of a linked one. */
	CHECK_EQ_INT(membership_in(c, home, biz, &s), 1);
	CHECK_EQ_INT(s.id, linked);
	CHECK_EQ_INT(membership_in(c, home, shop, &s), 0);
	int64_t hid = 0, horg = 0;
	CHECK_EQ_INT(membership_home(c, linked, &hid, &horg), 1);
	CHECK_EQ_INT(hid, home);
	CHECK_EQ_INT(horg, 1);
	CHECK_EQ_INT(membership_home(c, home, &hid, &horg), 0);
	CHECK_EQ_INT(membership_has_linked(c, home), 1);
	CHECK_EQ_INT(membership_has_linked(c, linked), 0);
	CHECK_EQ_INT(membership_refuse_linked(c, home, &err), 0);
	CHECK_EQ_INT(membership_refuse_linked(c, linked, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_CONFLICT);
	CHECK_CONTAINS(err.msg, "home organisation");
	atr_err_clear(&err);

	/* A new email and name at home reach the membership. */
	snprintf(sql, sizeof sql,
		 "UPDATE staff SET email = 'q@example.test', email_norm = "
		 "'q@example.test', name = 'Quinn' WHERE id = %lld",
		 (long long)home);
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(db_exec(c, sql), 0);
	CHECK_EQ_INT(membership_sync(c, home), 0);
	CHECK_EQ_INT(db_commit(c), 0);
	CHECK_EQ_INT(staff_store_load(c, "id", NULL, linked, &s), 1);
	CHECK_STR(s.email, "q@example.test");
	CHECK_STR(s.name, "Quinn");

	/* The switcher's list: both, the current one flagged. */
	json_t *a = membership_list(c, home, linked);
	if (CHECK(a != NULL)) {
		CHECK_EQ_INT((int)json_array_size(a), 2);
		size_t i;
		json_t *v;
		json_array_foreach(a, i, v)
		{
			bool is_biz = json_integer_value(
					  json_object_get(v, "org_id")) == biz;
			CHECK_EQ_INT(
			    json_is_true(json_object_get(v, "current")),
			    is_biz);
			CHECK_EQ_INT(json_is_true(json_object_get(v, "home")),
				     !is_biz);
		}
		json_decref(a);
	}
	/* Another person of the business: not part of the list. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(staff_store_insert(c, biz, "o@example.test", "O", false,
					NULL, &other, &err),
		     0);
	CHECK_EQ_INT(db_commit(c), 0);
	a = membership_list(c, other, other);
	if (CHECK(a != NULL)) {
		CHECK_EQ_INT((int)json_array_size(a), 1);
		json_decref(a);
	}
	db_release(c);
out:
	if (db)
		db_close(db);
}

TEST(membership_sqlite)
{
	unit_with_sqlite(membership_case);
}

TEST(membership_pg)
{
	unit_with_pg(membership_case);
}

/* --- the upgrade (migration 0056) ----------------------------------------- */

/* Members and their sessions survive the upgrade as home rows, and the id
 * of a member deleted before it is not handed out again. */
static void upgrade_case(const char *url)
{
	struct db *db = unit_db_open(url, false);
	struct db_conn *c = db ? unit_db_acquire(db) : NULL;
	if (!c || !unit_run_migrations(c, "0056", false))
		goto out;
	CHECK_EQ_INT(
	    db_exec(c, "INSERT INTO staff (id, org_id, email, email_norm, "
		       "name, created_at, updated_at) VALUES (1, 1, "
		       "'A@x.test', 'a@x.test', 'A', 't', 't'), (2, 1, "
		       "'b@x.test', 'b@x.test', 'B', 't', 't'), (3, 1, "
		       "'c@x.test', 'c@x.test', 'C', 't', 't');"
		       "INSERT INTO session (org_id, staff_id, token_hash, "
		       "created_at, last_seen_at, expires_at) VALUES (1, 2, "
		       "'h', 't', 't', 't');"
		       "DELETE FROM staff WHERE id = 3"),
	    0);
	/* As migrate.c runs it on SQLite (its foreign-keys-off marker): with
	 * them on, dropping the old table would delete the sessions. */
	bool pg = db_conn_dialect(c) == DB_PG;
	CHECK_EQ_INT(db_exec(c, pg ? "SELECT setval(pg_get_serial_sequence("
				     "'staff', 'id'), 3)"
				   : "PRAGMA foreign_keys = OFF"),
		     0);
	bool ok = unit_run_migrations(c, "0056", true);
	if (!pg)
		CHECK_EQ_INT(db_exec(c, "PRAGMA foreign_keys = ON"), 0);
	if (!ok)
		goto out;
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM staff WHERE "
				       "identity_id IS NULL"),
		     2);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT staff_id FROM session"), 2);
	struct atr_err err = {0};
	int64_t id = 0;
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(
	    staff_store_insert(c, 1, "d@x.test", "D", false, NULL, &id, &err),
	    0);
	CHECK_EQ_INT(id, 4);
	CHECK_EQ_INT(
	    staff_store_insert(c, 1, "a@X.test", "A2", false, NULL, &id, &err),
	    -1);
	db_rollback(c);
out:
	if (c)
		db_release(c);
	if (db)
		db_close(db);
}

TEST(membership_upgrade_sqlite)
{
	unit_with_sqlite(upgrade_case);
}

TEST(membership_upgrade_pg)
{
	unit_with_pg(upgrade_case);
}
