/* test_sched.c — the scheduler (src/jobs/sched.c): the lease, once per
 * period, a failing task, a run interrupted by a dead node, a clock that
 * goes back; and the clock-jump defences of issue 9 item 13 (housekeeping
 * never runs ahead of real time, idle sessions are removed before a jump
 * back could revive them, the queue metrics are not frozen by a jump).
 * Time moves with atr_clock_shift. On SQLite and, with ATRIUM_TEST_PG, on
 * PostgreSQL. */
#include "atrium.h"

#include "core/buf.h"
#include "jobs_fixture.h"

static atomic_int tick_runs;
static atomic_bool tick_fails;

static int ut_tick(struct app *app, struct db_conn *c, int64_t now,
		   struct atr_err *err)
{
	atomic_fetch_add(&tick_runs, 1);
	if (atomic_load(&tick_fails))
		return atr_fail(err, ATR_E_INTERNAL, "the tick broke");
	return 0;
}

static const struct sched_task ut_tasks[] = {
	/* An hour: a real hour boundary does not pass between two calls. */
	{"ut_tick", .interval_ms = 3600000, .run = ut_tick},
	{0},
};

static const struct module ut_module = {.name = "ut", .tasks = ut_tasks};
static const struct module *const ut_mods[] = {&ut_module, NULL};

/* Runs the scheduler once, as `atrium cron`; the number of tasks run,
 * or -1 when another node holds the lease (holder filled). */
static int run_once(struct fx *f, char *holder)
{
	json_t *ran = json_array();
	char h[160] = "";
	struct atr_err err = {0};
	int rc = sched_run_once(&f->app, "cron", ran, h, sizeof h, &err);
	int n = (int)json_array_size(ran);
	json_decref(ran);
	if (holder)
		atr_strlcpy(holder, h, 160);
	if (rc < 0)
		FAILF("sched_run_once: %s", err.msg);
	return rc == 1 ? n : -1;
}

static int64_t task_int(struct fx *f, const char *col)
{
	char *sql = xasprintf("SELECT %s FROM sched_task WHERE name = "
			      "'ut_tick'",
			      col);
	int64_t v = unit_db_scalar(f->c, sql);
	free(sql);
	return v;
}

#define HOUR 3600000LL

static void case_once_per_period(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	atomic_store(&tick_runs, 0);
	atomic_store(&tick_fails, false);
	/* First run: the task gets its row, due at the next hour. */
	CHECK_EQ_INT(run_once(&f, NULL), 0);
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM sched_task"),
		     1);
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM sched_state "
					 "WHERE lease_owner IS NULL AND "
					 "last_tick_at IS NOT NULL"),
		     1); /* the lease given back, the tick recorded */
	int64_t shifted = HOUR;
	atr_clock_shift(HOUR, HOUR);
	CHECK_EQ_INT(run_once(&f, NULL), 1);
	CHECK_EQ_INT(run_once(&f, NULL), 0); /* once per period */
	CHECK_EQ_INT(atomic_load(&tick_runs), 1);
	CHECK_EQ_INT(task_int(&f, "runs"), 1);
	/* Another node holds the lease: nothing runs here. */
	char until[ATR_TIME_LEN];
	atr_time_iso(jobs_now_ms() + 2 * HOUR, until);
	char *sql = xasprintf("UPDATE sched_state SET lease_owner = "
			      "'other-node', lease_until = '%s'",
			      until);
	CHECK_EQ_INT(db_exec(f.c, sql), 0);
	free(sql);
	atr_clock_shift(HOUR, HOUR);
	shifted += HOUR;
	char holder[160];
	CHECK_EQ_INT(run_once(&f, holder), -1);
	CHECK_CONTAINS(holder, "other-node");
	CHECK_EQ_INT(atomic_load(&tick_runs), 1);
	/* Its lease runs out (the node died): this one takes over. */
	atr_clock_shift(HOUR + 31000, HOUR + 31000);
	shifted += HOUR + 31000;
	CHECK_EQ_INT(run_once(&f, NULL), 1);
	CHECK_EQ_INT(atomic_load(&tick_runs), 2);
	/* A failing task records its error and runs again next period. */
	atomic_store(&tick_fails, true);
	atr_clock_shift(HOUR, HOUR);
	shifted += HOUR;
	CHECK_EQ_INT(run_once(&f, NULL), 1);
	CHECK_EQ_INT(task_int(&f, "failures"), 1);
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM sched_task "
					 "WHERE last_error = 'the tick broke'"),
		     1);
	atomic_store(&tick_fails, false);
	atr_clock_shift(HOUR, HOUR);
	shifted += HOUR;
	CHECK_EQ_INT(run_once(&f, NULL), 1);
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM sched_task "
					 "WHERE last_error IS NULL"),
		     1);
	CHECK_EQ_INT(task_int(&f, "runs"), 4);
	/* The history: one run per due time. */
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(DISTINCT due_at) FROM "
					 "sched_run WHERE task = 'ut_tick'"),
		     4);
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM sched_run"), 4);
	/* The clock goes back three hours: the task is due at once, not in
	 * three hours. */
	atr_clock_shift(-3 * HOUR, 0);
	CHECK_EQ_INT(run_once(&f, NULL), 1);
	CHECK_EQ_INT(run_once(&f, NULL), 0);
	atr_clock_shift(3 * HOUR - shifted, 0);
	fx_close(&f);
}

