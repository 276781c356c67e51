/* test_session_touch.c — auth/session_touch.c: touches recorded in
 * memory, visible to requests until written, written in one batch, and a
 * touch seen again during a write kept for the next one. */
#include "atrium.h"

#include <time.h>

#include "auth/session_touch.h"
#include "core/app.h"
#include "db/db.h"
#include "db/migrate.h"
#include "unit.h"

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* The stored last_seen_at of session id, in ms (-1 on error). */
static int64_t stored_ms(struct db_conn *c, int64_t id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT last_seen_at FROM session WHERE id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	int64_t ms = db_step(st) == 1 ? atr_iso_ms(db_col_text(st, 0)) : -1;
	db_reset(st);
	return ms;
}

/* Waits (bounded: 20 flush intervals) until session id's touch left the
 * table, i.e. was written. */
static bool written(int64_t id)
{
	for (int i = 0; i < 20 * TOUCH_FLUSH_MS / 50; i++) {
		if (session_touch_pending(id) == 0)
			return true;
		nap_ms(50);
	}
	return false;
}

static void touch_case(const char *url)
{
	struct app app = {0};
	app.db = unit_db_open(url, true);
	if (!app.db)
		return;
	struct db_conn *c = unit_db_acquire(app.db);
	if (!c)
		goto out;
	const char *old = "2026-01-01T00:00:00.000Z";
	CHECK(db_exec(c, "INSERT INTO staff (org_id, email, email_norm, name, "
			 "created_at, updated_at) VALUES (1, 'a@x', 'a@x', "
			 "'A', 't', 't')") == 0);
	CHECK(db_exec(c, "INSERT INTO session (org_id, staff_id, token_hash, "
			 "created_at, last_seen_at, expires_at) VALUES (1, 1, "
			 "'h', '2026-01-01T00:00:00.000Z', "
			 "'2026-01-01T00:00:00.000Z', "
			 "'2099-01-01T00:00:00.000Z')") == 0);
	int64_t sid = unit_db_scalar(c, "SELECT id FROM session");
	int64_t old_ms = atr_iso_ms(old);

	/* Not running: nothing is taken, nothing is pending. */
	CHECK(!session_touch_record(sid, old_ms + 1000));
	CHECK_EQ_INT(session_touch_pending(sid), 0);

	struct atr_err err = {0};
	if (!CHECK(session_touch_start(&app, &err) == 0))
		goto out;
	int64_t t1 = atr_now_ms();
	CHECK(session_touch_record(sid, t1));
	/* Visible at once, and an earlier time never moves it back. */
	CHECK(session_touch_record(sid, t1 - 5000));
	int64_t p = session_touch_pending(sid);
	CHECK(p == 0 || p == t1); /* 0 only if already written */
	CHECK(!session_touch_record(0, t1));
	CHECK(written(sid));
	CHECK_EQ_INT(stored_ms(c, sid), t1);

	/* A later touch is written too; an older one never lowers it. */
	CHECK(session_touch_record(sid, t1 + 60000));
	CHECK(written(sid));
	CHECK_EQ_INT(stored_ms(c, sid), t1 + 60000);
	CHECK(session_touch_record(sid, t1));
	CHECK(written(sid));
	CHECK_EQ_INT(stored_ms(c, sid), t1 + 60000);

	/* The table is bounded: past TOUCH_MAX the caller writes itself.
	 * (A flush during the fill makes room again; recording until refused
	 * gets there within an interval all the same.) */
	CHECK(session_touch_record(sid, t1 + 120000));
	int taken = 0;
	bool refused = false;
	for (int64_t id = 1000; id < 1000 + 64 * TOUCH_MAX && !refused; id++) {
		if (session_touch_record(id, t1))
			taken++;
		else
			refused = true;
	}
	CHECK(refused);
	CHECK(taken >= TOUCH_MAX - 1); /* sid holds one slot */

	/* Stop writes what is left. */
	session_touch_stop(&app);
	CHECK_EQ_INT(stored_ms(c, sid), t1 + 120000);
	CHECK_EQ_INT(session_touch_pending(sid), 0);
	CHECK(!session_touch_record(sid, t1 + 180000));
out:
	if (c)
		db_release(c);
	db_close(app.db);
}

TEST(session_touch_batches_sqlite)
{
	unit_with_sqlite(touch_case);
}

TEST(session_touch_batches_pg)
{
	unit_with_pg(touch_case);
}
