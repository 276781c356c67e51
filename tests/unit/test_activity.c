/* test_activity.c — core/activity.c and core/audit.c: the keyed chain,
 * its verification, erasure, checkpoints, the legacy chain, the outbox.
 *
 * Each case runs on a freshly migrated SQLite database, and on PostgreSQL
 * too when ATRIUM_TEST_PG is set. A fixed master key is loaded for each.
 */
#include "atrium.h"

#include "core/activity.h"
#include "core/activity_int.h"
#include "core/config.h"
#include "core/secret.h"
#include "db/db.h"
#include "db/migrate.h"
#include "unit.h"

#define TEST_KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define OTHER_KEY "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

/* Loads hex as the process's master key. */
static bool key_load(const char *hex)
{
	struct config cfg = {0};
	struct atr_err err = {0};
	setenv("ATRIUM_MASTER_KEY", hex, 1);
	int rc = secret_key_load(&cfg, &err);
	unsetenv("ATRIUM_MASTER_KEY");
	if (rc < 0)
		FAILF("secret_key_load: %s", err.msg);
	return rc == 0;
}

/* Opens a migrated database with the test key loaded. */
static struct db *open_db(const char *url)
{
	if (!key_load(TEST_KEY))
		return NULL;
	return unit_db_open(url, true);
}

static void close_db(struct db *db)
{
	if (db)
		db_close(db);
	secret_key_unload();
}

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
	struct db *db = open_db(url);
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
	close_db(db);
}

/* The brief's case: an address changed behind our back. */
static void case_tamper_ip(const char *url)
{
	struct db *db = open_db(url);
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
	close_db(db);
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
		"mac_version = 1",
		"who_salt = '00000000000000000000000000000000'",
		"who_seal = NULL",
		"what_salt = NULL",
		"what_seal = '3333333333333333333333333333333333333333333333333"
		"333333333333333'",
	};
	struct db *db = open_db(url);
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
			"prev_hash = b.prev_hash, hash = b.hash, mac_version = "
			"b.mac_version, who_salt = b.who_salt, who_seal = "
			"b.who_seal, what_salt = b.what_salt, what_seal = "
			"b.what_seal FROM ut_backup b "
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
	close_db(db);
}

static void case_delete_middle(const char *url)
{
	struct db *db = open_db(url);
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
	close_db(db);
}

/* Tail truncation: every remaining row is fine; only the head knows. */
static void case_delete_last(const char *url)
{
	struct db *db = open_db(url);
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
	close_db(db);
}

static void case_delete_head(const char *url)
{
	struct db *db = open_db(url);
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
	close_db(db);
}

/* Every organisation's chain is walked, however many there are. */
static void case_many_orgs(const char *url)
{
	enum { NORGS = 300 };
	struct db *db = open_db(url);
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
	close_db(db);
}


/* Deleting the newest rows and rewinding the head to the last kept row:
 * every kept row is fine, but the head's MAC does not fit it. */
static void case_rewind_head(const char *url)
{
	struct db *db = open_db(url);
	if (!db)
		return;
	if (!record_three(db))
		goto out;
	SQL(db, "DELETE FROM activity_log WHERE seq = 3");
	SQL(db, "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM "
		"activity_log WHERE seq = 2)");
	char *out;
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "does not match its MAC");
	CHECK_CONTAINS(out, "rewound");
	free(out);
	/* Nor does dropping the head's MAC help. */
	SQL(db, "UPDATE audit_head SET mac = NULL");
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "is not keyed");
	free(out);
out:
	close_db(db);
}

/* Recomputes the unkeyed (version 1) hashes of org 1's rows from seq on,
 * as someone with write access and the source code could. */
