/* fuzz_tmpl.c — libFuzzer harness for the Mustache templates of
 * core/tmpl.cc (kainjow/Mustache behind tmpl.h).
 *
 * The input is a template, then optionally a NUL byte and the raw bytes of
 * the value "x" (any bytes: invalid UTF-8, controls, NUL). The template is
 * rendered against a fixed data object holding lists, objects, booleans,
 * numbers and x, in every context. Whatever the input:
 *   - tmpl_check and tmpl_render agree: a template tmpl_check refuses is
 *     refused by tmpl_render with the same message, and one it accepts
 *     fails to render only for its size or its steps, never as an
 *     internal error (the size bound's tracker lost in kainjow's walk);
 *   - a result is at most max bytes, valid UTF-8, and keeps to its context
 *     (no control character in LINE, none but \n and \t in TEXT);
 *   - the value x alone comes out escaped: "{{x}}" in HTML holds none of
 *     < > " ' and no & but an entity's, and {"v":"{{x}}"} in JSON parses
 *     back to a string.
 *
 *   make build/fuzz/fuzz_tmpl
 *   build/fuzz/fuzz_tmpl tests/fuzz/corpus/tmpl   (mutates it!)
 */
#include "atrium.h"

#include <jansson.h>

#include "core/tmpl.h"

#define MAX_OUT 2000

static const char DATA[] =
	"{\"a\":\"A&<b>\",\"b\":\"line\\r\\nbreak\\u0000\\u0085\",\"n\":-12,"
	"\"r\":0.1,\"t\":true,\"f\":false,\"z\":null,\"s\":\"\",\"e\":[],"
	"\"l\":[1,\"two\",{\"a\":\"in\",\"l\":[3,4]},[5],null,true],"
	"\"o\":{\"a\":\"oa\",\"o\":{\"a\":\"ooa\",\"l\":[\"x\",\"y\"]}},"
	"\"record\":{\"number\":\"INV-1\",\"tags\":[\"vip\",\"late\"]}}";

static bool valid_utf8(const unsigned char *s)
{
	json_t *j = json_string((const char *)s); /* jansson checks UTF-8 */
	bool ok = j != NULL;
	json_decref(j);
	return ok;
}

static void check_out(const char *out, enum tmpl_ctx ctx)
{
	const unsigned char *s = (const unsigned char *)out;
	size_t len = strlen(out);
	ATR_ASSERT(len <= MAX_OUT);
	ATR_ASSERT(valid_utf8(s));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		bool c0 = c < 0x20 || c == 0x7f;
		bool c1 = c == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 &&
			  s[i + 1] <= 0x9f;
		if (ctx == TMPL_LINE)
			ATR_ASSERT(!c0 && !c1);
		if (ctx == TMPL_TEXT)
			ATR_ASSERT((!c0 || c == '\n' || c == '\t') && !c1);
	}
}

/* "{{x}}" alone: the value's escape. */
static void check_value(json_t *data)
{
	char *out = NULL, msg[160];
	ATR_ASSERT(tmpl_render("{{x}}", data, TMPL_HTML, 1 << 20, &out, msg,
			       sizeof msg) == 0);
	ATR_ASSERT(!strpbrk(out, "<>\"'"));
	for (const char *p = strchr(out, '&'); p; p = strchr(p + 1, '&'))
		ATR_ASSERT(!strncmp(p, "&amp;", 5) || !strncmp(p, "&lt;", 4) ||
			   !strncmp(p, "&gt;", 4) ||
			   !strncmp(p, "&quot;", 6) || !strncmp(p, "&#39;", 5));
	free(out);
	ATR_ASSERT(tmpl_render("{\"v\":\"{{x}}\"}", data, TMPL_JSON, 1 << 20,
			       &out, msg, sizeof msg) == 0);
	json_t *back = json_loads(out, JSON_ALLOW_NUL, NULL);
	ATR_ASSERT(back && json_is_string(json_object_get(back, "v")));
	json_decref(back);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	if (size > TMPL_SRC_MAX + 2000)
		return 0;
	const uint8_t *nul = memchr(in, 0, size);
	size_t tl = nul ? (size_t)(nul - in) : size;
	char *t = xstrndup((const char *)in, tl);
	json_t *data = json_loads(DATA, JSON_ALLOW_NUL, NULL);
	ATR_ASSERT(data);
	if (nul)
		json_object_set_new(data, "x",
				    json_stringn_nocheck((const char *)nul + 1,
							 size - tl - 1));

	char cmsg[160] = "", msg[160];
	int checked = tmpl_check(t, cmsg, sizeof cmsg);
	ATR_ASSERT(checked == 0 ? cmsg[0] == 0 : cmsg[0] != 0);
	static const enum tmpl_ctx ctxs[] = {TMPL_TEXT, TMPL_LINE, TMPL_HTML,
					     TMPL_JSON};
	for (size_t i = 0; i < ATR_ARRAY_LEN(ctxs); i++) {
		char *out = NULL;
		msg[0] = 0;
		int rc = tmpl_render(t, data, ctxs[i], MAX_OUT, &out, msg,
				     sizeof msg);
		if (rc == 0) {
			ATR_ASSERT(checked == 0 && out);
			check_out(out, ctxs[i]);
			free(out);
			continue;
		}
		ATR_ASSERT(!out && msg[0]);
		if (checked != 0)
			ATR_ASSERT(!strcmp(msg, cmsg));
		else
			ATR_ASSERT(!strncmp(msg, "the result is longer", 20) ||
				   !strncmp(msg, "the template takes more", 23));
	}
	if (nul)
		check_value(data);
	json_decref(data);
	free(t);
	return 0;
}
