/* org.c — `atrium org create|list|suspend|resume|seats|delete`: the
 * operator's organisations from the command line (issue 17; auth/org.h).
 *
 * create adds a business under the operator, or under --parent: a
 * business under the operator, a merchant under a business (nothing
 * deeper), optionally with its first administrator, who gets a one-time
 * set-password link as `atrium admin create` prints one. Every change is
 * written with its activity row (actor "cli") in the organisation's own
 * chain, in one transaction.
 */
#include "atrium.h"

#include <getopt.h>
#include <unistd.h>

#include "auth/org.h"
#include "auth/staff_store.h"
#include "auth/token.h"
#include "cmd/cmd.h"
#include "core/activity.h"
#include "core/secret.h"
#include "core/validate.h"
#include "db/db.h"

static const char usage[] =
	"usage: atrium org list [--json] [--db URL] [--config FILE]\n"
	"       atrium org create --name NAME [--parent ID]\n"
	"                         [--members-included N] [--extra-seats N]\n"
	"                         [--admin-email EMAIL --admin-name NAME]\n"
	"       atrium org suspend ID\n"
	"       atrium org resume ID\n"
	"       atrium org seats ID [--members-included N] [--extra-seats N]\n"
	"       atrium org delete ID [--yes]\n"
	"\n"
	"The organisations of this installation: the operator (organisation 1,\n"
	"its owner), businesses under it and merchants under a business.\n"
	"\n"
	"  list     every organisation: id, kind, parent, status, seats in use\n"
	"           and allowed, name (--json: an array for scripts)\n"
	"  create   a business (under --parent ID when that is the operator: the\n"
	"           default) or a merchant (--parent ID of a business); with\n"
	"           --admin-email and --admin-name its first administrator, who\n"
	"           gets a one-time link (valid 72 hours) to set a password.\n"
	"           Seats default to 5 included and 0 extra.\n"
	"  suspend  its members cannot sign in, their sessions and API tokens\n"
	"           are refused, its jobs and scheduled tasks wait; data stays\n"
	"  resume   undoes suspend\n"
	"  seats    sets MEMBERS_INCLUDED (1 to 1000000) and extra seats (0 to\n"
	"           1000000); the organisation's administrators see them\n"
	"           read-only\n"
	"  delete   removes a suspended organisation without child\n"
	"           organisations and everything it holds: every row of every\n"
	"           table with an org_id (its activity log too) and its log\n"
	"           archives on disk; the operator's activity log records it.\n"
	"           Without --yes it asks for the organisation's id on a\n"
	"           terminal, and refuses otherwise\n"
	"\n"
	"Each change is recorded in the organisation's activity log with actor\n"
	"\"cli\". Exit status: 0 done, 1 bad arguments or a refused change, 2 a\n"
	"database error.\n";

struct opts {
	struct cmd_settings s;
	const char *name, *admin_email, *admin_name;
	int64_t parent, members_included, extra_seats;
	bool json, yes;
	const char *args[3];
	int nargs;
};

static int64_t number(const char *opt, const char *v)
{
	int64_t n;
	if (atr_parse_i64(v, &n) < 0 || n < 0)
		die("org: %s must be a whole number, not '%s'", opt, v);
	return n;
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"name", required_argument, 0, 'n'},
		{"parent", required_argument, 0, 'p'},
		{"members-included", required_argument, 0, 'm'},
		{"extra-seats", required_argument, 0, 'x'},
		{"admin-email", required_argument, 0, 'e'},
		{"admin-name", required_argument, 0, 'a'},
		{"json", no_argument, 0, 'j'},
		{"yes", no_argument, 0, 'y'},
		{"db", required_argument, 0, 'd'},
		{"config", required_argument, 0, 'c'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	o->members_included = o->extra_seats = -1;
	int c, idx = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case 'n':
			o->name = optarg;
			break;
		case 'p':
			o->parent = number("--parent", optarg);
			break;
		case 'm':
			o->members_included =
				number("--members-included", optarg);
			break;
		case 'x':
			o->extra_seats = number("--extra-seats", optarg);
			break;
		case 'e':
			o->admin_email = optarg;
			break;
		case 'a':
			o->admin_name = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'y':
			o->yes = true;
			break;
		case 'd':
		case 'c':
			cmd_setting(&o->s, longopts[idx].name, optarg);
			break;
		default:
			die("org: bad option (see atrium org --help)");
		}
	}
	for (int i = optind; i < argc; i++) {
		if (o->nargs == (int)ATR_ARRAY_LEN(o->args))
			die("org: unexpected argument '%s'", argv[i]);
		o->args[o->nargs++] = argv[i];
	}
}

