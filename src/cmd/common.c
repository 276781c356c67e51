/* common.c — configuration and database set-up shared by subcommands. */
#include "atrium.h"

#include <sodium.h>

#include "auth/perm.h"
#include "cmd/cmd.h"
#include "core/activity.h"
#include "core/log.h"
#include "core/module.h"
#include "core/settings.h"
#include "core/secret.h"
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
	cmd_open_for(app, s, false);
}

void cmd_open_for(struct app *app, const struct cmd_settings *s,
		  bool server)
{
	struct atr_err err = {0};
	if (config_load(&app->cfg, s->config, s->ov, s->nov, &err) < 0)
		die("%s", err.msg);
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	config_auto_size(&app->cfg, strncmp(app->cfg.db, "postgres", 8) == 0);
	/* Every command gives up on a database that does not answer; only
	 * the server bounds statements (a migration may run long). */
	struct db_limits lim = {
		.connect_timeout_s = app->cfg.db_connect_timeout_seconds,
		.statement_timeout_ms =
			server ? app->cfg.db_statement_timeout_ms : 0,
		.acquire_timeout_ms =
			server ? app->cfg.db_acquire_timeout_ms : 0,
	};
	if (db_open_limits(app->cfg.db, app->cfg.db_pool, &lim, &app->db,
			   &err) < 0)
		die("%s", err.msg);
	/* Only the server has concurrent writers to group. */
	if (server)
		db_set_group_commit(app->db, app->cfg.sqlite_group_commit, 0);
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

int cmd_app_role_state(struct app *app)
{
	if (db_dialect(app->db) != DB_PG)
		return 0;
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c)
		return -1;
	/* pg_has_role errors on a role that does not exist: CASE asks
	 * only when it does. */
	struct db_stmt *st = db_prepare(
	    c, "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE "
	       "rolname = '" CMD_APP_ROLE
	       "') THEN CASE WHEN pg_has_role('" CMD_APP_ROLE
	       "', 'MEMBER') THEN 1 ELSE 2 END ELSE 3 END");
	int rc = st && db_step(st) == 1 ? (int)db_col_int(st, 0) : -1;
	if (st)
		db_reset(st);
	db_release(c);
	return rc;
}

void cmd_use_app_role(struct app *app)
{
	switch (cmd_app_role_state(app)) {
	case 0: /* SQLite */
		return;
	case 1:
		if (db_set_role(app->db, CMD_APP_ROLE) < 0)
			die("bad role name");
		return;
	case 2:
		atr_log("row-level security is off: this login role is not a "
			"member of " CMD_APP_ROLE " (GRANT " CMD_APP_ROLE
			" TO the login role; docs/operations-guide.md)");
		return;
	case 3:
		atr_log("row-level security is off: the role " CMD_APP_ROLE
			" does not exist (docs/operations-guide.md, "
			"\"Row-level security\", says how to add it)");
		return;
	default:
		die("cannot read the database's roles: %s", "unavailable");
	}
}

/* Reads the stored key check value into mac: 1 found, 0 none (no row, or
 * no key_check table before migration 0007), -1 unreachable. */
static int stored_check(struct db_conn *c, char mac[SECRET_CHECK_LEN + 1])
{
	struct db_stmt *st =
		db_prepare(c, "SELECT mac FROM key_check WHERE id = 1");
	if (!st)
		return db_err_class(c) == DB_ERR_UNAVAILABLE ? -1 : 0;
	int rc = db_step(st);
	if (rc == 1)
		atr_strlcpy(mac, db_col_text(st, 0), SECRET_CHECK_LEN + 1);
	db_reset(st);
	return rc;
}

int cmd_key_stored(struct app *app)
{
	struct atr_err err = {0};
	char mac[SECRET_CHECK_LEN + 1];
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c)
		die("%s", err.msg);
	int rc = stored_check(c, mac);
	db_release(c);
	return rc < 0 ? 0 : rc;
}

void cmd_load_key(struct app *app, const char *who)
{
	struct atr_err err = {0};
	char mine[SECRET_CHECK_LEN + 1], theirs[SECRET_CHECK_LEN + 1];
	if (secret_key_load(&app->cfg, &err) < 0)
		die("%s: %s", who, err.msg);
	secret_key_check(mine);
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c)
		die("%s: %s", who, err.msg);
	int rc = stored_check(c, theirs);
	if (rc == 0) {
		/* The first start with a key: remember it. Another node may
		 * do the same at once; whichever row wins is read back. */
		char now[ATR_TIME_LEN];
		atr_now_iso(now);
		struct db_stmt *st = db_prepare(
			c, "INSERT INTO key_check (id, mac, created_at) "
			   "VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING");
		if (st) {
			db_bind_text(st, 1, mine);
			db_bind_text(st, 2, now);
			rc = db_step(st);
			db_reset(st);
		}
		if (!st || rc < 0)
			fprintf(stderr,
				"atrium: %s: cannot store the master key check "
				"value yet (%s); the next start tries again\n",
				who, db_errmsg(c));
		rc = stored_check(c, theirs);
	}
	db_release(c);
	if (rc < 0)
		die("%s: cannot read the master key check value", who);
	if (rc == 1 && sodium_memcmp(mine, theirs, SECRET_CHECK_LEN) != 0)
		die("%s: the master key does not match this database (it was "
		    "set up with another key); use the key it was set up "
		    "with, from ATRIUM_MASTER_KEY or %s",
		    who, app->cfg.master_key_file ? app->cfg.master_key_file
						  : "master_key_file");
}

struct db_conn *cmd_conn_open(struct app *app, const struct cmd_settings *s,
			      const char *who, bool change)
{
	cmd_open(app, s);
	cmd_require_schema(app);
	if (change)
		cmd_load_key(app, who);
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c)
		die("%s: %s", who, err.msg);
	return c;
}

void cmd_conn_close(struct app *app, struct db_conn *c, bool change)
{
	db_release(c);
	if (change)
		secret_key_unload();
	cmd_close(app);
}

void cmd_record_commit(struct db_conn *c, const struct activity *a,
		       const char *who)
{
	if (activity_record(c, a) < 0 || db_commit(c) < 0) {
		fprintf(stderr, "atrium: %s: database error: %s\n", who,
			db_errmsg(c));
		exit(2);
	}
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