static void recompute_unkeyed(struct db *db, int from)
{
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		return;
	struct db_stmt *st = db_prepare(
		c, "SELECT seq, at, actor_id, actor_name, action, entity, "
		   "entity_id, diff, ip, request_id, hash FROM activity_log "
		   "WHERE org_id = 1 ORDER BY seq");
	char prev[AUDIT_HASH_HEX] = AUDIT_ZERO_HASH;
	struct {
		int64_t seq;
		char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
	} rows[16];
	int n = 0;
	while (st && n < 16 && db_step(st) == 1) {
		struct audit_row r = {
			.org_id = 1,
			.seq = db_col_int(st, 0),
			.at = db_col_text(st, 1),
			.actor_id = db_col_int(st, 2),
			.actor_null = db_col_null(st, 2),
			.actor_name = db_col_text(st, 3),
			.action = db_col_text(st, 4),
			.entity = db_col_text(st, 5),
			.entity_id = db_col_int(st, 6),
			.entity_id_null = db_col_null(st, 6),
			.diff = db_col_text(st, 7),
			.ip = db_col_text(st, 8),
			.request_id = db_col_text(st, 9),
		};
		if (r.seq >= from) {
			r.prev_hash = prev;
			rows[n].seq = r.seq;
			atr_strlcpy(rows[n].prev, prev, sizeof rows[n].prev);
			audit_hash_v1(&r, rows[n].hash);
			atr_strlcpy(prev, rows[n].hash, sizeof prev);
			n++;
		} else {
			atr_strlcpy(prev, db_col_text(st, 10), sizeof prev);
		}
	}
	if (st)
		db_reset(st);
	db_release(c);
	for (int i = 0; i < n; i++) {
		char *q = xasprintf("UPDATE activity_log SET mac_version = 1, "
				    "prev_hash = '%s', hash = '%s' WHERE "
				    "org_id = 1 AND seq = %lld",
				    rows[i].prev, rows[i].hash,
				    (long long)rows[i].seq);
		SQL(db, q);
		free(q);
	}
	if (n) {
		char *q = xasprintf("UPDATE audit_head SET hash = '%s', mac = "
				    "NULL WHERE org_id = 1",
				    rows[n - 1].hash);
		SQL(db, q);
		free(q);
	}
}

/* Altering a row and recomputing the chain without the key fails. */
static void case_recompute(const char *url)
{
	struct db *db = open_db(url);
	if (!db)
		return;
	if (!record_three(db))
		goto out;
	SQL(db, "UPDATE activity_log SET diff = '{\"name\":{\"to\":\"X\"}}' "
		"WHERE seq = 3");
	char *out;
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "personal data does not match its seal");
	free(out);
	/* Downgrading the altered row to an unkeyed hash: refused. */
	recompute_unkeyed(db, 3);
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "an unkeyed row after keyed ones");
	free(out);
	/* Downgrading the whole chain: its head is not keyed. */
	recompute_unkeyed(db, 1);
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "is not keyed");
	free(out);
out:
	close_db(db);
}

/* An emptied log of an organisation with staff is broken; a fresh
 * organisation with no staff and no rows is not. */
static void case_emptied(const char *url)
{
	struct db *db = open_db(url);
	if (!db)
		return;
	char *out;
	CHECK_EQ_INT(verify(db, &out), 0);
	free(out);
	if (!record_three(db) ||
	    !SQL(db, "INSERT INTO staff (org_id, email, email_norm, name, "
		     "admin, active, created_at, updated_at) VALUES (1, "
		     "'a@example.test', 'a@example.test', 'A', 1, 1, "
		     "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')"))
		goto out;
	SQL(db, "DELETE FROM activity_log");
	SQL(db, "DELETE FROM audit_head");
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "activity log of org 1 is empty");
	free(out);
out:
	close_db(db);
}

/* Erasure: the values and their salt go, the chain still verifies. */
static void case_erasure(const char *url)
{
	struct db *db = open_db(url);
	if (!db)
		return;
	if (!record_three(db))
		goto out;
	SQL(db, "UPDATE activity_log SET actor_name = NULL, ip = NULL, "
		"who_salt = NULL, diff = NULL, what_salt = NULL WHERE seq = 1");
	char *out;
	CHECK_EQ_INT(verify(db, &out), 0);
	CHECK_CONTAINS(out, "ok: org 1, 3 rows, chain intact");
	CHECK_CONTAINS(out, "2 personal parts erased");
	free(out);
	/* Values without their salt cannot be checked: refused. */
	SQL(db, "UPDATE activity_log SET ip = '198.51.100.2' WHERE seq = 1");
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "without a salt");
	free(out);
out:
	close_db(db);
}

/* Runs the checkpoint writer; returns its text (caller frees). */
static char *checkpoint(struct db *db)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct atr_err err = {0};
	if (!f || activity_checkpoint(db, f, &err) != 0)
		FAILF("activity_checkpoint: %s", err.msg);
	if (f)
		fclose(f);
	return text ? text : xstrdup("");
}

static int against(struct db *db, const char *cp, char **out)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	struct atr_err err = {0};
	int rc = activity_verify_checkpoint(db, cp, f, &err);
	fclose(f);
	if (rc < 0)
		FAILF("activity_verify_checkpoint: %s", err.msg);
	return rc;
}

/* A checkpoint catches what the chain alone cannot: an old head replayed
 * with its own (valid) MAC after the newest rows were removed. */
