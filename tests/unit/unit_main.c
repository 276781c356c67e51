/* unit_main.c — runs the registered unit tests.
 *
 *   build/san/unit            every test
 *   build/san/unit PATTERN    only tests whose name contains PATTERN
 *
 * Prints each failed check as it happens, a FAIL line per failed test, and
 * ends with exactly "N passed, N failed"; exits 1 when any test failed (or
 * when PATTERN matches no test), 0 otherwise.
 */
#include "atrium.h"

#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "cmd/cmd.h"
#include "core/embedded.h"
#include "db/db.h"
#include "db/migrate.h"

extern char **environ;

#define UNIT_MAX_TESTS 1024

struct unit_test {
	const char *name;
	unit_fn fn;
	const char *file;
	int line;
};

struct app unit_app;

static struct unit_test tests[UNIT_MAX_TESTS];
static int ntests;

/* State of the test that is running. */
static const char *cur_name = "(none)";
static int cur_failures;
static bool cur_skipped;

void unit_register(const char *name, unit_fn fn, const char *file, int line)
{
	if (ntests >= UNIT_MAX_TESTS) {
		fprintf(stderr, "unit: more than %d tests; raise "
				"UNIT_MAX_TESTS\n",
			UNIT_MAX_TESTS);
		abort();
	}
	tests[ntests++] = (struct unit_test){name, fn, file, line};
}

