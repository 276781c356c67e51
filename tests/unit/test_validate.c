/* test_validate.c — core/validate.c: money, email, the body validator. */
#include "atrium.h"

#include "core/validate.h"
#include "unit.h"

/* --- money -------------------------------------------------------------- */

/* money_parse(s) must give want. */
static void money_ok(const char *s, int64_t want, int line)
{
	int64_t c = -999999;
	if (money_parse(s, &c) != 0) {
		unit_failf(__FILE__, line, "money_parse(\"%s\") refused", s);
		return;
	}
	if (c != want)
		unit_failf(__FILE__, line, "money_parse(\"%s\") = %lld, want %lld",
			   s, (long long)c, (long long)want);
}

static void money_bad(const char *s, int line)
{
	int64_t c = 12345;
	if (money_parse(s, &c) == 0)
		unit_failf(__FILE__, line,
			   "money_parse(\"%s\") accepted (%lld), want refused",
			   s, (long long)c);
}

TEST(money_parse_accepts)
{
	money_ok("1250", 125000, __LINE__);
	money_ok("1250.5", 125050, __LINE__);
	money_ok("1250.50", 125050, __LINE__);
	money_ok("1250.05", 125005, __LINE__);
	money_ok("0", 0, __LINE__);
	money_ok("0.1", 10, __LINE__);
	money_ok("0.01", 1, __LINE__);
	money_ok("-3.25", -325, __LINE__);
	money_ok("-0.01", -1, __LINE__);
	money_ok("007", 700, __LINE__);
	/* Large but representable. */
	money_ok("90000000000000000", 9000000000000000000LL, __LINE__);
	money_ok("90000000000000000.99", 9000000000000000099LL, __LINE__);
}

TEST(money_parse_refuses)
{
	money_bad("12.345", __LINE__); /* three decimals */
	money_bad("0.001", __LINE__);
	money_bad("abc", __LINE__);
	money_bad("", __LINE__);
	money_bad("-", __LINE__);
	money_bad("1.", __LINE__);
	money_bad(".5", __LINE__);
	money_bad("+5", __LINE__);
	money_bad(" 5", __LINE__);
	money_bad("5 ", __LINE__);
	money_bad("1e3", __LINE__);
	money_bad("1,5", __LINE__);
	money_bad("--1", __LINE__);
	money_bad("1.2.3", __LINE__);
	money_bad("0x10", __LINE__);
	/* Overflow of int64 cents. */
	money_bad("92233720368547758.08", __LINE__);
	money_bad("99999999999999999999", __LINE__);
	money_bad("-99999999999999999999", __LINE__);
	money_bad("184467440737095516160", __LINE__);
}

TEST(money_format)
{
	char b[32];
	money_format(125050, b);
	CHECK_STR(b, "1250.50");
	money_format(125000, b);
	CHECK_STR(b, "1250.00");
	money_format(0, b);
	CHECK_STR(b, "0.00");
	money_format(7, b);
	CHECK_STR(b, "0.07");
	money_format(-325, b);
	CHECK_STR(b, "-3.25");
	money_format(-1, b);
	CHECK_STR(b, "-0.01");
	money_format(INT64_MAX, b);
	CHECK_STR(b, "92233720368547758.07");
	money_format(INT64_MIN, b);
	CHECK_STR(b, "-92233720368547758.08");
	/* Round trip. */
	int64_t back = 0;
	money_format(-987654321, b);
	CHECK_EQ_INT(money_parse(b, &back), 0);
	CHECK_EQ_INT(back, -987654321);
}

/* money_from_json(v) must give want; takes the reference to v. */
static void mj_ok(json_t *v, int64_t want, int line)
{
	int64_t c = -999999;
	char *t = json_dumps(v, JSON_ENCODE_ANY);
	if (!money_from_json(v, &c))
		unit_failf(__FILE__, line, "money_from_json(%s) refused", t);
	else if (c != want)
		unit_failf(__FILE__, line, "money_from_json(%s) = %lld, want %lld",
			   t, (long long)c, (long long)want);
	free(t);
	json_decref(v);
}

static void mj_bad(json_t *v, int line)
{
	int64_t c = 0;
	char *t = json_dumps(v, JSON_ENCODE_ANY);
	if (money_from_json(v, &c))
		unit_failf(__FILE__, line,
			   "money_from_json(%s) accepted (%lld), want refused",
			   t, (long long)c);
	free(t);
	json_decref(v);
}

