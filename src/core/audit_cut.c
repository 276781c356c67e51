/* audit_cut.c — the activity chain across retention: the cut (where the
 * chain in the database now starts), the signed checkpoint at the cut, and
 * the verification of an archived stretch of a chain.
 *
 * Retention (src/admin/retention.c) removes the oldest rows of a chain
 * only after they are in a verified archive file. In the transaction that
 * removes a batch it moves the cut (audit_cut: org, seq and MAC of the last
 * removed row) with a MAC of its own, keyed like the head's: someone who
 * can write the database but not read the master key can neither remove
 * rows nor move the cut. activity_verify walks the rows after the cut.
 * Before the first batch, the archive's manifest gets a checkpoint at the
 * archive's last row, signed like `atrium audit checkpoint`'s, and the
 * archive verifies against it (activity_stretch_*).
 */
#include "atrium.h"

#include <sodium.h>

#include "core/activity.h"
#include "core/activity_int.h"
#include "db/db.h"

void audit_cut_mac(const struct audit_keys *k, int64_t org, int64_t seq,
		   const char *hash, char out[AUDIT_HASH_HEX])
{
	/* The head's MAC with another label: a head's MAC is never a cut's. */
	char label[64];
	snprintf(label, sizeof label, "cut:%s", hash);
	audit_head_mac(k, org, seq, label, out);
}

int audit_cut_load(struct db_conn *c, const struct audit_keys *k, int64_t org,
		   int64_t *seq, char hash[AUDIT_HASH_HEX])
{
	*seq = 0;
	hash[0] = 0;
	struct db_stmt *st = db_prepare(
		c, "SELECT seq, hash, mac FROM audit_cut WHERE org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int rc = db_step(st), bad = 0;
	if (rc == 1) {
		*seq = db_col_int(st, 0);
		atr_strlcpy(hash, db_col_text(st, 1), AUDIT_HASH_HEX);
		if (k) {
			char m[AUDIT_HASH_HEX];
			const char *mac = db_col_text(st, 2);
			audit_cut_mac(k, org, *seq, hash, m);
			bad = !mac || strlen(mac) != AUDIT_HASH_HEX - 1 ||
			      sodium_memcmp(m, mac, AUDIT_HASH_HEX - 1) != 0;
		}
	}
	db_reset(st);
	return rc < 0 ? -1 : bad;
}

int activity_cut_move(struct db_conn *c, int64_t org, int64_t seq,
		      const char *hash)
{
	ATR_ASSERT(db_in_tx(c));
	struct audit_keys k;
	if (audit_keys_load(&k) < 0)
		return -1;
	char mac[AUDIT_HASH_HEX], now[ATR_TIME_LEN];
	audit_cut_mac(&k, org, seq, hash, mac);
	audit_keys_wipe(&k);
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO audit_cut (org_id, seq, hash, mac, at) VALUES "
		   "(?, ?, ?, ?, ?) ON CONFLICT (org_id) DO UPDATE SET seq = "
		   "excluded.seq, hash = excluded.hash, mac = excluded.mac, "
		   "at = excluded.at");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, seq);
	db_bind_text(st, 3, hash);
	db_bind_text(st, 4, mac);
	db_bind_text(st, 5, now);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int activity_cut_get(struct db_conn *c, int64_t org, int64_t *seq,
		     char hash[65])
{
	return audit_cut_load(c, NULL, org, seq, hash) < 0 ? -1 : 0;
}

char *activity_checkpoint_at(int64_t org, int64_t seq, const char *hash,
			     struct atr_err *err)
{
	struct audit_keys k;
	if (audit_keys_load(&k) < 0) {
		atr_fail(err, ATR_E_INTERNAL,
			 "no master key is loaded: a checkpoint cannot be "
			 "signed");
		return NULL;
	}
	json_t *chains = json_pack("[{s:I,s:I,s:s}]", "org_id",
				   (json_int_t)org, "seq", (json_int_t)seq,
				   "hash", hash);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	unsigned char pk[crypto_sign_PUBLICKEYBYTES],
		sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
	crypto_sign_seed_keypair(pk, sk, k.sign);
	audit_keys_wipe(&k);
	char *msg = audit_checkpoint_message(now, chains);
	crypto_sign_detached(sig, NULL, (const unsigned char *)msg, strlen(msg),
			     sk);
	sodium_memzero(sk, sizeof sk);
	free(msg);
	char pkh[2 * sizeof pk + 1], sigh[2 * sizeof sig + 1];
	sodium_bin2hex(pkh, sizeof pkh, pk, sizeof pk);
	sodium_bin2hex(sigh, sizeof sigh, sig, sizeof sig);
	json_t *doc = json_pack("{s:s,s:s,s:o,s:s,s:s}", "format",
				CHECKPOINT_FORMAT, "created_at", now, "chains",
				chains, "public_key", pkh, "signature", sigh);
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return text;
}

int activity_checkpoint_one(const char *text, int64_t *org, int64_t *seq,
			    char hash[65], FILE *out, struct atr_err *err)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	if (!doc) {
		fprintf(out, "broken: the checkpoint is not JSON\n");
		return 1;
	}
	struct audit_keys k;
	if (audit_keys_load(&k) < 0) {
		json_decref(doc);
		return atr_fail(err, ATR_E_INTERNAL,
				"no master key is loaded");
	}
	int result = audit_checkpoint_genuine(&k, doc, out);
	audit_keys_wipe(&k);
	json_t *chains = json_object_get(doc, "chains");
	if (!result && json_array_size(chains) != 1) {
		fprintf(out, "broken: the checkpoint names %zu chains, not "
			     "one\n",
			json_array_size(chains));
		result = 1;
	}
	if (!result) {
		json_t *ch = json_array_get(chains, 0);
		*org = json_integer_value(json_object_get(ch, "org_id"));
		*seq = json_integer_value(json_object_get(ch, "seq"));
		atr_strlcpy(hash,
			    json_string_value(json_object_get(ch, "hash")),
			    AUDIT_HASH_HEX);
	}
	json_decref(doc);
	return result;
}

