/* test_archive_rewrite.c — admin/retention.h: retention_rewrite, the
 * rewrite of archives already written (GDPR erasure's reach).
 *
 * Activity and pipe log rows are archived by a retention run; then an edit
 * erases one lead's activity entries' "what" part and the pipe rows from
 * one sender. The rewrite is stopped after each of its steps (the new file
 * written, the manifest moved, the old file removed) through the fault
 * hook, as a crash there would stop it. At each stop every manifest's file
 * exists, verifies (the activity chain against its checkpoint) and matches
 * its checksum, the live chain verifies; the next call finishes: no file
 * under the archive directory holds the sender any more, no old file or
 * temporary file is left, each manifest names the request, and a third
 * call finds nothing to do.
 *
 * SQLite, and PostgreSQL when ATRIUM_TEST_PG is set.
 */
#include "atrium.h"

#include <dirent.h>
#include <stdio.h>
#include <zlib.h>

#include "admin/retention.h"
#include "core/activity.h"
#include "core/config.h"
#include "core/secret.h"
#include "db/db.h"
#include "unit.h"

#define TEST_KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define DAY_MS (24LL * 3600 * 1000)
#define NACT 40
#define NPIPE 20
#define SENDER "subject.person@example.test"

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

/* NACT activity rows about leads 0..NACT-1 (lead 3's diff names the
 * sender), NPIPE old pipe rows (every other one from the sender), all
 * archived by one run. */
static bool fill_and_archive(struct fx *f)
{
	struct db_conn *c = unit_db_acquire(f->db);
	if (!c)
		return false;
	bool ok = db_begin(c) == 0;
	for (int i = 0; ok && i < NACT; i++) {
		json_t *diff = json_pack("{s:{s:s}}", "email", "to",
					 i == 3 ? SENDER : "other@example.test");
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
	char old[ATR_TIME_LEN];
	atr_time_iso(f->now - 200 * DAY_MS, old);
	struct db_stmt *st =
		ok ? db_prepare(c, "INSERT INTO pipe_log (org_id, received_at, "
				   "from_addr, subject, result, bytes) VALUES "
				   "(1, ?, ?, 'hello', 'ignored', ?)")
		   : NULL;
	for (int i = 0; st && ok && i < NPIPE; i++) {
		db_bind_text(st, 1, old);
		db_bind_text(st, 2, i % 2 ? "Subject.Person@Example.test"
					  : "someone@example.test");
		db_bind_int(st, 3, i);
		ok = db_step(st) >= 0;
		db_reset(st);
	}
	ok = ok && st && db_commit(c) == 0;
	if (!ok)
		FAILF("fill: %s", db_errmsg(c));
	ok = ok && db_exec(c, "INSERT INTO setting (org_id, key, value) VALUES "
			      "(1, 'retention_activity_days', '1')") == 0;
	struct atr_err err = {0};
	int n = ok ? retention_run(&f->app, c, f->now + 2 * DAY_MS, NULL, -1,
				   NULL, &err)
		   : -1;
	db_release(c);
	if (!CHECK_EQ_INT(n, 2))
		FAILF("retention_run: %s", err.msg);
	return n == 2;
}

/* The edit: lead 3's entries lose their "what" part; pipe text holding
 * the sender becomes [DELETED]. */
static int edit(void *arg, const struct retention_log *L, json_t *row,
		struct atr_err *err)
{
	(void)arg;
	(void)err;
	if (L->chain) {
		if (json_integer_value(json_object_get(row, "entity_id")) != 3 ||
		    json_is_null(json_object_get(row, "what_salt")))
			return 0;
		json_object_set_new(row, "diff", json_null());
		json_object_set_new(row, "what_salt", json_null());
		return 1;
	}
	const char *from = json_string_value(json_object_get(row, "from_addr"));
	if (!from || strcasecmp(from, SENDER))
		return 0;
	json_object_set_new(row, "from_addr", json_string("[DELETED]"));
	return 1;
}

static int rewrite(struct fx *f, json_t *done, struct atr_err *err)
{
	struct db_conn *c = unit_db_acquire(f->db);
	if (!c)
		return -1;
	struct archive_rewrite rw = {.org = 1,
				     .tag = "e",
				     .tag_id = 9,
				     .note = "erasure request",
				     .edit = edit,
				     .actor_name = "test",
				     .action = "gdpr_archive_rewrite"};
	int fd = retention_lock(&f->app, c, err);
	int rc = fd < 0 ? -1 : retention_rewrite(&f->app, c, &rw, done, err);
	if (fd >= 0)
		retention_unlock(c, fd);
	db_release(c);
	return rc;
}

/* Every manifest's file verifies and matches its checksum; the live
 * chain verifies. */
static void check_verifiable(struct fx *f, const char *when)
{
	struct db_conn *c = unit_db_acquire(f->db);
	if (!c)
		return;
	struct db_stmt *st = db_prepare(
		c, "SELECT path, sha256, row_count, log FROM log_archive");
	int rc, n = 0;
	while (st && (rc = db_step(st)) == 1) {
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
		if (!CHECK_EQ_INT(v, 0) ||
		    !CHECK_STR(info.sha256, db_col_text(st, 1)) ||
		    !CHECK_EQ_INT(info.rows, db_col_int(st, 2)))
			FAILF("after %s: %s does not verify: %s", when, p, why);
		free(why);
		free(p);
		n++;
	}
	if (st)
		db_reset(st);
	db_release(c);
	CHECK_EQ_INT(n, 2);
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);
	struct atr_err err = {0};
	if (!CHECK_EQ_INT(activity_verify(f->db, out, &err), 0))
		FAILF("after %s: %s", when, text);
	fclose(out);
	free(text);
}

