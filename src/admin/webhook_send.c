/* webhook_send.c — one delivery attempt: Standard Webhooks signing, the
 * destination check against SSRF, and the POST through libcurl (see
 * webhook_int.h). */
#include "atrium.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sodium.h>
#include <strings.h>
#include <sys/socket.h>

#include "admin/webhook_int.h"

void webhook_secret_new(char out[WH_SECRET_LEN + 1])
{
	unsigned char key[24];
	randombytes_buf(key, sizeof key);
	size_t p = strlen(WH_SECRET_PREFIX);
	memcpy(out, WH_SECRET_PREFIX, p);
	sodium_bin2base64(out + p, WH_SECRET_LEN + 1 - p, key, sizeof key,
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof key);
}

int webhook_sign(const char *const secrets[2], const char *msg_id,
		 int64_t ts, const char *body, size_t body_len, char *out,
		 size_t out_len)
{
	size_t p = strlen(WH_SECRET_PREFIX);
	out[0] = 0;
	for (int i = 0; i < 2; i++) {
		const char *s = secrets[i];
		if (!s)
			continue;
		if (strncmp(s, WH_SECRET_PREFIX, p) != 0)
			return -1;
		unsigned char key[64];
		size_t klen = 0;
		if (sodium_base642bin(key, sizeof key, s + p, strlen(s + p),
				      NULL, &klen, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    klen == 0)
			return -1;
		char tsbuf[24];
		snprintf(tsbuf, sizeof tsbuf, "%lld", (long long)ts);
		crypto_auth_hmacsha256_state st;
		crypto_auth_hmacsha256_init(&st, key, klen);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg_id,
					      strlen(msg_id));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)".",
					      1);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)tsbuf,
					      strlen(tsbuf));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)".",
					      1);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)body,
					      body_len);
		unsigned char mac[crypto_auth_hmacsha256_BYTES];
		crypto_auth_hmacsha256_final(&st, mac);
		sodium_memzero(key, sizeof key);
		char b64[64];
		sodium_bin2base64(b64, sizeof b64, mac, sizeof mac,
				  sodium_base64_VARIANT_ORIGINAL);
		size_t used = strlen(out);
		int n = snprintf(out + used, out_len - used, "%sv1,%s",
				 used ? " " : "", b64);
		if (n < 0 || (size_t)n >= out_len - used)
			return -1;
	}
	return out[0] ? 0 : -1;
}

/* ---- destinations ---------------------------------------------------------- */

static bool v4_private(const unsigned char a[4])
{
	return a[0] == 0 || a[0] == 10 || a[0] == 127 ||
	       (a[0] == 100 && (a[1] & 0xC0) == 64) ||
	       (a[0] == 169 && a[1] == 254) ||
	       (a[0] == 172 && (a[1] & 0xF0) == 16) ||
	       (a[0] == 192 && a[1] == 0 && a[2] == 0) ||
	       (a[0] == 192 && a[1] == 168) ||
	       (a[0] == 198 && (a[1] & 0xFE) == 18) || a[0] >= 224;
}

/* True for addresses an outside receiver cannot have: loopback, private,
 * shared, link-local, multicast, reserved, unspecified (and IPv4 ones
 * wrapped in IPv6). */
static bool addr_private(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		return v4_private((const unsigned char *)&in->sin_addr);
	}
	if (sa->sa_family != AF_INET6)
		return true;
	const struct sockaddr_in6 *in6 = (const void *)sa;
	const unsigned char *a = in6->sin6_addr.s6_addr;
	static const unsigned char zero[16];
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
						 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
	if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12))
		return v4_private(a + 12);
	if (!memcmp(a, zero, 12))
		return true; /* ::, ::1 and the old ::a.b.c.d */
	return (a[0] & 0xFE) == 0xFC ||		     /* fc00::/7 ULA */
	       (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) || /* fe80::/10 */
	       (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0) || /* fec0::/10 */
	       a[0] == 0xFF ||				     /* multicast */
	       (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d &&
		a[3] == 0xb8); /* documentation */
}

/* Splits url into scheme, host (no brackets) and port with libcurl's own
 * parser, so the check and the request read the URL alike. 0 or -1. */
static int url_parts(const char *url, char *scheme, size_t sl, char *host,
		     size_t hl, long *port, bool *userinfo)
{
	CURLU *u = curl_url();
	int rc = -1;
	char *s = NULL, *h = NULL, *p = NULL, *user = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) !=
		    CURLUE_OK)
		goto out;
	*userinfo = curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK;
	atr_strlcpy(scheme, s, sl);
	const char *hp = h;
	size_t n = strlen(hp);
	if (n >= 2 && hp[0] == '[' && hp[n - 1] == ']') {
		hp++;
		n -= 2;
	}
	if (n >= hl)
		goto out;
	memcpy(host, hp, n);
	host[n] = 0;
	*port = strtol(p, NULL, 10);
	rc = 0;
out:
	curl_free(s);
	curl_free(h);
	curl_free(p);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

int webhook_url_check(const char *url, bool allow_private, char *why,
		      size_t why_len)
{
	char scheme[16], host[256];
	long port;
	bool userinfo;
	if (url_parts(url, scheme, sizeof scheme, host, sizeof host, &port,
		      &userinfo) < 0 ||
	    !*host) {
		snprintf(why, why_len, "must be an absolute http(s) URL");
		return -1;
	}
	if (strcasecmp(scheme, "https") &&
	    !(allow_private && !strcasecmp(scheme, "http"))) {
		snprintf(why, why_len,
			 "must start with https:// (plain http only to "
			 "addresses the operator allows)");
		return -1;
	}
	if (userinfo) {
		snprintf(why, why_len,
			 "must not carry a user name or password");
		return -1;
	}
	return 0;
}