/* ---- an archived stretch of a chain ------------------------------------- */

struct activity_stretch {
	struct audit_keys k;
	int64_t org, seq, rows, erased;
	char hash[AUDIT_HASH_HEX];
	bool broken;
};

struct activity_stretch *activity_stretch_begin(int64_t org, int64_t seq,
						const char *hash,
						struct atr_err *err)
{
	struct activity_stretch *s = xcalloc(1, sizeof *s);
	if (audit_keys_load(&s->k) < 0) {
		free(s);
		atr_fail(err, ATR_E_INTERNAL,
			 "no master key is loaded: the chain's MACs cannot be "
			 "checked");
		return NULL;
	}
	s->org = org;
	s->seq = seq;
	atr_strlcpy(s->hash, hash, sizeof s->hash);
	return s;
}

static const char *jstr(const json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

static int64_t jint(const json_t *row, const char *key, bool *null)
{
	json_t *v = json_object_get(row, key);
	if (null)
		*null = !json_is_integer(v);
	return json_integer_value(v);
}

/* Checks a personal part against its seal, as audit.c's walk does. */
static const char *part(const struct audit_keys *k, const char *salt,
			const char *seal, const char *a, const char *b,
			int64_t *erased)
{
	if (!seal)
		return "its seal is missing";
	if (!salt) {
		if (a || b)
			return "it holds personal data without a salt";
		(*erased)++;
		return NULL;
	}
	char h[AUDIT_HASH_HEX];
	audit_seal(k, salt, a, b, h);
	return sodium_memcmp(h, seal, AUDIT_HASH_HEX - 1) == 0
		       ? NULL
		       : "its personal data does not match its seal";
}

int activity_stretch_row(struct activity_stretch *s, const json_t *row,
			 FILE *out)
{
	if (s->broken)
		return 1;
	bool anull = false, enull = false;
	struct audit_row r = {
		.org_id = jint(row, "org_id", NULL),
		.seq = jint(row, "seq", NULL),
		.at = jstr(row, "at"),
		.actor_id = jint(row, "actor_id", &anull),
		.actor_name = jstr(row, "actor_name"),
		.action = jstr(row, "action"),
		.entity = jstr(row, "entity"),
		.entity_id = jint(row, "entity_id", &enull),
		.diff = jstr(row, "diff"),
		.ip = jstr(row, "ip"),
		.request_id = jstr(row, "request_id"),
		.prev_hash = jstr(row, "prev_hash"),
		.version = (int)jint(row, "mac_version", NULL),
		.who_salt = jstr(row, "who_salt"),
		.who_seal = jstr(row, "who_seal"),
		.what_salt = jstr(row, "what_salt"),
		.what_seal = jstr(row, "what_seal"),
	};
	r.actor_null = anull;
	r.entity_id_null = enull;
	const char *stored = jstr(row, "hash");
	const char *bad = NULL;
	char h[AUDIT_HASH_HEX];
	if (r.org_id != s->org)
		bad = "it belongs to another organisation";
	else if (r.seq != s->seq + 1)
		bad = "its sequence does not follow the row before it";
	else if (!r.prev_hash || strcmp(r.prev_hash, s->hash) != 0)
		bad = "it does not link to the row before it";
	else if (!stored || strlen(stored) != AUDIT_HASH_HEX - 1)
		bad = "its MAC is missing";
	if (!bad && r.version == 2) {
		audit_mac_v2(&s->k, &r, h);
		if (sodium_memcmp(h, stored, AUDIT_HASH_HEX - 1) != 0)
			bad = "content does not match its MAC";
		if (!bad)
			bad = part(&s->k, r.who_salt, r.who_seal, r.actor_name,
				   r.ip, &s->erased);
		if (!bad)
			bad = part(&s->k, r.what_salt, r.what_seal, r.diff,
				   NULL, &s->erased);
	} else if (!bad && r.version == 1) {
		audit_hash_v1(&r, h);
		if (strcmp(h, stored) != 0)
			bad = "content does not match its hash";
	} else if (!bad) {
		bad = "unknown MAC version";
	}
	if (bad) {
		fprintf(out, "broken: archived activity row seq %lld (org %lld): "
			     "%s\n",
			(long long)r.seq, (long long)r.org_id, bad);
		s->broken = true;
		return 1;
	}
	s->seq = r.seq;
	s->rows++;
	atr_strlcpy(s->hash, stored, sizeof s->hash);
	return 0;
}

void activity_stretch_end(struct activity_stretch *s, int64_t *seq,
			  char hash[65], int64_t *rows, int64_t *erased)
{
	if (!s)
		return;
	if (seq)
		*seq = s->seq;
	if (hash)
		atr_strlcpy(hash, s->hash, AUDIT_HASH_HEX);
	if (rows)
		*rows = s->rows;
	if (erased)
		*erased = s->erased;
	audit_keys_wipe(&s->k);
	free(s);
}
