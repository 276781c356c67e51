/* test_org.c — organisations (src/auth/org.c): the hierarchy rules, the
 * seat check, and on both databases the migration's operator, creating,
 * suspending, the seats on the org row and their read-only settings
 * rows. */
#include "atrium.h"

#include "auth/org.h"
#include "core/embedded.h"
#include "auth/staff_store.h"
#include "core/settings.h"
#include "db/db.h"
#include "unit.h"

static bool has_field(const struct atr_err *e, const char *field,
		      const char *code)
{
	for (int i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].field, field) &&
		    !strcmp(e->fields[i].code, code))
			return true;
	return false;
}

TEST(org_hierarchy_rules)
{
	struct org_row op = {.id = 1, .kind = ORG_OPERATOR, .name = "Op"};
	struct org_row biz = {.id = 2, .kind = ORG_BUSINESS, .name = "Biz"};
	struct org_row shop = {.id = 3, .kind = ORG_MERCHANT, .name = "Shop"};
	struct atr_err err = {0};
	CHECK_EQ_INT(org_child_allowed(&op, ORG_BUSINESS, &err), 0);
	CHECK_EQ_INT(org_child_allowed(&biz, ORG_MERCHANT, &err), 0);
	CHECK_EQ_INT(err.kind, ATR_E_NONE);
	/* A merchant under the operator, a business under a business:
	 * one level off either way. */
	CHECK_EQ_INT(org_child_allowed(&op, ORG_MERCHANT, &err), -1);
	CHECK(has_field(&err, "parent", "invalid"));
	CHECK_CONTAINS(err.fields[0].detail, "a merchant sits under a business");
	atr_err_clear(&err);
	CHECK_EQ_INT(org_child_allowed(&biz, ORG_BUSINESS, &err), -1);
	CHECK(has_field(&err, "parent", "invalid"));
	atr_err_clear(&err);
	/* Nothing under a merchant: no fourth level. */
	CHECK_EQ_INT(org_child_allowed(&shop, ORG_MERCHANT, &err), -1);
	CHECK_CONTAINS(err.fields[0].detail, "nothing deeper");
	atr_err_clear(&err);
	CHECK_EQ_INT(org_child_allowed(&shop, ORG_BUSINESS, &err), -1);
	atr_err_clear(&err);
	/* No parent, or a second operator. */
	CHECK_EQ_INT(org_child_allowed(NULL, ORG_BUSINESS, &err), -1);
	CHECK(has_field(&err, "parent", "required"));
	atr_err_clear(&err);
	CHECK_EQ_INT(org_child_allowed(NULL, ORG_OPERATOR, &err), -1);
	CHECK(has_field(&err, "kind", "invalid"));
	atr_err_clear(&err);
	CHECK_EQ_INT(org_kind_parse("merchant"), ORG_MERCHANT);
	CHECK_EQ_INT(org_kind_parse("reseller"), -1);
	CHECK_STR(org_kind_name(ORG_OPERATOR), "operator");
}

