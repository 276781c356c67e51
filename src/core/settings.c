/* settings.c — the settings store: the rows of every module, their stored
 * values per organisation, and the judging of new values. */
#include "atrium.h"

#include <ctype.h>
#include <sodium.h>

#include "core/log.h"
#include "core/module.h"
#include "core/secret.h"
#include "core/settings.h"
#include "db/db.h"
#include "core/validate.h"

/* Every module's rows, in table order, and the PATCH schema made from
 * them; built once by settings_init, read-only afterwards. */
static const struct setting_def **rows;
static int nrows;
/* The modules' settings_changed hooks, in table order, NULL-terminated. */
static settings_hook *hooks;
static struct field *schema_fields;
static struct schema schema_all;

static enum ftype field_type(enum setting_type t)
{
	switch (t) {
	case SET_INT:
		return FT_INT;
	case SET_BOOL:
		return FT_BOOL;
	case SET_ENUM:
		return FT_ENUM;
	case SET_EMAIL:
		return FT_EMAIL;
	case SET_SECRET:
		return FT_SECRET;
	case SET_TEXT:
		break;
	}
	return FT_TEXT;
}

void settings_init(const struct module *const *mods)
{
	settings_fini();
	int cap = 0;
	for (int i = 0; mods[i]; i++)
		for (const struct setting_def *d = mods[i]->settings; d && d->key;
		     d++)
			cap++;
	rows = xcalloc((size_t)cap + 1, sizeof *rows);
	schema_fields = xcalloc((size_t)cap + 1, sizeof *schema_fields);
	for (int i = 0; mods[i]; i++) {
		for (const struct setting_def *d = mods[i]->settings; d && d->key;
		     d++) {
			if (settings_find(d->key))
				die("setting '%s' is declared twice", d->key);
			/* The schema checks types; int ranges and text rules
			 * are settings_check_value's (struct field cannot say
			 * "an integer in 0..N"). */
			schema_fields[nrows] = (struct field){
				.name = d->key,
				.type = field_type(d->type),
				.max = d->type == SET_INT ? 0 : (int)d->max,
				.choices = d->choices,
				.flags = (d->flags & SETF_MULTILINE) ? F_MULTILINE
								    : 0,
			};
			rows[nrows++] = d;
		}
	}
	schema_all = (struct schema){schema_fields, nrows};
	int nmods = 0, nhooks = 0;
	while (mods[nmods])
		nmods++;
	hooks = xcalloc((size_t)nmods + 1, sizeof *hooks);
	for (int i = 0; i < nmods; i++)
		if (mods[i]->settings_changed)
			hooks[nhooks++] = mods[i]->settings_changed;
}

settings_hook const *settings_hooks(void)
{
	static settings_hook none[1];
	return hooks ? hooks : none;
}

void settings_fini(void)
{
	free(rows);
	free(schema_fields);
	free(hooks);
	hooks = NULL;
	rows = NULL;
	schema_fields = NULL;
	nrows = 0;
	schema_all = (struct schema){0};
}

int settings_count(void)
{
	return nrows;
}

const struct setting_def *settings_at(int i)
{
	return i >= 0 && i < nrows ? rows[i] : NULL;
}

const struct schema *settings_schema(void)
{
	return &schema_all;
}

const struct setting_def *settings_find(const char *key)
{
	for (int i = 0; i < nrows; i++)
		if (strcmp(rows[i]->key, key) == 0)
			return rows[i];
	return NULL;
}

bool settings_group_exists(const char *group)
{
	if (!group)
		return false;
	for (int i = 0; i < nrows; i++)
		if (strcmp(rows[i]->group, group) == 0)
			return true;
	return false;
}

const char *settings_default(const struct setting_def *d)
{
	return d->def ? d->def : "";
}

int settings_load_stored(struct db_conn *c, int64_t org, const char *key,
			 char **out)
{
	*out = NULL;
	const struct setting_def *d = settings_find(key);
	if (d && d->read)
		return d->read(c, org, key, out) < 0 ? -1 : 0;
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

/* Secrets are wiped first (ciphertext, but no need to leave it around
 * either). */
void settings_stored_free(char *s)
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
	if (settings_load_stored(c, org, key, &stored) < 0)
		return -1;
	int rc = 0;
	if (d->type == SET_SECRET && stored) {
		struct atr_err err = {0};
		char *plain = secret_decrypt(stored, &err);
		if (!plain) {
			atr_log("settings: %s (org %lld): %s", key,
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
		const char *v = stored ? stored : settings_default(d);
		if (atr_strlcpy(out, v, n) >= n)
			rc = -1;
	}
	settings_stored_free(stored);
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
	if (atr_parse_i64(buf, out) < 0 &&
	    atr_parse_i64(settings_default(d), out) < 0)
		return -1;
	return 0;
}

int settings_store(struct db_conn *c, int64_t org, const char *key,
		   const char *stored)
{
	struct db_stmt *st =
		stored ? db_prepare(c, "INSERT INTO setting (org_id, key, "
				       "value) VALUES (?, ?, ?) ON CONFLICT "
				       "(org_id, key) DO UPDATE SET value = "
				       "excluded.value")
		       : db_prepare(c, "DELETE FROM setting WHERE org_id = ? "
				       "AND key = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, key);
	if (stored)
		db_bind_text(st, 3, stored);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* ---- JSON <-> stored text ------------------------------------------------ */

json_t *settings_value_json(const struct setting_def *d, const char *v)
{
	int64_t i;
	switch (d->type) {
	case SET_INT:
		if (atr_parse_i64(v, &i) < 0 &&
		    atr_parse_i64(settings_default(d), &i) < 0)
			i = 0;
		return json_integer((json_int_t)i);
	case SET_BOOL:
		return json_boolean(strcmp(v, "true") == 0);
	default:
		return json_string(v);
	}
}

char *settings_value_stored(const struct setting_def *d, const json_t *v)
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

const char *settings_type_name(enum setting_type t)
{
	static const char *const names[] = {
		[SET_TEXT] = "text", [SET_INT] = "int",
		[SET_BOOL] = "bool", [SET_ENUM] = "enum",
		[SET_EMAIL] = "email", [SET_SECRET] = "secret",
	};
	return t >= SET_TEXT && t <= SET_SECRET ? names[t] : "text";
}

/* ---- judging a value ----------------------------------------------------- */

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

void settings_check_value(const struct setting_def *d, const json_t *v,
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
		else if (d->check)
			d->check(s, k, err);
	}
}
