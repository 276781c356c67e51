/* test_notification.c — notifications (admin/notification.h): the
 * cleaning of titles and bodies, the links kept, who gets one
 * (notification_add, notification_admins) and the housekeeping, on SQLite
 * (and PostgreSQL when ATRIUM_TEST_PG is set). */
#include "unit.h"

#include "admin/notification.h"
#include "core/module.h"
#include "db/db.h"

static void clean_is(const char *in, int max, bool multiline,
		     const char *want, int line)
{
	char *got = notification_clean(in, max, multiline);
	unit_check_str(got, want, "notification_clean", want, __FILE__, line);
	free(got);
}
#define CLEAN(in, max, ml, want) clean_is(in, max, ml, want, __LINE__)

TEST(notification_clean_title)
{
	CLEAN("Lead assigned", 200, false, "Lead assigned");
	CLEAN(NULL, 200, false, "");
	CLEAN("  \t\r\n ", 200, false, "");
	/* A run of control characters becomes one space; ends trimmed. */
	CLEAN("\tTwo\r\nlines\x01\x02here\x7f", 200, false, "Two lines here");
	/* C1 controls (U+0085 NEL) and U+2028/U+2029 are control too. */
	CLEAN("a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9" "d", 200, false,
	      "a b c d");
	/* Markup is text here; the UI shows it as text. */
	CLEAN("<b>x</b>", 200, false, "<b>x</b>");
	/* Cut at a character boundary: ă is two bytes, € three, 😀 four. */
	CLEAN("ăăă", 2, false, "ăă");
	CLEAN("a€😀b", 3, false, "a€😀");
	CLEAN("a€😀b", 2, false, "a€");
	/* Not UTF-8: each bad byte becomes U+FFFD (overlong, surrogate,
	 * cut short, stray continuation). */
	CLEAN("a\xc0\xafz", 200, false, "a\xef\xbf\xbd\xef\xbf\xbdz");
	CLEAN("a\xed\xa0\x80z", 200, false,
	      "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
	CLEAN("a\xe2\x82", 200, false, "a\xef\xbf\xbd\xef\xbf\xbd");
	CLEAN("\x80x", 200, false, "\xef\xbf\xbdx");
	/* 200 characters at most, whatever the input's length. */
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	char *t = notification_clean(big, NOTIFICATION_TITLE_MAX, false);
	CHECK_EQ_INT(strlen(t), 200);
	free(t);
}

TEST(notification_clean_body)
{
	/* Line breaks kept (CR LF, CR, U+2028 as LF), other controls
	 * removed, blank ends trimmed. */
	CLEAN("\r\none\r\ntwo\rthree\xe2\x80\xa8" "four\n\n", 2000, true,
	      "one\ntwo\nthree\nfour");
	CLEAN("tab\there\x07\x1b[31m", 2000, true, "tabhere[31m");
	CLEAN("a\n\nb", 2000, true, "a\n\nb");
	/* A line break counts as a character. */
	CLEAN("ab\ncd", 3, true, "ab");
	CLEAN("ab\ncd", 4, true, "ab\nc");
}

/* The message column: a key word and an object of strings (cleaned as a
 * title) and integers, keys sorted; anything else is no message. */
static void message_is(const char *key, const char *params, const char *want,
		       int line)
{
	json_t *p = params ? json_loads(params, 0, NULL) : NULL;
	char *got = notification_message(key, p);
	unit_check_str(got ? got : "(none)", want, "notification_message",
		       key ? key : "(null)", __FILE__, line);
	free(got);
	json_decref(p);
}
#define MESSAGE(k, p, want) message_is(k, p, want, __LINE__)

TEST(notification_message)
{
	MESSAGE("new_signin", "{\"ip\": \"198.51.100.7\", \"n\": 5}",
		"{\"key\":\"new_signin\",\"params\":{\"ip\":"
		"\"198.51.100.7\",\"n\":5}}");
	MESSAGE("gdpr_deadline", NULL,
		"{\"key\":\"gdpr_deadline\",\"params\":{}}");
	/* a string param is cleaned like a title: one line */
	MESSAGE("k", "{\"name\": \"a\\nb\\u0007\"}",
		"{\"key\":\"k\",\"params\":{\"name\":\"a b\"}}");
	MESSAGE(NULL, NULL, "(none)");
	MESSAGE("", NULL, "(none)");
	MESSAGE("Upper", NULL, "(none)");
	MESSAGE("1st", NULL, "(none)");
	MESSAGE("a.b", NULL, "(none)");
	MESSAGE("a_key_of_exactly_forty_eight_characters_xxxxxxxx", NULL,
		"{\"key\":\"a_key_of_exactly_forty_eight_characters_xxxxxxxx"
		"\",\"params\":{}}");
	MESSAGE("a_key_of_exactly_forty_nine_characters_xxxxxxxxxx", NULL,
		"(none)");
	MESSAGE("k", "[1]", "(none)");
	MESSAGE("k", "{\"a\": {\"b\": 1}}", "(none)");
	MESSAGE("k", "{\"a\": 1.5}", "(none)");
	MESSAGE("k", "{\"a\": true}", "(none)");
	MESSAGE("k", "{\"Bad-Name\": \"x\"}", "(none)");
}

TEST(notification_link)
{
	CHECK(notification_link_ok("/admin/leads/7"));
	CHECK(notification_link_ok("/admin/leads?status=new&q=a%20b#top"));
	CHECK(!notification_link_ok(NULL));
	CHECK(!notification_link_ok(""));
	CHECK(!notification_link_ok("/admin"));
	CHECK(!notification_link_ok("/login"));
	CHECK(!notification_link_ok("https://evil.test/admin/"));
	CHECK(!notification_link_ok("//evil.test/admin/"));
	CHECK(!notification_link_ok("javascript:alert(1)//admin/"));
	CHECK(!notification_link_ok("/admin/x y"));
	CHECK(!notification_link_ok("/admin/x\"onclick=\"y"));
	CHECK(!notification_link_ok("/admin/x'y"));
	CHECK(!notification_link_ok("/admin/x\\y"));
	CHECK(!notification_link_ok("/admin/<script>"));
	CHECK(!notification_link_ok("/admin/\n"));
	CHECK(!notification_link_ok("/admin/\xc3\xa4"));
	/* Dot segments would leave /admin/ once the browser resolves them. */
	CHECK(!notification_link_ok("/admin/../api/v1/x"));
	CHECK(!notification_link_ok("/admin/%2e%2E/api"));
	CHECK(!notification_link_ok("/admin/.%2e/api"));
	CHECK(!notification_link_ok("/admin/x/.."));
	CHECK(!notification_link_ok("/admin/./x"));
	CHECK(notification_link_ok("/admin/x/..y?a=../b#../c"));
	CHECK(notification_link_ok("/admin/.well/x"));
	char big[NOTIFICATION_LINK_MAX + 2];
	memcpy(big, "/admin/", 7);
	memset(big + 7, 'a', sizeof big - 8);
	big[sizeof big - 1] = 0;
	CHECK(!notification_link_ok(big));
	big[sizeof big - 2] = 0;
	CHECK(notification_link_ok(big));
}

/* ---- with a database ------------------------------------------------------ */

static int64_t count(struct db_conn *c, const char *where)
{
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM notification WHERE %s",
		 where);
	return unit_db_scalar(c, sql);
}

