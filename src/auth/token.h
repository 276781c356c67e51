/* token.h — opaque random tokens and their stored hashes.
 *
 * Session ids, set-password and setup tokens are 256-bit CSPRNG values
 * shown once as base64url; only their BLAKE2b-256 hash is stored, so a
 * database leak yields nothing usable.
 */
#ifndef ATR_TOKEN_H
#define ATR_TOKEN_H

#include "atrium.h"

#define TOKEN_LEN 43      /* base64url of 32 bytes, no padding */
#define TOKEN_HASH_LEN 64 /* hex of 32 bytes */

void token_new(char out[TOKEN_LEN + 1]);
void token_hash(const char *token, char out[TOKEN_HASH_LEN + 1]);
/* The CSRF token bound to a session token (keyed BLAKE2b), hex. */
void token_csrf(const char *session_token, char out[TOKEN_HASH_LEN + 1]);
/* True when s has the shape of a token (length, alphabet). */
bool token_well_formed(const char *s);

#endif
