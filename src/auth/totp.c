/* totp.c — TOTP over liboath, QR codes over libqrencode. */
#include "atrium.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <qrencode.h>
#include <sodium.h>

#include "auth/totp.h"
#include "core/buf.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	if (oath_init() != OATH_OK)
		die("liboath failed to initialise");
}

void totp_secret_new(unsigned char secret[TOTP_SECRET_BYTES])
{
	randombytes_buf(secret, TOTP_SECRET_BYTES);
}

char *totp_base32(const unsigned char *secret, size_t n)
{
	pthread_once(&once, init);
	char *out = NULL;
	size_t len = 0;
	if (oath_base32_encode((const char *)secret, n, &out, &len) != OATH_OK)
		return NULL;
	/* Authenticator apps want it without '=' padding. */
	while (len && out[len - 1] == '=')
		out[--len] = 0;
	return out;
}

int totp_secret_from_base32(const char *b32, unsigned char out[TOTP_SECRET_BYTES])
{
	pthread_once(&once, init);
	char *raw = NULL;
	size_t len = 0;
	if (oath_base32_decode(b32, strlen(b32), &raw, &len) != OATH_OK)
		return -1;
	int rc = len == TOTP_SECRET_BYTES ? 0 : -1;
	if (!rc)
		memcpy(out, raw, TOTP_SECRET_BYTES);
	sodium_memzero(raw, len);
	free(raw);
	return rc;
}

static void uri_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~@", *p)) {
			buf_addc(b, (char)*p);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[*p >> 4]);
			buf_addc(b, hex[*p & 15]);
		}
	}
}

char *totp_uri(const char *issuer, const char *account,
	       const unsigned char *secret, size_t n)
{
	char *b32 = totp_base32(secret, n);
	if (!b32)
		return NULL;
	struct buf b = BUF_INIT;
	buf_adds(&b, "otpauth://totp/");
	uri_escape(&b, issuer);
	buf_addc(&b, ':');
	uri_escape(&b, account);
	buf_printf(&b, "?secret=%s&issuer=", b32);
	uri_escape(&b, issuer);
	buf_printf(&b, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS,
		   TOTP_STEP);
	sodium_memzero(b32, strlen(b32));
	free(b32);
	return buf_detach(&b);
}

int totp_generate(const unsigned char *secret, size_t n, int64_t t,
		  unsigned digits, enum totp_alg alg, char out[16])
{
	pthread_once(&once, init);
	int flags = alg == TOTP_SHA256	 ? OATH_TOTP_HMAC_SHA256
		    : alg == TOTP_SHA512 ? OATH_TOTP_HMAC_SHA512
					 : 0;
	return oath_totp_generate2((const char *)secret, n, (time_t)t,
				   TOTP_STEP, 0, digits, flags,
				   out) == OATH_OK
		       ? 0
		       : -1;
}

int hotp_generate(const unsigned char *secret, size_t n, uint64_t counter,
		  unsigned digits, char out[16])
{
	pthread_once(&once, init);
	return oath_hotp_generate((const char *)secret, n, counter, digits,
				  false, OATH_HOTP_DYNAMIC_TRUNCATION,
				  out) == OATH_OK
		       ? 0
		       : -1;
}

int64_t totp_match(const unsigned char *secret, size_t n, const char *code,
		   int64_t now)
{
	pthread_once(&once, init);
	if (strlen(code) != TOTP_DIGITS)
		return -1;
	for (const char *p = code; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	int pos = 0;
	int rc = oath_totp_validate2((const char *)secret, n, (time_t)now,
				     TOTP_STEP, 0, 1, &pos, code);
	if (rc < 0)
		return -1;
	return now / TOTP_STEP + pos;
}

char *qr_svg(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return NULL;
	const int quiet = 4, w = q->width, size = w + 2 * quiet;
	struct buf b = BUF_INIT;
	buf_printf(&b,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
		   "%d %d\" shape-rendering=\"crispEdges\" role=\"img\" "
		   "aria-label=\"QR code\"><rect width=\"%d\" height=\"%d\" "
		   "fill=\"#fff\"/><path fill=\"#000\" d=\"",
		   size, size, size, size);
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			if (q->data[y * w + x] & 1)
				buf_printf(&b, "M%d %dh1v1h-1z", x + quiet,
					   y + quiet);
	buf_adds(&b, "\"/></svg>");
	QRcode_free(q);
	return buf_detach(&b);
}
