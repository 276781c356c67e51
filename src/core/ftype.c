/* ftype.c — the field-type table (see ftype.h). */
#include "atrium.h"

#include <ctype.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/iso_codes.h"
#include "core/json_out.h"
#include "db/db.h"
#include "core/ftype.h"

/* ---- checks --------------------------------------------------------------- */

static int not_string(const struct field *f, struct atr_err *err)
{
	atr_field(err, f->name, "type", "must be a string");
	return -1;
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

/* Length, required-ness and control characters of a text value. */
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

static int check_text(const struct field *f, const json_t *v,
		      struct atr_err *err)
{
	if (!json_is_string(v))
		return not_string(f, err);
	return text_check(f, json_string_value(v), err);
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

/* The shape check of a string type. "" means unset for free-form kinds
 * (email, phone, url); codes, dates and times must be whole (null clears
 * them). */
static int shape(const struct field *f, const char *s, struct atr_err *err)
{
	if (!*s && (f->type == FT_EMAIL || f->type == FT_PHONE ||
		    f->type == FT_URL || f->type == FT_TEXT))
		return 0;
	switch (f->type) {
	case FT_EMAIL:
		if (!valid_email(s)) {
			atr_field(err, f->name, "invalid",
				  "not an email address");
			return -1;
		}
		return 0;
	case FT_PHONE:
		if (!valid_phone(s)) {
			atr_field(err, f->name, "invalid",
				  "not a phone number");
			return -1;
		}
		return 0;
	case FT_URL:
		if (!valid_url(s)) {
			atr_field(err, f->name, "invalid",
				  "must be an http:// or https:// address");
			return -1;
		}
		return 0;
	case FT_CURRENCY:
		/* Only real codes: "XYZ" and "DOL" have the shape but are no
		 * currency (the list: core/iso_codes.c). */
		if (!upper_code(s, 3) || !iso_currency(s)) {
			atr_field(err, f->name, "invalid",
				  "must be an ISO 4217 currency code like EUR");
			return -1;
		}
		return 0;
	case FT_COUNTRY:
		if (!upper_code(s, 2) || !iso_country(s)) {
			atr_field(err, f->name, "invalid",
				  "must be an ISO 3166-1 country code like RO");
			return -1;
		}
		return 0;
	case FT_DATE:
		if (!valid_date(s)) {
			atr_field(err, f->name, "invalid",
				  "must be a date like 2026-12-31");
			return -1;
		}
		return 0;
	case FT_DATETIME: {
		char t[ATR_TIME_LEN];
		if (datetime_normalise(s, t) < 0) {
			atr_field(err, f->name, "invalid",
				  "must be a time like "
				  "2026-12-31T09:30:00Z (RFC 3339)");
			return -1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static int check_shaped(const struct field *f, const json_t *v,
			struct atr_err *err)
{
	if (check_text(f, v, err) < 0)
		return -1;
	return shape(f, json_string_value(v), err);
}

/* "must be one of: a, b, c" for a value outside f's choices. */
static int not_a_choice(const struct field *f, const char *what,
			struct atr_err *err)
{
	char list[160] = "";
	size_t n = 0;
	for (const char *const *c = f->choices; *c && n < 150; c++)
		n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
				      n ? ", " : "", *c);
	atr_field(err, f->name, "not_allowed", "%s must be one of: %s", what,
		  list);
	return -1;
}

static bool is_choice(const struct field *f, const char *s)
{
	for (const char *const *c = f->choices; c && *c; c++)
		if (!strcmp(*c, s))
			return true;
	return false;
}

static int check_enum(const struct field *f, const json_t *v,
		      struct atr_err *err)
{
	if (check_text(f, v, err) < 0)
		return -1;
	return is_choice(f, json_string_value(v)) ? 0
						  : not_a_choice(f, "it", err);
}

static int check_decimal(const struct field *f, const json_t *v,
			 struct atr_err *err)
{
	int64_t x;
	if (!json_is_string(v) && !json_is_number(v)) {
		atr_field(err, f->name, "type",
			  "must be a decimal string or a number");
		return -1;
	}
	int scale = f->type == FT_MONEY ? 2 : f->scale;
	if (!decimal_from_json(v, scale, &x)) {
		if (f->type == FT_MONEY)
			atr_field(err, f->name, "invalid",
				  "must be an amount with at most two "
				  "decimals, like \"1250.00\"");
		else
			atr_field(err, f->name, "invalid",
				  "must be a number with at most %d "
				  "decimals",
				  scale);
		return -1;
	}
	return 0;
}

static int check_id(const struct field *f, const json_t *v,
		    struct atr_err *err)
{
	if ((f->flags & F_ZERO) && f->type == FT_INT) {
		if (!json_is_integer(v)) {
			atr_field(err, f->name, "type", "must be an integer");
			return -1;
		}
		if (json_integer_value(v) < 0) {
			atr_field(err, f->name, "out_of_range",
				  "must be 0 or more");
			return -1;
		}
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		atr_field(err, f->name, "type", "must be a positive integer id");
		return -1;
	}
	return 0;
}

static int check_bool(const struct field *f, const json_t *v,
		      struct atr_err *err)
{
	if (!json_is_boolean(v)) {
		atr_field(err, f->name, "type", "must be true or false");
		return -1;
	}
	return 0;
}

static int check_ids(const struct field *f, const json_t *v,
		     struct atr_err *err)
{
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
					  (long long)json_integer_value(t));
				return -1;
			}
	}
	return 0;
}

/* A list of staff members: distinct positive ids, at most max (default
 * 20). A repeated id is refused rather than collapsed: a client that
 * sends [3, 3] has a bug worth hearing about, as FT_IDS says too. Whether
 * each id is an active member of the organisation is the entity code's
 * check (it needs the database). */
static int check_staff_list(const struct field *f, const json_t *v,
			    struct atr_err *err)
{
	int max = f->max > 0 ? f->max : 20;
	if (!json_is_array(v)) {
		atr_field(err, f->name, "type",
			  "must be an array of staff member ids");
		return -1;
	}
	if ((int)json_array_size(v) > max) {
		atr_field(err, f->name, "too_long",
			  "must have at most %d staff members", max);
		return -1;
	}
	size_t i, j;
	json_t *t;
	json_array_foreach(v, i, t)
	{
		if (!json_is_integer(t) || json_integer_value(t) < 1) {
			atr_field(err, f->name, "type",
				  "items must be positive integer staff "
				  "member ids");
			return -1;
		}
		for (j = 0; j < i; j++)
			if (json_integer_value(json_array_get(v, j)) ==
			    json_integer_value(t)) {
				atr_field(err, f->name, "invalid",
					  "staff member %lld is listed twice",
					  (long long)json_integer_value(t));
				return -1;
			}
	}
	return 0;
}

static int check_object(const struct field *f, const json_t *v,
			struct atr_err *err)
{
	if (!json_is_object(v)) {
		atr_field(err, f->name, "type", "must be an object");
		return -1;
	}
	return 0;
}

/* Items (a document's lines): an array of objects, at most max (500
 * when unset); what each object holds is the entity's to check. */
static int check_items(const struct field *f, const json_t *v,
		       struct atr_err *err)
{
	int max = f->max > 0 ? f->max : 500;
	size_t i;
	const json_t *it;
	if (!json_is_array(v)) {
		atr_field(err, f->name, "type", "must be an array of objects");
		return -1;
	}
	if ((int)json_array_size(v) > max) {
		atr_field(err, f->name, "too_many", "at most %d items", max);
		return -1;
	}
	json_array_foreach(v, i, it)
	{
		if (!json_is_object(it)) {
			atr_field(err, f->name, "type",
				  "item %zu must be an object", i + 1);
			return -1;
		}
	}
	return 0;
}

/* Tags (free strings) and multi-select (choices): arrays of distinct,
 * short, single-line strings. */
static int check_array(const struct field *f, const json_t *v,
		       struct atr_err *err)
{
	if (!json_is_array(v)) {
		atr_field(err, f->name, "type", "must be an array of strings");
		return -1;
	}
	int max = f->max > 0 ? f->max : 20;
	if ((int)json_array_size(v) > max) {
		atr_field(err, f->name, "too_long", "must have at most %d items",
			  max);
		return -1;
	}
	size_t i, j;
	json_t *t;
	json_array_foreach(v, i, t)
	{
		if (!json_is_string(t) || !json_string_length(t)) {
			atr_field(err, f->name, "type",
				  "items must be non-empty strings");
			return -1;
		}
		if (utf8_chars(json_string_value(t)) > 50) {
			atr_field(err, f->name, "too_long",
				  "items must be at most 50 characters");
			return -1;
		}
		for (const unsigned char *p =
			     (const unsigned char *)json_string_value(t);
		     *p; p++)
			if (control_at(p, false)) {
				atr_field(err, f->name, "invalid",
					  "items must not contain control "
					  "characters");
				return -1;
			}
		if (f->type == FT_MULTI && !is_choice(f, json_string_value(t)))
			return not_a_choice(f, "each item", err);
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(v, j), t)) {
				atr_field(err, f->name, "invalid",
					  "'%s' is listed twice",
					  json_string_value(t));
				return -1;
			}
	}
	return 0;
}

