/* auto_action.c — what an automation does, one action at a time, as its
 * owner.
 *
 * Every action runs in the step's transaction (auto_run.c) with the
 * owner's request context (auto_principal): records are written through
 * the entity engine's own create and update (entity_record_create,
 * entity_record_update: the body schema, the checks, the owner's view
 * scope, the activity row and the event), after the permission check the
 * route would make (perm_check on the owner's grants). So an automation
 * never does what its owner could not.
 *
 *   update        {"fields": {...}}: a PATCH of the record
 *   assign        {"field", "to"}: a member field set to a member, the
 *                 next member of a department or team in turn (round
 *                 robin, remembered per automation and step), or the
 *                 manager of the record owner's department
 *   create_task   {"subject", "description", "due_in_days", "priority",
 *                 "assignees"}: a task (related to the record when tasks
 *                 relate to its kind), the owner as its owner
 *   send_email    {"to", "subject", "body"}: one message per address
 *                 through the email queue (retried there)
 *   notify        {"to", "title", "body"}: in-app notifications
 *   webhook       {"webhook_id"}: an event "automation.called" to that
 *                 endpoint, signed and retried by the webhooks module
 *   add_note      {"text"}: a note in the record's history (an activity
 *                 row, "note")
 *   wait          handled by the run (auto_run.c)
 *
 * Texts are Mustache templates (core/tmpl.h) rendered with the merge
 * data (auto_merge_data), escaped for where they go: one line for
 * subjects and titles, plain text for bodies and notes.
 */
#include "atrium.h"

#include "admin/notification.h"
#include "admin/webhook.h"
#include "automation/automation_int.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/l10n.h"
#include "core/settings.h"
#include "core/tmpl.h"
#include "core/tz.h"
#include "db/db.h"
#include "email/email.h"
#include "entity/entity.h"
#include "http/perm.h"

/* ---- merge data ------------------------------------------------------------ */

json_t *auto_merge_data(struct db_conn *c, const struct auto_def *d,
			const char *entity, const json_t *record,
			const json_t *before)
{
	json_t *m = json_object();
	char company[256] = "";
	settings_get(c, d->org, "company_name", company, sizeof company);
	json_object_set_new(m, "company_name", json_string(company));
	json_object_set_new(m, "automation",
			    json_pack("{s:I,s:s}", "id", (json_int_t)d->id,
				      "name", d->name ? d->name : ""));
	char zone[TZ_NAME_MAX];
	struct tz_local l;
	if (l10n_org_zone(c, d->org, zone) == 0 &&
	    tz_local(zone, atr_now_ms(), &l) == 0) {
		char today[16];
		snprintf(today, sizeof today, "%04d-%02d-%02d", l.year % 10000,
			 l.month % 100, l.day % 100);
		json_object_set_new(m, "today", json_string(today));
	}
	if (entity)
		json_object_set_new(m, "entity", json_string(entity));
	json_object_set(m, "record", record ? (json_t *)record : json_null());
	if (before)
		json_object_set(m, "before", (json_t *)before);
	json_object_set_new(m, "steps", json_object());
	return m;
}

/* The web UI's path of a record ("/admin/leads/7"), in a. */
static const char *record_path(struct arena *a, const char *entity, int64_t id)
{
	const char *module = entity ? auto_module_of(entity) : NULL;
	if (!module || id <= 0)
		return NULL;
	return arena_printf(a, "/admin/%s/%lld", module, (long long)id);
}

/* src rendered in ctx, in the request arena; NULL (err) when it fails. */
static const char *render(struct auto_step_in *in, const char *src,
			  enum tmpl_ctx ctx, const char *what,
			  struct atr_err *err)
{
	if (!src)
		return NULL;
	char *out = NULL, msg[160];
	if (tmpl_render(src, in->data, ctx, AUTO_OUT_MAX, &out, msg,
			sizeof msg) < 0) {
		atr_fail(err, ATR_E_INVALID, "the %s: %s", what, msg);
		return NULL;
	}
	const char *s = arena_strdup(in->r->arena, out);
	free(out);
	return s;
}