/* Resolves host and picks the address to connect to: the first one when
 * every address is allowed. "ip" gets its text. 0, or -1 with why. */
static int pick_address(const char *host, long port, bool allow_private,
			bool plain_http, char *ip, size_t ip_len, char *why,
			size_t why_len)
{
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	char ps[16];
	snprintf(ps, sizeof ps, "%ld", port);
	int g = getaddrinfo(host, ps, &hints, &res);
	if (g != 0 || !res) {
		snprintf(why, why_len, "cannot resolve the host name");
		return -1;
	}
	int rc = 0;
	ip[0] = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		bool priv = addr_private(ai->ai_addr);
		/* Every address must pass: a name that also resolves to a
		 * private address is refused (DNS rebinding). */
		if ((priv && !allow_private) || (plain_http && !priv)) {
			snprintf(why, why_len,
				 priv ? "the destination resolves to a "
					"private, loopback or link-local "
					"address (refused; see "
					"webhook_allow_private)"
				      : "plain http is allowed only to the "
					"private addresses the operator "
					"allows");
			rc = -1;
			break;
		}
		if (!ip[0]) {
			const void *a =
				ai->ai_family == AF_INET
					? (const void *)&((struct sockaddr_in *)
								  ai->ai_addr)
						  ->sin_addr
					: (const void *)&((struct sockaddr_in6 *)
								  ai->ai_addr)
						  ->sin6_addr;
			inet_ntop(ai->ai_family, a, ip, (socklen_t)ip_len);
		}
	}
	freeaddrinfo(res);
	if (rc == 0 && !ip[0]) {
		snprintf(why, why_len, "cannot resolve the host name");
		rc = -1;
	}
	return rc;
}

struct sink {
	char *p;
	size_t len, seen;
};

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t got = size * n;
	s->seen += got;
	if (s->seen > WH_RESPONSE_MAX)
		return 0; /* enough: stop reading (bounded) */
	size_t keep = got;
	if (s->len + keep > WH_BODY_LOG_MAX)
		keep = WH_BODY_LOG_MAX - s->len;
	if (keep) {
		s->p = xrealloc(s->p, s->len + keep + 1);
		memcpy(s->p + s->len, data, keep);
		s->len += keep;
		s->p[s->len] = 0;
	}
	return got;
}

/* A fixed category for a libcurl failure: never the remote's words. */
static const char *category(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timed out";
	case CURLE_COULDNT_CONNECT:
		return "connection refused or unreachable";
	case CURLE_COULDNT_RESOLVE_HOST:
		return "cannot resolve the host name";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
		return "TLS failed";
	case CURLE_GOT_NOTHING:
		return "the receiver closed the connection without answering";
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return "the connection broke";
	case CURLE_WRITE_ERROR:
		return "the response was larger than 64 KiB";
	case CURLE_UNSUPPORTED_PROTOCOL:
		return "unsupported protocol";
	default:
		return "the request failed";
	}
}

int webhook_post(const char *url, bool allow_private, const char *msg_id,
		 int64_t ts, const char *signature, const char *body,
		 size_t body_len, struct wh_attempt *res)
{
	memset(res, 0, sizeof *res);
	int64_t t0 = atr_mono_ms();
	char scheme[16], host[256], ip[INET6_ADDRSTRLEN];
	long port;
	bool userinfo;
	if (webhook_url_check(url, allow_private, res->error,
			      sizeof res->error) < 0 ||
	    url_parts(url, scheme, sizeof scheme, host, sizeof host, &port,
		      &userinfo) < 0) {
		res->refused = true;
		return -1;
	}
	bool plain = strcasecmp(scheme, "http") == 0;
	if (pick_address(host, port, allow_private, plain, ip, sizeof ip,
			 res->error, sizeof res->error) < 0) {
		res->refused = true;
		res->ms = atr_mono_ms() - t0;
		return -1;
	}
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(res->error, sizeof res->error, "out of memory");
		return -1;
	}
	/* Pin the connection to the address just checked. */
	char pin[sizeof host + 64];
	bool v6 = strchr(ip, ':') != NULL;
	snprintf(pin, sizeof pin, "%s:%ld:%s%s%s", host, port, v6 ? "[" : "",
		 ip, v6 ? "]" : "");
	struct curl_slist *resolve = curl_slist_append(NULL, pin);
	char hid[160], hts[64], hsig[256];
	snprintf(hid, sizeof hid, "webhook-id: %s", msg_id);
	snprintf(hts, sizeof hts, "webhook-timestamp: %lld", (long long)ts);
	snprintf(hsig, sizeof hsig, "webhook-signature: %s", signature);
	struct curl_slist *hdrs = NULL;
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, hid);
	hdrs = curl_slist_append(hdrs, hts);
	hdrs = curl_slist_append(hdrs, hsig);
	hdrs = curl_slist_append(hdrs, "User-Agent: Atrium-Webhooks/" ATR_VERSION);
	hdrs = curl_slist_append(hdrs, "Expect:");
	struct sink sk = {0};
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
	curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)WH_CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)WH_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sk);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(resolve);
	res->ms = atr_mono_ms() - t0;
	res->response = sk.p;
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && res->status)) {
		snprintf(res->error, sizeof res->error, "%s", category(rc));
		return -1;
	}
	if (res->status < 200 || res->status > 299) {
		snprintf(res->error, sizeof res->error,
			 "the receiver answered HTTP %ld", res->status);
		return -1;
	}
	return 0;
}
