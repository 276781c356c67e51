/* server.c — libmicrohttpd glue: connections in, pipeline, responses out.
 *
 * Concurrency (measured, bench/README.md): libmicrohttpd's epoll I/O
 * threads (one per core) read requests and write responses, and never
 * wait on the network or a lock. A request is run by one of three:
 *   - the I/O thread itself, for routes that never touch the database
 *     (ROUTE_INLINE: /healthz answers while every worker is stuck), and
 *     on SQLite for every GET and HEAD: in WAL mode a read never waits
 *     for the write lock and is short and CPU-bound, and handing it to a
 *     worker cost a third of the list throughput;
 *   - the probe worker, for /readyz (ROUTE_PROBE: never queued behind
 *     requests, and bounded by the probe's own timeouts);
 *   - otherwise a worker of the request pool (`threads`): the I/O thread
 *     suspends the connection, a worker runs the pipeline and builds the
 *     response, and resumes the connection; the I/O thread sends it.
 *     A request that waits longer than queue_timeout_ms for a worker is
 *     answered 503 with Retry-After instead.
 * Limits: total and per-address connections, an idle timeout, a
 * per-connection memory limit (which bounds the request line and
 * headers), and, under pressure, the oldest idle connections are closed
 * (http/conntrack.h).
 *
 * The listening socket is ours (http/listen.h): bind() tells a port in
 * use apart from other failures, and SO_REUSEPORT (sharing the port with
 * another process) is set only when reuse_port asks for it.
 *
 * Per request we keep a small state: the raw URI (for the query string,
 * captured by the URI log callback before MHD splits it), the body and
 * the response a worker built. The route is matched when the request
 * starts, before its body is read: it sets the body's bound
 * (pipeline_body_limit: max_body_bytes, or an upload route's own), and
 * an upload's body goes to a temporary file as it arrives (http/upload.h),
 * freed with the request whichever way it ends. Only a signed-in caller's
 * does: before an upload's body, a worker checks that its credentials
 * name someone (precheck_run); otherwise the body is read and dropped.
 */
#include "atrium.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/app.h"
#include "http/proxy_nets.h"
#include "core/module.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "core/log.h"
#include "db/db.h"
#include "http/conntrack.h"
#include "http/listen.h"
#include "http/metrics.h"
#include "http/pipeline.h"
#include "http/server.h"
#include "http/upload.h"
#include "http/workpool.h"

#define URI_MAX 8192
#define CONN_MEMORY_LIMIT (64 * 1024)
/* An oversized body is read and dropped, up to this much and this long,
 * before the 413 is sent (nginx's lingering close): answering at once and
 * closing with the body unread makes the kernel reset the connection, and
 * the client may never read the answer. Beyond either bound the answer
 * goes out at once. */
#define LINGER_MAX_BYTES ((int64_t)64 << 20)
#define LINGER_MAX_NS (10 * 1000000000LL)
#define INLINE_MAX 8

struct server;

struct conn_state {
	struct work work; /* first: the job a worker runs */
	struct server *s;
	struct MHD_Connection *con;
	char *uri;
	bool uri_too_long;
	bool started;
	bool too_large;
	bool counted; /* in app->inflight until its response is queued */
	/* Resumed after the upload's credentials were checked (precheck_run):
	 * libmicrohttpd calls once more as at the request's start. */
	bool prechecked;
	const struct route *rt; /* the route, while the check runs */
	int64_t dropped; /* bytes of an oversized body read and dropped */
	struct upload up; /* the body */
	const char *limit_name; /* what bounds it (pipeline_body_limit) */
	int64_t t0;
	const char *method, *url; /* MHD's, valid while the request lives */
	struct MHD_Response *resp; /* built by a worker, sent once resumed */
	unsigned status;
};

