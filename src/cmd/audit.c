/* audit.c — `atrium audit verify`: check the activity log's hash chains. */
#include "atrium.h"

#include <getopt.h>

#include "cmd/cmd.h"
#include "core/activity.h"

static const char usage[] =
	"usage: atrium audit verify [--db URL] [--config FILE]\n"
	"\n"
	"Recomputes the hash chain of every organisation's activity log.\n"
	"Exit status: 0 intact, 1 broken (the first broken row is named),\n"
	"2 on a database error.\n";

int cmd_audit(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "verify") != 0)
		die("audit: unknown subcommand '%s' (see atrium audit --help)",
		    argv[1]);
	argc--;
	argv++;
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
			die("audit verify: bad option (see atrium audit "
			    "--help)");
	}
	struct app app = {0};
	cmd_open(&app, &s);
	cmd_require_schema(&app);
	struct atr_err err = {0};
	int rc = activity_verify(app.db, stdout, &err);
	cmd_close(&app);
	if (rc < 0) {
		fprintf(stderr, "atrium: audit verify: %s\n", err.msg);
		return 2;
	}
	if (rc > 0)
		fprintf(stderr, "atrium: audit verify: the activity log has "
				"been tampered with\n");
	return rc;
}
