/* test_ftype.c — the field-type table: decimals, dates and times, every
 * type's check, normal form and filter parse. */
#include "atrium.h"

#include "unit.h"

#include "core/arena.h"
#include "core/ftype.h"

static void decimal_round(const char *in, int scale, const char *out,
			  int line)
{
	int64_t v;
	char buf[40];
	if (!unit_check(decimal_parse(in, scale, &v) == 0, __FILE__, line,
			in))
		return;
	decimal_format(v, scale, buf);
	unit_check_str(buf, out, in, out, __FILE__, line);
}

TEST(ftype_decimal_scales)
{
	decimal_round("12.5", 3, "12.500", __LINE__);
	decimal_round("-0.001", 3, "-0.001", __LINE__);
	decimal_round("7", 0, "7", __LINE__);
	decimal_round("1234567.123456", 6, "1234567.123456", __LINE__);
	decimal_round("0.1", 2, "0.10", __LINE__);
	int64_t v;
	CHECK_EQ_INT(decimal_parse("1.2345", 3, &v), -1); /* too many places */
	CHECK_EQ_INT(decimal_parse("1.", 2, &v), -1);
	CHECK_EQ_INT(decimal_parse(".5", 2, &v), -1);
	CHECK_EQ_INT(decimal_parse("1e3", 2, &v), -1);
	CHECK_EQ_INT(decimal_parse("99999999999999999999", 2, &v), -1);
	CHECK_EQ_INT(decimal_parse("1", 7, &v), -1); /* scale out of range */
	json_t *r = json_real(0.125);
	CHECK(decimal_from_json(r, 3, &v) && v == 125);
	CHECK(!decimal_from_json(r, 2, &v));
	json_decref(r);
}

TEST(ftype_dates_and_times)
{
	CHECK(valid_date("2024-02-29"));
	CHECK(!valid_date("2023-02-29"));
	CHECK(!valid_date("2026-13-01"));
	CHECK(!valid_date("2026-1-01"));
	CHECK(!valid_date("0000-01-01"));
	char t[ATR_TIME_LEN];
	CHECK_EQ_INT(datetime_normalise("2026-12-05T10:00:00Z", t), 0);
	CHECK_STR(t, "2026-12-05T10:00:00.000Z");
	CHECK_EQ_INT(datetime_normalise("2026-12-05T12:30:00.5+02:30", t), 0);
	CHECK_STR(t, "2026-12-05T10:00:00.500Z");
	CHECK_EQ_INT(datetime_normalise("2026-12-05T00:15-01:00", t), 0);
	CHECK_STR(t, "2026-12-05T01:15:00.000Z");
	CHECK_EQ_INT(datetime_normalise("2026-12-31T23:59:59.999999Z", t), 0);
	CHECK_STR(t, "2026-12-31T23:59:59.999Z");
	CHECK_EQ_INT(datetime_normalise("2026-12-05T10:00:00", t), -1); /* zone */
	CHECK_EQ_INT(datetime_normalise("2026-12-05T24:00:00Z", t), -1);
	CHECK_EQ_INT(datetime_normalise("2026-12-05 10:00Z trailing", t), -1);
	CHECK_EQ_INT(datetime_normalise("yesterday", t), -1);
}

static const char *const colours[] = {"red", "green", NULL};

/* One value of a field of type t: does check accept it? */
static bool accepts(enum ftype t, const char *json)
{
	struct field f = {.name = "f", .type = t, .choices = colours,
			  .scale = 2,
			  .max = t == FT_TEXT || t == FT_MULTI || t == FT_TAGS ||
					 t == FT_STAFF_LIST || t == FT_ITEMS
					 ? 5
					 : 0};
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	struct atr_err e = {0};
	bool ok = v && ftype_of(t)->check(&f, v, &e) == 0;
	if (!ok && v)
		unit_check(e.nfields == 1 && !strcmp(e.fields[0].field, "f"),
			   __FILE__, __LINE__, "one error naming the field");
	json_decref(v);
	return ok;
}

