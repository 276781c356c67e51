/* totp.h — time-based one-time passwords (RFC 6238) and enrolment QR codes.
 *
 * HMAC and truncation come from liboath (Debian's OATH toolkit), which is
 * also what `oathtool` uses; we add secret generation, the otpauth URI, the
 * replay rule (a code whose step is not later than the last accepted one
 * is refused) and the QR code as SVG (libqrencode).
 */
#ifndef ATR_TOTP_H
#define ATR_TOTP_H

#include "atrium.h"

#define TOTP_SECRET_BYTES 20 /* 160 bits, RFC 4226's recommendation */
#define TOTP_STEP 30
#define TOTP_DIGITS 6

enum totp_alg { TOTP_SHA1 = 0, TOTP_SHA256 = 1, TOTP_SHA512 = 2 };

/* Fills secret with CSPRNG bytes. */
void totp_secret_new(unsigned char secret[TOTP_SECRET_BYTES]);
/* Base32 (RFC 4648, no padding) of the secret; malloc'd, caller frees. */
char *totp_base32(const unsigned char *secret, size_t n);
/* Decodes the base32 form back to the secret's bytes. 0 or -1. */
int totp_secret_from_base32(const char *b32, unsigned char out[TOTP_SECRET_BYTES]);
/* otpauth://totp/Issuer:account?secret=...&issuer=...; malloc'd. */
char *totp_uri(const char *issuer, const char *account,
	       const unsigned char *secret, size_t n);
/* The code for time t (seconds). 0 or -1. out holds digits + NUL. */
int totp_generate(const unsigned char *secret, size_t n, int64_t t,
		  unsigned digits, enum totp_alg alg, char out[16]);
/* The HOTP code for a counter (RFC 4226). 0 or -1. */
int hotp_generate(const unsigned char *secret, size_t n, uint64_t counter,
		  unsigned digits, char out[16]);
/* Checks a 6-digit SHA-1 code against the steps around now (one either
 * side). Returns the matching step number, or -1 when none matches. */
int64_t totp_match(const unsigned char *secret, size_t n, const char *code,
		   int64_t now);
/* A QR code of text as a standalone SVG document; malloc'd, NULL on
 * failure. */
char *qr_svg(const char *text);

#endif
