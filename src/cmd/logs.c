/* logs.c — `atrium logs`: log retention by hand (admin/retention.h).
 *
 *   archive        runs retention now, as the scheduler's hourly task does
 *   list-archives  the manifests
 *   verify FILE    checks an archive file against its manifest and, for
 *                  the activity log, its chain and signed checkpoint
 */
#include "atrium.h"

#include <errno.h>
#include <getopt.h>

#include "admin/retention.h"
#include "cmd/cmd.h"
#include "core/activity.h"
#include "core/app.h"
#include "db/db.h"
#include "jobs/jobs.h"

static const char usage[] =
	"usage: atrium logs archive [--log NAME] [--older-than DAYS] [--db URL]\n"
	"                           [--config FILE]\n"
	"       atrium logs list-archives [--log NAME] [--db URL] [--config FILE]\n"
	"       atrium logs verify FILE [--checkpoint FILE] [--db URL]\n"
	"                           [--config FILE]\n"
	"\n"
	"archive        runs log retention now, in this process: for every\n"
	"               organisation and log (or --log NAME), the rows past the\n"
	"               log's retention setting are written to a file under\n"
	"               archive_dir, verified, recorded, then removed; an\n"
	"               archive a crash left half done is finished first.\n"
	"               --older-than DAYS archives the rows older than DAYS\n"
	"               instead of the setting (with --log only). One line per\n"
	"               archive.\n"
	"list-archives  one line per archive: id, log, org, status, rows, ids,\n"
	"               times, bytes, sha256, path.\n"
	"verify         checks FILE: its SHA-256 and size against the manifest\n"
	"               that records it, every row, and for the activity log the\n"
	"               chain inside it and that it ends where its signed\n"
	"               checkpoint (the manifest's, FILE's .checkpoint.json, or\n"
	"               --checkpoint) says. Needs the master key.\n"
	"logs: activity, api_requests, pipe, webhook_attempts,\n"
	"      webhook_deliveries, events.\n"
	"Exit status: 0 done (verify: intact), 1 bad arguments or (verify) not\n"
	"intact, 2 a database, file or key error.\n";

static int archive(struct app *app, const char *log, int64_t days)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c) {
		fprintf(stderr, "atrium: logs archive: %s\n", err.msg);
		return 2;
	}
	int n = retention_run(app, c, jobs_now_ms(), log, days, stdout, &err);
	db_release(c);
	if (n < 0) {
		fprintf(stderr, "atrium: logs archive: %s\n", err.msg);
		return 2;
	}
	printf("%d archive%s written\n", n, n == 1 ? "" : "s");
	return 0;
}

static int list(struct app *app, const char *log)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c) {
		fprintf(stderr, "atrium: logs list-archives: %s\n", err.msg);
		return 2;
	}
	struct db_stmt *st = db_prepare(
		c, "SELECT id, log, org_id, status, row_count, first_id, "
		   "last_id, first_at, last_at, bytes, sha256, path FROM "
		   "log_archive WHERE (? = '' OR log = ?) ORDER BY id");
	int rc = -1;
	if (st) {
		db_bind_text(st, 1, log ? log : "");
		db_bind_text(st, 2, log ? log : "");
		while ((rc = db_step(st)) == 1)
			printf("%lld %s org %lld %s %lld rows, ids %lld-%lld, "
			       "%s to %s, %lld bytes, sha256 %s, %s/%s\n",
			       (long long)db_col_int(st, 0), db_col_text(st, 1),
			       (long long)db_col_int(st, 2), db_col_text(st, 3),
			       (long long)db_col_int(st, 4),
			       (long long)db_col_int(st, 5),
			       (long long)db_col_int(st, 6), db_col_text(st, 7),
			       db_col_text(st, 8),
			       (long long)db_col_int(st, 9),
			       db_col_text(st, 10), app->cfg.archive_dir,
			       db_col_text(st, 11));
		db_reset(st);
	}
	if (rc < 0)
		fprintf(stderr, "atrium: logs list-archives: %s\n",
			db_errmsg(c));
	db_release(c);
	return rc < 0 ? 2 : 0;
}

