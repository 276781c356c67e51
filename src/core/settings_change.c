/* settings_change.c — changing a settings group: the judging, the write,
 * the group's version and its values as the API shows them. What PATCH
 * /api/v1/settings/{group} and `atrium settings set` both run, so the two
 * accept and refuse the same values (see settings.h). */
#include "atrium.h"

#include "core/settings.h"
#include "core/validate.h"
#include "db/db.h"

/* ---- judging ------------------------------------------------------------- */

/* Drops the schema step's errors about field: settings_judge_more judges
 * it again, with the row's own words. */
static void drop_field_errors(struct atr_err *e, const char *field)
{
	int k = 0;
	for (int i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].field, field) != 0)
			e->fields[k++] = e->fields[i];
	e->nfields = k;
}

static bool has_field_error(const struct atr_err *e, const char *field)
{
	for (int i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].field, field))
			return true;
	return false;
}

void settings_judge_more(const char *group, const json_t *body,
			 struct atr_err *err)
{
	if (!settings_group_exists(group)) {
		atr_err_clear(err);
		atr_fail(err, ATR_E_NOT_FOUND, "no settings group '%s'",
			 group ? group : "");
		return;
	}
	if (!json_is_object(body))
		return;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v)
	{
		const struct setting_def *d = settings_find(key);
		if (!d)
			continue; /* unknown_field from the schema */
		if (strcmp(d->group, group) != 0) {
			drop_field_errors(err, key);
			atr_field(err, key, "unknown_field",
				  "not a setting of group '%s'", group);
			continue;
		}
		if (d->read_only) {
			drop_field_errors(err, key);
			atr_field(err, key, "read_only", "%s", d->read_only);
			continue;
		}
		/* The schema cannot say "an integer in min..max": the row
		 * judges ints whole. Other values it judged first: one
		 * problem per field is enough. */
		if (d->type == SET_INT)
			drop_field_errors(err, key);
		else if (has_field_error(err, key))
			continue;
		if (!json_is_null(v))
			settings_check_value(d, v, err);
	}
	if (err->kind == ATR_E_INVALID && err->nfields == 0)
		atr_err_clear(err);
}

int settings_judge(const char *group, const json_t *body, struct atr_err *err)
{
	validate_body(body, settings_schema(), V_PATCH, err);
	settings_judge_more(group, body, err);
	return err->kind != ATR_E_NONE ? -1 : 0;
}

/* ---- the group's version ------------------------------------------------- */

int settings_version(struct db_conn *c, int64_t org, const char *group,
		     int64_t *out)
{
	*out = 1;
	struct db_stmt *st = db_prepare(
		c, "SELECT version FROM setting_version WHERE org_id = ? AND "
		   "grp = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, group);
	int rc = db_step(st);
	if (rc == 1)
		*out = db_col_int(st, 0);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Adds one to the group's version and returns the version before in
 * *old. The row it writes is locked until the transaction ends, so
 * changes of one group are made one after the other on PostgreSQL too
 * (SQLite's BEGIN IMMEDIATE already does). 0 or -1. */
static int version_bump(struct db_conn *c, int64_t org, const char *group,
			int64_t *old)
{
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO setting_version (org_id, grp, version) VALUES "
		   "(?, ?, 2) ON CONFLICT (org_id, grp) DO UPDATE SET version "
		   "= setting_version.version + 1 RETURNING version");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, group);
	int rc = db_step(st);
	if (rc == 1)
		*old = db_col_int(st, 0) - 1;
	db_reset(st);
	return rc == 1 ? 0 : -1;
}

/* ---- the write ----------------------------------------------------------- */

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
			 settings_value_json(d, old ? old : settings_default(d)),
			 "to",
			 settings_value_json(d, new ? new : settings_default(d)));
}

static int db_failed(struct db_conn *c, struct atr_err *err)
{
	return atr_fail(err, ATR_E_INTERNAL, "database error: %s",
			db_errmsg(c));
}

/* Clears every stored secret of group that body does not send, recording
 * it in diff. 0 or -1 (err). */
static int clear_secrets(struct db_conn *c, int64_t org, const char *group,
			 const json_t *body, json_t *diff, struct atr_err *err)
{
	for (int i = 0; i < settings_count(); i++) {
		const struct setting_def *d = settings_at(i);
		if (d->type != SET_SECRET || strcmp(d->group, group) ||
		    json_object_get(body, d->key))
			continue;
		char *old = NULL;
		if (settings_load_stored(c, org, d->key, &old) < 0)
			return db_failed(c, err);
		if (!old)
			continue;
		settings_stored_free(old);
		if (settings_store(c, org, d->key, NULL) < 0)
			return db_failed(c, err);
		json_object_set_new(diff, d->key,
				    json_pack("{s:s,s:n}", "from", "[secret]",
					      "to"));
	}
	return 0;
}

