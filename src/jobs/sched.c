/* sched.c — the scheduler: runs the modules' tasks (their `tasks` rows) at
 * their interval or cron times, on one node of the cluster at a time.
 *
 * The lease: sched_state holds the node that runs the scheduler and until
 * when. Every `atrium serve` runs a scheduler thread (unless configured
 * off); the leader ticks every second (a quarter lease at most), renews
 * the lease (and records the tick) every quarter lease and before each
 * due task, and runs what is due; the others try to take it every quarter
 * lease, so a dead leader is replaced at most a lease and a quarter after
 * its last renewal. `atrium cron` and the cron URL take the
 * same lease for one run, unless a live node holds it.
 *
 * Once per period: a run starts with a compare-and-set of
 * sched_task.next_run_at from the due time to the next one, so a period
 * runs once even when two nodes believe they lead (one paused past its
 * lease). running_since marks a run in progress; one left by another node
 * (it died mid-task) is recorded as interrupted and run again at once.
 *
 * Time: stored times follow jobs_now_ms (the database's clock on
 * PostgreSQL); waits use the monotonic clock. A task whose last run lies
 * in the future of the clock (the clock went back) is due at once rather
 * than waiting out the jump.
 */
#include "atrium.h"

#include <pthread.h>
#include <time.h>

#include "core/app.h"
#include "core/module.h"
#include "db/db.h"
#include "jobs/cron_expr.h"
#include "jobs/jobs_int.h"

#define TICK_MAX_MS 1000
#define SLACK_MS 2000 /* clock differences below this are not a jump */

static struct {
	struct app *app;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool running, stop, leader;
	int64_t renewed; /* atr_mono_ms of the last renewal */
	char owner[JOB_OWNER_LEN];
	char last_log[256];
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The process's name in the lease when no scheduler thread runs (the
 * cron URL with scheduler = false, `atrium cron`). */
static char once_owner[JOB_OWNER_LEN];
static pthread_once_t once_owner_init = PTHREAD_ONCE_INIT;

static void make_once_owner(void)
{
	jobs_owner_name(once_owner);
}

static void sched_log(const char *fmt, ...) ATR_PRINTF(1, 2);
static void sched_log(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&S.mu);
	bool same = strcmp(line, S.last_log) == 0;
	atr_strlcpy(S.last_log, line, sizeof S.last_log);
	pthread_mutex_unlock(&S.mu);
	if (!same)
		fprintf(stderr, "scheduler: %s\n", line);
}

int64_t sched_task_next(const struct app *app, const struct sched_task *t,
			int64_t now, char *schedule, size_t n)
{
	int64_t every = t->interval ? t->interval(app) : t->interval_ms;
	if (every > 0) {
		if (every % 1000 == 0)
			snprintf(schedule, n, "every %llds",
				 (long long)(every / 1000));
		else
			snprintf(schedule, n, "every %lldms", (long long)every);
		return (now / every + 1) * every;
	}
	struct cron_expr e;
	char why[128];
	if (!t->cron || cron_parse(t->cron, &e, why, sizeof why) < 0)
		return -1;
	snprintf(schedule, n, "%s", t->cron);
	return cron_next(&e, now);
}

/* --- the housekeeping clock --------------------------------------------- */

static struct {
	pthread_mutex_t mu;
	bool have;
	int64_t last_now, last_mono;
	bool warned;
} hk = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The housekeeping clock (see jobs_int.h); remembers this run. */
int64_t sched_housekeeping_now(int64_t cluster_now)
{
	pthread_mutex_lock(&hk.mu);
	int64_t mono = atr_mono_ms(), r = cluster_now;
	if (hk.have) {
		int64_t cap = hk.last_now + (mono - hk.last_mono);
		if (cluster_now > cap + SLACK_MS) {
			r = cap;
			if (!hk.warned)
				fprintf(stderr,
					"housekeeping: the clock is %.0f s "
					"ahead of the time that passed since "
					"the last run; removing only what "
					"expired by the time that really "
					"passed\n",
					(double)(cluster_now - cap) / 1000);
			hk.warned = true;
		} else {
			hk.warned = false;
		}
	}
	hk.have = true;
	hk.last_now = r;
	hk.last_mono = mono;
	pthread_mutex_unlock(&hk.mu);
	return r;
}

