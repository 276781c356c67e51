/* unit.h — the unit-test framework: TEST, CHECK and a few helpers.
 *
 * Writing a test:
 *   #include "atrium.h"
 *   #include "unit.h"
 *   TEST(buf_grows) { ... CHECK_EQ_INT(b.len, 3); ... }
 *
 * TEST registers the function from a constructor, so a new test_*.c file
 * needs no table entry: the Makefile links every tests/unit/test_*.c.
 * Test names are global; unit_main refuses duplicates.
 *
 * Every CHECK is an expression that records a failure (file:line and the
 * values), lets the test go on, and yields true when the check held, so a
 * test can stop before it dereferences what failed:
 *   if (!CHECK(p != NULL)) return;
 */
#ifndef ATR_UNIT_H
#define ATR_UNIT_H

#include "atrium.h"

#include "core/app.h"

typedef void (*unit_fn)(void);

/* The kernel as every command has it (cmd_kernel_init: modules, their
 * settings rows and permission modules, the route table), no database. */
extern struct app unit_app;

void unit_register(const char *name, unit_fn fn, const char *file, int line);

#define TEST(name)                                                             \
	static void test_##name(void);                                         \
	__attribute__((constructor)) static void unit_reg_##name(void)         \
	{                                                                      \
		unit_register(#name, test_##name, __FILE__, __LINE__);         \
	}                                                                      \
	static void test_##name(void)

bool unit_check(bool ok, const char *file, int line, const char *expr);
bool unit_check_int(long long a, long long b, const char *ea, const char *eb,
		    const char *file, int line);
bool unit_check_str(const char *a, const char *b, const char *ea,
		    const char *eb, const char *file, int line);
bool unit_check_contains(const char *hay, const char *needle, const char *eh,
			 const char *en, const char *file, int line);

#define CHECK(cond) unit_check((cond) ? true : false, __FILE__, __LINE__, #cond)
#define CHECK_EQ_INT(a, b)                                                     \
	unit_check_int((long long)(a), (long long)(b), #a, #b, __FILE__,       \
		       __LINE__)
/* Compares C strings; NULL equals only NULL. */
#define CHECK_STR(a, b) unit_check_str((a), (b), #a, #b, __FILE__, __LINE__)
/* hay contains needle (a NULL hay never does). */
#define CHECK_CONTAINS(hay, needle)                                            \
	unit_check_contains((hay), (needle), #hay, #needle, __FILE__, __LINE__)

/* Fails the current test with a message (for conditions no macro fits). */
void unit_failf(const char *file, int line, const char *fmt, ...)
	ATR_PRINTF(3, 4);
#define FAILF(...) unit_failf(__FILE__, __LINE__, __VA_ARGS__)

/* Marks the current test skipped: it counts as neither passed nor failed,
 * and the reason is printed. The test should return right after. */
void unit_skip(const char *fmt, ...) ATR_PRINTF(1, 2);

/* --- helpers ------------------------------------------------------------ */

/* A fresh directory under /tmp; the caller frees the path (and removes the
 * directory with unit_rmtree). NULL (and a failed check) on error. */
char *unit_tmpdir(void);
/* Removes dir and everything below it. 0 on success. */
int unit_rmtree(const char *dir);
/* Runs argv (PATH lookup) with posix_spawn and waits; returns the exit
 * status, or -1 when it could not run or died from a signal. */
int unit_spawn(char *const argv[]);

/* Runs fn against a fresh, empty database: SQLite in a temporary directory,
 * or PostgreSQL in a database created for this call under the server named
 * by env ATRIUM_TEST_PG (skipped, not passed, when it is unset). The
 * database is removed afterwards. */
typedef void (*unit_db_fn)(const char *url);

struct db;
struct db_conn;
/* Opens url (a pool of 2), migrated when asked. NULL and a failed check
 * when it cannot. */
struct db *unit_db_open(const char *url, bool migrate);
/* A connection, or NULL and a failed check. */
struct db_conn *unit_db_acquire(struct db *db);
/* The single integer a query returns; -1 and a failed check on error. */
int64_t unit_db_scalar(struct db_conn *c, const char *sql);
/* Runs the dialect's embedded migrations whose names sort before `before`
 * (or, with from = true, from it on): an upgrade test's "before" and
 * "after". False and a failed check when one fails. */
bool unit_run_migrations(struct db_conn *c, const char *before, bool from);
void unit_with_sqlite(unit_db_fn fn);
void unit_with_pg(unit_db_fn fn);

#endif
