/* test_number_series.c — finance/number_series.c: the format grammar and
 * its rendering; the allocator on SQLite and PostgreSQL (ATRIUM_TEST_PG):
 * consecutive numbers, a rolled-back issue giving its number back, the
 * yearly reset across New Year in the organisation's zone
 * (Europe/Bucharest), a non-resetting series, and a number dated in a
 * year the series has already left.
 */
#include "atrium.h"

#include "db/db.h"
#include "finance/number_series.h"
#include "unit.h"

/* The message of a refused format ("" when it is accepted). */
static const char *refusal(const char *format)
{
	static char msg[160];
	msg[0] = '\0';
	if (number_series_format_check(format, msg, sizeof msg) == 0)
		return "";
	return msg;
}

TEST(number_series_format_grammar)
{
	CHECK_STR(refusal("{PREFIX}{YYYY}/{NUMBER}"), "");
	CHECK_STR(refusal("{NUMBER}"), "");
	CHECK_STR(refusal("{PREFIX} {YYYY} {NUMBER:6}"), "");
	CHECK_STR(refusal("Factură {YY}.{MM}-{NUMBER:12}"), "");
	CHECK_STR(refusal("{NUMBER}-{YYYY}"), "");

	CHECK_CONTAINS(refusal(""), "must not be empty");
	CHECK_CONTAINS(refusal("{PREFIX}{YYYY}"), "{NUMBER} exactly once");
	CHECK_CONTAINS(refusal("{NUMBER}{NUMBER:3}"), "exactly once");
	CHECK_CONTAINS(refusal("{NUMBER}{DD}"), "unknown field {DD}");
	CHECK_CONTAINS(refusal("{number}"), "unknown field {number}");
	CHECK_CONTAINS(refusal("{NUMBER:0}"), "unknown field {NUMBER:0}");
	CHECK_CONTAINS(refusal("{NUMBER:13}"), "unknown field");
	CHECK_CONTAINS(refusal("{NUMBER:x}"), "unknown field");
	CHECK_CONTAINS(refusal("{NUMBER"), "not closed");
	CHECK_CONTAINS(refusal("{YY{NUMBER}"), "not closed");
	CHECK_CONTAINS(refusal("{NUMBER}}"), "closes no field");
	CHECK_CONTAINS(refusal("A\tB{NUMBER}"), "control characters");
	/* 64 characters at most, fields counted as written; Romanian
	 * letters count as one character each. */
	char f[80];
	memset(f, 'x', 56);
	memcpy(f + 56, "{NUMBER}", 9);
	CHECK_STR(refusal(f), "");
	f[0] = 'y';
	memmove(f + 1, f, sizeof f - 1);
	CHECK_CONTAINS(refusal(f), "at most 64 characters");
	CHECK_STR(refusal("șțăîâ{NUMBER}"), "");

	CHECK(number_series_format_has_year("{YY}{NUMBER}"));
	CHECK(number_series_format_has_year("{YYYY}{NUMBER}"));
	CHECK(!number_series_format_has_year("{MM}{NUMBER}"));
}

TEST(number_series_render)
{
	char out[NUMSER_OUT_MAX];
	CHECK_EQ_INT(number_series_render("{PREFIX}{YYYY}/{NUMBER}", "INV-", 6,
					  123, 2026, 3, out, sizeof out),
		     0);
	CHECK_STR(out, "INV-2026/000123");
	number_series_render("{PREFIX} {YYYY} {NUMBER}", "FCT", 6, 123, 2026,
			     3, out, sizeof out);
	CHECK_STR(out, "FCT 2026 000123");
	number_series_render("{PREFIX}{NUMBER}-{YY}.{MM}", "", 3, 7, 2027, 1,
			     out, sizeof out);
	CHECK_STR(out, "007-27.01");
	/* {NUMBER:n} wins over the series' padding; a wider number is
	 * written whole. */
	number_series_render("{NUMBER:2}", "", 6, 5, 2026, 1, out, sizeof out);
	CHECK_STR(out, "05");
	number_series_render("{NUMBER}", "", 3, 123456, 2026, 1, out,
			     sizeof out);
	CHECK_STR(out, "123456");
	/* Too small an output: refused, never cut. */
	CHECK_EQ_INT(number_series_render("{PREFIX}{NUMBER}", "INV-", 6, 1,
					  2026, 1, out, 8),
		     -1);
}