TEST(money_from_json_values)
{
	mj_ok(json_string("1250"), 125000, __LINE__);
	mj_ok(json_string("1250.5"), 125050, __LINE__);
	mj_ok(json_integer(1250), 125000, __LINE__);
	mj_ok(json_integer(-3), -300, __LINE__);
	mj_ok(json_real(0.1), 10, __LINE__);
	mj_ok(json_real(1250.5), 125050, __LINE__);
	mj_ok(json_real(-3.25), -325, __LINE__);
	mj_ok(json_real(19.99), 1999, __LINE__);
	mj_ok(json_real(0.0), 0, __LINE__);
	mj_bad(json_real(12.345), __LINE__);
	mj_bad(json_real(0.001), __LINE__);
	mj_bad(json_real(1e300), __LINE__);
	mj_bad(json_string("12.345"), __LINE__);
	mj_bad(json_string("abc"), __LINE__);
	mj_bad(json_integer(INT64_MAX), __LINE__); /* overflows cents */
	mj_bad(json_true(), __LINE__);
	mj_bad(json_null(), __LINE__);
	mj_bad(json_array(), __LINE__);
}

/* A JSON body says {"value": 1250.0}: a whole amount written as a real. */
TEST(money_from_json_whole_reals)
{
	mj_ok(json_real(1.0), 100, __LINE__);
	mj_ok(json_real(10.0), 1000, __LINE__);
	mj_ok(json_real(100.0), 10000, __LINE__);
	mj_ok(json_real(1250.0), 125000, __LINE__);
	mj_ok(json_real(120.5), 12050, __LINE__);
	/* The same through the parser, as a body arrives. */
	json_error_t je;
	json_t *v = json_loads("[100.0, 20.50]", 0, &je);
	if (!CHECK(v != NULL))
		return;
	json_incref(json_array_get(v, 0));
	mj_ok(json_array_get(v, 0), 10000, __LINE__);
	json_incref(json_array_get(v, 1));
	mj_ok(json_array_get(v, 1), 2050, __LINE__);
	json_decref(v);
}

/* --- email -------------------------------------------------------------- */

TEST(valid_email_cases)
{
	CHECK(valid_email("a@b.co"));
	CHECK(valid_email("first.last+tag@mail.example.com"));
	CHECK(valid_email("x@sub-domain.example.org"));
	CHECK(valid_email("ana@bücher.de")); /* IDN domain in UTF-8 */
	CHECK(!valid_email(""));
	CHECK(!valid_email("plain"));
	CHECK(!valid_email("@example.com"));
	CHECK(!valid_email("a@"));
	CHECK(!valid_email("a@b"));
	CHECK(!valid_email("a@@b.co"));
	CHECK(!valid_email("a@b@c.co"));
	CHECK(!valid_email("a b@c.co"));
	CHECK(!valid_email("a@b..co"));
	CHECK(!valid_email("a@.b.co"));
	CHECK(!valid_email("a@b.co."));
	CHECK(!valid_email("a@b_c.com"));
	CHECK(!valid_email("a@b c.com"));
	CHECK(!valid_email("\"a\"@b.co"));
	CHECK(!valid_email("a<b>@c.co"));
	CHECK(!valid_email("a\n@b.co"));
}

/* --- validate_body ------------------------------------------------------ */

static const char *const statuses[] = {"new", "won", "lost", NULL};

static const struct field lead_fields[] = {
	{"name", FT_TEXT, F_REQUIRED, 10, NULL, NULL},
	{"email", FT_EMAIL, 0, 100, NULL, NULL},
	{"phone", FT_PHONE, 0, 40, NULL, NULL},
	{"website", FT_URL, 0, 200, NULL, NULL},
	{"status", FT_ENUM, F_REQUIRED, 0, statuses, "new"},
	{"value", FT_MONEY, 0, 0, NULL, NULL},
	{"currency", FT_CURRENCY, 0, 0, NULL, NULL},
	{"country", FT_COUNTRY, 0, 0, NULL, NULL},
	{"owner", FT_STAFF, 0, 0, NULL, NULL},
	{"tags", FT_TAGS, 0, 3, NULL, NULL},
	{"vip", FT_BOOL, 0, 0, NULL, NULL},
	{"secret", FT_SECRET, 0, 20, NULL, NULL},
	{"teams", FT_IDS, 0, 3, NULL, NULL},
	{"extra_data", FT_OBJECT, 0, 0, NULL, NULL},
	{"notes", FT_TEXT, F_MULTILINE, 100, NULL, NULL},
};
static const struct schema lead = SCHEMA(lead_fields);

