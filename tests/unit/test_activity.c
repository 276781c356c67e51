/* test_activity.c — core/activity.c: the hash-chained log and the outbox.
 *
 * Each case runs on a freshly migrated SQLite database, and on PostgreSQL
 * too when ATRIUM_TEST_PG is set.
 */
#include "atrium.h"

#include "core/activity.h"
#include "db/db.h"
#include "db/migrate.h"
#include "unit.h"

/* Runs one statement on its own connection (committed at once). */
static bool sql(struct db *db, const char *text, int line)
{
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		return false;
	bool ok = db_exec(c, text) == 0;
	if (!ok)
		unit_failf(__FILE__, line, "%s: %s", text, db_errmsg(c));
	db_release(c);
	return ok;
}
#define SQL(db, text) sql(db, text, __LINE__)

static int64_t scalar(struct db *db, const char *text)
{
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		return -1;
	int64_t v = unit_db_scalar(c, text);
	db_release(c);
	return v;
}

/* Appends one activity row in its own transaction. A NULL diff and an
 * actor of 0 make an anonymous, system-style row. */
static int record(struct db *db, int64_t org, int64_t actor,
		  const char *action, const char *entity, int64_t entity_id,
		  const char *ip)
{
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		return -1;
	json_t *diff = entity ? json_pack("{s:{s:s,s:s}}", "name", "from",
					  "Ana", "to", "Ana Pop")
			      : NULL;
	struct activity a = {
		.org_id = org,
		.actor_id = actor,
		.actor_name = actor ? "Ana Admin" : NULL,
		.action = action,
		.entity = entity,
		.entity_id = entity_id,
		.diff = diff,
		.ip = ip,
		.request_id = "0123456789abcdef0123456789abcdef",
	};
	int rc = db_begin(c);
	if (rc == 0) {
		rc = activity_record(c, &a);
		if (rc == 0)
			rc = db_commit(c);
		else
			FAILF("activity_record: %s", db_errmsg(c));
	}
	db_release(c); /* rolls back on failure */
	json_decref(diff);
	return rc;
}

/* Three rows in org 1: a lead update, an anonymous login, a delete. */
static bool record_three(struct db *db)
{
	return CHECK_EQ_INT(record(db, 1, 7, "update", "lead", 42, "192.0.2.1"),
			    0) &&
	       CHECK_EQ_INT(record(db, 1, 0, "login_failed", NULL, 0,
				   "192.0.2.2"),
			    0) &&
	       CHECK_EQ_INT(record(db, 1, 7, "delete", "lead", 42, "192.0.2.3"),
			    0);
}

/* Runs activity_verify; *out gets what it printed (caller frees). */
static int verify(struct db *db, char **out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		FAILF("open_memstream failed");
		*out = xstrdup("");
		return -2;
	}
	struct atr_err err = {0};
	int rc = activity_verify(db, f, &err);
	fclose(f);
	if (rc < 0)
		FAILF("activity_verify: %s", err.msg);
	*out = text;
	return rc;
}

static int64_t id_of_seq(struct db *db, int seq)
{
	char q[128];
	snprintf(q, sizeof q,
		 "SELECT id FROM activity_log WHERE org_id = 1 AND seq = %d",
		 seq);
	return scalar(db, q);
}