static void case_checkpoint(const char *url)
{
	struct db *db = open_db(url);
	if (!db)
		return;
	char *cp = NULL, *out = NULL;
	if (!record_three(db) ||
	    !SQL(db, "CREATE TABLE ut_head AS SELECT * FROM audit_head"))
		goto out;
	CHECK_EQ_INT(record(db, 1, 7, "create", "lead", 44, "192.0.2.4"), 0);
	cp = checkpoint(db);
	CHECK_CONTAINS(cp, "\"format\": \"atrium-audit-checkpoint/1\"");
	CHECK_CONTAINS(cp, "\"seq\": 4");
	CHECK_EQ_INT(against(db, cp, &out), 0);
	CHECK_CONTAINS(out, "ok: org 1 matches the checkpoint at seq 4");
	free(out);

	/* The replay: row 4 gone, the head of seq 3 back with its MAC. */
	SQL(db, "DELETE FROM activity_log WHERE seq = 4");
	SQL(db, "UPDATE audit_head SET seq = u.seq, hash = u.hash, mac = "
		"u.mac FROM ut_head u WHERE u.org_id = audit_head.org_id");
	CHECK_EQ_INT(verify(db, &out), 0); /* the chain alone looks fine */
	free(out);
	CHECK_EQ_INT(against(db, cp, &out), 1);
	CHECK_CONTAINS(out, "truncated after the checkpoint");
	free(out);

	/* An altered checkpoint, or another key's: refused. */
	char *bad = xstrdup(cp);
	char *p = strstr(bad, "\"seq\": 4");
	if (p)
		p[7] = '3';
	CHECK_EQ_INT(against(db, bad, &out), 1);
	CHECK_CONTAINS(out, "signature does not hold");
	free(out);
	free(bad);
	secret_key_unload();
	if (key_load(OTHER_KEY)) {
		CHECK_EQ_INT(against(db, cp, &out), 1);
		CHECK_CONTAINS(out, "signature does not hold");
		free(out);
		/* And the chain's MACs do not hold under another key. */
		CHECK_EQ_INT(verify(db, &out), 1);
		free(out);
	}
	CHECK_EQ_INT(against(db, "not json", &out), 1);
	CHECK_CONTAINS(out, "not JSON");
	free(out);
out:
	free(cp);
	close_db(db);
}

/* A chain written before the keyed one: broken until sealed; sealed, its
 * unkeyed rows are still checked and anchored by the keyed row after. */
static void case_legacy(const char *url)
{
	struct db *db = open_db(url);
	if (!db)
		return;
	if (!record_three(db))
		goto out;
	recompute_unkeyed(db, 1);
	SQL(db, "UPDATE activity_log SET who_salt = NULL, who_seal = NULL, "
		"what_salt = NULL, what_seal = NULL");
	char *out;
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "is not keyed");
	free(out);
	struct atr_err err = {0};
	CHECK_EQ_INT(activity_seal_legacy(db, &err), 1);
	CHECK_EQ_INT(activity_seal_legacy(db, &err), 0);
	CHECK_EQ_INT(verify(db, &out), 0);
	CHECK_CONTAINS(out, "ok: org 1, 4 rows, chain intact");
	CHECK_CONTAINS(out, "3 unkeyed rows");
	free(out);
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(*) FROM activity_log WHERE "
				"action = 'audit_chain_keyed' AND seq = 4"),
		     1);
	/* An unkeyed row rewritten, hashes recomputed: the keyed row's link
	 * (its MAC covers the old last hash) breaks. */
	SQL(db, "UPDATE activity_log SET ip = '198.51.100.9' WHERE seq = 1");
	recompute_unkeyed(db, 1);
	SQL(db, "UPDATE activity_log SET mac_version = 2 WHERE seq = 4");
	CHECK_EQ_INT(verify(db, &out), 1);
	free(out);
out:
	close_db(db);
}

/* --- outbox -------------------------------------------------------------- */

/* A version 7 UUID (RFC 9562) whose time (its first 48 bits) is within a
 * minute of now. */
static bool uuid_v7(const char *s)
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
	if (s[14] != '7' || !strchr("89ab", s[19]))
		return false;
	char hex[13];
	memcpy(hex, s, 8);
	memcpy(hex + 8, s + 9, 4);
	hex[12] = 0;
	int64_t ms = (int64_t)strtoll(hex, NULL, 16);
	int64_t d = atr_now_ms() - ms;
	return d >= 0 && d < 60000;
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
	struct db *db = open_db(url);
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
		CHECK(uuid_v7(uuid));
		CHECK_STR(db_col_text(st, 1), "lead");
		CHECK_EQ_INT(db_col_int(st, 2), 42);
		CHECK_STR(db_col_text(st, 3), "created");
		CHECK(db_col_null(st, 6));
		json_error_t je;
		json_t *p = json_loads(db_col_text(st, 4), 0, &je);
		if (CHECK(json_is_object(p))) {
			const char *id =
				json_string_value(json_object_get(p, "id"));
			CHECK(uuid_v7(id));
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
	close_db(db);
}

