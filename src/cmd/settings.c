/* settings.c — `atrium settings list|get|set`: an organisation's settings
 * from the command line, for operators and scripts.
 *
 * set judges and writes through the settings store's settings_judge and
 * settings_apply, the code PATCH /api/v1/settings/{group} runs: the same
 * values are accepted and refused, with the same words, and the change is
 * written with its activity row (actor "cli") in one transaction. A
 * secret is read from standard input only, never from the command line
 * (ps and the shell history would show it), and never printed: list and
 * get say whether one is set.
 */
#include "atrium.h"

#include <getopt.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/activity.h"
#include "core/secret.h"
#include "core/settings.h"
#include "db/db.h"

/* The longest value read from standard input: above every setting's
 * limit, so an over-long value is judged (too_long), not cut. */
#define STDIN_MAX (64 * 1024)

static const char usage[] =
	"usage: atrium settings list [GROUP] [--json] [--org N] [--db URL] [--config FILE]\n"
	"       atrium settings get GROUP.KEY [--json] [--org N] [--db URL] [--config FILE]\n"
	"       atrium settings set GROUP.KEY [VALUE] [--org N] [--db URL] [--config FILE]\n"
	"       atrium settings set GROUP.KEY --clear [--org N] [--db URL] [--config FILE]\n"
	"\n"
	"An organisation's settings (--org, default the first organisation), as\n"
	"Settings in the web UI shows them: list every setting (or a group's),\n"
	"get one, set one. set checks the value as the API does, prints every\n"
	"problem and exits 1 without writing; a change is recorded in the\n"
	"activity log with actor \"cli\". Without VALUE the value is read from\n"
	"standard input (one line; text that may span lines: all of it). A\n"
	"secret (smtp.smtp_password) is read from standard input only, and list\n"
	"and get only say whether it is set. --clear puts a setting back to its\n"
	"default (a secret: removes it). --json prints JSON for scripts (list:\n"
	"{\"org_id\", \"groups\": {GROUP: {KEY: value}}}, values as GET\n"
	"/api/v1/settings/GROUP shows them). A VALUE that starts with '-' goes\n"
	"after --.\n"
	"\n"
	"  atrium settings set company.company_name 'Example SRL'\n"
	"  atrium settings set smtp.smtp_password < /run/secrets/smtp\n"
	"\n"
	"Exit status: 0 done, 1 bad arguments or an invalid value, 2 a database\n"
	"error.\n";

struct opts {
	struct cmd_settings s;
	int64_t org; /* 0: the first organisation */
	bool json, clear;
	const char *args[3];
	int nargs;
};

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"org", required_argument, 0, 'o'},
		{"json", no_argument, 0, 'j'},
		{"clear", no_argument, 0, 'x'},
		{"db", required_argument, 0, 'd'},
		{"config", required_argument, 0, 'c'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int c, idx = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case 'o':
			if (atr_parse_i64(optarg, &o->org) < 0 || o->org < 1)
				die("settings: --org must be an organisation "
				    "id (1, 2, ...)");
			break;
		case 'j':
			o->json = true;
			break;
		case 'x':
			o->clear = true;
			break;
		case 'd':
		case 'c':
			cmd_setting(&o->s, longopts[idx].name, optarg);
			break;
		default:
			die("settings: bad option (see atrium settings --help)");
		}
	}
	for (int i = optind; i < argc; i++) {
		if (o->nargs == (int)ATR_ARRAY_LEN(o->args))
			die("settings: unexpected argument '%s'", argv[i]);
		o->args[o->nargs++] = argv[i];
	}
}

static _Noreturn void db_die(struct db_conn *c)
{
	fprintf(stderr, "atrium: settings: database error: %s\n",
		db_errmsg(c));
	exit(2);
}

/* The organisation: --org, checked, or the first one. */
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
		die("settings: no organisation %lld", (long long)want);
	if (!id)
		die("settings: the database has no organisation yet");
	return id;
}

/* "company, smtp, ..." for messages: every group once, in table order. */
static void group_names(char *out, size_t n)
{
	out[0] = 0;
	for (int i = 0; i < settings_count(); i++) {
		const char *g = settings_at(i)->group;
		bool seen = false;
		for (int k = 0; k < i && !seen; k++)
			seen = !strcmp(settings_at(k)->group, g);
		if (seen)
			continue;
		if (out[0])
			atr_strlcpy(out + strlen(out), ", ", n - strlen(out));
		atr_strlcpy(out + strlen(out), g, n - strlen(out));
	}
}