struct server {
	struct app *app;
	struct MHD_Daemon *d;
	/* Stopping: new connections are closed as they are accepted. */
	atomic_bool refusing;
	struct workpool *work;  /* requests */
	struct workpool *probe; /* /readyz */
	struct conntrack *ct;
	char csp[512];
	const char *inline_paths[INLINE_MAX]; /* ROUTE_INLINE GET routes */
	int ninline;
	const char *probe_paths[INLINE_MAX];  /* ROUTE_PROBE GET routes */
	int nprobe;
	bool reads_inline; /* SQLite: GET and HEAD on the I/O thread */
	struct proxy_nets proxies; /* trusted_proxies, parsed */
};

/* MHD's accept policy: no new connection once the server stops (see
 * server_stop). */
static enum MHD_Result accept_cb(void *cls, const struct sockaddr *addr,
				 socklen_t addrlen)
{
	struct server *s = cls;
	return atomic_load(&s->refusing) ? MHD_NO : MHD_YES;
}

static void *uri_log_cb(void *cls, const char *uri,
			struct MHD_Connection *con)
{
	struct conn_state *st = xcalloc(1, sizeof *st);
	st->s = cls;
	st->con = con;
	st->t0 = atr_mono_ns();
	upload_init(&st->up, 0, false);
	if (strlen(uri) > URI_MAX)
		st->uri_too_long = true;
	else
		st->uri = xstrdup(uri);
	return st;
}

static struct conntrack_entry *tracked(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static void completed_cb(void *cls, struct MHD_Connection *con,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct conn_state *st = *con_cls;
	if (!st)
		return;
	if (st->resp)
		MHD_destroy_response(st->resp);
	if (st->counted) {
		/* Closed before its answer went out (the client left). */
		atomic_fetch_sub(&s->app->inflight, 1);
		conntrack_busy(s->ct, tracked(con), false);
	}
	free(st->uri);
	upload_free(&st->up);
	free(st);
	*con_cls = NULL;
}

static void notify_conn_cb(void *cls, struct MHD_Connection *con,
			   void **socket_context,
			   enum MHD_ConnectionNotificationCode toe)
{
	struct server *s = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
			con, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context =
			conntrack_opened(s->ct, ci ? ci->connect_fd : -1);
	} else {
		conntrack_closed(s->ct, *socket_context);
		*socket_context = NULL;
	}
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

/* Keeps the last X-Forwarded-For header line of a request. */
static enum MHD_Result last_xff(void *cls, enum MHD_ValueKind kind,
				const char *key, const char *value)
{
	(void)kind;
	if (key && value && strcasecmp(key, "X-Forwarded-For") == 0)
		*(const char **)cls = value;
	return MHD_YES;
}

static void client_ip(struct req *r, const struct server *s)
{
	bool trust_proxy = s->app->cfg.trust_proxy;
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
	if (!trust_proxy || (!loopback && !proxy_nets_has(&s->proxies, sa)))
		return;
	/* Behind our own proxy (on this machine, or one of trusted_proxies):
	 * the last X-Forwarded-For hop is the one the proxy saw; earlier ones
	 * are client-supplied and not trusted. The last hop of the last
	 * header line: nginx appends to the client's line, HAProxy (option
	 * forwardfor) adds a line of its own after it, and the first line
	 * (what a plain header lookup answers) is then the client's. */
	const char *xff = NULL;
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, last_xff, &xff);
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

/* Whether the handler set header name itself (it then replaces ours). */
static bool handler_sets(const struct req *r, const char *name)
{
	for (int i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr[i].name, name) == 0)
			return true;
	return false;
}

/* The headers every response carries. Three may be replaced by a handler
 * that sets its own: Content-Security-Policy (stricter, for an uploaded
 * SVG), Cross-Origin-Resource-Policy and, on /api/ paths, Cache-Control
 * (an image that may be cached and shown in an email). */
static void add_security_headers(struct server *s, struct MHD_Response *resp,
				 const struct req *r, bool api)
{
	if (!handler_sets(r, "Content-Security-Policy"))
		MHD_add_response_header(resp, "Content-Security-Policy",
					s->csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
				"same-origin");
	if (!handler_sets(r, "Cross-Origin-Resource-Policy"))
		MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
					"same-origin");
	MHD_add_response_header(resp, "Permissions-Policy",
				"camera=(), microphone=(), geolocation=()");
	if (s->app->cfg.secure_cookies)
		MHD_add_response_header(resp, "Strict-Transport-Security",
					"max-age=31536000");
	if (api && !handler_sets(r, "Cache-Control"))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
}

