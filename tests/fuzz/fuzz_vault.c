/* fuzz_vault.c — libFuzzer harness for the team password vault's sealed
 * values (src/admin/vault_crypto.c): the stored form ("vk1:" + base64 of
 * nonce, ciphertext and tag) is parsed when a secret is revealed or
 * compared, from a database an attacker may have written to.
 *
 * Each input is used twice, under a fixed entry key: as a stored value,
 * which must never open (a forged value cannot carry a valid tag) and
 * never crash, with or without the prefix; and, up to its first NUL, as a
 * plaintext that must seal and open again to itself, and open under no
 * other field.
 *
 *   make build/fuzz/fuzz_vault
 *   build/fuzz/fuzz_vault tests/fuzz/corpus/vault   (mutates it!)
 */
#include "atrium.h"

#include <sodium.h>

#include "admin/vault_int.h"
#include "core/secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char key[VAULT_KEY_BYTES];
	static bool ready;
	if (!ready) {
		if (sodium_init() < 0)
			abort();
		memset(key, 0x42, sizeof key);
		ready = true;
	}
	if (size > 8192)
		return 0;
	size_t n = strnlen((const char *)data, size);
	char *text = xmalloc(n + 5);
	memcpy(text, "vk1:", 4);
	memcpy(text + 4, data, n);
	text[n + 4] = 0;

	struct atr_err err = {0};
	ATR_ASSERT(vault_open(key, "password", text, &err) == NULL);
	ATR_ASSERT(err.kind == ATR_E_UNAVAILABLE);
	ATR_ASSERT(vault_open(key, "password", text + 4, &err) == NULL);

	char *sealed = vault_seal(key, "notes", text + 4);
	struct atr_err ok = {0};
	char *back = vault_open(key, "notes", sealed, &ok);
	ATR_ASSERT(back && strcmp(back, text + 4) == 0 && ok.kind == ATR_E_NONE);
	ATR_ASSERT(vault_open(key, "password", sealed, &err) == NULL);
	secret_free(back);
	free(sealed);
	free(text);
	return 0;
}
