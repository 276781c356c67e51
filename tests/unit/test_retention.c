/* test_retention.c — admin/retention.h: the engine's crash safety.
 *
 * A run is stopped after each of its steps (the file written, the manifest
 * recorded, a batch removed, the archive done) through the fault hook, as
 * a crash there would stop it: every step before has committed or been
 * fsync'd, nothing after has happened. At each stop no row is lost (every
 * row is in the database or in a verified archive), the activity chain
 * verifies, and the next run finishes without archiving any row twice.
 * Also: a file altered after its manifest is never acted on, a log kept
 * forever is not touched, newer rows stay, erased personal parts stay
 * erased in the archive.
 *
 * SQLite, and PostgreSQL when ATRIUM_TEST_PG is set.
 */
#include "atrium.h"

#include <dirent.h>
#include <stdio.h>

#include "admin/retention.h"
#include "core/activity.h"
#include "core/config.h"
#include "core/secret.h"
#include "core/settings.h"
#include "db/db.h"
#include "unit.h"

#define TEST_KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define DAY_MS (24LL * 3600 * 1000)
#define NACT 1203 /* three batches and a bit */
#define NPIPE 1100

struct fx {
	struct db *db;
	struct app app;
	char *dir;
	int64_t now;
};

static bool fx_open(struct fx *f, const char *url)
{
	memset(f, 0, sizeof *f);
	struct config cfg = {0};
	struct atr_err err = {0};
	setenv("ATRIUM_MASTER_KEY", TEST_KEY, 1);
	int rc = secret_key_load(&cfg, &err);
	unsetenv("ATRIUM_MASTER_KEY");
	if (!CHECK_EQ_INT(rc, 0))
		return false;
	f->db = unit_db_open(url, true);
	f->dir = unit_tmpdir();
	if (!f->db || !f->dir)
		return false;
	f->app.db = f->db;
	f->app.cfg.archive_dir = f->dir;
	f->now = atr_now_ms();
	return true;
}

static void fx_close(struct fx *f)
{
	if (f->db)
		db_close(f->db);
	if (f->dir) {
		unit_rmtree(f->dir);
		free(f->dir);
	}
	secret_key_unload();
	retention_fault = NULL;
}

static int64_t scalar(struct fx *f, const char *sql)
{
	struct db_conn *c = unit_db_acquire(f->db);
	if (!c)
		return -1;
	int64_t v = unit_db_scalar(c, sql);
	db_release(c);
	return v;
}

static bool exec(struct fx *f, const char *sql)
{
	struct db_conn *c = unit_db_acquire(f->db);
	if (!c)
		return false;
	bool ok = db_exec(c, sql) == 0;
	if (!ok)
		FAILF("%s: %s", sql, db_errmsg(c));
	db_release(c);
	return ok;
}

/* NACT activity rows in org 1 (some with an erased who part), NPIPE old
 * pipe log rows and 3 new ones. */
static bool fill(struct fx *f)
{
	struct db_conn *c = unit_db_acquire(f->db);
	if (!c)
		return false;
	bool ok = db_begin(c) == 0;
	for (int i = 0; ok && i < NACT; i++) {
		json_t *diff = json_pack("{s:{s:i}}", "n", "to", i);
		struct activity a = {.org_id = 1,
				     .actor_id = 7,
				     .actor_name = "Ana Admin",
				     .action = "update",
				     .entity = "lead",
				     .entity_id = i,
				     .diff = diff,
				     .ip = "192.0.2.1"};
		ok = activity_record(c, &a) == 0;
		json_decref(diff);
	}
	char old[ATR_TIME_LEN], young[ATR_TIME_LEN];
	atr_time_iso(f->now - 200 * DAY_MS, old);
	atr_time_iso(f->now - DAY_MS, young);
	struct db_stmt *st = ok ? db_prepare(c, "INSERT INTO pipe_log (org_id, "
						"received_at, result, bytes) "
						"VALUES (1, ?, 'ignored', ?)")
				: NULL;
	for (int i = 0; st && ok && i < NPIPE + 3; i++) {
		db_bind_text(st, 1, i < NPIPE ? old : young);
		db_bind_int(st, 2, i);
		ok = db_step(st) >= 0;
		db_reset(st);
	}
	ok = ok && st && db_commit(c) == 0;
	if (!ok)
		FAILF("fill: %s", db_errmsg(c));
	db_release(c);
	/* Erasure of the first row's who part (as GDPR erasure does). */
	return ok && exec(f, "UPDATE activity_log SET actor_name = NULL, ip = "
			     "NULL, who_salt = NULL WHERE seq = 2");
}

/* The activity log is archived a year after its rows, the pipe log after
 * 90 days (the default). */