/* A whole small text file (at most 1 MiB), or NULL. Caller frees. */
static char *read_small(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = xmalloc(1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* The manifest recording a file with this SHA-256. */
struct found {
	int64_t id, org, rows, first_id, last_id, bytes, cut_seq;
	char log[64], cut_hash[65];
	char *checkpoint;
};

static int find_manifest(struct db_conn *c, const char *sha, struct found *f)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id, org_id, log, row_count, first_id, last_id, "
		   "bytes, cut_seq, cut_hash, checkpoint FROM log_archive "
		   "WHERE sha256 = ? ORDER BY id LIMIT 1");
	if (!st)
		return -1;
	db_bind_text(st, 1, sha);
	int rc = db_step(st);
	if (rc == 1) {
		f->id = db_col_int(st, 0);
		f->org = db_col_int(st, 1);
		atr_strlcpy(f->log, db_col_text(st, 2), sizeof f->log);
		f->rows = db_col_int(st, 3);
		f->first_id = db_col_int(st, 4);
		f->last_id = db_col_int(st, 5);
		f->bytes = db_col_int(st, 6);
		f->cut_seq = db_col_null(st, 7) ? 0 : db_col_int(st, 7);
		atr_strlcpy(f->cut_hash,
			    db_col_null(st, 8) ? "" : db_col_text(st, 8),
			    sizeof f->cut_hash);
		f->checkpoint =
			db_col_null(st, 9) ? NULL : xstrdup(db_col_text(st, 9));
	}
	db_reset(st);
	return rc;
}

/* The activity archive against its checkpoint. 0 or 1. */
static int verify_chain(const char *file, const char *cp_file,
			const struct found *f, const struct archive_info *info)
{
	char *text = NULL;
	if (cp_file) {
		text = read_small(cp_file);
		if (!text) {
			printf("broken: cannot read the checkpoint '%s'\n",
			       cp_file);
			return 1;
		}
	} else {
		size_t n = strlen(file);
		const char *ext = ".jsonl.gz";
		if (n > strlen(ext) && !strcmp(file + n - strlen(ext), ext)) {
			char *side = xasprintf("%.*s.checkpoint.json",
					       (int)(n - strlen(ext)), file);
			text = read_small(side);
			free(side);
		}
		if (!text && f->checkpoint)
			text = xstrdup(f->checkpoint);
	}
	if (!text) {
		printf("broken: no checkpoint for this activity archive\n");
		return 1;
	}
	struct atr_err err = {0};
	int64_t org = 0, seq = 0;
	char hash[65] = "";
	int r = activity_checkpoint_one(text, &org, &seq, hash, stdout, &err);
	free(text);
	if (r < 0) {
		printf("broken: %s\n", err.msg);
		return 1;
	}
	if (r)
		return 1;
	if (seq != info->last_seq || strcmp(hash, info->last_hash) != 0 ||
	    (f->id && org != f->org)) {
		printf("broken: the archive ends at seq %lld, but its "
		       "checkpoint says org %lld seq %lld\n",
		       (long long)info->last_seq, (long long)org,
		       (long long)seq);
		return 1;
	}
	printf("ok: the chain inside runs from seq %lld to %lld and ends at "
	       "its signed checkpoint (org %lld)",
	       (long long)info->first_seq, (long long)info->last_seq,
	       (long long)org);
	if (info->erased)
		printf(" (%lld personal parts erased)", (long long)info->erased);
	putchar('\n');
	return 0;
}

/* The archive's first row links to the end of the archive before it (or
 * to the start of the chain). 0 or 1. */
static int verify_link(struct db_conn *c, const struct found *f,
		       const struct archive_info *info)
{
	if (info->first_seq == 1) {
		bool zero = strspn(info->first_prev, "0") == 64;
		printf("%s: the archive starts the chain (seq 1)\n",
		       zero ? "ok" : "broken");
		return zero ? 0 : 1;
	}
	struct db_stmt *st = db_prepare(
		c, "SELECT id, cut_hash FROM log_archive WHERE org_id = ? AND "
		   "log = 'activity' AND cut_seq = ?");
	if (!st)
		return 1;
	db_bind_int(st, 1, f->org);
	db_bind_int(st, 2, info->first_seq - 1);
	int rc = db_step(st), result = 0;
	if (rc == 1 && strcmp(db_col_text(st, 1), info->first_prev) != 0) {
		printf("broken: the archive does not link to archive %lld, "
		       "which ends at seq %lld\n",
		       (long long)db_col_int(st, 0),
		       (long long)info->first_seq - 1);
		result = 1;
	} else if (rc == 1) {
		printf("ok: it links to archive %lld (seq %lld)\n",
		       (long long)db_col_int(st, 0),
		       (long long)info->first_seq - 1);
	} else {
		printf("note: no archive of this installation ends at seq "
		       "%lld, the row before this one\n",
		       (long long)info->first_seq - 1);
	}
	db_reset(st);
	return result;
}

