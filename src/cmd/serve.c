/* serve.c — `atrium serve`: the HTTP server until SIGTERM or SIGINT. */
#include "atrium.h"

#include <getopt.h>
#include <signal.h>

#include "cmd/cmd.h"
#include "core/module.h"
#include "core/secret.h"
#include "db/db.h"
#include "http/health.h"
#include "http/metrics.h"
#include "http/server.h"

static const char usage[] =
	"usage: atrium serve [--listen HOST:PORT] [--db URL] [--config FILE]\n"
	"\n"
	"Serves the web UI and the REST API, and runs the modules' workers\n"
	"(the email queue), until SIGTERM or SIGINT; then drains (drain_ms:\n"
	"/readyz fails while requests are still served), stops accepting,\n"
	"finishes requests in flight, stops the workers and closes the\n"
	"database.\n"
	"Needs the master key (ATRIUM_MASTER_KEY or master_key_file). While\n"
	"no staff member exists it prints a one-time link to create the\n"
	"first administrator.\n";

/* The graceful drain (drain_ms): /readyz fails and every answer closes its
 * connection, while requests are still served, so that a load balancer's
 * health check takes the node out before it stops accepting. A second
 * signal ends the wait. */
static void drain(struct app *app, const sigset_t *set)
{
	atomic_store(&app->draining, true);
	int ms = app->cfg.drain_ms;
	if (ms <= 0)
		return;
	fprintf(stderr, "atrium: draining for %d ms (/readyz fails)\n", ms);
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	if (sigtimedwait(set, NULL, &ts) > 0)
		fprintf(stderr, "atrium: second signal, drain cut short\n");
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
	cmd_use_app_role(&app);
	app.metrics = metrics_new(app.nroutes);
	/* /readyz probes on its own connection, within 2 s. */
	app.health = health_open(app.cfg.db, 2000, &err);
	if (!app.health)
		die("%s", err.msg);
	struct server *srv = server_start(&app, &err);
	if (!srv)
		die("%s", err.msg);
	fprintf(stderr, "atrium %s serving on http://%s (%s, %d workers)\n",
		ATR_VERSION, app.cfg.listen, db_dialect_name(app.db),
		app.cfg.threads);
	/* The modules' workers (and the setup link) start once listen and
	 * public_url are settled: server_start settles them when the port
	 * is 0. */
	if (modules_start(&app, &err) < 0) {
		server_stop(srv);
		die("%s", err.msg);
	}

	int sig = 0;
	sigwait(&set, &sig);
	fprintf(stderr, "atrium: %s received, shutting down\n",
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	drain(&app, &set);
	server_stop(srv);
	modules_stop(&app);
	health_close(app.health);
	metrics_free(app.metrics);
	cmd_close(&app);
	secret_key_unload();
	fprintf(stderr, "atrium: stopped\n");
	return 0;
}
