/* test_token.c — auth/token.c: random tokens, hashes, CSRF tokens. */
#include "atrium.h"

#include "auth/token.h"
#include "unit.h"

static bool all_lower_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

TEST(token_new_shape_and_uniqueness)
{
	char t[64][TOKEN_LEN + 1];
	for (int i = 0; i < 64; i++) {
		token_new(t[i]);
		CHECK_EQ_INT(strlen(t[i]), TOKEN_LEN);
		CHECK(token_well_formed(t[i]));
		CHECK(strchr(t[i], '=') == NULL);
	}
	int dup = 0;
	for (int i = 0; i < 64; i++)
		for (int j = i + 1; j < 64; j++)
			dup += strcmp(t[i], t[j]) == 0;
	CHECK_EQ_INT(dup, 0);
	/* 64 tokens of 256 bits: every base64url symbol turns up. */
	bool seen[128] = {false};
	for (int i = 0; i < 64; i++)
		for (const char *p = t[i]; *p; p++)
			seen[(unsigned char)*p & 127] = true;
	int distinct = 0;
	for (int i = 0; i < 128; i++)
		distinct += seen[i];
	CHECK(distinct > 50);
}

TEST(token_hash_deterministic)
{
	char h1[TOKEN_HASH_LEN + 1], h2[TOKEN_HASH_LEN + 1];
	char t[TOKEN_LEN + 1];
	token_new(t);
	token_hash(t, h1);
	token_hash(t, h2);
	CHECK_STR(h1, h2);
	CHECK_EQ_INT(strlen(h1), TOKEN_HASH_LEN);
	CHECK(all_lower_hex(h1));
	CHECK(strcmp(h1, t) != 0);
	/* BLAKE2b-256 known answer (RFC 7693 input "abc", 32-byte output). */
	token_hash("abc", h1);
	CHECK_STR(h1, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c0"
		      "68d52319");
	/* One character apart: unrelated hashes. */
	char u[TOKEN_LEN + 1];
	memcpy(u, t, sizeof u);
	u[0] = u[0] == 'A' ? 'B' : 'A';
	token_hash(t, h1);
	token_hash(u, h2);
	CHECK(strcmp(h1, h2) != 0);
}

TEST(token_csrf_per_token)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];
	token_new(a);
	token_new(b);
	char ca[TOKEN_HASH_LEN + 1], ca2[TOKEN_HASH_LEN + 1],
		cb[TOKEN_HASH_LEN + 1], ha[TOKEN_HASH_LEN + 1];
	token_csrf(a, ca);
	token_csrf(a, ca2);
	token_csrf(b, cb);
	token_hash(a, ha);
	CHECK_STR(ca, ca2);
	CHECK(strcmp(ca, cb) != 0);
	/* Not the stored session hash: knowing one must not give the other. */
	CHECK(strcmp(ca, ha) != 0);
	CHECK_EQ_INT(strlen(ca), TOKEN_HASH_LEN);
	CHECK(all_lower_hex(ca));
}

TEST(token_well_formed_cases)
{
	char t[TOKEN_LEN + 1];
	token_new(t);
	CHECK(token_well_formed(t));
	CHECK(token_well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_Z"));
	CHECK(!token_well_formed(NULL));
	CHECK(!token_well_formed(""));
	CHECK(!token_well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_"));
	CHECK(!token_well_formed(
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_ZZ"));
	CHECK(!token_well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123+/Z"));
	CHECK(!token_well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_="));
	CHECK(!token_well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123 _Z"));
	CHECK(!token_well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ012\xc3\xa9Z"));
}
