/* fuzz_template.c — libFuzzer harness for the email template renderer
 * (email_substitute, src/email/template.c).
 *
 * The input is a template, a NUL byte, then the JSON object of its
 * variables (no NUL: no variables). The renderer must either give text or
 * refuse with a message, and never expand a value again: the output holds
 * no more "{{" than the template and the values together.
 *
 *   make build/fuzz/fuzz_template
 */
#include "atrium.h"

#include <jansson.h>

#include "email/email_int.h"

static size_t count_open(const char *s)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, "{{")); p += 2)
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tl = nul ? (size_t)(nul - data) : size;
	char *t = xstrndup((const char *)data, tl);
	json_t *vars = nul ? json_loadb((const char *)nul + 1,
					size - tl - 1, JSON_DECODE_ANY, NULL)
			   : NULL;
	struct atr_err err;
	memset(&err, 0, sizeof err);
	char *out = email_substitute(t, vars, "fuzz", &err);
	if (out) {
		size_t allowed = count_open(t);
		const char *k;
		json_t *v;
		json_object_foreach(vars, k, v)
			if (json_is_string(v))
				allowed += count_open(json_string_value(v)) *
					   (tl + 1);
		ATR_ASSERT(count_open(out) <= allowed);
		email_body_free(out);
	} else {
		ATR_ASSERT(err.kind == ATR_E_INTERNAL && err.msg[0]);
	}
	json_decref(vars);
	free(t);
	return 0;
}
