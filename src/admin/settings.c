/* settings.c — the settings table, its storage and its two routes.
 *
 * GET  /api/v1/settings/{group}  -> {"group", "values", "fields"}
 * PATCH /api/v1/settings/{group} <- {"key": value, ...}
 *
 * A PATCH is judged whole before anything is written (every bad key in one
 * 422), then written in one transaction with one activity row whose diff is
 * {key: {from, to}}; secrets appear there as "[secret]", never as a value.
 */
#include "atrium.h"

#include <ctype.h>
#include <sodium.h>

#include "admin/settings.h"
#include "core/activity.h"
#include "core/secret.h"
#include "db/db.h"
#include "http/http.h"

static const char *const protocol_choices[] = {"smtp", NULL};
static const char *const security_choices[] = {"none", "starttls", "tls",
					       NULL};

/* The settings. Keys are unique across groups; order is display order. */
static const struct setting_def settings_table[] = {
	{"company", "company_name", SET_TEXT, "Atrium", 1, 200, NULL, 0},
	{"company", "address", SET_TEXT, NULL, 0, 500, NULL, SETF_MULTILINE},

	{"smtp", "email_protocol", SET_ENUM, "smtp", 0, 0, protocol_choices,
	 0},
	{"smtp", "smtp_host", SET_TEXT, NULL, 0, 253, NULL, SETF_HOST},
	{"smtp", "smtp_port", SET_INT, "587", 1, 65535, NULL, 0},
	{"smtp", "smtp_security", SET_ENUM, "starttls", 0, 0,
	 security_choices, 0},
	{"smtp", "smtp_email", SET_EMAIL, NULL, 0, 254, NULL, 0},
	{"smtp", "smtp_from_name", SET_TEXT, NULL, 0, 200, NULL, 0},
	{"smtp", "smtp_username", SET_TEXT, NULL, 0, 256, NULL, 0},
	{"smtp", "smtp_password", SET_SECRET, NULL, 1, 512, NULL, 0},

	{"seats", "members_included", SET_INT, "5", 1, 1000000, NULL, 0},
	{"seats", "extra_seats", SET_INT, "0", 0, 1000000, NULL, 0},

	{"email_queue", "max_attempts", SET_INT, "5", 1, 100, NULL, 0},

	/* Authentication policy (OWASP ASVS 5.0 L2, NIST SP 800-63B). */
	{"security", "password_min_length", SET_INT, "15", 8, 128, NULL, 0},
	{"security", "password_min_length_2fa", SET_INT, "8", 8, 128, NULL, 0},
	{"security", "password_min_score", SET_INT, "3", 0, 4, NULL, 0},
	{"security", "password_history", SET_INT, "5", 0, 24, NULL, 0},
	{"security", "password_max_age_days", SET_INT, "0", 0, 3650, NULL, 0},
	{"security", "twofa_required_admins", SET_BOOL, "true", 0, 0, NULL, 0},
	{"security", "session_idle_minutes", SET_INT, "30", 5, 10080, NULL, 0},
	{"security", "session_absolute_hours", SET_INT, "12", 1, 720, NULL, 0},
};
#define NSETTINGS ((int)ATR_ARRAY_LEN(settings_table))

static const char *const type_names[] = {
	[SET_TEXT] = "text", [SET_INT] = "int",       [SET_BOOL] = "bool",
	[SET_ENUM] = "enum", [SET_EMAIL] = "email", [SET_SECRET] = "secret",
};

/* The PATCH body schema for the pipeline, made from the table before main()
 * runs: it names every key, so the pipeline refuses unknown ones, and
 * checks types. struct field cannot say "an integer in 0..N", so int rows
 * are FT_INT there and settings_h_check judges their values itself. */
static struct field schema_fields[NSETTINGS];
static const struct schema settings_schema = {schema_fields, NSETTINGS};

__attribute__((constructor)) static void settings_schema_init(void)
{
	for (int i = 0; i < NSETTINGS; i++) {
		const struct setting_def *d = &settings_table[i];
		struct field *f = &schema_fields[i];
		f->name = d->key;
		f->choices = d->choices;
		f->max = d->type == SET_INT ? 0 : (int)d->max;
		switch (d->type) {
		case SET_TEXT:
			f->type = FT_TEXT;
			break;
		case SET_INT:
			f->type = FT_INT;
			break;
		case SET_BOOL:
			f->type = FT_BOOL;
			break;
		case SET_ENUM:
			f->type = FT_ENUM;
			break;
		case SET_EMAIL:
			f->type = FT_EMAIL;
			break;
		case SET_SECRET:
			f->type = FT_SECRET;
			break;
		}
	}
}