/* The first error recorded for field, or NULL. */
static const struct atr_field_err *ferr(const struct atr_err *e,
					const char *field)
{
	for (int i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].field, field) == 0)
			return &e->fields[i];
	return NULL;
}

/* Validates the JSON text body; returns validate_body's result. */
static int vb(const char *text, enum vmode mode, struct atr_err *e)
{
	memset(e, 0, sizeof *e);
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	if (!v) {
		FAILF("test body does not parse: %s: %s", text, je.text);
		return 99;
	}
	int rc = validate_body(v, &lead, mode, e);
	json_decref(v);
	return rc;
}

/* The body has exactly one error, on field, with code. */
static void one_error(const char *text, enum vmode mode, const char *field,
		      const char *code, int line)
{
	struct atr_err e;
	int rc = vb(text, mode, &e);
	if (rc != -1 || e.nfields != 1 || strcmp(e.fields[0].field, field) ||
	    strcmp(e.fields[0].code, code))
		unit_failf(__FILE__, line,
			   "%s: rc %d, %d errors (first %s/%s), want one "
			   "%s/%s",
			   text, rc, e.nfields,
			   e.nfields ? e.fields[0].field : "-",
			   e.nfields ? e.fields[0].code : "-", field, code);
	else if (e.kind != ATR_E_INVALID)
		unit_failf(__FILE__, line, "%s: kind %d, want ATR_E_INVALID",
			   text, (int)e.kind);
}

static void valid(const char *text, enum vmode mode, int line)
{
	struct atr_err e;
	int rc = vb(text, mode, &e);
	if (rc != 0 || e.nfields)
		unit_failf(__FILE__, line, "%s: rc %d, %d errors (first %s/%s: %s)",
			   text, rc, e.nfields,
			   e.nfields ? e.fields[0].field : "-",
			   e.nfields ? e.fields[0].code : "-",
			   e.nfields ? e.fields[0].detail : "-");
}

TEST(validate_body_valid)
{
	valid("{\"name\":\"Ana\",\"status\":\"new\"}", V_CREATE, __LINE__);
	valid("{\"name\":\"Ana Pop\",\"status\":\"won\",\"email\":\"a@b.co\","
	      "\"phone\":\"+40 (721) 000-000\",\"website\":\"https://ex.com/a\","
	      "\"value\":\"1250.50\",\"currency\":\"EUR\",\"country\":\"RO\","
	      "\"owner\":3,\"tags\":[\"a\",\"b\",\"c\"],\"vip\":true,"
	      "\"secret\":\"s3cr3t\"}",
	      V_CREATE, __LINE__);
	/* Optional fields may be null or (text) empty. */
	valid("{\"name\":\"Ana\",\"status\":\"new\",\"email\":null}",
	      V_CREATE, __LINE__);
	valid("{\"name\":\"Ana\",\"status\":\"new\",\"email\":\"\","
	      "\"phone\":\"\",\"website\":\"\",\"tags\":[],\"value\":12}",
	      V_CREATE, __LINE__);
	valid("{\"name\":\"Ana\",\"status\":\"new\",\"owner\":null,"
	      "\"value\":null}",
	      V_CREATE, __LINE__);
	/* Exactly at the limits. */
	valid("{\"name\":\"0123456789\",\"status\":\"new\",\"tags\":"
	      "[\"01234567890123456789012345678901234567890123456789\"]}",
	      V_CREATE, __LINE__);
	/* PATCH needs no required field. */
	valid("{}", V_PATCH, __LINE__);
	valid("{\"vip\":false}", V_PATCH, __LINE__);
}

TEST(validate_body_unknown_field)
{
	one_error("{\"name\":\"Ana\",\"status\":\"new\",\"admin\":true}",
		  V_CREATE, "admin", "unknown_field", __LINE__);
	one_error("{\"Name\":\"Ana\"}", V_PATCH, "Name", "unknown_field",
		  __LINE__);
}

