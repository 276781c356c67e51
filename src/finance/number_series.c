/* number_series.c — the format language and the gapless allocator (see
 * number_series.h). */
#include "atrium.h"

#include "core/l10n.h"
#include "core/tz.h"
#include "db/db.h"
#include "finance/number_series.h"

const char *const number_series_kinds[] = {"invoice", "proposal",
					   "credit_note", "contract", NULL};

/* Parallel to number_series_kinds. The year shows in every default, since
 * every default resets yearly. */
static const struct number_series_conf defaults[] = {
	{"INV-", "{PREFIX}{YYYY}/{NUMBER}", 6, true},
	{"PRO-", "{PREFIX}{YYYY}/{NUMBER}", 6, true},
	{"CN-", "{PREFIX}{YYYY}/{NUMBER}", 6, true},
	{"CTR-", "{PREFIX}{YYYY}/{NUMBER}", 6, true},
};

static int kind_index(const char *kind)
{
	for (int i = 0; kind && number_series_kinds[i]; i++)
		if (!strcmp(number_series_kinds[i], kind))
			return i;
	return -1;
}

bool number_series_kind_valid(const char *kind)
{
	return kind_index(kind) >= 0;
}

const struct number_series_conf *number_series_defaults(const char *kind)
{
	int i = kind_index(kind);
	return i < 0 ? NULL : &defaults[i];
}

/* ---- the format language ------------------------------------------------- */

enum tok { T_LIT, T_PREFIX, T_YYYY, T_YY, T_MM, T_NUMBER, T_BAD };

/* The field starting at p (just after "{"), up to its "}": its kind, its
 * width for {NUMBER:n} (0: the series' padding), and the position after
 * "}" in *end. T_BAD with *end NULL when no "}" closes it. */
static enum tok field_at(const char *p, int *width, const char **end)
{
	const char *close = strchr(p, '}');
	const char *open = strchr(p, '{');
	*width = 0;
	*end = NULL;
	if (!close || (open && open < close))
		return T_BAD;
	*end = close + 1;
	size_t n = (size_t)(close - p);
	static const struct {
		const char *name;
		enum tok t;
	} names[] = {{"PREFIX", T_PREFIX}, {"YYYY", T_YYYY}, {"YY", T_YY},
		     {"MM", T_MM},	   {"NUMBER", T_NUMBER}};
	for (size_t i = 0; i < ATR_ARRAY_LEN(names); i++)
		if (strlen(names[i].name) == n && !memcmp(p, names[i].name, n))
			return names[i].t;
	if (n > 7 && n <= 9 && !memcmp(p, "NUMBER:", 7)) {
		int w = 0;
		for (const char *d = p + 7; d < close; d++) {
			if (*d < '0' || *d > '9')
				return T_BAD;
			w = w * 10 + (*d - '0');
		}
		if (w >= 1 && w <= NUMSER_PAD_MAX) {
			*width = w;
			return T_NUMBER;
		}
	}
	return T_BAD;
}

int number_series_format_check(const char *format, char *msg, size_t n)
{
	size_t chars = 0;
	int numbers = 0;
	if (!*format) {
		snprintf(msg, n, "must not be empty");
		return -1;
	}
	for (const char *p = format; *p;) {
		unsigned char ch = (unsigned char)*p;
		if ((ch & 0xc0) != 0x80)
			chars++;
		if (ch < 0x20 || ch == 0x7f) {
			snprintf(msg, n, "must not contain control characters");
			return -1;
		}
		if (ch == '}') {
			snprintf(msg, n, "'}' closes no field; literal braces "
					 "are not allowed");
			return -1;
		}
		if (ch != '{') {
			p++;
			continue;
		}
		int width;
		const char *end;
		enum tok t = field_at(p + 1, &width, &end);
		if (t == T_BAD && !end) {
			snprintf(msg, n, "'{' is not closed by '}'");
			return -1;
		}
		if (t == T_BAD) {
			snprintf(msg, n,
				 "unknown field {%.*s}; use {PREFIX}, {YYYY}, "
				 "{YY}, {MM}, {NUMBER} or {NUMBER:1..%d}",
				 (int)(end - p - 2) > 20 ? 20
							 : (int)(end - p - 2),
				 p + 1, NUMSER_PAD_MAX);
			return -1;
		}
		if (t == T_NUMBER)
			numbers++;
		chars += (size_t)(end - p) - 1;
		p = end;
	}
	if (chars > NUMSER_FORMAT_MAX) {
		snprintf(msg, n, "must be at most %d characters",
			 NUMSER_FORMAT_MAX);
		return -1;
	}
	if (numbers != 1) {
		snprintf(msg, n, "must contain {NUMBER} exactly once");
		return -1;
	}
	return 0;
}

bool number_series_format_has_year(const char *format)
{
	return strstr(format, "{YYYY}") || strstr(format, "{YY}");
}