/* ---- recipients -------------------------------------------------------------- */

/* Adds active members of the organisation selected by sql (one id column;
 * params: org then the given id) to ids (distinct). -1 error. */
static int members_by(struct auto_step_in *in, const char *sql, int64_t id,
		      json_t *ids)
{
	struct db_stmt *st = db_prepare(in->r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, in->d->org);
	if (id)
		db_bind_int(st, 2, id);
	int rc;
	while ((rc = db_step(st)) == 1) {
		json_int_t v = db_col_int(st, 0);
		bool seen = false;
		size_t i;
		json_t *x;
		json_array_foreach(ids, i, x) if (json_integer_value(x) == v)
			seen = true;
		if (!seen)
			json_array_append_new(ids, json_integer(v));
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

#define ACTIVE_MEMBER                                                          \
	"SELECT id FROM staff WHERE org_id = ? AND active = 1 AND id = ?"
#define DEPT_MEMBERS                                                           \
	"SELECT s.id FROM staff s JOIN staff_department m ON m.staff_id = "    \
	"s.id WHERE s.org_id = ? AND s.active = 1 AND m.department_id = ? "    \
	"ORDER BY s.id"
#define TEAM_MEMBERS                                                           \
	"SELECT s.id FROM staff s JOIN staff_team m ON m.staff_id = s.id "     \
	"WHERE s.org_id = ? AND s.active = 1 AND m.team_id = ? ORDER BY s.id"

/* The record's owner: its owner field, else its assignee. */
static int64_t owner_of(const char *entity, const json_t *rec)
{
	const struct entity *e = entity ? entity_find(entity) : NULL;
	if (!e || !rec)
		return 0;
	for (unsigned flag = F_OWNER;; flag = F_ASSIGNEE) {
		for (int i = 0; i < e->schema.nfields; i++) {
			const struct field *f = &e->schema.fields[i];
			json_t *v = json_object_get(rec, f->name);
			if ((f->flags & flag) && f->type == FT_STAFF &&
			    json_is_integer(v))
				return json_integer_value(v);
		}
		if (flag == F_ASSIGNEE)
			return 0;
	}
}

/* The manager of the first department of member id that has one (not
 * themselves): 0 none, -1 error. */
static int64_t manager_of(struct auto_step_in *in, int64_t id)
{
	struct db_stmt *st = db_prepare(
		in->r->db,
		"SELECT d.manager_id FROM department d JOIN staff_department m "
		"ON m.department_id = d.id JOIN staff s ON s.id = d.manager_id "
		"WHERE d.org_id = ? AND m.staff_id = ? AND d.manager_id <> ? "
		"AND s.active = 1 ORDER BY d.id LIMIT 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, in->d->org);
	db_bind_int(st, 2, id);
	db_bind_int(st, 3, id);
	int rc = db_step(st);
	int64_t m = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc < 0 ? -1 : m;
}

/* Members a recipient spec x names, added to ids. -1 error. */
static int resolve_members(struct auto_step_in *in, const json_t *x,
			   json_t *ids)
{
	const char *type = json_string_value(json_object_get(x, "type"));
	int64_t id = json_integer_value(json_object_get(x, "id"));
	if (!strcmp(type, "member"))
		return members_by(in, ACTIVE_MEMBER, id, ids);
	if (!strcmp(type, "role"))
		return members_by(in,
				  "SELECT id FROM staff WHERE org_id = ? AND "
				  "active = 1 AND role_id = ? ORDER BY id",
				  id, ids);
	if (!strcmp(type, "department"))
		return members_by(in, DEPT_MEMBERS, id, ids);
	if (!strcmp(type, "team"))
		return members_by(in, TEAM_MEMBERS, id, ids);
	if (!strcmp(type, "admins"))
		return members_by(in,
				  "SELECT id FROM staff WHERE org_id = ? AND "
				  "active = 1 AND admin = 1 ORDER BY id",
				  0, ids);
	if (!strcmp(type, "owner_manager")) {
		int64_t m = manager_of(in, owner_of(in->entity, in->record));
		return m < 0 ? -1 : m ? members_by(in, ACTIVE_MEMBER, m, ids) : 0;
	}
	if (!strcmp(type, "record_department")) {
		const struct entity *e = entity_find(in->entity);
		json_t *v = NULL;
		if (!strcmp(in->entity, "staff"))
			v = json_object_get(in->record, "department_ids");
		for (int i = 0; e && !v && i < e->schema.nfields; i++) {
			const struct field *f = &e->schema.fields[i];
			if ((f->type == FT_REF && f->ref &&
			     !strcmp(f->ref, "department")) ||
			    (f->flags & F_DEPARTMENT))
				v = json_object_get(in->record, f->name);
		}
		if (json_is_integer(v))
			return members_by(in, DEPT_MEMBERS,
					  json_integer_value(v), ids);
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) if (members_by(
			in, DEPT_MEMBERS, json_integer_value(it), ids) < 0) return -1;
		return 0;
	}
	if (!strcmp(type, "field")) {
		const char *f = json_string_value(json_object_get(x, "field"));
		const struct field *fd = auto_field(in->entity, f);
		json_t *v = json_object_get(in->record, f);
		if (!fd || (fd->type != FT_STAFF && fd->type != FT_STAFF_LIST))
			return 0;
		if (json_is_integer(v))
			return members_by(in, ACTIVE_MEMBER,
					  json_integer_value(v), ids);
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) if (members_by(
			in, ACTIVE_MEMBER, json_integer_value(it), ids) < 0) return -1;
	}
	return 0;
}

/* Adds one address (distinct, case-insensitive) to addrs. */
static void add_addr(json_t *addrs, const char *a)
{
	if (!a || !*a)
		return;
	size_t i;
	json_t *x;
	json_array_foreach(addrs, i, x) if (!strcasecmp(json_string_value(x), a))
		return;
	json_array_append_new(addrs, json_string(a));
}

/* Adds the text column of one row of sql (params: org, id). -1 error. */
static int addr_by(struct auto_step_in *in, const char *sql, int64_t id,
		   json_t *addrs)
{
	struct db_stmt *st = db_prepare(in->r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, in->d->org);
	db_bind_int(st, 2, id);
	int rc;
	while ((rc = db_step(st)) == 1)
		if (!db_col_null(st, 0))
			add_addr(addrs, db_col_text(st, 0));
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

#define CONTACT_EMAIL "SELECT email FROM contact WHERE org_id = ? AND id = ?"
#define CLIENT_CONTACT_EMAIL                                                   \
	"SELECT email FROM contact WHERE org_id = ? AND client_id = ? AND "    \
	"email IS NOT NULL AND email <> '' ORDER BY is_primary DESC, id "      \
	"LIMIT 1"
#define MEMBER_EMAIL                                                           \
	"SELECT email FROM staff WHERE org_id = ? AND id = ? AND active = 1"

/* Email addresses the recipient specs of `to` name. -1 error. */
static int resolve_addrs(struct auto_step_in *in, const json_t *to,
			 json_t *addrs)
{
	json_t *ids = json_array();
	size_t i;
	json_t *x;
	int rc = 0;
	json_array_foreach(to, i, x)
	{
		const char *type = json_string_value(json_object_get(x, "type"));
		if (!strcmp(type, "address")) {
			add_addr(addrs, json_string_value(json_object_get(x, "email")));
		} else if (!strcmp(type, "client_contact")) {
			json_t *ct = json_object_get(in->record, "contact_id");
			json_t *cl = !strcmp(in->entity, "client")
					     ? json_object_get(in->record, "id")
					     : json_object_get(in->record,
							       "client_id");
			if (json_is_integer(ct))
				rc = addr_by(in, CONTACT_EMAIL,
					     json_integer_value(ct), addrs);
			else if (json_is_integer(cl))
				rc = addr_by(in, CLIENT_CONTACT_EMAIL,
					     json_integer_value(cl), addrs);
		} else if (!strcmp(type, "field")) {
			const char *f = json_string_value(json_object_get(x, "field"));
			const struct field *fd = auto_field(in->entity, f);
			json_t *v = json_object_get(in->record, f);
			if (fd && fd->type == FT_EMAIL)
				add_addr(addrs, json_string_value(v));
			else if (fd && fd->type == FT_REF && json_is_integer(v))
				rc = addr_by(in, CONTACT_EMAIL,
					     json_integer_value(v), addrs);
			else
				rc = resolve_members(in, x, ids);
		} else {
			rc = resolve_members(in, x, ids);
		}
		if (rc < 0)
			break;
	}
	json_array_foreach(ids, i, x) if (rc >= 0) rc =
		addr_by(in, MEMBER_EMAIL, json_integer_value(x), addrs);
	json_decref(ids);
	return rc;
}

/* ---- the actions ------------------------------------------------------------- */

/* Refuses (err) unless the owner may cap on module. */
static int allowed(struct auto_step_in *in, const char *module,
		   enum perm_cap cap, struct atr_err *err)
{
	if (perm_check(&in->r->who, module, cap) != PERM_DENY)
		return 0;
	return atr_fail(err, ATR_E_FORBIDDEN,
			"its owner may not %s %s", perm_cap_name(cap), module);
}

/* The refusal of a write, from the request's error (field errors
 * included). */
static int refused(struct auto_step_in *in, struct atr_err *err)
{
	struct atr_err *re = &in->r->err;
	if (re->kind == ATR_E_INTERNAL && !re->nfields)
		return -2;
	char msg[sizeof err->msg];
	int n = snprintf(msg, sizeof msg, "%s", re->msg[0] ? re->msg : "refused");
	for (int i = 0; i < re->nfields && n < (int)sizeof msg - 1; i++)
		n += snprintf(msg + n, sizeof msg - (size_t)n, "%s%s: %s",
			      i ? "; " : ": ", re->fields[i].field,
			      re->fields[i].detail);
	atr_fail(err, re->kind ? re->kind : ATR_E_INVALID, "%s", msg);
	atr_err_clear(re);
	return -1;
}

static int need_record(struct auto_step_in *in, struct atr_err *err)
{
	if (in->record && in->entity && entity_find(in->entity))
		return 0;
	return atr_fail(err, ATR_E_NOT_FOUND,
			"there is no record its owner can see to act on");
}

static int act_update(struct auto_step_in *in, const json_t *fields,
		      json_t **out, struct atr_err *err)
{
	const struct entity *e = entity_find(in->entity ? in->entity : "");
	if (need_record(in, err) < 0 ||
	    allowed(in, e->plural, CAP_EDIT, err) < 0)
		return -1;
	if (in->dry) {
		*out = json_pack("{s:O}", "would_set", fields);
		return 0;
	}
	json_t *rec = NULL;
	if (entity_record_update(in->r, e, in->record_id, fields, &rec) < 0)
		return refused(in, err);
	json_decref(in->record);
	in->record = rec; /* later steps see the change */
	json_object_set(in->data, "record", rec);
	*out = json_pack("{s:O}", "set", fields);
	return 0;
}

/* The next member of a department or team after the last one this step
 * chose (round robin), remembered in automation_cursor. 0 none, -1
 * error. */
static int64_t round_robin(struct auto_step_in *in, const json_t *to)
{
	bool dept = json_object_get(to, "department_id") != NULL;
	int64_t gid = json_integer_value(
		json_object_get(to, dept ? "department_id" : "team_id"));
	json_t *ids = json_array();
	int64_t pick = -1;
	struct db_stmt *st;
	if (!in->dry && db_conn_dialect(in->r->db) == DB_PG) {
		/* Runs of one automation on several records go in parallel:
		 * one turn at a time, or two would take the same member. */
		st = db_prepare(in->r->db, "SELECT id FROM automation WHERE id = "
					   "? FOR UPDATE");
		if (!st)
			goto out;
		db_bind_int(st, 1, in->d->id);
		int lr = db_step(st);
		db_reset(st);
		if (lr < 0)
			goto out;
	}
	if (members_by(in, dept ? DEPT_MEMBERS : TEAM_MEMBERS, gid, ids) < 0)
		goto out;
	st = db_prepare(
		in->r->db, "SELECT last_staff_id FROM automation_cursor WHERE "
			   "automation_id = ? AND step = ?");
	if (!st)
		goto out;
	db_bind_int(st, 1, in->d->id);
	db_bind_int(st, 2, in->step);
	int rc = db_step(st);
	int64_t last = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc < 0)
		goto out;
	pick = 0;
	size_t i;
	json_t *x;
	json_array_foreach(ids, i, x) if (!pick && json_integer_value(x) > last)
		pick = json_integer_value(x);
	if (!pick && json_array_size(ids))
		pick = json_integer_value(json_array_get(ids, 0));
	if (!pick || in->dry)
		goto out;
	st = db_prepare(in->r->db,
			"INSERT INTO automation_cursor (automation_id, step, "
			"last_staff_id) VALUES (?, ?, ?) ON CONFLICT "
			"(automation_id, step) DO UPDATE SET last_staff_id = "
			"excluded.last_staff_id");
	if (!st) {
		pick = -1;
		goto out;
	}
	db_bind_int(st, 1, in->d->id);
	db_bind_int(st, 2, in->step);
	db_bind_int(st, 3, pick);
	if (db_step(st) < 0)
		pick = -1;
	db_reset(st);
out:
	json_decref(ids);
	return pick;
}

static int act_assign(struct auto_step_in *in, const json_t *a, json_t **out,
		      struct atr_err *err)
{
	if (need_record(in, err) < 0)
		return -1;
	const json_t *to = json_object_get(a, "to");
	const char *type = json_string_value(json_object_get(to, "type"));
	const char *field = json_string_value(json_object_get(a, "field"));
	int64_t who = 0;
	if (!strcmp(type, "member"))
		who = json_integer_value(json_object_get(to, "id"));
	else if (!strcmp(type, "round_robin"))
		who = round_robin(in, to);
	else
		who = manager_of(in, owner_of(in->entity, in->record));
	if (who < 0)
		return -2;
	if (!who)
		return atr_fail(err, ATR_E_NOT_FOUND,
				"nobody to assign: %s",
				!strcmp(type, "owner_manager")
					? "the owner's departments have no "
					  "manager"
					: "the group has no active member");
	const struct field *fd = auto_field(in->entity, field);
	json_t *fields = json_object();
	if (fd && fd->type == FT_STAFF_LIST) {
		json_t *cur = json_object_get(in->record, field);
		json_t *list = json_is_array(cur) ? json_deep_copy(cur)
						  : json_array();
		bool has = false;
		size_t i;
		json_t *x;
		json_array_foreach(list, i, x) if (json_integer_value(x) == who)
			has = true;
		if (!has)
			json_array_append_new(list, json_integer(who));
		json_object_set_new(fields, field, list);
	} else {
		json_object_set_new(fields, field, json_integer(who));
	}
	int rc = act_update(in, fields, out, err);
	if (rc == 0) {
		json_decref(*out);
		*out = json_pack("{s:s,s:I}", "field", field, "member",
				 (json_int_t)who);
	}
	json_decref(fields);
	return rc;
}

static const char *const task_kinds[] = {"lead", "client", "contact",
					 "contract", "project", NULL};

static int act_task(struct auto_step_in *in, const json_t *a, json_t **out,
		    struct atr_err *err)
{
	const struct entity *task = entity_find("task");
	if (!task || allowed(in, "tasks", CAP_CREATE, err) < 0)
		return -1;
	const char *subject = render(in, json_string_value(json_object_get(a, "subject")),
				     TMPL_LINE, "subject", err);
	if (!subject)
		return -1;
	json_t *body = json_pack("{s:s,s:I}", "subject", subject, "owner_id",
				 (json_int_t)in->d->owner);
	const char *desc = json_string_value(json_object_get(a, "description"));
	if (desc && *desc) {
		const char *d = render(in, desc, TMPL_TEXT, "description", err);
		if (!d) {
			json_decref(body);
			return -1;
		}
		json_object_set_new(body, "description", json_string(d));
	}
	json_t *due = json_object_get(a, "due_in_days");
	const char *today = json_string_value(json_object_get(in->data, "today"));
	int y, mo, dd;
	if (json_is_integer(due) && today &&
	    sscanf(today, "%4d-%2d-%2d", &y, &mo, &dd) == 3) {
		char iso[ATR_TIME_LEN];
		atr_time_iso((tz_days_from_civil(y, mo, dd) +
			      json_integer_value(due)) *
				     86400000LL,
			     iso);
		iso[10] = 0;
		json_object_set_new(body, "due_date", json_string(iso));
	}
	json_t *pr = json_object_get(a, "priority");
	if (pr)
		json_object_set(body, "priority", pr);
	json_t *ids = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(a, "assignees"), i, x) if (
		resolve_members(in, x, ids) < 0)
	{
		json_decref(ids);
		json_decref(body);
		return -2;
	}
	json_object_set_new(body, "assignees", ids);
	for (int k = 0; in->entity && in->record_id > 0 && task_kinds[k]; k++)
		if (!strcmp(task_kinds[k], in->entity)) {
			json_object_set_new(body, "rel_type",
					    json_string(in->entity));
			json_object_set_new(body, "rel_id",
					    json_integer(in->record_id));
		}
	if (in->dry) {
		*out = json_pack("{s:o}", "would_create", body);
		return 0;
	}
	json_t *t = NULL;
	int rc = entity_record_create(in->r, task, body, &t);
	json_decref(body);
	if (rc < 0)
		return refused(in, err);
	*out = json_pack("{s:O,s:O}", "task_id", json_object_get(t, "id"),
			 "subject", json_object_get(t, "subject"));
	json_decref(t);
	return 0;
}