static void case_intact(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	char *out;
	CHECK_EQ_INT(verify(db, &out), 0); /* an empty log is intact */
	free(out);
	if (!record_three(db))
		goto out;
	CHECK_EQ_INT(verify(db, &out), 0);
	CHECK_CONTAINS(out, "ok: org 1, 3 rows, chain intact");
	CHECK(strstr(out, "broken") == NULL);
	free(out);

	/* The chain as stored: seq 1..3, each row linked to the one before. */
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(*) FROM activity_log"), 3);
	CHECK_EQ_INT(scalar(db, "SELECT MAX(seq) FROM activity_log"), 3);
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(*) FROM activity_log WHERE "
				"seq = 1 AND prev_hash = '000000000000000000"
				"0000000000000000000000000000000000000000000"
				"000'"),
		     1);
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(*) FROM activity_log a JOIN "
				"activity_log b ON b.org_id = a.org_id AND "
				"b.seq = a.seq + 1 AND b.prev_hash = a.hash"),
		     2);
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(*) FROM audit_head h JOIN "
				"activity_log l ON l.org_id = h.org_id AND "
				"l.seq = h.seq AND l.hash = h.hash WHERE "
				"h.seq = 3"),
		     1);
	/* The anonymous row stores NULLs, not zeros. */
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(*) FROM activity_log WHERE "
				"seq = 2 AND actor_id IS NULL AND entity IS "
				"NULL AND entity_id IS NULL AND diff IS NULL"),
		     1);

	/* A second organisation has a chain of its own. */
	CHECK_EQ_INT(record(db, 2, 9, "create", "lead", 1, "192.0.2.9"), 0);
	CHECK_EQ_INT(record(db, 1, 7, "create", "lead", 43, "192.0.2.1"), 0);
	CHECK_EQ_INT(verify(db, &out), 0);
	CHECK_CONTAINS(out, "ok: org 1, 4 rows, chain intact");
	CHECK_CONTAINS(out, "ok: org 2, 1 rows, chain intact");
	free(out);
out:
	db_close(db);
}

/* The brief's case: an address changed behind our back. */
static void case_tamper_ip(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	if (!record_three(db))
		goto out;
	int64_t id2 = id_of_seq(db, 2);
	SQL(db, "UPDATE activity_log SET ip = '198.51.100.66' WHERE seq = 2");
	char *out;
	CHECK_EQ_INT(verify(db, &out), 1);
	char want[64];
	snprintf(want, sizeof want, "row id %lld ", (long long)id2);
	CHECK_CONTAINS(out, want);
	CHECK_CONTAINS(out, "altered");
	free(out);
out:
	db_close(db);
}

/* Every stored column is covered by the row hash. */
static void case_tamper_each_column(const char *url)
{
	static const char *const edits[] = {
		"at = '2020-01-01T00:00:00.000Z'",
		"actor_id = 8",
		"actor_id = NULL",
		"actor_name = 'Mallory'",
		"actor_name = NULL",
		"action = 'create'",
		"entity = 'client'",
		"entity_id = 43",
		"entity_id = NULL",
		"diff = '{}'",
		"diff = NULL",
		"ip = NULL",
		"request_id = 'ffffffffffffffffffffffffffffffff'",
		"prev_hash = '1111111111111111111111111111111111111111111111111"
		"111111111111111'",
		"hash = '22222222222222222222222222222222222222222222222222222"
		"22222222222'",
	};
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	if (!record_three(db) ||
	    !SQL(db, "CREATE TABLE ut_backup AS SELECT * FROM activity_log"))
		goto out;
	/* Row 3 has every column set. */
	int64_t id3 = id_of_seq(db, 3);
	char want[64];
	snprintf(want, sizeof want, "row id %lld ", (long long)id3);
	for (size_t i = 0; i < ATR_ARRAY_LEN(edits); i++) {
		char *q = xasprintf("UPDATE activity_log SET %s WHERE id = %lld",
				    edits[i], (long long)id3);
		SQL(db, q);
		free(q);
		char *out;
		int rc = verify(db, &out);
		if (rc != 1 || !strstr(out, want))
			FAILF("after SET %s: verify = %d, output: %s", edits[i],
			      rc, out);
		free(out);
		/* Put the row back; the chain must be whole again. */
		SQL(db, "UPDATE activity_log SET at = b.at, actor_id = "
			"b.actor_id, actor_name = b.actor_name, action = "
			"b.action, entity = b.entity, entity_id = b.entity_id, "
			"diff = b.diff, ip = b.ip, request_id = b.request_id, "
			"prev_hash = b.prev_hash, hash = b.hash FROM ut_backup b "
			"WHERE b.id = activity_log.id");
		rc = verify(db, &out);
		if (rc != 0)
			FAILF("after restoring %s: verify = %d, output: %s",
			      edits[i], rc, out);
		free(out);
	}
	/* On the anonymous row, an actor of 0 is not the same as none. */
	int64_t id2 = id_of_seq(db, 2);
	char *q = xasprintf("UPDATE activity_log SET actor_id = 0 WHERE id = "
			    "%lld",
			    (long long)id2);
	SQL(db, q);
	free(q);
	char *out;
	CHECK_EQ_INT(verify(db, &out), 1);
	snprintf(want, sizeof want, "row id %lld ", (long long)id2);
	CHECK_CONTAINS(out, want);
	free(out);
out:
	db_close(db);
}