TEST(sched_once_per_period_sqlite)
{
	unit_with_sqlite(case_once_per_period);
}

TEST(sched_once_per_period_pg)
{
	unit_with_pg(case_once_per_period);
}

/* A node killed mid-task: the next leader records the interruption and
 * runs the task again at once. */
static void case_interrupted(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	atomic_store(&tick_runs, 0);
	atomic_store(&tick_fails, false);
	CHECK_EQ_INT(run_once(&f, NULL), 0);
	char since[ATR_TIME_LEN], until[ATR_TIME_LEN];
	atr_time_iso(jobs_now_ms() - 40000, since);
	atr_time_iso(jobs_now_ms() - 10000, until);
	char *sql = xasprintf("UPDATE sched_task SET running_since = '%s', "
			      "running_node = 'dead-node:1:abcdef'; UPDATE "
			      "sched_state SET lease_owner = "
			      "'dead-node:1:abcdef', lease_until = '%s'",
			      since, until);
	CHECK_EQ_INT(db_exec(f.c, sql), 0);
	free(sql);
	CHECK_EQ_INT(run_once(&f, NULL), 1);
	CHECK_EQ_INT(atomic_load(&tick_runs), 1);
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM sched_run "
					 "WHERE node = 'dead-node:1:abcdef' "
					 "AND error LIKE 'interrupted%'"),
		     1);
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM sched_run "
					 "WHERE error IS NULL"),
		     1);
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM sched_task "
					 "WHERE running_since IS NULL AND "
					 "failures = 1 AND runs = 2"),
		     1);
	fx_close(&f);
}

TEST(sched_interrupted_sqlite)
{
	unit_with_sqlite(case_interrupted);
}

TEST(sched_interrupted_pg)
{
	unit_with_pg(case_interrupted);
}

/* --- clock jumps (issue 9, item 13) ------------------------------------- */

TEST(sched_housekeeping_clock)
{
	sched_housekeeping_reset();
	int64_t t = atr_iso_ms("2026-06-01T00:00:00.000Z");
	CHECK_EQ_INT(sched_housekeeping_now(t), t);
	/* A minute passes, the clock jumps 13 hours ahead: housekeeping
	 * sees only the minute. */
	/* (The monotonic clock also moves by the microseconds between the
	 * calls: a millisecond of slack.) */
	atr_clock_shift(0, 60000);
	int64_t h = sched_housekeeping_now(t + 13 * 3600000LL + 60000);
	CHECK(h >= t + 60000 && h <= t + 61000);
	atr_clock_shift(0, 60000);
	h = sched_housekeeping_now(t + 13 * 3600000LL + 120000);
	CHECK(h >= t + 120000 && h <= t + 122000);
	/* The clock comes back: housekeeping follows it at once. */
	atr_clock_shift(0, 60000);
	CHECK_EQ_INT(sched_housekeeping_now(t + 180000), t + 180000);
	/* Small differences (a slewing clock) are no jump. */
	atr_clock_shift(0, 60000);
	CHECK_EQ_INT(sched_housekeeping_now(t + 241000), t + 241000);
	sched_housekeeping_reset();
}

