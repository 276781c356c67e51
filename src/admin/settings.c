/* settings.c — the settings module: the company group and the two routes
 * over every module's settings (the store is core/settings.c).
 *
 * GET  /api/v1/settings/{group}  -> {"group", "values", "fields"}
 * PATCH /api/v1/settings/{group} <- {"key": value, ...}
 *
 * A PATCH is judged whole before anything is written (every bad key in one
 * 422), then written in one transaction with one activity row whose diff is
 * {key: {from, to}}; secrets appear there as "[secret]", never as a value.
 */
#include "atrium.h"

#include "auth/perm.h"
#include "core/activity.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "http/http.h"

/* The company group; other groups are their modules' (smtp and
 * email_queue: email; seats: staff; security: auth). */
static const struct setting_def company_settings[] = {
	{"company", "company_name", SET_TEXT, "Atrium", 1, 200, NULL, 0},
	{"company", "address", SET_TEXT, NULL, 0, 500, NULL, SETF_MULTILINE},
	{0},
};

static const char *const type_names[] = {
	[SET_TEXT] = "text", [SET_INT] = "int",       [SET_BOOL] = "bool",
	[SET_ENUM] = "enum", [SET_EMAIL] = "email", [SET_SECRET] = "secret",
};

/* Drops the pipeline's errors about field (see settings_init). */
static void drop_field_errors(struct atr_err *e, const char *field)
{
	int k = 0;
	for (int i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].field, field) != 0)
			e->fields[k++] = e->fields[i];
	e->nfields = k;
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
			settings_check_value(d, v, &r->err);
	}
	if (r->err.kind == ATR_E_INVALID && r->err.nfields == 0)
		atr_err_clear(&r->err);
}

/* ---- responses ------------------------------------------------------------ */

static json_t *fields_json(const char *group)
{
	json_t *arr = json_array();
	for (int i = 0; i < settings_count(); i++) {
		const struct setting_def *d = settings_at(i);
		if (strcmp(d->group, group) != 0)
			continue;
		json_t *f = json_pack("{s:s,s:s}", "key", d->key, "type",
				      type_names[d->type]);
		if (d->type != SET_SECRET)
			json_object_set_new(f, "default",
					    settings_value_json(d, settings_default(d)));
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

/* Clears every stored secret of the request's group that the request did
 * not send, recording it in diff. 0 or -1 (r->err). */
static int clear_secrets(struct req *r, struct db_conn *c, int64_t org,
			 json_t *diff)
{
	for (int i = 0; i < settings_count(); i++) {
		const struct setting_def *d = settings_at(i);
		if (d->type != SET_SECRET || strcmp(d->group, r->param) ||
		    json_object_get(r->body, d->key))
			continue;
		char *old = NULL;
		if (settings_load_stored(c, org, d->key, &old) < 0)
			return req_db_error(r);
		if (!old)
			continue;
		settings_stored_free(old);
		if (settings_store(c, org, d->key, NULL) < 0)
			return req_db_error(r);
		json_object_set_new(diff, d->key,
				    json_pack("{s:s,s:n}", "from", "[secret]",
					      "to"));
	}
	return 0;
}

/* The group's rules across rows (setting_def.rule), on the values as the
 * PATCH leaves them. 0, or -1 with the field errors in r->err. */
static int run_rules(struct req *r, struct db_conn *c, int64_t org)
{
	void (*done[8])(struct db_conn *, int64_t, struct atr_err *);
	int n = 0;
	for (int i = 0; i < settings_count(); i++) {
		const struct setting_def *d = settings_at(i);
		if (!d->rule || strcmp(d->group, r->param))
			continue;
		bool seen = false;
		for (int k = 0; k < n; k++)
			seen = seen || done[k] == d->rule;
		if (seen)
			continue;
		if (n < (int)ATR_ARRAY_LEN(done))
			done[n++] = d->rule;
		d->rule(c, org, &r->err);
	}
	return r->err.kind != ATR_E_NONE ? -1 : 0;
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
	bool target_changed = false;
	for (int i = 0; i < settings_count(); i++) {
		const struct setting_def *d = settings_at(i);
		json_t *v = json_object_get(r->body, d->key);
		if (!v)
			continue;
		char *old = NULL, *new = NULL;
		if (settings_load_stored(c, org, d->key, &old) < 0) {
			req_db_error(r);
			goto out;
		}
		if (!json_is_null(v)) {
			new = settings_value_stored(d, v);
			if (!new) {
				settings_stored_free(old);
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
				: strcmp(old ? old : settings_default(d),
					 new ? new : settings_default(d)) != 0;
		int w = changed ? settings_store(c, org, d->key, new) : 0;
		if (changed)
			json_object_set_new(diff, d->key,
					    change_json(d, old, new));
		if (changed && (d->flags & SETF_CREDENTIAL_TARGET))
			target_changed = true;
		settings_stored_free(old);
		settings_stored_free(new);
		if (w < 0) {
			req_db_error(r);
			goto out;
		}
	}
	/* A secret does not follow a change of where it is sent: cleared,
	 * unless this request sends it again. */
	if (target_changed && clear_secrets(r, c, org, diff) < 0)
		goto out;
	if (run_rules(r, c, org) < 0)
		goto out;
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

/* The PATCH body names every module's keys, collected at start-up. */
static const struct schema *settings_body_schema(struct req *r)
{
	return settings_schema();
}

static const struct route settings_routes[] = {
	{HTTP_GET, "/api/v1/settings/{group}", settings_h_get, ACCESS_PERM,
	 "settings", CAP_VIEW, NULL, NULL, NULL, 0},
	{HTTP_PATCH, "/api/v1/settings/{group}", settings_h_patch, ACCESS_PERM,
	 "settings", CAP_EDIT, NULL, NULL, settings_h_check, 0,
	 settings_body_schema},
	{0},
};

static const struct perm_module settings_perms[] = {
	{"settings", "Settings", PB_VIEW | PB_EDIT, "settings"},
	{0},
};

const struct module module_settings = {
	.name = "settings",
	.perms = settings_perms,
	.routes = settings_routes,
	.settings = company_settings,
};