static int act_email(struct auto_step_in *in, const json_t *a, json_t **out,
		     struct atr_err *err)
{
	const char *subject = render(in, json_string_value(json_object_get(a, "subject")),
				     TMPL_LINE, "subject", err);
	const char *body = subject ? render(in, json_string_value(json_object_get(a, "body")),
					    TMPL_TEXT, "body", err)
				   : NULL;
	if (!body)
		return -1;
	json_t *addrs = json_array();
	if (resolve_addrs(in, json_object_get(a, "to"), addrs) < 0) {
		json_decref(addrs);
		return -2;
	}
	if (!json_array_size(addrs)) {
		json_decref(addrs);
		return atr_fail(err, ATR_E_NOT_FOUND,
				"no recipient has an email address");
	}
	json_t *ids = json_array();
	size_t i;
	json_t *x;
	int rc = 0;
	json_array_foreach(addrs, i, x)
	{
		if (in->dry)
			break;
		int64_t id = 0;
		if (email_enqueue_text(in->r->db, in->d->org, json_string_value(x),
				       "automation", subject, body, &id,
				       err) < 0) {
			rc = err->kind == ATR_E_INTERNAL ? -2 : -1;
			break;
		}
		json_array_append_new(ids, json_integer(id));
	}
	if (rc == 0)
		*out = in->dry ? json_pack("{s:O,s:s,s:s}", "would_send_to",
					   addrs, "subject", subject, "body",
					   body)
			       : json_pack("{s:O,s:s,s:O}", "sent_to", addrs,
					   "subject", subject, "email_ids", ids);
	json_decref(ids);
	json_decref(addrs);
	return rc;
}