/* The group's rules across rows (setting_def.rule), each once, on the
 * values as the change leaves them. 0, or -1 with field errors in err. */
static int run_rules(struct db_conn *c, int64_t org, const char *group,
		     struct atr_err *err)
{
	void (*done[8])(struct db_conn *, int64_t, struct atr_err *);
	int n = 0;
	for (int i = 0; i < settings_count(); i++) {
		const struct setting_def *d = settings_at(i);
		if (!d->rule || strcmp(d->group, group))
			continue;
		bool seen = false;
		for (int k = 0; k < n; k++)
			seen = seen || done[k] == d->rule;
		if (seen)
			continue;
		if (n < (int)ATR_ARRAY_LEN(done))
			done[n++] = d->rule;
		d->rule(c, org, err);
	}
	return err->kind != ATR_E_NONE ? -1 : 0;
}

/* Writes the values body sends, recording each change in diff; *target
 * is set when one says where the group's secrets go. 0 or -1 (err). */
static int write_values(struct db_conn *c, int64_t org, const json_t *body,
			json_t *diff, bool *target, struct atr_err *err)
{
	for (int i = 0; i < settings_count(); i++) {
		const struct setting_def *d = settings_at(i);
		json_t *v = json_object_get(body, d->key);
		if (!v)
			continue;
		char *old = NULL, *new = NULL;
		if (settings_load_stored(c, org, d->key, &old) < 0)
			return db_failed(c, err);
		if (!json_is_null(v)) {
			new = settings_value_stored(d, v);
			if (!new) {
				settings_stored_free(old);
				return atr_fail(err, ATR_E_INTERNAL,
						"no master key is loaded");
			}
		}
		/* A new secret is always a change (we do not decrypt to
		 * compare); other values change when what they mean does. */
		bool changed =
			d->type == SET_SECRET
				? (new != NULL || old != NULL)
				: strcmp(old ? old : settings_default(d),
					 new ? new : settings_default(d)) != 0;
		int w = changed ? settings_store(c, org, d->key, new) : 0;
		if (changed)
			json_object_set_new(diff, d->key,
					    change_json(d, old, new));
		if (changed && (d->flags & SETF_CREDENTIAL_TARGET))
			*target = true;
		settings_stored_free(old);
		settings_stored_free(new);
		if (w < 0)
			return db_failed(c, err);
	}
	return 0;
}

int settings_apply(struct db_conn *c, int64_t org, const char *group,
		   const json_t *body, struct settings_change *ch,
		   struct atr_err *err)
{
	ch->diff = json_object();
	int64_t old;
	if (version_bump(c, org, group, &old) < 0)
		return db_failed(c, err);
	ch->version = old;
	if (ch->if_version >= 0 && ch->if_version != old)
		return atr_fail(err, ATR_E_PRECONDITION,
				"the settings of group '%s' were changed by "
				"someone else (now version %lld); reload them "
				"and apply your change again",
				group, (long long)old);
	bool target = false;
	if (write_values(c, org, body, ch->diff, &target, err) < 0)
		return -1;
	/* A secret does not follow a change of where it is sent: cleared,
	 * unless this change sends it again. */
	if (target && clear_secrets(c, org, group, body, ch->diff, err) < 0)
		return -1;
	if (run_rules(c, org, group, err) < 0)
		return -1;
	if (json_object_size(ch->diff) == 0)
		return 0;
	ch->version = old + 1;
	for (settings_hook const *h = settings_hooks(); *h; h++)
		if ((*h)(c, org, group, ch->diff, err) < 0)
			return -1;
	return 0;
}

/* ---- the values, as the API shows them ----------------------------------- */

json_t *settings_values_json(struct db_conn *c, int64_t org, const char *group)
{
	json_t *values = json_object();
	for (int i = 0; i < settings_count(); i++) {
		const struct setting_def *d = settings_at(i);
		if (strcmp(d->group, group) != 0)
			continue;
		char *stored;
		if (settings_load_stored(c, org, d->key, &stored) < 0) {
			json_decref(values);
			return NULL;
		}
		if (d->type == SET_SECRET) {
			char *k = xasprintf("%s_set", d->key);
			json_object_set_new(values, k, json_boolean(stored));
			free(k);
		} else {
			json_object_set_new(
				values, d->key,
				settings_value_json(d, stored
							? stored
							: settings_default(d)));
		}
		settings_stored_free(stored);
	}
	return values;
}