/* Files under dir (recursively) holding needle once gunzipped, and files
 * whose name starts with ".tmp-". */
static void scan(const char *dir, const char *needle, int *holding, int *tmp)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = xasprintf("%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			scan(p, needle, holding, tmp);
		} else if (!strncmp(e->d_name, ".tmp-", 5)) {
			(*tmp)++;
		} else if (strstr(e->d_name, ".jsonl.gz")) {
			gzFile gz = gzopen(p, "rb");
			char buf[65536];
			int n;
			bool found = false;
			while (gz && !found &&
			       (n = gzread(gz, buf, sizeof buf - 1)) > 0) {
				buf[n] = 0;
				found = strcasestr(buf, needle) != NULL;
			}
			if (gz)
				gzclose(gz);
			*holding += found;
		}
		free(p);
	}
	if (d)
		closedir(d);
}

static const char *hook_step;
static int hook(const char *s)
{
	return hook_step && !strcmp(s, hook_step);
}

/* Stops the rewrite at step (in the first archive, the activity log's);
 * rewritten: the archives the two calls report between them (a stop after
 * the manifest moved reports none for that archive, and the next call
 * finds it already rewritten). */
static void crash_case(const char *url, const char *step, int rewritten)
{
	struct fx f;
	if (!fx_open(&f, url) || !fill_and_archive(&f))
		goto out;
	int holding = 0, tmp = 0;
	scan(f.dir, SENDER, &holding, &tmp);
	CHECK_EQ_INT(holding, 2); /* the activity and the pipe archive */

	hook_step = step;
	retention_fault = hook;
	json_t *done = json_array();
	struct atr_err err = {0};
	CHECK_EQ_INT(rewrite(&f, done, &err), -1);
	CHECK_CONTAINS(err.msg, "(injected)");
	retention_fault = NULL;
	check_verifiable(&f, step);

	json_t *done2 = json_array();
	struct atr_err err2 = {0};
	if (!CHECK_EQ_INT(rewrite(&f, done2, &err2), 0))
		FAILF("the next call: %s", err2.msg);
	check_verifiable(&f, "the next call");
	holding = tmp = 0;
	scan(f.dir, SENDER, &holding, &tmp);
	CHECK_EQ_INT(holding, 0);
	CHECK_EQ_INT(tmp, 0);
	CHECK_EQ_INT((int64_t)(json_array_size(done) + json_array_size(done2)),
		     rewritten);
	CHECK_EQ_INT(scalar(&f, "SELECT COUNT(*) FROM log_archive WHERE "
				"rewritten_by = 9 AND replaced_path IS NULL AND "
				"rewrite_note LIKE 'rewritten by erasure "
				"request 9 at %'"),
		     2);
	CHECK_EQ_INT(scalar(&f, "SELECT COUNT(*) FROM activity_log WHERE "
				"action = 'gdpr_archive_rewrite'"),
		     2);
	/* Each org directory: one archive (and the activity checkpoint). */
	char *adir = xasprintf("%s/activity/org1", f.dir);
	char *pdir = xasprintf("%s/pipe/org1", f.dir);
	int na = 0, np = 0;
	DIR *d = opendir(adir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		na += e->d_name[0] != '.';
	if (d)
		closedir(d);
	d = opendir(pdir);
	while (d && (e = readdir(d)))
		np += e->d_name[0] != '.';
	if (d)
		closedir(d);
	CHECK_EQ_INT(na, 2);
	CHECK_EQ_INT(np, 1);
	free(adir);
	free(pdir);

	json_t *done3 = json_array();
	struct atr_err err3 = {0};
	CHECK_EQ_INT(rewrite(&f, done3, &err3), 0);
	CHECK_EQ_INT((int64_t)json_array_size(done3), 0);
	json_decref(done);
	json_decref(done2);
	json_decref(done3);
out:
	fx_close(&f);
}

static void case_file(const char *url)
{
	crash_case(url, "rewrite_file", 2);
}
static void case_manifest(const char *url)
{
	crash_case(url, "rewrite_manifest", 1);
}
static void case_removed(const char *url)
{
	crash_case(url, "rewrite_removed", 2);
}

/* A file altered behind Atrium's back is never rewritten (it would get a
 * fresh checksum). */
static void case_altered(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url) || !fill_and_archive(&f))
		goto out;
	char *p = NULL;
	struct db_conn *c = unit_db_acquire(f.db);
	if (c) {
		struct db_stmt *st = db_prepare(
			c, "SELECT path FROM log_archive WHERE log = 'pipe'");
		if (st && db_step(st) == 1)
			p = xasprintf("%s/%s", f.dir, db_col_text(st, 0));
		if (st)
			db_reset(st);
		db_release(c);
	}
	FILE *fp = p ? fopen(p, "ab") : NULL;
	if (CHECK(fp != NULL)) {
		fputc('x', fp);
		fclose(fp);
	}
	json_t *done = json_array();
	struct atr_err err = {0};
	CHECK_EQ_INT(rewrite(&f, done, &err), -1);
	CHECK_CONTAINS(err.msg, "not rewritten");
	CHECK_EQ_INT(scalar(&f, "SELECT COUNT(*) FROM log_archive WHERE log = "
				"'pipe' AND rewritten_by IS NULL"),
		     1);
	json_decref(done);
	free(p);
out:
	fx_close(&f);
}

#define RW_CASE(name, fn)                                                      \
	TEST(archive_rewrite_sqlite_##name) { unit_with_sqlite(fn); }          \
	TEST(archive_rewrite_pg_##name) { unit_with_pg(fn); }

RW_CASE(stop_after_file, case_file)
RW_CASE(stop_after_manifest, case_manifest)
RW_CASE(stop_after_removed, case_removed)
RW_CASE(altered_file, case_altered)
