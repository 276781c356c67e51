/* test_json_body.c — http/json_body.c: strict request bodies. */
#include "atrium.h"

#include "core/buf.h"
#include "http/json_body.h"
#include "unit.h"

/* Parses len bytes of data; returns the rc and leaves err filled. */
static int parse(const char *data, size_t len, json_t **out,
		 struct atr_err *err)
{
	memset(err, 0, sizeof *err);
	*out = (json_t *)1; /* must be overwritten */
	return json_body_parse(data, len, out, err);
}

static void refused(const char *data, size_t len, const char *msg, int line)
{
	json_t *v;
	struct atr_err err;
	int rc = parse(data, len, &v, &err);
	if (rc != -1 || v != NULL || err.kind != ATR_E_BAD_REQUEST)
		unit_failf(__FILE__, line,
			   "json_body_parse(%.60s) = %d (kind %d, out %p), "
			   "want refused",
			   data, rc, (int)err.kind, (void *)v);
	else if (msg && !strstr(err.msg, msg))
		unit_failf(__FILE__, line,
			   "json_body_parse(%.60s): message \"%s\" lacks \"%s\"",
			   data, err.msg, msg);
	if (rc == 0 && v)
		json_decref(v);
}

#define REFUSED(lit, msg) refused(lit, sizeof(lit) - 1, msg, __LINE__)

TEST(json_body_valid_object)
{
	const char body[] = " {\"name\": \"Ana\", \"n\": 3, \"x\": [1, {\"y\": "
			    "null}], \"u\": \"\\u00e9\\ud83d\\ude00\"} \n";
	json_t *v;
	struct atr_err err;
	CHECK_EQ_INT(parse(body, sizeof body - 1, &v, &err), 0);
	CHECK_EQ_INT(err.kind, ATR_E_NONE);
	if (!CHECK(v && json_is_object(v)))
		return;
	CHECK_STR(json_string_value(json_object_get(v, "name")), "Ana");
	CHECK_EQ_INT(json_integer_value(json_object_get(v, "n")), 3);
	CHECK_STR(json_string_value(json_object_get(v, "u")),
		  "\xc3\xa9\xf0\x9f\x98\x80");
	json_decref(v);

	/* Not NUL-terminated: only len bytes count. */
	char raw[] = {'{', '}', 'x', 'x'};
	CHECK_EQ_INT(parse(raw, 2, &v, &err), 0);
	CHECK(v && json_object_size(v) == 0);
	json_decref(v);
}

TEST(json_body_empty)
{
	REFUSED("", "empty");
	REFUSED("   ", NULL);
}

TEST(json_body_not_an_object)
{
	REFUSED("[1,2]", "must be a JSON object");
	REFUSED("[]", "must be a JSON object");
	REFUSED("\"text\"", NULL);
	REFUSED("42", NULL);
	REFUSED("null", NULL);
}

TEST(json_body_malformed)
{
	REFUSED("{\"a\":}", "line 1");
	REFUSED("{\"a\":1", "malformed JSON");
	REFUSED("{\"a\":1}{}", "malformed JSON");
	REFUSED("{\"a\":1} x", "malformed JSON");
	REFUSED("{'a':1}", "malformed JSON");
	REFUSED("{\"a\":1,}", "malformed JSON");
	REFUSED("{\"a\":NaN}", "malformed JSON");
	REFUSED("{\n\"a\":\n}", "line 3");
}

TEST(json_body_duplicate_keys)
{
	REFUSED("{\"a\":1,\"a\":2}", "malformed JSON");
	REFUSED("{\"x\":{\"b\":1,\"b\":1}}", NULL);
	/* Same key in different objects is fine. */
	json_t *v;
	struct atr_err err;
	const char ok[] = "{\"a\":{\"a\":1},\"b\":{\"a\":2}}";
	CHECK_EQ_INT(parse(ok, sizeof ok - 1, &v, &err), 0);
	json_decref(v);
}

/* {"a":{"a":...{"a":1}...}} with levels objects. */
static char *nested(int levels, bool array_leaf)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < levels; i++)
		buf_adds(&b, "{\"a\":");
	buf_adds(&b, array_leaf ? "[1]" : "1");
	for (int i = 0; i < levels; i++)
		buf_addc(&b, '}');
	return buf_detach(&b);
}

TEST(json_body_depth_limit)
{
	json_t *v;
	struct atr_err err;
	char *s = nested(JSON_BODY_MAX_DEPTH, false);
	CHECK_EQ_INT(parse(s, strlen(s), &v, &err), 0);
	json_decref(v);
	free(s);

	s = nested(JSON_BODY_MAX_DEPTH + 1, false);
	refused(s, strlen(s), "nested deeper than 16", __LINE__);
	free(s);

	/* Arrays count as levels too. */
	s = nested(JSON_BODY_MAX_DEPTH, true);
	refused(s, strlen(s), "nested deeper", __LINE__);
	free(s);

	/* Far deeper than any limit: refused without blowing the stack. */
	s = nested(100000, false);
	refused(s, strlen(s), NULL, __LINE__);
	free(s);
}

TEST(json_body_invalid_utf8)
{
	REFUSED("{\"a\":\"\xff\"}", NULL);
	REFUSED("{\"a\":\"\xc3\"}", NULL);       /* truncated sequence */
	REFUSED("{\"a\":\"\xc0\xaf\"}", NULL);   /* overlong '/' */
	REFUSED("{\"a\":\"\xed\xa0\x80\"}", NULL); /* UTF-16 surrogate */
	REFUSED("{\"\xfe\":1}", NULL);           /* in a key */
	REFUSED("{\"a\":\"\\ud800\"}", NULL);    /* lone surrogate escape */
}

TEST(json_body_nul_refused)
{
	REFUSED("{\"a\":\"\\u0000\"}", NULL);
	REFUSED("{\"a\":\"x\\u0000y\"}", NULL);
	REFUSED("{\"\\u0000\":1}", NULL);
	/* A raw NUL byte inside a string or after the object. */
	REFUSED("{\"a\":\"x\0y\"}", NULL);
	REFUSED("{\"a\":1}\0", NULL);
}

TEST(json_content_type_cases)
{
	CHECK(json_content_type("application/json"));
	CHECK(json_content_type("application/json; charset=utf-8"));
	CHECK(json_content_type("application/json;charset=UTF-8"));
	CHECK(json_content_type("Application/JSON"));
	CHECK(!json_content_type(NULL));
	CHECK(!json_content_type(""));
	CHECK(!json_content_type("application/jsonp"));
	CHECK(!json_content_type("application/json-patch+json"));
	CHECK(!json_content_type("application/x-www-form-urlencoded"));
	CHECK(!json_content_type("text/json"));
	CHECK(!json_content_type("multipart/form-data; boundary=x"));
	CHECK(!json_content_type("application/jso"));
}
