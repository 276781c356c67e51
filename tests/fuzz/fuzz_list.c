/* fuzz_list.c — libFuzzer harness for the list-query engine
 * (src/http/list.c): parsing filters, operators, sorts and cursors, and
 * the SQL it builds, run against an in-memory SQLite table.
 *
 * The input is a raw query string. The engine must answer a page (valid
 * JSON with data, limit, has_more) or refuse with a 400 and a message;
 * never a database error (that would mean it built invalid SQL from
 * input) and never a crash.
 *
 *   make build/fuzz/fuzz_list
 */
#include "atrium.h"

#include <jansson.h>
#include <sodium.h>

#include "core/app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/secret.h"
#include "core/config.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/query.h"

static const char *const kinds[] = {"a", "b", NULL};
static const struct field fields[] = {
	{.name = "name", .type = FT_TEXT},
	{.name = "qty", .type = FT_INT},
	{.name = "price", .type = FT_MONEY},
	{.name = "kind", .type = FT_ENUM, .choices = kinds},
	{.name = "tags", .type = FT_TAGS},
	{.name = "day", .type = FT_DATE},
	{.name = "at", .type = FT_DATETIME},
	{.name = "ok", .type = FT_BOOL},
};
static struct list_col cols[ATR_ARRAY_LEN(fields)];
static const char *const search[] = {"name", NULL};

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	buf_addc(b, '}');
}

static struct list_spec spec = {
	.from = "item",
	.cols = "id",
	.id = "id",
	.org = "org_id",
	.columns = cols,
	.ncolumns = (int)ATR_ARRAY_LEN(fields),
	.sort_default = "-id",
	.limit_default = 5,
	.limit_max = 20,
	.search = search,
	.row = row,
};

static struct app app;

static void setup(void)
{
	ATR_ASSERT(sodium_init() >= 0);
	setenv("ATRIUM_MASTER_KEY",
	       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	       0);
	struct config cfg = {0};
	struct atr_err err = {0};
	ATR_ASSERT(secret_key_load(&cfg, &err) == 0);
	ATR_ASSERT(db_open("sqlite::memory:", 1, &app.db, &err) == 0);
	struct db_conn *c = db_acquire(app.db, &err);
	ATR_ASSERT(c && db_exec(c, "CREATE TABLE item (id INTEGER PRIMARY KEY, "
				   "org_id INTEGER, name TEXT, qty INTEGER, "
				   "price INTEGER, kind TEXT, tags TEXT, day "
				   "TEXT, at TEXT, ok INTEGER);"
				   "INSERT INTO item VALUES (1, 1, 'x', 1, 100, "
				   "'a', '[\"t\"]', '2026-01-01', "
				   "'2026-01-01T00:00:00.000Z', 1), (2, 1, NULL, "
				   "NULL, NULL, NULL, NULL, NULL, NULL, NULL)") ==
					0);
	db_release(c);
	for (size_t i = 0; i < ATR_ARRAY_LEN(fields); i++)
		cols[i] = (struct list_col){&fields[i], NULL,
					    LIST_FILTER | LIST_SORT};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!app.db)
		setup();
	struct req r;
	memset(&r, 0, sizeof r);
	r.app = &app;
	r.arena = arena_new();
	r.who.org_id = 1;
	struct atr_err qerr;
	memset(&qerr, 0, sizeof qerr);
	if (query_parse((const char *)data, size, r.arena, r.query, QUERY_MAX,
			&r.nquery, &qerr) == 0) {
		int rc = list_run(&r, &spec);
		if (rc == 0) {
			json_t *page = json_loadb(r.raw_owned, r.raw_len, 0,
						  NULL);
			ATR_ASSERT(json_is_array(json_object_get(page, "data")));
			ATR_ASSERT(json_is_boolean(
				json_object_get(page, "has_more")));
			json_decref(page);
		} else {
			ATR_ASSERT(r.err.kind == ATR_E_BAD_REQUEST);
			ATR_ASSERT(r.err.msg[0] != 0);
		}
	}
	if (r.db)
		db_release(r.db);
	free(r.raw_owned);
	arena_free(r.arena);
	return 0;
}
