/* l10n.h — the organisation's localization settings and each member's
 * overrides (read here, core/l10n.c; changed by the localization module,
 * src/admin/localization.c), for code that shows a date or a number to
 * somebody (emails) or counts days in the organisation's time zone
 * (core/tz.h).
 */
#ifndef ATR_L10N_H
#define ATR_L10N_H

#include "atrium.h"

#include <jansson.h>

#include "core/tz.h"

struct db_conn;

/* The keys, in the order of struct l10n's values; a member may override
 * every key before L10N_CURRENCY. */
enum l10n_key {
	L10N_LANGUAGE,
	L10N_TIMEZONE,
	L10N_DATE_FORMAT,
	L10N_TIME_FORMAT,
	L10N_THOUSANDS,
	L10N_DECIMAL,
	L10N_FIRST_DAY,
	L10N_CURRENCY,
	L10N__COUNT
};
#define L10N_MEMBER_KEYS L10N_CURRENCY

struct l10n {
	char val[L10N__COUNT][TZ_NAME_MAX];
	bool own[L10N__COUNT]; /* the member's override, not the org's */
};

/* The name of key k ("language", "timezone", ...). */
const char *l10n_key_name(enum l10n_key k);

/* The organisation's own settings. 0 or -1 (database). */
int l10n_load_org(struct db_conn *c, int64_t org, struct l10n *out);
/* The effective settings of a member of org (staff_id 0: the
 * organisation's own). 0, or -1 on a database error. */
int l10n_load(struct db_conn *c, int64_t org, int64_t staff_id,
	      struct l10n *out);
/* The same for the member whose sign-in email is email (any case); the
 * organisation's when no member has it (an address being invited, a
 * new email being confirmed). 0 or -1. */
int l10n_load_email(struct db_conn *c, int64_t org, const char *email,
		    struct l10n *out);
/* The organisation's time zone (the `timezone` setting; "UTC" when the
 * stored one cannot be read). 0 or -1 (database). */
int l10n_org_zone(struct db_conn *c, int64_t org, char zone[TZ_NAME_MAX]);

/* An instant as l shows it: its date format, 24h or 12h, in its zone
 * ("29.03.2026 14:05 (Europe/Bucharest)"). */
void l10n_format_datetime(const struct l10n *l, int64_t epoch_ms, char *out,
			  size_t n);

/* A calendar date (YYYY-MM-DD) in l's date format ("29.03.2026"); the
 * text as given when it is not such a date. */
void l10n_format_date(const struct l10n *l, const char *ymd, char *out,
		      size_t n);
/* A decimal number's text ("-1234567.50", as the API writes amounts)
 * with l's thousands and decimal separators ("-1.234.567,50"; a space
 * separator is a no-break space). */
void l10n_format_number(const struct l10n *l, const char *num, char *out,
			size_t n);

/* {"values": {key: value}, "overridden": [key...], "organisation":
 * {key: value}} for GET /api/v1/auth/me; NULL on a database error. */
json_t *l10n_me_json(struct db_conn *c, int64_t org, int64_t staff_id);

#endif
