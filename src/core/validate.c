/* validate.c — field checks shared by route bodies and entities. */
#include "atrium.h"

#include <ctype.h>
#include <math.h>
#include <time.h>

#include "core/ftype.h"
#include "core/validate.h"

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

/* 10^n for n in 0..6. */
static const int64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
#define SCALE_MAX 6

int decimal_parse(const char *s, int scale, int64_t *out)
{
	if (scale < 0 || scale > SCALE_MAX)
		return -1;
	int64_t unit = pow10[scale];
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
		if (whole > (INT64_MAX / unit - 9) / 10)
			return -1;
		whole = whole * 10 + (*p - '0');
	}
	int64_t frac = 0;
	int nd = 0;
	if (*p == '.') {
		p++;
		for (; isdigit((unsigned char)*p); p++, nd++) {
			if (nd >= scale)
				return -1; /* more places than the scale */
			frac = frac * 10 + (*p - '0');
		}
		if (nd == 0)
			return -1;
	}
	if (*p)
		return -1;
	int64_t v = whole * unit + frac * pow10[scale - nd];
	*out = neg ? -v : v;
	return 0;
}

void decimal_format(int64_t v, int scale, char buf[40])
{
	/* By hand: it runs for every money cell of every listed record. */
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char t[40];
	int i = sizeof t;
	t[--i] = 0;
	for (int k = 0; k < scale; k++) {
		t[--i] = (char)('0' + a % 10);
		a /= 10;
	}
	if (scale > 0)
		t[--i] = '.';
	do {
		t[--i] = (char)('0' + a % 10);
		a /= 10;
	} while (a);
	if (v < 0)
		t[--i] = '-';
	memcpy(buf, t + i, sizeof t - (size_t)i);
}

bool decimal_from_json(const json_t *v, int scale, int64_t *out)
{
	if (scale < 0 || scale > SCALE_MAX)
		return false;
	if (json_is_string(v))
		return decimal_parse(json_string_value(v), scale, out) == 0;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i > INT64_MAX / pow10[scale] ||
		    i < -(INT64_MAX / pow10[scale]))
			return false;
		*out = (int64_t)i * pow10[scale];
		return true;
	}
	if (json_is_real(v)) {
		/* A number is exact at this scale when its scale-place form
		 * reads back as the very same double: 0.1 and 1250.0 are at
		 * scale 2, 12.345 is not. */
		double d = json_real_value(v);
		char tmp[64];
		if (!isfinite(d) || fabs(d) > 9e15)
			return false;
		snprintf(tmp, sizeof tmp, "%.*f", scale, d);
		if (strtod(tmp, NULL) != d)
			return false;
		return decimal_parse(tmp, scale, out) == 0;
	}
	return false;
}

int money_parse(const char *s, int64_t *cents)
{
	return decimal_parse(s, 2, cents);
}

bool money_from_json(const json_t *v, int64_t *cents)
{
	return decimal_from_json(v, 2, cents);
}

void money_format(int64_t cents, char buf[32])
{
	char t[40];
	decimal_format(cents, 2, t);
	atr_strlcpy(buf, t, 32);
}

bool valid_date(const char *s)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
		(s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[m - 1] + (m == 2 && leap);
}

/* n digits at s as an int, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int datetime_normalise(const char *s, char out[ATR_TIME_LEN])
{
	/* YYYY-MM-DDTHH:MM[:SS[.fff...]](Z|+HH:MM|-HH:MM) */
	char date[11];
	if (strlen(s) < 17 || strlen(s) > 40)
		return -1;
	memcpy(date, s, 10);
	date[10] = 0;
	if (!valid_date(date) || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	const char *p = s + 11;
	int hh = digits(p, 2), mi = p[2] == ':' ? digits(p + 3, 2) : -1;
	int ss = 0, ms = 0;
	p += 5;
	if (hh < 0 || hh > 23 || mi < 0 || mi > 59)
		return -1;
	if (*p == ':') {
		ss = digits(p + 1, 2);
		if (ss < 0 || ss > 59)
			return -1;
		p += 3;
		if (*p == '.') {
			p++;
			int nd = 0;
			for (; isdigit((unsigned char)*p); p++, nd++)
				if (nd < 3)
					ms = ms * 10 + (*p - '0');
			if (nd == 0)
				return -1;
			for (; nd < 3; nd++)
				ms *= 10;
		}
	}
	int off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh = digits(p + 1, 2), om = p[3] == ':' ? digits(p + 4, 2) : -1;
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	struct tm tm = {0};
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_hour = hh;
	tm.tm_min = mi;
	tm.tm_sec = ss;
	int64_t t = (int64_t)timegm(&tm) * 1000 + ms - (int64_t)off * 60000;
	atr_time_iso(t, out);
	return 0;
}

int validate_value(const struct field *f, const json_t *v,
		   struct atr_err *err)
{
	return ftype_of(f->type)->check(f, v, err);
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
		if (f->flags & F_READONLY) {
			atr_field(err, key, "read_only",
				  "is set by Atrium, not by a request");
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
