/* test_list.c — the list-query engine against a table of its own, on
 * SQLite (and PostgreSQL when ATRIUM_TEST_PG is set): filters, sorts,
 * cursors, counts, scope arms, and the 400s; a staff list (a joined
 * column: its filters, an arm that walks its table, the page hook). */
#include "atrium.h"

#include "unit.h"

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/secret.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/query.h"

static const struct field f_name = {.name = "name", .type = FT_TEXT,
				    .max = 20};
static const struct field f_qty = {.name = "qty", .type = FT_INT};
static const struct field f_note = {.name = "note", .type = FT_TEXT};
static const struct field f_members = {.name = "members",
				       .type = FT_STAFF_LIST};

static const struct list_col cols[] = {
	{&f_name, NULL, LIST_FILTER | LIST_SORT},
	{&f_qty, NULL, LIST_FILTER | LIST_SORT},
	{&f_note, NULL, 0},
	{&f_members, "item_members", LIST_FILTER | LIST_SORT},
};

static const char *const search[] = {"name", NULL};

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "name", false);
	jout_str(b, db_col_text(st, 1));
	buf_addc(b, '}');
}

/* The scope of the test: only qty 1 and qty 3, as two arms. */
static int arms(struct req *r, struct list_query *q, const void *arg)
{
	list_arm(q, "qty = ?");
	list_int(q, 1);
	list_arm(q, "qty = ? AND qty <> ?");
	list_int(q, 3);
	list_int(q, 1);
	return 0;
}

/* The scope of the join test: qty 3 (a column arm), or member 7 on the
 * list (an arm that walks item_members in id order), without those of
 * qty 3 again. */
static int join_arms(struct req *r, struct list_query *q, const void *arg)
{
	list_arm(q, "qty = ?");
	list_int(q, 3);
	list_arm_join(q,
		      " JOIN (SELECT org_id AS jm_org, record_id AS jm_rid, "
		      "staff_id AS jm_sid FROM item_members) AS jm ON "
		      "jm.jm_rid = item.id",
		      "jm.jm_rid",
		      "jm.jm_org = ? AND jm.jm_sid = ? AND (qty IS NULL OR "
		      "qty NOT IN (?))");
	list_int(q, 1);
	list_int(q, 7);
	list_int(q, 3);
	return 0;
}

/* A page hook that adds a row after the page's: it sees them all, once. */
static int rows_done(struct req *r, struct buf *out, const void *arg)
{
	(*(int *)arg)++;
	buf_adds(out, ",{\"id\":99,\"name\":\"added\"}");
	return 0;
}

/* A summary after the page; arg counts the calls. */
static int extra(struct req *r, struct buf *out, const void *arg)
{
	(*(int *)arg)++;
	buf_adds(out, ",\"summary\":{\"n\":7}");
	return 0;
}

static struct list_spec spec = {
	.from = "item",
	.cols = "id, name",
	.id = "id",
	.org = "org_id",
	.columns = cols,
	.ncolumns = 4,
	.sort_default = "-id",
	.limit_default = 3,
	.limit_max = 10,
	.search = search,
	.row = row,
};

static struct app app;

/* Runs the list with query string qs; the answer as JSON (caller frees)
 * or NULL with the error message in msg. */
static json_t *run(const char *qs, char msg[256])
{
	struct req r = {0};
	r.app = &app;
	r.arena = arena_new();
	r.who.org_id = 1;
	r.who.staff_id = 9; /* `me` */
	struct atr_err qerr = {0};
	if (*qs && query_parse(qs, strlen(qs), r.arena, r.query, QUERY_MAX,
			      &r.nquery, &qerr) < 0) {
		arena_free(r.arena);
		atr_strlcpy(msg, qerr.msg, 256);
		return NULL;
	}
	int rc = list_run(&r, &spec);
	json_t *out = NULL;
	if (rc == 0)
		out = json_loadb(r.raw_owned, r.raw_len, 0, NULL);
	else
		atr_strlcpy(msg, r.err.msg, 256);
	if (r.db)
		db_release(r.db);
	free(r.raw_owned);
	arena_free(r.arena);
	return out;
}

