/* test_db_rls.c — PostgreSQL's row-level security on org_id
 * (migrations/pg/0057, db_set_role and db_conn_org in src/db): a
 * connection bound to one organisation sees and writes its rows alone,
 * "all" sees every one, unset sees none, the owner (migrations, commands)
 * is not bound, and what a rolled-back transaction or a failed round trip
 * undid is set again. Every table with an org_id has the policy. */
#include "atrium.h"

#include "auth/org.h"
#include "db/db.h"
#include "unit.h"

static void add_lead(struct db_conn *c, int64_t org, const char *name)
{
	struct db_stmt *st = db_prepare(
	    c, "INSERT INTO lead (org_id, name, created_at, updated_at) "
	       "VALUES (?, ?, '2026-01-01T00:00:00Z', "
	       "'2026-01-01T00:00:00Z')");
	if (!CHECK(st != NULL))
		return;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, name);
	if (!CHECK_EQ_INT(db_step(st), 0))
		FAILF("insert: %s", db_errmsg(c));
	db_reset(st);
}

static int64_t leads(struct db_conn *c)
{
	return unit_db_scalar(c, "SELECT count(*) FROM lead");
}

static void rls_case(const char *url)
{
	struct db *db = unit_db_open(url, true);
	struct db_conn *c = db ? unit_db_acquire(db) : NULL;
	struct atr_err err = {0};
	int64_t b = 0;
	if (!c)
		goto out;
	/* As the owner (the login role): organisation B and a lead in each. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(org_create(c, "B", ORG_BUSINESS, 1, 5, 0, &b, &err), 0);
	CHECK_EQ_INT(db_commit(c), 0);
	add_lead(c, 1, "a");
	add_lead(c, b, "b");
	db_conn_org(c, 1);
	CHECK_EQ_INT(leads(c), 2); /* the owner is not bound */
	db_release(c);

	CHECK_EQ_INT(db_set_role(db, "atrium-app"), -1); /* not a name */
	CHECK_EQ_INT(db_set_role(db, "atrium_app"), 0);
	c = unit_db_acquire(db);
	if (!c)
		goto out;
	/* Acquired: all organisations, as the login role. */
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT CASE WHEN current_user = "
				       "'atrium_app' THEN 1 ELSE 0 END"),
		     0);
	CHECK_EQ_INT(leads(c), 2);
	db_conn_org(c, 1);
	CHECK_EQ_INT(db_conn_org_of(c), 1);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT CASE WHEN current_user = "
				       "'atrium_app' THEN 1 ELSE 0 END"),
		     1);
	CHECK_EQ_INT(leads(c), 1);
	/* The role's "all" (what a DBA's own session may set). */
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT length(set_config("
				       "'atrium.org', 'all', false))"),
		     3);
	CHECK_EQ_INT(leads(c), 2);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT length(set_config("
				       "'atrium.org', '1', false))"),
		     1);
	/* Released and acquired again: all, then bound once more. */
	db_release(c);
	c = unit_db_acquire(db);
	if (!c)
		goto out;
	CHECK_EQ_INT(leads(c), 2);
	db_conn_org(c, 1);
	CHECK_EQ_INT(leads(c), 1);
	/* A custom field's index: DDL as the owner, then bound again. */
	db_conn_as_owner(c, true);
	CHECK_EQ_INT(db_exec(c, "CREATE INDEX lead_rls_t ON lead (org_id, "
				"name)"),
		     0);
	db_conn_as_owner(c, false);
	CHECK_EQ_INT(leads(c), 1);
	db_conn_org(c, b);
	CHECK_EQ_INT(leads(c), 1);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT count(*) FROM lead WHERE "
				       "name = 'b'"),
		     1);

	/* Bound to 1: B's rows can be neither written nor changed. */
	db_conn_org(c, 1);
	struct db_stmt *st = db_prepare(
	    c, "INSERT INTO lead (org_id, name, created_at, updated_at) "
	       "VALUES (?, 'x', 'now', 'now')");
	db_bind_int(st, 1, b);
	CHECK_EQ_INT(db_step(st), -1);
	CHECK_CONTAINS(db_errmsg(c), "row-level security");
	db_reset(st);
	st = db_prepare(c, "UPDATE lead SET name = 'x' WHERE org_id = ?");
	db_bind_int(st, 1, b);
	CHECK_EQ_INT(db_step(st), 0);
	db_reset(st);
	db_conn_org(c, 0);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT count(*) FROM lead WHERE "
				       "name = 'x'"),
		     0);

	/* Set inside a transaction that rolls back: PostgreSQL undoes it,
	 * so it is sent again. */
	CHECK_EQ_INT(db_begin(c), 0);
	db_conn_org(c, b);
	CHECK_EQ_INT(leads(c), 1);
	CHECK_EQ_INT(db_rollback(c), 0);
	CHECK_EQ_INT(leads(c), 1);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT current_setting('atrium.org')"
				       "::bigint"),
		     b);

	/* A statement failed inside a transaction whose binding then
	 * changes: the ROLLBACK still runs (nothing set in front of it),
	 * and the binding follows with the next statement. */
	db_conn_org(c, 1);
	CHECK_EQ_INT(leads(c), 1);
	CHECK_EQ_INT(db_begin(c), 0);
	st = db_prepare(c, "SELECT 1 / (count(*) - count(*)) FROM lead");
	CHECK_EQ_INT(db_step(st), -1);
	db_reset(st);
	db_conn_as_owner(c, true);
	db_conn_as_owner(c, false);
	db_conn_org(c, b);
	CHECK_EQ_INT(db_rollback(c), 0);
	CHECK(!db_in_tx(c));
	CHECK_EQ_INT(leads(c), 1);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT current_setting('atrium.org')"
				       "::bigint"),
		     b);

	/* Set in a round trip that failed: undone too, sent again. */
	db_conn_org(c, 1);
	st = db_prepare(c, "SELECT 1 / (count(*) - count(*)) FROM lead");
	CHECK_EQ_INT(db_step(st), -1);
	db_reset(st);
	CHECK_EQ_INT(leads(c), 1);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT current_setting('atrium.org')"
				       "::bigint"),
		     1);

	/* Unset: nothing (deny by default for any client of the role). */
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT length(set_config("
				       "'atrium.org', '', false))"),
		     0);
	CHECK_EQ_INT(leads(c), 0);
	db_release(c);

	/* Every table with an org_id has row-level security and a policy
	 * (a new table's migration must add them). */
	c = unit_db_acquire(db);
	if (!c)
		goto out;
	CHECK_EQ_INT(unit_db_scalar(
			 c, "SELECT count(*) FROM information_schema.columns k "
			    "JOIN pg_class t ON t.relname = k.table_name AND "
			    "t.relkind = 'r' AND t.relnamespace = "
			    "current_schema()::regnamespace "
			    "WHERE k.table_schema = current_schema() AND "
			    "k.column_name = 'org_id' AND (NOT "
			    "t.relrowsecurity OR NOT EXISTS (SELECT 1 FROM "
			    "pg_policies p WHERE p.tablename = k.table_name "
			    "AND p.schemaname = current_schema()))"),
		     0);
	CHECK(unit_db_scalar(c, "SELECT count(*) FROM pg_policies WHERE "
				"policyname = 'org_scope'") > 60);
	/* Each policy reads the setting in a scalar subquery (once per
	 * statement, migration 0060), never as a call in the row filter. */
	CHECK_EQ_INT(unit_db_scalar(
			 c, "SELECT count(*) FROM pg_policies, LATERAL (VALUES "
			    "(qual), (with_check)) AS e(x) WHERE policyname = "
			    "'org_scope' AND (length(x) - length(replace(x, "
			    "'current_setting(', ''))) / 16 <> (length(x) - "
			    "length(replace(x, '( SELECT ', ''))) / 9"),
		     0);
	db_release(c);
out:
	if (db)
		db_close(db);
}

TEST(db_rls_pg)
{
	unit_with_pg(rls_case);
}
