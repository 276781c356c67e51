/* notify.c — `atrium notify`: an operator's message to a member, or to
 * every administrator, under the bell of the web admin (before
 * maintenance, say). The same path as the product's own notifications
 * (admin/notification.h), logged in the activity log with actor "cli".
 */
#include "atrium.h"

#include <getopt.h>

#include "admin/notification.h"
#include "cmd/cmd.h"
#include "core/activity.h"
#include "core/secret.h"
#include "db/db.h"

static const char usage[] =
	"usage: atrium notify (--staff ID | --admins) --title TEXT [--body TEXT]\n"
	"                     [--link /admin/...] [--org N] [--db URL] [--config FILE]\n"
	"\n"
	"Adds a notification for one active staff member (--staff, their id) or\n"
	"for every active administrator (--admins) of an organisation (--org,\n"
	"default the first): it appears under the bell of the web admin. The\n"
	"title is one line of at most 200 characters, the body at most 2000\n"
	"(longer is cut); --link is a page of the web admin (\"/admin/leads/7\").\n"
	"Logged in the activity log. Exits 1 on bad arguments or when nobody\n"
	"was notified, 2 on a database error.\n";

static _Noreturn void db_die(struct db_conn *c)
{
	fprintf(stderr, "atrium: notify: database error: %s\n", db_errmsg(c));
	exit(2);
}

/* The organisation: want, checked, or the first one. */
static int64_t pick_org(struct db_conn *c, int64_t want)
{
	struct db_stmt *st =
		want ? db_prepare(c, "SELECT id FROM org WHERE id = ?")
		     : db_prepare(c, "SELECT MIN(id) FROM org");
	if (!st)
		db_die(c);
	if (want)
		db_bind_int(st, 1, want);
	int rc = db_step(st);
	int64_t id = rc == 1 && !db_col_null(st, 0) ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc < 0)
		db_die(c);
	if (!id && want)
		die("notify: no organisation %lld", (long long)want);
	if (!id)
		die("notify: the database has no organisation yet");
	return id;
}

/* The member's name when they are an active member of org, else NULL
 * (caller frees). */
static char *active_member(struct db_conn *c, int64_t org, int64_t id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT name FROM staff WHERE id = ? AND org_id = ? AND "
		   "active = 1");
	if (!st)
		db_die(c);
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	char *name = rc == 1 ? xstrdup(db_col_text(st, 0)) : NULL;
	db_reset(st);
	if (rc < 0)
		db_die(c);
	return name;
}

int cmd_notify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"staff", required_argument, 0, 's'},
		{"admins", no_argument, 0, 'a'},
		{"title", required_argument, 0, 't'},
		{"body", required_argument, 0, 'b'},
		{"link", required_argument, 0, 'l'},
		{"org", required_argument, 0, 'o'},
		{"db", required_argument, 0, 'd'},
		{"config", required_argument, 0, 'c'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct cmd_settings s = {0};
	const char *title = NULL, *body = NULL, *link = NULL;
	int64_t staff = 0, want_org = 0;
	bool admins = false;
	int o, idx = 0;
	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		switch (o) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 's':
			if (atr_parse_i64(optarg, &staff) < 0 || staff < 1)
				die("notify: --staff must be a staff id (1, "
				    "2, ...)");
			break;
		case 'a':
			admins = true;
			break;
		case 't':
			title = optarg;
			break;
		case 'b':
			body = optarg;
			break;
		case 'l':
			link = optarg;
			break;
		case 'o':
			if (atr_parse_i64(optarg, &want_org) < 0 ||
			    want_org < 1)
				die("notify: --org must be an organisation id "
				    "(1, 2, ...)");
			break;
		default:
			if (o == '?' ||
			    !cmd_setting(&s, opts[idx].name, optarg))
				die("notify: bad option (see atrium notify "
				    "--help)");
		}
	}
	if (optind < argc)
		die("notify: unexpected argument '%s'", argv[optind]);
	if (!staff == !admins)
		die("notify: give either --staff ID or --admins");
	if (!title)
		die("notify: --title is required");
	char *clean = notification_clean(title, NOTIFICATION_TITLE_MAX, false);
	if (!*clean)
		die("notify: the title is empty");
	if (link && !notification_link_ok(link))
		die("notify: --link must be a page of the web admin: a path "
		    "beginning with /admin/, without spaces, quotes or ../");

	struct app app = {0};
	cmd_open(&app, &s);
	cmd_require_schema(&app);
	/* The activity log's chain is keyed with the master key. */
	cmd_load_key(&app, "notify");
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app.db, &err);
	if (!c)
		die("notify: %s", err.msg);
	if (db_begin(c) < 0)
		db_die(c);
	int64_t org = pick_org(c, want_org);
	char *name = NULL;
	int n;
	if (staff) {
		name = active_member(c, org, staff);
		if (!name)
			die("notify: no active staff member %lld in "
			    "organisation %lld",
			    (long long)staff, (long long)org);
		n = notification_add(c, org, staff, title, body, link, "cli",
				     &err) < 0
			    ? -1
			    : 1;
	} else {
		n = notification_admins(c, org, title, body, link, "cli",
					&err);
	}
	if (n < 0) {
		fprintf(stderr, "atrium: notify: %s\n", err.msg);
		exit(err.kind == ATR_E_INVALID ? 1 : 2);
	}
	if (n == 0)
		die("notify: organisation %lld has no active administrator",
		    (long long)org);
	json_t *diff = json_pack("{s:{s:s},s:{s:i}}", "title", "to", clean,
				 "recipients", "to", n);
	struct activity a = {.org_id = org,
			     .actor_name = "cli",
			     .action = "notify",
			     .entity = staff ? "staff" : NULL,
			     .entity_id = staff,
			     .diff = diff};
	if (activity_record(c, &a) < 0 || db_commit(c) < 0)
		db_die(c);
	json_decref(diff);
	db_release(c);
	if (staff)
		printf("notify: notification added for %s (staff %lld)\n",
		       name, (long long)staff);
	else
		printf("notify: notification added for %d administrator%s\n",
		       n, n == 1 ? "" : "s");
	free(name);
	free(clean);
	secret_key_unload();
	cmd_close(&app);
	return 0;
}
