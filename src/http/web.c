/* web.c — the web UIs: static files embedded from web/.
 *
 * /admin/..., /login, /setup and /set-password all answer index.html (the
 * admin UI routes on the client); /portal and /portal/... answer
 * portal.html (the client portal, a separate page for contacts);
 * /assets/NAME is web/assets/NAME. Both pages get the same strict CSP
 * (server.c).
 */
#include "atrium.h"

#include "core/embedded.h"
#include "core/module.h"
#include "http/http.h"

static const char *content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} t[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
		{".json", "application/json"},
		{".woff2", "font/woff2"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < ATR_ARRAY_LEN(t); i++)
		if (strcmp(dot, t[i].ext) == 0)
			return t[i].type;
	return "application/octet-stream";
}

static int serve_file(struct req *r, const char *name)
{
	const struct embedded_file *f = embedded_find(name);
	if (!f)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "not found");
	/* Revalidated on every use (no-cache) against the build's hash, so a
	 * new binary's assets are never mixed with old ones and an unchanged
	 * one costs a 304. */
	req_add_header(r, "Cache-Control", "no-cache");
	req_add_header(r, "ETag", f->etag);
	const char *inm = req_header(r, "If-None-Match");
	r->ctype = content_type(name);
	if (inm && strstr(inm, f->etag)) {
		r->status = 304;
		r->raw = "";
		r->raw_len = 0;
		return 0;
	}
	r->raw = (const char *)f->data;
	r->raw_len = f->size;
	r->status = 200;
	return 0;
}

static int web_h_index(struct req *r)
{
	return serve_file(r, "web/index.html");
}

static int web_h_portal(struct req *r)
{
	return serve_file(r, "web/portal.html");
}

static int web_h_asset(struct req *r)
{
	if (strstr(r->wildcard, ".."))
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "not found");
	return serve_file(r,
			  arena_printf(r->arena, "web/assets/%s", r->wildcard));
}

static int web_h_root(struct req *r)
{
	req_add_header(r, "Location", "/admin/");
	r->status = 302;
	r->raw = "";
	r->raw_len = 0;
	return 0;
}

static const struct route web_routes[] = {
	{HTTP_GET, "/", web_h_root, ACCESS_PUBLIC, NULL, 0, NULL, NULL},
	{HTTP_GET, "/admin", web_h_index, ACCESS_PUBLIC, NULL, 0, NULL, NULL},
	{HTTP_GET, "/admin/*", web_h_index, ACCESS_PUBLIC, NULL, 0, NULL, NULL},
	{HTTP_GET, "/login", web_h_index, ACCESS_PUBLIC, NULL, 0, NULL, NULL},
	{HTTP_GET, "/setup", web_h_index, ACCESS_PUBLIC, NULL, 0, NULL, NULL},
	{HTTP_GET, "/set-password", web_h_index, ACCESS_PUBLIC, NULL, 0, NULL,
	 NULL},
	{HTTP_GET, "/reset-password", web_h_index, ACCESS_PUBLIC, NULL, 0,
	 NULL, NULL},
	{HTTP_GET, "/forgot-password", web_h_index, ACCESS_PUBLIC, NULL, 0,
	 NULL, NULL},
	{HTTP_GET, "/confirm-email", web_h_index, ACCESS_PUBLIC, NULL, 0, NULL,
	 NULL},
	{HTTP_GET, "/portal", web_h_portal, ACCESS_PUBLIC, NULL, 0, NULL, NULL},
	{HTTP_GET, "/portal/*", web_h_portal, ACCESS_PUBLIC, NULL, 0, NULL,
	 NULL},
	{HTTP_GET, "/assets/*", web_h_asset, ACCESS_PUBLIC, NULL, 0, NULL,
	 NULL},
	{0},
};

const struct module module_web = {
	.name = "web",
	.routes = web_routes,
};
