/* password.h — argon2id hashing, verification and the password policy.
 *
 * Hashes use libsodium's argon2id at t=2, m=19 MiB (the OWASP floor; never
 * lower). Hashing is bounded: at most `workers` hashes run at once, at most
 * `queue` more wait for a slot, and anything beyond is refused at once with
 * PASSWORD_BUSY (the HTTP layer answers 503 with Retry-After). A hash runs
 * on the HTTP worker that asked for it, so the pool is kept smaller than
 * the HTTP thread count: a flood of sign-ins then leaves threads free for
 * every other request instead of queueing them behind argon2 (see
 * password_pool_configure and docs/operations-guide.md).
 */
#ifndef ATR_PASSWORD_H
#define ATR_PASSWORD_H

#include "atrium.h"

#include <sodium.h>

#define PASSWORD_HASH_MAX crypto_pwhash_STRBYTES
#define PASSWORD_MIN_LEN 8 /* the floor no setting goes below */
#define PASSWORD_MAX_LEN 1024

/* Returned when every hashing slot is taken and the queue is full. */
#define PASSWORD_BUSY (-2)

/* Sizes the hashing pool: workers hashes at once (>= 1), queue more
 * waiting (>= 0). Before any hash; the default is 4 and 4. */
void password_pool_configure(int workers, int queue);
/* The pool's size for a process with `threads` HTTP workers: hash_workers
 * and hash_queue from the configuration, 0 and -1 meaning automatic (one
 * slot per core, leaving at least one HTTP thread that never hashes; a
 * queue of the threads left over). */
void password_pool_size(int threads, int cfg_workers, int cfg_queue,
			int *workers, int *queue);
/* Hashes currently running and waiting (for /metrics and tests). */
void password_pool_load(int *running, int *waiting);

/* 0 on success; PASSWORD_BUSY when the pool is full; -1 on out-of-memory
 * inside argon2. */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);
/* Verifies pw against hash: 1 when it matches, 0 when not, PASSWORD_BUSY
 * when the pool is full (nothing was checked). With hash == NULL, spends
 * the same time against a dummy hash and answers 0 (no user enumeration by
 * timing). */
int password_verify(const char *hash, const char *pw);
/* True when hash was made with weaker parameters than today's. */
bool password_needs_rehash(const char *hash);
struct db_conn;

/* Sets err to the busy answer (503, Retry-After: 1) and returns -1. */
int password_busy(struct atr_err *err);

/* Whose password is being judged: context for the strength check (their
 * email and name must not make it up) and for the history. */
struct pw_subject {
	int64_t org_id;
	int64_t staff_id; /* 0: a member not created yet (no history) */
	const char *email;
	const char *name;
	bool has_2fa; /* a second factor lowers the minimum length */
	/* A client contact (the portal): their own history, staff_id 0. */
	int64_t contact_id;
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

/* Whether a password changed at changed_ms is past a maximum age of
 * days calendar days at now_ms, counted in zone (the organisation's): it
 * expires as the local day `days` days after the change begins, however
 * long the days between are across daylight-saving changes. */
bool password_expired(const char *zone, int64_t changed_ms, int64_t days,
		      int64_t now_ms);

#endif