TEST(validate_body_required)
{
	one_error("{\"status\":\"new\"}", V_CREATE, "name", "required",
		  __LINE__);
	one_error("{\"name\":\"Ana\"}", V_CREATE, "status", "required",
		  __LINE__);
	/* Null on a required field, in both modes. */
	one_error("{\"name\":null,\"status\":\"new\"}", V_CREATE, "name",
		  "required", __LINE__);
	one_error("{\"name\":null}", V_PATCH, "name", "required", __LINE__);
	/* Only whitespace is empty. */
	one_error("{\"name\":\"  \\t \",\"status\":\"new\"}", V_CREATE, "name",
		  "required", __LINE__);
	struct atr_err e;
	CHECK_EQ_INT(vb("{}", V_CREATE, &e), -1);
	CHECK_EQ_INT(e.nfields, 2);
	CHECK(ferr(&e, "name") != NULL);
	CHECK(ferr(&e, "status") != NULL);
}

TEST(validate_body_types)
{
	one_error("{\"name\":5}", V_PATCH, "name", "type", __LINE__);
	one_error("{\"name\":[\"a\"]}", V_PATCH, "name", "type", __LINE__);
	one_error("{\"email\":true}", V_PATCH, "email", "type", __LINE__);
	one_error("{\"owner\":\"3\"}", V_PATCH, "owner", "type", __LINE__);
	one_error("{\"owner\":0}", V_PATCH, "owner", "type", __LINE__);
	one_error("{\"owner\":-4}", V_PATCH, "owner", "type", __LINE__);
	one_error("{\"owner\":1.5}", V_PATCH, "owner", "type", __LINE__);
	one_error("{\"vip\":\"yes\"}", V_PATCH, "vip", "type", __LINE__);
	one_error("{\"vip\":1}", V_PATCH, "vip", "type", __LINE__);
	one_error("{\"tags\":\"a,b\"}", V_PATCH, "tags", "type", __LINE__);
	one_error("{\"value\":\"12.345\"}", V_PATCH, "value", "invalid",
		  __LINE__);
	one_error("{\"value\":true}", V_PATCH, "value", "type", __LINE__);
	one_error("{\"value\":[1]}", V_PATCH, "value", "type", __LINE__);
	one_error("{\"name\":\"a\\u0001b\"}", V_PATCH, "name", "invalid",
		  __LINE__);
}

TEST(validate_body_one_line)
{
	/* One-line text refuses every line break and control character
	 * (a name ends up in email text and headers). */
	static const char *const bad[] = {
		"a\\nb", "a\\rb", "a\\r\\nBcc: x", "a\\tb",
		"a\\u007fb", "a\\u0085b", "a\\u2028b", "a\\u2029b", "a\\u0001b",
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(bad); i++) {
		char *body = xasprintf("{\"name\":\"%s\"}", bad[i]);
		one_error(body, V_PATCH, "name", "invalid", __LINE__);
		free(body);
	}
	/* Multi-line text takes line breaks and tabs, still no other
	 * control character. */
	valid("{\"notes\":\"line one\\r\\nline two\\tend\\u2028\"}", V_PATCH,
	      __LINE__);
	one_error("{\"notes\":\"a\\u0007b\"}", V_PATCH, "notes", "invalid",
		  __LINE__);
	/* Passwords keep every printable character, line breaks included. */
	valid("{\"secret\":\"pass\\nword\"}", V_PATCH, __LINE__);
}

TEST(validate_body_too_long)
{
	one_error("{\"name\":\"01234567890\"}", V_PATCH, "name", "too_long",
		  __LINE__);
	/* Characters, not bytes (as a form's counter shows them): ten
	 * two-byte characters fit a maximum of 10, eleven do not. */
	valid("{\"name\":\"éééééééééé\"}", V_PATCH, __LINE__);
	one_error("{\"name\":\"ééééééééééé\"}", V_PATCH, "name", "too_long",
		  __LINE__);
	one_error("{\"secret\":\"012345678901234567890\"}", V_PATCH, "secret",
		  "too_long", __LINE__);
	struct atr_err e;
	CHECK_EQ_INT(vb("{\"name\":\"01234567890\"}", V_PATCH, &e), -1);
	CHECK_CONTAINS(e.fields[0].detail, "10");
}