TEST(ftype_checks)
{
	CHECK(accepts(FT_TEXT, "\"abc\""));
	CHECK(!accepts(FT_TEXT, "\"abcdef\"")); /* max 5 */
	CHECK(!accepts(FT_TEXT, "3"));
	CHECK(accepts(FT_ENUM, "\"red\""));
	CHECK(!accepts(FT_ENUM, "\"blue\""));
	CHECK(accepts(FT_MULTI, "[\"red\",\"green\"]"));
	CHECK(!accepts(FT_MULTI, "[\"red\",\"red\"]"));
	CHECK(!accepts(FT_MULTI, "[\"blue\"]"));
	CHECK(accepts(FT_DECIMAL, "\"1.25\""));
	CHECK(accepts(FT_DECIMAL, "3"));
	CHECK(!accepts(FT_DECIMAL, "\"1.255\""));
	CHECK(!accepts(FT_DECIMAL, "true"));
	CHECK(accepts(FT_DATE, "\"2026-01-31\""));
	CHECK(!accepts(FT_DATE, "\"2026-02-31\""));
	CHECK(!accepts(FT_DATE, "\"\""));
	CHECK(accepts(FT_DATETIME, "\"2026-01-31T08:00:00+01:00\""));
	CHECK(!accepts(FT_DATETIME, "\"2026-01-31\""));
	CHECK(accepts(FT_BOOL, "false"));
	CHECK(!accepts(FT_BOOL, "0"));
	CHECK(accepts(FT_REF, "7"));
	CHECK(!accepts(FT_REF, "0"));
	CHECK(!accepts(FT_REF, "\"7\""));
	CHECK(accepts(FT_TAGS, "[\"a\"]"));
	CHECK(!accepts(FT_TAGS, "[\"a\",\"a\"]"));
	CHECK(accepts(FT_CURRENCY, "\"EUR\""));
	CHECK(!accepts(FT_CURRENCY, "\"eur\""));
	CHECK(!accepts(FT_CURRENCY, "\"\""));
	CHECK(accepts(FT_EMAIL, "\"\""));
	CHECK(!accepts(FT_EMAIL, "\"no-at\""));
	/* A staff list: distinct positive ids, at most max (5 here). */
	CHECK(accepts(FT_STAFF_LIST, "[]"));
	CHECK(accepts(FT_STAFF_LIST, "[7, 3]"));
	CHECK(accepts(FT_STAFF_LIST, "[1, 2, 3, 4, 5]"));
	CHECK(!accepts(FT_STAFF_LIST, "[1, 2, 3, 4, 5, 6]"));
	CHECK(!accepts(FT_STAFF_LIST, "[3, 3]")); /* refused, not collapsed */
	CHECK(!accepts(FT_STAFF_LIST, "[0]"));
	CHECK(!accepts(FT_STAFF_LIST, "[-2]"));
	CHECK(!accepts(FT_STAFF_LIST, "[\"3\"]"));
	CHECK(!accepts(FT_STAFF_LIST, "[1.5]"));
	CHECK(!accepts(FT_STAFF_LIST, "[null]"));
	CHECK(!accepts(FT_STAFF_LIST, "3"));
	CHECK(!accepts(FT_STAFF_LIST, "{\"id\": 3}"));
	CHECK(!accepts(FT_STAFF_LIST, "\"3,7\""));
	/* Items: objects, at most max (5 here); their members are the
	 * entity's to check. */
	CHECK(accepts(FT_ITEMS, "[]"));
	CHECK(accepts(FT_ITEMS, "[{\"a\": 1}, {}]"));
	CHECK(!accepts(FT_ITEMS, "[{}, {}, {}, {}, {}, {}]"));
	CHECK(!accepts(FT_ITEMS, "[1]"));
	CHECK(!accepts(FT_ITEMS, "{\"a\": 1}"));
}

/* The code of the one error a check gives v. */
static const char *check_code(enum ftype t, int max, const char *json,
			      char out[32])
{
	struct field f = {.name = "f", .type = t, .max = max};
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	struct atr_err e = {0};
	out[0] = 0;
	if (v && ftype_of(t)->check(&f, v, &e) < 0 && e.nfields == 1)
		atr_strlcpy(out, e.fields[0].code, 32);
	json_decref(v);
	return out;
}

