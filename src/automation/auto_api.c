/* auto_api.c — the automations' routes beside the entity's own CRUD:
 *
 *   GET  /api/v1/automation_runs          the run history, newest first;
 *                                         filters automation_id, entity,
 *                                         record_id, status, trigger,
 *                                         created_at (per automation and
 *                                         per record)
 *   POST /api/v1/automations/{id}/test    test mode: the automation
 *                                         against a chosen record, as its
 *                                         owner, without side effects
 *   GET  /api/v1/automation_templates     the spec's five standard
 *                                         automations, ready to save
 */
#include "atrium.h"

#include "automation/automation_int.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/list.h"
#include "http/perm.h"

/* ---- the run history ------------------------------------------------------- */

#define RUN_COLS                                                               \
	"id, automation_id, trigger, entity, record_id, event_id, fire_date, " \
	"depth, status, conditions, steps, next_step, error, created_at, "     \
	"started_at, finished_at"

static void opt_text(struct buf *b, struct db_stmt *st, int col)
{
	if (db_col_null(st, col))
		buf_adds(b, "null");
	else
		jout_str(b, db_col_text(st, col));
}

static void opt_int(struct buf *b, struct db_stmt *st, int col)
{
	if (db_col_null(st, col))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, col));
}

static void run_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	(void)arg;
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "automation_id", false);
	jout_int(b, db_col_int(st, 1));
	jout_key(b, "trigger", false);
	opt_text(b, st, 2);
	jout_key(b, "entity", false);
	opt_text(b, st, 3);
	jout_key(b, "record_id", false);
	opt_int(b, st, 4);
	jout_key(b, "event_id", false);
	opt_int(b, st, 5);
	jout_key(b, "fire_date", false);
	opt_text(b, st, 6);
	jout_key(b, "depth", false);
	jout_int(b, db_col_int(st, 7));
	jout_key(b, "status", false);
	opt_text(b, st, 8);
	/* Stored as JSON the server wrote. */
	jout_key(b, "conditions", false);
	buf_adds(b, db_col_null(st, 9) ? "null" : db_col_text(st, 9));
	jout_key(b, "steps", false);
	buf_adds(b, db_col_text(st, 10));
	jout_key(b, "next_step", false);
	jout_int(b, db_col_int(st, 11));
	static const char *const keys[] = {"error", "created_at", "started_at",
					   "finished_at"};
	for (int i = 0; i < 4; i++) {
		jout_key(b, keys[i], false);
		opt_text(b, st, 12 + i);
	}
	buf_addc(b, '}');
}

static const char *const run_statuses[] = {
	"queued", "running", "waiting", "done",
	"failed", "skipped", "stopped", NULL};
static const char *const run_triggers[] = {"event", "date", "schedule", NULL};
static const struct field f_auto = {.name = "automation_id", .type = FT_INT};
static const struct field f_entity = {.name = "entity", .type = FT_TEXT};
static const struct field f_record = {.name = "record_id", .type = FT_INT};
static const struct field f_status = {.name = "status", .type = FT_ENUM,
				      .choices = run_statuses};
static const struct field f_trigger = {.name = "trigger", .type = FT_ENUM,
				       .choices = run_triggers};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col run_columns[] = {
	{&f_auto, NULL, LIST_FILTER},
	{&f_entity, NULL, LIST_FILTER},
	{&f_record, NULL, LIST_FILTER},
	{&f_status, NULL, LIST_FILTER},
	{&f_trigger, NULL, LIST_FILTER},
	{&f_created, NULL, LIST_FILTER | LIST_NOTNULL},
};

static const struct list_spec run_spec = {
	.from = "automation_run",
	.cols = RUN_COLS,
	.id = "id",
	.org = "org_id",
	.columns = run_columns,
	.ncolumns = (int)ATR_ARRAY_LEN(run_columns),
	.sort_default = "-id",
	.limit_default = 50,
	.limit_max = 200,
	.row = run_row,
};

static int auto_h_runs(struct req *r)
{
	return list_run(r, &run_spec);
}

/* ---- test mode ------------------------------------------------------------- */

static const struct field test_fields[] = {
	{.name = "record_id", .type = FT_INT},
};
static const struct schema test_schema = SCHEMA(test_fields);