static void adding(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	struct atr_err err = {0};
	/* Org 1: an administrator (1), a member (2), a deactivated
	 * administrator (3), a deactivated member (4); org 2: an
	 * administrator (5). */
	const char *setup =
		"INSERT INTO org (id, name, created_at, kind, parent_id) "
		"VALUES (2, 'Other', '2026-01-01T00:00:00.000Z', 'business', "
		"1);"
		"INSERT INTO staff (id, org_id, email, email_norm, name, admin, "
		"active, created_at, updated_at) VALUES "
		"(1, 1, 'a@x.test', 'a@x.test', 'A', 1, 1, "
		"'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),"
		"(2, 1, 'b@x.test', 'b@x.test', 'B', 0, 1, "
		"'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),"
		"(3, 1, 'c@x.test', 'c@x.test', 'C', 1, 0, "
		"'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),"
		"(4, 1, 'd@x.test', 'd@x.test', 'D', 0, 0, "
		"'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),"
		"(5, 2, 'e@x.test', 'e@x.test', 'E', 1, 1, "
		"'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');";
	if (!c || !CHECK_EQ_INT(db_exec(c, setup), 0)) {
		FAILF("setup: %s", c ? db_errmsg(c) : "no connection");
		goto out;
	}
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(notification_add(c, 1, 2, "Lead\r\nassigned", "one\r\ntwo",
				      "/admin/leads/7", "automation", &err),
		     0);
	/* A link elsewhere and an odd source are not kept as given. */
	CHECK_EQ_INT(notification_add(c, 1, 2, "Second", "", "https://x.test/",
				      "Not A Word", &err),
		     0);
	/* Deactivated, absent, of another organisation, no id: nothing. */
	CHECK_EQ_INT(notification_add(c, 1, 4, "x", NULL, NULL, "system", &err),
		     0);
	CHECK_EQ_INT(notification_add(c, 1, 99, "x", NULL, NULL, "system", &err),
		     0);
	CHECK_EQ_INT(notification_add(c, 1, 5, "x", NULL, NULL, "system", &err),
		     0);
	CHECK_EQ_INT(notification_add(c, 1, 0, "x", NULL, NULL, "system", &err),
		     0);
	/* Every active administrator of org 1: only 1. */
	CHECK_EQ_INT(notification_admins(c, 1, "Paused", "why", NULL,
					 "automation", &err),
		     1);
	CHECK_EQ_INT(notification_admins(c, 2, "Paused", NULL, NULL,
					 "automation", &err),
		     1);
	CHECK_EQ_INT(err.kind, ATR_E_NONE);
	/* An empty title is the caller's mistake: refused, nothing added. */
	CHECK_EQ_INT(notification_add(c, 1, 2, " \r\n", "body", NULL,
				      "system", &err),
		     -1);
	CHECK_EQ_INT(err.kind, ATR_E_INVALID);
	atr_err_clear(&err);
	CHECK_EQ_INT(notification_admins(c, 1, NULL, NULL, NULL, "system",
					 &err),
		     -1);
	atr_err_clear(&err);
	CHECK_EQ_INT(db_commit(c), 0);

	CHECK_EQ_INT(count(c, "1 = 1"), 4);
	CHECK_EQ_INT(count(c, "staff_id = 2 AND org_id = 1 AND title = "
			      "'Lead assigned' AND body LIKE 'one_two' AND "
			      "length(body) = 7 AND link = '/admin/leads/7' AND source = "
			      "'automation' AND read_at IS NULL"),
		     1);
	CHECK_EQ_INT(count(c, "staff_id = 2 AND title = 'Second' AND body IS "
			      "NULL AND link IS NULL AND source = 'system'"),
		     1);
	CHECK_EQ_INT(count(c, "staff_id = 1 AND title = 'Paused' AND body = "
			      "'why'"),
		     1);
	CHECK_EQ_INT(count(c, "staff_id = 5 AND org_id = 2"), 1);
	CHECK_EQ_INT(count(c, "created_at LIKE '____-__-__T__:__:__.___Z'"),
		     4);

	/* A rolled-back change takes its notification with it. */
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(notification_add(c, 1, 2, "Gone", NULL, NULL, "system",
				      &err),
		     0);
	CHECK_EQ_INT(db_rollback(c), 0);
	CHECK_EQ_INT(count(c, "title = 'Gone'"), 0);

	/* A member deleted takes their notifications with them. */
	CHECK_EQ_INT(db_exec(c, "DELETE FROM staff WHERE id = 5"), 0);
	CHECK_EQ_INT(count(c, "staff_id = 5"), 0);
out:
	db_release(c);
	db_close(db);
}

