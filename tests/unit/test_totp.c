/* test_totp.c — auth/totp.c: the RFC 6238 and RFC 4226 test vectors, the
 * ±1 step window, base32, the otpauth URI and the QR code. */
#include "atrium.h"

#include "auth/totp.h"
#include "unit.h"

/* RFC 6238 Appendix B: the seeds are the ASCII digits repeated to the
 * length of each hash's output (20, 32 and 64 bytes). */
static const char seed_sha1[] = "12345678901234567890";
static const char seed_sha256[] = "12345678901234567890123456789012";
static const char seed_sha512[] =
	"1234567890123456789012345678901234567890123456789012345678901234";

static const struct {
	int64_t t;
	const char *sha1, *sha256, *sha512;
} rfc6238[] = {
	{59, "94287082", "46119246", "90693936"},
	{1111111109, "07081804", "68084774", "25091201"},
	{1111111111, "14050471", "67062674", "99943326"},
	{1234567890, "89005924", "91819424", "93441116"},
	{2000000000, "69279037", "90698825", "38618901"},
	{20000000000LL, "65353130", "77737706", "47863826"},
};

TEST(totp_rfc6238_seeds_have_the_appendix_lengths)
{
	CHECK_EQ_INT(sizeof seed_sha1 - 1, 20);
	CHECK_EQ_INT(sizeof seed_sha256 - 1, 32);
	CHECK_EQ_INT(sizeof seed_sha512 - 1, 64);
}

static void check_vector(const char *seed, enum totp_alg alg, int64_t t,
			 const char *want)
{
	char out[16] = "";
	if (!CHECK_EQ_INT(totp_generate((const unsigned char *)seed,
					strlen(seed), t, 8, alg, out),
			  0)) {
		FAILF("totp_generate failed for t=%lld alg=%d", (long long)t,
		      (int)alg);
		return;
	}
	if (strcmp(out, want) != 0)
		FAILF("RFC 6238 t=%lld alg=%d: got %s, want %s", (long long)t,
		      (int)alg, out, want);
}

TEST(totp_rfc6238_sha1)
{
	for (size_t i = 0; i < ATR_ARRAY_LEN(rfc6238); i++)
		check_vector(seed_sha1, TOTP_SHA1, rfc6238[i].t,
			     rfc6238[i].sha1);
}

TEST(totp_rfc6238_sha256)
{
	for (size_t i = 0; i < ATR_ARRAY_LEN(rfc6238); i++)
		check_vector(seed_sha256, TOTP_SHA256, rfc6238[i].t,
			     rfc6238[i].sha256);
}

TEST(totp_rfc6238_sha512)
{
	for (size_t i = 0; i < ATR_ARRAY_LEN(rfc6238); i++)
		check_vector(seed_sha512, TOTP_SHA512, rfc6238[i].t,
			     rfc6238[i].sha512);
}

TEST(totp_six_digits_are_the_low_digits_of_eight)
{
	/* Truncation is mod 10^digits: the 6-digit code is the tail of the
	 * 8-digit one (RFC 4226 5.3). */
	char six[16], eight[16];
	CHECK_EQ_INT(totp_generate((const unsigned char *)seed_sha1, 20, 59,
				   6, TOTP_SHA1, six),
		     0);
	CHECK_EQ_INT(totp_generate((const unsigned char *)seed_sha1, 20, 59,
				   8, TOTP_SHA1, eight),
		     0);
	CHECK_STR(six, "287082");
	CHECK_STR(eight + 2, six);
}

TEST(totp_hotp_rfc4226_appendix_d)
{
	static const char *const want[] = {
		"755224", "287082", "359152", "969429", "338314",
		"254676", "287922", "162583", "399871", "520489",
	};
	for (uint64_t i = 0; i < ATR_ARRAY_LEN(want); i++) {
		char out[16] = "";
		const unsigned char *k = (const unsigned char *)seed_sha1;
		if (!CHECK_EQ_INT(hotp_generate(k, 20, i, 6, out), 0))
			continue;
		if (strcmp(out, want[i]) != 0)
			FAILF("RFC 4226 count %llu: got %s, want %s",
			      (unsigned long long)i, out, want[i]);
	}
}

/* The 6-digit SHA-1 code of the step `steps` away from t. */
static void code_at(const unsigned char *secret, int64_t t, int steps,
		    char out[16])
{
	out[0] = 0;
	CHECK_EQ_INT(totp_generate(secret, TOTP_SECRET_BYTES,
				   t + (int64_t)steps * TOTP_STEP, TOTP_DIGITS,
				   TOTP_SHA1, out),
		     0);
}

TEST(totp_match_accepts_one_step_either_side_and_no_more)
{
	const unsigned char *secret = (const unsigned char *)seed_sha1;
	/* Inside a step (not on its boundary), and on a boundary. */
	const int64_t times[] = {1111111111, 1111111110, 1234567890};
	for (size_t k = 0; k < ATR_ARRAY_LEN(times); k++) {
		int64_t now = times[k], step = now / TOTP_STEP;
		char codes[5][16];
		for (int d = -2; d <= 2; d++)
			code_at(secret, now, d, codes[d + 2]);
		/* The vectors must not collide, or the check below proves
		 * nothing. */
		for (int i = 0; i < 5; i++)
			for (int j = i + 1; j < 5; j++)
				CHECK(strcmp(codes[i], codes[j]) != 0);
		for (int d = -1; d <= 1; d++)
			CHECK_EQ_INT(totp_match(secret, TOTP_SECRET_BYTES,
						codes[d + 2], now),
				     step + d);
		CHECK_EQ_INT(totp_match(secret, TOTP_SECRET_BYTES, codes[0],
					now),
			     -1);
		CHECK_EQ_INT(totp_match(secret, TOTP_SECRET_BYTES, codes[4],
					now),
			     -1);
	}
}

