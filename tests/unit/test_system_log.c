/* test_system_log.c — the system log's recording (admin/system_log.c): a
 * line logged outside any request is an entry of its own; the lines a
 * request logged go with its 5xx answer (the first line, cleaned); a good
 * request writes nothing; everything is written by the module's thread
 * and flushed at stop. SQLite and PostgreSQL. */
#include "atrium.h"

#include "core/app.h"
#include "core/log.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "unit.h"

extern const struct module module_system_log;

static void answer(struct app *app, const char *rid, int status)
{
	struct req r = {0};
	atr_strlcpy(r.request_id, rid, sizeof r.request_id);
	r.status = status;
	r.method = HTTP_POST;
	r.who.org_id = 1;
	module_system_log.observe(app, &r, 1.0);
}

static void case_recording(const char *url)
{
	struct app app = {0};
	app.db = unit_db_open(url, true);
	if (!app.db)
		return;
	struct atr_err err = {0};
	if (!CHECK_EQ_INT(module_system_log.start(&app, &err), 0)) {
		db_close(app.db);
		return;
	}
	atr_log("postgresql: a notice outside any request token=abc");

	const char *bad = "00112233445566778899aabbccddeeff";
	atr_log_request(bad);
	atr_log("error request_id=%s: no such table: lead", bad);
	atr_log("a second line of the same request");
	answer(&app, bad, 500);
	atr_log_request(NULL);

	const char *good = "ffeeddccbbaa99887766554433221100";
	atr_log_request(good);
	answer(&app, good, 200);
	atr_log_request(NULL);

	/* A 503 nobody logged a line for: its problem's words. */
	answer(&app, "0000000000000000000000000000000a", 503);

	module_system_log.stop(&app); /* writes what is left */

	struct db_conn *c = unit_db_acquire(app.db);
	if (!c) {
		db_close(app.db);
		return;
	}
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM system_log"), 3);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM system_log WHERE "
				       "status IS NULL AND request_id IS NULL "
				       "AND org_id IS NULL AND message = "
				       "'postgresql: a notice outside any "
				       "request token=[redacted]'"),
		     1);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM system_log WHERE "
				       "status = 500 AND method = 'POST' AND "
				       "route = '-' AND org_id = 1 AND "
				       "request_id = "
				       "'00112233445566778899aabbccddeeff' AND "
				       "message = 'no such table: lead'"),
		     1);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM system_log WHERE "
				       "status = 503 AND message = "
				       "'server error'"),
		     1);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM system_log WHERE "
				       "request_id = "
				       "'ffeeddccbbaa99887766554433221100'"),
		     0);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT COUNT(*) FROM system_log WHERE "
				       "node = ''"),
		     0);
	db_release(c);
	db_close(app.db);
}

TEST(system_log_recording_sqlite)
{
	unit_with_sqlite(case_recording);
}

TEST(system_log_recording_pg)
{
	unit_with_pg(case_recording);
}
