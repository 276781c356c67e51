/* portal_staff.c — what staff do about a contact's portal account.
 *
 * GET    /api/v1/contacts/{id}/portal           state (contacts: view)
 * POST   /api/v1/contacts/{id}/portal/invite    email a link to set the
 *                                               password; turns access on
 * DELETE /api/v1/contacts/{id}/portal/sessions  sign them out everywhere
 * DELETE /api/v1/contacts/{id}/portal/totp      remove their second factor
 *
 * The last three need contacts: edit. Each needs the contact to be
 * visible to the caller (404 otherwise, as for the record) and writes
 * its activity row on the contact in the same transaction; the
 * invitation also changes the record (portal_access), so it bumps the
 * version and emits the contact's updated event like any edit.
 */
#include "atrium.h"

#include "core/activity.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/write.h"
#include "portal/portal.h"

extern const struct entity entity_contact;

static int visible(struct req *r)
{
	int ex = entity_ref_visible(r, &entity_contact, r->id);
	if (ex < 0)
		return req_db_error(r);
	if (ex == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"contact %lld not found", (long long)r->id);
	return 0;
}

static int state_h_get(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c || visible(r) < 0)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "SELECT c.portal_access, a.password_hash IS NOT NULL, "
		   "a.totp_confirmed_at IS NOT NULL, a.last_login_at, "
		   "(SELECT max(t.created_at) FROM portal_token t WHERE "
		   "t.contact_id = c.id AND t.purpose = 'invite'), (SELECT "
		   "max(t.expires_at) FROM portal_token t WHERE t.contact_id = "
		   "c.id AND t.purpose = 'invite' AND t.used_at IS NULL AND "
		   "t.expires_at > ?), (SELECT count(*) FROM portal_session s "
		   "WHERE s.contact_id = c.id AND s.expires_at > ?) FROM "
		   "contact c LEFT JOIN portal_account a ON a.contact_id = c.id "
		   "WHERE c.id = ? AND c.org_id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_text(st, 1, now);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, r->id);
	db_bind_int(st, 4, r->who.org_id);
	int rc = db_step(st);
	json_t *out = NULL;
	if (rc == 1) {
		bool has_pw = db_col_int(st, 1) != 0;
		bool invited = !db_col_null(st, 5);
		out = json_pack(
			"{s:b,s:s,s:o,s:o,s:o,s:b,s:I}", "access",
			db_col_int(st, 0) != 0, "state",
			has_pw ? "active" : invited ? "invited" : "none",
			"invited_at",
			db_col_null(st, 4) ? json_null()
					   : json_string(db_col_text(st, 4)),
			"invite_expires_at",
			invited ? json_string(db_col_text(st, 5)) : json_null(),
			"last_login_at",
			db_col_null(st, 3) ? json_null()
					   : json_string(db_col_text(st, 3)),
			"totp_enabled", db_col_int(st, 2) != 0, "sessions",
			(json_int_t)db_col_int(st, 6));
	}
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"contact %lld not found", (long long)r->id);
	req_json(r, 200, out);
	return 0;
}

static int invite_h_post(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *before = NULL, *after = NULL, *diff = NULL;
	int ret = -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	int rc = entity_record_load(r, &entity_contact, true, &before);
	if (rc <= 0) {
		if (rc == 0)
			atr_fail(&r->err, ATR_E_NOT_FOUND,
				 "contact %lld not found", (long long)r->id);
		goto out;
	}
	struct portal_contact pc;
	if (portal_contact_load(c, NULL, r->id, &pc) != 1)
		goto out;
	if (!pc.email[0]) {
		atr_field(&r->err, "email", "required",
			  "the contact has no email address to invite");
		goto out;
	}
	if (!pc.access) {
		char now[ATR_TIME_LEN];
		atr_now_iso(now);
		struct db_stmt *st = db_prepare(
			c, "UPDATE contact SET portal_access = 1, version = "
			   "version + 1, updated_at = ? WHERE id = ? AND "
			   "org_id = ?");
		if (!st)
			goto out;
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, r->id);
		db_bind_int(st, 3, r->who.org_id);
		rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			goto out;
		pc.access = true;
	}
	if (entity_record_load(r, &entity_contact, false, &after) != 1)
		goto out;
	char exp[ATR_TIME_LEN];
	if (portal_send_link(r, &pc, "invite", PORTAL_INVITE_HOURS, exp) < 0)
		goto out;
	diff = write_diff(before, after);
	json_object_set_new(diff, "portal_invitation",
			    json_pack("{s:s}", "to", exp));
	if (activity_from_req(r, "portal_invite", "contact", r->id, diff) <
		    0 ||
	    (json_object_size(diff) > 1 &&
	     outbox_emit(c, r->who.org_id, "contact", r->id, "updated", before,
			 after) < 0))
		goto out;
	if (db_commit(c) < 0)
		goto out;
	req_json(r, 202, json_pack("{s:s}", "invite_expires_at", exp));
	ret = 0;
out:
	if (ret < 0 && db_in_tx(c))
		db_rollback(c);
	json_decref(before);
	json_decref(after);
	json_decref(diff);
	return ret < 0 && !r->err.kind ? req_db_error(r) : ret;
}

/* DELETE .../portal/sessions and .../portal/totp: the route's arg says
 * which. */
static int end_h_delete(struct req *r)
{
	bool totp = strcmp(r->route->arg, "totp") == 0;
	struct db_conn *c = req_db(r);
	if (!c || visible(r) < 0)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	int rc;
	if (totp) {
		struct db_stmt *st = db_prepare(
			c, "UPDATE portal_account SET totp_secret = NULL, "
			   "totp_confirmed_at = NULL, totp_last_step = 0 WHERE "
			   "contact_id = ? AND org_id = ?");
		if (!st)
			return req_db_error(r);
		db_bind_int(st, 1, r->id);
		db_bind_int(st, 2, r->who.org_id);
		rc = db_step(st);
		db_reset(st);
	} else {
		rc = portal_sessions_end_all(c, r->id, 0);
	}
	if (rc < 0)
		return req_db_error(r);
	if (activity_from_req(r, totp ? "portal_2fa_removed"
				      : "portal_sessions_ended",
			      "contact", r->id, NULL) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	r->status = 204;
	return 0;
}

static const struct route portal_staff_routes[] = {
	{HTTP_GET, "/api/v1/contacts/{id}/portal", state_h_get, ACCESS_PERM,
	 "contacts", CAP_VIEW},
	{HTTP_POST, "/api/v1/contacts/{id}/portal/invite", invite_h_post,
	 ACCESS_PERM, "contacts", CAP_EDIT, &schema_empty},
	{HTTP_DELETE, "/api/v1/contacts/{id}/portal/sessions", end_h_delete,
	 ACCESS_PERM, "contacts", CAP_EDIT, NULL, "sessions"},
	{HTTP_DELETE, "/api/v1/contacts/{id}/portal/totp", end_h_delete,
	 ACCESS_PERM, "contacts", CAP_EDIT, NULL, "totp"},
	{0},
};

const struct module module_portal_staff = {
	.name = "portal_staff",
	.routes = portal_staff_routes,
};
