/* token.c — token generation and hashing with libsodium. */
#include "atrium.h"

#include <sodium.h>

#include "auth/token.h"

void token_new(char out[TOKEN_LEN + 1])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, TOKEN_LEN + 1, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

void token_hash(const char *token, char out[TOKEN_HASH_LEN + 1])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)token,
			   strlen(token), NULL, 0);
	sodium_bin2hex(out, TOKEN_HASH_LEN + 1, h, sizeof h);
}

void token_csrf(const char *session_token, char out[TOKEN_HASH_LEN + 1])
{
	static const char label[] = "atrium csrf v1";
	unsigned char h[32];
	size_t kl = strlen(session_token);
	if (kl > crypto_generichash_KEYBYTES_MAX)
		kl = crypto_generichash_KEYBYTES_MAX;
	crypto_generichash(h, sizeof h, (const unsigned char *)label,
			   sizeof label - 1,
			   (const unsigned char *)session_token, kl);
	sodium_bin2hex(out, TOKEN_HASH_LEN + 1, h, sizeof h);
}

bool token_well_formed(const char *s)
{
	if (!s || strlen(s) != TOKEN_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}