/* activity_bulk.c: n rows appended by one call are n links of the chain
 * exactly as n calls of activity_record make them (verify walks them, a
 * row altered in the middle breaks it), between single rows; the
 * observer sees each row with its id; n events are n events. 1,200 rows
 * take several statements on PostgreSQL (db_params_max). */
static int bulk_seen;
static int64_t bulk_last_seen;
static int bulk_observer(struct db_conn *c, const struct activity *a,
			 int64_t id)
{
	bulk_seen++;
	if (id <= bulk_last_seen)
		bulk_seen = -100000; /* not in order */
	bulk_last_seen = id;
	return 0;
}

static void case_bulk(const char *url)
{
	enum { N = 1200 };
	struct db *db = open_db(url);
	if (!db)
		return;
	struct activity *a = xcalloc(N, sizeof *a);
	json_t **diff = xcalloc(N, sizeof *diff);
	json_t **after = xcalloc(N, sizeof *after);
	int64_t *ids = xcalloc(N, sizeof *ids);
	char *out = NULL;
	if (!CHECK_EQ_INT(record(db, 1, 7, "update", "lead", 42, "192.0.2.1"), 0))
		goto out;
	for (int i = 0; i < N; i++) {
		ids[i] = 1000 + i;
		diff[i] = json_pack("{s:{s:i}}", "value", "to", i);
		after[i] = json_pack("{s:I,s:i}", "id", (json_int_t)ids[i],
				     "value", i);
		a[i] = (struct activity){.org_id = 1, .actor_id = 7,
					 .actor_name = "Ana (import)",
					 .action = "create", .entity = "lead",
					 .entity_id = ids[i], .diff = diff[i],
					 .ip = "192.0.2.9",
					 .request_id = "feedc0de"};
	}
	struct db_conn *c = unit_db_acquire(db);
	if (!c)
		goto out;
	bulk_seen = 0;
	bulk_last_seen = 0;
	activity_set_observer(bulk_observer);
	int rc = db_begin(c);
	if (rc == 0)
		rc = activity_record_many(c, a, N);
	if (rc == 0)
		rc = outbox_emit_many(c, 1, "lead", ids, "created", NULL,
				      (const json_t *const *)after, NULL, N);
	if (rc == 0)
		rc = db_commit(c);
	else
		FAILF("bulk: %s", db_errmsg(c));
	activity_set_observer(NULL);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(activity_last_id(),
		     unit_db_scalar(c, "SELECT MAX(id) FROM activity_log"));
	db_release(c);
	CHECK_EQ_INT(bulk_seen, N);
	CHECK_EQ_INT(record(db, 1, 7, "delete", "lead", 42, "192.0.2.3"), 0);
	CHECK_EQ_INT(verify(db, &out), 0);
	CHECK_CONTAINS(out, "ok: org 1, 1202 rows, chain intact");
	free(out);
	out = NULL;
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(DISTINCT seq) FROM activity_log "
				"WHERE action = 'create' AND seq BETWEEN 2 AND "
				"1201 AND entity_id = seq + 998"),
		     N);
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(DISTINCT who_salt) FROM "
				"activity_log"),
		     N + 2);
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(DISTINCT uuid) FROM event WHERE "
				"action = 'created' AND payload LIKE "
				"'%\"type\":\"lead.created\"%'"),
		     N);
	CHECK_EQ_INT(scalar(db, "SELECT COUNT(*) FROM event WHERE entity_id = "
				"1600 AND payload LIKE '%\"value\":600%'"),
		     1);
	/* a row in the middle altered: the chain breaks there */
	SQL(db, "UPDATE activity_log SET entity_id = 1 WHERE seq = 700");
	CHECK_EQ_INT(verify(db, &out), 1);
	CHECK_CONTAINS(out, "seq 700");
out:
	free(out);
	for (int i = 0; i < N; i++) {
		json_decref(diff[i]);
		json_decref(after[i]);
	}
	free(a);
	free(diff);
	free(after);
	free(ids);
	close_db(db);
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
ACT_CASE(rewind_head, case_rewind_head)
ACT_CASE(recompute, case_recompute)
ACT_CASE(emptied, case_emptied)
ACT_CASE(erasure, case_erasure)
ACT_CASE(checkpoint, case_checkpoint)
ACT_CASE(legacy, case_legacy)
ACT_CASE(outbox, case_outbox)
ACT_CASE(bulk, case_bulk)