static _Noreturn void no_group(const char *group)
{
	char names[512];
	group_names(names, sizeof names);
	die("settings: no settings group '%s' (groups: %s)", group, names);
}

/* Splits "GROUP.KEY" into group and key (copies). */
static void split_name(const char *name, char *group, size_t gn, char *key,
		       size_t kn)
{
	const char *dot = strchr(name, '.');
	if (!dot || dot == name || !dot[1])
		die("settings: '%s' is not GROUP.KEY (such as "
		    "company.company_name; see atrium settings list)",
		    name);
	if ((size_t)(dot - name) >= gn || strlen(dot + 1) >= kn)
		die("settings: '%s' names no setting", name);
	memcpy(group, name, (size_t)(dot - name));
	group[dot - name] = 0;
	atr_strlcpy(key, dot + 1, kn);
}

/* Writes s for a terminal: control characters other than line breaks and
 * tabs (allow_breaks) escaped, so a stored value cannot drive it. */
static void put_text(FILE *out, const char *s, bool allow_breaks)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (allow_breaks && (*p == '\n' || *p == '\t'))
			fputc(*p, out);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
}

/* ---- list and get -------------------------------------------------------- */

/* One setting for a person: "GROUP.KEY  value [default]". */
static void list_row(struct db_conn *c, int64_t org,
		     const struct setting_def *d)
{
	char *stored;
	if (settings_load_stored(c, org, d->key, &stored) < 0)
		db_die(c);
	char name[160];
	snprintf(name, sizeof name, "%s.%s", d->group, d->key);
	printf("%-36s ", name);
	if (d->type == SET_SECRET) {
		fputs(stored ? "(set; secret, not shown)" : "(not set)",
		      stdout);
	} else {
		const char *v = stored ? stored : settings_default(d);
		if (*v)
			put_text(stdout, v, false);
		else
			fputs("(empty)", stdout);
		if (!stored)
			fputs("  [default]", stdout);
	}
	fputc('\n', stdout);
	settings_stored_free(stored);
}

static int do_list(struct db_conn *c, int64_t org, const struct opts *o)
{
	const char *only = o->nargs > 1 ? o->args[1] : NULL;
	if (o->nargs > 2)
		die("settings list: unexpected argument '%s'", o->args[2]);
	if (only && !settings_group_exists(only))
		no_group(only);
	json_t *groups = o->json ? json_object() : NULL;
	for (int i = 0; i < settings_count(); i++) {
		const struct setting_def *d = settings_at(i);
		if (only && strcmp(d->group, only))
			continue;
		if (!o->json) {
			list_row(c, org, d);
			continue;
		}
		if (json_object_get(groups, d->group))
			continue;
		json_t *v = settings_values_json(c, org, d->group);
		if (!v)
			db_die(c);
		json_object_set_new(groups, d->group, v);
	}
	if (o->json) {
		json_t *out = json_pack("{s:I,s:o}", "org_id", (json_int_t)org,
					"groups", groups);
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(out);
	}
	return 0;
}

/* The setting GROUP.KEY names; dies naming what is wrong. */
static const struct setting_def *named(const char *name)
{
	char group[64], key[96];
	split_name(name, group, sizeof group, key, sizeof key);
	if (!settings_group_exists(group))
		no_group(group);
	const struct setting_def *d = settings_find(key);
	if (!d || strcmp(d->group, group))
		die("settings: group '%s' has no setting '%s' (see atrium "
		    "settings list %s)",
		    group, key, group);
	return d;
}

static int do_get(struct db_conn *c, int64_t org, const struct opts *o)
{
	if (o->nargs != 2)
		die("settings get: name one setting, GROUP.KEY");
	const struct setting_def *d = named(o->args[1]);
	char *stored;
	if (settings_load_stored(c, org, d->key, &stored) < 0)
		db_die(c);
	const char *v = stored ? stored : settings_default(d);
	if (o->json) {
		json_t *out = json_pack("{s:I,s:s,s:s,s:s}", "org_id",
					(json_int_t)org, "group", d->group,
					"key", d->key, "type",
					settings_type_name(d->type));
		if (d->type == SET_SECRET) {
			json_object_set_new(out, "set", json_boolean(stored));
		} else {
			json_object_set_new(out, "value",
					    settings_value_json(d, v));
			json_object_set_new(
				out, "default",
				settings_value_json(d, settings_default(d)));
			json_object_set_new(out, "is_default",
					    json_boolean(!stored));
		}
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(out);
	} else if (d->type == SET_SECRET) {
		puts(stored ? "(set; secret, not shown)" : "(not set)");
	} else {
		put_text(stdout, v, (d->flags & SETF_MULTILINE) != 0);
		fputc('\n', stdout);
	}
	settings_stored_free(stored);
	return 0;
}