void sched_housekeeping_reset(void)
{
	pthread_mutex_lock(&hk.mu);
	hk.have = hk.warned = false;
	pthread_mutex_unlock(&hk.mu);
}

/* --- the database side -------------------------------------------------- */

/* One statement in its own transaction (SQLite: on the serialised
 * writer). Returns db_step's result: 1 a row came back, 0 none, -1. */
static int write1(struct db_conn *c, struct db_stmt *st)
{
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 || db_commit(c) < 0) {
		db_rollback(c);
		return -1;
	}
	return rc;
}

/* Takes or renews the lease for owner; with via, records the tick (the
 * Cronjob tab's last run) in the same statement. 1 held, 0 another node
 * holds it (holder named when not NULL), -1. */
static int lease_take(struct db_conn *c, const char *owner, int64_t now,
		      int64_t lease_ms, const char *via, char *holder,
		      size_t n)
{
	char t_now[ATR_TIME_LEN], t_until[ATR_TIME_LEN];
	atr_time_iso(now, t_now);
	atr_time_iso(now + lease_ms, t_until);
	if (db_begin(c) < 0)
		return -1;
	struct db_stmt *st =
		via ? db_prepare(c, "UPDATE sched_state SET lease_owner = ?, "
				    "lease_until = ?, last_tick_at = ?, "
				    "last_tick_node = ?, last_tick_via = ? "
				    "WHERE id = 1 AND (lease_owner IS NULL OR "
				    "lease_owner = ? OR lease_until <= ?) "
				    "RETURNING id")
		    : db_prepare(c, "UPDATE sched_state SET lease_owner = ?, "
				    "lease_until = ? WHERE id = 1 AND "
				    "(lease_owner IS NULL OR lease_owner = ? OR "
				    "lease_until <= ?) RETURNING id");
	if (!st) {
		db_rollback(c);
		return -1;
	}
	int p = 1;
	db_bind_text(st, p++, owner);
	db_bind_text(st, p++, t_until);
	if (via) {
		db_bind_text(st, p++, t_now);
		db_bind_text(st, p++, owner);
		db_bind_text(st, p++, via);
	}
	db_bind_text(st, p++, owner);
	db_bind_text(st, p++, t_now);
	int rc = write1(c, st);
	if (rc != 0 || !holder)
		return rc;
	st = db_prepare(c, "SELECT lease_owner, lease_until FROM sched_state "
			   "WHERE id = 1");
	if (st && db_step(st) == 1)
		snprintf(holder, n, "%s (lease until %s)",
			 db_col_text(st, 0) ? db_col_text(st, 0) : "?",
			 db_col_text(st, 1) ? db_col_text(st, 1) : "?");
	db_reset(st);
	return 0;
}

static void lease_give_back(struct db_conn *c, const char *owner)
{
	if (db_begin(c) < 0)
		return;
	struct db_stmt *st = db_prepare(
		c, "UPDATE sched_state SET lease_owner = NULL, lease_until = "
		   "NULL WHERE id = 1 AND lease_owner = ? RETURNING id");
	if (!st) {
		db_rollback(c);
		return;
	}
	db_bind_text(st, 1, owner);
	write1(c, st);
}

/* Creates the row of each task of the binary, and resets next_run_at
 * when its schedule changed (configuration, a new version). */
static int sync_tasks(struct app *app, struct db_conn *c, int64_t now)
{
	for (int m = 0; app->modules[m]; m++)
		for (const struct sched_task *t = app->modules[m]->tasks;
		     t && t->name; t++) {
			char sched[CRON_EXPR_MAX + 16], t_next[ATR_TIME_LEN];
			int64_t next = sched_task_next(app, t, now, sched,
						       sizeof sched);
			if (next < 0)
				continue; /* refused at start (sched_start) */
			atr_time_iso(next, t_next);
			if (db_begin(c) < 0)
				return -1;
			struct db_stmt *st = db_prepare(
				c, "INSERT INTO sched_task (name, schedule, "
				   "next_run_at) VALUES (?, ?, ?) ON CONFLICT "
				   "(name) DO UPDATE SET schedule = "
				   "excluded.schedule, next_run_at = "
				   "excluded.next_run_at WHERE "
				   "sched_task.schedule <> excluded.schedule "
				   "RETURNING name");
			if (!st) {
				db_rollback(c);
				return -1;
			}
			db_bind_text(st, 1, t->name);
			db_bind_text(st, 2, sched);
			db_bind_text(st, 3, t_next);
			if (write1(c, st) < 0)
				return -1;
		}
	return 0;
}

