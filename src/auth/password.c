/* password.c — argon2id via libsodium, bounded in concurrency. */
#include "atrium.h"

#include <pthread.h>
#include <semaphore.h>

#include "auth/password.h"

#define OPSLIMIT 2ULL
#define MEMLIMIT (19ULL * 1024 * 1024)
#define PASSWORD_CONCURRENCY 4

static sem_t slots;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char dummy_hash[PASSWORD_HASH_MAX];

static void init(void)
{
	sem_init(&slots, 0, PASSWORD_CONCURRENCY);
	if (crypto_pwhash_str_alg(dummy_hash, "atrium dummy password", 21,
				  OPSLIMIT, MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		die("cannot compute argon2id (out of memory?)");
}

int password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
	pthread_once(&once, init);
	sem_wait(&slots);
	int rc = crypto_pwhash_str_alg(out, pw, strlen(pw), OPSLIMIT, MEMLIMIT,
				       crypto_pwhash_ALG_ARGON2ID13);
	sem_post(&slots);
	return rc == 0 ? 0 : -1;
}

bool password_verify(const char *hash, const char *pw)
{
	pthread_once(&once, init);
	sem_wait(&slots);
	bool ok;
	if (hash && *hash) {
		ok = crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
	} else {
		/* Same work as a real check; the answer is no regardless. */
		int spent = crypto_pwhash_str_verify(dummy_hash, pw, strlen(pw));
		(void)spent;
		ok = false;
	}
	sem_post(&slots);
	return ok;
}

bool password_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, OPSLIMIT, MEMLIMIT) != 0;
}

int password_policy_check(const char *pw, const char *field,
			  struct atr_err *err)
{
	size_t n = strlen(pw);
	if (n > PASSWORD_MAX_LEN) {
		atr_field(err, field, "too_long", "must be at most %d bytes",
			  PASSWORD_MAX_LEN);
		return -1;
	}
	/* Count characters, not bytes: any Unicode is welcome. */
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
		if ((*p & 0xC0) != 0x80)
			chars++;
	if (chars < PASSWORD_MIN_LEN) {
		atr_field(err, field, "too_short",
			  "must be at least %d characters", PASSWORD_MIN_LEN);
		return -1;
	}
	return 0;
}