/* ---- binding -------------------------------------------------------------- */

static void bind_text(struct db_stmt *st, int idx, const struct field *f,
		      const json_t *v)
{
	const char *s = json_string_value(v);
	if (!s || !*s)
		db_bind_null(st, idx);
	else
		db_bind_text(st, idx, s);
}

static void bind_datetime(struct db_stmt *st, int idx, const struct field *f,
			  const json_t *v)
{
	char t[ATR_TIME_LEN];
	const char *s = json_string_value(v);
	if (!s || !*s || datetime_normalise(s, t) < 0)
		db_bind_null(st, idx);
	else
		db_bind_text(st, idx, t);
}

static void bind_decimal(struct db_stmt *st, int idx, const struct field *f,
			 const json_t *v)
{
	int64_t x = 0;
	if (!decimal_from_json(v, f->type == FT_MONEY ? 2 : f->scale, &x))
		db_bind_null(st, idx);
	else
		db_bind_int(st, idx, x);
}

static void bind_int(struct db_stmt *st, int idx, const struct field *f,
		     const json_t *v)
{
	if (json_is_integer(v))
		db_bind_int(st, idx, (int64_t)json_integer_value(v));
	else
		db_bind_null(st, idx);
}

static void bind_bool(struct db_stmt *st, int idx, const struct field *f,
		      const json_t *v)
{
	if (json_is_boolean(v))
		db_bind_int(st, idx, json_is_true(v));
	else
		db_bind_null(st, idx);
}

