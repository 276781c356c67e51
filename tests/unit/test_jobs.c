/* test_jobs.c — the job runner (src/jobs/): claiming, leases that run
 * out, backoff, blocked, retry, a clock that goes back, a job that kills
 * its node every time, a handler whose thread dies, stopping, and the
 * migration of the email queue's rows onto jobs. Each
 * case runs on SQLite and, with ATRIUM_TEST_PG, on PostgreSQL. Time is
 * moved with atr_clock_shift, never waited for. */
#include "atrium.h"

#include <pthread.h>
#include <time.h>

#include "core/embedded.h"
#include "email/email.h"
#include "jobs_fixture.h"

/* --- the test kinds ----------------------------------------------------- */

static atomic_int ut_calls, ut_fail_left, ut_exit_left;
static atomic_bool ut_block; /* ut_slow waits while set */

/* Fails while ut_fail_left > 0. */
static int ut_flaky(struct job_ctx *j, struct atr_err *err)
{
	atomic_fetch_add(&ut_calls, 1);
	if (atomic_fetch_sub(&ut_fail_left, 1) > 0)
		return atr_fail(err, ATR_E_INTERNAL, "flaky failure %lld",
				(long long)j->attempt);
	return JOB_OK;
}

/* Ends its own thread (as a crashing handler would) while ut_exit_left. */
static int ut_exiting(struct job_ctx *j, struct atr_err *err)
{
	atomic_fetch_add(&ut_calls, 1);
	if (atomic_fetch_sub(&ut_exit_left, 1) > 0)
		pthread_exit(NULL);
	return JOB_OK;
}

