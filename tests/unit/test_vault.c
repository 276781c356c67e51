/* test_vault.c — the vault's secrets at rest (src/admin/vault_crypto.c):
 * an entry key wrapped by the master key and opened again only under it;
 * sealed values that open only under their key and for their own field,
 * and fail, never yield garbage, when altered. */
#include "atrium.h"

#include <sodium.h>

#include "admin/vault_int.h"
#include "core/config.h"
#include "core/secret.h"
#include "unit.h"

#define TEST_KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define OTHER_KEY "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static bool key_load(const char *hex)
{
	struct config cfg = {0};
	struct atr_err err = {0};
	setenv("ATRIUM_MASTER_KEY", hex, 1);
	int rc = secret_key_load(&cfg, &err);
	unsetenv("ATRIUM_MASTER_KEY");
	if (rc < 0)
		FAILF("secret_key_load: %s", err.msg);
	return rc == 0;
}

TEST(vault_key_wrapped_by_the_master_key)
{
	if (!key_load(TEST_KEY))
		return;
	unsigned char key[VAULT_KEY_BYTES], again[VAULT_KEY_BYTES];
	char *wrapped = vault_key_new(key);
	CHECK(wrapped && !strncmp(wrapped, "v1:", 3));
	struct atr_err err = {0};
	CHECK_EQ_INT(vault_key_open(wrapped, again, &err), 0);
	CHECK(sodium_memcmp(key, again, sizeof key) == 0);
	/* Under another master key the entry key does not open: a 503 that
	 * names the master key, and nothing in the output buffer. */
	secret_key_unload();
	if (!key_load(OTHER_KEY)) {
		free(wrapped);
		return;
	}
	memset(again, 0x5a, sizeof again);
	CHECK_EQ_INT(vault_key_open(wrapped, again, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_UNAVAILABLE);
	CHECK_CONTAINS(err.msg, "master key");
	unsigned char zero[VAULT_KEY_BYTES] = {0};
	CHECK(memcmp(again, zero, sizeof zero) == 0);
	struct atr_err e2 = {0};
	CHECK_EQ_INT(vault_key_open(NULL, again, &e2), -1);
	CHECK_EQ_INT(vault_key_open("not a key", again, &e2), -1);
	free(wrapped);
	secret_key_unload();
}

TEST(vault_seal_opens_only_under_its_key_and_field)
{
	unsigned char key[VAULT_KEY_BYTES], other[VAULT_KEY_BYTES];
	crypto_aead_xchacha20poly1305_ietf_keygen(key);
	crypto_aead_xchacha20poly1305_ietf_keygen(other);
	const char *pw = "correct horse\tbattery staple ✓";
	char *a = vault_seal(key, "password", pw);
	char *b = vault_seal(key, "password", pw);
	CHECK(!strncmp(a, "vk1:", 4));
	CHECK(strcmp(a, b) != 0); /* a fresh nonce each time */
	CHECK(!strstr(a, "horse"));
	struct atr_err err = {0};
	char *p = vault_open(key, "password", a, &err);
	CHECK_STR(p, pw);
	secret_free(p);
	/* Another field, another key, an altered byte, no prefix: NULL. */
	struct atr_err e1 = {0}, e2 = {0}, e3 = {0}, e4 = {0};
	CHECK(vault_open(key, "notes", a, &e1) == NULL);
	CHECK_EQ_INT(e1.kind, ATR_E_UNAVAILABLE);
	CHECK_CONTAINS(e1.msg, "notes cannot be decrypted");
	CHECK(vault_open(other, "password", a, &e2) == NULL);
	a[10] = a[10] == 'A' ? 'B' : 'A';
	CHECK(vault_open(key, "password", a, &e3) == NULL);
	CHECK(vault_open(key, "password", b + 4, &e4) == NULL);
	CHECK(vault_open(key, "password", "vk1:AAAA", &e4) == NULL);
	CHECK(vault_open(key, "password", "vk1:!!!", &e4) == NULL);
	CHECK(vault_open(key, "password", NULL, &e4) == NULL);
	/* The empty text round-trips too. */
	char *z = vault_seal(key, "notes", "");
	char *zp = vault_open(key, "notes", z, &err);
	CHECK_STR(zp, "");
	secret_free(zp);
	free(a);
	free(b);
	free(z);
}
