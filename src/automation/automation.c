/* automation.c — workflow automations as records: the entity, its rules
 * and derived columns, and the module that brings the engine.
 *
 * An automation is a registry entity (entity.h), so its list with
 * filters and export, its form, its history, its events, If-Match and
 * Idempotency-Key are the records engine's like any record's. What it
 * holds:
 *
 *   trigger      what starts it: a record event, a date rule or a
 *                schedule (auto_check.c states the shapes)
 *   conditions   comparisons in all/any groups, on the record and the
 *                records it names
 *   actions      what it does, in order
 *   owner_id     whose permissions the actions run with, never more;
 *                the creator by default; only an administrator names
 *                another member
 *   enabled      off when created unless said; the rate limit turns a
 *                runaway automation off and records why (paused_at,
 *                paused_reason); turning it on again clears both
 *
 * trigger_entity and next_run_at are derived from the trigger on every
 * write (the dispatcher's index; a schedule's next time).
 */
#include "atrium.h"

#include "automation/automation_int.h"
#include "core/l10n.h"
#include "core/module.h"
#include "core/tz.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/perm.h"

static const char *const trigger_types[] = {"event", "date", "schedule",
					    NULL};

static const struct field automation_fields[] = {
	{.name = "name", .type = FT_TEXT, .max = 200,
	 .flags = F_REQUIRED | F_SEARCH | F_SORT | F_LIST},
	{.name = "description", .type = FT_TEXT, .max = 2000,
	 .flags = F_MULTILINE | F_WIDE},
	{.name = "enabled", .type = FT_BOOL, .def = "false",
	 .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "trigger", .type = FT_OBJECT, .flags = F_REQUIRED | F_WIDE,
	 .hint = "What starts the automation: a record event, a date rule "
		 "or a schedule."},
	{.name = "conditions", .type = FT_OBJECT, .flags = F_WIDE,
	 .hint = "Comparisons the record must pass, in all/any groups."},
	{.name = "actions", .type = FT_ITEMS, .max = AUTO_ACTIONS_MAX,
	 .flags = F_REQUIRED | F_WIDE, .hint = "What it does, in order."},
	{.name = "owner_id", .type = FT_STAFF, .label = "Runs as",
	 .flags = F_FILTER | F_OWNER | F_LIST,
	 .hint = "The actions run with this member's permissions; you by "
		 "default."},
	{.name = "allow_retrigger", .type = FT_BOOL, .def = "false",
	 .label = "Its own changes may start it again",
	 .hint = "Off: what the automation changes never starts it again."},
	{.name = "max_runs_per_hour", .type = FT_INT, .def = "100",
	 .label = "Runs per hour at most",
	 .hint = "Past it the automation is turned off and administrators "
		 "are told."},
	{.name = "trigger_entity", .type = FT_TEXT, .max = 40,
	 .flags = F_READONLY | F_FILTER | F_SORT | F_LIST, .label = "Records"},
	{.name = "trigger_type", .type = FT_ENUM, .choices = trigger_types,
	 .flags = F_READONLY | F_FILTER, .label = "Trigger type"},
	{.name = "next_run_at", .type = FT_DATETIME, .flags = F_READONLY,
	 .label = "Next scheduled run"},
	{.name = "paused_at", .type = FT_DATETIME, .flags = F_READONLY | F_FILTER,
	 .label = "Turned off by the rate limit"},
	{.name = "paused_reason", .type = FT_TEXT, .max = 500,
	 .flags = F_READONLY},
	{.name = "last_run_at", .type = FT_DATETIME,
	 .flags = F_READONLY | F_SORT | F_LIST, .label = "Last run"},
};

/* ---- what automations act on --------------------------------------------- */

static const struct field staff_fields[] = {
	{.name = "name", .type = FT_TEXT},
	{.name = "email", .type = FT_EMAIL},
	{.name = "role_id", .type = FT_INT, .label = "Role"},
	{.name = "admin", .type = FT_BOOL},
	{.name = "active", .type = FT_BOOL},
	{.name = "department_ids", .type = FT_IDS, .label = "Departments"},
	{.name = "team_ids", .type = FT_IDS, .label = "Teams"},
};