static int act_notify(struct auto_step_in *in, const json_t *a, json_t **out,
		      struct atr_err *err)
{
	const char *title = render(in, json_string_value(json_object_get(a, "title")),
				   TMPL_LINE, "title", err);
	if (!title)
		return -1;
	const char *body = NULL;
	const char *bs = json_string_value(json_object_get(a, "body"));
	if (bs && *bs && !(body = render(in, bs, TMPL_TEXT, "body", err)))
		return -1;
	json_t *ids = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(a, "to"), i, x) if (
		resolve_members(in, x, ids) < 0)
	{
		json_decref(ids);
		return -2;
	}
	if (!json_array_size(ids)) {
		json_decref(ids);
		return atr_fail(err, ATR_E_NOT_FOUND,
				"nobody to notify: no active member matches");
	}
	const char *link = record_path(in->r->arena, in->entity, in->record_id);
	json_array_foreach(ids, i, x)
	{
		if (in->dry)
			break;
		if (notification_add(in->r->db, in->d->org, json_integer_value(x),
				     title, body, link, "automation",
				     err) < 0) {
			json_decref(ids);
			return -2;
		}
	}
	*out = json_pack("{s:O,s:s}", in->dry ? "would_notify" : "notified",
			 ids, "title", title);
	json_decref(ids);
	return 0;
}