/* Builds the response for r (NULL when out of memory); any thread. */
static struct MHD_Response *make_response(struct server *s, struct req *r,
					  bool head)
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
	} else if (r->raw_file && !head) {
		/* A file (an export): MHD reads it from the start, in
		 * pieces, and closes the descriptor. */
		int fd = dup(fileno(r->raw_file));
		resp = fd < 0 ? NULL
			      : MHD_create_response_from_fd64(r->raw_file_len,
							      fd);
		if (!resp && fd >= 0)
			close(fd);
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
		return NULL;
	if (ctype && r->status != 204 && r->status != 304)
		MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "X-Request-Id", r->request_id);
	bool api = strncmp(r->path, "/api/", 5) == 0 || r->ctype == NULL ||
		   strstr(r->ctype, "json");
	add_security_headers(s, resp, r, api);
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr[i].name, r->hdr[i].value);
	/* Draining: the client (a proxy's pooled connection) sends its next
	 * request elsewhere rather than on a connection about to close. */
	if (atomic_load(&s->app->draining))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
					"close");
	return resp;
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

/* Runs the request (or, with reject, answers it with that problem) and
 * leaves the response in st->resp. On whichever thread runs it. */
static void handle(struct conn_state *st, enum atr_ekind reject,
		   const char *why)
{
	struct server *s = st->s;
	struct app *app = s->app;
	struct req r = {0};
	r.app = app;
	r.arena = arena_new();
	r.conn = st->con;
	r.user_agent = MHD_lookup_connection_value(st->con, MHD_HEADER_KIND,
						   "User-Agent");
	client_ip(&r, s);

	const char *q = st->uri ? strchr(st->uri, '?') : NULL;
	size_t body_len;
	const char *body = upload_body(&st->up, &body_len);
	struct pipeline_input in = {
		.method = st->method,
		.path = st->url,
		.query = q ? q + 1 : NULL,
		.body = body,
		.body_len = body_len,
		.body_too_large = st->too_large || st->up.too_large,
		.body_limit = st->up.limit,
		.body_limit_name = st->limit_name,
		.upload = &st->up,
		.uri_too_long = st->uri_too_long,
		.bad_path = pipeline_bad_path(st->uri),
	};
	if (reject)
		pipeline_reject(&r, &in, reject,
				reject == ATR_E_UNAVAILABLE ? 1 : 0, why);
	else
		pipeline_run(&r, &in);
	st->status = (unsigned)r.status;
	st->resp = make_response(s, &r, strcmp(st->method, "HEAD") == 0);
	/* A whole body is not needed once the answer is built: its spool
	 * file closes before the answer goes out, not when the connection's
	 * request ends. (An early answer leaves the body to the end.) */
	if (!reject)
		upload_free(&st->up);
	double ms = (double)(atr_mono_ns() - st->t0) / 1e6;
	metrics_observe(app->metrics, r.route_index, r.status, ms / 1000.0);
	modules_observe(app, &r, ms);
	atr_log_request(NULL); /* set by the pipeline's start */
	log_request(&r, st->method, ms);
	req_free(&r);
}

/* Queues the response a worker built (or the I/O thread just built). */
static enum MHD_Result send_ready(struct conn_state *st)
{
	struct server *s = st->s;
	enum MHD_Result ret = MHD_NO;
	if (st->resp) {
		ret = MHD_queue_response(st->con, st->status, st->resp);
		MHD_destroy_response(st->resp);
		st->resp = NULL;
	}
	st->counted = false;
	atomic_fetch_sub(&s->app->inflight, 1);
	conntrack_busy(s->ct, tracked(st->con), false);
	return ret;
}

