/* jobs_bench.c — the job runner's throughput, and what it leaves to
 * request writes on SQLite's single writer (make bench; bench/README.md).
 *
 *   build/bench_jobs URL [JOBS] [WORKERS]
 *
 * URL is sqlite:PATH or postgresql://... of an empty database (migrated
 * here). It queues JOBS no-op jobs (default 20000), starts the runner of
 * `atrium serve` with WORKERS workers (default 4) over a module table whose
 * only kind does nothing, and reports jobs per second through claim, run
 * and finish. Then, with as many jobs queued again, it measures a
 * request-like write (BEGIN; INSERT; COMMIT) in a loop for 3 seconds, once
 * alone and once while the runner drains the queue: p50 and p99 latency
 * of the writes, and how many each managed.
 */
#include "atrium.h"

#include <pthread.h>
#include <sodium.h>
#include <time.h>

#include "core/app.h"
#include "core/module.h"
#include "db/db.h"
#include "db/migrate.h"
#include "jobs/jobs_int.h"

static atomic_long ran;

static int noop(struct job_ctx *j, struct atr_err *err)
{
	atomic_fetch_add(&ran, 1);
	return JOB_OK;
}

static const struct job_kind kinds[] = {{"bench.noop", noop}, {0}};
static const struct module bench_module = {.name = "bench",
					   .job_kinds = kinds};
static const struct module *const mods[] = {&bench_module, NULL};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* Queues n no-op jobs in transactions of 1000. */
static void enqueue(struct db *db, long n)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(db, &err);
	if (!c)
		die("%s", err.msg);
	for (long i = 0; i < n;) {
		if (db_begin(c) < 0)
			die("begin: %s", db_errmsg(c));
		for (long k = 0; k < 1000 && i < n; k++, i++)
			if (job_enqueue(c, &(struct job_new){.kind = "bench.noop",
							     .org_id = 1},
					NULL, &err) < 0)
				die("%s", err.msg);
		if (db_commit(c) < 0)
			die("commit: %s", db_errmsg(c));
	}
	db_release(c);
}

/* Runs the runner until n more jobs ran; returns the seconds taken. */
static double drain(struct app *app, long n)
{
	struct atr_err err = {0};
	long start = atomic_load(&ran);
	int64_t t0 = atr_mono_ns();
	if (runner_start(app, &err) < 0)
		die("%s", err.msg);
	while (atomic_load(&ran) - start < n) {
		jobs_wake();
		sleep_ms(5);
	}
	double s = (double)(atr_mono_ns() - t0) / 1e9;
	runner_stop();
	return s;
}

struct writer {
	struct db *db;
	double secs;
	int64_t *lat;
	long n, cap;
};

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Request-like writes for w->secs seconds: their latencies in w->lat. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct atr_err err = {0};
	int64_t end = atr_mono_ns() + (int64_t)(w->secs * 1e9);
	while (atr_mono_ns() < end) {
		int64_t t0 = atr_mono_ns();
		struct db_conn *c = db_acquire(w->db, &err);
		if (!c)
			die("%s", err.msg);
		if (db_begin(c) < 0 ||
		    db_exec(c, "INSERT INTO bench_write (at) VALUES ('x')") < 0 ||
		    db_commit(c) < 0)
			die("write: %s", db_errmsg(c));
		db_release(c);
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 4096;
			w->lat = xrealloc(w->lat, sizeof *w->lat * w->cap);
		}
		w->lat[w->n++] = atr_mono_ns() - t0;
	}
	return NULL;
}

static void report_writes(const char *what, struct writer *w)
{
	qsort(w->lat, (size_t)w->n, sizeof *w->lat, cmp64);
	printf("  request writes, %-24s %6ld in %.0f s   p50 %6.2f ms   p99 %6.2f "
	       "ms\n",
	       what, w->n, w->secs,
	       w->n ? (double)w->lat[w->n / 2] / 1e6 : 0,
	       w->n ? (double)w->lat[w->n * 99 / 100] / 1e6 : 0);
	free(w->lat);
	w->lat = NULL;
	w->n = w->cap = 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: bench_jobs URL [JOBS] [WORKERS]");
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
	int workers = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 4;
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	struct app app = {0};
	struct atr_err err = {0};
	app.cfg.job_workers = workers;
	app.modules = mods;
	if (db_open(argv[1], workers + 6, &app.db, &err) < 0)
		die("%s", err.msg);
	int applied;
	if (migrate_run(app.db, &applied, &err) < 0)
		die("%s", err.msg);
	struct db_conn *c = db_acquire(app.db, &err);
	if (!c || db_exec(c, "CREATE TABLE bench_write (at TEXT)") < 0)
		die("setup: %s", c ? db_errmsg(c) : err.msg);
	db_release(c);

	printf("job runner: %s, %ld no-op jobs, %d workers\n",
	       db_dialect_name(app.db), n, workers);
	enqueue(app.db, n);
	double s = drain(&app, n);
	printf("  claim, run, finish: %8.0f jobs/s (%ld in %.2f s)\n",
	       (double)n / s, n, s);

	/* Request writes alone, then beside a draining runner. */
	struct writer w = {.db = app.db, .secs = 3};
	writer_main(&w);
	report_writes("alone:", &w);
	enqueue(app.db, n);
	pthread_t t;
	pthread_create(&t, NULL, writer_main, &w);
	struct atr_err e2 = {0};
	long before = atomic_load(&ran);
	if (runner_start(&app, &e2) < 0)
		die("%s", e2.msg);
	pthread_join(t, NULL);
	long during = atomic_load(&ran) - before;
	runner_stop();
	report_writes("beside the runner:", &w);
	printf("  (the runner ran %ld jobs in those 3 s: %.0f jobs/s)\n", during,
	       (double)during / 3);
	db_close(app.db);
	return 0;
}
