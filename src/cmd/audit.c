/* audit.c — `atrium audit verify` and `atrium audit checkpoint`: the
 * activity log's keyed chains (core/activity.h). */
#include "atrium.h"

#include <errno.h>
#include <getopt.h>

#include "cmd/cmd.h"
#include "core/activity.h"
#include "core/secret.h"

static const char usage[] =
	"usage: atrium audit verify [--checkpoint FILE] [--db URL] [--config FILE]\n"
	"       atrium audit verify --archive FILE [--checkpoint FILE] [--db URL]\n"
	"       atrium audit checkpoint [--out FILE] [--db URL] [--config FILE]\n"
	"\n"
	"verify      recomputes the keyed chain of every organisation's\n"
	"            activity log (needs the master key). With --checkpoint,\n"
	"            also proves the log still holds every row the checkpoint\n"
	"            names, unchanged. Exit status: 0 intact, 1 broken (the\n"
	"            first broken row is named), 2 on a database or key error.\n"
	"            With --archive, checks a log retention archive file instead\n"
	"            (as `atrium logs verify FILE`; --checkpoint: the checkpoint\n"
	"            at its cut).\n"
	"checkpoint  writes a signed checkpoint of every chain's head (JSON) to\n"
	"            FILE, or to standard output. Keep checkpoints away from the\n"
	"            server (another machine, a backup); exit 2 on an error.\n";

/* Reads a whole checkpoint file (at most 16 MiB). NULL and a message on
 * standard error when it cannot. Caller frees. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "atrium: audit verify: cannot read '%s': %s\n",
			path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			if (cap >= (16u << 20)) {
				fprintf(stderr, "atrium: audit verify: '%s' is "
						"too large\n",
					path);
				fclose(f);
				free(buf);
				return NULL;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	buf[n] = 0;
	fclose(f);
	return buf;
}

int cmd_audit(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	bool verify = !strcmp(argv[1], "verify");
	if (!verify && strcmp(argv[1], "checkpoint") != 0)
		die("audit: unknown subcommand '%s' (see atrium audit --help)",
		    argv[1]);
	argc--;
	argv++;
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},
		{"config", required_argument, 0, 'c'},
		{"checkpoint", required_argument, 0, 'k'},
		{"archive", required_argument, 0, 'a'},
		{"out", required_argument, 0, 'o'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct cmd_settings s = {0};
	const char *checkpoint = NULL, *outfile = NULL, *archive = NULL;
	int o, idx = 0;
	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (o == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (o == 'k' && verify)
			checkpoint = optarg;
		else if (o == 'a' && verify)
			archive = optarg;
		else if (o == 'o' && !verify)
			outfile = optarg;
		else if (o == '?' || o == 'k' || o == 'o' || o == 'a' ||
			 !cmd_setting(&s, opts[idx].name, optarg))
			die("audit: bad option (see atrium audit --help)");
	}
	if (archive) {
		/* The archive names its own checkpoint; --checkpoint overrides. */
		struct app app = {0};
		cmd_open(&app, &s);
		cmd_require_schema(&app);
		cmd_load_key(&app, "audit verify");
		int rc = cmd_logs_verify(&app, archive, checkpoint);
		cmd_close(&app);
		secret_key_unload();
		return rc;
	}
	char *cp_text = checkpoint ? read_file(checkpoint) : NULL;
	if (checkpoint && !cp_text)
		return 2;
	struct app app = {0};
	cmd_open(&app, &s);
	cmd_require_schema(&app);
	struct atr_err err = {0};
	int rc;
	if (secret_key_load(&app.cfg, &err) < 0) {
		rc = -1;
	} else if (verify) {
		rc = activity_verify(app.db, stdout, &err);
		if (rc >= 0 && cp_text) {
			int c = activity_verify_checkpoint(app.db, cp_text,
							   stdout, &err);
			rc = c < 0 ? -1 : rc || c;
		}
	} else {
		FILE *f = outfile ? fopen(outfile, "w") : stdout;
		if (!f) {
			rc = atr_fail(&err, ATR_E_INTERNAL,
				      "cannot write '%s': %s", outfile,
				      strerror(errno));
		} else {
			rc = activity_checkpoint(app.db, f, &err);
			if (f != stdout && fclose(f) != 0 && rc == 0)
				rc = atr_fail(&err, ATR_E_INTERNAL,
					      "cannot write '%s': %s", outfile,
					      strerror(errno));
		}
	}
	cmd_close(&app);
	secret_key_unload();
	free(cp_text);
	if (rc < 0) {
		fprintf(stderr, "atrium: audit %s: %s\n",
			verify ? "verify" : "checkpoint", err.msg);
		return 2;
	}
	if (rc > 0)
		fprintf(stderr, "atrium: audit verify: the activity log has "
				"been tampered with\n");
	return rc;
}