/* Inserts a session of staff 1: last seen and expiry relative to now. */
static void add_session(struct fx *f, const char *hash, int64_t seen_ago,
			int64_t expires_in)
{
	int64_t now = jobs_now_ms();
	char seen[ATR_TIME_LEN], exp[ATR_TIME_LEN];
	atr_time_iso(now - seen_ago, seen);
	atr_time_iso(now + expires_in, exp);
	char *sql = xasprintf("INSERT INTO session (org_id, staff_id, "
			      "token_hash, created_at, last_seen_at, "
			      "expires_at, idle_minutes) VALUES (1, 1, '%s', "
			      "'%s', '%s', '%s', 30)",
			      hash, seen, seen, exp);
	CHECK_EQ_INT(db_exec(f->c, sql), 0);
	free(sql);
}

static int64_t sessions(struct fx *f, const char *hash)
{
	char *sql = xasprintf("SELECT COUNT(*) FROM session WHERE token_hash "
			      "= '%s'",
			      hash);
	int64_t n = unit_db_scalar(f->c, sql);
	free(sql);
	return n;
}

/* Housekeeping through the scheduler's clock: a forward jump deletes no
 * live session; idle-expired ones are gone before a jump back could
 * bring them back. */
static void case_sessions_jump(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, unit_app.modules))
		return;
	CHECK_EQ_INT(db_exec(f.c, "INSERT INTO staff (id, org_id, email, "
				  "email_norm, name, created_at, updated_at) "
				  "VALUES (1, 1, 'a@x.test', 'a@x.test', 'A', "
				  "'2026-01-01T00:00:00.000Z', "
				  "'2026-01-01T00:00:00.000Z')"),
		     0);
	add_session(&f, "live", 0, 12 * 3600000LL);
	add_session(&f, "idle", 40 * 60000LL, 11 * 3600000LL);
	add_session(&f, "over", 0, -60000);
	int64_t n = modules_housekeeping(
		&f.app, f.c, sched_housekeeping_now(jobs_now_ms()));
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(sessions(&f, "live"), 1);
	CHECK_EQ_INT(sessions(&f, "idle"), 0); /* cannot come back */
	CHECK_EQ_INT(sessions(&f, "over"), 0);
	/* A minute later the clock jumps 13 hours ahead (past every
	 * session's absolute expiry). */
	atr_clock_shift(13 * 3600000LL, 60000);
	CHECK_EQ_INT(modules_housekeeping(
			     &f.app, f.c,
			     sched_housekeeping_now(jobs_now_ms())),
		     0);
	CHECK_EQ_INT(sessions(&f, "live"), 1);
	atr_clock_shift(-13 * 3600000LL, 60000);
	CHECK_EQ_INT(modules_housekeeping(
			     &f.app, f.c,
			     sched_housekeeping_now(jobs_now_ms())),
		     0);
	CHECK_EQ_INT(sessions(&f, "live"), 1);
	fx_close(&f);
}

TEST(sched_sessions_clock_jump_sqlite)
{
	unit_with_sqlite(case_sessions_jump);
}

TEST(sched_sessions_clock_jump_pg)
{
	unit_with_pg(case_sessions_jump);
}

extern const struct module module_email, module_jobs;

/* The value of the metric line `name value`, or -1. */
static int64_t metric(const char *text, const char *name)
{
	const char *p = strstr(text, name);
	if (!p)
		return -1;
	p += strlen(name);
	char num[32];
	size_t n = strcspn(p, "\n");
	snprintf(num, sizeof num, "%.*s", (int)(n < 31 ? n : 31), p);
	int64_t v;
	return atr_parse_i64(num + (num[0] == ' '), &v) == 0 ? v : -1;
}

