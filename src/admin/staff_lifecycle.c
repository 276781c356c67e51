/* staff_lifecycle.c — deactivate, activate, delete with reassignment,
 * invitations, the access explanation and individual overrides.
 *
 * The spec's offboarding rule: deactivate, never delete. Deactivation
 * takes effect at once (every session of the member ends in the same
 * transaction). Delete exists for mistakes and is refused unless every
 * record the member owns or is assigned is reassigned to another active
 * member (the staff lists they are on too: a task's assignees, a
 * project's members), in one transaction, with the counts returned and
 * logged, and an activity row on every record moved.
 */
#include "atrium.h"

#include "admin/staff.h"
#include "auth/api_token.h"
#include "auth/auth.h"
#include "auth/membership.h"
#include "auth/perm.h"
#include "auth/session.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/health_report.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/http.h"

static int not_found(struct req *r)
{
	return atr_fail(&r->err, ATR_E_NOT_FOUND, "staff member %lld not found",
			(long long)r->id);
}

/* Loads the target inside the open transaction, after the one rule of
 * who may manage whom (perm_may_manage). 0, or -1 with r->err. */
static int load_target(struct req *r, json_t **rec)
{
	if (perm_may_manage(r->db, &r->who, r->id, &r->err) < 0)
		return -1;
	int rc = staff_load(r->db, r->who.org_id, r->id, rec);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return not_found(r);
	return 0;
}

static int set_active(struct req *r, bool active)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (!active && r->id == r->who.staff_id)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"you cannot deactivate yourself");
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *rec = NULL;
	if (load_target(r, &rec) < 0)
		return -1;
	bool was = json_is_true(json_object_get(rec, "active"));
	int rc = 0;
	if (was == active)
		goto done; /* nothing to do; answer with the record */
	if (active && staff_seat_check(r) < 0) {
		json_decref(rec);
		return -1;
	}
	if (!active && json_is_true(json_object_get(rec, "admin")) &&
	    staff_store_active_admins(c, r->who.org_id) <= 1) {
		json_decref(rec);
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"cannot deactivate the last active "
				"administrator");
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE staff SET active = ?, updated_at = ?, version = "
		   "version + 1 WHERE id = ? AND org_id = ?");
	if (!st) {
		json_decref(rec);
		return req_db_error(r);
	}
	db_bind_int(st, 1, active);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, r->id);
	db_bind_int(st, 4, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	/* Deactivation ends every session at once. */
	if (rc < 0 || (!active && session_end_all(c, r->id, 0) < 0)) {
		json_decref(rec);
		return req_db_error(r);
	}
	json_t *diff = json_pack("{s:{s:b,s:b}}", "active", "from", was, "to",
				 active);
	rc = activity_from_req(r, active ? "activate" : "deactivate", "staff",
			       r->id, diff);
	json_decref(diff);
	json_decref(rec);
	rec = NULL;
	if (rc < 0 || staff_load(c, r->who.org_id, r->id, &rec) != 1 ||
	    outbox_emit(c, r->who.org_id, "staff", r->id,
			active ? "activated" : "deactivated", NULL, rec) < 0) {
		json_decref(rec);
		return r->err.kind ? -1 : req_db_error(r);
	}
done:
	if (db_commit(c) < 0) {
		json_decref(rec);
		return req_db_error(r);
	}
	if (staff_add_can_manage(r, rec) < 0) {
		json_decref(rec);
		return -1;
	}
	req_json(r, 200, rec);
	return 0;
}

static int staff_h_deactivate(struct req *r)
{
	return set_active(r, false);
}

static int staff_h_activate(struct req *r)
{
	return set_active(r, true);
}

/* Moves every record of `from` (owner or assignee fields of every entity,
 * staff lists included) to `to`, each record with an activity row of its
 * own (entity_reassign); fills counts {entity: {field: n}}. 0 or -1. */
static int reassign_all(struct req *r, int64_t from, int64_t to,
			json_t *counts)
{
	for (int i = 0; i < entity_count(); i++) {
		const struct entity *e = entity_at(i);
		json_t *per = json_object();
		for (int k = 0; k < e->schema.nfields; k++) {
			const struct field *f = &e->schema.fields[k];
			if (!(f->flags & (F_OWNER | F_ASSIGNEE)))
				continue;
			int64_t n = entity_reassign(r, e, k, from, to);
			if (n < 0) {
				json_decref(per);
				return -1;
			}
			json_object_set_new(per, f->name, json_integer(n));
		}
		if (json_object_size(per))
			json_object_set_new(counts, e->name, per);
		else
			json_decref(per);
	}
	return 0;
}