static void case_delete_middle(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	if (!record_three(db))
		goto out;
	int64_t id3 = id_of_seq(db, 3);
	SQL(db, "DELETE FROM activity_log WHERE seq = 2");
	char *out;
	CHECK_EQ_INT(verify(db, &out), 1);
	char want[64];
	snprintf(want, sizeof want, "row id %lld ", (long long)id3);
	CHECK_CONTAINS(out, want);
	CHECK_CONTAINS(out, "removed");
	free(out);
out:
	db_close(db);
}

/* Tail truncation: every remaining row is fine; only the head knows. */
static void case_delete_last(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	if (!record_three(db))
		goto out;
	int64_t id2 = id_of_seq(db, 2);
	SQL(db, "DELETE FROM activity_log WHERE seq = 3");
	char *out;
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "chain head says seq 3");
	CHECK_CONTAINS(out, "rows at the end were removed");
	char want[64];
	snprintf(want, sizeof want, "(row id %lld)", (long long)id2);
	CHECK_CONTAINS(out, want);
	free(out);

	/* Every row gone, head kept. */
	SQL(db, "DELETE FROM activity_log");
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "rows at the end were removed");
	free(out);
out:
	db_close(db);
}

static void case_delete_head(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	if (!record_three(db))
		goto out;
	SQL(db, "DELETE FROM audit_head");
	char *out;
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "org 1 has no chain head");
	free(out);
out:
	db_close(db);
}

/* Every organisation's chain is walked, however many there are. */
static void case_many_orgs(const char *url)
{
	enum { NORGS = 300 };
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	bool ok = db_begin(c) == 0;
	for (int64_t org = 1; ok && org <= NORGS; org++) {
		struct activity a = {.org_id = org,
				     .actor_id = 1,
				     .actor_name = "Ana",
				     .action = "login",
				     .ip = "192.0.2.1"};
		ok = activity_record(c, &a) == 0;
	}
	ok = ok && db_commit(c) == 0;
	if (!ok)
		FAILF("recording %d organisations: %s", NORGS, db_errmsg(c));
	db_release(c);
	if (!ok)
		goto out;

	char *text;
	CHECK_EQ_INT(verify(db, &text), 0);
	CHECK_CONTAINS(text, "ok: org 1, 1 rows");
	CHECK_CONTAINS(text, "ok: org 300, 1 rows");
	free(text);

	/* Alter the last organisation's only row. */
	int64_t id = scalar(db, "SELECT id FROM activity_log WHERE org_id = 300");
	SQL(db, "UPDATE activity_log SET ip = '198.51.100.1' WHERE org_id = "
		"300");
	CHECK_EQ_INT(verify(db, &text), 1);
	char want[64];
	snprintf(want, sizeof want, "row id %lld ", (long long)id);
	CHECK_CONTAINS(text, want);
	free(text);
out:
	db_close(db);
}

/* --- outbox -------------------------------------------------------------- */