static bool settings(struct fx *f)
{
	return exec(f, "INSERT INTO setting (org_id, key, value) VALUES (1, "
		       "'retention_activity_days', '1')");
}

static int run(struct fx *f, struct atr_err *err)
{
	struct db_conn *c = unit_db_acquire(f->db);
	if (!c)
		return -1;
	/* Two days on: every activity row is past its day. */
	int n = retention_run(&f->app, c, f->now + 2 * DAY_MS, NULL, -1, NULL,
			      err);
	db_release(c);
	return n;
}

static int verify_chain(struct fx *f, char **text)
{
	size_t len;
	FILE *out = open_memstream(text, &len);
	struct atr_err err = {0};
	int rc = activity_verify(f->db, out, &err);
	fclose(out);
	if (rc < 0)
		FAILF("activity_verify: %s", err.msg);
	return rc;
}

/* Every manifest's file verifies and matches it. */
static bool archives_verify(struct fx *f, int64_t *rows_archived)
{
	struct db_conn *c = unit_db_acquire(f->db);
	if (!c)
		return false;
	struct db_stmt *st = db_prepare(
		c, "SELECT path, sha256, row_count, log FROM log_archive");
	bool ok = st != NULL;
	int rc;
	*rows_archived = 0;
	while (ok && (rc = db_step(st)) == 1) {
		char *p = xasprintf("%s/%s", f->dir, db_col_text(st, 0));
		const struct retention_log *L =
			retention_log_find(db_col_text(st, 3));
		struct archive_info info;
		char *why = NULL;
		size_t wl;
		FILE *out = open_memstream(&why, &wl);
		struct atr_err err = {0};
		int v = archive_verify(p, L->time_col, L->chain, &info, out,
				       &err);
		fclose(out);
		if (!CHECK_EQ_INT(v, 0))
			FAILF("%s: %s", p, why);
		ok = v == 0 && CHECK_STR(info.sha256, db_col_text(st, 1)) &&
		     CHECK_EQ_INT(info.rows, db_col_int(st, 2));
		if (ok && L->chain && info.first_seq == 1)
			ok = CHECK_EQ_INT(info.erased, 1); /* stays erased */
		*rows_archived += info.rows;
		free(why);
		free(p);
	}
	if (st)
		db_reset(st);
	db_release(c);
	return ok;
}

/* No row lost and none archived twice: the rows still in the database
 * and the rows the manifests say were removed add up to every row there
 * was (the activity log: its head's seq), no two archives of a log
 * overlap, and every file verifies against its manifest. */
static void check_invariants(struct fx *f, const char *when)
{
	int64_t act = scalar(f, "SELECT COUNT(*) FROM activity_log");
	int64_t pipe = scalar(f, "SELECT COUNT(*) FROM pipe_log");
	int64_t head = scalar(f, "SELECT seq FROM audit_head WHERE org_id = 1");
	int64_t removed_act = scalar(
		f, "SELECT COALESCE(SUM(removed), 0) FROM log_archive WHERE "
		   "log = 'activity'");
	int64_t removed_pipe = scalar(
		f, "SELECT COALESCE(SUM(removed), 0) FROM log_archive WHERE "
		   "log = 'pipe'");
	if (!CHECK_EQ_INT(act + removed_act, head) ||
	    !CHECK_EQ_INT(pipe + removed_pipe, NPIPE + 3))
		FAILF("after the stop at %s: rows lost", when);
	CHECK_EQ_INT(scalar(f, "SELECT COUNT(*) FROM log_archive WHERE "
			       "removed > row_count"),
		     0);
	CHECK_EQ_INT(scalar(f, "SELECT COUNT(*) FROM log_archive a JOIN "
			       "log_archive b ON a.log = b.log AND a.org_id = "
			       "b.org_id AND a.id < b.id AND a.last_id >= "
			       "b.first_id AND b.last_id >= a.first_id"),
		     0);
	int64_t archived = 0;
	if (!archives_verify(f, &archived))
		FAILF("after the stop at %s: an archive does not verify", when);
	char *text = NULL;
	if (!CHECK_EQ_INT(verify_chain(f, &text), 0))
		FAILF("after the stop at %s: %s", when, text);
	free(text);
}

static const char *stop_at;
static int stop_count, stop_after;
static int stop_hook(const char *step)
{
	return !strcmp(step, stop_at) && ++stop_count > stop_after;
}

/* Stops at the (after+1)-th occurrence of step, then lets the next run
 * finish. */
