/* test_tmpl.c — core/tmpl.cc: merge fields, sections, each escape context,
 * what tmpl_check refuses and the bounds of a render. */
#include "atrium.h"

#include <pthread.h>

#include "core/buf.h"
#include "core/tmpl.h"
#include "unit.h"

/* Renders t with the JSON text d (NULL: no data) in ctx, at most max bytes.
 * Returns the malloc'd result, or NULL with the message in msg. */
static char *render_max(const char *t, const char *d, enum tmpl_ctx ctx,
			size_t max, char *msg, size_t n)
{
	json_error_t je;
	json_t *data = d ? json_loads(d, JSON_ALLOW_NUL, &je) : NULL;
	if (d && !data) {
		FAILF("bad test data %s: %s", d, je.text);
		return NULL;
	}
	char *out = (char *)0x1; /* must be reset */
	int rc = tmpl_render(t, data, ctx, max, &out, msg, n);
	json_decref(data);
	if (rc == 0 && !out)
		FAILF("0 without a result");
	if (rc != 0 && out)
		FAILF("-1 with a result");
	if (rc != 0 && !msg[0])
		FAILF("-1 without a message");
	return rc == 0 ? out : NULL;
}

static char msg[256];

static char *render(const char *t, const char *d, enum tmpl_ctx ctx)
{
	return render_max(t, d, ctx, 4096, msg, sizeof msg);
}

/* CHECK_STR of a render in ctx, freeing it. */
#define CHECK_RENDER(t, d, ctx, want)                                          \
	do {                                                                   \
		char *got_ = render((t), (d), (ctx));                          \
		if (!got_)                                                     \
			FAILF("render failed: %s", msg);                       \
		CHECK_STR(got_, (want));                                       \
		free(got_);                                                    \
	} while (0)

/* tmpl_check gives -1 and a message containing want. */
#define CHECK_REFUSED(t, want)                                                 \
	do {                                                                   \
		char m_[256] = "";                                             \
		CHECK_EQ_INT(tmpl_check((t), m_, sizeof m_), -1);              \
		CHECK_STR(m_, (want));                                         \
		char *o_ = render((t), "{}", TMPL_TEXT);                       \
		CHECK(o_ == NULL);                                             \
		free(o_);                                                      \
		CHECK_STR(msg, (want));                                        \
	} while (0)

TEST(tmpl_merge_fields)
{
	const char *d = "{\"record\":{\"number\":\"INV-0042\",\"client\":"
			"{\"name\":\"Acme\",\"address\":{\"city\":\"Lyon\"}}},"
			"\"days_overdue\":12,\"company_name\":\"Atrium Ltd\"}";
	CHECK_RENDER("Invoice {{record.number}} is {{days_overdue}} days "
		     "overdue",
		     d, TMPL_LINE, "Invoice INV-0042 is 12 days overdue");
	CHECK_RENDER("{{record.client.name}} in {{record.client.address.city}}"
		     " from {{company_name}}",
		     d, TMPL_TEXT, "Acme in Lyon from Atrium Ltd");
	/* Spaces inside a tag; a missing name or path is empty. */
	CHECK_RENDER("[{{ record.number }}][{{nope}}][{{record.nope.x}}]"
		     "[{{record.number.x}}]",
		     d, TMPL_TEXT, "[INV-0042][][][]");
	CHECK_RENDER("a{{! a comment {{x}} is not a tag }}b", d, TMPL_TEXT,
		     "a is not a tag }}b");
	CHECK_RENDER("a{{! note }}b", d, TMPL_TEXT, "ab");
	CHECK_RENDER("plain text", NULL, TMPL_TEXT, "plain text");
	CHECK_RENDER("", "{}", TMPL_TEXT, "");
	/* A value is never a template. */
	CHECK_RENDER("{{x}}", "{\"x\":\"{{record.number}} {{#a}}\"}",
		     TMPL_TEXT, "{{record.number}} {{#a}}");
}

