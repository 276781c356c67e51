/* automation_int.h — what the automations module's files share.
 *
 *   automation.c       the entity (a registry record: list, form, history,
 *                      events), its checks and derived columns, the module
 *   auto_check.c       trigger, conditions and actions: their rules
 *   auto_cond.c        conditions evaluated against a record, with a trace
 *   auto_fire.c        what starts runs: the outbox subscriber, the date
 *                      rules and schedules (scheduler tasks), the loop
 *                      protection and the rate limit
 *   auto_run.c         the run job: actions in order, each step committed
 *                      with its effect, waits, the run history
 *   auto_action.c      the actions themselves, as the automation's owner
 *   auto_api.c         test mode, run history routes, the templates
 *
 * docs/internals/automations.md describes the design.
 */
#ifndef ATR_AUTOMATION_INT_H
#define ATR_AUTOMATION_INT_H

#include "atrium.h"

#include <jansson.h>

#include "core/validate.h"
#include "http/http.h"
#include "jobs/jobs.h"

struct app;
struct db_conn;
struct entity;

#define AUTO_ACTIONS_MAX 20
#define AUTO_COND_MAX 50    /* comparisons in one automation */
#define AUTO_COND_DEPTH 3   /* nested groups */
#define AUTO_RECIPIENTS_MAX 10
#define AUTO_CHAIN_MAX 5    /* automations set off by automations */
#define AUTO_CATCHUP_DAYS 7 /* a date rule fires this late at most */
#define AUTO_WAIT_MAX_MIN (365LL * 24 * 60)
#define AUTO_OFFSET_MAX 3650 /* days before or after a date */
#define AUTO_OUT_MAX 20000   /* bytes of one rendered text */
#define AUTO_RUNS_PER_HOUR_MAX 10000

extern const struct entity entity_automation;

/* ---- what automations act on (automation.c) ---------------------------- */

/* Whether records of entity name can start automations: every registry
 * entity but automations themselves, and staff members. */
bool auto_entity_ok(const char *name);
/* Field name of entity (registry fields and, for staff, the member's
 * name, email, role_id, admin, active, department_ids, team_ids), or
 * NULL. Custom fields are "custom_fields.<slug>" and not found here. */
const struct field *auto_field(const char *entity, const char *name);
/* The permission module of entity's records ("leads"; "staff"). */
const char *auto_module_of(const char *entity);

/* Whether the caller may change or test automation id: administrators,
 * and its owner. 1; 0 with r->err 403; -1 a database error. An absent id
 * answers 1 (the route's own lookup says 404). automation.c. */
int auto_may_change(struct req *r, int64_t id);

/* ---- rules (auto_check.c) ------------------------------------------------ */

/* Each adds every problem as a field error ("trigger.field",
 * "conditions.all[1].value", "actions[2].subject"). actions' checks need
 * the database for the ids they name (r's organisation). */
void auto_check_trigger(const json_t *t, struct atr_err *err);
void auto_check_conditions(const json_t *c, const json_t *trigger,
			   struct atr_err *err);
void auto_check_actions(struct req *r, const json_t *a, const json_t *trigger,
			struct atr_err *err);

/* ---- conditions (auto_cond.c) -------------------------------------------- */

/* A record as a run sees it: the entity, the record now (after), as it
 * was before the change when the trigger was an update (before, or
 * NULL), and the database for related records. */
struct auto_subject {
	struct db_conn *c;
	int64_t org;
	const char *entity;
	const json_t *after, *before;
};

/* Evaluates conditions (NULL or {}: true) against s. 1 true, 0 false, -1
 * a database error. *trace (new reference, may be NULL) shows every
 * comparison: {field, op, value, actual, result}. */
int auto_cond_eval(const struct auto_subject *s, const json_t *conditions,
		   json_t **trace);
/* The value of a condition's field path in s's record ("status",
 * "client_id.country", "assigned_to.department_ids",
 * "custom_fields.industry"); new reference, JSON null when absent. NULL on
 * a database error. */
json_t *auto_value(const struct auto_subject *s, const json_t *rec,
		   const char *path);

/* ---- starting runs (auto_fire.c) ---------------------------------------- */

int auto_on_event(struct app *app, const struct event *ev,
		  struct atr_err *err);
int auto_dates_task(struct app *app, struct db_conn *c, int64_t now_ms,
		    struct atr_err *err);
int auto_schedule_task(struct app *app, struct db_conn *c, int64_t now_ms,
		       struct atr_err *err);
/* The next time of a schedule trigger after after_ms, its cron expression
 * read on the wall clock of zone (the organisation's time zone), as ISO
 * 8601 UTC in out (ATR_TIME_LEN), or "" when the trigger is not a
 * schedule. */
void auto_next_run(const json_t *trigger, const char *zone, int64_t after_ms,
		   char *out);
/* Module hook (struct module.settings_changed): a new time zone moves the
 * next run of the organisation's schedules to its wall clock. */
int auto_settings_changed(struct db_conn *c, int64_t org, const char *group,
			  const json_t *diff, struct atr_err *err);

/* ---- running (auto_run.c, auto_action.c) --------------------------------- */

int auto_run_job(struct job_ctx *j, struct atr_err *err);

/* One automation as a run needs it. */
struct auto_def {
	int64_t id, org, owner;
	const char *name;
	json_t *trigger, *conditions, *actions; /* owned */
	bool enabled;
};
/* Loads automation id of org into d (free with auto_def_free). 1, 0
 * absent, -1 error. */
int auto_def_load(struct db_conn *c, int64_t org, int64_t id,
		  struct auto_def *d);
void auto_def_free(struct auto_def *d);

/* The request context an automation acts in: its owner's principal
 * (their grants, never more), on connection c. fr->who.staff_id is 0 and
 * the call fails (-1, err) when the owner is absent or inactive. Free
 * with auto_principal_end. */
int auto_principal(struct app *app, struct db_conn *c, const struct auto_def *d,
		   struct req *fr, struct atr_err *err);
void auto_principal_end(struct req *fr);

/* What a step is given: the run's context. */
struct auto_step_in {
	struct req *r; /* the owner's context, in the step's transaction */
	const struct auto_def *d;
	int64_t run_id;
	int step;
	const char *entity;
	int64_t record_id;
	json_t *record; /* the record as the owner sees it now, or NULL */
	json_t *data;   /* the templates' merge data */
	bool dry;       /* test mode: say what would happen, change nothing */
};

/* Runs action `a` (one element of actions). 0 done (*out: the step's
 * output, a new reference), -1 refused with the reason in err (the run
 * fails: permission, validation, nothing to act on), -2 a database error
 * (the job retries). With in->dry nothing is written and *out says what
 * would happen. */
int auto_action(struct auto_step_in *in, const json_t *a, json_t **out,
		struct atr_err *err);

/* The merge data of templates: {record, before, entity, record_url,
 * automation: {id, name}, company_name, today, steps: {}}; new reference. */
json_t *auto_merge_data(struct db_conn *c, const struct auto_def *d,
			const char *entity, const json_t *record,
			const json_t *before);

/* ---- templates (auto_api.c) ---------------------------------------------- */

extern const struct route auto_routes[];

#endif