static void crash_case(const char *url, const char *step, int after)
{
	struct fx f;
	if (!fx_open(&f, url) || !fill(&f) || !settings(&f))
		goto out;
	stop_at = step;
	stop_count = 0;
	stop_after = after;
	retention_fault = stop_hook;
	struct atr_err err = {0};
	if (!CHECK_EQ_INT(run(&f, &err), -1))
		goto out;
	CHECK_CONTAINS(err.msg, "(injected)");
	check_invariants(&f, step);

	retention_fault = NULL;
	struct atr_err err2 = {0};
	int n = run(&f, &err2);
	if (!CHECK(n >= 1))
		FAILF("the second run: %s", err2.msg);
	check_invariants(&f, "the end");
	/* Everything old is gone, the newer rows stay; each archived row is
	 * in exactly one archive; the activity archives are the chain up to
	 * its cut. */
	CHECK_EQ_INT(scalar(&f, "SELECT COUNT(*) FROM activity_log WHERE "
				"action = 'update'"),
		     0);
	CHECK_EQ_INT(scalar(&f, "SELECT COUNT(*) FROM pipe_log"), 3);
	CHECK_EQ_INT(scalar(&f, "SELECT SUM(row_count) FROM log_archive WHERE "
				"log = 'pipe'"),
		     NPIPE);
	CHECK_EQ_INT(scalar(&f, "SELECT SUM(row_count) FROM log_archive WHERE "
				"log = 'activity'"),
		     scalar(&f, "SELECT seq FROM audit_cut WHERE org_id = 1"));
	CHECK_EQ_INT(scalar(&f, "SELECT COUNT(*) FROM log_archive WHERE status "
				"<> 'done'"),
		     0);
	/* A third run archives only the second's own log_archived rows, once,
	 * and the chain still verifies. */
	struct atr_err err3 = {0};
	CHECK(run(&f, &err3) >= 0);
	check_invariants(&f, "a third run");
out:
	fx_close(&f);
}

static void case_stop_file(const char *url) { crash_case(url, "file", 0); }
static void case_stop_manifest(const char *url)
{
	crash_case(url, "manifest", 0);
}
static void case_stop_batch(const char *url) { crash_case(url, "batch", 1); }
static void case_stop_done(const char *url) { crash_case(url, "done", 0); }

/* An archive altered after its manifest was written is never acted on. */
static void case_altered_file(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url) || !fill(&f) || !settings(&f))
		goto out;
	stop_at = "manifest";
	stop_count = stop_after = 0;
	retention_fault = stop_hook;
	struct atr_err err = {0};
	CHECK_EQ_INT(run(&f, &err), -1);
	retention_fault = NULL;
	char *p = xasprintf("%s/activity/org1/1-%d.jsonl.gz", f.dir, NACT);
	FILE *fp = fopen(p, "ab");
	if (CHECK(fp != NULL)) {
		fputc('x', fp);
		fclose(fp);
	}
	free(p);
	struct atr_err err2 = {0};
	CHECK_EQ_INT(run(&f, &err2), -1);
	CHECK_CONTAINS(err2.msg, "its rows are kept");
	CHECK_EQ_INT(scalar(&f, "SELECT COUNT(*) FROM activity_log WHERE "
				"action = 'update'"),
		     NACT);
out:
	fx_close(&f);
}

/* 0 days keeps a log forever; rows younger than the cut-off stay. */
static void case_kept(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url) || !fill(&f))
		goto out;
	/* Activity: 0 by default. Pipe: 90 days; the 3 young rows stay. */
	struct atr_err err = {0};
	CHECK_EQ_INT(run(&f, &err), 1);
	CHECK_EQ_INT(scalar(&f, "SELECT COUNT(*) FROM activity_log WHERE "
				"action = 'update'"),
		     NACT);
	CHECK_EQ_INT(scalar(&f, "SELECT COUNT(*) FROM pipe_log"), 3);
	CHECK_EQ_INT(scalar(&f, "SELECT COUNT(*) FROM log_archive"), 1);
	CHECK(exec(&f, "INSERT INTO setting (org_id, key, value) VALUES (1, "
		       "'retention_pipe_days', '0')"));
	CHECK(exec(&f, "UPDATE pipe_log SET received_at = "
		       "'2000-01-01T00:00:00.000Z'"));
	CHECK_EQ_INT(run(&f, &err), 0);
	CHECK_EQ_INT(scalar(&f, "SELECT COUNT(*) FROM pipe_log"), 3);
out:
	fx_close(&f);
}

#define RET_CASE(name, fn)                                                     \
	TEST(retention_sqlite_##name) { unit_with_sqlite(fn); }                \
	TEST(retention_pg_##name) { unit_with_pg(fn); }

RET_CASE(stop_after_file, case_stop_file)
RET_CASE(stop_after_manifest, case_stop_manifest)
RET_CASE(stop_after_batch, case_stop_batch)
RET_CASE(stop_after_done, case_stop_done)
RET_CASE(altered_file, case_altered_file)
RET_CASE(kept, case_kept)
