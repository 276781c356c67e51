/* activity_bulk.c — the activity log and the outbox written n rows at a
 * time (activity.h: activity_record_many, outbox_emit_many), for a bulk
 * write such as an import's batch of creates.
 *
 * The rows are exactly those n calls of activity_record or outbox_emit
 * would write: each activity row has its own salts, seals, MAC and
 * prev_hash (the chain is computed here, in order, from the head read
 * once), so `atrium audit verify`, erasure and the log's view scope see
 * no difference. What a batch saves is statements: one SELECT of the
 * head, one multi-row INSERT, one UPDATE of the head, instead of three
 * statements per row (a statement binds at most db_params_max
 * parameters: a large batch is split). The MACs cost about a microsecond
 * each.
 */
#include "atrium.h"

#include <pthread.h>
#include <sodium.h>

#include "core/activity.h"
#include "core/activity_int.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "db/db.h"

#define ACT_COLS 17   /* bound per activity row */
#define EVENT_COLS 8  /* bound per event row */

/* The last multi-row SQL text of each kind this thread built, kept for
 * the next batch of the same size (an import's batches are): building
 * tens of kilobytes per batch, with the large allocation that makes
 * malloc gather every small free, cost a few per cent of an import. Freed
 * when the thread ends. */
enum { SQL_ACT, SQL_EVENT, SQL_KINDS };
struct sql_cache {
	char *sql[SQL_KINDS];
	int n[SQL_KINDS];
};
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
	struct sql_cache *c = p;
	for (int k = 0; k < SQL_KINDS; k++)
		free(c->sql[k]);
	free(c);
}

static void cache_init(void)
{
	ATR_ASSERT(pthread_key_create(&cache_key, cache_free) == 0);
}

/* db_multi_sql's text for kind and n, from this thread's cache (borrowed:
 * valid until the next call for kind). */
static const char *cached_sql(int kind, const char *head, const char *fixed,
			      int ncols, int n, const char *tail)
{
	pthread_once(&cache_once, cache_init);
	struct sql_cache *c = pthread_getspecific(cache_key);
	if (!c) {
		c = xcalloc(1, sizeof *c);
		pthread_setspecific(cache_key, c);
	}
	if (c->n[kind] != n || !c->sql[kind]) {
		free(c->sql[kind]);
		c->sql[kind] = db_multi_sql(head, fixed, ncols, n, tail);
		c->n[kind] = n;
	}
	return c->sql[kind];
}

struct act_row {
	char at[ATR_TIME_LEN];
	char *diff;        /* dumped here from activity.diff */
	const char *difft; /* the text written: diff or activity.diff_text */
	char who_salt[2 * AUDIT_SALT_BYTES + 1], what_salt[2 * AUDIT_SALT_BYTES + 1];
	char who_seal[AUDIT_HASH_HEX], what_seal[AUDIT_HASH_HEX];
	char prev[AUDIT_HASH_HEX], mac[AUDIT_HASH_HEX];
	int64_t seq;
};

