/* secret.h — secrets at rest under the master key.
 *
 * Secrets Atrium must read back (the SMTP password, later webhook secrets,
 * TOTP seeds, team passwords) are stored encrypted with a 32-byte master
 * key kept outside the database. The key comes from, first match wins:
 *   1. the environment variable ATRIUM_MASTER_KEY (64 hex characters);
 *   2. the file cfg->master_key_file (default ./var/master.key): 64 hex
 *      characters and a newline, mode 0600. A file readable or writable by
 *      group or others is refused.
 *
 * Life cycle (one key per process, loaded before any thread starts):
 *   atrium migrate   secret_key_ensure: creates the file when there is no
 *                    key at all (O_CREAT|O_EXCL, mode 0600);
 *   atrium serve     secret_key_load at start, secret_key_unload at exit.
 *
 * Stored form: "v1:" + base64(nonce || crypto_secretbox_easy(plaintext)),
 * XSalsa20-Poly1305 with a random 24-byte nonce per value. The "v1:" prefix
 * names the format so a later key rotation can add "v2:".
 *
 * Threads: after secret_key_load returns, encrypt and decrypt may be called
 * from any thread (the key is read-only).
 */
#ifndef ATR_SECRET_H
#define ATR_SECRET_H

#include "atrium.h"

struct config;

#define SECRET_PREFIX "v1:"

/* Makes sure a master key exists. Returns 1 when it created the key file
 * (the caller tells the operator to back it up), 0 when a key was already
 * there (environment or file), -1 with err on a bad key or file. Does not
 * keep the key loaded. */
int secret_key_ensure(const struct config *cfg, struct atr_err *err);

/* Loads the key for this process. 0, or -1 with a one-line reason in err
 * (no key, bad permissions, malformed). */
int secret_key_load(const struct config *cfg, struct atr_err *err);
/* Hex characters of a key check value. */
#define SECRET_CHECK_LEN 64

/* The key check value of the loaded key, as hex: an HMAC-SHA-256 of a
 * fixed text under a key derived from the master key (crypto_kdf, its own
 * context), stored in the database so that a start with another key is
 * refused. It reveals nothing about the key. 0, or -1 when no key is
 * loaded. */
int secret_key_check(char out[SECRET_CHECK_LEN + 1]);

/* Wipes and frees the loaded key; safe to call when none is loaded. */
void secret_key_unload(void);
bool secret_key_loaded(void);

/* Encrypts a NUL-terminated plaintext. Returns the stored form
 * ("v1:..."), malloc'd; the caller frees it (it holds no plaintext).
 * NULL when no key is loaded. */
char *secret_encrypt(const char *plaintext);

/* Decrypts a stored form. Returns the plaintext, NUL-terminated, malloc'd;
 * the caller releases it with secret_free (which wipes it). NULL with err
 * when the value is not "v1:", is malformed, or does not authenticate
 * under the loaded key (wrong key, altered value). */
char *secret_decrypt(const char *stored, struct atr_err *err);

/* Wipes (sodium_memzero) and frees a plaintext from secret_decrypt.
 * NULL is accepted. */
void secret_free(char *plaintext);

/* Derives n bytes (16..64) for one purpose from the master key
 * (libsodium's KDF, BLAKE2b): context names the purpose in 8 characters
 * ("listcurs", "atraudit"), id tells subkeys of one purpose apart. The
 * same key and arguments give the same bytes on every node; other
 * purposes get derived keys, never the master key itself. 0, or -1 when
 * no key is loaded. The caller wipes out after use. */
int secret_derive(const char context[8], uint64_t id, unsigned char *out,
		  size_t n);

/* True when s looks like a stored secret (starts with "v1:"). */
bool secret_is_stored(const char *s);

#endif