/* The ids of a page as "3,2,1". */
static const char *ids(json_t *page, char *buf, size_t n)
{
	size_t o = 0;
	buf[0] = 0;
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(page, "data"), i, v)
		o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? "," : "",
				      (long long)json_integer_value(
					      json_object_get(v, "id")));
	return buf;
}

#define EXPECT(qs, want)                                                       \
	do {                                                                   \
		char m_[256] = "", b_[256];                                    \
		json_t *p_ = run(qs, m_);                                      \
		if (!p_)                                                       \
			FAILF("%s: %s", qs, m_);                               \
		else                                                           \
			CHECK_STR(ids(p_, b_, sizeof b_), want);               \
		json_decref(p_);                                               \
	} while (0)

#define REFUSE(qs, fragment)                                                   \
	do {                                                                   \
		char m_[256] = "";                                             \
		json_t *p_ = run(qs, m_);                                      \
		CHECK(p_ == NULL);                                             \
		CHECK_CONTAINS(m_, fragment);                                  \
		json_decref(p_);                                               \
	} while (0)

static void engine(const char *url)
{
	app.db = unit_db_open(url, false);
	if (!app.db)
		return;
	struct db_conn *c = unit_db_acquire(app.db);
	bool pg = db_conn_dialect(c) == DB_PG;
	int rc = db_exec(c, pg ? "CREATE TABLE item (id BIGINT PRIMARY KEY, "
				 "org_id BIGINT, name TEXT, qty BIGINT, "
				 "note TEXT)"
			       : "CREATE TABLE item (id INTEGER PRIMARY KEY, "
				 "org_id INTEGER, name TEXT, qty INTEGER, "
				 "note TEXT)");
	rc |= db_exec(c, "INSERT INTO item VALUES (1, 1, 'pear', 3, NULL), "
			 "(2, 1, 'Apple', 1, 'x'), (3, 1, 'fig', NULL, NULL), "
			 "(4, 1, 'apple pie', 3, NULL), (5, 1, 'kiwi', 2, "
			 "NULL), (6, 2, 'other org', 1, NULL)");
	/* Members: 1 [7], 2 [7, 9], 3 [7], 4 [9], 5 none; org 2's 6 [7]. */
	rc |= db_exec(c, "CREATE TABLE item_members (org_id BIGINT, "
			 "record_id BIGINT, staff_id BIGINT, PRIMARY KEY "
			 "(record_id, staff_id))");
	rc |= db_exec(c, "INSERT INTO item_members VALUES (1, 1, 7), "
			 "(1, 2, 7), (1, 2, 9), (1, 3, 7), (1, 4, 9), (2, 6, 7)");
	db_release(c);
	if (!CHECK_EQ_INT(rc, 0))
		goto out;

	EXPECT("", "5,4,3");
	EXPECT("limit=10", "5,4,3,2,1");
	EXPECT("sort=name&limit=10", "2,4,3,5,1");   /* case-insensitive */
	EXPECT("sort=-qty,name&limit=10", "4,1,5,2,3"); /* NULL last */
	EXPECT("qty[gte]=2&sort=id", "1,4,5");
	EXPECT("qty[in]=1,2&sort=id", "2,5");
	EXPECT("qty[ne]=3&sort=id", "2,3,5");
	EXPECT("qty[empty]=true", "3");
	EXPECT("name[contains]=APPLE&sort=id", "2,4");
	EXPECT("q=pl&sort=id", "2,4");
	EXPECT("q=100%25&sort=id", "");

	/* Cursors: three pages of two under a sort with NULLs and ties. */
	char m[256] = "", b[256];
	json_t *p1 = run("sort=-qty,name&limit=2", m);
	const char *cur = json_string_value(json_object_get(p1, "next_cursor"));
	CHECK_STR(ids(p1, b, sizeof b), "4,1");
	CHECK(json_is_true(json_object_get(p1, "has_more")));
	char *q2 = xasprintf("sort=-qty,name&limit=2&cursor=%s", cur ? cur : "");
	json_t *p2 = run(q2, m);
	CHECK_STR(p2 ? ids(p2, b, sizeof b) : m, "5,2");
	cur = json_string_value(json_object_get(p2, "next_cursor"));
	char *q3 = xasprintf("sort=-qty,name&limit=2&cursor=%s", cur ? cur : "");
	json_t *p3 = run(q3, m);
	CHECK_STR(p3 ? ids(p3, b, sizeof b) : m, "3");
	CHECK(json_is_false(json_object_get(p3, "has_more")));
	CHECK(json_is_null(json_object_get(p3, "next_cursor")));
	/* The same cursor under another sort is refused. */
	char *q4 = xasprintf("sort=name&limit=2&cursor=%s", cur ? cur : "");
	REFUSE(q4, "cursor");
	json_decref(p1);
	json_decref(p2);
	json_decref(p3);
	free(q2);
	free(q3);
	free(q4);

	/* Counts: only when asked (no total hook here). */
	json_t *n = run("count=true&qty[gte]=1", m);
	CHECK_EQ_INT(json_integer_value(json_object_get(n, "total")), 4);
	json_decref(n);
	n = run("qty[gte]=1", m);
	CHECK(json_object_get(n, "total") == NULL);
	json_decref(n);

	/* Scope arms: qty 1 or 3, merged in order, each row once. */
	spec.scope = arms;
	EXPECT("limit=10", "4,2,1");
	EXPECT("limit=10&sort=name", "2,4,1");
	n = run("count=true", m);
	CHECK_EQ_INT(json_integer_value(json_object_get(n, "total")), 3);
	json_decref(n);
	spec.scope = NULL;

	/* Extra members after the page, once per answer, none on a 400. */
	int calls = 0;
	spec.extra = extra;
	spec.arg = &calls;
	n = run("limit=1", m);
	CHECK_EQ_INT(json_integer_value(json_object_get(
			     json_object_get(n, "summary"), "n")),
		     7);
	CHECK_EQ_INT((int)json_array_size(json_object_get(n, "data")), 1);
	json_decref(n);
	REFUSE("limit=0", "limit");
	CHECK_EQ_INT(calls, 1);
	spec.extra = NULL;
	spec.arg = NULL;
	/* Text longer than its field holds is refused, not matched. */
	REFUSE("name=abcdefghijklmnopqrstuvwxyz", "at most 20 characters");

	/* A staff list: has the member, has not, any of, nobody; me. */
	EXPECT("members=7&sort=id&limit=10", "1,2,3");
	EXPECT("members=me&sort=id", "2,4");
	EXPECT("members[in]=9,11&sort=id", "2,4");
	EXPECT("members[in]=me,7&sort=id&limit=10", "1,2,3,4");
	EXPECT("members[ne]=7&sort=id", "4,5");
	EXPECT("members[ne]=me&sort=id", "1,3,5");
	EXPECT("members[empty]=true", "5");
	EXPECT("members[empty]=false&sort=id&limit=10", "1,2,3,4");
	EXPECT("members=7&qty=3", "1");
	EXPECT("members=12", "");
	EXPECT("members=7&sort=name&limit=10", "2,3,1"); /* the walk, sorted */
	EXPECT("members=7&members[in]=9,12&sort=id", "2"); /* walk + probe */
	{
		/* members=7 alone walks the list's table: paged by cursor. */
		char got[64] = "";
		char *q = xasprintf("members=7&limit=1");
		for (int i = 0; i < 5 && q; i++) {
			json_t *pj = run(q, m);
			free(q);
			q = NULL;
			if (!pj) {
				FAILF("members walk, page %d: %s", i, m);
				break;
			}
			size_t o = strlen(got);
			snprintf(got + o, sizeof got - o, "%s%s", o ? "," : "",
				 ids(pj, b, sizeof b));
			const char *nc = json_string_value(
				json_object_get(pj, "next_cursor"));
			if (nc)
				q = xasprintf("members=7&limit=1&cursor=%s", nc);
			json_decref(pj);
		}
		free(q);
		CHECK_STR(got, "3,2,1");
		n = run("members=7&count=true", m);
		CHECK_EQ_INT(json_integer_value(json_object_get(n, "total")), 3);
		json_decref(n);
	}
	REFUSE("members=abc", "members must be an integer");
	REFUSE("members[gt]=1", "cannot be filtered with [gt]");
	REFUSE("members[contains]=1", "cannot be filtered with [contains]");
	REFUSE("members[empty]=perhaps", "must be true or false");
	REFUSE("sort=members", "cannot sort by 'members'");
	/* `me` only where the type allows it. */
	REFUSE("qty=me", "qty must be an integer");

	/* An arm that walks the list's table: qty 3 (1, 4) or member 7
	 * (1, 2, 3; 1 already given), each once, in page order, and paged
	 * by cursor along both arms. */
	spec.scope = join_arms;
	EXPECT("limit=10", "4,3,2,1");
	EXPECT("limit=10&sort=id", "1,2,3,4");
	EXPECT("limit=10&sort=name", "2,4,3,1");
	EXPECT("limit=10&qty[empty]=true", "3");
	/* A list filter under arms probes each row they read. */
	EXPECT("limit=10&members=9", "4,2");
	EXPECT("limit=10&members[ne]=7", "4");
	EXPECT("limit=10&members[in]=9,12&sort=id", "2,4");
	EXPECT("limit=10&members[empty]=true", "");
	n = run("count=true&members=9", m);
	CHECK_EQ_INT(json_integer_value(json_object_get(n, "total")), 2);
	json_decref(n);
	n = run("count=true", m);
	CHECK_EQ_INT(json_integer_value(json_object_get(n, "total")), 4);
	json_decref(n);
	{
		char got[64] = "";
		char *q = xasprintf("limit=1");
		for (int i = 0; i < 6 && q; i++) {
			json_t *pj = run(q, m);
			free(q);
			q = NULL;
			if (!pj) {
				FAILF("join arms, page %d: %s", i, m);
				break;
			}
			size_t o = strlen(got);
			snprintf(got + o, sizeof got - o, "%s%s", o ? "," : "",
				 ids(pj, b, sizeof b));
			const char *nc = json_string_value(
				json_object_get(pj, "next_cursor"));
			if (nc)
				q = xasprintf("limit=1&cursor=%s", nc);
			json_decref(pj);
		}
		free(q);
		CHECK_STR(got, "4,3,2,1");
	}
	spec.scope = NULL;

	/* The page hook: after the rows, once per page that has any. */
	calls = 0;
	spec.rows_done = rows_done;
	spec.arg = &calls;
	EXPECT("limit=2", "5,4,99");
	EXPECT("name=nothing", "");
	CHECK_EQ_INT(calls, 1);
	spec.rows_done = NULL;
	spec.arg = NULL;

	REFUSE("colour=red", "unknown query parameter 'colour'");
	REFUSE("note=x", "cannot filter on 'note'");
	REFUSE("sort=note", "cannot sort by 'note'");
	REFUSE("qty[gt]=abc", "qty must be an integer");
	REFUSE("name[gt]=a", "cannot be filtered with [gt]");
	REFUSE("qty[between]=1", "unknown operator 'between'");
	REFUSE("limit=11", "limit must be an integer in 1..10");
	REFUSE("cursor=abc.def", "cursor");
	REFUSE("cursor=x&offset=2", "either cursor or offset");
	REFUSE("count=yes", "count must be true or false");
out:
	db_close(app.db);
	app.db = NULL;
}