static int staff_h_delete(struct req *r)
{
	const char *to_s = req_query(r, "reassign_to");
	const char *fate_s = req_query(r, "tokens");
	int64_t to = 0;
	for (int i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, "reassign_to") &&
		    strcmp(r->query[i].key, "tokens"))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"unknown query parameter '%s'",
					r->query[i].key);
	if (!to_s || atr_parse_i64(to_s, &to) < 0 || to < 1) {
		atr_field(&r->err, "reassign_to", "required",
			  "give the id of the active staff member who takes "
			  "over this member's records (or deactivate "
			  "instead of deleting)");
		return -1;
	}
	if (to == r->id) {
		atr_field(&r->err, "reassign_to", "invalid",
			  "must be another staff member");
		return -1;
	}
	if (r->id == r->who.staff_id)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"you cannot delete yourself");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	/* Serialise against new references: records that name this member
	 * and commit after the reassignment below would make the delete
	 * fail (or, without the foreign key, point at nobody). */
	if (staff_store_lock(c, r->who.org_id, r->id) < 0)
		return req_db_error(r);
	json_t *rec = NULL, *target = NULL;
	if (load_target(r, &rec) < 0)
		return -1;
	/* The person's credentials are on this row while they belong to
	 * other organisations: it stays (deactivate it instead). */
	int linked = membership_has_linked(c, r->id);
	if (linked != 0) {
		json_decref(rec);
		return linked < 0 ? req_db_error(r)
				  : atr_fail(&r->err, ATR_E_CONFLICT,
					     "this person is also a member of "
					     "other organisations and signs in "
					     "with this account; deactivate "
					     "them here instead");
	}
	int rc = staff_load(c, r->who.org_id, to, &target);
	if (rc != 1 || !json_is_true(json_object_get(target, "active"))) {
		json_decref(rec);
		json_decref(target);
		if (rc < 0)
			return req_db_error(r);
		atr_field(&r->err, "reassign_to", "not_found",
			  "no active staff member with id %lld",
			  (long long)to);
		return -1;
	}
	bool to_admin = json_is_true(json_object_get(target, "admin"));
	json_decref(target);
	if (json_is_true(json_object_get(rec, "admin")) &&
	    json_is_true(json_object_get(rec, "active")) &&
	    staff_store_active_admins(c, r->who.org_id) <= 1) {
		json_decref(rec);
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"cannot delete the last active administrator");
	}
	/* Their API tokens: the caller says what becomes of them (the spec:
	 * revoke, or move to the integration user who takes over). */
	int64_t live = api_token_live(c, r->id);
	if (live < 0) {
		json_decref(rec);
		return req_db_error(r);
	}
	enum token_fate fate = 0;
	if (fate_s && !strcmp(fate_s, "revoke"))
		fate = TOKENS_REVOKE;
	else if (fate_s && !strcmp(fate_s, "move"))
		fate = TOKENS_MOVE;
	if ((live > 0 && !fate) || (fate_s && !fate)) {
		json_decref(rec);
		atr_field(&r->err, "tokens", fate_s ? "invalid" : "required",
			  "this member has %lld API token%s: revoke them "
			  "(tokens=revoke) or move them to the member who takes "
			  "over (tokens=move)",
			  (long long)live, live == 1 ? "" : "s");
		return -1;
	}
	if (fate == TOKENS_MOVE && live > 0 &&
	    to_admin &&
	    !r->app->cfg.api_tokens_for_admins) {
		json_decref(rec);
		atr_field(&r->err, "tokens", "admin",
			  "the member who takes over is an administrator: "
			  "API tokens may not belong to administrators");
		return -1;
	}
	json_t *counts = json_object();
	int64_t moved = api_token_owner_gone(c, r->id, to, fate ? fate : TOKENS_REVOKE);
	if (moved < 0 || reassign_all(r, r->id, to, counts) < 0)
		goto dberr;
	if (live > 0)
		json_object_set_new(counts, "api_token",
				    json_pack("{s:I}", fate == TOKENS_MOVE
							       ? "moved"
							       : "revoked",
					      (json_int_t)moved));
	struct db_stmt *st = db_prepare(
		c, "DELETE FROM staff WHERE id = ? AND org_id = ?");
	if (!st)
		goto dberr;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		goto dberr;
	json_t *diff = json_pack("{s:{s:O},s:{s:O},s:{s:I},s:{s:O}}", "email",
				 "from", json_object_get(rec, "email"), "name",
				 "from", json_object_get(rec, "name"),
				 "reassigned_to", "to", (json_int_t)to,
				 "reassigned", "to", counts);
	rc = activity_from_req(r, "delete", "staff", r->id, diff);
	json_decref(diff);
	if (rc < 0 ||
	    outbox_emit(c, r->who.org_id, "staff", r->id, "deleted", rec,
			NULL) < 0 ||
	    db_commit(c) < 0) {
		json_decref(rec);
		json_decref(counts);
		return r->err.kind ? -1 : req_db_error(r);
	}
	json_decref(rec);
	req_json(r, 200,
		 json_pack("{s:I,s:I,s:o}", "deleted", (json_int_t)r->id,
			   "reassigned_to", (json_int_t)to, "reassigned",
			   counts));
	return 0;
