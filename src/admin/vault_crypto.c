/* vault_crypto.c — the vault's secrets at rest (vault_int.h).
 *
 * Each entry has a random 32-byte key of its own. The key is stored
 * wrapped by the master key (secret_encrypt: "v1:", XSalsa20-Poly1305),
 * so a rotation of the master key (not built yet) re-wraps one short
 * value per entry and never touches the secrets. The password, the notes
 * and the previous passwords are sealed under the entry key with
 * XChaCha20-Poly1305 and a random 24-byte nonce, the field's name as
 * associated data: a value moved to another field does not open there,
 * nor under another entry's key.
 *
 * Stored form: "vk1:" + base64(nonce || ciphertext || tag). A value that
 * does not open — another master key, an altered row — is a 503 naming
 * the master key, never garbage and never the value.
 */
#include "atrium.h"

#include <sodium.h>

#include "admin/vault_int.h"
#include "core/secret.h"

#define SEAL_PREFIX "vk1:"
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SEALED_MAX (1 << 18) /* far above the longest field (notes) */

static int undecryptable(struct atr_err *err, const char *what)
{
	return atr_fail(err, ATR_E_UNAVAILABLE,
			"the %s cannot be decrypted with this server's master "
			"key (a different key, or an altered value); start "
			"the server with the key it was stored under",
			what);
}

char *vault_key_new(unsigned char key[VAULT_KEY_BYTES])
{
	crypto_aead_xchacha20poly1305_ietf_keygen(key);
	char hex[2 * VAULT_KEY_BYTES + 1];
	sodium_bin2hex(hex, sizeof hex, key, VAULT_KEY_BYTES);
	char *wrapped = secret_encrypt(hex);
	sodium_memzero(hex, sizeof hex);
	return wrapped;
}

int vault_key_open(const char *wrapped, unsigned char key[VAULT_KEY_BYTES],
		   struct atr_err *err)
{
	struct atr_err why = {0};
	char *hex = wrapped ? secret_decrypt(wrapped, &why) : NULL;
	size_t n = 0;
	int rc = hex && strlen(hex) == 2 * VAULT_KEY_BYTES &&
				 sodium_hex2bin(key, VAULT_KEY_BYTES, hex,
						strlen(hex), NULL, &n,
						NULL) == 0 &&
				 n == VAULT_KEY_BYTES
			 ? 0
			 : -1;
	secret_free(hex);
	if (rc < 0) {
		sodium_memzero(key, VAULT_KEY_BYTES);
		return undecryptable(err, "entry's key");
	}
	return 0;
}

char *vault_seal(const unsigned char key[VAULT_KEY_BYTES], const char *field,
		 const char *plain)
{
	size_t plen = strlen(plain);
	size_t blen = NONCE_BYTES + plen + TAG_BYTES;
	unsigned char *box = xmalloc(blen);
	randombytes_buf(box, NONCE_BYTES);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		box + NONCE_BYTES, &clen, (const unsigned char *)plain, plen,
		(const unsigned char *)field, strlen(field), NULL, box, key);
	size_t pre = strlen(SEAL_PREFIX);
	size_t b64 = sodium_base64_encoded_len(blen,
					       sodium_base64_VARIANT_ORIGINAL);
	char *out = xmalloc(pre + b64);
	memcpy(out, SEAL_PREFIX, pre);
	sodium_bin2base64(out + pre, b64, box, blen,
			  sodium_base64_VARIANT_ORIGINAL);
	free(box);
	return out;
}

char *vault_open(const unsigned char key[VAULT_KEY_BYTES], const char *field,
		 const char *stored, struct atr_err *err)
{
	size_t pre = strlen(SEAL_PREFIX);
	if (!stored || strncmp(stored, SEAL_PREFIX, pre) ||
	    strlen(stored + pre) > SEALED_MAX) {
		undecryptable(err, field);
		return NULL;
	}
	const char *b64 = stored + pre;
	size_t b64len = strlen(b64), cap = b64len / 4 * 3 + 3, blen = 0;
	unsigned char *box = xmalloc(cap);
	char *plain = NULL;
	if (sodium_base642bin(box, cap, b64, b64len, NULL, &blen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    blen < NONCE_BYTES + TAG_BYTES) {
		undecryptable(err, field);
		goto out;
	}
	size_t plen = blen - NONCE_BYTES - TAG_BYTES;
	plain = xmalloc(plen + 1);
	unsigned long long got = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    (unsigned char *)plain, &got, NULL, box + NONCE_BYTES,
		    blen - NONCE_BYTES, (const unsigned char *)field,
		    strlen(field), box, key) != 0 ||
	    got != plen || memchr(plain, 0, plen)) {
		sodium_memzero(plain, plen + 1);
		free(plain);
		plain = NULL;
		undecryptable(err, field);
		goto out;
	}
	plain[plen] = 0;
out:
	free(box);
	return plain;
}
