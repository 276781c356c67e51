/* activity.c — writing the activity log (its keyed chain) and the
 * transactional outbox. Verifying and checkpoints are audit.c's. */
#include "atrium.h"

#include <sodium.h>

#include "core/activity.h"
#include "core/activity_int.h"
#include "core/log.h"
#include "core/secret.h"
#include "db/db.h"

int audit_keys_load(struct audit_keys *k)
{
	if (secret_derive("atraudit", 1, k->chain, sizeof k->chain) < 0 ||
	    secret_derive("atraudit", 2, k->seal, sizeof k->seal) < 0 ||
	    secret_derive("atraudit", 3, k->sign, sizeof k->sign) < 0) {
		audit_keys_wipe(k);
		return -1;
	}
	return 0;
}

void audit_keys_wipe(struct audit_keys *k)
{
	sodium_memzero(k, sizeof *k);
}

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

static void finish(crypto_generichash_state *st, char out[AUDIT_HASH_HEX])
{
	unsigned char h[32];
	crypto_generichash_final(st, h, sizeof h);
	sodium_bin2hex(out, AUDIT_HASH_HEX, h, sizeof h);
}

void audit_hash_v1(const struct audit_row *r, char out[AUDIT_HASH_HEX])
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
	finish(&st, out);
}

void audit_mac_v2(const struct audit_keys *k, const struct audit_row *r,
		  char out[AUDIT_HASH_HEX])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, k->chain, sizeof k->chain, 32);
	absorb(&st, "atrium activity v2");
	absorb_int(&st, r->org_id, false);
	absorb_int(&st, r->seq, false);
	absorb(&st, r->at);
	absorb_int(&st, r->actor_id, r->actor_null);
	absorb(&st, r->action);
	absorb(&st, r->entity);
	absorb_int(&st, r->entity_id, r->entity_id_null);
	absorb(&st, r->request_id);
	absorb(&st, r->who_seal);
	absorb(&st, r->what_seal);
	absorb(&st, r->prev_hash);
	finish(&st, out);
}

void audit_seal(const struct audit_keys *k, const char *salt_hex,
		const char *a, const char *b, char out[AUDIT_HASH_HEX])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, k->seal, sizeof k->seal, 32);
	absorb(&st, "atrium seal v2");
	absorb(&st, salt_hex);
	absorb(&st, a);
	absorb(&st, b);
	finish(&st, out);
}

void audit_head_mac(const struct audit_keys *k, int64_t org, int64_t seq,
		    const char *hash, char out[AUDIT_HASH_HEX])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, k->chain, sizeof k->chain, 32);
	absorb(&st, "atrium head v2");
	absorb_int(&st, org, false);
	absorb_int(&st, seq, false);
	absorb(&st, hash);
	finish(&st, out);
}

void audit_new_salt(char out[2 * AUDIT_SALT_BYTES + 1])
{
	unsigned char b[AUDIT_SALT_BYTES];
	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, 2 * AUDIT_SALT_BYTES + 1, b, sizeof b);
}

_Thread_local int64_t audit_last_id;
activity_observer audit_observer;

void activity_set_observer(activity_observer fn)
{
	audit_observer = fn;
}

int64_t activity_last_id(void)
{
	return audit_last_id;
}