TEST(ftype_staff_list)
{
	char c[32];
	CHECK_STR(check_code(FT_STAFF_LIST, 0, "\"x\"", c), "type");
	CHECK_STR(check_code(FT_STAFF_LIST, 0, "[\"x\"]", c), "type");
	CHECK_STR(check_code(FT_STAFF_LIST, 2, "[1, 2, 3]", c), "too_long");
	CHECK_STR(check_code(FT_STAFF_LIST, 0, "[4, 9, 4]", c), "invalid");
	/* 20 by default. */
	CHECK_STR(check_code(FT_STAFF_LIST, 0,
			     "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,"
			     "20,21]",
			     c),
		  "too_long");
	CHECK_STR(check_code(FT_STAFF_LIST, 0,
			     "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,"
			     "20]",
			     c),
		  "");
	/* The normal form is the set in ascending order; null and [] are
	 * the empty list. */
	struct field f = {.name = "f", .type = FT_STAFF_LIST};
	json_t *in = json_loads("[9, 2, 30]", 0, NULL),
	       *out = field_normalise(&f, in);
	char *text = json_dumps(out, JSON_COMPACT);
	CHECK_STR(text, "[2,9,30]");
	free(text);
	json_t *other = json_loads("[30, 9, 2]", 0, NULL),
	       *out2 = field_normalise(&f, other);
	CHECK(json_equal(out, out2));
	json_decref(in);
	json_decref(out);
	json_decref(other);
	json_decref(out2);
	out = field_normalise(&f, json_null());
	CHECK(json_is_array(out) && json_array_size(out) == 0);
	json_decref(out);
	/* Joined: no column to bind or write; filtered by id, `me` allowed. */
	const struct ftype_ops *t = ftype_of(FT_STAFF_LIST);
	CHECK(t->joined && t->array && t->me && !t->sortable);
	CHECK(t->bind == NULL && t->write == NULL);
	CHECK(t->ops & FOP_EQ);
	CHECK(t->ops & FOP_IN);
	CHECK(t->ops & FOP_EMPTY);
	CHECK(!(t->ops & (FOP_RANGE | FOP_CONTAINS)));
	CHECK(ftype_of(FT_STAFF)->me && !ftype_of(FT_INT)->me);
	CHECK_EQ_INT(ftype_by_name("staff_list"), FT_STAFF_LIST);
}

TEST(ftype_normal_forms)
{
	struct field money = {.name = "m", .type = FT_MONEY};
	struct field when = {.name = "w", .type = FT_DATETIME};
	struct field tags = {.name = "t", .type = FT_TAGS};
	struct field text = {.name = "x", .type = FT_TEXT};
	json_t *in = json_real(0.1), *out = field_normalise(&money, in);
	CHECK_STR(json_string_value(out), "0.10");
	json_decref(in);
	json_decref(out);
	in = json_string("2026-01-01T02:00:00+02:00");
	out = field_normalise(&when, in);
	CHECK_STR(json_string_value(out), "2026-01-01T00:00:00.000Z");
	json_decref(in);
	json_decref(out);
	out = field_normalise(&tags, NULL);
	CHECK(json_is_array(out) && json_array_size(out) == 0);
	json_decref(out);
	in = json_string("");
	out = field_normalise(&text, in);
	CHECK(json_is_null(out));
	json_decref(in);
	json_decref(out);
}

TEST(ftype_filter_values_and_names)
{
	struct arena *a = arena_new();
	struct atr_err e = {0};
	struct fvalue v;
	struct field money = {.name = "m", .type = FT_MONEY};
	CHECK_EQ_INT(ftype_of(FT_MONEY)->parse(&money, "12.5", a, &v, &e), 0);
	CHECK(v.is_int && v.i == 1250);
	CHECK_EQ_INT(ftype_of(FT_MONEY)->parse(&money, "x", a, &v, &e), -1);
	CHECK_EQ_INT(e.kind, ATR_E_BAD_REQUEST);
	struct field tags = {.name = "t", .type = FT_TAGS};
	CHECK_EQ_INT(ftype_of(FT_TAGS)->parse(&tags, "vip", a, &v, &e), 0);
	CHECK_STR(v.s, "\"vip\"");
	CHECK(ftype_of(FT_SECRET)->parse == NULL);
	for (int t = 1; t < FT__COUNT; t++)
		CHECK_EQ_INT(ftype_by_name(ftype_of((enum ftype)t)->name), t);
	CHECK_EQ_INT(ftype_by_name("nonsense"), 0);
	char lab[32];
	struct field f = {.name = "assigned_to"};
	CHECK_STR(field_label(&f, lab, sizeof lab), "Assigned to");
	arena_free(a);
}