/* Runs until the runner stops, then gives the job back. */
static int ut_slow(struct job_ctx *j, struct atr_err *err)
{
	atomic_fetch_add(&ut_calls, 1);
	while (atomic_load(&ut_block) && !jobs_stopping()) {
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	return jobs_stopping() ? JOB_ABORTED : JOB_OK;
}

static const struct job_kind ut_kinds[] = {
	{"ut.flaky", ut_flaky, .max_attempts = 3, .lease_ms = 60000,
	 .backoff_base_ms = 1000},
	{"ut.exit", ut_exiting, .max_attempts = 5, .backoff_base_ms = 1},
	{"ut.slow", ut_slow, .max_attempts = 2, .lease_ms = 60000},
	{0},
};

static const struct module ut_module = {.name = "ut", .job_kinds = ut_kinds};
static const struct module *const ut_mods[] = {&ut_module, NULL};

static void reset_counters(int fail, int exits)
{
	atomic_store(&ut_calls, 0);
	atomic_store(&ut_fail_left, fail);
	atomic_store(&ut_exit_left, exits);
	atomic_store(&ut_block, false);
}

/* --- claiming and leases ------------------------------------------------ */

static void case_claim_lease(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	int64_t id = fx_enqueue(&f, "ut.flaky", NULL, 0);
	int64_t now = jobs_now_ms() + 1000;
	struct job_claimed got[4];
	CHECK_EQ_INT(job_claim(f.c, &f.reg, "node-a", now, false, 4, got), 1);
	CHECK_EQ_INT(got[0].id, id);
	CHECK_EQ_INT(got[0].attempts, 1);
	CHECK_STR(f.reg.kinds[got[0].kind].name, "ut.flaky");
	CHECK_JOB_STATUS(&f, id, "running");
	job_claimed_free(&got[0]);
	/* Held: nobody else gets it, not even by rescue before the lease
	 * runs out. */
	CHECK_EQ_INT(job_claim(f.c, &f.reg, "node-b", now, false, 4, got), 0);
	CHECK_EQ_INT(job_claim(f.c, &f.reg, "node-b", now + 59000, true, 4,
			       got),
		     0);
	/* Node a died: after its lease, node b takes the job over. */
	CHECK_EQ_INT(job_claim(f.c, &f.reg, "node-b", now + 61000, true, 4,
			       got),
		     1);
	CHECK_EQ_INT(got[0].attempts, 2);
	job_claimed_free(&got[0]);
	char *owner = fx_job_text(&f, id, "lease_owner");
	CHECK_STR(owner, "node-b");
	free(owner);
	/* Node a's late answer is refused; node b's counts. */
	CHECK_EQ_INT(job_end(f.c, id, "node-a", JE_DONE, NULL, now, 0), 0);
	CHECK_JOB_STATUS(&f, id, "running");
	CHECK_EQ_INT(job_end(f.c, id, "node-b", JE_DONE, NULL, now, 0), 1);
	CHECK_JOB_STATUS(&f, id, "done");
	/* A node never rescues its own lease (it knows the job runs). */
	int64_t id2 = fx_enqueue(&f, "ut.flaky", NULL, 0);
	CHECK_EQ_INT(job_claim(f.c, &f.reg, "node-a", now, false, 4, got), 1);
	job_claimed_free(&got[0]);
	CHECK_EQ_INT(job_claim(f.c, &f.reg, "node-a", now + 61000, true, 4,
			       got),
		     0);
	/* Put back: queued again, the attempt not counted. */
	CHECK_EQ_INT(job_end(f.c, id2, "node-a", JE_PUT_BACK, NULL, now, 0), 1);
	CHECK_JOB_STATUS(&f, id2, "queued");
	CHECK_EQ_INT(fx_job_int(&f, id2, "attempts"), 0);
	fx_close(&f);
}

TEST(jobs_claim_lease_sqlite)
{
	unit_with_sqlite(case_claim_lease);
}

TEST(jobs_claim_lease_pg)
{
	unit_with_pg(case_claim_lease);
}

/* --- backoff, blocked, retry -------------------------------------------- */

static void case_backoff_blocked(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	reset_counters(100, 0);
	int64_t id = fx_enqueue(&f, "ut.flaky", NULL, 0);
	int64_t shifted = 0;
	for (int attempt = 1; attempt <= 3; attempt++) {
		/* One run at a time: a jittered backoff can be 0 ms, and then
		 * the retry is due at once. */
		CHECK_EQ_INT(jobs_run_due(&f.app, &f.reg, "node-a", 1), 1);
		CHECK_EQ_INT(fx_job_int(&f, id, "attempts"), attempt);
		char *e = fx_job_text(&f, id, "last_error");
		CHECK_CONTAINS(e, "flaky failure");
		free(e);
		if (attempt < 3) {
			CHECK_JOB_STATUS(&f, id, "queued");
			/* The next attempt waits at most base * 2^(n-1). */
			char *run = fx_job_text(&f, id, "run_at");
			int64_t wait = atr_iso_ms(run) - jobs_now_ms();
			free(run);
			CHECK(wait <= 1000LL << (attempt - 1));
			atr_clock_shift(2000LL << attempt, 0);
			shifted += 2000LL << attempt;
		}
	}
	CHECK_JOB_STATUS(&f, id, "blocked");
	CHECK_EQ_INT(atomic_load(&ut_calls), 3);
	/* Blocked stays blocked. */
	atr_clock_shift(3600000, 0);
	shifted += 3600000;
	CHECK_EQ_INT(jobs_run_due(&f.app, &f.reg, "node-a", 10), 0);
	/* Retry: queued with attempts reset, and it runs. */
	atomic_store(&ut_fail_left, 0);
	json_t *ids = json_array();
	CHECK_EQ_INT(db_begin(f.c), 0);
	CHECK_EQ_INT(job_retry(f.c, 1, id, NULL, jobs_now_ms(), ids), 0);
	CHECK_EQ_INT(db_commit(f.c), 0);
	CHECK_EQ_INT(json_array_size(ids), 1);
	CHECK_EQ_INT(json_integer_value(json_array_get(ids, 0)), id);
	json_decref(ids);
	CHECK_JOB_STATUS(&f, id, "queued");
	CHECK_EQ_INT(fx_job_int(&f, id, "attempts"), 0);
	CHECK_EQ_INT(jobs_run_due(&f.app, &f.reg, "node-a", 10), 1);
	CHECK_JOB_STATUS(&f, id, "done");
	CHECK_EQ_INT(fx_job_int(&f, id, "attempts"), 1);
	char *e = fx_job_text(&f, id, "last_error");
	CHECK_STR(e, "");
	free(e);
	CHECK_EQ_INT(atomic_load(&f.reg.ok[0]), 1);
	CHECK_EQ_INT(atomic_load(&f.reg.failed[0]), 3);
	atr_clock_shift(-shifted, 0);
	fx_close(&f);
}

TEST(jobs_backoff_blocked_sqlite)
{
	unit_with_sqlite(case_backoff_blocked);
}

TEST(jobs_backoff_blocked_pg)
{
	unit_with_pg(case_backoff_blocked);
}

/* Retry all and by kind touch only blocked jobs of the organisation. */
static void case_retry_scope(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	int64_t a = fx_enqueue(&f, "ut.flaky", NULL, 0);
	int64_t b = fx_enqueue(&f, "ut.slow", NULL, 0);
	int64_t q = fx_enqueue(&f, "ut.flaky", NULL, 0);
	CHECK_EQ_INT(db_exec(f.c, "INSERT INTO org (id, name, created_at, "
				  "kind, parent_id) VALUES (2, 'Other', "
				  "'2026-01-01T00:00:00.000Z', 'business', 1)"),
		     0);
	char *sql = xasprintf("UPDATE job SET status = 'blocked', attempts = "
			      "3 WHERE id IN (%lld, %lld)",
			      (long long)a, (long long)b);
	CHECK_EQ_INT(db_exec(f.c, sql), 0);
	free(sql);
	json_t *ids = json_array();
	CHECK_EQ_INT(db_begin(f.c), 0);
	CHECK_EQ_INT(job_retry(f.c, 2, 0, NULL, jobs_now_ms(), ids), 0);
	CHECK_EQ_INT(json_array_size(ids), 0); /* another organisation */
	CHECK_EQ_INT(job_retry(f.c, 1, 0, "ut.slow", jobs_now_ms(), ids), 0);
	CHECK_EQ_INT(json_array_size(ids), 1);
	CHECK_EQ_INT(job_retry(f.c, 1, 0, NULL, jobs_now_ms(), ids), 0);
	CHECK_EQ_INT(json_array_size(ids), 2);
	CHECK_EQ_INT(db_commit(f.c), 0);
	CHECK_EQ_INT(json_integer_value(json_array_get(ids, 0)), b);
	CHECK_EQ_INT(json_integer_value(json_array_get(ids, 1)), a);
	json_decref(ids);
	CHECK_JOB_STATUS(&f, q, "queued");
	CHECK_EQ_INT(fx_job_int(&f, a, "attempts"), 0);
	fx_close(&f);
}

TEST(jobs_retry_scope_sqlite)
{
	unit_with_sqlite(case_retry_scope);
}

TEST(jobs_retry_scope_pg)
{
	unit_with_pg(case_retry_scope);
}

/* A suspended organisation's jobs stay queued: the claim passes them by
 * until the organisation is resumed (auth/org.h). */
static void case_claim_suspended(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	CHECK_EQ_INT(db_exec(f.c, "INSERT INTO org (id, name, created_at, "
				  "kind, parent_id, status, suspended_at) "
				  "VALUES (2, 'Other', '2026-01-01T00:00:00."
				  "000Z', 'business', 1, 'suspended', "
				  "'2026-01-02T00:00:00.000Z')"),
		     0);
	int64_t mine = fx_enqueue(&f, "ut.flaky", NULL, 0);
	int64_t theirs = fx_enqueue(&f, "ut.flaky", NULL, 0);
	char *sql = xasprintf("UPDATE job SET org_id = 2 WHERE id = %lld",
			      (long long)theirs);
	CHECK_EQ_INT(db_exec(f.c, sql), 0);
	free(sql);
	struct job_claimed got[4];
	int n = job_claim(f.c, &f.reg, "node-a", jobs_now_ms(), false, 4, got);
	CHECK_EQ_INT(n, 1);
	if (n == 1)
		CHECK_EQ_INT(got[0].id, mine);
	for (int i = 0; i < n; i++)
		job_claimed_free(&got[i]);
	/* The rescue claim (expired leases, clock steps) passes it by too. */
	n = job_claim(f.c, &f.reg, "node-a", jobs_now_ms(), true, 4, got);
	CHECK_EQ_INT(n, 0);
	for (int i = 0; i < n; i++)
		job_claimed_free(&got[i]);
	CHECK_JOB_STATUS(&f, theirs, "queued");
	CHECK_EQ_INT(db_exec(f.c, "UPDATE org SET status = 'active', "
				  "suspended_at = NULL WHERE id = 2"),
		     0);
	n = job_claim(f.c, &f.reg, "node-a", jobs_now_ms(), false, 4, got);
	CHECK_EQ_INT(n, 1);
	if (n == 1) {
		CHECK_EQ_INT(got[0].id, theirs);
		CHECK_EQ_INT(got[0].org_id, 2);
	}
	for (int i = 0; i < n; i++)
		job_claimed_free(&got[i]);
	fx_close(&f);
}

TEST(jobs_claim_suspended_sqlite)
{
	unit_with_sqlite(case_claim_suspended);
}

TEST(jobs_claim_suspended_pg)
{
	unit_with_pg(case_claim_suspended);
}

TEST(jobs_backoff_full_jitter)
{
	for (int64_t n = 1; n <= 30; n++) {
		int64_t ceil = 1000;
		for (int64_t i = 1; i < n && ceil < JOB_BACKOFF_CAP_MS; i++)
			ceil *= 2;
		if (ceil > JOB_BACKOFF_CAP_MS)
			ceil = JOB_BACKOFF_CAP_MS;
		int64_t lo = INT64_MAX, hi = -1;
		for (int k = 0; k < 200; k++) {
			int64_t d = job_backoff_ms(1000, n);
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
		CHECK(lo >= 0);
		CHECK(hi <= ceil);
		CHECK(lo != hi); /* jittered: 200 draws are not all equal */
	}
	CHECK(job_backoff_ms(1000, 100) <= JOB_BACKOFF_CAP_MS);
}

/* --- the clock ---------------------------------------------------------- */

/* A retry scheduled before the clock went back is due at once, not after
 * the jump (issue 9, item 13). */
static void case_clock_back(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	reset_counters(0, 0);
	int64_t id = fx_enqueue(&f, "ut.flaky", NULL, 0);
	char run[ATR_TIME_LEN], at[ATR_TIME_LEN];
	int64_t now = jobs_now_ms();
	atr_time_iso(now + 10 * 60000, run); /* a backoff of 10 minutes */
	atr_time_iso(now, at);
	char *sql = xasprintf("UPDATE job SET run_at = '%s', scheduled_at = "
			      "'%s', attempts = 1 WHERE id = %lld",
			      run, at, (long long)id);
	CHECK_EQ_INT(db_exec(f.c, sql), 0);
	free(sql);
	CHECK_EQ_INT(jobs_run_due(&f.app, &f.reg, "node-a", 10), 0);
	/* The clock goes back an hour. */
	atr_clock_shift(-3600000, 0);
	struct job_claimed got[2];
	CHECK_EQ_INT(job_claim(f.c, &f.reg, "node-a", jobs_now_ms(), false, 2,
			       got),
		     0);
	CHECK_EQ_INT(jobs_run_due(&f.app, &f.reg, "node-a", 10), 1);
	CHECK_JOB_STATUS(&f, id, "done");
	atr_clock_shift(3600000, 0);
	fx_close(&f);
}

TEST(jobs_clock_back_sqlite)
{
	unit_with_sqlite(case_clock_back);
}

TEST(jobs_clock_back_pg)
{
	unit_with_pg(case_clock_back);
}

/* A job that kills its node every time (its lease runs out, again and
 * again) ends blocked without running once more. */
static void case_poison(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	reset_counters(0, 0);
	int64_t id = fx_enqueue(&f, "ut.slow", NULL, 0); /* max 2 attempts */
	int64_t now = jobs_now_ms();
	struct job_claimed got[2];
	for (int i = 0; i < 2; i++) {
		CHECK_EQ_INT(job_claim(f.c, &f.reg, i ? "node-b" : "node-a",
				       now + i * 61000, i > 0, 2, got),
			     1);
		job_claimed_free(&got[0]); /* ... and the node dies */
	}
	CHECK_EQ_INT(job_claim(f.c, &f.reg, "node-c", now + 122000, true, 2,
			       got),
		     1);
	CHECK_EQ_INT(got[0].attempts, 3);
	CHECK_EQ_INT(jobs_run_one(&f.app, &f.reg, "node-c", &got[0]),
		     JOB_FAILED);
	job_claimed_free(&got[0]);
	CHECK_EQ_INT(atomic_load(&ut_calls), 0);
	CHECK_JOB_STATUS(&f, id, "blocked");
	char *e = fx_job_text(&f, id, "last_error");
	CHECK_CONTAINS(e, "did not finish");
	free(e);
	fx_close(&f);
}

TEST(jobs_poison_sqlite)
{
	unit_with_sqlite(case_poison);
}

TEST(jobs_poison_pg)
{
	unit_with_pg(case_poison);
}

/* --- the runner's threads ----------------------------------------------- */

/* Polls (2 ms steps, bounded) until job id has status want. */
static bool wait_status(struct fx *f, int64_t id, const char *want)
{
	for (int i = 0; i < 10000; i++) {
		char *s = fx_job_text(f, id, "status");
		bool ok = !strcmp(s, want);
		free(s);
		if (ok)
			return true;
		jobs_wake();
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	FAILF("job %lld never became %s", (long long)id, want);
	return false;
}

/* A handler whose thread dies does not lose the job: the attempt is
 * recorded as failed, a new worker thread takes over, the retry runs. */
static void case_thread_dies(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	reset_counters(0, 2);
	struct atr_err err = {0};
	if (!CHECK_EQ_INT(runner_start(&f.app, &err), 0)) {
		fx_close(&f);
		return;
	}
	int64_t id = fx_enqueue(&f, "ut.exit", NULL, 0);
	jobs_wake();
	wait_status(&f, id, "done");
	CHECK_EQ_INT(atomic_load(&ut_calls), 3);
	CHECK_EQ_INT(fx_job_int(&f, id, "attempts"), 3);
	const struct jobs_registry *reg = runner_registry();
	if (CHECK(reg != NULL)) {
		int k = jobs_kind_index(reg, "ut.exit");
		CHECK_EQ_INT(atomic_load(&reg->failed[k]), 2);
		CHECK_EQ_INT(atomic_load(&reg->ok[k]), 1);
	}
	/* Both workers died once; the replacements still run jobs. */
	reset_counters(0, 0);
	int64_t id2 = fx_enqueue(&f, "ut.exit", NULL, 0);
	int64_t id3 = fx_enqueue(&f, "ut.flaky", NULL, 0);
	jobs_wake();
	wait_status(&f, id2, "done");
	wait_status(&f, id3, "done");
	runner_stop();
	fx_close(&f);
}

TEST(jobs_thread_dies_sqlite)
{
	unit_with_sqlite(case_thread_dies);
}

TEST(jobs_thread_dies_pg)
{
	unit_with_pg(case_thread_dies);
}

/* Stopping puts a running job back without counting the attempt. */
static void case_stop_puts_back(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	reset_counters(0, 0);
	atomic_store(&ut_block, true);
	struct atr_err err = {0};
	if (!CHECK_EQ_INT(runner_start(&f.app, &err), 0)) {
		fx_close(&f);
		return;
	}
	int64_t id = fx_enqueue(&f, "ut.slow", NULL, 0);
	jobs_wake();
	wait_status(&f, id, "running");
	runner_stop();
	CHECK_JOB_STATUS(&f, id, "queued");
	CHECK_EQ_INT(fx_job_int(&f, id, "attempts"), 0);
	char *owner = fx_job_text(&f, id, "lease_owner");
	CHECK_STR(owner, "");
	free(owner);
	CHECK(!jobs_stopping());
	fx_close(&f);
}

TEST(jobs_stop_puts_back_sqlite)
{
	unit_with_sqlite(case_stop_puts_back);
}

TEST(jobs_stop_puts_back_pg)
{
	unit_with_pg(case_stop_puts_back);
}

TEST(jobs_registry_refuses_bad_kinds)
{
	static const struct job_kind bad[] = {{"Bad Name", ut_flaky}, {0}};
	static const struct job_kind twice[] = {{"ut.flaky", ut_flaky}, {0}};
	static const struct module mb = {.name = "b", .job_kinds = bad};
	static const struct module mt = {.name = "t", .job_kinds = twice};
	const struct module *const m1[] = {&mb, NULL};
	const struct module *const m2[] = {&ut_module, &mt, NULL};
	struct jobs_registry reg;
	struct atr_err err = {0};
	CHECK_EQ_INT(jobs_registry_build(m1, &reg, &err), -1);
	CHECK_CONTAINS(err.msg, "bad name");
	atr_err_clear(&err);
	CHECK_EQ_INT(jobs_registry_build(m2, &reg, &err), -1);
	CHECK_CONTAINS(err.msg, "declared twice");
	/* The binary's own table builds, with email among its kinds. */
	CHECK_EQ_INT(jobs_registry_build(unit_app.modules, &reg, &err), 0);
	CHECK(jobs_kind_index(&reg, "email") >= 0);
	jobs_registry_free(&reg);
}

/* --- the migration of the email queue ------------------------------------ */

/* Runs the dialect's migrations whose names sort before `before` (or
 * from it on, with from = true). */
static bool run_migrations(struct db_conn *c, const char *before, bool from)
{
	const char *dir = db_conn_dialect(c) == DB_PG ? "migrations/pg/"
						      : "migrations/sqlite/";
	for (const struct embedded_file *f = embedded_files; f->name; f++) {
		if (strncmp(f->name, dir, strlen(dir)) != 0)
			continue;
		bool early = strcmp(f->name + strlen(dir), before) < 0;
		if (early == from)
			continue;
		char *sql = xstrndup((const char *)f->data, f->size);
		int rc = db_exec(c, sql);
		free(sql);
		if (rc < 0) {
			FAILF("%s: %s", f->name, db_errmsg(c));
			return false;
		}
	}
	return true;
}

/* Queue rows of every status written before 0007 keep their state as
 * jobs, and new ids follow the old ones. */
static void case_migrate_email(const char *url)
{
	struct db *db = NULL;
	struct atr_err err = {0};
	if (!CHECK_EQ_INT(db_open(url, 2, &db, &err), 0))
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c || !run_migrations(c, "0007", false))
		goto out;
	const char *rows =
		/* ids 1 to 4, from the table's own sequence */
		"INSERT INTO email_queue (org_id, to_addr, subject, "
		"body_text, template, status, attempts, next_attempt_at, "
		"last_error, created_at, sent_at, locked_until) VALUES "
		"(1, 'a@x.test', 'A', 'v1:x', 'test', 'queued', 2, "
		"'2026-01-01T00:05:00.000Z', 'e1', '2026-01-01T00:00:00.000Z', "
		"NULL, NULL),"
		"(1, 'b@x.test', 'B', 'v1:x', 'test', 'sending', 1, "
		"'2026-01-01T00:00:00.000Z', NULL, '2026-01-01T00:00:00.000Z', "
		"NULL, '2026-01-01T00:12:40.000Z'),"
		"(1, 'c@x.test', 'C', 'v1:x', 'test', 'sent', 3, "
		"'2026-01-01T00:00:00.000Z', NULL, '2026-01-01T00:00:00.000Z', "
		"'2026-01-01T00:01:00.000Z', NULL),"
		"(1, 'd@x.test', 'D', 'v1:x', 'test', 'blocked', 5, "
		"'2026-01-01T00:09:00.000Z', 'e4', '2026-01-01T00:00:00.000Z', "
		"NULL, NULL)";
	if (!CHECK_EQ_INT(db_exec(c, rows), 0) || !run_migrations(c, "0007", true))
		goto out;
	static const struct {
		const char *sql;
		int64_t want;
	} checks[] = {
		{"SELECT COUNT(*) FROM job WHERE kind = 'email'", 3},
		{"SELECT COUNT(*) FROM job WHERE id = 1 AND status = 'queued' "
		 "AND attempts = 2 AND run_at = '2026-01-01T00:05:00.000Z' AND "
		 "last_error = 'e1'", 1},
		{"SELECT COUNT(*) FROM job WHERE id = 2 AND status = 'running' "
		 "AND lease_owner = 'migrated' AND lease_until = "
		 "'2026-01-01T00:12:40.000Z'", 1},
		{"SELECT COUNT(*) FROM job WHERE id = 4 AND status = 'blocked' "
		 "AND attempts = 5 AND last_error = 'e4' AND finished_at IS NOT "
		 "NULL", 1},
		{"SELECT COUNT(*) FROM email_queue WHERE id = 3 AND job_id IS "
		 "NULL AND attempts = 3 AND sent_at IS NOT NULL", 1},
		{"SELECT COUNT(*) FROM email_queue WHERE job_id = id", 3},
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(checks); i++)
		if (!CHECK_EQ_INT(unit_db_scalar(c, checks[i].sql),
				  checks[i].want))
			FAILF("check %zu: %s", i, checks[i].sql);
	int64_t n[EMAIL_NSTATUS];
	if (CHECK_EQ_INT(email_queue_counts(c, 1, n), 0)) {
		CHECK_EQ_INT(n[EMAIL_QUEUED], 1);
		CHECK_EQ_INT(n[EMAIL_SENDING], 1);
		CHECK_EQ_INT(n[EMAIL_SENT], 1);
		CHECK_EQ_INT(n[EMAIL_BLOCKED], 1);
	}
	/* New rows get new ids in both tables. */
	int64_t id = 0;
	if (CHECK_EQ_INT(db_begin(c), 0)) {
		CHECK_EQ_INT(job_enqueue(c, &(struct job_new){.kind = "email",
							     .org_id = 1},
					 &id, &err),
			     0);
		CHECK_EQ_INT(db_exec(c, "INSERT INTO email_queue (org_id, "
					"to_addr, subject, body_text, template, "
					"created_at) VALUES (1, 'e@x.test', 'E', "
					"'v1:x', 'test', '2026-01-02T00:00:00."
					"000Z')"),
			     0);
		CHECK_EQ_INT(db_commit(c), 0);
	}
	CHECK(id > 4);
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT MAX(id) FROM email_queue"), 5);
out:
	db_release(c);
	db_close(db);
}

TEST(jobs_migrate_email_sqlite)
{
	unit_with_sqlite(case_migrate_email);
}

TEST(jobs_migrate_email_pg)
{
	unit_with_pg(case_migrate_email);
}