struct task_row {
	char next_run_at[ATR_TIME_LEN], last_run_at[ATR_TIME_LEN];
	char running_since[ATR_TIME_LEN], running_node[JOB_OWNER_LEN];
	bool found;
};

/* Reads the row of task name into r (r->found); 0 or -1. */
static int load_task(struct db_conn *c, const char *name, struct task_row *r)
{
	memset(r, 0, sizeof *r);
	struct db_stmt *st = db_prepare(
		c, "SELECT next_run_at, last_run_at, running_since, "
		   "running_node FROM sched_task WHERE name = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, name);
	int rc = db_step(st);
	if (rc == 1) {
		r->found = true;
		atr_strlcpy(r->next_run_at, db_col_text(st, 0),
			    sizeof r->next_run_at);
		if (!db_col_null(st, 1))
			atr_strlcpy(r->last_run_at, db_col_text(st, 1),
				    sizeof r->last_run_at);
		if (!db_col_null(st, 2))
			atr_strlcpy(r->running_since, db_col_text(st, 2),
				    sizeof r->running_since);
		if (!db_col_null(st, 3))
			atr_strlcpy(r->running_node, db_col_text(st, 3),
				    sizeof r->running_node);
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Moves next_run_at from `from` to `to` and marks the run started, if no
 * one did first. 1 ours, 0 taken, -1. */
static int claim_period(struct db_conn *c, const char *name,
		       const char *from, int64_t to, const char *owner,
		       int64_t now)
{
	char t_to[ATR_TIME_LEN], t_now[ATR_TIME_LEN];
	atr_time_iso(to, t_to);
	atr_time_iso(now, t_now);
	if (db_begin(c) < 0)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "UPDATE sched_task SET next_run_at = ?, running_since = ?, "
		   "running_node = ? WHERE name = ? AND next_run_at = ? "
		   "RETURNING name");
	if (!st) {
		db_rollback(c);
		return -1;
	}
	db_bind_text(st, 1, t_to);
	db_bind_text(st, 2, t_now);
	db_bind_text(st, 3, owner);
	db_bind_text(st, 4, name);
	db_bind_text(st, 5, from);
	return write1(c, st);
}

/* Records a finished (or interrupted) run of name. */
static int record_run(struct db_conn *c, const char *name, const char *due,
		      const char *started, int64_t now, int64_t dur_ms,
		      const char *node, const char *via, const char *error)
{
	char t_now[ATR_TIME_LEN];
	atr_time_iso(now, t_now);
	if (db_begin(c) < 0)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "UPDATE sched_task SET last_run_at = ?, last_duration_ms = "
		   "?, last_error = ?, last_node = ?, running_since = NULL, "
		   "running_node = NULL, runs = runs + 1, failures = failures "
		   "+ ? WHERE name = ?");
	if (!st)
		goto fail;
	db_bind_text(st, 1, started);
	db_bind_int(st, 2, dur_ms);
	db_bind_text(st, 3, error);
	db_bind_text(st, 4, node);
	db_bind_int(st, 5, error ? 1 : 0);
	db_bind_text(st, 6, name);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		goto fail;
	st = db_prepare(c, "INSERT INTO sched_run (task, due_at, started_at, "
			   "finished_at, duration_ms, node, via, error) VALUES "
			   "(?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		goto fail;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, due);
	db_bind_text(st, 3, started);
	db_bind_text(st, 4, t_now);
	db_bind_int(st, 5, dur_ms);
	db_bind_text(st, 6, node);
	db_bind_text(st, 7, via);
	db_bind_text(st, 8, error);
	return write1(c, st) < 0 ? -1 : 0;
fail:
	db_rollback(c);
	return -1;
}

/* Runs task t if it is due (see the top of this file), renewing the
 * lease first. Appends a report to ran. 0, 1 when the lease was lost
 * (stop), or -1 on a database error. */
static int maybe_run(struct app *app, struct db_conn *c,
		     const struct sched_task *t, const char *owner,
		     const char *via, json_t *ran)
{
	struct task_row row;
	if (load_task(c, t->name, &row) < 0)
		return -1;
	if (!row.found)
		return 0;
	int64_t now = jobs_now_ms();
	bool interrupted = row.running_since[0] &&
			   strcmp(row.running_node, owner) != 0;
	if (interrupted) {
		char msg[256];
		snprintf(msg, sizeof msg,
			 "interrupted: node %s stopped during the run that "
			 "started at %s",
			 row.running_node, row.running_since);
		sched_log("task %s: %s; running it again", t->name, msg);
		if (record_run(c, t->name, row.next_run_at, row.running_since,
			       now, 0, row.running_node, via, msg) < 0)
			return -1;
	} else if (row.running_since[0]) {
		return 0; /* running in this process right now */
	}
	bool due = atr_iso_ms(row.next_run_at) <= now || interrupted ||
		   (row.last_run_at[0] &&
		    atr_iso_ms(row.last_run_at) > now + SLACK_MS);
	if (!due)
		return 0;
	char sched[CRON_EXPR_MAX + 16];
	int64_t next = sched_task_next(app, t, now, sched, sizeof sched);
	if (next < 0)
		return 0;
	int held = lease_take(c, owner, now, app->cfg.scheduler_lease_ms, NULL,
			      NULL, 0);
	if (held <= 0)
		return held < 0 ? -1 : 1;
	int got = claim_period(c, t->name, row.next_run_at, next, owner, now);
	if (got <= 0)
		return got;
	char started[ATR_TIME_LEN];
	atr_time_iso(now, started);
	struct atr_err err = {0};
	int64_t t0 = atr_mono_ms();
	int rc = t->run(app, c, now, &err);
	int64_t dur = atr_mono_ms() - t0;
	if (db_in_tx(c))
		db_rollback(c); /* a task must not leave one open */
	if (rc < 0) {
		if (!err.msg[0])
			atr_strlcpy(err.msg, "the task failed", sizeof err.msg);
		fprintf(stderr, "scheduler: task %s failed: %s\n", t->name,
			err.msg);
	}
	if (ran)
		json_array_append_new(
			ran, json_pack("{s:s,s:b,s:I,s:o}", "task", t->name,
				       "ok", rc == 0, "duration_ms",
				       (json_int_t)dur, "error",
				       rc < 0 ? json_string(err.msg)
					      : json_null()));
	return record_run(c, t->name, row.next_run_at, started,
			  jobs_now_ms(), dur, owner, via,
			  rc < 0 ? err.msg : NULL);
}

/* Runs every due task of the binary (each renews the lease first);
 * stops when the lease is lost. 0 or -1. */
static int run_due(struct app *app, struct db_conn *c, const char *owner,
		   const char *via, json_t *ran)
{
	for (int m = 0; app->modules[m]; m++)
		for (const struct sched_task *t = app->modules[m]->tasks;
		     t && t->name; t++) {
			int rc = maybe_run(app, c, t, owner, via, ran);
			if (rc != 0)
				return rc < 0 ? -1 : 0;
		}
	return 0;
}

/* `atrium cron` and the cron URL (see jobs.h); 1 ran, 0 held elsewhere,
 * -1. */
int sched_run_once(struct app *app, const char *via, json_t *ran,
		   char *holder, size_t holder_len, struct atr_err *err)
{
	pthread_mutex_lock(&S.mu);
	bool threaded = S.running;
	pthread_mutex_unlock(&S.mu);
	pthread_once(&once_owner_init, make_once_owner);
	const char *owner = threaded ? S.owner : once_owner;
	struct db_conn *c = db_acquire(app->db, err);
	if (!c)
		return -1;
	int64_t now = jobs_now_ms();
	int rc = lease_take(c, owner, now, app->cfg.scheduler_lease_ms, via,
			    holder, holder_len);
	if (rc == 1 && (sync_tasks(app, c, now) < 0 ||
			run_due(app, c, owner, via, ran) < 0))
		rc = -1;
	if (rc != 0 && !threaded)
		lease_give_back(c, owner); /* serve's schedulers may take it */
	if (rc < 0)
		atr_fail(err, ATR_E_INTERNAL, "scheduler: %s", db_errmsg(c));
	db_release(c);
	return rc;
}

/* --- the thread of `atrium serve` --------------------------------------- */

void sched_owner_name(char out[JOB_OWNER_LEN])
{
	pthread_mutex_lock(&S.mu);
	atr_strlcpy(out, S.running ? S.owner : "", JOB_OWNER_LEN);
	pthread_mutex_unlock(&S.mu);
}

static void wait_ms(int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&S.cv, &S.mu, &ts);
}

/* One tick: take the lease, or renew it (recording the tick) once a
 * quarter lease passed; as leader, run what is due (each due task renews
 * the lease first). Returns whether this node leads. */
static bool tick(void)
{
	struct app *app = S.app;
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c) {
		sched_log("%s", err.msg);
		return false;
	}
	int64_t now = jobs_now_ms(), mono = atr_mono_ms();
	int64_t lease = app->cfg.scheduler_lease_ms;
	bool was = S.leader;
	int held = 1;
	if (!was || mono - S.renewed >= lease / 4) {
		held = lease_take(c, S.owner, now, lease, "serve", NULL, 0);
		if (held == 1)
			S.renewed = mono;
	}
	if (held == 1 && !was) {
		fprintf(stderr, "scheduler: this node (%s) runs the "
				"scheduler\n",
			S.owner);
		if (sync_tasks(app, c, now) < 0)
			held = -1;
	} else if (held == 0 && was) {
		fprintf(stderr, "scheduler: another node took the lease\n");
	}
	if (held == 1 && run_due(app, c, S.owner, "serve", NULL) < 0)
		held = -1;
	if (held < 0)
		sched_log("database error: %s", db_errmsg(c));
	db_release(c);
	S.leader = held == 1 || (held < 0 && was);
	return held == 1;
}