int number_series_render(const char *format, const char *prefix, int padding,
			 int64_t number, int year, int month, char *out,
			 size_t n)
{
	size_t len = 0;
	char piece[NUMSER_OUT_MAX];
	for (const char *p = format; *p;) {
		const char *add = piece;
		size_t alen;
		if (*p != '{') {
			const char *q = p;
			while (*q && *q != '{')
				q++;
			add = p;
			alen = (size_t)(q - p);
			p = q;
		} else {
			int width;
			const char *end;
			enum tok t = field_at(p + 1, &width, &end);
			if (t == T_BAD || !end)
				return -1; /* not a checked format */
			p = end;
			switch (t) {
			case T_PREFIX:
				add = prefix;
				break;
			case T_YYYY:
				snprintf(piece, sizeof piece, "%04d", year);
				break;
			case T_YY:
				snprintf(piece, sizeof piece, "%02d",
					 year % 100);
				break;
			case T_MM:
				snprintf(piece, sizeof piece, "%02d", month);
				break;
			default:
				snprintf(piece, sizeof piece, "%0*lld",
					 width ? width : padding,
					 (long long)number);
				break;
			}
			alen = strlen(add);
		}
		if (len + alen + 1 > n)
			return -1;
		memcpy(out + len, add, alen);
		len += alen;
	}
	if (len + 1 > n)
		return -1;
	out[len] = '\0';
	return 0;
}

/* ---- the counter ---------------------------------------------------------- */

int number_series_when(struct db_conn *c, int64_t org, int64_t when_ms,
		       int *year, int *month)
{
	char zone[TZ_NAME_MAX];
	struct tz_local t;
	if (l10n_org_zone(c, org, zone) < 0)
		return -1;
	if (tz_local(zone, when_ms, &t) < 0 && tz_local("UTC", when_ms, &t) < 0)
		return -1;
	*year = t.year;
	*month = t.month;
	return 0;
}

int number_series_ensure(struct db_conn *c, int64_t org, const char *kind)
{
	const struct number_series_conf *d = number_series_defaults(kind);
	if (!d)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO number_series (org_id, kind, prefix, format, "
		   "padding, yearly_reset, next_number, last_number, period, "
		   "version, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 0, 0, 1, "
		   "?) ON CONFLICT (org_id, kind) DO NOTHING");
	if (!st)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, kind);
	db_bind_text(st, 3, d->prefix);
	db_bind_text(st, 4, d->format);
	db_bind_int(st, 5, d->padding);
	db_bind_int(st, 6, d->yearly_reset);
	db_bind_text(st, 7, now);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* One statement moves the counter and returns what was handed out; every
 * SET expression reads the row as it was, so last_number gets the old
 * next_number. A yearly series whose period is behind the year of issue
 * starts again at 1. The UPDATE takes the row lock (PostgreSQL) that makes
 * concurrent issuers queue until this transaction ends. */
#define NEXT_SQL                                                               \
	"UPDATE number_series SET "                                            \
	"next_number = CASE WHEN yearly_reset = 1 AND period < ? THEN 2 "      \
	"ELSE next_number + 1 END, "                                           \
	"last_number = CASE WHEN yearly_reset = 1 AND period < ? THEN 1 "      \
	"ELSE next_number END, "                                               \
	"period = CASE WHEN period < ? THEN ? ELSE period END "                \
	"WHERE org_id = ? AND kind = ? "                                       \
	"RETURNING last_number, period, yearly_reset, prefix, format, padding"

int number_series_next(struct db_conn *c, int64_t org, const char *kind,
		       int64_t when_ms, char *out, size_t n,
		       struct atr_err *err)
{
	int year, month;
	if (!number_series_kind_valid(kind))
		return atr_fail(err, ATR_E_INTERNAL,
				"no number series for '%s'", kind);
	if (number_series_when(c, org, when_ms, &year, &month) < 0 ||
	    number_series_ensure(c, org, kind) < 0)
		return -1;
	struct db_stmt *st = db_prepare(c, NEXT_SQL);
	if (!st)
		return -1;
	for (int i = 1; i <= 4; i++)
		db_bind_int(st, i, year);
	db_bind_int(st, 5, org);
	db_bind_text(st, 6, kind);
	int rc = db_step(st);
	if (rc != 1) {
		db_reset(st);
		return -1; /* 0: the row ensure_row made is gone: an error */
	}
	int64_t number = db_col_int(st, 0), period = db_col_int(st, 1);
	bool reset = db_col_int(st, 2) != 0;
	int padding = (int)db_col_int(st, 5);
	char prefix[NUMSER_PREFIX_MAX * 4 + 1], format[NUMSER_FORMAT_MAX * 4 + 1];
	atr_strlcpy(prefix, db_col_text(st, 3), sizeof prefix);
	atr_strlcpy(format, db_col_text(st, 4), sizeof format);
	db_reset(st);
	if (reset && period > year)
		return atr_fail(err, ATR_E_CONFLICT,
				"the %s series already numbers %lld; a number "
				"dated %d cannot be given",
				kind, (long long)period, year);
	if (number > NUMSER_NUMBER_MAX)
		return atr_fail(err, ATR_E_CONFLICT,
				"the %s series is exhausted", kind);
	if (number_series_render(format, prefix, padding, number, year, month,
				 out, n) < 0)
		return atr_fail(err, ATR_E_INTERNAL,
				"the %s number does not fit", kind);
	return 0;
}
