/* password.h — argon2id hashing, verification and the password policy.
 *
 * Hashes use libsodium's argon2id at t=2, m=19 MiB (the OWASP floor; never
 * lower). At most PASSWORD_CONCURRENCY hashes run at once, so a login flood
 * queues instead of exhausting memory and CPU.
 */
#ifndef ATR_PASSWORD_H
#define ATR_PASSWORD_H

#include "atrium.h"

#include <sodium.h>

#define PASSWORD_HASH_MAX crypto_pwhash_STRBYTES
#define PASSWORD_MIN_LEN 8 /* the floor no setting goes below */
#define PASSWORD_MAX_LEN 1024

/* 0 on success; -1 only on out-of-memory inside argon2. */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);
/* Verifies pw against hash. With hash == NULL, spends the same time
 * against a dummy hash and returns false (no user enumeration by timing). */
bool password_verify(const char *hash, const char *pw);
/* True when hash was made with weaker parameters than today's. */
bool password_needs_rehash(const char *hash);
struct db_conn;

/* Whose password is being judged: context for the strength check (their
 * email and name must not make it up) and for the history. */
struct pw_subject {
	int64_t org_id;
	int64_t staff_id; /* 0: a member not created yet (no history) */
	const char *email;
	const char *name;
	bool has_2fa; /* a second factor lowers the minimum length */
};

/* The password policy of the organisation (settings group "security"):
 * length in characters (any Unicode, no composition rules), a strength
 * floor from zxcvbn with context words (the company name, the member's
 * email and name, "atrium"), and no reuse of the last N passwords. Adds
 * one field error on `field` with the reason. c may be NULL (defaults,
 * no history). 0 when acceptable. */
int password_policy_check(struct db_conn *c, const struct pw_subject *who,
			  const char *pw, const char *field,
			  struct atr_err *err);
/* Records hash as the member's newest password and keeps the last N
 * (inside the caller's transaction). 0 or -1. */
int password_history_push(struct db_conn *c, int64_t org_id,
			  int64_t staff_id, const char *hash);

#endif