TEST(validate_body_enum)
{
	one_error("{\"status\":\"open\"}", V_PATCH, "status", "not_allowed",
		  __LINE__);
	one_error("{\"status\":\"NEW\"}", V_PATCH, "status", "not_allowed",
		  __LINE__);
	/* Empty on a required enum is missing, not a wrong choice. */
	one_error("{\"status\":\"\"}", V_PATCH, "status", "required",
		  __LINE__);
	struct atr_err e;
	vb("{\"status\":\"open\"}", V_PATCH, &e);
	CHECK_CONTAINS(e.fields[0].detail, "new, won, lost");
}

TEST(validate_body_codes)
{
	valid("{\"currency\":\"RON\",\"country\":\"DE\"}", V_PATCH, __LINE__);
	/* The shape is not enough: only ISO codes. GE is Georgia. */
	valid("{\"currency\":\"XOF\",\"country\":\"GE\"}", V_PATCH, __LINE__);
	one_error("{\"currency\":\"XYZ\"}", V_PATCH, "currency", "invalid",
		  __LINE__);
	one_error("{\"currency\":\"DOL\"}", V_PATCH, "currency", "invalid",
		  __LINE__);
	one_error("{\"currency\":\"XTS\"}", V_PATCH, "currency", "invalid",
		  __LINE__);
	one_error("{\"country\":\"XX\"}", V_PATCH, "country", "invalid",
		  __LINE__);
	one_error("{\"country\":\"UK\"}", V_PATCH, "country", "invalid",
		  __LINE__);
	one_error("{\"currency\":\"eur\"}", V_PATCH, "currency", "invalid",
		  __LINE__);
	one_error("{\"currency\":\"EURO\"}", V_PATCH, "currency", "invalid",
		  __LINE__);
	one_error("{\"currency\":\"EU\"}", V_PATCH, "currency", "invalid",
		  __LINE__);
	one_error("{\"currency\":\"E1R\"}", V_PATCH, "currency", "invalid",
		  __LINE__);
	one_error("{\"currency\":\"\"}", V_PATCH, "currency", "invalid",
		  __LINE__);
	one_error("{\"country\":\"ro\"}", V_PATCH, "country", "invalid",
		  __LINE__);
	one_error("{\"country\":\"ROU\"}", V_PATCH, "country", "invalid",
		  __LINE__);
	one_error("{\"country\":\"R\"}", V_PATCH, "country", "invalid",
		  __LINE__);
}

TEST(validate_body_tags)
{
	one_error("{\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", V_PATCH, "tags",
		  "too_long", __LINE__);
	one_error("{\"tags\":[\"\"]}", V_PATCH, "tags", "type", __LINE__);
	one_error("{\"tags\":[1]}", V_PATCH, "tags", "type", __LINE__);
	one_error("{\"tags\":[null]}", V_PATCH, "tags", "type", __LINE__);
	one_error("{\"tags\":[\"012345678901234567890123456789012345678901234567"
		  "89x\"]}",
		  V_PATCH, "tags", "too_long", __LINE__);
	one_error("{\"tags\":[\"a\\nb\"]}", V_PATCH, "tags", "invalid",
		  __LINE__);
}

TEST(validate_body_ids_and_objects)
{
	valid("{\"teams\":[1,2,3],\"extra_data\":{\"a\":[1]}}", V_PATCH,
	      __LINE__);
	valid("{\"teams\":[],\"extra_data\":{}}", V_PATCH, __LINE__);
	one_error("{\"teams\":[1,2,1]}", V_PATCH, "teams", "invalid", __LINE__);
	one_error("{\"teams\":[1,2,3,4]}", V_PATCH, "teams", "type", __LINE__);
	one_error("{\"teams\":[0]}", V_PATCH, "teams", "type", __LINE__);
	one_error("{\"teams\":[\"1\"]}", V_PATCH, "teams", "type", __LINE__);
	one_error("{\"teams\":[1.5]}", V_PATCH, "teams", "type", __LINE__);
	one_error("{\"teams\":7}", V_PATCH, "teams", "type", __LINE__);
	one_error("{\"extra_data\":[]}", V_PATCH, "extra_data", "type",
		  __LINE__);
	one_error("{\"extra_data\":\"{}\"}", V_PATCH, "extra_data", "type",
		  __LINE__);
	struct atr_err e;
	vb("{\"teams\":[4,9,4]}", V_PATCH, &e);
	CHECK_CONTAINS(e.fields[0].detail, "4");
}

