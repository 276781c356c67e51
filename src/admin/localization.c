/* localization.c — Settings > Localization (spec, Initial setup, Step 1):
 * the organisation's language, time zone, date and time formats, number
 * separators, first day of the week and default currency (the settings
 * group `localization`), and each member's overrides of all but the
 * currency (columns l10n_* of staff; NULL: the organisation's).
 *
 * GET   /api/v1/localization/public   the default organisation's
 *                                     language, for the sign-in page
 * PATCH /api/v1/auth/me/localization  the member's own overrides
 *                                     {key: value, or null for the
 *                                     organisation's}
 * The effective values and which are overridden are in GET
 * /api/v1/auth/me (l10n_me_json). The API itself stays in ISO 8601 UTC
 * and plain numbers: these settings say how the UI and the emails show
 * them. A PATCH is judged whole (each bad key in one 422), then written
 * with its activity row (entity staff, diff {key: {from, to}}) in one
 * transaction.
 */
#include "atrium.h"

#include "auth/session.h"

#include "core/l10n.h"
#include "core/activity.h"
#include "core/iso_codes.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "http/http.h"

static const char *const languages[] = {"en", "ro", NULL};
static const char *const date_formats[] = {"DD/MM/YYYY", "MM/DD/YYYY",
					   "YYYY-MM-DD", "DD.MM.YYYY", NULL};
static const char *const time_formats[] = {"24h", "12h", NULL};
static const char *const thousands_seps[] = {"comma", "period", "space",
					     "apostrophe", "none", NULL};
static const char *const decimal_seps[] = {"period", "comma", NULL};
static const char *const week_starts[] = {"monday", "sunday", "saturday",
					  NULL};

static void check_zone(const char *s, const char *field, struct atr_err *err)
{
	if (!tz_valid(s, NULL, 0))
		atr_field(err, field, "invalid",
			  "must be a time zone of the tz database, like "
			  "Europe/Bucharest or UTC");
}

static void check_currency(const char *s, const char *field,
			   struct atr_err *err)
{
	if (!iso_currency(s))
		atr_field(err, field, "invalid",
			  "must be an ISO 4217 currency code, like EUR");
}

/* The separator a number is grouped with must not be its decimal mark. */
static void separators_rule(struct db_conn *c, int64_t org,
			    struct atr_err *err)
{
	char th[32], dec[32];
	if (settings_get(c, org, "thousands_separator", th, sizeof th) < 0 ||
	    settings_get(c, org, "decimal_separator", dec, sizeof dec) < 0) {
		atr_fail(err, ATR_E_INTERNAL, "cannot read the separators");
		return;
	}
	if (!strcmp(th, dec))
		atr_field(err, "decimal_separator", "invalid",
			  "must differ from the thousands separator");
}

static const struct setting_def l10n_settings[] = {
	{"localization", "language", SET_ENUM, "en", 0, 0, languages, 0},
	{"localization", "timezone", SET_TEXT, "UTC", 1, TZ_NAME_MAX - 1,
	 NULL, 0, NULL, check_zone},
	{"localization", "date_format", SET_ENUM, "DD/MM/YYYY", 0, 0,
	 date_formats, 0},
	{"localization", "time_format", SET_ENUM, "24h", 0, 0, time_formats,
	 0},
	{"localization", "thousands_separator", SET_ENUM, "comma", 0, 0,
	 thousands_seps, 0, separators_rule},
	{"localization", "decimal_separator", SET_ENUM, "period", 0, 0,
	 decimal_seps, 0, separators_rule},
	{"localization", "first_day_of_week", SET_ENUM, "monday", 0, 0,
	 week_starts, 0},
	{"localization", "default_currency", SET_TEXT, "EUR", 3, 3, NULL, 0,
	 NULL, check_currency},
	{0},
};

/* ---- PATCH /api/v1/auth/me/localization ------------------------------------ */

static const struct field member_fields[] = {
	{"language", FT_ENUM, 0, 0, languages, NULL},
	{"timezone", FT_TEXT, 0, TZ_NAME_MAX - 1, NULL, NULL},
	{"date_format", FT_ENUM, 0, 0, date_formats, NULL},
	{"time_format", FT_ENUM, 0, 0, time_formats, NULL},
	{"thousands_separator", FT_ENUM, 0, 0, thousands_seps, NULL},
	{"decimal_separator", FT_ENUM, 0, 0, decimal_seps, NULL},
	{"first_day_of_week", FT_ENUM, 0, 0, week_starts, NULL},
};
static const struct schema member_schema = SCHEMA(member_fields);