dberr:
	json_decref(rec);
	json_decref(counts);
	return req_db_error(r);
}

/* POST /api/v1/staff/{id}/invite: a fresh set-password link by email. */
static int staff_h_invite(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *rec = NULL;
	if (load_target(r, &rec) < 0)
		return -1;
	if (membership_refuse_linked(c, r->id, &r->err) < 0) {
		json_decref(rec);
		return -1;
	}
	if (!json_is_true(json_object_get(rec, "active"))) {
		json_decref(rec);
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"the staff member is deactivated; activate "
				"them first");
	}
	int rc = staff_invite(r, r->id,
			      json_string_value(json_object_get(rec, "email")),
			      json_string_value(json_object_get(rec, "name")));
	if (!rc)
		rc = activity_from_req(r, "invite", "staff", r->id, NULL);
	json_decref(rec);
	if (rc < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 202, json_pack("{s:b}", "invitation_sent", 1));
	return 0;
}

#define FORCED_RESET_HOURS 24

/* POST /api/v1/staff/{id}/password/reset: an administrator forces a new
 * password without ever seeing or setting it: the old one stops working,
 * every session ends, and the member gets a single-use reset link. */
static int staff_h_force_reset(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *rec = NULL;
	if (load_target(r, &rec) < 0)
		return -1;
	if (membership_refuse_linked(c, r->id, &r->err) < 0) {
		json_decref(rec);
		return -1;
	}
	if (!json_is_true(json_object_get(rec, "active"))) {
		json_decref(rec);
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"the staff member is deactivated; activate "
				"them first");
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE staff SET password_hash = NULL, updated_at = ? "
		   "WHERE id = ? AND org_id = ?");
	int rc = -1;
	if (st) {
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, r->id);
		db_bind_int(st, 3, r->who.org_id);
		rc = db_step(st);
		db_reset(st);
	}
	if (rc < 0 || session_end_person(c, r->id, 0) < 0) {
		json_decref(rec);
		return req_db_error(r);
	}
	rc = auth_send_link(r, r->id,
			     json_string_value(json_object_get(rec, "email")),
			     json_string_value(json_object_get(rec, "name")),
			     "reset", FORCED_RESET_HOURS, "password_reset");
	json_decref(rec);
	if (rc < 0 ||
	    activity_from_req(r, "password_reset_forced", "staff", r->id,
			      NULL) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_json(r, 202, json_pack("{s:b}", "reset_link_sent", 1));
	return 0;
}

static int staff_h_access(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int ex = staff_store_exists(c, r->who.org_id, r->id);
	if (ex < 0)
		return req_db_error(r);
	if (ex == 0)
		return not_found(r);
	json_t *o = perm_explain(c, r->id);
	if (!o)
		return req_db_error(r);
	req_json(r, 200, o);
	return 0;
}