static _Noreturn void db_die(struct db_conn *c)
{
	fprintf(stderr, "atrium: org: database error: %s\n", db_errmsg(c));
	exit(2);
}

/* Prints what was refused (every field) and exits 1; a database error
 * exits 2. */
static _Noreturn void refused(const char *verb, const struct atr_err *err)
{
	if (err->kind == ATR_E_INTERNAL) {
		fprintf(stderr, "atrium: org %s: %s\n", verb, err->msg);
		exit(2);
	}
	if (err->nfields == 0)
		die("org %s: %s", verb, err->msg);
	for (int i = 0; i < err->nfields; i++)
		fprintf(stderr, "atrium: org %s: %s: %s\n", verb,
			err->fields[i].field, err->fields[i].detail);
	exit(1);
}

/* The organisation named by the verb's ID argument. */
static int64_t org_arg(const struct opts *o, const char *verb)
{
	if (o->nargs != 2)
		die("org %s: name one organisation by its id (see atrium org "
		    "list)",
		    verb);
	int64_t id;
	if (atr_parse_i64(o->args[1], &id) < 0 || id < 1)
		die("org %s: '%s' is not an organisation id", verb,
		    o->args[1]);
	return id;
}

/* The activity row of a change of organisation org (actor "cli"), in
 * its own chain (a deletion sets the operator's). */
static struct activity change_of(int64_t org, const char *action,
				 const json_t *diff)
{
	return (struct activity){.org_id = org,
				 .actor_name = "cli",
				 .action = action,
				 .entity = "org",
				 .entity_id = org,
				 .diff = diff};
}

static void record(struct db_conn *c, int64_t org, const char *action,
		   const json_t *diff)
{
	struct activity a = change_of(org, action, diff);
	if (activity_record(c, &a) < 0)
		db_die(c);
}

/* ---- list ---------------------------------------------------------------- */

