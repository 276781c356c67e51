/* admin.c — `atrium admin create` and `atrium staff add`.
 *
 * Both add a staff member from the command line (admin create with the
 * admin flag). With --password-stdin the password is read from standard
 * input; without it a single-use set-password link valid for 72 hours is
 * printed. The change is written to the activity log with actor "cli".
 * `atrium org create --admin-email` adds an organisation's first
 * administrator the same way (cmd_member_add).
 *
 * An email whose person has an account in another organisation adds a
 * membership of this one to that account, as POST /api/v1/staff does
 * (auth/membership.h): no new password, no link; they sign in with their
 * own. The command says so (it runs on the server, for the operator, so
 * there is nobody to hide the address's existence from).
 */
#include "atrium.h"

#include <getopt.h>
#include <sodium.h>

#include "auth/membership.h"
#include "auth/org.h"
#include "auth/password.h"
#include "auth/staff_store.h"
#include "auth/token.h"
#include "cmd/cmd.h"
#include "core/activity.h"
#include "core/secret.h"
#include "db/db.h"
#include "core/validate.h"

static const char admin_usage[] =
    "usage: atrium admin create --email EMAIL --name NAME [--org ID]\n"
    "                           [--password-stdin] [--db URL] [--config FILE]\n"
    "\n"
    "Adds an administrator to organisation ID (default 1, the operator).\n"
    "Without --password-stdin, prints a one-time link (valid 72 hours)\n"
    "where they set their password. A person who has an account in another\n"
    "organisation becomes an administrator of this one too and signs in\n"
    "with their own password.\n";

static const char staff_usage[] =
    "usage: atrium staff add --email EMAIL --name NAME [--admin] [--org ID]\n"
    "                        [--password-stdin] [--db URL] [--config FILE]\n"
    "\n"
    "Adds a staff member (an administrator with --admin) to organisation ID\n"
    "(default 1, the operator). Without --password-stdin, prints a one-time\n"
    "link (valid 72 hours) where they set their password. A person who has\n"
    "an account in another organisation becomes a member of this one too\n"
    "and signs in with their own password (no link, --password-stdin not\n"
    "applied).\n";

int cmd_member_add(struct db_conn *c, int64_t org, const char *email,
		   const char *name, bool admin, const char *hash, int64_t *id,
		   char *tok, int64_t *home_org, struct atr_err *err)
{
	char norm[EMAIL_MAX + 1];
	staff_store_email_norm(email, norm, sizeof norm);
	struct staff_row home = {0};
	int known = staff_store_load(c, "email", norm, 0, &home);
	if (known < 0)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	bool link = known && home.org_id != org;
	*home_org = link ? home.org_id : 0;
	tok[0] = 0;
	if (staff_store_seats_free(c, org, err) < 0 ||
	    (link ? membership_insert(c, org, &home, admin, id, err)
		  : staff_store_insert(c, org, email, name, admin, hash, id,
				       err)) < 0)
		return -1;
	json_t *diff = json_pack("{s:{s:s},s:{s:s},s:{s:b}}", "email", "to",
				 link ? home.email : email, "name", "to",
				 link ? home.name : name, "admin", "to", admin);
	if (link)
		json_object_set_new(
		    diff, "home_org_id",
		    json_pack("{s:I}", "to", (json_int_t)home.org_id));
	struct activity a = {.org_id = org,
			     .actor_name = "cli",
			     .action = "create",
			     .entity = "staff",
			     .entity_id = *id,
			     .diff = diff};
	int rc = activity_record(c, &a);
	json_decref(diff);
	if (!rc && hash && !link)
		rc = password_history_push(c, org, *id, hash);
	if (!rc && !hash && !link) {
		char h[TOKEN_HASH_LEN + 1], now[ATR_TIME_LEN], exp[ATR_TIME_LEN];
		token_new(tok);
		token_hash(tok, h);
		atr_now_iso(now);
		atr_time_iso(atr_now_ms() + 72LL * 3600 * 1000, exp);
		struct db_stmt *st = db_prepare(
			c, "INSERT INTO auth_token (org_id, staff_id, purpose, "
			   "token_hash, expires_at, created_at) VALUES "
			   "(?, ?, 'set_password', ?, ?, ?)");
		rc = -1;
		if (st) {
			db_bind_int(st, 1, org);
			db_bind_int(st, 2, *id);
			db_bind_text(st, 3, h);
			db_bind_text(st, 4, exp);
			db_bind_text(st, 5, now);
			rc = db_step(st) < 0 ? -1 : 0;
			db_reset(st);
		}
	}
	if (rc < 0)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	return 0;
}