static void *sched_main(void *arg)
{
	int64_t lease = S.app->cfg.scheduler_lease_ms;
	int64_t quarter = lease / 4 > 250 ? lease / 4 : 250;
	int64_t lead_tick = quarter < TICK_MAX_MS ? quarter : TICK_MAX_MS;
	pthread_mutex_lock(&S.mu);
	while (!S.stop) {
		pthread_mutex_unlock(&S.mu);
		bool lead = tick();
		pthread_mutex_lock(&S.mu);
		if (!S.stop)
			wait_ms(lead ? lead_tick : quarter);
	}
	pthread_mutex_unlock(&S.mu);
	return NULL;
}

/* Refuses a task whose schedule cannot be computed (a bad cron
 * expression is a bug of the binary: fail at start). */
static int check_tasks(struct app *app, struct atr_err *err)
{
	for (int m = 0; app->modules[m]; m++)
		for (const struct sched_task *t = app->modules[m]->tasks;
		     t && t->name; t++) {
			char sched[CRON_EXPR_MAX + 16];
			if (!t->run || sched_task_next(app, t, atr_now_ms(),
						       sched,
						       sizeof sched) < 0)
				return atr_fail(err, ATR_E_INTERNAL,
						"scheduled task '%s': no "
						"handler, or a schedule that "
						"never comes",
						t->name);
		}
	return 0;
}