static void work_run(struct work *w)
{
	struct conn_state *st = (struct conn_state *)w;
	handle(st, ATR_E_NONE, NULL);
	MHD_resume_connection(st->con);
}

static void work_expire(struct work *w)
{
	struct conn_state *st = (struct conn_state *)w;
	handle(st, ATR_E_UNAVAILABLE,
	       "the server is busy: no worker was free in time; retry");
	MHD_resume_connection(st->con);
}

/* Answers on this (I/O) thread with a problem, without the database:
 * for requests refused before they are read. */
static enum MHD_Result answer_now(struct conn_state *st, const char *method,
				  const char *url, enum atr_ekind kind,
				  const char *why)
{
	st->method = method;
	st->url = url;
	st->counted = true;
	atomic_fetch_add(&st->s->app->inflight, 1);
	handle(st, kind, why);
	return send_ready(st);
}

/* A body over its bound, answered at once (413 naming the bound). */
static enum MHD_Result too_large_now(struct conn_state *st, const char *method,
				     const char *url)
{
	char why[160];
	snprintf(why, sizeof why,
		 "the request body exceeds %zu bytes, the limit of this route "
		 "(%s)",
		 st->up.limit, st->limit_name);
	upload_free(&st->up);
	return answer_now(st, method, url, ATR_E_TOO_LARGE, why);
}

static bool listed(const char *const *paths, int n, const char *url)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(paths[i], url))
			return true;
	return false;
}

/* Runs the request where it belongs (see the top of the file). */
static enum MHD_Result dispatch(struct conn_state *st, const char *method,
				const char *url)
{
	struct server *s = st->s;
	st->method = method;
	st->url = url;
	st->counted = true;
	atomic_fetch_add(&s->app->inflight, 1);
	conntrack_busy(s->ct, tracked(st->con), true);
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	bool probe = get && listed(s->probe_paths, s->nprobe, url);
	if (get && !probe &&
	    (s->reads_inline || listed(s->inline_paths, s->ninline, url))) {
		handle(st, ATR_E_NONE, NULL);
		return send_ready(st);
	}
	struct workpool *pool = probe ? s->probe : s->work;
	st->work.run = work_run;
	st->work.expire = work_expire;
	MHD_suspend_connection(st->con);
	workpool_submit(pool, &st->work);
	return MHD_YES;
}

/* A form post's parts are taken apart as they arrive (http/upload.h). */
static void begin_form(struct conn_state *st, const struct route *rt)
{
	if (!st->up.discard && upload_is_form(MHD_lookup_connection_value(
				   st->con, MHD_HEADER_KIND, "Content-Type")))
		upload_begin_form(&st->up, st->con, rt->form);
}

/* On a worker, before an upload's body is read: credentials that name
 * nobody (a made-up cookie or token, a session that ended) get the body
 * read and dropped, never written to the temporary disk, and the
 * pipeline's 401 after it; or the 401 at once when the client waits for
 * a go-ahead (Expect: 100-continue) and has sent nothing yet. A check
 * that cannot tell (a database error, a refused address) changes
 * nothing: the request runs as it would have. */
static void precheck_run(struct work *w)
{
	struct conn_state *st = (struct conn_state *)w;
	struct server *s = st->s;
	struct req r = {0};
	r.app = s->app;
	r.arena = arena_new();
	r.conn = st->con;
	r.user_agent =
	    MHD_lookup_connection_value(st->con, MHD_HEADER_KIND, "User-Agent");
	client_ip(&r, s);
	const char *q = st->uri ? strchr(st->uri, '?') : NULL;
	struct pipeline_input in = {
	    .method = st->method,
	    .path = st->url,
	    .query = q ? q + 1 : NULL,
	    .uri_too_long = st->uri_too_long,
	    .bad_path = pipeline_bad_path(st->uri),
	};
	int known = pipeline_precheck(&r, &in);
	atr_log_request(NULL);
	req_free(&r);
	if (known == 0) {
		st->up.discard = true;
		if (MHD_lookup_connection_value(st->con, MHD_HEADER_KIND,
						"Expect")) {
			st->counted = true;
			atomic_fetch_add(&s->app->inflight, 1);
			handle(st, ATR_E_UNAUTHORIZED,
			       "authentication required");
		}
	} else {
		begin_form(st, st->rt);
	}
	st->prechecked = true;
	atomic_fetch_sub(&s->app->inflight, 1);
	MHD_resume_connection(st->con);
}