TEST(notification_add_sqlite)
{
	unit_with_sqlite(adding);
}

TEST(notification_add_pg)
{
	unit_with_pg(adding);
}

/* Read ones go after 90 days, any after 365; the rest stay. */
static void housekeeping(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	int64_t now = atr_now_ms(), day = 24LL * 3600 * 1000;
	char at[6][ATR_TIME_LEN];
	static const int days[] = {89, 91, 91, 364, 366, 366};
	for (int i = 0; i < 6; i++)
		atr_time_iso(now - days[i] * day, at[i]);
	char sql[2048];
	snprintf(sql, sizeof sql,
		 "INSERT INTO staff (id, org_id, email, email_norm, name, "
		 "created_at, updated_at) VALUES (1, 1, 'a@x.test', "
		 "'a@x.test', 'A', '2026-01-01T00:00:00.000Z', "
		 "'2026-01-01T00:00:00.000Z');"
		 "INSERT INTO notification (org_id, staff_id, title, source, "
		 "created_at, read_at) VALUES "
		 "(1, 1, 'read 89', 'system', '%s', '%s'),"
		 "(1, 1, 'read 91', 'system', '%s', '%s'),"
		 "(1, 1, 'unread 91', 'system', '%s', NULL),"
		 "(1, 1, 'unread 364', 'system', '%s', NULL),"
		 "(1, 1, 'unread 366', 'system', '%s', NULL),"
		 "(1, 1, 'read 366', 'system', '%s', '%s');",
		 at[0], at[0], at[1], at[1], at[2], at[3], at[4], at[5], at[5]);
	if (!c || !CHECK_EQ_INT(db_exec(c, sql), 0)) {
		FAILF("setup: %s", c ? db_errmsg(c) : "no connection");
		goto out;
	}
	CHECK_EQ_INT(modules_housekeeping(&unit_app, c, now), 3);
	CHECK_EQ_INT(count(c, "title IN ('read 89', 'unread 91', "
			      "'unread 364')"),
		     3);
	CHECK_EQ_INT(count(c, "1 = 1"), 3);
	CHECK_EQ_INT(modules_housekeeping(&unit_app, c, now), 0);
out:
	db_release(c);
	db_close(db);
}

TEST(notification_housekeeping_sqlite)
{
	unit_with_sqlite(housekeeping);
}

TEST(notification_housekeeping_pg)
{
	unit_with_pg(housekeeping);
}
