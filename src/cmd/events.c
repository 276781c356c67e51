/* events.c — `atrium events export`: the events (the outbox) as NDJSON in
 * MongoDB Extended JSON, streamed, for long-term storage and analysis
 * (mongoimport). The same lines as GET /api/v1/events/export, for every
 * organisation (or one), without the API's 10,000-line bound. */
#include "atrium.h"

#include <errno.h>
#include <getopt.h>

#include "admin/event_log.h"
#include "cmd/cmd.h"
#include "core/buf.h"
#include "db/db.h"
#include "core/validate.h"

#define BATCH 1000

static const char usage[] =
	"usage: atrium events export [--since DATE|TIME] [--after-id N] [--org N]\n"
	"                            [--out FILE] [--db URL] [--config FILE]\n"
	"\n"
	"Writes the events (every committed change, with before and after) as\n"
	"NDJSON in MongoDB Extended JSON, oldest first, to FILE or standard\n"
	"output. --since keeps events from that day (2026-01-01) or instant\n"
	"(ISO 8601); --after-id those after an id (resume where a previous\n"
	"export ended: its last _id); --org one organisation. Load it with\n"
	"  mongoimport --db atrium --collection events --file events.ndjson\n"
	"Exit status 0, 1 on bad arguments, 2 on a database or write error.\n";

/* Writes the events in id order, a batch at a time (keyset paging): 0, or
 * -1 with the reason on standard error. */
static int export(struct db_conn *c, FILE *out, const char *since,
		  int64_t after, int64_t org)
{
	struct buf b = BUF_INIT;
	int64_t n = 0;
	for (;;) {
		struct db_stmt *st = db_prepare(
			c, "SELECT id, uuid, org_id, entity, entity_id, action, "
			   "created_at, payload FROM event WHERE id > ? AND "
			   "created_at >= ? AND (? = 0 OR org_id = ?) ORDER BY "
			   "id LIMIT ?");
		if (!st)
			goto dberr;
		db_bind_int(st, 1, after);
		db_bind_text(st, 2, since);
		db_bind_int(st, 3, org);
		db_bind_int(st, 4, org);
		db_bind_int(st, 5, BATCH);
		int rc, rows = 0;
		while ((rc = db_step(st)) == 1) {
			buf_reset(&b);
			after = db_col_int(st, 0);
			event_ejson_line(&b, after, db_col_text(st, 1),
					 db_col_int(st, 2), db_col_text(st, 3),
					 !db_col_null(st, 4), db_col_int(st, 4),
					 db_col_text(st, 5), db_col_text(st, 6),
					 db_col_text(st, 7));
			if (fwrite(b.p, 1, b.len, out) != b.len) {
				db_reset(st);
				fprintf(stderr, "atrium: events export: cannot "
						"write: %s\n",
					strerror(errno));
				buf_free(&b);
				return -1;
			}
			rows++;
		}
		db_reset(st);
		if (rc < 0)
			goto dberr;
		n += rows;
		if (rows < BATCH)
			break;
	}
	buf_free(&b);
	fprintf(stderr, "atrium: events export: %lld events\n", (long long)n);
	return 0;
dberr:
	buf_free(&b);
	fprintf(stderr, "atrium: events export: %s\n", db_errmsg(c));
	return -1;
}

int cmd_events(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (strcmp(argv[1], "export") != 0) {
		fprintf(stderr, "atrium: events: unknown subcommand '%s' (see "
				"atrium events --help)\n",
			argv[1]);
		return 1;
	}
	argc--;
	argv++;
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},
		{"config", required_argument, 0, 'c'},
		{"since", required_argument, 0, 's'},
		{"after-id", required_argument, 0, 'a'},
		{"org", required_argument, 0, 'g'},
		{"out", required_argument, 0, 'o'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct cmd_settings s = {0};
	char since[ATR_TIME_LEN] = "";
	int64_t after = 0, org = 0;
	const char *outfile = NULL;
	int o, idx = 0;
	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		switch (o) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 's':
			if (valid_date(optarg)) {
				snprintf(since, sizeof since, "%sT00:00:00.000Z",
					 optarg);
			} else if (datetime_normalise(optarg, since) < 0) {
				fprintf(stderr, "atrium: events export: --since "
						"takes a date (2026-01-01) or "
						"an ISO 8601 time\n");
				return 1;
			}
			break;
		case 'a':
		case 'g':
			if (atr_parse_i64(optarg, o == 'a' ? &after : &org) <
				    0 ||
			    (o == 'a' ? after : org) < 0) {
				fprintf(stderr, "atrium: events export: --%s "
						"takes a number\n",
					opts[idx].name);
				return 1;
			}
			break;
		case 'o':
			outfile = optarg;
			break;
		default:
			if (o == '?' || !cmd_setting(&s, opts[idx].name, optarg)) {
				fprintf(stderr, "atrium: events export: bad "
						"option (see --help)\n");
				return 1;
			}
		}
	}
	FILE *out = outfile ? fopen(outfile, "w") : stdout;
	if (!out) {
		fprintf(stderr, "atrium: events export: cannot write '%s': %s\n",
			outfile, strerror(errno));
		return 2;
	}
	struct app app = {0};
	cmd_open(&app, &s);
	cmd_require_schema(&app);
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app.db, &err);
	int rc = c ? export(c, out, since, after, org) : -1;
	if (!c)
		fprintf(stderr, "atrium: events export: %s\n", err.msg);
	if (c)
		db_release(c);
	cmd_close(&app);
	if (fflush(out) != 0 || (out != stdout && fclose(out) != 0)) {
		fprintf(stderr, "atrium: events export: cannot write: %s\n",
			strerror(errno));
		rc = -1;
	}
	return rc < 0 ? 2 : 0;
}