/* ---- set ----------------------------------------------------------------- */

/* Reads the value from standard input (caller wipes and frees): all of
 * it for multi-line text, else one line; the line break at the end is
 * dropped. On a terminal it asks, without echo for a secret. */
static char *read_value(const char *name, bool secret, bool multiline)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios saved;
	bool quiet = false;
	if (tty) {
		fprintf(stderr, "%s%s: ", name,
			multiline ? " (end with Ctrl-D)" : "");
		if (secret && tcgetattr(STDIN_FILENO, &saved) == 0) {
			struct termios t = saved;
			t.c_lflag &= ~(tcflag_t)ECHO;
			quiet = tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0;
		}
	}
	char *buf = xmalloc(STDIN_MAX + 1);
	size_t n = 0;
	int ch;
	while (n < STDIN_MAX && (ch = getchar()) != EOF) {
		buf[n++] = (char)ch;
		if (ch == '\n' && !multiline)
			break;
	}
	bool more = n == STDIN_MAX && getchar() != EOF;
	buf[n] = 0;
	if (quiet) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputc('\n', stderr);
	}
	if (more) {
		sodium_memzero(buf, STDIN_MAX + 1);
		free(buf);
		die("settings set: the value on standard input is longer than "
		    "%d bytes",
		    STDIN_MAX);
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	return buf;
}

/* The JSON a PATCH would carry for text v of d: numbers and booleans when
 * the text is one, else the text (which the judging then refuses with
 * the API's words: "must be an integer", "must be true or false"). */
static json_t *value_json(const struct setting_def *d, const char *v)
{
	int64_t i;
	if (d->type == SET_INT && atr_parse_i64(v, &i) == 0)
		return json_integer((json_int_t)i);
	if (d->type == SET_BOOL && (!strcmp(v, "true") || !strcmp(v, "false")))
		return json_boolean(!strcmp(v, "true"));
	json_t *s = json_string(v);
	if (!s)
		die("settings set: the value is not valid UTF-8");
	return s;
}

/* Wipes the text values of body (a secret on its way to encryption)
 * before it is freed: jansson does not. */
static void wipe_body(json_t *body)
{
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v)
		if (json_is_string(v))
			sodium_memzero((char *)json_string_value(v),
				       json_string_length(v));
}

/* Prints what the judging or a rule refused, one line per field. */
static _Noreturn void refused(const char *group, const struct atr_err *err)
{
	if (err->nfields == 0)
		die("settings set: %s", err->msg);
	fprintf(stderr, "atrium: settings set: %d invalid field%s:\n",
		err->nfields, err->nfields == 1 ? "" : "s");
	for (int i = 0; i < err->nfields; i++) {
		const struct atr_field_err *f = &err->fields[i];
		fprintf(stderr, "  %s.%s: %s (%s)\n", group,
			*f->field ? f->field : "(value)", f->detail, f->code);
	}
	exit(1);
}

/* One line per change of diff: "GROUP.KEY: from -> to". */
static void print_changes(const char *group, const json_t *diff)
{
	const char *key;
	json_t *ch;
	json_object_foreach((json_t *)diff, key, ch)
	{
		const struct setting_def *d = settings_find(key);
		bool secret = d && d->type == SET_SECRET;
		printf("%s.%s: ", group, key);
		for (int side = 0; side < 2; side++) {
			const json_t *v =
				json_object_get(ch, side ? "to" : "from");
			if (side)
				fputs(" -> ", stdout);
			if (!v || json_is_null(v)) {
				fputs("(not set)", stdout);
			} else if (secret) {
				fputs("(set; secret, not shown)", stdout);
			} else if (json_is_string(v)) {
				fputc('\'', stdout);
				put_text(stdout, json_string_value(v), false);
				fputc('\'', stdout);
			} else {
				char *t = json_dumps(v, JSON_ENCODE_ANY);
				fputs(t ? t : "?", stdout);
				free(t);
			}
		}
		fputc('\n', stdout);
	}
}

