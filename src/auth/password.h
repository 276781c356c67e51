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
#define PASSWORD_MIN_LEN 12
#define PASSWORD_MAX_LEN 1024

/* 0 on success; -1 only on out-of-memory inside argon2. */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);
/* Verifies pw against hash. With hash == NULL, spends the same time
 * against a dummy hash and returns false (no user enumeration by timing). */
bool password_verify(const char *hash, const char *pw);
/* True when hash was made with weaker parameters than today's. */
bool password_needs_rehash(const char *hash);
/* Applies the password policy; adds a field error on `field`. 0 if ok. */
int password_policy_check(const char *pw, const char *field,
			  struct atr_err *err);

#endif
