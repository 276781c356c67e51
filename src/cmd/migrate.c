/* migrate.c — `atrium migrate`: bring the schema up to date. */
#include "atrium.h"

#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "core/activity.h"
#include "core/secret.h"
#include "db/db.h"
#include "db/migrate.h"

static const char usage[] =
	"usage: atrium migrate [--db URL] [--config FILE]\n"
	"\n"
	"Applies the migrations this binary carries that the database has\n"
	"not seen, each in its own transaction. Safe to run again and from\n"
	"several nodes at once. Creates the master key file (mode 0600)\n"
	"when neither ATRIUM_MASTER_KEY nor the file exists, and seals an\n"
	"activity log written before the keyed chain. Creates the directory\n"
	"of the SQLite file and of the key file (./var by default) when\n"
	"missing.\n";

/* Creates the directory that holds path (and its parents), mode 0700,
 * when missing: in a fresh checkout ./var does not exist yet. */
static void make_parent_dir(const char *path)
{
	char dir[4096];
	if (!path || atr_strlcpy(dir, path, sizeof dir) >= sizeof dir)
		return;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = 0;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			die("cannot create directory '%s': %s", dir,
			    strerror(errno));
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		die("cannot create directory '%s': %s", dir, strerror(errno));
}

/* The directories of the SQLite file and of the master key file. */
static void make_dirs(const struct cmd_settings *s)
{
	struct config cfg;
	struct atr_err err = {0};
	if (config_load(&cfg, s->config, s->ov, s->nov, &err) < 0)
		die("%s", err.msg);
	if (!strncmp(cfg.db, "sqlite:", 7) && strcmp(cfg.db + 7, ":memory:"))
		make_parent_dir(cfg.db + 7);
	if (!getenv("ATRIUM_MASTER_KEY") && cfg.master_key_file)
		make_parent_dir(cfg.master_key_file);
	config_free(&cfg);
}

int cmd_migrate(int argc, char **argv)
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
			die("migrate: bad option (see atrium migrate --help)");
	}
	if (optind < argc)
		die("migrate: unexpected argument '%s'", argv[optind]);
	make_dirs(&s);
	struct app app = {0};
	cmd_open(&app, &s);
	struct atr_err err = {0};
	/* A database set up with a key is checked against it before any
	 * migration runs (a migration may read or write secrets with it),
	 * and never gets a new key made for it: that key could not read its
	 * secrets. Only a database without one may create the key file. */
	int created = 0;
	if (cmd_key_stored(&app)) {
		cmd_load_key(&app, "migrate");
	} else if ((created = secret_key_ensure(&app.cfg, &err)) < 0) {
		die("%s", err.msg);
	}
	if (created)
		printf("migrate: created the master key file %s (mode 0600); "
		       "back it up now, separately from the database: "
		       "without it the stored secrets cannot be read\n",
		       app.cfg.master_key_file);
	int applied = 0;
	if (migrate_run(app.db, &applied, &err) < 0)
		die("%s", err.msg);
	cmd_load_key(&app, "migrate");
	secret_key_unload();
	printf("migrate: %d migration%s applied; %s schema is current\n",
	       applied, applied == 1 ? "" : "s", db_dialect_name(app.db));
	/* An activity log written before the keyed chain is sealed now, with
	 * one keyed row per organisation (core/activity.h). */
	if (secret_key_load(&app.cfg, &err) < 0)
		die("%s", err.msg);
	int sealed = activity_seal_legacy(app.db, &err);
	secret_key_unload();
	if (sealed < 0)
		die("%s", err.msg);
	if (sealed)
		printf("migrate: sealed the activity log of %d "
		       "organisation%s with the keyed chain\n",
		       sealed, sealed == 1 ? "" : "s");
	cmd_close(&app);
	return 0;
}