TEST(tmpl_sections_lists)
{
	CHECK_RENDER("{{#record.tags}}{{.}} {{/record.tags}}",
		     "{\"record\":{\"tags\":[\"vip\",\"late\"]}}", TMPL_TEXT,
		     "vip late ");
	/* Objects in a list; names not in the item resolve outwards. */
	CHECK_RENDER("{{#steps}}{{name}}={{status}} ({{company_name}});"
		     "{{/steps}}",
		     "{\"company_name\":\"Co\",\"steps\":[{\"name\":\"mail\","
		     "\"status\":\"sent\"},{\"name\":\"task\",\"status\":"
		     "\"failed\"}]}",
		     TMPL_TEXT, "mail=sent (Co);task=failed (Co);");
	/* Nested lists. */
	CHECK_RENDER("{{#rows}}[{{#cells}}{{.}}{{/cells}}]{{/rows}}",
		     "{\"rows\":[{\"cells\":[1,2]},{\"cells\":[]},"
		     "{\"cells\":[3]}]}",
		     TMPL_TEXT, "[12][][3]");
	/* An empty list, null, absent: the section is skipped. */
	CHECK_RENDER("<{{#l}}x{{/l}}>", "{\"l\":[]}", TMPL_TEXT, "<>");
	CHECK_RENDER("<{{#l}}x{{/l}}>", "{\"l\":null}", TMPL_TEXT, "<>");
	CHECK_RENDER("<{{#l}}x{{/l}}>", "{}", TMPL_TEXT, "<>");
	/* A section tag alone on its line leaves no blank line. */
	CHECK_RENDER("Items:\n{{#l}}\n- {{.}}\n{{/l}}\nEnd",
		     "{\"l\":[\"a\",\"b\"]}", TMPL_TEXT,
		     "Items:\n- a\n- b\nEnd");
	CHECK_RENDER("{{# l }}{{.}}{{/ l }}", "{\"l\":[\"x\"]}", TMPL_TEXT,
		     "x");
}

TEST(tmpl_sections_values)
{
	/* An object is a context. */
	CHECK_RENDER("{{#record.client}}{{name}} <{{email}}>"
		     "{{/record.client}}",
		     "{\"record\":{\"client\":{\"name\":\"Ann\",\"email\":"
		     "\"ann@example.test\"}}}",
		     TMPL_TEXT, "Ann <ann@example.test>");
	/* true renders once, false not; a boolean prints nothing. */
	const char *b = "{\"paid\":true,\"late\":false}";
	CHECK_RENDER("{{#paid}}paid{{/paid}}{{#late}}late{{/late}}", b,
		     TMPL_TEXT, "paid");
	CHECK_RENDER("[{{paid}}][{{late}}]", b, TMPL_TEXT, "[][]");
	/* A string is true, the empty string false; numbers, even 0, true. */
	CHECK_RENDER("{{#s}}<{{s}}>{{/s}}{{#e}}E{{/e}}{{#z}}z={{z}}{{/z}}",
		     "{\"s\":\"v\",\"e\":\"\",\"z\":0}", TMPL_TEXT,
		     "<v>z=0");
	/* An object or a list as a merge field prints nothing. */
	CHECK_RENDER("[{{o}}][{{l}}]", "{\"o\":{\"a\":1},\"l\":[1]}",
		     TMPL_TEXT, "[][]");
}

TEST(tmpl_inverted_sections)
{
	const char *t = "{{^record.tags}}no tags{{/record.tags}}";
	CHECK_RENDER(t, "{\"record\":{\"tags\":[]}}", TMPL_TEXT, "no tags");
	CHECK_RENDER(t, "{\"record\":{\"tags\":null}}", TMPL_TEXT, "no tags");
	CHECK_RENDER(t, "{\"record\":{}}", TMPL_TEXT, "no tags");
	CHECK_RENDER(t, "{\"record\":{\"tags\":false}}", TMPL_TEXT,
		     "no tags");
	CHECK_RENDER(t, "{\"record\":{\"tags\":\"\"}}", TMPL_TEXT, "no tags");
	CHECK_RENDER(t, "{\"record\":{\"tags\":[\"x\"]}}", TMPL_TEXT, "");
	CHECK_RENDER(t, "{\"record\":{\"tags\":0}}", TMPL_TEXT, "");
	CHECK_RENDER("{{#paid}}paid{{/paid}}{{^paid}}unpaid{{/paid}}",
		     "{\"paid\":false}", TMPL_TEXT, "unpaid");
}

TEST(tmpl_numbers_null_absent)
{
	CHECK_RENDER("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}}",
		     "{\"a\":42,\"b\":-7,\"c\":0,\"d\":9007199254740993,"
		     "\"e\":0.1,\"f\":2.5,\"g\":3.0}",
		     TMPL_TEXT, "42 -7 0 9007199254740993 0.1 2.5 3.0");
	CHECK_RENDER("{{a}} {{b}} {{c}}",
		     "{\"a\":1e300,\"b\":-0.000125,\"c\":0.30000000000000004}",
		     TMPL_TEXT, "1e300 -0.000125 0.30000000000000004");
	CHECK_RENDER("[{{n}}][{{absent}}][{{o.absent}}]", "{\"n\":null,"
		     "\"o\":{}}", TMPL_TEXT, "[][][]");
}

