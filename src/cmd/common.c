/* common.c — configuration and database set-up shared by subcommands. */
#include "atrium.h"

#include <sodium.h>

#include "auth/perm.h"
#include "cmd/cmd.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "db/migrate.h"
#include "http/router.h"

bool cmd_setting(struct cmd_settings *s, const char *key, const char *val)
{
	if (!strcmp(key, "config")) {
		s->config = val;
		return true;
	}
	if (!config_known(key))
		return false;
	if (s->nov >= (int)ATR_ARRAY_LEN(s->ov))
		die("too many options");
	s->ov[s->nov].key = key;
	s->ov[s->nov].value = val;
	s->nov++;
	return true;
}

void cmd_kernel_init(struct app *app)
{
	struct atr_err err = {0};
	app->modules = atrium_modules;
	perm_init(app->modules);
	settings_init(app->modules);
	if (modules_init(app, &err) < 0)
		die("%s", err.msg);
	routes_build(app);
}

void cmd_kernel_fini(struct app *app)
{
	routes_free(app);
	modules_fini(app);
	settings_fini();
	app->modules = NULL;
}

void cmd_open(struct app *app, const struct cmd_settings *s)
{
	struct atr_err err = {0};
	if (config_load(&app->cfg, s->config, s->ov, s->nov, &err) < 0)
		die("%s", err.msg);
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	config_auto_size(&app->cfg, strncmp(app->cfg.db, "postgres", 8) == 0);
	if (db_open(app->cfg.db, app->cfg.db_pool, &app->db, &err) < 0)
		die("%s", err.msg);
	cmd_kernel_init(app);
}

void cmd_close(struct app *app)
{
	cmd_kernel_fini(app);
	db_close(app->db);
	app->db = NULL;
	config_free(&app->cfg);
}

void cmd_require_schema(struct app *app)
{
	struct atr_err err = {0};
	int p = migrate_pending(app->db, &err);
	if (p < 0)
		die("%s", err.msg);
	if (p > 0)
		die("the database schema is not current: run `atrium migrate "
		    "--db %s` first",
		    app->cfg.db);
}

char *cmd_read_password(void)
{
	size_t cap = 2048;
	char *buf = xmalloc(cap);
	if (!fgets(buf, (int)cap, stdin)) {
		free(buf);
		die("no password on standard input");
	}
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	return buf;
}
