/* ops.c — health, readiness, metrics and the OpenAPI document. */
#include "atrium.h"

#include <sodium.h>

#include "core/activity.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "core/module.h"
#include "db/db.h"
#include "http/health.h"
#include "http/http.h"
#include "http/metrics.h"

static int ops_h_healthz(struct req *r)
{
	req_json(r, 200, json_pack("{s:s}", "status", "ok"));
	return 0;
}

/* Ready when the probe could read every table just now (http/health.h):
 * a node that cannot serve its core reads leaves the load balancer. */
static int ops_h_readyz(struct req *r)
{
	/* A node draining after SIGTERM leaves the load balancer first,
	 * while it still answers everything else. */
	if (atomic_load(&r->app->draining)) {
		r->err.retry_after = 5;
		return atr_fail(&r->err, ATR_E_UNAVAILABLE,
				"the node is shutting down");
	}
	if (r->app->health) {
		if (health_check(r->app->health, &r->err) < 0) {
			r->err.retry_after = 5;
			return -1;
		}
	} else {
		struct db_conn *c = req_db(r);
		if (!c)
			return -1;
		struct db_stmt *st = db_prepare(c, "SELECT 1");
		int rc = st ? db_step(st) : -1;
		db_reset(st);
		if (rc != 1)
			return atr_fail(&r->err, ATR_E_UNAVAILABLE,
					"the database does not answer");
	}
	req_json(r, 200, json_pack("{s:s,s:s}", "status", "ready", "database",
				   db_dialect_name(r->app->db)));
	return 0;
}

/* The client address (behind a trusted proxy, the one it forwarded) is
 * this machine. */
static bool from_loopback(const struct req *r)
{
	return !strncmp(r->ip, "127.", 4) || !strcmp(r->ip, "::1") ||
	       !strncmp(r->ip, "::ffff:127.", 11);
}

static int ops_h_metrics(struct req *r)
{
	const char *tok = r->app->cfg.metrics_token;
	if (!(tok && *tok) && !r->app->cfg.metrics_open && !from_loopback(r))
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"metrics are served to this machine only; set "
				"metrics_token (or metrics_open) to serve them "
				"further");
	if (tok && *tok) {
		const char *h = req_header(r, "Authorization");
		size_t n = strlen(tok);
		if (!h || strncmp(h, "Bearer ", 7) || strlen(h + 7) != n ||
		    sodium_memcmp(h + 7, tok, n))
			return atr_fail(&r->err, ATR_E_UNAUTHORIZED,
					"metrics need the bearer token");
	}
	int64_t pending = -1;
	struct db_conn *c = req_db(r);
	if (c)
		pending = outbox_pending(c);
	atr_err_clear(&r->err);
	struct buf b = BUF_INIT;
	metrics_render(r->app->metrics, r->app, pending, &b);
	r->raw_len = b.len;
	r->raw = arena_strndup(r->arena, buf_str(&b), b.len);
	buf_free(&b);
	r->ctype = "text/plain; version=0.0.4; charset=utf-8";
	r->status = 200;
	return 0;
}

static int ops_h_openapi(struct req *r)
{
	const struct embedded_file *f = embedded_find("openapi.json");
	if (!f)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "no openapi document");
	r->raw = (const char *)f->data;
	r->raw_len = f->size;
	r->ctype = "application/json";
	r->status = 200;
	return 0;
}

static const struct route ops_routes[] = {
	{HTTP_GET, "/healthz", ops_h_healthz, ACCESS_PUBLIC, NULL, 0, NULL,
	 NULL, NULL, ROUTE_INLINE},
	{HTTP_GET, "/readyz", ops_h_readyz, ACCESS_PUBLIC, NULL, 0, NULL, NULL,
	 NULL, ROUTE_PROBE},
	{HTTP_GET, "/metrics", ops_h_metrics, ACCESS_PUBLIC, NULL, 0, NULL,
	 NULL},
	{HTTP_GET, "/api/v1/openapi.json", ops_h_openapi, ACCESS_PUBLIC, NULL,
	 0, NULL, NULL},
	{0},
};

const struct module module_ops = {
	.name = "ops",
	.routes = ops_routes,
};