int activity_record(struct db_conn *c, const struct activity *a)
{
	ATR_ASSERT(db_in_tx(c));
	struct audit_keys k;
	if (audit_keys_load(&k) < 0) {
		atr_log("activity: no master key is loaded; the activity log "
			"cannot be written");
		return -1;
	}
	char *diff = NULL;
	int rc = -1;
	const char *head_sql =
		db_conn_dialect(c) == DB_PG
			? "SELECT seq, hash FROM audit_head WHERE org_id = ? "
			  "FOR UPDATE"
			: "SELECT seq, hash FROM audit_head WHERE org_id = ?";
	struct db_stmt *st = db_prepare(c, head_sql);
	if (!st)
		goto out;
	db_bind_int(st, 1, a->org_id);
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

	char at[ATR_TIME_LEN];
	atr_now_iso(at);
	diff = a->diff	     ? json_dumps(a->diff, JSON_COMPACT | JSON_SORT_KEYS)
	       : a->diff_text ? xstrdup(a->diff_text)
			      : NULL;
	/* The personal parts (who acted from where; what changed) are
	 * sealed apart, each with a salt of its own: erasure removes the
	 * values and the salt, and the chain, which covers only the seals,
	 * still verifies. */
	char who_salt[2 * AUDIT_SALT_BYTES + 1], what_salt[sizeof who_salt];
	char who_seal[AUDIT_HASH_HEX], what_seal[AUDIT_HASH_HEX];
	audit_new_salt(who_salt);
	audit_new_salt(what_salt);
	audit_seal(&k, who_salt, a->actor_name, a->ip, who_seal);
	audit_seal(&k, what_salt, diff, NULL, what_seal);
	struct audit_row r = {
		.org_id = a->org_id,
		.seq = seq + 1,
		.actor_id = a->actor_id,
		.actor_null = a->actor_id == 0,
		.entity_id = a->entity_id,
		.entity_id_null = a->entity_id == 0,
		.version = 2,
		.at = at,
		.action = a->action,
		.entity = a->entity,
		.request_id = a->request_id,
		.prev_hash = prev,
		.who_seal = who_seal,
		.what_seal = what_seal,
	};
	char mac[AUDIT_HASH_HEX], head[AUDIT_HASH_HEX];
	audit_mac_v2(&k, &r, mac);
	audit_head_mac(&k, r.org_id, r.seq, mac, head);

	st = db_prepare(c, "INSERT INTO activity_log (org_id, seq, at, "
			   "actor_id, actor_name, action, entity, entity_id, "
			   "diff, ip, request_id, prev_hash, hash, "
			   "mac_version, who_salt, who_seal, what_salt, "
			   "what_seal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			   "?, ?, ?, 2, ?, ?, ?, ?) RETURNING id");
	if (!st)
		goto out;
	db_bind_int(st, 1, r.org_id);
	db_bind_int(st, 2, r.seq);
	db_bind_text(st, 3, at);
	if (r.actor_null)
		db_bind_null(st, 4);
	else
		db_bind_int(st, 4, r.actor_id);
	db_bind_text(st, 5, a->actor_name);
	db_bind_text(st, 6, r.action);
	db_bind_text(st, 7, r.entity);
	if (r.entity_id_null)
		db_bind_null(st, 8);
	else
		db_bind_int(st, 8, r.entity_id);
	db_bind_text(st, 9, diff);
	db_bind_text(st, 10, a->ip);
	db_bind_text(st, 11, r.request_id);
	db_bind_text(st, 12, prev);
	db_bind_text(st, 13, mac);
	db_bind_text(st, 14, who_salt);
	db_bind_text(st, 15, who_seal);
	db_bind_text(st, 16, what_salt);
	db_bind_text(st, 17, what_seal);
	int s = db_step(st);
	int64_t id = s == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (s < 0)
		goto out;
	audit_last_id = id;

	st = db_prepare(c, have_head ? "UPDATE audit_head SET seq = ?, hash = "
				       "?, mac = ? WHERE org_id = ?"
				     : "INSERT INTO audit_head (seq, hash, "
				       "mac, org_id) VALUES (?, ?, ?, ?)");
	if (!st)
		goto out;
	db_bind_int(st, 1, r.seq);
	db_bind_text(st, 2, mac);
	db_bind_text(st, 3, head);
	db_bind_int(st, 4, r.org_id);
	s = db_step(st);
	db_reset(st);
	if (s < 0)
		goto out;
	/* The head is locked until the commit, so an observer runs one
	 * transaction at a time per organisation. */
	if (audit_observer && audit_observer(c, a, id) < 0)
		goto out;
	rc = 0;
out:
	audit_keys_wipe(&k);
	free(diff);
	return rc;
}

_Thread_local const char *outbox_cause_now;

void outbox_cause(const char *cause)
{
	outbox_cause_now = cause;
}

int outbox_emit(struct db_conn *c, int64_t org_id, const char *entity,
		int64_t entity_id, const char *action, const json_t *before,
		const json_t *after)
{
	return outbox_emit_id(c, org_id, entity, entity_id, action, before,
			      after, NULL);
}

void outbox_uuid_of(const unsigned char r[16], int64_t ms, char uuid[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char u[16];
	memcpy(u, r, sizeof u);
	for (int i = 0; i < 6; i++) /* unix_ts_ms, 48 bits, big-endian */
		u[i] = (unsigned char)((uint64_t)ms >> (8 * (5 - i)));
	u[6] = (u[6] & 0x0f) | 0x70; /* version 7 */
	u[8] = (u[8] & 0x3f) | 0x80; /* variant 10 */
	int o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			uuid[o++] = '-';
		uuid[o++] = hex[u[i] >> 4];
		uuid[o++] = hex[u[i] & 15];
	}
	uuid[o] = 0;
}

void outbox_uuid(char uuid[37])
{
	unsigned char u[16];
	randombytes_buf(u, sizeof u);
	outbox_uuid_of(u, atr_now_ms(), uuid);
}

int outbox_emit_id(struct db_conn *c, int64_t org_id, const char *entity,
		   int64_t entity_id, const char *action,
		   const json_t *before, const json_t *after, int64_t *id)
{
	ATR_ASSERT(db_in_tx(c));
	char uuid[37];
	outbox_uuid(uuid);
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
		   "payload, created_at, cause) VALUES (?, ?, ?, ?, ?, ?, ?, "
		   "?) RETURNING id");
	int rc = -1;
	if (st) {
		db_bind_int(st, 1, org_id);
		db_bind_text(st, 2, uuid);
		db_bind_text(st, 3, entity);
		db_bind_int(st, 4, entity_id);
		db_bind_text(st, 5, action);
		db_bind_text(st, 6, payload);
		db_bind_text(st, 7, at);
		if (outbox_cause_now)
			db_bind_text(st, 8, outbox_cause_now);
		else
			db_bind_null(st, 8);
		rc = db_step(st) == 1 ? 0 : -1;
		if (rc == 0 && id)
			*id = db_col_int(st, 0);
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
