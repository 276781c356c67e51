/* ops.c — health, readiness, metrics and the OpenAPI document. */
#include "atrium.h"

#include <sodium.h>

#include "core/activity.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/metrics.h"

static int ops_h_healthz(struct req *r)
{
	req_json(r, 200, json_pack("{s:s}", "status", "ok"));
	return 0;
}

static int ops_h_readyz(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct db_stmt *st = db_prepare(c, "SELECT 1");
	int rc = st ? db_step(st) : -1;
	db_reset(st);
	if (rc != 1)
		return atr_fail(&r->err, ATR_E_UNAVAILABLE,
				"the database does not answer");
	req_json(r, 200, json_pack("{s:s,s:s}", "status", "ready", "database",
				   db_dialect_name(r->app->db)));
	return 0;
}

static int ops_h_metrics(struct req *r)
{
	const char *tok = r->app->cfg.metrics_token;
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
	 NULL},
	{HTTP_GET, "/readyz", ops_h_readyz, ACCESS_PUBLIC, NULL, 0, NULL, NULL},
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
