/* api_token.h — API tokens: the credential of an integration.
 *
 * A token belongs to a staff member (the spec: a dedicated integration
 * user) and acts as that member, narrowed by the token's key role, through
 * the same pipeline and permission check as a session (http/pipeline.c):
 * the api_tokens module's authenticate hook (core/module.h) reads an
 * `Authorization: Bearer atr_...` header and fills r->who like a session
 * does (the sessions module declines bearer requests). What a
 * token may never do is decided by the route table (http.h,
 * ROUTE_NO_TOKEN): session routes, re-authentication routes and token
 * management refuse tokens; no CSRF token is needed (a browser never
 * sends a bearer header on its own).
 *
 * Format: "atr_" + 36 random base62 characters (214 bits) + 6 base62
 * characters of a CRC-32 of what precedes them, so secret scanners can
 * recognise a leaked token and a mistyped one is refused before any
 * database work. Only its BLAKE2b hash is stored (auth/token.h); the
 * token itself is shown once, at creation.
 *
 * A token works while: it is not revoked, not expired, its owner is
 * active (deactivating a member stops their tokens at once: the lookup
 * joins staff.active), its owner is not an administrator unless the
 * operator allows it (config api_tokens_for_admins), and the client's
 * address is in its allowed networks (when it has any).
 *
 * Usage and limits are kept in this process's memory and written in
 * batches: last used time and address and the day's request count are
 * written at most once a minute per token per node (and when the server
 * stops), never on every request. The rate limit is a fixed window of a
 * calendar minute per token, shared by the nodes of a cluster through
 * api_token_window in batches (api_token.c says when); beyond it the
 * answer is 429 with Retry-After and the IETF draft's RateLimit-Policy
 * and RateLimit headers.
 */
#ifndef ATR_API_TOKEN_H
#define ATR_API_TOKEN_H

#include "atrium.h"

#include <jansson.h>

struct db_conn;
struct req;

#define API_TOKEN_PREFIX "atr_"
#define API_TOKEN_LEN 46       /* prefix 4 + random 36 + checksum 6 */
#define API_TOKEN_SHOWN 12     /* characters shown in lists: atr_XXXXXXXX */
#define API_TOKEN_RATE_DEFAULT 600 /* requests a minute */
#define API_TOKEN_RATE_MAX 1000000

/* A new token (out: API_TOKEN_LEN + 1 bytes). The caller wipes it. */
void api_token_new(char out[API_TOKEN_LEN + 1]);
/* True when s has the token's shape and a correct checksum. */
bool api_token_well_formed(const char *s);

/* The token of an `Authorization` header value ("Bearer atr_..."), or
 * NULL when the header is not a bearer token. */
const char *api_token_from_header(const char *authz);

/* The api_tokens module's authenticate hook: authenticates the request
 * by its bearer token and fills r->who (r->who.bearer set); applies the
 * rate limit (429, with its headers). 1 signed in, 0 not a token or not a
 * valid one (401), -1 with r->err (403 address or administrator refused,
 * 429, database error). */
int api_token_authenticate(struct req *r);

/* Writes every pending usage count of this process (at stop). */
void api_token_flush(struct db_conn *c);

/* A deleted member's tokens (staff delete forces the choice): live
 * tokens counted by api_token_live; TOKENS_MOVE gives them to member to,
 * TOKENS_REVOKE removes them; the member's revoked tokens are removed
 * either way (their history stays in the activity log). Inside the
 * caller's transaction. Returns how many moved or removed, -1 on a
 * database error. */
enum token_fate { TOKENS_REVOKE = 1, TOKENS_MOVE };
int64_t api_token_live(struct db_conn *c, int64_t staff_id);
int64_t api_token_owner_gone(struct db_conn *c, int64_t staff_id, int64_t to,
			     enum token_fate fate);

/* True when s is an IPv4 or IPv6 address or CIDR block. */
bool api_token_cidr_valid(const char *s);
/* True when address ip lies in the CIDR block (or equals the address). */
bool api_token_ip_in(const char *ip, const char *cidr);

/* Narrows grants bits (one byte per permission module) to the key role
 * matrix {module: [caps]}: view in the key role also admits view_own. */
void api_token_narrow(uint8_t *bits, const json_t *key_role);

#endif
