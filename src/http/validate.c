/* validate.c — field checks shared by route bodies and entities. */
#include "atrium.h"

#include <ctype.h>
#include <math.h>

#include "core/iso_codes.h"
#include "http/validate.h"

static const struct field no_fields[1];
const struct schema schema_empty = {no_fields, 0};

const struct field *schema_find(const struct schema *s, const char *name)
{
	for (int i = 0; i < s->nfields; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			return &s->fields[i];
	return NULL;
}

bool valid_email(const char *s)
{
	/* Deliberately simple (HTML's "valid e-mail address" shape): one @,
	 * a non-empty local part, a dotted domain of letters, digits, -. */
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@'))
		return false;
	for (const char *p = s; p < at; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p) ||
		    strchr("(),:;<>[]\\\"", *p))
			return false;
	const char *d = at + 1;
	if (!*d || *d == '.' || d[strlen(d) - 1] == '.' || !strchr(d, '.') ||
	    strstr(d, ".."))
		return false;
	for (const char *p = d; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    !((unsigned char)*p & 0x80))
			return false;
	return true;
}

static bool valid_phone(const char *s)
{
	int digits = 0;
	for (const char *p = s; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (!strchr("+-() ./x", *p))
			return false;
	}
	return digits >= 3;
}

static bool valid_url(const char *s)
{
	const char *rest;
	if (!strncmp(s, "https://", 8))
		rest = s + 8;
	else if (!strncmp(s, "http://", 7))
		rest = s + 7;
	else
		return false;
	if (!*rest || *rest == '/' || *rest == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return false;
	return true;
}

static bool upper_code(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return true;
}

int money_parse(const char *s, int64_t *cents)
{
	const char *p = s;
	bool neg = false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	int64_t whole = 0;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (INT64_MAX / 100 - 9) / 10)
			return -1;
		whole = whole * 10 + (*p - '0');
	}
	int64_t frac = 0;
	if (*p == '.') {
		p++;
		int nd = 0;
		for (; isdigit((unsigned char)*p); p++, nd++) {
			if (nd >= 2)
				return -1; /* more than two decimals */
			frac = frac * 10 + (*p - '0');
		}
		if (nd == 0)
			return -1;
		if (nd == 1)
			frac *= 10;
	}
	if (*p)
		return -1;
	int64_t v = whole * 100 + frac;
	*cents = neg ? -v : v;
	return 0;
}

void money_format(int64_t cents, char buf[32])
{
	/* By hand: it runs for every money cell of every listed record. */
	uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	char t[32];
	int i = sizeof t;
	t[--i] = 0;
	t[--i] = (char)('0' + a % 10);
	t[--i] = (char)('0' + a / 10 % 10);
	t[--i] = '.';
	a /= 100;
	do {
		t[--i] = (char)('0' + a % 10);
		a /= 10;
	} while (a);
	if (cents < 0)
		t[--i] = '-';
	memcpy(buf, t + i, sizeof t - (size_t)i);
}

bool money_from_json(const json_t *v, int64_t *cents)
{
	if (json_is_string(v))
		return money_parse(json_string_value(v), cents) == 0;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i > INT64_MAX / 100 || i < -(INT64_MAX / 100))
			return false;
		*cents = (int64_t)i * 100;
		return true;
	}
	if (json_is_real(v)) {
		/* A number is an amount when its two-decimal form reads back
		 * as the very same double: 0.1 and 1250.0 are, 12.345 is not. */
		double d = json_real_value(v);
		char tmp[64];
		if (!isfinite(d) || fabs(d) > 9e16)
			return false;
		snprintf(tmp, sizeof tmp, "%.2f", d);
		if (strtod(tmp, NULL) != d)
			return false;
		return money_parse(tmp, cents) == 0;
	}
	return false;
}

/* Characters (code points) in valid UTF-8 s. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n++;
	return n;
}

/* A line break or control character: C0 (but tab, LF, CR in multi-line
 * text), DEL, C1 (U+0080..U+009F) and the Unicode line and paragraph
 * separators. Returns its length in bytes, 0 for an ordinary character. */
