/* fuzz_json_body.c — libFuzzer harness for http/json_body.c and the body
 * validator (core/validate.c).
 *
 * Any input: json_body_parse either refuses it with a 400 and no value, or
 * yields an object that validate_body then checks against a schema using
 * every field type, in both modes. Along the way, string values that parse
 * as money must survive a format/parse round trip.
 *
 *   make build/fuzz/fuzz_json_body
 *   build/fuzz/fuzz_json_body tests/fuzz/corpus/json_body   (mutates it!)
 * scripts/fuzz-smoke runs it over a copy for a bounded time.
 */
#include "atrium.h"

#include "http/json_body.h"
#include "core/validate.h"

static const char *const stages[] = {"new", "contacted", "won", "lost", NULL};

static const struct field fields[] = {
	{"name", FT_TEXT, F_REQUIRED, 120, NULL, NULL},
	{"password", FT_SECRET, 0, 1024, NULL, NULL},
	{"email", FT_EMAIL, 0, 254, NULL, NULL},
	{"phone", FT_PHONE, 0, 40, NULL, NULL},
	{"website", FT_URL, 0, 500, NULL, NULL},
	{"status", FT_ENUM, F_REQUIRED, 0, stages, "new"},
	{"value", FT_MONEY, 0, 0, NULL, NULL},
	{"currency", FT_CURRENCY, 0, 0, NULL, NULL},
	{"country", FT_COUNTRY, 0, 0, NULL, NULL},
	{"owner", FT_STAFF, 0, 0, NULL, NULL},
	{"tags", FT_TAGS, 0, 5, NULL, NULL},
	{"count", FT_INT, 0, 0, NULL, NULL},
	{"vip", FT_BOOL, 0, 0, NULL, NULL},
	{"teams", FT_IDS, 0, 0, NULL, NULL},
	{"custom", FT_OBJECT, 0, 0, NULL, NULL},
};
static const struct schema schema = SCHEMA(fields);

static void money_round_trip(const char *s)
{
	int64_t c, back;
	char buf[32];
	if (money_parse(s, &c) != 0)
		return;
	money_format(c, buf);
	ATR_ASSERT(money_parse(buf, &back) == 0);
	ATR_ASSERT(back == c);
}

static void check_body(json_t *v, enum vmode mode)
{
	static struct atr_err err; /* 17 KiB: keep it off the stack */
	memset(&err, 0, sizeof err);
	int rc = validate_body(v, &schema, mode, &err);
	/* Valid exactly when nothing was recorded. */
	ATR_ASSERT((rc == 0) == (err.nfields == 0 && err.kind == ATR_E_NONE));
	ATR_ASSERT(err.nfields <= ATR_MAX_FIELD_ERRORS);
	for (int i = 0; i < err.nfields; i++) {
		ATR_ASSERT(err.fields[i].code[0] != 0);
		ATR_ASSERT(memchr(err.fields[i].field, 0,
				  sizeof err.fields[i].field) != NULL);
		ATR_ASSERT(memchr(err.fields[i].detail, 0,
				  sizeof err.fields[i].detail) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct atr_err err;
	memset(&err, 0, sizeof err);
	json_t *v = (json_t *)&err; /* must be overwritten */
	int rc = json_body_parse((const char *)data, size, &v, &err);
	if (rc != 0) {
		ATR_ASSERT(rc == -1);
		ATR_ASSERT(v == NULL);
		ATR_ASSERT(err.kind == ATR_E_BAD_REQUEST);
		ATR_ASSERT(err.msg[0] != 0);
		return 0;
	}
	ATR_ASSERT(json_is_object(v));
	check_body(v, V_CREATE);
	check_body(v, V_PATCH);

	const char *key;
	json_t *val;
	json_object_foreach(v, key, val)
	{
		int64_t c;
		if (json_is_string(val))
			money_round_trip(json_string_value(val));
		(void)money_from_json(val, &c);
		if (json_is_string(val))
			(void)valid_email(json_string_value(val));
	}
	json_decref(v);
	return 0;
}