int cmd_logs_verify(struct app *app, const char *file, const char *cp_file)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c) {
		fprintf(stderr, "atrium: logs verify: %s\n", err.msg);
		return 2;
	}
	/* First the checksum, to find the manifest (and so the log). */
	struct archive_info info;
	int result = archive_verify(file, "created_at", false, &info, stdout,
				    &err);
	struct found f = {0};
	int m = result ? 0 : find_manifest(c, info.sha256, &f);
	if (m < 0) {
		db_release(c);
		fprintf(stderr, "atrium: logs verify: database error\n");
		return 2;
	}
	if (!result && m == 0) {
		printf("broken: no manifest records a file with sha256 %s — "
		       "not an archive of this installation, or altered\n",
		       info.sha256);
		result = 1;
	}
	const struct retention_log *L = m ? retention_log_find(f.log) : NULL;
	if (!result && L) {
		result = archive_verify(file, L->time_col, L->chain, &info,
					stdout, &err);
		if (result < 0) {
			db_release(c);
			fprintf(stderr, "atrium: logs verify: %s\n", err.msg);
			free(f.checkpoint);
			return 2;
		}
	}
	if (!result && (info.rows != f.rows || info.bytes != f.bytes ||
			info.first_id != f.first_id ||
			info.last_id != f.last_id)) {
		printf("broken: the file differs from manifest %lld (rows, "
		       "ids or size)\n",
		       (long long)f.id);
		result = 1;
	}
	if (!result)
		printf("ok: archive %lld (%s, org %lld): sha256 %s, %lld rows, "
		       "ids %lld-%lld\n",
		       (long long)f.id, f.log, (long long)f.org, info.sha256,
		       (long long)info.rows, (long long)info.first_id,
		       (long long)info.last_id);
	if (!result && L && L->chain)
		result = verify_chain(file, cp_file, &f, &info);
	if (!result && L && L->chain)
		result = verify_link(c, &f, &info);
	db_release(c);
	free(f.checkpoint);
	if (result)
		fprintf(stderr, "atrium: logs verify: '%s' does not verify\n",
			file);
	return result ? 1 : 0;
}

int cmd_logs(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "archive") && strcmp(sub, "list-archives") &&
	    strcmp(sub, "verify")) {
		fprintf(stderr, "atrium: logs: unknown subcommand '%s' (see "
				"atrium logs --help)\n",
			sub);
		return 1;
	}
	argc--;
	argv++;
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},
		{"config", required_argument, 0, 'c'},
		{"log", required_argument, 0, 'l'},
		{"older-than", required_argument, 0, 'o'},
		{"checkpoint", required_argument, 0, 'k'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct cmd_settings s = {0};
	const char *log = NULL, *cp = NULL;
	int64_t days = -1;
	int o, idx = 0;
	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		char *end;
		switch (o) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'l':
			if (!retention_log_find(optarg)) {
				fprintf(stderr, "atrium: logs: unknown log "
						"'%s' (see atrium logs "
						"--help)\n",
					optarg);
				return 1;
			}
			log = optarg;
			break;
		case 'o':
			errno = 0;
			days = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || days < 0 ||
			    days > 36500) {
				fprintf(stderr, "atrium: logs: --older-than "
						"takes days, 0 to 36500\n");
				return 1;
			}
			break;
		case 'k':
			cp = optarg;
			break;
		case '?':
			return 1;
		default:
			if (!cmd_setting(&s, opts[idx].name, optarg)) {
				fprintf(stderr, "atrium: logs: bad option\n");
				return 1;
			}
		}
	}
	bool is_archive = !strcmp(sub, "archive"),
	     is_verify = !strcmp(sub, "verify");
	if ((days >= 0 && (!is_archive || !log)) || (cp && !is_verify) ||
	    (is_verify && optind != argc - 1) ||
	    (!is_verify && optind != argc)) {
		fputs(usage, stderr);
		return 1;
	}
	struct app app = {0};
	cmd_open(&app, &s);
	cmd_require_schema(&app);
	int rc;
	if (is_archive) {
		cmd_load_key(&app, "logs archive");
		rc = archive(&app, log, days);
	} else if (is_verify) {
		cmd_load_key(&app, "logs verify");
		rc = cmd_logs_verify(&app, argv[optind], cp);
	} else {
		rc = list(&app, log);
	}
	cmd_close(&app);
	return rc;
}