bool auto_entity_ok(const char *name)
{
	if (!name)
		return false;
	if (!strcmp(name, "staff"))
		return true;
	const struct entity *e = entity_find(name);
	return e && e != &entity_automation;
}

const struct field *auto_field(const char *entity, const char *name)
{
	if (!entity || !name)
		return NULL;
	if (!strcmp(entity, "staff")) {
		for (size_t i = 0; i < ATR_ARRAY_LEN(staff_fields); i++)
			if (!strcmp(staff_fields[i].name, name))
				return &staff_fields[i];
		return NULL;
	}
	const struct entity *e = entity_find(entity);
	if (!e)
		return NULL;
	for (int i = 0; i < e->schema.nfields; i++)
		if (!strcmp(e->schema.fields[i].name, name))
			return &e->schema.fields[i];
	return NULL;
}

const char *auto_module_of(const char *entity)
{
	if (!strcmp(entity, "staff"))
		return "staff";
	const struct entity *e = entity_find(entity);
	return e ? e->plural : NULL;
}

/* ---- the entity's rules -------------------------------------------------- */

/* The stored value of key of record r->id (PATCH without it), or NULL
 * (caller decrefs). */
static json_t *stored(struct req *r, const char *key)
{
	if (r->method != HTTP_PATCH || !req_db(r))
		return NULL;
	char *sql = arena_printf(r->arena,
				 "SELECT %s FROM automation WHERE id = ? AND "
				 "org_id = ?",
				 key);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return NULL;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	json_t *v = NULL;
	if (db_step(st) == 1 && !db_col_null(st, 0))
		v = json_loads(db_col_text(st, 0), 0, NULL);
	db_reset(st);
	return v;
}

/* Checks trigger, conditions and actions together (the latter two are
 * judged against the trigger, the stored one when a PATCH leaves it), the
 * run-as rule and the rate's bounds. */
/* Whether the caller may change an automation owned by owner: an
 * administrator, or its owner. Anyone else with automations.edit could
 * otherwise make an automation that runs as someone with more
 * permissions do what they may not. */
static bool may_change(struct req *r, int64_t owner)
{
	return r->who.admin || owner == r->who.staff_id;
}

/* The stored owner of automation id in the caller's organisation: 1, 0
 * absent, -1 a database error. */
