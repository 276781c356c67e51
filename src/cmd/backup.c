/* backup.c — `atrium backup --out FILE`, `atrium backup verify FILE` and
 * `atrium restore FILE` (the engine is src/admin/backup_engine.c). */
#include "atrium.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <unistd.h>

#include "admin/backup_int.h"
#include "cmd/cmd.h"
#include "core/activity.h"
#include "core/secret.h"
#include "db/db.h"

static const char usage[] =
	"usage: atrium backup --out FILE [--db URL] [--config FILE]\n"
	"       atrium backup verify FILE [--into URL] [--no-chain] "
	"[--config FILE]\n"
	"       atrium restore FILE [--db URL] [--config FILE]\n"
	"\n"
	"backup   writes a consistent backup of the whole database to FILE\n"
	"         (a new file: never replaced) while the server runs: SQLite\n"
	"         through VACUUM INTO, PostgreSQL through pg_dump --format=\n"
	"         custom. FILE is a tar holding manifest.json (versions,\n"
	"         schema, time, node, SHA-256) and the database. Recorded in\n"
	"         the Backups list and the activity log (actor cli).\n"
	"verify   checks FILE: the checksums, SQLite's integrity_check (or\n"
	"         pg_restore --list), and the activity log's chain on a\n"
	"         restored copy (needs the master key; a PostgreSQL backup is\n"
	"         restored into --into URL, an empty scratch database, or the\n"
	"         chain is not checked). Exit 0 good, 1 damaged, 2 error.\n"
	"restore  loads FILE into the database of --db, which must be empty\n"
	"         and of the backup's kind; refuses a backup of a newer\n"
	"         schema than this binary knows; applies the migrations an\n"
	"         older one lacks.\n"
	"\n"
	"The master key is never in a backup: back it up separately.\n";

/* Parses the common options; returns the positional argument (or NULL).
 * out/into/no_chain are set when allowed (non-NULL). */
static const char *parse(int argc, char **argv, const char *who,
			 struct cmd_settings *s, const char **out,
			 const char **into, bool *no_chain)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},
		{"config", required_argument, 0, 'c'},
		{"out", required_argument, 0, 'o'},
		{"into", required_argument, 0, 'i'},
		{"no-chain", no_argument, 0, 'n'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int o, idx = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (o == 'h') {
			fputs(usage, stdout);
			exit(0);
		}
		if (o == 'o' && out)
			*out = optarg;
		else if (o == 'i' && into)
			*into = optarg;
		else if (o == 'n' && no_chain)
			*no_chain = true;
		else if (o == '?' || o == 'o' || o == 'i' || o == 'n' ||
			 !cmd_setting(s, opts[idx].name, optarg))
			die("%s: bad option (see atrium backup --help)", who);
	}
	if (optind < argc - 1)
		die("%s: unexpected argument '%s'", who, argv[optind + 1]);
	return optind < argc ? argv[optind] : NULL;
}

/* The absolute path of a file that does not exist yet (its directory
 * resolved), for the record. */
static void absolute(const char *path, char out[PATH_MAX])
{
	char dir[PATH_MAX];
	atr_strlcpy(dir, path, sizeof dir);
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : path;
	if (slash)
		*slash = 0;
	char real[PATH_MAX];
	if (!realpath(slash ? (dir[0] ? dir : "/") : ".", real)) {
		atr_strlcpy(out, path, PATH_MAX);
		return;
	}
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s",
			     strcmp(real, "/") ? real : "", base) >= PATH_MAX)
		die("backup: the path '%s' is too long", path);
}

static int do_backup(int argc, char **argv)
{
	struct cmd_settings s = {0};
	const char *out = NULL;
	if (parse(argc, argv, "backup", &s, &out, NULL, NULL))
		die("backup: unexpected argument (see atrium backup --help)");
	if (!out)
		die("backup: --out FILE is required");
	if (access(out, F_OK) == 0)
		die("backup: '%s' exists: a backup never replaces a file", out);
	char path[PATH_MAX];
	absolute(out, path);
	struct app app = {0};
	cmd_open(&app, &s);
	cmd_require_schema(&app);
	cmd_load_key(&app, "backup");
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app.db, &err);
	if (!c)
		die("backup: %s", err.msg);
	int64_t org = bk_operator_org(c), id = 0;
	struct bk_new_run n = {.org = org, .kind = "manual", .via = "cli"};
	if (org <= 0 || db_begin(c) < 0 || bk_run_insert(c, &n, &id) < 0 ||
	    db_commit(c) < 0)
		die("backup: cannot record the backup: %s", db_errmsg(c));
	db_release(c);
	struct backup_info info;
	int rc = backup_make(app.db, app.cfg.db, path, NULL, &info, &err);
	c = db_acquire(app.db, &err);
	if (!c || bk_run_finish(c, id, org, "cli", rc == 0 ? &info : NULL,
				err.msg) < 0)
		fprintf(stderr, "atrium: backup: cannot record the outcome: %s\n",
			c ? db_errmsg(c) : err.msg);
	if (c)
		db_release(c);
	cmd_close(&app);
	secret_key_unload();
	if (rc < 0) {
		fprintf(stderr, "atrium: backup: %s\n", err.msg);
		return 1;
	}
	printf("backup: wrote %s (%llu bytes, sha256 %s, schema %s)\n",
	       info.path, (unsigned long long)info.bytes, info.sha256,
	       info.schema);
	printf("backup: reminder: %s\n", BACKUP_KEY_REMINDER);
	return 0;
}

static int do_verify(int argc, char **argv)
{
	struct cmd_settings s = {0};
	const char *into = NULL;
	bool no_chain = false;
	const char *file =
		parse(argc, argv, "backup verify", &s, NULL, &into, &no_chain);
	if (!file)
		die("backup verify: which file? (atrium backup verify FILE)");
	struct config cfg;
	struct atr_err err = {0};
	if (config_load(&cfg, s.config, s.ov, s.nov, &err) < 0)
		die("%s", err.msg);
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	int rc = backup_verify(&cfg, file, into, !no_chain, stdout, &err);
	config_free(&cfg);
	if (rc < 0) {
		fprintf(stderr, "atrium: backup verify: %s\n", err.msg);
		return 2;
	}
	if (rc > 0)
		fprintf(stderr, "atrium: backup verify: '%s' is damaged\n",
			file);
	else
		printf("backup verify: %s is good\n", file);
	return rc;
}

int cmd_backup(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return do_verify(argc - 1, argv + 1);
	return do_backup(argc, argv);
}

int cmd_restore(int argc, char **argv)
{
	struct cmd_settings s = {0};
	const char *file = parse(argc, argv, "restore", &s, NULL, NULL, NULL);
	if (!file)
		die("restore: which file? (atrium restore FILE --db URL)");
	struct config cfg;
	struct atr_err err = {0};
	if (config_load(&cfg, s.config, s.ov, s.nov, &err) < 0)
		die("%s", err.msg);
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	int rc = backup_restore(&cfg, file, cfg.db, stdout, &err);
	config_free(&cfg);
	if (rc < 0) {
		fprintf(stderr, "atrium: restore: %s\n", err.msg);
		return 1;
	}
	return 0;
}
