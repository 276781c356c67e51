/* cmd.h — subcommands of the `atrium` binary.
 *
 * Adding a subcommand (the git recipe): write src/cmd/<name>.c with
 * `int cmd_<name>(int argc, char **argv)` that handles --help, declare it
 * here, and add one row to commands[] in src/main.c.
 *
 * Every subcommand that touches the database accepts --db URL and
 * --config FILE (and the ATRIUM_* environment), through cmd_open.
 */
#ifndef ATR_CMD_H
#define ATR_CMD_H

#include "atrium.h"

#include "core/app.h"
#include "core/config.h"

int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_staff(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_routes(int argc, char **argv);
int cmd_cron(int argc, char **argv);
int cmd_pipe(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_logs(int argc, char **argv);
/* `atrium logs verify FILE` (also `atrium audit verify --archive FILE`) on
 * an open app with the master key loaded: 0 intact, 1 not, 2 an error. */
struct app;
int cmd_logs_verify(struct app *app, const char *file, const char *checkpoint);
int cmd_settings(int argc, char **argv);
int cmd_notify(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* Adds a member to org inside the caller's transaction, as `atrium admin
 * create` and `atrium staff add` do: the seat check, the row, its
 * activity row (actor "cli"), and either hash's history entry (hash: an
 * argon2 hash) or, when hash is NULL, a set-password link valid 72 hours
 * whose token goes to tok (TOKEN_LEN + 1 bytes, auth/token.h). An email
 * whose person has an account in another organisation adds a membership
 * of org to it (auth/membership.h): no password, no link (tok ""), and
 * *home_org names their organisation (0 otherwise). 0 with the id in *id,
 * or -1 with err (a field error for an email already in org; 409 when no
 * seat is free). */
struct db_conn;
int cmd_member_add(struct db_conn *c, int64_t org, const char *email,
		   const char *name, bool admin, const char *hash, int64_t *id,
		   char *tok, int64_t *home_org, struct atr_err *err);
int cmd_org(int argc, char **argv);

/* Collected command-line settings: --config and config overrides. */
struct cmd_settings {
	const char *config;
	struct config_override ov[8];
	int nov;
};

/* Records --db/--listen/--config style options; returns true when the
 * option was one of them. */
bool cmd_setting(struct cmd_settings *s, const char *key, const char *val);
/* Loads the configuration, opens the database (pool of db_pool) and
 * initialises the kernel (cmd_kernel_init); dies with a one-line reason
 * on failure. cmd_close undoes it all. */
void cmd_open(struct app *app, const struct cmd_settings *s);
/* The same; with server, statements and waits for a pooled connection
 * are bounded too (db_statement_timeout_ms, db_acquire_timeout_ms). */
void cmd_open_for(struct app *app, const struct cmd_settings *s,
		  bool server);
void cmd_close(struct app *app);
/* Hands the module table to the kernel: permission rows, settings rows,
 * every module's init, the route table. Dies on a malformed table. */
void cmd_kernel_init(struct app *app);
void cmd_kernel_fini(struct app *app);
/* Fails (dies) when migrations are pending. */
void cmd_require_schema(struct app *app);
/* PostgreSQL's row-level security (migrations/pg/0057): the role the
 * server's statements run as. cmd_app_role_state: 0 SQLite, 1 the role
 * exists and this login may use it, 2 it exists but this login is not a
 * member, 3 it does not exist, -1 unreachable. cmd_use_app_role makes
 * the pool use it when it can, and logs one line why not otherwise. */
#define CMD_APP_ROLE "atrium_app"
int cmd_app_role_state(struct app *app);
void cmd_use_app_role(struct app *app);
/* 1 when the database stores a master key check value (it was set up
 * with a key), 0 otherwise. Dies when the database cannot be reached. */
int cmd_key_stored(struct app *app);
/* Loads the master key and makes sure it is the one the database was set
 * up with (the key check value of migration 0007, written now when there
 * is none). Dies with one line, prefixed by who, otherwise. */
void cmd_load_key(struct app *app, const char *who);
/* The preamble of a subcommand that reads or changes an organisation's
 * data (atrium org, atrium settings): the configuration and the database
 * (cmd_open), the schema current, with change the master key (an activity
 * row's MAC needs it; loaded before a connection is held, it takes one
 * itself), then one connection, which the caller uses. cmd_conn_close
 * undoes all of it (change as given to open). Dies with one line, prefixed
 * by who, on a failure. */
struct db_conn *cmd_conn_open(struct app *app, const struct cmd_settings *s,
			      const char *who, bool change);
void cmd_conn_close(struct app *app, struct db_conn *c, bool change);
struct activity;
/* Writes the activity row a in the open transaction and commits; exits 2
 * ("atrium: <who>: database error: ...") when either fails. */
void cmd_record_commit(struct db_conn *c, const struct activity *a,
		       const char *who);
/* Reads a password from stdin (one line, newline stripped). Caller frees
 * with sodium_free-compatible free: returns malloc'd memory. */
char *cmd_read_password(void);

#endif