TEST(org_seat_check)
{
	struct atr_err err = {0};
	CHECK_EQ_INT(org_seats_check(0, 1, 0, &err), 0);
	CHECK_EQ_INT(org_seats_check(4, 5, 0, &err), 0);
	CHECK_EQ_INT(org_seats_check(5, 5, 1, &err), 0);
	CHECK_EQ_INT(err.kind, ATR_E_NONE);
	CHECK_EQ_INT(org_seats_check(6, 5, 1, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_CONFLICT);
	CHECK_CONTAINS(err.msg, "6 of 6 seats are in use (5 included + 1 "
				"extra)");
	atr_err_clear(&err);
	/* More active than allowed (the limit was lowered): still full. */
	CHECK_EQ_INT(org_seats_check(9, 5, 0, &err), -1);
	CHECK_CONTAINS(err.msg, "9 of 5");
}

static int64_t add_staff(struct db_conn *c, int64_t org, const char *email)
{
	struct atr_err err = {0};
	int64_t id = 0;
	CHECK_EQ_INT(db_begin(c), 0);
	if (!CHECK_EQ_INT(staff_store_insert(c, org, email, "N", false, NULL,
					     &id, &err),
			  0))
		FAILF("insert %s: %s", email, err.msg);
	CHECK_EQ_INT(db_commit(c), 0);
	return id;
}

static void store_case(const char *url)
{
	struct db *db = unit_db_open(url, true);
	struct db_conn *c = db ? unit_db_acquire(db) : NULL;
	if (!c)
		goto out;
	struct atr_err err = {0};
	/* The migration made organisation 1 the operator, with the seats
	 * the settings had (their defaults here). */
	struct org_row op;
	CHECK_EQ_INT(org_load(c, 1, &op), 1);
	CHECK_EQ_INT(op.kind, ORG_OPERATOR);
	CHECK_EQ_INT(op.parent_id, 0);
	CHECK_EQ_INT(op.members_included, 5);
	CHECK_EQ_INT(op.extra_seats, 0);
	CHECK(!op.suspended);

	int64_t biz = 0, shop = 0, bad = 0;
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(org_create(c, "Biz", ORG_BUSINESS, 1, 2, 0, &biz, &err), 0);
	CHECK_EQ_INT(org_create(c, "Shop", ORG_MERCHANT, biz, -1, -1, &shop,
				&err),
		     0);
	CHECK_EQ_INT(db_commit(c), 0);
	/* Refused, every field at once: a merchant under a merchant, an
	 * empty name, seats out of range. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(org_create(c, "", ORG_MERCHANT, shop, 0, 2000000, &bad,
				&err),
		     -1);
	CHECK(has_field(&err, "name", "required"));
	CHECK(has_field(&err, "parent", "invalid"));
	CHECK(has_field(&err, "members_included", "invalid"));
	CHECK(has_field(&err, "extra_seats", "invalid"));
	atr_err_clear(&err);
	CHECK_EQ_INT(org_create(c, "X", ORG_BUSINESS, 999, -1, -1, &bad, &err),
		     -1);
	CHECK(has_field(&err, "parent", "not_found"));
	atr_err_clear(&err);
	db_rollback(c);
	/* The database says the same of one row: the operator alone has
	 * no parent, and there is one operator. */
	CHECK(db_exec(c, "INSERT INTO org (name, created_at, kind) VALUES "
			 "('Y', '2026-01-01T00:00:00.000Z', 'business')") < 0);
	CHECK(db_exec(c, "INSERT INTO org (name, created_at, kind, parent_id) "
			 "VALUES ('Z', '2026-01-01T00:00:00.000Z', "
			 "'operator', 1)") < 0);
	CHECK(db_exec(c, "UPDATE org SET status = 'suspended' WHERE id = 1") <
	      0);

	struct org_row o;
	CHECK_EQ_INT(org_load(c, shop, &o), 1);
	CHECK_EQ_INT(o.kind, ORG_MERCHANT);
	CHECK_EQ_INT(o.parent_id, biz);
	CHECK_EQ_INT(o.members_included, 5);

	/* Seats: the org row, read by the seat check and the settings. */
	add_staff(c, biz, "a@biz.test");
	add_staff(c, biz, "b@biz.test");
	CHECK_EQ_INT(org_seats_used(c, biz), 2);
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(staff_store_seats_free(c, biz, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_CONFLICT);
	atr_err_clear(&err);
	json_t *diff = NULL;
	CHECK_EQ_INT(org_set_seats(c, biz, -1, 1, &diff, &err), 0);
	CHECK_EQ_INT(json_object_size(diff), 1);
	CHECK(json_object_get(diff, "extra_seats") != NULL);
	json_decref(diff);
	CHECK_EQ_INT(staff_store_seats_free(c, biz, &err), 0);
	CHECK_EQ_INT(org_set_seats(c, biz, 0, -1, &diff, &err), -1);
	CHECK(has_field(&err, "members_included", "invalid"));
	json_decref(diff);
	atr_err_clear(&err);
	CHECK_EQ_INT(org_set_seats(c, 999, 3, -1, &diff, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_NOT_FOUND);
	json_decref(diff);
	atr_err_clear(&err);
	CHECK_EQ_INT(db_commit(c), 0);
	int64_t v = -1;
	CHECK_EQ_INT(settings_get_int(c, biz, "extra_seats", &v), 0);
	CHECK_EQ_INT(v, 1);
	CHECK_EQ_INT(settings_get_int(c, biz, "members_included", &v), 0);
	CHECK_EQ_INT(v, 2);
	json_t *vals = settings_values_json(c, biz, "seats");
	CHECK_EQ_INT(json_integer_value(json_object_get(vals, "extra_seats")),
		     1);
	json_decref(vals);
	/* The settings refuse to change them, naming each field. */
	json_t *body = json_pack("{s:i,s:n}", "extra_seats", 100,
				 "members_included");
	CHECK_EQ_INT(settings_judge("seats", body, &err), -1);
	CHECK(has_field(&err, "extra_seats", "read_only"));
	CHECK(has_field(&err, "members_included", "read_only"));
	CHECK_CONTAINS(err.fields[0].detail, "atrium org seats");
	json_decref(body);
	atr_err_clear(&err);

	/* Suspending: the operator never; twice changes nothing. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(org_set_suspended(c, 1, true, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_CONFLICT);
	atr_err_clear(&err);
	CHECK_EQ_INT(org_set_suspended(c, biz, true, &err), 1);
	CHECK_EQ_INT(org_set_suspended(c, biz, true, &err), 0);
	CHECK_EQ_INT(org_set_suspended(c, 999, true, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_NOT_FOUND);
	atr_err_clear(&err);
	CHECK_EQ_INT(db_commit(c), 0);
	CHECK_EQ_INT(org_active(c, biz), 0);
	CHECK_EQ_INT(org_active(c, shop), 1);
	CHECK_EQ_INT(org_load(c, biz, &o), 1);
	CHECK(o.suspended);
	CHECK(o.suspended_at[0] != 0);
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(org_set_suspended(c, biz, false, &err), 1);
	CHECK_EQ_INT(db_commit(c), 0);
	CHECK_EQ_INT(org_active(c, biz), 1);
	CHECK_EQ_INT(org_load(c, biz, &o), 1);
	CHECK(!o.suspended);
	CHECK_STR(o.suspended_at, "");
	db_release(c);
out:
	if (db)
		db_close(db);
}

TEST(org_store_sqlite)
{
	unit_with_sqlite(store_case);
}

TEST(org_store_pg)
{
	unit_with_pg(store_case);
}

/* --- delete (org_delete.c) ------------------------------------------------ */

/* The position of name in the walk's order, or -1. */
static int pos(char **t, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(t[i], name))
			return i;
	return -1;
}

static int64_t count_of(struct db_conn *c, const char *sql, int64_t org)
{
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int64_t n = db_step(st) == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

static void delete_case(const char *url)
{
	struct db *db = unit_db_open(url, true);
	struct db_conn *c = db ? unit_db_acquire(db) : NULL;
	if (!c)
		goto out;
	struct atr_err err = {0};
	/* The walk: every table with org_id, the referencing ones first
	 * (a lead names its owner, a member their role). */
	char **t;
	int n;
	CHECK_EQ_INT(db_tables_with(c, "org_id", &t, &n, &err), 0);
	CHECK(n > 20);
	CHECK(pos(t, n, "lead") >= 0 && pos(t, n, "staff") >= 0);
	CHECK(pos(t, n, "lead") < pos(t, n, "staff"));
	CHECK(pos(t, n, "staff") < pos(t, n, "role"));
	CHECK(pos(t, n, "activity_log") >= 0);
	CHECK_EQ_INT(pos(t, n, "org"), -1);
	CHECK_EQ_INT(pos(t, n, "org_deleted"), -1);
	db_names_free(t, n);

	int64_t a = 0, b = 0, shop = 0;
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(org_create(c, "A", ORG_BUSINESS, 1, 5, 0, &a, &err), 0);
	CHECK_EQ_INT(org_create(c, "B", ORG_BUSINESS, 1, 5, 0, &b, &err), 0);
	CHECK_EQ_INT(org_create(c, "Shop", ORG_MERCHANT, a, 5, 0, &shop, &err),
		     0);
	CHECK_EQ_INT(db_commit(c), 0);
	add_staff(c, a, "a1@example.test");
	add_staff(c, b, "b1@example.test");
	json_t *removed = NULL;
	/* Active, then with a child: refused, nothing removed. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(org_delete(c, a, &removed, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_CONFLICT);
	CHECK_CONTAINS(err.msg, "suspend it first");
	json_decref(removed);
	atr_err_clear(&err);
	CHECK_EQ_INT(org_set_suspended(c, a, true, &err), 1);
	CHECK_EQ_INT(org_delete(c, a, &removed, &err), -1);
	CHECK_CONTAINS(err.msg, "has 1 child organisation");
	json_decref(removed);
	atr_err_clear(&err);
	CHECK_EQ_INT(org_delete(c, 1, &removed, &err), -1);
	CHECK_CONTAINS(err.msg, "is the operator");
	json_decref(removed);
	atr_err_clear(&err);
	CHECK_EQ_INT(org_delete(c, 999, &removed, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_NOT_FOUND);
	json_decref(removed);
	atr_err_clear(&err);
	/* The merchant, then the business: its member goes, B's stays. */
	CHECK_EQ_INT(org_set_suspended(c, shop, true, &err), 1);
	CHECK_EQ_INT(org_delete(c, shop, &removed, &err), 0);
	json_decref(removed);
	CHECK_EQ_INT(org_delete(c, a, &removed, &err), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(removed, "staff")), 1);
	json_decref(removed);
	CHECK_EQ_INT(db_commit(c), 0);
	CHECK_EQ_INT(
	    count_of(c, "SELECT COUNT(*) FROM staff WHERE org_id = ?", a), 0);
	CHECK_EQ_INT(
	    count_of(c, "SELECT COUNT(*) FROM staff WHERE org_id = ?", b), 1);
	CHECK_EQ_INT(count_of(c, "SELECT COUNT(*) FROM org WHERE id = ?", a),
		     0);
	CHECK_EQ_INT(
	    count_of(c, "SELECT COUNT(*) FROM org_deleted WHERE id = ?", a), 1);
	/* Its id is never given again (SQLite would reuse the highest). */
	int64_t next = 0;
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(org_create(c, "Next", ORG_BUSINESS, 1, 5, 0, &next, &err),
		     0);
	CHECK_EQ_INT(db_commit(c), 0);
	CHECK(next > shop);
	db_release(c);
out:
	if (db)
		db_close(db);
}

TEST(org_delete_sqlite)
{
	unit_with_sqlite(delete_case);
}

TEST(org_delete_pg)
{
	unit_with_pg(delete_case);
}

/* --- the upgrade (migration 0055) ----------------------------------------- */

/* Organisation 1 becomes the operator, another one a business under it,
 * and each keeps the seats its settings had. */
static void upgrade_case(const char *url)
{
	struct db *db = unit_db_open(url, false);
	struct db_conn *c = db ? unit_db_acquire(db) : NULL;
	if (!c || !unit_run_migrations(c, "0055", false))
		goto out;
	CHECK_EQ_INT(db_exec(c, "INSERT INTO org (id, name, created_at) VALUES "
				"(2, 'Second', '2026-01-01T00:00:00.000Z');"
				"INSERT INTO setting (org_id, key, value) "
				"VALUES (1, 'members_included', '7'), (1, "
				"'extra_seats', '3'), (2, 'extra_seats', "
				"'40'), (1, 'company_name', 'Kept')"),
		     0);
	if (!unit_run_migrations(c, "0055", true))
		goto out;
	struct org_row o;
	CHECK_EQ_INT(org_load(c, 1, &o), 1);
	CHECK_EQ_INT(o.kind, ORG_OPERATOR);
	CHECK_EQ_INT(o.parent_id, 0);
	CHECK_EQ_INT(o.members_included, 7);
	CHECK_EQ_INT(o.extra_seats, 3);
	CHECK_EQ_INT(org_load(c, 2, &o), 1);
	CHECK_EQ_INT(o.kind, ORG_BUSINESS);
	CHECK_EQ_INT(o.parent_id, 1);
	CHECK_EQ_INT(o.members_included, 5);
	CHECK_EQ_INT(o.extra_seats, 40);
	CHECK(!o.suspended);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM setting WHERE "
				       "key IN ('members_included', "
				       "'extra_seats')"),
		     0);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM setting WHERE "
				       "key = 'company_name'"),
		     1);
out:
	if (c)
		db_release(c);
	if (db)
		db_close(db);
}

TEST(org_upgrade_sqlite)
{
	unit_with_sqlite(upgrade_case);
}

TEST(org_upgrade_pg)
{
	unit_with_pg(upgrade_case);
}
