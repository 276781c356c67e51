/* server.c — libmicrohttpd glue: connections in, pipeline, responses out.
 *
 * Concurrency: libmicrohttpd's epoll thread pool, sized by `threads`
 * (default 16, far above the core count, because a PostgreSQL call blocks
 * its thread; see docs/dependencies.md), with total and per-address
 * connection limits, an idle timeout and a per-connection memory limit
 * (which bounds the request line and headers).
 *
 * Per connection we keep a small state: the raw URI (for the query string,
 * captured by the URI log callback before MHD splits it) and the body,
 * bounded by max_body_bytes.
 */
#include "atrium.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "core/app.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "http/metrics.h"
#include "http/pipeline.h"
#include "http/server.h"

#define URI_MAX 8192
#define CONN_MEMORY_LIMIT (64 * 1024)

struct conn_state {
	char *uri;
	bool uri_too_long;
	bool started;
	bool too_large;
	struct buf body;
	int64_t t0;
};

struct server {
	struct app *app;
	struct MHD_Daemon *d;
	char csp[512];
};

static void *uri_log_cb(void *cls, const char *uri,
			struct MHD_Connection *con)
{
	struct conn_state *st = xcalloc(1, sizeof *st);
	st->t0 = atr_mono_ns();
	if (strlen(uri) > URI_MAX)
		st->uri_too_long = true;
	else
		st->uri = xstrdup(uri);
	return st;
}

static void completed_cb(void *cls, struct MHD_Connection *con,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn_state *st = *con_cls;
	if (!st)
		return;
	free(st->uri);
	buf_free(&st->body);
	free(st);
	*con_cls = NULL;
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

static void client_ip(struct req *r, bool trust_proxy)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	atr_strlcpy(r->ip, "unknown", sizeof r->ip);
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	bool loopback = false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, r->ip, sizeof r->ip);
		loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, r->ip, sizeof r->ip);
		loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	if (!trust_proxy || !loopback)
		return;
	/* Behind our own proxy: the last X-Forwarded-For hop is the one the
	 * proxy saw; earlier ones are client-supplied and not trusted. */
	const char *xff = req_header(r, "X-Forwarded-For");
	if (!xff)
		return;
	const char *last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	while (*last == ' ')
		last++;
	unsigned char tmp[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, last, tmp) == 1 ||
	    inet_pton(AF_INET6, last, tmp) == 1)
		atr_strlcpy(r->ip, last, sizeof r->ip);
}

static void add_security_headers(struct server *s, struct MHD_Response *resp,
				 bool api)
{
	MHD_add_response_header(resp, "Content-Security-Policy", s->csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
				"same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
				"same-origin");
	MHD_add_response_header(resp, "Permissions-Policy",
				"camera=(), microphone=(), geolocation=()");
	if (s->app->cfg.secure_cookies)
		MHD_add_response_header(resp, "Strict-Transport-Security",
					"max-age=31536000");
	if (api)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
}

