/* cron.c — `atrium cron`: run the scheduled tasks that are due, once. */
#include "atrium.h"

#include <getopt.h>

#include "cmd/cmd.h"
#include "core/secret.h"
#include "jobs/jobs.h"

static const char usage[] =
	"usage: atrium cron [--db URL] [--config FILE]\n"
	"\n"
	"Runs the scheduled tasks that are due (housekeeping, ...) once and\n"
	"exits, for operators who drive the scheduler from system cron:\n"
	"    * * * * * atrium cron --config /etc/atrium.conf\n"
	"It takes the scheduler's database lease for the run, so it does\n"
	"nothing while an `atrium serve` node runs the scheduler (it says\n"
	"which). Jobs (email, ...) are run by `atrium serve`, not here.\n"
	"Exit status: 0 done (or nothing to do), 1 a task failed, 2 a\n"
	"database error.\n";

/* atrium cron: see usage; the exit status is the command's. */
int cmd_cron(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},
		{"config", required_argument, 0, 'c'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct cmd_settings s = {0};
	int o, idx = 0;
	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (o == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (o == '?' || !cmd_setting(&s, opts[idx].name, optarg))
			die("cron: bad option (see atrium cron --help)");
	}
	if (optind < argc)
		die("cron: unexpected argument '%s'", argv[optind]);
	struct app app = {0};
	cmd_open(&app, &s);
	cmd_require_schema(&app);
	struct atr_err err = {0};
	/* Tasks that touch secrets need the key; the others run without. */
	bool key = secret_key_load(&app.cfg, &err) == 0;
	if (!key)
		fprintf(stderr, "cron: no master key (%s); a task that needs "
				"one will fail\n",
			err.msg);
	atr_err_clear(&err);
	json_t *ran = json_array();
	char holder[160] = "";
	int rc = sched_run_once(&app, "cron", ran, holder, sizeof holder, &err);
	int status = 0;
	if (rc < 0) {
		fprintf(stderr, "atrium: cron: %s\n", err.msg);
		status = 2;
	} else if (rc == 0) {
		printf("cron: the scheduler runs on %s; nothing to do\n",
		       holder);
	} else {
		size_t i;
		json_t *t;
		json_array_foreach(ran, i, t)
		{
			const char *name = json_string_value(
				json_object_get(t, "task"));
			long long ms = json_integer_value(
				json_object_get(t, "duration_ms"));
			if (json_is_true(json_object_get(t, "ok"))) {
				printf("cron: %s ran in %lld ms\n", name, ms);
			} else {
				printf("cron: %s failed: %s\n", name,
				       json_string_value(
					       json_object_get(t, "error")));
				status = 1;
			}
		}
		if (json_array_size(ran) == 0)
			printf("cron: no task was due\n");
	}
	json_decref(ran);
	cmd_close(&app);
	if (key)
		secret_key_unload();
	return status;
}