/* Reads the member's overrides as {module: {cap: effect}}. */
static json_t *load_overrides(struct db_conn *c, int64_t staff_id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT module, cap, effect FROM staff_permission "
		   "WHERE staff_id = ? ORDER BY module, cap");
	if (!st)
		return NULL;
	db_bind_int(st, 1, staff_id);
	json_t *o = json_object();
	int rc;
	while ((rc = db_step(st)) == 1) {
		const char *m = db_col_text(st, 0);
		json_t *mod = json_object_get(o, m);
		if (!mod) {
			mod = json_object();
			json_object_set_new(o, m, mod);
		}
		json_object_set_new(mod, db_col_text(st, 1),
				    json_string(db_col_text(st, 2)));
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int staff_h_overrides_get(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int ex = staff_store_exists(c, r->who.org_id, r->id);
	if (ex <= 0)
		return ex < 0 ? req_db_error(r) : not_found(r);
	json_t *o = load_overrides(c, r->id);
	if (!o)
		return req_db_error(r);
	req_json(r, 200, json_pack("{s:o}", "overrides", o));
	return 0;
}

static const struct field overrides_fields[] = {
	{"overrides", FT_OBJECT, F_REQUIRED, 0, NULL, NULL},
};
static const struct schema overrides_schema = SCHEMA(overrides_fields);

/* {module: {cap: "allow"|"deny"|"inherit"}}: every problem named. */
static void overrides_check(struct req *r)
{
	json_t *ov = json_object_get(r->body, "overrides");
	if (!json_is_object(ov))
		return;
	const char *mod;
	json_t *caps;
	json_object_foreach(ov, mod, caps)
	{
		char name[96];
		snprintf(name, sizeof name, "overrides.%s", mod);
		int m = perm_module_index(mod);
		if (m < 0) {
			atr_field(&r->err, name, "not_allowed", "unknown module");
			continue;
		}
		if (!json_is_object(caps)) {
			atr_field(&r->err, name, "type",
				  "must be an object of capability: effect");
			continue;
		}
		const char *cap;
		json_t *eff;
		json_object_foreach(caps, cap, eff)
		{
			unsigned bit = perm_bit_parse(cap);
			const char *e = json_string_value(eff);
			if (!bit || !(perm_module_at(m)->caps & bit))
				atr_field(&r->err, name, "not_allowed",
					  "'%s' is not a capability of %s",
					  cap, mod);
			else if (!e || (strcmp(e, "allow") &&
					strcmp(e, "deny") && strcmp(e, "inherit")))
				atr_field(&r->err, name, "not_allowed",
					  "%s must be allow, deny or inherit",
					  cap);
		}
	}
	if (r->err.kind != ATR_E_NONE || r->who.admin || !req_db(r))
		return;
	/* Nobody grants, or lifts a deny on, what they do not hold; and
	 * the target must be one the caller may manage at all (403 before
	 * any field error that would describe their grants). */
	if (r->id == r->who.staff_id) {
		atr_fail(&r->err, ATR_E_FORBIDDEN,
			 "you cannot change your own permissions");
		return;
	}
	if (perm_may_manage(r->db, &r->who, r->id, &r->err) < 0)
		return;
	struct perm_member t;
	int rc = perm_member_load(r->db, r->who.org_id, r->id, &t);
	if (rc < 0)
		req_db_error(r);
	else if (rc == 1)
		perm_override_errors(&r->who, &t, ov, &r->err);
}

/* PUT /api/v1/staff/{id}/permissions: replaces the member's overrides. */
static int staff_h_overrides_put(struct req *r)
{
	if (r->id == r->who.staff_id && !r->who.admin)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"you cannot change your own permissions");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *rec = NULL;
	if (load_target(r, &rec) < 0)
		return -1;
	json_decref(rec);
	/* Again inside the transaction (the check hook judged it before):
	 * what the change would grant must be the caller's. */
	struct perm_member t;
	if (perm_member_load(c, r->who.org_id, r->id, &t) != 1)
		return req_db_error(r);
	if (perm_override_errors(&r->who, &t,
				 json_object_get(r->body, "overrides"),
				 &r->err) > 0)
		return -1;
	json_t *before = load_overrides(c, r->id);
	if (!before)
		return req_db_error(r);
	struct db_stmt *st =
		db_prepare(c, "DELETE FROM staff_permission WHERE staff_id = ?");
	if (!st)
		goto dberr;
	db_bind_int(st, 1, r->id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		goto dberr;
	const char *mod, *cap;
	json_t *caps, *eff;
	json_object_foreach(json_object_get(r->body, "overrides"), mod, caps)
	{
		json_object_foreach(caps, cap, eff)
		{
			const char *e = json_string_value(eff);
			if (!strcmp(e, "inherit"))
				continue;
			st = db_prepare(c, "INSERT INTO staff_permission "
					   "(staff_id, module, cap, effect) "
					   "VALUES (?, ?, ?, ?)");
			if (!st)
				goto dberr;
			db_bind_int(st, 1, r->id);
			db_bind_text(st, 2, mod);
			db_bind_text(st, 3, cap);
			db_bind_text(st, 4, e);
			rc = db_step(st);
			db_reset(st);
			if (rc < 0)
				goto dberr;
		}
	}
	json_t *after = load_overrides(c, r->id);
	if (!after)
		goto dberr;
	json_t *diff = json_pack("{s:{s:O,s:O}}", "overrides", "from", before,
				 "to", after);
	rc = activity_from_req(r, "permissions", "staff", r->id, diff);
	json_decref(diff);
	json_decref(before);
	if (rc < 0 || db_commit(c) < 0) {
		json_decref(after);
		return r->err.kind ? -1 : req_db_error(r);
	}
	req_json(r, 200, json_pack("{s:o}", "overrides", after));
	return 0;
dberr:
	json_decref(before);
	return req_db_error(r);
}

static const struct route staff_lifecycle_routes[] = {
	{HTTP_POST, "/api/v1/staff/{id}/deactivate", staff_h_deactivate,
	 ACCESS_PERM, "staff", CAP_EDIT, &schema_empty},
	{HTTP_POST, "/api/v1/staff/{id}/activate", staff_h_activate,
	 ACCESS_PERM, "staff", CAP_EDIT, &schema_empty},
	{HTTP_POST, "/api/v1/staff/{id}/invite", staff_h_invite, ACCESS_PERM,
	 "staff", CAP_EDIT, &schema_empty},
	{HTTP_POST, "/api/v1/staff/{id}/password/reset", staff_h_force_reset,
	 ACCESS_PERM, "staff", CAP_EDIT, &schema_empty},
	{HTTP_DELETE, "/api/v1/staff/{id}", staff_h_delete, ACCESS_PERM,
	 "staff", CAP_DELETE},
	{HTTP_GET, "/api/v1/staff/{id}/access", staff_h_access, ACCESS_PERM,
	 "staff", CAP_VIEW},
	{HTTP_GET, "/api/v1/staff/{id}/permissions", staff_h_overrides_get,
	 ACCESS_PERM, "staff", CAP_VIEW},
	{HTTP_PUT, "/api/v1/staff/{id}/permissions", staff_h_overrides_put,
	 ACCESS_PERM, "staff", CAP_EDIT, &overrides_schema, NULL,
	 overrides_check},
	{0},
};

#define INACTIVE_DAYS 90

/* The health report: active accounts without a sign-in for more than 90
 * days (the spec: 0 good, any a warning: evaluate deactivation). A member
 * who never signed in counts from when they were added; an invitation not
 * yet accepted (no password, never signed in) is not an account yet. */
static int inactive_health(struct app *app, struct db_conn *c, int64_t org,
			   struct health_report *rep)
{
	char cut[ATR_TIME_LEN];
	atr_time_iso(atr_now_ms() - INACTIVE_DAYS * 24LL * 3600 * 1000, cut);
	struct db_stmt *st = db_prepare(
		c, org ? "SELECT COUNT(*) FROM staff WHERE org_id = ? AND "
			 "active = 1 AND COALESCE(last_login_at, created_at) "
			 "< ? AND NOT (password_hash IS NULL AND "
			 "last_login_at IS NULL)"
		       : "SELECT COUNT(*) FROM staff WHERE active = 1 AND "
			 "COALESCE(last_login_at, created_at) < ? AND NOT "
			 "(password_hash IS NULL AND last_login_at IS NULL)");
	if (!st)
		return -1;
	int k = 1;
	if (org)
		db_bind_int(st, k++, org);
	db_bind_text(st, k, cut);
	int rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc != 1)
		return -1;
	struct hr_ind *i =
		hr_add(rep, "accounts_inactive", "count",
		       "/admin/staff?active=true&inactive_days=90");
	hr_value(i, (double)n);
	hr_thresholds(i, HR_EQ, 0, HR_GT, 0);
	hr_fact(i, "days", INACTIVE_DAYS);
	hr_gauge(rep, "atrium_accounts_inactive_90d",
		 "Active accounts without a sign-in for more than 90 days.",
		 NULL, NULL, (double)n);
	return 0;
}

const struct module module_staff_lifecycle = {
	.name = "staff_lifecycle",
	.routes = staff_lifecycle_routes,
	.health = inactive_health,
};