int activity_record_many(struct db_conn *c, const struct activity *a, int n)
{
	ATR_ASSERT(db_in_tx(c));
	if (n <= 0)
		return 0;
	struct audit_keys k;
	if (audit_keys_load(&k) < 0) {
		fprintf(stderr, "activity: no master key is loaded; the "
				"activity log cannot be written\n");
		return -1;
	}
	int64_t org = a[0].org_id;
	struct act_row *row = xcalloc((size_t)n, sizeof *row);
	int64_t *ids = NULL;
	int rc = -1;
	struct db_stmt *st = db_prepare(
		c, db_conn_dialect(c) == DB_PG
			   ? "SELECT seq, hash FROM audit_head WHERE org_id = ? "
			     "FOR UPDATE"
			   : "SELECT seq, hash FROM audit_head WHERE org_id = ?");
	if (!st)
		goto out;
	db_bind_int(st, 1, org);
	int h = db_step(st);
	int64_t seq = 0;
	char prev[AUDIT_HASH_HEX] = AUDIT_ZERO_HASH;
	bool have_head = h == 1;
	if (h == 1) {
		seq = db_col_int(st, 0);
		atr_strlcpy(prev, db_col_text(st, 1), sizeof prev);
	}
	db_reset(st);
	if (h < 0)
		goto out;
	/* the rows' salts drawn at once: one system call, not two per row */
	size_t nrnd = (size_t)n * 2 * AUDIT_SALT_BYTES;
	unsigned char *rnd = xmalloc(nrnd);
	randombytes_buf(rnd, nrnd);
	for (int i = 0; i < n; i++) {
		const struct activity *ai = &a[i];
		struct act_row *w = &row[i];
		ATR_ASSERT(ai->org_id == org);
		atr_now_iso(w->at);
		w->diff = ai->diff ? json_dumps(ai->diff,
						JSON_COMPACT | JSON_SORT_KEYS)
				   : NULL;
		w->difft = w->diff ? w->diff : ai->diff_text;
		const unsigned char *ri = rnd + (size_t)i * 2 * AUDIT_SALT_BYTES;
		sodium_bin2hex(w->who_salt, sizeof w->who_salt, ri,
			       AUDIT_SALT_BYTES);
		sodium_bin2hex(w->what_salt, sizeof w->what_salt,
			       ri + AUDIT_SALT_BYTES, AUDIT_SALT_BYTES);
		audit_seal(&k, w->who_salt, ai->actor_name, ai->ip, w->who_seal);
		audit_seal(&k, w->what_salt, w->difft, NULL, w->what_seal);
		w->seq = seq + 1 + i;
		atr_strlcpy(w->prev, i ? row[i - 1].mac : prev, sizeof w->prev);
		struct audit_row ar = {
			.org_id = org,
			.seq = w->seq,
			.actor_id = ai->actor_id,
			.actor_null = ai->actor_id == 0,
			.entity_id = ai->entity_id,
			.entity_id_null = ai->entity_id == 0,
			.version = 2,
			.at = w->at,
			.action = ai->action,
			.entity = ai->entity,
			.request_id = ai->request_id,
			.prev_hash = w->prev,
			.who_seal = w->who_seal,
			.what_seal = w->what_seal,
		};
		audit_mac_v2(&k, &ar, w->mac);
	}
	sodium_memzero(rnd, nrnd);
	free(rnd);
	/* The rows in statements of at most db_params_max parameters; the
	 * ids by seq (RETURNING promises no order). */
	ids = xcalloc((size_t)n, sizeof *ids);
	int per = db_params_max(c) / ACT_COLS, s;
	for (int at = 0; at < n; at += per) {
		int m = n - at < per ? n - at : per;
		st = db_prepare(
			c, cached_sql(SQL_ACT,
				      "INSERT INTO activity_log (org_id, seq, "
				      "at, actor_id, actor_name, action, "
				      "entity, entity_id, diff, ip, "
				      "request_id, prev_hash, hash, "
				      "who_salt, who_seal, what_salt, "
				      "what_seal, mac_version)",
				      ", 2", ACT_COLS, m, " RETURNING id, seq"));
		if (!st)
			goto out;
		for (int j = 0; j < m; j++) {
			const struct activity *ai = &a[at + j];
			struct act_row *w = &row[at + j];
			int b = j * ACT_COLS;
			db_bind_int(st, b + 1, org);
			db_bind_int(st, b + 2, w->seq);
			db_bind_text(st, b + 3, w->at);
			if (ai->actor_id == 0)
				db_bind_null(st, b + 4);
			else
				db_bind_int(st, b + 4, ai->actor_id);
			db_bind_text(st, b + 5, ai->actor_name);
			db_bind_text(st, b + 6, ai->action);
			db_bind_text(st, b + 7, ai->entity);
			if (ai->entity_id == 0)
				db_bind_null(st, b + 8);
			else
				db_bind_int(st, b + 8, ai->entity_id);
			db_bind_text(st, b + 9, w->difft);
			db_bind_text(st, b + 10, ai->ip);
			db_bind_text(st, b + 11, ai->request_id);
			db_bind_text(st, b + 12, w->prev);
			db_bind_text(st, b + 13, w->mac);
			db_bind_text(st, b + 14, w->who_salt);
			db_bind_text(st, b + 15, w->who_seal);
			db_bind_text(st, b + 16, w->what_salt);
			db_bind_text(st, b + 17, w->what_seal);
		}
		int got = 0;
		while ((s = db_step(st)) == 1) {
			int64_t i = db_col_int(st, 1) - seq - 1;
			if (i >= at && i < at + m && !ids[i]) {
				ids[i] = db_col_int(st, 0);
				got++;
			}
		}
		db_reset(st);
		if (s < 0 || got != m)
			goto out;
	}
	audit_last_id = ids[n - 1];
	char head[AUDIT_HASH_HEX];
	audit_head_mac(&k, org, row[n - 1].seq, row[n - 1].mac, head);
	st = db_prepare(c, have_head ? "UPDATE audit_head SET seq = ?, hash = "
				       "?, mac = ? WHERE org_id = ?"
				     : "INSERT INTO audit_head (seq, hash, "
				       "mac, org_id) VALUES (?, ?, ?, ?)");
	if (!st)
		goto out;
	db_bind_int(st, 1, row[n - 1].seq);
	db_bind_text(st, 2, row[n - 1].mac);
	db_bind_text(st, 3, head);
	db_bind_int(st, 4, org);
	s = db_step(st);
	db_reset(st);
	if (s < 0)
		goto out;
	for (int i = 0; audit_observer && i < n; i++)
		if (audit_observer(c, &a[i], ids[i]) < 0)
			goto out;
	rc = 0;
out:
	audit_keys_wipe(&k);
	for (int i = 0; i < n; i++)
		free(row[i].diff);
	free(row);
	free(ids);
	return rc;
}