static int do_list(struct db_conn *c, const struct opts *o)
{
	if (o->nargs > 1)
		die("org list: unexpected argument '%s'", o->args[1]);
	struct db_stmt *st = db_prepare(
		c, "SELECT o.id, o.kind, o.parent_id, o.status, "
		   "o.members_included, o.extra_seats, o.name, o.created_at, "
		   "o.suspended_at, (SELECT COUNT(*) FROM staff s WHERE "
		   "s.org_id = o.id AND s.active = 1) FROM org o ORDER BY "
		   "o.id");
	if (!st)
		db_die(c);
	json_t *all = json_array();
	if (!o->json)
		printf("%-6s %-9s %-6s %-10s %-13s %s\n", "ID", "KIND",
		       "PARENT", "STATUS", "SEATS", "NAME");
	int rc;
	while ((rc = db_step(st)) == 1) {
		int64_t id = db_col_int(st, 0), mi = db_col_int(st, 4),
			es = db_col_int(st, 5), used = db_col_int(st, 9);
		bool root = db_col_null(st, 2);
		if (o->json) {
			json_array_append_new(
				all,
				json_pack("{s:I,s:s,s:o,s:s,s:s,s:s,s:o,s:{s:"
					  "I,s:I,s:I,s:I}}",
					  "id", (json_int_t)id, "kind",
					  db_col_text(st, 1), "parent_id",
					  root ? json_null()
					       : json_integer(db_col_int(st, 2)),
					  "status", db_col_text(st, 3), "name",
					  db_col_text(st, 6), "created_at",
					  db_col_text(st, 7), "suspended_at",
					  db_col_null(st, 8)
						  ? json_null()
						  : json_string(db_col_text(st, 8)),
					  "seats", "used", (json_int_t)used,
					  "allowed", (json_int_t)(mi + es),
					  "members_included", (json_int_t)mi,
					  "extra_seats", (json_int_t)es));
			continue;
		}
		char parent[24], seats[48];
		snprintf(parent, sizeof parent, "%s",
			 root ? "-" : db_col_text(st, 2));
		snprintf(seats, sizeof seats, "%lld/%lld", (long long)used,
			 (long long)(mi + es));
		printf("%-6lld %-9s %-6s %-10s %-13s ", (long long)id,
		       db_col_text(st, 1), parent, db_col_text(st, 3), seats);
		/* A name is one line without control characters (org.c);
		 * printed as is. */
		printf("%s\n", db_col_text(st, 6));
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(all);
		db_die(c);
	}
	if (o->json) {
		json_dumpf(all, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	}
	json_decref(all);
	return 0;
}

/* ---- create -------------------------------------------------------------- */

static int do_create(struct app *app, struct db_conn *c, const struct opts *o)
{
	if (o->nargs > 1)
		die("org create: unexpected argument '%s'", o->args[1]);
	if (!o->name)
		die("org create: --name is required");
	if (!o->admin_email != !o->admin_name)
		die("org create: the first administrator needs both "
		    "--admin-email and --admin-name");
	if (o->admin_email &&
	    (!valid_email(o->admin_email) || strlen(o->admin_email) > EMAIL_MAX))
		die("org create: --admin-email must be a valid email address");
	if (o->admin_name && (!*o->admin_name ||
			      strlen(o->admin_name) > NAME_MAX_LEN))
		die("org create: --admin-name must be 1 to %d bytes",
		    NAME_MAX_LEN);
	struct atr_err err = {0};
	if (db_begin(c) < 0)
		db_die(c);
	/* Without --parent: under the operator. The kind follows the
	 * parent's: a business under the operator, a merchant under a
	 * business (org_create refuses anything else). */
	struct org_row parent;
	int64_t parent_id = o->parent;
	if (!parent_id) {
		struct db_stmt *st = db_prepare(
			c, "SELECT id FROM org WHERE kind = 'operator'");
		if (!st)
			db_die(c);
		if (db_step(st) == 1)
			parent_id = db_col_int(st, 0);
		db_reset(st);
	}
	int found = org_load(c, parent_id, &parent);
	if (found < 0)
		db_die(c);
	enum org_kind kind = found && parent.kind != ORG_OPERATOR
				     ? ORG_MERCHANT
				     : ORG_BUSINESS;
	int64_t id;
	if (org_create(c, o->name, kind, parent_id, o->members_included,
		       o->extra_seats, &id, &err) < 0)
		refused("create", &err);
	struct org_row made;
	if (org_load(c, id, &made) != 1)
		db_die(c);
	json_t *diff = org_created_diff(&made);
	record(c, id, "create", diff);
	json_decref(diff);
	int64_t admin_id = 0, home_org = 0;
	char tok[TOKEN_LEN + 1] = "";
	if (o->admin_email &&
	    cmd_member_add(c, id, o->admin_email, o->admin_name, true, NULL,
			   &admin_id, tok, &home_org, &err) < 0)
		refused("create", &err);
	if (db_commit(c) < 0)
		db_die(c);
	printf("org create: added %s '%s' (id %lld) under %s '%s' (id "
	       "%lld)\n",
	       org_kind_name(made.kind), made.name, (long long)id,
	       org_kind_name(parent.kind), parent.name,
	       (long long)parent.id);
	if (admin_id && home_org)
		printf("its administrator <%s> (id %lld) has an account in "
		       "organisation %lld: they sign in with their own "
		       "password and find it in their organisation menu\n",
		       o->admin_email, (long long)admin_id,
		       (long long)home_org);
	else if (admin_id)
		printf("its administrator %s <%s> (id %lld): send them this "
		       "one-time link (valid 72 hours) to set their "
		       "password:\n\n    %s/set-password#token=%s\n\n",
		       o->admin_name, o->admin_email, (long long)admin_id,
		       app->cfg.public_url, tok);
	return 0;
}

/* ---- suspend, resume, seats ---------------------------------------------- */

static int do_status(struct db_conn *c, const struct opts *o, bool suspend)
{
	const char *verb = suspend ? "suspend" : "resume";
	int64_t id = org_arg(o, verb);
	struct atr_err err = {0};
	if (db_begin(c) < 0)
		db_die(c);
	int rc = org_set_suspended(c, id, suspend, &err);
	if (rc < 0)
		refused(verb, &err);
	if (rc == 0) {
		db_rollback(c);
		printf("org %s: organisation %lld is already %s\n", verb,
		       (long long)id, suspend ? "suspended" : "active");
		return 0;
	}
	json_t *diff = json_pack("{s:{s:s,s:s}}", "status", "from",
				 suspend ? "active" : "suspended", "to",
				 suspend ? "suspended" : "active");
	struct activity a = change_of(id, verb, diff);
	cmd_record_commit(c, &a, "org");
	json_decref(diff);
	printf("org %s: organisation %lld is %s\n", verb, (long long)id,
	       suspend ? "suspended: its members cannot sign in, its sessions "
			 "and API tokens are refused, its jobs wait"
		       : "active again");
	return 0;
}

static int do_seats(struct db_conn *c, const struct opts *o)
{
	int64_t id = org_arg(o, "seats");
	if (o->members_included < 0 && o->extra_seats < 0)
		die("org seats: give --members-included N, --extra-seats N "
		    "or both");
	struct atr_err err = {0};
	json_t *diff = NULL;
	if (db_begin(c) < 0)
		db_die(c);
	if (org_set_seats(c, id, o->members_included, o->extra_seats, &diff,
			  &err) < 0) {
		json_decref(diff);
		refused("seats", &err);
	}
	if (json_object_size(diff) == 0) {
		db_rollback(c);
		printf("org seats: organisation %lld: unchanged\n",
		       (long long)id);
	} else {
		struct activity a = change_of(id, "update", diff);
		cmd_record_commit(c, &a, "org");
		const char *key;
		json_t *ch;
		json_object_foreach(diff, key, ch)
		printf("org seats: organisation %lld: %s: %lld -> %lld\n",
		       (long long)id, key,
		       (long long)json_integer_value(json_object_get(ch, "from")),
		       (long long)json_integer_value(json_object_get(ch, "to")));
	}
	json_decref(diff);
	return 0;
}

/* ---- delete -------------------------------------------------------------- */

/* Asks for the organisation's id on a terminal; true when it was typed. */
static bool confirmed(const struct org_row *o)
{
	if (!isatty(STDIN_FILENO))
		return false;
	fprintf(stderr,
		"Delete organisation %lld '%s' and everything it holds? This "
		"cannot be undone.\nType its id to confirm: ",
		(long long)o->id, o->name);
	char line[64];
	if (!fgets(line, sizeof line, stdin))
		return false;
	line[strcspn(line, "\r\n")] = 0;
	int64_t v;
	return atr_parse_i64(line, &v) == 0 && v == o->id;
}

static int do_delete(struct app *app, struct db_conn *c, const struct opts *o)
{
	int64_t id = org_arg(o, "delete");
	struct atr_err err = {0};
	struct org_row target;
	int found = org_load(c, id, &target);
	if (found < 0)
		db_die(c);
	if (!found)
		die("org delete: no organisation %lld", (long long)id);
	if (org_delete_check(c, &target, &err) < 0)
		refused("delete", &err);
	if (!o->yes && !confirmed(&target))
		die("org delete: not confirmed (give --yes to delete without "
		    "being asked)");
	json_t *removed = NULL;
	if (db_begin(c) < 0)
		db_die(c);
	if (org_delete(c, id, &removed, &err) < 0) {
		json_decref(removed);
		refused("delete", &err);
	}
	json_t *diff = json_pack(
		"{s:{s:s},s:{s:s},s:{s:I},s:{s:O}}", "name", "from",
		target.name, "kind", "from", org_kind_name(target.kind),
		"parent_id", "from", (json_int_t)target.parent_id, "rows",
		"from", removed);
	/* In the operator's chain: the organisation's own went with it. */
	struct db_stmt *st =
		db_prepare(c, "SELECT id FROM org WHERE kind = 'operator'");
	if (!st || db_step(st) != 1)
		db_die(c);
	int64_t op = db_col_int(st, 0);
	db_reset(st);
	struct activity a = change_of(id, "delete", diff);
	a.org_id = op;
	cmd_record_commit(c, &a, "org");
	json_decref(diff);
	int64_t rows = 0;
	const char *k;
	json_t *v;
	json_object_foreach(removed, k, v) rows += json_integer_value(v);
	size_t ntables = json_object_size(removed);
	json_decref(removed);
	printf("org delete: organisation %lld '%s' deleted (%lld rows in %zu "
	       "tables)\n",
	       (long long)id, target.name, (long long)rows, ntables);
	if (org_delete_files(app->cfg.archive_dir, id) < 0) {
		fprintf(stderr,
			"atrium: org delete: some of its archive files under "
			"%s/*/org%lld could not be removed\n",
			app->cfg.archive_dir, (long long)id);
		return 1;
	}
	return 0;
}

int cmd_org(int argc, char **argv)
{
	struct opts o = {0};
	parse(argc, argv, &o);
	if (o.nargs == 0) {
		fputs(usage, stderr);
		return 1;
	}
	const char *verb = o.args[0];
	bool list = !strcmp(verb, "list");
	if (!list && strcmp(verb, "create") && strcmp(verb, "suspend") &&
	    strcmp(verb, "resume") && strcmp(verb, "seats") &&
	    strcmp(verb, "delete"))
		die("org: unknown subcommand '%s' (list, create, suspend, "
		    "resume, seats or delete; see atrium org --help)",
		    verb);
	if (o.yes && strcmp(verb, "delete"))
		die("org %s: --yes is for delete", verb);
	if (!list && o.json)
		die("org %s: --json is for list", verb);
	if (strcmp(verb, "create") &&
	    (o.name || o.parent || o.admin_email || o.admin_name))
		die("org %s: --name, --parent and --admin-* are for create",
		    verb);
	if (strcmp(verb, "create") && strcmp(verb, "seats") &&
	    (o.members_included >= 0 || o.extra_seats >= 0))
		die("org %s: --members-included and --extra-seats are for "
		    "create and seats",
		    verb);
	struct app app = {0};
	/* A change's activity row is keyed from the master key. */
	struct db_conn *c = cmd_conn_open(&app, &o.s, "org", !list);
	int rc = list			     ? do_list(c, &o)
		 : !strcmp(verb, "create")  ? do_create(&app, c, &o)
		 : !strcmp(verb, "suspend") ? do_status(c, &o, true)
		 : !strcmp(verb, "resume")  ? do_status(c, &o, false)
		 : !strcmp(verb, "delete")  ? do_delete(&app, c, &o)
					    : do_seats(c, &o);
	cmd_conn_close(&app, c, !list);
	return rc;
}
