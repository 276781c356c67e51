/* settings.c — the settings module: the company group and the two routes
 * over every module's settings (the store is core/settings.c).
 *
 * GET  /api/v1/settings/{group}  -> {"group", "values", "fields"}
 * PATCH /api/v1/settings/{group} <- {"key": value, ...}
 *
 * A PATCH is judged whole before anything is written (every bad key in one
 * 422), then written in one transaction with one activity row whose diff is
 * {key: {from, to}}; secrets appear there as "[secret]", never as a value.
 * The judging and the write are the settings store's (settings_judge,
 * settings_apply), shared with `atrium settings set`. GET answers the
 * group's version as its ETag; PATCH takes If-Match (optional; 412 when
 * stale) and answers the new ETag.
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
	/* Printed under the seller on invoices (Romania: CUI/CIF and the
	 * trade register number). */
	{"company", "vat_number", SET_TEXT, NULL, 0, 50, NULL, 0},
	{"company", "registration_number", SET_TEXT, NULL, 0, 50, NULL, 0},
	{0},
};

/* The route's check hook: the schema step ran (the pipeline); the rest
 * of the judging is the settings store's, the same `atrium settings set`
 * runs. All errors land in one 422. */
static void settings_h_check(struct req *r)
{
	settings_judge_more(r->param, r->body, &r->err);
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
				      settings_type_name(d->type));
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
		if (d->read_only)
			json_object_set_new(f, "read_only", json_true());
		json_array_append_new(arr, f);
	}
	return arr;
}

/* {"group", "values", "fields"} of org; NULL on a database error. */
static json_t *group_json(struct db_conn *c, int64_t org, const char *group)
{
	json_t *values = settings_values_json(c, org, group);
	if (!values)
		return NULL;
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
	/* The version first: see settings_version. */
	int64_t version;
	if (settings_version(c, r->who.org_id, r->param, &version) < 0)
		return req_db_error(r);
	json_t *o = group_json(c, r->who.org_id, r->param);
	if (!o)
		return req_db_error(r);
	req_etag(r, version);
	req_json(r, 200, o);
	return 0;
}

/* PATCH: If-Match is optional (a client that sends none changes the keys
 * it names, as before); a stale one is 412 and nothing is written. */
static int settings_h_patch(struct req *r)
{
	struct settings_change ch = {.if_version = req_if_match(r)};
	if (ch.if_version == -2)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"If-Match must be a version like \"3\"");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t org = r->who.org_id;
	if (db_begin(c) < 0)
		return req_db_error(r);
	int rc = -1;
	json_t *o = NULL;
	if (settings_apply(c, org, r->param, r->body, &ch, &r->err) < 0)
		goto out;
	bool changed = json_object_size(ch.diff) > 0;
	if (changed &&
	    activity_from_req(r, "update", "settings", 0, ch.diff) < 0)
		goto out;
	/* The answer is read in the transaction: the values of the version
	 * the ETag names. */
	o = group_json(c, org, r->param);
	if (!o) {
		req_db_error(r);
		goto out;
	}
	if (changed ? db_commit(c) < 0 : db_rollback(c) < 0) {
		req_db_error(r);
		goto out;
	}
	req_etag(r, ch.version);
	req_json(r, 200, o);
	o = NULL;
	rc = 0;
out:
	if (rc < 0 && db_in_tx(c))
		db_rollback(c);
	json_decref(o);
	json_decref(ch.diff);
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