static int auto_h_test(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int may = auto_may_change(r, r->id);
	if (may <= 0)
		return may < 0 ? req_db_error(r) : -1;
	struct auto_def d;
	int rc = auto_def_load(c, r->who.org_id, r->id, &d);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "automation %lld not "
							  "found",
				(long long)r->id);
	const char *type = json_string_value(json_object_get(d.trigger, "type"));
	const char *ent = type && strcmp(type, "schedule")
				  ? json_string_value(json_object_get(d.trigger,
								      "entity"))
				  : NULL;
	json_t *rid = json_object_get(r->body, "record_id");
	struct req fr;
	struct atr_err why = {0};
	json_t *rec = NULL, *trace = NULL, *steps = json_array();
	int ret = -1;
	bool have_fr = false;
	if (ent && !json_is_integer(rid)) {
		atr_field(&r->err, "record_id", "required",
			  "choose a record of %s to test with", ent);
		goto out;
	}
	if (!ent && rid) {
		atr_field(&r->err, "record_id", "unexpected",
			  "a scheduled automation has no record");
		goto out;
	}
	/* Everything from here reads as the owner: the test shows what the
	 * automation would do, not what the tester may do. */
	have_fr = true;
	if (auto_principal(r->app, c, &d, &fr, &why) < 0) {
		if (why.kind == ATR_E_INTERNAL)
			goto dberr;
		json_t *o = json_pack("{s:b,s:s}", "matched", 0, "error",
				      why.msg);
		req_json(r, 200, o);
		ret = 0;
		goto out;
	}
	if (ent) {
		const struct entity *e = entity_find(ent);
		int seen = 0;
		if (e) {
			fr.id = json_integer_value(rid);
			seen = entity_record_load(&fr, e, false, &rec);
		} else if (!strcmp(ent, "staff")) {
			seen = perm_check(&fr.who, "staff", CAP_VIEW) != PERM_DENY;
			if (seen)
				rec = json_pack("{s:I}", "id",
						(json_int_t)json_integer_value(rid));
		}
		if (seen < 0)
			goto dberr;
		if (!seen) {
			atr_field(&r->err, "record_id", "not_found",
				  "no %s %lld that the automation's owner can "
				  "see",
				  ent, (long long)json_integer_value(rid));
			goto out;
		}
	}
	struct auto_subject s = {.c = c, .org = d.org, .entity = ent,
				 .after = rec};
	int ok = ent ? auto_cond_eval(&s, d.conditions, &trace) : 1;
	if (ok < 0)
		goto dberr;
	json_t *data = auto_merge_data(c, &d, ent, rec, NULL);
	size_t i;
	json_t *a;
	json_array_foreach(d.actions, i, a)
	{
		if (!ok)
			break;
		const char *t = json_string_value(json_object_get(a, "type"));
		if (t && !strcmp(t, "wait")) {
			json_array_append_new(
				steps, json_pack("{s:i,s:s,s:s,s:O}", "step",
						 (int)i + 1, "type", t, "status",
						 "would_wait", "minutes",
						 json_object_get(a, "minutes")));
			continue;
		}
		struct auto_step_in in = {.r = &fr, .d = &d, .step = (int)i,
					  .entity = ent,
					  .record_id = json_integer_value(rid),
					  .record = rec ? json_incref(rec) : NULL,
					  .data = data, .dry = true};
		json_t *out = NULL;
		struct atr_err aerr = {0};
		int ar = auto_action(&in, a, &out, &aerr);
		json_decref(in.record);
		if (ar == -2) {
			json_decref(data);
			goto dberr;
		}
		json_array_append_new(
			steps, ar == 0 ? json_pack("{s:i,s:s,s:s,s:o}", "step",
						   (int)i + 1, "type", t,
						   "status", "ok", "output", out)
				       : json_pack("{s:i,s:s,s:s,s:s}", "step",
						   (int)i + 1, "type", t,
						   "status", "refused", "error",
						   aerr.msg));
		if (ar != 0)
			break; /* a real run would stop here */
	}
	json_decref(data);
	req_json(r, 200,
		 json_pack("{s:b,s:o,s:O}", "matched", ok, "conditions",
			   trace ? trace : json_array(), "steps", steps));
	trace = NULL;
	ret = 0;
	goto out;
dberr:
	ret = req_db_error(r);
out:
	if (r->err.nfields && ret < 0 && r->err.kind == ATR_E_NONE)
		r->err.kind = ATR_E_INVALID;
	if (r->err.nfields)
		ret = -1;
	if (have_fr)
		auto_principal_end(&fr);
	json_decref(rec);
	json_decref(trace);
	json_decref(steps);
	auto_def_free(&d);
	return ret;
}

/* ---- the standard automations ----------------------------------------------- */

/* The id of the organisation's role or department named name, or 0. */
static int64_t named(struct req *r, const char *table, const char *name)
{
	char *sql = arena_printf(r->arena,
				 "SELECT id FROM %s WHERE org_id = ? AND "
				 "lower(name) = lower(?) ORDER BY id LIMIT 1",
				 table);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, name);
	int rc = db_step(st);
	int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc < 0 ? -1 : id;
}

/* A recipient list naming role `role` when the organisation has it; []
 * and a `needs` entry otherwise. */
static json_t *role_or_need(struct req *r, const char *role, json_t *needs,
			    const char *path)
{
	int64_t id = named(r, "role", role);
	if (id > 0)
		return json_pack("[{s:s,s:I}]", "type", "role", "id",
				 (json_int_t)id);
	json_array_append_new(needs, json_pack("{s:s,s:s}", "field", path,
					       "message", role));
	return json_array();
}

