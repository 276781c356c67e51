/* test_housekeeping.c — the modules' housekeeping removes what expired and
 * keeps what is live, on SQLite (and PostgreSQL when ATRIUM_TEST_PG is
 * set). */
#include "unit.h"

#include "db/db.h"
#include "core/module.h"

static void run(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	const char *setup =
		"INSERT INTO staff (id, org_id, email, email_norm, name, "
		"created_at, updated_at) VALUES (1, 1, 'a@x.test', 'a@x.test', "
		"'A', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');"
		/* an expired, an idle (30 minutes by default) and a live
		 * session */
		"INSERT INTO session (org_id, staff_id, token_hash, created_at, "
		"last_seen_at, expires_at) VALUES "
		"(1, 1, 'old', '2020-01-01T00:00:00.000Z', "
		"'2020-01-01T00:00:00.000Z', '2020-01-02T00:00:00.000Z'),"
		"(1, 1, 'idle', '2026-01-01T00:00:00.000Z', "
		"'2026-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z'),"
		"(1, 1, 'new', '2026-01-01T00:00:00.000Z', "
		"'2999-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z');"
		/* a used old link, and a live unused one */
		"INSERT INTO auth_token (org_id, staff_id, purpose, token_hash, "
		"expires_at, used_at, created_at) VALUES "
		"(1, 1, 'reset', 'h1', '2999-01-01T00:00:00.000Z', "
		"'2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z'),"
		"(1, 1, 'reset', 'h2', '2999-01-01T00:00:00.000Z', NULL, "
		"'2999-01-01T00:00:00.000Z');"
		/* an idempotency key from 2020 and one from the future */
		"INSERT INTO idempotency_key (org_id, staff_id, key, route, "
		"body_hash, status, response, created_at) VALUES "
		"(1, 1, 'k1', '/r', 'h', 201, '{}', '2020-01-01T00:00:00.000Z'),"
		"(1, 1, 'k2', '/r', 'h', 201, '{}', '2999-01-01T00:00:00.000Z');"
		/* a stale counter and a live block */
		"INSERT INTO login_throttle (key, failures, window_start, "
		"blocked_until) VALUES "
		"('acct:old', 3, '2020-01-01T00:00:00.000Z', NULL),"
		"('acct:blocked', 9, '2020-01-01T00:00:00.000Z', "
		"'2999-01-01T00:00:00.000Z');";
	if (!c || !CHECK_EQ_INT(db_exec(c, setup), 0)) {
		FAILF("setup: %s", c ? db_errmsg(c) : "no connection");
		goto out;
	}
	CHECK_EQ_INT(modules_housekeeping(&unit_app, c, atr_now_ms()), 5);
	static const char *const left[] = {
		"SELECT COUNT(*) FROM session WHERE token_hash = 'new'",
		"SELECT COUNT(*) FROM auth_token WHERE token_hash = 'h2'",
		"SELECT COUNT(*) FROM idempotency_key WHERE key = 'k2'",
		"SELECT COUNT(*) FROM login_throttle WHERE key = 'acct:blocked'",
	};
	for (size_t i = 0; i < sizeof left / sizeof *left; i++)
		CHECK_EQ_INT(unit_db_scalar(c, left[i]), 1);
	CHECK_EQ_INT(modules_housekeeping(&unit_app, c, atr_now_ms()), 0); /* nothing more to do */
out:
	db_release(c);
	db_close(db);
}

TEST(housekeeping_sqlite)
{
	unit_with_sqlite(run);
}

TEST(housekeeping_pg)
{
	unit_with_pg(run);
}