/* Prints s quoted, escaping what is not printable, at most 200 bytes. */
static void print_quoted(const char *s)
{
	if (!s) {
		fputs("NULL", stdout);
		return;
	}
	putchar('"');
	size_t i = 0;
	for (; s[i] && i < 200; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
	if (s[i])
		printf("... (%zu bytes)", strlen(s));
}

static void fail_head(const char *file, int line)
{
	cur_failures++;
	printf("%s:%d: %s: ", file, line, cur_name);
}

void unit_failf(const char *file, int line, const char *fmt, ...)
{
	fail_head(file, line);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

bool unit_check(bool ok, const char *file, int line, const char *expr)
{
	if (!ok)
		unit_failf(file, line, "CHECK(%s) failed", expr);
	return ok;
}

bool unit_check_int(long long a, long long b, const char *ea, const char *eb,
		    const char *file, int line)
{
	if (a == b)
		return true;
	unit_failf(file, line, "CHECK_EQ_INT(%s, %s) failed: %lld != %lld", ea,
		   eb, a, b);
	return false;
}

bool unit_check_str(const char *a, const char *b, const char *ea,
		    const char *eb, const char *file, int line)
{
	if ((!a && !b) || (a && b && strcmp(a, b) == 0))
		return true;
	fail_head(file, line);
	printf("CHECK_STR(%s, %s) failed: ", ea, eb);
	print_quoted(a);
	fputs(" != ", stdout);
	print_quoted(b);
	putchar('\n');
	fflush(stdout);
	return false;
}

bool unit_check_contains(const char *hay, const char *needle, const char *eh,
			 const char *en, const char *file, int line)
{
	if (hay && needle && strstr(hay, needle))
		return true;
	fail_head(file, line);
	printf("CHECK_CONTAINS(%s, %s) failed: ", eh, en);
	print_quoted(hay);
	fputs(" does not contain ", stdout);
	print_quoted(needle);
	putchar('\n');
	fflush(stdout);
	return false;
}

void unit_skip(const char *fmt, ...)
{
	cur_skipped = true;
	printf("skip %s: ", cur_name);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* --- helpers ------------------------------------------------------------ */

char *unit_tmpdir(void)
{
	char tmpl[] = "/tmp/atrium-unit.XXXXXX";
	if (!mkdtemp(tmpl)) {
		FAILF("mkdtemp: %s", strerror(errno));
		return NULL;
	}
	return xstrdup(tmpl);
}

static int rm_one(const char *path, const struct stat *sb, int type,
		  struct FTW *ftw)
{
	return remove(path) == 0 ? 0 : -1;
}

int unit_rmtree(const char *dir)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int unit_spawn(char *const argv[])
{
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (rc != 0) {
		printf("unit: cannot run %s: %s\n", argv[0], strerror(rc));
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void unit_with_sqlite(unit_db_fn fn)
{
	char *dir = unit_tmpdir();
	if (!dir)
		return;
	char *url = xasprintf("sqlite:%s/test.db", dir);
	fn(url);
	free(url);
	if (unit_rmtree(dir) != 0)
		FAILF("cannot remove %s", dir);
	free(dir);
}

/* Runs one SQL command against the server's maintenance database. */
static int pg_admin(const char *base, const char *sql)
{
	char *url = xasprintf("%s%spostgres", base,
			      base[strlen(base) - 1] == '/' ? "" : "/");
	char *argv[] = {"psql", url,  "-X", "-q", "-v", "ON_ERROR_STOP=1",
			"-c",   (char *)sql, NULL};
	int rc = unit_spawn(argv);
	free(url);
	return rc;
}

void unit_with_pg(unit_db_fn fn)
{
	static int seq;
	const char *base = getenv("ATRIUM_TEST_PG");
	if (!base || !*base) {
		unit_skip("ATRIUM_TEST_PG is not set; PostgreSQL variant "
			  "skipped");
		return;
	}
	char name[64];
	snprintf(name, sizeof name, "atrium_unit_%ld_%d", (long)getpid(),
		 ++seq);
	char *sql = xasprintf("CREATE DATABASE %s", name);
	int rc = pg_admin(base, sql);
	free(sql);
	if (rc != 0) {
		FAILF("cannot create database %s on %s", name, base);
		return;
	}
	char *url = xasprintf("%s%s%s", base,
			      base[strlen(base) - 1] == '/' ? "" : "/", name);
	fn(url);
	free(url);
	sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	if (pg_admin(base, sql) != 0)
		FAILF("cannot drop database %s on %s", name, base);
	free(sql);
}

/* --- runner ------------------------------------------------------------- */

static int by_place(const void *x, const void *y)
{
	const struct unit_test *a = x, *b = y;
	int c = strcmp(a->file, b->file);
	if (c)
		return c;
	if (a->line != b->line)
		return a->line - b->line;
	return strcmp(a->name, b->name);
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "unit: sodium_init failed\n");
		return 1;
	}
	/* Failures go to stdout interleaved with sanitizer output on stderr;
	 * keep them in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *pattern = argc > 1 ? argv[1] : NULL;
	/* The module table, as every command sees it (settings rows and
	 * permission modules included); no database. */
	cmd_kernel_init(&unit_app);

	/* Constructors run in link order; sort so runs are reproducible. */
	qsort(tests, (size_t)ntests, sizeof tests[0], by_place);
	for (int i = 0; i < ntests; i++)
		for (int j = i + 1; j < ntests; j++)
			if (strcmp(tests[i].name, tests[j].name) == 0) {
				fprintf(stderr,
					"unit: test '%s' is defined twice "
					"(%s:%d and %s:%d)\n",
					tests[i].name, tests[i].file,
					tests[i].line, tests[j].file,
					tests[j].line);
				return 1;
			}

	int passed = 0, failed = 0, skipped = 0, matched = 0;
	for (int i = 0; i < ntests; i++) {
		const struct unit_test *t = &tests[i];
		if (pattern && !strstr(t->name, pattern))
			continue;
		matched++;
		cur_name = t->name;
		cur_failures = 0;
		cur_skipped = false;
		t->fn();
		if (cur_failures) {
			printf("FAIL %s (%s:%d): %d failed check%s\n", t->name,
			       t->file, t->line, cur_failures,
			       cur_failures == 1 ? "" : "s");
			failed++;
		} else if (cur_skipped) {
			skipped++;
		} else {
			passed++;
		}
	}
	cur_name = "(none)";
	if (pattern && !matched)
		printf("note: no test name contains '%s'\n", pattern);
	if (skipped)
		printf("note: %d test%s skipped (not counted)\n", skipped,
		       skipped == 1 ? "" : "s");
	printf("%d passed, %d failed\n", passed, failed);
	cmd_kernel_fini(&unit_app);
	return failed || (pattern && !matched) ? 1 : 0;
}

struct db *unit_db_open(const char *url, bool migrate)
{
	struct db *db = NULL;
	struct atr_err err = {0};
	if (db_open(url, 2, &db, &err) != 0) {
		FAILF("db_open(%s): %s", url, err.msg);
		return NULL;
	}
	int applied;
	if (migrate && migrate_run(db, &applied, &err) != 0) {
		FAILF("migrate_run: %s", err.msg);
		db_close(db);
		return NULL;
	}
	return db;
}

struct db_conn *unit_db_acquire(struct db *db)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(db, &err);
	if (!c)
		FAILF("db_acquire: %s", err.msg);
	return c;
}

bool unit_run_migrations(struct db_conn *c, const char *before, bool from)
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

int64_t unit_db_scalar(struct db_conn *c, const char *sql)
{
	struct db_stmt *st = db_prepare(c, sql);
	if (!st) {
		FAILF("prepare %s: %s", sql, db_errmsg(c));
		return -1;
	}
	int64_t v = db_step(st) == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return v;
}