static void add_email(struct fx *f)
{
	char at[ATR_TIME_LEN];
	atr_time_iso(jobs_now_ms(), at);
	char *sql = xasprintf(
		"INSERT INTO job (org_id, kind, status, run_at, scheduled_at, "
		"created_at) VALUES (1, 'email', 'blocked', '%s', '%s', '%s')",
		at, at, at);
	CHECK_EQ_INT(db_exec(f->c, sql), 0);
	free(sql);
	sql = xasprintf("INSERT INTO email_queue (org_id, to_addr, subject, "
			"body_text, template, created_at, job_id) SELECT 1, "
			"'a@x.test', 'S', 'B', 'test', '%s', MAX(id) FROM job",
			at);
	CHECK_EQ_INT(db_exec(f->c, sql), 0);
	free(sql);
}

/* The queue metrics are recounted by the monotonic clock: a jump forward
 * and back does not freeze them (issue 9, item 13). */
static void case_metric_jump(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, unit_app.modules))
		return;
	static const char *const names[] = {
		"atrium_email_queue{status=\"blocked\"}",
		"atrium_jobs{kind=\"email\",status=\"blocked\"}"};
	const struct module *mods[] = {&module_email, &module_jobs};
	int64_t want = 0;
	for (int step = 0; step < 3; step++) {
		if (step == 1)
			atr_clock_shift(3600000, 0); /* forward */
		if (step == 2)
			atr_clock_shift(-3600000, 0); /* and back */
		atr_clock_shift(0, 6000); /* the cache's few seconds pass */
		for (int m = 0; m < 2; m++) {
			struct buf b = BUF_INIT;
			mods[m]->metrics(&f.app, &b);
			CHECK_EQ_INT(metric(buf_str(&b), names[m]), want);
			buf_free(&b);
		}
		add_email(&f);
		want++;
	}
	fx_close(&f);
}

TEST(sched_metric_clock_jump_sqlite)
{
	unit_with_sqlite(case_metric_jump);
}

TEST(sched_metric_clock_jump_pg)
{
	unit_with_pg(case_metric_jump);
}

/* The clock warnings: on PostgreSQL this machine's clock against the
 * database server's (and jobs_now_ms keeps to the database's); on SQLite
 * a jump of the wall clock against the monotonic clock. */
static void case_clock_warnings(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, unit_app.modules))
		return;
	char warn[320];
	bool pg = db_conn_dialect(f.c) == DB_PG;
	CHECK_EQ_INT(jobs_clock_sync(f.c, warn, sizeof warn), 0);
	CHECK_STR(warn, "");
	atr_clock_shift(3600000, 0); /* this machine's clock: an hour ahead */
	CHECK_EQ_INT(jobs_clock_sync(f.c, warn, sizeof warn), 0);
	if (pg) {
		CHECK_CONTAINS(warn, "is 3600.");
		CHECK_CONTAINS(warn, "s ahead of the database server's");
		/* Jobs keep to the database's clock. */
		int64_t d = jobs_now_ms() - (atr_now_ms() - 3600000);
		CHECK(d > -2000 && d < 2000);
		CHECK_EQ_INT(jobs_clock_sync(f.c, warn, sizeof warn), 0);
		CHECK_STR(warn, ""); /* said once */
	} else {
		CHECK_CONTAINS(warn, "jumped forward by 3600.");
	}
	atr_clock_shift(-3600000, 0);
	CHECK_EQ_INT(jobs_clock_sync(f.c, warn, sizeof warn), 0);
	CHECK_CONTAINS(warn, pg ? "agrees with the database server's again"
				: "jumped back by 3600.");
	fx_close(&f);
}

TEST(sched_clock_warnings_sqlite)
{
	unit_with_sqlite(case_clock_warnings);
}

TEST(sched_clock_warnings_pg)
{
	unit_with_pg(case_clock_warnings);
}