static enum MHD_Result respond(struct server *s, struct MHD_Connection *con,
			       struct req *r, bool head)
{
	struct MHD_Response *resp;
	const char *ctype = r->ctype;
	if (r->out) {
		char *text = json_dumps(r->out, JSON_COMPACT);
		if (!text)
			text = xstrdup("{}");
		size_t n = strlen(text);
		if (head) {
			free(text);
			text = xstrdup("");
			n = 0;
		}
		resp = MHD_create_response_from_buffer(n, text,
						       MHD_RESPMEM_MUST_FREE);
		if (!ctype)
			ctype = "application/json";
	} else if (r->raw_owned && !head) {
		/* MHD sends after we return: hand it the buffer to free. */
		resp = MHD_create_response_from_buffer(
			r->raw_len, r->raw_owned, MHD_RESPMEM_MUST_FREE);
		r->raw_owned = NULL;
	} else {
		/* Embedded files outlive every response; anything else (the
		 * arena) does not, so MHD copies it. */
		bool lasting = r->raw && embedded_owns(r->raw);
		resp = MHD_create_response_from_buffer(
			head ? 0 : r->raw_len, (void *)(r->raw ? r->raw : ""),
			lasting ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
	}
	if (!resp)
		return MHD_NO;
	if (ctype && r->status != 204 && r->status != 304)
		MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "X-Request-Id", r->request_id);
	bool api = strncmp(r->path, "/api/", 5) == 0 || r->ctype == NULL ||
		   strstr(r->ctype, "json");
	add_security_headers(s, resp, api);
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr[i].name, r->hdr[i].value);
	enum MHD_Result ret = MHD_queue_response(con, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void log_request(struct req *r, const char *method, double ms)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	/* Path only: never the query string, cookies or bodies. */
	const char *route = r->route ? r->route->path : "-";
	fprintf(stderr, "%s req=%s %s %s route=%s status=%d ms=%.2f%s%s\n",
		now, r->request_id, method, r->path, route, r->status, ms,
		r->authed ? " staff=" : "",
		r->authed ? arena_printf(r->arena, "%lld",
					 (long long)r->who.staff_id)
			  : "");
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *con,
				 const char *url, const char *method,
				 const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	struct app *app = s->app;
	struct conn_state *st = *con_cls;
	if (!st)
		return MHD_NO;
	size_t max = (size_t)app->cfg.max_body_bytes;
	if (!st->started) {
		st->started = true;
		const char *cl = MHD_lookup_connection_value(
			con, MHD_HEADER_KIND, "Content-Length");
		int64_t n;
		if (cl && atr_parse_i64(cl, &n) == 0 && n > (int64_t)max)
			st->too_large = true;
		if (!st->too_large)
			return MHD_YES;
		/* Answer at once; MHD closes the connection instead of
		 * reading the oversized body. */
	} else if (*upload_data_size) {
		if (!st->too_large) {
			if (st->body.len + *upload_data_size > max) {
				st->too_large = true;
				buf_free(&st->body);
			} else {
				buf_add(&st->body, upload_data,
					*upload_data_size);
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	atomic_fetch_add(&app->inflight, 1);
	struct req r = {0};
	r.app = app;
	r.arena = arena_new();
	r.conn = con;
	r.user_agent = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
						   "User-Agent");
	client_ip(&r, app->cfg.trust_proxy);

	const char *q = st->uri ? strchr(st->uri, '?') : NULL;
	struct pipeline_input in = {
		.method = method,
		.path = url,
		.query = q ? q + 1 : NULL,
		.body = st->body.p ? st->body.p : "",
		.body_len = st->body.len,
		.body_too_large = st->too_large,
		.uri_too_long = st->uri_too_long,
	};
	pipeline_run(&r, &in);
	enum MHD_Result ret = respond(s, con, &r, strcmp(method, "HEAD") == 0);
	double ms = (double)(atr_mono_ns() - st->t0) / 1e6;
	metrics_observe(app->metrics, r.route_index, r.status, ms / 1000.0);
	log_request(&r, method, ms);
	req_free(&r);
	atomic_fetch_sub(&app->inflight, 1);
	return ret;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	fprintf(stderr, "http: %s\n", msg);
}

static int parse_listen(const char *listen, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof host)
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = 0;
	int64_t port;
	if (atr_parse_i64(colon + 1, &port) < 0 || port < 1 || port > 65535)
		return -1;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (!*host || strcmp(host, "localhost") == 0)
		atr_strlcpy(host, "127.0.0.1", sizeof host);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	return 0;
}

struct server *server_start(struct app *app, struct atr_err *err)
{
	struct sockaddr_in sa;
	if (parse_listen(app->cfg.listen, &sa) < 0) {
		atr_fail(err, ATR_E_INVALID,
			 "listen: '%s' must be IPv4-address:port",
			 app->cfg.listen);
		return NULL;
	}
	struct server *s = xcalloc(1, sizeof *s);
	s->app = app;
	snprintf(s->csp, sizeof s->csp,
		 "default-src 'self'; script-src 'self'; style-src 'self'; "
		 "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
		 "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
	s->d = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
			MHD_USE_ITC,
		0, NULL, NULL, access_cb, s, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, s, MHD_OPTION_SOCK_ADDR, &sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)app->cfg.threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)app->cfg.conn_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)app->cfg.per_ip_conn_limit,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)app->cfg.conn_timeout_seconds,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
		MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, s,
		MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
	if (!s->d) {
		free(s);
		atr_fail(err, ATR_E_UNAVAILABLE,
			 "cannot listen on %s (in use, or not permitted)",
			 app->cfg.listen);
		return NULL;
	}
	return s;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	/* Stop accepting, let in-flight requests finish (bounded), then
	 * close every connection. */
	MHD_quiesce_daemon(s->d);
	for (int i = 0; i < 1000 && atomic_load(&s->app->inflight) > 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(s->d);
	free(s);
}
