/* auto_check.c — the rules of an automation's trigger, conditions and
 * actions. Every problem is one field error named by its path
 * ("trigger.field", "conditions.any[0].all[1].op", "actions[2].to[0].id"),
 * so the form can put each message beside its input.
 *
 * trigger, one of
 *   {"type": "event", "entity": E, "event": "created" | "updated" |
 *    "deleted" | "created_or_updated" | "field_changed",
 *    "field": F (field_changed), "to": V (optional: changed to V)}
 *   {"type": "date", "entity": E, "field": a date field of E,
 *    "offset_days": -3650..3650 (negative: before the date)}
 *   {"type": "schedule", "cron": "m h dom mon dow" (UTC)}
 *
 * conditions: {"all": [...]} or {"any": [...]}; items are groups again
 * (at most AUTO_COND_DEPTH deep) or comparisons {"field": P, "op": O,
 * "value": V}. P is a field of the record, "custom_fields.<slug>", or one
 * step into a record it names: "<reference field>.<field of that entity>"
 * or "<staff field>.<name|email|role_id|admin|active|department_ids|
 * team_ids>". Operators: eq ne in not_in contains not_contains gt gte lt
 * lte empty not_empty, and for updates changed changed_from changed_to.
 *
 * actions: see auto_action.c for what each does.
 */
#include "atrium.h"

#include <ctype.h>
#include <stdarg.h>

#include "automation/automation_int.h"
#include "core/tmpl.h"
#include "db/db.h"
#include "entity/entity.h"
#include "jobs/cron_expr.h"

static const char *const events[] = {"created", "updated", "deleted",
				     "created_or_updated", "field_changed",
				     NULL};
static const char *const ops[] = {"eq",	      "ne",	     "in",
				  "not_in",   "contains",    "not_contains",
				  "gt",	      "gte",	     "lt",
				  "lte",      "empty",	     "not_empty",
				  "changed",  "changed_from", "changed_to",
				  NULL};

/* A field-error path into buf (64 bytes, the size of a field error's
 * name: a longer path is cut, never overrun). */
static void ATR_PRINTF(2, 3) pathf(char buf[64], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, 64, fmt, ap);
	va_end(ap);
}