TEST(tmpl_escape_html)
{
	CHECK_RENDER("<p title=\"{{x}}\">{{x}}</p>",
		     "{\"x\":\"<b>&\\\"'\"}", TMPL_HTML,
		     "<p title=\"&lt;b&gt;&amp;&quot;&#39;\">"
		     "&lt;b&gt;&amp;&quot;&#39;</p>");
	/* Control characters HTML cannot hold go; \t \n \r stay. */
	CHECK_RENDER("{{x}}", "{\"x\":\"a\\u0000b\\u0001c\\td\\ne\\rf"
		     "\\u007fg\\u0085h\"}",
		     TMPL_HTML, "abc\td\ne\rfgh");
	/* Numbers go through the escape as well, and need none. */
	CHECK_RENDER("{{n}}", "{\"n\":-1.5}", TMPL_HTML, "-1.5");
}

TEST(tmpl_escape_json)
{
	const char *vals[] = {
		"say \"hi\"\\ now\nnext\ttab\r\x01\x1f end",
		"</script> \xe2\x80\xa8 \xe2\x80\xa9 caf\xc3\xa9",
		"",
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(vals); i++) {
		json_t *data = json_pack("{s:s}", "x", vals[i]);
		char *out = NULL;
		if (!CHECK_EQ_INT(tmpl_render("{\"v\":\"{{x}}\",\"w\":[\"{{x}}"
					      "\"]}",
					      data, TMPL_JSON, 4096, &out, msg,
					      sizeof msg),
				  0)) {
			json_decref(data);
			continue;
		}
		json_error_t je;
		json_t *back = json_loads(out, 0, &je);
		if (CHECK(back != NULL)) {
			CHECK_STR(json_string_value(json_object_get(back, "v")),
				  vals[i]);
			CHECK_STR(json_string_value(json_array_get(
					  json_object_get(back, "w"), 0)),
				  vals[i]);
		} else {
			FAILF("%s: %s", out, je.text);
		}
		CHECK(strchr(out, '\n') == NULL);
		json_decref(back);
		json_decref(data);
		free(out);
	}
	/* Exactly as JSON escapes, including a NUL inside a value. */
	json_t *data = json_object();
	json_object_set_new(data, "x", json_stringn("a\0\"b\n", 5));
	char *out = NULL;
	CHECK_EQ_INT(tmpl_render("{{x}}", data, TMPL_JSON, 100, &out, msg,
				 sizeof msg),
		     0);
	CHECK_STR(out, "a\\u0000\\\"b\\n");
	free(out);
	json_decref(data);
}

TEST(tmpl_escape_line)
{
	/* A subject cannot be split: CR LF in a value become spaces. */
	CHECK_RENDER("Re: {{x}}",
		     "{\"x\":\"Hello\\r\\nBcc: evil@example.test\"}", TMPL_LINE,
		     "Re: Hello  Bcc: evil@example.test");
	CHECK_RENDER("{{x}}", "{\"x\":\"a\\tb\\u0000c\\u007fd\\u0085e"
		     "\\u2028f\"}",
		     TMPL_LINE, "a b c d e f");
	/* The template's own line breaks too. */
	CHECK_RENDER("Invoice\r\n{{n}}\nlate", "{\"n\":\"7\"}", TMPL_LINE,
		     "Invoice  7 late");
	/* HTML-looking values are left alone outside HTML. */
	CHECK_RENDER("{{x}}", "{\"x\":\"<b>&\\\"'\"}", TMPL_LINE,
		     "<b>&\"'");
}

TEST(tmpl_escape_text)
{
	/* \n and \t stay; CR, ESC, NUL, DEL and C1 go. */
	CHECK_RENDER("Dear {{x}},\n", "{\"x\":\"An\\r\\nna\\t\\u001b[31m"
		     "\\u0000\\u007f\\u0085!\"}",
		     TMPL_TEXT, "Dear An\nna\t[31m!,\n");
	/* The template's CR LF become LF. */
	CHECK_RENDER("a\r\nb\x01", "{}", TMPL_TEXT, "a\nb");
	CHECK_RENDER("{{x}}", "{\"x\":\"<b>&\\\"'\"}", TMPL_TEXT, "<b>&\"'");
}

