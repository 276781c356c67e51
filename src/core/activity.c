/* activity.c — activity log hash chain and the transactional outbox. */
#include "atrium.h"

#include <sodium.h>

#include "core/activity.h"
#include "db/db.h"

#define ZERO_HASH                                                              \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Length-prefixed fields, so no two different rows share an encoding. */
static void absorb(crypto_generichash_state *st, const char *s)
{
	char len[24];
	if (!s) {
		crypto_generichash_update(st, (const unsigned char *)"N", 1);
		return;
	}
	int n = snprintf(len, sizeof len, "%zu:", strlen(s));
	crypto_generichash_update(st, (const unsigned char *)len, (size_t)n);
	crypto_generichash_update(st, (const unsigned char *)s, strlen(s));
}

static void absorb_int(crypto_generichash_state *st, int64_t v, bool null)
{
	char b[24];
	snprintf(b, sizeof b, "%lld", (long long)v);
	absorb(st, null ? NULL : b);
}

struct row {
	int64_t org_id, seq, actor_id, entity_id;
	bool actor_null, entity_id_null;
	const char *at, *actor_name, *action, *entity, *diff, *ip,
		*request_id, *prev_hash;
};

static void row_hash(const struct row *r, char out[65])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	absorb(&st, "atrium activity v1");
	absorb_int(&st, r->org_id, false);
	absorb_int(&st, r->seq, false);
	absorb(&st, r->at);
	absorb_int(&st, r->actor_id, r->actor_null);
	absorb(&st, r->actor_name);
	absorb(&st, r->action);
	absorb(&st, r->entity);
	absorb_int(&st, r->entity_id, r->entity_id_null);
	absorb(&st, r->diff);
	absorb(&st, r->ip);
	absorb(&st, r->request_id);
	absorb(&st, r->prev_hash);
	unsigned char h[32];
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out, 65, h, sizeof h);
}

int activity_record(struct db_conn *c, const struct activity *a)
{
	ATR_ASSERT(db_in_tx(c));
	const char *head_sql =
		db_conn_dialect(c) == DB_PG
			? "SELECT seq, hash FROM audit_head WHERE org_id = ? "
			  "FOR UPDATE"
			: "SELECT seq, hash FROM audit_head WHERE org_id = ?";
	struct db_stmt *st = db_prepare(c, head_sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, a->org_id);
	int rc = db_step(st);
	int64_t seq = 0;
	char prev[65] = ZERO_HASH;
	bool have_head = rc == 1;
	if (rc == 1) {
		seq = db_col_int(st, 0);
		atr_strlcpy(prev, db_col_text(st, 1), sizeof prev);
	}
	db_reset(st);
	if (rc < 0)
		return -1;

	char at[ATR_TIME_LEN];
	atr_now_iso(at);
	char *diff = a->diff ? json_dumps(a->diff, JSON_COMPACT | JSON_SORT_KEYS)
			     : NULL;
	struct row r = {
		.org_id = a->org_id,
		.seq = seq + 1,
		.actor_id = a->actor_id,
		.actor_null = a->actor_id == 0,
		.entity_id = a->entity_id,
		.entity_id_null = a->entity_id == 0,
		.at = at,
		.actor_name = a->actor_name,
		.action = a->action,
		.entity = a->entity,
		.diff = diff,
		.ip = a->ip,
		.request_id = a->request_id,
		.prev_hash = prev,
	};
	char hash[65];
	row_hash(&r, hash);

	rc = -1;
	st = db_prepare(c, "INSERT INTO activity_log (org_id, seq, at, "
			   "actor_id, actor_name, action, entity, entity_id, "
			   "diff, ip, request_id, prev_hash, hash) "
			   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		goto out;
	db_bind_int(st, 1, r.org_id);
	db_bind_int(st, 2, r.seq);
	db_bind_text(st, 3, at);
	if (r.actor_null)
		db_bind_null(st, 4);
	else
		db_bind_int(st, 4, r.actor_id);
	db_bind_text(st, 5, r.actor_name);
	db_bind_text(st, 6, r.action);
	db_bind_text(st, 7, r.entity);
	if (r.entity_id_null)
		db_bind_null(st, 8);
	else
		db_bind_int(st, 8, r.entity_id);
	db_bind_text(st, 9, diff);
	db_bind_text(st, 10, r.ip);
	db_bind_text(st, 11, r.request_id);
	db_bind_text(st, 12, prev);
	db_bind_text(st, 13, hash);
	int s = db_step(st);
	db_reset(st);
	if (s < 0)
		goto out;

	st = db_prepare(c, have_head ? "UPDATE audit_head SET seq = ?, hash = ? "
				       "WHERE org_id = ?"
				     : "INSERT INTO audit_head (seq, hash, "
				       "org_id) VALUES (?, ?, ?)");
	if (!st)
		goto out;
	db_bind_int(st, 1, r.seq);
	db_bind_text(st, 2, hash);
	db_bind_int(st, 3, r.org_id);
	s = db_step(st);
	db_reset(st);
	if (s < 0)
		goto out;
	rc = 0;
out:
	free(diff);
	return rc;
}

static int verify_org(struct db_conn *c, int64_t org, int64_t head_seq,
		      const char *head_hash, FILE *out)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id, seq, at, actor_id, actor_name, action, entity, "
		   "entity_id, diff, ip, request_id, prev_hash, hash "
		   "FROM activity_log WHERE org_id = ? ORDER BY seq");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int64_t expect = 1, last_id = 0;
	char prev[65] = ZERO_HASH;
	int rc, broken = 0;
	while ((rc = db_step(st)) == 1) {
		int64_t id = db_col_int(st, 0);
		struct row r = {
			.org_id = org,
			.seq = db_col_int(st, 1),
			.at = db_col_text(st, 2),
			.actor_id = db_col_int(st, 3),
			.actor_null = db_col_null(st, 3),
			.actor_name = db_col_text(st, 4),
			.action = db_col_text(st, 5),
			.entity = db_col_text(st, 6),
			.entity_id = db_col_int(st, 7),
			.entity_id_null = db_col_null(st, 7),
			.diff = db_col_text(st, 8),
			.ip = db_col_text(st, 9),
			.request_id = db_col_text(st, 10),
			.prev_hash = db_col_text(st, 11),
		};
		const char *stored = db_col_text(st, 12);
		char h[65];
		row_hash(&r, h);
		if (r.seq != expect) {
			fprintf(out,
				"broken: activity_log row id %lld (org %lld): "
				"sequence %lld follows %lld — rows before it "
				"were removed\n",
				(long long)id, (long long)org,
				(long long)r.seq, (long long)(expect - 1));
			broken = 1;
			break;
		}
		if (strcmp(r.prev_hash, prev) != 0) {
			fprintf(out,
				"broken: activity_log row id %lld (org %lld, "
				"seq %lld): does not link to the row before "
				"it\n",
				(long long)id, (long long)org,
				(long long)r.seq);
			broken = 1;
			break;
		}
		if (strcmp(stored, h) != 0) {
			fprintf(out,
				"broken: activity_log row id %lld (org %lld, "
				"seq %lld): content does not match its hash — "
				"the row was altered\n",
				(long long)id, (long long)org,
				(long long)r.seq);
			broken = 1;
			break;
		}
		atr_strlcpy(prev, h, sizeof prev);
		last_id = id;
		expect++;
	}
	db_reset(st);
	if (rc < 0)
		return -1;
	if (!broken && (expect - 1 != head_seq || strcmp(prev, head_hash))) {
		fprintf(out,
			"broken: activity_log of org %lld ends at seq %lld "
			"(row id %lld) but the chain head says seq %lld — "
			"rows at the end were removed\n",
			(long long)org, (long long)(expect - 1),
			(long long)last_id, (long long)head_seq);
		broken = 1;
	}
	if (!broken)
		fprintf(out, "ok: org %lld, %lld rows, chain intact\n",
			(long long)org, (long long)(expect - 1));
	return broken;
}