/* Arrays and objects as their JSON text; an empty array is NULL. */
static void bind_json(struct db_stmt *st, int idx, const struct field *f,
		      const json_t *v)
{
	if (!v || json_is_null(v) ||
	    (json_is_array(v) && json_array_size(v) == 0)) {
		db_bind_null(st, idx);
		return;
	}
	char *s = json_dumps(v, JSON_COMPACT);
	db_bind_text(st, idx, s);
	free(s);
}

void field_bind(struct db_stmt *st, int idx, const struct field *f,
		const json_t *v)
{
	ATR_ASSERT(!ftype_of(f->type)->joined);
	if (!v || json_is_null(v))
		db_bind_null(st, idx);
	else
		ftype_of(f->type)->bind(st, idx, f, v);
}

/* ---- writing -------------------------------------------------------------- */

static void write_text(struct buf *b, const struct field *f,
		       struct db_stmt *st, int col)
{
	jout_str(b, db_col_text(st, col));
}

static void write_int(struct buf *b, const struct field *f,
		      struct db_stmt *st, int col)
{
	jout_int(b, db_col_int(st, col));
}

static void write_bool(struct buf *b, const struct field *f,
		       struct db_stmt *st, int col)
{
	buf_adds(b, db_col_int(st, col) ? "true" : "false");
}

static void write_decimal(struct buf *b, const struct field *f,
			  struct db_stmt *st, int col)
{
	char m[40];
	decimal_format(db_col_int(st, col), f->type == FT_MONEY ? 2 : f->scale,
		       m);
	jout_str(b, m);
}

/* Stored as JSON by us; re-encoded so a hand-edited row can never make the
 * response invalid. */
