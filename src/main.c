/* main.c — `atrium <command>`: dispatch through the commands[] table. */
#include "atrium.h"

#include "cmd/cmd.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"serve", cmd_serve, "run the web UI, the API and the workers"},
	{"migrate", cmd_migrate, "apply pending database migrations"},
	{"admin", cmd_admin, "admin create: add an administrator"},
	{"staff", cmd_staff, "staff add: add a staff member"},
	{"cron", cmd_cron, "run the scheduled tasks that are due, once"},
	{"pipe", cmd_pipe, "an inbound email on stdin into a ticket"},
	{"audit", cmd_audit, "audit verify: check the activity log's chain"},
	{"logs", cmd_logs, "logs archive|list-archives|verify: log retention"},
	{"events", cmd_events, "events export: the events as NDJSON (MongoDB)"},
	{"org", cmd_org, "org create|list|suspend|resume|seats: organisations"},
	{"settings", cmd_settings, "settings list|get|set: an organisation's settings"},
	{"notify", cmd_notify, "a notification for a member or the administrators"},
	{"user", cmd_user, "user reset-2fa: remove a member's 2FA (lost device)"},
	{"backup", cmd_backup, "backup --out FILE | backup verify FILE: backups"},
	{"restore", cmd_restore, "restore FILE: a backup into an empty database"},
	{"routes", cmd_routes, "print the route table as JSON"},
	{"version", cmd_version, "print the version"},
};

static void usage(FILE *out)
{
	fputs("usage: atrium <command> [options]\n\ncommands:\n", out);
	for (size_t i = 0; i < ATR_ARRAY_LEN(commands); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
	fputs("\n`atrium <command> --help` describes each command.\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < ATR_ARRAY_LEN(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "atrium: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 1;
}