const struct setting_def *settings_find(const char *key)
{
	for (int i = 0; i < NSETTINGS; i++)
		if (strcmp(settings_table[i].key, key) == 0)
			return &settings_table[i];
	return NULL;
}

bool settings_group_exists(const char *group)
{
	if (!group)
		return false;
	for (int i = 0; i < NSETTINGS; i++)
		if (strcmp(settings_table[i].group, group) == 0)
			return true;
	return false;
}

static const char *def_text(const struct setting_def *d)
{
	return d->def ? d->def : "";
}

/* The stored value of key (malloc'd), NULL when unset. 0 or -1 (db). */
static int load_stored(struct db_conn *c, int64_t org, const char *key,
		       char **out)
{
	*out = NULL;
	struct db_stmt *st = db_prepare(
		c, "SELECT value FROM setting WHERE org_id = ? AND key = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, key);
	int rc = db_step(st);
	if (rc == 1)
		*out = xstrdup(db_col_text(st, 0));
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Frees a stored value; secrets are wiped first (ciphertext, but no need
 * to leave it around either). */
static void stored_free(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

int settings_get(struct db_conn *c, int64_t org, const char *key, char *out,
		 size_t n)
{
	const struct setting_def *d = settings_find(key);
	if (!d || n == 0)
		return -1;
	char *stored = NULL;
	if (load_stored(c, org, key, &stored) < 0)
		return -1;
	int rc = 0;
	if (d->type == SET_SECRET && stored) {
		struct atr_err err = {0};
		char *plain = secret_decrypt(stored, &err);
		if (!plain) {
			fprintf(stderr, "settings: %s (org %lld): %s\n", key,
				(long long)org, err.msg);
			rc = -1;
		} else {
			if (atr_strlcpy(out, plain, n) >= n) {
				sodium_memzero(out, n);
				rc = -1;
			}
			secret_free(plain);
		}
	} else {
		const char *v = stored ? stored : def_text(d);
		if (atr_strlcpy(out, v, n) >= n)
			rc = -1;
	}
	stored_free(stored);
	return rc;
}

int settings_get_int(struct db_conn *c, int64_t org, const char *key,
		     int64_t *out)
{
	const struct setting_def *d = settings_find(key);
	char buf[32];
	if (!d || d->type != SET_INT ||
	    settings_get(c, org, key, buf, sizeof buf) < 0)
		return -1;
	if (atr_parse_i64(buf, out) < 0 && atr_parse_i64(def_text(d), out) < 0)
		return -1;
	return 0;
}

/* ---- JSON <-> stored text ------------------------------------------------ */

/* The API value of a stored (or default) text. */
static json_t *value_json(const struct setting_def *d, const char *v)
{
	int64_t i;
	switch (d->type) {
	case SET_INT:
		if (atr_parse_i64(v, &i) < 0 &&
		    atr_parse_i64(def_text(d), &i) < 0)
			i = 0;
		return json_integer((json_int_t)i);
	case SET_BOOL:
		return json_boolean(strcmp(v, "true") == 0);
	default:
		return json_string(v);
	}
}

/* The stored text of a validated, non-null JSON value; malloc'd. Secrets
 * are encrypted (NULL when no key is loaded). */
static char *value_stored(const struct setting_def *d, const json_t *v)
{
	switch (d->type) {
	case SET_INT:
		return xasprintf("%lld", (long long)json_integer_value(v));
	case SET_BOOL:
		return xstrdup(json_is_true(v) ? "true" : "false");
	case SET_SECRET:
		return secret_encrypt(json_string_value(v));
	default:
		return xstrdup(json_string_value(v));
	}
}

/* ---- validation ---------------------------------------------------------- */

static bool valid_host(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return true; /* unset */
	if (n > 253 || s[0] == '-' || s[0] == '.')
		return false;
	bool colon = strchr(s, ':') != NULL;
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (colon ? !(isxdigit(ch) || ch == ':' || ch == '.')
			  : !(isalnum(ch) || ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

/* Drops the pipeline's errors about field (see settings_schema). */
static void drop_field_errors(struct atr_err *e, const char *field)
{
	int k = 0;
	for (int i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].field, field) != 0)
			e->fields[k++] = e->fields[i];
	e->nfields = k;
}

/* Judges one value of d (not null); adds a field error when bad. */
static void check_value(const struct setting_def *d, const json_t *v,
			struct atr_err *err)
{
	const char *k = d->key;
	if (d->type == SET_INT) {
		if (!json_is_integer(v)) {
			atr_field(err, k, "type", "must be an integer");
			return;
		}
		json_int_t i = json_integer_value(v);
		if (i < d->min || i > d->max)
			atr_field(err, k, "invalid",
				  "must be between %lld and %lld",
				  (long long)d->min, (long long)d->max);
		return;
	}
	if (!json_is_string(v))
		return; /* the schema said so already */
	const char *s = json_string_value(v);
	size_t n = strlen(s);
	if (d->type == SET_TEXT || d->type == SET_SECRET) {
		if ((int64_t)n < d->min) {
			atr_field(err, k, "required",
				  d->type == SET_SECRET
					  ? "must not be empty (send null to "
					    "clear it)"
					  : "must not be empty");
			return;
		}
		for (const char *p = s; *p; p++) {
			unsigned char ch = (unsigned char)*p;
			bool line_break = ch == '\n' || ch == '\r' || ch == '\t';
			if ((ch < 0x20 || ch == 0x7f) &&
			    !((d->flags & SETF_MULTILINE) && line_break)) {
				atr_field(err, k, "invalid",
					  "must be one line without control "
					  "characters");
				return;
			}
		}
		if ((d->flags & SETF_HOST) && !valid_host(s))
			atr_field(err, k, "invalid",
				  "must be a host name or an IP address");
	}
}

/* The route's check hook: every key belongs to the group, every value
 * fits its row. Runs after the schema, so all errors land in one 422. */
static void settings_h_check(struct req *r)
{
	if (!settings_group_exists(r->param)) {
		atr_err_clear(&r->err);
		atr_fail(&r->err, ATR_E_NOT_FOUND, "no settings group '%s'",
			 r->param ? r->param : "");
		return;
	}
	if (!json_is_object(r->body))
		return;
	const char *key;
	json_t *v;
	json_object_foreach(r->body, key, v)
	{
		const struct setting_def *d = settings_find(key);
		if (!d)
			continue; /* unknown_field from the schema */
		if (strcmp(d->group, r->param) != 0) {
			drop_field_errors(&r->err, key);
			atr_field(&r->err, key, "unknown_field",
				  "not a setting of group '%s'", r->param);
			continue;
		}
		if (d->type == SET_INT)
			drop_field_errors(&r->err, key);
		if (!json_is_null(v))
			check_value(d, v, &r->err);
	}
	if (r->err.kind == ATR_E_INVALID && r->err.nfields == 0)
		atr_err_clear(&r->err);
}

/* ---- responses ------------------------------------------------------------ */

static json_t *fields_json(const char *group)
{
	json_t *arr = json_array();
	for (int i = 0; i < NSETTINGS; i++) {
		const struct setting_def *d = &settings_table[i];
		if (strcmp(d->group, group) != 0)
			continue;
		json_t *f = json_pack("{s:s,s:s}", "key", d->key, "type",
				      type_names[d->type]);
		if (d->type != SET_SECRET)
			json_object_set_new(f, "default",
					    value_json(d, def_text(d)));
		if (d->type == SET_INT) {
			json_object_set_new(f, "min", json_integer(d->min));
			json_object_set_new(f, "max", json_integer(d->max));
		} else if (d->type != SET_BOOL && d->type != SET_ENUM) {
			json_object_set_new(f, "max_length",
					    json_integer(d->max));
		}
		if (d->choices) {
			json_t *ch = json_array();
			for (const char *const *p = d->choices; *p; p++)
				json_array_append_new(ch, json_string(*p));
			json_object_set_new(f, "choices", ch);
		}
		if (d->flags & SETF_MULTILINE)
			json_object_set_new(f, "multiline", json_true());
		json_array_append_new(arr, f);
	}
	return arr;
}

/* {"group", "values", "fields"} of org; NULL on a database error. */
static json_t *group_json(struct db_conn *c, int64_t org, const char *group)
{
	json_t *values = json_object();
	for (int i = 0; i < NSETTINGS; i++) {
		const struct setting_def *d = &settings_table[i];
		if (strcmp(d->group, group) != 0)
			continue;
		char *stored;
		if (load_stored(c, org, d->key, &stored) < 0) {
			json_decref(values);
			return NULL;
		}
		if (d->type == SET_SECRET) {
			char *k = xasprintf("%s_set", d->key);
			json_object_set_new(values, k, json_boolean(stored));
			free(k);
		} else {
			json_object_set_new(values, d->key,
					    value_json(d, stored ? stored
								 : def_text(d)));
		}
		stored_free(stored);
	}
	return json_pack("{s:s,s:o,s:o}", "group", group, "values", values,
			 "fields", fields_json(group));
}

static int settings_h_get(struct req *r)
{
	if (!settings_group_exists(r->param))
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"no settings group '%s'", r->param);
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *o = group_json(c, r->who.org_id, r->param);
	if (!o)
		return req_db_error(r);
	req_json(r, 200, o);
	return 0;
}

/* Writes one setting (NULL: back to its default). 0 or -1. */
static int store(struct db_conn *c, int64_t org, const char *key,
		 const char *value)
{
	struct db_stmt *st =
		value ? db_prepare(c, "INSERT INTO setting (org_id, key, value) "
				      "VALUES (?, ?, ?) ON CONFLICT (org_id, "
				      "key) DO UPDATE SET value = "
				      "excluded.value")
		      : db_prepare(c, "DELETE FROM setting WHERE org_id = ? "
				      "AND key = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, key);
	if (value)
		db_bind_text(st, 3, value);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* The diff entry of one change; secrets only say whether one is set. */
static json_t *change_json(const struct setting_def *d, const char *old,
			   const char *new)
{
	if (d->type == SET_SECRET)
		return json_pack("{s:o,s:o}", "from",
				 old ? json_string("[secret]") : json_null(),
				 "to",
				 new ? json_string("[secret]") : json_null());
	return json_pack("{s:o,s:o}", "from",
			 value_json(d, old ? old : def_text(d)), "to",
			 value_json(d, new ? new : def_text(d)));
}

static int settings_h_patch(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t org = r->who.org_id;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *diff = json_object();
	int rc = -1;
	for (int i = 0; i < NSETTINGS; i++) {
		const struct setting_def *d = &settings_table[i];
		json_t *v = json_object_get(r->body, d->key);
		if (!v)
			continue;
		char *old = NULL, *new = NULL;
		if (load_stored(c, org, d->key, &old) < 0) {
			req_db_error(r);
			goto out;
		}
		if (!json_is_null(v)) {
			new = value_stored(d, v);
			if (!new) {
				stored_free(old);
				atr_fail(&r->err, ATR_E_INTERNAL,
					 "no master key is loaded");
				goto out;
			}
		}
		/* A new secret is always a change (we do not decrypt to
		 * compare); other values change when what they mean does. */
		bool changed =
			d->type == SET_SECRET
				? (new != NULL || old != NULL)
				: strcmp(old ? old : def_text(d),
					 new ? new : def_text(d)) != 0;
		int w = changed ? store(c, org, d->key, new) : 0;
		if (changed)
			json_object_set_new(diff, d->key,
					    change_json(d, old, new));
		stored_free(old);
		stored_free(new);
		if (w < 0) {
			req_db_error(r);
			goto out;
		}
	}
	if (json_object_size(diff) == 0) {
		db_rollback(c);
	} else {
		if (activity_from_req(r, "update", "settings", 0, diff) < 0)
			goto out;
		if (db_commit(c) < 0) {
			req_db_error(r);
			goto out;
		}
	}
	json_t *o = group_json(c, org, r->param);
	if (!o) {
		req_db_error(r);
		goto out;
	}
	req_json(r, 200, o);
	rc = 0;
out:
	json_decref(diff);
	return rc;
}

const struct route settings_routes[] = {
	{HTTP_GET, "/api/v1/settings/{group}", settings_h_get, ACCESS_PERM,
	 "settings", CAP_VIEW, NULL, NULL, NULL, 0},
	{HTTP_PATCH, "/api/v1/settings/{group}", settings_h_patch, ACCESS_PERM,
	 "settings", CAP_EDIT, &settings_schema, NULL, settings_h_check, 0},
	{0},
};
