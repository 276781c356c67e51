/* test_automation.c — the automations' rules (src/automation/auto_check.c)
 * and conditions (auto_cond.c) without a database: what a trigger and a
 * condition tree may hold, and how comparisons decide on a record and on
 * what changed. Paths into related records need the database and are
 * proved by tests/http/automations.test.mjs. */
#include "atrium.h"

#include "automation/automation_int.h"
#include "unit.h"

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		FAILF("bad JSON in the test: %s: %s", text, e.text);
	return v;
}

/* The field errors of err, joined by spaces. */
static const char *fields_of(const struct atr_err *err, char *buf, size_t n)
{
	size_t at = 0;
	buf[0] = 0;
	for (int i = 0; i < err->nfields && at < n; i++)
		at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? " " : "",
				       err->fields[i].field);
	return buf;
}

static const char *trigger_errors(const char *t, char *buf, size_t n)
{
	struct atr_err err = {0};
	json_t *v = J(t);
	auto_check_trigger(v, &err);
	json_decref(v);
	return fields_of(&err, buf, n);
}

TEST(automation_trigger_rules)
{
	char b[512];
	CHECK_STR(trigger_errors("{\"type\":\"event\",\"entity\":\"lead\","
				 "\"event\":\"created\"}",
				 b, sizeof b),
		  "");
	CHECK_STR(trigger_errors("{\"type\":\"event\",\"entity\":\"staff\","
				 "\"event\":\"created\"}",
				 b, sizeof b),
		  "");
	CHECK_STR(trigger_errors("{\"type\":\"event\",\"entity\":\"lead\","
				 "\"event\":\"field_changed\",\"field\":"
				 "\"priority\",\"to\":\"urgent\"}",
				 b, sizeof b),
		  "");
	/* a value the field cannot hold */
	CHECK_STR(trigger_errors("{\"type\":\"event\",\"entity\":\"lead\","
				 "\"event\":\"field_changed\",\"field\":"
				 "\"priority\",\"to\":\"asap\"}",
				 b, sizeof b),
		  "trigger.to");
	CHECK_STR(trigger_errors("{\"type\":\"event\",\"entity\":\"automation\","
				 "\"event\":\"created\"}",
				 b, sizeof b),
		  "trigger.entity");
	CHECK_STR(trigger_errors("{\"type\":\"event\",\"entity\":\"lead\","
				 "\"event\":\"created\",\"field\":\"name\"}",
				 b, sizeof b),
		  "trigger.field");
	CHECK_STR(trigger_errors("{\"type\":\"date\",\"entity\":\"contract\","
				 "\"field\":\"end_date\",\"offset_days\":-60}",
				 b, sizeof b),
		  "");
	CHECK_STR(trigger_errors("{\"type\":\"date\",\"entity\":\"contract\","
				 "\"field\":\"subject\",\"offset_days\":1.5,"
				 "\"x\":1}",
				 b, sizeof b),
		  "trigger.x trigger.field trigger.offset_days");
	CHECK_STR(trigger_errors("{\"type\":\"schedule\",\"cron\":\"0 7 * * 1\"}",
				 b, sizeof b),
		  "");
	CHECK_STR(trigger_errors("{\"type\":\"schedule\",\"cron\":\"0 25 * * *\"}",
				 b, sizeof b),
		  "trigger.cron");
	CHECK_STR(trigger_errors("{\"type\":\"later\"}", b, sizeof b),
		  "trigger.type");
	CHECK_STR(trigger_errors("{}", b, sizeof b), "trigger.type");
}

static const char *cond_errors(const char *trigger, const char *c, char *buf,
			       size_t n)
{
	struct atr_err err = {0};
	json_t *t = J(trigger), *v = J(c);
	auto_check_conditions(v, t, &err);
	json_decref(t);
	json_decref(v);
	return fields_of(&err, buf, n);
}

TEST(automation_condition_rules)
{
	char b[512];
	const char *upd = "{\"type\":\"event\",\"entity\":\"ticket\","
			  "\"event\":\"updated\"}";
	const char *made = "{\"type\":\"event\",\"entity\":\"ticket\","
			   "\"event\":\"created\"}";
	CHECK_STR(cond_errors(upd,
			      "{\"all\":[{\"field\":\"status\",\"op\":"
			      "\"changed_to\",\"value\":\"closed\"},{\"any\":"
			      "[{\"field\":\"client_id.country\",\"op\":\"eq\","
			      "\"value\":\"RO\"},{\"field\":"
			      "\"assigned_to.department_ids\",\"op\":\"eq\","
			      "\"value\":3},{\"field\":\"custom_fields.sla\","
			      "\"op\":\"not_empty\"}]}]}",
			      b, sizeof b),
		  "");
	CHECK_STR(cond_errors(upd,
			      "{\"all\":[{\"field\":\"assigned_to.salary\","
			      "\"op\":\"eq\",\"value\":1},{\"field\":"
			      "\"client_id.owner_id.name\",\"op\":\"eq\","
			      "\"value\":1},{\"field\":\"status\",\"op\":"
			      "\"like\",\"value\":1},{\"field\":\"status\","
			      "\"op\":\"empty\",\"value\":1},{\"field\":"
			      "\"status\",\"op\":\"in\",\"value\":[]},"
			      "{\"field\":\"status\",\"op\":\"eq\"}]}",
			      b, sizeof b),
		  "conditions.all[0].field conditions.all[1].field "
		  "conditions.all[2].op conditions.all[3].value "
		  "conditions.all[4].value conditions.all[5].value");
	/* what changed exists only for updates */
	CHECK_STR(cond_errors(made,
			      "{\"any\":[{\"field\":\"status\",\"op\":"
			      "\"changed\"}]}",
			      b, sizeof b),
		  "conditions.any[0].op");
	/* four groups deep is one too many */
	CHECK_STR(cond_errors(made,
			      "{\"all\":[{\"any\":[{\"all\":[{\"any\":[{"
			      "\"field\":\"status\",\"op\":\"empty\"}]}]}]}]}",
			      b, sizeof b),
		  "conditions.all[0].any[0].all[0]");
	CHECK_STR(cond_errors(made, "{\"all\":[],\"any\":[]}", b, sizeof b),
		  "conditions");
	CHECK_STR(cond_errors("{\"type\":\"schedule\",\"cron\":\"* * * * *\"}",
			      "{\"all\":[]}", b, sizeof b),
		  "conditions");
}