static int add_member(int argc, char **argv, bool admin, const char *usage,
		      const char *cmdname)
{
	static const struct option opts[] = {
	    {"email", required_argument, 0, 'e'},
	    {"name", required_argument, 0, 'n'},
	    {"admin", no_argument, 0, 'a'},
	    {"password-stdin", no_argument, 0, 'p'},
	    {"org", required_argument, 0, 'o'},
	    {"db", required_argument, 0, 'd'},
	    {"config", required_argument, 0, 'c'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	struct cmd_settings s = {0};
	const char *email = NULL, *name = NULL;
	int64_t org = 1;
	bool from_stdin = false;
	int o, idx = 0;
	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		switch (o) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'e':
			email = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'a':
			if (usage == admin_usage)
				die("%s: unknown option --admin", cmdname);
			admin = true;
			break;
		case 'p':
			from_stdin = true;
			break;
		case 'o': {
			char *end;
			long long v = strtoll(optarg, &end, 10);
			if (*optarg == 0 || *end || v < 1)
				die("%s: --org must be an organisation id",
				    cmdname);
			org = v;
			break;
		}
		case 'd':
		case 'c':
			cmd_setting(&s, opts[idx].name, optarg);
			break;
		default:
			die("%s: bad option (see atrium %s --help)", cmdname,
			    cmdname);
		}
	}
	if (optind < argc)
		die("%s: unexpected argument '%s'", cmdname, argv[optind]);
	if (!email || !valid_email(email) || strlen(email) > EMAIL_MAX)
		die("%s: --email must be a valid email address", cmdname);
	if (!name || !*name || strlen(name) > NAME_MAX_LEN)
		die("%s: --name is required (at most %d bytes)", cmdname,
		    NAME_MAX_LEN);

	char *pw = from_stdin ? cmd_read_password() : NULL;
	struct app app = {0};
	cmd_open(&app, &s);
	cmd_require_schema(&app);
	struct atr_err err = {0};
	/* The activity log's MACs are keyed from the master key. */
	if (secret_key_load(&app.cfg, &err) < 0)
		die("%s", err.msg);
	struct db_conn *c = db_acquire(app.db, &err);
	if (!c)
		die("%s", err.msg);
	/* The organisation's password policy applies here too. */
	char hash[PASSWORD_HASH_MAX] = "";
	if (pw) {
		struct pw_subject who = {org, 0, email, name, false};
		if (password_policy_check(c, &who, pw, "password", &err) < 0)
			die("%s: the password %s", cmdname,
			    err.nfields ? err.fields[0].detail : err.msg);
		if (password_hash(pw, hash) != 0)
			die("%s: cannot hash the password", cmdname);
		sodium_memzero(pw, strlen(pw));
		free(pw);
	}
	if (db_begin(c) < 0)
		die("%s", db_errmsg(c));
	if (org_find(c, org, &(struct org_row){0}, &err) < 0)
		die("%s: %s", cmdname, err.msg);
	int64_t id, home_org;
	char tok[TOKEN_LEN + 1] = "";
	int rc =
	    cmd_member_add(c, org, email, name, admin, from_stdin ? hash : NULL,
			   &id, tok, &home_org, &err);
	if (rc < 0)
		die("%s: %s", cmdname,
		    err.nfields ? err.fields[0].detail : err.msg);
	if (db_commit(c) < 0)
		die("%s: %s", cmdname, db_errmsg(c));
	db_release(c);
	printf("%s: added %s%s <%s> (id %lld) to organisation %lld\n", cmdname,
	       admin ? "administrator " : "", name, email, (long long)id,
	       (long long)org);
	if (home_org)
		printf("They have an account in organisation %lld: they sign "
		       "in with their own password (no link; a password "
		       "given here is not applied).\n",
		       (long long)home_org);
	else if (!from_stdin)
		printf("Send them this one-time link (valid 72 hours) to set "
		       "their password:\n\n    %s/set-password#token=%s\n\n",
		       app.cfg.public_url, tok);
	cmd_close(&app);
	secret_key_unload();
	return 0;
}

int cmd_admin(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(admin_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (strcmp(argv[1], "create") != 0)
		die("admin: unknown subcommand '%s' (see atrium admin --help)",
		    argv[1]);
	return add_member(argc - 1, argv + 1, true, admin_usage,
			  "admin create");
}

int cmd_staff(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(staff_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (strcmp(argv[1], "add") != 0)
		die("staff: unknown subcommand '%s' (see atrium staff --help)",
		    argv[1]);
	return add_member(argc - 1, argv + 1, false, staff_usage, "staff add");
}