static int act_webhook(struct auto_step_in *in, const json_t *a, json_t **out,
		       struct atr_err *err)
{
	int64_t hook = json_integer_value(json_object_get(a, "webhook_id"));
	if (allowed(in, "webhooks", CAP_VIEW, err) < 0)
		return -1;
	json_t *data = json_pack("{s:{s:I,s:s},s:I,s:s?,s:O,s:O}", "automation",
				 "id", (json_int_t)in->d->id, "name",
				 in->d->name, "run_id", (json_int_t)in->run_id,
				 "entity", in->entity, "record",
				 in->record ? in->record : json_null(),
				 "steps", json_object_get(in->data, "steps"));
	if (in->dry) {
		*out = json_pack("{s:I,s:o}", "would_call", (json_int_t)hook,
				 "data", data);
		return 0;
	}
	int64_t ev = 0;
	char msg[96];
	snprintf(msg, sizeof msg, "msg_automation_%lld_%d",
		 (long long)in->run_id, in->step);
	int rc = outbox_emit_id(in->r->db, in->d->org, "automation", in->d->id,
				"called", NULL, data, &ev);
	json_decref(data);
	if (rc < 0)
		return -2;
	rc = webhook_queue_event(in->r->db, in->d->org, hook, ev,
				 "automation.called", msg);
	if (rc < 0)
		return -2;
	if (rc == 0)
		return atr_fail(err, ATR_E_NOT_FOUND,
				"webhook %lld is absent or turned off",
				(long long)hook);
	*out = json_pack("{s:I,s:s}", "webhook_id", (json_int_t)hook,
			 "message_id", msg);
	return 0;
}

