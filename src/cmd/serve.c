/* serve.c — `atrium serve`: the HTTP server until SIGTERM or SIGINT. */
#include "atrium.h"

#include <getopt.h>
#include <signal.h>

#include "admin/staff.h"
#include "auth/token.h"
#include "cmd/cmd.h"
#include "core/secret.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/health.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "jobs/email.h"

static const char usage[] =
	"usage: atrium serve [--listen HOST:PORT] [--db URL] [--config FILE]\n"
	"\n"
	"Serves the web UI and the REST API, and runs the email queue\n"
	"worker, until SIGTERM or SIGINT; then stops accepting, finishes\n"
	"requests in flight, stops the worker and closes the database.\n"
	"Needs the master key (ATRIUM_MASTER_KEY or master_key_file). While\n"
	"no staff member exists it prints a one-time link to create the\n"
	"first administrator.\n";

/* While nobody can sign in, print a fresh single-use setup link. */
static void print_setup_link(struct app *app)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c)
		die("%s", err.msg);
	int64_t n = staff_count(c);
	if (n != 0) {
		db_release(c);
		if (n < 0)
			die("cannot count staff: %s", "database error");
		return;
	}
	char tok[TOKEN_LEN + 1], h[TOKEN_HASH_LEN + 1], now[ATR_TIME_LEN],
		exp[ATR_TIME_LEN];
	token_new(tok);
	token_hash(tok, h);
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() + 24 * 3600 * 1000, exp);
	int rc = db_begin(c);
	struct db_stmt *st = rc ? NULL
				: db_prepare(c, "DELETE FROM auth_token WHERE "
						"purpose = 'setup'");
	if (st) {
		rc = db_step(st) < 0;
		db_reset(st);
	}
	st = rc ? NULL
		: db_prepare(c, "INSERT INTO auth_token (purpose, token_hash, "
				"expires_at, created_at) VALUES "
				"('setup', ?, ?, ?)");
	if (st) {
		db_bind_text(st, 1, h);
		db_bind_text(st, 2, exp);
		db_bind_text(st, 3, now);
		rc = db_step(st) < 0;
		db_reset(st);
	}
	if (!st || rc || db_commit(c) < 0)
		die("cannot create the setup link: %s", db_errmsg(c));
	db_release(c);
	printf("\nNo administrator exists yet. Within 24 hours, open this "
	       "one-time link to create the first one:\n\n    %s/setup#token=%s"
	       "\n\n",
	       app->cfg.public_url, tok);
	fflush(stdout);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, 0, 'l'},
		{"db", required_argument, 0, 'd'},
		{"config", required_argument, 0, 'c'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct cmd_settings s = {0};
	int o, idx = 0;
	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (o == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (o == '?' || !cmd_setting(&s, opts[idx].name, optarg))
			die("serve: bad option (see atrium serve --help)");
	}
	if (optind < argc)
		die("serve: unexpected argument '%s'", argv[optind]);

	/* Block the stop signals in every thread; main waits for them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct app app = {0};
	cmd_open_for(&app, &s, true);
	cmd_require_schema(&app);
	struct atr_err err = {0};
	cmd_load_key(&app, "serve");
	routes_build(&app);
	app.metrics = metrics_new(app.nroutes);
	/* /readyz probes on its own connection, within 2 s. */
	app.health = health_open(app.cfg.db, 2000, &err);
	if (!app.health)
		die("%s", err.msg);
	if (email_worker_start(&app, &err) < 0)
		die("%s", err.msg);
	/* (The worker reads neither listen nor public_url, which
	 * server_start may settle when the port is 0.) */
	struct server *srv = server_start(&app, &err);
	if (!srv)
		die("%s", err.msg);
	fprintf(stderr, "atrium %s serving on http://%s (%s, %d workers)\n",
		ATR_VERSION, app.cfg.listen, db_dialect_name(app.db),
		app.cfg.threads);
	print_setup_link(&app);

	int sig = 0;
	sigwait(&set, &sig);
	fprintf(stderr, "atrium: %s received, shutting down\n",
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	server_stop(srv);
	email_worker_stop();
	health_close(app.health);
	metrics_free(app.metrics);
	routes_free(&app);
	entity_fini();
	cmd_close(&app);
	secret_key_unload();
	fprintf(stderr, "atrium: stopped\n");
	return 0;
}