static bool one_of(const char *s, const char *const *set)
{
	for (; s && *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

/* Refuses keys of o outside allowed (NULL-terminated), as path.key. */
static void only_keys(const json_t *o, const char *path,
		      const char *const *allowed, struct atr_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		(void)v;
		if (one_of(k, allowed))
			continue;
		char f[64];
		pathf(f, "%s.%.40s", path, k);
		atr_field(err, f, "unknown", "unknown field");
	}
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool is_date(const struct field *f)
{
	return f && (f->type == FT_DATE || f->type == FT_DATETIME);
}

void auto_check_trigger(const json_t *t, struct atr_err *err)
{
	const char *type = str(t, "type");
	if (!type) {
		atr_field(err, "trigger.type", "required",
			  "choose event, date or schedule");
		return;
	}
	if (!strcmp(type, "schedule")) {
		static const char *const k[] = {"type", "cron", NULL};
		only_keys(t, "trigger", k, err);
		const char *cron = str(t, "cron");
		struct cron_expr ce;
		char why[128];
		if (!cron)
			atr_field(err, "trigger.cron", "required",
				  "a cron expression is required");
		else if (cron_parse(cron, &ce, why, sizeof why) < 0)
			atr_field(err, "trigger.cron", "invalid", "%s", why);
		return;
	}
	if (strcmp(type, "event") && strcmp(type, "date")) {
		atr_field(err, "trigger.type", "invalid",
			  "must be event, date or schedule");
		return;
	}
	bool date = !strcmp(type, "date");
	static const char *const ke[] = {"type", "entity", "event", "field",
					 "to", NULL};
	static const char *const kd[] = {"type", "entity", "field",
					 "offset_days", NULL};
	only_keys(t, "trigger", date ? kd : ke, err);
	const char *ent = str(t, "entity");
	if (!ent) {
		atr_field(err, "trigger.entity", "required",
			  "choose the records it watches");
		return;
	}
	if (!auto_entity_ok(ent)) {
		atr_field(err, "trigger.entity", "invalid",
			  "'%.40s' is not a kind of record automations watch",
			  ent);
		return;
	}
	const char *fname = str(t, "field");
	const struct field *f = auto_field(ent, fname);
	if (date) {
		if (!fname)
			atr_field(err, "trigger.field", "required",
				  "choose a date field");
		else if (!is_date(f))
			atr_field(err, "trigger.field", "invalid",
				  "'%.40s' is not a date field of %s", fname,
				  ent);
		json_t *off = json_object_get(t, "offset_days");
		if (off && (!json_is_integer(off) ||
			    json_integer_value(off) < -AUTO_OFFSET_MAX ||
			    json_integer_value(off) > AUTO_OFFSET_MAX))
			atr_field(err, "trigger.offset_days", "out_of_range",
				  "must be a whole number of days between "
				  "-%d and %d",
				  AUTO_OFFSET_MAX, AUTO_OFFSET_MAX);
		return;
	}
	const char *ev = str(t, "event");
	if (!ev) {
		atr_field(err, "trigger.event", "required",
			  "choose what happens to the record");
		return;
	}
	if (!one_of(ev, events)) {
		atr_field(err, "trigger.event", "invalid",
			  "must be created, updated, deleted, "
			  "created_or_updated or field_changed");
		return;
	}
	if (!strcmp(ev, "field_changed")) {
		if (!fname)
			atr_field(err, "trigger.field", "required",
				  "choose the field that changes");
		else if (!f)
			atr_field(err, "trigger.field", "invalid",
				  "'%.40s' is not a field of %s", fname, ent);
		json_t *to = json_object_get(t, "to");
		struct atr_err e2 = {0};
		if (f && to && !json_is_null(to) &&
		    ftype_of(f->type)->check(f, to, &e2) < 0)
			atr_field(err, "trigger.to", "invalid", "%s",
				  e2.nfields ? e2.fields[0].detail
					     : "not a value of the field");
	} else if (fname || json_object_get(t, "to")) {
		atr_field(err, fname ? "trigger.field" : "trigger.to",
			  "unexpected", "only a field_changed trigger names a "
					"field");
	}
}

/* ---- conditions ----------------------------------------------------------- */

/* Whether path names something of entity ent a condition can read. */
static bool path_ok(const char *ent, const char *path)
{
	if (!path || !*path || strlen(path) > 100)
		return false;
	if (!strncmp(path, "custom_fields.", 14)) {
		const char *s = path + 14;
		if (!*s)
			return false;
		for (; *s; s++)
			if (!(islower((unsigned char)*s) ||
			      isdigit((unsigned char)*s) || *s == '_'))
				return false;
		return true;
	}
	const char *dot = strchr(path, '.');
	if (!dot)
		return auto_field(ent, path) != NULL;
	char head[64];
	size_t n = (size_t)(dot - path);
	if (n >= sizeof head)
		return false;
	memcpy(head, path, n);
	head[n] = 0;
	const struct field *f = auto_field(ent, head);
	if (!f)
		return false;
	if (f->type == FT_STAFF)
		return auto_field("staff", dot + 1) != NULL;
	if (f->type == FT_REF && f->ref && strcmp(f->ref, "automation"))
		return !strchr(dot + 1, '.') && auto_field(f->ref, dot + 1);
	return false;
}

struct cond_walk {
	const char *ent;
	bool update; /* the trigger sees a before and an after */
	int leaves;
	struct atr_err *err;
};

static void check_group(struct cond_walk *w, const json_t *g,
			const char *path, int depth);

static void check_leaf(struct cond_walk *w, const json_t *c, const char *path)
{
	char f[64];
	static const char *const k[] = {"field", "op", "value", NULL};
	only_keys(c, path, k, w->err);
	const char *field = str(c, "field"), *op = str(c, "op");
	pathf(f, "%s.field", path);
	if (!field)
		atr_field(w->err, f, "required", "choose a field");
	else if (!path_ok(w->ent, field))
		atr_field(w->err, f, "invalid", "'%.60s' is not a field of %s",
			  field, w->ent);
	pathf(f, "%s.op", path);
	if (!op) {
		atr_field(w->err, f, "required", "choose a comparison");
		return;
	}
	if (!one_of(op, ops)) {
		atr_field(w->err, f, "invalid", "unknown comparison '%.20s'",
			  op);
		return;
	}
	if (!strncmp(op, "changed", 7) && !w->update)
		atr_field(w->err, f, "invalid",
			  "only a trigger on updates sees what changed");
	json_t *v = json_object_get(c, "value");
	bool none = !strcmp(op, "empty") || !strcmp(op, "not_empty") ||
		    !strcmp(op, "changed");
	bool list = !strcmp(op, "in") || !strcmp(op, "not_in");
	pathf(f, "%s.value", path);
	if (none && v)
		atr_field(w->err, f, "unexpected", "this comparison takes no "
						   "value");
	else if (!none && !v)
		atr_field(w->err, f, "required", "a value is required");
	else if (list && (!json_is_array(v) || !json_array_size(v) ||
			  json_array_size(v) > 100))
		atr_field(w->err, f, "invalid", "must be a list of 1 to 100 "
						"values");
	else if (v && !list && !none && (json_is_object(v) || json_is_array(v)))
		atr_field(w->err, f, "invalid", "must be one value");
}

static void check_group(struct cond_walk *w, const json_t *g,
			const char *path, int depth)
{
	const json_t *all = json_object_get(g, "all");
	const json_t *any = json_object_get(g, "any");
	char f[64];
	if (!json_is_object(g) || (all && any) || (!all && !any) ||
	    json_object_size(g) != 1) {
		atr_field(w->err, path, "invalid",
			  "a group is {\"all\": [...]} or {\"any\": [...]}");
		return;
	}
	if (depth > AUTO_COND_DEPTH) {
		atr_field(w->err, path, "too_deep",
			  "groups nest %d deep at most", AUTO_COND_DEPTH);
		return;
	}
	const json_t *items = all ? all : any;
	pathf(f, "%s%s%s", path, *path ? "." : "",
		 all ? "all" : "any");
	if (!json_is_array(items)) {
		atr_field(w->err, f, "invalid", "must be a list");
		return;
	}
	size_t i;
	const json_t *it;
	json_array_foreach(items, i, it)
	{
		char p[64];
		pathf(p, "%s[%zu]", f, i);
		if (!json_is_object(it)) {
			atr_field(w->err, p, "invalid",
				  "must be a comparison or a group");
		} else if (json_object_get(it, "all") ||
			   json_object_get(it, "any")) {
			check_group(w, it, p, depth + 1);
		} else if (++w->leaves > AUTO_COND_MAX) {
			atr_field(w->err, p, "too_many",
				  "at most %d comparisons", AUTO_COND_MAX);
			return;
		} else {
			check_leaf(w, it, p);
		}
	}
}

void auto_check_conditions(const json_t *c, const json_t *trigger,
			   struct atr_err *err)
{
	if (!json_object_size(c))
		return; /* {}: always */
	const char *type = str(trigger, "type");
	if (type && !strcmp(type, "schedule")) {
		atr_field(err, "conditions", "unexpected",
			  "a scheduled automation has no record to test");
		return;
	}
	const char *ev = str(trigger, "event");
	struct cond_walk w = {
		.ent = str(trigger, "entity"),
		.update = ev && (!strcmp(ev, "updated") ||
				 !strcmp(ev, "created_or_updated") ||
				 !strcmp(ev, "field_changed")),
		.err = err,
	};
	/* Paths start with "conditions": the group's own key follows. */
	char p[64] = "conditions";
	const json_t *all = json_object_get(c, "all");
	const json_t *any = json_object_get(c, "any");
	if (json_object_size(c) != 1 || (!all && !any)) {
		atr_field(err, "conditions", "invalid",
			  "conditions are {\"all\": [...]} or {\"any\": "
			  "[...]}");
		return;
	}
	check_group(&w, c, p, 1);
}

/* ---- actions ---------------------------------------------------------------- */

/* Whether a row id of table exists in r's organisation: 1, 0, -1. */
static int exists(struct req *r, const char *table, int64_t id)
{
	if (!req_db(r))
		return -1;
	char *sql = arena_printf(r->arena,
				 "SELECT 1 FROM %s WHERE id = ? AND org_id = ?",
				 table);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

/* Checks that key of o names a row of table ("actions[i].key"). */
static void check_id(struct req *r, const json_t *o, const char *key,
		     const char *table, const char *what, const char *path,
		     struct atr_err *err)
{
	char f[64];
	pathf(f, "%s.%s", path, key);
	json_t *v = json_object_get(o, key);
	if (!v) {
		atr_field(err, f, "required", "choose the %s", what);
		return;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		atr_field(err, f, "invalid", "must be the id of a %s", what);
		return;
	}
	int rc = exists(r, table, json_integer_value(v));
	if (rc == 0)
		atr_field(err, f, "not_found", "no %s %lld", what,
			  (long long)json_integer_value(v));
}

/* A template of key in o: required or not, one line or text. */
static void check_text(const json_t *o, const char *key, bool required,
		       const char *path, struct atr_err *err)
{
	char f[64], msg[160];
	pathf(f, "%s.%s", path, key);
	json_t *v = json_object_get(o, key);
	if (!v || (json_is_string(v) && !*json_string_value(v))) {
		if (required)
			atr_field(err, f, "required", "write the %s", key);
		return;
	}
	if (!json_is_string(v)) {
		atr_field(err, f, "type", "must be text");
		return;
	}
	if (strlen(json_string_value(v)) > TMPL_SRC_MAX)
		atr_field(err, f, "too_long", "at most %d bytes", TMPL_SRC_MAX);
	else if (tmpl_check(json_string_value(v), msg, sizeof msg) < 0)
		atr_field(err, f, "template", "%s", msg);
}

enum rcpt_use { RCPT_MEMBERS, RCPT_EMAIL };

/* One recipient spec (auto_action.c resolves them). */
static void check_recipient(struct req *r, const json_t *x, const char *ent,
			    enum rcpt_use use, const char *path,
			    struct atr_err *err)
{
	char f[64];
	const char *type = str(x, "type");
	pathf(f, "%s.type", path);
	if (!json_is_object(x) || !type) {
		atr_field(err, f, "required", "choose who");
		return;
	}
	if (!strcmp(type, "member"))
		check_id(r, x, "id", "staff", "member", path, err);
	else if (!strcmp(type, "role"))
		check_id(r, x, "id", "role", "role", path, err);
	else if (!strcmp(type, "department"))
		check_id(r, x, "id", "department", "department", path, err);
	else if (!strcmp(type, "team"))
		check_id(r, x, "id", "team", "team", path, err);
	else if (!strcmp(type, "admins") || !strcmp(type, "owner_manager") ||
		 !strcmp(type, "record_department")) {
		if (!ent)
			atr_field(err, f, "invalid",
				  "a scheduled automation has no record");
	} else if (!strcmp(type, "field")) {
		const char *fn = str(x, "field");
		const struct field *fd = auto_field(ent, fn);
		pathf(f, "%s.field", path);
		bool ok = fd && (fd->type == FT_STAFF ||
				 fd->type == FT_STAFF_LIST ||
				 (use == RCPT_EMAIL &&
				  (fd->type == FT_EMAIL ||
				   (fd->type == FT_REF && fd->ref &&
				    !strcmp(fd->ref, "contact")))));
		if (!ok)
			atr_field(err, f, "invalid",
				  use == RCPT_EMAIL
					  ? "choose a member, email or contact "
					    "field of the record"
					  : "choose a member field of the "
					    "record");
	} else if (use == RCPT_EMAIL && !strcmp(type, "client_contact")) {
		if (!ent)
			atr_field(err, f, "invalid",
				  "a scheduled automation has no record");
	} else if (use == RCPT_EMAIL && !strcmp(type, "address")) {
		const char *a = str(x, "email");
		pathf(f, "%s.email", path);
		static const struct field ef = {.name = "email",
						.type = FT_EMAIL, .max = 254};
		struct atr_err e2 = {0};
		if (!a || ftype_of(FT_EMAIL)->check(&ef, json_object_get(x, "email"),
						    &e2) < 0)
			atr_field(err, f, "invalid", "must be an email address");
	} else {
		atr_field(err, f, "invalid", "unknown recipient '%.30s'", type);
	}
}

static void check_recipients(struct req *r, const json_t *a, const char *key,
			     const char *ent, enum rcpt_use use, bool required,
			     const char *path, struct atr_err *err)
{
	char f[64];
	pathf(f, "%s.%s", path, key);
	json_t *to = json_object_get(a, key);
	if (!to) {
		if (required)
			atr_field(err, f, "required", "choose who");
		return;
	}
	if (!json_is_array(to) || (required && !json_array_size(to)) ||
	    json_array_size(to) > AUTO_RECIPIENTS_MAX) {
		atr_field(err, f, "invalid", "a list of 1 to %d recipients",
			  AUTO_RECIPIENTS_MAX);
		return;
	}
	size_t i;
	json_t *x;
	json_array_foreach(to, i, x)
	{
		char p[64];
		pathf(p, "%s[%zu]", f, i);
		check_recipient(r, x, ent, use, p, err);
	}
}

/* update: the fields as a PATCH of the entity would judge them. */
static void check_update(struct req *r, const json_t *a, const char *ent,
			 const char *path, struct atr_err *err)
{
	char f[64];
	pathf(f, "%s.fields", path);
	const json_t *fields = json_object_get(a, "fields");
	const struct entity *e = ent ? entity_find(ent) : NULL;
	if (!e) {
		atr_field(err, f, "invalid",
			  ent ? "records of %s are not changed by automations"
			      : "a scheduled automation has no record%s",
			  ent ? ent : "");
		return;
	}
	if (!json_is_object(fields) || !json_object_size(fields)) {
		atr_field(err, f, "required", "name the fields to set");
		return;
	}
	const struct field_set *fs = entity_fields(r, e);
	if (!fs)
		return;
	struct atr_err e2 = {0};
	validate_body((json_t *)fields, fs->body, V_PATCH, &e2);
	for (int i = 0; i < e2.nfields; i++) {
		char p[64];
		pathf(p, "%s.%s", f, e2.fields[i].field);
		atr_field(err, p, e2.fields[i].code, "%s", e2.fields[i].detail);
	}
}

static void check_assign(struct req *r, const json_t *a, const char *ent,
			 const char *path, struct atr_err *err)
{
	char f[64];
	pathf(f, "%s.field", path);
	const char *fn = str(a, "field");
	const struct field *fd = entity_find(ent ? ent : "") ? auto_field(ent, fn)
							     : NULL;
	if (!fd || (fd->type != FT_STAFF && fd->type != FT_STAFF_LIST) ||
	    (fd->flags & F_READONLY))
		atr_field(err, f, "invalid",
			  "choose a member field of the record");
	const json_t *to = json_object_get(a, "to");
	const char *type = str(to, "type");
	pathf(f, "%s.to.type", path);
	char p[64];
	pathf(p, "%s.to", path);
	if (!type)
		atr_field(err, f, "required", "choose whom to assign");
	else if (!strcmp(type, "member"))
		check_id(r, to, "id", "staff", "member", p, err);
	else if (!strcmp(type, "round_robin")) {
		bool d = json_object_get(to, "department_id") != NULL;
		bool t = json_object_get(to, "team_id") != NULL;
		if (d == t)
			atr_field(err, f, "invalid",
				  "round robin needs a department_id or a "
				  "team_id");
		else if (d)
			check_id(r, to, "department_id", "department",
				 "department", p, err);
		else
			check_id(r, to, "team_id", "team", "team", p, err);
	} else if (strcmp(type, "owner_manager")) {
		atr_field(err, f, "invalid",
			  "must be member, round_robin or owner_manager");
	}
}

void auto_check_actions(struct req *r, const json_t *acts, const json_t *trigger,
			struct atr_err *err)
{
	const char *type = str(trigger, "type");
	const char *ev = str(trigger, "event");
	/* Actions on the record need one that still exists. */
	bool record = type && strcmp(type, "schedule") &&
		      !(ev && !strcmp(ev, "deleted"));
	const char *ent = type && strcmp(type, "schedule") ? str(trigger, "entity")
							   : NULL;
	if (!json_array_size(acts)) {
		atr_field(err, "actions", "required", "add at least one action");
		return;
	}
	size_t i;
	const json_t *a;
	json_array_foreach(acts, i, a)
	{
		char p[64], f[64];
		pathf(p, "actions[%zu]", i);
		pathf(f, "%s.type", p);
		const char *t = str(a, "type");
		if (!t) {
			atr_field(err, f, "required", "choose an action");
			continue;
		}
		if (!strcmp(t, "update")) {
			static const char *const k[] = {"type", "fields", NULL};
			only_keys(a, p, k, err);
			check_update(r, a, record ? ent : NULL, p, err);
		} else if (!strcmp(t, "assign")) {
			static const char *const k[] = {"type", "field", "to",
							NULL};
			only_keys(a, p, k, err);
			check_assign(r, a, record ? ent : NULL, p, err);
		} else if (!strcmp(t, "create_task")) {
			static const char *const k[] = {
				"type",	    "subject",	"description",
				"due_in_days", "priority", "assignees", NULL};
			only_keys(a, p, k, err);
			check_text(a, "subject", true, p, err);
			check_text(a, "description", false, p, err);
			json_t *due = json_object_get(a, "due_in_days");
			pathf(f, "%s.due_in_days", p);
			if (due && (!json_is_integer(due) ||
				    json_integer_value(due) < 0 ||
				    json_integer_value(due) > AUTO_OFFSET_MAX))
				atr_field(err, f, "out_of_range",
					  "between 0 and %d days",
					  AUTO_OFFSET_MAX);
			const struct field *pf = auto_field("task", "priority");
			json_t *pr = json_object_get(a, "priority");
			struct atr_err e2 = {0};
			pathf(f, "%s.priority", p);
			if (pr && pf && ftype_of(pf->type)->check(pf, pr, &e2) < 0)
				atr_field(err, f, "invalid", "%s",
					  e2.fields[0].detail);
			check_recipients(r, a, "assignees", ent, RCPT_MEMBERS,
					 false, p, err);
		} else if (!strcmp(t, "send_email")) {
			static const char *const k[] = {"type", "to", "subject",
							"body", NULL};
			only_keys(a, p, k, err);
			check_recipients(r, a, "to", ent, RCPT_EMAIL, true, p,
					 err);
			check_text(a, "subject", true, p, err);
			check_text(a, "body", true, p, err);
		} else if (!strcmp(t, "notify")) {
			static const char *const k[] = {"type", "to", "title",
							"body", NULL};
			only_keys(a, p, k, err);
			check_recipients(r, a, "to", ent, RCPT_MEMBERS, true, p,
					 err);
			check_text(a, "title", true, p, err);
			check_text(a, "body", false, p, err);
		} else if (!strcmp(t, "webhook")) {
			static const char *const k[] = {"type", "webhook_id",
							NULL};
			only_keys(a, p, k, err);
			check_id(r, a, "webhook_id", "webhook", "webhook", p,
				 err);
		} else if (!strcmp(t, "add_note")) {
			static const char *const k[] = {"type", "text", NULL};
			only_keys(a, p, k, err);
			if (!record)
				atr_field(err, f, "invalid",
					  "there is no record to add a note to");
			check_text(a, "text", true, p, err);
		} else if (!strcmp(t, "wait")) {
			static const char *const k[] = {"type", "minutes", NULL};
			only_keys(a, p, k, err);
			json_t *m = json_object_get(a, "minutes");
			pathf(f, "%s.minutes", p);
			if (!json_is_integer(m) || json_integer_value(m) < 1 ||
			    json_integer_value(m) > AUTO_WAIT_MAX_MIN)
				atr_field(err, f, "out_of_range",
					  "between 1 minute and 365 days");
			if (i + 1 == json_array_size(acts))
				atr_field(err, f, "invalid",
					  "a wait needs an action after it");
		} else {
			atr_field(err, f, "invalid", "unknown action '%.30s'", t);
		}
	}
}
