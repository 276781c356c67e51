/* user.c — `atrium user reset-2fa --email E`: the break-glass for a
 * locked-out member (the last administrator who lost their device).
 * Removes their 2FA and recovery codes, ends their sessions, and writes
 * the activity log (actor "cli"). They enrol again at the next sign-in
 * when policy requires 2FA.
 */
#include "atrium.h"

#include <getopt.h>

#include "auth/session.h"
#include "auth/staff_store.h"
#include "auth/twofa.h"
#include "cmd/cmd.h"
#include "core/activity.h"
#include "core/secret.h"
#include "db/db.h"
#include "email/email.h"

static const char usage[] =
	"usage: atrium user reset-2fa --email EMAIL [--db URL] [--config FILE]\n"
	"\n"
	"Turns off two-factor authentication for one staff member (lost\n"
	"device, locked-out last administrator): removes their TOTP secret and\n"
	"recovery codes and ends their sessions. Logged in the activity log.\n";

int cmd_user(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (strcmp(argv[1], "reset-2fa") != 0)
		die("user: unknown subcommand '%s' (see atrium user --help)",
		    argv[1]);
	argc--;
	argv++;
	static const struct option opts[] = {
		{"email", required_argument, 0, 'e'},
		{"db", required_argument, 0, 'd'},
		{"config", required_argument, 0, 'c'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct cmd_settings s = {0};
	const char *email = NULL;
	int o, idx = 0;
	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (o == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (o == 'e')
			email = optarg;
		else if (o == '?' || !cmd_setting(&s, opts[idx].name, optarg))
			die("user reset-2fa: bad option (see atrium user "
			    "--help)");
	}
	if (!email)
		die("user reset-2fa: --email is required");
	struct app app = {0};
	cmd_open(&app, &s);
	cmd_require_schema(&app);
	struct atr_err err = {0};
	/* The notice email is stored encrypted until it is sent. */
	cmd_load_key(&app, "user reset-2fa");
	struct db_conn *c = db_acquire(app.db, &err);
	if (!c)
		die("%s", err.msg);
	char norm[EMAIL_MAX + 1];
	staff_store_email_norm(email, norm, sizeof norm);
	struct db_stmt *st = db_prepare(
	    c, "SELECT id, org_id, name, email FROM staff WHERE email_norm = ? "
	       "AND identity_id IS NULL");
	if (!st)
		die("%s", db_errmsg(c));
	db_bind_text(st, 1, norm);
	int rc = db_step(st);
	int64_t id = 0, org = 0;
	char name[256] = "", email_addr[256] = "";
	if (rc == 1) {
		id = db_col_int(st, 0);
		org = db_col_int(st, 1);
		atr_strlcpy(name, db_col_text(st, 2), sizeof name);
		atr_strlcpy(email_addr, db_col_text(st, 3), sizeof email_addr);
	}
	db_reset(st);
	if (rc < 0)
		die("%s", db_errmsg(c));
	if (rc == 0)
		die("user reset-2fa: no staff member with email '%s'", email);
	char when[ATR_TIME_LEN];
	atr_now_iso(when);
	json_t *vars = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "what",
				 "an operator reset your two-factor "
				 "authentication",
				 "when", when, "ip", "the server console");
	struct activity a = {.org_id = org,
			     .actor_name = "cli",
			     .action = "2fa_reset",
			     .entity = "staff",
			     .entity_id = id};
	if (db_begin(c) < 0 || twofa_remove(c, id) < 0 ||
	    session_end_person(c, id, 0) < 0 || activity_record(c, &a) < 0 ||
	    email_enqueue(c, org, email_addr, "security_notice", vars) < 0 ||
	    db_commit(c) < 0)
		die("user reset-2fa: %s", db_errmsg(c));
	json_decref(vars);
	db_release(c);
	printf("user reset-2fa: two-factor authentication removed for %s "
	       "<%s>; their sessions ended; a notice is queued for them\n",
	       name, email);
	secret_key_unload();
	cmd_close(&app);
	return 0;
}