/* The schema step ran (the pipeline); the time zone is judged here so it
 * lands in the same 422. */
static void member_h_check(struct req *r)
{
	const char *tz = json_string_value(json_object_get(r->body, "timezone"));
	if (tz)
		check_zone(tz, "timezone", &r->err);
}

static int member_h_patch(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t org = r->who.org_id, me = r->who.staff_id;
	if (db_begin(c) < 0)
		return req_db_error(r);
	int rc = -1;
	json_t *diff = json_object(), *o = NULL;
	struct l10n org_l, cur;
	if (l10n_load_org(c, org, &org_l) < 0 || l10n_load(c, org, me, &cur) < 0) {
		req_db_error(r);
		goto out;
	}
	/* The values the change leaves, own and effective. */
	struct l10n next = cur;
	for (int k = 0; k < L10N_MEMBER_KEYS; k++) {
		json_t *v = json_object_get(r->body, l10n_key_name(k));
		if (!v)
			continue;
		const char *s = json_string_value(v);
		const char *from = cur.own[k] ? cur.val[k] : NULL;
		if (s) {
			atr_strlcpy(next.val[k], s, sizeof next.val[k]);
			next.own[k] = true;
		} else {
			atr_strlcpy(next.val[k], org_l.val[k],
				    sizeof next.val[k]);
			next.own[k] = false;
		}
		if (from ? !s || strcmp(from, s) : s != NULL)
			json_object_set_new(diff, l10n_key_name(k),
					    json_pack("{s:s?,s:s?}", "from",
						      from, "to", s));
	}
	if (!strcmp(next.val[L10N_THOUSANDS], next.val[L10N_DECIMAL])) {
		atr_field(&r->err, "decimal_separator", "invalid",
			  "must differ from the thousands separator (%s)",
			  next.val[L10N_THOUSANDS]);
		goto out;
	}
	if (json_object_size(diff)) {
		struct db_stmt *st =
		    db_prepare(c, "UPDATE staff SET "
				  "l10n_language = ?, "
				  "l10n_timezone = ?, l10n_date_format = ?, "
				  "l10n_time_format = ?, "
				  "l10n_thousands_separator = ?, "
				  "l10n_decimal_separator = ?, "
				  "l10n_first_day_of_week = ? WHERE id = ? OR "
				  "identity_id = ?");
		/* The person's, on each of their membership rows (the
		 * home row's id names them all). */
		if (!st) {
			req_db_error(r);
			goto out;
		}
		for (int k = 0; k < L10N_MEMBER_KEYS; k++) {
			if (next.own[k])
				db_bind_text(st, k + 1, next.val[k]);
			else
				db_bind_null(st, k + 1);
		}
		db_bind_int(st, L10N_MEMBER_KEYS + 1, who_person(&r->who));
		db_bind_int(st, L10N_MEMBER_KEYS + 2, who_person(&r->who));
		int s = db_step(st);
		db_reset(st);
		if (s < 0) {
			req_db_error(r);
			goto out;
		}
		if (activity_from_req(r, "localization", "staff", me, diff) < 0)
			goto out;
	}
	o = l10n_me_json(c, org, me);
	if (!o) {
		req_db_error(r);
		goto out;
	}
	if (json_object_size(diff) ? db_commit(c) < 0 : db_rollback(c) < 0) {
		req_db_error(r);
		goto out;
	}
	req_json(r, 200, o);
	o = NULL;
	rc = 0;
out:
	if (rc < 0 && db_in_tx(c))
		db_rollback(c);
	json_decref(o);
	json_decref(diff);
	return rc;
}

/* ---- GET /api/v1/localization/public ------------------------------------- */

#define DEFAULT_ORG 1

/* Only the language: what the sign-in page needs before anybody signs
 * in, and nothing more about the organisation. */
static int public_h_get(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char lang[16];
	if (settings_get(c, DEFAULT_ORG, "language", lang, sizeof lang) < 0)
		return req_db_error(r);
	req_json(r, 200, json_pack("{s:s}", "language", lang));
	return 0;
}

static const struct route l10n_routes[] = {
	{HTTP_GET, "/api/v1/localization/public", public_h_get, ACCESS_PUBLIC,
	 NULL, 0, NULL},
	{HTTP_PATCH, "/api/v1/auth/me/localization", member_h_patch,
	 ACCESS_SESSION, NULL, 0, &member_schema, NULL, member_h_check, 0},
	{0},
};

const struct module module_localization = {
	.name = "localization",
	.routes = l10n_routes,
	.settings = l10n_settings,
};