/* Epoch ms of an ISO 8601 UTC instant. */
static int64_t at(const char *iso)
{
	return atr_iso_ms(iso);
}

/* One number issued in its own transaction (committed, or rolled back
 * when rollback); "" when the allocator refused (err filled). */
static const char *issue(struct db_conn *c, const char *kind, int64_t when,
			 bool rollback, struct atr_err *err)
{
	static char out[NUMSER_OUT_MAX];
	out[0] = '\0';
	atr_err_clear(err);
	if (!CHECK(db_begin(c) == 0))
		return "";
	int rc = number_series_next(c, 1, kind, when, out, sizeof out, err);
	if (rc < 0 || rollback) {
		db_rollback(c);
		if (rc < 0)
			out[0] = '\0';
	} else {
		CHECK(db_commit(c) == 0);
	}
	return out;
}

static void allocator(const char *url)
{
	struct db *db = unit_db_open(url, true);
	struct db_conn *c = db ? unit_db_acquire(db) : NULL;
	if (!c)
		goto out;
	struct atr_err err = {0};
	CHECK_EQ_INT(db_exec(c, "INSERT INTO setting (org_id, key, value) "
				"VALUES (1, 'timezone', 'Europe/Bucharest')"),
		     0);
	/* 2026-12-31 23:59:59 in Bucharest (UTC+2) is still 2026. */
	int64_t eve = at("2026-12-31T21:59:59.000Z");
	int64_t new_year = at("2026-12-31T22:00:00.000Z");
	CHECK_STR(issue(c, "contract", eve, false, &err), "CTR-2026/000001");
	CHECK_STR(issue(c, "contract", eve, false, &err), "CTR-2026/000002");
	/* A rolled-back issue gives its number back. */
	CHECK_STR(issue(c, "contract", eve, true, &err), "CTR-2026/000003");
	CHECK_STR(issue(c, "contract", eve, false, &err), "CTR-2026/000003");
	/* Each kind counts on its own. */
	CHECK_STR(issue(c, "invoice", eve, false, &err), "INV-2026/000001");
	/* Midnight in Bucharest (22:00 UTC): a new year, numbering restarts;
	 * at that instant UTC still says 2026. */
	CHECK_STR(issue(c, "contract", new_year, false, &err),
		  "CTR-2027/000001");
	CHECK_STR(issue(c, "contract", new_year + 1000, false, &err),
		  "CTR-2027/000002");
	/* A number dated in the year the series has left: refused, and the
	 * counter is untouched (the caller rolled back). */
	CHECK_STR(issue(c, "contract", eve, false, &err), "");
	CHECK_EQ_INT(err.kind, ATR_E_CONFLICT);
	CHECK_CONTAINS(err.msg, "already numbers 2027");
	CHECK_STR(issue(c, "contract", new_year, false, &err),
		  "CTR-2027/000003");
	CHECK_EQ_INT(unit_db_scalar(c, "SELECT last_number FROM number_series "
				       "WHERE org_id = 1 AND kind = 'contract'"),
		     3);

	/* A series that does not reset goes on across the year. */
	CHECK_EQ_INT(db_exec(c, "UPDATE number_series SET yearly_reset = 0, "
				"format = '{PREFIX}{NUMBER}' WHERE kind = "
				"'invoice'"),
		     0);
	CHECK_STR(issue(c, "invoice", new_year, false, &err), "INV-000002");
	/* ... and may be dated earlier than its last issue. */
	CHECK_STR(issue(c, "invoice", eve, false, &err), "INV-000003");
out:
	if (c)
		db_release(c);
	if (db)
		db_close(db);
}

TEST(number_series_allocator_sqlite)
{
	unit_with_sqlite(allocator);
}

TEST(number_series_allocator_pg)
{
	unit_with_pg(allocator);
}