static int stored_owner(struct req *r, int64_t id, int64_t *owner)
{
	if (!req_db(r))
		return -1;
	struct db_stmt *st = db_prepare(
		r->db, "SELECT owner_id FROM automation WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	*owner = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc;
}

int auto_may_change(struct req *r, int64_t id)
{
	int64_t owner;
	int rc = stored_owner(r, id, &owner);
	if (rc <= 0)
		return rc < 0 ? -1 : 1; /* absent: the route's 404 says so */
	if (may_change(r, owner))
		return 1;
	atr_err_clear(&r->err);
	atr_fail(&r->err, ATR_E_FORBIDDEN,
		 "only its owner or an administrator may change or test "
		 "automation %lld: it runs with its owner's permissions",
		 (long long)id);
	return 0;
}

static void automation_check(struct req *r, const struct entity *e)
{
	(void)e;
	if (r->method == HTTP_PATCH && auto_may_change(r, r->id) <= 0) {
		if (r->err.kind == ATR_E_NONE)
			req_db_error(r);
		return;
	}
	json_t *body = r->body;
	json_t *trigger = json_object_get(body, "trigger");
	json_t *own_trigger = NULL;
	if (!trigger)
		trigger = own_trigger = stored(r, "trigger");
	if (json_is_object(json_object_get(body, "trigger")))
		auto_check_trigger(trigger, &r->err);
	/* Conditions and actions are judged whenever the trigger says what
	 * they act on, even if another part of it is wrong: one answer
	 * names every problem. */
	const char *type = json_string_value(json_object_get(trigger, "type"));
	bool trigger_ok =
		type && (!strcmp(type, "schedule") ||
			 ((!strcmp(type, "event") || !strcmp(type, "date")) &&
			  auto_entity_ok(json_string_value(
				  json_object_get(trigger, "entity")))));
	json_t *conds = json_object_get(body, "conditions");
	json_t *actions = json_object_get(body, "actions");
	json_t *own_conds = NULL, *own_actions = NULL;
	/* A new trigger is judged with what it keeps. */
	if (json_object_get(body, "trigger") && !conds)
		conds = own_conds = stored(r, "conditions");
	if (json_object_get(body, "trigger") && !actions)
		actions = own_actions = stored(r, "actions");
	if (trigger_ok) {
		if (json_is_object(conds))
			auto_check_conditions(conds, trigger, &r->err);
		if (json_is_array(actions))
			auto_check_actions(r, actions, trigger, &r->err);
	}
	json_t *owner = json_object_get(body, "owner_id");
	if (json_is_integer(owner) && !r->who.admin &&
	    json_integer_value(owner) != r->who.staff_id)
		atr_field(&r->err, "owner_id", "forbidden",
			  "only an administrator may run an automation as "
			  "another member");
	json_t *rate = json_object_get(body, "max_runs_per_hour");
	if (json_is_integer(rate) &&
	    json_integer_value(rate) > AUTO_RUNS_PER_HOUR_MAX) /* 0: the type's */
		atr_field(&r->err, "max_runs_per_hour", "out_of_range",
			  "must be between 1 and %d", AUTO_RUNS_PER_HOUR_MAX);
	json_decref(own_trigger);
	json_decref(own_conds);
	json_decref(own_actions);
}

/* Derived columns and the owner: written after each create or update. */
static int automation_on_write(struct req *r, const struct entity *e,
			       const json_t *before, json_t **after)
{
	(void)e;
	json_t *a = *after;
	const json_t *t = json_object_get(a, "trigger");
	const char *type = json_string_value(json_object_get(t, "type"));
	const char *ent = json_string_value(json_object_get(t, "entity"));
	bool enabled = json_is_true(json_object_get(a, "enabled"));
	bool was = before && json_is_true(json_object_get(before, "enabled"));
	char next[ATR_TIME_LEN] = "";
	char zone[TZ_NAME_MAX];
	if (enabled && !strcmp(type ? type : "", "schedule")) {
		if (l10n_org_zone(r->db, r->who.org_id, zone) < 0)
			return -1;
		auto_next_run(t, zone, atr_now_ms(), next);
	}
	int64_t owner = json_integer_value(json_object_get(a, "owner_id"));
	struct db_stmt *st = db_prepare(
		r->db,
		"UPDATE automation SET trigger_entity = ?, trigger_type = ?, "
		"next_run_at = ?, owner_id = ?, paused_at = CASE WHEN ? THEN "
		"NULL ELSE paused_at END, paused_reason = CASE WHEN ? THEN "
		"NULL ELSE paused_reason END WHERE id = ? AND org_id = ? "
		"RETURNING trigger_entity, trigger_type, next_run_at, owner_id, "
		"paused_at, paused_reason");
	if (!st)
		return -1;
	db_bind_text(st, 1, ent);
	db_bind_text(st, 2, type);
	db_bind_text(st, 3, *next ? next : NULL);
	db_bind_int(st, 4, owner ? owner : r->who.staff_id);
	db_bind_int(st, 5, enabled && !was);
	db_bind_int(st, 6, enabled && !was);
	db_bind_int(st, 7, json_integer_value(json_object_get(a, "id")));
	db_bind_int(st, 8, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		const char *keys[] = {"trigger_entity", "trigger_type",
				      "next_run_at", "owner_id", "paused_at",
				      "paused_reason"};
		for (int i = 0; i < 6; i++) {
			json_t *v = db_col_null(st, i) ? json_null()
				    : i == 3 ? json_integer(db_col_int(st, i))
					     : json_string(db_col_text(st, i));
			json_object_set_new(a, keys[i], v);
		}
	}
	db_reset(st);
	return rc == 1 ? 0 : -1;
}

/* A member who is neither its owner nor an administrator does not delete
 * it (a check hook runs for writes with a body only). */
static int automation_on_delete(struct req *r, const struct entity *e,
				const json_t *before)
{
	(void)e;
	if (may_change(r, json_integer_value(json_object_get(before, "owner_id"))))
		return 0;
	return atr_fail(&r->err, ATR_E_FORBIDDEN,
			"only its owner or an administrator may delete "
			"automation %lld",
			(long long)json_integer_value(json_object_get(before, "id")));
}

const struct entity entity_automation = {
	.name = "automation",
	.plural = "automations",
	.label = "Automations",
	.schema = SCHEMA(automation_fields),
	.title_field = "name",
	.ui_sort = "name",
	.check = automation_check,
	.on_write = automation_on_write,
	.on_delete = automation_on_delete,
};

/* ---- the module ---------------------------------------------------------- */

static const struct perm_module automation_perms[] = {
	{"automations", "Automations", PB_ALL, "automation"},
	{0},
};

static const struct entity *const automation_entities[] = {
	&entity_automation, NULL};

/* Whether org has an enabled automation on entity's events (the index
 * automation_trigger): the outbox hands other events no job. */
static int automation_interested(struct db_conn *c, int64_t org,
				 const char *entity)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT 1 FROM automation WHERE org_id = ? AND trigger_entity "
		   "= ? AND trigger_type = 'event' AND enabled = 1 LIMIT 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, entity);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

/* What fails here is the database's (a lock wait cut short, a conflict
 * between concurrent runs, a lost connection), not a remote party's: the
 * retries start after 2 s rather than the runner's 30, so an automation is
 * late by seconds, not minutes, after a transient error. */
#define AUTO_BACKOFF_MS 2000

static const struct event_sub automation_subs[] = {
	{"automations", NULL, auto_on_event, .max_attempts = 8,
	 .backoff_base_ms = AUTO_BACKOFF_MS, .interested = automation_interested},
	{0},
};

static const struct job_kind automation_kinds[] = {
	/* A run's steps are short database work; a send or a delivery is
	 * queued, never waited for. */
	{"automation", auto_run_job, .max_attempts = 8, .lease_ms = 120000,
	 .backoff_base_ms = AUTO_BACKOFF_MS},
	{0},
};

static const struct sched_task automation_tasks[] = {
	{"automation_dates", .interval_ms = 15 * 60 * 1000,
	 .run = auto_dates_task},
	{"automation_schedules", .interval_ms = 60 * 1000,
	 .run = auto_schedule_task},
	{0},
};

/* Runs that found nothing to do are kept 30 days, the others 180; date
 * markers a year past their date. */
static const struct housekeeping automation_housekeeping[] = {
	{"DELETE FROM automation_run WHERE status IN ('skipped', 'stopped') "
	 "AND created_at < ? RETURNING org_id",
	 1, {30LL * 24 * 3600 * 1000}},
	{"DELETE FROM automation_run WHERE finished_at < ? RETURNING org_id", 1,
	 {180LL * 24 * 3600 * 1000}},
	{"DELETE FROM automation_fired WHERE created_at < ? RETURNING "
	 "automation_id",
	 1, {400LL * 24 * 3600 * 1000}},
	{0},
};

const struct module module_automations = {
	.name = "automations",
	.perms = automation_perms,
	.routes = auto_routes,
	.entities = automation_entities,
	.subscribers = automation_subs,
	.job_kinds = automation_kinds,
	.tasks = automation_tasks,
	.housekeeping = automation_housekeeping,
	.settings_changed = auto_settings_changed,
};
