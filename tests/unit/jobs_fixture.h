/* jobs_fixture.h — what the job runner, dispatcher and scheduler tests
 * share: an app over a test module table and a fresh, migrated database.
 *
 *   struct fx f;
 *   if (!fx_open(&f, url, mods)) return;
 *   ... f.app, f.c (a connection), f.reg (the registry of mods) ...
 *   fx_close(&f);
 */
#ifndef ATR_JOBS_FIXTURE_H
#define ATR_JOBS_FIXTURE_H

#include "atrium.h"

#include "core/app.h"
#include "core/module.h"
#include "db/db.h"
#include "db/migrate.h"
#include "jobs/jobs_int.h"
#include "unit.h"

struct fx {
	struct app app;
	struct db_conn *c;
	struct jobs_registry reg;
	bool have_reg;
};

/* A pool of 8: the runner's threads and the handlers take their own. */
static inline bool fx_open(struct fx *f, const char *url,
			   const struct module *const *mods)
{
	memset(f, 0, sizeof *f);
	struct atr_err err = {0};
	if (db_open(url, 8, &f->app.db, &err) != 0) {
		FAILF("db_open(%s): %s", url, err.msg);
		return false;
	}
	int applied;
	if (migrate_run(f->app.db, &applied, &err) != 0) {
		FAILF("migrate_run: %s", err.msg);
		db_close(f->app.db);
		return false;
	}
	f->app.modules = mods;
	f->app.cfg.job_workers = 2;
	f->app.cfg.scheduler_lease_ms = 30000;
	f->app.cfg.housekeeping_interval_ms = 60000;
	f->app.cfg.email_retry_base_ms = 30000;
	if (jobs_registry_build(mods, &f->reg, &err) != 0) {
		FAILF("jobs_registry_build: %s", err.msg);
		db_close(f->app.db);
		return false;
	}
	f->have_reg = true;
	f->c = unit_db_acquire(f->app.db);
	jobs_clock_reset();
	sched_housekeeping_reset();
	return f->c != NULL;
}

static inline void fx_close(struct fx *f)
{
	db_release(f->c);
	if (f->have_reg)
		jobs_registry_free(&f->reg);
	db_close(f->app.db);
	jobs_clock_reset();
	sched_housekeeping_reset();
}

/* Queues a job of kind for org 1 in its own transaction; its id. */
static inline int64_t fx_enqueue(struct fx *f, const char *kind,
				 const char *order_key, int64_t order_seq)
{
	int64_t id = 0;
	struct atr_err err = {0};
	json_t *p = json_pack("{s:s}", "note", kind);
	if (db_begin(f->c) != 0 ||
	    job_enqueue(f->c,
			&(struct job_new){.kind = kind,
					  .org_id = 1,
					  .payload = p,
					  .order_key = order_key,
					  .order_seq = order_seq},
			&id, &err) != 0 ||
	    db_commit(f->c) != 0) {
		FAILF("enqueue %s: %s %s", kind, err.msg, db_errmsg(f->c));
		db_rollback(f->c);
	}
	json_decref(p);
	return id;
}

/* A text column of job id ("" for NULL); the caller frees. */
static inline char *fx_job_text(struct fx *f, int64_t id, const char *col)
{
	char *sql = xasprintf("SELECT %s FROM job WHERE id = %lld", col,
			      (long long)id);
	struct db_stmt *st = db_prepare(f->c, sql);
	char *v = NULL;
	if (st && db_step(st) == 1)
		v = xstrdup(db_col_text(st, 0) ? db_col_text(st, 0) : "");
	db_reset(st);
	free(sql);
	if (!v) {
		FAILF("no job %lld", (long long)id);
		v = xstrdup("");
	}
	return v;
}

static inline int64_t fx_job_int(struct fx *f, int64_t id, const char *col)
{
	char *sql = xasprintf("SELECT %s FROM job WHERE id = %lld", col,
			      (long long)id);
	int64_t v = unit_db_scalar(f->c, sql);
	free(sql);
	return v;
}

/* Checks the status of job id. */
#define CHECK_JOB_STATUS(f, id, want)                                          \
	do {                                                                   \
		char *st_ = fx_job_text((f), (id), "status");                  \
		CHECK_STR(st_, (want));                                        \
		free(st_);                                                     \
	} while (0)

#endif