static int control_at(const unsigned char *p, bool multiline)
{
	if (*p < 0x20)
		return multiline && (*p == '\n' || *p == '\r' || *p == '\t')
			       ? 0
			       : 1;
	if (*p == 0x7f)
		return 1;
	if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
		return 2;
	if (!multiline && p[0] == 0xE2 && p[1] == 0x80 &&
	    (p[2] == 0xA8 || p[2] == 0xA9))
		return 3;
	return 0;
}

static int text_check(const struct field *f, const char *s,
		      struct atr_err *err)
{
	/* Length as a form's counter shows it, in characters; a secret and
	 * an email address in bytes (the password policy counts characters
	 * itself; SMTP limits addresses in octets). Too long is refused,
	 * never cut. */
	bool bytes = f->type == FT_SECRET || f->type == FT_EMAIL;
	size_t n = bytes ? strlen(s) : utf8_chars(s);
	int max = f->max > 0 ? f->max : 1000;
	if ((int64_t)n > max) {
		atr_field(err, f->name, "too_long", "must be at most %d %s",
			  max, bytes ? "bytes" : "characters");
		return -1;
	}
	if ((f->flags & F_REQUIRED) && f->type != FT_SECRET) {
		const char *p = s;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p) {
			atr_field(err, f->name, "required", "must not be empty");
			return -1;
		}
	}
	/* One line unless the field says otherwise: a CR or LF in a name
	 * would reach the text (or headers) of every email that names it. */
	bool multiline = (f->flags & F_MULTILINE) || f->type == FT_SECRET;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (control_at(p, multiline)) {
			atr_field(err, f->name, "invalid",
				  multiline ? "must not contain control "
					      "characters"
					    : "must be one line without control "
					      "characters");
			return -1;
		}
	return 0;
}