/* Checks the tasks and starts the thread (unless scheduler = false). */
int sched_start(struct app *app, struct atr_err *err)
{
	if (check_tasks(app, err) < 0)
		return -1;
	if (!app->cfg.scheduler)
		return 0;
	S.app = app;
	S.stop = S.leader = false;
	S.last_log[0] = 0;
	atr_strlcpy(S.owner, jobs_node_id(), sizeof S.owner);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&S.cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&S.thread, NULL, sched_main, NULL) != 0) {
		pthread_cond_destroy(&S.cv);
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot start the scheduler thread");
	}
	pthread_mutex_lock(&S.mu);
	S.running = true;
	pthread_mutex_unlock(&S.mu);
	return 0;
}

/* Stops the thread and hands the lease back when this node held it. */
void sched_stop(void)
{
	pthread_mutex_lock(&S.mu);
	if (!S.running) {
		pthread_mutex_unlock(&S.mu);
		return;
	}
	S.stop = true;
	pthread_cond_signal(&S.cv);
	pthread_mutex_unlock(&S.mu);
	pthread_join(S.thread, NULL);
	pthread_cond_destroy(&S.cv);
	/* Hand the lease over at once instead of letting it run out. */
	if (S.leader) {
		struct atr_err err = {0};
		struct db_conn *c = db_acquire(S.app->db, &err);
		if (c) {
			lease_give_back(c, S.owner);
			db_release(c);
		}
	}
	pthread_mutex_lock(&S.mu);
	S.running = S.leader = false;
	pthread_mutex_unlock(&S.mu);
}
