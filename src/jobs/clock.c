/* clock.c — the clock jobs and the scheduler store times by.
 *
 * On PostgreSQL every node shares one clock: the database server's. The
 * runner samples it every half minute and, between samples, advances the
 * sample by the monotonic clock, so a jump of this machine's clock moves
 * nothing: not a backoff, not a lease, not the scheduler. The difference
 * between the two clocks is logged when it exceeds two seconds (sessions,
 * one-time links and TOTP codes still use this machine's clock).
 *
 * On SQLite the database's clock is this machine's. A jump is logged when
 * the wall clock moves against the monotonic clock; what a jump can still
 * do there is limited elsewhere: a backoff scheduled in the future of a
 * clock that went back is due at once (job.c), housekeeping never runs
 * ahead of the time that really passed (sched.c).
 */
#include "atrium.h"

#include <pthread.h>

#include "db/db.h"
#include "jobs/jobs_int.h"

#define DRIFT_WARN_MS 2000

static struct {
	pthread_mutex_t mu;
	bool valid;              /* a database sample is held */
	int64_t db_ms, mono_ms;  /* the database's clock at mono_ms */
	bool have_last;
	int64_t last_wall, last_mono; /* SQLite: the previous check */
	bool drifting;
	int64_t warned_drift;
} clk = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The cluster clock now, epoch ms (see the top of this file). */
int64_t jobs_now_ms(void)
{
	pthread_mutex_lock(&clk.mu);
	int64_t t = clk.valid ? clk.db_ms + (atr_mono_ms() - clk.mono_ms)
			      : atr_now_ms();
	pthread_mutex_unlock(&clk.mu);
	return t;
}

void jobs_clock_reset(void)
{
	pthread_mutex_lock(&clk.mu);
	clk.valid = clk.have_last = clk.drifting = false;
	clk.warned_drift = 0;
	pthread_mutex_unlock(&clk.mu);
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* The database server's clock now (epoch ms), or -1. */
static int64_t pg_clock(struct db_conn *c, int64_t *at_mono)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 "
		   "AS BIGINT)");
	if (!st)
		return -1;
	int64_t m0 = atr_mono_ms();
	int rc = db_step(st);
	int64_t m1 = atr_mono_ms();
	int64_t t = rc == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	if (t < 0)
		return -1;
	*at_mono = m1;
	return t + (m1 - m0) / 2; /* it answered half a round trip ago */
}

/* Samples the database clock or checks for a jump; 0, or -1 on a
 * database error (warn gets a line to log, or ""). */
int jobs_clock_sync(struct db_conn *c, char *warn, size_t n)
{
	warn[0] = 0;
	if (db_conn_dialect(c) == DB_PG) {
		int64_t mono, db = pg_clock(c, &mono);
		if (db < 0)
			return -1;
		int64_t drift = atr_now_ms() - (db + (atr_mono_ms() - mono));
		pthread_mutex_lock(&clk.mu);
		clk.valid = true;
		clk.db_ms = db;
		clk.mono_ms = mono;
		if (abs64(drift) > DRIFT_WARN_MS &&
		    (!clk.drifting || abs64(drift - clk.warned_drift) > 1000)) {
			clk.drifting = true;
			clk.warned_drift = drift;
			snprintf(warn, n,
				 "this server's clock is %.1f s %s the "
				 "database server's; jobs and the scheduler "
				 "follow the database's clock, but sessions, "
				 "one-time links and TOTP codes use this "
				 "machine's: fix its time synchronisation "
				 "(NTP)",
				 (double)abs64(drift) / 1000,
				 drift > 0 ? "ahead of" : "behind");
		} else if (clk.drifting && abs64(drift) <= DRIFT_WARN_MS) {
			clk.drifting = false;
			snprintf(warn, n, "this server's clock agrees with the "
					  "database server's again");
		}
		pthread_mutex_unlock(&clk.mu);
		return 0;
	}
	int64_t wall = atr_now_ms(), mono = atr_mono_ms();
	pthread_mutex_lock(&clk.mu);
	if (clk.have_last) {
		int64_t jump = (wall - clk.last_wall) - (mono - clk.last_mono);
		if (abs64(jump) > DRIFT_WARN_MS)
			snprintf(warn, n,
				 "the system clock jumped %s by %.1f s; "
				 "waits and leases in this process follow the "
				 "monotonic clock, and housekeeping does not "
				 "run ahead of the time that really passed",
				 jump > 0 ? "forward" : "back",
				 (double)abs64(jump) / 1000);
	}
	clk.have_last = true;
	clk.last_wall = wall;
	clk.last_mono = mono;
	pthread_mutex_unlock(&clk.mu);
	return 0;
}