/* No worker was free in time: the request runs as it would have. */
static void precheck_expire(struct work *w)
{
	struct conn_state *st = (struct conn_state *)w;
	begin_form(st, st->rt);
	st->prechecked = true;
	atomic_fetch_sub(&st->s->app->inflight, 1);
	MHD_resume_connection(st->con);
}

/* Suspends the connection while a worker runs precheck_run. */
static enum MHD_Result precheck(struct conn_state *st, const struct route *rt,
				const char *method, const char *url)
{
	struct server *s = st->s;
	st->method = method;
	st->url = url;
	st->rt = rt;
	/* Counted, so a stopping server waits for it like a request. */
	atomic_fetch_add(&s->app->inflight, 1);
	st->work.run = precheck_run;
	st->work.expire = precheck_expire;
	MHD_suspend_connection(st->con);
	workpool_submit(s->work, &st->work);
	return MHD_YES;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *con,
				 const char *url, const char *method,
				 const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	struct conn_state *st = *con_cls;
	if (!st)
		return MHD_NO;
	if (st->counted) /* resumed: the worker's answer is ready */
		return send_ready(st);
	if (!st->started) {
		st->started = true;
		/* The route bounds the body: known before it is read. */
		const struct route *rt = pipeline_route(s->app, method, url);
		size_t max = pipeline_body_limit(s->app, rt, &st->limit_name);
		bool upload = rt && (rt->flags & ROUTE_RAW_BODY);
		upload_init(&st->up, max, upload);
		/* Without a cookie or an Authorization header nobody can be
		 * signed in: the body is read and dropped, and the pipeline
		 * answers 401, without a byte on the temporary disk. With
		 * them, a worker asks whether they name someone before the
		 * body is read (precheck_run below). */
		bool guarded = upload && rt->access != ACCESS_PUBLIC;
		bool creds = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
							 "Cookie") ||
			     MHD_lookup_connection_value(con, MHD_HEADER_KIND,
							 "Authorization");
		if (guarded && !creds)
			st->up.discard = true;
		const char *cl = MHD_lookup_connection_value(
			con, MHD_HEADER_KIND, "Content-Length");
		int64_t n;
		if (cl && atr_parse_i64(cl, &n) == 0 &&
		    (uint64_t)n > st->up.bound) {
			st->too_large = true;
			/* Read and drop the body first (LINGER_*), unless
			 * it is beyond the bound or the client waits for a
			 * go-ahead (Expect: 100-continue) before sending
			 * it: then answer now, it sends nothing more. */
			const char *expect = MHD_lookup_connection_value(
				con, MHD_HEADER_KIND, "Expect");
			if (!expect && n <= LINGER_MAX_BYTES)
				return MHD_YES;
			return too_large_now(st, method, url);
		}
		if (guarded && creds)
			return precheck(st, rt, method, url);
		if (upload)
			begin_form(st, rt);
		return MHD_YES;
	}
	if (st->prechecked) {
		st->prechecked = false;
		/* The call libmicrohttpd repeats after the resume, as at the
		 * start (0.9.75); data, should a version bring it here, goes
		 * on below. */
		if (!*upload_data_size)
			return MHD_YES;
	}
	if (*upload_data_size) {
		if (!st->too_large && !st->up.too_large)
			upload_add(&st->up, upload_data, *upload_data_size);
		else
			st->dropped += (int64_t)*upload_data_size;
		*upload_data_size = 0;
		if ((st->too_large || st->up.too_large) &&
		    (st->dropped > LINGER_MAX_BYTES ||
		     atr_mono_ns() - st->t0 > LINGER_MAX_NS))
			/* Enough lingering: answer now, and the
			 * connection closes. */
			return too_large_now(st, method, url);
		return MHD_YES;
	}
	upload_finish(&st->up);
	return dispatch(st, method, url);
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