int activity_verify(struct db *db, FILE *out, struct atr_err *err)
{
	struct db_conn *c = db_acquire(db, err);
	if (!c)
		return -1;
	int result = 0;
	/* Rows of an organisation without a head are a break as well. */
	struct db_stmt *st = db_prepare(
		c, "SELECT DISTINCT l.org_id FROM activity_log l "
		   "LEFT JOIN audit_head h ON h.org_id = l.org_id "
		   "WHERE h.org_id IS NULL");
	if (!st)
		goto dberr;
	int rc;
	while ((rc = db_step(st)) == 1) {
		fprintf(out,
			"broken: activity_log of org %lld has no chain head\n",
			(long long)db_col_int(st, 0));
		result = 1;
	}
	db_reset(st);
	if (rc < 0)
		goto dberr;

	/* Every organisation's chain, however many there are. */
	st = db_prepare(c, "SELECT org_id, seq, hash FROM audit_head "
			   "ORDER BY org_id");
	if (!st)
		goto dberr;
	while ((rc = db_step(st)) == 1) {
		char head[65];
		atr_strlcpy(head, db_col_text(st, 2), sizeof head);
		int v = verify_org(c, db_col_int(st, 0), db_col_int(st, 1),
				   head, out);
		if (v < 0) {
			db_reset(st);
			goto dberr;
		}
		if (v)
			result = 1;
	}
	db_reset(st);
	if (rc < 0)
		goto dberr;
	db_release(c);
	return result;
dberr:
	atr_fail(err, ATR_E_INTERNAL, "database error: %s", db_errmsg(c));
	db_release(c);
	return -1;
}

int outbox_emit(struct db_conn *c, int64_t org_id, const char *entity,
		int64_t entity_id, const char *action, const json_t *before,
		const json_t *after)
{
	ATR_ASSERT(db_in_tx(c));
	unsigned char u[16];
	randombytes_buf(u, sizeof u);
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* variant 10 */
	char uuid[37];
	snprintf(uuid, sizeof uuid,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	char at[ATR_TIME_LEN];
	atr_now_iso(at);
	json_t *p = json_pack("{s:s,s:s++,s:s,s:I,s:s,s:s}", "id", uuid,
			      "type", entity, ".", action, "entity", entity,
			      "entity_id", (json_int_t)entity_id, "action",
			      action, "occurred_at", at);
	json_object_set(p, "before", before ? (json_t *)before : json_null());
	json_object_set(p, "after", after ? (json_t *)after : json_null());
	char *payload = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO event (org_id, uuid, entity, entity_id, action, "
		   "payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
	int rc = -1;
	if (st) {
		db_bind_int(st, 1, org_id);
		db_bind_text(st, 2, uuid);
		db_bind_text(st, 3, entity);
		db_bind_int(st, 4, entity_id);
		db_bind_text(st, 5, action);
		db_bind_text(st, 6, payload);
		db_bind_text(st, 7, at);
		rc = db_step(st) < 0 ? -1 : 0;
		db_reset(st);
	}
	free(payload);
	return rc;
}

int64_t outbox_pending(struct db_conn *c)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT COUNT(*) FROM event WHERE processed_at IS NULL");
	if (!st)
		return -1;
	int64_t n = db_step(st) == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}