/* A payload's before or after: text when given, else v dumped (null for
 * none). */
static void json_text(struct buf *b, const json_t *v, const char *text)
{
	if (text) {
		buf_adds(b, text);
		return;
	}
	if (!v) {
		buf_add(b, "null", 4);
		return;
	}
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	buf_adds(b, t ? t : "null");
	free(t);
}

int outbox_emit_many(struct db_conn *c, int64_t org_id, const char *entity,
		     const int64_t *entity_ids, const char *action,
		     const json_t *const *before, const json_t *const *after,
		     const char *const *after_text, int n)
{
	ATR_ASSERT(db_in_tx(c));
	if (n <= 0)
		return 0;
	char at[ATR_TIME_LEN];
	atr_now_iso(at);
	char type[96];
	snprintf(type, sizeof type, "%s.%s", entity, action);
	int per = db_params_max(c) / EVENT_COLS;
	struct buf pl = BUF_INIT;
	unsigned char *rnd = xmalloc((size_t)(n < per ? n : per) * 16);
	for (int at0 = 0; at0 < n; at0 += per) {
		int m = n - at0 < per ? n - at0 : per;
		struct db_stmt *st = db_prepare(
			c, cached_sql(SQL_EVENT,
				      "INSERT INTO event (org_id, uuid, "
				      "entity, entity_id, action, payload, "
				      "created_at, cause)",
				      "", EVENT_COLS, m, ""));
		if (!st) {
			buf_free(&pl);
			free(rnd);
			return -1;
		}
		/* the statement's event ids drawn at once */
		randombytes_buf(rnd, (size_t)m * 16);
		int64_t now = atr_now_ms();
		for (int j = 0; j < m; j++) {
			int i = at0 + j;
			char uuid[37];
			outbox_uuid_of(rnd + (size_t)j * 16, now, uuid);
			/* as outbox_emit's json_pack and json_dumps write it,
			 * without the tree */
			buf_reset(&pl);
			buf_adds(&pl, "{\"id\":");
			jout_str(&pl, uuid);
			jout_key(&pl, "type", false);
			jout_str(&pl, type);
			jout_key(&pl, "entity", false);
			jout_str(&pl, entity);
			jout_key(&pl, "entity_id", false);
			jout_int(&pl, entity_ids[i]);
			jout_key(&pl, "action", false);
			jout_str(&pl, action);
			jout_key(&pl, "occurred_at", false);
			jout_str(&pl, at);
			jout_key(&pl, "before", false);
			json_text(&pl, before ? before[i] : NULL, NULL);
			jout_key(&pl, "after", false);
			json_text(&pl, after ? after[i] : NULL,
				  after_text ? after_text[i] : NULL);
			buf_addc(&pl, '}');
			const char *payload = buf_str(&pl);
			int k = j * EVENT_COLS;
			db_bind_int(st, k + 1, org_id);
			db_bind_text(st, k + 2, uuid);
			db_bind_text(st, k + 3, entity);
			db_bind_int(st, k + 4, entity_ids[i]);
			db_bind_text(st, k + 5, action);
			db_bind_text(st, k + 6, payload);
			db_bind_text(st, k + 7, at);
			if (outbox_cause_now)
				db_bind_text(st, k + 8, outbox_cause_now);
			else
				db_bind_null(st, k + 8);
		}
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0) {
			buf_free(&pl);
			free(rnd);
			return -1;
		}
	}
	buf_free(&pl);
	free(rnd);
	return 0;
}