static bool uuid_v4(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
			     (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static int emit(struct db *db, const char *action, const json_t *before,
		const json_t *after, bool commit)
{
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		return -1;
	int rc = db_begin(c);
	if (rc == 0)
		rc = outbox_emit(c, 1, "lead", 42, action, before, after);
	if (rc == 0 && commit)
		rc = db_commit(c);
	if (rc)
		FAILF("outbox_emit: %s", db_errmsg(c));
	db_release(c);
	return rc;
}

static int64_t pending(struct db *db)
{
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		return -1;
	int64_t n = outbox_pending(c);
	db_release(c);
	return n;
}

static void case_outbox(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	CHECK_EQ_INT(pending(db), 0);
	json_t *after = json_pack("{s:s,s:I}", "name", "Ana", "value",
				  (json_int_t)125000);
	if (!CHECK_EQ_INT(emit(db, "created", NULL, after, true), 0))
		goto out;
	CHECK_EQ_INT(pending(db), 1);

	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	struct db_stmt *st = db_prepare(
		c, "SELECT uuid, entity, entity_id, action, payload, "
		   "created_at, processed_at FROM event ORDER BY id");
	if (CHECK(st != NULL) && CHECK_EQ_INT(db_step(st), 1)) {
		const char *uuid = db_col_text(st, 0);
		CHECK(uuid_v4(uuid));
		CHECK_STR(db_col_text(st, 1), "lead");
		CHECK_EQ_INT(db_col_int(st, 2), 42);
		CHECK_STR(db_col_text(st, 3), "created");
		CHECK(db_col_null(st, 6));
		json_error_t je;
		json_t *p = json_loads(db_col_text(st, 4), 0, &je);
		if (CHECK(json_is_object(p))) {
			const char *id =
				json_string_value(json_object_get(p, "id"));
			CHECK(uuid_v4(id));
			CHECK_STR(id, uuid);
			CHECK_STR(json_string_value(json_object_get(p, "type")),
				  "lead.created");
			CHECK_STR(json_string_value(
					  json_object_get(p, "entity")),
				  "lead");
			CHECK_EQ_INT(json_integer_value(
					     json_object_get(p, "entity_id")),
				     42);
			CHECK_STR(json_string_value(
					  json_object_get(p, "occurred_at")),
				  db_col_text(st, 5));
			json_t *b = json_object_get(p, "before");
			CHECK(b != NULL && json_is_null(b));
			CHECK(json_equal(json_object_get(p, "after"), after));
		}
		json_decref(p);
		db_reset(st);
	}
	db_release(c);

	/* A delete carries before and no after; ids are fresh each time. */
	json_t *before = json_pack("{s:s}", "name", "Ana");
	CHECK_EQ_INT(emit(db, "deleted", before, NULL, true), 0);
	CHECK_EQ_INT(pending(db), 2);
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(DISTINCT uuid) FROM event"), 2);
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(*) FROM event WHERE payload "
				"LIKE '%\"type\":\"lead.deleted\"%' AND "
				"payload LIKE '%\"after\":null%'"),
		     1);
	/* Emitted in a transaction that rolls back: no event. */
	CHECK_EQ_INT(emit(db, "updated", before, after, false), 0);
	CHECK_EQ_INT(pending(db), 2);
	/* Processed events are no longer pending. */
	SQL(db, "UPDATE event SET processed_at = '2026-01-01T00:00:00.000Z' "
		"WHERE action = 'created'");
	CHECK_EQ_INT(pending(db), 1);
	json_decref(before);
out:
	json_decref(after);
	db_close(db);
}

#define ACT_CASE(name, fn)                                                     \
	TEST(activity_sqlite_##name) { unit_with_sqlite(fn); }                 \
	TEST(activity_pg_##name) { unit_with_pg(fn); }

ACT_CASE(intact, case_intact)
ACT_CASE(tamper_ip, case_tamper_ip)
ACT_CASE(tamper_each_column, case_tamper_each_column)
ACT_CASE(delete_middle, case_delete_middle)
ACT_CASE(delete_last, case_delete_last)
ACT_CASE(delete_head, case_delete_head)
ACT_CASE(many_orgs, case_many_orgs)
ACT_CASE(outbox, case_outbox)