static int auto_h_templates(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *list = json_array();
	json_t *needs;

	needs = json_array();
	json_array_append_new(
		list,
		json_pack(
			"{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s},s:{},s:[{s:s,s:o,s:s,s:s}],s:o}",
			"key", "urgent_lead", "name",
			"Urgent lead: tell the sales managers", "description",
			"As soon as a lead is marked urgent, every member with "
			"the Sales Manager role is notified in the app.",
			"trigger", "type", "event", "entity", "lead", "event",
			"field_changed", "field", "priority", "to", "urgent",
			"conditions", "actions", "type", "notify", "to",
			role_or_need(r, "Sales Manager", needs, "actions[0].to"),
			"title", "Urgent lead: {{record.name}}", "body",
			"{{record.company}}\n{{record.email}} {{record.phone}}\n"
			"Source: {{record.source}}",
			"needs", needs));

	json_array_append_new(
		list,
		json_pack(
			"{s:s,s:s,s:s,s:{s:s,s:s,s:s},s:{},s:[{s:s,s:[{s:s}],s:s,s:s}],s:[]}",
			"key", "new_ticket", "name",
			"New ticket: tell the department's agents", "description",
			"Every member of the ticket's department is notified in "
			"the app when a ticket is opened.",
			"trigger", "type", "event", "entity", "ticket", "event",
			"created", "conditions", "actions", "type", "notify",
			"to", "type", "record_department", "title",
			"New ticket #{{record.id}}: {{record.subject}}", "body",
			"Priority: {{record.priority}}", "needs"));

	json_array_append_new(
		list,
		json_pack(
			"{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:i},s:{},s:[{s:s,s:s,s:s,s:i,s:s,s:[{s:s,s:s}]}],s:[]}",
			"key", "contract_renewal", "name",
			"Contract expiring in 60 days: renewal task", "description",
			"Sixty days before a contract ends, its key account "
			"manager (the member it is assigned to) gets a renewal "
			"task.",
			"trigger", "type", "date", "entity", "contract", "field",
			"end_date", "offset_days", -60, "conditions", "actions",
			"type", "create_task", "subject",
			"Renew contract: {{record.subject}}", "description",
			"The contract ends on {{record.end_date}}. Agree the "
			"renewal with the client before then.",
			"due_in_days", 14, "priority", "high", "assignees",
			"type", "field", "field", "assigned_to", "needs"));

	json_array_append_new(
		list,
		json_pack(
			"{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:i},s:{s:[{s:s,s:s,s:s}]},s:[{s:s,s:[{s:s}],s:s,s:s}],s:[]}",
			"key", "invoice_overdue", "name",
			"Invoice overdue more than 30 days: reminder to the client",
			"description",
			"Thirty-one days after an invoice's due date, if it is "
			"still overdue, its contact (or the client's primary "
			"contact) gets a reminder by email.",
			"trigger", "type", "date", "entity", "invoice", "field",
			"due_date", "offset_days", 31, "conditions", "all",
			"field", "status", "op", "eq", "value", "overdue",
			"actions", "type", "send_email", "to", "type",
			"client_contact", "subject",
			"Reminder: invoice {{record.number}} is overdue", "body",
			"Hello,\n\nOur records show that invoice "
			"{{record.number}}, due on {{record.due_date}}, still "
			"has {{record.balance_due}} {{record.currency}} to "
			"pay.\n\nIf you have paid it already, please ignore "
			"this message. Otherwise, please arrange the payment "
			"at your earliest convenience.\n\nThank you,\n"
			"{{company_name}}",
			"needs"));

	needs = json_array();
	json_array_append_new(
		list,
		json_pack(
			"{s:s,s:s,s:s,s:{s:s,s:s,s:s},s:{},s:[{s:s,s:s,s:s,s:i,s:s,s:o}],s:o}",
			"key", "onboarding", "name",
			"New employee: onboarding task for HR", "description",
			"When a staff member is added, the members with the HR "
			"Administrator role get an onboarding task.",
			"trigger", "type", "event", "entity", "staff", "event",
			"created", "conditions", "actions", "type", "create_task",
			"subject", "Onboard {{record.name}}", "description",
			"Prepare {{record.name}}'s first days: equipment, "
			"accounts, introductions ({{record.email}}).",
			"due_in_days", 3, "priority", "medium", "assignees",
			role_or_need(r, "HR Administrator", needs,
				     "actions[0].assignees"),
			"needs", needs));
	if (json_array_size(list) != 5) {
		json_decref(list);
		return atr_fail(&r->err, ATR_E_INTERNAL,
				"cannot build the templates");
	}
	req_json(r, 200, json_pack("{s:o}", "data", list));
	return 0;
}

const struct route auto_routes[] = {
	ENTITY_ROUTES(entity_automation, "automations"),
	{HTTP_POST, "/api/v1/automations/{id}/test", auto_h_test, ACCESS_PERM,
	 "automations", CAP_EDIT, &test_schema},
	{HTTP_GET, "/api/v1/automation_runs", auto_h_runs, ACCESS_PERM,
	 "automations", CAP_VIEW},
	{HTTP_GET, "/api/v1/automation_templates", auto_h_templates,
	 ACCESS_PERM, "automations", CAP_VIEW},
	{0},
};