TEST(totp_match_refuses_malformed_codes)
{
	const unsigned char *secret = (const unsigned char *)seed_sha1;
	int64_t now = 1111111111;
	char good[16];
	code_at(secret, now, 0, good);
	CHECK_EQ_INT(totp_match(secret, 20, good, now), now / TOTP_STEP);
	char longer[32];
	snprintf(longer, sizeof longer, "%s0", good);
	CHECK_EQ_INT(totp_match(secret, 20, longer, now), -1);
	CHECK_EQ_INT(totp_match(secret, 20, good + 1, now), -1);
	CHECK_EQ_INT(totp_match(secret, 20, "", now), -1);
	char spaced[16];
	memcpy(spaced, good, sizeof spaced);
	spaced[2] = ' ';
	CHECK_EQ_INT(totp_match(secret, 20, spaced, now), -1);
	CHECK_EQ_INT(totp_match(secret, 20, "12a456", now), -1);
	/* Another secret's current code is not ours. */
	unsigned char other[TOTP_SECRET_BYTES];
	memcpy(other, seed_sha1, sizeof other);
	other[0] ^= 1;
	char theirs[16];
	code_at(other, now, 0, theirs);
	if (strcmp(theirs, good) != 0)
		CHECK_EQ_INT(totp_match(secret, 20, theirs, now), -1);
}

TEST(totp_base32_round_trip)
{
	/* RFC 4648 base32 of the RFC 6238 SHA-1 seed; 20 bytes need no
	 * padding. */
	char *b = totp_base32((const unsigned char *)seed_sha1, 20);
	CHECK_STR(b, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	unsigned char back[TOTP_SECRET_BYTES];
	if (CHECK(b != NULL)) {
		CHECK_EQ_INT(totp_secret_from_base32(b, back), 0);
		CHECK(memcmp(back, seed_sha1, 20) == 0);
	}
	free(b);

	for (int i = 0; i < 32; i++) {
		unsigned char s[TOTP_SECRET_BYTES], r[TOTP_SECRET_BYTES];
		totp_secret_new(s);
		char *e = totp_base32(s, sizeof s);
		if (!CHECK(e != NULL))
			return;
		CHECK_EQ_INT(strlen(e), 32);
		CHECK(strchr(e, '=') == NULL);
		for (const char *p = e; *p; p++)
			CHECK((*p >= 'A' && *p <= 'Z') ||
			      (*p >= '2' && *p <= '7'));
		CHECK_EQ_INT(totp_secret_from_base32(e, r), 0);
		CHECK(memcmp(s, r, sizeof s) == 0);
		free(e);
	}

	/* Not 20 bytes, or not base32: refused. */
	CHECK_EQ_INT(totp_secret_from_base32("GEZDGNBVGY3TQOJQ", back), -1);
	CHECK_EQ_INT(totp_secret_from_base32(
			     "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE", back),
		     -1);
	CHECK_EQ_INT(totp_secret_from_base32(
			     "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", back),
		     -1);
}

TEST(totp_secret_new_is_random)
{
	unsigned char a[TOTP_SECRET_BYTES], b[TOTP_SECRET_BYTES];
	totp_secret_new(a);
	totp_secret_new(b);
	CHECK(memcmp(a, b, sizeof a) != 0);
}

TEST(totp_uri_shape)
{
	char *u = totp_uri("Acme & Söhne", "alice@example.test",
			   (const unsigned char *)seed_sha1, 20);
	CHECK_STR(u, "otpauth://totp/Acme%20%26%20S%C3%B6hne:alice@example.test"
		     "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
		     "&issuer=Acme%20%26%20S%C3%B6hne"
		     "&algorithm=SHA1&digits=6&period=30");
	free(u);
	/* A label that would break the URI is escaped. */
	u = totp_uri("A:B", "x?y#z/w", (const unsigned char *)seed_sha1, 20);
	CHECK_CONTAINS(u, "otpauth://totp/A%3AB:x%3Fy%23z%2Fw?secret=");
	CHECK_CONTAINS(u, "&issuer=A%3AB&");
	free(u);
}

TEST(totp_qr_svg_is_an_svg_document)
{
	char *u = totp_uri("Atrium", "alice@example.test",
			   (const unsigned char *)seed_sha1, 20);
	char *svg = u ? qr_svg(u) : NULL;
	if (CHECK(svg != NULL)) {
		CHECK(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"",
			      39) == 0);
		size_t n = strlen(svg);
		CHECK(n > 6 && strcmp(svg + n - 6, "</svg>") == 0);
		CHECK_CONTAINS(svg, "viewBox=\"0 0 ");
		/* Dark modules are drawn. */
		CHECK_CONTAINS(svg, "h1v1h-1z");
		/* The secret is in the picture, not in the markup. */
		CHECK(strstr(svg, "GEZDGNBVGY3TQOJQ") == NULL);
	}
	free(svg);
	free(u);
}
