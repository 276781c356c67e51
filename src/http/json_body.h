/* json_body.h — request body parsing (fuzzed by tests/fuzz/fuzz_json_body.c).
 *
 * json_body_parse accepts exactly one JSON object: no duplicate keys, no
 * NUL in strings, valid UTF-8, nesting bounded. The caller owns *out
 * (json_decref). On failure err holds a 400 naming the line and column.
 */
#ifndef ATR_JSON_BODY_H
#define ATR_JSON_BODY_H

#include "atrium.h"

#include <jansson.h>

#define JSON_BODY_MAX_DEPTH 16

int json_body_parse(const char *data, size_t len, json_t **out,
		    struct atr_err *err);
/* True for "application/json" with optional parameters (charset=utf-8). */
bool json_content_type(const char *ctype);

#endif
