/* activity_int.h — what the activity log's writer (activity.c) and its
 * verifier (audit.c) share: the row as the chain sees it, the keys, and
 * the hash, seal and MAC functions. Not for other files: they use
 * core/activity.h. */
#ifndef ATR_ACTIVITY_INT_H
#define ATR_ACTIVITY_INT_H

#include "atrium.h"

#include <jansson.h>

#include "core/activity.h"

struct db_conn;

#define AUDIT_HASH_HEX 65 /* 32 bytes as hex, and the NUL */
#define AUDIT_SALT_BYTES 16
#define AUDIT_ZERO_HASH                                                        \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Keys derived from the master key (secret_derive, context "atraudit"). */
struct audit_keys {
	unsigned char chain[32]; /* id 1: row and head MACs */
	unsigned char seal[32];  /* id 2: seals of the personal parts */
	unsigned char sign[32];  /* id 3: the checkpoints' Ed25519 seed */
};

/* 0, or -1 when no master key is loaded. Wipe with audit_keys_wipe. */
int audit_keys_load(struct audit_keys *k);
void audit_keys_wipe(struct audit_keys *k);

/* One row as stored. Version 1 (before the keyed chain): hash covers every
 * column. Version 2: the MAC covers the public columns and the two seals;
 * the personal columns are checked against their seal while its salt
 * exists. */
struct audit_row {
	int64_t org_id, seq, actor_id, entity_id;
	bool actor_null, entity_id_null;
	int version;
	const char *at, *actor_name, *action, *entity, *diff, *ip, *request_id,
		*prev_hash;
	const char *who_salt, *who_seal, *what_salt, *what_seal;
};

/* The unkeyed BLAKE2b-256 of a version-1 row, as hex. */
void audit_hash_v1(const struct audit_row *r, char out[AUDIT_HASH_HEX]);
/* The keyed MAC of a version-2 row, as hex. */
void audit_mac_v2(const struct audit_keys *k, const struct audit_row *r,
		  char out[AUDIT_HASH_HEX]);
/* The seal of a personal part: a keyed hash of the salt (hex) and the
 * values a and b (NULL allowed), as hex. Without the salt (erased) it can
 * no longer be checked against a guess. */
void audit_seal(const struct audit_keys *k, const char *salt_hex,
		const char *a, const char *b, char out[AUDIT_HASH_HEX]);
/* The MAC of a chain head (org, seq, hash of the newest row), as hex. */
void audit_head_mac(const struct audit_keys *k, int64_t org, int64_t seq,
		    const char *hash, char out[AUDIT_HASH_HEX]);

/* What activity.c shares with the batched writer (activity_bulk.c): a
 * fresh random salt as hex, the observer, the thread's last row id, the
 * thread's event cause and a fresh event UUID. */
void audit_new_salt(char out[2 * AUDIT_SALT_BYTES + 1]);
extern activity_observer audit_observer;
extern _Thread_local int64_t audit_last_id;
extern _Thread_local const char *outbox_cause_now;
void outbox_uuid(char uuid[37]);
/* The version 7 UUID (RFC 9562) of the wall-clock time ms and 16 random
 * bytes r (a batch draws them at once; the first 6 are replaced by the
 * time). Time first, so new event ids land at the right edge of the
 * event.uuid index: random version 4 ids touched a random page of it at
 * every insert, and a 100,000-record import spilled the page cache. */
void outbox_uuid_of(const unsigned char r[16], int64_t ms, char uuid[37]);

#define CHECKPOINT_FORMAT "atrium-audit-checkpoint/1"

/* The text a checkpoint's signature covers: the format, the time, then one
 * "org seq hash" line per chain. Caller frees. */
char *audit_checkpoint_message(const char *created_at, const json_t *chains);
/* Checks a checkpoint document's shape and signature. 0, or 1 with why in
 * out. */
int audit_checkpoint_genuine(const struct audit_keys *k, const json_t *doc,
			     FILE *out);
/* The MAC of a retention cut (org, seq, hash of the last archived row). */
void audit_cut_mac(const struct audit_keys *k, int64_t org, int64_t seq,
		   const char *hash, char out[AUDIT_HASH_HEX]);
/* Reads org's retention cut (audit_cut) into *seq and hash (0 and "" when
 * the chain was never cut). With k, checks its MAC: returns 1 when it does
 * not hold. 0, 1, or -1 on a database error. */
int audit_cut_load(struct db_conn *c, const struct audit_keys *k, int64_t org,
		   int64_t *seq, char hash[AUDIT_HASH_HEX]);

#endif