/* Evaluates conditions c on record after (and before, or NULL). */
static int eval(const char *c, const char *after, const char *before)
{
	json_t *cv = J(c), *a = J(after), *bv = before ? J(before) : NULL;
	struct auto_subject s = {.entity = "lead", .after = a, .before = bv};
	json_t *trace = NULL;
	int rc = auto_cond_eval(&s, cv, &trace);
	CHECK(json_is_array(trace));
	json_decref(trace);
	json_decref(cv);
	json_decref(a);
	json_decref(bv);
	return rc;
}

TEST(automation_conditions_decide)
{
	const char *lead = "{\"id\":1,\"name\":\"Dana\",\"company\":\"ACME "
			   "Ltd\",\"status\":\"new\",\"value\":\"1250.00\","
			   "\"tags\":[\"vip\",\"eu\"],\"email\":null,"
			   "\"assigned_to\":7}";
	CHECK_EQ_INT(eval("{}", lead, NULL), 1);
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"status\",\"op\":\"eq\","
			  "\"value\":\"new\"}]}",
			  lead, NULL),
		     1);
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"status\",\"op\":\"ne\","
			  "\"value\":\"new\"}]}",
			  lead, NULL),
		     0);
	/* money compares as a number, not as text ("1250.00" > "999") */
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"value\",\"op\":\"gt\","
			  "\"value\":\"999\"}]}",
			  lead, NULL),
		     1);
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"value\",\"op\":\"lte\","
			  "\"value\":1250}]}",
			  lead, NULL),
		     1);
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"company\",\"op\":"
			  "\"contains\",\"value\":\"acme\"}]}",
			  lead, NULL),
		     1);
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"tags\",\"op\":\"contains\","
			  "\"value\":\"vip\"},{\"field\":\"tags\",\"op\":"
			  "\"not_contains\",\"value\":\"us\"}]}",
			  lead, NULL),
		     1);
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"status\",\"op\":\"in\","
			  "\"value\":[\"won\",\"new\"]},{\"field\":"
			  "\"assigned_to\",\"op\":\"not_in\",\"value\":[1,2]}]}",
			  lead, NULL),
		     1);
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"email\",\"op\":\"empty\"},"
			  "{\"field\":\"name\",\"op\":\"not_empty\"},{\"field\":"
			  "\"custom_fields.x\",\"op\":\"empty\"}]}",
			  lead, NULL),
		     1);
	/* an empty value is never greater or equal to anything */
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"email\",\"op\":\"gte\","
			  "\"value\":\"\"}]}",
			  lead, NULL),
		     0);
	/* any: one is enough; all inside any */
	CHECK_EQ_INT(eval("{\"any\":[{\"field\":\"status\",\"op\":\"eq\","
			  "\"value\":\"won\"},{\"all\":[{\"field\":\"tags\","
			  "\"op\":\"eq\",\"value\":\"eu\"},{\"field\":\"value\","
			  "\"op\":\"lt\",\"value\":\"2000\"}]}]}",
			  lead, NULL),
		     1);
	/* what changed */
	const char *before = "{\"id\":1,\"status\":\"contacted\"}";
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"status\",\"op\":"
			  "\"changed_from\",\"value\":\"contacted\"},{\"field\":"
			  "\"status\",\"op\":\"changed_to\",\"value\":\"new\"},"
			  "{\"field\":\"status\",\"op\":\"changed\"}]}",
			  lead, before),
		     1);
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"name\",\"op\":\"changed\"}]}",
			  "{\"name\":\"A\"}", "{\"name\":\"A\"}"),
		     0);
	/* no before (a created record): nothing changed */
	CHECK_EQ_INT(eval("{\"all\":[{\"field\":\"status\",\"op\":"
			  "\"changed_to\",\"value\":\"new\"}]}",
			  lead, NULL),
		     0);
}

TEST(automation_conditions_trace)
{
	json_t *c = J("{\"all\":[{\"field\":\"status\",\"op\":\"eq\",\"value\":"
		      "\"won\"},{\"field\":\"name\",\"op\":\"empty\"}]}");
	json_t *rec = J("{\"status\":\"new\",\"name\":\"Dana\"}");
	struct auto_subject s = {.entity = "lead", .after = rec};
	json_t *trace = NULL;
	CHECK_EQ_INT(auto_cond_eval(&s, c, &trace), 0);
	/* the group, holding the first comparison only (all stops at a
	 * false one) with what it saw */
	json_t *g = json_array_get(trace, 0);
	CHECK_STR(json_string_value(json_object_get(g, "group")), "all");
	json_t *items = json_object_get(g, "items");
	CHECK_EQ_INT(json_array_size(items), 1);
	json_t *first = json_array_get(items, 0);
	CHECK_STR(json_string_value(json_object_get(first, "actual")), "new");
	CHECK(json_is_false(json_object_get(first, "result")));
	json_decref(trace);
	json_decref(c);
	json_decref(rec);
}