/* Cursors are MACed with a key derived from the master key. */
static void with_key(unit_db_fn fn, void (*runner)(unit_db_fn))
{
	bool had = secret_key_loaded();
	if (!had) {
		setenv("ATRIUM_MASTER_KEY",
		       "00112233445566778899aabbccddeeff00112233445566778899aabbc"
		       "cddeeff",
		       0);
		struct config cfg = {0};
		struct atr_err err = {0};
		if (secret_key_load(&cfg, &err) < 0) {
			FAILF("cannot load a master key: %s", err.msg);
			return;
		}
	}
	runner(fn);
	if (!had)
		secret_key_unload();
}

TEST(list_engine_sqlite)
{
	with_key(engine, unit_with_sqlite);
}

TEST(list_engine_pg)
{
	with_key(engine, unit_with_pg);
}

/* ---- the trigram search plans (SQLite) ------------------------------------ */

static const char *const fts_search[] = {"name", NULL};

/* Every answer of ?q= against the LIKE oracle, over 20,000 rows that all
 * share the trigrams of "Common name" (so they are common, past
 * SEARCH_RARE) and differ in their digits. */
static void search_plans(const char *url)
{
	app.db = unit_db_open(url, false);
	if (!app.db)
		return;
	struct db_conn *c = unit_db_acquire(app.db);
	int rc = db_exec(c, "CREATE TABLE item (id INTEGER PRIMARY KEY, "
			    "org_id INTEGER, name TEXT, qty INTEGER, note TEXT)");
	rc |= db_exec(c, "CREATE VIRTUAL TABLE item_fts USING fts5(name, "
			 "content='item', content_rowid='id', "
			 "tokenize='trigram')");
	rc |= db_exec(c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT "
			 "i + 1 FROM n WHERE i < 20000) INSERT INTO item "
			 "SELECT i, 1, 'Common name ' || i, i % 7, NULL FROM n");
	rc |= db_exec(c, "INSERT INTO item VALUES (20001, 1, 'Ştefan "
			 "Ţepeş', 1, NULL)");
	rc |= db_exec(c, "INSERT INTO item_fts (item_fts) VALUES ('rebuild')");
	if (!CHECK_EQ_INT(rc, 0)) {
		db_release(c);
		goto out;
	}
	struct list_spec saved = spec;
	spec.search = fts_search;
	spec.search_fts = "item_fts";
	spec.limit_max = 10;
	static const struct {
		const char *q, *like; /* the query string; LIKE's pattern */
	} cases[] = {
		{"Common%20name%2012345", "%common name 12345%"}, /* rare */
		{"ommon%20nam", "%ommon nam%"},		 /* all common */
		{"name%201999", "%name 1999%"},		 /* rare digits */
		{"Common%20name%2099999", "%common name 99999%"}, /* none */
		{"ame%201", "%ame 1%"},			  /* mixed */
	};
	char m[256];
	for (size_t i = 0; i < ATR_ARRAY_LEN(cases); i++) {
		char *qs = xasprintf("count=true&limit=10&q=%s", cases[i].q);
		json_t *page = run(qs, m);
		char *sql = xasprintf("SELECT count(*) FROM item WHERE "
				      "lower(name) LIKE '%s'",
				      cases[i].like);
		int64_t want = unit_db_scalar(c, sql);
		if (!page)
			FAILF("%s: %s", qs, m);
		else
			CHECK_EQ_INT(json_integer_value(json_object_get(
					     page, "total")),
				     want);
		json_decref(page);
		free(sql);
		free(qs);
	}
	/* Outside ASCII the index folds the case LIKE cannot. */
	EXPECT("q=%C5%9Ftefan", "20001");
	EXPECT("q=%C5%A2EPE%C5%9E", "20001");
	spec = saved;
	db_release(c);
out:
	db_close(app.db);
	app.db = NULL;
}

TEST(list_search_plans_sqlite)
{
	with_key(search_plans, unit_with_sqlite);
}
