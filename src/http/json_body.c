/* json_body.c — strict JSON request bodies. */
#include "atrium.h"

#include <strings.h>

#include "http/json_body.h"

static int depth(const json_t *v, int d)
{
	if (d > JSON_BODY_MAX_DEPTH)
		return d;
	int max = d;
	if (json_is_object(v)) {
		const char *k;
		json_t *c;
		json_object_foreach((json_t *)v, k, c)
		{
			int x = depth(c, d + 1);
			if (x > max)
				max = x;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *c;
		json_array_foreach(v, i, c)
		{
			int x = depth(c, d + 1);
			if (x > max)
				max = x;
		}
	}
	return max;
}

int json_body_parse(const char *data, size_t len, json_t **out,
		    struct atr_err *err)
{
	*out = NULL;
	if (len == 0)
		return atr_fail(err, ATR_E_BAD_REQUEST,
				"the request body is empty; a JSON object is "
				"expected");
	json_error_t je;
	json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!v)
		return atr_fail(err, ATR_E_BAD_REQUEST,
				"malformed JSON at line %d column %d: %s",
				je.line, je.column, je.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return atr_fail(err, ATR_E_BAD_REQUEST,
				"the request body must be a JSON object");
	}
	if (depth(v, 0) > JSON_BODY_MAX_DEPTH) {
		json_decref(v);
		return atr_fail(err, ATR_E_BAD_REQUEST,
				"JSON nested deeper than %d levels",
				JSON_BODY_MAX_DEPTH);
	}
	*out = v;
	return 0;
}

bool json_content_type(const char *ctype)
{
	if (!ctype)
		return false;
	size_t n = strlen("application/json");
	if (strncasecmp(ctype, "application/json", n) != 0)
		return false;
	return ctype[n] == 0 || ctype[n] == ';' || ctype[n] == ' ';
}