TEST(tmpl_invalid_utf8_values)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{"a\xc3(b", 4, "a\xef\xbf\xbd(b"},
		{"\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong */
		{"\xed\xa0\x80", 3, /* a surrogate */
		 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
		{"x\xe2\x82", 3, "x\xef\xbf\xbd"},     /* cut short */
		{"\xf4\x90\x80\x80", 4,                /* past U+10FFFF */
		 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
		{"\xff", 1, "\xef\xbf\xbd"},
		{"caf\xc3\xa9 \xf0\x9f\x98\x80", 10, "caf\xc3\xa9 \xf0\x9f\x98\x80"},
	};
	enum tmpl_ctx ctxs[] = {TMPL_TEXT, TMPL_LINE, TMPL_HTML, TMPL_JSON};
	for (size_t i = 0; i < ATR_ARRAY_LEN(cases); i++) {
		for (size_t c = 0; c < ATR_ARRAY_LEN(ctxs); c++) {
			json_t *data = json_object();
			json_object_set_new(data, "x",
					    json_stringn_nocheck(cases[i].in,
								 cases[i].len));
			char *out = NULL;
			CHECK_EQ_INT(tmpl_render("{{x}}", data, ctxs[c], 100,
						 &out, msg, sizeof msg),
				     0);
			CHECK_STR(out, cases[i].want);
			free(out);
			json_decref(data);
		}
	}
	/* A template must be valid UTF-8 itself. */
	CHECK_REFUSED("ok\nab\xc3(", "the template is not valid UTF-8 "
				     "(line 2, column 3)");
}

TEST(tmpl_refused_tags)
{
	CHECK_REFUSED("Hi {{{record.name}}}", "raw output ({{{ }}}) is not "
					      "allowed (line 1, column 4)");
	CHECK_REFUSED("Hi\n  {{& record.name}}",
		      "raw output ({{& }}) is not allowed (line 2, column 3)");
	CHECK_REFUSED("{{#l}}{{>footer}}{{/l}}",
		      "partials ({{> }}) are not allowed (line 1, column 7)");
	CHECK_REFUSED("{{=<% %>=}}<% x %>", "changing delimiters ({{= =}}) "
					    "is not allowed (line 1, column "
					    "1)");
	CHECK_REFUSED("a {{=x=}}", "changing delimiters ({{= =}}) is not "
				   "allowed (line 1, column 3)");
	/* msg may be NULL, or short: it is cut, still terminated. */
	CHECK_EQ_INT(tmpl_check("{{{x}}}", NULL, 0), -1);
	char small[8];
	CHECK_EQ_INT(tmpl_check("{{{x}}}", small, sizeof small), -1);
	CHECK_STR(small, "raw out");
	char ok[8] = "junk";
	CHECK_EQ_INT(tmpl_check("{{x}} {{#a}}{{^b}}{{/b}}{{/a}} {{!c}}", ok,
				sizeof ok),
		     0);
	CHECK_STR(ok, "");
	CHECK_EQ_INT(tmpl_check(NULL, ok, sizeof ok), -1);
}

TEST(tmpl_unclosed_and_mismatched)
{
	CHECK_REFUSED("{{#record.tags}}{{.}} ",
		      "unclosed section 'record.tags' (line 1, column 1)");
	CHECK_REFUSED("x\n{{#a}}{{/b}}", "unclosed section 'a' (line 2, "
					 "column 1)");
	CHECK_REFUSED("{{#a}}{{#b}}{{/a}}{{/b}}",
		      "unclosed section 'a' (line 1, column 1)");
	CHECK_REFUSED("x {{/a}}", "section end 'a' closes no open section "
				  "(line 1, column 3)");
	CHECK_REFUSED("caf\xc3\xa9\nb {{x", "unclosed tag: '{{' without '}}' "
					    "(line 2, column 3)");
	CHECK_REFUSED("{{", "unclosed tag: '{{' without '}}' (line 1, "
			    "column 1)");
	CHECK_REFUSED("{{{x}}", "unclosed tag: '{{' without '}}' (line 1, "
				"column 1)");
}

TEST(tmpl_nesting_limit)
{
	struct buf t = BUF_INIT, deep = BUF_INIT;
	for (int i = 0; i < 16; i++)
		buf_adds(&t, "{{#a}}");
	buf_adds(&t, "x");
	for (int i = 0; i < 16; i++)
		buf_adds(&t, "{{/a}}");
	CHECK_EQ_INT(tmpl_check(buf_str(&t), msg, sizeof msg), 0);
	CHECK_RENDER(buf_str(&t), "{\"a\":true}", TMPL_TEXT, "x");
	buf_adds(&deep, "{{#a}}");
	buf_adds(&deep, buf_str(&t));
	buf_adds(&deep, "{{/a}}");
	/* The 17th section, 16 x 6 bytes in. */
	CHECK_REFUSED(buf_str(&deep), "sections are nested more than 16 deep "
				      "(line 1, column 97)");
	buf_free(&t);
	buf_free(&deep);
}

TEST(tmpl_source_size)
{
	char *t = xmalloc(TMPL_SRC_MAX + 2);
	memset(t, 'a', TMPL_SRC_MAX);
	t[TMPL_SRC_MAX] = 0;
	CHECK_EQ_INT(tmpl_check(t, msg, sizeof msg), 0);
	char *out = render_max(t, "{}", TMPL_TEXT, TMPL_SRC_MAX, msg,
			       sizeof msg);
	CHECK(out && strlen(out) == TMPL_SRC_MAX);
	free(out);
	t[TMPL_SRC_MAX] = 'a';
	t[TMPL_SRC_MAX + 1] = 0;
	CHECK_REFUSED(t, "the template is longer than 20000 bytes");
	free(t);
}

TEST(tmpl_result_bound)
{
	/* 100 values of 10 bytes: exactly 1000 bytes. */
	json_t *l = json_array();
	for (int i = 0; i < 100; i++)
		json_array_append_new(l, json_string("abcdefghij"));
	json_t *data = json_pack("{s:o}", "l", l);
	char *out = NULL;
	CHECK_EQ_INT(tmpl_render("{{#l}}{{.}}{{/l}}", data, TMPL_TEXT, 1000,
				 &out, msg, sizeof msg),
		     0);
	CHECK(out && strlen(out) == 1000);
	free(out);
	out = (char *)0x1;
	CHECK_EQ_INT(tmpl_render("{{#l}}{{.}}{{/l}}", data, TMPL_TEXT, 999,
				 &out, msg, sizeof msg),
		     -1);
	CHECK(out == NULL);
	CHECK_STR(msg, "the result is longer than 999 bytes");
	/* Template text repeated by a list counts too, on one line or many. */
	CHECK_EQ_INT(tmpl_render("{{#l}}0123456789{{/l}}", data, TMPL_HTML,
				 999, &out, msg, sizeof msg),
		     -1);
	CHECK_STR(msg, "the result is longer than 999 bytes");
	CHECK_EQ_INT(tmpl_render("{{#l}}012345678\n{{/l}}", data, TMPL_TEXT,
				 999, &out, msg, sizeof msg),
		     -1);
	CHECK_STR(msg, "the result is longer than 999 bytes");
	/* The escape's growth counts: 100 x "&amp;" is 500 bytes. */
	json_object_set_new(data, "a", json_string("&"));
	CHECK_EQ_INT(tmpl_render("{{#l}}{{a}}{{/l}}", data, TMPL_HTML, 499,
				 &out, msg, sizeof msg),
		     -1);
	CHECK_STR(msg, "the result is longer than 499 bytes");
	CHECK_EQ_INT(tmpl_render("{{#l}}{{a}}{{/l}}", data, TMPL_HTML, 500,
				 &out, msg, sizeof msg),
		     0);
	CHECK(out && strlen(out) == 500);
	free(out);
	/* Lists within lists: 100^6 copies of 100 bytes stop long before. */
	struct buf t = BUF_INIT;
	buf_adds(&t, "{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}");
	for (int i = 0; i < 10; i++)
		buf_adds(&t, "0123456789");
	buf_adds(&t, "{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}");
	CHECK_EQ_INT(tmpl_render(buf_str(&t), data, TMPL_TEXT, 1 << 20, &out,
				 msg, sizeof msg),
		     -1);
	buf_free(&t);
	CHECK_STR(msg, "the result is longer than 1048576 bytes");
	/* ... and so do those that write nothing, by their steps. */
	CHECK_EQ_INT(tmpl_render("{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}"
				 "{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}",
				 data, TMPL_TEXT, 1 << 20, &out, msg,
				 sizeof msg),
		     -1);
	CHECK_STR(msg, "the template takes more than 200000 steps (lookups "
		       "and list items)");
	json_decref(data);
}

/* The size bound follows kainjow's walk (tmpl.cc, tracker): every kind of
 * section, taken or not, nested, around lists, leaves it in step. */
TEST(tmpl_walk_tracked)
{
	const char *d = "{\"x\":\"X\",\"t\":true,\"f\":false,\"e\":[],"
			"\"l\":[{\"n\":1},{\"n\":2}],\"o\":{\"n\":\"o\"}}";
	CHECK_RENDER("{{^none}}a{{x}}{{#l}}b{{n}}{{/l}}c{{/none}}d{{x}}", d,
		     TMPL_TEXT, "aXb1b2cdX");
	CHECK_RENDER("{{^f}}[{{^e}}{{x}}{{/e}}]{{/f}}{{^t}}no{{/t}}{{x}}", d,
		     TMPL_TEXT, "[X]X");
	CHECK_RENDER("{{#l}}{{^none}}{{n}}{{^nada}}{{/nada}}{{/none}}{{/l}}"
		     "{{x}}",
		     d, TMPL_TEXT, "12X");
	CHECK_RENDER("{{#l}}{{#o}}{{n}}{{/o}}{{#none}}{{x}}{{/none}}{{/l}}|"
		     "{{#e}}{{x}}{{/e}}{{#f}}{{x}}{{/f}}{{#t}}{{x}}{{/t}}",
		     d, TMPL_TEXT, "oo|X");
	CHECK_RENDER("{{#l}}{{#l}}{{n}}{{/l}}-{{/l}}{{! c }}{{^none}}"
		     "{{/none}}",
		     d, TMPL_TEXT, "12-12-");
	CHECK_RENDER("{{#l}}\n  {{n}}\n{{/l}}\n{{^none}}\n  z\n{{/none}}\n",
		     d, TMPL_TEXT, "  1\n  2\n  z\n");
	/* The bound is exact for text repeated under a name used elsewhere
	 * after a long run: 2000 bytes + 100 x 1 byte fit in 2101. */
	struct buf t = BUF_INIT;
	for (int i = 0; i < 200; i++)
		buf_adds(&t, "0123456789");
	buf_adds(&t, "{{x}}{{#l}}{{x}}{{/l}}");
	json_t *l = json_array();
	for (int i = 0; i < 100; i++)
		json_array_append_new(l, json_object());
	json_t *data = json_pack("{s:s,s:o}", "x", "y", "l", l);
	char *out = NULL;
	CHECK_EQ_INT(tmpl_render(buf_str(&t), data, TMPL_TEXT, 2101, &out, msg,
				 sizeof msg),
		     0);
	CHECK(out && strlen(out) == 2101);
	free(out);
	buf_free(&t);
	json_decref(data);
}

TEST(tmpl_bad_arguments)
{
	char *out = NULL;
	json_t *arr = json_array();
	CHECK_EQ_INT(tmpl_render("x", arr, TMPL_TEXT, 10, &out, msg,
				 sizeof msg),
		     -1);
	CHECK_STR(msg, "the data is not a JSON object");
	json_decref(arr);
	CHECK_EQ_INT(tmpl_render("x", NULL, (enum tmpl_ctx)0, 10, &out, msg,
				 sizeof msg),
		     -1);
	CHECK_STR(msg, "unknown output context");
	CHECK_EQ_INT(tmpl_render("x", NULL, TMPL_TEXT, 10, NULL, msg,
				 sizeof msg),
		     -1);
	CHECK_EQ_INT(tmpl_render(NULL, NULL, TMPL_TEXT, 10, &out, msg,
				 sizeof msg),
		     -1);
	CHECK_STR(msg, "no template");
	CHECK(out == NULL);
}

struct tmpl_thread {
	json_t *data;
	int bad;
};

static void *tmpl_thread_main(void *arg)
{
	struct tmpl_thread *t = arg;
	for (int i = 0; i < 200; i++) {
		char m[128];
		char *out = NULL;
		if (tmpl_render("{{#l}}<i>{{name}}</i>{{/l}}", t->data,
				TMPL_HTML, 1000, &out, m, sizeof m) != 0 ||
		    strcmp(out, "<i>a&amp;</i><i>&lt;b&gt;</i>") != 0)
			t->bad++;
		free(out);
	}
	return NULL;
}

TEST(tmpl_threads)
{
	json_t *data = json_loads("{\"l\":[{\"name\":\"a&\"},{\"name\":\"<b>\"}]}",
				  0, NULL);
	struct tmpl_thread t[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		t[i] = (struct tmpl_thread){data, 0};
		CHECK_EQ_INT(pthread_create(&th[i], NULL, tmpl_thread_main,
					    &t[i]),
			     0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_INT(t[i].bad, 0);
	}
	json_decref(data);
}