TEST(validate_body_url_phone_email)
{
	valid("{\"website\":\"http://example.com\"}", V_PATCH, __LINE__);
	valid("{\"website\":\"https://ex.com/p?q=1#x\"}", V_PATCH, __LINE__);
	one_error("{\"website\":\"ftp://example.com\"}", V_PATCH, "website",
		  "invalid", __LINE__);
	one_error("{\"website\":\"javascript:alert(1)\"}", V_PATCH, "website",
		  "invalid", __LINE__);
	one_error("{\"website\":\"example.com\"}", V_PATCH, "website",
		  "invalid", __LINE__);
	one_error("{\"website\":\"https://\"}", V_PATCH, "website", "invalid",
		  __LINE__);
	one_error("{\"website\":\"https:///path\"}", V_PATCH, "website",
		  "invalid", __LINE__);
	one_error("{\"website\":\"https://ex.com/a b\"}", V_PATCH, "website",
		  "invalid", __LINE__);
	valid("{\"phone\":\"+40 721 000 000\"}", V_PATCH, __LINE__);
	valid("{\"phone\":\"(555) 123-4567 x89\"}", V_PATCH, __LINE__);
	one_error("{\"phone\":\"12\"}", V_PATCH, "phone", "invalid", __LINE__);
	one_error("{\"phone\":\"call me 123\"}", V_PATCH, "phone", "invalid",
		  __LINE__);
	one_error("{\"phone\":\"123;456\"}", V_PATCH, "phone", "invalid",
		  __LINE__);
	one_error("{\"email\":\"not-an-email\"}", V_PATCH, "email", "invalid",
		  __LINE__);
}

TEST(validate_body_not_object)
{
	const struct field *f = schema_find(&lead, "status");
	CHECK(f && f->type == FT_ENUM);
	CHECK(schema_find(&lead, "nope") == NULL);
	struct atr_err e;
	memset(&e, 0, sizeof e);
	json_t *v = json_array();
	CHECK_EQ_INT(validate_body(v, &lead, V_CREATE, &e), -1);
	CHECK_EQ_INT(e.nfields, 1);
	CHECK_STR(e.fields[0].field, "");
	CHECK_STR(e.fields[0].code, "type");
	json_decref(v);
}

/* Every problem of a body is reported at once, not just the first. */
TEST(validate_body_all_errors_at_once)
{
	struct atr_err e;
	int rc = vb("{\"extra\":1,\"name\":5,\"email\":\"x\",\"phone\":\"ab\","
		    "\"website\":\"ftp://x\",\"status\":\"open\",\"value\":"
		    "\"1.234\",\"currency\":\"eur\",\"country\":\"rou\","
		    "\"owner\":0,\"tags\":[\"a\",\"b\",\"c\",\"d\"],\"vip\":"
		    "\"no\",\"secret\":7}",
		    V_CREATE, &e);
	CHECK_EQ_INT(rc, -1);
	CHECK_EQ_INT(e.kind, ATR_E_INVALID);
	CHECK_EQ_INT(e.nfields, 13);
	static const char *const want[][2] = {
		{"extra", "unknown_field"}, {"name", "type"},
		{"email", "invalid"},       {"phone", "invalid"},
		{"website", "invalid"},     {"status", "not_allowed"},
		{"value", "invalid"},       {"currency", "invalid"},
		{"country", "invalid"},     {"owner", "type"},
		{"tags", "too_long"},       {"vip", "type"},
		{"secret", "type"},
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(want); i++) {
		const struct atr_field_err *f = ferr(&e, want[i][0]);
		if (!f) {
			FAILF("no error on field '%s'", want[i][0]);
			continue;
		}
		CHECK_STR(f->code, want[i][1]);
		CHECK(f->detail[0] != 0);
	}
	/* Missing required fields join the unknown and invalid ones. */
	rc = vb("{\"extra\":1,\"email\":\"x\"}", V_CREATE, &e);
	CHECK_EQ_INT(rc, -1);
	CHECK_EQ_INT(e.nfields, 4);
	CHECK(ferr(&e, "extra") && ferr(&e, "email") && ferr(&e, "name") &&
	      ferr(&e, "status"));
}
