/* portal_profile.c — the signed-in contact's own details.
 *
 * GET   /api/v1/portal/profile   name, email, phone, position
 * PATCH /api/v1/portal/profile   {first_name, last_name, phone, position}
 *
 * A contact keeps their own name, phone and job title current (as in
 * Perfex CRM's customer profile). The change is a change of the contact
 * record like any other: a new version, the activity row with the diff
 * (the contact as the actor) and the contact's updated event, in one
 * transaction. The email is their sign-in name: staff change it.
 */
#include "atrium.h"

#include "core/activity.h"
#include "core/arena.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/pipeline.h"
#include "http/write.h"
#include "portal/portal.h"

extern const struct entity entity_contact;

/* The contact record as the API shows it (an administrator's view of the
 * contact's organisation, for the diff and the event). New reference, or
 * NULL. */
static json_t *contact_json(struct req *r)
{
	struct req fr = {0};
	fr.app = r->app;
	fr.arena = arena_new();
	fr.db = r->db;
	fr.who.org_id = r->who.org_id;
	fr.who.admin = true;
	fr.id = r->who.contact_id;
	json_t *rec = NULL;
	if (entity_record_load(&fr, &entity_contact, false, &rec) != 1)
		rec = NULL;
	fr.db = NULL;
	req_free(&fr);
	return rec;
}

static json_t *profile_of(const json_t *rec)
{
	static const char *const keys[] = {"first_name", "last_name", "email",
					   "phone", "position"};
	json_t *o = json_object();
	for (size_t i = 0; i < ATR_ARRAY_LEN(keys); i++) {
		json_t *v = json_object_get(rec, keys[i]);
		json_object_set(o, keys[i], v ? v : json_null());
	}
	return o;
}

static int profile_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *rec = contact_json(r);
	if (!rec)
		return req_db_error(r);
	req_json(r, 200, profile_of(rec));
	json_decref(rec);
	return 0;
}

static void profile_check(struct req *r)
{
	const char *f = json_string_value(json_object_get(r->body,
							  "first_name"));
	bool blank = f != NULL;
	for (const char *p = f; p && *p; p++)
		blank = blank && *p == ' ';
	if (blank || json_is_null(json_object_get(r->body, "first_name")))
		atr_field(&r->err, "first_name", "required",
			  "must not be empty");
}

static int profile_h_patch(struct req *r)
{
	static const char *const cols[] = {"first_name", "last_name", "phone",
					   "position"};
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *before = NULL, *after = NULL, *diff = NULL;
	int ret = -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	before = contact_json(r);
	if (!before)
		goto out;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	for (size_t i = 0; i < ATR_ARRAY_LEN(cols); i++) {
		json_t *v = json_object_get(r->body, cols[i]);
		if (!v)
			continue;
		struct db_stmt *st = db_prepare(
			c, arena_printf(r->arena,
					"UPDATE contact SET %s = ? WHERE id = ? "
					"AND org_id = ?",
					cols[i]));
		if (!st)
			goto out;
		db_bind_text(st, 1, json_string_value(v));
		db_bind_int(st, 2, r->who.contact_id);
		db_bind_int(st, 3, r->who.org_id);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			goto out;
	}
	after = contact_json(r);
	if (!after)
		goto out;
	diff = write_diff(before, after);
	if (json_object_size(diff)) {
		struct db_stmt *st = db_prepare(
			c, "UPDATE contact SET version = version + 1, "
			   "updated_at = ? WHERE id = ? AND org_id = ?");
		if (!st)
			goto out;
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, r->who.contact_id);
		db_bind_int(st, 3, r->who.org_id);
		int rc = db_step(st);
		db_reset(st);
		json_decref(after);
		after = rc < 0 ? NULL : contact_json(r);
		if (!after ||
		    portal_activity(r, "update", "contact", r->who.contact_id,
				    diff) < 0 ||
		    outbox_emit(c, r->who.org_id, "contact", r->who.contact_id,
				"updated", before, after) < 0)
			goto out;
	}
	if (db_commit(c) < 0)
		goto out;
	req_json(r, 200, profile_of(after));
	ret = 0;
out:
	if (ret < 0 && db_in_tx(c))
		db_rollback(c);
	json_decref(before);
	json_decref(after);
	json_decref(diff);
	return ret < 0 && !r->err.kind ? req_db_error(r) : ret;
}

static const struct field profile_fields[] = {
	{.name = "first_name", .type = FT_TEXT, .max = 100},
	{.name = "last_name", .type = FT_TEXT, .max = 100},
	{.name = "phone", .type = FT_PHONE, .max = 50},
	{.name = "position", .type = FT_TEXT, .max = 100},
};
static const struct schema profile_schema = SCHEMA(profile_fields);

static const struct route portal_profile_routes[] = {
	{HTTP_GET, "/api/v1/portal/profile", profile_h_get, ACCESS_CONTACT},
	{HTTP_PATCH, "/api/v1/portal/profile", profile_h_patch, ACCESS_CONTACT,
	 NULL, 0, &profile_schema, NULL, profile_check},
	{0},
};

const struct module module_portal_profile = {
	.name = "portal_profile",
	.routes = portal_profile_routes,
};