static void write_json(struct buf *b, const struct field *f,
		       struct db_stmt *st, int col)
{
	json_t *t = json_loads(db_col_text(st, col), 0, NULL);
	bool ok = ftype_of(f->type)->array ? json_is_array(t) : t != NULL;
	char *enc = ok ? json_dumps(t, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	buf_adds(b, enc ? enc : ftype_of(f->type)->array ? "[]" : "null");
	free(enc);
	json_decref(t);
}

void field_write(struct buf *b, const struct field *f, struct db_stmt *st,
		 int col)
{
	ATR_ASSERT(!ftype_of(f->type)->joined);
	if (db_col_null(st, col))
		buf_adds(b, ftype_of(f->type)->array ? "[]" : "null");
	else
		ftype_of(f->type)->write(b, f, st, col);
}

/* ---- normalising ---------------------------------------------------------- */

static json_t *norm_copy(const struct field *f, const json_t *v)
{
	if (json_is_string(v) && !*json_string_value(v))
		return json_null();
	return json_deep_copy(v);
}

static json_t *norm_decimal(const struct field *f, const json_t *v)
{
	int64_t x = 0;
	char m[40];
	int scale = f->type == FT_MONEY ? 2 : f->scale;
	if (!decimal_from_json(v, scale, &x))
		return json_null();
	decimal_format(x, scale, m);
	return json_string(m);
}

static json_t *norm_datetime(const struct field *f, const json_t *v)
{
	char t[ATR_TIME_LEN];
	const char *s = json_string_value(v);
	if (!s || !*s || datetime_normalise(s, t) < 0)
		return json_null();
	return json_string(t);
}

static int id_cmp(const void *a, const void *b)
{
	json_int_t x = *(const json_int_t *)a, y = *(const json_int_t *)b;
	return x < y ? -1 : x > y;
}

/* A staff list in ascending order: the order a read gives back (the list
 * is a set; [7, 3] and [3, 7] are the same value, so no diff). */
static json_t *norm_ids(const struct field *f, const json_t *v)
{
	size_t n = json_array_size(v);
	json_int_t *ids = xcalloc(n + 1, sizeof *ids);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (json_is_integer(json_array_get(v, i)))
			ids[k++] = json_integer_value(json_array_get(v, i));
	qsort(ids, k, sizeof *ids, id_cmp);
	json_t *out = json_array();
	for (size_t i = 0; i < k; i++)
		if (!i || ids[i] != ids[i - 1])
			json_array_append_new(out, json_integer(ids[i]));
	free(ids);
	return out;
}

json_t *field_normalise(const struct field *f, const json_t *v)
{
	const struct ftype_ops *t = ftype_of(f->type);
	if (!v || json_is_null(v) ||
	    (t->array && json_is_array(v) && !json_array_size(v)))
		return t->array ? json_array() : json_null();
	return t->normalise(f, v);
}

/* ---- a JSON document instead of a column ---------------------------------- */

json_t *field_stored(const struct field *f, const json_t *v)
{
	const struct ftype_ops *t = ftype_of(f->type);
	json_t *n = field_normalise(f, v);
	if (json_is_null(n) || t->sql != FSQL_INT)
		return n;
	json_t *out = json_null();
	int64_t x;
	if (f->type == FT_BOOL)
		out = json_integer(json_is_true(n));
	else if (json_is_integer(n))
		out = json_integer(json_integer_value(n));
	else if (decimal_from_json(n, f->type == FT_MONEY ? 2 : f->scale, &x))
		out = json_integer(x);
	json_decref(n);
	return out;
}

json_t *field_api(const struct field *f, const json_t *stored)
{
	const struct ftype_ops *t = ftype_of(f->type);
	if (!stored || json_is_null(stored))
		return t->array ? json_array() : json_null();
	if (t->array)
		return json_is_array(stored) ? json_deep_copy(stored)
					     : json_array();
	if (t->sql != FSQL_INT)
		return json_is_string(stored) ? json_deep_copy(stored)
					      : json_null();
	if (!json_is_integer(stored))
		return json_null();
	json_int_t i = json_integer_value(stored);
	if (f->type == FT_BOOL)
		return json_boolean(i != 0);
	if (f->type == FT_MONEY || f->type == FT_DECIMAL) {
		char m[40];
		decimal_format(i, f->type == FT_MONEY ? 2 : f->scale, m);
		return json_string(m);
	}
	return json_integer(i);
}

/* ---- filter values -------------------------------------------------------- */

static int parse_text(const struct field *f, const char *text,
		      struct arena *a, struct fvalue *out, struct atr_err *err)
{
	struct atr_err fe = {0};
	if (shape(f, text, &fe) < 0)
		return atr_fail(err, ATR_E_BAD_REQUEST, "%s: %s", f->name,
				fe.fields[0].detail);
	/* Longer than the field holds: it matches nothing, and is refused
	 * like any other value the field could not take. */
	if (f->max > 0 && f->type != FT_EMAIL &&
	    utf8_chars(text) > (size_t)f->max)
		return atr_fail(err, ATR_E_BAD_REQUEST,
				"%s must be at most %d characters", f->name,
				f->max);
	*out = (struct fvalue){false, 0, arena_strdup(a, text)};
	return 0;
}

static int parse_enum(const struct field *f, const char *text,
		      struct arena *a, struct fvalue *out, struct atr_err *err)
{
	if (!is_choice(f, text)) {
		struct atr_err fe = {0};
		not_a_choice(f, "it", &fe);
		return atr_fail(err, ATR_E_BAD_REQUEST, "%s: %s", f->name,
				fe.fields[0].detail);
	}
	*out = (struct fvalue){false, 0, arena_strdup(a, text)};
	return 0;
}

static int parse_datetime(const struct field *f, const char *text,
			  struct arena *a, struct fvalue *out,
			  struct atr_err *err)
{
	char t[ATR_TIME_LEN];
	if (datetime_normalise(text, t) < 0)
		return atr_fail(err, ATR_E_BAD_REQUEST,
				"%s must be a time like 2026-12-31T09:30:00Z",
				f->name);
	*out = (struct fvalue){false, 0, arena_strdup(a, t)};
	return 0;
}

static int parse_int(const struct field *f, const char *text,
		     struct arena *a, struct fvalue *out, struct atr_err *err)
{
	int64_t n;
	if (atr_parse_i64(text, &n) < 0)
		return atr_fail(err, ATR_E_BAD_REQUEST,
				"%s must be an integer", f->name);
	*out = (struct fvalue){true, n, NULL};
	return 0;
}

static int parse_decimal(const struct field *f, const char *text,
			 struct arena *a, struct fvalue *out,
			 struct atr_err *err)
{
	int64_t x;
	int scale = f->type == FT_MONEY ? 2 : f->scale;
	if (decimal_parse(text, scale, &x) < 0)
		return atr_fail(err, ATR_E_BAD_REQUEST,
				"%s must be a number with at most %d decimals",
				f->name, scale);
	*out = (struct fvalue){true, x, NULL};
	return 0;
}

static int parse_bool(const struct field *f, const char *text,
		      struct arena *a, struct fvalue *out, struct atr_err *err)
{
	bool t = !strcmp(text, "true") || !strcmp(text, "1");
	if (!t && strcmp(text, "false") && strcmp(text, "0"))
		return atr_fail(err, ATR_E_BAD_REQUEST,
				"%s must be true or false", f->name);
	*out = (struct fvalue){true, t, NULL};
	return 0;
}

/* An array filter looks for the JSON-encoded item, quotes included, in the
 * stored JSON text. */
static int parse_item(const struct field *f, const char *text,
		      struct arena *a, struct fvalue *out, struct atr_err *err)
{
	if (f->type == FT_MULTI && !is_choice(f, text)) {
		struct atr_err fe = {0};
		not_a_choice(f, "it", &fe);
		return atr_fail(err, ATR_E_BAD_REQUEST, "%s: %s", f->name,
				fe.fields[0].detail);
	}
	json_t *js = json_string(text);
	char *enc = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
	json_decref(js);
	if (!enc)
		return atr_fail(err, ATR_E_BAD_REQUEST,
				"%s must be valid UTF-8", f->name);
	*out = (struct fvalue){false, 0, arena_strdup(a, enc)};
	free(enc);
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

#define TEXT_OPS (FOP_EQ | FOP_IN | FOP_CONTAINS | FOP_EMPTY)
#define CODE_OPS (FOP_EQ | FOP_IN | FOP_EMPTY)
#define NUM_OPS (FOP_EQ | FOP_IN | FOP_RANGE | FOP_EMPTY)
#define ARRAY_OPS (FOP_CONTAINS | FOP_EMPTY)

static const struct ftype_ops ftypes[FT__COUNT] = {
	[FT_TEXT] = {"text", FSQL_TEXT, TEXT_OPS, true, true, false,
		     check_text, bind_text, write_text, norm_copy, parse_text},
	[FT_SECRET] = {"secret", FSQL_TEXT, 0, false, false, false,
		       check_text, bind_text, write_text, norm_copy, NULL},
	[FT_EMAIL] = {"email", FSQL_TEXT, TEXT_OPS, true, true, false,
		      check_shaped, bind_text, write_text, norm_copy,
		      parse_text},
	[FT_PHONE] = {"phone", FSQL_TEXT, TEXT_OPS, true, true, false,
		      check_shaped, bind_text, write_text, norm_copy,
		      parse_text},
	[FT_URL] = {"url", FSQL_TEXT, TEXT_OPS, true, true, false,
		    check_shaped, bind_text, write_text, norm_copy, parse_text},
	[FT_ENUM] = {"enum", FSQL_TEXT, CODE_OPS, true, true, false,
		     check_enum, bind_text, write_text, norm_copy, parse_enum},
	[FT_MONEY] = {"money", FSQL_INT, NUM_OPS, true, false, false,
		      check_decimal, bind_decimal, write_decimal, norm_decimal,
		      parse_decimal},
	[FT_CURRENCY] = {"currency", FSQL_TEXT, CODE_OPS, true, true, false,
			 check_shaped, bind_text, write_text, norm_copy,
			 parse_text},
	[FT_COUNTRY] = {"country", FSQL_TEXT, CODE_OPS, true, true, false,
			check_shaped, bind_text, write_text, norm_copy,
			parse_text},
	[FT_STAFF] = {"staff", FSQL_INT, CODE_OPS, true, false, false,
		      check_id, bind_int, write_int, norm_copy, parse_int,
		      .me = true},
	[FT_TAGS] = {"tags", FSQL_TEXT, ARRAY_OPS, false, false, true,
		     check_array, bind_json, write_json, norm_copy, parse_item},
	[FT_INT] = {"integer", FSQL_INT, NUM_OPS, true, false, false,
		    check_id, bind_int, write_int, norm_copy, parse_int},
	[FT_BOOL] = {"boolean", FSQL_INT, FOP_EQ | FOP_EMPTY, true, false,
		     false, check_bool, bind_bool, write_bool, norm_copy,
		     parse_bool},
	[FT_IDS] = {"ids", FSQL_TEXT, 0, false, false, false, check_ids,
		    bind_json, write_json, norm_copy, NULL},
	[FT_OBJECT] = {"object", FSQL_TEXT, 0, false, false, false,
		       check_object, bind_json, write_json, norm_copy, NULL},
	[FT_DECIMAL] = {"decimal", FSQL_INT, NUM_OPS, true, false, false,
			check_decimal, bind_decimal, write_decimal,
			norm_decimal, parse_decimal},
	[FT_MULTI] = {"multiselect", FSQL_TEXT, ARRAY_OPS, false, false, true,
		      check_array, bind_json, write_json, norm_copy,
		      parse_item},
	[FT_DATE] = {"date", FSQL_TEXT, NUM_OPS, true, false, false,
		     check_shaped, bind_text, write_text, norm_copy,
		     parse_text},
	[FT_DATETIME] = {"datetime", FSQL_TEXT, NUM_OPS, true, false, false,
			 check_shaped, bind_datetime, write_text,
			 norm_datetime, parse_datetime},
	[FT_REF] = {"reference", FSQL_INT, CODE_OPS, true, false, false,
		    check_id, bind_int, write_int, norm_copy, parse_int},
	/* field=7: has member 7; [ne]: has not; [in]: has any of;
	 * [empty]: has none. Items are integers (FSQL_INT). */
	[FT_STAFF_LIST] = {"staff_list", FSQL_INT,
			   FOP_EQ | FOP_IN | FOP_EMPTY, false, false, true,
			   check_staff_list, NULL, NULL, norm_ids, parse_int,
			   .joined = true, .me = true},
	[FT_ITEMS] = {"items", FSQL_TEXT, 0, false, false, true, check_items,
		      bind_json, write_json, norm_copy, NULL},
};

const struct ftype_ops *ftype_of(enum ftype t)
{
	ATR_ASSERT(t > 0 && t < FT__COUNT && ftypes[t].name);
	return &ftypes[t];
}

enum ftype ftype_by_name(const char *name)
{
	for (int t = 1; t < FT__COUNT; t++)
		if (ftypes[t].name && !strcmp(ftypes[t].name, name))
			return (enum ftype)t;
	return 0;
}

const char *field_label(const struct field *f, char *buf, size_t n)
{
	if (f->label)
		return f->label;
	size_t i = 0;
	for (; f->name[i] && i + 1 < n; i++)
		buf[i] = f->name[i] == '_' ? ' ' : f->name[i];
	buf[i] = 0;
	if (buf[0] >= 'a' && buf[0] <= 'z')
		buf[0] = (char)(buf[0] - 32);
	return buf;
}
