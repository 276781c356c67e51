/* l10n.c — what every module reads of localization: the organisation's
 * settings of the group `localization` and each member's overrides
 * (columns l10n_* of staff), and instants shown as a reader wants them.
 * The settings rows, their checks and the routes that change them are the
 * localization module's (src/admin/localization.c). */
#include "atrium.h"

#include "core/buf.h"
#include "core/l10n.h"
#include "core/settings.h"
#include "db/db.h"

static const char *const key_names[L10N__COUNT] = {
	[L10N_LANGUAGE] = "language",
	[L10N_TIMEZONE] = "timezone",
	[L10N_DATE_FORMAT] = "date_format",
	[L10N_TIME_FORMAT] = "time_format",
	[L10N_THOUSANDS] = "thousands_separator",
	[L10N_DECIMAL] = "decimal_separator",
	[L10N_FIRST_DAY] = "first_day_of_week",
	[L10N_CURRENCY] = "default_currency",
};

const char *l10n_key_name(enum l10n_key k)
{
	return k < L10N__COUNT ? key_names[k] : "";
}

int l10n_load_org(struct db_conn *c, int64_t org, struct l10n *out)
{
	memset(out, 0, sizeof *out);
	for (int k = 0; k < L10N__COUNT; k++)
		if (settings_get(c, org, key_names[k], out->val[k],
				 sizeof out->val[k]) < 0)
			return -1;
	return 0;
}

#define MEMBER_COLS                                                            \
	"l10n_language, l10n_timezone, l10n_date_format, l10n_time_format, "   \
	"l10n_thousands_separator, l10n_decimal_separator, "                  \
	"l10n_first_day_of_week"

/* Lays the member's overrides from the row st is on over out. */
static void take_member(struct db_stmt *st, struct l10n *out)
{
	for (int k = 0; k < L10N_MEMBER_KEYS; k++) {
		const char *v = db_col_text(st, k);
		if (v && *v) {
			atr_strlcpy(out->val[k], v, sizeof out->val[k]);
			out->own[k] = true;
		}
	}
}

int l10n_load(struct db_conn *c, int64_t org, int64_t staff_id,
	      struct l10n *out)
{
	if (l10n_load_org(c, org, out) < 0)
		return -1;
	if (!staff_id)
		return 0;
	struct db_stmt *st = db_prepare(c, "SELECT " MEMBER_COLS " FROM staff "
					   "WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	if (rc == 1)
		take_member(st, out);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int l10n_load_email(struct db_conn *c, int64_t org, const char *email,
		    struct l10n *out)
{
	if (l10n_load_org(c, org, out) < 0)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "SELECT " MEMBER_COLS " FROM staff WHERE org_id = ? AND "
		   "email_norm = lower(trim(?))");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, email);
	int rc = db_step(st);
	if (rc == 1)
		take_member(st, out);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int l10n_org_zone(struct db_conn *c, int64_t org, char zone[TZ_NAME_MAX])
{
	if (settings_get(c, org, "timezone", zone, TZ_NAME_MAX) < 0)
		return -1;
	if (!tz_valid(zone, NULL, 0))
		atr_strlcpy(zone, "UTC", TZ_NAME_MAX);
	return 0;
}

/* A calendar date y-m-d in l's date format. */
static void format_ymd(const struct l10n *l, int y, int m, int d, char *out,
		       size_t n)
{
	const char *f = l->val[L10N_DATE_FORMAT];
	y %= 10000;
	m %= 100;
	d %= 100;
	if (!strcmp(f, "MM/DD/YYYY"))
		snprintf(out, n, "%02d/%02d/%04d", m, d, y);
	else if (!strcmp(f, "YYYY-MM-DD"))
		snprintf(out, n, "%04d-%02d-%02d", y, m, d);
	else if (!strcmp(f, "DD.MM.YYYY"))
		snprintf(out, n, "%02d.%02d.%04d", d, m, y);
	else
		snprintf(out, n, "%02d/%02d/%04d", d, m, y);
}

void l10n_format_datetime(const struct l10n *l, int64_t epoch_ms, char *out,
			  size_t n)
{
	const char *zone = l->val[L10N_TIMEZONE];
	struct tz_local t;
	if (tz_local(zone, epoch_ms, &t) < 0) {
		zone = "UTC";
		tz_local(zone, epoch_ms, &t);
	}
	char date[16];
	format_ymd(l, t.year, t.month, t.day, date, sizeof date);
	if (!strcmp(l->val[L10N_TIME_FORMAT], "12h"))
		snprintf(out, n, "%s %d:%02d %s (%s)", date,
			 t.hour % 12 ? t.hour % 12 : 12, t.minute,
			 t.hour < 12 ? "AM" : "PM", zone);
	else
		snprintf(out, n, "%s %02d:%02d (%s)", date, t.hour, t.minute,
			 zone);
}

void l10n_format_date(const struct l10n *l, const char *ymd, char *out,
		      size_t n)
{
	int y, m, d;
	if (!ymd || sscanf(ymd, "%4d-%2d-%2d", &y, &m, &d) != 3) {
		snprintf(out, n, "%s", ymd ? ymd : "");
		return;
	}
	format_ymd(l, y, m, d, out, n);
}

/* The separator setting's character(s). */
static const char *sep_text(const char *name)
{
	if (!strcmp(name, "comma"))
		return ",";
	if (!strcmp(name, "period"))
		return ".";
	if (!strcmp(name, "space"))
		return "\u00a0"; /* no break inside a number */
	if (!strcmp(name, "apostrophe"))
		return "'";
	return "";
}

void l10n_format_number(const struct l10n *l, const char *num, char *out,
			size_t n)
{
	struct buf b = BUF_INIT;
	const char *p = num ? num : "";
	if (*p == '-') {
		buf_addc(&b, '-');
		p++;
	}
	size_t digits = strspn(p, "0123456789");
	const char *th = sep_text(l->val[L10N_THOUSANDS]);
	for (size_t i = 0; i < digits; i++) {
		if (i && (digits - i) % 3 == 0)
			buf_adds(&b, th);
		buf_addc(&b, p[i]);
	}
	p += digits;
	if (*p == '.') {
		buf_adds(&b, strcmp(l->val[L10N_DECIMAL], "comma") ? "." : ",");
		buf_adds(&b, p + 1);
	}
	snprintf(out, n, "%s", buf_str(&b));
	buf_free(&b);
}

json_t *l10n_me_json(struct db_conn *c, int64_t org, int64_t staff_id)
{
	struct l10n org_l, me;
	if (l10n_load_org(c, org, &org_l) < 0 || l10n_load(c, org, staff_id, &me) < 0)
		return NULL;
	json_t *values = json_object(), *orgv = json_object(),
	       *own = json_array();
	for (int k = 0; k < L10N__COUNT; k++) {
		json_object_set_new(values, key_names[k],
				    json_string(me.val[k]));
		json_object_set_new(orgv, key_names[k],
				    json_string(org_l.val[k]));
		if (me.own[k])
			json_array_append_new(own, json_string(key_names[k]));
	}
	return json_pack("{s:o,s:o,s:o}", "values", values, "overridden", own,
			 "organisation", orgv);
}

