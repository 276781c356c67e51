/* fuzz_automation.c — libFuzzer harness for an automation's trigger and
 * conditions (src/automation/auto_check.c) and their evaluation
 * (auto_cond.c), over the binary's real entity registry.
 *
 * The input is JSON text: {"trigger": ..., "conditions": ...} or anything
 * else. The checks must never crash and name every problem by a path that
 * starts with "trigger" or "conditions"; conditions they accept are then
 * evaluated on a fixed record (before and after), which must answer true
 * or false with a trace. Paths into related records need a database and
 * read as empty here.
 *
 *   make build/fuzz/fuzz_automation
 */
#include "atrium.h"

#include "automation/automation_int.h"
#include "cmd/cmd.h"
#include "core/app.h"

static struct app app;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!app.modules)
		cmd_kernel_init(&app);
	if (size > 16384)
		return 0;
	json_t *v = json_loadb((const char *)data, size, 0, NULL);
	if (!json_is_object(v)) {
		json_decref(v);
		return 0;
	}
	json_t *t = json_object_get(v, "trigger");
	json_t *c = json_object_get(v, "conditions");
	struct atr_err err = {0};
	if (json_is_object(t))
		auto_check_trigger(t, &err);
	for (int i = 0; i < err.nfields; i++)
		ATR_ASSERT(!strncmp(err.fields[i].field, "trigger", 7));
	int nt = err.nfields;
	if (json_is_object(t) && json_is_object(c))
		auto_check_conditions(c, t, &err);
	for (int i = nt; i < err.nfields; i++)
		ATR_ASSERT(!strncmp(err.fields[i].field, "conditions", 10));
	if (json_is_object(t) && json_is_object(c) && !err.nfields &&
	    err.kind == ATR_E_NONE) {
		json_t *after = json_pack(
			"{s:I,s:s,s:s,s:s,s:[s,s],s:n,s:I}", "id", 1, "name",
			"Dana", "status", "new", "value", "1250.00", "tags",
			"vip", "eu", "email", "assigned_to", 7);
		json_t *before = json_pack("{s:I,s:s}", "id", 1, "status",
					   "contacted");
		const char *ent = json_string_value(json_object_get(t, "entity"));
		struct auto_subject s = {.entity = ent ? ent : "lead",
					 .after = after, .before = before};
		json_t *trace = NULL;
		int rc = auto_cond_eval(&s, c, &trace);
		ATR_ASSERT(rc == 0 || rc == 1);
		ATR_ASSERT(json_is_array(trace));
		json_decref(trace);
		json_decref(after);
		json_decref(before);
	}
	json_decref(v);
	return 0;
}