int validate_value(const struct field *f, const json_t *v,
		   struct atr_err *err)
{
	const char *s;
	switch (f->type) {
	case FT_TEXT:
	case FT_SECRET:
	case FT_EMAIL:
	case FT_PHONE:
	case FT_URL:
	case FT_ENUM:
	case FT_CURRENCY:
	case FT_COUNTRY:
		if (!json_is_string(v)) {
			atr_field(err, f->name, "type", "must be a string");
			return -1;
		}
		s = json_string_value(v);
		if (text_check(f, s, err) < 0)
			return -1;
		break;
	case FT_MONEY: {
		int64_t c;
		if (!json_is_string(v) && !json_is_number(v)) {
			atr_field(err, f->name, "type",
				  "must be a decimal string or a number");
			return -1;
		}
		if (!money_from_json(v, &c)) {
			atr_field(err, f->name, "invalid",
				  "must be an amount with at most two "
				  "decimals, like \"1250.00\"");
			return -1;
		}
		return 0;
	}
	case FT_STAFF:
	case FT_INT:
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			atr_field(err, f->name, "type",
				  "must be a positive integer id");
			return -1;
		}
		return 0;
	case FT_BOOL:
		if (!json_is_boolean(v)) {
			atr_field(err, f->name, "type", "must be true or false");
			return -1;
		}
		return 0;
	case FT_IDS: {
		int max = f->max > 0 ? f->max : 100;
		if (!json_is_array(v) || (int)json_array_size(v) > max) {
			atr_field(err, f->name, "type",
				  "must be an array of at most %d ids", max);
			return -1;
		}
		size_t i, j;
		json_t *t;
		json_array_foreach(v, i, t)
		{
			if (!json_is_integer(t) || json_integer_value(t) < 1) {
				atr_field(err, f->name, "type",
					  "items must be positive integer ids");
				return -1;
			}
			for (j = 0; j < i; j++)
				if (json_integer_value(json_array_get(v, j)) ==
				    json_integer_value(t)) {
					atr_field(err, f->name, "invalid",
						  "id %lld is listed twice",
						  (long long)json_integer_value(
							  t));
					return -1;
				}
		}
		return 0;
	}
	case FT_OBJECT:
		if (!json_is_object(v)) {
			atr_field(err, f->name, "type", "must be an object");
			return -1;
		}
		return 0;
	case FT_TAGS: {
		if (!json_is_array(v)) {
			atr_field(err, f->name, "type",
				  "must be an array of strings");
			return -1;
		}
		int max = f->max > 0 ? f->max : 20;
		if ((int)json_array_size(v) > max) {
			atr_field(err, f->name, "too_long",
				  "must have at most %d items", max);
			return -1;
		}
		size_t i;
		json_t *t;
		json_array_foreach(v, i, t)
		{
			if (!json_is_string(t) || !json_string_length(t)) {
				atr_field(err, f->name, "type",
					  "items must be non-empty strings");
				return -1;
			}
			if (json_string_length(t) > 50) {
				atr_field(err, f->name, "too_long",
					  "items must be at most 50 bytes");
				return -1;
			}
			for (const char *p = json_string_value(t); *p; p++)
				if ((unsigned char)*p < 0x20) {
					atr_field(err, f->name, "invalid",
						  "items must not contain "
						  "control characters");
					return -1;
				}
		}
		return 0;
	}
	}

	s = json_string_value(v);
	switch (f->type) {
	case FT_EMAIL:
		if (*s && !valid_email(s)) {
			atr_field(err, f->name, "invalid",
				  "not an email address");
			return -1;
		}
		break;
	case FT_PHONE:
		if (*s && !valid_phone(s)) {
			atr_field(err, f->name, "invalid",
				  "not a phone number");
			return -1;
		}
		break;
	case FT_URL:
		if (*s && !valid_url(s)) {
			atr_field(err, f->name, "invalid",
				  "must be an http:// or https:// address");
			return -1;
		}
		break;
	case FT_ENUM: {
		for (const char *const *c = f->choices; *c; c++)
			if (strcmp(*c, s) == 0)
				return 0;
		char list[160] = "";
		size_t n = 0;
		for (const char *const *c = f->choices; *c && n < 150; c++)
			n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
					      n ? ", " : "", *c);
		atr_field(err, f->name, "not_allowed", "must be one of: %s",
			  list);
		return -1;
	}
	case FT_CURRENCY:
		/* Only real codes: "XYZ" and "DOL" have the shape but are no
		 * currency (the list: core/iso_codes.c). */
		if (!upper_code(s, 3) || !iso_currency(s)) {
			atr_field(err, f->name, "invalid",
				  "must be an ISO 4217 currency code like EUR");
			return -1;
		}
		break;
	case FT_COUNTRY:
		if (!upper_code(s, 2) || !iso_country(s)) {
			atr_field(err, f->name, "invalid",
				  "must be an ISO 3166-1 country code like RO");
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

int validate_body(const json_t *body, const struct schema *s, enum vmode mode,
		  struct atr_err *err)
{
	int before = err->nfields;
	if (!json_is_object(body)) {
		atr_field(err, "", "type", "the body must be a JSON object");
		return -1;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v)
	{
		const struct field *f = schema_find(s, key);
		if (!f) {
			atr_field(err, key, "unknown_field", "unknown field");
			continue;
		}
		if (json_is_null(v)) {
			if (f->flags & F_REQUIRED)
				atr_field(err, key, "required",
					  "must not be null");
			continue;
		}
		validate_value(f, v, err);
	}
	if (mode == V_CREATE) {
		for (int i = 0; i < s->nfields; i++) {
			const struct field *f = &s->fields[i];
			if ((f->flags & F_REQUIRED) &&
			    !json_object_get(body, f->name))
				atr_field(err, f->name, "required",
					  "is required");
		}
	}
	return err->nfields > before || err->kind != ATR_E_NONE ? -1 : 0;
}
