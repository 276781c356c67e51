/* fuzz_api_token.c — libFuzzer harness for the parsers of API tokens and
 * webhooks that take outside input: the bearer header and the token's
 * shape and checksum (auth/api_token.c), the allowed-network blocks and
 * address matching, and the webhook URL rules (admin/webhook_send.c, with
 * libcurl's URL parser under them).
 *
 * The input is split at the first NUL into two strings (a header or
 * address, and a CIDR block or URL), each copied into a buffer of exactly
 * its length plus the NUL. Invariants: a well-formed token has the exact
 * length and prefix; an address lies in its own /32 or /128 block and in
 * 0.0.0.0/0 or ::/0 of its family; a URL accepted without private
 * destinations names https.
 *
 *   make build/fuzz/fuzz_api_token
 *   build/fuzz/fuzz_api_token tests/fuzz/corpus/api_token   (mutates it!)
 */
#include "atrium.h"

#include <strings.h>

#include "admin/webhook_int.h"
#include "auth/api_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	size_t n2 = nul ? size - n1 - 1 : 0;
	char *a = xmalloc(n1 + 1), *b = xmalloc(n2 + 1);
	memcpy(a, data, n1);
	a[n1] = 0;
	memcpy(b, nul ? nul + 1 : data, n2);
	b[n2] = 0;

	const char *tok = api_token_from_header(a);
	if (tok && api_token_well_formed(tok)) {
		ATR_ASSERT(strlen(tok) == API_TOKEN_LEN);
		ATR_ASSERT(strncmp(tok, API_TOKEN_PREFIX, 4) == 0);
	}
	if (api_token_cidr_valid(a) && !strchr(a, '/')) {
		bool v6 = strchr(a, ':') != NULL;
		char self[80];
		snprintf(self, sizeof self, "%s/%d", a, v6 ? 128 : 32);
		ATR_ASSERT(api_token_ip_in(a, self));
		ATR_ASSERT(api_token_ip_in(a, v6 ? "::/0" : "0.0.0.0/0"));
	}
	(void)api_token_ip_in(a, b);
	char why[200];
	if (webhook_url_check(b, false, why, sizeof why) == 0)
		ATR_ASSERT(strcasestr(b, "https") != NULL);
	(void)webhook_url_check(b, true, why, sizeof why);
	free(a);
	free(b);
	return 0;
}