static int do_set(struct db_conn *c, int64_t org, const struct opts *o)
{
	if (o->nargs < 2)
		die("settings set: name the setting, GROUP.KEY");
	const char *name = o->args[1];
	const char *argv_value = o->nargs > 2 ? o->args[2] : NULL;
	if (o->clear && argv_value)
		die("settings set: give a VALUE or --clear, not both");
	char group[64], key[96];
	split_name(name, group, sizeof group, key, sizeof key);
	const struct setting_def *d = settings_find(key);
	bool secret = d && d->type == SET_SECRET;
	/* Refused before anything else: the value is already in ps and the
	 * shell history, but it goes no further. */
	if (secret && argv_value)
		die("settings set: %s is a secret: give it on standard input, "
		    "never on the command line (ps and the shell history "
		    "show it), e.g. atrium settings set %s < FILE",
		    name, name);
	if (!settings_group_exists(group))
		no_group(group);
	struct atr_err err = {0};
	json_t *body = json_object();
	if (!d || strcmp(d->group, group)) {
		/* Not a setting of the group: said before a value is asked
		 * for, in the judging's words. */
		json_object_set_new(body, key, json_null());
		if (settings_judge(group, body, &err) < 0)
			refused(group, &err);
		die("settings: group '%s' has no setting '%s'", group, key);
	}
	if (d->read_only) {
		/* Refused before a value is asked for, in the API's words. */
		json_object_set_new(body, key, json_null());
		settings_judge(group, body, &err);
		refused(group, &err);
	}
	char *typed = NULL;
	if (!o->clear && !argv_value)
		typed = read_value(name, secret, d->flags & SETF_MULTILINE);
	json_object_set_new(body, key,
			    o->clear ? json_null()
				     : value_json(d, typed ? typed : argv_value));
	if (typed) {
		sodium_memzero(typed, strlen(typed));
		free(typed);
	}
	if (settings_judge(group, body, &err) < 0) {
		if (secret)
			wipe_body(body);
		json_decref(body);
		if (err.kind == ATR_E_NOT_FOUND)
			no_group(group);
		refused(group, &err);
	}
	struct settings_change ch = {.if_version = -1};
	if (db_begin(c) < 0)
		db_die(c);
	int rc = settings_apply(c, org, group, body, &ch, &err);
	if (secret)
		wipe_body(body);
	json_decref(body);
	if (rc < 0) {
		db_rollback(c);
		if (err.kind == ATR_E_INTERNAL) {
			fprintf(stderr, "atrium: settings set: %s\n", err.msg);
			exit(2);
		}
		refused(group, &err);
	}
	if (json_object_size(ch.diff) == 0) {
		db_rollback(c);
		printf("%s: unchanged\n", name);
	} else {
		struct activity a = {.org_id = org,
				     .actor_name = "cli",
				     .action = "update",
				     .entity = "settings",
				     .diff = ch.diff};
		cmd_record_commit(c, &a, "settings");
		print_changes(group, ch.diff);
	}
	json_decref(ch.diff);
	return 0;
}

int cmd_settings(int argc, char **argv)
{
	struct opts o = {0};
	parse(argc, argv, &o);
	if (o.nargs == 0) {
		fputs(usage, stderr);
		return 1;
	}
	const char *verb = o.args[0];
	if (strcmp(verb, "list") && strcmp(verb, "get") && strcmp(verb, "set"))
		die("settings: unknown subcommand '%s' (list, get or set; see "
		    "atrium settings --help)",
		    verb);
	if (!strcmp(verb, "set") && o.json)
		die("settings set: --json is for list and get");
	if (strcmp(verb, "set") && o.clear)
		die("settings %s: --clear is for set", verb);
	struct app app = {0};
	/* set: the activity row's MAC and a secret's encryption need the
	 * key. */
	bool set = !strcmp(verb, "set");
	struct db_conn *c = cmd_conn_open(&app, &o.s, "settings", set);
	int64_t org = pick_org(c, o.org);
	int rc = !strcmp(verb, "list")  ? do_list(c, org, &o)
		 : !strcmp(verb, "get") ? do_get(c, org, &o)
					: do_set(c, org, &o);
	cmd_conn_close(&app, c, set);
	return rc;
}