/* Notes which routes are answered inline and by the probe worker. */
static void sort_routes(struct server *s)
{
	for (int i = 0; i < s->app->nroutes; i++) {
		const struct route *rt = &s->app->routes[i];
		if (rt->method != HTTP_GET)
			continue;
		if ((rt->flags & ROUTE_INLINE) && s->ninline < INLINE_MAX)
			s->inline_paths[s->ninline++] = rt->path;
		else if ((rt->flags & ROUTE_PROBE) && s->nprobe < INLINE_MAX)
			s->probe_paths[s->nprobe++] = rt->path;
	}
}

struct server *server_start(struct app *app, struct atr_err *err)
{
	struct proxy_nets proxies;
	if (proxy_nets_parse(app->cfg.trusted_proxies, &proxies, err) < 0)
		return NULL;
	if (proxies.n && !app->cfg.trust_proxy) {
		atr_fail(err, ATR_E_INVALID,
			 "trusted_proxies is set but trust_proxy is false: set "
			 "trust_proxy = true to believe their X-Forwarded-For");
		return NULL;
	}
	int fd = listen_socket(&app->cfg, err);
	if (fd < 0)
		return NULL;
	struct server *s = xcalloc(1, sizeof *s);
	s->app = app;
	s->proxies = proxies;
	snprintf(s->csp, sizeof s->csp,
		 "default-src 'self'; script-src 'self'; style-src 'self'; "
		 "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
		 "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
	sort_routes(s);
	s->reads_inline = db_dialect(app->db) == DB_SQLITE;
	s->work = workpool_start(app->cfg.threads, app->cfg.queue_timeout_ms);
	s->probe = workpool_start(1, app->cfg.queue_timeout_ms);
	s->ct = conntrack_start(app->cfg.conn_limit,
				app->cfg.slow_client_timeout_seconds);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned io = cores > 1 ? (unsigned)cores : 1;
	s->d = MHD_start_daemon(
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
		MHD_ALLOW_SUSPEND_RESUME,
	    0, accept_cb, s, access_cb, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
	    s, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, io,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)app->cfg.conn_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)app->cfg.per_ip_conn_limit, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)app->cfg.conn_timeout_seconds,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, s,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_conn_cb, s, MHD_OPTION_END);
	if (!s->d) {
		atr_fail(err, ATR_E_UNAVAILABLE,
			 "cannot serve on %s: the HTTP server did not start",
			 app->cfg.listen);
		workpool_stop(s->work);
		workpool_stop(s->probe);
		conntrack_stop(s->ct);
		close(fd);
		free(s);
		return NULL;
	}
	return s;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	/* Stop accepting, let in-flight requests finish (bounded: every
	 * database wait is), then close every connection. Suspended
	 * connections must all be resumed before MHD stops: the pools run
	 * (or expire) everything queued first.
	 *
	 * Not MHD_quiesce_daemon: on an epoll thread pool it races the
	 * workers' own removal of the listen socket from their epoll sets,
	 * and whichever loses calls MHD_PANIC, which aborts the process
	 * (libmicrohttpd 0.9.75, seen on SIGTERM in the test suite). The
	 * accept policy refuses instead: a connection made now is closed as
	 * it is accepted (a load balancer retries it elsewhere, like one
	 * reset by a closed listen socket), and MHD_stop_daemon closes the
	 * listen socket. */
	atomic_store(&s->refusing, true);
	int64_t bound = 10000;
	if (s->app->cfg.db_statement_timeout_ms + 2000 > bound)
		bound = s->app->cfg.db_statement_timeout_ms + 2000;
	int64_t end = atr_mono_ns() + bound * 1000000;
	while (atomic_load(&s->app->inflight) > 0 && atr_mono_ns() < end) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	workpool_stop(s->work);
	workpool_stop(s->probe);
	MHD_stop_daemon(s->d);
	conntrack_stop(s->ct);
	free(s);
}