static int act_note(struct auto_step_in *in, const json_t *a, json_t **out,
		    struct atr_err *err)
{
	if (need_record(in, err) < 0)
		return -1;
	const char *text = render(in, json_string_value(json_object_get(a, "text")),
				  TMPL_TEXT, "note", err);
	if (!text)
		return -1;
	if (!in->dry) {
		json_t *diff = json_pack("{s:{s:s}}", "note", "to", text);
		int rc = activity_from_req(in->r, "note", in->entity,
					   in->record_id, diff);
		json_decref(diff);
		if (rc < 0)
			return -2;
	}
	*out = json_pack("{s:s}", in->dry ? "would_note" : "note", text);
	return 0;
}

int auto_action(struct auto_step_in *in, const json_t *a, json_t **out,
		struct atr_err *err)
{
	const char *t = json_string_value(json_object_get(a, "type"));
	*out = NULL;
	if (!t)
		return atr_fail(err, ATR_E_INVALID, "an action without a type");
	if (!strcmp(t, "update"))
		return act_update(in, json_object_get(a, "fields"), out, err);
	if (!strcmp(t, "assign"))
		return act_assign(in, a, out, err);
	if (!strcmp(t, "create_task"))
		return act_task(in, a, out, err);
	if (!strcmp(t, "send_email"))
		return act_email(in, a, out, err);
	if (!strcmp(t, "notify"))
		return act_notify(in, a, out, err);
	if (!strcmp(t, "webhook"))
		return act_webhook(in, a, out, err);
	if (!strcmp(t, "add_note"))
		return act_note(in, a, out, err);
	return atr_fail(err, ATR_E_INVALID, "unknown action '%s'", t);
}
